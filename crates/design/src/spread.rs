//! A proven upper bound on the risk of a two-stage attribute plan drawn stratified, at its
//! worst over every spread of the deviating records across the strata, when the spreads are
//! too many to compute one by one ([`crate::stratified_worst_risk`] does that up to
//! [`crate::SPREAD_BUDGET`]).
//!
//! The problem: strata h = 1…k hold Nₕ records, of which n₁ₕ go to stage 1 and n₂ₕ to
//! stage 2; D records deviate, Dₕ of them in stratum h (0 ≤ Dₕ ≤ min(Nₕ, D), Σ Dₕ = D).
//! Per stratum Yₕ(Dₕ) = (X₁ₕ, X₁ₕ + X₂ₕ) is the pair of hypergeometric counts of
//! [`crate::stratified_accept_probability`]; the plan accepts when Σ Yₕ lies in the
//! acceptance set A = {x₁ ≤ a₁} ∪ {x₁ < r₁, t ≤ a₂} (with a second stage). We want
//! M = max over spreads of P(Σ Yₕ ∈ A).
//!
//! Dynamic programming over the strata with the maximum taken inside the expectation: with
//! y a partial sum of counts (on the grid the exact law keeps, larger totals pooled),
//!
//! Fₖ₊₁(0)(y) = 1[y ∈ A],
//! Fₕ(u)(y) = max over Dₕ of E[Fₕ₊₁(u − Dₕ)(y + Yₕ(Dₕ))],
//!
//! and the bound is F₁(D)(0). By induction Fₕ(u)(y) ≥ P(y + Σ_{i≥h} Yᵢ ∈ A) for every spread
//! of u over strata h…k: for a spread (Dₕ, s′), P(y + Yₕ + Σ_{s′} ∈ A) =
//! E[P(y + Yₕ + Σ_{s′} ∈ A | Yₕ)] ≤ E[Fₕ₊₁(u − Dₕ)(y + Yₕ)] ≤ Fₕ(u)(y). So F₁(D)(0) ≥ M
//! (a relaxation: the spread of the later strata may depend on what the earlier ones
//! found); it equals M when one spread of the later strata is best for every such y, and it
//! is never below [`crate::stratified_worst_risk`]'s value.
//!
//! Two monotonicities prune the maximum over Dₕ without changing it. A is a down-set
//! (fewer deviations found never turn acceptance into rejection) and Yₕ(d) grows
//! stochastically with d (marking one more record deviating can only raise both counts, a
//! coupling), so Fₕ₊₁(u)(y) falls as u or y grows. Hence for a block a ≤ Dₕ ≤ b every term
//! is at most min(Fₕ₊₁(u − b)(y), πₕ(a)(y)) with πₕ(d)(y) = P(y + Yₕ(d) ∈ A), and at most
//! E[Fₕ₊₁(u − b)(y + Yₕ(a))]: blocks are tried in falling order of the first ceiling, a
//! block is skipped when either ceiling is no higher than the best term found, and only
//! the others have their terms computed.
//!
//! The tables bound every spread from above. The branch and bound ([`worst_spread_proven`])
//! then fixes D₁, D₂, … in turn: a branch's bound is the exact law of the strata fixed so
//! far against the tables of the rest, Σ_y P(Σ_{i<h} Yᵢ = y)·Fₕ(u)(y), and a branch whose
//! bound is no higher than the best complete spread found is cut. When it finishes, the best
//! spread's risk is the maximum over every spread.
//!
//! Exact arithmetic is done by no one here: the laws are the floating-point hypergeometric
//! probabilities of [`crate::dist::hypergeometric_pmf`] (relative error near 10⁻¹⁵), which
//! the comparison with 1 − C absorbs ([`crate::dist::within_risk`]).
//!
//! Written for urval: the bound follows the standard dynamic-programming relaxation of a
//! resource allocation over independent stages (Bellman 1957, ch. 1; the exchange of max
//! and expectation as in Bertsekas, *Dynamic Programming and Optimal Control*, 4th ed.,
//! §1.2); no published routine computes this risk.

use crate::staged::{accepts, spread_counts, Law, TwoStage};
use crate::WorstSpread;
use serde::Serialize;

/// A bound of the work the search may do (law entries visited, about a nanosecond each).
/// Past it [`worst_spread_proven`] returns `None` (the tables) or an upper bound with
/// `exact: false` (the branch and bound) rather than run for minutes.
pub const BOUND_WORK_BUDGET: u64 = 300_000_000;

/// The width of the blocks of Dₕ whose ceiling is tried before their terms.
const BLOCK: u64 = 16;

/// The largest tables the dynamic programme keeps (values of Fₕ(u)(y), 8 bytes each).
const TABLE_CELLS: usize = 20_000_000;

/// The worst spread of the deviating records, found by branch and bound
/// ([`worst_spread_proven`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvenSpread {
    /// The largest P(accept) found (a spread's exact risk).
    pub risk: f64,
    /// A proven upper bound on P(accept) over every spread: equal to `risk` when `exact`.
    pub bound: f64,
    /// The spread Dₕ that gives `risk`.
    pub marked: Vec<u64>,
    /// True when the search finished: `risk` is the maximum over every spread.
    pub exact: bool,
}

