//! `urval indicators` and `urval run` from the command line, on real files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, refused, root, urval};

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

const FIXTURE: &str = "id;g;flag;days;opened;decided
1;a;true;10;2024-01-31;2024-05-31
2;a;false;20;2024-01-31;2024-06-01
3;a;;30;2024-02-29;2024-06-29
4;b;true;5;2024-03-01;
5;b;true;;2024-03-01;2024-03-02
6;b;false;7;2024-10-31;2025-02-28
";

const FIXTURE_SPEC: &str = r#"
[[indicator]]
name = "flag_skip"
kind = "share"
expr = "flag"

[[indicator]]
name = "flag_fail"
kind = "share"
expr = "flag"
null = "fail"

[[indicator]]
name = "days_mean"
kind = "mean"
expr = "days"

[[indicator]]
name = "days_median"
kind = "median"
expr = "days"

[[indicator]]
name = "many_days"
kind = "count"
where = "days > 6"

[[indicator]]
name = "within_4_months"
kind = "share"
expr = "decided <= ADD_MONTHS(opened, 4)"
where = "decided IS NOT NULL"
"#;

fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("cases.csv");
    let spec = dir.join("spec.toml");
    std::fs::write(&data, FIXTURE).unwrap();
    std::fs::write(&spec, FIXTURE_SPEC).unwrap();
    (data, spec)
}

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect()
}

fn find<'a>(rows: &'a [Vec<String>], indicator: &str, group: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r[0] == indicator && r[1] == group)
        .unwrap_or_else(|| panic!("no row {indicator} {group}"))
}

#[test]
fn census_equals_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let (data, spec) = fixture(dir.path());
    let out = dir.path().join("ind.csv");
    let text = ok(urval().args([
        "indicators",
        // Hand-computed values of groups of 2 to 3 records: every cell shown.
        "--suppress-below",
        "0",
        "--extract",
        p(&data),
        "--key",
        "id",
        "--spec",
        p(&spec),
        "--by",
        "g",
        "-o",
        p(&out),
    ]));
    assert!(text.contains("rows read 6 = used 6"), "{text}");
    let r = rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        r[0][..12].join(","),
        "indicator,g,n,successes,estimate,lower,upper,se,method,deff,skipped,invalid"
    );
    // columns: 0 indicator, 1 g, 2 n, 3 successes, 4 estimate, … 10 skipped, 13 level
    let check = |ind: &str, g: &str, n: &str, succ: &str, est: &str, skipped: &str| {
        let row = find(&r, ind, g);
        assert_eq!(
            (&row[2][..], &row[3][..], &row[4][..], &row[10][..]),
            (n, succ, est, skipped),
            "{ind} {g}: {row:?}"
        );
    };
    check("flag_skip", "a", "2", "1", "0.5", "1");
    check("flag_skip", "b", "3", "2", &format!("{}", 2.0 / 3.0), "0");
    check("flag_skip", "", "5", "3", "0.6", "1");
    check("flag_fail", "a", "3", "1", &format!("{}", 1.0 / 3.0), "0");
    check("flag_fail", "", "6", "3", "0.5", "0");
    check("days_mean", "a", "3", "", "20", "0");
    check("days_mean", "b", "2", "", "6", "1");
    check("days_mean", "", "5", "", "14.4", "1");
    check("days_median", "a", "3", "", "20", "0");
    check("days_median", "", "5", "", "10", "1");
    check("many_days", "a", "3", "", "3", "0");
    check("many_days", "b", "1", "", "1", "0");
    check("many_days", "", "4", "", "4", "0");
    // 2024-01-31 + 4 months = 2024-05-31 (clamped); 2024-02-29 + 4 = 2024-06-29;
    // 2024-10-31 + 4 = 2025-02-28: rows 1, 3, 5, 6 in time, row 2 late, row 4 open.
    check("within_4_months", "", "5", "4", "0.8", "0");
    assert_eq!(find(&r, "flag_skip", "")[13], "total");
    // A census without --key reads no key column and gives the same numbers; with --key,
    // a row with an empty key is quarantined.
    let nokey = dir.path().join("nokey.csv");
    ok(urval().args([
        "indicators",
        "--suppress-below",
        "0",
        "--extract",
        p(&data),
        "--spec",
        p(&spec),
        "--by",
        "g",
        "-o",
        p(&nokey),
    ]));
    assert_eq!(std::fs::read(&nokey).unwrap(), std::fs::read(&out).unwrap());
    let blank = dir.path().join("blank.csv");
    std::fs::write(&blank, format!("{FIXTURE};a;true;1;2024-01-01;\n")).unwrap();
    let text = ok(urval().args([
        "indicators",
        "--suppress-below",
        "0",
        "--extract",
        p(&blank),
        "--key",
        "id",
        "--spec",
        p(&spec),
        "--max-quarantine",
        "100%",
        "-o",
        p(&dir.path().join("blank-out.csv")),
    ]));
    assert!(
        text.contains("rows read 7 = used 6 + excluded by --where 0 + quarantined 1"),
        "{text}"
    );
    assert_eq!(find(&r, "flag_skip", "a")[8], "census");
    assert!(
        find(&r, "flag_skip", "a")[5].is_empty(),
        "no interval without --ci"
    );

    // --ci: Wilson for 3 of 5 at 95 %: 0.2307… – 0.8824… (Newcombe 1998's formula).
    let out2 = dir.path().join("ci.json");
    ok(urval().args([
        "indicators",
        "--suppress-below",
        "0",
        "--extract",
        p(&data),
        "--key",
        "id",
        "--spec",
        p(&spec),
        "--ci",
        "-o",
        p(&out2),
    ]));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out2).unwrap()).unwrap();
    let total = j
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "flag_skip")
        .unwrap();
    assert_eq!(total["method"], "wilson");
    assert!(
        (total["lower"].as_f64().unwrap() - 0.230_724).abs() < 1e-5,
        "{total}"
    );
    assert!(
        (total["upper"].as_f64().unwrap() - 0.882_379).abs() < 1e-5,
        "{total}"
    );
}

