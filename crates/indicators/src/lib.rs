//! # urval-indicators — tallies and estimates
//!
//! This room owns what an indicator's rows reduce to and what is estimated from them:
//!
//! - [`Tally`]: the mergeable per-group summary (records, successes, sums, sums of squares,
//!   skipped rows). Chunks are tallied in parallel and merged; merging in a fixed chunk
//!   order makes the result independent of the thread count.
//! - [`census_share`]: a share over a full extract (exact; a Wilson interval only when asked,
//!   treating the records as the outcome of a process).
//! - [`stratum_share`]: one stratum of a simple random sample: p̂_h with a Clopper–Pearson interval
//!   that accounts for the finite population correction through the effective sample size
//!   n_h(N_h − 1)/(N_h − n_h).
//! - [`stratified_share`]: across strata, p̂ = Σ W_h p̂_h for a stratum or a domain that cuts
//!   strata, with the linearised variance ([`linearised_variance`]), the Korn–Graubard
//!   interval as published ([`korn_graubard`]: n* capped at n, (t_{n−1}/t_df)²) and the
//!   design effect.
//!
//! - [`estimate`]: every kind (share, mean, median, count) over a census or a stratified
//!   sample, with domains.
//! - [`spec`]: the indicator spec (TOML) with its expressions parsed.
//! - [`suppress`]: small-cell suppression of a table before it is published (threshold rule,
//!   hypercube secondary suppression, certificate and linear-programming audits).
//!
//! The estimators are pure functions over plain numbers: no I/O, no dataframe.
//!
//! ```
//! use urval_indicators::{stratified_share, StratumSample};
//! // Two strata: 30 of 40 drawn from 400 answer yes, 10 of 20 drawn from 100.
//! let strata = [
//!     StratumSample { population: 400, responding: 40, n: 40, successes: 30 },
//!     StratumSample { population: 100, responding: 20, n: 20, successes: 10 },
//! ];
//! let e = stratified_share(&strata, 0.95).unwrap();
//! // p = (400·0.75 + 100·0.5) / 500 = 0.70
//! assert!((e.estimate - 0.70).abs() < 1e-12);
//! assert!(e.lower.unwrap() < 0.70 && 0.70 < e.upper.unwrap());
//! ```
#![forbid(unsafe_code)]

pub mod engine;
pub mod estimate;
pub mod spec;
pub mod suppress;

use serde::{Deserialize, Serialize};
use urval_design::dist::{beta_quantile, t_two_sided};
use urval_design::wilson;

/// A mergeable summary of one group's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Rows in the indicator's population (counted, not skipped).
    pub n: u64,
    /// Rows where a share's expression is true.
    pub successes: u64,
    /// Σ x for a mean.
    pub sum: f64,
    /// Σ x² for a mean's variance.
    pub sum_sq: f64,
    /// Σ x³ for the skewness behind a small-sample caution.
    pub sum_cu: f64,
    /// Rows whose value was NULL and skipped.
    pub skipped: u64,
}

impl Tally {
    /// Count one row of a share.
    #[inline]
    pub fn add_share(&mut self, success: bool) {
        self.n += 1;
        self.successes += u64::from(success);
    }

    /// Count `yes` rows where a share's expression holds and `no` where it does not.
    #[inline]
    pub fn add_shares(&mut self, yes: u64, no: u64) {
        self.n += yes + no;
        self.successes += yes;
    }

    /// Count one value of a mean.
    #[inline]
    pub fn add_value(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
        self.sum_cu += x * x * x;
    }

    /// Count one skipped (NULL) row.
    #[inline]
    pub fn add_skipped(&mut self) {
        self.skipped += 1;
    }

    /// Merge another tally of the same group.
    pub fn merge(&mut self, o: &Tally) {
        self.n += o.n;
        self.successes += o.successes;
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
        self.sum_cu += o.sum_cu;
        self.skipped += o.skipped;
    }

