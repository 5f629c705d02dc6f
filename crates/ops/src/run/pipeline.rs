//! The pipeline file: its schema (the extract, the defaults, the typed steps) and [`load`],
//! which reads it and resolves its paths against the file's directory.
//!
//! A step is a table of its command's settings, read by serde into the request the command
//! builds ([`PlanRequest`], [`DrawJob`], [`VerifyRequest`], [`IndicatorsJob`],
//! [`ReportJob`]) beside a few parts of its own: the output and how the extract is read
//! ([`Reading`]), and the keys whose pipeline form differs from the request's. Each part
//! takes its own keys; a key no part takes is an error naming the step and the key.

use super::pipeline_error::PipelineError;
use crate::draw::DrawJob;
use crate::error::{Context, Result};
use crate::indicators::IndicatorsJob;
use crate::plan::{PlanRequest, Staging};
use crate::report::ReportJob;
use crate::setting::READ_WHEN_RUN;
pub use crate::setting::{Exprs, Names, Rate};
use crate::verify::VerifyRequest;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The output of a step and, for a step that reads the extract, how it reads it (each over
/// the pipeline's setting).
#[derive(Debug, Clone, Deserialize)]
pub struct Reading {
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
}

/// The output of a step that reads no extract.
#[derive(Debug, Clone, Deserialize)]
pub struct Output {
    /// The output file name (written into the outputs directory).
    pub output: String,
}

/// A `plan` step's keys beside its request's and the stages': the key column, the
/// purposes and the burden rates.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanKeys {
    /// The key column (default: the pipeline's).
    pub key: Option<String>,
    /// A purposes file: size for every purpose in it at once (`urval plan --purposes`).
    pub purposes: Option<String>,
    /// What a plan for several purposes minimises: `records` (default), `pages`, or a
    /// CSV of costs per stratum (the strata columns and `cost`).
    pub cost: Option<String>,
    /// Pages per record.
    pub pages_per_record: Option<f64>,
    /// Minutes per record.
    pub minutes_per_record: Option<f64>,
    /// Working hours per day.
    pub hours_per_day: Option<f64>,
}

/// A `plan` step: the settings of `urval plan`.
#[derive(Debug, Clone)]
pub struct PlanStep {
    /// The output and the extract.
    pub reading: Reading,
    /// The request (its key, rates, stages and purposes come from the other parts).
    pub request: PlanRequest,
    /// The key, the purposes and the burden rates.
    pub keys: PlanKeys,
    /// The stages, as `urval plan` takes them.
    pub staging: Staging,
}

/// A `draw` step: the settings of `urval draw` (no `split_by`: one manifest per step).
#[derive(Debug, Clone)]
pub struct DrawStep {
    /// The output and the extract.
    pub reading: Reading,
    /// The draw.
    pub job: DrawJob,
}

/// A `verify` step's plan, beside its request.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifyPlan {
    /// The plan.
    pub plan: String,
}

/// A `verify` step: the comparison is written as text (or JSON for a `.json` output).
#[derive(Debug, Clone)]
pub struct VerifyStep {
    /// The output and the extract.
    pub reading: Reading,
    /// The plan.
    pub plan: VerifyPlan,
    /// The comparison asked for.
    pub request: VerifyRequest,
}

/// An `indicators` step's finding rule, beside its job.
#[derive(Debug, Clone, Deserialize)]
pub struct EmptyStrata {
    /// A design stratum without response is not a failure.
    #[serde(default)]
    pub allow_empty_strata: bool,
}

/// An `indicators` step: the settings of `urval indicators`.
#[derive(Debug, Clone)]
pub struct IndicatorsStep {
    /// The output and the extract.
    pub reading: Reading,
    /// The indicators.
    pub job: IndicatorsJob,
    /// Whether strata without response fail the run.
    pub empty_strata: EmptyStrata,
}

