//! `urval overlap`: the records two requests share, per stratum and in total, against the
//! minimum their sizes force and the number chance alone would give.

use crate::format::{thousands, Output};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use urval_ops::artifacts::PlanFile;

/// Arguments of `urval overlap`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval overlap --plan out/plan.json --manifest out/autumn.csv --manifest out/spring.csv")]
pub struct OverlapArgs {
    /// The plan both requests were drawn from (its key, strata and N_h).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// The two manifests (give --manifest twice).
    #[arg(long, value_name = "FILE", num_args = 1, required = true)]
    manifest: Vec<PathBuf>,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    format: String,
}

/// Run `urval overlap`.
pub fn run(args: &OverlapArgs) -> Result<Output> {
    let [a, b] = args.manifest.as_slice() else {
        anyhow::bail!("give --manifest twice: the two requests to compare");
    };
    let plan = PlanFile::read(&args.plan)?;
    let o = urval_ops::overlap::overlap(&plan, a, b)?;
    if args.format == "json" {
        return Output::json(&o, 0);
    }
    if args.format != "text" {
        anyhow::bail!("--format {:?}: give text or json", args.format);
    }
    let t = &o.total;
    let mut s = format!(
        "{} and {}: {} records in both, of {} and {} (at least {} forced by the sizes; {:.1} expected of two independent draws)\n",
        a.display(),
        b.display(),
        thousands(t.both),
        thousands(t.a),
        thousands(t.b),
        thousands(t.forced),
        t.expected
    );
    s.push_str("  stratum                      N      A      B   both  forced  expected\n");
    for r in &o.strata {
        s.push_str(&format!(
            "  {:<22} {:>7} {:>6} {:>6} {:>6} {:>7} {:>9.1}\n",
            r.stratum, r.population, r.a, r.b, r.both, r.forced, r.expected
        ));
    }
    Ok(Output::ok(s))
}
