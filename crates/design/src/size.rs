//! Sample sizes: for estimating a share to a margin of error (Cochran), and for attribute
//! (audit) sampling against a tolerable deviation rate (AICPA).

use crate::dist::{binomial_cdf, hypergeometric_cdf, poisson_cdf, z_two_sided};
use crate::error::DesignError;
use crate::round::ceil_count;
use serde::Serialize;

/// What to size a share estimate for.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSpec {
    /// Margin of error E (half-width of the interval); absolute unless `relative`.
    pub margin: f64,
    /// Confidence level C in (0, 1).
    pub confidence: f64,
    /// Anticipated proportion P in [0, 1] (0.5 is the conservative default).
    pub proportion: f64,
    /// Design effect D > 0 (1 for simple random sampling).
    pub deff: f64,
    /// Population size N, when finite.
    pub population: Option<u64>,
    /// Expected response rate R in (0, 1] (share of requested records that arrive usable).
    pub response_rate: f64,
    /// E is relative to P (absolute margin E·P).
    pub relative: bool,
}

impl ShareSpec {
    /// A spec with the defaults P = 0.5, D = 1, no population, R = 1, absolute margin.
    pub fn new(margin: f64, confidence: f64) -> Self {
        ShareSpec {
            margin,
            confidence,
            proportion: 0.5,
            deff: 1.0,
            population: None,
            response_rate: 1.0,
            relative: false,
        }
    }
}

/// The size needed for a share estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareSize {
    /// Records to request: ⌈n_fpc⌉, divided by the response rate and rounded up, at most N.
    pub n: u64,
    /// n0 = z²·P(1−P)·D/E², before the finite population correction.
    pub n0: f64,
    /// n0 after Cochran's finite population correction (n0 when there is no N), unrounded.
    pub n_fpc: f64,
    /// Records needed back (before dividing by the response rate).
    pub n_responding: u64,
    /// The critical value z used.
    pub z: f64,
    /// The absolute margin used (E, or E·P with a relative margin).
    pub absolute_margin: f64,
    /// True when dividing by the response rate asked for more than N and n was capped at N.
    pub capped_at_population: bool,
}

pub(crate) fn check_confidence(confidence: f64) -> Result<(), DesignError> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(DesignError::InvalidConfidence { value: confidence })
    }
}

pub(crate) fn check_proportion(p: f64) -> Result<(), DesignError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(DesignError::InvalidProportion { value: p })
    }
}

pub(crate) fn check_population(population: Option<u64>) -> Result<(), DesignError> {
    match population {
        Some(0) => Err(DesignError::InvalidPopulation { value: 0 }),
        _ => Ok(()),
    }
}

/// The smallest margin of error accepted: ±0.0001 points. Below it n0 = z²P(1−P)/E²
/// exceeds 10¹² and, with a population, every record is needed anyway; a margin of 1e-160
/// would underflow E² to 0 and print a nonsense size.
pub const MIN_MARGIN: f64 = 1e-6;
/// The largest design effect accepted: above it a size overflows to nonsense.
pub const MAX_DEFF: f64 = 1e6;
/// The smallest tolerable deviation rate accepted for attribute sizing (one deviation in a
/// million records); below it the search for n does not end in reasonable time.
pub const MIN_TOLERABLE_RATE: f64 = 1e-6;

