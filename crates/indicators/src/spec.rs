//! The indicator spec: a TOML file of `[[indicator]]` tables, each naming what share, mean,
//! median or count to compute, over which records, and on what legal basis.
//!
//! ```toml
//! [[indicator]]
//! name = "child_heard"
//! label_sv = "Barnet har kommit till tals"
//! label_en = "The child was heard"
//! kind = "share"                    # share | mean | median | count
//! expr = "child_heard"              # boolean for share, numeric for mean/median; none for count
//! where = "area = 'barn_unga'"      # optional: who is in this indicator's population
//! null = "skip"                     # share only: a NULL outcome is skipped (counted) or a failure
//! legal_basis = "SoL (2025:400) 11 kap. 10 §"
//! ```
//!
//! Expressions use the `--where` language of `urval-ingest` ([`urval_ingest::Filter`]):
//! comparisons, AND/OR/NOT, IS NULL, IN, LIKE, arithmetic, date − date in days,
//! `ADD_MONTHS(d, n)`, `YEAR(d)`. An expression that does not parse, or names a column the
//! extract does not have, is an error naming the indicator.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use urval_ingest::{Filter, IngestError};

/// What an indicator estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The share of the population where a condition holds.
    Share,
    /// The mean of a numeric expression.
    Mean,
    /// The median of a numeric expression.
    Median,
    /// The number of records in the population.
    Count,
}

impl Kind {
    /// The kind's name as in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Share => "share",
            Kind::Mean => "mean",
            Kind::Median => "median",
            Kind::Count => "count",
        }
    }
}

/// What a NULL share outcome counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NullRule {
    /// Left out of n and counted as skipped (the default).
    #[default]
    Skip,
    /// Counted in n as "not a success".
    Fail,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    name: String,
    label_sv: Option<String>,
    label_en: Option<String>,
    kind: Kind,
    expr: Option<String>,
    #[serde(rename = "where")]
    where_: Option<String>,
    null: Option<NullRule>,
    legal_basis: Option<String>,
    unit: Option<String>,
}

/// One indicator, its expressions parsed.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// A short identifier: letters of any script, digits and `_`.
    pub name: String,
    /// Swedish label (defaults to the name).
    pub label_sv: String,
    /// English label (defaults to the name).
    pub label_en: String,
    /// What it estimates.
    pub kind: Kind,
    /// The outcome (shares: a condition; mean/median: a number; count: none).
    pub expr: Option<Filter>,
    /// Who is in the population (none: every record).
    pub where_: Option<Filter>,
    /// NULL outcomes of a share.
    pub null: NullRule,
    /// The legal basis, as text.
    pub legal_basis: Option<String>,
    /// The unit of a mean or median (e.g. `days`, `pages`).
    pub unit: Option<String>,
}

impl Indicator {
    /// Every column the indicator reads, each once.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in self.where_.iter().chain(self.expr.iter()) {
            for c in f.columns() {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

/// A parsed spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file it came from.
    pub path: PathBuf,
    /// The indicators, in file order.
    pub indicators: Vec<Indicator>,
}

/// What can be wrong with a spec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file cannot be read.
    #[error("cannot read the indicator spec {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML, or not the spec's shape.
    #[error("{}: not a valid indicator spec: {reason}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        reason: String,
    },
    /// No `[[indicator]]`.
    #[error("{}: the spec has no [[indicator]] tables", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A name that is empty, not letters, digits and `_`, or used twice.
    #[error("{}: indicator name {name:?} {problem}", path.display())]
    BadName {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `expr` missing where the kind needs it, or given where it does not.
    #[error("{}: indicator {indicator:?}: {problem}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// The indicator.
        indicator: String,
        /// What is wrong.
        problem: String,
    },
    /// An expression that does not parse.
    #[error("{}: indicator {indicator:?}: {field} {expr:?}: {reason}", path.display())]
    Expression {
        /// The file.
        path: PathBuf,
        /// The indicator.
        indicator: String,
        /// `expr` or `where`.
        field: &'static str,
        /// The expression.
        expr: String,
        /// What is wrong, with the position.
        reason: String,
    },
    /// An expression names a column the extract does not have.
    #[error("{}: indicator {indicator:?} reads column {column:?}, which the extract does not have (columns: {present})", path.display())]
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The indicator.
        indicator: String,
        /// The column.
        column: String,
        /// The extract's columns.
        present: String,
    },
}

