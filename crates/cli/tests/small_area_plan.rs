//! CLI tests for a request sized for model-based estimates per area (`urval plan
//! --small-area COL`, and `model = "small-area"` in a purposes file): last year's table
//! made by urval itself, the model-based target met over every area, fewer records than
//! direct precision per area, the same plan from the flag and from a purposes file, the
//! report's marking, and bad inputs as one-line errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, read_json, root, run, run_ok};

use serde_json::Value;
use std::path::{Path, PathBuf};

/// A sample of 3,000 over the municipalities and its table of children heard per
/// municipality, written into `dir`: (the extract, last year's table).
fn last_year(dir: &Path) -> (PathBuf, PathBuf) {
    let cases = root().join("sample-data/cases.parquet");
    let spec = root().join("sample-data/child-heard.toml");
    let plan = dir.join("sample.json");
    let manifest = dir.join("manifest.csv");
    let table = dir.join("last-year.csv");
    run_ok(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--total",
        "3000",
        "--min",
        "5",
        "-o",
        p(&plan),
    ]);
    run_ok(&[
        "draw",
        "--extract",
        p(&cases),
        "--plan",
        p(&plan),
        "--seed",
        "20261207",
        "-o",
        p(&manifest),
    ]);
    run_ok(&[
        "indicators",
        "--extract",
        p(&cases),
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "--by",
        "municipality_code",
        "--suppress-below",
        "0",
        "-o",
        p(&table),
    ]);
    (cases, table)
}

fn small_area_plan(cases: &Path, table: &Path, out: &Path, margin: &str) -> (i32, String, String) {
    run(&[
        "plan",
        "--extract",
        p(cases),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--where",
        "area = 'barn_unga'",
        "--small-area",
        "municipality_code",
        "--last-year",
        p(table),
        "--indicator",
        "child_heard",
        "--margin",
        margin,
        "--pages-column",
        "pages",
        "-o",
        p(out),
    ])
}

fn counts(plan: &Value) -> Vec<(String, u64, u64)> {
    plan["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["values"]["municipality_code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                s["population"].as_u64().unwrap(),
                s["n"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_small_area_request_meets_its_target_with_fewer_records_than_direct_precision() {
    let dir = tempfile::tempdir().unwrap();
    let (cases, table) = last_year(dir.path());
    for margin in ["0.10", "0.15"] {
        let out = dir.path().join(format!("sa-{margin}.json"));
        let (code, stdout, err) = small_area_plan(&cases, &table, &out, margin);
        assert_eq!(code, 0, "{err}");
        let plan = read_json(&out);
        let purpose = &plan["design"]["purposes"]["purposes"][0];
        let model = &purpose["model"];
        assert_eq!(model["model"], "small-area");
        assert_eq!(model["method"], "eb-beta-binomial");
        assert_eq!(purpose["level"], "municipality_code");
        let target: f64 = margin.parse().unwrap();
        let achieved = model["achieved"].as_f64().unwrap();
        assert!(achieved <= target + 1e-9, "{achieved} > {target}");
        assert_eq!(purpose["achieved"], model["achieved"]);
        assert_eq!(purpose["met"], true);
        let total = plan["total_n"].as_u64().unwrap();
        let direct = model["direct_total"].as_u64().unwrap();
        assert!(total < direct, "{total} vs direct {direct}");
        assert!(model["sigma2"].as_f64().unwrap() > 0.0);
        assert_eq!(model["areas"].as_u64().unwrap(), counts(&plan).len() as u64);
        // Every area keeps its floor of records (or all it has).
        for (area, population, n) in counts(&plan) {
            assert!(n >= population.min(5), "{area}: {n} of {population}");
        }
        let saved = direct - total;
        let line = stdout
            .lines()
            .find(|l| l.contains("direct precision"))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(
            line.contains(&format!("this request needs {}", thousands(total)))
                && line.contains(&format!("{} fewer", thousands(saved))),
            "{line}"
        );
        assert!(
            stdout.contains("assumes the areas differ as much as in"),
            "{stdout}"
        );
    }
    // A looser target asks for fewer records.
    let n = |m: &str| {
        read_json(&dir.path().join(format!("sa-{m}.json")))["total_n"]
            .as_u64()
            .unwrap()
    };
    assert!(n("0.15") < n("0.10"));
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_flag_and_a_purposes_file_give_the_same_plan_and_the_report_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cases, table) = last_year(dir.path());
    let flag = dir.path().join("flag.json");
    let (code, _, err) = small_area_plan(&cases, &table, &flag, "0.10");
    assert_eq!(code, 0, "{err}");
    let purposes = dir.path().join("purposes.toml");
    std::fs::write(
        &purposes,
        "[[purpose]]\nname = \"child_heard\"\nlevel = \"municipality_code\"\nmodel = \"small-area\"\nfrom = \"last-year.csv\"\nindicator = \"child_heard\"\nmargin = 0.10\n",
    )
    .unwrap();
    let file = dir.path().join("file.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--where",
        "area = 'barn_unga'",
        "--purposes",
        p(&purposes),
        "--pages-column",
        "pages",
        "-o",
        p(&file),
    ]);
    let (a, b) = (read_json(&flag), read_json(&file));
    assert_eq!(counts(&a), counts(&b));
    let (ma, mb) = (
        &a["design"]["purposes"]["purposes"][0]["model"],
        &b["design"]["purposes"]["purposes"][0]["model"],
    );
    assert_eq!(ma["direct_total"], mb["direct_total"]);
    assert_eq!(ma["sigma2"], mb["sigma2"]);
    // The same as a pipeline: an indicators step with small_area, then a plan step whose
    // purposes file reads the step's table.
    let spec = root().join("sample-data/child-heard.toml");
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "outputs = \"out\"\nextract = [{cases:?}]\nkey = \"case_id\"\n\n[[step]]\ncommand = \"indicators\"\nmanifest = \"manifest.csv\"\nspec = {spec:?}\nby = [\"municipality_code\"]\nsmall_area = \"municipality_code\"\nsuppress_below = 0\noutput = \"again.csv\"\n\n[[step]]\ncommand = \"plan\"\nstrata = \"municipality_code\"\nwhere = \"area = 'barn_unga'\"\npurposes = \"purposes.toml\"\npages_column = \"pages\"\noutput = \"plan.json\"\n",
        ),
    )
    .unwrap();
    let outputs = dir.path().join("out");
    run_ok(&["run", p(&pipeline), "--outputs", p(&outputs)]);
    let again = read_json(&outputs.join("again.indicators.json"));
    assert_eq!(again["small_area"]["model"], "eb-beta-binomial");
    assert_eq!(counts(&read_json(&outputs.join("plan.json"))), counts(&b));
    // The report says the purpose is model-based and what direct precision would ask.
    for (lang, says, instead) in [
        (
            "sv",
            "modellbaserad skattning",
            "Med direkt precision per municipality\\_code",
        ),
        (
            "en",
            "model-based estimate",
            "With direct precision per municipality\\_code",
        ),
    ] {
        let md = dir.path().join(format!("r-{lang}.md"));
        run_ok(&["report", "--plan", p(&flag), "--lang", lang, "-o", p(&md)]);
        let text = std::fs::read_to_string(&md).unwrap();
        assert!(text.contains(says), "{lang}: {text}");
        assert!(text.contains(instead), "{lang}: {text}");
    }
}

