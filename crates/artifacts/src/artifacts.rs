//! The artifacts, one definition each: plan.json ([`PlanFile`]) and the draw sidecar
//! ([`DrawSidecar`]).
//!
//! plan.json, version 2: what `urval plan` writes and `urval draw`/`urval verify` read
//! (version 1, whose key fingerprints are subtractable sums, is still read, with a warning).
//!
//! | field | meaning |
//! |---|---|
//! | `version`, `kind` | 2, `"urval-plan"` |
//! | `created`, `urval_version` | UTC time and the urval version that wrote it |
//! | `extract` | files (path, format, bytes, row counts), `total_bytes`, `fingerprint`, `fingerprint_method` |
//! | `key`, `strata_columns`, `where`, `checks`, `pages_column` | how the extract was read |
//! | `design` | target (margin or total), confidence, allocation, min, max, proportion, z, the achieved margin |
//! | `rows_read`, `rows_used`, `rows_excluded`, `rows_quarantined` | rows_read = used + excluded + quarantined |
//! | `duplicate_keys`, `allow_duplicate_keys` | keys seen more than once |
//! | `strata[]` | `values` {column: value}, `population` N_h, `n` n_h, `binding`, `inclusion_probability`, `weight`, `margin`, `mean_pages`, `pages`, `working_days`, `fingerprint` |
//! | `total_population`, `total_n`, `burden` | totals; burden rates, needed and (with `--requested`) the comparison |
//! | `design.stages`, `strata[].n_stage1` | a staged plan only ([`Stages`]): how stage 1 was sized, its records per stratum, each stage's burden |
//! | `design.purposes`, `strata[].binding_purpose`, `strata[].binding_purposes`, `strata[].purpose_margins` | a plan for several purposes only ([`PurposesPlan`]) |
//!
//! The fingerprint of a stratum is a SHA-256 commitment to the wrapping sum of XXH3-128 of
//! its keys (hex; [`crate::fingerprint`] says why not the sum itself), recorded only for
//! strata of at least [`crate::fingerprint::MIN_FINGERPRINT_N`] records of which at least as many
//! are not drawn (empty otherwise: a fingerprint that hides fewer keys would give them
//! away); the extract's is XXH3-128 over the
//! sorted list of (values, stratum fingerprint, 0 for a small stratum). Both are
//! independent of row order, file split and format. A version-1 plan's fingerprints are
//! the sums themselves: still checked, with a warning to plan again.

use crate::error::{ArtifactError, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use urval_design::{Burden, BurdenRates, RequestComparison};

/// An `Option` field that must be present (as `null` when empty): serde would otherwise
/// read a missing field as `None`, a silent default.
pub fn required<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// Read an artifact: its `kind` and `version` first (so that one of another version is
/// named as such rather than by the first field it lacks), then every field, strictly.
///
/// # Errors
/// The file cannot be read, is not JSON, is of another kind or version (`redo` says what to
/// do), or lacks a field or has one it should not (named).
pub fn read_versioned<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    kind: &str,
    version: u32,
    redo: &str,
) -> Result<T> {
    read_versions(path, what, kind, version..=version, redo)
}

/// [`read_versioned`] for an artifact of which several versions are read (the newest is
/// the one named in messages).
///
/// # Errors
/// As [`read_versioned`].
pub fn read_versions<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    kind: &str,
    versions: std::ops::RangeInclusive<u32>,
    redo: &str,
) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} ({what})", path.display()))?;
    parse_versions(
        &text,
        &path.display().to_string(),
        what,
        kind,
        versions,
        redo,
    )
}

/// [`read_versions`] of an artifact's text; `origin` names where it was read in messages
/// (a file, or the sheet of a workbook that carries it).
///
/// # Errors
/// As [`read_versioned`].
pub fn parse_versions<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    what: &str,
    kind: &str,
    versions: std::ops::RangeInclusive<u32>,
    redo: &str,
) -> Result<T> {
    let version = *versions.end();
    // Only `kind` and `version` are kept from the first pass (the rest is skipped without
    // building a tree: a plan of 1,160 strata is 0.5 MB, and a `serde_json::Value` of it
    // took 7 ms of a 0.2 s draw); the second reads the artifact itself.
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        kind: serde_json::Value,
        #[serde(default)]
        version: serde_json::Value,
    }
    let head: Head = serde_json::from_str(text).with_context(|| format!("{origin}: not {what}"))?;
    let (k, v) = (head.kind.as_str(), head.version.as_u64());
    let known = v
        .and_then(|v| u32::try_from(v).ok())
        .is_some_and(|v| versions.contains(&v));
    if k != Some(kind) || !known {
        let read = if versions.start() == versions.end() {
            format!("version {version}")
        } else {
            format!("versions {} to {version}", versions.start())
        };
        return Err(ArtifactError::UnknownVersion {
            origin: origin.to_string(),
            found_kind: k.map(str::to_string),
            found_version: v,
            kind: kind.to_string(),
            read,
            redo: redo.to_string(),
        }
        .into());
    }
    serde_json::from_str(text).with_context(|| format!("{origin}: not {what}"))
}

