//! # urval-sample — permanent random numbers and the selection kernel
//!
//! ```
//! use urval_sample::{prn53, rank, start53, BottomK, Candidate};
//! // Two of five records from one stratum, seed 7, start 0: the two smallest ranks.
//! let keys = ["a", "b", "c", "d", "e"];
//! let mut bk: BottomK<()> = BottomK::new(&[2]);
//! for k in keys {
//!     let r = rank(prn53(7, k.as_bytes()), start53(0.0));
//!     bk.offer(0, Candidate { rank: r, key: k.as_bytes().into(), payload: () });
//! }
//! let chosen = bk.into_sorted().remove(0);
//! assert_eq!(chosen.len(), 2);
//! // The same seed chooses the same records in any order of the rows.
//! let mut again: BottomK<()> = BottomK::new(&[2]);
//! for k in keys.iter().rev() {
//!     let r = rank(prn53(7, k.as_bytes()), start53(0.0));
//!     again.offer(0, Candidate { rank: r, key: k.as_bytes().into(), payload: () });
//! }
//! let keys_of = |v: &Vec<Candidate<()>>| v.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
//! assert_eq!(keys_of(&again.into_sorted()[0]), keys_of(&chosen));
//! ```
//!
//! This room owns how a record is chosen. There is no random-number generator state
//! anywhere: every record gets a **permanent random number** (PRN) from a keyed hash of its
//! key, and a stratum's sample is the `n_h` records with the smallest shifted PRN. So the
//! sample does not depend on row order, file split, chunking or thread count, a
//! municipality can draw its own part of a national sample on its own extract, and two
//! draws with different starts overlap as little as chance allows (negative coordination,
//! as in Statistics Sweden's SAMU system; Ohlsson 1995, "Coordination of samples using
//! permanent random numbers", in *Business Survey Methods*, Wiley).
//!
//! ## The PRN specification (version 1)
//!
//! Another implementation reproduces a draw exactly from this text:
//!
//! 1. **Key bytes.** The record key as text, UTF-8, exactly as written in the extract (no
//!    trimming, no case folding; `0180` keeps its leading zero). Integer keys are written
//!    in shortest decimal form with a leading `-` for negatives (`42`, `-7`).
//! 2. **Hash.** `h = XXH3_64bits_withSeed(key_bytes, seed)` — XXH3 64-bit from xxHash
//!    (<https://github.com/Cyan4973/xxHash>, `doc/xxhash_spec.md`, v0.8), seed a `u64`.
//!    In Python: `xxhash.xxh3_64_intdigest(key_bytes, seed=seed)`.
//! 3. **PRN.** `v = h >> 11` (the top 53 bits), `u = v / 2^53` in [0, 1).
//! 4. **Start.** A start `s` in [0, 1) becomes `s53 = floor(s · 2^53)`; the rank is
//!    `r = (v − s53) mod 2^53`, i.e. `(u − s) mod 1` computed exactly in integers.
//! 5. **Selection.** In each stratum, the `n_h` records with the smallest `r` are selected;
//!    equal ranks (only possible for a 53-bit hash collision) are ordered by the key bytes,
//!    ascending.
//!
//! Selecting the `n_h` smallest of i.i.d. uniform numbers is simple random sampling without
//! replacement (sequential Poisson/order sampling with equal sizes; Rosén 1997, *J. Stat.
//! Plan. Inference* 62:135–158; Ohlsson 1998). The hash stands in for the uniforms.
//!
//! ## The kernel
//!
//! [`BottomK`] keeps, per stratum, the current `n_h` smallest ranks with a bounded max-heap
//! and a flat per-stratum threshold, so almost every row costs one comparison. Candidate
//! sets from chunks merge exactly ([`BottomK::merge`]): the bottom `n_h` of a union is the
//! bottom `n_h` of the per-chunk bottoms.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The version of the PRN specification in this crate's docs.
pub const PRN_SPEC_VERSION: u32 = 1;

/// 2^53.
pub const TWO_POW_53: u64 = 1 << 53;
const MASK_53: u64 = TWO_POW_53 - 1;

