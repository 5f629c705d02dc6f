//! One unit's rows into batches ([`Ctx`]): dates read and municipality codes checked
//! ([`Reads`]), every row validated (empty key or stratum, a negative number, a failed
//! check), the `--where` filter applied, the bad rows quarantined, and each batch folded.
//! The readers of each format ([`super::csv_reader`], [`super::sheets`], [`super::units`])
//! hand it their arrays; it reads no file itself.

use super::quarantine::{render_row, QuarantineRecord};
use super::spec::{Batch, FileCounts, ScanSpec};
use super::text_builder::{Built, TextBuilder};
use crate::error::{IngestError, Result};
use crate::expr::BoundFilter;
use crate::source::Extract;
use crate::text::{numbers, TextCol};
use arrow_array::{Array, ArrayRef};
use std::sync::Arc;

/// Values that are no municipality code, kept as asked: (column, value) → rows.
pub(crate) type Kept = std::collections::BTreeMap<(String, String), u64>;

/// How a scan reads its columns beyond text, per column it reads: a date reading, whether
/// the column holds municipality codes, and whether its values are observed for dates as
/// the scan goes ([`crate::dates::DateEvidence`]).
#[derive(Debug, Default)]
pub(crate) struct Reads {
    pub(crate) dates: Vec<Option<crate::dates::DateReading>>,
    pub(crate) codes: Vec<bool>,
    pub(crate) observe: Vec<bool>,
}

impl Reads {
    fn any(&self) -> bool {
        self.dates.iter().any(Option::is_some) || self.codes.contains(&true)
    }
}

/// Whether an array holds text (CSV and spreadsheet columns; text columns of Parquet).
pub(crate) fn is_text(a: &ArrayRef) -> bool {
    use arrow_schema::DataType;
    match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8),
        _ => false,
    }
}

pub(crate) struct Ctx<'a, T, F> {
    pub(crate) extract: &'a Extract,
    pub(crate) spec: &'a ScanSpec,
    pub(crate) reads: &'a Reads,
    pub(crate) kept: Kept,
    pub(crate) needed: &'a [String],
    pub(crate) file: usize,
    pub(crate) fold: &'a F,
    pub(crate) state: T,
    pub(crate) counts: FileCounts,
    pub(crate) quarantine: Vec<QuarantineRecord>,
    /// Per column read: what its values look like, where [`Reads::observe`] asks.
    pub(crate) evidence: Vec<crate::dates::DateEvidence>,
    pub(crate) progress: &'a (dyn Fn(u64) + Sync),
}

