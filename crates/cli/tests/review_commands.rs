//! CLI tests for the review loop: `urval review-template` (drop-downs, locked key columns,
//! instructions; `.xlsx` and `.csv`), the filled template read back by `urval indicators
//! --review` (design-weighted estimates recomputed by hand, quarantine of answers outside
//! the list, non-response, records not drawn) and `urval evaluate --review`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, run, run_ok, urval};

use calamine::{open_workbook_auto, Data, Reader};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

fn spec_path() -> String {
    let mut p = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    p.pop();
    p.pop();
    p.push("pipeline");
    p.push("indicators.toml");
    p.to_string_lossy().into_owned()
}

const QUESTIONS: [&str; 6] = [
    "investigation_within_4_months",
    "assessment_within_14_days",
    "child_heard",
    "decision_communicated",
    "individual_plan",
    "executed_within_3_months",
];

struct Fixture {
    dir: tempfile::TempDir,
    manifest: PathBuf,
}

/// 20,000 generated records, a proportional plan of 120 over area × sex... over area, and
/// the manifest with `sex` copied.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = d.join("cases.parquet");
    run_ok(&[
        "generate",
        "--rows",
        "20000",
        "--seed",
        "5",
        "-o",
        p(&extract),
    ]);
    let plan = d.join("plan.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&extract),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "120",
        "--allocation",
        "neyman",
        "-o",
        p(&plan),
    ]);
    let manifest = d.join("manifest.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&extract),
        "--plan",
        p(&plan),
        "--seed",
        "42",
        "--include",
        "sex",
        "-o",
        p(&manifest),
    ]);
    Fixture { dir, manifest }
}

/// The sheet's rows as text.
fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn zip_entry(path: &Path, name: &str) -> String {
    let f = std::fs::File::open(path).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut e = z.by_name(name).unwrap();
    let mut s = String::new();
    e.read_to_string(&mut s).unwrap();
    s
}

/// A reviewer's answer for record `i`, question `j` (deterministic, every kind present).
fn answer(i: usize, j: usize) -> &'static str {
    match (i * 7 + j * 3) % 11 {
        0..=2 => "nej",
        3 => "ej tillämpligt",
        _ => "ja",
    }
}

/// The filled template as a reviewer saves it: the template's rows, answers written in,
/// rows `blank` left without answers.
fn fill(template: &Path, out: &Path, blank: &[usize], edit: &dyn Fn(usize, &mut Vec<String>)) {
    let rows = sheet_rows(template, "Granskning");
    let header = &rows[0];
    let first_q = header.iter().position(|h| h == QUESTIONS[0]).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Granskning").unwrap();
    for (j, h) in header.iter().enumerate() {
        ws.write_string(0, j as u16, h).unwrap();
    }
    for (i, row) in rows[1..].iter().enumerate() {
        let mut row = row.clone();
        row.resize(header.len(), String::new());
        if !blank.contains(&i) {
            for j in 0..QUESTIONS.len() {
                row[first_q + j] = answer(i, j).to_string();
            }
        }
        edit(i, &mut row);
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(i as u32 + 1, j as u16, v).unwrap();
            }
        }
    }
    wb.save(out).unwrap();
}

