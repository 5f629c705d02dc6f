//! # urval-ingest — the ingest room
//!
//! Owns reading extracts: resolving inputs (files, directories, globs) to Parquet, CSV and
//! Arrow IPC files; reading the header or schema; scanning in parallel units with only the
//! columns a command needs ([`scan()`]); validating every row (empty keys and strata, wrong
//! field counts, bytes that are not UTF-8) into a quarantine with file, row and reason;
//! `--where` filters ([`Filter`]); and key and strata values as text ([`TextCol`]) so that
//! `0180` from CSV equals `0180` from Parquet.
//!
//! It knows nothing of designs or samples; commands fold over its batches.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use urval_ingest::{scan, Extract, Filter, ScanSpec};
//! let dir = tempfile::tempdir()?;
//! let csv = dir.path().join("cases.csv");
//! std::fs::write(&csv, "ärende_id;verksamhetsområde\n1;äldre\n2;barn\n3;äldre\n;äldre\n")?;
//! let extract = Extract::resolve(&[csv.display().to_string()], None)?;
//! let mut spec = ScanSpec::new("ärende_id", &["verksamhetsområde".to_string()]);
//! spec.filter = Some(Filter::parse("verksamhetsområde = 'äldre'")?);
//! // Fold each batch into a per-unit count; units are merged by the caller.
//! let out = scan(&extract, &spec, || 0u64, |n, batch| { *n += batch.rows.len() as u64; Ok(()) }, &|_| {})?;
//! let t = out.totals();
//! assert_eq!(out.results.iter().sum::<u64>(), 2);
//! // rows read = used + excluded + quarantined (the row without a key is quarantined).
//! assert_eq!((t.rows_read, t.rows_used, t.rows_excluded, t.rows_quarantined), (4, 2, 1, 1));
//! # Ok(())
//! # }
//! ```

pub mod encoding;
mod error;
pub mod excel;
pub mod explain;
mod expr;
mod scan;
mod source;
pub mod strata;

// Single values as municipal systems write them, in their own crate; the paths
// `urval_ingest::dates`, `urval_ingest::personal`, … stay.
use urval_values::text;
pub use urval_values::{dates, masked, municipal, personal};

pub use encoding::{EncodingChoice, TextEncoding};
pub use error::{clip, located, IngestError, Result};
pub use expr::{
    add_months, civil_from_days, parse_date, BoundFilter, Filter, Numbers, ValueError, T_ERROR,
    T_FALSE, T_NULL, T_TRUE,
};
pub use scan::{
    csv_range_bytes, file_columns, reason_kind, scan, scan_ordered, summarize_quarantine, Batch,
    FileCounts, QuarantineRecord, ReasonSummary, ScanOutput, ScanSpec, CSV_CHUNK_BYTES,
    CSV_CHUNK_MIN_BYTES, PERSONAL_MASK, REPEATED_HEADER_LINE, REPEATED_HEADER_ROW,
};
pub use source::{csv_header, Extract, Format, Reading, SourceFile};
pub use text::{parse_decimal, TextCol};
