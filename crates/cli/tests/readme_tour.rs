//! The tour in README.md runs as shown: every ```console block's `$ urval …` commands are
//! run in order, in a directory holding a copy of `sample-data/`'s files, and each one's
//! standard output must equal the text shown under it. When an output changes on purpose,
//! run the command and paste its output into README.md.
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

/// The README's console blocks as (command line, expected stdout).
fn tour(readme: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        if !inside {
            inside = line.trim_end() == "```console";
            continue;
        }
        if line.trim_end() == "```" {
            inside = false;
        } else if let Some(cmd) = line.strip_prefix("$ ") {
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
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let steps = tour(&readme);
    assert!(steps.len() >= 5, "README.md shows {} commands", steps.len());
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
    for (cmd, want) in &steps {
        let args = split_args(cmd);
        assert_eq!(
            args[0], "urval",
            "README.md: `$ {cmd}` is not an urval command"
        );
        let out = urval()
            .current_dir(dir.path())
            .env("RAYON_NUM_THREADS", "2")
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README.md: `{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            &got, want,
            "README.md: `{cmd}` prints something else than README.md shows; run it and paste \
             its output into README.md"
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
