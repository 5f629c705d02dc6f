//! `urval size`: sample size for a share (Cochran) or for attribute sampling (AICPA),
//! with the burden and, with `--requested`, what a proposed request buys.

use crate::format::{
    burden_line, json_f64, parse_f64, pct, pct2, rates_line, thousands, BurdenArgs, Format, Output,
};
use anyhow::Result;
use clap::{ArgGroup, Args, ValueEnum};
use serde_json::json;
use std::fmt::Write;
use urval_design::{
    attribute_size, binomial_upper_bound, burden, compare_request, hypergeometric_upper_count,
    share_margin, share_size, AttributeSpec, Expected, Likelihood, ShareSpec,
};

/// Arguments of `urval size`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("purpose").required(true).args(["margin", "tolerable_rate"])))]
#[command(after_help = "Examples:
  urval size --margin 0.05 --confidence 0.95 --population 767 --requested 767
  urval size --tolerable-rate 0.10 --expected-deviations 0 --confidence 0.95
  urval size --tolerable-rate 5% --expected-rate 1% --population 2600 --format json")]
pub struct SizeArgs {
    /// Margin of error E for a share (±E; 0.05 or 5%). Sizes by Cochran:
    /// n0 = z²·P(1−P)·D/E², n = n0/(1 + (n0 − 1)/N).
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "E")]
    margin: Option<f64>,
    /// Tolerable deviation rate T for attribute (audit) sampling: the smallest n with
    /// P(X ≤ K) ≤ 1 − C when the deviation rate is T.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "T", conflicts_with_all = ["proportion", "deff", "relative", "response_rate"])]
    tolerable_rate: Option<f64>,
    /// Confidence level C.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.95", value_name = "C")]
    confidence: f64,
    /// Anticipated proportion P (0.5, the default, is the most conservative).
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.5", value_name = "P")]
    proportion: f64,
    /// Design effect D (1 for simple random sampling).
    #[arg(long, value_parser = parse_f64, default_value = "1", value_name = "D")]
    deff: f64,
    /// Population size N (records in the population); enables the finite population
    /// correction, and the hypergeometric likelihood for attribute sampling.
    #[arg(long, value_name = "N")]
    population: Option<u64>,
    /// Expected response rate R: n is divided by R and rounded up.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "1", value_name = "R")]
    response_rate: f64,
    /// The margin is relative to P (absolute margin E·P).
    #[arg(long)]
    relative: bool,
    /// Deviations K the sample may contain (attribute sampling).
    #[arg(
        long,
        value_name = "K",
        requires = "tolerable_rate",
        conflicts_with = "expected_rate"
    )]
    expected_deviations: Option<u64>,
    /// Expected deviation rate R (attribute sampling): K = ⌈n·R⌉ for each n tried.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "R", requires = "tolerable_rate")]
    expected_rate: Option<f64>,
    /// Likelihood for attribute sampling (default: hypergeometric with --population,
    /// binomial without).
    #[arg(long, value_enum, requires = "tolerable_rate")]
    likelihood: Option<LikelihoodArg>,
    /// Stages of an attribute plan: 2 sizes a two-stage plan (take n₁; accept, reject or
    /// take n₂ more), its exact risk over both stages and its expected records.
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2), requires = "tolerable_rate")]
    stages: u8,
    /// The largest first stage of a two-stage plan.
    #[arg(long, value_name = "n", requires = "tolerable_rate")]
    max_first: Option<u64>,
    /// Compare with a proposed request of R records: surplus records, pages, working days,
    /// and the precision R records would buy.
    #[arg(long, value_name = "R")]
    requested: Option<u64>,
    #[command(flatten)]
    burden: BurdenArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The likelihood flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LikelihoodArg {
    /// Binomial(n, T).
    Binomial,
    /// Hypergeometric(N, ⌈T·N⌉, n); needs --population.
    Hypergeometric,
    /// Poisson(n·T).
    Poisson,
}

impl From<LikelihoodArg> for Likelihood {
    fn from(l: LikelihoodArg) -> Self {
        match l {
            LikelihoodArg::Binomial => Likelihood::Binomial,
            LikelihoodArg::Hypergeometric => Likelihood::Hypergeometric,
            LikelihoodArg::Poisson => Likelihood::Poisson,
        }
    }
}

/// Run `urval size`.
pub fn run(args: &SizeArgs) -> Result<Output> {
    let rates = args.burden.rates()?;
    if let (Some(r), Some(big_n)) = (args.requested, args.population) {
        if r > big_n {
            anyhow::bail!("--requested {r} exceeds --population {big_n}");
        }
    }
    match (args.margin, args.tolerable_rate) {
        (Some(margin), None) => share(args, margin, &rates),
        (None, Some(t)) => attribute(args, t, &rates),
        _ => anyhow::bail!("give either --margin or --tolerable-rate"),
    }
}

