//! Row filters (`--where`): a small SQL expression language over an extract's columns.
//!
//! The text is SQL, parsed by `sqlparser` and lowered by [`crate::sql`] into this module's
//! tree. Accepted (keywords case-insensitive): comparisons `= <> != < <= > >=`, `AND`,
//! `OR`, `NOT`, `+ - * / %`, `IS [NOT] NULL`, `IS [NOT] TRUE|FALSE`, `[NOT] IN (constants)`,
//! `[NOT] BETWEEN a AND b`, `[NOT] LIKE|ILIKE 'pattern'`, `CASE [x] WHEN … THEN … [ELSE …]
//! END`, `CAST(x AS INTEGER|DOUBLE|DATE|TEXT|BOOLEAN)` (and `TRY_CAST`, `x::type`),
//! `EXTRACT(YEAR|MONTH|DAY FROM d)`, `DATE 'YYYY-MM-DD'`, `d ± INTERVAL '4 months'`
//! (years, months, weeks, days), and the functions ADD_MONTHS, YEAR, MONTH, DAY, COALESCE,
//! NULLIF, ABS, LOWER, UPPER, TRIM, LENGTH; `"quoted"` column names; `--` starts a comment.
//!
//! Semantics follow SQL: NULL propagates through comparisons and arithmetic, AND/OR use
//! three-valued (Kleene) logic, and a row passes only when the filter is TRUE. Text compared
//! with a number, a date or a boolean is parsed as one (CSV columns are text); a value that
//! does not parse is a row error (the row is quarantined with the reason), never a silent
//! NULL. Date − date is a number of days; date ± n is n days later or earlier.
//! `ADD_MONTHS(d, n)` is d plus n calendar months with the day clamped to the end of the
//! month (PostgreSQL's and DuckDB's `d + INTERVAL n MONTH`: 2024-01-31 + 1 month =
//! 2024-02-29), the rule for statutory deadlines counted in months; `d + INTERVAL '4 months'`
//! is the same thing. A CAST that cannot read its value is a row error (TRY_CAST gives
//! NULL); a float cast to an integer rounds half away from zero.
//!
//! Evaluation is our own code, not arrow's kernels: text columns (every CSV column) are read
//! as numbers, dates or booleans per row, and a value that cannot be read quarantines its
//! row with the reason, which a kernel's all-or-nothing cast cannot express. For typed
//! columns the kernels were measured against this code (`benches/benches/expression.rs`, the
//! shipped `investigation_within_4_months` indicator over 1 M rows: dictionary equality,
//! IS NOT NULL, Kleene AND, Date32 + INTERVAL 4 months, <=): arrow 31.1 ms, this evaluator
//! 20.7 ms (2026-11-24, 2 cores; arrow's interval addition goes through chrono per value,
//! this one through a table over the dates present), so the kernels are not used.
//!
//! The same language serves `--where` filters and indicator expressions: [`BoundFilter::matches`]
//! asks whether a row passes, [`BoundFilter::truth`] gives its three-valued truth and
//! [`BoundFilter::number`] its numeric value.

use crate::error::IngestError;
use crate::text::TextCol;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array,
};
use arrow_schema::DataType;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Date(i32),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The target type of a CAST.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CastTo {
    Int,
    Float,
    Date,
    Text,
    Bool,
}

/// The expression tree the evaluator runs ([`crate::sql`] lowers sqlparser's into it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Col(usize),
    Lit(Lit),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    In(Box<Expr>, Vec<Lit>, bool),
    /// `x [NOT] LIKE 'pattern'`; ILIKE (the last flag) has the pattern lower-cased.
    Like(Box<Expr>, String, bool, bool),
    Func(Func, Vec<Expr>),
    /// `CASE WHEN c THEN r … [ELSE e] END` (an operand form is lowered to `x = v`); the
    /// first field is unused and kept `None`.
    Case(Option<Box<Expr>>, Vec<(Expr, Expr)>, Option<Box<Expr>>),
    /// `CAST(x AS t)`; TRY_CAST (the flag) gives NULL where CAST is a row error.
    Cast(Box<Expr>, CastTo, bool),
}

/// A function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Func {
    AddMonths,
    Year,
    Month,
    Day,
    Coalesce,
    NullIf,
    Abs,
    Lower,
    Upper,
    Trim,
    Length,
    /// Whether a value holds a personnummer or samordningsnummer in any form masking finds
    /// ([`crate::personal::contains_personnummer`]: `811218-9876`, `19811218–9876`,
    /// `K198112189876`, …).
    IsPersonnummer,
}

/// The deepest an expression may nest (parentheses, NOT, unary minus, function calls, and
/// chains of one operator), and the most tokens it may have. Parsing and evaluation recurse
/// over the expression, on threads with small stacks: without a bound, `NOT NOT … x` 20,000
/// deep or a 20,000-term sum from a hostile plan.json would overflow the stack and abort.
pub const MAX_DEPTH: usize = 256;
/// See [`MAX_DEPTH`].
pub const MAX_TOKENS: usize = 10_000;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Hinnant's
/// civil_from_days; the inverse of [`parse_date`]'s day count).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `d` plus `n` calendar months, the day clamped to the last day of the target month
/// (PostgreSQL's and DuckDB's `date + INTERVAL n MONTH`). `None` when out of range.
pub fn add_months(d: i32, n: i64) -> Option<i32> {
    let (y, m, day) = civil_from_days(i64::from(d));
    let total = y
        .checked_mul(12)?
        .checked_add(i64::from(m) - 1)?
        .checked_add(n)?;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if ny.abs() > 1_000_000 {
        return None;
    }
    let nd = i64::from(day).min(days_in_month(ny, nm));
    i32::try_from(days_from_civil(ny, nm, nd)).ok()
}

/// Parse `YYYY-MM-DD` into days since 1970-01-01; `None` if it is not a valid date.
pub fn parse_date(s: &str) -> Option<i32> {
    let s = crate::text::trim(s);
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    // Eight ASCII digits (nearly every date): read directly, in unsigned arithmetic (the
    // year is 0..=9999); anything else (a sign, which `str::parse` accepts) by `str::parse`,
    // so both give the same answers.
    if [0, 1, 2, 3, 5, 6, 8, 9]
        .iter()
        .all(|&i| b[i].is_ascii_digit())
    {
        let digit = |i: usize| u32::from(b[i] - b'0');
        let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
        let m = digit(5) * 10 + digit(6);
        let d = digit(8) * 10 + digit(9);
        if !(1..=12).contains(&m)
            || d < 1
            || i64::from(d) > days_in_month(i64::from(y), i64::from(m))
        {
            return None;
        }
        return Some(days_from_civil_4digit(y, m, d));
    }
    let y = s[0..4].parse::<i64>().ok()?;
    let m = s[5..7].parse::<i64>().ok()?;
    let d = s[8..10].parse::<i64>().ok()?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// [`days_from_civil`] for a year of four digits (0..=9999), month 1..=12 and day 1..=31,
/// in unsigned arithmetic (the era is never negative, so no sign corrections): the same
/// day count (a test compares every date of the four-digit years).
fn days_from_civil_4digit(y: u32, m: u32, d: u32) -> i32 {
    // Shifted so the year starts in March: year 0 March 1 is day 0 before the offset.
    let y = if m <= 2 { y + 399 } else { y + 400 };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // era counts from year −400 here (the +400 above): one era less in the total.
    (era as i32 - 1) * 146_097 + doe as i32 - 719_468
}

/// Why one row's value cannot be evaluated (text that is not a number or a date, an
/// overflow): the row is quarantined with this reason, never read as NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// A parsed filter and the columns it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    text: String,
    expr: Expr,
    columns: Vec<String>,
}

