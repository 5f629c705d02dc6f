//! Which files an extract is: a file, several files, a directory (recursively) or a glob;
//! the format of each from its name; the columns it has.

use crate::encoding::{EncodingChoice, TextEncoding};
use crate::error::{IngestError, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A file format urval reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// Delimited text, UTF-8, with a header.
    Csv,
    /// Arrow IPC file format (Feather v2).
    Ipc,
    /// A spreadsheet: .xlsx, .xlsm, .xls, .xlsb or .ods (see [`crate::excel`]).
    Excel,
    /// Arrow record batches already in memory (a data frame handed over through the Arrow C
    /// data interface): see [`Extract::from_batches`].
    Memory,
}

impl Format {
    /// The format of a path from its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "arrow" | "ipc" | "feather" => Some(Format::Ipc),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Excel),
            _ => None,
        }
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Ipc => "ipc",
            Format::Excel => "spreadsheet",
            Format::Memory => "arrow",
        }
    }
}

/// One file of an extract.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Its path as resolved.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its size in bytes.
    pub size: u64,
    /// The text encoding a CSV file is read in (None for Parquet and IPC); UTF-8 while
    /// [`Self::pending`] is unsettled: read it through [`Self::encoding`].
    encoding: Option<TextEncoding>,
    /// The sheet of a spreadsheet (`None`: the first).
    pub sheet: Option<String>,
    /// A CSV file's line feeds per block, when detecting its encoding read it all
    /// ([`crate::encoding::detect_indexed`]); used while the file keeps its size.
    pub line_feeds: Option<std::sync::Arc<crate::encoding::LineFeedIndex>>,
    /// A CSV file whose first 4 MiB were ASCII: its encoding is settled by the first scan
    /// that reads it, or when asked ([`crate::encoding::Pending`]).
    pub pending: Option<std::sync::Arc<crate::encoding::Pending>>,
    /// The record batches of a [`Format::Memory`] source (empty for a file).
    pub batches: std::sync::Arc<[arrow_array::RecordBatch]>,
    /// The schema of a [`Format::Memory`] source.
    pub schema: Option<arrow_schema::SchemaRef>,
}

impl SourceFile {
    /// The text encoding a CSV file is read in (None for Parquet and IPC); for a file whose
    /// encoding is still [`Self::pending`], the whole file is checked first.
    pub fn encoding(&self) -> Option<TextEncoding> {
        match &self.pending {
            Some(p) => Some(p.settle(&self.path)),
            None => self.encoding,
        }
    }

    /// The encoding a scan starts reading in: UTF-8 while pending (see
    /// [`crate::encoding::Pending`]).
    pub(crate) fn scan_encoding(&self) -> Option<TextEncoding> {
        match &self.pending {
            Some(p) => Some(p.get().unwrap_or(TextEncoding::Utf8)),
            None => self.encoding,
        }
    }
}

/// The files of an extract, in a stable order.
#[derive(Debug, Clone)]
pub struct Extract {
    /// The files.
    pub files: Vec<SourceFile>,
    /// The CSV delimiter, or `None` to detect `,` or `;` from each header.
    pub delimiter: Option<u8>,
    /// The encoding asked for (each CSV file's own is in [`SourceFile::encoding`]).
    pub encoding: EncodingChoice,
    /// Files found in an extract directory and left out, with why (hidden, a quarantine
    /// file, or of an unknown type with `skip_unknown`): reported, never silently dropped.
    pub skipped: Vec<(PathBuf, String)>,
    /// How values are read in every scan of the extract: date formats, municipality codes.
    pub reading: Reading,
}

