//! Indicators: the supervision indicators of a spec, per group (`by` columns and age
//! bands), over a full extract (census) or over a drawn sample with the manifest's design
//! (stratified estimates with the finite population correction).
//!
//! One pass: every scan unit (a Parquet row group, a CSV or IPC file) folds its rows into
//! its own tallies, keyed by (group, age band, design stratum); the units' tallies are merged
//! in unit order, so the output is byte-identical for any number of threads.

use crate::artifacts::{
    IndicatorInfo, IndicatorsMeta, NonresponseStratum, INDICATORS_META_VERSION,
};
use crate::bail;
use crate::error::{Context, OpsError, Result};
use crate::files::{file_hash, AtomicFile};
use crate::manifest::{manifest_rows, ManifestRow};
pub use crate::table::NOT_FOR_PUBLICATION;
pub(crate) use crate::table::{SUPPRESSED, TABLE_COLUMNS};
use crate::text::thousands;
use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rustc_hash::FxHashMap;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use urval_indicators::estimate::{self, DomainStratum, Histogram, Nonresponse};
use urval_indicators::spec::{Indicator, Kind, NullRule, Spec};
use urval_indicators::suppress::Status;
use urval_indicators::{Estimate, Tally};
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::strata::{StrataMapper, UNKNOWN};
use urval_ingest::{
    file_columns, scan_ordered, Batch, BoundFilter, Extract, Filter, Numbers, QuarantineRecord,
    ScanSpec, T_ERROR, T_FALSE, T_NULL, T_TRUE,
};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

/// What to compute and where to write it.
#[derive(Debug, Clone)]
pub struct IndicatorsJob {
    /// The indicator spec (TOML).
    pub spec: PathBuf,
    /// Group by these columns (a `total` row per indicator is always written).
    pub by: Vec<String>,
    /// Age bands, `0-17,18-64,65-79,80-` (the age from `age`).
    pub age_bands: Option<String>,
    /// The age of a record, as an expression.
    pub age: String,
    /// The record key column (default: the manifest's key; a census without one reads no key).
    pub key: Option<String>,
    /// A manifest from a draw (with its sidecar): estimate from the sample.
    pub manifest: Option<PathBuf>,
    /// Only rows where this expression is true.
    pub where_: Option<String>,
    /// Data rules: a row where one is FALSE is quarantined.
    pub checks: Vec<String>,
    /// Census: intervals too.
    pub ci: bool,
    /// The confidence level of the intervals.
    pub confidence: f64,
    /// The table: `.csv`, `.parquet`, `.json` or `.xlsx`.
    pub output: PathBuf,
    /// How a `.csv` table is written.
    pub csv_dialect: CsvDialect,
    /// The language of a spreadsheet table.
    pub lang: Lang,
    /// How a design stratum with no responding record enters the estimates.
    pub nonresponse: Nonresponse,
    /// Census: accept an indicator whose `where` keeps no record.
    pub allow_empty: bool,
    /// Columns whose values never appear in messages or quarantine files.
    pub personal: Vec<String>,
    /// The secret of a pseudonymized manifest.
    pub secret_file: Option<PathBuf>,
    /// The most rows that may be quarantined, as a share of the rows read.
    pub max_quarantine: f64,
    /// The most groups the `by` columns may make ([`DEFAULT_MAX_GROUPS`]): a clear error
    /// before memory runs out on a key-like column.
    pub max_groups: u64,
    /// Small-cell suppression: a cell with a count between 1 and this minus one is withheld,
    /// with the further cells that keep it from being recomputed
    /// ([`urval_indicators::suppress`]); 0 writes every cell, marked not for publication.
    pub suppress_below: u64,
}

/// The default of [`IndicatorsJob::suppress_below`] for tables that leave the analyst's
/// machine: 5, as Swedish official statistics commonly use for counts of people.
pub const DEFAULT_SUPPRESS_BELOW: u64 = 5;

/// The default of [`IndicatorsJob::max_groups`]: a million groups, a few hundred MB of
/// tallies for the shipped spec.
pub const DEFAULT_MAX_GROUPS: u64 = 1_000_000;

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
}

/// One age band: `lo-hi` (inclusive) or `lo-`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeBand {
    lo: f64,
    hi: Option<f64>,
    label: String,
}

/// Parse `0-17,18-64,65-79,80-`: bands in increasing order that do not overlap.
pub fn parse_age_bands(s: &str) -> Result<Vec<AgeBand>> {
    let mut out: Vec<AgeBand> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let Some((lo, hi)) = part.split_once('-') else {
            bail!("--age-bands: {part:?} is not LO-HI or LO-");
        };
        let lo: f64 = lo
            .trim()
            .parse()
            .ok()
            .with_context(|| format!("--age-bands: {part:?}: not a number"))?;
        let hi: Option<f64> = match hi.trim() {
            "" => None,
            h => Some(
                h.parse()
                    .ok()
                    .with_context(|| format!("--age-bands: {part:?}: not a number"))?,
            ),
        };
        if hi.is_some_and(|h| h < lo) || lo < 0.0 {
            bail!("--age-bands: {part:?} is empty or negative");
        }
        if let Some(prev) = out.last() {
            if prev.hi.is_none_or(|h| h >= lo) {
                bail!("--age-bands: {part:?} overlaps the band before it");
            }
        }
        out.push(AgeBand {
            lo,
            hi,
            label: part.to_string(),
        });
    }
    if out.is_empty() || out.len() > 250 {
        bail!("--age-bands: give 1–250 bands, e.g. 0-17,18-64,65-79,80-");
    }
    Ok(out)
}

/// The label of rows whose age is missing or outside every band.
pub const UNKNOWN_BAND: &str = "unknown";

fn band_of(bands: &[AgeBand], age: Option<f64>) -> u16 {
    let unknown = bands.len() as u16;
    let Some(a) = age else { return unknown };
    // Whole years: an age of 17.9 is 17.
    let a = a.floor();
    bands
        .iter()
        .position(|b| a >= b.lo && b.hi.is_none_or(|h| a <= h))
        .map_or(unknown, |i| i as u16)
}

/// The sample's design, from a manifest and its sidecar.
/// The design of a drawn sample, read from a manifest and its sidecar.
#[derive(Debug)]
pub struct Design {
    /// The key column.
    pub key: String,
    /// Manifest key → design stratum.
    pub keys: FxHashMap<String, u32>,
    /// Per design stratum: values (column → value), N_h, n_h drawn.
    pub strata: Vec<(BTreeMap<String, String>, u64, u64)>,
    /// The strata columns.
    pub strata_columns: Vec<String>,
    /// Whether the manifest's keys are pseudonyms.
    pub pseudonymized: bool,
    /// The manifest.
    pub manifest: PathBuf,
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
        bail!(
            "{}: holds only the records stage 2 adds, not a sample by itself: estimate from stage 1's manifest, or from both stages together (urval draw without --stage draws exactly stage 1 and 2)",
            path.display()
        );
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
            bail!(
                "{}: row {row}: stratum ({}) is not in the sidecar {}",
                path.display(),
                values.join(", "),
                side_path.display()
            );
        };
        if keys.insert(k, s).is_some() {
            bail!("{}: row {row}: a key listed twice", path.display());
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

/// The per-unit fold state.
struct State {
    mapper: StrataMapper,
    /// (group, band, stratum) packed → cell index.
    cells: FxHashMap<u64, u32>,
    /// group → cell index, for a census without age bands (`u32::MAX`: none yet).
    direct: Vec<u32>,
    cell_keys: Vec<(u32, u16, u32)>,
    /// [indicator][cell].
    tallies: Vec<Vec<Tally>>,
    /// [indicator][cell] value counts (medians only).
    values: Vec<Vec<Histogram>>,
    invalid: Vec<u64>,
    errors: Vec<QuarantineRecord>,
    /// Rows per design stratum (responding records).
    responding: Vec<u64>,
    /// Rows whose key is not in the manifest.
    outside: u64,
    groups: Vec<u32>,
}

struct Engine<'a> {
    spec: &'a Spec,
    needed: Vec<String>,
    bands: Option<&'a [AgeBand]>,
    age: Option<&'a Filter>,
    design: Option<&'a Design>,
    pseudo: Option<&'a Pseudonymizer>,
    personal: &'a [String],
    /// The most groups (`by` combinations) a scan unit may hold.
    max_groups: u64,
    by: &'a [String],
}

