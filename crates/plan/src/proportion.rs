//! A purpose's anticipated share: given, or per stratum from last year's `urval indicators`
//! table, shrunk toward its overall value (the purposes file's `proportion`, or `from` +
//! `indicator` + `prior_records`).
//!
//! It may read an indicator table; it must not size or allocate.

use crate::error::Result;
use crate::plan_error::PlanError;
use std::collections::BTreeMap;
use std::path::Path;

/// The default prior strength of shrunk proportions, in records.
pub const DEFAULT_PRIOR_RECORDS: f64 = 10.0;

/// Where a purpose's anticipated share comes from.
#[derive(Debug, Clone)]
pub enum Proportion {
    /// One value for every stratum.
    Given(f64),
    /// Last year's table: by-columns, rows (values → (n, estimate)), the overall estimate,
    /// the prior strength.
    Table {
        /// The table's file as written in the purposes file.
        file: String,
        /// Its by-columns.
        by: Vec<String>,
        /// Group values → (n, estimate).
        rows: BTreeMap<Vec<String>, (f64, f64)>,
        /// The overall value (the table's total row, else the n-weighted mean of its groups).
        overall: f64,
        /// Prior strength m.
        prior: f64,
    },
}

/// Last year's table of `indicator` (`path`, `file` as written), its values shrunk with
/// `prior` records.
///
/// # Errors
/// No rows, a missing column, a value that is no share, or no estimate of the indicator.
pub(crate) fn read_table(
    path: &Path,
    file: &str,
    indicator: &str,
    prior: f64,
) -> Result<Proportion> {
    let rows = crate::files::read_rows(path)?;
    let Some(first) = rows.first() else {
        return Err(PlanError::NoRows {
            file: file.to_string(),
        }
        .into());
    };
    for c in ["indicator", "n", "estimate", "level"] {
        if !first.contains_key(c) {
            return Err(PlanError::TableMissingColumn {
                file: file.to_string(),
                column: c,
            }
            .into());
        }
    }
    let by: Vec<String> = first
        .keys()
        .filter(|k| {
            !["indicator", "age_band", crate::table::SUPPRESSED].contains(&k.as_str())
                && !crate::table::TABLE_COLUMNS.contains(&k.as_str())
                && !crate::table::MODEL_COLUMNS.contains(&k.as_str())
        })
        .cloned()
        .collect();
    let mut groups = BTreeMap::new();
    let mut total = None;
    for r in rows.iter().filter(|r| r["indicator"] == indicator) {
        let num = |c: &str| r.get(c).and_then(|v| v.trim().parse::<f64>().ok());
        let (Some(n), Some(est)) = (num("n"), num("estimate")) else {
            continue;
        };
        if !(0.0..=1.0).contains(&est) || n < 0.0 {
            return Err(PlanError::NotAShare {
                file: file.to_string(),
                indicator: indicator.to_string(),
                estimate: est,
                n,
            }
            .into());
        }
        if r["level"] == "total" {
            total = Some(est);
        } else {
            groups.insert(
                by.iter()
                    .map(|c| r.get(c).cloned().unwrap_or_default())
                    .collect(),
                (n, est),
            );
        }
    }
    if total.is_none() && groups.is_empty() {
        return Err(PlanError::NoEstimate {
            file: file.to_string(),
            indicator: indicator.to_string(),
        }
        .into());
    }
    let overall = total.unwrap_or_else(|| {
        let (sn, se) = groups
            .values()
            .fold((0.0, 0.0), |(a, b), (n, e)| (a + n, b + n * e));
        if sn > 0.0 {
            se / sn
        } else {
            0.5
        }
    });
    Ok(Proportion::Table {
        file: file.to_string(),
        by,
        rows: groups,
        overall,
        prior,
    })
}

/// p_h for a stratum from last year's table, shrunk toward the overall value p̄:
/// p_h = (n_h·p̂_h + m·p̄)/(n_h + m) — the posterior mean under a Beta(m·p̄, m·(1 − p̄)) prior
/// with x_h = n_h·p̂_h successes (a beta-binomial shrinkage; Gelman et al. 2013, *Bayesian
/// Data Analysis*, §2.4 and §5.3, with a fixed prior strength m). A stratum with p̂ = 0 or 1
/// on few records so keeps a positive variance; a stratum missing from the table gets p̄.
pub fn shrunk(n: f64, estimate: f64, overall: f64, prior: f64) -> f64 {
    (n * estimate + prior * overall) / (n + prior)
}

impl Proportion {
    /// p_h for a stratum with these values of the strata columns.
    ///
    /// # Errors
    /// A table grouped by a column that is not a strata column.
    pub fn for_stratum(&self, strata_cols: &[String], values: &[String]) -> Result<f64> {
        match self {
            Proportion::Given(p) => Ok(*p),
            Proportion::Table {
                file,
                by,
                rows,
                overall,
                prior,
            } => {
                let mut key = Vec::with_capacity(by.len());
                for c in by {
                    let Some(j) = strata_cols.iter().position(|s| s == c) else {
                        return Err(PlanError::TableNotByStrata {
                            file: file.clone(),
                            column: c.clone(),
                        }
                        .into());
                    };
                    key.push(values[j].clone());
                }
                Ok(match rows.get(&key) {
                    Some(&(n, e)) => shrunk(n, e, *overall, *prior),
                    None => *overall,
                })
            }
        }
    }

    /// How plan.json names the source.
    pub fn source(&self) -> String {
        match self {
            Proportion::Given(_) => "given".into(),
            Proportion::Table { file, prior, .. } => {
                format!("{file}, shrunk toward its overall value with {prior} records")
            }
        }
    }
}
