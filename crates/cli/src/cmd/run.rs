//! `urval run`: the nightly batch ([`urval_ops::run::run`]): the steps of a pipeline file
//! into an outputs directory, atomically, under a lock, with run-manifest.json; each step's
//! summary printed.

use crate::format::{thousands, Output};
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_ops::run::RUN_MANIFEST;

/// Arguments of `urval run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Paths in the pipeline file are relative to its directory.

Example (nightly at 02:30 from cron):
  30 2 * * *  urval run /srv/urval/pipeline/nightly.toml >> /srv/urval/log/nightly.log 2>&1"
)]
pub struct RunArgs {
    /// The pipeline file (TOML), e.g. pipeline/nightly.toml.
    pub pipeline: PathBuf,
    /// Write into this directory instead of the pipeline's `outputs`.
    #[arg(long, value_name = "DIR")]
    pub outputs: Option<PathBuf>,
}

/// Run `urval run`.
pub fn run(args: &RunArgs) -> Result<Output> {
    let pb = crate::util::progress_bar("running");
    let outcome = urval_ops::run::run(&args.pipeline, args.outputs.as_deref(), &|n| pb.inc(n))?;
    pb.finish_and_clear();
    let m = &outcome.manifest;
    let mut t = String::new();
    for s in &m.steps {
        writeln!(t, "== {} ({:.2} s)", s.step, s.seconds)?;
        for line in &s.summary {
            writeln!(t, " {line}")?;
        }
    }
    writeln!(
        t,
        "urval run: {} steps, {} outputs in {} ({} bytes); run manifest {}",
        m.steps.len(),
        m.outputs.len(),
        outcome.outputs_dir.display(),
        thousands(m.outputs.iter().filter_map(|o| o.bytes).sum()),
        outcome.outputs_dir.join(RUN_MANIFEST).display()
    )?;
    Ok(Output::ok(t))
}