/// The 53-bit permanent random number v = XXH3_64(key, seed) >> 11 (spec steps 1–3).
#[inline]
pub fn prn53(seed: u64, key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(key, seed) >> 11
}

/// The PRN as a number in [0, 1): u = v / 2^53.
#[inline]
pub fn prn_unit(seed: u64, key: &[u8]) -> f64 {
    prn53(seed, key) as f64 / TWO_POW_53 as f64
}

/// A start in [0, 1) as 53-bit integer: floor(s · 2^53) (spec step 4). Values outside
/// [0, 1) are reduced mod 1.
pub fn start53(start: f64) -> u64 {
    let s = start.rem_euclid(1.0);
    ((s * TWO_POW_53 as f64).floor() as u64) & MASK_53
}

/// The rank r = (v − s53) mod 2^53, i.e. (u − s) mod 1 exactly (spec step 4).
#[inline]
pub fn rank(prn53: u64, start53: u64) -> u64 {
    prn53.wrapping_sub(start53) & MASK_53
}

/// One selected candidate: its rank and a payload (the caller's row: key, values).
#[derive(Debug, Clone)]
pub struct Candidate<P> {
    /// The rank r (smaller is selected first).
    pub rank: u64,
    /// The key bytes, for the tie-break on equal ranks.
    pub key: Box<[u8]>,
    /// Whatever the caller needs for the selected row.
    pub payload: P,
}

impl<P> Candidate<P> {
    fn order(&self, other: &Self) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| self.key.cmp(&other.key))
    }
}

struct HeapItem<P>(Candidate<P>);

impl<P> PartialEq for HeapItem<P> {
    fn eq(&self, other: &Self) -> bool {
        self.0.order(&other.0) == Ordering::Equal
    }
}
impl<P> Eq for HeapItem<P> {}
impl<P> PartialOrd for HeapItem<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for HeapItem<P> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.order(&other.0)
    }
}

/// Per-stratum bottom-k candidate sets.
pub struct BottomK<P> {
    quotas: Vec<u64>,
    heaps: Vec<BinaryHeap<HeapItem<P>>>,
    /// The largest rank currently kept in a full heap (u64::MAX while not full): a row with
    /// a larger rank cannot enter.
    thresholds: Vec<u64>,
}

impl<P> BottomK<P> {
    /// Empty candidate sets for strata with these quotas n_h.
    pub fn new(quotas: &[u64]) -> Self {
        BottomK {
            quotas: quotas.to_vec(),
            heaps: quotas.iter().map(|_| BinaryHeap::new()).collect(),
            thresholds: quotas
                .iter()
                .map(|&q| if q == 0 { 0 } else { u64::MAX })
                .collect(),
        }
    }

    /// Empty candidate sets that also reject every rank above a per-stratum bound from
    /// the start (see [`rank_bound`]): with bounds from the known N_h, a chunk keeps only the
    /// few rows that can still be among the n_h smallest overall, instead of refilling a full
    /// heap per chunk. If fewer than n_h rows of a stratum fall under its bound the caller
    /// must draw that stratum again without the bound (the result is then still exact).
    pub fn with_bounds(quotas: &[u64], bounds: &[u64]) -> Self {
        let mut bk = Self::new(quotas);
        for (t, &b) in bk.thresholds.iter_mut().zip(bounds) {
            *t = (*t).min(b);
        }
        bk
    }

    /// The number of strata.
    pub fn strata(&self) -> usize {
        self.quotas.len()
    }

    /// Whether a row of `stratum` with `rank` could enter (a cheap pre-check, so the caller
    /// builds the key and payload only for rows that may be kept). A rank equal to the
    /// threshold may enter on the key tie-break.
    #[inline]
    pub fn may_enter(&self, stratum: usize, rank: u64) -> bool {
        rank <= self.thresholds[stratum] && self.quotas[stratum] > 0
    }

