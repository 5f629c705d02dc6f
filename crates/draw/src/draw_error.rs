//! [`DrawError`]: what the draw and its checks refuse, one variant per kind of failure, with
//! what the message names as fields. It converts into the operations' [`OpsError`] (as its
//! `Room` variant; [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use urval_artifacts::text::thousands;
use urval_artifacts::OpsError;

/// What the draw, `verify` and `overlap` refuse: the options, an extract that changed since
/// the plan, a stage-1 manifest a second stage extends, the parts of a draw, and the
/// packages' directory. Each message is one line and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrawError {
    /// A manifest that lists a record twice.
    #[error("{}: a record is listed twice", .manifest.display())]
    ListedTwice {
        /// The manifest.
        manifest: PathBuf,
    },
    /// A stage-1 manifest that lists a record twice.
    #[error("{}: a record is listed twice: it is not a stage-1 manifest of this plan", .previous.display())]
    PreviousListedTwice {
        /// The stage-1 manifest.
        previous: PathBuf,
    },
    /// A stage-1 manifest that is not this plan's first stage.
    #[error(
        "{}: not this plan's first stage (seed, start and plan must be the first stage's): record {key} ({}){} {}",
        .previous.display(),
        .values.join(", "),
        .row.map(|r| format!(" (row {r})")).unwrap_or_default(),
        if *.in_first_stage { "is in the first stage but not in the manifest" } else { "is in the manifest but not in the first stage" }
    )]
    NotTheFirstStage {
        /// The stage-1 manifest.
        previous: PathBuf,
        /// The first record that differs (masked when the key is personal).
        key: String,
        /// Its strata values.
        values: Vec<String>,
        /// Its row in the manifest, when it is there.
        row: Option<u64>,
        /// Whether it is in the first stage (and not in the manifest), or the other way.
        in_first_stage: bool,
    },
    /// A stage-1 manifest whose sidecar names another plan or stage.
    #[error("{}: not a stage-1 manifest of this plan (its sidecar names another plan or stage)", .previous.display())]
    NotAStageOneManifest {
        /// The stage-1 manifest.
        previous: PathBuf,
    },
    /// `--only` that is not `COL=VALUE`.
    #[error("--only takes COL=VALUE, got {given:?}")]
    OnlyShape {
        /// The value given.
        given: String,
    },
    /// `--only` naming a column that is not a strata column.
    #[error("--only: {column:?} is not a strata column of the plan ({})", .strata_columns.join(", "))]
    OnlyNotAStrataColumn {
        /// The column.
        column: String,
        /// The plan's strata columns.
        strata_columns: Vec<String>,
    },
    /// `--only` naming a value no stratum has.
    #[error("--only: no stratum of the plan has {column}={value}")]
    OnlyNoStratum {
        /// The column.
        column: String,
        /// The value.
        value: String,
    },
    /// Rows of the extract in strata the plan does not have.
    #[error(
        "the extract changed since the plan: {} rows belong to strata the plan does not have (first: {first})",
        thousands(*.rows)
    )]
    StrataNotInPlan {
        /// The rows.
        rows: u64,
        /// The first such stratum.
        first: String,
    },
    /// A stratum whose population differs from the plan's.
    #[error("the extract changed since the plan: stratum {stratum} has N = {now} now, the plan says {planned}")]
    PopulationChanged {
        /// The stratum, described by its values.
        stratum: String,
        /// Its population now.
        now: u64,
        /// Its population in the plan.
        planned: u64,
    },
    /// A stratum with the plan's population but other keys.
    #[error("the extract changed since the plan: stratum {stratum} has the same N = {population} but other keys")]
    KeysChanged {
        /// The stratum, described by its values.
        stratum: String,
        /// Its population.
        population: u64,
    },
    /// A part of a draw with another number of strata than the plan.
    #[error(
        "a part of the draw has {part} strata, the plan {plan}: draw every part with the same plan"
    )]
    PartStrata {
        /// The part's strata.
        part: usize,
        /// The plan's strata.
        plan: usize,
    },
    /// A part of a draw whose fingerprint is not hexadecimal.
    #[error("a part of the draw has a fingerprint that is not hex: {fingerprint:?}")]
    PartFingerprint {
        /// The fingerprint.
        fingerprint: String,
    },
    /// `--pseudonymize` naming a column the manifest does not carry.
    #[error("--pseudonymize {column:?}: name the key ({key}) or an --include column")]
    PseudonymizeColumn {
        /// The column.
        column: String,
        /// The plan's key.
        key: String,
    },
    /// `--include` naming the key or a strata column.
    #[error("--include {column:?}: the key and strata columns are in the manifest already")]
    IncludeInManifest {
        /// The column.
        column: String,
    },
    /// A stage other than 1 and 2.
    #[error("--stage {stage}: a staged plan has stages 1 and 2")]
    BadStage {
        /// The stage given.
        stage: u32,
    },
    /// `--stage 2` without `--previous`.
    #[error("--stage 2 needs --previous: the stage-1 manifest it extends (only the records stage 2 adds are written)")]
    StageTwoWithoutPrevious,
    /// `--previous` without `--stage 2`.
    #[error("--previous names the stage-1 manifest a second stage extends: add --stage 2")]
    PreviousWithoutStageTwo,
    /// A staged draw from parts.
    #[error("a staged draw (--stage) is drawn from the whole extract, not from parts")]
    StagedParts,
    /// An `--out-dir` that is not empty.
    #[error("{}: the --out-dir directory is not empty: give an empty one (parts of an earlier draw would mix with this one's)", .dir.display())]
    OutDirNotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// The manifest written into `--out-dir`.
    #[error(
        "write the manifest outside the --out-dir directory, so that no part can overwrite it"
    )]
    ManifestInOutDir,
    /// `--split-by` naming a column the manifest does not carry.
    #[error("--split-by {column:?} is not a column of the manifest ({})", .columns.join(", "))]
    SplitByColumn {
        /// The column.
        column: String,
        /// The manifest's columns.
        columns: Vec<String>,
    },
    /// `--split-by` the key.
    #[error("--split-by the key would write one file per record")]
    SplitByKey,
    /// A manifest of pseudonyms verified without the secret.
    #[error("the manifest's keys are pseudonyms: give the --secret-file the draw used")]
    PseudonymsWithoutSecret,
    /// A sidecar whose part is not `COL=VALUE`.
    #[error("the sidecar's part {part:?} is not COL=VALUE: draw again")]
    SidecarPart {
        /// The part it names.
        part: String,
    },
    /// No seed to verify with.
    #[error("no --seed and no sidecar {} to take it from", .sidecar.display())]
    NoSeed {
        /// Where the sidecar was looked for.
        sidecar: PathBuf,
    },
    /// A start outside [0, 1).
    #[error("start must be in [0, 1), got {got}")]
    BadStart {
        /// The start given.
        got: f64,
    },
    /// A stratum of a manifest compared by `overlap` that the plan does not have.
    #[error("{}: stratum ({}) is not in the plan: give the plan both requests were drawn from", .manifest.display(), .stratum.join(", "))]
    OverlapStratum {
        /// The manifest.
        manifest: PathBuf,
        /// The stratum's values.
        stratum: Vec<String>,
    },
}

impl From<DrawError> for OpsError {
    fn from(e: DrawError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
