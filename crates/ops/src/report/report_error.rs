//! [`ReportError`]: what the report's assembly refuses, one variant per kind of failure,
//! with what the message names as fields. It converts into [`OpsError`] (as its `Room`
//! variant; [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use urval_artifacts::OpsError;

/// What the report's assembly refuses: a requested-file, a labels file or an indicators
/// table it cannot use, options that need others, and inputs that do not belong together.
/// Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A requested-file without its `requested` column.
    #[error("{}: no column \"requested\" (columns: {})", .path.display(), .present.join(", "))]
    NoRequestedColumn {
        /// The file.
        path: PathBuf,
        /// Its columns.
        present: Vec<String>,
    },
    /// A requested-file without a strata column of the plan.
    #[error("{}: no strata column {column:?} (columns: {})", .path.display(), .present.join(", "))]
    NoStrataColumn {
        /// The file.
        path: PathBuf,
        /// The strata column.
        column: String,
        /// Its columns.
        present: Vec<String>,
    },
    /// A requested-file's stratum the plan does not have.
    #[error("{}: line {line}: stratum ({}) is not in the plan", .path.display(), .values.join(", "))]
    StratumNotInPlan {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The stratum's values.
        values: Vec<String>,
    },
    /// A requested-file's stratum listed twice.
    #[error("{}: line {line}: stratum ({}) is listed twice: give one line per stratum", .path.display(), .values.join(", "))]
    StratumTwice {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The stratum's values.
        values: Vec<String>,
    },
    /// A requested count that is not a whole number.
    #[error("{}: line {line}: requested {given:?} is not a whole number", .path.display())]
    BadRequested {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The value as written.
        given: String,
    },
    /// A stratum requesting more records than it has.
    #[error("{}: line {line}: stratum ({}) requests {requested} records but has only N = {population}", .path.display(), .values.join(", "))]
    StratumOverPopulation {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The stratum's values.
        values: Vec<String>,
        /// Records requested.
        requested: u64,
        /// Its population.
        population: u64,
    },
    /// `--requested` above the plan's population.
    #[error(
        "--requested {requested} is more than the {population} records in the plan's population"
    )]
    RequestedOverPopulation {
        /// Records requested.
        requested: u64,
        /// The plan's population.
        population: u64,
    },
    /// `--previous` without `--manifest`.
    #[error("--previous needs --manifest: the overlap is between this request's manifest and the previous one")]
    PreviousWithoutManifest,
    /// A manifest drawn from another plan.
    #[error("{}: the manifest was drawn from another plan than {} (plan checksums differ)", .manifest.display(), .plan.display())]
    OtherPlan {
        /// The manifest.
        manifest: PathBuf,
        /// The plan.
        plan: PathBuf,
    },
    /// A `--date` that is not a date.
    #[error("--date {given:?}: give a date as YYYY-MM-DD, e.g. 2026-11-24")]
    BadDate {
        /// The value given.
        given: String,
    },
    /// A plan whose allocation urval does not know.
    #[error("the plan's allocation {allocation:?} is not one urval knows")]
    UnknownAllocation {
        /// The allocation it names.
        allocation: String,
    },
    /// `--agreement` without `--phase2-plan`.
    #[error(
        "--agreement needs --phase2-plan: the agreement is the re-review of that plan's subsample"
    )]
    AgreementWithoutPhase2,
    /// A phase-2 plan made for another manifest.
    #[error("{}: the phase-2 plan was made for another manifest than {} (checksums differ)", .phase2_plan.display(), .manifest.display())]
    Phase2OtherManifest {
        /// The phase-2 plan.
        phase2_plan: PathBuf,
        /// The manifest.
        manifest: PathBuf,
    },
    /// The attached workbook cannot be written.
    #[error("{cause}")]
    Workbook {
        /// Why (its message is the whole message, so not a source).
        cause: urval_report::xlsx::XlsxWriteError,
    },
    /// An indicators table without an `indicator` column.
    #[error("{}: not an indicators file (no indicator column)", .path.display())]
    NoIndicatorColumn {
        /// The table.
        path: PathBuf,
    },
    /// A stricter suppression than the table was written with.
    #[error("{}: the table was written with --suppress-below {table}; its withheld counts are gone, so the report cannot apply {asked}: compute the indicators again with --suppress-below {asked}", .path.display())]
    SuppressedBelow {
        /// The table.
        path: PathBuf,
        /// The threshold it was written with.
        table: u64,
        /// The threshold asked.
        asked: u64,
    },
    /// A count in an indicators table that is not one.
    #[error("{}: row {row}: {column} {given:?} is not a count (the report withholds small cells by their counts)", .path.display())]
    NotACount {
        /// The table.
        path: PathBuf,
        /// The row.
        row: usize,
        /// The column.
        column: String,
        /// The value as written.
        given: String,
    },
    /// More successes than n in an indicators table.
    #[error("{}: row {row}: more successes than n (not an indicators table urval wrote)", .path.display())]
    MoreSuccessesThanN {
        /// The table.
        path: PathBuf,
        /// The row.
        row: usize,
    },
    /// A labels file without one of its columns.
    #[error("{}: no column {column:?}; a labels file has the columns value and label (columns present: {})", .path.display(), .present.join(", "))]
    LabelsColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Its columns.
        present: Vec<String>,
    },
    /// A labels file listing a value twice.
    #[error("{}: line {line}: value {value:?} is listed twice", .path.display())]
    LabelTwice {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The value.
        value: String,
    },
}

impl From<ReportError> for OpsError {
    fn from(e: ReportError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
