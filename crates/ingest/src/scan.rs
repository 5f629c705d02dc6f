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

use crate::encoding::TextEncoding;
use crate::error::{IngestError, Result};
use crate::filter::Filter;
use crate::source::{csv_header, Extract, Format, SourceFile};
use crate::text::TextCol;
use arrow_array::{Array, ArrayRef, RecordBatch};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

/// The quarantine reason of a CSV line whose fields are the header's names (two exports
/// joined into one file).
pub const REPEATED_HEADER_LINE: &str = "a repeated header line (two files joined?)";

/// The quarantine reason of a spreadsheet row whose cells are the header's names.
pub const REPEATED_HEADER_ROW: &str = "a repeated header row (two sheets joined?)";

/// What to read.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// The record key column; empty for a scan without one (a census that checks no
    /// keys): then no row is quarantined for an empty key and [`Batch::key_at`] is "".
    pub key: String,
    /// The strata columns (may be empty).
    pub strata: Vec<String>,
    /// Further columns the caller needs (include, pages), passed through as Arrow arrays.
    pub extra: Vec<String>,
    /// An optional row filter.
    pub filter: Option<Filter>,
    /// Data rules (`--check`), with SQL CHECK semantics: a row where a rule is FALSE is
    /// quarantined with the rule as its reason; TRUE and NULL pass.
    pub checks: Vec<Filter>,
    /// Columns holding personal data: their values never appear in quarantine rows.
    pub personal: Vec<String>,
    /// Numeric columns (e.g. pages) whose non-empty values must be non-negative numbers;
    /// a row with anything else is quarantined.
    pub nonnegative: Vec<String>,
    /// Rows per batch.
    pub batch_size: usize,
    /// The largest byte range a UTF-8 or Windows-1252 CSV file is parsed in on all cores
    /// ([`CSV_CHUNK_BYTES`]); see [`csv_range_bytes`] for the size used. The ranges depend on
    /// the file alone, never on the thread count.
    pub csv_chunk_bytes: u64,
    /// Split plain CSV lines without the `csv` crate's state machine: a line that has no
    /// quote and no lone CR and is not blank is split at its delimiters here, and the `csv`
    /// crate reads from the first line that is not plain on. False only to compare the
    /// two readers in tests and benches.
    pub csv_line_reader: bool,
    /// Dictionary-encode the text columns read from CSV and spreadsheets (every column but
    /// the key) while a batch has at most half as many distinct values as rows. False only
    /// to compare the two encodings in tests and benches: the answers are the same.
    pub text_dictionary: bool,
    /// Search the text columns the scan reads (but the key and strata) of CSV and
    /// spreadsheet files for dates in the formats of [`crate::dates`], in a first pass over
    /// those columns that stops as soon as each has a value that is no date. True but in
    /// that first pass itself.
    pub detect_dates: bool,
}

/// The largest byte range a large CSV file is parsed in, in parallel: 8 MiB (a worker
/// may hold its range in memory, [`prefetch_range`]: a range's bytes per thread).
pub const CSV_CHUNK_BYTES: u64 = 8 << 20;

/// The smallest byte range [`csv_range_bytes`] chooses: 4 MiB.
pub const CSV_CHUNK_MIN_BYTES: u64 = 4 << 20;

/// The byte ranges a CSV file of `size` bytes is cut in: a 32nd of the file, at least
/// [`CSV_CHUNK_MIN_BYTES`] and at most `max` ([`ScanSpec::csv_chunk_bytes`]), in whole MiB
/// when it is at least one.
///
/// Why: the ranges are handed to the threads in order, so the last to finish leaves the
/// others idle for up to one range. With six ranges of 32 MiB (the 2 M-row, 196 MB file of
/// docs/performance.md) one of two threads waited 20–40 ms of a 0.3 s draw (measured with perf timelines).
/// Whole MiB: a range then starts a line past a block of the file's line-feed index, so
/// numbering its lines reads that line, not up to a MiB (`line_feeds_before`). The size
/// depends on the file alone, so the ranges, and every output, never depend on the thread
/// count.
pub fn csv_range_bytes(size: u64, max: u64) -> u64 {
    use crate::encoding::LF_BLOCK;
    let c = max.min((size / 32).max(CSV_CHUNK_MIN_BYTES));
    if c >= LF_BLOCK {
        c / LF_BLOCK * LF_BLOCK
    } else {
        c
    }
}

impl ScanSpec {
    /// A spec with a key and strata, no extras, no filter, 65,536 rows per batch.
    pub fn new(key: &str, strata: &[String]) -> Self {
        ScanSpec {
            key: key.to_string(),
            strata: strata.to_vec(),
            extra: Vec::new(),
            filter: None,
            checks: Vec::new(),
            personal: Vec::new(),
            nonnegative: Vec::new(),
            batch_size: 65_536,
            csv_chunk_bytes: CSV_CHUNK_BYTES,
            csv_line_reader: true,
            text_dictionary: true,
            detect_dates: true,
        }
    }

    /// Every column the scan reads, each once, in first-use order.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let filter_cols: Vec<String> = self
            .filter
            .iter()
            .chain(&self.checks)
            .flat_map(|f| f.columns().iter().cloned())
            .collect();
        for c in std::iter::once(&self.key)
            .filter(|k| !k.is_empty())
            .chain(&self.strata)
            .chain(&self.extra)
            .chain(&self.nonnegative)
            .chain(filter_cols.iter())
        {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// One batch of validated rows.
pub struct Batch<'a> {
    /// Index of the file in the extract.
    pub file: usize,
    /// The file's path.
    pub path: &'a Path,
    pub(crate) row_base: u64,
    pub(crate) lines: Option<&'a [u64]>,
    /// The key column as text (`None` without a key column: see [`ScanSpec::key`]).
    pub key: Option<&'a TextCol>,
    /// The strata columns as text, in spec order.
    pub strata: &'a [TextCol],
    /// The extra columns, in spec order.
    pub extra: &'a [ArrayRef],
    /// The rows of this batch that passed validation and the filter.
    pub rows: &'a [u32],
}

impl Batch<'_> {
    /// The key of row `row` ("" when null or when the scan has no key column).
    #[inline]
    pub fn key_at(&self, row: usize) -> &str {
        self.key.and_then(|k| k.get(row)).unwrap_or("")
    }

    /// The row number to report for row `i` of this batch: the 1-based data row of the
    /// file (Parquet, IPC) or the 1-based line (CSV).
    pub fn row_number(&self, i: usize) -> u64 {
        match self.lines {
            Some(lines) => lines[i],
            None => self.row_base + i as u64 + 1,
        }
    }
}

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuarantineRecord {
    /// Index of the file in the extract.
    pub file: usize,
    /// Row number (1-based data row; the line for CSV).
    pub row: u64,
    /// Why.
    pub reason: String,
    /// The row as read (CSV: the fields re-joined; otherwise the projected values).
    pub raw: String,
}

/// One kind of quarantine reason with how many rows it took and the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonSummary {
    /// The reason with its values left out (`column "pages": "…" is not a number`).
    pub kind: String,
    /// Rows quarantined for it.
    pub count: u64,
    /// The first such row: (file index, row or CSV line).
    pub first: (usize, u64),
}

/// A reason with the values it quotes left out, so that rows quarantined for the same cause
/// group together: every quoted text is replaced by `"…"` unless it follows `column ` (a
/// column's name is part of the cause, its value is not).
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let Some(len) = after[1..].find('"') else {
            out.push_str(after);
            return out;
        };
        let quoted = &after[..len + 2];
        if before.ends_with("column ") {
            out.push_str(quoted);
        } else {
            out.push_str("\"…\"");
        }
        rest = &after[len + 2..];
    }
    out.push_str(rest);
    out
}

/// The most frequent kinds of quarantine reason ([`reason_kind`]), most rows first (ties in
/// the order they first occur), at most `top`.
pub fn summarize_quarantine(records: &[QuarantineRecord], top: usize) -> Vec<ReasonSummary> {
    let mut out: Vec<ReasonSummary> = Vec::new();
    for r in records {
        let kind = reason_kind(&r.reason);
        match out.iter_mut().find(|s| s.kind == kind) {
            Some(s) => s.count += 1,
            None => out.push(ReasonSummary {
                kind,
                count: 1,
                first: (r.file, r.row),
            }),
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.count));
    out.truncate(top);
    out
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn reasons_group_by_cause_not_value() {
        assert_eq!(
            reason_kind(r#"where: column "pages": "19x" is not a number"#),
            r#"where: column "pages": "…" is not a number"#
        );
        assert_eq!(
            reason_kind("empty key (column \"id\")"),
            "empty key (column \"id\")"
        );
        let rec = |row, reason: &str| QuarantineRecord {
            file: 0,
            row,
            reason: reason.to_string(),
            raw: String::new(),
        };
        let s = summarize_quarantine(
            &[
                rec(2, "empty key (column \"id\")"),
                rec(4, r#"column "x" is not valid UTF-8"#),
                rec(5, r#"column "x" is not valid UTF-8"#),
            ],
            3,
        );
        assert_eq!(s[0].count, 2);
        assert_eq!(s[0].first, (0, 4));
        assert_eq!(s[1].kind, "empty key (column \"id\")");
    }
}

/// Row counts of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows handed to the caller.
    pub rows_used: u64,
    /// Rows left out by the filter.
    pub rows_excluded: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
}

impl FileCounts {
    fn add(&mut self, o: &FileCounts) {
        self.rows_read += o.rows_read;
        self.rows_used += o.rows_used;
        self.rows_excluded += o.rows_excluded;
        self.rows_quarantined += o.rows_quarantined;
    }
}

/// The result of a scan.
pub struct ScanOutput<T> {
    /// One fold state per unit, in a stable unit order (files in order, row groups in order).
    pub results: Vec<T>,
    /// Counts per file, in extract order.
    pub files: Vec<FileCounts>,
    /// Quarantined rows, sorted by file and row.
    pub quarantine: Vec<QuarantineRecord>,
}

impl<T> ScanOutput<T> {
    /// Counts over all files.
    pub fn totals(&self) -> FileCounts {
        let mut t = FileCounts::default();
        for f in &self.files {
            t.add(f);
        }
        t
    }
}

enum Unit {
    Parquet {
        file: usize,
        meta: ArrowReaderMetadata,
        row_group: usize,
        row_base: u64,
    },
    Csv {
        file: usize,
        header: Vec<String>,
        delimiter: u8,
        encoding: TextEncoding,
        chunk: Option<CsvChunk>,
    },
    Ipc {
        file: usize,
    },
    Excel {
        file: usize,
    },
}

/// A reader that notes where a line feed follows a carriage return.
///
/// Why: the csv reader ends a record at the CR of a CR LF and reports the next record's
/// position (byte and line) at the LF it has not yet consumed — one byte and one line early.
/// The marks let [`CrlfMarks::shift`] move such a position to where the record starts, so
/// line numbers in CR LF files are the lines an editor shows, and a range of a split file
/// can see that it ended on its cut.
struct CrlfTap {
    inner: Box<dyn std::io::Read + Send>,
    pos: u64,
    last_cr: bool,
    marks: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

/// The positions a [`CrlfTap`] has marked, read by the parsing loop.
struct CrlfMarks(std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>);

impl CrlfTap {
    fn new(inner: Box<dyn std::io::Read + Send>) -> (CrlfTap, CrlfMarks) {
        let marks = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
        (
            CrlfTap {
                inner,
                pos: 0,
                last_cr: false,
                marks: marks.clone(),
            },
            CrlfMarks(marks),
        )
    }
}

impl std::io::Read for CrlfTap {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = &buf[..n];
        let mut marks = self.marks.borrow_mut();
        // Line feeds found with memchr (SIMD): a byte-by-byte loop here cost 12 % of a
        // CSV scan.
        for i in memchr::memchr_iter(b'\n', got) {
            let cr = if i == 0 {
                self.last_cr
            } else {
                got[i - 1] == b'\r'
            };
            if cr {
                marks.push_back(self.pos + i as u64);
            }
        }
        if n > 0 {
            self.last_cr = got[n - 1] == b'\r';
            self.pos += n as u64;
        }
        Ok(n)
    }
}

impl CrlfMarks {
    /// 1 when the position reported for a record is the LF of a CR LF (the record starts
    /// one byte and one line later), else 0. Positions come in increasing order.
    fn shift(&mut self, at: u64) -> u64 {
        let mut m = self.0.borrow_mut();
        while m.front().is_some_and(|&x| x < at) {
            m.pop_front();
        }
        u64::from(m.front() == Some(&at))
    }
}

/// Where a record starts, for the parsing loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordAt {
    /// Byte offset of its first byte in the reader's output for the range (or file).
    at: u64,
    /// Its line, counting the range's first line as 1.
    line: u64,
    /// It runs over more than one line (a quoted field holds a line end).
    spans_lines: bool,
    /// Its bytes were checked as UTF-8 with the range they are in ([`Prefetched`]).
    utf8: bool,
}

/// A CSV record's fields: `bytes[a..b]` for each `(a, b)` in `bounds`, in order.
struct Fields<'a> {
    bytes: &'a [u8],
    /// The first fields' offsets in `bytes` (all of them, or as many as the scan reads).
    bounds: &'a [(usize, usize)],
    /// How many fields the record has.
    count: usize,
    /// Where fields past `bounds` are split (a plain line's delimiter: no quotes in it).
    delimiter: u8,
}