/// P(accept) of a two-stage plan drawn stratified at its worst over every spread of
/// `deviating` records across the strata, by branch and bound with the bounds of the
/// module documentation, from a known spread (`start`, e.g. the local search of
/// [`crate::stratified_worst_risk`]). `None` when the bounding tables alone exceed `budget`
/// ([`BOUND_WORK_BUDGET`]); when the branch and bound does, the largest bound of the
/// branches left is returned as `bound`, with `exact: false`.
///
/// Strata with no record in either stage are filled first (deviations there are never
/// seen, and P(accept) only falls as the others hold more). Strata with the same Nₕ, n₁ₕ
/// and n₂ₕ are interchangeable, so only spreads with non-increasing Dₕ among them are
/// searched.
pub fn worst_spread_proven(
    plan: &TwoStage,
    populations: &[u64],
    deviating: u64,
    first: &[u64],
    second: &[u64],
    start: &WorstSpread,
    budget: u64,
) -> Option<ProvenSpread> {
    let k_all = populations.len();
    let total_cap: u64 = populations.iter().map(|&n| n.min(deviating)).sum();
    let d_all = deviating.min(total_cap);
    // Unseen strata first.
    let mut marked = vec![0u64; k_all];
    let mut left = d_all;
    for h in 0..k_all {
        if first[h] + second[h] == 0 {
            marked[h] = populations[h].min(left);
            left -= marked[h];
        }
    }
    let mut order: Vec<usize> = (0..k_all).filter(|&h| first[h] + second[h] > 0).collect();
    order.sort_by_key(|&h| (populations[h], first[h], second[h]));
    let pops: Vec<u64> = order.iter().map(|&h| populations[h]).collect();
    let f: Vec<u64> = order.iter().map(|&h| first[h]).collect();
    let s: Vec<u64> = order.iter().map(|&h| second[h]).collect();
    let mut work = 0u64;
    let t = Tables::new(plan, &pops, left, &f, &s, budget, &mut work)?;
    let mut search = Search {
        t: &t,
        best: start.risk.max(0.0),
        best_spread: None,
        open: 0.0,
        work,
        budget,
        exhausted: false,
        cur: vec![0; order.len()],
    };
    let mut root = vec![0.0; t.grid.cells()];
    root[0] = 1.0;
    if order.is_empty() {
        search.best = search.best.max(if t.grid.accept[0] { 1.0 } else { 0.0 });
        search.best_spread = Some(Vec::new());
    } else {
        search.node(0, &root, left, u64::MAX);
    }
    let exact = !search.exhausted;
    let (risk, spread) = match search.best_spread {
        Some(found) => {
            for (i, &h) in order.iter().enumerate() {
                marked[h] = found[i];
            }
            (search.best, marked)
        }
        None => (start.risk, start.marked.clone()),
    };
    let bound = if exact { risk } else { risk.max(search.open) };
    Some(ProvenSpread {
        risk,
        bound: bound.min(1.0),
        marked: spread,
        exact,
    })
}

/// How the stratified risk of a plan was found ([`stratified_risk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpreadMethod {
    /// Every spread computed: the exact maximum.
    EverySpread,
    /// Branch and bound over every spread, finished: the exact maximum.
    BranchAndBound,
    /// A proven upper bound on the maximum: the branch and bound's when it did not finish,
    /// or [`stratified_risk_chernoff`]'s when its tables are past the work budget.
    UpperBound,
    /// One spread's risk, already above 1 − C: the plan fails whatever the maximum is.
    SpreadAboveRisk,
    /// The largest risk a local search found, within 1 − C, with no proof within the work
    /// budget: a lower bound on the maximum.
    LocalSearch,
    /// The plan accepts only when stage 1 finds no deviation, and the spread that fills
    /// the strata greedily is the worst ([`worst_spread_none_found`]): the exact maximum.
    NoneFound,
}

/// The stratified risk of a plan as the planner uses it ([`stratified_risk`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratifiedRisk {
    /// The risk to compare with 1 − C (see `method`).
    pub risk: f64,
    /// How `risk` was found.
    pub method: SpreadMethod,
    /// The worst spread found.
    pub marked: Vec<u64>,
}

