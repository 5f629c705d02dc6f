//! Numbers as people write and read them: rates (`5 %`, `0,05`), thousands separators, and
//! the reconciliation line every scanning operation reports.

/// A flag or cell value that is not a number or a rate; the message says what to write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// Not a number.
    #[error("not a number: {text:?}")]
    NotANumber {
        /// The text as given.
        text: String,
    },
    /// Not a rate (`0.05`, `5%`, `5 %`).
    #[error("not a rate: {text:?} (write 0.05, 5% or \"5 %\")")]
    NotARate {
        /// The text as given.
        text: String,
    },
}

/// Parse a probability-like flag value; range checks live in the design crate.
///
/// # Errors
/// [`NumberError::NotANumber`].
pub fn parse_f64(s: &str) -> Result<f64, NumberError> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .replace(',', ".")
        .parse()
        .map_err(|_| NumberError::NotANumber {
            text: s.to_string(),
        })?;
    if s.trim().ends_with('%') {
        Ok(v / 100.0)
    } else {
        Ok(v)
    }
}

/// Parse a rate (a share, a margin, a confidence): `0.05`, `5%`, `5 %`, `5,0 %` (a space,
/// also a non-breaking one, before `%` and a decimal comma as Swedish typography writes
/// them). A value above 1 without `%` is passed on: the design math refuses it with the
/// likely meaning (`margin must be in [0.000001, 1) …, got 5: did you mean 5 % (0.05)?`).
///
/// # Errors
/// [`NumberError::NotARate`].
pub fn parse_rate(s: &str) -> Result<f64, NumberError> {
    let t = s.trim();
    let (number, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim_end_matches([' ', '\u{a0}', '\u{202f}']), true),
        None => (t, false),
    };
    let v: f64 = number
        .trim()
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| NumberError::NotARate {
            text: s.to_string(),
        })?;
    Ok(if percent { v / 100.0 } else { v })
}

/// An integer with thousands separators: 153000 → "153,000".
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The line every scanning command prints: rows read = used + excluded + quarantined.
pub fn reconciliation(read: u64, used: u64, excluded: u64, quarantined: u64) -> String {
    format!(
        "  rows read {} = used {} + excluded by --where {} + quarantined {}",
        thousands(read),
        thousands(used),
        thousands(excluded),
        thousands(quarantined)
    )
}

/// A word for a POSIX shell: as it is when it holds only characters no shell reads
/// specially, else in single quotes (a `'` inside as `'\''`), so that a printed command can
/// be pasted as it is, whatever the file names hold.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "_./-:=,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("out/plan.json"), "out/plan.json");
        assert_eq!(shell_quote("my plan.json"), "'my plan.json'");
        assert_eq!(shell_quote("a'b;rm -rf x"), "'a'\\''b;rm -rf x'");
        assert_eq!(shell_quote("$(x)"), "'$(x)'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("ärenden.csv"), "ärenden.csv");
    }
}
