//! The one pass over the extract a plan needs: each stratum's population (N_h), its pages,
//! its fingerprint, and whether a key repeats (exactly, with hashes spilled to disk past a
//! memory budget); `census_within` the same for the records a `where` keeps.

use crate::error::Result;
pub use crate::fingerprint::MIN_FINGERPRINT_N;
use crate::plan_error::PlanError;
use crate::purposes::{DomainCounts, DomainSpec};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::Array;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use urval_ingest::strata::StrataMapper;
use urval_ingest::{scan, Batch, Extract, IngestError, ScanOutput, ScanSpec};

const HASH_BUCKETS: usize = 256;

/// One stratum of a census, merged over units.
#[derive(Debug, Clone, Default)]
pub struct CensusStratum {
    /// Records.
    pub population: u64,
    /// Wrapping sum of XXH3-128 of the keys.
    pub fingerprint: u128,
    /// Sum and count of pages.
    pub pages: (f64, u64),
}

/// The result of a census pass.
pub struct CensusResult {
    /// Strata by their values (column order), sorted.
    pub strata: BTreeMap<Vec<String>, CensusStratum>,
    /// Scan counts and quarantine.
    pub scan: ScanOutput<()>,
    /// Distinct keys that occur more than once, with their counts (first 10, sorted), and the
    /// number of such keys.
    pub duplicates: (u64, Vec<(String, u64)>),
    /// Per domain of [`census_within`]: (stratum values, group value) → records.
    pub domains: Vec<DomainCounts>,
}

/// How many 64-bit key hashes the duplicate check holds in memory (all threads together)
/// before it moves them to disk: 8 M hashes, 64 MB.
pub const DUPLICATE_MEMORY_HASHES: u64 = 8 << 20;

/// The duplicate check's hashes moved to disk once more than a budget of them is held: one
/// file per top-8-bit bucket in a private directory (removed when done, also on an error),
/// each written in whole batches under its own lock. A bucket is then read back and sorted
/// on its own, so memory stays near the budget plus one bucket per thread however large the
/// extract: 100 M keys are 800 MB of hashes, a bucket of them 3 MB.
struct Spill {
    budget: u64,
    held: std::sync::atomic::AtomicU64,
    dir: std::sync::OnceLock<std::result::Result<PathBuf, (PathBuf, Arc<std::io::Error>)>>,
    files: Vec<std::sync::Mutex<Option<std::io::BufWriter<std::fs::File>>>>,
    spilled: std::sync::atomic::AtomicU64,
}

