//! Every command the documentation shows is run as shown. The ```console blocks of
//! README.md and of each page of `docs/guide/` are read in order: a `$ urval …` line (a
//! line ending in `\` continues on the next) is a command, an optional `? N` line right
//! after it the exit code it must end with (0 when absent, as in trycmd's Markdown form),
//! and the lines below it, up to the next command or the end of the block, what it prints:
//! its standard output, then its standard error. `[..]` in a shown line stands for any text (a date, a time, a duration), and a
//! line `...` for any number of lines (an abridged output).
//!
//! Each page runs in a fresh directory holding copies of `sample-data/` and `pipeline/`,
//! so a page's commands may use what its earlier commands wrote; the municipality's page
//! continues the README's tour in the README's directory. `$ cat FILE` shows a file the
//! page's commands wrote (read in-process: only `urval` and `cat` are run).
//!
//! When an output changes on purpose, `URVAL_BLESS=1 cargo test -p urval --test
//! readme_tour` writes the new outputs into the pages (lines with `[..]` that still match
//! are kept; `URVAL_BLESS=analyst` runs and rewrites only the pages whose path holds
//! `analyst`); read the diff before committing it.
//!
//! A small runner of its own rather than trycmd: the commands of a page share one
//! directory in order (a plan, then its draw, then its verify), and a page can continue
//! another's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::path::{Path, PathBuf};
use support::{root, urval};

/// Split a command line on spaces, keeping '…' and "…" together (the docs' commands need
/// no more of a shell than that).
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

/// One shown command: where its output stands in the page (lines `out.0..out.1`), the
/// command line, the exit code it must end with and the output shown.
#[derive(Debug)]
struct Step {
    line: usize,
    cmd: String,
    status: i32,
    out: (usize, usize),
    shown: Vec<String>,
}

/// A page's console blocks as steps, in order.
fn steps(page: &str) -> Vec<Step> {
    let lines: Vec<&str> = page.lines().collect();
    let mut steps: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```console" {
            i += 1;
            continue;
        }
        i += 1;
        while i < lines.len() && lines[i].trim_end() != "```" {
            let cmd_line = i;
            let first = lines[i]
                .strip_prefix("$ ")
                .unwrap_or_else(|| panic!("line {}: a console block starts with `$ `", i + 1));
            let mut cmd = first.trim_end_matches('\\').trim_end().to_string();
            let mut continued = first.ends_with('\\');
            i += 1;
            while continued && i < lines.len() {
                let part = lines[i].trim();
                continued = part.ends_with('\\');
                cmd.push(' ');
                cmd.push_str(part.trim_end_matches('\\').trim_end());
                i += 1;
            }
            let mut status = 0;
            if let Some(code) = lines.get(i).and_then(|l| l.strip_prefix("? ")) {
                status = code.trim().parse().unwrap_or_else(|_| {
                    panic!("line {}: `? N` wants an exit code, not {code:?}", i + 1)
                });
                i += 1;
            }
            let start = i;
            while i < lines.len() && !lines[i].starts_with("$ ") && lines[i].trim_end() != "```" {
                i += 1;
            }
            let shown = lines[start..i].iter().map(|l| l.to_string()).collect();
            steps.push(Step {
                line: cmd_line + 1,
                cmd,
                status,
                out: (start, i),
                shown,
            });
        }
        i += 1;
    }
    steps
}

