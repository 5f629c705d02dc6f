//! The Fay–Herriot model for shares on the arcsine scale, as in `emdi::fh` with
//! `transformation = "arcsin"` (Hadam, Würz & Kreutzmann 2020; Casas-Cordero, Encina &
//! Lahiri 2016): y_d = asin(√p̂_d) has a sampling variance close to 1/(4 n_eff,d) whatever
//! the share, the model is fitted on that scale, and the EBLUP is taken back to a share
//! with a bias correction; its mean squared error on the share scale comes from a
//! parametric bootstrap (González-Manteiga et al. 2008; Hadam et al. 2020).

use crate::fay_herriot::{fit_reml, AreaLevel, Fit, FitOptions};
use crate::SmallAreaError;
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{FRAC_PI_2, PI};
use urval_design::dist::normal_cdf;

/// The arcsine (angular) transform y = asin(√p) of a share p in [0, 1].
pub fn transform(p: f64) -> f64 {
    p.clamp(0.0, 1.0).sqrt().asin()
}

/// The sampling variance of asin(√p̂) for a share from n_eff effectively independent
/// records: 1/(4 n_eff) (the delta method: d asin(√p)/dp = 1/(2√(p(1 − p))); Anscombe
/// 1948; Rao & Molina 2015 §6.1.1).
pub fn sampling_variance(n_eff: f64) -> f64 {
    1.0 / (4.0 * n_eff)
}

/// A value on the arcsine scale taken back to a share: sin²(θ) with θ held to [0, π/2]
/// (the share is 0 below the range and 1 above it).
pub fn share_of(theta: f64) -> f64 {
    theta.clamp(0.0, FRAC_PI_2).sin().powi(2)
}

/// The bias-corrected back-transformation: the expected share
/// E[sin²(min(max(Z, 0), π/2))] for Z ~ N(μ, s²), the conditional distribution of the
/// area's value on the arcsine scale given its data (μ the EBLUP, s² = γ_dψ_d; σ̂²_u for
/// an area without data). Hadam, Würz & Kreutzmann (2020) §2.2 (the integral of the
/// back-transformation against the predictive density); computed as
/// Φ((μ − π/2)/s) + ∫₀^{π/2} sin²(z) φ((z − μ)/s)/s dz by Simpson's rule on 512
/// sub-intervals of the range within 9 s of μ, or, when that range lies inside [0, π/2],
/// by the closed form ½(1 − cos(2μ)·e^{−2s²}). With s = 0 it is sin²(μ) held to [0, π/2].
pub fn back_transform(mu: f64, s2: f64) -> f64 {
    let s = s2.max(0.0).sqrt();
    if s < 1e-12 {
        return share_of(mu);
    }
    if mu - 9.0 * s >= 0.0 && mu + 9.0 * s <= FRAC_PI_2 {
        // Away from the edges (less than 10⁻¹⁸ of the mass outside [0, π/2]) the integral
        // has the closed form E[sin²Z] = ½(1 − cos(2μ)·e^{−2s²}).
        return 0.5 * (1.0 - (2.0 * mu).cos() * (-2.0 * s * s).exp());
    }
    let upper_mass = normal_cdf((mu - FRAC_PI_2) / s);
    let lo = (mu - 9.0 * s).max(0.0);
    let hi = (mu + 9.0 * s).min(FRAC_PI_2);
    if hi <= lo {
        return upper_mass.clamp(0.0, 1.0);
    }
    const STEPS: usize = 512;
    let h = (hi - lo) / STEPS as f64;
    let f = |z: f64| {
        let t = (z - mu) / s;
        z.sin().powi(2) * (-0.5 * t * t).exp() / (s * (2.0 * PI).sqrt())
    };
    let mut sum = f(lo) + f(hi);
    for i in 1..STEPS {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(lo + h * i as f64);
    }
    (upper_mass + sum * h / 3.0).clamp(0.0, 1.0)
}

/// One area's input: its direct share and effective sample size (None without a sampled
/// record), and its covariates (without the intercept, which the model adds).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaShare {
    /// The direct estimate and the effective number of records behind it.
    pub direct: Option<(f64, f64)>,
    /// The area's covariates.
    pub covariates: Vec<f64>,
}

