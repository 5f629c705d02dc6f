//! `urval evaluate`: after the review, the interval for the deviation rate, the one-sided
//! upper bound, and the conclusion against a tolerable rate.

use crate::format::{pct, pct2, thousands, Format, Output};
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::fmt::Write;
use urval_design::{evaluate, EvaluateSpec, Evaluation, IntervalMethod, StageDecision};

/// Arguments of `urval evaluate`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  urval evaluate --sample 29 --deviations 0 --tolerable-rate 0.10
  urval evaluate --sample 29 --deviations 3 --population 767 --method clopper-pearson --format json
  urval evaluate --plan out/staged.json --stage 1 --deviations 1
  urval evaluate --plan out/staged.json --stage 2 --first-deviations 1 --deviations 0")]
pub struct EvaluateArgs {
    /// Records reviewed, n.
    #[arg(long, value_name = "n", required_unless_present_any = ["plan", "review"], conflicts_with_all = ["plan", "review"])]
    sample: Option<u64>,
    /// Deviations found, k (with --stage 2: in the records stage 2 added).
    #[arg(
        long,
        value_name = "k",
        required_unless_present = "review",
        conflicts_with = "review"
    )]
    deviations: Option<u64>,
    /// A filled review template (`urval review-template`): n and k are counted from its
    /// answers to --indicator (n: answered yes or no; k: answered --deviation-answer), N is
    /// the question's population: counted in --extract with --spec (the plan's records
    /// inside the question's `where`), else estimated from the template's answers
    /// (Σ N_h·d_h/r_h; the manifest's population when no record is marked not applicable).
    #[arg(long, value_name = "FILE", requires_all = ["manifest", "indicator"])]
    review: Option<std::path::PathBuf>,
    /// The manifest the review template was made for (with its sidecar).
    #[arg(long, value_name = "FILE", requires = "review")]
    manifest: Option<std::path::PathBuf>,
    /// The question to evaluate: its column in the template (the indicator's name).
    #[arg(long, value_name = "NAME", requires = "review")]
    indicator: Option<String>,
    /// The indicator spec the template was made from: with --extract, the question's
    /// population is counted exactly.
    #[arg(long, value_name = "FILE", requires_all = ["review", "extract"])]
    spec: Option<std::path::PathBuf>,
    #[command(flatten)]
    extract: super::common::ExtractArgs,
    /// Which answer is a deviation: `nej`/`no` (the requirement was not met; the default)
    /// or `ja`/`yes`, in any case.
    #[arg(long, value_name = "ANSWER", default_value = "no", requires = "review",
          value_parser = urval_ops::review::parse_deviation_answer)]
    deviation_answer: urval_ops::review::Answer,
    /// A staged attribute plan (`urval plan --tolerable-rate T --stages 2`): state the
    /// decision it prescribes after --stage (T, C and N are the plan's).
    #[arg(long, value_name = "FILE", requires = "stage")]
    plan: Option<std::path::PathBuf>,
    /// The stage just reviewed: 1, or 2 (then give --first-deviations too).
    #[arg(long, value_name = "1|2", requires = "plan", value_parser = clap::value_parser!(u32).range(1..=2))]
    stage: Option<u32>,
    /// Stage 2: the deviations found in stage 1.
    #[arg(long, value_name = "k1", requires = "stage")]
    first_deviations: Option<u64>,
    /// Population size N: Wilson gets the finite population correction, Clopper–Pearson
    /// becomes the exact hypergeometric interval, and the upper bound is exact hypergeometric.
    #[arg(long, value_name = "N")]
    population: Option<u64>,
    /// Confidence level C.
    #[arg(long, value_parser = crate::format::parse_rate, default_value = "0.95", value_name = "C")]
    confidence: f64,
    /// Two-sided interval method. The default, Clopper–Pearson (exact hypergeometric with
    /// --population), never covers less than the confidence asked for, also with few records
    /// and rates near 0 or 1, where Wilson's can fall 3 to 10 points short.
    #[arg(long, value_enum, default_value_t = IntervalMethod::ClopperPearson)]
    method: IntervalMethod,
    /// Tolerable rate T: conclude whether the deviation rate is below T with confidence C.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "T")]
    tolerable_rate: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The population of a question asked only of part of the records: counted in the extract
