//! A large CSV file cut into byte ranges parsed in parallel ([`CsvChunk`]): where to cut,
//! the size of the ranges ([`csv_range_bytes`]), each range's line offset (from the file's
//! line-feed index, or counted by the workers that read a range into memory,
//! [`prefetch_range`]). It reads bytes and counts lines; it parses no record.

use super::columns::open;
use crate::encoding::TextEncoding;
use crate::error::{IngestError, Result};
use crate::source::{Extract, SourceFile};
use std::path::Path;

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
///
/// [`ScanSpec::csv_chunk_bytes`]: crate::ScanSpec::csv_chunk_bytes
pub fn csv_range_bytes(size: u64, max: u64) -> u64 {
    use crate::encoding::LF_BLOCK;
    let c = max.min((size / 32).max(CSV_CHUNK_MIN_BYTES));
    if c >= LF_BLOCK {
        c / LF_BLOCK * LF_BLOCK
    } else {
        c
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
///
/// [`ScanSpec::csv_chunk_bytes`]: crate::ScanSpec::csv_chunk_bytes
#[derive(Debug, Clone)]
pub(crate) struct CsvChunk {
    /// Its place in the file.
    pub(crate) index: usize,
    /// Raw byte offset of its first byte (a line start).
    pub(crate) start: u64,
    /// Raw byte offset of the next range's start (the file size for the last).
    pub(crate) end: u64,
    /// The last range of the file.
    pub(crate) last: bool,
    /// Line feeds before `start`.
    pub(crate) line_offset: u64,
    /// Bytes of the reader's (UTF-8) output from `start` to `end` (less a UTF-8 BOM).
    pub(crate) stop: u64,
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
pub(crate) fn csv_cuts(path: &Path, size: u64, chunk: u64) -> Result<Vec<u64>> {
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
pub(crate) struct Prefetched {
    pub(crate) buf: Vec<u8>,
    pub(crate) len: usize,
    pub(crate) quote: Option<usize>,
    pub(crate) valid: bool,
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
pub(crate) fn keep_range_buffer(buf: Vec<u8>) {
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
pub(crate) fn range_buffer(need: usize) -> Vec<u8> {
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
pub(crate) struct RangeLines {
    counts: std::sync::Mutex<Vec<RangeCount>>,
    ready: std::sync::Condvar,
}

#[derive(Clone, Copy)]
pub(crate) enum RangeCount {
    Waiting,
    Counted(u64),
    /// The range was not read (an error, or the scan stopped): the ranges after it fail.
    Failed,
}

impl RangeLines {
    pub(crate) fn new(ranges: usize) -> RangeLines {
        RangeLines {
            counts: std::sync::Mutex::new(vec![RangeCount::Waiting; ranges]),
            ready: std::sync::Condvar::new(),
        }
    }

    pub(crate) fn publish(&self, range: usize, count: RangeCount) {
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
pub(crate) fn prefetch_range(
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
pub(crate) fn line_feeds_before(
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
pub(crate) fn usable_indexes(extract: &Extract) -> Vec<Option<&crate::encoding::LineFeedIndex>> {
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

pub(crate) fn lock<X>(m: &std::sync::Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