    /// Offer a candidate to its stratum; it is kept while it is among the n_h smallest.
    pub fn offer(&mut self, stratum: usize, candidate: Candidate<P>) {
        let quota = self.quotas[stratum];
        if quota == 0 {
            return;
        }
        let heap = &mut self.heaps[stratum];
        if (heap.len() as u64) < quota {
            heap.push(HeapItem(candidate));
        } else if let Some(top) = heap.peek() {
            if candidate.order(&top.0) == Ordering::Less {
                heap.pop();
                heap.push(HeapItem(candidate));
            } else {
                return;
            }
        }
        if heap.len() as u64 >= quota {
            self.thresholds[stratum] = heap.peek().map_or(u64::MAX, |t| t.0.rank);
        }
    }

    /// Stratum `stratum`'s candidates in no particular order, its heap left empty: sorted
    /// stably by (rank, key) they are [`BottomK::into_sorted`]'s for that stratum, so the
    /// strata can be taken one by one and sorted apart (on several threads).
    pub fn take_stratum(&mut self, stratum: usize) -> Vec<Candidate<P>> {
        std::mem::take(&mut self.heaps[stratum])
            .into_vec()
            .into_iter()
            .map(|i| i.0)
            .collect()
    }

    /// Merge another candidate set over the same strata: the result is exactly the bottom
    /// n_h of the union.
    pub fn merge(&mut self, other: BottomK<P>) {
        for (stratum, heap) in other.heaps.into_iter().enumerate() {
            for item in heap.into_vec() {
                if self.may_enter(stratum, item.0.rank) {
                    self.offer(stratum, item.0);
                }
            }
        }
    }

    /// The selected candidates of every stratum, each sorted by (rank, key).
    pub fn into_sorted(self) -> Vec<Vec<Candidate<P>>> {
        self.heaps
            .into_iter()
            .map(|h| {
                let mut v: Vec<Candidate<P>> = h.into_vec().into_iter().map(|i| i.0).collect();
                v.sort_by(|a, b| a.order(b));
                v
            })
            .collect()
    }
}

/// A rank bound for stratum sizes known in advance: the 53-bit rank under which, for N
/// records with uniform ranks, n + `sds`·√n + 10 records are expected. Fewer than n records
/// fall under it with probability about Φ(−sds) (sds = 6: ~10⁻⁹); then the caller redraws
/// that stratum without the bound. Returns `u64::MAX` (no bound) when n ≥ N.
pub fn rank_bound(n: u64, big_n: u64, sds: f64) -> u64 {
    if n >= big_n || n == 0 {
        return u64::MAX;
    }
    let expected = n as f64 + sds * (n as f64).sqrt() + 10.0;
    let p = expected / big_n as f64;
    if p >= 1.0 {
        return u64::MAX;
    }
    (p * TWO_POW_53 as f64).ceil() as u64
}

