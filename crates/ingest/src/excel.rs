//! Spreadsheet extracts (.xlsx, .xlsm, .xls, .xlsb, .ods), read with `calamine`: the first
//! row of the sheet (the first sheet unless `--sheet` names one) is the header, every later
//! row a record. Cells become text the way the CSV path sees them, so that a key or a
//! municipality code draws the same from a spreadsheet as from its CSV export: text as it
//! is (leading zeros kept), whole numbers without `.0`, other numbers in shortest form,
//! dates as `YYYY-MM-DD` (with `THH:MM:SS` when the cell has a time), booleans as
//! `true`/`false`. Our own code is only this mapping and the header rules; a cell holding
//! an Excel error (`#DIV/0!`, `#N/A`) quarantines its row.

use crate::error::{IngestError, Result};
use calamine::{open_workbook_auto, Data, Range, Reader};
use std::path::Path;

fn err(path: &Path, reason: String) -> IngestError {
    IngestError::CsvHeader {
        path: path.to_path_buf(),
        reason,
    }
}

/// The sheet's cells: the named sheet, or the first.
///
/// # Errors
/// The file is not a workbook calamine can read, the sheet does not exist (the message
/// lists the sheets there are), or it cannot be read.
pub fn open_sheet(path: &Path, sheet: Option<&str>) -> Result<(String, Range<Data>)> {
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
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| err(path, format!("cannot read sheet {name:?}: {e}")))?;
    Ok((name, range))
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
pub fn sheet_header(path: &Path, sheet: &str, range: &Range<Data>) -> Result<Vec<String>> {
    let Some(first) = range.rows().next() else {
        return Err(err(
            path,
            format!("sheet {sheet:?} is empty: it needs a header row and data rows"),
        ));
    };
    let start_col = range.start().map_or(0, |s| s.1);
    let mut names: Vec<String> = Vec::with_capacity(first.len());
    for (j, cell) in first.iter().enumerate() {
        let name = cell_text(cell)
            .map_err(|e| err(path, format!("sheet {sheet:?}: the header holds {e}")))?
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if name.is_empty() {
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

#[cfg(test)]
mod tests {
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
