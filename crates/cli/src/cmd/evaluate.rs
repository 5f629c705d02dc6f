//! `urval evaluate`: after the review, the interval for the deviation rate, the one-sided
//! upper bound, and the conclusion against a tolerable rate.

use crate::format::{pct, pct2, thousands, to_json_text, Format, Output};
use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::fmt::Write;
use urval_design::{evaluate, EvaluateSpec, IntervalMethod};

/// Arguments of `urval evaluate`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  urval evaluate --sample 29 --deviations 0 --tolerable-rate 0.10
  urval evaluate --sample 29 --deviations 3 --population 767 --method clopper-pearson --format json")]
pub struct EvaluateArgs {
    /// Records reviewed, n.
    #[arg(long, value_name = "n")]
    sample: u64,
    /// Deviations found, k.
    #[arg(long, value_name = "k")]
    deviations: u64,
    /// Population size N: Wilson gets the finite population correction, Clopper–Pearson
    /// becomes the exact hypergeometric interval, and the upper bound is exact hypergeometric.
    #[arg(long, value_name = "N")]
    population: Option<u64>,
    /// Confidence level C.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.95", value_name = "C")]
    confidence: f64,
    /// Two-sided interval method.
    #[arg(long, value_enum, default_value_t = MethodArg::Wilson)]
    method: MethodArg,
    /// Tolerable rate T: conclude whether the deviation rate is below T with confidence C.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "T")]
    tolerable_rate: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The interval method flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Wilson score interval (Wilson 1927).
    Wilson,
    /// Clopper–Pearson exact interval (1934).
    ClopperPearson,
    /// Jeffreys interval (Brown, Cai & DasGupta 2001).
    Jeffreys,
}

impl From<MethodArg> for IntervalMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Wilson => IntervalMethod::Wilson,
            MethodArg::ClopperPearson => IntervalMethod::ClopperPearson,
            MethodArg::Jeffreys => IntervalMethod::Jeffreys,
        }
    }
}

/// Run `urval evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<Output> {
    let spec = EvaluateSpec {
        sample: args.sample,
        deviations: args.deviations,
        population: args.population,
        confidence: args.confidence,
        method: args.method.into(),
        tolerable_rate: args.tolerable_rate,
    };
    let e = evaluate(&spec)?;
    if args.format == Format::Json {
        let mut v = json!({
            "sample": args.sample,
            "deviations": args.deviations,
            "population": args.population,
            "confidence": args.confidence,
            "estimate": e.estimate,
            "lower": e.lower,
            "upper": e.upper,
            "method": e.method,
            "finite_population": e.finite_population,
            "upper_bound": e.upper_bound,
            "upper_bound_method": e.upper_bound_method,
            "upper_bound_count": e.upper_bound_count,
        });
        if let Some(c) = &e.conclusion {
            v["conclusion"] = json!(c);
        }
        return Ok(Output {
            text: to_json_text(&v)?,
            code: finding(&e),
        });
    }
    let mut t = String::new();
    writeln!(
        t,
        "Evaluation of {} deviations in {} reviewed records{}",
        args.deviations,
        thousands(args.sample),
        args.population
            .map(|n| format!(" (population {})", thousands(n)))
            .unwrap_or_default()
    )?;
    writeln!(t, "  deviation rate      {}", pct2(e.estimate))?;
    let method = match (e.method, e.finite_population) {
        (IntervalMethod::Wilson, true) => "Wilson with finite population correction",
        (IntervalMethod::Wilson, false) => "Wilson",
        (IntervalMethod::ClopperPearson, true) => "exact hypergeometric (Clopper–Pearson analogue)",
        (IntervalMethod::ClopperPearson, false) => "Clopper–Pearson",
        (IntervalMethod::Jeffreys, _) => "Jeffreys",
    };
    writeln!(
        t,
        "  {} interval      {} – {}  ({method})",
        pct(args.confidence),
        pct2(e.lower),
        pct2(e.upper)
    )?;
    writeln!(
        t,
        "  upper bound         {}  (one-sided {}, {})",
        pct2(e.upper_bound),
        pct(args.confidence),
        if e.upper_bound_method == "hypergeometric" {
            format!(
                "exact hypergeometric: at most {} deviating records",
                e.upper_bound_count.unwrap_or_default()
            )
        } else {
            "Clopper–Pearson".to_string()
        }
    )?;
    if let Some(c) = &e.conclusion {
        writeln!(t)?;
        if c.below_tolerable {
            writeln!(
                t,
                "Conclusion: the deviation rate is below {} with {} confidence.",
                pct(c.tolerable_rate),
                pct(args.confidence)
            )?;
        } else {
            writeln!(
                t,
                "Conclusion: it cannot be shown that the deviation rate is below {} with {} confidence (upper bound {}).",
                pct(c.tolerable_rate),
                pct(args.confidence),
                pct2(e.upper_bound)
            )?;
        }
    }
    Ok(Output {
        text: t,
        code: finding(&e),
    })
}

/// Exit 1 (a data finding) when a `--tolerable-rate` conclusion cannot be shown, 0 when it
/// can or no rate was given.
fn finding(e: &urval_design::Evaluation) -> u8 {
    u8::from(e.conclusion.as_ref().is_some_and(|c| !c.below_tolerable))
}
