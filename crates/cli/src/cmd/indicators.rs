//! `urval indicators`: flags → [`urval_ops::indicators::IndicatorsJob`], the table's totals
//! printed as text; exit 1 when a design stratum has no responding record.

use super::common::{split_names, ExtractArgs};
use crate::format::{thousands, Output};
use crate::util::progress_bar;
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_indicators::estimate::Nonresponse;
use urval_indicators::spec::Kind;
use urval_ingest::Extract;
use urval_ops::indicators::{indicators_to_files, Indicators, IndicatorsJob};
use urval_ops::review::ReviewCounts;

pub use crate::format::CsvDialect;

/// Arguments of `urval indicators`.
#[derive(Debug, Args)]
#[command(after_help = "Census (every record of the extract):
  urval indicators --extract sample-data/cases.parquet --key case_id --spec pipeline/indicators.toml \\
    --by municipality_code,area -o out/indicators.csv

Sample (the review results of a drawn manifest, weighted by the design):
  urval indicators --extract review.csv --manifest out/manifest.csv --spec pipeline/indicators.toml \\
    --by area -o out/indicators-sample.parquet")]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub quarantine: crate::cmd::common::QuarantineArgs,
    /// The indicator spec (TOML, see pipeline/indicators.toml).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Group by these columns (comma-separated); a `total` row per indicator is always written.
    #[arg(long, value_name = "COL[,COL…]", default_value = "")]
    pub by: String,
    /// Also group by age band: `0-17,18-64,65-79,80-` (the age comes from --age).
    #[arg(long, value_name = "BANDS")]
    pub age_bands: Option<String>,
    /// The age of a record, as an expression (e.g. `YEAR(opened_date) - birth_year`).
    #[arg(
        long,
        value_name = "EXPR",
        default_value = "age",
        allow_hyphen_values = true
    )]
    pub age: String,
    /// The record key column (default: the manifest's key). In a census, rows with an
    /// empty key are quarantined; without --key a census reads no key column.
    #[arg(long, value_name = "COL")]
    pub key: Option<String>,
    /// A manifest from `urval draw` (with its .draw.json sidecar): estimate from the sample.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// A filled review template (`urval review-template`, .xlsx or .csv) of the manifest:
    /// estimate the spec's questions from its answers (no --extract). An answer outside
    /// ja/nej/ej tillämpligt (yes/no/n/a) quarantines its row; a row with no answer is
    /// non-response in its stratum; a record not in the manifest is an error.
    #[arg(long, value_name = "FILE", requires = "manifest")]
    pub review: Option<PathBuf>,
    /// Only rows where this expression is true.
    #[arg(long = "where", value_name = "EXPR", allow_hyphen_values = true)]
    pub where_: Option<String>,
    /// A data rule every row must meet (repeatable), e.g. "decided_date >= opened_date":
    /// a row where it is FALSE is quarantined with the rule as its reason (NULL passes).
    #[arg(long = "check", value_name = "EXPR", allow_hyphen_values = true)]
    pub checks: Vec<String>,
    /// Census: also give intervals, treating the records as the outcome of a process
    /// (Wilson for shares, t for means, order statistics for medians).
    #[arg(long)]
    pub ci: bool,
    /// Confidence level of the intervals.
    #[arg(long, default_value = "0.95", value_parser = crate::format::parse_rate)]
    pub confidence: f64,
    /// Output: .parquet, .csv or .json.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// CSV output dialect.
    #[arg(long, value_enum, default_value_t = CsvDialect::Standard)]
    pub csv_dialect: CsvDialect,
    /// The language of an `.xlsx` table's headers and labels (`label_sv` or `label_en`).
    #[arg(long, value_enum, default_value_t = crate::format::LangArg::Sv)]
    pub lang: crate::format::LangArg,
    /// Sample mode: how a design stratum with no responding record enters the estimates:
    /// `bounds` keeps the responding strata's estimate and widens the interval to the worst
    /// case for the missing population (marked `incomplete`); `drop` leaves the stratum out
    /// (marked `dropped`, with the population share left out). Either way the command exits 1
    /// unless --allow-empty-strata.
    #[arg(long, value_enum, default_value_t = NonresponseArg::Bounds)]
    pub nonresponse: NonresponseArg,
    /// Exit 0 even when a design stratum has no responding record.
    #[arg(long)]
    pub allow_empty_strata: bool,
    /// Census: accept an indicator whose `where` keeps no record of the extract (by default
    /// that is an error that lists the values the compared columns hold).
    #[arg(long)]
    pub allow_empty: bool,
    /// Columns holding personal data: their values never appear in messages or quarantine files.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    pub personal: Vec<String>,
    /// The secret the draw pseudonymized its keys with (when the manifest's keys are pseudonyms).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// The most groups the --by columns may make: a clear error instead of running out of
    /// memory when a column is nearly a key.
    #[arg(long, value_name = "N", default_value_t = urval_ops::indicators::DEFAULT_MAX_GROUPS)]
    pub max_groups: u64,
    /// Small-cell suppression: a cell where 1 to K−1 people are counted (n, or for a share
    /// those with or without the property) is withheld, with the cells that would let it be
    /// recomputed from the others and the totals (column `suppressed`: primary or secondary;
    /// `..` in a spreadsheet). 0 writes every cell for internal use, marked not for
    /// publication in the metadata.
    #[arg(long, value_name = "K", default_value_t = urval_ops::indicators::DEFAULT_SUPPRESS_BELOW)]
    pub suppress_below: u64,
    /// Also print every row of the table (withheld figures as `..`).
    #[arg(long)]
    pub print: bool,
    /// Small-area estimation over the areas of COL (one of the --by columns, e.g. the
    /// municipality): every share gets, beside its direct estimate, a model-based estimate
    /// that borrows strength from the other areas (columns model_estimate, model_lower,
    /// model_upper, model_rmse, shrinkage, model). Without covariates: empirical-Bayes
    /// shrinkage towards the common rate of all areas. Only published cells enter the model.
    #[arg(long, value_name = "COL")]
    pub small_area: Option<String>,
    /// Area covariates for --small-area (CSV: the area column first, then numeric columns,
    /// e.g. last year's share): the Fay–Herriot model on the arcsine scale; an area of the
    /// file without records gets a synthetic estimate (a row with n = 0).
    #[arg(long, value_name = "FILE.csv", requires = "small_area")]
    pub small_area_covariates: Option<PathBuf>,
}

