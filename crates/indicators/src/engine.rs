//! The indicators engine: one pass over an extract's batches folds every indicator of a
//! spec into mergeable tallies per cell (group × age band × design stratum), evaluating
//! each `where` once per batch and each expression a column at a time; units' states merge
//! in unit order ([`Merged::absorb`]), so the sums are the same whatever the thread count;
//! [`estimate_cells`] turns a row's cells into its estimate (census, or design-based over
//! the sample's strata).
//!
//! Own code rather than a dataframe engine's group-by: the tallies must merge exactly
//! across files and threads, a sample's cells must keep their design stratum, and every
//! row that does not fit an expression is quarantined with its reason.
//!
//! It reads batches the caller's scan hands it (`urval_ingest::scan_ordered`); it does no
//! I/O of its own and knows nothing of manifests or output files (the operations read the
//! design and write the tables).

use crate::estimate::{self, DomainStratum, Histogram, Nonresponse};
use crate::spec::{Indicator, Kind, NullRule, Spec};
use crate::{Estimate, Tally};
use arrow_array::ArrayRef;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::strata::{StrataMapper, UNKNOWN};
use urval_ingest::{
    Batch, BoundFilter, Filter, Numbers, QuarantineRecord, T_ERROR, T_FALSE, T_NULL, T_TRUE,
};

/// Why `--age-bands` cannot be used. The messages name the flag and the band.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AgeBandsError {
    /// A band that is not `LO-HI` or `LO-`.
    #[error("--age-bands: {part:?} is not LO-HI or LO-")]
    NotARange {
        /// The band as given.
        part: String,
    },
    /// A bound that is not a number.
    #[error("--age-bands: {part:?}: not a number")]
    NotANumber {
        /// The band as given.
        part: String,
    },
    /// A band whose upper bound is below its lower, or a negative bound.
    #[error("--age-bands: {part:?} is empty or negative")]
    Empty {
        /// The band as given.
        part: String,
    },
    /// A band that starts at or before the end of the band before it.
    #[error("--age-bands: {part:?} overlaps the band before it")]
    Overlaps {
        /// The band as given.
        part: String,
    },
    /// No band, or more than 250.
    #[error("--age-bands: give 1–250 bands, e.g. 0-17,18-64,65-79,80-")]
    Count,
}

/// One age band: `lo-hi` (inclusive) or `lo-`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeBand {
    lo: f64,
    hi: Option<f64>,
    label: String,
}

