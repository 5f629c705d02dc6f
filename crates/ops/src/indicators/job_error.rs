//! [`IndicatorsJobError`]: what an indicators job refuses, one variant per kind of failure,
//! with what the message names as fields. It converts into [`OpsError`] (as its `Room`
//! variant; [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use urval_artifacts::{ArtifactError, OpsError};

/// What an indicators job refuses: its options, a sample's manifest, the extract's columns,
/// an indicator that selects nothing, the small-area covariates, and a suppression that its
/// own audit rejects. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorsJobError {
    /// A manifest of the records stage 2 adds, which is not a sample by itself.
    #[error("{}: holds only the records stage 2 adds, not a sample by itself: estimate from stage 1's manifest, or from both stages together (urval draw without --stage draws exactly stage 1 and 2)", .manifest.display())]
    StageTwoOnly {
        /// The manifest.
        manifest: PathBuf,
    },
    /// A manifest's stratum its sidecar does not have.
    #[error("{}: row {row}: stratum ({}) is not in the sidecar {}", .manifest.display(), .values.join(", "), .sidecar.display())]
    StratumNotInSidecar {
        /// The manifest.
        manifest: PathBuf,
        /// The row.
        row: u64,
        /// The stratum's values.
        values: Vec<String>,
        /// The sidecar.
        sidecar: PathBuf,
    },
    /// A manifest listing a key twice.
    #[error("{}: row {row}: a key listed twice", .manifest.display())]
    KeyListedTwice {
        /// The manifest.
        manifest: PathBuf,
        /// The row.
        row: u64,
    },
    /// An `--age` that is not an expression urval reads.
    #[error("--age {age:?}: {reason}")]
    BadAge {
        /// The expression given.
        age: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// An extract without files.
    #[error("the extract has no files")]
    NoFiles,
    /// A `--by` or age column the extract does not have.
    #[error("{}: no column {name:?} (columns: {})", .file.display(), .present.join(", "))]
    MissingColumn {
        /// The extract's first file.
        file: PathBuf,
        /// The column.
        name: String,
        /// Its columns.
        present: Vec<String>,
    },
    /// A design stratum with more rows in the extract than keys in the manifest.
    #[error("design stratum {stratum} has {rows} rows in the extract for {keys} keys in the manifest: keys repeat in the extract")]
    KeysRepeat {
        /// The stratum, described by its values.
        stratum: String,
        /// Its rows in the extract.
        rows: u64,
        /// Its keys in the manifest.
        keys: u64,
    },
    /// `--suppress-below 1`.
    #[error("--suppress-below 1 withholds nothing (no count is below 1): give 0 to write every cell (not for publication), or 2 or more")]
    SuppressBelowOne,
    /// A sample of pseudonyms without the secret.
    #[error("the manifest's keys are pseudonyms: give the --secret-file the draw used")]
    PseudonymsWithoutSecret,
    /// `--ci` for a sample.
    #[error("--ci is for a census; a sample always has design-based intervals")]
    CiForSample,
    /// An indicator whose `where` keeps no rows of a census.
    #[error(
        "{}: indicator {indicator:?}: its where {}\n  (--allow-empty accepts an indicator with no records)",
        .spec.display(),
        .kept.to_string().trim_start_matches("--where ")
    )]
    EmptyIndicator {
        /// The spec.
        spec: PathBuf,
        /// The indicator.
        indicator: String,
        /// What its `where` keeps (stated in the message, so not a source).
        kept: ArtifactError,
    },
    /// `--small-area-covariates` without `--small-area`.
    #[error("--small-area-covariates needs --small-area COL")]
    CovariatesWithoutSmallArea,
    /// A part of a distributed run made with another spec or design than the merge's.
    #[error("a part has {indicators} indicators and {strata} design strata where the spec and manifest give {want_indicators} and {want_strata}: compute every part with the same spec and manifest")]
    PartOfAnotherJob {
        /// The part's indicators.
        indicators: usize,
        /// The part's design strata (or the stratum it names, plus one).
        strata: usize,
        /// The spec's indicators.
        want_indicators: usize,
        /// The design's strata.
        want_strata: usize,
    },
    /// A covariates file that cannot be read.
    #[error("{}: {cause}", .path.display())]
    CovariatesUnreadable {
        /// The file.
        path: PathBuf,
        /// Why (stated in the message, so not a source).
        cause: std::io::Error,
    },
    /// A covariates file that is not a CSV.
    #[error("{}{}: {cause}", .path.display(), .line.map(|l| format!(": line {l}")).unwrap_or_default())]
    CovariatesCsv {
        /// The file.
        path: PathBuf,
        /// The line, for a record (none for the header).
        line: Option<usize>,
        /// Why (stated in the message, so not a source).
        cause: csv::Error,
    },
    /// A covariates file whose first column is not the area column.
    #[error("{}: the first column must be the area column {column:?}, found {found:?} (then one numeric column per covariate)", .path.display())]
    CovariatesFirstColumn {
        /// The file.
        path: PathBuf,
        /// The area column.
        column: String,
        /// The first column found.
        found: String,
    },
    /// A covariates file without covariates.
    #[error("{}: no covariate columns after {column:?}", .path.display())]
    NoCovariates {
        /// The file.
        path: PathBuf,
        /// The area column.
        column: String,
    },
    /// A covariate that is not a number.
    #[error("{}: line {line}: column {column:?}: {raw:?} is not a number (every covariate needs a value for every area)", .path.display())]
    BadCovariate {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The covariate.
        column: String,
        /// The value as written.
        raw: String,
    },
    /// An area listed twice in the covariates file.
    #[error("{}: line {line}: area {area:?} is listed twice", .path.display())]
    AreaTwice {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The area.
        area: String,
    },
    /// `--small-area` naming a column that is not a `--by` column.
    #[error("--small-area {column:?}: the area column must be one of the --by columns ({})", .by.join(", "))]
    SmallAreaNotBy {
        /// The column.
        column: String,
        /// The `--by` columns.
        by: Vec<String>,
    },
    /// An area with records but without covariates.
    #[error("--small-area-covariates: area {area:?} has records but no row in the covariates file: add it")]
    AreaWithoutCovariates {
        /// The area.
        area: String,
    },
    /// Covariates the model cannot use.
    #[error("--small-area-covariates: {cause}")]
    ModelCovariates {
        /// Why (stated in the message, so not a source).
        cause: urval_smallarea::SmallAreaError,
    },
    /// A suppression that leaves cells recomputable (a fault of urval).
    #[error("indicator {indicator:?}: small-cell suppression left {cells} cells recomputable (a fault in urval: please report it)")]
    SuppressionRecomputable {
        /// The indicator.
        indicator: String,
        /// The cells left recomputable.
        cells: usize,
    },
    /// A suppression its audit rejects (a fault of urval).
    #[error("indicator {indicator:?}: the audit of its small-cell suppression failed (a fault in urval: please report it)")]
    SuppressionAuditFailed {
        /// The indicator.
        indicator: String,
    },
}

impl From<IndicatorsJobError> for OpsError {
    fn from(e: IndicatorsJobError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
