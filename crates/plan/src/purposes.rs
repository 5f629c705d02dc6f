//! Several purposes in one request (`urval plan --purposes purposes.toml`): the purposes
//! file, the domain counts it needs from the plan's one pass, the requirements it gives the
//! design math (`urval_design::joint_allocate`, Bethel–Chromy) and the evidence plan.json
//! records for each purpose.
//!
//! The purposes file (TOML), one `[[purpose]]` table each:
//!
//! | key | meaning |
//! |---|---|
//! | `name` | unique; letters, digits, `_` and `-` |
//! | `label_sv`, `label_en` | the report's words for it |
//! | `population` | the domain, an expression like `--where` (default: every record) |
//! | `kind` | `share` (default) or `attribute` |
//! | `proportion` | a share's anticipated value (default 0.5), or: |
//! | `from`, `indicator`, `prior_records` | per-stratum values from an `urval indicators` table, shrunk toward its overall value with `prior_records` pseudo-records (default 10) |
//! | `margin`, `relative` | the margin E (absolute; with `relative = true`, E·p) |
//! | `confidence` | default 0.95 |
//! | `level` | `overall` (default), `stratum`, or a column: the margin holds for every value of it |
//! | `tolerable_rate`, `expected_deviations` | an attribute purpose: show the rate below T, allowing K deviations (default 0) |
//! | `response_rate` | the share of requested records expected to come back answered (default 1): the purpose counts r·n_h of them |
//! | `model`, `min_per_area` | `model = "small-area"`: every value of the level column is sized for its model-based estimate from last year's table (`from`, `indicator`), each keeping `min_per_area` records (default 5); [`crate::small_area`] |
//!
//! `from` is read relative to the purposes file's folder.

use crate::error::{Context, OpsError, Result};
use crate::plan_error::PlanError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_design::{DomainCell, Requirement};

use crate::proportion::read_table;
pub use crate::proportion::{shrunk, Proportion, DEFAULT_PRIOR_RECORDS};

/// What a purpose asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PurposeKind {
    /// Estimate a share to ±E.
    #[default]
    Share,
    /// Show that a deviation rate is below T.
    Attribute,
}

/// One `[[purpose]]` as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PurposeDef {
    /// Unique name.
    pub name: String,
    /// Swedish label.
    #[serde(default)]
    pub label_sv: Option<String>,
    /// English label.
    #[serde(default)]
    pub label_en: Option<String>,
    /// The domain expression.
    #[serde(default)]
    pub population: Option<String>,
    /// share or attribute.
    #[serde(default)]
    pub kind: PurposeKind,
    /// The anticipated share.
    #[serde(default)]
    pub proportion: Option<f64>,
    /// An `urval indicators` table with last year's values.
    #[serde(default)]
    pub from: Option<String>,
    /// The indicator of `from`.
    #[serde(default)]
    pub indicator: Option<String>,
    /// The shrinkage's prior strength in records.
    #[serde(default)]
    pub prior_records: Option<f64>,
    /// The margin E.
    #[serde(default)]
    pub margin: Option<f64>,
    /// E is relative to the share.
    #[serde(default)]
    pub relative: bool,
    /// The confidence.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// overall, stratum or a column.
    #[serde(default)]
    pub level: Option<String>,
    /// T of an attribute purpose.
    #[serde(default)]
    pub tolerable_rate: Option<f64>,
    /// K of an attribute purpose.
    #[serde(default)]
    pub expected_deviations: Option<u64>,
    /// The share of requested records expected to be answered (default 1).
    #[serde(default)]
    pub response_rate: Option<f64>,
    /// `small-area`: size every value of the level column for its model-based estimate
    /// ([`crate::small_area`]).
    #[serde(default)]
    pub model: Option<String>,
    /// A small-area purpose: the records every area keeps (default 5).
    #[serde(default)]
    pub min_per_area: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposesToml {
    purpose: Vec<PurposeDef>,
}

/// Where a purpose's margin must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// The whole domain.
    Overall,
    /// Every stratum.
    Stratum,
    /// Every value of a column.
    Column(String),
}

impl Level {
    /// As written in plan.json.
    pub fn name(&self) -> String {
        match self {
            Level::Overall => "overall".into(),
            Level::Stratum => "stratum".into(),
            Level::Column(c) => c.clone(),
        }
    }
}

/// A purpose checked, with its table of last year's values read.
#[derive(Debug, Clone)]
pub struct Purpose {
    /// As written.
    pub def: PurposeDef,
    /// The domain filter.
    pub population: Option<urval_ingest::Filter>,
    /// Where the margin holds.
    pub level: Level,
    /// Confidence.
    pub confidence: f64,
    /// The given share, or the table's rows.
    pub proportion: Proportion,
    /// A small-area purpose: last year's model.
    pub model: Option<crate::small_area::AreaModel>,
}

/// The purposes of a file.
#[derive(Debug, Clone)]
pub struct Purposes {
    /// The file as given (recorded in plan.json).
    pub file: String,
    /// The purposes, in file order.
    pub list: Vec<Purpose>,
}

/// The range of a rate, in words.
const BETWEEN: &str = "between 0 and 1";

/// A purpose's number out of its range.
fn out_of_range(who: String, field: &'static str, range: &'static str, got: f64) -> OpsError {
    PlanError::OutOfRange {
        who,
        field,
        range,
        got,
    }
    .into()
}

fn rate_in(v: f64, lo_open: f64, hi_open: f64) -> bool {
    v.is_finite() && v > lo_open && v < hi_open
}

