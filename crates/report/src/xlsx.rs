//! Spreadsheets a person opens (`-o FILE.xlsx`): one data sheet with typed columns and an
//! "about" sheet of key–value lines, written with `rust_xlsxwriter`.
//!
//! Text columns (keys, municipality codes, free text) are written as text with the text
//! format `@`, so Excel keeps `0214` as `0214`; whole numbers and decimals as numbers;
//! shares as numbers formatted as percentages (`0.0 %`), so they sort and sum; dates as
//! Excel dates (`yyyy-mm-dd`). The header row is bold and frozen, with an autofilter, and
//! columns are as wide as their content (capped). Our own code is only this mapping.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// How a column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text (the `@` format: leading zeros kept).
    Text,
    /// A number (whole numbers without decimals).
    Number,
    /// A share in [0, 1], shown as a percentage with one decimal.
    Percent,
    /// A date `YYYY-MM-DD` (text that is not a date is written as text).
    Date,
}

/// A column: its header and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header.
    pub header: String,
    /// How its cells are written.
    pub kind: ColumnKind,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (a date column parses `YYYY-MM-DD`).
    Text(String),
    /// A number.
    Number(f64),
    /// A share shown as a percentage, whatever the column's kind (a column of estimates
    /// holds shares and means).
    Percent(f64),
}

/// A sheet of rows under typed columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (at most 31 characters, no `[]:*?/\`).
    pub name: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XlsxWriteError {
    /// The writer refused (too many rows for one sheet, a bad sheet name…).
    #[error("cannot write the spreadsheet: {0}")]
    Writer(#[from] XlsxError),
}

/// The cell formats of every sheet.
struct Formats {
    header: Format,
    text: Format,
    percent: Format,
    date: Format,
    whole: Format,
    decimal: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new().set_bold(),
            text: Format::new().set_num_format("@"),
            percent: Format::new().set_num_format("0.0 %"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            whole: Format::new().set_num_format("#,##0"),
            decimal: Format::new().set_num_format("#,##0.0##"),
        }
    }
}

fn add_sheet(wb: &mut Workbook, data: &Sheet, f: &Formats) -> Result<(), XlsxWriteError> {
    let ws = wb.add_worksheet();
    ws.set_name(&data.name)?;
    let mut widths: Vec<usize> = data
        .columns
        .iter()
        .map(|c| c.header.chars().count())
        .collect();
    for (j, c) in data.columns.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, &c.header, &f.header)?;
    }
    for (i, row) in data.rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (j, (cell, col)) in row.iter().zip(&data.columns).enumerate() {
            let c = j as u16;
            let shown = match (cell, col.kind) {
                (Cell::Empty, _) => 0,
                (Cell::Number(v), ColumnKind::Percent) | (Cell::Percent(v), _) => {
                    ws.write_number_with_format(r, c, *v, &f.percent)?;
                    7
                }
                (Cell::Number(v), _) => {
                    let fm = if v.fract() == 0.0 {
                        &f.whole
                    } else {
                        &f.decimal
                    };
                    ws.write_number_with_format(r, c, *v, fm)?;
                    format!("{v}").len() + 2
                }
                (Cell::Text(s), ColumnKind::Date) => match ExcelDateTime::parse_from_str(s) {
                    Ok(d) => {
                        ws.write_datetime_with_format(r, c, &d, &f.date)?;
                        10
                    }
                    Err(_) => {
                        ws.write_string_with_format(r, c, s, &f.text)?;
                        s.chars().count()
                    }
                },
                (Cell::Text(s), _) => {
                    ws.write_string_with_format(r, c, s, &f.text)?;
                    s.chars().count()
                }
            };
            widths[j] = widths[j].max(shown);
        }
    }
    for (j, w) in widths.iter().enumerate() {
        ws.set_column_width(j as u16, (*w as f64 + 2.0).clamp(6.0, 60.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !data.columns.is_empty() {
        ws.autofilter(0, 0, data.rows.len() as u32, data.columns.len() as u16 - 1)?;
    }
    Ok(())
}

/// The workbook's bytes: `data` first, then the `about` sheet (name, lines of key and
/// value), if any.
///
/// # Errors
/// [`XlsxWriteError`] when the writer refuses (more than 1,048,575 rows, a bad sheet name).
pub fn workbook(
    data: &Sheet,
    about: Option<(&str, &[(String, String)])>,
) -> Result<Vec<u8>, XlsxWriteError> {
    workbook_carrying(data, about, None)
}

/// The most characters [`workbook_carrying`] puts in one cell (a cell holds 32,767).
pub const CARRIED_CELL_CHARS: usize = 30_000;

/// A workbook whose bytes depend on its cells only: Excel records the time a workbook was
/// made in its document properties, so every workbook urval writes says 1980-01-01 00:00
/// UTC (the zip format's own epoch), and the same draw gives the same file, hash and
/// sidecar on any day. When a file was made is in its sidecar and the plan.
fn new_workbook() -> Result<Workbook, XlsxWriteError> {
    let epoch = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 1, 1)?;
    let mut wb = Workbook::new();
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&epoch));
    Ok(wb)
}

