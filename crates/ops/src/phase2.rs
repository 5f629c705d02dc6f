//! The inspector's re-review (phase 2 of a two-phase review): how many of the self-reviewed
//! records to re-review (`urval plan --phase2`) and which (`urval draw --phase2`).
//!
//! **Sizing.** The population of phase 2 is the phase-1 sample itself (the n'_h records of
//! each stratum in the phase-1 manifest). For each group (the whole sample, or each value of
//! `--per COL`) with n'_g records: to estimate the disagreement rate to ±E,
//! `urval_design::share_size` with N = n'_g (Cochran's n0 with the finite population
//! correction, P = the expected disagreement, 0.5 by default); to show that it is below T with
//! confidence C, `urval_design::attribute_size` with N = n'_g (hypergeometric; K from the
//! expected disagreement, 0 by default). The group's m_g records are spread over its strata in
//! proportion to n'_h (largest remainders within 0 ≤ m_h ≤ n'_h), so within a group every
//! self-reviewed record has the same chance of re-review.
//!
//! **Per question** (`--spec`, with `--extract` when a question's `where` names columns the
//! manifest lacks): a question is re-reviewed only where it applies. Its population in phase
//! 2 is the phase-1 records inside its `where` (n'_qh per stratum), sized as above per group
//! and spread over the strata in proportion to n'_qh: m_qh. The draw takes, per stratum and
//! question, the m_qh applicable records with the smallest ranks (the same ranks for every
//! question, so the subsamples overlap as much as they can); the re-review is their union,
//! and each record is re-reviewed for the questions it was drawn for (the manifest's
//! `questions` column), so that for every question the records re-reviewed for it are a
//! simple random subsample of its applicable self-reviewed records in each stratum. The
//! union has at least max_q m_qh records per stratum (exactly that when each question applies
//! to all or none of a stratum's records).
//!
//! **Drawing.** Per stratum the m_h phase-1 records with the smallest (u − start) mod 1,
//! u = prn(seed, key), ties by key — the PRN rule of every draw, applied to the phase-1
//! manifest's records: a simple random subsample, reproducible and verifiable. The seed is
//! the inspector's, chosen when the self-review is back: with the phase-1 seed (published in
//! the manifest's sidecar) a municipality could compute in advance which records will be
//! re-reviewed, and a self-review that knows which of its answers are checked is no longer
//! the self-review the re-review measures.

pub use crate::artifacts::PhaseDraw;
use crate::artifacts::{describe, DrawSidecar, DrawnStratum};
use crate::error::ArtifactError;
use crate::error::{Context, Result};
use crate::manifest::{manifest_rows, sidecar_path, ManifestColumns, ManifestStyle};
pub use crate::review::QUESTIONS;
use crate::review_error::ReviewError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;
use urval_sample::{prn53, rank, start53, PRN_SPEC_VERSION, TWO_POW_53};

/// The phase-2 plan format version.
pub const PHASE2_PLAN_VERSION: u32 = 1;

/// What phase 2 is sized for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Phase2Target {
    /// Estimate the disagreement rate to ±E.
    AgreementMargin(f64),
    /// Show that the disagreement rate is below T.
    TolerableDisagreement(f64),
}

/// One stratum of the phase-1 sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Phase2Stratum {
    /// Column → value.
    pub values: BTreeMap<String, String>,
    /// N_h of the population (from the phase-1 sidecar).
    pub population: u64,
    /// n'_h: the phase-1 records.
    pub phase1_n: u64,
    /// m_h: the records to re-review.
    pub n: u64,
}

/// One group the size is computed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Phase2Group {
    /// `--per` column → value (empty for the whole sample).
    pub values: BTreeMap<String, String>,
    /// n'_g.
    pub phase1_n: u64,
    /// m_g.
    pub n: u64,
}

/// A question re-reviewed only where it applies (`urval plan --phase2 --spec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Phase2Question {
    /// The question (the spec's indicator name).
    pub name: String,
    /// Its `where` as written in the spec (none: every record).
    pub where_: Option<String>,
    /// Per group: n'_qg (its applicable self-reviewed records) and m_qg.
    pub groups: Vec<Phase2Group>,
    /// Per stratum: n'_qh (`phase1_n`) and m_qh (`n`), in the order of the plan's strata.
    pub strata: Vec<Phase2Stratum>,
    /// The phase-1 keys outside its population in strata where it applies to some records
    /// but not all (elsewhere it applies to all records of a stratum, or to none).
    pub outside: Vec<String>,
}