impl Engine<'_> {
    fn init(&self, by: &[String]) -> State {
        let k = self.spec.indicators.len();
        State {
            mapper: StrataMapper::growing(by),
            cells: FxHashMap::default(),
            direct: Vec::new(),
            cell_keys: Vec::new(),
            tallies: vec![Vec::new(); k],
            values: vec![Vec::new(); k],
            invalid: vec![0; k],
            errors: Vec::new(),
            responding: vec![0; self.design.map_or(1, |d| d.strata.len())],
            outside: 0,
            groups: Vec::new(),
        }
    }

    fn bind<'f>(&self, f: &'f Filter, batch: &Batch) -> urval_ingest::Result<BoundFilter<'f>> {
        let arrays: Vec<ArrayRef> = f
            .columns()
            .iter()
            .map(|c| {
                let i = self.needed.iter().position(|n| n == c).unwrap_or(0);
                batch.extra[i].clone()
            })
            .collect();
        f.bind(&arrays)
            .map_err(|reason| urval_ingest::IngestError::Filter {
                expr: f.text().to_string(),
                reason: reason.0,
            })
    }

    fn reads_personal(&self, ind: &Indicator) -> bool {
        ind.columns().iter().any(|c| self.personal.contains(c))
    }

    fn fold(&self, st: &mut State, batch: &Batch) -> urval_ingest::Result<()> {
        let mut groups = std::mem::take(&mut st.groups);
        st.mapper
            .map_batch(batch, &mut groups)
            .map_err(|e| urval_ingest::IngestError::Row {
                path: batch.path.to_path_buf(),
                row: 0,
                reason: e.to_string(),
            })?;
        if st.mapper.len() as u64 > self.max_groups {
            return Err(urval_ingest::IngestError::Strata {
                reason: format!(
                    "--by {} makes more than {} groups: group by fewer or coarser columns, or raise --max-groups",
                    self.by.join(","),
                    self.max_groups
                ),
            });
        }
        let age = self.age.map(|f| self.bind(f, batch)).transpose()?;
        // The rows that count (a known group; in a sample, a key of the manifest), each
        // with its cell: (group, age band, design stratum).
        let mut active: Vec<u32> = Vec::with_capacity(batch.rows.len());
        let mut positions: Vec<u32> = Vec::with_capacity(batch.rows.len());
        let mut cells: Vec<u32> = Vec::with_capacity(batch.rows.len());
        for (i, &r) in batch.rows.iter().enumerate() {
            let group = groups[i];
            if group == UNKNOWN {
                continue;
            }
            let stratum = match self.design {
                None => 0,
                Some(d) => {
                    let key = batch.key_at(r as usize);
                    let pseudonym;
                    let key = match self.pseudo {
                        Some(p) => {
                            pseudonym = p.pseudonym(key);
                            pseudonym.as_str()
                        }
                        None => key,
                    };
                    match d.keys.get(key) {
                        Some(&s) => s,
                        None => {
                            st.outside += 1;
                            continue;
                        }
                    }
                }
            };
            st.responding[stratum as usize] += 1;
            let band = match (&age, self.bands) {
                (Some(a), Some(bands)) => band_of(bands, a.number(r as usize).ok().flatten()),
                _ => 0,
            };
            // A census without age bands: the group is the cell (a direct table); otherwise
            // (group, band, stratum) through a hash map.
            let packed = (u64::from(group) << 40) | (u64::from(band) << 32) | u64::from(stratum);
            let direct = self.design.is_none() && self.bands.is_none();
            let known = if direct {
                st.direct
                    .get(group as usize)
                    .copied()
                    .filter(|&c| c != u32::MAX)
            } else {
                st.cells.get(&packed).copied()
            };
            let cell = match known {
                Some(c) => c,
                None => {
                    if direct {
                        if st.direct.len() <= group as usize {
                            st.direct.resize(group as usize + 1, u32::MAX);
                        }
                        st.direct[group as usize] = st.cell_keys.len() as u32;
                    }
                    let c = st.cell_keys.len() as u32;
                    st.cells.insert(packed, c);
                    st.cell_keys.push((group, band, stratum));
                    for t in &mut st.tallies {
                        t.push(Tally::default());
                    }
                    for v in &mut st.values {
                        v.push(Histogram::default());
                    }
                    c
                }
            };
            active.push(r);
            positions.push(i as u32);
            cells.push(cell);
        }
        st.groups = groups;

        // Each indicator a column at a time: its population (where), then its outcome.
        let (mut codes, mut errors) = (Vec::new(), Vec::new());
        let (mut inside, mut inside_at) = (Vec::new(), Vec::new());
        let (mut outcome, mut outcome_errors) = (Vec::new(), Vec::new());
        let mut numbers = Numbers::default();
        let mut counts: Vec<u32> = Vec::new();
        let mut where_cache: Vec<WhereCodes> = Vec::new();
        for (k, ind) in self.spec.indicators.iter().enumerate() {
            let masked = self.reads_personal(ind);
            let report = |st: &mut State, j: usize, reason: String| {
                st.invalid[k] += 1;
                let reason = if masked {
                    "a value does not fit the expression (a personal column: value not shown)"
                        .to_string()
                } else {
                    reason
                };
                st.errors.push(QuarantineRecord {
                    file: batch.file,
                    row: batch.row_number(positions[j] as usize),
                    reason: format!("indicator {}: {reason}", ind.name),
                    raw: String::new(),
                });
            };
            inside.clear();
            inside_at.clear();
            match &ind.where_ {
                None => {
                    inside.extend_from_slice(&active);
                    inside_at.extend(0..active.len());
                }
                Some(w) => {
                    // Indicators with the same population share one evaluation per batch.
                    match where_cache.iter().find(|c| c.0 == w.text()) {
                        Some((_, c, e)) => {
                            codes.clone_from(c);
                            errors.clone_from(e);
                        }
                        None => {
                            self.bind(w, batch)?
                                .truth_rows(&active, &mut codes, &mut errors);
                            where_cache.push((w.text(), codes.clone(), errors.clone()));
                        }
                    }
                    // Kept without a branch on the code (a population's truth is as good
                    // as random to a branch predictor): every row is written, and the end
                    // moves on only past those inside.
                    inside.resize(codes.len(), 0);
                    inside_at.resize(codes.len(), 0);
                    let mut m = 0;
                    for (j, (&c, &r)) in codes.iter().zip(&active).enumerate() {
                        inside[m] = r;
                        inside_at[m] = j;
                        m += usize::from(c == T_TRUE);
                    }
                    inside.truncate(m);
                    inside_at.truncate(m);
                    for (j, reason) in errors.drain(..) {
                        report(st, j, reason);
                    }
                }
            }
            let tallies = &mut st.tallies[k];
            match (ind.kind, &ind.expr) {
                (Kind::Count, _) | (_, None) => {
                    for &j in &inside_at {
                        tallies[cells[j] as usize].add_share(true);
                    }
                }
                (Kind::Share, Some(e)) => {
                    self.bind(e, batch)?
                        .truth_rows(&inside, &mut outcome, &mut outcome_errors);
                    let fail = ind.null == NullRule::Fail;
                    if tallies.len() <= inside_at.len() {
                        // Counted per (cell, truth code) without a branch on the code (a
                        // share's outcomes are as good as random to a branch predictor),
                        // then added to the tallies once per cell.
                        counts.clear();
                        counts.resize(tallies.len() * 4, 0);
                        for (m, &j) in inside_at.iter().enumerate() {
                            counts[cells[j] as usize * 4 + usize::from(outcome[m] & 3)] += 1;
                        }
                        for (t, c) in tallies.iter_mut().zip(counts.chunks_exact(4)) {
                            let (yes, no, null) = (
                                u64::from(c[usize::from(T_TRUE)]),
                                u64::from(c[usize::from(T_FALSE)]),
                                u64::from(c[usize::from(T_NULL)]),
                            );
                            t.add_shares(yes, no + if fail { null } else { 0 });
                            t.skipped += if fail { 0 } else { null };
                        }
                    } else {
                        for (m, &j) in inside_at.iter().enumerate() {
                            let t = &mut tallies[cells[j] as usize];
                            match outcome[m] {
                                T_TRUE => t.add_share(true),
                                T_FALSE => t.add_share(false),
                                T_NULL if fail => t.add_share(false),
                                T_NULL => t.add_skipped(),
                                _ => {}
                            }
                        }
                    }
                    for (m, reason) in outcome_errors.drain(..) {
                        report(st, inside_at[m], reason);
                    }
                }
                (Kind::Mean | Kind::Median, Some(e)) => {
                    self.bind(e, batch)?.number_rows(&inside, &mut numbers);
                    let median = ind.kind == Kind::Median;
                    for (m, &j) in inside_at.iter().enumerate() {
                        let cell = cells[j] as usize;
                        match numbers.codes[m] {
                            T_TRUE => {
                                let x = numbers.values[m];
                                st.tallies[k][cell].add_value(x);
                                if median {
                                    st.values[k][cell].add(x);
                                }
                            }
                            T_ERROR => {}
                            _ => st.tallies[k][cell].add_skipped(),
                        }
                    }
                    for (m, reason) in numbers.errors.drain(..) {
                        report(st, inside_at[m], reason);
                    }
                }
            }
        }
        Ok(())
    }
}

