//! `urval plan`: flags → [`urval_ops::plan::PlanRequest`], the plan printed as text.

use super::allocate::MethodArg;
use super::common::{split_names, ExtractArgs};
use crate::format::{burden_line, pct, pct2, rates_line, thousands, BurdenArgs, Output};
use crate::util::progress_bar;
use anyhow::Result;
use clap::{ArgGroup, Args};
use std::fmt::Write;
use std::path::PathBuf;
use urval_design::AllocationMethod;
use urval_ops::plan::{PlanRequest, Planned, Staging};

/// Arguments of `urval plan`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["margin", "total", "tolerable_rate"])))]
#[command(after_help = "Example:
  urval plan --extract sample-data/cases.parquet --key case_id --strata municipality_code,area \\
             --margin 0.10 --allocation domain --pages-column pages -o out/plan.json
  urval plan --extract sample-data/cases.parquet --key case_id --strata area \\
             --tolerable-rate 0.10 --expected-rate 0.02 --stages 2 -o out/staged.json")]
pub struct PlanArgs {
    #[command(flatten)]
    extract: ExtractArgs,
    #[command(flatten)]
    quarantine: crate::cmd::common::QuarantineArgs,
    /// The record key column (string or integer).
    #[arg(long, value_name = "COL")]
    key: String,
    /// Strata columns, comma separated (e.g. municipality_code,area).
    #[arg(long, value_name = "COL[,COL…]")]
    strata: String,
    /// A SQL filter on the rows in the population, e.g. "area = 'aldre'".
    #[arg(long = "where", value_name = "EXPR", allow_hyphen_values = true)]
    where_: Option<String>,
    /// A data rule every row must meet (repeatable), e.g. "decided_date >= opened_date":
    /// a row where it is FALSE is quarantined with the rule as its reason (NULL passes, as
    /// in SQL CHECK). Recorded in the plan; draw and verify apply the same rules.
    #[arg(long = "check", value_name = "EXPR", allow_hyphen_values = true)]
    checks: Vec<String>,
    /// Margin of error E: per stratum with --allocation domain, else on the overall share.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "E")]
    margin: Option<f64>,
    /// Total sample size n.
    #[arg(long, value_name = "n")]
    total: Option<u64>,
    /// An attribute plan instead of a margin: show that the deviation rate is below T with
    /// confidence C, in two stages (--stages 2) over the whole population, the records spread
    /// over the strata in proportion to N_h.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "T", requires = "stages")]
    tolerable_rate: Option<f64>,
    /// The deviation rate expected (attribute plans): the plan needs the fewest records on
    /// average at this rate.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "R", requires = "tolerable_rate")]
    expected_rate: Option<f64>,
    /// The largest first stage of an attribute plan.
    #[arg(long, value_name = "n", requires = "tolerable_rate")]
    max_first: Option<u64>,
    /// 2: a staged plan — stage 1 is requested, stage 2 (the next records of the same draw)
    /// only when the evidence needs it; plan.json records n_stage1 per stratum.
    #[arg(long, value_name = "2", value_parser = clap::value_parser!(u32).range(1..=2))]
    stages: Option<u32>,
    /// Stage 1 of a staged share plan: ⌈F·n_h⌉ of each stratum [default: 0.5].
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "F", conflicts_with = "first_margin")]
    first_fraction: Option<f64>,
    /// Stage 1 of a staged share plan: the allocation for this looser margin, capped at n_h.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "E1")]
    first_margin: Option<f64>,
    /// Confidence level C.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.95", value_name = "C")]
    confidence: f64,
    /// Allocation over strata.
    #[arg(long, value_enum, default_value_t = MethodArg::Proportional)]
    allocation: MethodArg,
    /// Minimum records per stratum (capped at N_h).
    #[arg(long, value_name = "m")]
    min: Option<u64>,
    /// Maximum records per stratum.
    #[arg(long, value_name = "M")]
    max: Option<u64>,
    /// Anticipated proportion P for every stratum.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.5", value_name = "P")]
    proportion: f64,
    /// A numeric column with the pages of each record: burden from measured pages.
    #[arg(long, value_name = "COL")]
    pages_column: Option<String>,
    /// Compare with a proposed request of R records in total.
    #[arg(long, value_name = "R")]
    requested: Option<u64>,
    /// Columns holding personal data (e.g. a personnummer): their values never appear in
    /// messages or quarantine files.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    personal: Vec<String>,
    /// Go on although some keys occur more than once (they break simple random sampling).
    #[arg(long)]
    allow_duplicate_keys: bool,
    #[command(flatten)]
    burden: BurdenArgs,
    /// Where to write plan.json.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Run `urval plan`.
