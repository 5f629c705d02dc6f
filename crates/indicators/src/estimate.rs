//! Estimates for every kind of indicator, from merged tallies: over a full extract (census)
//! or from a stratified simple random sample with the design's N_h and the responding n_h.
//!
//! A sample indicator is a *domain* estimate: its `where` (and a breakdown such as sex that
//! cuts across strata) picks n_dh of the r_h responding records of stratum h. The domain's
//! size in the stratum is estimated as N̂_dh = N_h·n_dh/r_h and its weight is
//! W_h = N̂_dh/Σ N̂_dh; when the domain is the whole stratum, N̂_dh = N_h (Cochran 1977,
//! §2.13 and §5A.14; Lohr 2019, §4.3). The sampling fraction stays f_h = r_h/N_h.

use crate::spec::Kind;
use crate::{census_share, stratified_share, stratum_share, Estimate, StratumSample, Tally};
use rustc_hash::FxHashMap;
use urval_design::dist::t_two_sided;
use urval_design::z_two_sided;

/// One stratum's part of a domain in a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainStratum<'a> {
    /// N_h, the stratum's population in the design.
    pub population: u64,
    /// r_h, the stratum's responding records (manifest keys found).
    pub responding: u64,
    /// The domain's tally in the stratum.
    pub tally: Tally,
    /// The domain's distinct values with their counts, ascending (medians only; empty
    /// otherwise): see [`Histogram`].
    pub values: &'a [(f64, u64)],
}

impl DomainStratum<'_> {
    /// N̂_dh = N_h·n_dh/r_h.
    fn domain_population(&self, n: u64) -> f64 {
        if self.responding == 0 {
            0.0
        } else {
            self.population as f64 * n as f64 / self.responding as f64
        }
    }
}

fn plain(estimate: f64, method: &'static str) -> Estimate {
    Estimate {
        estimate,
        lower: None,
        upper: None,
        se: 0.0,
        method,
        deff: None,
        caution: None,
    }
}

/// Caution for a mean from few or skewed records: fewer than 2 records in a stratum (no
/// variance estimate there), or fewer than 30 in all with |skewness| > 1, where the
/// t interval's normal approximation is poor (Cochran 1977 §2.15 gives n > 25·G1² as the
/// rule of thumb; 30 and 1 are the usual simplification).
pub const CAUTION_FEW_PER_STRATUM: &str = "fewer than 2 records in a stratum";
/// See [`CAUTION_FEW_PER_STRATUM`].
pub const CAUTION_SMALL_SKEWED: &str = "fewer than 30 records and skewed (|skewness| > 1)";

fn mean_caution(per_stratum: &[u64], all: &Tally) -> Option<&'static str> {
    if per_stratum.iter().any(|&n| n < 2) {
        Some(CAUTION_FEW_PER_STRATUM)
    } else if all.n < 30 && all.skewness().is_some_and(|g| g.abs() > 1.0) {
        Some(CAUTION_SMALL_SKEWED)
    } else {
        None
    }
}

/// An exact, mergeable summary of a group's values for medians: each distinct value with
/// its count. Whole numbers 0–16,383 (days, pages) are counted in a dense array, anything
/// else in a hash map; merging adds counts, so chunks tallied in parallel merge to the
/// histogram of all rows. Memory grows with the range of values, not with the rows.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    dense: Vec<u32>,
    sparse: FxHashMap<u64, u64>,
}

/// Whole numbers below this are counted densely.
const DENSE_LIMIT: f64 = 16_384.0;

impl Histogram {
    /// No value counted.
    pub fn is_empty(&self) -> bool {
        self.dense.iter().all(|&c| c == 0) && self.sparse.values().all(|&c| c == 0)
    }

    /// The map key of a value: its bits byte-swapped. Whole numbers have all their
    /// varying bits at the top of the f64; swapped, they reach the low bits that the table
    /// indexes by (unswapped, every whole number collides).
    #[inline]
    fn key(x: f64) -> u64 {
        let x = if x == 0.0 { 0.0 } else { x }; // −0 counts as 0
        x.to_bits().swap_bytes()
    }

