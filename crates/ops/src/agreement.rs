//! `urval agreement`: the self-review (phase 1) against the inspector's re-review of a
//! subsample (phase 2), per question and group: the 2×2 table, raw agreement, Cohen's kappa
//! with its interval, the disagreement rate with its exact upper bound, and the self-review's
//! share corrected by the re-review (Tenenbein 1970) next to the uncorrected one — the
//! formulas are in [`urval_design::kappa`], [`urval_design::tenenbein`].

use crate::error::ArtifactError;
use crate::error::Result;
use crate::review::{read_review, Answer, Review};
use crate::review_error::ReviewError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use urval_design::{disagreement_upper, kappa, tenenbein, PhaseOneRest, Table2};
use urval_indicators::spec::Spec;

/// What to compare.
#[derive(Debug, Clone)]
pub struct AgreementJob {
    /// The phase-1 manifest (with its sidecar): the records the self-review covers.
    pub manifest: PathBuf,
    /// The self-review: a filled template of the manifest.
    pub phase1: PathBuf,
    /// The inspector's re-review: a filled template of a subsample of the manifest.
    pub phase2: PathBuf,
    /// The spec whose questions are compared.
    pub spec: PathBuf,
    /// Group by these strata columns (a `total` row per question is always written).
    pub by: Vec<String>,
    /// The confidence of the intervals and bounds.
    pub confidence: f64,
    /// `.json`, `.csv` or `.xlsx`.
    pub output: PathBuf,
}

/// One row: a question in a group.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementRow {
    /// The question (indicator name).
    pub indicator: String,
    /// Its Swedish label (the spec's `label_sv`).
    pub label_sv: String,
    /// Its English label.
    pub label_en: String,
    /// Group column → value (`total` rows: empty).
    #[serde(flatten)]
    pub group: BTreeMap<String, String>,
    /// `total` or `group`.
    pub level: String,
    /// Records both answered yes or no (the 2×2 table's total).
    pub n: u64,
    /// (a + d)/n.
    pub agreement: Option<f64>,
    /// Cohen's κ.
    pub kappa: Option<f64>,
    /// Its lower limit.
    pub kappa_lower: Option<f64>,
    /// Its upper limit.
    pub kappa_upper: Option<f64>,
    /// (b + c)/n.
    pub disagreement_rate: Option<f64>,
    /// The exact one-sided upper bound on it (hypergeometric over the phase-1 records).
    pub disagreement_upper: Option<f64>,
    /// The table.
    pub table: Table2,
    /// Phase-1 records answered yes or no.
    pub phase1_n: u64,
    /// The self-review's share yes (phase 1 alone).
    pub self_estimate: Option<f64>,
    /// The corrected share (Tenenbein).
    pub corrected: Option<f64>,
    /// Its standard error.
    pub corrected_se: Option<f64>,
    /// Its lower limit (Clopper–Pearson at the effective sample size,
    /// [`urval_design::tenenbein`]).
    pub corrected_lower: Option<f64>,
    /// Its upper limit.
    pub corrected_upper: Option<f64>,
    /// Why a figure is missing or to be read with care.
    pub caution: Option<String>,
}

/// The comparison as written.
#[derive(Debug)]
pub struct Agreement {
    /// The rows.
    pub rows: Vec<AgreementRow>,
    /// Records re-reviewed (phase 2 rows with an answer).
    pub phase2_records: u64,
    /// Phase-1 rows with an answer.
    pub phase1_records: u64,
}

