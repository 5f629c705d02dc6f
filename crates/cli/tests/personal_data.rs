//! Personal data: `urval validate` reports invalid personal identity numbers by row only,
//! `--pseudonymize` replaces them with keyed pseudonyms, and no output, log or error of a
//! run ever carries a value of a column named personal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::Path;

mod common;

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Command-line words as owned strings.
fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A valid 12-digit personnummer for a body of nine digits (YYMMDDNNN) and a century.
fn pnr(century: &str, body: &str) -> String {
    format!("{century}{body}{}", common::luhn(body))
}

#[test]
fn personal_numbers_never_leave_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut numbers: Vec<String> = Vec::new();
    let mut lines = vec!["id;pnr;kommun".to_string()];
    for i in 0..200u32 {
        let body = format!(
            "{:02}{:02}{:02}{:03}",
            40 + i % 50,
            1 + i % 12,
            1 + i % 28,
            100 + i
        );
        let n = pnr("19", &body);
        numbers.push(n.clone());
        let kommun = ["0180", "1480", "2584"][(i % 3) as usize];
        lines.push(format!("A{i:05};{n};{kommun}"));
    }
    // Bad rows that carry personal numbers: an empty stratum, a wrong field count.
    let bad1 = pnr("19", "550505123");
    let bad2 = pnr("19", "660606456");
    numbers.push(bad1.clone());
    numbers.push(bad2.clone());
    lines.push(format!("B00001;{bad1};"));
    lines.push(format!("B00002;{bad2}"));
    // An invalid number (wrong check digit) and an empty one.
    let wrong = {
        let mut w = pnr("19", "770707789");
        let last = w.pop().unwrap().to_digit(10).unwrap();
        w.push(char::from_digit((last + 1) % 10, 10).unwrap());
        w
    };
    numbers.push(wrong.clone());
    lines.push(format!("C00001;{wrong};0180"));
    lines.push("C00002;;0180".to_string());
    let extract = d.join("extract.csv");
    std::fs::write(&extract, lines.join("\n") + "\n").unwrap();
    let secret = d.join("secret.txt");
    std::fs::write(&secret, "a secret of more than sixteen bytes\n").unwrap();

    let mut transcript = String::new();
    let mut run = |args: &[&str]| -> (Option<i32>, String) {
        let out = urval().args(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        transcript.push_str(&text);
        (out.status.code(), text)
    };

    // validate: rows by number only.
    let (code, text) = run(&[
        "validate",
        "--extract",
        p(&extract),
        "--personnummer",
        "pnr",
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the Luhn check digit does not match"),
        "{text}"
    );
    assert!(
        text.contains("row 204: the Luhn check digit does not match"),
        "{text}"
    );
    assert!(text.contains("row 205: empty"), "{text}");
    assert!(text.contains("1 unreadable"), "{text}");
    // The list for whoever corrects the register: file, row and problem, never the value.
    for list in ["invalid.xlsx", "invalid.csv"] {
        let (code, text) = run(&[
            "validate",
            "--extract",
            p(&extract),
            "--personnummer",
            "pnr",
            "-o",
            p(&d.join(list)),
        ]);
        assert_eq!(code, Some(1), "{text}");
    }
    {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(d.join("invalid.xlsx")).unwrap();
        let r = wb.worksheet_range("Ogiltiga").unwrap();
        let cells: Vec<String> = r.rows().flatten().map(|c| c.to_string()).collect();
        assert_eq!(cells[..3], ["fil", "rad", "fel"]);
        assert!(cells.iter().any(|c| c == "204"), "{cells:?}");
        assert!(cells.iter().any(|c| c.contains("Luhn")), "{cells:?}");
        for n in &numbers {
            assert!(
                !cells.iter().any(|c| c.contains(n.as_str())),
                "{n} in the list"
            );
        }
        let csv = std::fs::read_to_string(d.join("invalid.csv")).unwrap();
        assert!(
            csv.starts_with("file,row,problem\n") || csv.starts_with("fil,rad,fel\n"),
            "{csv}"
        );
        assert!(csv.contains("extract.csv,204,"), "{csv}");
    }
    let (code, _) = run(&[
        "validate",
        "--extract",
        p(&extract),
        "--personnummer",
        "pnr",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));

    // plan and draw with the personal column marked, logs on.
    let plan = d.join("plan.json");
    let (code, text) = run(&[
        "-vv",
        "plan",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--key",
        "id",
        "--strata",
        "kommun",
        "--total",
        "30",
        "--personal",
        "pnr",
        "-o",
        p(&plan),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let manifest = d.join("manifest.csv");
    let (code, text) = run(&[
        "-vv",
        "draw",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--plan",
        p(&plan),
        "--seed",
        "5",
        "--include",
        "pnr",
        "--pseudonymize",
        "pnr",
        "--secret-file",
        p(&secret),
        "-o",
        p(&manifest),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let m = std::fs::read_to_string(&manifest).unwrap();
    let pseudonyms: Vec<String> = m
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect();
    assert_eq!(pseudonyms.len(), 30);
    assert!(pseudonyms
        .iter()
        .all(|s| s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())));
    // The same secret gives the same pseudonyms; another secret others.
    let again = d.join("again.csv");
    run(&[
        "draw",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--plan",
        p(&plan),
        "--seed",
        "5",
        "--include",
        "pnr",
        "--pseudonymize",
        "pnr",
        "--secret-file",
        p(&secret),
        "-o",
        p(&again),
    ]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), m);
    let other_secret = d.join("other.txt");
    std::fs::write(&other_secret, "another secret, also long enough").unwrap();
    let other = d.join("other.csv");
    run(&[
        "draw",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--plan",
        p(&plan),
        "--seed",
        "5",
        "--include",
        "pnr",
        "--pseudonymize",
        "pnr",
        "--secret-file",
        p(&other_secret),
        "-o",
        p(&other),
    ]);
    assert_ne!(std::fs::read_to_string(&other).unwrap(), m);

    // The personal number as the key: duplicates are named by count only, and a
    // pseudonymized-key manifest verifies with the secret.
    let dup = d.join("dup.csv");
    std::fs::write(
        &dup,
        format!(
            "pnr;kommun\n{};0180\n{};0180\n{};1480\n",
            numbers[0], numbers[0], numbers[1]
        ),
    )
    .unwrap();
    let (code, text) = run(&[
        "plan",
        "--extract",
        p(&dup),
        "--key",
        "pnr",
        "--strata",
        "kommun",
        "--total",
        "2",
        "--personal",
        "pnr",
        "-o",
        p(&d.join("dup-plan.json")),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("<personal> (2×)"), "{text}");
    let plan2 = d.join("plan2.json");
    let (code, _) = run(&[
        "plan",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--key",
        "pnr",
        "--strata",
        "kommun",
        "--total",
        "20",
        "--personal",
        "pnr",
        "-o",
        p(&plan2),
    ]);
    assert_eq!(code, Some(0));
    let m2 = d.join("m2.csv");
    let (code, text) = run(&[
        "draw",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--plan",
        p(&plan2),
        "--seed",
        "9",
        "--pseudonymize",
        "pnr",
        "--secret-file",
        p(&secret),
        "-o",
        p(&m2),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&[
        "verify",
        "--extract",
        p(&extract),
        "--plan",
        p(&plan2),
        "--manifest",
        p(&m2),
        "--secret-file",
        p(&secret),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&[
        "verify",
        "--extract",
        p(&extract),
        "--plan",
        p(&plan2),
        "--manifest",
        p(&m2),
    ]);
    assert_eq!(code, Some(2), "{text}");

    // indicators reading the personal column: a value that does not fit the expression is
    // reported by row, never by value; the quarantine never shows the column.
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"born\"\nkind = \"mean\"\nexpr = \"YEAR(pnr)\"\n[[indicator]]\nname = \"n\"\nkind = \"count\"\n",
    )
    .unwrap();
    let (code, text) = run(&[
        "-vv",
        "indicators",
        "--extract",
        p(&extract),
        "--max-quarantine",
        "100%",
        "--key",
        "id",
        "--spec",
        p(&spec),
        "--by",
        "kommun",
        "--personal",
        "pnr",
        "-o",
        p(&d.join("ind.csv")),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("rows invalid"), "{text}");
    let q = std::fs::read_to_string(d.join("ind.quarantine.csv")).unwrap();
    assert!(q.contains("personal column: value not shown"), "{q}");

    // Nothing written or printed carries a personal number.
    let mut everything = transcript.clone();
    for entry in std::fs::read_dir(d).unwrap() {
        let path = entry.unwrap().path();
        if path == extract || path == dup {
            continue;
        }
        everything.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
    }
    assert!(
        everything.contains("wrong number of fields"),
        "the quarantine file should exist"
    );
    for n in &numbers {
        assert!(!everything.contains(n.as_str()), "a personal number leaked");
        assert!(
            !everything.contains(&n[2..]),
            "a 10-digit personal number leaked"
        );
    }
}

/// Keys that are personnummer, not marked personal: the manifest lists them (they are the
/// request) but its `prn` column is empty, since the PRN and the published seed would let a
/// masked or pseudonymized key be found by trying every personnummer; a stratum of fewer
/// than 5 records has no fingerprint in plan.json; a personnummer in another column is
/// masked in the quarantine file and the messages; verify still reproduces the draw.
#[test]
fn personnummer_keys_give_no_way_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut numbers = Vec::new();
    let mut lines = vec!["pnr;kommun;sidor".to_string()];
    for i in 0..120u32 {
        let body = format!(
            "{:02}{:02}{:02}{:03}",
            50 + i % 40,
            1 + i % 12,
            1 + i % 28,
            200 + i
        );
        let n = pnr("19", &body);
        // 118 records in 0180, 2 in 1480: a stratum too small for a fingerprint.
        let kommun = if i < 2 { "1480" } else { "0180" };
        lines.push(format!("{n};{kommun};{}", 10 + i));
        numbers.push(n);
    }
    // A personnummer typed into the pages column: quarantined, masked.
    let full = pnr("19", "800808123");
    let stray = format!("{}-{}", &full[2..8], &full[8..]);
    lines.push(format!("{};0180;{stray}", pnr("19", "810909234")));
    numbers.push(stray.clone());
    let extract = d.join("e.csv");
    std::fs::write(&extract, lines.join("\n") + "\n").unwrap();
    let plan = d.join("plan.json");
    let run = |args: &[String]| {
        let out = urval().args(args).output().unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let plan_args = |max_quarantine: &str, out: &Path| {
        owned(&[
            "plan",
            "--extract",
            p(&extract),
            "--key",
            "pnr",
            "--strata",
            "kommun",
            "--total",
            "30",
            "--pages-column",
            "sidor",
            "--max-quarantine",
            max_quarantine,
            "-o",
            p(out),
        ])
    };
    let (code, text) = run(&plan_args("5%", &plan));
    assert_eq!(code, Some(0), "{text}");
    let mut transcript = text;
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let small = plan_json["strata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["values"]["kommun"] == "1480")
        .unwrap();
    assert_eq!(
        small["fingerprint"], "",
        "a 2-record stratum has no fingerprint"
    );
    for out in ["m.csv", "m.parquet", "m.xlsx"] {
        let (code, text) = run(&owned(&[
            "draw",
            "--extract",
            p(&extract),
            "--plan",
            p(&plan),
            "--seed",
            "9",
            "--max-quarantine",
            "5%",
            "-o",
            p(&d.join(out)),
        ]));
        assert_eq!(code, Some(0), "{text}");
        transcript.push_str(&text);
    }
    let csv = std::fs::read_to_string(d.join("m.csv")).unwrap();
    assert!(
        csv.starts_with("pnr,kommun,prn,inclusion_probability,weight\n"),
        "{csv}"
    );
    for line in csv.lines().skip(1) {
        assert_eq!(line.split(',').nth(2), Some(""), "a prn in {line}");
    }
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m.csv.draw.json")).unwrap()).unwrap();
    assert_eq!(side["prn_in_manifest"], false);
    let (code, text) = run(&owned(&[
        "verify",
        "--extract",
        p(&extract),
        "--plan",
        p(&plan),
        "--manifest",
        p(&d.join("m.csv")),
    ]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("identical: 30 records"), "{text}");
    transcript.push_str(&text);
    // An error that would quote the value.
    let (code, text) = run(&plan_args("0.1%", &d.join("p2.json")));
    assert_eq!(code, Some(2), "{text}");
    transcript.push_str(&text);
    let quarantine = std::fs::read_to_string(d.join("plan.quarantine.csv")).unwrap();
    assert!(quarantine.contains("<personal>"), "{quarantine}");
    for n in &numbers {
        for (what, text) in [("messages", &transcript), ("quarantine", &quarantine)] {
            assert!(!text.contains(n.as_str()), "{n} in the {what}:\n{text}");
        }
        for f in ["plan.json", "m.csv.draw.json"] {
            let t = std::fs::read_to_string(d.join(f)).unwrap();
            assert!(!t.contains(n.as_str()), "{n} in {f}");
        }
    }
}

/// An extract of personnummer keys in three municipalities, `extra` records more.
fn pnr_extract(path: &Path, extra: usize) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut text = String::from("id;kommun\n");
    for i in 0..90 + extra {
        let key = common::pnr(i);
        let kommun = ["0180", "1480", "2584"][i % 3].to_string();
        text.push_str(&format!("{key};{kommun}\n"));
        rows.push((key, kommun));
    }
    std::fs::write(path, text).unwrap();
    rows
}

fn plan_of(extract: &Path, out: &Path) {
    urval()
        .args([
            "plan",
            "--extract",
            p(extract),
            "--key",
            "id",
            "--strata",
            "kommun",
            "--total",
            "9",
            "-o",
            p(out),
        ])
        .assert()
        .success();
}

/// `urval draw` with seed 7 of files in `d`: the extract, the plan and the manifest.
fn draw_seed_7(d: &Path, extract: &str, plan: &str, out: &str) -> Command {
    let mut c = urval();
    c.args(["draw", "--extract", p(&d.join(extract)), "--plan"])
        .args([p(&d.join(plan)), "--seed", "7", "-o", p(&d.join(out))]);
    c
}

fn hex(v: &serde_json::Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap(), 16).unwrap()
}

/// Two plans of extracts one record apart (last night's and tonight's): the difference of
/// their fingerprints is not the new key's hash (as it was when plan.json held the sums
/// themselves), because plan.json holds a SHA-256 commitment to each sum.
#[test]
fn two_plans_one_record_apart_give_no_key_by_subtraction() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pnr_extract(&d.join("a.csv"), 0);
    let rows = pnr_extract(&d.join("b.csv"), 1);
    plan_of(&d.join("a.csv"), &d.join("a.json"));
    plan_of(&d.join("b.csv"), &d.join("b.json"));
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("a.json")).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("b.json")).unwrap()).unwrap();
    assert_eq!(a["version"], 2);
    assert!(a["extract"]["fingerprint_method"]
        .as_str()
        .unwrap()
        .contains("SHA-256"));
    let (key, kommun) = rows.last().unwrap();
    let stratum = |v: &serde_json::Value| {
        v["strata"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["values"]["kommun"] == kommun.as_str())
            .unwrap()["fingerprint"]
            .clone()
    };
    let diff = hex(&stratum(&b)).wrapping_sub(hex(&stratum(&a)));
    for form in [key.clone(), key.replace('-', ""), key[2..].to_string()] {
        assert_ne!(diff, xxhash_rust::xxh3::xxh3_128(form.as_bytes()), "{form}");
    }
    // Each plan still recognises its own extract and no other.
    draw_seed_7(d, "b.csv", "b.json", "m.csv")
        .assert()
        .success();
    draw_seed_7(d, "b.csv", "a.json", "m2.csv")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the extract changed since the plan",
        ));
}

