//! The proportionality report's model ([`urval_report::Report`]) from a plan and, when
//! they exist, a manifest and the indicators of the review; rendering is urval-report's.

mod indicators;
mod names;
pub mod report_error;

use indicators::{indicator_rows, ReportIndicators};
pub use names::COUNTIES;
use names::{covers_the_country, read_labels, stratum_label, Namer};
pub use report_error::ReportError;

use crate::artifacts::PlanFile;
use crate::error::ArtifactError;
use crate::error::{Context, Result};
use crate::files::file_hash;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_design::{share_margin, BurdenRates};
use urval_report::{
    long_date, long_datetime, render_html, render_markdown, Burden, Curve, Draw, Lang, Letter,
    Precision, Purpose, Rates, Report, Scope, StratumPrecision, StratumRow,
};

/// What to report on and where. A pipeline's `report` step is read into it (serde): its
/// keys are the fields read; the output is the step's, and a package's letter fields do not
/// apply to a pipeline.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportJob {
    /// The plan.
    #[serde(deserialize_with = "crate::setting::path")]
    pub plan: PathBuf,
    /// The records requested in total (split over strata by N_h); default the plan's.
    pub requested: Option<u64>,
    /// The records requested per stratum: a CSV with the strata columns and `requested`.
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub requested_file: Option<PathBuf>,
    /// The manifest of the draw (with its sidecar).
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub manifest: Option<PathBuf>,
    /// The indicators of the review.
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub indicators: Option<PathBuf>,
    /// The report's language.
    #[serde(
        default = "crate::setting::default::lang",
        deserialize_with = "crate::setting::lang"
    )]
    pub lang: Lang,
    /// `.html`, `.md` or `.json`.
    #[serde(skip)]
    pub output: PathBuf,
    /// `COL=VALUE`: a report for that part of the request (one municipality's).
    pub only: Option<String>,
    /// The purpose in words.
    pub purpose: Option<String>,
    /// The recipient.
    pub recipient: Option<String>,
    /// The case number.
    pub case_number: Option<String>,
    /// The sender.
    pub sender: Option<String>,
    /// The date, `YYYY-MM-DD` (default: today in Sweden).
    pub date: Option<String>,
    /// A package's letter: the name its verify command gives the receiver's own extract
    /// (the command then needs only the list and that file).
    #[serde(skip)]
    pub own_extract: Option<String>,
    /// The date by which the records are asked for, `YYYY-MM-DD`, or as it is to be shown
    /// (a blank to fill in).
    #[serde(skip)]
    pub deadline: Option<String>,
    /// Labels for stratum values: a CSV with `value` and `label` columns.
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub labels: Option<PathBuf>,
    /// A previous request's manifest: the report says how many records the two share.
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub previous: Option<PathBuf>,
    /// A two-phase review: the phase-2 plan (`urval plan --phase2`) of this plan's draw.
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub phase2_plan: Option<PathBuf>,
    /// After the re-review: the agreement table (`urval agreement -o FILE.json`).
    #[serde(default, deserialize_with = "crate::setting::opt_path")]
    pub agreement: Option<PathBuf>,
    /// Small-cell suppression of the indicators: `None` keeps a suppressed table as written
    /// and suppresses one written with every cell at 5; `Some(0)` shows every cell (not for
    /// publication).
    pub suppress_below: Option<u64>,
}

/// Per plan stratum the records requested, from a CSV with the strata columns and `requested`.
fn requested_from_file(path: &Path, plan: &PlanFile) -> Result<Vec<u64>> {
    let (header, _, mut rdr) = crate::files::csv_table(path)?;
    let pos = |c: &str| {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == c)
    };
    let Some(req_at) = pos("requested") else {
        return Err(ReportError::NoRequestedColumn {
            path: path.to_path_buf(),
            present: header.clone(),
        }
        .into());
    };
    let cols: Vec<usize> = plan
        .strata_columns
        .iter()
        .map(|c| {
            pos(c).ok_or_else(|| {
                ReportError::NoStrataColumn {
                    path: path.to_path_buf(),
                    column: c.clone(),
                    present: header.clone(),
                }
                .into()
            })
        })
        .collect::<Result<_>>()?;
    let index: BTreeMap<Vec<String>, usize> = plan
        .strata_values()
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, i))
        .collect();
    let mut out = vec![0u64; plan.strata.len()];
    let mut seen = vec![false; plan.strata.len()];
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}: line {line}", path.display()))?;
        let values: Vec<String> = cols
            .iter()
            .map(|&j| rec.get(j).unwrap_or("").to_string())
            .collect();
        let Some(&s) = index.get(&values) else {
            return Err(ReportError::StratumNotInPlan {
                path: path.to_path_buf(),
                line,
                values,
            }
            .into());
        };
        if seen[s] {
            return Err(ReportError::StratumTwice {
                path: path.to_path_buf(),
                line,
                values,
            }
            .into());
        }
        seen[s] = true;
        let v = rec.get(req_at).unwrap_or("").trim();
        let n: u64 = v.parse().map_err(|_| ReportError::BadRequested {
            path: path.to_path_buf(),
            line,
            given: v.to_string(),
        })?;
        let big = plan.strata[s].population;
        if n > big {
            return Err(ReportError::StratumOverPopulation {
                path: path.to_path_buf(),
                line,
                values,
                requested: n,
                population: big,
            }
            .into());
        }
        out[s] = n;
    }
    Ok(out)
}

