//! The plan: one pass over the extract for the population of every stratum (N_h, the
//! fingerprint of its keys, the mean pages per record), the exact duplicate-key check, then
//! the design math (`urval_design::allocate`), written as plan.json ([`PlanFile`]).

use crate::artifacts::{
    extract_fingerprint, AttributeStages, Design, ExpectedRecords, ExtractInfo, FileInfo,
    PlanBurden, PlanFile, PlanStratum, StageRule, Stages, PLAN_VERSION,
};
use crate::burden::{split_request, stratum_burden, sum_burden};
pub use crate::census::{
    census, census_within, check_duplicates, CensusResult, CensusStratum, DUPLICATE_MEMORY_HASHES,
};
use crate::error::{Context, Result};
use crate::files::hex128;
pub use crate::fingerprint::MIN_FINGERPRINT_N;
use crate::plan_error::PlanError;
use crate::setting;
use serde::Deserialize;
use std::path::PathBuf;
use urval_design::{
    allocate, burden, burden_with_pages, compare_request, Allocation, AllocationMethod,
    AllocationSpec, AllocationTarget, Binding, BurdenRates, StratumSpec,
};
use urval_ingest::{Extract, Filter, ScanSpec};

/// What to plan: how the extract is read, the design and where plan.json goes. A
/// pipeline's `plan` step is read into it (serde, the forms of [`crate::setting`]): its keys
/// are the fields read; the key, the burden rates, the stages and the purposes are the
/// step's other keys ([`Staging`] for the stages), the rest comes from its extract settings
/// and output.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanRequest {
    /// The record key column.
    #[serde(skip)]
    pub key: String,
    /// The strata columns (at least one).
    #[serde(deserialize_with = "setting::names")]
    pub strata: Vec<String>,
    /// The population filter (`--where`).
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// Data rules (`--check`): a row where one is FALSE is quarantined.
    #[serde(rename = "check", default, deserialize_with = "setting::exprs")]
    pub checks: Vec<String>,
    /// The margin of error E (per stratum with the domain allocation); or give `total`.
    #[serde(default, deserialize_with = "setting::margin")]
    pub margin: Option<f64>,
    /// The total sample size; or give `margin`.
    pub total: Option<u64>,
    /// The confidence level.
    #[serde(
        default = "setting::default::confidence",
        deserialize_with = "setting::confidence"
    )]
    pub confidence: f64,
    /// The allocation over strata.
    #[serde(
        default = "setting::default::allocation",
        deserialize_with = "setting::allocation"
    )]
    pub allocation: AllocationMethod,
    /// Minimum records per stratum.
    pub min: Option<u64>,
    /// Maximum records per stratum.
    pub max: Option<u64>,
    /// The anticipated proportion P.
    #[serde(
        default = "setting::default::proportion",
        deserialize_with = "setting::proportion"
    )]
    pub proportion: f64,
    /// A numeric column with each record's pages.
    pub pages_column: Option<String>,
    /// A proposed request of this many records, to compare with.
    pub requested: Option<u64>,
    /// Columns whose values never appear in messages or quarantine files.
    #[serde(skip)]
    pub personal: Vec<String>,
    /// Go on although some keys occur more than once.
    #[serde(default)]
    pub allow_duplicate_keys: bool,
    /// The burden rates.
    #[serde(skip)]
    pub rates: BurdenRates,
    /// The most rows that may be quarantined, as a share of the rows read.
    #[serde(skip)]
    pub max_quarantine: f64,
    /// Where plan.json goes (the quarantine file beside it).
    #[serde(skip)]
    pub output: PathBuf,
    /// The creation time recorded in the plan (RFC 3339).
    #[serde(skip)]
    pub created: String,
    /// A staged plan (`--stages 2`) of a share: how stage 1 is sized.
    #[serde(skip)]
    pub stages: Option<FirstStage>,
    /// An attribute plan (`--tolerable-rate`) in two stages instead of a margin or total.
    #[serde(skip)]
    pub attribute: Option<AttributeTarget>,
    /// The duplicate check's memory budget in hashes ([`DUPLICATE_MEMORY_HASHES`]).
    #[serde(skip, default = "duplicate_memory")]
    pub duplicate_memory: u64,
    /// Several purposes (`--purposes`): the plan meets every one at the least cost, instead
    /// of a margin, total or tolerable rate.
    #[serde(skip)]
    pub purposes: Option<crate::purposes::PurposesRequest>,
}

fn duplicate_memory() -> u64 {
    DUPLICATE_MEMORY_HASHES
}

/// The staging flags as given (`--stages`, `--first-fraction`, `--first-margin`,
/// `--tolerable-rate`, `--expected-rate`, `--max-first`; the same keys in a pipeline step,
/// read into it by serde).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct Staging {
    /// 1 or 2.
    pub stages: Option<u32>,
    /// F.
    #[serde(default, deserialize_with = "setting::first_fraction")]
    pub first_fraction: Option<f64>,
    /// E₁.
    #[serde(default, deserialize_with = "setting::first_margin")]
    pub first_margin: Option<f64>,
    /// T.
    #[serde(default, deserialize_with = "setting::tolerable_rate")]
    pub tolerable_rate: Option<f64>,
    /// R.
    #[serde(default, deserialize_with = "setting::expected_rate")]
    pub expected_rate: Option<f64>,
    /// The largest first stage.
    pub max_first: Option<u64>,
}

/// The staging flags checked: a share plan's first stage (`--stages 2`, a fraction of 0.5
/// unless `--first-fraction` or `--first-margin` says otherwise), or an attribute plan.
///
/// # Errors
/// Flags that belong to a staged plan without `--stages 2`, or a first stage given to an
/// attribute plan (which sizes both stages itself).
pub fn staging(s: &Staging) -> Result<(Option<FirstStage>, Option<AttributeTarget>)> {
    let staged = match s.stages {
        None | Some(1) => false,
        Some(2) => true,
        Some(k) => return Err(PlanError::BadStages { stages: k }.into()),
    };
    let first_given = s.first_fraction.is_some() || s.first_margin.is_some();
    if !staged && first_given {
        return Err(PlanError::FirstStageWithoutStages.into());
    }
    if !staged && (s.tolerable_rate.is_some() || s.expected_rate.is_some() || s.max_first.is_some())
    {
        return Err(PlanError::TolerableRateWithoutStages.into());
    }
    if s.tolerable_rate.is_none() && (s.expected_rate.is_some() || s.max_first.is_some()) {
        return Err(PlanError::AttributeOptionsWithoutTolerableRate.into());
    }
    if s.first_fraction.is_some() && s.first_margin.is_some() {
        return Err(PlanError::FirstFractionAndMargin.into());
    }
    if !staged {
        return Ok((None, None));
    }
    if let Some(t) = s.tolerable_rate {
        if first_given {
            return Err(PlanError::FirstStageOfAttribute { named_flag: true }.into());
        }
        return Ok((
            None,
            Some(AttributeTarget {
                tolerable_rate: t,
                expected_rate: s.expected_rate.unwrap_or(0.0),
                max_first: s.max_first,
            }),
        ));
    }
    Ok((
        Some(match s.first_margin {
            Some(e1) => FirstStage::Margin(e1),
            None => FirstStage::Fraction(s.first_fraction.unwrap_or(0.5)),
        }),
        None,
    ))
}

