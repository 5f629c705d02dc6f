//! Questions asked only where they apply: a question's `where` decides, record by record,
//! whether the review template asks it; the records outside are marked not applicable, read
//! back as outside the question (never as non-response), and the question's population —
//! not the whole extract's — is the N of its evaluation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::collections::BTreeMap;
use support::{p, root, run};

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "urval {args:?}: {err}");
    out
}

/// The sample extract's rows by key: (area, decided?).
fn areas() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("sample-data/cases.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect()
}

/// Fill every open answer cell of a CSV template (excel-sv) with `ja`, except every
/// seventh record's child_heard with `nej`.
fn fill(template: &std::path::Path, out: &std::path::Path) {
    let text = std::fs::read_to_string(template).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(';').collect();
    let child = cols.iter().position(|c| c.contains("child_heard")).unwrap();
    let questions = 2..cols.len() - 3;
    let mut filled = vec![header.to_string()];
    for (i, l) in lines.enumerate() {
        let mut f: Vec<String> = l.split(';').map(str::to_string).collect();
        for q in questions.clone() {
            if f[q].is_empty() {
                f[q] = if q == child && i % 7 == 0 {
                    "\"nej\""
                } else {
                    "\"ja\""
                }
                .into();
            }
        }
        filled.push(f.join(";"));
    }
    std::fs::write(out, filled.join("\r\n") + "\r\n").unwrap();
}

