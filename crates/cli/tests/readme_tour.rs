//! The tour in README.md runs as shown: every ```console block's `$ urval …` commands are
//! run in order, in a directory holding a copy of `sample-data/`'s files, and each one's
//! standard output must equal the text shown under it; then the console blocks of the
//! guides that continue the tour (`docs/guide/municipality.md`), in the same directory.
//! When an output changes on purpose, run the command and paste its output into the page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{root, urval};

/// Split a command line on spaces, keeping '…' and "…" together (the README's commands
/// need no more of a shell than that).
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, ' ') => {
                if started || !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
                started = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if started || !cur.is_empty() {
        args.push(cur);
    }
    args
}

/// A page's console blocks as (command line, expected stdout). A command line ending in
/// `\` continues on the next line; blank lines at the end of an output are not compared.
fn tour(page: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    let mut continued = false;
    for line in page.lines() {
        if !inside {
            inside = line.trim_end() == "```console";
            continue;
        }
        if continued {
            let (cmd, _) = steps.last_mut().expect("a command before its continuation");
            let part = line.trim();
            continued = part.ends_with('\\');
            cmd.push(' ');
            cmd.push_str(part.trim_end_matches('\\').trim_end());
        } else if line.trim_end() == "```" {
            inside = false;
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            continued = cmd.ends_with('\\');
            let cmd = cmd.trim_end_matches('\\').trim_end();
            steps.push((cmd.to_string(), String::new()));
        } else {
            let (_, out) = steps
                .last_mut()
                .expect("a console block starts with `$ urval`");
            out.push_str(line);
            out.push('\n');
        }
    }
    steps
}

#[test]
fn the_readme_tour_prints_what_the_readme_shows() {
    let mut steps = Vec::new();
    for page in ["README.md", "docs/guide/municipality.md"] {
        let text = std::fs::read_to_string(root().join(page)).unwrap();
        let shown = tour(&text);
        assert!(!shown.is_empty(), "{page} shows no console commands");
        steps.extend(shown.into_iter().map(|(cmd, out)| (page, cmd, out)));
    }
    assert!(steps.len() >= 7, "the pages show {} commands", steps.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sample-data")).unwrap();
    for f in std::fs::read_dir(root().join("sample-data")).unwrap() {
        let path = f.unwrap().path();
        if path.is_file() {
            std::fs::copy(
                &path,
                dir.path()
                    .join("sample-data")
                    .join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    for (page, cmd, want) in &steps {
        let args = split_args(cmd);
        assert_eq!(
            args[0], "urval",
            "{page}: `$ {cmd}` is not an urval command"
        );
        let out = urval()
            .current_dir(dir.path())
            .env("RAYON_NUM_THREADS", "2")
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{page}: `{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            got.trim_end_matches('\n'),
            want.trim_end_matches('\n'),
            "{page}: `{cmd}` prints something else than {page} shows; run it and paste its \
             output into {page}"
        );
    }
}

#[test]
fn the_readme_stays_short() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() < 250,
        "README.md has 250 lines or more"
    );
    assert!(readme.len() < 20 * 1024, "README.md is 20 KB or more");
}
