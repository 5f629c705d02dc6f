//! The text arrays CSV and spreadsheet values are built into ([`TextBuilder`]): plain text,
//! or a dictionary while a batch repeats few values. Bytes in, Arrow arrays out; it knows
//! nothing of files, rows or the quarantine.

use arrow_array::ArrayRef;
use std::sync::Arc;

/// A text column of a batch, built from values already checked as UTF-8 (each CSV field is
/// checked before it is appended): dictionary-encoded while the column has few distinct
/// values, plain text otherwise.
///
/// Why not arrow's `StringBuilder`/`StringDictionaryBuilder`: their append checks capacity
/// and steps a null-buffer builder per value, and needs a `&str` (a char-boundary check per
/// field); callgrind put the append at 8 % of a CSV scan's instructions. The values are
/// checked once more as UTF-8, a batch at a time, by arrow's `StringArray::try_new` in
/// [`TextBuilder::finish`], so a value that got past the row check is an error, never an
/// invalid string.
///
/// Why a dictionary (as DuckDB and Polars keep low-cardinality strings as integers): the
/// strata, `--by` columns, flags, dates and small numbers of an extract repeat a few
/// hundred or thousand values over a batch of 65,536 rows, and every reader downstream
/// works once per dictionary entry where a column has one (stratum and group ids, text
/// compared with a constant, a flag or a date read), then per row on the integer keys —
/// what a Parquet file's dictionary pages already give. A column whose distinct values in
/// one batch pass [`TextBuilder::dict_limit`] is turned into plain text and stays plain for
/// the rest of the range (a key, a free-text note). The arrays hold the same values either
/// way; only their encoding differs.
pub(crate) struct TextBuilder {
    /// Plain: the rows' bytes. Dictionary: each distinct value once.
    values: Vec<u8>,
    /// Value ends, after a leading 0.
    offsets: Vec<i32>,
    /// Dictionary: one key per row (an index into `offsets`).
    keys: Vec<i32>,
    /// Dictionary: the entries by hash.
    table: hashbrown::HashTable<DictEntry>,
    /// Dictionary-encoded (false: plain text for the rest of the range).
    dict: bool,
    /// Most distinct values a batch keeps as a dictionary.
    dict_limit: usize,
}

/// What a [`TextBuilder`] made of a batch.
pub(crate) enum Built {
    Text(arrow_array::StringArray),
    Dict(arrow_array::DictionaryArray<arrow_array::types::Int32Type>),
}

impl Built {
    pub(crate) fn to_ref(&self) -> ArrayRef {
        match self {
            Built::Text(a) => Arc::new(a.clone()),
            Built::Dict(a) => Arc::new(a.clone()),
        }
    }
}

/// A value as a word pair that identifies it among values of its length up to 16 bytes
/// (the first and the last eight bytes, overlapping; four for 4–7 bytes; each byte below
/// four), compared without reading the value's bytes again, and hashed from. A longer
/// value's pair only narrows the search (its bytes are then compared in full).
#[derive(Clone, Copy, PartialEq, Eq)]
struct ShortKey {
    lo: u64,
    hi: u64,
    len: usize,
}

impl ShortKey {
    #[inline]
    fn of(v: &[u8]) -> ShortKey {
        let n = v.len();
        let word8 = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[..8]);
            u64::from_le_bytes(w)
        };
        let word4 = |b: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[..4]);
            u64::from(u32::from_le_bytes(w))
        };
        let (lo, hi) = if n > 16 {
            (
                word8(v),
                word8(&v[8..]) ^ word8(&v[n - 8..]).rotate_left(29),
            )
        } else if n >= 8 {
            (word8(v), word8(&v[n - 8..]))
        } else if n >= 4 {
            (word4(v), word4(&v[n - 4..]))
        } else {
            let b = |i: usize| v.get(i).map_or(0, |&x| u64::from(x));
            (b(0) | b(1) << 8 | b(2) << 16, 0)
        };
        ShortKey { lo, hi, len: n }
    }

    /// Multiply-fold hash (as in wyhash and FxHash) of the pair and the length.
    #[inline]
    fn hash(&self) -> u64 {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let a = (self.lo ^ K).wrapping_mul(K ^ self.len as u64);
        let m = u128::from(a ^ self.hi) * u128::from(K.rotate_left(17));
        (m as u64) ^ ((m >> 64) as u64)
    }
}

/// One dictionary entry: its index, its short key, and (for values of more than 16 bytes)
/// its bytes compared in full.
#[derive(Clone, Copy)]
struct DictEntry {
    key: ShortKey,
    index: u32,
}

