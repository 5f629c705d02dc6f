//! One request for several purposes: the smallest-cost stratified allocation that meets a
//! precision requirement for every purpose at once.
//!
//! Each purpose is a share over a domain (a subset of the records, e.g. "children's
//! investigations") estimated from the stratified sample, required overall, per group of
//! strata or per stratum. Its variance is linear in 1/n_h:
//!
//! V(n) = Σ_h A_h (1/n_h − 1/N_h)  ([`domain_share_terms`]),
//!
//! so the problem "minimise Σ c_h n_h subject to V_k(n) ≤ V_k for every requirement k and
//! lo_h ≤ n_h ≤ hi_h" is the convex multivariate allocation problem of Bethel (1989,
//! "Sample allocation in multivariate surveys", *Survey Methodology* 15:47–57) and Chromy
//! (1987, "Design optimization with multiple objectives", *Proc. Survey Research Methods
//! Section, ASA*, 194–199). [`joint_allocate`] solves it in whole records:
//!
//! 1. A requirement on one stratum alone is a lower bound on that n_h, found exactly.
//! 2. One requirement over several strata at unit cost: the priority method (Huntington–Hill)
//!    adds records one at a time from the bounds until the requirement is met; it minimises
//!    Σ A_h/n_h for every total (Wright 2012), so the total is the integer optimum. With one
//!    requirement over the whole population this is `urval plan --allocation neyman` exactly.
//! 3. Otherwise the continuous optimum ([`bethel`]: Lagrangian dual, exact coordinate
//!    ascent — Chromy's algorithm updates the multipliers one requirement at a time in the
//!    same way), rounded up (which keeps every requirement, V falling in each n_h), repaired
//!    if float noise left one unmet, trimmed one record at a time while every requirement
//!    still holds, then searched exhaustively (branch and bound on cost and feasibility) for
//!    a cheaper integer allocation within a node budget. When the search finishes the result
//!    is the integer optimum (`proved_optimal`); when it does not, the continuous optimum is
//!    a lower bound on the cost and the gap is reported.
//!
//! Every requirement is checked on the final integer counts with the margin recomputed from
//! them (`met`, `achieved`), and removing any one record breaks one (`locally_minimal`).

use crate::allocate::stratum_variance;
use crate::allocate::Priority;
use crate::round::ceil_count;
use serde::Serialize;

/// One precision requirement: V(n) = Σ A_h (1/n_h − 1/N_h) ≤ (E/z)².
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// Which purpose it belongs to (index into the caller's purposes).
    pub purpose: usize,
    /// The group it is for (`None` overall; a stratum or a column value otherwise).
    pub group: Option<String>,
    /// (stratum index, A_h) for every stratum with A_h > 0.
    pub terms: Vec<(usize, f64)>,
    /// z at the purpose's confidence.
    pub z: f64,
    /// The margin E that must not be exceeded: z·√V(n) ≤ E.
    pub margin: f64,
    /// The expected response rate r in (0, 1]: of n_h records requested r·n_h answer, so
    /// V(n) = Σ A_h (1/(r·n_h) − 1/N_h).
    pub response: f64,
}

impl Requirement {
    /// The margin z·√V(n) at integer sizes `counts`; `None` when a stratum with A_h > 0 has
    /// no record.
    pub fn margin_at(&self, counts: &[u64], populations: &[u64]) -> Option<f64> {
        let mut v = 0.0;
        for &(h, a) in &self.terms {
            if counts[h] == 0 {
                return None;
            }
            v += a * (1.0 / (self.response * counts[h] as f64) - 1.0 / populations[h] as f64);
        }
        Some(self.z * v.max(0.0).sqrt())
    }

    /// Whether `counts` meet the requirement (the margin recomputed from them is ≤ E).
    pub fn met(&self, counts: &[u64], populations: &[u64]) -> bool {
        self.margin_at(counts, populations)
            .is_some_and(|m| m <= self.margin)
    }

    /// The coefficients of 1/n_h: (stratum, A_h/r).
    fn coefficients(&self) -> Vec<(usize, f64)> {
        self.terms
            .iter()
            .map(|&(h, a)| (h, a / self.response))
            .collect()
    }

    /// The bound on Σ (A_h/r)/n_h equivalent to the requirement: (E/z)² + Σ A_h/N_h.
    fn bound(&self, populations: &[u64]) -> f64 {
        (self.margin / self.z).powi(2)
            + self
                .terms
                .iter()
                .map(|&(h, a)| a / populations[h] as f64)
                .sum::<f64>()
    }
}

/// One stratum's part of a domain: N_h, the domain's records in it N_dh, and the share p_dh
/// among them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainCell {
    /// Stratum index.
    pub stratum: usize,
    /// N_h.
    pub population: u64,
    /// N_dh ≤ N_h.
    pub domain: u64,
    /// p_dh in [0, 1].
    pub proportion: f64,
}

/// The variance terms A_h of the estimated share of a domain d from a stratified simple
/// random sample, p̂_d = Σ_h N_h ȳ_h / Σ_h N_h P̂_dh (a ratio of two stratified totals), to
/// first order (Taylor linearisation; Cochran 1977, *Sampling Techniques*, §5A.14 and
/// §6.11; Särndal, Swensson & Wretman 1992, §10.3):
///
/// V(p̂_d) = Σ_h A_h (1/n_h − 1/N_h),  A_h = (N_h/N_d)² S²_uh,
///
/// with u = 1{d}·(y − p_d), whose variance in stratum h (divisor N_h − 1) is
/// S²_uh = N_h/(N_h − 1) · [P_dh p_dh(1 − p_dh) + P_dh(1 − P_dh)(p_dh − p_d)²],
/// P_dh = N_dh/N_h, p_d = Σ N_dh p_dh / N_d. When the domain is all of every stratum this is
/// Cochran's eq. 5.6 with S_h² of [`stratum_variance`], term for term; for one stratum and
/// all of it, Cochran's n0/(1 + (n0 − 1)/N). The domain's records in a stratum are then a
/// random share of its n_h: the formula accounts for that (the P_dh(1 − P_dh) term).
pub fn domain_share_terms(cells: &[DomainCell]) -> Vec<(usize, f64)> {
    let nd: f64 = cells.iter().map(|c| c.domain as f64).sum();
    if nd <= 0.0 {
        return Vec::new();
    }
    let pd: f64 = cells
        .iter()
        .map(|c| c.domain as f64 * c.proportion)
        .sum::<f64>()
        / nd;
    cells
        .iter()
        .filter(|c| c.domain > 0)
        .filter_map(|c| {
            let s2 = if c.domain == c.population {
                stratum_variance(c.population, c.proportion)
            } else {
                let share = c.domain as f64 / c.population as f64;
                let d = c.proportion - pd;
                let inner =
                    share * c.proportion * (1.0 - c.proportion) + share * (1.0 - share) * d * d;
                if c.population > 1 {
                    inner * c.population as f64 / (c.population as f64 - 1.0)
                } else {
                    inner
                }
            };
            let w = c.population as f64 / nd;
            let a = w * w * s2;
            (a > 0.0).then_some((c.stratum, a))
        })
        .collect()
}

