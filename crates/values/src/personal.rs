//! Personal data: Swedish personal identity numbers (personnummer and samordningsnummer)
//! checked without ever being printed, and keyed pseudonyms (HMAC-SHA-256) that replace
//! them before anything is written.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What stands in a quarantine row for a personal column's value.
pub const PERSONAL_MASK: &str = "<personal>";

/// Why a personal identity number is not valid. Carries no part of the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PnrProblem {
    /// Empty or null.
    Empty,
    /// Not 10 or 12 digits with an optional `-` or `+` before the last four.
    Format,
    /// The date part is not a date (day 61–91 is a samordningsnummer's day + 60).
    Date,
    /// The Luhn check digit does not match.
    CheckDigit,
}

impl PnrProblem {
    /// A short description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            PnrProblem::Empty => "empty",
            PnrProblem::Format => "not 10 or 12 digits (YYMMDD-NNNC, YYYYMMDDNNNC)",
            PnrProblem::Date => "the date part is not a valid date",
            PnrProblem::CheckDigit => "the Luhn check digit does not match",
        }
    }
}

/// The Luhn (mod 10) check over digits: weights 2, 1, 2, 1, … from the left for the
/// nine-digit body, as Skatteverket specifies for the personnummer (SKV 704, 2007).
pub fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().enumerate() {
        let mut v = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
        if v > 9 {
            v -= 9;
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Check a personnummer or samordningsnummer: 10 digits `YYMMDDNNNC` (with `-`, or `+`
/// for people aged 100 or more, before the last four) or 12 digits `YYYYMMDDNNNC` (with an
/// optional `-`); the date must exist, with the day raised by 60 for a samordningsnummer;
/// C is the Luhn check digit over `YYMMDDNNN`. Source: Skatteverket, SKV 704 (2007) and
/// the Population Registration Act (Folkbokföringslagen 1991:481, 18 §).
pub fn check_personnummer(s: &str) -> Result<(), PnrProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Err(PnrProblem::Empty);
    }
    let b = s.as_bytes();
    let digits: Vec<u8> = match b.len() {
        10 | 12 if b.iter().all(u8::is_ascii_digit) => b.iter().map(|c| c - b'0').collect(),
        11 | 13 if matches!(b[b.len() - 5], b'-' | b'+') => {
            let (head, tail) = (&b[..b.len() - 5], &b[b.len() - 4..]);
            if !head.iter().chain(tail).all(u8::is_ascii_digit) {
                return Err(PnrProblem::Format);
            }
            head.iter().chain(tail).map(|c| c - b'0').collect()
        }
        _ => return Err(PnrProblem::Format),
    };
    let body: &[u8] = if digits.len() == 12 {
        &digits[2..]
    } else {
        &digits
    };
    let month = body[2] * 10 + body[3];
    let mut day = body[4] * 10 + body[5];
    if day > 60 {
        day -= 60;
    }
    let year: u32 = if digits.len() == 12 {
        digits[..4].iter().fold(0, |a, &d| a * 10 + u32::from(d))
    } else {
        // Leap years repeat every 4 years; 2000 makes a two-digit 00 a leap year.
        2000 + u32::from(body[0] * 10 + body[1])
    };
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(PnrProblem::Date),
    };
    if day == 0 || day > days_in_month {
        return Err(PnrProblem::Date);
    }
    if !luhn_ok(body) {
        return Err(PnrProblem::CheckDigit);
    }
    Ok(())
}

/// One character that may stand between the date part and the last four digits of a
/// personnummer as people and systems write it: `-`, `+`, `/`, a space, a no-break space,
/// a soft hyphen, the Unicode spaces U+2007–U+200A and U+202F, the hyphens and dashes
/// U+2010–U+2014, the minus sign U+2212 and the fullwidth hyphen-minus U+FF0D (never `.`
/// or `,`: `811218.9876` is a number). Its length in bytes at the start of `b`.
fn separator_char_len(b: &[u8]) -> Option<usize> {
    match b {
        [b'-' | b'+' | b' ' | b'/', ..] => Some(1),
        [0xC2, 0xA0 | 0xAD, ..] => Some(2),
        [0xE2, 0x80, 0x87..=0x8A | 0x90..=0x94 | 0xAF, ..]
        | [0xE2, 0x88, 0x92, ..]
        | [0xEF, 0xBC, 0x8D, ..] => Some(3),
        _ => None,
    }
}

/// The separator at the start of `b`: one separator character ([`separator_char_len`]), or
/// a dash between two spaces (`811218 - 9876`) or two hyphens (`811218--9876`), never more:
/// numbers in adjacent columns of a text table stand further apart. Its length in bytes.
fn separator_len(b: &[u8]) -> Option<usize> {
    let first = separator_char_len(b)?;
    if b.starts_with(b"--") {
        return Some(2);
    }
    if b[0] == b' ' {
        if let Some(dash) = separator_char_len(&b[1..]).filter(|_| b[1] != b' ') {
            if b.get(1 + dash) == Some(&b' ') {
                return Some(dash + 2);
            }
        }
    }
    Some(first)
}