/// Sample size for estimating a proportion to within ±E at confidence C.
///
/// n0 = z²·P(1 − P)·D / E² (Cochran 1977, *Sampling Techniques*, 3rd ed., eq. 4.2, with the
/// design effect D of Kish 1965 §8.2); with a finite population, Cochran's correction
/// n = n0 / (1 + (n0 − 1)/N) (Cochran 1977, eq. 4.3); rounded up by [`ceil_count`]; then
/// divided by the response rate R and rounded up again; never above N and never below 1.
///
/// Published value: N = 767, E = 0.05, C = 0.95, P = 0.5 → 257 (and 385 without N).
///
/// # Errors
/// [`DesignError`] for a margin or confidence outside (0, 1), a proportion outside [0, 1],
/// a non-positive design effect, N = 0 or a response rate outside (0, 1].
pub fn share_size(spec: &ShareSpec) -> Result<ShareSize, DesignError> {
    check_confidence(spec.confidence)?;
    check_proportion(spec.proportion)?;
    check_population(spec.population)?;
    if !(spec.margin.is_finite() && (MIN_MARGIN..1.0).contains(&spec.margin)) {
        return Err(DesignError::InvalidMargin { value: spec.margin });
    }
    if !(spec.deff.is_finite() && spec.deff > 0.0 && spec.deff <= MAX_DEFF) {
        return Err(DesignError::InvalidDesignEffect { value: spec.deff });
    }
    if !(spec.response_rate > 0.0 && spec.response_rate <= 1.0) {
        return Err(DesignError::InvalidResponseRate {
            value: spec.response_rate,
        });
    }
    let absolute_margin = if spec.relative {
        if spec.proportion <= 0.0 {
            return Err(DesignError::RelativeMarginNeedsProportion {
                value: spec.proportion,
            });
        }
        spec.margin * spec.proportion
    } else {
        spec.margin
    };
    let z = z_two_sided(spec.confidence);
    let p = spec.proportion;
    let n0 = z * z * p * (1.0 - p) * spec.deff / (absolute_margin * absolute_margin);
    let n_fpc = match spec.population {
        Some(big_n) => n0 / (1.0 + (n0 - 1.0) / big_n as f64),
        None => n0,
    };
    let mut n_responding = ceil_count(n_fpc).max(1);
    if let Some(big_n) = spec.population {
        n_responding = n_responding.min(big_n);
    }
    let mut n = ceil_count(n_responding as f64 / spec.response_rate).max(1);
    let mut capped_at_population = false;
    if let Some(big_n) = spec.population {
        if n > big_n {
            n = big_n;
            capped_at_population = true;
        }
    }
    Ok(ShareSize {
        n,
        n0,
        n_fpc,
        n_responding,
        z,
        absolute_margin,
        capped_at_population,
    })
}

/// The margin of error that `n` responding records give for a share: the inverse of
/// [`share_size`] before rounding,
/// E = z·√(P(1 − P)·D/n · (N − n)/(N − 1)) with a finite population, z·√(P(1 − P)·D/n)
/// without (Cochran 1977, eq. 4.3 solved for E). A census (n = N) gives 0.
pub fn share_margin(
    n: u64,
    confidence: f64,
    proportion: f64,
    deff: f64,
    population: Option<u64>,
) -> f64 {
    if n == 0 {
        return f64::INFINITY;
    }
    let z = z_two_sided(confidence);
    let nf = n as f64;
    let var = proportion * (1.0 - proportion) * deff / nf;
    let fpc = match population {
        Some(big_n) if big_n > 1 => {
            let big = big_n as f64;
            ((big - nf) / (big - 1.0)).max(0.0)
        }
        Some(_) => 0.0,
        None => 1.0,
    };
    z * (var * fpc).sqrt()
}

/// How the number of deviations in the sample is modelled in attribute sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    /// Binomial(n, T): sampling with replacement or from an infinite population.
    Binomial,
    /// Hypergeometric(N, ⌈T·N⌉, n): exact for sampling without replacement from N.
    Hypergeometric,
    /// Poisson(n·T): the classic approximation used in audit tables.
    Poisson,
}

impl Likelihood {
    /// The likelihood of a name given by [`Likelihood::name`].
    pub fn from_name(name: &str) -> Option<Likelihood> {
        [
            Likelihood::Binomial,
            Likelihood::Hypergeometric,
            Likelihood::Poisson,
        ]
        .into_iter()
        .find(|l| l.name() == name)
    }

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Likelihood::Binomial => "binomial",
            Likelihood::Hypergeometric => "hypergeometric",
            Likelihood::Poisson => "poisson",
        }
    }
}

/// The deviations the auditor expects to find, fixing K.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expected {
    /// A fixed number K of deviations allowed in the sample.
    Deviations(u64),
    /// An expected deviation rate R: K = ⌈n·R⌉ for the n being tried.
    Rate(f64),
}

