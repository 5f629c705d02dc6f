//! CLI tests for staged requests (issue: ask for the first stage only, extend without
//! re-drawing): `urval plan --stages 2`, `urval draw --stage 1|2 --previous`, `urval verify`
//! of each stage and `urval evaluate --plan --stage`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{generated, p, read_json, run, run_ok, run_threads, Fixture};

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The extract of these tests.
fn fixture() -> Fixture {
    generated(11)
}

/// A CSV manifest's records as (stratum values, key), its strata columns after the key up
/// to `prn`.
fn records(path: &Path) -> BTreeSet<(Vec<String>, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let prn = header.iter().position(|h| *h == "prn").unwrap();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[1..prn].iter().map(|s| s.to_string()).collect(),
                f[0].to_string(),
            )
        })
        .collect()
}

fn per_stratum(set: &BTreeSet<(Vec<String>, String)>) -> BTreeMap<Vec<String>, u64> {
    let mut m = BTreeMap::new();
    for (v, _) in set {
        *m.entry(v.clone()).or_insert(0) += 1;
    }
    m
}

/// The plan's strata as (values in column order) → (n_stage1, n).
fn plan_strata(plan: &Value) -> BTreeMap<Vec<String>, (u64, u64)> {
    let cols: Vec<&str> = plan["strata_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    plan["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                cols.iter()
                    .map(|c| s["values"][c].as_str().unwrap().to_string())
                    .collect(),
                (s["n_stage1"].as_u64().unwrap(), s["n"].as_u64().unwrap()),
            )
        })
        .collect()
}