/// `phase2-plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Phase2Plan {
    /// Always `urval-phase2-plan`.
    pub kind: String,
    /// [`PHASE2_PLAN_VERSION`].
    pub version: u32,
    /// The urval that wrote it.
    pub urval_version: String,
    /// The phase-1 manifest's file name.
    pub manifest: String,
    /// XXH3-128 of the phase-1 manifest: the draw refuses another.
    pub manifest_hash: String,
    /// The key column.
    pub key: String,
    /// The strata columns.
    pub strata_columns: Vec<String>,
    /// The target.
    pub target: Phase2Target,
    /// The expected disagreement rate.
    pub expected_disagreement: f64,
    /// C.
    pub confidence: f64,
    /// The `--per` column, if any.
    #[serde(deserialize_with = "crate::artifacts::required")]
    pub per: Option<String>,
    /// The groups.
    pub groups: Vec<Phase2Group>,
    /// The strata.
    pub strata: Vec<Phase2Stratum>,
    /// Σ n'_h.
    pub phase1_total: u64,
    /// Σ m_h (with questions: the least the union can have).
    pub total_n: u64,
    /// The questions, each re-reviewed where it applies (empty: every record is re-reviewed
    /// for every question).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Phase2Question>,
}

impl Phase2Plan {
    /// Read and check a phase-2 plan.
    ///
    /// # Errors
    /// Unreadable, another kind or version, a field missing, or m_h > n'_h.
    pub fn read(path: &Path) -> Result<Phase2Plan> {
        let p: Phase2Plan = crate::artifacts::read_versioned(
            path,
            "a urval phase-2 plan",
            "urval-phase2-plan",
            PHASE2_PLAN_VERSION,
            "plan phase 2 again with this urval (urval plan --phase2)",
        )?;
        for s in &p.strata {
            if s.n > s.phase1_n {
                return Err(ReviewError::Phase2OverPhase1 {
                    path: path.to_path_buf(),
                    stratum: describe(&s.values, &p.strata_columns),
                    n: s.n,
                    phase1_n: s.phase1_n,
                }
                .into());
            }
        }
        Ok(p)
    }
}

/// What to size.
#[derive(Debug, Clone)]
pub struct Phase2Request {
    /// The phase-1 manifest (with its sidecar).
    pub manifest: PathBuf,
    /// The target.
    pub target: Phase2Target,
    /// The expected disagreement rate (P for a margin, R for a tolerable rate).
    pub expected_disagreement: Option<f64>,
    /// C.
    pub confidence: f64,
    /// Size per value of this strata column.
    pub per: Option<String>,
    /// Size and draw per question over the records where it applies: the spec.
    pub spec: Option<PathBuf>,
    /// Where the questions' `where` is evaluated (else the phase-1 manifest's own columns).
    pub extract: Option<urval_ingest::Extract>,
    /// Where phase2-plan.json goes.
    pub output: PathBuf,
}

/// The phase-1 manifest's records per stratum (values in column order → keys), with the
/// manifest's key and strata columns.
type Phase1 = (String, Vec<String>, BTreeMap<Vec<String>, Vec<String>>);

fn phase1_records(manifest: &Path) -> Result<Phase1> {
    let (key, strata) = crate::manifest::manifest_layout(manifest)?;
    let mut by: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for r in manifest_rows(manifest, &key, &strata)? {
        by.entry(r.values).or_default().push(r.key);
    }
    Ok((key, strata, by))
}

/// The groups phase 2 is sized in, and how: the strata of each value of the `--per` column
/// (or of the whole sample), the strata's populations, and the size of a group.
struct Spreading<'a> {
    groups: BTreeMap<Option<String>, Vec<Vec<String>>>,
    strata_columns: &'a [String],
    population_of: BTreeMap<Vec<String>, u64>,
    per: Option<&'a str>,
    req: &'a Phase2Request,
}

impl<'a> Spreading<'a> {
    /// The groups of `records` (per stratum values, the keys) by the `--per` column.
    ///
    /// # Errors
    /// A `--per` column that is not a strata column.
    fn new(
        req: &'a Phase2Request,
        side: &DrawSidecar,
        strata_columns: &'a [String],
        records: &BTreeMap<Vec<String>, Vec<String>>,
    ) -> Result<Spreading<'a>> {
        let per_idx = match &req.per {
            None => None,
            Some(c) => Some(strata_columns.iter().position(|s| s == c).ok_or_else(|| {
                ReviewError::PerNotAStrataColumn {
                    column: c.clone(),
                    strata_columns: strata_columns.to_vec(),
                }
            })?),
        };
        let population_of = side
            .strata
            .iter()
            .map(|s| {
                (
                    strata_columns
                        .iter()
                        .map(|c| s.values.get(c).cloned().unwrap_or_default())
                        .collect(),
                    s.population,
                )
            })
            .collect();
        // Groups: value of the --per column (or one group) → the strata in it.
        let mut groups: BTreeMap<Option<String>, Vec<Vec<String>>> = BTreeMap::new();
        for values in records.keys() {
            groups
                .entry(per_idx.map(|i| values[i].clone()))
                .or_default()
                .push(values.clone());
        }
        Ok(Spreading {
            groups,
            strata_columns,
            population_of,
            per: req.per.as_deref(),
            req,
        })
    }

    /// Per group m sized over the records that count (`counts` per stratum) and spread over
    /// its strata ([`spread`]).
    fn spread(
        &self,
        counts: &BTreeMap<Vec<String>, u64>,
    ) -> Result<(Vec<Phase2Group>, Vec<Phase2Stratum>)> {
        spread(
            &self.groups,
            counts,
            &|big| phase2_size(self.req, big),
            self.strata_columns,
            &self.population_of,
            self.per,
        )
    }
}

