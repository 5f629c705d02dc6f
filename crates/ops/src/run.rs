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

use crate::bail;
use crate::error::{Context, OpsError, Result};
use crate::files::{file_name, hex128, rfc3339, wall_clock_secs, write_atomic};
use crate::text::{parse_rate, thousands};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use urval_design::{AllocationMethod, BurdenRates};
use urval_indicators::estimate::Nonresponse;
use urval_ingest::Extract;
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

const LOCK: &str = "lock";
/// The run manifest's file name.
pub const RUN_MANIFEST: &str = "run-manifest.json";

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
    fn list(&self) -> Vec<String> {
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
    fn list(&self) -> Vec<String> {
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
    fn value(&self, key: &str) -> Result<f64> {
        match self {
            Rate::Number(v) => Ok(*v),
            Rate::Text(t) => parse_rate(t).map_err(|e| OpsError::Input(format!("{key}: {e}"))),
        }
    }
}

fn rate(r: &Option<Rate>, key: &str, default: f64) -> Result<f64> {
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
    fn command(&self) -> &'static str {
        match self {
            Step::Plan(_) => "plan",
            Step::Draw(_) => "draw",
            Step::Verify(_) => "verify",
            Step::Indicators(_) => "indicators",
            Step::Report(_) => "report",
            Step::Validate(_) => "validate",
        }
    }
    fn output(&self) -> &str {
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
    fn outputs(&self) -> Vec<String> {
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

/// One input of a run: its path, size and checksum (none for a secret: a checksum of a
/// secret would let it be guessed offline).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// The path (inputs) or file name (outputs).
    pub path: String,
    /// Size in bytes (none for a secret).
    pub bytes: Option<u64>,
    /// XXH3-128 of the bytes (none for a secret).
    pub xxh3_128: Option<String>,
}

/// One step as run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunStep {
    /// `step 2 (draw → manifest.csv)`.
    pub step: String,
    /// The command.
    pub command: String,
    /// Seconds it took.
    pub seconds: f64,
    /// The extract's files with their row counts, when the step read one.
    pub files: Option<serde_json::Value>,
    /// The files it wrote.
    pub outputs: Vec<String>,
    /// What it found, in a line or two.
    pub summary: Vec<String>,
}

/// The run manifest (`run-manifest.json`), written last.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunManifest {
    /// Always `urval-run`.
    pub kind: String,
    /// [`RUN_MANIFEST_VERSION`].
    pub version: u32,
    /// The urval that ran.
    pub urval_version: String,
    /// The pipeline file.
    pub pipeline: String,
    /// Wall-clock start (UTC).
    pub started: String,
    /// Wall-clock end (UTC).
    pub finished: String,
    /// Seconds.
    pub seconds: f64,
    /// The time recorded in the outputs: the newest input's modification time.
    pub output_time: String,
    /// The inputs.
    pub inputs: Vec<RunFile>,
    /// The steps.
    pub steps: Vec<RunStep>,
    /// The outputs, by file name.
    pub outputs: Vec<RunFile>,
}

/// The run manifest version this build writes.
pub const RUN_MANIFEST_VERSION: u32 = 2;

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The outputs directory.
    pub outputs_dir: PathBuf,
    /// The run manifest as written.
    pub manifest: RunManifest,
}

