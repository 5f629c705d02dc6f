//! # urval-python — urval for Python
//!
//! The native module `urval._urval` of the Python package `urval` (in `python/urval/`): a
//! thin door onto the operations. Every function reads its request in the form a pipeline
//! step is read in (the operations' serde types and their defaults), calls the same library
//! function the command line calls, and hands back what it wrote and what it found as JSON
//! text; the Python package turns those into typed results and Polars data frames. An
//! extract is a list of paths, or any object with the Arrow C stream interface
//! (`__arrow_c_stream__`: a Polars DataFrame, a pyarrow Table), read as record batches
//! without a copy ([`urval_ingest::Extract::from_batches`]). Errors are `urval.UrvalError`
//! with the command line's message.

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_array::RecordBatch;
use arrow_pyarrow::FromPyArrow;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;
use urval_ingest::Extract;
use urval_ops::artifacts::PlanFile;
use urval_ops::setting::default;

mod prn_expr;

/// Every allocation of the module goes to Polars' allocator (through its capsule; the system's
/// when Polars is not loaded), so a column made here and freed by Polars, or the reverse, stays
/// with one allocator, and memory Polars freed is reused for the next column.
#[global_allocator]
static ALLOC: pyo3_polars::PolarsAllocator = pyo3_polars::PolarsAllocator::new();

pyo3::create_exception!(
    _urval,
    UrvalError,
    PyException,
    "An error of urval: the same message as the command line's."
);

/// An error as a Python exception carrying the library's message (personal identity numbers
/// masked, as the command line prints it).
fn fail(e: impl std::fmt::Display) -> PyErr {
    UrvalError::new_err(urval_ingest::personal::redact(&e.to_string()).into_owned())
}

/// JSON text as a value, or the error naming what was asked.
fn json(text: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(fail)
}

/// A serde request read from a JSON object (the pipeline's form of the command's options).
fn request<T: serde::de::DeserializeOwned>(v: &Value) -> PyResult<T> {
    serde_json::from_value(v.clone()).map_err(fail)
}

/// The value of `key` named as the command line names it (`from_name`), `default` when
/// absent; an unknown name is refused with the names there are.
fn by_name<T>(
    v: &Value,
    key: &str,
    default: &str,
    from_name: fn(&str) -> Option<T>,
    names: &str,
) -> PyResult<T> {
    let name = v.get(key).and_then(Value::as_str).unwrap_or(default);
    from_name(name).ok_or_else(|| fail(format!("{key} {name:?}: give {names}")))
}

/// How an extract is read: the command line's extract flags.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ReadingArgs {
    delimiter: Option<String>,
    encoding: Option<String>,
    sheet: Option<String>,
    skip_unknown: bool,
    date_format: Vec<String>,
    municipality_column: Vec<String>,
    keep_unknown_municipalities: bool,
}

/// The extract: `paths` (files, directories, globs) opened as `urval --extract` opens them,
/// or the record batches of `frame` (an object with `__arrow_c_stream__`) named `name`.
fn extract_of(source: &Bound<'_, PyAny>, name: &str, reading: &str) -> PyResult<Extract> {
    let r: ReadingArgs = serde_json::from_str(reading).map_err(fail)?;
    let values = urval_ops::files::reading(
        &r.date_format,
        &r.municipality_column,
        r.keep_unknown_municipalities,
    )
    .map_err(fail)?;
    if let Ok(paths) = source.extract::<Vec<String>>() {
        if paths.is_empty() {
            return Err(fail(
                "give the extract: a path, a data frame or an Arrow table",
            ));
        }
        let extract = urval_ops::files::open_extract(
            &paths,
            r.delimiter.as_deref(),
            "delimiter",
            r.encoding.as_deref().unwrap_or("auto"),
            r.sheet.clone(),
            r.skip_unknown,
        )
        .map_err(fail)?;
        return Ok(extract.with_reading(values));
    }
    let reader = RecordBatchStreamReader::from_pyarrow_bound(source)?;
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    let batches: Vec<RecordBatch> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("{name}: {e}")))?;
    Ok(Extract::from_batches(name, schema, batches).with_reading(values))
}