/// The plan format version this build writes and reads.
pub const PLAN_VERSION: u32 = 2;

/// The oldest plan format this build still reads (with a warning).
pub const PLAN_VERSION_OLDEST: u32 = 1;

/// One input file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FileInfo {
    /// Path as given.
    pub path: String,
    /// parquet, csv or ipc.
    pub format: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows left out by `where`.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// The text encoding a CSV file was read in (`utf-8`, `windows-1252`, `utf-16le`,
    /// `utf-16be`); absent for Parquet and IPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// The extract as seen by the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtractInfo {
    /// The files.
    pub files: Vec<FileInfo>,
    /// Their total size.
    pub total_bytes: u64,
    /// Order-independent fingerprint of (key, strata) over the used rows.
    pub fingerprint: String,
    /// How the fingerprint is computed.
    pub fingerprint_method: String,
}

/// The design parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// The margin asked for, if any.
    #[serde(deserialize_with = "required")]
    pub margin: Option<f64>,
    /// The total asked for, if any.
    #[serde(deserialize_with = "required")]
    pub total: Option<u64>,
    /// Confidence level.
    pub confidence: f64,
    /// z at the confidence.
    pub z: f64,
    /// Allocation method.
    pub allocation: String,
    /// Minimum per stratum.
    #[serde(deserialize_with = "required")]
    pub min: Option<u64>,
    /// Maximum per stratum.
    #[serde(deserialize_with = "required")]
    pub max: Option<u64>,
    /// Anticipated proportion.
    pub proportion: f64,
    /// The total the target gave before bounds.
    pub target_total: u64,
    /// The margin of the overall stratified share with this allocation.
    #[serde(deserialize_with = "required")]
    pub margin_achieved: Option<f64>,
    /// How the total was adjusted to meet the bounds, if it was.
    #[serde(deserialize_with = "required")]
    pub total_adjustment: Option<serde_json::Value>,
    /// A staged plan (`--stages 2`): how the first stage was sized and what each stage
    /// costs. Absent for a single-stage plan (whose plan.json is as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Stages>,
    /// A plan for several purposes (`--purposes`): each purpose's target, what the plan
    /// achieves and what it alone would need. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<PurposesPlan>,
}

/// A plan for several purposes: the joint allocation (`urval_design::joint_allocate`,
/// Bethel–Chromy) and the evidence per purpose.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PurposesPlan {
    /// The purposes file as given.
    pub file: String,
    /// What the allocation minimises: `records` or `pages`.
    pub cost: String,
    /// How the whole records were found (`bounds`, `priority`, `search`, `rounded`).
    pub method: String,
    /// No allocation within the bounds that meets every purpose costs less.
    pub proved_optimal: bool,
    /// Removing any one record breaks some purpose.
    pub locally_minimal: bool,
    /// Σ c_h n_h.
    pub cost_total: f64,
    /// The continuous optimum's cost: no allocation meeting every purpose costs less.
    pub cost_lower_bound: f64,
    /// The purposes, in file order.
    pub purposes: Vec<PurposeResult>,
}