impl Filter {
    /// Parse a filter expression.
    ///
    /// # Errors
    /// [`IngestError::Filter`] naming the position of the first problem.
    pub fn parse(text: &str) -> Result<Filter, IngestError> {
        let (expr, columns) = crate::sql::parse(text).map_err(|reason| IngestError::Filter {
            expr: text.to_string(),
            reason,
        })?;
        Ok(Filter {
            text: text.to_string(),
            expr,
            columns,
        })
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The columns the filter reads, in first-use order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The text constants the filter compares columns with (`col = 'x'`, `'x' <> col`,
    /// `col IN ('x', 'y')`, `col LIKE 'x%'`), grouped by column in first-use order: what to
    /// explain when the filter keeps no rows.
    pub fn text_constants(&self) -> Vec<(String, Vec<String>)> {
        fn walk(e: &Expr, out: &mut Vec<(usize, String)>) {
            match e {
                Expr::Cmp(CmpOp::Eq | CmpOp::Ne, a, b) => match (&**a, &**b) {
                    (Expr::Col(i), Expr::Lit(Lit::Str(s)))
                    | (Expr::Lit(Lit::Str(s)), Expr::Col(i)) => {
                        out.push((*i, s.clone()));
                    }
                    _ => {
                        walk(a, out);
                        walk(b, out);
                    }
                },
                Expr::In(a, lits, _) => {
                    if let Expr::Col(i) = &**a {
                        out.extend(lits.iter().filter_map(|l| match l {
                            Lit::Str(s) => Some((*i, s.clone())),
                            _ => None,
                        }));
                    }
                }
                Expr::Like(a, pattern, _, _) => {
                    if let Expr::Col(i) = &**a {
                        out.push((*i, pattern.clone()));
                    }
                }
                Expr::Cmp(_, a, b) | Expr::Arith(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) => walk(a, out),
                Expr::Func(_, args) => args.iter().for_each(|a| walk(a, out)),
                Expr::Case(_, whens, otherwise) => {
                    for (c, r) in whens {
                        walk(c, out);
                        walk(r, out);
                    }
                    if let Some(x) = otherwise {
                        walk(x, out);
                    }
                }
                Expr::Cast(x, _, _) => walk(x, out),
                Expr::Col(_) | Expr::Lit(_) => {}
            }
        }
        let mut found = Vec::new();
        walk(&self.expr, &mut found);
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (i, s) in found {
            let Some(name) = self.columns.get(i) else {
                continue;
            };
            match out.iter_mut().find(|(c, _)| c == name) {
                Some((_, v)) if !v.contains(&s) => v.push(s),
                Some(_) => {}
                None => out.push((name.clone(), vec![s])),
            }
        }
        out
    }

    /// Bind the filter to one batch: `arrays` holds the filter's columns in [`Self::columns`] order.
    pub fn bind<'a>(&'a self, arrays: &[ArrayRef]) -> Result<BoundFilter<'a>, ValueError> {
        let cols = arrays
            .iter()
            .zip(&self.columns)
            .map(|(a, name)| {
                ColAccess::from_array(a).ok_or_else(|| {
                    ValueError(format!(
                        "column {name:?} has type {} that filters cannot read",
                        a.data_type()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BoundFilter { filter: self, cols })
    }
}

enum ColAccess {
    Bool(BooleanArray),
    Int(Int64Array),
    Float(Float64Array),
    Date(Date32Array),
    Text(TextCol),
}

impl ColAccess {
    fn from_array(a: &ArrayRef) -> Option<ColAccess> {
        use DataType::*;
        Some(match a.data_type() {
            Boolean => ColAccess::Bool(a.as_boolean().clone()),
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => ColAccess::Int(
                arrow_cast::cast(a, &Int64)
                    .ok()?
                    .as_primitive::<Int64Type>()
                    .clone(),
            ),
            Float16 | Float32 | Float64 | Decimal128(_, _) => ColAccess::Float(
                arrow_cast::cast(a, &Float64)
                    .ok()?
                    .as_primitive::<Float64Type>()
                    .clone(),
            ),
            Date32 | Date64 | Timestamp(_, _) => ColAccess::Date(
                arrow_cast::cast(a, &Date32)
                    .ok()?
                    .as_primitive::<Date32Type>()
                    .clone(),
            ),
            _ => ColAccess::Text(TextCol::from_array(a)?),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text: borrowed from a column or constant, owned when a function made it.
    Str(Cow<'a, str>),
    Date(i32),
}

/// A filter bound to one batch's arrays.
pub struct BoundFilter<'a> {
    filter: &'a Filter,
    cols: Vec<ColAccess>,
}

/// The words read as booleans (any case, surrounding spaces ignored).
const TRUE_WORDS: [&str; 8] = ["true", "t", "1", "yes", "y", "ja", "j", "sant"];
const FALSE_WORDS: [&str; 7] = ["false", "f", "0", "no", "n", "nej", "falskt"];

fn parse_bool(s: &str) -> Option<bool> {
    let t = crate::text::trim(s);
    if TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// Text read as `numeric` reads it, when it is a whole number or a date: a number first
/// (a date's shape, `-` at bytes 4 and 7, is never one), else a date. `None` for anything
/// else (a decimal, a word), which the caller leaves to the row-by-row path and its errors.
fn text_int(s: &str) -> Option<(IntKind, i64)> {
    let t = crate::text::trim(s);
    let b = t.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        return parse_date(t).map(|d| (IntKind::Date, i64::from(d)));
    }
    match parse_num(t)? {
        Val::Int(v) => Some((IntKind::Int, v)),
        _ => None,
    }
}

fn parse_num(s: &str) -> Option<Val<'static>> {
    let t = crate::text::trim(s);
    if let Ok(v) = t.parse::<i64>() {
        return Some(Val::Int(v));
    }
    crate::text::parse_decimal(t).map(Val::Float)
}

/// SQL LIKE: `%` any run of characters, `_` one character. Greedy matching with
/// backtracking to the last `%`: O(len(s)·len(p)), never exponential.
fn like(s: &str, p: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = p.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while i < s.len() {
        if j < p.len() && p[j] != '%' && (p[j] == '_' || p[j] == s[i]) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

impl BoundFilter<'_> {
    /// Evaluate for one row: `Ok(true)` when the row passes, `Ok(false)` when the filter is
    /// FALSE or NULL, `Err(reason)` when a value cannot be read as the type it is compared with.
    pub fn matches(&self, row: usize) -> Result<bool, ValueError> {
        Ok(self.truth_of(&self.filter.expr, row).map_err(ValueError)? == Some(true))
    }

    /// The expression as written.
    pub fn filter_text(&self) -> &str {
        &self.filter.text
    }

    /// The expression's three-valued truth for one row: `Ok(None)` for NULL, `Err(reason)`
    /// when a value cannot be read as a condition (a share's expression).
    pub fn truth(&self, row: usize) -> Result<Option<bool>, ValueError> {
        self.truth_of(&self.filter.expr, row).map_err(ValueError)
    }

    /// The expression's value as a number for one row (a date counts as days since
    /// 1970-01-01, a boolean is refused): `Ok(None)` for NULL, `Err(reason)` when the value
    /// is not a number (a mean's or median's expression).
    pub fn number(&self, row: usize) -> Result<Option<f64>, ValueError> {
        match self.numeric(&self.filter.expr, row).map_err(ValueError)? {
            Val::Int(v) => Ok(Some(v as f64)),
            Val::Float(v) if v.is_finite() => Ok(Some(v)),
            Val::Float(v) => Err(ValueError(format!("{v} is not a finite number"))),
            Val::Date(d) => Ok(Some(d as f64)),
            Val::Null => Ok(None),
            other => Err(ValueError(format!("{} is not a number", kind(other)))),
        }
    }

    fn col(&self, i: usize, row: usize) -> Val<'_> {
        match &self.cols[i] {
            ColAccess::Bool(a) => {
                if a.is_null(row) {
                    Val::Null
                } else {
                    Val::Bool(a.value(row))
                }
            }
            ColAccess::Int(a) => {
                if a.is_null(row) {
                    Val::Null
                } else {
                    Val::Int(a.value(row))
                }
            }
            ColAccess::Float(a) => {
                if a.is_null(row) {
                    Val::Null
                } else {
                    Val::Float(a.value(row))
                }
            }
            ColAccess::Date(a) => {
                if a.is_null(row) {
                    Val::Null
                } else {
                    Val::Date(a.value(row))
                }
            }
            ColAccess::Text(t) => match t.get(row) {
                // An empty CSV field is NULL, as in DuckDB and Polars.
                None | Some("") => Val::Null,
                Some(s) => Val::Str(Cow::Borrowed(s)),
            },
        }
    }

    fn col_name(&self, e: &Expr) -> String {
        match e {
            Expr::Col(i) => format!("column {:?}", self.filter.columns[*i]),
            _ => "a value".to_string(),
        }
    }

    /// When text of column `e` that was to be read as a number or an ISO date is a date in
    /// another format: what to give to read the column's dates ("" otherwise).
    fn date_hint(&self, e: &Expr, s: &str) -> String {
        use crate::dates::DateFormat;
        let Expr::Col(i) = e else {
            return String::new();
        };
        [
            DateFormat::DayMonthSlash,
            DateFormat::MonthDaySlash,
            DateFormat::DayMonthDot,
            DateFormat::Compact,
        ]
        .into_iter()
        .find(|f| f.read(s).is_some())
        .map_or_else(String::new, |f| {
            format!(
                " (a date written {}: give --date-format {}={} to read the column's dates)",
                f.name(),
                self.filter.columns[*i],
                f.name()
            )
        })
    }

    /// An operand of arithmetic as the message shows it.
    fn operand(&self, e: &Expr, v: &Val) -> String {
        let what = match v {
            Val::Int(i) => format!("the number {i}"),
            Val::Float(x) => format!("the number {x}"),
            Val::Date(d) => {
                let (y, m, day) = civil_from_days(i64::from(*d));
                format!("the date {y:04}-{m:02}-{day:02}")
            }
            Val::Str(s) => format!("{s:?}"),
            Val::Bool(_) => "a boolean".to_string(),
            Val::Null => "NULL".to_string(),
        };
        match e {
            Expr::Col(_) => format!("{} is {what}", self.col_name(e)),
            _ => what,
        }
    }

    fn eval<'s>(&'s self, e: &'s Expr, row: usize) -> Result<Val<'s>, String> {
        Ok(match e {
            Expr::Col(i) => self.col(*i, row),
            Expr::Lit(l) => match l {
                Lit::Null => Val::Null,
                Lit::Bool(b) => Val::Bool(*b),
                Lit::Int(v) => Val::Int(*v),
                Lit::Float(v) => Val::Float(*v),
                Lit::Str(s) => Val::Str(Cow::Borrowed(s)),
                Lit::Date(d) => Val::Date(*d),
            },
            Expr::Neg(x) => match self.numeric(x, row)? {
                Val::Int(v) => Val::Int(v.checked_neg().ok_or("integer overflow")?),
                Val::Float(v) => Val::Float(-v),
                other => other,
            },
            Expr::Arith(op, l, r) => self.arith(*op, l, r, row)?,
            Expr::Func(f, args) => self.call(*f, args, row)?,
            Expr::Case(_, whens, otherwise) => {
                for (c, r) in whens {
                    if self.truth_of(c, row)? == Some(true) {
                        return self.eval(r, row);
                    }
                }
                match otherwise {
                    Some(x) => self.eval(x, row)?,
                    None => Val::Null,
                }
            }
            Expr::Cast(x, to, lenient) => {
                let v = self.eval(x, row)?;
                match cast(v, *to) {
                    Ok(v) => v,
                    Err(_) if *lenient => Val::Null,
                    Err(m) => return Err(format!("{}: {m}", self.col_name(x))),
                }
            }
            Expr::Cmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(..)
            | Expr::IsNull(..)
            | Expr::In(..)
            | Expr::Like(..) => match self.truth_of(e, row)? {
                None => Val::Null,
                Some(b) => Val::Bool(b),
            },
        })
    }

    fn numeric<'s>(&'s self, e: &'s Expr, row: usize) -> Result<Val<'s>, String> {
        match self.eval(e, row)? {
            // CSV columns are text: a number, or a date (date − date is days).
            Val::Str(s) => parse_num(&s)
                .or_else(|| parse_date(&s).map(Val::Date))
                .ok_or_else(|| {
                    format!(
                        "{}: {s:?} is not a number{}",
                        self.col_name(e),
                        self.date_hint(e, &s)
                    )
                }),
            v @ (Val::Int(_) | Val::Float(_) | Val::Null | Val::Date(_)) => Ok(v),
            Val::Bool(_) => Err(format!("{}: a boolean is not a number", self.col_name(e))),
        }
    }

    fn arith<'s>(
        &'s self,
        op: ArithOp,
        l: &'s Expr,
        r: &'s Expr,
        row: usize,
    ) -> Result<Val<'s>, String> {
        let a = self.numeric(l, row)?;
        let b = self.numeric(r, row)?;
        if matches!(a, Val::Null) || matches!(b, Val::Null) {
            return Ok(Val::Null);
        }
        if let (Val::Date(x), Val::Date(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            return match op {
                ArithOp::Sub => Ok(Val::Int(x as i64 - y as i64)),
                _ => Err("only subtraction is defined between two dates".to_string()),
            };
        }
        if let (Val::Date(x), Val::Int(d)) = (&a, &b) {
            let (x, d) = (*x, *d);
            let d = i32::try_from(d).map_err(|_| "date out of range")?;
            return match op {
                ArithOp::Add => Ok(Val::Date(x.checked_add(d).ok_or("date out of range")?)),
                ArithOp::Sub => Ok(Val::Date(x.checked_sub(d).ok_or("date out of range")?)),
                _ => Err("only + and − days are defined on a date".to_string()),
            };
        }
        if let (Val::Int(x), Val::Int(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            let v = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => {
                    if y == 0 {
                        return Ok(Val::Null);
                    }
                    return Ok(Val::Float(x as f64 / y as f64));
                }
                ArithOp::Rem => {
                    if y == 0 {
                        return Ok(Val::Null);
                    }
                    x.checked_rem(y)
                }
            };
            return v
                .map(Val::Int)
                .ok_or_else(|| "integer overflow".to_string());
        }
        let f = |v: Val| match v {
            Val::Int(i) => Some(i as f64),
            Val::Float(x) => Some(x),
            _ => None,
        };
        let (Some(x), Some(y)) = (f(a.clone()), f(b.clone())) else {
            // A number beside a date: eight digits may be a date written YYYYMMDD.
            let hint = [(l, &a), (r, &b)]
                .into_iter()
                .find_map(|(e, v)| match v {
                    Val::Int(i) => {
                        Some(self.date_hint(e, &i.to_string())).filter(|h| !h.is_empty())
                    }
                    _ => None,
                })
                .unwrap_or_default();
            return Err(format!(
                "arithmetic needs two numbers, two dates or a date and a number of days: {} and {}{hint}",
                self.operand(l, &a),
                self.operand(r, &b)
            ));
        };
        Ok(match op {
            ArithOp::Add => Val::Float(x + y),
            ArithOp::Sub => Val::Float(x - y),
            ArithOp::Mul => Val::Float(x * y),
            ArithOp::Div => {
                if y == 0.0 {
                    Val::Null
                } else {
                    Val::Float(x / y)
                }
            }
            ArithOp::Rem => {
                if y == 0.0 {
                    Val::Null
                } else {
                    Val::Float(x % y)
                }
            }
        })
    }

    /// A date argument: a date, or text parsed as one.
    fn date_arg(&self, e: &Expr, row: usize) -> Result<Option<i32>, String> {
        match self.eval(e, row)? {
            Val::Null => Ok(None),
            Val::Date(d) => Ok(Some(d)),
            Val::Str(s) => parse_date(&s).map(Some).ok_or_else(|| {
                format!(
                    "{}: {s:?} is not a date (YYYY-MM-DD){}",
                    self.col_name(e),
                    self.date_hint(e, &s)
                )
            }),
            other => Err(format!("{} is not a date", kind(other))),
        }
    }

    fn call<'s>(&'s self, f: Func, args: &'s [Expr], row: usize) -> Result<Val<'s>, String> {
        if f == Func::Coalesce {
            for a in args {
                let v = self.eval(a, row)?;
                if !matches!(v, Val::Null) {
                    return Ok(v);
                }
            }
            return Ok(Val::Null);
        }
        match f {
            Func::NullIf => {
                let a = self.eval(&args[0], row)?;
                let b = self.eval(&args[1], row)?;
                let (x, y) = self.coerce(a.clone(), b, &args[0], &args[1])?;
                return Ok(if self.compare(x, y)? == Some(Ordering::Equal) {
                    Val::Null
                } else {
                    a
                });
            }
            Func::Abs => {
                return Ok(match self.numeric(&args[0], row)? {
                    Val::Int(v) => Val::Int(v.checked_abs().ok_or("integer overflow")?),
                    Val::Float(v) => Val::Float(v.abs()),
                    Val::Null => Val::Null,
                    other => return Err(format!("ABS needs a number, got {}", kind(other))),
                })
            }
            Func::IsPersonnummer => {
                return Ok(match self.eval(&args[0], row)? {
                    Val::Null => Val::Null,
                    Val::Str(s) => Val::Bool(crate::personal::contains_personnummer(&s)),
                    Val::Int(v) => {
                        Val::Bool(crate::personal::contains_personnummer(&v.to_string()))
                    }
                    _ => Val::Bool(false),
                })
            }
            Func::Lower | Func::Upper | Func::Trim | Func::Length => {
                let s = match self.eval(&args[0], row)? {
                    Val::Null => return Ok(Val::Null),
                    Val::Str(s) => s,
                    other => {
                        return Err(format!(
                            "{f:?} needs text, got {} (CAST it AS TEXT first)",
                            kind(other)
                        ))
                    }
                };
                return Ok(match f {
                    Func::Lower => Val::Str(Cow::Owned(s.to_lowercase())),
                    Func::Upper => Val::Str(Cow::Owned(s.to_uppercase())),
                    Func::Trim => match s {
                        Cow::Borrowed(b) => Val::Str(Cow::Borrowed(b.trim())),
                        Cow::Owned(o) => Val::Str(Cow::Owned(o.trim().to_string())),
                    },
                    _ => Val::Int(s.chars().count() as i64),
                });
            }
            _ => {}
        }
        let Some(d) = self.date_arg(&args[0], row)? else {
            return Ok(Val::Null);
        };
        let (y, m, day) = civil_from_days(i64::from(d));
        Ok(match f {
            Func::Year => Val::Int(y),
            Func::Month => Val::Int(i64::from(m)),
            Func::Day => Val::Int(i64::from(day)),
            _ => {
                let n = match self.numeric(&args[1], row)? {
                    Val::Null => return Ok(Val::Null),
                    Val::Int(n) => n,
                    _ => return Err("ADD_MONTHS takes a whole number of months".to_string()),
                };
                Val::Date(add_months(d, n).ok_or("date out of range")?)
            }
        })
    }

    /// Bring two values to a comparable pair, parsing text as the other side's type.
    fn coerce<'s>(
        &self,
        a: Val<'s>,
        b: Val<'s>,
        le: &Expr,
        re: &Expr,
    ) -> Result<(Val<'s>, Val<'s>), String> {
        let conv = |s: &str, other: Val, e: &Expr| -> Result<Val<'static>, String> {
            match other {
                Val::Int(_) | Val::Float(_) => parse_num(s)
                    .ok_or_else(|| format!("{}: {s:?} is not a number", self.col_name(e))),
                Val::Date(_) => parse_date(s).map(Val::Date).ok_or_else(|| {
                    format!(
                        "{}: {s:?} is not a date (YYYY-MM-DD){}",
                        self.col_name(e),
                        self.date_hint(e, s)
                    )
                }),
                Val::Bool(_) => parse_bool(s)
                    .map(Val::Bool)
                    .ok_or_else(|| format!("{}: {s:?} is not a boolean", self.col_name(e))),
                _ => unreachable_text(),
            }
        };
        Ok(match (a, b) {
            (Val::Str(s), o @ (Val::Int(_) | Val::Float(_) | Val::Date(_) | Val::Bool(_))) => {
                (conv(&s, o.clone(), le)?, o)
            }
            (o @ (Val::Int(_) | Val::Float(_) | Val::Date(_) | Val::Bool(_)), Val::Str(s)) => {
                (o.clone(), conv(&s, o, re)?)
            }
            pair => pair,
        })
    }

    fn compare(&self, a: Val, b: Val) -> Result<Option<Ordering>, String> {
        Ok(match (a, b) {
            (Val::Null, _) | (_, Val::Null) => None,
            (Val::Int(x), Val::Int(y)) => Some(x.cmp(&y)),
            (Val::Int(x), Val::Float(y)) => (x as f64).partial_cmp(&y),
            (Val::Float(x), Val::Int(y)) => x.partial_cmp(&(y as f64)),
            (Val::Float(x), Val::Float(y)) => x.partial_cmp(&y),
            (Val::Str(x), Val::Str(y)) => Some(x.cmp(&y)),
            (Val::Date(x), Val::Date(y)) => Some(x.cmp(&y)),
            (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(&y)),
            (x, y) => return Err(format!("cannot compare {} with {}", kind(x), kind(y))),
        })
    }

    fn truth_of(&self, e: &Expr, row: usize) -> Result<Option<bool>, String> {
        match e {
            Expr::And(l, r) => {
                let a = self.truth_of(l, row)?;
                if a == Some(false) {
                    return Ok(Some(false));
                }
                let b = self.truth_of(r, row)?;
                Ok(match (a, b) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                })
            }
            Expr::Or(l, r) => {
                let a = self.truth_of(l, row)?;
                if a == Some(true) {
                    return Ok(Some(true));
                }
                let b = self.truth_of(r, row)?;
                Ok(match (a, b) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                })
            }
            Expr::Not(x) => Ok(self.truth_of(x, row)?.map(|b| !b)),
            Expr::IsNull(x, negated) => {
                let is_null = matches!(self.eval(x, row)?, Val::Null);
                Ok(Some(is_null != *negated))
            }
            Expr::Cmp(op, l, r) => {
                let (a, b) = self.coerce(self.eval(l, row)?, self.eval(r, row)?, l, r)?;
                let Some(ord) = self.compare(a, b)? else {
                    return Ok(None);
                };
                Ok(Some(match op {
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Ne => ord != Ordering::Equal,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Le => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Ge => ord != Ordering::Less,
                }))
            }
            Expr::In(x, list, negated) => {
                let v = self.eval(x, row)?;
                if matches!(v, Val::Null) {
                    return Ok(None);
                }
                let mut saw_null = false;
                for lit in list {
                    let l = match lit {
                        Lit::Null => {
                            saw_null = true;
                            continue;
                        }
                        Lit::Bool(b) => Val::Bool(*b),
                        Lit::Int(i) => Val::Int(*i),
                        Lit::Float(f) => Val::Float(*f),
                        Lit::Str(s) => Val::Str(Cow::Borrowed(s)),
                        Lit::Date(d) => Val::Date(*d),
                    };
                    let (a, b) = self.coerce(v.clone(), l, x, x)?;
                    if self.compare(a, b)? == Some(Ordering::Equal) {
                        return Ok(Some(!negated));
                    }
                }
                Ok(if saw_null { None } else { Some(*negated) })
            }
            Expr::Like(x, p, negated, ci) => match self.eval(x, row)? {
                Val::Null => Ok(None),
                Val::Str(s) if *ci => Ok(Some(like(&s.to_lowercase(), p) != *negated)),
                Val::Str(s) => Ok(Some(like(&s, p) != *negated)),
                other => Err(format!("LIKE needs text, got {}", kind(other))),
            },
            other => match self.eval(other, row)? {
                Val::Null => Ok(None),
                Val::Bool(b) => Ok(Some(b)),
                Val::Int(i) => Ok(Some(i != 0)),
                Val::Str(s) => parse_bool(&s)
                    .map(Some)
                    .ok_or_else(|| format!("{}: {s:?} is not a boolean", self.col_name(other))),
                v => Err(format!("{} is not a condition", kind(v))),
            },
        }
    }
}

/// What a whole number stands for in the column-at-a-time evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntKind {
    Int,
    Date,
}

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
        let at = |j: u32| rows[j as usize] as usize;
        match e {
            Expr::Col(c) => match &self.cols[*c] {
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
            },
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
            Expr::Func(Func::AddMonths, args) => {
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
            _ => None,
        }
    }

