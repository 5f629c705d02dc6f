//! The expression kernel of `urval indicators`: an indicator's population and outcome
//! (`area = 'barn_unga' AND decided_date IS NOT NULL`, then
//! `decided_date <= ADD_MONTHS(opened_date, 4)`) over 1,000,000 rows, a column at a time
//! (`truth_rows`) against a row at a time (`truth`) and against arrow's compute kernels over
//! whole columns, rows/s per core.
#![allow(missing_docs, clippy::unwrap_used)]

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, Date32Array, DictionaryArray};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;
use urval_benches::SplitMix64;
use urval_ingest::{BoundFilter, Filter};

/// Rows in the population (`p`) whose outcome (`o`) is true, a column at a time.
fn column_at_a_time(p: &BoundFilter, o: &BoundFilter, rows: &[u32]) -> usize {
    let (mut codes, mut errs, mut out) = (Vec::new(), Vec::new(), Vec::new());
    p.truth_rows(rows, &mut codes, &mut errs);
    let inside: Vec<u32> = rows
        .iter()
        .zip(&codes)
        .filter(|x| *x.1 == 1)
        .map(|x| *x.0)
        .collect();
    o.truth_rows(&inside, &mut out, &mut errs);
    out.iter().filter(|&&c| c == 1).count()
}

/// The same, a row at a time.
fn row_at_a_time(p: &BoundFilter, o: &BoundFilter, rows: usize) -> usize {
    (0..rows)
        .filter(|&r| p.truth(black_box(r)) == Ok(Some(true)) && o.truth(r) == Ok(Some(true)))
        .count()
}

fn bench(c: &mut Criterion) {
    const ROWS: usize = 1_000_000;
    let mut rng = SplitMix64::new(11);
    let areas = ["barn_unga", "funktionshinder", "missbruk", "aldre"];
    let area: DictionaryArray<Int32Type> = (0..ROWS)
        .map(|_| Some(areas[rng.below(4) as usize]))
        .collect();
    let opened: Vec<i32> = (0..ROWS)
        .map(|_| 18_993 + rng.below(1_277) as i32)
        .collect();
    let decided: Date32Array = opened
        .iter()
        .map(|&o| (rng.below(10) > 0).then(|| o + rng.below(300) as i32))
        .collect();
    let area: ArrayRef = Arc::new(area);
    let opened: ArrayRef = Arc::new(Date32Array::from(opened));
    let decided: ArrayRef = Arc::new(decided);
    let population = Filter::parse("area = 'barn_unga' AND decided_date IS NOT NULL").unwrap();
    let outcome = Filter::parse("decided_date <= ADD_MONTHS(opened_date, 4)").unwrap();
    let pb = population.bind(&[area.clone(), decided.clone()]).unwrap();
    let ob = outcome.bind(&[decided.clone(), opened.clone()]).unwrap();
    let rows: Vec<u32> = (0..ROWS as u32).collect();
    let mut g = c.benchmark_group("expression");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(20);
    g.bench_function("column_at_a_time_1M_rows", |b| {
        b.iter(|| column_at_a_time(&pb, &ob, black_box(&rows)))
    });
    g.bench_function("row_at_a_time_1M_rows", |b| {
        b.iter(|| row_at_a_time(&pb, &ob, ROWS))
    });
    // The same with arrow's kernels over whole columns (Kleene AND, dictionary equality,
    // Date32 + INTERVAL months, which chrono clamps to the month's end): the alternative
    // the evaluator is measured against.
    g.bench_function("arrow_kernels_1M_rows", |b| {
        use arrow_array::{Array, IntervalYearMonthArray, Scalar, StringArray};
        let barn: DictionaryArray<Int32Type> = vec![Some("barn_unga")].into_iter().collect();
        let barn = Scalar::new(barn);
        let four = Scalar::new(IntervalYearMonthArray::from(vec![4]));
        let _ = StringArray::from(vec!["x"]).len();
        b.iter(|| {
            let in_area = arrow_ord::cmp::eq(black_box(&area), &barn).unwrap();
            let decided_known = arrow_arith::boolean::is_not_null(&decided).unwrap();
            let population = arrow_arith::boolean::and_kleene(&in_area, &decided_known).unwrap();
            let deadline = arrow_arith::numeric::add(&opened, &four).unwrap();
            let within = arrow_ord::cmp::lt_eq(&decided, &deadline).unwrap();
            let both = arrow_arith::boolean::and_kleene(&population, &within).unwrap();
            both.true_count()
        })
    });
    // The same columns as CSV text (a CSV scan's arrays): dates read a column at a time
    // when every value is one, against the same rows a row at a time.
    let text = |a: &ArrayRef| -> ArrayRef {
        use arrow_array::cast::AsArray;
        use arrow_array::{Array, StringArray};
        if let Some(d) = a.as_any().downcast_ref::<Date32Array>() {
            let day = |x: i32| {
                let (y, m, d) = urval_ingest::civil_from_days(i64::from(x));
                format!("{y:04}-{m:02}-{d:02}")
            };
            Arc::new(
                (0..d.len())
                    .map(|i| {
                        Some(if d.is_null(i) {
                            String::new()
                        } else {
                            day(d.value(i))
                        })
                    })
                    .collect::<StringArray>(),
            )
        } else {
            let d = a.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            Arc::new(
                d.keys()
                    .iter()
                    .map(|k| k.map(|k| values.value(k as usize).to_string()))
                    .collect::<StringArray>(),
            )
        }
    };
    let (area_t, opened_t, decided_t) = (text(&area), text(&opened), text(&decided));
    let pt = population
        .bind(&[area_t.clone(), decided_t.clone()])
        .unwrap();
    let ot = outcome
        .bind(&[decided_t.clone(), opened_t.clone()])
        .unwrap();
    g.bench_function("text_column_at_a_time_1M_rows", |b| {
        b.iter(|| column_at_a_time(&pt, &ot, black_box(&rows)))
    });
    g.bench_function("text_row_at_a_time_1M_rows", |b| {
        b.iter(|| row_at_a_time(&pt, &ot, ROWS))
    });
    // The answers agree: typed and text columns, a column and a row at a time, and arrow.
    {
        let ours = column_at_a_time(&pb, &ob, &rows);
        let barn: DictionaryArray<Int32Type> = vec![Some("barn_unga")].into_iter().collect();
        let in_area = arrow_ord::cmp::eq(&area, &arrow_array::Scalar::new(barn)).unwrap();
        let population = arrow_arith::boolean::and_kleene(
            &in_area,
            &arrow_arith::boolean::is_not_null(&decided).unwrap(),
        )
        .unwrap();
        let four = arrow_array::Scalar::new(arrow_array::IntervalYearMonthArray::from(vec![4]));
        let deadline = arrow_arith::numeric::add(&opened, &four).unwrap();
        let within = arrow_ord::cmp::lt_eq(&decided, &deadline).unwrap();
        let theirs = arrow_arith::boolean::and_kleene(&population, &within)
            .unwrap()
            .true_count();
        assert_eq!(ours, theirs);
        assert_eq!(row_at_a_time(&pb, &ob, ROWS), theirs);
        assert_eq!(column_at_a_time(&pt, &ot, &rows), theirs);
        assert_eq!(row_at_a_time(&pt, &ot, ROWS), theirs);
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
