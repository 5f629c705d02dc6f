//! Sizing each area for a model-based target: how large each area's direct sampling
//! variance may be for the Fay–Herriot estimate on the arcsine scale, taken back to a
//! share, to have z·RMSE ≤ E, given the between-area variance σ²_u (from last year's
//! indicator table); and, from that, the fewest records per area beside the direct
//! per-area size for the same margin.
//!
//! The approximation (stated wherever a plan prints it): the area's MSE on the arcsine
//! scale is g₁ + g₂ of the intercept-only model, g₁ = γψ and g₂ = (1 − γ)²·V_β with
//! γ = σ²_u/(σ²_u + ψ) and V_β = 1/Σ_d (σ²_u + ψ_d)⁻¹, ψ_d = 1/(4 n_eff,d) (Rao & Molina
//! 2015 eqs. 6.1.15–6.1.16; n_eff = n(N − 1)/(N − n) for n of N records drawn without
//! replacement), and the share scale multiplies it by (dp/dθ)² = 4P(1 − P) at the area's
//! anticipated share P (the delta method). g₃, of order 1/D, is left out.
//!
//! Every area keeps a floor of records (its own direct figure exists beside the model's),
//! so its ψ_d is never above that of the floor. The bounds are found at a V_β that is at
//! least that of the bounds themselves ([`variance_bounds`]): an area sampled at its bound
//! or below meets the target, since a smaller ψ anywhere only lowers V_β.

use crate::SmallAreaError;
use urval_design::{share_size, ShareSpec};

/// One area to size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizingArea {
    /// Its records (N_d).
    pub population: u64,
    /// Its anticipated share P_d (last year's model-based estimate, say).
    pub share: f64,
}

/// The largest direct sampling variance (arcsine scale) each area may have.
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceBounds {
    /// Per area, the bound on ψ_d: the smaller of what the model-based target allows and
    /// the ψ of the area's floor of records.
    pub psi: Vec<f64>,
    /// Per area, whether the floor set the bound (the model would need fewer records).
    pub at_floor: Vec<bool>,
    /// The V_β the bounds were found at: at least V_β of the bounds themselves.
    pub v_beta: f64,
}

/// The sizes per area.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// Records per area for the model-based target.
    pub model: Vec<u64>,
    /// Records per area for the same margin from the direct estimate alone (Cochran with
    /// the finite population correction).
    pub direct: Vec<u64>,
    /// The approximate model-based RMSE on the share scale at the model's sizes.
    pub rmse: Vec<f64>,
    /// The V_β the sizes were found at ([`VarianceBounds::v_beta`]): at least that of the
    /// sizes themselves.
    pub v_beta: f64,
}

/// The effective number of records behind a share from n of N records drawn without
/// replacement: n(N − 1)/(N − n), the n of a with-replacement sample with the same
/// variance (infinite when every record is taken).
pub fn effective(n: u64, population: u64) -> f64 {
    if n >= population {
        f64::INFINITY
    } else if population <= 1 {
        n as f64
    } else {
        n as f64 * (population as f64 - 1.0) / (population - n) as f64
    }
}

/// ψ = 1/(4 n_eff) of n of N records (infinite with none, 0 for a census).
pub fn psi(n: u64, population: u64) -> f64 {
    if n == 0 {
        f64::INFINITY
    } else {
        1.0 / (4.0 * effective(n, population))
    }
}

/// The approximate model-based MSE on the arcsine scale, g₁ + g₂ (module doc), of an area
/// with sampling variance ψ, at between-area variance σ²_u = `sigma2` and V_β = `v_beta`.
pub fn model_mse(psi: f64, sigma2: f64, v_beta: f64) -> f64 {
    if psi.is_infinite() {
        sigma2 + v_beta
    } else if psi <= 0.0 {
        0.0
    } else {
        let x = psi / (sigma2 + psi);
        sigma2 * x + v_beta * x * x
    }
}

/// The approximate model-based RMSE on the share scale of an area with n of N records
/// sampled (module doc), at between-area variance `sigma2` and V_β = `v_beta`.
pub fn model_rmse(n: u64, population: u64, share: f64, sigma2: f64, v_beta: f64) -> f64 {
    (4.0 * share * (1.0 - share) * model_mse(psi(n, population), sigma2, v_beta)).sqrt()
}