/// Phase 2 per question of the spec (its share indicators), each sized over the records it
/// applies to (its `where`, on the manifest's columns or the extract); the keys outside a
/// question's population where it applies to some records of a stratum but not all.
///
/// # Errors
/// An unreadable spec, one without a share indicator, or a question whose `where` names a
/// column the manifest lacks and no extract is given.
fn phase2_questions(
    req: &Phase2Request,
    spec_path: &Path,
    (key, pseudonymized): (&str, bool),
    records: &BTreeMap<Vec<String>, Vec<String>>,
    spreading: &Spreading,
) -> Result<Vec<Phase2Question>> {
    let spec = urval_indicators::spec::Spec::read(spec_path)?;
    let qs = crate::review::questions(&spec);
    if qs.is_empty() {
        return Err(ReviewError::NoQuestion {
            spec: spec_path.to_path_buf(),
            action: "re-review",
        }
        .into());
    }
    let keys: std::collections::BTreeSet<String> = records.values().flatten().cloned().collect();
    let (_, columns, _) = crate::manifest::manifest_header(&req.manifest)?;
    let columns: Vec<String> = columns
        .iter()
        .map(|c| crate::manifest::column_name(crate::files::extension(&req.manifest) == "csv", c))
        .collect();
    let (scope, unknown) = crate::applicable::drawn_populations(
        req.extract.as_ref(),
        &req.manifest,
        key,
        &columns,
        pseudonymized,
        &qs,
        &keys,
    )?;
    if let Some(q) = unknown.first() {
        return Err(ReviewError::WhereNeedsExtract {
            question: q.to_string(),
        }
        .into());
    }
    let mut questions = Vec::new();
    for q in &qs {
        let inside = scope.get(&q.name);
        let applies = |k: &String| inside.is_none_or(|set| set.contains(k));
        let q_counts: BTreeMap<Vec<String>, u64> = records
            .iter()
            .map(|(v, ks)| (v.clone(), ks.iter().filter(|k| applies(k)).count() as u64))
            .collect();
        let (q_groups, mut q_strata) = spreading.spread(&q_counts)?;
        q_strata.sort_by(|a, b| a.values.cmp(&b.values));
        let mut outside: Vec<String> = records
            .iter()
            .filter(|(v, ks)| {
                let c = q_counts[*v];
                c > 0 && c < ks.len() as u64
            })
            .flat_map(|(_, ks)| ks.iter().filter(|k| !applies(k)).cloned())
            .collect();
        outside.sort();
        questions.push(Phase2Question {
            name: q.name.clone(),
            where_: q.where_.as_ref().map(|f| f.text().to_string()),
            groups: q_groups,
            strata: q_strata,
            outside,
        });
    }
    Ok(questions)
}

/// With questions, the least union: per stratum the largest m_qh, and each group the sum of
/// its strata.
fn union_of_questions(
    groups: &mut [Phase2Group],
    strata: &mut [Phase2Stratum],
    questions: &[Phase2Question],
) {
    if questions.is_empty() {
        return;
    }
    for (h, st) in strata.iter_mut().enumerate() {
        st.n = questions.iter().map(|q| q.strata[h].n).max().unwrap_or(0);
    }
    for g in groups {
        g.n = strata
            .iter()
            .filter(|st| g.values.iter().all(|(c, v)| st.values.get(c) == Some(v)))
            .map(|st| st.n)
            .sum();
    }
}

/// Size phase 2 and write phase2-plan.json.
///
/// # Errors
/// Unreadable manifest or sidecar; a `--per` column that is not a strata column; a target
/// the design math refuses.
pub fn plan_phase2(req: &Phase2Request) -> Result<Phase2Plan> {
    let found = crate::manifest::require_sidecar(&req.manifest)?;
    found.check_manifest(&req.manifest)?;
    let side = found.sidecar;
    let (key, strata_columns, records) = phase1_records(&req.manifest)?;
    let spreading = Spreading::new(req, &side, &strata_columns, &records)?;
    let counts: BTreeMap<Vec<String>, u64> = records
        .iter()
        .map(|(v, k)| (v.clone(), k.len() as u64))
        .collect();
    let (mut out_groups, mut out_strata) = spreading.spread(&counts)?;
    let questions = match &req.spec {
        Some(spec_path) => phase2_questions(
            req,
            spec_path,
            (&key, side.pseudonymized.as_deref() == Some(key.as_str())),
            &records,
            &spreading,
        )?,
        None => Vec::new(),
    };
    out_strata.sort_by(|a, b| a.values.cmp(&b.values));
    union_of_questions(&mut out_groups, &mut out_strata, &questions);
    let plan = Phase2Plan {
        kind: "urval-phase2-plan".to_string(),
        version: PHASE2_PLAN_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        manifest: crate::files::file_name(&req.manifest),
        manifest_hash: crate::files::file_hash(&req.manifest)?,
        key,
        strata_columns: strata_columns.clone(),
        target: req.target,
        expected_disagreement: req.expected_disagreement.unwrap_or(match req.target {
            Phase2Target::AgreementMargin(_) => 0.5,
            Phase2Target::TolerableDisagreement(_) => 0.0,
        }),
        confidence: req.confidence,
        per: req.per.clone(),
        phase1_total: out_strata.iter().map(|s| s.phase1_n).sum(),
        total_n: out_strata.iter().map(|s| s.n).sum(),
        groups: out_groups,
        strata: out_strata,
        questions,
    };
    crate::files::write_json(&req.output, &plan)
        .with_context(|| format!("writing {}", req.output.display()))?;
    Ok(plan)
}

