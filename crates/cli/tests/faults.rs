//! Faults: `urval draw` killed at any moment leaves either the previous manifest or the
//! complete new one — never a partial file — and the next run cleans up after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::cargo::CommandCargoExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

fn ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_killed_draw_leaves_the_previous_manifest_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = d.join("cases.csv");
    let plan = d.join("plan.json");
    ok(urval().args([
        "generate",
        "--rows",
        "300000",
        "--seed",
        "3",
        "-o",
        p(&extract),
    ]));
    ok(urval().args([
        "plan",
        "--extract",
        p(&extract),
        "--key",
        "case_id",
        "--strata",
        "municipality_code,area",
        "--total",
        "60000",
        "-o",
        p(&plan),
    ]));
    let manifest = d.join("manifest.csv");
    let draw = |seed: &str| {
        let mut c = urval();
        c.args([
            "draw",
            "--extract",
            p(&extract),
            "--plan",
            p(&plan),
            "--seed",
            seed,
            "--include",
            "sex,opened_date",
            "-o",
            p(&manifest),
        ]);
        c
    };
    ok(&mut draw("1"));
    let old = std::fs::read(&manifest).unwrap();
    // The complete output of seed 2, made elsewhere for comparison.
    ok(&mut draw("2"));
    let new = std::fs::read(&manifest).unwrap();
    assert_ne!(old, new);
    std::fs::write(&manifest, &old).unwrap();

    // Kill draws of seed 2 at increasing delays: each time the manifest is exactly the old
    // or exactly the new one.
    let mut saw_old = false;
    for delay_ms in [0u64, 20, 60, 120, 200, 300, 450, 700] {
        let mut child = draw("2")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(delay_ms) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(&manifest).unwrap();
        assert!(
            now == old || now == new,
            "a partial manifest after a kill at {delay_ms} ms"
        );
        saw_old |= now == old;
        std::fs::write(&manifest, &old).unwrap();
    }
    assert!(saw_old, "no kill landed before the rename");
    // A complete run afterwards succeeds and leaves no temporary files behind.
    ok(&mut draw("2"));
    assert_eq!(std::fs::read(&manifest).unwrap(), new);
    let leftovers: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
