//! Evaluation a column at a time: truth codes ([`T_TRUE`], …) and numbers for many rows at
//! once, a dictionary-encoded text column read once per entry; what it cannot answer so
//! goes to the row evaluator ([`super::row`]), whose answers and reasons it equals.

use super::bind::{BoundFilter, ColAccess, ValueError};
use super::calendar::add_months;
use super::tree::{ArithOp, CmpOp, Expr, Func, Lit};
use super::value::{parse_bool, text_int, IntKind, Val};
use crate::text::TextCol;
use arrow_array::{Array, Int32Array};
use std::cmp::Ordering;

/// Truth codes of [`BoundFilter::truth_rows`]: FALSE.
pub const T_FALSE: u8 = 0;

/// TRUE.
pub const T_TRUE: u8 = 1;

/// NULL.
pub const T_NULL: u8 = 2;

/// The row's value could not be read (the reason is in the error list).
pub const T_ERROR: u8 = 3;

fn code(r: Result<Option<bool>, String>, j: usize, errs: &mut Vec<(usize, String)>) -> u8 {
    match r {
        Ok(Some(true)) => T_TRUE,
        Ok(Some(false)) => T_FALSE,
        Ok(None) => T_NULL,
        Err(m) => {
            errs.push((j, m));
            T_ERROR
        }
    }
}

/// A truth code already read, or the reason it could not be (recorded for row `j`).
fn code_of(r: Result<u8, String>, j: usize, errs: &mut Vec<(usize, String)>) -> u8 {
    r.unwrap_or_else(|m| {
        errs.push((j, m));
        T_ERROR
    })
}

fn ord_code(op: CmpOp, ord: Ordering) -> u8 {
    let b = match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    };
    u8::from(b)
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

