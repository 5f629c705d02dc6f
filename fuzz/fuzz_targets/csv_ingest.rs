//! CSV ingest: any bytes as a CSV file must scan to an error or to rows that reconcile
//! (read = used + excluded + quarantined), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urval_ingest::{scan, Extract, ScanSpec};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.csv");
    // The first byte picks a shape: the bytes after the header as they are, the header
    // line repeated inside them, a byte-order mark at a line start inside them, or the
    // whole file as UTF-16 without a byte-order mark.
    let (shape, data) = data.split_first().map_or((0, data), |(s, d)| (*s % 4, d));
    const HEADER: &[u8] = b"id;kommun;pages\n";
    let mut bytes = HEADER.to_vec();
    let mid = data.iter().position(|&b| b == b'\n').map_or(data.len(), |p| p + 1);
    match shape {
        1 => {
            bytes.extend_from_slice(&data[..mid]);
            bytes.extend_from_slice(HEADER);
            bytes.extend_from_slice(&data[mid..]);
        }
        2 => {
            bytes.extend_from_slice(&data[..mid]);
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
            bytes.extend_from_slice(&data[mid..]);
        }
        3 => {
            bytes.extend_from_slice(data);
            bytes = bytes.iter().flat_map(|&b| [b, 0]).collect();
        }
        _ => bytes.extend_from_slice(data),
    }
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