fn share(args: &SizeArgs, margin: f64, rates: &urval_design::BurdenRates) -> Result<Output> {
    let spec = ShareSpec {
        margin,
        confidence: args.confidence,
        proportion: args.proportion,
        deff: args.deff,
        population: args.population,
        response_rate: args.response_rate,
        relative: args.relative,
    };
    let size = share_size(&spec)?;
    let need = burden(size.n, rates);
    let requested = args.requested.map(|r| {
        let responding = ((r as f64) * args.response_rate).floor() as u64;
        let margin_at = share_margin(
            responding,
            args.confidence,
            args.proportion,
            args.deff,
            args.population,
        );
        (compare_request(r, size.n, rates), margin_at)
    });
    if args.format == Format::Json {
        let mut v = json!({
            "kind": "share",
            "n": size.n,
            "n0": size.n0,
            "n_fpc": size.n_fpc,
            "n_responding": size.n_responding,
            "capped_at_population": size.capped_at_population,
            "z": size.z,
            "margin": margin,
            "absolute_margin": size.absolute_margin,
            "relative": args.relative,
            "confidence": args.confidence,
            "proportion": args.proportion,
            "deff": args.deff,
            "population": args.population,
            "response_rate": args.response_rate,
            "method": if args.population.is_some() { "cochran-fpc" } else { "cochran" },
            "rates": rates,
            "burden": need,
        });
        if let Some((cmp, margin_at)) = requested {
            v["requested"] = json!({
                "records": cmp.requested,
                "surplus_records": cmp.surplus_records,
                "surplus_pages": cmp.surplus_pages,
                "surplus_working_days": cmp.surplus_working_days,
                "burden": cmp.requested_burden,
                "margin_at_requested": json_f64(margin_at),
                "target_margin": size.absolute_margin,
            });
        }
        return Output::json(&v, 0);
    }
    let mut t = String::new();
    let method = if args.population.is_some() {
        "Cochran with the finite population correction"
    } else {
        "Cochran, infinite population"
    };
    writeln!(t, "Sample size for a share ({method})")?;
    let rel = if args.relative {
        format!(
            " (relative: ±{} of P = ±{} points)",
            pct(margin),
            pct(size.absolute_margin)
        )
    } else {
        String::new()
    };
    writeln!(
        t,
        "  margin of error     ±{} points{rel}",
        pct(margin).trim_end_matches(" %")
    )?;
    writeln!(
        t,
        "  confidence          {}  (z = {:.4})",
        pct(args.confidence),
        size.z
    )?;
    writeln!(t, "  proportion P        {}", args.proportion)?;
    if args.deff != 1.0 {
        writeln!(t, "  design effect       {}", args.deff)?;
    }
    match args.population {
        Some(big_n) => writeln!(t, "  population N        {}", thousands(big_n))?,
        None => writeln!(t, "  population N        not given (infinite)")?,
    }
    writeln!(t, "  n0 = z²P(1−P)D/E²   {:.2}", size.n0)?;
    if args.population.is_some() {
        writeln!(t, "  n0/(1+(n0−1)/N)     {:.2}", size.n_fpc)?;
    }
    if args.response_rate < 1.0 {
        writeln!(
            t,
            "  response rate       {}  ({} responding needed)",
            pct(args.response_rate),
            thousands(size.n_responding)
        )?;
    }
    writeln!(t, "  records needed n    {}", thousands(size.n))?;
    if size.capped_at_population {
        writeln!(
            t,
            "  note: the response rate asked for more than N; n is capped at N (a census)"
        )?;
    }
    writeln!(t)?;
    writeln!(t, "Burden ({})", rates_line(rates))?;
    writeln!(t, "  needed              {}", burden_line(&need))?;
    if let Some((cmp, margin_at)) = requested {
        t.push_str(&crate::format::request_lines(&cmp));
        writeln!(t)?;
        writeln!(
            t,
            "What the request buys: {} records give ±{} points at {} (target ±{} points with {} records).",
            thousands(cmp.requested),
            pct2(margin_at).trim_end_matches(" %"),
            pct(args.confidence),
            pct2(size.absolute_margin).trim_end_matches(" %"),
            thousands(size.n)
        )?;
    }
    Ok(Output::ok(t))
}

