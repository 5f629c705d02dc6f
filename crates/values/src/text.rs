//! Columns read as text: key and strata values are compared as the text written in the
//! extract, whatever the file format (`0180` stays `0180`; an integer key 42 is `42`); and
//! one value's text trimmed ([`trim`]) and read as a decimal number ([`parse_decimal`]) or a
//! boolean ([`parse_bool`]); a column's values read as numbers ([`numbers`]).

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, Int32Array, LargeStringArray, StringArray, StringViewArray};
use arrow_schema::DataType;

/// `str::trim` (Unicode white space at both ends), answered without decoding a character
/// when both end bytes are ASCII and not white space, as nearly every extract value is:
/// `str::trim` otherwise. The same answer for every string (a test checks it).
#[inline]
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l))
            if f.is_ascii()
                && l.is_ascii()
                && !char::from(f).is_whitespace()
                && !char::from(l).is_whitespace() =>
        {
            s
        }
        _ => s.trim(),
    }
}

/// A value as a decimal number, as extracts write them: surrounding white space ignored and
/// a decimal comma read as a point (`12,5` = `12.5`); `None` for anything else. The comma
/// is swapped (a new `String`) only in a value that has one.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let t = trim(s);
    if t.contains(',') {
        t.replace(',', ".").parse().ok()
    } else {
        t.parse().ok()
    }
}

/// The words read as booleans (any case, surrounding spaces ignored).
const TRUE_WORDS: [&str; 8] = ["true", "t", "1", "yes", "y", "ja", "j", "sant"];

const FALSE_WORDS: [&str; 7] = ["false", "f", "0", "no", "n", "nej", "falskt"];

/// A value as a boolean, as extracts write them: `true`, `t`, `1`, `yes`, `y`, `ja`, `j`,
/// `sant` or `false`, `f`, `0`, `no`, `n`, `nej`, `falskt`, in any case, surrounding white
/// space ignored; `None` for anything else.
pub fn parse_bool(s: &str) -> Option<bool> {
    let t = trim(s);
    if TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// A column viewed as text, with a fast path for dictionary-encoded strings.
#[derive(Debug, Clone)]
pub enum TextCol {
    /// UTF-8 strings.
    Utf8(StringArray),
    /// Large UTF-8 strings.
    LargeUtf8(LargeStringArray),
    /// UTF-8 string views.
    View(StringViewArray),
    /// Dictionary-encoded strings: `values[keys[row]]`.
    Dict {
        /// The keys (null where the row is null).
        keys: Int32Array,
        /// The dictionary.
        values: StringArray,
    },
}

/// Types that Arrow's cast to UTF-8 does not print faithfully (or at all): time-zone-aware
/// and plain timestamps, times, durations, intervals and nested types.
fn needs_formatter(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(..)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Duration(_)
            | DataType::Interval(_)
            | DataType::Struct(_)
            | DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::Map(..)
            | DataType::Union(..)
    )
}

