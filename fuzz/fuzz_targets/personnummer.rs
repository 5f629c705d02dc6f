//! The personnummer check and the redaction: any text gives Ok or a problem, never a panic;
//! redacted text holds no personnummer any more, and the digits of a decimal number are
//! never touched. The input is used as it is and also with the shapes people write
//! personnummer in spliced in (dashes, a space, a letter glued on, a suffix, a decimal
//! point before ten digits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use urval_ingest::personal::{check_personnummer, contains_personnummer, redact};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check_personnummer(s);
    let shapes = [
        s.to_string(),
        format!("{s} 19811218\u{2013}9876"),
        format!("{s}19811218 9876-1"),
        format!("K198112189876{s}"),
        format!("13182.8112189876{s}"),
    ];
    for t in &shapes {
        let r = redact(t);
        assert!(!contains_personnummer(&r), "{t:?} -> {r:?}");
    }
    let number = format!("13182.8112189876{s}");
    assert!(redact(&number).starts_with("13182.8112189876"));
});
