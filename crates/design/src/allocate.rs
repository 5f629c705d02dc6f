//! Stratified allocation: split a total sample over strata (proportional, Neyman,
//! cost-optimal, equal) or size each stratum for its own margin (domain), with minimum
//! and maximum per stratum, n_h ≤ N_h, and integer totals preserved by largest remainder.

use crate::dist::z_two_sided;
use crate::error::DesignError;
use crate::round::{ceil_count, floor_count};
use crate::size::{check_confidence, share_margin, share_size, ShareSpec};
use serde::Serialize;
use std::collections::HashSet;

/// One stratum to allocate to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumSpec {
    /// The stratum's name (unique).
    pub name: String,
    /// Its population N_h ≥ 1.
    pub population: u64,
    /// Anticipated share p_h in [0, 1], giving S_h (0.5 when unknown).
    pub proportion: f64,
    /// Relative cost per record c_h > 0 (1 when unknown).
    pub cost: f64,
}

/// How to allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AllocationMethod {
    /// n_h ∝ N_h.
    Proportional,
    /// n_h ∝ N_h·S_h (Neyman 1934).
    Neyman,
    /// n_h ∝ N_h·S_h/√c_h (cost-optimal; Cochran 1977 §5.5).
    Optimal,
    /// n_h = n/H.
    Equal,
    /// Every stratum sized for its own margin: n_h = size(N_h, E, C, p_h).
    Domain,
}

impl AllocationMethod {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            AllocationMethod::Proportional => "proportional",
            AllocationMethod::Neyman => "neyman",
            AllocationMethod::Optimal => "optimal",
            AllocationMethod::Equal => "equal",
            AllocationMethod::Domain => "domain",
        }
    }
}

/// What the allocation must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AllocationTarget {
    /// A fixed total n.
    Total(u64),
    /// A margin of error E: for the stratified estimate of the overall share, or (domain)
    /// for every stratum's own share.
    Margin(f64),
}

/// An allocation problem.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationSpec {
    /// The strata.
    pub strata: Vec<StratumSpec>,
    /// Total or margin.
    pub target: AllocationTarget,
    /// The method.
    pub method: AllocationMethod,
    /// Confidence C in (0, 1) (for the margin target and the margins reported).
    pub confidence: f64,
    /// Minimum records per stratum (capped at N_h).
    pub min: Option<u64>,
    /// Maximum records per stratum.
    pub max: Option<u64>,
}

/// Which constraint holds a stratum away from its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// Raised to the minimum per stratum.
    Min,
    /// Lowered to the maximum per stratum.
    Max,
    /// Lowered to N_h: the whole stratum is taken (a census of it).
    Population,
}

/// One stratum's allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumAllocation {
    /// The stratum.
    pub stratum: String,
    /// N_h.
    pub population: u64,
    /// p_h used.
    pub proportion: f64,
    /// n_h, the records to request.
    pub n: u64,
    /// The unconstrained share n·a_h (or the domain size) before bounds and rounding.
    pub share: f64,
    /// The constraint that binds, if any.
    pub binding: Option<Binding>,
    /// π_h = n_h/N_h.
    pub inclusion_probability: f64,
    /// The margin of this stratum's own estimate of p_h at confidence C with n_h records
    /// (None when n_h = 0).
    pub margin: Option<f64>,
}

/// How the total was changed to meet the constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TotalAdjustment {
    /// The total was below Σ min(m, N_h) and was raised to it.
    RaisedToMinimum {
        /// The total asked for.
        from: u64,
        /// The total allocated.
        to: u64,
    },
    /// Bounds or rounding left the margin unmet at the formula's total; the total was raised
    /// to the smallest that meets it.
    RaisedForMargin {
        /// The total from the formula (after bounds).
        from: u64,
        /// The total allocated.
        to: u64,
    },
    /// The total was above Σ min(M, N_h) and was lowered to it.
    ReducedToCapacity {
        /// The total asked for.
        from: u64,
        /// The total allocated.
        to: u64,
    },
}

