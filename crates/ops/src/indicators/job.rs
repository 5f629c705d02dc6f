//! What `urval indicators` is asked to do: the job the command and the pipeline's step
//! both build, and its defaults.

use std::path::PathBuf;
use urval_indicators::estimate::Nonresponse;
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

/// What to compute and where to write it.
#[derive(Debug, Clone)]
pub struct IndicatorsJob {
    /// The indicator spec (TOML).
    pub spec: PathBuf,
    /// Group by these columns (a `total` row per indicator is always written).
    pub by: Vec<String>,
    /// Age bands, `0-17,18-64,65-79,80-` (the age from `age`).
    pub age_bands: Option<String>,
    /// The age of a record, as an expression.
    pub age: String,
    /// The record key column (default: the manifest's key; a census without one reads no key).
    pub key: Option<String>,
    /// A manifest from a draw (with its sidecar): estimate from the sample.
    pub manifest: Option<PathBuf>,
    /// Only rows where this expression is true.
    pub where_: Option<String>,
    /// Data rules: a row where one is FALSE is quarantined.
    pub checks: Vec<String>,
    /// Census: intervals too.
    pub ci: bool,
    /// The confidence level of the intervals.
    pub confidence: f64,
    /// The table: `.csv`, `.parquet`, `.json` or `.xlsx`.
    pub output: PathBuf,
    /// How a `.csv` table is written.
    pub csv_dialect: CsvDialect,
    /// The language of a spreadsheet table.
    pub lang: Lang,
    /// How a design stratum with no responding record enters the estimates.
    pub nonresponse: Nonresponse,
    /// Census: accept an indicator whose `where` keeps no record.
    pub allow_empty: bool,
    /// Columns whose values never appear in messages or quarantine files.
    pub personal: Vec<String>,
    /// The secret of a pseudonymized manifest.
    pub secret_file: Option<PathBuf>,
    /// The most rows that may be quarantined, as a share of the rows read.
    pub max_quarantine: f64,
    /// The most groups the `by` columns may make ([`DEFAULT_MAX_GROUPS`]): a clear error
    /// before memory runs out on a key-like column.
    pub max_groups: u64,
    /// Small-cell suppression: a cell with a count between 1 and this minus one is withheld,
    /// with the further cells that keep it from being recomputed
    /// ([`urval_indicators::suppress`]); 0 writes every cell, marked not for publication.
    pub suppress_below: u64,
}

/// The default of [`IndicatorsJob::suppress_below`] for tables that leave the analyst's
/// machine: 5, as Swedish official statistics commonly use for counts of people.
pub const DEFAULT_SUPPRESS_BELOW: u64 = 5;

/// The default of [`IndicatorsJob::max_groups`]: a million groups, a few hundred MB of
/// tallies for the shipped spec.
pub const DEFAULT_MAX_GROUPS: u64 = 1_000_000;
