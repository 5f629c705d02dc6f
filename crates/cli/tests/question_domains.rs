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
