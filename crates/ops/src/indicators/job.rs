//! What `urval indicators` is asked to do: the job the command builds and the pipeline's
//! step is read into, and its defaults.

use crate::setting;
use serde::Deserialize;
use std::path::PathBuf;
use urval_indicators::estimate::Nonresponse;
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

/// What to compute and where to write it. A pipeline's `indicators` step is read into it
/// (serde, the forms of [`crate::setting`]): its keys are the fields read; the output,
/// the personal columns and the quarantine threshold come from the step's extract settings
/// and output.
#[derive(Debug, Clone, Deserialize)]
pub struct IndicatorsJob {
    /// The indicator spec (TOML).
    #[serde(deserialize_with = "setting::path")]
    pub spec: PathBuf,
    /// Group by these columns (a `total` row per indicator is always written).
    #[serde(default, deserialize_with = "setting::names")]
    pub by: Vec<String>,
    /// Age bands, `0-17,18-64,65-79,80-` (the age from `age`).
    pub age_bands: Option<String>,
    /// The age of a record, as an expression.
    #[serde(default = "age")]
    pub age: String,
    /// The record key column (default: the manifest's key; a census without one reads no key).
    pub key: Option<String>,
    /// A manifest from a draw (with its sidecar): estimate from the sample.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub manifest: Option<PathBuf>,
    /// Only rows where this expression is true.
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// Data rules: a row where one is FALSE is quarantined.
    #[serde(rename = "check", default, deserialize_with = "setting::exprs")]
    pub checks: Vec<String>,
    /// Census: intervals too.
    #[serde(default)]
    pub ci: bool,
    /// The confidence level of the intervals.
    #[serde(
        default = "setting::default::confidence",
        deserialize_with = "setting::confidence"
    )]
    pub confidence: f64,
    /// The table: `.csv`, `.parquet`, `.json` or `.xlsx`.
    #[serde(skip)]
    pub output: PathBuf,
    /// How a `.csv` table is written.
    #[serde(
        default = "setting::default::csv_dialect",
        deserialize_with = "setting::csv_dialect"
    )]
    pub csv_dialect: CsvDialect,
    /// The language of a spreadsheet table.
    #[serde(default = "setting::default::lang", deserialize_with = "setting::lang")]
    pub lang: Lang,
    /// How a design stratum with no responding record enters the estimates.
    #[serde(
        default = "setting::default::nonresponse",
        deserialize_with = "setting::nonresponse"
    )]
    pub nonresponse: Nonresponse,
    /// Census: accept an indicator whose `where` keeps no record.
    #[serde(default)]
    pub allow_empty: bool,
    /// Columns whose values never appear in messages or quarantine files.
    #[serde(skip)]
    pub personal: Vec<String>,
    /// The secret of a pseudonymized manifest.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub secret_file: Option<PathBuf>,
    /// The most rows that may be quarantined, as a share of the rows read.
    #[serde(skip)]
    pub max_quarantine: f64,
    /// The most groups the `by` columns may make ([`DEFAULT_MAX_GROUPS`]): a clear error
    /// before memory runs out on a key-like column.
    #[serde(default = "max_groups")]
    pub max_groups: u64,
    /// Small-cell suppression: a cell with a count between 1 and this minus one is withheld,
    /// with the further cells that keep it from being recomputed
    /// ([`urval_indicators::suppress`]); 0 writes every cell, marked not for publication.
    #[serde(default = "suppress_below")]
    pub suppress_below: u64,
    /// Small-area estimation: a `by` column whose values are the areas (municipalities).
    /// Every share then gets, per area, a model-based estimate beside its direct one
    /// ([`super::small_area`]).
    #[serde(default)]
    pub small_area: Option<String>,
    /// Area covariates for the Fay–Herriot model (CSV: the area column, then numeric
    /// columns); without it, empirical-Bayes shrinkage towards the common rate of all areas.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub small_area_covariates: Option<PathBuf>,
}

fn age() -> String {
    "age".to_string()
}

fn max_groups() -> u64 {
    DEFAULT_MAX_GROUPS
}

fn suppress_below() -> u64 {
    DEFAULT_SUPPRESS_BELOW
}

/// The default of [`IndicatorsJob::suppress_below`] for tables that leave the analyst's
/// machine: 5, as Swedish official statistics commonly use for counts of people.
pub const DEFAULT_SUPPRESS_BELOW: u64 = 5;

/// The default of [`IndicatorsJob::max_groups`]: a million groups, a few hundred MB of
/// tallies for the shipped spec.
pub const DEFAULT_MAX_GROUPS: u64 = 1_000_000;
