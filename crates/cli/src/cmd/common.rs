//! Arguments shared by the commands that read extracts.

use anyhow::Result;
use clap::Args;
use urval_ingest::Extract;

/// Where the extract is.
#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// The extract: Parquet, CSV, Arrow IPC or spreadsheet (.xlsx, .xls, .ods) files,
    /// directories (read recursively) or globs; repeat the flag or give several values.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub extract: Vec<String>,
    /// CSV delimiter (default: `,` or `;`, detected from each header).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<char>,
    /// CSV text encoding: auto (UTF-16 by its byte-order mark, UTF-8 when the whole file is
    /// valid UTF-8, else Windows-1252), utf-8, windows-1252, iso-8859-1 or utf-16. Values are
    /// decoded to UTF-8 before anything else, so a key draws the same whatever the encoding.
    #[arg(long, value_name = "ENC", default_value = "auto")]
    pub encoding: String,
    /// The sheet to read in spreadsheet extracts (.xlsx, .xls, .ods; default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// In an extract directory, leave out files of an unknown type (listed in the output)
    /// instead of stopping.
    #[arg(long)]
    pub skip_unknown: bool,
    /// Read column COL's dates in FORMAT: YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY, MM/DD/YYYY,
    /// D.M.YYYY or excel (serial numbers); ISO dates are read too, and a value in neither
    /// is quarantined. Without it a text column the command reads is read as dates when
    /// every value is one (slashes day first only when a day above 12 shows it). Repeat per
    /// column.
    #[arg(long, value_name = "COL=FORMAT")]
    pub date_format: Vec<String>,
    /// A column of municipality codes to check against the 290 municipalities, besides
    /// those named like one (kommunkod, kommun_kod, municipality_code, …); a row with
    /// another code is quarantined with why. Repeatable.
    #[arg(long, value_name = "COL")]
    pub municipality_column: Vec<String>,
    /// Keep a value that is no municipality code as its own stratum, with a warning,
    /// instead of quarantining its rows.
    #[arg(long)]
    pub keep_unknown_municipalities: bool,
}

impl ExtractArgs {
    /// Resolve the files.
    pub fn resolve(&self) -> Result<Extract> {
        if self.extract.is_empty() {
            anyhow::bail!("give the extract: --extract PATH (files, directories or globs)");
        }
        let reading = urval_ops::files::reading(
            &self.date_format,
            &self.municipality_column,
            self.keep_unknown_municipalities,
        )?;
        Ok(urval_ops::files::open_extract(
            &self.extract,
            self.delimiter.map(String::from).as_deref(),
            "--delimiter",
            &self.encoding,
            self.sheet.clone(),
            self.skip_unknown,
        )?
        .with_reading(reading))
    }
}

/// Parse `a,b,c` into trimmed non-empty names.
pub fn split_names(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// The quarantine threshold of the commands that plan, draw or compute indicators.
#[derive(Debug, Clone, Args)]
pub struct QuarantineArgs {
    /// The most rows that may be quarantined, as a share of the rows read (`1%`, `0.01`);
    /// above it the command writes its quarantine file but not its output, names the three
    /// most frequent reasons and exits 2. `100%` accepts any quarantine.
    #[arg(long, value_name = "RATE", default_value = "1%", value_parser = crate::format::parse_rate)]
    pub max_quarantine: f64,
}

/// The letter's fields of a report, and of the letters of `urval draw --split-by`.
#[derive(Debug, Clone, Args)]
pub struct LetterArgs {
    /// The purpose in words, shown first under "Syfte" (the population filter stays in the
    /// method section)
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// The case number (diarienummer)
    #[arg(long, value_name = "TEXT")]
    pub case_number: Option<String>,
    /// The sender
    #[arg(long, value_name = "TEXT")]
    pub sender: Option<String>,
    /// The date, YYYY-MM-DD (default: today in Sweden), written `24 november 2026`
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// The date by which the records are asked for, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub deadline: Option<String>,
}
