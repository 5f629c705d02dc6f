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

pub mod encoding;
mod error;
pub mod excel;
pub mod explain;
mod filter;
pub mod personal;
mod scan;
mod source;
mod sql;
pub mod strata;
mod text;

pub use encoding::{EncodingChoice, TextEncoding};
pub use error::{IngestError, Result};
pub use filter::{
    add_months, civil_from_days, parse_date, BoundFilter, Filter, T_ERROR, T_FALSE, T_NULL, T_TRUE,
};
pub use scan::{
    file_columns, reason_kind, scan, summarize_quarantine, Batch, FileCounts, QuarantineRecord,
    ReasonSummary, ScanOutput, ScanSpec, PERSONAL_MASK,
};
pub use source::{csv_header, Extract, Format, SourceFile};
pub use text::TextCol;
