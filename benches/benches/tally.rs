//! The tally kernel: share outcomes of 1,000,000 rows into 1,160 × 2 × 4 groups
//! (municipality × area × sex × age band), rows/s per core.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use urval_benches::SplitMix64;
use urval_indicators::tally_shares;

fn bench(c: &mut Criterion) {
    const ROWS: usize = 1_000_000;
    const GROUPS: u64 = 1160 * 2 * 4;
    let mut rng = SplitMix64::new(7);
    let groups: Vec<u32> = (0..ROWS).map(|_| rng.below(GROUPS) as u32).collect();
    let outcomes: Vec<Option<bool>> = (0..ROWS)
        .map(|_| match rng.below(10) {
            0 => None,
            1..=6 => Some(true),
            _ => Some(false),
        })
        .collect();
    let mut g = c.benchmark_group("tally");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("tally_shares_1M_rows_9280_groups", |b| {
        b.iter(|| tally_shares(black_box(&groups), black_box(&outcomes), GROUPS as usize))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
