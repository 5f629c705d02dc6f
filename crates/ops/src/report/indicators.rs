//! The indicator table of a report: its rows read back from an indicators file, and the
//! rows the report withholds itself when the table was written with every cell.

use super::names::Namer;
use super::report_error::ReportError;
use crate::error::Result;
use crate::files::read_rows;
use crate::indicators::meta_path;
use std::collections::BTreeMap;
use std::path::Path;
use urval_report::{IndicatorRow, Lang, ModelEstimate};

/// The achieved estimates of an indicators table; under `--only COL=VALUE` (`only`) the
/// groups of that part and the totals of the whole request, when the table is by `COL`.
pub(super) fn indicator_rows(
    path: &Path,
    lang: Lang,
    labels: &BTreeMap<String, String>,
    only: Option<(&str, &str)>,
    suppress_below: Option<u64>,
) -> Result<ReportIndicators> {
    let rows = read_rows(path)?;
    // The metadata beside a table urval wrote; a table made by hand has none.
    let meta_file = meta_path(path);
    let meta = if meta_file.exists() {
        Some(crate::artifacts::IndicatorsMeta::read(&meta_file)?)
    } else {
        None
    };
    let titles: BTreeMap<String, String> = meta
        .iter()
        .flat_map(|m| &m.indicators)
        .map(|i| {
            let label = if lang == Lang::Sv {
                &i.label_sv
            } else {
                &i.label_en
            };
            (i.name.clone(), label.clone())
        })
        .collect();
    let by: Vec<String> = match &meta {
        Some(m) => m.by.clone(),
        // A table made by hand: the columns between `indicator` and `n` are its groups.
        None => group_columns(&rows),
    };
    let withheld = withheld_in_report(path, &rows, &by, meta.as_ref(), suppress_below)?;
    // Group values are named like stratum values (`Motala (1398)`).
    let namer = Namer::new(
        by.iter().map(|c| {
            let values = rows
                .iter()
                .map(|r| r.get(c).map_or("", String::as_str))
                .collect();
            (c.clone(), values)
        }),
        labels.clone(),
    );
    let num = |r: &BTreeMap<String, String>, k: &str| -> Option<f64> {
        r.get(k).and_then(|v| v.trim().parse::<f64>().ok())
    };
    let mut out = Vec::new();
    for (r, withheld_here) in rows.iter().zip(&withheld.rows) {
        let Some(name) = r.get("indicator") else {
            return Err(ReportError::NoIndicatorColumn {
                path: path.to_path_buf(),
            }
            .into());
        };
        let total = r.get("level").map(String::as_str) == Some("total");
        if let Some((col, val)) = only {
            if !total && by.iter().any(|c| c == col) && r.get(col).map(String::as_str) != Some(val)
            {
                continue;
            }
        }
        let mut parts: Vec<String> = by
            .iter()
            .filter_map(|c| r.get(c).map(|v| (c, v)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| namer.name(c, v))
            .collect();
        if let Some(b) = r.get("age_band").filter(|b| !b.is_empty()) {
            parts.push(b.clone());
        }
        let mut row = IndicatorRow {
            label: titles.get(name).cloned().unwrap_or_else(|| name.clone()),
            name: name.clone(),
            kind: r.get("kind").cloned().unwrap_or_else(|| "share".into()),
            group: if total {
                "total".into()
            } else {
                parts.join(", ")
            },
            n: num(r, "n").map_or(0, |v| v as u64),
            estimate: num(r, "estimate"),
            lower: num(r, "lower"),
            upper: num(r, "upper"),
            method: r.get("method").cloned().unwrap_or_default(),
            caution: r.get("caution").filter(|c| !c.is_empty()).cloned(),
            nonresponse: r
                .get("nonresponse")
                .filter(|c| !c.is_empty())
                .map(|st| (st.clone(), num(r, "missing_share").unwrap_or(0.0))),
            suppressed: *withheld_here,
            model: match (
                num(r, "model_estimate"),
                num(r, "model_lower"),
                num(r, "model_upper"),
            ) {
                (Some(estimate), Some(lower), Some(upper)) => Some(ModelEstimate {
                    estimate,
                    lower,
                    upper,
                    shrinkage: num(r, "shrinkage"),
                    method: r.get("model").cloned().unwrap_or_default(),
                }),
                _ => None,
            },
        };
        if *withheld_here {
            // Nothing of a withheld row reaches any output, the report's JSON included.
            row.n = 0;
            row.estimate = None;
            row.lower = None;
            row.upper = None;
            row.method.clear();
            row.caution = None;
            row.nonresponse = None;
            row.model = None;
        }
        out.push(row);
    }
    // Totals first, then the groups, each in file order.
    out.sort_by_key(|r| r.group != "total");
    Ok(ReportIndicators {
        rows: out,
        confidence: meta.map(|m| m.confidence),
        suppress_below: withheld.below,
    })
}

/// The indicators a report shows: its rows, their confidence, and the small-cell threshold
/// the rows were withheld by (0: every cell shown, not for publication).
pub(super) struct ReportIndicators {
    pub(super) rows: Vec<IndicatorRow>,
    pub(super) confidence: Option<f64>,
    pub(super) suppress_below: u64,
}

/// Which rows of an indicators table the report withholds, and by what threshold.
pub(super) struct Withheld {
    rows: Vec<bool>,
    below: u64,
}

/// The group columns of an indicators table without metadata: every column that is not one
/// [`crate::indicators`] writes itself.
pub(super) fn group_columns(rows: &[BTreeMap<String, String>]) -> Vec<String> {
    use crate::table::{MODEL_COLUMNS, SUPPRESSED, TABLE_COLUMNS};
    let mut by: Vec<String> = Vec::new();
    for r in rows {
        for c in r.keys() {
            let own = c == "indicator"
                || c == "age_band"
                || c == SUPPRESSED
                || TABLE_COLUMNS.contains(&c.as_str())
                || MODEL_COLUMNS.contains(&c.as_str());
            if !own && !by.contains(c) {
                by.push(c.clone());
            }
        }
    }
    by.sort();
    by
}

/// Small-cell suppression in the report ([`crate::indicators::suppression_pattern`]).
///
/// A table written with a threshold K is shown as written (its `suppressed` column), and a
/// higher threshold than K cannot be applied (its withheld counts are gone). A table with every
/// cell (`--suppress-below 0`, or made by hand) is suppressed here, with the threshold
/// asked for or [`crate::indicators::DEFAULT_SUPPRESS_BELOW`]: a report leaves the analyst's
/// machine. `Some(0)` shows every cell, and the report says it is not for publication.
///
/// # Errors
/// A threshold above the table's own; counts that cannot be read; a failed audit.
pub(super) fn withheld_in_report(
    path: &Path,
    rows: &[BTreeMap<String, String>],
    by: &[String],
    meta: Option<&crate::artifacts::IndicatorsMeta>,
    asked: Option<u64>,
) -> Result<Withheld> {
    use crate::indicators::{Counts, DEFAULT_SUPPRESS_BELOW};
    use crate::table::SUPPRESSED;
    if let Some(k) = asked {
        crate::indicators::refuse_threshold_one(k)?;
    }
    let marked: Vec<bool> = rows
        .iter()
        .map(|r| r.get(SUPPRESSED).is_some_and(|s| !s.trim().is_empty()))
        .collect();
    let has_column = rows.iter().any(|r| r.contains_key(SUPPRESSED));
    let table_k = match meta {
        Some(m) if m.publication != crate::table::NOT_FOR_PUBLICATION => Some(m.suppress_below),
        Some(_) => None,
        None if has_column => Some(DEFAULT_SUPPRESS_BELOW),
        None => None,
    };
    if let Some(k) = table_k {
        match asked {
            Some(a) if a > k => {
                return Err(ReportError::SuppressedBelow {
                    path: path.to_path_buf(),
                    table: k,
                    asked: a,
                }
                .into())
            }
            _ => {
                return Ok(Withheld {
                    rows: marked,
                    below: k,
                })
            }
        }
    }
    let k = asked.unwrap_or(DEFAULT_SUPPRESS_BELOW);
    if k == 0 {
        return Ok(Withheld {
            rows: vec![false; rows.len()],
            below: 0,
        });
    }
    let bands = rows.iter().any(|r| r.contains_key("age_band"));
    let mut counts = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let count = |col: &str| -> Result<Option<u64>> {
            match r.get(col).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                    ReportError::NotACount {
                        path: path.to_path_buf(),
                        row: i + 1,
                        column: col.to_string(),
                        given: v.to_string(),
                    }
                    .into()
                }),
            }
        };
        let n = count("n")?.unwrap_or(0);
        let kind = r.get("kind").map_or("share", String::as_str);
        let successes = if kind == "share" {
            count("successes")?
        } else {
            None
        };
        if successes.is_some_and(|s| s > n) {
            return Err(ReportError::MoreSuccessesThanN {
                path: path.to_path_buf(),
                row: i + 1,
            }
            .into());
        }
        let total = r.get("level").map(String::as_str) == Some("total");
        counts.push(Counts {
            indicator: r.get("indicator").cloned().unwrap_or_default(),
            group: (!total).then(|| {
                by.iter()
                    .map(|c| r.get(c).cloned().unwrap_or_default())
                    .collect()
            }),
            band: r.get("age_band").filter(|_| bands).cloned(),
            n,
            successes,
        });
    }
    let (status, _) = crate::indicators::suppression_pattern(&counts, by, bands, k)?;
    Ok(Withheld {
        rows: status.iter().map(|s| s.withheld()).collect(),
        below: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_columns_of_a_table_leave_out_the_model_based_ones() {
        let mut row = BTreeMap::new();
        for c in ["indicator", "kommun", "age_band", "suppressed"]
            .into_iter()
            .chain(crate::table::TABLE_COLUMNS)
            .chain(crate::table::MODEL_COLUMNS)
        {
            row.insert(c.to_string(), String::new());
        }
        assert_eq!(group_columns(&[row]), ["kommun"]);
    }
}