#[test]
fn a_child_only_question_is_asked_of_children_and_evaluated_over_their_cases() {
    let d = tempfile::tempdir().unwrap();
    let cases = root().join("sample-data/cases.parquet");
    let spec = root().join("pipeline/indicators.toml");
    let plan = d.path().join("plan.json");
    let manifest = d.path().join("manifest.csv");
    ok(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--where",
        "municipality_code IN ('0180', '1480', '1280')",
        "--total",
        "150",
        "-o",
        p(&plan),
    ]);
    ok(&[
        "draw",
        "--extract",
        p(&cases),
        "--plan",
        p(&plan),
        "--seed",
        "3",
        "-o",
        p(&manifest),
    ]);
    let drawn: Vec<String> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let area = areas();
    let children = drawn.iter().filter(|k| area[*k] == "barn_unga").count();
    assert!(children > 10 && children < drawn.len(), "{children}");

    // With the extract: the child questions are preset for every other record.
    let template = d.path().join("granskning.csv");
    let out = ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "--extract",
        p(&cases),
        "-o",
        p(&template),
    ]);
    assert!(
        out.contains(&format!("child_heard {}", drawn.len() - children)),
        "{out}"
    );
    let text = std::fs::read_to_string(&template).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(';').collect();
    let child = header
        .iter()
        .position(|c| c.contains("child_heard"))
        .unwrap();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(';').collect();
        let key = f[0].trim_matches('"');
        let preset = f[child] == "\"ej tillämpligt\"";
        assert_eq!(preset, area[key] != "barn_unga", "{l}");
    }

    // Without the extract the manifest has no area column: the question is asked of every
    // record, and the output says why.
    let bare = d.path().join("bare.csv");
    let out = ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "-o",
        p(&bare),
    ]);
    assert!(
        out.contains("asked of every record: ") && out.contains("child_heard"),
        "{out}"
    );

    // Filled where asked: no non-response for the child question, n = the children drawn.
    let filled = d.path().join("ifylld.csv");
    fill(&template, &filled);
    let results = d.path().join("resultat.csv");
    let out = ok(&[
        "indicators",
        "--manifest",
        p(&manifest),
        "--review",
        p(&filled),
        "--spec",
        p(&spec),
        "-o",
        p(&results),
    ]);
    assert!(out.contains("no answer (non-response) 0"), "{out}");
    let row = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("child_heard,") && l.contains(",total,"))
        .unwrap()
        .to_string();
    let n: usize = row.split(',').nth(1).unwrap().parse().unwrap();
    assert_eq!(n, children, "{row}");

    // Evaluated over the children's cases of the planned municipalities.
    let planned_children = std::fs::read_to_string(root().join("sample-data/cases.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(';').collect();
            ["0180", "1480", "1280"].contains(&f[1]) && f[2] == "barn_unga"
        })
        .count();
    let evaluate = |extra: &[&str]| {
        let mut a = vec![
            "evaluate",
            "--manifest",
            p(&manifest),
            "--review",
            p(&filled),
            "--indicator",
            "child_heard",
            "--tolerable-rate",
            "0.5",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        let (code, out, err) = run(&a);
        assert!(code <= 1, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let exact = evaluate(&["--spec", p(&spec), "--extract", p(&cases)]);
    assert_eq!(exact["sample"].as_u64().unwrap() as usize, children);
    assert_eq!(
        exact["population"].as_u64().unwrap() as usize,
        planned_children
    );
    assert!(exact["upper_bound_count"].as_u64().unwrap() as usize <= planned_children);
    let estimated = evaluate(&[]);
    let est = estimated["population"].as_u64().unwrap() as f64;
    assert!(
        (est - planned_children as f64).abs() < 0.35 * planned_children as f64,
        "{est} against {planned_children}"
    );
}

#[test]
fn a_question_on_manifest_columns_needs_no_extract() {
    let d = tempfile::tempdir().unwrap();
    let cases = root().join("sample-data/cases.parquet");
    let spec = d.path().join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = 'child_heard'\nkind = 'share'\nexpr = 'child_heard'\nwhere = \"area = 'barn_unga'\"\n\n[[indicator]]\nname = 'decision_communicated'\nkind = 'share'\nexpr = 'decision_communicated'\n",
    )
    .unwrap();
    let plan = d.path().join("plan.json");
    let manifest = d.path().join("m.xlsx");
    ok(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "40",
        "-o",
        p(&plan),
    ]);
    ok(&[
        "draw",
        "--extract",
        p(&cases),
        "--plan",
        p(&plan),
        "--seed",
        "9",
        "-o",
        p(&manifest),
    ]);
    let template = d.path().join("t.xlsx");
    let out = ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "-o",
        p(&template),
    ]);
    assert!(!out.contains("asked of every record"), "{out}");
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&template).unwrap();
    let sheet = wb.worksheet_range("Granskning").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let child = rows[0].iter().position(|c| c == "child_heard").unwrap();
    let communicated = rows[0]
        .iter()
        .position(|c| c == "decision_communicated")
        .unwrap();
    let mut preset = 0;
    for r in &rows[1..] {
        assert_eq!(r[child] == "ej tillämpligt", r[1] != "barn_unga", "{r:?}");
        assert_eq!(
            r[communicated], "",
            "a question without a where is open: {r:?}"
        );
        preset += usize::from(r[child] == "ej tillämpligt");
    }
    assert!(out.contains(&format!("child_heard {preset}")), "{out}");
}

