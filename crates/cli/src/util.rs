//! Shared plumbing of the commands: the progress bar and the encoding line.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use urval_ingest::Extract;

pub use urval_ops::files::extension;

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

/// The line that lists the files an extract directory left out, and why.
pub fn skipped_line(extract: &Extract) -> Option<String> {
    if extract.skipped.is_empty() {
        return None;
    }
    let listed: Vec<String> = extract
        .skipped
        .iter()
        .take(10)
        .map(|(p, why)| format!("{} ({why})", urval_ops::files::file_name(p)))
        .collect();
    let more = extract.skipped.len().saturating_sub(10);
    Some(format!(
        "  {} files left out of the extract: {}{}",
        extract.skipped.len(),
        listed.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// The line that says which encoding the CSV files were read in, when it is worth saying:
/// some file is not UTF-8, or `--encoding` was given.
pub fn encoding_line(extract: &Extract) -> Option<String> {
    let mut names: Vec<&str> = extract
        .files
        .iter()
        .filter_map(|f| f.encoding().map(|e| e.name()))
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