impl AgeBand {
    /// The band as written (`18-64`, `80-`): the label of its rows.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Parse `0-17,18-64,65-79,80-`: bands in increasing order that do not overlap.
///
/// # Errors
/// A band that is not `LO-HI` or `LO-`, not numbers, empty, negative or overlapping the
/// one before it; no band, or more than 250.
pub fn parse_age_bands(s: &str) -> Result<Vec<AgeBand>, AgeBandsError> {
    let mut out: Vec<AgeBand> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let Some((lo, hi)) = part.split_once('-') else {
            return Err(AgeBandsError::NotARange {
                part: part.to_string(),
            });
        };
        let lo: f64 = lo.trim().parse().map_err(|_| AgeBandsError::NotANumber {
            part: part.to_string(),
        })?;
        let hi: Option<f64> = match hi.trim() {
            "" => None,
            h => Some(h.parse().map_err(|_| AgeBandsError::NotANumber {
                part: part.to_string(),
            })?),
        };
        if hi.is_some_and(|h| h < lo) || lo < 0.0 {
            return Err(AgeBandsError::Empty {
                part: part.to_string(),
            });
        }
        if let Some(prev) = out.last() {
            if prev.hi.is_none_or(|h| h >= lo) {
                return Err(AgeBandsError::Overlaps {
                    part: part.to_string(),
                });
            }
        }
        out.push(AgeBand {
            lo,
            hi,
            label: part.to_string(),
        });
    }
    if out.is_empty() || out.len() > 250 {
        return Err(AgeBandsError::Count);
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

/// The design of a drawn sample, as the operations read it from a manifest and its sidecar.
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

/// The per-unit fold state ([`Engine::init`], [`Engine::fold`], [`Merged::absorb`]).
pub struct State {
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

/// What one pass folds: the spec, the columns it reads, the grouping, the age bands and,
/// for a sample, its design.
pub struct Engine<'a> {
    /// The indicators.
    pub spec: &'a Spec,
    /// The extra columns of the scan, in the order the batches hold them.
    pub needed: Vec<String>,
    /// The age bands, when rows are also grouped by age.
    pub bands: Option<&'a [AgeBand]>,
    /// The age expression (`--age`), with bands.
    pub age: Option<&'a Filter>,
    /// A sample's design; `None` for a census.
    pub design: Option<&'a Design>,
    /// The pseudonymizer of a pseudonymized manifest's keys.
    pub pseudo: Option<&'a Pseudonymizer>,
    /// Personal columns: an expression error on them does not show the value.
    pub personal: &'a [String],
    /// The most groups (`by` combinations) a scan unit may hold.
    pub max_groups: u64,
    /// The grouping columns (`--by`).
    pub by: &'a [String],
}

impl Engine<'_> {
    /// A new unit's empty state.
    pub fn init(&self, by: &[String]) -> State {
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

    /// Fold one batch into a unit's state: its rows' cells, then each indicator a column at
    /// a time (its population, then its outcome).
    ///
    /// # Errors
    /// More groups than [`Engine::max_groups`], or an expression that cannot be bound to the
    /// batch's columns; a row that does not fit an expression is quarantined instead.
    pub fn fold(&self, st: &mut State, batch: &Batch) -> urval_ingest::Result<()> {
        let mut groups = std::mem::take(&mut st.groups);
        self.map_groups(st, batch, &mut groups)?;
        let age = self.age.map(|f| self.bind(f, batch)).transpose()?;
        // The rows that count (a known group; in a sample, a key of the manifest), each
        // with its cell: (group, age band, design stratum).
        let mut active = Active {
            rows: Vec::with_capacity(batch.rows.len()),
            positions: Vec::with_capacity(batch.rows.len()),
            cells: Vec::with_capacity(batch.rows.len()),
        };
        self.active_rows(st, batch, &groups, age.as_ref(), &mut active);
        st.groups = groups;

        // Each indicator a column at a time: its population (where), then its outcome.
        let mut s = Scratch::default();
        let mut where_cache: Vec<WhereCodes> = Vec::new();
        for (k, ind) in self.spec.indicators.iter().enumerate() {
            let rep = Reporter {
                k,
                ind,
                masked: self.reads_personal(ind),
                batch,
                positions: &active.positions,
            };
            self.population(st, batch, ind, &active.rows, &mut s, &mut where_cache, &rep)?;
            match (ind.kind, &ind.expr) {
                (Kind::Count, _) | (_, None) => {
                    let tallies = &mut st.tallies[k];
                    for &j in &s.inside_at {
                        tallies[active.cells[j] as usize].add_share(true);
                    }
                }
                (Kind::Share, Some(e)) => {
                    self.fold_share(st, batch, ind, e, &active.cells, &mut s, &rep)?;
                }
                (Kind::Mean | Kind::Median, Some(e)) => {
                    self.fold_numbers(st, batch, ind, e, &active.cells, &mut s, &rep)?;
                }
            }
        }
        Ok(())
    }

    /// Map the batch's rows to their groups (`--by`), within [`Engine::max_groups`].
    #[inline]
    fn map_groups(
        &self,
        st: &mut State,
        batch: &Batch,
        groups: &mut Vec<u32>,
    ) -> urval_ingest::Result<()> {
        st.mapper
            .map_batch(batch, groups)
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
        Ok(())
    }

    /// The rows of the batch that count, each with its cell, into `active`; the responding
    /// records per design stratum and the rows outside a sample's manifest counted.
    #[inline]
    fn active_rows(
        &self,
        st: &mut State,
        batch: &Batch,
        groups: &[u32],
        age: Option<&BoundFilter<'_>>,
        active: &mut Active,
    ) {
        for (i, &r) in batch.rows.iter().enumerate() {
            let group = groups[i];
            if group == UNKNOWN {
                continue;
            }
            let Some(stratum) = self.stratum_of(batch, r) else {
                st.outside += 1;
                continue;
            };
            st.responding[stratum as usize] += 1;
            let band = match (age, self.bands) {
                (Some(a), Some(bands)) => band_of(bands, a.number(r as usize).ok().flatten()),
                _ => 0,
            };
            let cell = self.cell_of(st, group, band, stratum);
            active.rows.push(r);
            active.positions.push(i as u32);
            active.cells.push(cell);
        }
    }

    /// Row `r`'s design stratum: 0 in a census; in a sample, its key's stratum in the
    /// manifest (through its pseudonym when the manifest's keys are pseudonyms), `None`
    /// when the key is not in it.
    #[inline]
    fn stratum_of(&self, batch: &Batch, r: u32) -> Option<u32> {
        match self.design {
            None => Some(0),
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
                d.keys.get(key).copied()
            }
        }
    }

    /// The cell of (group, band, stratum), made (with an empty tally per indicator) the
    /// first time it is seen.
    #[inline]
    fn cell_of(&self, st: &mut State, group: u32, band: u16, stratum: u32) -> u32 {
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
        match known {
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
        }
    }

    /// An indicator's population among the `active` rows: the rows into `s.inside` and
    /// their places among the active rows into `s.inside_at`. Indicators with the same
    /// `where` share one evaluation per batch (`cache`); its row errors are reported.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn population<'s>(
        &self,
        st: &mut State,
        batch: &Batch,
        ind: &'s Indicator,
        active: &[u32],
        s: &mut Scratch,
        cache: &mut Vec<WhereCodes<'s>>,
        rep: &Reporter,
    ) -> urval_ingest::Result<()> {
        s.inside.clear();
        s.inside_at.clear();
        let Some(w) = &ind.where_ else {
            s.inside.extend_from_slice(active);
            s.inside_at.extend(0..active.len());
            return Ok(());
        };
        match cache.iter().find(|c| c.0 == w.text()) {
            Some((_, c, e)) => {
                s.codes.clone_from(c);
                s.errors.clone_from(e);
            }
            None => {
                self.bind(w, batch)?
                    .truth_rows(active, &mut s.codes, &mut s.errors);
                cache.push((w.text(), s.codes.clone(), s.errors.clone()));
            }
        }
        // Kept without a branch on the code (a population's truth is as good as random to
        // a branch predictor): every row is written, and the end moves on only past those
        // inside.
        s.inside.resize(s.codes.len(), 0);
        s.inside_at.resize(s.codes.len(), 0);
        let mut m = 0;
        for (j, (&c, &r)) in s.codes.iter().zip(active).enumerate() {
            s.inside[m] = r;
            s.inside_at[m] = j;
            m += usize::from(c == T_TRUE);
        }
        s.inside.truncate(m);
        s.inside_at.truncate(m);
        for (j, reason) in s.errors.drain(..) {
            rep.report(st, j, reason);
        }
        Ok(())
    }

