//! Spreadsheet extracts (.xlsx, .xlsm, .xls, .xlsb, .ods), read with `calamine`: the first
//! row of the sheet (the first sheet unless `--sheet` names one) is the header, every later
//! row a record. Cells become text the way the CSV path sees them, so that a key or a
//! municipality code draws the same from a spreadsheet as from its CSV export: text as it
//! is (leading zeros kept), whole numbers without `.0`, other numbers in shortest form,
//! dates as `YYYY-MM-DD` (with `THH:MM:SS` when the cell has a time), booleans as
//! `true`/`false`. Our own code is this mapping, the header rules, and the sheet's cells
//! collected one by one ([`SheetCells`]); a cell holding an Excel error (`#DIV/0!`, `#N/A`)
//! quarantines its row.
//!
//! Why not calamine's `worksheet_range`: it allocates one cell for every position between
//! the first and the last cell that hold something, so a 13 KB file with one value at
//! XFD1048576 asks for 17 billion cells (512 GiB) and the process is aborted; and it puts
//! each cell at its position, so a row written twice in the sheet's XML (two `<row r="2">`)
//! silently overwrites the first. For .xlsx/.xlsm and .xlsb the cells are read with
//! calamine's cell readers instead and kept only where they hold something, every position
//! checked to come after the one before it; .xls and .ods have no such reader in calamine
//! and are still read whole.

use crate::error::{IngestError, Result};
use calamine::{open_workbook_auto, Data, DataRef, Reader, Sheets};
use std::path::Path;

fn err(path: &Path, reason: String) -> IngestError {
    IngestError::CsvHeader {
        path: path.to_path_buf(),
        reason,
    }
}

/// The rows a spreadsheet can have (Excel's limit): 1,048,576.
pub const MAX_ROWS: u32 = 1 << 20;

/// The columns a spreadsheet can have (Excel's limit, A to XFD): 16,384.
pub const MAX_COLUMNS: u32 = 1 << 14;

/// One cell that holds something: its 0-based row and column, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetCell {
    /// The row, 0-based (row 1 is 0).
    pub row: u32,
    /// The column, 0-based (A is 0).
    pub col: u32,
    /// The value (never [`Data::Empty`]).
    pub value: Data,
}

/// The cells of a sheet that hold something, in row order and, within a row, in column
/// order: memory for the cells there are, whatever the sheet's dimension says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetCells {
    /// The cells.
    pub cells: Vec<SheetCell>,
    /// The leftmost column that has a cell (0 when there is none).
    pub first_col: u32,
    /// The rightmost column that has a cell.
    pub last_col: u32,
}

impl SheetCells {
    /// The rows that have a cell, in order: each row's number (0-based) and its cells.
    pub fn rows(&self) -> impl Iterator<Item = (u32, &[SheetCell])> {
        self.cells
            .chunk_by(|a, b| a.row == b.row)
            .map(|r| (r[0].row, r))
    }

    /// How many columns lie between the leftmost and the rightmost cell, both included.
    pub fn width(&self) -> usize {
        if self.cells.is_empty() {
            0
        } else {
            (self.last_col - self.first_col) as usize + 1
        }
    }