/// `--nonresponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NonresponseArg {
    /// Worst-case bounds for the missing population.
    Bounds,
    /// Leave the missing strata out.
    Drop,
}

impl From<NonresponseArg> for Nonresponse {
    fn from(a: NonresponseArg) -> Self {
        match a {
            NonresponseArg::Bounds => Nonresponse::Bounds,
            NonresponseArg::Drop => Nonresponse::Drop,
        }
    }
}

/// Run `urval indicators`.
pub fn run(args: &IndicatorsArgs) -> Result<Output> {
    if args.review.is_some() && !args.extract.extract.is_empty() {
        anyhow::bail!("--review is the data: leave out --extract");
    }
    let extract = match &args.review {
        Some(_) => None,
        None => Some(args.extract.resolve()?),
    };
    let job = job(args);
    let pb = progress_bar("indicators");
    let (c, review): (Indicators, _) = match (&extract, &args.review) {
        (Some(e), _) => (indicators_to_files(e, &job, &|n| pb.inc(n))?, None),
        (None, Some(r)) => {
            let (c, counts) = urval_ops::review::indicators_from_review(r, &job, &|n| pb.inc(n))?;
            (c, Some(counts))
        }
        (None, None) => anyhow::bail!("give the extract: --extract PATH"),
    };
    pb.finish_and_clear();
    let mut t = String::new();
    write_accounts(&mut t, args, &c, extract.as_ref(), review.as_ref())?;
    write_totals(&mut t, &c)?;
    write_small_area(&mut t, &c)?;
    if args.print {
        print_rows(&mut t, &c, args)?;
    }
    let code = write_empty_strata(&mut t, args, &c)?;
    Ok(Output::with_code(t, code))
}

/// The flags as the operations' job.
fn job(args: &IndicatorsArgs) -> IndicatorsJob {
    IndicatorsJob {
        spec: args.spec.clone(),
        by: split_names(&args.by),
        age_bands: args.age_bands.clone(),
        age: args.age.clone(),
        key: args.key.clone(),
        manifest: args.manifest.clone(),
        where_: args.where_.clone(),
        checks: args.checks.clone(),
        ci: args.ci,
        confidence: args.confidence,
        output: args.output.clone(),
        csv_dialect: args.csv_dialect.into(),
        lang: args.lang.into(),
        nonresponse: args.nonresponse.into(),
        allow_empty: args.allow_empty,
        personal: args.personal.clone(),
        secret_file: args.secret_file.clone(),
        max_quarantine: args.quarantine.max_quarantine,
        max_groups: args.max_groups,
        suppress_below: args.suppress_below,
        small_area: args.small_area.clone(),
        small_area_covariates: args.small_area_covariates.clone(),
    }
}