impl BoundFilter<'_> {
    /// The expression's truth for many rows at once: `out[j]` is the truth code
    /// ([`T_TRUE`], [`T_FALSE`], [`T_NULL`], [`T_ERROR`]) of row `rows[j]`, and `errors`
    /// holds `(j, reason)` for every [`T_ERROR`], in order. The same answers as
    /// [`Self::truth`] row by row (a right operand of AND/OR is read only where the left
    /// one leaves the answer open), computed a column at a time where the expression
    /// allows: boolean columns, `IS NULL`, a column compared with a constant (for
    /// dictionary-encoded text, once per dictionary entry), two date or number columns
    /// compared, and AND/OR/NOT of those; anything else row by row.
    pub fn truth_rows(&self, rows: &[u32], out: &mut Vec<u8>, errors: &mut Vec<(usize, String)>) {
        out.clear();
        out.resize(rows.len(), T_NULL);
        errors.clear();
        let idx: Vec<u32> = (0..rows.len() as u32).collect();
        self.vtruth(&self.filter.expr, rows, &idx, out, errors);
        errors.sort_by_key(|e| e.0);
    }

    fn vtruth(
        &self,
        e: &Expr,
        rows: &[u32],
        idx: &[u32],
        out: &mut [u8],
        errs: &mut Vec<(usize, String)>,
    ) {
        match e {
            Expr::And(l, r) | Expr::Or(l, r) => {
                let is_and = matches!(e, Expr::And(..));
                self.vtruth(l, rows, idx, out, errs);
                // Rows whose answer the left side leaves open.
                let open = if is_and { T_TRUE } else { T_FALSE };
                let rest: Vec<u32> = idx
                    .iter()
                    .copied()
                    .filter(|&j| out[j as usize] == open || out[j as usize] == T_NULL)
                    .collect();
                if rest.is_empty() {
                    return;
                }
                let left: Vec<u8> = rest.iter().map(|&j| out[j as usize]).collect();
                self.vtruth(r, rows, &rest, out, errs);
                for (&j, &a) in rest.iter().zip(&left) {
                    let b = out[j as usize];
                    out[j as usize] = match (a, b) {
                        (_, T_ERROR) => T_ERROR,
                        (_, x) if x != open && x != T_NULL => x,
                        (x, y) if x == open && y == open => open,
                        _ => T_NULL,
                    };
                }
            }
            Expr::Not(x) => {
                self.vtruth(x, rows, idx, out, errs);
                for &j in idx {
                    let c = &mut out[j as usize];
                    *c = match *c {
                        T_TRUE => T_FALSE,
                        T_FALSE => T_TRUE,
                        o => o,
                    };
                }
            }
            Expr::IsNull(x, negated) if matches!(**x, Expr::Col(_)) => {
                let Expr::Col(c) = **x else { return };
                // A typed column's NULLs are its validity bits (text also counts "" as NULL).
                let nulls = match &self.cols[c] {
                    ColAccess::Bool(a) => Some(a.nulls()),
                    ColAccess::Int(a) => Some(a.nulls()),
                    ColAccess::Float(a) => Some(a.nulls()),
                    ColAccess::Date(a) => Some(a.nulls()),
                    ColAccess::Text(_) => None,
                };
                if let Some(nulls) = nulls {
                    for &j in idx {
                        let r = rows[j as usize] as usize;
                        let null = nulls.is_some_and(|n| n.is_null(r));
                        out[j as usize] = u8::from(null != *negated);
                    }
                    return;
                }
                // Dictionary-encoded text: whether each entry is NULL (empty), once.
                if let ColAccess::Text(TextCol::Dict { keys, values }) = &self.cols[c] {
                    let (null, value) = (u8::from(!*negated), u8::from(*negated));
                    let table: Vec<u8> = (0..values.len())
                        .map(|k| {
                            if values.is_null(k) || values.value(k).is_empty() {
                                null
                            } else {
                                value
                            }
                        })
                        .collect();
                    gather_dict(keys, table, null, rows, idx, out);
                    return;
                }
                for &j in idx {
                    let null = matches!(self.col(c, rows[j as usize] as usize), Val::Null);
                    out[j as usize] = u8::from(null != *negated);
                }
            }
            Expr::Col(c) if matches!(self.cols[*c], ColAccess::Bool(_)) => {
                let ColAccess::Bool(a) = &self.cols[*c] else {
                    return;
                };
                for &j in idx {
                    let r = rows[j as usize] as usize;
                    out[j as usize] = if a.is_null(r) {
                        T_NULL
                    } else {
                        u8::from(a.value(r))
                    };
                }
            }
            // A text column as a condition (a CSV flag): read as `truth_of` reads it, once
            // per dictionary entry when the column has one.
            Expr::Col(c) if matches!(self.cols[*c], ColAccess::Text(_)) => {
                let ColAccess::Text(t) = &self.cols[*c] else {
                    return;
                };
                let read = |s: Option<&str>| -> Result<u8, String> {
                    match s {
                        None | Some("") => Ok(T_NULL),
                        Some(s) => parse_bool(s)
                            .map(u8::from)
                            .ok_or_else(|| format!("{}: {s:?} is not a boolean", self.col_name(e))),
                    }
                };
                if let TextCol::Dict { keys, values } = t {
                    let table: Vec<Result<u8, String>> = (0..values.len())
                        .map(|k| read((!values.is_null(k)).then(|| values.value(k))))
                        .collect();
                    for &j in idx {
                        let r = rows[j as usize] as usize;
                        let entry = if keys.is_null(r) {
                            Ok(T_NULL)
                        } else {
                            usize::try_from(keys.value(r))
                                .ok()
                                .and_then(|k| table.get(k).cloned())
                                .unwrap_or(Ok(T_NULL))
                        };
                        out[j as usize] = code_of(entry, j as usize, errs);
                    }
                } else {
                    for &j in idx {
                        let entry = read(t.get(rows[j as usize] as usize));
                        out[j as usize] = code_of(entry, j as usize, errs);
                    }
                }
            }
            Expr::Cmp(op, l, r) if self.vcmp(*op, l, r, rows, idx, out) => {}
            _ => {
                for &j in idx {
                    out[j as usize] = code(
                        self.truth_of(e, rows[j as usize] as usize),
                        j as usize,
                        errs,
                    );
                }
            }
        }
    }

    /// A comparison a column at a time, when both sides have a fast form; false otherwise.
    fn vcmp(
        &self,
        op: CmpOp,
        l: &Expr,
        r: &Expr,
        rows: &[u32],
        idx: &[u32],
        out: &mut [u8],
    ) -> bool {
        // Two text columns compare as text (row by row: `compare`), never as numbers.
        let text =
            |e: &Expr| matches!(e, Expr::Col(c) if matches!(self.cols[*c], ColAccess::Text(_)));
        if text(l) && text(r) {
            return false;
        }
        if let (Some((ka, a)), Some((kb, b))) = (self.vint(l, rows, idx), self.vint(r, rows, idx)) {
            if ka != kb {
                return false;
            }
            for (m, &j) in idx.iter().enumerate() {
                out[j as usize] = match (a[m], b[m]) {
                    (Some(x), Some(y)) => ord_code(op, x.cmp(&y)),
                    _ => T_NULL,
                };
            }
            return true;
        }
        // Text, floats and booleans against a constant (whole numbers and dates went above).
        let (op, c, other) = match (l, r) {
            (Expr::Col(c), o) => (op, *c, o),
            (o, Expr::Col(c)) => (flip(op), *c, o),
            _ => return false,
        };
        let at = |j: u32| rows[j as usize] as usize;
        match (&self.cols[c], other) {
            (ColAccess::Text(t), Expr::Lit(Lit::Str(lit))) => {
                if let TextCol::Dict { keys, values } = t {
                    // Once per dictionary entry (an empty string is NULL, as everywhere).
                    let table: Vec<u8> = (0..values.len())
                        .map(|k| {
                            if values.is_null(k) || values.value(k).is_empty() {
                                T_NULL
                            } else {
                                ord_code(op, values.value(k).cmp(lit.as_str()))
                            }
                        })
                        .collect();
                    gather_dict(keys, table, T_NULL, rows, idx, out);
                } else {
                    for &j in idx {
                        out[j as usize] = match t.get(at(j)) {
                            None | Some("") => T_NULL,
                            Some(v) => ord_code(op, v.cmp(lit.as_str())),
                        };
                    }
                }
                true
            }
            (ColAccess::Int(a), Expr::Lit(Lit::Float(v))) => {
                for &j in idx {
                    let r = at(j);
                    out[j as usize] = match (a.is_null(r), (a.value(r) as f64).partial_cmp(v)) {
                        (false, Some(o)) => ord_code(op, o),
                        _ => T_NULL,
                    };
                }
                true
            }
            (ColAccess::Float(a), Expr::Lit(Lit::Int(_) | Lit::Float(_))) => {
                let v = match other {
                    Expr::Lit(Lit::Int(i)) => *i as f64,
                    Expr::Lit(Lit::Float(f)) => *f,
                    _ => return false,
                };
                for &j in idx {
                    let r = at(j);
                    out[j as usize] = match (a.is_null(r), a.value(r).partial_cmp(&v)) {
                        (false, Some(o)) => ord_code(op, o),
                        _ => T_NULL,
                    };
                }
                true
            }
            (ColAccess::Bool(a), Expr::Lit(Lit::Bool(v))) => {
                for &j in idx {
                    let r = at(j);
                    out[j as usize] = if a.is_null(r) {
                        T_NULL
                    } else {
                        ord_code(op, a.value(r).cmp(v))
                    };
                }
                true
            }
            _ => false,
        }
    }

    /// Whole-number or date values of an expression for the rows `rows[j]`, `j` in `idx`
    /// (NULL as `None`), a column at a time: integer and date columns, constants,
    /// `date − date`, `date ± n`, `n ± n`, `ADD_MONTHS(date, n)` (through a table over the
    /// dates present). `None` (the caller goes row by row) for anything else, and whenever
    /// a value would overflow or leave the calendar, so that the row-wise error is kept.
    fn vint(&self, e: &Expr, rows: &[u32], idx: &[u32]) -> Option<(IntKind, Vec<Option<i64>>)> {
        match e {
            Expr::Col(c) => self.vint_col(*c, rows, idx),
            Expr::Lit(Lit::Int(v)) => Some((IntKind::Int, vec![Some(*v); idx.len()])),
            Expr::Neg(x) => {
                let (IntKind::Int, v) = self.vint(x, rows, idx)? else {
                    return None;
                };
                let mut out = Vec::with_capacity(v.len());
                for x in v {
                    out.push(match x {
                        Some(x) => Some(x.checked_neg()?),
                        None => None,
                    });
                }
                Some((IntKind::Int, out))
            }
            Expr::Lit(Lit::Date(d)) => Some((IntKind::Date, vec![Some(i64::from(*d)); idx.len()])),
            Expr::Arith(op @ (ArithOp::Add | ArithOp::Sub), l, r) => {
                let (ka, a) = self.vint(l, rows, idx)?;
                let (kb, b) = self.vint(r, rows, idx)?;
                let kind = match (op, ka, kb) {
                    (ArithOp::Sub, IntKind::Date, IntKind::Date) => IntKind::Int,
                    (_, IntKind::Date, IntKind::Int) => IntKind::Date,
                    (_, IntKind::Int, IntKind::Int) => IntKind::Int,
                    _ => return None,
                };
                let mut out = Vec::with_capacity(a.len());
                for (x, y) in a.into_iter().zip(b) {
                    out.push(match (x, y) {
                        (Some(x), Some(y)) => {
                            let v = if *op == ArithOp::Add {
                                x.checked_add(y)?
                            } else {
                                x.checked_sub(y)?
                            };
                            if kind == IntKind::Date && i32::try_from(v).is_err() {
                                return None;
                            }
                            Some(v)
                        }
                        _ => None,
                    });
                }
                Some((kind, out))
            }
            Expr::Func(Func::AddMonths, args) => self.vint_add_months(args, rows, idx),
            _ => None,
        }
    }

    /// [`Self::vint`] of a column: an integer or date column as it is, text read as
    /// `numeric` reads it (a dictionary's entries once each).
    fn vint_col(&self, c: usize, rows: &[u32], idx: &[u32]) -> Option<(IntKind, Vec<Option<i64>>)> {
        let at = |j: u32| rows[j as usize] as usize;
        match &self.cols[c] {
            ColAccess::Int(a) => Some((
                IntKind::Int,
                idx.iter()
                    .map(|&j| (!a.is_null(at(j))).then(|| a.value(at(j))))
                    .collect(),
            )),
            ColAccess::Date(a) => Some((
                IntKind::Date,
                idx.iter()
                    .map(|&j| (!a.is_null(at(j))).then(|| i64::from(a.value(at(j)))))
                    .collect(),
            )),
            // Dictionary-encoded text: each entry read once, then the rows by key (NULL
            // where `TextCol::get` has no value: a null key, an empty or null entry).
            ColAccess::Text(TextCol::Dict { keys, values }) => {
                let table: Vec<Option<Option<(IntKind, i64)>>> = (0..values.len())
                    .map(|k| {
                        (!values.is_null(k) && !values.value(k).is_empty())
                            .then(|| text_int(values.value(k)))
                    })
                    .collect();
                let mut kind = None;
                let mut out = Vec::with_capacity(idx.len());
                for &j in idx {
                    let r = at(j);
                    let entry = if keys.is_null(r) {
                        None
                    } else {
                        usize::try_from(keys.value(r))
                            .ok()
                            .and_then(|k| table.get(k).copied())
                            .flatten()
                    };
                    out.push(match entry {
                        None => None,
                        Some(parsed) => {
                            let (k, v) = parsed?;
                            if *kind.get_or_insert(k) != k {
                                return None;
                            }
                            Some(v)
                        }
                    });
                }
                Some((kind?, out))
            }
            // Text (every CSV column) read as `numeric` reads it, when every value is a
            // whole number or every one a date; anything else goes row by row.
            ColAccess::Text(t) => {
                let mut kind = None;
                let mut out = Vec::with_capacity(idx.len());
                for &j in idx {
                    out.push(match t.get(at(j)) {
                        None | Some("") => None,
                        Some(s) => {
                            let (k, v) = text_int(s)?;
                            if *kind.get_or_insert(k) != k {
                                return None;
                            }
                            Some(v)
                        }
                    });
                }
                // All NULL: no kind to give, and none needed (NULL either way).
                Some((kind?, out))
            }
            _ => None,
        }
    }

    /// [`Self::vint`] of `ADD_MONTHS(d, n)`: a table over the dates present per month count.
    fn vint_add_months(
        &self,
        args: &[Expr],
        rows: &[u32],
        idx: &[u32],
    ) -> Option<(IntKind, Vec<Option<i64>>)> {
        let (IntKind::Date, d) = self.vint(&args[0], rows, idx)? else {
            return None;
        };
        let (IntKind::Int, n) = self.vint(&args[1], rows, idx)? else {
            return None;
        };
        // A table over the range of dates present, per distinct month count.
        let (lo, hi) = d
            .iter()
            .flatten()
            .fold((i64::MAX, i64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        let span = if lo <= hi { (hi - lo + 1) as usize } else { 0 };
        let mut tables: Vec<(i64, Vec<Option<i32>>)> = Vec::new();
        let mut out = Vec::with_capacity(d.len());
        for (x, m) in d.into_iter().zip(n) {
            let (Some(x), Some(m)) = (x, m) else {
                out.push(None);
                continue;
            };
            let v = if span <= 1 << 16 {
                let t = match tables.iter().position(|t| t.0 == m) {
                    Some(i) => i,
                    None => {
                        if tables.len() >= 8 {
                            return None;
                        }
                        tables.push((m, vec![None; span]));
                        tables.len() - 1
                    }
                };
                let slot = &mut tables[t].1[(x - lo) as usize];
                match slot {
                    Some(v) => *v,
                    None => {
                        let v = add_months(i32::try_from(x).ok()?, m)?;
                        *slot = Some(v);
                        v
                    }
                }
            } else {
                add_months(i32::try_from(x).ok()?, m)?
            };
            out.push(Some(i64::from(v)));
        }
        Some((IntKind::Date, out))
    }

    /// The expression's value as a number for many rows: entry `j` of `out` for row
    /// `rows[j]` as in [`Self::number`]; a column, or the difference of two date columns, a
    /// column at a time, anything else row by row. The answers are kept compactly
    /// ([`Numbers`]: a value and a code per row, the reasons apart) rather than as one
    /// `Result` per row, which cost a pass to build and another to drop.
    pub fn number_rows(&self, rows: &[u32], out: &mut Numbers) {
        out.clear();
        // One value and one code per row: room for all of them at once, not grown by pushes.
        out.values.reserve(rows.len());
        out.codes.reserve(rows.len());
        let idx: Vec<u32> = (0..rows.len() as u32).collect();
        if let Some((_, v)) = self.vint(&self.filter.expr, rows, &idx) {
            // A date's number is its day count, as in `number`.
            for x in v {
                out.push_value(x.map(|x| x as f64));
            }
            return;
        }
        match &self.filter.expr {
            Expr::Col(c) if matches!(self.cols[*c], ColAccess::Float(_)) => {
                let ColAccess::Float(a) = &self.cols[*c] else {
                    return;
                };
                for &r in rows {
                    let r = r as usize;
                    if a.is_null(r) {
                        out.push_value(None);
                    } else {
                        let v = a.value(r);
                        if v.is_finite() {
                            out.push_value(Some(v));
                        } else {
                            out.push(Err(ValueError(format!("{v} is not a finite number"))));
                        }
                    }
                }
            }
            _ => {
                for &r in rows {
                    out.push(self.number(r as usize));
                }
            }
        }
    }
}

/// `out[j] = table[keys[rows[j]]]` for every `j` in `idx`: a dictionary column's per-entry
/// answers read per row, `null` for a NULL key or a key outside the table (never in a valid
/// dictionary array). Without a branch per row where the keys have no NULLs: a key outside
/// the table reads a sentinel entry at its end.
fn gather_dict(
    keys: &Int32Array,
    mut table: Vec<u8>,
    null: u8,
    rows: &[u32],
    idx: &[u32],
    out: &mut [u8],
) {
    let last = table.len();
    table.push(null);
    let values = keys.values();
    // A negative key turns into a huge index and so reads the sentinel too.
    let entry = |r: usize| table[(values[r] as u32 as usize).min(last)];
    match keys.nulls() {
        None => {
            for &j in idx {
                out[j as usize] = entry(rows[j as usize] as usize);
            }
        }
        Some(nulls) => {
            for &j in idx {
                let r = rows[j as usize] as usize;
                out[j as usize] = if nulls.is_null(r) { null } else { entry(r) };
            }
        }
    }
}

/// Many rows' numbers ([`BoundFilter::number_rows`]): per row a code ([`T_TRUE`] a value,
/// [`T_NULL`] no value, [`T_ERROR`] a value that cannot be read) and the value (0 unless
/// the code is [`T_TRUE`]); the reasons of the errors by row, in row order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers {
    /// The values (0 where the code is not [`T_TRUE`]).
    pub values: Vec<f64>,
    /// The codes.
    pub codes: Vec<u8>,
    /// `(row, reason)` of every [`T_ERROR`], in row order.
    pub errors: Vec<(usize, String)>,
}

