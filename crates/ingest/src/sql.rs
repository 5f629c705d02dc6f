//! SQL expression text → the evaluator's expression tree.
//!
//! Parsing is `sqlparser`'s ([`sqlparser::parser::Parser::parse_expr`] with the
//! [`GenericDialect`]: `"quoted"` identifiers, `'text'` literals with `''` for a quote,
//! unquoted identifiers may hold any letter, `verksamhetsområde` included). This module
//! only *lowers* the parsed tree into [`crate::filter`]'s smaller one, refusing what the
//! evaluator does not implement with the construct and its position named. It is our own
//! code because the lowered tree is what carries urval's quarantine semantics (text read
//! as a number or date per row, a failure a row error, never a silent NULL), which no
//! engine's expression type does.
//!
//! Bounds: at most [`MAX_TOKENS`] tokens, nesting at most [`MAX_DEPTH`] levels (parser
//! recursion and the lowered tree both): expressions come from other people's plan and
//! spec files, and evaluation recurses.

use crate::filter::parse_date;
use crate::filter::{ArithOp, CastTo, CmpOp, Expr, Func, Lit, MAX_DEPTH, MAX_TOKENS};
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
            } => {
                let x = self.expr(expr, d)?;
                let both = Expr::And(
                    boxed(Expr::Cmp(
                        CmpOp::Ge,
                        boxed(x.clone()),
                        boxed(self.expr(low, d)?),
                    )),
                    boxed(Expr::Cmp(CmpOp::Le, boxed(x), boxed(self.expr(high, d)?))),
                );
                if *negated {
                    Expr::Not(boxed(both))
                } else {
                    both
                }
            }
            ast::Expr::In {
                expr,
                target,
                negated,
                ..
            } => {
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
                Expr::In(boxed(self.expr(expr, d)?), lits, *negated)
            }
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
            } => {
                if format.is_some() {
                    return Err(unsupported("CAST … FORMAT", e));
                }
                let to = cast_to(data_type)
                    .ok_or_else(|| unsupported(&format!("CAST to {data_type}"), e))?;
                let lenient = matches!(kind, CastKind::TryCast | CastKind::SafeCast);
                Expr::Cast(boxed(self.expr(expr, d)?), to, lenient)
            }
            ast::Expr::Extract { field, expr, .. } => {
                let f = match field {
                    DateTimeField::Year => Func::Year,
                    DateTimeField::Month => Func::Month,
                    DateTimeField::Day => Func::Day,
                    other => return Err(unsupported(&format!("EXTRACT({other})"), e)),
                };
                Expr::Func(f, vec![self.expr(expr, d)?])
            }
            ast::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_where.is_some() || trim_what.is_some() || trim_characters.is_some() {
                    return Err(unsupported("TRIM with characters or LEADING/TRAILING", e));
                }
                Expr::Func(Func::Trim, vec![self.expr(expr, d)?])
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
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
                match operand {
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
                }
            }
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
