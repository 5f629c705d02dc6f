//! `urval review-template`: flags → [`urval_ops::review::TemplateJob`], the template
//! written and its questions printed.

use crate::format::{thousands, LangArg, Output};
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_ops::review::{review_template, TemplateJob};

/// Arguments of `urval review-template`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval review-template --manifest out/manifest.csv --spec pipeline/indicators.toml -o out/granskning.xlsx
  (filled in and returned:)
  urval indicators --manifest out/manifest.csv --review out/granskning.xlsx --spec pipeline/indicators.toml -o out/resultat.csv")]
pub struct ReviewTemplateArgs {
    /// The manifest from `urval draw` (with its .draw.json sidecar).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The indicator spec: its share indicators are the yes/no questions.
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// The template's language: headers, answers (ja/nej/ej tillämpligt or yes/no/n/a) and
    /// instructions.
    #[arg(long, value_enum, default_value_t = LangArg::Sv)]
    pub lang: LangArg,
    /// The template: .xlsx (drop-downs, locked key columns, an instructions sheet) or .csv
    /// (the instructions beside it in NAME.instructions.txt).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Run `urval review-template`.
pub fn run(args: &ReviewTemplateArgs) -> Result<Output> {
    let t = review_template(&TemplateJob {
        manifest: args.manifest.clone(),
        spec: args.spec.clone(),
        lang: args.lang.into(),
        output: args.output.clone(),
    })?;
    let mut out = String::new();
    writeln!(
        out,
        "Review template written to {} ({} records, {} questions: {})",
        args.output.display(),
        thousands(t.records),
        t.questions.len(),
        t.questions.join(", ")
    )?;
    if let Some(f) = &t.instructions_file {
        writeln!(out, "  instructions {}", f.display())?;
    }
    if !t.left_out.is_empty() {
        let names: Vec<String> = t
            .left_out
            .iter()
            .map(|(n, k)| format!("{n} ({k})"))
            .collect();
        writeln!(
            out,
            "  left out, not yes/no questions: {}",
            names.join(", ")
        )?;
    }
    writeln!(
        out,
        "  read it back with: urval indicators --manifest {} --review {} --spec {} -o results.csv",
        urval_ops::text::shell_quote(&args.manifest.display().to_string()),
        urval_ops::text::shell_quote(&args.output.display().to_string()),
        urval_ops::text::shell_quote(&args.spec.display().to_string())
    )?;
    Ok(Output::ok(out))
}