/// Split a requested total over the strata in proportion to N_h, by the one rounding rule
/// of every allocation ([`apportion`]).
fn split_requested(total: u64, plan: &PlanFile) -> Vec<u64> {
    let populations: Vec<u64> = plan.strata.iter().map(|s| s.population).collect();
    crate::burden::split_request(total, &populations)
}

fn burden_of(records: u64, mean_pages: Option<f64>, rates: &BurdenRates) -> Burden {
    let b = crate::burden::stratum_burden(records, mean_pages, rates);
    Burden {
        records: b.records,
        pages: b.pages,
        working_days: b.working_days,
    }
}

/// Build the report's model from the plan and, when given, the manifest and indicators.
///
/// # Errors
/// An unreadable or inconsistent plan, requested-file, manifest (or its sidecar, or one
/// drawn from another plan) or indicators table.
pub fn build(args: &ReportJob) -> Result<Report> {
    let lang = args.lang;
    let plan = PlanFile::read(&args.plan)?;
    let plan_hash = file_hash(&args.plan)?;
    let requested = requested_records(args, &plan)?;
    let split_note = match (&args.requested_file, &requested, plan.strata.len() > 1) {
        (None, Some(_), true) => Some(urval_report::sentences::split_note(lang)),
        _ => None,
    };
    let labels = match &args.labels {
        Some(p) => read_labels(p)?,
        None => BTreeMap::new(),
    };
    let namer = strata_namer(&plan, &labels);
    // The records shared with a previous request, per stratum of the whole plan.
    let shared = match (&args.previous, &args.manifest) {
        (None, _) => None,
        (Some(_), None) => return Err(ReportError::PreviousWithoutManifest.into()),
        (Some(prev), Some(m)) => Some((prev, crate::overlap::overlap(&plan, m, prev)?)),
    };
    let single_split = single_stage_split(&plan);
    let mut plan = plan;
    let mut requested = requested;
    let scope = match &args.only {
        None => None,
        Some(o) => Some(keep_part(o, &mut plan, &mut requested, &namer)?),
    };
    let letter = letter(args)?;
    let overlap = shared.map(|(prev, o)| overlap_model(prev, &o, &plan));
    let (strata, total) = strata_rows(&plan, requested.as_deref(), &namer);
    let staged = staged_model(&plan, &single_split, args.only.is_some());
    let two_phase = two_phase_model(&plan, args)?;
    let purposes = purposes_model(&plan, lang);
    let (curve, precision) = design_precision(&plan, requested.as_deref(), &strata, lang)?;
    let draw = match &args.manifest {
        None => None,
        Some(m) => Some(draw_model(args, m, &plan, &plan_hash)?),
    };
    let shown = indicators_part(args, &plan, &labels)?;
    Ok(Report {
        lang,
        created: created(&plan.created, lang),
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        plan_file: crate::files::file_name(&args.plan),
        plan_hash,
        extract_fingerprint: plan.extract.fingerprint.clone(),
        extract_files: extract_files(&plan),
        key: plan.key.clone(),
        purpose: purpose_model(&plan),
        rates: Rates {
            pages_per_record: plan.burden.rates.pages_per_record,
            minutes_per_record: plan.burden.rates.minutes_per_record,
            hours_per_day: plan.burden.rates.hours_per_day,
        },
        total,
        strata,
        requested_split: split_note,
        curve,
        precision,
        scope,
        letter,
        draw,
        indicators: shown.rows,
        indicators_confidence: shown.confidence,
        not_for_publication: shown.suppress_below == 0,
        suppress_below: shown.suppress_below,
        overlap,
        attachments: Vec::new(),
        staged,
        two_phase,
        purposes,
    })
}

