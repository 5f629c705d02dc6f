//! Indicators: the supervision indicators of a spec, per group (`by` columns and age
//! bands), over a full extract (census) or over a drawn sample with the manifest's design
//! (stratified estimates with the finite population correction).
//!
//! One pass: every scan unit (a Parquet row group, a CSV or IPC file) folds its rows into
//! its own tallies, keyed by (group, age band, design stratum); the units' tallies are merged
//! in unit order, so the output is byte-identical for any number of threads.

mod job;
pub mod job_error;
pub mod parts;
mod row;
pub mod small_area;
mod suppression;
mod write;

pub use job::{IndicatorsJob, DEFAULT_MAX_GROUPS, DEFAULT_SUPPRESS_BELOW};
pub use job_error::IndicatorsJobError;
pub use row::{ModelFigure, Row};
use small_area::{apply_small_area, read_covariates, SmallAreaSummary};
use suppression::apply_suppression;
pub(crate) use suppression::suppression_pattern;
pub(crate) use suppression::Counts;
pub use suppression::{publication, suppression_line, suppression_note, SuppressionSummary};
use write::{people_table, row_json, write_csv, write_parquet, xlsx_table, Layout};

use crate::artifacts::{
    IndicatorInfo, IndicatorsMeta, NonresponseStratum, INDICATORS_META_VERSION,
};
use crate::error::ArtifactError;
use crate::error::{Context, Result};
use crate::files::{file_hash, AtomicFile};
use crate::manifest::{manifest_rows, ManifestRow};
pub use crate::table::NOT_FOR_PUBLICATION;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_indicators::engine::{estimate_cells, Cell, Engine, Merged};
pub use urval_indicators::engine::{parse_age_bands, AgeBand, Design, UNKNOWN_BAND};
use urval_indicators::estimate::Nonresponse;
use urval_indicators::spec::{Kind, NullRule, Spec};
use urval_indicators::suppress::Status;
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::strata::StrataMapper;
use urval_ingest::{file_columns, scan_ordered, Extract, Filter, QuarantineRecord, ScanSpec};
use urval_report::xlsx::CsvDialect;

/// A written indicator table.
#[derive(Debug)]
pub struct Indicators {
    /// The rows as written.
    pub rows: Vec<Row>,
    /// The spec.
    pub spec: Spec,
    /// The metadata file beside the table.
    pub metadata_file: PathBuf,
    /// The quarantine file, when rows or values were quarantined.
    pub quarantine_file: Option<PathBuf>,
    /// The scan's totals.
    pub totals: urval_ingest::FileCounts,
    /// Sample: used rows whose key is not in the manifest.
    pub outside_manifest: u64,
    /// Sample: drawn records with no row in the extract.
    pub nonresponse_total: u64,
    /// Sample: design strata with some non-response.
    pub nonresponse_strata: usize,
    /// Sample: the design read from the manifest.
    pub design: Option<Design>,
    /// Sample: design strata without a responding record (indices into the design).
    pub empty_strata: Vec<usize>,
    /// What small-cell suppression withheld.
    pub suppression: SuppressionSummary,
    /// What the small-area models did (`--small-area`).
    pub small_area: Option<SmallAreaSummary>,
}

/// Read the design of a manifest (and its sidecar).
///
/// # Errors
/// The manifest or its sidecar cannot be read or do not belong together.
pub fn read_design(path: &Path) -> Result<Design> {
    let found = crate::manifest::require_sidecar(path)?;
    found.check_manifest(path)?;
    let side_path = found.origin;
    let side = found.sidecar;
    if side.stage.as_ref().is_some_and(|s| s.stage == 2) {
        return Err(IndicatorsJobError::StageTwoOnly {
            manifest: path.to_path_buf(),
        }
        .into());
    }
    let strata: Vec<(BTreeMap<String, String>, u64, u64)> = side
        .strata
        .iter()
        .map(|s| (s.values.clone(), s.population, s.n))
        .collect();
    let (key, strata_columns) = crate::manifest::manifest_layout(path)?;
    let index: BTreeMap<Vec<String>, u32> = strata
        .iter()
        .enumerate()
        .map(|(i, (v, _, _))| {
            (
                strata_columns
                    .iter()
                    .map(|c| v.get(c).cloned().unwrap_or_default())
                    .collect(),
                i as u32,
            )
        })
        .collect();
    let rows = manifest_rows(path, &key, &strata_columns)?;
    let mut keys = FxHashMap::default();
    for ManifestRow {
        key: k,
        values,
        row,
    } in rows
    {
        let Some(&s) = index.get(&values) else {
            return Err(IndicatorsJobError::StratumNotInSidecar {
                manifest: path.to_path_buf(),
                row,
                values,
                sidecar: side_path.to_path_buf(),
            }
            .into());
        };
        if keys.insert(k, s).is_some() {
            return Err(IndicatorsJobError::KeyListedTwice {
                manifest: path.to_path_buf(),
                row,
            }
            .into());
        }
    }
    Ok(Design {
        pseudonymized: side.pseudonymized.as_deref() == Some(key.as_str()),
        key,
        keys,
        strata,
        strata_columns,
        manifest: path.to_path_buf(),
    })
}