/// Does a shown line match a printed one (`[..]` stands for any text)?
fn line_matches(shown: &str, got: &str) -> bool {
    let parts: Vec<&str> = shown.split("[..]").collect();
    if parts.len() == 1 {
        return shown == got;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !got.starts_with(first) || !got[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &got[first.len()..got.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The shown output with trailing blank lines left out.
fn trimmed(lines: &[String]) -> &[String] {
    let mut end = lines.len();
    while end > 0 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    &lines[..end]
}

fn output_matches(shown: &[String], got: &[String]) -> bool {
    lines_match(trimmed(shown), trimmed(got))
}

/// Line by line, a shown line `...` standing for any number of printed lines (an
/// abridged output, as in trycmd).
fn lines_match(shown: &[String], got: &[String]) -> bool {
    match shown.split_first() {
        None => got.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=got.len()).any(|skip| lines_match(rest, &got[skip..]))
        }
        Some((first, rest)) => {
            got.first().is_some_and(|g| line_matches(first, g)) && lines_match(rest, &got[1..])
        }
    }
}

/// A fresh directory holding copies of `sample-data/` and `pipeline/`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["sample-data", "pipeline"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for f in std::fs::read_dir(root().join(sub)).unwrap() {
            let path = f.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

/// Run one shown command in `dir`: (exit code, stdout and stderr lines, stderr).
fn run_step(dir: &Path, page: &str, step: &Step) -> (i32, Vec<String>, String) {
    let args = split_args(&step.cmd);
    let (code, stdout, stderr) = match args[0].as_str() {
        "urval" => {
            let out = urval()
                .current_dir(dir)
                .env("RAYON_NUM_THREADS", "2")
                .env("NO_COLOR", "1")
                // Plans record when they were made: a fixed time keeps plan.json, and the
                // commitment to its bytes, the same from run to run.
                .env("SOURCE_DATE_EPOCH", "1796115600")
                .args(&args[1..])
                .output()
                .unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        "cat" if args.len() == 2 => match std::fs::read_to_string(dir.join(&args[1])) {
            Ok(text) => (0, text, String::new()),
            Err(e) => (1, String::new(), e.to_string()),
        },
        _ => panic!(
            "{page}:{}: `$ {}` runs neither urval nor `cat FILE`",
            step.line, step.cmd
        ),
    };
    // What a terminal shows: the standard output, then the standard error (warnings, and
    // the one-line error of a command the page shows failing).
    let shown = stdout.lines().chain(stderr.lines()).map(str::to_string);
    (code, shown.collect(), stderr)
}

/// Run a page's steps in `dir`; with `bless`, the page's text with the printed outputs in
/// place of the shown ones, else the mismatches.
fn run_page(dir: &Path, page: &str, bless: bool) -> Result<Option<String>, Vec<String>> {
    let path = root().join(page);
    let text = std::fs::read_to_string(&path).unwrap();
    let steps = steps(&text);
    assert!(!steps.is_empty(), "{page} shows no console commands");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut problems = Vec::new();
    // Replacing from the last step keeps the earlier steps' line numbers valid.
    let mut replace: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for step in &steps {
        let (code, got, stderr) = run_step(dir, page, step);
        if code != step.status {
            problems.push(format!(
                "{page}:{}: `{}` exited {code}, the page says {}: {}",
                step.line, step.cmd, step.status, stderr
            ));
            continue;
        }
        if !output_matches(&step.shown, &got) {
            if bless {
                let blank_after = step.shown.len() > trimmed(&step.shown).len();
                let mut new = got.clone();
                while new.last().is_some_and(|l| l.trim().is_empty()) {
                    new.pop();
                }
                if blank_after {
                    new.push(String::new());
                }
                replace.push((step.out, new));
            } else {
                problems.push(format!(
                    "{page}:{}: `{}` prints\n{}\nbut {page} shows\n{}\n(run it and paste \
                     its output into {page}, or URVAL_BLESS=1)",
                    step.line,
                    step.cmd,
                    got.join("\n"),
                    step.shown.join("\n")
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if replace.is_empty() {
        return Ok(None);
    }
    for ((start, end), new) in replace.into_iter().rev() {
        lines.splice(start..end, new);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(Some(out))
}

/// The pages whose commands run, each group in one directory, in order.
fn page_groups() -> Vec<Vec<String>> {
    let mut groups = vec![vec![
        "README.md".to_string(),
        "docs/guide/municipality.md".to_string(),
    ]];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root().join("docs/guide"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    // The Python and Spark guides show Python, run by the Python package's tests
    // (crates/python/tests/test_guide.py).
    guides.retain(|g| {
        !std::fs::read_to_string(g)
            .unwrap()
            .contains("\n```python\n")
    });
    for g in guides {
        let name = format!("docs/guide/{}", g.file_name().unwrap().to_str().unwrap());
        if name != "docs/guide/municipality.md" {
            groups.push(vec![name]);
        }
    }
    groups
}

#[test]
fn every_documented_command_prints_what_the_docs_show() {
    // `URVAL_BLESS=1` rewrites every page; `URVAL_BLESS=analyst` only the groups of pages
    // whose path holds that text (and runs only those).
    let bless = std::env::var("URVAL_BLESS").ok();
    let only = bless.as_deref().filter(|b| *b != "1");
    let bless = bless.is_some();
    let mut problems = Vec::new();
    let mut count = 0;
    for group in page_groups() {
        if only.is_some_and(|o| !group.iter().any(|p| p.contains(o))) {
            continue;
        }
        let dir = workspace();
        for page in &group {
            count += steps(&std::fs::read_to_string(root().join(page)).unwrap()).len();
            match run_page(dir.path(), page, bless) {
                Ok(Some(text)) => std::fs::write(root().join(page), text).unwrap(),
                Ok(None) => {}
                Err(p) => problems.extend(p),
            }
        }
    }
    assert!(bless || count >= 40, "the docs show only {count} commands");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A `$ ` line outside a console block would be a command no test runs.
#[test]
fn every_shown_command_stands_in_a_console_block() {
    let mut pages = vec![root().join("README.md")];
    for dir in ["docs/guide", "docs"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "md") {
                pages.push(p);
            }
        }
    }
    let mut stray = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut fence: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            if let Some(info) = line.trim_start().strip_prefix("```") {
                fence = match fence {
                    None => Some(info.trim().to_string()),
                    Some(_) => None,
                };
                continue;
            }
            let in_console = fence.as_deref() == Some("console");
            if !in_console && line.trim_start().starts_with("$ urval") {
                stray.push(format!("{}:{}: {line}", page.display(), i + 1));
            }
        }
    }
    assert!(
        stray.is_empty(),
        "commands shown outside ```console blocks (not run by the tests):\n{}",
        stray.join("\n")
    );
}

#[test]
fn a_changed_output_is_caught() {
    let page = "```console\n$ urval size --margin 0.05 --population 767\nnot this\n```\n";
    let steps = steps(page);
    assert_eq!(steps.len(), 1);
    let dir = workspace();
    let (code, got, _) = run_step(dir.path(), "test", &steps[0]);
    assert_eq!(code, 0);
    assert!(!output_matches(&steps[0].shown, &got));
    assert!(line_matches(
        "took [..] s, [..] rows",
        "took 0.12 s, 700 rows"
    ));
    assert!(!line_matches("took [..] s", "took 0.12 ms!"));
    let v = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(output_matches(
        &v(&["a", "...", "d"]),
        &v(&["a", "b", "c", "d"])
    ));
    assert!(output_matches(&v(&["a", "...", "d"]), &v(&["a", "d"])));
    assert!(!output_matches(
        &v(&["a", "...", "d"]),
        &v(&["a", "b", "c"])
    ));
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
