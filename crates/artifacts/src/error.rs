//! The one error type of the operations, [`OpsError`], and the two helpers the operations
//! use to build it: [`Context`] (a message in front of a cause, the cause kept as the
//! error's source) and [`crate::bail!`] (a request the operation cannot carry out, with
//! what to do about it).

use std::fmt::Display;
use std::path::PathBuf;
use urval_design::DesignError;
use urval_ingest::IngestError;

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
    /// The request, or an input, is not one the operation can use: the message names it and
    /// what to do.
    #[error("{0}")]
    Input(String),
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
    /// This error with a label in front (a pipeline step's), kept even when the message
    /// already says it.
    pub fn context_label(self, label: &str) -> OpsError {
        OpsError::Context {
            context: label.to_string(),
            source: Box::new(self),
        }
    }
}

/// The result of an operation.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;

/// Put a message in front of an error (kept as the source), or turn a missing value into an
/// error: the operations' counterpart of anyhow's `Context`.
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

impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| OpsError::Input(context.to_string()))
    }
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| OpsError::Input(f().to_string()))
    }
}

/// Return an [`OpsError::Input`] with a formatted message.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::OpsError::Input(format!($($arg)*)))
    };
}

/// An [`OpsError::Input`] with a formatted message.
#[macro_export]
macro_rules! input_error {
    ($($arg:tt)*) => {
        $crate::OpsError::Input(format!($($arg)*))
    };
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
