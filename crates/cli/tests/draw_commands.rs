//! CLI tests for `urval generate`, `plan`, `draw` and `verify`: the draw is the same
//! whatever the row order, file split, format and thread count; municipalities drawing their
//! own part reproduce the national draw; a changed extract is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, refused, run_ok, urval};

use predicates::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A generated extract in Parquet (small row groups: many parallel units) and CSV, and a
/// plan over municipality × area.
struct Fixture {
    dir: tempfile::TempDir,
    parquet: PathBuf,
    csv: PathBuf,
    plan: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("cases.parquet");
    let csv = dir.path().join("cases.csv");
    let plan = dir.path().join("plan.json");
    run_ok(&[
        "generate",
        "--rows",
        "30000",
        "--seed",
        "7",
        "--row-group-size",
        "4096",
        "-o",
        p(&parquet),
    ]);
    run_ok(&["generate", "--rows", "30000", "--seed", "7", "-o", p(&csv)]);
    run_ok(&[
        "plan",
        "--extract",
        p(&parquet),
        "--key",
        "case_id",
        "--strata",
        "municipality_code,area",
        "--margin",
        "0.15",
        "--allocation",
        "domain",
        "-o",
        p(&plan),
    ]);
    Fixture {
        dir,
        parquet,
        csv,
        plan,
    }
}

