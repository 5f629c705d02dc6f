//! Files that are two exports joined, and text that says nothing of its encoding: a line
//! repeating the header is quarantined with its reason (CSV in UTF-8 and Windows-1252, any
//! delimiter, quoted or not, in every range size; a spreadsheet row likewise); a byte-order
//! mark at a line inside the file stops the scan naming the line; UTF-16 without a
//! byte-order mark is read as UTF-16. Spreadsheets are read as the cells they hold: a
//! sheet whose extent is huge reads (or fails) at once, and a row written twice in the
//! sheet is an error naming it, never a record lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use urval_ingest::{
    EncodingChoice, Extract, ScanSpec, TextEncoding, REPEATED_HEADER_LINE, REPEATED_HEADER_ROW,
};

/// An `id;area;note` file of `n` rows with delimiter `d`, every field quoted when `quoted`.
fn rows(n: usize, d: char, quoted: bool, from: usize) -> String {
    let q = |s: String| if quoted { format!("\"{s}\"") } else { s };
    (from..from + n)
        .map(|i| {
            format!(
                "{}{d}{}{d}{}\n",
                q(format!("K{i}")),
                q(["äldre", "barn"][i % 2].to_string()),
                q(format!("note {i}"))
            )
        })
        .collect()
}

fn header(d: char, quoted: bool) -> String {
    if quoted {
        format!("\"id\"{d}\"area\"{d}\"note\"\n")
    } else {
        format!("id{d}area{d}note\n")
    }
}

fn scan_file(path: &Path, chunk: u64, line_reader: bool) -> urval_ingest::Result<support::Scanned> {
    // A tab is given; `;` and `,` are told from the header.
    let tab = std::fs::read(path)
        .ok()
        .filter(|b| b.contains(&b'\t'))
        .map(|_| b'\t');
    let extract = Extract::resolve(&[path.display().to_string()], tab)?;
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.extra = vec!["note".to_string()];
    spec.csv_chunk_bytes = chunk;
    spec.csv_line_reader = line_reader;
    spec.batch_size = 7;
    support::try_scan_rows(&extract, &spec)
}

#[test]
fn a_repeated_header_line_is_quarantined_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    for d in [';', ',', '\t'] {
        for quoted in [false, true] {
            for cp1252 in [false, true] {
                // Two exports joined: the second's header is line 302.
                let text = format!(
                    "{}{}{}{}",
                    header(d, quoted),
                    rows(300, d, quoted, 0),
                    header(d, quoted),
                    rows(300, d, quoted, 300)
                );
                let bytes = if cp1252 {
                    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
                } else {
                    text.into_bytes()
                };
                let path = dir.path().join("joined.csv");
                std::fs::write(&path, &bytes).unwrap();
                for chunk in [0, 997, 4096] {
                    for line_reader in [true, false] {
                        let what = format!("{d:?} quoted {quoted} cp1252 {cp1252} chunk {chunk} lines {line_reader}");
                        let (rows, q, counts) = scan_file(&path, chunk, line_reader).unwrap();
                        assert_eq!(rows.len(), 600, "{what}");
                        assert_eq!(counts.rows_read, 601, "{what}");
                        assert_eq!(counts.rows_quarantined, 1, "{what}");
                        assert_eq!(q.len(), 1, "{what}");
                        assert_eq!(q[0].0, 302, "{what}");
                        assert_eq!(q[0].1, REPEATED_HEADER_LINE, "{what}");
                        assert!(!rows.iter().any(|r| r.1 == "id"), "{what}");
                    }
                }
            }
        }
    }
    // A line that only starts like the header is a record.
    let path = dir.path().join("like.csv");
    std::fs::write(&path, "id;area;note\nid;barn;x\nK1;barn;y\n").unwrap();
    let (rows, q, _) = scan_file(&path, 0, true).unwrap();
    assert_eq!((rows.len(), q.len()), (2, 0));
}