impl TextBuilder {
    /// A plain text column (`dict_limit` 0), or one dictionary-encoded up to `dict_limit`
    /// distinct values per batch.
    pub(crate) fn new(dict_limit: usize) -> TextBuilder {
        TextBuilder {
            values: Vec::new(),
            offsets: vec![0],
            keys: Vec::new(),
            table: hashbrown::HashTable::new(),
            dict: dict_limit > 0,
            dict_limit,
        }
    }

    fn push_value(&mut self, v: &[u8]) {
        self.values.extend_from_slice(v);
        // Past 2 GiB in one batch the offset saturates and `finish` says so.
        self.offsets
            .push(i32::try_from(self.values.len()).unwrap_or(i32::MAX));
    }

    #[inline]
    pub(crate) fn append(&mut self, v: &[u8]) {
        if !self.dict {
            self.push_value(v);
            return;
        }
        let key = ShortKey::of(v);
        let h = key.hash();
        let (values, offsets) = (&self.values, &self.offsets);
        // Values of 16 bytes or fewer are told apart by the key alone; longer ones (the
        // key holds 16 of their bytes) are compared in full.
        let found = self.table.find(h, |e| {
            e.key == key
                && (key.len <= 16 || {
                    let i = e.index as usize;
                    values.get(offsets[i] as usize..offsets[i + 1] as usize) == Some(v)
                })
        });
        if let Some(e) = found {
            self.keys.push(e.index as i32);
            return;
        }
        let e = self.offsets.len() - 1;
        if e >= self.dict_limit {
            self.go_plain();
            self.push_value(v);
            return;
        }
        self.push_value(v);
        self.table.insert_unique(
            h,
            DictEntry {
                key,
                index: e as u32,
            },
            |x| x.key.hash(),
        );
        self.keys.push(e as i32);
    }

    /// Too many distinct values: the rows so far written out as plain text, and the rest of
    /// the range plain too.
    fn go_plain(&mut self) {
        let mut values = Vec::with_capacity(self.values.len().max(self.keys.len() * 8));
        let mut offsets = Vec::with_capacity(self.keys.len().max(1024) + 1);
        offsets.push(0i32);
        for &k in &self.keys {
            let k = k as usize;
            let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
            values.extend_from_slice(&self.values[a..b]);
            offsets.push(i32::try_from(values.len()).unwrap_or(i32::MAX));
        }
        self.values = values;
        self.offsets = offsets;
        self.keys = Vec::new();
        self.table = hashbrown::HashTable::new();
        self.dict = false;
    }

    /// The batch as an array, leaving the builder empty until [`Self::recycle`].
    pub(crate) fn finish(&mut self) -> std::result::Result<Built, String> {
        if i32::try_from(self.values.len()).is_err() {
            return Err(format!(
                "a column holds {} bytes of text in one batch of {} rows, more than 2 GiB: the extract's values are too long to read",
                self.values.len(),
                if self.dict { self.keys.len() } else { self.offsets.len() - 1 }
            ));
        }
        let values = std::mem::take(&mut self.values);
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let text = arrow_array::StringArray::try_new(
            arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(offsets)),
            arrow_buffer::Buffer::from_vec(values),
            None,
        )
        .map_err(|e| format!("text that is not UTF-8 got past the check: {e}"))?;
        if !self.dict {
            return Ok(Built::Text(text));
        }
        let keys = arrow_array::Int32Array::from(std::mem::take(&mut self.keys));
        self.table.clear();
        arrow_array::DictionaryArray::try_new(keys, Arc::new(text))
            .map(Built::Dict)
            .map_err(|e| format!("a dictionary key out of range: {e}"))
    }

    /// Start the next batch in the buffers of the last one when nothing else holds them
    /// any more (the caller's fold kept no reference), so it writes into memory already
    /// touched instead of fresh pages the kernel must zero first; else with as much room.
    pub(crate) fn recycle(&mut self, a: Built) {
        match a {
            Built::Text(a) if !self.dict => {
                let (offsets, values, _) = a.into_parts();
                let (rows, bytes) = (offsets.len(), values.len());
                self.values = values
                    .into_vec::<u8>()
                    .unwrap_or_else(|_| Vec::with_capacity(bytes));
                self.values.clear();
                self.offsets = offsets
                    .into_inner()
                    .into_inner()
                    .into_vec::<i32>()
                    .unwrap_or_else(|_| Vec::with_capacity(rows));
                self.offsets.clear();
                self.offsets.push(0);
            }
            Built::Dict(a) if self.dict => {
                let (keys, _) = a.into_parts();
                let (_, keys, _) = keys.into_parts();
                let rows = keys.len();
                self.keys = keys
                    .into_inner()
                    .into_vec::<i32>()
                    .unwrap_or_else(|_| Vec::with_capacity(rows));
                self.keys.clear();
            }
            // The encoding changed within the batch: the next one starts afresh.
            _ => {}
        }
    }
}