/// One purpose of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PurposeResult {
    /// Its name.
    pub name: String,
    /// Swedish label.
    #[serde(deserialize_with = "required")]
    pub label_sv: Option<String>,
    /// English label.
    #[serde(deserialize_with = "required")]
    pub label_en: Option<String>,
    /// `share` or `attribute`.
    pub kind: String,
    /// `overall`, `stratum` or a column.
    pub level: String,
    /// The domain expression.
    #[serde(deserialize_with = "required")]
    pub population: Option<String>,
    /// N_d.
    pub domain_population: u64,
    /// Confidence.
    pub confidence: f64,
    /// The anticipated share over the domain (T for an attribute purpose).
    pub proportion: f64,
    /// `given` or the indicators table it was shrunk from.
    pub proportion_source: String,
    /// The margin was given relative to the share.
    pub relative: bool,
    /// The margin asked (the largest over its groups; for an attribute purpose the margin
    /// equivalent to n_A records).
    pub target: f64,
    /// T.
    #[serde(deserialize_with = "required")]
    pub tolerable_rate: Option<f64>,
    /// K.
    #[serde(deserialize_with = "required")]
    pub expected_deviations: Option<u64>,
    /// An attribute purpose over the whole domain: n_A.
    #[serde(deserialize_with = "required")]
    pub attribute_n: Option<u64>,
    /// Its requirements (1 overall; one per stratum or column value).
    pub groups: u64,
    /// The worst margin over its groups with the plan's records.
    #[serde(deserialize_with = "required")]
    pub achieved: Option<f64>,
    /// Every group's margin is within its target.
    pub met: bool,
    /// Groups no allocation within the bounds can meet (taken whole).
    pub unreachable_groups: Vec<String>,
    /// Records this purpose alone would need (same bounds).
    pub alone_total: u64,
    /// Its pages.
    pub alone_pages: f64,
    /// Its working days.
    pub alone_working_days: f64,
    /// Strata whose size this purpose sets.
    pub binds_strata: u64,
    /// A small-area purpose (`model = "small-area"`): how its areas were sized for their
    /// model-based estimates. Absent for a purpose of direct estimates (and in plans
    /// written before small-area purposes existed, which read as such).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSizing>,
}

/// How a small-area purpose was sized: every value of its level column (an area) for the
/// model-based estimate's z·RMSE ≤ target, from last year's table, beside what direct
/// precision per area would need.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ModelSizing {
    /// `small-area`.
    pub model: String,
    /// The estimate the sizing is for: `fay-herriot-arcsine` (`urval indicators
    /// --small-area`).
    pub method: String,
    /// Last year's table, as written in the purposes file.
    pub table: String,
    /// Its indicator.
    pub indicator: String,
    /// The between-area variance σ̂²_u on the arcsine scale (REML on last year's table).
    pub sigma2: f64,
    /// The V_β the areas were sized at (an upper bound of the plan's).
    pub v_beta: f64,
    /// Areas (values of the level column in the purpose's population).
    pub areas: u64,
    /// Of them, areas missing from last year's table (sized at the synthetic share).
    pub synthetic_areas: u64,
    /// Of them, areas held at `min_per_area` (the model would need fewer).
    pub areas_at_floor: u64,
    /// The records every area keeps.
    pub min_per_area: u64,
    /// The worst model-based margin z·RMSE over the areas with the plan's records.
    #[serde(deserialize_with = "required")]
    pub achieved: Option<f64>,
    /// The whole request with direct precision ±target for every area instead: records.
    pub direct_total: u64,
    /// Its pages.
    pub direct_pages: f64,
    /// Its working days.
    pub direct_working_days: f64,
    /// The assumption the sizing rests on, in a sentence.
    pub assumption: String,
}

/// A staged plan: stage 1 is requested, stage 2 (the next records of the same draw) only
/// when the evidence needs it. Per stratum, `n_stage1` of the `n` records are stage 1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Stages {
    /// Always 2.
    pub count: u32,
    /// How stage 1 was sized: `fraction` (⌈F·n_h⌉ per stratum), `margin` (the allocation
    /// for a looser margin, capped at n_h) or `attribute` (a two-stage attribute plan).
    pub first_stage: String,
    /// F, for `fraction`.
    #[serde(deserialize_with = "required")]
    pub first_fraction: Option<f64>,
    /// E₁, for `margin`.
    #[serde(deserialize_with = "required")]
    pub first_margin: Option<f64>,
    /// Σ n_stage1.
    pub n_stage1: u64,
    /// Σ (n − n_stage1).
    pub n_stage2: u64,
    /// The margin of the overall stratified share after stage 1 (at the plan's P).
    #[serde(deserialize_with = "required")]
    pub margin_stage1: Option<f64>,
    /// A domain design: the largest stratum margin after stage 1 (strata with records).
    #[serde(deserialize_with = "required")]
    pub stratum_margin_stage1: Option<f64>,
    /// The burden of stage 1.
    pub burden_stage1: Burden,
    /// The burden of stage 2, when it is taken.
    pub burden_stage2: Burden,
    /// The attribute plan, for `attribute`.
    #[serde(deserialize_with = "required")]
    pub attribute: Option<AttributeStages>,
}