    /// The sample skewness g1 = m3/m2^{3/2} of the values (moments about the mean with
    /// divisor n; Joanes & Gill 1998, *The Statistician* 47:183–189); None below 3 values or
    /// with no spread.
    pub fn skewness(&self) -> Option<f64> {
        if self.n < 3 {
            return None;
        }
        let n = self.n as f64;
        let m = self.sum / n;
        let m2 = self.sum_sq / n - m * m;
        if m2 <= 1e-12 * (m * m).max(1e-300) {
            return None;
        }
        let m3 = self.sum_cu / n - 3.0 * m * self.sum_sq / n + 2.0 * m * m * m;
        Some(m3 / m2.powf(1.5))
    }

    /// The share successes/n (NaN for n = 0).
    pub fn share(&self) -> f64 {
        self.successes as f64 / self.n as f64
    }
}

/// An estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The point estimate.
    pub estimate: f64,
    /// Lower bound (None for a census without an interval).
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Standard error (0 for a census).
    pub se: f64,
    /// The method: `census`, `wilson`, `clopper-pearson-fpc`, `korn-graubard`.
    pub method: &'static str,
    /// Design effect V / V_SRS (stratified estimates).
    pub deff: Option<f64>,
    /// Why the estimate should be read with caution (small or skewed samples), if it should.
    pub caution: Option<&'static str>,
}

/// A share over a full extract: exact. With a confidence, the Wilson interval treating the
/// records as Bernoulli outcomes of a process (superpopulation view; Wilson 1927).
pub fn census_share(t: &Tally, confidence: Option<f64>) -> Option<Estimate> {
    if t.n == 0 {
        return None;
    }
    let p = t.share();
    Some(match confidence {
        None => Estimate {
            estimate: p,
            lower: None,
            upper: None,
            se: 0.0,
            method: "census",
            deff: None,
            caution: None,
        },
        Some(c) => {
            let iv = wilson(t.successes, t.n, c);
            Estimate {
                estimate: p,
                lower: Some(iv.lower),
                upper: Some(iv.upper),
                se: (p * (1.0 - p) / t.n as f64).sqrt(),
                method: "wilson",
                deff: None,
                caution: None,
            }
        }
    })
}

/// One stratum's share from a simple random sample of n of N: p̂, se = √((1 − f)·p̂(1 − p̂)/(n − 1))
/// (Cochran 1977 eq. 3.28 with the unbiased variance), and the Clopper–Pearson interval at
/// the effective sample size n(N − 1)/(N − n) ([`urval_design::clopper_pearson_fpc`];
/// Korn & Graubard 1998), which keeps its coverage near shares of 0 and 1 where Wilson with
/// the same correction does not (a census gives the point).
pub fn stratum_share(successes: u64, n: u64, population: u64, confidence: f64) -> Option<Estimate> {
    if n == 0 || n > population || successes > n {
        return None;
    }
    let p = successes as f64 / n as f64;
    let f = n as f64 / population as f64;
    let se = if n > 1 {
        ((1.0 - f) * p * (1.0 - p) / (n as f64 - 1.0)).sqrt()
    } else {
        0.0
    };
    let iv = urval_design::clopper_pearson_fpc(successes, n, population, confidence);
    Some(Estimate {
        estimate: p,
        lower: Some(iv.lower),
        upper: Some(iv.upper),
        se,
        method: "clopper-pearson-fpc",
        deff: None,
        caution: None,
    })
}

/// One stratum's part of a (domain) share for [`stratified_share`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StratumSample {
    /// N_h, the stratum's population in the design.
    pub population: u64,
    /// r_h, the stratum's responding records (all of them, in the domain or not).
    pub responding: u64,
    /// n_dh, the responding records in the domain (= r_h when the domain is the stratum).
    pub n: u64,
    /// Successes among the n_dh.
    pub successes: u64,
}