/// The joint problem.
#[derive(Debug, Clone, PartialEq)]
pub struct JointSpec {
    /// N_h.
    pub populations: Vec<u64>,
    /// c_h > 0.
    pub costs: Vec<f64>,
    /// The least records per stratum (a `--min`), capped at N_h by the caller.
    pub lo: Vec<u64>,
    /// The most records per stratum (N_h, or a `--max`).
    pub hi: Vec<u64>,
    /// The requirements.
    pub requirements: Vec<Requirement>,
    /// Nodes the exhaustive search may visit before it gives up proving optimality.
    pub search_nodes: u64,
}

/// What holds a stratum at its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "requirement")]
pub enum JointBinding {
    /// The minimum per stratum.
    Min,
    /// The whole stratum or the maximum per stratum.
    Max,
    /// A requirement (index): on this stratum alone, or the one whose multiplier-weighted
    /// variance term is largest in it (the purpose that drives the stratum).
    Requirement(usize),
}

/// The joint allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointAllocation {
    /// n_h.
    pub counts: Vec<u64>,
    /// Σ c_h n_h.
    pub cost: f64,
    /// The continuous optimum x_h (before rounding); empty when not needed (no requirement
    /// over several strata).
    pub continuous: Vec<f64>,
    /// The Lagrangian dual at the multipliers found ([`bethel_dual`]; Σ c_h x_h at
    /// convergence): a lower bound on the cost of any allocation that meets every reachable
    /// requirement within the bounds. The cost itself when the allocation is exact by
    /// construction (`bounds`, `priority`).
    pub lower_bound: f64,
    /// The multipliers λ_k of the continuous optimum (0 for a requirement that does not
    /// bind there).
    pub multipliers: Vec<f64>,
    /// How the integers were found: `bounds` (no requirement over several strata),
    /// `priority` (one, unit cost), `search` (rounded, trimmed, searched to the end) or
    /// `rounded` (the search ran out of nodes).
    pub method: String,
    /// True when no allocation within the bounds that meets every reachable requirement
    /// costs less.
    pub proved_optimal: bool,
    /// Per requirement: met by `counts` (false only when even n_h = hi_h cannot meet it).
    pub met: Vec<bool>,
    /// Per requirement: the margin at `counts`.
    pub achieved: Vec<Option<f64>>,
    /// Per requirement: unreachable within the bounds (its strata are then at hi_h).
    pub unreachable: Vec<bool>,
    /// Removing any one record above the bounds breaks some requirement.
    pub locally_minimal: bool,
    /// Per stratum: what holds it. A [`JointBinding::Requirement`] names the first of
    /// `binding_requirements`.
    pub binding: Vec<Option<JointBinding>>,
    /// Per stratum: the requirements that bind it, found by removal rather than from the
    /// multipliers: every requirement met at `counts` that fails with one record fewer in
    /// this stratum, and every unreachable requirement on a stratum it took to hi_h (taken
    /// whole, or to its maximum, because of it). Ascending; empty when nothing but the
    /// bounds holds the stratum.
    pub binding_requirements: Vec<Vec<usize>>,
}

/// The smallest n in [lo, hi] with A(1/n − 1/N) ≤ (E/z)² for one stratum (exact: the
/// closed form, then checked and moved by single records), or None when hi misses it.
fn single_stratum_min(
    r: &Requirement,
    h: usize,
    populations: &[u64],
    lo: u64,
    hi: u64,
) -> Option<u64> {
    let mut counts = vec![0u64; populations.len()];
    let met = |n: u64, counts: &mut Vec<u64>| {
        counts[h] = n;
        r.met(counts, populations)
    };
    let lo = lo.max(1);
    if lo > hi || !met(hi, &mut counts) {
        return None;
    }
    let a = r.coefficients().iter().map(|t| t.1).sum::<f64>();
    let bound = r.bound(populations);
    let guess = if bound > 0.0 {
        ceil_count(a / bound)
    } else {
        hi
    };
    let mut n = guess.clamp(lo, hi);
    while n < hi && !met(n, &mut counts) {
        n += 1;
    }
    while n > lo && met(n - 1, &mut counts) {
        n -= 1;
    }
    Some(n)
}

/// The continuous Bethel–Chromy optimum: minimise Σ c_h x_h subject to Σ_h A_kh/x_h ≤ t_k for
/// every requirement and lo_h ≤ x_h ≤ hi_h.
///
/// Method: the Lagrangian dual. For multipliers λ ≥ 0 the Lagrangian is minimised by
/// x_h(λ) = clamp(√(Σ_k λ_k A_kh / c_h), lo_h, hi_h); the dual is concave and differentiable
/// with ∂/∂λ_k = Σ_h A_kh/x_h(λ) − t_k. It is maximised one multiplier at a time, each
/// exactly (bisection to machine precision on the monotone Σ_h A_kh/x_h(λ) = t_k, or 0 when
/// the requirement holds without it) — Chromy's (1987) iteration — until the multipliers
/// stop moving. The result satisfies the KKT conditions (tested), which for this convex
/// problem prove it optimal. `t_k` is the bound on Σ A_kh/x_h; every requirement must be
/// feasible at x = hi.
///
/// Returns (x, λ).
pub fn bethel(
    costs: &[f64],
    lo: &[f64],
    hi: &[f64],
    requirements: &[Vec<(usize, f64)>],
    bounds: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let h_count = costs.len();
    let k_count = requirements.len();
    let mut lambda = vec![0.0f64; k_count];
    // s_h = Σ_k λ_k A_kh.
    let mut s = vec![0.0f64; h_count];
    let x_of = |h: usize, s_h: f64| -> f64 { (s_h / costs[h]).max(0.0).sqrt().clamp(lo[h], hi[h]) };
    let g = |k: usize, lam: f64, old: f64, s: &[f64]| -> f64 {
        requirements[k]
            .iter()
            .map(|&(h, a)| a / x_of(h, s[h] + (lam - old) * a))
            .sum()
    };
    for _sweep in 0..100_000 {
        let mut moved = 0.0f64;
        for k in 0..k_count {
            let old = lambda[k];
            let new = if g(k, 0.0, old, &s) <= bounds[k] {
                0.0
            } else {
                // Bracket: the smallest power of two above which the requirement holds.
                let mut up = if old > 0.0 { old } else { 1e-12 };
                let mut tries = 0;
                while g(k, up, old, &s) > bounds[k] && tries < 4000 {
                    up *= 2.0;
                    tries += 1;
                }
                let mut down = 0.0;
                for _ in 0..200 {
                    let mid = 0.5 * (down + up);
                    if mid <= down || mid >= up {
                        break;
                    }
                    if g(k, mid, old, &s) > bounds[k] {
                        down = mid;
                    } else {
                        up = mid;
                    }
                }
                up
            };
            if new != old {
                for &(h, a) in &requirements[k] {
                    s[h] += (new - old) * a;
                }
                lambda[k] = new;
                moved = moved.max((new - old).abs() / new.abs().max(old.abs()).max(1e-300));
            }
        }
        if moved < 1e-13 {
            break;
        }
    }
    // Recompute s from λ (no drift), then x.
    let mut s = vec![0.0f64; h_count];
    for (k, terms) in requirements.iter().enumerate() {
        for &(h, a) in terms {
            s[h] += lambda[k] * a;
        }
    }
    let x = (0..h_count).map(|h| x_of(h, s[h])).collect();
    (x, lambda)
}