impl<'a> Fields<'a> {
    /// A `csv` crate record's fields (their bytes are contiguous in it).
    fn of(rec: &'a csv::ByteRecord, bounds: &'a mut Vec<(usize, usize)>) -> Fields<'a> {
        bounds.clear();
        let mut a = 0;
        for f in rec {
            bounds.push((a, a + f.len()));
            a += f.len();
        }
        Fields {
            bytes: rec.as_slice(),
            count: bounds.len(),
            bounds,
            delimiter: 0,
        }
    }

    fn len(&self) -> usize {
        self.count
    }

    #[inline]
    fn get(&self, j: usize) -> &'a [u8] {
        match self.bounds.get(j) {
            Some(&(a, b)) => &self.bytes[a..b],
            None => self.unrecorded(j),
        }
    }

    /// A field the line reader counted but did not record (only a quarantined row's raw
    /// text reads one): the line is plain, so its fields are the bytes between delimiters.
    #[cold]
    #[inline(never)]
    fn unrecorded(&self, j: usize) -> &'a [u8] {
        let from = self.bounds.last().map_or(0, |&(_, b)| b + 1);
        self.bytes
            .get(from..)
            .unwrap_or(&[])
            .split(|&c| c == self.delimiter)
            .nth(j - self.bounds.len())
            .unwrap_or(&[])
    }
}

/// The plain lines of a CSV range, split on the delimiter here; the first line that is not
/// plain, and everything after it, is left to the `csv` crate ([`CsvRecords`]).
///
/// Why our own splitter: the `csv` crate's state machine reads a byte at a time (callgrind:
/// `csv_core::Reader::read_record` was half of `plan`'s and `draw`'s instructions on a CSV
/// and a third of the plain indicators'), and its records are copied field by field. A line
/// without a quote, without a CR other than one just before its LF, and not blank, reads
/// the same under RFC 4180 and the `csv` crate's rules: its fields are the bytes between
/// delimiters. Delimiters and line ends are found together, 64 bytes at a time, as bit
/// masks ([`Masks`]: vector compares, one pass over the bytes), the first quote of a buffer
/// by `memchr`; the fields are
/// handed on as positions in the read buffer, with no copy, and only up to the last column
/// the scan reads (the others are counted by a population count of their block's
/// delimiters: the draw's three leading columns of fifteen, LineReader's instructions
/// 117.5 M → 92.9 M on 200,000 lines; a quarantined row's raw text splits the rest again). Anything else (a quote, a lone
/// CR, a blank line, a header that is not plain) goes, with the rest of the range, to the
/// `csv` crate, so quoted fields, unbalanced quotes and their quarantine behave exactly as
/// before; a property test (`tests/csv_lines.rs`) compares the two readers on plain and
/// spoilt files, whole and in ranges, as UTF-8 and as Windows-1252.
struct LineReader {
    inner: Box<dyn std::io::Read + Send>,
    buf: Vec<u8>,
    /// The unread bytes are `buf[lo..hi]`.
    lo: usize,
    hi: usize,
    /// The first quote in `buf[lo..hi]` (`hi` when there is none).
    quote: usize,
    /// Reader output before `buf[0]`.
    base: u64,
    /// Line feeds before `buf[lo]`.
    lines: u64,
    eof: bool,
    /// The header line is still to be skipped.
    header: bool,
    delimiter: u8,
    /// The last line split: where it starts in `buf`, where its content ends (from its
    /// start), its first fields from there, and how many fields it has.
    line: usize,
    content_end: usize,
    bounds: Vec<(usize, usize)>,
    count: usize,
    /// How many leading fields to record (the rest are only counted): a scan reads the
    /// columns up to the last it needs, and a line's other fields matter only as a count.
    want: usize,
    /// The 64-byte block of `buf` last classified ([`Masks`]); `usize::MAX` after a read.
    block: usize,
    masks: Masks,
    /// Reader output known to be valid UTF-8 from the start ([`Self::prefetched`]): a line
    /// ending there or before needs no check of its own.
    valid_to: u64,
    /// The most a read from `inner` asks for: past a prefetched range only the line at its
    /// cut (or a quoted record across it) is read.
    read_cap: usize,
}

/// Where a 64-byte block of a CSV buffer has a delimiter, and where an LF or CR: bit `i`
/// of each mask for byte `i` (bytes past the end of the read bytes have no bit).
#[derive(Clone, Copy, Default)]
struct Masks {
    delimiter: u64,
    line_end: u64,
}

impl Masks {
    /// Classify up to 64 bytes, sixteen at a time (SSE2 compare and move-mask through
    /// `wide`'s safe vector types; a plain loop elsewhere).
    fn of(bytes: &[u8], delimiter: u8) -> Masks {
        use wide::u8x16;
        let mut block = [0u8; 64];
        let n = bytes.len().min(64);
        block[..n].copy_from_slice(&bytes[..n]);
        let (d, lf, cr) = (
            u8x16::splat(delimiter),
            u8x16::splat(b'\n'),
            u8x16::splat(b'\r'),
        );
        let mut m = Masks::default();
        for (k, lane) in block.chunks_exact(16).enumerate() {
            let mut a = [0u8; 16];
            a.copy_from_slice(lane);
            let x = u8x16::new(a);
            m.delimiter |= u64::from(x.simd_eq(d).to_bitmask()) << (16 * k);
            m.line_end |= u64::from((x.simd_eq(lf) | x.simd_eq(cr)).to_bitmask()) << (16 * k);
        }
        if n < 64 {
            let valid = (1u64 << n) - 1;
            m.delimiter &= valid;
            m.line_end &= valid;
        }
        m
    }
}

/// What [`LineReader::next`] found.
enum LineNext {
    /// A plain line, its fields in [`LineReader::fields`].
    Record(RecordAt),
    /// A line that is not plain: the rest goes to the `csv` crate.
    NotPlain,
    End,
}

/// How a line ends, as [`LineReader::split`] finds it.
enum LineEnd {
    /// Content ends at the first position, the next line starts at the second.
    At(usize, usize),
    /// The line runs past the bytes read.
    More,
    /// A CR not followed by LF.
    LoneCr,
}

impl LineReader {
    fn new(
        inner: Box<dyn std::io::Read + Send>,
        delimiter: u8,
        header: bool,
        want: usize,
    ) -> LineReader {
        // A sixteenth more than the file reader's buffer: a read after moving a partial
        // line (under 64 KiB) to the front still asks for at least that buffer's size, so
        // std reads straight into this one instead of through the `BufReader`.
        let buf = vec![0; crate::encoding::READ_BUFFER + crate::encoding::READ_BUFFER / 16];
        LineReader::with_buffer(inner, buf, delimiter, header, want)
    }

    fn with_buffer(
        inner: Box<dyn std::io::Read + Send>,
        buf: Vec<u8>,
        delimiter: u8,
        header: bool,
        want: usize,
    ) -> LineReader {
        LineReader {
            inner,
            buf,
            lo: 0,
            hi: 0,
            quote: 0,
            base: 0,
            lines: 0,
            eof: false,
            header,
            delimiter,
            line: 0,
            content_end: 0,
            bounds: Vec::new(),
            count: 0,
            want,
            block: usize::MAX,
            masks: Masks::default(),
            valid_to: 0,
            read_cap: usize::MAX,
        }
    }

    /// A reader of a range read into memory ([`Prefetched`]): its bytes first, then `inner`
    /// (the file after the range) in reads of at most 64 KiB.
    fn prefetched(
        pre: Prefetched,
        inner: Box<dyn std::io::Read + Send>,
        delimiter: u8,
        header: bool,
        want: usize,
    ) -> LineReader {
        let mut r = LineReader::with_buffer(inner, pre.buf, delimiter, header, want);
        r.hi = pre.len;
        r.quote = pre.quote.unwrap_or(pre.len);
        r.valid_to = if pre.valid { pre.len as u64 } else { 0 };
        r.read_cap = 1 << 16;
        r
    }

    /// The fields of the line [`Self::next`] returned last.
    fn fields(&self) -> Fields<'_> {
        Fields {
            bytes: &self.buf[self.line..self.line + self.content_end],
            bounds: &self.bounds,
            count: self.count,
            delimiter: self.delimiter,
        }
    }

    /// The next plain line, split into [`Self::fields`].
    fn next(&mut self) -> std::io::Result<LineNext> {
        loop {
            if self.lo == self.hi && self.eof {
                return Ok(LineNext::End);
            }
            let (end, next) = match self.split() {
                LineEnd::At(end, next) => (end, next),
                LineEnd::LoneCr => return Ok(LineNext::NotPlain),
                LineEnd::More => {
                    self.fill()?;
                    continue;
                }
            };
            if end == self.lo || self.quote < next {
                return Ok(LineNext::NotPlain);
            }
            let found = RecordAt {
                at: self.base + self.lo as u64,
                line: self.lines + 1,
                spans_lines: false,
                utf8: self.base + next as u64 <= self.valid_to,
            };
            self.lines += u64::from(next > end && self.buf[next - 1] == b'\n');
            self.lo = next;
            if !std::mem::replace(&mut self.header, false) {
                return Ok(LineNext::Record(found));
            }
        }
    }

    /// Split the line at `lo` into `bounds` (offsets from `lo`).
    fn split(&mut self) -> LineEnd {
        // The field list held in a local while it is filled (its length in a register).
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.clear();
        self.line = self.lo;
        let end = self.split_into(&mut bounds);
        self.bounds = bounds;
        end
    }

    /// End the line being split at `at` (where its content ends; its last field starts at
    /// `start`): the last field recorded if wanted, else counted with the `extra` fields
    /// not recorded, and the field count and content end kept.
    #[inline]
    fn close_line(
        &mut self,
        bounds: &mut Vec<(usize, usize)>,
        start: usize,
        at: usize,
        extra: usize,
    ) {
        let lo = self.lo;
        let extra = if bounds.len() < self.want {
            bounds.push((start - lo, at - lo));
            extra
        } else {
            extra + 1
        };
        self.count = bounds.len() + extra;
        self.content_end = at - lo;
    }

    fn split_into(&mut self, bounds: &mut Vec<(usize, usize)>) -> LineEnd {
        let (lo, hi) = (self.lo, self.hi);
        // A 64-byte block at a time: the delimiters before the first LF or CR are the field
        // ends, and that LF or CR ends the line (a CR only with an LF after it). The block
        // is kept for the next line, which mostly starts in it.
        let mut start = lo;
        let mut block = lo & !63;
        let want = self.want;
        // Fields ended but not recorded (past `want`).
        let mut extra = 0usize;
        loop {
            if block >= hi {
                // The last line, without a line end.
                if self.eof {
                    self.close_line(bounds, start, hi, extra);
                    return LineEnd::At(hi, hi);
                }
                return LineEnd::More;
            }
            if self.block != block {
                self.masks = Masks::of(&self.buf[block..hi.min(block + 64)], self.delimiter);
                self.block = block;
            }
            let from = if block < lo {
                !0u64 << (lo - block)
            } else {
                !0
            };
            let mut delimiters = self.masks.delimiter & from;
            let ends = self.masks.line_end & from;
            let end = (ends != 0).then(|| block + ends.trailing_zeros() as usize);
            if let Some(e) = end {
                delimiters &= (1u64 << (e - block)) - 1;
            }
            // Past `want` fields the block's delimiters are only counted (checked once a
            // block, not once a delimiter).
            let room = want.saturating_sub(bounds.len());
            let n = delimiters.count_ones() as usize;
            if n > room {
                // Keep the lowest `room` delimiters: taken from below, or the others
                // dropped from above, whichever is fewer steps.
                extra += n - room;
                if room <= n - room {
                    let mut keep = 0u64;
                    for _ in 0..room {
                        let low = delimiters & delimiters.wrapping_neg();
                        keep |= low;
                        delimiters ^= low;
                    }
                    delimiters = keep;
                } else {
                    for _ in 0..n - room {
                        delimiters &= !(1u64 << (63 - delimiters.leading_zeros()));
                    }
                }
            }
            while delimiters != 0 {
                let p = block + delimiters.trailing_zeros() as usize;
                bounds.push((start - lo, p - lo));
                start = p + 1;
                delimiters &= delimiters - 1;
            }
            if let Some(e) = end {
                self.close_line(bounds, start, e, extra);
                if self.buf[e] == b'\n' {
                    return LineEnd::At(e, e + 1);
                }
                return match self.buf[..hi].get(e + 1) {
                    Some(b'\n') => LineEnd::At(e, e + 2),
                    None if !self.eof => LineEnd::More,
                    _ => LineEnd::LoneCr,
                };
            }
            block += 64;
        }
    }

    /// Move the unread bytes to the front and read more (the buffer doubles for a line
    /// longer than it).
    fn fill(&mut self) -> std::io::Result<()> {
        self.block = usize::MAX;
        if self.lo > 0 {
            self.buf.copy_within(self.lo..self.hi, 0);
            self.base += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
        }
        if self.hi == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let to = self.hi.saturating_add(self.read_cap).min(self.buf.len());
        let n = loop {
            match self.inner.read(&mut self.buf[self.hi..to]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        self.hi += n;
        self.eof = n == 0;
        self.quote =
            memchr::memchr(b'"', &self.buf[self.lo..self.hi]).map_or(self.hi, |q| self.lo + q);
        Ok(())
    }

    /// The `csv` crate's reader for the rest: the unread bytes, then the file.
    fn hand_over(self) -> CsvRecords {
        // The unread bytes, from the buffer itself (a prefetched range's are most of it).
        let mut rest = std::io::Cursor::new(self.buf);
        rest.set_position(self.lo as u64);
        let rest = std::io::Read::take(rest, (self.hi - self.lo) as u64);
        let inner: Box<dyn std::io::Read + Send> = Box::new(std::io::Read::chain(rest, self.inner));
        CsvRecords::new(
            inner,
            self.delimiter,
            self.header,
            self.base + self.lo as u64,
            self.lines,
        )
    }
}

/// The `csv` crate's records, from the start of a range or from where a [`LineReader`]
/// handed over.
struct CsvRecords {
    rdr: csv::Reader<CrlfTap>,
    crlf: CrlfMarks,
    /// Reader output, and line feeds, before this reader's first byte.
    byte_base: u64,
    line_base: u64,
}

impl CsvRecords {
    fn new(
        inner: Box<dyn std::io::Read + Send>,
        delimiter: u8,
        has_headers: bool,
        byte_base: u64,
        line_base: u64,
    ) -> CsvRecords {
        let (tap, crlf) = CrlfTap::new(inner);
        // The parser's buffer as large as the file reader's: a read that size bypasses
        // the `BufReader` (std reads straight into the caller's buffer when its own is
        // empty), so each byte is copied once from the kernel instead of twice.
        let rdr = csv::ReaderBuilder::new()
            .buffer_capacity(crate::encoding::READ_BUFFER)
            .delimiter(delimiter)
            .has_headers(has_headers)
            .flexible(true)
            .from_reader(tap);
        CsvRecords {
            rdr,
            crlf,
            byte_base,
            line_base,
        }
    }

    fn next(&mut self, rec: &mut csv::ByteRecord) -> csv::Result<Option<RecordAt>> {
        if !self.rdr.read_byte_record(rec)? {
            return Ok(None);
        }
        let (byte, line) = rec.position().map_or((0, 0), |p| (p.byte(), p.line()));
        // After a record ended by CR LF the reader reports the next one at the LF, a line
        // early: moved to where the record starts.
        let shift = self.crlf.shift(byte);
        Ok(Some(RecordAt {
            at: self.byte_base + byte + shift,
            line: self.line_base + line + shift,
            spans_lines: self.rdr.position().line() > line + 1,
            utf8: false,
        }))
    }
}

/// What a CSV range's rows are checked and projected with.
struct RowCtx {
    header_len: usize,
    /// The header's names, as the bytes a line repeating the header has in its fields.
    header: Vec<Vec<u8>>,
    /// The text is decoded from Windows-1252, where a UTF-8 byte-order mark reads `ï»¿`.
    windows1252: bool,
    /// The header position of each needed column.
    idx: Vec<usize>,
    key_j: Option<usize>,
    strata_j: Vec<usize>,
    /// Header columns holding personal data.
    personal: Vec<bool>,
    delimiter: u8,
    batch_size: usize,
    /// The text read is valid UTF-8 as a whole: decoded from another encoding, or a UTF-8
    /// file checked whole when its encoding was told (and still of that size). Its fields,
    /// cut at ASCII delimiters and quotes, are then valid one by one and are not checked
    /// again per row (the builders still check each batch, and a file changed since would
    /// stop the scan with an error there, never pass unchecked).
    utf8_known: bool,
}

impl RowCtx {
    /// Whether a line's first field starts with a byte-order mark: U+FEFF, or in a
    /// Windows-1252 file the three bytes of a UTF-8 mark decoded one by one (`ï»¿`).
    #[cold]
    fn starts_with_bom(&self, first: &[u8]) -> bool {
        first.starts_with("\u{FEFF}".as_bytes())
            || (self.windows1252 && first.starts_with("\u{EF}\u{BB}\u{BF}".as_bytes()))
    }

    /// Whether a record of the header's length is the header line again (as where two
    /// exports were joined): its fields, trimmed, are the header's names. Only a record
    /// whose first field is the first name is compared further.
    #[inline(always)]
    fn repeats_header(&self, first: &[u8], f: &Fields<'_>) -> bool {
        let Some(name) = self.header.first() else {
            return false;
        };
        // On every row: a length compare, and a byte compare only at the name's length
        // (the trimmed compare only for a longer field).
        let same = match first.len().cmp(&name.len()) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => first == name.as_slice(),
            std::cmp::Ordering::Greater => first.trim_ascii() == name.as_slice(),
        };
        same && self.rest_repeats_header(f)
    }

    /// [`RowCtx::repeats_header`] past the first field: rare, so kept out of the row loop.
    #[cold]
    fn rest_repeats_header(&self, f: &Fields<'_>) -> bool {
        self.header
            .iter()
            .enumerate()
            .skip(1)
            .all(|(j, h)| f.get(j).trim_ascii() == h.as_slice())
    }

    fn any_personal(&self) -> bool {
        self.personal.iter().any(|&p| p)
    }

    /// A record as the raw line shown in the quarantine, personal columns masked.
    fn join(&self, f: &Fields<'_>) -> String {
        // A row that does not split into the header's columns cannot be masked by column
        // name (a shifted field may hold the personal value): the whole line is masked.
        if self.any_personal() && f.len() != self.header_len {
            return format!(
                "{PERSONAL_MASK} (a row of {} fields where the header has {}; not shown because a personal column is in it)",
                f.len(),
                self.header_len
            );
        }
        let parts: Vec<String> = (0..f.len())
            .map(|j| {
                if self.personal.get(j).copied().unwrap_or(false) {
                    PERSONAL_MASK.to_string()
                } else {
                    String::from_utf8_lossy(f.get(j)).into_owned()
                }
            })
            .collect();
        parts.join(&(self.delimiter as char).to_string())
    }
}

