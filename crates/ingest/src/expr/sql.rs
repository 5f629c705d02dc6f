//! SQL expression text → the evaluator's expression tree.
//!
//! Parsing is `sqlparser`'s ([`sqlparser::parser::Parser::parse_expr`] with the
//! [`GenericDialect`]: `"quoted"` identifiers, `'text'` literals with `''` for a quote,
//! unquoted identifiers may hold any letter, `verksamhetsområde` included). This module
//! only *lowers* the parsed tree into [`super::tree`]'s smaller one, refusing what the
//! evaluator does not implement with the construct and its position named. It is our own
//! code because the lowered tree is what carries urval's quarantine semantics (text read
//! as a number or date per row, a failure a row error, never a silent NULL), which no
//! engine's expression type does.
//!
//! Bounds: at most [`MAX_TOKENS`] tokens, nesting at most [`MAX_DEPTH`] levels (parser
//! recursion and the lowered tree both): expressions come from other people's plan and
//! spec files, and evaluation recurses.

use super::calendar::parse_date;
use super::tree::{ArithOp, CastTo, CmpOp, Expr, Func, Lit, MAX_DEPTH, MAX_TOKENS};
use sqlparser::ast::{
    self, BinaryOperator, CastKind, DataType, DateTimeField, FunctionArg, FunctionArgExpr,
    FunctionArguments, Spanned, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

/// The functions the evaluator knows, for messages.
pub(crate) const KNOWN_FUNCTIONS: &str =
    "ADD_MONTHS, YEAR, MONTH, DAY, COALESCE, NULLIF, ABS, LOWER, UPPER, TRIM, LENGTH, IS_PERSONNUMMER";

/// Words that are never a column when unquoted (sqlparser reads a lone `NOT` as a name).
const RESERVED: &[&str] = &[
    "and", "or", "not", "is", "in", "between", "like", "ilike", "case", "when", "then", "else",
    "end", "null", "true", "false", "cast", "interval", "extract",
];

/// Parse `text` into an expression tree and the columns it reads (first-use order).
pub(crate) fn parse(text: &str) -> Result<(Expr, Vec<String>), String> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|e| positioned(&e.to_string()))?;
    let words = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .count();
    if words == 0 {
        return Err("empty expression".to_string());
    }
    if words > MAX_TOKENS {
        return Err(format!(
            "the expression has {words} tokens; at most {MAX_TOKENS}"
        ));
    }
    // Nesting from the tokens, before sqlparser recurses: parentheses plus runs of prefix
    // operators (`NOT NOT …`, `- - …`), which nest without parentheses.
    let (mut parens, mut run, mut deepest) = (0usize, 0usize, 0usize);
    for t in &tokens {
        match &t.token {
            Token::LParen => parens += 1,
            Token::RParen => parens = parens.saturating_sub(1),
            Token::Whitespace(_) => continue,
            _ => {}
        }
        let prefix = matches!(&t.token, Token::Minus | Token::Plus)
            || matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("not"));
        run = if prefix { run + 1 } else { 0 };
        deepest = deepest.max(parens + run);
        if deepest > MAX_DEPTH {
            return Err(format!(
                "the expression nests more than {MAX_DEPTH} levels deep (at position {})",
                t.span.start.column
            ));
        }
    }
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(MAX_DEPTH + 8)
        .with_tokens_with_locations(tokens);
    let parsed = parser.parse_expr().map_err(|e| match e {
        ParserError::RecursionLimitExceeded => {
            format!("the expression nests more than {MAX_DEPTH} levels deep")
        }
        other => positioned(&other.to_string()),
    })?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!(
            "unexpected {} at position {}",
            next.token, next.span.start.column
        ));
    }
    let mut lower = Lower {
        columns: Vec::new(),
    };
    let expr = lower.expr(&parsed, 0)?;
    Ok((expr, lower.columns))
}

/// sqlparser's "… at Line: 1, Column: 7" as "… at position 7", without its prefix.
fn positioned(message: &str) -> String {
    let m = message
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("sql tokenizer error: ");
    match m.rfind(" at Line: 1, Column: ") {
        Some(i) => format!("{} at position {}", &m[..i], &m[i + 21..]),
        None => m.to_string(),
    }
}

struct Lower {
    columns: Vec<String>,
}

fn at(e: &ast::Expr) -> String {
    let c = e.span().start.column;
    if c == 0 {
        String::new()
    } else {
        format!(" at position {c}")
    }
}