/// A population's truth codes for a batch, and its row errors, by the `where` text.
type WhereCodes<'a> = (&'a str, Vec<u8>, Vec<(usize, String)>);

/// A merged cell: per indicator its tally and value counts.
#[derive(Clone, Default)]
struct Cell {
    tallies: Vec<Tally>,
    values: Vec<Histogram>,
}

impl Cell {
    fn new(k: usize) -> Cell {
        Cell {
            tallies: vec![Tally::default(); k],
            values: vec![Histogram::default(); k],
        }
    }
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

/// One output row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The indicator's name.
    pub indicator: String,
    /// Its kind.
    pub kind: Kind,
    /// The group's values (`None`: the total).
    pub group: Option<Vec<String>>,
    /// The age band.
    pub band: Option<String>,
    /// Records in the estimate.
    pub n: u64,
    /// Records where a share's condition holds.
    pub successes: Option<u64>,
    /// Records skipped (a NULL outcome under `null = "skip"`).
    pub skipped: u64,
    /// Records whose value could not be read.
    pub invalid: u64,
    /// The estimate.
    pub est: Option<Estimate>,
    /// `incomplete` or `dropped` when design strata without a responding record belong to
    /// the row's population, with the (worst-case) share of it they hold.
    pub missing: Option<(&'static str, f64)>,
    /// Published, or withheld (primary or secondary suppression): a withheld row's counts
    /// and figures are never written.
    pub suppressed: Status,
}

impl Row {
    /// The figures as written: none of them when the row is withheld.
    fn shown(&self) -> Shown {
        if self.suppressed.withheld() {
            return Shown::default();
        }
        Shown {
            n: Some(self.n),
            successes: self.successes,
            est: self.est,
            skipped: Some(self.skipped),
            invalid: Some(self.invalid),
            missing: self.missing,
        }
    }
}

/// A row's figures as written ([`Row::shown`]).
#[derive(Default)]
struct Shown {
    n: Option<u64>,
    successes: Option<u64>,
    est: Option<Estimate>,
    skipped: Option<u64>,
    invalid: Option<u64>,
    missing: Option<(&'static str, f64)>,
}

/// What suppression withheld in a table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuppressionSummary {
    /// The threshold (0: none, not for publication).
    pub below: u64,
    /// Rows withheld by the threshold rule.
    pub primary: u64,
    /// Rows withheld so that no primary row can be recomputed.
    pub secondary: u64,
    /// Marginal totals no other table may publish: per indicator, the group values with
    /// `*` for a column summed over.
    pub withheld_totals: Vec<BTreeMap<String, String>>,
}

/// Withhold small cells, indicator by indicator ([`urval_indicators::suppress`]): each
/// indicator's rows are one additive table whose dimensions are the `by` columns and the age
/// band (when given), each value a level (the `unknown` band too: bands partition the ages, so
/// they add up to the group's total); every marginal total counts as published, since another
/// table or the report may print it, and the `total` row is the grand total. The counts are
/// the indicator's `n` (records, one per person and case), split for a share into the records
/// where it holds and where it does not. Every withheld cell's protection is re-checked
/// (its certificate, and the exact linear-programming audit when the table is small).
///
/// # Errors
/// An audit that fails (a bug, never a data finding).
pub(crate) fn suppression_pattern(
    rows: &[Counts],
    by: &[String],
    bands: bool,
    k: u64,
) -> Result<(Vec<Status>, SuppressionSummary)> {
    use urval_indicators::suppress::{self, Cell as SCell, Table};
    let mut status = vec![Status::Published; rows.len()];
    let mut summary = SuppressionSummary {
        below: k,
        ..SuppressionSummary::default()
    };
    if k == 0 {
        return Ok((status, summary));
    }
    let dims = by.len() + usize::from(bands);
    let mut names: Vec<String> = Vec::new();
    for r in rows.iter() {
        if !names.contains(&r.indicator) {
            names.push(r.indicator.clone());
        }
    }
    let values_of = |r: &Counts| -> Vec<String> {
        let mut v: Vec<String> = r.group.clone().unwrap_or_default();
        if bands {
            v.push(r.band.clone().unwrap_or_default());
        }
        v
    };
    for name in names {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].indicator == name)
            .collect();
        let mut levels: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); dims];
        for &i in &idx {
            if rows[i].group.is_some() {
                for (j, v) in values_of(&rows[i]).into_iter().enumerate() {
                    levels[j].insert(v);
                }
            }
        }
        let levels: Vec<Vec<String>> = levels
            .into_iter()
            .map(|l| l.into_iter().collect())
            .collect();
        let counts = |r: &Counts| match r.successes {
            Some(s) => vec![s, r.n - s],
            None => vec![r.n],
        };
        let inner: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| rows[i].group.is_some())
            .collect();
        let table = Table {
            levels: levels.iter().map(|l| l.len() as u32).collect(),
            cells: inner
                .iter()
                .map(|&i| SCell {
                    key: values_of(&rows[i])
                        .iter()
                        .enumerate()
                        .map(|(j, v)| levels[j].binary_search(v).map_or(0, |p| p as u32))
                        .collect(),
                    counts: counts(&rows[i]),
                })
                .collect(),
        };
        if table.cells.is_empty() {
            // Only the total: a table of one cell.
            let total = idx.iter().copied().find(|&i| rows[i].group.is_none());
            let t = Table {
                levels: Vec::new(),
                cells: total
                    .map(|i| SCell {
                        key: Vec::new(),
                        counts: counts(&rows[i]),
                    })
                    .into_iter()
                    .collect(),
            };
            let o = suppress::suppress(&t, k);
            if let Some(i) = total {
                status[i] = o.total;
            }
        } else {
            let o = suppress::suppress(&table, k);
            let failed = suppress::audit_certificates(&table, &o, k);
            if !failed.is_empty() {
                bail!(
                    "indicator {name:?}: small-cell suppression left {} cells recomputable (a fault in urval: please report it)",
                    failed.len()
                );
            }
            let withheld = o.cells.iter().filter(|s| s.withheld()).count() + o.margins.len();
            if withheld <= AUDIT_LP_CELLS {
                if let Ok(ivs) = suppress::audit_lp(&table, &o) {
                    let primary: std::collections::BTreeSet<_> =
                        o.certificates.iter().map(|c| c.cell.clone()).collect();
                    if ivs.iter().any(|iv| {
                        primary.contains(&iv.cell) && iv.upper - iv.lower < k as f64 - 1e-6
                    }) {
                        bail!(
                            "indicator {name:?}: the audit of its small-cell suppression failed (a fault in urval: please report it)"
                        );
                    }
                }
            }
            for (&i, s) in inner.iter().zip(&o.cells) {
                status[i] = *s;
            }
            if let Some(i) = idx.iter().copied().find(|&i| rows[i].group.is_none()) {
                status[i] = o.total;
            }
            for (key, _) in &o.margins {
                let mut m = BTreeMap::new();
                m.insert("indicator".to_string(), name.clone());
                for (j, l) in key.iter().enumerate() {
                    let col = by.get(j).cloned().unwrap_or_else(|| "age_band".to_string());
                    m.insert(
                        col,
                        l.map_or("*".to_string(), |l| levels[j][l as usize].clone()),
                    );
                }
                summary.withheld_totals.push(m);
            }
        }
    }
    summary.primary = status.iter().filter(|s| **s == Status::Primary).count() as u64;
    summary.secondary = status.iter().filter(|s| **s == Status::Secondary).count() as u64;
    Ok((status, summary))
}

