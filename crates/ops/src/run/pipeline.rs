//! The pipeline file: its schema (the extract, the defaults, the typed steps, each a table
//! of its command's own settings) and [`load`], which reads it and resolves its paths
//! against the file's directory.

use crate::bail;
use crate::error::{Context, OpsError, Result};
use crate::text::parse_rate;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Settings every step that reads the extract accepts (they override the pipeline's).
macro_rules! read_settings {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The output file name (written into the outputs directory).
            pub output: String,
            /// The extract, instead of the pipeline's.
            pub extract: Option<Names>,
            /// CSV delimiter.
            pub delimiter: Option<String>,
            /// CSV text encoding.
            pub encoding: Option<String>,
            /// The sheet of spreadsheet extracts.
            pub sheet: Option<String>,
            /// Date formats, `COL=FORMAT`, instead of the pipeline's.
            pub date_format: Option<Names>,
            /// Municipality-code columns, instead of the pipeline's.
            pub municipality_column: Option<Names>,
            /// Keep values that are no municipality code (or the pipeline's setting).
            pub keep_unknown_municipalities: Option<bool>,
            /// Personal columns, instead of the pipeline's.
            pub personal: Option<Names>,
            /// The most rows that may be quarantined (default 1 %).
            pub max_quarantine: Option<Rate>,
            $($(#[$fm])* pub $f: $t,)*
        }
    };
}

read_settings! {
    /// A `plan` step: the settings of `urval plan`.
    pub struct PlanStep {
        /// The key column (default: the pipeline's).
        pub key: Option<String>,
        /// Strata columns.
        pub strata: Names,
        /// Population filter.
        #[serde(rename = "where")]
        pub where_: Option<String>,
        /// Data rules.
        pub check: Option<Exprs>,
        /// Margin of error.
        pub margin: Option<Rate>,
        /// Total.
        pub total: Option<u64>,
        /// Confidence (default 0.95).
        pub confidence: Option<Rate>,
        /// Allocation (default proportional).
        pub allocation: Option<String>,
        /// Minimum per stratum.
        pub min: Option<u64>,
        /// Maximum per stratum.
        pub max: Option<u64>,
        /// Anticipated proportion (default 0.5).
        pub proportion: Option<Rate>,
        /// Pages column.
        pub pages_column: Option<String>,
        /// A proposed request to compare with.
        pub requested: Option<u64>,
        /// Go on with duplicate keys.
        #[serde(default)]
        pub allow_duplicate_keys: bool,
        /// Pages per record.
        pub pages_per_record: Option<f64>,
        /// Minutes per record.
        pub minutes_per_record: Option<f64>,
        /// Working hours per day.
        pub hours_per_day: Option<f64>,
        /// 2: a staged plan (`urval plan --stages 2`).
        pub stages: Option<u32>,
        /// Stage 1 of a staged share plan: ⌈F·n_h⌉ of each stratum.
        pub first_fraction: Option<Rate>,
        /// Stage 1 of a staged share plan: the allocation for this looser margin.
        pub first_margin: Option<Rate>,
        /// An attribute plan in two stages: the tolerable deviation rate T.
        pub tolerable_rate: Option<Rate>,
        /// The expected deviation rate R of an attribute plan.
        pub expected_rate: Option<Rate>,
        /// The largest first stage of an attribute plan.
        pub max_first: Option<u64>,
        /// A purposes file: size for every purpose in it at once (`urval plan --purposes`).
        pub purposes: Option<String>,
        /// What a plan for several purposes minimises: `records` (default), `pages`, or a
        /// CSV of costs per stratum (the strata columns and `cost`).
        pub cost: Option<String>,
    }
}

read_settings! {
    /// A `draw` step: the settings of `urval draw` (no `split_by`: one manifest per step).
    pub struct DrawStep {
        /// The plan (an earlier step's output or a file).
        pub plan: String,
        /// The seed.
        pub seed: u64,
        /// The start (default 0).
        pub start: Option<f64>,
        /// `COL=VALUE`.
        pub only: Option<String>,
        /// Columns copied into the manifest.
        pub include: Option<Names>,
        /// `standard` or `excel-sv`.
        pub csv_dialect: Option<String>,
        /// `sv` or `en`.
        pub lang: Option<String>,
        /// The column replaced by keyed pseudonyms.
        pub pseudonymize: Option<String>,
        /// The secret of the pseudonyms.
        pub secret_file: Option<String>,
        /// A stage of a staged plan: 1, or 2 (only the records stage 2 adds).
        pub stage: Option<u32>,
        /// Stage 2: the stage-1 manifest (an earlier step's output or a file).
        pub previous: Option<String>,
    }
}

read_settings! {
    /// A `verify` step: the comparison is written as text (or JSON for a `.json` output).
    pub struct VerifyStep {
        /// The plan.
        pub plan: String,
        /// The manifest.
        pub manifest: String,
        /// The seed (default: the sidecar's).
        pub seed: Option<u64>,
        /// The start (default: the sidecar's).
        pub start: Option<f64>,
        /// `COL=VALUE` (default: the sidecar's).
        pub only: Option<String>,
        /// The secret of a pseudonymized key.
        pub secret_file: Option<String>,
    }
}

read_settings! {
    /// An `indicators` step: the settings of `urval indicators`.
    pub struct IndicatorsStep {
        /// The spec.
        pub spec: String,
        /// Group columns.
        pub by: Option<Names>,
        /// Age bands.
        pub age_bands: Option<String>,
        /// The age expression (default `age`).
        pub age: Option<String>,
        /// The key column (default: the pipeline's, or the manifest's).
        pub key: Option<String>,
        /// A manifest: estimate from the sample.
        pub manifest: Option<String>,
        /// Row filter.
        #[serde(rename = "where")]
        pub where_: Option<String>,
        /// Data rules.
        pub check: Option<Exprs>,
        /// Census intervals.
        #[serde(default)]
        pub ci: bool,
        /// Confidence (default 0.95).
        pub confidence: Option<Rate>,
        /// `standard` or `excel-sv`.
        pub csv_dialect: Option<String>,
        /// `sv` or `en`.
        pub lang: Option<String>,
        /// `bounds` or `drop`.
        pub nonresponse: Option<String>,
        /// A design stratum without response is not a failure.
        #[serde(default)]
        pub allow_empty_strata: bool,
        /// A census indicator that keeps nothing is not an error.
        #[serde(default)]
        pub allow_empty: bool,
        /// The secret of a pseudonymized manifest.
        pub secret_file: Option<String>,
        /// The most groups the `by` columns may make.
        pub max_groups: Option<u64>,
        /// Small-cell suppression threshold (default 5; 0 writes every cell, marked not for
        /// publication).
        pub suppress_below: Option<u64>,
    }
}

read_settings! {
    /// A `validate` step: the counts are written as text (or JSON for a `.json` output).
    pub struct ValidateStep {
        /// The personnummer column.
        pub personnummer: String,
        /// How many invalid rows to list (default 20).
        pub show: Option<usize>,
    }
}

/// A list of names: `"a,b"` or `["a", "b"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Names {
    /// Comma-separated.
    One(String),
    /// A list.
    Many(Vec<String>),
}

