//! The one error type of the small-area math: every input it cannot work with, named with
//! its value.

use thiserror::Error;

/// An input the small-area models cannot work with.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SmallAreaError {
    /// Fewer areas with a direct estimate than the model has parameters plus one.
    #[error("the model needs at least {needed} areas with sampled records, got {got}")]
    TooFewAreas {
        /// Areas with a direct estimate.
        got: usize,
        /// Areas the model needs.
        needed: usize,
    },
    /// A sampling variance that is not a positive finite number.
    #[error("area {area}: the sampling variance must be positive and finite, got {value}")]
    InvalidVariance {
        /// The area's position.
        area: usize,
        /// The value given.
        value: f64,
    },
    /// A direct estimate or covariate that is not finite.
    #[error("area {area}: {what} must be a finite number, got {value}")]
    NotFinite {
        /// The area's position.
        area: usize,
        /// What the value is.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// Covariate rows of different lengths.
    #[error("area {area} has {got} covariates, the first area {expected}")]
    RaggedCovariates {
        /// The area's position.
        area: usize,
        /// Its number of covariates.
        got: usize,
        /// The first area's number.
        expected: usize,
    },
    /// The covariates are linearly dependent over the sampled areas (XᵀV⁻¹X singular).
    #[error("the area covariates are linearly dependent over the sampled areas (a constant column beside the intercept, or two columns that are copies): drop one")]
    SingularCovariates,
    /// A share outside [0, 1].
    #[error("area {area}: a share must be in [0, 1], got {value}")]
    InvalidShare {
        /// The area's position.
        area: usize,
        /// The value given.
        value: f64,
    },
    /// A target that is not a positive finite number.
    #[error("the target {what} must be positive, got {value}")]
    InvalidTarget {
        /// What the target is.
        what: &'static str,
        /// The value given.
        value: f64,
    },
}