/// (with --spec and --extract; the plan is the one beside the manifest its sidecar names),
/// or estimated from the template's answers. (count, how it was found).
fn question_population(
    args: &EvaluateArgs,
    review: &std::path::Path,
    manifest: &std::path::Path,
    question: &str,
    side: &urval_ops::artifacts::DrawSidecar,
) -> Result<Option<(u64, &'static str)>> {
    if let Some(spec) = &args.spec {
        let spec = urval_indicators::spec::Spec::read(spec)?;
        let Some(q) = spec.indicators.iter().find(|i| i.name == question) else {
            anyhow::bail!(
                "{}: no indicator {question:?}",
                args.spec
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        };
        let plan_path = manifest.with_file_name(&side.plan);
        if urval_ops::files::file_hash(&plan_path).ok().as_deref() != Some(side.plan_hash.as_str())
        {
            anyhow::bail!(
                "{}: the plan the manifest was drawn from is not beside it (its sidecar names {}): put it there to count the question's population",
                manifest.display(),
                side.plan
            );
        }
        let plan = urval_ops::artifacts::PlanFile::read(&plan_path)?;
        let extract = args.extract.resolve()?;
        let count = urval_ops::applicable::population_count(&extract, &plan, q)?;
        return Ok(Some((
            count,
            "counted in the extract: the plan's records inside its where",
        )));
    }
    let est = urval_ops::review::estimated_population(review, manifest, question)?;
    Ok(Some((
        est.round() as u64,
        "estimated from the template, Σ N_h·d_h/r_h; give --spec and --extract for the exact count",
    )))
}

/// Run `urval evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<Output> {
    if let (Some(plan), Some(stage)) = (&args.plan, args.stage) {
        return staged(args, plan, stage);
    }
    let mut notes = String::new();
    let (sample, deviations, population) = match (&args.review, &args.manifest, &args.indicator) {
        (Some(review), Some(manifest), Some(question)) => {
            from_review(args, review, manifest, question, &mut notes)?
        }
        _ => (
            args.sample.unwrap_or_default(),
            args.deviations.unwrap_or_default(),
            args.population,
        ),
    };
    let spec = EvaluateSpec {
        sample,
        deviations,
        population,
        confidence: args.confidence,
        method: args.method,
        tolerable_rate: args.tolerable_rate,
    };
    let e = evaluate(&spec)?;
    if args.format == Format::Json {
        return render_json(args, &spec, &e);
    }
    render_text(args, &spec, &e, &notes)
}

/// `--review`: n and k counted from the filled template's answers to the question, N its
/// population; what was read is written to `notes`.
fn from_review(
    args: &EvaluateArgs,
    review: &std::path::Path,
    manifest: &std::path::Path,
    question: &str,
    notes: &mut String,
) -> Result<(u64, u64, Option<u64>)> {
    if args.population.is_some() {
        anyhow::bail!("with --review, N is the manifest's population: leave out --population");
    }
    let (n, k, counts) =
        urval_ops::review::count_answers(review, manifest, question, args.deviation_answer)?;
    let found = urval_ops::manifest::require_sidecar(manifest)?;
    found.check_manifest(manifest)?;
    let side = found.sidecar;
    let big: u64 = side.strata.iter().map(|s| s.population).sum();
    writeln!(
        notes,
        "  from {}: {} answered yes or no to {question}, {} of them {} (a deviation); {} rows without an answer, {} quarantined, {} drawn records without a row",
        urval_ops::files::file_name(review),
        thousands(n),
        thousands(k),
        if args.deviation_answer == urval_ops::review::Answer::Yes {
            "yes"
        } else {
            "no"
        },
        thousands(counts.unanswered),
        thousands(counts.quarantined),
        thousands(counts.missing)
    )?;
    // The count-based bound treats the records as one simple random sample: right
    // for a self-weighting design (proportional allocation), not for unequal weights.
    if let Some((lo, hi)) = urval_ops::review::unequal_weights(&side.strata) {
        writeln!(
            notes,
            "  note: the strata's weights N_h/n_h differ ({lo:.1} to {hi:.1}): this count-based evaluation treats the records as one simple random sample; `urval indicators --review` gives the design-weighted estimate"
        )?;
    }
    let domain = question_population(args, review, manifest, question, &side)?;
    let population = match domain {
        Some((count, how)) if count != big => {
            writeln!(
                notes,
                "  population of {question}: {} of the {} records ({how})",
                thousands(count),
                thousands(big)
            )?;
            count.max(n)
        }
        _ => big,
    };
    Ok((n, k, Some(population)))
}