/// A plan of format 1 (fingerprints that are sums) is still read and checked, with a
/// warning to plan again.
#[test]
fn an_old_plan_is_read_with_a_warning_and_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = pnr_extract(&d.join("a.csv"), 0);
    plan_of(&d.join("a.csv"), &d.join("a.json"));
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("a.json")).unwrap()).unwrap();
    // Rewrite it as format 1 wrote it: the XXH3-128 sums themselves.
    v["version"] = 1.into();
    let mut lines = Vec::new();
    for s in v["strata"].as_array_mut().unwrap() {
        let k = s["values"]["kommun"].as_str().unwrap().to_string();
        let fp = rows.iter().filter(|r| r.1 == k).fold(0u128, |a, r| {
            a.wrapping_add(xxhash_rust::xxh3::xxh3_128(r.0.as_bytes()))
        });
        s["fingerprint"] = format!("{fp:032x}").into();
        lines.push(format!("{k}\x1f{fp:032x}\n"));
    }
    lines.sort();
    v["extract"]["fingerprint"] = format!(
        "{:032x}",
        xxhash_rust::xxh3::xxh3_128(lines.concat().as_bytes())
    )
    .into();
    std::fs::write(
        d.join("old.json"),
        serde_json::to_string_pretty(&v).unwrap(),
    )
    .unwrap();
    draw_seed_7(d, "a.csv", "old.json", "m.csv")
        .assert()
        .success()
        .stderr(predicates::str::contains("plan format 1"));
    // One key replaced, N the same: the old fingerprints still catch it.
    let text = std::fs::read_to_string(d.join("a.csv")).unwrap();
    let changed = text.replacen(&rows[0].0, &common::pnr(500), 1);
    std::fs::write(d.join("b.csv"), changed).unwrap();
    draw_seed_7(d, "b.csv", "old.json", "m2.csv")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("same N = 30 but other keys"));
}