fn draw(f: &Fixture, extract: &[&str], out: &Path, extra: &[&str], threads: &str) {
    let mut args = vec!["draw", "--extract"];
    args.extend_from_slice(extract);
    args.extend_from_slice(&["--plan", p(&f.plan), "--seed", "20261123", "-o", p(out)]);
    args.extend_from_slice(extra);
    let out = urval()
        .env("RAYON_NUM_THREADS", threads)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn csv_lines(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(String::from);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

#[test]
fn same_draw_whatever_order_split_format_and_threads() {
    let f = fixture();
    let d = f.dir.path();
    let reference = d.join("ref.csv");
    draw(&f, &[p(&f.parquet)], &reference, &[], "2");
    let bytes = std::fs::read(&reference).unwrap();
    assert!(bytes.len() > 1000);

    // Threads.
    let one = d.join("one.csv");
    draw(&f, &[p(&f.parquet)], &one, &[], "1");
    assert_eq!(
        std::fs::read(&one).unwrap(),
        bytes,
        "RAYON_NUM_THREADS=1 differs"
    );

    // Format: the CSV of the same rows.
    let from_csv = d.join("from_csv.csv");
    draw(&f, &[p(&f.csv)], &from_csv, &[], "2");
    assert_eq!(
        std::fs::read(&from_csv).unwrap(),
        bytes,
        "CSV input differs"
    );

    // Row order: the CSV's rows shuffled (a fixed permutation).
    let (header, mut rows) = csv_lines(&f.csv);
    let n = rows.len();
    let mut state = 12345u64;
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        rows.swap(i, (state >> 33) as usize % (i + 1));
    }
    let shuffled = d.join("shuffled.csv");
    std::fs::write(&shuffled, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let from_shuffled = d.join("from_shuffled.csv");
    draw(&f, &[p(&shuffled)], &from_shuffled, &[], "2");
    assert_eq!(
        std::fs::read(&from_shuffled).unwrap(),
        bytes,
        "shuffled rows differ"
    );

    // File split: three files in a directory (one with a BOM and CRLF line ends).
    let parts = d.join("parts");
    std::fs::create_dir(&parts).unwrap();
    for (i, chunk) in rows.chunks(n / 3 + 1).enumerate() {
        let text = if i == 1 {
            format!("\u{feff}{header}\r\n{}\r\n", chunk.join("\r\n"))
        } else {
            format!("{header}\n{}\n", chunk.join("\n"))
        };
        std::fs::write(parts.join(format!("part{i}.csv")), text).unwrap();
    }
    let from_parts = d.join("from_parts.csv");
    draw(&f, &[p(&parts)], &from_parts, &[], "2");
    assert_eq!(
        std::fs::read(&from_parts).unwrap(),
        bytes,
        "split files differ"
    );

    // Rank bounds far too tight: every stratum falls short and is redrawn without bounds;
    // the result is the same exact sample.
    let fallback = d.join("fallback.csv");
    draw(
        &f,
        &[p(&f.parquet)],
        &fallback,
        &["--bound-sds", "-1000"],
        "2",
    );
    assert_eq!(
        std::fs::read(&fallback).unwrap(),
        bytes,
        "the unbounded fallback differs"
    );

    // Arrow IPC input, and the Parquet split into files matched by a glob.
    let ipc = d.join("cases.arrow");
    run_ok(&["generate", "--rows", "30000", "--seed", "7", "-o", p(&ipc)]);
    let from_ipc = d.join("from_ipc.csv");
    draw(&f, &[p(&ipc)], &from_ipc, &[], "2");
    assert_eq!(
        std::fs::read(&from_ipc).unwrap(),
        bytes,
        "Arrow IPC input differs"
    );
    let pq_parts = d.join("pq");
    std::fs::create_dir(&pq_parts).unwrap();
    for (i, chunk) in rows.chunks(n / 2 + 1).enumerate() {
        let part = pq_parts.join(format!("part{i}.csv"));
        std::fs::write(&part, format!("{header}\n{}\n", chunk.join("\n"))).unwrap();
    }
    let glob = format!("{}/part*.csv", pq_parts.display());
    let from_glob = d.join("from_glob.csv");
    draw(&f, &[&glob], &from_glob, &[], "2");
    assert_eq!(
        std::fs::read(&from_glob).unwrap(),
        bytes,
        "glob input differs"
    );

    // Parquet manifests are byte-identical across thread counts too.
    let pq1 = d.join("m1.parquet");
    let pq2 = d.join("m2.parquet");
    draw(
        &f,
        &[p(&f.parquet)],
        &pq1,
        &["--include", "sex,opened_date"],
        "1",
    );
    draw(
        &f,
        &[p(&f.csv)],
        &pq2,
        &["--include", "sex,opened_date"],
        "2",
    );
    assert_eq!(std::fs::read(&pq1).unwrap(), std::fs::read(&pq2).unwrap());

    // The manifest has exactly n_h records per stratum, unique keys, sorted by strata then key.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&f.plan).unwrap()).unwrap();
    let (header, lines) = csv_lines(&reference);
    assert_eq!(
        header,
        "case_id,municipality_code,area,prn,inclusion_probability,weight"
    );
    let mut per: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    let mut last: Option<(String, String, String)> = None;
    for l in &lines {
        let c: Vec<&str> = l.split(',').collect();
        *per.entry((c[1].to_string(), c[2].to_string())).or_default() += 1;
        assert!(keys.insert(c[0].to_string()), "duplicate key {}", c[0]);
        let cur = (c[1].to_string(), c[2].to_string(), c[0].to_string());
        if let Some(prev) = &last {
            assert!(prev < &cur, "not sorted: {prev:?} then {cur:?}");
        }
        last = Some(cur);
    }
    for s in plan["strata"].as_array().unwrap() {
        let k = (
            s["values"]["municipality_code"]
                .as_str()
                .unwrap()
                .to_string(),
            s["values"]["area"].as_str().unwrap().to_string(),
        );
        assert_eq!(
            per.get(&k).copied().unwrap_or(0),
            s["n"].as_u64().unwrap(),
            "{k:?}"
        );
    }
    assert_eq!(lines.len() as u64, plan["total_n"].as_u64().unwrap());

    // verify: identical, then a tampered manifest differs (exit 1).
    urval()
        .args([
            "verify",
            "--extract",
            p(&f.csv),
            "--plan",
            p(&f.plan),
            "--manifest",
            p(&reference),
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("identical"));
    let tampered = d.join("tampered.csv");
    let mut t = lines.clone();
    let first: Vec<String> = t[0].split(',').map(String::from).collect();
    t[0] = format!("{}-X,{}", first[0], first[1..].join(","));
    std::fs::write(&tampered, format!("{header}\n{}\n", t.join("\n"))).unwrap();
    std::fs::copy(
        d.join("ref.csv.draw.json"),
        d.join("tampered.csv.draw.json"),
    )
    .unwrap();
    urval()
        .args([
            "verify",
            "--extract",
            p(&f.parquet),
            "--plan",
            p(&f.plan),
            "--manifest",
            p(&tampered),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "1 records drawn but not in the manifest, 1 in the manifest but not drawn",
        ));
}

#[test]
fn municipalities_draw_their_own_part_of_the_national_draw() {
    let f = fixture();
    let d = f.dir.path();
    let national = d.join("national.csv");
    draw(&f, &[p(&f.parquet)], &national, &[], "2");
    let (header, national_rows) = csv_lines(&national);
    let (ext_header, ext_rows) = csv_lines(&f.csv);
    let mut union: Vec<String> = Vec::new();
    for code in ["0180", "1480", "2584", "0114"] {
        // Federated: the municipality's own extract only.
        let own = d.join(format!("own-{code}.csv"));
        let mine: Vec<&String> = ext_rows
            .iter()
            .filter(|l| l.split(';').nth(1) == Some(code))
            .collect();
        assert!(!mine.is_empty());
        std::fs::write(
            &own,
            format!(
                "{ext_header}\n{}\n",
                mine.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )
        .unwrap();
        let part = d.join(format!("part-{code}.csv"));
        draw(
            &f,
            &[p(&own)],
            &part,
            &["--only", &format!("municipality_code={code}")],
            "2",
        );
        let (h, rows) = csv_lines(&part);
        assert_eq!(h, header);
        let expected: Vec<String> = national_rows
            .iter()
            .filter(|l| l.split(',').nth(1) == Some(code))
            .cloned()
            .collect();
        assert_eq!(rows, expected, "municipality {code}");
        union.extend(rows);
    }
    assert!(union.len() > 100);
    // --only on the national extract gives the same part.
    let part = d.join("part-national-0180.csv");
    draw(
        &f,
        &[p(&f.parquet)],
        &part,
        &["--only", "municipality_code=0180"],
        "2",
    );
    let expected: Vec<String> = national_rows
        .iter()
        .filter(|l| l.split(',').nth(1) == Some("0180"))
        .cloned()
        .collect();
    assert_eq!(csv_lines(&part).1, expected);
    // --split-by writes the same parts.
    let out_dir = d.join("split");
    std::fs::create_dir(&out_dir).unwrap();
    draw(
        &f,
        &[p(&f.parquet)],
        &d.join("all.csv"),
        &["--split-by", "municipality_code", "--out-dir", p(&out_dir)],
        "2",
    );
    assert_eq!(
        csv_lines(&out_dir.join("0180").join("urval-0180.csv")).1,
        expected
    );
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 290);
}

#[test]
fn another_start_spreads_the_burden() {
    let f = fixture();
    let d = f.dir.path();
    let a = d.join("a.csv");
    let b = d.join("b.csv");
    draw(&f, &[p(&f.parquet)], &a, &[], "2");
    draw(&f, &[p(&f.parquet)], &b, &["--start", "0.5"], "2");
    let keys = |path: &Path| -> BTreeSet<String> {
        csv_lines(path)
            .1
            .iter()
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let (ka, kb) = (keys(&a), keys(&b));
    assert_eq!(ka.len(), kb.len());
    let overlap = ka.intersection(&kb).count() as f64;
    // Two independent simple random samples would share Σ n_h²/N_h records.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&f.plan).unwrap()).unwrap();
    let independent: f64 = plan["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_f64().unwrap().powi(2) / s["population"].as_f64().unwrap())
        .sum();
    // Forced overlap: a stratum with n_h > N_h/2 must repeat 2n_h − N_h records.
    let forced: f64 = plan["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (2.0 * s["n"].as_f64().unwrap() - s["population"].as_f64().unwrap()).max(0.0))
        .sum();
    assert!(overlap >= forced);
    assert!(
        overlap < forced + 0.25 * (independent - forced),
        "overlap {overlap}, forced {forced}, independent {independent}"
    );
}

#[test]
fn a_changed_extract_is_refused() {
    let f = fixture();
    let d = f.dir.path();
    let (header, rows) = csv_lines(&f.csv);
    // One row fewer: N_h changes.
    let fewer = d.join("fewer.csv");
    std::fs::write(&fewer, format!("{header}\n{}\n", rows[1..].join("\n"))).unwrap();
    refused(
        &[
            "draw",
            "--extract",
            p(&fewer),
            "--plan",
            p(&f.plan),
            "--seed",
            "1",
            "-o",
            p(&d.join("m.csv")),
        ],
        2,
        "the extract changed since the plan",
    );
    assert!(!d.join("m.csv").exists());
    // Same N_h, another key.
    let other = d.join("other.csv");
    let mut changed = rows.clone();
    changed[0] = changed[0].replacen('-', "-X", 1);
    std::fs::write(&other, format!("{header}\n{}\n", changed.join("\n"))).unwrap();
    refused(
        &[
            "draw",
            "--extract",
            p(&other),
            "--plan",
            p(&f.plan),
            "--seed",
            "1",
            "-o",
            p(&d.join("m.csv")),
        ],
        2,
        "other keys",
    );
    // A plan whose n exceeds N_h.
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&f.plan).unwrap()).unwrap();
    let pop = plan["strata"][0]["population"].as_u64().unwrap();
    plan["strata"][0]["n"] = serde_json::json!(pop + 1);
    let bad_plan = d.join("bad-plan.json");
    std::fs::write(&bad_plan, serde_json::to_string(&plan).unwrap()).unwrap();
    refused(
        &[
            "draw",
            "--extract",
            p(&f.csv),
            "--plan",
            p(&bad_plan),
            "--seed",
            "1",
            "-o",
            p(&d.join("m.csv")),
        ],
        2,
        "asks for n =",
    );
    // An output directory that does not exist: a clear error, no partial file.
    refused(
        &[
            "draw",
            "--extract",
            p(&f.csv),
            "--plan",
            p(&f.plan),
            "--seed",
            "1",
            "-o",
            p(&d.join("nope/m.csv")),
        ],
        2,
        "does not exist",
    );
}

#[test]
fn plan_reports_rows_quarantine_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "ärende_id;kommunkod;område\n1;0180;äldre\n2;;äldre\n3;0180\n;0181;äldre\n5;0181;äldre\n6;0180;\"äldre\"\n7;0181;barn\n",
    )
    .unwrap();
    let plan = d.join("plan.json");
    let out = run_ok(&[
        "plan",
        "--extract",
        p(&bad),
        "--key",
        "ärende_id",
        "--strata",
        "kommunkod,område",
        "--total",
        "2",
        "--max-quarantine",
        "100%",
        "-o",
        p(&plan),
    ]);
    assert!(
        out.contains("rows read 7 = used 4 + excluded by --where 0 + quarantined 3"),
        "{out}"
    );
    let q = std::fs::read_to_string(d.join("plan.quarantine.csv")).unwrap();
    assert!(q.contains("wrong number of fields"));
    assert!(q.contains("empty key"));
    assert!(q.contains("empty stratum value"));
    // The raw row is the whole CSV line, every field.
    assert!(q.contains("2;;äldre"), "{q}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(v["rows_read"], 7);
    assert_eq!(v["rows_used"], 4);
    assert_eq!(v["rows_quarantined"], 3);
    assert_eq!(v["strata"][0]["values"]["kommunkod"], "0180");
    assert_eq!(v["total_population"], 4);
    // Duplicate keys: exit 2 naming them, unless allowed.
    let dup = d.join("dup.csv");
    std::fs::write(&dup, "id,k\n1,a\n2,a\n2,b\n3,b\n").unwrap();
    refused(
        &[
            "plan",
            "--extract",
            p(&dup),
            "--key",
            "id",
            "--strata",
            "k",
            "--total",
            "2",
            "-o",
            p(&plan),
        ],
        2,
        "1 keys occur more than once (first: 2 (2×))",
    );
    // A missing column names the columns present.
    refused(
        &[
            "plan",
            "--extract",
            p(&dup),
            "--key",
            "nyckel",
            "--strata",
            "k",
            "--total",
            "2",
            "-o",
            p(&plan),
        ],
        2,
        "column \"nyckel\" not found; columns present: id, k",
    );
    // A filter that does not parse.
    refused(
        &[
            "plan",
            "--extract",
            p(&dup),
            "--key",
            "id",
            "--strata",
            "k",
            "--where",
            "k = ",
            "--total",
            "2",
            "-o",
            p(&plan),
        ],
        2,
        "--where",
    );
    // An empty file.
    let empty = d.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    refused(
        &[
            "plan",
            "--extract",
            p(&empty),
            "--key",
            "id",
            "--strata",
            "k",
            "--total",
            "2",
            "-o",
            p(&plan),
        ],
        2,
        "empty",
    );
}

#[test]
fn where_filter_and_measured_pages() {
    let f = fixture();
    let plan = f.dir.path().join("aldre.json");
    let out = run_ok(&[
        "plan",
        "--extract",
        p(&f.csv),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--where",
        "area = 'aldre'",
        "--total",
        "300",
        "--pages-column",
        "pages",
        "--requested",
        "1000",
        "-o",
        p(&plan),
    ]);
    assert!(out.contains("excluded by --where"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let used = v["rows_used"].as_u64().unwrap();
    let read = v["rows_read"].as_u64().unwrap();
    let excluded = v["rows_excluded"].as_u64().unwrap();
    assert_eq!(read, 30000);
    assert_eq!(used + excluded, read);
    assert!(used > 8000 && used < 13000, "{used}");
    assert_eq!(v["total_n"], 300);
    let mean_pages = v["strata"][0]["mean_pages"].as_f64().unwrap();
    assert!(mean_pages > 200.0 && mean_pages < 400.0, "{mean_pages}");
    assert_eq!(v["burden"]["requested"]["surplus_records"], 700);
    // The same plan from Parquet has the same fingerprint.
    let plan2 = f.dir.path().join("aldre2.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&f.parquet),
        "--key",
        "case_id",
        "--strata",
        "municipality_code",
        "--where",
        "area = 'aldre'",
        "--total",
        "300",
        "--pages-column",
        "pages",
        "-o",
        p(&plan2),
    ]);
    let v2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan2).unwrap()).unwrap();
    assert_eq!(v["extract"]["fingerprint"], v2["extract"]["fingerprint"]);
    assert_eq!(v["strata"], v2["strata"]);
}

/// The same rows exported as UTF-8, as a Windows-1252 `;` file with CRLF (as municipal case
/// systems and Excel write them) and as UTF-16 with a byte-order mark: every value is decoded
/// before it is read, so keys with å, ä, ö draw the same permanent random numbers, the plans
/// have the same fingerprint, and the manifests are byte-identical.
#[test]
fn encodings_give_identical_plans_and_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("ärende_id;kommunkod;verksamhetsområde;kön\r\n");
    for i in 0..600 {
        let area = [
            "äldreomsorg",
            "barn och unga",
            "missbruk",
            "funktionshinder",
        ][i % 4];
        let sex = if i % 3 == 0 { "kvinna" } else { "man" };
        text.push_str(&format!(
            "Ärende-{i:04}-åäö;{:04};{area};{sex}\r\n",
            180 + i % 3
        ));
    }
    let utf8 = d.join("utf8.csv");
    std::fs::write(&utf8, &text).unwrap();
    let cp1252 = d.join("cp1252.csv");
    std::fs::write(&cp1252, encoding_rs::WINDOWS_1252.encode(&text).0).unwrap();
    let utf16 = d.join("utf16.csv");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&utf16, bytes).unwrap();
    let mut fingerprints = Vec::new();
    let mut manifests = Vec::new();
    for (name, file) in [("utf8", &utf8), ("cp1252", &cp1252), ("utf16", &utf16)] {
        let plan = d.join(format!("{name}.json"));
        let out = run_ok(&[
            "plan",
            "--extract",
            p(file),
            "--key",
            "ärende_id",
            "--strata",
            "verksamhetsområde",
            "--where",
            "\"kön\" = 'kvinna'",
            "--margin",
            "0.1",
            "-o",
            p(&plan),
        ]);
        if name == "cp1252" {
            assert!(out.contains("CSV read as windows-1252 (detected)"), "{out}");
        }
        assert!(out.contains("used 200"), "{out}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        fingerprints.push(v["extract"]["fingerprint"].clone());
        let manifest = d.join(format!("{name}-manifest.csv"));
        run_ok(&[
            "draw",
            "--extract",
            p(file),
            "--plan",
            p(&d.join("utf8.json")),
            "--seed",
            "5",
            "-o",
            p(&manifest),
        ]);
        manifests.push(std::fs::read(&manifest).unwrap());
    }
    assert!(
        fingerprints.windows(2).all(|w| w[0] == w[1]),
        "{fingerprints:?}"
    );
    assert!(manifests.windows(2).all(|w| w[0] == w[1]));
    assert!(String::from_utf8(manifests[0].clone())
        .unwrap()
        .contains("Ärende-"));
    // Forced UTF-8 on the Windows-1252 file: the header cannot be read, and the error says
    // what to do.
    urval()
        .args([
            "plan",
            "--extract",
            p(&cp1252),
            "--encoding",
            "utf-8",
            "--key",
            "ärende_id",
        ])
        .args([
            "--strata",
            "verksamhetsområde",
            "--margin",
            "0.1",
            "-o",
            p(&d.join("x.json")),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--encoding windows-1252"));
}

/// A `--where` (or a census indicator's `where`) that keeps no row is an error that shows
/// the reconciliation, the values the compared columns hold, and the value meant.
#[test]
fn a_filter_that_matches_nothing_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("ärende_id;kommunkod;verksamhetsområde;kön\n");
    for i in 0..40 {
        let area = ["äldre", "barn och unga"][i % 2];
        let sex = ["K", "M"][i % 3 % 2];
        text.push_str(&format!("{i};0{};{area};{sex}\n", 180 + i % 2));
    }
    let f = d.join("x.csv");
    std::fs::write(&f, text).unwrap();
    let out = urval()
        .args([
            "plan",
            "--extract",
            p(&f),
            "--key",
            "ärende_id",
            "--strata",
            "kommunkod",
        ])
        .args([
            "--where",
            "verksamhetsområde = 'aldre' AND kön IN ('k')",
            "--total",
            "5",
        ])
        .args(["-o", p(&d.join("plan.json"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for want in [
        "keeps no rows",
        "rows read 40 = used 0 + excluded by --where 40 + quarantined 0",
        "\"verksamhetsområde\" holds 'barn och unga' (20), 'äldre' (20)",
        "'aldre' is not there: did you mean 'äldre'?",
        "'k' is not there: did you mean 'K'?",
    ] {
        assert!(err.contains(want), "{want:?} not in {err}");
    }
    assert!(!d.join("plan.json").exists());
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"andel_äldre\"\nkind = \"count\"\nwhere = \"verksamhetsområde = 'Äldre'\"\n",
    )
    .unwrap();
    let out = urval()
        .args(["indicators", "--extract", p(&f), "--spec", p(&spec)])
        .args(["-o", p(&d.join("i.csv"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("indicator \"andel_äldre\""), "{err}");
    assert!(err.contains("did you mean 'äldre'?"), "{err}");
    run_ok(&[
        "indicators",
        "--extract",
        p(&f),
        "--spec",
        p(&spec),
        "--allow-empty",
        "-o",
        p(&d.join("i.csv")),
    ]);
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-data")
        .join(name)
}

/// A spreadsheet extract (sample-data/cases-500.xlsx, made by `urval generate` from the
/// same seed as cases-500.csv) plans and draws exactly as its CSV: the same fingerprint,
/// byte-identical manifests (text codes keep their zeros, whole numbers lose `.0`, dates
/// stay dates, booleans `true`/`false`). A manifest written as `.xlsx` verifies, and has
/// text codes, numbers and an "about" sheet.
#[test]
fn spreadsheets_in_and_out() {
    use calamine::{Data, Reader};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (xlsx, csv) = (sample("cases-500.xlsx"), sample("cases-500.csv"));
    let mut fingerprints = Vec::new();
    for (name, f) in [("x", &xlsx), ("c", &csv)] {
        let plan = d.join(format!("{name}.json"));
        run_ok(&[
            "plan",
            "--extract",
            p(f),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--margin",
            "0.1",
            "-o",
            p(&plan),
        ]);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        fingerprints.push(v["extract"]["fingerprint"].clone());
    }
    assert_eq!(fingerprints[0], fingerprints[1]);
    let plan = d.join("c.json");
    let mut manifests = Vec::new();
    for (name, f) in [("x", &xlsx), ("c", &csv)] {
        let m = d.join(format!("m-{name}.csv"));
        run_ok(&[
            "draw",
            "--extract",
            p(f),
            "--plan",
            p(&plan),
            "--seed",
            "9",
            "--include",
            "opened_date,pages,child_heard,decided_date",
            "-o",
            p(&m),
        ]);
        manifests.push(std::fs::read(&m).unwrap());
    }
    assert_eq!(manifests[0], manifests[1]);
    // The manifest a municipality receives, as a spreadsheet.
    let mx = d.join("urval.xlsx");
    run_ok(&[
        "draw",
        "--extract",
        p(&csv),
        "--plan",
        p(&plan),
        "--seed",
        "9",
        "--include",
        "opened_date,pages",
        "-o",
        p(&mx),
    ]);
    let out = run_ok(&[
        "verify",
        "--extract",
        p(&xlsx),
        "--plan",
        p(&plan),
        "--manifest",
        p(&mx),
    ]);
    assert!(out.contains("identical"), "{out}");
    let mut wb = calamine::open_workbook_auto(&mx).unwrap();
    // The hidden third sheet carries the draw's sidecar and plan.
    assert_eq!(wb.sheet_names(), vec!["Urval", "Om urvalet", "urval-data"]);
    let carried = wb.worksheet_range("urval-data").unwrap();
    assert_eq!(carried.get_value((0, 0)).unwrap().to_string(), "draw.json");
    assert_eq!(carried.get_value((1, 0)).unwrap().to_string(), "plan.json");
    let r = wb.worksheet_range("Urval").unwrap();
    let header: Vec<String> = r
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        header,
        [
            "case_id",
            "municipality_code",
            "slumptal",
            "urvalssannolikhet",
            "vikt",
            "opened_date",
            "pages"
        ]
    );
    let first = r.rows().nth(1).unwrap();
    assert_eq!(first[1], Data::String("0114".into()));
    assert!(matches!(first[2], Data::Float(_)));
    assert!(matches!(first[5], Data::DateTime(_)), "{:?}", first[5]);
    assert!(matches!(first[6], Data::Float(_)), "{:?}", first[6]);
    let about = wb.worksheet_range("Om urvalet").unwrap();
    assert_eq!(about.get_value((1, 1)), Some(&Data::String("9".into())));
    assert!(
        !format!("{:?}", about).contains(d.to_str().unwrap()),
        "no absolute paths"
    );
    // Indicators as a spreadsheet: Swedish headers and labels, shares as numbers.
    let ix = d.join("ind.xlsx");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../pipeline/indicators.toml");
    run_ok(&[
        "indicators",
        "--extract",
        p(&xlsx),
        "--spec",
        p(&spec),
        "--by",
        "area",
        "-o",
        p(&ix),
    ]);
    let mut wb = calamine::open_workbook_auto(&ix).unwrap();
    let r = wb.worksheet_range("Indikatorer").unwrap();
    assert_eq!(r.get_value((0, 0)), Some(&Data::String("indikator".into())));
    assert_eq!(
        r.get_value((1, 0)),
        Some(&Data::String(
            "Barnutredningen slutförd inom fyra månader".into()
        ))
    );
    assert!(matches!(r.get_value((1, 5)), Some(Data::Float(_))));
}

/// Spreadsheets that cannot be read end in one line that says why.
#[test]
fn bad_spreadsheets_are_named() {
    use urval_report::xlsx::{workbook, Cell, Column, ColumnKind, Sheet};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sheet = |columns: Vec<&str>, rows: Vec<Vec<&str>>| Sheet {
        name: "Blad1".into(),
        columns: columns
            .into_iter()
            .map(|h| Column {
                header: h.into(),
                kind: ColumnKind::Text,
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(|v| Cell::Text(v.into())).collect())
            .collect(),
    };
    let cases: Vec<(&str, Sheet, Vec<&str>, &str)> = vec![
        (
            "merged header",
            sheet(vec!["id", "", "kommun"], vec![vec!["1", "x", "0180"]]),
            vec![],
            "column B of the header row has no name",
        ),
        (
            "empty sheet",
            sheet(vec![], vec![]),
            vec![],
            "sheet \"Blad1\" is empty",
        ),
        (
            "no such sheet",
            sheet(vec!["id", "kommun"], vec![vec!["1", "0180"]]),
            vec!["--sheet", "Data"],
            "no sheet \"Data\"; the workbook has \"Blad1\"",
        ),
        (
            "twice",
            sheet(vec!["id", "id", "kommun"], vec![vec!["1", "2", "0180"]]),
            vec![],
            "names \"id\" twice",
        ),
    ];
    for (name, s, extra, want) in cases {
        let f = d.join(format!("{}.xlsx", name.replace(' ', "-")));
        std::fs::write(&f, workbook(&s, None).unwrap()).unwrap();
        let out = urval()
            .args([
                "plan",
                "--extract",
                p(&f),
                "--key",
                "id",
                "--strata",
                "kommun",
                "--total",
                "1",
            ])
            .args(extra)
            .args(["-o", p(&d.join("plan.json"))])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(want), "{name}: {want:?} not in {err}");
    }
}

/// A cell holding an Excel error quarantines its row, naming the cell; a date column with
/// a text cell quarantines that row under a date filter; everything reconciles.
#[test]
fn spreadsheet_cells_that_cannot_be_read_are_quarantined() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (j, h) in ["id", "kommun", "opened"].iter().enumerate() {
        ws.write_string(0, j as u16, *h).unwrap();
    }
    for i in 1..=40u32 {
        ws.write_string(i, 0, format!("K{i:03}")).unwrap();
        ws.write_string(i, 1, ["0180", "1480"][i as usize % 2])
            .unwrap();
        let day = ExcelDateTime::from_ymd(2024, 1 + (i % 12) as u8, 1).unwrap();
        ws.write_datetime_with_format(i, 2, &day, &date).unwrap();
    }
    // Row 3 of the sheet: a formula error where the stratum belongs; row 5: a text date.
    ws.write_formula(2, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    ws.write_string(4, 2, "2024-13-45").unwrap();
    let f = d.join("x.xlsx");
    wb.save(&f).unwrap();
    let plan = d.join("plan.json");
    let out = run_ok(&[
        "plan",
        "--extract",
        p(&f),
        "--key",
        "id",
        "--strata",
        "kommun",
        "--where",
        "opened >= DATE '2024-01-01'",
        "--total",
        "4",
        "--max-quarantine",
        "100%",
        "-o",
        p(&plan),
    ]);
    assert!(
        out.contains("rows read 40 = used 38 + excluded by --where 0 + quarantined 2"),
        "{out}"
    );
    let q = std::fs::read_to_string(d.join("plan.quarantine.csv")).unwrap();
    assert!(
        q.contains("column \"\"kommun\"\" (cell B3) holds the Excel error #DIV/0!"),
        "{q}"
    );
    assert!(q.contains(",5,"), "the sheet's row number: {q}");
}

/// The draw sidecar is one typed artifact: a field missing, a field unknown or another
/// version is a one-line error naming the file and the field, never a silent default.
#[test]
fn a_broken_sidecar_is_named_not_defaulted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = sample("cases-500.csv");
    let plan = d.join("plan.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&csv),
        "--key",
        "case_id",
        "--strata",
        "area",
        "--total",
        "40",
        "-o",
        p(&plan),
    ]);
    let m = d.join("m.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&csv),
        "--plan",
        p(&plan),
        "--seed",
        "3",
        "-o",
        p(&m),
    ]);
    let side = d.join("m.csv.draw.json");
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&side).unwrap()).unwrap();
    type Change = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "no seed",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("seed");
            }),
            "missing field `seed`",
        ),
        (
            "unknown",
            Box::new(|v| {
                v["sede"] = 3.into();
            }),
            "unknown field `sede`",
        ),
        (
            "version 99",
            Box::new(|v| {
                v["version"] = 99.into();
            }),
            "version 99 is not one this urval reads",
        ),
    ];
    for (name, change, want) in cases {
        let mut v = good.clone();
        change(&mut v);
        std::fs::write(&side, serde_json::to_string(&v).unwrap()).unwrap();
        for cmd in [
            vec![
                "verify",
                "--extract",
                p(&csv),
                "--plan",
                p(&plan),
                "--manifest",
                p(&m),
            ],
            vec![
                "report",
                "--plan",
                p(&plan),
                "--manifest",
                p(&m),
                "-o",
                p(&d.join("r.md")),
            ],
        ] {
            let out = urval().args(&cmd).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
            assert!(
                err.contains("m.csv.draw.json") && err.contains(want),
                "{name}: {err}"
            );
        }
    }
    // A manifest edited after the draw: verify compares it anyway and says so; indicators
    // and report refuse the pair.
    std::fs::write(&side, serde_json::to_string(&good).unwrap()).unwrap();
    let text = std::fs::read_to_string(&m).unwrap();
    let edited: String = text
        .lines()
        .take(text.lines().count() - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&m, edited).unwrap();
    let out = urval()
        .args([
            "verify",
            "--extract",
            p(&csv),
            "--plan",
            p(&plan),
            "--manifest",
            p(&m),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("checksums differ")
            && text.contains("1 records drawn but not in the manifest"),
        "{text}"
    );
    let out = urval()
        .args([
            "report",
            "--plan",
            p(&plan),
            "--manifest",
            p(&m),
            "-o",
            p(&d.join("r.md")),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksums differ"));
}

/// Strata that are municipality codes show as `Stockholm (0180)` in the report; a column
/// with other values keeps them as they are.
#[test]
fn reports_name_municipalities() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = sample("cases-500.csv");
    for (strata, want, not) in [
        ("municipality_code", "Stockholm (0180)", "| 0180 |"),
        ("area", "| aldre |", "(aldre)"),
    ] {
        let plan = d.join(format!("{strata}.json"));
        run_ok(&[
            "plan",
            "--extract",
            p(&csv),
            "--key",
            "case_id",
            "--strata",
            strata,
            "--total",
            "200",
            "-o",
            p(&plan),
        ]);
        let md = d.join(format!("{strata}.md"));
        run_ok(&["report", "--plan", p(&plan), "--lang", "en", "-o", p(&md)]);
        let text = std::fs::read_to_string(&md).unwrap();
        assert!(text.contains(want), "{want:?} not in the {strata} report");
        assert!(!text.contains(not), "{not:?} in the {strata} report");
    }
}

/// `--split-by` values that differ only in characters a file name cannot hold (`a/b`,
/// `a\b`, `a_b`, `_`, an empty value, `.x`) each get their own file, every record lands in
/// exactly one part, and a directory holding an earlier draw's parts is refused.
#[test]
fn split_by_file_names_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let groups = ["a/b", "a\\b", "a_b", "_", "", ".x", "a%2Fb", "ö"];
    let mut text = String::from("id;m;grupp\n");
    for i in 0..160 {
        text.push_str(&format!("k{i:04};0180;{}\n", groups[i % groups.len()]));
    }
    let extract = d.join("e.csv");
    std::fs::write(&extract, text).unwrap();
    let plan = d.join("plan.json");
    let run = |args: &[&str]| urval().args(args).output().unwrap();
    let out = run(&[
        "plan",
        "--extract",
        p(&extract),
        "--key",
        "id",
        "--strata",
        "m",
        "--total",
        "160",
        "-o",
        p(&plan),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts = d.join("parts");
    std::fs::create_dir(&parts).unwrap();
    let draw = |out_dir: &Path| {
        run(&[
            "draw",
            "--extract",
            p(&extract),
            "--plan",
            p(&plan),
            "--seed",
            "3",
            "--include",
            "grupp",
            "--split-by",
            "grupp",
            "--out-dir",
            p(out_dir),
            "-o",
            p(&d.join("m.csv")),
        ])
    };
    let out = draw(&parts);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&parts).unwrap().collect();
    assert_eq!(files.len(), groups.len());
    // One package folder per value, its list inside named after it.
    let records: usize = files
        .iter()
        .map(|f| {
            let folder = f.as_ref().unwrap().path();
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::read_to_string(folder.join(format!("urval-{name}.csv")))
                .unwrap()
                .lines()
                .count()
                - 1
        })
        .sum();
    assert_eq!(records, 160);
    let out = draw(&parts);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
}

/// `urval overlap`: two requests drawn with the same seed and starts 0 and 0.5 share only
/// the records their sizes force — none at a quarter of each stratum, n_A + n_B − N_h at
/// three quarters — while a manifest against itself shares all; the expected overlap of
/// independent draws is n_A·n_B/N_h.
#[test]
fn overlap_of_two_requests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = sample("cases.parquet");
    let x = extract.to_str().unwrap();
    for (total, forced_share) in [(5_000u64, false), (15_000, true)] {
        let plan = d.join(format!("plan{total}.json"));
        urval()
            .args([
                "plan",
                "--extract",
                x,
                "--key",
                "case_id",
                "--strata",
                "area",
                "--total",
                &total.to_string(),
                "-o",
                plan.to_str().unwrap(),
            ])
            .assert()
            .success();
        let m = |start: &str| d.join(format!("m{total}-{start}.csv"));
        for start in ["0", "0.5"] {
            urval()
                .args([
                    "draw",
                    "--extract",
                    x,
                    "--plan",
                    plan.to_str().unwrap(),
                    "--seed",
                    "3",
                    "--start",
                    start,
                    "-o",
                    m(start).to_str().unwrap(),
                ])
                .assert()
                .success();
        }
        let out = urval()
            .args([
                "overlap",
                "--plan",
                plan.to_str().unwrap(),
                "--manifest",
                m("0").to_str().unwrap(),
                "--manifest",
                m("0.5").to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for s in v["strata"].as_array().unwrap() {
            let (big, a, b) = (
                s["population"].as_u64().unwrap(),
                s["a"].as_u64().unwrap(),
                s["b"].as_u64().unwrap(),
            );
            assert_eq!(s["forced"].as_u64().unwrap(), (a + b).saturating_sub(big));
            assert_eq!(s["both"], s["forced"], "{s}");
            assert_eq!(forced_share, s["forced"].as_u64().unwrap() > 0);
            assert!(
                (s["expected"].as_f64().unwrap() - a as f64 * b as f64 / big as f64).abs() < 1e-9
            );
        }
        let same = urval()
            .args([
                "overlap",
                "--plan",
                plan.to_str().unwrap(),
                "--manifest",
                m("0").to_str().unwrap(),
                "--manifest",
                m("0").to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
        assert_eq!(v["total"]["both"], v["total"]["a"]);
    }
    refused(
        &[
            "overlap",
            "--plan",
            d.join("plan5000.json").to_str().unwrap(),
            "--manifest",
            d.join("m5000-0.csv").to_str().unwrap(),
        ],
        2,
        "give --manifest twice",
    );
}

/// The duplicate-key check gives the same answer when its hashes go to disk: a budget of
/// 1,000 hashes (the 30,000 rows spill) against the default, with keys repeated, allowed and
/// refused.
#[test]
fn the_duplicate_check_is_exact_when_it_spills_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("cases.csv");
    run_ok(&["generate", "--rows", "30000", "--seed", "3", "-o", p(&csv)]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Repeat 25 rows (one of them three times).
    let mut out: Vec<&str> = lines.clone();
    out.extend(lines[1..26].iter().copied());
    out.push(lines[7]);
    let dup = d.join("dup.csv");
    std::fs::write(&dup, out.join("\n") + "\n").unwrap();
    let plan = |budget: &str, name: &str, allow: bool| -> (i32, String, String) {
        let out_path = d.join(name);
        let mut args = vec![
            "plan",
            "--extract",
            p(&dup),
            "--key",
            "case_id",
            "--strata",
            "municipality_code,area",
            "--total",
            "500",
            "--duplicate-memory",
            budget,
            "-o",
            p(&out_path),
        ];
        if allow {
            args.push("--allow-duplicate-keys");
        }
        let o = urval().args(&args).output().unwrap();
        let plan = std::fs::read_to_string(&out_path).unwrap_or_default();
        // The plan without its creation time.
        let plan: String = plan
            .lines()
            .filter(|l| !l.contains("\"created\""))
            .collect();
        (
            o.status.code().unwrap_or(-1),
            plan,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (c1, p1, _) = plan("1000", "a.json", true);
    let (c2, p2, _) = plan("100000000", "b.json", true);
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(p1, p2);
    assert!(p1.contains("\"duplicate_keys\": 25"), "{p1}");
    let (c1, _, e1) = plan("1000", "c.json", false);
    let (c2, _, e2) = plan("100000000", "d.json", false);
    assert_eq!((c1, c2), (2, 2));
    assert_eq!(e1, e2);
    assert!(e1.contains("25 keys occur more than once"), "{e1}");
}
