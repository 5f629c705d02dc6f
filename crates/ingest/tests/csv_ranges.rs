//! A CSV file parsed in byte ranges on all cores gives exactly what one parse gives: the
//! same rows with the same line numbers, the same quarantine (reasons, lines, raw text), the
//! same counts — with quoted fields holding the delimiter and line feeds across range
//! boundaries, CRLF, a BOM, Windows-1252, an unbalanced quote and a ragged row, for range
//! sizes from a few bytes (a cut in nearly every record) to larger than the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use support::Row;
use urval_ingest::{Extract, ScanSpec};

/// (rows as (line, key, stratum, note), quarantine as (line, reason, raw), rows read).
fn read(path: &Path, chunk: u64, threads: usize) -> (Vec<Row>, Vec<(u64, String, String)>, u64) {
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.extra = vec!["note".to_string()];
    spec.csv_chunk_bytes = chunk;
    spec.batch_size = 7;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let (mut rows, q, counts) = pool.install(|| support::scan_rows(&extract, &spec));
    rows.sort();
    (rows, q, counts.rows_read)
}

fn body(crlf: bool, unbalanced: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut t = format!("id;area;note{nl}");
    for i in 0..400 {
        let line = match i % 9 {
            0 => format!("K{i};äldre;\"a; quoted{nl}note over{nl}three lines\""),
            1 => format!("K{i};barn;\"\"\"quotes\"\" inside\""),
            2 => format!("K{i};barn;plain"),
            3 => format!("K{i};;no stratum"),
            4 => format!("K{i};missbruk;\"{nl}starts with a line feed\""),
            5 if i == 104 => format!("K{i};ragged"),
            6 => format!("K{i};äldre;\"semi;colons;{nl}\""),
            _ => format!("K{i};funktionshinder;x{i}"),
        };
        t.push_str(&line);
        t.push_str(nl);
        if unbalanced && i == 300 {
            t.push_str(&format!("K-open;barn;\"never closed{nl}"));
        }
    }
    t
}

#[test]
fn ranges_parse_exactly_like_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("lf.csv", body(false, false).into_bytes()),
        ("crlf.csv", body(true, false).into_bytes()),
        (
            "bom.csv",
            [b"\xEF\xBB\xBF".as_slice(), body(true, false).as_bytes()].concat(),
        ),
        (
            "cp1252.csv",
            encoding_rs::WINDOWS_1252
                .encode(&body(true, false))
                .0
                .into_owned(),
        ),
        ("unbalanced.csv", body(false, true).into_bytes()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let one = read(&path, 0, 1);
        assert!(one.0.len() > 300, "{name}: {} rows", one.0.len());
        assert!(!one.1.is_empty(), "{name}: the fixture has bad rows");
        // Every row's line is the line an editor shows: 1 + the line feeds before the
        // record's first byte (its key at the start of a line).
        let line_of = |key: &str| -> u64 {
            let needle = format!("\n{key};");
            let at = bytes
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap_or_else(|| panic!("{name}: {key} not in the file"));
            bytes[..=at].iter().filter(|&&b| b == b'\n').count() as u64 + 1
        };
        for r in &one.0 {
            assert_eq!(r.0, line_of(&r.1), "{name}: the line of {}", r.1);
        }
        for q in &one.1 {
            if let Some(key) =
                q.2.split(';')
                    .next()
                    .filter(|k| k.starts_with('K') && q.2.contains(';'))
            {
                if key.len() > 1 && key[1..].chars().all(|c| c.is_ascii_digit()) {
                    assert_eq!(
                        q.0,
                        line_of(key),
                        "{name}: the quarantined line of {key} ({})",
                        q.1
                    );
                }
            }
        }
        for chunk in [5u64, 17, 61, 250, 1024, 4096, 1 << 20] {
            for threads in [1, 3] {
                let split = read(&path, chunk, threads);
                assert_eq!(split.2, one.2, "{name}, ranges of {chunk}: rows read");
                assert_eq!(split.1, one.1, "{name}, ranges of {chunk}: quarantine");
                assert_eq!(split.0, one.0, "{name}, ranges of {chunk}: rows");
            }
        }
    }
}