/// No personnummer of `numbers`, in any form an output could print it, in `outputs`.
fn assert_no_personnummer(outputs: &str, numbers: &[String]) {
    for form in common::forms(numbers) {
        assert!(!outputs.contains(&form), "{form} in an output");
    }
}

/// An `id;grp;ok` extract of `rows` records whose first `personal` records have a
/// personnummer in `grp` (typed into the wrong column) and the others one of `groups`
/// groups; the personnummer used.
fn grp_extract(path: &Path, rows: usize, personal: usize, groups: usize) -> Vec<String> {
    let mut text = String::from("id;grp;ok\n");
    let mut numbers = Vec::new();
    for i in 0..rows {
        let grp = if i < personal {
            let n = common::pnr(700 + i);
            numbers.push(n.clone());
            n
        } else {
            format!("g{}", i % groups)
        };
        text.push_str(&format!("K{i:04};{grp};{}\n", i % 3 == 0));
    }
    std::fs::write(path, text).unwrap();
    numbers
}

/// A strata column where some values are personnummer (typed into the wrong column) is
/// refused with the count and the way out; the check it names quarantines exactly those
/// rows and plan.json then holds none of them.
#[test]
fn personnummer_in_a_strata_column_are_refused_and_can_be_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let numbers = grp_extract(&d.join("x.csv"), 120, 30, 36);
    let (x, plan) = (d.join("x.csv"), d.join("plan.json"));
    let base = [
        "plan",
        "--extract",
        p(&x),
        "--key",
        "id",
        "--strata",
        "grp",
        "--total",
        "6",
        "-o",
        p(&plan),
    ];
    let out = urval().args(base).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--strata \"grp\": 30 of its 66 values are personal identity numbers")
            && err.contains("--check 'NOT IS_PERSONNUMMER(\"grp\")'"),
        "{err}"
    );
    assert!(!d.join("plan.json").exists());
    let out = urval()
        .args(base)
        .args([
            "--check",
            "NOT IS_PERSONNUMMER(\"grp\")",
            "--max-quarantine",
            "100%",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("quarantined 30"), "{stdout}");
    let plan = std::fs::read_to_string(d.join("plan.json")).unwrap();
    let mut outputs = plan.clone();
    for f in std::fs::read_dir(d).unwrap() {
        let f = f.unwrap().path();
        if f.file_name()
            .unwrap()
            .to_string_lossy()
            .contains("quarantine")
        {
            outputs.push_str(&std::fs::read_to_string(&f).unwrap());
        }
    }
    outputs.push_str(&stdout);
    outputs.push_str(&String::from_utf8_lossy(&out.stderr));
    assert_no_personnummer(&outputs, &numbers);
}