fn attribute(args: &SizeArgs, t_rate: f64, rates: &urval_design::BurdenRates) -> Result<Output> {
    if args.stages == 2 {
        return staged(args, t_rate, rates);
    }
    if args.max_first.is_some() {
        anyhow::bail!("--max-first is for a two-stage plan: add --stages 2");
    }
    let expected = match (args.expected_deviations, args.expected_rate) {
        (Some(k), None) => Expected::Deviations(k),
        (None, Some(r)) => Expected::Rate(r),
        (None, None) => Expected::Deviations(0),
        (Some(_), Some(_)) => {
            anyhow::bail!("give --expected-deviations or --expected-rate, not both")
        }
    };
    let spec = AttributeSpec {
        tolerable_rate: t_rate,
        expected,
        confidence: args.confidence,
        population: args.population,
        likelihood: args.likelihood.map(Into::into),
    };
    let size = attribute_size(&spec)?;
    let need = burden(size.n, rates);
    // What R records buy: the upper bound provable with R records and the same K.
    let requested = args.requested.map(|r| {
        let k = match expected {
            Expected::Deviations(k) => k,
            Expected::Rate(rate) => urval_design::ceil_count(r as f64 * rate),
        }
        .min(r);
        let bound = match (size.likelihood, args.population) {
            (Likelihood::Hypergeometric, Some(big_n)) if r >= 1 => {
                hypergeometric_upper_count(k, r, big_n, 1.0 - args.confidence) as f64 / big_n as f64
            }
            _ if r >= 1 => binomial_upper_bound(k, r, args.confidence),
            _ => 1.0,
        };
        (compare_request(r, size.n, rates), k, bound)
    });
    if args.format == Format::Json {
        let mut v = json!({
            "kind": "attribute",
            "n": size.n,
            "n0": json_f64(size.n0),
            "allowed_deviations": size.allowed_deviations,
            "likelihood": size.likelihood,
            "risk": size.risk,
            "population_deviations": size.population_deviations,
            "tolerable_rate": t_rate,
            "expected_deviations": args.expected_deviations.or(if args.expected_rate.is_none() { Some(0) } else { None }),
            "expected_rate": args.expected_rate,
            "confidence": args.confidence,
            "population": args.population,
            "rates": rates,
            "burden": need,
        });
        if let Some((cmp, k, bound)) = requested {
            v["requested"] = json!({
                "records": cmp.requested,
                "surplus_records": cmp.surplus_records,
                "surplus_pages": cmp.surplus_pages,
                "surplus_working_days": cmp.surplus_working_days,
                "burden": cmp.requested_burden,
                "allowed_deviations": k,
                "provable_rate_at_requested": bound,
                "target_rate": t_rate,
            });
        }
        return Output::json(&v, 0);
    }
    let mut t = String::new();
    writeln!(
        t,
        "Attribute sample size (smallest n with P(X ≤ K) ≤ 1 − C, X ~ {})",
        match size.likelihood {
            Likelihood::Binomial => "Binomial(n, T)",
            Likelihood::Hypergeometric => "Hypergeometric(N, ⌈T·N⌉, n)",
            Likelihood::Poisson => "Poisson(n·T)",
        }
    )?;
    writeln!(t, "  tolerable rate T    {}", pct(t_rate))?;
    match expected {
        Expected::Deviations(k) => writeln!(t, "  deviations K        {k}")?,
        Expected::Rate(r) => writeln!(
            t,
            "  expected rate       {}  (K = ⌈n·R⌉ = {})",
            pct2(r),
            size.allowed_deviations
        )?,
    }
    writeln!(t, "  confidence C        {}", pct(args.confidence))?;
    match args.population {
        Some(big_n) => writeln!(
            t,
            "  population N        {}{}",
            thousands(big_n),
            size.population_deviations
                .map(|m| format!("  (⌈T·N⌉ = {m} deviating records at the tolerable rate)"))
                .unwrap_or_default()
        )?,
        None => writeln!(t, "  population N        not given (infinite)")?,
    }
    if args.population.is_some() && size.n0.is_finite() {
        writeln!(t, "  n without N         {}", size.n0)?;
    }
    writeln!(t, "  records needed n    {}", thousands(size.n))?;
    writeln!(t, "  risk P(X ≤ K) at n  {:.4}", size.risk)?;
    writeln!(t)?;
    let found = match size.allowed_deviations {
        0 => "none deviates".to_string(),
        k => format!("at most {k} deviate"),
    };
    writeln!(
        t,
        "Reading: review {} records; if {found}, the deviation rate is below {} with {} confidence.",
        thousands(size.n),
        pct(t_rate),
        pct(args.confidence)
    )?;
    writeln!(t)?;
    writeln!(t, "Burden ({})", rates_line(rates))?;
    writeln!(t, "  needed              {}", burden_line(&need))?;
    if let Some((cmp, k, bound)) = requested {
        t.push_str(&crate::format::request_lines(&cmp));
        writeln!(t)?;
        writeln!(
            t,
            "What the request buys: {} records with at most {k} deviations found bound the rate at {} (one-sided {}; the purpose needs below {}).",
            thousands(cmp.requested),
            pct2(bound),
            pct(args.confidence),
            pct(t_rate)
        )?;
    }
    Ok(Output::ok(t))
}