/// One stage of an attribute plan: its records (not cumulative) and the cumulative
/// deviation counts that accept (≤) or reject (≥; stage 1 only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StageRule {
    /// Records in this stage.
    pub n: u64,
    /// Accept at most this many deviations (cumulative).
    pub accept: u64,
    /// Stop and reject at this many or more (stage 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<u64>,
}

/// Expected records of a staged plan at three deviation rates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExpectedRecords {
    /// At a rate of 0.
    pub zero: f64,
    /// At the expected rate R.
    pub expected: f64,
    /// At the tolerable rate T.
    pub tolerable: f64,
}

/// A two-stage attribute plan over the whole population (`urval_design::two_stage_plan`,
/// hypergeometric with N = Σ N_h), its records spread over the strata in proportion to N_h.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AttributeStages {
    /// T.
    pub tolerable_rate: f64,
    /// R.
    pub expected_rate: f64,
    /// The stages.
    pub stages: Vec<StageRule>,
    /// P(accept | T), exact over both stages, for a simple random sample of the whole
    /// population (hypergeometric with N).
    pub risk: f64,
    /// P(accept | T) for the draw as stratified: per stratum its stage-1 and stage-2
    /// records, the ⌈T·N⌉ deviating records spread over the strata in the way that accepts
    /// most often (`urval_design::stratified_risk`; how it was found in
    /// `risk_stratified_method`). `urval plan` adds records until this too is at most 1 − C.
    pub risk_stratified: f64,
    /// How `risk_stratified` was found: `every_spread`, `branch_and_bound` or `none_found`
    /// (the exact maximum over every spread; `none_found` when the rule accepts only no
    /// deviation in stage 1), `upper_bound` (a proven upper bound on it),
    /// `spread_above_risk` (one spread's risk, already above 1 − C) or `local_search` (the
    /// largest a search found, not proven within the work limit). Absent in plans written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_stratified_method: Option<String>,
    /// ASN at 0, R and T.
    pub expected_records: ExpectedRecords,
    /// P(stage 2 is taken | R).
    pub continue_at_expected: f64,
    /// Stage 1 plus stage 2's burden times the chance of taking it at R.
    pub expected_burden: Burden,
    /// The single-stage plan: n and the deviations it allows.
    pub single_stage_n: u64,
    /// K of the single-stage plan.
    pub single_stage_allowed_deviations: u64,
    /// The single-stage plan's burden, spread over the strata the same way.
    pub single_stage_burden: Burden,
}

impl AttributeStages {
    /// The design math's plan.
    pub fn two_stage(&self) -> urval_design::TwoStage {
        let first = &self.stages[0];
        let second = self.stages.get(1);
        urval_design::TwoStage {
            n1: first.n,
            accept1: first.accept,
            reject1: first.reject.unwrap_or(first.accept + 1),
            n2: second.map_or(0, |s| s.n),
            accept2: second.map_or(first.accept, |s| s.accept),
        }
    }
}

/// One stratum of the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanStratum {
    /// Column → value.
    pub values: BTreeMap<String, String>,
    /// N_h.
    pub population: u64,
    /// n_h.
    pub n: u64,
    /// The first stage's records of n_h, in a staged plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_stage1: Option<u64>,
    /// The constraint that binds (min, max, population).
    #[serde(deserialize_with = "required")]
    pub binding: Option<String>,
    /// A plan for several purposes: the purpose that sets this stratum's size, one that
    /// fails with one record fewer here (the first of `binding_purposes`), or that took the
    /// stratum whole because it cannot be met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_purpose: Option<String>,
    /// A plan for several purposes: every purpose that fails with one record fewer in this
    /// stratum, or that took it whole because it cannot be met (empty when only the bounds
    /// hold it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_purposes: Option<Vec<String>>,
    /// A plan for several purposes: each purpose's margin for its domain within this
    /// stratum, with n_h records (purposes with records here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose_margins: Option<BTreeMap<String, f64>>,
    /// n_h / N_h.
    pub inclusion_probability: f64,
    /// N_h / n_h (null when n_h = 0).
    #[serde(deserialize_with = "required")]
    pub weight: Option<f64>,
    /// Margin of the stratum's own share estimate.
    #[serde(deserialize_with = "required")]
    pub margin: Option<f64>,
    /// Mean pages per record (with `--pages-column`).
    #[serde(deserialize_with = "required")]
    pub mean_pages: Option<f64>,
    /// Pages of the n_h records.
    pub pages: f64,
    /// Working days for the n_h records.
    pub working_days: f64,
    /// Order-independent fingerprint of the stratum's keys.
    pub fingerprint: String,
}