/// The Lagrangian dual at multipliers λ ≥ 0: D(λ) = Σ_h min over lo_h ≤ x ≤ hi_h of
/// [c_h·x + (Σ_k λ_k A_kh)/x] − Σ_k λ_k t_k. By weak duality D(λ) is at most the cost of any
/// allocation (whole or not) within the bounds that meets every requirement: a lower bound
/// that holds however far the multipliers have converged.
pub fn bethel_dual(
    costs: &[f64],
    lo: &[f64],
    hi: &[f64],
    requirements: &[Vec<(usize, f64)>],
    bounds: &[f64],
    lambda: &[f64],
) -> f64 {
    let mut s = vec![0.0f64; costs.len()];
    for (k, terms) in requirements.iter().enumerate() {
        for &(h, a) in terms {
            s[h] += lambda[k] * a;
        }
    }
    let mut d = 0.0;
    for h in 0..costs.len() {
        let x = (s[h] / costs[h]).max(0.0).sqrt().clamp(lo[h], hi[h]);
        d += costs[h] * x + if s[h] > 0.0 { s[h] / x } else { 0.0 };
    }
    d - lambda.iter().zip(bounds).map(|(l, t)| l * t).sum::<f64>()
}

/// Allocate whole records to meet every requirement at the least cost Σ c_h n_h (the
/// module's method). Requirements that no allocation within the bounds meets are
/// `unreachable`: their strata are taken to hi_h and the rest are still met.
pub fn joint_allocate(spec: &JointSpec) -> JointAllocation {
    let mut b = bounds(spec);
    let unit_cost = spec.costs.iter().all(|&c| c == spec.costs[0]);
    let solved = if b.joint.is_empty() {
        Solved {
            counts: b.lo.clone(),
            method: "bounds",
            proved: true,
            continuous: Vec::new(),
            dual: None,
            multipliers: vec![0.0; spec.requirements.len()],
        }
    } else if b.joint.len() == 1 && unit_cost {
        by_priority(spec, &mut b)
    } else {
        jointly(spec, &mut b)
    };
    checked(spec, b, solved)
}

/// A joint problem's bounds before any requirement over several strata is solved.
struct Bounds {
    /// The least records per stratum: the minimum, a record in every stratum of some
    /// requirement, hi_h for the strata of an unreachable requirement, and the exact least
    /// n_h of each requirement on one stratum alone.
    lo: Vec<u64>,
    /// The most records per stratum.
    hi: Vec<u64>,
    /// Per stratum, what holds it so far.
    binding: Vec<Option<JointBinding>>,
    /// Per requirement, unreachable within the bounds.
    unreachable: Vec<bool>,
    /// The floor below which no record can go whatever the requirements say.
    floor: Vec<u64>,
    /// The reachable requirements over several strata, solved jointly.
    joint: Vec<usize>,
}

/// What a method found: the counts, the method's name, whether they are proved optimal,
/// and for the joint solution the continuous optimum, the dual bound and the multipliers.
struct Solved {
    counts: Vec<u64>,
    method: &'static str,
    proved: bool,
    continuous: Vec<f64>,
    dual: Option<f64>,
    multipliers: Vec<f64>,
}

/// Σ c_h n_h.
fn cost_of(counts: &[u64], costs: &[f64]) -> f64 {
    counts.iter().zip(costs).map(|(&n, &c)| n as f64 * c).sum()
}

/// Step 1 of the module's method: the bounds, the unreachable requirements taken to hi_h,
/// and each requirement on one stratum alone as an exact lower bound.
fn bounds(spec: &JointSpec) -> Bounds {
    let pops = &spec.populations;
    let reqs = &spec.requirements;
    let mut lo: Vec<u64> = spec
        .lo
        .iter()
        .zip(&spec.hi)
        .map(|(&l, &h)| l.min(h))
        .collect();
    let hi = spec.hi.clone();
    let mut binding: Vec<Option<JointBinding>> = lo
        .iter()
        .map(|&l| (l > 0).then_some(JointBinding::Min))
        .collect();
    // A stratum in some requirement needs a record for its variance to exist.
    for r in reqs {
        for &(h, _) in &r.terms {
            lo[h] = lo[h].max(1).min(hi[h]);
        }
    }
    let mut unreachable = vec![false; reqs.len()];
    for (k, r) in reqs.iter().enumerate() {
        if !r.met(&hi, pops) {
            unreachable[k] = true;
            for &(h, _) in &r.terms {
                lo[h] = hi[h];
                binding[h] = Some(JointBinding::Max);
            }
        }
    }
    let floor = lo.clone();
    // Requirements on one stratum: exact lower bounds.
    let mut joint: Vec<usize> = Vec::new();
    for (k, r) in reqs.iter().enumerate() {
        if unreachable[k] {
            continue;
        }
        match r.terms.as_slice() {
            [] => {}
            [(h, _)] => {
                if let Some(n) = single_stratum_min(r, *h, pops, lo[*h], hi[*h]) {
                    if n > lo[*h] || binding[*h].is_none() {
                        lo[*h] = n;
                        binding[*h] = Some(JointBinding::Requirement(k));
                    }
                }
            }
            _ => joint.push(k),
        }
    }
    Bounds {
        lo,
        hi,
        binding,
        unreachable,
        floor,
        joint,
    }
}

/// Step 2: one requirement over several strata at unit cost, by the priority method from
/// the bounds until it is met.
fn by_priority(spec: &JointSpec, b: &mut Bounds) -> Solved {
    let pops = &spec.populations;
    let k = b.joint[0];
    let r = &spec.requirements[k];
    let mut weights = vec![0.0f64; pops.len()];
    for (h, a) in r.coefficients() {
        weights[h] = a.sqrt();
    }
    let mut p = Priority::new(
        &weights,
        pops.iter().map(|&n| n as f64).collect(),
        &b.lo,
        &b.hi,
    );
    while !r.met(&p.counts, pops) {
        if p.next().is_none() {
            break;
        }
    }
    for &(h, a) in &r.terms {
        if p.counts[h] > b.lo[h] && a > 0.0 {
            b.binding[h] = Some(JointBinding::Requirement(k));
        }
    }
    Solved {
        counts: p.counts,
        method: "priority",
        proved: true,
        continuous: Vec::new(),
        dual: None,
        multipliers: vec![0.0; spec.requirements.len()],
    }
}

