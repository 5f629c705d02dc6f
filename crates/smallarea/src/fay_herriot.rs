//! The area-level Fay–Herriot model: y_d = x_dᵀβ + u_d + e_d, u_d ~ N(0, σ²_u),
//! e_d ~ N(0, ψ_d) with ψ_d the (known) sampling variance of the direct estimate y_d
//! (Fay & Herriot 1979; Rao & Molina 2015, ch. 6).
//!
//! The between-area variance σ²_u by restricted maximum likelihood (REML) with Fisher
//! scoring, the EBLUP θ̂_d = γ_d y_d + (1 − γ_d) x_dᵀβ̂ with γ_d = σ²_u/(σ²_u + ψ_d), and
//! the Prasad–Rao mean squared error for REML (Datta & Lahiri 2000). Every sum runs over
//! the areas (V is diagonal), so nothing is larger than p × p.

use crate::error::SmallAreaError;
use crate::linalg::{apply, product, quadratic, spd_inverse, trace_of_product, zeros, Matrix};

/// Sampled areas: direct estimates, their sampling variances and covariate rows (the
/// first column 1 for an intercept, when there is one).
#[derive(Debug, Clone, Copy)]
pub struct AreaLevel<'a> {
    /// The direct estimates y_d.
    pub y: &'a [f64],
    /// Their sampling variances ψ_d (> 0).
    pub vardir: &'a [f64],
    /// The covariates x_d, one row per area, p columns each.
    pub x: &'a [Vec<f64>],
}

/// How REML is solved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// The most Fisher-scoring iterations.
    pub max_iter: usize,
    /// Stop when the relative change |σ²_{k+1} − σ²_k|/σ²_k falls below this.
    pub precision: f64,
}

impl Default for FitOptions {
    /// 100 iterations and a relative precision of 10⁻¹⁰ (converged to working precision).
    fn default() -> Self {
        FitOptions {
            max_iter: 100,
            precision: 1e-10,
        }
    }
}

impl FitOptions {
    /// `sae::eblupFH`'s own defaults (MAXITER = 100, PRECISION = 10⁻⁴), to reproduce its
    /// published figures.
    pub fn sae_defaults() -> Self {
        FitOptions {
            max_iter: 100,
            precision: 1e-4,
        }
    }
}

/// A fitted Fay–Herriot model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The between-area variance σ̂²_u (REML, truncated at 0).
    pub sigma2: f64,
    /// The regression coefficients β̂ (generalised least squares at σ̂²_u).
    pub beta: Vec<f64>,
    /// Their covariance (XᵀV⁻¹X)⁻¹ at σ̂²_u.
    pub beta_cov: Vec<Vec<f64>>,
    /// Fisher-scoring iterations used.
    pub iterations: usize,
    /// Whether the iterations met the precision within `max_iter`.
    pub converged: bool,
    /// The asymptotic variance of σ̂²_u, 2/Σ_d (σ̂²_u + ψ_d)⁻² (the inverse Fisher
    /// information; Rao & Molina 2015 eq. 6.2.19).
    pub sigma2_var: f64,
}

/// The generalised least squares pieces at one σ²: A = XᵀV⁻¹X, its inverse, β̂ and the
/// residuals r_d = (y_d − x_dᵀβ̂)/v_d (r = Py).
struct Gls {
    a_inv: Matrix,
    beta: Vec<f64>,
    r: Vec<f64>,
}

fn weighted_cross(x: &[Vec<f64>], w: impl Fn(usize) -> f64) -> Matrix {
    let p = x.first().map_or(0, Vec::len);
    let mut m = zeros(p);
    for (d, row) in x.iter().enumerate() {
        let wd = w(d);
        for i in 0..p {
            for j in 0..p {
                m[i][j] += wd * row[i] * row[j];
            }
        }
    }
    m
}