    /// The expression's value as a number for many rows: entry `j` of `out` for row
    /// `rows[j]` as in [`Self::number`]; a column, or the difference of two date columns, a
    /// column at a time, anything else row by row. The answers are kept compactly
    /// ([`Numbers`]: a value and a code per row, the reasons apart) rather than as one
    /// `Result` per row, which cost a pass to build and another to drop.
    pub fn number_rows(&self, rows: &[u32], out: &mut Numbers) {
        out.clear();
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

/// CAST semantics (DuckDB's and PostgreSQL's): text is parsed (a failure is an error the
/// caller turns into a row error, or NULL for TRY_CAST), a float cast to an integer rounds
/// half away from zero, a date cast to text is `YYYY-MM-DD`.
fn cast(v: Val<'_>, to: CastTo) -> Result<Val<'_>, String> {
    let fail = |v: &Val, what: &str| match v {
        Val::Str(s) => format!("{s:?} is not {what}"),
        other => format!("{} cannot be cast to {what}", kind(other.clone())),
    };
    Ok(match (to, v) {
        (_, Val::Null) => Val::Null,
        (CastTo::Int, Val::Int(i)) => Val::Int(i),
        (CastTo::Int, Val::Float(f)) => {
            let r = f.round();
            if r.is_finite() && r.abs() < 9.2e18 {
                Val::Int(r as i64)
            } else {
                return Err(format!("{f} is out of range for an integer"));
            }
        }
        (CastTo::Int, Val::Bool(b)) => Val::Int(i64::from(b)),
        (CastTo::Int, Val::Str(s)) => match parse_num(&s) {
            Some(Val::Int(i)) => Val::Int(i),
            Some(Val::Float(f)) => return cast(Val::Float(f), CastTo::Int),
            _ => return Err(fail(&Val::Str(s), "an integer")),
        },
        (CastTo::Float, Val::Int(i)) => Val::Float(i as f64),
        (CastTo::Float, Val::Float(f)) => Val::Float(f),
        (CastTo::Float, Val::Str(s)) => match parse_num(&s) {
            Some(Val::Int(i)) => Val::Float(i as f64),
            Some(Val::Float(f)) => Val::Float(f),
            _ => return Err(fail(&Val::Str(s), "a number")),
        },
        (CastTo::Date, Val::Date(d)) => Val::Date(d),
        (CastTo::Date, Val::Str(s)) => match parse_date(&s) {
            Some(d) => Val::Date(d),
            None => return Err(fail(&Val::Str(s), "a date (YYYY-MM-DD)")),
        },
        (CastTo::Text, Val::Str(s)) => Val::Str(s),
        (CastTo::Text, Val::Int(i)) => Val::Str(Cow::Owned(i.to_string())),
        (CastTo::Text, Val::Float(f)) => Val::Str(Cow::Owned(f.to_string())),
        (CastTo::Text, Val::Bool(b)) => Val::Str(Cow::Borrowed(if b { "true" } else { "false" })),
        (CastTo::Text, Val::Date(d)) => {
            let (y, m, day) = civil_from_days(i64::from(d));
            Val::Str(Cow::Owned(format!("{y:04}-{m:02}-{day:02}")))
        }
        (CastTo::Bool, Val::Bool(b)) => Val::Bool(b),
        (CastTo::Bool, Val::Int(i)) => Val::Bool(i != 0),
        (CastTo::Bool, Val::Str(s)) => match parse_bool(&s) {
            Some(b) => Val::Bool(b),
            None => return Err(fail(&Val::Str(s), "a boolean")),
        },
        (to, v) => {
            let what = match to {
                CastTo::Int => "an integer",
                CastTo::Float => "a number",
                CastTo::Date => "a date",
                CastTo::Text => "text",
                CastTo::Bool => "a boolean",
            };
            return Err(fail(&v, what));
        }
    })
}

fn unreachable_text() -> Result<Val<'static>, String> {
    Err("internal: no conversion".to_string())
}

fn kind(v: Val<'_>) -> &'static str {
    match v {
        Val::Null => "NULL",
        Val::Bool(_) => "a boolean",
        Val::Int(_) | Val::Float(_) => "a number",
        Val::Str(_) => "text",
        Val::Date(_) => "a date",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Date32Array, Int64Array, StringArray};
    use std::sync::Arc;

    fn run(expr: &str, arrays: Vec<ArrayRef>) -> Vec<Result<bool, String>> {
        let f = Filter::parse(expr).unwrap();
        let len = arrays[0].len();
        let b = f.bind(&arrays).unwrap();
        (0..len).map(|r| b.matches(r).map_err(|e| e.0)).collect()
    }

    #[test]
    fn parses_and_names_columns() {
        let f = Filter::parse("area = 'aldre' AND (pages > 10 OR \"kön\" IS NOT NULL)").unwrap();
        assert_eq!(f.columns(), &["area", "pages", "kön"]);
        for bad in [
            "area =",
            "area = 'x",
            "(a = 1",
            "a = 1 b",
            "",
            "NOT",
            "a IN ()",
            "a @ 1",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
        let e = Filter::parse("area = ").unwrap_err().to_string();
        assert!(e.contains("--where"), "{e}");
    }

    #[test]
    fn evaluates_text_columns_like_sql() {
        let area: ArrayRef = Arc::new(StringArray::from(vec![
            Some("aldre"),
            Some("missbruk"),
            None,
            Some(""),
        ]));
        let r = run("area = 'aldre'", vec![area.clone()]);
        assert_eq!(r, vec![Ok(true), Ok(false), Ok(false), Ok(false)]);
        let r = run("area IN ('aldre', 'missbruk')", vec![area.clone()]);
        assert_eq!(r, vec![Ok(true), Ok(true), Ok(false), Ok(false)]);
        let r = run("area IS NULL", vec![area.clone()]);
        assert_eq!(r, vec![Ok(false), Ok(false), Ok(true), Ok(true)]);
        assert!(
            like("aldre", "a%e")
                && like("aldre", "_ldr_")
                && like("", "%")
                && !like("aldre", "a%x")
        );
        assert!(!like(
            &"a".repeat(5000),
            &"%a".repeat(40).replace("a%a", "a%b")
        ));
        let r = run("NOT area LIKE 'a%'", vec![area]);
        assert_eq!(r, vec![Ok(false), Ok(true), Ok(false), Ok(false)]);
        let pages: ArrayRef = Arc::new(StringArray::from(vec!["12", "7", "x"]));
        let r = run("pages * 2 >= 20", vec![pages]);
        assert_eq!(r[0], Ok(true));
        assert_eq!(r[1], Ok(false));
        assert!(r[2].as_ref().unwrap_err().contains("not a number"));
    }

    #[test]
    fn typed_columns_dates_and_booleans() {
        let opened: ArrayRef = Arc::new(Date32Array::from(vec![Some(19_000), Some(19_000), None]));
        let decided: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(19_100),
            Some(19_200),
            Some(19_300),
        ]));
        let r = run("decided - opened <= 120", vec![decided, opened]);
        assert_eq!(r, vec![Ok(true), Ok(false), Ok(false)]);
        let d: ArrayRef = Arc::new(Date32Array::from(vec![parse_date("2024-03-01").unwrap()]));
        assert_eq!(
            run("d >= DATE '2024-02-29'", vec![d.clone()]),
            vec![Ok(true)]
        );
        assert_eq!(run("d = '2024-03-01'", vec![d]), vec![Ok(true)]);
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
        assert_eq!(
            run("heard", vec![b.clone()]),
            vec![Ok(true), Ok(false), Ok(false)]
        );
        assert_eq!(
            run("heard OR TRUE", vec![b]),
            vec![Ok(true), Ok(true), Ok(true)]
        );
        let n: ArrayRef = Arc::new(Int64Array::from(vec![5, 10]));
        assert_eq!(
            run("n BETWEEN 1 AND 5", vec![n.clone()]),
            vec![Ok(true), Ok(false)]
        );
        assert_eq!(run("n / 0 IS NULL", vec![n]), vec![Ok(true), Ok(true)]);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("1970-01-01"), Some(0));
    }

