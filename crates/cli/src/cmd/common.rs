//! Arguments shared by the commands that read extracts.

use anyhow::{Context, Result};
use clap::Args;
use urval_ingest::Extract;

/// Where the extract is.
#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// The extract: Parquet, CSV or Arrow IPC files, directories (read recursively) or
    /// globs; repeat the flag or give several values.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub extract: Vec<String>,
    /// CSV delimiter (default: `,` or `;`, detected from each header).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<char>,
}

impl ExtractArgs {
    /// Resolve the files.
    pub fn resolve(&self) -> Result<Extract> {
        let delimiter = match self.delimiter {
            Some(c) => Some(
                u8::try_from(c)
                    .ok()
                    .filter(u8::is_ascii)
                    .context("--delimiter must be one ASCII character")?,
            ),
            None => None,
        };
        Ok(Extract::resolve(&self.extract, delimiter)?)
    }
}

/// Parse `a,b,c` into trimmed non-empty names.
pub fn split_names(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}
