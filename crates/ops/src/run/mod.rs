//! The nightly batch: a pipeline file names the extract and a list of typed steps (`plan`,
//! `draw`, `verify`, `indicators`, `report`, `validate`), each a table of the command's own
//! settings; [`run`] calls the operations directly.
//!
//! Paths in a pipeline file are relative to the pipeline file's directory (an earlier
//! step's output is named by its file name).
//!
//! One run is one generation, published at once. The outputs path (`out/nightly`) is a
//! symbolic link to a generation directory beside it (`out/.nightly.generations/7`). A run
//! writes every step's files and `run-manifest.json` ([`RunManifest`]) into a new
//! generation directory, then creates a link to it under a temporary name and renames that
//! link over the outputs path: rename(2) replaces it atomically, so a reader, or a run
//! killed at any instant, sees either the whole previous generation or the whole new one —
//! never a new manifest beside an old sidecar. A generation left by a killed run is never
//! linked and is removed by the next run; the previous generation is kept (a reader may be
//! in it), older ones are removed. A failed step names itself and leaves the previous
//! outputs intact. An OS lock (flock) in the generations directory keeps two runs from
//! overlapping. The time recorded in the outputs is the newest input's modification time,
//! so a rerun over unchanged inputs writes byte-identical outputs. Nothing here changes
//! the working directory or any process-wide state.

mod manifest;
mod pipeline;
mod publish;

pub use manifest::{RunFile, RunManifest, RunOutcome, RunStep, RUN_MANIFEST, RUN_MANIFEST_VERSION};
pub use pipeline::*;
use publish::{newest_mtime, stream_hash, Generations, Lock, Staging};

use crate::bail;
use crate::error::{Context, OpsError, Result};
use crate::files::{file_name, rfc3339, wall_clock_secs, write_atomic};
use crate::text::thousands;
use std::path::{Path, PathBuf};
use urval_design::{AllocationMethod, BurdenRates};
use urval_indicators::estimate::Nonresponse;
use urval_ingest::Extract;
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

fn lang(v: &Option<String>) -> Result<Lang> {
    match v.as_deref() {
        None | Some("sv") => Ok(Lang::Sv),
        Some("en") => Ok(Lang::En),
        Some(other) => bail!("lang {other:?}: use \"sv\" or \"en\""),
    }
}

fn dialect(v: &Option<String>) -> Result<CsvDialect> {
    match v.as_deref() {
        None | Some("standard") => Ok(CsvDialect::Standard),
        Some("excel-sv") => Ok(CsvDialect::ExcelSv),
        Some(other) => bail!("csv_dialect {other:?}: use \"standard\" or \"excel-sv\""),
    }
}

/// Where a step's files are: earlier outputs in the staging directory, everything else
/// relative to the pipeline file's directory.
struct Places<'a> {
    base: &'a Path,
    staging: &'a Path,
    produced: Vec<String>,
}

impl Places<'_> {
    fn input(&self, p: &str) -> PathBuf {
        if self.produced.iter().any(|o| o == p) {
            self.staging.join(p)
        } else {
            self.base.join(p)
        }
    }
    fn output(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }
}

/// The extract settings of a step over the pipeline's.
struct ReadSettings<'a> {
    extract: Option<&'a Names>,
    delimiter: &'a Option<String>,
    encoding: &'a Option<String>,
    sheet: &'a Option<String>,
    date_format: Option<&'a Names>,
    municipality_column: Option<&'a Names>,
    keep_unknown_municipalities: Option<bool>,
    personal: &'a Option<Names>,
}

