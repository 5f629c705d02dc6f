//! The one error type of the operations, [`OpsError`], the typed errors of this crate
//! ([`ArtifactError`], [`CommitmentError`]), and [`Context`] (a message in front of a
//! cause, the cause kept as the error's source). Each room above this crate has its own
//! `thiserror` enum (`urval_plan::PlanError`, `urval_draw::DrawError`,
//! `urval_ops::review_error::ReviewError`, …) that converts into [`OpsError::Room`];
//! [`OpsError::typed`] finds any of them under the contexts.

use std::fmt::Display;
use std::path::PathBuf;
use urval_design::DesignError;
use urval_ingest::IngestError;

use crate::text::thousands;

/// What can go wrong in an operation. Messages are one line and say what to do; the cause
/// of a [`OpsError::Context`] is its [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// Reading the extract failed (files, columns, expressions, rows).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The design math refused its inputs.
    #[error(transparent)]
    Design(#[from] DesignError),
    /// The indicator spec is not usable.
    #[error(transparent)]
    Spec(#[from] urval_indicators::spec::SpecError),
    /// `--age-bands` is not usable.
    #[error(transparent)]
    AgeBands(#[from] urval_indicators::engine::AgeBandsError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A CSV could not be written or read.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// An Arrow batch could not be built.
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A Parquet file could not be written.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A JSON artifact could not be written or parsed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A spreadsheet could not be written.
    #[error(transparent)]
    Xlsx(#[from] urval_report::xlsx::XlsxWriteError),
    /// A commitment, or the chain from it to a draw, is broken.
    #[error(transparent)]
    Commitment(#[from] CommitmentError),
    /// A file urval exchanges or writes, or a shared reading option, is not usable (boxed:
    /// its largest variant would make every result of the operations large).
    #[error(transparent)]
    Artifact(Box<ArtifactError>),
    /// The typed error of a room above this crate (planning, drawing, the review loop, the
    /// report, indicators, the nightly run): boxed, as this crate cannot name the rooms'
    /// types; each room converts its own enum into it, and [`OpsError::typed`] gives it back.
    #[error(transparent)]
    Room(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A cause with what was being done when it happened.
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: Box<OpsError>,
    },
}

impl OpsError {
    /// The typed error of type `E` this error is, or holds under its contexts: an
    /// [`ArtifactError`], a [`CommitmentError`], or a room's own enum
    /// (`urval_plan::PlanError`, `urval_draw::DrawError`, …).
    pub fn typed<E: std::error::Error + 'static>(&self) -> Option<&E> {
        use std::error::Error;
        match self {
            OpsError::Context { source, .. } => source.typed(),
            OpsError::Room(e) => e.downcast_ref(),
            OpsError::Artifact(e) => (e.as_ref() as &(dyn Error + 'static)).downcast_ref(),
            OpsError::Commitment(e) => (e as &(dyn Error + 'static)).downcast_ref(),
            _ => None,
        }
    }

    /// This error with a label in front (a pipeline step's), kept even when the message
    /// already says it.
    pub fn context_label(self, label: &str) -> OpsError {
        OpsError::Context {
            context: label.to_string(),
            source: Box::new(self),
        }
    }
}

impl From<ArtifactError> for OpsError {
    fn from(e: ArtifactError) -> Self {
        OpsError::Artifact(Box::new(e))
    }
}

/// The result of an operation.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;

/// Put a message in front of an error (kept as the source): the operations' counterpart of
/// anyhow's `Context`. A missing value is turned into a typed error of its room instead
/// (`ok_or_else`), so this is implemented for results only.
pub trait Context<T> {
    /// The error with `context` in front.
    ///
    /// # Errors
    /// The original error, wrapped.
    fn context<C: Display>(self, context: C) -> Result<T>;
    /// The error with a lazily built message in front.
    ///
    /// # Errors
    /// The original error, wrapped.
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

/// `e` with `context` in front, unless `e` already says it (a write error of an output
/// names the file it was writing: `writing m.csv: writing m.csv: …` would say it twice).
fn wrap(e: OpsError, context: String) -> OpsError {
    let mut level: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = level {
        if err.to_string().contains(&context) {
            return e;
        }
        level = err.source();
    }
    OpsError::Context {
        context,
        source: Box::new(e),
    }
}

impl<T, E: Into<OpsError>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| wrap(e.into(), context.to_string()))
    }
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| wrap(e.into(), f().to_string()))
    }
}

/// What can be wrong with a file urval exchanges (plan.json, a manifest, its sidecar, an
/// indicators table), with a file it writes, or with a reading option every command shares.
/// Each message names the file or option and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The directory an output goes to does not exist.
    #[error("{}: the output directory does not exist", .dir.display())]
    NoOutputDirectory {
        /// The directory.
        dir: PathBuf,
    },
    /// An output path that does not end in a file name (`..`, `/`).
    #[error("{}: not a file name", .path.display())]
    NotAFileName {
        /// The path given.
        path: PathBuf,
    },
    /// The secret of `--secret-file` is too short.
    #[error("{}: the secret must be at least 16 bytes", .path.display())]
    ShortSecret {
        /// The secret file.
        path: PathBuf,
    },
    /// A `--check` rule that is not an expression urval reads.
    #[error("--check {rule:?}: {reason}")]
    BadCheck {
        /// The rule given.
        rule: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// A `--where` that keeps no rows.
    #[error("--where {filter:?} keeps no rows:\n{reconciliation}{values}")]
    NothingKept {
        /// The filter's text.
        filter: String,
        /// The rows read, used, excluded and quarantined, as one line.
        reconciliation: String,
        /// For each column the filter compares with text, the values it holds and the
        /// nearest one to a constant that is not among them: lines of free text, as many
        /// as there are such columns (empty when none).
        values: String,
    },
    /// An output is, or is a hard link to, an input.
    #[error("{}: that is an input ({}); write the output to another file", .output.display(), .input.display())]
    OutputIsInput {
        /// The output.
        output: PathBuf,
        /// The input it is.
        input: PathBuf,
    },
    /// More rows than `--max-quarantine` allows were quarantined.
    #[error(
        "{} of {} rows read ({:.1} %) were quarantined, more than --max-quarantine {} %: nothing written{reasons}",
        thousands(*.quarantined),
        thousands(*.rows_read),
        100.0 * *.quarantined as f64 / (*.rows_read).max(1) as f64,
        100.0 * .max_quarantine
    )]
    TooManyQuarantined {
        /// Rows quarantined.
        quarantined: u64,
        /// Rows read.
        rows_read: u64,
        /// The share allowed (`--max-quarantine`, 0 to 1).
        max_quarantine: f64,
        /// The most frequent reasons with their counts and first rows, where the quarantine
        /// file is and hints by the kind of reason: lines of free text, their number
        /// depending on the reasons.
        reasons: String,
    },
    /// A delimiter option that is not one ASCII character.
    #[error("{flag} must be one ASCII character")]
    BadDelimiter {
        /// The option (`--delimiter`, …).
        flag: String,
    },
    /// An `--encoding` urval does not know.
    #[error("unknown encoding {given:?}: use auto, utf-8, windows-1252, iso-8859-1 or utf-16")]
    UnknownEncoding {
        /// The encoding given.
        given: String,
    },
    /// A `--date-format` that is not `COL=FORMAT`.
    #[error("--date-format {given:?}: give COL=FORMAT, FORMAT one of {known}")]
    DateFormatShape {
        /// The option's value.
        given: String,
        /// The formats urval knows, joined by `, `.
        known: String,
    },
    /// A `--date-format` naming a format urval does not know.
    #[error("--date-format {given:?}: unknown format {name:?}: use one of {known}")]
    UnknownDateFormat {
        /// The option's value.
        given: String,
        /// The format named.
        name: String,
        /// The formats urval knows, joined by `, `.
        known: String,
    },
    /// A `--date-format` without a column before `=`.
    #[error("--date-format {given:?}: name the column before '='")]
    DateFormatNoColumn {
        /// The option's value.
        given: String,
    },
    /// A column given two `--date-format`s.
    #[error("--date-format: column {column:?} is given twice: give it one format")]
    DateFormatTwice {
        /// The column.
        column: String,
    },
    /// A JSON indicators file that is not an array of rows.
    #[error("{}: not an indicators file (an array of rows)", .path.display())]
    NotAnIndicatorsFile {
        /// The file.
        path: PathBuf,
    },
    /// An indicators file of a type urval does not read.
    #[error("{}: indicators must be .parquet, .csv or .json", .path.display())]
    IndicatorsFileType {
        /// The file.
        path: PathBuf,
    },
    /// A manifest of a type urval does not write.
    #[error("{}: the manifest must end in .csv, .parquet or .xlsx", .path.display())]
    ManifestFileType {
        /// The file.
        path: PathBuf,
    },
    /// An output of a type the command does not write.
    #[error("{}: the {what} must end in {extensions}", .path.display())]
    OutputType {
        /// The output.
        path: PathBuf,
        /// What it is (`template`, `output`, `report`).
        what: &'static str,
        /// The endings it may have (`.xlsx or .csv`).
        extensions: &'static str,
    },
    /// No manifest file at the path.
    #[error("{}: no manifest", .path.display())]
    NoManifest {
        /// The path given.
        path: PathBuf,
    },
    /// A manifest without a `prn` (or `slumptal`) column.
    #[error("{}: not a urval manifest (no prn column; columns: {})", .path.display(), .columns.join(", "))]
    NoPrnColumn {
        /// The file.
        path: PathBuf,
        /// Its columns.
        columns: Vec<String>,
    },
    /// A manifest whose first column is its `prn` column: it has no key column.
    #[error("{}: not a urval manifest (no key column)", .path.display())]
    NoKeyColumn {
        /// The file.
        path: PathBuf,
    },
    /// Rows of a manifest without key or stratum.
    #[error("{}: {bad} rows of the manifest cannot be read (empty key or stratum)", .path.display())]
    UnreadableManifestRows {
        /// The manifest.
        path: PathBuf,
        /// The rows that cannot be read.
        bad: u64,
    },
    /// No sidecar beside a manifest.
    #[error("{}: no sidecar {} beside it (nor {}): give the manifest with the sidecar its draw wrote", .manifest.display(), .sidecar.display(), .old_sidecar.display())]
    NoSidecar {
        /// The manifest.
        manifest: PathBuf,
        /// Where the sidecar was looked for.
        sidecar: PathBuf,
        /// Where a sidecar of an older urval was looked for.
        old_sidecar: PathBuf,
    },
    /// The plan beside a manifest is not the plan of its draw.
    #[error("{}: not the plan {} was drawn with (checksums differ): give the draw's plan with --plan", .plan.display(), .manifest.display())]
    NotTheDrawnPlan {
        /// The plan found.
        plan: PathBuf,
        /// The manifest.
        manifest: PathBuf,
    },
    /// The plan a workbook manifest carries is not the plan of its draw.
    #[error("{origin}: the plan it carries is not the one it was drawn with (checksums differ): give the draw's plan with --plan")]
    CarriedPlanAltered {
        /// The manifest and its sheet.
        origin: String,
    },
    /// No plan given and none beside the manifest.
    #[error("no --plan, and no {plan} beside {}: give the draw's plan with --plan", .manifest.display())]
    NoPlan {
        /// The plan file the sidecar names.
        plan: String,
        /// The manifest.
        manifest: PathBuf,
    },
    /// A manifest that is not the one its sidecar was written with.
    #[error("{}: this is not the manifest {} was written with (checksums differ): use the pair one draw wrote, or draw again", .manifest.display(), .sidecar.display())]
    OtherManifest {
        /// The manifest.
        manifest: PathBuf,
        /// The sidecar.
        sidecar: PathBuf,
    },
    /// An artifact of another kind, or of a version this urval does not read.
    #[error(
        "{origin}: kind {} version {} is not one this urval reads ({kind} {read}): {redo}",
        .found_kind.as_ref().map_or("none".to_string(), |k| format!("{k:?}")),
        .found_version.map_or("none".to_string(), |v| v.to_string())
    )]
    UnknownVersion {
        /// Where it was read.
        origin: String,
        /// The kind it states, if any.
        found_kind: Option<String>,
        /// The version it states, if any.
        found_version: Option<u64>,
        /// The kind expected.
        kind: String,
        /// The versions read (`version 2`, `versions 1 to 2`).
        read: String,
        /// What to do.
        redo: String,
    },
    /// A plan's stratum that asks for more records than it has.
    #[error("{origin}: stratum {stratum} asks for n = {n} but has only N = {population} records")]
    StratumOverPopulation {
        /// Where the plan was read.
        origin: String,
        /// The stratum, described by its values.
        stratum: String,
        /// Its sample size.
        n: u64,
        /// Its population.
        population: u64,
    },
    /// A plan's stratum without a value for a strata column.
    #[error("{origin}: a stratum has no value for column {column:?}")]
    StratumWithoutValue {
        /// Where the plan was read.
        origin: String,
        /// The column.
        column: String,
    },
    /// A stage asked of a plan with one stage.
    #[error("this plan has one stage: draw it without --stage, or plan again with --stages 2")]
    OneStage,
    /// A rate that cannot be read (`"5 %"`, `0.05`).
    #[error("{key}: {reason}")]
    BadRate {
        /// The setting.
        key: String,
        /// Why it is no rate (stated in the message, so not a source).
        reason: crate::text::NumberError,
    },
}

