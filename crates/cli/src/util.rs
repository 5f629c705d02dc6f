//! Shared plumbing of the commands: the progress bar, the output time, small CSV tables
//! people made, and (re-exported) the file helpers of `urval_ops::files`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use urval_ingest::Extract;

pub use urval_ops::files::{extension, hex128, rfc3339, write_atomic, write_json};

static FIXED_TIME: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);

/// Fix the time that [`now_utc`] reports for what this process writes into its outputs
/// (`urval run` sets it to the newest input's modification time, so that a rerun over
/// unchanged inputs writes identical files). `SOURCE_DATE_EPOCH` (seconds) does the same
/// from the environment.
pub fn fix_output_time(secs: i64) {
    FIXED_TIME.store(secs, std::sync::atomic::Ordering::Relaxed);
}

/// The output time: the fixed time ([`fix_output_time`]) or [`urval_ops::files::now_utc`].
pub fn now_utc() -> String {
    let fixed = FIXED_TIME.load(std::sync::atomic::Ordering::Relaxed);
    if fixed != i64::MIN {
        rfc3339(fixed)
    } else {
        urval_ops::files::now_utc()
    }
}

/// The wall-clock time as an RFC 3339 UTC timestamp, whatever [`fix_output_time`] says
/// (for logs and the run manifest's start and end).
pub fn wall_clock_utc() -> String {
    rfc3339(urval_ops::files::wall_clock_secs())
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