/// `--stages 2`: the two-stage plan ([`urval_design::two_stage_plan`]).
fn staged(args: &SizeArgs, t_rate: f64, rates: &urval_design::BurdenRates) -> Result<Output> {
    if args.expected_deviations.is_some() || args.likelihood.is_some() || args.requested.is_some() {
        anyhow::bail!(
            "--stages 2 takes --expected-rate (not --expected-deviations), no --likelihood (hypergeometric with --population, binomial without) and no --requested"
        );
    }
    let r = args.expected_rate.unwrap_or(0.0);
    let p = urval_design::two_stage_plan(&urval_design::StagedSpec {
        tolerable_rate: t_rate,
        confidence: args.confidence,
        population: args.population,
        expected_rate: r,
        max_first: args.max_first,
    })?;
    let s = p.plan;
    let [zero, expected, tolerable] = p.expected_records;
    let single = p.single.n;
    let saved = single as f64 - expected;
    let per_record = burden(1, rates);
    if args.format == Format::Json {
        let v = json!({
            "kind": "attribute-two-stage",
            "stages": [
                {"n": s.n1, "accept": s.accept1, "reject": s.reject1},
                {"n": s.n2, "accept": s.accept2},
            ],
            "risk": p.risk,
            "expected_records": {"zero": zero, "expected": expected, "tolerable": tolerable},
            "single_stage_n": single,
            "single_stage_allowed_deviations": p.single.allowed_deviations,
            "accept_at_expected": p.accept_at_expected,
            "single_stage_accept_at_expected": p.single_accept_at_expected,
            "likelihood": p.likelihood,
            "tolerable_rate": t_rate,
            "expected_rate": r,
            "confidence": args.confidence,
            "population": args.population,
            "rates": rates,
            "records_saved_on_average": saved,
            "pages_saved_on_average": saved * per_record.pages,
        });
        return Output::json(&v, 0);
    }
    let mut t = String::new();
    writeln!(
        t,
        "Two-stage attribute plan (risk exact over both stages, {})",
        match p.likelihood {
            Likelihood::Hypergeometric => "hypergeometric",
            _ => "binomial",
        }
    )?;
    writeln!(t, "  tolerable rate T    {}", pct(t_rate))?;
    writeln!(t, "  expected rate R     {}", pct2(r))?;
    writeln!(t, "  confidence C        {}", pct(args.confidence))?;
    if let Some(big) = args.population {
        writeln!(t, "  population N        {}", thousands(big))?;
    }
    writeln!(t)?;
    if s.n2 == 0 {
        writeln!(
            t,
            "Stage 1   review {} records; if at most {} deviate, the rate is below {}; else it cannot be shown.",
            thousands(s.n1),
            s.accept1,
            pct(t_rate)
        )?;
        writeln!(
            t,
            "          No two-stage plan needs fewer records on average at R = {}; give a higher --expected-rate to trade a second stage for a smaller first one.",
            pct2(r)
        )?;
    } else {
        writeln!(
            t,
            "Stage 1   review {} records: at most {} → below {} (stop); {} or more deviations → cannot be shown (stop); else stage 2.",
            thousands(s.n1),
            deviations(s.accept1),
            pct(t_rate),
            s.reject1
        )?;
        writeln!(
            t,
            "Stage 2   review {} more records (the next ones of the same draw): at most {} in all {} → below {}.",
            thousands(s.n2),
            deviations(s.accept2),
            thousands(s.n1 + s.n2),
            pct(t_rate)
        )?;
    }
    writeln!(t)?;
    writeln!(
        t,
        "  risk P(accept | T)  {:.4}  (at most {:.4})",
        p.risk,
        1.0 - args.confidence
    )?;
    writeln!(
        t,
        "  P(accept | R)       {:.4}  (single stage: {:.4})",
        p.accept_at_expected, p.single_accept_at_expected
    )?;
    writeln!(
        t,
        "  expected records    {:.1} at 0 %, {:.1} at R, {:.1} at T",
        zero, expected, tolerable
    )?;
    writeln!(
        t,
        "  single stage        {} records, at most {}",
        thousands(single),
        deviations(p.single.allowed_deviations)
    )?;
    writeln!(t)?;
    writeln!(t, "Burden ({})", rates_line(rates))?;
    writeln!(
        t,
        "  saved on average at R: {:.1} records, {:.0} pages, {:.1} working days",
        saved,
        saved * per_record.pages,
        saved * per_record.working_days
    )?;
    Ok(Output::ok(t))
}

fn deviations(k: u64) -> String {
    match k {
        1 => "1 deviation".to_string(),
        k => format!("{k} deviations"),
    }
}
