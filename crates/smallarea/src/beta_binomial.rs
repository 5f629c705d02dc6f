//! Empirical-Bayes shrinkage of shares without covariates: the beta-binomial model
//! k_d | p_d ~ Binomial(n_d, p_d), p_d ~ Beta(α, β), with α = mM and β = (1 − m)M fitted
//! by maximum marginal likelihood over all areas, and each area's share estimated by its
//! posterior Beta(k_d + α, n_d − k_d + β) (Gelman et al. 2013 §5.3; Rao & Molina 2015
//! §9.6; Kleinman 1973 for the model). It shrinks every area towards the rate m of all
//! areas, the more the fewer its records.

use crate::SmallAreaError;
use urval_design::dist::{beta_quantile, ln_gamma};

/// The fitted prior: its mean m and its precision M (α = mM, β = (1 − m)M).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// The prior mean: the rate the areas are shrunk towards.
    pub mean: f64,
    /// The prior precision: worth M records.
    pub precision: f64,
}

/// One area's posterior summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posterior {
    /// The posterior mean (k + α)/(n + M).
    pub estimate: f64,
    /// The equal-tailed posterior interval (Beta quantiles).
    pub lower: f64,
    /// The equal-tailed posterior interval (Beta quantiles).
    pub upper: f64,
    /// The posterior standard deviation √(p̃(1 − p̃)/(n + M + 1)).
    pub rmse: f64,
    /// The weight of the direct estimate, n/(n + M); `None` for an area without records.
    pub shrinkage: Option<f64>,
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The marginal log-likelihood Σ_d [ln B(k_d + α, n_d − k_d + β) − ln B(α, β)] (the
/// binomial coefficients dropped; k_d and n_d may be effective, non-integer counts).
fn log_likelihood(counts: &[(f64, f64)], mean: f64, precision: f64) -> f64 {
    let a = mean * precision;
    let b = (1.0 - mean) * precision;
    let lb = ln_beta(a, b);
    counts
        .iter()
        .map(|&(k, n)| ln_beta(k + a, n - k + b) - lb)
        .sum()
}

/// The maximum of a unimodal function on [lo, hi] by golden-section search (Kiefer 1953).
fn golden_max(mut lo: f64, mut hi: f64, iterations: usize, f: impl Fn(f64) -> f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - r * (hi - lo);
    let mut d = lo + r * (hi - lo);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..iterations {
        if fc >= fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - r * (hi - lo);
            fc = f(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + r * (hi - lo);
            fd = f(d);
        }
    }
    0.5 * (lo + hi)
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fit the prior by maximum marginal likelihood: for each precision the best mean (a
/// golden-section search on the logit of m), and the precision by a golden-section search
/// on ln M over [ln 0.1, ln 10⁶] (a precision at the upper end means the areas differ no
/// more than binomial sampling explains: every area is shrunk to the common rate).
///
/// `counts` are (successes, records) per area with records, effective counts allowed.
///
/// # Errors
/// Fewer than two areas, or counts that are not 0 ≤ k ≤ n with n > 0.
pub fn fit_prior(counts: &[(f64, f64)]) -> Result<Prior, SmallAreaError> {
    if counts.len() < 2 {
        return Err(SmallAreaError::TooFewAreas {
            got: counts.len(),
            needed: 2,
        });
    }
    for (d, &(k, n)) in counts.iter().enumerate() {
        if !(n > 0.0 && n.is_finite()) {
            return Err(SmallAreaError::InvalidVariance { area: d, value: n });
        }
        if !(0.0..=n).contains(&k) {
            return Err(SmallAreaError::InvalidShare {
                area: d,
                value: k / n,
            });
        }
    }
    let best_mean = |precision: f64| {
        logistic(golden_max(-12.0, 12.0, 60, |t| {
            log_likelihood(counts, logistic(t), precision)
        }))
    };
    let ln_m = golden_max(0.1f64.ln(), 1e6f64.ln(), 60, |s| {
        let precision = s.exp();
        log_likelihood(counts, best_mean(precision), precision)
    });
    let precision = ln_m.exp();
    Ok(Prior {
        mean: best_mean(precision),
        precision,
    })
}

impl Prior {
    /// The posterior of an area with k successes in n records (n = 0: the prior itself,
    /// the synthetic estimate of an area without records).
    pub fn posterior(&self, k: f64, n: f64, confidence: f64) -> Posterior {
        let a = k + self.mean * self.precision;
        let b = n - k + (1.0 - self.mean) * self.precision;
        let estimate = a / (a + b);
        let tail = (1.0 - confidence) / 2.0;
        Posterior {
            estimate,
            lower: beta_quantile(tail, a, b),
            upper: beta_quantile(1.0 - tail, a, b),
            rmse: (estimate * (1.0 - estimate) / (a + b + 1.0)).sqrt(),
            shrinkage: (n > 0.0).then(|| n / (n + self.precision)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn the_posterior_is_the_conjugate_beta() {
        // Prior Beta(3, 1) (m = 0.75, M = 4); 7 of 10: Beta(10, 4), mean 10/14.
        let prior = Prior {
            mean: 0.75,
            precision: 4.0,
        };
        let post = prior.posterior(7.0, 10.0, 0.95);
        assert_abs_diff_eq!(post.estimate, 10.0 / 14.0, epsilon = 1e-15);
        assert_abs_diff_eq!(post.shrinkage.unwrap_or(0.0), 10.0 / 14.0, epsilon = 1e-15);
        // sd of Beta(10, 4) = √(ab/((a+b)²(a+b+1))).
        let sd = (40.0f64 / (196.0 * 15.0)).sqrt();
        assert_abs_diff_eq!(post.rmse, sd, epsilon = 1e-15);
        assert!(post.lower < post.estimate && post.estimate < post.upper);
        assert_eq!(prior.posterior(0.0, 0.0, 0.95).shrinkage, None);
    }

    #[test]
    fn the_fit_finds_the_prior_of_a_simulated_population() {
        // 400 areas with p_d from Beta(15, 5) (m = 0.75, M = 20), 40 records each, with a
        // fixed sequence of shares and counts; the fit should come near m and M.
        let mut state = 7u64;
        let mut unif = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        };
        let counts: Vec<(f64, f64)> = (0..400)
            .map(|_| {
                let p = beta_quantile(unif(), 15.0, 5.0);
                let k = (0..40).filter(|_| unif() < p).count() as f64;
                (k, 40.0)
            })
            .collect();
        let prior = fit_prior(&counts).expect("fits");
        assert!((prior.mean - 0.75).abs() < 0.02, "{prior:?}");
        assert!(
            prior.precision > 12.0 && prior.precision < 35.0,
            "{prior:?}"
        );
        // Areas that agree exactly: precision at the top of its range.
        let same = vec![(30.0, 40.0); 50];
        assert!(fit_prior(&same).expect("fits").precision > 1e5);
    }
}
