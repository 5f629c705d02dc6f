//! Sizing each area for a model-based target: the fewest records per area for which the
//! Fay–Herriot estimate on the arcsine scale, taken back to a share, has
//! z·RMSE ≤ E, given the between-area variance σ²_u (from last year's indicator table),
//! beside the direct per-area size for the same margin.
//!
//! The approximation (stated wherever a plan prints it): the area's MSE on the arcsine
//! scale is g₁ + g₂ of the intercept-only model, g₁ = γψ and g₂ = (1 − γ)²·V_β with
//! V_β = 1/Σ_d (σ²_u + ψ_d)⁻¹, ψ_d = 1/(4 n_eff,d), n_eff = n(N − 1)/(N − n) (the finite
//! population correction; Rao & Molina 2015 eqs. 6.1.15–6.1.16), and the share scale
//! multiplies it by (dp/dθ)² = 4P(1 − P) at the area's anticipated share P (the delta
//! method). g₃, of order 1/D, is left out.

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
    /// The V_β the sizes were found at: that of sizes at least as large, so an upper
    /// bound on the planned one's (a larger V_β only asks for more records).
    pub v_beta: f64,
}

fn effective(n: u64, population: u64) -> f64 {
    if n >= population {
        f64::INFINITY
    } else if population <= 1 {
        n as f64
    } else {
        n as f64 * (population as f64 - 1.0) / (population - n) as f64
    }
}

fn psi(n: u64, population: u64) -> f64 {
    if n == 0 {
        f64::INFINITY
    } else {
        1.0 / (4.0 * effective(n, population))
    }
}

/// The approximate model-based RMSE on the share scale of an area with n of N records
/// sampled (module doc), at between-area variance `sigma2` and V_β = `v_beta`.
pub fn model_rmse(n: u64, population: u64, share: f64, sigma2: f64, v_beta: f64) -> f64 {
    let psi = psi(n, population);
    let (g1, one_minus_gamma) = if psi.is_infinite() {
        (sigma2, 1.0)
    } else if psi == 0.0 {
        (0.0, 0.0)
    } else {
        (sigma2 * psi / (sigma2 + psi), psi / (sigma2 + psi))
    };
    let mse = g1 + one_minus_gamma * one_minus_gamma * v_beta;
    (4.0 * share * (1.0 - share) * mse).sqrt()
}

fn v_beta(sizes: &[u64], areas: &[SizingArea], sigma2: f64) -> f64 {
    let info: f64 = sizes
        .iter()
        .zip(areas)
        .map(|(&n, a)| 1.0 / (sigma2 + psi(n, a.population)))
        .sum();
    if info > 0.0 {
        1.0 / info
    } else {
        f64::INFINITY
    }
}

/// Size every area for z·RMSE ≤ `margin` of its model-based estimate (at least
/// `min_per_area` records, so that every area still has a direct figure, at most N_d), by
/// bisection on the RMSE, which falls as n grows; V_β is recomputed from the sizes,
/// raised from the floor until they no longer change, and each area is then sized at
/// that V_β ([`Sizing::v_beta`]). The direct sizes come from
/// [`urval_design::share_size`] at each area's share.
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
    if !(sigma2 >= 0.0 && sigma2.is_finite()) {
        return Err(SmallAreaError::InvalidTarget {
            what: "between-area variance",
            value: sigma2,
        });
    }
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
    let z = urval_design::z_two_sided(confidence);
    let fewest = |vb: f64| -> Vec<u64> {
        areas
            .iter()
            .map(|a| {
                let floor = min_per_area.min(a.population);
                let ok = |n: u64| z * model_rmse(n, a.population, a.share, sigma2, vb) <= margin;
                if ok(floor) {
                    return floor;
                }
                let (mut lo, mut hi) = (floor, a.population);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if ok(mid) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                hi
            })
            .collect()
    };
    // From the floor upwards, never lowering a size: V_β only falls, so every size stays
    // enough; the last round sizes each area at the V_β of the sizes before it.
    let mut sizes: Vec<u64> = areas
        .iter()
        .map(|a| min_per_area.min(a.population))
        .collect();
    for _ in 0..50 {
        let next: Vec<u64> = fewest(v_beta(&sizes, areas, sigma2))
            .into_iter()
            .zip(&sizes)
            .map(|(a, b)| a.max(*b))
            .collect();
        if next == sizes {
            break;
        }
        sizes = next;
    }
    let vb = v_beta(&sizes, areas, sigma2);
    let sizes = fewest(vb);
    let rmse = sizes
        .iter()
        .zip(areas)
        .map(|(&n, a)| model_rmse(n, a.population, a.share, sigma2, vb))
        .collect();
    Ok(Sizing {
        model: sizes,
        direct,
        rmse,
        v_beta: vb,
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

    proptest! {
        #[test]
        fn each_size_meets_the_target_and_one_record_fewer_does_not(
            sigma2 in 0.001f64..0.1, share in 0.1f64..0.9, margin in 0.05f64..0.15,
            pops in proptest::collection::vec(30u64..20_000, 5..40)
        ) {
            let areas: Vec<SizingArea> =
                pops.iter().map(|&population| SizingArea { population, share }).collect();
            let s = size_for_model(&areas, sigma2, margin, 0.95, 3).expect("sizes");
            let vb = s.v_beta;
            prop_assert!(v_beta(&s.model, &areas, sigma2) >= vb);
            let z = urval_design::z_two_sided(0.95);
            for (d, a) in areas.iter().enumerate() {
                let n = s.model[d];
                prop_assert!(n <= a.population);
                prop_assert!(z * model_rmse(n, a.population, share, sigma2, vb) <= margin + 1e-12);
                if n > 3 {
                    prop_assert!(z * model_rmse(n - 1, a.population, share, sigma2, vb) > margin);
                }
                prop_assert!(n <= s.direct[d].max(3) + 1);
            }
        }
    }
}