fn extract_for(p: &LoadedPipeline, s: &ReadSettings) -> Result<(Extract, Vec<String>)> {
    let paths: Vec<String> = match s.extract {
        Some(n) => n.list(),
        None => p.pipeline.extract.clone(),
    };
    let paths: Vec<String> = paths
        .iter()
        .map(|e| p.base.join(e).display().to_string())
        .collect();
    let encoding = s
        .encoding
        .as_deref()
        .or(p.pipeline.encoding.as_deref())
        .unwrap_or("auto");
    let extract = crate::files::open_extract(
        &paths,
        s.delimiter.as_deref().or(p.pipeline.delimiter.as_deref()),
        "delimiter",
        encoding,
        s.sheet.clone().or_else(|| p.pipeline.sheet.clone()),
        false,
    )?
    .with_reading(crate::files::reading(
        &s.date_format
            .or(p.pipeline.date_format.as_ref())
            .map(Names::list)
            .unwrap_or_default(),
        &s.municipality_column
            .or(p.pipeline.municipality_column.as_ref())
            .map(Names::list)
            .unwrap_or_default(),
        s.keep_unknown_municipalities
            .unwrap_or(p.pipeline.keep_unknown_municipalities),
    )?);
    let personal = s
        .personal
        .as_ref()
        .or(p.pipeline.personal.as_ref())
        .map(Names::list)
        .unwrap_or_default();
    Ok((extract, personal))
}

macro_rules! read_settings_of {
    ($s:expr) => {
        ReadSettings {
            extract: $s.extract.as_ref(),
            delimiter: &$s.delimiter,
            encoding: &$s.encoding,
            sheet: &$s.sheet,
            date_format: $s.date_format.as_ref(),
            municipality_column: $s.municipality_column.as_ref(),
            keep_unknown_municipalities: $s.keep_unknown_municipalities,
            personal: &$s.personal,
        }
    };
}

/// What one step did: its summary, the extract's files it read, and a finding that fails
/// the run (a margin not met, differences, invalid values, strata without response).
struct Done {
    summary: Vec<String>,
    files: Option<serde_json::Value>,
    finding: Option<String>,
    reads: Vec<PathBuf>,
    secrets: Vec<PathBuf>,
}