/// How the model is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArcsineOptions {
    /// The confidence of the intervals.
    pub confidence: f64,
    /// Parametric bootstrap replicates for the MSE on the share scale.
    pub bootstrap: usize,
    /// The bootstrap's seed (ChaCha8).
    pub seed: u64,
}

impl Default for ArcsineOptions {
    fn default() -> Self {
        ArcsineOptions {
            confidence: 0.95,
            bootstrap: 200,
            seed: 1,
        }
    }
}

/// One area's model-based estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaEstimate {
    /// The model-based share.
    pub estimate: f64,
    /// Its interval.
    pub lower: f64,
    /// Its interval.
    pub upper: f64,
    /// Its root mean squared error on the share scale.
    pub rmse: f64,
    /// The weight of the direct estimate (γ_d); `None` for a synthetic estimate.
    pub shrinkage: Option<f64>,
}

/// The fitted model and every area's estimate, in the input's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcsineFit {
    /// The Fay–Herriot fit on the arcsine scale.
    pub fit: Fit,
    /// The areas' estimates.
    pub areas: Vec<AreaEstimate>,
    /// Bootstrap replicates that fitted (a replicate whose REML fit fails is left out).
    pub replicates: usize,
}

fn design_row(a: &AreaShare) -> Vec<f64> {
    let mut row = Vec::with_capacity(a.covariates.len() + 1);
    row.push(1.0);
    row.extend_from_slice(&a.covariates);
    row
}

struct Prepared {
    sampled: Vec<usize>,
    y: Vec<f64>,
    psi: Vec<f64>,
    x_all: Vec<Vec<f64>>,
}

fn prepare(areas: &[AreaShare]) -> Result<Prepared, SmallAreaError> {
    let mut p = Prepared {
        sampled: Vec::new(),
        y: Vec::new(),
        psi: Vec::new(),
        x_all: areas.iter().map(design_row).collect(),
    };
    for (d, a) in areas.iter().enumerate() {
        if let Some((share, n_eff)) = a.direct {
            if !(0.0..=1.0).contains(&share) {
                return Err(SmallAreaError::InvalidShare {
                    area: d,
                    value: share,
                });
            }
            if !(n_eff > 0.0 && n_eff.is_finite()) {
                return Err(SmallAreaError::InvalidVariance {
                    area: d,
                    value: n_eff,
                });
            }
            p.sampled.push(d);
            p.y.push(transform(share));
            p.psi.push(sampling_variance(n_eff));
        }
    }
    Ok(p)
}

/// The point estimates of every area on the arcsine scale, (μ_d, s²_d, γ_d): the EBLUP
/// and its conditional variance for a sampled area, the synthetic estimate and σ̂²_u for
/// another.
fn points(fit: &Fit, p: &Prepared, y: &[f64]) -> Vec<(f64, f64, Option<f64>)> {
    let mut out: Vec<(f64, f64, Option<f64>)> = p
        .x_all
        .iter()
        .map(|x| (fit.synthetic(x), fit.sigma2, None))
        .collect();
    for (i, &d) in p.sampled.iter().enumerate() {
        let psi = p.psi[i];
        out[d] = (
            fit.eblup(y[i], psi, &p.x_all[d]),
            fit.g1(psi),
            Some(fit.gamma(psi)),
        );
    }
    out
}

