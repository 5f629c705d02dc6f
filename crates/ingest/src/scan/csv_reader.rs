//! A CSV file, or one range of it, read into batches: plain lines split by [`LineReader`],
//! the rest by the `csv` crate; each record validated as a row ([`RowCtx`]: field count,
//! UTF-8, a byte-order mark or the header repeated, empty key or stratum) and its projected
//! fields appended to the text builders; an unbalanced quote quarantines the lines it
//! swallows. Batches go on to [`Ctx`]'s processing.

use super::batches::Ctx;
use super::csv_ranges::{keep_range_buffer, CsvChunk, Prefetched};
use super::lines::{LineNext, LineReader};
use super::quarantine::{PERSONAL_MASK, REPEATED_HEADER_LINE};
use super::records::{CsvRecords, Fields, RecordAt};
use super::spec::Batch;
use super::text_builder::TextBuilder;
use crate::encoding::TextEncoding;
use crate::error::{IngestError, Result};
use std::path::Path;

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
    /// A line swallowed by a quote, as quarantined: it was never split into columns, so
    /// with a personal column in the extract it is not shown.
    fn unparsed(&self, l: &str) -> String {
        if self.any_personal() {
            format!("{PERSONAL_MASK} (a line that does not split into columns; not shown because a personal column is in it)")
        } else {
            l.to_string()
        }
    }

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

impl<T, F> Ctx<'_, T, F>
where
    F: Fn(&mut T, &Batch) -> Result<()>,
{
    /// Parse a CSV file, or one range of it ([`CsvChunk`]): true when the range ended
    /// exactly on its cut (always for a whole file or the last range).
    pub(crate) fn csv(
        &mut self,
        path: &Path,
        header: &[String],
        delimiter: u8,
        encoding: TextEncoding,
        chunk: Option<&CsvChunk>,
        pre: Option<Prefetched>,
    ) -> Result<bool> {
        let (mut plain, mut records) =
            self.csv_readers(path, header, delimiter, encoding, chunk, pre)?;
        // A range that is not the last stops before the first record starting at or past
        // its cut, and reports whether that record starts exactly there.
        let stop = chunk.filter(|c| !c.last).map(|c| c.stop);
        let mut on_cut = true;
        let rc = self.row_ctx(path, header, delimiter, encoding);
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
                self.counts.rows_read += 1;
                self.quarantine_row(
                    line,
                    "unbalanced quote: a field runs on over the lines after it".to_string(),
                    rc.unparsed(raw_lines.next().unwrap_or("")),
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
                            rc.unparsed(l),
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

    /// The readers of a CSV file or range: a [`LineReader`] for its plain lines (handing
    /// over to the `csv` crate at the first line that is not plain), or [`CsvRecords`]
    /// alone; a prefetched range is read from memory, then from the file after it.
    fn csv_readers(
        &self,
        path: &Path,
        header: &[String],
        delimiter: u8,
        encoding: TextEncoding,
        chunk: Option<&CsvChunk>,
        pre: Option<Prefetched>,
    ) -> Result<(Option<LineReader>, Option<CsvRecords>)> {
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
        Ok(match pre {
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
        })
    }

    /// How the rows of a CSV file with this header are checked and projected.
    fn row_ctx(
        &self,
        path: &Path,
        header: &[String],
        delimiter: u8,
        encoding: TextEncoding,
    ) -> RowCtx {
        let position = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
        RowCtx {
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
        }
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
}