impl Spill {
    fn new(budget: u64) -> Spill {
        Spill {
            budget,
            held: std::sync::atomic::AtomicU64::new(0),
            dir: std::sync::OnceLock::new(),
            files: (0..HASH_BUCKETS)
                .map(|_| std::sync::Mutex::new(None))
                .collect(),
            spilled: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn dir(&self) -> std::result::Result<&PathBuf, PlanError> {
        self.dir
            .get_or_init(|| {
                let d = std::env::temp_dir().join(format!(
                    "urval-duplicates-{}-{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |t| t.as_nanos())
                ));
                std::fs::create_dir_all(&d)
                    .map(|()| d.clone())
                    .map_err(|e| (d, Arc::new(e)))
            })
            .as_ref()
            .map_err(|(dir, cause)| PlanError::SpillDirectory {
                dir: dir.clone(),
                cause: cause.clone(),
            })
    }

    /// Note `n` more hashes held; when over the budget, move this unit's to disk.
    fn after_batch(&self, n: u64, buckets: &mut [Vec<u64>]) -> std::result::Result<(), PlanError> {
        use std::sync::atomic::Ordering::Relaxed;
        let held = self.held.fetch_add(n, Relaxed) + n;
        if held <= self.budget {
            return Ok(());
        }
        let dir = self.dir()?.clone();
        let mut moved = 0u64;
        for (b, v) in buckets.iter_mut().enumerate() {
            if v.is_empty() {
                continue;
            }
            let mut slot = self.files[b].lock().map_err(|_| PlanError::SpillThread)?;
            if slot.is_none() {
                let path = dir.join(format!("{b:02x}.u64"));
                let f = std::fs::File::create(&path).map_err(|cause| PlanError::SpillWrite {
                    path: path.clone(),
                    cause,
                })?;
                *slot = Some(std::io::BufWriter::new(f));
            }
            if let Some(w) = slot.as_mut() {
                let bytes: Vec<u8> = v.iter().flat_map(|h| h.to_le_bytes()).collect();
                std::io::Write::write_all(w, &bytes)
                    .map_err(|cause| PlanError::SpillHashes { cause })?;
            }
            moved += v.len() as u64;
            *v = Vec::new();
        }
        self.held.fetch_sub(moved, Relaxed);
        self.spilled.fetch_add(moved, Relaxed);
        Ok(())
    }

    /// Bucket `b`'s hashes on disk.
    fn read(&self, b: usize) -> std::result::Result<Vec<u64>, PlanError> {
        let Some(Ok(dir)) = self.dir.get() else {
            return Ok(Vec::new());
        };
        let path = dir.join(format!("{b:02x}.u64"));
        if !path.exists() {
            return Ok(Vec::new());
        }
        let bytes = std::fs::read(&path).map_err(|cause| PlanError::SpillRead {
            path: path.clone(),
            cause,
        })?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    /// Flush every bucket file.
    fn flush(&self) -> std::result::Result<(), PlanError> {
        for f in &self.files {
            let mut slot = f.lock().map_err(|_| PlanError::SpillThread)?;
            if let Some(w) = slot.as_mut() {
                std::io::Write::flush(w).map_err(|cause| PlanError::SpillHashes { cause })?;
            }
            *slot = None;
        }
        Ok(())
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if let Some(Ok(dir)) = self.dir.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Count every stratum of the extract; find duplicate keys exactly (XXH3-64 of every key,
/// then a second pass over the keys whose hashes collide).
pub fn census(
    extract: &Extract,
    spec: &ScanSpec,
    pages_column: Option<&str>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CensusResult> {
    census_within(
        extract,
        spec,
        pages_column,
        &[],
        DUPLICATE_MEMORY_HASHES,
        progress,
    )
}

/// Where each purpose's domain filter columns and group column are among the extra columns
/// the census reads.
fn domain_columns(
    spec: &ScanSpec,
    domains: &[DomainSpec],
) -> Result<Vec<(Vec<usize>, Option<usize>)>> {
    let extra_at = |c: &String| -> Result<usize> {
        match spec.extra.iter().position(|x| x == c) {
            Some(i) => Ok(i),
            None => Err(PlanError::PurposeColumnNotRead { column: c.clone() }.into()),
        }
    };
    let mut domain_cols = Vec::with_capacity(domains.len());
    for d in domains {
        let cols = match &d.filter {
            Some(f) => f
                .columns()
                .iter()
                .map(extra_at)
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let group = d.group.as_ref().map(extra_at).transpose()?;
        domain_cols.push((cols, group));
    }
    Ok(domain_cols)
}

/// What every scan unit of a census counts with.
struct CensusFold<'a> {
    /// A pages column is read (the first extra column).
    pages: bool,
    /// The purposes' domains.
    domains: &'a [DomainSpec],
    /// Where their columns are among the extra columns ([`domain_columns`]).
    domain_cols: &'a [(Vec<usize>, Option<usize>)],
    /// The duplicate check's hashes past their memory budget.
    spill: &'a Spill,
}

/// Per-unit census state.
struct Census {
    mapper: StrataMapper,
    counts: Vec<u64>,
    fingerprints: Vec<u128>,
    pages: Vec<(f64, u64)>,
    /// XXH3 of every key, bucketed by the top 8 bits so buckets sort independently.
    key_hashes: Vec<Vec<u64>>,
    ids: Vec<u32>,
    /// Per purpose: (stratum id, group value) → records of its domain.
    domains: Vec<Vec<FxHashMap<Box<str>, u64>>>,
    truth: Vec<u8>,
}

impl Census {
    fn new(strata: &[String], domains: usize) -> Census {
        Census {
            mapper: StrataMapper::growing(strata),
            counts: Vec::new(),
            fingerprints: Vec::new(),
            pages: Vec::new(),
            key_hashes: vec![Vec::new(); HASH_BUCKETS],
            ids: Vec::new(),
            domains: vec![Vec::new(); domains],
            truth: Vec::new(),
        }
    }

    /// Count a batch's rows per stratum (records, keys' fingerprint and hashes, pages) and
    /// per purpose's domain; past the memory budget, move the key hashes to disk.
    fn fold(&mut self, batch: &Batch, f: &CensusFold) -> std::result::Result<(), IngestError> {
        let mut ids = std::mem::take(&mut self.ids);
        self.mapper
            .map_batch(batch, &mut ids)
            .map_err(|e| IngestError::Row {
                path: batch.path.to_path_buf(),
                row: batch
                    .rows
                    .first()
                    .map_or(0, |&r| batch.row_number(r as usize)),
                reason: e.to_string(),
            })?;
        let n = self.mapper.len();
        self.counts.resize(n, 0);
        self.fingerprints.resize(n, 0);
        self.pages.resize(n, (0.0, 0));
        let pages = if f.pages {
            batch.extra.first().and_then(arrow_cast_f64)
        } else {
            None
        };
        for (i, &r) in batch.rows.iter().enumerate() {
            let s = ids[i] as usize;
            let key = batch.key_at(r as usize);
            let h = crate::fingerprint::key_hash(key.as_bytes());
            self.counts[s] += 1;
            self.fingerprints[s] = self.fingerprints[s].wrapping_add(h);
            let h64 = h as u64;
            self.key_hashes[(h64 >> 56) as usize].push(h64);
            if let Some(p) = &pages {
                if !p.is_null(r as usize) {
                    self.pages[s].0 += p.value(r as usize);
                    self.pages[s].1 += 1;
                }
            }
        }
        for (k, d) in f.domains.iter().enumerate() {
            self.fold_domain(batch, &ids, n, k, d, &f.domain_cols[k])?;
        }
        self.ids = ids;
        f.spill
            .after_batch(batch.rows.len() as u64, &mut self.key_hashes)
            .map_err(|e| IngestError::Row {
                path: batch.path.to_path_buf(),
                row: 0,
                reason: e.to_string(),
            })
    }

    /// Count the batch's rows in purpose `k`'s domain `d` (its filter true), per stratum
    /// (`ids`; `n` strata so far) and group value.
    fn fold_domain(
        &mut self,
        batch: &Batch,
        ids: &[u32],
        n: usize,
        k: usize,
        d: &DomainSpec,
        (cols, group): &(Vec<usize>, Option<usize>),
    ) -> std::result::Result<(), IngestError> {
        let row_error = |i: usize, reason: String| {
            IngestError::Row {
            path: batch.path.to_path_buf(),
            row: batch.row_number(i),
            reason: format!("purpose population: {reason}; fix the value, or quarantine such rows with a --check"),
        }
        };
        let truth = &mut self.truth;
        match &d.filter {
            Some(f) => {
                let arrays: Vec<arrow_array::ArrayRef> =
                    cols.iter().map(|&i| batch.extra[i].clone()).collect();
                let bound = f
                    .bind(&arrays)
                    .map_err(|e| row_error(batch.rows.first().map_or(0, |&r| r as usize), e.0))?;
                let mut errors = Vec::new();
                bound.truth_rows(batch.rows, truth, &mut errors);
                if let Some((j, reason)) = errors.into_iter().next() {
                    return Err(row_error(batch.rows[j] as usize, reason));
                }
            }
            None => {
                truth.clear();
                truth.resize(batch.rows.len(), urval_ingest::T_TRUE);
            }
        }
        let groups = group.map(|g| urval_ingest::TextCol::from_array(&batch.extra[g]));
        let map = &mut self.domains[k];
        map.resize_with(n, FxHashMap::default);
        for (i, &r) in batch.rows.iter().enumerate() {
            if truth[i] != urval_ingest::T_TRUE {
                continue;
            }
            let g = match &groups {
                Some(Some(col)) => col.get(r as usize).unwrap_or(""),
                _ => "",
            };
            let m = &mut map[ids[i] as usize];
            match m.get_mut(g) {
                Some(c) => *c += 1,
                None => {
                    m.insert(g.into(), 1);
                }
            }
        }
        Ok(())
    }
}

/// The units' census states merged: the strata by their values (empty ones left out), the
/// key hashes per bucket, and each purpose's domain counts.
type MergedCensus = (
    BTreeMap<Vec<String>, CensusStratum>,
    Vec<Vec<Vec<u64>>>,
    Vec<DomainCounts>,
);

fn merge_units(results: Vec<Census>, domains: usize) -> MergedCensus {
    let mut strata: BTreeMap<Vec<String>, CensusStratum> = BTreeMap::new();
    let mut buckets: Vec<Vec<Vec<u64>>> = vec![Vec::new(); HASH_BUCKETS];
    let mut domain_counts: Vec<DomainCounts> = vec![DomainCounts::new(); domains];
    for st in results {
        let values_of = |s: usize| -> Vec<String> {
            st.mapper
                .values(s as u32)
                .into_iter()
                .map(String::from)
                .collect()
        };
        for s in 0..st.mapper.len() {
            let e = strata.entry(values_of(s)).or_default();
            e.population += st.counts[s];
            e.fingerprint = e.fingerprint.wrapping_add(st.fingerprints[s]);
            e.pages.0 += st.pages[s].0;
            e.pages.1 += st.pages[s].1;
        }
        for (b, v) in st.key_hashes.into_iter().enumerate() {
            buckets[b].push(v);
        }
        for (k, per) in st.domains.into_iter().enumerate() {
            for (s, m) in per.into_iter().enumerate() {
                for (g, c) in m {
                    *domain_counts[k]
                        .entry((values_of(s), g.into()))
                        .or_default() += c;
                }
            }
        }
    }
    strata.retain(|_, s| s.population > 0);
    (strata, buckets, domain_counts)
}

/// The 64-bit key hashes that occur more than once: each bucket (in memory and on disk)
/// sorted on its own, in parallel.
fn colliding_hashes(buckets: Vec<Vec<Vec<u64>>>, spill: &Spill) -> Result<Vec<u64>> {
    use rayon::prelude::*;
    let per: Vec<std::result::Result<Vec<u64>, PlanError>> = buckets
        .into_par_iter()
        .enumerate()
        .map(|(b, parts)| {
            let mut v: Vec<u64> = parts.concat();
            drop(parts);
            v.extend(spill.read(b)?);
            v.sort_unstable();
            let mut dup: Vec<u64> = v
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0])
                .collect();
            dup.dedup();
            Ok(dup)
        })
        .collect();
    let mut all = Vec::new();
    for d in per {
        all.extend(d?);
    }
    Ok(all)
}

/// [`census`] with the duplicate check's memory budget in hashes ([`Spill`]).
///
/// # Errors
/// As [`census`]; the spill directory cannot be written.
pub fn census_within(
    extract: &Extract,
    spec: &ScanSpec,
    pages_column: Option<&str>,
    domains: &[DomainSpec],
    budget: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CensusResult> {
    StrataMapper::check_columns(&spec.strata)?;
    let spill = Spill::new(budget);
    let domain_cols = domain_columns(spec, domains)?;
    let fold = CensusFold {
        pages: pages_column.is_some(),
        domains,
        domain_cols: &domain_cols,
        spill: &spill,
    };
    let out = scan(
        extract,
        spec,
        || Census::new(&spec.strata, domains.len()),
        |st, batch| st.fold(batch, &fold),
        progress,
    )?;
    spill.flush()?;
    let ScanOutput {
        results,
        files,
        quarantine,
    } = out;
    let (strata, buckets, domain_counts) = merge_units(results, domains.len());
    // Keys whose 64-bit hashes collide.
    let suspects = colliding_hashes(buckets, &spill)?;
    tracing::debug!(
        spilled = spill.spilled.load(std::sync::atomic::Ordering::Relaxed),
        "duplicate check"
    );
    drop(spill);
    let duplicates = if suspects.is_empty() {
        (0, Vec::new())
    } else {
        let mut suspects = suspects;
        suspects.sort_unstable();
        exact_duplicates(extract, spec, &suspects)?
    };
    Ok(CensusResult {
        strata,
        scan: ScanOutput {
            results: Vec::new(),
            files,
            quarantine,
        },
        duplicates,
        domains: domain_counts,
    })
}

fn arrow_cast_f64(a: &arrow_array::ArrayRef) -> Option<arrow_array::Float64Array> {
    let cast = match a.data_type() {
        arrow_schema::DataType::Utf8
        | arrow_schema::DataType::LargeUtf8
        | arrow_schema::DataType::Utf8View
        | arrow_schema::DataType::Dictionary(_, _) => {
            // Dictionary-encoded text (a CSV column, a Parquet dictionary page) is text
            // too: read with a decimal comma, never by arrow's number cast.
            let s = arrow_cast::cast(a, &arrow_schema::DataType::Utf8).ok()?;
            let parsed: arrow_array::Float64Array = s
                .as_string::<i32>()
                .iter()
                .map(|v| v.and_then(urval_ingest::parse_decimal))
                .collect();
            return Some(parsed);
        }
        _ => arrow_cast::cast(a, &arrow_schema::DataType::Float64).ok()?,
    };
    Some(cast.as_primitive::<Float64Type>().clone())
}

/// Rows of the duplicate check in fixed chunks of 2²⁰ values (8 MB), so growing never
/// holds a vector twice over.
#[derive(Default)]
struct Chunks {
    done: Vec<Vec<u64>>,
    current: Vec<u64>,
}

impl Chunks {
    const SIZE: usize = 1 << 20;
    fn push(&mut self, v: u64) {
        if self.current.capacity() == 0 {
            self.current.reserve_exact(Self::SIZE);
        }
        self.current.push(v);
        if self.current.len() == Self::SIZE {
            self.done.push(std::mem::take(&mut self.current));
        }
    }
}

/// A sorted set of hashes with a table of where each top-16-bit prefix starts, so a lookup
/// is a binary search among the few values of one prefix (cache-local) instead of among all.
struct Lookup<'a> {
    sorted: &'a [u64],
    starts: Vec<u32>,
}

impl<'a> Lookup<'a> {
    fn new(sorted: &'a [u64]) -> Lookup<'a> {
        let mut starts = vec![0u32; (1 << 16) + 1];
        for &v in sorted {
            starts[(v >> 48) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Lookup { sorted, starts }
    }

    /// The index of `v` in the sorted values.
    #[inline]
    fn find(&self, v: u64) -> Option<usize> {
        let p = (v >> 48) as usize;
        let (a, b) = (self.starts[p] as usize, self.starts[p + 1] as usize);
        self.sorted[a..b].binary_search(&v).ok().map(|j| a + j)
    }
}

/// The 96 bits of a key's XXH3-128 the duplicate check compares: the low 64 and the top 32.
const MATCH_BITS: u128 = !(0xFFFF_FFFFu128 << 64);

/// The duplicate keys among the rows whose 64-bit hashes collide (`suspects`, sorted), in a
/// memory budget: 8 bytes per suspect row, never the key text.
///
/// Method: a second scan keeps, for every key whose low 64 XXH3-128 bits are a suspect, the
/// suspect's index (found by binary search in the sorted suspects, 8 bytes each, instead of
/// a hash set) and 32 further bits of the hash, in fixed 8 MB chunks; the chunks are sorted
/// and merged, and runs longer than one are the duplicated keys. Two different keys are
/// taken for one only when 96 bits of their hashes agree: probability about m²/2⁹⁷ for m
/// distinct suspect keys (below 10⁻¹¹ for 10⁹), so the count is exact in practice; the ten
/// keys shown are read back as text in a third scan and counted exactly. Measured by
/// `scripts/dup-memory.sh`: 30 M rows, every key twice, in the figure of docs/performance.md, where a map
/// from key text to count took 8 GB.
fn exact_duplicates(
    extract: &Extract,
    spec: &ScanSpec,
    suspects: &[u64],
) -> Result<(u64, Vec<(String, u64)>)> {
    use rayon::prelude::*;
    if u32::try_from(suspects.len()).is_err() {
        return Err(PlanError::TooManyCollisions.into());
    }
    let lookup = Lookup::new(suspects);
    let mut key_spec = spec.clone();
    key_spec.extra.clear();
    let out = scan(
        extract,
        &key_spec,
        Chunks::default,
        |c, batch| {
            for &r in batch.rows {
                let h = crate::fingerprint::key_hash(batch.key_at(r as usize).as_bytes());
                if let Some(j) = lookup.find(h as u64) {
                    // The suspect's index, then 32 more bits of the hash.
                    c.push(((j as u64) << 32) | ((h >> 96) as u64));
                }
            }
            Ok(())
        },
        &|_| {},
    )?;
    let mut chunks: Vec<Vec<u64>> = out
        .results
        .into_iter()
        .flat_map(|c| {
            let mut d = c.done;
            if !c.current.is_empty() {
                d.push(c.current);
            }
            d
        })
        .collect();
    chunks.par_iter_mut().for_each(|c| c.sort_unstable());
    // Each duplicated (suspect, hash) once, with how often it occurs: a k-way merge of the
    // sorted chunks, so the rows are never copied into one vector.
    let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize, usize)>> = chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(k, c)| std::cmp::Reverse((c[0], k, 0)))
        .collect();
    let mut dup: Vec<(u128, u64)> = Vec::new();
    let mut run: Option<(u64, u64)> = None;
    // How many keys occur more than once, and the first ten (in hash order) to show.
    let mut n = 0u64;
    let mut close = |run: Option<(u64, u64)>, dup: &mut Vec<(u128, u64)>| {
        if let Some((v, c)) = run.filter(|r| r.1 > 1) {
            n += 1;
            if dup.len() < 10 {
                let low = suspects[(v >> 32) as usize];
                dup.push(((u128::from(v & 0xFFFF_FFFF) << 96) | u128::from(low), c));
            }
        }
    };
    while let Some(std::cmp::Reverse((v, k, i))) = heap.pop() {
        match &mut run {
            Some((rv, c)) if *rv == v => *c += 1,
            _ => {
                close(run.take(), &mut dup);
                run = Some((v, 1));
            }
        }
        if let Some(&next) = chunks[k].get(i + 1) {
            heap.push(std::cmp::Reverse((next, k, i + 1)));
        }
    }
    close(run, &mut dup);
    drop(chunks);
    if n == 0 {
        return Ok((0, Vec::new()));
    }
    // The first ten as text, counted exactly from the keys themselves.
    dup.truncate(10);
    let shown: Vec<u128> = dup.iter().map(|d| d.0).collect();
    let out = scan(
        extract,
        &key_spec,
        FxHashMap::<String, u64>::default,
        |m, batch| {
            for &r in batch.rows {
                let key = batch.key_at(r as usize);
                let h = crate::fingerprint::key_hash(key.as_bytes());
                if shown.contains(&(h & MATCH_BITS)) {
                    *m.entry(key.to_string()).or_default() += 1;
                }
            }
            Ok(())
        },
        &|_| {},
    )?;
    let mut total: FxHashMap<String, u64> = FxHashMap::default();
    for m in out.results {
        for (k, v) in m {
            *total.entry(k).or_default() += v;
        }
    }
    let mut first: Vec<(String, u64)> = total.into_iter().filter(|(_, c)| *c > 1).collect();
    first.sort();
    Ok((n, first))
}

/// Stop on duplicate keys unless allowed: how many, and the first few.
pub fn check_duplicates(
    dups: &(u64, Vec<(String, u64)>),
    allow: bool,
    key_is_personal: bool,
) -> Result<()> {
    if dups.0 > 0 && !allow {
        let first: Vec<String> = dups
            .1
            .iter()
            .map(|(k, c)| {
                // A personal key is never printed: only how often it occurs.
                let k = if key_is_personal {
                    urval_ingest::PERSONAL_MASK
                } else {
                    k.as_str()
                };
                format!("{k} ({c}×)")
            })
            .collect();
        return Err(PlanError::DuplicateKeys {
            count: dups.0,
            first,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn hashes_that_occur_twice_are_the_suspects_in_any_bucket() {
        let spill = Spill::new(u64::MAX);
        let mut buckets: Vec<Vec<Vec<u64>>> = vec![Vec::new(); HASH_BUCKETS];
        buckets[0] = vec![vec![5, 1, 9], vec![5, 5]];
        buckets[3] = vec![vec![7], vec![8], vec![7]];
        buckets[255] = vec![vec![u64::MAX - 1, u64::MAX]];
        let mut got = colliding_hashes(buckets, &spill).unwrap();
        got.sort_unstable();
        assert_eq!(got, [5, 7]);
    }

    #[test]
    fn a_purpose_column_not_read_is_named() {
        let mut spec = ScanSpec::new("id", &["area".to_string()]);
        spec.extra = vec!["pages".into(), "sex".into()];
        let domain = |filter: Option<&str>, group: Option<&str>| DomainSpec {
            filter: filter.map(|f| urval_ingest::Filter::parse(f).unwrap()),
            group: group.map(String::from),
        };
        let cols = domain_columns(
            &spec,
            &[domain(Some("sex = 'k'"), None), domain(None, Some("pages"))],
        )
        .unwrap();
        assert_eq!(cols, [(vec![1], None), (vec![], Some(0))]);
        let e = domain_columns(&spec, &[domain(None, Some("kommun"))])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "column \"kommun\" of a purpose is not among the columns read"
        );
    }
}