/// A `report` step: the settings of `urval report`.
#[derive(Debug, Clone)]
pub struct ReportStep {
    /// The output.
    pub output: Output,
    /// The report.
    pub job: ReportJob,
}

/// A `validate` step's own keys: the counts are written as text (or JSON for a `.json`
/// output).
#[derive(Debug, Clone, Deserialize)]
pub struct ValidateKeys {
    /// The personnummer column.
    pub personnummer: String,
    /// How many invalid rows to list (default 20).
    pub show: Option<usize>,
}

/// A `validate` step.
#[derive(Debug, Clone)]
pub struct ValidateStep {
    /// The output and the extract.
    pub reading: Reading,
    /// The column and the rows to list.
    pub keys: ValidateKeys,
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

/// One step of a pipeline, by its `command`.
#[derive(Debug, Clone)]
pub enum Step {
    /// `urval plan` (boxed: the largest by far).
    Plan(Box<PlanStep>),
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

/// The commands a step may name.
#[derive(Debug, Clone, Copy)]
enum Command {
    Plan,
    Draw,
    Verify,
    Indicators,
    Report,
    Validate,
}

impl<'de> Deserialize<'de> for Command {
    /// A command's name (`command = "draw"`), refused as serde refuses an unknown variant.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        const NAMES: &[&str] = &["plan", "draw", "verify", "indicators", "report", "validate"];
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Command;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("variant identifier")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Command, E> {
                Ok(match v {
                    "plan" => Command::Plan,
                    "draw" => Command::Draw,
                    "verify" => Command::Verify,
                    "indicators" => Command::Indicators,
                    "report" => Command::Report,
                    "validate" => Command::Validate,
                    _ => return Err(E::unknown_variant(v, NAMES)),
                })
            }
        }
        d.deserialize_identifier(Name)
    }
}

