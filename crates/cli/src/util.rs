//! Shared plumbing for the commands that read extracts and write files: atomic outputs,
//! UTC timestamps, fingerprints, the progress bar and the quarantine file.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use urval_ingest::{Extract, QuarantineRecord};

/// A file written under a temporary name in the target directory and renamed over the
/// target on [`AtomicFile::commit`]; dropped without commit, the temporary file is removed
/// and the previous output stays intact.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Start writing `target`.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            anyhow::bail!("{}: the output directory does not exist", dir.display());
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not a file name", target.display()))?;
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
        let file =
            File::create(&temp).with_context(|| format!("cannot write in {}", dir.display()))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("the writer is present until commit consumes the AtomicFile")
    }

    /// Flush, sync and rename over the target.
    pub fn commit(mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            let file = w
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("writing {}", self.target.display()))?;
            file.sync_all()
                .with_context(|| format!("writing {}", self.target.display()))?;
        }
        std::fs::rename(&self.temp, &self.target).with_context(|| {
            format!(
                "cannot move the finished output to {}",
                self.target.display()
            )
        })?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
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
    f.writer()
        .write_all(bytes)
        .with_context(|| format!("writing {}", target.display()))?;
    f.commit()
}

pub use urval_ingest::civil_from_days;

static FIXED_TIME: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);

/// Fix the time that [`now_utc`] reports for what this process writes into its outputs
/// (`urval run` sets it to the newest input's modification time, so that a rerun over
/// unchanged inputs writes identical files). `SOURCE_DATE_EPOCH` (seconds) does the same
/// from the environment.
pub fn fix_output_time(secs: i64) {
    FIXED_TIME.store(secs, std::sync::atomic::Ordering::Relaxed);
}

/// Write a value as pretty JSON (with a trailing newline) atomically.
pub fn write_json<T: serde::Serialize + ?Sized>(target: &Path, value: &T) -> Result<()> {
    write_atomic(target, crate::format::to_json_text(value)?.as_bytes())
}

/// The current time as an RFC 3339 UTC timestamp (seconds), or the fixed time
/// ([`fix_output_time`], `SOURCE_DATE_EPOCH`).
pub fn now_utc() -> String {
    let fixed = FIXED_TIME.load(std::sync::atomic::Ordering::Relaxed);
    let env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let secs = if fixed != i64::MIN {
        fixed
    } else if let Some(s) = env {
        s
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    rfc3339(secs)
}

/// The wall-clock time as an RFC 3339 UTC timestamp, whatever [`fix_output_time`] says
/// (for logs and the run manifest's start and end).
pub fn wall_clock_utc() -> String {
    rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    )
}

/// Seconds since 1970 as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
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

/// A progress bar on stderr counting rows, hidden when stderr is not a terminal.
pub fn progress_bar(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} rows ({per_sec}) {elapsed}")
    {
        pb.set_style(style);
    }
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Read the secret of `--secret-file` (surrounding white space trimmed) as a pseudonymizer.
pub fn read_secret(path: &Path) -> Result<urval_ingest::personal::Pseudonymizer> {
    let secret = std::fs::read(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    urval_ingest::personal::Pseudonymizer::new(secret.trim_ascii())
        .with_context(|| format!("{}: the secret must be at least 16 bytes", path.display()))
}

/// Parse `--check` rules.
pub fn parse_checks(rules: &[String]) -> Result<Vec<urval_ingest::Filter>> {
    rules
        .iter()
        .map(|r| {
            urval_ingest::Filter::parse(r).map_err(|e| match e {
                urval_ingest::IngestError::Filter { reason, .. } => {
                    anyhow::anyhow!("--check {r:?}: {reason}")
                }
                other => other.into(),
            })
        })
        .collect()
}

/// Per-file row counts as JSON: path, bytes, rows read, used, excluded and quarantined.
pub fn files_json(extract: &Extract, counts: &[urval_ingest::FileCounts]) -> serde_json::Value {
    extract
        .files
        .iter()
        .zip(counts)
        .map(|(f, n)| {
            serde_json::json!({"path": f.path.display().to_string(), "bytes": f.size,
                "encoding": f.encoding.map(|e| e.name()),
                "rows_read": n.rows_read, "rows_used": n.rows_used,
                "rows_excluded": n.rows_excluded, "rows_quarantined": n.rows_quarantined})
        })
        .collect()
}

/// The quarantine file next to an output: `plan.json` → `plan.quarantine.csv`.
pub fn quarantine_path(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("output");
    output.with_file_name(format!("{stem}.quarantine.csv"))
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
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record(["source_file", "row", "reason", "raw"])?;
        for r in rows {
            let file = extract
                .files
                .get(r.file)
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            w.write_record([file.as_str(), &r.row.to_string(), &r.reason, &r.raw])?;
        }
        w.flush()?;
    }
    f.commit()?;
    Ok(Some(path))
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

/// The line that says which encoding the CSV files were read in, when it is worth saying:
/// some file is not UTF-8, or `--encoding` was given.
pub fn encoding_line(extract: &Extract) -> Option<String> {
    let mut names: Vec<&str> = extract
        .files
        .iter()
        .filter_map(|f| f.encoding.map(|e| e.name()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let explicit = extract.encoding != urval_ingest::EncodingChoice::Auto;
    if names.is_empty() || (!explicit && names == ["utf-8"]) {
        return None;
    }
    Some(format!(
        "  CSV read as {} ({})",
        names.join(", "),
        if explicit { "--encoding" } else { "detected" }
    ))
}

/// The error for a `--where` that kept no rows: the reconciliation line, then for each
/// column the filter compares with text the values it really holds (the ten most frequent,
/// with counts) and, for a constant that is not among them, the nearest value present
/// (`'aldre'` → did you mean `'äldre'`?).
pub fn nothing_kept(
    extract: &Extract,
    filter: &urval_ingest::Filter,
    counts: &urval_ingest::FileCounts,
) -> anyhow::Error {
    let mut msg = format!(
        "--where {:?} keeps no rows:\n{}",
        filter.text(),
        crate::format::reconciliation(
            counts.rows_read,
            counts.rows_used,
            counts.rows_excluded,
            counts.rows_quarantined
        )
    );
    let constants = filter.text_constants();
    let columns: Vec<String> = constants.iter().map(|(c, _)| c.clone()).collect();
    if let Ok(values) = urval_ingest::explain::value_counts(extract, &columns) {
        for (vc, (_, wanted)) in values.iter().zip(&constants) {
            let shown: Vec<String> = vc
                .values
                .iter()
                .take(10)
                .map(|(v, c)| format!("'{v}' ({})", crate::format::thousands(*c)))
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
    anyhow::anyhow!(msg)
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
            anyhow::bail!(
                "{}: that is an input ({}); write the output to another file",
                o.display(),
                i.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
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
