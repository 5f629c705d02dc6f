//! Running one step of a pipeline: its paths resolved (an earlier step's output in the
//! staging directory, any other path against the pipeline file's directory), the extract
//! opened with the step's settings over the pipeline's, the operation called, and what it
//! did summed up for the run manifest.

use super::pipeline::{
    DrawStep, IndicatorsStep, LoadedPipeline, LoadedStep, PlanStep, Reading, ReportStep, Step,
    ValidateStep, VerifyStep,
};
use super::pipeline_error::PipelineError;
use crate::error::Result;
use crate::files::write_atomic;
use crate::setting::{rate_or, Names};
use crate::text::thousands;
use std::path::{Path, PathBuf};
use urval_design::BurdenRates;
use urval_ingest::Extract;

/// Where a step's files are: earlier outputs in the staging directory, everything else
/// relative to the pipeline file's directory.
pub(super) struct Places<'a> {
    pub(super) base: &'a Path,
    pub(super) staging: &'a Path,
    pub(super) produced: Vec<String>,
}

impl Places<'_> {
    /// Where a path the pipeline names is: an earlier step's output (named exactly as it
    /// was written) in the staging directory, anything else against the pipeline's
    /// directory.
    fn input(&self, p: &Path) -> PathBuf {
        if self.produced.iter().any(|o| p.as_os_str() == o.as_str()) {
            self.staging.join(p)
        } else {
            self.base.join(p)
        }
    }
    fn output(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }
}

/// What one step did: its summary, the extract's files it read, and a finding that fails
/// the run (a margin not met, differences, invalid values, strata without response).
pub(super) struct Done {
    pub(super) summary: Vec<String>,
    pub(super) files: Option<serde_json::Value>,
    pub(super) finding: Option<String>,
    pub(super) reads: Vec<PathBuf>,
    pub(super) secrets: Vec<PathBuf>,
}

/// What every step runs with.
pub(super) struct Run<'a> {
    /// The pipeline.
    pub(super) pipeline: &'a LoadedPipeline,
    /// Where the step's files are.
    pub(super) places: &'a Places<'a>,
    /// The time the outputs record (the newest input's).
    pub(super) output_time: &'a str,
    /// Rows read so far.
    pub(super) progress: &'a (dyn Fn(u64) + Sync),
}

/// The files a step reads from outside the staging directory, in the order it names them.
struct Reads<'a> {
    places: &'a Places<'a>,
    files: Vec<PathBuf>,
}

impl Reads<'_> {
    /// Where `p` is ([`Places::input`]), noted unless an earlier step wrote it.
    fn input(&mut self, p: &Path) -> PathBuf {
        let path = self.places.input(p);
        if !path.starts_with(self.places.staging) {
            self.files.push(path.clone());
        }
        path
    }
}