/// The sizes of `urval size`: a share's (Cochran) with `margin`, an attribute sample's with
/// `tolerable_rate`; the spec as JSON, the size as JSON.
#[pyfunction]
fn size(spec: &str) -> PyResult<String> {
    let v = json(spec)?;
    let f = |k: &str| v.get(k).and_then(Value::as_f64);
    let u = |k: &str| v.get(k).and_then(Value::as_u64);
    let confidence = f("confidence").unwrap_or_else(default::confidence);
    let out = match (f("margin"), f("tolerable_rate")) {
        (Some(margin), None) => serde_json::to_value(
            urval_design::share_size(&urval_design::ShareSpec {
                margin,
                confidence,
                proportion: f("proportion").unwrap_or_else(default::proportion),
                deff: f("deff").unwrap_or(1.0),
                population: u("population"),
                response_rate: f("response_rate").unwrap_or(1.0),
                relative: v.get("relative").and_then(Value::as_bool).unwrap_or(false),
            })
            .map_err(fail)?,
        ),
        (None, Some(tolerable_rate)) => {
            let expected = match (u("expected_deviations"), f("expected_rate")) {
                (Some(k), None) => urval_design::Expected::Deviations(k),
                (None, Some(r)) => urval_design::Expected::Rate(r),
                (None, None) => urval_design::Expected::Deviations(0),
                _ => return Err(fail("give expected_deviations or expected_rate, not both")),
            };
            let likelihood = match v.get("likelihood") {
                None => None,
                Some(_) => Some(by_name(
                    &v,
                    "likelihood",
                    "",
                    urval_design::Likelihood::from_name,
                    "binomial, hypergeometric or poisson",
                )?),
            };
            serde_json::to_value(
                urval_design::attribute_size(&urval_design::AttributeSpec {
                    tolerable_rate,
                    expected,
                    confidence,
                    population: u("population"),
                    likelihood,
                })
                .map_err(fail)?,
            )
        }
        _ => return Err(fail("give either margin or tolerable_rate")),
    };
    out.map(|o| o.to_string()).map_err(fail)
}

/// `urval evaluate`: the interval, the upper bound and the conclusion for `deviations` found
/// in `sample` reviewed records; the spec as JSON, the evaluation as JSON.
#[pyfunction]
fn evaluate(spec: &str) -> PyResult<String> {
    let v = json(spec)?;
    let method = by_name(
        &v,
        "method",
        "clopper-pearson",
        urval_design::IntervalMethod::from_name,
        "wilson, clopper-pearson or jeffreys",
    )?;
    let e = urval_design::evaluate(&urval_design::EvaluateSpec {
        sample: v.get("sample").and_then(Value::as_u64).unwrap_or(0),
        deviations: v.get("deviations").and_then(Value::as_u64).unwrap_or(0),
        population: v.get("population").and_then(Value::as_u64),
        confidence: v
            .get("confidence")
            .and_then(Value::as_f64)
            .unwrap_or_else(default::confidence),
        method,
        tolerable_rate: v.get("tolerable_rate").and_then(Value::as_f64),
    })
    .map_err(fail)?;
    serde_json::to_string(&e).map_err(fail)
}

/// One stratum of `allocate`'s strata given as rows (`stratum` or `name`, `population`,
/// `proportion`, `cost`, as the command's strata CSV).
#[derive(Deserialize)]
struct StratumRow {
    #[serde(alias = "stratum")]
    name: String,
    population: u64,
    proportion: Option<f64>,
    cost: Option<f64>,
}

