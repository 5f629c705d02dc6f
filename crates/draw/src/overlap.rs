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
use crate::draw_error::DrawError;
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
            return Err(DrawError::OverlapStratum {
                manifest: p.to_path_buf(),
                stratum: k.clone(),
            }
            .into());
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn plan() -> PlanFile {
        let mut p = PlanFile::parse(
            &include_str!("../../../sample-data/golden/plan-area.json")
                // The golden file leaves out what differs from run to run.
                .replace(
                    "\"checks\": [],",
                    "\"checks\": [], \"created\": \"2026-12-07T00:00:00Z\", \"urval_version\": \"0\",",
                )
                .replace("\"format\": \"csv\",", "\"format\": \"csv\", \"path\": \"arenden.csv\","),
            "plan-area.json",
        )
        .unwrap();
        // Two strata of 10 and 4 records (n is not read by the overlap).
        p.strata.truncate(2);
        p.strata[0].population = 10;
        p.strata[1].population = 4;
        for s in &mut p.strata {
            s.n = 0;
        }
        p
    }

    /// Write a manifest of (area, case_id) rows in a folder of its own.
    fn manifest(dir: &Path, name: &str, rows: &[(&str, &str)]) -> std::path::PathBuf {
        let mut text = String::from("case_id,area\n");
        for (area, key) in rows {
            text.push_str(&format!("{key},{area}\n"));
        }
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn shared_records_are_counted_against_the_forced_and_the_expected_overlap() {
        let dir = std::env::temp_dir().join(format!("urval-draw-overlap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = manifest(
            &dir,
            "a.csv",
            &[
                ("aldre", "1"),
                ("aldre", "2"),
                ("aldre", "3"),
                ("barn_unga", "x"),
                ("barn_unga", "y"),
                ("barn_unga", "z"),
            ],
        );
        let b = manifest(
            &dir,
            "b.csv",
            &[
                ("aldre", "3"),
                ("aldre", "4"),
                ("barn_unga", "x"),
                ("barn_unga", "y"),
            ],
        );
        let bad = manifest(&dir, "c.csv", &[("missbruk", "9")]);
        let o = overlap(&plan(), &a, &b);
        let e = overlap(&plan(), &a, &bad)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        let o = o.unwrap();
        let row =
            |s: &StratumOverlap| (s.stratum.clone(), s.population, s.a, s.b, s.both, s.forced);
        assert_eq!(
            o.strata.iter().map(row).collect::<Vec<_>>(),
            vec![
                ("aldre".to_string(), 10, 3, 2, 1, 0),
                // 3 + 2 of 4 records must share at least 1.
                ("barn_unga".to_string(), 4, 3, 2, 2, 1),
            ]
        );
        // 3·2/10 + 3·2/4 = 0.6 + 1.5.
        assert!((o.strata[0].expected - 0.6).abs() < 1e-12);
        assert!((o.strata[1].expected - 1.5).abs() < 1e-12);
        assert_eq!(row(&o.total), ("total".to_string(), 14, 6, 4, 3, 1));
        assert!((o.total.expected - 2.1).abs() < 1e-12);
        assert_eq!(
            e,
            format!(
                "{}: stratum (missbruk) is not in the plan: give the plan both requests were drawn from",
                dir.join("c.csv").display()
            )
        );
    }
}