/// The extract of a step (its own settings over the pipeline's) and its personal columns.
fn extract_for(p: &LoadedPipeline, s: &Reading) -> Result<(Extract, Vec<String>)> {
    let paths: Vec<String> = match &s.extract {
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
            .as_ref()
            .or(p.pipeline.date_format.as_ref())
            .map(Names::list)
            .unwrap_or_default(),
        &s.municipality_column
            .as_ref()
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

/// The quarantine threshold of a step (default 1 %).
fn max_quarantine(s: &Reading) -> Result<f64> {
    rate_or(
        &s.max_quarantine,
        "max_quarantine",
        crate::setting::default::max_quarantine(),
    )
}

/// The files of an extract.
fn extract_files(extract: &Extract) -> impl Iterator<Item = PathBuf> + '_ {
    extract.files.iter().map(|f| f.path.clone())
}

/// The values a plan step reads when it runs ([`LoadedStep::read_when_run`]), in the order
/// `urval plan` reads its flags: the allocation, then (after the burden rates) the stages'
/// rates, then (after the stages are checked) the design's rates.
const PLAN_ALLOCATION: &[&str] = &["allocation"];
/// See [`PLAN_ALLOCATION`].
const PLAN_STAGES: &[&str] = &[
    "first_fraction",
    "first_margin",
    "tolerable_rate",
    "expected_rate",
];
/// See [`PLAN_ALLOCATION`].
const PLAN_DESIGN: &[&str] = &["margin", "confidence", "proportion"];
/// The values a draw step reads when it runs (after the extract and the plan).
const DRAW: &[&str] = &["csv_dialect", "lang"];
/// The values an indicators step reads when it runs (after the extract).
const INDICATORS: &[&str] = &["confidence", "csv_dialect", "lang", "nonresponse"];
/// The value a report step reads when it runs.
const REPORT: &[&str] = &["lang"];

/// Run one step.
pub(super) fn run_step(run: &Run, loaded: &LoadedStep) -> Result<Done> {
    match &loaded.step {
        Step::Plan(s) => plan(run, loaded, s),
        Step::Draw(s) => draw(run, loaded, s),
        Step::Verify(s) => verify(run, s),
        Step::Indicators(s) => indicators(run, loaded, s),
        Step::Report(s) => report(run, loaded, s),
        Step::Validate(s) => validate(run, s),
    }
}

/// The purposes of a plan step, their file named as written (its cost file found as the
/// pipeline's other inputs are).
fn purposes(run: &Run, s: &PlanStep) -> Result<Option<crate::purposes::PurposesRequest>> {
    let Some(f) = &s.keys.purposes else {
        if s.keys.cost.is_some() {
            return Err(PipelineError::CostWithoutPurposes.into());
        }
        return Ok(None);
    };
    let path = run.places.input(Path::new(f));
    let mut purposes = crate::purposes::load(&path)?;
    purposes.file = f.clone();
    let c = s.keys.cost.as_deref().unwrap_or("records");
    let cost = match crate::purposes::CostBasis::parse(c, PathBuf::new()) {
        crate::purposes::CostBasis::File(g, _) => {
            let at = run.places.input(Path::new(&g));
            crate::purposes::CostBasis::File(g, at)
        }
        b => b,
    };
    Ok(Some(crate::purposes::PurposesRequest { purposes, cost }))
}

fn plan(run: &Run, loaded: &LoadedStep, s: &PlanStep) -> Result<Done> {
    let p = run.pipeline;
    let (extract, personal) = extract_for(p, &s.reading)?;
    let key = s
        .keys
        .key
        .clone()
        .or_else(|| p.pipeline.key.clone())
        .ok_or(PipelineError::NoKey)?;
    loaded.read_when_run(PLAN_ALLOCATION)?;
    let d = BurdenRates::default();
    let rates = crate::plan::burden_rates(
        s.keys.pages_per_record.unwrap_or(d.pages_per_record),
        s.keys.minutes_per_record.unwrap_or(d.minutes_per_record),
        s.keys.hours_per_day.unwrap_or(d.hours_per_day),
    )?;
    loaded.read_when_run(PLAN_STAGES)?;
    let (stages, attribute) = crate::plan::staging(&s.staging)?;
    loaded.read_when_run(PLAN_DESIGN)?;
    let req = crate::plan::PlanRequest {
        key,
        personal,
        rates,
        max_quarantine: max_quarantine(&s.reading)?,
        output: run.places.output(&s.reading.output),
        created: run.output_time.to_string(),
        stages,
        attribute,
        purposes: purposes(run, s)?,
        ..s.request.clone()
    };
    let planned = crate::plan::plan(&extract, &req, run.progress)?;
    let plan = &planned.plan;
    let finding = (planned.allocation.margin_met == Some(false))
        .then(|| "no total within the bounds meets the margin (urval plan exits 1)".to_string());
    Ok(Done {
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
        // The purposes files are not counted among the run's inputs.
        reads: extract_files(&extract).collect(),
        secrets: Vec::new(),
    })
}

fn draw(run: &Run, loaded: &LoadedStep, s: &DrawStep) -> Result<Done> {
    let (extract, personal) = extract_for(run.pipeline, &s.reading)?;
    let mut reads = Reads {
        places: run.places,
        files: Vec::new(),
    };
    let plan_path = reads.input(&s.job.plan);
    let secret = s
        .job
        .secret_file
        .as_deref()
        .map(|f| run.places.base.join(f));
    let plan = crate::artifacts::PlanFile::read(&plan_path)?;
    loaded.read_when_run(DRAW)?;
    let job = crate::draw::DrawJob {
        plan: plan_path,
        output: run.places.output(&s.reading.output),
        personal,
        secret_file: secret.clone(),
        max_quarantine: max_quarantine(&s.reading)?,
        previous: s.job.previous.as_deref().map(|p| reads.input(p)),
        ..s.job.clone()
    };
    if let Some(prev) = &job.previous {
        reads.files.push(prev.clone());
    }
    if !(0.0..1.0).contains(&job.start) {
        return Err(PipelineError::BadStart { got: job.start }.into());
    }
    let drawn = crate::package::draw_to_files(&extract, &plan, &job, run.progress)?;
    let sc = &drawn.sidecar;
    reads.files.extend(extract_files(&extract));
    Ok(Done {
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
        reads: reads.files,
        secrets: secret.into_iter().collect(),
    })
}

fn verify(run: &Run, s: &VerifyStep) -> Result<Done> {
    let (extract, personal) = extract_for(run.pipeline, &s.reading)?;
    let mut reads = Reads {
        places: run.places,
        files: Vec::new(),
    };
    let plan = crate::artifacts::PlanFile::read(&reads.input(Path::new(&s.plan.plan)))?;
    let secret = s
        .request
        .secret_file
        .as_deref()
        .map(|f| run.places.base.join(f));
    let req = crate::verify::VerifyRequest {
        manifest: reads.input(&s.request.manifest),
        personal,
        secret_file: secret.clone(),
        ..s.request.clone()
    };
    let v = crate::verify::verify(&extract, &plan, &req, run.progress)?;
    let output = &s.reading.output;
    let text = if output.ends_with(".json") {
        crate::files::to_json_text(&serde_json::json!({
            "identical": v.identical(), "seed": v.seed, "start": v.start,
            "expected": v.expected, "missing": v.missing, "extra": v.extra,
            "repeated": v.repeated, "not_as_written": v.not_as_written,
        }))?
    } else {
        urval_ingest::personal::redact(&v.text(&s.request.manifest.display().to_string()))
            .into_owned()
    };
    write_atomic(&run.places.output(output), text.as_bytes())?;
    reads.files.extend(extract_files(&extract));
    Ok(Done {
        summary: text.lines().take(3).map(|l| format!("  {l}")).collect(),
        files: None,
        finding: (!v.identical()).then(|| text.trim_end().to_string()),
        reads: reads.files,
        secrets: secret.into_iter().collect(),
    })
}

fn indicators(run: &Run, loaded: &LoadedStep, s: &IndicatorsStep) -> Result<Done> {
    let p = run.pipeline;
    let (extract, personal) = extract_for(p, &s.reading)?;
    let secret = s
        .job
        .secret_file
        .as_deref()
        .map(|f| run.places.base.join(f));
    let mut reads = Reads {
        places: run.places,
        files: Vec::new(),
    };
    let spec = reads.input(&s.job.spec);
    let manifest = s.job.manifest.as_deref().map(|m| reads.input(m));
    loaded.read_when_run(INDICATORS)?;
    let job = crate::indicators::IndicatorsJob {
        spec,
        key: s.job.key.clone().or_else(|| p.pipeline.key.clone()),
        manifest,
        output: run.places.output(&s.reading.output),
        personal,
        secret_file: secret.clone(),
        max_quarantine: max_quarantine(&s.reading)?,
        ..s.job.clone()
    };
    let c = crate::indicators::indicators_to_files(&extract, &job, run.progress)?;
    let finding = (!c.empty_strata.is_empty() && !s.empty_strata.allow_empty_strata).then(|| {
        format!(
            "{} design strata had no responding record (allow_empty_strata = true accepts it)",
            c.empty_strata.len()
        )
    });
    let t = c.totals;
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&c.metadata_file)?)?;
    reads.files.extend(extract_files(&extract));
    Ok(Done {
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
        reads: reads.files,
        secrets: secret.into_iter().collect(),
    })
}

