//! The files the operations write and the checks around them: outputs written atomically
//! (a temporary file renamed over the target), JSON artifacts, the quarantine file and its
//! threshold, checksums, timestamps, and the refusal to write an output over an input.

use crate::error::{ArtifactError, Context, Result};
use crate::text::{reconciliation, thousands};
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use urval_ingest::{Extract, QuarantineRecord};

/// A file written under a temporary name in the target directory and renamed over the
/// target on [`AtomicFile::commit`]. Whatever fails on the way — a write, the flush at the
/// end, the sync, the rename — the temporary file is removed (see [`TempFile`]) and the
/// previous output stays intact; every write error names the output file ([`OutFile`]).
///
/// Own code rather than `tempfile::NamedTempFile`: a command that writes several files
/// stages them all first and renames them together at the end ([`Staged`]), the
/// temporary names are predictable so that a killed run's leftovers can be removed by the
/// next one, and errors name the output rather than the temporary file.
pub struct AtomicFile {
    target: PathBuf,
    // Declared before `temp`: the file is closed before its removal (which Windows needs).
    writer: Option<BufWriter<OutFile>>,
    temp: TempFile,
}

/// A temporary file that is removed when dropped, unless [`TempFile::keep`] was called.
#[derive(Debug)]
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// The file has been renamed to its target: nothing to remove.
    fn keep(&mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The temporary file of an output, whose write errors name the output
/// (`writing m.csv: File too large`): a full disk in the middle of a CSV or a Parquet
/// writer then says which file could not be written, whatever layer reports it.
pub struct OutFile {
    file: File,
    target: PathBuf,
}

impl OutFile {
    fn named(&self, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", self.target.display()))
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf).map_err(|e| self.named(e))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.file.write_all(buf).map_err(|e| self.named(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush().map_err(|e| self.named(e))
    }
}

impl AtomicFile {
    /// Start writing `target`.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(ArtifactError::NoOutputDirectory { dir }.into());
        }
        let name = target.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            ArtifactError::NotAFileName {
                path: target.to_path_buf(),
            }
        })?;
        // Temporary files of earlier runs that were killed before they could clean up.
        let stale_prefix = format!(".{name}.tmp-");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&stale_prefix))
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&temp)
            .with_context(|| format!("{}: cannot write in {}", target.display(), dir.display()))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            writer: Some(BufWriter::with_capacity(
                1 << 20,
                OutFile {
                    file,
                    target: target.to_path_buf(),
                },
            )),
            temp: TempFile {
                path: temp,
                armed: true,
            },
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<OutFile> {
        self.writer
            .as_mut()
            .expect("the writer is present until finish consumes the AtomicFile")
    }

    /// Flush, sync and rename over the target.
    ///
    /// # Errors
    /// Writing, syncing or renaming fails.
    pub fn commit(self) -> Result<()> {
        self.finish()?.publish()
    }

    /// Flush and sync, but do not rename yet: a command that writes several files stages
    /// them all and publishes them together at the end ([`Staged::publish`]), so that a
    /// failure part-way leaves every previous output as it was.
    ///
    /// # Errors
    /// Writing or syncing fails (the temporary file is then removed).
    pub fn finish(self) -> Result<Staged> {
        let AtomicFile {
            target,
            writer,
            temp,
        } = self;
        if let Some(w) = writer {
            let out = w.into_inner().map_err(|e| e.into_error())?;
            out.file
                .sync_all()
                .with_context(|| format!("writing {}", target.display()))?;
        }
        Ok(Staged { target, temp })
    }
}

/// A finished output under its temporary name; removed when dropped unpublished.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    temp: TempFile,
}

impl Staged {
    /// The temporary file (complete: it can be read, e.g. for its checksum).
    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    /// Rename over the target.
    ///
    /// # Errors
    /// The rename fails (the temporary file is then removed).
    pub fn publish(mut self) -> Result<()> {
        std::fs::rename(&self.temp.path, &self.target).with_context(|| {
            format!(
                "cannot move the finished output to {}",
                self.target.display()
            )
        })?;
        self.temp.keep();
        Ok(())
    }
}