/// Per stratum, Σ z and Σ z² of the linearised variable z_i = d_i (y_i − θ̂)/N̂_d over the
/// stratum's r_h responding records, from the domain's n_dh, Σ y and Σ y² (records outside
/// the domain have z_i = 0).
fn linearised_sums(n: f64, sum: f64, sum_sq: f64, theta: f64, big_nd: f64) -> (f64, f64) {
    let sz = (sum - theta * n) / big_nd;
    let szz = (sum_sq - 2.0 * theta * sum + n * theta * theta).max(0.0) / (big_nd * big_nd);
    (sz, szz)
}

/// The linearised variance of a domain ratio θ̂ = Σ_h (N_h/r_h) Σ_{i∈d} y_i / N̂_d under
/// stratified simple random sampling:
/// V = Σ_h N_h² (1 − f_h) s²_{z,h}/r_h with z_i = d_i (y_i − θ̂)/N̂_d and s²_{z,h} the sample
/// variance of z over all r_h responding records of stratum h (Taylor linearisation of the
/// ratio; Särndal, Swensson & Wretman 1992, *Model Assisted Survey Sampling*, §5.6 and
/// §10.3; Cochran 1977 §6.11; Lohr 2019 §4.3). Records outside the domain have z_i = 0,
/// so the randomness of the domain's count n_dh — the between-stratum term a
/// fixed-count formula leaves out — is in V. When the domain is every record of its strata
/// it reduces to Σ W_h² (1 − f_h) s_h²/n_h (Cochran 1977 eq. 5.7). Strata with r_h ≤ 1
/// contribute no variance estimate. Inputs per stratum: (N_h, r_h, n_dh, Σ y, Σ y²).
pub fn linearised_variance(strata: &[(u64, u64, u64, f64, f64)], theta: f64, big_nd: f64) -> f64 {
    let mut v = 0.0;
    for &(big, r, n, sum, sum_sq) in strata {
        if r < 2 || n == 0 || big_nd <= 0.0 {
            continue;
        }
        let (sz, szz) = linearised_sums(n as f64, sum, sum_sq, theta, big_nd);
        let rf = r as f64;
        let s2 = ((szz - sz * sz / rf) / (rf - 1.0)).max(0.0);
        let f = (rf / big as f64).min(1.0);
        v += (big as f64).powi(2) * (1.0 - f) * s2 / rf;
    }
    v
}

/// The Korn–Graubard interval for a share estimated from a complex sample: the
/// Clopper–Pearson interval at the effective sample size
/// n* = min(p̂(1 − p̂)/V, n) (n* = n when V = 0, so p̂ = 0 or 1 gets the exact binomial bound
/// at the records seen), multiplied by the degrees-of-freedom factor (t_{n−1}/t_df)² when
/// df < n − 1 (Korn & Graubard 1998, *Survey Methodology* 24:193–201, eq. 4 and §3; the cap
/// at n as in the NCHS standards, Parker et al. 2017, *Vital Health Stat* 2(175), and Dean &
/// Pagano 2015, *J. Survey Statistics and Methodology* 3:484–503). n is the domain's
/// sample size, df = n − H_d (records as PSUs, H_d strata with domain records).
pub fn korn_graubard(p: f64, v: f64, n: f64, df: f64, confidence: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence;
    let mut n_eff = if v > 0.0 {
        (p * (1.0 - p) / v).min(n)
    } else {
        n
    };
    if df > 0.0 && n > 1.0 && df < n - 1.0 {
        let ratio = t_two_sided(confidence, n - 1.0) / t_two_sided(confidence, df);
        n_eff *= ratio * ratio;
    }
    let x = p * n_eff;
    let lower = if x <= 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, x, n_eff - x + 1.0)
    };
    let upper = if x >= n_eff {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, x + 1.0, n_eff - x)
    };
    (lower.min(p), upper.max(p))
}