impl<T, F> Ctx<'_, T, F>
where
    F: Fn(&mut T, &Batch) -> Result<()>,
{
    pub(crate) fn quarantine_row(&mut self, row: u64, reason: String, raw: String) {
        self.counts.rows_quarantined += 1;
        self.quarantine.push(QuarantineRecord {
            file: self.file,
            row,
            reason,
            raw,
        });
    }

    /// Validate, filter and fold one batch of projected arrays (in `needed` order).
    pub(crate) fn process(
        &mut self,
        raw: &[ArrayRef],
        row_base: u64,
        lines: Option<&[u64]>,
    ) -> Result<()> {
        let path = self.extract.files[self.file].path.as_path();
        let len = raw.first().map_or(0, |a| a.len());
        self.counts.rows_read += len as u64;
        self.observe_dates(raw);
        // Dates read in their formats, municipality codes checked: each row's first reason.
        let mut row_errors: Vec<Option<String>> = Vec::new();
        let read;
        let arrays: &[ArrayRef] = if self.reads.any() {
            read = self.read_values(raw, &mut row_errors);
            &read
        } else {
            raw
        };
        let text = |name: &str| -> Result<TextCol> {
            let idx = self.needed.iter().position(|n| n == name).unwrap_or(0);
            TextCol::from_array(&arrays[idx]).ok_or_else(|| IngestError::UnreadableColumn {
                path: path.to_path_buf(),
                name: name.to_string(),
                data_type: arrays[idx].data_type().to_string(),
            })
        };
        let has_key = !self.spec.key.is_empty();
        let key = if has_key {
            Some(text(&self.spec.key)?)
        } else {
            None
        };
        let strata: Vec<TextCol> = self
            .spec
            .strata
            .iter()
            .map(|s| text(s))
            .collect::<Result<_>>()?;
        let (extra, nonneg) = self.extra_and_nonneg(arrays);
        let (bound, checks) = self.bind_filters(arrays)?;
        // `--check` and `--where` a column at a time: `truth_rows` gives the same truth and
        // the same reason as row by row (a dictionary-encoded text column compared once per
        // dictionary entry); the loop below reads the codes.
        let (check_codes, where_codes) = truth_codes(bound.as_ref(), &checks, len);
        // The reason of row `i`'s error (errors are sorted by row).
        let reason = |errs: &[(usize, String)], i: usize| -> String {
            errs.binary_search_by_key(&i, |e| e.0)
                .map_or_else(|_| String::new(), |k| errs[k].1.clone())
        };
        let row_no = |i: usize| lines.map_or(row_base + i as u64 + 1, |l| l[i]);
        let mut rows: Vec<u32> = Vec::with_capacity(len);
        let mut bad: Vec<(u64, String, usize)> = Vec::new();
        let mut excluded = 0u64;
        // Column at a time: which rows have an empty key or stratum.
        let (key_missing, strata_missing) = missing_marks(key.as_ref(), &strata, len);
        // Nothing to check row by row (no empty key or stratum, no non-negative column, no
        // check, no filter): every row is used, without a pass of branches per row.
        let clean = nonneg.is_empty()
            && row_errors.iter().all(Option::is_none)
            && check_codes.is_empty()
            && where_codes.is_none()
            && !key_missing.contains(&true)
            && strata_missing.iter().all(|m| !m.contains(&true));
        if clean {
            rows.extend(0..len as u32);
        } else {
            for i in 0..len {
                if key_missing[i] {
                    bad.push((
                        row_no(i),
                        format!("empty key (column {:?})", self.spec.key),
                        i,
                    ));
                    continue;
                }
                if let Some(j) = strata_missing.iter().position(|m| m[i]) {
                    bad.push((
                        row_no(i),
                        format!("empty stratum value (column {:?})", self.spec.strata[j]),
                        i,
                    ));
                    continue;
                }
                if let Some(why) = row_errors.get_mut(i).and_then(Option::take) {
                    bad.push((row_no(i), why, i));
                    continue;
                }
                if let Some((name, _)) = nonneg
                    .iter()
                    .find(|(_, v)| v[i].is_some_and(|x| x.is_nan() || x < 0.0))
                {
                    bad.push((
                        row_no(i),
                        format!("column {name:?} is not a non-negative number"),
                        i,
                    ));
                    continue;
                }
                let failed = checks
                    .iter()
                    .zip(&check_codes)
                    .find_map(|(c, (codes, errs))| match codes[i] {
                        crate::expr::T_FALSE => Some(format!("check failed: {}", c.filter_text())),
                        crate::expr::T_ERROR => {
                            Some(format!("check {}: {}", c.filter_text(), reason(errs, i)))
                        }
                        _ => None,
                    });
                if let Some(why) = failed {
                    bad.push((row_no(i), why, i));
                    continue;
                }
                if let Some((codes, errs)) = &where_codes {
                    match codes[i] {
                        crate::expr::T_TRUE => {}
                        crate::expr::T_ERROR => {
                            bad.push((row_no(i), format!("where: {}", reason(errs, i)), i));
                            continue;
                        }
                        _ => {
                            excluded += 1;
                            continue;
                        }
                    }
                }
                rows.push(i as u32);
            }
        }
        drop(where_codes);
        drop(check_codes);
        drop(bound);
        drop(checks);
        self.counts.rows_excluded += excluded;
        self.counts.rows_used += rows.len() as u64;
        self.quarantine_rows(raw, bad);
        let batch = Batch {
            file: self.file,
            path,
            row_base,
            lines,
            key: key.as_ref(),
            strata: &strata,
            extra: &extra,
            rows: &rows,
        };
        (self.fold)(&mut self.state, &batch)?;
        (self.progress)(len as u64);
        Ok(())
    }

    /// Take the values of the columns [`Reads::observe`] names into their date evidence,
    /// every row as read (before any row is quarantined or filtered out), a dictionary
    /// entry once with the rows that hold it; a column already shown to hold a value that
    /// is no date is not looked at again.
    fn observe_dates(&mut self, raw: &[ArrayRef]) {
        for (j, a) in raw.iter().enumerate() {
            if !self.reads.observe.get(j).copied().unwrap_or(false)
                || self.evidence[j].settled()
                || !is_text(a)
            {
                continue;
            }
            let evidence = &mut self.evidence[j];
            match TextCol::from_array(a) {
                Some(TextCol::Dict { keys, values }) => {
                    let mut rows = vec![0u64; values.len()];
                    for k in keys.iter().flatten() {
                        if let Some(c) = usize::try_from(k).ok().and_then(|k| rows.get_mut(k)) {
                            *c += 1;
                        }
                    }
                    for (k, &n) in rows.iter().enumerate() {
                        if n > 0 && !values.is_null(k) {
                            let v = values.value(k);
                            if !v.trim().is_empty() {
                                evidence.observe_n(v, n);
                            }
                        }
                    }
                }
                Some(t) => {
                    for i in 0..t.len() {
                        if let Some(v) = t.get(i).filter(|v| !v.trim().is_empty()) {
                            evidence.observe(v);
                        }
                    }
                }
                None => {}
            }
        }
    }

    /// Quarantine the rows found bad (row number, reason, index in the batch), each with
    /// its projected values (personal ones masked).
    fn quarantine_rows(&mut self, raw: &[ArrayRef], bad: Vec<(u64, String, usize)>) {
        for (row, reason, i) in bad {
            let personal: Vec<bool> = self
                .needed
                .iter()
                .map(|n| self.spec.personal.contains(n))
                .collect();
            let raw = render_row(raw, i, &personal);
            self.quarantine_row(row, reason, raw);
        }
    }

    /// The arrays with the date columns read as `Date32` and the municipality codes
    /// checked; a value that cannot be read, or is no code, sets its row's reason in
    /// `errors` (the first per row), naming the column and the value (not a personal one).
    fn read_values(&mut self, raw: &[ArrayRef], errors: &mut Vec<Option<String>>) -> Vec<ArrayRef> {
        let len = raw.first().map_or(0, |a| a.len());
        let set = |errors: &mut Vec<Option<String>>, i: usize, why: String| {
            if errors.len() < len {
                errors.resize(len, None);
            }
            if errors[i].is_none() {
                errors[i] = Some(why);
            }
        };
        let mut out = raw.to_vec();
        for (j, a) in raw.iter().enumerate() {
            let name = &self.needed[j];
            if !is_text(a) {
                continue;
            }
            let Some(t) = TextCol::from_array(a) else {
                continue;
            };
            if let Some(r) = self.reads.dates[j] {
                let personal = self.spec.personal.contains(name);
                let mut b = arrow_array::builder::Date32Builder::with_capacity(len);
                for i in 0..len {
                    match t.get(i).map(str::trim).filter(|v| !v.is_empty()) {
                        None => b.append_null(),
                        Some(v) => match r.read(v) {
                            Some(d) => b.append_value(d),
                            None => {
                                b.append_null();
                                let shown = if personal {
                                    "a value".to_string()
                                } else {
                                    format!("{v:?}")
                                };
                                set(
                                    errors,
                                    i,
                                    format!(
                                        "column {name:?}: {shown} is not a date (expected {})",
                                        r.expected()
                                    ),
                                );
                            }
                        },
                    }
                }
                out[j] = Arc::new(b.finish());
            }
            if self.reads.codes[j] {
                // Each distinct value is checked once: by its dictionary entry when the
                // column is dictionary-encoded (a CSV's codes are), else through a map of
                // the batch's values.
                let mut by_entry: Vec<Option<Option<String>>> = match &t {
                    TextCol::Dict { values, .. } => vec![None; values.len()],
                    _ => Vec::new(),
                };
                let mut seen: rustc_hash::FxHashMap<&str, Option<String>> =
                    rustc_hash::FxHashMap::default();
                for i in 0..len {
                    let Some(v) = t.get(i).map(str::trim).filter(|v| !v.is_empty()) else {
                        continue;
                    };
                    let entry = match &t {
                        TextCol::Dict { keys, .. } => usize::try_from(keys.value(i))
                            .ok()
                            .and_then(|k| by_entry.get_mut(k)),
                        _ => None,
                    };
                    let why = match entry {
                        Some(e) => e.get_or_insert_with(|| crate::municipal::check_code(v)),
                        None => seen
                            .entry(v)
                            .or_insert_with(|| crate::municipal::check_code(v)),
                    };
                    if let Some(why) = why {
                        if self.extract.reading.keep_unknown_municipalities {
                            *self.kept.entry((name.clone(), v.to_string())).or_insert(0) += 1;
                        } else {
                            set(errors, i, format!("column {name:?}: {why}"));
                        }
                    }
                }
            }
        }
        out
    }

    /// One builder per needed column: the key plain, the others dictionary-encoded while a
    /// batch has at most half as many distinct values as rows.
    pub(crate) fn text_builders(&self) -> Vec<TextBuilder> {
        let limit = if self.spec.text_dictionary {
            (self.spec.batch_size.max(1) / 2).max(1)
        } else {
            0
        };
        self.needed
            .iter()
            .map(|n| TextBuilder::new(if *n == self.spec.key { 0 } else { limit }))
            .collect()
    }

    /// A text row has been appended to the builders: note its line, and hand a full batch
    /// to [`Self::process`].
    pub(crate) fn row_done(
        &mut self,
        builders: &mut [TextBuilder],
        lines: &mut Vec<u64>,
        line: u64,
        batch_size: usize,
    ) -> Result<()> {
        lines.push(line);
        if lines.len() >= batch_size {
            self.flush_csv(builders, lines)?;
        }
        Ok(())
    }

    /// Process the rows in the builders as one batch (nothing when there are none).
    pub(crate) fn flush_csv(
        &mut self,
        builders: &mut [TextBuilder],
        lines: &mut Vec<u64>,
    ) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let arrays: Vec<Built> = builders
            .iter_mut()
            .map(TextBuilder::finish)
            .collect::<std::result::Result<_, _>>()
            .map_err(|reason| IngestError::CsvHeader {
                path: self.extract.files[self.file].path.clone(),
                reason,
            })?;
        let refs: Vec<ArrayRef> = arrays.iter().map(Built::to_ref).collect();
        let mut l = std::mem::take(lines);
        self.process(&refs, 0, Some(&l))?;
        // The batch's buffers back to the builders (and the line list), to be written
        // over by the next batch.
        drop(refs);
        for (b, a) in builders.iter_mut().zip(arrays) {
            b.recycle(a);
        }
        l.clear();
        *lines = l;
        Ok(())
    }
}