    fn date(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    fn tri(r: Result<Option<bool>, String>) -> u8 {
        match r {
            Ok(Some(true)) => T_TRUE,
            Ok(Some(false)) => T_FALSE,
            Ok(None) => T_NULL,
            Err(_) => T_ERROR,
        }
    }

    #[test]
    fn column_at_a_time_equals_row_at_a_time() {
        use arrow_array::types::Int32Type;
        use arrow_array::DictionaryArray;
        let area: ArrayRef = Arc::new(
            vec![
                Some("aldre"),
                Some("barn_unga"),
                None,
                Some(""),
                Some("barn_unga"),
                Some("x"),
            ]
            .into_iter()
            .collect::<DictionaryArray<Int32Type>>(),
        );
        let plain: ArrayRef = Arc::new(StringArray::from(vec![
            Some("aldre"),
            Some("barn_unga"),
            None,
            Some(""),
            Some("12"),
            Some("x"),
        ]));
        let d1: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(5),
            None,
            Some(7),
            Some(1),
            Some(9),
            Some(3),
        ]));
        let d2: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(4),
            Some(2),
            Some(7),
            None,
            Some(10),
            Some(3),
        ]));
        let n: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(1),
            Some(20),
            None,
            Some(3),
            Some(14),
            Some(-2),
        ]));
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
            None,
            Some(false),
        ]));
        let names = ["area", "plain", "d1", "d2", "n", "b"];
        let arrays = [area, plain, d1, d2, n, b];
        let exprs = [
            "area = 'barn_unga'",
            "'barn_unga' <> area",
            "area < 'b' OR plain = 'x'",
            "plain > 'a' AND n >= 3",
            "plain * 1 > 5",
            "NOT (d1 <= d2) OR b",
            "d2 > d1 AND b = TRUE",
            "n < 2.5 OR d1 IS NULL OR d2 IS NOT NULL",
            "b AND plain * 2 > 1",
            "area IS NULL AND NOT b",
            "d1 = DATE '1970-01-06'",
            "(n > 10 OR plain = 'aldre') AND NOT area = 'aldre'",
            "d1 <= ADD_MONTHS(d2, 4)",
            "d2 > ADD_MONTHS(d1, -3) OR n > 5",
            "d1 - d2 <= 1",
            "d1 + n >= d2",
            "d1 - 2 = d2",
            "n - 1 > 2",
            "d1 <= ADD_MONTHS(d2, n)",
            "d1 <= ADD_MONTHS(d2, -3) AND -n < 2",
            "ADD_MONTHS(plain, 1) > d1",
        ];
        let rows: Vec<u32> = vec![0, 1, 2, 3, 4, 5, 4, 0];
        // An expression's columns, by name.
        let columns_of = |f: &Filter| -> Vec<ArrayRef> {
            f.columns()
                .iter()
                .map(|c| arrays[names.iter().position(|n| n == c).unwrap()].clone())
                .collect()
        };
        for text in exprs {
            let f = Filter::parse(text).unwrap();
            let cols = columns_of(&f);
            let b = f.bind(&cols).unwrap();
            let (mut out, mut errs) = (Vec::new(), Vec::new());
            b.truth_rows(&rows, &mut out, &mut errs);
            let want: Vec<u8> = rows
                .iter()
                .map(|&r| tri(b.truth(r as usize).map_err(|e| e.0)))
                .collect();
            assert_eq!(out, want, "{text}");
            let want_errs: Vec<usize> = want
                .iter()
                .enumerate()
                .filter(|x| *x.1 == T_ERROR)
                .map(|x| x.0)
                .collect();
            assert_eq!(
                errs.iter().map(|e| e.0).collect::<Vec<_>>(),
                want_errs,
                "{text}"
            );
        }
        for text in [
            "d1 - d2",
            "n",
            "d1",
            "ADD_MONTHS(d1, 1) - d2",
            "n * 2",
            "plain",
            "n + 9223372036854775807",
        ] {
            let f = Filter::parse(text).unwrap();
            let cols = columns_of(&f);
            let b = f.bind(&cols).unwrap();
            let mut out = Numbers::default();
            b.number_rows(&rows, &mut out);
            let want: Vec<_> = rows.iter().map(|&r| b.number(r as usize)).collect();
            assert_eq!(out.to_vec(), want, "{text}");
        }
    }

    /// The digit fast path of `parse_date` answers as `str::parse` of the three parts does.
    #[test]
    fn parse_date_equals_parsing_its_parts() {
        let reference = |s: &str| -> Option<i32> {
            let s = s.trim();
            let b = s.as_bytes();
            if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
                return None;
            }
            let y: i64 = s[0..4].parse().ok()?;
            let m: i64 = s[5..7].parse().ok()?;
            let d: i64 = s[8..10].parse().ok()?;
            if !(1..=12).contains(&m) || d < 1 {
                return None;
            }
            let probe = days_from_civil(y, m, 1);
            let next = if m == 12 {
                days_from_civil(y + 1, 1, 1)
            } else {
                days_from_civil(y, m + 1, 1)
            };
            (d <= next - probe).then(|| i32::try_from(probe + d - 1).ok())?
        };
        let mut n = 0;
        for y in [
            "2024", "2023", "1900", "2000", "0000", "+024", "-024", "20x4", " 202",
        ] {
            for m in ["01", "02", "12", "13", "00", "+1", "-1", "1 ", "x1"] {
                for d in ["01", "28", "29", "30", "31", "32", "00", "+9", "-1", "9x"] {
                    for pad in ["", " ", "\t"] {
                        let s = format!("{pad}{y}-{m}-{d}{pad}");
                        assert_eq!(parse_date(&s), reference(&s), "{s:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 2000);
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("2023-02-29"), None);
    }

    /// The unsigned day count of four-digit years equals Hinnant's signed one on every
    /// day of 0000-01-01..=9999-12-31, and consecutive days are one apart.
    #[test]
    fn four_digit_day_count_equals_the_signed_one() {
        let mut last = None;
        for y in 0..=9999u32 {
            for m in 1..=12u32 {
                for d in 1..=days_in_month(i64::from(y), i64::from(m)) as u32 {
                    let got = days_from_civil_4digit(y, m, d);
                    let want = days_from_civil(i64::from(y), i64::from(m), i64::from(d));
                    assert_eq!(i64::from(got), want, "{y:04}-{m:02}-{d:02}");
                    if let Some(prev) = last {
                        assert_eq!(got, prev + 1, "{y:04}-{m:02}-{d:02}");
                    }
                    last = Some(got);
                }
            }
        }
        assert_eq!(last, Some(2_932_896));
    }

    #[test]
    fn add_months_clamps_to_the_end_of_the_month_like_postgres() {
        // PostgreSQL: SELECT DATE '2024-01-31' + INTERVAL '1 month' = 2024-02-29, etc.
        assert_eq!(add_months(date("2024-01-31"), 1), Some(date("2024-02-29")));
        assert_eq!(add_months(date("2023-01-31"), 1), Some(date("2023-02-28")));
        assert_eq!(add_months(date("2024-10-31"), 4), Some(date("2025-02-28")));
        assert_eq!(add_months(date("2024-03-15"), -3), Some(date("2023-12-15")));
        assert_eq!(add_months(date("2024-05-31"), -3), Some(date("2024-02-29")));
        assert_eq!(add_months(date("2024-05-20"), 0), Some(date("2024-05-20")));
        assert_eq!(add_months(0, i64::MAX), None);
        for d in [-800_000, -1, 0, 59, 19_723, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(
                parse_date(&format!("{y:04}-{m:02}-{dd:02}")).unwrap_or(d as i32),
                d as i32
            );
        }
    }

    #[test]
    fn functions_and_values() {
        let opened: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(date("2024-10-31")),
            Some(date("2024-10-31")),
            None,
        ]));
        let decided: ArrayRef = Arc::new(StringArray::from(vec![
            Some("2025-02-28"),
            Some("2025-03-01"),
            Some("2025-01-01"),
        ]));
        let r = run(
            "decided <= add_months(opened, 4)",
            vec![decided.clone(), opened.clone()],
        );
        assert_eq!(r, vec![Ok(true), Ok(false), Ok(false)]);
        // Text dates (CSV) subtract like dates.
        let f = Filter::parse("decided - '2025-02-20'").unwrap();
        let b = f.bind(std::slice::from_ref(&decided)).unwrap();
        assert_eq!(b.number(0), Ok(Some(8.0)));
        let f = Filter::parse("decided - opened").unwrap();
        let arr = vec![
            Arc::new(Date32Array::from(vec![Some(10), None])) as ArrayRef,
            Arc::new(Date32Array::from(vec![Some(3), Some(1)])) as ArrayRef,
        ];
        let b = f.bind(&arr).unwrap();
        assert_eq!(b.number(0), Ok(Some(7.0)));
        assert_eq!(b.number(1), Ok(None));
        let f = Filter::parse("YEAR(opened) * 100 + MONTH(opened) + DAY(opened)").unwrap();
        let b = f.bind(std::slice::from_ref(&opened)).unwrap();
        assert_eq!(b.number(0), Ok(Some(202_410.0 + 31.0)));
        assert_eq!(b.truth(2), Ok(None));
        let f = Filter::parse("coalesce(x, FALSE)").unwrap();
        let x: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None]));
        let b = f.bind(&[x]).unwrap();
        assert_eq!((b.truth(0), b.truth(1)), (Ok(Some(true)), Ok(Some(false))));
        for bad in [
            "nofunc(a)",
            "year(a, b)",
            "add_months(a)",
            "year(",
            "coalesce()",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
        let f = Filter::parse("'x'").unwrap();
        assert!(f.bind(&[]).unwrap().number(0).is_err());
    }
}
#[cfg(test)]
mod sql_dialect {
    //! The SQL the expressions accept since they are parsed by sqlparser: each construct
    //! against its value, row by row and a column at a time.
    use super::*;
    use arrow_array::{Date32Array, Int64Array, StringArray};
    use std::sync::Arc;