/// The template: drop-downs of the three answers on every question column, the sheet
/// protected with the answer cells unlocked, the key and strata as in the manifest, the
/// instructions naming every question in words and the seed; the CSV template has the same
/// columns with English answers in its instructions.
#[test]
fn a_review_template_has_drop_downs_locked_keys_and_instructions() {
    let f = fixture();
    let d = f.dir.path();
    let xlsx = d.join("granskning.xlsx");
    let out = run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&xlsx),
    ]);
    assert!(out.contains("120 records, 6 questions"), "{out}");
    assert!(out.contains("median_processing_days (median)"), "{out}");
    let rows = sheet_rows(&xlsx, "Granskning");
    let mut want = vec!["case_id".to_string(), "area".into(), "sex".into()];
    want.extend(QUESTIONS.iter().map(|q| q.to_string()));
    want.extend(["granskare", "datum", "kommentar"].map(String::from));
    assert_eq!(rows[0], want);
    assert_eq!(rows.len(), 121);
    let manifest = std::fs::read_to_string(&f.manifest).unwrap();
    let mut keys: Vec<(String, String)> = manifest
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[0].to_string(), v[1].to_string())
        })
        .collect();
    keys.sort();
    let got: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(got, keys);
    // The questions whose population names only the manifest's columns (area) are set
    // for the records outside it; every other answer cell is open.
    let area_only = [
        "assessment_within_14_days",
        "child_heard",
        "individual_plan",
    ];
    for r in &rows[1..] {
        for (j, q) in QUESTIONS.iter().enumerate() {
            let cell = &r[3 + j];
            let outside = match *q {
                "assessment_within_14_days" | "child_heard" => r[1] != "barn_unga",
                "individual_plan" => r[1] != "missbruk",
                _ => false,
            };
            assert_eq!(
                cell == "ej tillämpligt",
                area_only.contains(q) && outside,
                "{q}: {r:?}"
            );
            assert!(cell.is_empty() || cell == "ej tillämpligt", "{r:?}");
        }
        assert!(r[3 + QUESTIONS.len()..].iter().all(String::is_empty));
    }
    let sheet = zip_entry(&xlsx, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<dataValidation ").count(), 6, "{sheet}");
    assert!(sheet.contains("\"ja,nej,ej tillämpligt\""));
    assert!(sheet.contains("<sheetProtection"), "not protected");
    let styles = zip_entry(&xlsx, "xl/styles.xml");
    assert!(styles.contains("locked=\"0\""), "no unlocked style");
    let instructions = sheet_rows(&xlsx, "Instruktioner");
    let text: String = instructions.iter().map(|r| r.join(": ") + "\n").collect();
    assert!(
        text.contains("child_heard: Barnet har kommit till tals"),
        "{text}"
    );
    assert!(text.contains("frö 42"), "{text}");
    assert!(text.contains("urval indicators --manifest manifest.csv --review granskning.xlsx"));
    assert!(!text.contains(p(d)), "an absolute path in the instructions");

    let csv = d.join("review.csv");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "--lang",
        "en",
        "-o",
        p(&csv),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with(
        "case_id,area,sex,investigation_within_4_months,assessment_within_14_days,child_heard,decision_communicated,individual_plan,executed_within_3_months,reviewer,date,comment"
    ));
    let ins = std::fs::read_to_string(d.join("review.instructions.txt")).unwrap();
    assert!(ins.contains("yes, no or n/a"), "{ins}");
}

