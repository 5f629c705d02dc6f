//! An extract of Arrow record batches in memory ([`Extract::from_batches`]) is scanned as the
//! same rows in a Parquet file are: the same keys and strata in each unit, the same rows
//! excluded by a filter, the same rows quarantined with the same row numbers, whatever the
//! batches' sizes and string types (Utf8, LargeUtf8, Utf8View, dictionaries, integers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray,
};
use parquet::file::properties::WriterProperties;
use std::sync::Arc;
use urval_ingest::{scan, Extract, Filter, ScanSpec};

const ROWS: usize = 5_000;

fn area(i: usize) -> Option<&'static str> {
    // Row 17 has no area: it is quarantined.
    (i != 17).then_some(["aldre", "missbruk", "barn"][i % 3])
}

/// The rows as one batch of plain strings (what the Parquet file holds).
fn plain() -> RecordBatch {
    let id: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..ROWS).map(|i| format!("{}", 1_000_000 + i * 7)),
    ));
    let a: ArrayRef = Arc::new(StringArray::from_iter((0..ROWS).map(area)));
    RecordBatch::try_from_iter([("id", id), ("area", a)]).unwrap()
}

/// The same rows in batches of uneven sizes, each with other column types.
fn batches() -> Vec<RecordBatch> {
    let cuts = [0usize, 1, 700, 2_000, 2_001, 4_999, ROWS];
    cuts.windows(2)
        .enumerate()
        .map(|(b, w)| {
            let r = w[0]..w[1];
            let id: ArrayRef = match b % 3 {
                0 => Arc::new(Int64Array::from_iter_values(
                    r.clone().map(|i| 1_000_000 + i as i64 * 7),
                )),
                1 => Arc::new(LargeStringArray::from_iter_values(
                    r.clone().map(|i| format!("{}", 1_000_000 + i * 7)),
                )),
                _ => Arc::new(StringViewArray::from_iter_values(
                    r.clone().map(|i| format!("{}", 1_000_000 + i * 7)),
                )),
            };
            let a: ArrayRef = if b % 2 == 0 {
                Arc::new(r.map(area).collect::<DictionaryArray<Int32Type>>())
            } else {
                Arc::new(StringViewArray::from_iter(r.map(area)))
            };
            RecordBatch::try_from_iter([("id", id), ("area", a)]).unwrap()
        })
        .collect()
}

/// (keys with their area, rows read / used / excluded / quarantined, quarantined rows).
type Scanned = (Vec<(String, String)>, [u64; 4], Vec<u64>);

fn scanned(extract: &Extract) -> Scanned {
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.filter = Some(Filter::parse("area <> 'barn'").unwrap());
    spec.batch_size = 333;
    let out = scan(
        extract,
        &spec,
        Vec::new,
        |v: &mut Vec<(String, String)>, b| {
            for &r in b.rows {
                let s = b.strata[0].get(r as usize).unwrap_or("").to_string();
                v.push((b.key_at(r as usize).to_string(), s));
            }
            Ok(())
        },
        &|_| {},
    )
    .unwrap();
    let t = out.totals();
    let mut rows: Vec<(String, String)> = out.results.into_iter().flatten().collect();
    rows.sort();
    let q = out.quarantine.iter().map(|q| q.row).collect();
    (
        rows,
        [
            t.rows_read,
            t.rows_used,
            t.rows_excluded,
            t.rows_quarantined,
        ],
        q,
    )
}

#[test]
fn batches_in_memory_scan_as_the_same_rows_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.parquet");
    support::write_parquet(&path, &plain(), WriterProperties::builder().build());
    let file = scanned(&Extract::resolve(&[path.display().to_string()], None).unwrap());
    let b = batches();
    let memory = scanned(&Extract::from_batches("<frame>", b[0].schema(), b.clone()));
    assert_eq!(file.1, [5_000, 3_334, 1_665, 1]);
    assert_eq!(file.2, vec![18]);
    assert_eq!(memory, file);
}

#[test]
fn a_memory_source_names_its_columns_and_refuses_a_missing_one() {
    let b = batches();
    let extract = Extract::from_batches("<frame>", b[0].schema(), b);
    assert_eq!(
        urval_ingest::file_columns(&extract.files[0], None).unwrap(),
        ["id", "area"]
    );
    let spec = ScanSpec::new("id", &["municipality".to_string()]);
    let err = scan(&extract, &spec, || (), |_, _| Ok(()), &|_| {})
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("<frame>") && err.contains("municipality"),
        "{err}"
    );
}

#[test]
fn an_empty_frame_reads_no_rows() {
    let b = batches();
    let extract = Extract::from_batches("<frame>", b[0].schema(), Vec::new());
    let spec = ScanSpec::new("id", &["area".to_string()]);
    let out = scan(&extract, &spec, || (), |_, _| Ok(()), &|_| {}).unwrap();
    assert_eq!(out.totals().rows_read, 0);
}
