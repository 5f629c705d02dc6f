//! A batch with nothing to check row by row has all its rows used without a pass of
//! branches (the fast path of the scan); a batch with one empty key, one empty stratum, one
//! negative pages value, one failed check or one row outside the filter treats exactly that
//! row as before. Every batch size from one row (each problem alone in its batch, next to
//! clean batches) to the whole file gives the same rows, reasons, lines and counts, each
//! rule on its own (so that a batch's only problem is the rule's).
#![allow(clippy::unwrap_used)]

mod support;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use std::sync::Arc;
use urval_ingest::{Extract, Filter, ScanSpec};

const TEXT: &str = "id;area;n;m\n\
K1;a;1;0\n\
K2;a;2;0\n\
K3;b;-1;0\n\
K4;b;4;0\n\
K5;a;5;0\n\
K6;a;6;0\n\
K7;b;7;5\n\
K8;b;8;0\n\
K9;c;9;0\n\
K10;a;10;0\n\
K11;x;11;0\n\
K12;a;12;0\n";

/// Keys used, quarantine as (row, reason), and (read, used, excluded, quarantined).
type Scanned = (Vec<(String, u64)>, Vec<(u64, String)>, (u64, u64, u64, u64));

fn scan(extract: &Extract, spec: &ScanSpec) -> Scanned {
    let (rows, q, c) = support::scan_rows(extract, spec);
    (
        rows.into_iter().map(|(row, key, ..)| (key, row)).collect(),
        q.into_iter()
            .map(|(row, reason, _)| (row, reason))
            .collect(),
        (
            c.rows_read,
            c.rows_used,
            c.rows_excluded,
            c.rows_quarantined,
        ),
    )
}

/// Keys `K1..=K12` but `left_out`, each with its row number (`first` for `K1`).
fn keys_but(left_out: &[u64], first: u64) -> Vec<(String, u64)> {
    (1..=12u64)
        .filter(|k| !left_out.contains(k))
        .map(|k| (format!("K{k}"), k + first - 1))
        .collect()
}

#[test]
fn a_pages_column_a_check_and_a_filter_each_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, TEXT).unwrap();
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    for batch in 1..=13 {
        let base = || {
            let mut spec = ScanSpec::new("id", &["area".to_string()]);
            spec.batch_size = batch;
            spec
        };
        let mut pages = base();
        pages.nonnegative = vec!["n".to_string()];
        let mut check = base();
        check.checks = vec![Filter::parse("m < 5").unwrap()];
        let mut filter = base();
        filter.filter = Some(Filter::parse("area <> 'x'").unwrap());
        // Lines: the header is line 1, K<k> is line k + 1.
        let cases: [(&ScanSpec, Scanned); 4] = [
            (&base(), (keys_but(&[], 2), vec![], (12, 12, 0, 0))),
            (
                &pages,
                (
                    keys_but(&[3], 2),
                    vec![(4, "column \"n\" is not a non-negative number".to_string())],
                    (12, 11, 0, 1),
                ),
            ),
            (
                &check,
                (
                    keys_but(&[7], 2),
                    vec![(8, "check failed: m < 5".to_string())],
                    (12, 11, 0, 1),
                ),
            ),
            (&filter, (keys_but(&[11], 2), vec![], (12, 11, 1, 0))),
        ];
        for (k, (spec, want)) in cases.iter().enumerate() {
            assert_eq!(&scan(&extract, spec), want, "case {k}, batch size {batch}");
        }
    }
}

/// Parquet hands empty and NULL keys and strata to the batch (a CSV line with one is
/// quarantined while it is read): the key read as string views, the stratum as a
/// dictionary.
#[test]
fn an_empty_or_null_key_or_stratum_next_to_clean_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    let ids: Vec<Option<String>> = (1..=12)
        .map(|k| match k {
            3 => Some(String::new()),
            5 => None,
            k => Some(format!("K{k}")),
        })
        .collect();
    let areas: Vec<Option<&str>> = (1..=12)
        .map(|k| match k {
            8 => Some(""),
            10 => None,
            _ => Some("a"),
        })
        .collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
        ("area", Arc::new(StringArray::from(areas)) as ArrayRef),
    ])
    .unwrap();
    support::write_parquet(&path, &batch, Default::default());
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let key = "empty key (column \"id\")".to_string();
    let stratum = "empty stratum value (column \"area\")".to_string();
    for size in 1..=13 {
        let mut spec = ScanSpec::new("id", &["area".to_string()]);
        spec.batch_size = size;
        let want = (
            keys_but(&[3, 5, 8, 10], 1),
            vec![
                (3, key.clone()),
                (5, key.clone()),
                (8, stratum.clone()),
                (10, stratum.clone()),
            ],
            (12, 8, 0, 4),
        );
        assert_eq!(scan(&extract, &spec), want, "batch size {size}");
    }
}
