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
        serde_json::from_str(&std::fs::read_to_string(d.join("m.draw.json")).unwrap()).unwrap();
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
        for f in ["plan.json", "m.draw.json"] {
            let t = std::fs::read_to_string(d.join(f)).unwrap();
            assert!(!t.contains(n.as_str()), "{n} in {f}");
        }
    }
}
