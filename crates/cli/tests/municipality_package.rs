//! The request package of `urval draw --split-by`: one folder per municipality that it can
//! check by following what it receives — the list verifies from the folder alone on the
//! municipality's own rows (another format, encoding and delimiter than the draw's), a
//! tampered list exits 1 naming the records, each output keeps its own sidecar, and the
//! letter's numbers are the municipality's own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::{p, root, urval};

/// One national draw split into packages, shared by the tests (a draw of 287 packages).
struct Drawn {
    _dir: tempfile::TempDir,
    packages: PathBuf,
    plan: PathBuf,
}

fn sample(name: &str) -> PathBuf {
    root().join("sample-data").join(name)
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = urval().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn drawn() -> &'static Drawn {
    static DRAWN: OnceLock<Drawn> = OnceLock::new();
    DRAWN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let plan = d.join("plan.json");
        let (code, _, err) = run_in(
            d,
            &[
                "plan",
                "--extract",
                p(&sample("cases.parquet")),
                "--key",
                "case_id",
                "--strata",
                "municipality_code",
                "--where",
                "area = 'aldre'",
                "--margin",
                "0.03",
                "--allocation",
                "proportional",
                "--min",
                "2",
                "--pages-column",
                "pages",
                "--requested",
                "2000",
                "-o",
                "plan.json",
            ],
        );
        assert_eq!(code, 0, "{err}");
        // --out-dir is created when missing.
        let (code, out, err) = run_in(
            d,
            &[
                "draw",
                "--extract",
                p(&sample("cases.parquet")),
                "--plan",
                "plan.json",
                "--seed",
                "20261123",
                "--include",
                "sex,pages",
                "-o",
                "urval.xlsx",
                "--split-by",
                "municipality_code",
                "--out-dir",
                "paket",
                "--case-number",
                "IVO 3.1.1-12345/2026",
                "--date",
                "2026-12-01",
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("287 packages in paket"), "{out}");
        Drawn {
            packages: d.join("paket"),
            plan,
            _dir: dir,
        }
    })
}

/// A copy of one package's folder, alone in a new directory.
fn package_alone(code: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(code);
    std::fs::create_dir(&to).unwrap();
    for f in std::fs::read_dir(drawn().packages.join(code)).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
    }
    (dir, to)
}

/// The municipality's own rows of the extract as its system might export them: `;`,
/// CRLF line ends, Windows-1252, under `name` in `dir`.
fn own_rows(dir: &Path, code: &str, name: &str) {
    let text = std::fs::read_to_string(sample("cases.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let sep = if header.contains(';') { ';' } else { ',' };
    let mut out = String::new();
    let mut n = 0;
    for l in std::iter::once(header).chain(lines.filter(|l| l.split(sep).nth(1) == Some(code))) {
        out.push_str(&l.replace(sep, ";"));
        out.push_str("\r\n");
        n += 1;
    }
    assert!(n > 100, "{n} rows of {code}");
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&out);
    assert!(!bad);
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The letter's text without tags.
fn letter_text(folder: &Path, code: &str) -> String {
    let html = std::fs::read_to_string(folder.join(format!("brev-{code}.html"))).unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    let body = html.split("</style>").last().unwrap();
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// The verify command the letter prints, as words.
fn letter_command(folder: &Path, code: &str) -> Vec<String> {
    let text = letter_text(folder, code);
    let at = text
        .find("urval verify")
        .expect("the letter prints a verify command");
    let line = text[at..].lines().next().unwrap().trim();
    line.split(' ').map(String::from).collect()
}

#[test]
fn a_package_holds_its_lists_sidecars_plan_and_letter() {
    let d = drawn();
    let mut names: Vec<String> = std::fs::read_dir(d.packages.join("0180"))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "brev-0180.html",
            "plan.json",
            "urval-0180.csv",
            "urval-0180.csv.draw.json",
            "urval-0180.xlsx"
        ]
    );
    // The plan in the package is the draw's, byte for byte.
    assert_eq!(
        std::fs::read(d.packages.join("0180/plan.json")).unwrap(),
        std::fs::read(&d.plan).unwrap()
    );
    // The CSV's sidecar names its own list, its own records and its part.
    let side = support::read_json(&d.packages.join("0180/urval-0180.csv.draw.json"));
    assert_eq!(side["manifest"], "urval-0180.csv");
    assert_eq!(side["only"], "municipality_code=0180");
    assert_eq!(side["strata"].as_array().unwrap().len(), 1);
    let csv = std::fs::read_to_string(d.packages.join("0180/urval-0180.csv")).unwrap();
    assert_eq!(
        side["selected"].as_u64().unwrap(),
        csv.lines().count() as u64 - 1
    );
}

#[test]
fn the_letters_command_verifies_the_package_alone_on_its_own_rows() {
    let (_dir, folder) = package_alone("0180");
    own_rows(&folder, "0180", "uttag.csv");
    let words = letter_command(&folder, "0180");
    assert_eq!(
        words,
        [
            "urval",
            "verify",
            "--manifest",
            "urval-0180.xlsx",
            "--extract",
            "uttag.csv"
        ]
    );
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let (code, out, err) = run_in(&folder, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("identical: 77 records"), "{out}");
    assert!(out.contains("municipality_code=0180"), "{out}");
    assert!(!out.contains("note:"), "{out}");
    // The CSV list too, with the sidecar beside it.
    let (code, out, err) = run_in(
        &folder,
        &[
            "verify",
            "--manifest",
            "urval-0180.csv",
            "--extract",
            "uttag.csv",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("identical: 77 records"), "{out}");
    // The .xlsx alone (no plan file, no sidecar beside it) carries what it needs.
    std::fs::remove_file(folder.join("plan.json")).unwrap();
    std::fs::remove_file(folder.join("urval-0180.csv.draw.json")).unwrap();
    let (code, out, err) = run_in(&folder, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("identical: 77 records"), "{out}");
}

/// Rewrite an `.xlsx` list as a person editing it would: the data sheet through `edit`,
/// the other sheets (the hidden one that carries the draw too) as they were.
fn edit_xlsx(path: &Path, edit: impl Fn(&mut Vec<Vec<String>>)) {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb = open_workbook_auto(path).unwrap();
    let names = wb.sheet_names();
    let mut out = rust_xlsxwriter::Workbook::new();
    for (i, name) in names.iter().enumerate() {
        let range = wb.worksheet_range(name).unwrap();
        let mut rows: Vec<Vec<String>> = range
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
            .collect();
        if i == 0 {
            edit(&mut rows);
        }
        let ws = out.add_worksheet();
        ws.set_name(name).unwrap();
        if name == "urval-data" {
            ws.set_hidden(true);
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, v).unwrap();
                }
            }
        }
    }
    out.save(path).unwrap();
}