/// `urval allocate`: a total or a margin spread over strata, read from `strata_file` (the
/// command's strata CSV) or given as rows; the spec as JSON, the allocation as JSON.
#[pyfunction]
fn allocate(spec: &str) -> PyResult<String> {
    let v = json(spec)?;
    let proportion = v
        .get("proportion")
        .and_then(Value::as_f64)
        .unwrap_or_else(default::proportion);
    let strata = match (
        v.get("strata_file").and_then(Value::as_str),
        v.get("strata"),
    ) {
        (Some(path), _) => {
            urval_ops::strata_file::read_strata(std::path::Path::new(path), proportion)
                .map_err(fail)?
        }
        (None, Some(rows)) => request::<Vec<StratumRow>>(rows)?
            .into_iter()
            .map(|r| urval_design::StratumSpec {
                name: r.name,
                population: r.population,
                proportion: r.proportion.unwrap_or(proportion),
                cost: r.cost.unwrap_or(1.0),
            })
            .collect(),
        (None, None) => return Err(fail("give the strata")),
    };
    let target = match (
        v.get("total").and_then(Value::as_u64),
        v.get("margin").and_then(Value::as_f64),
    ) {
        (Some(n), None) => urval_design::AllocationTarget::Total(n),
        (None, Some(e)) => urval_design::AllocationTarget::Margin(e),
        _ => return Err(fail("give either total or margin")),
    };
    let method = by_name(
        &v,
        "method",
        "proportional",
        urval_design::AllocationMethod::from_name,
        "proportional, neyman, optimal, equal or domain",
    )?;
    let a = urval_design::allocate(&urval_design::AllocationSpec {
        strata,
        target,
        method,
        confidence: v
            .get("confidence")
            .and_then(Value::as_f64)
            .unwrap_or_else(default::confidence),
        min: v.get("min").and_then(Value::as_u64),
        max: v.get("max").and_then(Value::as_u64),
    })
    .map_err(fail)?;
    serde_json::to_string(&a).map_err(fail)
}

/// The options every command that reads an extract shares, beside its request.
#[derive(Deserialize)]
struct Common {
    #[serde(default)]
    personal: Vec<String>,
    #[serde(default = "default::max_quarantine")]
    max_quarantine: f64,
    output: PathBuf,
}

/// The plan request of `request_json`: the plan step's keys of a pipeline with `key`, the
/// burden rates, `personal`, `max_quarantine` and `output` (the library's defaults for what
/// is not given).
fn plan_request(request_json: &str) -> PyResult<urval_ops::plan::PlanRequest> {
    let v = json(request_json)?;
    let common: Common = request(&v)?;
    let mut req: urval_ops::plan::PlanRequest = request(&v)?;
    let staging: urval_ops::plan::Staging = request(&v)?;
    let f = |k: &str| v.get(k).and_then(Value::as_f64);
    let d = urval_design::BurdenRates::default();
    req.rates = urval_ops::plan::burden_rates(
        f("pages_per_record").unwrap_or(d.pages_per_record),
        f("minutes_per_record").unwrap_or(d.minutes_per_record),
        f("hours_per_day").unwrap_or(d.hours_per_day),
    )
    .map_err(fail)?;
    req.key = v
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("give key"))?
        .to_string();
    (req.stages, req.attribute) = urval_ops::plan::staging(&staging).map_err(fail)?;
    if let Some(p) = v.get("purposes").and_then(Value::as_str) {
        let c = v.get("cost").and_then(Value::as_str).unwrap_or("records");
        req.purposes = Some(urval_ops::purposes::PurposesRequest {
            purposes: urval_ops::purposes::load(std::path::Path::new(p)).map_err(fail)?,
            cost: urval_ops::purposes::CostBasis::parse(c, PathBuf::from(c)),
        });
    }
    req.personal = common.personal;
    req.max_quarantine = common.max_quarantine;
    req.output = common.output;
    req.created = urval_ops::files::now_utc();
    Ok(req)
}

/// What [`plan`] and [`plan_from_parts`] return of a plan written: (plan.json as written,
/// the allocation as JSON, the quarantine file or None).
fn plan_written(
    req: &urval_ops::plan::PlanRequest,
    planned: urval_ops::plan::Planned,
) -> PyResult<(String, String, Option<String>)> {
    let text = std::fs::read_to_string(&req.output).map_err(fail)?;
    let allocation = serde_json::to_string(&planned.allocation).map_err(fail)?;
    Ok((
        text,
        allocation,
        planned.quarantine_file.map(|q| q.display().to_string()),
    ))
}

