//! Mapping rows to strata: each strata column's values get small integer ids (with a fast
//! path for dictionary-encoded columns: one lookup per dictionary entry, not per row), and
//! the combination of ids is one stratum. Growing (census: every new combination is a new
//! stratum) or fixed (draw: the plan's strata; anything else is "not in the plan").

use crate::error::IngestError;
use crate::{Batch, TextCol};
use arrow_array::Array;
use rustc_hash::FxHashMap;

type Result<T> = std::result::Result<T, IngestError>;

/// Most strata columns a design may have.
pub const MAX_STRATA_COLUMNS: usize = 8;
const MAX_IDS: u32 = 1 << 16;

/// Row → stratum index.
#[derive(Debug, Clone)]
pub struct StrataMapper {
    names: Vec<String>,
    dicts: Vec<FxHashMap<String, u32>>,
    values: Vec<Vec<String>>,
    combos: FxHashMap<u128, u32>,
    strata: Vec<Vec<u32>>,
    grow: bool,
}

/// Marks a row whose stratum is not known (fixed mode).
pub const UNKNOWN: u32 = u32::MAX;

impl StrataMapper {
    /// Check that a design can have these strata columns (at most [`MAX_STRATA_COLUMNS`]).
    pub fn check_columns(names: &[String]) -> Result<()> {
        if names.len() > MAX_STRATA_COLUMNS {
            return Err(IngestError::Strata {
                reason: format!(
                    "at most {MAX_STRATA_COLUMNS} strata columns, got {}",
                    names.len()
                ),
            });
        }
        Ok(())
    }

    /// A mapper that adds every new combination. Call [`Self::check_columns`] first: with
    /// more columns than fit, the combinations of the first columns are merged.
    pub fn growing(names: &[String]) -> Self {
        StrataMapper {
            names: names.to_vec(),
            dicts: names.iter().map(|_| FxHashMap::default()).collect(),
            values: names.iter().map(|_| Vec::new()).collect(),
            combos: FxHashMap::default(),
            strata: Vec::new(),
            grow: true,
        }
    }

    /// A mapper over fixed strata (each a list of values in column order), indexed in order.
    pub fn fixed(names: &[String], strata: &[Vec<String>]) -> Result<Self> {
        Self::check_columns(names)?;
        let mut m = StrataMapper::growing(names);
        for values in strata {
            let mut ids = Vec::with_capacity(values.len());
            for (c, v) in values.iter().enumerate() {
                ids.push(m.value_id(c, v)?);
            }
            let packed = pack(&ids);
            if m.combos.insert(packed, m.strata.len() as u32).is_some() {
                return Err(IngestError::Strata {
                    reason: format!("the plan lists stratum {values:?} twice"),
                });
            }
            m.strata.push(ids);
        }
        m.grow = false;
        Ok(m)
    }

    fn value_id(&mut self, c: usize, v: &str) -> Result<u32> {
        if let Some(&id) = self.dicts[c].get(v) {
            return Ok(id);
        }
        let id = self.values[c].len() as u32;
        if id >= MAX_IDS {
            return Err(IngestError::Strata {
                reason: format!("strata column {:?} has more than {} distinct values: is it a key rather than a stratum?",
                self.names[c],
                MAX_IDS - 1
            ),
                });
        }
        self.dicts[c].insert(v.to_string(), id);
        self.values[c].push(v.to_string());
        Ok(id)
    }

    fn lookup(&mut self, c: usize, v: &str) -> Result<Option<u32>> {
        if self.grow {
            self.value_id(c, v).map(Some)
        } else {
            Ok(self.dicts[c].get(v).copied())
        }
    }

    /// Number of strata known.
    pub fn len(&self) -> usize {
        self.strata.len()
    }

    /// Whether no stratum is known yet.
    pub fn is_empty(&self) -> bool {
        self.strata.is_empty()
    }

    /// The values of stratum `s`, in column order.
    pub fn values(&self, s: u32) -> Vec<&str> {
        self.strata[s as usize]
            .iter()
            .enumerate()
            .map(|(c, &id)| self.values[c][id as usize].as_str())
            .collect()
    }

