//! A spreadsheet read into batches: the sheet's rows after the header, each cell as text,
//! quarantined by the rules of CSV. Batches go on to [`Ctx`]'s processing.

use super::batches::Ctx;
use super::quarantine::{PERSONAL_MASK, REPEATED_HEADER_ROW};
use super::spec::Batch;
use crate::error::Result;
use std::path::Path;

impl<T, F> Ctx<'_, T, F>
where
    F: Fn(&mut T, &Batch) -> Result<()>,
{
    /// A spreadsheet: the sheet's rows after the header, each cell as text
    /// ([`crate::excel::cell_text`]); the quarantine rules of CSV, with the sheet's row
    /// number, and a cell holding an Excel error quarantines its row.
    pub(crate) fn excel(&mut self, path: &Path, sheet: Option<&str>) -> Result<()> {
        let (name, cells) = crate::excel::open_sheet(path, sheet)?;
        let header = crate::excel::sheet_header(path, &name, &cells)?;
        let first_col = cells.first_col;
        let position = |n: &str| header.iter().position(|h| h == n).unwrap_or(0);
        let idx: Vec<usize> = self.needed.iter().map(|n| position(n)).collect();
        let key_j = (!self.spec.key.is_empty()).then(|| position(&self.spec.key));
        let strata_j: Vec<usize> = self.spec.strata.iter().map(|s| position(s)).collect();
        let personal: Vec<bool> = header
            .iter()
            .map(|h| self.spec.personal.contains(h))
            .collect();
        let batch_size = self.spec.batch_size.max(1);
        let mut builders = self.text_builders();
        let mut lines: Vec<u64> = Vec::with_capacity(batch_size);
        // Only rows that have a cell are there: a row with none (an empty row between
        // records) is no record, as a row of empty cells below.
        for (row, row_cells) in cells.rows().skip(1) {
            let line = u64::from(row) + 1;
            let texts: Vec<std::result::Result<Option<String>, String>> =
                crate::excel::row_values(row_cells, first_col, header.len())
                    .into_iter()
                    .map(|c| crate::excel::cell_text(c.unwrap_or(&calamine::Data::Empty)))
                    .collect();
            let raw = || -> String {
                texts
                    .iter()
                    .enumerate()
                    .map(|(j, t)| {
                        if personal.get(j).copied().unwrap_or(false) {
                            PERSONAL_MASK.to_string()
                        } else {
                            match t {
                                Ok(v) => v.clone().unwrap_or_default(),
                                Err(e) => e.clone(),
                            }
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            };
            // A row of empty cells (formatting left below the data) is no record.
            if texts.iter().all(|t| matches!(t, Ok(None))) {
                continue;
            }
            // The header row again (sheets pasted one below the other): no record.
            let is_header = |(t, h): (&std::result::Result<Option<String>, String>, &String)| matches!(t, Ok(Some(v)) if v.trim() == h);
            if texts.len() == header.len() && texts.iter().zip(&header).all(is_header) {
                self.counts.rows_read += 1;
                let raw = raw();
                self.quarantine_row(line, REPEATED_HEADER_ROW.to_string(), raw);
                continue;
            }
            let field = |j: usize| texts.get(j).cloned().unwrap_or(Ok(None));
            let bad = idx.iter().find_map(|&j| {
                field(j).err().map(|e| {
                    format!(
                        "column {:?} (cell {}{line}) holds {e}",
                        header[j],
                        crate::excel::column_letters(first_col as usize + j)
                    )
                })
            });
            let reason = bad.or_else(|| {
                if key_j.is_some_and(|j| matches!(field(j), Ok(None))) {
                    Some(format!("empty key (column {:?})", self.spec.key))
                } else {
                    strata_j
                        .iter()
                        .position(|&j| matches!(field(j), Ok(None)))
                        .map(|k| format!("empty stratum value (column {:?})", self.spec.strata[k]))
                }
            });
            if let Some(reason) = reason {
                self.counts.rows_read += 1;
                let raw = raw();
                self.quarantine_row(line, reason, raw);
                continue;
            }
            for (b, &j) in builders.iter_mut().zip(&idx) {
                match field(j) {
                    Ok(Some(v)) => b.append(v.as_bytes()),
                    _ => b.append(b""),
                }
            }
            self.row_done(&mut builders, &mut lines, line, batch_size)?;
        }
        self.flush_csv(&mut builders, &mut lines)
    }
}