/// A finished allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// Per stratum, in input order.
    pub strata: Vec<StratumAllocation>,
    /// Σ n_h.
    pub total: u64,
    /// Σ N_h.
    pub total_population: u64,
    /// The total the target asked for before bounds (for a margin target, the n from the
    /// overall-margin formula; for domain, Σ of the unconstrained domain sizes).
    pub target_total: u64,
    /// The unrounded total from the overall-margin formula, when the target is a margin.
    pub target_total_exact: Option<f64>,
    /// Set when the total had to change to meet min/max/N_h.
    pub total_adjustment: Option<TotalAdjustment>,
    /// The method.
    pub method: AllocationMethod,
    /// Confidence used.
    pub confidence: f64,
    /// z at that confidence.
    pub z: f64,
    /// Margin of the stratified estimate of the overall share with this allocation:
    /// z·√(Σ W_h² S_h² (1/n_h − 1/N_h)); None when a stratum with S_h > 0 gets no records.
    pub margin: Option<f64>,
    /// True when every weight was zero (Neyman/optimal with all p_h in {0, 1}) and the
    /// allocation fell back to proportional.
    pub fell_back_to_proportional: bool,
}

/// S_h² = N_h/(N_h − 1)·p_h(1 − p_h), the population variance of a 0/1 variable with
/// divisor N_h − 1 (Cochran 1977, eq. 3.5). With this definition the one-stratum case of
/// the overall-margin formula equals Cochran's n0/(1 + (n0 − 1)/N) exactly.
pub fn stratum_variance(population: u64, proportion: f64) -> f64 {
    let pq = proportion * (1.0 - proportion);
    if population > 1 {
        pq * population as f64 / (population as f64 - 1.0)
    } else {
        pq
    }
}

fn validate(spec: &AllocationSpec) -> Result<(), DesignError> {
    check_confidence(spec.confidence)?;
    if spec.strata.is_empty() {
        return Err(DesignError::NoStrata);
    }
    let mut seen = HashSet::new();
    for s in &spec.strata {
        if !seen.insert(s.name.as_str()) {
            return Err(DesignError::DuplicateStratum {
                name: s.name.clone(),
            });
        }
        if s.population == 0 {
            return Err(DesignError::EmptyStratum {
                name: s.name.clone(),
            });
        }
        if !(0.0..=1.0).contains(&s.proportion) {
            return Err(DesignError::InvalidStratumProportion {
                name: s.name.clone(),
                value: s.proportion,
            });
        }
        if !(s.cost.is_finite() && s.cost > 0.0) {
            return Err(DesignError::InvalidCost {
                name: s.name.clone(),
                value: s.cost,
            });
        }
    }
    if let (Some(min), Some(max)) = (spec.min, spec.max) {
        if min > max {
            return Err(DesignError::MinAboveMax { min, max });
        }
    }
    match spec.target {
        AllocationTarget::Total(0) => return Err(DesignError::EmptyTotal),
        AllocationTarget::Total(_) if spec.method == AllocationMethod::Domain => {
            return Err(DesignError::DomainNeedsMargin)
        }
        AllocationTarget::Margin(e) if !(e.is_finite() && e > 0.0 && e < 1.0) => {
            return Err(DesignError::InvalidMargin { value: e })
        }
        _ => {}
    }
    Ok(())
}

/// Allocation weights w_h (the allocation is n_h ∝ w_h): proportional N_h; Neyman N_h·S_h
/// (Neyman 1934; Cochran 1977 eq. 5.26); optimal N_h·S_h/√c_h (Cochran 1977 eq. 5.24);
/// equal 1.
pub fn allocation_weights(strata: &[StratumSpec], method: AllocationMethod) -> Vec<f64> {
    strata
        .iter()
        .map(|s| {
            let big = s.population as f64;
            let sd = stratum_variance(s.population, s.proportion).sqrt();
            match method {
                AllocationMethod::Proportional => big,
                AllocationMethod::Neyman => big * sd,
                AllocationMethod::Optimal => big * sd / s.cost.sqrt(),
                AllocationMethod::Equal | AllocationMethod::Domain => 1.0,
            }
        })
        .collect()
}