/// A standard normal deviate from two uniforms (Box & Muller 1958).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Fit the arcsine Fay–Herriot model and estimate every area's share.
///
/// Point: the bias-corrected back-transformation of the EBLUP ([`back_transform`]).
/// Interval: the EBLUP ± z·√mse_PR on the arcsine scale (Prasad–Rao, [`Fit::mse_prasad_rao`];
/// for an area without data [`Fit::mse_synthetic`]) taken back with [`share_of`], which is
/// monotone, so the interval lies in [0, 1]. RMSE: the parametric bootstrap of Hadam,
/// Würz & Kreutzmann (2020) §2.3 (after González-Manteiga et al. 2008): B times draw
/// u*_d ~ N(0, σ̂²_u), θ*_d = x_dᵀβ̂ + u*_d, y*_d = θ*_d + e*_d with e*_d ~ N(0, ψ_d),
/// refit, and average (p̂*_d − sin²θ*_d)² over the replicates (θ* held to [0, π/2]).
///
/// # Errors
/// The model cannot be fitted ([`fit_reml`]) or a share or size is invalid.
pub fn fit_shares(
    areas: &[AreaShare],
    options: ArcsineOptions,
) -> Result<ArcsineFit, SmallAreaError> {
    let p = prepare(areas)?;
    let x_sampled: Vec<Vec<f64>> = p.sampled.iter().map(|&d| p.x_all[d].clone()).collect();
    let data = AreaLevel {
        y: &p.y,
        vardir: &p.psi,
        x: &x_sampled,
    };
    let fit = fit_reml(&data, FitOptions::default())?;
    let pts = points(&fit, &p, &p.y);
    let z = urval_design::z_two_sided(options.confidence);
    let mut mse_pr: Vec<f64> = p.x_all.iter().map(|x| fit.mse_synthetic(x)).collect();
    for (i, &d) in p.sampled.iter().enumerate() {
        mse_pr[d] = fit.mse_prasad_rao(p.psi[i], &p.x_all[d]);
    }
    let (mse_boot, replicates) = bootstrap(&fit, &p, &x_sampled, options);
    let areas = pts
        .iter()
        .enumerate()
        .map(|(d, &(mu, s2, gamma))| {
            let estimate = back_transform(mu, s2);
            let half = z * mse_pr[d].sqrt();
            AreaEstimate {
                estimate,
                lower: share_of(mu - half).min(estimate),
                upper: share_of(mu + half).max(estimate),
                rmse: mse_boot[d].sqrt(),
                shrinkage: gamma,
            }
        })
        .collect();
    Ok(ArcsineFit {
        fit,
        areas,
        replicates,
    })
}

fn bootstrap(
    fit: &Fit,
    p: &Prepared,
    x_sampled: &[Vec<f64>],
    options: ArcsineOptions,
) -> (Vec<f64>, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let m = p.x_all.len();
    let mut sum = vec![0.0; m];
    let mut used = 0usize;
    let sd_u = fit.sigma2.sqrt();
    for _ in 0..options.bootstrap {
        let theta: Vec<f64> = p
            .x_all
            .iter()
            .map(|x| fit.synthetic(x) + sd_u * standard_normal(&mut rng))
            .collect();
        let y: Vec<f64> = p
            .sampled
            .iter()
            .enumerate()
            .map(|(i, &d)| theta[d] + p.psi[i].sqrt() * standard_normal(&mut rng))
            .collect();
        let data = AreaLevel {
            y: &y,
            vardir: &p.psi,
            x: x_sampled,
        };
        let Ok(refit) = fit_reml(&data, FitOptions::default()) else {
            continue;
        };
        used += 1;
        for (d, (mu, s2, _)) in points(&refit, p, &y).into_iter().enumerate() {
            let err = back_transform(mu, s2) - share_of(theta[d]);
            sum[d] += err * err;
        }
    }
    let mse = sum.iter().map(|s| s / used.max(1) as f64).collect();
    (mse, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn the_transform_and_its_inverse_agree() {
        for p in [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0] {
            assert_abs_diff_eq!(share_of(transform(p)), p, epsilon = 1e-15);
        }
        assert_abs_diff_eq!(sampling_variance(25.0), 0.01);
    }

    #[test]
    fn the_back_transformation_is_the_expected_share() {
        // Far from the edges the censoring does not matter and
        // E[sin²Z] = ½(1 − cos(2μ)·e^{−2s²}) in closed form.
        for (mu, s2) in [(0.8f64, 0.01f64), (0.9, 0.008), (0.6, 0.003)] {
            let closed = 0.5 * (1.0 - (2.0 * mu).cos() * (-2.0 * s2).exp());
            assert_abs_diff_eq!(back_transform(mu, s2), closed, epsilon = 1e-9);
        }
        // At the upper edge half the mass is a share of 1.
        let at_edge = back_transform(FRAC_PI_2, 0.01);
        assert!(at_edge > 0.98 && at_edge < 1.0, "{at_edge}");
        assert_eq!(back_transform(0.7, 0.0), share_of(0.7));
    }

    proptest! {
        #[test]
        fn the_back_transformation_is_a_share_and_grows_with_mu(
            mu in -0.5f64..2.1, s2 in 0.0f64..0.2, step in 0.001f64..0.3
        ) {
            let a = back_transform(mu, s2);
            let b = back_transform(mu + step, s2);
            prop_assert!((0.0..=1.0).contains(&a));
            prop_assert!(b >= a - 1e-12);
        }
    }
}
