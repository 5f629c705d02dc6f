//! `urval plan`: flags → [`urval_ops::plan::PlanRequest`], the plan printed as text.

use super::common::{split_names, ExtractArgs};
use crate::format::{burden_line, pct, pct2, rates_line, thousands, BurdenArgs, Output};
use crate::util::progress_bar;
use anyhow::Result;
use clap::{ArgGroup, Args};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use urval_design::{Allocation, AllocationMethod, BurdenRates};
use urval_ingest::Extract;
use urval_ops::artifacts::PlanFile;
use urval_ops::plan::{PlanRequest, Planned, Staging};

/// Arguments of `urval plan`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["margin", "total", "tolerable_rate", "agreement_margin", "tolerable_disagreement", "purposes"])))]
#[command(group(ArgGroup::new("purposes_or_small_area").args(["purposes", "small_area"])))]
#[command(after_help = "Example:
  urval plan --extract sample-data/cases.parquet --key case_id --strata municipality_code,area \\
             --margin 0.10 --allocation domain --pages-column pages -o out/plan.json
  urval plan --extract sample-data/cases.parquet --key case_id --strata area \\
             --tolerable-rate 0.10 --expected-rate 0.02 --stages 2 -o out/staged.json
  urval plan --extract sample-data/cases.parquet --key case_id --strata municipality_code,area \\
             --purposes sample-data/purposes.toml --pages-column pages --cost pages -o out/joint.json")]
pub struct PlanArgs {
    #[command(flatten)]
    extract: ExtractArgs,
    #[command(flatten)]
    quarantine: crate::cmd::common::QuarantineArgs,
    /// The record key column (string or integer).
    #[arg(long, value_name = "COL", required_unless_present = "phase2")]
    key: Option<String>,
    /// Strata columns, comma separated (e.g. municipality_code,area).
    #[arg(long, value_name = "COL[,COL…]", required_unless_present = "phase2")]
    strata: Option<String>,
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
    #[arg(long, value_enum, default_value_t = AllocationMethod::Proportional)]
    allocation: AllocationMethod,
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
    /// Size the inspector's re-review of a self-reviewed sample (phase 2): its population is
    /// the phase-1 manifest's records (--manifest), sized by --agreement-margin or
    /// --tolerable-disagreement, overall or --per a strata column.
    #[arg(long, requires = "manifest", conflicts_with_all = ["key", "strata", "margin", "total", "tolerable_rate", "stages"])]
    phase2: bool,
    /// Phase 2: the phase-1 manifest (with its sidecar).
    #[arg(long, value_name = "FILE", requires = "phase2")]
    manifest: Option<PathBuf>,
    /// Phase 2: estimate the disagreement rate to ±E.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "E", requires = "phase2")]
    agreement_margin: Option<f64>,
    /// Phase 2: show that the disagreement rate is below T with confidence C.
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "T", requires = "phase2")]
    tolerable_disagreement: Option<f64>,
    /// Phase 2: the disagreement rate expected (P of a margin, default 0.5; R of a tolerable
    /// rate, default 0).
    #[arg(long, value_parser = crate::format::parse_rate, value_name = "R", requires = "phase2")]
    expected_disagreement: Option<f64>,
    /// Phase 2: size per value of this strata column (e.g. per municipality).
    #[arg(long, value_name = "COL", requires = "phase2")]
    per: Option<String>,
    /// Phase 2: size and draw the re-review per question of this spec, over the records each
    /// question applies to (its `where`, evaluated on the manifest's columns or on --extract).
    #[arg(long, value_name = "FILE.toml", requires = "phase2")]
    spec: Option<PathBuf>,
    /// The duplicate-key check's memory budget in 8-byte hashes; beyond it the hashes go to
    /// disk in 256 buckets (testing the spill).
    #[arg(long, hide = true, default_value_t = urval_ops::plan::DUPLICATE_MEMORY_HASHES)]
    duplicate_memory: u64,
    /// Several purposes at once: a TOML file of [[purpose]] tables (share or attribute, each
    /// with its population, margin, confidence and level); the plan is the cheapest that
    /// meets every one (Bethel–Chromy), instead of --margin/--total.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["margin", "total", "tolerable_rate", "stages", "allocation", "proportion", "phase2"])]
    purposes: Option<PathBuf>,
    /// What a plan for several purposes minimises: records; pages (the mean pages per
    /// record of each stratum; needs --pages-column); or a CSV file with the strata columns
    /// and `cost` (c_h per stratum, e.g. the hours a record of it takes).
    #[arg(
        long,
        value_name = "records|pages|FILE",
        requires = "purposes_or_small_area"
    )]
    cost: Option<String>,
    /// Size every value of COL (an area, e.g. kommunkod) for its model-based estimate
    /// (Fay–Herriot on the arcsine scale, as `urval indicators --small-area COL` gives it)
    /// to ±--margin, from last year's table of --indicator (--last-year, by COL alone),
    /// instead of each area's direct estimate; prints what it saves against direct
    /// precision per area.
    #[arg(long, value_name = "COL", requires_all = ["margin", "last_year", "indicator"], conflicts_with_all = ["total", "tolerable_rate", "stages", "allocation", "proportion", "phase2", "purposes"])]
    small_area: Option<String>,
    /// --small-area: last year's `urval indicators --by COL` table (.csv, .parquet, .json).
    #[arg(long, value_name = "FILE", requires = "small_area")]
    last_year: Option<PathBuf>,
    /// --small-area: the indicator of --last-year to size for (its name in the spec).
    #[arg(long, value_name = "NAME", requires = "small_area")]
    indicator: Option<String>,
    /// --small-area: the records every area keeps, so that it has a direct figure beside
    /// the model's.
    #[arg(long, value_name = "m", requires = "small_area", default_value_t = urval_ops::small_area::DEFAULT_MIN_PER_AREA)]
    min_per_area: u64,
    /// Where to write plan.json.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Run `urval plan`.
