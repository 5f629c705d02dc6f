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

/// A parser's error in a text file as one short line: line and column of `span` (a byte
/// range in `text`), the parser's `message`, and at most ~80 characters of the text around
/// the position — never the whole line, which in a hostile file can be 200 KB.
pub fn located(text: &str, message: &str, span: Option<std::ops::Range<usize>>) -> String {
    let message = clip(message.trim().lines().next().unwrap_or(""));
    let Some(span) = span else {
        return message;
    };
    let at = span.start.min(text.len());
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count() + 1;
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let before: String = {
        let b: Vec<char> = text[line_start..at].chars().collect();
        b[b.len().saturating_sub(40)..].iter().collect()
    };
    let after: String = text[at..line_end].chars().take(40).collect();
    let near = format!("{before}{after}").trim().to_string();
    if near.is_empty() {
        format!("line {line}, column {column}: {message}")
    } else {
        format!("line {line}, column {column}: {message} (near {near:?})")
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
    /// An input that does not exist.
    #[error("{}: no such file or directory (check the path; a glob such as 'extract/*.csv' must be quoted)", path.display())]
    NotFound {
        /// The input as given.
        path: PathBuf,
    },
    /// An input that exists but is neither a regular file nor a directory (a FIFO, socket
    /// or device): it cannot be read twice, and the scan reads an extract more than once.
    #[error("{}: is a {kind}, not a regular file: write the data to a file first and give that", path.display())]
    NotAFile {
        /// The input.
        path: PathBuf,
        /// What it is: "FIFO (named pipe)", "socket", "device".
        kind: &'static str,
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
    /// A byte-order mark at the start of a line inside a text file: two exports that each
    /// begin with one were joined into one file. The mark would be glued onto a key, which
    /// would then no longer match the same record elsewhere, so the file is not read.
    #[error("{} line {line}: a byte-order mark inside the file (two exports joined?); remove it or split the file", path.display())]
    ByteOrderMark {
        /// The file.
        path: PathBuf,
        /// The line that starts with the mark.
        line: u64,
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
    /// A column the command needs is named more than once in a file's header.
    #[error("{}: column {name:?} appears more than once in the header (columns {positions}): rename one so it is clear which to use", path.display())]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
        /// The 1-based positions, "2 and 3".
        positions: String,
    },
    /// A column whose type cannot be read as text.
    #[error("{}: column {name:?} has type {data_type}, which cannot be read as text (bytes that are not UTF-8, or a type with no text form): convert it in the extract or leave it out", path.display())]
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
    /// A column of dates written with slashes where no value tells whether the day or the
    /// month comes first (`01/02/2024`).
    #[error("column {column:?}: dates such as {example:?} can be read day first or month first, and no value in the column tells which: give --date-format {column}=DD/MM/YYYY (day first, as Swedish systems write) or --date-format {column}=MM/DD/YYYY")]
    AmbiguousDates {
        /// The column.
        column: String,
        /// The smallest value that reads either way.
        example: String,
    },
    /// Internal: the search for date columns ended early (every candidate has a value that
    /// is no date); never returned to a caller.
    #[doc(hidden)]
    #[error("date detection settled")]
    DatesSettled,
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
