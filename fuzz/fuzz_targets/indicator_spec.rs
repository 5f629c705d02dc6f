//! The indicator spec: any text must parse or give an error naming the file; a parsed spec
//! must evaluate every indicator on typed and text columns, a column at a time and a row
//! at a time, with the same answers and without panicking.
#![no_main]

use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::Arc;
use urval_indicators::spec::Spec;
use urval_ingest::T_ERROR;

fn column(i: usize) -> ArrayRef {
    match i % 4 {
        0 => Arc::new(StringArray::from(vec![Some("barn_unga"), None, Some(""), Some("12"), Some("2024-02-29")])),
        1 => Arc::new(Int64Array::from(vec![Some(3), None, Some(-7), Some(i64::MAX), Some(0)])),
        2 => Arc::new(Date32Array::from(vec![Some(19_000), None, Some(-1), Some(i32::MAX), Some(0)])),
        _ => Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true), None])),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = Spec::parse(text, Path::new("spec.toml")) else {
        return;
    };
    let rows: Vec<u32> = vec![0, 1, 2, 3, 4, 2];
    for ind in &spec.indicators {
        for f in ind.where_.iter().chain(ind.expr.iter()) {
            let arrays: Vec<ArrayRef> = (0..f.columns().len()).map(column).collect();
            let Ok(b) = f.bind(&arrays) else { continue };
            let (mut out, mut errs) = (Vec::new(), Vec::new());
            b.truth_rows(&rows, &mut out, &mut errs);
            for (j, &r) in rows.iter().enumerate() {
                let one = b.truth(r as usize);
                assert_eq!(one.is_err(), out[j] == T_ERROR);
                if let Ok(v) = one {
                    assert_eq!(out[j], match v { Some(true) => 1, Some(false) => 0, None => 2 });
                }
            }
            let mut nums = Vec::new();
            b.number_rows(&rows, &mut nums);
            for (j, &r) in rows.iter().enumerate() {
                assert_eq!(nums[j], b.number(r as usize));
            }
        }
    }
});