/// Step 3: the continuous optimum, rounded up and down, each completed and trimmed, the
/// cheaper searched for a cheaper integer allocation.
fn jointly(spec: &JointSpec, b: &mut Bounds) -> Solved {
    let pops = &spec.populations;
    let reqs = &spec.requirements;
    let (lo, hi) = (&b.lo, &b.hi);
    let joint = &b.joint;
    let mut multipliers = vec![0.0; reqs.len()];
    let terms: Vec<Vec<(usize, f64)>> = joint.iter().map(|&k| reqs[k].coefficients()).collect();
    let bounds: Vec<f64> = joint.iter().map(|&k| reqs[k].bound(pops)).collect();
    let lo_f: Vec<f64> = lo.iter().map(|&n| n as f64).collect();
    let hi_f: Vec<f64> = hi.iter().map(|&n| n as f64).collect();
    let (x, lambda) = bethel(&spec.costs, &lo_f, &hi_f, &terms, &bounds);
    for (j, &k) in joint.iter().enumerate() {
        multipliers[k] = lambda[j];
    }
    drivers(&x, &lo_f, &hi_f, &terms, &lambda, joint, &mut b.binding);
    let active: Vec<&Requirement> = joint.iter().map(|&k| &reqs[k]).collect();
    let all_met = |c: &[u64]| active.iter().all(|r| r.met(c, pops));
    // Two roundings of the continuous optimum, each completed and trimmed; the cheaper
    // one starts the search. Rounded up every requirement holds at once (V falls in
    // each n_h) up to float noise; rounded down, records are added where they help the
    // unmet requirements most per cost.
    let mut stratum_terms: Vec<Vec<(usize, f64)>> = vec![Vec::new(); pops.len()];
    for (j, r) in active.iter().enumerate() {
        for (h, a) in r.coefficients() {
            stratum_terms[h].push((j, a));
        }
    }
    let mut candidates = Vec::new();
    for up in [true, false] {
        let mut c: Vec<u64> = x
            .iter()
            .enumerate()
            .map(|(h, &v)| {
                let r = if up {
                    ceil_count(v)
                } else {
                    crate::round::floor_count(v)
                };
                r.clamp(lo[h], hi[h])
            })
            .collect();
        fill(&mut c, &active, &stratum_terms, spec, hi);
        trim(&mut c, lo, &spec.costs, &all_met);
        candidates.push(c);
    }
    let mut counts = candidates[0].clone();
    if cost_of(&candidates[1], &spec.costs) < cost_of(&counts, &spec.costs) - 1e-9 {
        counts = candidates[1].clone();
    }
    let (best, done) = search(
        &counts,
        lo,
        hi,
        &spec.costs,
        &active,
        pops,
        spec.search_nodes,
    );
    // With whole-number costs every allocation costs a whole number, so one that costs
    // ⌈lower bound⌉ is optimal whether or not the search finished.
    let lower = bethel_dual(&spec.costs, &lo_f, &hi_f, &terms, &bounds, &lambda);
    let whole = spec.costs.iter().all(|c| c.fract() == 0.0);
    let proved = done || (whole && cost_of(&best, &spec.costs) <= (lower - 1e-9).ceil() + 1e-9);
    Solved {
        counts: best,
        method: if done { "search" } else { "rounded" },
        proved,
        continuous: x,
        dual: Some(lower),
        multipliers,
    }
}

/// The purpose that drives each stratum above its bounds at the continuous optimum `x`:
/// the joint requirement whose multiplier-weighted term is largest there (the maximum when
/// `x` reaches hi_h).
fn drivers(
    x: &[f64],
    lo_f: &[f64],
    hi_f: &[f64],
    terms: &[Vec<(usize, f64)>],
    lambda: &[f64],
    joint: &[usize],
    binding: &mut [Option<JointBinding>],
) {
    for h in 0..x.len() {
        if x[h] > lo_f[h] + 1e-9 {
            let mut best: Option<(usize, f64)> = None;
            for (j, t) in terms.iter().enumerate() {
                for &(hh, a) in t {
                    if hh == h && best.is_none_or(|b| lambda[j] * a > b.1) {
                        best = Some((joint[j], lambda[j] * a));
                    }
                }
            }
            if let Some((k, _)) = best {
                binding[h] = Some(if x[h] >= hi_f[h] - 1e-9 {
                    JointBinding::Max
                } else {
                    JointBinding::Requirement(k)
                });
            }
        }
    }
}

/// Add records one at a time until every `active` requirement holds: each where it helps
/// the unmet requirements most per cost (`stratum_terms`: per stratum, each requirement's
/// term), never above hi_h.
fn fill(
    counts: &mut [u64],
    active: &[&Requirement],
    stratum_terms: &[Vec<(usize, f64)>],
    spec: &JointSpec,
    hi: &[u64],
) {
    let pops = &spec.populations;
    loop {
        let unmet: Vec<f64> = active
            .iter()
            .map(|r| {
                if r.met(counts, pops) {
                    0.0
                } else {
                    1.0 / r.bound(pops)
                }
            })
            .collect();
        if unmet.iter().all(|&w| w == 0.0) {
            return;
        }
        let mut best: Option<(usize, f64)> = None;
        for h in 0..pops.len() {
            if counts[h] >= hi[h] {
                continue;
            }
            let n = counts[h] as f64;
            let step = if n == 0.0 {
                1e300
            } else {
                1.0 / n - 1.0 / (n + 1.0)
            };
            let gain: f64 = stratum_terms[h]
                .iter()
                .map(|&(j, a)| unmet[j] * a)
                .sum::<f64>()
                * step
                / spec.costs[h];
            if gain > 0.0 && best.is_none_or(|b| gain > b.1) {
                best = Some((h, gain));
            }
        }
        match best {
            Some((h, _)) => counts[h] += 1,
            None => return,
        }
    }
}

/// The allocation with every requirement checked on the final counts: the margins
/// achieved, which are met, whether any one record can go, and what binds each stratum.
fn checked(spec: &JointSpec, b: Bounds, solved: Solved) -> JointAllocation {
    let pops = &spec.populations;
    let reqs = &spec.requirements;
    let h_count = pops.len();
    let Bounds {
        hi,
        mut binding,
        unreachable,
        floor,
        ..
    } = b;
    let counts = solved.counts;
    let achieved: Vec<Option<f64>> = reqs.iter().map(|r| r.margin_at(&counts, pops)).collect();
    let met: Vec<bool> = reqs.iter().map(|r| r.met(&counts, pops)).collect();
    let reachable_met = |c: &[u64]| {
        reqs.iter()
            .zip(&unreachable)
            .all(|(r, &u)| u || r.met(c, pops))
    };
    let mut locally_minimal = true;
    let mut probe = counts.clone();
    for h in 0..h_count {
        if probe[h] > floor[h] {
            probe[h] -= 1;
            if reachable_met(&probe) {
                locally_minimal = false;
            }
            probe[h] += 1;
        }
    }
    // What binds each stratum, by removal: the requirements that hold now and fail with one
    // record fewer there; a stratum at hi_h because a requirement cannot be met is bound by
    // that requirement.
    let binding_requirements: Vec<Vec<usize>> = (0..h_count)
        .map(|h| {
            let mut probe = counts.clone();
            let fewer = counts[h] > 0;
            if fewer {
                probe[h] -= 1;
            }
            (0..reqs.len())
                .filter(|&k| {
                    let on_h = reqs[k].terms.iter().any(|t| t.0 == h);
                    if unreachable[k] {
                        on_h && counts[h] == hi[h]
                    } else {
                        fewer && met[k] && !reqs[k].met(&probe, pops)
                    }
                })
                .collect()
        })
        .collect();
    for (b, list) in binding.iter_mut().zip(&binding_requirements) {
        if matches!(b, None | Some(JointBinding::Requirement(_))) {
            *b = list.first().map(|&k| JointBinding::Requirement(k));
        }
    }
    let lower_bound = solved.dual.unwrap_or_else(|| cost_of(&counts, &spec.costs));
    JointAllocation {
        cost: cost_of(&counts, &spec.costs),
        counts,
        continuous: solved.continuous,
        lower_bound,
        multipliers: solved.multipliers,
        method: solved.method.to_string(),
        proved_optimal: solved.proved,
        met,
        achieved,
        unreachable,
        locally_minimal,
        binding,
        binding_requirements,
    }
}