/// A text column of a batch, built from values already checked as UTF-8 (each CSV field is
/// checked before it is appended): dictionary-encoded while the column has few distinct
/// values, plain text otherwise.
///
/// Why not arrow's `StringBuilder`/`StringDictionaryBuilder`: their append checks capacity
/// and steps a null-buffer builder per value, and needs a `&str` (a char-boundary check per
/// field); callgrind put the append at 8 % of a CSV scan's instructions. The values are
/// checked once more as UTF-8, a batch at a time, by arrow's `StringArray::try_new` in
/// [`TextBuilder::finish`], so a value that got past the row check is an error, never an
/// invalid string.
///
/// Why a dictionary (as DuckDB and Polars keep low-cardinality strings as integers): the
/// strata, `--by` columns, flags, dates and small numbers of an extract repeat a few
/// hundred or thousand values over a batch of 65,536 rows, and every reader downstream
/// works once per dictionary entry where a column has one (stratum and group ids, text
/// compared with a constant, a flag or a date read), then per row on the integer keys —
/// what a Parquet file's dictionary pages already give. A column whose distinct values in
/// one batch pass [`TextBuilder::dict_limit`] is turned into plain text and stays plain for
/// the rest of the range (a key, a free-text note). The arrays hold the same values either
/// way; only their encoding differs.
struct TextBuilder {
    /// Plain: the rows' bytes. Dictionary: each distinct value once.
    values: Vec<u8>,
    /// Value ends, after a leading 0.
    offsets: Vec<i32>,
    /// Dictionary: one key per row (an index into `offsets`).
    keys: Vec<i32>,
    /// Dictionary: the entries by hash.
    table: hashbrown::HashTable<DictEntry>,
    /// Dictionary-encoded (false: plain text for the rest of the range).
    dict: bool,
    /// Most distinct values a batch keeps as a dictionary.
    dict_limit: usize,
}

/// What a [`TextBuilder`] made of a batch.
enum Built {
    Text(arrow_array::StringArray),
    Dict(arrow_array::DictionaryArray<arrow_array::types::Int32Type>),
}

impl Built {
    fn to_ref(&self) -> ArrayRef {
        match self {
            Built::Text(a) => Arc::new(a.clone()),
            Built::Dict(a) => Arc::new(a.clone()),
        }
    }
}

/// A value as a word pair that identifies it among values of its length up to 16 bytes
/// (the first and the last eight bytes, overlapping; four for 4–7 bytes; each byte below
/// four), compared without reading the value's bytes again, and hashed from. A longer
/// value's pair only narrows the search (its bytes are then compared in full).
#[derive(Clone, Copy, PartialEq, Eq)]
struct ShortKey {
    lo: u64,
    hi: u64,
    len: usize,
}

impl ShortKey {
    #[inline]
    fn of(v: &[u8]) -> ShortKey {
        let n = v.len();
        let word8 = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[..8]);
            u64::from_le_bytes(w)
        };
        let word4 = |b: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[..4]);
            u64::from(u32::from_le_bytes(w))
        };
        let (lo, hi) = if n > 16 {
            (
                word8(v),
                word8(&v[8..]) ^ word8(&v[n - 8..]).rotate_left(29),
            )
        } else if n >= 8 {
            (word8(v), word8(&v[n - 8..]))
        } else if n >= 4 {
            (word4(v), word4(&v[n - 4..]))
        } else {
            let b = |i: usize| v.get(i).map_or(0, |&x| u64::from(x));
            (b(0) | b(1) << 8 | b(2) << 16, 0)
        };
        ShortKey { lo, hi, len: n }
    }

    /// Multiply-fold hash (as in wyhash and FxHash) of the pair and the length.
    #[inline]
    fn hash(&self) -> u64 {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let a = (self.lo ^ K).wrapping_mul(K ^ self.len as u64);
        let m = u128::from(a ^ self.hi) * u128::from(K.rotate_left(17));
        (m as u64) ^ ((m >> 64) as u64)
    }
}

/// One dictionary entry: its index, its short key, and (for values of more than 16 bytes)
/// its bytes compared in full.
#[derive(Clone, Copy)]
struct DictEntry {
    key: ShortKey,
    index: u32,
}

impl TextBuilder {
    /// A plain text column (`dict_limit` 0), or one dictionary-encoded up to `dict_limit`
    /// distinct values per batch.
    fn new(dict_limit: usize) -> TextBuilder {
        TextBuilder {
            values: Vec::new(),
            offsets: vec![0],
            keys: Vec::new(),
            table: hashbrown::HashTable::new(),
            dict: dict_limit > 0,
            dict_limit,
        }
    }

    fn push_value(&mut self, v: &[u8]) {
        self.values.extend_from_slice(v);
        // Past 2 GiB in one batch the offset saturates and `finish` says so.
        self.offsets
            .push(i32::try_from(self.values.len()).unwrap_or(i32::MAX));
    }

    #[inline]
    fn append(&mut self, v: &[u8]) {
        if !self.dict {
            self.push_value(v);
            return;
        }
        let key = ShortKey::of(v);
        let h = key.hash();
        let (values, offsets) = (&self.values, &self.offsets);
        // Values of 16 bytes or fewer are told apart by the key alone; longer ones (the
        // key holds 16 of their bytes) are compared in full.
        let found = self.table.find(h, |e| {
            e.key == key
                && (key.len <= 16 || {
                    let i = e.index as usize;
                    values.get(offsets[i] as usize..offsets[i + 1] as usize) == Some(v)
                })
        });
        if let Some(e) = found {
            self.keys.push(e.index as i32);
            return;
        }
        let e = self.offsets.len() - 1;
        if e >= self.dict_limit {
            self.go_plain();
            self.push_value(v);
            return;
        }
        self.push_value(v);
        self.table.insert_unique(
            h,
            DictEntry {
                key,
                index: e as u32,
            },
            |x| x.key.hash(),
        );
        self.keys.push(e as i32);
    }

    /// Too many distinct values: the rows so far written out as plain text, and the rest of
    /// the range plain too.
    fn go_plain(&mut self) {
        let mut values = Vec::with_capacity(self.values.len().max(self.keys.len() * 8));
        let mut offsets = Vec::with_capacity(self.keys.len().max(1024) + 1);
        offsets.push(0i32);
        for &k in &self.keys {
            let k = k as usize;
            let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
            values.extend_from_slice(&self.values[a..b]);
            offsets.push(i32::try_from(values.len()).unwrap_or(i32::MAX));
        }
        self.values = values;
        self.offsets = offsets;
        self.keys = Vec::new();
        self.table = hashbrown::HashTable::new();
        self.dict = false;
    }

    /// The batch as an array, leaving the builder empty until [`Self::recycle`].
    fn finish(&mut self) -> std::result::Result<Built, String> {
        if i32::try_from(self.values.len()).is_err() {
            return Err(format!(
                "a column holds {} bytes of text in one batch of {} rows, more than 2 GiB: the extract's values are too long to read",
                self.values.len(),
                if self.dict { self.keys.len() } else { self.offsets.len() - 1 }
            ));
        }
        let values = std::mem::take(&mut self.values);
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let text = arrow_array::StringArray::try_new(
            arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(offsets)),
            arrow_buffer::Buffer::from_vec(values),
            None,
        )
        .map_err(|e| format!("text that is not UTF-8 got past the check: {e}"))?;
        if !self.dict {
            return Ok(Built::Text(text));
        }
        let keys = arrow_array::Int32Array::from(std::mem::take(&mut self.keys));
        self.table.clear();
        arrow_array::DictionaryArray::try_new(keys, Arc::new(text))
            .map(Built::Dict)
            .map_err(|e| format!("a dictionary key out of range: {e}"))
    }

    /// Start the next batch in the buffers of the last one when nothing else holds them
    /// any more (the caller's fold kept no reference), so it writes into memory already
    /// touched instead of fresh pages the kernel must zero first; else with as much room.
    fn recycle(&mut self, a: Built) {
        match a {
            Built::Text(a) if !self.dict => {
                let (offsets, values, _) = a.into_parts();
                let (rows, bytes) = (offsets.len(), values.len());
                self.values = values
                    .into_vec::<u8>()
                    .unwrap_or_else(|_| Vec::with_capacity(bytes));
                self.values.clear();
                self.offsets = offsets
                    .into_inner()
                    .into_inner()
                    .into_vec::<i32>()
                    .unwrap_or_else(|_| Vec::with_capacity(rows));
                self.offsets.clear();
                self.offsets.push(0);
            }
            Built::Dict(a) if self.dict => {
                let (keys, _) = a.into_parts();
                let (_, keys, _) = keys.into_parts();
                let rows = keys.len();
                self.keys = keys
                    .into_inner()
                    .into_vec::<i32>()
                    .unwrap_or_else(|_| Vec::with_capacity(rows));
                self.keys.clear();
            }
            // The encoding changed within the batch: the next one starts afresh.
            _ => {}
        }
    }
}

/// One byte range of a CSV file parsed on its own.
///
/// Method (speculative split with a check, as DuckDB's and Polars' parallel CSV readers
/// do): the file is cut near every multiple of [`ScanSpec::csv_chunk_bytes`] just after a
/// line feed; a range's parser starts there (the first at the header) and owns every record
/// that starts before the next range's start. Where a quoted field holds a line feed, a cut
/// can fall inside a record: the range before it then sees its last record run past the cut,
/// or the next record start somewhere else, and says so (`ok` false); the file is then
/// parsed again in one piece from the start of that range, which is a record boundary since
/// every range before it ended exactly on its cut. Line numbers are exact: a range knows the
/// line feeds before its start (counted in parallel before parsing). So the rows, their
/// order within each range, the quarantine and every line number are those of one parse.
#[derive(Debug, Clone)]
struct CsvChunk {
    /// Its place in the file.
    index: usize,
    /// Raw byte offset of its first byte (a line start).
    start: u64,
    /// Raw byte offset of the next range's start (the file size for the last).
    end: u64,
    /// The last range of the file.
    last: bool,
    /// Line feeds before `start`.
    line_offset: u64,
    /// Bytes of the reader's (UTF-8) output from `start` to `end` (less a UTF-8 BOM).
    stop: u64,
}