    /// A share over its population's rows (`s.inside`): each row's truth counted in its
    /// cell's tally (NULL per the indicator's null rule); its row errors are reported.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn fold_share(
        &self,
        st: &mut State,
        batch: &Batch,
        ind: &Indicator,
        e: &Filter,
        cells: &[u32],
        s: &mut Scratch,
        rep: &Reporter,
    ) -> urval_ingest::Result<()> {
        self.bind(e, batch)?
            .truth_rows(&s.inside, &mut s.outcome, &mut s.outcome_errors);
        let fail = ind.null == NullRule::Fail;
        let tallies = &mut st.tallies[rep.k];
        if tallies.len() <= s.inside_at.len() {
            // Counted per (cell, truth code) without a branch on the code (a share's
            // outcomes are as good as random to a branch predictor), then added to the
            // tallies once per cell.
            s.counts.clear();
            s.counts.resize(tallies.len() * 4, 0);
            for (m, &j) in s.inside_at.iter().enumerate() {
                s.counts[cells[j] as usize * 4 + usize::from(s.outcome[m] & 3)] += 1;
            }
            for (t, c) in tallies.iter_mut().zip(s.counts.chunks_exact(4)) {
                let (yes, no, null) = (
                    u64::from(c[usize::from(T_TRUE)]),
                    u64::from(c[usize::from(T_FALSE)]),
                    u64::from(c[usize::from(T_NULL)]),
                );
                t.add_shares(yes, no + if fail { null } else { 0 });
                t.skipped += if fail { 0 } else { null };
            }
        } else {
            for (m, &j) in s.inside_at.iter().enumerate() {
                let t = &mut tallies[cells[j] as usize];
                match s.outcome[m] {
                    T_TRUE => t.add_share(true),
                    T_FALSE => t.add_share(false),
                    T_NULL if fail => t.add_share(false),
                    T_NULL => t.add_skipped(),
                    _ => {}
                }
            }
        }
        for (m, reason) in s.outcome_errors.drain(..) {
            rep.report(st, s.inside_at[m], reason);
        }
        Ok(())
    }

    /// A mean or a median over its population's rows (`s.inside`): each number added to its
    /// cell's tally (and, for a median, its value counts); its row errors are reported.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn fold_numbers(
        &self,
        st: &mut State,
        batch: &Batch,
        ind: &Indicator,
        e: &Filter,
        cells: &[u32],
        s: &mut Scratch,
        rep: &Reporter,
    ) -> urval_ingest::Result<()> {
        let k = rep.k;
        self.bind(e, batch)?.number_rows(&s.inside, &mut s.numbers);
        let median = ind.kind == Kind::Median;
        for (m, &j) in s.inside_at.iter().enumerate() {
            let cell = cells[j] as usize;
            match s.numbers.codes[m] {
                T_TRUE => {
                    let x = s.numbers.values[m];
                    st.tallies[k][cell].add_value(x);
                    if median {
                        st.values[k][cell].add(x);
                    }
                }
                T_ERROR => {}
                _ => st.tallies[k][cell].add_skipped(),
            }
        }
        for (m, reason) in s.numbers.errors.drain(..) {
            rep.report(st, s.inside_at[m], reason);
        }
        Ok(())
    }
}