/// JSON on stdout is masked value by value: a stratum name holding a personnummer in any
/// written form is masked, the numbers are the unmasked run's, and the text parses.
#[test]
fn json_on_stdout_is_masked_by_value_and_numbers_are_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = common::pnr(3);
    let forms = [
        n.clone(),
        n.replace('-', "\u{2013}"),
        n.replace('-', " "),
        format!("K{}", n.replace('-', "")),
        format!("{n}-1"),
    ];
    let mut t = String::from("stratum,population,proportion,cost\n");
    for (i, f) in forms.iter().enumerate() {
        t.push_str(&format!("\"{f}\",{},0.3,1.{i}\n", 1000 + 137 * i));
    }
    std::fs::write(d.join("s.csv"), t).unwrap();
    let strata = d.join("s.csv");
    let args = [
        "allocate",
        "--strata",
        p(&strata),
        "--method",
        "optimal",
        "--format",
        "json",
        "--total",
        "85",
        "--min",
        "10",
        "--max",
        "100",
    ];
    let masked = urval().args(args).output().unwrap();
    let shown = urval()
        .args(args)
        .arg("--show-personal-values")
        .output()
        .unwrap();
    let mv: serde_json::Value = serde_json::from_slice(&masked.stdout).unwrap();
    let sv: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let text = String::from_utf8_lossy(&masked.stdout);
    assert!(!text.contains(&n[..8]), "{n} in {text}");
    for (m, s) in mv["strata"]
        .as_array()
        .unwrap()
        .iter()
        .zip(sv["strata"].as_array().unwrap())
    {
        assert!(m["stratum"].as_str().unwrap().contains("<personal>"), "{m}");
        assert_eq!(m["weight"], s["weight"]);
        assert_eq!(m["n"], s["n"]);
    }
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&n));
}