/// What to size an attribute (audit) sample for.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSpec {
    /// Tolerable deviation rate T in (0, 1).
    pub tolerable_rate: f64,
    /// Expected deviations (K, or a rate giving K).
    pub expected: Expected,
    /// Confidence C in (0, 1).
    pub confidence: f64,
    /// Population size N, when finite.
    pub population: Option<u64>,
    /// The likelihood; `None` picks hypergeometric with N, binomial without.
    pub likelihood: Option<Likelihood>,
}

/// The size needed for an attribute sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeSize {
    /// The smallest n with P(X ≤ K) ≤ 1 − C.
    pub n: u64,
    /// The same search under the binomial likelihood (no population): n before the finite
    /// population is taken into account.
    pub n0: f64,
    /// K: the deviations that may be found in the n records while still concluding that the
    /// rate is below T.
    pub allowed_deviations: u64,
    /// The likelihood used.
    pub likelihood: Likelihood,
    /// P(X ≤ K) at n: the risk of concluding "below T" when the rate is exactly T.
    pub risk: f64,
    /// ⌈T·N⌉ under the hypergeometric likelihood.
    pub population_deviations: Option<u64>,
}

/// Largest n the binomial and Poisson searches try: no data request is that large.
pub const ATTRIBUTE_SEARCH_LIMIT: u64 = 1_000_000;

/// Attribute (audit) sample size: the smallest n with P(X ≤ K) ≤ 1 − C, where X is the
/// number of deviations in the sample when the population deviation rate equals the
/// tolerable rate T.
///
/// X ~ Binomial(n, T) without a population, Hypergeometric(N, ⌈T·N⌉, n) with one (the
/// default then), or Poisson(n·T) on request. With an expected rate R, K = ⌈n·R⌉ for each
/// n tried. Source: AICPA, *Audit Guide: Audit Sampling* (2012, 2019), ch. 3 and Table A-1
/// (95 %, K = 0: T = 5 % → 59, T = 10 % → 29; K = 1: T = 5 % → 93, T = 10 % → 46).
///
/// # Errors
/// [`DesignError`] for rates or confidence out of range, an expected rate not below T,
/// ⌈T·N⌉ ≤ K (no n ≤ N can reach the confidence), or no n up to the search limit.
pub fn attribute_size(spec: &AttributeSpec) -> Result<AttributeSize, DesignError> {
    check_confidence(spec.confidence)?;
    check_population(spec.population)?;
    let t = spec.tolerable_rate;
    if !(t.is_finite() && (MIN_TOLERABLE_RATE..1.0).contains(&t)) {
        return Err(DesignError::InvalidTolerableRate { value: t });
    }
    if let Expected::Rate(r) = spec.expected {
        if !(r.is_finite() && (0.0..1.0).contains(&r)) {
            return Err(DesignError::InvalidExpectedRate { value: r });
        }
        if r >= t {
            return Err(DesignError::ExpectedNotBelowTolerable {
                expected: r,
                tolerable: t,
            });
        }
    }
    let likelihood = match (spec.likelihood, spec.population) {
        (Some(Likelihood::Hypergeometric), None) => {
            return Err(DesignError::HypergeometricNeedsPopulation)
        }
        (Some(l), _) => l,
        (None, Some(_)) => Likelihood::Hypergeometric,
        (None, None) => Likelihood::Binomial,
    };
    let alpha = 1.0 - spec.confidence;
    let allowed_at = |n: u64| -> u64 {
        match spec.expected {
            Expected::Deviations(k) => k,
            Expected::Rate(r) => ceil_count(n as f64 * r),
        }
    };
    let binomial = search(1, ATTRIBUTE_SEARCH_LIMIT, allowed_at, alpha, |k, n| {
        binomial_cdf(k, n, t)
    });
    let found = match likelihood {
        Likelihood::Binomial => binomial.clone(),
        Likelihood::Poisson => search(1, ATTRIBUTE_SEARCH_LIMIT, allowed_at, alpha, |k, n| {
            poisson_cdf(k, n as f64 * t)
        }),
        Likelihood::Hypergeometric => {
            let big_n = spec
                .population
                .ok_or(DesignError::HypergeometricNeedsPopulation)?;
            let m = ceil_count(t * big_n as f64).min(big_n);
            let k_at_census = allowed_at(big_n);
            if m <= k_at_census.min(big_n) && matches!(spec.expected, Expected::Deviations(_)) {
                return Err(DesignError::AttributeUnreachable {
                    population: big_n,
                    tolerable_deviations: m,
                    allowed: k_at_census,
                });
            }
            match search(1, big_n, allowed_at, alpha, |k, n| {
                hypergeometric_cdf(k, big_n, m, n)
            }) {
                Ok(found) => Ok(found),
                Err(_) => {
                    return Err(DesignError::AttributeUnreachable {
                        population: big_n,
                        tolerable_deviations: m,
                        allowed: k_at_census,
                    })
                }
            }
        }
    }?;
    let (n, allowed_deviations, risk) = found;
    // n0 is the binomial size (no population); when the binomial search itself passed its
    // limit but a finite-population size exists, report n0 as infinite.
    let n0 = binomial
        .map(|(n0, _, _)| n0 as f64)
        .unwrap_or(f64::INFINITY);
    let population_deviations = match likelihood {
        Likelihood::Hypergeometric => spec
            .population
            .map(|big_n| ceil_count(t * big_n as f64).min(big_n)),
        _ => None,
    };
    Ok(AttributeSize {
        n,
        n0,
        allowed_deviations,
        likelihood,
        risk,
        population_deviations,
    })
}