/// The rows of a batch that count, in batch order: the row, its place in the batch's rows
/// (for the row number of a quarantined row), and its cell.
struct Active {
    rows: Vec<u32>,
    positions: Vec<u32>,
    cells: Vec<u32>,
}

/// The buffers of one batch's indicator loop, reused from one indicator to the next: a
/// population's truth codes and errors, the rows inside it and their places among the
/// active rows, an outcome's truth codes and errors, numbers, and counts per cell.
#[derive(Default)]
struct Scratch {
    codes: Vec<u8>,
    errors: Vec<(usize, String)>,
    inside: Vec<u32>,
    inside_at: Vec<usize>,
    outcome: Vec<u8>,
    outcome_errors: Vec<(usize, String)>,
    numbers: Numbers,
    counts: Vec<u32>,
}

/// Quarantines the rows of one indicator (number `k` of the spec) that do not fit its
/// expressions, without the value when it reads a personal column.
struct Reporter<'r> {
    k: usize,
    ind: &'r Indicator,
    masked: bool,
    batch: &'r Batch<'r>,
    positions: &'r [u32],
}

impl Reporter<'_> {
    /// Quarantine active row `j` with `reason`.
    fn report(&self, st: &mut State, j: usize, reason: String) {
        st.invalid[self.k] += 1;
        let reason = if self.masked {
            "a value does not fit the expression (a personal column: value not shown)".to_string()
        } else {
            reason
        };
        st.errors.push(QuarantineRecord {
            file: self.batch.file,
            row: self.batch.row_number(self.positions[j] as usize),
            reason: format!("indicator {}: {reason}", self.ind.name),
            raw: String::new(),
        });
    }
}

/// A population's truth codes for a batch, and its row errors, by the `where` text.
type WhereCodes<'a> = (&'a str, Vec<u8>, Vec<(usize, String)>);

/// A merged cell: per indicator its tally and value counts.
#[derive(Clone, Default)]
pub struct Cell {
    /// Per indicator, its tally.
    pub tallies: Vec<Tally>,
    /// Per indicator, its value counts (medians only).
    pub values: Vec<Histogram>,
}

impl Cell {
    /// An empty cell for `k` indicators.
    pub fn new(k: usize) -> Cell {
        Cell {
            tallies: vec![Tally::default(); k],
            values: vec![Histogram::default(); k],
        }
    }
}

