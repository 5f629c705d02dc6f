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

/// Several purposes over the 1,160 national strata: a share over every record, one over the
/// first area's strata (a domain of 40 % in each), one per area, at pages as cost — the
/// Bethel–Chromy solve, rounding, trimming and the branch-and-bound search (2 M nodes).
fn bench_joint(c: &mut Criterion) {
    use urval_design::{
        domain_share_terms, joint_allocate, z_two_sided, DomainCell, JointSpec, Requirement,
    };
    let strata = national_strata(20261123);
    let pops: Vec<u64> = strata.iter().map(|s| s.population).collect();
    let cell = |h: usize, share: f64, p: f64| DomainCell {
        stratum: h,
        population: pops[h],
        domain: ((pops[h] as f64 * share) as u64).max(1),
        proportion: p,
    };
    let z = z_two_sided(0.95);
    let req =
        |purpose: usize, group: Option<String>, cells: Vec<DomainCell>, margin: f64| Requirement {
            purpose,
            group,
            terms: domain_share_terms(&cells),
            z,
            margin,
            response: 1.0,
        };
    let mut reqs = vec![req(
        0,
        None,
        (0..pops.len())
            .map(|h| cell(h, 1.0, strata[h].proportion))
            .collect(),
        0.01,
    )];
    reqs.push(req(
        1,
        None,
        (0..pops.len())
            .filter(|h| h % 4 == 0)
            .map(|h| cell(h, 0.4, 0.75))
            .collect(),
        0.03,
    ));
    for a in 0..4 {
        reqs.push(req(
            2,
            Some(a.to_string()),
            (0..pops.len())
                .filter(|h| h % 4 == a)
                .map(|h| cell(h, 0.9, 0.9))
                .collect(),
            0.02,
        ));
    }
    let spec = JointSpec {
        populations: pops.clone(),
        costs: strata.iter().map(|s| s.cost).collect(),
        lo: pops.iter().map(|&n| n.min(2)).collect(),
        hi: pops.clone(),
        requirements: reqs,
        search_nodes: 2_000_000,
    };
    let mut g = c.benchmark_group("joint");
    g.sample_size(10);
    g.bench_function("joint_allocate_1160_strata_6_requirements", |b| {
        b.iter(|| joint_allocate(black_box(&spec)))
    });
    g.finish();
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

criterion_group!(benches, bench_allocation, bench_joint, bench_sizes);
criterion_main!(benches);