/// The error of a read that failed while a CSV file's ranges were prepared.
fn cannot_read(path: &Path) -> impl Fn(std::io::Error) -> IngestError + Copy + '_ {
    move |e| IngestError::CsvHeader {
        path: path.to_path_buf(),
        reason: format!("cannot read: {e}"),
    }
}

/// Where to cut a CSV file: 0, then just after the first line feed at or past every multiple
/// of `chunk` (strictly increasing, below the size).
fn csv_cuts(path: &Path, size: u64, chunk: u64) -> Result<Vec<u64>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut cuts = vec![0u64];
    let mut f = open(path)?;
    let io = cannot_read(path);
    // A cut's line feed is usually within a line's length of its nominal offset.
    let mut buf = vec![0u8; 1 << 12];
    let mut k = 1u64;
    loop {
        let nominal = k.saturating_mul(chunk).max(cuts[cuts.len() - 1] + 1);
        if nominal >= size {
            break;
        }
        f.seek(SeekFrom::Start(nominal)).map_err(io)?;
        let mut at = nominal;
        let cut = loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break None;
            }
            if let Some(p) = buf[..n].iter().position(|&b| b == b'\n') {
                break Some(at + p as u64 + 1);
            }
            at += n as u64;
        };
        match cut {
            Some(c) if c < size => cuts.push(c),
            _ => break,
        }
        k = cuts[cuts.len() - 1] / chunk + 1;
    }
    Ok(cuts)
}

/// A range of a CSV file read into memory by the worker that parses it, as the text its
/// reader would output (`buf[..len]`: a UTF-8 range's bytes without a byte-order mark, a
/// Windows-1252 range decoded), the first quote in it, and whether it is valid UTF-8 (so
/// its plain lines need no check of their own).
struct Prefetched {
    buf: Vec<u8>,
    len: usize,
    quote: Option<usize>,
    valid: bool,
}

/// Bytes kept free after a prefetched range: the line at its cut is read into them.
const PREFETCH_SLACK: usize = 1 << 17;

thread_local! {
    /// A worker's range buffers (a range's bytes, and their decoded text for a
    /// Windows-1252 file), kept between ranges (and scans) so that each range is read into
    /// pages already mapped rather than fresh ones.
    static RANGE_BUFS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keep `buf` as one of this thread's two range buffers (the two largest are kept).
fn keep_range_buffer(buf: Vec<u8>) {
    RANGE_BUFS.with(|b| {
        let mut b = b.borrow_mut();
        b.push(buf);
        b.sort_by_key(|v| std::cmp::Reverse(v.len()));
        b.truncate(2);
    });
}

/// A range buffer of at least `need` bytes: one kept by this thread, or a new one with an
/// eighth to spare (a file's ranges differ by a line or so; growing one in place would copy
/// the old bytes and zero the new ones range after range). Its bytes are not cleared.
fn range_buffer(need: usize) -> Vec<u8> {
    let kept = RANGE_BUFS.with(|b| {
        let mut b = b.borrow_mut();
        // The smallest that is large enough.
        let at = b.iter().rposition(|v| v.len() >= need)?;
        Some(b.remove(at))
    });
    kept.unwrap_or_else(|| vec![0; need + need / 8])
}

/// How a split file's ranges learn their line offsets when no line-feed index was made:
/// each worker counts the line feeds of the range it took (read into memory, see
/// [`prefetch_range`]) and publishes the count; a range's offset is the sum of those before
/// it. Ranges are taken in order and counted before anything else is done with them, so a
/// range waits at most for the reads of the few ranges just before it.
struct RangeLines {
    counts: std::sync::Mutex<Vec<RangeCount>>,
    ready: std::sync::Condvar,
}

#[derive(Clone, Copy)]
enum RangeCount {
    Waiting,
    Counted(u64),
    /// The range was not read (an error, or the scan stopped): the ranges after it fail.
    Failed,
}

impl RangeLines {
    fn new(ranges: usize) -> RangeLines {
        RangeLines {
            counts: std::sync::Mutex::new(vec![RangeCount::Waiting; ranges]),
            ready: std::sync::Condvar::new(),
        }
    }

    fn publish(&self, range: usize, count: RangeCount) {
        if let Some(slot) = lock(&self.counts).get_mut(range) {
            *slot = count;
        }
        self.ready.notify_all();
    }

    /// The line feeds before `range`, once every range before it is counted (`None` when
    /// one of them failed).
    fn offset(&self, range: usize) -> Option<u64> {
        let mut counts = lock(&self.counts);
        loop {
            let mut sum = 0u64;
            let mut waiting = false;
            for c in counts.iter().take(range) {
                match c {
                    RangeCount::Counted(n) => sum += n,
                    RangeCount::Waiting => waiting = true,
                    RangeCount::Failed => return None,
                }
            }
            if !waiting {
                return Some(sum);
            }
            counts = self
                .ready
                .wait(counts)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Read a range of a split UTF-8 file without a line-feed index, or of a Windows-1252 file,
/// into this thread's buffer (one read of its bytes, where checking or counting the file
/// first and parsing it read them twice), count its line feeds and publish them, set its
/// line offset and stop, and tell whether it is valid UTF-8 (a Windows-1252 range is
/// decoded to UTF-8 here, its stop counted in decoded bytes). A file whose encoding is
/// still pending ([`crate::encoding::Pending`]) stays UTF-8 for an ASCII range (which reads
/// the same in either encoding); a range that is not ASCII settles it first (`encoding` set
/// to the answer) and is then read in that encoding.
fn prefetch_range(
    f: &SourceFile,
    c: &mut CsvChunk,
    encoding: &mut TextEncoding,
    lines: &RangeLines,
) -> Result<Prefetched> {
    let read = read_range(&f.path, c.start, c.end);
    let (buf, len, lf, ascii) = match read {
        Ok(r) => r,
        Err(e) => {
            lines.publish(c.index, RangeCount::Failed);
            return Err(e);
        }
    };
    lines.publish(c.index, RangeCount::Counted(lf));
    let Some(offset) = lines.offset(c.index) else {
        keep_range_buffer(buf);
        return Err(IngestError::CsvHeader {
            path: f.path.clone(),
            reason: "an earlier range of the file could not be read".to_string(),
        });
    };
    c.line_offset = offset;
    // A range that is not ASCII in a file whose encoding is pending settles it first.
    let pending = f.pending.as_ref().filter(|_| !ascii);
    if let Some(p) = pending {
        *encoding = p.settle(&f.path);
    }
    if *encoding == TextEncoding::Windows1252 {
        let (text, n) = decode_windows1252(&buf[..len]);
        keep_range_buffer(buf);
        c.stop = n as u64;
        let quote = memchr::memchr(b'"', &text[..n]);
        return Ok(Prefetched {
            buf: text,
            len: n,
            quote,
            valid: true,
        });
    }
    let mut buf = buf;
    let mut len = len;
    if c.start == 0 && buf[..len].starts_with(b"\xEF\xBB\xBF") {
        buf.copy_within(3..len, 0);
        len -= 3;
    }
    c.stop = len as u64;
    // A pending file settled as UTF-8 is valid UTF-8 throughout (the whole-file check).
    let valid = ascii || pending.is_some() || simdutf8::basic::from_utf8(&buf[..len]).is_ok();
    let quote = memchr::memchr(b'"', &buf[..len]);
    Ok(Prefetched {
        buf,
        len,
        quote,
        valid,
    })
}

/// A Windows-1252 range decoded to UTF-8 (`encoding_rs`, as the reader of the file does) in
/// a range buffer: the buffer and the text's length.
fn decode_windows1252(raw: &[u8]) -> (Vec<u8>, usize) {
    let mut decoder = encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling();
    // Mostly one byte a character; grown when Swedish letters (two bytes) or others run
    // over, with room for the line at the cut after it.
    let mut out = range_buffer(raw.len() + raw.len() / 8 + PREFETCH_SLACK);
    let (mut read, mut written) = (0usize, 0usize);
    loop {
        let room = out.len() - PREFETCH_SLACK;
        let (result, r, w, _) = decoder.decode_to_utf8(&raw[read..], &mut out[written..room], true);
        read += r;
        written += w;
        match result {
            encoding_rs::CoderResult::InputEmpty => return (out, written),
            encoding_rs::CoderResult::OutputFull => {
                let mut more = vec![0; out.len() + (raw.len() - read) * 3 + PREFETCH_SLACK];
                more[..written].copy_from_slice(&out[..written]);
                out = more;
            }
        }
    }
}

/// The bytes `[start, end)` of a file in this thread's range buffer (taken from it; at least
/// [`PREFETCH_SLACK`] bytes more), with their line feeds and whether they are ASCII, both
/// found a MiB at a time as it is read.
fn read_range(path: &Path, start: u64, end: u64) -> Result<(Vec<u8>, usize, u64, bool)> {
    use std::io::{Read, Seek, SeekFrom};
    let io = cannot_read(path);
    let len = usize::try_from(end - start).map_err(|_| IngestError::CsvHeader {
        path: path.to_path_buf(),
        reason: "a range too large for this machine".to_string(),
    })?;
    let mut buf = range_buffer(len + PREFETCH_SLACK);
    let mut file = open(path)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let (mut lf, mut ascii, mut at) = (0u64, true, 0usize);
    while at < len {
        let step = (len - at).min(1 << 20);
        file.read_exact(&mut buf[at..at + step])
            .map_err(|e| IngestError::CsvHeader {
                path: path.to_path_buf(),
                reason: format!("the file changed while it was read ({e}): read it again"),
            })?;
        let part = &buf[at..at + step];
        lf += memchr::memchr_iter(b'\n', part).count() as u64;
        ascii = ascii && part.is_ascii();
        at += step;
    }
    Ok((buf, len, lf, ascii))
}

/// Line feeds in `[0, at)` of a file with a line-feed index: the whole blocks from the
/// index, the part of a block before `at` read (at most one block).
fn line_feeds_before(
    path: &Path,
    index: &crate::encoding::LineFeedIndex,
    at: u64,
) -> Result<Option<u64>> {
    use crate::encoding::LF_BLOCK;
    use std::io::{Read, Seek, SeekFrom};
    let whole = usize::try_from(at / LF_BLOCK).unwrap_or(usize::MAX);
    let Some(blocks) = index.per_block.get(..whole) else {
        return Ok(None);
    };
    let mut lf: u64 = blocks.iter().map(|&n| u64::from(n)).sum();
    let from = at / LF_BLOCK * LF_BLOCK;
    if at > from {
        let io = cannot_read(path);
        let mut f = open(path)?;
        f.seek(SeekFrom::Start(from)).map_err(io)?;
        let mut buf = vec![0u8; usize::try_from(at - from).unwrap_or(0)];
        f.read_exact(&mut buf).map_err(io)?;
        lf += memchr::memchr_iter(b'\n', &buf).count() as u64;
    }
    Ok(Some(lf))
}

/// The line-feed index of each file that has a usable one: it counts raw line feeds of a
/// UTF-8 file without a byte-order mark (there a range's output is its raw bytes), and is
/// used while the file keeps its size. Decided once per file.
fn usable_indexes(extract: &Extract) -> Vec<Option<&crate::encoding::LineFeedIndex>> {
    extract
        .files
        .iter()
        .map(|f| {
            let index = f.line_feeds.as_deref()?;
            let size_now = std::fs::metadata(&f.path).ok()?.len();
            (f.scan_encoding() == Some(TextEncoding::Utf8) && size_now == index.size)
                .then_some(index)
        })
        .collect()
}

/// For every range of a split CSV file with a usable line-feed index ([`usable_indexes`]),
/// its line offset (line feeds before its start) and stop (the bytes its reader outputs:
/// its raw bytes), from the index. The other split files' ranges are counted by the
/// workers that read them ([`prefetch_range`]).
fn prepare_chunks(
    extract: &Extract,
    units: &mut [Unit],
    indexed: &[Option<&crate::encoding::LineFeedIndex>],
) -> Result<()> {
    let offsets: Vec<Option<u64>> = units
        .par_iter()
        .map(|u| -> Result<Option<u64>> {
            let Unit::Csv {
                file,
                chunk: Some(c),
                ..
            } = u
            else {
                return Ok(None);
            };
            let Some(index) = indexed[*file] else {
                return Ok(None);
            };
            let path = extract.files[*file].path.as_path();
            line_feeds_before(path, index, c.start)?
                .ok_or_else(|| IngestError::CsvHeader {
                    path: path.to_path_buf(),
                    reason: "the file changed while it was read: read it again".to_string(),
                })
                .map(Some)
        })
        .collect::<Result<Vec<_>>>()?;
    for (u, offset) in units.iter_mut().zip(offsets) {
        if let (Unit::Csv { chunk: Some(c), .. }, Some(line_offset)) = (u, offset) {
            c.line_offset = line_offset;
            c.stop = c.end - c.start;
        }
    }
    Ok(())
}

fn missing(path: &Path, name: &str, present: &[String]) -> IngestError {
    IngestError::MissingColumn {
        path: path.to_path_buf(),
        name: name.to_string(),
        present: present.join(", "),
    }
}

/// Every needed column present exactly once: a header that names a needed column twice is
/// an error (which of the two is meant cannot be guessed), not a silent choice of the first.
fn check_columns(path: &Path, names: &[String], needed: &[String]) -> Result<()> {
    for n in needed {
        let at: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, x)| *x == n)
            .map(|(i, _)| i + 1)
            .collect();
        match at.len() {
            0 => return Err(missing(path, n, names)),
            1 => {}
            _ => {
                return Err(IngestError::DuplicateColumn {
                    path: path.to_path_buf(),
                    name: n.clone(),
                    positions: at
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" and "),
                })
            }
        }
    }
    Ok(())
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Parquet {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn ipc_err(path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Ipc {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn field_names(schema: &arrow_schema::Schema) -> Vec<String> {
    schema.fields().iter().map(|x| x.name().clone()).collect()
}

/// The column names of one file.
pub fn file_columns(f: &SourceFile, delimiter: Option<u8>) -> Result<Vec<String>> {
    match f.format {
        Format::Csv => Ok(csv_header(&f.path, delimiter, text_encoding(f))?.0),
        Format::Parquet => {
            let file = open(&f.path)?;
            let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                .map_err(|e| parquet_err(&f.path, e))?;
            Ok(field_names(meta.schema()))
        }
        Format::Ipc => {
            let file = open(&f.path)?;
            let r = arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None)
                .map_err(|e| ipc_err(&f.path, e))?;
            Ok(field_names(&r.schema()))
        }
        Format::Excel => {
            let (name, cells) = crate::excel::open_sheet(&f.path, f.sheet.as_deref())?;
            crate::excel::sheet_header(&f.path, &name, &cells)
        }
    }
}

/// Read the needed text columns that are dictionary-encoded in every row group of the file
/// as dictionary arrays (`Dictionary(Int32, Utf8)`), as the file stores them, instead of
/// expanding every value into a string: the strata mapping and text predicates then work
/// once per dictionary entry and on integer keys per row ([`crate::strata::StrataMapper`],
/// [`crate::filter::BoundFilter::truth_rows`]). A file written with an Arrow schema that
/// already says so (as `urval generate` writes) is unchanged. The key column, whose values
/// are mostly distinct, is read as `Utf8View`: views into the decompressed pages instead of
/// each value copied into one string buffer (`perf`: the copy was 6 % of a Parquet draw).
/// When the reader refuses the hint, the file is read as before.
fn dictionary_hint(meta: ArrowReaderMetadata, needed: &[String], key: &str) -> ArrowReaderMetadata {
    use arrow_schema::{DataType, Schema};
    let schema = meta.schema().clone();
    let md = meta.metadata().clone();
    if md.num_row_groups() == 0 {
        return meta;
    }
    let leaves = md.file_metadata().schema_descr();
    let mut changed = false;
    let fields: Vec<arrow_schema::FieldRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let text = matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            );
            if !text || !needed.contains(f.name()) {
                return f.clone();
            }
            if f.name() == key {
                changed = true;
                return Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8View));
            }
            let Some(leaf) =
                (0..leaves.num_columns()).find(|&c| leaves.column(c).path().string() == *f.name())
            else {
                return f.clone();
            };
            let dictionary = md
                .row_groups()
                .iter()
                .all(|rg| rg.column(leaf).dictionary_page_offset().is_some());
            if !dictionary {
                return f.clone();
            }
            changed = true;
            Arc::new(f.as_ref().clone().with_data_type(DataType::Dictionary(
                Box::new(DataType::Int32),
                Box::new(DataType::Utf8),
            )))
        })
        .collect();
    if !changed {
        return meta;
    }
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(md, ArrowReaderOptions::new().with_schema(hinted)).unwrap_or(meta)
}