/// What suppression needs of a table's row: the indicator, the group, the age band and the
/// counts (the report rebuilds these from a table written with every cell).
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// The indicator's name.
    pub indicator: String,
    /// The group's values (`None`: the total).
    pub group: Option<Vec<String>>,
    /// The age band.
    pub band: Option<String>,
    /// Records in the estimate.
    pub n: u64,
    /// Records where a share's condition holds.
    pub successes: Option<u64>,
}

/// [`suppression_pattern`] on the computed rows: each row's `suppressed` set.
///
/// # Errors
/// An audit that fails (a bug, never a data finding).
fn apply_suppression(
    rows: &mut [Row],
    by: &[String],
    bands: bool,
    k: u64,
) -> Result<SuppressionSummary> {
    let counts: Vec<Counts> = rows
        .iter()
        .map(|r| Counts {
            indicator: r.indicator.clone(),
            group: r.group.clone(),
            band: r.band.clone(),
            n: r.n,
            successes: r.successes,
        })
        .collect();
    let (status, summary) = suppression_pattern(&counts, by, bands, k)?;
    for (r, s) in rows.iter_mut().zip(status) {
        r.suppressed = s;
    }
    Ok(summary)
}

/// Tables with at most this many withheld cells per indicator also get the exact audit.
const AUDIT_LP_CELLS: usize = 60;

struct Merged {
    k: usize,
    n_strata: usize,
    /// (group values, band) → per design stratum a cell.
    cells: BTreeMap<(Vec<String>, u16), Vec<Cell>>,
    /// Rows per design stratum (responding records).
    responding: Vec<u64>,
    invalid: Vec<u64>,
    outside: u64,
    errors: Vec<QuarantineRecord>,
}

impl Merged {
    fn new(k: usize, n_strata: usize) -> Merged {
        Merged {
            k,
            n_strata,
            cells: BTreeMap::new(),
            responding: vec![0; n_strata],
            invalid: vec![0; k],
            outside: 0,
            errors: Vec::new(),
        }
    }

    /// Merge one unit's state (units are merged in unit order: see `scan_ordered`).
    fn absorb(&mut self, st: State) {
        for (a, b) in self.responding.iter_mut().zip(&st.responding) {
            *a += b;
        }
        for (a, b) in self.invalid.iter_mut().zip(&st.invalid) {
            *a += b;
        }
        self.outside += st.outside;
        self.errors.extend(st.errors);
        for (c, &(group, band, stratum)) in st.cell_keys.iter().enumerate() {
            let values: Vec<String> = st
                .mapper
                .values(group)
                .into_iter()
                .map(String::from)
                .collect();
            let (k, n_strata) = (self.k, self.n_strata);
            let slot = self
                .cells
                .entry((values, band))
                .or_insert_with(|| vec![Cell::new(k); n_strata]);
            let cell = &mut slot[stratum as usize];
            for i in 0..k {
                cell.tallies[i].merge(&st.tallies[i][c]);
                cell.values[i].merge(&st.values[i][c]);
            }
        }
    }
}