    fn day(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    /// The values of `expr` over one text column `x` and one date column `d` (row by row),
    /// as numbers (`number`) or truths (`truth`), checked equal to the column-at-a-time answers.
    fn eval(
        expr: &str,
        x: &[Option<&str>],
        d: &[Option<&str>],
    ) -> Vec<Result<Option<f64>, String>> {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let xs: ArrayRef = Arc::new(StringArray::from(x.to_vec()));
        let ds: ArrayRef = Arc::new(Date32Array::from(
            d.iter().map(|v| v.map(day)).collect::<Vec<_>>(),
        ));
        let arrays: Vec<ArrayRef> = f
            .columns()
            .iter()
            .map(|c| if c == "d" { ds.clone() } else { xs.clone() })
            .collect();
        let b = f.bind(&arrays).unwrap();
        let rows: Vec<u32> = (0..x.len() as u32).collect();
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        b.truth_rows(&rows, &mut out, &mut errs);
        let mut nums = Numbers::default();
        b.number_rows(&rows, &mut nums);
        let nums = nums.to_vec();
        (0..x.len())
            .map(|r| {
                let row = b.number(r);
                assert_eq!(row, nums[r], "{expr} row {r}: number_rows differs");
                if let Ok(t) = b.truth(r) {
                    let code = match t {
                        Some(true) => T_TRUE,
                        Some(false) => T_FALSE,
                        None => T_NULL,
                    };
                    assert_eq!(out[r], code, "{expr} row {r}: truth_rows differs");
                }
                row.map_err(|e| e.0)
            })
            .collect()
    }

    fn truths(expr: &str, x: &[Option<&str>]) -> Vec<Result<Option<bool>, String>> {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let xs: ArrayRef = Arc::new(StringArray::from(x.to_vec()));
        let arrays = vec![xs; f.columns().len()];
        let b = f.bind(&arrays).unwrap();
        (0..x.len()).map(|r| b.truth(r).map_err(|e| e.0)).collect()
    }

    #[test]
    fn quoted_and_swedish_identifiers() {
        let f = Filter::parse("\"verksamhetsområde\" = 'äldre' AND kommunkod <> '0180'").unwrap();
        assert_eq!(f.columns(), &["verksamhetsområde", "kommunkod"]);
        let f = Filter::parse("verksamhetsområde = 'barn och unga'").unwrap();
        assert_eq!(f.columns(), &["verksamhetsområde"]);
        // A quoted name may hold spaces, a dot or a keyword.
        let f = Filter::parse("\"beslut.datum\" IS NULL OR \"not\" = 'x'").unwrap();
        assert_eq!(f.columns(), &["beslut.datum", "not"]);
    }

    #[test]
    fn case_cast_and_functions() {
        let x = [Some("12"), Some("12,5"), Some("abc"), None, Some(" Äldre ")];
        let d = [None; 5];
        let r = eval("CAST(x AS INTEGER)", &x[..2], &d[..2]);
        assert_eq!(r, vec![Ok(Some(12.0)), Ok(Some(13.0))]);
        let r = eval("CAST(x AS INTEGER)", &x[2..3], &d[..1]);
        assert!(
            r[0].as_ref()
                .unwrap_err()
                .contains("\"abc\" is not an integer"),
            "{r:?}"
        );
        assert_eq!(
            eval("TRY_CAST(x AS INTEGER)", &x[2..4], &d[..2]),
            vec![Ok(None), Ok(None)]
        );
        assert_eq!(
            eval(
                "CASE WHEN x = 'abc' THEN 1 WHEN x IS NULL THEN 2 ELSE 0 END",
                &x,
                &d
            ),
            vec![
                Ok(Some(0.0)),
                Ok(Some(0.0)),
                Ok(Some(1.0)),
                Ok(Some(2.0)),
                Ok(Some(0.0))
            ]
        );
        assert_eq!(
            eval("CASE x WHEN 'abc' THEN 10 END", &x[2..4], &d[..2]),
            vec![Ok(Some(10.0)), Ok(None)]
        );
        assert_eq!(
            truths(
                "LOWER(TRIM(x)) = 'äldre' AND UPPER(x) LIKE '%ÄLD%'",
                &x[4..]
            ),
            vec![Ok(Some(true))]
        );
        assert_eq!(truths("x ILIKE '%äLDRE%'", &x[4..]), vec![Ok(Some(true))]);
        assert_eq!(truths("x LIKE '%äLDRE%'", &x[4..]), vec![Ok(Some(false))]);
        assert_eq!(
            eval("LENGTH(TRIM(x))", &x[4..], &d[..1]),
            vec![Ok(Some(5.0))]
        );
        assert_eq!(
            eval("ABS(CAST(x AS INTEGER) - 20)", &x[..1], &d[..1]),
            vec![Ok(Some(8.0))]
        );
        assert_eq!(
            eval("COALESCE(NULLIF(x, 'abc'), '7')", &x[2..4], &d[..2]),
            vec![Ok(Some(7.0)), Ok(Some(7.0))]
        );
        assert_eq!(
            truths(
                "x BETWEEN 10 AND 12 AND x IN (12, 13) AND NOT x NOT IN (12)",
                &x[..1]
            ),
            vec![Ok(Some(true))]
        );
        assert_eq!(
            truths("x IS NOT NULL IS TRUE", &x[3..4]),
            vec![Ok(Some(false))]
        );
        assert_eq!(
            truths("(x = 'abc') IS NOT FALSE", &x[2..4]),
            vec![Ok(Some(true)), Ok(Some(true))]
        );
    }

    #[test]
    fn dates_extract_and_intervals() {
        let d = [
            Some("2024-01-31"),
            Some("2023-10-31"),
            None,
            Some("2024-02-29"),
        ];
        let x = [None; 4];
        let n = |s: &str| Ok(Some(f64::from(day(s))));
        assert_eq!(
            eval("d + INTERVAL '1 month'", &x, &d),
            vec![n("2024-02-29"), n("2023-11-30"), Ok(None), n("2024-03-29")]
        );
        assert_eq!(
            eval("d + INTERVAL '4 months'", &x[..2], &d[..2]),
            vec![n("2024-05-31"), n("2024-02-29")]
        );
        assert_eq!(
            eval("d - INTERVAL 1 YEAR", &x[3..], &d[3..]),
            vec![n("2023-02-28")]
        );
        assert_eq!(
            eval("d + INTERVAL '1 month 2 weeks'", &x[..1], &d[..1]),
            vec![n("2024-03-14")]
        );
        assert_eq!(
            eval(
                "EXTRACT(YEAR FROM d) * 100 + EXTRACT(MONTH FROM d)",
                &x[..2],
                &d[..2]
            ),
            vec![Ok(Some(202_401.0)), Ok(Some(202_310.0))]
        );
        assert_eq!(
            eval("CAST('2024-03-01' AS DATE) - d", &x[3..], &d[3..]),
            vec![Ok(Some(1.0))]
        );
        let f = Filter::parse("d BETWEEN DATE '2024-01-01' AND DATE '2024-02-29'").unwrap();
        let ds: ArrayRef = Arc::new(Date32Array::from(
            d.iter().map(|v| v.map(day)).collect::<Vec<_>>(),
        ));
        let b = f.bind(std::slice::from_ref(&ds)).unwrap();
        let got: Vec<_> = (0..4).map(|r| b.truth(r)).collect();
        assert_eq!(
            got,
            vec![Ok(Some(true)), Ok(Some(false)), Ok(None), Ok(Some(true))]
        );
        // The interval form is ADD_MONTHS exactly, for every day of four years and ±24 months.
        let dates: Vec<i32> = (day("2023-01-01")..day("2027-01-01")).step_by(3).collect();
        let a: ArrayRef = Arc::new(Date32Array::from(dates.clone()));
        for m in [-24i64, -13, -1, 1, 4, 11, 24] {
            let f = Filter::parse(&format!("d + INTERVAL '{m} months'")).unwrap();
            let b = f.bind(std::slice::from_ref(&a)).unwrap();
            for (r, &v) in dates.iter().enumerate() {
                let want = add_months(v, m).map(f64::from);
                assert_eq!(b.number(r), Ok(want), "{v} + {m} months");
            }
        }
        let i: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let f = Filter::parse("d + INTERVAL '1 month' > d").unwrap();
        assert!(f.bind(&[i]).unwrap().truth(0).is_err());
    }

    #[test]
    fn unsupported_sql_is_named_with_its_position() {
        for (text, want) in [
            ("nofunc(a) = 1", "unknown function nofunc at position 1"),
            ("a || b = 'x'", "the operator ||"),
            ("a = (SELECT 1)", "not supported"),
            ("t.a = 1", "qualified name at position 1"),
            ("a = 1 b", "unexpected b at position 7"),
            ("a @ 1", "position 3"),
            ("area = 'x", "position 8"),
            ("a IN (b)", "IN takes a list of constants at position 7"),
            ("a + INTERVAL '3 hours' > a", "INTERVAL"),
            ("CAST(a AS BLOB) = 1", "CAST to BLOB"),
            ("NOT", "unexpected NOT"),
            ("-- just a comment", "empty expression"),
        ] {
            let e = Filter::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {want:?} not in {e}");
        }
    }
}

#[cfg(test)]
mod any_text {
    //! Any text made of SQL's pieces parses or is refused with a message; what parses
    //! evaluates on text, number and date columns without a panic, row by row and a column
    //! at a time alike.
    use super::*;
    use arrow_array::{Date32Array, Int64Array, StringArray};
    use proptest::prelude::*;
    use std::sync::Arc;