    #[inline]
    fn add_count(&mut self, x: f64, c: u64) {
        if (0.0..DENSE_LIMIT).contains(&x) && x.fract() == 0.0 {
            let i = x as usize;
            if i >= self.dense.len() {
                self.dense.resize(i + 1, 0);
            }
            match u32::try_from(u64::from(self.dense[i]) + c) {
                Ok(v) => self.dense[i] = v,
                // A count past u32: the excess goes to the map (exact either way).
                Err(_) => *self.sparse.entry(Self::key(x)).or_insert(0) += c,
            }
        } else {
            *self.sparse.entry(Self::key(x)).or_insert(0) += c;
        }
    }

    /// Count one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.add_count(x, 1);
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, o: &Histogram) {
        if self.dense.len() < o.dense.len() {
            self.dense.resize(o.dense.len(), 0);
        }
        for (i, &c) in o.dense.iter().enumerate() {
            if c > 0 {
                self.add_count(i as f64, u64::from(c));
            }
        }
        for (&k, &c) in &o.sparse {
            *self.sparse.entry(k).or_insert(0) += c;
        }
    }

    /// The distinct values with their counts, ascending.
    pub fn sorted(&self) -> Vec<(f64, u64)> {
        let mut v: Vec<(f64, u64)> = self
            .sparse
            .iter()
            .map(|(&k, &c)| (f64::from_bits(k.swap_bytes()), c))
            .collect();
        v.extend(
            self.dense
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| (i as f64, u64::from(c))),
        );
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        // A whole number can be in both parts (after an overflow): one entry each.
        let mut out: Vec<(f64, u64)> = Vec::with_capacity(v.len());
        for (x, c) in v {
            match out.last_mut() {
                Some(last) if last.0 == x => last.1 += c,
                _ => out.push((x, c)),
            }
        }
        out
    }
}

/// Merge sorted (value, count) lists into one.
pub fn merge_counts(lists: &[&[(f64, u64)]]) -> Vec<(f64, u64)> {
    let mut h = Histogram::default();
    for l in lists {
        for &(v, c) in *l {
            h.add_count(v, c);
        }
    }
    h.sorted()
}

/// The k-th smallest value (1-based) of sorted (value, count) pairs.
pub fn order_statistic(v: &[(f64, u64)], k: u64) -> Option<f64> {
    let mut acc = 0u64;
    for &(x, c) in v {
        acc += c;
        if acc >= k {
            return Some(x);
        }
    }
    None
}

/// The median of sorted (value, count) pairs: the middle value, or the mean of the two
/// middle values.
pub fn median_counts(v: &[(f64, u64)]) -> Option<f64> {
    let n: u64 = v.iter().map(|p| p.1).sum();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        order_statistic(v, n.div_ceil(2))
    } else {
        Some((order_statistic(v, n / 2)? + order_statistic(v, n / 2 + 1)?) / 2.0)
    }
}