/// Compare the two reviews and write the table.
///
/// # Errors
/// Unreadable files; a re-reviewed record the self-review does not have; a `--by` column
/// that is not a strata column; an output of another type.
pub fn agreement(job: &AgreementJob) -> Result<Agreement> {
    let ext = crate::files::extension(&job.output);
    if !matches!(ext.as_str(), "json" | "csv" | "xlsx") {
        return Err(ArtifactError::OutputType {
            path: job.output.clone(),
            what: "output",
            extensions: ".json, .csv or .xlsx",
        }
        .into());
    }
    let spec = Spec::read(&job.spec)?;
    let one = read_review(&job.phase1, &job.manifest, &spec, &[])?;
    let two = read_review(&job.phase2, &job.manifest, &spec, &[])?;
    for (r, name) in [(&one, &job.phase1), (&two, &job.phase2)] {
        if !r.quarantine.is_empty() {
            return Err(ReviewError::AnswersOutsideList {
                review: name.to_path_buf(),
                count: r.quarantine.len(),
                row: r.quarantine[0].row,
                reason: r.quarantine[0].reason.to_string(),
            }
            .into());
        }
    }
    let by_idx: Vec<usize> = job
        .by
        .iter()
        .map(|c| {
            one.strata.iter().position(|s| s == c).ok_or_else(|| {
                ReviewError::ByNotAStrataColumn {
                    column: c.clone(),
                    strata_columns: one.strata.clone(),
                }
                .into()
            })
        })
        .collect::<Result<_>>()?;
    let side = crate::manifest::require_sidecar(&job.manifest)?.sidecar;
    let phase1: BTreeMap<&str, usize> = one
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    for r in &two.rows {
        if !phase1.contains_key(r.key.as_str()) {
            return Err(ReviewError::NotSelfReviewed {
                phase2: job.phase2.clone(),
                row: r.row,
                key: r.key.clone(),
                phase1: crate::files::file_name(&job.phase1).to_string(),
            }
            .into());
        }
    }
    let reviewed: BTreeMap<&str, usize> = two
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    // Groups: total, then each combination of the --by values, in order.
    let group_of =
        |values: &[String]| -> Vec<String> { by_idx.iter().map(|&i| values[i].clone()).collect() };
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    if !by_idx.is_empty() {
        for r in &one.rows {
            groups.insert(group_of(&r.values));
        }
    }
    // N and the weights N_h/n_h per group, from the sidecar's strata.
    let stratum_of = |values: &BTreeMap<String, String>| -> Vec<String> {
        one.strata
            .iter()
            .map(|c| values.get(c).cloned().unwrap_or_default())
            .collect()
    };
    let mut rows = Vec::new();
    for (qi, q) in two.questions.iter().enumerate() {
        let Some(pi) = one.questions.iter().position(|x| x == q) else {
            continue;
        };
        let mut levels: Vec<Option<Vec<String>>> = vec![None];
        levels.extend(groups.iter().cloned().map(Some));
        for level in levels {
            let in_group =
                |values: &[String]| level.as_ref().is_none_or(|g| group_of(values) == *g);
            let (population, weights): (u64, Vec<f64>) = {
                let mut big = 0;
                let mut w = Vec::new();
                for s in &side.strata {
                    if in_group(&stratum_of(&s.values)) {
                        big += s.population;
                        if s.n > 0 {
                            w.push(s.population as f64 / s.n as f64);
                        }
                    }
                }
                (big, w)
            };
            let (t, rest) = tally(&one, &two, &reviewed, pi, qi, &in_group);
            let labels = spec
                .indicators
                .iter()
                .find(|i| &i.name == q)
                .map(|i| (i.label_sv.clone(), i.label_en.clone()))
                .unwrap_or_default();
            let mut out = row(
                q,
                &job.by,
                level.as_deref(),
                &t,
                &rest,
                population,
                &weights,
                job.confidence,
            );
            (out.label_sv, out.label_en) = labels;
            rows.push(out);
        }
    }
    write(job, &rows, &ext)?;
    Ok(Agreement {
        rows,
        phase2_records: two.rows.len() as u64,
        phase1_records: phase1.len() as u64,
    })
}

/// The 2×2 table of the re-reviewed records and the self-review's answers of the others,
/// for one question in one group.
fn tally(
    one: &Review,
    two: &Review,
    reviewed: &BTreeMap<&str, usize>,
    pi: usize,
    qi: usize,
    in_group: &dyn Fn(&[String]) -> bool,
) -> (Table2, PhaseOneRest) {
    let mut t = Table2::default();
    let mut rest = PhaseOneRest::default();
    for r in &one.rows {
        if !in_group(&r.values) {
            continue;
        }
        let s = r.answers[pi];
        match reviewed.get(r.key.as_str()) {
            Some(&j) => match (s, two.rows[j].answers[qi]) {
                (Answer::Yes, Answer::Yes) => t.self_yes_inspector_yes += 1,
                (Answer::Yes, Answer::No) => t.self_yes_inspector_no += 1,
                (Answer::No, Answer::Yes) => t.self_no_inspector_yes += 1,
                (Answer::No, Answer::No) => t.self_no_inspector_no += 1,
                // Not re-reviewed for this question (not drawn for it, or left unanswered):
                // the self-review's answer stands with those of the records not re-reviewed.
                (Answer::Yes, _) => rest.yes += 1,
                (Answer::No, _) => rest.no += 1,
                _ => {}
            },
            None => match s {
                Answer::Yes => rest.yes += 1,
                Answer::No => rest.no += 1,
                _ => {}
            },
        }
    }
    (t, rest)
}