fn report(run: &Run, loaded: &LoadedStep, s: &ReportStep) -> Result<Done> {
    let mut reads = Reads {
        places: run.places,
        files: Vec::new(),
    };
    let plan = reads.input(&s.job.plan);
    let requested_file = s.job.requested_file.as_deref().map(|p| reads.input(p));
    let manifest = s.job.manifest.as_deref().map(|p| reads.input(p));
    let indicators = s.job.indicators.as_deref().map(|p| reads.input(p));
    let labels = s.job.labels.as_deref().map(|p| reads.input(p));
    let previous = s.job.previous.as_deref().map(|p| reads.input(p));
    let phase2_plan = s.job.phase2_plan.as_deref().map(|p| reads.input(p));
    let agreement = s.job.agreement.as_deref().map(|p| reads.input(p));
    loaded.read_when_run(REPORT)?;
    let job = crate::report::ReportJob {
        plan,
        requested_file,
        manifest,
        indicators,
        output: run.places.output(&s.output.output),
        // The run's output time, so that a rerun writes the same report.
        date: Some(
            s.job
                .date
                .clone()
                .unwrap_or_else(|| run.output_time.get(..10).unwrap_or("").to_string()),
        ),
        labels,
        previous,
        phase2_plan,
        agreement,
        ..s.job.clone()
    };
    let report = crate::report::report_to_file(&job)?;
    Ok(Done {
        summary: vec![format!(
            "  needed {} records",
            thousands(report.total.needed.records)
        )],
        files: None,
        finding: None,
        reads: reads.files,
        secrets: Vec::new(),
    })
}

