//! The scan: every file of an extract read in units (a Parquet row group, an IPC file, a
//! CSV file) in parallel with rayon, projected to the columns a command needs, validated
//! row by row, filtered, and handed to the caller's fold in batches. Memory stays bounded
//! by batch size × threads whatever the extract's size.
//!
//! Every row read is accounted for: `rows_read = rows_used + rows_excluded + rows_quarantined`
//! per file, where *excluded* rows are those a `--where` filter leaves out and *quarantined*
//! rows are those that cannot be used (empty key or stratum, wrong field count, a value that
//! does not parse, a line or sheet row that repeats the header), each with its file, row and
//! reason. A byte-order mark at the start of a line inside a CSV file (two exports joined)
//! is an error naming the line: the mark would otherwise be glued onto that line's key.
//!
//! The scan is a folder, one concern per file; this module is the driver and uses them all,
//! while none of them uses it:
//! - [`spec`]: what a scan is asked for and what it gives back (types only);
//! - [`quarantine`]: quarantine records, reasons and their summary;
//! - [`columns`]: a file's column names, the needed columns checked and projected;
//! - [`units`]: the units an extract is read in, planned and run one at a time;
//! - [`batches`]: one unit's rows validated, filtered and folded batch by batch;
//! - [`csv_reader`] and [`sheets`]: a CSV file (or one range of it) and a spreadsheet read into
//!   batches; [`csv_ranges`] cuts a large CSV file into ranges, [`lines`] splits its plain
//!   lines and [`records`] hands the rest to the `csv` crate;
//! - [`text_builder`]: the text arrays CSV and spreadsheet values are built into.
//!
//! The driver ([`scan`], [`scan_ordered`]) plans the units, runs them on rayon's threads
//! and merges their outputs in unit order; it also finds which text columns hold dates, as
//! the scan reads them, and reads the extract again only when one must be read as dates.

mod batches;
mod columns;
mod csv_ranges;
mod csv_reader;
mod lines;
mod quarantine;
mod records;
mod sheets;
mod spec;
mod text_builder;
mod units;

pub use columns::file_columns;
pub use csv_ranges::{csv_range_bytes, CSV_CHUNK_BYTES, CSV_CHUNK_MIN_BYTES};
pub use quarantine::{
    reason_kind, summarize_quarantine, QuarantineRecord, ReasonSummary, PERSONAL_MASK,
    REPEATED_HEADER_LINE, REPEATED_HEADER_ROW,
};
pub use spec::{Batch, FileCounts, ScanOutput, ScanSpec};

use crate::error::{IngestError, Result};
use crate::source::{Extract, Format};
use crate::text::TextCol;
use batches::{is_text, Kept, Reads};
use csv_ranges::{lock, prefetch_range, usable_indexes, RangeCount, RangeLines};
use units::{plan_units, prepare_chunks, run_unit, Unit, UnitOut};

impl Reads {
    /// The readings of the `needed` columns of a scan: formats given in the extract's
    /// [`crate::Reading`]; municipality-code columns given or named like one. The key is
    /// read as it is. The other text columns of CSV and spreadsheet files (but strata and
    /// personal ones) are observed for dates as the scan goes, and
    /// [`Reads::decide`] then says whether any must be read as dates.
    fn of(extract: &Extract, spec: &ScanSpec, needed: &[String]) -> Reads {
        let reading = &extract.reading;
        let codes: Vec<bool> = needed
            .iter()
            .map(|n| {
                *n != spec.key
                    && (reading.municipality_columns.contains(n)
                        || (reading.check_municipality_names
                            && crate::municipal::is_code_column(n)))
            })
            .collect();
        let dates: Vec<Option<crate::dates::DateReading>> = needed
            .iter()
            .map(|n| {
                reading
                    .date_formats
                    .iter()
                    .find(|(c, _)| c == n && *n != spec.key)
                    .map(|(_, f)| crate::dates::DateReading::Given(*f))
            })
            .collect();
        let text_files = extract
            .files
            .iter()
            .any(|f| matches!(f.format, Format::Csv | Format::Excel));
        let observe: Vec<bool> = needed
            .iter()
            .zip(&dates)
            .zip(&codes)
            .map(|((n, d), code)| {
                spec.detect_dates
                    && text_files
                    && d.is_none()
                    && !*code
                    && *n != spec.key
                    && !spec.strata.contains(n)
                    && !spec.personal.contains(n)
            })
            .collect();
        Reads {
            dates,
            codes,
            observe,
        }
    }