/// A filled template read back: the design-weighted share of every question equals the
/// hand computation Σ W_h·yes_h/(yes_h + no_h) over the strata (W_h = N_h/N); a row with no
/// answers is non-response in its stratum; an answer outside the list quarantines its row;
/// the CSV template filled with the English answers gives the same estimates.
#[test]
fn a_filled_template_gives_the_design_weighted_estimates() {
    let f = fixture();
    let d = f.dir.path();
    let xlsx = d.join("granskning.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&xlsx),
    ]);
    let filled = d.join("ifylld.xlsx");
    let blank = [3usize, 40];
    fill(&xlsx, &filled, &blank, &|i, row| {
        if i == 7 {
            row[4] = "kanske".into();
        }
    });
    let out_csv = d.join("resultat.csv");
    let out = run_ok(&[
        "indicators",
        "--manifest",
        p(&f.manifest),
        "--review",
        p(&filled),
        "--spec",
        &spec_path(),
        "--max-quarantine",
        "0.05",
        "-o",
        p(&out_csv),
    ]);
    assert!(
        out.contains(
            "review rows read 120 = answered 117 + no answer (non-response) 2 + quarantined 1"
        ),
        "{out}"
    );
    let q = std::fs::read_to_string(d.join("resultat.quarantine.csv")).unwrap();
    assert!(q.contains("ifylld.xlsx,9,") && q.contains("kanske"), "{q}");

    // By hand: per stratum N_h (sidecar), the answers of the rows kept.
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.csv.draw.json")).unwrap())
            .unwrap();
    let pops: BTreeMap<String, f64> = side["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["values"]["area"].as_str().unwrap().to_string(),
                s["population"].as_f64().unwrap(),
            )
        })
        .collect();
    let rows = sheet_rows(&filled, "Granskning");
    let big: f64 = pops.values().sum();
    let table = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let totals: BTreeMap<String, f64> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|v| v[col("level")] == "total")
        .map(|v| {
            (
                v[col("indicator")].to_string(),
                v[col("estimate")].parse().unwrap(),
            )
        })
        .collect();
    for (j, qn) in QUESTIONS.iter().enumerate() {
        // (yes, no, responding records) per stratum.
        let mut per: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
        for (i, r) in rows[1..].iter().enumerate() {
            if blank.contains(&i) || i == 7 {
                continue;
            }
            let e = per.entry(r[1].clone()).or_default();
            e.2 += 1.0;
            match r[3 + j].as_str() {
                "ja" => e.0 += 1.0,
                "nej" => e.1 += 1.0,
                _ => {}
            }
        }
        // The domain (records answered yes or no) estimated per stratum, N̂_dh = N_h·n_dh/r_h,
        // and the share Σ N̂_dh·p̂_h / Σ N̂_dh (Cochran 1977 §2.13, 5A.14).
        let dom: Vec<(f64, f64)> = per
            .iter()
            .map(|(h, (y, n, r))| (pops[h] * (y + n) / r, y / (y + n)))
            .collect();
        let want: f64 =
            dom.iter().map(|(w, p)| w * p).sum::<f64>() / dom.iter().map(|(w, _)| w).sum::<f64>();
        let _ = big;
        let got = totals[*qn];
        assert!((got - want).abs() < 1e-9, "{qn}: {got} vs {want}");
    }

    // The CSV template with English answers: the same estimates.
    let csv = d.join("review.csv");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "--lang",
        "en",
        "-o",
        p(&csv),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut out_lines = vec![text.lines().next().unwrap().to_string()];
    for (i, l) in text.lines().skip(1).enumerate() {
        let mut v: Vec<String> = l.split(',').map(String::from).collect();
        if !blank.contains(&i) && i != 7 {
            for j in 0..QUESTIONS.len() {
                v[3 + j] = match answer(i, j) {
                    "ja" => "Yes",
                    "nej" => " no ",
                    _ => "n/a",
                }
                .to_string();
            }
        }
        out_lines.push(v.join(","));
    }
    let filled_csv = d.join("filled.csv");
    std::fs::write(&filled_csv, out_lines.join("\r\n") + "\r\n").unwrap();
    let out2 = d.join("en.csv");
    run_ok(&[
        "indicators",
        "--manifest",
        p(&f.manifest),
        "--review",
        p(&filled_csv),
        "--spec",
        &spec_path(),
        "-o",
        p(&out2),
    ]);
    let est = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.split(',').take(8).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(est(&out_csv), est(&out2));
}