    const PIECES: &[&str] = &[
        "a",
        "b",
        "\"c d\"",
        "1",
        "-2",
        "0.5",
        "'x'",
        "'2024-01-31'",
        "NULL",
        "TRUE",
        "(",
        ")",
        ",",
        "=",
        "<>",
        "<",
        "<=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "AND",
        "OR",
        "NOT",
        "IS",
        "IN",
        "BETWEEN",
        "LIKE",
        "ILIKE",
        "'%x_'",
        "CASE",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "CAST",
        "AS",
        "INTEGER",
        "DATE",
        "TEXT",
        "TRY_CAST",
        "EXTRACT",
        "YEAR",
        "FROM",
        "INTERVAL",
        "'4 months'",
        "'1 day'",
        "ADD_MONTHS",
        "COALESCE",
        "NULLIF",
        "ABS",
        "LOWER",
        "TRIM",
        "LENGTH",
        "DATE '2024-02-29'",
        "::",
        "||",
        "--",
        "9223372036854775807",
    ];

    const LEAVES: &[&str] = &[
        "a",
        "b",
        "\"c d\"",
        "1",
        "-2",
        "0.5",
        "'x'",
        "'12'",
        "'2024-01-31'",
        "NULL",
        "TRUE",
        "DATE '2024-02-29'",
        "9223372036854775807",
    ];
    const FORMS: &[&str] = &[
        "({} = {})",
        "({} < {})",
        "({} >= {})",
        "({} + {})",
        "({} - {})",
        "({} * {})",
        "({} / {})",
        "({} % {})",
        "({} AND {})",
        "({} OR {})",
        "(NOT {})",
        "({} IS NULL)",
        "({} IN (1, 'x', NULL))",
        "({} BETWEEN {} AND {})",
        "({} LIKE '%x_')",
        "({} ILIKE 'X%')",
        "CASE WHEN {} THEN {} ELSE {} END",
        "CASE {} WHEN 1 THEN {} END",
        "CAST({} AS INTEGER)",
        "TRY_CAST({} AS DATE)",
        "CAST({} AS TEXT)",
        "CAST({} AS BOOLEAN)",
        "EXTRACT(YEAR FROM {})",
        "({} + INTERVAL '4 months')",
        "({} - INTERVAL 2 WEEK)",
        "ADD_MONTHS({}, {})",
        "COALESCE({}, {})",
        "NULLIF({}, {})",
        "ABS({})",
        "LOWER({})",
        "TRIM({})",
        "LENGTH({})",
        "({} IS TRUE)",
        "YEAR({})",
    ];