/// Read and check a purposes file.
///
/// # Errors
/// The file cannot be read or parsed (the TOML error names the line), a name is repeated
/// or empty, a field does not belong to the purpose's kind, a value is out of range, a
/// population expression does not parse, or a `from` table cannot be read or lacks the
/// indicator.
pub fn load(path: &Path) -> Result<Purposes> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the purposes file {}", path.display()))?;
    let parsed: PurposesToml = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().trim();
        let hint = !(message.contains("unknown field") || message.contains("missing field"));
        PlanError::NotAPurposesFile {
            path: path.to_path_buf(),
            line,
            message: message.to_string(),
            hint,
        }
    })?;
    if parsed.purpose.is_empty() {
        return Err(PlanError::NoPurposes {
            path: path.to_path_buf(),
        }
        .into());
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let mut list = Vec::new();
    for def in parsed.purpose {
        let who = format!("{}: purpose {:?}", path.display(), def.name);
        if def.name.is_empty()
            || !def
                .name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(PlanError::BadPurposeName { who }.into());
        }
        if !seen.insert(def.name.clone()) {
            return Err(PlanError::DuplicateName { who }.into());
        }
        let confidence = def.confidence.unwrap_or(0.95);
        if let Some(r) = def.response_rate {
            if !(r.is_finite() && r > 0.0 && r <= 1.0) {
                return Err(out_of_range(
                    who,
                    "response_rate",
                    "above 0 and at most 1",
                    r,
                ));
            }
        }
        if !rate_in(confidence, 0.0, 1.0) {
            return Err(out_of_range(who, "confidence", BETWEEN, confidence));
        }
        let level = match def.level.as_deref() {
            None | Some("overall") => Level::Overall,
            Some("stratum") => Level::Stratum,
            Some("") => return Err(PlanError::EmptyLevel { who }.into()),
            Some(c) => Level::Column(c.to_string()),
        };
        let population = def
            .population
            .as_deref()
            .map(urval_ingest::Filter::parse)
            .transpose()
            .with_context(|| format!("{who}: population"))?;
        let model = model_of(&def, &who, &dir, &level)?;
        let proportion = match def.kind {
            PurposeKind::Share => {
                if def.tolerable_rate.is_some() || def.expected_deviations.is_some() {
                    return Err(PlanError::AttributeFieldsInShare { who }.into());
                }
                let Some(e) = def.margin else {
                    return Err(PlanError::ShareWithoutMargin { who }.into());
                };
                if !rate_in(e, 0.0, 1.0) {
                    return Err(out_of_range(who, "margin", BETWEEN, e));
                }
                match (def.proportion, &def.from, &def.indicator) {
                    _ if model.is_some() => {
                        Proportion::Given(model.as_ref().map_or(0.5, |m| m.synthetic))
                    }
                    (Some(_), Some(_), _) => {
                        return Err(PlanError::ProportionAndFrom { who }.into());
                    }
                    (p, None, None) => {
                        let p = p.unwrap_or(0.5);
                        if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                            return Err(out_of_range(who, "proportion", BETWEEN, p));
                        }
                        if def.relative && p <= 0.0 {
                            return Err(PlanError::RelativeWithoutProportion { who }.into());
                        }
                        Proportion::Given(p)
                    }
                    (None, Some(f), Some(ind)) => {
                        let prior = def.prior_records.unwrap_or(DEFAULT_PRIOR_RECORDS);
                        if !(prior.is_finite() && prior > 0.0) {
                            return Err(out_of_range(who, "prior_records", "above 0", prior));
                        }
                        read_table(&dir.join(f), f, ind, prior)
                            .with_context(|| format!("{who}: from"))?
                    }
                    _ => return Err(PlanError::FromWithoutIndicator { who }.into()),
                }
            }
            PurposeKind::Attribute => {
                if def.margin.is_some() || def.proportion.is_some() || def.from.is_some() {
                    return Err(PlanError::ShareFieldsInAttribute { who }.into());
                }
                let Some(t) = def.tolerable_rate else {
                    return Err(PlanError::AttributeWithoutTolerableRate { who }.into());
                };
                if !rate_in(t, 0.0, 1.0) {
                    return Err(out_of_range(who, "tolerable_rate", BETWEEN, t));
                }
                Proportion::Given(t)
            }
        };
        list.push(Purpose {
            def,
            population,
            level,
            confidence,
            proportion,
            model,
        });
    }
    Ok(Purposes {
        file: path.display().to_string(),
        list,
    })
}

/// The one purpose of `urval plan --small-area COL --last-year FILE --indicator NAME
/// --margin E`: every value of `column` sized for its model-based estimate of `indicator`
/// (named after it), over the plan's population; `table` is read from the working
/// directory. plan.json names it `--small-area COL` where a purposes file names its file.
///
/// # Errors
/// As a `model = "small-area"` purpose of a purposes file.
pub fn small_area(
    column: &str,
    table: &Path,
    indicator: &str,
    margin: f64,
    confidence: f64,
    min_per_area: u64,
) -> Result<Purposes> {
    let def = PurposeDef {
        name: indicator.to_string(),
        from: Some(table.display().to_string()),
        indicator: Some(indicator.to_string()),
        margin: Some(margin),
        confidence: Some(confidence),
        level: Some(column.to_string()),
        model: Some(crate::small_area::MODEL.to_string()),
        min_per_area: Some(min_per_area),
        ..PurposeDef::default()
    };
    let level = Level::Column(column.to_string());
    let who = format!("--small-area {column}");
    let model = model_of(&def, &who, Path::new(""), &level)?;
    Ok(Purposes {
        file: who,
        list: vec![Purpose {
            proportion: Proportion::Given(model.as_ref().map_or(0.5, |m| m.synthetic)),
            def,
            population: None,
            level,
            confidence,
            model,
        }],
    })
}