/// A two-stage search that would run for hours (tolerable and expected rates close) stops
/// with a clear message instead of hanging; `plan --stages 2` uses the same search.
#[test]
fn a_two_stage_search_too_large_is_refused_not_run_for_hours() {
    for args in [
        vec![
            "size",
            "--tolerable-rate",
            "0.1",
            "--expected-rate",
            "0.08",
            "--stages",
            "2",
        ],
        vec![
            "size",
            "--tolerable-rate",
            "0.1",
            "--expected-rate",
            "0.09",
            "--stages",
            "2",
        ],
        vec![
            "size",
            "--tolerable-rate",
            "0.1",
            "--expected-rate",
            "0.099",
            "--stages",
            "2",
            "--population",
            "1000000000",
        ],
    ] {
        urval()
            .args(&args)
            .timeout(std::time::Duration::from_secs(300))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "the search for a two-stage plan is too large here",
            ));
    }
    // An ordinary staged plan is still found.
    urval()
        .args([
            "size",
            "--tolerable-rate",
            "0.1",
            "--expected-rate",
            "0.01",
            "--stages",
            "2",
        ])
        .assert()
        .success();
}

/// Indicators grouped `--by` a column where some values are personnummer: those groups read
/// `<personal>` in the CSV, JSON and .xlsx tables, with a warning naming the column and
/// the count; the other groups are as they were.
#[test]
fn indicator_groups_that_are_personnummer_are_masked_in_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let numbers = grp_extract(&d.join("x.csv"), 60, 6, 4);
    std::fs::write(
        d.join("spec.toml"),
        "[[indicator]]\nname = \"ok\"\nkind = \"share\"\nexpr = \"ok = 'true'\"\n",
    )
    .unwrap();
    let mut outputs = String::new();
    for ext in ["csv", "json", "xlsx"] {
        let out_path = d.join(format!("ind.{ext}"));
        let out = urval()
            .args(["indicators", "--extract", p(&d.join("x.csv")), "--spec"])
            .args([p(&d.join("spec.toml")), "--by", "grp", "-o", p(&out_path)])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("--by \"grp\": 6 of its values are personal identity numbers"),
            "{err}"
        );
        outputs.push_str(&err);
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        if ext == "xlsx" {
            use calamine::Reader;
            let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out_path).unwrap();
            for name in wb.sheet_names() {
                let r = wb.worksheet_range(&name).unwrap();
                for row in r.rows() {
                    for c in row {
                        outputs.push_str(&c.to_string());
                        outputs.push('\n');
                    }
                }
            }
        } else {
            let t = std::fs::read_to_string(&out_path).unwrap();
            assert!(t.contains("<personal>") && t.contains("g3"), "{t}");
            outputs.push_str(&t);
        }
    }
    assert_no_personnummer(&outputs, &numbers);
}