/// m for a group of `big` self-reviewed records: Cochran's n0 with the finite population
/// correction for a margin (`urval_design::share_size`), the hypergeometric attribute size for
/// a tolerable disagreement (`urval_design::attribute_size`); never more than `big`.
fn phase2_size(req: &Phase2Request, big: u64) -> Result<u64> {
    if big == 0 {
        return Ok(0);
    }
    let expected = req.expected_disagreement;
    Ok(match req.target {
        Phase2Target::AgreementMargin(e) => {
            let mut spec = urval_design::ShareSpec::new(e, req.confidence);
            spec.proportion = expected.unwrap_or(0.5);
            spec.population = Some(big);
            urval_design::share_size(&spec)?.n
        }
        Phase2Target::TolerableDisagreement(t) => {
            urval_design::attribute_size(&urval_design::AttributeSpec {
                tolerable_rate: t,
                expected: urval_design::Expected::Rate(expected.unwrap_or(0.0)),
                confidence: req.confidence,
                population: Some(big),
                likelihood: None,
            })?
            .n
        }
    }
    .min(big))
}

/// Per group, m sized over the group's records (`counts`: per stratum the records that
/// count) and spread over its strata in proportion to their counts (largest remainders
/// within 0 ≤ m_h ≤ count_h).
fn spread(
    groups: &BTreeMap<Option<String>, Vec<Vec<String>>>,
    counts: &BTreeMap<Vec<String>, u64>,
    size: &dyn Fn(u64) -> Result<u64>,
    strata_columns: &[String],
    population_of: &BTreeMap<Vec<String>, u64>,
    per: Option<&str>,
) -> Result<(Vec<Phase2Group>, Vec<Phase2Stratum>)> {
    let mut out_groups = Vec::new();
    let mut out_strata = Vec::new();
    for (g, members) in groups {
        let c: Vec<u64> = members
            .iter()
            .map(|v| counts.get(v).copied().unwrap_or(0))
            .collect();
        let big: u64 = c.iter().sum();
        let m = size(big)?;
        let weights: Vec<f64> = c.iter().map(|&x| x as f64).collect();
        let lo = vec![0u64; c.len()];
        let split = urval_design::apportion(m, &weights, &c, &lo, &c);
        out_groups.push(Phase2Group {
            values: match (g, per) {
                (Some(v), Some(col)) => BTreeMap::from([(col.to_string(), v.clone())]),
                _ => BTreeMap::new(),
            },
            phase1_n: big,
            n: m,
        });
        for ((values, &n1), &mh) in members.iter().zip(&c).zip(&split) {
            out_strata.push(Phase2Stratum {
                values: strata_columns
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect(),
                population: population_of.get(values).copied().unwrap_or(n1),
                phase1_n: n1,
                n: mh,
            });
        }
    }
    Ok((out_groups, out_strata))
}

/// A phase-2 draw to files.
#[derive(Debug, Clone)]
pub struct Phase2Job {
    /// phase2-plan.json.
    pub plan: PathBuf,
    /// The phase-1 manifest.
    pub manifest: PathBuf,
    /// The inspector's seed.
    pub seed: u64,
    /// The start.
    pub start: f64,
    /// The phase-2 manifest (`.csv`, `.parquet` or `.xlsx`).
    pub output: PathBuf,
    /// A CSV's dialect.
    pub csv_dialect: CsvDialect,
    /// A spreadsheet's language.
    pub lang: Lang,
    /// How the seed came about (recorded in the sidecar).
    pub seed_origin: crate::commitment::SeedOrigin,
}

/// One stratum's subsample: its values and the records picked, sorted by key: (key, u, the
/// questions it is re-reviewed for; empty without per-question sizing).
type Picked = (Vec<String>, Vec<(String, f64, Vec<String>)>);