#[test]
fn excel_dialect_and_age_bands() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("sample-data/cases.parquet");
    let spec = root().join("pipeline/indicators.toml");
    let out = dir.path().join("sv.csv");
    ok(urval().args([
        "indicators",
        "--extract",
        p(&data),
        "--key",
        "case_id",
        "--spec",
        p(&spec),
        "--by",
        "area,sex",
        "--age-bands",
        "0-17,18-64,65-79,80-",
        "--age",
        "YEAR(opened_date) - birth_year",
        "--csv-dialect",
        "excel-sv",
        "-o",
        p(&out),
    ]));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    // For people: headers in Swedish, the label next to the name, text quoted (so `0214`
    // stays text where Excel honours quotes), decimal commas, CRLF.
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("\"indikator\";\"namn\";\"area\";\"sex\";\"åldersgrupp\";\"antal\";"),
        "{header}"
    );
    assert!(text.contains("\r\n"));
    let pages = text
        .lines()
        .find(|l| l.contains("\"pages_per_record\";\"aldre\";\"kvinna\";\"80-\";"))
        .unwrap();
    assert!(pages.starts_with("\"Sidor"), "label_sv first: {pages}");
    let est = pages.split(';').nth(7).unwrap();
    assert!(
        est.contains(',') && !est.contains('.') && !est.contains('"'),
        "decimal comma: {pages}"
    );
    // Child cases are 0–17 by construction; elderly care has no 0–17 band.
    assert!(text
        .lines()
        .any(|l| l.contains("\"child_heard\";\"barn_unga\";\"man\";\"0-17\";")));
    assert!(!text
        .lines()
        .any(|l| l.contains("\"pages_per_record\";\"aldre\";\"man\";\"0-17\";")));
}

#[test]
fn output_is_the_same_for_any_thread_count_and_input_format() {
    let dir = tempfile::tempdir().unwrap();
    let spec = root().join("pipeline/indicators.toml");
    let run = |data: &str, threads: &str, name: &str| {
        let out = dir.path().join(name);
        ok(urval().env("RAYON_NUM_THREADS", threads).args([
            "indicators",
            "--extract",
            data,
            "--key",
            "case_id",
            "--spec",
            p(&spec),
            "--by",
            "municipality_code,area",
            "--ci",
            "-o",
            p(&out),
        ]));
        std::fs::read_to_string(out).unwrap_or_else(|_| String::from("(binary)"))
            + &format!(
                "{:x}",
                xxhash_rust::xxh3::xxh3_128(&std::fs::read(dir.path().join(name)).unwrap())
            )
    };
    let parquet = root().join("sample-data/cases.parquet");
    let csv = root().join("sample-data/cases.csv");
    let a = run(p(&parquet), "1", "a.parquet");
    let b = run(p(&parquet), "2", "b.parquet");
    let c = run(p(&parquet), "4", "c.parquet");
    assert!(a == b && a == c, "Parquet outputs differ by thread count");
    let x = run(p(&csv), "1", "x.csv");
    let y = run(p(&parquet), "2", "y.csv");
    if x != y {
        let first = x.lines().zip(y.lines()).find(|(l, r)| l != r);
        panic!("CSV and Parquet extracts give different indicators: {first:?}");
    }
}

/// Plan (strata: area, ±5 points per area) and draw from sample-data/cases.csv, then write
/// the review results: the manifest's records with the extract's columns, less `missing`
/// records of elderly care (`aldre`). Returns (manifest, review file).
fn sample_review(d: &Path, missing: usize) -> (PathBuf, PathBuf) {
    let data = root().join("sample-data/cases.csv");
    let plan = d.join("plan.json");
    let manifest = d.join("manifest.csv");
    ok(urval().args([
        "plan",
        "--extract",
        p(&data),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--margin",
        "0.05",
        "--allocation",
        "domain",
        "-o",
        p(&plan),
    ]));
    ok(urval().args([
        "draw",
        "--extract",
        p(&data),
        "--plan",
        p(&plan),
        "--seed",
        "11",
        "-o",
        p(&manifest),
    ]));
    let text = std::fs::read_to_string(&data).unwrap();
    let keys: std::collections::BTreeSet<String> =
        rows(&std::fs::read_to_string(&manifest).unwrap())
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect();
    let mut dropped = 0;
    let mut review = String::new();
    for (i, line) in text.lines().enumerate() {
        let key = line.split(';').next().unwrap();
        if i == 0 {
            review.push_str(line);
            review.push('\n');
        } else if keys.contains(key) {
            if line.contains(";aldre;") && dropped < missing {
                dropped += 1;
                continue;
            }
            review.push_str(line);
            review.push('\n');
        }
    }
    let path = d.join("review.csv");
    std::fs::write(&path, review).unwrap();
    (manifest, path)
}