/// The keys a struct takes: its serde field names, in order (a skipped field is none).
fn keys_of<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Deserializer, Visitor};
    /// A deserializer that only learns the names of the fields asked for.
    struct Probe;
    #[derive(Debug)]
    struct Fields(&'static [&'static str]);
    impl std::fmt::Display for Fields {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "fields {:?}", self.0)
        }
    }
    impl std::error::Error for Fields {}
    impl serde::de::Error for Fields {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Fields(&[])
        }
    }
    impl<'de> Deserializer<'de> for Probe {
        type Error = Fields;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Fields> {
            Err(Fields(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> std::result::Result<V::Value, Fields> {
            Err(Fields(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Fields(f)) => f,
        Ok(_) => &[],
    }
}

/// One part of a step, read from the step's table (it takes its own keys and leaves the
/// others to the other parts).
fn part<T: DeserializeOwned>(table: &toml::Table) -> std::result::Result<T, toml::de::Error> {
    toml::Value::Table(table.clone()).try_into()
}

/// A step as its parts: the keys they take, and the parts read from a table.
trait Parts: Sized {
    /// Every key of the step, in its parts' order.
    fn keys() -> Vec<&'static str>;
    /// The parts.
    fn read(table: &toml::Table) -> std::result::Result<Self, toml::de::Error>;
    /// Read the part that takes `key` from `one`, a table of that key alone.
    fn check_key(key: &str, one: &toml::Table) -> std::result::Result<(), toml::de::Error>;
}

/// [`Parts`] of a step struct whose every field is a part: its keys and its reading come
/// from the one list, so they cannot disagree.
macro_rules! parts {
    ($step:ident { $($field:ident: $part:ty),+ $(,)? }) => {
        impl Parts for $step {
            fn keys() -> Vec<&'static str> {
                [$(keys_of::<$part>()),+].concat()
            }
            fn read(t: &toml::Table) -> std::result::Result<Self, toml::de::Error> {
                Ok($step { $($field: part(t)?),+ })
            }
            fn check_key(
                key: &str,
                one: &toml::Table,
            ) -> std::result::Result<(), toml::de::Error> {
                $(
                    if keys_of::<$part>().contains(&key) {
                        return part::<$part>(one).map(drop);
                    }
                )+
                Ok(())
            }
        }
    };
}

parts!(PlanStep {
    reading: Reading,
    request: PlanRequest,
    keys: PlanKeys,
    staging: Staging
});
parts!(DrawStep {
    reading: Reading,
    job: DrawJob
});
parts!(VerifyStep {
    reading: Reading,
    plan: VerifyPlan,
    request: VerifyRequest
});
parts!(IndicatorsStep {
    reading: Reading,
    job: IndicatorsJob,
    empty_strata: EmptyStrata
});
parts!(ReportStep {
    output: Output,
    job: ReportJob
});
parts!(ValidateStep {
    reading: Reading,
    keys: ValidateKeys
});

/// serde's words for a key no field takes.
fn unknown_key(key: &str, keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [] => format!("unknown field `{key}`, there are no fields"),
        [one] => format!("unknown field `{key}`, expected {one}"),
        [a, b] => format!("unknown field `{key}`, expected {a} or {b}"),
        _ => format!(
            "unknown field `{key}`, expected one of {}",
            quoted.join(", ")
        ),
    }
}

/// The values a step's file gives as text that read as nothing: (key, message), in the
/// keys' order.
pub type Unread = Vec<(String, String)>;

/// A step read from its table, key by key in the table's order as serde reads a struct: a
/// key no part takes, or a value of the wrong type, is an error at once (its message); then
/// a missing key. A value written as text that reads as nothing (a language, a dialect, an
/// allocation, a rate: [`READ_WHEN_RUN`]) is kept for when the step runs ([`Unread`]); its
/// part holds the default meanwhile.
fn typed<P: Parts>(table: &toml::Table) -> std::result::Result<(P, Unread), String> {
    let keys = P::keys();
    let mut unread = Unread::new();
    for (k, v) in table {
        if k == "command" {
            continue;
        }
        if !keys.contains(&k.as_str()) {
            return Err(unknown_key(k, &keys));
        }
        let one = toml::Table::from_iter([(k.clone(), v.clone())]);
        let Err(e) = P::check_key(k, &one) else {
            continue;
        };
        // One key alone cannot give its part's other required keys: serde says so after
        // reading every key, and so does `P::read` below.
        if e.message().starts_with("missing field `") {
            continue;
        }
        if READ_WHEN_RUN.contains(&k.as_str()) && v.is_str() {
            unread.push((k.clone(), e.message().to_string()));
            continue;
        }
        return Err(e.message().to_string());
    }
    let mut readable = table.clone();
    readable.retain(|k, _| !unread.iter().any(|(u, _)| u == k));
    P::read(&readable)
        .map(|parts| (parts, unread))
        .map_err(|e| e.message().to_string())
}

impl Step {
    /// A step from its table (with the values read when it runs, see
    /// [`LoadedStep::unread`]).
    fn from_table(table: &toml::Table) -> std::result::Result<(Step, Unread), String> {
        let command: Command = match table.get("command") {
            Some(c) => c
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| e.message().to_string())?,
            None => return Err("missing field `command`".to_string()),
        };
        Ok(match command {
            Command::Plan => typed(table).map(|(s, u)| (Step::Plan(Box::new(s)), u))?,
            Command::Draw => typed(table).map(|(s, u)| (Step::Draw(s), u))?,
            Command::Verify => typed(table).map(|(s, u)| (Step::Verify(s), u))?,
            Command::Indicators => typed(table).map(|(s, u)| (Step::Indicators(s), u))?,
            Command::Report => typed(table).map(|(s, u)| (Step::Report(s), u))?,
            Command::Validate => typed(table).map(|(s, u)| (Step::Validate(s), u))?,
        })
    }

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
            Step::Plan(s) => &s.reading.output,
            Step::Draw(s) => &s.reading.output,
            Step::Verify(s) => &s.reading.output,
            Step::Indicators(s) => &s.reading.output,
            Step::Report(s) => &s.output.output,
            Step::Validate(s) => &s.reading.output,
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

    /// The files the step names that must exist before the run (unless an earlier step
    /// writes them), and its secret.
    pub(super) fn named_inputs(&self) -> (Vec<&Path>, Option<&Path>) {
        match self {
            Step::Plan(_) | Step::Validate(_) => (vec![], None),
            Step::Draw(s) => (vec![s.job.plan.as_path()], s.job.secret_file.as_deref()),
            Step::Verify(s) => (
                vec![Path::new(&s.plan.plan), s.request.manifest.as_path()],
                s.request.secret_file.as_deref(),
            ),
            Step::Indicators(s) => (
                std::iter::once(s.job.spec.as_path())
                    .chain(s.job.manifest.as_deref())
                    .collect(),
                s.job.secret_file.as_deref(),
            ),
            Step::Report(s) => (
                std::iter::once(s.job.plan.as_path())
                    .chain(s.job.requested_file.as_deref())
                    .chain(s.job.manifest.as_deref())
                    .chain(s.job.indicators.as_deref())
                    .chain(s.job.labels.as_deref())
                    .chain(s.job.previous.as_deref())
                    .collect(),
                None,
            ),
        }
    }
}

/// One step of a loaded pipeline.
#[derive(Debug)]
pub struct LoadedStep {
    /// Its label, `step 2 (draw → manifest.csv)`.
    pub label: String,
    /// The step.
    pub step: Step,
    /// The values written as text that read as nothing (a language, a CSV dialect, a
    /// nonresponse rule, an allocation, a rate): the step fails with the first of them it
    /// reads when it runs, after the steps before it, as its command would. Its typed
    /// settings hold the defaults of such values meanwhile.
    pub unread: Unread,
}

impl LoadedStep {
    /// Fail with the message of the first of `keys` (in that order) whose value reads as
    /// nothing, if any does.
    ///
    /// # Errors
    /// A value that reads as nothing.
    pub(super) fn read_when_run(&self, keys: &[&str]) -> Result<()> {
        for k in keys {
            if let Some((_, e)) = self.unread.iter().find(|(u, _)| u == k) {
                return Err(PipelineError::UnreadValue {
                    key: k.to_string(),
                    message: e.clone(),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// The keys of a step of `command` (the tests check each step reads its values).
#[cfg(test)]
pub(super) fn command_keys(command: &str) -> Vec<&'static str> {
    match command {
        "plan" => PlanStep::keys(),
        "draw" => DrawStep::keys(),
        "verify" => VerifyStep::keys(),
        "indicators" => IndicatorsStep::keys(),
        "report" => ReportStep::keys(),
        _ => ValidateStep::keys(),
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
    /// The steps with their labels.
    pub steps: Vec<LoadedStep>,
}

/// Read a pipeline file: unknown keys (at the top or in a step) are errors naming the step
/// and the key.
///
/// # Errors
/// The file cannot be read, is not TOML, or a step is not valid.
pub fn load(path: &Path) -> Result<LoadedPipeline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the pipeline {}", path.display()))?;
    let pipeline: Pipeline = toml::from_str(&text).map_err(|e| PipelineError::NotAPipeline {
        path: path.to_path_buf(),
        located: urval_ingest::located(&text, e.message(), e.span()).to_string(),
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
        let (step, unread) = Step::from_table(table).map_err(|message| PipelineError::BadStep {
            path: path.to_path_buf(),
            step: label_base.clone(),
            located: urval_ingest::located(&text, &message, None).to_string(),
        })?;
        let output = step.output().to_string();
        if Path::new(&output).components().count() != 1 || output.starts_with('.') {
            return Err(PipelineError::OutputNotAFileName {
                path: path.to_path_buf(),
                step: label_base,
                output,
            }
            .into());
        }
        if produced.contains(&output) {
            return Err(PipelineError::OutputTwice {
                path: path.to_path_buf(),
                step: label_base,
                output,
            }
            .into());
        }
        produced.extend(step.outputs());
        steps.push(LoadedStep {
            label: format!("step {} ({command} → {output})", i + 1),
            step,
            unread,
        });
    }
    if steps.is_empty() {
        return Err(PipelineError::NoSteps {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(LoadedPipeline {
        path: path.to_path_buf(),
        base,
        pipeline,
        steps,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn steps(text: &str) -> Result<LoadedPipeline> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text)?;
        load(&path)
    }

    #[test]
    fn pipeline_errors_are_typed_with_their_fields() {
        let two = "outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'\nstrata='m'\nmargin=0.05\noutput='p.json'\n[[step]]\ncommand='plan'\nstrata='m'\nmargin=0.1\noutput='p.json'";
        let e = steps(two).err().unwrap();
        assert!(
            matches!(
                e.typed::<PipelineError>(),
                Some(PipelineError::OutputTwice { step, output, .. })
                    if step == "step 2 (plan)" && output == "p.json"
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .ends_with(": step 2 (plan): output \"p.json\" is written by an earlier step too"),
            "{e}"
        );
        let e = steps("outputs='o'\nextract=['x']\n").err().unwrap();
        assert!(
            matches!(
                e.typed::<PipelineError>(),
                Some(PipelineError::NoSteps { .. })
            ),
            "{e:?}"
        );
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
        assert_eq!(p.steps[1].label, "step 2 (draw → manifest.csv)");
        let Step::Draw(d) = &p.steps[1].step else {
            panic!("not a draw")
        };
        assert_eq!(d.job.include, ["a", "b"]);
        assert!(p.steps[1]
            .step
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
                "step 1 (draw): unknown field `sed`, expected one of `output`, `extract`, `delimiter`, `encoding…",
            ),
            (
                "[[step]]\ncommand='report'\nplan='p'\nextract='x'\noutput='r.html'",
                "step 1 (report): unknown field `extract`, expected one of `output`, `plan`, `requested`, `request…",
            ),
            (
                "[[step]]\ncommand=5\noutput='m.csv'",
                "step 1 (?): invalid type: integer `5`, expected variant identifier",
            ),
            ("[[step]]\noutput='m.csv'", "step 1 (?): missing field `command`"),
            ("", "no [[step]]"),
            ("colour='red'", "unknown field `colour`"),
        ] {
            let e = steps(&format!("outputs='o'\nextract=['x']\n{bad}")).unwrap_err();
            assert!(e.to_string().contains(want), "{bad}: {want:?} not in {e}");
        }
    }

    /// A step's keys are its parts' keys, each taken by one part only; the key lists
    /// begin as the messages show them.
    #[test]
    fn each_key_belongs_to_one_part() {
        for keys in [
            PlanStep::keys(),
            DrawStep::keys(),
            VerifyStep::keys(),
            IndicatorsStep::keys(),
            ReportStep::keys(),
            ValidateStep::keys(),
        ] {
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), keys.len(), "{keys:?}");
            assert_eq!(keys[0], "output");
        }
        assert_eq!(
            DrawStep::keys()[..12],
            [
                "output",
                "extract",
                "delimiter",
                "encoding",
                "sheet",
                "date_format",
                "municipality_column",
                "keep_unknown_municipalities",
                "personal",
                "max_quarantine",
                "plan",
                "seed"
            ]
        );
        assert_eq!(
            ReportStep::keys()[..4],
            ["output", "plan", "requested", "requested_file"]
        );
        assert!(PlanStep::keys().contains(&"where") && PlanStep::keys().contains(&"check"));
        assert!(!PlanStep::keys().contains(&"checks") && !DrawStep::keys().contains(&"bound_sds"));
    }

    #[test]
    fn unknown_keys_are_refused_in_serdes_words() {
        assert_eq!(
            unknown_key("x", &["a", "b", "c"]),
            "unknown field `x`, expected one of `a`, `b`, `c`"
        );
        assert_eq!(
            unknown_key("x", &["a", "b"]),
            "unknown field `x`, expected `a` or `b`"
        );
        assert_eq!(unknown_key("x", &["a"]), "unknown field `x`, expected `a`");
        assert_eq!(
            unknown_key("x", &[]),
            "unknown field `x`, there are no fields"
        );
    }

    /// A value written as text that reads as nothing waits for its step to run; a value of
    /// the wrong type, or one beside an unknown key, is an error when the file is read.
    #[test]
    fn a_value_that_reads_as_nothing_fails_its_step_when_it_runs() {
        let text = |extra: &str| {
            format!("outputs='o'\nextract=['x']\n[[step]]\ncommand='draw'\nplan='p'\nseed=1\noutput='m.csv'\n{extra}")
        };
        let p = steps(&text("lang='fr'\ncsv_dialect='x'\ninclude='a,b'")).unwrap();
        let s = &p.steps[0];
        assert_eq!(
            s.unread,
            [
                (
                    "csv_dialect".to_string(),
                    r#"csv_dialect "x": use "standard" or "excel-sv""#.to_string()
                ),
                (
                    "lang".to_string(),
                    r#"lang "fr": use "sv" or "en""#.to_string()
                )
            ]
        );
        assert_eq!(
            s.read_when_run(&["lang", "csv_dialect"])
                .unwrap_err()
                .to_string(),
            r#"lang "fr": use "sv" or "en""#
        );
        assert!(s.read_when_run(&["margin"]).is_ok());
        let Step::Draw(d) = &s.step else {
            panic!("not a draw")
        };
        assert_eq!(d.job.include, ["a", "b"]);
        let p = steps(&text("lang='en'\ncsv_dialect='x'")).unwrap();
        let Step::Draw(d) = &p.steps[0].step else {
            panic!("not a draw")
        };
        assert_eq!(
            d.job.lang,
            urval_report::Lang::En,
            "a value that reads is kept"
        );
        for (extra, want) in [
            ("lang=5", "invalid type: integer `5`, expected a string"),
            ("lang='fr'\nseed2=1", "unknown field `seed2`"),
            ("lang='fr'\nplan=5", "duplicate key"),
            (
                "lang='fr'\nstart='x'",
                "invalid type: string \"x\", expected f64",
            ),
            // The first key in the table's order: a value of the wrong type before an
            // unknown key, an unknown key before a missing one.
            (
                "include=5\nzz=1",
                "data did not match any variant of untagged enum Names",
            ),
            ("aa=1\ninclude=5", "unknown field `aa`"),
        ] {
            let e = steps(&text(extra)).unwrap_err().to_string();
            assert!(e.contains(want), "{extra}: {want:?} not in {e}");
        }
        let e = steps("outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'\nstrata='m'\nmargin='5 %'\nfirst_fraction='x'\noutput='p.json'").unwrap();
        assert_eq!(
            e.steps[0].unread,
            [(
                "first_fraction".to_string(),
                r#"first_fraction: not a rate: "x" (write 0.05, 5% or "5 %")"#.to_string()
            )]
        );
        let e = steps("outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'\nmargin='x'\nzz=1\noutput='p.json'").unwrap_err().to_string();
        assert!(e.ends_with("step 1 (plan): unknown field `zz`, expected one of `output`, `extract`, `delimiter`, `encoding`…"), "{e}");
        let e = steps(
            "outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'\nmargin='x'\noutput='p.json'",
        )
        .unwrap_err()
        .to_string();
        assert!(e.ends_with("step 1 (plan): missing field `strata`"), "{e}");
    }
}