/// A purpose's `model`: checked against the rest of it, and last year's table fitted.
///
/// # Errors
/// A model other than `small-area`, or one on a purpose that is not a share of every value
/// of a column with an absolute margin and last year's table; the table cannot be fitted.
fn model_of(
    def: &PurposeDef,
    who: &str,
    dir: &Path,
    level: &Level,
) -> Result<Option<crate::small_area::AreaModel>> {
    let Some(model) = def.model.as_deref() else {
        if def.min_per_area.is_some() {
            return Err(PlanError::MinPerAreaWithoutModel { who: who.into() }.into());
        }
        return Ok(None);
    };
    if model != crate::small_area::MODEL {
        return Err(PlanError::UnknownModel {
            who: who.into(),
            model: model.into(),
        }
        .into());
    }
    let Level::Column(column) = level else {
        return Err(PlanError::SmallAreaWithoutLevel { who: who.into() }.into());
    };
    if def.kind != PurposeKind::Share || def.relative || def.proportion.is_some() {
        return Err(PlanError::SmallAreaNotATableShare { who: who.into() }.into());
    }
    let (Some(from), Some(indicator)) = (&def.from, &def.indicator) else {
        return Err(PlanError::SmallAreaWithoutTable {
            who: who.into(),
            column: column.clone(),
        }
        .into());
    };
    let min = def
        .min_per_area
        .unwrap_or(crate::small_area::DEFAULT_MIN_PER_AREA);
    if min == 0 {
        return Err(PlanError::NoRecordsPerArea { who: who.into() }.into());
    }
    crate::small_area::fit_last_year(&dir.join(from), from, indicator, column, min)
        .with_context(|| format!("{who}: from"))
        .map(Some)
}

/// What the census counts for one purpose: its domain filter and the column whose values
/// are its groups (a `level` column), per stratum.
#[derive(Debug, Clone)]
pub struct DomainSpec {
    /// The domain.
    pub filter: Option<urval_ingest::Filter>,
    /// The group column.
    pub group: Option<String>,
}

/// Per purpose: (stratum values, group value) → records of the domain.
pub type DomainCounts = BTreeMap<(Vec<String>, String), u64>;

/// The census's domain specs of the purposes.
pub fn domain_specs(p: &Purposes) -> Vec<DomainSpec> {
    p.list
        .iter()
        .map(|x| DomainSpec {
            filter: x.population.clone(),
            group: match &x.level {
                Level::Column(c) => Some(c.clone()),
                _ => None,
            },
        })
        .collect()
}

/// The requirements of one purpose over the plan's strata (in plan order).
pub struct PurposeRequirements {
    /// Requirements (design math form).
    pub requirements: Vec<Requirement>,
    /// The domain's records N_d.
    pub domain_population: u64,
    /// The anticipated share over the domain (T of an attribute purpose).
    pub proportion: f64,
    /// The margin asked (for a relative margin, E·p; for an attribute purpose the margin
    /// equivalent to its size, below).
    pub target: f64,
    /// An attribute purpose: the hypergeometric sample size n_A of the whole domain.
    pub attribute_n: Option<u64>,
    /// A small-area purpose: the margins its areas' direct estimates must have.
    pub model: Option<crate::small_area::AreaMargins>,
    /// A small-area purpose: the same areas at the margin E for their direct estimates
    /// (what direct precision per area would ask, for comparison).
    pub direct: Vec<Requirement>,
}

/// Build one purpose's requirements.
///
/// A share: for every group (the whole domain, each stratum, or each value of the level
/// column), A_h from `urval_design::domain_share_terms` with the group's domain counts and
/// p_h, and the margin E (or E·p_d). An attribute purpose: the exact single-stage size n_A
/// for the group's N_d (`urval_design::attribute_size`, hypergeometric, K allowed
/// deviations), turned into the requirement that the stratified estimate at p = T be as
/// precise as a simple random sample of n_A records of the domain:
/// V(n) ≤ S_T²(1/n_A − 1/N_d) — Kish's effective sample size (Kish 1965, *Survey
/// Sampling*, §8.2); for a proportional allocation within the domain that is n_d ≥ n_A.
///
/// # Errors
/// An attribute purpose the hypergeometric plan cannot meet (⌈T·N_d⌉ ≤ K), or shares from a
/// table by a non-strata column.
pub fn requirements(
    index: usize,
    p: &Purpose,
    strata_cols: &[String],
    strata: &[(Vec<String>, u64)],
    counts: &DomainCounts,
) -> Result<PurposeRequirements> {
    let stratum_index: BTreeMap<&Vec<String>, usize> =
        strata.iter().enumerate().map(|(i, s)| (&s.0, i)).collect();
    let mut props = Vec::with_capacity(strata.len());
    for (values, _) in strata {
        props.push(p.proportion.for_stratum(strata_cols, values)?);
    }
    // Group → cells.
    let mut groups: BTreeMap<String, Vec<DomainCell>> = BTreeMap::new();
    for ((values, g), &n) in counts {
        let Some(&h) = stratum_index.get(values) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let key = match &p.level {
            Level::Overall => String::new(),
            Level::Stratum => values.join(" / "),
            Level::Column(_) => g.clone(),
        };
        groups.entry(key).or_default().push(DomainCell {
            stratum: h,
            population: strata[h].1,
            domain: n,
            proportion: props[h],
        });
    }
    let model = match &p.model {
        Some(m) => Some(m.margins(&mut groups, p.def.margin.unwrap_or(0.0), p.confidence)?),
        None => None,
    };
    let z = urval_design::z_two_sided(p.confidence);
    let domain_population: u64 = counts.values().sum();
    let all_cells: Vec<DomainCell> = groups.values().flatten().copied().collect();
    let pd = weighted(&all_cells);
    let mut out = Vec::new();
    let mut direct = Vec::new();
    let mut attribute_n = None;
    let mut target = 0.0;
    for (g, cells) in &groups {
        let group = (p.level != Level::Overall).then(|| g.clone());
        let (cells, margin) = match p.def.kind {
            PurposeKind::Share => {
                let e = p.def.margin.unwrap_or(0.0);
                let margin = if p.def.relative {
                    e * weighted(cells)
                } else {
                    model
                        .as_ref()
                        .and_then(|m| m.margins.get(g).copied())
                        .unwrap_or(e)
                };
                (cells.clone(), margin)
            }
            PurposeKind::Attribute => {
                let t = p.def.tolerable_rate.unwrap_or(0.0);
                let nd: u64 = cells.iter().map(|c| c.domain).sum();
                let size = urval_design::attribute_size(&urval_design::AttributeSpec {
                    tolerable_rate: t,
                    expected: urval_design::Expected::Deviations(
                        p.def.expected_deviations.unwrap_or(0),
                    ),
                    confidence: p.confidence,
                    population: Some(nd),
                    likelihood: None,
                })
                .with_context(|| {
                    format!(
                        "purpose {:?}{}: {nd} records in the domain",
                        p.def.name,
                        group
                            .as_ref()
                            .map(|g| format!(" ({g})"))
                            .unwrap_or_default()
                    )
                })?;
                let s2 = urval_design::stratum_variance(nd, t);
                let v = s2 * (1.0 / size.n.min(nd) as f64 - 1.0 / nd as f64);
                if p.level == Level::Overall {
                    attribute_n = Some(size.n);
                }
                let cells: Vec<DomainCell> = cells
                    .iter()
                    .map(|c| DomainCell {
                        proportion: t,
                        ..*c
                    })
                    .collect();
                (cells, z * v.max(0.0).sqrt())
            }
        };
        if group.is_none() {
            target = margin;
        } else {
            target = f64::max(target, margin);
        }
        let requirement = Requirement {
            purpose: index,
            group,
            terms: urval_design::domain_share_terms(&cells),
            z,
            margin,
            response: p.def.response_rate.unwrap_or(1.0),
        };
        if model.is_some() {
            direct.push(Requirement {
                margin: p.def.margin.unwrap_or(0.0),
                ..requirement.clone()
            });
        }
        out.push(requirement);
    }
    if p.level != Level::Overall && p.def.kind == PurposeKind::Share && !p.def.relative {
        target = p.def.margin.unwrap_or(0.0);
    }
    Ok(PurposeRequirements {
        requirements: out,
        domain_population,
        proportion: match p.def.kind {
            PurposeKind::Share => pd,
            PurposeKind::Attribute => p.def.tolerable_rate.unwrap_or(0.0),
        },
        target,
        attribute_n,
        model,
        direct,
    })
}