/// How an extract's values are read, whatever command scans it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// Columns given a date format (`--date-format COL=FORMAT`); other text columns a
    /// command reads are searched for dates ([`crate::dates`]).
    pub date_formats: Vec<(String, crate::dates::DateFormat)>,
    /// Check the columns named like a municipality code
    /// ([`crate::municipal::is_code_column`]) against the register: true for extracts a
    /// user gives, false for urval's own files read back (a manifest, a review template),
    /// whose codes were checked when the extract was read.
    pub check_municipality_names: bool,
    /// Columns holding municipality codes to check, named like one or not.
    pub municipality_columns: Vec<String>,
    /// Keep a value that is no municipality code as its own stratum, with a warning,
    /// instead of quarantining its row.
    pub keep_unknown_municipalities: bool,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<(PathBuf, String)>,
    skip_unknown: bool,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| IngestError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            // A symbolic link back up the tree would recurse without end: each directory
            // is walked once, by its canonical path.
            let canonical = std::fs::canonicalize(&p).map_err(|source| IngestError::Io {
                path: p.clone(),
                source,
            })?;
            if !visited.insert(canonical) {
                skipped.push((
                    p,
                    "a directory already read (symbolic link loop)".to_string(),
                ));
                continue;
            }
            walk(&p, out, skipped, skip_unknown, visited)?;
        } else if let Some(kind) = special_kind(&p) {
            return Err(IngestError::NotAFile { path: p, kind });
        } else if is_hidden(&p) {
            let why = if p.to_string_lossy().ends_with(".quarantine.csv") {
                "a quarantine file"
            } else {
                "hidden (its name starts with . or _)"
            };
            skipped.push((p, why.to_string()));
        } else if Format::from_path(&p).is_some() {
            out.push(p);
        } else if skip_unknown {
            skipped.push((p, "unknown file type (--skip-unknown)".to_string()));
        } else {
            return Err(IngestError::UnknownFormat { path: p });
        }
    }
    Ok(())
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.starts_with('_') || n.ends_with(".quarantine.csv"))
}

impl Extract {
    /// Resolve inputs: files, directories (every file of a known format below, sorted) and
    /// glob patterns (sorted matches). Each file is listed once.
    ///
    /// # Errors
    /// An input that matches nothing, a file of unknown format, or a file that cannot be
    /// read.
    pub fn resolve(inputs: &[String], delimiter: Option<u8>) -> Result<Extract> {
        Extract::resolve_with(inputs, delimiter, EncodingChoice::Auto)
    }

    /// [`Extract::resolve`] with an encoding for the CSV files: each CSV file's encoding is
    /// decided here ([`crate::encoding::detect`]: with `Auto`, UTF-16 by its byte-order mark,
    /// UTF-8 when the whole file is valid UTF-8, else Windows-1252), or, for a file whose
    /// first 4 MiB are ASCII, by the first scan that reads it ([`SourceFile::pending`]).
    ///
    /// # Errors
    /// As [`Extract::resolve`].
    pub fn resolve_with(
        inputs: &[String],
        delimiter: Option<u8>,
        encoding: EncodingChoice,
    ) -> Result<Extract> {
        Extract::resolve_opts(inputs, delimiter, encoding, false)
    }