/// The records requested per plan stratum: from `--requested-file`, `--requested` split
/// over the strata, or the plan's own request split the same way (`None`: no request).
fn requested_records(args: &ReportJob, plan: &PlanFile) -> Result<Option<Vec<u64>>> {
    Ok(match (&args.requested_file, args.requested) {
        (Some(f), _) => Some(requested_from_file(f, plan)?),
        (None, Some(r)) if r > plan.total_population => {
            return Err(ReportError::RequestedOverPopulation {
                requested: r,
                population: plan.total_population,
            }
            .into())
        }
        (None, Some(r)) => Some(split_requested(r, plan)),
        (None, None) => plan
            .burden
            .requested
            .as_ref()
            .map(|q| split_requested(q.requested, plan)),
    })
}

/// The names of the plan's strata values: known place names, then `labels`.
fn strata_namer(plan: &PlanFile, labels: &BTreeMap<String, String>) -> Namer {
    Namer::new(
        plan.strata_columns.iter().map(|c| {
            let values = plan
                .strata
                .iter()
                .map(|s| s.values.get(c).map_or("", String::as_str))
                .collect();
            (c.clone(), values)
        }),
        labels.clone(),
    )
}

/// A staged attribute plan's single-stage request, split over the whole plan's strata
/// (before `--only` keeps a part of them); empty for any other plan.
fn single_stage_split(plan: &PlanFile) -> BTreeMap<Vec<String>, u64> {
    plan.design
        .stages
        .as_ref()
        .and_then(|st| st.attribute.as_ref())
        .map(|a| {
            let populations: Vec<u64> = plan.strata.iter().map(|s| s.population).collect();
            plan.strata_values()
                .into_iter()
                .zip(crate::burden::split_request(a.single_stage_n, &populations))
                .collect()
        })
        .unwrap_or_default()
}

/// One part of the request (`--only COL=VALUE`): the plan and the requested records keep
/// that part's strata; the scope keeps the whole request, for the line that places it.
fn keep_part(
    only: &str,
    plan: &mut PlanFile,
    requested: &mut Option<Vec<u64>>,
    namer: &Namer,
) -> Result<Scope> {
    let (col, val) = crate::draw::parse_only(only, plan)?;
    let keep: Vec<bool> = plan
        .strata
        .iter()
        .map(|s| s.values.get(&col) == Some(&val))
        .collect();
    let label = if namer.names(&col, &val) {
        namer.name(&col, &val)
    } else {
        format!("{col} = {val}")
    };
    let scope = Scope {
        label,
        population: plan.total_population,
        needed: plan.total_n,
        requested: requested.as_ref().map(|v| v.iter().sum()),
        national: covers_the_country(plan),
    };
    let mut k = keep.iter();
    plan.strata.retain(|_| *k.next().unwrap_or(&false));
    if let Some(v) = requested.as_mut() {
        let mut k = keep.iter();
        v.retain(|_| *k.next().unwrap_or(&false));
    }
    plan.total_population = plan.strata.iter().map(|s| s.population).sum();
    plan.total_n = plan.strata.iter().map(|s| s.n).sum();
    Ok(scope)
}

/// The letter: the job's purpose, recipient, case number and sender, the date (default
/// today in Sweden) and the deadline, dates written in the report's language.
fn letter(args: &ReportJob) -> Result<Letter> {
    let lang = args.lang;
    let date = match &args.date {
        Some(d) => d.clone(),
        None => crate::files::stockholm_date(crate::files::wall_clock_secs()),
    };
    Ok(Letter {
        purpose: args.purpose.clone(),
        recipient: args.recipient.clone(),
        case_number: args.case_number.clone(),
        sender: args.sender.clone(),
        date: {
            let days = urval_ingest::parse_date(&date).ok_or_else(|| ReportError::BadDate {
                given: date.clone(),
            })?;
            let (y, m, d) = urval_ingest::civil_from_days(i64::from(days));
            long_date(lang, y, m, d)
        },
        deadline: args
            .deadline
            .as_ref()
            .map(|d| match urval_ingest::parse_date(d) {
                Some(days) => {
                    let (y, m, d) = urval_ingest::civil_from_days(i64::from(days));
                    long_date(lang, y, m, d)
                }
                None => d.clone(),
            }),
    })
}

/// The records shared with a previous request, summed over the report's strata.
fn overlap_model(
    previous: &Path,
    o: &crate::overlap::Overlap,
    plan: &PlanFile,
) -> urval_report::Overlap {
    let kept: std::collections::BTreeSet<Vec<String>> = plan.strata_values().into_iter().collect();
    let rows = o.strata.iter().filter(|s| kept.contains(&s.values));
    let (mut shared, mut forced, mut expected) = (0, 0, 0.0);
    for s in rows {
        shared += s.both;
        forced += s.forced;
        expected += s.expected;
    }
    urval_report::Overlap {
        previous: crate::files::file_name(previous),
        shared,
        forced,
        expected,
    }
}