#[cfg(test)]
mod text_builder_tests {
    use super::*;
    use crate::text::TextCol;
    use arrow_array::cast::AsArray;

    fn plain(b: Built) -> arrow_array::StringArray {
        match b {
            Built::Text(a) => a,
            Built::Dict(_) => panic!("a dictionary where plain text was built"),
        }
    }

    fn strings(b: &Built) -> Vec<String> {
        let t = TextCol::from_array(&b.to_ref()).expect("text");
        (0..b.to_ref().len())
            .map(|i| t.get(i).unwrap_or("NULL").to_string())
            .collect()
    }

    #[test]
    fn batches_of_text_and_bytes_that_are_not() {
        let mut b = TextBuilder::new(0);
        for v in ["K1", "", "äldre"] {
            b.append(v.as_bytes());
        }
        let a = plain(b.finish().expect("text"));
        assert_eq!(a.iter().flatten().collect::<Vec<_>>(), ["K1", "", "äldre"]);
        // Nothing else holds the batch: the next one is written into its buffers.
        let ptr = a.values().as_ptr();
        b.recycle(Built::Text(a));
        assert_eq!(b.values.as_ptr(), ptr);
        b.append(b"x");
        let a = plain(b.finish().expect("text"));
        assert_eq!(a.iter().flatten().collect::<Vec<_>>(), ["x"]);
        // A batch still held elsewhere is left alone.
        let kept = a.clone();
        b.recycle(Built::Text(a));
        assert_ne!(b.values.as_ptr(), kept.values().as_ptr());
        b.append(b"y");
        assert_eq!(kept.value(0), "x");
        assert_eq!(plain(b.finish().expect("text")).value(0), "y");
        // Bytes that are not UTF-8 are an error, not a string.
        b.append(b"\xc3");
        assert!(b.finish().is_err());
        let mut d = TextBuilder::new(4);
        d.append(b"\xc3");
        assert!(d.finish().is_err());
    }

    #[test]
    fn a_dictionary_until_too_many_values_then_plain_text() {
        let mut b = TextBuilder::new(3);
        let rows = ["0180", "", "0180", "1280", "", "0180"];
        for v in rows {
            b.append(v.as_bytes());
        }
        let a = b.finish().expect("text");
        let Built::Dict(d) = &a else {
            panic!("three distinct values under a limit of three are a dictionary")
        };
        assert_eq!(d.values().len(), 3);
        assert_eq!(d.keys().values().to_vec(), [0, 1, 0, 2, 1, 0]);
        assert_eq!(strings(&a), rows);
        // The keys' buffer is reused by the next batch, whose dictionary starts afresh.
        let ptr = d.keys().values().as_ptr();
        b.recycle(a);
        assert_eq!(b.keys.as_ptr(), ptr);
        let rows = ["b", "a", "b", "c", "d", "a", "e"];
        for v in rows {
            b.append(v.as_bytes());
        }
        // A fourth distinct value: the batch so far turned into plain text, in row order.
        let a = b.finish().expect("text");
        assert!(matches!(a, Built::Text(_)));
        assert_eq!(strings(&a), rows);
        // And plain text from then on.
        b.recycle(a);
        b.append(b"b");
        b.append(b"b");
        let a = b.finish().expect("text");
        assert!(matches!(a, Built::Text(_)));
        assert_eq!(strings(&a), ["b", "b"]);
    }

    proptest::proptest! {
        /// Two values of at most 16 bytes have the same short key exactly when they are
        /// the same bytes (the values are drawn from few bytes, so equal ones are common).
        #[test]
        fn short_keys_tell_short_values_apart(
            a in proptest::collection::vec(0u8..3, 0..=16),
            b in proptest::collection::vec(0u8..3, 0..=16),
        ) {
            proptest::prop_assert_eq!(ShortKey::of(&a) == ShortKey::of(&b), a == b);
        }

        /// A column reads the same values dictionary-encoded as plain, whatever the limit
        /// (values up to 40 bytes, so longer ones are compared in full).
        #[test]
        fn dictionary_and_plain_hold_the_same_values(
            rows in proptest::collection::vec(proptest::collection::vec(b'a'..b'd', 0..40), 0..200),
            limit in 1usize..64,
        ) {
            let mut d = TextBuilder::new(limit);
            let mut p = TextBuilder::new(0);
            for r in &rows {
                d.append(r);
                p.append(r);
            }
            let (d, p) = (d.finish().expect("text"), p.finish().expect("text"));
            proptest::prop_assert_eq!(strings(&d), strings(&p));
            if let Built::Dict(a) = &d {
                // No value twice in a dictionary.
                let v: std::collections::BTreeSet<&str> = a
                    .values()
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .collect();
                proptest::prop_assert_eq!(v.len(), a.values().len());
            }
        }
    }
}