#[allow(clippy::too_many_arguments)]
fn row(
    q: &str,
    by: &[String],
    level: Option<&[String]>,
    t: &Table2,
    rest: &PhaseOneRest,
    population: u64,
    weights: &[f64],
    confidence: f64,
) -> AgreementRow {
    let n = t.n();
    let phase1_n = n + rest.yes + rest.no;
    let k = kappa(t, confidence);
    let c = tenenbein(t, rest, Some(population), confidence);
    let (lo, hi) = weights
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let mut cautions = Vec::new();
    if n == 0 {
        cautions.push("no record re-reviewed".to_string());
    } else if k.is_none() {
        cautions.push("kappa undefined: one answer only".to_string());
    }
    if c.is_none() && n > 0 {
        cautions
            .push("no corrected share: a self-review answer has no re-reviewed record".to_string());
    }
    if hi > lo * 1.05 {
        cautions.push(format!(
            "the strata's weights differ ({lo:.1} to {hi:.1}): the shares treat the group's records as one simple random sample"
        ));
    }
    AgreementRow {
        indicator: q.to_string(),
        label_sv: String::new(),
        label_en: String::new(),
        group: by
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), level.map_or(String::new(), |g| g[i].clone())))
            .collect(),
        level: if level.is_some() { "group" } else { "total" }.to_string(),
        n,
        agreement: (n > 0)
            .then(|| (t.self_yes_inspector_yes + t.self_no_inspector_no) as f64 / n as f64),
        kappa: k.map(|k| k.kappa),
        kappa_lower: k.map(|k| k.lower),
        kappa_upper: k.map(|k| k.upper),
        disagreement_rate: (n > 0).then(|| t.disagreements() as f64 / n as f64),
        disagreement_upper: (n > 0).then(|| disagreement_upper(t, Some(phase1_n), confidence)),
        table: *t,
        phase1_n,
        self_estimate: (phase1_n > 0).then(|| {
            (t.self_yes_inspector_yes + t.self_yes_inspector_no + rest.yes) as f64 / phase1_n as f64
        }),
        corrected: c.map(|c| c.estimate),
        corrected_se: c.map(|c| c.se),
        corrected_lower: c.map(|c| c.lower),
        corrected_upper: c.map(|c| c.upper),
        caution: (!cautions.is_empty()).then(|| cautions.join("; ")),
    }
}

/// The flat columns of a row (CSV and xlsx).
fn flat(job: &AgreementJob, rows: &[AgreementRow]) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let mut header = vec!["indicator".to_string()];
    header.extend(job.by.iter().cloned());
    header.extend(
        [
            "level",
            "n",
            "agreement",
            "kappa",
            "kappa_lower",
            "kappa_upper",
            "disagreement_rate",
            "disagreement_upper",
            "self_yes_inspector_yes",
            "self_yes_inspector_no",
            "self_no_inspector_yes",
            "self_no_inspector_no",
            "phase1_n",
            "self_estimate",
            "corrected",
            "corrected_se",
            "corrected_lower",
            "corrected_upper",
            "caution",
        ]
        .map(String::from),
    );
    let f = |v: Option<f64>| v.map(|x| format!("{x}"));
    let u = |v: u64| Some(v.to_string());
    let out = rows
        .iter()
        .map(|r| {
            let mut v = vec![Some(r.indicator.clone())];
            v.extend(job.by.iter().map(|c| r.group.get(c).cloned()));
            v.extend([
                Some(r.level.clone()),
                u(r.n),
                f(r.agreement),
                f(r.kappa),
                f(r.kappa_lower),
                f(r.kappa_upper),
                f(r.disagreement_rate),
                f(r.disagreement_upper),
                u(r.table.self_yes_inspector_yes),
                u(r.table.self_yes_inspector_no),
                u(r.table.self_no_inspector_yes),
                u(r.table.self_no_inspector_no),
                u(r.phase1_n),
                f(r.self_estimate),
                f(r.corrected),
                f(r.corrected_se),
                f(r.corrected_lower),
                f(r.corrected_upper),
                r.caution.clone(),
            ]);
            v
        })
        .collect();
    (header, out)
}

