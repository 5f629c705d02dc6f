//! Why a filter kept no rows: the values the compared columns really hold, with counts, and
//! the nearest to each constant the filter named, by case and diacritics first
//! (`'aldre'` → `'äldre'`, `'k'` → `'K'`), then by edit distance.

use crate::error::Result;
use crate::scan::{scan, ScanSpec};
use crate::source::Extract;
use std::collections::HashMap;

/// At most this many distinct values are counted per column (memory stays bounded on an
/// identifier column); values past it are counted together.
pub const MAX_DISTINCT: usize = 10_000;

/// A column's values, most frequent first (ties by value), with the count of rows whose
/// value was not among the first [`MAX_DISTINCT`] distinct ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCounts {
    /// The column.
    pub column: String,
    /// (value, rows), most frequent first.
    pub values: Vec<(String, u64)>,
    /// Rows with values not counted one by one.
    pub other: u64,
}

/// Count the values of `columns` over every row of the extract (no filter). Rows whose value
/// is empty are not counted.
///
/// # Errors
/// As [`scan`].
pub fn value_counts(extract: &Extract, columns: &[String]) -> Result<Vec<ValueCounts>> {
    let mut out = Vec::new();
    for column in columns {
        let spec = ScanSpec::new("", std::slice::from_ref(column));
        let res = scan(
            extract,
            &spec,
            || (HashMap::<String, u64>::new(), 0u64),
            |(m, other), batch| {
                let col = &batch.strata[0];
                for &r in batch.rows {
                    let Some(v) = col.get(r as usize) else {
                        continue;
                    };
                    if let Some(c) = m.get_mut(v) {
                        *c += 1;
                    } else if m.len() < MAX_DISTINCT {
                        m.insert(v.to_string(), 1);
                    } else {
                        *other += 1;
                    }
                }
                Ok(())
            },
            &|_| {},
        )?;
        let mut all: HashMap<String, u64> = HashMap::new();
        let mut other = 0;
        for (m, o) in res.results {
            other += o;
            for (k, c) in m {
                *all.entry(k).or_insert(0) += c;
            }
        }
        let mut values: Vec<(String, u64)> = all.into_iter().collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.push(ValueCounts {
            column: column.clone(),
            values,
            other,
        });
    }
    Ok(out)
}

/// Lower case with the diacritics of Swedish and its neighbours taken off (å ä → a, ö ø → o,
/// é è → e, ü → u, æ → ae): `Äldre` → `aldre`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'å' | 'ä' | 'á' | 'à' | 'â' | 'ã' => out.push('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' | 'õ' => out.push('o'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ü' | 'ú' | 'ù' | 'û' => out.push('u'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            other => out.push(other),
        }
    }
    out
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The value present that the user most likely meant by `wanted`: the same once case and
/// diacritics are folded ([`fold`]), else the closest within an edit distance of 2 (of 1
/// for words of up to 4 letters); the more frequent wins a tie. None when the value is
/// present as written or nothing is near.
pub fn nearest<'a>(wanted: &str, present: &'a [(String, u64)]) -> Option<&'a str> {
    if present.iter().any(|(v, _)| v == wanted) {
        return None;
    }
    let w = fold(wanted);
    if let Some((v, _)) = present.iter().find(|(v, _)| fold(v) == w) {
        return Some(v);
    }
    let limit = if w.chars().count() <= 4 { 1 } else { 2 };
    present
        .iter()
        .map(|(v, c)| (distance(&w, &fold(v)), std::cmp::Reverse(*c), v))
        .filter(|(d, _, _)| *d <= limit)
        .min()
        .map(|(_, _, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_by_case_diacritics_and_distance() {
        let present: Vec<(String, u64)> = [
            ("äldre", 50),
            ("barn och unga", 30),
            ("missbruk", 5),
            ("K", 40),
        ]
        .iter()
        .map(|(v, c)| (v.to_string(), *c))
        .collect();
        assert_eq!(nearest("aldre", &present), Some("äldre"));
        assert_eq!(nearest("ÄLDRE", &present), Some("äldre"));
        assert_eq!(nearest("k", &present), Some("K"));
        assert_eq!(nearest("misbruk", &present), Some("missbruk"));
        assert_eq!(nearest("äldre", &present), None);
        assert_eq!(nearest("funktionshinder", &present), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