/// Estimate one indicator over a set of per-design-stratum cells.
/// `missing`: the design strata without a responding record whose population may belong to
/// the row's group (see [`Nonresponse`]).
#[allow(clippy::too_many_arguments)]
fn estimate_cells(
    k: usize,
    ind: &Indicator,
    cells: &[&Cell],
    design: Option<&Design>,
    responding: &[u64],
    missing: &[usize],
    mode: Nonresponse,
    confidence: f64,
    ci: bool,
) -> (Tally, Option<Estimate>, Option<(&'static str, f64)>) {
    let mut total = Tally::default();
    for c in cells {
        total.merge(&c.tallies[k]);
    }
    let median = ind.kind == Kind::Median;
    let est = match design {
        None => {
            let mut h = Histogram::default();
            if median {
                for c in cells {
                    h.merge(&c.values[k]);
                }
            }
            return (
                total,
                estimate::census(ind.kind, &total, &h.sorted(), ci.then_some(confidence)),
                None,
            );
        }
        Some(d) => {
            let sorted: Vec<Vec<(f64, u64)>> = cells
                .iter()
                .map(|c| {
                    if median {
                        c.values[k].sorted()
                    } else {
                        Vec::new()
                    }
                })
                .collect();
            let strata: Vec<DomainStratum> = cells
                .iter()
                .enumerate()
                .filter(|(h, _)| responding[*h] > 0)
                .map(|(h, c)| DomainStratum {
                    population: d.strata[h].1,
                    responding: responding[h],
                    tally: c.tallies[k],
                    values: &sorted[h],
                })
                .collect();
            let est = estimate::sample(ind.kind, &strata, confidence);
            if missing.is_empty() {
                return (total, est, None);
            }
            // The domain's estimated size in the responding strata, and the most the
            // missing strata can add to it (all of their population).
            let observed: f64 = strata
                .iter()
                .map(|s| s.population as f64 * s.tally.n as f64 / s.responding as f64)
                .sum();
            let lost: f64 = missing.iter().map(|&h| d.strata[h].1 as f64).sum();
            let share = lost / (observed + lost);
            match mode {
                Nonresponse::Bounds => (
                    total,
                    est.map(|e| estimate::widen_for_missing(ind.kind, e, observed, lost)),
                    Some(("incomplete", share)),
                ),
                Nonresponse::Drop => (total, est, Some(("dropped", share))),
            }
        }
    };
    est
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

fn compute(
    args: &IndicatorsJob,
    extract: &Extract,
    spec: &Spec,
    bands: Option<&[AgeBand]>,
    design: Option<&Design>,
    pseudo: Option<&Pseudonymizer>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Computed> {
    let by: &[String] = &args.by;
    let key = match (&args.key, design) {
        (Some(k), _) => k.clone(),
        (None, Some(d)) => d.key.clone(),
        // A census without a key column: no key is read or checked.
        (None, None) => String::new(),
    };
    let age = match bands {
        Some(_) => Some(Filter::parse(&args.age).map_err(|e| match e {
            urval_ingest::IngestError::Filter { reason, .. } => {
                OpsError::Input(format!("--age {:?}: {reason}", args.age))
            }
            other => other.into(),
        })?),
        None => None,
    };
    let mut needed = spec.columns();
    for c in age.iter().flat_map(|a| a.columns()) {
        if !needed.contains(c) {
            needed.push(c.clone());
        }
    }
    let present = match extract.files.first() {
        Some(f) => file_columns(f, extract.delimiter)?,
        None => bail!("the extract has no files"),
    };
    spec.check_columns(&present)?;
    for c in by.iter().chain(age.iter().flat_map(|a| a.columns())) {
        if !present.contains(c) {
            bail!(
                "{}: no column {c:?} (columns: {})",
                extract.files[0].path.display(),
                present.join(", ")
            );
        }
    }
    StrataMapper::check_columns(by)?;
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
    let k = spec.indicators.len();
    let n_strata = design.map_or(1, |d| d.strata.len());
    // Each unit's state is merged as soon as it and the units before it are done, in unit
    // order (the same sums whatever the thread count), so memory holds a few states rather
    // than one per row group.
    let mut acc = Merged::new(k, n_strata);
    let out = scan_ordered(
        extract,
        &scan_spec,
        || engine.init(by),
        |st, batch| engine.fold(st, batch),
        |st| {
            acc.absorb(st);
            Ok(())
        },
        progress,
    )?;
    let Merged {
        cells: merged,
        responding,
        invalid,
        outside,
        errors,
        ..
    } = acc;
    let mut quarantine = out.quarantine.clone();
    quarantine.extend(errors);
    quarantine.sort();
    if let Some(d) = design {
        for (h, (&r, s)) in responding.iter().zip(&d.strata).enumerate() {
            if r > s.2 {
                bail!(
                    "design stratum {} has {r} rows in the extract for {} keys in the manifest: keys repeat in the extract",
                    crate::artifacts::describe(&d.strata[h].0, &d.strata_columns),
                    s.2
                );
            }
        }
    }
    let band_label = |b: u16| -> Option<String> {
        bands.map(|bs| {
            bs.get(b as usize)
                .map_or(UNKNOWN_BAND.to_string(), |x| x.label.clone())
        })
    };
    // Design strata where no drawn record came back, and which of them a group can hold:
    // all of them, unless a --by column is a strata column whose value rules the stratum out.
    let empty: Vec<usize> = design.map_or_else(Vec::new, |d| {
        (0..d.strata.len())
            .filter(|&h| responding[h] == 0)
            .collect()
    });
    let missing_for = |group: &[String]| -> Vec<usize> {
        let Some(d) = design else { return Vec::new() };
        empty
            .iter()
            .copied()
            .filter(|&h| {
                by.iter()
                    .zip(group)
                    .all(|(col, v)| d.strata[h].0.get(col).is_none_or(|sv| sv == v))
            })
            .collect()
    };
    let mode: Nonresponse = args.nonresponse;
    let mut rows = Vec::new();
    for (i, ind) in spec.indicators.iter().enumerate() {
        let mut all: Vec<Cell> = vec![Cell::new(k); n_strata];
        for ((group, band), cells) in &merged {
            let refs: Vec<&Cell> = cells.iter().collect();
            let (t, est, missing) = estimate_cells(
                i,
                ind,
                &refs,
                design,
                &responding,
                &missing_for(group),
                mode,
                args.confidence,
                args.ci,
            );
            for (a, c) in all.iter_mut().zip(cells) {
                a.tallies[i].merge(&c.tallies[i]);
                a.values[i].merge(&c.values[i]);
            }
            // A group outside the indicator's population has no row (a count's 0 is an answer).
            if t.n == 0 && t.skipped == 0 && ind.kind != Kind::Count {
                continue;
            }
            rows.push(Row {
                indicator: ind.name.clone(),
                kind: ind.kind,
                group: Some(group.clone()),
                band: band_label(*band),
                n: t.n,
                successes: (ind.kind == Kind::Share).then_some(t.successes),
                skipped: t.skipped,
                invalid: 0,
                est,
                missing,
                suppressed: Status::Published,
            });
        }
        let refs: Vec<&Cell> = all.iter().collect();
        let (t, est, missing) = estimate_cells(
            i,
            ind,
            &refs,
            design,
            &responding,
            &empty,
            mode,
            args.confidence,
            args.ci,
        );
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
        });
    }
    Ok(Computed {
        rows,
        totals: out.totals(),
        scan_files: out.files,
        quarantine,
        invalid,
        responding,
        empty,
        outside,
    })
}

const TOTAL: &str = "total";

fn header(by: &[String], bands: bool, suppressed: bool) -> Vec<String> {
    let mut h = vec!["indicator".to_string()];
    h.extend(by.iter().cloned());
    if bands {
        h.push("age_band".to_string());
    }
    h.extend(TABLE_COLUMNS.map(String::from));
    if suppressed {
        h.push(SUPPRESSED.to_string());
    }
    h
}

/// The standard CSV table (`,`, decimal points, full precision): for programs. People get
/// [`people_table`] as `.xlsx` or the `excel-sv` CSV.
fn write_csv(
    w: &mut dyn std::io::Write,
    rows: &[Row],
    by: &[String],
    bands: bool,
    suppressed: bool,
) -> Result<()> {
    // Text (the group columns' names and values come from the extract) is neutralised
    // against formula injection and quoted when it holds `,` or `;`; numbers stay numbers.
    let text = |s: &str| urval_report::xlsx::csv_text(s).into_owned();
    let mut cw = crate::files::people_csv(w);
    cw.write_record(header(by, bands, suppressed).iter().map(|h| text(h)))?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in rows {
        let mut rec = vec![text(&r.indicator)];
        match &r.group {
            Some(g) => rec.extend(g.iter().map(|v| text(v))),
            None => rec.extend(by.iter().map(|_| String::new())),
        }
        if bands {
            rec.push(text(r.band.as_deref().unwrap_or_default()));
        }
        let v = r.shown();
        let e = v.est.as_ref();
        let count = |c: Option<u64>| c.map_or(String::new(), |s| s.to_string());
        rec.push(count(v.n));
        rec.push(count(v.successes));
        rec.push(opt(e.map(|e| e.estimate)));
        rec.push(opt(e.and_then(|e| e.lower)));
        rec.push(opt(e.and_then(|e| e.upper)));
        rec.push(opt(e.map(|e| e.se)));
        rec.push(e.map_or(String::new(), |e| text(e.method)));
        rec.push(opt(e.and_then(|e| e.deff)));
        rec.push(count(v.skipped));
        rec.push(count(v.invalid));
        rec.push(text(r.kind.name()));
        rec.push(text(if r.group.is_some() { "group" } else { TOTAL }));
        rec.push(text(e.and_then(|e| e.caution).unwrap_or_default()));
        rec.push(text(v.missing.map_or("", |m| m.0)));
        rec.push(opt(v.missing.map(|m| m.1)));
        if suppressed {
            rec.push(r.suppressed.name().to_string());
        }
        cw.write_record(&rec)?;
    }
    cw.flush()?;
    Ok(())
}

fn row_json(r: &Row, by: &[String], bands: bool, suppressed: bool) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("indicator".into(), json!(r.indicator));
    for (j, c) in by.iter().enumerate() {
        m.insert(c.clone(), json!(r.group.as_ref().map(|g| g[j].clone())));
    }
    if bands {
        m.insert("age_band".into(), json!(r.band));
    }
    let v = r.shown();
    let e = v.est.as_ref();
    m.insert("n".into(), json!(v.n));
    m.insert("successes".into(), json!(v.successes));
    m.insert("estimate".into(), json!(e.map(|e| e.estimate)));
    m.insert("lower".into(), json!(e.and_then(|e| e.lower)));
    m.insert("upper".into(), json!(e.and_then(|e| e.upper)));
    m.insert("se".into(), json!(e.map(|e| e.se)));
    m.insert("method".into(), json!(e.map(|e| e.method)));
    m.insert("deff".into(), json!(e.and_then(|e| e.deff)));
    m.insert("skipped".into(), json!(v.skipped));
    m.insert("invalid".into(), json!(v.invalid));
    m.insert("kind".into(), json!(r.kind.name()));
    m.insert(
        "level".into(),
        json!(if r.group.is_some() { "group" } else { TOTAL }),
    );
    m.insert("caution".into(), json!(e.and_then(|e| e.caution)));
    m.insert("nonresponse".into(), json!(v.missing.map(|m| m.0)));
    m.insert("missing_share".into(), json!(v.missing.map(|m| m.1)));
    if suppressed {
        m.insert(SUPPRESSED.into(), json!(r.suppressed.name()));
    }
    Value::Object(m)
}

