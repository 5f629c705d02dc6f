//! The ingest error type: what went wrong, in which file, row and column.

use std::path::PathBuf;
use thiserror::Error;

/// At most 80 characters of a long text, with `…` for the rest, so an error never echoes a
/// 200 KB expression.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(80).collect::<String>())
    }
}

/// An extract that cannot be read. Row-level problems are not errors: they quarantine the row.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IngestError {
    /// No file matched an input.
    #[error("no input files match {pattern:?}")]
    NoFiles {
        /// The input as given.
        pattern: String,
    },
    /// A glob pattern that does not parse.
    #[error("bad glob pattern {pattern:?}: {reason}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A file whose format is not known from its name.
    #[error("{}: unknown file type (expected .parquet, .csv, .tsv, .txt, .arrow, .ipc, .feather, .xlsx, .xls or .ods; in a directory, --skip-unknown leaves such files out, listed)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The operating system refused a read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file that cannot be decoded.
    #[error("{}: not a readable Parquet file: {reason}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },
    /// An Arrow IPC file that cannot be decoded.
    #[error("{}: not a readable Arrow IPC file: {reason}", path.display())]
    Ipc {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },
    /// A CSV file whose header cannot be read.
    #[error("{}: {reason}", path.display())]
    CsvHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A column the command needs is not in a file.
    #[error("{}: column {name:?} not found; columns present: {present}", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        name: String,
        /// The columns the file has, comma separated.
        present: String,
    },
    /// A column whose type cannot be read as text.
    #[error("{}: column {name:?} has type {data_type}, which cannot be read as text", path.display())]
    UnreadableColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        name: String,
        /// Its Arrow type.
        data_type: String,
    },
    /// A filter expression that does not parse or names an unknown column.
    #[error("--where {:?}: {reason}", clip(expr))]
    Filter {
        /// The expression.
        expr: String,
        /// What is wrong, with the position.
        reason: String,
    },
    /// Strata columns that cannot be mapped (too many columns or values, a plan listing a
    /// stratum twice).
    #[error("{reason}")]
    Strata {
        /// What is wrong and what to do.
        reason: String,
    },
    /// The caller's per-batch work failed.
    #[error("{}: row {row}: {reason}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// The row (data row number, 1-based; for CSV the line).
        row: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