/// A stratum where no drawn record came back: the estimates that include it are marked
/// `incomplete` with worst-case bounds (or `dropped` with --nonresponse drop), and the
/// command exits 1 unless --allow-empty-strata.
#[test]
fn a_stratum_with_no_response_is_never_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = root().join("pipeline/indicators.toml");
    let (manifest, review) = sample_review(d, usize::MAX);
    let run = |extra: &[&str], out: &Path| {
        let mut c = urval();
        c.args([
            "indicators",
            "--extract",
            p(&review),
            "--manifest",
            p(&manifest),
            "--spec",
        ])
        .arg(&spec)
        .args(["--by", "area", "-o", p(out)])
        .args(extra);
        c
    };
    let total = |out: &Path, name: &str| -> serde_json::Value {
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
        j.as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == name && r["level"] == "total")
            .unwrap()
            .clone()
    };
    let bounds = d.join("bounds.json");
    let out = run(&[], &bounds).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("1 design strata had no responding record"),
        "{stdout}"
    );
    assert!(stdout.contains("area=aldre"), "{stdout}");
    let b = total(&bounds, "decision_communicated");
    assert_eq!(b["nonresponse"], "incomplete");
    let share = b["missing_share"].as_f64().unwrap();
    assert!(share > 0.2 && share < 0.6, "{b}");
    let dropped = d.join("dropped.json");
    let stdout = ok(&mut run(
        &["--nonresponse", "drop", "--allow-empty-strata"],
        &dropped,
    ));
    assert!(
        stdout.contains("accepted (--allow-empty-strata)"),
        "{stdout}"
    );
    let x = total(&dropped, "decision_communicated");
    assert_eq!(x["nonresponse"], "dropped");
    assert_eq!(x["estimate"], b["estimate"]);
    // Worst case: the missing population may be all yes or all no.
    let (bl, bu) = (b["lower"].as_f64().unwrap(), b["upper"].as_f64().unwrap());
    let (xl, xu) = (x["lower"].as_f64().unwrap(), x["upper"].as_f64().unwrap());
    assert!((bl - xl * (1.0 - share)).abs() < 1e-12, "{bl} {xl} {share}");
    assert!(
        (bu - (xu * (1.0 - share) + share)).abs() < 1e-12,
        "{bu} {xu} {share}"
    );
    // A mean cannot be bounded without assuming the values' range.
    let m = total(&bounds, "pages_per_record");
    assert_eq!(m["nonresponse"], "incomplete");
    assert!(m["lower"].is_null() && m["upper"].is_null(), "{m}");
    // Groups the empty stratum cannot belong to are complete.
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bounds).unwrap()).unwrap();
    let heard = j
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "child_heard" && r["area"] == "barn_unga")
        .unwrap();
    assert!(heard["nonresponse"].is_null(), "{heard}");
}