pub fn run(args: &PlanArgs) -> Result<Output> {
    if args.phase2 {
        return phase2(args);
    }
    let rates = args.burden.rates()?;
    let extract = args.extract.resolve()?;
    let (Some(key), Some(strata)) = (&args.key, &args.strata) else {
        anyhow::bail!("give --key and --strata");
    };
    let strata_cols = split_names(strata);
    let req = request(args, key, &strata_cols, rates)?;
    let pb = progress_bar("counting");
    let Planned {
        plan,
        allocation: alloc,
        quarantine_file: qpath,
    } = urval_ops::plan(&extract, &req, &|n| pb.inc(n))?;
    pb.finish_and_clear();
    let mut t = String::new();
    write_accounts(
        &mut t,
        args,
        &plan,
        &extract,
        qpath.as_deref(),
        &strata_cols,
    )?;
    write_design(&mut t, args, &plan, &alloc)?;
    write_burden(&mut t, args, &plan, &rates)?;
    Ok(Output::with_code(
        t,
        u8::from(alloc.margin_met == Some(false)),
    ))
}

/// The flags as the operations' request: the stages, the purposes file and the rest.
fn request(
    args: &PlanArgs,
    key: &str,
    strata_cols: &[String],
    rates: BurdenRates,
) -> Result<PlanRequest> {
    let (stages, attribute) = urval_ops::plan::staging(&Staging {
        stages: args.stages,
        first_fraction: args.first_fraction,
        first_margin: args.first_margin,
        tolerable_rate: args.tolerable_rate,
        expected_rate: args.expected_rate,
        max_first: args.max_first,
    })?;
    Ok(PlanRequest {
        key: key.to_string(),
        strata: strata_cols.to_vec(),
        where_: args.where_.clone(),
        checks: args.checks.clone(),
        margin: args.margin.filter(|_| args.small_area.is_none()),
        total: args.total,
        confidence: args.confidence,
        allocation: args.allocation,
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
        duplicate_memory: args.duplicate_memory,
        purposes: purposes_request(args)?,
    })
}