impl TextCol {
    /// View an array as text. Numbers, dates, booleans and other dictionaries are cast
    /// to UTF-8 the way Arrow prints them (integers in shortest decimal form, dates as
    /// YYYY-MM-DD). Returns `None` for types that cannot be printed.
    pub fn from_array(array: &ArrayRef) -> Option<TextCol> {
        match array.data_type() {
            DataType::Utf8 => Some(TextCol::Utf8(array.as_string::<i32>().clone())),
            DataType::LargeUtf8 => Some(TextCol::LargeUtf8(array.as_string::<i64>().clone())),
            DataType::Utf8View => Some(TextCol::View(array.as_string_view().clone())),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = array.as_dictionary::<Int32Type>();
                Some(TextCol::Dict {
                    keys: d.keys().clone(),
                    values: d.values().as_string::<i32>().clone(),
                })
            }
            // Bytes are text only when they are UTF-8: a cast that would turn a bad value
            // into an empty one (Arrow's "safe" cast) is refused instead.
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => {
                let opts = arrow_cast::CastOptions {
                    safe: false,
                    ..Default::default()
                };
                let cast = arrow_cast::cast_with_options(array, &DataType::Utf8, &opts).ok()?;
                Some(TextCol::Utf8(cast.as_string::<i32>().clone()))
            }
            // Timestamps, times, durations, structs, lists and maps: printed by Arrow's
            // display formatter (ISO 8601, a time zone as its offset, `{a: 1}`, `[1, 2]`).
            t if needs_formatter(t) => {
                let opts = arrow_cast::display::FormatOptions::default().with_null("");
                let f = arrow_cast::display::ArrayFormatter::try_new(array.as_ref(), &opts).ok()?;
                let values: StringArray = (0..array.len())
                    .map(|i| (!array.is_null(i)).then(|| f.value(i).to_string()))
                    .collect();
                Some(TextCol::Utf8(values))
            }
            _ => {
                let opts = arrow_cast::CastOptions {
                    safe: false,
                    ..Default::default()
                };
                let cast = arrow_cast::cast_with_options(array, &DataType::Utf8, &opts).ok()?;
                Some(TextCol::Utf8(cast.as_string::<i32>().clone()))
            }
        }
    }

    /// The value at `row`, `None` when null.
    #[inline]
    pub fn get(&self, row: usize) -> Option<&str> {
        match self {
            TextCol::Utf8(a) => (!a.is_null(row)).then(|| a.value(row)),
            TextCol::LargeUtf8(a) => (!a.is_null(row)).then(|| a.value(row)),
            TextCol::View(a) => (!a.is_null(row)).then(|| a.value(row)),
            TextCol::Dict { keys, values } => {
                if keys.is_null(row) {
                    return None;
                }
                let k = keys.value(row);
                usize::try_from(k)
                    .ok()
                    .filter(|&k| k < values.len() && !values.is_null(k))
                    .map(|k| values.value(k))
            }
        }
    }

    /// Mark `missing[i] = true` for every row whose value is null or empty, column at a
    /// time (one pass over the offsets, or one check per dictionary entry).
    pub fn mark_missing(&self, missing: &mut [bool]) {
        /// The NULLs of a validity buffer, none of whose bits is read when it counts none.
        fn nulls(n: Option<&arrow_buffer::NullBuffer>, missing: &mut [bool]) {
            if let Some(n) = n.filter(|n| n.null_count() > 0) {
                for (i, m) in missing.iter_mut().enumerate() {
                    *m |= n.is_null(i);
                }
            }
        }
        fn offsets<O: arrow_array::OffsetSizeTrait>(
            a: &arrow_array::GenericStringArray<O>,
            missing: &mut [bool],
        ) {
            for (m, w) in missing.iter_mut().zip(a.value_offsets().windows(2)) {
                *m |= w[1] == w[0];
            }
            nulls(a.nulls(), missing);
        }
        match self {
            TextCol::Utf8(a) => offsets(a, missing),
            TextCol::LargeUtf8(a) => offsets(a, missing),
            TextCol::View(a) => {
                // A view's low 32 bits are its value's length (Arrow's string view layout).
                for (m, &v) in missing.iter_mut().zip(a.views().iter()) {
                    *m |= v as u32 == 0;
                }
                nulls(a.nulls(), missing);
            }
            TextCol::Dict { keys, values } => {
                // Once per entry, and a last entry for a key outside the dictionary (never
                // in a valid array; a negative key turns into a huge index and reads it too).
                let mut bad: Vec<bool> = (0..values.len())
                    .map(|k| values.is_null(k) || values.value(k).is_empty())
                    .collect();
                bad.push(true);
                let last = values.len();
                for (m, &k) in missing.iter_mut().zip(keys.values().iter()) {
                    *m |= bad[(k as u32 as usize).min(last)];
                }
                nulls(keys.nulls(), missing);
            }
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TextCol::Utf8(a) => a.len(),
            TextCol::LargeUtf8(a) => a.len(),
            TextCol::View(a) => a.len(),
            TextCol::Dict { keys, .. } => keys.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A column's values as numbers: `None` for null or empty, `Some(NaN)` for text that is not
/// a number (decimal comma accepted).
pub fn numbers(a: &ArrayRef) -> Vec<Option<f64>> {
    match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
            let t = TextCol::from_array(a);
            (0..a.len())
                .map(|i| {
                    let v = trim(t.as_ref().and_then(|t| t.get(i))?);
                    if v.is_empty() {
                        return None;
                    }
                    Some(parse_decimal(v).unwrap_or(f64::NAN))
                })
                .collect()
        }
        _ => match arrow_cast::cast(a, &DataType::Float64) {
            Ok(c) => {
                let f = c
                    .as_any()
                    .downcast_ref::<arrow_array::Float64Array>()
                    .cloned();
                (0..a.len())
                    .map(|i| f.as_ref().and_then(|f| (!f.is_null(i)).then(|| f.value(i))))
                    .collect()
            }
            Err(_) => vec![Some(f64::NAN); a.len()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{DictionaryArray, Int64Array};
    use std::sync::Arc;

    #[test]
    fn missing_values_are_the_same_in_every_encoding() {
        let values = [
            Some("K1"),
            None,
            Some(""),
            Some("a value longer than twelve bytes"),
            Some("äldre"),
            Some(""),
            None,
        ];
        let want: Vec<bool> = values.iter().map(|v| v.is_none_or(str::is_empty)).collect();
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
            Arc::new(
                values
                    .iter()
                    .copied()
                    .collect::<DictionaryArray<arrow_array::types::Int32Type>>(),
            ),
        ];
        for a in &arrays {
            let mut missing = vec![false; values.len()];
            TextCol::from_array(a)
                .expect("text")
                .mark_missing(&mut missing);
            assert_eq!(missing, want, "{}", a.data_type());
        }
        // A NULL whose view still holds a value is missing too.
        let held = StringViewArray::from(vec!["abc", "def"]);
        let masked: ArrayRef = Arc::new(StringViewArray::new(
            held.views().clone(),
            held.data_buffers().to_vec(),
            Some(arrow_buffer::NullBuffer::from(vec![false, true])),
        ));
        let mut missing = vec![false; 2];
        TextCol::from_array(&masked)
            .expect("text")
            .mark_missing(&mut missing);
        assert_eq!(missing, [true, false]);
    }

    #[test]
    fn reads_every_kind_as_text() {
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("0180"), None, Some("")]));
        let t = TextCol::from_array(&s).unwrap();
        assert_eq!(t.get(0), Some("0180"));
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(2), Some(""));
        let i: ArrayRef = Arc::new(Int64Array::from(vec![Some(42), Some(-7), None]));
        let t = TextCol::from_array(&i).unwrap();
        assert_eq!(t.get(0), Some("42"));
        assert_eq!(t.get(1), Some("-7"));
        assert_eq!(t.get(2), None);
        let d: DictionaryArray<Int32Type> =
            vec![Some("aldre"), None, Some("aldre"), Some("missbruk")]
                .into_iter()
                .collect();
        let d: ArrayRef = Arc::new(d);
        let t = TextCol::from_array(&d).unwrap();
        assert!(matches!(t, TextCol::Dict { .. }));
        assert_eq!(t.get(2), Some("aldre"));
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(3), Some("missbruk"));
    }

    #[test]
    fn timestamps_nested_and_binary_are_printed_or_refused() {
        use arrow_array::{BinaryArray, TimestampMillisecondArray};
        // 2024-03-01T09:30:00Z
        let ms = 1_709_285_400_000i64;
        let utc: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![Some(ms), None]).with_timezone("+00:00"));
        let t = TextCol::from_array(&utc).unwrap();
        assert_eq!(t.get(0), Some("2024-03-01T09:30:00Z"));
        assert_eq!(t.get(1), None);
        let sthlm: ArrayRef = Arc::new(
            TimestampMillisecondArray::from(vec![Some(ms)]).with_timezone("Europe/Stockholm"),
        );
        assert_eq!(
            TextCol::from_array(&sthlm).unwrap().get(0),
            Some("2024-03-01T10:30:00+01:00")
        );
        let naive: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![Some(ms)]));
        assert_eq!(
            TextCol::from_array(&naive).unwrap().get(0),
            Some("2024-03-01T09:30:00")
        );
        let strukt: ArrayRef = Arc::new(arrow_array::StructArray::from(vec![(
            Arc::new(arrow_schema::Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
        )]));
        assert_eq!(TextCol::from_array(&strukt).unwrap().get(0), Some("{a: 1}"));
        let ok: ArrayRef = Arc::new(BinaryArray::from(vec![b"abc".as_ref()]));
        assert_eq!(TextCol::from_array(&ok).unwrap().get(0), Some("abc"));
        let bad: ArrayRef = Arc::new(BinaryArray::from(vec![b"\xff\xfe".as_ref()]));
        assert!(TextCol::from_array(&bad).is_none());
    }

    #[test]
    fn decimals_with_a_comma_or_a_point() {
        assert_eq!(parse_decimal(" 12,5 "), Some(12.5));
        assert_eq!(parse_decimal("12.5"), Some(12.5));
        assert_eq!(parse_decimal("-2,5"), Some(-2.5));
        assert_eq!(parse_decimal("\u{a0}7"), Some(7.0));
        assert_eq!(parse_decimal("1,2,3"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("many"), None);
    }

    #[test]
    fn booleans_read_in_swedish_and_english_in_any_case() {
        for v in ["ja", " JA ", "j", "sant", "true", "T", "1", "yes", "Y"] {
            assert_eq!(parse_bool(v), Some(true), "{v:?}");
        }
        for v in ["nej", "Nej", "n", "falskt", "false", "F", "0", "no"] {
            assert_eq!(parse_bool(v), Some(false), "{v:?}");
        }
        for v in ["", "ej tillämpligt", "2", "jaa", "sannt"] {
            assert_eq!(parse_bool(v), None, "{v:?}");
        }
    }

    #[test]
    fn a_columns_numbers_read_a_decimal_comma_and_mark_text_as_nan() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![
            Some(" 12,5"),
            Some(""),
            None,
            Some("many"),
            Some("7"),
        ]));
        let got = numbers(&text);
        assert_eq!(got[0], Some(12.5));
        assert_eq!(got[1..3], [None, None]);
        assert!(got[3].is_some_and(f64::is_nan));
        assert_eq!(got[4], Some(7.0));
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(3), None]));
        assert_eq!(numbers(&ints), vec![Some(3.0), None]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The fast `trim` answers as `str::trim`: values built from ASCII, every ASCII
        /// control and space, and the non-ASCII white space (NBSP, U+0085, U+2000, U+3000)
        /// and letters (å, ä, ö) at either end.
        #[test]
        fn trim_equals_str_trim(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::char::range('\u{0}', '\u{7f}'),
                proptest::sample::select(vec!['\u{85}', '\u{a0}', '\u{2000}', '\u{3000}', 'å', 'Ä', 'ö', '\u{b}', '\u{c}']),
            ],
            0..6,
        )) {
            let s: String = parts.into_iter().collect();
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }
}