/// The stratified risk of a two-stage plan at its worst spread, to compare with α = 1 − C:
/// every spread when there are at most [`crate::SPREAD_BUDGET`]; otherwise the local
/// search, and when its value is within α the branch and bound of
/// [`worst_spread_proven`] (exact when it finishes, a proven upper bound when it does not).
/// A spread found above α needs no proof: that spread is real.
pub fn stratified_risk(
    plan: &TwoStage,
    populations: &[u64],
    deviating: u64,
    first: &[u64],
    second: &[u64],
    alpha: f64,
) -> StratifiedRisk {
    if accepts_only_none(plan) {
        let caps: Vec<u64> = populations.iter().map(|&n| n.min(deviating)).collect();
        let d = deviating.min(caps.iter().sum());
        if spread_counts(&caps, d, crate::SPREAD_BUDGET, false)[0][d as usize]
            > crate::SPREAD_BUDGET
        {
            let marked = worst_spread_none_found(populations, d, first);
            return StratifiedRisk {
                risk: crate::stratified_accept_probability(
                    plan,
                    populations,
                    &marked,
                    first,
                    second,
                ),
                method: SpreadMethod::NoneFound,
                marked,
            };
        }
    }
    let found = crate::stratified_worst_risk(
        plan,
        populations,
        deviating,
        first,
        second,
        crate::SPREAD_BUDGET,
    );
    if found.exhaustive {
        return StratifiedRisk {
            risk: found.risk,
            method: SpreadMethod::EverySpread,
            marked: found.marked,
        };
    }
    if !crate::dist::within_risk(found.risk, alpha) {
        return StratifiedRisk {
            risk: found.risk,
            method: SpreadMethod::SpreadAboveRisk,
            marked: found.marked,
        };
    }
    match worst_spread_proven(
        plan,
        populations,
        deviating,
        first,
        second,
        &found,
        BOUND_WORK_BUDGET,
    ) {
        Some(p) if p.exact => StratifiedRisk {
            risk: p.risk,
            method: SpreadMethod::BranchAndBound,
            marked: p.marked,
        },
        Some(p) => StratifiedRisk {
            risk: p.bound,
            method: SpreadMethod::UpperBound,
            marked: p.marked,
        },
        None => {
            let bound = stratified_risk_chernoff(plan, populations, deviating, first);
            if crate::dist::within_risk(bound, alpha) {
                StratifiedRisk {
                    risk: bound,
                    method: SpreadMethod::UpperBound,
                    marked: found.marked,
                }
            } else {
                StratifiedRisk {
                    risk: found.risk,
                    method: SpreadMethod::LocalSearch,
                    marked: found.marked,
                }
            }
        }
    }
}

/// Whether the plan accepts only when stage 1 finds no deviating record: a₁ = 0, and no
/// second stage can follow a first-stage count of one or more (r₁ ≤ 1 or n₂ = 0).
fn accepts_only_none(plan: &TwoStage) -> bool {
    plan.accept1 == 0 && (plan.n2 == 0 || plan.reject1 <= 1)
}