/// The domain's share: Σ N_dh p_dh / Σ N_dh (exactly p when every stratum has the same p).
fn weighted(cells: &[DomainCell]) -> f64 {
    if let Some(first) = cells.first() {
        if cells.iter().all(|c| c.proportion == first.proportion) {
            return first.proportion;
        }
    }
    let n: f64 = cells.iter().map(|c| c.domain as f64).sum();
    if n <= 0.0 {
        return 0.0;
    }
    cells
        .iter()
        .map(|c| c.domain as f64 * c.proportion)
        .sum::<f64>()
        / n
}

/// The cost basis of a joint allocation (`--cost`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CostBasis {
    /// c_h = 1: fewest records.
    #[default]
    Records,
    /// c_h = the stratum's mean pages per record: fewest pages.
    Pages,
    /// c_h from a CSV with the strata columns and `cost` (as given, and where it is read).
    File(String, PathBuf),
}

impl CostBasis {
    /// As written in plan.json: `records`, `pages` or the file as given.
    pub fn name(&self) -> String {
        match self {
            CostBasis::Records => "records".into(),
            CostBasis::Pages => "pages".into(),
            CostBasis::File(given, _) => given.clone(),
        }
    }

    /// `records`, `pages`, or a CSV file (`given`, read at `path`).
    pub fn parse(given: &str, path: PathBuf) -> CostBasis {
        match given {
            "records" => CostBasis::Records,
            "pages" => CostBasis::Pages,
            _ => CostBasis::File(given.to_string(), path),
        }
    }
}

/// Costs per stratum from a CSV (`,` or `;`, a BOM tolerated) with the strata columns and a
/// `cost` column (a positive number, decimal comma or point).
///
/// # Errors
/// The file cannot be read, lacks a column, has a cost that is not a positive number, or
/// lacks a stratum of the plan (the first few named).
fn read_costs(
    given: &str,
    path: &Path,
    strata_cols: &[String],
    strata: &[SizingStratum],
) -> Result<Vec<f64>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the cost file {given}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let head: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{given}: cannot read the header"))?
        .iter()
        .map(String::from)
        .collect();
    let at = |c: &str| head.iter().position(|h| h == c);
    let Some(ic) = at("cost") else {
        return Err(PlanError::CostFileMissingColumn {
            given: given.to_string(),
            column: "cost".to_string(),
            strata_columns: strata_cols.to_vec(),
        }
        .into());
    };
    let mut idx = Vec::new();
    for c in strata_cols {
        let Some(i) = at(c) else {
            return Err(PlanError::CostFileMissingColumn {
                given: given.to_string(),
                column: c.clone(),
                strata_columns: strata_cols.to_vec(),
            }
            .into());
        };
        idx.push(i);
    }
    let mut costs: BTreeMap<Vec<String>, f64> = BTreeMap::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{given}: line {}", line + 2))?;
        let key: Vec<String> = idx
            .iter()
            .map(|&i| rec.get(i).unwrap_or("").to_string())
            .collect();
        let raw = rec.get(ic).unwrap_or("");
        let c = crate::text::parse_f64(raw)
            .ok()
            .filter(|c| c.is_finite() && *c > 0.0);
        let Some(c) = c else {
            return Err(PlanError::BadCost {
                given: given.to_string(),
                line: line + 2,
                raw: raw.to_string(),
            }
            .into());
        };
        costs.insert(key, c);
    }
    let missing: Vec<String> = strata
        .iter()
        .filter(|s| !costs.contains_key(&s.values))
        .map(|s| s.values.join(" / "))
        .collect();
    if !missing.is_empty() {
        return Err(PlanError::MissingCosts {
            given: given.to_string(),
            count: missing.len(),
            examples: missing.iter().take(3).cloned().collect(),
        }
        .into());
    }
    Ok(strata.iter().map(|s| costs[&s.values]).collect())
}

/// A purposes file resolved for the plan: the file, where `from` tables are read.
#[derive(Debug, Clone)]
pub struct PurposesRequest {
    /// The purposes.
    pub purposes: Purposes,
    /// The cost basis.
    pub cost: CostBasis,
}

/// The path of a purposes file's `from` table (for error messages and the run manifest).
pub fn table_paths(file: &Path, p: &Purposes) -> Vec<PathBuf> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    p.list
        .iter()
        .filter_map(|x| x.def.from.as_ref().map(|f| dir.join(f)))
        .collect()
}

