//! Indicators over an extract held in pieces on several machines (`urval.spark.indicators`):
//! each piece is scanned on its own into an [`IndicatorsPart`] (the engine's mergeable
//! tallies per group, age band and design stratum, the accounts and the quarantined rows),
//! and the driver merges the parts and estimates, suppresses, models and writes as
//! `urval indicators` does ([`indicators_from_parts`]).
//!
//! Counts, successes and the value counts behind medians are integers, and a mean's sums
//! are exact for whole numbers (days, pages, minutes) below 2⁵³: so the table is the
//! command's whatever the pieces. A mean of numbers with decimals may differ from the
//! command's in its last digit, as its sums are added in another order. Quarantined rows are
//! numbered within their piece.
//!
//! It may use the indicators engine and the files; it must not know about Spark.

use super::{
    checked_job, covariates, finish, prepare, publish, refuse_overwriting, scan_units, Indicators,
    IndicatorsJob, Scanned,
};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use urval_indicators::engine::{Cell, Merged};
use urval_indicators::estimate::Histogram;
use urval_indicators::Tally;
use urval_ingest::{Extract, FileCounts};

/// One design stratum's tallies of a group: (stratum, per indicator its tally, per
/// indicator its value counts).
pub type PartCell = (u32, Vec<Tally>, Vec<Histogram>);

/// One piece's indicators, to merge on the driver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorsPart {
    /// Per (group values, age band) its non-empty cells, every group the piece saw.
    pub cells: Vec<(Vec<String>, u16, Vec<PartCell>)>,
    /// Responding records per design stratum.
    pub responding: Vec<u64>,
    /// Per indicator, the rows that did not fit its expressions.
    pub invalid: Vec<u64>,
    /// Rows whose key is not in the sample's manifest.
    pub outside: u64,
    /// Rows read, used, left out by `where` and quarantined.
    pub rows: [u64; 4],
    /// The quarantined rows: (row within the piece, reason, the row as read).
    pub quarantine: Vec<(u64, String, String)>,
}

/// Scan one piece of an extract into its part.
///
/// # Errors
/// As `urval indicators`, for what one piece can tell: the spec, the manifest, the
/// columns and the expressions (the quarantine threshold is checked on the merged parts).
pub fn indicators_part(extract: &Extract, args: &IndicatorsJob) -> Result<IndicatorsPart> {
    let p = prepare(args, false)?;
    let mut scanned = scan_units(args, extract, &p, &|_| {})?;
    let quarantine = scanned.take_quarantine();
    let t = scanned.totals();
    let Merged {
        cells,
        responding,
        invalid,
        outside,
        ..
    } = scanned.merged;
    Ok(IndicatorsPart {
        cells: cells
            .into_iter()
            .map(|((group, band), per_stratum)| {
                let kept = per_stratum
                    .into_iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        c.tallies.iter().any(|t| *t != Tally::default())
                            || c.values.iter().any(|h| !h.is_empty())
                    })
                    .map(|(h, c)| (h as u32, c.tallies, c.values))
                    .collect();
                (group, band, kept)
            })
            .collect(),
        responding,
        invalid,
        outside,
        rows: [
            t.rows_read,
            t.rows_used,
            t.rows_excluded,
            t.rows_quarantined,
        ],
        quarantine: quarantine
            .into_iter()
            .map(|q| (q.row, q.reason, q.raw))
            .collect(),
    })
}

/// The parts merged, in the order given, into what one scan of the whole extract gives.
///
/// # Errors
/// A part of another spec or design (its numbers of indicators or strata differ).
fn merge(k: usize, n_strata: usize, parts: Vec<IndicatorsPart>) -> Result<Scanned> {
    let mut merged = Merged::new(k, n_strata);
    let mut counts = FileCounts::default();
    let mut quarantine = Vec::new();
    for part in parts {
        if part.responding.len() != n_strata || part.invalid.len() != k {
            return Err(super::IndicatorsJobError::PartOfAnotherJob {
                indicators: part.invalid.len(),
                strata: part.responding.len(),
                want_indicators: k,
                want_strata: n_strata,
            }
            .into());
        }
        for (a, b) in merged.responding.iter_mut().zip(&part.responding) {
            *a += b;
        }
        for (a, b) in merged.invalid.iter_mut().zip(&part.invalid) {
            *a += b;
        }
        merged.outside += part.outside;
        for (group, band, cells) in part.cells {
            let slot = merged
                .cells
                .entry((group, band))
                .or_insert_with(|| vec![Cell::new(k); n_strata]);
            for (h, tallies, values) in cells {
                let Some(cell) = slot.get_mut(h as usize) else {
                    return Err(super::IndicatorsJobError::PartOfAnotherJob {
                        indicators: tallies.len(),
                        strata: h as usize + 1,
                        want_indicators: k,
                        want_strata: n_strata,
                    }
                    .into());
                };
                for (i, (t, v)) in tallies.iter().zip(&values).enumerate().take(k) {
                    cell.tallies[i].merge(t);
                    cell.values[i].merge(v);
                }
            }
        }
        counts.add_piece(part.rows, part.quarantine, &mut quarantine);
    }
    Ok(Scanned {
        merged,
        files: vec![counts],
        quarantine,
    })
}