/// [`workbook`] with texts a program reads back carried inside it, in a hidden sheet of
/// the given name after the others: one row per text, its name in column A and the text in
/// the cells after it, cut into pieces of at most [`CARRIED_CELL_CHARS`] characters (read
/// back whole by joining a row's cells after the first).
///
/// # Errors
/// As [`workbook`].
pub fn workbook_carrying(
    data: &Sheet,
    about: Option<(&str, &[(String, String)])>,
    carried: Option<(&str, &[(String, String)])>,
) -> Result<Vec<u8>, XlsxWriteError> {
    let mut wb = new_workbook()?;
    let f = Formats::new();
    add_sheet(&mut wb, data, &f)?;
    if let Some((name, lines)) = about {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        let mut w = 10;
        for (i, (k, v)) in lines.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, k, &f.header)?;
            ws.write_string_with_format(i as u32, 1, v, &f.text)?;
            w = w.max(k.chars().count());
        }
        ws.set_column_width(0, (w as f64 + 2.0).min(40.0))?;
        ws.set_column_width(1, 100)?;
    }
    if let Some((name, texts)) = carried {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        ws.set_hidden(true);
        for (i, (k, text)) in texts.iter().enumerate() {
            let r = i as u32;
            ws.write_string(r, 0, k)?;
            let chars: Vec<char> = text.chars().collect();
            for (j, piece) in chars.chunks(CARRIED_CELL_CHARS).enumerate() {
                let piece: String = piece.iter().collect();
                let col = u16::try_from(j + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
                ws.write_string(r, col, &piece)?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// A review template: the data sheet with its locked columns (the key, strata, copied
/// columns) and the columns a reviewer fills in — `answers` with a drop-down of `allowed`
/// (anything else is refused by Excel with `error`), `free` as free text — then the
/// instructions sheet. The data sheet is protected without a password (locked cells cannot
/// be changed by mistake; sorting and filtering stay allowed).
///
/// # Errors
/// As [`workbook`]; an answer list longer than Excel's 255 characters.
pub fn review_workbook(
    data: &Sheet,
    answers: &[usize],
    allowed: &[&str],
    free: &[usize],
    error: (&str, &str),
    instructions: (&str, &[(String, String)]),
) -> Result<Vec<u8>, XlsxWriteError> {
    use rust_xlsxwriter::{DataValidation, ProtectionOptions};
    let mut wb = new_workbook()?;
    let f = Formats::new();
    add_sheet(&mut wb, data, &f)?;
    let ws = wb.worksheet_from_index(0)?;
    let open = Format::new().set_unlocked().set_num_format("@");
    // An answer set already (the record is outside the question's population): locked and
    // grey, so that it is read as set, not as a question left open.
    let preset = Format::new()
        .set_num_format("@")
        .set_background_color(rust_xlsxwriter::Color::RGB(0x00E0_E0E0))
        .set_font_color(rust_xlsxwriter::Color::RGB(0x0055_5555));
    let last = data.rows.len().max(1) as u32;
    for &c in answers.iter().chain(free) {
        ws.set_column_format(c as u16, &open)?;
        // Each cell too: a program that writes a value into a cell without a format of its
        // own (LibreOffice, openpyxl) would otherwise lock it.
        for r in 1..=data.rows.len() as u32 {
            match data.rows[r as usize - 1].get(c) {
                Some(Cell::Text(v)) if answers.contains(&c) => {
                    ws.write_string_with_format(r, c as u16, v, &preset)?;
                }
                _ => {
                    ws.write_blank(r, c as u16, &open)?;
                }
            }
        }
        ws.set_column_width(
            c as u16,
            (data.columns[c].header.chars().count() as f64 + 4.0).clamp(14.0, 40.0),
        )?;
    }
    let list = DataValidation::new()
        .allow_list_strings(allowed)?
        .set_error_title(error.0)?
        .set_error_message(error.1)?;
    for &c in answers {
        ws.add_data_validation(1, c as u16, last, c as u16, &list)?;
    }
    let options = ProtectionOptions {
        sort: true,
        use_autofilter: true,
        format_columns: true,
        ..ProtectionOptions::default()
    };
    ws.protect_with_options(&options);
    let (name, lines) = instructions;
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let wrap = Format::new().set_text_wrap();
    for (i, (k, v)) in lines.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, k, &f.header)?;
        ws.write_string_with_format(i as u32, 1, v, &wrap)?;
    }
    ws.set_column_width(0, 34)?;
    ws.set_column_width(1, 100)?;
    Ok(wb.save_to_buffer()?)
}

/// A workbook of several data sheets, in order.
///
/// # Errors
/// As [`workbook`].
pub fn workbook_of(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxWriteError> {
    let mut wb = new_workbook()?;
    let f = Formats::new();
    for s in sheets {
        add_sheet(&mut wb, s, &f)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// A text field of a CSV for people, in any dialect: neutralised against formulas
/// ([`neutralise`]), and in quotes (inner quotes doubled) when it holds a `,`, a `;`, a
/// quote or a line break. The `;` is quoted in a comma-separated file too: Swedish Excel
/// splits an opened CSV on `;`, and an unquoted `x;=1+1` would give it a cell `=1+1` to
/// run. Any other field is written as it is, as `csv::Writer` would write it.
///
/// Own code rather than the `csv` crate's quoting: it quotes only for the delimiter in use.
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    let s = neutralise(s);
    if s.contains([',', ';', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        s
    }
}

/// A standard CSV (RFC 4180: `,`, CRLF, fields quoted when they need it, decimal point)
/// with text cells neutralised against formulas ([`csv_text`]).
pub fn write_csv_standard(
    w: &mut dyn std::io::Write,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> std::io::Result<()> {
    let field = |s: &str| csv_text(s).into_owned();
    let header: Vec<String> = columns.iter().map(|c| field(&c.header)).collect();
    w.write_all(format!("{}\r\n", header.join(",")).as_bytes())?;
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Empty => String::new(),
                Cell::Text(s) => field(s),
                Cell::Number(v) | Cell::Percent(v) => format!("{v}"),
            })
            .collect();
        w.write_all(format!("{}\r\n", fields.join(",")).as_bytes())?;
    }
    Ok(())
}

/// How a CSV for people is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvDialect {
    /// `,` separator, decimal point, no BOM.
    Standard,
    /// `;` separator, decimal comma, a UTF-8 BOM, text fields quoted: opens straight in
    /// Swedish Excel (which may still read a quoted `0214` as a number: `.xlsx` keeps it).
    ExcelSv,
}

/// A text cell that a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`, which makes Excel and LibreOffice take it
/// as text (OWASP, "CSV Injection"). A value that begins with `'` gets one too, so the
/// change can be undone exactly ([`restore`]): a manifest read back by `verify` yields the
/// keys as drawn. The exact value stays in Parquet and `.xlsx`, where text is written as text.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The value [`neutralise`] was given: one leading `'` removed.
pub fn restore(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// A CSV that opens straight in Swedish Excel: a UTF-8 BOM, `;`, CRLF, every text field in
/// quotes (inner quotes doubled), numbers with a decimal comma (shares as numbers, not
/// percentages, so they stay exact).
pub fn write_excel_sv(
    w: &mut dyn std::io::Write,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> std::io::Result<()> {
    let quoted = |s: &str| format!("\"{}\"", neutralise(s).replace('"', "\"\""));
    w.write_all(b"\xEF\xBB\xBF")?;
    let header: Vec<String> = columns.iter().map(|c| quoted(&c.header)).collect();
    w.write_all(format!("{}\r\n", header.join(";")).as_bytes())?;
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Empty => String::new(),
                Cell::Text(s) => quoted(s),
                Cell::Number(v) | Cell::Percent(v) => format!("{v}").replace('.', ","),
            })
            .collect();
        w.write_all(format!("{}\r\n", fields.join(";")).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn formulas_are_neutralised_for_spreadsheets() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("äldre"), "äldre");
        assert_eq!(neutralise("0214"), "0214");
        for v in ["=1+1", "'=1", "''", "'", "x'", "-", "", "äldre", "+46"] {
            assert_eq!(restore(&neutralise(v)), v, "{v:?}");
        }
    }

    /// A text field is neutralised and quoted for `,` and `;` alike; anything else is
    /// written as the `csv` crate writes it.
    #[test]
    fn csv_text_quotes_both_separators() {
        assert_eq!(csv_text("x;=1+1"), "\"x;=1+1\"");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("=HYPERLINK(A2)"), "'=HYPERLINK(A2)");
        assert_eq!(csv_text("=a;b"), "\"'=a;b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("a\nb"), "\"a\nb\"");
        for v in ["0180", "Äldreomsorg", "Ä-0001", "", "2025-02-28", "a b"] {
            assert_eq!(csv_text(v), v);
        }
    }

    #[test]
    fn the_same_cells_give_the_same_bytes_on_another_second() {
        let sheet = Sheet {
            name: "Urval".into(),
            columns: vec![Column {
                header: "ärende_id".into(),
                kind: ColumnKind::Text,
            }],
            rows: vec![vec![Cell::Text("Ä-0001".into())]],
        };
        let first = workbook(&sheet, None).unwrap();
        // Excel's own properties would record the second the workbook was made.
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        assert_eq!(first, workbook(&sheet, None).unwrap());
        assert_eq!(first, workbook_of(std::slice::from_ref(&sheet)).unwrap());
    }

    #[test]
    fn written_cells_read_back_with_their_types() {
        let sheet = Sheet {
            name: "Urval".into(),
            columns: vec![
                Column {
                    header: "ärende_id".into(),
                    kind: ColumnKind::Text,
                },
                Column {
                    header: "kommunkod".into(),
                    kind: ColumnKind::Text,
                },
                Column {
                    header: "andel".into(),
                    kind: ColumnKind::Percent,
                },
                Column {
                    header: "n".into(),
                    kind: ColumnKind::Number,
                },
                Column {
                    header: "datum".into(),
                    kind: ColumnKind::Date,
                },
            ],
            rows: vec![vec![
                Cell::Text("Ä-0001".into()),
                Cell::Text("0214".into()),
                Cell::Number(0.8446),
                Cell::Number(4223.0),
                Cell::Text("2025-02-28".into()),
            ]],
        };
        let about = vec![("Fröet".to_string(), "20261123".to_string())];
        let bytes = workbook(&sheet, Some(("Om urvalet", &about))).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["Urval", "Om urvalet"]);
        let r = wb.worksheet_range("Urval").unwrap();
        let row: Vec<&Data> = r.rows().nth(1).unwrap().iter().collect();
        assert_eq!(row[0], &Data::String("Ä-0001".into()));
        assert_eq!(row[1], &Data::String("0214".into()));
        assert_eq!(row[2], &Data::Float(0.8446));
        assert_eq!(row[3], &Data::Float(4223.0));
        match row[4] {
            Data::DateTime(d) => assert_eq!(d.to_ymd_hms_milli().0, 2025),
            other => panic!("{other:?}"),
        }
        let a = wb.worksheet_range("Om urvalet").unwrap();
        assert_eq!(a.get_value((0, 1)), Some(&Data::String("20261123".into())));
    }
}
