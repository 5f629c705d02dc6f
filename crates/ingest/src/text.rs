//! Columns read as text: key and strata values are compared as the text written in the
//! extract, whatever the file format (`0180` stays `0180`; an integer key 42 is `42`).

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, Int32Array, LargeStringArray, StringArray, StringViewArray};
use arrow_schema::DataType;

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
            _ => {
                let cast = arrow_cast::cast(array, &DataType::Utf8).ok()?;
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
        fn offsets<O: arrow_array::OffsetSizeTrait>(
            a: &arrow_array::GenericStringArray<O>,
            missing: &mut [bool],
        ) {
            let off = a.value_offsets();
            for (i, m) in missing.iter_mut().enumerate() {
                if off[i + 1] == off[i] {
                    *m = true;
                }
            }
            if let Some(nulls) = a.nulls() {
                for i in nulls.iter().enumerate().filter(|(_, v)| !v).map(|(i, _)| i) {
                    missing[i] = true;
                }
            }
        }
        match self {
            TextCol::Utf8(a) => offsets(a, missing),
            TextCol::LargeUtf8(a) => offsets(a, missing),
            TextCol::View(a) => {
                for (i, m) in missing.iter_mut().enumerate() {
                    if a.is_null(i) || a.value(i).is_empty() {
                        *m = true;
                    }
                }
            }
            TextCol::Dict { keys, values } => {
                let bad: Vec<bool> = (0..values.len())
                    .map(|k| values.is_null(k) || values.value(k).is_empty())
                    .collect();
                for (i, (m, &k)) in missing.iter_mut().zip(keys.values().iter()).enumerate() {
                    let entry_bad = usize::try_from(k)
                        .ok()
                        .and_then(|k| bad.get(k).copied())
                        .unwrap_or(true);
                    if entry_bad || keys.is_null(i) {
                        *m = true;
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{DictionaryArray, Int64Array};
    use std::sync::Arc;

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
}
