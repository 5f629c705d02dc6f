//! A stage of a staged attribute plan evaluated: the decision the plan prescribes after
//! stage 1 (accept, reject, or take stage 2 with its records, pages and days) or after
//! stage 2 (accept or reject on the combined records), with the exact upper bound for the
//! sequential design ([`urval_design::sequential_upper_bound`]).

use crate::artifacts::{PlanFile, Stages};
use crate::error::Result;
use crate::plan_error::PlanError;
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
    /// How the bound was computed: at stage 1 the fixed-sample hypergeometric bound of the
    /// n₁ records (the stage-wise ordering gives the same there), at stage 2 the stage-wise
    /// ordering over both stages.
    pub upper_bound_method: String,
    /// When the decision is to continue: the records of stage 2 with their pages and days.
    pub next: Option<Burden>,
    /// When the decision is to continue: why stage 2 is still needed (the bound is not below
    /// T yet; or it is, but accepting at stage 1 with more than a₁ deviations is outside the
    /// plan and would raise its risk P(accept | T), given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continue_reason: Option<String>,
}

/// Why a plan that continues after stage 1 with `x1` deviations needs stage 2, given the
/// stage-1 bound: either the bound is not below T, or the plan's risk P(accept | T)
/// ([`urval_design::accept_probability`], exact over both stages) holds only for accepting
/// at most a₁ at stage 1 — accepting at x₁ would be the plan with a₁ = x₁, whose risk is
/// computed and given.
fn continue_reason(
    rule: &urval_design::TwoStage,
    x1: u64,
    bound: f64,
    t: f64,
    c: f64,
    big: u64,
) -> String {
    let left = rule.accept2.saturating_sub(x1);
    let stage2 = format!(
        "stage 2 accepts with at most {left} more deviation{} in its {} records",
        if left == 1 { "" } else { "s" },
        rule.n2
    );
    if bound >= t {
        return format!(
            "the stage-1 bound {:.2} % is not below T = {:.2} %; {stage2}",
            100.0 * bound,
            100.0 * t
        );
    }
    let plan_risk = urval_design::accept_probability(rule, t, Some(big));
    let stopped = urval_design::TwoStage {
        accept1: x1,
        ..*rule
    };
    let risk = urval_design::accept_probability(&stopped, t, Some(big));
    format!(
        "the stage-1 bound is below T, but the plan accepts at stage 1 only with at most {} deviation{}: its risk P(accept | T) = {:.5} ≤ 1 − C = {:.2} holds for that rule, and accepting with {x1} would make it {:.5}; {stage2}",
        rule.accept1,
        if rule.accept1 == 1 { "" } else { "s" },
        plan_risk,
        1.0 - c,
        risk
    )
}