/// `--format json`: the counts, the interval, the upper bound and the conclusion.
fn render_json(args: &EvaluateArgs, spec: &EvaluateSpec, e: &Evaluation) -> Result<Output> {
    let (sample, deviations, population) = (spec.sample, spec.deviations, spec.population);
    let mut v = json!({
        "sample": sample,
        "deviations": deviations,
        "population": population,
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
    Output::json(&v, finding(e))
}

/// The evaluation as text: the counts and what they were read from, the rate, the interval,
/// the upper bound and the conclusion.
fn render_text(
    args: &EvaluateArgs,
    spec: &EvaluateSpec,
    e: &Evaluation,
    notes: &str,
) -> Result<Output> {
    let (sample, deviations, population) = (spec.sample, spec.deviations, spec.population);
    let mut t = String::new();
    writeln!(
        t,
        "Evaluation of {} deviations in {} reviewed records{}",
        deviations,
        thousands(sample),
        population
            .map(|n| format!(" (population {})", thousands(n)))
            .unwrap_or_default()
    )?;
    t.push_str(notes);
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
                thousands(e.upper_bound_count.unwrap_or_default())
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
    Ok(Output::with_code(t, finding(e)))
}

/// Exit 1 (a data finding) when a `--tolerable-rate` conclusion cannot be shown, 0 when it
/// can or no rate was given.
fn finding(e: &urval_design::Evaluation) -> u8 {
    u8::from(e.conclusion.as_ref().is_some_and(|c| !c.below_tolerable))
}

/// `urval evaluate --plan --stage`: the decision a staged attribute plan prescribes.
fn staged(args: &EvaluateArgs, path: &std::path::Path, stage: u32) -> Result<Output> {
    if args.population.is_some() || args.tolerable_rate.is_some() {
        anyhow::bail!(
            "with --plan, T, C and N are the plan's: leave out --population and --tolerable-rate"
        );
    }
    let plan = urval_ops::artifacts::PlanFile::read(path)?;
    // The deviations: given, or counted from the stage's filled review template — every
    // record of the stage answered yes or no, since the plan's rule is for exactly that many.
    let deviations = match (
        &args.review,
        &args.manifest,
        &args.indicator,
        args.deviations,
    ) {
        (Some(review), Some(manifest), Some(question), None) => {
            let (n, k, _) = urval_ops::review::count_answers(
                review,
                manifest,
                question,
                args.deviation_answer,
            )?;
            let (_, rule, _) = urval_ops::stage::attribute_stages(&plan)?;
            let want = if stage == 1 { rule.n1 } else { rule.n2 };
            if n != want {
                anyhow::bail!(
                    "{}: {n} records answered yes or no to {question}, the plan's stage {stage} has {want}: the rule holds for every record of the stage answered",
                    review.display()
                );
            }
            k
        }
        (None, _, _, Some(k)) => k,
        _ => anyhow::bail!("give --deviations, or --review with --manifest and --indicator"),
    };
    let e = urval_ops::stage::evaluate_stage(&plan, stage, deviations, args.first_deviations)?;
    // Exit 1 (a finding) when the rate cannot be shown below T; 0 to accept or go on.
    let code = u8::from(e.decision == StageDecision::Reject);
    if args.format == Format::Json {
        return Output::json(&e, code);
    }
    let mut t = String::new();
    let dev = |k: u64| {
        if k == 1 {
            "1 deviation".to_string()
        } else {
            format!("{k} deviations")
        }
    };
    if stage == 1 {
        writeln!(
            t,
            "Stage 1 of 2: {} in {} records",
            dev(e.deviations),
            thousands(e.records)
        )?;
    } else {
        writeln!(
            t,
            "Stage 2 of 2: {} in all {} records ({} in stage 1, {} in stage 2)",
            dev(e.deviations),
            thousands(e.records),
            e.first_deviations,
            e.deviations - e.first_deviations
        )?;
    }
    match e.reject {
        Some(r) => writeln!(
            t,
            "  the plan's rule     at most {} → below {}; {r} or more → cannot be shown; else stage 2",
            dev(e.accept),
            pct(e.tolerable_rate)
        )?,
        None => writeln!(
            t,
            "  the plan's rule     at most {} in all → below {}",
            dev(e.accept),
            pct(e.tolerable_rate)
        )?,
    }
    writeln!(
        t,
        "  upper bound         {}  (one-sided {}, {})",
        pct2(e.upper_bound),
        pct(e.confidence),
        if stage == 1 {
            e.upper_bound_method.clone()
        } else {
            format!(
                "{}: not as if the {} records were one sample",
                e.upper_bound_method,
                thousands(e.records)
            )
        }
    )?;
    writeln!(t)?;
    match e.decision {
        StageDecision::Accept => writeln!(
            t,
            "Decision: accept — the deviation rate is below {} with {} confidence. Stop: no more records are needed.",
            pct(e.tolerable_rate),
            pct(e.confidence)
        )?,
        StageDecision::Reject => writeln!(
            t,
            "Decision: reject — it cannot be shown that the deviation rate is below {} with {} confidence. Stop.",
            pct(e.tolerable_rate),
            pct(e.confidence)
        )?,
        StageDecision::Continue => {
            let b = e.next.unwrap_or(urval_design::Burden { records: 0, pages: 0.0, working_days: 0.0 });
            writeln!(
                t,
                "Decision: go to stage 2 — request {} more records ({} pages, {:.1} working days): urval draw … --stage 2 --previous <stage-1 manifest>",
                thousands(b.records),
                crate::format::pages(b.pages),
                b.working_days
            )?;
            if let Some(why) = &e.continue_reason {
                writeln!(t, "  why: {why}")?;
            }
        }
    }
    Ok(Output::with_code(t, code))
}
