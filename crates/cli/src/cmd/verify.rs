//! `urval verify`: recompute a draw from the extract, the plan and the seed, and compare it
//! with a manifest: identical (exit 0) or the differences (exit 1).

use super::common::ExtractArgs;
use crate::format::Output;
use crate::util::progress_bar;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use urval_ops::artifacts::PlanFile;
use urval_ops::commitment::{check_chain, SeedOrigin};
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
    /// The commitment a derived seed came from (default: the file the sidecar names,
    /// beside the manifest): checked against the plan, the extract and the seed.
    #[arg(long, value_name = "FILE")]
    commitment: Option<PathBuf>,
    /// The randomness you saw produced (default: the one the sidecar records): it must
    /// give the manifest's seed from the commitment.
    #[arg(long, value_name = "DIGITS")]
    randomness: Option<String>,
}

/// The chain from the commitment to the seed, when the seed was derived or a commitment
/// or randomness is given: the lines to print and whether a link is broken.
fn chain(
    args: &VerifyArgs,
    found: Option<&urval_ops::manifest::FoundSidecar>,
    plan: (&str, &[u8]),
    plan_fingerprint: Option<&str>,
) -> Result<(String, bool)> {
    let (origin, seed) = match found {
        Some(f) => (f.sidecar.seed_origin.clone(), f.sidecar.seed),
        None => (SeedOrigin::Chosen, 0),
    };
    let beside = match &origin {
        SeedOrigin::Derived {
            commitment_file, ..
        } => Some(args.manifest.with_file_name(commitment_file)).filter(|p| p.exists()),
        SeedOrigin::Chosen => None,
    };
    let commitment = args.commitment.clone().or(beside);
    let Some(chain) = check_chain(
        &origin,
        seed,
        plan,
        plan_fingerprint,
        commitment.as_deref(),
        args.randomness.as_deref(),
    )?
    else {
        return Ok((String::new(), false));
    };
    let mut s = String::new();
    for l in &chain.holds {
        s.push_str(&format!("  chain: {l}\n"));
    }
    for l in &chain.broken {
        s.push_str(&format!("  chain broken: {l}\n"));
    }
    Ok((s, !chain.broken.is_empty()))
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
        let plan_bytes = std::fs::read(plan)?;
        let plan_name = urval_ops::files::file_name(plan);
        let (chain_text, broken) = chain(args, found.as_ref(), (&plan_name, &plan_bytes), None)?;
        let v = urval_ops::phase2::verify_phase2(&args.manifest, plan, args.phase1.as_deref())?;
        let mut text = v.text(&args.manifest.display().to_string());
        if v.identical() {
            text = text.replacen('\n', " (phase 2: the re-review subsample)\n", 1);
        }
        text.push_str(&chain_text);
        return Ok(Output::with_code(text, u8::from(!v.identical() || broken)));
    }
    let (plan, plan_name, plan_bytes) = match (&args.plan, &found) {
        (Some(p), _) => (
            PlanFile::read(p)?,
            urval_ops::files::file_name(p),
            std::fs::read(p)?,
        ),
        (None, Some(f)) => {
            let (plan, _) = urval_ops::manifest::plan_beside(&args.manifest, f)?;
            let beside = args.manifest.with_file_name(&f.sidecar.plan);
            let bytes = if beside.is_file() {
                std::fs::read(&beside)?
            } else {
                f.plan_text.clone().unwrap_or_default().into_bytes()
            };
            (plan, f.sidecar.plan.clone(), bytes)
        }
        (None, None) => anyhow::bail!(
            "{}: no sidecar beside it to find the plan by: give --plan and --seed",
            args.manifest.display()
        ),
    };
    let (chain_text, broken) = chain(
        args,
        found.as_ref(),
        (&plan_name, &plan_bytes),
        Some(&plan.extract.fingerprint),
    )?;
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
    let mut text = v.text(&args.manifest.display().to_string());
    text.push_str(&chain_text);
    Ok(Output::with_code(text, u8::from(!v.identical() || broken)))
}