    /// The stratum of every valid row of the batch, in `batch.rows` order ([`UNKNOWN`] for
    /// rows whose combination is not known in fixed mode).
    ///
    /// When every strata column is dictionary-encoded (Parquet written with dictionaries),
    /// a row's stratum comes from a small table indexed by its dictionary keys, filled the
    /// first time each combination is seen; otherwise each value is looked up by text.
    pub fn map_batch(&mut self, batch: &Batch, out: &mut Vec<u32>) -> Result<()> {
        out.clear();
        let rows = batch.rows;
        if let Some(dense) = self.dense_parts(batch)? {
            let (keys, entry_ids, sizes) = dense;
            let cells: usize = sizes.iter().product();
            // One slot per cell, filled the first time its combination is seen, and a
            // last one (UNKNOWN) for a key outside its dictionary's range (never in a valid
            // dictionary array).
            const UNSEEN: u32 = u32::MAX - 1;
            let mut table = vec![UNSEEN; cells + 1];
            table[cells] = UNKNOWN;
            // Each row's cell (its keys in mixed radix), a column at a time and without a
            // branch per row: a negative key turns into a huge one, and any key out of
            // range sends the row to the last slot (cells ≤ 2^20, so no sum overflows).
            let bad = cells as u32;
            let mut cell: Vec<u32> = vec![0; rows.len()];
            // All rows of the batch in order (the usual case): the keys are read as they
            // are, no gather.
            let all = keys.first().is_some_and(|k| k.len() == rows.len())
                && rows.iter().enumerate().all(|(i, &r)| r as usize == i);
            for (c, k) in keys.iter().enumerate() {
                let (values, size) = (k.values(), sizes[c] as u32);
                let step = |x: &mut u32, key: i32| {
                    let key = key as u32;
                    *x = if *x == bad || key >= size {
                        bad
                    } else {
                        *x * size + key
                    };
                };
                if all {
                    cell.iter_mut()
                        .zip(values.iter())
                        .for_each(|(x, &v)| step(x, v));
                } else {
                    cell.iter_mut()
                        .zip(rows)
                        .for_each(|(x, &r)| step(x, values[r as usize]));
                }
            }
            let mut ids = vec![0u32; keys.len()];
            out.reserve(rows.len());
            for &cell in &cell {
                let mut s = table[cell as usize];
                if s == UNSEEN {
                    let mut rest = cell as usize;
                    let mut known = true;
                    for c in (0..keys.len()).rev() {
                        let k = rest % sizes[c];
                        rest /= sizes[c];
                        match entry_ids[c].get(k).copied().flatten() {
                            Some(id) => ids[c] = id,
                            None => known = false,
                        }
                    }
                    s = if known { self.combo(&ids) } else { UNKNOWN };
                    table[cell as usize] = s;
                }
                out.push(s);
            }
            return Ok(());
        }
        let mut col_ids: Vec<Vec<u32>> = Vec::with_capacity(batch.strata.len());
        for (c, col) in batch.strata.iter().enumerate() {
            let mut ids = Vec::with_capacity(rows.len());
            for &r in rows {
                let v = col.get(r as usize).unwrap_or("");
                ids.push(self.lookup(c, v)?.unwrap_or(UNKNOWN));
            }
            col_ids.push(ids);
        }
        let mut ids = vec![0u32; batch.strata.len()];
        for i in 0..rows.len() {
            let mut known = true;
            for (c, col) in col_ids.iter().enumerate() {
                ids[c] = col[i];
                known &= col[i] != UNKNOWN;
            }
            out.push(if known { self.combo(&ids) } else { UNKNOWN });
        }
        Ok(())
    }

    /// The stratum of a combination of value ids (added in growing mode).
    fn combo(&mut self, ids: &[u32]) -> u32 {
        let packed = pack(ids);
        match self.combos.get(&packed) {
            Some(&s) => s,
            None if self.grow => {
                let s = self.strata.len() as u32;
                self.combos.insert(packed, s);
                self.strata.push(ids.to_vec());
                s
            }
            None => UNKNOWN,
        }
    }

    /// For all-dictionary strata with at most 2^20 combinations of entries: the key arrays,
    /// each entry's value id, and the dictionary sizes.
    #[allow(clippy::type_complexity)]
    fn dense_parts<'b>(
        &mut self,
        batch: &'b Batch,
    ) -> Result<
        Option<(
            Vec<&'b arrow_array::Int32Array>,
            Vec<Vec<Option<u32>>>,
            Vec<usize>,
        )>,
    > {
        let mut keys = Vec::new();
        let mut entry_ids = Vec::new();
        let mut sizes = Vec::new();
        let mut cells = 1usize;
        for col in batch.strata {
            let TextCol::Dict { keys: k, values } = col else {
                return Ok(None);
            };
            cells = cells.saturating_mul(values.len().max(1));
            if cells > 1 << 20 {
                return Ok(None);
            }
            keys.push(k);
            sizes.push(values.len().max(1));
            entry_ids.push(Vec::new());
        }
        if keys.is_empty() {
            return Ok(None);
        }
        for (c, col) in batch.strata.iter().enumerate() {
            if let TextCol::Dict { values, .. } = col {
                let mut per_entry = Vec::with_capacity(values.len());
                for k in 0..values.len() {
                    per_entry.push(self.lookup(c, values.value(k))?);
                }
                entry_ids[c] = per_entry;
            }
        }
        Ok(Some((keys, entry_ids, sizes)))
    }
}