/// One stratum as the joint sizing sees it.
#[derive(Debug, Clone)]
pub struct SizingStratum {
    /// Its values of the strata columns.
    pub values: Vec<String>,
    /// N_h.
    pub population: u64,
    /// Its mean pages per record, when measured.
    pub mean_pages: Option<f64>,
}

/// The joint plan: records per stratum and the evidence.
#[derive(Debug, Clone)]
pub struct Sized {
    /// The design math's answer.
    pub joint: urval_design::JointAllocation,
    /// plan.json's `design.purposes`.
    pub plan: crate::artifacts::PurposesPlan,
    /// Per stratum: the first of `binding_purposes`.
    pub binding_purpose: Vec<Option<String>>,
    /// Per stratum: every purpose that fails with one record fewer in it, or that took it
    /// whole because it cannot be met.
    pub binding_purposes: Vec<Vec<String>>,
    /// Per stratum: each purpose's margin within it.
    pub purpose_margins: Vec<BTreeMap<String, f64>>,
    /// The requirements, for the record.
    pub requirements: Vec<Requirement>,
}

/// The nodes the exhaustive search of `urval_design::joint_allocate` may visit.
pub const SEARCH_NODES: u64 = 2_000_000;

/// The cost c_h of a record of each stratum: 1 (`records`), a file's costs, or the
/// stratum's mean pages (`pages`: a stratum without pages measured at the overall mean, a
/// stratum of empty records at a thousandth of a page at least).
///
/// # Errors
/// `--cost pages` without pages, or a costs file that cannot be read.
fn costs(
    req: &PurposesRequest,
    strata_cols: &[String],
    strata: &[SizingStratum],
) -> Result<Vec<f64>> {
    Ok(match &req.cost {
        CostBasis::Records => vec![1.0; strata.len()],
        CostBasis::File(given, path) => read_costs(given, path, strata_cols, strata)?,
        CostBasis::Pages => {
            let (sum, n) = strata
                .iter()
                .filter_map(|s| {
                    s.mean_pages
                        .map(|m| (m * s.population as f64, s.population))
                })
                .fold((0.0, 0u64), |(a, b), (m, n)| (a + m, b + n));
            if n == 0 {
                return Err(PlanError::PagesCostWithoutPages.into());
            }
            let overall = sum / n as f64;
            strata
                .iter()
                .map(|s| {
                    let m = s.mean_pages.unwrap_or(overall);
                    if m > 0.0 {
                        m
                    } else {
                        overall.max(1e-3)
                    }
                })
                .collect()
        }
    })
}

/// Every purpose's requirements ([`requirements`]), each purpose needing records in its
/// population: all of them in one list, and per purpose.
fn all_requirements(
    req: &PurposesRequest,
    strata_cols: &[String],
    strata: &[SizingStratum],
    counts: &[DomainCounts],
) -> Result<(Vec<Requirement>, Vec<PurposeRequirements>)> {
    let keyed: Vec<(Vec<String>, u64)> = strata
        .iter()
        .map(|s| (s.values.clone(), s.population))
        .collect();
    let mut all = Vec::new();
    let mut built = Vec::new();
    for (k, p) in req.purposes.list.iter().enumerate() {
        let r = requirements(k, p, strata_cols, &keyed, &counts[k])?;
        if r.domain_population == 0 {
            return Err(PlanError::EmptyPurposePopulation {
                purpose: p.def.name.clone(),
                population: p.def.population.as_ref().map(|e| e.to_string()),
                hint: "check the expression and its values".to_string(),
            }
            .into());
        }
        all.extend(r.requirements.iter().cloned());
        built.push(r);
    }
    Ok((all, built))
}

/// Per stratum, the purposes that fail with one record fewer there (or that took it whole),
/// in the purposes' order (`JointAllocation::binding_requirements`).
fn binding_purposes(
    req: &PurposesRequest,
    joint: &urval_design::JointAllocation,
    all: &[Requirement],
) -> Vec<Vec<String>> {
    joint
        .binding_requirements
        .iter()
        .map(|ks| {
            let mut ps: Vec<usize> = ks.iter().map(|&k| all[k].purpose).collect();
            ps.sort_unstable();
            ps.dedup();
            ps.into_iter()
                .map(|k| req.purposes.list[k].def.name.clone())
                .collect()
        })
        .collect()
}

/// What the joint plan achieves for purpose `k` (`p`, its requirements `r`, `idx` theirs
/// among all), beside what it alone would need (`alone`) and how many strata it binds.
fn purpose_result(
    (p, r): (&Purpose, &PurposeRequirements),
    idx: &[usize],
    joint: &urval_design::JointAllocation,
    all: &[Requirement],
    (alone, direct): (urval_design::Burden, Option<urval_design::Burden>),
    binds_strata: u64,
) -> crate::artifacts::PurposeResult {
    let direct_achieved = idx
        .iter()
        .map(|&i| joint.achieved[i])
        .try_fold(0.0f64, |m, a| a.map(|a| m.max(a)));
    let model = p
        .model
        .as_ref()
        .zip(r.model.as_ref())
        .zip(direct)
        .map(|((m, margins), direct)| {
            let per_area: Vec<(String, Option<f64>)> = idx
                .iter()
                .map(|&i| (all[i].group.clone().unwrap_or_default(), joint.achieved[i]))
                .collect();
            crate::artifacts::ModelSizing {
                model: crate::small_area::MODEL.to_string(),
                method: crate::small_area::METHOD.to_string(),
                table: m.file.clone(),
                indicator: m.indicator.clone(),
                sigma2: m.sigma2,
                v_beta: margins.v_beta,
                areas: margins.margins.len() as u64,
                synthetic_areas: margins.synthetic as u64,
                areas_at_floor: margins.at_floor as u64,
                min_per_area: m.min_per_area,
                achieved: m.achieved(&per_area, p.confidence),
                direct_total: direct.records,
                direct_pages: direct.pages,
                direct_working_days: direct.working_days,
                assumption: m.assumption(),
            }
        });
    let achieved = match &model {
        Some(m) => m.achieved,
        None => direct_achieved,
    };
    crate::artifacts::PurposeResult {
        name: p.def.name.clone(),
        label_sv: p.def.label_sv.clone(),
        label_en: p.def.label_en.clone(),
        kind: match p.def.kind {
            PurposeKind::Share => "share",
            PurposeKind::Attribute => "attribute",
        }
        .to_string(),
        level: p.level.name(),
        population: p.def.population.clone(),
        domain_population: r.domain_population,
        confidence: p.confidence,
        proportion: r.proportion,
        proportion_source: match p.def.kind {
            PurposeKind::Share => p.proportion.source(),
            PurposeKind::Attribute => "tolerable_rate".to_string(),
        },
        relative: p.def.relative,
        target: r.target,
        tolerable_rate: p.def.tolerable_rate,
        expected_deviations: match p.def.kind {
            PurposeKind::Attribute => Some(p.def.expected_deviations.unwrap_or(0)),
            PurposeKind::Share => None,
        },
        attribute_n: r.attribute_n,
        groups: idx.len() as u64,
        achieved,
        met: idx.iter().all(|&i| joint.met[i]),
        unreachable_groups: idx
            .iter()
            .filter(|&&i| joint.unreachable[i])
            .map(|&i| all[i].group.clone().unwrap_or_else(|| "overall".into()))
            .collect(),
        alone_total: alone.records,
        alone_pages: alone.pages,
        alone_working_days: alone.working_days,
        binds_strata,
        model,
    }
}

