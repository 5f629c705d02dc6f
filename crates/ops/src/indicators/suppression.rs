//! Small-cell suppression of an indicator table: which rows are withheld (the threshold
//! rule, then the cells that would let a withheld one be recomputed from the totals), and
//! the lines that say so. The rules are `urval_indicators::suppress`'s; this room applies
//! them to the rows of a table and to a report's table read back.

use super::job_error::IndicatorsJobError;
use super::row::Row;
use crate::error::Result;
use crate::table::NOT_FOR_PUBLICATION;
use crate::text::thousands;
use std::collections::BTreeMap;
use urval_indicators::suppress::Status;
use urval_report::Lang;

/// What suppression withheld in a table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuppressionSummary {
    /// The threshold (0: none, not for publication).
    pub below: u64,
    /// Rows withheld by the threshold rule.
    pub primary: u64,
    /// Rows withheld so that no primary row can be recomputed.
    pub secondary: u64,
    /// Marginal totals no other table may publish: per indicator, the group values with
    /// `*` for a column summed over.
    pub withheld_totals: Vec<BTreeMap<String, String>>,
}

/// Withhold small cells, indicator by indicator ([`urval_indicators::suppress`]): each
/// indicator's rows are one additive table whose dimensions are the `by` columns and the age
/// band (when given), each value a level (the `unknown` band too: bands partition the ages, so
/// they add up to the group's total); every marginal total counts as published, since another
/// table or the report may print it, and the `total` row is the grand total. The counts are
/// the indicator's `n` (records, one per person and case), split for a share into the records
/// where it holds and where it does not. Every withheld cell's protection is re-checked
/// (its certificate, and the exact linear-programming audit when the table is small).
///
/// # Errors
/// An audit that fails (a bug, never a data finding).
pub(crate) fn suppression_pattern(
    rows: &[Counts],
    by: &[String],
    bands: bool,
    k: u64,
) -> Result<(Vec<Status>, SuppressionSummary)> {
    use urval_indicators::suppress::{self, Cell as SCell, Table};
    let mut status = vec![Status::Published; rows.len()];
    let mut summary = SuppressionSummary {
        below: k,
        ..SuppressionSummary::default()
    };
    if k == 0 {
        return Ok((status, summary));
    }
    let dims = by.len() + usize::from(bands);
    let mut names: Vec<String> = Vec::new();
    for r in rows.iter() {
        if !names.contains(&r.indicator) {
            names.push(r.indicator.clone());
        }
    }
    let values_of = |r: &Counts| -> Vec<String> {
        let mut v: Vec<String> = r.group.clone().unwrap_or_default();
        if bands {
            v.push(r.band.clone().unwrap_or_default());
        }
        v
    };
    for name in names {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].indicator == name)
            .collect();
        let mut levels: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); dims];
        for &i in &idx {
            if rows[i].group.is_some() {
                for (j, v) in values_of(&rows[i]).into_iter().enumerate() {
                    levels[j].insert(v);
                }
            }
        }
        let levels: Vec<Vec<String>> = levels
            .into_iter()
            .map(|l| l.into_iter().collect())
            .collect();
        let counts = |r: &Counts| match r.successes {
            Some(s) => vec![s, r.n - s],
            None => vec![r.n],
        };
        let inner: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| rows[i].group.is_some())
            .collect();
        let table = Table {
            levels: levels.iter().map(|l| l.len() as u32).collect(),
            cells: inner
                .iter()
                .map(|&i| SCell {
                    key: values_of(&rows[i])
                        .iter()
                        .enumerate()
                        .map(|(j, v)| levels[j].binary_search(v).map_or(0, |p| p as u32))
                        .collect(),
                    counts: counts(&rows[i]),
                })
                .collect(),
        };
        if table.cells.is_empty() {
            // Only the total: a table of one cell.
            let total = idx.iter().copied().find(|&i| rows[i].group.is_none());
            let t = Table {
                levels: Vec::new(),
                cells: total
                    .map(|i| SCell {
                        key: Vec::new(),
                        counts: counts(&rows[i]),
                    })
                    .into_iter()
                    .collect(),
            };
            let o = suppress::suppress(&t, k);
            if let Some(i) = total {
                status[i] = o.total;
            }
        } else {
            let o = suppress::suppress(&table, k);
            let failed = suppress::audit_certificates(&table, &o, k);
            if !failed.is_empty() {
                return Err(IndicatorsJobError::SuppressionRecomputable {
                    indicator: name.to_string(),
                    cells: failed.len(),
                }
                .into());
            }
            let withheld = o.cells.iter().filter(|s| s.withheld()).count() + o.margins.len();
            if withheld <= AUDIT_LP_CELLS {
                if let Ok(ivs) = suppress::audit_lp(&table, &o) {
                    let primary: std::collections::BTreeSet<_> =
                        o.certificates.iter().map(|c| c.cell.clone()).collect();
                    if ivs.iter().any(|iv| {
                        primary.contains(&iv.cell) && iv.upper - iv.lower < k as f64 - 1e-6
                    }) {
                        return Err(IndicatorsJobError::SuppressionAuditFailed {
                            indicator: name.to_string(),
                        }
                        .into());
                    }
                }
            }
            for (&i, s) in inner.iter().zip(&o.cells) {
                status[i] = *s;
            }
            if let Some(i) = idx.iter().copied().find(|&i| rows[i].group.is_none()) {
                status[i] = o.total;
            }
            for (key, _) in &o.margins {
                let mut m = BTreeMap::new();
                m.insert("indicator".to_string(), name.clone());
                for (j, l) in key.iter().enumerate() {
                    let col = by.get(j).cloned().unwrap_or_else(|| "age_band".to_string());
                    m.insert(
                        col,
                        l.map_or("*".to_string(), |l| levels[j][l as usize].clone()),
                    );
                }
                summary.withheld_totals.push(m);
            }
        }
    }
    summary.primary = status.iter().filter(|s| **s == Status::Primary).count() as u64;
    summary.secondary = status.iter().filter(|s| **s == Status::Secondary).count() as u64;
    Ok((status, summary))
}