/// The subsample: per stratum the m_h phase-1 keys with the smallest ranks, sorted by key;
/// with questions, per stratum and question the m_qh applicable keys with the smallest
/// ranks, and their union.
fn select(
    plan: &Phase2Plan,
    records: &BTreeMap<Vec<String>, Vec<String>>,
    seed: u64,
    start: f64,
) -> Result<Vec<Picked>> {
    let s53 = start53(start);
    let outside: Vec<std::collections::BTreeSet<&str>> = plan
        .questions
        .iter()
        .map(|q| q.outside.iter().map(String::as_str).collect())
        .collect();
    let mut out = Vec::new();
    for (h, s) in plan.strata.iter().enumerate() {
        let values: Vec<String> = plan
            .strata_columns
            .iter()
            .map(|c| s.values.get(c).cloned().unwrap_or_default())
            .collect();
        let keys = records.get(&values).map(Vec::as_slice).unwrap_or(&[]);
        if keys.len() as u64 != s.phase1_n {
            return Err(ReviewError::Phase1Changed {
                stratum: describe(&s.values, &plan.strata_columns),
                found: keys.len(),
                planned: s.phase1_n,
            }
            .into());
        }
        let mut ranked: Vec<(u64, &String)> = keys
            .iter()
            .map(|k| (rank(prn53(seed, k.as_bytes()), s53), k))
            .collect();
        ranked.sort();
        let u = |k: &str| prn53(seed, k.as_bytes()) as f64 / TWO_POW_53 as f64;
        let mut picked: Vec<(String, f64, Vec<String>)> = if plan.questions.is_empty() {
            ranked
                .into_iter()
                .take(s.n as usize)
                .map(|(_, k)| (k.clone(), u(k), Vec::new()))
                .collect()
        } else {
            let mut chosen: BTreeMap<&String, Vec<String>> = BTreeMap::new();
            for (q, out_q) in plan.questions.iter().zip(&outside) {
                let Some(qs) = q.strata.get(h).filter(|qs| qs.values == s.values) else {
                    return Err(ReviewError::QuestionWithoutStratum {
                        question: q.name.clone(),
                        stratum: describe(&s.values, &plan.strata_columns),
                    }
                    .into());
                };
                let applies =
                    |k: &str| qs.phase1_n == s.phase1_n || (qs.phase1_n > 0 && !out_q.contains(k));
                let applicable = keys.iter().filter(|k| applies(k)).count() as u64;
                if applicable != qs.phase1_n {
                    return Err(ReviewError::ApplicableChanged {
                        question: q.name.clone(),
                        stratum: describe(&s.values, &plan.strata_columns),
                        found: applicable,
                        planned: qs.phase1_n,
                    }
                    .into());
                }
                for (_, k) in ranked
                    .iter()
                    .filter(|(_, k)| applies(k))
                    .take(qs.n as usize)
                {
                    chosen.entry(k).or_default().push(q.name.clone());
                }
            }
            chosen
                .into_iter()
                .map(|(k, qs)| (k.clone(), u(k), qs))
                .collect()
        };
        picked.sort_by(|a, b| a.0.cmp(&b.0));
        out.push((values, picked));
    }
    Ok(out)
}

/// The phase-2 manifest's columns: the key, the strata, with questions the questions each
/// record is re-reviewed for, and each record's u, π and weight within its stratum.
fn phase2_columns(plan: &Phase2Plan, picked: &[Picked], prn_hidden: bool) -> ManifestColumns {
    let width = 1 + plan.strata_columns.len();
    let per_question = !plan.questions.is_empty();
    let mut text: Vec<Vec<String>> = vec![Vec::new(); width + usize::from(per_question)];
    let (mut prn, mut pi, mut weight) = (Vec::new(), Vec::new(), Vec::new());
    for ((values, rows), s) in picked.iter().zip(&plan.strata) {
        let m = rows.len() as f64;
        for (k, u, qs) in rows {
            text[0].push(k.clone());
            for (j, v) in values.iter().enumerate() {
                text[1 + j].push(v.clone());
            }
            if per_question {
                text[width].push(qs.join(" "));
            }
            prn.push(*u);
            pi.push(m / s.population as f64);
            weight.push(s.population as f64 / m);
        }
    }
    let mut names = vec![plan.key.clone()];
    names.extend(plan.strata_columns.iter().cloned());
    if per_question {
        names.push(QUESTIONS.to_string());
    }
    ManifestColumns {
        names,
        text,
        prn,
        prn_hidden,
        pi,
        weight,
        n_text_before_numbers: width,
    }
}

/// How the phase-2 manifest is written: its dialect and language, and its "about" sheet
/// (how many records, drawn from which manifest, the seed, the start and the plan).
fn phase2_style(job: &Phase2Job, records: usize) -> ManifestStyle {
    let name = |p: &Path| crate::files::file_name(p);
    let (what, text) = match job.lang {
        Lang::Sv => (
            "Vad",
            format!(
                "{records} akter för omgranskning (fas 2), dragna ur {} med permanenta slumptal",
                name(&job.manifest)
            ),
        ),
        Lang::En => (
            "What",
            format!(
                "{records} records for re-review (phase 2), drawn from {} with permanent random numbers",
                name(&job.manifest)
            ),
        ),
    };
    ManifestStyle {
        dialect: job.csv_dialect,
        lang: job.lang,
        about: vec![
            (what.to_string(), text),
            ("seed".to_string(), job.seed.to_string()),
            ("start".to_string(), job.start.to_string()),
            ("plan".to_string(), name(&job.plan)),
        ],
        carried: Vec::new(),
    }
}