/// Per stratum the records, pages and working days needed (the plan's) and requested (at
/// the stratum's mean pages), and their total.
fn strata_rows(
    plan: &PlanFile,
    requested: Option<&[u64]>,
    namer: &Namer,
) -> (Vec<StratumRow>, StratumRow) {
    let rates = &plan.burden.rates;
    let mut strata = Vec::with_capacity(plan.strata.len());
    let (mut need_t, mut req_t) = (Burden::default(), Burden::default());
    for (i, s) in plan.strata.iter().enumerate() {
        let needed = Burden {
            records: s.n,
            pages: s.pages,
            working_days: s.working_days,
        };
        let req = requested.map(|v| burden_of(v[i], s.mean_pages, rates));
        need_t.records += needed.records;
        need_t.pages += needed.pages;
        need_t.working_days += needed.working_days;
        if let Some(q) = req {
            req_t.records += q.records;
            req_t.pages += q.pages;
            req_t.working_days += q.working_days;
        }
        strata.push(StratumRow {
            label: stratum_label(&s.values, &plan.strata_columns, namer),
            population: s.population,
            needed,
            requested: req,
        });
    }
    let total = StratumRow {
        label: "total".into(),
        population: plan.total_population,
        needed: need_t,
        requested: requested.map(|_| req_t),
    };
    (strata, total)
}

/// The extract's file names, as the plan records them.
fn extract_files(plan: &PlanFile) -> Vec<String> {
    plan.extract
        .files
        .iter()
        .map(|f| crate::files::file_name(Path::new(&f.path)))
        .collect()
}

/// How the draw in `manifest` was made and is verified, from its sidecar: the manifest
/// must come from this plan.
fn draw_model(args: &ReportJob, manifest: &Path, plan: &PlanFile, plan_hash: &str) -> Result<Draw> {
    let m = manifest;
    let found = crate::manifest::require_sidecar(m)?;
    found.check_manifest(m)?;
    let side = found.sidecar;
    // A package's list (a part of the draw that carries its plan): verified in its
    // folder on the receiver's own extract.
    let own_extract = match (
        &args.own_extract,
        side.only.is_some() || side.part.is_some(),
    ) {
        (Some(own), true) => Some(own.clone()),
        _ => None,
    };
    if side.plan_hash != plan_hash {
        return Err(ReportError::OtherPlan {
            manifest: m.to_path_buf(),
            plan: args.plan.clone(),
        }
        .into());
    }
    let files = extract_files(plan);
    Ok(Draw {
        seed: side.seed,
        start: side.start,
        // The formula; the selection rule is told in the report's language.
        prn: side
            .prn
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        prn_spec_version: u64::from(side.prn_spec_version),
        manifest: crate::files::file_name(m),
        selected: side.selected,
        plan_hash: plan_hash.to_string(),
        own_extract: own_extract.clone(),
        verify_command: match &own_extract {
            Some(own) => format!(
                "urval verify --manifest {} --extract {own}",
                crate::text::shell_quote(&crate::files::file_name(m))
            ),
            None => format!(
                "urval verify --extract {} --plan {} --manifest {}",
                files
                    .iter()
                    .map(|f| crate::text::shell_quote(f))
                    .collect::<Vec<_>>()
                    .join(" "),
                crate::text::shell_quote(&crate::files::file_name(&args.plan)),
                crate::text::shell_quote(&crate::files::file_name(m))
            ),
        },
        seed_chain: match &side.seed_origin {
            crate::commitment::SeedOrigin::Chosen => None,
            crate::commitment::SeedOrigin::Derived {
                commitment,
                committed,
                randomness,
                stage,
                ..
            } => Some(urval_report::SeedChain {
                commitment: commitment.clone(),
                committed: committed.clone(),
                randomness: randomness.clone(),
                stage: *stage,
            }),
        },
    })
}

/// The achieved estimates of `--indicators` (under `--only`, that part's groups and the
/// whole request's totals); none without it.
fn indicators_part(
    args: &ReportJob,
    plan: &PlanFile,
    labels: &BTreeMap<String, String>,
) -> Result<ReportIndicators> {
    let Some(p) = &args.indicators else {
        return Ok(ReportIndicators {
            rows: Vec::new(),
            confidence: None,
            suppress_below: crate::indicators::DEFAULT_SUPPRESS_BELOW,
        });
    };
    let only = match &args.only {
        Some(o) => Some(crate::draw::parse_only(o, plan)?),
        None => None,
    };
    indicator_rows(
        p,
        args.lang,
        labels,
        only.as_ref().map(|(c, v)| (c.as_str(), v.as_str())),
        args.suppress_below,
    )
}

/// The plan's time in Sweden, as the language writes it (an unreadable one as it is).
fn created(plan_created: &str, lang: Lang) -> String {
    match crate::files::parse_rfc3339(plan_created) {
        Some(secs) => {
            let (y, m, d, h, min) = crate::files::stockholm_local(secs);
            long_datetime(lang, y, m, d, h, min)
        }
        None => plan_created.to_string(),
    }
}

