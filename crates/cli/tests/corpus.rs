//! The bad-input corpus: every case is made here (no hand-made binaries) and must end in a
//! clear one-line error (exit 2) naming what is wrong, or in quarantined rows that
//! reconcile (rows read = used + excluded + quarantined) — never a panic, never a lost row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

mod common;

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

const HEADER: &str = "id;kommun;område;pages;opened";

fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "K{i:04};{};{};{};2024-0{}-1{}",
                ["0180", "1480"][i % 2],
                ["aldre", "barn_unga"][i % 2],
                10 + i,
                1 + i % 9,
                i % 10
            )
        })
        .collect()
}

fn csv(lines: &[String]) -> Vec<u8> {
    let mut s = HEADER.to_string();
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s.into_bytes()
}

/// What a case must end in.
enum Expect {
    /// Exit 2 with a one-line message containing this.
    Error(&'static str),
    /// Exit 0 with this many quarantined rows (and rows reconciling).
    Quarantined(u64),
    /// A spreadsheet case: exit 0 with this many quarantined rows of this many read.
    SheetQuarantined(u64, u64),
}

/// A one-sheet workbook ("Blad1") whose sheet XML has `dimension` and `rows` (the inside of
/// `<sheetData>`), zipped as Excel lays it out.
fn xlsx(dimension: &str, rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    let rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let package = "http://schemas.openxmlformats.org/package/2006/relationships";
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let parts = [
        (
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}"><Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rels}"><sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}"><Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
            ),
        ),
    ];
    for (name, text) in parts {
        z.start_file(name, o).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Sheet row `r` (1-based) of text cells from column A: a CSV line's fields.
fn sheet_row(r: usize, line: &str) -> String {
    let mut s = format!(r#"<row r="{r}">"#);
    for (j, v) in line.split(';').enumerate() {
        let col = char::from(b'A' + j as u8);
        s.push_str(&format!(
            r#"<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#
        ));
    }
    s.push_str("</row>");
    s
}

/// The header and `rows(n)` as sheet rows 1 to n + 1.
fn sheet(n: usize) -> String {
    std::iter::once(HEADER.to_string())
        .chain(rows(n))
        .enumerate()
        .map(|(i, l)| sheet_row(i + 1, &l))
        .collect()
}

struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<String>,
    expect: Expect,
}

fn plan_args(extract: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "plan",
        "--extract",
        extract,
        "--key",
        "id",
        "--strata",
        "kommun",
        "--total",
        "4",
        "-o",
        "OUT/plan.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Extra flags come in pairs; a flag already there gets the new value.
    for pair in extra.chunks(2) {
        match v.iter().position(|a| a == pair[0]) {
            Some(i) => v[i + 1] = pair[1].to_string(),
            None => v.extend(pair.iter().map(|s| s.to_string())),
        }
    }
    v
}

fn parquet_bytes(dir: &Path) -> Vec<u8> {
    let path = dir.join("gen.parquet");
    urval()
        .args([
            "generate",
            "--rows",
            "2000",
            "--seed",
            "1",
            "-o",
            path.to_str().unwrap(),
        ])
        .assert()
        .success();
    std::fs::read(&path).unwrap()
}

fn cases(dir: &Path) -> Vec<Case> {
    let good = csv(&rows(40));
    let pq = parquet_bytes(dir);
    let with = |extra: &[&str]| -> Vec<u8> {
        let mut r = rows(40);
        r.extend(extra.iter().map(|s| s.to_string()));
        csv(&r)
    };
    let sv_text = String::from_utf8(with(&["K9999;0180;äldre;10;2024-01-01"])).unwrap();
    let cp1252_sv = encoding_rs::WINDOWS_1252.encode(&sv_text).0.into_owned();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(sv_text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut cp1252_ascii = b"id;kommun;omrade;pages;opened\n".to_vec();
    for l in sv_text.lines().skip(1) {
        cp1252_ascii.extend(encoding_rs::WINDOWS_1252.encode(l).0.iter());
        cp1252_ascii.push(b'\n');
    }
    let margin_5: Vec<String> = plan_args("IN/x.csv", &[])
        .into_iter()
        .map(|a| {
            if a == "--total" {
                "--margin".to_string()
            } else if a == "4" {
                "5".to_string()
            } else {
                a
            }
        })
        .collect();
    let mut latin1 = with(&[]);
    latin1.extend_from_slice(b"K9999;0180;\xe4ldre;10;2024-01-01\n");
    let mut big = rows(10);
    big.push(format!(
        "K9998;0180;aldre;{};2024-01-01",
        "9".repeat(10 << 20)
    ));
    let mut big_ok = rows(10);
    big_ok.push(format!("K9997;0180;{};12;2024-01-01", "x".repeat(10 << 20)));
    let crlf = String::from_utf8(good.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&good);
    let p = |s: &str| plan_args(s, &[]);
    // Dates that break the rules of a case's life: decided before opened, opened in the future.
    let mut dated = String::from("id;kommun;opened;decided;extracted\n");
    for i in 0..20 {
        dated.push_str(&format!(
            "D{i:03};{};2024-03-{:02};2024-05-01;2025-08-29\n",
            ["0180", "1480"][i % 2],
            1 + i
        ));
    }
    dated.push_str("D900;0180;2024-06-10;2024-06-01;2025-08-29\n");
    dated.push_str("D901;1480;2099-01-01;;2025-08-29\n");
    let dated = dated.into_bytes();
    let rules = |extra: &[&str]| {
        let mut a = plan_args("IN/x.csv", &[]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let spec_case = |spec: &str| -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("x.csv", good.clone()),
            ("spec.toml", spec.as_bytes().to_vec()),
        ]
    };
    let ind = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "indicators",
            "--extract",
            "IN/x.csv",
            "--key",
            "id",
            "--spec",
            "IN/spec.toml",
            "-o",
            "OUT/ind.csv",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // Two exports joined: the second's header (and byte-order mark) inside the file.
    let second: Vec<String> = rows(40)
        .iter()
        .map(|l| l.replacen("K00", "K10", 1))
        .collect();
    let mut bom_twice = b"\xEF\xBB\xBF".to_vec();
    bom_twice.extend_from_slice(&good);
    bom_twice.extend_from_slice(b"\xEF\xBB\xBF");
    bom_twice.extend_from_slice(&csv(&second));
    let cp1252_text = String::from_utf8(with(&["K9999;0180;äldre;10;2024-01-01"])).unwrap();
    let mut cp1252_bom_twice = encoding_rs::WINDOWS_1252
        .encode(&cp1252_text)
        .0
        .into_owned();
    cp1252_bom_twice.extend_from_slice(b"\xEF\xBB\xBF");
    cp1252_bom_twice.extend(
        encoding_rs::WINDOWS_1252
            .encode(&String::from_utf8(csv(&second)).unwrap())
            .0
            .iter(),
    );
    let quoted = |l: &str| -> String {
        l.split(';')
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut quoted_text = String::new();
    for l in std::iter::once(HEADER.to_string())
        .chain(rows(40))
        .chain([HEADER.to_string()])
        .chain(second.clone())
    {
        quoted_text.push_str(&quoted(&l));
        quoted_text.push('\n');
    }
    let cp1252_quoted_joined = encoding_rs::WINDOWS_1252
        .encode(&quoted_text)
        .0
        .into_owned();
    let utf16_bare = |be: bool| -> Vec<u8> {
        sv_text
            .encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    };
    let mut far = sheet(40);
    far.push_str(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
    let mut row_twice = sheet(40);
    row_twice = row_twice.replacen(
        r#"<row r="3">"#,
        &format!(
            r#"{}<row r="3">"#,
            sheet_row(2, "K9999;0180;aldre;10;2024-01-01")
        ),
        1,
    );
    let mut header_again = sheet(40);
    header_again.push_str(&sheet_row(42, HEADER));
    let nightly = "outputs = \"OUT/nightly\"\nextract = [\"IN/missing.parquet\"]\nkey = \"id\"\n[[step]]\ncommand = \"plan\"\nstrata = \"kommun\"\ntotal = 4\noutput = \"plan.json\"\n";
    vec![
        Case { name: "decided before opened (--check)", files: vec![("x.csv", dated.clone())], args: rules(&["--check", "decided IS NULL OR decided >= opened"]), expect: Expect::Quarantined(1) },
        Case { name: "opened in the future (--check)", files: vec![("x.csv", dated.clone())], args: rules(&["--check", "opened <= extracted"]), expect: Expect::Quarantined(1) },
        Case { name: "both date rules", files: vec![("x.csv", dated.clone())], args: rules(&["--check", "decided >= opened", "--check", "opened <= extracted"]), expect: Expect::Quarantined(2) },
        Case { name: "check that does not parse", files: vec![("x.csv", dated.clone())], args: rules(&["--check", "opened <="]), expect: Expect::Error("--check") },
        Case { name: "check naming an unknown column", files: vec![("x.csv", good.clone())], args: rules(&["--check", "closed >= opened"]), expect: Expect::Error("column \"closed\" not found") },
        Case { name: "read-only output location", files: vec![("x.csv", good.clone())], args: { let mut a = p("IN/x.csv"); let i = a.iter().position(|x| x == "-o").unwrap(); a[i + 1] = "/proc/plan.json".into(); a }, expect: Expect::Error("cannot write in /proc") },
        Case { name: "Parquet: a boolean column as the key", files: vec![("x.parquet", pq.clone())], args: plan_args("IN/x.parquet", &["--key", "child_heard", "--strata", "area"]), expect: Expect::Error("occur more than once") },
        Case { name: "indicator spec: syntax error", files: spec_case("[[indicator]]\nname = 'x'\nkind = 'share'\nexpr = 'pages >'"), args: ind(&[]), expect: Expect::Error("indicator \"x\": expr") },
        Case { name: "indicator spec: unknown column", files: spec_case("[[indicator]]\nname = 'late'\nkind = 'share'\nexpr = 'closed > opened'"), args: ind(&[]), expect: Expect::Error("indicator \"late\" reads column \"closed\"") },
        Case { name: "indicator spec: not TOML", files: spec_case("[[indicator"), args: ind(&[]), expect: Expect::Error("not a valid indicator spec") },
        Case { name: "indicators: by a column that is not there", files: spec_case("[[indicator]]\nname = 'n'\nkind = 'count'"), args: ind(&["--by", "kön"]), expect: Expect::Error("no column \"kön\"") },
        Case { name: "nightly file with a missing extract", files: vec![("nightly.toml", nightly.as_bytes().to_vec())], args: vec!["run".into(), "IN/nightly.toml".into()], expect: Expect::Error("missing.parquet") },
        Case { name: "nightly file that is not TOML", files: vec![("nightly.toml", b"outputs = ".to_vec())], args: vec!["run".into(), "IN/nightly.toml".into()], expect: Expect::Error("not a valid pipeline") },
        Case { name: "empty file", files: vec![("x.csv", Vec::new())], args: p("IN/x.csv"), expect: Expect::Error("empty") },
        Case { name: "header only", files: vec![("x.csv", format!("{HEADER}\n").into_bytes())], args: p("IN/x.csv"), expect: Expect::Error("no usable rows") },
        Case { name: "wrong field count", files: vec![("x.csv", with(&["K9999;0180;aldre"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "too many fields", files: vec![("x.csv", with(&["K9999;0180;aldre;1;2024-01-01;extra"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "unterminated quote", files: vec![("x.csv", with(&["K9999;\"0180;aldre;1;2024-01-01", "K9998;0180;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "two unbalanced quotes: the lines they enclose quarantined", files: vec![("x.csv", with(&["K9999;0180;\"aldre;1;2024-01-01", "K9998;0180;aldre;1;2024-01-01", "K9997;0180;aldre;\"1;2024-01-01", "K9996;0180;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(3) },
        Case { name: "byte-order mark", files: vec![("x.csv", bom)], args: p("IN/x.csv"), expect: Expect::Quarantined(0) },
        Case { name: "CRLF line ends", files: vec![("x.csv", crlf)], args: p("IN/x.csv"), expect: Expect::Quarantined(0) },
        Case { name: "Latin-1 bytes", files: vec![("x.csv", latin1)], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(1) },
        Case { name: "10 MB field in an unused column", files: vec![("x.csv", csv(&big_ok))], args: p("IN/x.csv"), expect: Expect::Quarantined(0) },
        Case { name: "10 MB pages value", files: vec![("x.csv", csv(&big))], args: plan_args("IN/x.csv", &["--pages-column", "pages"]), expect: Expect::Quarantined(0) },
        Case { name: "null key", files: vec![("x.csv", with(&[";0180;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "null stratum", files: vec![("x.csv", with(&["K9999;;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "blank key", files: vec![("x.csv", with(&["\"\";0180;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "duplicate keys", files: vec![("x.csv", with(&["K0001;0180;aldre;1;2024-01-01"]))], args: p("IN/x.csv"), expect: Expect::Error("occur more than once") },
        Case { name: "negative pages", files: vec![("x.csv", with(&["K9999;0180;aldre;-5;2024-01-01"]))], args: plan_args("IN/x.csv", &["--pages-column", "pages"]), expect: Expect::Quarantined(1) },
        Case { name: "pages with a decimal comma", files: vec![("x.csv", with(&["K9999;0180;aldre;2,5;2024-01-01"]))], args: plan_args("IN/x.csv", &["--pages-column", "pages"]), expect: Expect::Quarantined(0) },
        Case { name: "negative pages with a decimal comma", files: vec![("x.csv", with(&["K9999;0180;aldre;-2,5;2024-01-01"]))], args: plan_args("IN/x.csv", &["--pages-column", "pages"]), expect: Expect::Quarantined(1) },
        Case { name: "pages not a number", files: vec![("x.csv", with(&["K9999;0180;aldre;many;2024-01-01"]))], args: plan_args("IN/x.csv", &["--pages-column", "pages"]), expect: Expect::Quarantined(1) },
        Case { name: "date that does not parse", files: vec![("x.csv", with(&["K9999;0180;aldre;1;2024-13-45"]))], args: plan_args("IN/x.csv", &["--where", "opened >= DATE '2024-01-01'"]), expect: Expect::Quarantined(1) },
        Case { name: "missing key column", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--key", "ärende_id"]), expect: Expect::Error("column \"ärende_id\" not found; columns present: id, kommun, område, pages, opened") },
        Case { name: "missing strata column", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--strata", "kommun,län"]), expect: Expect::Error("column \"län\" not found") },
        Case { name: "wrong delimiter given", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--delimiter", ","]), expect: Expect::Error("not found") },
        Case { name: "where: syntax error", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--where", "kommun = = 1"]), expect: Expect::Error("--where") },
        Case { name: "where: unknown column", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--where", "kön = 'man'"]), expect: Expect::Error("column \"kön\" not found") },
        Case { name: "truncated Parquet", files: vec![("x.parquet", pq[..pq.len() / 2].to_vec())], args: plan_args("IN/x.parquet", &["--key", "case_id", "--strata", "area"]), expect: Expect::Error("not a readable Parquet file") },
        Case { name: "CSV named .parquet", files: vec![("x.parquet", good.clone())], args: p("IN/x.parquet"), expect: Expect::Error("not a readable Parquet file") },
        Case { name: "Parquet missing column", files: vec![("x.parquet", pq.clone())], args: plan_args("IN/x.parquet", &["--key", "ärende", "--strata", "area"]), expect: Expect::Error("column \"ärende\" not found; columns present: case_id") },
        Case { name: "unknown file type", files: vec![("x.docx", good.clone())], args: p("IN/x.docx"), expect: Expect::Error("unknown file type") },
        Case { name: "output over the extract", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["-o", "IN/x.csv"]), expect: Expect::Error("that is an input") },
        Case { name: "a CSV named .xlsx", files: vec![("x.xlsx", good.clone())], args: p("IN/x.xlsx"), expect: Expect::Error("cannot read the workbook") },
        Case { name: "Windows-1252 with a Swedish header", files: vec![("x.csv", cp1252_sv.clone())], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(0) },
        Case { name: "Windows-1252 with an ASCII header", files: vec![("x.csv", cp1252_ascii.clone())], args: plan_args("IN/x.csv", &["--strata", "kommun,omrade"]), expect: Expect::Quarantined(0) },
        Case { name: "Windows-1252 forced to UTF-8", files: vec![("x.csv", cp1252_sv.clone())], args: plan_args("IN/x.csv", &["--encoding", "utf-8"]), expect: Expect::Error("--encoding windows-1252") },
        Case { name: "UTF-16 with a byte-order mark", files: vec![("x.csv", utf16.clone())], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(0) },
        Case { name: "unknown encoding", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--encoding", "ebcdic"]), expect: Expect::Error("unknown encoding \"ebcdic\"") },
        Case { name: "a margin of 5 without %", files: vec![("x.csv", good.clone())], args: margin_5.clone(), expect: Expect::Error("did you mean 5 % (0.05)?") },
        Case { name: "file that does not exist", files: vec![], args: p("IN/nope.csv"), expect: Expect::Error("no such file") },
        Case { name: "glob matching nothing", files: vec![], args: p("IN/*.parquet"), expect: Expect::Error("no input files match") },
        Case { name: "directory with a file of unknown type", files: vec![("notes.md", b"x".to_vec()), ("x.csv", good.clone())], args: p("IN"), expect: Expect::Error("notes.md: unknown file type") },
        Case { name: "directory without extracts, unknown types skipped", files: vec![("notes.md", b"x".to_vec()), ("x.csv.gz", b"x".to_vec())], args: plan_args("IN", &["--skip-unknown"]), expect: Expect::Error("no input files match") },
        Case { name: "directory with a gzipped part, skipped", files: vec![("x.csv", good.clone()), ("y.csv.gz", b"x".to_vec()), (".hidden.csv", good.clone())], args: plan_args("IN", &["--skip-unknown"]), expect: Expect::Quarantined(0) },
        Case { name: "output directory does not exist", files: vec![("x.csv", good.clone())], args: { let mut a = p("IN/x.csv"); let i = a.iter().position(|x| x == "-o").unwrap(); a[i + 1] = "OUT/missing/plan.json".into(); a }, expect: Expect::Error("does not exist") },
        Case { name: "spreadsheet: one value at XFD1048576", files: vec![("x.xlsx", xlsx("A1:XFD1048576", &far))], args: p("IN/x.xlsx"), expect: Expect::Error("sheet \"Blad1\": cell XFD1048576 lies right of the header's last column (E)") },
        Case { name: "spreadsheet: a dimension far beyond its cells", files: vec![("x.xlsx", xlsx("A1:XFD1048576", &sheet(40)))], args: p("IN/x.xlsx"), expect: Expect::SheetQuarantined(0, 40) },
        Case { name: "spreadsheet: row 2 written twice", files: vec![("x.xlsx", xlsx("A1:E41", &row_twice))], args: p("IN/x.xlsx"), expect: Expect::Error("sheet \"Blad1\": row 2 is in the file twice") },
        Case { name: "spreadsheet: the header row again", files: vec![("x.xlsx", xlsx("A1:E42", &header_again))], args: p("IN/x.xlsx"), expect: Expect::SheetQuarantined(1, 41) },
        Case { name: "a repeated header line (two exports joined)", files: vec![("x.csv", with(&[HEADER]))], args: p("IN/x.csv"), expect: Expect::Quarantined(1) },
        Case { name: "Windows-1252, quoted, comma: a repeated header line", files: vec![("x.csv", cp1252_quoted_joined)], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(1) },
        Case { name: "a byte-order mark inside the file", files: vec![("x.csv", bom_twice)], args: p("IN/x.csv"), expect: Expect::Error("line 42: a byte-order mark inside the file (two exports joined?); remove it or split the file") },
        Case { name: "Windows-1252: a byte-order mark inside the file", files: vec![("x.csv", cp1252_bom_twice)], args: p("IN/x.csv"), expect: Expect::Error("line 43: a byte-order mark inside the file (two exports joined?); remove it or split the file") },
        Case { name: "UTF-16 little-endian without a byte-order mark", files: vec![("x.csv", utf16_bare(false))], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(0) },
        Case { name: "UTF-16 big-endian without a byte-order mark", files: vec![("x.csv", utf16_bare(true))], args: plan_args("IN/x.csv", &["--strata", "kommun,område"]), expect: Expect::Quarantined(0) },
        Case { name: "UTF-16 without a byte-order mark, read as UTF-8", files: vec![("x.csv", utf16_bare(false))], args: plan_args("IN/x.csv", &["--encoding", "utf-8"]), expect: Expect::Error("looks like UTF-16 little-endian without a byte-order mark") },
        Case { name: "strata column that is a key of personnummer", files: vec![("x.csv", good.clone())], args: plan_args("IN/x.csv", &["--strata", "id", "--allocation", "equal"]), expect: Expect::Error("are personal identity numbers") },
    ]
}

fn resolve(args: &[String], input: &Path, out: &Path) -> Vec<String> {
    args.iter()
        .map(|a| {
            a.replace("IN", input.to_str().unwrap())
                .replace("OUT", out.to_str().unwrap())
        })
        .collect()
}

#[test]
fn the_bad_input_corpus() {
    let root = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut with_keys = 0;
    for (i, case) in cases(root.path()).into_iter().enumerate() {
        let input: PathBuf = root.path().join(format!("case{i:02}"));
        let out = input.join("out");
        std::fs::create_dir_all(&out).unwrap();
        // Every key is a personnummer (K0001 → a valid number), so that every output
        // can be searched for them below.
        let mut numbers: Vec<String> = Vec::new();
        for (name, bytes) in &case.files {
            let (bytes, used) = common::personal_keys(bytes);
            numbers.extend(used);
            std::fs::write(input.join(name), bytes).unwrap();
        }
        let mut args = resolve(&case.args, &input, &out);
        if matches!(
            case.expect,
            Expect::Quarantined(_) | Expect::SheetQuarantined(..)
        ) && args[0] == "plan"
        {
            // The rows must reconcile whatever the share quarantined; the default threshold
            // (1 %) is checked separately below.
            args.extend(["--max-quarantine".to_string(), "100%".to_string()]);
        }
        let o = urval().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            !stderr.contains("panicked"),
            "{}: panic: {stderr}",
            case.name
        );
        match case.expect {
            Expect::Error(text) => {
                assert_eq!(o.status.code(), Some(2), "{}: {stdout}{stderr}", case.name);
                assert_eq!(
                    stderr.trim_end().lines().count(),
                    1,
                    "{}: {stderr}",
                    case.name
                );
                assert!(
                    stderr.contains(text),
                    "{}: expected {text:?} in {stderr}",
                    case.name
                );
                assert!(
                    !out.join("plan.json").exists(),
                    "{}: an output was written",
                    case.name
                );
            }
            Expect::Quarantined(n) | Expect::SheetQuarantined(n, _) => {
                assert_eq!(o.status.code(), Some(0), "{}: {stderr}", case.name);
                let plan: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap())
                        .unwrap();
                let (read, used, excl, quar) = (
                    plan["rows_read"].as_u64().unwrap(),
                    plan["rows_used"].as_u64().unwrap(),
                    plan["rows_excluded"].as_u64().unwrap(),
                    plan["rows_quarantined"].as_u64().unwrap(),
                );
                assert_eq!(quar, n, "{}: quarantined", case.name);
                assert_eq!(
                    read,
                    used + excl + quar,
                    "{}: rows do not reconcile",
                    case.name
                );
                let data_lines = if let Expect::SheetQuarantined(_, read) = case.expect {
                    read
                } else {
                    case.files
                        .iter()
                        // Files a directory extract leaves out (hidden, unknown type) hold no rows.
                        .filter(|(name, _)| !name.starts_with('.') && !name.ends_with(".gz"))
                        .map(|(_, b)| b.iter().filter(|&&c| c == b'\n').count() as u64 - 1)
                        .sum::<u64>()
                };
                assert_eq!(read, data_lines, "{}: a row was lost", case.name);
                // Under the default --max-quarantine (1 %), a plan with more quarantined
                // rows than that is not written: exit 2, the reasons named, the rows still
                // in the quarantine file.
                if args[0] == "plan" && quar * 100 > read {
                    std::fs::remove_file(out.join("plan.json")).unwrap();
                    let o = urval().args(&args[..args.len() - 2]).output().unwrap();
                    let stderr = String::from_utf8_lossy(&o.stderr);
                    assert_eq!(o.status.code(), Some(2), "{}: {stderr}", case.name);
                    assert!(
                        stderr.contains("more than --max-quarantine 1 %: nothing written"),
                        "{}: {stderr}",
                        case.name
                    );
                    assert!(!out.join("plan.json").exists(), "{}", case.name);
                    assert!(out.join("plan.quarantine.csv").exists(), "{}", case.name);
                }
                let q = out.join("plan.quarantine.csv");
                assert_eq!(q.exists(), n > 0, "{}: quarantine file", case.name);
                assert!(stdout.contains("rows read"), "{}", case.name);
            }
        }
        // No personnummer in stdout, stderr, the log at trace level, or any output file.
        let loud = urval()
            .args(&args)
            .arg("-vv")
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let mut places = vec![
            ("stdout".to_string(), stdout.into_owned()),
            ("stderr".to_string(), stderr.into_owned()),
            (
                "log".to_string(),
                String::from_utf8_lossy(&loud.stderr).into_owned(),
            ),
        ];
        for e in std::fs::read_dir(&out).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                places.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                ));
            }
        }
        let needles = common::forms(&numbers);
        for (place, text) in &places {
            if let Some(n) = needles.iter().find(|n| text.contains(n.as_str())) {
                panic!("{}: personnummer {n} in {place}", case.name);
            }
        }
        if case.files.iter().any(|(n, _)| n.ends_with(".csv")) && !case.name.contains("UTF-16") {
            with_keys += usize::from(!numbers.is_empty());
        }
        checked += 1;
    }
    assert!(checked >= 44, "{checked} cases");
    assert!(
        with_keys >= 30,
        "only {with_keys} cases had personnummer keys"
    );
}

#[test]
fn draw_and_verify_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x = d.join("x.csv");
    std::fs::write(&x, csv(&rows(40))).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let plan = d.join("plan.json");
    urval()
        .args([
            "plan",
            "--extract",
            &s(&x),
            "--key",
            "id",
            "--strata",
            "kommun",
            "--total",
            "6",
            "-o",
            &s(&plan),
        ])
        .assert()
        .success();
    let run = |args: Vec<String>| urval().args(&args).output().unwrap();
    let err = |args: Vec<String>, text: &str| {
        let o = run(args);
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(text), "expected {text:?} in {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    };
    let draw = |plan: &Path, extra: &[&str]| -> Vec<String> {
        let mut v = vec![
            "draw".to_string(),
            "--extract".into(),
            s(&x),
            "--plan".into(),
            s(plan),
            "--seed".into(),
            "1".into(),
            "-o".into(),
            s(&d.join("m.csv")),
        ];
        v.extend(extra.iter().map(|a| a.to_string()));
        v
    };
    // A plan that is not JSON, of another version, with n > N_h, for another extract.
    let bad = d.join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    err(draw(&bad, &[]), "not a urval plan");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let mut v99 = v.clone();
    v99["version"] = 99.into();
    std::fs::write(&bad, v99.to_string()).unwrap();
    err(draw(&bad, &[]), "version 99");
    v["strata"][0]["n"] = 1000.into();
    std::fs::write(&bad, v.to_string()).unwrap();
    err(draw(&bad, &[]), "asks for n = 1000");
    let other = d.join("other.csv");
    std::fs::write(&other, csv(&rows(38))).unwrap();
    let mut a = draw(&plan, &[]);
    a[2] = s(&other);
    err(a, "the extract changed since the plan");
    // Flags that name what is not there.
    err(
        draw(&plan, &["--only", "kommun=9999"]),
        "no stratum of the plan has kommun=9999",
    );
    err(draw(&plan, &["--only", "län=01"]), "is not a strata column");
    err(
        draw(&plan, &["--include", "kön"]),
        "column \"kön\" not found",
    );
    err(
        draw(&plan, &["--split-by", "kommun", "--out-dir", &s(&plan)]),
        "cannot create the --out-dir directory",
    );
    // A manifest with an unknown key: verify exits 1 naming it.
    urval().args(draw(&plan, &[])).assert().success();
    let m = std::fs::read_to_string(d.join("m.csv")).unwrap();
    let mut lines: Vec<String> = m.lines().map(String::from).collect();
    lines[1] = lines[1].replacen('K', "Z", 1);
    std::fs::write(d.join("m.csv"), lines.join("\n") + "\n").unwrap();
    let o = run(vec![
        "verify".into(),
        "--extract".into(),
        s(&x),
        "--plan".into(),
        s(&plan),
        "--manifest".into(),
        s(&d.join("m.csv")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("in the manifest but not drawn"));
}