/// The phase-2 manifest's sidecar: the phase-1 draw's extract and files, the records per
/// stratum, and the phase-1 manifest it was drawn from.
fn phase2_sidecar(
    job: &Phase2Job,
    plan: &Phase2Plan,
    side1: &DrawSidecar,
    picked: &[Picked],
    (plan_hash, manifest_hash): (String, String),
) -> DrawSidecar {
    let name = |p: &Path| crate::files::file_name(p);
    DrawSidecar {
        kind: "urval-draw".to_string(),
        version: crate::artifacts::DRAW_SIDECAR_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        prn_spec_version: PRN_SPEC_VERSION,
        prn: if plan.questions.is_empty() {
            "u = (XXH3_64bits_withSeed(key UTF-8 bytes, seed) >> 11) / 2^53; per stratum the m_h phase-1 records with the smallest (u - start) mod 1, ties by key".to_string()
        } else {
            "u = (XXH3_64bits_withSeed(key UTF-8 bytes, seed) >> 11) / 2^53; per stratum and question the m_qh phase-1 records it applies to with the smallest (u - start) mod 1, ties by key; the union".to_string()
        },
        seed: job.seed,
        start: job.start,
        only: None,
        include: Vec::new(),
        pseudonymized: side1.pseudonymized.clone(),
        plan: name(&job.plan),
        plan_hash,
        extract_fingerprint: side1.extract_fingerprint.clone(),
        manifest: name(&job.output),
        manifest_hash,
        rows_read: plan.phase1_total,
        rows_used: plan.phase1_total,
        rows_excluded: 0,
        rows_quarantined: 0,
        rows_outside_only: 0,
        files: side1.files.clone(),
        selected: picked.iter().map(|(_, r)| r.len() as u64).sum(),
        split_files: Vec::new(),
        prn_in_manifest: side1.prn_in_manifest,
        strata: plan
            .strata
            .iter()
            .zip(picked)
            .map(|(s, (_, rows))| DrawnStratum {
                values: s.values.clone(),
                population: s.population,
                n: rows.len() as u64,
                drawn: rows.len() as u64,
                n_stage1: None,
            })
            .collect(),
        stage: None,
        phase: Some(PhaseDraw {
            phase: 2,
            phase1_manifest: name(&job.manifest),
            phase1_hash: plan.manifest_hash.clone(),
        }),
        seed_origin: job.seed_origin.clone(),
        part: None,
    }
}

/// Draw phase 2 from the phase-1 manifest and write the phase-2 manifest and its sidecar.
///
/// # Errors
/// A plan for another manifest (checksums differ), unreadable files, an output of another
/// type.
pub fn draw_phase2(job: &Phase2Job) -> Result<DrawSidecar> {
    let plan = Phase2Plan::read(&job.plan)?;
    if !(0.0..1.0).contains(&job.start) {
        return Err(ReviewError::BadStart { got: job.start }.into());
    }
    let hash = crate::files::file_hash(&job.manifest)?;
    if hash != plan.manifest_hash {
        return Err(ReviewError::OtherPhase1Manifest {
            manifest: job.manifest.clone(),
            plan: crate::files::file_name(&job.plan).to_string(),
        }
        .into());
    }
    let ext = crate::files::extension(&job.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "xlsx") {
        return Err(ArtifactError::ManifestFileType {
            path: job.output.clone(),
        }
        .into());
    }
    let side1 = crate::manifest::require_sidecar(&job.manifest)?.sidecar;
    let (_, _, records) = phase1_records(&job.manifest)?;
    let picked = select(&plan, &records, job.seed, job.start)?;
    let columns = phase2_columns(&plan, &picked, !side1.prn_in_manifest);
    let plan_hash = crate::files::file_hash(&job.plan)?;
    let style = phase2_style(job, picked.iter().map(|(_, r)| r.len()).sum::<usize>());
    crate::files::refuse_overwriting_inputs(
        &[job.output.clone(), sidecar_path(&job.output)],
        &urval_ingest::Extract::resolve(&[job.manifest.display().to_string()], Some(b','))?,
        &[&job.plan],
    )?;
    let staged = crate::manifest::write_manifest(&job.output, &columns, &style)?;
    let manifest_hash = crate::files::file_hash(staged.path())?;
    let sidecar = phase2_sidecar(job, &plan, &side1, &picked, (plan_hash, manifest_hash));
    let side = sidecar_path(&job.output);
    let mut f = crate::files::AtomicFile::create(&side)?;
    std::io::Write::write_all(f.writer(), crate::files::to_json_text(&sidecar)?.as_bytes())?;
    let staged_side = f.finish()?;
    staged.publish()?;
    staged_side.publish()?;
    Ok(sidecar)
}

