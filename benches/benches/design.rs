//! Design math: allocation over the national 1,160 strata and the attribute size search.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use urval_benches::national_strata;
use urval_design::{
    allocate, attribute_size, share_size, AllocationMethod, AllocationSpec, AllocationTarget,
    AttributeSpec, Expected, ShareSpec,
};

fn bench_allocation(c: &mut Criterion) {
    let strata = national_strata(20261123);
    for method in [
        AllocationMethod::Proportional,
        AllocationMethod::Neyman,
        AllocationMethod::Domain,
    ] {
        let target = if method == AllocationMethod::Domain {
            AllocationTarget::Margin(0.10)
        } else {
            AllocationTarget::Total(60_000)
        };
        let spec = AllocationSpec {
            strata: strata.clone(),
            target,
            method,
            confidence: 0.95,
            min: Some(5),
            max: Some(2_000),
        };
        c.bench_function(&format!("allocate_1160_strata_{}", method.name()), |b| {
            b.iter(|| allocate(black_box(&spec)).unwrap())
        });
    }
}

fn bench_sizes(c: &mut Criterion) {
    let mut share = ShareSpec::new(0.05, 0.95);
    share.population = Some(767);
    c.bench_function("share_size_cochran_fpc", |b| {
        b.iter(|| share_size(black_box(&share)).unwrap())
    });
    let attr = AttributeSpec {
        tolerable_rate: 0.05,
        expected: Expected::Rate(0.01),
        confidence: 0.95,
        population: Some(60_000),
        likelihood: None,
    };
    c.bench_function("attribute_size_hypergeometric_60000", |b| {
        b.iter(|| attribute_size(black_box(&attr)).unwrap())
    });
}

criterion_group!(benches, bench_allocation, bench_sizes);
criterion_main!(benches);
