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
    /// The extract the manifest was drawn from (optional): each question is asked only of
    /// the records inside its `where`; the others are marked not applicable and locked.
    /// Without it the manifest's own columns are used where a `where` names only those.
    #[command(flatten)]
    pub extract: super::common::ExtractArgs,
}

/// Run `urval review-template`.
pub fn run(args: &ReviewTemplateArgs) -> Result<Output> {
    let t = review_template(&TemplateJob {
        manifest: args.manifest.clone(),
        spec: args.spec.clone(),
        lang: args.lang.into(),
        output: args.output.clone(),
        extract: if args.extract.extract.is_empty() {
            None
        } else {
            Some(args.extract.resolve()?)
        },
        populations: None,
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
    let marked: Vec<String> = t
        .not_applicable
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(q, n)| format!("{q} {}", thousands(*n)))
        .collect();
    if !marked.is_empty() {
        writeln!(
            out,
            "  not applicable (outside the question's population, marked and locked): {}",
            marked.join(", ")
        )?;
    }
    if !t.unscoped.is_empty() {
        writeln!(
            out,
            "  asked of every record: {} (the population names columns the manifest lacks: give --extract)",
            t.unscoped.join(", ")
        )?;
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