/// The staged attribute plan of a plan file.
///
/// # Errors
/// The plan has one stage or sizes a share.
pub fn attribute_stages(plan: &PlanFile) -> Result<(&Stages, urval_design::TwoStage, f64)> {
    let Some(st) = &plan.design.stages else {
        return Err(PlanError::OneStage.into());
    };
    let Some(a) = &st.attribute else {
        return Err(PlanError::StagedShare.into());
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
    let method = |stage: u32| {
        if stage == 1 {
            "exact hypergeometric, fixed sample of the stage-1 records".to_string()
        } else {
            "stage-wise ordering, exact hypergeometric over both stages".to_string()
        }
    };
    match stage {
        1 => {
            if first_deviations.is_some() {
                return Err(PlanError::FirstDeviationsAtStageOne.into());
            }
            if deviations > rule.n1 {
                return Err(PlanError::TooManyDeviations {
                    deviations,
                    records: rule.n1,
                }
                .into());
            }
            let decision = rule.decide_first(deviations);
            let bound =
                sequential_upper_bound(&rule, StageOutcome::First(deviations), c, Some(big));
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
                upper_bound: bound,
                upper_bound_method: method(1),
                next: (decision == StageDecision::Continue).then_some(st.burden_stage2),
                continue_reason: (decision == StageDecision::Continue)
                    .then(|| continue_reason(&rule, deviations, bound, t, c, big)),
            })
        }
        2 => {
            let Some(x1) = first_deviations else {
                return Err(PlanError::StageTwoWithoutFirstDeviations.into());
            };
            if rule.n2 == 0 {
                return Err(PlanError::NoSecondStage.into());
            }
            if x1 > rule.n1 || deviations > rule.n2 {
                return Err(PlanError::TooManyDeviationsInStages {
                    first: rule.n1,
                    second: rule.n2,
                }
                .into());
            }
            if rule.decide_first(x1) != StageDecision::Continue {
                return Err(PlanError::StoppedAtStageOne {
                    first_deviations: x1,
                    accepted: x1 <= rule.accept1,
                }
                .into());
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
                upper_bound_method: method(2),
                next: None,
                continue_reason: None,
            })
        }
        k => Err(PlanError::BadStage { stage: k }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan that goes on with a stage-1 bound already below T says why: accepting there
    /// would be another plan, whose risk is above 1 − C (computed, and checked here against
    /// the plan's exact acceptance probability). The plans are `urval size`'s for T = 5 %,
    /// C = 95 % over 1,182 records at expected rates 1–3 %.
    #[test]
    fn going_on_below_t_says_why() {
        let mut below = 0;
        for r in [0.01, 0.015, 0.02, 0.025, 0.03] {
            let rule = urval_design::two_stage_plan(&urval_design::StagedSpec {
                tolerable_rate: 0.05,
                confidence: 0.95,
                population: Some(1182),
                expected_rate: r,
                max_first: None,
            })
            .unwrap()
            .plan;
            for x1 in rule.accept1 + 1..rule.reject1 {
                let bound =
                    sequential_upper_bound(&rule, StageOutcome::First(x1), 0.95, Some(1182));
                let why = continue_reason(&rule, x1, bound, 0.05, 0.95, 1182);
                if bound < 0.05 {
                    below += 1;
                    let stopped = urval_design::TwoStage {
                        accept1: x1,
                        ..rule
                    };
                    let risk = urval_design::accept_probability(&stopped, 0.05, Some(1182));
                    assert!(risk > 0.05, "{rule:?} at {x1}: {risk}");
                    assert!(
                        why.contains(&format!("accepting with {x1} would make it {risk:.5}")),
                        "{why}"
                    );
                } else {
                    assert!(why.contains("is not below T"), "{why}");
                }
                assert!(
                    why.contains(&format!("in its {} records", rule.n2)),
                    "{why}"
                );
            }
        }
        assert!(below > 0, "no plan went on below T");
    }

    #[test]
    fn going_on_above_t_says_how_many_more_deviations_stage_two_allows() {
        let rule = urval_design::TwoStage {
            n1: 50,
            accept1: 0,
            reject1: 4,
            n2: 80,
            accept2: 3,
        };
        assert_eq!(
            continue_reason(&rule, 2, 0.0612, 0.05, 0.95, 1182),
            "the stage-1 bound 6.12 % is not below T = 5.00 %; stage 2 accepts with at most 1 more deviation in its 80 records"
        );
        // More deviations than a₂ already: none more allowed (not a negative count).
        assert!(continue_reason(&rule, 5, 0.2, 0.05, 0.95, 1182)
            .ends_with("stage 2 accepts with at most 0 more deviations in its 80 records"));
    }

    #[test]
    fn a_one_stage_plan_has_no_stage_to_evaluate() {
        let plan = PlanFile::parse(
            &include_str!("../../../sample-data/golden/plan-area.json")
                // The golden file leaves out what differs from run to run.
                .replace(
                    "\"checks\": [],",
                    "\"checks\": [], \"created\": \"2026-12-07T00:00:00Z\", \"urval_version\": \"0\",",
                )
                .replace("\"format\": \"csv\",", "\"format\": \"csv\", \"path\": \"arenden.csv\","),
            "plan-area.json",
        )
        .map_err(|e| e.to_string());
        let Ok(plan) = plan else {
            panic!("{plan:?}");
        };
        let want = "this plan has one stage: evaluate it with --sample and --deviations";
        assert_eq!(
            attribute_stages(&plan)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(want.to_string())
        );
        assert_eq!(
            evaluate_stage(&plan, 1, 0, None)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(want.to_string())
        );
    }
}