impl Names {
    pub(super) fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => s
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
            Names::Many(v) => v.clone(),
        }
    }
}

/// A list of expressions: one, or several (never split at commas: expressions hold them).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Exprs {
    /// One expression.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Exprs {
    pub(super) fn list(&self) -> Vec<String> {
        match self {
            Exprs::One(s) => vec![s.clone()],
            Exprs::Many(v) => v.clone(),
        }
    }
}

/// A rate: `0.05`, or text as on the command line (`"5 %"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl Rate {
    pub(super) fn value(&self, key: &str) -> Result<f64> {
        match self {
            Rate::Number(v) => Ok(*v),
            Rate::Text(t) => parse_rate(t).map_err(|e| OpsError::Input(format!("{key}: {e}"))),
        }
    }
}

pub(super) fn rate(r: &Option<Rate>, key: &str, default: f64) -> Result<f64> {
    r.as_ref().map_or(Ok(default), |r| r.value(key))
}

/// The pipeline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// The outputs directory (created if missing; its parent must exist).
    pub outputs: PathBuf,
    /// The extract (files, directories, globs) for every step that reads one.
    pub extract: Vec<String>,
    /// The record key column (plan, indicators).
    pub key: Option<String>,
    /// CSV delimiter.
    pub delimiter: Option<String>,
    /// CSV text encoding.
    pub encoding: Option<String>,
    /// The sheet of spreadsheet extracts.
    pub sheet: Option<String>,
    /// Date formats, `COL=FORMAT` (`--date-format`).
    pub date_format: Option<Names>,
    /// Municipality-code columns to check (`--municipality-column`).
    pub municipality_column: Option<Names>,
    /// Keep values that are no municipality code (`--keep-unknown-municipalities`).
    #[serde(default)]
    pub keep_unknown_municipalities: bool,
    /// Personal columns (never printed).
    pub personal: Option<Names>,
    /// The steps, in order.
    #[serde(default)]
    pub step: Vec<toml::Table>,
}

/// A `report` step: the settings of `urval report`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportStep {
    /// The output file name (written into the outputs directory).
    pub output: String,
    /// The plan.
    pub plan: String,
    /// The records requested in total.
    pub requested: Option<u64>,
    /// The records requested per stratum (CSV).
    pub requested_file: Option<String>,
    /// The manifest.
    pub manifest: Option<String>,
    /// The indicators of the review.
    pub indicators: Option<String>,
    /// `sv` or `en`.
    pub lang: Option<String>,
    /// `COL=VALUE`: the report for that part of the request.
    pub only: Option<String>,
    /// The purpose in words.
    pub purpose: Option<String>,
    /// The recipient.
    pub recipient: Option<String>,
    /// The case number.
    pub case_number: Option<String>,
    /// The sender.
    pub sender: Option<String>,
    /// The date, `YYYY-MM-DD` (default: the run's output time).
    pub date: Option<String>,
    /// Labels for stratum values (CSV with `value` and `label`).
    pub labels: Option<String>,
    /// A previous request's manifest: the records the two share.
    pub previous: Option<String>,
    /// A two-phase review's phase-2 plan.
    pub phase2_plan: Option<String>,
    /// The agreement table after the re-review (JSON).
    pub agreement: Option<String>,
    /// Small-cell suppression of the indicators (default: a table with every cell is
    /// suppressed at 5; 0 shows every cell, not for publication).
    pub suppress_below: Option<u64>,
}

