//! CSV ingest: any bytes as a CSV file must scan to an error or to rows that reconcile
//! (read = used + excluded + quarantined), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urval_ingest::{scan, Extract, ScanSpec};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.csv");
    let mut bytes = b"id;kommun;pages\n".to_vec();
    bytes.extend_from_slice(data);
    std::fs::write(&path, &bytes).expect("write");
    let Ok(extract) = Extract::resolve(&[path.display().to_string()], None) else {
        return;
    };
    let mut spec = ScanSpec::new("id", &["kommun".to_string()]);
    spec.nonnegative = vec!["pages".to_string()];
    spec.batch_size = 7;
    if let Ok(out) = scan(
        &extract,
        &spec,
        || 0u64,
        |n, b| {
            *n += b.rows.len() as u64;
            Ok(())
        },
        &|_| {},
    ) {
        let t = out.totals();
        assert_eq!(
            t.rows_read,
            t.rows_used + t.rows_excluded + t.rows_quarantined
        );
        assert_eq!(out.results.iter().sum::<u64>(), t.rows_used);
    }
});