/// Each purpose's margin within each stratum: its domain there, all groups together, at the
/// stratum's records (`counts`: the joint plan's n_h).
fn purpose_margins(
    req: &PurposesRequest,
    strata_cols: &[String],
    strata: &[SizingStratum],
    domains: &[DomainCounts],
    counts: &[u64],
) -> Result<Vec<BTreeMap<String, f64>>> {
    let mut purpose_margins = vec![BTreeMap::new(); strata.len()];
    for (k, p) in req.purposes.list.iter().enumerate() {
        let z = urval_design::z_two_sided(p.confidence);
        let mut per: BTreeMap<&Vec<String>, u64> = BTreeMap::new();
        for ((values, _), &n) in &domains[k] {
            *per.entry(values).or_default() += n;
        }
        for (h, s) in strata.iter().enumerate() {
            let Some(&nd) = per.get(&s.values) else {
                continue;
            };
            let n = counts[h];
            if nd == 0 || n == 0 {
                continue;
            }
            let prop = match p.def.kind {
                PurposeKind::Share => p.proportion.for_stratum(strata_cols, &s.values)?,
                PurposeKind::Attribute => p.def.tolerable_rate.unwrap_or(0.0),
            };
            let terms = urval_design::domain_share_terms(&[DomainCell {
                stratum: 0,
                population: s.population,
                domain: nd,
                proportion: prop,
            }]);
            let a: f64 = terms.iter().map(|t| t.1).sum();
            let v = a * (1.0 / n as f64 - 1.0 / s.population as f64);
            purpose_margins[h].insert(p.def.name.clone(), z * v.max(0.0).sqrt());
        }
    }
    Ok(purpose_margins)
}

