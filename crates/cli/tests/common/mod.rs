//! Personnummer for the test corpora: Luhn-valid numbers, one in ten a samordningsnummer,
//! the forms an output could print them in, and the rewriting of a corpus file's `K0001`
//! keys into them.
#![allow(dead_code, clippy::unwrap_used)]

/// The Luhn check digit of nine digits (the personnummer's YYMMDDNNN).
pub fn luhn(body: &str) -> u32 {
    let sum: u32 = body
        .chars()
        .map(|c| c.to_digit(10).unwrap())
        .enumerate()
        .map(|(i, d)| {
            let v = d * if i % 2 == 0 { 2 } else { 1 };
            if v > 9 {
                v - 9
            } else {
                v
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Record `i`'s key: YYYYMMDD-NNNC, a samordningsnummer (day + 60) for one in ten.
pub fn pnr(i: usize) -> String {
    let year = 1940 + i % 60;
    let month = 1 + i % 12;
    let day = 1 + i % 28 + if i.is_multiple_of(10) { 60 } else { 0 };
    let serial = 100 + i % 900;
    let body = format!("{:02}{month:02}{day:02}{serial:03}", year % 100);
    format!("{}{month:02}{day:02}-{serial:03}{}", year, luhn(&body))
}

/// The personnummer in every form an output could print them: 10 digits with and without
/// the hyphen (the 12-digit forms contain these).
pub fn forms(numbers: &[String]) -> Vec<String> {
    let mut v = Vec::new();
    for n in numbers {
        let short = &n[2..];
        v.push(short.to_string());
        v.push(short.replace('-', ""));
    }
    v
}

/// A corpus file with every key `Knnnn` at the start of a line (after a byte-order mark
/// or a quote) replaced by `pnr(nnnn)`, and the numbers used.
pub fn personal_keys(bytes: &[u8]) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4);
    let mut used = Vec::new();
    let mut at_line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start {
            let mut p = i;
            if bytes[p..].starts_with(b"\xEF\xBB\xBF") {
                p += 3;
            }
            if bytes.get(p) == Some(&b'"') {
                p += 1;
            }
            let digits = bytes.get(p + 1..p + 5);
            let after = bytes.get(p + 5).copied();
            if bytes.get(p) == Some(&b'K')
                && digits.is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && matches!(after, Some(b';' | b',' | b'"' | b'\r' | b'\n') | None)
            {
                let n: usize = std::str::from_utf8(digits.unwrap())
                    .unwrap()
                    .parse()
                    .unwrap();
                let key = pnr(n);
                out.extend_from_slice(&bytes[i..p]);
                out.extend_from_slice(key.as_bytes());
                used.push(key);
                i = p + 5;
                at_line_start = false;
                continue;
            }
        }
        at_line_start = bytes[i] == b'\n';
        out.push(bytes[i]);
        i += 1;
    }
    (out, used)
}