/// The records of a CSV file written by urval (`;` or `,`, quoted or not) as header → value.
fn csv_rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let sep = if text.lines().next().unwrap().contains(';') {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .from_reader(text.as_bytes());
    let head = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            head.iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The re-review sized and drawn per question: each question gets the attribute sample size
/// for its own applicable self-reviewed records, the records drawn for it all lie in its
/// population, the re-review template asks each record only the questions it was drawn for,
/// and the agreement of a question counts exactly the records re-reviewed for it.
#[test]
fn the_re_review_is_sized_and_drawn_per_question_over_the_records_it_applies_to() {
    let d = tempfile::tempdir().unwrap();
    let cases = root().join("sample-data/cases.parquet");
    let spec = root().join("pipeline/indicators.toml");
    let f = |n: &str| d.path().join(n).display().to_string();
    ok(&[
        "plan",
        "--extract",
        p(&cases),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "120",
        "-o",
        &f("plan.json"),
    ]);
    ok(&[
        "draw",
        "--extract",
        p(&cases),
        "--plan",
        &f("plan.json"),
        "--seed",
        "20261124",
        "-o",
        &f("manifest.csv"),
    ]);
    let (code, _, err) = run(&[
        "plan",
        "--phase2",
        "--manifest",
        &f("manifest.csv"),
        "--tolerable-disagreement",
        "0.10",
        "--spec",
        p(&spec),
        "-o",
        &f("q.json"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give --extract"), "{err}");
    let text = ok(&[
        "plan",
        "--phase2",
        "--manifest",
        &f("manifest.csv"),
        "--tolerable-disagreement",
        "0.10",
        "--spec",
        p(&spec),
        "--extract",
        p(&cases),
        "-o",
        &f("q.json"),
    ]);
    assert!(text.contains("child_heard: "), "{text}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("q.json")).unwrap()).unwrap();
    let mut wanted: BTreeMap<String, u64> = BTreeMap::new();
    for q in plan["questions"].as_array().unwrap() {
        let sum = |k: &str| -> u64 {
            q["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g[k].as_u64().unwrap())
                .sum()
        };
        let (applicable, m) = (sum("phase1_n"), sum("n"));
        let size: serde_json::Value = serde_json::from_str(&ok(&[
            "size",
            "--tolerable-rate",
            "0.10",
            "--population",
            &applicable.to_string(),
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(m, size["n"].as_u64().unwrap().min(applicable), "{q}");
        wanted.insert(q["name"].as_str().unwrap().to_string(), m);
    }
    assert_eq!(wanted.len(), 6);
    assert_eq!(wanted["child_heard"], 19, "19 of the 36 children's records");

    ok(&[
        "draw",
        "--phase2",
        "--plan",
        &f("q.json"),
        "--manifest",
        &f("manifest.csv"),
        "--seed",
        "4711",
        "-o",
        &f("q2.csv"),
    ]);
    let verified = ok(&["verify", "--plan", &f("q.json"), "--manifest", &f("q2.csv")]);
    assert!(verified.starts_with("identical"), "{verified}");
    let area = areas();
    let drawn = csv_rows(&d.path().join("q2.csv"));
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for r in &drawn {
        let qs: Vec<&str> = r["questions"].split_whitespace().collect();
        assert!(!qs.is_empty(), "a record drawn for no question: {r:?}");
        for q in qs {
            *got.entry(q.to_string()).or_default() += 1;
            if q == "child_heard" || q == "assessment_within_14_days" {
                assert_eq!(area[&r["case_id"]], "barn_unga", "{q} drawn outside: {r:?}");
            }
        }
    }
    assert_eq!(got, wanted);
    // The union is smaller than re-reviewing every record for every question.
    assert!((drawn.len() as u64) < wanted.values().sum::<u64>());

    ok(&[
        "review-template",
        "--manifest",
        &f("q2.csv"),
        "--spec",
        p(&spec),
        "-o",
        &f("ivo.csv"),
    ]);
    for r in csv_rows(&d.path().join("ivo.csv")) {
        for q in wanted.keys() {
            let asked = r["questions"].split_whitespace().any(|x| x == q);
            assert_eq!(
                r[q.as_str()] == "ej tillämpligt",
                !asked,
                "{q} of {}: {r:?}",
                r["case_id"]
            );
        }
    }
    ok(&[
        "review-template",
        "--manifest",
        &f("manifest.csv"),
        "--spec",
        p(&spec),
        "--extract",
        p(&cases),
        "-o",
        &f("kommun.csv"),
    ]);
    fill(
        &d.path().join("kommun.csv"),
        &d.path().join("kommun-filled.csv"),
    );
    fill(&d.path().join("ivo.csv"), &d.path().join("ivo-filled.csv"));
    ok(&[
        "agreement",
        "--manifest",
        &f("manifest.csv"),
        "--phase1",
        &f("kommun-filled.csv"),
        "--phase2",
        &f("ivo-filled.csv"),
        "--spec",
        p(&spec),
        "-o",
        &f("agreement.json"),
    ]);
    let agreement: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("agreement.json")).unwrap())
            .unwrap();
    for row in agreement.as_array().unwrap() {
        if row["level"] == "total" {
            let q = row["indicator"].as_str().unwrap();
            assert_eq!(row["n"].as_u64().unwrap(), wanted[q], "{row}");
        }
    }
}
