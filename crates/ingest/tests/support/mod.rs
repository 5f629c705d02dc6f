//! Helpers shared by the ingest tests.
#![allow(dead_code, clippy::unwrap_used)]

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;

/// Write one batch to a Parquet file with the given writer properties.
pub fn write_parquet(path: &Path, batch: &RecordBatch, props: WriterProperties) {
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// A row of an `id;area;note` CSV test file as the tests compare it: (line, key, stratum,
/// note).
pub type Row = (u64, String, String, String);

/// What a scan of an `id;area;note` file gives: rows, quarantine as (line, reason, raw), the
/// first file's counts.
pub type Scanned = (
    Vec<Row>,
    Vec<(u64, String, String)>,
    urval_ingest::FileCounts,
);

/// What a scan of an `id;area;note` file gives (the spec's key `id`, stratum `area` and
/// extra column `note`, if the spec reads it): its rows in unit order, its quarantine as
/// (line, reason, raw), and the first file's counts.
pub fn scan_rows(extract: &urval_ingest::Extract, spec: &urval_ingest::ScanSpec) -> Scanned {
    scan_in_order(extract, spec).unwrap()
}

/// [`scan_rows`] with the rows sorted, and the scan's error returned.
pub fn try_scan_rows(
    extract: &urval_ingest::Extract,
    spec: &urval_ingest::ScanSpec,
) -> urval_ingest::Result<Scanned> {
    let (mut rows, q, counts) = scan_in_order(extract, spec)?;
    rows.sort();
    Ok((rows, q, counts))
}

fn scan_in_order(
    extract: &urval_ingest::Extract,
    spec: &urval_ingest::ScanSpec,
) -> urval_ingest::Result<Scanned> {
    let out = urval_ingest::scan(
        extract,
        spec,
        Vec::new,
        |v: &mut Vec<Row>, b| {
            // `note` is read unless the spec leaves it out (then it is empty here).
            let note = b
                .extra
                .first()
                .map(|a| urval_ingest::TextCol::from_array(a).unwrap());
            for &r in b.rows {
                v.push((
                    b.row_number(r as usize),
                    b.key_at(r as usize).to_string(),
                    b.strata[0].get(r as usize).unwrap_or("").to_string(),
                    note.as_ref()
                        .and_then(|n| n.get(r as usize))
                        .unwrap_or("")
                        .to_string(),
                ));
            }
            Ok(())
        },
        &|_| {},
    )?;
    let q = out
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason.clone(), q.raw.clone()))
        .collect();
    Ok((out.results.into_iter().flatten().collect(), q, out.files[0]))
}
