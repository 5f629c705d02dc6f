//! The plain lines of a CSV range split on the delimiter without the `csv` crate
//! ([`LineReader`]); the first line that is not plain, and the rest, are handed to
//! [`CsvRecords`]. It splits bytes into fields; it validates no row.

use super::csv_ranges::Prefetched;
use super::records::{CsvRecords, Fields, RecordAt};

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
pub(crate) struct LineReader {
    inner: Box<dyn std::io::Read + Send>,
    pub(crate) buf: Vec<u8>,
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
pub(crate) enum LineNext {
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
    pub(crate) fn new(
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
    pub(crate) fn prefetched(
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
    pub(crate) fn fields(&self) -> Fields<'_> {
        Fields {
            bytes: &self.buf[self.line..self.line + self.content_end],
            bounds: &self.bounds,
            count: self.count,
            delimiter: self.delimiter,
        }
    }

    /// The next plain line, split into [`Self::fields`].
    pub(crate) fn next(&mut self) -> std::io::Result<LineNext> {
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
    pub(crate) fn hand_over(self) -> CsvRecords {
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

#[cfg(test)]
mod record_tests {
    use super::super::csv_ranges::{csv_range_bytes, CSV_CHUNK_BYTES, CSV_CHUNK_MIN_BYTES};
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