#[test]
fn a_tampered_list_exits_1_naming_the_records() {
    for list in ["urval-0180.xlsx", "urval-0180.csv"] {
        for tamper in ["replace", "remove"] {
            let (_dir, folder) = package_alone("0180");
            own_rows(&folder, "0180", "uttag.csv");
            let path = folder.join(list);
            let mut gone = String::new();
            let edit = |rows: &mut Vec<Vec<String>>| -> String {
                let key = rows[3][0].clone();
                if tamper == "replace" {
                    rows[3][0] = "0180-9999999999".to_string();
                } else {
                    rows.remove(3);
                }
                key
            };
            if list.ends_with(".xlsx") {
                let cell = std::cell::RefCell::new(String::new());
                edit_xlsx(&path, |rows| *cell.borrow_mut() = edit(rows));
                gone = cell.into_inner();
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rows: Vec<Vec<String>> = text
                    .lines()
                    .map(|l| l.split(',').map(String::from).collect())
                    .collect();
                gone.push_str(&edit(&mut rows));
                let back: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
                std::fs::write(&path, back.join("\n") + "\n").unwrap();
            }
            let (code, out, err) = run_in(
                &folder,
                &["verify", "--manifest", list, "--extract", "uttag.csv"],
            );
            assert_eq!(code, 1, "{list} {tamper}: {out}{err}");
            assert!(
                out.contains(&format!("missing  {gone}  (0180)")),
                "{list} {tamper}: {out}"
            );
            if tamper == "replace" {
                assert!(
                    out.contains("extra    0180-9999999999  (0180)"),
                    "{list}: {out}"
                );
            } else {
                assert!(
                    out.contains("0 in the manifest but not drawn"),
                    "{list}: {out}"
                );
            }
        }
    }
}