fn write_parquet(
    w: &mut std::io::BufWriter<crate::files::OutFile>,
    rows: &[Row],
    by: &[String],
    bands: bool,
    suppressed: bool,
) -> Result<()> {
    let names = header(by, bands, suppressed);
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let text = |get: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    let num = |get: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
        let mut b = Float64Builder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    let int = |get: &dyn Fn(&Row) -> Option<u64>| -> ArrayRef {
        let mut b = UInt64Builder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    cols.push(text(&|r| Some(r.indicator.clone())));
    for j in 0..by.len() {
        cols.push(text(&|r| r.group.as_ref().map(|g| g[j].clone())));
    }
    if bands {
        cols.push(text(&|r| r.band.clone()));
    }
    cols.push(int(&|r| r.shown().n));
    cols.push(int(&|r| r.shown().successes));
    cols.push(num(&|r| r.shown().est.map(|e| e.estimate)));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.lower)));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.upper)));
    cols.push(num(&|r| r.shown().est.map(|e| e.se)));
    cols.push(text(&|r| r.shown().est.map(|e| e.method.to_string())));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.deff)));
    cols.push(int(&|r| r.shown().skipped));
    cols.push(int(&|r| r.shown().invalid));
    cols.push(text(&|r| Some(r.kind.name().to_string())));
    cols.push(text(&|r| {
        Some(if r.group.is_some() { "group" } else { TOTAL }.to_string())
    }));
    cols.push(text(&|r| {
        r.shown().est.and_then(|e| e.caution).map(String::from)
    }));
    cols.push(text(&|r| r.shown().missing.map(|m| m.0.to_string())));
    cols.push(num(&|r| r.shown().missing.map(|m| m.1)));
    if suppressed {
        cols.push(text(&|r| Some(r.suppressed.name().to_string())));
    }
    for (name, c) in names.iter().zip(&cols) {
        fields.push(Field::new(name, c.data_type().clone(), true));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut pw = ArrowWriter::try_new(w, schema, Some(props))?;
    pw.write(&batch)?;
    pw.close()?;
    Ok(())
}

/// A value of the indicators table's kind, level, caution and non-response columns in
/// Swedish, for the Swedish table for people (the machine tables keep the English names
/// they are read back by).
fn swedish_value(v: &str) -> &str {
    match v {
        "share" => "andel",
        "mean" => "medelvärde",
        "median" => "median",
        "count" => "antal",
        "group" => "grupp",
        TOTAL => "totalt",
        "incomplete" => "ofullständigt",
        "dropped" => "utelämnat",
        urval_indicators::estimate::CAUTION_FEW_PER_STRATUM => "färre än 2 akter i ett stratum",
        urval_indicators::estimate::CAUTION_SMALL_SKEWED => {
            "färre än 30 akter och sned fördelning (|skevhet| > 1)"
        }
        other => other,
    }
}