    /// [`Extract::resolve_with`]; a file of unknown type inside a directory is an error
    /// unless `skip_unknown`, and then it is listed in [`Extract::skipped`].
    ///
    /// # Errors
    /// As [`Extract::resolve`].
    pub fn resolve_opts(
        inputs: &[String],
        delimiter: Option<u8>,
        encoding: EncodingChoice,
        skip_unknown: bool,
    ) -> Result<Extract> {
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut skipped = Vec::new();
        for input in inputs {
            let before = paths.len();
            let p = Path::new(input);
            if p.is_dir() {
                let mut visited = std::collections::HashSet::new();
                if let Ok(c) = std::fs::canonicalize(p) {
                    visited.insert(c);
                }
                walk(p, &mut paths, &mut skipped, skip_unknown, &mut visited)?;
            } else if is_glob(input) && !p.exists() {
                let matches = glob::glob(input).map_err(|e| IngestError::BadGlob {
                    pattern: input.clone(),
                    reason: e.to_string(),
                })?;
                let mut found: Vec<PathBuf> = matches
                    .filter_map(|m| m.ok())
                    .filter(|m| m.is_file())
                    .collect();
                found.sort();
                paths.extend(found);
            } else if p.is_file() {
                paths.push(p.to_path_buf());
            } else if let Some(kind) = special_kind(p) {
                return Err(IngestError::NotAFile {
                    path: p.to_path_buf(),
                    kind,
                });
            } else {
                return Err(IngestError::NotFound {
                    path: p.to_path_buf(),
                });
            }
            if paths.len() == before {
                return Err(IngestError::NoFiles {
                    pattern: input.clone(),
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        paths.retain(|p| seen.insert(p.clone()));
        // Each file's format, size and encoding, the files in parallel (telling a CSV
        // file's encoding reads it whole unless its first 4 MiB are ASCII); the first error
        // in file order is the answer.
        let found: Vec<Result<SourceFile>> = {
            use rayon::prelude::*;
            paths
                .into_par_iter()
                .map(|path| {
                    let format = Format::from_path(&path)
                        .ok_or_else(|| IngestError::UnknownFormat { path: path.clone() })?;
                    let size = std::fs::metadata(&path)
                        .map_err(|source| IngestError::Io {
                            path: path.clone(),
                            source,
                        })?
                        .len();
                    let (text, line_feeds, pending) = match format {
                        Format::Csv => {
                            let d = crate::encoding::detect_indexed(&path, encoding, true)?;
                            (
                                Some(d.encoding),
                                d.line_feeds.map(std::sync::Arc::new),
                                d.pending.then(Default::default),
                            )
                        }
                        _ => (None, None, None),
                    };
                    Ok(SourceFile {
                        path,
                        format,
                        size,
                        encoding: text,
                        sheet: None,
                        line_feeds,
                        pending,
                        batches: std::sync::Arc::new([]),
                        schema: None,
                    })
                })
                .collect()
        };
        let files = found.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Extract {
            files,
            delimiter,
            encoding,
            skipped,
            reading: Reading::default(),
        })
    }

    /// An extract of Arrow record batches already in memory, one source named `name` (what
    /// messages, quarantine records and plan.json call it, e.g. `<polars.DataFrame>`). The
    /// batches are scanned as a file's are (the same validation, filters and row numbers,
    /// counted from 1 over the batches in order), without a copy. Its size is the batches'
    /// buffer memory.
    pub fn from_batches(
        name: &str,
        schema: arrow_schema::SchemaRef,
        batches: Vec<arrow_array::RecordBatch>,
    ) -> Extract {
        let size = batches
            .iter()
            .map(|b| b.get_array_memory_size() as u64)
            .sum();
        Extract {
            files: vec![SourceFile {
                path: PathBuf::from(name),
                format: Format::Memory,
                size,
                encoding: None,
                sheet: None,
                line_feeds: None,
                pending: None,
                batches: batches.into(),
                schema: Some(schema),
            }],
            delimiter: None,
            encoding: EncodingChoice::Auto,
            skipped: Vec::new(),
            reading: Reading::default(),
        }
    }

    /// Read values as `reading` says in every scan.
    pub fn with_reading(mut self, reading: Reading) -> Extract {
        self.reading = reading;
        self
    }

    /// Read the sheet named `sheet` of every spreadsheet file (instead of the first).
    pub fn with_sheet(mut self, sheet: Option<String>) -> Extract {
        for f in &mut self.files {
            if f.format == Format::Excel {
                f.sheet.clone_from(&sheet);
            }
        }
        self
    }

    /// Total size in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Read a CSV file's header in its encoding: its column names and its delimiter (given, or
/// `;` when the header has more `;` than `,`, else `,`). A byte-order mark is skipped.
pub fn csv_header(
    path: &Path,
    delimiter: Option<u8>,
    encoding: TextEncoding,
) -> Result<(Vec<String>, u8)> {
    let reader = crate::encoding::open_utf8(path, encoding)?;
    let mut reader = BufReader::new(reader);
    let mut first = Vec::new();
    reader
        .by_ref()
        .take(1 << 20)
        .read_until(b'\n', &mut first)
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let line = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&first);
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::CsvHeader {
            path: path.to_path_buf(),
            reason: "the file is empty (no header line)".to_string(),
        });
    }
    let d = delimiter.unwrap_or_else(|| {
        let semis = line.iter().filter(|&&b| b == b';').count();
        let commas = line.iter().filter(|&&b| b == b',').count();
        if semis > commas {
            b';'
        } else {
            b','
        }
    });
    let mut r = csv::ReaderBuilder::new()
        .delimiter(d)
        .has_headers(false)
        .from_reader(line);
    let mut rec = csv::ByteRecord::new();
    let ok = r
        .read_byte_record(&mut rec)
        .map_err(|e| IngestError::CsvHeader {
            path: path.to_path_buf(),
            reason: format!("cannot read the header: {e}"),
        })?;
    if !ok {
        return Err(IngestError::CsvHeader {
            path: path.to_path_buf(),
            reason: "the file is empty (no header line)".to_string(),
        });
    }
    let mut names = Vec::with_capacity(rec.len());
    for field in rec.iter() {
        let name = std::str::from_utf8(field).map_err(|_| IngestError::CsvHeader {
            path: path.to_path_buf(),
            reason: "the header is not valid UTF-8: give --encoding windows-1252 (or leave --encoding auto)".to_string(),
        })?;
        names.push(name.trim().to_string());
    }
    Ok((names, d))
}

/// What a path that exists but is neither a file nor a directory is, or `None` when it does
/// not exist (or is a file or directory).
fn special_kind(p: &Path) -> Option<&'static str> {
    let meta = std::fs::metadata(p).ok()?;
    let ft = meta.file_type();
    if ft.is_file() || ft.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("FIFO (named pipe)");
        }
        if ft.is_socket() {
            return Some("socket");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("device");
        }
    }
    Some("special file")
}