/// The units' states merged, in unit order.
pub struct Merged {
    k: usize,
    n_strata: usize,
    /// (group values, band) → per design stratum a cell.
    pub cells: BTreeMap<(Vec<String>, u16), Vec<Cell>>,
    /// Rows per design stratum (responding records).
    pub responding: Vec<u64>,
    /// Per indicator, the rows that did not fit its expressions.
    pub invalid: Vec<u64>,
    /// Rows whose key is not in the sample's manifest.
    pub outside: u64,
    /// Those rows, with their reasons.
    pub errors: Vec<QuarantineRecord>,
}

impl Merged {
    /// Nothing merged yet, for `k` indicators and `n_strata` design strata (1 for a census).
    pub fn new(k: usize, n_strata: usize) -> Merged {
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
    pub fn absorb(&mut self, st: State) {
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
///
/// Returns the cells' summed tally, the estimate, and for a sample with missing strata how
/// the estimate treats them (`incomplete`: bounds widened; `dropped`) with their share.
#[allow(clippy::too_many_arguments)]
pub fn estimate_cells(
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::path::Path;
    use urval_ingest::{scan_ordered, Extract, ScanSpec};

    #[test]
    fn age_bands_parse_and_classify() {
        let b = parse_age_bands("0-17,18-64,65-79,80-").unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(b[3].label(), "80-");
        assert_eq!(band_of(&b, Some(17.9)), 0);
        assert_eq!(band_of(&b, Some(18.0)), 1);
        assert_eq!(band_of(&b, Some(101.0)), 3);
        assert_eq!(band_of(&b, None), 4);
        assert_eq!(band_of(&b, Some(-1.0)), 4);
        for bad in ["", "0-17,10-20", "a-b", "5", "20-10", "0-,5-"] {
            assert!(parse_age_bands(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_age_bands("0-17,10-20").unwrap_err().to_string(),
            "--age-bands: \"10-20\" overlaps the band before it"
        );
        assert_eq!(parse_age_bands("").unwrap_err(), AgeBandsError::Count);
    }

    /// 12 cases over two areas: `heard` is yes for i % 3 == 0, empty (NULL) for i = 5.
    fn cases() -> Vec<String> {
        (0..12)
            .map(|i| {
                let area = if i % 2 == 0 { "aldre" } else { "barn" };
                let heard = match i {
                    5 => "",
                    _ if i % 3 == 0 => "ja",
                    _ => "nej",
                };
                format!("A-{i:02},{area},{heard},{}\n", 20 + 7 * i)
            })
            .collect()
    }

    const SPEC: &str = "[[indicator]]\nname = 'heard'\nkind = 'share'\nexpr = \"heard = 'ja'\"\n\n[[indicator]]\nname = 'age'\nkind = 'mean'\nexpr = 'age'\n";

    /// Fold the rows, written as `files` CSV files, and return the merged cells.
    fn fold(
        dir: &Path,
        rows: &[String],
        files: usize,
        bands: Option<&[AgeBand]>,
        design: Option<&Design>,
    ) -> Merged {
        let spec = Spec::parse(SPEC, Path::new("spec.toml")).unwrap();
        let mut paths = Vec::new();
        for (f, part) in rows.chunks(rows.len().div_ceil(files)).enumerate() {
            let path = dir.join(format!("part-{files}-{f}.csv"));
            std::fs::write(&path, format!("id,area,heard,age\n{}", part.concat())).unwrap();
            paths.push(path.display().to_string());
        }
        let extract = Extract::resolve(&paths, None).unwrap();
        let by = vec!["area".to_string()];
        let age = Filter::parse("age").unwrap();
        let mut scan = ScanSpec::new(if design.is_some() { "id" } else { "" }, &by);
        let mut needed = spec.columns();
        needed.push("age".into());
        needed.dedup();
        scan.extra.clone_from(&needed);
        let engine = Engine {
            spec: &spec,
            needed,
            bands,
            age: bands.map(|_| &age),
            design,
            pseudo: None,
            personal: &[],
            max_groups: 100,
            by: &by,
        };
        scan_ordered(
            &extract,
            &scan,
            || engine.init(&by),
            |st, batch| engine.fold(st, batch),
            || Merged::new(2, design.map_or(1, |d| d.strata.len())),
            |acc, st| {
                acc.absorb(st);
                Ok(())
            },
            &|_| {},
        )
        .unwrap()
        .0
    }

    fn tallies(m: &Merged) -> Vec<(Vec<String>, u16, Vec<Tally>)> {
        m.cells
            .iter()
            .flat_map(|((g, b), cells)| cells.iter().map(|c| (g.clone(), *b, c.tallies.clone())))
            .collect()
    }

    #[test]
    fn a_census_folds_to_the_hand_count_whatever_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let rows = cases();
        let one = fold(dir.path(), &rows, 1, None, None);
        let aldre = &one.cells[&(vec!["aldre".to_string()], 0)][0].tallies;
        // aldre: i = 0, 2, 4, 6, 8, 10; heard yes at 0 and 6.
        assert_eq!(
            (aldre[0].n, aldre[0].successes, aldre[0].skipped),
            (6, 2, 0)
        );
        let barn = &one.cells[&(vec!["barn".to_string()], 0)][0].tallies;
        // barn: i = 1, 3, 5, 7, 9, 11; yes at 3 and 9; i = 5 NULL and skipped.
        assert_eq!((barn[0].n, barn[0].successes, barn[0].skipped), (5, 2, 1));
        // Mean age in aldre: 20 + 7 × mean(0, 2, …, 10) = 55.
        assert!((aldre[1].sum / aldre[1].n as f64 - 55.0).abs() < 1e-12);
        for files in [2, 3, 12] {
            let split = fold(dir.path(), &rows, files, None, None);
            assert_eq!(tallies(&split), tallies(&one), "{files} files");
        }
        let mut reversed = rows.clone();
        reversed.reverse();
        assert_eq!(
            tallies(&fold(dir.path(), &reversed, 2, None, None)),
            tallies(&one)
        );
    }

    #[test]
    fn age_bands_split_a_group_and_keep_its_total() {
        let dir = tempfile::tempdir().unwrap();
        let bands = parse_age_bands("0-39,40-").unwrap();
        let m = fold(dir.path(), &cases(), 2, Some(&bands), None);
        // aldre ages 20, 34, 48, 62, 76, 90: two under 40, four at 40 or over.
        let under = &m.cells[&(vec!["aldre".to_string()], 0)][0].tallies[1];
        let over = &m.cells[&(vec!["aldre".to_string()], 1)][0].tallies[1];
        assert_eq!((under.n, over.n), (2, 4));
    }

    #[test]
    fn a_sample_keeps_its_design_strata_apart_and_counts_rows_outside_it() {
        let dir = tempfile::tempdir().unwrap();
        // Two design strata: A-00..A-05 in stratum 0, A-06..A-09 in stratum 1; A-10 and
        // A-11 are not in the manifest.
        let keys = (0..10)
            .map(|i| (format!("A-{i:02}"), u32::from(i >= 6)))
            .collect();
        let design = Design {
            key: "id".into(),
            keys,
            strata: vec![(BTreeMap::new(), 60, 6), (BTreeMap::new(), 40, 4)],
            strata_columns: vec![],
            pseudonymized: false,
            manifest: PathBuf::from("manifest.csv"),
        };
        let m = fold(dir.path(), &cases(), 2, None, Some(&design));
        assert_eq!(m.responding, vec![6, 4]);
        assert_eq!(m.outside, 2);
        let aldre = &m.cells[&(vec!["aldre".to_string()], 0)];
        // aldre in stratum 0: 0, 2, 4 (yes at 0); in stratum 1: 6, 8 (yes at 6).
        assert_eq!(
            (aldre[0].tallies[0].n, aldre[0].tallies[0].successes),
            (3, 1)
        );
        assert_eq!(
            (aldre[1].tallies[0].n, aldre[1].tallies[0].successes),
            (2, 1)
        );
        let spec = Spec::parse(SPEC, Path::new("spec.toml")).unwrap();
        let refs: Vec<&Cell> = aldre.iter().collect();
        let (total, est, missing) = estimate_cells(
            0,
            &spec.indicators[0],
            &refs,
            Some(&design),
            &m.responding,
            &[],
            Nonresponse::Bounds,
            0.95,
            true,
        );
        assert_eq!((total.n, total.successes), (5, 2));
        // Stratified: (60 × 1/6 + 40 × 1/4) / (60 × 3/6 + 40 × 2/4) = 20 / 50.
        let est = est.unwrap();
        assert!((est.estimate - 0.4).abs() < 1e-12, "{}", est.estimate);
        assert!(missing.is_none());
    }
}