/// What the request is for, from the plan's design.
fn purpose_model(plan: &PlanFile) -> Purpose {
    Purpose {
        margin: plan.design.margin,
        total: plan.design.total,
        confidence: plan.design.confidence,
        proportion: plan.design.proportion,
        allocation: plan.design.allocation.clone(),
        margin_achieved: plan.design.margin_achieved,
        population_filter: plan.where_.clone(),
        strata_columns: plan.strata_columns.clone(),
        tolerable_rate: plan
            .design
            .stages
            .as_ref()
            .and_then(|st| st.attribute.as_ref())
            .map(|a| a.tolerable_rate),
    }
}

/// A plan for several purposes: each purpose's line (its label in the report's language),
/// for the whole request.
fn purposes_model(plan: &PlanFile, lang: Lang) -> Option<urval_report::Purposes> {
    let ps = plan.design.purposes.as_ref()?;
    let rows = ps
        .purposes
        .iter()
        .map(|p| urval_report::PurposeLine {
            label: match lang {
                Lang::Sv => p.label_sv.clone(),
                Lang::En => p.label_en.clone(),
            }
            .unwrap_or_else(|| p.name.clone()),
            kind: p.kind.clone(),
            level: p.level.clone(),
            population: p.population.clone(),
            domain_population: p.domain_population,
            target: p.target,
            tolerable_rate: p.tolerable_rate,
            confidence: p.confidence,
            achieved: p.achieved,
            met: p.met,
            alone: Burden {
                records: p.alone_total,
                pages: p.alone_pages,
                working_days: p.alone_working_days,
            },
            binds_strata: p.binds_strata,
            model_direct: p.model.as_ref().map(|m| Burden {
                records: m.direct_total,
                pages: m.direct_pages,
                working_days: m.direct_working_days,
            }),
        })
        .collect();
    let n = &plan.burden.needed;
    Some(urval_report::Purposes {
        cost: ps.cost.clone(),
        proved_optimal: ps.proved_optimal,
        cost_total: ps.cost_total,
        cost_lower_bound: ps.cost_lower_bound,
        rows,
        joint: Burden {
            records: n.records,
            pages: n.pages,
            working_days: n.working_days,
        },
    })
}

/// A two-phase review over the report's strata: the phase-1 records (the plan's, reviewed
/// where they are), the phase-2 records requested (m_h at each stratum's mean pages), and
/// after the re-review the agreement table's total rows.
///
/// # Errors
/// Unreadable files; a phase-2 plan of another manifest than `--manifest`; an agreement
/// table without a phase-2 plan.
fn two_phase_model(plan: &PlanFile, args: &ReportJob) -> Result<Option<urval_report::TwoPhase>> {
    let Some(p2_path) = &args.phase2_plan else {
        if args.agreement.is_some() {
            return Err(ReportError::AgreementWithoutPhase2.into());
        }
        return Ok(None);
    };
    let p2 = crate::phase2::Phase2Plan::read(p2_path)?;
    if let Some(m) = &args.manifest {
        if file_hash(m)? != p2.manifest_hash {
            return Err(ReportError::Phase2OtherManifest {
                phase2_plan: p2_path.clone(),
                manifest: m.clone(),
            }
            .into());
        }
    }
    let rates = &plan.burden.rates;
    let m_of: BTreeMap<Vec<String>, u64> = p2
        .strata
        .iter()
        .map(|s| {
            (
                plan.strata_columns
                    .iter()
                    .map(|c| s.values.get(c).cloned().unwrap_or_default())
                    .collect(),
                s.n,
            )
        })
        .collect();
    let (mut one, mut two) = (Burden::default(), Burden::default());
    for (s, values) in plan.strata.iter().zip(plan.strata_values()) {
        let b1 = burden_of(s.n, s.mean_pages, rates);
        one.records += b1.records;
        one.pages += b1.pages;
        one.working_days += b1.working_days;
        let m = m_of.get(&values).copied().unwrap_or(0).min(s.n);
        let b2 = burden_of(m, s.mean_pages, rates);
        two.records += b2.records;
        two.pages += b2.pages;
        two.working_days += b2.working_days;
    }
    let agreement = match &args.agreement {
        None => Vec::new(),
        Some(a) => {
            let text = std::fs::read_to_string(a)
                .with_context(|| format!("cannot read {}", a.display()))?;
            let rows: Vec<Value> = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not an agreement table (urval agreement -o FILE.json)",
                    a.display()
                )
            })?;
            rows.iter()
                .filter(|r| r["level"] == "total")
                .map(|r| {
                    let f = |k: &str| r[k].as_f64();
                    // The question in the report's language (its name when the table has
                    // no label).
                    let label = r[match args.lang {
                        Lang::Sv => "label_sv",
                        Lang::En => "label_en",
                    }]
                    .as_str()
                    .filter(|l| !l.is_empty());
                    urval_report::AgreementLine {
                        indicator: label
                            .or_else(|| r["indicator"].as_str())
                            .unwrap_or_default()
                            .to_string(),
                        n: r["n"].as_u64().unwrap_or(0),
                        agreement: f("agreement"),
                        kappa: f("kappa"),
                        kappa_lower: f("kappa_lower"),
                        kappa_upper: f("kappa_upper"),
                        disagreement_upper: f("disagreement_upper"),
                        self_estimate: f("self_estimate"),
                        corrected: f("corrected"),
                        corrected_lower: f("corrected_lower"),
                        corrected_upper: f("corrected_upper"),
                    }
                })
                .collect()
        }
    };
    let (margin, tolerable) = match p2.target {
        crate::phase2::Phase2Target::AgreementMargin(e) => (Some(e), None),
        crate::phase2::Phase2Target::TolerableDisagreement(t) => (None, Some(t)),
    };
    Ok(Some(urval_report::TwoPhase {
        phase1: one,
        phase2: two,
        margin,
        tolerable,
        confidence: p2.confidence,
        per: p2.per.clone(),
        agreement,
    }))
}

