//! `urval allocate`: a stratified allocation from a CSV of strata
//! (`stratum,population[,proportion][,cost]`, `,` or `;` separated).

use crate::format::{
    burden_line, json_f64, pct, pct2, rates_line, thousands, BurdenArgs, Format, Output,
};
use anyhow::{bail, Result};
use clap::{ArgGroup, Args};
use serde_json::json;
use std::fmt::Write;
use std::path::PathBuf;
use urval_design::{
    allocate, burden, compare_request, Allocation, AllocationMethod, AllocationSpec,
    AllocationTarget, Binding, Burden, BurdenRates, RequestComparison,
};

/// Arguments of `urval allocate`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["total", "margin"])))]
#[command(
    after_help = "The strata file has a header with `stratum` and `population`, and optionally
`proportion` (anticipated share p_h, giving S_h = √(p_h(1 − p_h)); default 0.5) and
`cost` (relative cost per record c_h; default 1). Comma or semicolon separated.

Examples:
  urval allocate --strata sample-data/strata.csv --total 600 --method neyman --min 10
  urval allocate --strata sample-data/strata.csv --margin 0.05 --method domain --format json"
)]
pub struct AllocateArgs {
    /// CSV of strata: stratum,population[,proportion][,cost].
    #[arg(long, value_name = "FILE")]
    strata: PathBuf,
    /// Total sample size n to share out.
    #[arg(long, value_name = "n")]
    total: Option<u64>,
    /// Margin of error E: for the overall stratified share (n from
    /// n = Σ(W_h²S_h²/a_h)/(V + ΣW_hS_h²/N), V = (E/z)²), or per stratum with --method domain.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "E")]
    margin: Option<f64>,
    /// Confidence level C (for the margin and the margins reported).
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.95", value_name = "C")]
    confidence: f64,
    /// Allocation method.
    #[arg(long, value_enum)]
    method: AllocationMethod,
    /// Minimum records per stratum (capped at N_h).
    #[arg(long, value_name = "m")]
    min: Option<u64>,
    /// Maximum records per stratum.
    #[arg(long, value_name = "M")]
    max: Option<u64>,
    /// Default anticipated proportion for strata without a `proportion` column.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.5", value_name = "P")]
    proportion: f64,
    /// Compare with a proposed request of R records in total.
    #[arg(long, value_name = "R")]
    requested: Option<u64>,
    #[command(flatten)]
    burden: BurdenArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn binding_name(b: Option<Binding>) -> &'static str {
    match b {
        Some(Binding::Min) => "min",
        Some(Binding::Max) => "max",
        Some(Binding::Population) => "census",
        None => "",
    }
}

/// Run `urval allocate`.
pub fn run(args: &AllocateArgs) -> Result<Output> {
    let rates = args.burden.rates()?;
    let strata = urval_ops::strata_file::read_strata(&args.strata, args.proportion)?;
    let target = match (args.total, args.margin) {
        (Some(n), None) => AllocationTarget::Total(n),
        (None, Some(e)) => AllocationTarget::Margin(e),
        _ => bail!("give either --total or --margin"),
    };
    let spec = AllocationSpec {
        strata,
        target,
        method: args.method,
        confidence: args.confidence,
        min: args.min,
        max: args.max,
    };
    let a = allocate(&spec)?;
    let need = burden(a.total, &rates);
    let requested = args.requested.map(|r| compare_request(r, a.total, &rates));
    if args.format == Format::Json {
        return render_json(args, &a, target, &rates, &need, requested.as_ref());
    }
    render_text(args, &a, target, &rates, &need, requested.as_ref())
}

/// `--format json`: the allocation, each stratum with its weight and burden, the burden
/// needed and the comparison with a requested total.
fn render_json(
    args: &AllocateArgs,
    a: &Allocation,
    target: AllocationTarget,
    rates: &BurdenRates,
    need: &Burden,
    requested: Option<&RequestComparison>,
) -> Result<Output> {
    let strata: Vec<_> = a
        .strata
        .iter()
        .map(|s| {
            let b = burden(s.n, rates);
            json!({
                "stratum": s.stratum,
                "population": s.population,
                "proportion": s.proportion,
                "n": s.n,
                "share": s.share,
                "binding": s.binding,
                "inclusion_probability": s.inclusion_probability,
                "weight": if s.n > 0 { json_f64(s.population as f64 / s.n as f64) } else { serde_json::Value::Null },
                "margin": s.margin,
                "pages": b.pages,
                "working_days": b.working_days,
            })
        })
        .collect();
    let mut v = json!({
        "method": a.method,
        "confidence": a.confidence,
        "z": a.z,
        "target": match target {
            AllocationTarget::Total(n) => json!({"total": n}),
            AllocationTarget::Margin(e) => json!({"margin": e}),
        },
        "target_total": a.target_total,
        "target_total_exact": a.target_total_exact,
        "total_adjustment": a.total_adjustment,
        "min": a.min_used,
        "max": args.max,
        "margin_met": a.margin_met,
        "margin_one_less": a.margin_one_less,
        "fell_back_to_proportional": a.fell_back_to_proportional,
        "strata": strata,
        "total": a.total,
        "total_population": a.total_population,
        "margin": a.margin,
        "rates": rates,
        "burden": need,
    });
    if let Some(cmp) = requested {
        v["requested"] = json!({
            "records": cmp.requested,
            "surplus_records": cmp.surplus_records,
            "surplus_pages": cmp.surplus_pages,
            "surplus_working_days": cmp.surplus_working_days,
            "burden": cmp.requested_burden,
        });
    }
    Output::json(&v, u8::from(a.margin_met == Some(false)))
}