/// An indicators table for people (`.xlsx` and the `excel-sv` CSV): the indicator's label in
/// the language next to its name, headers in the language, groups as text, counts as whole
/// numbers, shares marked as percentages.
fn people_table(
    rows: &[Row],
    spec: &Spec,
    by: &[String],
    bands: bool,
    lang: Lang,
    suppressed: bool,
) -> (
    Vec<urval_report::xlsx::Column>,
    Vec<Vec<urval_report::xlsx::Cell>>,
) {
    use urval_report::xlsx::{Cell, Column, ColumnKind};
    let sv = lang == Lang::Sv;
    let h = |sv_text: &str, en: &str| {
        if sv {
            sv_text.to_string()
        } else {
            en.to_string()
        }
    };
    let col = |header: String, kind| Column { header, kind };
    let mut columns = vec![
        col(h("indikator", "indicator"), ColumnKind::Text),
        col(h("namn", "name"), ColumnKind::Text),
    ];
    columns.extend(by.iter().map(|b| col(b.clone(), ColumnKind::Text)));
    if bands {
        columns.push(col(h("åldersgrupp", "age band"), ColumnKind::Text));
    }
    for (s, e, k) in [
        ("antal", "n", ColumnKind::Number),
        ("antal uppfyllda", "successes", ColumnKind::Number),
        ("skattning", "estimate", ColumnKind::Number),
        ("nedre gräns", "lower", ColumnKind::Number),
        ("övre gräns", "upper", ColumnKind::Number),
        ("medelfel", "standard error", ColumnKind::Number),
        ("metod", "method", ColumnKind::Text),
        ("designeffekt", "design effect", ColumnKind::Number),
        ("tomma, hoppade över", "skipped (null)", ColumnKind::Number),
        ("ogiltiga", "invalid", ColumnKind::Number),
        ("slag", "kind", ColumnKind::Text),
        ("nivå", "level", ColumnKind::Text),
        ("försiktighet", "caution", ColumnKind::Text),
        ("bortfall", "non-response", ColumnKind::Text),
        ("andel utan svar", "missing share", ColumnKind::Percent),
    ] {
        columns.push(col(h(s, e), k));
    }
    if suppressed {
        columns.push(col(h("skyddad", "suppressed"), ColumnKind::Text));
    }
    let label = |name: &str| {
        spec.indicators
            .iter()
            .find(|i| i.name == name)
            .map(|i| {
                if sv {
                    i.label_sv.clone()
                } else {
                    i.label_en.clone()
                }
            })
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| name.to_string())
    };
    let text = |s: &str| {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    };
    let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let data: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let share = r.kind == Kind::Share;
            let est = |v: Option<f64>| match v {
                Some(x) if share => Cell::Percent(x),
                other => num(other),
            };
            let v = r.shown();
            let e = v.est.as_ref();
            let mut row = vec![text(&label(&r.indicator)), text(&r.indicator)];
            match &r.group {
                Some(g) => row.extend(g.iter().map(|v| text(v))),
                None => row.extend(by.iter().map(|_| Cell::Empty)),
            }
            if bands {
                row.push(text(r.band.as_deref().unwrap_or("")));
            }
            // A withheld figure is `..`, as Swedish official statistics mark it.
            let withheld = r.suppressed.withheld();
            let dots = |c: Cell| if withheld { Cell::Text("..".into()) } else { c };
            row.push(dots(num(v.n.map(|v| v as f64))));
            row.push(if withheld && share {
                dots(Cell::Empty)
            } else {
                num(v.successes.map(|v| v as f64))
            });
            row.push(dots(est(e.map(|e| e.estimate))));
            row.push(dots(est(e.and_then(|e| e.lower))));
            row.push(dots(est(e.and_then(|e| e.upper))));
            row.push(dots(est(e.map(|e| e.se))));
            let lang = if sv {
                urval_report::Lang::Sv
            } else {
                urval_report::Lang::En
            };
            row.push(text(&e.map_or(String::new(), |e| {
                urval_report::method_name(lang, e.method)
            })));
            row.push(num(e.and_then(|e| e.deff)));
            row.push(dots(num(v.skipped.map(|v| v as f64))));
            row.push(dots(num(v.invalid.map(|v| v as f64))));
            let level = if r.group.is_some() { "group" } else { TOTAL };
            let caution = e.and_then(|e| e.caution).unwrap_or("");
            let missing = v.missing.map_or("", |m| m.0);
            if sv {
                row.push(text(swedish_value(r.kind.name())));
                row.push(text(swedish_value(level)));
                row.push(text(swedish_value(caution)));
                row.push(text(swedish_value(missing)));
            } else {
                row.push(text(r.kind.name()));
                row.push(text(level));
                row.push(text(caution));
                row.push(text(missing));
            }
            row.push(num(v.missing.map(|m| m.1)));
            if suppressed {
                row.push(text(match (r.suppressed, sv) {
                    (Status::Published, _) => "",
                    (Status::Primary, true) => "primär",
                    (Status::Secondary, true) => "sekundär",
                    (s, false) => s.name(),
                }));
            }
            row
        })
        .collect();
    (columns, data)
}

/// The indicators table as a spreadsheet ([`people_table`]) with an "about" sheet (spec,
/// groups, mode, confidence, filter).
fn xlsx_table(
    rows: &[Row],
    spec: &Spec,
    by: &[String],
    bands: bool,
    args: &IndicatorsJob,
) -> Result<Vec<u8>> {
    use urval_report::xlsx::Sheet;
    let sv = args.lang == Lang::Sv;
    let h = |sv_text: &str, en: &str| {
        if sv {
            sv_text.to_string()
        } else {
            en.to_string()
        }
    };
    let (columns, data) = people_table(rows, spec, by, bands, args.lang, args.suppress_below > 0);
    let sheet = Sheet {
        name: h("Indikatorer", "Indicators"),
        columns,
        rows: data,
    };
    let file = |p: &Path| crate::files::file_name(p);
    let about = vec![
        (h("Specifikation", "Spec"), file(&args.spec)),
        (h("Grupper", "Groups"), by.join(", ")),
        (
            h("Underlag", "Mode"),
            match &args.manifest {
                Some(m) => format!(
                    "{} {}",
                    h("urval, designvägt:", "sample, design-weighted:"),
                    file(m)
                ),
                None => h("totalundersökning", "census"),
            },
        ),
        (
            h("Konfidensnivå", "Confidence"),
            format!("{} %", args.confidence * 100.0),
        ),
        (
            h("Villkor (--where)", "Filter (--where)"),
            args.where_.clone().unwrap_or_else(|| "–".into()),
        ),
        (
            h("Skydd mot röjande", "Disclosure control"),
            suppression_note(args.suppress_below, args.lang),
        ),
    ];
    let about_name = h("Om tabellen", "About");
    Ok(urval_report::xlsx::workbook(
        &sheet,
        Some((&about_name, &about)),
    )?)
}