/// The largest ψ with g₁ + g₂ ≤ `t` (module doc): with x = ψ/(σ²_u + ψ) the MSE is
/// σ²_u·x + V_β·x², rising in x, so x is the positive root of V_β x² + σ²_u x − t = 0 and
/// ψ = σ²_u·x/(1 − x); infinite when even an area without records has σ²_u + V_β ≤ t.
pub fn largest_psi(t: f64, sigma2: f64, v_beta: f64) -> f64 {
    if sigma2 + v_beta <= t {
        return f64::INFINITY;
    }
    let x = if v_beta > 0.0 {
        // The root in the form that does not cancel when V_β is small:
        // x = 2t/(σ² + √(σ⁴ + 4V_β t)).
        2.0 * t / (sigma2 + (sigma2 * sigma2 + 4.0 * v_beta * t).sqrt())
    } else {
        t / sigma2
    };
    if x >= 1.0 {
        f64::INFINITY
    } else {
        sigma2 * x / (1.0 - x)
    }
}

fn v_beta_of(psi: &[f64], sigma2: f64) -> f64 {
    let info: f64 = psi.iter().map(|&p| 1.0 / (sigma2 + p)).sum();
    if info > 0.0 {
        1.0 / info
    } else {
        f64::INFINITY
    }
}