    /// The columns observed for dates.
    fn observed(&self, needed: &[String]) -> Vec<String> {
        needed
            .iter()
            .zip(&self.observe)
            .filter(|(_, o)| **o)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Decide how the observed columns are read from their evidence over the whole extract
    /// (one per observed column, in order), and observe them no more. True when a column
    /// must be read as dates: the rows read so far were read without that reading.
    ///
    /// # Errors
    /// [`IngestError::AmbiguousDates`]: a column of slash dates that read either way.
    fn decide(
        &mut self,
        needed: &[String],
        evidence: &[crate::dates::DateEvidence],
    ) -> Result<bool> {
        let observed: Vec<usize> = (0..needed.len()).filter(|&j| self.observe[j]).collect();
        let mut any = false;
        for (&j, e) in observed.iter().zip(evidence) {
            let found = e.decide().map_err(|example| IngestError::AmbiguousDates {
                column: needed[j].clone(),
                example,
            })?;
            if let Some(r) = found {
                tracing::info!(column = %needed[j], reading = %r.expected(), "column read as dates");
                self.dates[j] = Some(r);
                any = true;
            }
        }
        self.observe.iter_mut().for_each(|o| *o = false);
        Ok(any)
    }
}

/// What the `candidates` columns' values look like over the whole extract (each column's
/// [`crate::dates::DateEvidence`]): a scan of those columns alone, ended as soon as every
/// one has a value that is no date (a number, a name), which one batch of a unit shows.
/// Typed columns (a Parquet date or number) are not evidence.
fn detect_dates(
    extract: &Extract,
    spec: &ScanSpec,
    candidates: &[String],
) -> Result<Vec<crate::dates::DateEvidence>> {
    use crate::dates::DateEvidence;
    let mut first = spec.clone();
    first.key = String::new();
    first.strata = Vec::new();
    first.extra = candidates.to_vec();
    first.filter = None;
    first.checks = Vec::new();
    first.nonnegative = Vec::new();
    first.detect_dates = false;
    let mut first_extract = extract.clone();
    first_extract.reading.municipality_columns.clear();
    first_extract.reading.check_municipality_names = false;
    first_extract.reading.date_formats.clear();
    let k = candidates.len();
    let out = scan(
        &first_extract,
        &first,
        || vec![DateEvidence::default(); k],
        |ev, batch| {
            for (e, a) in ev.iter_mut().zip(batch.extra) {
                // A column with a value that is no date is no date column, whatever follows.
                if !is_text(a) || e.settled() {
                    continue;
                }
                let Some(t) = TextCol::from_array(a) else {
                    continue;
                };
                for &i in batch.rows {
                    if let Some(v) = t.get(i as usize).filter(|v| !v.trim().is_empty()) {
                        e.observe(v);
                    }
                }
            }
            if ev.iter().all(DateEvidence::settled) {
                return Err(IngestError::DatesSettled);
            }
            Ok(())
        },
        &|_| {},
    );
    match out {
        Ok(o) => {
            let mut all = vec![DateEvidence::default(); k];
            for part in &o.results {
                for (a, p) in all.iter_mut().zip(part) {
                    a.merge(p);
                }
            }
            Ok(all)
        }
        Err(IngestError::DatesSettled) => Ok(vec![
            DateEvidence {
                values: 1,
                not_dates: 1,
                ..DateEvidence::default()
            };
            k
        ]),
        Err(e) => Err(e),
    }
}

/// Scan an extract: project `spec`'s columns, validate and filter every row, and fold the
/// valid rows batch by batch into one state per unit (created by `init`). Units run in
/// parallel; `progress` is called with the rows each finished batch read. Every unit's
/// state is kept until the scan ends: a fold whose states are large should use
/// [`scan_ordered`], which hands them over as they finish.
///
/// # Errors
/// A file that cannot be opened or decoded, a missing column (naming the columns present),
/// or an error returned by `fold`. Bad rows are not errors: they are quarantined.
pub fn scan<T, I, F>(
    extract: &Extract,
    spec: &ScanSpec,
    init: I,
    fold: F,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScanOutput<T>>
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Batch) -> Result<()> + Sync,
{
    let (results, out) = scan_ordered(
        extract,
        spec,
        init,
        fold,
        Vec::new,
        |results: &mut Vec<T>, t| {
            results.push(t);
            Ok(())
        },
        progress,
    )?;
    Ok(ScanOutput {
        results,
        files: out.files,
        quarantine: out.quarantine,
    })
}

/// How many units may finish ahead of the oldest unfinished one, per thread: their states
/// wait for it (so that `sink` sees them in unit order) and are what a scan holds in memory
/// beyond the states being folded.
const AHEAD_PER_THREAD: usize = 2;

/// [`scan`], handing each unit's state to `sink` (with the accumulator `start` made) as
/// soon as it and every unit before it are done, in unit order (files in order, row groups
/// and CSV ranges in order) whatever the thread count, so a merge in `sink` gives the same
/// bytes on 1 thread as on 16. Units are started in order and at most [`AHEAD_PER_THREAD`] ×
/// threads of them finish ahead of the oldest unfinished one, so memory is bounded by that
/// many states, however many units the extract has (a 100 M-row Parquet file is about 100
/// row groups). Returns the accumulator; the output's `results` is empty.
///
/// Dates: the text columns of CSV and spreadsheet files that may hold dates (see
/// [`ScanSpec::detect_dates`]) are observed as the scan reads them as text. Most are
/// settled by that one pass: a column with a value that is no date, or of plain ISO dates
/// (which every expression reads as they are), needs no reading. When one must be read as
/// dates (`25/06/2024`, `20240625`), the accumulator is made anew with `start` and the
/// extract is read again with that reading; `sink` sees only that second pass's states.
/// When the first pass fails, the columns are first searched for dates alone (stopping as
/// soon as each has a value that is no date), and the error stands unless a date reading
/// is found, as if the dates had been detected before the scan.
///
/// # Errors
/// As [`scan`], an error returned by `sink`, and [`IngestError::AmbiguousDates`]. When
/// several units fail, the first in unit order is reported.
pub fn scan_ordered<T, A, I, F, S>(
    extract: &Extract,
    spec: &ScanSpec,
    init: I,
    fold: F,
    start: impl Fn() -> A,
    mut sink: S,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(A, ScanOutput<()>)>
where
    T: Send,
    A: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Batch) -> Result<()> + Sync,
    S: FnMut(&mut A, T) -> Result<()> + Send,
{
    let needed = spec.columns();
    let mut reads = Reads::of(extract, spec, &needed);
    let observed = reads.observed(&needed);
    // One pass over the extract with the columns read as `reads` says, into a new accumulator.
    let mut pass = |reads: &Reads| {
        scan_units(
            extract,
            spec,
            (&needed, reads),
            (&init, &fold),
            (start(), &mut sink),
            progress,
        )
    };
    let first = pass(&reads);
    if observed.is_empty() {
        return first.map(|(acc, out, _)| (acc, out));
    }
    match first {
        Ok((acc, out, evidence)) => {
            let evidence: Vec<crate::dates::DateEvidence> = evidence
                .into_iter()
                .zip(&reads.observe)
                .filter(|(_, o)| **o)
                .map(|(e, _)| e)
                .collect();
            if !reads.decide(&needed, &evidence)? {
                return Ok((acc, out));
            }
        }
        Err(e) => {
            let evidence = detect_dates(extract, spec, &observed)?;
            if !reads.decide(&needed, &evidence)? {
                return Err(e);
            }
        }
    }
    tracing::info!("reading the extract again, with its dates read as dates");
    pass(&reads).map(|(acc, out, _)| (acc, out))
}

/// One pass of [`scan_ordered`] with the columns read as `reads` says: the accumulator, the
/// counts and quarantine, and per column read its date evidence (where `reads` observes).
#[allow(clippy::type_complexity)]
fn scan_units<T, A, I, F, S>(
    extract: &Extract,
    spec: &ScanSpec,
    (needed, reads): (&[String], &Reads),
    (init, fold): (&I, &F),
    (acc, sink): (A, &mut S),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(A, ScanOutput<()>, Vec<crate::dates::DateEvidence>)>
where
    T: Send,
    A: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Batch) -> Result<()> + Sync,
    S: FnMut(&mut A, T) -> Result<()> + Send,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};

    let mut units = plan_units(extract, needed, &spec.key, spec.csv_chunk_bytes)?;
    let (lines, counted) = counted_ranges(extract, &mut units)?;
    // A unit taken but not read: the ranges after it must not wait for its count.
    let not_read = |i: usize| {
        if let Some((file, range)) = counted[i] {
            if let Some(l) = &lines[file] {
                l.publish(range, RangeCount::Failed);
            }
        }
    };
    tracing::info!(files = extract.files.len(), units = units.len(), columns = ?needed, "scan");
    let n = units.len();
    let threads = rayon::current_num_threads().clamp(1, n.max(1));
    let window = AHEAD_PER_THREAD * threads;
    let slots: Vec<Mutex<Option<Unit>>> = units.into_iter().map(|u| Mutex::new(Some(u))).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let merger = Mutex::new(Merger {
        sink,
        acc,
        pending: std::collections::BTreeMap::new(),
        next: 0,
        skip_file: None,
        files: vec![FileCounts::default(); extract.files.len()],
        quarantine: Vec::new(),
        kept: Kept::new(),
        evidence: vec![crate::dates::DateEvidence::default(); needed.len()],
        error: None,
    });
    let advanced = Condvar::new();
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= n {
            break;
        }
        if stop.load(Ordering::SeqCst) {
            not_read(i);
            break;
        }
        // Wait until unit i is within the window of the oldest unfinished unit (which is
        // running on another worker: units are taken in order).
        {
            let mut m = lock(&merger);
            while i >= m.next + window && !stop.load(Ordering::SeqCst) {
                m = advanced
                    .wait(m)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        // An earlier unit failed while this one waited: its work would be thrown away.
        if stop.load(Ordering::SeqCst) {
            not_read(i);
            break;
        }
        let Some(mut unit) = lock(&slots[i]).take() else {
            not_read(i);
            continue;
        };
        let pre = match (&mut unit, counted[i]) {
            (
                Unit::Csv {
                    encoding,
                    chunk: Some(c),
                    ..
                },
                Some((file, _)),
            ) => match &lines[file] {
                Some(l) => prefetch_range(&extract.files[file], c, encoding, l).map(Some),
                None => Ok(None),
            },
            _ => Ok(None),
        };
        // A split CSV range is kept to parse the rest of its file again from its start.
        let again = unit.csv_range_copy();
        let out = pre.and_then(|pre| {
            run_unit(
                extract,
                (spec, reads),
                needed,
                (unit, pre),
                init,
                fold,
                progress,
            )
        });
        let mut m = lock(&merger);
        m.pending.insert(i, (out, again));
        let failed = m.drain(extract, &mut |rest| {
            run_unit(
                extract,
                (spec, reads),
                needed,
                (rest, None),
                init,
                fold,
                &|_| {},
            )
        });
        if failed {
            stop.store(true, Ordering::SeqCst);
        }
        drop(m);
        advanced.notify_all();
    };
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| worker());
        }
    });
    let m = merger
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = m.error {
        return Err(e);
    }
    // A file still pending had every range read and found ASCII (a range that was not, or
    // a part read without prefetching, settled it): it is UTF-8.
    for (f, l) in extract.files.iter().zip(&lines) {
        if let (Some(p), Some(_)) = (&f.pending, l) {
            p.settle_utf8();
        }
    }
    warn_kept(&m.kept);
    let mut quarantine = m.quarantine;
    quarantine.sort();
    Ok((
        m.acc,
        ScanOutput {
            results: Vec::new(),
            files: m.files,
            quarantine,
        },
        m.evidence,
    ))
}

