//! CLI tests on extracts as municipal case systems write them: Windows-1252, `;`, CRLF,
//! Swedish column names, dates as `25/06/2024` and `20240625`, Excel dates, municipality
//! codes that lost their leading zero or name no municipality, and review answers as
//! people type them (`Ja`, `NEJ`, `e.t.`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, read_json, run, run_ok};

use std::path::{Path, PathBuf};

const HEADER: &str = "ärende_id;kommunkod;verksamhetsområde;inledd_datum;beslut_datum;barnet_hört";
const AREAS: [&str; 4] = [
    "Barn och unga",
    "Äldreomsorg",
    "Missbruk",
    "Funktionshinder",
];
const CODES: [&str; 4] = ["0180", "1880", "1280", "0114"];

/// Row `i`: its key, code, area, opening and decision days (since 1970-01-01) and answer.
fn row(i: u32) -> (String, &'static str, &'static str, i32, i32, &'static str) {
    // 2024-01-01 is day 19723; openings spread over 2024, decisions 20–169 days later.
    let opened = 19_723 + (i * 37 % 360) as i32;
    let decided = opened + 20 + (i * 13 % 150) as i32;
    let heard = if i.is_multiple_of(3) { "Nej" } else { "Ja" };
    (
        format!("Ä-{i:05}"),
        CODES[(i % 4) as usize],
        AREAS[(i / 4 % 4) as usize],
        opened,
        decided,
        heard,
    )
}

/// A day as `YYYY-MM-DD`, `DD/MM/YYYY` or `YYYYMMDD` (civil from days, Hinnant's algorithm).
fn date(day: i32, form: &str) -> String {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    match form {
        "dmy" => format!("{d:02}/{m:02}/{y}"),
        "compact" => format!("{y}{m:02}{d:02}"),
        _ => format!("{y}-{m:02}-{d:02}"),
    }
}

/// The extract of `n` rows, with the row `bad` → code replaced; dates as the municipal
/// system writes them (`municipal`) or all ISO. Windows-1252, `;`, CRLF.
fn extract(dir: &Path, name: &str, n: u32, bad: &[(u32, &str)], municipal: bool) -> PathBuf {
    let mut text = format!("{HEADER}\r\n");
    for i in 0..n {
        let (key, code, area, opened, decided, heard) = row(i);
        let code = bad.iter().find(|(r, _)| *r == i).map_or(code, |(_, c)| *c);
        let (o, d) = if municipal {
            (date(opened, "dmy"), date(decided, "compact"))
        } else {
            (date(opened, "iso"), date(decided, "iso"))
        };
        text.push_str(&format!("{key};{code};{area};{o};{d};{heard}\r\n"));
    }
    let path = dir.join(name);
    cp1252(&path, &text);
    path
}

/// Write `text` as Windows-1252, as municipal case systems export.
fn cp1252(path: &Path, text: &str) {
    std::fs::write(path, encoding_rs::WINDOWS_1252.encode(text).0).unwrap();
}