/// A staged plan's two stages over the report's strata: each stage's burden summed per
/// stratum at its own mean pages (as plan.json does), and for an attribute plan the rule,
/// the risk as drawn, and the expected burden at R (stage 1 plus stage 2 times the chance it
/// is taken — the decision is the whole request's, so that chance holds in every stratum)
/// beside the single-stage request split the same way.
fn staged_model(
    plan: &PlanFile,
    single_split: &BTreeMap<Vec<String>, u64>,
    scoped: bool,
) -> Option<urval_report::Staged> {
    let st = plan.design.stages.as_ref()?;
    let rates = &plan.burden.rates;
    let (mut one, mut two, mut single) = (Burden::default(), Burden::default(), Burden::default());
    let add = |t: &mut Burden, b: Burden| {
        t.records += b.records;
        t.pages += b.pages;
        t.working_days += b.working_days;
    };
    // A domain design's purpose is every stratum's own margin: the largest after stage 1
    // and after both stages (strata with records only).
    let domain = plan.design.allocation == "domain";
    let (mut worst1, mut worst) = (0.0f64, 0.0f64);
    for (s, values) in plan.strata.iter().zip(plan.strata_values()) {
        let n1 = s.n_stage1.unwrap_or(s.n).min(s.n);
        if domain && s.n > 0 {
            let d = &plan.design;
            let m = |n: u64| share_margin(n, d.confidence, d.proportion, 1.0, Some(s.population));
            worst1 = worst1.max(if n1 == 0 { f64::INFINITY } else { m(n1) });
            worst = worst.max(m(s.n));
        }
        add(&mut one, burden_of(n1, s.mean_pages, rates));
        add(&mut two, burden_of(s.n - n1, s.mean_pages, rates));
        if let Some(&k) = single_split.get(&values) {
            add(&mut single, burden_of(k, s.mean_pages, rates));
        }
    }
    let rule = st.attribute.as_ref().map(|a| {
        let r = a.two_stage();
        let c = a.continue_at_expected;
        urval_report::StagedRule {
            tolerable_rate: a.tolerable_rate,
            expected_rate: a.expected_rate,
            n1: r.n1,
            accept1: r.accept1,
            reject1: r.reject1,
            n2: r.n2,
            accept2: r.accept2,
            risk: a.risk.max(a.risk_stratified),
            continue_probability: c,
            expected_records: one.records as f64 + c * two.records as f64,
            expected_pages: one.pages + c * two.pages,
            expected_working_days: one.working_days + c * two.working_days,
            single,
        }
    });
    Some(urval_report::Staged {
        stage1: one,
        stage2: two,
        first_stage: st.first_stage.clone(),
        first_fraction: st.first_fraction,
        first_margin: st.first_margin,
        margin_stage1: if scoped { None } else { st.margin_stage1 },
        stratum_margins: (domain && worst1.is_finite()).then_some((worst1, worst)),
        rule,
    })
}