/// Total sample size for a margin E on the stratified estimate of the overall share under
/// allocation fractions a_h = w_h/Σw:
/// n = Σ(W_h² S_h²/a_h) / (V + Σ W_h S_h²/N), V = (E/z)²
/// (Cochran 1977, *Sampling Techniques*, eq. 5.25). For Neyman this is the textbook
/// n = (Σ W_h S_h)² / (V + Σ W_h S_h²/N); for one stratum it is Cochran's n0/(1 + (n0 − 1)/N).
pub fn total_for_margin(
    strata: &[StratumSpec],
    weights: &[f64],
    margin: f64,
    confidence: f64,
) -> f64 {
    let z = z_two_sided(confidence);
    let v = (margin / z).powi(2);
    let big_n: f64 = strata.iter().map(|s| s.population as f64).sum();
    let w_sum: f64 = weights.iter().sum();
    let mut numerator = 0.0;
    let mut fpc_term = 0.0;
    for (s, &w) in strata.iter().zip(weights) {
        let big_w = s.population as f64 / big_n;
        let s2 = stratum_variance(s.population, s.proportion);
        fpc_term += big_w * s2;
        if s2 > 0.0 {
            if w <= 0.0 {
                return f64::INFINITY;
            }
            numerator += big_w * big_w * s2 / (w / w_sum);
        }
    }
    numerator / (v + fpc_term / big_n)
}

/// Continuous allocation x_h = clamp(λ·w_h, lo_h, hi_h) with Σ x_h = n ("water filling"):
/// the allocation proportional to the weights, with every stratum that would leave its
/// bounds held at the bound and the rest shared out again. λ is bracketed by bisection and
/// then solved exactly on the strata left free. Needs Σlo ≤ n ≤ Σhi and some w_h > 0.
fn water_fill(n: f64, w: &[f64], lo: &[f64], hi: &[f64]) -> (Vec<f64>, f64) {
    let total_at = |lambda: f64| -> f64 {
        w.iter()
            .zip(lo.iter().zip(hi))
            .map(|(&w, (&l, &h))| (lambda * w).clamp(l, h))
            .sum()
    };
    let mut lambda_hi = w
        .iter()
        .zip(hi)
        .filter(|(&w, _)| w > 0.0)
        .map(|(&w, &h)| h / w)
        .fold(0.0_f64, f64::max);
    let mut lambda_lo = 0.0_f64;
    if total_at(lambda_hi) < n {
        lambda_hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lambda_lo + lambda_hi);
        if mid <= lambda_lo || mid >= lambda_hi {
            break;
        }
        if total_at(mid) < n {
            lambda_lo = mid;
        } else {
            lambda_hi = mid;
        }
    }
    let lambda = lambda_hi;
    // Exact solve: strata strictly inside their bounds at λ share the rest.
    let mut fixed = 0.0;
    let mut free_w = 0.0;
    let free: Vec<bool> = w
        .iter()
        .zip(lo.iter().zip(hi))
        .map(|(&w, (&l, &h))| {
            let x = lambda * w;
            if w > 0.0 && x > l && x < h {
                free_w += w;
                true
            } else {
                fixed += x.clamp(l, h);
                false
            }
        })
        .collect();
    let exact_lambda = if free_w > 0.0 {
        (n - fixed) / free_w
    } else {
        lambda
    };
    let x = w
        .iter()
        .zip(lo.iter().zip(hi))
        .zip(&free)
        .map(|((&w, (&l, &h)), &is_free)| {
            if is_free {
                (exact_lambda * w).clamp(l, h)
            } else {
                (lambda * w).clamp(l, h)
            }
        })
        .collect();
    (x, exact_lambda)
}