/// [`suppression_pattern`] on the computed rows: each row's `suppressed` set.
///
/// # Errors
/// An audit that fails (a bug, never a data finding).
pub(super) fn apply_suppression(
    rows: &mut [Row],
    by: &[String],
    bands: bool,
    k: u64,
) -> Result<SuppressionSummary> {
    let counts: Vec<Counts> = rows
        .iter()
        .map(|r| Counts {
            indicator: r.indicator.clone(),
            group: r.group.clone(),
            band: r.band.clone(),
            n: r.n,
            successes: r.successes,
        })
        .collect();
    let (status, summary) = suppression_pattern(&counts, by, bands, k)?;
    for (r, s) in rows.iter_mut().zip(status) {
        r.suppressed = s;
    }
    Ok(summary)
}

/// Tables with at most this many withheld cells per indicator also get the exact audit.
const AUDIT_LP_CELLS: usize = 60;

/// One sentence on the table's suppression, for people: what `..` means, or that the table is
/// not for publication.
pub fn suppression_note(k: u64, lang: Lang) -> String {
    match (k, lang) {
        (0, Lang::Sv) => "Ej för publicering: alla celler visas, även de med färre än 5 personer (--suppress-below 0).".to_string(),
        (0, _) => "Not for publication: every cell is shown, even those with fewer than 5 people (--suppress-below 0).".to_string(),
        (k, Lang::Sv) => format!("Uppgifter om färre än {k} personer visas inte (..), inte heller uppgifter som de skulle kunna räknas fram ur."),
        (k, _) => format!("Figures about fewer than {k} people are not shown (..), nor figures they could be worked out from."),
    }
}

/// `for publication` with a threshold, `not for publication` without one.
pub fn publication(k: u64) -> &'static str {
    if k == 0 {
        NOT_FOR_PUBLICATION
    } else {
        "for publication"
    }
}

/// The line that says what small-cell suppression did to a table, or that the table is not
/// for publication.
pub fn suppression_line(s: &SuppressionSummary) -> String {
    if s.below == 0 {
        return "not for publication: every cell written, small ones too (--suppress-below 0)"
            .to_string();
    }
    let mut line = format!(
        "suppression: cells about 1 to {} people withheld: {} rows primary, {} secondary (column suppressed)",
        s.below - 1,
        thousands(s.primary),
        thousands(s.secondary)
    );
    if !s.withheld_totals.is_empty() {
        line.push_str(&format!(
            "; {} totals must not be published elsewhere (listed in the metadata)",
            thousands(s.withheld_totals.len() as u64)
        ));
    }
    line
}

