//! Stratified allocation: split a total sample over strata (proportional, Neyman,
//! cost-optimal, equal) or size each stratum for its own margin (domain), with minimum
//! and maximum per stratum and n_h ≤ N_h. Whole records come from one rule, the priority
//! method ([`apportion`]), which is house-monotone; so for a margin target the total is
//! found exactly: the smallest whose integer allocation meets the margin.

use crate::dist::z_two_sided;
use crate::error::DesignError;
use crate::round::ceil_count;
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
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
    /// The method of a name given by [`AllocationMethod::name`].
    pub fn from_name(name: &str) -> Option<AllocationMethod> {
        [
            AllocationMethod::Proportional,
            AllocationMethod::Neyman,
            AllocationMethod::Optimal,
            AllocationMethod::Equal,
            AllocationMethod::Domain,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }

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
    /// With the bounds and whole records the formula's total misses the margin; the total
    /// is the smallest that meets it.
    RaisedForMargin {
        /// The total from the formula.
        from: u64,
        /// The total allocated.
        to: u64,
    },
    /// The bounds (n_h ≤ N_h, the maximum, or a minimum that lowers the variance) let a
    /// total below the formula's meet the margin: the smallest that meets it.
    LoweredForMargin {
        /// The total from the formula.
        from: u64,
        /// The total allocated.
        to: u64,
    },
    /// No total within the bounds meets the margin: the allocation is the capacity
    /// Σ min(M, N_h), and the margin it reaches is the best there is.
    MarginUnreachable {
        /// The total from the formula.
        from: u64,
        /// The capacity allocated.
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
    /// With a margin target: whether the allocation meets it (false only when the capacity
    /// cannot).
    pub margin_met: Option<bool>,
    /// With a margin target: the margin of the overall share at one record fewer in the
    /// priority sequence (the evidence that the total is the smallest; `Some(None)` when that
    /// margin is undefined, None when the total is Σ lo_h or the target is a total).
    pub margin_one_less: Option<Option<f64>>,
    /// The minimum per stratum applied (the given `min`, or [`DEFAULT_MARGIN_MIN`] for a
    /// margin target without one, or 0).
    pub min_used: u64,
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
        AllocationTarget::Margin(e)
            if !(e.is_finite() && (crate::size::MIN_MARGIN..1.0).contains(&e)) =>
        {
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

/// The default minimum per stratum when the target is a margin: 2 records (capped at N_h).
///
/// A design-based variance of the stratified estimate needs n_h ≥ 1 in every stratum with
/// S_h > 0, and the variance *estimate* made from the returned sample (Cochran 1977
/// eq. 5.6 with s_h², the Korn–Graubard interval) needs n_h ≥ 2: a plan sized for a margin
/// is only useful if its margin can be estimated afterwards, so 2 is the default. An explicit
/// `--min` (0 or 1 included) overrides it.
pub const DEFAULT_MARGIN_MIN: u64 = 2;

/// The next record of the priority method, as a heap entry.
///
/// Ordered by tier (strata with a positive weight before strata of weight 0, which only take
/// records the others cannot hold), then by priority w_h/√(n_h(n_h + 1)) (infinite at
/// n_h = 0, so every stratum with a weight gets one record before any gets a second), then
/// by weight, then by the earlier stratum.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Unit {
    tier: u8,
    priority: f64,
    weight: f64,
    index: usize,
}

impl Eq for Unit {}

impl Ord for Unit {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.tier
            .cmp(&o.tier)
            .then(self.priority.total_cmp(&o.priority))
            .then(self.weight.total_cmp(&o.weight))
            .then(o.index.cmp(&self.index))
    }
}

impl PartialOrd for Unit {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// The priority method of apportionment (Huntington–Hill, the method of equal proportions)
/// with bounds, one record at a time: start from n_h = lo_h and give the next record to the
/// stratum with the largest priority w_h/√(n_h(n_h + 1)) among those below hi_h.
///
/// For any total T the counts minimise Σ w_h²/n_h over all integer allocations with
/// lo_h ≤ n_h ≤ hi_h and Σ n_h = T (the marginal gains w_h²/(n_h(n_h + 1)) fall in n_h, so the
/// greedy choice is optimal for this separable convex objective). With w_h = N_h·S_h that
/// objective is the stratified variance Σ W_h² S_h²/n_h up to constants, so this is the
/// exact integer Neyman optimum (Wright 2012, "The equivalence of Neyman optimum allocation
/// for sampling and equal proportions for apportioning the U.S. House of Representatives",
/// *The American Statistician* 66:217–224). The sequence is house-monotone: the allocation
/// for T + 1 is that for T plus one record, so the variance never rises with the total.
/// Strata of weight 0 take records (by the same rule with weight N_h) only when every
/// weighted stratum is full.
pub(crate) struct Priority<'a> {
    weights: &'a [f64],
    populations: Vec<f64>,
    hi: &'a [u64],
    pub(crate) counts: Vec<u64>,
    heap: std::collections::BinaryHeap<Unit>,
}

impl<'a> Priority<'a> {
    pub(crate) fn new(
        weights: &'a [f64],
        populations: Vec<f64>,
        lo: &[u64],
        hi: &'a [u64],
    ) -> Self {
        let mut p = Priority {
            weights,
            populations,
            hi,
            counts: lo.to_vec(),
            heap: std::collections::BinaryHeap::with_capacity(lo.len()),
        };
        for i in 0..lo.len() {
            p.push(i);
        }
        p
    }

    fn push(&mut self, i: usize) {
        let n = self.counts[i];
        if n >= self.hi[i] {
            return;
        }
        let (tier, weight) = if self.weights[i] > 0.0 {
            (1, self.weights[i])
        } else {
            (0, self.populations[i])
        };
        let priority = if n == 0 {
            f64::INFINITY
        } else {
            weight / (n as f64 * (n as f64 + 1.0)).sqrt()
        };
        self.heap.push(Unit {
            tier,
            priority,
            weight,
            index: i,
        });
    }

    /// Give the next record; the stratum that got it, or None when every stratum is full.
    pub(crate) fn next(&mut self) -> Option<usize> {
        let u = self.heap.pop()?;
        self.counts[u.index] += 1;
        self.push(u.index);
        Some(u.index)
    }
}

/// Split `total` records over strata in proportion to `weights` with lo_h ≤ n_h ≤ hi_h, by
/// the priority method (see the module's [`allocate`]; Huntington–Hill, Wright 2012): the
/// one rounding rule of every allocation in urval. `total` is clamped to [Σ lo_h, Σ hi_h];
/// strata of weight 0 take records (in proportion to `populations`) only when the others
/// are full.
pub fn apportion(
    total: u64,
    weights: &[f64],
    populations: &[u64],
    lo: &[u64],
    hi: &[u64],
) -> Vec<u64> {
    let pops = populations.iter().map(|&p| p as f64).collect();
    let mut p = Priority::new(weights, pops, lo, hi);
    let start: u64 = lo.iter().sum();
    for _ in start..total {
        if p.next().is_none() {
            break;
        }
    }
    p.counts
}

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

/// The minimum per stratum that [`allocate`] applies: the given `min`, or for a margin
/// target [`DEFAULT_MARGIN_MIN`] (never above `max`), else 0.
pub fn min_used(min: Option<u64>, max: Option<u64>, margin_target: bool) -> u64 {
    min.unwrap_or(if margin_target {
        DEFAULT_MARGIN_MIN.min(max.unwrap_or(u64::MAX))
    } else {
        0
    })
}

/// The margin of the stratified share estimate as a function of the total, under a
/// non-domain allocation `method` with per-stratum bounds lo_h = min(`min`, N_h),
/// hi_h = min(`max`, N_h): for each of `totals` (clamped to [Σ lo_h, Σ hi_h]) the pair
/// (total, z·√V) with V of [`stratified_margin`] (Cochran 1977, eq. 5.6) at exactly the
/// integer counts [`allocate`] gives for that total. The priority method is
/// house-monotone, so one sweep that adds records one at a time passes through every
/// total's allocation (O(N log H) for the whole curve). Totals where a stratum with S_h > 0
/// has no record have no finite margin and are left out.
pub fn margin_curve(
    strata: &[StratumSpec],
    method: AllocationMethod,
    min: u64,
    max: Option<u64>,
    z: f64,
    totals: &[u64],
) -> Vec<(u64, f64)> {
    let mut weights = allocation_weights(strata, method);
    if weights.iter().all(|&w| w <= 0.0) {
        weights = allocation_weights(strata, AllocationMethod::Proportional);
    }
    let lo: Vec<u64> = strata.iter().map(|s| min.min(s.population)).collect();
    let hi: Vec<u64> = strata
        .iter()
        .map(|s| max.unwrap_or(s.population).min(s.population))
        .collect();
    let (sum_lo, sum_hi): (u64, u64) = (lo.iter().sum(), hi.iter().sum());
    let pops = strata.iter().map(|s| s.population as f64).collect();
    let mut p = Priority::new(&weights, pops, &lo, &hi);
    let mut at = sum_lo;
    let mut wanted: Vec<u64> = totals.iter().map(|&t| t.clamp(sum_lo, sum_hi)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len());
    for t in wanted {
        while at < t {
            if p.next().is_none() {
                break;
            }
            at += 1;
        }
        if let Some(m) = stratified_margin(strata, &p.counts, z) {
            out.push((at, m));
        }
    }
    out.dedup_by_key(|x| x.0);
    out
}

/// The domain design's curve: for each margin E of `margins`, every stratum sized for its
/// own margin E ([`share_size`] with N_h, E, C, p_h, then its bounds, as [`allocate`] does
/// for the domain method), giving the pair (Σ n_h, E) — the total that gives every stratum
/// the margin E. Sorted by total.
pub fn domain_curve(
    strata: &[StratumSpec],
    confidence: f64,
    min: u64,
    max: Option<u64>,
    margins: &[f64],
) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = margins
        .iter()
        .filter_map(|&e| {
            let mut total = 0u64;
            for s in strata {
                let mut ss = ShareSpec::new(e, confidence);
                ss.proportion = s.proportion;
                ss.population = Some(s.population);
                let n = share_size(&ss).ok()?.n;
                let hi = max.unwrap_or(s.population).min(s.population);
                total += n.clamp(min.min(s.population), hi);
            }
            Some((total, e))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    out.dedup_by_key(|x| x.0);
    out
}

/// Allocate a stratified sample.
///
/// Non-domain methods share out records ∝ w_h ([`allocation_weights`]) by the priority
/// method ([`apportion`]; Huntington–Hill, the exact integer optimum of Wright 2012 for
/// Neyman), within lo_h = min(m, N_h) and hi_h = min(M, N_h).
///
/// - **A total** n is moved into [Σ lo_h, Σ hi_h] if it lies outside (and said so).
/// - **A margin** E: the total is the *smallest* integer total whose integer allocation
///   meets z·√V ≤ E, V = Σ W_h² S_h² (1/n_h − 1/N_h) ([`stratified_margin`]), after the
///   bounds and whole records. Because the priority method is house-monotone, V never rises
///   with the total, so records are added one at a time from Σ lo_h until the margin, recomputed
///   exactly from the integer counts, is met; the margin at the total − 1 is returned as the
///   evidence (`margin_one_less`). Cochran's formula ([`total_for_margin`], eq. 5.25) is
///   reported as `target_total` only. When even Σ hi_h misses the margin, the allocation is
///   the capacity and `margin_met` is false. Without `min`, the minimum is
///   [`DEFAULT_MARGIN_MIN`].
///
/// Domain: each stratum gets [`share_size`] for (N_h, E, C, p_h), then its bounds.
///
/// # Errors
/// [`DesignError`] for no strata, duplicate names, N_h = 0, p_h or c_h out of range,
/// min > max, a zero total, a margin out of range, or the domain method with a total.
pub fn allocate(spec: &AllocationSpec) -> Result<Allocation, DesignError> {
    validate(spec)?;
    let strata = &spec.strata;
    let z = z_two_sided(spec.confidence);
    let margin_target = match spec.target {
        AllocationTarget::Margin(e) => Some(e),
        AllocationTarget::Total(_) => None,
    };
    // The default minimum never exceeds an explicit maximum.
    let min_used = min_used(spec.min, spec.max, margin_target.is_some());
    let lo: Vec<u64> = strata.iter().map(|s| min_used.min(s.population)).collect();
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
    let sum_lo: u64 = lo.iter().sum();
    let sum_hi: u64 = hi.iter().sum();
    let meets = |c: &[u64], e: f64| stratified_margin(strata, c, z).is_some_and(|m| m <= e);

    let mut fell_back = false;
    let mut target_total_exact = None;
    let mut total_adjustment = None;
    let mut margin_one_less = None;
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
            let populations: Vec<u64> = strata.iter().map(|s| s.population).collect();
            let w_sum: f64 = weights.iter().sum();
            let (counts, target) = match spec.target {
                AllocationTarget::Total(target) => {
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
                    (apportion(n, &weights, &populations, &lo, &hi), target)
                }
                AllocationTarget::Margin(e) => {
                    let exact = total_for_margin(strata, &weights, e, spec.confidence);
                    target_total_exact = Some(exact);
                    let formula = ceil_count(exact).max(1);
                    let (counts, one_less) =
                        smallest_meeting(strata, &weights, &populations, &lo, &hi, e, z);
                    margin_one_less = one_less;
                    let to: u64 = counts.iter().sum();
                    total_adjustment = if !meets(&counts, e) {
                        Some(TotalAdjustment::MarginUnreachable { from: formula, to })
                    } else if to == sum_lo && to > formula {
                        Some(TotalAdjustment::RaisedToMinimum { from: formula, to })
                    } else if to > formula {
                        Some(TotalAdjustment::RaisedForMargin { from: formula, to })
                    } else if to < formula {
                        Some(TotalAdjustment::LoweredForMargin { from: formula, to })
                    } else {
                        None
                    };
                    (counts, formula)
                }
            };
            let n: u64 = counts.iter().sum();
            let shares: Vec<f64> = weights.iter().map(|w| n as f64 * w / w_sum).collect();
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
    let margin = stratified_margin(strata, &counts, z);
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
        margin,
        margin_met: margin_target.map(|e| margin.is_some_and(|m| m <= e)),
        margin_one_less,
        min_used,
        fell_back_to_proportional: fell_back,
    })
}