#[test]
fn two_formats_in_one_folder_keep_their_own_sidecars() {
    let d = drawn();
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    std::fs::copy(&d.plan, t.join("plan.json")).unwrap();
    for out in ["urval.xlsx", "urval.csv"] {
        let (code, o, err) = run_in(
            t,
            &[
                "draw",
                "--extract",
                p(&sample("cases.parquet")),
                "--plan",
                "plan.json",
                "--seed",
                "7",
                "-o",
                out,
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert!(o.contains(&format!("sidecar {out}.draw.json")), "{o}");
    }
    for out in ["urval.xlsx", "urval.csv"] {
        let side = support::read_json(&t.join(format!("{out}.draw.json")));
        assert_eq!(side["manifest"], out);
        let (code, o, err) = run_in(
            t,
            &[
                "verify",
                "--extract",
                p(&sample("cases.csv")),
                "--manifest",
                out,
            ],
        );
        assert_eq!(code, 0, "{o}{err}");
        assert!(o.starts_with("identical: 1,051 records"), "{o}");
        assert!(!o.contains("checksums differ"), "{o}");
    }
    assert!(!t.join("urval.draw.json").exists());
    // A sidecar under the name earlier versions wrote is still read.
    std::fs::rename(t.join("urval.csv.draw.json"), t.join("urval.draw.json")).unwrap();
    let (code, o, err) = run_in(
        t,
        &[
            "verify",
            "--extract",
            p(&sample("cases.csv")),
            "--manifest",
            "urval.csv",
        ],
    );
    assert_eq!(code, 0, "{o}{err}");
    assert!(!o.contains("checksums differ"), "{o}");
}

#[test]
fn the_letter_shows_the_municipalitys_own_numbers() {
    let d = drawn();
    let text = letter_text(&d.packages.join("0180"), "0180");
    // Its own numbers: 77 of 616 records, its own case number and a deadline to fill in.
    assert!(text.contains("Stockholm (0180)"), "{text}");
    assert!(text.contains("IVO 3.1.1-12345/2026"), "{text}");
    assert!(text.contains("Svar senast"), "{text}");
    assert!(text.contains("Syftet kräver 77 av 616 akter"), "{text}");
    // The whole request's totals appear only labelled as such, beside the part's.
    let nbsp = |s: &str| s.replace(' ', "\u{a0}");
    for total in ["1 051", "7 029", "2 000"] {
        let t = nbsp(total);
        for (at, _) in text.match_indices(&t) {
            let sentence_start = text[..at].rfind(['.', '\n']).map_or(0, |i| i + 1);
            let sentence_end = at + text[at..].find(['.', '\n']).unwrap_or(text.len() - at);
            let sentence = &text[sentence_start..sentence_end];
            assert!(
                sentence.contains("hela begäran") || sentence.contains("hela riket"),
                "{total} without saying it is the whole request's: {sentence}"
            );
        }
        // Never without its thousands separator.
        assert!(
            !text.contains(&total.replace(' ', "")),
            "{total} unseparated"
        );
    }
    // Counts of records are whole: no "N,d akter".
    let words: Vec<&str> = text.split_whitespace().collect();
    for w in words.windows(2) {
        if w[1].starts_with("akter") {
            assert!(
                !w[0].contains(','),
                "a count with decimals: {} {}",
                w[0],
                w[1]
            );
        }
    }
}

#[test]
fn with_a_spec_every_package_gets_its_review_template() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = run_in(
        d,
        &[
            "plan",
            "--extract",
            p(&sample("journals-767.csv")),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--margin",
            "0.05",
            "-o",
            "plan.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let spec = root().join("pipeline").join("indicators.toml");
    let (code, out, err) = run_in(
        d,
        &[
            "draw",
            "--extract",
            p(&sample("journals-767.csv")),
            "--plan",
            "plan.json",
            "--seed",
            "5",
            "-o",
            "urval.csv",
            "--split-by",
            "municipality_code",
            "--out-dir",
            "paket",
            "--spec",
            p(&spec),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("brev-0180.html and granskning-0180.xlsx"),
        "{out}"
    );
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(d.join("paket/0180/granskning-0180.xlsx")).unwrap();
    let first = wb.sheet_names()[0].clone();
    let rows = wb.worksheet_range(&first).unwrap().rows().count();
    let list = std::fs::read_to_string(d.join("paket/0180/urval-0180.csv")).unwrap();
    assert_eq!(
        rows,
        list.lines().count(),
        "one template row per listed record"
    );
}

/// A package's review template asks a question only where it applies, also when its `where`
/// names a column of the extract that the list does not carry (`decided_date`): the draw
/// works out every question's population in one pass over the extract.
#[test]
fn package_templates_ask_each_question_only_where_it_applies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = sample("cases.csv");
    let (code, _, err) = run_in(
        d,
        &[
            "plan",
            "--extract",
            p(&cases),
            "--key",
            "case_id",
            "--strata",
            "municipality_code,area",
            "--where",
            "municipality_code IN ('0180', '1280')",
            "--total",
            "80",
            "-o",
            "plan.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let spec = root().join("pipeline").join("indicators.toml");
    let (code, _, err) = run_in(
        d,
        &[
            "draw",
            "--extract",
            p(&cases),
            "--plan",
            "plan.json",
            "--seed",
            "5",
            "-o",
            "urval.csv",
            "--split-by",
            "municipality_code",
            "--out-dir",
            "paket",
            "--spec",
            p(&spec),
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The extract's rows: key → (area, decided?).
    let text = std::fs::read_to_string(&cases).unwrap();
    let rows: std::collections::BTreeMap<String, (String, bool)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f[0].to_string(), (f[2].to_string(), !f[6].is_empty()))
        })
        .collect();
    use calamine::Reader;
    let mut checked = 0;
    for m in ["0180", "1280"] {
        let mut wb =
            calamine::open_workbook_auto(d.join(format!("paket/{m}/granskning-{m}.xlsx"))).unwrap();
        let first = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&first).unwrap();
        let mut it = range.rows();
        let head: Vec<String> = it.next().unwrap().iter().map(|c| c.to_string()).collect();
        let col = |n: &str| head.iter().position(|h| h == n).unwrap();
        for r in it {
            let key = r[0].to_string();
            let (area, decided) = &rows[&key];
            let na = |q: &str| r[col(q)] == "ej tillämpligt";
            assert_eq!(na("decision_communicated"), !decided, "{key}");
            assert_eq!(na("child_heard"), area != "barn_unga", "{key}");
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked}");
}