fn quarantine(path: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

/// The counts line `rows read R = used U + excluded by --where E + quarantined Q`.
fn counts(out: &str) -> (u64, u64, u64, u64) {
    let line = out
        .lines()
        .find(|l| l.contains("rows read"))
        .unwrap_or_else(|| panic!("{out}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter_map(|w| w.replace(',', "").parse().ok())
        .collect();
    (nums[0], nums[1], nums[2], nums[3])
}

/// A plan as two exports of the same extract must agree on it: without the time it was
/// written and the files' names and sizes.
fn plan_json(path: &Path) -> serde_json::Value {
    let mut v = read_json(path);
    let o = v.as_object_mut().unwrap();
    o.remove("created");
    o["extract"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "fingerprint");
    v
}

fn plan(extract: &Path, plan: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "plan",
        "--extract",
        p(extract),
        "--key",
        "ärende_id",
        "--strata",
        "kommunkod",
        "--where",
        "beslut_datum - inledd_datum > 40 AND verksamhetsområde = 'Barn och unga'",
        "--margin",
        "0.1",
        "-o",
        p(plan),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Dates as `25/06/2024` and `20240625` are read as the ISO dates they are: the plan (but
/// the file's size), the quarantine and the drawn list are the same as from the ISO
/// export, and a municipality code without its leading zero or naming no municipality is
/// quarantined with why; rows read = used + excluded + quarantined.
#[test]
fn a_municipal_export_plans_and_draws_as_its_iso_twin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = [(7, "180"), (11, "0108"), (15, "0108")];
    let municipal = extract(d, "kommun.csv", 800, &bad, true);
    let iso = extract(d, "iso.csv", 800, &bad, false);
    let mut plans = Vec::new();
    let mut outs = Vec::new();
    for (name, f) in [("kommun", &municipal), ("iso", &iso)] {
        let path = d.join(format!("{name}.json"));
        let (code, out, err) = plan(f, &path, &[]);
        assert_eq!(code, 0, "{err}");
        let v = plan_json(&path);
        plans.push(v);
        outs.push(out);
        let q = quarantine(&d.join(format!("{name}.quarantine.csv")));
        assert_eq!(
            q,
            vec![
                (
                    "9".to_string(),
                    "column \"kommunkod\": \"180\" looks like \"0180\" (Stockholm) without its leading zero".to_string()
                ),
                (
                    "13".to_string(),
                    "column \"kommunkod\": \"0108\" is not a municipality code".to_string()
                ),
                (
                    "17".to_string(),
                    "column \"kommunkod\": \"0108\" is not a municipality code".to_string()
                ),
            ],
            "{name}"
        );
    }
    assert_eq!(plans[0], plans[1]);
    // The counts by hand: children's cases decided more than 40 days after opening.
    let children: Vec<u32> = (0..800)
        .filter(|&i| ![7, 11, 15].contains(&i) && row(i).2 == "Barn och unga")
        .collect();
    let used = children
        .iter()
        .filter(|&&i| row(i).4 - row(i).3 > 40)
        .count() as u64;
    for out in &outs {
        let (read, u, excluded, q) = counts(out);
        assert_eq!((read, u, q), (800, used, 3), "{out}");
        assert_eq!(read, u + excluded + q);
    }
    // Strata are the four real municipalities only.
    let strata = plans[0]["strata"].as_array().unwrap();
    assert_eq!(strata.len(), 4, "{strata:?}");
    let mut lists = Vec::new();
    for (name, f) in [("kommun", &municipal), ("iso", &iso)] {
        let out = d.join(format!("urval-{name}.csv"));
        run_ok(&[
            "draw",
            "--extract",
            p(f),
            "--plan",
            p(&d.join("kommun.json")),
            "--seed",
            "20240625",
            "--include",
            "inledd_datum,beslut_datum,barnet_hört",
            "-o",
            p(&out),
        ]);
        lists.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(lists[0], lists[1]);
    let text = String::from_utf8(lists[0].clone()).unwrap();
    // The dates are written as ISO dates, whatever the export wrote.
    let first = text.lines().nth(1).unwrap();
    let key = first.split(',').next().unwrap();
    let i: u32 = key.trim_start_matches("Ä-").parse().unwrap();
    assert!(
        first.contains(&format!(
            "{},{}",
            date(row(i).3, "iso"),
            date(row(i).4, "iso")
        )),
        "{first}"
    );
}

/// With --keep-unknown-municipalities the bad codes are their own strata, with a warning
/// per code; the report still names every real municipality.
#[test]
fn unknown_codes_can_be_kept_as_strata_and_names_stay() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = extract(d, "kommun.csv", 400, &[(3, "0108")], true);
    let path = d.join("p.json");
    let (code, out, err) = plan(&f, &path, &["--keep-unknown-municipalities"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&out).3, 0, "{out}");
    assert!(
        err.contains("column \"kommunkod\": \"0108\" is not a municipality code (1 row): kept as its own stratum"),
        "{err}"
    );
    let v = read_json(&path);
    let values: Vec<String> = v["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(values.iter().any(|s| s.contains("0108")), "{values:?}");
    let report = d.join("rapport.md");
    run_ok(&["report", "--plan", p(&path), "-o", p(&report)]);
    let md = std::fs::read_to_string(&report).unwrap();
    for name in [
        "Stockholm (0180)",
        "Örebro (1880)",
        "Malmö (1280)",
        "Upplands Väsby (0114)",
    ] {
        assert!(md.contains(name), "{name}: {md}");
    }
    assert!(md.contains("0108"), "{md}");
    // The drawn list keeps the stratum, and urval's own files read back keep it too: the
    // review template has a row for every drawn record.
    let manifest = d.join("urval.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f),
        "--plan",
        p(&path),
        "--seed",
        "5",
        "--keep-unknown-municipalities",
        "-o",
        p(&manifest),
    ]);
    let drawn = std::fs::read_to_string(&manifest).unwrap();
    assert!(drawn.contains(",0108,"), "{drawn}");
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"q\"\nlabel_sv = \"F\"\nlabel_en = \"Q\"\nkind = \"share\"\nexpr = \"barnet_hört = 'Ja'\"\n",
    )
    .unwrap();
    let out = run_ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "-o",
        p(&d.join("g.csv")),
    ]);
    let records = drawn.lines().count() - 1;
    assert!(
        out.contains(&format!("({records} records, 1 questions")),
        "{out}"
    );
}

/// A column of slash dates none of which has a day above 12 cannot be read without being
/// told the order: the command stops and says what to give; with --date-format it reads,
/// and a value that is no date in that format is quarantined with the column, the value
/// and the format expected.
#[test]
fn ambiguous_dates_need_a_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = "ärende_id;kommunkod;inledd_datum\r\n".to_string();
    for i in 0..200u32 {
        let day = if i == 5 {
            "31/02/2024".to_string()
        } else {
            format!("{:02}/{:02}/2024", 1 + i % 12, 1 + i % 11)
        };
        text.push_str(&format!("A{i};{};{day}\r\n", CODES[(i % 4) as usize]));
    }
    let f = d.join("x.csv");
    cp1252(&f, &text);
    let plan_path = d.join("p.json");
    let base = [
        "plan",
        "--extract",
        p(&f),
        "--key",
        "ärende_id",
        "--strata",
        "kommunkod",
        "--where",
        "inledd_datum >= DATE '2024-03-01'",
        "--margin",
        "0.1",
        "--max-quarantine",
        "5%",
        "-o",
        p(&plan_path),
    ];
    // 31/02/2024 is no date either way: the column is text, and its first slash date is
    // quarantined with what to give.
    let (code, _, err) = run(&base);
    assert_eq!(code, 2, "{err}");
    let mut text2 = text.replace("31/02/2024", "02/02/2024");
    cp1252(&f, &text2);
    let (code, _, err) = run(&base);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("column \"inledd_datum\": dates such as \"01/01/2024\" can be read day first or month first")
            && err.contains("--date-format inledd_datum=DD/MM/YYYY"),
        "{err}"
    );
    // Given the format, the dates read day first; a value that is no date is quarantined.
    text2 = text.clone();
    cp1252(&f, &text2);
    let mut args = base.to_vec();
    args.extend(["--date-format", "inledd_datum=DD/MM/YYYY"]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let q = quarantine(&d.join("p.quarantine.csv"));
    assert_eq!(
        q,
        vec![(
            "7".to_string(),
            "column \"inledd_datum\": \"31/02/2024\" is not a date (expected DD/MM/YYYY or YYYY-MM-DD)".to_string()
        )]
    );
    // Day first: DD/MM with a month of March or later, counted by hand.
    let used = (0..200u32).filter(|&i| i != 5 && 1 + i % 11 >= 3).count() as u64;
    assert_eq!(counts(&out), (200, used, 199 - used, 1), "{out}");
    // Month first reads the same text otherwise.
    let mut args = base.to_vec();
    args.extend(["--date-format", "inledd_datum=MM/DD/YYYY"]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let used = (0..200u32).filter(|&i| i != 5 && 1 + i % 12 >= 3).count() as u64;
    assert_eq!(counts(&out).1, used, "{out}");
}

/// Without a format, a number of eight digits beside a date says which column and value,
/// and what to give.
#[test]
fn arithmetic_on_an_unread_date_names_the_column_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = "ärende_id;kommunkod;inledd_datum;beslut_datum\r\n".to_string();
    for i in 0..100u32 {
        // One decision date is unreadable, so the column is not taken for dates.
        let decided = if i == 0 {
            "okänt".to_string()
        } else {
            date(19_800 + i as i32, "compact")
        };
        text.push_str(&format!(
            "A{i};0180;{};{decided}\r\n",
            date(19_700 + i as i32, "dmy")
        ));
    }
    let f = d.join("x.csv");
    cp1252(&f, &text);
    let plan_path = d.join("p.json");
    let plan_with = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "--extract",
            p(&f),
            "--key",
            "ärende_id",
            "--strata",
            "kommunkod",
            "--where",
            "beslut_datum - inledd_datum > 40",
            "--margin",
            "0.1",
            "-o",
            p(&plan_path),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (code, _, err) = plan_with(&[]);
    assert_eq!(code, 2, "{err}");
    let q = std::fs::read_to_string(d.join("p.quarantine.csv")).unwrap();
    // Row 3 holds record A1: opened 19,701 days and decided 19,801 days after 1970-01-01.
    let want = format!(
        "column \"\"beslut_datum\"\" is the number {} and column \"\"inledd_datum\"\" is the date {}",
        date(19_801, "compact"),
        date(19_701, "iso")
    );
    assert!(
        q.contains(&want) && q.contains("give --date-format beslut_datum=YYYYMMDD"),
        "{want}\n{q}"
    );
    assert!(
        q.contains("column \"\"beslut_datum\"\": \"\"okänt\"\" is not a number"),
        "{q}"
    );
    // Given the format, the one unreadable value is quarantined and the rest are read.
    let (code, out, err) = plan_with(&[
        "--date-format",
        "beslut_datum=YYYYMMDD",
        "--max-quarantine",
        "2%",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&out), (100, 99, 0, 1), "{out}");
}

