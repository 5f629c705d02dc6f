//! Two-stage (double) attribute sampling plans: take n₁ records; accept ("the deviation
//! rate is below T") if the deviations X₁ ≤ a₁, stop and reject ("cannot show it") if
//! X₁ ≥ r₁, otherwise take n₂ more and accept if X₁ + X₂ ≤ a₂. With permanent random
//! numbers the second stage is the next n₂ records of the same draw, so the plan is one
//! nested sample (Cochran 1977 §5.A; Dodge & Romig 1959 for double sampling plans).
//!
//! The probability of accepting at a deviation rate p is computed exactly over both
//! stages:
//!
//! P_acc(p) = P(X₁ ≤ a₁) + Σ_{x=a₁+1}^{r₁−1} P(X₁ = x)·P(X₂ ≤ a₂ − x | X₁ = x),
//!
//! with X₁ ~ Binomial(n₁, p) and X₂ ~ Binomial(n₂, p) without a population, and with a
//! population of N holding D = ⌈p·N⌉ deviating records X₁ ~ Hypergeometric(N, D, n₁) and,
//! given X₁ = x, X₂ ~ Hypergeometric(N − n₁, D − x, n₂). The expected number of records is
//! ASN(p) = n₁ + n₂·P(a₁ < X₁ < r₁).
//!
//! The plan: the risk P_acc(T) ≤ 1 − C; at the expected rate R the plan accepts at least as
//! often as the single-stage plan it replaces (the smallest n with K = ⌈n·R⌉ allowed
//! deviations, [`crate::attribute_size`]) — without that, the cheapest plan would be one that
//! rejects more often; among those, the smallest ASN(R), then the smallest maximum
//! n₁ + n₂, then the smallest n₁. r₁ = a₂ + 1: the second stage is taken whenever it can
//! still end in acceptance. The search is exhaustive over n₁ ≤ the single-stage n (or
//! `max_first`), a₁ ≤ K, a₁ < a₂ ≤ K + 3, with the smallest n₂ meeting the risk found by
//! bisection (the risk falls and the acceptance at R falls as n₂ grows, so the smallest n₂
//! is the best for both). The single-stage plan itself (n₂ = 0) is a candidate.

use crate::dist::{binomial_cdf, hypergeometric_cdf, hypergeometric_pmf, within_risk};
use crate::size::{attribute_size, AttributeSize, AttributeSpec, Expected, Likelihood};
use crate::{ceil_count, DesignError};
use serde::Serialize;

/// What to size a two-stage attribute plan for.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedSpec {
    /// Tolerable deviation rate T.
    pub tolerable_rate: f64,
    /// Confidence C.
    pub confidence: f64,
    /// Population size N, when finite (hypergeometric).
    pub population: Option<u64>,
    /// The expected deviation rate R (0 by default).
    pub expected_rate: f64,
    /// The largest first stage allowed.
    pub max_first: Option<u64>,
}

/// A two-stage plan: per stage the records taken, and the cumulative deviation counts that
/// accept (≤ `accept`) or reject (≥ `reject`, first stage only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TwoStage {
    /// n₁.
    pub n1: u64,
    /// a₁.
    pub accept1: u64,
    /// r₁.
    pub reject1: u64,
    /// n₂ (0: no second stage).
    pub n2: u64,
    /// a₂ (cumulative).
    pub accept2: u64,
}

/// The plan with its exact properties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StagedPlan {
    /// The plan.
    pub plan: TwoStage,
    /// P(accept) when the rate is T: at most 1 − C.
    pub risk: f64,
    /// Expected records at p = 0, at the expected rate and at T.
    pub expected_records: [f64; 3],
    /// P(accept) at the expected rate.
    pub accept_at_expected: f64,
    /// The single-stage plan it replaces.
    pub single: AttributeSize,
    /// The single-stage plan's P(accept) at the expected rate.
    pub single_accept_at_expected: f64,
    /// The likelihood.
    pub likelihood: Likelihood,
}

/// The stage probabilities at one rate.
struct Model {
    population: Option<u64>,
    p: f64,
}