/// A census estimate (exact). With a confidence, an interval treating the records as the
/// outcome of a process: Wilson for a share (Wilson 1927), Student's t for a mean, the
/// distribution-free order-statistic interval for a median (ranks n/2 ∓ z√n/2, the normal
/// approximation to the binomial(n, ½) rank distribution; Conover 1999, §3.2). A count has
/// no interval. `values` are the distinct values with their counts, ascending (medians only).
pub fn census(
    kind: Kind,
    t: &Tally,
    values: &[(f64, u64)],
    confidence: Option<f64>,
) -> Option<Estimate> {
    match kind {
        Kind::Count => Some(plain(t.n as f64, "census")),
        _ if t.n == 0 => None,
        Kind::Share => census_share(t, confidence),
        Kind::Mean => {
            let n = t.n as f64;
            let mean = t.sum / n;
            let Some(c) = confidence else {
                return Some(plain(mean, "census"));
            };
            if t.n < 2 {
                return Some(plain(mean, "census"));
            }
            let var = ((t.sum_sq - n * mean * mean) / (n - 1.0)).max(0.0);
            let se = (var / n).sqrt();
            let h = t_two_sided(c, n - 1.0) * se;
            Some(Estimate {
                estimate: mean,
                lower: Some(mean - h),
                upper: Some(mean + h),
                se,
                method: "t",
                deff: None,
                caution: mean_caution(&[t.n], t),
            })
        }
        Kind::Median => {
            let m = median_counts(values)?;
            let Some(c) = confidence else {
                return Some(plain(m, "census"));
            };
            let count: u64 = values.iter().map(|p| p.1).sum();
            let n = count as f64;
            let h = z_two_sided(c) * n.sqrt() / 2.0;
            let lo = ((n / 2.0 - h).floor().max(1.0) as u64).min(count);
            let hi = ((n / 2.0 + h).ceil() as u64 + 1).clamp(1, count);
            Some(Estimate {
                estimate: m,
                lower: Some(order_statistic(values, lo)?.min(m)),
                upper: Some(order_statistic(values, hi)?.max(m)),
                se: 0.0,
                method: "order-statistic",
                deff: None,
                caution: None,
            })
        }
    }
}

/// A design-based estimate of an indicator from its domain in each stratum.
///
/// - share: one stratum → p̂ with the Clopper–Pearson interval at the effective size under the
///   finite population correction ([`stratum_share`], N̂_dh rounded); several →
///   [`stratified_share`] (Σ W_h p̂_h, linearised variance, Korn–Graubard, design effect).
/// - mean: ȳ = Σ W_h ȳ_h with the linearised variance of the domain ratio
///   ([`crate::linearised_variance`]; Cochran 1977 eq. 5.7 when the domain is whole strata),
///   Student's t with Σ n_dh − H degrees of freedom; a `caution` for few or skewed records.
/// - count: the domain total N̂_d = Σ N_h·n_dh/r_h, V = Σ N_h² (1 − f_h) p_h(1 − p_h)/(r_h − 1)
///   with p_h = n_dh/r_h (Cochran 1977 eq. 5.28 for a 0/1 variable), normal interval,
///   never below the records seen.
/// - median: the weighted median (weights N_h/r_h) with Woodruff's interval: the weighted
///   quantiles at ½ ∓ z·se(F̂(m̂)), se from the stratified share of y ≤ m̂
///   (Woodruff 1952, *JASA* 47:635–646; as R's `svyquantile`).
pub fn sample(kind: Kind, strata: &[DomainStratum], confidence: f64) -> Option<Estimate> {
    match kind {
        Kind::Count => sample_count(strata, confidence),
        Kind::Share => {
            let used: Vec<&DomainStratum> = strata.iter().filter(|s| s.tally.n > 0).collect();
            match used.as_slice() {
                [] => None,
                [one] => {
                    let n = one.tally.n;
                    let big = (one.domain_population(n).round() as u64).max(n);
                    stratum_share(one.tally.successes, n, big, confidence)
                }
                many => {
                    let s: Vec<StratumSample> = many
                        .iter()
                        .map(|d| StratumSample {
                            population: d.population,
                            responding: d.responding.max(d.tally.n),
                            n: d.tally.n,
                            successes: d.tally.successes,
                        })
                        .collect();
                    stratified_share(&s, confidence)
                }
            }
        }
        Kind::Mean => sample_mean(strata, confidence),
        Kind::Median => sample_median(strata, confidence),
    }
}

