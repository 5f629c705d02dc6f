//! The selection kernel: PRN hashing and per-stratum bottom-k on plain arrays
//! (1,000,000 rows over 1,160 strata, a 0.3 % sample like 60,000 of 20 M). Rows/s per core.
//! And the manifest's numbers in shortest form (`urval_report::number::Shortest`).
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use urval_benches::SplitMix64;
use urval_sample::{prn53, rank, rank_bound, select_rows, BottomK, Candidate};

const ROWS: usize = 1_000_000;
const STRATA: usize = 1160;

fn data() -> (Vec<Vec<u8>>, Vec<u32>, Vec<u64>) {
    let mut rng = SplitMix64::new(20261123);
    let keys: Vec<Vec<u8>> = (0..ROWS)
        .map(|i| format!("0180-{i:010}").into_bytes())
        .collect();
    // Skewed strata: a few large, many small.
    let strata: Vec<u32> = (0..ROWS)
        .map(|_| {
            let a = rng.below(STRATA as u64);
            let b = rng.below(STRATA as u64);
            a.min(b) as u32
        })
        .collect();
    let mut sizes = vec![0u64; STRATA];
    for &s in &strata {
        sizes[s as usize] += 1;
    }
    let quotas = sizes.iter().map(|&n| (n * 3).div_ceil(1000)).collect();
    (keys, strata, quotas)
}

fn bench(c: &mut Criterion) {
    let (keys, strata, quotas) = data();
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let mut g = c.benchmark_group("selection");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(20);
    g.bench_function("prn53_xxh3_1M_keys", |b| {
        b.iter(|| {
            refs.iter()
                .fold(0u64, |acc, k| acc ^ prn53(black_box(42), k))
        })
    });
    let prns: Vec<u64> = refs.iter().map(|k| prn53(42, k)).collect();
    g.bench_function("bottom_k_heaps_1M_rows_1160_strata", |b| {
        b.iter(|| select_rows(black_box(&prns), &strata, &refs, &quotas, 0))
    });
    let mut sizes = vec![0u64; STRATA];
    for &s in &strata {
        sizes[s as usize] += 1;
    }
    let bounds: Vec<u64> = quotas
        .iter()
        .zip(&sizes)
        .map(|(&q, &n)| rank_bound(q, n, 6.0))
        .collect();
    g.bench_function("bottom_k_bounded_1M_rows_1160_strata", |b| {
        b.iter(|| {
            let mut bk: BottomK<usize> = BottomK::with_bounds(&quotas, &bounds);
            for (i, (&v, &s)) in prns.iter().zip(&strata).enumerate() {
                let r = rank(v, 0);
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
            bk.into_sorted()
        })
    });
    g.finish();

    // The manifest's numbers: a draw of 60,000 writes 180,000 (prn, π, weight) in shortest
    // round-trip form; `Shortest` (ryu's digits, Display's layout) against `format!`.
    let mut rng = SplitMix64::new(7);
    let numbers: Vec<f64> = (0..180_000)
        .map(|i| match i % 3 {
            0 => (rng.below(1 << 53) as f64) / (1u64 << 53) as f64,
            1 => 92.0 / (3069 + rng.below(1000)) as f64,
            _ => (3069 + rng.below(1000)) as f64 / 92.0,
        })
        .collect();
    let mut g = c.benchmark_group("manifest_numbers");
    g.throughput(Throughput::Elements(numbers.len() as u64));
    g.sample_size(20);
    g.bench_function("shortest_ryu_180k", |b| {
        let mut s = urval_report::number::Shortest::new();
        b.iter(|| {
            numbers
                .iter()
                .fold(0usize, |acc, &v| acc + s.format(black_box(v)).len())
        })
    });
    g.bench_function("display_format_180k", |b| {
        b.iter(|| {
            numbers
                .iter()
                .fold(0usize, |acc, &v| acc + format!("{}", black_box(v)).len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