/// What can break in a commitment or in the chain from it to a draw. Each message names
/// the link and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitmentError {
    /// A file of the chain could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// commitment.json is not a commitment urval can read.
    #[error("{path}: not a commitment of urval ({reason})")]
    NotACommitment {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The commitment does not hash to its own `commitment` field: a field was changed.
    #[error(
        "{path}: the commitment does not match its fields (a field was changed after it was made): it says {stated}, its fields give {computed}"
    )]
    Altered {
        /// The file.
        path: PathBuf,
        /// The commitment the file states.
        stated: String,
        /// The commitment its fields give.
        computed: String,
    },
    /// The randomness is empty or holds something other than digits, `,` and spaces.
    #[error(
        "--randomness {given:?}: give the digits produced after the commitment (dice, or contributions joined by ','), digits, ',' and spaces only"
    )]
    BadRandomness {
        /// The text given.
        given: String,
    },
    /// The plan is not the one committed to.
    #[error(
        "the plan {plan} is not the one committed to in {commitment}: its SHA-256 is {actual}, the commitment names {committed}"
    )]
    OtherPlan {
        /// The plan file.
        plan: String,
        /// The commitment file.
        commitment: String,
        /// The plan's SHA-256.
        actual: String,
        /// The SHA-256 committed to.
        committed: String,
    },
    /// The stage drawn is not the stage committed to.
    #[error(
        "{commitment} commits to stage {committed}, not stage {drawn}: make a commitment for stage {drawn} (urval commit --stage {drawn})"
    )]
    OtherStage {
        /// The commitment file.
        commitment: String,
        /// The stage committed to.
        committed: u32,
        /// The stage drawn.
        drawn: u32,
    },
    /// A later stage's commitment does not name the earlier stage's results.
    #[error(
        "{commitment} does not name {file} among the earlier stage's results: a later stage's commitment is made after the earlier stage's results are fixed (urval commit --previous {file})"
    )]
    PreviousNotCommitted {
        /// The commitment file.
        commitment: String,
        /// The earlier stage's file.
        file: String,
    },
    /// A later stage reuses the earlier stage's randomness.
    #[error(
        "the randomness of stage {stage} is the earlier stage's ({earlier}): a later stage needs fresh randomness, produced after its commitment"
    )]
    ReusedRandomness {
        /// The stage drawn.
        stage: u32,
        /// The earlier stage's manifest.
        earlier: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_the_error_states_is_not_repeated() {
        let io = std::io::Error::other("writing m.csv: File too large");
        let e = Err::<(), _>(io).context("writing m.csv").unwrap_err();
        assert_eq!(e.to_string(), "writing m.csv: File too large");
        let e = Err::<(), _>(std::io::Error::other("File too large"))
            .context("writing m.csv")
            .unwrap_err();
        assert_eq!(e.to_string(), "writing m.csv");
        assert!(std::error::Error::source(&e).is_some());
    }
}