/// Burden totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanBurden {
    /// The rates.
    pub rates: BurdenRates,
    /// What the plan needs.
    pub needed: Burden,
    /// A proposed request compared.
    #[serde(deserialize_with = "required")]
    pub requested: Option<RequestComparison>,
}

/// plan.json.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Format version.
    pub version: u32,
    /// Always "urval-plan".
    pub kind: String,
    /// UTC creation time.
    pub created: String,
    /// The urval version that wrote it.
    pub urval_version: String,
    /// The extract.
    pub extract: ExtractInfo,
    /// Key column.
    pub key: String,
    /// Strata columns.
    pub strata_columns: Vec<String>,
    /// Row filter.
    #[serde(rename = "where")]
    #[serde(deserialize_with = "required")]
    pub where_: Option<String>,
    /// Data rules (`--check`): rows where one is FALSE are quarantined.
    pub checks: Vec<String>,
    /// Pages column.
    #[serde(deserialize_with = "required")]
    pub pages_column: Option<String>,
    /// Design parameters.
    pub design: Design,
    /// Rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows left out by where.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Distinct keys seen more than once.
    pub duplicate_keys: u64,
    /// Whether duplicates were allowed.
    pub allow_duplicate_keys: bool,
    /// The strata, sorted by their values in column order.
    pub strata: Vec<PlanStratum>,
    /// Σ N_h.
    pub total_population: u64,
    /// Σ n_h.
    pub total_n: u64,
    /// Burden.
    pub burden: PlanBurden,
}

/// The draw sidecar format version this build writes and reads.
pub const DRAW_SIDECAR_VERSION: u32 = 3;

/// One stratum as drawn.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DrawnStratum {
    /// Column → value.
    pub values: BTreeMap<String, String>,
    /// N_h in the plan.
    pub population: u64,
    /// n_h in the plan.
    pub n: u64,
    /// Records drawn (n_h, or fewer when the stratum is outside `--only`).
    pub drawn: u64,
    /// A staged draw: the first stage's records of the stratum (`n` is then the sample the
    /// manifest belongs to: n_stage1 at stage 1, the full n_h at stage 2, whose manifest
    /// holds only the `drawn` records added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_stage1: Option<u64>,
}

/// Which stage of a staged plan a manifest holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StageDraw {
    /// 1 or 2.
    pub stage: u32,
    /// The plan's number of stages (2).
    pub of: u32,
    /// Stage 2: the stage-1 manifest it extends (file name).
    #[serde(deserialize_with = "required")]
    pub previous: Option<String>,
    /// Stage 2: XXH3-128 of that manifest, as checked.
    #[serde(deserialize_with = "required")]
    pub previous_hash: Option<String>,
    /// Records selected through this stage (stage 1, or stages 1 and 2): the full selection.
    pub selected_through_stage: u64,
}