impl Model {
    fn deviating(&self, big: u64) -> u64 {
        ceil_count(self.p * big as f64).min(big)
    }
    /// P(X₁ = x).
    fn pmf1(&self, x: u64, n1: u64) -> f64 {
        match self.population {
            Some(big) => hypergeometric_pmf(x, big, self.deviating(big), n1),
            None => {
                if x > n1 {
                    return 0.0;
                }
                let lo = if x == 0 {
                    0.0
                } else {
                    binomial_cdf(x - 1, n1, self.p)
                };
                (binomial_cdf(x, n1, self.p) - lo).max(0.0)
            }
        }
    }
    /// P(X₁ ≤ k).
    fn cdf1(&self, k: u64, n1: u64) -> f64 {
        match self.population {
            Some(big) => hypergeometric_cdf(k, big, self.deviating(big), n1),
            None => binomial_cdf(k, n1, self.p),
        }
    }
    /// P(X₂ ≤ k | X₁ = x).
    fn cdf2(&self, k: u64, x: u64, n1: u64, n2: u64) -> f64 {
        match self.population {
            Some(big) => {
                let d = self.deviating(big);
                if x > d || n1 + n2 > big {
                    return if x > d { 0.0 } else { 1.0 };
                }
                hypergeometric_cdf(k, big - n1, d - x, n2)
            }
            None => binomial_cdf(k, n2, self.p),
        }
    }
    /// P(accept).
    fn accept(&self, s: &TwoStage) -> f64 {
        let mut p = self.cdf1(s.accept1, s.n1);
        for x in s.accept1 + 1..s.reject1 {
            if x > s.accept2 {
                break;
            }
            p += self.pmf1(x, s.n1) * self.cdf2(s.accept2 - x, x, s.n1, s.n2);
        }
        p.min(1.0)
    }
    /// ASN.
    fn expected_records(&self, s: &TwoStage) -> f64 {
        let cont: f64 = (s.accept1 + 1..s.reject1)
            .map(|x| self.pmf1(x, s.n1))
            .sum::<f64>();
        s.n1 as f64 + s.n2 as f64 * cont
    }
}

/// The best two-stage plan (see the module's documentation).
///
/// # Errors
/// As [`attribute_size`] for the single-stage plan it is compared with; a first stage
/// limit under which no plan meets the risk.
pub fn two_stage_plan(spec: &StagedSpec) -> Result<StagedPlan, DesignError> {
    let single = attribute_size(&AttributeSpec {
        tolerable_rate: spec.tolerable_rate,
        expected: Expected::Rate(spec.expected_rate),
        confidence: spec.confidence,
        population: spec.population,
        likelihood: None,
    })?;
    let alpha = 1.0 - spec.confidence;
    let at_t = Model {
        population: spec.population,
        p: spec.tolerable_rate,
    };
    let at_r = Model {
        population: spec.population,
        p: spec.expected_rate,
    };
    let at_0 = Model {
        population: spec.population,
        p: 0.0,
    };
    let k = single.allowed_deviations;
    let reference = TwoStage {
        n1: single.n,
        accept1: k,
        reject1: k + 1,
        n2: 0,
        accept2: k,
    };
    let power = at_r.accept(&reference);
    let n1_max = spec.max_first.unwrap_or(single.n).min(single.n).max(1);
    let n2_cap = |n1: u64| match spec.population {
        Some(big) => big.saturating_sub(n1),
        None => 4 * single.n.max(1),
    };
    // (ASN at R, maximum size, n₁) — smaller is better.
    let key = |s: &TwoStage| (at_r.expected_records(s), s.n1 + s.n2, s.n1);
    let mut best: Option<(TwoStage, (f64, u64, u64))> = None;
    let mut consider = |s: TwoStage| {
        let kk = key(&s);
        let better = match &best {
            None => true,
            Some((_, b)) => {
                kk.0 < b.0 - 1e-9 || ((kk.0 - b.0).abs() <= 1e-9 && (kk.1, kk.2) < (b.1, b.2))
            }
        };
        if better {
            best = Some((s, kk));
        }
    };
    if single.n <= n1_max {
        consider(reference);
    }
    for n1 in 1..=n1_max {
        for a1 in 0..=k {
            // Accepting on the first stage alone must already be within the risk.
            if !within_risk(at_t.cdf1(a1, n1), alpha) {
                break;
            }
            for a2 in a1 + 1..=k + 3 {
                let plan = |n2: u64| TwoStage {
                    n1,
                    accept1: a1,
                    reject1: a2 + 1,
                    n2,
                    accept2: a2,
                };
                let cap = n2_cap(n1);
                if cap == 0 || !within_risk(at_t.accept(&plan(cap)), alpha) {
                    continue;
                }
                // The smallest n₂ within the risk (the risk falls as n₂ grows).
                let (mut lo, mut hi) = (1u64, cap);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if within_risk(at_t.accept(&plan(mid)), alpha) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                let s = plan(lo);
                if at_r.accept(&s) + 1e-12 >= power {
                    consider(s);
                }
            }
        }
    }
    let Some((plan, _)) = best else {
        return Err(DesignError::Staged {
            reason: format!(
                "no two-stage plan with a first stage of at most {n1_max} records meets the risk; raise --max-first"
            ),
        });
    };
    Ok(StagedPlan {
        plan,
        risk: at_t.accept(&plan),
        expected_records: [
            at_0.expected_records(&plan),
            at_r.expected_records(&plan),
            at_t.expected_records(&plan),
        ],
        accept_at_expected: at_r.accept(&plan),
        single_accept_at_expected: power,
        likelihood: single.likelihood,
        single,
    })
}