/// The indicators of the whole extract from its parts ([`indicators_part`], in the order
/// given), written as `urval indicators` writes them. `extract` names the whole (its
/// files are not read: an empty extract named after the data frame).
///
/// # Errors
/// As `urval indicators`; a part of another job.
pub fn indicators_from_parts(
    extract: &Extract,
    args: &IndicatorsJob,
    parts: Vec<IndicatorsPart>,
) -> Result<Indicators> {
    let ext = checked_job(args)?;
    let covariates = covariates(args)?;
    let p = prepare(args, false)?;
    refuse_overwriting(args, extract)?;
    let n_strata = p.design.as_ref().map_or(1, |d| d.strata.len());
    let scanned = merge(p.spec.indicators.len(), n_strata, parts)?;
    let c = finish(args, &p, scanned)?;
    publish(extract, args, (&ext, covariates), p, c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::path::Path;
    use urval_generate::{generate, GenerateJob};

    fn job(spec: &Path, output: std::path::PathBuf) -> IndicatorsJob {
        let mut j: IndicatorsJob = serde_json::from_value(serde_json::json!({
            "spec": spec,
            "by": ["municipality_code", "area"],
        }))
        .unwrap();
        j.output = output;
        j.max_quarantine = 0.01;
        j
    }

    #[test]
    fn the_parts_merged_give_the_whole_extracts_table() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<_> = (0..3)
            .map(|i| {
                let f = dir.path().join(format!("part-{i}.csv"));
                generate(
                    &GenerateJob {
                        rows: 3_000,
                        seed: 10 + i,
                        output: f.clone(),
                        delimiter: ';',
                        row_group_size: 1 << 12,
                    },
                    &|_| {},
                )
                .unwrap();
                f
            })
            .collect();
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipeline/indicators.toml");
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let whole = Extract::resolve(&names, None).unwrap();
        let direct = job(&spec, dir.path().join("whole.csv"));
        let a = super::super::indicators_to_files(&whole, &direct, &|_| {}).unwrap();
        // The parts in two orders: the table is the same.
        for order in [[0usize, 1, 2], [2, 0, 1]] {
            let parts: Vec<IndicatorsPart> = order
                .iter()
                .map(|&i| {
                    let piece = Extract::resolve(&names[i..=i], None).unwrap();
                    let p = indicators_part(&piece, &direct).unwrap();
                    // Through JSON, as a part travels to the driver.
                    serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap()
                })
                .collect();
            let out = dir.path().join(format!("parts-{}.csv", order[0]));
            let merged_job = job(&spec, out.clone());
            let named = Extract::from_batches(
                "<parts>",
                std::sync::Arc::new(arrow_schema::Schema::empty()),
                Vec::new(),
            );
            let b = indicators_from_parts(&named, &merged_job, parts).unwrap();
            assert_eq!(
                std::fs::read(&out).unwrap(),
                std::fs::read(dir.path().join("whole.csv")).unwrap()
            );
            assert_eq!(a.totals.rows_read, b.totals.rows_read);
            assert_eq!(a.totals.rows_used, b.totals.rows_used);
            assert_eq!(a.suppression.primary, b.suppression.primary);
        }
        // A part of another spec is refused, naming what differs.
        let mut odd = indicators_part(&whole, &direct).unwrap();
        odd.invalid.pop();
        let named = Extract::from_batches(
            "<parts>",
            std::sync::Arc::new(arrow_schema::Schema::empty()),
            Vec::new(),
        );
        let e = indicators_from_parts(&named, &job(&spec, dir.path().join("x.csv")), vec![odd])
            .unwrap_err();
        assert!(
            matches!(
                e.typed::<super::super::IndicatorsJobError>(),
                Some(super::super::IndicatorsJobError::PartOfAnotherJob {
                    want_indicators: 9,
                    ..
                })
            ),
            "{e:?}"
        );
    }
}