/// The draw sidecar (`manifest.draw.json`): everything needed to repeat, verify and
/// describe a draw. Written by `urval draw`; read by `verify`, `indicators --manifest` and
/// `report`. Every field is required: a sidecar of another version or with a field missing
/// is an error naming the file, never a silent default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DrawSidecar {
    /// Always `urval-draw`.
    pub kind: String,
    /// [`DRAW_SIDECAR_VERSION`].
    pub version: u32,
    /// The urval that drew.
    pub urval_version: String,
    /// The version of the PRN specification (docs/reference/prn.md).
    pub prn_spec_version: u32,
    /// The PRN formula and selection rule in words.
    pub prn: String,
    /// The seed.
    pub seed: u64,
    /// The start in [0, 1).
    pub start: f64,
    /// `COL=VALUE` when the draw was limited with `--only`.
    #[serde(deserialize_with = "required")]
    pub only: Option<String>,
    /// The `--include` columns.
    pub include: Vec<String>,
    /// The column replaced by pseudonyms, if any (never the secret).
    #[serde(deserialize_with = "required")]
    pub pseudonymized: Option<String>,
    /// The plan's file name (no directory: the sidecar travels with the manifest).
    pub plan: String,
    /// XXH3-128 of the plan file.
    pub plan_hash: String,
    /// The extract's fingerprint from the plan.
    pub extract_fingerprint: String,
    /// The manifest's file name.
    pub manifest: String,
    /// XXH3-128 of the manifest file as written: a sidecar is only ever read with the
    /// manifest it was written with ([`DrawSidecar::check_manifest`]). Empty in the copy
    /// an `.xlsx` manifest carries inside itself (a file cannot hold its own checksum).
    pub manifest_hash: String,
    /// Rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows left out by `where`.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Used rows outside `--only`.
    pub rows_outside_only: u64,
    /// The extract's files with their counts and encodings.
    pub files: serde_json::Value,
    /// Records in the manifest.
    pub selected: u64,
    /// The file names written by `--split-by`.
    pub split_files: Vec<String>,
    /// Whether the manifest's `prn` column holds the PRNs: false when the key is personal
    /// (named personal, pseudonymized, or most drawn keys are personnummer), because the
    /// PRN and the published seed would let the key be recovered by trying every
    /// personnummer ([`hides_prn`]).
    pub prn_in_manifest: bool,
    /// The strata drawn from.
    pub strata: Vec<DrawnStratum>,
    /// A stage of a staged plan (`urval draw --stage`); absent for a one-stage draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageDraw>,
    /// A phase-2 subsample of a phase-1 manifest (`urval draw --phase2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PhaseDraw>,
    /// How the seed came about: typed by the analyst (`chosen`), or derived from a
    /// commitment and randomness produced after it (`derived`, [`crate::commitment`]). A
    /// sidecar without it was written before seeds could be derived: chosen.
    #[serde(default)]
    pub seed_origin: crate::commitment::SeedOrigin,
    /// `COL=VALUE` when the manifest is the package of `--split-by` for a column that is
    /// not a strata column: it holds the drawn records with that value only (a package
    /// of a strata column is a draw limited to its strata: `only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl DrawSidecar {
    /// Read and check a sidecar.
    ///
    /// # Errors
    /// The file cannot be read, is not a sidecar (a missing or unknown field is named), or
    /// is of another kind or version.
    pub fn read(path: &Path) -> Result<DrawSidecar> {
        read_versioned(
            path,
            "a urval draw sidecar",
            "urval-draw",
            DRAW_SIDECAR_VERSION,
            "draw again with this urval",
        )
    }

    /// [`DrawSidecar::read`] of a sidecar's text; `origin` names where it was found.
    ///
    /// # Errors
    /// As [`DrawSidecar::read`].
    pub fn parse(text: &str, origin: &str) -> Result<DrawSidecar> {
        parse_versions(
            text,
            origin,
            "a urval draw sidecar",
            "urval-draw",
            DRAW_SIDECAR_VERSION..=DRAW_SIDECAR_VERSION,
            "draw again with this urval",
        )
    }

    /// Check that `manifest` is the file this sidecar was written with.
    ///
    /// # Errors
    /// The manifest cannot be read, or its checksum differs (a manifest and a sidecar of
    /// different draws side by side).
    pub fn check_manifest(&self, side_path: &Path, manifest: &Path) -> Result<()> {
        let hash = crate::files::file_hash(manifest)?;
        if hash != self.manifest_hash {
            return Err(ArtifactError::OtherManifest {
                manifest: manifest.to_path_buf(),
                sidecar: side_path.to_path_buf(),
            }
            .into());
        }
        Ok(())
    }
}

impl PlanFile {
    /// Read and check a plan.
    pub fn read(path: &Path) -> Result<PlanFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {} (a urval plan)", path.display()))?;
        PlanFile::parse(&text, &path.display().to_string())
    }

    /// Read and check a plan's text; `origin` names where it comes from in messages (a
    /// file, or the sheet of a manifest that carries it).
    ///
    /// # Errors
    /// Not a plan this urval reads (a missing or unknown field is named), or a stratum that
    /// asks for more records than it has or lacks a value.
    pub fn parse(text: &str, origin: &str) -> Result<PlanFile> {
        let plan: PlanFile = parse_versions(
            text,
            origin,
            "a urval plan",
            "urval-plan",
            PLAN_VERSION_OLDEST..=PLAN_VERSION,
            "plan again with this urval",
        )?;
        if plan.version < PLAN_VERSION {
            tracing::warn!(
                "{origin} is plan format {}: its key fingerprints are sums of key hashes, so two such plans can give a key away by subtraction; plan again with this urval (format {PLAN_VERSION}) before sharing it",
                plan.version
            );
        }

        for s in &plan.strata {
            if s.n > s.population {
                return Err(ArtifactError::StratumOverPopulation {
                    origin: origin.to_string(),
                    stratum: describe(&s.values, &plan.strata_columns),
                    n: s.n,
                    population: s.population,
                }
                .into());
            }
            for c in &plan.strata_columns {
                if !s.values.contains_key(c) {
                    return Err(ArtifactError::StratumWithoutValue {
                        origin: origin.to_string(),
                        column: c.clone(),
                    }
                    .into());
                }
            }
        }
        Ok(plan)
    }

    /// The plan whose n_h are the first stage's (`n_stage1`), for drawing or verifying
    /// stage 1 of a staged plan: the bottom n_stage1 of each stratum.
    ///
    /// # Errors
    /// The plan has one stage.
    pub fn first_stage(&self) -> Result<PlanFile> {
        if self.design.stages.is_none() {
            return Err(ArtifactError::OneStage.into());
        }
        let mut p = self.clone();
        for s in &mut p.strata {
            s.n = s.n_stage1.unwrap_or(s.n).min(s.n);
        }
        p.total_n = p.strata.iter().map(|s| s.n).sum();
        Ok(p)
    }

    /// Each stratum's values in column order.
    pub fn strata_values(&self) -> Vec<Vec<String>> {
        self.strata
            .iter()
            .map(|s| {
                self.strata_columns
                    .iter()
                    .map(|c| s.values.get(c).cloned().unwrap_or_default())
                    .collect()
            })
            .collect()
    }
}