/// Round a continuous allocation to integers that sum exactly to `n` and stay within
/// [lo_h, hi_h]: floors first, then one record each to the largest remainders (ties to the
/// earlier stratum) — Hamilton's largest-remainder method (Balinski & Young 2001,
/// *Fair Representation*, ch. 2). `n` must lie in [Σlo, Σhi].
pub fn largest_remainder(x: &[f64], n: u64, lo: &[u64], hi: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = x
        .iter()
        .zip(lo.iter().zip(hi))
        .map(|(&v, (&l, &h))| floor_count(v).clamp(l, h))
        .collect();
    let mut order: Vec<usize> = (0..x.len()).collect();
    let remainder = |i: usize| x[i] - out_floor(x[i]);
    order.sort_by(|&a, &b| remainder(b).total_cmp(&remainder(a)).then(a.cmp(&b)));
    let mut sum: u64 = out.iter().sum();
    while sum < n {
        let before = sum;
        for &i in &order {
            if sum == n {
                break;
            }
            if out[i] < hi[i] {
                out[i] += 1;
                sum += 1;
            }
        }
        if sum == before {
            break;
        }
    }
    while sum > n {
        let before = sum;
        for &i in order.iter().rev() {
            if sum == n {
                break;
            }
            if out[i] > lo[i] {
                out[i] -= 1;
                sum -= 1;
            }
        }
        if sum == before {
            break;
        }
    }
    out
}

fn out_floor(v: f64) -> f64 {
    floor_count(v) as f64
}

/// How far above the formula's total the search for the smallest total meeting the margin
/// goes one by one (beyond it, the bisection's total is used).
const MAX_LINEAR_SEARCH: u64 = 20_000;

/// Margin z·√(Σ W_h² S_h² (1/n_h − 1/N_h)) of the stratified share estimate for integer
/// sizes `counts` (Cochran 1977, eq. 5.6 with S_h² of [`stratum_variance`]); `None` when a
/// stratum with S_h > 0 gets no records.
pub fn stratified_margin(strata: &[StratumSpec], counts: &[u64], z: f64) -> Option<f64> {
    let big_n: f64 = strata.iter().map(|s| s.population as f64).sum();
    let mut variance = 0.0;
    for (s, &n) in strata.iter().zip(counts) {
        let s2 = stratum_variance(s.population, s.proportion);
        if n == 0 {
            if s2 > 0.0 {
                return None;
            }
            continue;
        }
        let w = s.population as f64 / big_n;
        variance += w * w * s2 * (1.0 / n as f64 - 1.0 / s.population as f64);
    }
    Some(z * variance.max(0.0).sqrt())
}