/// Remove records one at a time while every requirement holds: from the dearest stratum
/// first (then the one whose removal costs the least precision), until none can go.
fn trim(counts: &mut [u64], lo: &[u64], costs: &[f64], all_met: &dyn Fn(&[u64]) -> bool) {
    loop {
        let mut order: Vec<usize> = (0..counts.len()).filter(|&h| counts[h] > lo[h]).collect();
        order.sort_by(|&a, &b| {
            costs[b]
                .total_cmp(&costs[a])
                .then(counts[b].cmp(&counts[a]))
                .then(a.cmp(&b))
        });
        let mut removed = false;
        for h in order {
            counts[h] -= 1;
            if all_met(counts) {
                removed = true;
                break;
            }
            counts[h] += 1;
        }
        if !removed {
            return;
        }
    }
}

/// Branch and bound over the strata in order for an allocation cheaper than `start` that
/// meets every requirement: a branch is cut when its cost with the rest at their minimum is
/// not below the best found, or when even the rest at their maximum cannot meet some
/// requirement (with a 10⁻⁹ relative slack, so the exact check at the leaves decides).
/// Returns the cheapest allocation found and whether the search finished within `nodes`.
fn search(
    start: &[u64],
    lo: &[u64],
    hi: &[u64],
    costs: &[f64],
    reqs: &[&Requirement],
    pops: &[u64],
    nodes: u64,
) -> (Vec<u64>, bool) {
    let h_count = start.len();
    let k_count = reqs.len();
    // a[k][h]
    let mut a = vec![vec![0.0f64; h_count]; k_count];
    for (k, r) in reqs.iter().enumerate() {
        for (h, v) in r.coefficients() {
            a[k][h] += v;
        }
    }
    let bounds: Vec<f64> = reqs.iter().map(|r| r.bound(pops)).collect();
    // The least remaining cost and variance from stratum h on.
    let mut rest_cost = vec![0.0f64; h_count + 1];
    let mut rest_var = vec![vec![0.0f64; h_count + 1]; k_count];
    for h in (0..h_count).rev() {
        rest_cost[h] = rest_cost[h + 1] + costs[h] * lo[h] as f64;
        for k in 0..k_count {
            rest_var[k][h] = rest_var[k][h + 1]
                + if a[k][h] > 0.0 {
                    a[k][h] / hi[h].max(1) as f64
                } else {
                    0.0
                };
        }
    }
    let cost_of = |c: &[u64]| -> f64 { c.iter().zip(costs).map(|(&n, &c)| n as f64 * c).sum() };
    let mut best = start.to_vec();
    let best_cost = cost_of(start);
    let mut cur = lo.to_vec();
    let mut var = vec![0.0f64; k_count];
    // Depth-first, one stratum per level.
    fn go(h: usize, cost: f64, st: &mut State<'_>) -> bool {
        if st.visited >= st.nodes {
            return false;
        }
        st.visited += 1;
        let h_count = st.lo.len();
        if h == h_count {
            if cost < st.best_cost - 1e-9 && st.reqs.iter().all(|r| r.met(st.cur, st.pops)) {
                st.best_cost = cost;
                st.best.copy_from_slice(st.cur);
            }
            return true;
        }
        // The least n_h that can still meet every requirement (feasibility only grows with
        // n_h), found directly rather than value by value; checked again below.
        let mut start = st.lo[h];
        for k in 0..st.var.len() {
            let a = st.a[k][h];
            if a > 0.0 {
                let room = st.bounds[k] * (1.0 + 1e-9) - st.var[k] - st.rest_var[k][h + 1];
                if room <= 0.0 {
                    return true;
                }
                let need = (a / room * (1.0 - 1e-12)).ceil();
                if need > st.hi[h] as f64 {
                    return true;
                }
                start = start.max(need as u64);
            }
        }
        for v in start..=st.hi[h] {
            if v > start {
                if st.visited >= st.nodes {
                    return false;
                }
                st.visited += 1;
            }
            let c = cost + st.costs[h] * v as f64;
            if c + st.rest_cost[h + 1] >= st.best_cost - 1e-9 {
                break;
            }
            let mut feasible = true;
            for k in 0..st.var.len() {
                let add = if st.a[k][h] > 0.0 {
                    st.a[k][h] / v.max(1) as f64
                } else {
                    0.0
                };
                if st.var[k] + add + st.rest_var[k][h + 1] > st.bounds[k] * (1.0 + 1e-9) {
                    feasible = false;
                    break;
                }
            }
            if !feasible {
                continue;
            }
            for k in 0..st.var.len() {
                if st.a[k][h] > 0.0 {
                    st.var[k] += st.a[k][h] / v.max(1) as f64;
                }
            }
            st.cur[h] = v;
            let ok = go(h + 1, c, st);
            for k in 0..st.var.len() {
                if st.a[k][h] > 0.0 {
                    st.var[k] -= st.a[k][h] / v.max(1) as f64;
                }
            }
            st.cur[h] = st.lo[h];
            if !ok {
                return false;
            }
        }
        true
    }
    struct State<'s> {
        lo: &'s [u64],
        hi: &'s [u64],
        costs: &'s [f64],
        reqs: &'s [&'s Requirement],
        pops: &'s [u64],
        a: &'s [Vec<f64>],
        bounds: &'s [f64],
        rest_cost: &'s [f64],
        rest_var: &'s [Vec<f64>],
        cur: &'s mut [u64],
        var: &'s mut [f64],
        best: &'s mut [u64],
        best_cost: f64,
        visited: u64,
        nodes: u64,
    }
    let mut st = State {
        lo,
        hi,
        costs,
        reqs,
        pops,
        a: &a,
        bounds: &bounds,
        rest_cost: &rest_cost,
        rest_var: &rest_var,
        cur: &mut cur,
        var: &mut var,
        best: &mut best,
        best_cost,
        visited: 0,
        nodes,
    };
    let done = go(0, 0.0, &mut st);
    (best, done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::{
        allocate, AllocationMethod, AllocationSpec, AllocationTarget, StratumSpec,
    };
    use crate::dist::z_two_sided;
    use proptest::prelude::*;

    fn whole(pops: &[u64], props: &[f64]) -> Vec<DomainCell> {
        pops.iter()
            .zip(props)
            .enumerate()
            .map(|(h, (&n, &p))| DomainCell {
                stratum: h,
                population: n,
                domain: n,
                proportion: p,
            })
            .collect()
    }

    fn requirement(
        purpose: usize,
        terms: Vec<(usize, f64)>,
        margin: f64,
        conf: f64,
    ) -> Requirement {
        Requirement {
            purpose,
            group: None,
            terms,
            z: z_two_sided(conf),
            margin,
            response: 1.0,
        }
    }

    fn joint(pops: &[u64], costs: &[f64], lo: u64, reqs: Vec<Requirement>) -> JointAllocation {
        joint_allocate(&JointSpec {
            populations: pops.to_vec(),
            costs: costs.to_vec(),
            lo: pops.iter().map(|&n| lo.min(n)).collect(),
            hi: pops.to_vec(),
            requirements: reqs,
            search_nodes: 5_000_000,
        })
    }

    /// Every integer allocation within the bounds, the cheapest that meets every
    /// requirement (brute force).
    fn brute(pops: &[u64], costs: &[f64], lo: u64, reqs: &[Requirement]) -> Option<f64> {
        let mut c: Vec<u64> = pops.iter().map(|&n| lo.min(n)).collect();
        let mut best: Option<f64> = None;
        loop {
            if reqs.iter().all(|r| r.met(&c, pops)) {
                let cost: f64 = c.iter().zip(costs).map(|(&n, &k)| n as f64 * k).sum();
                if best.is_none_or(|b| cost < b) {
                    best = Some(cost);
                }
            }
            let mut h = 0;
            loop {
                if h == c.len() {
                    return best;
                }
                if c[h] < pops[h] {
                    c[h] += 1;
                    break;
                }
                c[h] = lo.min(pops[h]);
                h += 1;
            }
        }
    }

    #[test]
    fn the_whole_population_gives_cochrans_stratified_variance_term_for_term() {
        let pops = [400u64, 250, 90, 1];
        let props = [0.7, 0.5, 0.9, 0.2];
        let terms = domain_share_terms(&whole(&pops, &props));
        let strata: Vec<StratumSpec> = pops
            .iter()
            .zip(&props)
            .map(|(&n, &p)| StratumSpec {
                name: format!("{n}"),
                population: n,
                proportion: p,
                cost: 1.0,
            })
            .collect();
        let r = requirement(0, terms, 0.05, 0.95);
        let counts = [40u64, 30, 9, 1];
        assert_eq!(
            r.margin_at(&counts, &pops),
            crate::allocate::stratified_margin(&strata, &counts, r.z)
        );
    }

    #[test]
    fn a_domain_in_part_of_a_stratum_matches_a_hand_computation() {
        // Two strata: N = 100 (40 in the domain, p = 0.5) and N = 50 (all, p = 0.8).
        // N_d = 90, p_d = (20 + 40)/90 = 2/3.
        let cells = [
            DomainCell {
                stratum: 0,
                population: 100,
                domain: 40,
                proportion: 0.5,
            },
            DomainCell {
                stratum: 1,
                population: 50,
                domain: 50,
                proportion: 0.8,
            },
        ];
        let t = domain_share_terms(&cells);
        let pd = 2.0 / 3.0;
        let s0 = 100.0 / 99.0 * (0.4 * 0.25 + 0.4 * 0.6 * (0.5 - pd) * (0.5 - pd));
        let s1 = 50.0 / 49.0 * 0.16;
        assert!((t[0].1 - (100.0f64 / 90.0).powi(2) * s0).abs() < 1e-15);
        assert!((t[1].1 - (50.0f64 / 90.0).powi(2) * s1).abs() < 1e-15);
    }

    #[test]
    fn the_continuous_optimum_matches_an_independent_solver() {
        // crates/design/tests/bethel.py solves the same problem with scipy's SLSQP
        // (printed there): three strata, costs 1, 2, 1.5, two requirements.
        let costs = [1.0, 2.0, 1.5];
        let lo = [1.0, 1.0, 1.0];
        let hi = [500.0, 300.0, 200.0];
        let reqs = vec![
            vec![(0, 0.09), (1, 0.04), (2, 0.01)],
            vec![(1, 0.02), (2, 0.06)],
        ];
        let bounds = [0.001, 0.0015];
        let (x, lambda) = bethel(&costs, &lo, &hi, &reqs, &bounds);
        let scipy = [211.59516052533255, 99.7469148578431, 57.58890788663378];
        for (a, b) in x.iter().zip(scipy) {
            assert!((a - b).abs() < 1e-6 * b.max(1.0), "{x:?} vs {scipy:?}");
        }
        // The first requirement binds; the second holds with room (0.00124 < 0.0015).
        assert!(lambda[0] > 0.0 && lambda[1] == 0.0, "{lambda:?}");
    }

    /// The domain variance is the variance of the estimate as drawn: 20,000 stratified
    /// simple random samples of a population whose domain cuts across three strata
    /// (30 %, 60 %, 90 % of each), at shares 0.1/0.5/0.9, near 0.02 and near 0.98: the empirical variance
    /// of the ratio estimator p̂_d is within 6 % of Σ A_h(1/n_h − 1/N_h), and the normal
    /// interval p̂_d ± z·√V covers p_d about 95 % of the time where n is large enough.
    #[test]
    fn the_domain_variance_is_the_variance_of_the_estimate_as_drawn() {
        for (props, check_cover) in [
            ([0.1, 0.5, 0.9], true),
            ([0.02, 0.03, 0.015], false),
            ([0.98, 0.97, 0.985], false),
        ] {
            let pops = [600u64, 900, 400];
            let share = [0.3, 0.6, 0.9];
            let n = [120u64, 150, 90];
            // The population: in stratum h, the first ⌊P·N⌋ records are in the domain, and
            // the first ⌊p·N_dh⌋ of those have y = 1.
            let mut cells = Vec::new();
            let mut units: Vec<Vec<(bool, bool)>> = Vec::new();
            for h in 0..3 {
                let nd = (share[h] * pops[h] as f64) as u64;
                let ones = (props[h] * nd as f64).round() as u64;
                cells.push(DomainCell {
                    stratum: h,
                    population: pops[h],
                    domain: nd,
                    proportion: ones as f64 / nd as f64,
                });
                units.push((0..pops[h]).map(|i| (i < nd, i < ones)).collect());
            }
            let nd: f64 = cells.iter().map(|c| c.domain as f64).sum();
            let truth: f64 = cells
                .iter()
                .map(|c| c.domain as f64 * c.proportion)
                .sum::<f64>()
                / nd;
            let terms = domain_share_terms(&cells);
            let v: f64 = terms
                .iter()
                .map(|&(h, a)| a * (1.0 / n[h] as f64 - 1.0 / pops[h] as f64))
                .sum();
            let mut u = crate::dist::splitmix(20_261_125);
            let runs = 20_000;
            let (mut sum, mut sum2, mut covered) = (0.0, 0.0, 0u32);
            let z = z_two_sided(0.95);
            for _ in 0..runs {
                let (mut num, mut den) = (0.0, 0.0);
                for h in 0..3 {
                    let pool = &mut units[h];
                    let len = pool.len();
                    // Partial Fisher–Yates: the first n_h are a simple random sample.
                    for i in 0..n[h] as usize {
                        let j = i + (u() * (len - i) as f64) as usize;
                        pool.swap(i, j.min(len - 1));
                    }
                    let w = pops[h] as f64 / n[h] as f64;
                    for &(d, y) in &pool[..n[h] as usize] {
                        if d {
                            den += w;
                            if y {
                                num += w;
                            }
                        }
                    }
                }
                let est = num / den;
                sum += est;
                sum2 += est * est;
                if (est - truth).abs() <= z * v.sqrt() {
                    covered += 1;
                }
            }
            let mean = sum / runs as f64;
            let var = sum2 / runs as f64 - mean * mean;
            assert!(
                (var / v - 1.0).abs() < 0.06,
                "{props:?}: simulated {var} vs formula {v}"
            );
            if check_cover {
                let c = covered as f64 / runs as f64;
                assert!((0.94..=0.96).contains(&c), "coverage {c}");
            }
        }
    }

    /// The binding purposes are named by removal, checked by brute force on 100 random
    /// designs (2–6 strata of 20–400 records, 1–4 purposes over random domains, overall or
    /// per stratum, some unreachable): in each stratum the named requirements are exactly
    /// those met by the allocation that fail when that stratum has one record fewer, with the
    /// margin recomputed here from the variance terms; a stratum taken whole because a
    /// requirement cannot be met names that requirement; `binding` agrees.
    #[test]
    fn the_binding_purpose_is_the_one_that_fails_with_one_record_fewer() {
        let margin_of = |r: &Requirement, c: &[u64], pops: &[u64]| -> Option<f64> {
            let mut v = 0.0;
            for &(h, a) in &r.terms {
                if c[h] == 0 {
                    return None;
                }
                v += a * (1.0 / (r.response * c[h] as f64) - 1.0 / pops[h] as f64);
            }
            Some(r.z * v.max(0.0).sqrt())
        };
        let holds = |r: &Requirement, c: &[u64], pops: &[u64]| {
            margin_of(r, c, pops).is_some_and(|m| m <= r.margin)
        };
        let mut named = 0;
        let mut whole_named = 0;
        for seed in 0..100u64 {
            let mut s = crate::dist::splitmix(0xB1D + seed);
            let mut u = || -> f64 { s() };
            let h = 2 + (u() * 5.0) as usize;
            let pops: Vec<u64> = (0..h).map(|_| 20 + (u() * 380.0) as u64).collect();
            let costs: Vec<f64> = (0..h)
                .map(|_| {
                    if seed % 2 == 0 {
                        1.0
                    } else {
                        1.0 + (u() * 3.0).floor()
                    }
                })
                .collect();
            let mut reqs = Vec::new();
            for purpose in 0..1 + (u() * 4.0) as usize {
                let cells: Vec<DomainCell> = (0..h)
                    .map(|i| DomainCell {
                        stratum: i,
                        population: pops[i],
                        domain: (pops[i] as f64 * (0.2 + 0.8 * u())).round() as u64,
                        proportion: 0.05 + 0.9 * u(),
                    })
                    .collect();
                let margin = 0.02 + 0.12 * u();
                if u() < 0.3 {
                    for c in cells.iter().filter(|c| c.domain > 0) {
                        let t = domain_share_terms(&[*c]);
                        if !t.is_empty() {
                            reqs.push(requirement(purpose, t, margin, 0.95));
                        }
                    }
                } else {
                    let t = domain_share_terms(&cells);
                    if !t.is_empty() {
                        reqs.push(requirement(purpose, t, margin, 0.95));
                    }
                }
            }
            let j = joint_allocate(&JointSpec {
                populations: pops.clone(),
                costs,
                lo: vec![0; h],
                hi: pops.clone(),
                requirements: reqs.clone(),
                search_nodes: 200_000,
            });
            for stratum in 0..h {
                let mut fewer = j.counts.clone();
                let mut expect: Vec<usize> = Vec::new();
                for (k, r) in reqs.iter().enumerate() {
                    let on = r.terms.iter().any(|t| t.0 == stratum);
                    if !holds(r, &pops, &pops) {
                        if on && j.counts[stratum] == pops[stratum] {
                            expect.push(k);
                        }
                    } else if j.counts[stratum] > 0 && holds(r, &j.counts, &pops) {
                        fewer[stratum] = j.counts[stratum] - 1;
                        if !holds(r, &fewer, &pops) {
                            expect.push(k);
                        }
                        fewer[stratum] = j.counts[stratum];
                    }
                }
                assert_eq!(
                    j.binding_requirements[stratum], expect,
                    "seed {seed}, stratum {stratum}: counts {:?}",
                    j.counts
                );
                match j.binding[stratum] {
                    Some(JointBinding::Requirement(k)) => assert_eq!(expect.first(), Some(&k)),
                    None => assert!(expect.is_empty(), "seed {seed}: {stratum} unnamed"),
                    _ => {}
                }
                named += usize::from(!expect.is_empty());
                whole_named +=
                    usize::from(!expect.is_empty() && j.counts[stratum] == pops[stratum]);
            }
        }
        // The designs exercise both: strata bound by a purpose, and strata taken whole.
        assert!(
            named > 100 && whole_named > 5,
            "{named} named, {whole_named} whole"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The KKT conditions hold at the continuous optimum: feasible, multipliers ≥ 0,
        /// a positive multiplier only on a requirement met with equality, and x_h the
        /// clamped stationary point — for a convex problem, proof of optimality.
        #[test]
        fn the_continuous_optimum_satisfies_kkt(
            h in 2usize..7,
            seed in any::<u64>(),
            k in 1usize..4,
        ) {
            let mut s = crate::dist::splitmix(seed);
            let mut u = || -> f64 { s() };
            let costs: Vec<f64> = (0..h).map(|_| 0.5 + 3.0 * u()).collect();
            let hi: Vec<f64> = (0..h).map(|_| (20.0 + 500.0 * u()).floor()).collect();
            let lo = vec![1.0; h];
            let mut reqs = Vec::new();
            let mut bounds = Vec::new();
            for _ in 0..k {
                let mut terms: Vec<(usize, f64)> = Vec::new();
                for j in 0..h {
                    if u() < 0.7 {
                        terms.push((j, 0.01 + u()));
                    }
                }
                if terms.is_empty() { continue; }
                let at_hi: f64 = terms.iter().map(|&(j, a)| a / hi[j]).sum();
                let at_lo: f64 = terms.iter().map(|&(j, a)| a / lo[j]).sum();
                bounds.push(at_hi + (at_lo - at_hi) * (0.01 + 0.5 * u()));
                reqs.push(terms);
            }
            let (x, lambda) = bethel(&costs, &lo, &hi, &reqs, &bounds);
            for (j, t) in reqs.iter().enumerate() {
                let g: f64 = t.iter().map(|&(i, a)| a / x[i]).sum();
                prop_assert!(g <= bounds[j] * (1.0 + 1e-9), "infeasible {g} > {}", bounds[j]);
                prop_assert!(lambda[j] >= 0.0);
                if lambda[j] > 0.0 {
                    prop_assert!(g >= bounds[j] * (1.0 - 1e-7), "slack {g} < {} with λ {}", bounds[j], lambda[j]);
                }
            }
            let primal: f64 = x.iter().zip(&costs).map(|(a, b)| a * b).sum();
            let dual = bethel_dual(&costs, &lo, &hi, &reqs, &bounds, &lambda);
            prop_assert!(dual <= primal * (1.0 + 1e-9) && dual >= primal * (1.0 - 1e-7), "dual {dual} primal {primal}");
            for i in 0..h {
                let s: f64 = reqs.iter().zip(&lambda).map(|(t, l)| t.iter().filter(|x| x.0 == i).map(|x| l * x.1).sum::<f64>()).sum();
                let free = (s / costs[i]).sqrt();
                prop_assert!((x[i] - free.clamp(lo[i], hi[i])).abs() <= 1e-9 * x[i]);
            }
        }

        /// One requirement over the whole population is `--allocation neyman` for a margin,
        /// record for record.
        #[test]
        fn one_overall_purpose_is_todays_neyman_plan(
            pops in proptest::collection::vec(1u64..3000, 1..8),
            props in proptest::collection::vec(0.0f64..1.0, 8),
            e in 0.02f64..0.2,
        ) {
            let props = &props[..pops.len()];
            let r = requirement(0, domain_share_terms(&whole(&pops, props)), e, 0.95);
            let j = joint(&pops, &vec![1.0; pops.len()], 2, vec![r]);
            let strata: Vec<StratumSpec> = pops.iter().zip(props).enumerate().map(|(i, (&n, &p))| StratumSpec { name: i.to_string(), population: n, proportion: p, cost: 1.0 }).collect();
            let a = allocate(&AllocationSpec { strata, target: AllocationTarget::Margin(e), method: AllocationMethod::Neyman, confidence: 0.95, min: None, max: None }).unwrap();
            let today: Vec<u64> = a.strata.iter().map(|s| s.n).collect();
            prop_assert_eq!(j.counts, today);
            prop_assert!(j.proved_optimal);
        }

        /// A requirement on each stratum alone is `--allocation domain`.
        #[test]
        fn one_purpose_per_stratum_is_todays_domain_plan(
            pops in proptest::collection::vec(1u64..3000, 1..8),
            props in proptest::collection::vec(0.0f64..1.0, 8),
            e in 0.02f64..0.2,
        ) {
            let props = &props[..pops.len()];
            let reqs: Vec<Requirement> = whole(&pops, props).into_iter().map(|c| requirement(0, domain_share_terms(&[c]), e, 0.95)).collect();
            let j = joint(&pops, &vec![1.0; pops.len()], 2, reqs);
            let strata: Vec<StratumSpec> = pops.iter().zip(props).enumerate().map(|(i, (&n, &p))| StratumSpec { name: i.to_string(), population: n, proportion: p, cost: 1.0 }).collect();
            let a = allocate(&AllocationSpec { strata, target: AllocationTarget::Margin(e), method: AllocationMethod::Domain, confidence: 0.95, min: None, max: None }).unwrap();
            let today: Vec<u64> = a.strata.iter().map(|s| s.n).collect();
            prop_assert_eq!(j.counts, today);
        }

        /// On tiny designs (2–4 strata of up to 9 records, 1–4 purposes over random domains,
        /// costs 1–3): every purpose is met, removing a record breaks one, and no allocation
        /// costs less (brute force over every allocation).
        #[test]
        fn the_integer_allocation_is_the_cheapest_that_meets_every_purpose(
            seed in any::<u64>(),
            h in 2usize..7,
            k in 1usize..5,
            unit in any::<bool>(),
        ) {
            let mut s = crate::dist::splitmix(seed);
            let mut u = || -> f64 { s() };
            // Up to 9 records per stratum for 2–4 strata, 5 for 5–6 (brute force stays small).
            let top = if h > 4 { 4.0 } else { 8.0 };
            let pops: Vec<u64> = (0..h).map(|_| 2 + (u() * top) as u64).collect();
            let costs: Vec<f64> = (0..h).map(|_| if unit { 1.0 } else { 1.0 + (u() * 3.0).floor() }).collect();
            let mut reqs = Vec::new();
            for purpose in 0..k {
                let cells: Vec<DomainCell> = (0..h).map(|i| DomainCell { stratum: i, population: pops[i], domain: (pops[i] as f64 * u()).round() as u64, proportion: 0.05 + 0.9 * u() }).collect();
                let terms = domain_share_terms(&cells);
                if terms.is_empty() { continue; }
                let level = u();
                let margin = 0.08 + 0.3 * u();
                let response = if u() < 0.5 { 1.0 } else { 0.6 + 0.4 * u() };
                if level < 0.3 {
                    // One requirement per stratum of the domain.
                    for c in cells.iter().filter(|c| c.domain > 0) {
                        let t = domain_share_terms(&[*c]);
                        if !t.is_empty() {
                            reqs.push(Requirement { response, ..requirement(purpose, t, margin, 0.9) });
                        }
                    }
                } else {
                    reqs.push(Requirement { response, ..requirement(purpose, terms, margin, 0.9) });
                }
            }
            let j = joint(&pops, &costs, 0, reqs.clone());
            prop_assert!(j.proved_optimal);
            let reachable: Vec<Requirement> = reqs.iter().zip(&j.unreachable).filter(|(_, &u)| !u).map(|(r, _)| r.clone()).collect();
            for r in &reachable { prop_assert!(r.met(&j.counts, &pops)); }
            prop_assert!(j.locally_minimal);
            if j.unreachable.iter().all(|&u| !u) {
                let b = brute(&pops, &costs, 0, &reqs).unwrap();
                prop_assert!((j.cost - b).abs() < 1e-9, "joint {} ({:?}) vs brute force {}", j.cost, j.counts, b);
            }
            prop_assert!(j.cost >= j.lower_bound - 1e-6);
        }

        /// Burden-optimal (cost = pages per record) never asks for more pages than the
        /// records-optimal allocation of the same purposes.
        #[test]
        fn costing_by_pages_never_costs_more_pages(
            seed in any::<u64>(),
            h in 2usize..5,
        ) {
            let mut s = crate::dist::splitmix(seed);
            let mut u = || -> f64 { s() };
            let pops: Vec<u64> = (0..h).map(|_| 3 + (u() * 7.0) as u64).collect();
            let pages: Vec<f64> = (0..h).map(|_| 1.0 + (u() * 40.0).floor()).collect();
            let cells: Vec<DomainCell> = (0..h).map(|i| DomainCell { stratum: i, population: pops[i], domain: pops[i], proportion: 0.1 + 0.8 * u() }).collect();
            let a = requirement(0, domain_share_terms(&cells), 0.15 + 0.1 * u(), 0.9);
            let sub: Vec<DomainCell> = cells.iter().map(|c| DomainCell { domain: (c.domain as f64 * u()).round() as u64, ..*c }).collect();
            let mut reqs = vec![a];
            let t = domain_share_terms(&sub);
            if !t.is_empty() { reqs.push(requirement(1, t, 0.3, 0.9)); }
            let by_pages = joint(&pops, &pages, 0, reqs.clone());
            let by_records = joint(&pops, &vec![1.0; h], 0, reqs);
            let pages_of = |c: &[u64]| c.iter().zip(&pages).map(|(&n, p)| n as f64 * p).sum::<f64>();
            prop_assert!(pages_of(&by_pages.counts) <= pages_of(&by_records.counts) + 1e-9);
            prop_assert!(by_records.counts.iter().sum::<u64>() <= by_pages.counts.iter().sum::<u64>());
        }
    }
}