    /// Add the next cell read from the sheet. An empty cell (formatting only) is left out.
    ///
    /// # Errors
    /// The cell lies outside Excel's 1,048,576 rows and 16,384 columns, or it does not come
    /// after the cell before it: a row written twice (or rows out of order), which a reader
    /// that places cells by position would merge, losing a record. The message names the
    /// sheet and the row.
    fn push(
        &mut self,
        sheet: &str,
        (row, col): (u32, u32),
        value: Data,
    ) -> std::result::Result<(), String> {
        if value == Data::Empty {
            return Ok(());
        }
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(format!(
                "sheet {sheet:?}: a cell at row {} column {} lies outside a spreadsheet's 1,048,576 rows and 16,384 columns (a damaged file): open it in Excel and save it again, or export the sheet as CSV",
                u64::from(row) + 1,
                u64::from(col) + 1
            ));
        }
        if let Some(prev) = self.cells.last() {
            let n = row + 1;
            if row == prev.row && col <= prev.col {
                return Err(format!(
                    "sheet {sheet:?}: row {n} is in the file twice (cell {}{n} comes again after {}{n}), so one of its records would be lost: open the file in Excel and save it again, or export the sheet as CSV, and check row {n}",
                    column_letters(col as usize),
                    column_letters(prev.col as usize)
                ));
            }
            if row < prev.row {
                return Err(format!(
                    "sheet {sheet:?}: row {n} comes after row {} in the file (a row written twice, or rows out of order), so a record could be lost: open the file in Excel and save it again, or export the sheet as CSV, and check row {n}",
                    prev.row + 1
                ));
            }
        }
        if self.cells.is_empty() {
            self.first_col = col;
            self.last_col = col;
        } else {
            self.first_col = self.first_col.min(col);
            self.last_col = self.last_col.max(col);
        }
        self.cells.push(SheetCell { row, col, value });
        Ok(())
    }

    /// The cells of a range calamine has read whole (.xls, .ods), in order.
    fn of_range(range: &calamine::Range<Data>) -> SheetCells {
        let Some((r0, c0)) = range.start() else {
            return SheetCells::default();
        };
        let cells: Vec<SheetCell> = range
            .used_cells()
            .filter(|(_, _, v)| **v != Data::Empty)
            .map(|(r, c, v)| SheetCell {
                row: r0 + r as u32,
                col: c0 + c as u32,
                value: v.clone(),
            })
            .collect();
        SheetCells {
            first_col: c0,
            last_col: range.end().map_or(c0, |e| e.1),
            cells,
        }
    }
}

/// The cells of a sheet read one at a time by `next` (calamine's cell readers), checked
/// and kept by [`SheetCells::push`].
fn stream<'a, E: Into<calamine::Error>>(
    path: &Path,
    sheet: &str,
    mut next: impl FnMut() -> std::result::Result<Option<calamine::Cell<DataRef<'a>>>, E>,
) -> Result<SheetCells> {
    let mut out = SheetCells::default();
    loop {
        let cell = next().map_err(|e| {
            let e: calamine::Error = e.into();
            err(path, format!("cannot read sheet {sheet:?}: {e}"))
        })?;
        let Some(cell) = cell else {
            return Ok(out);
        };
        let pos = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        out.push(sheet, pos, value).map_err(|e| err(path, e))?;
    }
}

/// The names of a workbook's sheets, hidden ones too, in order.
///
/// # Errors
/// The file is not a workbook calamine can read.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    let wb = open_workbook_auto(path)
        .map_err(|e| err(path, format!("cannot read the workbook: {e}")))?;
    Ok(wb.sheet_names())
}