/// Allocate a stratified sample.
///
/// Non-domain methods: the total n is given or comes from the overall margin
/// ([`total_for_margin`], Cochran 1977 eq. 5.25); it is moved into [Σ lo_h, Σ hi_h]
/// (lo_h = min(m, N_h), hi_h = min(M, N_h)) if it lies outside, shared out ∝ w_h
/// ([`allocation_weights`]) with bounds held by water filling, and rounded by
/// [`largest_remainder`]: Σ n_h equals the total exactly. Domain: each stratum gets
/// [`share_size`] for (N_h, E, C, p_h), then its bounds.
///
/// # Errors
/// [`DesignError`] for no strata, duplicate names, N_h = 0, p_h or c_h out of range,
/// min > max, a zero total, a margin out of range, or the domain method with a total.
pub fn allocate(spec: &AllocationSpec) -> Result<Allocation, DesignError> {
    validate(spec)?;
    let strata = &spec.strata;
    let z = z_two_sided(spec.confidence);
    let lo: Vec<u64> = strata
        .iter()
        .map(|s| spec.min.unwrap_or(0).min(s.population))
        .collect();
    let hi: Vec<u64> = strata
        .iter()
        .map(|s| spec.max.unwrap_or(s.population).min(s.population))
        .collect();
    let binding_of = |i: usize, share: f64, n: u64| -> Option<Binding> {
        let tol = 1e-9 * share.abs().max(1.0);
        if n == hi[i] && share > hi[i] as f64 + tol {
            if spec.max.is_some_and(|m| m < strata[i].population) {
                Some(Binding::Max)
            } else {
                Some(Binding::Population)
            }
        } else if n == lo[i] && share < lo[i] as f64 - tol {
            Some(Binding::Min)
        } else {
            None
        }
    };

    let mut fell_back = false;
    let mut target_total_exact = None;
    let mut total_adjustment = None;
    let (counts, shares, target_total): (Vec<u64>, Vec<f64>, u64) =
        if spec.method == AllocationMethod::Domain {
            let AllocationTarget::Margin(e) = spec.target else {
                return Err(DesignError::DomainNeedsMargin);
            };
            let mut shares = Vec::with_capacity(strata.len());
            for s in strata {
                let mut ss = ShareSpec::new(e, spec.confidence);
                ss.proportion = s.proportion;
                ss.population = Some(s.population);
                shares.push(share_size(&ss)?.n as f64);
            }
            let counts = shares
                .iter()
                .enumerate()
                .map(|(i, &x)| (x as u64).clamp(lo[i], hi[i]))
                .collect();
            let target: u64 = shares.iter().map(|&x| x as u64).sum();
            (counts, shares, target)
        } else {
            let mut weights = allocation_weights(strata, spec.method);
            if weights.iter().all(|&w| w <= 0.0) {
                weights = allocation_weights(strata, AllocationMethod::Proportional);
                fell_back = true;
            }
            let target = match spec.target {
                AllocationTarget::Total(n) => n,
                AllocationTarget::Margin(e) => {
                    let exact = total_for_margin(strata, &weights, e, spec.confidence);
                    target_total_exact = Some(exact);
                    ceil_count(exact).max(1)
                }
            };
            let sum_lo: u64 = lo.iter().sum();
            let sum_hi: u64 = hi.iter().sum();
            let n = if target < sum_lo {
                total_adjustment = Some(TotalAdjustment::RaisedToMinimum {
                    from: target,
                    to: sum_lo,
                });
                sum_lo
            } else if target > sum_hi {
                total_adjustment = Some(TotalAdjustment::ReducedToCapacity {
                    from: target,
                    to: sum_hi,
                });
                sum_hi
            } else {
                target
            };
            let w_sum: f64 = weights.iter().sum();
            let shares: Vec<f64> = weights.iter().map(|w| n as f64 * w / w_sum).collect();
            let lo_f: Vec<f64> = lo.iter().map(|&v| v as f64).collect();
            let hi_f: Vec<f64> = hi.iter().map(|&v| v as f64).collect();
            // Strata with zero weight only take records the weighted ones cannot hold.
            let cap_weighted: f64 = weights
                .iter()
                .enumerate()
                .map(|(i, &w)| if w > 0.0 { hi_f[i] } else { lo_f[i] })
                .sum();
            let split = |n: u64| -> Vec<u64> {
                let x = if (n as f64) <= cap_weighted {
                    water_fill(n as f64, &weights, &lo_f, &hi_f).0
                } else {
                    let zero_w: Vec<f64> = weights
                        .iter()
                        .zip(strata)
                        .map(|(&w, s)| if w > 0.0 { 0.0 } else { s.population as f64 })
                        .collect();
                    let lo2: Vec<f64> = weights
                        .iter()
                        .enumerate()
                        .map(|(i, &w)| if w > 0.0 { hi_f[i] } else { lo_f[i] })
                        .collect();
                    water_fill(n as f64, &zero_w, &lo2, &hi_f).0
                };
                largest_remainder(&x, n, &lo, &hi)
            };
            let mut counts = split(n);
            // Bounds and rounding move records away from the optimum; with a margin target,
            // raise the total to the smallest that still meets the margin. Largest-remainder
            // rounding is not monotone in n (the Alabama paradox), so bisection only finds a
            // total that meets it; the smallest is then searched upwards from the formula's.
            if let AllocationTarget::Margin(e) = spec.target {
                let meets = |c: &[u64]| stratified_margin(strata, c, z).is_some_and(|m| m <= e);
                // Only a margin that exists and is missed is worth raising the total for:
                // when strata get no records the margin is undefined however many records
                // the others get (the remedy is --min, which the caller is told).
                let missed = stratified_margin(strata, &counts, z).is_some_and(|m| m > e);
                if missed && n < sum_hi {
                    let reachable = meets(&split(sum_hi));
                    let (mut bad, mut good) = (n, sum_hi);
                    while reachable && good - bad > 1 {
                        let mid = bad + (good - bad) / 2;
                        if meets(&split(mid)) {
                            good = mid;
                        } else {
                            bad = mid;
                        }
                    }
                    let mut to = good;
                    if reachable && good - n <= MAX_LINEAR_SEARCH {
                        if let Some(t) = (n + 1..good).find(|&t| meets(&split(t))) {
                            to = t;
                        }
                    }
                    counts = split(to);
                    total_adjustment = Some(TotalAdjustment::RaisedForMargin { from: n, to });
                }
            }
            (counts, shares, target)
        };

    let total_population: u64 = strata.iter().map(|s| s.population).sum();
    let out: Vec<StratumAllocation> = strata
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = counts[i];
            StratumAllocation {
                stratum: s.name.clone(),
                population: s.population,
                proportion: s.proportion,
                n,
                share: shares[i],
                binding: binding_of(i, shares[i], n),
                inclusion_probability: n as f64 / s.population as f64,
                margin: (n > 0).then(|| {
                    share_margin(n, spec.confidence, s.proportion, 1.0, Some(s.population))
                }),
            }
        })
        .collect();
    Ok(Allocation {
        total: counts.iter().sum(),
        strata: out,
        total_population,
        target_total,
        target_total_exact,
        total_adjustment,
        method: spec.method,
        confidence: spec.confidence,
        z,
        margin: stratified_margin(strata, &counts, z),
        fell_back_to_proportional: fell_back,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stratum(name: &str, population: u64, proportion: f64) -> StratumSpec {
        StratumSpec {
            name: name.to_string(),
            population,
            proportion,
            cost: 1.0,
        }
    }

    fn spec(
        strata: Vec<StratumSpec>,
        target: AllocationTarget,
        method: AllocationMethod,
    ) -> AllocationSpec {
        AllocationSpec {
            strata,
            target,
            method,
            confidence: 0.95,
            min: None,
            max: None,
        }
    }

    #[test]
    fn one_stratum_margin_equals_cochran() {
        for method in [
            AllocationMethod::Proportional,
            AllocationMethod::Neyman,
            AllocationMethod::Optimal,
            AllocationMethod::Equal,
            AllocationMethod::Domain,
        ] {
            let a = allocate(&spec(
                vec![stratum("a", 767, 0.5)],
                AllocationTarget::Margin(0.05),
                method,
            ))
            .unwrap();
            assert_eq!(a.total, 257, "{method:?}");
        }
    }

    #[test]
    fn proportional_textbook_example() {
        // 1000 records over 600/300/100, n = 100 → 60/30/10 exactly.
        let a = allocate(&spec(
            vec![
                stratum("a", 600, 0.5),
                stratum("b", 300, 0.5),
                stratum("c", 100, 0.5),
            ],
            AllocationTarget::Total(100),
            AllocationMethod::Proportional,
        ))
        .unwrap();
        assert_eq!(
            a.strata.iter().map(|s| s.n).collect::<Vec<_>>(),
            vec![60, 30, 10]
        );
        // Largest remainder: n = 10 over 1/1/1 → 4/3/3 (ties to the earlier stratum).
        let a = allocate(&spec(
            vec![
                stratum("a", 10, 0.5),
                stratum("b", 10, 0.5),
                stratum("c", 10, 0.5),
            ],
            AllocationTarget::Total(10),
            AllocationMethod::Proportional,
        ))
        .unwrap();
        assert_eq!(
            a.strata.iter().map(|s| s.n).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
    }

    #[test]
    fn neyman_favours_variable_strata_and_population_binds() {
        // Neyman with p = 0.5 vs p = 0.1: weights 1000·0.5 vs 1000·0.3.
        let a = allocate(&spec(
            vec![stratum("a", 1000, 0.5), stratum("b", 1000, 0.1)],
            AllocationTarget::Total(160),
            AllocationMethod::Neyman,
        ))
        .unwrap();
        assert_eq!(a.strata[0].n, 100);
        assert_eq!(a.strata[1].n, 60);
        // A small stratum cannot take its share: it is taken whole, the rest goes elsewhere.
        let a = allocate(&spec(
            vec![stratum("big", 1000, 0.5), stratum("tiny", 5, 0.5)],
            AllocationTarget::Total(500),
            AllocationMethod::Equal,
        ))
        .unwrap();
        assert_eq!(a.strata[1].n, 5);
        assert_eq!(a.strata[1].binding, Some(Binding::Population));
        assert_eq!(a.strata[0].n, 495);
    }

    #[test]
    fn min_and_max_bind_and_are_reported() {
        let mut s = spec(
            vec![
                stratum("a", 10_000, 0.5),
                stratum("b", 100, 0.5),
                stratum("c", 50, 0.5),
            ],
            AllocationTarget::Total(300),
            AllocationMethod::Proportional,
        );
        s.min = Some(20);
        s.max = Some(250);
        let a = allocate(&s).unwrap();
        assert_eq!(a.total, 300);
        // The remaining 50 go 100:50 → 33.3/16.7; c is held at 20, b takes the other 30.
        assert_eq!(a.strata[1].n, 30);
        assert_eq!(a.strata[1].binding, None);
        assert_eq!(a.strata[2].n, 20);
        assert_eq!(a.strata[2].binding, Some(Binding::Min));
        assert_eq!(a.strata[0].n, 250);
        assert_eq!(a.strata[0].binding, Some(Binding::Max));
        // Above capacity: reduced, and said so.
        s.target = AllocationTarget::Total(10_000);
        let a = allocate(&s).unwrap();
        assert_eq!(a.total, 250 + 100 + 50);
        assert!(matches!(
            a.total_adjustment,
            Some(TotalAdjustment::ReducedToCapacity { .. })
        ));
    }

    #[test]
    fn errors() {
        let mut s = spec(
            vec![stratum("a", 10, 0.5)],
            AllocationTarget::Total(5),
            AllocationMethod::Domain,
        );
        assert_eq!(allocate(&s), Err(DesignError::DomainNeedsMargin));
        s.method = AllocationMethod::Equal;
        s.strata.push(stratum("a", 5, 0.5));
        assert!(matches!(
            allocate(&s),
            Err(DesignError::DuplicateStratum { .. })
        ));
        s.strata.pop();
        s.min = Some(5);
        s.max = Some(4);
        assert!(matches!(allocate(&s), Err(DesignError::MinAboveMax { .. })));
    }

    #[test]
    fn neyman_all_zero_variance_falls_back() {
        let a = allocate(&spec(
            vec![stratum("a", 100, 0.0), stratum("b", 300, 1.0)],
            AllocationTarget::Total(40),
            AllocationMethod::Neyman,
        ))
        .unwrap();
        assert!(a.fell_back_to_proportional);
        assert_eq!(a.strata[0].n + a.strata[1].n, 40);
        assert_eq!(a.strata[0].n, 10);
    }

    #[test]
    fn zero_variance_strata_take_only_what_others_cannot_hold() {
        let a = allocate(&spec(
            vec![
                stratum("a", 100, 0.5),
                stratum("b", 100, 0.0),
                stratum("c", 300, 1.0),
            ],
            AllocationTarget::Total(180),
            AllocationMethod::Neyman,
        ))
        .unwrap();
        assert_eq!(
            a.strata.iter().map(|s| s.n).collect::<Vec<_>>(),
            vec![100, 20, 60]
        );
        assert_eq!(a.strata[0].binding, Some(Binding::Population));
    }

    #[test]
    fn margin_is_met_when_the_minimum_binds() {
        let strata: Vec<StratumSpec> = (0..50)
            .map(|i| {
                stratum(
                    &format!("s{i}"),
                    if i == 0 { 20_000 } else { 30 + i as u64 },
                    0.5,
                )
            })
            .collect();
        let mut s = spec(
            strata,
            AllocationTarget::Margin(0.03),
            AllocationMethod::Proportional,
        );
        s.min = Some(2);
        let a = allocate(&s).unwrap();
        assert!(a.margin.unwrap() <= 0.03, "{:?}", a.margin);
        assert!(matches!(
            a.total_adjustment,
            Some(TotalAdjustment::RaisedForMargin { .. })
        ));
        assert!(a.strata.iter().all(|st| st.n >= 2));
    }

    #[test]
    fn overall_margin_is_met() {
        let strata: Vec<StratumSpec> = (0..20)
            .map(|i| {
                stratum(
                    &format!("s{i}"),
                    100 + 37 * i as u64 * i as u64,
                    0.1 + 0.02 * i as f64,
                )
            })
            .collect();
        for method in [
            AllocationMethod::Proportional,
            AllocationMethod::Neyman,
            AllocationMethod::Equal,
        ] {
            let a = allocate(&spec(
                strata.clone(),
                AllocationTarget::Margin(0.03),
                method,
            ))
            .unwrap();
            let m = a.margin.unwrap();
            assert!(m <= 0.0301, "{method:?}: {m}");
        }
    }

    fn strata_strategy() -> impl Strategy<Value = Vec<StratumSpec>> {
        proptest::collection::vec((1u64..5000, 0.0f64..=1.0, 0.1f64..10.0), 1..30).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (population, proportion, cost))| StratumSpec {
                    name: format!("s{i}"),
                    population,
                    proportion,
                    cost,
                })
                .collect()
        })
    }

    fn method_strategy() -> impl Strategy<Value = AllocationMethod> {
        prop_oneof![
            Just(AllocationMethod::Proportional),
            Just(AllocationMethod::Neyman),
            Just(AllocationMethod::Optimal),
            Just(AllocationMethod::Equal),
        ]
    }

    proptest! {
        #[test]
        fn allocation_sums_exactly_and_respects_bounds(strata in strata_strategy(), method in method_strategy(),
                                                      total in 1u64..20_000, min in proptest::option::of(0u64..50),
                                                      extra in proptest::option::of(0u64..500)) {
            let max = match (min, extra) { (Some(m), Some(e)) => Some(m + e), (None, e) => e.map(|e| e + 1), _ => None };
            let s = AllocationSpec { strata: strata.clone(), target: AllocationTarget::Total(total), method,
                                     confidence: 0.95, min, max };
            let a = allocate(&s).unwrap();
            let sum_lo: u64 = strata.iter().map(|s| min.unwrap_or(0).min(s.population)).sum();
            let sum_hi: u64 = strata.iter().map(|s| max.unwrap_or(s.population).min(s.population)).sum();
            prop_assert_eq!(a.total, total.clamp(sum_lo, sum_hi));
            prop_assert_eq!(a.strata.iter().map(|s| s.n).sum::<u64>(), a.total);
            for (st, sp) in a.strata.iter().zip(&strata) {
                prop_assert!(st.n <= sp.population);
                prop_assert!(st.n >= min.unwrap_or(0).min(sp.population));
                if let Some(max) = max { prop_assert!(st.n <= max); }
            }
        }

        #[test]
        fn domain_gives_each_stratum_its_margin(strata in strata_strategy(), e in 0.02f64..0.2) {
            let s = AllocationSpec { strata: strata.clone(), target: AllocationTarget::Margin(e),
                                     method: AllocationMethod::Domain, confidence: 0.95, min: None, max: None };
            let a = allocate(&s).unwrap();
            for st in &a.strata {
                prop_assert!(st.n <= st.population);
                prop_assert!(st.margin.unwrap() <= e + 1e-9);
            }
        }

        #[test]
        fn margin_target_total_non_increasing_in_margin(strata in strata_strategy(), method in method_strategy(),
                                                        e1 in 0.01f64..0.3, e2 in 0.01f64..0.3) {
            let (small, large) = if e1 <= e2 { (e1, e2) } else { (e2, e1) };
            let mk = |e| AllocationSpec { strata: strata.clone(), target: AllocationTarget::Margin(e), method,
                                          confidence: 0.95, min: None, max: None };
            let a = allocate(&mk(small)).unwrap();
            let b = allocate(&mk(large)).unwrap();
            // The overall-margin formula's total is non-increasing in E.
            prop_assert!(a.target_total >= b.target_total);
            prop_assert!(a.total <= a.total_population);
            // A total raised for the margin meets it.
            for (r, e) in [(&a, small), (&b, large)] {
                if let Some(TotalAdjustment::RaisedForMargin { from, to }) = r.total_adjustment {
                    prop_assert!(r.margin.is_some_and(|m| m <= e + 1e-12));
                    prop_assert!(to > from);
                }
            }
        }
    }
}