/// Where the table went and how every row was accounted for: the extract's (or the
/// review's) rows, the manifest's keys, the quarantine and the suppression.
fn write_accounts(
    t: &mut String,
    args: &IndicatorsArgs,
    c: &Indicators,
    extract: Option<&Extract>,
    review: Option<&ReviewCounts>,
) -> Result<()> {
    let design = &c.design;
    let totals = c.totals;
    let meta_file = &c.metadata_file;
    let nonresponse_total = c.nonresponse_total;
    writeln!(
        t,
        "Indicators ({}) written to {} ({} rows; metadata {})",
        if design.is_some() {
            "sample, design-weighted"
        } else {
            "census"
        },
        args.output.display(),
        thousands(c.rows.len() as u64),
        meta_file.display()
    )?;
    writeln!(
        t,
        "{}",
        crate::format::reconciliation(
            totals.rows_read,
            totals.rows_used,
            totals.rows_excluded,
            totals.rows_quarantined
        )
    )?;
    if let Some(e) = extract {
        if let Some(line) = crate::util::encoding_line(e) {
            writeln!(t, "{line}")?;
        }
        if let Some(line) = crate::util::skipped_line(e) {
            writeln!(t, "{line}")?;
        }
    }
    if let Some(r) = review {
        writeln!(
            t,
            "  review rows read {} = answered {} + no answer (non-response) {} + quarantined {}; drawn records without a row {}",
            thousands(r.rows_read),
            thousands(r.answered),
            thousands(r.unanswered),
            thousands(r.quarantined),
            thousands(r.missing)
        )?;
        writeln!(t, "  questions: {}", r.questions.join(", "))?;
        if let Some(q) = &r.quarantine_file {
            writeln!(t, "  quarantined review rows: {}", q.display())?;
        }
    }
    if let Some(d) = &design {
        let keys: u64 = d.strata.iter().map(|s| s.2).sum();
        writeln!(
            t,
            "  manifest {} keys: {} found, {} not found (non-response in {} strata); {} used rows not in the manifest",
            thousands(keys),
            thousands(keys - nonresponse_total),
            thousands(nonresponse_total),
            c.nonresponse_strata,
            thousands(c.outside_manifest)
        )?;
    }
    if let Some(q) = &c.quarantine_file {
        writeln!(
            t,
            "  quarantined rows and indicator errors: {}",
            q.display()
        )?;
    }
    writeln!(
        t,
        "  {}",
        urval_ops::indicators::suppression_line(&c.suppression)
    )?;
    Ok(())
}

/// The table's total row of each indicator: n, estimate, interval and method, with its
/// cautions and missing strata.
fn write_totals(t: &mut String, c: &Indicators) -> Result<()> {
    writeln!(t)?;
    writeln!(
        t,
        "  {:<34} {:>10} {:>12}  {:<24} method",
        "indicator (total)", "n", "estimate", "interval"
    )?;
    for r in c.rows.iter().filter(|r| r.group.is_none()) {
        if r.suppressed.withheld() {
            writeln!(t, "  {:<34} {:>10} {:>12}", r.indicator, "..", "..")?;
            continue;
        }
        let (est, iv, method) = match &r.est {
            Some(e) => {
                let kind = r.kind;
                let f = |v: f64| match kind {
                    Kind::Share => format!("{:.1} %", v * 100.0),
                    // A count is a number of records: whole, with separators (an estimated
                    // total is rounded here; the table keeps it exact).
                    Kind::Count => thousands(v.max(0.0).round() as u64),
                    _ => format!("{v:.1}"),
                };
                (
                    f(e.estimate),
                    match (e.lower, e.upper) {
                        (Some(l), Some(u)) => format!("{} – {}", f(l), f(u)),
                        _ => String::new(),
                    },
                    e.method,
                )
            }
            None => ("–".to_string(), String::new(), ""),
        };
        writeln!(
            t,
            "  {:<34} {:>10} {:>12}  {:<24} {}{}",
            r.indicator,
            thousands(r.n),
            est,
            iv,
            method,
            if r.invalid > 0 {
                let noun = if r.invalid == 1 { "row" } else { "rows" };
                format!("  ({} {noun} invalid)", thousands(r.invalid))
            } else {
                String::new()
            }
        )?;
        if let Some(reason) = r.est.and_then(|e| e.caution) {
            writeln!(t, "  {:<34} caution: {reason}", "")?;
        }
        if let Some((status, share)) = r.missing {
            writeln!(
                t,
                "  {:<34} {status}: up to {:.1} % of its population is in strata with no response",
                "",
                share * 100.0
            )?;
        }
    }
    Ok(())
}