/// An `id;area;note` file of 9 MiB: every `period`th line a quoted note over two lines
/// (area `quoted`), then one without a stratum, a ragged one every fifth time, the others
/// in `area` with a note of up to `pad` bytes.
fn nine_mib(quoted: &str, area: &str, period: usize, pad: usize) -> String {
    let mut t = String::from("id;area;note\n");
    let mut i = 0;
    while t.len() < 9 << 20 {
        let line = match i % period {
            0 => format!("K{i};{quoted};\"two\nlines\""),
            1 => format!("K{i};;no stratum"),
            2 if i % 5 == 0 => format!("K{i};ragged"),
            _ => format!("K{i};{area};{}", "x".repeat(i % pad)),
        };
        t.push_str(&line);
        t.push('\n');
        i += 1;
    }
    t
}

/// A UTF-8 file of several MiB without a byte-order mark: detecting its encoding counts its
/// line feeds per 1 MiB block, and its ranges take their line numbers from that index
/// instead of reading the file again. The rows, lines and quarantine are those of one
/// parse, and those of ranges numbered by counting (the encoding given, no index).
#[test]
fn ranges_numbered_from_the_line_feed_index_as_by_counting() {
    let dir = tempfile::tempdir().unwrap();
    let t = nine_mib("äldre", "barn", 7, 97);
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &t).unwrap();
    let read_with = |encoding: urval_ingest::EncodingChoice, chunk: u64| {
        let extract = Extract::resolve_with(&[path.display().to_string()], None, encoding).unwrap();
        assert_eq!(
            extract.files[0].line_feeds.is_some(),
            encoding == urval_ingest::EncodingChoice::Auto,
            "an index exactly when the whole file was read to tell its encoding"
        );
        let mut spec = ScanSpec::new("id", &["area".to_string()]);
        spec.extra = vec!["note".to_string()];
        spec.csv_chunk_bytes = chunk;
        support::scan_rows(&extract, &spec)
    };
    let one = read_with(urval_ingest::EncodingChoice::Utf8, 0);
    assert!(one.0.len() > 100_000 && one.1.len() > 10_000);
    for chunk in [(1 << 20) - 1, (1 << 20) + 13, 3 << 20] {
        for encoding in [
            urval_ingest::EncodingChoice::Auto,
            urval_ingest::EncodingChoice::Utf8,
        ] {
            let split = read_with(encoding, chunk);
            assert_eq!(split.2, one.2, "ranges of {chunk}, {encoding:?}: counts");
            assert_eq!(
                split.1, one.1,
                "ranges of {chunk}, {encoding:?}: quarantine"
            );
            assert_eq!(split.0, one.0, "ranges of {chunk}, {encoding:?}: rows");
        }
    }
}

