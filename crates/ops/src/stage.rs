//! A stage of a staged attribute plan evaluated: the decision the plan prescribes after
//! stage 1 (accept, reject, or take stage 2 with its records, pages and days) or after
//! stage 2 (accept or reject on the combined records), with the exact upper bound for the
//! sequential design ([`urval_design::sequential_upper_bound`]).

use crate::artifacts::{PlanFile, Stages};
use crate::bail;
use crate::error::Result;
use serde::Serialize;
use urval_design::{sequential_upper_bound, Burden, StageDecision, StageOutcome};

/// The evaluation of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageEvaluation {
    /// 1 or 2.
    pub stage: u32,
    /// Records reviewed so far (n₁, or n₁ + n₂).
    pub records: u64,
    /// Deviations found so far (cumulative).
    pub deviations: u64,
    /// Deviations found in stage 1.
    pub first_deviations: u64,
    /// The plan's rule: accept at most / reject at least (stage 1) this many.
    pub accept: u64,
    /// Stage 1's rejection number (absent at stage 2).
    pub reject: Option<u64>,
    /// accept, reject or continue.
    pub decision: StageDecision,
    /// T.
    pub tolerable_rate: f64,
    /// C.
    pub confidence: f64,
    /// N.
    pub population: u64,
    /// The one-sided upper bound at C, exact for the two-stage design (at stage 1 the
    /// fixed-sample hypergeometric bound of n₁ records).
    pub upper_bound: f64,
    /// How the bound was computed.
    pub upper_bound_method: String,
    /// When the decision is to continue: the records of stage 2 with their pages and days.
    pub next: Option<Burden>,
}

/// The staged attribute plan of a plan file.
///
/// # Errors
/// The plan has one stage or sizes a share.
pub fn attribute_stages(plan: &PlanFile) -> Result<(&Stages, urval_design::TwoStage, f64)> {
    let Some(st) = &plan.design.stages else {
        bail!("this plan has one stage: evaluate it with --sample and --deviations");
    };
    let Some(a) = &st.attribute else {
        bail!("this staged plan sizes a share (--first-fraction or --first-margin): a stage decision needs an attribute plan (urval plan --tolerable-rate T --stages 2); estimate the share with urval indicators");
    };
    Ok((st, a.two_stage(), a.tolerable_rate))
}

/// Evaluate stage `stage` of a plan's two-stage attribute plan: at stage 1 with `deviations`
/// found in its records; at stage 2 with `first_deviations` found in stage 1 and
/// `deviations` in the records stage 2 added.
///
/// # Errors
/// Not a staged attribute plan; more deviations than records; a stage 2 the plan would not
/// have taken (stage 1 already decided, or no second stage).
pub fn evaluate_stage(
    plan: &PlanFile,
    stage: u32,
    deviations: u64,
    first_deviations: Option<u64>,
) -> Result<StageEvaluation> {
    let (st, rule, t) = attribute_stages(plan)?;
    let big = plan.total_population;
    let c = plan.design.confidence;
    let method = "stage-wise ordering, exact hypergeometric over both stages".to_string();
    match stage {
        1 => {
            if first_deviations.is_some() {
                bail!("--first-deviations is for stage 2; at stage 1 give --deviations");
            }
            if deviations > rule.n1 {
                bail!(
                    "{deviations} deviations in the {} records of stage 1: there cannot be more deviations than records",
                    rule.n1
                );
            }
            let decision = rule.decide_first(deviations);
            Ok(StageEvaluation {
                stage,
                records: rule.n1,
                deviations,
                first_deviations: deviations,
                accept: rule.accept1,
                reject: Some(rule.reject1),
                decision,
                tolerable_rate: t,
                confidence: c,
                population: big,
                upper_bound: sequential_upper_bound(
                    &rule,
                    StageOutcome::First(deviations),
                    c,
                    Some(big),
                ),
                upper_bound_method: method,
                next: (decision == StageDecision::Continue).then_some(st.burden_stage2),
            })
        }
        2 => {
            let Some(x1) = first_deviations else {
                bail!("stage 2: give --first-deviations (found in stage 1) and --deviations (found in the records stage 2 added)");
            };
            if rule.n2 == 0 {
                bail!("this plan has no second stage: stage 1 decides");
            }
            if x1 > rule.n1 || deviations > rule.n2 {
                bail!(
                    "more deviations than records: stage 1 has {} records, stage 2 {}",
                    rule.n1,
                    rule.n2
                );
            }
            if rule.decide_first(x1) != StageDecision::Continue {
                bail!(
                    "with {x1} deviations in stage 1 the plan stops there ({}): there is no stage 2 to evaluate",
                    if x1 <= rule.accept1 {
                        "accept"
                    } else {
                        "reject"
                    }
                );
            }
            let total = x1 + deviations;
            Ok(StageEvaluation {
                stage,
                records: rule.n1 + rule.n2,
                deviations: total,
                first_deviations: x1,
                accept: rule.accept2,
                reject: None,
                decision: rule.decide_second(total),
                tolerable_rate: t,
                confidence: c,
                population: big,
                upper_bound: sequential_upper_bound(
                    &rule,
                    StageOutcome::Second(total),
                    c,
                    Some(big),
                ),
                upper_bound_method: method,
                next: None,
            })
        }
        k => bail!("--stage {k}: a staged plan has stages 1 and 2"),
    }
}