/// The allocation as text: the target, a table of the strata, the margin, the constraints
/// that bind, and the burden.
fn render_text(
    args: &AllocateArgs,
    a: &Allocation,
    target: AllocationTarget,
    rates: &BurdenRates,
    need: &Burden,
    requested: Option<&RequestComparison>,
) -> Result<Output> {
    let constraint_counts = |b: Binding| a.strata.iter().filter(|s| s.binding == Some(b)).count();
    let mut t = String::new();
    let target_text = match target {
        AllocationTarget::Total(n) => format!("total {}", thousands(n)),
        AllocationTarget::Margin(e) if args.method == AllocationMethod::Domain => {
            format!(
                "±{} points in every stratum at {}",
                pct(e).trim_end_matches(" %"),
                pct(a.confidence)
            )
        }
        AllocationTarget::Margin(e) => format!(
            "±{} points on the overall share at {} → n = {:.2} → {}",
            pct(e).trim_end_matches(" %"),
            pct(a.confidence),
            a.target_total_exact.unwrap_or(f64::NAN),
            thousands(a.target_total)
        ),
    };
    writeln!(
        t,
        "Allocation: {} over {} strata ({})",
        a.method.name(),
        a.strata.len(),
        target_text
    )?;
    let width = a
        .strata
        .iter()
        .map(|s| s.stratum.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    writeln!(
        t,
        "  {:<width$}  {:>10}  {:>7}  {:>8}  {:>9}  {:>10}  constraint",
        "stratum", "population", "n", "ideal", "margin", "pages"
    )?;
    for s in &a.strata {
        writeln!(
            t,
            "  {:<width$}  {:>10}  {:>7}  {:>8.2}  {:>9}  {:>10}  {}",
            s.stratum,
            thousands(s.population),
            thousands(s.n),
            s.share,
            s.margin
                .map(|m| format!("±{}", pct(m).trim_end_matches(" %")))
                .unwrap_or_else(|| "-".into()),
            crate::format::pages(burden(s.n, rates).pages),
            binding_name(s.binding)
        )?;
    }
    writeln!(
        t,
        "  {:<width$}  {:>10}  {:>7}",
        "total",
        thousands(a.total_population),
        thousands(a.total)
    )?;
    writeln!(t)?;
    if let Some(m) = a.margin {
        writeln!(
            t,
            "Margin of the overall stratified share: ±{} points at {}.",
            pct2(m).trim_end_matches(" %"),
            pct(a.confidence)
        )?;
    } else {
        writeln!(
            t,
            "Margin of the overall share: undefined (a stratum gets no records)."
        )?;
    }
    let (n_min, n_max, n_census) = (
        constraint_counts(Binding::Min),
        constraint_counts(Binding::Max),
        constraint_counts(Binding::Population),
    );
    if n_min > 0 {
        writeln!(
            t,
            "Constraint: the minimum of {} binds in {n_min} strata (raised above their share).",
            a.min_used
        )?;
    }
    if n_max > 0 {
        writeln!(
            t,
            "Constraint: the maximum of {} binds in {n_max} strata (lowered below their share).",
            args.max.unwrap_or(0)
        )?;
    }
    if n_census > 0 {
        writeln!(t, "Constraint: {n_census} strata are smaller than their share and are taken whole (census); the surplus went to the others.")?;
    }
    if let Some(line) = crate::format::margin_adjustment_line(a, args.margin) {
        let mut chars = line.chars();
        let first = chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default();
        writeln!(t, "Constraint: {first}{}.", chars.as_str())?;
    }
    if a.fell_back_to_proportional {
        writeln!(
            t,
            "Note: every stratum has S_h = 0 (p_h of 0 or 1); allocated proportionally instead."
        )?;
    }
    writeln!(t)?;
    writeln!(t, "Burden ({})", rates_line(rates))?;
    writeln!(t, "  needed              {}", burden_line(need))?;
    if let Some(cmp) = requested {
        t.push_str(&crate::format::request_lines(cmp));
    }
    Ok(Output::with_code(t, u8::from(a.margin_met == Some(false))))
}