#[test]
fn a_byte_order_mark_inside_the_file_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for cp1252 in [false, true] {
        let mut first = b"\xEF\xBB\xBF".to_vec();
        let mut second = b"\xEF\xBB\xBF".to_vec();
        let (a, b) = (
            format!("{}{}", header(';', false), rows(300, ';', false, 0)),
            format!("{}{}", header(';', false), rows(300, ';', false, 300)),
        );
        if cp1252 {
            // Windows-1252 exports: the file as a whole is not UTF-8 (its ä), so the
            // second mark reads as "ï»¿"; the first file has none.
            first.clear();
            first.extend(encoding_rs::WINDOWS_1252.encode(&a).0.iter());
            second.extend(encoding_rs::WINDOWS_1252.encode(&b).0.iter());
        } else {
            first.extend_from_slice(a.as_bytes());
            second.extend_from_slice(b.as_bytes());
        }
        first.extend_from_slice(&second);
        let path = dir.path().join("joined.csv");
        std::fs::write(&path, &first).unwrap();
        for chunk in [0, 997, 4096] {
            for line_reader in [true, false] {
                let e = scan_file(&path, chunk, line_reader)
                    .unwrap_err()
                    .to_string();
                assert_eq!(
                    e,
                    format!("{} line 302: a byte-order mark inside the file (two exports joined?); remove it or split the file", path.display()),
                    "cp1252 {cp1252} chunk {chunk}"
                );
            }
        }
    }
    // At the start of the file it is the mark of the file's encoding.
    let path = dir.path().join("one.csv");
    std::fs::write(
        &path,
        format!("\u{feff}{}{}", header(';', false), rows(10, ';', false, 0)),
    )
    .unwrap();
    assert_eq!(scan_file(&path, 0, true).unwrap().0.len(), 10);
}

#[test]
fn utf16_without_a_byte_order_mark_is_read_as_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{}", header(';', false), rows(50, ';', false, 0));
    let utf8 = dir.path().join("utf8.csv");
    std::fs::write(&utf8, &text).unwrap();
    let (want, _, _) = scan_file(&utf8, 0, true).unwrap();
    for (be, name) in [
        (false, TextEncoding::Utf16Le),
        (true, TextEncoding::Utf16Be),
    ] {
        let bytes: Vec<u8> = text
            .encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect();
        let path = dir.path().join("utf16.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            urval_ingest::encoding::detect(&path, EncodingChoice::Auto).unwrap(),
            name
        );
        assert_eq!(
            urval_ingest::encoding::detect(&path, EncodingChoice::Utf16).unwrap(),
            name
        );
        let (rows, q, _) = scan_file(&path, 0, true).unwrap();
        assert_eq!(rows, want, "{name:?}");
        assert!(q.is_empty());
        // Another encoding given would read garbage: an error naming the encoding.
        let e = Extract::resolve_with(&[path.display().to_string()], None, EncodingChoice::Utf8)
            .unwrap_err()
            .to_string();
        assert!(e.contains("looks like UTF-16"), "{e}");
        assert!(e.contains("--encoding utf-8 was given"), "{e}");
    }
    // Text without NUL bytes is never taken for UTF-16.
    assert_eq!(
        urval_ingest::encoding::utf16_without_bom(b"id;area;note\n"),
        None
    );
    assert_eq!(urval_ingest::encoding::utf16_without_bom(b"i\0"), None);
}

/// A one-sheet workbook ("Blad1") whose sheet XML has `dimension` and `rows` (the inside of
/// `<sheetData>`), written with `zip` as Excel lays it out.
pub fn xlsx(path: &Path, dimension: &str, rows: &str) -> PathBuf {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default();
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#)),
    ];
    for (name, text) in parts {
        z.start_file(name, o).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    path.to_path_buf()
}

