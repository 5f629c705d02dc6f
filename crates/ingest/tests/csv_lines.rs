//! Plain CSV text split by lines and delimiters (`LineReader` in `scan.rs`) gives what the
//! `csv` crate's reader gives: the same rows with the same line numbers, the same
//! quarantine (reasons, lines, raw text) and counts — LF, CRLF and mixed line ends, a
//! missing last line end, a BOM, a quoted header, Windows-1252, ragged rows, empty keys and
//! strata, bytes that are not UTF-8 — whole and in ranges; and text that is not plain (a
//! quote, a lone CR, a blank line) is left to the `csv` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use proptest::prelude::*;
use std::path::Path;
use support::Row;
use urval_ingest::{EncodingChoice, Extract, ScanSpec};

type Read = (Vec<Row>, Vec<(u64, String, String)>, u64, u64);

/// How a file is read: the line reader or the `csv` crate alone; text columns
/// dictionary-encoded or plain; rows per batch.
#[derive(Debug, Clone, Copy)]
struct How {
    lines: bool,
    dictionary: bool,
    batch: usize,
}

/// The `csv` crate alone, plain text columns, five rows per batch.
const REFERENCE: How = How {
    lines: false,
    dictionary: false,
    batch: 5,
};

/// The rows, quarantine and counts of a scan (with `Auto`, a file that is not UTF-8 is
/// Windows-1252, so only `Utf8` shows bytes that are not text).
fn read_as(path: &Path, chunk: u64, how: How, encoding: EncodingChoice) -> Read {
    read_cols(path, chunk, how, encoding, true)
}

/// [`read_as`], reading the `note` column or not (without it the line reader records only
/// `id` and `area` and counts the other fields: a ragged row's raw text, and a `note`
/// that is not text, must come out the same).
fn read_cols(path: &Path, chunk: u64, how: How, encoding: EncodingChoice, note: bool) -> Read {
    let extract = Extract::resolve_with(&[path.display().to_string()], None, encoding).unwrap();
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    if note {
        spec.extra = vec!["note".to_string()];
    }
    spec.csv_chunk_bytes = chunk;
    spec.csv_line_reader = how.lines;
    spec.text_dictionary = how.dictionary;
    spec.batch_size = how.batch;
    let (rows, q, counts) = support::scan_rows(&extract, &spec);
    (rows, q, counts.rows_read, counts.rows_quarantined)
}

/// One data line's fields, as bytes.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just(b"".to_vec()),
        Just(b"x".to_vec()),
        Just("äldre".as_bytes().to_vec()),
        Just(b"barn unga".to_vec()),
        Just(b" 12 ".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        // Halves of "ä": valid text together, not alone.
        Just(b"\xc3".to_vec()),
        Just(b"\xa4".to_vec()),
        "[a-z0-9]{1,6}".prop_map(String::into_bytes),
    ];
    (1usize..5, proptest::collection::vec(field, 4), 0u32..1000).prop_map(|(n, f, k)| {
        // Usually three fields (id;area;note), sometimes fewer or more.
        let n = match n {
            1 => 2,
            4 => 4,
            _ => 3,
        };
        let mut out = format!("K{k}").into_bytes();
        for v in f.into_iter().take(n - 1) {
            out.push(b';');
            out.extend(v);
        }
        out
    })
}

/// A file: header, lines, line ends (LF, CRLF or mixed), a last line end or not, a BOM or
/// not, and maybe one thing that is not plain.
fn file() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(line(), 0..40),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        0u8..8,
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(|(lines, ends, last_end, bom, spoil, at, quoted_header)| {
            let mut t = Vec::new();
            if bom {
                t.extend_from_slice(b"\xEF\xBB\xBF");
            }
            t.extend_from_slice(if quoted_header {
                b"\"id\";\"area\";\"note\""
            } else {
                b"id;area;note"
            });
            let n = lines.len();
            for (i, l) in lines.into_iter().enumerate() {
                let crlf = match ends {
                    0 => false,
                    1 => true,
                    _ => i % 3 == 1,
                };
                t.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                let spoilt = n > 0 && i == at as usize % n;
                match spoil {
                    1 if spoilt => t.extend_from_slice(b"\"q;uoted\";x;y"),
                    2 if spoilt => {
                        t.extend_from_slice(&l);
                        t.extend_from_slice(b"\rK9;lone;cr");
                        continue;
                    }
                    3 if spoilt => t.extend_from_slice(b"\n"),
                    _ => {}
                }
                t.extend_from_slice(&l);
            }
            if last_end {
                t.extend_from_slice(b"\n");
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn plain_lines_read_like_the_csv_crate(bytes in file(), cp1252 in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("extract.csv");
        // Windows-1252: every byte is a character, so the same bytes read another way.
        let bytes = if cp1252 && !bytes.starts_with(b"\xEF\xBB\xBF") {
            encoding_rs::WINDOWS_1252.encode(&String::from_utf8_lossy(&bytes)).0.into_owned()
        } else {
            bytes
        };
        std::fs::write(&path, &bytes).unwrap();
        for encoding in [EncodingChoice::Auto, EncodingChoice::Utf8] {
            for note in [true, false] {
                let want = read_cols(&path, 0, REFERENCE, encoding, note);
                // The line reader with plain text columns, and with dictionary-encoded ones
                // (a batch of 5 keeps at most 2 distinct values, so most columns turn plain;
                // one of 64 keeps most as dictionaries).
                for (dictionary, batch) in [(false, 5), (true, 5), (true, 64)] {
                    let how = How { lines: true, dictionary, batch };
                    for chunk in [0u64, 9, 40, 1 << 20] {
                        let got = read_cols(&path, chunk, how, encoding, note);
                        prop_assert_eq!(&got, &want, "ranges of {}, {:?}, {:?}, note {}", chunk, encoding, how, note);
                    }
                }
            }
        }
    }
}

/// A field is valid UTF-8 on its own or not at all: the halves of one character in two
/// fields are not valid text, whichever reader splits the line.
#[test]
fn halves_of_a_character_in_two_fields_are_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extract.csv");
    for text in [
        &b"id;area;note\nK1;\xc3;\xa4\n"[..],
        &b"\"id\";\"area\";\"note\"\n\"K1\";\"\xc3\";\"\xa4\"\n"[..],
    ] {
        std::fs::write(&path, text).unwrap();
        for lines in [true, false] {
            let how = How { lines, ..REFERENCE };
            let (rows, q, read_n, quarantined) = read_as(&path, 0, how, EncodingChoice::Utf8);
            assert!(rows.is_empty(), "{rows:?}");
            assert_eq!((read_n, quarantined), (1, 1));
            assert_eq!(q[0].0, 2);
            assert_eq!(q[0].1, "column \"area\" is not valid UTF-8");
        }
    }
}