/// Records that are not the manifest's are errors naming them; `urval evaluate --review`
/// counts n and k from the answers and concludes as `--sample n --deviations k` with the
/// manifest's N.
#[test]
fn review_errors_and_evaluation() {
    let f = fixture();
    let d = f.dir.path();
    let xlsx = d.join("granskning.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&xlsx),
    ]);
    let rows = sheet_rows(&xlsx, "Granskning");
    for (name, edit, want) in [
        ("stranger", 0usize, "is not in the manifest"),
        ("twice", 1, "both review record"),
        ("moved", 2, "the stratum columns must not change"),
    ] {
        let path = d.join(format!("{name}.xlsx"));
        let other = rows[5][0].clone();
        fill(&xlsx, &path, &[], &|i, row| {
            if i == 10 {
                match edit {
                    0 => row[0] = "0000-9999999999".into(),
                    1 => row[0] = other.clone(),
                    _ => {
                        row[1] = if row[1] == "aldre" {
                            "missbruk".into()
                        } else {
                            "aldre".into()
                        }
                    }
                }
            }
        });
        let (code, _, err) = run(&[
            "indicators",
            "--manifest",
            p(&f.manifest),
            "--review",
            p(&path),
            "--spec",
            &spec_path(),
            "-o",
            p(&d.join("x.csv")),
        ]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(want) && err.contains("12"), "{name}: {err}");
    }

    let filled = d.join("ifylld.xlsx");
    fill(&xlsx, &filled, &[2], &|_, _| {});
    let (code, out, err) = run(&[
        "evaluate",
        "--manifest",
        p(&f.manifest),
        "--review",
        p(&filled),
        "--indicator",
        "child_heard",
        "--tolerable-rate",
        "0.30",
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (mut n, mut k) = (0u64, 0u64);
    for i in 0..120 {
        if i == 2 {
            continue;
        }
        match answer(i, 2) {
            "ja" => n += 1,
            "nej" => {
                n += 1;
                k += 1;
            }
            _ => {}
        }
    }
    assert_eq!(v["sample"].as_u64().unwrap(), n);
    assert_eq!(v["deviations"].as_u64().unwrap(), k);
    // N is the question's population, estimated from the answers: Σ N_h·d_h/r_h over the
    // strata (area), r_h the rows whose answer says whether the question applies (yes, no
    // or n/a), d_h those inside it (yes or no).
    let side: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(urval_ops::manifest::sidecar_path(&f.manifest)).unwrap(),
    )
    .unwrap();
    let rows = sheet_rows(&xlsx, "Granskning");
    let mut per: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (i, r) in rows[1..].iter().enumerate() {
        let e = per.entry(r[1].clone()).or_default();
        match (i, answer(i, 2)) {
            (2, _) => {}
            (_, "ej tillämpligt") => e.0 += 1.0,
            _ => {
                e.0 += 1.0;
                e.1 += 1.0;
            }
        }
    }
    let want: f64 = side["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (known, inside) = per[s["values"]["area"].as_str().unwrap()];
            s["population"].as_f64().unwrap() * inside / known
        })
        .sum();
    assert!(want < 20000.0);
    assert_eq!(v["population"].as_u64().unwrap(), want.round() as u64);
    let (code2, out2, _) = run(&[
        "evaluate",
        "--sample",
        &n.to_string(),
        "--deviations",
        &k.to_string(),
        "--population",
        &(want.round() as u64).to_string(),
        "--tolerable-rate",
        "0.30",
        "--format",
        "json",
    ]);
    let w: serde_json::Value = serde_json::from_str(&out2).unwrap();
    assert_eq!(code, code2);
    assert_eq!(v["upper_bound"], w["upper_bound"]);
    assert_eq!(v["conclusion"], w["conclusion"]);
}