/// How the first stage of a staged share plan is sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FirstStage {
    /// ⌈F·n_h⌉ of each stratum's n_h (0 < F < 1).
    Fraction(f64),
    /// The allocation (same method and bounds) for a looser margin E₁, capped at n_h.
    Margin(f64),
}

/// A two-stage attribute plan over the whole population: `urval_design::two_stage_plan`
/// with N = Σ N_h, its stage totals spread over the strata in proportion to N_h.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributeTarget {
    /// T.
    pub tolerable_rate: f64,
    /// R.
    pub expected_rate: f64,
    /// The largest first stage allowed.
    pub max_first: Option<u64>,
}

/// Burden rates, checked: pages and minutes per record non-negative, hours per day in
/// (0, 24].
///
/// # Errors
/// A rate out of range, named by its flag.
pub fn burden_rates(
    pages_per_record: f64,
    minutes_per_record: f64,
    hours_per_day: f64,
) -> Result<BurdenRates> {
    for (name, v) in [
        ("--pages-per-record", pages_per_record),
        ("--minutes-per-record", minutes_per_record),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(PlanError::NegativeRate { flag: name, got: v }.into());
        }
    }
    if !(hours_per_day.is_finite() && hours_per_day > 0.0 && hours_per_day <= 24.0) {
        return Err(PlanError::BadHoursPerDay { got: hours_per_day }.into());
    }
    Ok(BurdenRates {
        pages_per_record,
        minutes_per_record,
        hours_per_day,
    })
}

/// A written plan.
#[derive(Debug)]
pub struct Planned {
    /// plan.json as written.
    pub plan: PlanFile,
    /// The allocation behind it (margins, adjustments, binding constraints).
    pub allocation: Allocation,
    /// The quarantine file, when rows were quarantined.
    pub quarantine_file: Option<PathBuf>,
}

/// The joint allocation of several purposes in the form the rest of the plan reads: n_h,
/// π_h, and the bounds that hold (min, or the whole stratum / the maximum).
fn joint_as_allocation(
    specs: &[StratumSpec],
    j: &urval_design::JointAllocation,
    req: &PlanRequest,
    min: u64,
) -> Allocation {
    use urval_design::{JointBinding, StratumAllocation};
    let strata: Vec<StratumAllocation> = specs
        .iter()
        .enumerate()
        .map(|(h, s)| {
            let n = j.counts[h];
            let hi = req.max.unwrap_or(s.population).min(s.population);
            let binding = match j.binding[h] {
                Some(JointBinding::Max) if n == hi => {
                    Some(if req.max.is_some_and(|m| m < s.population) {
                        Binding::Max
                    } else {
                        Binding::Population
                    })
                }
                Some(JointBinding::Min) if n == min.min(s.population) => Some(Binding::Min),
                _ => None,
            };
            StratumAllocation {
                stratum: s.name.clone(),
                population: s.population,
                proportion: s.proportion,
                n,
                share: j.continuous.get(h).copied().unwrap_or(n as f64),
                binding,
                inclusion_probability: n as f64 / s.population as f64,
                margin: None,
            }
        })
        .collect();
    let total: u64 = j.counts.iter().sum();
    Allocation {
        strata,
        total,
        total_population: specs.iter().map(|s| s.population).sum(),
        target_total: total,
        target_total_exact: None,
        total_adjustment: None,
        method: req.allocation,
        confidence: req.confidence,
        z: urval_design::z_two_sided(req.confidence),
        margin: None,
        margin_met: Some(j.met.iter().all(|&m| m)),
        margin_one_less: None,
        min_used: min,
        fell_back_to_proportional: false,
    }
}

/// The two-stage attribute plan for the whole population (hypergeometric with N).
///
/// # Errors
/// Flags that do not belong to an attribute plan, or a plan the math refuses.
fn attribute_plan(
    a: &AttributeTarget,
    req: &PlanRequest,
    population: u64,
) -> Result<urval_design::StagedPlan> {
    if req.allocation != AllocationMethod::Proportional || req.min.is_some() || req.max.is_some() {
        return Err(PlanError::AttributeAllocation.into());
    }
    if req.stages.is_some() {
        return Err(PlanError::FirstStageOfAttribute { named_flag: false }.into());
    }
    Ok(urval_design::two_stage_plan(&staged_spec(
        a, req, population,
    ))?)
}

fn staged_spec(
    a: &AttributeTarget,
    req: &PlanRequest,
    population: u64,
) -> urval_design::StagedSpec {
    urval_design::StagedSpec {
        tolerable_rate: a.tolerable_rate,
        confidence: req.confidence,
        population: Some(population),
        expected_rate: a.expected_rate,
        max_first: a.max_first,
    }
}

/// The risk of the plan as drawn: per stratum n1_h then n_h − n1_h records, the ⌈T·N⌉
/// deviating records spread over the strata in the way that accepts most often
/// ([`urval_design::stratified_risk`]: every spread when they are few, else a search proven
/// by branch and bound, or a proven upper bound).
fn stratified_risk_of(
    plan: &urval_design::TwoStage,
    staged: &urval_design::StagedSpec,
    alloc: &Allocation,
    n_stage1: &[u64],
) -> urval_design::StratifiedRisk {
    let pops: Vec<u64> = alloc.strata.iter().map(|s| s.population).collect();
    let big: u64 = pops.iter().sum();
    let d = urval_design::ceil_count(staged.tolerable_rate * big as f64).min(big);
    let second: Vec<u64> = alloc
        .strata
        .iter()
        .zip(n_stage1)
        .map(|(s, &n1)| s.n - n1)
        .collect();
    urval_design::stratified_risk(plan, &pops, d, n_stage1, &second, 1.0 - staged.confidence)
}