fn unsupported(what: &str, e: &ast::Expr) -> String {
    format!(
        "{what} is not supported in urval expressions{}: use comparisons, AND/OR/NOT, + - * / %, IS [NOT] NULL, IN, BETWEEN, LIKE/ILIKE, CASE, CAST, EXTRACT, INTERVAL and {KNOWN_FUNCTIONS}",
        at(e)
    )
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Lower {
    fn column(&mut self, name: &str) -> Expr {
        let idx = match self.columns.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                self.columns.push(name.to_string());
                self.columns.len() - 1
            }
        };
        Expr::Col(idx)
    }

    fn expr(&mut self, e: &ast::Expr, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "the expression nests more than {MAX_DEPTH} levels deep, or is a chain of more than {MAX_DEPTH} operators{}: split the expression",
                at(e)
            ));
        }
        let d = depth + 1;
        Ok(match e {
            ast::Expr::Identifier(id) => {
                if id.quote_style.is_none()
                    && RESERVED.contains(&id.value.to_ascii_lowercase().as_str())
                {
                    return Err(format!("unexpected {}{}", id.value, at(e)));
                }
                self.column(&id.value)
            }
            ast::Expr::CompoundIdentifier(_) => {
                return Err(format!(
                    "a qualified name{} (table.column): name the column alone, quoted if it holds a dot",
                    at(e)
                ))
            }
            ast::Expr::Nested(x) => self.expr(x, d)?,
            ast::Expr::Value(v) => Expr::Lit(self.value(&v.value, e)?),
            ast::Expr::TypedString(ts) => match (&ts.data_type, &ts.value.value) {
                (DataType::Date, Value::SingleQuotedString(s)) => Expr::Lit(Lit::Date(
                    parse_date(s).ok_or_else(|| format!("bad date {s:?}{}", at(e)))?,
                )),
                _ => return Err(unsupported(&format!("the literal {}", ts.data_type), e)),
            },
            ast::Expr::IsNull(x) => Expr::IsNull(boxed(self.expr(x, d)?), false),
            ast::Expr::IsNotNull(x) => Expr::IsNull(boxed(self.expr(x, d)?), true),
            // x IS TRUE: TRUE when x is, FALSE otherwise (NULL included); likewise FALSE.
            ast::Expr::IsTrue(x) | ast::Expr::IsNotTrue(x) => {
                let is = Expr::Case(
                    None,
                    vec![(self.expr(x, d)?, Expr::Lit(Lit::Bool(true)))],
                    Some(boxed(Expr::Lit(Lit::Bool(false)))),
                );
                match e {
                    ast::Expr::IsTrue(_) => is,
                    _ => Expr::Not(boxed(is)),
                }
            }
            ast::Expr::IsFalse(x) | ast::Expr::IsNotFalse(x) => {
                let is = Expr::Case(
                    None,
                    vec![(
                        Expr::Not(boxed(self.expr(x, d)?)),
                        Expr::Lit(Lit::Bool(true)),
                    )],
                    Some(boxed(Expr::Lit(Lit::Bool(false)))),
                );
                match e {
                    ast::Expr::IsFalse(_) => is,
                    _ => Expr::Not(boxed(is)),
                }
            }
            ast::Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => Expr::Not(boxed(self.expr(expr, d)?)),
                UnaryOperator::Minus => match self.expr(expr, d)? {
                    Expr::Lit(Lit::Int(v)) => Expr::Lit(Lit::Int(-v)),
                    Expr::Lit(Lit::Float(v)) => Expr::Lit(Lit::Float(-v)),
                    inner => Expr::Neg(boxed(inner)),
                },
                UnaryOperator::Plus => Expr::Arith(
                    ArithOp::Add,
                    boxed(Expr::Lit(Lit::Int(0))),
                    boxed(self.expr(expr, d)?),
                ),
                other => return Err(unsupported(&format!("the operator {other}"), e)),
            },
            ast::Expr::BinaryOp { left, op, right } => self.binary(left, op, right, e, d)?,
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => self.between(expr, negated, low, high, d)?,
            ast::Expr::In {
                expr,
                target,
                negated,
                ..
            } => self.in_list(expr, target, negated, e, d)?,
            ast::Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | ast::Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any || escape_char.is_some() {
                    return Err(unsupported("LIKE ANY or ESCAPE", e));
                }
                let ast::Expr::Value(v) = &**pattern else {
                    return Err(format!("LIKE takes a 'pattern'{}", at(pattern)));
                };
                let Value::SingleQuotedString(p) = &v.value else {
                    return Err(format!("LIKE takes a 'pattern'{}", at(pattern)));
                };
                let ci = matches!(e, ast::Expr::ILike { .. });
                let p = if ci { p.to_lowercase() } else { p.clone() };
                Expr::Like(boxed(self.expr(expr, d)?), p, *negated, ci)
            }
            ast::Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => self.cast(kind, expr, data_type, format.as_ref(), e, d)?,
            ast::Expr::Extract { field, expr, .. } => self.extract(field, expr, e, d)?,
            ast::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let with = trim_where.is_some() || trim_what.is_some() || trim_characters.is_some();
                self.trim(with, expr, e, d)?
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(operand.as_deref(), conditions, else_result.as_deref(), d)?,
            ast::Expr::Function(f) => self.function(f, e, d)?,
            ast::Expr::Interval(_) => {
                return Err(format!(
                    "an INTERVAL is only added to or subtracted from a date{}: d + INTERVAL '4 months'",
                    at(e)
                ))
            }
            other => {
                let text = other.to_string();
                let short: String = text.chars().take(40).collect();
                return Err(unsupported(&format!("{short:?}"), e));
            }
        })
    }

    /// `x [NOT] BETWEEN low AND high`: `x >= low AND x <= high`, negated or not.
    fn between(
        &mut self,
        expr: &ast::Expr,
        negated: &bool,
        low: &ast::Expr,
        high: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        let x = self.expr(expr, d)?;
        let both = Expr::And(
            boxed(Expr::Cmp(
                CmpOp::Ge,
                boxed(x.clone()),
                boxed(self.expr(low, d)?),
            )),
            boxed(Expr::Cmp(CmpOp::Le, boxed(x), boxed(self.expr(high, d)?))),
        );
        Ok(if *negated {
            Expr::Not(boxed(both))
        } else {
            both
        })
    }

    /// `x [NOT] IN (constants)`.
    fn in_list(
        &mut self,
        expr: &ast::Expr,
        target: &ast::InTarget,
        negated: &bool,
        e: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        let ast::InTarget::List(list) = target else {
            return Err(unsupported("IN over a subquery", e));
        };
        if list.is_empty() {
            return Err(format!("IN needs at least one value{}", at(e)));
        }
        let mut lits = Vec::with_capacity(list.len());
        for item in list {
            match self.expr(item, d)? {
                Expr::Lit(l) => lits.push(l),
                _ => return Err(format!("IN takes a list of constants{}", at(item))),
            }
        }
        Ok(Expr::In(boxed(self.expr(expr, d)?), lits, *negated))
    }

    /// `CAST(x AS t)`, `TRY_CAST`, `x::t`.
    fn cast(
        &mut self,
        kind: &CastKind,
        expr: &ast::Expr,
        data_type: &DataType,
        format: Option<&ast::CastFormat>,
        e: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        if format.is_some() {
            return Err(unsupported("CAST … FORMAT", e));
        }
        let to =
            cast_to(data_type).ok_or_else(|| unsupported(&format!("CAST to {data_type}"), e))?;
        let lenient = matches!(kind, CastKind::TryCast | CastKind::SafeCast);
        Ok(Expr::Cast(boxed(self.expr(expr, d)?), to, lenient))
    }

    /// `EXTRACT(YEAR|MONTH|DAY FROM d)`.
    fn extract(
        &mut self,
        field: &DateTimeField,
        expr: &ast::Expr,
        e: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        let f = match field {
            DateTimeField::Year => Func::Year,
            DateTimeField::Month => Func::Month,
            DateTimeField::Day => Func::Day,
            other => return Err(unsupported(&format!("EXTRACT({other})"), e)),
        };
        Ok(Expr::Func(f, vec![self.expr(expr, d)?]))
    }

    /// `TRIM(x)`; `with` characters or LEADING/TRAILING is refused.
    fn trim(
        &mut self,
        with: bool,
        expr: &ast::Expr,
        e: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        if with {
            return Err(unsupported("TRIM with characters or LEADING/TRAILING", e));
        }
        Ok(Expr::Func(Func::Trim, vec![self.expr(expr, d)?]))
    }

    /// `CASE [x] WHEN … THEN … [ELSE …] END`, the operand form lowered to `x = v`.
    fn case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        d: usize,
    ) -> Result<Expr, String> {
        let operand = match operand {
            Some(o) => Some(boxed(self.expr(o, d)?)),
            None => None,
        };
        let mut whens = Vec::with_capacity(conditions.len());
        for c in conditions {
            whens.push((self.expr(&c.condition, d)?, self.expr(&c.result, d)?));
        }
        let otherwise = match else_result {
            Some(x) => Some(boxed(self.expr(x, d)?)),
            None => None,
        };
        Ok(match operand {
            // CASE x WHEN v THEN r … is CASE WHEN x = v THEN r …
            Some(x) => Expr::Case(
                None,
                whens
                    .into_iter()
                    .map(|(v, r)| (Expr::Cmp(CmpOp::Eq, x.clone(), boxed(v)), r))
                    .collect(),
                otherwise,
            ),
            None => Expr::Case(None, whens, otherwise),
        })
    }

    fn value(&self, v: &Value, e: &ast::Expr) -> Result<Lit, String> {
        Ok(match v {
            Value::Number(n, _) => match n.parse::<i64>() {
                Ok(i) => Lit::Int(i),
                Err(_) => Lit::Float(
                    n.parse::<f64>()
                        .map_err(|_| format!("bad number {n:?}{}", at(e)))?,
                ),
            },
            Value::SingleQuotedString(s) => Lit::Str(s.clone()),
            Value::Boolean(b) => Lit::Bool(*b),
            Value::Null => Lit::Null,
            other => return Err(unsupported(&format!("the literal {other}"), e)),
        })
    }

    fn binary(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        e: &ast::Expr,
        d: usize,
    ) -> Result<Expr, String> {
        // date ± INTERVAL '…': months through ADD_MONTHS (end-of-month clamped), days added.
        fn interval(x: &ast::Expr) -> Option<&ast::Interval> {
            match x {
                ast::Expr::Interval(i) => Some(i),
                _ => None,
            }
        }
        match (op, interval(left), interval(right)) {
            (BinaryOperator::Plus | BinaryOperator::Minus, None, Some(i)) => {
                let sign = if *op == BinaryOperator::Minus { -1 } else { 1 };
                let base = self.expr(left, d)?;
                return add_interval(base, i, sign, right);
            }
            (BinaryOperator::Plus, Some(i), None) => {
                let base = self.expr(right, d)?;
                return add_interval(base, i, 1, left);
            }
            (_, Some(_), _) | (_, _, Some(_)) => {
                return Err(format!(
                    "an INTERVAL is only added to or subtracted from a date{}",
                    at(e)
                ))
            }
            _ => {}
        }
        let l = boxed(self.expr(left, d)?);
        let r = boxed(self.expr(right, d)?);
        Ok(match op {
            BinaryOperator::Eq => Expr::Cmp(CmpOp::Eq, l, r),
            BinaryOperator::NotEq => Expr::Cmp(CmpOp::Ne, l, r),
            BinaryOperator::Lt => Expr::Cmp(CmpOp::Lt, l, r),
            BinaryOperator::LtEq => Expr::Cmp(CmpOp::Le, l, r),
            BinaryOperator::Gt => Expr::Cmp(CmpOp::Gt, l, r),
            BinaryOperator::GtEq => Expr::Cmp(CmpOp::Ge, l, r),
            BinaryOperator::And => Expr::And(l, r),
            BinaryOperator::Or => Expr::Or(l, r),
            BinaryOperator::Plus => Expr::Arith(ArithOp::Add, l, r),
            BinaryOperator::Minus => Expr::Arith(ArithOp::Sub, l, r),
            BinaryOperator::Multiply => Expr::Arith(ArithOp::Mul, l, r),
            BinaryOperator::Divide => Expr::Arith(ArithOp::Div, l, r),
            BinaryOperator::Modulo => Expr::Arith(ArithOp::Rem, l, r),
            other => return Err(unsupported(&format!("the operator {other}"), e)),
        })
    }

    fn function(&mut self, f: &ast::Function, e: &ast::Expr, d: usize) -> Result<Expr, String> {
        let name = f.name.to_string();
        if f.over.is_some() || f.filter.is_some() || !f.within_group.is_empty() {
            return Err(unsupported(&format!("{name} with OVER/FILTER"), e));
        }
        let (func, min, max) = match name.to_ascii_lowercase().as_str() {
            "add_months" => (Func::AddMonths, 2, Some(2)),
            "year" => (Func::Year, 1, Some(1)),
            "month" => (Func::Month, 1, Some(1)),
            "day" => (Func::Day, 1, Some(1)),
            "coalesce" => (Func::Coalesce, 1, None),
            "nullif" => (Func::NullIf, 2, Some(2)),
            "abs" => (Func::Abs, 1, Some(1)),
            "lower" => (Func::Lower, 1, Some(1)),
            "upper" => (Func::Upper, 1, Some(1)),
            "trim" => (Func::Trim, 1, Some(1)),
            "length" | "char_length" | "character_length" => (Func::Length, 1, Some(1)),
            "is_personnummer" => (Func::IsPersonnummer, 1, Some(1)),
            _ => {
                return Err(format!(
                    "unknown function {name}{} (known: {KNOWN_FUNCTIONS})",
                    at(e)
                ))
            }
        };
        let list: &[FunctionArg] = match &f.args {
            FunctionArguments::List(l)
                if l.duplicate_treatment.is_none() && l.clauses.is_empty() =>
            {
                &l.args
            }
            FunctionArguments::None => &[],
            _ => return Err(unsupported(&format!("{name} with these arguments"), e)),
        };
        let mut args = Vec::with_capacity(list.len());
        for a in list {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => args.push(self.expr(x, d)?),
                _ => return Err(unsupported(&format!("{name} with named or * arguments"), e)),
            }
        }
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            return Err(format!(
                "{} takes {} argument(s), got {}{}",
                name.to_ascii_uppercase(),
                if max == Some(min) {
                    min.to_string()
                } else {
                    format!("at least {min}")
                },
                args.len(),
                at(e)
            ));
        }
        Ok(Expr::Func(func, args))
    }
}