/// `urval agreement`: the 2×2 tables counted from the two filled templates, kappa and the
/// corrected share as the design math gives them for those tables, groups that add up to the
/// total, and a re-reviewed record the self-review does not have named as an error.
#[test]
fn agreement_of_a_self_review_and_a_re_review() {
    let f = fixture();
    let d = f.dir.path();
    let xlsx = d.join("granskning.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&xlsx),
    ]);
    let phase1 = d.join("kommunen.xlsx");
    fill(&xlsx, &phase1, &[], &|_, _| {});
    // The inspector re-reviews every fourth record and disagrees on some.
    let picked: Vec<usize> = (0..120).filter(|i| i % 4 == 1).collect();
    let inspector = |i: usize, j: usize| -> &'static str {
        let a = answer(i, j);
        if (i + j).is_multiple_of(5) {
            match a {
                "ja" => "nej",
                "nej" => "ja",
                other => other,
            }
        } else {
            a
        }
    };
    let phase2 = d.join("ivo.xlsx");
    let not_picked: Vec<usize> = (0..120).filter(|i| !picked.contains(i)).collect();
    fill(&xlsx, &phase2, &not_picked, &|i, row| {
        if picked.contains(&i) {
            for j in 0..QUESTIONS.len() {
                row[3 + j] = inspector(i, j).to_string();
            }
        }
    });
    let out = d.join("agreement.json");
    let text = run_ok(&[
        "agreement",
        "--manifest",
        p(&f.manifest),
        "--phase1",
        p(&phase1),
        "--phase2",
        p(&phase2),
        "--spec",
        &spec_path(),
        "--by",
        "area",
        "-o",
        p(&out),
    ]);
    assert!(
        text.contains("30 records re-reviewed of 120 self-reviewed"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let v = v.as_array().unwrap();
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.csv.draw.json")).unwrap())
            .unwrap();
    let big: u64 = side["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["population"].as_u64().unwrap())
        .sum();
    for (j, q) in QUESTIONS.iter().enumerate() {
        let mut t = urval_design::Table2::default();
        let mut rest = urval_design::PhaseOneRest::default();
        for i in 0..120 {
            let s = answer(i, j);
            if picked.contains(&i) {
                match (s, inspector(i, j)) {
                    ("ja", "ja") => t.self_yes_inspector_yes += 1,
                    ("ja", "nej") => t.self_yes_inspector_no += 1,
                    ("nej", "ja") => t.self_no_inspector_yes += 1,
                    ("nej", "nej") => t.self_no_inspector_no += 1,
                    _ => {}
                }
            } else {
                match s {
                    "ja" => rest.yes += 1,
                    "nej" => rest.no += 1,
                    _ => {}
                }
            }
        }
        let total = v
            .iter()
            .find(|r| r["indicator"] == *q && r["level"] == "total")
            .unwrap();
        assert_eq!(total["table"], serde_json::to_value(t).unwrap(), "{q}");
        assert_eq!(total["n"].as_u64().unwrap(), t.n());
        let k = urval_design::kappa(&t, 0.95).unwrap();
        assert!((total["kappa"].as_f64().unwrap() - k.kappa).abs() < 1e-12);
        assert!((total["kappa_lower"].as_f64().unwrap() - k.lower).abs() < 1e-12);
        let c = urval_design::tenenbein(&t, &rest, Some(big), 0.95).unwrap();
        assert!((total["corrected"].as_f64().unwrap() - c.estimate).abs() < 1e-12);
        assert!((total["corrected_se"].as_f64().unwrap() - c.se).abs() < 1e-12);
        let dis = total["disagreement_rate"].as_f64().unwrap();
        assert!((dis - t.disagreements() as f64 / t.n() as f64).abs() < 1e-12);
        assert!(total["disagreement_upper"].as_f64().unwrap() >= dis);
        // The area groups add up to the total table.
        let groups: Vec<&serde_json::Value> = v
            .iter()
            .filter(|r| r["indicator"] == *q && r["level"] == "group")
            .collect();
        assert_eq!(groups.len(), 4);
        let n: u64 = groups.iter().map(|r| r["n"].as_u64().unwrap()).sum();
        assert_eq!(n, t.n());
    }
    // A record re-reviewed that the self-review left unanswered: an error naming it.
    let partial = d.join("kommunen-delvis.xlsx");
    fill(&xlsx, &partial, &[1], &|_, _| {});
    let (code, _, err) = run(&[
        "agreement",
        "--manifest",
        p(&f.manifest),
        "--phase1",
        p(&partial),
        "--phase2",
        p(&phase2),
        "--spec",
        &spec_path(),
        "-o",
        p(&d.join("x.json")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no answers in the self-review"), "{err}");
}

fn size_n(args: &[&str]) -> u64 {
    let mut all = vec!["size"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run_ok(&all)).unwrap();
    v["n"].as_u64().unwrap()
}

/// Phase 2: `urval plan --phase2` sizes the re-review as `urval size` does with the phase-1
/// records as the population (overall, and per area spread over the strata within n'_h);
/// `urval draw --phase2` draws it from the phase-1 manifest alone, the same whatever the
/// thread count, another seed another subsample; `urval verify` reproduces it and finds a
/// tampered one; the inspector's template of it feeds `urval agreement`.
#[test]
fn phase_two_is_sized_drawn_and_verified() {
    let f = fixture();
    let d = f.dir.path();
    let p2 = d.join("phase2.json");
    let out = run_ok(&[
        "plan",
        "--phase2",
        "--manifest",
        p(&f.manifest),
        "--tolerable-disagreement",
        "0.15",
        "-o",
        p(&p2),
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p2).unwrap()).unwrap();
    let want = size_n(&["--tolerable-rate", "0.15", "--population", "120"]);
    assert_eq!(v["total_n"].as_u64().unwrap(), want, "{out}");
    assert_eq!(v["phase1_total"].as_u64().unwrap(), 120);
    let p2b = d.join("phase2-per.json");
    run_ok(&[
        "plan",
        "--phase2",
        "--manifest",
        p(&f.manifest),
        "--agreement-margin",
        "0.10",
        "--expected-disagreement",
        "0.10",
        "--per",
        "area",
        "-o",
        p(&p2b),
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p2b).unwrap()).unwrap();
    let strata = v["strata"].as_array().unwrap();
    for g in v["groups"].as_array().unwrap() {
        let n1 = g["phase1_n"].as_u64().unwrap();
        let want = size_n(&[
            "--margin",
            "0.10",
            "--proportion",
            "0.10",
            "--population",
            &n1.to_string(),
        ])
        .min(n1);
        assert_eq!(g["n"].as_u64().unwrap(), want, "{g}");
        let area = &g["values"]["area"];
        let in_group: Vec<&serde_json::Value> = strata
            .iter()
            .filter(|s| s["values"]["area"] == *area)
            .collect();
        let m: u64 = in_group.iter().map(|s| s["n"].as_u64().unwrap()).sum();
        assert_eq!(m, want);
        assert!(in_group
            .iter()
            .all(|s| s["n"].as_u64().unwrap() <= s["phase1_n"].as_u64().unwrap()));
    }

    // The draw: a subset of the phase-1 manifest, m_h per stratum, any thread count.
    let draw = |seed: &str, out: &Path, threads: &str| {
        let o = urval()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "draw",
                "--phase2",
                "--plan",
                p(&p2b),
                "--manifest",
                p(&f.manifest),
                "--seed",
                seed,
                "-o",
                p(out),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let a = d.join("fas2.csv");
    let b = d.join("fas2-again.csv");
    let c = d.join("fas2-other.csv");
    draw("777", &a, "1");
    draw("777", &b, "4");
    draw("778", &c, "2");
    let (ta, tb, tc) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
        std::fs::read_to_string(&c).unwrap(),
    );
    assert_eq!(ta, tb);
    assert_ne!(ta, tc);
    let phase1: std::collections::BTreeSet<String> = std::fs::read_to_string(&f.manifest)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
        .collect();
    let mut per: BTreeMap<String, u64> = BTreeMap::new();
    for l in ta.lines().skip(1) {
        let kv = l.split(',').take(2).collect::<Vec<_>>().join(",");
        assert!(phase1.contains(&kv), "{kv} is not a phase-1 record");
        *per.entry(l.split(',').nth(1).unwrap().to_string())
            .or_default() += 1;
    }
    for s in strata {
        let area = s["values"]["area"].as_str().unwrap();
        assert_eq!(
            per.get(area).copied().unwrap_or(0),
            s["n"].as_u64().unwrap()
        );
    }
    let out = run_ok(&["verify", "--plan", p(&p2b), "--manifest", p(&a)]);
    assert!(
        out.starts_with("identical") && out.contains("phase 2"),
        "{out}"
    );
    let mut lines: Vec<&str> = ta.lines().collect();
    lines.remove(3);
    std::fs::write(&a, lines.join("\n") + "\n").unwrap();
    let (code, out, _) = run(&["verify", "--plan", p(&p2b), "--manifest", p(&a)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 records drawn but not in the manifest"),
        "{out}"
    );
    // A plan for another manifest is refused.
    let other = d.join("other.csv");
    std::fs::write(&other, std::fs::read_to_string(&f.manifest).unwrap() + "\n").unwrap();
    std::fs::copy(
        d.join("manifest.csv.draw.json"),
        d.join("other.csv.draw.json"),
    )
    .unwrap();
    let (code, _, err) = run(&[
        "draw",
        "--phase2",
        "--plan",
        p(&p2b),
        "--manifest",
        p(&other),
        "--seed",
        "1",
        "-o",
        p(&d.join("x.csv")),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("checksums differ"), "{err}");

    // The inspector's template of the subsample, filled, against the self-review.
    let template1 = d.join("granskning.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&f.manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&template1),
    ]);
    let phase1_filled = d.join("kommunen.xlsx");
    fill(&template1, &phase1_filled, &[], &|_, _| {});
    let template2 = d.join("ivo.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&b),
        "--spec",
        &spec_path(),
        "-o",
        p(&template2),
    ]);
    let filled2 = d.join("ivo-ifylld.xlsx");
    fill(&template2, &filled2, &[], &|_, _| {});
    let out = run_ok(&[
        "agreement",
        "--manifest",
        p(&f.manifest),
        "--phase1",
        p(&phase1_filled),
        "--phase2",
        p(&filled2),
        "--spec",
        &spec_path(),
        "-o",
        p(&d.join("agreement.json")),
    ]);
    let m = v["total_n"].as_u64().unwrap();
    assert!(
        out.contains(&format!("{m} records re-reviewed of 120 self-reviewed")),
        "{out}"
    );

    // The report of the two-phase review: what stays with the municipality, what is
    // requested, and the agreement per question.
    let md = d.join("rapport.md");
    run_ok(&[
        "report",
        "--plan",
        p(&d.join("plan.json")),
        "--manifest",
        p(&f.manifest),
        "--phase2-plan",
        p(&p2b),
        "--agreement",
        p(&d.join("agreement.json")),
        "-o",
        p(&md),
    ]);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("## Egengranskning och omgranskning"),
        "{text}"
    );
    assert!(
        text.contains("| Fas 1: kommunen granskar själv | 120 |"),
        "{text}"
    );
    assert!(
        text.contains(&format!("| Fas 2: begärs för omgranskning | {m} |")),
        "{text}"
    );
    assert!(text.contains(&format!("I fas 2 begär inspektionen {m} av dem")));
    // The questions by their Swedish labels.
    for label in [
        "Barnet har kommit till tals",
        "Beslutet har meddelats den enskilde",
    ] {
        assert!(text.contains(&format!("| {label} | ")), "{label}: {text}");
    }
    // A phase-2 plan of another manifest is refused.
    let (code, _, err) = run(&[
        "report",
        "--plan",
        p(&d.join("plan.json")),
        "--manifest",
        p(&c),
        "--phase2-plan",
        p(&p2b),
        "-o",
        p(&md),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("another manifest"), "{err}");
}

/// A manifest whose keys are pseudonyms: its template lists the pseudonyms, and the filled
/// template is read back against the manifest as it is — no secret needed, every record
/// found.
#[test]
fn a_pseudonymized_manifest_round_trips_through_its_template() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = d.join("cases.parquet");
    run_ok(&[
        "generate",
        "--rows",
        "5000",
        "--seed",
        "9",
        "-o",
        p(&extract),
    ]);
    let plan = d.join("plan.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&extract),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "40",
        "-o",
        p(&plan),
    ]);
    let secret = d.join("secret.bin");
    std::fs::write(&secret, "a secret of more than sixteen bytes").unwrap();
    let manifest = d.join("manifest.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&extract),
        "--plan",
        p(&plan),
        "--seed",
        "5",
        "--pseudonymize",
        "case_id",
        "--secret-file",
        p(&secret),
        "-o",
        p(&manifest),
    ]);
    let template = d.join("mall.xlsx");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        &spec_path(),
        "-o",
        p(&template),
    ]);
    let rows = sheet_rows(&template, "Granskning");
    assert!(rows[1][0].len() >= 32, "a pseudonym: {}", rows[1][0]);
    let filled = d.join("ifylld.xlsx");
    fill(&template, &filled, &[], &|_, _| {});
    let out = run_ok(&[
        "indicators",
        "--manifest",
        p(&manifest),
        "--review",
        p(&filled),
        "--spec",
        &spec_path(),
        "-o",
        p(&d.join("r.csv")),
    ]);
    assert!(
        out.contains("review rows read 40 = answered 40 + no answer (non-response) 0")
            && out.contains("40 found, 0 not found"),
        "{out}"
    );
}