/// A `csv::Writer` for a CSV for people: `,`, `\n`, and no quoting of its own — every text
/// field goes through [`urval_report::xlsx::csv_text`] first, which neutralises formulas
/// and quotes a `;` too; numbers need neither.
pub fn people_csv<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Never)
        .from_writer(w)
}

/// A path's extension in lower case ("" when it has none).
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Write bytes atomically.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.writer().write_all(bytes)?;
    f.commit()
}

/// Pretty JSON plus a trailing newline.
///
/// # Errors
/// The value cannot be serialized.
pub fn to_json_text<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(v)?))
}

/// Write a value as pretty JSON (with a trailing newline) atomically.
pub fn write_json<T: serde::Serialize + ?Sized>(target: &Path, value: &T) -> Result<()> {
    write_atomic(target, to_json_text(value)?.as_bytes())
}

/// The time outputs record: `SOURCE_DATE_EPOCH` (seconds) when set, so that a rebuild
/// writes identical files, else the system clock; as an RFC 3339 UTC timestamp. Callers
/// that fix the time (`urval run`: the newest input's modification time) pass their own.
pub fn now_utc() -> String {
    let env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok());
    rfc3339(env.unwrap_or_else(wall_clock_secs))
}

/// Seconds since 1970 by the system clock.
pub fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The calendar date (`YYYY-MM-DD`) in Sweden at `secs` since the epoch: UTC+1, and UTC+2
/// in summer time, from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October (the EU rule, Directive 2000/84/EC).
pub fn stockholm_date(secs: i64) -> String {
    let (y, m, d, _, _) = stockholm_local(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The local date and time in Sweden (year, month, day, hour, minute) at `secs` since the
/// epoch, by the rule of [`stockholm_date`].
pub fn stockholm_local(secs: i64) -> (i64, u32, u32, i64, i64) {
    let last_sunday = |y: i64, m: u32| -> i64 {
        let last = urval_ingest::parse_date(&format!("{y:04}-{m:02}-31")).map_or(0, i64::from);
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on a Sunday.
        last - (last + 4).rem_euclid(7)
    };
    let (y, _, _) = urval_ingest::civil_from_days(secs.div_euclid(86_400));
    let summer_from = last_sunday(y, 3) * 86_400 + 3_600;
    let summer_to = last_sunday(y, 10) * 86_400 + 3_600;
    let offset = if (summer_from..summer_to).contains(&secs) {
        7_200
    } else {
        3_600
    };
    let local = secs + offset;
    let (y, m, d) = urval_ingest::civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    (y, m, d, s / 3600, s % 3600 / 60)
}

/// Seconds since 1970 of an RFC 3339 UTC timestamp as [`rfc3339`] writes it
/// (`YYYY-MM-DDTHH:MM:SSZ`); `None` for any other text.
pub fn parse_rfc3339(t: &str) -> Option<i64> {
    let days = i64::from(urval_ingest::parse_date(t.get(..10)?)?);
    let rest = t.get(10..)?;
    let b = rest.as_bytes();
    if b.len() != 10 || b[0] != b'T' || b[3] != b':' || b[6] != b':' || b[9] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| rest.get(r)?.parse::<i64>().ok();
    let (h, m, s) = (num(1..3)?, num(4..6)?, num(7..9)?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// Seconds since 1970 as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = urval_ingest::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// A fingerprint as 32 hex digits.
pub fn hex128(v: u128) -> String {
    format!("{v:032x}")
}

/// XXH3-128 of a file's bytes, as hex (for the plan file in a manifest's sidecar).
pub fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex128(xxhash_rust::xxh3::xxh3_128(&bytes)))
}

/// Read the secret of `--secret-file` (surrounding white space trimmed) as a pseudonymizer.
pub fn read_secret(path: &Path) -> Result<urval_ingest::personal::Pseudonymizer> {
    let secret = std::fs::read(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    urval_ingest::personal::Pseudonymizer::new(secret.trim_ascii()).ok_or_else(|| {
        ArtifactError::ShortSecret {
            path: path.to_path_buf(),
        }
        .into()
    })
}

/// Parse `--check` rules.
pub fn parse_checks(rules: &[String]) -> Result<Vec<urval_ingest::Filter>> {
    rules
        .iter()
        .map(|r| {
            urval_ingest::Filter::parse(r).map_err(|e| match e {
                urval_ingest::IngestError::Filter { reason, .. } => ArtifactError::BadCheck {
                    rule: r.clone(),
                    reason,
                }
                .into(),
                other => other.into(),
            })
        })
        .collect()
}

/// Per-file row counts as JSON: the file's name (not its path: sidecars and indicator
/// metadata leave the analyst's machine), bytes, rows read, used, excluded and quarantined.
pub fn files_json(extract: &Extract, counts: &[urval_ingest::FileCounts]) -> serde_json::Value {
    extract
        .files
        .iter()
        .zip(counts)
        .map(|(f, n)| {
            serde_json::json!({"path": file_name(&f.path), "bytes": f.size,
                "encoding": f.encoding().map(|e| e.name()),
                "rows_read": n.rows_read, "rows_used": n.rows_used,
                "rows_excluded": n.rows_excluded, "rows_quarantined": n.rows_quarantined})
        })
        .collect()
}

/// A file beside an output, named by the output's stem: `beside("out/plan.json",
/// "quarantine.csv", "output")` is `out/plan.quarantine.csv` (`fallback` when the output has
/// no stem).
pub fn beside(output: &Path, suffix: &str, fallback: &str) -> PathBuf {
    let stem = output
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(fallback);
    output.with_file_name(format!("{stem}.{suffix}"))
}

/// The quarantine file next to an output: `plan.json` → `plan.quarantine.csv`.
pub fn quarantine_path(output: &Path) -> PathBuf {
    beside(output, "quarantine.csv", "output")
}

/// Write the quarantine file (source file, row, reason, raw row) when there are rows, and
/// remove a stale one when there are none. Returns the path when written.
pub fn write_quarantine(
    output: &Path,
    extract: &Extract,
    rows: &[QuarantineRecord],
) -> Result<Option<PathBuf>> {
    let path = quarantine_path(output);
    if rows.is_empty() {
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove stale {}", path.display()))?;
        }
        return Ok(None);
    }
    let mut f = AtomicFile::create(&path)?;
    {
        let mut w = people_csv(f.writer());
        w.write_record(["source_file", "row", "reason", "raw"])?;
        for r in rows {
            let file = extract
                .files
                .get(r.file)
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            // The last line of defence: a personnummer left in a reason or a raw line (a
            // shifted row, a column not marked personal) is masked here.
            // Text from the extract is neutralised against formula injection too, and
            // quoted when it holds `,` or `;`: the quarantine file is opened in spreadsheets.
            let cell = |s: &str| urval_report::xlsx::csv_text(s).into_owned();
            w.write_record([
                cell(&file),
                r.row.to_string(),
                cell(&urval_ingest::personal::redact(&r.reason)),
                cell(&urval_ingest::personal::redact(&r.raw)),
            ])?;
        }
        w.flush()?;
    }
    f.commit()?;
    Ok(Some(path))
}

/// The error for a `--where` that kept no rows: the reconciliation line, then for each
/// column the filter compares with text the values it really holds (the ten most frequent,
/// with counts) and, for a constant that is not among them, the nearest value present
/// (`'aldre'` → did you mean `'äldre'`?).
pub fn nothing_kept(
    extract: &Extract,
    filter: &urval_ingest::Filter,
    counts: &urval_ingest::FileCounts,
) -> ArtifactError {
    let mut msg = String::new();
    let constants = filter.text_constants();
    let columns: Vec<String> = constants.iter().map(|(c, _)| c.clone()).collect();
    if let Ok(values) = urval_ingest::explain::value_counts(extract, &columns) {
        for (vc, (_, wanted)) in values.iter().zip(&constants) {
            let shown: Vec<String> = vc
                .values
                .iter()
                .take(10)
                .map(|(v, c)| format!("'{v}' ({})", thousands(*c)))
                .collect();
            let more = vc.values.len().saturating_sub(10);
            msg.push_str(&format!(
                "\n  {:?} holds {}{}",
                vc.column,
                if shown.is_empty() {
                    "no values".to_string()
                } else {
                    shown.join(", ")
                },
                if more > 0 {
                    format!(" and {more} more values")
                } else {
                    String::new()
                }
            ));
            for w in wanted {
                if let Some(n) = urval_ingest::explain::nearest(w, &vc.values) {
                    msg.push_str(&format!("\n  '{w}' is not there: did you mean '{n}'?"));
                }
            }
        }
    }
    ArtifactError::NothingKept {
        filter: filter.text().to_string(),
        reconciliation: reconciliation(
            counts.rows_read,
            counts.rows_used,
            counts.rows_excluded,
            counts.rows_quarantined,
        ),
        values: msg,
    }
}

/// For a filter that matches no row: the first of its text constants that is not a value
/// of its column, with the nearest value that is ("'barn_ung' is not a value of \"area\":
/// did you mean 'barn_unga'?"), in one line; None when every constant occurs.
pub fn missing_value_hint(extract: &Extract, filter: &urval_ingest::Filter) -> Option<String> {
    let constants = filter.text_constants();
    let columns: Vec<String> = constants.iter().map(|(c, _)| c.clone()).collect();
    let values = urval_ingest::explain::value_counts(extract, &columns).ok()?;
    for (vc, (_, wanted)) in values.iter().zip(&constants) {
        for w in wanted {
            if vc.values.iter().any(|(v, _)| v == w) {
                continue;
            }
            return Some(match urval_ingest::explain::nearest(w, &vc.values) {
                Some(n) => format!(
                    "'{w}' is not a value of {:?}: did you mean '{n}'?",
                    vc.column
                ),
                None => format!("'{w}' is not a value of {:?}", vc.column),
            });
        }
    }
    None
}

/// A path's file name as text ("" when it has none): what outputs that leave the analyst's
/// machine (spreadsheets, messages about rows) show instead of an absolute path.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The file name of an extract's file by its index ("" when there is none).
pub fn extract_file_name(extract: &Extract, i: usize) -> String {
    extract
        .files
        .get(i)
        .map_or_else(String::new, |f| file_name(&f.path))
}

/// Whether two paths are the same file (the same device and inode, so a hard link or
/// another spelling of the path counts too); false when either does not exist.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => a.canonicalize().ok() == b.canonicalize().ok(),
        _ => false,
    }
}

