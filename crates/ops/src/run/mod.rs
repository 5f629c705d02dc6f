//! The nightly batch: a pipeline file names the extract and a list of typed steps (`plan`,
//! `draw`, `verify`, `indicators`, `report`, `validate`), each a table of the command's own
//! settings read into the request the command builds ([`load`]); [`run`] calls the
//! operations directly, one step at a time.
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
pub mod pipeline_error;
mod publish;
mod steps;

pub use manifest::{RunFile, RunManifest, RunOutcome, RunStep, RUN_MANIFEST, RUN_MANIFEST_VERSION};
pub use pipeline::*;
pub use pipeline_error::PipelineError;
use publish::{newest_mtime, stream_hash, Generations, Lock, Staging};
use steps::{run_step, Done, Places, Run};

use crate::error::{Context, OpsError, Result};
use crate::files::{file_name, rfc3339, wall_clock_secs};
use std::path::{Path, PathBuf};
use urval_ingest::Extract;

/// What a run reads: the extract's files, the pipeline file and the files the steps name
/// (in that order), and the secrets the steps name (never hashed).
struct Inputs {
    files: Vec<PathBuf>,
    secrets: Vec<PathBuf>,
}

impl Inputs {
    /// The inputs known before anything runs: the extract and the files steps name from
    /// outside (an earlier step's output is none), each checked to exist.
    fn known(p: &LoadedPipeline, pipeline: &Path) -> Result<Inputs> {
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
        let mut inputs = Inputs {
            files: first_extract.files.iter().map(|f| f.path.clone()).collect(),
            secrets: Vec::new(),
        };
        inputs.files.push(std::path::absolute(pipeline)?);
        let mut produced: Vec<String> = Vec::new();
        for LoadedStep { label, step, .. } in &p.steps {
            let (named, secret) = step.named_inputs();
            for n in named.into_iter().chain(secret) {
                if produced.iter().any(|o| n.as_os_str() == o.as_str()) {
                    continue;
                }
                let path = p.base.join(n);
                if !path.is_file() {
                    return Err(PipelineError::MissingInput {
                        pipeline: pipeline.to_path_buf(),
                        step: label.clone(),
                        input: path,
                    }
                    .into());
                }
                if Some(n) == secret {
                    inputs.add_secret(path);
                } else {
                    inputs.add_file(path);
                }
            }
            produced.extend(step.outputs());
        }
        Ok(inputs)
    }

    fn add_file(&mut self, path: PathBuf) {
        if !self.files.contains(&path) {
            self.files.push(path);
        }
    }

    fn add_secret(&mut self, path: PathBuf) {
        if !self.secrets.contains(&path) {
            self.secrets.push(path);
        }
    }

    /// The run manifest's inputs: each file with its size and checksum, then each secret by
    /// its path alone.
    fn records(&self) -> Result<Vec<RunFile>> {
        let mut records = Vec::new();
        for path in &self.files {
            records.push(RunFile {
                path: path.display().to_string(),
                bytes: Some(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)),
                xxh3_128: Some(stream_hash(path)?),
            });
        }
        for path in &self.secrets {
            records.push(RunFile {
                path: path.display().to_string(),
                bytes: None,
                xxh3_128: None,
            });
        }
        Ok(records)
    }
}

/// A step that ran: its label, the step, its seconds and what it did.
type Ran<'a> = (String, &'a Step, f64, Done);

/// Run the steps in order into `staging`, until one fails or finds something (its error,
/// labelled).
fn run_steps<'a>(
    p: &'a LoadedPipeline,
    staging: &Path,
    output_time: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> (Vec<Ran<'a>>, Option<OpsError>) {
    let mut places = Places {
        base: &p.base,
        staging,
        produced: Vec::new(),
    };
    let mut records = Vec::new();
    for loaded in &p.steps {
        let label = &loaded.label;
        let t0 = std::time::Instant::now();
        tracing::info!(step = %label, "running");
        let run = Run {
            pipeline: p,
            places: &places,
            output_time,
            progress,
        };
        match run_step(&run, loaded) {
            Ok(done) => {
                if let Some(f) = &done.finding {
                    let finding = PipelineError::Finding {
                        step: label.clone(),
                        finding: f.to_string(),
                    }
                    .into();
                    return (records, Some(finding));
                }
                places.produced.extend(loaded.step.outputs());
                records.push((
                    label.clone(),
                    &loaded.step,
                    t0.elapsed().as_secs_f64(),
                    done,
                ));
            }
            Err(e) => return (records, Some(e.context_label(label))),
        }
    }
    (records, None)
}

