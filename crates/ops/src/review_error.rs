//! [`ReviewError`]: what the review loop refuses (templates, reviews read back, the
//! agreement of a re-review, phase 2), one variant per kind of failure, with what the
//! message names as fields. It converts into [`OpsError`] (as its `Room` variant;
//! [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use urval_artifacts::OpsError;

/// What the review loop refuses: a manifest, a spec or a review file it cannot use, a
/// review that does not match its manifest, and a phase-2 plan or sample that does not
/// match its phase 1. Each message is one line and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// A manifest without the columns a review template needs.
    #[error("{}: not a urval manifest", .path.display())]
    NotAManifest {
        /// The file.
        path: PathBuf,
    },
    /// Rows of the manifest without key or stratum.
    #[error("{}: rows of the manifest cannot be read (empty key or stratum)", .path.display())]
    UnreadableManifestRows {
        /// The manifest.
        path: PathBuf,
    },
    /// A spec without a share indicator, so without a yes/no question.
    #[error("{}: no share indicator, so no yes/no question to {action}", .spec.display())]
    NoQuestion {
        /// The spec.
        spec: PathBuf,
        /// What was asked (`review`, `re-review`).
        action: &'static str,
    },
    /// A question named like a column of the manifest.
    #[error(
        "question {question:?} has the name of a manifest column: rename the indicator in the spec"
    )]
    QuestionIsAColumn {
        /// The question.
        question: String,
    },
    /// No review file at the path.
    #[error("{}: no review file", .path.display())]
    NoReviewFile {
        /// The path given.
        path: PathBuf,
    },
    /// A review file without any of the spec's questions.
    #[error("{}: none of the questions ({}) is a column: is this the template of this spec?", .review.display(), .questions.join(", "))]
    NoQuestionColumns {
        /// The review file.
        review: PathBuf,
        /// The spec's questions.
        questions: Vec<String>,
    },
    /// A reviewed record that is not in the manifest.
    #[error("{}: row {row}: record {key} is not in the manifest {manifest}: a review lists the drawn records only", .review.display())]
    NotDrawn {
        /// The review file.
        review: PathBuf,
        /// The row.
        row: u64,
        /// The record's key (masked when personal).
        key: String,
        /// The manifest's file name.
        manifest: String,
    },
    /// A record reviewed on two rows.
    #[error("{}: rows {first} and {second} both review record {key}: keep one", .review.display())]
    ReviewedTwice {
        /// The review file.
        review: PathBuf,
        /// The first row.
        first: u64,
        /// The second row.
        second: u64,
        /// The record's key (masked when personal).
        key: String,
    },
    /// A reviewed record whose stratum changed.
    #[error(
        "{}: row {row}: record {key} is in stratum ({}) in the manifest but ({}) here: the stratum columns must not change",
        .review.display(),
        .manifest_values.join(", "),
        .review_values.join(", ")
    )]
    StratumChanged {
        /// The review file.
        review: PathBuf,
        /// The row.
        row: u64,
        /// The record's key (masked when personal).
        key: String,
        /// Its stratum in the manifest.
        manifest_values: Vec<String>,
        /// Its stratum in the review.
        review_values: Vec<String>,
    },
    /// `--review` without `--manifest`.
    #[error("--review needs --manifest: the answers are weighted by the manifest's design")]
    ReviewWithoutManifest,
    /// A question the review does not have.
    #[error("{}: no question {question:?}", .review.display())]
    NoSuchQuestion {
        /// The review file.
        review: PathBuf,
        /// The question.
        question: String,
    },
    /// A question the review does not have, with those it has.
    #[error("{}: no question {question:?} (it has {})", .review.display(), .questions.join(", "))]
    NoSuchQuestionOf {
        /// The review file.
        review: PathBuf,
        /// The question.
        question: String,
        /// The review's questions.
        questions: Vec<String>,
    },
    /// No sidecar to take the populations from.
    #[error("{}: no sidecar to take N_h from", .manifest.display())]
    NoSidecar {
        /// The manifest.
        manifest: PathBuf,
    },
    /// A manifest of pseudonyms matched with an extract.
    #[error("{}: the manifest's keys are pseudonyms, which the extract's keys cannot be matched with: leave out --extract (a question's `where` may then name only the manifest's columns)", .manifest.display())]
    PseudonymsWithExtract {
        /// The manifest.
        manifest: PathBuf,
    },
    /// A review with answers outside the list.
    #[error("{}: {count} rows hold answers outside the list (first: row {row}, {reason}): correct them first", .review.display())]
    AnswersOutsideList {
        /// The review file.
        review: PathBuf,
        /// Rows with such answers.
        count: usize,
        /// The first of them.
        row: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A re-reviewed record without a self-review.
    #[error("{}: row {row}: record {key} was re-reviewed but has no answers in the self-review {phase1}", .phase2.display())]
    NotSelfReviewed {
        /// The re-review.
        phase2: PathBuf,
        /// The row.
        row: u64,
        /// The record's key.
        key: String,
        /// The self-review's file name.
        phase1: String,
    },
    /// A phase-2 plan's stratum asking for more records than phase 1 has.
    #[error("{}: stratum {stratum} asks for {n} of {phase1_n} records", .path.display())]
    Phase2OverPhase1 {
        /// The phase-2 plan.
        path: PathBuf,
        /// The stratum, described by its values.
        stratum: String,
        /// Records asked.
        n: u64,
        /// Records in phase 1.
        phase1_n: u64,
    },
    /// A question whose `where` names a column the phase-1 manifest lacks.
    #[error("question {question:?}: its `where` names a column the phase-1 manifest lacks: give --extract (the extract it was drawn from)")]
    WhereNeedsExtract {
        /// The question.
        question: String,
    },
    /// A phase-1 manifest whose stratum differs from the phase-2 plan's.
    #[error("stratum {stratum} has {found} records in the phase-1 manifest, the phase-2 plan says {planned}: plan phase 2 again")]
    Phase1Changed {
        /// The stratum, described by its values.
        stratum: String,
        /// Records found.
        found: usize,
        /// Records the plan says.
        planned: u64,
    },
    /// A phase-2 plan's question without a stratum.
    #[error("the phase-2 plan's question {question:?} does not list stratum {stratum}: plan phase 2 again")]
    QuestionWithoutStratum {
        /// The question.
        question: String,
        /// The stratum, described by its values.
        stratum: String,
    },
    /// A question's applicable records that differ from the phase-2 plan's.
    #[error("question {question:?}: stratum {stratum} has {found} records it applies to in the phase-1 manifest, the phase-2 plan says {planned}: plan phase 2 again")]
    ApplicableChanged {
        /// The question.
        question: String,
        /// The stratum, described by its values.
        stratum: String,
        /// Records found.
        found: u64,
        /// Records the plan says.
        planned: u64,
    },
    /// `--by` naming a column that is not a strata column of the manifest.
    #[error("--by {column:?}: group by strata columns of the manifest ({})", .strata_columns.join(", "))]
    ByNotAStrataColumn {
        /// The column.
        column: String,
        /// The manifest's strata columns.
        strata_columns: Vec<String>,
    },
    /// `--per` naming a column that is not a strata column of the manifest.
    #[error("--per {column:?}: give a strata column of the manifest ({})", .strata_columns.join(", "))]
    PerNotAStrataColumn {
        /// The column.
        column: String,
        /// The manifest's strata columns.
        strata_columns: Vec<String>,
    },
    /// A start outside [0, 1).
    #[error("start must be in [0, 1), got {got}")]
    BadStart {
        /// The start given.
        got: f64,
    },
    /// A phase-1 manifest that is not the one the phase-2 plan was made for.
    #[error("{}: not the phase-1 manifest {plan} was planned for (checksums differ)", .manifest.display())]
    OtherPhase1Manifest {
        /// The manifest.
        manifest: PathBuf,
        /// The phase-2 plan's file name.
        plan: String,
    },
    /// A manifest that is not a phase-2 manifest.
    #[error("{}: not a phase-2 manifest", .manifest.display())]
    NotPhase2 {
        /// The manifest.
        manifest: PathBuf,
    },
    /// A phase-1 manifest that is not the one a phase-2 sample was drawn from.
    #[error("{}: not the phase-1 manifest this sample was drawn from (checksums differ)", .manifest.display())]
    NotItsPhase1 {
        /// The phase-1 manifest.
        manifest: PathBuf,
    },
}

impl From<ReviewError> for OpsError {
    fn from(e: ReviewError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
