//! The one error type of the design math: every invalid argument, named with its value.

use thiserror::Error;

/// For a rate given as a percentage without `%` (1 < v < 100): `: did you mean 5 % (0.05)?`.
fn percent_hint(v: f64) -> String {
    if v > 1.0 && v < 100.0 {
        format!(": did you mean {v} % ({})?", v / 100.0)
    } else {
        String::new()
    }
}

/// An argument the design math cannot work with. Each variant carries the offending value.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DesignError {
    /// A margin of error outside (0, 1).
    #[error("margin must be in [0.000001, 1) (±0.0001 to ±100 points), got {value}{}", percent_hint(*value))]
    InvalidMargin {
        /// The margin given.
        value: f64,
    },
    /// A confidence level outside (0, 1).
    #[error("confidence must be in (0, 1), got {value}{}", percent_hint(*value))]
    InvalidConfidence {
        /// The confidence given.
        value: f64,
    },
    /// An anticipated proportion outside [0, 1].
    #[error("proportion must be in [0, 1], got {value}{}", percent_hint(*value))]
    InvalidProportion {
        /// The proportion given.
        value: f64,
    },
    /// A relative margin needs an anticipated proportion above 0.
    #[error("a relative margin needs a proportion above 0, got {value}")]
    RelativeMarginNeedsProportion {
        /// The proportion given.
        value: f64,
    },
    /// A design effect that is not a positive finite number.
    #[error("design effect must be a positive number up to 1,000,000, got {value}")]
    InvalidDesignEffect {
        /// The design effect given.
        value: f64,
    },
    /// A population size below 1.
    #[error("population must be at least 1, got {value}")]
    InvalidPopulation {
        /// The population given.
        value: u64,
    },
    /// A response rate outside (0, 1].
    #[error("response rate must be in (0, 1], got {value}{}", percent_hint(*value))]
    InvalidResponseRate {
        /// The response rate given.
        value: f64,
    },
    /// A tolerable deviation rate outside (0, 1).
    #[error("tolerable rate must be in [0.000001, 1), got {value}{}", percent_hint(*value))]
    InvalidTolerableRate {
        /// The tolerable rate given.
        value: f64,
    },
    /// An expected deviation rate outside [0, 1).
    #[error("expected rate must be in [0, 1), got {value}{}", percent_hint(*value))]
    InvalidExpectedRate {
        /// The expected rate given.
        value: f64,
    },
    /// The expected deviation rate is not below the tolerable rate: no sample size can show
    /// the rate is below the tolerable rate.
    #[error(
        "the expected rate {expected} is not below the tolerable rate {tolerable}: no sample size can show the deviation rate is below it"
    )]
    ExpectedNotBelowTolerable {
        /// The expected rate.
        expected: f64,
        /// The tolerable rate.
        tolerable: f64,
    },
    /// No two-stage plan meets the conditions.
    #[error("{reason}")]
    Staged {
        /// Why.
        reason: String,
    },
    /// With a finite population, ⌈T·N⌉ deviations are not more than the K allowed, so even a
    /// census cannot reach the confidence.
    #[error(
        "no sample of at most N = {population} records can reach the confidence: the tolerable rate allows {tolerable_deviations} deviations in the population but {allowed} are expected in the sample"
    )]
    AttributeUnreachable {
        /// The population size N.
        population: u64,
        /// ⌈T·N⌉, the deviations the tolerable rate allows in the population.
        tolerable_deviations: u64,
        /// K, the deviations allowed in the sample.
        allowed: u64,
    },
    /// The search for an attribute sample size passed its limit without reaching the confidence.
    #[error("no sample size up to {limit} reaches the confidence; widen the tolerable rate or lower the expected rate")]
    SearchLimit {
        /// The largest n tried.
        limit: u64,
    },
    /// The hypergeometric likelihood needs a population size.
    #[error("the hypergeometric likelihood needs a population size (--population)")]
    HypergeometricNeedsPopulation,
    /// A sample of zero records.
    #[error("sample size must be at least 1")]
    EmptySample,
    /// More deviations than sampled records.
    #[error("deviations ({deviations}) exceed the sample size ({sample})")]
    DeviationsExceedSample {
        /// Deviations found.
        deviations: u64,
        /// Records sampled.
        sample: u64,
    },
    /// A sample larger than the population.
    #[error("sample size ({sample}) exceeds the population ({population})")]
    SampleExceedsPopulation {
        /// Records sampled.
        sample: u64,
        /// Population size.
        population: u64,
    },
    /// An allocation without strata.
    #[error("no strata to allocate to")]
    NoStrata,
    /// Two strata with the same name.
    #[error("stratum {name:?} appears more than once")]
    DuplicateStratum {
        /// The repeated name.
        name: String,
    },
    /// A stratum with population 0.
    #[error("stratum {name:?}: population must be at least 1")]
    EmptyStratum {
        /// The stratum.
        name: String,
    },
    /// A stratum proportion outside [0, 1].
    #[error("stratum {name:?}: proportion must be in [0, 1], got {value}")]
    InvalidStratumProportion {
        /// The stratum.
        name: String,
        /// The proportion given.
        value: f64,
    },
    /// A stratum cost that is not a positive finite number.
    #[error("stratum {name:?}: cost must be a positive number, got {value}")]
    InvalidCost {
        /// The stratum.
        name: String,
        /// The cost given.
        value: f64,
    },
    /// A minimum per stratum above the maximum.
    #[error("minimum per stratum ({min}) is above the maximum ({max})")]
    MinAboveMax {
        /// The minimum.
        min: u64,
        /// The maximum.
        max: u64,
    },
    /// The domain allocation sizes each stratum for its own margin and needs one.
    #[error("the domain allocation needs a margin (every stratum its own ±E), not a total")]
    DomainNeedsMargin,
    /// An allocation total of zero.
    #[error("total sample size must be at least 1")]
    EmptyTotal,
}
