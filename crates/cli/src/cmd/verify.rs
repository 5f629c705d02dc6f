//! `urval verify`: recompute a draw from the extract, the plan and the seed, and compare it
//! with a manifest: identical (exit 0) or the differences (exit 1).

use super::common::ExtractArgs;
use crate::format::Output;
use crate::util::progress_bar;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use urval_ops::artifacts::PlanFile;
use urval_ops::verify::{verify, VerifyRequest};

/// Arguments of `urval verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Seed, start and the part (--only) come from the manifest's sidecar unless given: the
file named after the manifest's whole name (urval.xlsx.draw.json), else the copy an .xlsx
manifest carries inside itself, else the name earlier versions wrote (urval.draw.json).
Without --plan, the plan is the file the sidecar names beside the manifest, else the copy an
.xlsx manifest carries; its checksum must be the draw's.

Example:
  urval verify --extract sample-data/cases.parquet --plan out/plan.json --manifest out/manifest.csv
  urval verify --manifest urval-0180.xlsx --extract own-extract.csv"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    extract: ExtractArgs,
    /// The plan the draw used (default: the one that travels with the manifest).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// The manifest to check (.csv, .parquet or .xlsx).
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// The seed (default: from the sidecar).
    #[arg(long)]
    seed: Option<u64>,
    /// The start (default: from the sidecar, else 0).
    #[arg(long)]
    start: Option<f64>,
    /// COL=VALUE (default: from the sidecar).
    #[arg(long, value_name = "COL=VALUE")]
    only: Option<String>,
    /// Columns holding personal data: their values are never printed.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    personal: Vec<String>,
    /// The secret the draw pseudonymized its key with (needed when the sidecar says the
    /// key was pseudonymized).
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// A phase-2 manifest's phase-1 manifest (default: the one its sidecar names, beside it).
    #[arg(long, value_name = "FILE")]
    phase1: Option<PathBuf>,
}

/// Run `urval verify`.
pub fn run(args: &VerifyArgs) -> Result<Output> {
    let found = urval_ops::manifest::find_sidecar(&args.manifest)?;
    // A phase-2 subsample is verified against its phase-1 manifest, not the extract.
    if let Some(f) = found.as_ref().filter(|f| f.sidecar.phase.is_some()) {
        let Some(plan) = &args.plan else {
            anyhow::bail!(
                "{}: a phase-2 manifest: give its phase-2 plan with --plan",
                f.origin.display()
            );
        };
        let v = urval_ops::phase2::verify_phase2(&args.manifest, plan, args.phase1.as_deref())?;
        let mut text = v.text(&args.manifest.display().to_string());
        if v.identical() {
            text = text.replacen('\n', " (phase 2: the re-review subsample)\n", 1);
        }
        return Ok(Output::with_code(text, u8::from(!v.identical())));
    }
    let plan = match (&args.plan, &found) {
        (Some(p), _) => PlanFile::read(p)?,
        (None, Some(f)) => urval_ops::manifest::plan_beside(&args.manifest, f)?.0,
        (None, None) => anyhow::bail!(
            "{}: no sidecar beside it to find the plan by: give --plan and --seed",
            args.manifest.display()
        ),
    };
    let extract = args.extract.resolve()?;
    let req = VerifyRequest {
        manifest: args.manifest.clone(),
        seed: args.seed,
        start: args.start,
        only: args.only.clone(),
        personal: args.personal.clone(),
        secret_file: args.secret_file.clone(),
    };
    let pb = progress_bar("drawing");
    let v = verify(&extract, &plan, &req, &|n| pb.inc(n))?;
    pb.finish_and_clear();
    let text = v.text(&args.manifest.display().to_string());
    Ok(Output::with_code(text, u8::from(!v.identical())))
}