/// Group values that are personnummer (typed into a grouping column by mistake) masked in
/// every row as [`urval_ingest::PERSONAL_MASK`], with a warning per column naming how many
/// values were: an indicator table leaves the analyst's machine, and a group of one person
/// named by number would identify them.
fn mask_personal_groups(rows: &mut [Row], by: &[String]) {
    for (j, col) in by.iter().enumerate() {
        let mut masked: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for r in rows.iter_mut() {
            if let Some(v) = r.group.as_mut().and_then(|g| g.get_mut(j)) {
                if urval_ingest::personal::contains_personnummer(v) {
                    masked.insert(std::mem::replace(
                        v,
                        urval_ingest::PERSONAL_MASK.to_string(),
                    ));
                }
            }
        }
        if !masked.is_empty() {
            tracing::warn!(
                "--by {col:?}: {} of its values are personal identity numbers: shown as {} in every output (correct those rows, or leave them out with --check 'NOT IS_PERSONNUMMER(\"{}\")')",
                masked.len(),
                urval_ingest::PERSONAL_MASK,
                col.replace('"', "\"\"")
            );
        }
    }
}

/// Run the engine and build the rows.
struct Computed {
    rows: Vec<Row>,
    scan_files: Vec<urval_ingest::FileCounts>,
    totals: urval_ingest::FileCounts,
    quarantine: Vec<QuarantineRecord>,
    invalid: Vec<u64>,
    responding: Vec<u64>,
    /// Design strata without a responding record.
    empty: Vec<usize>,
    outside: u64,
}

/// The age of a record (`--age`), when there are age bands.
fn age_expression(args: &IndicatorsJob, bands: Option<&[AgeBand]>) -> Result<Option<Filter>> {
    if bands.is_none() {
        return Ok(None);
    }
    Filter::parse(&args.age).map(Some).map_err(|e| match e {
        urval_ingest::IngestError::Filter { reason, .. } => IndicatorsJobError::BadAge {
            age: args.age.clone(),
            reason,
        }
        .into(),
        other => other.into(),
    })
}

/// The columns the indicators and the age need, checked against the extract's first file
/// with the `--by` columns.
fn needed_columns(
    extract: &Extract,
    spec: &Spec,
    by: &[String],
    age: Option<&Filter>,
) -> Result<Vec<String>> {
    let mut needed = spec.columns();
    for c in age.iter().flat_map(|a| a.columns()) {
        if !needed.contains(c) {
            needed.push(c.clone());
        }
    }
    let present = match extract.files.first() {
        Some(f) => file_columns(f, extract.delimiter)?,
        None => return Err(IndicatorsJobError::NoFiles.into()),
    };
    spec.check_columns(&present)?;
    for c in by.iter().chain(age.iter().flat_map(|a| a.columns())) {
        if !present.contains(c) {
            return Err(IndicatorsJobError::MissingColumn {
                file: extract.files[0].path.clone(),
                name: c.clone(),
                present,
            }
            .into());
        }
    }
    StrataMapper::check_columns(by)?;
    Ok(needed)
}

/// Refuse a sample whose extract holds more rows for a design stratum than the manifest
/// has keys: keys repeat in the extract.
fn check_responding(design: Option<&Design>, responding: &[u64]) -> Result<()> {
    let Some(d) = design else {
        return Ok(());
    };
    for (h, (&r, s)) in responding.iter().zip(&d.strata).enumerate() {
        if r > s.2 {
            return Err(IndicatorsJobError::KeysRepeat {
                stratum: crate::artifacts::describe(&d.strata[h].0, &d.strata_columns),
                rows: r,
                keys: s.2,
            }
            .into());
        }
    }
    Ok(())
}

/// What the rows are estimated with: the spec, the groups and bands, the design and its
/// responding records per stratum, and the intervals asked for.
struct Estimating<'a> {
    args: &'a IndicatorsJob,
    spec: &'a Spec,
    bands: Option<&'a [AgeBand]>,
    design: Option<&'a Design>,
    responding: &'a [u64],
    /// Design strata where no drawn record came back.
    empty: &'a [usize],
}