/// The spread of `deviating` records over the strata at which a plan that accepts only
/// when stage 1 finds none ([`accepts_only_none`]) accepts most often: the exact maximum
/// over every spread, for any number of strata and records.
///
/// P(accept) = Πₕ P(X₁ₕ = 0) with P(X₁ₕ = 0) = C(Nₕ − Dₕ, n₁ₕ) / C(Nₕ, n₁ₕ) (the
/// hypergeometric probability of drawing none of the Dₕ deviating records). Its logarithm is
/// separable over the strata, and each term is concave in Dₕ: one more deviating record
/// adds ln((Nₕ − Dₕ − n₁ₕ)/(Nₕ − Dₕ)), which falls as Dₕ grows (−∞ once no record that
/// does not deviate is left to draw). A separable concave objective under Σ Dₕ = D and
/// 0 ≤ Dₕ ≤ Nₕ is maximised by giving the records one at a time to the stratum whose term
/// grows most (Ibaraki & Katoh 1988, *Resource Allocation Problems*, MIT Press, §4.1, the
/// incremental algorithm); ties go to the first stratum. Strata with no record drawn add
/// nothing and fill first.
pub fn worst_spread_none_found(populations: &[u64], deviating: u64, first: &[u64]) -> Vec<u64> {
    use std::cmp::{Ordering, Reverse};
    use std::collections::BinaryHeap;
    /// A stratum's next gain, ordered by gain then by the lower stratum index.
    struct Next(f64, Reverse<usize>);
    impl PartialEq for Next {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for Next {}
    impl PartialOrd for Next {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Next {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
        }
    }
    let gain = |h: usize, dh: u64| -> f64 {
        let (big, n) = (populations[h], first[h]);
        if n == 0 {
            return 0.0;
        }
        let free = big - dh; // records not yet marked deviating
        if free <= n {
            return f64::NEG_INFINITY;
        }
        ((free - n) as f64 / free as f64).ln()
    };
    let mut marked = vec![0u64; populations.len()];
    let mut heap: BinaryHeap<Next> = (0..populations.len())
        .filter(|&h| populations[h] > 0)
        .map(|h| Next(gain(h, 0), Reverse(h)))
        .collect();
    let mut left = deviating;
    while left > 0 {
        let Some(Next(_, Reverse(h))) = heap.pop() else {
            break;
        };
        marked[h] += 1;
        left -= 1;
        if marked[h] < populations[h] {
            heap.push(Next(gain(h, marked[h]), Reverse(h)));
        }
    }
    marked
}

/// A proven upper bound on P(accept) over every spread that costs one pass over the strata,
/// for designs whose bounding tables are past the work budget (many strata and many
/// deviating records).
///
/// Acceptance needs few deviations in stage 1: X₁ ≤ c with c = r₁ − 1 when a second stage
/// can follow, else a₁ (an accepted outcome has X₁ ≤ a₁ or X₁ < r₁). By the Chernoff bound
/// (Chernoff 1952), for every θ > 0, P(X₁ ≤ c) ≤ e^{θc} · Πₕ E[e^{−θX₁ₕ}]. X₁ₕ ~
/// Hypergeometric(Nₕ, Dₕ, n₁ₕ) is also the number of the Dₕ deviating records that fall
/// among the n₁ₕ drawn, and for a convex function (e^{−θx}) sampling without replacement
/// is dominated by sampling with replacement (Hoeffding 1963, *J. Amer. Statist. Assoc.*
/// 58, Theorem 4), so E[e^{−θX₁ₕ}] ≤ qₕ(θ)^{Dₕ} with qₕ(θ) = 1 − fₕ(1 − e^{−θ}) and
/// fₕ = n₁ₕ/Nₕ. Over the spreads, Σ Dₕ ln qₕ(θ) is largest when the deviations fill the
/// strata in rising order of fₕ (each to min(Nₕ, D)), whatever θ; so
///
/// max over spreads P(accept) ≤ min over θ of e^{θc} · Πₕ qₕ(θ)^{D*ₕ}
///
/// with D* that filling. The minimum over θ (a convex function of θ) is found by golden
/// section on [0, 40]; any θ gives a valid bound, so the search only tightens it. The
/// bound ignores stage 2, and is loose when D is small; it is used only where the tables
/// are too large, which is where D is large.
pub fn stratified_risk_chernoff(
    plan: &TwoStage,
    populations: &[u64],
    deviating: u64,
    first: &[u64],
) -> f64 {
    let c = if plan.n2 > 0 {
        plan.reject1.saturating_sub(1).max(plan.accept1)
    } else {
        plan.accept1
    } as f64;
    let fraction = |h: usize| first[h] as f64 / populations[h].max(1) as f64;
    let mut order: Vec<usize> = (0..populations.len()).collect();
    order.sort_by(|&a, &b| fraction(a).total_cmp(&fraction(b)).then(a.cmp(&b)));
    let mut filled: Vec<(f64, f64)> = Vec::new();
    let mut left = deviating;
    for h in order {
        if left == 0 {
            break;
        }
        let dh = populations[h].min(left);
        left -= dh;
        filled.push((fraction(h), dh as f64));
    }
    if left > 0 {
        // More deviating records than the population: every record deviates.
        filled.clear();
    }
    // ln of e^{θc} Πₕ qₕ(θ)^{D*ₕ}.
    let log_bound = |theta: f64| -> f64 {
        let shrink = -(-theta).exp_m1(); // 1 − e^{−θ}, accurate for small θ
        theta * c
            + filled
                .iter()
                .map(|&(f, dh)| dh * (-f * shrink).ln_1p())
                .sum::<f64>()
    };
    // Golden-section search for the minimum over θ in [0, 40].
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    let mut x1 = hi - ratio * (hi - lo);
    let mut x2 = lo + ratio * (hi - lo);
    let (mut f1, mut f2) = (log_bound(x1), log_bound(x2));
    for _ in 0..200 {
        if f1 <= f2 {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - ratio * (hi - lo);
            f1 = log_bound(x1);
        } else {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + ratio * (hi - lo);
            f2 = log_bound(x2);
        }
    }
    let best = [0.0, lo, x1, x2, hi]
        .into_iter()
        .map(log_bound)
        .fold(f64::INFINITY, f64::min);
    best.exp().min(1.0)
}

/// An upper bound on P(accept) over every spread: the bounding tables' value at the root
/// (F₁(D)(0) of the module documentation), or `None` past `budget`.
pub fn stratified_risk_bound(
    plan: &TwoStage,
    populations: &[u64],
    deviating: u64,
    first: &[u64],
    second: &[u64],
    budget: u64,
) -> Option<f64> {
    let mut work = 0u64;
    let caps: u64 = populations.iter().map(|&n| n.min(deviating)).sum();
    let t = Tables::new(
        plan,
        populations,
        deviating.min(caps),
        first,
        second,
        budget,
        &mut work,
    )?;
    Some(t.value(0, deviating.min(caps), 0).min(1.0))
}

/// The bounding tables: per stratum its laws Yₕ(d) for every d, and Fₕ(u)(y) for the u
/// each layer needs.
struct Tables {
    grid: Grid,
    caps: Vec<u64>,
    /// rest[h] = Σ_{i ≥ h} capᵢ.
    rest: Vec<u64>,
    /// Per stratum, per d: the law's cells with mass.
    laws: Vec<Vec<Vec<(usize, f64)>>>,
    /// Per stratum: whether it equals the one before (same Nₕ, n₁ₕ, n₂ₕ).
    same_as_before: Vec<bool>,
    /// layers[h]: Fₕ; layers[k]: the acceptance indicator at u = 0.
    layers: Vec<Layer>,
}

impl Tables {
    fn new(
        plan: &TwoStage,
        populations: &[u64],
        d_total: u64,
        first: &[u64],
        second: &[u64],
        budget: u64,
        work: &mut u64,
    ) -> Option<Tables> {
        let k = populations.len();
        let grid = Grid::new(plan);
        let caps: Vec<u64> = populations.iter().map(|&n| n.min(d_total)).collect();
        let mut rest = vec![0u64; k + 1];
        for h in (0..k).rev() {
            rest[h] = rest[h + 1] + caps[h];
        }
        let lo = |h: usize| d_total.saturating_sub(rest[0] - rest[h]);
        let hi = |h: usize| d_total.min(rest[h]);
        let cells: usize = (0..=k)
            .map(|h| (hi(h).saturating_sub(lo(h)) as usize + 1) * grid.cells())
            .sum();
        if cells > TABLE_CELLS {
            return None;
        }
        let mut laws = Vec::with_capacity(k);
        for h in 0..k {
            *work = work.saturating_add((caps[h] + 1).saturating_mul(grid.cells() as u64 * 2));
            if *work > budget {
                return None;
            }
            laws.push(
                (0..=caps[h])
                    .map(|d| {
                        grid.sparse(&Law::stratum(plan, populations[h], d, first[h], second[h]))
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let same_as_before = (0..k)
            .map(|h| {
                h > 0
                    && (populations[h], first[h], second[h])
                        == (populations[h - 1], first[h - 1], second[h - 1])
            })
            .collect();
        let mut layers = vec![
            Layer {
                lo: 0,
                width: grid.cells(),
                values: Vec::new(),
            };
            k + 1
        ];
        layers[k].values = grid
            .accept
            .iter()
            .map(|&a| if a { 1.0 } else { 0.0 })
            .collect();
        for h in (0..k).rev() {
            let layer = fill_layer(
                &grid,
                &laws[h],
                &layers[h + 1],
                caps[h],
                rest[h + 1],
                (lo(h), hi(h)),
                budget,
                work,
            )?;
            layers[h] = layer;
        }
        Some(Tables {
            grid,
            caps,
            rest,
            laws,
            same_as_before,
            layers,
        })
    }
    fn value(&self, h: usize, u: u64, y: usize) -> f64 {
        self.layers[h].at(u, y)
    }
}

/// Fₕ from Fₕ₊₁ over u in `range` (the recursion and pruning of the module
/// documentation); `None` past `budget`.
#[allow(clippy::too_many_arguments)]
fn fill_layer(
    grid: &Grid,
    laws: &[Vec<(usize, f64)>],
    next: &Layer,
    cap: u64,
    rest_after: u64,
    (ulo, uhi): (u64, u64),
    budget: u64,
    work: &mut u64,
) -> Option<Layer> {
    // πₕ(d)(y) for every d and y.
    let pi: Vec<Vec<f64>> = laws
        .iter()
        .map(|law| {
            (0..grid.cells())
                .map(|y| {
                    law.iter()
                        .filter_map(|&(z, p)| grid.add(y, z).filter(|&g| grid.accept[g]).map(|_| p))
                        .sum::<f64>()
                })
                .collect()
        })
        .collect();
    let mut layer = Layer {
        lo: ulo,
        values: vec![0.0; ((uhi - ulo + 1) as usize) * grid.cells()],
        width: grid.cells(),
    };
    for u in ulo..=uhi {
        let dmin = u.saturating_sub(rest_after);
        let dmax = cap.min(u);
        for (y, _) in grid.accept.iter().enumerate().filter(|(_, &a)| a) {
            // E[Fₕ₊₁(v)(y + Yₕ(d))]: at v = u − d the term for d; for a block d ∈ [a, b] at
            // d = a and v = u − b a ceiling over the block (Yₕ(d) ≥ Yₕ(a) and
            // Fₕ₊₁(u − d) ≤ Fₕ₊₁(u − b)).
            let mut expect = |d: u64, v: u64| -> f64 {
                *work += laws[d as usize].len() as u64 + 1;
                laws[d as usize]
                    .iter()
                    .filter_map(|&(z, p)| grid.add(y, z).map(|g| p * next.at(v, g)))
                    .sum()
            };
            let mut blocks: Vec<(f64, u64, u64)> = (dmin..=dmax)
                .step_by(BLOCK as usize)
                .map(|a| {
                    let b = (a + BLOCK - 1).min(dmax);
                    let ceiling = next.at(u - b, y).min(pi[a as usize][y]);
                    (ceiling, a, b)
                })
                .collect();
            blocks.sort_by(|p, q| q.0.total_cmp(&p.0));
            let mut best = 0.0f64;
            for (ceiling, a, b) in blocks {
                if ceiling <= best {
                    break;
                }
                if a == b {
                    best = best.max(expect(a, u - a));
                    continue;
                }
                if expect(a, u - b) <= best {
                    continue;
                }
                for d in a..=b {
                    best = best.max(expect(d, u - d));
                }
            }
            layer.set(u, y, best);
        }
        if *work > budget {
            return None;
        }
    }
    Some(layer)
}

/// The branch and bound over the spreads: strata in order, each child's bound the exact
/// law of the strata fixed so far against the tables of the rest.
struct Search<'a> {
    t: &'a Tables,
    /// The largest risk of a complete spread found (or the start's).
    best: f64,
    best_spread: Option<Vec<u64>>,
    /// The largest bound among the branches left unexplored past the budget.
    open: f64,
    work: u64,
    budget: u64,
    exhausted: bool,
    cur: Vec<u64>,
}

impl Search<'_> {
    /// Explores stratum `h` with the law `law` of the strata before it and `u` deviating
    /// records left; `prev` is the stratum before's Dₕ (a cap when the two are the same).
    fn node(&mut self, h: usize, law: &[f64], u: u64, prev: u64) {
        let t = self.t;
        let k = t.caps.len();
        let dmin = u.saturating_sub(t.rest[h + 1]);
        let mut dmax = t.caps[h].min(u);
        if t.same_as_before[h] {
            dmax = dmax.min(prev);
        }
        if dmin > dmax {
            return;
        }
        let mut children: Vec<(f64, u64, Vec<f64>)> =
            Vec::with_capacity((dmax - dmin + 1) as usize);
        for d in dmin..=dmax {
            let mut next = vec![0.0; t.grid.cells()];
            for (y, &p) in law.iter().enumerate() {
                if p == 0.0 {
                    continue;
                }
                for &(z, q) in &t.laws[h][d as usize] {
                    if let Some(g) = t.grid.add(y, z) {
                        next[g] += p * q;
                    }
                }
                self.work += t.laws[h][d as usize].len() as u64 + 1;
            }
            let bound: f64 = next
                .iter()
                .enumerate()
                .map(|(g, &p)| p * t.value(h + 1, u - d, g))
                .sum();
            children.push((bound, d, next));
        }
        children.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (bound, d, next) in children {
            if bound <= self.best * (1.0 + 1e-12) {
                break;
            }
            if self.exhausted || self.work > self.budget {
                self.exhausted = true;
                self.open = self.open.max(bound);
                break;
            }
            self.cur[h] = d;
            if h + 1 == k {
                // The last stratum: the bound is the spread's exact risk.
                self.best = bound;
                self.best_spread = Some(self.cur.clone());
            } else {
                self.node(h + 1, &next, u - d, d);
            }
        }
    }
}

/// The grid of (x₁, t) counts the exact law keeps ([`Law`]): x₁ < c₁, t ≤ c₂ with c₂ the
/// pooled "above a₂" column; a cell is x₁·(c₂ + 1) + t.
struct Grid {
    c1: usize,
    width: usize,
    accept: Vec<bool>,
}

impl Grid {
    fn new(plan: &TwoStage) -> Grid {
        let (c1, c2) = Law::dims(plan);
        let width = c2 + 1;
        let accept = (0..c1 * width)
            .map(|g| accepts(plan, (g / width) as u64, (g % width) as u64))
            .collect();
        Grid { c1, width, accept }
    }
    fn cells(&self) -> usize {
        self.c1 * self.width
    }
    /// y + z on the grid; `None` when x₁ reaches c₁ (rejected whatever follows).
    fn add(&self, y: usize, z: usize) -> Option<usize> {
        let x1 = y / self.width + z / self.width;
        if x1 >= self.c1 {
            return None;
        }
        let t = (y % self.width + z % self.width).min(self.width - 1);
        Some(x1 * self.width + t)
    }
    /// A law's cells with mass.
    fn sparse(&self, law: &Law) -> Vec<(usize, f64)> {
        law.0
            .iter()
            .enumerate()
            .flat_map(|(x1, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &p)| p > 0.0)
                    .map(move |(t, &p)| (x1 * self.width + t, p))
            })
            .collect()
    }
}

/// Fₕ(u)(y) for the u of one layer.
#[derive(Debug, Clone)]
struct Layer {
    lo: u64,
    width: usize,
    values: Vec<f64>,
}

impl Layer {
    fn at(&self, u: u64, y: usize) -> f64 {
        self.values[(u - self.lo) as usize * self.width + y]
    }
    fn set(&mut self, u: u64, y: usize, v: f64) {
        self.values[(u - self.lo) as usize * self.width + y] = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stratified_accept_probability, stratified_worst_risk, SPREAD_BUDGET};
    use proptest::prelude::*;

    fn split(plan: &TwoStage, pops: &[u64]) -> (Vec<u64>, Vec<u64>) {
        let w: Vec<f64> = pops.iter().map(|&p| p as f64).collect();
        let lo = vec![0u64; pops.len()];
        let n1 = crate::apportion(plan.n1, &w, pops, &lo, pops);
        let n = crate::apportion(plan.n1 + plan.n2, &w, pops, &lo, pops);
        let n2 = n.iter().zip(&n1).map(|(a, b)| a - b).collect();
        (n1, n2)
    }

    /// The two strata (548 and 634 records, T = 5 %, 60 deviating): the bound is at
    /// least the exact maximum over all 61 spreads, and here equal to it.
    #[test]
    fn the_bound_holds_and_is_tight_on_two_strata() {
        let spec = crate::StagedSpec {
            tolerable_rate: 0.05,
            confidence: 0.95,
            population: Some(1182),
            expected_rate: 0.015,
            max_first: None,
        };
        let plan = crate::two_stage_plan(&spec).unwrap().plan;
        let pops = [548u64, 634];
        let (n1, n2) = split(&plan, &pops);
        let exact = stratified_worst_risk(&plan, &pops, 60, &n1, &n2, SPREAD_BUDGET);
        assert!(exact.exhaustive);
        let bound = stratified_risk_bound(&plan, &pops, 60, &n1, &n2, BOUND_WORK_BUDGET).unwrap();
        assert!(
            bound >= exact.risk * (1.0 - 1e-12),
            "{bound} < {}",
            exact.risk
        );
        assert!(bound - exact.risk < 1e-9, "{bound} vs {}", exact.risk);
    }

    /// Over the work budget there is no bound, not a guess.
    #[test]
    fn past_the_budget_there_is_no_bound() {
        let plan = TwoStage {
            n1: 36,
            accept1: 0,
            reject1: 2,
            n2: 11,
            accept2: 1,
        };
        let pops = vec![1000u64; 20];
        let (n1, n2) = split(&plan, &pops);
        assert!(stratified_risk_bound(&plan, &pops, 2000, &n1, &n2, 1_000).is_none());
    }

    /// A stratum with no record drawn hides every deviating record it can hold: when it holds
    /// them all the risk is 1 at once; when it cannot, the rest are spread over the others
    /// and the maximum is still the one over every spread.
    #[test]
    fn deviations_hide_first_where_no_record_is_drawn() {
        let plan = TwoStage {
            n1: 10,
            accept1: 0,
            reject1: 2,
            n2: 4,
            accept2: 1,
        };
        let pops = [100u64, 100, 100];
        let (f, s) = ([5u64, 0, 5], [2u64, 0, 2]);
        let all = stratified_worst_risk(&plan, &pops, 100, &f, &s, SPREAD_BUDGET);
        assert!(all.exhaustive);
        assert_eq!(
            (all.risk, all.marked.as_slice()),
            (1.0, &[0u64, 100, 0][..])
        );
        let more = stratified_worst_risk(&plan, &pops, 130, &f, &s, 1);
        let exact = brute(&plan, &pops, 130, &f, &s);
        let proven =
            worst_spread_proven(&plan, &pops, 130, &f, &s, &more, BOUND_WORK_BUDGET).unwrap();
        assert!(proven.exact);
        assert!(
            (proven.risk - exact).abs() < 1e-12,
            "{} vs {exact}",
            proven.risk
        );
        assert_eq!(proven.marked[1], 100);
    }

    /// The planner's risk over four strata of 4,000–6,000 records with 2,000 deviating (over
    /// a billion spreads): the branch and bound finishes, its risk is a real spread's, and it
    /// is at least the local search's.
    #[test]
    fn the_planner_proves_the_worst_spread_over_many_spreads() {
        let plan = TwoStage {
            n1: 29,
            accept1: 0,
            reject1: 2,
            n2: 16,
            accept2: 1,
        };
        let pops = [5000u64, 6000, 4000, 5000];
        let (f, s) = split(&plan, &pops);
        let searched = stratified_worst_risk(&plan, &pops, 2000, &f, &s, SPREAD_BUDGET);
        assert!(!searched.exhaustive);
        let r = stratified_risk(&plan, &pops, 2000, &f, &s, 0.5);
        assert_eq!(r.method, SpreadMethod::BranchAndBound);
        assert!(r.risk >= searched.risk);
        let real = stratified_accept_probability(&plan, &pops, &r.marked, &f, &s);
        assert!((real - r.risk).abs() < 1e-12);
        // Above the risk allowed, the spread found is proof enough.
        let above = stratified_risk(&plan, &pops, 2000, &f, &s, 0.01);
        assert_eq!(above.method, SpreadMethod::SpreadAboveRisk);
    }

    /// 290 strata of 50 to 3,049 records (about 450,000) with a tenth of them deviating and
    /// 250 records drawn in one stage (one in each of the 250 largest strata), at most one
    /// allowed to deviate: far past the tables' budget. The Chernoff bound proves the risk within
    /// 5 % (the 40 strata with no record drawn hold a fraction of the deviating records; the
    /// rest are seen), and it is at least the local search's value.
    #[test]
    fn the_chernoff_bound_proves_a_design_past_the_tables() {
        let pops: Vec<u64> = (0..290u64).map(|h| 50 + (h * h * 37) % 3000).collect();
        let big: u64 = pops.iter().sum();
        let d = big / 10;
        let plan = TwoStage {
            n1: 250,
            accept1: 1,
            reject1: 2,
            n2: 0,
            accept2: 1,
        };
        let (f, s) = split(&plan, &pops);
        let unseen: u64 = (0..290).filter(|&h| f[h] == 0).map(|h| pops[h]).sum();
        assert!(unseen > 0 && unseen < d, "{unseen} of {d}");
        assert!(stratified_risk_bound(&plan, &pops, d, &f, &s, BOUND_WORK_BUDGET).is_none());
        let r = stratified_risk(&plan, &pops, d, &f, &s, 0.05);
        assert_eq!(r.method, SpreadMethod::UpperBound);
        assert!(r.risk <= 0.05, "{}", r.risk);
        let searched = stratified_worst_risk(&plan, &pops, d, &f, &s, SPREAD_BUDGET);
        assert!(r.risk >= searched.risk, "{} < {}", r.risk, searched.risk);
        // The worst spread fills the unseen strata, then the thinnest seen ones: the bound
        // is at least that spread's exact risk.
        let mut order: Vec<usize> = (0..290).collect();
        order.sort_by(|&a, &b| {
            (f[a] as f64 / pops[a] as f64).total_cmp(&(f[b] as f64 / pops[b] as f64))
        });
        let mut filled = vec![0u64; 290];
        let mut left = d;
        for h in order {
            filled[h] = pops[h].min(left);
            left -= filled[h];
        }
        let exact = stratified_accept_probability(&plan, &pops, &filled, &f, &s);
        assert!(r.risk >= exact, "{} < {exact}", r.risk);
    }

    /// The same 290 strata when the rule allows no deviation: the greedy fill is the worst
    /// spread, at least what the local search finds and at most the Chernoff bound, and no
    /// single record moved between two strata raises its risk.
    #[test]
    fn with_no_deviation_allowed_the_worst_spread_is_exact_past_the_tables() {
        let pops: Vec<u64> = (0..290u64).map(|h| 50 + (h * h * 37) % 3000).collect();
        let d = pops.iter().sum::<u64>() / 10;
        let plan = TwoStage {
            n1: 270,
            accept1: 0,
            reject1: 1,
            n2: 0,
            accept2: 0,
        };
        let (f, s) = split(&plan, &pops);
        let r = stratified_risk(&plan, &pops, d, &f, &s, 0.05);
        assert_eq!(r.method, SpreadMethod::NoneFound);
        assert_eq!(r.marked.iter().sum::<u64>(), d);
        let searched = stratified_worst_risk(&plan, &pops, d, &f, &s, SPREAD_BUDGET);
        assert!(r.risk >= searched.risk, "{} < {}", r.risk, searched.risk);
        assert!(r.risk <= stratified_risk_chernoff(&plan, &pops, d, &f) + 1e-15);
        assert!(r.risk > 0.0 && r.risk < 1.0, "{}", r.risk);
        for from in 0..290 {
            if r.marked[from] == 0 {
                continue;
            }
            for to in (0..290).step_by(7) {
                if to == from || r.marked[to] == pops[to] {
                    continue;
                }
                let mut m = r.marked.clone();
                m[from] -= 1;
                m[to] += 1;
                let q = stratified_accept_probability(&plan, &pops, &m, &f, &s);
                assert!(
                    q <= r.risk * (1.0 + 1e-12),
                    "{from} → {to}: {q} > {}",
                    r.risk
                );
            }
        }
    }

    fn brute(plan: &TwoStage, pops: &[u64], d: u64, n1: &[u64], n2: &[u64]) -> f64 {
        fn go(h: usize, left: u64, m: &mut Vec<u64>, f: &mut dyn FnMut(&[u64]), pops: &[u64]) {
            if h + 1 == pops.len() {
                if left <= pops[h] {
                    m[h] = left;
                    f(m);
                }
                return;
            }
            for dh in 0..=left.min(pops[h]) {
                m[h] = dh;
                go(h + 1, left - dh, m, f, pops);
            }
        }
        let mut best = 0.0f64;
        let mut m = vec![0u64; pops.len()];
        go(
            0,
            d,
            &mut m,
            &mut |m| best = best.max(stratified_accept_probability(plan, pops, m, n1, n2)),
            pops,
        );
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// On random plans over three and four strata (some with no record drawn) the
        /// tables' bound is never below the maximum over every spread (brute force), and the
        /// branch and bound finds that maximum and a spread that gives it.
        #[test]
        fn the_bound_is_never_below_the_worst_spread(
            pops in proptest::collection::vec(prop_oneof![Just(40u64), 20u64..120], 3..5),
            n1 in 6u64..30,
            n2 in 0u64..15,
            a1 in 0u64..2,
            extra in 1u64..3,
            share in 0.03f64..0.2,
        ) {
            let big: u64 = pops.iter().sum();
            let n1 = n1.min(big / 2);
            let n2 = if n1 + n2 > big { 0 } else { n2 };
            let plan = TwoStage { n1, accept1: a1, reject1: a1 + extra + 1, n2, accept2: a1 + extra };
            let (f, s) = split(&plan, &pops);
            let d = ((share * big as f64).ceil() as u64).min(30);
            let exact = brute(&plan, &pops, d, &f, &s);
            let bound = stratified_risk_bound(&plan, &pops, d, &f, &s, BOUND_WORK_BUDGET).unwrap();
            prop_assert!(bound >= exact - 1e-12, "bound {} below the worst spread {}", bound, exact);
            let chernoff = stratified_risk_chernoff(&plan, &pops, d, &f);
            prop_assert!(chernoff >= exact - 1e-12, "Chernoff {} below the worst spread {}", chernoff, exact);
            let start = stratified_worst_risk(&plan, &pops, d, &f, &s, 1);
            let proven = worst_spread_proven(&plan, &pops, d, &f, &s, &start, BOUND_WORK_BUDGET).unwrap();
            prop_assert!(proven.exact);
            prop_assert!((proven.risk - exact).abs() <= 1e-12, "branch and bound {} vs every spread {}", proven.risk, exact);
            prop_assert_eq!(proven.marked.iter().sum::<u64>(), d);
            prop_assert!((stratified_accept_probability(&plan, &pops, &proven.marked, &f, &s) - proven.risk).abs() <= 1e-12);
        }

        /// When the rule allows no deviation in stage 1, the greedy fill's risk is the
        /// maximum over every spread (brute force), strata with no record drawn included.
        #[test]
        fn with_no_deviation_allowed_the_greedy_fill_is_the_worst_spread(
            pops in proptest::collection::vec(prop_oneof![Just(30u64), 5u64..90], 2..5),
            n1 in 3u64..25,
            n2 in 0u64..10,
            share in 0.03f64..0.5,
        ) {
            let big: u64 = pops.iter().sum();
            let n1 = n1.min(big / 2);
            let n2 = if n1 + n2 > big { 0 } else { n2 };
            let plan = TwoStage { n1, accept1: 0, reject1: 1, n2, accept2: 0 };
            let (f, s) = split(&plan, &pops);
            let d = ((share * big as f64).ceil() as u64).min(40);
            let exact = brute(&plan, &pops, d, &f, &s);
            let marked = worst_spread_none_found(&pops, d, &f);
            prop_assert_eq!(marked.iter().sum::<u64>(), d);
            let greedy = stratified_accept_probability(&plan, &pops, &marked, &f, &s);
            prop_assert!((greedy - exact).abs() <= 1e-12, "greedy {} vs every spread {}", greedy, exact);
        }
    }
}