/// One sentence on the table's suppression, for people: what `..` means, or that the table is
/// not for publication.
pub fn suppression_note(k: u64, lang: Lang) -> String {
    match (k, lang) {
        (0, Lang::Sv) => "Ej för publicering: alla celler visas, även de med färre än 5 personer (--suppress-below 0).".to_string(),
        (0, _) => "Not for publication: every cell is shown, even those with fewer than 5 people (--suppress-below 0).".to_string(),
        (k, Lang::Sv) => format!("Uppgifter om färre än {k} personer visas inte (..), inte heller uppgifter som de skulle kunna räknas fram ur."),
        (k, _) => format!("Figures about fewer than {k} people are not shown (..), nor figures they could be worked out from."),
    }
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
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "{}",
            urval_design::DesignError::InvalidConfidence {
                value: args.confidence
            }
        );
    }
    let ext = crate::files::extension(&args.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "json" | "xlsx") {
        bail!(
            "{}: the output must end in .csv, .parquet, .json or .xlsx",
            args.output.display()
        );
    }
    let spec = Spec::read(&args.spec)?;
    let by = args.by.clone();
    let bands = args.age_bands.as_deref().map(parse_age_bands).transpose()?;
    let mut design = args.manifest.as_deref().map(read_design).transpose()?;
    if manifest_keys {
        if let Some(d) = design.as_mut() {
            d.pseudonymized = false;
        }
    }
    let pseudo = match (&design, &args.secret_file) {
        (Some(d), Some(f)) if d.pseudonymized => Some(crate::files::read_secret(f)?),
        (Some(d), None) if d.pseudonymized => {
            bail!("the manifest's keys are pseudonyms: give the --secret-file the draw used")
        }
        _ => None,
    };
    if design.is_some() && args.ci {
        bail!("--ci is for a census; a sample always has design-based intervals");
    }
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
    let mut c = compute(
        args,
        extract,
        &spec,
        bands.as_deref(),
        design.as_ref(),
        pseudo.as_ref(),
        progress,
    )?;
    let suppression = apply_suppression(&mut c.rows, &by, bands.is_some(), args.suppress_below)?;
    mask_personal_groups(&mut c.rows, &by);
    crate::files::check_quarantine(
        args.max_quarantine,
        &args.output,
        extract,
        c.totals.rows_read,
        c.totals.rows_quarantined,
        &c.quarantine,
    )?;
    // A filter that keeps nothing is a mistake far more often than a finding: say which
    // values the compared columns hold.
    if c.totals.rows_used == 0 && c.totals.rows_excluded > 0 {
        if let Some(w) = args.where_.as_deref() {
            let f = Filter::parse(w)?;
            return Err(crate::files::nothing_kept(extract, &f, &c.totals));
        }
    }
    // In a census an indicator with no records means its `where` matches nothing in the
    // extract; in a sample it may just be rare, so only a census is checked.
    if design.is_none() && c.totals.rows_used > 0 && !args.allow_empty {
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
                    let e = crate::files::nothing_kept(extract, w, &counts);
                    bail!(
                        "{}: indicator {:?}: its where {}\n  (--allow-empty accepts an indicator with no records)",
                        args.spec.display(),
                        ind.name,
                        e.to_string().trim_start_matches("--where ")
                    );
                }
            }
        }
    }
    let has_bands = bands.is_some();
    let with_column = args.suppress_below > 0;
    let mut f = AtomicFile::create(&args.output)?;
    match ext.as_str() {
        "csv" if args.csv_dialect == CsvDialect::ExcelSv => {
            let (columns, data) =
                people_table(&c.rows, &spec, &by, has_bands, args.lang, with_column);
            urval_report::xlsx::write_excel_sv(f.writer(), &columns, &data)?;
        }
        "csv" => write_csv(f.writer(), &c.rows, &by, has_bands, with_column)?,
        "parquet" => write_parquet(f.writer(), &c.rows, &by, has_bands, with_column)?,
        "xlsx" => {
            let bytes = xlsx_table(&c.rows, &spec, &by, has_bands, args)?;
            std::io::Write::write_all(f.writer(), &bytes)?;
        }
        _ => {
            let rows: Vec<Value> = c
                .rows
                .iter()
                .map(|r| row_json(r, &by, has_bands, with_column))
                .collect();
            serde_json::to_writer_pretty(&mut *f.writer(), &rows)?;
            std::io::Write::write_all(f.writer(), b"\n")?;
        }
    }
    f.commit()
        .with_context(|| format!("writing {}", args.output.display()))?;

    let files = crate::files::files_json(extract, &c.scan_files);
    let totals = c.totals;
    let nonresponse: Vec<NonresponseStratum> = design
        .as_ref()
        .map(|d| {
            d.strata
                .iter()
                .zip(&c.responding)
                .filter(|((_, _, n), &r)| r < *n)
                .map(|((v, big, n), &r)| NonresponseStratum {
                    values: v.clone(),
                    population: *big,
                    n: *n,
                    responding: r,
                    nonresponse: n - r,
                })
                .collect()
        })
        .unwrap_or_default();
    let nonresponse_total: u64 = design.as_ref().map_or(0, |d| {
        d.strata
            .iter()
            .zip(&c.responding)
            .map(|((_, _, n), &r)| n.saturating_sub(r))
            .sum()
    });
    let quarantine_file = crate::files::write_quarantine(&args.output, extract, &c.quarantine)?;
    let indicators: Vec<IndicatorInfo> = spec
        .indicators
        .iter()
        .zip(&c.invalid)
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
        .collect();
    let nonresponse_strata = nonresponse.len();
    let meta = IndicatorsMeta {
        kind: "urval-indicators".to_string(),
        version: INDICATORS_META_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        mode: if design.is_some() { "sample" } else { "census" }.to_string(),
        output: crate::files::file_name(&args.output),
        spec: crate::files::file_name(&args.spec),
        spec_hash: file_hash(&args.spec)?,
        by: by.clone(),
        age_bands: args.age_bands.clone(),
        age: bands.as_ref().map(|_| args.age.clone()),
        where_: args.where_.clone(),
        checks: args.checks.clone(),
        confidence: args.confidence,
        ci: args.ci,
        manifest: design
            .as_ref()
            .map(|d| crate::files::file_name(&d.manifest)),
        manifest_hash: design
            .as_ref()
            .map(|d| file_hash(&d.manifest))
            .transpose()?,
        files,
        rows_read: totals.rows_read,
        rows_used: totals.rows_used,
        rows_excluded: totals.rows_excluded,
        rows_quarantined: totals.rows_quarantined,
        rows_outside_manifest: c.outside,
        nonresponse: nonresponse_total,
        nonresponse_strata: nonresponse,
        nonresponse_assumption: "missing at random within strata (weights N_h/r_h)".to_string(),
        nonresponse_empty_strata: c.empty.len() as u64,
        nonresponse_mode: match args.nonresponse {
            Nonresponse::Bounds => "bounds",
            Nonresponse::Drop => "drop",
        }
        .to_string(),
        indicators,
        suppress_below: args.suppress_below,
        publication: publication(args.suppress_below).to_string(),
        suppressed_primary: suppression.primary,
        suppressed_secondary: suppression.secondary,
        withheld_totals: suppression.withheld_totals.clone(),
    };
    let meta_file = meta_path(&args.output);
    crate::files::write_json(&meta_file, &meta)?;

    Ok(Indicators {
        rows: c.rows,
        spec,
        metadata_file: meta_file,
        quarantine_file,
        totals,
        outside_manifest: c.outside,
        nonresponse_total,
        nonresponse_strata,
        design,
        empty_strata: c.empty,
        suppression,
    })
}

/// `for publication` with a threshold, `not for publication` without one.
pub fn publication(k: u64) -> &'static str {
    if k == 0 {
        NOT_FOR_PUBLICATION
    } else {
        "for publication"
    }
}

/// The line that says what small-cell suppression did to a table, or that the table is not
/// for publication.
pub fn suppression_line(s: &SuppressionSummary) -> String {
    if s.below == 0 {
        return "not for publication: every cell written, small ones too (--suppress-below 0)"
            .to_string();
    }
    let mut line = format!(
        "suppression: cells about 1 to {} people withheld: {} rows primary, {} secondary (column suppressed)",
        s.below - 1,
        thousands(s.primary),
        thousands(s.secondary)
    );
    if !s.withheld_totals.is_empty() {
        line.push_str(&format!(
            "; {} totals must not be published elsewhere (listed in the metadata)",
            thousands(s.withheld_totals.len() as u64)
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_parse_and_classify() {
        let b = parse_age_bands("0-17,18-64,65-79,80-").unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(band_of(&b, Some(17.9)), 0);
        assert_eq!(band_of(&b, Some(18.0)), 1);
        assert_eq!(band_of(&b, Some(101.0)), 3);
        assert_eq!(band_of(&b, None), 4);
        assert_eq!(band_of(&b, Some(-1.0)), 4);
        for bad in ["", "0-17,10-20", "a-b", "5", "20-10", "0-,5-"] {
            assert!(parse_age_bands(bad).is_err(), "{bad}");
        }
    }
}