fn validate(run: &Run, s: &ValidateStep) -> Result<Done> {
    let (extract, _) = extract_for(run.pipeline, &s.reading)?;
    let column = &s.keys.personnummer;
    let show = s.keys.show.unwrap_or(20);
    let v = crate::validate::validate(&extract, column, show, run.progress)?;
    let text = if s.reading.output.ends_with(".json") {
        crate::files::to_json_text(&v.json(column, &extract))?
    } else {
        urval_ingest::personal::redact(&v.text(column, &extract)).into_owned()
    };
    write_atomic(&run.places.output(&s.reading.output), text.as_bytes())?;
    Ok(Done {
        summary: text.lines().take(3).map(|l| format!("  {l}")).collect(),
        files: None,
        finding: (!v.is_clean()).then(|| text.lines().next().unwrap_or("").to_string()),
        reads: extract_files(&extract).collect(),
        secrets: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setting::READ_WHEN_RUN;

    /// Every value a step's file may give as text that reads as nothing is read when the
    /// step runs, by exactly one of its lists.
    #[test]
    fn each_step_reads_every_value_it_takes_when_it_runs() {
        for (command, lists) in [
            ("plan", vec![PLAN_ALLOCATION, PLAN_STAGES, PLAN_DESIGN]),
            ("draw", vec![DRAW]),
            ("verify", vec![]),
            ("indicators", vec![INDICATORS]),
            ("report", vec![REPORT]),
            ("validate", vec![]),
        ] {
            let mut read: Vec<&str> = lists.concat();
            read.sort_unstable();
            let mut taken: Vec<&str> = super::super::pipeline::command_keys(command)
                .into_iter()
                .filter(|k| READ_WHEN_RUN.contains(k))
                .collect();
            taken.sort_unstable();
            assert_eq!(read, taken, "{command}");
        }
    }
}