/// The name plan.json records for how the stratified risk was found.
fn spread_method_name(m: urval_design::SpreadMethod) -> &'static str {
    match m {
        urval_design::SpreadMethod::EverySpread => "every_spread",
        urval_design::SpreadMethod::NoneFound => "none_found",
        urval_design::SpreadMethod::BranchAndBound => "branch_and_bound",
        urval_design::SpreadMethod::UpperBound => "upper_bound",
        urval_design::SpreadMethod::SpreadAboveRisk => "spread_above_risk",
        urval_design::SpreadMethod::LocalSearch => "local_search",
    }
}

/// Stage 1 of an attribute plan: n₁ apportioned over the strata in proportion to N_h
/// (largest remainders, [`urval_design::apportion`]) within 0 ≤ n1_h ≤ n_h.
fn attribute_first_stage(alloc: &Allocation, a: &urval_design::StagedPlan) -> Vec<u64> {
    let pops: Vec<u64> = alloc.strata.iter().map(|s| s.population).collect();
    let weights: Vec<f64> = pops.iter().map(|&p| p as f64).collect();
    let hi: Vec<u64> = alloc.strata.iter().map(|s| s.n).collect();
    let lo = vec![0u64; hi.len()];
    urval_design::apportion(a.plan.n1, &weights, &pops, &lo, &hi)
}

/// An attribute plan fitted to the strata: its allocation spec, the allocation, stage 1
/// per stratum, the plan and its stratified risk.
type AttributeFit = (
    AllocationSpec,
    Allocation,
    Vec<u64>,
    urval_design::StagedPlan,
    urval_design::StratifiedRisk,
);

/// An attribute plan drawn stratified: its n₁ + n₂ records allocated over the strata
/// (`spec`'s method and bounds), stage 1 by [`attribute_first_stage`], with the fewest
/// records added ([`urval_design::with_more`]) at which the stratified risk at its worst
/// spread ([`stratified_risk_of`]) is proven within 1 − C (a local search's value, a lower
/// bound, is not proof), or the whole population. Returns the
/// allocation, stage 1 per stratum, the plan and its stratified risk.
///
/// The fewest is found by doubling the records added until the risk is within 1 − C, then
/// halving the gap between the last total that fails and the first that holds: a handful
/// of risks rather than one per record (over 290 strata a plan may need hundreds more
/// records than the population taken as one). This finds the smallest total because the
/// risk never rises as records are added: the allocation is house-monotone (one more record
/// never takes one from another stratum), so every n_h grows or stays, and for every
/// spread of the deviating records more records drawn at the same acceptance numbers
/// accept less often. (Stage 1's apportionment within each n_h may move one record of
/// stage 1 between strata as the caps n_h rise; a test compares the search with adding one
/// record at a time on random designs.)
///
/// # Errors
/// An allocation the math refuses.
fn fit_attribute(
    spec: &AllocationSpec,
    staged: &urval_design::StagedSpec,
    a: urval_design::StagedPlan,
    population: u64,
) -> Result<AttributeFit> {
    let fit = |more: u64| -> Result<AttributeFit> {
        let a = urval_design::with_more(staged, &a, more);
        let spec = AllocationSpec {
            target: AllocationTarget::Total(a.plan.n1 + a.plan.n2),
            ..spec.clone()
        };
        let alloc = allocate(&spec)?;
        let n_stage1 = attribute_first_stage(&alloc, &a);
        let risk = stratified_risk_of(&a.plan, staged, &alloc, &n_stage1);
        Ok((spec, alloc, n_stage1, a, risk))
    };
    // A risk within 1 − C holds only when it is proven: the local search's value is a
    // lower bound on the worst spread (over 290 strata it once gave 0.00000 where the
    // worst spread accepts more than 5 %).
    let holds = |f: &AttributeFit| {
        (urval_design::dist::within_risk(f.4.risk, 1.0 - staged.confidence)
            && f.4.method != urval_design::SpreadMethod::LocalSearch)
            || f.3.plan.n1 + f.3.plan.n2 >= population
    };
    let first = fit(0)?;
    if holds(&first) {
        return Ok(first);
    }
    let room = population.saturating_sub(a.plan.n1 + a.plan.n2).max(1);
    // Doubling: `fails` records added fail, `found` (with its fit) holds.
    let (mut fails, mut step) = (0u64, 1u64);
    let (mut found, mut best) = loop {
        let more = (fails + step).min(room);
        let f = fit(more)?;
        if holds(&f) {
            break (more, f);
        }
        fails = more;
        step = step.saturating_mul(2);
    };
    // Halving.
    while found - fails > 1 {
        let mid = fails + (found - fails) / 2;
        let f = fit(mid)?;
        if holds(&f) {
            (found, best) = (mid, f);
        } else {
            fails = mid;
        }
    }
    Ok(best)
}

/// Stage 1 per stratum (empty for a single-stage plan), never above n_h.
///
/// - `fraction` F: ⌈F·n_h⌉ (so a stratum with records has one in stage 1);
/// - `margin` E₁: the allocation with the same method and bounds for E₁, capped at n_h;
/// - attribute: n₁ apportioned over the strata in proportion to N_h (largest remainders,
///   [`urval_design::apportion`]) within 0 ≤ n1_h ≤ n_h.
///
/// # Errors
/// A fraction outside (0, 1), a first margin not looser than the plan's, or an allocation
/// the math refuses.
fn first_stage(
    req: &PlanRequest,
    spec: &AllocationSpec,
    alloc: &Allocation,
    attribute: Option<&urval_design::StagedPlan>,
) -> Result<Vec<u64>> {
    if let Some(a) = attribute {
        return Ok(attribute_first_stage(alloc, a));
    }
    match req.stages {
        None => Ok(Vec::new()),
        Some(FirstStage::Fraction(f)) => {
            if !(f > 0.0 && f < 1.0) {
                return Err(PlanError::BadFirstFraction { got: f }.into());
            }
            Ok(alloc
                .strata
                .iter()
                .map(|s| urval_design::ceil_count(f * s.n as f64).min(s.n))
                .collect())
        }
        Some(FirstStage::Margin(e1)) => {
            if let Some(e) = req.margin {
                if e1 <= e || e1.is_nan() {
                    return Err(PlanError::FirstMarginNotLooser {
                        first: e1,
                        margin: e,
                    }
                    .into());
                }
            }
            let mut looser = spec.clone();
            looser.target = AllocationTarget::Margin(e1);
            let first = allocate(&looser)?;
            Ok(first
                .strata
                .iter()
                .zip(&alloc.strata)
                .map(|(f, s)| f.n.min(s.n))
                .collect())
        }
    }
}