/// What suppression needs of a table's row: the indicator, the group, the age band and the
/// counts (the report rebuilds these from a table written with every cell).
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// The indicator's name.
    pub indicator: String,
    /// The group's values (`None`: the total).
    pub group: Option<Vec<String>>,
    /// The age band.
    pub band: Option<String>,
    /// Records in the estimate.
    pub n: u64,
    /// Records where a share's condition holds.
    pub successes: Option<u64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn counts(indicator: &str, group: Option<&str>, n: u64, successes: Option<u64>) -> Counts {
        Counts {
            indicator: indicator.into(),
            group: group.map(|g| vec![g.to_string()]),
            band: None,
            n,
            successes,
        }
    }

    fn by() -> Vec<String> {
        vec!["kommun".to_string()]
    }

    #[test]
    fn no_threshold_publishes_every_cell_however_small() {
        let rows = [
            counts("hörd", None, 3, Some(1)),
            counts("hörd", Some("0180"), 1, Some(1)),
            counts("hörd", Some("0181"), 2, Some(0)),
        ];
        let (status, summary) = suppression_pattern(&rows, &by(), false, 0).unwrap();
        assert_eq!(status, vec![Status::Published; 3]);
        assert_eq!(summary, SuppressionSummary::default());
    }

    #[test]
    fn a_small_group_is_withheld_with_one_other_so_it_cannot_be_recomputed_from_the_total() {
        let rows = [
            counts("hörd", None, 103, Some(60)),
            counts("hörd", Some("0180"), 3, Some(2)),
            counts("hörd", Some("0181"), 40, Some(28)),
            counts("hörd", Some("0182"), 60, Some(30)),
        ];
        let (status, summary) = suppression_pattern(&rows, &by(), false, 5).unwrap();
        assert_eq!(status[0], Status::Published, "the grand total stays");
        assert_eq!(status[1], Status::Primary);
        assert_eq!(
            status[2..]
                .iter()
                .filter(|s| **s == Status::Secondary)
                .count(),
            1,
            "{status:?}"
        );
        assert_eq!(
            (summary.below, summary.primary, summary.secondary),
            (5, 1, 1)
        );
        assert!(summary.withheld_totals.is_empty(), "{summary:?}");
    }

    #[test]
    fn one_person_without_the_property_makes_a_large_share_cell_sensitive() {
        // "1 of 12 not heard" names a child as surely as "1 of 1"; 0 of 12 names nobody.
        let rows = [
            counts("hörd", Some("0180"), 12, Some(11)),
            counts("ej_hörd", Some("0180"), 12, Some(12)),
            counts("medel", Some("0180"), 12, None),
        ];
        let (status, _) = suppression_pattern(&rows, &by(), false, 5).unwrap();
        assert_eq!(
            status,
            vec![Status::Primary, Status::Published, Status::Published]
        );
    }

    #[test]
    fn a_table_of_only_a_small_total_withholds_the_total() {
        let rows = [
            counts("antal", None, 4, None),
            counts("stor", None, 5, None),
        ];
        let (status, summary) = suppression_pattern(&rows, &[], false, 5).unwrap();
        assert_eq!(status, vec![Status::Primary, Status::Published]);
        assert_eq!((summary.primary, summary.secondary), (1, 0));
    }

    #[test]
    fn the_note_says_what_dots_mean_in_either_language() {
        assert_eq!(
            suppression_note(5, Lang::Sv),
            "Uppgifter om färre än 5 personer visas inte (..), inte heller uppgifter som de skulle kunna räknas fram ur."
        );
        assert_eq!(
            suppression_note(3, Lang::En),
            "Figures about fewer than 3 people are not shown (..), nor figures they could be worked out from."
        );
        assert!(suppression_note(0, Lang::Sv).starts_with("Ej för publicering"));
        assert!(suppression_note(0, Lang::En).starts_with("Not for publication"));
        assert_eq!(publication(0), "not for publication");
        assert_eq!(publication(5), "for publication");
    }

    #[test]
    fn the_suppression_line_counts_rows_and_totals_withheld() {
        let mut s = SuppressionSummary {
            below: 5,
            primary: 1234,
            secondary: 2,
            withheld_totals: Vec::new(),
        };
        assert_eq!(
            suppression_line(&s),
            "suppression: cells about 1 to 4 people withheld: 1,234 rows primary, 2 secondary (column suppressed)"
        );
        s.withheld_totals = vec![BTreeMap::new(); 3];
        assert!(suppression_line(&s)
            .ends_with("; 3 totals must not be published elsewhere (listed in the metadata)"));
        s.below = 0;
        assert_eq!(
            suppression_line(&s),
            "not for publication: every cell written, small ones too (--suppress-below 0)"
        );
    }
}
