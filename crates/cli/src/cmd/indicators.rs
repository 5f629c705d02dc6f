//! `urval indicators`: the supervision indicators of a spec, per group (`--by` columns and
//! age bands), over a full extract (census) or over a drawn sample with the manifest's
//! design (stratified estimates with the finite population correction).
//!
//! One pass: every scan unit (a Parquet row group, a CSV or IPC file) folds its rows into
//! its own tallies, keyed by (group, age band, design stratum); the units' tallies are merged
//! in unit order, so the output is byte-identical for any number of threads.

use super::common::{split_names, ExtractArgs};
use crate::format::{thousands, Output};
use crate::util::{file_hash, progress_bar, AtomicFile};
use anyhow::{bail, Context, Result};
use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use clap::Args;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rustc_hash::FxHashMap;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use urval_indicators::estimate::{self, DomainStratum, Histogram, Nonresponse};
use urval_indicators::spec::{Indicator, Kind, NullRule, Spec};
use urval_indicators::{Estimate, Tally};
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::strata::{StrataMapper, UNKNOWN};
use urval_ingest::{
    file_columns, scan, Batch, BoundFilter, Extract, Filter, QuarantineRecord, ScanSpec, T_FALSE,
    T_NULL, T_TRUE,
};
use urval_ops::manifest::{manifest_rows, sidecar_path, ManifestRow};

pub use crate::format::CsvDialect;

/// Arguments of `urval indicators`.
#[derive(Debug, Args)]
#[command(after_help = "Census (every record of the extract):
  urval indicators --extract sample-data/cases.parquet --key case_id --spec pipeline/indicators.toml \\
    --by municipality_code,area -o out/indicators.csv