impl Numbers {
    /// Empty the lists, keeping their memory.
    pub fn clear(&mut self) {
        self.values.clear();
        self.codes.clear();
        self.errors.clear();
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    #[inline]
    fn push_value(&mut self, v: Option<f64>) {
        self.codes.push(if v.is_some() { T_TRUE } else { T_NULL });
        self.values.push(v.unwrap_or(0.0));
    }

    fn push(&mut self, v: Result<Option<f64>, ValueError>) {
        match v {
            Ok(x) => self.push_value(x),
            Err(e) => {
                self.errors.push((self.codes.len(), e.0));
                self.codes.push(T_ERROR);
                self.values.push(0.0);
            }
        }
    }

    /// Row `j`'s answer as [`BoundFilter::number`] gives it.
    pub fn get(&self, j: usize) -> Result<Option<f64>, ValueError> {
        match self.codes[j] {
            T_TRUE => Ok(Some(self.values[j])),
            T_ERROR => {
                let k = self.errors.partition_point(|e| e.0 < j);
                Err(ValueError(self.errors[k].1.clone()))
            }
            _ => Ok(None),
        }
    }

    /// Every row's answer, in order.
    pub fn to_vec(&self) -> Vec<Result<Option<f64>, ValueError>> {
        (0..self.len()).map(|j| self.get(j)).collect()
    }
}

#[cfg(test)]
mod fast_paths {
    use super::*;
    use crate::expr::Filter;
    use arrow_array::{ArrayRef, Date32Array};
    use std::sync::Arc;