/// `col=value, col=value` for messages.
pub fn describe(values: &BTreeMap<String, String>, columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{c}={}", values.get(c).map(String::as_str).unwrap_or("")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The extract fingerprint from per-stratum fingerprints: XXH3-128 over the sorted lines
/// `value␟value␟…␟fingerprint\n`.
pub fn extract_fingerprint(strata: &[(Vec<String>, u128)]) -> String {
    let mut lines: Vec<String> = strata
        .iter()
        .map(|(v, f)| format!("{}\x1f{f:032x}\n", v.join("\x1f")))
        .collect();
    lines.sort();
    crate::files::hex128(xxhash_rust::xxh3::xxh3_128(lines.concat().as_bytes()))
}

/// The indicators metadata format version this build writes and reads.
pub const INDICATORS_META_VERSION: u32 = 2;

/// A design stratum with non-response, in the indicators metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NonresponseStratum {
    /// Column → value.
    pub values: BTreeMap<String, String>,
    /// N_h.
    pub population: u64,
    /// n_h drawn.
    pub n: u64,
    /// r_h responding.
    pub responding: u64,
    /// n_h − r_h.
    pub nonresponse: u64,
}

/// One indicator of the spec, in the indicators metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IndicatorInfo {
    /// The name.
    pub name: String,
    /// The Swedish label.
    pub label_sv: String,
    /// The English label.
    pub label_en: String,
    /// share, mean, median or count.
    pub kind: String,
    /// The outcome expression.
    #[serde(deserialize_with = "required")]
    pub expr: Option<String>,
    /// The population expression.
    #[serde(rename = "where", deserialize_with = "required")]
    pub where_: Option<String>,
    /// skip or fail.
    pub null: String,
    /// The legal basis.
    #[serde(deserialize_with = "required")]
    pub legal_basis: Option<String>,
    /// The unit.
    #[serde(deserialize_with = "required")]
    pub unit: Option<String>,
    /// Rows whose value could not be read.
    pub invalid_rows: u64,
}