/// Verify a phase-2 manifest: draw it again from the phase-1 manifest (named in its sidecar,
/// beside it, or given) and compare record by record.
///
/// # Errors
/// Unreadable files, a phase-1 manifest other than the one drawn from.
pub fn verify_phase2(
    manifest: &Path,
    plan_path: &Path,
    phase1: Option<&Path>,
) -> Result<crate::verify::Verified> {
    let side_found = crate::manifest::require_sidecar(manifest)?;
    let side = &side_found.sidecar;
    let Some(ph) = &side.phase else {
        return Err(ReviewError::NotPhase2 {
            manifest: manifest.to_path_buf(),
        }
        .into());
    };
    let plan = Phase2Plan::read(plan_path)?;
    let p1: PathBuf = match phase1 {
        Some(p) => p.to_path_buf(),
        None => manifest
            .parent()
            .unwrap_or(Path::new("."))
            .join(&ph.phase1_manifest),
    };
    if crate::files::file_hash(&p1)? != ph.phase1_hash {
        return Err(ReviewError::NotItsPhase1 { manifest: p1 }.into());
    }
    let (_, _, records) = phase1_records(&p1)?;
    let picked = select(&plan, &records, side.seed, side.start)?;
    let expected: std::collections::BTreeSet<(Vec<String>, String)> = picked
        .into_iter()
        .flat_map(|(v, rows)| rows.into_iter().map(move |(k, _, _)| (v.clone(), k)))
        .collect();
    let rows = manifest_rows(manifest, &plan.key, &plan.strata_columns)?;
    let found: std::collections::BTreeSet<(Vec<String>, String)> = rows
        .iter()
        .map(|r| (r.values.clone(), r.key.clone()))
        .collect();
    let not_as_written = side_found
        .check_manifest(manifest)
        .err()
        .map(|e| e.to_string());
    Ok(crate::verify::Verified {
        seed: side.seed,
        start: side.start,
        expected: expected.len() as u64,
        missing: expected.difference(&found).cloned().collect(),
        extra: found.difference(&expected).cloned().collect(),
        repeated: (rows.len() - found.len()) as u64,
        not_as_written,
        stage: None,
        part: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn request(target: Phase2Target, expected: Option<f64>) -> Phase2Request {
        Phase2Request {
            manifest: PathBuf::from("urval.csv"),
            target,
            expected_disagreement: expected,
            confidence: 0.95,
            per: None,
            spec: None,
            extract: None,
            output: PathBuf::from("phase2-plan.json"),
        }
    }

    #[test]
    fn a_margin_is_cochrans_size_with_the_correction_and_never_above_the_group() {
        let r = request(Phase2Target::AgreementMargin(0.05), None);
        // n0 = 1.96²·0.25/0.05² = 384.1; n = n0/(1 + (n0 − 1)/100) = 79.5 → 80.
        assert_eq!(phase2_size(&r, 100).unwrap(), 80);
        assert_eq!(phase2_size(&r, 0).unwrap(), 0);
        assert_eq!(phase2_size(&r, 1).unwrap(), 1);
        // A tolerable disagreement of 5 % with none expected: the hypergeometric size is
        // more than a group of 10 holds, so all 10.
        let t = request(Phase2Target::TolerableDisagreement(0.05), None);
        assert_eq!(phase2_size(&t, 10).unwrap(), 10);
        let big = phase2_size(&t, 100_000).unwrap();
        // Zero deviations at 95 %: about ln(0.05)/ln(0.95) = 58.4 → 59.
        assert_eq!(big, 59);
    }

    #[test]
    fn a_groups_size_is_spread_over_its_strata_in_proportion_to_their_records() {
        let v = |s: &str| vec![s.to_string()];
        let groups: BTreeMap<Option<String>, Vec<Vec<String>>> = BTreeMap::from([
            (Some("0180".to_string()), vec![v("äldre"), v("barn")]),
            (Some("0181".to_string()), vec![v("missbruk")]),
        ]);
        let counts = BTreeMap::from([(v("äldre"), 30), (v("barn"), 10), (v("missbruk"), 0)]);
        let population_of = BTreeMap::from([(v("äldre"), 700)]);
        let (g, s) = spread(
            &groups,
            &counts,
            &|big| Ok(big / 5),
            &["område".to_string()],
            &population_of,
            Some("kommun"),
        )
        .unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].phase1_n, g[0].n), (40, 8));
        assert_eq!(
            g[0].values,
            BTreeMap::from([("kommun".into(), "0180".into())])
        );
        assert_eq!((g[1].phase1_n, g[1].n), (0, 0));
        let rows: Vec<(&str, u64, u64, u64)> = s
            .iter()
            .map(|x| (x.values["område"].as_str(), x.population, x.phase1_n, x.n))
            .collect();
        // 8 over 30 and 10 is 6 and 2; a stratum the sidecar lacks gets its n' as N.
        assert_eq!(
            rows,
            [
                ("äldre", 700, 30, 6),
                ("barn", 10, 10, 2),
                ("missbruk", 0, 0, 0)
            ]
        );
    }

    fn plan(phase1_n: u64, n: u64) -> Phase2Plan {
        Phase2Plan {
            kind: "urval-phase2-plan".into(),
            version: PHASE2_PLAN_VERSION,
            urval_version: "test".into(),
            manifest: "urval.csv".into(),
            manifest_hash: String::new(),
            key: "ärende_id".into(),
            strata_columns: vec!["område".into()],
            target: Phase2Target::AgreementMargin(0.1),
            expected_disagreement: 0.5,
            confidence: 0.95,
            per: None,
            groups: Vec::new(),
            strata: vec![Phase2Stratum {
                values: BTreeMap::from([("område".into(), "äldre".into())]),
                population: 1000,
                phase1_n,
                n,
            }],
            phase1_total: phase1_n,
            total_n: n,
            questions: Vec::new(),
        }
    }

    #[test]
    fn a_subsample_is_nested_sorted_by_key_and_refuses_a_manifest_of_another_size() {
        let keys: Vec<String> = (0..40).map(|i| format!("ä-{i}")).collect();
        let records = BTreeMap::from([(vec!["äldre".to_string()], keys.clone())]);
        let mut previous: Vec<String> = Vec::new();
        for m in 0..=40 {
            let picked = select(&plan(40, m), &records, 2026, 0.3).unwrap();
            let (values, rows) = &picked[0];
            assert_eq!(values, &vec!["äldre".to_string()]);
            let got: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
            assert_eq!(got.len() as u64, m);
            let mut sorted = got.clone();
            sorted.sort();
            assert_eq!(got, sorted);
            assert!(rows
                .iter()
                .all(|r| (0.0..1.0).contains(&r.1) && r.2.is_empty()));
            // Permanent random numbers: m + 1 records are the m records and one more.
            assert!(previous.iter().all(|k| got.contains(k)), "m = {m}");
            previous = got;
        }
        let e = select(&plan(41, 3), &records, 2026, 0.3)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "stratum område=äldre has 40 records in the phase-1 manifest, the phase-2 plan says 41: plan phase 2 again"
        );
    }

    #[test]
    fn with_questions_a_stratum_takes_its_largest_question_and_a_group_its_strata() {
        let stratum = |area: &str, n| Phase2Stratum {
            values: BTreeMap::from([("område".into(), area.into())]),
            population: 100,
            phase1_n: 20,
            n,
        };
        let question = |ns: [u64; 2]| Phase2Question {
            name: "q".into(),
            where_: None,
            groups: Vec::new(),
            strata: vec![stratum("a", ns[0]), stratum("b", ns[1])],
            outside: Vec::new(),
        };
        let mut groups = vec![Phase2Group {
            values: BTreeMap::new(),
            phase1_n: 40,
            n: 0,
        }];
        let mut strata = vec![stratum("a", 9), stratum("b", 9)];
        union_of_questions(&mut groups, &mut strata, &[]);
        assert_eq!((strata[0].n, groups[0].n), (9, 0), "no questions: as sized");
        union_of_questions(
            &mut groups,
            &mut strata,
            &[question([3, 7]), question([5, 2])],
        );
        assert_eq!((strata[0].n, strata[1].n), (5, 7));
        assert_eq!(groups[0].n, 12);
    }

    #[test]
    fn the_phase_two_manifest_has_each_records_weight_and_its_questions() {
        let mut p = plan(4, 2);
        let picked: Vec<Picked> = vec![(
            vec!["äldre".into()],
            vec![
                ("k1".into(), 0.1, vec!["q1".into()]),
                ("k2".into(), 0.2, vec!["q1".into(), "q2".into()]),
            ],
        )];
        let c = phase2_columns(&p, &picked, true);
        assert_eq!(c.names, ["ärende_id", "område"]);
        assert_eq!(c.text, [vec!["k1", "k2"], vec!["äldre", "äldre"]]);
        assert_eq!(c.pi, [0.002, 0.002]);
        assert_eq!(c.weight, [500.0, 500.0]);
        assert!(c.prn_hidden);
        p.questions.push(Phase2Question {
            name: "q1".into(),
            where_: None,
            groups: Vec::new(),
            strata: Vec::new(),
            outside: Vec::new(),
        });
        let c = phase2_columns(&p, &picked, false);
        assert_eq!(c.names.last().map(String::as_str), Some(QUESTIONS));
        assert_eq!(c.text[2], ["q1", "q1 q2"]);
        assert_eq!(c.n_text_before_numbers, 2);
    }

    #[test]
    fn the_about_sheet_says_what_was_drawn_in_the_manifests_language() {
        let job = |lang| Phase2Job {
            plan: PathBuf::from("/x/phase2-plan.json"),
            manifest: PathBuf::from("/x/urval.csv"),
            seed: 7,
            start: 0.25,
            output: PathBuf::from("/x/fas2.csv"),
            csv_dialect: CsvDialect::Standard,
            lang,
            seed_origin: Default::default(),
        };
        let about = phase2_style(&job(Lang::Sv), 12).about;
        assert_eq!(
            about[0],
            (
                "Vad".to_string(),
                "12 akter för omgranskning (fas 2), dragna ur urval.csv med permanenta slumptal"
                    .to_string()
            )
        );
        assert_eq!(
            about[3],
            ("plan".to_string(), "phase2-plan.json".to_string())
        );
        let about = phase2_style(&job(Lang::En), 1).about;
        assert!(about[0]
            .1
            .starts_with("1 records for re-review (phase 2), drawn from urval.csv"));
        assert_eq!(about[2], ("start".to_string(), "0.25".to_string()));
    }
}