#[test]
fn sample_estimates_with_nonresponse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = root().join("pipeline/indicators.toml");
    // The review results: the manifest's records with the extract's columns, less 10
    // records of elderly care that the municipality never sent.
    let (manifest, review) = sample_review(d, 10);
    let review_path = review;
    let out = d.join("sample.json");
    let stdout = ok(urval().args([
        "indicators",
        "--extract",
        p(&review_path),
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "--by",
        "area",
        "-o",
        p(&out),
    ]));
    assert!(
        stdout.contains("10 not found (non-response in 1 strata)"),
        "{stdout}"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sample.indicators.json")).unwrap())
            .unwrap();
    assert_eq!(meta["mode"], "sample");
    assert_eq!(meta["nonresponse"], 10);
    let nr = &meta["nonresponse_strata"][0];
    assert_eq!(nr["values"]["area"], "aldre");
    assert_eq!(
        nr["responding"].as_u64().unwrap() + 10,
        nr["n"].as_u64().unwrap()
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rows = j.as_array().unwrap();
    // pages_per_record in aldre: one stratum, the responding records.
    let aldre = rows
        .iter()
        .find(|r| r["indicator"] == "pages_per_record" && r["area"] == "aldre")
        .unwrap();
    assert_eq!(
        aldre["n"].as_u64().unwrap(),
        nr["responding"].as_u64().unwrap()
    );
    assert_eq!(aldre["method"], "stratified-t");
    // Shares within one stratum use Wilson with the finite population correction; the
    // total across strata is stratified (Korn–Graubard) with a design effect.
    let heard = rows
        .iter()
        .find(|r| r["indicator"] == "child_heard" && r["area"] == "barn_unga")
        .unwrap();
    assert_eq!(heard["method"], "clopper-pearson-fpc");
    let total = rows
        .iter()
        .find(|r| r["indicator"] == "decision_communicated" && r["level"] == "total")
        .unwrap();
    assert_eq!(total["method"], "korn-graubard");
    assert!(total["deff"].as_f64().unwrap() > 0.0);
    let (lo, est, hi) = (
        total["lower"].as_f64().unwrap(),
        total["estimate"].as_f64().unwrap(),
        total["upper"].as_f64().unwrap(),
    );
    assert!(lo < est && est < hi && hi - lo < 0.1, "{total}");
    // --ci is for a census only.
    fails(
        urval().args([
            "indicators",
            "--extract",
            p(&review_path),
            "--manifest",
            p(&manifest),
            "--spec",
            p(&spec),
            "--ci",
            "-o",
            p(&out),
        ]),
        2,
    );
}

#[test]
fn spec_errors_name_the_indicator_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = fixture(dir.path());
    let spec = dir.path().join("bad.toml");
    let out = dir.path().join("o.csv");
    let cases = [
        (
            "[[indicator]]\nname = 'late'\nkind = 'share'\nexpr = 'closed_date > opened'",
            "indicator \"late\" reads column \"closed_date\"",
        ),
        (
            "[[indicator]]\nname = 'broken'\nkind = 'share'\nexpr = 'flag AND'",
            "indicator \"broken\": expr",
        ),
        ("[[indicator]\nname = 'x'", "not a valid indicator spec"),
    ];
    for (text, want) in cases {
        std::fs::write(&spec, text).unwrap();
        let err = fails(
            urval().args([
                "indicators",
                "--extract",
                p(&data),
                "--key",
                "id",
                "--spec",
                p(&spec),
                "-o",
                p(&out),
            ]),
            2,
        );
        assert!(err.contains(want) && err.contains("bad.toml"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(!out.exists());
    }
    // A value that does not fit an expression is an indicator error with its row, not a
    // lost row: the row is still used for the other indicators.
    std::fs::write(
        &spec,
        "[[indicator]]\nname = 'd'\nkind = 'mean'\nexpr = 'days'\n[[indicator]]\nname = 'n'\nkind = 'count'",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id;days\n1;4\n2;four\n3;8\n").unwrap();
    let stdout = ok(urval().args([
        "indicators",
        "--suppress-below",
        "0",
        "--extract",
        p(&bad),
        "--key",
        "id",
        "--spec",
        p(&spec),
        "-o",
        p(&out),
    ]));
    assert!(
        stdout.contains("rows read 3 = used 3") && stdout.contains("(1 row invalid)"),
        "{stdout}"
    );
    let q = std::fs::read_to_string(dir.path().join("o.quarantine.csv")).unwrap();
    assert!(
        q.contains(",3,\"indicator d:") && q.contains("not a number"),
        "{q}"
    );
    let r = rows(&std::fs::read_to_string(&out).unwrap());
    // No --by: indicator, n, successes, estimate, …
    let total = |name: &str| r.iter().find(|x| x[0] == name).unwrap().clone();
    assert_eq!(
        (&total("d")[1][..], &total("d")[3][..]),
        ("2", "6"),
        "mean of 4 and 8"
    );
    assert_eq!(
        total("n")[3],
        "3",
        "the row with the bad value still counts"
    );
}

fn nightly(dir: &Path, spec: &Path, name: &str) -> PathBuf {
    let data = root().join("sample-data/cases.parquet");
    let text = format!(
        r#"
outputs = "{out}"
extract = ["{data}"]
key = "case_id"

[[step]]
command = "plan"
strata = "municipality_code"
where = "area = 'aldre'"
margin = 0.05
min = 1
output = "plan.json"

[[step]]
command = "draw"
plan = "plan.json"
seed = 5
output = "manifest.csv"

[[step]]
command = "verify"
plan = "plan.json"
manifest = "manifest.csv"
output = "verify.txt"

[[step]]
command = "indicators"
spec = "{spec}"
by = ["area"]
output = "indicators.parquet"
"#,
        out = p(&dir.join("out")),
        data = p(&data),
        spec = p(spec),
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn checksums(dir: &Path) -> Vec<(String, String)> {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run-manifest.json")).unwrap())
            .unwrap();
    m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_string(),
                o["xxh3_128"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn nightly_run_is_idempotent_atomic_and_locked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = root().join("pipeline/indicators.toml");
    let pipeline = nightly(d, &spec, "nightly.toml");
    let out = d.join("out");
    let stdout = ok(urval().args(["run", p(&pipeline)]));
    assert!(stdout.contains("4 steps"), "{stdout}");
    let first = checksums(&out);
    assert!(first.iter().any(|(n, _)| n == "indicators.parquet"));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["steps"][0]["files"][0]["rows_read"], 20_000);
    assert!(m["inputs"][0]["xxh3_128"].as_str().unwrap().len() == 32);
    // Every output's checksum is the file's.
    for (name, sum) in &first {
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert_eq!(
            format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes)),
            *sum,
            "{name}"
        );
    }
    // A rerun over unchanged inputs writes identical outputs, with any thread count.
    ok(urval()
        .env("RAYON_NUM_THREADS", "1")
        .args(["run", p(&pipeline)]));
    assert_eq!(checksums(&out), first);
    let before = listing(&out);

    // A failing step (a spec naming a column the extract lacks) names the step, exits 2
    // and leaves the previous outputs as they were.
    let bad_spec = d.join("bad.toml");
    std::fs::write(
        &bad_spec,
        "[[indicator]]\nname = 'x'\nkind = 'share'\nexpr = 'no_such_column'",
    )
    .unwrap();
    let bad = nightly(d, &bad_spec, "bad-nightly.toml");
    let err = fails(urval().args(["run", p(&bad)]), 2);
    assert!(
        err.contains("step 4 (indicators → indicators.parquet)")
            && err.contains("previous outputs")
            && err.contains("no_such_column"),
        "{err}"
    );
    assert_eq!(listing(&out), before);
    assert_eq!(
        generations(d),
        2,
        "the failed run's generation was not removed"
    );

    // A missing extract: a clear error before anything runs.
    let text = std::fs::read_to_string(&pipeline)
        .unwrap()
        .replace("cases.parquet", "no-such-file.parquet");
    let missing = d.join("missing.toml");
    std::fs::write(&missing, text).unwrap();
    let err = fails(urval().args(["run", p(&missing)]), 2);
    assert!(err.contains("no-such-file.parquet"), "{err}");
    assert_eq!(listing(&out), before);

    // A lock held (an OS lock on the file) stops a second run, naming the holder; a lock
    // file left by a run that died holds no OS lock and stops nothing.
    let lock = d.join(".out.generations/lock");
    {
        let held = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
        held.try_lock().unwrap();
        std::fs::write(&lock, "4242").unwrap();
        let err = fails(urval().args(["run", p(&pipeline)]), 2);
        assert!(err.contains("another urval run (pid 4242)"), "{err}");
    }
    std::fs::write(&lock, "999999999").unwrap();
    ok(urval().args(["run", p(&pipeline)]));
    assert_eq!(checksums(&out), first);
}

/// The numbered generation directories of `dir/out`.
fn generations(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(".out.generations"))
        .unwrap()
        .filter(|e| {
            let e = e.as_ref().unwrap();
            e.path().is_dir() && e.file_name().to_string_lossy().parse::<u64>().is_ok()
        })
        .count()
}

/// `strace` finds every rename a run makes; the run is then killed (SIGKILL injected at the
/// syscall) at each one in turn, and after each kill the outputs are one whole generation:
/// every file the run manifest lists is there with its checksum, nothing else is, and the
/// manifest verifies against the plan and its sidecar. Before the last rename that is the
/// previous run (seed 5); the run killed at no rename is the new one (seed 6).
#[test]
fn a_run_killed_at_any_rename_leaves_one_whole_generation() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("URVAL_NO_STRACE").is_some(),
            "strace is needed for this test (apt-get install strace), or set URVAL_NO_STRACE=1 to skip it knowingly"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = root().join("pipeline/indicators.toml");
    let pipeline = nightly(d, &spec, "nightly.toml");
    let out = d.join("out");
    ok(urval().args(["run", p(&pipeline)]));
    let text = std::fs::read_to_string(&pipeline)
        .unwrap()
        .replace("seed = 5", "seed = 6");
    std::fs::write(&pipeline, text).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("urval");
    let traced = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o"])
        .arg(d.join("trace.txt"))
        .arg(&bin)
        .args(["run", "--outputs", p(&d.join("probe")), p(&pipeline)])
        .output()
        .unwrap();
    assert!(
        traced.status.success(),
        "{}",
        String::from_utf8_lossy(&traced.stderr)
    );
    let renames = std::fs::read_to_string(d.join("trace.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("rename"))
        .count();
    assert!(renames >= 6, "{renames} renames");
    let whole = |when: &str| -> u64 {
        let mut listed: Vec<String> = checksums(&out).into_iter().map(|(n, _)| n).collect();
        for (name, sum) in checksums(&out) {
            let bytes =
                std::fs::read(out.join(&name)).unwrap_or_else(|_| panic!("{when}: {name} missing"));
            assert_eq!(
                format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes)),
                sum,
                "{when}: {name}"
            );
        }
        listed.push("run-manifest.json".into());
        listed.sort();
        let mut present: Vec<String> = listing(&out).into_iter().map(|(n, _)| n).collect();
        present.sort();
        assert_eq!(present, listed, "{when}: files beside the run's");
        let v = urval()
            .args([
                "verify",
                "--extract",
                p(&root().join("sample-data/cases.parquet")),
                "--plan",
                p(&out.join("plan.json")),
                "--manifest",
                p(&out.join("manifest.csv")),
            ])
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "{when}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
        let side: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("manifest.csv.draw.json")).unwrap(),
        )
        .unwrap();
        side["seed"].as_u64().unwrap()
    };
    assert_eq!(whole("before"), 5);
    for n in 1..=renames {
        let o = std::process::Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-e"])
            .arg(format!(
                "inject=rename,renameat,renameat2:signal=SIGKILL:when={n}"
            ))
            .arg(&bin)
            .args(["run", p(&pipeline)])
            .output()
            .unwrap();
        assert!(!o.status.success(), "the run was not killed at rename {n}");
        let seed = whole(&format!("killed at rename {n} of {renames}"));
        // Killed at the syscall's entry, rename n never happens: up to and including the
        // last one (the link's), the previous generation is what is visible.
        assert_eq!(seed, 5, "killed at rename {n}");
        assert!(generations(d) <= 3, "generations pile up");
    }
    // Unkilled, the next run publishes the new generation and clears the dead ones.
    ok(urval().args(["run", p(&pipeline)]));
    assert_eq!(whole("after"), 6);
    assert!(generations(d) <= 2);
}