/// The report's margins from the plan's own design — never from a simpler formula:
///
/// - an overall target (any allocation but domain): the stratified margin of the overall
///   share, z·√(Σ W_h² S_h² (1/n_h − 1/N_h)) (Cochran 1977, eq. 5.6), as a function of the
///   total under the plan's allocation, bounds and integer rounding
///   ([`urval_design::margin_curve`]); the needed point at the plan's n_h, the requested one
///   at the requested n_h;
/// - a domain target (every stratum sized for its own margin): each stratum's margin
///   ([`share_margin`] with N_h) at the needed and the requested n_h, worst first; the curve
///   is the total that gives every stratum a margin E ([`urval_design::domain_curve`]), the
///   needed and requested points at the worst stratum's margin.
fn design_precision(
    plan: &PlanFile,
    requested: Option<&[u64]>,
    rows: &[StratumRow],
    lang: Lang,
) -> Result<(Curve, Precision)> {
    use urval_design::{
        domain_curve, margin_curve, min_used, stratified_margin, AllocationMethod, StratumSpec,
    };
    let d = &plan.design;
    let big = plan.total_population;
    if let Some(ps) = &d.purposes {
        // Several purposes: the purposes table states the precision of each; no one curve
        // of a single share applies.
        let _ = ps;
        return Ok((
            Curve {
                population: big,
                points: Vec::new(),
                needed: (plan.total_n, f64::NAN),
                requested: None,
                formula: String::new(),
            },
            Precision {
                kind: "purposes".into(),
                strata: Vec::new(),
            },
        ));
    }
    let method = AllocationMethod::from_name(&d.allocation).ok_or_else(|| {
        ReportError::UnknownAllocation {
            allocation: d.allocation.clone(),
        }
    })?;
    let specs: Vec<StratumSpec> = plan
        .strata
        .iter()
        .enumerate()
        .map(|(i, s)| StratumSpec {
            name: i.to_string(),
            population: s.population,
            proportion: d.proportion,
            cost: 1.0,
        })
        .collect();
    let needed: Vec<u64> = plan.strata.iter().map(|s| s.n).collect();
    let lo = min_used(d.min, d.max, d.margin.is_some());
    let steps = 240u64;
    let grid: Vec<u64> = (1..=steps)
        .map(|k| (big * k).div_ceil(steps).max(1))
        .collect();
    let own = |n: u64, pop: u64| {
        if n == 0 {
            None
        } else {
            Some(share_margin(n, d.confidence, d.proportion, 1.0, Some(pop)))
        }
    };
    if method == AllocationMethod::Domain {
        let mut per: Vec<StratumPrecision> = plan
            .strata
            .iter()
            .zip(rows)
            .enumerate()
            .map(|(i, (s, row))| StratumPrecision {
                label: row.label.clone(),
                population: s.population,
                needed: s.n,
                needed_margin: own(s.n, s.population).unwrap_or(f64::NAN),
                requested: requested.map(|r| r[i]),
                requested_margin: requested.and_then(|r| own(r[i], s.population)),
            })
            .collect();
        let key = |p: &StratumPrecision| match requested {
            Some(_) => p.requested_margin.unwrap_or(f64::INFINITY),
            None => p.needed_margin,
        };
        per.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.label.cmp(&b.label)));
        let worst = |f: &dyn Fn(&StratumPrecision) -> Option<f64>| {
            per.iter()
                .filter_map(f)
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
        };
        let worst_needed =
            worst(&|p| Some(p.needed_margin).filter(|m| m.is_finite())).unwrap_or(0.0);
        let any_empty = requested.is_some_and(|r| r.contains(&0));
        let worst_requested = if any_empty {
            None
        } else {
            worst(&|p| p.requested_margin)
        };
        let margins: Vec<f64> = (0..steps)
            .map(|k| 0.005 * (0.5f64 / 0.005).powf(k as f64 / (steps - 1) as f64))
            .collect();
        let points = domain_curve(&specs, d.confidence, lo, d.max, &margins);
        let curve = Curve {
            population: big,
            points,
            needed: (plan.total_n, worst_needed),
            requested: requested
                .zip(worst_requested)
                .map(|(r, m)| (r.iter().sum(), m)),
            formula: urval_report::sentences::domain_formula(lang, d.z, d.proportion),
        };
        return Ok((
            curve,
            Precision {
                kind: "per_stratum".into(),
                strata: per,
            },
        ));
    }
    let at = |counts: &[u64]| stratified_margin(&specs, counts, d.z);
    let mut totals = grid;
    totals.push(plan.total_n.max(1));
    let points = margin_curve(&specs, method, lo, d.max, d.z, &totals);
    let needed_margin = at(&needed).unwrap_or(f64::NAN);
    let requested_point = requested.and_then(|r| at(r).map(|m| (r.iter().sum(), m)));
    let curve = Curve {
        population: big,
        points,
        needed: (plan.total_n, needed_margin),
        requested: requested_point,
        formula: urval_report::sentences::overall_formula(
            lang,
            &d.allocation,
            d.z,
            d.proportion,
            big,
        ),
    };
    Ok((
        curve,
        Precision {
            kind: "overall".into(),
            strata: Vec::new(),
        },
    ))
}