fn write(job: &AgreementJob, rows: &[AgreementRow], ext: &str) -> Result<()> {
    use urval_report::xlsx::{Cell, Column, ColumnKind, Sheet};
    let mut f = crate::files::AtomicFile::create(&job.output)?;
    if ext == "json" {
        let text = crate::files::to_json_text(&rows)?;
        std::io::Write::write_all(f.writer(), text.as_bytes())?;
    } else {
        let (header, data) = flat(job, rows);
        let text_cols = 1 + job.by.len() + 1;
        let columns: Vec<Column> = header
            .iter()
            .enumerate()
            .map(|(i, h)| Column {
                header: h.clone(),
                kind: if i < text_cols || h == "caution" {
                    ColumnKind::Text
                } else {
                    ColumnKind::Number
                },
            })
            .collect();
        let cells: Vec<Vec<Cell>> = data
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&columns)
                    .map(|(v, c)| match (v, c.kind) {
                        (None, _) => Cell::Empty,
                        (Some(s), ColumnKind::Number) => {
                            s.parse().map_or(Cell::Text(s.clone()), Cell::Number)
                        }
                        (Some(s), _) => Cell::Text(s.clone()),
                    })
                    .collect()
            })
            .collect();
        if ext == "csv" {
            urval_report::xlsx::write_csv_standard(f.writer(), &columns, &cells)?;
        } else {
            let sheet = Sheet {
                name: "agreement".to_string(),
                columns,
                rows: cells,
            };
            let bytes = urval_report::xlsx::workbook(&sheet, None)?;
            std::io::Write::write_all(f.writer(), &bytes)?;
        }
    }
    f.finish()?.publish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_computes_agreement_kappa_and_the_self_reviews_share_by_hand() {
        let t = Table2 {
            self_yes_inspector_yes: 40,
            self_yes_inspector_no: 5,
            self_no_inspector_yes: 3,
            self_no_inspector_no: 52,
        };
        let rest = PhaseOneRest { yes: 50, no: 50 };
        let r = row(
            "barnet_hört",
            &["kommun".to_string()],
            Some(&["0180".to_string()]),
            &t,
            &rest,
            1000,
            &[5.0, 5.1],
            0.95,
        );
        assert_eq!((r.n, r.phase1_n), (100, 200));
        assert_eq!(r.level, "group");
        assert_eq!(r.group, BTreeMap::from([("kommun".into(), "0180".into())]));
        assert_eq!(r.agreement, Some(0.92));
        assert_eq!(r.disagreement_rate, Some(0.08));
        // p_e = 0.45·0.43 + 0.55·0.57 = 0.507; κ = (0.92 − 0.507)/(1 − 0.507).
        let kappa = r.kappa.unwrap_or(f64::NAN);
        assert!((kappa - 0.413 / 0.493).abs() < 1e-12, "{kappa}");
        // (40 + 5 + 50)/200.
        assert_eq!(r.self_estimate, Some(0.475));
        // Weights within 5 % of each other: no caution.
        assert_eq!(r.caution, None);
    }

    #[test]
    fn a_row_without_re_reviewed_records_says_so_and_weights_apart_are_named() {
        let r = row(
            "barnet_hört",
            &["kommun".to_string()],
            None,
            &Table2::default(),
            &PhaseOneRest { yes: 3, no: 1 },
            1000,
            &[2.0, 12.3],
            0.95,
        );
        assert_eq!(r.level, "total");
        assert_eq!(r.group, BTreeMap::from([("kommun".into(), String::new())]));
        assert_eq!(
            (r.agreement, r.kappa, r.disagreement_upper),
            (None, None, None)
        );
        assert_eq!(r.self_estimate, Some(0.75));
        assert_eq!(
            r.caution.as_deref(),
            Some("no record re-reviewed; the strata's weights differ (2.0 to 12.3): the shares treat the group's records as one simple random sample")
        );
    }
}
