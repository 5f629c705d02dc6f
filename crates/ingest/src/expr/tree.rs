//! The expression tree the evaluators run: types only. No parsing (that is [`super::sql`],
//! which lowers into this tree) and no evaluation; it uses no other module of the crate.

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

/// The expression tree the evaluator runs ([`super::sql`] lowers sqlparser's into it).
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
