//! # urval-design — the design math room
//!
//! Pure functions for everything urval decides before and after a sample is drawn:
//!
//! - **sizes** ([`share_size`], [`attribute_size`]): Cochran's n0 = z²·P(1 − P)·D/E² with
//!   the finite population correction, and attribute (audit) sampling against a tolerable
//!   deviation rate (binomial, hypergeometric, Poisson);
//! - **allocation** ([`allocate`]): proportional, Neyman, cost-optimal, equal and
//!   per-domain precision, with min/max per stratum and n_h ≤ N_h, in whole records by the
//!   priority method (Huntington–Hill; the exact integer Neyman optimum, Wright 2012), and
//!   for a margin the smallest total whose integer allocation meets it;
//! - **intervals** ([`wilson`], [`clopper_pearson`], [`jeffreys`], exact hypergeometric
//!   bounds) and **evaluation** of a reviewed sample ([`evaluate`]);
//! - **burden** ([`burden`], [`compare_request`]): records → pages → working days.
//!
//! No I/O, no dataframes, no randomness: every result is a function of its arguments, and
//! every formula names its source in its doc comment. One rounding rule serves all sizes:
//! [`ceil_count`].
//!
//! ```
//! use urval_design::{share_size, ShareSpec};
//! let mut spec = ShareSpec::new(0.05, 0.95);
//! spec.population = Some(767);
//! assert_eq!(share_size(&spec).unwrap().n, 257);
//! ```
#![forbid(unsafe_code)]

mod agreement;
mod allocate;
mod burden;
pub mod dist;
mod error;
mod evaluate;
mod interval;
mod purposes;
mod round;
mod size;
mod spread;
mod staged;

pub use agreement::{disagreement_upper, kappa, tenenbein, Corrected, Kappa, PhaseOneRest, Table2};
pub use allocate::{
    allocate, allocation_weights, apportion, domain_curve, margin_curve, min_used,
    stratified_margin, stratum_variance, total_for_margin, Allocation, AllocationMethod,
    AllocationSpec, AllocationTarget, Binding, StratumAllocation, StratumSpec, TotalAdjustment,
    DEFAULT_MARGIN_MIN,
};
pub use burden::{
    burden, burden_with_pages, compare_request, Burden, BurdenRates, RequestComparison,
    DEFAULT_HOURS_PER_DAY, DEFAULT_MINUTES_PER_RECORD, DEFAULT_PAGES_PER_RECORD,
};
pub use dist::z_two_sided;
pub use error::DesignError;
pub use evaluate::{evaluate, Conclusion, EvaluateSpec, Evaluation};
pub use interval::{
    binomial_upper_bound, clopper_pearson, clopper_pearson_fpc, effective_n,
    hypergeometric_interval, hypergeometric_lower_count, hypergeometric_upper_count, jeffreys,
    wilson, wilson_fpc, Interval, IntervalMethod,
};
pub use purposes::{
    bethel, bethel_dual, domain_share_terms, joint_allocate, DomainCell, JointAllocation,
    JointBinding, JointSpec, Requirement,
};
pub use round::{ceil_count, floor_count, INTEGER_TOLERANCE};
pub use size::{
    attribute_size, share_margin, share_size, AttributeSize, AttributeSpec, Expected, Likelihood,
    ShareSize, ShareSpec, ATTRIBUTE_SEARCH_LIMIT,
};
pub use spread::{
    stratified_risk, stratified_risk_bound, stratified_risk_chernoff, worst_spread_none_found,
    worst_spread_proven, ProvenSpread, SpreadMethod, StratifiedRisk, BOUND_WORK_BUDGET,
};
pub use staged::{
    accept_probability, sequential_upper_bound, stratified_accept_probability,
    stratified_worst_risk, two_stage_plan, with_more, with_one_more, StageDecision, StageOutcome,
    StagedPlan, StagedSpec, TwoStage, WorstSpread, SEARCH_CONVOLUTIONS, SPREAD_BUDGET,
};