impl Estimating<'_> {
    fn band_label(&self, b: u16) -> Option<String> {
        self.bands.map(|bs| {
            bs.get(b as usize)
                .map_or(UNKNOWN_BAND.to_string(), |x| x.label().to_string())
        })
    }

    /// The empty design strata a group can hold: all of them, unless a `--by` column is a
    /// strata column whose value rules the stratum out.
    fn missing_for(&self, group: &[String]) -> Vec<usize> {
        let Some(d) = self.design else {
            return Vec::new();
        };
        self.empty
            .iter()
            .copied()
            .filter(|&h| {
                self.args
                    .by
                    .iter()
                    .zip(group)
                    .all(|(col, v)| d.strata[h].0.get(col).is_none_or(|sv| sv == v))
            })
            .collect()
    }

    /// One estimate of indicator `i` over `cells` (per design stratum), with the empty
    /// strata `missing`.
    fn estimate(
        &self,
        i: usize,
        cells: &[&Cell],
        missing: &[usize],
    ) -> (
        urval_indicators::Tally,
        Option<urval_indicators::Estimate>,
        Option<(&'static str, f64)>,
    ) {
        estimate_cells(
            i,
            &self.spec.indicators[i],
            cells,
            self.design,
            self.responding,
            missing,
            self.args.nonresponse,
            self.args.confidence,
            self.args.ci,
        )
    }

    /// Per indicator a row per group (and band) with records, then its total row.
    fn rows(&self, merged: &BTreeMap<(Vec<String>, u16), Vec<Cell>>, invalid: &[u64]) -> Vec<Row> {
        let k = self.spec.indicators.len();
        let n_strata = self.design.map_or(1, |d| d.strata.len());
        let mut rows = Vec::new();
        for (i, ind) in self.spec.indicators.iter().enumerate() {
            let mut all: Vec<Cell> = vec![Cell::new(k); n_strata];
            for ((group, band), cells) in merged {
                let refs: Vec<&Cell> = cells.iter().collect();
                let (t, est, missing) = self.estimate(i, &refs, &self.missing_for(group));
                for (a, c) in all.iter_mut().zip(cells) {
                    a.tallies[i].merge(&c.tallies[i]);
                    a.values[i].merge(&c.values[i]);
                }
                // A group outside the indicator's population has no row (a count's 0 is an
                // answer).
                if t.n == 0 && t.skipped == 0 && ind.kind != Kind::Count {
                    continue;
                }
                rows.push(Row {
                    indicator: ind.name.clone(),
                    kind: ind.kind,
                    group: Some(group.clone()),
                    band: self.band_label(*band),
                    n: t.n,
                    successes: (ind.kind == Kind::Share).then_some(t.successes),
                    skipped: t.skipped,
                    invalid: 0,
                    est,
                    missing,
                    suppressed: Status::Published,
                    model: None,
                });
            }
            let refs: Vec<&Cell> = all.iter().collect();
            let (t, est, missing) = self.estimate(i, &refs, self.empty);
            rows.push(Row {
                indicator: ind.name.clone(),
                kind: ind.kind,
                group: None,
                band: None,
                n: t.n,
                successes: (ind.kind == Kind::Share).then_some(t.successes),
                skipped: t.skipped,
                invalid: invalid[i],
                est,
                missing,
                suppressed: Status::Published,
                model: None,
            });
        }
        rows
    }
}

/// The engine's merged tallies over the extract, with the scan's counts per file and its
/// quarantined rows: what [`finish`] estimates, and what a part of a distributed run
/// ([`parts`]) carries to the driver.
struct Scanned {
    merged: Merged,
    files: Vec<urval_ingest::FileCounts>,
    quarantine: Vec<QuarantineRecord>,
}

impl Scanned {
    /// The scan's quarantined rows and the engine's (taken out of the merged states),
    /// sorted.
    fn take_quarantine(&mut self) -> Vec<QuarantineRecord> {
        let mut q = std::mem::take(&mut self.quarantine);
        q.append(&mut self.merged.errors);
        q.sort();
        q
    }

    /// The rows read, used, excluded and quarantined over every file.
    fn totals(&self) -> urval_ingest::FileCounts {
        let mut t = urval_ingest::FileCounts::default();
        for f in &self.files {
            t.rows_read += f.rows_read;
            t.rows_used += f.rows_used;
            t.rows_excluded += f.rows_excluded;
            t.rows_quarantined += f.rows_quarantined;
        }
        t
    }
}