fn pack(ids: &[u32]) -> u128 {
    ids.iter().fold(0u128, |acc, &id| (acc << 16) | id as u128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{DictionaryArray, Int32Array, StringArray};
    use std::path::Path;

    fn batch<'a>(strata: &'a [TextCol], rows: &'a [u32]) -> Batch<'a> {
        Batch {
            file: 0,
            path: Path::new("x"),
            row_base: 0,
            lines: None,
            key: None,
            strata,
            extra: &[],
            rows,
        }
    }

    /// Each row's stratum as its values (`None`: not known), through `map_batch`.
    fn mapped(m: &mut StrataMapper, cols: &[TextCol], rows: &[u32]) -> Vec<Option<Vec<String>>> {
        let mut out = Vec::new();
        m.map_batch(&batch(cols, rows), &mut out).expect("maps");
        out.iter()
            .map(|&s| (s != UNKNOWN).then(|| m.values(s).iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    proptest::proptest! {
        /// Dictionary-encoded strata columns (entries in any order, some unused) map every
        /// row to the stratum their text maps it to, growing and fixed (values outside the
        /// plan unknown either way), for some rows or all, in order or backwards.
        #[test]
        fn dictionary_columns_map_rows_as_their_text(
            cells in proptest::collection::vec((0usize..5, 0usize..3), 0..300),
            picked in proptest::collection::vec(proptest::bool::ANY, 300),
            spare in 0usize..3,
            order in 0u8..3,
        ) {
            let a_vals = ["0180", "1280", "2085", "0114", "0999"];
            let b_vals = ["äldre", "barn_unga", "missbruk"];
            // Some rows in order, all rows in order (read without a gather), all backwards.
            let mut rows: Vec<u32> = (0..cells.len() as u32)
                .filter(|&i| order > 0 || picked[i as usize])
                .collect();
            if order == 2 {
                rows.reverse();
            }
            let text = |col: usize| -> TextCol {
                let v: Vec<&str> = cells.iter().map(|&(a, b)| if col == 0 { a_vals[a] } else { b_vals[b] }).collect();
                TextCol::from_array(&(std::sync::Arc::new(StringArray::from(v)) as arrow_array::ArrayRef)).expect("text")
            };
            // Dictionaries listing the values backwards, with `spare` unused entries first.
            let dict = |col: usize| -> TextCol {
                let vals: &[&str] = if col == 0 { &a_vals } else { &b_vals };
                let mut entries: Vec<String> = (0..spare).map(|k| format!("unused{k}")).collect();
                entries.extend(vals.iter().rev().map(|s| s.to_string()));
                let keys: Vec<i32> = cells
                    .iter()
                    .map(|&(a, b)| {
                        let k = if col == 0 { a } else { b };
                        (spare + vals.len() - 1 - k) as i32
                    })
                    .collect();
                let d = DictionaryArray::try_new(Int32Array::from(keys), std::sync::Arc::new(StringArray::from(entries)))
                    .expect("dictionary");
                TextCol::from_array(&(std::sync::Arc::new(d) as arrow_array::ArrayRef)).expect("text")
            };
            let (plain, dicts) = ([text(0), text(1)], [dict(0), dict(1)]);
            let names = vec!["m".to_string(), "a".to_string()];
            let (mut g1, mut g2) = (StrataMapper::growing(&names), StrataMapper::growing(&names));
            proptest::prop_assert_eq!(mapped(&mut g1, &plain, &rows), mapped(&mut g2, &dicts, &rows));
            let plan: Vec<Vec<String>> = vec![
                vec!["0180".into(), "äldre".into()],
                vec!["2085".into(), "missbruk".into()],
                vec!["0999".into(), "barn_unga".into()],
            ];
            let (mut f1, mut f2) = (
                StrataMapper::fixed(&names, &plan).expect("plan"),
                StrataMapper::fixed(&names, &plan).expect("plan"),
            );
            proptest::prop_assert_eq!(mapped(&mut f1, &plain, &rows), mapped(&mut f2, &dicts, &rows));
        }
    }
}