/// The outputs directory's lock: an exclusive OS lock (`flock`) on `.urval-run.lock`,
/// held while the run lasts and released by the OS when the process ends, however it ends,
/// so a run that died leaves no lock to take over and two runs can never both hold it. The
/// file holds the holder's PID, for the message of a run that is refused; it is left in
/// place (removing it would let a run lock an unlinked file while another locks a new one).
struct Lock(#[allow(dead_code)] std::fs::File);

impl Lock {
    fn take(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot create the lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!(
                    "{}: another urval run ({}) is writing these outputs; wait for it to finish",
                    path.display(),
                    lock_holder(&std::fs::read_to_string(&path).unwrap_or_default())
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        use std::io::{Seek, Write};
        file.set_len(0)?;
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(std::process::id().to_string().as_bytes())?;
        file.flush()?;
        Ok(Lock(file))
    }
}

/// The holder of the lock as its file names it: `pid 4711`, or `pid unknown` when the file
/// is empty (the holder has locked it but not yet written its PID), unreadable or holds
/// anything but a number.
fn lock_holder(text: &str) -> String {
    match text.trim().parse::<u32>() {
        Ok(pid) => format!("pid {pid}"),
        Err(_) => "pid unknown".to_string(),
    }
}

/// A generation directory being written: removed when dropped before [`Staging::keep`],
/// so that a run that fails (a full disk, an unreadable input) leaves no partial
/// generation behind to fill the disk.
struct Staging {
    path: PathBuf,
    kept: bool,
}

impl Staging {
    /// The generation has been published: leave it.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The generations of one outputs path: `link` (the outputs path, a symbolic link) and
/// `dir` (`.NAME.generations` beside it, one numbered directory per run).
struct Generations {
    link: PathBuf,
    dir: PathBuf,
}

impl Generations {
    /// The generations of `outputs`, which must be a link made by an earlier run, or not
    /// exist, or be an empty directory (removed).
    fn open(outputs: &Path) -> Result<Generations> {
        let link = std::path::absolute(outputs)
            .with_context(|| format!("cannot resolve the path {}", outputs.display()))?;
        let (Some(parent), Some(name)) = (link.parent(), link.file_name()) else {
            bail!(
                "{}: not a directory path for the outputs",
                outputs.display()
            );
        };
        if !parent.is_dir() {
            bail!(
                "{}: the outputs directory's parent does not exist",
                parent.display()
            );
        }
        let link = parent.join(name);
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => {}
            Ok(m) if m.is_dir() => {
                let empty = std::fs::read_dir(&link)
                    .with_context(|| format!("cannot read {}", link.display()))?
                    .next()
                    .is_none();
                if !empty && link.join(RUN_MANIFEST).is_file() {
                    // The outputs of a urval run from before generations: they become
                    // generation 0 (moved, then linked; a kill between the two is mended
                    // below by the next run).
                    let dir = generations_dir(parent, name);
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    std::fs::rename(&link, dir.join("0")).with_context(|| {
                        format!("cannot move {} into {}", link.display(), dir.display())
                    })?;
                } else if !empty {
                    bail!(
                        "{}: a directory that urval run did not make; urval run keeps each run's outputs in {} and makes {} a link to the newest: move the directory away or give another outputs path",
                        link.display(),
                        Path::new(&format!(".{}.generations", name.to_string_lossy())).display(),
                        link.display()
                    );
                }
                if empty {
                    std::fs::remove_dir(&link)
                        .with_context(|| format!("cannot replace {}", link.display()))?;
                }
            }
            Ok(_) => bail!(
                "{}: a file, not an outputs directory: give another outputs path",
                link.display()
            ),
            Err(_) => {}
        }
        let dir = generations_dir(parent, name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let g = Generations { link, dir };
        if std::fs::symlink_metadata(&g.link).is_err() && g.dir.join("0").is_dir() {
            g.publish(&g.dir.join("0"))?;
        }
        Ok(g)
    }

    /// The generation the link names, if any.
    fn current(&self) -> Option<u64> {
        let target = std::fs::read_link(&self.link).ok()?;
        target.file_name()?.to_str()?.parse().ok()
    }

    /// The numbered generation directories.
    fn numbered(&self) -> Result<Vec<u64>> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read {}", self.dir.display()))?
        {
            let e = e?;
            if let Some(n) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) {
                v.push(n);
            }
        }
        v.sort_unstable();
        Ok(v)
    }

    /// A new, empty generation directory (under the lock): generations left by killed
    /// runs (never linked) are removed first.
    fn begin(&self) -> Result<PathBuf> {
        let current = self.current();
        let all = self.numbered()?;
        for &n in &all {
            if Some(n) < current.map(|c| c.saturating_sub(1)) || n > current.unwrap_or(0) {
                let _ = std::fs::remove_dir_all(self.dir.join(n.to_string()));
            }
        }
        let next = all
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(current.unwrap_or(0))
            + 1;
        let path = self.dir.join(next.to_string());
        std::fs::create_dir(&path)
            .with_context(|| format!("cannot write in {}", self.dir.display()))?;
        Ok(path)
    }

    /// Make `generation` the outputs: its files are synced, a link to it is made under a
    /// temporary name and renamed over the outputs path (atomic), then generations older
    /// than the previous one are removed.
    fn publish(&self, generation: &Path) -> Result<()> {
        for e in std::fs::read_dir(generation)? {
            let p = e?.path();
            if p.is_file() {
                std::fs::File::open(&p)?.sync_all()?;
            }
        }
        if let Ok(d) = std::fs::File::open(generation) {
            let _ = d.sync_all();
        }
        let name = generation
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir_name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = Path::new(&dir_name).join(&name);
        let tmp = self.dir.join("link.tmp");
        let _ = std::fs::remove_file(&tmp);
        // The temporary link lives in the generations directory but is resolved from the
        // outputs path's directory after the rename, so it points one level up.
        symlink(&target, &tmp)
            .with_context(|| format!("cannot make the link {}", tmp.display()))?;
        if let Err(e) = std::fs::rename(&tmp, &self.link) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot publish {}", self.link.display()));
        }
        if let Some(parent) = self.link.parent() {
            if let Ok(d) = std::fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        // Published: from here on nothing may fail (the caller would remove the generation
        // the outputs path now names); old generations left now go at the next run.
        let now: u64 = name.parse().unwrap_or(0);
        for n in self.numbered().unwrap_or_default() {
            if n + 1 < now {
                let _ = std::fs::remove_dir_all(self.dir.join(n.to_string()));
            }
        }
        Ok(())
    }
}

/// `.NAME.generations` beside the outputs path `parent/NAME`.
fn generations_dir(parent: &Path, name: &std::ffi::OsStr) -> PathBuf {
    parent.join(format!(".{}.generations", name.to_string_lossy()))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// XXH3-128 of a file, streamed.
fn stream_hash(path: &Path) -> Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex128(h.digest128()))
}

/// The newest modification time (seconds since 1970) of the given files.
fn newest_mtime(paths: &[PathBuf]) -> i64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .max()
        .unwrap_or(0)
}

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
    fn the_lock_holder_is_named_or_said_unknown() {
        assert_eq!(lock_holder("4711"), "pid 4711");
        assert_eq!(lock_holder(" 4711\n"), "pid 4711");
        assert_eq!(lock_holder(""), "pid unknown");
        assert_eq!(lock_holder("x\u{0}"), "pid unknown");
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
