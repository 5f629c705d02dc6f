//! CSV records read by the `csv` crate ([`CsvRecords`]), with where each starts
//! ([`RecordAt`]: byte, line, whether it spans lines; CR LF line ends seen by [`CrlfTap`]),
//! and a record's fields as byte ranges ([`Fields`]). It knows nothing of columns, rows'
//! validity or the quarantine.

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
pub(crate) struct RecordAt {
    /// Byte offset of its first byte in the reader's output for the range (or file).
    pub(crate) at: u64,
    /// Its line, counting the range's first line as 1.
    pub(crate) line: u64,
    /// It runs over more than one line (a quoted field holds a line end).
    pub(crate) spans_lines: bool,
    /// Its bytes were checked as UTF-8 with the range they are in ([`Prefetched`](super::csv_ranges::Prefetched)).
    pub(crate) utf8: bool,
}

/// A CSV record's fields: `bytes[a..b]` for each `(a, b)` in `bounds`, in order.
pub(crate) struct Fields<'a> {
    pub(crate) bytes: &'a [u8],
    /// The first fields' offsets in `bytes` (all of them, or as many as the scan reads).
    pub(crate) bounds: &'a [(usize, usize)],
    /// How many fields the record has.
    pub(crate) count: usize,
    /// Where fields past `bounds` are split (a plain line's delimiter: no quotes in it).
    pub(crate) delimiter: u8,
}

impl<'a> Fields<'a> {
    /// A `csv` crate record's fields (their bytes are contiguous in it).
    pub(crate) fn of(rec: &'a csv::ByteRecord, bounds: &'a mut Vec<(usize, usize)>) -> Fields<'a> {
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

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    #[inline]
    pub(crate) fn get(&self, j: usize) -> &'a [u8] {
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

/// The `csv` crate's records, from the start of a range or from where a [`LineReader`](super::lines::LineReader)
/// handed over.
pub(crate) struct CsvRecords {
    rdr: csv::Reader<CrlfTap>,
    crlf: CrlfMarks,
    /// Reader output, and line feeds, before this reader's first byte.
    byte_base: u64,
    line_base: u64,
}

impl CsvRecords {
    pub(crate) fn new(
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

    pub(crate) fn next(&mut self, rec: &mut csv::ByteRecord) -> csv::Result<Option<RecordAt>> {
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