/// A name is 1–64 characters of letters (any script: `handläggningstid_median`), digits
/// and `_`; it names columns in Parquet and CSV outputs and keys in JSON, all of which take
/// UTF-8, so nothing else is needed. No spaces, quotes or separators, so a name is one
/// token wherever it goes.
fn valid_name(s: &str) -> bool {
    let n = s.chars().count();
    n > 0 && n <= 64 && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

impl Spec {
    /// Read and parse a spec file.
    ///
    /// # Errors
    /// [`SpecError`] naming the file and, where it applies, the indicator.
    pub fn read(path: &Path) -> Result<Spec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Spec::parse(&text, path)
    }

    /// Parse a spec from text (`path` names it in errors).
    ///
    /// # Errors
    /// [`SpecError`].
    pub fn parse(text: &str, path: &Path) -> Result<Spec, SpecError> {
        let path_buf = path.to_path_buf();
        let raw: RawSpec = toml::from_str(text).map_err(|e| SpecError::Toml {
            path: path_buf.clone(),
            reason: urval_ingest::located(text, e.message(), e.span()),
        })?;
        if raw.indicator.is_empty() {
            return Err(SpecError::Empty { path: path_buf });
        }
        let mut out: Vec<Indicator> = Vec::with_capacity(raw.indicator.len());
        for r in raw.indicator {
            let bad = |problem| SpecError::BadName {
                path: path_buf.clone(),
                name: r.name.clone(),
                problem,
            };
            if !valid_name(&r.name) {
                return Err(bad(
                    "must be 1–64 letters, digits and _ (no spaces or punctuation)",
                ));
            }
            if out.iter().any(|i| i.name == r.name) {
                return Err(bad("is used twice"));
            }
            let shape = |problem: String| SpecError::Shape {
                path: path_buf.clone(),
                indicator: r.name.clone(),
                problem,
            };
            match (r.kind, &r.expr) {
                (Kind::Count, Some(_)) => {
                    return Err(shape(
                        "a count has no expr: put the condition in where".to_string(),
                    ))
                }
                (Kind::Share | Kind::Mean | Kind::Median, None) => {
                    return Err(shape(format!("a {} needs an expr", r.kind.name())))
                }
                _ => {}
            }
            if r.null.is_some() && r.kind != Kind::Share {
                return Err(shape("null = … applies to shares only".to_string()));
            }
            let parse =
                |field: &'static str, e: &Option<String>| -> Result<Option<Filter>, SpecError> {
                    e.as_deref()
                        .map(|text| {
                            Filter::parse(text).map_err(|err| {
                                let reason = match err {
                                    IngestError::Filter { reason, .. } => reason,
                                    other => other.to_string(),
                                };
                                SpecError::Expression {
                                    path: path_buf.clone(),
                                    indicator: r.name.clone(),
                                    field,
                                    expr: text.to_string(),
                                    reason,
                                }
                            })
                        })
                        .transpose()
                };
            let expr = parse("expr", &r.expr)?;
            let where_ = parse("where", &r.where_)?;
            out.push(Indicator {
                label_sv: r.label_sv.clone().unwrap_or_else(|| r.name.clone()),
                label_en: r.label_en.clone().unwrap_or_else(|| r.name.clone()),
                name: r.name,
                kind: r.kind,
                expr,
                where_,
                null: r.null.unwrap_or_default(),
                legal_basis: r.legal_basis,
                unit: r.unit,
            });
        }
        Ok(Spec {
            path: path_buf,
            indicators: out,
        })
    }

    /// Check that every column an indicator reads is among `present`.
    ///
    /// # Errors
    /// [`SpecError::UnknownColumn`] for the first one missing.
    pub fn check_columns(&self, present: &[String]) -> Result<(), SpecError> {
        for i in &self.indicators {
            for c in i.columns() {
                if !present.contains(&c) {
                    return Err(SpecError::UnknownColumn {
                        path: self.path.clone(),
                        indicator: i.name.clone(),
                        column: c,
                        present: present.join(", "),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every column the spec reads, each once, in first-use order.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.indicators {
            for c in i.columns() {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec, SpecError> {
        Spec::parse(text, Path::new("spec.toml"))
    }

    #[test]
    fn parses_a_spec_and_lists_its_columns() {
        let s = parse(
            r#"
[[indicator]]
name = "child_heard"
label_sv = "Barnet har kommit till tals"
kind = "share"
expr = "child_heard"
where = "area = 'barn_unga'"
null = "fail"

[[indicator]]
name = "open_past_deadline"
kind = "count"
where = "decided_date IS NULL AND extract_date > add_months(opened_date, 4)"
"#,
        )
        .unwrap();
        assert_eq!(s.indicators.len(), 2);
        assert_eq!(s.indicators[0].null, NullRule::Fail);
        assert_eq!(s.indicators[1].label_en, "open_past_deadline");
        assert_eq!(
            s.columns(),
            [
                "area",
                "child_heard",
                "decided_date",
                "extract_date",
                "opened_date"
            ]
        );
        let err = s
            .check_columns(&["area".to_string(), "child_heard".to_string()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("open_past_deadline") && err.contains("decided_date"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_indicator() {
        let cases = [
            ("", "no [[indicator]]"),
            ("[[indicator]]\nname = 'x'\nkind = 'share'\nexpr = 'a ='", "\"x\": expr"),
            ("[[indicator]]\nname = 'x'\nkind = 'share'\nexpr = 'a'\nwhere = 'b IN'", "\"x\": where"),
            ("[[indicator]]\nname = 'x'\nkind = 'mean'", "needs an expr"),
            ("[[indicator]]\nname = 'x'\nkind = 'count'\nexpr = 'a'", "has no expr"),
            ("[[indicator]]\nname = 'x'\nkind = 'mean'\nexpr = 'a'\nnull = 'fail'", "shares only"),
            ("[[indicator]]\nname = 'X y'\nkind = 'count'", "letters, digits and _"),
            ("[[indicator]]\nname = 'andel-x'\nkind = 'count'", "letters, digits and _"),
            ("[[indicator]]\nname = 'x'\nkind = 'count'\n[[indicator]]\nname = 'x'\nkind = 'count'", "twice"),
            ("[[indicator]]\nname = 'x'\nkind = 'ratio'", "not a valid indicator spec"),
            ("[[indicator]]\nname = 'x'\nkind = 'count'\nfoo = 1", "not a valid indicator spec"),
            ("[[indicator]\nname = 'x'", "not a valid indicator spec"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?} → {e}");
            assert!(e.starts_with("spec.toml"), "{e}");
        }
    }

    #[test]
    fn names_may_be_swedish() {
        let s = parse("[[indicator]]\nname = 'handläggningstid_median'\nkind = 'count'\n[[indicator]]\nname = 'Åtgärd_2'\nkind = 'count'").unwrap();
        assert_eq!(s.indicators[0].name, "handläggningstid_median");
        assert_eq!(s.indicators[1].name, "Åtgärd_2");
    }
}
