//! `scan_ordered` hands each unit's state on in unit order whatever the thread count (so an
//! order-sensitive merge, a floating-point sum, gives the same bits on 1 thread as on 4),
//! keeps few states alive at once however many units the extract has, and reports the
//! first failing unit in unit order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use urval_ingest::{scan_ordered, Extract, IngestError, ScanSpec};

const ROWS: usize = 40_000;
const GROUP: usize = 500; // rows per row group: 80 units

fn write(path: &Path) {
    let id: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..ROWS).map(|i| format!("K{i:06}")),
    ));
    let area: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..ROWS).map(|i| ["aldre", "missbruk"][i % 2]),
    ));
    let batch = RecordBatch::try_from_iter([("id", id), ("area", area)]).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(GROUP))
        .build();
    support::write_parquet(path, &batch, props);
}

/// One unit's state: its first row, and a sum whose value depends on the order of merging.
struct State {
    first: Option<u64>,
    sum: f64,
    _live: Live,
}

/// Counts the states alive.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(live: &Arc<AtomicUsize>, peak: &AtomicUsize) -> Live {
        let now = live.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        Live(live.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// (the units' first rows in the order the sink saw them, the merged sum's bits, the most
/// states alive at once); `fail_at`: the fold fails on the unit holding this row.
fn run(
    path: &Path,
    threads: usize,
    fail_at: &[u64],
) -> Result<(Vec<u64>, u64, usize), IngestError> {
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.batch_size = 128;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let (live, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (order, total) = pool
        .install(|| {
            scan_ordered(
                &extract,
                &spec,
                || State {
                    first: None,
                    sum: 0.0,
                    _live: Live::new(&live, &peak),
                },
                |st, b| {
                    for (i, _) in b.rows.iter().enumerate() {
                        let row = b.row_number(i);
                        if fail_at.contains(&row) {
                            return Err(IngestError::CsvHeader {
                                path: path.to_path_buf(),
                                reason: format!("fold failed at row {row}"),
                            });
                        }
                        st.first.get_or_insert(row);
                        st.sum += 1.0 / row as f64;
                    }
                    // Slow the early units down, so later ones finish first if they can.
                    if st.first.is_some_and(|f| f < 3 * GROUP as u64) {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    Ok(())
                },
                || (Vec::new(), 0.0f64),
                |(order, total), st| {
                    order.push(st.first.unwrap_or(0));
                    *total = *total * 0.999_999_9 + st.sum;
                    Ok(())
                },
                &|_| {},
            )
        })?
        .0;
    Ok((order, total.to_bits(), peak.load(Ordering::SeqCst)))
}

#[test]
fn units_are_handed_on_in_order_with_few_alive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.parquet");
    write(&path);
    let want: Vec<u64> = (0..ROWS / GROUP).map(|u| (u * GROUP) as u64 + 1).collect();
    let one = run(&path, 1, &[]).unwrap();
    assert_eq!(one.0, want);
    for threads in [2, 4] {
        let many = run(&path, threads, &[]).unwrap();
        assert_eq!(many.0, want, "{threads} threads");
        assert_eq!(many.1, one.1, "{threads} threads: the merged sum differs");
        // Being folded, waiting for an earlier unit, and one being merged.
        assert!(
            many.2 <= 3 * threads + 1,
            "{threads} threads: {} states alive at once for {} units",
            many.2,
            want.len()
        );
    }
}

#[test]
fn the_first_failing_unit_in_order_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.parquet");
    write(&path);
    for threads in [1, 3] {
        let e = run(&path, threads, &[30_001, 2_601]).err().unwrap();
        assert!(e.to_string().contains("row 2601"), "{threads} threads: {e}");
    }
}