/// A warning for every value kept that is no municipality code (`--keep-unknown-municipalities`).
fn warn_kept(kept: &Kept) {
    for ((column, value), rows) in kept {
        tracing::warn!(
            "column {column:?}: {} ({rows} {}): kept as its own stratum, as --keep-unknown-municipalities asks; correct the code in the extract",
            crate::municipal::check_code(value).unwrap_or_default(),
            if *rows == 1 { "row" } else { "rows" }
        );
    }
}

/// A unit that is a range counted by the workers: its file and range.
type CountedRange = Option<(usize, usize)>;

/// The ranges of split CSV files that the workers count ([`prefetch_range`]), with the line
/// offsets of the others' ranges set from their files' line-feed indexes
/// ([`prepare_chunks`]): per file, the counts of its ranges when the workers count them;
/// per unit, the file and range of a range they count.
fn counted_ranges(
    extract: &Extract,
    units: &mut [Unit],
) -> Result<(Vec<Option<RangeLines>>, Vec<CountedRange>)> {
    let indexed = usable_indexes(extract);
    // Split files without a usable line-feed index (UTF-8 without one, Windows-1252):
    // their ranges are read into memory and counted by the workers ([`prefetch_range`]).
    let mut ranges_of = vec![0usize; extract.files.len()];
    for u in units.iter() {
        if let Unit::Csv {
            file,
            chunk: Some(_),
            ..
        } = u
        {
            ranges_of[*file] += 1;
        }
    }
    prepare_chunks(extract, units, &indexed)?;
    let lines: Vec<Option<RangeLines>> = ranges_of
        .iter()
        .zip(&indexed)
        .map(|(&r, ix)| (r > 0 && ix.is_none()).then(|| RangeLines::new(r)))
        .collect();
    // A unit that is a range counted by the workers: its file and range.
    let counted: Vec<Option<(usize, usize)>> = units
        .iter()
        .map(|u| match u {
            Unit::Csv {
                file,
                chunk: Some(c),
                ..
            } if lines[*file].is_some() => Some((*file, c.index)),
            _ => None,
        })
        .collect();
    Ok((lines, counted))
}

