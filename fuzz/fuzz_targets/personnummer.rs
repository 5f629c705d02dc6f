//! The personnummer check: any text gives Ok or a problem, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = urval_ingest::personal::check_personnummer(s);
    }
});