/// Written forms other than the plain one count too: a strata value `19811218–9876` (en
/// dash) or `K811218-9876` is refused like `811218-9876`, and `IS_PERSONNUMMER` finds it.
#[test]
fn personnummer_in_any_written_form_are_refused_as_strata() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = common::pnr(9);
    for (i, form) in [
        n.replace('-', "\u{2013}"),
        format!("K{}", &n[2..]),
        n.replace('-', " - "),
        format!("{n}-1"),
    ]
    .iter()
    .enumerate()
    {
        let mut text = String::from("id;grp\n");
        for r in 0..40 {
            let grp = if r == 0 {
                form.clone()
            } else {
                format!("g{}", r % 5)
            };
            text.push_str(&format!("K{r:04};{grp}\n"));
        }
        let x = d.join(format!("x{i}.csv"));
        std::fs::write(&x, text).unwrap();
        let plan = d.join(format!("p{i}.json"));
        let base = [
            "plan",
            "--extract",
            p(&x),
            "--key",
            "id",
            "--strata",
            "grp",
            "--total",
            "5",
            "-o",
            p(&plan),
        ];
        urval()
            .args(base)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("1 of its 6 values are personal"));
        urval()
            .args(base)
            .args([
                "--check",
                "NOT IS_PERSONNUMMER(grp)",
                "--max-quarantine",
                "100%",
            ])
            .assert()
            .success()
            .stdout(predicates::str::contains("quarantined 1"));
        assert!(!std::fs::read_to_string(&plan).unwrap().contains(&n[2..8]));
    }
}