pub fn run(args: &PlanArgs) -> Result<Output> {
    let rates = args.burden.rates()?;
    let extract = args.extract.resolve()?;
    let strata_cols = split_names(&args.strata);
    let (stages, attribute) = urval_ops::plan::staging(&Staging {
        stages: args.stages,
        first_fraction: args.first_fraction,
        first_margin: args.first_margin,
        tolerable_rate: args.tolerable_rate,
        expected_rate: args.expected_rate,
        max_first: args.max_first,
    })?;
    let req = PlanRequest {
        key: args.key.clone(),
        strata: strata_cols.clone(),
        where_: args.where_.clone(),
        checks: args.checks.clone(),
        margin: args.margin,
        total: args.total,
        confidence: args.confidence,
        allocation: args.allocation.into(),
        min: args.min,
        max: args.max,
        proportion: args.proportion,
        pages_column: args.pages_column.clone(),
        requested: args.requested,
        personal: args.personal.clone(),
        allow_duplicate_keys: args.allow_duplicate_keys,
        rates,
        max_quarantine: args.quarantine.max_quarantine,
        output: args.output.clone(),
        created: urval_ops::files::now_utc(),
        stages,
        attribute,
    };
    let pb = progress_bar("counting");
    let Planned {
        plan,
        allocation: alloc,
        quarantine_file: qpath,
    } = urval_ops::plan(&extract, &req, &|n| pb.inc(n))?;
    pb.finish_and_clear();
    let mut t = String::new();
    writeln!(t, "Plan written to {}", args.output.display())?;
    writeln!(
        t,
        "{}",
        crate::format::reconciliation(
            plan.rows_read,
            plan.rows_used,
            plan.rows_excluded,
            plan.rows_quarantined
        )
    )?;
    if let Some(line) = crate::util::encoding_line(&extract) {
        writeln!(t, "{line}")?;
    }
    if let Some(line) = crate::util::skipped_line(&extract) {
        writeln!(t, "{line}")?;
    }
    if let Some(q) = qpath {
        writeln!(t, "  quarantined rows: {}", q.display())?;
    }
    if plan.duplicate_keys > 0 {
        writeln!(
            t,
            "  warning: {} keys occur more than once (allowed)",
            plan.duplicate_keys
        )?;
    }
    writeln!(
        t,
        "  {} strata over {}; population {}",
        thousands(plan.strata.len() as u64),
        strata_cols.join(" × "),
        thousands(plan.total_population)
    )?;
    let target_text = match (args.margin, args.total) {
        (Some(e), _) if alloc.method == AllocationMethod::Domain => {
            format!("±{} points in every stratum", pct(e).trim_end_matches(" %"))
        }
        (Some(e), _) => format!(
            "±{} points on the overall share",
            pct(e).trim_end_matches(" %")
        ),
        (_, Some(n)) => format!("total {}", thousands(n)),
        _ => match args.tolerable_rate {
            Some(t) => format!("a deviation rate below {} shown", pct(t)),
            None => String::new(),
        },
    };
    writeln!(
        t,
        "  design: {} allocation, {target_text} at {}",
        alloc.method.name(),
        pct(args.confidence)
    )?;
    writeln!(t, "  records needed {}", thousands(plan.total_n))?;
    match alloc.margin {
        _ if args.tolerable_rate.is_some() => {}
        Some(m) => writeln!(
            t,
            "  margin of the overall share ±{} points",
            pct2(m).trim_end_matches(" %")
        )?,
        None => {
            let empty = plan.strata.iter().filter(|s| s.n == 0).count();
            writeln!(
                t,
                "  note: {empty} strata get no records, so the overall share has no design-based margin; give --min 1 (--min 2 for a variance in every stratum)"
            )?;
        }
    }
    if let Some(line) = crate::format::margin_adjustment_line(&alloc, args.margin) {
        writeln!(t, "  {line}")?;
    }
    if let Some(st) = &plan.design.stages {
        t.push_str(&crate::format::stages_lines(st, plan.total_n));
    }
    let binding = |b: &str| {
        plan.strata
            .iter()
            .filter(|s| s.binding.as_deref() == Some(b))
            .count()
    };
    for (b, text) in [
        ("min", "raised to the minimum"),
        ("max", "held at the maximum"),
        ("population", "taken whole (census)"),
    ] {
        let c = binding(b);
        if c > 0 {
            writeln!(t, "  {c} strata {text}")?;
        }
    }
    writeln!(t)?;
    writeln!(
        t,
        "Burden ({}{})",
        rates_line(&rates),
        if args.pages_column.is_some() {
            "; pages measured"
        } else {
            ""
        }
    )?;
    writeln!(
        t,
        "  needed              {}",
        burden_line(&plan.burden.needed)
    )?;
    if let Some(cmp) = &plan.burden.requested {
        t.push_str(&crate::format::request_lines(cmp));
    }
    Ok(Output {
        text: t,
        code: u8::from(alloc.margin_met == Some(false)),
    })
}