/// Finished units waiting for the ones before them, and what has been handed on.
struct Merger<'s, T, A, S> {
    sink: &'s mut S,
    /// What `sink` merges the units' states into.
    acc: A,
    /// Finished units by index, each with a copy of its CSV range (see [`Unit::csv_range_copy`]).
    pending: std::collections::BTreeMap<usize, (Result<UnitOut<T>>, Option<Unit>)>,
    /// The oldest unit not yet handed on.
    next: usize,
    /// A file whose ranges from some point on were parsed again in one piece.
    skip_file: Option<usize>,
    files: Vec<FileCounts>,
    quarantine: Vec<QuarantineRecord>,
    kept: Kept,
    /// Per column read: the date evidence of the units handed on.
    evidence: Vec<crate::dates::DateEvidence>,
    error: Option<IngestError>,
}

impl<T, A, S: FnMut(&mut A, T) -> Result<()>> Merger<'_, T, A, S> {
    /// Hand on the finished units that are next in order. A split file's range that did not
    /// end on its cut is parsed again with the rest of its file in one piece (`rerun`), and
    /// the file's later ranges are dropped. Returns true once an error is recorded: the
    /// first in unit order, since units are handed on in order.
    fn drain(
        &mut self,
        extract: &Extract,
        rerun: &mut dyn FnMut(Unit) -> Result<UnitOut<T>>,
    ) -> bool {
        if self.error.is_some() {
            return true;
        }
        while let Some((out, again)) = self.pending.remove(&self.next) {
            self.next += 1;
            let o = match out {
                Ok(o) => o,
                Err(e) => {
                    self.error = Some(e);
                    return true;
                }
            };
            if self.skip_file == Some(o.file) {
                continue;
            }
            let o = match (o.chunk, again) {
                (
                    Some((_, false)),
                    Some(Unit::Csv {
                        file,
                        header,
                        delimiter,
                        encoding,
                        chunk: Some(mut c),
                    }),
                ) => {
                    tracing::info!(
                        file,
                        range = c.index,
                        "CSV range did not end on its cut: parsing the rest in one piece"
                    );
                    c.last = true;
                    c.end = extract.files[file].size;
                    self.skip_file = Some(file);
                    let rest = Unit::Csv {
                        file,
                        header,
                        delimiter,
                        encoding,
                        chunk: Some(c),
                    };
                    match rerun(rest) {
                        Ok(r) => r,
                        Err(e) => {
                            self.error = Some(e);
                            return true;
                        }
                    }
                }
                _ => o,
            };
            self.files[o.file].add(&o.counts);
            self.quarantine.extend(o.quarantine);
            for (k, n) in o.kept {
                *self.kept.entry(k).or_insert(0) += n;
            }
            for (a, e) in self.evidence.iter_mut().zip(&o.evidence) {
                a.merge(e);
            }
            if let Err(e) = (self.sink)(&mut self.acc, o.state) {
                self.error = Some(e);
                return true;
            }
        }
        false
    }
}