/// Four runs at once: the OS lock lets one in at a time; a run that finds it held exits 2
/// naming the holder, and the outputs are a complete set afterwards.
#[test]
fn simultaneous_runs_one_at_a_time() {
    use assert_cmd::cargo::CommandCargoExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = d.join("big.parquet");
    ok(urval().args(["generate", "--rows", "400000", "--seed", "9", "-o", p(&big)]));
    let spec = root().join("pipeline/indicators.toml");
    let pipeline = nightly(d, &spec, "nightly.toml");
    let text = std::fs::read_to_string(&pipeline)
        .unwrap()
        .replace(p(&root().join("sample-data/cases.parquet")), p(&big));
    std::fs::write(&pipeline, text).unwrap();
    let out = d.join("out");
    ok(urval().args(["run", p(&pipeline)]));
    let stable = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        listing(dir)
            .into_iter()
            .filter(|(n, _)| n != "run-manifest.json")
            .collect()
    };
    let stable_before = stable(&out);
    // Four runs at once: the OS lock lets one in at a time; a run that finds it held exits
    // 2 naming the holder, and the outputs are a complete set afterwards.
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::cargo_bin("urval")
                .unwrap()
                .args(["run", p(&pipeline)])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut succeeded = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => succeeded += 1,
            Some(2) => assert!(
                String::from_utf8_lossy(&out.stderr).contains("another urval run (pid "),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            other => panic!("exit {other:?}"),
        }
    }
    assert!(succeeded >= 1);
    assert_eq!(stable(&out), stable_before);
}

/// Paths in a pipeline file are relative to the file's directory, whatever the working
/// directory: `urval run sub/nightly.toml` from elsewhere finds its extract, spec and
/// secret, and writes into `sub/out`. The secret is listed among the inputs without its
/// size or checksum; the sidecar and the report name files, not the analyst's paths.
#[test]
fn pipeline_paths_are_relative_to_the_pipeline_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir_all(sub.join("data")).unwrap();
    std::fs::copy(
        root().join("sample-data/cases.csv"),
        sub.join("data/cases.csv"),
    )
    .unwrap();
    std::fs::copy(
        root().join("pipeline/indicators.toml"),
        sub.join("indicators.toml"),
    )
    .unwrap();
    std::fs::write(sub.join("secret.txt"), "a passphrase of some length").unwrap();
    std::fs::write(
        sub.join("nightly.toml"),
        r#"
outputs = "out"
extract = ["data/cases.csv"]
key = "case_id"

[[step]]
command = "plan"
strata = "area"
margin = "5 %"
output = "plan.json"

[[step]]
command = "draw"
plan = "plan.json"
seed = 11
pseudonymize = "case_id"
secret_file = "secret.txt"
output = "manifest.csv"

[[step]]
command = "verify"
plan = "plan.json"
manifest = "manifest.csv"
secret_file = "secret.txt"
output = "verify.txt"

[[step]]
command = "indicators"
spec = "indicators.toml"
by = "area"
output = "census.csv"

[[step]]
command = "report"
plan = "plan.json"
manifest = "manifest.csv"
output = "report.html"
"#,
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let stdout = ok(urval()
        .current_dir(elsewhere.path())
        .args(["run", p(&sub.join("nightly.toml"))]));
    assert!(stdout.contains("5 steps"), "{stdout}");
    let out = sub.join("out");
    let verify = std::fs::read_to_string(out.join("verify.txt")).unwrap();
    assert!(verify.starts_with("identical:"), "{verify}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run-manifest.json")).unwrap())
            .unwrap();
    let secret = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("secret.txt"))
        .expect("the secret is listed as an input");
    assert!(
        secret["xxh3_128"].is_null() && secret["bytes"].is_null(),
        "{secret}"
    );
    let side = std::fs::read_to_string(out.join("manifest.csv.draw.json")).unwrap();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for text in [&side, &report] {
        assert!(!text.contains(p(dir.path())), "an absolute path leaked");
        assert!(
            !text.contains(".generations"),
            "the generations directory leaked"
        );
    }
    // An unknown key names the step and the key.
    let text = std::fs::read_to_string(sub.join("nightly.toml"))
        .unwrap()
        .replace("seed = 11", "seed = 11\nsede = 12");
    std::fs::write(sub.join("bad.toml"), text).unwrap();
    let err = fails(urval().args(["run", p(&sub.join("bad.toml"))]), 2);
    assert!(err.contains("step 2 (draw): unknown field `sede`"), "{err}");
}

