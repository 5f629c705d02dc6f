//! `urval agreement`: flags → [`urval_ops::agreement::AgreementJob`], the total rows
//! printed.

use super::common::split_names;
use crate::format::{thousands, Output};
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_ops::agreement::{agreement, AgreementJob};

/// Arguments of `urval agreement`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval agreement --manifest out/manifest.csv --phase1 kommunen.xlsx --phase2 ivo.xlsx \\
    --spec pipeline/indicators.toml --by area -o out/agreement.xlsx")]
pub struct AgreementArgs {
    /// The phase-1 manifest (with its sidecar): the records the self-review covers.
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The self-review: a filled template of the manifest (`urval review-template`).
    #[arg(long, value_name = "FILE")]
    pub phase1: PathBuf,
    /// The inspector's re-review of a subsample: a filled template with the same questions.
    #[arg(long, value_name = "FILE")]
    pub phase2: PathBuf,
    /// The spec whose questions are compared.
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Group by these strata columns (comma-separated); a total row per question always.
    #[arg(long, value_name = "COL[,COL…]", default_value = "")]
    pub by: String,
    /// Confidence of the intervals and bounds.
    #[arg(long, default_value = "0.95", value_parser = crate::format::parse_rate)]
    pub confidence: f64,
    /// Output: .json, .csv or .xlsx.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Run `urval agreement`.
pub fn run(args: &AgreementArgs) -> Result<Output> {
    let a = agreement(&AgreementJob {
        manifest: args.manifest.clone(),
        phase1: args.phase1.clone(),
        phase2: args.phase2.clone(),
        spec: args.spec.clone(),
        by: split_names(&args.by),
        confidence: args.confidence,
        output: args.output.clone(),
    })?;
    let mut t = String::new();
    writeln!(
        t,
        "Agreement written to {} ({} rows): {} records re-reviewed of {} self-reviewed",
        args.output.display(),
        thousands(a.rows.len() as u64),
        thousands(a.phase2_records),
        thousands(a.phase1_records)
    )?;
    writeln!(
        t,
        "  {:<32} {:>5} {:>7} {:>16}  {:>9} {:>9}  {:>8} {:<17}",
        "question (total)", "n", "agree", "kappa", "disagree", "≤ (upper)", "self", "corrected"
    )?;
    let pct = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{:.1} %", 100.0 * x));
    for r in a.rows.iter().filter(|r| r.level == "total") {
        writeln!(
            t,
            "  {:<32} {:>5} {:>7} {:>16}  {:>9} {:>9}  {:>8} {:<17}",
            r.indicator,
            thousands(r.n),
            pct(r.agreement),
            match (r.kappa, r.kappa_lower, r.kappa_upper) {
                (Some(k), Some(l), Some(u)) => format!("{k:.2} ({l:.2}–{u:.2})"),
                _ => "–".to_string(),
            },
            pct(r.disagreement_rate),
            pct(r.disagreement_upper),
            pct(r.self_estimate),
            match (r.corrected, r.corrected_lower, r.corrected_upper) {
                (Some(c), Some(l), Some(u)) =>
                    format!("{:.1} % ({:.1}–{:.1})", 100.0 * c, 100.0 * l, 100.0 * u),
                _ => "–".to_string(),
            }
        )?;
        if let Some(c) = &r.caution {
            writeln!(t, "  {:<32} caution: {c}", "")?;
        }
    }
    Ok(Output::ok(t))
}