/// `--small-area`: which model gave the model-based complement, to how many areas, and
/// the sentence that says what it is.
fn write_small_area(t: &mut String, c: &Indicators) -> Result<()> {
    let Some(s) = &c.small_area else {
        return Ok(());
    };
    writeln!(t)?;
    let model = urval_report::method_name(urval_report::Lang::En, s.model);
    writeln!(
        t,
        "Small-area estimates over {}: {} ({} fits; {} areas with records, {} synthetic)",
        s.column,
        model,
        s.fits,
        thousands(s.areas as u64),
        thousands(s.synthetic as u64)
    )?;
    if !s.covariates.is_empty() {
        writeln!(t, "  covariates: {}", s.covariates.join(", "))?;
    }
    writeln!(
        t,
        "  columns model_estimate, model_lower, model_upper, model_rmse, shrinkage, model beside the direct estimate"
    )?;
    for line in urval_report::sentences::model_based(urval_report::Lang::En, s.model)
        .split(". ")
        .filter(|l| !l.is_empty())
    {
        writeln!(t, "  {}.", line.trim_end_matches('.'))?;
    }
    if c.design.is_none() {
        writeln!(
            t,
            "  on the whole extract each area's share is counted, not estimated: the model-based figure estimates the rate behind it (what the area's practice gives over many cases), not this period's share"
        )?;
    }
    for skip in &s.skipped {
        writeln!(t, "  no model (too few areas): {skip}")?;
    }
    Ok(())
}

/// The design strata with no responding record, and the exit code they give (1 unless
/// `--allow-empty-strata`).
fn write_empty_strata(t: &mut String, args: &IndicatorsArgs, c: &Indicators) -> Result<u8> {
    let design = &c.design;
    let mut code = 0;
    if let (Some(d), false) = (&design, c.empty_strata.is_empty()) {
        let lost: u64 = c.empty_strata.iter().map(|&h| d.strata[h].1).sum();
        let all: u64 = d.strata.iter().map(|s| s.1).sum();
        writeln!(t)?;
        writeln!(
            t,
            "{} design strata had no responding record ({} of {} in the population, {:.1} %): {}",
            c.empty_strata.len(),
            thousands(lost),
            thousands(all),
            100.0 * lost as f64 / all.max(1) as f64,
            match args.nonresponse {
                NonresponseArg::Bounds =>
                    "the estimates that include them are marked incomplete, with worst-case bounds",
                NonresponseArg::Drop => "they are left out of the estimates (marked dropped)",
            }
        )?;
        for &h in c.empty_strata.iter().take(5) {
            writeln!(
                t,
                "  {} (N = {}, {} drawn)",
                urval_ops::artifacts::describe(&d.strata[h].0, &d.strata_columns),
                thousands(d.strata[h].1),
                thousands(d.strata[h].2)
            )?;
        }
        if args.allow_empty_strata {
            writeln!(t, "  accepted (--allow-empty-strata)")?;
        } else {
            writeln!(
                t,
                "  exit 1: a data finding; --allow-empty-strata accepts it"
            )?;
            code = 1;
        }
    }
    Ok(code)
}

/// `--print`: every row, groups first then the total, withheld figures as `..` and why.
fn print_rows(t: &mut String, c: &Indicators, args: &IndicatorsArgs) -> Result<()> {
    let by = split_names(&args.by);
    let mut head: Vec<String> = vec!["indicator".into()];
    head.extend(by.iter().cloned());
    if args.age_bands.is_some() {
        head.push("age_band".into());
    }
    let cells = |r: &urval_ops::indicators::Row| -> Vec<String> {
        let mut v = vec![r.indicator.clone()];
        match &r.group {
            Some(g) => v.extend(g.iter().cloned()),
            None => v.extend(by.iter().map(|_| "total".to_string())),
        }
        if args.age_bands.is_some() {
            v.push(r.band.clone().unwrap_or_else(|| "total".into()));
        }
        v
    };
    let rows: Vec<(Vec<String>, String, String, &str)> = c
        .rows
        .iter()
        .map(|r| {
            if r.suppressed.withheld() {
                return (
                    cells(r),
                    "..".to_string(),
                    "..".to_string(),
                    r.suppressed.name(),
                );
            }
            let est = match (&r.est, r.kind) {
                (None, _) => "–".to_string(),
                (Some(e), Kind::Share) => format!("{:.1} %", e.estimate * 100.0),
                (Some(e), Kind::Count) => thousands(e.estimate.max(0.0).round() as u64),
                (Some(e), _) => format!("{:.1}", e.estimate),
            };
            (cells(r), thousands(r.n), est, "")
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|j| {
            rows.iter()
                .map(|r| r.0[j].chars().count())
                .chain(std::iter::once(head[j].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    writeln!(t)?;
    let mut line = String::from(" ");
    for (h, w) in head.iter().zip(&widths) {
        write!(line, " {h:<w$}")?;
    }
    writeln!(t, "{line} {:>8} {:>10}  suppressed", "n", "estimate")?;
    for (v, n, est, s) in &rows {
        let mut line = String::from(" ");
        for (x, w) in v.iter().zip(&widths) {
            write!(line, " {x:<w$}")?;
        }
        writeln!(t, "{}", format!("{line} {n:>8} {est:>10}  {s}").trim_end())?;
    }
    Ok(())
}