fn sample_mean(strata: &[DomainStratum], confidence: f64) -> Option<Estimate> {
    let used: Vec<&DomainStratum> = strata.iter().filter(|s| s.tally.n > 0).collect();
    let total: f64 = used.iter().map(|d| d.domain_population(d.tally.n)).sum();
    if used.is_empty() || total <= 0.0 {
        return None;
    }
    let mut mean = 0.0;
    let mut all = Tally::default();
    for d in &used {
        mean += d.domain_population(d.tally.n) / total * (d.tally.sum / d.tally.n as f64);
        all.merge(&d.tally);
    }
    let cells: Vec<(u64, u64, u64, f64, f64)> = used
        .iter()
        .map(|d| {
            (
                d.population,
                d.responding.max(d.tally.n),
                d.tally.n,
                d.tally.sum,
                d.tally.sum_sq,
            )
        })
        .collect();
    let v = crate::linearised_variance(&cells, mean, total);
    let df = all.n as f64 - used.len() as f64;
    let se = v.sqrt();
    let q = if df > 0.0 {
        t_two_sided(confidence, df)
    } else {
        z_two_sided(confidence)
    };
    let per_stratum: Vec<u64> = used.iter().map(|d| d.tally.n).collect();
    Some(Estimate {
        estimate: mean,
        lower: Some(mean - q * se),
        upper: Some(mean + q * se),
        se,
        method: "stratified-t",
        deff: None,
        caution: mean_caution(&per_stratum, &all),
    })
}

fn sample_count(strata: &[DomainStratum], confidence: f64) -> Option<Estimate> {
    let used: Vec<&DomainStratum> = strata.iter().filter(|s| s.responding > 0).collect();
    if used.is_empty() {
        return None;
    }
    let (mut total, mut v, mut seen) = (0.0, 0.0, 0.0);
    for d in &used {
        let big = d.population as f64;
        let r = d.responding as f64;
        let p = d.tally.n as f64 / r;
        total += big * p;
        seen += d.tally.n as f64;
        if d.responding > 1 {
            let f = (r / big).min(1.0);
            v += big * big * (1.0 - f) * p * (1.0 - p) / (r - 1.0);
        }
    }
    let se = v.sqrt();
    let h = z_two_sided(confidence) * se;
    Some(Estimate {
        estimate: total,
        lower: Some((total - h).max(seen)),
        upper: Some(total + h),
        se,
        method: "stratified-total",
        deff: None,
        caution: used
            .iter()
            .any(|d| d.responding < 2)
            .then_some(CAUTION_FEW_PER_STRATUM),
    })
}

/// How strata with no responding record enter an estimate (`--nonresponse`).
///
/// Within a stratum, the records that came back are taken as a simple random sample of the
/// drawn ones (missing at random within strata); the weights N_h/r_h carry that assumption.
/// A stratum where *no* record came back gives no information at all, so nothing can be
/// assumed about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonresponse {
    /// Keep the point estimate of the responding strata and widen the interval to the worst
    /// case for the missing population ([`widen_for_missing`]); marked `incomplete`.
    Bounds,
    /// Leave the missing strata out (the estimate describes the responding strata only);
    /// marked `dropped`, with the population share it leaves out.
    Drop,
}

/// Widen an estimate for a missing population of (at most) `missing` units next to an
/// estimated `observed` population of the domain in the responding strata: the worst-case
/// (Manski) bounds, where the missing units may all be in the domain and may all be
/// successes or all failures (Manski 1989, *J. Human Resources* 24:343–360; Horowitz &
/// Manski 2000, *JASA* 95:77–84).
///
/// - share: [L·R/(R + M), (U·R + M)/(R + M)], R = `observed`, M = `missing`;
/// - count (a domain total): [L, U + M];
/// - mean and median: no bound without assumptions on the values' range: None.
pub fn widen_for_missing(kind: Kind, est: Estimate, observed: f64, missing: f64) -> Estimate {
    let mut e = est;
    match kind {
        Kind::Share => {
            let t = observed + missing;
            if t > 0.0 {
                e.lower = est.lower.map(|l| l * observed / t);
                e.upper = est.upper.map(|u| (u * observed + missing) / t);
            }
        }
        Kind::Count => e.upper = est.upper.map(|u| u + missing),
        Kind::Mean | Kind::Median => {
            e.lower = None;
            e.upper = None;
        }
    }
    e
}

