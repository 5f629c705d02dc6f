//! Validate a personal identity number column (format, date, Luhn check digit): counts
//! by problem and the invalid rows by file and row number only — never the number.

use crate::error::Result;
use crate::text::thousands;
use serde_json::json;
use std::collections::BTreeMap;
use urval_ingest::personal::{check_personnummer, PnrProblem};
use urval_ingest::{scan, Extract, ScanSpec};
use urval_report::Lang;

/// The outcome of a validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// Rows read.
    pub rows_read: u64,
    /// Valid values.
    pub valid: u64,
    /// Invalid values by problem (an empty value is one).
    pub problems: BTreeMap<PnrProblem, u64>,
    /// The first invalid rows, sorted: (file index, row, problem).
    pub first: Vec<(usize, u64, PnrProblem)>,
    /// Rows that could not be checked at all (a CSV line with the wrong field count, bytes
    /// that are not UTF-8).
    pub unreadable: u64,
}

impl Validated {
    /// Invalid values in all.
    pub fn invalid(&self) -> u64 {
        self.problems.values().sum()
    }

    /// Whether every row was read and every value is valid.
    pub fn is_clean(&self) -> bool {
        self.invalid() == 0 && self.unreadable == 0
    }

    fn file(extract: &Extract, i: usize) -> String {
        extract
            .files
            .get(i)
            .map(|f| f.path.display().to_string())
            .unwrap_or_default()
    }

    /// The counts and the first invalid rows as text (never a value).
    pub fn text(&self, column: &str, extract: &Extract) -> String {
        let mut t = format!(
            "{column}: {} rows read, {} valid, {} invalid, {} unreadable\n",
            thousands(self.rows_read),
            thousands(self.valid),
            thousands(self.invalid()),
            thousands(self.unreadable)
        );
        for (p, c) in &self.problems {
            t.push_str(&format!("  {:>8}  {}\n", thousands(*c), p.describe()));
        }
        if !self.first.is_empty() {
            t.push_str("first invalid rows (the values are not shown):\n");
            for (f, r, p) in &self.first {
                t.push_str(&format!(
                    "  {}, row {r}: {}\n",
                    Self::file(extract, *f),
                    p.describe()
                ));
            }
        }
        t
    }

    /// The counts and the first invalid rows as JSON (never a value).
    pub fn json(&self, column: &str, extract: &Extract) -> serde_json::Value {
        json!({
            "column": column,
            "rows_read": self.rows_read,
            "valid": self.valid,
            "invalid": self.invalid(),
            "unreadable_rows": self.unreadable,
            "problems": self.problems.iter().map(|(p, c)| json!({"problem": p.describe(), "rows": c})).collect::<Vec<_>>(),
            "first_invalid": self.first.iter().map(|(f, r, p)| json!({"file": Self::file(extract, *f), "row": r, "problem": p.describe()})).collect::<Vec<_>>(),
        })
    }
}