/// `urval plan`: count the strata of the extract, size and allocate, write plan.json to
/// `output` (and the quarantine file beside it). `request` is the plan step's keys of a
/// pipeline with `key`, the burden rates, `personal`, `max_quarantine` and `output`.
/// Returns (plan.json as written, the allocation as JSON, the quarantine file or None).
#[pyfunction]
fn plan(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    request_json: &str,
) -> PyResult<(String, String, Option<String>)> {
    let extract = extract_of(source, name, reading)?;
    let req = plan_request(request_json)?;
    let planned = py
        .detach(|| urval_ops::plan(&extract, &req, &|_| {}))
        .map_err(fail)?;
    plan_written(&req, planned)
}

/// One part of a distributed plan (a Spark partition on an executor, holding every row of
/// its keys): the census of the piece `source` as JSON for [`plan_from_parts`]
/// ([`urval_ops::plan_parts::census_part`]). A purposes file is read from its path on the
/// executor.
#[pyfunction]
fn plan_part(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    request_json: &str,
) -> PyResult<String> {
    let extract = extract_of(source, name, reading)?;
    let req = plan_request(request_json)?;
    let part = py
        .detach(|| urval_ops::plan_parts::census_part(&extract, &req))
        .map_err(fail)?;
    serde_json::to_string(&part).map_err(fail)
}

/// The plan merged from its census parts ([`plan_part`], in the order given) and written as
/// [`plan`] writes it ([`urval_ops::plan_parts::plan_from_parts`]); `name` names the whole
/// extract in plan.json. Returns as [`plan`].
#[pyfunction]
fn plan_from_parts(
    py: Python<'_>,
    name: &str,
    parts: Vec<String>,
    request_json: &str,
) -> PyResult<(String, String, Option<String>)> {
    let req = plan_request(request_json)?;
    let parts: Vec<urval_ops::plan_parts::CensusPart> = parts_of(&parts)?;
    let extract = named_whole(name);
    let planned = py
        .detach(|| urval_ops::plan_parts::plan_from_parts(&extract, &req, parts))
        .map_err(fail)?;
    plan_written(&req, planned)
}

/// A draw step's keys of a pipeline (`plan`, `seed`, `start`, `only`, `include`, …) with
/// `personal`, `max_quarantine` and `output`, as the draw's job.
fn draw_job(job_json: &str) -> PyResult<urval_ops::draw::DrawJob> {
    let v = json(job_json)?;
    let common: Common = request(&v)?;
    let mut job: urval_ops::draw::DrawJob = request(&v)?;
    if !(0.0..1.0).contains(&job.start) {
        return Err(fail(format!("start must be in [0, 1), got {}", job.start)));
    }
    job.personal = common.personal;
    job.max_quarantine = common.max_quarantine;
    job.output = common.output;
    Ok(job)
}

/// `urval draw`: the plan's records by permanent random numbers, written to `output` (CSV,
/// Parquet or `.xlsx`) with its sidecar, exactly as the command writes them. `job` is the
/// draw step's keys of a pipeline (`plan`, `seed`, `start`, `only`, `include`, …) with
/// `personal`, `max_quarantine` and `output`. Returns (the sidecar as JSON, the quarantine
/// file or None).
#[pyfunction]
fn draw(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    job_json: &str,
) -> PyResult<(String, Option<String>)> {
    let extract = extract_of(source, name, reading)?;
    let job = draw_job(job_json)?;
    let plan = PlanFile::read(&job.plan).map_err(fail)?;
    let drawn = py
        .detach(|| urval_ops::package::draw_to_files(&extract, &plan, &job, &|_| {}))
        .map_err(fail)?;
    Ok((
        serde_json::to_string(&drawn.sidecar).map_err(fail)?,
        drawn.quarantine_file.map(|q| q.display().to_string()),
    ))
}

/// What one part of a distributed draw asks: the draw's seed, start, part and columns.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartRequest {
    seed: u64,
    #[serde(default)]
    start: f64,
    only: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    personal: Vec<String>,
}

