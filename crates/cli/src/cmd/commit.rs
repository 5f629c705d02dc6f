//! `urval commit`: flags → [`urval_ops::commitment::Commitment`], written before any seed
//! exists, and its commitment printed for the request letter.

use crate::format::Output;
use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use urval_ops::artifacts::PlanFile;
use urval_ops::commitment::Commitment;

/// Arguments of `urval commit`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval commit --plan plan.json -o commitment.json
  urval draw --extract cases.parquet --plan plan.json --commitment commitment.json --randomness '31415 92653' -o manifest.csv
  urval commit --plan staged.json --stage 2 --previous stage1.csv --previous granskning.xlsx -o commitment-2.json")]
pub struct CommitArgs {
    /// The plan (`urval plan`, or `urval plan --phase2` for a re-review).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The stage committed to: 1 for a one-stage request or stage 1; 2 for stage 2 of a
    /// staged request or the re-review of a two-phase review.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub stage: u32,
    /// The earlier stage's results, fixed before this commitment: its manifest and its
    /// findings (give --previous once per file). Required for stage 2.
    #[arg(long, value_name = "FILE")]
    pub previous: Vec<PathBuf>,
    /// When the commitment is made (UTC, RFC 3339); default now.
    #[arg(long, value_name = "TIME")]
    pub created: Option<String>,
    /// The commitment file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// `text` or `json` (the commitment file's content).
    #[arg(long, default_value = "text")]
    pub format: String,
}

/// Run `urval commit`.
pub fn run(args: &CommitArgs) -> Result<Output> {
    if args.stage == 2 && args.previous.is_empty() {
        anyhow::bail!(
            "--stage 2: give the earlier stage's results with --previous (its manifest, and its findings once they are back)"
        );
    }
    if args.stage == 1 && !args.previous.is_empty() {
        anyhow::bail!("--previous is for a later stage: give --stage 2");
    }
    let text =
        std::fs::read_to_string(&args.plan).with_context(|| format!("{}", args.plan.display()))?;
    let kind = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default();
    let fingerprint = if kind == "urval-phase2-plan" {
        if args.stage != 2 {
            anyhow::bail!("{}: a re-review's plan is a later stage: give --stage 2 and --previous with the phase-1 manifest", args.plan.display());
        }
        String::new()
    } else {
        PlanFile::read(&args.plan)?.extract.fingerprint
    };
    let created = args
        .created
        .clone()
        .unwrap_or_else(urval_ops::files::now_utc);
    let c = Commitment::make(
        &args.plan,
        &fingerprint,
        args.stage,
        &args.previous,
        &created,
    )?;
    urval_ops::files::write_json(&args.output, &c)?;
    if args.format == "json" {
        return Output::json(&c, 0);
    }
    if args.format != "text" {
        anyhow::bail!("--format {:?}: give text or json", args.format);
    }
    let mut s = format!(
        "Commitment written to {} (stage {}, {})\n  commitment {}\n  short form {}\n",
        args.output.display(),
        c.stage,
        c.created,
        c.commitment,
        c.short()
    );
    s.push_str("  put it in the request letter and the case file now; the seed comes from randomness produced after it:\n");
    s.push_str(&format!(
        "  urval draw … --plan {} --commitment {} --randomness DIGITS\n",
        urval_ops::text::shell_quote(&args.plan.display().to_string()),
        urval_ops::text::shell_quote(&args.output.display().to_string())
    ));
    Ok(Output::ok(s))
}
