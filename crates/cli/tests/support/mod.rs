//! Running the `urval` binary from the CLI tests: one definition of the helpers the test
//! files share.
#![allow(dead_code, clippy::unwrap_used)]

use assert_cmd::Command;
use std::path::Path;

/// The binary under test.
pub fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

/// Run `urval ARGS`: it must exit with `code` and say `says` on stderr.
pub fn refused(args: &[&str], code: i32, says: &str) {
    let out = urval().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "urval {args:?}: {err}");
    assert!(
        err.contains(says),
        "urval {args:?}: {err:?} does not say {says:?}"
    );
}

/// Run with `threads` rayon threads; panics (with stderr) unless it exits 0; stdout.
pub fn run_threads(args: &[&str], threads: &str) -> String {
    let out = urval()
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "urval {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Run with 2 threads; panics unless it exits 0; stdout.
pub fn run_ok(args: &[&str]) -> String {
    run_threads(args, "2")
}

/// Run; (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = urval().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The repository's root (sample-data/, pipeline/).
pub fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path as the `&str` an argument list takes.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A generated extract of 20,000 rows (`urval generate --seed SEED`, row groups of 4,096)
/// in Parquet and the same rows in CSV, in a temporary directory.
pub struct Fixture {
    /// The directory (removed when dropped).
    pub dir: tempfile::TempDir,
    /// cases.parquet.
    pub parquet: std::path::PathBuf,
    /// cases.csv.
    pub csv: std::path::PathBuf,
}

/// [`Fixture`] with a seed.
pub fn generated(seed: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("cases.parquet");
    let csv = dir.path().join("cases.csv");
    let seed = seed.to_string();
    for out in [&parquet, &csv] {
        run_ok(&[
            "generate",
            "--rows",
            "20000",
            "--seed",
            &seed,
            "--row-group-size",
            "4096",
            "-o",
            p(out),
        ]);
    }
    Fixture { dir, parquet, csv }
}