/// An outputs directory written before generations (a real directory with a run manifest)
/// becomes generation 0 and stays readable through the link; a directory urval did not
/// make is refused, untouched.
#[test]
fn an_outputs_directory_from_before_generations_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = root().join("pipeline/indicators.toml");
    let pipeline = nightly(d, &spec, "nightly.toml");
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("run-manifest.json"), "{}").unwrap();
    std::fs::write(out.join("old.txt"), "yesterday").unwrap();
    ok(urval().args(["run", p(&pipeline)]));
    assert!(std::fs::symlink_metadata(&out)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(d.join(".out.generations/0/old.txt")).unwrap(),
        "yesterday"
    );
    assert!(out.join("manifest.csv").is_file() && !out.join("old.txt").exists());

    let other = d.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = fails(
        urval().args(["run", "--outputs", p(&other), p(&pipeline)]),
        2,
    );
    assert!(
        err.contains("a directory that urval run did not make"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "mine"
    );
}

/// By default no published row counts 1 to 4 people (n, or a share's successes or
/// failures), the withheld rows carry no figure, and the metadata says the table is for
/// publication; with `--suppress-below 0` every row is written, without the column, and the
/// metadata says it is not.
#[test]
fn small_cells_are_withheld_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("heard.csv");
    let args = |o: &Path| -> Vec<String> {
        [
            "indicators",
            "--extract",
            p(&root().join("sample-data/cases.csv")),
            "--spec",
            p(&root().join("sample-data/child-heard.toml")),
            "--by",
            "municipality_code,sex",
            "-o",
            p(o),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let text = ok(urval().args(args(&out)).arg("--print"));
    assert!(
        text.contains("suppression: cells about 1 to 4 people withheld"),
        "{text}"
    );
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let head = rdr.headers().unwrap().clone();
    assert_eq!(head.iter().next_back(), Some("suppressed"));
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (mut primary, mut secondary, mut published) = (0, 0, 0);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        match &rec[col("suppressed")] {
            "" => {
                published += 1;
                let n: u64 = rec[col("n")].parse().unwrap();
                let s: u64 = rec[col("successes")].parse().unwrap();
                for v in [n, s, n - s] {
                    assert!(v == 0 || v >= 5, "a published row counts {v}: {rec:?}");
                }
            }
            status => {
                assert!(status == "primary" || status == "secondary", "{status}");
                if status == "primary" {
                    primary += 1;
                } else {
                    secondary += 1;
                }
                for c in ["n", "successes", "estimate", "se", "method", "skipped"] {
                    assert_eq!(&rec[col(c)], "", "{c} shown in a withheld row {rec:?}");
                }
            }
        }
    }
    assert!(
        primary > 0 && secondary > 0 && published > 0,
        "{primary} {secondary} {published}"
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("heard.indicators.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["publication"], "for publication");
    assert_eq!(meta["suppress_below"], 5);
    assert_eq!(meta["suppressed_primary"], primary);
    assert_eq!(meta["suppressed_secondary"], secondary);

    let full = dir.path().join("full.csv");
    let text = ok(urval().args(args(&full)).args(["--suppress-below", "0"]));
    assert!(text.contains("not for publication"), "{text}");
    let body = std::fs::read_to_string(&full).unwrap();
    assert!(!body.lines().next().unwrap().contains("suppressed"));
    assert_eq!(body.lines().count(), primary + secondary + published + 1);
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("full.indicators.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["publication"], "not for publication");
}

/// One row of an indicators table: its group, n, successes and `suppressed` status.
type TableRow = (Vec<String>, Option<u64>, Option<u64>, String);

/// Read a CSV indicators table.
fn table_rows(path: &Path, by: &[&str]) -> Vec<TableRow> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let head = rdr.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name);
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                by.iter().map(|c| r[col(c).unwrap()].to_string()).collect(),
                r[col("n").unwrap()].parse().ok(),
                r[col("successes").unwrap()].parse().ok(),
                col("suppressed").map_or(String::new(), |i| r[i].to_string()),
            )
        })
        .collect()
}

