//! `urval overlap`: how many records two requests share, per stratum and in total, against
//! what the sizes force and what chance alone would give.
//!
//! For stratum h with N_h records, a request of n_A and one of n_B, drawn independently by
//! simple random sampling, share K records with K ~ Hypergeometric(N_h, n_A, n_B):
//! E[K] = n_A·n_B/N_h, and at least max(0, n_A + n_B − N_h) whatever the draw (two
//! subsets of one set of N_h must meet in that many). Draws with permanent random numbers
//! and the same seed but different starts overlap no more than that minimum (the point of
//! `--start`); the same seed and start overlap as much as possible.

use crate::artifacts::PlanFile;
use crate::bail;
use crate::error::Result;
use crate::manifest::manifest_rows;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// One stratum's overlap.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StratumOverlap {
    /// The stratum's values, `, `-joined.
    pub stratum: String,
    /// The stratum's values, one per strata column (empty for the total).
    #[serde(skip)]
    pub values: Vec<String>,
    /// N_h from the plan.
    pub population: u64,
    /// Records of the first manifest in the stratum.
    pub a: u64,
    /// Records of the second manifest in the stratum.
    pub b: u64,
    /// Records in both.
    pub both: u64,
    /// max(0, n_A + n_B − N_h): the overlap no draw can avoid.
    pub forced: u64,
    /// n_A·n_B/N_h: the overlap expected of two independent draws.
    pub expected: f64,
}

/// The overlap of two manifests.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overlap {
    /// Per stratum of the plan (strata where either manifest has records).
    pub strata: Vec<StratumOverlap>,
    /// The sums over strata.
    pub total: StratumOverlap,
}

/// Count the records two manifests (drawn from `plan`'s strata) share.
///
/// # Errors
/// A manifest that cannot be read, lacks the plan's key or strata columns, or has a
/// stratum the plan does not have.
pub fn overlap(plan: &PlanFile, a: &Path, b: &Path) -> Result<Overlap> {
    let read = |p: &Path| -> Result<BTreeMap<Vec<String>, HashSet<String>>> {
        let mut m: BTreeMap<Vec<String>, HashSet<String>> = BTreeMap::new();
        for r in manifest_rows(p, &plan.key, &plan.strata_columns)? {
            m.entry(r.values).or_default().insert(r.key);
        }
        Ok(m)
    };
    let (ma, mb) = (read(a)?, read(b)?);
    let populations: BTreeMap<Vec<String>, u64> = plan
        .strata
        .iter()
        .map(|s| {
            (
                plan.strata_columns
                    .iter()
                    .map(|c| s.values.get(c).cloned().unwrap_or_default())
                    .collect(),
                s.population,
            )
        })
        .collect();
    for (m, p) in [(&ma, a), (&mb, b)] {
        if let Some(k) = m.keys().find(|k| !populations.contains_key(*k)) {
            bail!(
                "{}: stratum ({}) is not in the plan: give the plan both requests were drawn from",
                p.display(),
                k.join(", ")
            );
        }
    }
    let empty = HashSet::new();
    let mut strata = Vec::new();
    let mut total = StratumOverlap {
        stratum: "total".into(),
        values: Vec::new(),
        population: 0,
        a: 0,
        b: 0,
        both: 0,
        forced: 0,
        expected: 0.0,
    };
    for (values, &big) in &populations {
        let sa = ma.get(values).unwrap_or(&empty);
        let sb = mb.get(values).unwrap_or(&empty);
        total.population += big;
        if sa.is_empty() && sb.is_empty() {
            continue;
        }
        let (na, nb) = (sa.len() as u64, sb.len() as u64);
        let row = StratumOverlap {
            stratum: values.join(", "),
            values: values.clone(),
            population: big,
            a: na,
            b: nb,
            both: sa.intersection(sb).count() as u64,
            forced: (na + nb).saturating_sub(big),
            expected: if big == 0 {
                0.0
            } else {
                na as f64 * nb as f64 / big as f64
            },
        };
        total.a += row.a;
        total.b += row.b;
        total.both += row.both;
        total.forced += row.forced;
        total.expected += row.expected;
        strata.push(row);
    }
    Ok(Overlap { strata, total })
}
