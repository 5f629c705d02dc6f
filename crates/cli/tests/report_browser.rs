//! `urval report` end to end in a real browser: the seed's case (767 journals, ±5 points at
//! 95 % → 257 needed) rendered by headless Chromium in Swedish and English. The page must
//! load with no console message (the check is calibrated on a page that logs one), show the
//! key figures, and a screenshot of each is kept under target/tmp/ as an artifact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn chromium() -> PathBuf {
    if let Some(c) = std::env::var_os("URVAL_CHROMIUM") {
        return PathBuf::from(c);
    }
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = std::process::Command::new("which").arg(c).output() {
            if out.status.success() {
                return PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
            }
        }
    }
    panic!("no Chromium: `make test` installs Debian's chromium; or set URVAL_CHROMIUM");
}

/// Load a page in headless Chromium: its DOM after load, and the console messages.
fn load(page: &Path, screenshot: Option<&Path>) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1000,2400",
    ]);
    cmd.arg(format!("--user-data-dir={}", p(profile.path())));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", p(png))),
        None => cmd.arg("--dump-dom"),
    };
    cmd.arg(format!("file://{}", p(page)));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    // The serializer writes the no-break space of Swedish thousands as an entity.
    let dom = String::from_utf8(out.stdout)
        .unwrap()
        .replace("&nbsp;", "\u{a0}");
    (dom, console)
}

#[test]
fn the_report_renders_in_chromium_with_its_key_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The check can fail: a page that logs to the console is caught.
    let bad = d.join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><script>console.error('calibration')</script></body></html>",
    )
    .unwrap();
    let (_, console) = load(&bad, None);
    assert!(
        console.iter().any(|l| l.contains("calibration")),
        "console messages are not seen: {console:?}"
    );

    let extract = d.join("journals.csv");
    let mut text = String::from("case_id,municipality_code,area,pages\n");
    for i in 1..=767 {
        text.push_str(&format!("J-{i:04},0180,aldre,300\n"));
    }
    std::fs::write(&extract, text).unwrap();
    let plan = d.join("plan.json");
    let manifest = d.join("manifest.csv");
    urval()
        .args([
            "plan",
            "--extract",
            p(&extract),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--margin",
            "0.05",
            "--pages-column",
            "pages",
            "--requested",
            "767",
            "-o",
            p(&plan),
        ])
        .assert()
        .success();
    urval()
        .args([
            "draw",
            "--extract",
            p(&extract),
            "--plan",
            p(&plan),
            "--seed",
            "20261123",
            "-o",
            p(&manifest),
        ])
        .assert()
        .success();
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (lang, figures) in [
        (
            "sv",
            [
                "257",
                "767",
                "510",
                "153\u{a0}000",
                "13,8",
                "Hur många akter behövs?",
            ],
        ),
        (
            "en",
            [
                "257",
                "767",
                "510",
                "153,000",
                "13.8",
                "How many records are needed?",
            ],
        ),
    ] {
        let html = d.join(format!("report-{lang}.html"));
        urval()
            .args([
                "report",
                "--plan",
                p(&plan),
                "--manifest",
                p(&manifest),
                "--lang",
                lang,
                "-o",
                p(&html),
            ])
            .assert()
            .success();
        let source = std::fs::read_to_string(&html).unwrap();
        assert!(source.contains(&format!("<html lang=\"{lang}\">")));
        assert!(
            !source.contains("<script") && !source.contains("src=") && !source.contains("url("),
            "the page loads nothing"
        );
        let (dom, console) = load(&html, None);
        assert!(console.is_empty(), "{lang}: console messages: {console:?}");
        for f in figures {
            assert!(dom.contains(f), "{lang}: {f:?} is not in the rendered page");
        }
        assert!(dom.contains("<svg"), "{lang}: no plot");
        assert!(
            dom.contains("urval verify --extract"),
            "{lang}: no verify command"
        );
        let png = artifacts.join(format!("report-{lang}.png"));
        let _ = std::fs::remove_file(&png);
        load(&html, Some(&png));
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
            "{lang}: screenshot"
        );
        eprintln!("screenshot: {}", png.display());
    }
}