/// Stage 1 ∪ stage 2 is the one-stage draw of the full plan, stratum by stratum, whatever
/// the thread count and input format; the stage-1 draw is exactly n_stage1 per stratum; both
/// stages verify; a previous manifest that is not the first stage is refused (exit 2, naming
/// the record); a stage-2 manifest is not a sample for the indicators.
#[test]
fn stages_nest_and_verify() {
    let f = fixture();
    let d = f.dir.path();
    for (name, first) in [
        ("fraction", vec![]),
        ("fraction30", vec!["--first-fraction", "0.3"]),
        ("margin", vec!["--first-margin", "0.25"]),
    ] {
        let plan = d.join(format!("{name}.json"));
        let mut args = vec![
            "plan",
            "--extract",
            p(&f.parquet),
            "--key",
            "case_id",
            "--strata",
            "municipality_code,area",
            "--margin",
            "0.15",
            "--allocation",
            "domain",
            "--stages",
            "2",
            "-o",
            p(&plan),
        ];
        args.extend_from_slice(&first);
        let text = run_ok(&args);
        assert!(text.contains("stage 1 "), "{text}");
        let v = read_json(&plan);
        let st = &v["design"]["stages"];
        let strata = plan_strata(&v);
        let n1_sum: u64 = strata.values().map(|s| s.0).sum();
        assert_eq!(st["n_stage1"].as_u64().unwrap(), n1_sum);
        assert_eq!(
            st["n_stage2"].as_u64().unwrap() + n1_sum,
            v["total_n"].as_u64().unwrap()
        );
        for (values, (n1, n)) in &strata {
            assert!(n1 <= n, "{values:?}");
            match name {
                "fraction" => assert_eq!(*n1, n.div_ceil(2), "{values:?}"),
                "fraction30" => assert_eq!(*n1, (3 * n).div_ceil(10), "{values:?}"),
                _ => {}
            }
        }
        assert!(n1_sum < v["total_n"].as_u64().unwrap());
        let m1 = st["margin_stage1"].as_f64().unwrap();
        assert!(m1 > v["design"]["margin_achieved"].as_f64().unwrap());

        let s1 = d.join(format!("{name}-s1.csv"));
        let s2 = d.join(format!("{name}-s2.csv"));
        let all = d.join(format!("{name}-all.csv"));
        let common = ["--plan", p(&plan), "--seed", "20261124"];
        let mut a1 = vec![
            "draw",
            "--extract",
            p(&f.parquet),
            "--stage",
            "1",
            "-o",
            p(&s1),
        ];
        a1.extend_from_slice(&common);
        run_threads(&a1, "1");
        let mut a2 = vec![
            "draw",
            "--extract",
            p(&f.csv),
            "--stage",
            "2",
            "--previous",
            p(&s1),
            "-o",
            p(&s2),
        ];
        a2.extend_from_slice(&common);
        let out2 = run_threads(&a2, "4");
        assert!(out2.contains("stage 2 of 2"), "{out2}");
        let mut a3 = vec!["draw", "--extract", p(&f.parquet), "-o", p(&all)];
        a3.extend_from_slice(&common);
        run_threads(&a3, "2");
        let (r1, r2, rall) = (records(&s1), records(&s2), records(&all));
        assert!(r1.is_disjoint(&r2), "{name}: a record in both stages");
        let union: BTreeSet<_> = r1.union(&r2).cloned().collect();
        assert_eq!(
            union, rall,
            "{name}: stage 1 ∪ stage 2 is not the full draw"
        );
        let (c1, c2) = (per_stratum(&r1), per_stratum(&r2));
        for (values, (n1, n)) in &strata {
            assert_eq!(c1.get(values).copied().unwrap_or(0), *n1, "{values:?}");
            assert_eq!(c2.get(values).copied().unwrap_or(0), n - n1, "{values:?}");
        }
        let side = read_json(&d.join(format!("{name}-s2.csv.draw.json")));
        assert_eq!(side["stage"]["stage"], 2);
        assert_eq!(side["stage"]["previous"], format!("{name}-s1.csv"));
        assert_eq!(
            side["stage"]["selected_through_stage"].as_u64().unwrap(),
            rall.len() as u64
        );
        assert_eq!(side["selected"].as_u64().unwrap(), r2.len() as u64);
        let md = d.join(format!("{name}.md"));
        run_ok(&["report", "--plan", p(&plan), "--lang", "en", "-o", p(&md)]);
        let report = std::fs::read_to_string(&md).unwrap();
        let records = st["burden_stage1"]["records"].as_u64().unwrap();
        let en = if records >= 1000 {
            format!("{},{:03}", records / 1000, records % 1000)
        } else {
            records.to_string()
        };
        assert!(
            report.contains(&format!("| Stage 1: requested now | {en} |"))
                && report.contains("after stage 1 every stratum's margin is at most"),
            "{report}"
        );
        for (m, stage) in [(&s1, "stage 1 of 2"), (&s2, "stage 2 of 2")] {
            let out = run_ok(&[
                "verify",
                "--extract",
                p(&f.parquet),
                "--plan",
                p(&plan),
                "--manifest",
                p(m),
            ]);
            assert!(out.starts_with("identical") && out.contains(stage), "{out}");
        }
    }

    // The wrong first stage: drawn with another seed.
    let plan = d.join("fraction.json");
    let other = d.join("other-s1.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "5",
        "--stage",
        "1",
        "-o",
        p(&other),
    ]);
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "20261124",
        "--stage",
        "2",
        "--previous",
        p(&other),
        "-o",
        p(&d.join("bad-s2.csv")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not this plan's first stage") && err.contains("record "),
        "{err}"
    );
    assert!(!d.join("bad-s2.csv").exists());
    // One record removed from the right first stage: that record is named.
    let s1 = d.join("fraction-s1.csv");
    let text = std::fs::read_to_string(&s1).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let removed = lines.remove(5).split(',').next().unwrap().to_string();
    let edited = d.join("edited-s1.csv");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "20261124",
        "--stage",
        "2",
        "--previous",
        p(&edited),
        "-o",
        p(&d.join("bad-s2.csv")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("record {removed} ")) && err.contains("not in the manifest"),
        "{err}"
    );
    // A second stage needs its first; --stage needs a staged plan.
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "1",
        "--stage",
        "2",
        "-o",
        p(&d.join("x.csv")),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--previous"), "{err}");
    let single = d.join("single.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&f.parquet),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "40",
        "-o",
        p(&single),
    ]);
    assert!(read_json(&single)["design"].get("stages").is_none());
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&single),
        "--seed",
        "1",
        "--stage",
        "1",
        "-o",
        p(&d.join("x.csv")),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("one stage"), "{err}");
    // The stage-2 manifest alone is no sample to estimate from.
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"heard\"\nkind = \"share\"\nexpr = \"child_heard\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "indicators",
        "--extract",
        p(&f.parquet),
        "--spec",
        p(&spec),
        "--manifest",
        p(&d.join("fraction-s2.csv")),
        "-o",
        p(&d.join("ind.csv")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stage 2 adds"), "{err}");
}