/// One part of a distributed draw (a Spark partition on an executor): the draw of the
/// piece `source` of the extract with the plan in `plan_text`, as JSON for
/// [`draw_from_parts`] ([`urval_ops::draw::draw_part`]).
#[pyfunction]
fn draw_part(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    plan_text: &str,
    request_json: &str,
) -> PyResult<String> {
    let extract = extract_of(source, name, reading)?;
    let plan = PlanFile::parse(plan_text, "plan.json").map_err(fail)?;
    let r: PartRequest = serde_json::from_str(request_json).map_err(fail)?;
    let only = r
        .only
        .as_deref()
        .map(|s| urval_ops::draw::parse_only(s, &plan))
        .transpose()
        .map_err(fail)?;
    let req = urval_ops::draw::DrawRequest {
        seed: r.seed,
        start: r.start,
        only: only.as_ref(),
        include: &r.include,
        personal: &r.personal,
    };
    let part = py
        .detach(|| urval_ops::draw::draw_part(&extract, &plan, &req))
        .map_err(fail)?;
    serde_json::to_string(&part).map_err(fail)
}

/// The parts of a distributed job, read from their JSON.
fn parts_of<T: serde::de::DeserializeOwned>(parts: &[String]) -> PyResult<Vec<T>> {
    parts
        .iter()
        .map(|p| serde_json::from_str(p).map_err(fail))
        .collect()
}

/// The whole extract of a distributed job, named (its rows are in the parts, not read).
fn named_whole(name: &str) -> Extract {
    Extract::from_batches(
        name,
        std::sync::Arc::new(arrow_schema::Schema::empty()),
        Vec::new(),
    )
}

/// The draw merged from its parts ([`draw_part`], in the order given) and written as
/// [`draw`] writes it ([`urval_ops::lists::draw_lists_from_parts`]): the manifest of the
/// whole extract's draw. `name` names the extract in the sidecar. Returns (the sidecar as
/// JSON, the quarantine file or None).
#[pyfunction]
fn draw_from_parts(
    py: Python<'_>,
    name: &str,
    parts: Vec<String>,
    job_json: &str,
) -> PyResult<(String, Option<String>)> {
    let job = draw_job(job_json)?;
    let plan = PlanFile::read(&job.plan).map_err(fail)?;
    let parts: Vec<urval_ops::draw::DrawPart> = parts_of(&parts)?;
    let extract = named_whole(name);
    let origin = urval_ops::commitment::SeedOrigin::Chosen;
    let (lists, quarantine) = py
        .detach(|| -> urval_ops::Result<_> {
            let lists =
                urval_ops::lists::draw_lists_from_parts(&extract, &plan, &job, &origin, parts)?;
            let q = urval_ops::files::write_quarantine(
                &job.output,
                &extract,
                &lists.result.scan.quarantine,
            )?;
            Ok((lists, q))
        })
        .map_err(fail)?;
    Ok((
        serde_json::to_string(&lists.drawn.sidecar).map_err(fail)?,
        quarantine.map(|q| q.display().to_string()),
    ))
}

/// `urval verify`: recompute the draw of `plan` on the extract and compare it with the
/// manifest. `request` is the verify step's keys (`manifest`, `seed`, `start`, `only`,
/// `secret_file`) with `personal`. Returns the comparison as JSON, with its text as the
/// command prints it.
#[pyfunction]
fn verify(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    plan: &str,
    request_json: &str,
) -> PyResult<String> {
    let extract = extract_of(source, name, reading)?;
    let v = json(request_json)?;
    let mut req: urval_ops::verify::VerifyRequest = request(&v)?;
    req.personal = v
        .get("personal")
        .map(request::<Vec<String>>)
        .transpose()?
        .unwrap_or_default();
    let plan = PlanFile::read(std::path::Path::new(plan)).map_err(fail)?;
    let r = py
        .detach(|| urval_ops::verify::verify(&extract, &plan, &req, &|_| {}))
        .map_err(fail)?;
    let text = r.text(&req.manifest.display().to_string());
    let out = serde_json::json!({
        "identical": r.identical(), "seed": r.seed, "start": r.start,
        "expected": r.expected, "missing": r.missing, "extra": r.extra,
        "repeated": r.repeated, "not_as_written": r.not_as_written,
        "text": urval_ingest::personal::redact(&text),
    });
    Ok(out.to_string())
}