/// The target of a CAST.
fn cast_to(t: &DataType) -> Option<CastTo> {
    use DataType as T;
    Some(match t {
        T::Int(_)
        | T::Integer(_)
        | T::BigInt(_)
        | T::SmallInt(_)
        | T::TinyInt(_)
        | T::Int2(_)
        | T::Int4(_)
        | T::Int8(_)
        | T::Int16
        | T::Int32
        | T::Int64
        | T::HugeInt => CastTo::Int,
        T::Float(_)
        | T::Float4
        | T::Float8
        | T::Float32
        | T::Float64
        | T::Real
        | T::Double(_)
        | T::DoublePrecision
        | T::Decimal(_)
        | T::Numeric(_)
        | T::Dec(_) => CastTo::Float,
        T::Date => CastTo::Date,
        T::Text
        | T::String(_)
        | T::Varchar(_)
        | T::Char(_)
        | T::CharVarying(_)
        | T::Character(_) => CastTo::Text,
        T::Boolean | T::Bool => CastTo::Bool,
        _ => return None,
    })
}

/// `base ± INTERVAL …` as ADD_MONTHS for years and months, then + days for weeks and days
/// (the order PostgreSQL and DuckDB apply an interval's parts in).
fn add_interval(base: Expr, i: &ast::Interval, sign: i64, e: &ast::Expr) -> Result<Expr, String> {
    let bad = || {
        format!(
            "INTERVAL{}: give whole years, months, weeks or days, e.g. INTERVAL '4 months' or INTERVAL 14 DAY",
            at(e)
        )
    };
    if i.last_field.is_some() || i.fractional_seconds_precision.is_some() {
        return Err(bad());
    }
    let text = match &*i.value {
        ast::Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    let (mut months, mut days) = (0i64, 0i64);
    let mut add = |n: i64, unit: &str| -> Result<(), String> {
        match unit.to_ascii_lowercase().as_str() {
            "year" | "years" | "y" => months += n.checked_mul(12).ok_or_else(bad)?,
            "month" | "months" | "mon" | "mons" => months += n,
            "week" | "weeks" | "w" => days += n.checked_mul(7).ok_or_else(bad)?,
            "day" | "days" | "d" => days += n,
            _ => return Err(bad()),
        }
        Ok(())
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    match (&i.leading_field, words.as_slice()) {
        (Some(field), [n]) => {
            let n: i64 = n.parse().map_err(|_| bad())?;
            add(n, &field.to_string())?;
        }
        (None, parts) if !parts.is_empty() && parts.len() % 2 == 0 => {
            for pair in parts.chunks(2) {
                let n: i64 = pair[0].parse().map_err(|_| bad())?;
                add(n, pair[1])?;
            }
        }
        _ => return Err(bad()),
    }
    let mut out = base;
    if months != 0 {
        out = Expr::Func(
            Func::AddMonths,
            vec![out, Expr::Lit(Lit::Int(sign * months))],
        );
    }
    if days != 0 {
        out = Expr::Arith(
            ArithOp::Add,
            boxed(out),
            boxed(Expr::Lit(Lit::Int(sign * days))),
        );
    }
    if months == 0 && days == 0 {
        // A zero interval still requires a date: d + 0 days.
        out = Expr::Arith(ArithOp::Add, boxed(out), boxed(Expr::Lit(Lit::Int(0))));
    }
    Ok(out)
}

#[cfg(test)]
mod sql_dialect {
    //! The SQL the expressions accept since they are parsed by sqlparser: each construct
    //! against its value, row by row and a column at a time.
    use super::*;
    use crate::expr::{add_months, Filter, Numbers, T_FALSE, T_NULL, T_TRUE};
    use arrow_array::ArrayRef;
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
    use crate::expr::{Filter, Numbers};
    use arrow_array::ArrayRef;
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