fn plan_units(
    extract: &Extract,
    needed: &[String],
    key: &str,
    chunk_bytes: u64,
) -> Result<Vec<Unit>> {
    let mut units = Vec::new();
    for (i, f) in extract.files.iter().enumerate() {
        match f.format {
            Format::Parquet => {
                let file = open(&f.path)?;
                let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                    .map_err(|e| parquet_err(&f.path, e))?;
                let meta = dictionary_hint(meta, needed, key);
                let names = field_names(meta.schema());
                check_columns(&f.path, &names, needed)?;
                let mut base = 0u64;
                for rg in 0..meta.metadata().num_row_groups() {
                    let rows = u64::try_from(meta.metadata().row_group(rg).num_rows()).unwrap_or(0);
                    units.push(Unit::Parquet {
                        file: i,
                        meta: meta.clone(),
                        row_group: rg,
                        row_base: base,
                    });
                    base += rows;
                }
            }
            Format::Csv => {
                let (header, delimiter) = csv_header(&f.path, extract.delimiter, text_encoding(f))?;
                check_columns(&f.path, &header, needed)?;
                let encoding = text_encoding(f);
                let chunk_bytes = csv_range_bytes(f.size, chunk_bytes);
                let splittable = matches!(encoding, TextEncoding::Utf8 | TextEncoding::Windows1252)
                    && chunk_bytes > 0
                    && f.size > chunk_bytes.saturating_add(chunk_bytes / 2);
                let cuts = if splittable {
                    csv_cuts(&f.path, f.size, chunk_bytes)?
                } else {
                    vec![0]
                };
                if cuts.len() < 2 {
                    units.push(Unit::Csv {
                        file: i,
                        header,
                        delimiter,
                        encoding,
                        chunk: None,
                    });
                } else {
                    for (k, &start) in cuts.iter().enumerate() {
                        let end = cuts.get(k + 1).copied().unwrap_or(f.size);
                        units.push(Unit::Csv {
                            file: i,
                            header: header.clone(),
                            delimiter,
                            encoding,
                            chunk: Some(CsvChunk {
                                index: k,
                                start,
                                end,
                                last: k + 1 == cuts.len(),
                                line_offset: 0,
                                stop: 0,
                            }),
                        });
                    }
                }
            }
            Format::Ipc => {
                let names = file_columns(f, None)?;
                check_columns(&f.path, &names, needed)?;
                units.push(Unit::Ipc { file: i });
            }
            Format::Excel => {
                let names = file_columns(f, None)?;
                check_columns(&f.path, &names, needed)?;
                units.push(Unit::Excel { file: i });
            }
        }
    }
    Ok(units)
}

struct UnitOut<T> {
    file: usize,
    /// A range of a split CSV file: its index and whether it ended exactly on its cut.
    chunk: Option<(usize, bool)>,
    state: T,
    counts: FileCounts,
    quarantine: Vec<QuarantineRecord>,
    kept: Kept,
}

/// Values that are no municipality code, kept as asked: (column, value) → rows.
type Kept = std::collections::BTreeMap<(String, String), u64>;

/// How a scan reads its columns beyond text, per column it reads: a date reading, and
/// whether the column holds municipality codes.
#[derive(Debug, Default)]
struct Reads {
    dates: Vec<Option<crate::dates::DateReading>>,
    codes: Vec<bool>,
}

impl Reads {
    /// The readings of the `needed` columns of a scan: formats given in the extract's
    /// [`crate::Reading`], else found by [`detect_dates`]; municipality-code columns given
    /// or named like one. The key is read as it is.
    fn of(extract: &Extract, spec: &ScanSpec, needed: &[String]) -> Result<Reads> {
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
        let mut dates: Vec<Option<crate::dates::DateReading>> = needed
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
        let candidates: Vec<String> = needed
            .iter()
            .zip(&dates)
            .zip(&codes)
            .filter(|((n, d), code)| {
                d.is_none()
                    && !**code
                    && **n != spec.key
                    && !spec.strata.contains(n)
                    && !spec.personal.contains(n)
            })
            .map(|((n, _), _)| n.clone())
            .collect();
        if spec.detect_dates && text_files && !candidates.is_empty() {
            for (name, evidence) in candidates
                .iter()
                .zip(detect_dates(extract, spec, &candidates)?)
            {
                let found = evidence
                    .decide()
                    .map_err(|example| IngestError::AmbiguousDates {
                        column: name.clone(),
                        example,
                    })?;
                if let Some(r) = found {
                    tracing::info!(column = %name, reading = %r.expected(), "column read as dates");
                    if let Some(j) = needed.iter().position(|n| n == name) {
                        dates[j] = Some(r);
                    }
                }
            }
        }
        Ok(Reads { dates, codes })
    }

    fn any(&self) -> bool {
        self.dates.iter().any(Option::is_some) || self.codes.contains(&true)
    }
}

/// Whether an array holds text (CSV and spreadsheet columns; text columns of Parquet).
fn is_text(a: &ArrayRef) -> bool {
    use arrow_schema::DataType;
    match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8),
        _ => false,
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
                if !is_text(a) {
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
    let mut results = Vec::new();
    let out = scan_ordered(
        extract,
        spec,
        init,
        fold,
        |t| {
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

/// [`scan`], handing each unit's state to `sink` as soon as it and every unit before it are
/// done, in unit order (files in order, row groups and CSV ranges in order) whatever the
/// thread count, so a merge in `sink` gives the same bytes on 1 thread as on 16. Units are
/// started in order and at most [`AHEAD_PER_THREAD`] × threads of them finish ahead of the
/// oldest unfinished one, so memory is bounded by that many states, however many units the
/// extract has (a 100 M-row Parquet file is about 100 row groups). `results` is empty.
///
/// # Errors
/// As [`scan`], and an error returned by `sink`. When several units fail, the first in unit
/// order is reported.
pub fn scan_ordered<T, I, F, S>(
    extract: &Extract,
    spec: &ScanSpec,
    init: I,
    fold: F,
    sink: S,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScanOutput<()>>
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Batch) -> Result<()> + Sync,
    S: FnMut(T) -> Result<()> + Send,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};

    let needed = spec.columns();
    let reads = Reads::of(extract, spec, &needed)?;
    let reads = &reads;
    let mut units = plan_units(extract, &needed, &spec.key, spec.csv_chunk_bytes)?;
    let indexed = usable_indexes(extract);
    // Split files without a usable line-feed index (UTF-8 without one, Windows-1252):
    // their ranges are read into memory and counted by the workers ([`prefetch_range`]).
    let mut ranges_of = vec![0usize; extract.files.len()];
    for u in &units {
        if let Unit::Csv {
            file,
            chunk: Some(_),
            ..
        } = u
        {
            ranges_of[*file] += 1;
        }
    }
    prepare_chunks(extract, &mut units, &indexed)?;
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
        pending: std::collections::BTreeMap::new(),
        next: 0,
        skip_file: None,
        files: vec![FileCounts::default(); extract.files.len()],
        quarantine: Vec::new(),
        kept: Kept::new(),
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
                &needed,
                (unit, pre),
                &init,
                &fold,
                progress,
            )
        });
        let mut m = lock(&merger);
        m.pending.insert(i, (out, again));
        let failed = m.drain(extract, &mut |rest| {
            run_unit(
                extract,
                (spec, reads),
                &needed,
                (rest, None),
                &init,
                &fold,
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
    for ((column, value), rows) in &m.kept {
        tracing::warn!(
            "column {column:?}: {} ({rows} {}): kept as its own stratum, as --keep-unknown-municipalities asks; correct the code in the extract",
            crate::municipal::check_code(value).unwrap_or_default(),
            if *rows == 1 { "row" } else { "rows" }
        );
    }
    let mut quarantine = m.quarantine;
    quarantine.sort();
    Ok(ScanOutput {
        results: Vec::new(),
        files: m.files,
        quarantine,
    })
}

fn lock<X>(m: &std::sync::Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Finished units waiting for the ones before them, and what has been handed on.
struct Merger<T, S> {
    sink: S,
    /// Finished units by index, each with a copy of its CSV range (see [`Unit::csv_range_copy`]).
    pending: std::collections::BTreeMap<usize, (Result<UnitOut<T>>, Option<Unit>)>,
    /// The oldest unit not yet handed on.
    next: usize,
    /// A file whose ranges from some point on were parsed again in one piece.
    skip_file: Option<usize>,
    files: Vec<FileCounts>,
    quarantine: Vec<QuarantineRecord>,
    kept: Kept,
    error: Option<IngestError>,
}

impl<T, S: FnMut(T) -> Result<()>> Merger<T, S> {
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
            if let Err(e) = (self.sink)(o.state) {
                self.error = Some(e);
                return true;
            }
        }
        false
    }
}

impl Unit {
    /// A copy of a split CSV file's range (to parse the rest of the file again from its
    /// start, which the range before it proved good); `None` for any other unit.
    fn csv_range_copy(&self) -> Option<Unit> {
        match self {
            Unit::Csv {
                file,
                header,
                delimiter,
                encoding,
                chunk: Some(c),
            } => Some(Unit::Csv {
                file: *file,
                header: header.clone(),
                delimiter: *delimiter,
                encoding: *encoding,
                chunk: Some(c.clone()),
            }),
            _ => None,
        }
    }
}
struct Ctx<'a, T, F> {
    extract: &'a Extract,
    spec: &'a ScanSpec,
    reads: &'a Reads,
    kept: Kept,
    needed: &'a [String],
    file: usize,
    fold: &'a F,
    state: T,
    counts: FileCounts,
    quarantine: Vec<QuarantineRecord>,
    progress: &'a (dyn Fn(u64) + Sync),
}

