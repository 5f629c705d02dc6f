//! Dates are found as the scan reads a CSV file: a column of plain ISO dates or of text is
//! settled by that one pass (the accumulator is made once), while a column that must be read
//! as dates (`25/06/2024`, even in the last range only) has the extract read again with that
//! reading, the sink seeing only the second pass. A failing first pass stands, unless the
//! dates read as dates would have let it through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow_schema::DataType;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use urval_ingest::{scan_ordered, Extract, IngestError, ScanSpec};

const ROWS: usize = 30_000;

/// `id;area;opened;note`, the opened dates ISO but the last `slash` rows' as `DD/MM/YYYY`.
fn write(path: &Path, slash: usize, note: impl Fn(usize) -> String) {
    let mut s = String::from("id;area;opened;note\n");
    for i in 0..ROWS {
        let (d, m) = (1 + i % 28, 1 + i % 12);
        // A day past the 12th tells the slash dates' order.
        let opened = if i >= ROWS - slash {
            format!("{:02}/{m:02}/2024", 13 + i % 16)
        } else {
            format!("2024-{m:02}-{d:02}")
        };
        writeln!(
            s,
            "K{i:06};{};{opened};{}",
            ["aldre", "barn"][i % 2],
            note(i)
        )
        .unwrap();
    }
    std::fs::write(path, s).unwrap();
}

/// What the scan saw: (accumulators made, states the sink took, rows folded, the data types
/// of `opened` seen, rows read).
type Seen = (usize, usize, u64, Vec<DataType>, u64);

fn run(path: &Path, fail_on_slash_text: bool) -> Result<Seen, IngestError> {
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let mut spec = ScanSpec::new("id", &["area".to_string()]);
    spec.extra = vec!["opened".into(), "note".into()];
    spec.batch_size = 1_000;
    spec.csv_chunk_bytes = 64 << 10;
    let made = AtomicUsize::new(0);
    let ((states, rows, types), out) = scan_ordered(
        &extract,
        &spec,
        || (0u64, Vec::<DataType>::new()),
        |(n, types), b| {
            let opened = &b.extra[0];
            if !types.contains(opened.data_type()) {
                types.push(opened.data_type().clone());
            }
            if fail_on_slash_text {
                if let Some(t) = urval_ingest::TextCol::from_array(opened) {
                    if opened.data_type() != &DataType::Date32
                        && b.rows
                            .iter()
                            .any(|&r| t.get(r as usize).is_some_and(|v| v.contains('/')))
                    {
                        return Err(IngestError::CsvHeader {
                            path: b.path.to_path_buf(),
                            reason: "a date read as text".into(),
                        });
                    }
                }
            }
            *n += b.rows.len() as u64;
            Ok(())
        },
        || {
            made.fetch_add(1, Ordering::SeqCst);
            (0usize, 0u64, Vec::<DataType>::new())
        },
        |(states, rows, types), (n, t)| {
            *states += 1;
            *rows += n;
            for d in t {
                if !types.contains(&d) {
                    types.push(d);
                }
            }
            Ok(())
        },
        &|_| {},
    )?;
    Ok((
        made.load(Ordering::SeqCst),
        states,
        rows,
        types,
        out.files[0].rows_read,
    ))
}

#[test]
fn iso_dates_and_text_take_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iso.csv");
    write(&path, 0, |i| format!("note {i}"));
    let (made, states, rows, types, read) = run(&path, false).unwrap();
    assert_eq!(made, 1, "one pass");
    assert!(states > 1, "the file is read in ranges");
    assert_eq!((rows, read), (ROWS as u64, ROWS as u64));
    // Plain ISO dates need no reading: they stay text.
    assert!(types.iter().all(|t| t != &DataType::Date32), "{types:?}");
}

#[test]
fn slash_dates_in_the_last_range_have_the_extract_read_again_as_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slash.csv");
    write(&path, 5, |i| format!("note {i}"));
    let (made, _, rows, types, read) = run(&path, false).unwrap();
    assert_eq!(made, 2, "read again with the dates");
    // The sink saw the second pass only: every row once, every value a date.
    assert_eq!((rows, read), (ROWS as u64, ROWS as u64));
    assert_eq!(types, vec![DataType::Date32]);
}

#[test]
fn a_first_pass_that_fails_on_dates_read_as_text_is_read_again_as_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slash.csv");
    // Slash dates from the first range on: the first pass fails on its first batch.
    write(&path, ROWS / 2, |i| format!("note {i}"));
    let (made, _, rows, types, _) = run(&path, true).unwrap();
    assert_eq!(made, 2);
    assert_eq!(rows, ROWS as u64);
    assert_eq!(types, vec![DataType::Date32]);
}

#[test]
fn an_error_that_dates_do_not_explain_stands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.csv");
    // `opened` holds a name in one row: no date column, and its slash values stay text.
    write(&path, ROWS / 2, |i| format!("note {i}"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("K000003;barn;04/04/2024", "K000003;barn;Sven", 1)
        .replacen("K000003;barn;2024-04-04", "K000003;barn;Sven", 1);
    std::fs::write(&path, text).unwrap();
    let err = run(&path, true).unwrap_err();
    assert!(err.to_string().contains("a date read as text"), "{err}");
}

#[test]
fn ambiguous_slash_dates_found_in_the_scan_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ambiguous.csv");
    let mut s = String::from("id;area;opened;note\n");
    for i in 0..2_000 {
        writeln!(
            s,
            "K{i:06};aldre;{:02}/{:02}/2024;x",
            1 + i % 12,
            1 + i % 12
        )
        .unwrap();
    }
    std::fs::write(&path, s).unwrap();
    match run(&path, false) {
        Err(IngestError::AmbiguousDates { column, example }) => {
            assert_eq!(
                (column.as_str(), example.as_str()),
                ("opened", "01/01/2024")
            );
        }
        other => panic!("{other:?}"),
    }
}