/// `urval indicators`: the spec's indicators per group, census or design-weighted from a
/// manifest, written to `output` with its metadata. `job` is the indicators step's keys
/// (`spec`, `by`, `manifest`, `where`, `ci`, …) with `personal`, `max_quarantine` and
/// `output`. Returns (the metadata file, the quarantine file or None, the rows read, used,
/// excluded and quarantined).
#[pyfunction]
fn indicators(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    job_json: &str,
) -> PyResult<(String, Option<String>, [u64; 4])> {
    let extract = extract_of(source, name, reading)?;
    let job = indicators_job(job_json)?;
    let c = py
        .detach(|| urval_ops::indicators::indicators_to_files(&extract, &job, &|_| {}))
        .map_err(fail)?;
    Ok(indicators_written(c))
}

/// What [`indicators`] and [`indicators_from_parts`] return of a table written: (the
/// metadata file, the quarantine file or None, the rows read, used, excluded and
/// quarantined).
fn indicators_written(c: urval_ops::indicators::Indicators) -> (String, Option<String>, [u64; 4]) {
    let t = c.totals;
    (
        c.metadata_file.display().to_string(),
        c.quarantine_file.map(|q| q.display().to_string()),
        [
            t.rows_read,
            t.rows_used,
            t.rows_excluded,
            t.rows_quarantined,
        ],
    )
}

/// The indicators job of `job_json` (as [`indicators`] reads it).
fn indicators_job(job_json: &str) -> PyResult<urval_ops::indicators::IndicatorsJob> {
    let v = json(job_json)?;
    let common: Common = request(&v)?;
    let mut job: urval_ops::indicators::IndicatorsJob = request(&v)?;
    job.personal = common.personal;
    job.max_quarantine = common.max_quarantine;
    job.output = common.output;
    Ok(job)
}

/// One part of distributed indicators (a Spark partition on an executor): the engine's
/// mergeable tallies of the piece `source`, as JSON for [`indicators_from_parts`]
/// ([`urval_ops::indicators::parts::indicators_part`]). The spec and a manifest are read
/// from their paths on the executor.
#[pyfunction]
fn indicators_part(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name: &str,
    reading: &str,
    job_json: &str,
) -> PyResult<String> {
    let extract = extract_of(source, name, reading)?;
    let job = indicators_job(job_json)?;
    let part = py
        .detach(|| urval_ops::indicators::parts::indicators_part(&extract, &job))
        .map_err(fail)?;
    serde_json::to_string(&part).map_err(fail)
}

/// The indicators merged from their parts ([`indicators_part`], in the order given) and
/// written as [`indicators`] writes them; `name` names the whole. Returns as [`indicators`].
#[pyfunction]
fn indicators_from_parts(
    py: Python<'_>,
    name: &str,
    parts: Vec<String>,
    job_json: &str,
) -> PyResult<(String, Option<String>, [u64; 4])> {
    let job = indicators_job(job_json)?;
    let parts: Vec<urval_ops::indicators::parts::IndicatorsPart> = parts_of(&parts)?;
    let extract = named_whole(name);
    let c = py
        .detach(|| urval_ops::indicators::parts::indicators_from_parts(&extract, &job, parts))
        .map_err(fail)?;
    Ok(indicators_written(c))
}

/// The module `urval._urval`.
#[pymodule]
fn _urval(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("UrvalError", m.py().get_type::<UrvalError>())?;
    m.add("PRN_SPEC_VERSION", urval_sample::PRN_SPEC_VERSION)?;
    m.add_function(wrap_pyfunction!(size, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(allocate, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(plan_part, m)?)?;
    m.add_function(wrap_pyfunction!(plan_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(draw, m)?)?;
    m.add_function(wrap_pyfunction!(draw_part, m)?)?;
    m.add_function(wrap_pyfunction!(draw_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(indicators, m)?)?;
    m.add_function(wrap_pyfunction!(indicators_part, m)?)?;
    m.add_function(wrap_pyfunction!(indicators_from_parts, m)?)?;
    Ok(())
}