/// The purposes: a purposes file, or the one small-area purpose of `--small-area`.
fn purposes_request(args: &PlanArgs) -> Result<Option<urval_ops::purposes::PurposesRequest>> {
    let purposes = match (&args.purposes, &args.small_area) {
        (Some(f), _) => urval_ops::purposes::load(f)?,
        (None, Some(column)) => {
            let (Some(table), Some(indicator), Some(margin)) =
                (&args.last_year, &args.indicator, args.margin)
            else {
                anyhow::bail!("--small-area needs --last-year, --indicator and --margin");
            };
            urval_ops::purposes::small_area(
                column,
                table,
                indicator,
                margin,
                args.confidence,
                args.min_per_area,
            )?
        }
        (None, None) => return Ok(None),
    };
    let c = args.cost.as_deref().unwrap_or("records");
    Ok(Some(urval_ops::purposes::PurposesRequest {
        purposes,
        cost: urval_ops::purposes::CostBasis::parse(c, PathBuf::from(c)),
    }))
}

/// Where the plan went and how the extract's rows were accounted for: reconciliation,
/// encoding, skipped files, quarantine, repeated keys and the strata.
fn write_accounts(
    t: &mut String,
    args: &PlanArgs,
    plan: &PlanFile,
    extract: &Extract,
    qpath: Option<&Path>,
    strata_cols: &[String],
) -> Result<()> {
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
    if let Some(line) = crate::util::encoding_line(extract) {
        writeln!(t, "{line}")?;
    }
    if let Some(line) = crate::util::skipped_line(extract) {
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
    Ok(())
}

/// The design: its target (or the purposes), the records needed, the margin, the stages
/// and the strata a bound holds.
fn write_design(
    t: &mut String,
    args: &PlanArgs,
    plan: &PlanFile,
    alloc: &Allocation,
) -> Result<()> {
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
    if let Some(p) = &plan.design.purposes {
        t.push_str(&purposes_lines(p, plan.total_n, &plan.burden.needed));
    } else {
        writeln!(
            t,
            "  design: {} allocation, {target_text} at {}",
            alloc.method.name(),
            pct(args.confidence)
        )?;
        writeln!(t, "  records needed {}", thousands(plan.total_n))?;
    }
    match alloc.margin {
        _ if args.tolerable_rate.is_some() || plan.design.purposes.is_some() => {}
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
    if let Some(line) = crate::format::margin_adjustment_line(alloc, args.margin) {
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
    Ok(())
}

/// The burden the plan puts on the municipalities, and the comparison with a request.
fn write_burden(
    t: &mut String,
    args: &PlanArgs,
    plan: &PlanFile,
    rates: &BurdenRates,
) -> Result<()> {
    writeln!(t)?;
    writeln!(
        t,
        "Burden ({}{})",
        rates_line(rates),
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
    Ok(())
}

/// A plan for several purposes: how it was solved, then one line per purpose — its target,
/// what the plan achieves, and what it alone would need — and the separate requests' sum.
fn purposes_lines(
    p: &urval_ops::artifacts::PurposesPlan,
    total: u64,
    needed: &urval_design::Burden,
) -> String {
    let mut t = String::new();
    let points = |x: f64| format!("±{} points", pct2(x).trim_end_matches(" %"));
    let unmet = p.purposes.iter().filter(|x| !x.met).count();
    let _ = writeln!(
        t,
        "  design: {}, the fewest {} that meet {} (Bethel–Chromy); {}",
        match p.purposes.len() {
            1 => "1 purpose".to_string(),
            k => format!("{k} purposes"),
        },
        p.cost,
        if unmet > 0 {
            "those that can be met"
        } else if p.purposes.len() == 1 {
            "it"
        } else {
            "every one"
        },
        if unmet > 0 {
            // No optimality claim beside a purpose that is not met.
            format!("{unmet} NOT MET even with every record of its strata")
        } else if p.proved_optimal {
            "no allocation costs less (proved)".to_string()
        } else {
            format!(
                "at most {:.1} {} above the least possible ({:.1})",
                p.cost_total - p.cost_lower_bound,
                p.cost,
                p.cost_lower_bound
            )
        }
    );
    let _ = writeln!(
        t,
        "  records needed {} ({} pages, {:.1} working days)",
        thousands(total),
        thousands(needed.pages.round() as u64),
        needed.working_days
    );
    let wn = p
        .purposes
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let rows: Vec<(String, String)> = p
        .purposes
        .iter()
        .map(|r| {
            let level = match r.level.as_str() {
                "overall" => String::new(),
                "stratum" => " in every stratum".to_string(),
                c => format!(" per {c}"),
            };
            match (r.kind.as_str(), r.tolerable_rate) {
                ("attribute", Some(tr)) => (
                    format!(
                        "rate < {}, {} dev.{level}",
                        pct(tr),
                        r.expected_deviations.unwrap_or(0)
                    ),
                    if r.met { "met" } else { "NOT MET" }.to_string(),
                ),
                _ => (
                    format!(
                        "{}{level}{}",
                        points(r.target),
                        if r.model.is_some() {
                            ", model-based"
                        } else {
                            ""
                        }
                    ),
                    match r.achieved {
                        Some(a) if r.met => points(a),
                        Some(a) => format!("{} NOT MET", points(a)),
                        None => "undefined".to_string(),
                    },
                ),
            }
        })
        .collect();
    let wt = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let wa = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = writeln!(
        t,
        "  {:<wn$}  {:<wt$}  {:<wa$}  alone it needs",
        "purpose", "target", "achieved"
    );
    let mut naive = (0u64, 0.0f64, 0.0f64);
    for (r, (target, achieved)) in p.purposes.iter().zip(&rows) {
        naive.0 += r.alone_total;
        naive.1 += r.alone_pages;
        naive.2 += r.alone_working_days;
        let _ = writeln!(
            t,
            "  {:<wn$}  {:<wt$}  {:<wa$}  {} records, {} pages",
            r.name,
            target,
            achieved,
            thousands(r.alone_total),
            thousands(r.alone_pages.round() as u64)
        );
        if !r.unreachable_groups.is_empty() {
            let _ = writeln!(
                t,
                "    not reachable even taking every record: {}",
                r.unreachable_groups.join(", ")
            );
        }
    }
    let _ = writeln!(
        t,
        "  separate requests would total {} records ({} pages, {:.1} working days); the joint request needs {} ({} pages, {:.1} working days)",
        thousands(naive.0),
        thousands(naive.1.round() as u64),
        naive.2,
        thousands(total),
        thousands(needed.pages.round() as u64),
        needed.working_days
    );
    for r in &p.purposes {
        if let Some(m) = &r.model {
            t.push_str(&model_lines(r, m, total, needed));
        }
    }
    t
}

/// A small-area purpose: its model, what direct precision per area would need instead and
/// the assumption.
fn model_lines(
    r: &urval_ops::artifacts::PurposeResult,
    m: &urval_ops::artifacts::ModelSizing,
    total: u64,
    needed: &urval_design::Burden,
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "  {}: every {} sized for its model-based estimate (urval indicators --small-area) to ±{} points at {}",
        r.name,
        r.level,
        pct2(r.target).trim_end_matches(" %"),
        pct(r.confidence)
    );
    let _ = writeln!(
        t,
        "    {} areas: {} missing from {} (given the common rate), {} held at {} records; σ²_u {:.5}",
        thousands(m.areas),
        thousands(m.synthetic_areas),
        m.table,
        thousands(m.areas_at_floor),
        m.min_per_area,
        m.sigma2,
    );
    let saved = m.direct_total.saturating_sub(total);
    let _ = writeln!(
        t,
        "    direct precision ±{} points per {} would need {} records ({} pages, {:.1} working days); this request needs {}: {} fewer ({:.1} %), {} pages and {:.1} working days less",
        pct2(r.target).trim_end_matches(" %"),
        r.level,
        thousands(m.direct_total),
        thousands(m.direct_pages.round() as u64),
        m.direct_working_days,
        thousands(total),
        thousands(saved),
        if m.direct_total > 0 { 100.0 * saved as f64 / m.direct_total as f64 } else { 0.0 },
        thousands((m.direct_pages - needed.pages).max(0.0).round() as u64),
        (m.direct_working_days - needed.working_days).max(0.0)
    );
    let _ = writeln!(t, "    assumes {}", m.assumption);
    let _ = writeln!(
        t,
        "    each area's direct estimate is still reported first; the model-based one complements it"
    );
    t
}

/// `urval plan --phase2`: size the re-review of a self-reviewed sample.
fn phase2(args: &PlanArgs) -> Result<Output> {
    use urval_ops::phase2::{plan_phase2, Phase2Request, Phase2Target};
    let Some(manifest) = &args.manifest else {
        anyhow::bail!("--phase2 needs --manifest: the phase-1 manifest");
    };
    let target = match (args.agreement_margin, args.tolerable_disagreement) {
        (Some(e), None) => Phase2Target::AgreementMargin(e),
        (None, Some(t)) => Phase2Target::TolerableDisagreement(t),
        _ => anyhow::bail!("--phase2 takes --agreement-margin E or --tolerable-disagreement T"),
    };
    let p = plan_phase2(&Phase2Request {
        manifest: manifest.clone(),
        target,
        expected_disagreement: args.expected_disagreement,
        confidence: args.confidence,
        per: args.per.clone(),
        spec: args.spec.clone(),
        extract: if args.extract.extract.is_empty() {
            None
        } else {
            Some(args.extract.resolve()?)
        },
        output: args.output.clone(),
    })?;
    let mut t = String::new();
    writeln!(t, "Phase-2 plan written to {}", args.output.display())?;
    writeln!(
        t,
        "  re-review {}{} of the {} self-reviewed records ({}{})",
        if p.questions.iter().any(|q| !q.outside.is_empty()) {
            "at least "
        } else {
            ""
        },
        thousands(p.total_n),
        thousands(p.phase1_total),
        match target {
            Phase2Target::AgreementMargin(e) => format!(
                "the disagreement rate to ±{} points at {}",
                pct(e).trim_end_matches(" %"),
                pct(args.confidence)
            ),
            Phase2Target::TolerableDisagreement(x) => format!(
                "a disagreement rate below {} shown at {}",
                pct(x),
                pct(args.confidence)
            ),
        },
        if p.questions.is_empty() {
            ""
        } else {
            ", per question where it applies"
        }
    )?;
    if let Some(c) = &p.per {
        writeln!(t, "  per {c}:")?;
        for g in &p.groups {
            writeln!(
                t,
                "    {:<24} {:>6} of {:>6}",
                g.values.get(c).cloned().unwrap_or_default(),
                thousands(g.n),
                thousands(g.phase1_n)
            )?;
        }
    }
    for q in &p.questions {
        writeln!(
            t,
            "  {}: {} of the {} records it applies to",
            q.name,
            thousands(q.groups.iter().map(|g| g.n).sum()),
            thousands(q.groups.iter().map(|g| g.phase1_n).sum())
        )?;
    }
    writeln!(
        t,
        "  draw it with a seed of your own, published once the self-review is back: urval draw --phase2 --plan {} --manifest {} --seed S -o phase2.csv",
        urval_ops::text::shell_quote(&args.output.display().to_string()),
        urval_ops::text::shell_quote(&manifest.display().to_string())
    )?;
    Ok(Output::ok(t))
}