/// Where the next personnummer or samordningsnummer of `b` at or after `from` stands: the
/// byte range of its digits (date part, separator, last four), or `None`.
///
/// A candidate is a run of 10 or 12 digits, or of 6 or 8 digits, one separator
/// ([`separator_len`]) and 4 digits, that [`check_personnummer`] accepts. It is never part
/// of a larger number: a run of more digits, digits after a decimal point (`13182.1234567890`)
/// or before one (`8112189876.5`) are left alone. A letter right before or after (`K193102020017`,
/// `K811218-9876`, `19811218-9876a`) is allowed for the 12-digit forms and the forms with a
/// separator, not for ten digits alone, so that a run of ten digits inside a hexadecimal
/// checksum is not taken for one. What follows the last four
/// digits may be anything but a digit or a letter (`19300101-0002-1` is masked up to `-1`).
fn next_personnummer(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let digits_from = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = from;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let start = i;
        let run = digits_from(start);
        i = start + run;
        // Digits after a decimal point belong to a number.
        if start >= 2 && b[start - 1] == b'.' && b[start - 2].is_ascii_digit() {
            continue;
        }
        let glued_before = start > 0 && b[start - 1].is_ascii_alphabetic();
        // (end, digits of the date part, whether a separator stands before the last four)
        let (end, date_len, separated) = match run {
            10 | 12 => (start + run, run - 4, false),
            6 | 8 => {
                let Some(sep) = separator_len(&b[start + run..]) else {
                    continue;
                };
                let tail = start + run + sep;
                if tail >= b.len() || digits_from(tail) != 4 {
                    continue;
                }
                (tail + 4, run, true)
            }
            _ => continue,
        };
        let after = &b[end..];
        // Digits before a decimal point belong to a number too.
        if matches!(after, [b'.', d, ..] if d.is_ascii_digit()) {
            continue;
        }
        let glued_after = after.first().is_some_and(u8::is_ascii_alphabetic);
        if (glued_before || glued_after) && date_len != 8 && !separated {
            continue;
        }
        let candidate: String = if separated {
            // Date part, separator, last four: checked as `date-NNNN` (`+` kept).
            let plus = b[start + run] == b'+';
            format!(
                "{}{}{}",
                &text[start..start + run],
                if plus { '+' } else { '-' },
                &text[end - 4..end]
            )
        } else {
            text[start..end].to_string()
        };
        if check_personnummer(&candidate).is_ok() {
            return Some((start, end));
        }
    }
    None
}

/// Whether `text` holds a personnummer or samordningsnummer as [`redact`] finds them.
pub fn contains_personnummer(text: &str) -> bool {
    next_personnummer(text, 0).is_some()
}

