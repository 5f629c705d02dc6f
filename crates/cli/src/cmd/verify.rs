//! `urval verify`: recompute a draw from the extract, the plan and the seed, and compare it
//! with a manifest: identical (exit 0) or the differences (exit 1).

use super::common::ExtractArgs;
use super::draw::{
    draw, manifest_rows, parse_only, selection_set, sidecar_path, DrawRequest, BOUND_SDS,
};
use crate::format::{thousands, Output};
use anyhow::{bail, Result};
use clap::Args;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_ops::artifacts::PlanFile;

/// Arguments of `urval verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Seed, start and --only come from the manifest's sidecar (<manifest>.draw.json)
unless given.

Example:
  urval verify --extract sample-data/cases.parquet --plan out/plan.json --manifest out/manifest.csv"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    extract: ExtractArgs,
    /// The plan the draw used.
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// The manifest to check (.csv or .parquet).
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
}

/// Run `urval verify`.
pub fn run(args: &VerifyArgs) -> Result<Output> {
    let plan = PlanFile::read(&args.plan)?;
    let side_path = sidecar_path(&args.manifest);
    // Without a sidecar, --seed (and --start, --only) must be given; a sidecar that is there
    // must be a valid one.
    // A manifest that is not byte for byte the file the sidecar was written with (edited,
    // or a sidecar of another draw beside it) is still compared record by record; the
    // mismatch is said, and records that differ are the finding.
    let mut not_as_written = None;
    let sidecar = if side_path.exists() {
        let side = urval_ops::artifacts::DrawSidecar::read(&side_path)?;
        if let Err(e) = side.check_manifest(&side_path, &args.manifest) {
            not_as_written = Some(e.to_string());
        }
        Some(side)
    } else {
        None
    };
    let seed = match (args.seed, sidecar.as_ref().map(|s| s.seed)) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => bail!(
            "no --seed and no sidecar {} to take it from",
            side_path.display()
        ),
    };
    let start = args
        .start
        .or_else(|| sidecar.as_ref().map(|s| s.start))
        .unwrap_or(0.0);
    if !(0.0..1.0).contains(&start) {
        bail!("start must be in [0, 1), got {start}");
    }
    let only_text = args
        .only
        .clone()
        .or_else(|| sidecar.as_ref().and_then(|s| s.only.clone()));
    let only = only_text
        .as_deref()
        .map(|s| parse_only(s, &plan))
        .transpose()?;
    let extract = args.extract.resolve()?;
    let pseudonymized_key = sidecar
        .as_ref()
        .and_then(|s| s.pseudonymized.as_deref())
        .is_some_and(|c| c == plan.key);
    let mut personal = args.personal.clone();
    let pseudo = if pseudonymized_key {
        personal.push(plan.key.clone());
        let Some(f) = &args.secret_file else {
            bail!("the manifest's keys are pseudonyms: give the --secret-file the draw used");
        };
        Some(crate::util::read_secret(f)?)
    } else {
        None
    };
    let key_is_personal = personal.contains(&plan.key);
    let req = DrawRequest {
        seed,
        start,
        only: only.as_ref(),
        include: &[],
        personal: &personal,
    };
    let result = draw(&extract, &plan, &req, BOUND_SDS)?;
    let expected: BTreeSet<(Vec<String>, String)> = selection_set(&plan, &result)
        .into_keys()
        .map(|(v, k)| match &pseudo {
            Some(p) => (v, p.pseudonym(&k)),
            None => (v, k),
        })
        .collect();

    // Read the manifest with the same ingest: key and strata columns as text.
    let rows: Vec<(Vec<String>, String)> =
        manifest_rows(&args.manifest, &plan.key, &plan.strata_columns)?
            .into_iter()
            .map(|r| (r.values, r.key))
            .collect();
    let found: BTreeSet<(Vec<String>, String)> = rows.iter().cloned().collect();
    let repeated = rows.len() - found.len();
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    let mut t = String::new();
    if let Some(note) = &not_as_written {
        writeln!(t, "note: {note}")?;
    }
    if missing.is_empty() && extra.is_empty() && repeated == 0 {
        writeln!(
            t,
            "identical: {} records, the draw with seed {seed} and start {start} reproduces {}",
            thousands(expected.len() as u64),
            args.manifest.display()
        )?;
        return Ok(Output::ok(t));
    }
    writeln!(
        t,
        "differences: {} records drawn but not in the manifest, {} in the manifest but not drawn, {} repeated",
        missing.len(),
        extra.len(),
        repeated
    )?;
    let shown = |key: &String| -> String {
        if key_is_personal && pseudo.is_none() {
            urval_ingest::PERSONAL_MASK.to_string()
        } else {
            key.clone()
        }
    };
    for (values, key) in missing.iter().take(20) {
        let key = shown(key);
        writeln!(t, "  missing  {key}  ({})", values.join(", "))?;
    }
    for (values, key) in extra.iter().take(20) {
        let key = shown(key);
        writeln!(t, "  extra    {key}  ({})", values.join(", "))?;
    }
    Ok(Output { text: t, code: 1 })
}
