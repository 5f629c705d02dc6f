//! The `--where` parser and evaluator: any text must parse or give an error, and a parsed
//! expression must evaluate on text columns without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use urval_ingest::Filter;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(f) = Filter::parse(text) else { return };
    let values: Vec<Option<&str>> = vec![
        Some("0180"),
        None,
        Some(""),
        Some("12"),
        Some("2024-02-29"),
        Some("true"),
    ];
    let arrays: Vec<arrow_array::ArrayRef> = f
        .columns()
        .iter()
        .map(|_| Arc::new(arrow_array::StringArray::from(values.clone())) as arrow_array::ArrayRef)
        .collect();
    if let Ok(b) = f.bind(&arrays) {
        for row in 0..values.len() {
            let _ = b.matches(row);
        }
    }
});
