//! Row filters (`--where`): a small SQL expression language over an extract's columns.
//!
//! The text is SQL, parsed by `sqlparser` and lowered by [`sql`] into the tree of
//! [`tree`]. Accepted (keywords case-insensitive): comparisons `= <> != < <= > >=`, `AND`,
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

//!
//! The expressions are a folder, one concern per file, each using only those listed before
//! it (this module only declares them and re-exports what the crate uses):
//! - [`tree`]: the expression tree, types only (no parsing, no evaluation);
//! - [`calendar`]: calendar arithmetic on day numbers (dates as days since 1970-01-01),
//!   from `urval-values`;
//! - [`sql`]: SQL text parsed by `sqlparser` and lowered into the tree (uses the tree, never
//!   the evaluators);
//! - [`bind`]: a parsed [`Filter`] and its binding to one batch's arrays ([`BoundFilter`]);
//! - [`value`]: the evaluator's values and text read as numbers, dates and booleans;
//! - [`row`]: evaluation row by row;
//! - [`column`](mod@column): evaluation a column at a time (falling back to [`row`]'s per row).

mod bind;
mod column;
mod row;
mod sql;
mod tree;
mod value;

use urval_values::calendar;

pub use bind::{BoundFilter, Filter, ValueError};
pub use calendar::{add_months, civil_from_days, parse_date};
pub use column::{Numbers, T_ERROR, T_FALSE, T_NULL, T_TRUE};
