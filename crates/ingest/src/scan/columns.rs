//! A file's columns: its column names ([`file_columns`]), the needed columns checked
//! present once each, and projected from a record batch; the file open and read errors of
//! Parquet and IPC files. It knows nothing of units, rows or the quarantine.

use crate::encoding::TextEncoding;
use crate::error::{IngestError, Result};
use crate::source::{csv_header, Format, SourceFile};
use arrow_array::{ArrayRef, RecordBatch};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn missing(path: &Path, name: &str, present: &[String]) -> IngestError {
    IngestError::MissingColumn {
        path: path.to_path_buf(),
        name: name.to_string(),
        present: present.join(", "),
    }
}

/// Every needed column present exactly once: a header that names a needed column twice is
/// an error (which of the two is meant cannot be guessed), not a silent choice of the first.
pub(crate) fn check_columns(path: &Path, names: &[String], needed: &[String]) -> Result<()> {
    for n in needed {
        let at: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, x)| *x == n)
            .map(|(i, _)| i + 1)
            .collect();
        match at.len() {
            0 => return Err(missing(path, n, names)),
            1 => {}
            _ => {
                return Err(IngestError::DuplicateColumn {
                    path: path.to_path_buf(),
                    name: n.clone(),
                    positions: at
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" and "),
                })
            }
        }
    }
    Ok(())
}

pub(crate) fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn parquet_err(path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Parquet {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

pub(crate) fn ipc_err(path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Ipc {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

pub(crate) fn field_names(schema: &arrow_schema::Schema) -> Vec<String> {
    schema.fields().iter().map(|x| x.name().clone()).collect()
}

/// The column names of one file.
pub fn file_columns(f: &SourceFile, delimiter: Option<u8>) -> Result<Vec<String>> {
    match f.format {
        Format::Csv => Ok(csv_header(&f.path, delimiter, text_encoding(f))?.0),
        Format::Parquet => {
            let file = open(&f.path)?;
            let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                .map_err(|e| parquet_err(&f.path, e))?;
            Ok(field_names(meta.schema()))
        }
        Format::Ipc => {
            let file = open(&f.path)?;
            let r = arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None)
                .map_err(|e| ipc_err(&f.path, e))?;
            Ok(field_names(&r.schema()))
        }
        Format::Memory => Ok(f.schema.as_deref().map(field_names).unwrap_or_default()),
        Format::Excel => {
            let (name, cells) = crate::excel::open_sheet(&f.path, f.sheet.as_deref())?;
            crate::excel::sheet_header(&f.path, &name, &cells)
        }
    }
}

pub(crate) fn project(
    batch: &RecordBatch,
    needed: &[String],
    path: &Path,
) -> Result<Vec<ArrayRef>> {
    needed
        .iter()
        .map(|n| {
            batch.column_by_name(n).cloned().ok_or_else(|| {
                let present: Vec<String> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                missing(path, n, &present)
            })
        })
        .collect()
}

/// The encoding of a CSV file (UTF-8 when it was not decided, as for a file built by hand).
pub(crate) fn text_encoding(f: &SourceFile) -> TextEncoding {
    f.scan_encoding().unwrap_or(TextEncoding::Utf8)
}