    /// The comparisons the shipped indicators use are answered a column at a time (not by
    /// the row-wise fallback, which gives the same answers, only slower).
    #[test]
    fn date_comparisons_take_the_column_at_a_time_path() {
        let d: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(20_000),
            None,
            Some(20_300),
            None,
        ]));
        let e: ArrayRef = Arc::new(Date32Array::from(vec![Some(20_329); 4]));
        for text in [
            "decided_date <= ADD_MONTHS(extract_date, -3)",
            "extract_date > ADD_MONTHS(decided_date, 4)",
            "decided_date - extract_date <= 14",
            "decided_date <= extract_date",
        ] {
            let f = Filter::parse(text).unwrap();
            let arrays: Vec<ArrayRef> = f
                .columns()
                .iter()
                .map(|c| {
                    if c == "decided_date" {
                        d.clone()
                    } else {
                        e.clone()
                    }
                })
                .collect();
            let b = f.bind(&arrays).unwrap();
            let Expr::Cmp(op, l, r) = &f.expr else {
                panic!("{text}")
            };
            let rows = [0u32, 1, 2, 3];
            let mut out = vec![9u8; 4];
            assert!(b.vcmp(*op, l, r, &rows, &rows, &mut out), "{text}");
            let want: Vec<u8> = rows
                .iter()
                .map(|&r| match b.truth(r as usize) {
                    Ok(Some(true)) => T_TRUE,
                    Ok(Some(false)) => T_FALSE,
                    _ => T_NULL,
                })
                .collect();
            assert_eq!(out, want, "{text}");
        }
    }

    /// Hostile expressions are refused in one line, never overflow the stack: parsed here on
    /// a thread with a 2 MiB stack, as small as a scan thread's.
    #[test]
    fn deep_and_long_expressions_are_refused_not_crashed() {
        let hostile: Vec<(String, &str)> = vec![
            (format!("{}x = 1", "NOT ".repeat(20_000)), "tokens"),
            (
                format!("{}x = 1", "NOT ".repeat(300)),
                "nests more than 256",
            ),
            (
                format!("{}x{} > 1", "(".repeat(5_000), ")".repeat(5_000)),
                "tokens",
            ),
            (
                format!("{}x{} > 1", "(".repeat(300), ")".repeat(300)),
                "nests more than 256",
            ),
            (format!("{} > 1", vec!["x"; 20_000].join(" + ")), "tokens"),
            (
                format!("{} > 1", vec!["x"; 300].join(" + ")),
                "chain of more than 256",
            ),
            (vec!["x = 1"; 300].join(" AND "), "chain of more than 256"),
            (format!("{}x > 1", "- ".repeat(300)), "nests more than 256"),
            (
                format!("{}x{} > 1", "COALESCE(".repeat(300), ")".repeat(300)),
                "nests more than 256",
            ),
        ];
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                for (text, want) in &hostile {
                    let e = Filter::parse(text).unwrap_err().to_string();
                    assert!(e.contains(want), "{want:?} not in {e}");
                    assert!(
                        e.len() < 300,
                        "the error quotes too much: {} bytes",
                        e.len()
                    );
                }
                // At the limit it parses and evaluates, row at a time and column at a time.
                let x: ArrayRef = Arc::new(arrow_array::Int64Array::from(vec![1, 2, 3]));
                for ok in [
                    format!("{}x{} > 1", "(".repeat(250), ")".repeat(250)),
                    format!("{} > 1", vec!["x"; 250].join(" + ")),
                    format!("{}x > 1", "NOT ".repeat(250)),
                    vec!["x > 1"; 250].join(" AND "),
                ] {
                    let f = Filter::parse(&ok).unwrap();
                    let b = f.bind(std::slice::from_ref(&x)).unwrap();
                    let _ = b.matches(2);
                    let (mut out, mut errors) = (Vec::new(), Vec::new());
                    b.truth_rows(&[0, 1, 2], &mut out, &mut errors);
                    assert_eq!(out.len(), 3);
                }
            })
            .unwrap();
        handle.join().unwrap();
    }
}