/// Check the column `column` of every row; keep the first `keep` invalid rows.
///
/// # Errors
/// The extract cannot be read or has no such column.
pub fn validate(
    extract: &Extract,
    column: &str,
    keep: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Validated> {
    // The column is read as the "key": empty values are counted (quarantined), never printed.
    let mut spec = ScanSpec::new(column, &[]);
    spec.personal = vec![column.to_string()];
    let show = keep;
    let out = scan(
        extract,
        &spec,
        Found::default,
        |f, batch| {
            for &r in batch.rows {
                let r = r as usize;
                match check_personnummer(batch.key_at(r)) {
                    Ok(()) => f.valid += 1,
                    Err(p) => {
                        *f.problems.entry(p).or_default() += 1;
                        if f.first.len() < show {
                            f.first.push((batch.file, batch.row_number(r), p));
                        }
                    }
                }
            }
            Ok(())
        },
        progress,
    )?;
    let totals = out.totals();
    let mut valid = 0u64;
    let mut problems: BTreeMap<PnrProblem, u64> = BTreeMap::new();
    let mut first: Vec<(usize, u64, PnrProblem)> = Vec::new();
    for f in out.results {
        valid += f.valid;
        for (p, c) in f.problems {
            *problems.entry(p).or_default() += c;
        }
        first.extend(f.first);
    }
    // Empty values were quarantined by the scan; other quarantined rows (a CSV line with
    // the wrong field count, bytes that are not UTF-8) could not be checked at all.
    for q in &out.quarantine {
        if q.reason.starts_with("empty key") {
            *problems.entry(PnrProblem::Empty).or_default() += 1;
            first.push((q.file, q.row, PnrProblem::Empty));
        }
    }
    let empty_quarantined = out
        .quarantine
        .iter()
        .filter(|q| q.reason.starts_with("empty key"))
        .count() as u64;
    let unreadable = totals.rows_quarantined - empty_quarantined;
    first.sort();
    Ok(Validated {
        rows_read: totals.rows_read,
        valid,
        problems,
        first,
        unreadable,
    })
}

#[derive(Default)]
struct Found {
    valid: u64,
    problems: BTreeMap<PnrProblem, u64>,
    first: Vec<(usize, u64, PnrProblem)>,
}

/// Write the invalid rows (file name, row, problem) as `.xlsx` or `.csv`, atomically.
pub fn write_list(
    path: &std::path::Path,
    extract: &urval_ingest::Extract,
    rows: &[(usize, u64, PnrProblem)],
    lang: Lang,
) -> Result<()> {
    use urval_report::xlsx::{Cell, Column, ColumnKind, Sheet};
    let sv = lang == Lang::Sv;
    let name = |i: usize| crate::files::extract_file_name(extract, i);
    let headers = if sv {
        ["fil", "rad", "fel"]
    } else {
        ["file", "row", "problem"]
    };
    let columns: Vec<Column> = headers
        .iter()
        .zip([ColumnKind::Text, ColumnKind::Number, ColumnKind::Text])
        .map(|(h, kind)| Column {
            header: (*h).to_string(),
            kind,
        })
        .collect();
    let data: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(f, r, p)| {
            vec![
                Cell::Text(name(*f)),
                Cell::Number(*r as f64),
                Cell::Text(p.describe().to_string()),
            ]
        })
        .collect();
    let mut out = crate::files::AtomicFile::create(path)?;
    if crate::files::extension(path) == "xlsx" {
        let sheet = Sheet {
            name: if sv { "Ogiltiga" } else { "Invalid" }.to_string(),
            columns,
            rows: data,
        };
        let about = vec![(
            if sv { "Obs" } else { "Note" }.to_string(),
            if sv {
                "Numren visas inte: raderna anges med fil och radnummer."
            } else {
                "The numbers are not shown: rows are given by file and row number."
            }
            .to_string(),
        )];
        let about_name = if sv { "Om listan" } else { "About" };
        let bytes = urval_report::xlsx::workbook(&sheet, Some((about_name, &about)))?;
        std::io::Write::write_all(out.writer(), &bytes)?;
    } else {
        let mut w = crate::files::people_csv(out.writer());
        let text = |s: &str| urval_report::xlsx::csv_text(s).into_owned();
        w.write_record(headers.iter().map(|h| text(h)))?;
        for (f, r, p) in rows {
            w.write_record([text(&name(*f)), r.to_string(), text(p.describe())])?;
        }
        w.flush()?;
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_problem_is_counted_and_the_text_never_shows_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("personer.csv");
        // Valid: the 12- and 10-digit forms of Skatteverket's test number, and a
        // samordningsnummer (day + 60).
        std::fs::write(
            &path,
            "ärende_id,personnummer\n1,19121212-1212\n2,121212-1212\n3,121272-1219\n4,121212-1213\n5,121312-1210\n6,abc\n7,\n",
        )
        .unwrap();
        let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
        let v = validate(&extract, "personnummer", 10, &|_| {}).unwrap();
        assert_eq!(
            (v.rows_read, v.valid, v.invalid(), v.unreadable),
            (7, 3, 4, 0)
        );
        assert!(!v.is_clean());
        assert_eq!(
            v.problems,
            BTreeMap::from([
                (PnrProblem::Empty, 1),
                (PnrProblem::Format, 1),
                (PnrProblem::Date, 1),
                (PnrProblem::CheckDigit, 1),
            ])
        );
        let rows: Vec<(u64, PnrProblem)> = v.first.iter().map(|&(_, r, p)| (r, p)).collect();
        assert_eq!(rows.len(), 4);
        let text = v.text("personnummer", &extract);
        assert!(text.starts_with("personnummer: 7 rows read, 3 valid, 4 invalid, 0 unreadable\n"));
        assert!(text.contains("the Luhn check digit does not match"));
        for number in ["1212", "121312", "abc"] {
            assert!(!text.contains(number), "{number} shown in {text}");
        }
        let json = v.json("personnummer", &extract).to_string();
        assert!(!json.contains("1212") && !json.contains("abc"), "{json}");
    }

    #[test]
    fn a_column_of_valid_numbers_is_clean_and_keep_caps_the_rows_listed() {
        let v = Validated {
            rows_read: 3,
            valid: 3,
            problems: BTreeMap::new(),
            first: Vec::new(),
            unreadable: 0,
        };
        assert!(v.is_clean());
        let unreadable = Validated { unreadable: 1, ..v };
        assert!(!unreadable.is_clean());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "pnr\nx\ny\nz\n121212-1212\n").unwrap();
        let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
        let v = validate(&extract, "pnr", 2, &|_| {}).unwrap();
        assert_eq!((v.valid, v.invalid()), (1, 3));
        assert_eq!(v.first.len(), 2, "keep = 2 lists two rows");
    }
}