Sample (the review results of a drawn manifest, weighted by the design):
  urval indicators --extract review.csv --manifest out/manifest.csv --spec pipeline/indicators.toml \\
    --by area -o out/indicators-sample.parquet")]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub quarantine: crate::cmd::common::QuarantineArgs,
    /// The indicator spec (TOML, see pipeline/indicators.toml).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Group by these columns (comma-separated); a `total` row per indicator is always written.
    #[arg(long, value_name = "COL[,COL…]", default_value = "")]
    pub by: String,
    /// Also group by age band: `0-17,18-64,65-79,80-` (the age comes from --age).
    #[arg(long, value_name = "BANDS")]
    pub age_bands: Option<String>,
    /// The age of a record, as an expression (e.g. `YEAR(opened_date) - birth_year`).
    #[arg(long, value_name = "EXPR", default_value = "age")]
    pub age: String,
    /// The record key column (default: the manifest's key). In a census, rows with an
    /// empty key are quarantined; without --key a census reads no key column.
    #[arg(long, value_name = "COL")]
    pub key: Option<String>,
    /// A manifest from `urval draw` (with its .draw.json sidecar): estimate from the sample.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Only rows where this expression is true.
    #[arg(long = "where", value_name = "EXPR")]
    pub where_: Option<String>,
    /// A data rule every row must meet (repeatable), e.g. "decided_date >= opened_date":
    /// a row where it is FALSE is quarantined with the rule as its reason (NULL passes).
    #[arg(long = "check", value_name = "EXPR")]
    pub checks: Vec<String>,
    /// Census: also give intervals, treating the records as the outcome of a process
    /// (Wilson for shares, t for means, order statistics for medians).
    #[arg(long)]
    pub ci: bool,
    /// Confidence level of the intervals.
    #[arg(long, default_value = "0.95", value_parser = crate::format::parse_rate)]
    pub confidence: f64,
    /// Output: .parquet, .csv or .json.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// CSV output dialect.
    #[arg(long, value_enum, default_value_t = CsvDialect::Standard)]
    pub csv_dialect: CsvDialect,
    /// The language of an `.xlsx` table's headers and labels (`label_sv` or `label_en`).
    #[arg(long, value_enum, default_value_t = crate::format::LangArg::Sv)]
    pub lang: crate::format::LangArg,
    /// Sample mode: how a design stratum with no responding record enters the estimates:
    /// `bounds` keeps the responding strata's estimate and widens the interval to the worst
    /// case for the missing population (marked `incomplete`); `drop` leaves the stratum out
    /// (marked `dropped`, with the population share left out). Either way the command exits 1
    /// unless --allow-empty-strata.
    #[arg(long, value_enum, default_value_t = NonresponseArg::Bounds)]
    pub nonresponse: NonresponseArg,
    /// Exit 0 even when a design stratum has no responding record.
    #[arg(long)]
    pub allow_empty_strata: bool,
    /// Census: accept an indicator whose `where` keeps no record of the extract (by default
    /// that is an error that lists the values the compared columns hold).
    #[arg(long)]
    pub allow_empty: bool,
    /// Columns holding personal data: their values never appear in messages or quarantine files.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    pub personal: Vec<String>,
    /// The secret the draw pseudonymized its keys with (when the manifest's keys are pseudonyms).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
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
    for part in split_names(s) {
        let Some((lo, hi)) = part.split_once('-') else {
            bail!("--age-bands: {part:?} is not LO-HI or LO-");
        };
        let lo: f64 = lo
            .trim()
            .parse()
            .with_context(|| format!("--age-bands: {part:?}: not a number"))?;
        let hi: Option<f64> = match hi.trim() {
            "" => None,
            h => Some(
                h.parse()
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
            label: part,
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
struct Design {
    key: String,
    /// Manifest key → design stratum.
    keys: FxHashMap<String, u32>,
    /// Per design stratum: values (column → value), N_h, n_h drawn.
    strata: Vec<(BTreeMap<String, String>, u64, u64)>,
    strata_columns: Vec<String>,
    pseudonymized: bool,
    manifest: PathBuf,
}

fn read_design(path: &Path) -> Result<Design> {
    let side_path = sidecar_path(path);
    let side = urval_ops::artifacts::DrawSidecar::read(&side_path)?;
    side.check_manifest(&side_path, path)?;
    let strata: Vec<(BTreeMap<String, String>, u64, u64)> = side
        .strata
        .iter()
        .map(|s| (s.values.clone(), s.population, s.n))
        .collect();
    let manifest = Extract::resolve(&[path.display().to_string()], Some(b','))?;
    let Some(first) = manifest.files.first() else {
        bail!("{}: no manifest", path.display());
    };
    let cols = file_columns(first, Some(b','))?;
    let Some(prn_at) = cols
        .iter()
        .position(|c| urval_ops::manifest::is_prn_column(c))
    else {
        bail!(
            "{}: not a urval manifest (no prn column; columns: {})",
            path.display(),
            cols.join(", ")
        );
    };
    if prn_at == 0 {
        bail!("{}: not a urval manifest (no key column)", path.display());
    }
    let key = cols[0].clone();
    let strata_columns: Vec<String> = cols[1..prn_at].to_vec();
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
                reason,
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
        let mut numbers = Vec::new();
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
                    for (j, &c) in codes.iter().enumerate() {
                        if c == T_TRUE {
                            inside.push(active[j]);
                            inside_at.push(j);
                        }
                    }
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
                    for (m, &j) in inside_at.iter().enumerate() {
                        let t = &mut tallies[cells[j] as usize];
                        match outcome[m] {
                            T_TRUE => t.add_share(true),
                            T_FALSE => t.add_share(false),
                            T_NULL if ind.null == NullRule::Fail => t.add_share(false),
                            T_NULL => t.add_skipped(),
                            _ => {}
                        }
                    }
                    for (m, reason) in outcome_errors.drain(..) {
                        report(st, inside_at[m], reason);
                    }
                }
                (Kind::Mean | Kind::Median, Some(e)) => {
                    self.bind(e, batch)?.number_rows(&inside, &mut numbers);
                    for (m, &j) in inside_at.iter().enumerate() {
                        let cell = cells[j] as usize;
                        match std::mem::replace(&mut numbers[m], Ok(None)) {
                            Ok(Some(x)) => {
                                st.tallies[k][cell].add_value(x);
                                if ind.kind == Kind::Median {
                                    st.values[k][cell].add(x);
                                }
                            }
                            Ok(None) => st.tallies[k][cell].add_skipped(),
                            Err(reason) => report(st, j, reason),
                        }
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

/// `--nonresponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NonresponseArg {
    /// Worst-case bounds for the missing population.
    Bounds,
    /// Leave the missing strata out.
    Drop,
}

impl From<NonresponseArg> for Nonresponse {
    fn from(a: NonresponseArg) -> Self {
        match a {
            NonresponseArg::Bounds => Nonresponse::Bounds,
            NonresponseArg::Drop => Nonresponse::Drop,
        }
    }
}

/// One output row.
#[derive(Debug, Clone)]
pub struct Row {
    indicator: String,
    kind: Kind,
    group: Option<Vec<String>>,
    band: Option<String>,
    n: u64,
    successes: Option<u64>,
    skipped: u64,
    invalid: u64,
    est: Option<Estimate>,
    /// `incomplete` or `dropped` when design strata without a responding record belong to
    /// the row's population, with the (worst-case) share of it they hold.
    missing: Option<(&'static str, f64)>,
}

fn merge_cells(
    states: &[State],
    k: usize,
    design_strata: usize,
) -> BTreeMap<(Vec<String>, u16), Vec<Cell>> {
    // (group values, band) → per design stratum a cell.
    let mut out: BTreeMap<(Vec<String>, u16), Vec<Cell>> = BTreeMap::new();
    for st in states {
        for (c, &(group, band, stratum)) in st.cell_keys.iter().enumerate() {
            let values: Vec<String> = st
                .mapper
                .values(group)
                .into_iter()
                .map(String::from)
                .collect();
            let slot = out
                .entry((values, band))
                .or_insert_with(|| vec![Cell::new(k); design_strata]);
            let cell = &mut slot[stratum as usize];
            for i in 0..k {
                cell.tallies[i].merge(&st.tallies[i][c]);
                cell.values[i].merge(&st.values[i][c]);
            }
        }
    }
    out
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
    args: &IndicatorsArgs,
    extract: &Extract,
    spec: &Spec,
    by: &[String],
    bands: Option<&[AgeBand]>,
    design: Option<&Design>,
    pseudo: Option<&Pseudonymizer>,
) -> Result<Computed> {
    let key = match (&args.key, design) {
        (Some(k), _) => k.clone(),
        (None, Some(d)) => d.key.clone(),
        // A census without a key column: no key is read or checked.
        (None, None) => String::new(),
    };
    let age = match bands {
        Some(_) => Some(Filter::parse(&args.age).map_err(|e| match e {
            urval_ingest::IngestError::Filter { reason, .. } => {
                anyhow::anyhow!("--age {:?}: {reason}", args.age)
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
    };
    let pb = progress_bar("indicators");
    let out = scan(
        extract,
        &scan_spec,
        || engine.init(by),
        |st, batch| engine.fold(st, batch),
        &|n| pb.inc(n),
    )?;
    pb.finish_and_clear();
    let k = spec.indicators.len();
    let n_strata = design.map_or(1, |d| d.strata.len());
    let mut responding = vec![0u64; n_strata];
    let mut invalid = vec![0u64; k];
    let mut outside = 0;
    let mut quarantine = out.quarantine.clone();
    for st in &out.results {
        for (a, b) in responding.iter_mut().zip(&st.responding) {
            *a += b;
        }
        for (a, b) in invalid.iter_mut().zip(&st.invalid) {
            *a += b;
        }
        outside += st.outside;
        quarantine.extend(st.errors.iter().cloned());
    }
    quarantine.sort();
    if let Some(d) = design {
        for (h, (&r, s)) in responding.iter().zip(&d.strata).enumerate() {
            if r > s.2 {
                bail!(
                    "design stratum {} has {r} rows in the extract for {} keys in the manifest: keys repeat in the extract",
                    urval_ops::artifacts::describe(&d.strata[h].0, &d.strata_columns),
                    s.2
                );
            }
        }
    }
    let merged = merge_cells(&out.results, k, n_strata);
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
    let mode: Nonresponse = args.nonresponse.into();
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

fn header(by: &[String], bands: bool) -> Vec<String> {
    let mut h = vec!["indicator".to_string()];
    h.extend(by.iter().cloned());
    if bands {
        h.push("age_band".to_string());
    }
    h.extend(
        [
            "n",
            "successes",
            "estimate",
            "lower",
            "upper",
            "se",
            "method",
            "deff",
            "skipped",
            "invalid",
            "kind",
            "level",
            "caution",
            "nonresponse",
            "missing_share",
        ]
        .map(String::from),
    );
    h
}

/// The standard CSV table (`,`, decimal points, full precision): for programs. People get
/// [`people_table`] as `.xlsx` or the `excel-sv` CSV.
fn write_csv(w: &mut dyn std::io::Write, rows: &[Row], by: &[String], bands: bool) -> Result<()> {
    let mut cw = csv::WriterBuilder::new().from_writer(w);
    cw.write_record(header(by, bands))?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in rows {
        let mut rec = vec![r.indicator.clone()];
        match &r.group {
            Some(g) => rec.extend(g.iter().cloned()),
            None => rec.extend(by.iter().map(|_| String::new())),
        }
        if bands {
            rec.push(r.band.clone().unwrap_or_default());
        }
        let e = r.est.as_ref();
        rec.push(r.n.to_string());
        rec.push(r.successes.map_or(String::new(), |s| s.to_string()));
        rec.push(opt(e.map(|e| e.estimate)));
        rec.push(opt(e.and_then(|e| e.lower)));
        rec.push(opt(e.and_then(|e| e.upper)));
        rec.push(opt(e.map(|e| e.se)));
        rec.push(e.map_or(String::new(), |e| e.method.to_string()));
        rec.push(opt(e.and_then(|e| e.deff)));
        rec.push(r.skipped.to_string());
        rec.push(r.invalid.to_string());
        rec.push(r.kind.name().to_string());
        rec.push(if r.group.is_some() { "group" } else { TOTAL }.to_string());
        rec.push(e.and_then(|e| e.caution).unwrap_or_default().to_string());
        rec.push(r.missing.map_or("", |m| m.0).to_string());
        rec.push(opt(r.missing.map(|m| m.1)));
        cw.write_record(&rec)?;
    }
    cw.flush()?;
    Ok(())
}

fn row_json(r: &Row, by: &[String], bands: bool) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("indicator".into(), json!(r.indicator));
    for (j, c) in by.iter().enumerate() {
        m.insert(c.clone(), json!(r.group.as_ref().map(|g| g[j].clone())));
    }
    if bands {
        m.insert("age_band".into(), json!(r.band));
    }
    let e = r.est.as_ref();
    m.insert("n".into(), json!(r.n));
    m.insert("successes".into(), json!(r.successes));
    m.insert("estimate".into(), json!(e.map(|e| e.estimate)));
    m.insert("lower".into(), json!(e.and_then(|e| e.lower)));
    m.insert("upper".into(), json!(e.and_then(|e| e.upper)));
    m.insert("se".into(), json!(e.map(|e| e.se)));
    m.insert("method".into(), json!(e.map(|e| e.method)));
    m.insert("deff".into(), json!(e.and_then(|e| e.deff)));
    m.insert("skipped".into(), json!(r.skipped));
    m.insert("invalid".into(), json!(r.invalid));
    m.insert("kind".into(), json!(r.kind.name()));
    m.insert(
        "level".into(),
        json!(if r.group.is_some() { "group" } else { TOTAL }),
    );
    m.insert("caution".into(), json!(e.and_then(|e| e.caution)));
    m.insert("nonresponse".into(), json!(r.missing.map(|m| m.0)));
    m.insert("missing_share".into(), json!(r.missing.map(|m| m.1)));
    Value::Object(m)
}

fn write_parquet(
    w: &mut std::io::BufWriter<std::fs::File>,
    rows: &[Row],
    by: &[String],
    bands: bool,
) -> Result<()> {
    let names = header(by, bands);
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
    cols.push(int(&|r| Some(r.n)));
    cols.push(int(&|r| r.successes));
    cols.push(num(&|r| r.est.map(|e| e.estimate)));
    cols.push(num(&|r| r.est.and_then(|e| e.lower)));
    cols.push(num(&|r| r.est.and_then(|e| e.upper)));
    cols.push(num(&|r| r.est.map(|e| e.se)));
    cols.push(text(&|r| r.est.map(|e| e.method.to_string())));
    cols.push(num(&|r| r.est.and_then(|e| e.deff)));
    cols.push(int(&|r| Some(r.skipped)));
    cols.push(int(&|r| Some(r.invalid)));
    cols.push(text(&|r| Some(r.kind.name().to_string())));
    cols.push(text(&|r| {
        Some(if r.group.is_some() { "group" } else { TOTAL }.to_string())
    }));
    cols.push(text(&|r| r.est.and_then(|e| e.caution).map(String::from)));
    cols.push(text(&|r| r.missing.map(|m| m.0.to_string())));
    cols.push(num(&|r| r.missing.map(|m| m.1)));
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

/// An indicators table for people (`.xlsx` and the `excel-sv` CSV): the indicator's label in
/// the language next to its name, headers in the language, groups as text, counts as whole
/// numbers, shares marked as percentages.
fn people_table(
    rows: &[Row],
    spec: &Spec,
    by: &[String],
    bands: bool,
    lang: crate::format::LangArg,
) -> (
    Vec<urval_report::xlsx::Column>,
    Vec<Vec<urval_report::xlsx::Cell>>,
) {
    use crate::format::LangArg;
    use urval_report::xlsx::{Cell, Column, ColumnKind};
    let sv = lang == LangArg::Sv;
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
            let e = r.est.as_ref();
            let mut row = vec![text(&label(&r.indicator)), text(&r.indicator)];
            match &r.group {
                Some(g) => row.extend(g.iter().map(|v| text(v))),
                None => row.extend(by.iter().map(|_| Cell::Empty)),
            }
            if bands {
                row.push(text(r.band.as_deref().unwrap_or("")));
            }
            row.push(Cell::Number(r.n as f64));
            row.push(num(r.successes.map(|v| v as f64)));
            row.push(est(e.map(|e| e.estimate)));
            row.push(est(e.and_then(|e| e.lower)));
            row.push(est(e.and_then(|e| e.upper)));
            row.push(est(e.map(|e| e.se)));
            let lang = if sv {
                urval_report::Lang::Sv
            } else {
                urval_report::Lang::En
            };
            row.push(text(&e.map_or(String::new(), |e| {
                urval_report::method_name(lang, e.method)
            })));
            row.push(num(e.and_then(|e| e.deff)));
            row.push(Cell::Number(r.skipped as f64));
            row.push(Cell::Number(r.invalid as f64));
            row.push(text(r.kind.name()));
            row.push(text(if r.group.is_some() { "group" } else { TOTAL }));
            row.push(text(e.and_then(|e| e.caution).unwrap_or("")));
            row.push(text(r.missing.map_or("", |m| m.0)));
            row.push(num(r.missing.map(|m| m.1)));
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
    args: &IndicatorsArgs,
) -> Result<Vec<u8>> {
    use crate::format::LangArg;
    use urval_report::xlsx::Sheet;
    let sv = args.lang == LangArg::Sv;
    let h = |sv_text: &str, en: &str| {
        if sv {
            sv_text.to_string()
        } else {
            en.to_string()
        }
    };
    let (columns, data) = people_table(rows, spec, by, bands, args.lang);
    let sheet = Sheet {
        name: h("Indikatorer", "Indicators"),
        columns,
        rows: data,
    };
    let file = |p: &Path| crate::util::file_name(p);
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
    ];
    let about_name = h("Om tabellen", "About");
    Ok(urval_report::xlsx::workbook(
        &sheet,
        Some((&about_name, &about)),
    )?)
}

/// The sidecar next to an indicators output: `out.csv` → `out.indicators.json`.
pub fn meta_path(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("indicators");
    output.with_file_name(format!("{stem}.indicators.json"))
}

/// Run `urval indicators`.
pub fn run(args: &IndicatorsArgs) -> Result<Output> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "{}",
            urval_design::DesignError::InvalidConfidence {
                value: args.confidence
            }
        );
    }
    let ext = crate::util::extension(&args.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "json" | "xlsx") {
        bail!(
            "{}: the output must end in .csv, .parquet, .json or .xlsx",
            args.output.display()
        );
    }
    let spec = Spec::read(&args.spec)?;
    let by = split_names(&args.by);
    let bands = args.age_bands.as_deref().map(parse_age_bands).transpose()?;
    let design = args.manifest.as_deref().map(read_design).transpose()?;
    let pseudo = match (&design, &args.secret_file) {
        (Some(d), Some(f)) if d.pseudonymized => Some(crate::util::read_secret(f)?),
        (Some(d), None) if d.pseudonymized => {
            bail!("the manifest's keys are pseudonyms: give the --secret-file the draw used")
        }
        _ => None,
    };
    if design.is_some() && args.ci {
        bail!("--ci is for a census; a sample always has design-based intervals");
    }
    let extract = args.extract.resolve()?;
    let mut inputs: Vec<&Path> = vec![args.spec.as_path()];
    if let Some(m) = &args.manifest {
        inputs.push(m.as_path());
    }
    crate::util::refuse_overwriting_inputs(
        &[
            args.output.clone(),
            meta_path(&args.output),
            crate::util::quarantine_path(&args.output),
        ],
        &extract,
        &inputs,
    )?;
    let c = compute(
        args,
        &extract,
        &spec,
        &by,
        bands.as_deref(),
        design.as_ref(),
        pseudo.as_ref(),
    )?;
    args.quarantine.check(
        &args.output,
        &extract,
        c.totals.rows_read,
        c.totals.rows_quarantined,
        &c.quarantine,
    )?;
    // A filter that keeps nothing is a mistake far more often than a finding: say which
    // values the compared columns hold.
    if c.totals.rows_used == 0 && c.totals.rows_excluded > 0 {
        if let Some(w) = args.where_.as_deref() {
            let f = Filter::parse(w)?;
            return Err(crate::util::nothing_kept(&extract, &f, &c.totals).into());
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
                    let e = crate::util::nothing_kept(&extract, w, &counts);
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
    let mut f = AtomicFile::create(&args.output)?;
    match ext.as_str() {
        "csv" if args.csv_dialect == CsvDialect::ExcelSv => {
            let (columns, data) = people_table(&c.rows, &spec, &by, has_bands, args.lang);
            crate::format::write_excel_sv(f.writer(), &columns, &data)?;
        }
        "csv" => write_csv(f.writer(), &c.rows, &by, has_bands)?,
        "parquet" => write_parquet(f.writer(), &c.rows, &by, has_bands)?,
        "xlsx" => {
            let bytes = xlsx_table(&c.rows, &spec, &by, has_bands, args)?;
            std::io::Write::write_all(f.writer(), &bytes)?;
        }
        _ => {
            let rows: Vec<Value> = c.rows.iter().map(|r| row_json(r, &by, has_bands)).collect();
            serde_json::to_writer_pretty(&mut *f.writer(), &rows)?;
            std::io::Write::write_all(f.writer(), b"\n")?;
        }
    }
    f.commit()
        .with_context(|| format!("writing {}", args.output.display()))?;

    let files = crate::util::files_json(&extract, &c.scan_files);
    let totals = c.totals;
    let nonresponse: Vec<Value> = design
        .as_ref()
        .map(|d| {
            d.strata
                .iter()
                .zip(&c.responding)
                .filter(|((_, _, n), &r)| r < *n)
                .map(|((v, big, n), &r)| {
                    json!({"values": v, "population": big, "n": n, "responding": r, "nonresponse": n - r})
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
    let qpath = crate::util::write_quarantine(&args.output, &extract, &c.quarantine)?;
    let indicators: Vec<Value> = spec
        .indicators
        .iter()
        .zip(&c.invalid)
        .map(|(i, &inv)| {
            json!({"name": i.name, "label_sv": i.label_sv, "label_en": i.label_en, "kind": i.kind.name(),
                   "expr": i.expr.as_ref().map(|e| e.text()), "where": i.where_.as_ref().map(|e| e.text()),
                   "null": match i.null { NullRule::Skip => "skip", NullRule::Fail => "fail" },
                   "legal_basis": i.legal_basis, "unit": i.unit, "invalid_rows": inv})
        })
        .collect();
    let meta = json!({
        "kind": "urval-indicators",
        "version": 1,
        "urval_version": env!("CARGO_PKG_VERSION"),
        "mode": if design.is_some() { "sample" } else { "census" },
        "output": args.output.display().to_string(),
        "spec": args.spec.display().to_string(),
        "spec_hash": file_hash(&args.spec)?,
        "by": by,
        "age_bands": args.age_bands,
        "age": bands.as_ref().map(|_| args.age.clone()),
        "where": args.where_,
        "checks": args.checks,
        "confidence": args.confidence,
        "ci": args.ci,
        "manifest": design.as_ref().map(|d| d.manifest.display().to_string()),
        "manifest_hash": design.as_ref().map(|d| file_hash(&d.manifest)).transpose()?,
        "files": files,
        "rows_read": totals.rows_read,
        "rows_used": totals.rows_used,
        "rows_excluded": totals.rows_excluded,
        "rows_quarantined": totals.rows_quarantined,
        "rows_outside_manifest": c.outside,
        "nonresponse": nonresponse_total,
        "nonresponse_strata": nonresponse,
        "nonresponse_assumption": "missing at random within strata (weights N_h/r_h)",
        "nonresponse_empty_strata": c.empty.len(),
        "nonresponse_mode": match args.nonresponse { NonresponseArg::Bounds => "bounds", NonresponseArg::Drop => "drop" },
        "indicators": indicators,
    });
    let meta_file = meta_path(&args.output);
    crate::util::write_json(&meta_file, &meta)?;

    let mut t = String::new();
    writeln!(
        t,
        "Indicators ({}) written to {} ({} rows; metadata {})",
        if design.is_some() {
            "sample, design-weighted"
        } else {
            "census"
        },
        args.output.display(),
        thousands(c.rows.len() as u64),
        meta_file.display()
    )?;
    writeln!(
        t,
        "{}",
        crate::format::reconciliation(
            totals.rows_read,
            totals.rows_used,
            totals.rows_excluded,
            totals.rows_quarantined
        )
    )?;
    if let Some(line) = crate::util::encoding_line(&extract) {
        writeln!(t, "{line}")?;
    }
    if let Some(d) = &design {
        let keys: u64 = d.strata.iter().map(|s| s.2).sum();
        writeln!(
            t,
            "  manifest {} keys: {} found, {} not found (non-response in {} strata); {} used rows not in the manifest",
            thousands(keys),
            thousands(keys - nonresponse_total),
            thousands(nonresponse_total),
            nonresponse.len(),
            thousands(c.outside)
        )?;
    }
    if let Some(q) = &qpath {
        writeln!(
            t,
            "  quarantined rows and indicator errors: {}",
            q.display()
        )?;
    }
    writeln!(t)?;
    writeln!(
        t,
        "  {:<34} {:>10} {:>12}  {:<24} method",
        "indicator (total)", "n", "estimate", "interval"
    )?;
    for r in c.rows.iter().filter(|r| r.group.is_none()) {
        let (est, iv, method) = match &r.est {
            Some(e) => {
                let kind = r.kind;
                let f = |v: f64| match kind {
                    Kind::Share => format!("{:.1} %", v * 100.0),
                    // A count is a number of records: whole, with separators (an estimated
                    // total is rounded here; the table keeps it exact).
                    Kind::Count => thousands(v.max(0.0).round() as u64),
                    _ => format!("{v:.1}"),
                };
                (
                    f(e.estimate),
                    match (e.lower, e.upper) {
                        (Some(l), Some(u)) => format!("{} – {}", f(l), f(u)),
                        _ => String::new(),
                    },
                    e.method,
                )
            }
            None => ("–".to_string(), String::new(), ""),
        };
        writeln!(
            t,
            "  {:<34} {:>10} {:>12}  {:<24} {}{}",
            r.indicator,
            thousands(r.n),
            est,
            iv,
            method,
            if r.invalid > 0 {
                format!("  ({} rows invalid)", thousands(r.invalid))
            } else {
                String::new()
            }
        )?;
        if let Some(reason) = r.est.and_then(|e| e.caution) {
            writeln!(t, "  {:<34} caution: {reason}", "")?;
        }
        if let Some((status, share)) = r.missing {
            writeln!(
                t,
                "  {:<34} {status}: up to {:.1} % of its population is in strata with no response",
                "",
                share * 100.0
            )?;
        }
    }
    let mut code = 0;
    if let (Some(d), false) = (&design, c.empty.is_empty()) {
        let lost: u64 = c.empty.iter().map(|&h| d.strata[h].1).sum();
        let all: u64 = d.strata.iter().map(|s| s.1).sum();
        writeln!(t)?;
        writeln!(
            t,
            "{} design strata had no responding record ({} of {} in the population, {:.1} %): {}",
            c.empty.len(),
            thousands(lost),
            thousands(all),
            100.0 * lost as f64 / all.max(1) as f64,
            match args.nonresponse {
                NonresponseArg::Bounds =>
                    "the estimates that include them are marked incomplete, with worst-case bounds",
                NonresponseArg::Drop => "they are left out of the estimates (marked dropped)",
            }
        )?;
        for &h in c.empty.iter().take(5) {
            writeln!(
                t,
                "  {} (N = {}, {} drawn)",
                urval_ops::artifacts::describe(&d.strata[h].0, &d.strata_columns),
                thousands(d.strata[h].1),
                thousands(d.strata[h].2)
            )?;
        }
        if args.allow_empty_strata {
            writeln!(t, "  accepted (--allow-empty-strata)")?;
        } else {
            writeln!(
                t,
                "  exit 1: a data finding; --allow-empty-strata accepts it"
            )?;
            code = 1;
        }
    }
    Ok(Output { text: t, code })
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
