//! Text columns that a Parquet file stores dictionary-encoded (written without an Arrow
//! schema saying so, as DuckDB, Spark or pyarrow without `categorical` write them) are read
//! as dictionary arrays; the rows, strata and filter results are those of the same data
//! stored plain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use urval_ingest::{scan, Extract, Filter, ScanSpec, TextCol};

fn write(path: &Path, dictionary: bool) {
    let areas = ["aldre", "barn_unga", "missbruk", "funktionshinder"];
    let n = 30_000;
    let id: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..n).map(|i| format!("K{i:06}")),
    ));
    let area: ArrayRef = Arc::new(StringArray::from_iter(
        (0..n).map(|i| (i % 97 != 0).then(|| areas[(i * 7 + i / 13) % 4])),
    ));
    let muni: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..n).map(|i| format!("{:04}", 114 + (i * 31) % 290)),
    ));
    let batch = RecordBatch::try_from_iter([("id", id), ("area", area), ("muni", muni)]).unwrap();
    let props = WriterProperties::builder()
        .set_dictionary_enabled(dictionary)
        .set_max_row_group_row_count(Some(8_192))
        .build();
    support::write_parquet(path, &batch, props);
}

type Row = (u64, String, String, String);

/// (rows, whether every batch's strata and the key came as dictionaries, quarantine count).
fn read(path: &Path) -> (Vec<Row>, (bool, bool), u64) {
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let mut spec = ScanSpec::new("id", &["muni".to_string(), "area".to_string()]);
    spec.filter =
        Some(Filter::parse("area IN ('barn_unga', 'missbruk') OR muni = '0180'").unwrap());
    let out = scan(
        &extract,
        &spec,
        || (Vec::new(), true, true),
        |st: &mut (Vec<Row>, bool, bool), b| {
            st.1 &= b.strata.iter().all(|c| matches!(c, TextCol::Dict { .. }));
            st.2 &= matches!(b.key, Some(TextCol::Dict { .. }));
            for (i, &r) in b.rows.iter().enumerate() {
                st.0.push((
                    b.row_number(i),
                    b.key_at(r as usize).to_string(),
                    b.strata[0].get(r as usize).unwrap_or("").to_string(),
                    b.strata[1].get(r as usize).unwrap_or("").to_string(),
                ));
            }
            Ok(())
        },
        &|_| {},
    )
    .unwrap();
    let quarantined = out.totals().rows_quarantined;
    let strata_dict = out.results.iter().all(|r| r.1);
    let key_dict = out.results.iter().any(|r| r.2);
    let mut rows: Vec<Row> = out.results.into_iter().flat_map(|r| r.0).collect();
    rows.sort();
    (rows, (strata_dict, key_dict), quarantined)
}

#[test]
fn dictionary_encoded_text_is_read_as_dictionaries_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (dict, plain) = (
        dir.path().join("dict.parquet"),
        dir.path().join("plain.parquet"),
    );
    write(&dict, true);
    write(&plain, false);
    let (a, (a_strata, a_key), qa) = read(&dict);
    let (b, (b_strata, _), qb) = read(&plain);
    assert!(
        a_strata,
        "dictionary-encoded strata columns come as dictionary arrays"
    );
    assert!(!a_key, "the key column stays text");
    assert!(!b_strata, "plain columns stay text");
    assert_eq!(a, b);
    assert_eq!(qa, qb);
    assert!(qa > 0, "rows with an empty area are quarantined in both");
    assert!(a.len() > 10_000);
}