/// The selection kernel on plain slices: for rows with 53-bit PRNs `prns` (from [`prn53`]),
/// stratum indices `strata` and keys `keys`, the row indices selected per stratum with
/// quotas `quotas` at start `start53` — each stratum's rows sorted by (rank, key).
/// Rows whose stratum is `u32::MAX` belong to no stratum and are skipped.
pub fn select_rows(
    prns: &[u64],
    strata: &[u32],
    keys: &[&[u8]],
    quotas: &[u64],
    start53: u64,
) -> Vec<Vec<usize>> {
    let mut bk: BottomK<usize> = BottomK::new(quotas);
    for (row, (&v, &s)) in prns.iter().zip(strata).enumerate() {
        if s == u32::MAX {
            continue;
        }
        let r = rank(v, start53);
        if bk.may_enter(s as usize, r) {
            bk.offer(
                s as usize,
                Candidate {
                    rank: r,
                    key: keys[row].into(),
                    payload: row,
                },
            );
        }
    }
    bk.into_sorted()
        .into_iter()
        .map(|v| v.into_iter().map(|c| c.payload).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn prn_is_the_documented_hash() {
        // XXH3-64 of the empty input with seed 0 is 0x2D06800538D394C2 (xxHash test vectors).
        assert_eq!(
            xxhash_rust::xxh3::xxh3_64_with_seed(b"", 0),
            0x2D06_8005_38D3_94C2
        );
        assert_eq!(prn53(0, b""), 0x2D06_8005_38D3_94C2 >> 11);
        let u = prn_unit(42, b"0180-000001");
        assert!((0.0..1.0).contains(&u));
        assert_eq!(rank(5, 7), TWO_POW_53 - 2);
        assert_eq!(start53(0.5), TWO_POW_53 / 2);
        assert_eq!(start53(1.25), TWO_POW_53 / 4);
    }

    fn keys(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("case-{i:07}").into_bytes())
            .collect()
    }

    fn draw(
        keys: &[Vec<u8>],
        strata: &[u32],
        quotas: &[u64],
        seed: u64,
        start: u64,
    ) -> HashSet<Vec<u8>> {
        let prns: Vec<u64> = keys.iter().map(|k| prn53(seed, k)).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        select_rows(&prns, strata, &refs, quotas, start)
            .into_iter()
            .flatten()
            .map(|i| keys[i].clone())
            .collect()
    }

    #[test]
    fn inclusion_frequencies_are_uniform() {
        // 20 units, n = 5: each unit's inclusion probability is 1/4. Over 4,000 seeds the
        // count is Binomial(4000, 0.25): mean 1000, sd 27.4; allow ±5 sd.
        let k = keys(20);
        let strata = vec![0u32; 20];
        let mut counts = [0u32; 20];
        for seed in 0..4000u64 {
            let prns: Vec<u64> = k.iter().map(|key| prn53(seed, key)).collect();
            let refs: Vec<&[u8]> = k.iter().map(|x| x.as_slice()).collect();
            for i in select_rows(&prns, &strata, &refs, &[5], 0).concat() {
                counts[i] += 1;
            }
        }
        for (i, &c) in counts.iter().enumerate() {
            assert!((863..=1137).contains(&c), "unit {i}: {c}");
        }
        // Pairwise: P(both i and j) = 5·4/(20·19) = 0.0526 for SRS; check one pair.
    }

    #[test]
    fn negative_coordination_with_another_start() {
        // Two draws of 10 % with starts 0 and 0.5 share nothing in expectation beyond
        // chance; with PRNs they share nothing at all (disjoint rank windows).
        let k = keys(10_000);
        let strata = vec![0u32; 10_000];
        let a = draw(&k, &strata, &[1000], 7, start53(0.0));
        let b = draw(&k, &strata, &[1000], 7, start53(0.5));
        assert_eq!(a.len(), 1000);
        assert_eq!(a.intersection(&b).count(), 0);
    }

    #[test]
    fn bounds_keep_the_same_selection_when_they_hold() {
        let k = keys(5000);
        let strata: Vec<u32> = (0..5000).map(|i| (i % 4) as u32).collect();
        let quotas = [10u64, 100, 1, 1250];
        let prns: Vec<u64> = k.iter().map(|key| prn53(3, key)).collect();
        let refs: Vec<&[u8]> = k.iter().map(|x| x.as_slice()).collect();
        let plain = select_rows(&prns, &strata, &refs, &quotas, 0);
        let bounds: Vec<u64> = quotas.iter().map(|&q| rank_bound(q, 1250, 6.0)).collect();
        let mut bk: BottomK<usize> = BottomK::with_bounds(&quotas, &bounds);
        for (i, &s) in strata.iter().enumerate() {
            let r = rank(prns[i], 0);
            if bk.may_enter(s as usize, r) {
                bk.offer(
                    s as usize,
                    Candidate {
                        rank: r,
                        key: refs[i].into(),
                        payload: i,
                    },
                );
            }
        }
        let bounded: Vec<Vec<usize>> = bk
            .into_sorted()
            .into_iter()
            .map(|v| v.into_iter().map(|c| c.payload).collect())
            .collect();
        assert_eq!(bounded, plain);
        assert_eq!(rank_bound(1250, 1250, 6.0), u64::MAX);
        // A bound that is too tight leaves the stratum short: the caller's cue to redraw it.
        let mut tight: BottomK<usize> = BottomK::with_bounds(&[100], &[1]);
        for (i, key) in k.iter().take(1000).enumerate() {
            let r = rank(prn53(3, key), 0);
            if tight.may_enter(0, r) {
                tight.offer(
                    0,
                    Candidate {
                        rank: r,
                        key: key.clone().into(),
                        payload: i,
                    },
                );
            }
        }
        assert!(tight.into_sorted()[0].len() < 100);
    }

    proptest! {
        #[test]
        fn exact_quotas_unique_and_order_invariant(n in 1usize..600, h in 1u32..6, seed in any::<u64>(),
                                                   quota in 0u64..50, start in 0.0f64..1.0, rot in 0usize..600) {
            let k = keys(n);
            let strata: Vec<u32> = (0..n).map(|i| (i as u32 * 7 + 3) % h).collect();
            let quotas = vec![quota; h as usize];
            let s53 = start53(start);
            let a = draw(&k, &strata, &quotas, seed, s53);
            // Per stratum: min(quota, N_h) selected.
            let mut expected = 0;
            for s in 0..h {
                let big = strata.iter().filter(|&&x| x == s).count() as u64;
                expected += big.min(quota);
            }
            prop_assert_eq!(a.len() as u64, expected);
            // Any row order gives the same sample.
            let r = rot % n;
            let mut k2 = k.clone();
            let mut s2 = strata.clone();
            k2.rotate_left(r);
            s2.rotate_left(r);
            k2.reverse();
            s2.reverse();
            prop_assert_eq!(&a, &draw(&k2, &s2, &quotas, seed, s53));
        }

        #[test]
        fn chunked_merge_equals_one_pass(n in 1usize..800, chunks in 1usize..9, seed in any::<u64>(), quota in 1u64..40) {
            let k = keys(n);
            let strata: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
            let quotas = vec![quota; 3];
            let mut total: BottomK<usize> = BottomK::new(&quotas);
            let size = n.div_ceil(chunks);
            for start in (0..n).step_by(size) {
                let mut part: BottomK<usize> = BottomK::new(&quotas);
                for i in start..(start + size).min(n) {
                    let r = rank(prn53(seed, &k[i]), 0);
                    if part.may_enter(strata[i] as usize, r) {
                        part.offer(strata[i] as usize, Candidate { rank: r, key: k[i].clone().into(), payload: i });
                    }
                }
                total.merge(part);
            }
            let merged: Vec<Vec<usize>> = total.into_sorted().into_iter()
                .map(|v| v.into_iter().map(|c| c.payload).collect()).collect();
            let prns: Vec<u64> = k.iter().map(|key| prn53(seed, key)).collect();
            let refs: Vec<&[u8]> = k.iter().map(|x| x.as_slice()).collect();
            prop_assert_eq!(merged, select_rows(&prns, &strata, &refs, &quotas, 0));
        }

        #[test]
        fn strata_taken_apart_equal_into_sorted(n in 1usize..600, seed in any::<u64>(),
                                                quota in 0u64..30, dup in 1usize..4) {
            // Every `dup` rows share a key (and so a rank): ties, which the payload (the row)
            // shows.
            let k: Vec<Vec<u8>> = (0..n).map(|i| format!("k{}", i / dup).into_bytes()).collect();
            let strata: Vec<usize> = (0..n).map(|i| (i / dup) % 4).collect();
            let quotas = vec![quota; 4];
            let fill = || {
                let mut bk: BottomK<usize> = BottomK::new(&quotas);
                for i in 0..n {
                    let r = rank(prn53(seed, &k[i]), 0);
                    if bk.may_enter(strata[i], r) {
                        bk.offer(strata[i], Candidate { rank: r, key: k[i].clone().into(), payload: i });
                    }
                }
                bk
            };
            let mut a = fill();
            let apart: Vec<Vec<(u64, usize)>> = (0..4)
                .map(|s| {
                    let mut v = a.take_stratum(s);
                    v.sort_by(|x, y| x.rank.cmp(&y.rank).then_with(|| x.key.cmp(&y.key)));
                    v.into_iter().map(|c| (c.rank, c.payload)).collect()
                })
                .collect();
            let whole: Vec<Vec<(u64, usize)>> = fill().into_sorted().into_iter()
                .map(|v| v.into_iter().map(|c| (c.rank, c.payload)).collect()).collect();
            prop_assert_eq!(apart, whole);
        }
    }
}
