//! The evaluator's values ([`Val`]) and text read as they are compared: as booleans,
//! numbers and dates, matched by LIKE, and cast. Value functions only: no tree walk and no
//! column access.

use super::calendar::{civil_from_days, parse_date};
use super::tree::CastTo;
pub(crate) use crate::text::parse_bool;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text: borrowed from a column or constant, owned when a function made it.
    Str(Cow<'a, str>),
    Date(i32),
}

/// Text read as `numeric` reads it, when it is a whole number or a date: a number first
/// (a date's shape, `-` at bytes 4 and 7, is never one), else a date. `None` for anything
/// else (a decimal, a word), which the caller leaves to the row-by-row path and its errors.
pub(crate) fn text_int(s: &str) -> Option<(IntKind, i64)> {
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

pub(crate) fn parse_num(s: &str) -> Option<Val<'static>> {
    let t = crate::text::trim(s);
    if let Ok(v) = t.parse::<i64>() {
        return Some(Val::Int(v));
    }
    crate::text::parse_decimal(t).map(Val::Float)
}

/// SQL LIKE: `%` any run of characters, `_` one character. Greedy matching with
/// backtracking to the last `%`: O(len(s)·len(p)), never exponential.
pub(crate) fn like(s: &str, p: &str) -> bool {
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

/// What a whole number stands for in the column-at-a-time evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntKind {
    Int,
    Date,
}

/// CAST semantics (DuckDB's and PostgreSQL's): text is parsed (a failure is an error the
/// caller turns into a row error, or NULL for TRY_CAST), a float cast to an integer rounds
/// half away from zero, a date cast to text is `YYYY-MM-DD`.
pub(crate) fn cast(v: Val<'_>, to: CastTo) -> Result<Val<'_>, String> {
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

pub(crate) fn unreachable_text() -> Result<Val<'static>, String> {
    Err("internal: no conversion".to_string())
}

pub(crate) fn kind(v: Val<'_>) -> &'static str {
    match v {
        Val::Null => "NULL",
        Val::Bool(_) => "a boolean",
        Val::Int(_) | Val::Float(_) => "a number",
        Val::Str(_) => "text",
        Val::Date(_) => "a date",
    }
}