fn run_step(
    p: &LoadedPipeline,
    step: &Step,
    places: &Places,
    output_time: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Done> {
    let mut reads = Vec::new();
    let mut secrets = Vec::new();
    let mut input = |s: &str| {
        let path = places.input(s);
        if !path.starts_with(places.staging) {
            reads.push(path.clone());
        }
        path
    };
    Ok(match step {
        Step::Plan(s) => {
            let (extract, personal) = extract_for(p, &read_settings_of!(s))?;
            let key =
                s.key.clone().or_else(|| p.pipeline.key.clone()).context(
                    "a plan step needs key = \"COL\" (or key at the top of the pipeline)",
                )?;
            let allocation = match s.allocation.as_deref().unwrap_or("proportional") {
                "proportional" => AllocationMethod::Proportional,
                "neyman" => AllocationMethod::Neyman,
                "optimal" => AllocationMethod::Optimal,
                "equal" => AllocationMethod::Equal,
                "domain" => AllocationMethod::Domain,
                other => bail!(
                    "allocation {other:?}: use proportional, neyman, optimal, equal or domain"
                ),
            };
            let d = BurdenRates::default();
            let rates = crate::plan::burden_rates(
                s.pages_per_record.unwrap_or(d.pages_per_record),
                s.minutes_per_record.unwrap_or(d.minutes_per_record),
                s.hours_per_day.unwrap_or(d.hours_per_day),
            )?;
            let opt_rate = |r: &Option<Rate>, k: &str| r.as_ref().map(|r| r.value(k)).transpose();
            let (stages, attribute) = crate::plan::staging(&crate::plan::Staging {
                stages: s.stages,
                first_fraction: opt_rate(&s.first_fraction, "first_fraction")?,
                first_margin: opt_rate(&s.first_margin, "first_margin")?,
                tolerable_rate: opt_rate(&s.tolerable_rate, "tolerable_rate")?,
                expected_rate: opt_rate(&s.expected_rate, "expected_rate")?,
                max_first: s.max_first,
            })?;
            let req = crate::plan::PlanRequest {
                key,
                strata: s.strata.list(),
                where_: s.where_.clone(),
                checks: s.check.as_ref().map(Exprs::list).unwrap_or_default(),
                margin: s.margin.as_ref().map(|m| m.value("margin")).transpose()?,
                total: s.total,
                confidence: rate(&s.confidence, "confidence", 0.95)?,
                allocation,
                min: s.min,
                max: s.max,
                proportion: rate(&s.proportion, "proportion", 0.5)?,
                pages_column: s.pages_column.clone(),
                requested: s.requested,
                personal,
                allow_duplicate_keys: s.allow_duplicate_keys,
                rates,
                max_quarantine: rate(&s.max_quarantine, "max_quarantine", 0.01)?,
                output: places.output(&s.output),
                created: output_time.to_string(),
                stages,
                attribute,
                duplicate_memory: crate::plan::DUPLICATE_MEMORY_HASHES,
                purposes: match &s.purposes {
                    Some(f) => {
                        let path = input(f);
                        let mut purposes = crate::purposes::load(&path)?;
                        purposes.file = f.clone();
                        let c = s.cost.as_deref().unwrap_or("records");
                        let cost = match crate::purposes::CostBasis::parse(c, PathBuf::new()) {
                            crate::purposes::CostBasis::File(g, _) => {
                                let at = input(&g);
                                crate::purposes::CostBasis::File(g, at)
                            }
                            b => b,
                        };
                        let tables = crate::purposes::table_paths(&path, &purposes);
                        for t in tables {
                            input(&t.display().to_string());
                        }
                        Some(crate::purposes::PurposesRequest { purposes, cost })
                    }
                    None => {
                        if s.cost.is_some() {
                            bail!("cost belongs to a plan for several purposes: give purposes = \"FILE\"");
                        }
                        None
                    }
                },
            };
            let planned = crate::plan::plan(&extract, &req, progress)?;
            let plan = &planned.plan;
            let finding = (planned.allocation.margin_met == Some(false)).then(|| {
                "no total within the bounds meets the margin (urval plan exits 1)".to_string()
            });
            Done {
                summary: vec![
                    crate::text::reconciliation(
                        plan.rows_read,
                        plan.rows_used,
                        plan.rows_excluded,
                        plan.rows_quarantined,
                    ),
                    format!(
                        "  {} strata; records needed {}",
                        thousands(plan.strata.len() as u64),
                        thousands(plan.total_n)
                    ),
                ],
                files: Some(serde_json::to_value(&plan.extract.files)?),
                finding,
                reads: extract.files.iter().map(|f| f.path.clone()).collect(),
                secrets,
            }
        }
        Step::Draw(s) => {
            let (extract, personal) = extract_for(p, &read_settings_of!(s))?;
            let plan_path = input(&s.plan);
            let secret = s.secret_file.as_deref().map(|f| places.base.join(f));
            secrets.extend(secret.iter().cloned());
            let plan = crate::artifacts::PlanFile::read(&plan_path)?;
            let job = crate::draw::DrawJob {
                plan: plan_path,
                seed: s.seed,
                start: s.start.unwrap_or(0.0),
                only: s.only.clone(),
                include: s.include.as_ref().map(Names::list).unwrap_or_default(),
                output: places.output(&s.output),
                csv_dialect: dialect(&s.csv_dialect)?,
                lang: lang(&s.lang)?,
                split_by: None,
                out_dir: None,
                personal,
                pseudonymize: s.pseudonymize.clone(),
                secret_file: secret,
                bound_sds: crate::draw::BOUND_SDS,
                max_quarantine: rate(&s.max_quarantine, "max_quarantine", 0.01)?,
                stage: s.stage,
                previous: s.previous.as_deref().map(input),
                spec: None,
                letter: crate::draw::PackageLetter::default(),
            };
            if let Some(prev) = &job.previous {
                reads.push(prev.clone());
            }
            if !(0.0..1.0).contains(&job.start) {
                bail!("start must be in [0, 1), got {}", job.start);
            }
            let drawn = crate::package::draw_to_files(&extract, &plan, &job, progress)?;
            let sc = &drawn.sidecar;
            reads.extend(extract.files.iter().map(|f| f.path.clone()));
            Done {
                summary: vec![
                    crate::text::reconciliation(
                        sc.rows_read,
                        sc.rows_used,
                        sc.rows_excluded,
                        sc.rows_quarantined,
                    ),
                    format!(
                        "  {} records drawn, seed {}",
                        thousands(sc.selected),
                        sc.seed
                    ),
                ],
                files: Some(sc.files.clone()),
                finding: None,
                reads,
                secrets,
            }
        }
        Step::Verify(s) => {
            let (extract, personal) = extract_for(p, &read_settings_of!(s))?;
            let plan = crate::artifacts::PlanFile::read(&input(&s.plan))?;
            let secret = s.secret_file.as_deref().map(|f| places.base.join(f));
            secrets.extend(secret.iter().cloned());
            let req = crate::verify::VerifyRequest {
                manifest: input(&s.manifest),
                seed: s.seed,
                start: s.start,
                only: s.only.clone(),
                personal,
                secret_file: secret,
            };
            let v = crate::verify::verify(&extract, &plan, &req, progress)?;
            let text = if s.output.ends_with(".json") {
                crate::files::to_json_text(&serde_json::json!({
                    "identical": v.identical(), "seed": v.seed, "start": v.start,
                    "expected": v.expected, "missing": v.missing, "extra": v.extra,
                    "repeated": v.repeated, "not_as_written": v.not_as_written,
                }))?
            } else {
                urval_ingest::personal::redact(&v.text(&s.manifest)).into_owned()
            };
            write_atomic(&places.output(&s.output), text.as_bytes())?;
            reads.extend(extract.files.iter().map(|f| f.path.clone()));
            Done {
                summary: text.lines().take(3).map(|l| format!("  {l}")).collect(),
                files: None,
                finding: (!v.identical()).then(|| text.trim_end().to_string()),
                reads,
                secrets,
            }
        }
        Step::Indicators(s) => {
            let (extract, personal) = extract_for(p, &read_settings_of!(s))?;
            let secret = s.secret_file.as_deref().map(|f| places.base.join(f));
            secrets.extend(secret.iter().cloned());
            let job = crate::indicators::IndicatorsJob {
                spec: input(&s.spec),
                by: s.by.as_ref().map(Names::list).unwrap_or_default(),
                age_bands: s.age_bands.clone(),
                age: s.age.clone().unwrap_or_else(|| "age".to_string()),
                key: s.key.clone().or_else(|| p.pipeline.key.clone()),
                manifest: s.manifest.as_deref().map(&mut input),
                where_: s.where_.clone(),
                checks: s.check.as_ref().map(Exprs::list).unwrap_or_default(),
                ci: s.ci,
                confidence: rate(&s.confidence, "confidence", 0.95)?,
                output: places.output(&s.output),
                csv_dialect: dialect(&s.csv_dialect)?,
                lang: lang(&s.lang)?,
                nonresponse: match s.nonresponse.as_deref() {
                    None | Some("bounds") => Nonresponse::Bounds,
                    Some("drop") => Nonresponse::Drop,
                    Some(other) => bail!("nonresponse {other:?}: use \"bounds\" or \"drop\""),
                },
                allow_empty: s.allow_empty,
                personal,
                secret_file: secret,
                max_quarantine: rate(&s.max_quarantine, "max_quarantine", 0.01)?,
                max_groups: s
                    .max_groups
                    .unwrap_or(crate::indicators::DEFAULT_MAX_GROUPS),
                suppress_below: s
                    .suppress_below
                    .unwrap_or(crate::indicators::DEFAULT_SUPPRESS_BELOW),
            };
            let c = crate::indicators::indicators_to_files(&extract, &job, progress)?;
            let finding = (!c.empty_strata.is_empty() && !s.allow_empty_strata).then(|| {
                format!(
                    "{} design strata had no responding record (allow_empty_strata = true accepts it)",
                    c.empty_strata.len()
                )
            });
            let t = c.totals;
            let meta: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&c.metadata_file)?)?;
            reads.extend(extract.files.iter().map(|f| f.path.clone()));
            Done {
                summary: vec![
                    crate::text::reconciliation(
                        t.rows_read,
                        t.rows_used,
                        t.rows_excluded,
                        t.rows_quarantined,
                    ),
                    format!("  {} rows", thousands(c.rows.len() as u64)),
                    format!("  {}", crate::indicators::suppression_line(&c.suppression)),
                ],
                files: Some(meta["files"].clone()),
                finding,
                reads,
                secrets,
            }
        }
        Step::Report(s) => {
            let job = crate::report::ReportJob {
                plan: input(&s.plan),
                requested: s.requested,
                requested_file: s.requested_file.as_deref().map(&mut input),
                manifest: s.manifest.as_deref().map(&mut input),
                indicators: s.indicators.as_deref().map(&mut input),
                lang: lang(&s.lang)?,
                output: places.output(&s.output),
                only: s.only.clone(),
                purpose: s.purpose.clone(),
                recipient: s.recipient.clone(),
                case_number: s.case_number.clone(),
                sender: s.sender.clone(),
                // The run's output time, so that a rerun writes the same report.
                date: Some(
                    s.date
                        .clone()
                        .unwrap_or_else(|| output_time.get(..10).unwrap_or("").to_string()),
                ),
                deadline: None,
                own_extract: None,
                labels: s.labels.as_deref().map(&mut input),
                previous: s.previous.as_deref().map(&mut input),
                phase2_plan: s.phase2_plan.as_deref().map(&mut input),
                agreement: s.agreement.as_deref().map(&mut input),
                suppress_below: s.suppress_below,
            };
            let report = crate::report::report_to_file(&job)?;
            Done {
                summary: vec![format!(
                    "  needed {} records",
                    thousands(report.total.needed.records)
                )],
                files: None,
                finding: None,
                reads,
                secrets,
            }
        }
        Step::Validate(s) => {
            let (extract, _) = extract_for(p, &read_settings_of!(s))?;
            let show = s.show.unwrap_or(20);
            let v = crate::validate::validate(&extract, &s.personnummer, show, progress)?;
            let text = if s.output.ends_with(".json") {
                crate::files::to_json_text(&v.json(&s.personnummer, &extract))?
            } else {
                urval_ingest::personal::redact(&v.text(&s.personnummer, &extract)).into_owned()
            };
            write_atomic(&places.output(&s.output), text.as_bytes())?;
            reads.extend(extract.files.iter().map(|f| f.path.clone()));
            Done {
                summary: text.lines().take(3).map(|l| format!("  {l}")).collect(),
                files: None,
                finding: (!v.is_clean()).then(|| text.lines().next().unwrap_or("").to_string()),
                reads,
                secrets,
            }
        }
    })
}

