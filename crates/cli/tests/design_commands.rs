//! CLI tests for `urval size`, `urval evaluate` and `urval allocate` on real arguments and files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{refused, urval};

use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn json(args: &[&str]) -> Value {
    let out = urval()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sample_data(name: &str) -> String {
    let mut p = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    p.pop();
    p.pop();
    p.push("sample-data");
    p.push(name);
    p.to_string_lossy().into_owned()
}

#[test]
fn size_share_seed_case() {
    let v = json(&[
        "size",
        "--margin",
        "0.05",
        "--confidence",
        "0.95",
        "--population",
        "767",
        "--requested",
        "767",
    ]);
    assert_eq!(v["n"], 257);
    assert!((v["n0"].as_f64().unwrap() - 384.1459).abs() < 1e-3);
    assert_eq!(v["burden"]["records"], 257);
    assert_eq!(v["burden"]["pages"], 77100.0);
    assert_eq!(v["requested"]["surplus_records"], 510);
    assert_eq!(v["requested"]["surplus_pages"], 153000.0);
    let days = v["requested"]["surplus_working_days"].as_f64().unwrap();
    assert!((days - 13.8125).abs() < 1e-9, "{days}");
    assert_eq!(v["requested"]["margin_at_requested"], 0.0);
    assert_eq!(
        json(&["size", "--margin", "0.10", "--population", "767"])["n"],
        86
    );
    assert_eq!(json(&["size", "--margin", "5%"])["n"], 385);
}

#[test]
fn size_share_text_names_the_statistic() {
    urval()
        .args([
            "size",
            "--margin",
            "0.05",
            "--population",
            "767",
            "--requested",
            "767",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Cochran with the finite population correction",
        ))
        .stdout(predicate::str::contains("records needed n    257"))
        .stdout(predicate::str::contains(
            "510 records, 153,000 pages, 13.8 working days",
        ));
}

#[test]
fn size_attribute_aicpa() {
    assert_eq!(
        json(&[
            "size",
            "--tolerable-rate",
            "0.05",
            "--expected-deviations",
            "0"
        ])["n"],
        59
    );
    assert_eq!(
        json(&[
            "size",
            "--tolerable-rate",
            "0.10",
            "--expected-deviations",
            "0"
        ])["n"],
        29
    );
    let v = json(&["size", "--tolerable-rate", "0.10", "--population", "767"]);
    assert_eq!(v["n"], 28);
    assert_eq!(v["likelihood"], "hypergeometric");
    assert_eq!(v["n0"], 29.0);
    let v = json(&[
        "size",
        "--tolerable-rate",
        "0.05",
        "--likelihood",
        "poisson",
    ]);
    assert_eq!(v["n"], 60);
    let v = json(&[
        "size",
        "--tolerable-rate",
        "0.05",
        "--expected-rate",
        "0.01",
    ]);
    // K = ⌈n · 1 %⌉ = 1 for n ≤ 100, so the K = 1 size applies: 93.
    assert_eq!(v["n"], 93);
    assert_eq!(v["allowed_deviations"], 1);
    let v = json(&[
        "size",
        "--tolerable-rate",
        "0.05",
        "--expected-rate",
        "0.02",
    ]);
    let (n, k) = (
        v["n"].as_u64().unwrap(),
        v["allowed_deviations"].as_u64().unwrap(),
    );
    assert_eq!(k, (n as f64 * 0.02).ceil() as u64);
}

#[test]
fn size_attribute_unreachable_exits_2() {
    refused(
        &[
            "size",
            "--tolerable-rate",
            "0.01",
            "--expected-deviations",
            "1",
            "--population",
            "50",
        ],
        2,
        "no sample of at most N = 50",
    );
    refused(
        &[
            "size",
            "--tolerable-rate",
            "0.05",
            "--expected-rate",
            "0.06",
        ],
        2,
        "not below the tolerable rate",
    );
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        vec!["size", "--margin", "1.5"],
        vec!["size", "--margin", "0"],
        vec!["size", "--margin", "0.05", "--confidence", "1"],
        vec!["size", "--margin", "0.05", "--proportion", "1.2"],
        vec!["size", "--margin", "0.05", "--population", "0"],
        vec!["size", "--margin", "0.05", "--response-rate", "0"],
        vec!["evaluate", "--sample", "5", "--deviations", "6"],
        vec!["evaluate", "--sample", "0", "--deviations", "0"],
        vec![
            "evaluate",
            "--sample",
            "50",
            "--deviations",
            "1",
            "--population",
            "10",
        ],
    ] {
        let out = urval().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("urval: error:"), "{err}");
    }
    // Unknown methods and missing purposes are clap usage errors: exit 2 as well.
    urval()
        .args([
            "evaluate",
            "--sample",
            "5",
            "--deviations",
            "1",
            "--method",
            "bogus",
        ])
        .assert()
        .code(2);
    urval().args(["size"]).assert().code(2);
    urval()
        .args(["size", "--margin", "0.05", "--tolerable-rate", "0.1"])
        .assert()
        .code(2);
}

