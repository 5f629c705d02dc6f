//! The indicators engine as `urval indicators` runs it: the shipped spec over a generated
//! 1,000,000-row Parquet extract, by municipality and area (1,160 groups), census; rows/s.
//! (This replaces a bench of a slice kernel that the tool never ran.) Beside it, the engine
//! alone (`urval_indicators::engine`: the fold and the merge over the same scan, no
//! estimates and no files written), so a change to the fold is timed without the writers.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use urval_generate::{generate, GenerateJob};
use urval_indicators::engine::{Engine, Merged};
use urval_indicators::estimate::Nonresponse;
use urval_indicators::spec::Spec;
use urval_ingest::{scan_ordered, ScanSpec};
use urval_ops::indicators::{indicators_to_files, IndicatorsJob};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

fn bench(c: &mut Criterion) {
    const ROWS: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("cases.parquet");
    generate(
        &GenerateJob {
            rows: ROWS,
            seed: 1,
            output: data.clone(),
            delimiter: ';',
            row_group_size: 1 << 17,
        },
        &|_| {},
    )
    .unwrap();
    let extract = urval_ingest::Extract::resolve(&[data.display().to_string()], None).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipeline/indicators.toml");
    let job = IndicatorsJob {
        spec,
        by: vec!["municipality_code".into(), "area".into()],
        age_bands: None,
        age: "age".into(),
        key: None,
        manifest: None,
        where_: None,
        checks: vec![],
        ci: false,
        confidence: 0.95,
        output: dir.path().join("indicators.parquet"),
        csv_dialect: CsvDialect::Standard,
        lang: Lang::Sv,
        nonresponse: Nonresponse::Bounds,
        allow_empty: false,
        personal: vec![],
        secret_file: None,
        max_quarantine: 0.01,
        max_groups: 1_000_000,
        suppress_below: 0,
        small_area: None,
        small_area_covariates: None,
    };
    let mut g = c.benchmark_group("indicators");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(10);
    g.bench_function("census_shipped_spec_1M_rows_by_municipality_area", |b| {
        b.iter(|| indicators_to_files(&extract, &job, &|_| {}).unwrap())
    });
    let spec = Spec::read(&job.spec).unwrap();
    let mut scan = ScanSpec::new("", &job.by);
    scan.extra = spec.columns();
    let engine = Engine {
        spec: &spec,
        needed: spec.columns(),
        bands: None,
        age: None,
        design: None,
        pseudo: None,
        personal: &[],
        max_groups: 1_000_000,
        by: &job.by,
    };
    g.bench_function("engine_fold_and_merge_1M_rows_by_municipality_area", |b| {
        b.iter(|| {
            let (acc, _) = scan_ordered(
                &extract,
                &scan,
                || engine.init(&job.by),
                |st, batch| engine.fold(st, batch),
                || Merged::new(spec.indicators.len(), 1),
                |acc, st| {
                    acc.absorb(st);
                    Ok(())
                },
                &|_| {},
            )
            .unwrap();
            acc.cells.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