/// Text columns (every CSV column) read a column at a time give what the row-by-row path
/// gives: the same truth codes, the same reasons word for word, the same numbers, for plain
/// and dictionary-encoded text, over values that are dates, whole numbers, decimals, words,
/// booleans, padded, empty and NULL, mixed at random.
#[cfg(test)]
mod text_columns {
    use super::*;
    use crate::expr::Filter;
    use arrow_array::types::Int32Type;
    use arrow_array::ArrayRef;
    use arrow_array::{DictionaryArray, StringArray};
    use proptest::prelude::*;
    use std::sync::Arc;

    const VALUES: [Option<&str>; 18] = [
        None,
        Some(""),
        Some("2024-06-26"),
        Some("2024-02-29"),
        Some(" 2023-12-31 "),
        Some("2023-02-29"),
        Some("2024-6-5"),
        Some("12"),
        Some("9"),
        Some("-3"),
        Some(" 40 "),
        Some("1,5"),
        Some("2.0"),
        Some("ja"),
        Some("Nej"),
        Some("TRUE"),
        Some("0"),
        Some("x"),
    ];

    const EXPRS: [&str; 25] = [
        "a",
        "NOT a OR b",
        "a <= b + 120",
        "a - b > 30",
        "a < b",
        "a = b",
        "a <= DATE '2024-01-01'",
        "a > 10",
        "-a < 2",
        "a + 1 >= c",
        "ADD_MONTHS(a, 4) >= b",
        "ADD_MONTHS(b, c) < a",
        "a IS NOT NULL AND a <= b + 14",
        "b - a <= 120 OR c",
        "a = 12",
        "c <= ADD_MONTHS(a, -1)",
        "a + c > b",
        "a - a = 0",
        "b >= a AND c > a",
        "c",
        "a < 'm'",
        "a * 2 > 5",
        "a IS NULL",
        "NOT (b IS NULL) OR c",
        "b = 'ja'",
    ];