/// The last line of defence: `text` with every personnummer or samordningsnummer in it
/// ([`check_personnummer`]: a real date, a valid check digit) replaced by
/// [`PERSONAL_MASK`], in the forms people write them: 10 or 12 digits, or the date
/// part and the last four with `-`, `+`, a space or a dash between, a letter glued before
/// or after the 12-digit form (see `next_personnummer` for what is never taken for one:
/// a longer run of digits, the digits of a decimal number). Used on every message, log line,
/// quarantine reason and report, and on each string value of JSON outputs
/// ([`crate::masked`]); never on serialised numbers.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut last = 0;
    while let Some((start, end)) = next_personnummer(text, last) {
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[last..start]);
        o.push_str(PERSONAL_MASK);
        last = end;
    }
    match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[last..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// Keyed pseudonyms: HMAC-SHA-256 (RFC 2104, FIPS 180-4) of the value with a secret, as
/// 64 lowercase hex digits. The same secret gives the same pseudonym (linkable across
/// extracts); another secret gives unrelated ones; without the secret it cannot be reversed
/// or recomputed.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl Pseudonymizer {
    /// A pseudonymizer from a secret (at least 16 bytes).
    pub fn new(secret: &[u8]) -> Option<Pseudonymizer> {
        if secret.len() < 16 {
            return None;
        }
        Hmac::<Sha256>::new_from_slice(secret)
            .ok()
            .map(|mac| Pseudonymizer { mac })
    }

    /// The pseudonym of a value.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut m = self.mac.clone();
        m.update(value.as_bytes());
        m.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_personnummer_and_nothing_else() {
        for (text, want) in [
            (
                "column \"pages\": \"19761078-2042\" is not a number",
                Some("column \"pages\": \"<personal>\" is not a number"),
            ),
            (
                "key 811218-9876 occurs twice",
                Some("key <personal> occurs twice"),
            ),
            ("191212121212;0180;x", Some("<personal>;0180;x")),
            ("8112189876,8112189876", Some("<personal>,<personal>")),
            (
                "samordningsnummer 701063-2391.",
                Some("samordningsnummer <personal>."),
            ),
            ("date 2024-01-31, count 1234567890", None),
            ("hash bde9ae0763229511218987ae", None),
            ("äldre 811218-9876", Some("äldre <personal>")),
            ("", None),
            // Dashes, spaces and suffixes people and systems write.
            ("19811218\u{2013}9876", Some("<personal>")),
            ("19811218\u{2014}9876", Some("<personal>")),
            ("811218 9876 ok", Some("<personal> ok")),
            ("19811218\u{a0}9876", Some("<personal>")),
            ("19811218-9876-1", Some("<personal>-1")),
            ("K198112189876", Some("K<personal>")),
            ("K811218-9876", Some("K<personal>")),
            ("pnr811218-9876:", Some("pnr<personal>:")),
            ("811218\u{2009}9876", Some("<personal>")),
            ("811218 - 9876", Some("<personal>")),
            ("811218 \u{2013} 9876", Some("<personal>")),
            ("811218--9876", Some("<personal>")),
            ("811218\u{ad}9876", Some("<personal>")),
            ("811218\u{ff0d}9876", Some("<personal>")),
            ("811218/9876", Some("<personal>")),
            ("n 811218  9876", None),
            ("811218.9876", None),
            ("811218,9876", None),
            ("198112189876a", Some("<personal>a")),
            ("(19811218-9876)", Some("(<personal>)")),
            // Never a number's digits.
            ("\"weight\": 13182.8112189876,", None),
            ("8112189876.5", None),
            ("1.198112189876e3", None),
            ("18112189876", None),
            ("81121898760", None),
            // Ten digits glued to letters: a hexadecimal checksum, not a personnummer.
            ("ab8112189876cd", None),
            ("x8112189876", None),
        ] {
            let got = redact(text);
            match want {
                None => assert_eq!(got, text, "{text}"),
                Some(w) => assert_eq!(got, w, "{text}"),
            }
        }
    }

    #[test]
    fn personnummer_checks() {
        // Skatteverket's documented example: 811218-9876 (SKV 704).
        assert_eq!(check_personnummer("811218-9876"), Ok(()));
        assert_eq!(check_personnummer("8112189876"), Ok(()));
        assert_eq!(check_personnummer("198112189876"), Ok(()));
        assert_eq!(check_personnummer("19811218-9876"), Ok(()));
        assert_eq!(check_personnummer("811218+9876"), Ok(()));
        assert_eq!(
            check_personnummer("811218-9875"),
            Err(PnrProblem::CheckDigit)
        );
        assert_eq!(check_personnummer("811318-9876"), Err(PnrProblem::Date));
        assert_eq!(check_personnummer("81121-89876"), Err(PnrProblem::Format));
        assert_eq!(check_personnummer("abc"), Err(PnrProblem::Format));
        assert_eq!(check_personnummer(""), Err(PnrProblem::Empty));
        // Samordningsnummer: day + 60 (18 → 78), check digit recomputed: 811278-987?.
        let body = [8u8, 1, 1, 2, 7, 8, 9, 8, 7];
        let c = (0..10u8).find(|&c| {
            let mut d = body.to_vec();
            d.push(c);
            luhn_ok(&d)
        });
        let s = format!("811278-987{}", c.unwrap());
        assert_eq!(check_personnummer(&s), Ok(()));
        // 29 February only in leap years.
        assert_eq!(
            check_personnummer("19000229-0000").err(),
            Some(PnrProblem::Date)
        );
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        // RFC 4231 test case 2 is for a short key; here: stability and key dependence.
        let a = Pseudonymizer::new(b"0123456789abcdef-secret").unwrap();
        let b = Pseudonymizer::new(b"another secret of 16+ bytes").unwrap();
        assert_eq!(a.pseudonym("811218-9876"), a.pseudonym("811218-9876"));
        assert_ne!(a.pseudonym("811218-9876"), b.pseudonym("811218-9876"));
        assert_eq!(a.pseudonym("x").len(), 64);
        assert!(Pseudonymizer::new(b"short").is_none());
        assert!(!format!("{a:?}").contains("0123"));
    }

    #[test]
    fn hmac_sha256_rfc4231_vector() {
        // RFC 4231 test case 1: key = 0x0b × 20, data = "Hi There".
        let p = Pseudonymizer::new(&[0x0b; 20]).unwrap();
        assert_eq!(
            p.pseudonym("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }
}
