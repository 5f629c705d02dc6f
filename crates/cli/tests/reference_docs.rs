//! The generated reference in `docs/reference/` must match the code: the flags reference
//! (`cli.md`) and the man pages (`man/urval*.1`) as `urval reference` writes them, and the
//! JSON Schemas of the artifacts (`schema/*.json`) from their types. After a change to a
//! flag, a help text or an artifact type, regenerate them with
//! `URVAL_BLESS=1 cargo test -p urval --test reference_docs` and commit the diff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{root, urval};

use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
}

/// What docs/reference/ should hold of the generated files (hand-written pages such as
/// statistics.md are not in it).
fn generated() -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out = urval().arg("reference").arg(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "urval reference: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = BTreeMap::new();
    files_under(dir.path(), dir.path(), &mut files);
    for (name, text) in urval_ops::schema::all() {
        files.insert(format!("schema/{name}"), text.into_bytes());
    }
    files
}

/// Whether `rel` is a file this test generates (cli.md, man/, schema/).
fn is_generated(rel: &str) -> bool {
    rel == "cli.md" || rel.starts_with("man/") || rel.starts_with("schema/")
}

#[test]
fn the_committed_reference_matches_the_code() {
    let reference = root().join("docs/reference");
    let want = generated();
    if std::env::var_os("URVAL_BLESS").is_some() {
        let mut old = BTreeMap::new();
        files_under(&reference, &reference, &mut old);
        for rel in old
            .keys()
            .filter(|r| is_generated(r) && !want.contains_key(*r))
        {
            std::fs::remove_file(reference.join(rel)).unwrap();
        }
        for (rel, bytes) in &want {
            let path = reference.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        return;
    }
    let mut have = BTreeMap::new();
    files_under(&reference, &reference, &mut have);
    have.retain(|rel, _| is_generated(rel));
    let mut differ = Vec::new();
    for (rel, bytes) in &want {
        match have.get(rel) {
            None => differ.push(format!("{rel} (missing)")),
            Some(old) if old != bytes => {
                let (a, b) = (String::from_utf8_lossy(old), String::from_utf8_lossy(bytes));
                let line = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .map_or(a.lines().count().min(b.lines().count()) + 1, |i| i + 1);
                differ.push(format!("{rel} (first difference at line {line})"));
            }
            Some(_) => {}
        }
    }
    for rel in have.keys().filter(|r| !want.contains_key(*r)) {
        differ.push(format!("{rel} (no longer generated)"));
    }
    assert!(
        differ.is_empty(),
        "docs/reference/ is out of date: {}; regenerate with \
         `URVAL_BLESS=1 cargo test -p urval --test reference_docs` and commit the diff",
        differ.join(", ")
    );
}

#[test]
fn completions_are_printed_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef urval"),
        ("fish", "complete -c urval"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = urval().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        assert!(text.contains("indicators"), "{shell}: no subcommands");
        assert!(
            !text.contains("urval__reference") && !text.contains("urval reference"),
            "{shell}: the hidden command is listed"
        );
    }
}