fn run_unit<T, I, F>(
    extract: &Extract,
    (spec, reads): (&ScanSpec, &Reads),
    needed: &[String],
    // The unit, with its range when a worker read it into memory.
    (unit, pre): (Unit, Option<Prefetched>),
    init: &I,
    fold: &F,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<UnitOut<T>>
where
    I: Fn() -> T,
    F: Fn(&mut T, &Batch) -> Result<()>,
{
    let file = match &unit {
        Unit::Parquet { file, .. }
        | Unit::Csv { file, .. }
        | Unit::Ipc { file }
        | Unit::Excel { file } => *file,
    };
    let mut ctx = Ctx {
        extract,
        spec,
        reads,
        kept: Kept::new(),
        needed,
        file,
        fold,
        state: init(),
        counts: FileCounts::default(),
        quarantine: Vec::new(),
        progress,
    };
    let path = extract.files[file].path.as_path();
    let mut chunk_out = None;
    match unit {
        Unit::Parquet {
            meta,
            row_group,
            row_base,
            ..
        } => {
            let f = open(path)?;
            let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone());
            let names = field_names(meta.schema());
            let indices: Vec<usize> = needed
                .iter()
                .filter_map(|n| names.iter().position(|x| x == n))
                .collect();
            let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
            let reader = builder
                .with_projection(mask)
                .with_row_groups(vec![row_group])
                .with_batch_size(spec.batch_size)
                .build()
                .map_err(|e| parquet_err(path, e))?;
            let mut base = row_base;
            for batch in reader {
                let batch = batch.map_err(|e| parquet_err(path, e))?;
                let n = batch.num_rows() as u64;
                let arrays = project(&batch, needed, path)?;
                ctx.process(&arrays, base, None)?;
                base += n;
            }
        }
        Unit::Ipc { .. } => {
            let f = open(path)?;
            let reader = arrow_ipc::reader::FileReader::try_new(BufReader::new(f), None)
                .map_err(|e| ipc_err(path, e))?;
            let mut base = 0u64;
            for batch in reader {
                let batch = batch.map_err(|e| ipc_err(path, e))?;
                let n = batch.num_rows() as u64;
                let arrays = project(&batch, needed, path)?;
                ctx.process(&arrays, base, None)?;
                base += n;
            }
        }
        Unit::Csv {
            header,
            delimiter,
            mut encoding,
            chunk,
            ..
        } => {
            // A file whose encoding is pending is settled before a part of it that was not
            // prefetched is read (the whole file, or the rest after a range that did not end
            // on its cut).
            if let (None, Some(p)) = (&pre, &extract.files[file].pending) {
                encoding = p.settle(path);
            }
            let ok = ctx.csv(path, &header, delimiter, encoding, chunk.as_ref(), pre)?;
            chunk_out = chunk.map(|c| (c.index, ok));
        }
        Unit::Excel { .. } => ctx.excel(path, extract.files[file].sheet.as_deref())?,
    }
    Ok(UnitOut {
        file,
        chunk: chunk_out,
        state: ctx.state,
        counts: ctx.counts,
        quarantine: ctx.quarantine,
        kept: ctx.kept,
    })
}

fn project(batch: &RecordBatch, needed: &[String], path: &Path) -> Result<Vec<ArrayRef>> {
    needed
        .iter()
        .map(|n| {
            batch.column_by_name(n).cloned().ok_or_else(|| {
                let present: Vec<String> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                missing(path, n, &present)
            })
        })
        .collect()
}