/// The smallest total of the priority sequence whose counts meet the margin `e`, with the
/// margin at one record fewer (None when the total is Σ lo_h, below which no allocation
/// within the bounds exists). When Σ hi_h misses the margin, the capacity.
///
/// Records are added one at a time, the variance kept up to date; near the target every
/// step is confirmed with the exact margin of the integer counts ([`stratified_margin`]),
/// and steps are undone while the exact margin one record earlier still meets it, so the
/// answer does not depend on rounding in the running sum.
fn smallest_meeting(
    strata: &[StratumSpec],
    weights: &[f64],
    populations: &[u64],
    lo: &[u64],
    hi: &[u64],
    e: f64,
    z: f64,
) -> (Vec<u64>, Option<Option<f64>>) {
    let exact_meets = |c: &[u64]| stratified_margin(strata, c, z).is_some_and(|m| m <= e);
    if !exact_meets(hi) {
        return (hi.to_vec(), None);
    }
    let big_n: f64 = populations.iter().map(|&p| p as f64).sum();
    // a_h = W_h² S_h²: the variance is Σ a_h (1/n_h − 1/N_h).
    let a: Vec<f64> = strata
        .iter()
        .map(|s| {
            let w = s.population as f64 / big_n;
            w * w * stratum_variance(s.population, s.proportion)
        })
        .collect();
    let pops = populations.iter().map(|&p| p as f64).collect();
    let mut seq = Priority::new(weights, pops, lo, hi);
    let mut undefined = 0usize;
    let mut v = 0.0;
    for (i, &n) in seq.counts.iter().enumerate() {
        if a[i] > 0.0 {
            if n == 0 {
                undefined += 1;
            } else {
                v += a[i] * (1.0 / n as f64 - 1.0 / populations[i] as f64);
            }
        }
    }
    let v_target = (e / z).powi(2);
    let mut history: Vec<usize> = Vec::new();
    loop {
        if undefined == 0 && v <= v_target * (1.0 + 1e-9) && exact_meets(&seq.counts) {
            break;
        }
        let Some(i) = seq.next() else { break };
        history.push(i);
        let n = seq.counts[i];
        if a[i] > 0.0 {
            if n == 1 {
                undefined -= 1;
                v += a[i] * (1.0 - 1.0 / populations[i] as f64);
            } else {
                v -= a[i] * (1.0 / (n - 1) as f64 - 1.0 / n as f64);
            }
        }
    }
    let mut counts = seq.counts;
    // Undo steps the running sum took too far (it is never more than float noise away).
    while let Some(&i) = history.last() {
        counts[i] -= 1;
        if exact_meets(&counts) {
            history.pop();
        } else {
            counts[i] += 1;
            break;
        }
    }
    let one_less = history.last().map(|&i| {
        counts[i] -= 1;
        let m = stratified_margin(strata, &counts, z);
        counts[i] += 1;
        m
    });
    (counts, one_less)
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
        // Equal priorities: n = 10 over 1/1/1 → 4/3/3 (ties to the earlier stratum).
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
        strata_in(1..5000, 1..30)
    }

    /// Random strata: N_h in `population`, p_h in [0, 1], c_h in [0.1, 10), `count` strata.
    fn strata_in(
        population: std::ops::Range<u64>,
        count: std::ops::Range<usize>,
    ) -> impl Strategy<Value = Vec<StratumSpec>> {
        proptest::collection::vec((population, 0.0f64..=1.0, 0.1f64..10.0), count).prop_map(|v| {
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
        fn the_margin_curve_is_the_allocation_at_every_total(strata in strata_strategy(), k in 1u64..40) {
            for method in [AllocationMethod::Proportional, AllocationMethod::Neyman, AllocationMethod::Equal] {
                let big: u64 = strata.iter().map(|s| s.population).sum();
                let totals: Vec<u64> = (1..=8).map(|j| (big * j * k / 320).max(1)).collect();
                let z = z_two_sided(0.95);
                for (t, m) in margin_curve(&strata, method, 1, None, z, &totals) {
                    let a = allocate(&AllocationSpec { strata: strata.clone(), target: AllocationTarget::Total(t), method, confidence: 0.95, min: Some(1), max: None }).unwrap();
                    let counts: Vec<u64> = a.strata.iter().map(|x| x.n).collect();
                    prop_assert_eq!(a.total, t);
                    let exact = stratified_margin(&strata, &counts, z).unwrap();
                    prop_assert!((exact - m).abs() <= 1e-15 * exact.max(1e-300), "{} vs {} at {}", exact, m, t);
                }
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

    /// The reported cases: a cap that makes the margin unreachable is said, not
    /// papered over; a tiny stratum never gets 0 records under a margin; bounds that lower
    /// the variance lower the total.
    #[test]
    fn audited_cases() {
        let mut s = spec(
            vec![
                stratum("A", 319, 0.05),
                stratum("B", 38, 0.0),
                stratum("C", 1995, 0.5),
            ],
            AllocationTarget::Margin(0.08),
            AllocationMethod::Neyman,
        );
        s.max = Some(100);
        let a = allocate(&s).unwrap();
        assert_eq!(a.margin_met, Some(false));
        assert_eq!(a.total, 238);
        assert!(a.margin.unwrap() > 0.08);
        assert!(matches!(
            a.total_adjustment,
            Some(TotalAdjustment::MarginUnreachable { .. })
        ));

        let a = allocate(&spec(
            vec![stratum("A", 2, 0.01), stratum("B", 1000, 0.5)],
            AllocationTarget::Margin(0.1),
            AllocationMethod::Neyman,
        ))
        .unwrap();
        assert_eq!(a.strata[0].n, 2);
        assert_eq!(a.margin_met, Some(true));
        assert!(a.margin.unwrap() <= 0.1);
        assert!(a.margin_one_less.unwrap().unwrap() > 0.1);

        // sample-data/strata.csv with equal allocation and --min 30: Cochran's 1,492 is far
        // above the 1,263 that already meet ±3 points.
        let strata = [
            ("0180", 3119, 0.25),
            ("1480", 1855, 0.2),
            ("1280", 1095, 0.3),
            ("0380", 715, 0.15),
            ("2480", 410, 0.1),
            ("0114", 146, 0.2),
            ("0162", 109, 0.05),
            ("2584", 77, 0.35),
        ]
        .iter()
        .map(|&(n, big, p)| stratum(n, big, p))
        .collect();
        let mut s = spec(
            strata,
            AllocationTarget::Margin(0.03),
            AllocationMethod::Equal,
        );
        s.min = Some(30);
        let a = allocate(&s).unwrap();
        assert_eq!(a.target_total, 1492);
        assert_eq!(a.total, 1263);
        assert!(matches!(
            a.total_adjustment,
            Some(TotalAdjustment::LoweredForMargin {
                from: 1492,
                to: 1263
            })
        ));
    }

    /// Every allocation of `total` within [lo, hi] (tiny designs only).
    fn all_allocations(lo: &[u64], hi: &[u64], total: u64) -> Vec<Vec<u64>> {
        fn rec(
            i: usize,
            lo: &[u64],
            hi: &[u64],
            left: u64,
            cur: &mut Vec<u64>,
            out: &mut Vec<Vec<u64>>,
        ) {
            if i == lo.len() {
                if left == 0 {
                    out.push(cur.clone());
                }
                return;
            }
            for n in lo[i]..=hi[i].min(left) {
                cur.push(n);
                rec(i + 1, lo, hi, left - n, cur, out);
                cur.pop();
            }
        }
        let mut out = Vec::new();
        rec(0, lo, hi, total, &mut Vec::new(), &mut out);
        out
    }

    fn variance(strata: &[StratumSpec], counts: &[u64]) -> f64 {
        stratified_margin(strata, counts, 1.0).map_or(f64::INFINITY, |m| m * m)
    }

    proptest! {
        /// The reported total meets the margin and one record fewer does not, for every
        /// method, with caps and minimums; when the capacity misses it, that is said.
        #[test]
        fn margin_total_is_the_smallest_that_meets_it(
            strata in strata_in(1..3000, 2..13),
            method in method_strategy(),
            e in 0.005f64..0.25,
            min in proptest::option::of(0u64..40),
            max in proptest::option::of(1u64..400),
        ) {
            let min = match (min, max) { (Some(m), Some(x)) => Some(m.min(x)), (m, _) => m };
            let s = AllocationSpec { strata: strata.clone(), target: AllocationTarget::Margin(e), method,
                                     confidence: 0.95, min, max };
            let a = allocate(&s).unwrap();
            let counts: Vec<u64> = a.strata.iter().map(|x| x.n).collect();
            let z = a.z;
            let lo: Vec<u64> = strata.iter().map(|x| a.min_used.min(x.population)).collect();
            let hi: Vec<u64> = strata.iter().map(|x| max.unwrap_or(x.population).min(x.population)).collect();
            for i in 0..counts.len() {
                prop_assert!(lo[i] <= counts[i] && counts[i] <= hi[i]);
            }
            // Recompute the achieved margin from the integer counts.
            let achieved = stratified_margin(&strata, &counts, z);
            prop_assert_eq!(achieved, a.margin);
            if a.margin_met == Some(true) {
                prop_assert!(achieved.is_some_and(|m| m <= e));
                // One record fewer in the same sequence misses the margin.
                let sum_lo: u64 = lo.iter().sum();
                if a.total > sum_lo {
                    let mut weights = allocation_weights(&strata, method);
                    if weights.iter().all(|&w| w <= 0.0) {
                        weights = allocation_weights(&strata, AllocationMethod::Proportional);
                    }
                    let pops: Vec<u64> = strata.iter().map(|x| x.population).collect();
                    let fewer = apportion(a.total - 1, &weights, &pops, &lo, &hi);
                    prop_assert_eq!(fewer.iter().sum::<u64>(), a.total - 1);
                    let m = stratified_margin(&strata, &fewer, z);
                    prop_assert!(!m.is_some_and(|m| m <= e), "total − 1 meets it: {:?}", m);
                    prop_assert_eq!(a.margin_one_less, Some(m));
                    // House-monotone: the allocation for T − 1 sits inside that for T.
                    prop_assert!(fewer.iter().zip(&counts).all(|(f, c)| f <= c));
                } else {
                    prop_assert_eq!(a.margin_one_less, None);
                }
            } else {
                prop_assert_eq!(&counts, &hi);
                prop_assert!(!achieved.is_some_and(|m| m <= e));
            }
        }

        /// The priority method gives, for every total, the integer allocation of least
        /// variance under Neyman (Wright 2012), found here by brute force on tiny designs; and
        /// the Neyman margin total is the smallest of *any* allocation within the bounds.
        #[test]
        fn neyman_is_the_exact_integer_optimum(
            strata in proptest::collection::vec((1u64..8, 0.0f64..=1.0), 2..5)
                .prop_map(|v| v.into_iter().enumerate().map(|(i, (population, proportion))|
                    StratumSpec { name: format!("s{i}"), population, proportion, cost: 1.0 }).collect::<Vec<_>>()),
            min in 0u64..3,
            e in 0.02f64..0.4,
        ) {
            let lo: Vec<u64> = strata.iter().map(|x| min.min(x.population)).collect();
            let hi: Vec<u64> = strata.iter().map(|x| x.population).collect();
            let weights = allocation_weights(&strata, AllocationMethod::Neyman);
            prop_assume!(weights.iter().any(|&w| w > 0.0));
            let pops = hi.clone();
            let (sum_lo, sum_hi): (u64, u64) = (lo.iter().sum(), hi.iter().sum());
            for total in sum_lo..=sum_hi {
                let ours = apportion(total, &weights, &pops, &lo, &hi);
                prop_assert_eq!(ours.iter().sum::<u64>(), total);
                let best = all_allocations(&lo, &hi, total).iter().map(|c| variance(&strata, c))
                    .fold(f64::INFINITY, f64::min);
                let v = variance(&strata, &ours);
                prop_assert!(v <= best * (1.0 + 1e-12) + 1e-15 || (v.is_infinite() && best.is_infinite()),
                             "total {}: {} > {}", total, v, best);
            }
            let s = AllocationSpec { strata: strata.clone(), target: AllocationTarget::Margin(e),
                                     method: AllocationMethod::Neyman, confidence: 0.95, min: Some(min), max: None };
            let a = allocate(&s).unwrap();
            let z = a.z;
            let smallest = (sum_lo..=sum_hi).find(|&t| all_allocations(&lo, &hi, t).iter()
                .any(|c| stratified_margin(&strata, c, z).is_some_and(|m| m <= e)));
            prop_assert_eq!(Some(a.total), smallest);
        }

        /// The priority method is house-monotone for every method: one more record never
        /// takes a record from any stratum.
        #[test]
        fn apportion_is_house_monotone(strata in strata_strategy(), method in method_strategy(), total in 0u64..3000) {
            let weights = allocation_weights(&strata, method);
            let pops: Vec<u64> = strata.iter().map(|x| x.population).collect();
            let lo = vec![0; pops.len()];
            let a = apportion(total, &weights, &pops, &lo, &pops);
            let b = apportion(total + 1, &weights, &pops, &lo, &pops);
            prop_assert!(a.iter().zip(&b).all(|(x, y)| x <= y));
            prop_assert_eq!(a.iter().sum::<u64>(), total.min(pops.iter().sum()));
        }
    }
}