#[test]
fn bad_small_area_inputs_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (cases, _) = last_year(dir.path());
    // A table by two columns.
    let two = dir.path().join("two.csv");
    run_ok(&[
        "indicators",
        "--extract",
        p(&cases),
        "--spec",
        p(&root().join("sample-data/child-heard.toml")),
        "--by",
        "municipality_code,area",
        "--suppress-below",
        "0",
        "-o",
        p(&two),
    ]);
    let (code, _, err) = small_area_plan(&cases, &two, &dir.path().join("x.json"), "0.10");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("by its area column \"municipality_code\" alone"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let cases_of = |text: &str| {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        run(&[
            "plan",
            "--extract",
            p(&cases),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--purposes",
            p(&file),
            "-o",
            p(&dir.path().join("x.json")),
        ])
    };
    let head = "[[purpose]]\nname = \"a\"\nmargin = 0.1\n";
    for (text, want) in [
        (format!("{head}level = \"municipality_code\"\nmodel = \"bayes\"\nfrom = \"last-year.csv\"\nindicator = \"child_heard\"\n"), "model is \"small-area\""),
        (format!("{head}model = \"small-area\"\nfrom = \"last-year.csv\"\nindicator = \"child_heard\"\n"), "needs level = the area column"),
        (format!("{head}level = \"municipality_code\"\nmodel = \"small-area\"\n"), "needs from + indicator"),
        (format!("{head}level = \"municipality_code\"\nmodel = \"small-area\"\nfrom = \"last-year.csv\"\nindicator = \"nothing\"\n"), "0 areas with a published share of \"nothing\""),
        (format!("{head}min_per_area = 3\n"), "min_per_area belongs to model"),
        (format!("{head}level = \"municipality_code\"\nmodel = \"small-area\"\nproportion = 0.5\nfrom = \"last-year.csv\"\nindicator = \"child_heard\"\n"), "not proportion or relative"),
    ] {
        let (code, _, err) = cases_of(&text);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(want), "want {want:?} in {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // --small-area needs its table.
    let (code, _, err) = run(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--small-area",
        "municipality_code",
        "--margin",
        "0.1",
        "-o",
        p(&dir.path().join("x.json")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--last-year"), "{err}");
}