fn gls(data: &AreaLevel<'_>, sigma2: f64) -> Result<Gls, SmallAreaError> {
    let v: Vec<f64> = data.vardir.iter().map(|psi| sigma2 + psi).collect();
    let a = weighted_cross(data.x, |d| 1.0 / v[d]);
    let a_inv = spd_inverse(&a).ok_or(SmallAreaError::SingularCovariates)?;
    let p = a.len();
    let mut xty = vec![0.0; p];
    for (d, row) in data.x.iter().enumerate() {
        for i in 0..p {
            xty[i] += row[i] * data.y[d] / v[d];
        }
    }
    let beta = apply(&a_inv, &xty);
    let r = (0..v.len())
        .map(|d| (data.y[d] - dot(&data.x[d], &beta)) / v[d])
        .collect();
    Ok(Gls { a_inv, beta, r })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The REML score and Fisher information for σ²_u at one value:
/// s = −½ tr(P) + ½ yᵀPPy, F = ½ tr(PP), with P = V⁻¹ − V⁻¹X(XᵀV⁻¹X)⁻¹XᵀV⁻¹
/// (Rao & Molina 2015 §6.2.1, eqs. 6.2.8–6.2.9; Molina & Marhuenda 2015, The R Journal
/// 7(1), the Fisher-scoring algorithm of `eblupFH`). With V diagonal,
/// tr(P) = Σ v⁻¹ − tr(A⁻¹B) and tr(PP) = Σ v⁻² − 2 tr(A⁻¹C) + tr((A⁻¹B)²), where
/// A = XᵀV⁻¹X, B = XᵀV⁻²X and C = XᵀV⁻³X.
fn score_and_information(data: &AreaLevel<'_>, sigma2: f64, g: &Gls) -> (f64, f64) {
    let v: Vec<f64> = data.vardir.iter().map(|psi| sigma2 + psi).collect();
    let b = weighted_cross(data.x, |d| v[d].powi(-2));
    let c = weighted_cross(data.x, |d| v[d].powi(-3));
    let sum_inv: f64 = v.iter().map(|x| 1.0 / x).sum();
    let sum_inv2: f64 = v.iter().map(|x| x.powi(-2)).sum();
    let ab = product(&g.a_inv, &b);
    let tr_p = sum_inv - trace_of_product(&g.a_inv, &b);
    let tr_pp = sum_inv2 - 2.0 * trace_of_product(&g.a_inv, &c) + trace_of_product(&ab, &ab);
    let ypy: f64 = g.r.iter().map(|r| r * r).sum();
    (-0.5 * tr_p + 0.5 * ypy, 0.5 * tr_pp)
}

fn check(data: &AreaLevel<'_>) -> Result<usize, SmallAreaError> {
    let m = data.y.len();
    let p = data.x.first().map_or(0, Vec::len);
    for d in 0..m {
        if !data.y[d].is_finite() {
            return Err(SmallAreaError::NotFinite {
                area: d,
                what: "a direct estimate",
                value: data.y[d],
            });
        }
        let psi = data.vardir.get(d).copied().unwrap_or(f64::NAN);
        if !(psi > 0.0 && psi.is_finite()) {
            return Err(SmallAreaError::InvalidVariance {
                area: d,
                value: psi,
            });
        }
        let row = data.x.get(d).map_or(&[][..], Vec::as_slice);
        if row.len() != p {
            return Err(SmallAreaError::RaggedCovariates {
                area: d,
                got: row.len(),
                expected: p,
            });
        }
        if let Some(v) = row.iter().find(|v| !v.is_finite()) {
            return Err(SmallAreaError::NotFinite {
                area: d,
                what: "a covariate",
                value: *v,
            });
        }
    }
    if m < p + 2 {
        return Err(SmallAreaError::TooFewAreas {
            got: m,
            needed: p + 2,
        });
    }
    Ok(p)
}

/// Fit the Fay–Herriot model by REML with Fisher scoring, as `sae::eblupFH` does
/// (Molina & Marhuenda 2015): start at the median of the ψ_d, update
/// σ²_{k+1} = σ²_k + s(σ²_k)/F(σ²_k), stop when the relative change is below
/// `options.precision`, truncate at 0; then β̂ by generalised least squares at σ̂²_u.
/// An iterate that steps below 0 is held at 0 (where V stays positive definite).
///
/// # Errors
/// Fewer than p + 2 areas, a sampling variance that is not positive, a value that is not
/// finite, ragged or linearly dependent covariates.
pub fn fit_reml(data: &AreaLevel<'_>, options: FitOptions) -> Result<Fit, SmallAreaError> {
    check(data)?;
    let mut sorted = data.vardir.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len();
    let mut sigma2 = if m % 2 == 1 {
        sorted[m / 2]
    } else {
        0.5 * (sorted[m / 2 - 1] + sorted[m / 2])
    };
    let mut iterations = 0;
    let mut converged = false;
    while iterations < options.max_iter {
        let g = gls(data, sigma2)?;
        let (s, f) = score_and_information(data, sigma2, &g);
        iterations += 1;
        let mut next = sigma2 + s / f;
        if next < 0.0 {
            next = 0.0;
        }
        let diff = if sigma2 > 0.0 {
            ((next - sigma2) / sigma2).abs()
        } else {
            next
        };
        sigma2 = next;
        if diff < options.precision || (sigma2 == 0.0 && s <= 0.0) {
            converged = true;
            break;
        }
    }
    let g = gls(data, sigma2)?;
    let sigma2_var = 2.0
        / data
            .vardir
            .iter()
            .map(|psi| (sigma2 + psi).powi(-2))
            .sum::<f64>();
    Ok(Fit {
        sigma2,
        beta: g.beta,
        beta_cov: g.a_inv,
        iterations,
        converged,
        sigma2_var,
    })
}

impl Fit {
    /// The shrinkage factor γ_d = σ̂²_u/(σ̂²_u + ψ_d): the weight of the direct estimate.
    pub fn gamma(&self, psi: f64) -> f64 {
        if self.sigma2 + psi > 0.0 {
            self.sigma2 / (self.sigma2 + psi)
        } else {
            0.0
        }
    }

    /// The synthetic (regression) estimate x_dᵀβ̂: the prediction for an area without a
    /// direct estimate (Rao & Molina 2015 §6.1.1).
    pub fn synthetic(&self, x: &[f64]) -> f64 {
        dot(x, &self.beta)
    }

    /// The EBLUP θ̂_d = γ_d y_d + (1 − γ_d) x_dᵀβ̂ (Rao & Molina 2015 eq. 6.1.12).
    pub fn eblup(&self, y: f64, psi: f64, x: &[f64]) -> f64 {
        let g = self.gamma(psi);
        g * y + (1.0 - g) * self.synthetic(x)
    }

    /// The conditional (posterior) variance of θ_d given y_d under the model,
    /// g₁ = γ_d ψ_d (Rao & Molina 2015 eq. 6.1.15).
    pub fn g1(&self, psi: f64) -> f64 {
        self.gamma(psi) * psi
    }

    /// The Prasad–Rao estimate of the EBLUP's mean squared error under REML:
    /// mse_d = g₁ + g₂ + 2g₃ with g₁ = γ_dψ_d, g₂ = (1 − γ_d)² x_dᵀ(XᵀV⁻¹X)⁻¹x_d,
    /// g₃ = ψ_d²(σ̂²_u + ψ_d)⁻³ V̄(σ̂²_u) (Prasad & Rao 1990; Datta & Lahiri 2000; Rao &
    /// Molina 2015 eqs. 6.2.20–6.2.22; `sae::mseFH`).
    pub fn mse_prasad_rao(&self, psi: f64, x: &[f64]) -> f64 {
        let g = self.gamma(psi);
        let g1 = g * psi;
        let g2 = (1.0 - g).powi(2) * quadratic(&self.beta_cov, x);
        let g3 = psi * psi * (self.sigma2 + psi).powi(-3) * self.sigma2_var;
        g1 + g2 + 2.0 * g3
    }

    /// The mean squared error of the synthetic estimate of an area without a direct
    /// estimate: σ̂²_u + x_dᵀ(XᵀV⁻¹X)⁻¹x_d (Rao & Molina 2015 §6.2.3: the EBLUP with
    /// γ_d = 0).
    pub fn mse_synthetic(&self, x: &[f64]) -> f64 {
        self.sigma2 + quadratic(&self.beta_cov, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// The `milk` data of `sae` (Arora & Lahiri 1997; You & Chapman 2006; documented in
    /// `sae`'s `man/milk.Rd`): per small area the direct estimate yi, its standard
    /// deviation SD and the major area (1–4).
    pub(crate) const MILK: [(f64, f64, u8); 43] = [
        (1.099, 0.163, 1),
        (1.075, 0.08, 1),
        (1.105, 0.083, 1),
        (0.628, 0.109, 1),
        (0.753, 0.119, 1),
        (0.981, 0.141, 1),
        (1.257, 0.202, 1),
        (1.095, 0.127, 2),
        (1.405, 0.168, 2),
        (1.356, 0.178, 2),
        (0.615, 0.1, 2),
        (1.46, 0.201, 2),
        (1.338, 0.148, 2),
        (0.854, 0.143, 2),
        (1.176, 0.149, 3),
        (1.111, 0.145, 3),
        (1.257, 0.135, 3),
        (1.43, 0.172, 3),
        (1.278, 0.137, 3),
        (1.292, 0.163, 3),
        (1.002, 0.125, 3),
        (1.183, 0.247, 3),
        (1.044, 0.14, 3),
        (1.267, 0.171, 3),
        (1.193, 0.106, 3),
        (0.791, 0.121, 4),
        (0.795, 0.121, 4),
        (0.759, 0.259, 4),
        (0.796, 0.106, 4),
        (0.565, 0.089, 4),
        (0.886, 0.225, 4),
        (0.952, 0.205, 4),
        (0.807, 0.119, 4),
        (0.582, 0.067, 4),
        (0.684, 0.106, 4),
        (0.787, 0.126, 4),
        (0.44, 0.092, 4),
        (0.759, 0.132, 4),
        (0.77, 0.1, 4),
        (0.8, 0.113, 4),
        (0.756, 0.083, 4),
        (0.865, 0.121, 4),
        (0.64, 0.129, 4),
    ];

    /// `eblupFH(yi ~ as.factor(MajorArea), SD^2, data = milk)` (REML): the coefficients,
    /// their standard errors, the 43 EBLUPs and `mseFH`'s 43 MSEs as published to 7 and 9
    /// decimals (the R output reproduced in samplics' test suite, `tests/sae/test_fay_herriot_area_model.py`).
    const BETA: [f64; 4] = [0.9681890, 0.1327801, 0.2269462, -0.2413011];
    const BETA_SE: [f64; 4] = [0.06936208, 0.10300072, 0.09232981, 0.08161707];
    const EBLUP: [f64; 43] = [
        1.0219703, 1.0476018, 1.0679513, 0.7608170, 0.8461574, 0.9743727, 1.0584523, 1.0977762,
        1.2215449, 1.1951455, 0.7852155, 1.2139456, 1.2096593, 0.9834967, 1.1864247, 1.1556982,
        1.2263411, 1.2856486, 1.2363247, 1.2349600, 1.0903019, 1.1923057, 1.1216470, 1.2230296,
        1.1938054, 0.7627195, 0.7649550, 0.7338443, 0.7699294, 0.6134418, 0.7695558, 0.7958250,
        0.7723187, 0.6102302, 0.7001782, 0.7592787, 0.5298867, 0.7434466, 0.7548996, 0.7701918,
        0.7481164, 0.8040773, 0.6810870,
    ];
    const MSE: [f64; 43] = [
        0.013460220,
        0.005372876,
        0.005701990,
        0.008541740,
        0.009579594,
        0.011670632,
        0.015926137,
        0.010586518,
        0.014184043,
        0.014901472,
        0.007694262,
        0.016336469,
        0.012562726,
        0.012117378,
        0.012031229,
        0.011709147,
        0.010859780,
        0.013690860,
        0.011034674,
        0.013079686,
        0.009948636,
        0.017243977,
        0.011292325,
        0.013625297,
        0.008065787,
        0.009205133,
        0.009205133,
        0.016476912,
        0.007800626,
        0.006098668,
        0.015441564,
        0.014657866,
        0.009024699,
        0.003870786,
        0.007800626,
        0.009646139,
        0.006404335,
        0.010155645,
        0.007209937,
        0.008470277,
        0.005484860,
        0.009205133,
        0.009903626,
    ];

    pub(crate) fn milk() -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let y = MILK.iter().map(|r| r.0).collect();
        let v = MILK.iter().map(|r| r.1 * r.1).collect();
        let x = MILK
            .iter()
            .map(|r| {
                let mut row = vec![1.0, 0.0, 0.0, 0.0];
                if r.2 > 1 {
                    row[usize::from(r.2) - 1] = 1.0;
                }
                row
            })
            .collect();
        (y, v, x)
    }

    fn check_against_published(options: FitOptions, tolerance: f64) -> Fit {
        let (y, v, x) = milk();
        let data = AreaLevel {
            y: &y,
            vardir: &v,
            x: &x,
        };
        let fit = fit_reml(&data, options).expect("fits");
        assert!(fit.converged);
        for i in 0..4 {
            assert_abs_diff_eq!(fit.beta[i], BETA[i], epsilon = tolerance);
            assert_abs_diff_eq!(fit.beta_cov[i][i].sqrt(), BETA_SE[i], epsilon = tolerance);
        }
        for d in 0..43 {
            assert_abs_diff_eq!(fit.eblup(y[d], v[d], &x[d]), EBLUP[d], epsilon = tolerance);
            assert_abs_diff_eq!(fit.mse_prasad_rao(v[d], &x[d]), MSE[d], epsilon = tolerance);
        }
        fit
    }

    #[test]
    fn reml_eblups_and_mses_match_sae_on_the_milk_data() {
        // With eblupFH's own stopping rule the published figures are met to their last
        // printed digit (half a unit of the 7th decimal, plus rounding of the data).
        let fit = check_against_published(FitOptions::sae_defaults(), 1e-7);
        // Fully converged the figures move by less than 10⁻⁶.
        let tight = check_against_published(FitOptions::default(), 1e-6);
        assert!(tight.iterations >= fit.iterations);
        assert_abs_diff_eq!(tight.sigma2, fit.sigma2, epsilon = 1e-6);
    }

    #[test]
    fn the_score_is_zero_at_the_reml_estimate() {
        let (y, v, x) = milk();
        let data = AreaLevel {
            y: &y,
            vardir: &v,
            x: &x,
        };
        let fit = fit_reml(&data, FitOptions::default()).expect("fits");
        let g = gls(&data, fit.sigma2).expect("gls");
        let (s, f) = score_and_information(&data, fit.sigma2, &g);
        assert!(s.abs() / f < 1e-9 * fit.sigma2, "score {s}");
    }

    #[test]
    fn areas_that_agree_give_sigma_zero_and_the_synthetic_estimate() {
        // Direct estimates closer together than their sampling errors: σ̂²_u = 0, γ = 0.
        let y = [0.50, 0.51, 0.49, 0.50, 0.505, 0.495];
        let v = [0.01; 6];
        let x = vec![vec![1.0]; 6];
        let data = AreaLevel {
            y: &y,
            vardir: &v,
            x: &x,
        };
        let fit = fit_reml(&data, FitOptions::default()).expect("fits");
        assert_eq!(fit.sigma2, 0.0);
        assert_abs_diff_eq!(fit.eblup(0.51, 0.01, &[1.0]), 0.5, epsilon = 1e-12);
    }

    #[test]
    fn bad_inputs_are_named() {
        let x = vec![vec![1.0]; 3];
        let err = fit_reml(
            &AreaLevel {
                y: &[0.1, 0.2, 0.3],
                vardir: &[0.1, 0.0, 0.1],
                x: &x,
            },
            FitOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SmallAreaError::InvalidVariance {
                area: 1,
                value: 0.0
            }
        );
        let err = fit_reml(
            &AreaLevel {
                y: &[0.1, 0.2],
                vardir: &[0.1, 0.1],
                x: &x[..2],
            },
            FitOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, SmallAreaError::TooFewAreas { got: 2, needed: 3 });
        let x2 = vec![vec![1.0, 2.0]; 4];
        let err = fit_reml(
            &AreaLevel {
                y: &[0.1, 0.2, 0.3, 0.4],
                vardir: &[0.1; 4],
                x: &x2,
            },
            FitOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, SmallAreaError::SingularCovariates);
    }
}