/// Through `urval run`: an `indicators` step publishes no cell about 1 to 4 people; a
/// `report` step given a table with every cell (`suppress_below = 0`) withholds exactly the
/// rows the suppressed table withholds, and nothing of them reaches the report's JSON; only
/// `suppress_below = 0` on the report shows them, marked not for publication; a threshold
/// above the table's own is refused.
#[test]
fn a_pipeline_publishes_no_small_cell_in_tables_or_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("p.toml"),
        format!(
            r#"
outputs = "out"
extract = [{cases:?}]
key = "case_id"

[[step]]
command = "plan"
strata = "area"
margin = "5 %"
output = "plan.json"

[[step]]
command = "indicators"
spec = {spec:?}
by = ["municipality_code", "sex"]
where = "municipality_code IN ('1280','0380','0680','0560','1466')"
output = "published.csv"

[[step]]
command = "indicators"
spec = {spec:?}
by = ["municipality_code", "sex"]
where = "municipality_code IN ('1280','0380','0680','0560','1466')"
suppress_below = 0
output = "internal.csv"

[[step]]
command = "report"
plan = "plan.json"
indicators = "internal.csv"
output = "report.json"

[[step]]
command = "report"
plan = "plan.json"
indicators = "internal.csv"
suppress_below = 0
output = "internal-report.json"
"#,
            cases = p(&root().join("sample-data/cases.csv")),
            spec = p(&root().join("sample-data/child-heard.toml")),
        ),
    )
    .unwrap();
    ok(urval().args(["run", p(&d.join("p.toml"))]));
    let out = d.join("out");
    let by = ["municipality_code", "sex"];
    let published = table_rows(&out.join("published.csv"), &by);
    let internal = table_rows(&out.join("internal.csv"), &by);
    assert_eq!(published.len(), internal.len());
    let mut withheld = 0;
    for ((g, n, s, status), (g2, n2, s2, _)) in published.iter().zip(&internal) {
        assert_eq!(g, g2);
        if status.is_empty() {
            let (n, s) = (n.unwrap(), s.unwrap());
            for v in [n, s, n - s] {
                assert!(v == 0 || v >= 5, "published {g:?} counts {v}");
            }
            assert_eq!((Some(n), Some(s)), (*n2, *s2));
        } else {
            withheld += 1;
            assert_eq!((n, s), (&None, &None), "{g:?}");
        }
    }
    assert!(withheld >= 2, "{withheld}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["not_for_publication"], false);
    assert_eq!(report["suppress_below"], 5);
    let rows = report["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), published.len());
    let shown_withheld = rows.iter().filter(|r| r["suppressed"] == true).count();
    assert_eq!(shown_withheld, withheld);
    for r in rows {
        if r["suppressed"] == true {
            assert_eq!(r["n"], 0, "{r}");
            assert!(r["estimate"].is_null() && r["lower"].is_null(), "{r}");
        } else {
            let n = r["n"].as_u64().unwrap();
            assert!(n == 0 || n >= 5, "{r}");
        }
    }
    // Each withheld group of the table is withheld in the report (the group is named there
    // as `municipality, sex`).
    for (g, _, _, status) in &published {
        if !status.is_empty() {
            assert!(
                rows.iter().any(|r| r["suppressed"] == true
                    && g.iter()
                        .all(|v| r["group"].as_str().unwrap().contains(v.as_str()))),
                "{g:?} shown in the report"
            );
        }
    }

    let internal_report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("internal-report.json")).unwrap())
            .unwrap();
    assert_eq!(internal_report["not_for_publication"], true);
    assert!(internal_report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["suppressed"] == false));

    let err = fails(
        urval().args([
            "report",
            "--plan",
            p(&out.join("plan.json")),
            "--indicators",
            p(&out.join("published.csv")),
            "--suppress-below",
            "10",
            "-o",
            p(&d.join("r.md")),
        ]),
        2,
    );
    assert!(
        err.contains("written with --suppress-below 5") && err.contains("--suppress-below 10"),
        "{err}"
    );
}

#[test]
fn a_threshold_of_one_is_refused_as_withholding_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("sample-data/cases.csv");
    let spec = root().join("pipeline/indicators.toml");
    let out = dir.path().join("t.csv");
    refused(
        &[
            "indicators",
            "--extract",
            p(&data),
            "--spec",
            p(&spec),
            "--by",
            "area",
            "--suppress-below",
            "1",
            "-o",
            p(&out),
        ],
        2,
        "--suppress-below 1 withholds nothing (no count is below 1): give 0 to write every cell (not for publication), or 2 or more",
    );
    assert!(!out.exists());
}

/// A plan of 3,000 records over the 290 municipalities of the sample data, drawn: the
/// small-area example of docs/guide/nightly-batch.md.
fn municipal_sample(dir: &Path) -> PathBuf {
    let data = root().join("sample-data");
    let plan = dir.join("plan.json");
    let manifest = dir.join("manifest.csv");
    ok(urval().args([
        "plan",
        "--extract",
        p(&data.join("cases.parquet")),
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
    ]));
    ok(urval().args([
        "draw",
        "--extract",
        p(&data.join("cases.parquet")),
        "--plan",
        p(&plan),
        "--seed",
        "20261207",
        "-o",
        p(&manifest),
    ]));
    manifest
}

fn small_area_table(
    manifest: &Path,
    extract: &str,
    threads: &str,
    covariates: bool,
    out: &Path,
) -> String {
    let data = root().join("sample-data");
    let mut cmd = urval();
    cmd.env("RAYON_NUM_THREADS", threads).args([
        "indicators",
        "--extract",
        p(&data.join(extract)),
        "--manifest",
        p(manifest),
        "--spec",
        p(&data.join("child-heard.toml")),
        "--by",
        "municipality_code",
        "--small-area",
        "municipality_code",
        "--suppress-below",
        "0",
        "-o",
        p(out),
    ]);
    if covariates {
        cmd.args([
            "--small-area-covariates",
            p(&data.join("kommun-covariates.csv")),
        ]);
    }
    ok(&mut cmd)
}