#[test]
fn evaluate_outputs_and_conclusion() {
    let v = json(&[
        "evaluate",
        "--sample",
        "29",
        "--deviations",
        "0",
        "--tolerable-rate",
        "0.10",
    ]);
    assert_eq!(v["lower"], 0.0);
    assert_eq!(v["conclusion"]["below_tolerable"], true);
    assert_eq!(v["method"], "clopper-pearson");
    // A conclusion that cannot be shown is a data finding: exit 1, with the same JSON.
    let out = urval()
        .args([
            "evaluate",
            "--sample",
            "29",
            "--deviations",
            "3",
            "--tolerable-rate",
            "10%",
        ])
        .args(["--method", "clopper-pearson", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["conclusion"]["below_tolerable"], false);
    assert!(v["lower"].as_f64().unwrap() < 0.1034 && v["upper"].as_f64().unwrap() > 0.1034);
    let v = json(&[
        "evaluate",
        "--sample",
        "20",
        "--deviations",
        "20",
        "--method",
        "jeffreys",
    ]);
    assert_eq!(v["upper"], 1.0);
    assert_eq!(v["upper_bound"], 1.0);
    let v = json(&[
        "evaluate",
        "--sample",
        "28",
        "--deviations",
        "0",
        "--population",
        "767",
        "--tolerable-rate",
        "0.1",
    ]);
    assert_eq!(v["upper_bound_method"], "hypergeometric");
    assert_eq!(v["upper_bound_count"], 76);
    urval()
        .args([
            "evaluate",
            "--sample",
            "29",
            "--deviations",
            "3",
            "--tolerable-rate",
            "0.1",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("cannot be shown"));
}

#[test]
fn allocate_from_file() {
    let strata = sample_data("strata.csv");
    let v = json(&[
        "allocate", "--strata", &strata, "--total", "600", "--method", "neyman", "--min", "30",
    ]);
    assert_eq!(v["total"], 600);
    let rows = v["strata"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let sum: u64 = rows.iter().map(|r| r["n"].as_u64().unwrap()).sum();
    assert_eq!(sum, 600);
    assert!(rows.iter().all(|r| r["n"].as_u64().unwrap() >= 30));
    assert!(rows.iter().any(|r| r["binding"] == "min"));
    let v = json(&[
        "allocate", "--strata", &strata, "--margin", "0.05", "--method", "domain",
    ]);
    for r in v["strata"].as_array().unwrap() {
        assert!(r["margin"].as_f64().unwrap() <= 0.05 + 1e-12);
    }
    urval()
        .args([
            "allocate",
            "--strata",
            &strata,
            "--total",
            "600",
            "--method",
            "proportional",
            "--max",
            "100",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("the maximum of 100 binds"));
}

#[test]
fn allocate_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    refused(
        &[
            "allocate",
            "--strata",
            missing.to_str().unwrap(),
            "--total",
            "10",
            "--method",
            "equal",
        ],
        2,
        "cannot read",
    );
    let bad_col = dir.path().join("bad_col.csv");
    std::fs::write(&bad_col, "name;pop\na;10\n").unwrap();
    refused(
        &[
            "allocate",
            "--strata",
            bad_col.to_str().unwrap(),
            "--total",
            "10",
            "--method",
            "equal",
        ],
        2,
        "present: name, pop",
    );
    let bad_num = dir.path().join("bad_num.csv");
    std::fs::write(&bad_num, "\u{feff}stratum;population\nå;10\nä;tio\n").unwrap();
    refused(
        &[
            "allocate",
            "--strata",
            bad_num.to_str().unwrap(),
            "--total",
            "10",
            "--method",
            "equal",
        ],
        2,
        "line 3: column `population`",
    );
    let header_only = dir.path().join("header.csv");
    std::fs::write(&header_only, "stratum,population\n").unwrap();
    refused(
        &[
            "allocate",
            "--strata",
            header_only.to_str().unwrap(),
            "--total",
            "10",
            "--method",
            "equal",
        ],
        2,
        "no strata",
    );
    let ok = dir.path().join("ok.csv");
    std::fs::write(&ok, "stratum;population\nå;10\nä;30\n").unwrap();
    refused(
        &[
            "allocate",
            "--strata",
            ok.to_str().unwrap(),
            "--total",
            "10",
            "--method",
            "domain",
        ],
        2,
        "domain allocation needs a margin",
    );
    let v = json(&[
        "allocate",
        "--strata",
        ok.to_str().unwrap(),
        "--total",
        "8",
        "--method",
        "proportional",
    ]);
    assert_eq!(v["strata"][0]["n"], 2);
    assert_eq!(v["strata"][1]["n"], 6);
}

/// The audit's cases from the command line: a margin the caps cannot reach exits 1 with the
/// best margin; a margin the bounds make cheaper gets the smaller total, with the margin at
/// one record fewer as the evidence.
#[test]
fn allocate_margin_totals_are_the_smallest_or_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let u = dir.path().join("u.csv");
    std::fs::write(
        &u,
        "stratum,population,proportion\nA,319,0.05\nB,38,0.0\nC,1995,0.5\n",
    )
    .unwrap();
    let out = urval()
        .args([
            "allocate",
            "--strata",
            u.to_str().unwrap(),
            "--method",
            "neyman",
        ])
        .args(["--margin", "0.08", "--max", "100", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["margin_met"], false);
    assert_eq!(v["total"], 238);
    assert!(v["margin"].as_f64().unwrap() > 0.08);
    urval()
        .args([
            "allocate",
            "--strata",
            u.to_str().unwrap(),
            "--method",
            "neyman",
        ])
        .args(["--margin", "0.08", "--max", "100"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "No total within the bounds meets the margin",
        ));

    let v = json(&[
        "allocate",
        "--strata",
        &sample_data("strata.csv"),
        "--method",
        "equal",
        "--margin",
        "0.03",
        "--min",
        "30",
    ]);
    assert_eq!(v["total"], 1263);
    assert_eq!(v["target_total"], 1492);
    assert!(v["margin"].as_f64().unwrap() <= 0.03);
    assert!(v["margin_one_less"].as_f64().unwrap() > 0.03);
    assert_eq!(v["total_adjustment"]["kind"], "lowered_for_margin");
}

/// Rates as people write them: `5%`, `5 %`, `5,0 %`; a rate above 1 without `%` is refused in
/// one line with the likely meaning.
#[test]
fn rates_in_swedish_typography() {
    for m in ["0.05", "5%", "5 %", "5,0 %", "0,05"] {
        let v = json(&["size", "--margin", m, "--population", "767"]);
        assert_eq!(v["n"], 257, "{m}");
    }
    let out = urval()
        .args(["size", "--margin", "5", "--population", "767"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end(),
        "urval: error: margin must be in [0.000001, 1) (±0.0001 to ±100 points), got 5: did you mean 5 % (0.05)?"
    );
}

/// Inputs that would underflow or overflow the sizing are refused in one line (a margin of
/// 1e-160 once sized 767 journals as 1).
#[test]
fn absurd_margins_and_design_effects_are_refused() {
    for (args, want) in [
        (
            vec!["size", "--margin", "1e-160", "--population", "767"],
            "margin must be in",
        ),
        (vec!["size", "--margin", "1e-300"], "margin must be in"),
        (
            vec!["size", "--margin", "0.05", "--deff", "1e308"],
            "design effect must be",
        ),
        (
            vec!["size", "--tolerable-rate", "1e-9"],
            "tolerable rate must be in",
        ),
    ] {
        let out = urval().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // At the smallest margin accepted, a population is simply taken whole.
    let v = json(&["size", "--margin", "0.000001", "--population", "767"]);
    assert_eq!(v["n"], 767);
}

/// The report's margins are the design's: for plans with every allocation method and both
/// target kinds, every margin in the report's JSON is recomputed here from plan.json with
/// the design crate — the stratified margin at the needed and at the requested n_h (and at
/// sampled points of the curve, against `allocate` for that total) for an overall target,
/// every stratum's own margin for a domain target — and the method text names the
/// allocation actually used.
#[test]
fn report_margins_come_from_the_plans_design() {
    use urval_design::{
        allocate, share_margin, stratified_margin, AllocationMethod, AllocationSpec,
        AllocationTarget, StratumSpec,
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = sample_data("cases.parquet");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("proportional", vec!["--margin", "0.04"]),
        ("proportional", vec!["--total", "400"]),
        ("neyman", vec!["--margin", "0.04", "--proportion", "0.2"]),
        ("optimal", vec!["--total", "300", "--proportion", "0.3"]),
        ("equal", vec!["--margin", "0.05"]),
        ("equal", vec!["--total", "250", "--min", "3"]),
        ("domain", vec!["--margin", "0.15"]),
        ("domain", vec!["--margin", "0.2", "--max", "12"]),
    ];
    for (i, (method, target)) in cases.iter().enumerate() {
        let plan = d.join(format!("plan{i}.json"));
        let report = d.join(format!("report{i}.json"));
        let mut args = vec![
            "plan",
            "--extract",
            extract.as_str(),
            "--key",
            "case_id",
            "--strata",
            "area",
            "--where",
            "municipality_code < '0200'",
            "--allocation",
            method,
            "--requested",
            "700",
            "-o",
            plan.to_str().unwrap(),
        ];
        args.extend(target.iter().copied());
        urval().args(&args).assert().success();
        urval()
            .args([
                "report",
                "--plan",
                plan.to_str().unwrap(),
                "-o",
                report.to_str().unwrap(),
            ])
            .assert()
            .success();
        let p: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let design = &p["design"];
        let (z, prop, conf) = (
            design["z"].as_f64().unwrap(),
            design["proportion"].as_f64().unwrap(),
            design["confidence"].as_f64().unwrap(),
        );
        let strata: Vec<StratumSpec> = p["strata"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(k, s)| StratumSpec {
                name: k.to_string(),
                population: s["population"].as_u64().unwrap(),
                proportion: prop,
                cost: 1.0,
            })
            .collect();
        let needed: Vec<u64> = p["strata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["n"].as_u64().unwrap())
            .collect();
        let requested: Vec<u64> = r["strata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["requested"]["records"].as_u64().unwrap())
            .collect();
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-12,
                "{method} {target:?}: {what}: report {a}, design {b}"
            );
        };
        let curve = &r["curve"];
        if *method == "domain" {
            assert_eq!(r["precision"]["kind"], "per_stratum");
            let rows = r["precision"]["strata"].as_array().unwrap();
            assert_eq!(rows.len(), strata.len());
            let mut worst_needed: f64 = 0.0;
            for row in rows {
                let k = r["strata"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|s| s["label"] == row["label"])
                    .unwrap();
                let big = strata[k].population;
                let m = share_margin(needed[k], conf, prop, 1.0, Some(big));
                close(
                    row["needed_margin"].as_f64().unwrap(),
                    m,
                    "a stratum's needed margin",
                );
                worst_needed = worst_needed.max(m);
                if requested[k] > 0 {
                    let q = share_margin(requested[k], conf, prop, 1.0, Some(big));
                    close(
                        row["requested_margin"].as_f64().unwrap(),
                        q,
                        "a stratum's requested margin",
                    );
                }
            }
            close(
                curve["needed"][1].as_f64().unwrap(),
                worst_needed,
                "the worst needed margin",
            );
            // Worst first.
            let key: Vec<f64> = rows
                .iter()
                .map(|x| x["requested_margin"].as_f64().unwrap_or(f64::INFINITY))
                .collect();
            assert!(key.windows(2).all(|w| w[0] >= w[1]), "{key:?}");
        } else {
            assert_eq!(r["precision"]["kind"], "overall");
            close(
                curve["needed"][1].as_f64().unwrap(),
                stratified_margin(&strata, &needed, z).unwrap(),
                "the needed margin",
            );
            close(
                curve["requested"][1].as_f64().unwrap(),
                stratified_margin(&strata, &requested, z).unwrap(),
                "the requested margin",
            );
            let m = AllocationMethod::from_name(method).unwrap();
            let min = design["min"].as_u64();
            let max = design["max"].as_u64();
            let points = curve["points"].as_array().unwrap();
            for pt in points.iter().step_by(37) {
                let t = pt[0].as_u64().unwrap();
                let a = allocate(&AllocationSpec {
                    strata: strata.clone(),
                    target: AllocationTarget::Total(t),
                    method: m,
                    confidence: conf,
                    min: Some(urval_design::min_used(min, max, design["margin"].is_f64())),
                    max,
                })
                .unwrap();
                let counts: Vec<u64> = a.strata.iter().map(|x| x.n).collect();
                close(
                    pt[1].as_f64().unwrap(),
                    stratified_margin(&strata, &counts, z).unwrap(),
                    "a point of the curve",
                );
            }
        }
        let md = std::fs::read_to_string({
            let md = d.join(format!("report{i}.md"));
            urval()
                .args([
                    "report",
                    "--plan",
                    plan.to_str().unwrap(),
                    "--lang",
                    "en",
                    "-o",
                    md.to_str().unwrap(),
                ])
                .assert()
                .success();
            md
        })
        .unwrap();
        let named = urval_report_allocation_words(method);
        assert!(
            md.contains(named),
            "{method}: the method text does not name {named:?}"
        );
    }
}

/// How the English report names an allocation in its method text.
fn urval_report_allocation_words(method: &str) -> &'static str {
    match method {
        "domain" => "Every stratum is sized for its own margin",
        "proportional" => "proportional allocation",
        "neyman" => "Neyman",
        "optimal" => "optimal",
        _ => "equal",
    }
}

/// One municipality's report from the national plan: its strata only, the whole request
/// named in one line, and the letter's fields; a part or a date that is not there is an
/// error.
#[test]
fn one_municipalitys_report_with_its_letter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = sample_data("cases.parquet");
    let plan = d.join("national.json");
    urval()
        .args([
            "plan",
            "--extract",
            extract.as_str(),
            "--key",
            "case_id",
            "--strata",
            "municipality_code,area",
            "--where",
            "municipality_code < '0200'",
            "--allocation",
            "domain",
            "--margin",
            "0.2",
            "--requested",
            "900",
            "-o",
            plan.to_str().unwrap(),
        ])
        .assert()
        .success();
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let mine: Vec<&Value> = p["strata"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["values"]["municipality_code"] == "0180")
        .collect();
    assert!(mine.len() >= 2);
    let report = d.join("stockholm.json");
    urval()
        .args([
            "report",
            "--plan",
            plan.to_str().unwrap(),
            "--only",
            "municipality_code=0180",
            "--recipient",
            "Socialnämnden",
            "--case-number",
            "3.1-1/2026",
            "--sender",
            "Tillsynen",
            "--purpose",
            "Hörs barnen?",
            "--date",
            "2026-11-24",
            "-o",
            report.to_str().unwrap(),
        ])
        .assert()
        .success();
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["strata"].as_array().unwrap().len(), mine.len());
    let needed: u64 = mine.iter().map(|s| s["n"].as_u64().unwrap()).sum();
    let population: u64 = mine.iter().map(|s| s["population"].as_u64().unwrap()).sum();
    assert_eq!(r["total"]["needed"]["records"], needed);
    assert_eq!(r["total"]["population"], population);
    assert_eq!(r["scope"]["label"], "Stockholm (0180)");
    assert_eq!(r["scope"]["needed"], p["total_n"]);
    assert_eq!(r["scope"]["requested"], 900);
    assert_eq!(r["letter"]["date"], "24 november 2026");
    assert_eq!(r["letter"]["recipient"], "Socialnämnden");
    let md = d.join("stockholm.md");
    urval()
        .args([
            "report",
            "--plan",
            plan.to_str().unwrap(),
            "--only",
            "municipality_code=0180",
            "--lang",
            "en",
            "--date",
            "2026-07-01",
            "-o",
            md.to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("Date: 1 July 2026"), "{text}");
    assert!(
        text.contains("This report is for Stockholm (0180)"),
        "{text}"
    );
    for (flag, value, message) in [
        (
            "--only",
            "municipality_code=9999",
            "no stratum of the plan has municipality_code=9999",
        ),
        ("--only", "län=01", "is not a strata column"),
        ("--date", "2026-02-30", "give a date as YYYY-MM-DD"),
    ] {
        urval()
            .args([
                "report",
                "--plan",
                plan.to_str().unwrap(),
                flag,
                value,
                "-o",
                md.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

/// Pages and working days are computed once: plan.json's needed and requested burden equal
/// the report's totals to the last bit, with measured pages per stratum and without.
#[test]
fn plan_and_report_give_the_same_burden() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = sample_data("cases.parquet");
    for (i, pages) in [None, Some("pages")].into_iter().enumerate() {
        let plan = d.join(format!("plan{i}.json"));
        let report = d.join(format!("report{i}.json"));
        let mut args = vec![
            "plan",
            "--extract",
            extract.as_str(),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--where",
            "area = 'aldre'",
            "--margin",
            "0.03",
            "--requested",
            "2000",
            "-o",
            plan.to_str().unwrap(),
        ];
        if let Some(c) = pages {
            args.extend(["--pages-column", c]);
        }
        urval().args(&args).assert().success();
        urval()
            .args([
                "report",
                "--plan",
                plan.to_str().unwrap(),
                "-o",
                report.to_str().unwrap(),
            ])
            .assert()
            .success();
        let p: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        for (what, plan_side, report_side) in [
            ("needed", &p["burden"]["needed"], &r["total"]["needed"]),
            (
                "requested",
                &p["burden"]["requested"]["requested_burden"],
                &r["total"]["requested"],
            ),
        ] {
            for field in ["records", "pages", "working_days"] {
                assert_eq!(
                    plan_side[field], report_side[field],
                    "{what} {field} with pages {pages:?}"
                );
            }
        }
    }
}

/// `--labels FILE.csv` names stratum values (`Äldreomsorg (aldre)`), in a Windows-1252 `;`
/// file as municipalities export them; a value listed twice or a file without the two
/// columns is a one-line error.
#[test]
fn report_labels_name_stratum_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = sample_data("cases.parquet");
    let plan = d.join("plan.json");
    urval()
        .args([
            "plan",
            "--extract",
            extract.as_str(),
            "--key",
            "case_id",
            "--strata",
            "area",
            "--total",
            "100",
            "-o",
            plan.to_str().unwrap(),
        ])
        .assert()
        .success();
    let labels = d.join("etiketter.csv");
    let text = "value;label\r\naldre;Äldreomsorg\r\nbarn_unga;Barn och unga\r\n";
    std::fs::write(&labels, encoding_rs::WINDOWS_1252.encode(text).0).unwrap();
    let report = d.join("r.json");
    urval()
        .args([
            "report",
            "--plan",
            plan.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "-o",
            report.to_str().unwrap(),
        ])
        .assert()
        .success();
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let names: Vec<&str> = r["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Äldreomsorg (aldre)")
            && names.contains(&"Barn och unga (barn_unga)")
            && names.contains(&"missbruk"),
        "{names:?}"
    );
    for (body, message) in [
        (
            "value,label\naldre,A\naldre,B\n",
            "line 3: value \"aldre\" is listed twice",
        ),
        ("kod,namn\n", "no column \"value\""),
    ] {
        std::fs::write(&labels, body).unwrap();
        urval()
            .args([
                "report",
                "--plan",
                plan.to_str().unwrap(),
                "--labels",
                labels.to_str().unwrap(),
                "-o",
                report.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

/// A strata column of county codes shows the counties' names, and one that only looks like
/// codes (a value that is no county) keeps its values.
#[test]
fn report_names_counties() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = d.join("ärenden.csv");
    let mut text = String::from("ärende_id;län;grupp\r\n");
    for i in 0..300 {
        let lan = ["01", "05", "25"][i % 3];
        let grupp = ["05", "99"][i % 2];
        text.push_str(&format!("Ä-{i:04};{lan};{grupp}\r\n"));
    }
    std::fs::write(&extract, encoding_rs::WINDOWS_1252.encode(&text).0).unwrap();
    let plan = d.join("plan.json");
    urval()
        .args([
            "plan",
            "--extract",
            extract.to_str().unwrap(),
            "--key",
            "ärende_id",
            "--strata",
            "län,grupp",
            "--total",
            "60",
            "-o",
            plan.to_str().unwrap(),
        ])
        .assert()
        .success();
    let report = d.join("r.json");
    urval()
        .args([
            "report",
            "--plan",
            plan.to_str().unwrap(),
            "-o",
            report.to_str().unwrap(),
        ])
        .assert()
        .success();
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let names: Vec<&str> = r["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    for want in [
        "Stockholms län (01), 05",
        "Östergötlands län (05), 99",
        "Norrbottens län (25), 05",
    ] {
        assert!(names.contains(&want), "{want:?} not in {names:?}");
    }
}

/// `urval size --stages 2`: the plan's stages, its exact risk within 1 − C (recomputed here
/// from the binomial pmf over both stages), fewer records on average at the expected rate
/// than the single stage, and a one-line error for what a two-stage plan does not take.
#[test]
fn size_a_two_stage_attribute_plan() {
    let out = urval()
        .args([
            "size",
            "--tolerable-rate",
            "0.10",
            "--expected-rate",
            "0.02",
            "--stages",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let st = v["stages"].as_array().unwrap();
    let (n1, a1, r1) = (
        st[0]["n"].as_u64().unwrap(),
        st[0]["accept"].as_u64().unwrap(),
        st[0]["reject"].as_u64().unwrap(),
    );
    let (n2, a2) = (
        st[1]["n"].as_u64().unwrap(),
        st[1]["accept"].as_u64().unwrap(),
    );
    assert!(n2 > 0 && a1 < a2 && r1 == a2 + 1, "{v}");
    // Binomial pmf by logs.
    let pmf = |x: u64, n: u64, p: f64| -> f64 {
        let ln_c: f64 = (1..=x).map(|i| ((n - x + i) as f64 / i as f64).ln()).sum();
        (ln_c + x as f64 * p.ln() + (n - x) as f64 * (1.0 - p).ln()).exp()
    };
    let cdf = |k: u64, n: u64, p: f64| (0..=k.min(n)).map(|x| pmf(x, n, p)).sum::<f64>();
    let accept = |p: f64| {
        cdf(a1, n1, p)
            + (a1 + 1..r1)
                .map(|x| pmf(x, n1, p) * cdf(a2 - x, n2, p))
                .sum::<f64>()
    };
    let risk = v["risk"].as_f64().unwrap();
    assert!(
        (accept(0.10) - risk).abs() < 1e-9 && risk <= 0.05 * (1.0 + 1e-10),
        "{v}"
    );
    let single = v["single_stage_n"].as_u64().unwrap();
    assert_eq!(single, 46, "AICPA: T = 10 %, one deviation → 46");
    let asn = v["expected_records"]["expected"].as_f64().unwrap();
    let cont: f64 = (a1 + 1..r1).map(|x| pmf(x, n1, 0.02)).sum();
    assert!((asn - (n1 as f64 + n2 as f64 * cont)).abs() < 1e-9);
    assert!(asn < single as f64);
    assert!(accept(0.02) + 1e-9 >= v["single_stage_accept_at_expected"].as_f64().unwrap());
    assert_eq!(v["expected_records"]["zero"].as_f64(), Some(n1 as f64));

    urval()
        .args([
            "size",
            "--tolerable-rate",
            "0.1",
            "--stages",
            "2",
            "--expected-deviations",
            "1",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "--stages 2 takes --expected-rate",
        ));
    urval()
        .args(["size", "--tolerable-rate", "0.1", "--max-first", "10"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("add --stages 2"));
}