/// Refuse to write an output over an input: `outputs` (the file and the files beside it)
/// against every file of the extract and the other `inputs` (plan, manifest, spec).
///
/// # Errors
/// An output is, or is a hard link to, an input.
pub fn refuse_overwriting_inputs(
    outputs: &[PathBuf],
    extract: &Extract,
    inputs: &[&Path],
) -> Result<()> {
    let all: Vec<&Path> = extract
        .files
        .iter()
        .map(|f| f.path.as_path())
        .chain(inputs.iter().copied())
        .collect();
    for o in outputs {
        if let Some(i) = all.iter().find(|i| same_file(o, i)) {
            return Err(ArtifactError::OutputIsInput {
                output: o.clone(),
                input: i.to_path_buf(),
            }
            .into());
        }
    }
    Ok(())
}

/// Refuse to go on when more than `max_quarantine` (`--max-quarantine`) of the rows read were quarantined
/// (`records` may hold more than the quarantined rows: an indicator's invalid values):
/// write the quarantine file next to `output` (the evidence) and return an error naming
/// the three most frequent reasons with their counts, the first row of each, and what to
/// do (a hint by the kind of reason).
///
/// # Errors
/// The threshold is passed, or the quarantine file cannot be written.
pub fn check_quarantine(
    max_quarantine: f64,
    output: &std::path::Path,
    extract: &Extract,
    rows_read: u64,
    quarantined: u64,
    records: &[urval_ingest::QuarantineRecord],
) -> Result<()> {
    if quarantined == 0 || quarantined as f64 <= max_quarantine * rows_read as f64 {
        return Ok(());
    }
    let qpath = write_quarantine(output, extract, records)?;
    let mut msg = String::new();
    let mut hints: Vec<&str> = Vec::new();
    for s in urval_ingest::summarize_quarantine(records, 3) {
        let file = extract_file_name(extract, s.first.0);
        msg.push_str(&format!(
            "\n  {} rows: {} (first: {file} row {})",
            thousands(s.count),
            s.kind,
            s.first.1
        ));
        let hint = if s.kind.contains("not valid UTF-8") {
            "the file is not UTF-8: give --encoding windows-1252 (or leave --encoding auto)"
        } else if s.kind.contains("wrong number of fields") {
            "check the delimiter (--delimiter ';' or ',') and the quoting of fields"
        } else if s.kind.contains("empty key") || s.kind.contains("empty stratum") {
            "rows without a key or stratum value cannot be sampled: complete them, or leave them out with --where"
        } else if s.kind.contains("not a number") || s.kind.contains("date") {
            "check the column's format (decimal comma, YYYY-MM-DD dates)"
        } else {
            ""
        };
        if !hint.is_empty() && !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    if let Some(q) = qpath {
        msg.push_str(&format!("\n  every quarantined row: {}", q.display()));
    }
    for h in hints {
        msg.push_str(&format!("\n  hint: {h}"));
    }
    Err(ArtifactError::TooManyQuarantined {
        quarantined,
        rows_read,
        max_quarantine,
        reasons: msg,
    }
    .into())
}

/// A small CSV table a person made (a requested-file, an indicators table): its header and a
/// reader over its records, decoded to UTF-8 from whatever encoding it is in (UTF-8,
/// UTF-16 by its byte-order mark, else Windows-1252), `,` or `;` detected.
pub fn csv_table(path: &Path) -> Result<CsvTable> {
    let enc = urval_ingest::encoding::detect(path, urval_ingest::EncodingChoice::Auto)?;
    let (header, delimiter) = urval_ingest::csv_header(path, None, enc)?;
    let rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(urval_ingest::encoding::open_utf8(path, enc)?);
    Ok((header, delimiter, rdr))
}

/// A CSV table's header, delimiter and record reader: see [`csv_table`].
pub type CsvTable = (Vec<String>, u8, csv::Reader<Box<dyn std::io::Read + Send>>);

/// Resolve an extract from the settings a person gives (command-line flags or a pipeline
/// file): `delimiter` one ASCII character (`flag` names it in the message), `encoding` a
/// name [`urval_ingest::EncodingChoice::parse`] knows, the sheet of spreadsheets, and
/// whether a directory may leave unknown file types out.
///
/// # Errors
/// A bad delimiter or encoding, or an extract that cannot be resolved.
pub fn open_extract(
    paths: &[String],
    delimiter: Option<&str>,
    flag: &str,
    encoding: &str,
    sheet: Option<String>,
    skip_unknown: bool,
) -> Result<Extract> {
    let delimiter = match delimiter {
        Some(d) => Some(
            d.bytes()
                .next()
                .filter(|b| d.len() == 1 && b.is_ascii())
                .ok_or_else(|| ArtifactError::BadDelimiter {
                    flag: flag.to_string(),
                })?,
        ),
        None => None,
    };
    let choice = urval_ingest::EncodingChoice::parse(encoding).ok_or_else(|| {
        ArtifactError::UnknownEncoding {
            given: encoding.to_string(),
        }
    })?;
    Ok(Extract::resolve_opts(paths, delimiter, choice, skip_unknown)?.with_sheet(sheet))
}

/// How values are read in every scan of an extract, from the shared options:
/// `--date-format COL=FORMAT` (repeatable), `--municipality-column COL` (repeatable) and
/// `--keep-unknown-municipalities`.
///
/// # Errors
/// A date format that is not `COL=FORMAT` with a known format, or a column given two.
pub fn reading(
    date_formats: &[String],
    municipality_columns: &[String],
    keep_unknown_municipalities: bool,
) -> Result<urval_ingest::Reading> {
    use urval_ingest::dates::{DateFormat, DATE_FORMATS};
    let known = || {
        DATE_FORMATS
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut formats: Vec<(String, DateFormat)> = Vec::new();
    for given in date_formats {
        let Some((col, name)) = given.rsplit_once('=') else {
            return Err(ArtifactError::DateFormatShape {
                given: given.clone(),
                known: known(),
            }
            .into());
        };
        let col = col.trim();
        let Some(f) = DateFormat::from_name(name) else {
            return Err(ArtifactError::UnknownDateFormat {
                given: given.clone(),
                name: name.to_string(),
                known: known(),
            }
            .into());
        };
        if col.is_empty() {
            return Err(ArtifactError::DateFormatNoColumn {
                given: given.clone(),
            }
            .into());
        }
        if formats.iter().any(|(c, _)| c == col) {
            return Err(ArtifactError::DateFormatTwice {
                column: col.to_string(),
            }
            .into());
        }
        formats.push((col.to_string(), f));
    }
    Ok(urval_ingest::Reading {
        check_municipality_names: true,
        date_formats: formats,
        municipality_columns: municipality_columns.to_vec(),
        keep_unknown_municipalities,
    })
}

/// A table file (Parquet, CSV or JSON rows) as rows of column → text.
pub fn read_rows(path: &Path) -> Result<Vec<BTreeMap<String, String>>> {
    let ext = crate::files::extension(path);
    match ext.as_str() {
        "json" => {
            let v: Value = serde_json::from_str(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            )
            .with_context(|| format!("{}: not JSON", path.display()))?;
            let Some(rows) = v.as_array() else {
                return Err(ArtifactError::NotAnIndicatorsFile {
                    path: path.to_path_buf(),
                }
                .into());
            };
            Ok(rows
                .iter()
                .filter_map(|r| r.as_object())
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            let text = match v {
                                Value::Null => String::new(),
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), text)
                        })
                        .collect()
                })
                .collect())
        }
        "csv" => {
            let (header, delimiter, mut rdr) = crate::files::csv_table(path)?;
            let mut out = Vec::new();
            for rec in rdr.records() {
                let rec = rec.with_context(|| format!("{}: not a CSV", path.display()))?;
                out.push(
                    header
                        .iter()
                        .map(|h| h.trim_start_matches('\u{feff}').to_string())
                        .zip(rec.iter().map(|v| {
                            // Decimal commas (the excel-sv dialect) become points.
                            if delimiter == b';' {
                                v.replace(',', ".")
                            } else {
                                v.to_string()
                            }
                        }))
                        .collect(),
                );
            }
            Ok(out)
        }
        "parquet" => {
            let f = std::fs::File::open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                .with_context(|| format!("{}: not a Parquet file", path.display()))?
                .build()?;
            let mut out = Vec::new();
            for batch in reader {
                let batch: RecordBatch = batch?;
                let opts = arrow_cast::display::FormatOptions::default().with_null("");
                let schema = batch.schema();
                let fmts = batch
                    .columns()
                    .iter()
                    .map(|c| arrow_cast::display::ArrayFormatter::try_new(c.as_ref(), &opts))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                for r in 0..batch.num_rows() {
                    out.push(
                        schema
                            .fields()
                            .iter()
                            .zip(&fmts)
                            .map(|(f, fm)| (f.name().clone(), fm.value(r).to_string()))
                            .collect(),
                    );
                }
            }
            Ok(out)
        }
        _ => Err(ArtifactError::IndicatorsFileType {
            path: path.to_path_buf(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_errors_are_typed_with_their_fields() {
        let e = reading(
            &[
                "inledd_datum=DD/MM/YYYY".into(),
                " inledd_datum =iso".into(),
            ],
            &[],
            false,
        )
        .unwrap_err();
        assert!(
            matches!(e.typed::<ArtifactError>(), Some(ArtifactError::DateFormatTwice { column }) if column == "inledd_datum"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "--date-format: column \"inledd_datum\" is given twice: give it one format"
        );
        let e = reading(&["d=nonsense".into()], &[], false).unwrap_err();
        assert!(
            matches!(e.typed::<ArtifactError>(), Some(ArtifactError::UnknownDateFormat { given, name, .. }) if given == "d=nonsense" && name == "nonsense"),
            "{e:?}"
        );
        let e = AtomicFile::create(Path::new("/no/such/dir/out.csv"))
            .err()
            .unwrap();
        assert!(
            matches!(e.typed::<ArtifactError>(), Some(ArtifactError::NoOutputDirectory { dir }) if dir == Path::new("/no/such/dir")),
            "{e:?}"
        );
    }

    #[test]
    fn date_formats_are_given_per_column() {
        use urval_ingest::dates::DateFormat;
        let r = reading(
            &["inledd_datum=DD/MM/YYYY".into(), "a=b=yyyymmdd".into()],
            &["kod".into()],
            true,
        )
        .unwrap();
        assert_eq!(
            r.date_formats,
            vec![
                ("inledd_datum".to_string(), DateFormat::DayMonthSlash),
                ("a=b".to_string(), DateFormat::Compact)
            ]
        );
        assert!(r.keep_unknown_municipalities);
        for bad in ["inledd_datum", "x=DD-MM-YYYY", "=excel"] {
            assert!(reading(&[bad.into()], &[], false).is_err(), "{bad}");
        }
        let e = reading(&["x=excel".into(), "x=YYYYMMDD".into()], &[], false).unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
    }

    #[test]
    fn the_swedish_date_follows_summer_time() {
        // 2026-03-29 is the last Sunday of March; summer time from 01:00 UTC.
        let day = |s: &str| i64::from(urval_ingest::parse_date(s).unwrap()) * 86_400;
        assert_eq!(
            stockholm_date(day("2026-03-28") + 23 * 3_600 + 30 * 60),
            "2026-03-29"
        ); // 00:30 CET
        assert_eq!(
            stockholm_date(day("2026-06-30") + 22 * 3_600 + 30 * 60),
            "2026-07-01"
        ); // 00:30 CEST
        assert_eq!(
            stockholm_date(day("2026-06-30") + 21 * 3_600 + 30 * 60),
            "2026-06-30"
        ); // 23:30 CEST
        assert_eq!(
            stockholm_date(day("2026-11-24") + 22 * 3_600 + 59 * 60),
            "2026-11-24"
        ); // 23:59 CET
        assert_eq!(stockholm_date(day("2026-11-24") + 23 * 3_600), "2026-11-25"); // 00:00 CET
                                                                                  // 2026-10-25, the last Sunday of October: 00:30 UTC is 02:30 CEST, 01:30 UTC 02:30 CET.
        assert_eq!(stockholm_date(day("2026-10-24") + 22 * 3_600), "2026-10-25");
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(19_723 * 86_400 + 3_661), "2024-01-01T01:01:01Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn atomic_file_leaves_target_intact_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.writer().write_all(b"new but unfinished").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }
}