/// The request read: the spec, the age bands and a sample's design.
struct Prepared {
    spec: Spec,
    bands: Option<Vec<AgeBand>>,
    design: Option<Design>,
    pseudo: Option<Pseudonymizer>,
}

/// Read the spec, the age bands and a sample's design (`manifest_keys`: see
/// [`indicators_keyed`]).
fn prepare(args: &IndicatorsJob, manifest_keys: bool) -> Result<Prepared> {
    let spec = Spec::read(&args.spec)?;
    let bands = args.age_bands.as_deref().map(parse_age_bands).transpose()?;
    let (design, pseudo) = sample_design(args, manifest_keys)?;
    Ok(Prepared {
        spec,
        bands,
        design,
        pseudo,
    })
}

fn compute(
    args: &IndicatorsJob,
    extract: &Extract,
    p: &Prepared,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Computed> {
    let scanned = scan_units(args, extract, p, progress)?;
    finish(args, p, scanned)
}

/// One pass of the engine over the extract, the units' states merged in unit order.
fn scan_units(
    args: &IndicatorsJob,
    extract: &Extract,
    p: &Prepared,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Scanned> {
    let (spec, bands, design, pseudo) = (
        &p.spec,
        p.bands.as_deref(),
        p.design.as_ref(),
        p.pseudo.as_ref(),
    );
    let by: &[String] = &args.by;
    let key = match (&args.key, design) {
        (Some(k), _) => k.clone(),
        (None, Some(d)) => d.key.clone(),
        // A census without a key column: no key is read or checked.
        (None, None) => String::new(),
    };
    let age = age_expression(args, bands)?;
    let needed = needed_columns(extract, spec, by, age.as_ref())?;
    let mut scan_spec = ScanSpec::new(&key, by);
    scan_spec.extra = needed.clone();
    scan_spec.personal = args.personal.clone();
    if design.is_some_and(|d| d.pseudonymized) && !scan_spec.personal.contains(&key) {
        scan_spec.personal.push(key.clone());
    }
    scan_spec.filter = args.where_.as_deref().map(Filter::parse).transpose()?;
    let engine = Engine {
        spec,
        needed,
        bands,
        age: age.as_ref(),
        design,
        pseudo,
        personal: &scan_spec.personal,
        max_groups: args.max_groups,
        by,
    };
    // Each unit's state is merged as soon as it and the units before it are done, in unit
    // order (the same sums whatever the thread count), so memory holds a few states rather
    // than one per row group.
    let (acc, out) = scan_ordered(
        extract,
        &scan_spec,
        || engine.init(by),
        |st, batch| engine.fold(st, batch),
        || Merged::new(spec.indicators.len(), design.map_or(1, |d| d.strata.len())),
        |acc, st| {
            acc.absorb(st);
            Ok(())
        },
        progress,
    )?;
    Ok(Scanned {
        merged: acc,
        files: out.files,
        quarantine: out.quarantine,
    })
}

/// Estimate the merged tallies: every indicator's rows per group, with the accounts.
fn finish(args: &IndicatorsJob, p: &Prepared, mut scanned: Scanned) -> Result<Computed> {
    let (spec, bands, design) = (&p.spec, p.bands.as_deref(), p.design.as_ref());
    let quarantine = scanned.take_quarantine();
    let totals = scanned.totals();
    let Merged {
        cells: merged,
        responding,
        invalid,
        outside,
        ..
    } = scanned.merged;
    check_responding(design, &responding)?;
    let empty: Vec<usize> = design.map_or_else(Vec::new, |d| {
        (0..d.strata.len())
            .filter(|&h| responding[h] == 0)
            .collect()
    });
    let rows = Estimating {
        args,
        spec,
        bands,
        design,
        responding: &responding,
        empty: &empty,
    }
    .rows(&merged, &invalid);
    Ok(Computed {
        rows,
        totals,
        scan_files: scanned.files,
        quarantine,
        invalid,
        responding,
        empty,
        outside,
    })
}

/// The sidecar next to an indicators output: `out.csv` → `out.indicators.json`.
pub fn meta_path(output: &Path) -> PathBuf {
    crate::files::beside(output, "indicators.json", "indicators")
}

/// Compute the indicators and write the table, its metadata and the quarantine file.
///
/// # Errors
/// A bad request (confidence, output type, age bands, a pseudonymized manifest without its
/// secret), an unreadable spec, extract or manifest, a quarantine above the threshold, a
/// filter or census indicator that keeps nothing, or a file that cannot be written.
pub fn indicators_to_files(
    extract: &Extract,
    args: &IndicatorsJob,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Indicators> {
    indicators_keyed(extract, args, false, progress)
}

/// A threshold of 1 withholds nothing (no count of people is below 1), yet the table would
/// be marked for publication: refused, with the two thresholds that mean something.
///
/// # Errors
/// `k` = 1.
pub(crate) fn refuse_threshold_one(k: u64) -> Result<()> {
    if k == 1 {
        return Err(IndicatorsJobError::SuppressBelowOne.into());
    }
    Ok(())
}

/// The table's file type, after checking the confidence and the suppression threshold.
fn checked_job(args: &IndicatorsJob) -> Result<String> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        return Err(urval_design::DesignError::InvalidConfidence {
            value: args.confidence,
        }
        .into());
    }
    refuse_threshold_one(args.suppress_below)?;
    let ext = crate::files::extension(&args.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "json" | "xlsx") {
        return Err(ArtifactError::OutputType {
            path: args.output.clone(),
            what: "output",
            extensions: ".csv, .parquet, .json or .xlsx",
        }
        .into());
    }
    Ok(ext)
}

/// A sample's design (from `--manifest`) and the pseudonymizer of its keys; with
/// `manifest_keys` the keys are matched as written.
fn sample_design(
    args: &IndicatorsJob,
    manifest_keys: bool,
) -> Result<(Option<Design>, Option<Pseudonymizer>)> {
    let mut design = args.manifest.as_deref().map(read_design).transpose()?;
    if manifest_keys {
        if let Some(d) = design.as_mut() {
            d.pseudonymized = false;
        }
    }
    let pseudo = match (&design, &args.secret_file) {
        (Some(d), Some(f)) if d.pseudonymized => Some(crate::files::read_secret(f)?),
        (Some(d), None) if d.pseudonymized => {
            return Err(IndicatorsJobError::PseudonymsWithoutSecret.into());
        }
        _ => None,
    };
    if design.is_some() && args.ci {
        return Err(IndicatorsJobError::CiForSample.into());
    }
    Ok((design, pseudo))
}

/// Refuse a filter that keeps nothing (a mistake far more often than a finding: the
/// message says which values the compared columns hold), and in a census an indicator whose
/// `where` matches nothing (in a sample it may just be rare), unless `--allow-empty`.
fn refuse_empty(
    extract: &Extract,
    args: &IndicatorsJob,
    spec: &Spec,
    c: &Computed,
    census: bool,
) -> Result<()> {
    if c.totals.rows_used == 0 && c.totals.rows_excluded > 0 {
        if let Some(w) = args.where_.as_deref() {
            let f = Filter::parse(w)?;
            return Err(crate::files::nothing_kept(extract, &f, &c.totals).into());
        }
    }
    if !census || c.totals.rows_used == 0 || args.allow_empty {
        return Ok(());
    }
    for ind in &spec.indicators {
        let total = c
            .rows
            .iter()
            .find(|r| r.group.is_none() && r.indicator == ind.name);
        if let (Some(w), Some(r)) = (&ind.where_, total) {
            if r.n == 0 && r.skipped == 0 {
                let counts = urval_ingest::FileCounts {
                    rows_used: 0,
                    rows_excluded: c.totals.rows_used,
                    ..c.totals
                };
                return Err(IndicatorsJobError::EmptyIndicator {
                    spec: args.spec.clone(),
                    indicator: ind.name.clone(),
                    kept: crate::files::nothing_kept(extract, w, &counts),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Write the table as its file type says (`ext`): CSV (standard or for Swedish Excel),
/// Parquet, a spreadsheet or JSON.
fn write_table(
    args: &IndicatorsJob,
    ext: &str,
    rows: &[Row],
    spec: &Spec,
    bands: bool,
) -> Result<()> {
    let by = &args.by;
    let with_column = args.suppress_below > 0;
    let layout = Layout {
        by,
        bands,
        suppressed: with_column,
        model: args.small_area.is_some(),
    };
    let mut f = AtomicFile::create(&args.output)?;
    match ext {
        "csv" if args.csv_dialect == CsvDialect::ExcelSv => {
            let (columns, data) = people_table(rows, spec, &layout, args.lang);
            urval_report::xlsx::write_excel_sv(f.writer(), &columns, &data)?;
        }
        "csv" => write_csv(f.writer(), rows, &layout)?,
        "parquet" => write_parquet(f.writer(), rows, &layout)?,
        "xlsx" => {
            let bytes = xlsx_table(rows, spec, &layout, args)?;
            std::io::Write::write_all(f.writer(), &bytes)?;
        }
        _ => {
            let rows: Vec<Value> = rows.iter().map(|r| row_json(r, &layout)).collect();
            serde_json::to_writer_pretty(&mut *f.writer(), &rows)?;
            std::io::Write::write_all(f.writer(), b"\n")?;
        }
    }
    f.commit()
        .with_context(|| format!("writing {}", args.output.display()))
}

/// The design strata with some non-response (drawn records without a row).
fn nonresponse_strata(design: Option<&Design>, responding: &[u64]) -> Vec<NonresponseStratum> {
    let Some(d) = design else {
        return Vec::new();
    };
    d.strata
        .iter()
        .zip(responding)
        .filter(|((_, _, n), &r)| r < *n)
        .map(|((v, big, n), &r)| NonresponseStratum {
            values: v.clone(),
            population: *big,
            n: *n,
            responding: r,
            nonresponse: n - r,
        })
        .collect()
}

/// The metadata's account of each indicator, with the rows that did not fit it.
fn indicator_infos(spec: &Spec, invalid: &[u64]) -> Vec<IndicatorInfo> {
    spec.indicators
        .iter()
        .zip(invalid)
        .map(|(i, &inv)| IndicatorInfo {
            name: i.name.clone(),
            label_sv: i.label_sv.clone(),
            label_en: i.label_en.clone(),
            kind: i.kind.name().to_string(),
            expr: i.expr.as_ref().map(|e| e.text().to_string()),
            where_: i.where_.as_ref().map(|e| e.text().to_string()),
            null: match i.null {
                NullRule::Skip => "skip",
                NullRule::Fail => "fail",
            }
            .to_string(),
            legal_basis: i.legal_basis.clone(),
            unit: i.unit.clone(),
            invalid_rows: inv,
        })
        .collect()
}

/// The table's metadata: what was asked, read and estimated, the non-response and the
/// suppression.
fn metadata(
    args: &IndicatorsJob,
    extract: &Extract,
    spec: &Spec,
    design: Option<&Design>,
    c: &Computed,
    (suppression, small_area): (&SuppressionSummary, Option<&SmallAreaSummary>),
) -> Result<IndicatorsMeta> {
    let totals = c.totals;
    let nonresponse_total: u64 = design.map_or(0, |d| {
        d.strata
            .iter()
            .zip(&c.responding)
            .map(|((_, _, n), &r)| n.saturating_sub(r))
            .sum()
    });
    Ok(IndicatorsMeta {
        kind: "urval-indicators".to_string(),
        version: INDICATORS_META_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        mode: if design.is_some() { "sample" } else { "census" }.to_string(),
        output: crate::files::file_name(&args.output),
        spec: crate::files::file_name(&args.spec),
        spec_hash: file_hash(&args.spec)?,
        by: args.by.clone(),
        age_bands: args.age_bands.clone(),
        age: args.age_bands.as_ref().map(|_| args.age.clone()),
        where_: args.where_.clone(),
        checks: args.checks.clone(),
        confidence: args.confidence,
        ci: args.ci,
        manifest: design.map(|d| crate::files::file_name(&d.manifest)),
        manifest_hash: design.map(|d| file_hash(&d.manifest)).transpose()?,
        files: crate::files::files_json(extract, &c.scan_files),
        rows_read: totals.rows_read,
        rows_used: totals.rows_used,
        rows_excluded: totals.rows_excluded,
        rows_quarantined: totals.rows_quarantined,
        rows_outside_manifest: c.outside,
        nonresponse: nonresponse_total,
        nonresponse_strata: nonresponse_strata(design, &c.responding),
        nonresponse_assumption: "missing at random within strata (weights N_h/r_h)".to_string(),
        nonresponse_empty_strata: c.empty.len() as u64,
        nonresponse_mode: match args.nonresponse {
            Nonresponse::Bounds => "bounds",
            Nonresponse::Drop => "drop",
        }
        .to_string(),
        indicators: indicator_infos(spec, &c.invalid),
        suppress_below: args.suppress_below,
        publication: publication(args.suppress_below).to_string(),
        suppressed_primary: suppression.primary,
        suppressed_secondary: suppression.secondary,
        withheld_totals: suppression.withheld_totals.clone(),
        small_area: small_area.map(|s| crate::artifacts::SmallAreaMeta {
            column: s.column.clone(),
            model: s.model.to_string(),
            covariates_file: args
                .small_area_covariates
                .as_ref()
                .map(|p| crate::files::file_name(p)),
            covariates: s.covariates.clone(),
            fits: s.fits as u64,
            areas: s.areas as u64,
            synthetic: s.synthetic as u64,
            skipped: s.skipped.clone(),
        }),
    })
}

/// [`indicators_to_files`]; with `manifest_keys` the extract's keys are already written as
/// the manifest writes them (a filled review template of a pseudonymized manifest holds the
/// pseudonyms), so they are matched as they are, without the secret.
///
/// # Errors
/// As [`indicators_to_files`].
pub(crate) fn indicators_keyed(
    extract: &Extract,
    args: &IndicatorsJob,
    manifest_keys: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Indicators> {
    let ext = checked_job(args)?;
    let covariates = covariates(args)?;
    let p = prepare(args, manifest_keys)?;
    refuse_overwriting(args, extract)?;
    let c = compute(args, extract, &p, progress)?;
    publish(extract, args, (&ext, covariates), p, c)
}

/// `--small-area-covariates`, read (it needs `--small-area`).
fn covariates(args: &IndicatorsJob) -> Result<Option<small_area::Covariates>> {
    Ok(match (&args.small_area, &args.small_area_covariates) {
        (Some(col), Some(path)) => Some(read_covariates(path, col)?),
        (None, Some(_)) => return Err(IndicatorsJobError::CovariatesWithoutSmallArea.into()),
        _ => None,
    })
}

/// Refuse an output that would overwrite the extract, the spec or the manifest.
fn refuse_overwriting(args: &IndicatorsJob, extract: &Extract) -> Result<()> {
    let mut inputs: Vec<&Path> = vec![args.spec.as_path()];
    if let Some(m) = &args.manifest {
        inputs.push(m.as_path());
    }
    crate::files::refuse_overwriting_inputs(
        &[
            args.output.clone(),
            meta_path(&args.output),
            crate::files::quarantine_path(&args.output),
        ],
        extract,
        &inputs,
    )?;
    Ok(())
}

/// Withhold small cells, add the small-area models, check the quarantine and write the
/// table, its quarantine file and its metadata (`ext`: the output's type, `covariates`:
/// `--small-area-covariates` read).
fn publish(
    extract: &Extract,
    args: &IndicatorsJob,
    (ext, covariates): (&str, Option<small_area::Covariates>),
    p: Prepared,
    mut c: Computed,
) -> Result<Indicators> {
    let Prepared {
        spec,
        bands,
        design,
        ..
    } = p;
    let suppression =
        apply_suppression(&mut c.rows, &args.by, bands.is_some(), args.suppress_below)?;
    let small_area = args
        .small_area
        .as_deref()
        .map(|col| {
            let frame: Vec<&BTreeMap<String, String>> = design
                .iter()
                .flat_map(|d| d.strata.iter())
                .filter(|s| s.1 > 0)
                .map(|s| &s.0)
                .collect();
            apply_small_area(
                &mut c.rows,
                (&args.by, col),
                covariates.as_ref(),
                &frame,
                args.confidence,
            )
        })
        .transpose()?;
    mask_personal_groups(&mut c.rows, &args.by);
    crate::files::check_quarantine(
        args.max_quarantine,
        &args.output,
        extract,
        c.totals.rows_read,
        c.totals.rows_quarantined,
        &c.quarantine,
    )?;
    refuse_empty(extract, args, &spec, &c, design.is_none())?;
    write_table(args, ext, &c.rows, &spec, bands.is_some())?;
    let quarantine_file = crate::files::write_quarantine(&args.output, extract, &c.quarantine)?;
    let meta = metadata(
        args,
        extract,
        &spec,
        design.as_ref(),
        &c,
        (&suppression, small_area.as_ref()),
    )?;
    let meta_file = meta_path(&args.output);
    crate::files::write_json(&meta_file, &meta)?;

    Ok(Indicators {
        rows: c.rows,
        spec,
        metadata_file: meta_file,
        quarantine_file,
        totals: c.totals,
        outside_manifest: c.outside,
        nonresponse_total: meta.nonresponse,
        nonresponse_strata: meta.nonresponse_strata.len(),
        design,
        empty_strata: c.empty,
        suppression,
        small_area,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: Vec<&str>) -> Row {
        Row {
            indicator: "hörd".into(),
            kind: Kind::Share,
            group: Some(group.into_iter().map(String::from).collect()),
            band: None,
            n: 1,
            successes: Some(1),
            skipped: 0,
            invalid: 0,
            est: None,
            missing: None,
            suppressed: Status::Published,
            model: None,
        }
    }

    #[test]
    fn a_personnummer_typed_into_a_group_column_is_masked_and_nothing_else() {
        let mut rows = vec![
            row(vec!["19121212-1212", "0180"]),
            row(vec!["barn", "121212-1212"]),
            row(vec!["121212-1213", "äldre"]),
        ];
        mask_personal_groups(&mut rows, &["grupp".into(), "kommun".into()]);
        let groups: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.group.unwrap_or_default())
            .collect();
        assert_eq!(
            groups,
            vec![
                vec!["<personal>".to_string(), "0180".to_string()],
                vec!["barn".to_string(), "<personal>".to_string()],
                // A wrong check digit is not a personnummer.
                vec!["121212-1213".to_string(), "äldre".to_string()],
            ]
        );
    }

    #[test]
    fn the_metadata_sits_beside_the_table_under_its_stem() {
        assert_eq!(
            meta_path(Path::new("ut/indikatorer.csv")),
            PathBuf::from("ut/indikatorer.indicators.json")
        );
        assert_eq!(
            meta_path(Path::new("tabell.xlsx")),
            PathBuf::from("tabell.indicators.json")
        );
    }

    /// A job as a pipeline step writes it.
    fn job(keys: &str, output: &str) -> IndicatorsJob {
        let mut j: IndicatorsJob = toml::from_str(&format!("spec = 'spec.toml'\n{keys}")).unwrap();
        j.output = PathBuf::from(output);
        j
    }

    fn design() -> Design {
        let stratum = |area: &str, big, n| {
            (
                BTreeMap::from([("area".to_string(), area.to_string())]),
                big,
                n,
            )
        };
        Design {
            key: "id".into(),
            keys: FxHashMap::default(),
            strata: vec![stratum("aldre", 100, 10), stratum("barn", 50, 5)],
            strata_columns: vec!["area".into()],
            pseudonymized: false,
            manifest: PathBuf::from("m.csv"),
        }
    }

    #[test]
    fn a_job_with_a_bad_confidence_threshold_or_output_is_refused() {
        assert_eq!(checked_job(&job("", "t.CSV")).unwrap(), "csv");
        let e = checked_job(&job("confidence = 1.0", "t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("confidence"), "{e}");
        let e = checked_job(&job("suppress_below = 1", "t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--suppress-below 1 withholds nothing"), "{e}");
        let e = checked_job(&job("", "t.txt")).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.txt: the output must end in .csv, .parquet, .json or .xlsx"
        );
    }

    #[test]
    fn the_age_is_read_only_with_bands_and_named_when_it_does_not_parse() {
        let j = job("age = 'YEAR('", "t.csv");
        assert!(age_expression(&j, None).unwrap().is_none());
        let bands = parse_age_bands("0-17,18-").unwrap();
        let e = age_expression(&j, Some(&bands)).unwrap_err().to_string();
        assert!(e.starts_with("--age \"YEAR(\": "), "{e}");
        assert!(age_expression(&job("", "t.csv"), Some(&bands))
            .unwrap()
            .is_some());
    }

    #[test]
    fn more_rows_than_drawn_keys_in_a_stratum_is_refused_and_fewer_is_nonresponse() {
        let d = design();
        assert!(check_responding(None, &[99]).is_ok());
        assert!(check_responding(Some(&d), &[10, 5]).is_ok());
        let e = check_responding(Some(&d), &[10, 6])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "design stratum area=barn has 6 rows in the extract for 5 keys in the manifest: keys repeat in the extract");
        let nr = nonresponse_strata(Some(&d), &[10, 3]);
        assert_eq!(nr.len(), 1);
        assert_eq!((nr[0].n, nr[0].responding, nr[0].nonresponse), (5, 3, 2));
        assert_eq!(nr[0].values["area"], "barn");
        assert!(nonresponse_strata(None, &[0]).is_empty());
    }

    #[test]
    fn a_group_misses_only_the_empty_strata_its_values_allow() {
        let d = design();
        let spec = Spec::parse(
            "[[indicator]]\nname = 'n'\nkind = 'count'\n",
            Path::new("spec.toml"),
        )
        .unwrap();
        let by_area = job("by = 'area'", "t.csv");
        let e = Estimating {
            args: &by_area,
            spec: &spec,
            bands: None,
            design: Some(&d),
            responding: &[0, 0],
            empty: &[0, 1],
        };
        assert_eq!(e.missing_for(&["barn".to_string()]), [1]);
        assert_eq!(e.missing_for(&["okänd".to_string()]), Vec::<usize>::new());
        let by_sex = job("by = 'sex'", "t.csv");
        let e = Estimating { args: &by_sex, ..e };
        assert_eq!(e.missing_for(&["k".to_string()]), [0, 1]);
        assert_eq!(e.band_label(0), None);
    }
}
