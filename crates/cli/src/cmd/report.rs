//! `urval report`: flags → [`urval_ops::report::ReportJob`]; the report's totals printed.

use crate::format::Output;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use urval_ops::report::{report_to_file, ReportJob};

pub use crate::format::LangArg;

/// Arguments of `urval report`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval report --plan out/plan.json --requested 767 -o out/report.html
  urval report --plan out/plan.json --manifest out/manifest.csv --indicators out/review.parquet --lang en -o out/report.md")]
pub struct ReportArgs {
    /// The plan from `urval plan`.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The records requested (or about to be) in total; split over strata in proportion to
    /// N_h. Default: the plan's --requested.
    #[arg(long, value_name = "R", conflicts_with = "requested_file")]
    pub requested: Option<u64>,
    /// The records requested per stratum: a CSV with the plan's strata columns and `requested`.
    #[arg(long, value_name = "FILE")]
    pub requested_file: Option<PathBuf>,
    /// The manifest of the draw (with its .draw.json sidecar): how to verify it.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The indicators of the review (from `urval indicators`): the achieved intervals.
    #[arg(long, value_name = "FILE")]
    pub indicators: Option<PathBuf>,
    /// The report's language.
    #[arg(long, value_enum, default_value_t = LangArg::Sv)]
    pub lang: LangArg,
    /// Output: .html, .md or .json.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Report on one part of the request, e.g. one municipality: `kommunkod=1398` (a strata
    /// column of the plan); the whole request is named in one line
    #[arg(long, value_name = "COL=VALUE")]
    pub only: Option<String>,
    #[command(flatten)]
    pub letter: super::common::LetterArgs,
    /// The recipient (e.g. the municipality's social services board)
    #[arg(long, value_name = "TEXT")]
    pub recipient: Option<String>,
    /// Labels for stratum values, shown as `label (value)`: a CSV with the columns `value`
    /// and `label` (municipality codes are named without it)
    #[arg(long, value_name = "FILE.csv")]
    pub labels: Option<PathBuf>,
    /// A previous request's manifest (drawn from the same plan's strata): the report says
    /// how many records the two requests share, and the least they must.
    #[arg(long, value_name = "MANIFEST", requires = "manifest")]
    pub previous: Option<PathBuf>,
    /// A two-phase review: the phase-2 plan (`urval plan --phase2`) of this plan's draw —
    /// the records reviewed where they are against those requested for re-review.
    #[arg(long, value_name = "FILE")]
    pub phase2_plan: Option<PathBuf>,
    /// After the re-review: the agreement table (`urval agreement -o FILE.json`).
    #[arg(long, value_name = "FILE.json", requires = "phase2_plan")]
    pub agreement: Option<PathBuf>,
    /// Small-cell suppression of --indicators: a table written with every cell
    /// (`urval indicators --suppress-below 0`) is suppressed here at K (default 5), and a
    /// suppressed table is shown as written; 0 shows every cell and marks the report not for
    /// publication.
    #[arg(long, value_name = "K")]
    pub suppress_below: Option<u64>,
}

/// Run `urval report`.
pub fn run(args: &ReportArgs) -> Result<Output> {
    let report = report_to_file(&ReportJob {
        plan: args.plan.clone(),
        requested: args.requested,
        requested_file: args.requested_file.clone(),
        manifest: args.manifest.clone(),
        indicators: args.indicators.clone(),
        lang: args.lang.into(),
        output: args.output.clone(),
        only: args.only.clone(),
        purpose: args.letter.purpose.clone(),
        recipient: args.recipient.clone(),
        case_number: args.letter.case_number.clone(),
        sender: args.letter.sender.clone(),
        date: args.letter.date.clone(),
        deadline: args.letter.deadline.clone(),
        own_extract: None,
        labels: args.labels.clone(),
        previous: args.previous.clone(),
        phase2_plan: args.phase2_plan.clone(),
        agreement: args.agreement.clone(),
        suppress_below: args.suppress_below,
    })?;
    let t = &report.total;
    let mut out = format!(
        "Report written to {} ({})\n  needed {} records",
        args.output.display(),
        report.lang.code(),
        crate::format::thousands(t.needed.records)
    );
    if let (Some(q), Some(s)) = (t.requested, t.shortfall()) {
        out.push_str(&format!(
            ", requested {}, shortfall {} records ({} pages, {:.1} working days)",
            crate::format::thousands(q.records),
            crate::format::thousands(s.records),
            crate::format::pages(s.pages),
            s.working_days
        ));
    } else if let (Some(q), Some(s)) = (t.requested, t.surplus()) {
        out.push_str(&format!(
            ", requested {}, surplus {} records ({} pages, {:.1} working days)",
            crate::format::thousands(q.records),
            crate::format::thousands(s.records),
            crate::format::pages(s.pages),
            s.working_days
        ));
    }
    out.push('\n');
    if let Some(st) = &report.staged {
        out.push_str(&format!(
            "  in two stages: {} records now, {} more only if needed\n",
            crate::format::thousands(st.stage1.records),
            crate::format::thousands(st.stage2.records)
        ));
    }
    for a in &report.attachments {
        out.push_str(&format!("  attached {} (and {})\n", a.csv, a.xlsx));
    }
    if !report.indicators.is_empty() {
        let withheld = report.indicators.iter().filter(|i| i.suppressed).count() as u64;
        let rows = report.indicators.len() as u64;
        if report.not_for_publication {
            out.push_str(&format!(
                "  indicators: {} rows, every cell shown: not for publication (--suppress-below 0)\n",
                crate::format::thousands(rows)
            ));
        } else {
            out.push_str(&format!(
                "  indicators: {} rows, {} withheld as `..` (cells about 1 to {} people, and those that would give them away)\n",
                crate::format::thousands(rows),
                crate::format::thousands(withheld),
                report.suppress_below.saturating_sub(1)
            ));
        }
    }
    Ok(Output::ok(out))
}