#[test]
fn small_area_estimates_sit_beside_the_direct_ones_the_same_for_any_format_or_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = municipal_sample(dir.path());
    for covariates in [false, true] {
        let a = dir.path().join(format!("a{covariates}.csv"));
        let b = dir.path().join(format!("b{covariates}.csv"));
        let printed = small_area_table(&manifest, "cases.parquet", "1", covariates, &a);
        assert!(printed.contains("no municipality is judged on the model-based figure alone"));
        small_area_table(&manifest, "cases.csv", "4", covariates, &b);
        // The metadata records the model.
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(a.with_extension("indicators.json")).unwrap(),
        )
        .unwrap();
        let sa = &meta["small_area"];
        assert_eq!(sa["column"], "municipality_code");
        assert_eq!(
            sa["model"],
            if covariates {
                "fay-herriot-arcsine"
            } else {
                "eb-beta-binomial"
            }
        );
        assert_eq!(sa["fits"], 1);
        assert!(sa["areas"].as_u64().unwrap() > 200, "{sa}");
        assert_eq!(sa["covariates_file"].is_null(), !covariates);
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
        let at = |name: &str| head.iter().position(|h| h == name).unwrap();
        // The direct estimate first, the model-based complement after it.
        assert!(at("estimate") < at("model_estimate"));
        assert_eq!(
            head[at("model_estimate")..],
            [
                "model_estimate",
                "model_lower",
                "model_upper",
                "model_rmse",
                "shrinkage",
                "model"
            ]
        );
        let (mut with_records, mut synthetic) = (0, 0);
        for r in rows.records() {
            let r = r.unwrap();
            if &r[at("level")] == "total" {
                assert_eq!(&r[at("model")], "");
                continue;
            }
            let num = |c: &str| r[at(c)].parse::<f64>().unwrap();
            let (m, lo, hi) = (
                num("model_estimate"),
                num("model_lower"),
                num("model_upper"),
            );
            assert!(lo <= m && m <= hi && (0.0..=1.0).contains(&lo) && hi <= 1.0);
            if r[at("model")].ends_with("-synthetic") {
                synthetic += 1;
                assert_eq!(&r[at("n")], "0");
                assert_eq!(&r[at("estimate")], "");
                assert_eq!(&r[at("shrinkage")], "");
                continue;
            }
            with_records += 1;
            // The model-based estimate lies between the direct one and what the other
            // areas say, pulled the less the more the area's own records weigh.
            let w = num("shrinkage");
            assert!(w > 0.0 && w < 1.0);
        }
        assert_eq!(with_records, 259);
        // The 31 municipalities of the plan without a sampled child: synthetic, with
        // covariates (the file lists every municipality) and without (the plan's strata).
        assert_eq!(synthetic, 31);
        assert_eq!(sa["synthetic"], 31);
    }
    // A table with the model-based columns is last year's table for a plan's purposes:
    // its group column is the municipality, not a model column.
    let purposes = dir.path().join("purposes.toml");
    std::fs::write(
        &purposes,
        "[[purpose]]\nname = \"heard\"\npopulation = \"area = 'barn_unga'\"\nfrom = \"afalse.csv\"\nindicator = \"child_heard\"\nmargin = 0.15\nlevel = \"stratum\"\n",
    )
    .unwrap();
    ok(urval().args([
        "plan",
        "--extract",
        p(&root().join("sample-data/cases.parquet")),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--purposes",
        p(&purposes),
        "-o",
        p(&dir.path().join("next.json")),
    ]));
    // The report shows the model-based estimate after the direct one, and says what it is.
    let report = dir.path().join("report.md");
    ok(urval().args([
        "report",
        "--plan",
        p(&dir.path().join("plan.json")),
        "--manifest",
        p(&manifest),
        "--indicators",
        p(&dir.path().join("afalse.csv")),
        "--suppress-below",
        "0",
        "--lang",
        "en",
        "-o",
        p(&report),
    ]));
    let md = std::fs::read_to_string(&report).unwrap();
    let head = md
        .lines()
        .find(|l| l.contains("Model-based estimate (complement)"))
        .unwrap();
    assert!(head.find("| Estimate |").unwrap() < head.find("Model-based").unwrap());
    assert!(md.contains("no municipality is judged on the model-based figure alone"));
    // JSON and Parquet carry the same columns.
    let json = dir.path().join("t.json");
    small_area_table(&manifest, "cases.parquet", "2", false, &json);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v[0]["model"], "eb-beta-binomial");
    assert!(v[0]["shrinkage"].as_f64().is_some());
    let parquet = dir.path().join("t.parquet");
    small_area_table(&manifest, "cases.parquet", "2", false, &parquet);
    assert!(parquet.metadata().unwrap().len() > 0);
}

#[test]
fn small_area_needs_one_of_the_by_columns_and_a_covariate_for_every_sampled_area() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("sample-data");
    let out = dir.path().join("t.csv");
    let base = |extra: &[&str]| {
        let mut a: Vec<String> = [
            "indicators",
            "--extract",
            p(&data.join("cases.csv")),
            "--spec",
            p(&data.join("child-heard.toml")),
            "--by",
            "area",
            "-o",
            p(&out),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let args = base(&["--small-area", "municipality_code"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, 2, "must be one of the --by columns");
    // One area with records (the indicator's where keeps only barn_unga): no model,
    // said so.
    let cov = dir.path().join("cov.csv");
    std::fs::write(&cov, "area,x\nbarn_unga,1\naldre,2\n").unwrap();
    let args = base(&["--small-area", "area", "--small-area-covariates", p(&cov)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let printed = ok(urval().args(&args));
    assert!(
        printed.contains("no model (too few areas): child_heard: 1 areas"),
        "{printed}"
    );
    // Over the whole extract (no manifest) the figure is said to be the rate behind the
    // counted share.
    assert!(
        printed.contains("each area's share is counted, not estimated"),
        "{printed}"
    );
    // A sampled area missing from the covariates file is named.
    std::fs::write(&cov, "municipality_code,x\n0180,1\n").unwrap();
    let mut args = base(&[
        "--small-area",
        "municipality_code",
        "--small-area-covariates",
        p(&cov),
        "--suppress-below",
        "0",
    ]);
    args[6] = "municipality_code".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, 2, "has records but no row in the covariates file");
}