    /// Well-formed expressions of the supported SQL, nested up to eight deep.
    fn expression() -> impl Strategy<Value = String> {
        let leaf = (0..LEAVES.len()).prop_map(|i| LEAVES[i].to_string());
        leaf.prop_recursive(8, 64, 3, |inner| {
            (0..FORMS.len(), proptest::collection::vec(inner, 3)).prop_map(|(f, kids)| {
                let mut out = String::new();
                let mut k = kids.into_iter();
                for (i, part) in FORMS[f].split("{}").enumerate() {
                    if i > 0 {
                        out.push_str(&k.next().unwrap_or_default());
                    }
                    out.push_str(part);
                }
                out
            })
        })
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let Ok(f) = Filter::parse(text) else {
            return Ok(());
        };
        let arrays: Vec<ArrayRef> = f
            .columns()
            .iter()
            .enumerate()
            .map(|(i, _)| -> ArrayRef {
                match i % 3 {
                    0 => Arc::new(StringArray::from(vec![
                        Some("12"),
                        None,
                        Some("x"),
                        Some("2024-01-31"),
                    ])),
                    1 => Arc::new(Int64Array::from(vec![
                        Some(1),
                        Some(i64::MAX),
                        None,
                        Some(-3),
                    ])),
                    _ => Arc::new(Date32Array::from(vec![
                        Some(19_000),
                        None,
                        Some(-1),
                        Some(2_932_000),
                    ])),
                }
            })
            .collect();
        let b = f.bind(&arrays).unwrap();
        let rows: Vec<u32> = (0..4).collect();
        let (mut out, mut errs, mut nums) = (Vec::new(), Vec::new(), Numbers::default());
        b.truth_rows(&rows, &mut out, &mut errs);
        b.number_rows(&rows, &mut nums);
        for (r, n) in nums.to_vec().iter().enumerate() {
            let _ = b.matches(r);
            prop_assert_eq!(&b.number(r), n, "{}", text);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn any_pieces_never_panic(picks in proptest::collection::vec(0usize..PIECES.len(), 1..24)) {
            let text: Vec<&str> = picks.iter().map(|&i| PIECES[i]).collect();
            check(&text.join(" "))?;
        }

        #[test]
        fn any_expression_parses_and_never_panics(text in expression()) {
            prop_assert!(Filter::parse(&text).is_ok(), "{}", text);
            check(&text)?;
        }
    }
}

#[cfg(test)]
mod fast_paths {
    use super::*;
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
    use arrow_array::types::Int32Type;
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