/// The files the steps wrote into `staging`, with their sizes and checksums.
fn produced_files(records: &[Ran], staging: &Path) -> Result<Vec<RunFile>> {
    let mut produced = Vec::new();
    for (_, step, _, _) in records {
        for o in step.outputs() {
            let path = staging.join(&o);
            if path.is_file() {
                produced.push(RunFile {
                    path: o.clone(),
                    bytes: Some(std::fs::metadata(&path)?.len()),
                    xxh3_128: Some(stream_hash(&path)?),
                });
            }
        }
    }
    Ok(produced)
}

/// The run manifest's steps: each with its seconds, the extract's files it read, the files
/// it wrote and its summary.
fn step_records(records: Vec<Ran>, staging: &Path) -> Vec<RunStep> {
    records
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
        .collect()
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
    let mut inputs = Inputs::known(&p, pipeline)?;
    let gens = Generations::open(&outputs_dir)?;
    let outputs_dir = gens.link.clone();
    let _lock = Lock::take(&gens.dir)?;
    let staging_dir = Staging {
        path: gens.begin()?,
        kept: false,
    };
    let staging = staging_dir.path.clone();
    let output_time = rfc3339(newest_mtime(&inputs.files));
    let (records, failure) = run_steps(&p, &staging, &output_time, progress);
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
    let produced = produced_files(&records, &staging)?;
    for (_, _, _, d) in &records {
        for r in &d.reads {
            inputs.add_file(r.clone());
        }
        for s in &d.secrets {
            inputs.add_secret(s.clone());
        }
    }
    let input_records = inputs.records()?;
    let steps = step_records(records, &staging);
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
        outputs: produced,
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
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A pipeline over `x.csv` in a folder of its own, with the files `files` beside it.
    fn pipeline(steps: &str, files: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), "id,area\n1,a\n").unwrap();
        for f in files {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            format!("outputs = 'out'\nextract = ['x.csv']\nkey = 'id'\n{steps}"),
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn inputs_are_the_extract_the_pipeline_and_what_steps_name_from_outside() {
        let steps = "[[step]]\ncommand='plan'\nstrata='area'\ntotal=1\noutput='plan.json'\n\
                     [[step]]\ncommand='draw'\nplan='plan.json'\nseed=1\nsecret_file='s.key'\npseudonymize='id'\noutput='m.csv'\n\
                     [[step]]\ncommand='report'\nplan='plan.json'\nlabels='labels.csv'\noutput='r.html'\n";
        let (dir, path) = pipeline(steps, &["s.key", "labels.csv"]);
        let p = load(&path).unwrap();
        let inputs = Inputs::known(&p, &path).unwrap();
        let base = std::path::absolute(dir.path()).unwrap();
        assert_eq!(
            inputs.files,
            [
                base.join("x.csv"),
                base.join("p.toml"),
                base.join("labels.csv")
            ]
        );
        assert_eq!(inputs.secrets, [base.join("s.key")]);
        let records = inputs.records().unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].bytes, Some(12));
        assert!(records[0].xxh3_128.is_some());
        assert_eq!(
            (records[3].bytes, records[3].xxh3_128.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn a_named_input_that_is_not_there_names_its_step() {
        let steps = "[[step]]\ncommand='report'\nplan='plan.json'\noutput='r.html'\n";
        let (dir, path) = pipeline(steps, &[]);
        let p = load(&path).unwrap();
        let e = Inputs::known(&p, &path)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        let base = std::path::absolute(dir.path()).unwrap();
        assert_eq!(
            e,
            format!(
                "{}: step 1 (report → r.html) reads {}, which does not exist",
                path.display(),
                base.join("plan.json").display()
            )
        );
    }
}