/// The attached tables' file names beside the report `output`: `NAME.strata.csv`,
/// `NAME.margins.csv`, `NAME.indicators.csv` and one workbook `NAME.tables.xlsx`.
pub fn attachment_names(output: &Path) -> (Vec<(&'static str, String)>, String) {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (
        ["strata", "margins", "indicators"]
            .into_iter()
            .map(|t| (t, format!("{stem}.{t}.csv")))
            .collect(),
        format!("{stem}.tables.xlsx"),
    )
}

/// Build the report and write it (HTML, Markdown or JSON by the output's extension); the
/// tables too long for the page are attached beside it as CSV (`excel-sv` for a Swedish
/// report, standard for an English one) and in one workbook. Attachments of an earlier
/// report of the same name that this one does not have are removed (a JSON report has
/// none and leaves them).
///
/// # Errors
/// As [`build`], an unknown extension, or a file that cannot be written.
pub fn report_to_file(args: &ReportJob) -> Result<Report> {
    let ext = crate::files::extension(&args.output);
    if !matches!(ext.as_str(), "html" | "htm" | "md" | "json") {
        return Err(ArtifactError::OutputType {
            path: args.output.clone(),
            what: "report",
            extensions: ".html, .md or .json",
        }
        .into());
    }
    let mut report = build(args)?;
    // The print running head carries the case number and the scope's label into a CSS
    // string, where they are escaped character by character (`\2013 ` for an en dash):
    // masked here, as values, before any escaping could hide a personnummer's form from the
    // redaction of the rendered page.
    let mask = |t: &mut String| {
        if let std::borrow::Cow::Owned(m) = urval_ingest::personal::redact(t) {
            *t = m;
        }
    };
    if let Some(c) = report.letter.case_number.as_mut() {
        mask(c);
    }
    if let Some(sc) = report.scope.as_mut() {
        mask(&mut sc.label);
    }
    let dir = args.output.parent().unwrap_or(Path::new(""));
    let (csv_names, xlsx_name) = attachment_names(&args.output);
    let mut long = if ext == "json" {
        Vec::new()
    } else {
        urval_report::tables::long_tables(&report)
    };
    // Attachments leave the analyst's machine: text cells masked as values (numbers are
    // cells of their own and never touched).
    for (_, sheet) in &mut long {
        for row in &mut sheet.rows {
            for c in row.iter_mut() {
                if let urval_report::xlsx::Cell::Text(t) = c {
                    if let std::borrow::Cow::Owned(m) = urval_ingest::personal::redact(t) {
                        *t = m;
                    }
                }
            }
        }
    }
    for (table, sheet) in &long {
        let csv = csv_names
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        let mut bytes = Vec::new();
        match report.lang {
            Lang::Sv => urval_report::xlsx::write_excel_sv(&mut bytes, &sheet.columns, &sheet.rows),
            Lang::En => {
                urval_report::xlsx::write_csv_standard(&mut bytes, &sheet.columns, &sheet.rows)
            }
        }
        .with_context(|| format!("writing {csv}"))?;
        crate::files::write_atomic(&dir.join(&csv), &bytes)?;
        report.attachments.push(urval_report::Attachment {
            table: (*table).to_string(),
            csv,
            xlsx: xlsx_name.clone(),
        });
    }
    if ext == "json" {
        // The model holds every row; attachments beside an HTML or Markdown report of the
        // same name are theirs and stay.
    } else if long.is_empty() {
        for (_, n) in &csv_names {
            let _ = std::fs::remove_file(dir.join(n));
        }
        let _ = std::fs::remove_file(dir.join(&xlsx_name));
    } else {
        let written: Vec<&str> = long.iter().map(|(t, _)| *t).collect();
        for (t, n) in &csv_names {
            if !written.contains(t) {
                let _ = std::fs::remove_file(dir.join(n));
            }
        }
        let sheets: Vec<urval_report::xlsx::Sheet> =
            long.into_iter().map(|(_, sheet)| sheet).collect();
        let bytes = urval_report::xlsx::workbook_of(&sheets)
            .map_err(|cause| ReportError::Workbook { cause })?;
        crate::files::write_atomic(&dir.join(&xlsx_name), &bytes)?;
    }
    // Reports leave the analyst's machine: anything that looks like a personnummer in a
    // label or a value is masked (in JSON value by value, so numbers are never touched).
    let text = match ext.as_str() {
        "md" => urval_ingest::personal::redact(&render_markdown(&report)).into_owned(),
        "json" => crate::files::to_json_text(&urval_ingest::masked::Masked(&report))?,
        _ => urval_ingest::personal::redact(&render_html(&report)).into_owned(),
    };
    crate::files::write_atomic(&args.output, text.as_bytes())?;
    Ok(report)
}