impl<T, F> Ctx<'_, T, F>
where
    F: Fn(&mut T, &Batch) -> Result<()>,
{
    fn quarantine_row(&mut self, row: u64, reason: String, raw: String) {
        self.counts.rows_quarantined += 1;
        self.quarantine.push(QuarantineRecord {
            file: self.file,
            row,
            reason,
            raw,
        });
    }

    /// Validate, filter and fold one batch of projected arrays (in `needed` order).
    fn process(&mut self, raw: &[ArrayRef], row_base: u64, lines: Option<&[u64]>) -> Result<()> {
        let path = self.extract.files[self.file].path.as_path();
        let len = raw.first().map_or(0, |a| a.len());
        self.counts.rows_read += len as u64;
        // Dates read in their formats, municipality codes checked: each row's first reason.
        let mut row_errors: Vec<Option<String>> = Vec::new();
        let read;
        let arrays: &[ArrayRef] = if self.reads.any() {
            read = self.read_values(raw, &mut row_errors);
            &read
        } else {
            raw
        };
        let text = |name: &str| -> Result<TextCol> {
            let idx = self.needed.iter().position(|n| n == name).unwrap_or(0);
            TextCol::from_array(&arrays[idx]).ok_or_else(|| IngestError::UnreadableColumn {
                path: path.to_path_buf(),
                name: name.to_string(),
                data_type: arrays[idx].data_type().to_string(),
            })
        };
        let has_key = !self.spec.key.is_empty();
        let key = if has_key {
            Some(text(&self.spec.key)?)
        } else {
            None
        };
        let strata: Vec<TextCol> = self
            .spec
            .strata
            .iter()
            .map(|s| text(s))
            .collect::<Result<_>>()?;
        let extra: Vec<ArrayRef> = self
            .spec
            .extra
            .iter()
            .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
            .collect();
        let nonneg: Vec<(&String, Vec<Option<f64>>)> = self
            .spec
            .nonnegative
            .iter()
            .map(|n| {
                let a = &arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)];
                (n, numbers(a))
            })
            .collect();
        let filter_arrays: Vec<ArrayRef> = self
            .spec
            .filter
            .as_ref()
            .map(|f| {
                f.columns()
                    .iter()
                    .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
                    .collect()
            })
            .unwrap_or_default();
        let bound = match &self.spec.filter {
            Some(f) => Some(
                f.bind(&filter_arrays)
                    .map_err(|reason| IngestError::Filter {
                        expr: f.text().to_string(),
                        reason: reason.0,
                    })?,
            ),
            None => None,
        };
        let checks = self
            .spec
            .checks
            .iter()
            .map(|f| {
                let arrays: Vec<ArrayRef> = f
                    .columns()
                    .iter()
                    .map(|n| arrays[self.needed.iter().position(|x| x == n).unwrap_or(0)].clone())
                    .collect();
                f.bind(&arrays).map_err(|reason| IngestError::Filter {
                    expr: f.text().to_string(),
                    reason: reason.0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // `--check` and `--where` a column at a time: `truth_rows` gives the same truth and
        // the same reason as row by row (a dictionary-encoded text column compared once per
        // dictionary entry); the loop below reads the codes.
        let all: Vec<u32> = if checks.is_empty() && bound.is_none() {
            Vec::new()
        } else {
            (0..len as u32).collect()
        };
        let codes_of = |f: &crate::filter::BoundFilter<'_>| {
            let (mut out, mut errs) = (Vec::new(), Vec::new());
            f.truth_rows(&all, &mut out, &mut errs);
            (out, errs)
        };
        let check_codes: Vec<_> = checks.iter().map(codes_of).collect();
        let where_codes = bound.as_ref().map(codes_of);
        // The reason of row `i`'s error (errors are sorted by row).
        let reason = |errs: &[(usize, String)], i: usize| -> String {
            errs.binary_search_by_key(&i, |e| e.0)
                .map_or_else(|_| String::new(), |k| errs[k].1.clone())
        };
        let row_no = |i: usize| lines.map_or(row_base + i as u64 + 1, |l| l[i]);
        let mut rows: Vec<u32> = Vec::with_capacity(len);
        let mut bad: Vec<(u64, String, usize)> = Vec::new();
        let mut excluded = 0u64;
        // Column at a time: which rows have an empty key or stratum.
        let mut key_missing = vec![false; len];
        if let Some(k) = &key {
            k.mark_missing(&mut key_missing);
        }
        let mut strata_missing: Vec<Vec<bool>> = Vec::with_capacity(strata.len());
        for s in &strata {
            let mut m = vec![false; len];
            s.mark_missing(&mut m);
            strata_missing.push(m);
        }
        // Nothing to check row by row (no empty key or stratum, no non-negative column, no
        // check, no filter): every row is used, without a pass of branches per row.
        let clean = nonneg.is_empty()
            && row_errors.iter().all(Option::is_none)
            && check_codes.is_empty()
            && where_codes.is_none()
            && !key_missing.contains(&true)
            && strata_missing.iter().all(|m| !m.contains(&true));
        if clean {
            rows.extend(0..len as u32);
        } else {
            for i in 0..len {
                if key_missing[i] {
                    bad.push((
                        row_no(i),
                        format!("empty key (column {:?})", self.spec.key),
                        i,
                    ));
                    continue;
                }
                if let Some(j) = strata_missing.iter().position(|m| m[i]) {
                    bad.push((
                        row_no(i),
                        format!("empty stratum value (column {:?})", self.spec.strata[j]),
                        i,
                    ));
                    continue;
                }
                if let Some(why) = row_errors.get_mut(i).and_then(Option::take) {
                    bad.push((row_no(i), why, i));
                    continue;
                }
                if let Some((name, _)) = nonneg
                    .iter()
                    .find(|(_, v)| v[i].is_some_and(|x| x.is_nan() || x < 0.0))
                {
                    bad.push((
                        row_no(i),
                        format!("column {name:?} is not a non-negative number"),
                        i,
                    ));
                    continue;
                }
                let failed = checks
                    .iter()
                    .zip(&check_codes)
                    .find_map(|(c, (codes, errs))| match codes[i] {
                        crate::filter::T_FALSE => {
                            Some(format!("check failed: {}", c.filter_text()))
                        }
                        crate::filter::T_ERROR => {
                            Some(format!("check {}: {}", c.filter_text(), reason(errs, i)))
                        }
                        _ => None,
                    });
                if let Some(why) = failed {
                    bad.push((row_no(i), why, i));
                    continue;
                }
                if let Some((codes, errs)) = &where_codes {
                    match codes[i] {
                        crate::filter::T_TRUE => {}
                        crate::filter::T_ERROR => {
                            bad.push((row_no(i), format!("where: {}", reason(errs, i)), i));
                            continue;
                        }
                        _ => {
                            excluded += 1;
                            continue;
                        }
                    }
                }
                rows.push(i as u32);
            }
        }
        drop(where_codes);
        drop(check_codes);
        drop(bound);
        drop(checks);
        self.counts.rows_excluded += excluded;
        self.counts.rows_used += rows.len() as u64;
        for (row, reason, i) in bad {
            let personal: Vec<bool> = self
                .needed
                .iter()
                .map(|n| self.spec.personal.contains(n))
                .collect();
            let raw = render_row(raw, i, &personal);
            self.quarantine_row(row, reason, raw);
        }
        let batch = Batch {
            file: self.file,
            path,
            row_base,
            lines,
            key: key.as_ref(),
            strata: &strata,
            extra: &extra,
            rows: &rows,
        };
        (self.fold)(&mut self.state, &batch)?;
        (self.progress)(len as u64);
        Ok(())
    }

    /// The arrays with the date columns read as `Date32` and the municipality codes
    /// checked; a value that cannot be read, or is no code, sets its row's reason in
    /// `errors` (the first per row), naming the column and the value (not a personal one).
    fn read_values(&mut self, raw: &[ArrayRef], errors: &mut Vec<Option<String>>) -> Vec<ArrayRef> {
        let len = raw.first().map_or(0, |a| a.len());
        let set = |errors: &mut Vec<Option<String>>, i: usize, why: String| {
            if errors.len() < len {
                errors.resize(len, None);
            }
            if errors[i].is_none() {
                errors[i] = Some(why);
            }
        };
        let mut out = raw.to_vec();
        for (j, a) in raw.iter().enumerate() {
            let name = &self.needed[j];
            if !is_text(a) {
                continue;
            }
            let Some(t) = TextCol::from_array(a) else {
                continue;
            };
            if let Some(r) = self.reads.dates[j] {
                let personal = self.spec.personal.contains(name);
                let mut b = arrow_array::builder::Date32Builder::with_capacity(len);
                for i in 0..len {
                    match t.get(i).map(str::trim).filter(|v| !v.is_empty()) {
                        None => b.append_null(),
                        Some(v) => match r.read(v) {
                            Some(d) => b.append_value(d),
                            None => {
                                b.append_null();
                                let shown = if personal {
                                    "a value".to_string()
                                } else {
                                    format!("{v:?}")
                                };
                                set(
                                    errors,
                                    i,
                                    format!(
                                        "column {name:?}: {shown} is not a date (expected {})",
                                        r.expected()
                                    ),
                                );
                            }
                        },
                    }
                }
                out[j] = Arc::new(b.finish());
            }
            if self.reads.codes[j] {
                let mut seen: std::collections::HashMap<&str, Option<String>> =
                    std::collections::HashMap::new();
                for i in 0..len {
                    let Some(v) = t.get(i).map(str::trim).filter(|v| !v.is_empty()) else {
                        continue;
                    };
                    let why = seen
                        .entry(v)
                        .or_insert_with(|| crate::municipal::check_code(v));
                    if let Some(why) = why {
                        if self.extract.reading.keep_unknown_municipalities {
                            *self.kept.entry((name.clone(), v.to_string())).or_insert(0) += 1;
                        } else {
                            set(errors, i, format!("column {name:?}: {why}"));
                        }
                    }
                }
            }
        }
        out
    }

    /// Parse a CSV file, or one range of it ([`CsvChunk`]): true when the range ended
    /// exactly on its cut (always for a whole file or the last range).
    fn csv(
        &mut self,
        path: &Path,
        header: &[String],
        delimiter: u8,
        encoding: TextEncoding,
        chunk: Option<&CsvChunk>,
        pre: Option<Prefetched>,
    ) -> Result<bool> {
        let has_headers = chunk.is_none_or(|c| c.start == 0);
        // A prefetched range is read from memory, then from the file after it.
        let (reader, pre): (Box<dyn std::io::Read + Send>, _) = match (pre, chunk) {
            (Some(pre), Some(c)) => (
                crate::encoding::open_utf8_after(path, encoding, c.end)?,
                Some(pre),
            ),
            (_, Some(c)) if c.start > 0 => (
                crate::encoding::open_utf8_at(path, encoding, c.start)?,
                None,
            ),
            _ => (crate::encoding::open_utf8(path, encoding)?, None),
        };
        // A range that is not the last stops before the first record starting at or past
        // its cut, and reports whether that record starts exactly there.
        let stop = chunk.filter(|c| !c.last).map(|c| c.stop);
        let mut on_cut = true;
        // Plain lines are split here until the first line that is not plain; from there
        // the `csv` crate reads the rest.
        let plain_delimiter = !matches!(delimiter, b'\n' | b'\r' | b'"');
        let position = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
        // The line reader records the fields up to the last this scan reads.
        let want = self
            .needed
            .iter()
            .map(|n| position(n) + 1)
            .max()
            .unwrap_or(0);
        let line_reader = self.spec.csv_line_reader && plain_delimiter;
        let (mut plain, mut records) = match pre {
            Some(pre) if line_reader => (
                Some(LineReader::prefetched(
                    pre,
                    reader,
                    delimiter,
                    has_headers,
                    want,
                )),
                None,
            ),
            Some(pre) => {
                let bytes = std::io::Read::take(std::io::Cursor::new(pre.buf), pre.len as u64);
                let reader = Box::new(std::io::Read::chain(bytes, reader));
                (
                    None,
                    Some(CsvRecords::new(reader, delimiter, has_headers, 0, 0)),
                )
            }
            None if line_reader => (
                Some(LineReader::new(reader, delimiter, has_headers, want)),
                None,
            ),
            None => (
                None,
                Some(CsvRecords::new(reader, delimiter, has_headers, 0, 0)),
            ),
        };
        let rc = RowCtx {
            header_len: header.len(),
            header: header.iter().map(|h| h.as_bytes().to_vec()).collect(),
            windows1252: encoding == TextEncoding::Windows1252,
            idx: self.needed.iter().map(|n| position(n)).collect(),
            key_j: (!self.spec.key.is_empty()).then(|| position(&self.spec.key)),
            strata_j: self.spec.strata.iter().map(|s| position(s)).collect(),
            personal: header
                .iter()
                .map(|h| self.spec.personal.contains(h))
                .collect(),
            delimiter,
            batch_size: self.spec.batch_size.max(1),
            utf8_known: encoding != TextEncoding::Utf8
                || self.extract.files[self.file]
                    .line_feeds
                    .as_deref()
                    .is_some_and(|ix| std::fs::metadata(path).is_ok_and(|m| m.len() == ix.size)),
        };
        let mut builders = self.text_builders();
        let mut lines: Vec<u64> = Vec::with_capacity(rc.batch_size);
        let mut rec = csv::ByteRecord::new();
        let mut bounds: Vec<(usize, usize)> = Vec::new();
        let read_err = |e: csv::Error| IngestError::CsvHeader {
            path: path.to_path_buf(),
            reason: format!("cannot read the CSV: {e}"),
        };
        // A record read ahead (to see whether the one before it was the last), and the
        // line number the current reader's line 1 stands for.
        let mut carried: Option<(csv::ByteRecord, RecordAt)> = None;
        let mut line_offset = chunk.map_or(0, |c| c.line_offset);
        // After a restart past an unclosed quote, positions no longer count from the range's
        // start: the range then runs to the end of the file and does not end on its cut.
        let mut restarted = false;
        loop {
            let found = if let Some(l) = plain.as_mut() {
                match l.next().map_err(|e| read_err(e.into()))? {
                    LineNext::Record(at) => Some(at),
                    LineNext::End => None,
                    LineNext::NotPlain => {
                        records = plain.take().map(LineReader::hand_over);
                        continue;
                    }
                }
            } else if let Some((c, at)) = carried.take() {
                rec = c;
                Some(at)
            } else if let Some(r) = records.as_mut() {
                r.next(&mut rec).map_err(read_err)?
            } else {
                None
            };
            let Some(found) = found else {
                if stop.is_some() {
                    on_cut = false;
                }
                break;
            };
            if let (Some(d), false) = (stop, restarted) {
                if found.at >= d {
                    on_cut = found.at == d;
                    break;
                }
            }
            let line = line_offset + found.line;
            if let Some(l) = plain.as_ref() {
                self.csv_row(
                    &l.fields(),
                    line,
                    &rc,
                    found.utf8,
                    &mut builders,
                    &mut lines,
                )?;
                continue;
            }
            // An unbalanced quote: the csv reader runs the field on to the next quote, or to
            // the end of the file, swallowing the lines in between. A field whose embedded
            // lines look like rows (as many delimiters as a row has) is taken for one.
            let row_like = |f: &[u8]| {
                f.split(|&b| b == b'\n')
                    .skip(1)
                    .any(|l| l.iter().filter(|&&b| b == delimiter).count() + 1 >= header.len())
            };
            // Only a record that spans lines is looked into.
            let broken = if found.spans_lines {
                (0..rec.len()).find(|&j| rec[j].contains(&b'\n') && row_like(&rec[j]))
            } else {
                None
            };
            if let Some(bf) = broken {
                let raw = rc.join(&Fields::of(&rec, &mut bounds));
                let mut next = csv::ByteRecord::new();
                let after = match records.as_mut() {
                    Some(r) => r.next(&mut next).map_err(read_err)?,
                    None => None,
                };
                let to_the_end = after.is_none();
                carried = after.map(|at| (next, at));
                let mut raw_lines = raw.split('\n');
                // Lines swallowed by a quote were never split into columns: with a personal
                // column in the extract, none of them is shown.
                let unparsed = |l: &str| {
                    if rc.any_personal() {
                        format!("{PERSONAL_MASK} (a line that does not split into columns; not shown because a personal column is in it)")
                    } else {
                        l.to_string()
                    }
                };
                self.counts.rows_read += 1;
                self.quarantine_row(
                    line,
                    "unbalanced quote: a field runs on over the lines after it".to_string(),
                    unparsed(raw_lines.next().unwrap_or("")),
                );
                if to_the_end && bf + 1 == rec.len() {
                    // The quote was never closed: read the lines after this one again.
                    let field = rec[bf].to_vec();
                    let cut = field
                        .iter()
                        .position(|&b| b == b'\n')
                        .unwrap_or(field.len());
                    let rest = field.get(cut + 1..).unwrap_or_default().to_vec();
                    line_offset = line;
                    restarted = true;
                    if stop.is_some() {
                        on_cut = false;
                    }
                    records = Some(CsvRecords::new(
                        Box::new(std::io::Cursor::new(rest)),
                        delimiter,
                        false,
                        0,
                        0,
                    ));
                } else {
                    // Closed by a later quote: every line it swallowed is quarantined.
                    for (k, l) in raw_lines.enumerate() {
                        self.counts.rows_read += 1;
                        self.quarantine_row(
                            line + 1 + k as u64,
                            format!("inside an unbalanced quote opened at line {line}"),
                            unparsed(l),
                        );
                    }
                }
                continue;
            }
            let fields = Fields::of(&rec, &mut bounds);
            self.csv_row(&fields, line, &rc, false, &mut builders, &mut lines)?;
        }
        self.flush_csv(&mut builders, &mut lines)?;
        if let Some(l) = plain {
            keep_range_buffer(l.buf);
        }
        Ok(on_cut)
    }

    /// One CSV record: quarantined (a wrong number of fields, a projected field that is not
    /// UTF-8, an empty key or stratum) with its raw line, or its projected fields appended
    /// to the builders. `utf8`: the record's bytes are known to be valid UTF-8.
    fn csv_row(
        &mut self,
        f: &Fields<'_>,
        line: u64,
        rc: &RowCtx,
        utf8: bool,
        builders: &mut [TextBuilder],
        lines: &mut Vec<u64>,
    ) -> Result<()> {
        // A byte-order mark starts a line only where a second export was appended to the
        // file: its header follows, and the mark would be glued onto a key. One byte
        // compared per row; the mark itself only where that byte is its first.
        let first = f.get(0);
        if matches!(first.first(), Some(0xEF | 0xC3)) && rc.starts_with_bom(first) {
            return Err(IngestError::ByteOrderMark {
                path: self.extract.files[self.file].path.clone(),
                line,
            });
        }
        if f.len() != rc.header_len {
            self.counts.rows_read += 1;
            let reason = format!(
                "wrong number of fields: expected {}, found {}",
                rc.header_len,
                f.len()
            );
            self.quarantine_row(line, reason, rc.join(f));
            return Ok(());
        }
        if rc.repeats_header(first, f) {
            self.counts.rows_read += 1;
            self.quarantine_row(line, REPEATED_HEADER_LINE.to_string(), rc.join(f));
            return Ok(());
        }
        // The fields checked as UTF-8 together, once; a field is valid on its own when its
        // ends are character boundaries of valid text (a delimiter between fields is ASCII,
        // but the `csv` crate's fields are contiguous, without one). Only when the whole
        // fails is each projected field looked at alone. The builders take bytes, checked
        // again as text a batch at a time (`flush_csv`), which cannot fail after this.
        let known = rc.utf8_known || utf8;
        let whole = if known {
            None
        } else {
            simdutf8::basic::from_utf8(f.bytes).ok()
        };
        let text = |j: usize| -> bool {
            if known {
                return true;
            }
            let (a, b) = f.bounds[j];
            match whole {
                Some(t) => t.is_char_boundary(a) && t.is_char_boundary(b),
                None => std::str::from_utf8(&f.bytes[a..b]).is_ok(),
            }
        };
        let reason = if let Some(k) = rc.idx.iter().position(|&j| !text(j)) {
            Some(format!("column {:?} is not valid UTF-8", self.needed[k]))
        } else if rc.key_j.is_some_and(|j| f.get(j).is_empty()) {
            // Empty keys and strata are quarantined here, with the whole raw line.
            Some(format!("empty key (column {:?})", self.spec.key))
        } else {
            rc.strata_j
                .iter()
                .position(|&j| f.get(j).is_empty())
                .map(|k| format!("empty stratum value (column {:?})", self.spec.strata[k]))
        };
        if let Some(reason) = reason {
            self.counts.rows_read += 1;
            self.quarantine_row(line, reason, rc.join(f));
            return Ok(());
        }
        for (b, &j) in builders.iter_mut().zip(&rc.idx) {
            b.append(f.get(j));
        }
        self.row_done(builders, lines, line, rc.batch_size)
    }

    /// A spreadsheet: the sheet's rows after the header, each cell as text
    /// ([`crate::excel::cell_text`]); the quarantine rules of CSV, with the sheet's row
    /// number, and a cell holding an Excel error quarantines its row.
    fn excel(&mut self, path: &Path, sheet: Option<&str>) -> Result<()> {
        let (name, cells) = crate::excel::open_sheet(path, sheet)?;
        let header = crate::excel::sheet_header(path, &name, &cells)?;
        let first_col = cells.first_col;
        let position = |n: &str| header.iter().position(|h| h == n).unwrap_or(0);
        let idx: Vec<usize> = self.needed.iter().map(|n| position(n)).collect();
        let key_j = (!self.spec.key.is_empty()).then(|| position(&self.spec.key));
        let strata_j: Vec<usize> = self.spec.strata.iter().map(|s| position(s)).collect();
        let personal: Vec<bool> = header
            .iter()
            .map(|h| self.spec.personal.contains(h))
            .collect();
        let batch_size = self.spec.batch_size.max(1);
        let mut builders = self.text_builders();
        let mut lines: Vec<u64> = Vec::with_capacity(batch_size);
        // Only rows that have a cell are there: a row with none (an empty row between
        // records) is no record, as a row of empty cells below.
        for (row, row_cells) in cells.rows().skip(1) {
            let line = u64::from(row) + 1;
            let texts: Vec<std::result::Result<Option<String>, String>> =
                crate::excel::row_values(row_cells, first_col, header.len())
                    .into_iter()
                    .map(|c| crate::excel::cell_text(c.unwrap_or(&calamine::Data::Empty)))
                    .collect();
            let raw = || -> String {
                texts
                    .iter()
                    .enumerate()
                    .map(|(j, t)| {
                        if personal.get(j).copied().unwrap_or(false) {
                            PERSONAL_MASK.to_string()
                        } else {
                            match t {
                                Ok(v) => v.clone().unwrap_or_default(),
                                Err(e) => e.clone(),
                            }
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            };
            // A row of empty cells (formatting left below the data) is no record.
            if texts.iter().all(|t| matches!(t, Ok(None))) {
                continue;
            }
            // The header row again (sheets pasted one below the other): no record.
            let is_header = |(t, h): (&std::result::Result<Option<String>, String>, &String)| matches!(t, Ok(Some(v)) if v.trim() == h);
            if texts.len() == header.len() && texts.iter().zip(&header).all(is_header) {
                self.counts.rows_read += 1;
                let raw = raw();
                self.quarantine_row(line, REPEATED_HEADER_ROW.to_string(), raw);
                continue;
            }
            let field = |j: usize| texts.get(j).cloned().unwrap_or(Ok(None));
            let bad = idx.iter().find_map(|&j| {
                field(j).err().map(|e| {
                    format!(
                        "column {:?} (cell {}{line}) holds {e}",
                        header[j],
                        crate::excel::column_letters(first_col as usize + j)
                    )
                })
            });
            let reason = bad.or_else(|| {
                if key_j.is_some_and(|j| matches!(field(j), Ok(None))) {
                    Some(format!("empty key (column {:?})", self.spec.key))
                } else {
                    strata_j
                        .iter()
                        .position(|&j| matches!(field(j), Ok(None)))
                        .map(|k| format!("empty stratum value (column {:?})", self.spec.strata[k]))
                }
            });
            if let Some(reason) = reason {
                self.counts.rows_read += 1;
                let raw = raw();
                self.quarantine_row(line, reason, raw);
                continue;
            }
            for (b, &j) in builders.iter_mut().zip(&idx) {
                match field(j) {
                    Ok(Some(v)) => b.append(v.as_bytes()),
                    _ => b.append(b""),
                }
            }
            self.row_done(&mut builders, &mut lines, line, batch_size)?;
        }
        self.flush_csv(&mut builders, &mut lines)
    }

    /// One builder per needed column: the key plain, the others dictionary-encoded while a
    /// batch has at most half as many distinct values as rows.
    fn text_builders(&self) -> Vec<TextBuilder> {
        let limit = if self.spec.text_dictionary {
            (self.spec.batch_size.max(1) / 2).max(1)
        } else {
            0
        };
        self.needed
            .iter()
            .map(|n| TextBuilder::new(if *n == self.spec.key { 0 } else { limit }))
            .collect()
    }

    /// A text row has been appended to the builders: note its line, and hand a full batch
    /// to [`Self::process`].
    fn row_done(
        &mut self,
        builders: &mut [TextBuilder],
        lines: &mut Vec<u64>,
        line: u64,
        batch_size: usize,
    ) -> Result<()> {
        lines.push(line);
        if lines.len() >= batch_size {
            self.flush_csv(builders, lines)?;
        }
        Ok(())
    }

    /// Process the rows in the builders as one batch (nothing when there are none).
    fn flush_csv(&mut self, builders: &mut [TextBuilder], lines: &mut Vec<u64>) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let arrays: Vec<Built> = builders
            .iter_mut()
            .map(TextBuilder::finish)
            .collect::<std::result::Result<_, _>>()
            .map_err(|reason| IngestError::CsvHeader {
                path: self.extract.files[self.file].path.clone(),
                reason,
            })?;
        let refs: Vec<ArrayRef> = arrays.iter().map(Built::to_ref).collect();
        let mut l = std::mem::take(lines);
        self.process(&refs, 0, Some(&l))?;
        // The batch's buffers back to the builders (and the line list), to be written
        // over by the next batch.
        drop(refs);
        for (b, a) in builders.iter_mut().zip(arrays) {
            b.recycle(a);
        }
        l.clear();
        *lines = l;
        Ok(())
    }
}

/// The encoding of a CSV file (UTF-8 when it was not decided, as for a file built by hand).
fn text_encoding(f: &SourceFile) -> TextEncoding {
    f.scan_encoding().unwrap_or(TextEncoding::Utf8)
}

/// A column's values as numbers: `None` for null or empty, `Some(NaN)` for text that is not
/// a number (decimal comma accepted).
fn numbers(a: &ArrayRef) -> Vec<Option<f64>> {
    use arrow_schema::DataType;
    match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
            let t = TextCol::from_array(a);
            (0..a.len())
                .map(|i| {
                    let v = crate::text::trim(t.as_ref().and_then(|t| t.get(i))?);
                    if v.is_empty() {
                        return None;
                    }
                    Some(crate::text::parse_decimal(v).unwrap_or(f64::NAN))
                })
                .collect()
        }
        _ => match arrow_cast::cast(a, &DataType::Float64) {
            Ok(c) => {
                let f = c
                    .as_any()
                    .downcast_ref::<arrow_array::Float64Array>()
                    .cloned();
                (0..a.len())
                    .map(|i| f.as_ref().and_then(|f| (!f.is_null(i)).then(|| f.value(i))))
                    .collect()
            }
            Err(_) => vec![Some(f64::NAN); a.len()],
        },
    }
}

/// What stands in a quarantine row for a personal column's value.
pub const PERSONAL_MASK: &str = "<personal>";

fn render_row(arrays: &[ArrayRef], i: usize, personal: &[bool]) -> String {
    let opts = arrow_cast::display::FormatOptions::default().with_null("");
    arrays
        .iter()
        .zip(personal)
        .map(|(a, &p)| {
            if p {
                return PERSONAL_MASK.to_string();
            }
            arrow_cast::display::ArrayFormatter::try_new(a.as_ref(), &opts)
                .map(|f| f.value(i).to_string())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod record_tests {
    use super::*;

    #[test]
    fn range_sizes_depend_on_the_file_alone() {
        const MIB: u64 = 1 << 20;
        // The 196 MB file of docs/performance.md: 5 MiB ranges (a 32nd, whole MiB), 38 of them.
        assert_eq!(csv_range_bytes(195_863_465, CSV_CHUNK_BYTES), 5 * MIB);
        // Small files: the minimum (a file below 1.5 times it is not split at all).
        assert_eq!(
            csv_range_bytes(10 * MIB, CSV_CHUNK_BYTES),
            CSV_CHUNK_MIN_BYTES
        );
        // Large files: the maximum.
        assert_eq!(
            csv_range_bytes(50_000 * MIB, CSV_CHUNK_BYTES),
            CSV_CHUNK_BYTES
        );
        // A smaller maximum (the tests' tiny ranges) is kept as it is.
        assert_eq!(csv_range_bytes(195_863_465, 300), 300);
        assert_eq!(csv_range_bytes(195_863_465, 3 * MIB + 5), 3 * MIB);
        for size in [0, 1, MIB, 99 * MIB + 7, 1 << 40] {
            let c = csv_range_bytes(size, CSV_CHUNK_BYTES);
            assert!((CSV_CHUNK_MIN_BYTES..=CSV_CHUNK_BYTES).contains(&c));
            assert_eq!(c % MIB, 0);
        }
    }

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle {
        text: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl std::io::Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(self.step).min(self.text.len() - self.at);
            out[..n].copy_from_slice(&self.text[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Every record of `text` (after a header line): fields, start byte, line, and whether
    /// the line reader still held it when it was read.
    fn records(text: &[u8]) -> Vec<(Vec<String>, u64, u64, bool)> {
        records_in_reads(text, usize::MAX)
    }

    /// [`records`], the text read at most `step` bytes at a time.
    fn records_in_reads(text: &[u8], step: usize) -> Vec<(Vec<String>, u64, u64, bool)> {
        let inner: Box<dyn std::io::Read + Send> = Box::new(Trickle {
            text: text.to_vec(),
            at: 0,
            step,
        });
        let show = |f: &Fields<'_>| -> Vec<String> {
            (0..f.len())
                .map(|j| String::from_utf8_lossy(f.get(j)).into_owned())
                .collect()
        };
        let mut l = LineReader::new(inner, b';', true, usize::MAX);
        let mut out = Vec::new();
        loop {
            match l.next().expect("in memory") {
                LineNext::Record(at) => out.push((show(&l.fields()), at.at, at.line, true)),
                LineNext::End => return out,
                LineNext::NotPlain => break,
            }
        }
        let mut c = l.hand_over();
        let (mut rec, mut bounds) = (csv::ByteRecord::new(), Vec::new());
        while let Some(at) = c.next(&mut rec).expect("in memory") {
            out.push((show(&Fields::of(&rec, &mut bounds)), at.at, at.line, false));
        }
        out
    }

    fn f(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_lines_are_split_without_the_csv_crate() {
        let got = records(b"id;a\r\nK1;x\r\nK2;\r\nK3;z");
        assert_eq!(
            got,
            vec![
                (f(&["K1", "x"]), 6, 2, true),
                (f(&["K2", ""]), 12, 3, true),
                (f(&["K3", "z"]), 17, 4, true),
            ]
        );
    }

    #[test]
    fn the_csv_crate_takes_over_at_the_first_line_that_is_not_plain() {
        // A quoted field holding a line feed, then plain lines again: from the quote on,
        // every record is the csv crate's, at the same bytes and lines.
        let got = records(b"id;a\nK1;x\nK2;\"y\ny\"\nK3;z\n");
        assert_eq!(
            got,
            vec![
                (f(&["K1", "x"]), 5, 2, true),
                (f(&["K2", "y\ny"]), 10, 3, false),
                (f(&["K3", "z"]), 19, 5, false),
            ]
        );
        // A quoted header: the csv crate from the start.
        let got = records(b"\"id\";\"a\"\r\nK1;x\r\n");
        assert_eq!(got, vec![(f(&["K1", "x"]), 10, 2, false)]);
        // A lone CR ends a record for the csv crate, so it is left to it.
        let got = records(b"id;a\nK1;x\rK2;y\n");
        assert_eq!(
            got,
            vec![
                (f(&["K1", "x"]), 5, 2, false),
                (f(&["K2", "y"]), 10, 2, false)
            ]
        );
    }

    /// The `csv` crate's records of `text` alone, as [`records`] shows them.
    fn reference(text: &[u8]) -> Vec<(Vec<String>, u64, u64)> {
        let inner: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(text.to_vec()));
        let mut c = CsvRecords::new(inner, b';', true, 0, 0);
        let (mut rec, mut bounds) = (csv::ByteRecord::new(), Vec::new());
        let mut out = Vec::new();
        while let Some(at) = c.next(&mut rec).expect("in memory") {
            let f = Fields::of(&rec, &mut bounds);
            let fields = (0..f.len())
                .map(|j| String::from_utf8_lossy(f.get(j)).into_owned())
                .collect();
            out.push((fields, at.at, at.line));
        }
        out
    }

    proptest::proptest! {
        /// Lines of any length (across the 64-byte blocks the splitter classifies at a
        /// time), a CR or CRLF anywhere (also split between two reads), read in pieces of
        /// any size: the same records, bytes and lines as the `csv` crate reading it whole.
        #[test]
        fn lines_split_in_blocks_and_reads_as_by_the_csv_crate(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => proptest::string::string_regex("[a-zé]{0,70}").expect("regex"),
                    4 => proptest::strategy::Just(";".to_string()),
                    2 => proptest::strategy::Just("\n".to_string()),
                    2 => proptest::strategy::Just("\r\n".to_string()),
                    1 => proptest::strategy::Just("\r".to_string()),
                    1 => proptest::strategy::Just("\"".to_string()),
                ],
                0..120,
            ),
            step in 1usize..300,
        ) {
            let text = format!("id;a;b\n{}", pieces.concat());
            let whole = records(text.as_bytes());
            let split = records_in_reads(text.as_bytes(), step);
            proptest::prop_assert_eq!(&whole, &split);
            let plain: Vec<_> = whole.into_iter().map(|(f, at, line, _)| (f, at, line)).collect();
            proptest::prop_assert_eq!(plain, reference(text.as_bytes()));
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_read_whole() {
        let long = "v".repeat(crate::encoding::READ_BUFFER * 2 + 7);
        let text = format!("id;a\nK1;{long}\nK2;w\n");
        let got = records(text.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, f(&["K1", &long]));
        assert_eq!(
            (got[1].1, got[1].2, got[1].3),
            (text.len() as u64 - 5, 3, true)
        );
    }
}

#[cfg(test)]
mod text_builder_tests {
    use super::*;
    use arrow_array::cast::AsArray;

    fn plain(b: Built) -> arrow_array::StringArray {
        match b {
            Built::Text(a) => a,
            Built::Dict(_) => panic!("a dictionary where plain text was built"),
        }
    }

    fn strings(b: &Built) -> Vec<String> {
        let t = TextCol::from_array(&b.to_ref()).expect("text");
        (0..b.to_ref().len())
            .map(|i| t.get(i).unwrap_or("NULL").to_string())
            .collect()
    }

    #[test]
    fn batches_of_text_and_bytes_that_are_not() {
        let mut b = TextBuilder::new(0);
        for v in ["K1", "", "äldre"] {
            b.append(v.as_bytes());
        }
        let a = plain(b.finish().expect("text"));
        assert_eq!(a.iter().flatten().collect::<Vec<_>>(), ["K1", "", "äldre"]);
        // Nothing else holds the batch: the next one is written into its buffers.
        let ptr = a.values().as_ptr();
        b.recycle(Built::Text(a));
        assert_eq!(b.values.as_ptr(), ptr);
        b.append(b"x");
        let a = plain(b.finish().expect("text"));
        assert_eq!(a.iter().flatten().collect::<Vec<_>>(), ["x"]);
        // A batch still held elsewhere is left alone.
        let kept = a.clone();
        b.recycle(Built::Text(a));
        assert_ne!(b.values.as_ptr(), kept.values().as_ptr());
        b.append(b"y");
        assert_eq!(kept.value(0), "x");
        assert_eq!(plain(b.finish().expect("text")).value(0), "y");
        // Bytes that are not UTF-8 are an error, not a string.
        b.append(b"\xc3");
        assert!(b.finish().is_err());
        let mut d = TextBuilder::new(4);
        d.append(b"\xc3");
        assert!(d.finish().is_err());
    }

    #[test]
    fn a_dictionary_until_too_many_values_then_plain_text() {
        let mut b = TextBuilder::new(3);
        let rows = ["0180", "", "0180", "1280", "", "0180"];
        for v in rows {
            b.append(v.as_bytes());
        }
        let a = b.finish().expect("text");
        let Built::Dict(d) = &a else {
            panic!("three distinct values under a limit of three are a dictionary")
        };
        assert_eq!(d.values().len(), 3);
        assert_eq!(d.keys().values().to_vec(), [0, 1, 0, 2, 1, 0]);
        assert_eq!(strings(&a), rows);
        // The keys' buffer is reused by the next batch, whose dictionary starts afresh.
        let ptr = d.keys().values().as_ptr();
        b.recycle(a);
        assert_eq!(b.keys.as_ptr(), ptr);
        let rows = ["b", "a", "b", "c", "d", "a", "e"];
        for v in rows {
            b.append(v.as_bytes());
        }
        // A fourth distinct value: the batch so far turned into plain text, in row order.
        let a = b.finish().expect("text");
        assert!(matches!(a, Built::Text(_)));
        assert_eq!(strings(&a), rows);
        // And plain text from then on.
        b.recycle(a);
        b.append(b"b");
        b.append(b"b");
        let a = b.finish().expect("text");
        assert!(matches!(a, Built::Text(_)));
        assert_eq!(strings(&a), ["b", "b"]);
    }

    proptest::proptest! {
        /// Two values of at most 16 bytes have the same short key exactly when they are
        /// the same bytes (the values are drawn from few bytes, so equal ones are common).
        #[test]
        fn short_keys_tell_short_values_apart(
            a in proptest::collection::vec(0u8..3, 0..=16),
            b in proptest::collection::vec(0u8..3, 0..=16),
        ) {
            proptest::prop_assert_eq!(ShortKey::of(&a) == ShortKey::of(&b), a == b);
        }

        /// A column reads the same values dictionary-encoded as plain, whatever the limit
        /// (values up to 40 bytes, so longer ones are compared in full).
        #[test]
        fn dictionary_and_plain_hold_the_same_values(
            rows in proptest::collection::vec(proptest::collection::vec(b'a'..b'd', 0..40), 0..200),
            limit in 1usize..64,
        ) {
            let mut d = TextBuilder::new(limit);
            let mut p = TextBuilder::new(0);
            for r in &rows {
                d.append(r);
                p.append(r);
            }
            let (d, p) = (d.finish().expect("text"), p.finish().expect("text"));
            proptest::prop_assert_eq!(strings(&d), strings(&p));
            if let Built::Dict(a) = &d {
                // No value twice in a dictionary.
                let v: std::collections::BTreeSet<&str> = a
                    .values()
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .collect();
                proptest::prop_assert_eq!(v.len(), a.values().len());
            }
        }
    }
}