/// A sheet row `r` of text cells from column A.
fn row(r: u32, cells: &[&str]) -> String {
    let mut s = format!(r#"<row r="{r}">"#);
    for (j, v) in cells.iter().enumerate() {
        let col = urval_ingest::excel::column_letters(j);
        s.push_str(&format!(
            r#"<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#
        ));
    }
    s.push_str("</row>");
    s
}

/// The header and `n` records from row 2.
fn sheet_rows(n: u32) -> String {
    let mut s = row(1, &["id", "area", "note"]);
    for i in 0..n {
        s.push_str(&row(
            i + 2,
            &[&format!("K{i}"), ["äldre", "barn"][i as usize % 2], "x"],
        ));
    }
    s
}

fn scan_sheet(path: &Path) -> urval_ingest::Result<support::Scanned> {
    let extract = Extract::resolve(&[path.display().to_string()], None)?;
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.extra = vec!["note".to_string()];
    support::try_scan_rows(&extract, &spec)
}

#[test]
fn a_huge_sheet_extent_reads_as_its_cells() {
    let dir = tempfile::tempdir().unwrap();
    // The dimension claims the whole sheet; the cells are 300 records.
    let p = xlsx(
        &dir.path().join("dim.xlsx"),
        "A1:XFD1048576",
        &sheet_rows(300),
    );
    let (rows, q, counts) = scan_sheet(&p).unwrap();
    assert_eq!((rows.len(), q.len(), counts.rows_read), (300, 0, 300));
    assert_eq!(rows[299].0, 301);
    // One value at XFD1048576: read at once (not 17 billion cells), and an error that
    // names the cell.
    let mut far = sheet_rows(300);
    far.push_str(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
    let p = xlsx(&dir.path().join("far.xlsx"), "A1:XFD1048576", &far);
    let (_, cells) = urval_ingest::excel::open_sheet(&p, None).unwrap();
    assert_eq!(cells.cells.len(), 301 * 3 + 1);
    assert_eq!((cells.first_col, cells.last_col), (0, 16_383));
    let e = scan_sheet(&p).unwrap_err().to_string();
    assert!(
        e.ends_with("sheet \"Blad1\": cell XFD1048576 lies right of the header's last column (C): delete what lies right of the header, or give its column a name in the first row"),
        "{e}"
    );
    // Past a spreadsheet's last column: an error, not a range.
    let mut past = sheet_rows(3);
    past.push_str(r#"<row r="9"><c r="XFE9"><v>1</v></c></row>"#);
    let p = xlsx(&dir.path().join("past.xlsx"), "A1:C4", &past);
    let e = scan_sheet(&p).unwrap_err().to_string();
    assert!(
        e.contains("lies outside a spreadsheet's 1,048,576 rows and 16,384 columns"),
        "{e}"
    );
}

#[test]
fn a_row_written_twice_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // Two <row r="2">: calamine's range would keep the second only.
    let mut twice = row(1, &["id", "area", "note"]);
    twice.push_str(&row(2, &["K0", "barn", "x"]));
    twice.push_str(&row(2, &["K1", "barn", "y"]));
    twice.push_str(&row(3, &["K2", "barn", "z"]));
    let p = xlsx(&dir.path().join("twice.xlsx"), "A1:C3", &twice);
    let e = scan_sheet(&p).unwrap_err().to_string();
    assert!(
        e.contains("sheet \"Blad1\": row 2 is in the file twice (cell A2 comes again after C2)"),
        "{e}"
    );
    // Rows out of order, with different columns: no position clash, still refused.
    let mut back = row(1, &["id", "area", "note"]);
    back.push_str(&row(3, &["K2", "barn", "z"]));
    back.push_str(&row(2, &["K0", "barn", "x"]));
    let p = xlsx(&dir.path().join("back.xlsx"), "A1:C3", &back);
    let e = scan_sheet(&p).unwrap_err().to_string();
    assert!(
        e.contains("sheet \"Blad1\": row 2 comes after row 3"),
        "{e}"
    );
}

#[test]
fn a_repeated_header_row_is_quarantined_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sheet_rows(5);
    s.push_str(&row(7, &["id", " area", "note"]));
    s.push_str(&row(8, &["K9", "barn", "x"]));
    let p = xlsx(&dir.path().join("twice.xlsx"), "A1:C8", &s);
    let (rows, q, counts) = scan_sheet(&p).unwrap();
    assert_eq!((rows.len(), counts.rows_read), (6, 7));
    assert_eq!(
        q,
        vec![(
            7,
            REPEATED_HEADER_ROW.to_string(),
            "id; area;note".to_string()
        )]
    );
}