/// The bound on each area's direct sampling variance ψ_d (arcsine scale) for
/// z·RMSE ≤ `margin` of its model-based share at `confidence`, with every area kept at
/// or below `floor_psi[d]` (the ψ of its floor of records).
///
/// With t_d = (E/z)²/(4P_d(1 − P_d)), each bound is `min(largest_psi(t_d, σ²_u, v),
/// floor_d)`, which falls as v grows, and so does the V_β h(v) of the bounds. The bounds
/// are taken at the smallest v with v ≥ h(v) (bisection: v − h(v) rises in v), so the
/// V_β of any sample within the bounds is at most the v they were found at, and each
/// area's MSE at most its target.
///
/// # Errors
/// A margin, confidence, share or between-area variance out of range.
pub fn variance_bounds(
    shares: &[f64],
    floor_psi: &[f64],
    sigma2: f64,
    margin: f64,
    confidence: f64,
) -> Result<VarianceBounds, SmallAreaError> {
    if !(sigma2 >= 0.0 && sigma2.is_finite()) {
        return Err(SmallAreaError::InvalidTarget {
            what: "between-area variance",
            value: sigma2,
        });
    }
    if !(margin > 0.0 && margin < 1.0) {
        return Err(SmallAreaError::InvalidTarget {
            what: "margin",
            value: margin,
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(SmallAreaError::InvalidTarget {
            what: "confidence",
            value: confidence,
        });
    }
    for (area, &p) in shares.iter().enumerate() {
        if !(0.0..=1.0).contains(&p) {
            return Err(SmallAreaError::InvalidShare { area, value: p });
        }
    }
    let z = urval_design::z_two_sided(confidence);
    let targets: Vec<f64> = shares
        .iter()
        .map(|&p| {
            let spread = 4.0 * p * (1.0 - p);
            if spread > 0.0 {
                (margin / z).powi(2) / spread
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let bounds = |v: f64| -> Vec<f64> {
        targets
            .iter()
            .zip(floor_psi)
            .map(|(&t, &f)| largest_psi(t, sigma2, v).min(f))
            .collect()
    };
    let h = |v: f64| v_beta_of(&bounds(v), sigma2);
    let (mut lo, mut hi) = (0.0f64, h(0.0));
    if hi.is_finite() && hi > 0.0 {
        // h(hi) ≤ h(0) = hi, so hi is acceptable; halve the interval down to the smallest.
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if mid >= h(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    let psi = bounds(hi);
    let at_floor = targets
        .iter()
        .zip(floor_psi)
        .map(|(&t, &f)| largest_psi(t, sigma2, hi) >= f)
        .collect();
    Ok(VarianceBounds {
        psi,
        at_floor,
        v_beta: hi,
    })
}

/// The between-area variance on the arcsine scale of a beta-binomial prior of mean m and
/// precision M: the shares vary as Beta(mM, (1 − m)M), Var(p) = m(1 − m)/(M + 1), and the
/// delta method (dθ/dp = 1/(2√(p(1 − p)))) gives σ²_u = 1/(4(M + 1)). With it, the
/// model's g₁ on the share scale at P = m, 4m(1 − m)·σ²_uψ/(σ²_u + ψ) with ψ = 1/(4n),
/// is m(1 − m)/(n + M + 1): never below the Bayes risk m(1 − m)M/((M + 1)(n + M)) of the
/// empirical-Bayes posterior mean with n records (Gelman et al. 2013 §2.4: its weight on
/// the direct share is n/(n + M)), so a size found for the one also holds for the other.
pub fn sigma2_of_prior(precision: f64) -> f64 {
    1.0 / (4.0 * (precision + 1.0))
}

/// The fewest of N records whose ψ is at most `bound` (N when even they are not enough,
/// which only a census reaches: ψ = 0).
pub fn records_for_psi(bound: f64, population: u64) -> u64 {
    if bound.is_infinite() {
        return 0;
    }
    let ok = |n: u64| psi(n, population) <= bound;
    let (mut lo, mut hi) = (0u64, population);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    if population > 0 && ok(lo) {
        lo
    } else {
        hi
    }
}

/// Size every area for z·RMSE ≤ `margin` of its model-based estimate, keeping at least
/// `min_per_area` records (so that every area still has a direct figure; at most N_d):
/// [`variance_bounds`] with each area's floor, then the fewest records within each bound.
/// The direct sizes come from [`urval_design::share_size`] at each area's share.
///
/// # Errors
/// A margin, confidence, share or between-area variance out of range.
pub fn size_for_model(
    areas: &[SizingArea],
    sigma2: f64,
    margin: f64,
    confidence: f64,
    min_per_area: u64,
) -> Result<Sizing, SmallAreaError> {
    let direct = areas
        .iter()
        .map(|a| {
            let mut spec = ShareSpec::new(margin, confidence);
            spec.proportion = a.share;
            spec.population = Some(a.population);
            share_size(&spec).map(|s| s.n.min(a.population))
        })
        .collect::<Result<Vec<u64>, _>>()
        .map_err(|_| SmallAreaError::InvalidTarget {
            what: "margin, confidence or share",
            value: margin,
        })?;
    let shares: Vec<f64> = areas.iter().map(|a| a.share).collect();
    let floors: Vec<f64> = areas
        .iter()
        .map(|a| psi(min_per_area.min(a.population), a.population))
        .collect();
    let b = variance_bounds(&shares, &floors, sigma2, margin, confidence)?;
    let sizes: Vec<u64> = areas
        .iter()
        .zip(&b.psi)
        .map(|(a, &bound)| records_for_psi(bound, a.population).max(min_per_area.min(a.population)))
        .collect();
    let rmse = sizes
        .iter()
        .zip(areas)
        .map(|(&n, a)| model_rmse(n, a.population, a.share, sigma2, b.v_beta))
        .collect();
    Ok(Sizing {
        model: sizes,
        direct,
        rmse,
        v_beta: b.v_beta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn with_no_between_area_variance_a_few_records_suffice_and_with_much_the_direct_size() {
        let areas = vec![
            SizingArea {
                population: 5_000,
                share: 0.75,
            };
            100
        ];
        let none = size_for_model(&areas, 0.0, 0.10, 0.95, 5).expect("sizes");
        assert!(none.model.iter().all(|&n| n == 5));
        // σ²_u far above the sampling variance: γ → 1 and the model is the direct estimate.
        let much = size_for_model(&areas, 10.0, 0.10, 0.95, 5).expect("sizes");
        for (m, d) in much.model.iter().zip(&much.direct) {
            assert!(m.abs_diff(*d) <= 1, "{m} vs {d}");
        }
    }

    #[test]
    fn the_largest_psi_gives_the_target_mse_exactly() {
        for &(t, s2, v) in &[
            (0.003, 0.011, 0.0),
            (0.003, 0.011, 1e-5),
            (0.001, 0.05, 0.002),
            (1e-4, 1e-3, 1e-9),
        ] {
            let p = largest_psi(t, s2, v);
            assert!(p.is_finite() && p > 0.0);
            assert!(
                (model_mse(p, s2, v) - t).abs() < 1e-12 * t.max(1.0),
                "{t} {s2} {v}"
            );
            assert!(model_mse(p * 1.000_001, s2, v) > t);
        }
        // Without records the area already meets the target: no bound.
        assert!(largest_psi(0.02, 0.01, 0.001).is_infinite());
    }

    #[test]
    fn records_for_psi_is_the_fewest_within_the_bound() {
        for population in [1u64, 2, 10, 48, 5_000] {
            for bound in [0.0, 0.001, 0.01, 0.05, 0.3] {
                let n = records_for_psi(bound, population);
                assert!(n <= population);
                assert!(psi(n, population) <= bound || n == population);
                if n > 0 {
                    assert!(psi(n - 1, population) > bound, "{population} {bound}");
                }
            }
        }
        assert_eq!(records_for_psi(f64::INFINITY, 10), 0);
    }

    proptest! {
        #[test]
        fn the_arcsine_mse_of_a_beta_prior_is_never_below_the_empirical_bayes_risk(
            m in 0.02f64..0.98, precision in 0.1f64..1e4, n in 1u64..5_000
        ) {
            let s2 = sigma2_of_prior(precision);
            let psi = 1.0 / (4.0 * n as f64);
            let g1 = 4.0 * m * (1.0 - m) * model_mse(psi, s2, 0.0);
            let risk = m * (1.0 - m) * precision / ((precision + 1.0) * (n as f64 + precision));
            prop_assert!((g1 - m * (1.0 - m) / (n as f64 + precision + 1.0)).abs() < 1e-12);
            prop_assert!(g1 >= risk * (1.0 - 1e-12), "{g1} < {risk}");
        }

        #[test]
        fn each_bound_meets_the_target_at_a_v_beta_no_smaller_than_its_own(
            sigma2 in 0.0f64..0.1, margin in 0.03f64..0.2,
            areas in proptest::collection::vec((0.02f64..0.98, 1u64..60, 50u64..20_000), 1..60)
        ) {
            let shares: Vec<f64> = areas.iter().map(|a| a.0).collect();
            let floors: Vec<f64> = areas.iter().map(|a| psi(a.1.min(a.2), a.2)).collect();
            let b = variance_bounds(&shares, &floors, sigma2, margin, 0.95).expect("bounds");
            prop_assert!(v_beta_of(&b.psi, sigma2) <= b.v_beta * (1.0 + 1e-9) + 1e-300);
            let z = urval_design::z_two_sided(0.95);
            for d in 0..areas.len() {
                let p = shares[d];
                let rmse = |psi: f64| (4.0 * p * (1.0 - p) * model_mse(psi, sigma2, b.v_beta)).sqrt();
                prop_assert!(b.psi[d] <= floors[d]);
                prop_assert!(z * rmse(b.psi[d]) <= margin * (1.0 + 1e-9), "area {d}");
                if !b.at_floor[d] {
                    // The bound is the largest: a bit more sampling variance misses it.
                    prop_assert!(z * rmse(b.psi[d] * 1.000_01) > margin);
                }
            }
        }

        #[test]
        fn each_size_meets_the_target_and_one_record_fewer_does_not(
            sigma2 in 0.001f64..0.1, share in 0.1f64..0.9, margin in 0.05f64..0.15,
            pops in proptest::collection::vec(30u64..20_000, 5..40)
        ) {
            let areas: Vec<SizingArea> =
                pops.iter().map(|&population| SizingArea { population, share }).collect();
            let s = size_for_model(&areas, sigma2, margin, 0.95, 3).expect("sizes");
            let vb = s.v_beta;
            let own: Vec<f64> = areas.iter().zip(&s.model).map(|(a, &n)| psi(n, a.population)).collect();
            prop_assert!(v_beta_of(&own, sigma2) <= vb * (1.0 + 1e-9));
            let z = urval_design::z_two_sided(0.95);
            for (d, a) in areas.iter().enumerate() {
                let n = s.model[d];
                prop_assert!(n <= a.population);
                prop_assert!(z * model_rmse(n, a.population, share, sigma2, vb) <= margin * (1.0 + 1e-9));
                if n > 3 {
                    prop_assert!(z * model_rmse(n - 1, a.population, share, sigma2, vb) > margin);
                }
                prop_assert!(n <= s.direct[d].max(3) + 1);
            }
        }
    }
}