/// The stratified estimate of a (domain) share: p̂ = Σ (N_h/r_h) x_dh / N̂_d with
/// N̂_d = Σ N_h n_dh/r_h (W_h = N_h/N when the domain is the whole stratum), its linearised
/// variance ([`linearised_variance`]: for whole strata exactly
/// Σ W_h² (1 − f_h) p̂_h(1 − p̂_h)/(n_h − 1), Cochran 1977 eq. 5.6 with eq. 3.28), the design
/// effect V / V_SRS with V_SRS = (1 − n/N̂_d) p̂(1 − p̂)/(n − 1), and the [`korn_graubard`]
/// interval. Strata with r_h = 0 are left out: see the caller's non-response handling.
pub fn stratified_share(strata: &[StratumSample], confidence: f64) -> Option<Estimate> {
    let used: Vec<&StratumSample> = strata
        .iter()
        .filter(|s| s.n > 0 && s.responding > 0 && s.population > 0)
        .collect();
    if used.is_empty() {
        return None;
    }
    let big_nd: f64 = used
        .iter()
        .map(|s| s.population as f64 * s.n as f64 / s.responding as f64)
        .sum();
    let total: f64 = used
        .iter()
        .map(|s| s.population as f64 * s.successes as f64 / s.responding as f64)
        .sum();
    let n: f64 = used.iter().map(|s| s.n as f64).sum();
    let p = (total / big_nd).clamp(0.0, 1.0);
    let cells: Vec<(u64, u64, u64, f64, f64)> = used
        .iter()
        .map(|s| {
            let x = s.successes as f64;
            (s.population, s.responding, s.n, x, x)
        })
        .collect();
    let v = linearised_variance(&cells, p, big_nd);
    let df = n - used.len() as f64;
    let v_srs = if n > 1.0 {
        (1.0 - n / big_nd).max(0.0) * p * (1.0 - p) / (n - 1.0)
    } else {
        0.0
    };
    let deff = (v_srs > 0.0).then(|| v / v_srs);
    let (lower, upper) = korn_graubard(p, v, n, df, confidence);
    Some(Estimate {
        estimate: p,
        lower: Some(lower),
        upper: Some(upper),
        se: v.sqrt(),
        method: "korn-graubard",
        deff,
        caution: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tallies of share outcomes per group, the way the engine folds rows (test helper).
    fn tally_shares(groups: &[u32], outcomes: &[Option<bool>], n_groups: usize) -> Vec<Tally> {
        let mut out = vec![Tally::default(); n_groups];
        for (&g, &o) in groups.iter().zip(outcomes) {
            if let Some(t) = out.get_mut(g as usize) {
                match o {
                    Some(s) => t.add_share(s),
                    None => t.add_skipped(),
                }
            }
        }
        out
    }
    use approx::assert_relative_eq;
    use proptest::prelude::*;
    use urval_design::{share_size, ShareSpec};
    use urval_sample::{prn53, select_rows};

    #[test]
    fn tallies_merge() {
        let mut a = Tally::default();
        a.add_share(true);
        a.add_share(false);
        a.add_skipped();
        let mut b = Tally::default();
        b.add_share(true);
        a.merge(&b);
        assert_eq!((a.n, a.successes, a.skipped), (3, 2, 1));
        let mut m = Tally::default();
        for x in [1.0, 2.0, 3.0] {
            m.add_value(x);
        }
        assert_eq!((m.n, m.sum, m.sum_sq), (3, 6.0, 14.0));
    }

    proptest! {
        #[test]
        fn tallies_of_chunks_merge_to_the_tally_of_all(rows in proptest::collection::vec((0u32..5, proptest::option::of(any::<bool>())), 0..400), cut in 0usize..400) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let outcomes: Vec<Option<bool>> = rows.iter().map(|r| r.1).collect();
            let cut = cut.min(rows.len());
            let whole = tally_shares(&groups, &outcomes, 5);
            let mut merged = tally_shares(&groups[..cut], &outcomes[..cut], 5);
            for (m, t) in merged.iter_mut().zip(tally_shares(&groups[cut..], &outcomes[cut..], 5)) {
                m.merge(&t);
            }
            prop_assert_eq!(merged, whole);
        }
    }

    #[test]
    fn census_and_stratum_values() {
        let t = Tally {
            n: 4,
            successes: 1,
            ..Tally::default()
        };
        let e = census_share(&t, None).unwrap();
        assert_eq!(e.estimate, 0.25);
        assert_eq!(e.lower, None);
        assert!(census_share(&Tally::default(), None).is_none());
        // se = √((1 − 100/400) · 0.3 · 0.7 / 99).
        let e = stratum_share(30, 100, 400, 0.95).unwrap();
        assert_relative_eq!(e.se, (0.75 * 0.21 / 99.0_f64).sqrt(), epsilon = 1e-15);
        assert!(e.lower.unwrap() < 0.3 && e.upper.unwrap() > 0.3);
        let census = stratum_share(30, 100, 100, 0.95).unwrap();
        assert_eq!(census.lower, census.upper);
    }

    #[test]
    fn stratified_hand_computed() {
        // Two strata: N = 600, 400; n = 60, 40; successes 30, 10.
        // p̂ = 0.6·0.5 + 0.4·0.25 = 0.4.
        // V = 0.36·0.9·0.25/59 + 0.16·0.9·0.1875/39 = 0.0013729 + 0.00069231.
        let s = [
            StratumSample {
                population: 600,
                responding: 60,
                n: 60,
                successes: 30,
            },
            StratumSample {
                population: 400,
                responding: 40,
                n: 40,
                successes: 10,
            },
        ];
        let e = stratified_share(&s, 0.95).unwrap();
        assert_relative_eq!(e.estimate, 0.4, epsilon = 1e-15);
        let v: f64 = 0.36 * 0.9 * 0.25 / 59.0 + 0.16 * 0.9 * 0.1875 / 39.0;
        assert_relative_eq!(e.se, v.sqrt(), epsilon = 1e-15);
        // V_SRS = 0.9 · 0.24 / 99; deff = V / V_SRS.
        assert_relative_eq!(e.deff.unwrap(), v / (0.9 * 0.24 / 99.0), epsilon = 1e-12);
        let (lo, hi) = (e.lower.unwrap(), e.upper.unwrap());
        assert!(lo < 0.4 && hi > 0.4 && lo > 0.25 && hi < 0.55, "{lo} {hi}");
        // One stratum taken whole: no variance, the interval collapses toward the point
        // only through the other stratum.
        let all_zero = [StratumSample {
            population: 50,
            responding: 20,
            n: 20,
            successes: 0,
        }];
        let e = stratified_share(&all_zero, 0.95).unwrap();
        assert_eq!(e.lower, Some(0.0));
        assert!(e.upper.unwrap() > 0.0);
    }

    proptest! {
        #[test]
        fn stratified_interval_contains_estimate(strata in proptest::collection::vec((2u64..500, 0.0f64..=1.0, 0.0f64..=1.0), 1..12)) {
            let s: Vec<StratumSample> = strata.iter().map(|&(big, nf, pf)| {
                let n = ((big as f64 * nf).ceil() as u64).clamp(1, big);
                StratumSample { population: big, responding: n, n, successes: (n as f64 * pf).floor() as u64 }
            }).collect();
            let e = stratified_share(&s, 0.95).unwrap();
            prop_assert!(0.0 <= e.lower.unwrap() && e.lower.unwrap() <= e.estimate + 1e-12);
            prop_assert!(e.estimate - 1e-12 <= e.upper.unwrap() && e.upper.unwrap() <= 1.0);
        }
    }

    /// Coverage over repeated draws on a design with large sampling fractions: every
    /// stratum sized for ±10 points (domain), a fixed synthetic population, 300 PRN draws.
    /// Clopper–Pearson at the effective sample size must cover the true stratum shares
    /// 93.5–98 % of the time; plain Wilson over-covers (the correction matters).
    #[test]
    fn coverage_of_95_percent_intervals_over_repeated_draws() {
        let strata_sizes: Vec<u64> = (0..40).map(|i| 40 + (i * i * 7) % 1500).collect();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut stratum: Vec<u32> = Vec::new();
        let mut success: Vec<bool> = Vec::new();
        let mut truth = vec![0.0; strata_sizes.len()];
        for (h, &big) in strata_sizes.iter().enumerate() {
            let share = 0.1 + 0.8 * (h as f64 / strata_sizes.len() as f64);
            let mut hits = 0u64;
            for i in 0..big {
                let key = format!("{h}-{i}").into_bytes();
                // A fixed population: success from a seed-independent hash of the key.
                let u = prn53(0xC0FFEE, &key) as f64 / (1u64 << 53) as f64;
                let s = u < share;
                hits += u64::from(s);
                keys.push(key);
                stratum.push(h as u32);
                success.push(s);
            }
            truth[h] = hits as f64 / big as f64;
        }
        let quotas: Vec<u64> = strata_sizes
            .iter()
            .map(|&big| {
                let mut spec = ShareSpec::new(0.10, 0.95);
                spec.population = Some(big);
                share_size(&spec).unwrap().n
            })
            .collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let (mut covered_fpc, mut covered_plain, mut total) = (0u64, 0u64, 0u64);
        let mut covered_kg = 0u64;
        let overall_truth = success.iter().filter(|&&s| s).count() as f64 / success.len() as f64;
        let draws = 300u64;
        for seed in 0..draws {
            let prns: Vec<u64> = refs.iter().map(|k| prn53(seed, k)).collect();
            let selected = select_rows(&prns, &stratum, &refs, &quotas, 0);
            let mut samples = Vec::new();
            for (h, rows) in selected.iter().enumerate() {
                let n = rows.len() as u64;
                let k = rows.iter().filter(|&&r| success[r]).count() as u64;
                let big = strata_sizes[h];
                samples.push(StratumSample {
                    population: big,
                    responding: n,
                    n,
                    successes: k,
                });
                if n == big {
                    continue; // a census of the stratum: no sampling error to cover
                }
                total += 1;
                let e = stratum_share(k, n, big, 0.95).unwrap();
                if e.lower.unwrap() <= truth[h] && truth[h] <= e.upper.unwrap() {
                    covered_fpc += 1;
                }
                let w = wilson(k, n, 0.95);
                if w.lower <= truth[h] && truth[h] <= w.upper {
                    covered_plain += 1;
                }
            }
            let e = stratified_share(&samples, 0.95).unwrap();
            if e.lower.unwrap() <= overall_truth && overall_truth <= e.upper.unwrap() {
                covered_kg += 1;
            }
        }
        let fpc = covered_fpc as f64 / total as f64;
        let plain = covered_plain as f64 / total as f64;
        let kg = covered_kg as f64 / draws as f64;
        eprintln!("coverage over {total} stratum intervals: Clopper–Pearson-FPC {fpc:.4}, plain Wilson {plain:.4}; Korn–Graubard over {draws} draws {kg:.4}");
        assert!(total > 10_000, "{total} intervals");
        assert!(
            (0.935..=0.98).contains(&fpc),
            "Clopper–Pearson with FPC covers {fpc}"
        );
        assert!(
            plain > 0.965,
            "plain Wilson covers {plain}: the FPC should matter here"
        );
        assert!(kg >= 0.935, "Korn–Graubard covers {kg}");
    }

    /// Coverage of the Korn–Graubard interval (with the linearised variance) near the edges,
    /// through the estimator the CLI uses ([`estimate::sample`]): a fixed population of 8
    /// strata (N_h 400–3,000), true shares near 0.02 and 0.98, n_h = 40–60, over 1,000 PRN
    /// draws; for the overall share and for a domain (about half the records, as sex) that
    /// cuts across every stratum. Each must cover 93.5–97.5 % at nominal 95 %.
    #[test]
    fn korn_graubard_covers_near_zero_and_one_overall_and_in_domains() {
        let (truths, rates) = kg_coverage(&[400, 650, 900, 1200, 1600, 2000, 2500, 3000], 40, 3);
        eprintln!("Korn–Graubard coverage, N_h 400–3,000, n_h 40–61: truths {truths:.4?}, coverage {rates:.3?}");
        for (c, r) in rates.iter().enumerate() {
            assert!((0.935..=0.975).contains(r), "case {c}: coverage {r}");
        }
        // Large sampling fractions (n_h/N_h up to 1/3) and about 14 successes in the domain's
        // population: the interval is discrete and over-covers, but never under-covers.
        let (truths, rates) = kg_coverage(&[60, 90, 120, 150, 200, 250, 300, 400], 20, 5);
        eprintln!("Korn–Graubard coverage, N_h 60–400, n_h 20–55: truths {truths:.4?}, coverage {rates:.3?}");
        for (c, r) in rates.iter().enumerate() {
            assert!((0.935..=0.995).contains(r), "case {c}: coverage {r}");
        }
    }

    /// Coverage of the four cases (overall p ≈ 0.02, overall p ≈ 0.98, domain p ≈ 0.02,
    /// domain p ≈ 0.98) over 1,000 PRN draws with n_h = base + step·h.
    fn kg_coverage(sizes: &[u64], base: u64, step: u64) -> ([f64; 4], [f64; 4]) {
        use crate::estimate::{sample, DomainStratum};
        use crate::spec::Kind;
        let quotas: Vec<u64> = (0..sizes.len()).map(|h| base + step * h as u64).collect();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut stratum: Vec<u32> = Vec::new();
        // Per record: in the domain, outcome at p ≈ 0.02 (the 0.98 case is its complement).
        let mut domain: Vec<bool> = Vec::new();
        let mut rare: Vec<bool> = Vec::new();
        for (h, &big) in sizes.iter().enumerate() {
            let p = 0.01 + 0.003 * h as f64; // 1 % to 3.1 %
            for i in 0..big {
                let key = format!("{h}-{i}").into_bytes();
                let u = prn53(0xBEEF, &key) as f64 / (1u64 << 53) as f64;
                let v = prn53(0xFACE, &key) as f64 / (1u64 << 53) as f64;
                domain.push(v < 0.5);
                rare.push(u < p);
                keys.push(key);
                stratum.push(h as u32);
            }
        }
        let truth = |dom: bool, complement: bool| -> f64 {
            let (mut k, mut n) = (0u64, 0u64);
            for i in 0..rare.len() {
                if !dom || domain[i] {
                    n += 1;
                    k += u64::from(rare[i] != complement);
                }
            }
            k as f64 / n as f64
        };
        let cases = [(false, false), (false, true), (true, false), (true, true)];
        let truths: Vec<f64> = cases.iter().map(|&(d, c)| truth(d, c)).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut covered = [0u32; 4];
        let draws = 1000u64;
        for seed in 0..draws {
            let prns: Vec<u64> = refs.iter().map(|k| prn53(seed + 7, k)).collect();
            let selected = select_rows(&prns, &stratum, &refs, &quotas, 0);
            for (c, &(dom, complement)) in cases.iter().enumerate() {
                let tallies: Vec<Tally> = selected
                    .iter()
                    .map(|rows| {
                        let mut t = Tally::default();
                        for &r in rows.iter().filter(|&&r| !dom || domain[r]) {
                            t.add_share(rare[r] != complement);
                        }
                        t
                    })
                    .collect();
                let strata: Vec<DomainStratum> = selected
                    .iter()
                    .enumerate()
                    .map(|(h, rows)| DomainStratum {
                        population: sizes[h],
                        responding: rows.len() as u64,
                        tally: tallies[h],
                        values: &[],
                    })
                    .collect();
                let e = sample(Kind::Share, &strata, 0.95).unwrap();
                if e.lower.unwrap() <= truths[c] && truths[c] <= e.upper.unwrap() {
                    covered[c] += 1;
                }
            }
        }
        let rates = covered.map(|c| f64::from(c) / draws as f64);
        ([truths[0], truths[1], truths[2], truths[3]], rates)
    }
}
