//! A parsed filter ([`Filter`]: its text, its tree, the columns it reads) and its binding
//! to one batch's arrays ([`BoundFilter`]); the error of one row's value ([`ValueError`]).
//! It uses the parser and the tree; the evaluation is in [`super::row`] and
//! [`super::column`].

use super::sql;
use super::tree::{CmpOp, Expr, Lit};
use crate::error::IngestError;
use crate::text::TextCol;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array};
use arrow_schema::DataType;

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
    pub(crate) text: String,
    pub(crate) expr: Expr,
    pub(crate) columns: Vec<String>,
}

impl Filter {
    /// Parse a filter expression.
    ///
    /// # Errors
    /// [`IngestError::Filter`] naming the position of the first problem.
    pub fn parse(text: &str) -> Result<Filter, IngestError> {
        let (expr, columns) = sql::parse(text).map_err(|reason| IngestError::Filter {
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

pub(crate) enum ColAccess {
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

/// A filter bound to one batch's arrays.
pub struct BoundFilter<'a> {
    pub(crate) filter: &'a Filter,
    pub(crate) cols: Vec<ColAccess>,
}