/// Run a pipeline into its outputs directory (or `outputs`, relative to the working
/// directory as a command-line path is).
///
/// # Errors
/// The pipeline is not valid, an input is missing, the outputs directory cannot be locked
/// or written, or a step fails or finds something (then the previous outputs are intact).
pub fn run(
    pipeline: &Path,
    outputs: Option<&Path>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutcome> {
    let started = std::time::Instant::now();
    let started_at = rfc3339(wall_clock_secs());
    let p = load(pipeline)?;
    let outputs_dir = match outputs {
        Some(o) => o.to_path_buf(),
        None => p.base.join(&p.pipeline.outputs),
    };
    // Inputs known before anything runs: the extract and the files steps name from outside.
    // Only the file list is wanted here: a named encoding skips the whole-file detection
    // that each step does for itself when it reads the extract.
    let first_extract = Extract::resolve_with(
        &p.pipeline
            .extract
            .iter()
            .map(|e| p.base.join(e).display().to_string())
            .collect::<Vec<_>>(),
        None,
        urval_ingest::EncodingChoice::Utf8,
    )
    .with_context(|| format!("{}: extract", pipeline.display()))?;
    let mut inputs: Vec<PathBuf> = first_extract.files.iter().map(|f| f.path.clone()).collect();
    inputs.push(std::path::absolute(pipeline)?);
    let mut produced: Vec<String> = Vec::new();
    let mut secrets: Vec<PathBuf> = Vec::new();
    for (label, step) in &p.steps {
        let named: Vec<&str> = match step {
            Step::Plan(_) | Step::Validate(_) => vec![],
            Step::Draw(s) => vec![s.plan.as_str()],
            Step::Verify(s) => vec![s.plan.as_str(), s.manifest.as_str()],
            Step::Indicators(s) => std::iter::once(s.spec.as_str())
                .chain(s.manifest.as_deref())
                .collect(),
            Step::Report(s) => std::iter::once(s.plan.as_str())
                .chain(s.requested_file.as_deref())
                .chain(s.manifest.as_deref())
                .chain(s.indicators.as_deref())
                .chain(s.labels.as_deref())
                .chain(s.previous.as_deref())
                .collect(),
        };
        let secret = match step {
            Step::Draw(s) => s.secret_file.as_deref(),
            Step::Verify(s) => s.secret_file.as_deref(),
            Step::Indicators(s) => s.secret_file.as_deref(),
            _ => None,
        };
        for n in named.into_iter().chain(secret) {
            if produced.iter().any(|o| o == n) {
                continue;
            }
            let path = p.base.join(n);
            if !path.is_file() {
                bail!(
                    "{}: {label} reads {}, which does not exist",
                    pipeline.display(),
                    path.display()
                );
            }
            if Some(n) == secret {
                if !secrets.contains(&path) {
                    secrets.push(path);
                }
            } else if !inputs.contains(&path) {
                inputs.push(path);
            }
        }
        produced.extend(step.outputs());
    }
    let gens = Generations::open(&outputs_dir)?;
    let outputs_dir = gens.link.clone();
    let _lock = Lock::take(&gens.dir)?;
    let staging_dir = Staging {
        path: gens.begin()?,
        kept: false,
    };
    let staging = staging_dir.path.clone();
    let output_time = rfc3339(newest_mtime(&inputs));

    let mut places = Places {
        base: &p.base,
        staging: &staging,
        produced: Vec::new(),
    };
    let mut records: Vec<(String, &Step, f64, Done)> = Vec::new();
    let mut failure = None;
    for (label, step) in &p.steps {
        let t0 = std::time::Instant::now();
        tracing::info!(step = %label, "running");
        match run_step(&p, step, &places, &output_time, progress) {
            Ok(done) => {
                if let Some(f) = &done.finding {
                    failure = Some(OpsError::Input(format!("{label}: a data finding:\n{f}")));
                    break;
                }
                places.produced.extend(step.outputs());
                records.push((label.clone(), step, t0.elapsed().as_secs_f64(), done));
            }
            Err(e) => {
                failure = Some(e.context_label(label));
                break;
            }
        }
    }
    if let Some(e) = failure {
        drop(staging_dir);
        return Err(OpsError::Context {
            context: format!(
                "urval run {}: failed; the previous outputs in {} are intact",
                pipeline.display(),
                outputs_dir.display()
            ),
            source: Box::new(e),
        });
    }

    // Everything succeeded: checksums, then move each file over the previous one.
    let mut produced_files: Vec<RunFile> = Vec::new();
    for (_, step, _, _) in &records {
        for o in step.outputs() {
            let path = staging.join(&o);
            if path.is_file() {
                produced_files.push(RunFile {
                    path: o.clone(),
                    bytes: Some(std::fs::metadata(&path)?.len()),
                    xxh3_128: Some(stream_hash(&path)?),
                });
            }
        }
    }
    for (_, _, _, d) in &records {
        for r in &d.reads {
            if !inputs.contains(r) {
                inputs.push(r.clone());
            }
        }
        for s in &d.secrets {
            if !secrets.contains(s) {
                secrets.push(s.clone());
            }
        }
    }
    let mut input_records = Vec::new();
    for path in &inputs {
        input_records.push(RunFile {
            path: path.display().to_string(),
            bytes: Some(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)),
            xxh3_128: Some(stream_hash(path)?),
        });
    }
    for path in &secrets {
        input_records.push(RunFile {
            path: path.display().to_string(),
            bytes: None,
            xxh3_128: None,
        });
    }
    let steps: Vec<RunStep> = records
        .into_iter()
        .map(|(label, step, secs, done)| RunStep {
            step: label,
            command: step.command().to_string(),
            seconds: (secs * 1000.0).round() / 1000.0,
            files: done.files,
            outputs: step
                .outputs()
                .into_iter()
                .filter(|o| staging.join(o).is_file())
                .collect(),
            summary: done.summary,
        })
        .collect();
    let manifest = RunManifest {
        kind: "urval-run".to_string(),
        version: RUN_MANIFEST_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        pipeline: file_name(pipeline),
        started: started_at,
        finished: rfc3339(wall_clock_secs()),
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        output_time,
        inputs: input_records,
        steps,
        outputs: produced_files,
    };
    crate::files::write_json(&staging.join(RUN_MANIFEST), &manifest)?;
    gens.publish(&staging)?;
    staging_dir.keep();
    Ok(RunOutcome {
        outputs_dir,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Result<LoadedPipeline> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text)?;
        load(&path)
    }

    #[test]
    fn steps_are_typed_and_unknown_keys_named() {
        let p = steps(
            r#"
outputs = "out"
extract = ["data/x.parquet"]
key = "id"
[[step]]
command = "plan"
strata = "m"
margin = 0.05
output = "plan.json"
[[step]]
command = "draw"
plan = "plan.json"
seed = 7
include = ["a", "b"]
output = "manifest.csv"
"#,
        )
        .unwrap();
        assert_eq!(p.steps.len(), 2);
        assert_eq!(p.steps[1].0, "step 2 (draw → manifest.csv)");
        let Step::Draw(d) = &p.steps[1].1 else {
            panic!("not a draw")
        };
        assert_eq!(d.include.as_ref().unwrap().list(), ["a", "b"]);
        assert!(p.steps[1]
            .1
            .outputs()
            .contains(&"manifest.csv.draw.json".to_string()));
        for (bad, want) in [
            (
                "[[step]]\ncommand='size'\noutput='a'",
                "unknown variant `size`",
            ),
            (
                "[[step]]\ncommand='plan'\nstrata='m'\noutput='../a'",
                "plain file name",
            ),
            (
                "[[step]]\ncommand='plan'\nstrata='m'",
                "missing field `output`",
            ),
            (
                "[[step]]\ncommand='draw'\nplan='p'\nseed=1\nsed=2\noutput='m.csv'",
                "step 1 (draw): unknown field `sed`",
            ),
            ("", "no [[step]]"),
            ("colour='red'", "unknown field `colour`"),
        ] {
            let e = steps(&format!("outputs='o'\nextract=['x']\n{bad}")).unwrap_err();
            assert!(e.to_string().contains(want), "{bad}: {want:?} not in {e}");
        }
    }
}
