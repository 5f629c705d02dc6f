//! Evaluation row by row: a bound filter's truth, number or value for one row, with SQL's
//! NULL semantics and a reason for every value that cannot be read. The column-at-a-time
//! evaluator ([`super::column`]) falls back to it; it does not use that one.

use super::bind::{BoundFilter, ColAccess, ValueError};
use super::calendar::{add_months, civil_from_days, parse_date};
use super::tree::{ArithOp, CmpOp, Expr, Func, Lit};
use super::value::{cast, kind, like, parse_bool, parse_num, unreachable_text, Val};
use arrow_array::Array;
use std::borrow::Cow;
use std::cmp::Ordering;

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

    pub(crate) fn col(&self, i: usize, row: usize) -> Val<'_> {
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

    pub(crate) fn col_name(&self, e: &Expr) -> String {
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

    pub(crate) fn truth_of(&self, e: &Expr, row: usize) -> Result<Option<bool>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Filter, Numbers, T_ERROR, T_FALSE, T_NULL, T_TRUE};
    use arrow_array::ArrayRef;
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