/// Size the plan for every purpose at once (module doc; `urval_design::joint_allocate`).
///
/// # Errors
/// `--cost pages` without pages, an attribute purpose that cannot be met, a table by a
/// non-strata column, or a purpose with no records in its domain.
#[allow(clippy::too_many_arguments)]
pub fn size(
    req: &PurposesRequest,
    strata_cols: &[String],
    strata: &[SizingStratum],
    counts: &[DomainCounts],
    min: u64,
    max: Option<u64>,
    rates: &urval_design::BurdenRates,
) -> Result<Sized> {
    let populations: Vec<u64> = strata.iter().map(|s| s.population).collect();
    let costs = costs(req, strata_cols, strata)?;
    let (all, built) = all_requirements(req, strata_cols, strata, counts)?;
    let lo: Vec<u64> = populations.iter().map(|&n| min.min(n)).collect();
    let hi: Vec<u64> = populations
        .iter()
        .map(|&n| max.unwrap_or(n).min(n))
        .collect();
    let spec = |reqs: Vec<Requirement>| urval_design::JointSpec {
        populations: populations.clone(),
        costs: costs.clone(),
        lo: lo.clone(),
        hi: hi.clone(),
        requirements: reqs,
        search_nodes: SEARCH_NODES,
    };
    let joint = urval_design::joint_allocate(&spec(all.clone()));
    let burden_of = |counts: &[u64]| {
        crate::burden::sum_burden(
            strata.iter().zip(counts).map(|(s, &n)| {
                let b = crate::burden::stratum_burden(n, s.mean_pages, rates);
                (n, b.pages, b.working_days)
            }),
            rates,
        )
    };
    let binding_purposes = binding_purposes(req, &joint, &all);
    let binding_purpose: Vec<Option<String>> = binding_purposes
        .iter()
        .map(|b| b.first().cloned())
        .collect();
    let mut results = Vec::new();
    for (k, (p, r)) in req.purposes.list.iter().zip(&built).enumerate() {
        let idx: Vec<usize> = (0..all.len()).filter(|&i| all[i].purpose == k).collect();
        let alone = urval_design::joint_allocate(&spec(r.requirements.clone()));
        // A small-area purpose: the whole request with its areas at direct precision.
        let direct = (!r.direct.is_empty()).then(|| {
            let mut reqs: Vec<Requirement> =
                all.iter().filter(|q| q.purpose != k).cloned().collect();
            reqs.extend(r.direct.iter().cloned());
            burden_of(&urval_design::joint_allocate(&spec(reqs)).counts)
        });
        let binds_strata = binding_purposes
            .iter()
            .filter(|b| b.contains(&p.def.name))
            .count() as u64;
        results.push(purpose_result(
            (p, r),
            &idx,
            &joint,
            &all,
            (burden_of(&alone.counts), direct),
            binds_strata,
        ));
    }
    let purpose_margins = purpose_margins(req, strata_cols, strata, counts, &joint.counts)?;
    let plan = crate::artifacts::PurposesPlan {
        file: req.purposes.file.clone(),
        cost: req.cost.name(),
        method: joint.method.clone(),
        proved_optimal: joint.proved_optimal,
        locally_minimal: joint.locally_minimal,
        cost_total: joint.cost,
        cost_lower_bound: joint.lower_bound,
        purposes: results,
    };
    Ok(Sized {
        joint,
        plan,
        binding_purpose,
        binding_purposes,
        purpose_margins,
        requirements: all,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn shrinkage_keeps_a_small_perfect_stratum_away_from_one() {
        // 3 of 3 heard, overall 75 %, m = 10: (3 + 7.5)/13.
        let p = shrunk(3.0, 1.0, 0.75, 10.0);
        assert!((p - 10.5 / 13.0).abs() < 1e-15);
        assert!(p < 1.0 && p > 0.75);
        // Many records: close to its own value.
        assert!((shrunk(10_000.0, 0.9, 0.5, 10.0) - 0.9).abs() < 1e-3);
    }

    fn table() -> Proportion {
        Proportion::Table {
            file: "förra_året.csv".into(),
            by: vec!["område".into()],
            rows: [
                (vec!["äldre".to_string()], (10.0, 1.0)),
                (vec!["barn".to_string()], (30.0, 0.2)),
            ]
            .into(),
            overall: 0.5,
            prior: 10.0,
        }
    }

    #[test]
    fn a_stratum_takes_its_shrunk_table_value_or_the_overall_one_when_missing() {
        let cols = vec!["kommun".to_string(), "område".to_string()];
        let t = table();
        // (10·1 + 10·0.5)/20 = 0.75; (30·0.2 + 10·0.5)/40 = 0.275.
        let at = |v: &str| {
            t.for_stratum(&cols, &["0180".to_string(), v.to_string()])
                .unwrap_or(f64::NAN)
        };
        assert!((at("äldre") - 0.75).abs() < 1e-15);
        assert!((at("barn") - 0.275).abs() < 1e-15);
        assert_eq!(at("missbruk"), 0.5);
        assert_eq!(
            t.source(),
            "förra_året.csv, shrunk toward its overall value with 10 records"
        );
        assert_eq!(Proportion::Given(0.3).source(), "given");
        assert_eq!(
            Proportion::Given(0.3).for_stratum(&cols, &[]).ok(),
            Some(0.3)
        );
    }

    #[test]
    fn a_table_by_a_column_that_is_not_a_strata_column_says_what_to_run() {
        let e = table()
            .for_stratum(&["kommun".to_string()], &["0180".to_string()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "förra_året.csv is by \"område\", which is not a strata column: a purpose's shares come per stratum; run urval indicators --by with strata columns"
        );
    }

    #[test]
    fn a_domain_share_is_weighted_by_domain_records_unless_all_shares_agree() {
        let cell = |domain, proportion| DomainCell {
            stratum: 0,
            population: 1000,
            domain,
            proportion,
        };
        // (100·0.1 + 300·0.5)/400 = 0.4.
        assert!((weighted(&[cell(100, 0.1), cell(300, 0.5)]) - 0.4).abs() < 1e-15);
        // Equal shares give that share exactly, even on empty domains.
        assert_eq!(weighted(&[cell(0, 0.3), cell(0, 0.3)]), 0.3);
        assert_eq!(weighted(&[cell(0, 0.3), cell(0, 0.7)]), 0.0);
        assert_eq!(weighted(&[]), 0.0);
    }

    #[test]
    fn levels_and_cost_bases_are_named_as_plan_json_writes_them() {
        assert_eq!(Level::Overall.name(), "overall");
        assert_eq!(Level::Stratum.name(), "stratum");
        assert_eq!(Level::Column("kommun".into()).name(), "kommun");
        assert_eq!(
            CostBasis::parse("records", PathBuf::new()),
            CostBasis::Records
        );
        assert_eq!(CostBasis::parse("pages", PathBuf::new()), CostBasis::Pages);
        let f = CostBasis::parse("kostnad.csv", PathBuf::from("/tmp/x/kostnad.csv"));
        assert_eq!(f.name(), "kostnad.csv");
        assert_eq!(
            f,
            CostBasis::File("kostnad.csv".into(), PathBuf::from("/tmp/x/kostnad.csv"))
        );
    }

    fn load_text(name: &str, text: &str) -> (Result<Purposes>, String) {
        let dir =
            std::env::temp_dir().join(format!("urval-plan-purposes-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("purposes.toml");
        std::fs::write(&path, text).expect("write");
        let out = load(&path);
        std::fs::remove_dir_all(&dir).expect("remove");
        (out, path.display().to_string())
    }

    #[test]
    fn purpose_errors_are_typed_with_their_fields() {
        let text = "[[purpose]]\nname = \"a\"\nmargin = 0.05\nresponse_rate = 1.5\n";
        let (r, path) = load_text("typed-rate", text);
        let e = r.map(|_| ()).unwrap_err();
        assert!(
            matches!(
                e.typed::<PlanError>(),
                Some(PlanError::OutOfRange { who, field: "response_rate", got, .. })
                    if *got == 1.5 && *who == format!("{path}: purpose \"a\"")
            ),
            "{e:?}"
        );
        let text =
            "[[purpose]]\nname = \"a\"\nmargin = 0.05\n\n[[purpose]]\nname = \"a\"\nmargin = 0.1\n";
        let (r, _) = load_text("typed-twice", text);
        let e = r.map(|_| ()).unwrap_err();
        assert!(
            matches!(e.typed::<PlanError>(), Some(PlanError::DuplicateName { who }) if who.ends_with("purpose \"a\"")),
            "{e:?}"
        );
        let (r, _) = load_text("typed-toml", "[[purpose]]\nname = \"a\"\nmargin = 0,05\n");
        let e = r.map(|_| ()).unwrap_err();
        assert!(
            matches!(
                e.typed::<PlanError>(),
                Some(PlanError::NotAPurposesFile {
                    line: Some(3),
                    hint: true,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_purpose_name_used_twice_is_refused() {
        let text = "[[purpose]]\nname = \"hörd\"\nmargin = 0.05\n\n[[purpose]]\nname = \"hörd\"\nmargin = 0.1\n";
        let (r, path) = load_text("twice", text);
        assert_eq!(
            r.map(|_| ()).unwrap_err().to_string(),
            format!("{path}: purpose \"hörd\": the name is used twice; give each purpose its own")
        );
    }

    #[test]
    fn a_purpose_file_checks_kinds_and_ranges() {
        let cases = [
            (
                "[[purpose]]\nname = \"a\"\n",
                "purpose \"a\": a share needs margin = E (e.g. 0.05 for ±5 points)",
            ),
            (
                "[[purpose]]\nname = \"a\"\nmargin = 0.05\ntolerable_rate = 0.05\n",
                "purpose \"a\": tolerable_rate and expected_deviations belong to kind = \"attribute\"",
            ),
            (
                "[[purpose]]\nname = \"a\"\nkind = \"attribute\"\n",
                "purpose \"a\": an attribute purpose needs tolerable_rate = T",
            ),
            (
                "[[purpose]]\nname = \"a b\"\nmargin = 0.05\n",
                "purpose \"a b\": a name is letters, digits, _ and - (it names the purpose in plan.json)",
            ),
            (
                "[[purpose]]\nname = \"a\"\nmargin = 0.05\nresponse_rate = 0.0\n",
                "purpose \"a\": response_rate must be above 0 and at most 1, got 0",
            ),
            (
                "[[purpose]]\nname = \"a\"\nmargin = 0.05\nproportion = 0.0\nrelative = true\n",
                "purpose \"a\": a relative margin needs a proportion above 0",
            ),
        ];
        for (i, (text, want)) in cases.iter().enumerate() {
            let (r, path) = load_text(&format!("case{i}"), text);
            assert_eq!(
                r.map(|_| ()).unwrap_err().to_string(),
                format!("{path}: {want}")
            );
        }
        let (r, _) = load_text(
            "ok",
            "[[purpose]]\nname = \"hörd_2\"\nmargin = 0.05\nlevel = \"kommun\"\n",
        );
        let p = r
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.list[0].level, Level::Column("kommun".into()));
        assert_eq!(p.list[0].confidence, 0.95);
        assert!(matches!(p.list[0].proportion, Proportion::Given(x) if x == 0.5));
    }

    fn sizing_strata() -> Vec<SizingStratum> {
        vec![
            SizingStratum {
                values: vec!["aldre".into()],
                population: 300,
                mean_pages: Some(12.0),
            },
            SizingStratum {
                values: vec!["barn".into()],
                population: 100,
                mean_pages: None,
            },
        ]
    }

    fn purposes_request(text: &str, cost: CostBasis) -> PurposesRequest {
        let (r, _) = load_text(&format!("req{}", text.len()), text);
        PurposesRequest {
            purposes: r.unwrap(),
            cost,
        }
    }

    #[test]
    fn costs_are_records_or_mean_pages_with_the_overall_mean_where_unmeasured() {
        let req = purposes_request(
            "[[purpose]]\nname = \"a\"\nmargin = 0.1\n",
            CostBasis::Records,
        );
        let cols = ["area".to_string()];
        assert_eq!(costs(&req, &cols, &sizing_strata()).unwrap(), [1.0, 1.0]);
        let req = PurposesRequest {
            cost: CostBasis::Pages,
            ..req
        };
        assert_eq!(costs(&req, &cols, &sizing_strata()).unwrap(), [12.0, 12.0]);
        let mut unmeasured = sizing_strata();
        unmeasured[0].mean_pages = None;
        let e = costs(&req, &cols, &unmeasured).unwrap_err().to_string();
        assert_eq!(
            e,
            "--cost pages needs --pages-column: the pages of each record"
        );
    }

    #[test]
    fn a_purpose_without_records_in_its_population_is_named() {
        let req = purposes_request(
            "[[purpose]]\nname = \"a\"\nmargin = 0.1\npopulation = \"area = 'x'\"\n",
            CostBasis::Records,
        );
        let cols = ["area".to_string()];
        let e = all_requirements(&req, &cols, &sizing_strata(), &[DomainCounts::new()])
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "purpose \"a\": no records in its population (area = 'x'): check the expression and its values"
        );
        let counts = DomainCounts::from([
            ((vec!["aldre".to_string()], String::new()), 300),
            ((vec!["barn".to_string()], String::new()), 100),
        ]);
        let (all, built) = all_requirements(&req, &cols, &sizing_strata(), &[counts]).unwrap();
        assert_eq!(built[0].domain_population, 400);
        assert_eq!(all.len(), built[0].requirements.len());
    }

    #[test]
    fn a_stratum_binds_each_purpose_once_in_file_order() {
        let req = purposes_request(
            "[[purpose]]\nname = \"a\"\nmargin = 0.1\n[[purpose]]\nname = \"b\"\nmargin = 0.2\n",
            CostBasis::Records,
        );
        let requirement = |purpose| Requirement {
            purpose,
            group: None,
            terms: Vec::new(),
            z: 1.96,
            margin: 0.1,
            response: 1.0,
        };
        let all = [requirement(1), requirement(0), requirement(1)];
        let joint = urval_design::JointAllocation {
            counts: vec![1, 1, 1],
            cost: 3.0,
            continuous: Vec::new(),
            lower_bound: 3.0,
            multipliers: Vec::new(),
            method: String::new(),
            proved_optimal: true,
            met: vec![true; 3],
            achieved: vec![None; 3],
            unreachable: vec![false; 3],
            locally_minimal: true,
            binding: vec![None; 3],
            binding_requirements: vec![vec![2, 0, 1], vec![], vec![2]],
        };
        assert_eq!(
            binding_purposes(&req, &joint, &all),
            [
                vec!["a".to_string(), "b".to_string()],
                vec![],
                vec!["b".to_string()]
            ]
        );
    }
}