/// An attribute plan in two stages: its rule and exact risk as `urval size` gives them for
/// the whole population (records added only if the stratified draw needs them), the risk of
/// the stratified draw within 1 − C, and `urval evaluate --plan --stage` prescribing the
/// plan's decision for every count, with a bound below T exactly when it accepts.
#[test]
fn an_attribute_plan_in_two_stages() {
    let f = fixture();
    let d = f.dir.path();
    let plan = d.join("attr.json");
    let text = run_ok(&[
        "plan",
        "--extract",
        p(&f.parquet),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--tolerable-rate",
        "0.10",
        "--expected-rate",
        "0.02",
        "--stages",
        "2",
        "-o",
        p(&plan),
    ]);
    assert!(text.contains("risk P(accept | T)"), "{text}");
    let v = read_json(&plan);
    let a = &v["design"]["stages"]["attribute"];
    let big = v["total_population"].as_u64().unwrap();
    let size: Value = serde_json::from_str(&run_ok(&[
        "size",
        "--tolerable-rate",
        "0.10",
        "--expected-rate",
        "0.02",
        "--stages",
        "2",
        "--population",
        &big.to_string(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(a["stages"][0], size["stages"][0]);
    assert_eq!(a["stages"][1]["accept"], size["stages"][1]["accept"]);
    let (n2, n2_size) = (
        a["stages"][1]["n"].as_u64().unwrap(),
        size["stages"][1]["n"].as_u64().unwrap(),
    );
    assert!(n2 >= n2_size);
    if n2 == n2_size {
        assert_eq!(a["risk"], size["risk"]);
    }
    assert!(a["risk"].as_f64().unwrap() <= 0.05);
    assert!(a["risk_stratified"].as_f64().unwrap() <= 0.05 + 1e-12);
    // The stratified risk is proven over every spread (exact, or a proven upper bound), and
    // the plan says how.
    let method = a["risk_stratified_method"].as_str().unwrap();
    let said = match method {
        "every_spread" => "(the worst spread of deviations over the strata)",
        "branch_and_bound" => "every spread, by branch and bound",
        "none_found" => "every spread, the worst filled in exactly",
        "upper_bound" => "a proven upper bound over every spread",
        other => panic!("risk_stratified_method {other}: not proven"),
    };
    assert!(text.contains(said), "{method}: {text}");
    assert_eq!(a["single_stage_n"], size["single_stage_n"]);
    let n1 = a["stages"][0]["n"].as_u64().unwrap();
    let (a1, r1, a2) = (
        a["stages"][0]["accept"].as_u64().unwrap(),
        a["stages"][0]["reject"].as_u64().unwrap(),
        a["stages"][1]["accept"].as_u64().unwrap(),
    );
    assert_eq!(v["design"]["stages"]["n_stage1"].as_u64().unwrap(), n1);
    assert_eq!(v["total_n"].as_u64().unwrap(), n1 + n2);
    assert!(
        a["expected_records"]["expected"].as_f64().unwrap()
            < a["single_stage_n"].as_u64().unwrap() as f64
    );

    // The report: stage 1 is the request, stage 2 conditional, the expected burden against
    // one stage; no share margin curve for an attribute plan.
    let md = d.join("attr.md");
    run_ok(&["report", "--plan", p(&plan), "-o", p(&md)]);
    let text = std::fs::read_to_string(&md).unwrap();
    let st = &v["design"]["stages"];
    let int = |x: u64| {
        let s = x.to_string();
        if s.len() > 3 {
            format!("{}\u{a0}{}", &s[..s.len() - 3], &s[s.len() - 3..])
        } else {
            s
        }
    };
    assert!(text.contains("## Begäran i två steg"), "{text}");
    assert!(
        text.contains(&format!(
            "| Steg 1: begärs nu | {} | {} |",
            st["burden_stage1"]["records"],
            int(st["burden_stage1"]["pages"].as_f64().unwrap() as u64)
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "| Steg 2: bara om det behövs | {} |",
        st["burden_stage2"]["records"]
    )));
    assert!(text.contains(&format!(
        "| En begäran i ett steg | {} |",
        a["single_stage_n"]
    )));
    assert!(text.contains("beräknad exakt över båda stegen"));
    assert!(!text.contains("Vad varje extra akt tillför"), "{text}");
    run_ok(&["report", "--plan", p(&plan), "--lang", "en", "-o", p(&md)]);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## A request in two stages"));
    assert!(text.contains("| Expected on average |"));
    assert!(text.contains("the share of records with a deviation is below 10.0%"));

    let eval = |args: &[&str]| -> (i32, Value) {
        let mut all = vec!["evaluate", "--plan", p(&plan), "--format", "json"];
        all.extend_from_slice(args);
        let (code, out, err) = run(&all);
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        (code, serde_json::from_str(&out).unwrap())
    };
    for k in 0..=n1 {
        let (code, e) = eval(&["--stage", "1", "--deviations", &k.to_string()]);
        let want = if k <= a1 {
            "accept"
        } else if k >= r1 {
            "reject"
        } else {
            "continue"
        };
        assert_eq!(e["decision"], want, "k1 = {k}");
        assert_eq!(code, i32::from(want == "reject"));
        let bound = e["upper_bound"].as_f64().unwrap();
        match want {
            "accept" => assert!(bound < 0.10, "k1 = {k}: {bound}"),
            "reject" => assert!(bound >= 0.10, "k1 = {k}: {bound}"),
            _ => assert_eq!(e["next"]["records"].as_u64().unwrap(), n2),
        }
        // The stage-1 bound is the fixed-sample bound of the n₁ records, and says so.
        let fixed: Value = serde_json::from_str(&run_ok(&[
            "evaluate",
            "--sample",
            &n1.to_string(),
            "--deviations",
            &k.to_string(),
            "--population",
            &big.to_string(),
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(e["upper_bound"], fixed["upper_bound"], "k1 = {k}");
        let label = e["upper_bound_method"].as_str().unwrap();
        assert!(
            label.contains("stage-1 records") && !label.contains("both stages"),
            "{label}"
        );
        if want != "continue" {
            assert!(e.get("continue_reason").is_none());
            continue;
        }
        // Going on says why, also when the bound is already below T.
        let why = e["continue_reason"].as_str().unwrap();
        if bound < 0.10 {
            assert!(
                why.contains(&format!("accepting with {k} would make it")),
                "{why}"
            );
        } else {
            assert!(why.contains("is not below T"), "{why}");
        }
        for k2 in 0..=n2 {
            let (code, e) = eval(&[
                "--stage",
                "2",
                "--first-deviations",
                &k.to_string(),
                "--deviations",
                &k2.to_string(),
            ]);
            let accept = k + k2 <= a2;
            assert_eq!(e["decision"], if accept { "accept" } else { "reject" });
            assert_eq!(code, i32::from(!accept));
            assert_eq!(
                e["upper_bound"].as_f64().unwrap() < 0.10,
                accept,
                "{k} + {k2}"
            );
            assert!(e["upper_bound_method"]
                .as_str()
                .unwrap()
                .contains("stage-wise ordering"));
        }
    }
    // From the stage's filled review template: the deviations counted, the same decision.
    let s1 = d.join("attr-s1.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "3",
        "--stage",
        "1",
        "-o",
        p(&s1),
    ]);
    let spec = d.join("q.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"communicated\"\nkind = \"share\"\nexpr = \"decision_communicated\"\n",
    )
    .unwrap();
    let template = d.join("mall.csv");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&s1),
        "--spec",
        p(&spec),
        "--lang",
        "en",
        "-o",
        p(&template),
    ]);
    let text = std::fs::read_to_string(&template).unwrap();
    let fill = |no_rows: &[usize], blank: Option<usize>| -> PathBuf {
        let mut out = vec![text.lines().next().unwrap().to_string()];
        for (i, l) in text.lines().skip(1).enumerate() {
            let mut v: Vec<String> = l.split(',').map(String::from).collect();
            v[2] = if blank == Some(i) {
                String::new()
            } else if no_rows.contains(&i) {
                "no".into()
            } else {
                "yes".into()
            };
            out.push(v.join(","));
        }
        let path = d.join(format!("filled-{}-{:?}.csv", no_rows.len(), blank));
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
        path
    };
    let one_no = fill(&[4], None);
    let (code, e) = eval(&[
        "--stage",
        "1",
        "--review",
        p(&one_no),
        "--manifest",
        p(&s1),
        "--indicator",
        "communicated",
    ]);
    let (code2, e2) = eval(&["--stage", "1", "--deviations", "1"]);
    assert_eq!((code, &e), (code2, &e2));
    let (code, _, err) = run(&[
        "evaluate",
        "--plan",
        p(&plan),
        "--stage",
        "1",
        "--review",
        p(&fill(&[], Some(0))),
        "--manifest",
        p(&s1),
        "--indicator",
        "communicated",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("the rule holds for every record"), "{err}");

    // Stage 2 after a stage 1 that already decided, and flags that do not belong.
    let (code, _, err) = run(&[
        "evaluate",
        "--plan",
        p(&plan),
        "--stage",
        "2",
        "--first-deviations",
        "0",
        "--deviations",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("stops there"), "{err}");
    let (code, _, err) = run(&[
        "plan",
        "--extract",
        p(&f.parquet),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--tolerable-rate",
        "0.10",
        "-o",
        p(&d.join("x.json")),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--stages"), "{err}");
}

/// The same staged request from a pipeline: a plan step with `stages`, `tolerable_rate`
/// and `expected_rate`, stage 1 and stage 2 draw steps (stage 2 reading stage 1's output as
/// `previous`), verify steps; the manifests equal the ones the commands write.
#[test]
fn a_staged_request_from_a_pipeline() {
    let f = fixture();
    let d = f.dir.path();
    let pipeline = d.join("staged.toml");
    std::fs::write(
        &pipeline,
        format!(
            r#"outputs = "out"
extract = ["{}"]
key = "case_id"

[[step]]
command = "plan"
strata = "area"
tolerable_rate = 0.10
expected_rate = 0.02
stages = 2
output = "plan.json"

[[step]]
command = "draw"
plan = "plan.json"
seed = 20261124
stage = 1
output = "stage1.csv"

[[step]]
command = "draw"
plan = "plan.json"
seed = 20261124
stage = 2
previous = "stage1.csv"
output = "stage2.csv"

[[step]]
command = "verify"
plan = "plan.json"
manifest = "stage2.csv"
output = "verify2.txt"
"#,
            p(&f.parquet)
        ),
    )
    .unwrap();
    run_ok(&["run", p(&pipeline)]);
    let out = d.join("out");
    let plan = d.join("cli.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&f.parquet),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--tolerable-rate",
        "0.10",
        "--expected-rate",
        "0.02",
        "--stages",
        "2",
        "-o",
        p(&plan),
    ]);
    let (a, b) = (read_json(&out.join("plan.json")), read_json(&plan));
    assert_eq!(a["design"]["stages"], b["design"]["stages"]);
    let s1 = d.join("cli-s1.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "20261124",
        "--stage",
        "1",
        "-o",
        p(&s1),
    ]);
    assert_eq!(records(&s1), records(&out.join("stage1.csv")));
    let s2 = d.join("cli-s2.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f.parquet),
        "--plan",
        p(&plan),
        "--seed",
        "20261124",
        "--stage",
        "2",
        "--previous",
        p(&s1),
        "-o",
        p(&s2),
    ]);
    assert_eq!(records(&s2), records(&out.join("stage2.csv")));
    let verified = std::fs::read_to_string(out.join("verify2.txt")).unwrap();
    assert!(
        verified.starts_with("identical") && verified.contains("stage 2 of 2"),
        "{verified}"
    );
}