/// A stratum whose manifest lists all but a few of its keys records no fingerprint: with
/// the drawn keys known, a commitment to the rest could be tested against guesses.
#[test]
fn a_stratum_drawn_almost_whole_records_no_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("id;kommun\n");
    for i in 0..80 {
        text.push_str(&format!("{};{}\n", common::pnr(i), ["0180", "1480"][i % 2]));
    }
    std::fs::write(d.join("x.csv"), text).unwrap();
    // Equal allocation of 72: 36 of 40 in each stratum, 4 not drawn.
    for (total, recorded) in [(72, false), (70, true)] {
        let plan = d.join(format!("p{total}.json"));
        urval()
            .args(["plan", "--extract", p(&d.join("x.csv")), "--key", "id"])
            .args(["--strata", "kommun", "--allocation", "equal", "--total"])
            .args([&total.to_string(), "-o", p(&plan)])
            .assert()
            .success();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        for s in v["strata"].as_array().unwrap() {
            assert_eq!(s["fingerprint"] != "", recorded, "{total}: {s}");
        }
        urval()
            .args(["draw", "--extract", p(&d.join("x.csv")), "--plan", p(&plan)])
            .args(["--seed", "3", "-o", p(&d.join(format!("m{total}.csv")))])
            .assert()
            .success();
    }
}

/// The case number goes into the print running head's CSS string, escaped character by
/// character; a personnummer in it is masked before that, in every written form.
#[test]
fn a_personnummer_in_the_case_number_is_masked_in_the_running_head() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pnr_extract(&d.join("a.csv"), 0);
    plan_of(&d.join("a.csv"), &d.join("a.json"));
    draw_seed_7(d, "a.csv", "a.json", "m.csv")
        .assert()
        .success();
    let n = common::pnr(4);
    for form in [
        n.replace('-', "\u{2013}"),
        n.replace('-', "\u{a0}"),
        n.clone(),
    ] {
        let html = d.join("r.html");
        urval()
            .args(["report", "--plan", p(&d.join("a.json")), "--manifest"])
            .args([p(&d.join("m.csv")), "--case-number", &format!("Dnr {form}")])
            .args(["-o", p(&html)])
            .assert()
            .success();
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            !page.contains(&n[..8]) && !page.contains(&n[2..8]),
            "{form}"
        );
    }
}

/// plan.json keeps `--where` and `--check` as written: one that names a personnummer is
/// refused before anything is written.
#[test]
fn a_filter_naming_a_personnummer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pnr_extract(&d.join("a.csv"), 0);
    let n = common::pnr(5);
    for (flag, expr) in [
        ("--where", format!("id <> '{n}'")),
        ("--check", format!("id <> '{}'", n.replace('-', "\u{2013}"))),
    ] {
        urval()
            .args([
                "plan",
                "--extract",
                p(&d.join("a.csv")),
                "--key",
                "id",
                "--strata",
            ])
            .args([
                "kommun",
                "--total",
                "9",
                "-o",
                p(&d.join("p.json")),
                flag,
                &expr,
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "{flag} names a personal identity number"
            )));
        assert!(!d.join("p.json").exists());
    }
}