/// A file whose first 4 MiB are ASCII is not checked whole before it is read: the scan
/// reads each range into memory once and settles the encoding from it. The answer, the
/// rows, their lines and the quarantine are those of the whole-file check and of the
/// encoding given — for an ASCII file (UTF-8), one with "ä" as UTF-8 past the first 4 MiB in
/// a read and an unread column (UTF-8), and one with a Windows-1252 "ä" there (Windows-1252,
/// the earlier ranges, all ASCII, read the same either way) — on 1 and 2 threads, in
/// ranges of several sizes and in one piece (settled before it is read).
#[test]
fn an_ascii_prefix_is_settled_by_the_scan_as_by_the_whole_file() {
    use urval_ingest::{EncodingChoice, TextEncoding};
    let dir = tempfile::tempdir().unwrap();
    let base = nine_mib("barn", "aldre", 11, 53).into_bytes();
    // The first byte of a line at or after `at`.
    let line_at = |at: usize| at + base[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let with = |edits: &[(usize, &[u8])]| {
        let mut b = base.clone();
        // Later edits first, so the earlier offsets hold.
        for &(at, bytes) in edits.iter().rev() {
            let at = line_at(at);
            b.splice(at..at, bytes.iter().copied());
        }
        b
    };
    let cases: Vec<(&str, Vec<u8>, TextEncoding)> = vec![
        ("ascii", base.clone(), TextEncoding::Utf8),
        (
            "utf-8 past the prefix",
            with(&[
                (6 << 20, "K-a;äldre;x\n".as_bytes()),
                (8 << 20, "K-b;barn;å är ö\n".as_bytes()),
            ]),
            TextEncoding::Utf8,
        ),
        (
            "windows-1252 past the prefix",
            with(&[
                (5 << 20, b"K-c;\xe4ldre;x\n".as_slice()),
                (7 << 20, b"K-d;barn;\xe5 \xe4r \xf6\n".as_slice()),
            ]),
            TextEncoding::Windows1252,
        ),
    ];
    for (name, bytes, want) in cases {
        let path = dir.path().join("prefix.csv");
        std::fs::write(&path, &bytes).unwrap();
        let arg = [path.display().to_string()];
        assert_eq!(
            urval_ingest::encoding::detect(&path, EncodingChoice::Auto).unwrap(),
            want,
            "{name}: the whole-file check"
        );
        let given = match want {
            TextEncoding::Utf8 => EncodingChoice::Utf8,
            _ => EncodingChoice::Windows1252,
        };
        let read = |choice: EncodingChoice, chunk: u64, threads: usize| {
            let extract = Extract::resolve_with(&arg, None, choice).unwrap();
            let mut spec = ScanSpec::new("id", &["area".to_string()]);
            spec.extra = vec!["note".to_string()];
            spec.csv_chunk_bytes = chunk;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| support::scan_rows(&extract, &spec));
            (extract, got)
        };
        let (_, want_rows) = read(given, 0, 1);
        assert!(want_rows.0.len() > 100_000, "{name}");
        for chunk in [0, (1 << 20) + 13, 3 << 20] {
            for threads in [1, 2] {
                let (extract, got) = read(EncodingChoice::Auto, chunk, threads);
                let f = &extract.files[0];
                let pending = f.pending.as_ref().expect("an ASCII prefix is pending");
                assert_eq!(
                    pending.get(),
                    Some(want),
                    "{name}, {chunk}: settled by the scan"
                );
                assert_eq!(f.encoding(), Some(want), "{name}, {chunk}");
                assert_eq!(got.2, want_rows.2, "{name}, {chunk}, {threads}: counts");
                assert_eq!(got.1, want_rows.1, "{name}, {chunk}, {threads}: quarantine");
                assert_eq!(got.0, want_rows.0, "{name}, {chunk}, {threads}: rows");
            }
        }
        // Asked before any scan: the whole file is checked then.
        let extract = Extract::resolve_with(&arg, None, EncodingChoice::Auto).unwrap();
        assert_eq!(extract.files[0].pending.as_ref().unwrap().get(), None);
        assert_eq!(
            extract.files[0].encoding(),
            Some(want),
            "{name}: asked first"
        );
    }
}

/// A byte-order mark overrides `--encoding`: a UTF-8 file with a mark, given as
/// Windows-1252, is UTF-8 in every range, as in one piece (before, the first range was read
/// by the mark and the others as Windows-1252).
#[test]
fn a_byte_order_mark_overrides_the_encoding_given_in_every_range() {
    use urval_ingest::{EncodingChoice, TextEncoding};
    let dir = tempfile::tempdir().unwrap();
    let mut t = String::from("\u{feff}id;area;note\n");
    for i in 0..3000 {
        t.push_str(&format!("K{i};äldre;å är ö {i}\n"));
    }
    let path = dir.path().join("bom.csv");
    std::fs::write(&path, &t).unwrap();
    let arg = [path.display().to_string()];
    let read = |choice: EncodingChoice, chunk: u64| {
        let extract = Extract::resolve_with(&arg, None, choice).unwrap();
        assert_eq!(
            extract.files[0].encoding(),
            Some(TextEncoding::Utf8),
            "{choice:?}"
        );
        let mut spec = ScanSpec::new("id", &["area".to_string()]);
        spec.extra = vec!["note".to_string()];
        spec.csv_chunk_bytes = chunk;
        support::scan_rows(&extract, &spec)
    };
    let one = read(EncodingChoice::Auto, 0);
    assert_eq!(one.0.len(), 3000);
    assert!(one.1.is_empty());
    for choice in [
        EncodingChoice::Windows1252,
        EncodingChoice::Latin1,
        EncodingChoice::Utf8,
    ] {
        for chunk in [0, 1000, 7777] {
            let got = read(choice, chunk);
            assert_eq!(got.0, one.0, "{choice:?}, {chunk}");
            assert_eq!(got.1, one.1, "{choice:?}, {chunk}");
        }
    }
}
