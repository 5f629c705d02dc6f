//! Golden outputs: the sample-data chain (plan, draw, census and sample indicators, a
//! domain plan) must produce exactly the files committed in `sample-data/golden/`. Any
//! change to a manifest or an indicator table then shows up as a diff to review, whatever
//! code moved. After an intended change, regenerate them with
//! `URVAL_BLESS=1 cargo test -p urval --test golden` and commit the diff with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{root, urval};

use std::path::Path;

fn run(dir: &Path, args: &[&str]) {
    let out = urval().current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "urval {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// plan.json without what depends on where and when it was made (its time, the version,
/// the path the extract was given by).
fn plan_without_context(path: &Path) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("created");
    o.remove("urval_version");
    for f in o["extract"]["files"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("path");
    }
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[test]
fn the_sample_data_chain_gives_the_committed_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = root().join("sample-data");
    for f in ["cases.parquet", "cases.csv"] {
        std::fs::copy(data.join(f), d.join(f)).unwrap();
    }
    std::fs::copy(
        root().join("pipeline/indicators.toml"),
        d.join("indicators.toml"),
    )
    .unwrap();
    run(
        d,
        &[
            "plan",
            "--extract",
            "cases.parquet",
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--where",
            "area = 'aldre'",
            "--margin",
            "0.03",
            "--allocation",
            "proportional",
            "--min",
            "2",
            "--pages-column",
            "pages",
            "--requested",
            "2000",
            "-o",
            "plan.json",
        ],
    );
    run(
        d,
        &[
            "draw",
            "--extract",
            "cases.parquet",
            "--plan",
            "plan.json",
            "--seed",
            "20261123",
            "--include",
            "sex,opened_date,pages",
            "-o",
            "manifest.csv",
        ],
    );
    run(
        d,
        &[
            "plan",
            "--extract",
            "cases.csv",
            "--key",
            "case_id",
            "--strata",
            "area",
            "--margin",
            "0.05",
            "--allocation",
            "domain",
            "-o",
            "plan-area.json",
        ],
    );
    run(
        d,
        &[
            "draw",
            "--extract",
            "cases.csv",
            "--plan",
            "plan-area.json",
            "--seed",
            "7",
            "-o",
            "manifest-area.csv",
        ],
    );
    run(
        d,
        &[
            "indicators",
            "--extract",
            "cases.parquet",
            "--spec",
            "indicators.toml",
            "--by",
            "area",
            "-o",
            "census.csv",
        ],
    );
    run(
        d,
        &[
            "indicators",
            "--extract",
            "cases.parquet",
            "--manifest",
            "manifest-area.csv",
            "--spec",
            "indicators.toml",
            "--by",
            "area,sex",
            "-o",
            "sample.csv",
        ],
    );
    let outputs: Vec<(&str, String)> = vec![
        ("plan.json", plan_without_context(&d.join("plan.json"))),
        (
            "manifest.csv",
            std::fs::read_to_string(d.join("manifest.csv")).unwrap(),
        ),
        (
            "plan-area.json",
            plan_without_context(&d.join("plan-area.json")),
        ),
        (
            "manifest-area.csv",
            std::fs::read_to_string(d.join("manifest-area.csv")).unwrap(),
        ),
        (
            "census.csv",
            std::fs::read_to_string(d.join("census.csv")).unwrap(),
        ),
        (
            "sample.csv",
            std::fs::read_to_string(d.join("sample.csv")).unwrap(),
        ),
    ];
    let golden = root().join("sample-data/golden");
    let bless = std::env::var_os("URVAL_BLESS").is_some();
    let mut differ = Vec::new();
    for (name, text) in &outputs {
        let path = golden.join(name);
        if bless {
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing: run with URVAL_BLESS=1", path.display()));
        if &want != text {
            let line = want
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or(want.lines().count().min(text.lines().count()) + 1, |i| {
                    i + 1
                });
            differ.push(format!("{name} (first difference at line {line})"));
        }
    }
    assert!(
        differ.is_empty(),
        "outputs differ from sample-data/golden: {}; review, then URVAL_BLESS=1 if intended",
        differ.join(", ")
    );
}