/// An .xlsx with Excel dates (date cells) and serial numbers in a plain number column
/// reads as its ISO twin: the same plan and drawn list.
#[test]
fn excel_dates_and_serials_read_as_dates() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let iso = extract(d, "iso.csv", 300, &[(4, "180")], false);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (j, h) in HEADER.split(';').enumerate() {
        ws.write_string(0, j as u16, h).unwrap();
    }
    for i in 0..300u32 {
        let (key, code, area, opened, decided, heard) = row(i);
        let r = i + 1;
        ws.write_string(r, 0, &key).unwrap();
        ws.write_string(r, 1, if i == 4 { "180" } else { code })
            .unwrap();
        ws.write_string(r, 2, area).unwrap();
        let iso_opened = date(opened, "iso");
        let y: u16 = iso_opened[..4].parse().unwrap();
        let m: u8 = iso_opened[5..7].parse().unwrap();
        let dd: u8 = iso_opened[8..].parse().unwrap();
        let cell = ExcelDateTime::from_ymd(y, m, dd).unwrap();
        ws.write_datetime_with_format(r, 3, &cell, &fmt).unwrap();
        // Excel's serial of 1970-01-01 is 25569.
        ws.write_number(r, 4, f64::from(decided + 25_569)).unwrap();
        ws.write_string(r, 5, heard).unwrap();
    }
    let x = d.join("kommun.xlsx");
    wb.save(&x).unwrap();
    let mut plans = Vec::new();
    let mut lists = Vec::new();
    for (name, f) in [("iso", &iso), ("x", &x)] {
        let path = d.join(format!("{name}.json"));
        let (code, out, err) = plan(f, &path, &["--date-format", "beslut_datum=excel"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(counts(&out).3, 1, "{out}");
        let v = plan_json(&path);
        plans.push(v);
        let list = d.join(format!("{name}-urval.csv"));
        run_ok(&[
            "draw",
            "--extract",
            p(f),
            "--plan",
            p(&d.join("iso.json")),
            "--seed",
            "3",
            "--include",
            "inledd_datum,beslut_datum",
            "--date-format",
            "beslut_datum=excel",
            "-o",
            p(&list),
        ]);
        lists.push(std::fs::read(&list).unwrap());
    }
    // The ISO export's decision dates are read as ISO beside the serial format.
    assert_eq!(plans[0], plans[1]);
    assert_eq!(lists[0], lists[1]);
}

/// Review answers as people type them: `Ja`, `NEJ`, `e.t.`, `N/A` are read, and
/// `--deviation-answer nej` is `no`.
#[test]
fn answers_as_people_write_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = extract(d, "kommun.csv", 400, &[], false);
    let plan_path = d.join("p.json");
    let (code, _, err) = plan(&f, &plan_path, &[]);
    assert_eq!(code, 0, "{err}");
    let manifest = d.join("urval.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&f),
        "--plan",
        p(&plan_path),
        "--seed",
        "11",
        "-o",
        p(&manifest),
    ]);
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"barnet_hort\"\nlabel_sv = \"Barnet hört\"\nlabel_en = \"Child heard\"\nkind = \"share\"\nexpr = \"barnet_hört = 'Ja'\"\n",
    )
    .unwrap();
    let template = d.join("granskning.csv");
    run_ok(&[
        "review-template",
        "--manifest",
        p(&manifest),
        "--spec",
        p(&spec),
        "-o",
        p(&template),
    ]);
    // Fill the question column with the words people type (the template is `;`-separated
    // with a byte-order mark, as Excel opens it).
    let text = std::fs::read_to_string(&template).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = r.headers().unwrap().clone();
    let q = header.iter().position(|h| h == "barnet_hort").unwrap();
    let words = ["Ja", "NEJ", "e.t.", " ja ", "Nej.", "N/A", "JA", "nej"];
    let (mut yes, mut no) = (0u64, 0u64);
    let filled = d.join("ifylld.csv");
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&filled)
        .unwrap();
    w.write_record(&header).unwrap();
    for (k, rec) in r.records().enumerate() {
        let mut cells: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        let word = words[k % words.len()];
        match word.trim().trim_end_matches('.').to_lowercase().as_str() {
            "ja" => yes += 1,
            "nej" => no += 1,
            _ => {}
        }
        cells[q] = word.to_string();
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let evaluate = |answer: &str| {
        let (code, out, err) = run(&[
            "evaluate",
            "--manifest",
            p(&manifest),
            "--review",
            p(&filled),
            "--indicator",
            "barnet_hort",
            "--deviation-answer",
            answer,
            "--format",
            "json",
        ]);
        assert!(code == 0 || code == 1, "{answer}: {err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let nej = evaluate("nej");
    assert_eq!(nej["sample"].as_u64(), Some(yes + no));
    assert_eq!(nej["deviations"].as_u64(), Some(no));
    assert_eq!(evaluate("NO"), nej);
    assert_eq!(evaluate("Ja")["deviations"].as_u64(), Some(yes));
    let (code, _, err) = run(&[
        "evaluate",
        "--manifest",
        p(&manifest),
        "--review",
        p(&filled),
        "--indicator",
        "barnet_hort",
        "--deviation-answer",
        "kanske",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("give nej (no) or ja (yes)"), "{err}");
}

/// Indicators over the municipal export equal those over its ISO twin, byte for byte, and
/// count by hand: children's cases decided within four months of opening, per municipality.
#[test]
fn indicators_read_municipal_dates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = [(2, "180")];
    let municipal = extract(d, "kommun.csv", 800, &bad, true);
    let iso = extract(d, "iso.csv", 800, &bad, false);
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"inom_4_manader\"\nlabel_sv = \"Beslut inom fyra månader\"\nlabel_en = \"Decided within four months\"\nkind = \"share\"\nexpr = \"beslut_datum <= ADD_MONTHS(inledd_datum, 4)\"\nwhere = \"verksamhetsområde = 'Barn och unga'\"\n",
    )
    .unwrap();
    let mut tables = Vec::new();
    for (name, f) in [("kommun", &municipal), ("iso", &iso)] {
        let out = d.join(format!("{name}-ind.csv"));
        let text = run_ok(&[
            "indicators",
            "--extract",
            p(f),
            "--spec",
            p(&spec),
            "--by",
            "kommunkod",
            "--max-quarantine",
            "1%",
            "-o",
            p(&out),
        ]);
        assert_eq!(counts(&text), (800, 799, 0, 1), "{text}");
        tables.push(std::fs::read_to_string(&out).unwrap());
    }
    assert_eq!(tables[0], tables[1]);
    // By hand, for Stockholm (0180): opening + 4 calendar months (the day clamped to the
    // month's end) against the decision, in whole days.
    let within = |i: u32| {
        let (_, _, _, opened, decided, _) = row(i);
        let o = date(opened, "iso");
        let (y, m, dd): (i32, u32, u32) = (
            o[..4].parse().unwrap(),
            o[5..7].parse().unwrap(),
            o[8..].parse().unwrap(),
        );
        let (y2, m2) = if m + 4 > 12 {
            (y + 1, m + 4 - 12)
        } else {
            (y, m + 4)
        };
        let last = [
            31,
            if y2 % 4 == 0 { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][(m2 - 1) as usize];
        let deadline = format!("{y2}-{m2:02}-{:02}", dd.min(last));
        date(decided, "iso") <= deadline
    };
    let stockholm: Vec<u32> = (0..800)
        .filter(|&i| i != 2 && row(i).1 == "0180" && row(i).2 == "Barn och unga")
        .collect();
    let k = stockholm.iter().filter(|&&i| within(i)).count();
    let line = tables[0]
        .lines()
        .find(|l| l.starts_with("inom_4_manader,0180,"))
        .unwrap();
    assert!(
        line.starts_with(&format!("inom_4_manader,0180,{},{k},", stockholm.len())),
        "{line}"
    );
}
