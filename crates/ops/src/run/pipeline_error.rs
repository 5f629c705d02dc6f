//! [`PipelineError`]: what the nightly run refuses, one variant per kind of failure, with
//! what the message names as fields. It converts into [`OpsError`] (as its `Room` variant;
//! [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use urval_artifacts::OpsError;

/// What `urval run` refuses: a pipeline file it cannot read, a step it cannot use, an input
/// that is not there, an outputs directory it must not replace, a run already writing, and
/// a step's data finding, which stops the run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// A pipeline file that is not TOML of a pipeline.
    #[error("{}: not a valid pipeline: {located}", .path.display())]
    NotAPipeline {
        /// The pipeline file.
        path: PathBuf,
        /// The TOML reader's message with the line it points at: free text, as the reader
        /// words it.
        located: String,
    },
    /// A step whose table is not one of its command's.
    #[error("{}: {step}: {located}", .path.display())]
    BadStep {
        /// The pipeline file.
        path: PathBuf,
        /// The step, `step 2 (draw)`.
        step: String,
        /// The TOML reader's message with the line it points at: free text, as the reader
        /// words it.
        located: String,
    },
    /// A step's output that is not a plain file name.
    #[error("{}: {step}: output {output:?} must be a plain file name: it is written into the outputs directory", .path.display())]
    OutputNotAFileName {
        /// The pipeline file.
        path: PathBuf,
        /// The step.
        step: String,
        /// The output.
        output: String,
    },
    /// A step's output an earlier step writes too.
    #[error("{}: {step}: output {output:?} is written by an earlier step too", .path.display())]
    OutputTwice {
        /// The pipeline file.
        path: PathBuf,
        /// The step.
        step: String,
        /// The output.
        output: String,
    },
    /// A pipeline without steps.
    #[error("{}: the pipeline has no [[step]]", .path.display())]
    NoSteps {
        /// The pipeline file.
        path: PathBuf,
    },
    /// A value written as text that reads as nothing, met when its step runs.
    #[error("{message}")]
    UnreadValue {
        /// The setting.
        key: String,
        /// The TOML reader's message: free text, as the reader words it.
        message: String,
    },
    /// An input a step reads that does not exist.
    #[error("{}: {step} reads {}, which does not exist", .pipeline.display(), .input.display())]
    MissingInput {
        /// The pipeline file.
        pipeline: PathBuf,
        /// The step.
        step: String,
        /// The input.
        input: PathBuf,
    },
    /// A step's data finding, which stops the run.
    #[error("{step}: a data finding:\n{finding}")]
    Finding {
        /// The step.
        step: String,
        /// The finding as its command prints it: free text, lines of the command's own.
        finding: String,
    },
    /// Another run holds the lock of the outputs.
    #[error("{}: another urval run ({holder}) is writing these outputs; wait for it to finish", .lock.display())]
    Locked {
        /// The lock file.
        lock: PathBuf,
        /// Who holds it (`pid 123`, `pid unknown`).
        holder: String,
    },
    /// An outputs path without a parent directory and a name.
    #[error("{}: not a directory path for the outputs", .outputs.display())]
    NotAnOutputsPath {
        /// The outputs path.
        outputs: PathBuf,
    },
    /// An outputs directory whose parent does not exist.
    #[error("{}: the outputs directory's parent does not exist", .parent.display())]
    NoOutputsParent {
        /// The parent.
        parent: PathBuf,
    },
    /// An outputs directory an earlier run did not make.
    #[error("{}: a directory that urval run did not make; urval run keeps each run's outputs in {} and makes {} a link to the newest: move the directory away or give another outputs path", .link.display(), .generations.display(), .link.display())]
    ForeignOutputs {
        /// The outputs path.
        link: PathBuf,
        /// Where the generations would be kept, as named beside it.
        generations: PathBuf,
    },
    /// An outputs path that is a file.
    #[error("{}: a file, not an outputs directory: give another outputs path", .link.display())]
    OutputsIsAFile {
        /// The outputs path.
        link: PathBuf,
    },
    /// A plan step without a key.
    #[error("a plan step needs key = \"COL\" (or key at the top of the pipeline)")]
    NoKey,
    /// `cost` in a plan step without `purposes`.
    #[error("cost belongs to a plan for several purposes: give purposes = \"FILE\"")]
    CostWithoutPurposes,
    /// A start outside [0, 1).
    #[error("start must be in [0, 1), got {got}")]
    BadStart {
        /// The start given.
        got: f64,
    },
}

impl From<PipelineError> for OpsError {
    fn from(e: PipelineError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