/// The metadata beside an indicators table (`*.indicators.json`): how it was computed, the
/// rows reconciliation, non-response, and the spec's indicators. Written by
/// `urval indicators`, read by `urval report`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IndicatorsMeta {
    /// Always `urval-indicators`.
    pub kind: String,
    /// [`INDICATORS_META_VERSION`].
    pub version: u32,
    /// The urval that computed it.
    pub urval_version: String,
    /// census or sample.
    pub mode: String,
    /// The table's file name.
    pub output: String,
    /// The spec's file name.
    pub spec: String,
    /// XXH3-128 of the spec.
    pub spec_hash: String,
    /// The group columns.
    pub by: Vec<String>,
    /// The age bands.
    #[serde(deserialize_with = "required")]
    pub age_bands: Option<String>,
    /// The age expression (with age bands).
    #[serde(deserialize_with = "required")]
    pub age: Option<String>,
    /// The row filter.
    #[serde(rename = "where", deserialize_with = "required")]
    pub where_: Option<String>,
    /// The data rules.
    pub checks: Vec<String>,
    /// The confidence of the intervals.
    pub confidence: f64,
    /// Census intervals asked for.
    pub ci: bool,
    /// The manifest's file name (sample).
    #[serde(deserialize_with = "required")]
    pub manifest: Option<String>,
    /// XXH3-128 of the manifest.
    #[serde(deserialize_with = "required")]
    pub manifest_hash: Option<String>,
    /// The extract's files with their counts.
    pub files: serde_json::Value,
    /// Rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows left out by `where`.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Sample: used rows whose key is not in the manifest.
    pub rows_outside_manifest: u64,
    /// Sample: drawn records with no row.
    pub nonresponse: u64,
    /// Sample: the strata with non-response.
    pub nonresponse_strata: Vec<NonresponseStratum>,
    /// The assumption behind the weights.
    pub nonresponse_assumption: String,
    /// Sample: strata without a responding record.
    pub nonresponse_empty_strata: u64,
    /// bounds or drop.
    pub nonresponse_mode: String,
    /// The spec's indicators.
    pub indicators: Vec<IndicatorInfo>,
    /// Small-cell suppression: cells with a count between 1 and this minus one are withheld,
    /// with the cells that would let them be recomputed (0: none).
    #[serde(default)]
    pub suppress_below: u64,
    /// `for publication`, or `not for publication` (every cell shown, for internal use).
    #[serde(default = "not_for_publication")]
    pub publication: String,
    /// Rows withheld by the threshold rule.
    #[serde(default)]
    pub suppressed_primary: u64,
    /// Rows withheld so that no primary row can be recomputed.
    #[serde(default)]
    pub suppressed_secondary: u64,
    /// Totals that no other table may publish (the indicator, and per column its value or
    /// `*` for summed over): publishing one would let a withheld cell be recomputed.
    #[serde(default)]
    pub withheld_totals: Vec<BTreeMap<String, String>>,
    /// `--small-area COL`: the model-based estimates beside the direct ones. Absent
    /// without it (and in metadata written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_area: Option<SmallAreaMeta>,
}

/// What the model-based estimates of a table written with `--small-area COL` are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SmallAreaMeta {
    /// The area column.
    pub column: String,
    /// The model: `eb-beta-binomial` (without covariates) or `fay-herriot-arcsine`.
    pub model: String,
    /// The covariates file's name (Fay–Herriot).
    #[serde(deserialize_with = "required")]
    pub covariates_file: Option<String>,
    /// The covariates' names.
    pub covariates: Vec<String>,
    /// Models fitted (one per share indicator, age band and value of the other columns).
    pub fits: u64,
    /// Rows given a model-based estimate from their own records.
    pub areas: u64,
    /// Rows added with a synthetic estimate (areas of the covariates file without records).
    pub synthetic: u64,
    /// Fits left out, with why.
    pub skipped: Vec<String>,
}

/// Metadata written before suppression existed held every cell.
fn not_for_publication() -> String {
    crate::table::NOT_FOR_PUBLICATION.to_string()
}

impl IndicatorsMeta {
    /// Read and check indicators metadata.
    ///
    /// # Errors
    /// The file cannot be read, or is not indicators metadata of this version (a missing or
    /// unknown field is named).
    pub fn read(path: &Path) -> Result<IndicatorsMeta> {
        read_versioned(
            path,
            "urval indicators metadata",
            "urval-indicators",
            INDICATORS_META_VERSION,
            "compute the indicators again with this urval",
        )
    }
}

/// Which phase-2 draw a sidecar describes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PhaseDraw {
    /// Always 2.
    pub phase: u32,
    /// The phase-1 manifest's file name.
    pub phase1_manifest: String,
    /// Its XXH3-128.
    pub phase1_hash: String,
}

/// Whether a manifest's `prn` column must be left empty: the key is personal (named in
/// `personal`, pseudonymized, or most drawn keys are valid personnummer or
/// samordningsnummer). prn = XXH3(key, seed) and the seed is published, so with the prn a
/// pseudonym or a masked key could be recovered by trying every personnummer (about 4·10⁸
/// per century); `verify` recomputes the prn from the extract and does not need it.
pub fn hides_prn<'a>(key_is_personal: bool, keys: impl Iterator<Item = &'a [u8]>) -> bool {
    if key_is_personal {
        return true;
    }
    let (mut n, mut pnr) = (0usize, 0usize);
    for k in keys {
        n += 1;
        if std::str::from_utf8(k)
            .is_ok_and(|k| urval_ingest::personal::check_personnummer(k).is_ok())
        {
            pnr += 1;
        }
    }
    n > 0 && 2 * pnr > n
}