/// The sheet's cells that hold something: the named sheet, or the first. Memory is for
/// the cells there are: .xlsx, .xlsm and .xlsb sheets are read cell by cell, so a sheet
/// whose dimension is far larger than its cells reads as its cells ([`SheetCells`]).
///
/// # Errors
/// The file is not a workbook calamine can read, the sheet does not exist (the message
/// lists the sheets there are), or it cannot be read: a cell outside a spreadsheet's
/// limits, or a row that is in the file twice or out of order (named).
pub fn open_sheet(path: &Path, sheet: Option<&str>) -> Result<(String, SheetCells)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() == Some("ods") {
        check_ods_cells(path)?;
    }
    let mut wb = open_workbook_auto(path)
        .map_err(|e| err(path, format!("cannot read the workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                err(
                    path,
                    format!(
                        "no sheet {s:?}; the workbook has {}",
                        names
                            .iter()
                            .map(|n| format!("{n:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| err(path, "the workbook has no sheets".to_string()))?,
    };
    let cannot = |e: calamine::Error| err(path, format!("cannot read sheet {name:?}: {e}"));
    let cells = match &mut wb {
        Sheets::Xlsx(x) => match x.worksheet_cells_reader(&name) {
            // A chart sheet has no cells (as calamine's range of it is empty).
            Err(calamine::XlsxError::NotAWorksheet(_)) => SheetCells::default(),
            Err(e) => return Err(cannot(e.into())),
            Ok(mut r) => stream(path, &name, || r.next_cell())?,
        },
        Sheets::Xlsb(x) => {
            let mut r = x
                .worksheet_cells_reader(&name)
                .map_err(|e| cannot(e.into()))?;
            stream(path, &name, || r.next_cell())?
        }
        other => SheetCells::of_range(&other.worksheet_range(&name).map_err(cannot)?),
    };
    Ok((name, cells))
}

/// A cell as text (None when empty); an Excel error value is `Err` with the error's text.
pub fn cell_text(cell: &Data) -> std::result::Result<Option<String>, String> {
    Ok(match cell {
        Data::Empty => None,
        Data::String(s) => (!s.is_empty()).then(|| s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
            Some(format!("{}", *f as i64))
        }
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
            Some(if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{da:02}")
            } else {
                format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}")
            })
        }
        Data::DateTime(d) => Some(d.as_f64().to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => return Err(format!("the Excel error {e}")),
    })
}

/// The header of a sheet: its first row's cells as names, trimmed.
///
/// # Errors
/// An empty sheet, an empty header cell (as a merged header leaves), a name used twice, or
/// an error value in the header.
pub fn sheet_header(path: &Path, sheet: &str, cells: &SheetCells) -> Result<Vec<String>> {
    let Some((_, first)) = cells.rows().next() else {
        return Err(err(
            path,
            format!("sheet {sheet:?} is empty: it needs a header row and data rows"),
        ));
    };
    let start_col = cells.first_col;
    let first = row_values(first, start_col, cells.width());
    let mut names: Vec<String> = Vec::with_capacity(first.len());
    for (j, cell) in first.iter().enumerate() {
        let name = cell_text(cell.unwrap_or(&Data::Empty))
            .map_err(|e| err(path, format!("sheet {sheet:?}: the header holds {e}")))?
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if name.is_empty() {
            // No named header cell right of this one: the sheet is wider than its header
            // because of a cell further right (left behind, or far away in a damaged file).
            let named_right = first[j + 1..].iter().any(|c| {
                c.is_some_and(|v| matches!(cell_text(v), Ok(Some(t)) if !t.trim().is_empty()))
            });
            if let (false, true, Some(far)) = (
                named_right,
                j > 0,
                cells.cells.iter().find(|c| c.col == cells.last_col),
            ) {
                return Err(err(
                    path,
                    format!(
                        "sheet {sheet:?}: cell {}{} lies right of the header's last column ({}): delete what lies right of the header, or give its column a name in the first row",
                        column_letters(far.col as usize),
                        u64::from(far.row) + 1,
                        column_letters((start_col as usize + j).saturating_sub(1))
                    ),
                ));
            }
            return Err(err(
                path,
                format!(
                    "sheet {sheet:?}: column {} of the header row has no name (an empty or merged header cell): give every column one name in the first row",
                    column_letters(start_col as usize + j)
                ),
            ));
        }
        if names.contains(&name) {
            return Err(err(
                path,
                format!("sheet {sheet:?}: the header names {name:?} twice"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// One row's cells laid out over `width` columns from `first_col`: each column's value, or
/// `None` where the row has no cell (cells outside the columns are left out).
pub fn row_values(row: &[SheetCell], first_col: u32, width: usize) -> Vec<Option<&Data>> {
    let mut out = vec![None; width];
    for c in row {
        if let Some(slot) = c
            .col
            .checked_sub(first_col)
            .and_then(|j| out.get_mut(j as usize))
        {
            *slot = Some(&c.value);
        }
    }
    out
}

/// The spreadsheet letters of a 0-based column: 0 → A, 27 → AB.
pub fn column_letters(mut j: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The most cells an OpenDocument spreadsheet may expand to (about 640 MB as calamine holds
/// them); a larger one is refused before calamine reads it.
pub const MAX_ODS_CELLS: u64 = 20_000_000;

/// Refuse an `.ods` whose sheets expand to more than [`MAX_ODS_CELLS`] cells, before
/// calamine reads it: calamine builds every sheet of an `.ods` whole when it opens the file,
/// and a file of a few hundred bytes can declare a row repeated a million times, each with
/// a value repeated across 16,000 columns (`table:number-rows-repeated`,
/// `table:number-columns-repeated`), which it would expand into gigabytes and abort. Our own
/// code because no reader offers a bound: a streaming pass (quick-xml) over `content.xml`
/// counts, per row, the cells up to its last one that holds something, times the row's
/// repeat, without expanding anything. Empty cells repeated to the sheet's edge, as
/// LibreOffice writes them, count nothing.
///
/// # Errors
/// The sheet would expand to more cells than the bound; the file is not a zip with
/// `content.xml` (left to calamine, which names the problem).
fn check_ods_cells(path: &Path) -> Result<()> {
    use quick_xml::events::Event;
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let repeat = |e: &quick_xml::events::BytesStart<'_>, key: &[u8]| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| std::str::from_utf8(&a.value).ok()?.trim().parse().ok())
            .unwrap_or(1)
    };
    let (mut total, mut rows, mut pos, mut width) = (0u64, 1u64, 0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            // Malformed XML: calamine reads it and names the problem.
            Err(_) => return Ok(()),
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"table:table-row" => {
                    rows = repeat(e, b"table:number-rows-repeated");
                    (pos, width) = (0, 0);
                }
                b"table:table-cell" | b"table:covered-table-cell" => {
                    pos = pos.saturating_add(repeat(e, b"table:number-columns-repeated"));
                    let holds = matches!(event, Event::Start(_))
                        || e.attributes()
                            .flatten()
                            .any(|a| a.key.as_ref() == b"office:value-type");
                    if holds {
                        width = pos;
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == b"table:table-row" => {
                total = total.saturating_add(rows.saturating_mul(width));
                if total > MAX_ODS_CELLS {
                    return Err(err(
                        path,
                        format!(
                            "its sheets expand to more than {} cells (rows and cells repeated by the file); urval reads .ods files whole: save the sheet as .xlsx or CSV, which are read cell by cell",
                            "20,000,000"
                        ),
                    ));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {

    /// An `.ods` zip holding `content.xml` with one sheet whose rows are `rows`.
    fn ods(dir: &Path, name: &str, rows: &str) -> std::path::PathBuf {
        use std::io::Write;
        let path = dir.join(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("mimetype", o).unwrap();
        z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        z.start_file("content.xml", o).unwrap();
        write!(
            z,
            "<?xml version=\"1.0\"?><office:document-content><office:body><office:spreadsheet><table:table table:name=\"Blad1\">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
        )
        .unwrap();
        z.finish().unwrap();
        path
    }

    /// A few hundred bytes that declare a value repeated over 6,000 rows × 16,000 columns are
    /// refused before calamine expands them; a sheet as LibreOffice writes it (empty cells
    /// repeated to the sheet's edge, empty rows repeated to its end) passes.
    #[test]
    fn an_ods_that_expands_to_too_many_cells_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = ods(
            dir.path(),
            "bomb.ods",
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>id</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="1"/></table:table-row>"#,
        );
        let e = open_sheet(&bomb, None).unwrap_err().to_string();
        assert!(e.contains("expand to more than 20,000,000 cells"), "{e}");
        assert_eq!(MAX_ODS_CELLS, 20_000_000);
        let honest = ods(
            dir.path(),
            "honest.ods",
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>id</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16383"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        );
        assert!(check_ods_cells(&honest).is_ok());
        // A value repeated in a row that is itself repeated counts rows × columns.
        let edge = ods(
            dir.path(),
            "edge.ods",
            r#"<table:table-row table:number-rows-repeated="2000"><table:table-cell table:number-columns-repeated="10000" office:value-type="float" office:value="1"/></table:table-row>"#,
        );
        assert!(check_ods_cells(&edge).is_ok());
        let over = ods(
            dir.path(),
            "over.ods",
            r#"<table:table-row table:number-rows-repeated="2001"><table:table-cell table:number-columns-repeated="10000" office:value-type="float" office:value="1"/></table:table-row>"#,
        );
        assert!(check_ods_cells(&over).is_err());
    }
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_become_the_text_a_csv_export_holds() {
        assert_eq!(
            cell_text(&Data::String("0214".into())),
            Ok(Some("0214".into()))
        );
        assert_eq!(cell_text(&Data::Float(214.0)), Ok(Some("214".into())));
        assert_eq!(cell_text(&Data::Float(2.5)), Ok(Some("2.5".into())));
        assert_eq!(cell_text(&Data::Int(42)), Ok(Some("42".into())));
        assert_eq!(cell_text(&Data::Empty), Ok(None));
        let d = ExcelDateTime::new(45658.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(d)), Ok(Some("2025-01-01".into())));
        let t = ExcelDateTime::new(45658.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(
            cell_text(&Data::DateTime(t)),
            Ok(Some("2025-01-01T12:00:00".into()))
        );
        assert!(cell_text(&Data::Error(calamine::CellErrorType::Div0))
            .unwrap_err()
            .contains("#DIV/0!"));
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(27), "AB");
    }
}