/// One step of a pipeline, by its `command`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Step {
    /// `urval plan`.
    Plan(PlanStep),
    /// `urval draw`.
    Draw(DrawStep),
    /// `urval verify`.
    Verify(VerifyStep),
    /// `urval indicators`.
    Indicators(IndicatorsStep),
    /// `urval report`.
    Report(ReportStep),
    /// `urval validate`.
    Validate(ValidateStep),
}

impl Step {
    pub(super) fn command(&self) -> &'static str {
        match self {
            Step::Plan(_) => "plan",
            Step::Draw(_) => "draw",
            Step::Verify(_) => "verify",
            Step::Indicators(_) => "indicators",
            Step::Report(_) => "report",
            Step::Validate(_) => "validate",
        }
    }
    pub(super) fn output(&self) -> &str {
        match self {
            Step::Plan(s) => &s.output,
            Step::Draw(s) => &s.output,
            Step::Verify(s) => &s.output,
            Step::Indicators(s) => &s.output,
            Step::Report(s) => &s.output,
            Step::Validate(s) => &s.output,
        }
    }
    /// The files the step writes: its output and the files beside it.
    pub(super) fn outputs(&self) -> Vec<String> {
        let out = self.output().to_string();
        let stem = Path::new(&out)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&out)
            .to_string();
        let mut v = vec![out.clone()];
        match self {
            Step::Draw(_) => v.push(format!("{out}.draw.json")),
            Step::Indicators(_) => v.push(format!("{stem}.indicators.json")),
            // The long tables attached beside a report (only those written are kept).
            Step::Report(_) => {
                let (csv, xlsx) = crate::report::attachment_names(Path::new(&out));
                v.extend(csv.into_iter().map(|(_, n)| n));
                v.push(xlsx);
            }
            _ => {}
        }
        if matches!(self, Step::Plan(_) | Step::Draw(_) | Step::Indicators(_)) {
            v.push(format!("{stem}.quarantine.csv"));
        }
        v
    }
}

/// A pipeline read and checked: the steps typed, the paths resolved.
#[derive(Debug)]
pub struct LoadedPipeline {
    /// The pipeline file.
    pub path: PathBuf,
    /// Its directory: relative paths in it resolve against this.
    pub base: PathBuf,
    /// The file's settings.
    pub pipeline: Pipeline,
    /// The steps with their labels (`step 2 (draw → manifest.csv)`).
    pub steps: Vec<(String, Step)>,
}

/// Read a pipeline file: unknown keys (at the top or in a step) are errors naming the step
/// and the key.
///
/// # Errors
/// The file cannot be read, is not TOML, or a step is not valid.
pub fn load(path: &Path) -> Result<LoadedPipeline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the pipeline {}", path.display()))?;
    let pipeline: Pipeline = toml::from_str(&text).map_err(|e| {
        OpsError::Input(format!(
            "{}: not a valid pipeline: {}",
            path.display(),
            urval_ingest::located(&text, e.message(), e.span())
        ))
    })?;
    let base = std::path::absolute(path)
        .with_context(|| format!("cannot resolve the path {}", path.display()))?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut steps = Vec::new();
    let mut produced: Vec<String> = Vec::new();
    for (i, table) in pipeline.step.iter().enumerate() {
        let command = table
            .get("command")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let label_base = format!("step {} ({command})", i + 1);
        let step: Step = toml::Value::Table(table.clone()).try_into().map_err(|e| {
            OpsError::Input(format!(
                "{}: {label_base}: {}",
                path.display(),
                urval_ingest::located(&text, e.message(), e.span())
            ))
        })?;
        let output = step.output().to_string();
        if Path::new(&output).components().count() != 1 || output.starts_with('.') {
            bail!(
                "{}: {label_base}: output {output:?} must be a plain file name: it is written into the outputs directory",
                path.display()
            );
        }
        if produced.contains(&output) {
            bail!(
                "{}: {label_base}: output {output:?} is written by an earlier step too",
                path.display()
            );
        }
        produced.extend(step.outputs());
        steps.push((format!("step {} ({command} → {output})", i + 1), step));
    }
    if steps.is_empty() {
        bail!("{}: the pipeline has no [[step]]", path.display());
    }
    Ok(LoadedPipeline {
        path: path.to_path_buf(),
        base,
        pipeline,
        steps,
    })
}