/// P(accept) of a two-stage plan at rate `p` (exact, as in the module's documentation).
pub fn accept_probability(plan: &TwoStage, p: f64, population: Option<u64>) -> f64 {
    Model { population, p }.accept(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(t: f64, r: f64, n: Option<u64>) -> StagedSpec {
        StagedSpec {
            tolerable_rate: t,
            confidence: 0.95,
            population: n,
            expected_rate: r,
            max_first: None,
        }
    }

    /// At an expected rate of 0 nothing beats the single stage of 29 (AICPA, T = 10 %).
    #[test]
    fn at_rate_zero_the_single_stage_is_best() {
        let p = two_stage_plan(&spec(0.10, 0.0, None)).unwrap();
        assert_eq!(p.plan.n1, 29);
        assert_eq!(p.plan.n2, 0);
        assert!(p.risk <= 0.05);
    }

    /// With deviations expected the plan saves records on average, keeps the risk at T and
    /// accepts at R at least as often as the single stage; brute force over small plans
    /// finds nothing better.
    #[test]
    fn two_stages_save_records_and_are_optimal() {
        for (t, r, n) in [
            (0.10, 0.02, None),
            (0.10, 0.02, Some(600)),
            (0.05, 0.01, None),
        ] {
            let s = spec(t, r, n);
            let p = two_stage_plan(&s).unwrap();
            assert!(within_risk(p.risk, 0.05), "{p:?}");
            assert!(p.expected_records[1] < p.single.n as f64, "{p:?}");
            assert!(p.accept_at_expected + 1e-12 >= p.single_accept_at_expected);
            // The risk recomputed independently, by enumerating both stages' outcomes.
            let direct = accept_probability(&p.plan, t, n);
            assert!((direct - p.risk).abs() < 1e-12);
            if n.is_none() && t == 0.10 {
                let asn = p.expected_records[1];
                for n1 in 1..=p.single.n {
                    for n2 in 0..=2 * p.single.n {
                        for a1 in 0..=2u64 {
                            for a2 in a1..=4u64 {
                                let q = TwoStage {
                                    n1,
                                    accept1: a1,
                                    reject1: a2 + 1,
                                    n2,
                                    accept2: a2,
                                };
                                if n2 == 0 && a2 != a1 {
                                    continue;
                                }
                                let m = Model {
                                    population: n,
                                    p: r,
                                };
                                if within_risk(accept_probability(&q, t, n), 0.05)
                                    && m.accept(&q) + 1e-12 >= p.single_accept_at_expected
                                {
                                    assert!(
                                        m.expected_records(&q) >= asn - 1e-9,
                                        "{q:?} beats {p:?}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The exact risk against a simulation of the two stages.
    #[test]
    fn the_risk_matches_a_simulation() {
        // SplitMix64: a plain, reproducible stream of uniforms for the simulation.
        let mut state = 7u64;
        let mut uniform = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        };
        let plan = TwoStage {
            n1: 30,
            accept1: 0,
            reject1: 3,
            n2: 40,
            accept2: 2,
        };
        let exact = accept_probability(&plan, 0.08, None);
        let trials = 200_000;
        let mut acc = 0u64;
        for _ in 0..trials {
            let x1 = (0..plan.n1).filter(|_| uniform() < 0.08).count() as u64;
            let ok = if x1 <= plan.accept1 {
                true
            } else if x1 >= plan.reject1 {
                false
            } else {
                let x2 = (0..plan.n2).filter(|_| uniform() < 0.08).count() as u64;
                x1 + x2 <= plan.accept2
            };
            acc += u64::from(ok);
        }
        let sim = acc as f64 / trials as f64;
        let se = (exact * (1.0 - exact) / trials as f64).sqrt();
        assert!(
            (sim - exact).abs() < 4.0 * se,
            "exact {exact}, simulated {sim}"
        );
    }
}