/// The `design.stages` of plan.json: the first stage's totals, margin and burden, and for an
/// attribute plan its rules, risk and expected burden.
fn stages_info(
    req: &PlanRequest,
    plan: &PlanFile,
    spec: &AllocationSpec,
    alloc: &Allocation,
    n_stage1: &[u64],
    attribute: Option<(&urval_design::StagedPlan, urval_design::StratifiedRisk)>,
) -> Stages {
    let rates = &req.rates;
    let part = |counts: &mut dyn Iterator<Item = u64>| {
        sum_burden(
            plan.strata.iter().zip(counts).map(|(s, n)| {
                let b = stratum_burden(n, s.mean_pages, rates);
                (n, b.pages, b.working_days)
            }),
            rates,
        )
    };
    let burden_stage1 = part(&mut n_stage1.iter().copied());
    let burden_stage2 = part(&mut plan.strata.iter().zip(n_stage1).map(|(s, &n1)| s.n - n1));
    let attribute = attribute.map(|(a, stratified_risk)| {
        let [zero, expected, tolerable] = a.expected_records;
        let cont = if a.plan.n2 > 0 {
            ((expected - a.plan.n1 as f64) / a.plan.n2 as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let populations: Vec<u64> = plan.strata.iter().map(|s| s.population).collect();
        let single = split_request(a.single.n, &populations);
        let mut stages = vec![StageRule {
            n: a.plan.n1,
            accept: a.plan.accept1,
            reject: Some(a.plan.reject1),
        }];
        if a.plan.n2 > 0 {
            stages.push(StageRule {
                n: a.plan.n2,
                accept: a.plan.accept2,
                reject: None,
            });
        }
        AttributeStages {
            tolerable_rate: req.attribute.map_or(0.0, |t| t.tolerable_rate),
            expected_rate: req.attribute.map_or(0.0, |t| t.expected_rate),
            stages,
            risk: a.risk,
            risk_stratified: stratified_risk.risk,
            risk_stratified_method: Some(spread_method_name(stratified_risk.method).to_string()),
            expected_records: ExpectedRecords {
                zero,
                expected,
                tolerable,
            },
            continue_at_expected: cont,
            expected_burden: urval_design::Burden {
                records: burden_stage1.records,
                pages: burden_stage1.pages + cont * burden_stage2.pages,
                working_days: burden_stage1.working_days + cont * burden_stage2.working_days,
            },
            single_stage_n: a.single.n,
            single_stage_allowed_deviations: a.single.allowed_deviations,
            single_stage_burden: part(&mut single.into_iter()),
        }
    });
    Stages {
        count: 2,
        first_stage: match (attribute.is_some(), req.stages) {
            (true, _) => "attribute",
            (false, Some(FirstStage::Margin(_))) => "margin",
            _ => "fraction",
        }
        .to_string(),
        first_fraction: match req.stages {
            Some(FirstStage::Fraction(f)) => Some(f),
            _ => None,
        },
        first_margin: match req.stages {
            Some(FirstStage::Margin(e)) => Some(e),
            _ => None,
        },
        n_stage1: n_stage1.iter().sum(),
        n_stage2: alloc.total - n_stage1.iter().sum::<u64>(),
        margin_stage1: urval_design::stratified_margin(&spec.strata, n_stage1, alloc.z),
        stratum_margin_stage1: (alloc.method == AllocationMethod::Domain).then(|| {
            plan.strata
                .iter()
                .zip(n_stage1)
                .filter(|(s, _)| s.n > 0)
                .map(|(s, &n1)| {
                    urval_design::share_margin(
                        n1,
                        req.confidence,
                        req.proportion,
                        1.0,
                        Some(s.population),
                    )
                })
                .fold(0.0, f64::max)
        }),
        burden_stage1,
        burden_stage2,
        attribute,
    }
}

/// Refuse a strata column whose values are mostly personnummer or samordningsnummer: a
/// stratum per person is no design, and plan.json (which is shared) would list the numbers
/// as stratum values.
fn refuse_personal_strata<'a>(
    columns: &[String],
    strata: impl Iterator<Item = &'a Vec<String>> + Clone,
) -> Result<()> {
    for (j, c) in columns.iter().enumerate() {
        let (mut n, mut pnr) = (0usize, 0usize);
        for values in strata.clone() {
            n += 1;
            if values
                .get(j)
                .is_some_and(|v| urval_ingest::personal::contains_personnummer(v))
            {
                pnr += 1;
            }
        }
        if n >= 2 && 2 * pnr > n {
            return Err(PlanError::PersonalStrata {
                column: c.clone(),
                personal: pnr as u64,
                values: n as u64,
            }
            .into());
        }
        if pnr > 0 {
            return Err(PlanError::SomePersonalStrata {
                column: c.clone(),
                personal: pnr as u64,
                values: n as u64,
            }
            .into());
        }
    }
    Ok(())
}

/// Refuse a population filter or data rule that names a personnummer: plan.json keeps
/// them as written (the draw applies them again), and is shared.
fn refuse_personal_expressions(req: &PlanRequest) -> Result<()> {
    for (flag, text) in req
        .where_
        .iter()
        .map(|w| ("--where", w))
        .chain(req.checks.iter().map(|c| ("--check", c)))
    {
        if urval_ingest::personal::contains_personnummer(text) {
            return Err(PlanError::PersonalExpression { flag }.into());
        }
    }
    Ok(())
}

/// What the census reads: the key, the strata, the pages column, the filter, the data
/// rules, and for several purposes the columns of their populations and groups (with the
/// purposes' domains).
fn census_spec(req: &PlanRequest) -> Result<(ScanSpec, Vec<crate::purposes::DomainSpec>)> {
    let mut spec = ScanSpec::new(&req.key, &req.strata);
    if let Some(p) = &req.pages_column {
        spec.extra.push(p.clone());
        spec.nonnegative.push(p.clone());
    }
    if let Some(w) = &req.where_ {
        spec.filter = Some(Filter::parse(w)?);
    }
    let domain_specs = match &req.purposes {
        Some(p) => {
            if req.margin.is_some()
                || req.total.is_some()
                || req.attribute.is_some()
                || req.stages.is_some()
            {
                return Err(PlanError::PurposesSizeThemselves.into());
            }
            crate::purposes::domain_specs(&p.purposes)
        }
        None => Vec::new(),
    };
    for d in &domain_specs {
        let cols = d
            .filter
            .iter()
            .flat_map(|f| f.columns().iter())
            .chain(&d.group);
        for c in cols {
            if !spec.extra.contains(c) {
                spec.extra.push(c.clone());
            }
        }
    }
    spec.checks = crate::files::parse_checks(&req.checks)?;
    spec.personal = req.personal.clone();
    Ok((spec, domain_specs))
}

/// The census of the population checked: no repeated keys (unless allowed), a quarantine
/// within the threshold, some usable rows, strata that are no personnummer, and a request
/// no larger than the population.
fn check_census(
    extract: &Extract,
    req: &PlanRequest,
    spec: &ScanSpec,
    result: &CensusResult,
) -> Result<()> {
    check_duplicates(
        &result.duplicates,
        req.allow_duplicate_keys,
        req.personal.contains(&req.key),
    )?;
    let totals = result.scan.totals();
    crate::files::check_quarantine(
        req.max_quarantine,
        &req.output,
        extract,
        totals.rows_read,
        totals.rows_quarantined,
        &result.scan.quarantine,
    )?;
    if result.strata.is_empty() {
        if let (Some(f), 0, true) = (&spec.filter, totals.rows_used, totals.rows_excluded > 0) {
            return Err(crate::files::nothing_kept(extract, f, &totals).into());
        }
        return Err(PlanError::NoUsableRows {
            rows_read: totals.rows_read,
        }
        .into());
    }
    refuse_personal_strata(&req.strata, result.strata.keys())?;
    let population: u64 = result.strata.values().map(|s| s.population).sum();
    if let Some(r) = req.requested.filter(|&r| r > population) {
        return Err(PlanError::RequestedOverPopulation {
            requested: r,
            population,
        }
        .into());
    }
    Ok(())
}

/// The design's answer: the allocation (with its spec), stage 1 per stratum, and for an
/// attribute plan its two stages and stratified risk, for several purposes their sizing.
struct Sizing {
    spec: AllocationSpec,
    alloc: Allocation,
    n_stage1: Vec<u64>,
    attribute: Option<urval_design::StagedPlan>,
    stratified_risk: Option<urval_design::StratifiedRisk>,
    sized: Option<crate::purposes::Sized>,
}

/// Size and allocate the plan: for several purposes at once, as an attribute plan in two
/// stages, or for a margin or a total (with a first stage when staged).
fn sizing(
    extract: &Extract,
    req: &PlanRequest,
    result: &CensusResult,
    specs: Vec<StratumSpec>,
) -> Result<Sizing> {
    let population: u64 = result.strata.values().map(|s| s.population).sum();
    let attribute = match &req.attribute {
        Some(a) => Some(attribute_plan(a, req, population)?),
        None => None,
    };
    if let Some(pr) = &req.purposes {
        return size_purposes(extract, req, pr, result, specs);
    }
    let spec = |target| AllocationSpec {
        strata: specs.clone(),
        target,
        method: req.allocation,
        confidence: req.confidence,
        min: req.min,
        max: req.max,
    };
    // An attribute plan's risk is computed for the whole population; drawn stratified it is
    // checked again exactly with the deviations spread over the strata in proportion to N_h,
    // and a record added while it is above 1 − C.
    if let (Some(a), Some(t)) = (&attribute, &req.attribute) {
        if req.margin.is_some() || req.total.is_some() {
            return Err(PlanError::OneTarget.into());
        }
        let (spec, alloc, n_stage1, a, risk) = fit_attribute(
            &spec(AllocationTarget::Total(a.plan.n1 + a.plan.n2)),
            &staged_spec(t, req, population),
            a.clone(),
            population,
        )?;
        return Ok(Sizing {
            spec,
            alloc,
            n_stage1,
            attribute: Some(a),
            stratified_risk: Some(risk),
            sized: None,
        });
    }
    let target = match (req.margin, req.total, &attribute) {
        (Some(e), None, None) => AllocationTarget::Margin(e),
        (None, Some(n), None) => AllocationTarget::Total(n),
        _ => return Err(PlanError::OneTarget.into()),
    };
    let spec = spec(target);
    let alloc = allocate(&spec)?;
    let n_stage1 = first_stage(req, &spec, &alloc, attribute.as_ref())?;
    Ok(Sizing {
        spec,
        alloc,
        n_stage1,
        attribute,
        stratified_risk: None,
        sized: None,
    })
}

/// A plan for several purposes at once ([`crate::purposes::size`]): every purpose needs
/// records in its population.
fn size_purposes(
    extract: &Extract,
    req: &PlanRequest,
    pr: &crate::purposes::PurposesRequest,
    result: &CensusResult,
    specs: Vec<StratumSpec>,
) -> Result<Sizing> {
    let sizing: Vec<crate::purposes::SizingStratum> = result
        .strata
        .iter()
        .map(|(values, cs)| crate::purposes::SizingStratum {
            values: values.clone(),
            population: cs.population,
            mean_pages: (cs.pages.1 > 0).then(|| cs.pages.0 / cs.pages.1 as f64),
        })
        .collect();
    for (k, p) in pr.purposes.list.iter().enumerate() {
        if result.domains[k].values().sum::<u64>() == 0 {
            let hint = p
                .population
                .as_ref()
                .and_then(|f| crate::files::missing_value_hint(extract, f))
                .unwrap_or_else(|| "check the expression and its values".to_string());
            return Err(PlanError::EmptyPurposePopulation {
                purpose: p.def.name.clone(),
                population: Some(
                    p.def
                        .population
                        .as_deref()
                        .unwrap_or("every record")
                        .to_string(),
                ),
                hint,
            }
            .into());
        }
    }
    let min = urval_design::min_used(req.min, req.max, true);
    let s = crate::purposes::size(
        pr,
        &req.strata,
        &sizing,
        &result.domains,
        min,
        req.max,
        &req.rates,
    )?;
    let alloc = joint_as_allocation(&specs, &s.joint, req, min);
    let spec = AllocationSpec {
        strata: specs,
        target: AllocationTarget::Total(alloc.total.max(1)),
        method: req.allocation,
        confidence: req.confidence,
        min: Some(min),
        max: req.max,
    };
    Ok(Sizing {
        spec,
        alloc,
        n_stage1: Vec::new(),
        attribute: None,
        stratified_risk: None,
        sized: Some(s),
    })
}

/// plan.json's strata: each stratum's population, records, stage 1, binding bound, purposes,
/// weight, burden and fingerprint; with each stratum's fingerprint for the extract's.
fn plan_strata(
    req: &PlanRequest,
    result: &CensusResult,
    sizing: &Sizing,
) -> (Vec<PlanStratum>, Vec<(Vec<String>, u128)>) {
    let (alloc, sized) = (&sizing.alloc, sizing.sized.as_ref());
    let mut strata = Vec::with_capacity(alloc.strata.len());
    let mut fps = Vec::with_capacity(alloc.strata.len());
    for (h, (((values, cs), a), n1)) in result
        .strata
        .iter()
        .zip(&alloc.strata)
        .zip(
            sizing
                .n_stage1
                .iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .enumerate()
    {
        let mean_pages = (cs.pages.1 > 0).then(|| cs.pages.0 / cs.pages.1 as f64);
        let b = match mean_pages {
            Some(mp) => burden_with_pages(a.n, mp, &req.rates),
            None => burden(a.n, &req.rates),
        };
        // A small stratum's fingerprint would give its keys away, and so would one whose
        // keys the manifest lists all but a few of (below).
        let fp = (cs.population >= MIN_FINGERPRINT_N
            && cs.population.saturating_sub(a.n) >= MIN_FINGERPRINT_N)
            .then(|| crate::fingerprint::commit(PLAN_VERSION, cs.fingerprint));
        fps.push((values.clone(), fp.unwrap_or(0)));
        strata.push(PlanStratum {
            values: req
                .strata
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect(),
            population: a.population,
            n: a.n,
            n_stage1: n1.copied(),
            binding: a.binding.map(|b| match b {
                Binding::Min => "min".to_string(),
                Binding::Max => "max".to_string(),
                Binding::Population => "population".to_string(),
            }),
            binding_purpose: sized.and_then(|s| s.binding_purpose[h].clone()),
            binding_purposes: sized.map(|s| s.binding_purposes[h].clone()),
            purpose_margins: sized.map(|s| s.purpose_margins[h].clone()),
            inclusion_probability: a.inclusion_probability,
            weight: (a.n > 0).then(|| a.population as f64 / a.n as f64),
            margin: a.margin,
            mean_pages,
            pages: b.pages,
            working_days: b.working_days,
            fingerprint: fp.map(hex128).unwrap_or_default(),
        });
    }
    (strata, fps)
}

/// The need and the request: sums over the strata, each stratum at its own mean pages (or
/// the rate) — the one computation the report repeats, so both give the same figures.
fn plan_burden(req: &PlanRequest, strata: &[PlanStratum], total: u64) -> PlanBurden {
    let rates = req.rates;
    let needed = sum_burden(
        strata.iter().map(|s| (s.n, s.pages, s.working_days)),
        &rates,
    );
    let requested_burden = req.requested.map(|r| {
        let populations: Vec<u64> = strata.iter().map(|s| s.population).collect();
        let split = split_request(r, &populations);
        sum_burden(
            strata.iter().zip(&split).map(|(s, &n)| {
                let b = stratum_burden(n, s.mean_pages, &rates);
                (n, b.pages, b.working_days)
            }),
            &rates,
        )
    });
    PlanBurden {
        rates,
        needed,
        requested: req.requested.zip(requested_burden).map(|(r, q)| {
            let mut cmp = compare_request(r, total, &rates);
            cmp.requested_burden = q;
            cmp.needed_burden = needed;
            cmp.surplus_pages = q.pages - needed.pages;
            cmp.surplus_working_days = q.working_days - needed.working_days;
            cmp
        }),
    }
}

/// plan.json's `extract`: each file with its rows as counted, and the fingerprint.
fn extract_info(
    extract: &Extract,
    result: &CensusResult,
    fps: &[(Vec<String>, u128)],
) -> ExtractInfo {
    ExtractInfo {
        files: extract
            .files
            .iter()
            .zip(&result.scan.files)
            .map(|(f, c)| FileInfo {
                path: f.path.display().to_string(),
                format: f.format.name().to_string(),
                bytes: f.size,
                rows_read: c.rows_read,
                rows_used: c.rows_used,
                rows_excluded: c.rows_excluded,
                rows_quarantined: c.rows_quarantined,
                encoding: f.encoding().map(|e| e.name().to_string()),
            })
            .collect(),
        total_bytes: extract.total_size(),
        fingerprint: extract_fingerprint(fps),
        fingerprint_method: crate::fingerprint::METHOD.to_string(),
    }
}

/// plan.json's `design` (its stages come after).
fn design(req: &PlanRequest, alloc: &Allocation, sized: Option<crate::purposes::Sized>) -> Design {
    Design {
        margin: req.margin,
        total: req.total,
        confidence: req.confidence,
        z: alloc.z,
        allocation: if sized.is_some() {
            "purposes".to_string()
        } else {
            alloc.method.name().to_string()
        },
        min: Some(alloc.min_used),
        max: req.max,
        proportion: req.proportion,
        target_total: alloc.target_total,
        margin_achieved: alloc.margin,
        total_adjustment: alloc.total_adjustment.map(|a| serde_json::json!(a)),
        stages: None,
        purposes: sized.map(|s| s.plan),
    }
}

/// Count, size, allocate and write plan.json (and the quarantine file beside it).
///
/// # Errors
/// Unreadable extract, duplicate keys (unless allowed), a quarantine above the threshold, no
/// usable rows, a design the math refuses, or plan.json cannot be written.
pub fn plan(
    extract: &Extract,
    req: &PlanRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Planned> {
    let (spec, domain_specs) = prepared(req)?;
    refuse_overwriting(req, extract)?;
    let result = census_within(
        extract,
        &spec,
        req.pages_column.as_deref(),
        &domain_specs,
        req.duplicate_memory,
        progress,
    )?;
    plan_of_census(extract, req, &spec, result)
}

/// The request checked before anything is read (strata given, no personnummer in its
/// expressions), and what its census reads ([`census_spec`]).
pub(crate) fn prepared(req: &PlanRequest) -> Result<(ScanSpec, Vec<crate::purposes::DomainSpec>)> {
    if req.strata.is_empty() {
        return Err(PlanError::NoStrata.into());
    }
    refuse_personal_expressions(req)?;
    census_spec(req)
}

/// Refuse a plan.json or quarantine file that would overwrite a file of the extract.
pub(crate) fn refuse_overwriting(req: &PlanRequest, extract: &Extract) -> Result<()> {
    crate::files::refuse_overwriting_inputs(
        &[
            req.output.clone(),
            crate::files::quarantine_path(&req.output),
        ],
        extract,
        &[],
    )
}

/// The plan of a census of the extract (read in one scan, or merged from the parts of its
/// pieces): the census checked ([`check_census`]), then sized, allocated and written.
pub(crate) fn plan_of_census(
    extract: &Extract,
    req: &PlanRequest,
    spec: &ScanSpec,
    result: CensusResult,
) -> Result<Planned> {
    check_census(extract, req, spec, &result)?;
    let specs: Vec<StratumSpec> = result
        .strata
        .iter()
        .map(|(values, s)| StratumSpec {
            name: values.join(" / "),
            population: s.population,
            proportion: req.proportion,
            cost: 1.0,
        })
        .collect();
    let mut sizing = sizing(extract, req, &result, specs)?;
    let (strata, fps) = plan_strata(req, &result, &sizing);
    let totals = result.scan.totals();
    let mut plan = PlanFile {
        version: PLAN_VERSION,
        kind: "urval-plan".to_string(),
        created: req.created.clone(),
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        extract: extract_info(extract, &result, &fps),
        key: req.key.clone(),
        strata_columns: req.strata.clone(),
        where_: req.where_.clone(),
        checks: req.checks.clone(),
        pages_column: req.pages_column.clone(),
        design: design(req, &sizing.alloc, sizing.sized.take()),
        rows_read: totals.rows_read,
        rows_used: totals.rows_used,
        rows_excluded: totals.rows_excluded,
        rows_quarantined: totals.rows_quarantined,
        duplicate_keys: result.duplicates.0,
        allow_duplicate_keys: req.allow_duplicate_keys,
        burden: plan_burden(req, &strata, sizing.alloc.total),
        strata,
        total_population: sizing.alloc.total_population,
        total_n: sizing.alloc.total,
    };
    if !sizing.n_stage1.is_empty() {
        plan.design.stages = Some(stages_info(
            req,
            &plan,
            &sizing.spec,
            &sizing.alloc,
            &sizing.n_stage1,
            sizing.attribute.as_ref().zip(sizing.stratified_risk),
        ));
    }
    crate::files::write_json(&req.output, &plan)
        .with_context(|| format!("writing {}", req.output.display()))?;
    let quarantine_file =
        crate::files::write_quarantine(&req.output, extract, &result.scan.quarantine)?;

    Ok(Planned {
        plan,
        allocation: sizing.alloc,
        quarantine_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use urval_design::{stratified_accept_probability, StagedSpec};

    /// SplitMix64 (Steele, Lea & Flood 2014) from `seed`, uniform in [0, 1).
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        }
    }

    /// An attribute design over strata of `pops` records at T = `t`, C = `c`, R = `r`: its
    /// spec, its plan for the population as one, and a proportional allocation spec.
    fn attribute_design(
        pops: &[u64],
        t: f64,
        c: f64,
        r: f64,
    ) -> (StagedSpec, urval_design::StagedPlan, AllocationSpec) {
        let staged = StagedSpec {
            tolerable_rate: t,
            confidence: c,
            population: Some(pops.iter().sum()),
            expected_rate: r,
            max_first: None,
        };
        let a = urval_design::two_stage_plan(&staged).unwrap();
        let spec = AllocationSpec {
            strata: pops
                .iter()
                .enumerate()
                .map(|(h, &n)| StratumSpec {
                    name: h.to_string(),
                    population: n,
                    proportion: 0.5,
                    cost: 1.0,
                })
                .collect(),
            target: AllocationTarget::Total(1),
            method: AllocationMethod::Proportional,
            confidence: c,
            min: None,
            max: None,
        };
        (staged, a, spec)
    }

    /// The stratified risk of an attribute plan is within 1 − C for every spread of the
    /// ⌈T·N⌉ deviating records over two strata (each spread computed here), on 20 random
    /// two-stratum designs and on strata of 548 and 634 records at T = 5 %, C = 95 %,
    /// R = 1.5 %, where the proportional spread is within 5 % and (24, 36) is not.
    #[test]
    fn the_staged_risk_holds_for_every_spread_of_two_strata() {
        let mut u = uniform(36);
        let mut designs = vec![(548u64, 634u64, 0.05, 0.95, 0.015)];
        while designs.len() < 21 {
            let n1 = 50 + (u() * 2000.0) as u64;
            let n2 = 50 + (u() * 2000.0) as u64;
            let t = [0.03, 0.05, 0.08, 0.10][(u() * 4.0) as usize];
            let c = [0.90, 0.95][(u() * 2.0) as usize];
            let r = t * (u() * 0.5);
            designs.push((n1, n2, t, c, r));
        }
        for (big1, big2, t, c, r) in designs {
            let pops = [big1, big2];
            let population = big1 + big2;
            let (staged, a, spec) = attribute_design(&pops, t, c, r);
            let (_, alloc, first, a, risk) = fit_attribute(&spec, &staged, a, population).unwrap();
            let second: Vec<u64> = alloc
                .strata
                .iter()
                .zip(&first)
                .map(|(s, &n1)| s.n - n1)
                .collect();
            let d = urval_design::ceil_count(t * population as f64);
            let mut worst = 0.0f64;
            for d1 in d.saturating_sub(big2)..=d.min(big1) {
                let p =
                    stratified_accept_probability(&a.plan, &pops, &[d1, d - d1], &first, &second);
                assert!(
                    urval_design::dist::within_risk(p, 1.0 - c),
                    "{pops:?} T {t} C {c} R {r}: spread ({d1}, {}) risk {p}",
                    d - d1
                );
                worst = worst.max(p);
            }
            assert_eq!(risk.method, urval_design::SpreadMethod::EverySpread);
            assert!(
                (worst - risk.risk).abs() < 1e-15,
                "{worst} vs {}",
                risk.risk
            );
        }
    }

    /// Doubling then halving the records added finds the same plan as adding one record at
    /// a time, on 24 random designs of 2 to 6 strata (some needing hundreds of records more
    /// than the population taken as one), with minimums and maximums per stratum.
    #[test]
    fn the_fewest_records_are_found_as_one_at_a_time_would() {
        let mut u = uniform(3_600);
        let mut added = Vec::new();
        for case in 0..24 {
            let k = 2 + (u() * 5.0) as usize;
            let pops: Vec<u64> = (0..k).map(|_| 15 + (u() * 300.0) as u64).collect();
            let population: u64 = pops.iter().sum();
            let t = [0.05, 0.10, 0.20][(u() * 3.0) as usize];
            let c = [0.90, 0.95][(u() * 2.0) as usize];
            let (staged, a, mut spec) = attribute_design(&pops, t, c, t * u() * 0.5);
            spec.method = [AllocationMethod::Proportional, AllocationMethod::Equal][case % 2];
            spec.min = (case % 3 == 1).then_some(3);
            spec.max = (case % 5 == 2).then_some(60);
            // One record at a time.
            let mut one = a.clone();
            let expected = loop {
                let spec = AllocationSpec {
                    target: AllocationTarget::Total(one.plan.n1 + one.plan.n2),
                    ..spec.clone()
                };
                let alloc = allocate(&spec).unwrap();
                let n_stage1 = attribute_first_stage(&alloc, &one);
                let risk = stratified_risk_of(&one.plan, &staged, &alloc, &n_stage1);
                if !urval_design::dist::within_risk(risk.risk, 1.0 - c)
                    && one.plan.n1 + one.plan.n2 < population
                {
                    one = urval_design::with_one_more(&staged, &one);
                    continue;
                }
                break (alloc, n_stage1, one, risk);
            };
            let (_, alloc, first, got, risk) =
                fit_attribute(&spec, &staged, a.clone(), population).unwrap();
            assert_eq!(
                got.plan, expected.2.plan,
                "case {case}: {pops:?} T {t} C {c}"
            );
            assert_eq!(alloc, expected.0, "case {case}");
            assert_eq!(first, expected.1, "case {case}");
            assert_eq!(risk, expected.3, "case {case}");
            added.push(got.plan.n1 + got.plan.n2 - a.plan.n1 - a.plan.n2);
        }
        // The search was exercised: several designs needed records added, some many.
        assert!(added.iter().filter(|&&m| m > 0).count() >= 6, "{added:?}");
        assert!(added.iter().any(|&m| m >= 50), "{added:?}");
    }

    fn request() -> PlanRequest {
        PlanRequest {
            key: "id".into(),
            strata: vec!["area".into()],
            where_: None,
            checks: Vec::new(),
            margin: Some(0.05),
            total: None,
            confidence: 0.95,
            allocation: AllocationMethod::Proportional,
            min: None,
            max: None,
            proportion: 0.5,
            pages_column: None,
            requested: None,
            personal: Vec::new(),
            allow_duplicate_keys: false,
            rates: BurdenRates::default(),
            max_quarantine: 0.01,
            output: PathBuf::from("plan.json"),
            created: String::new(),
            stages: None,
            attribute: None,
            duplicate_memory: DUPLICATE_MEMORY_HASHES,
            purposes: None,
        }
    }

    #[test]
    fn an_expression_naming_a_personnummer_is_refused() {
        let mut req = request();
        req.checks = vec!["pnr <> '19121212-1212'".into()];
        let e = refuse_personal_expressions(&req).unwrap_err().to_string();
        assert!(
            e.starts_with("--check names a personal identity number"),
            "{e}"
        );
        req.checks.clear();
        req.where_ = Some("pnr = '191212121212'".into());
        let e = refuse_personal_expressions(&req).unwrap_err().to_string();
        assert!(
            e.starts_with("--where names a personal identity number"),
            "{e}"
        );
        req.where_ = Some("area = 'aldre'".into());
        assert!(refuse_personal_expressions(&req).is_ok());
    }

    #[test]
    fn the_census_reads_the_pages_and_the_filters_columns() {
        let mut req = request();
        req.pages_column = Some("pages".into());
        req.where_ = Some("area = 'aldre'".into());
        req.checks = vec!["pages >= 0".into()];
        req.personal = vec!["pnr".into()];
        let (spec, domains) = census_spec(&req).unwrap();
        assert_eq!(spec.extra, ["pages"]);
        assert_eq!(spec.nonnegative, ["pages"]);
        assert!(spec.filter.is_some());
        assert_eq!(spec.checks.len(), 1);
        assert_eq!(spec.personal, ["pnr"]);
        assert!(domains.is_empty());
    }

    #[test]
    fn the_request_burden_splits_over_the_strata_at_their_own_pages() {
        let mut req = request();
        let stratum = |population, n, mean_pages: Option<f64>| {
            let b = stratum_burden(n, mean_pages, &req.rates);
            PlanStratum {
                values: Default::default(),
                population,
                n,
                n_stage1: None,
                binding: None,
                binding_purpose: None,
                binding_purposes: None,
                purpose_margins: None,
                inclusion_probability: n as f64 / population as f64,
                weight: None,
                margin: None,
                mean_pages,
                pages: b.pages,
                working_days: b.working_days,
                fingerprint: String::new(),
            }
        };
        let strata = [stratum(300, 30, Some(10.0)), stratum(100, 10, None)];
        let b = plan_burden(&req, &strata, 40);
        assert_eq!(b.needed.records, 40);
        assert!(b.requested.is_none());
        req.requested = Some(80);
        let b = plan_burden(&req, &strata, 40);
        let cmp = b.requested.unwrap();
        // 80 split 60 / 20 by N_h: the first stratum at 10 pages a record.
        assert_eq!(cmp.requested_burden.records, 80);
        let rates = req.rates;
        let want = 60.0 * 10.0 + 20.0 * rates.pages_per_record;
        assert!((cmp.requested_burden.pages - want).abs() < 1e-9);
        assert!((cmp.surplus_pages - (want - b.needed.pages)).abs() < 1e-9);
    }
}
