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
mod publish;
mod steps;

pub use manifest::{RunFile, RunManifest, RunOutcome, RunStep, RUN_MANIFEST, RUN_MANIFEST_VERSION};
pub use pipeline::*;
use publish::{newest_mtime, stream_hash, Generations, Lock, Staging};
use steps::{run_step, Done, Places, Run};

use crate::bail;
use crate::error::{Context, OpsError, Result};
use crate::files::{file_name, rfc3339, wall_clock_secs};
use std::path::{Path, PathBuf};
use urval_ingest::Extract;

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
    for LoadedStep { label, step, .. } in &p.steps {
        let (named, secret) = step.named_inputs();
        for n in named.into_iter().chain(secret) {
            if produced.iter().any(|o| n.as_os_str() == o.as_str()) {
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
    for loaded in &p.steps {
        let label = &loaded.label;
        let t0 = std::time::Instant::now();
        tracing::info!(step = %label, "running");
        let run = Run {
            pipeline: &p,
            places: &places,
            output_time: &output_time,
            progress,
        };
        match run_step(&run, loaded) {
            Ok(done) => {
                if let Some(f) = &done.finding {
                    failure = Some(OpsError::Input(format!("{label}: a data finding:\n{f}")));
                    break;
                }
                places.produced.extend(loaded.step.outputs());
                records.push((
                    label.clone(),
                    &loaded.step,
                    t0.elapsed().as_secs_f64(),
                    done,
                ));
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