/// Each non-negative column's name and its values as numbers ([`numbers`]).
type NonNegative<'a> = Vec<(&'a String, Vec<Option<f64>>)>;

impl<'a, T, F> Ctx<'a, T, F> {
    /// The extra columns (in spec order) and the non-negative columns' values as numbers.
    fn extra_and_nonneg(&self, arrays: &[ArrayRef]) -> (Vec<ArrayRef>, NonNegative<'a>) {
        let extra: Vec<ArrayRef> = self
            .spec
            .extra
            .iter()
            .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
            .collect();
        let nonneg: Vec<(&String, Vec<Option<f64>>)> = self
            .spec
            .nonnegative
            .iter()
            .map(|n| {
                let a = &arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)];
                (n, numbers(a))
            })
            .collect();
        (extra, nonneg)
    }

    /// The `--where` filter and the `--check` rules bound to one batch's arrays (in
    /// `needed` order).
    fn bind_filters(
        &self,
        arrays: &[ArrayRef],
    ) -> Result<(Option<BoundFilter<'a>>, Vec<BoundFilter<'a>>)> {
        let filter_arrays: Vec<ArrayRef> = self
            .spec
            .filter
            .as_ref()
            .map(|f| {
                f.columns()
                    .iter()
                    .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
                    .collect()
            })
            .unwrap_or_default();
        let bound = match &self.spec.filter {
            Some(f) => Some(
                f.bind(&filter_arrays)
                    .map_err(|reason| IngestError::Filter {
                        expr: f.text().to_string(),
                        reason: reason.0,
                    })?,
            ),
            None => None,
        };
        let checks = self
            .spec
            .checks
            .iter()
            .map(|f| {
                let arrays: Vec<ArrayRef> = f
                    .columns()
                    .iter()
                    .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
                    .collect();
                f.bind(&arrays).map_err(|reason| IngestError::Filter {
                    expr: f.text().to_string(),
                    reason: reason.0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((bound, checks))
    }
}

/// A filter's truth codes and its rows' errors ([`BoundFilter::truth_rows`]).
type Codes = (Vec<u8>, Vec<(usize, String)>);

/// The truth codes of every `--check` rule and of the `--where` filter over a batch of
/// `len` rows, a column at a time.
fn truth_codes(
    bound: Option<&BoundFilter<'_>>,
    checks: &[BoundFilter<'_>],
    len: usize,
) -> (Vec<Codes>, Option<Codes>) {
    let all: Vec<u32> = if checks.is_empty() && bound.is_none() {
        Vec::new()
    } else {
        (0..len as u32).collect()
    };
    let codes_of = |f: &crate::expr::BoundFilter<'_>| {
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        f.truth_rows(&all, &mut out, &mut errs);
        (out, errs)
    };
    let check_codes: Vec<_> = checks.iter().map(codes_of).collect();
    let where_codes = bound.map(codes_of);
    (check_codes, where_codes)
}

/// Which rows have an empty key (the first) or an empty value of each stratum.
fn missing_marks(
    key: Option<&TextCol>,
    strata: &[TextCol],
    len: usize,
) -> (Vec<bool>, Vec<Vec<bool>>) {
    let mut key_missing = vec![false; len];
    if let Some(k) = key {
        k.mark_missing(&mut key_missing);
    }
    let mut strata_missing: Vec<Vec<bool>> = Vec::with_capacity(strata.len());
    for s in strata {
        let mut m = vec![false; len];
        s.mark_missing(&mut m);
        strata_missing.push(m);
    }
    (key_missing, strata_missing)
}