    const NUMBERS: [&str; 6] = ["a", "a - b", "b + 7", "a + c", "ADD_MONTHS(a, 2) - b", "-c"];

    fn column(picks: &[usize], dict: bool) -> ArrayRef {
        let v: Vec<Option<&str>> = picks.iter().map(|&i| VALUES[i]).collect();
        if dict {
            Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>())
        } else {
            Arc::new(StringArray::from(v))
        }
    }

    /// A column's picks: from the whole pool, or (to reach the column-at-a-time path
    /// often) from only the dates, only the whole numbers or only the flags, with NULLs.
    fn picks() -> impl Strategy<Value = Vec<usize>> {
        let pools: [&[usize]; 4] = [
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
            &[0, 1, 2, 3, 4],
            &[0, 1, 7, 8, 9, 10, 16],
            &[0, 1, 13, 14, 15, 16],
        ];
        (0usize..4, 1usize..12).prop_flat_map(move |(p, len)| {
            let pool = pools[p].to_vec();
            proptest::collection::vec(proptest::sample::select(pool), len..=len)
        })
    }

    fn check(a: &[usize], b: &[usize], c: &[usize], dict: [bool; 3]) -> Result<(), TestCaseError> {
        let n = a.len().min(b.len()).min(c.len());
        let cols = [
            column(&a[..n], dict[0]),
            column(&b[..n], dict[1]),
            column(&c[..n], dict[2]),
        ];
        let rows: Vec<u32> = (0..n as u32).chain((0..n as u32).rev()).collect();
        let by_name = |f: &Filter| -> Vec<ArrayRef> {
            f.columns()
                .iter()
                .map(|x| cols[["a", "b", "c"].iter().position(|y| y == x).unwrap()].clone())
                .collect()
        };
        for text in EXPRS {
            let f = Filter::parse(text).unwrap();
            let bound = f.bind(&by_name(&f)).unwrap();
            let (mut out, mut errs) = (Vec::new(), Vec::new());
            bound.truth_rows(&rows, &mut out, &mut errs);
            let mut want_errs = Vec::new();
            let want: Vec<u8> = rows
                .iter()
                .enumerate()
                .map(|(j, &r)| code(bound.truth(r as usize).map_err(|e| e.0), j, &mut want_errs))
                .collect();
            prop_assert_eq!(&out, &want, "{}", text);
            prop_assert_eq!(&errs, &want_errs, "{}", text);
        }
        for text in NUMBERS {
            let f = Filter::parse(text).unwrap();
            let bound = f.bind(&by_name(&f)).unwrap();
            let mut out = Numbers::default();
            bound.number_rows(&rows, &mut out);
            let want: Vec<_> = rows.iter().map(|&r| bound.number(r as usize)).collect();
            prop_assert_eq!(&out.to_vec(), &want, "{}", text);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]
        #[test]
        fn text_columns_a_column_at_a_time_equal_row_by_row(
            a in picks(), b in picks(), c in picks(), dict in any::<[bool; 3]>()
        ) {
            check(&a, &b, &c, dict)?;
        }
    }

    /// The cases the strategy might draw rarely, written out: numbers as text compare as
    /// text against text ("10" < "9"), and as numbers against a number.
    #[test]
    fn two_text_columns_compare_as_text() {
        check(&[7, 8, 2], &[8, 7, 3], &[10, 9, 7], [false, true, false]).unwrap();
        let a: ArrayRef = Arc::new(StringArray::from(vec!["10", "2024-06-26"]));
        let b: ArrayRef = Arc::new(StringArray::from(vec!["9", "2024-6-27"]));
        let f = Filter::parse("a < b").unwrap();
        let bound = f.bind(&[a, b]).unwrap();
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        bound.truth_rows(&[0, 1], &mut out, &mut errs);
        assert_eq!(out, vec![T_TRUE, T_TRUE]);
    }
}