/// The weighted quantile: the smallest value whose cumulative weight reaches q of the total.
fn weighted_quantile(pairs: &[(f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if pairs.is_empty() || total <= 0.0 {
        return None;
    }
    let target = q.clamp(0.0, 1.0) * total;
    let mut acc = 0.0;
    for &(v, w) in pairs {
        acc += w;
        if acc >= target - 1e-9 * total {
            return Some(v);
        }
    }
    pairs.last().map(|p| p.0)
}

fn sample_median(strata: &[DomainStratum], confidence: f64) -> Option<Estimate> {
    let used: Vec<&DomainStratum> = strata.iter().filter(|s| !s.values.is_empty()).collect();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for d in &used {
        let w = d.population as f64 / d.responding.max(1) as f64;
        pairs.extend(d.values.iter().map(|&(v, c)| (v, w * c as f64)));
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let m = weighted_quantile(&pairs, 0.5)?;
    // se of F̂(m̂): the stratified share of y ≤ m̂ over the same domains.
    let shares: Vec<StratumSample> = used
        .iter()
        .map(|d| {
            let n: u64 = d.values.iter().map(|p| p.1).sum();
            StratumSample {
                population: d.population,
                responding: d.responding.max(n),
                n,
                successes: d.values.iter().filter(|p| p.0 <= m).map(|p| p.1).sum(),
            }
        })
        .collect();
    let se = stratified_share(&shares, confidence).map_or(0.0, |e| e.se);
    let h = z_two_sided(confidence) * se;
    let lower = weighted_quantile(&pairs, 0.5 - h)?;
    let upper = weighted_quantile(&pairs, 0.5 + h)?;
    Some(Estimate {
        estimate: m,
        lower: Some(lower.min(m)),
        upper: Some(upper.max(m)),
        se,
        method: "woodruff",
        deff: None,
        caution: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn tally(values: &[f64]) -> Tally {
        let mut t = Tally::default();
        for &v in values {
            t.add_value(v);
        }
        t
    }

    fn counts(values: &[f64]) -> Vec<(f64, u64)> {
        let mut h = Histogram::default();
        for &v in values {
            h.add(v);
        }
        h.sorted()
    }

    #[test]
    fn census_kinds() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let t = tally(&v);
        assert_eq!(census(Kind::Mean, &t, &[], None).unwrap().estimate, 4.0);
        assert_eq!(
            census(Kind::Median, &t, &counts(&v), None)
                .unwrap()
                .estimate,
            3.0
        );
        assert_eq!(median_counts(&counts(&[1.0, 2.0, 3.0, 4.0])), Some(2.5));
        assert_eq!(median_counts(&[(1.0, 2), (5.0, 2)]), Some(3.0));
        assert_eq!(median_counts(&[(1.0, 3), (5.0, 2)]), Some(1.0));
        assert_eq!(median_counts(&[]), None);
        assert_eq!(census(Kind::Count, &t, &[], None).unwrap().estimate, 5.0);
        // Mean with a t interval: s² = (130 − 5·16)/4 = 12.5, se = √(12.5/5), t(4) = 2.776445.
        let e = census(Kind::Mean, &t, &[], Some(0.95)).unwrap();
        assert_relative_eq!(e.se, 2.5_f64.sqrt(), epsilon = 1e-12);
        assert_relative_eq!(
            e.upper.unwrap(),
            4.0 + 2.776_445_105 * 2.5_f64.sqrt(),
            epsilon = 1e-6
        );
        // Median interval of 1..=100: ranks 50 ∓ 9.8 → x(40) and x(61).
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        let e = census(
            Kind::Median,
            &tally(&hundred),
            &counts(&hundred),
            Some(0.95),
        )
        .unwrap();
        assert_eq!(
            (e.estimate, e.lower, e.upper),
            (50.5, Some(40.0), Some(61.0))
        );
        assert!(census(Kind::Share, &Tally::default(), &[], None).is_none());
    }

    proptest::proptest! {
        #[test]
        fn histograms_merge_and_give_the_sorted_median(v in proptest::collection::vec(-50i32..40_000, 1..200), cut in 0usize..200) {
            // Halves, negatives and numbers past the dense range go to the map; whole
            // numbers below it to the array.
            let xs: Vec<f64> = v.iter().map(|&x| f64::from(x) / 2.0).collect();
            let cut = cut.min(xs.len());
            let mut a = Histogram::default();
            let mut b = Histogram::default();
            xs[..cut].iter().for_each(|&x| a.add(x));
            xs[cut..].iter().for_each(|&x| b.add(x));
            a.merge(&b);
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let want = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
            proptest::prop_assert_eq!(median_counts(&a.sorted()), Some(want));
            proptest::prop_assert_eq!(a.sorted(), counts(&xs));
        }
    }

    #[test]
    fn a_count_past_u32_stays_exact() {
        let mut h = Histogram::default();
        h.add_count(7.0, u64::from(u32::MAX) - 1);
        h.add_count(7.0, 5);
        h.add(3.0);
        assert_eq!(h.sorted(), vec![(3.0, 1), (7.0, u64::from(u32::MAX) + 4)]);
        let mut g = Histogram::default();
        g.merge(&h);
        g.merge(&h);
        assert_eq!(
            g.sorted(),
            vec![(3.0, 2), (7.0, 2 * (u64::from(u32::MAX) + 4))]
        );
        assert_eq!(
            merge_counts(&[&[(1.5, 2)], &[(1.5, 1), (2.0, 1)]]),
            vec![(1.5, 3), (2.0, 1)]
        );
    }

    #[test]
    fn a_domain_that_is_the_whole_stratum_is_the_stratum_estimate() {
        let t = Tally {
            n: 100,
            successes: 30,
            ..Tally::default()
        };
        let d = [DomainStratum {
            population: 400,
            responding: 100,
            tally: t,
            values: &[],
        }];
        assert_eq!(
            sample(Kind::Share, &d, 0.95),
            stratum_share(30, 100, 400, 0.95)
        );
        // Count: the whole stratum is in the domain, so the total is N_h with no variance.
        let e = sample(Kind::Count, &d, 0.95).unwrap();
        assert_eq!((e.estimate, e.se), (400.0, 0.0));
    }

    #[test]
    fn stratified_mean_and_count_hand_computed() {
        // Stratum 1: N = 600, r = 60, domain rows 30 with values summing 300 (ȳ = 10, s² = 4).
        // Stratum 2: N = 400, r = 40, domain rows 40, ȳ = 20, s² = 9.
        let t1 = Tally {
            n: 30,
            sum: 300.0,
            sum_sq: 30.0 * 100.0 + 29.0 * 4.0,
            ..Tally::default()
        };
        let t2 = Tally {
            n: 40,
            sum: 800.0,
            sum_sq: 40.0 * 400.0 + 39.0 * 9.0,
            ..Tally::default()
        };
        let d = [
            DomainStratum {
                population: 600,
                responding: 60,
                tally: t1,
                values: &[],
            },
            DomainStratum {
                population: 400,
                responding: 40,
                tally: t2,
                values: &[],
            },
        ];
        // N̂_d1 = 600·30/60 = 300, N̂_d2 = 400: W = 3/7, 4/7; ȳ = (3·10 + 4·20)/7.
        let e = sample(Kind::Mean, &d, 0.95).unwrap();
        assert_relative_eq!(e.estimate, 110.0 / 7.0, epsilon = 1e-12);
        // Linearised: z_i = d_i (y_i − ȳ)/N̂_d over all r_h records. Stratum 1 (half in the
        // domain): Σz = (300 − 30ȳ)/700, Σz² = (29·4 + 30(10 − ȳ)²)/700²; stratum 2 (whole):
        // s²_z = 9/700². The fixed-count formula (3/7)²·0.9·4/30 + (4/7)²·0.9·9/40 leaves out
        // the spread of the domain's count in stratum 1.
        let ybar = 110.0 / 7.0;
        let (sz, szz) = (
            (300.0 - 30.0 * ybar) / 700.0,
            (29.0 * 4.0 + 30.0 * (10.0f64 - ybar).powi(2)) / 490_000.0,
        );
        let s2_1 = (szz - sz * sz / 60.0) / 59.0;
        let v = 600.0f64.powi(2) * 0.9 * s2_1 / 60.0 + (4.0f64 / 7.0).powi(2) * 0.9 * 9.0 / 40.0;
        assert_relative_eq!(e.se, v.sqrt(), epsilon = 1e-12);
        let fixed_count =
            (3.0f64 / 7.0).powi(2) * 0.9 * 4.0 / 30.0 + (4.0f64 / 7.0).powi(2) * 0.9 * 9.0 / 40.0;
        assert!(e.se > fixed_count.sqrt());
        // Count: 600·0.5 + 400·1 = 700; V = 600²·0.9·0.25/59 (+0 for p = 1).
        let e = sample(Kind::Count, &d, 0.95).unwrap();
        assert_relative_eq!(e.estimate, 700.0, epsilon = 1e-12);
        assert_relative_eq!(
            e.se,
            (360_000.0 * 0.9 * 0.25 / 59.0_f64).sqrt(),
            epsilon = 1e-9
        );
        assert!(e.lower.unwrap() >= 70.0);
    }

    #[test]
    fn weighted_median_with_woodruff_interval() {
        // Odd values in one stratum, even in the other (they overlap, so F̂(m̂) varies).
        let a: Vec<f64> = (0..50).map(|i| f64::from(2 * i + 1)).collect();
        let b: Vec<f64> = (0..50).map(|i| f64::from(2 * i + 2)).collect();
        let (ca, cb) = (counts(&a), counts(&b));
        // Equal weights: the median is the 50th of 1..=100 = 50.
        let d = [
            DomainStratum {
                population: 500,
                responding: 50,
                tally: tally(&a),
                values: &ca,
            },
            DomainStratum {
                population: 500,
                responding: 50,
                tally: tally(&b),
                values: &cb,
            },
        ];
        let e = sample(Kind::Median, &d, 0.95).unwrap();
        assert_eq!(e.estimate, 50.0);
        assert!(e.lower.unwrap() < 50.0 && e.upper.unwrap() > 50.0, "{e:?}");
        // Separated strata (1..=50 and 101..=150): F̂(m̂) has no sampling variance.
        let low = counts(&(1..=50).map(f64::from).collect::<Vec<_>>());
        let high = counts(&(101..=150).map(f64::from).collect::<Vec<_>>());
        let mut d2 = d.clone();
        d2[0].values = &low;
        d2[1].values = &high;
        let e = sample(Kind::Median, &d2, 0.95).unwrap();
        assert_eq!((e.estimate, e.se), (50.0, 0.0));
        // Triple the weight of the high stratum: the median moves into it.
        d2[1].population = 1500;
        let e = sample(Kind::Median, &d2, 0.95).unwrap();
        assert!(e.estimate > 100.0, "{e:?}");
    }

    /// The linearised variance from tallies equals the textbook computation on the records:
    /// z_i = d_i (y_i − θ̂)/N̂_d for every responding record (0 outside the domain), its sample
    /// variance per stratum, V = Σ N_h² (1 − f_h) s²_z/r_h.
    #[test]
    fn linearised_variance_equals_the_record_level_computation() {
        // (N_h, records: (in domain, value)).
        let strata: Vec<(u64, Vec<(bool, f64)>)> = vec![
            (
                500,
                (0..40).map(|i| (i % 3 != 0, f64::from(i % 7))).collect(),
            ),
            (
                120,
                (0..25)
                    .map(|i| (i % 2 == 0, f64::from(i * i % 11)))
                    .collect(),
            ),
            (
                900,
                (0..60).map(|i| (i % 5 < 2, f64::from(3 + i % 4))).collect(),
            ),
        ];
        let mut cells = Vec::new();
        let (mut yhat, mut nd) = (0.0, 0.0);
        for (big, recs) in &strata {
            let w = *big as f64 / recs.len() as f64;
            let dom: Vec<f64> = recs.iter().filter(|r| r.0).map(|r| r.1).collect();
            yhat += w * dom.iter().sum::<f64>();
            nd += w * dom.len() as f64;
            let t = tally(&dom);
            cells.push((*big, recs.len() as u64, t.n, t.sum, t.sum_sq));
        }
        let theta = yhat / nd;
        let mut want = 0.0;
        for (big, recs) in &strata {
            let z: Vec<f64> = recs
                .iter()
                .map(|&(d, y)| if d { (y - theta) / nd } else { 0.0 })
                .collect();
            let r = z.len() as f64;
            let mean = z.iter().sum::<f64>() / r;
            let s2 = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0);
            want += (*big as f64).powi(2) * (1.0 - r / *big as f64) * s2 / r;
        }
        let got = crate::linearised_variance(&cells, theta, nd);
        assert_relative_eq!(got, want, max_relative = 1e-10);
        // The same domain through the estimator: its se is √V.
        let d: Vec<(Vec<f64>, Tally)> = strata
            .iter()
            .map(|(_, recs)| {
                let dom: Vec<f64> = recs.iter().filter(|r| r.0).map(|r| r.1).collect();
                let t = tally(&dom);
                (dom, t)
            })
            .collect();
        let ds: Vec<DomainStratum> = strata
            .iter()
            .zip(&d)
            .map(|((big, recs), (_, t))| DomainStratum {
                population: *big,
                responding: recs.len() as u64,
                tally: *t,
                values: &[],
            })
            .collect();
        let e = sample(Kind::Mean, &ds, 0.95).unwrap();
        assert_relative_eq!(e.estimate, theta, max_relative = 1e-12);
        assert_relative_eq!(e.se, want.sqrt(), max_relative = 1e-10);
    }

    #[test]
    fn small_or_skewed_means_carry_a_caution() {
        let skewed = tally(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 50.0]);
        assert!(skewed.skewness().unwrap() > 1.0);
        let e = census(Kind::Mean, &skewed, &[], Some(0.95)).unwrap();
        assert_eq!(e.caution, Some(CAUTION_SMALL_SKEWED));
        let even = tally(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            census(Kind::Mean, &even, &[], Some(0.95)).unwrap().caution,
            None
        );
        let one = [
            DomainStratum {
                population: 50,
                responding: 10,
                tally: tally(&[3.0]),
                values: &[],
            },
            DomainStratum {
                population: 50,
                responding: 10,
                tally: even,
                values: &[],
            },
        ];
        assert_eq!(
            sample(Kind::Mean, &one, 0.95).unwrap().caution,
            Some(CAUTION_FEW_PER_STRATUM)
        );
    }

    #[test]
    fn missing_strata_widen_to_the_worst_case() {
        let e = Estimate {
            estimate: 0.3,
            lower: Some(0.2),
            upper: Some(0.4),
            se: 0.05,
            method: "korn-graubard",
            deff: None,
            caution: None,
        };
        // 900 observed, 100 missing: [0.2·0.9, 0.4·0.9 + 0.1].
        let w = widen_for_missing(Kind::Share, e, 900.0, 100.0);
        assert_relative_eq!(w.lower.unwrap(), 0.18, epsilon = 1e-15);
        assert_relative_eq!(w.upper.unwrap(), 0.46, epsilon = 1e-15);
        assert_eq!(w.estimate, 0.3);
        let c = widen_for_missing(
            Kind::Count,
            Estimate {
                estimate: 500.0,
                lower: Some(450.0),
                upper: Some(550.0),
                ..e
            },
            900.0,
            100.0,
        );
        assert_eq!((c.lower, c.upper), (Some(450.0), Some(650.0)));
        assert_eq!(widen_for_missing(Kind::Mean, e, 900.0, 100.0).upper, None);
    }
}