/// Linear search for the smallest n in [from, limit] with cdf(K(n), n) ≤ alpha.
/// Linear because with an expected rate K(n) = ⌈n·R⌉ makes the CDF non-monotone in n.
fn search(
    from: u64,
    limit: u64,
    allowed_at: impl Fn(u64) -> u64,
    alpha: f64,
    cdf: impl Fn(u64, u64) -> f64,
) -> Result<(u64, u64, f64), DesignError> {
    for n in from..=limit {
        let k = allowed_at(n);
        if k >= n {
            continue;
        }
        let p = cdf(k, n);
        if crate::dist::within_risk(p, alpha) {
            return Ok((n, k, p));
        }
    }
    Err(DesignError::SearchLimit { limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn share(margin: f64, population: Option<u64>) -> u64 {
        let mut spec = ShareSpec::new(margin, 0.95);
        spec.population = population;
        share_size(&spec).unwrap().n
    }

    #[test]
    fn a_likelihood_is_found_by_its_name() {
        for l in [
            Likelihood::Binomial,
            Likelihood::Hypergeometric,
            Likelihood::Poisson,
        ] {
            assert_eq!(Likelihood::from_name(l.name()), Some(l));
        }
        assert_eq!(Likelihood::from_name("normal"), None);
    }

    #[test]
    fn cochran_published_values() {
        // The seed case: N = 767, ±5 points at 95 % → 257; ±10 → 86; without N → 385.
        assert_eq!(share(0.05, Some(767)), 257);
        assert_eq!(share(0.10, Some(767)), 86);
        assert_eq!(share(0.05, None), 385);
        // Cochran (1977) example 4.3 style: ±3 points, 95 %, no N → 1068 (z² · 0.25 / 0.0009 = 1067.07).
        assert_eq!(share(0.03, None), 1068);
        let s = share_size(&ShareSpec::new(0.05, 0.95)).unwrap();
        assert!((s.n0 - 384.145_882_069_412_5).abs() < 1e-9);
    }

    #[test]
    fn response_rate_and_relative_margin() {
        let mut spec = ShareSpec::new(0.05, 0.95);
        spec.population = Some(767);
        spec.response_rate = 0.8;
        let s = share_size(&spec).unwrap();
        assert_eq!(s.n_responding, 257);
        assert_eq!(s.n, 322); // ⌈257 / 0.8⌉ = ⌈321.25⌉
        let mut rel = ShareSpec::new(0.2, 0.95);
        rel.relative = true;
        rel.proportion = 0.25;
        // absolute margin 0.05: n0 = 1.96² · 0.1875 / 0.0025 = 288.1
        assert_eq!(share_size(&rel).unwrap().n, 289);
        rel.proportion = 0.0;
        assert!(matches!(
            share_size(&rel),
            Err(DesignError::RelativeMarginNeedsProportion { .. })
        ));
    }

    #[test]
    fn rejects_bad_arguments() {
        for margin in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(share_size(&ShareSpec::new(margin, 0.95)).is_err());
        }
        for c in [0.0, 1.0, 1.5] {
            assert!(share_size(&ShareSpec::new(0.05, c)).is_err());
        }
        let mut spec = ShareSpec::new(0.05, 0.95);
        spec.population = Some(0);
        assert_eq!(
            share_size(&spec),
            Err(DesignError::InvalidPopulation { value: 0 })
        );
    }

    #[test]
    fn margin_is_the_inverse_of_size() {
        let e = share_margin(257, 0.95, 0.5, 1.0, Some(767));
        assert!(e < 0.05 && e > 0.049, "{e}");
        assert_eq!(share_margin(767, 0.95, 0.5, 1.0, Some(767)), 0.0);
        let e = share_margin(385, 0.95, 0.5, 1.0, None);
        assert!(e < 0.05 && e > 0.0499, "{e}");
    }

    fn attribute(t: f64, k: u64, population: Option<u64>) -> AttributeSize {
        attribute_size(&AttributeSpec {
            tolerable_rate: t,
            expected: Expected::Deviations(k),
            confidence: 0.95,
            population,
            likelihood: None,
        })
        .unwrap()
    }

    #[test]
    fn aicpa_table_values() {
        // AICPA Audit Sampling guide, Table A-1 (95 % confidence), zero expected deviations.
        assert_eq!(attribute(0.05, 0, None).n, 59);
        assert_eq!(attribute(0.10, 0, None).n, 29);
        assert_eq!(attribute(0.04, 0, None).n, 74);
        assert_eq!(attribute(0.03, 0, None).n, 99);
        assert_eq!(attribute(0.02, 0, None).n, 149);
        // One expected deviation.
        assert_eq!(attribute(0.05, 1, None).n, 93);
        assert_eq!(attribute(0.10, 1, None).n, 46);
        // Finite population: hypergeometric(767, 77, n) → 28 (the seed case's figure).
        let h = attribute(0.10, 0, Some(767));
        assert_eq!(h.n, 28);
        assert_eq!(h.likelihood, Likelihood::Hypergeometric);
        assert_eq!(h.population_deviations, Some(77));
        assert_eq!(h.n0, 29.0);
    }

    #[test]
    fn poisson_and_expected_rate() {
        let p = attribute_size(&AttributeSpec {
            tolerable_rate: 0.05,
            expected: Expected::Deviations(0),
            confidence: 0.95,
            population: None,
            likelihood: Some(Likelihood::Poisson),
        })
        .unwrap();
        // e^{−0.05 n} ≤ 0.05 ⇔ n ≥ 59.9.
        assert_eq!(p.n, 60);
        let r = attribute_size(&AttributeSpec {
            tolerable_rate: 0.05,
            expected: Expected::Rate(0.01),
            confidence: 0.95,
            population: None,
            likelihood: None,
        })
        .unwrap();
        assert_eq!(r.allowed_deviations, ceil_count(r.n as f64 * 0.01));
        assert!(r.risk <= 0.05);
        assert!(binomial_cdf(ceil_count((r.n - 1) as f64 * 0.01), r.n - 1, 0.05) > 0.05);
    }

    #[test]
    fn unreachable_cases_are_errors() {
        // ⌈0.01 · 50⌉ = 1 deviation in the population, K = 1 allowed: a census cannot help.
        assert!(matches!(
            attribute_size(&AttributeSpec {
                tolerable_rate: 0.01,
                expected: Expected::Deviations(1),
                confidence: 0.95,
                population: Some(50),
                likelihood: None,
            }),
            Err(DesignError::AttributeUnreachable { .. })
        ));
        assert!(matches!(
            attribute_size(&AttributeSpec {
                tolerable_rate: 0.05,
                expected: Expected::Rate(0.05),
                confidence: 0.95,
                population: None,
                likelihood: None,
            }),
            Err(DesignError::ExpectedNotBelowTolerable { .. })
        ));
        assert_eq!(
            attribute_size(&AttributeSpec {
                tolerable_rate: 0.05,
                expected: Expected::Deviations(0),
                confidence: 0.95,
                population: None,
                likelihood: Some(Likelihood::Hypergeometric),
            }),
            Err(DesignError::HypergeometricNeedsPopulation)
        );
    }

    proptest! {
        #[test]
        fn share_size_non_increasing_in_margin(e1 in 0.005f64..0.5, e2 in 0.005f64..0.5,
                                               big_n in proptest::option::of(1u64..1_000_000),
                                               p in 0.0f64..=1.0) {
            let (small, large) = if e1 <= e2 { (e1, e2) } else { (e2, e1) };
            let mut a = ShareSpec::new(small, 0.95);
            a.population = big_n;
            a.proportion = p;
            let mut b = a.clone();
            b.margin = large;
            let na = share_size(&a).unwrap().n;
            let nb = share_size(&b).unwrap().n;
            prop_assert!(na >= nb);
            if let Some(big_n) = big_n {
                prop_assert!(na <= big_n);
            }
            prop_assert!(nb >= 1);
        }

        #[test]
        fn share_size_with_response_rate_never_exceeds_population(
            e in 0.005f64..0.5, big_n in 1u64..100_000, r in 0.05f64..=1.0) {
            let mut a = ShareSpec::new(e, 0.95);
            a.population = Some(big_n);
            a.response_rate = r;
            let s = share_size(&a).unwrap();
            prop_assert!(s.n <= big_n);
            prop_assert!(s.n >= s.n_responding.min(big_n));
        }

        #[test]
        fn share_size_non_decreasing_in_confidence(c1 in 0.5f64..0.999, c2 in 0.5f64..0.999) {
            let (lo, hi) = if c1 <= c2 { (c1, c2) } else { (c2, c1) };
            let a = share_size(&ShareSpec::new(0.05, lo)).unwrap().n;
            let b = share_size(&ShareSpec::new(0.05, hi)).unwrap().n;
            prop_assert!(a <= b);
        }

        #[test]
        fn attribute_size_is_minimal_and_within_population(t in 0.02f64..0.3, k in 0u64..4,
                                                           big_n in proptest::option::of(200u64..5000)) {
            let spec = AttributeSpec { tolerable_rate: t, expected: Expected::Deviations(k),
                                       confidence: 0.95, population: big_n, likelihood: None };
            match attribute_size(&spec) {
                Ok(s) => {
                    prop_assert!(s.risk <= 0.05);
                    if let Some(big_n) = big_n {
                        prop_assert!(s.n <= big_n);
                        prop_assert!((s.n as f64) <= s.n0);
                    }
                    if s.n > k + 1 {
                        let prev = match (s.likelihood, big_n) {
                            (Likelihood::Hypergeometric, Some(big_n)) =>
                                hypergeometric_cdf(k, big_n, ceil_count(t * big_n as f64), s.n - 1),
                            _ => binomial_cdf(k, s.n - 1, t),
                        };
                        prop_assert!(prev > 0.05);
                    }
                }
                Err(e) => {
                    let unreachable = matches!(e, DesignError::AttributeUnreachable { .. });
                    prop_assert!(unreachable, "{:?}", e);
                }
            }
        }

        #[test]
        fn attribute_size_non_increasing_in_tolerable_rate(t1 in 0.01f64..0.3, t2 in 0.01f64..0.3, k in 0u64..3) {
            let (lo, hi) = if t1 <= t2 { (t1, t2) } else { (t2, t1) };
            let a = attribute(lo, k, None).n;
            let b = attribute(hi, k, None).n;
            prop_assert!(a >= b);
        }
    }
}
