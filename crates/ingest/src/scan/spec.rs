//! What a scan is asked for ([`ScanSpec`]) and what it gives back ([`Batch`],
//! [`FileCounts`], [`ScanOutput`]): types and their small accessors only. It may use the
//! quarantine's record type and the CSV range size; it reads no file.

use super::csv_ranges::CSV_CHUNK_BYTES;
use super::quarantine::QuarantineRecord;
use crate::expr::Filter;
use crate::text::TextCol;
use arrow_array::ArrayRef;
use std::path::Path;

/// What to read.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// The record key column; empty for a scan without one (a census that checks no
    /// keys): then no row is quarantined for an empty key and [`Batch::key_at`] is "".
    pub key: String,
    /// The strata columns (may be empty).
    pub strata: Vec<String>,
    /// Further columns the caller needs (include, pages), passed through as Arrow arrays.
    pub extra: Vec<String>,
    /// An optional row filter.
    pub filter: Option<Filter>,
    /// Data rules (`--check`), with SQL CHECK semantics: a row where a rule is FALSE is
    /// quarantined with the rule as its reason; TRUE and NULL pass.
    pub checks: Vec<Filter>,
    /// Columns holding personal data: their values never appear in quarantine rows.
    pub personal: Vec<String>,
    /// Numeric columns (e.g. pages) whose non-empty values must be non-negative numbers;
    /// a row with anything else is quarantined.
    pub nonnegative: Vec<String>,
    /// Rows per batch.
    pub batch_size: usize,
    /// The largest byte range a UTF-8 or Windows-1252 CSV file is parsed in on all cores
    /// ([`CSV_CHUNK_BYTES`]); see [`csv_range_bytes`] for the size used. The ranges depend on
    /// the file alone, never on the thread count.
    ///
    /// [`csv_range_bytes`]: crate::csv_range_bytes
    pub csv_chunk_bytes: u64,
    /// Split plain CSV lines without the `csv` crate's state machine: a line that has no
    /// quote and no lone CR and is not blank is split at its delimiters here, and the `csv`
    /// crate reads from the first line that is not plain on. False only to compare the
    /// two readers in tests and benches.
    pub csv_line_reader: bool,
    /// Dictionary-encode the text columns read from CSV and spreadsheets (every column but
    /// the key) while a batch has at most half as many distinct values as rows. False only
    /// to compare the two encodings in tests and benches: the answers are the same.
    pub text_dictionary: bool,
    /// Search the text columns the scan reads (but the key, strata and personal columns) of
    /// CSV and spreadsheet files for dates in the formats of [`crate::dates`], as the scan
    /// reads them; a column that must be read as dates has the extract read again (see
    /// [`crate::scan_ordered`]). False only in the search for dates that follows a failed
    /// scan, which reads those columns alone.
    pub detect_dates: bool,
}

impl ScanSpec {
    /// A spec with a key and strata, no extras, no filter, 65,536 rows per batch.
    pub fn new(key: &str, strata: &[String]) -> Self {
        ScanSpec {
            key: key.to_string(),
            strata: strata.to_vec(),
            extra: Vec::new(),
            filter: None,
            checks: Vec::new(),
            personal: Vec::new(),
            nonnegative: Vec::new(),
            batch_size: 65_536,
            csv_chunk_bytes: CSV_CHUNK_BYTES,
            csv_line_reader: true,
            text_dictionary: true,
            detect_dates: true,
        }
    }

    /// Every column the scan reads, each once, in first-use order.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let filter_cols: Vec<String> = self
            .filter
            .iter()
            .chain(&self.checks)
            .flat_map(|f| f.columns().iter().cloned())
            .collect();
        for c in std::iter::once(&self.key)
            .filter(|k| !k.is_empty())
            .chain(&self.strata)
            .chain(&self.extra)
            .chain(&self.nonnegative)
            .chain(filter_cols.iter())
        {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// One batch of validated rows.
pub struct Batch<'a> {
    /// Index of the file in the extract.
    pub file: usize,
    /// The file's path.
    pub path: &'a Path,
    pub(crate) row_base: u64,
    pub(crate) lines: Option<&'a [u64]>,
    /// The key column as text (`None` without a key column: see [`ScanSpec::key`]).
    pub key: Option<&'a TextCol>,
    /// The strata columns as text, in spec order.
    pub strata: &'a [TextCol],
    /// The extra columns, in spec order.
    pub extra: &'a [ArrayRef],
    /// The rows of this batch that passed validation and the filter.
    pub rows: &'a [u32],
}

impl Batch<'_> {
    /// The key of row `row` ("" when null or when the scan has no key column).
    #[inline]
    pub fn key_at(&self, row: usize) -> &str {
        self.key.and_then(|k| k.get(row)).unwrap_or("")
    }

    /// The row number to report for row `i` of this batch: the 1-based data row of the
    /// file (Parquet, IPC) or the 1-based line (CSV).
    pub fn row_number(&self, i: usize) -> u64 {
        match self.lines {
            Some(lines) => lines[i],
            None => self.row_base + i as u64 + 1,
        }
    }
}

/// Row counts of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows handed to the caller.
    pub rows_used: u64,
    /// Rows left out by the filter.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
}

impl FileCounts {
    /// Add the accounts of a piece of the extract read elsewhere (a partition of a
    /// distributed data frame): its rows read, used, excluded and quarantined, and its
    /// quarantined rows as (row within the piece, reason, the row as read), kept in
    /// `quarantine` as rows of file 0.
    pub fn add_piece(
        &mut self,
        rows: [u64; 4],
        quarantined: Vec<(u64, String, String)>,
        quarantine: &mut Vec<QuarantineRecord>,
    ) {
        let [read, used, excluded, bad] = rows;
        self.rows_read += read;
        self.rows_used += used;
        self.rows_excluded += excluded;
        self.rows_quarantined += bad;
        quarantine.extend(
            quarantined
                .into_iter()
                .map(|(row, reason, raw)| QuarantineRecord {
                    file: 0,
                    row,
                    reason,
                    raw,
                }),
        );
    }

    pub(crate) fn add(&mut self, o: &FileCounts) {
        self.rows_read += o.rows_read;
        self.rows_used += o.rows_used;
        self.rows_excluded += o.rows_excluded;
        self.rows_quarantined += o.rows_quarantined;
    }
}

/// The result of a scan.
pub struct ScanOutput<T> {
    /// One fold state per unit, in a stable unit order (files in order, row groups in order).
    pub results: Vec<T>,
    /// Counts per file, in extract order.
    pub files: Vec<FileCounts>,
    /// Quarantined rows, sorted by file and row.
    pub quarantine: Vec<QuarantineRecord>,
}

impl<T> ScanOutput<T> {
    /// Counts over all files.
    pub fn totals(&self) -> FileCounts {
        let mut t = FileCounts::default();
        for f in &self.files {
            t.add(f);
        }
        t
    }
}
