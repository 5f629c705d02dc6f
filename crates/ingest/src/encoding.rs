//! Text encodings of CSV extracts: UTF-8 (with or without a byte-order mark), UTF-16 (by
//! its byte-order mark) and Windows-1252, the encoding Swedish municipal case systems and
//! Excel export `;` files in. Every value is decoded to UTF-8 before anything else reads it,
//! so a key has the same bytes, and the same permanent random number, whatever the file's
//! encoding.
//!
//! Decoding is `encoding_rs` (the WHATWG Encoding Standard) through `encoding_rs_io`; the
//! only code of our own is the detection rule, which must look at the whole file (a UTF-8
//! file with one Windows-1252 byte at row 300,000 is not UTF-8).

use crate::error::{IngestError, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// What the user asked for (`--encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// UTF-16 by a byte-order mark, UTF-8 when the whole file is valid UTF-8, else
    /// Windows-1252.
    #[default]
    Auto,
    /// UTF-8 (a byte-order mark is skipped).
    Utf8,
    /// Windows-1252.
    Windows1252,
    /// ISO-8859-1: decoded as Windows-1252, as the WHATWG Encoding Standard does (the two
    /// differ only in 0x80–0x9F, control codes in ISO-8859-1 that no extract contains).
    Latin1,
    /// UTF-16, little-endian unless a byte-order mark says big-endian.
    Utf16,
}

impl EncodingChoice {
    /// Parse a name: `auto`, `utf-8`, `windows-1252` (`cp1252`), `iso-8859-1` (`latin1`),
    /// `utf-16`.
    pub fn parse(s: &str) -> Option<EncodingChoice> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        Some(match k.as_str() {
            "auto" => EncodingChoice::Auto,
            "utf-8" | "utf8" => EncodingChoice::Utf8,
            "windows-1252" | "cp1252" | "win-1252" => EncodingChoice::Windows1252,
            "iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" => EncodingChoice::Latin1,
            "utf-16" | "utf16" => EncodingChoice::Utf16,
            _ => return None,
        })
    }
}

/// The encoding a CSV file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8.
    Utf8,
    /// Windows-1252.
    Windows1252,
    /// UTF-16 little-endian.
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
}

impl TextEncoding {
    /// The name recorded in plan.json, sidecars and metadata.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
        }
    }

    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Read until `buf` is full or the file ends: the bytes read.
fn read_full(f: &mut File, buf: &mut [u8], path: &Path) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = f.read(&mut buf[got..]).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

/// The line feeds of a file in blocks of [`LF_BLOCK`] bytes, counted while it was checked as
/// UTF-8, so that a parallel CSV scan can number the lines of each of its ranges without
/// reading the file once more (`scan::prepare_chunks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFeedIndex {
    /// The file's size when counted (the index is used only while it is the same).
    pub size: u64,
    /// Line feeds in `[k·LF_BLOCK, (k+1)·LF_BLOCK)`, the last block shorter.
    pub per_block: Vec<u32>,
}

/// The block of a [`LineFeedIndex`]: 1 MiB.
pub const LF_BLOCK: u64 = 1 << 20;

/// The blocks one task of [`utf8_index`] checks: 4 MiB.
const CHECK_BLOCKS: u64 = 4;

/// Continuation bytes (`10xxxxxx`) at the start of `b`, at most three: a character
/// boundary follows them when the text is valid UTF-8 (no character has four).
fn leading_continuations(b: &[u8]) -> usize {
    b.iter().take(3).take_while(|&&x| x & 0xC0 == 0x80).count()
}

/// What [`utf8_index`] found.
enum Utf8Check {
    /// The file is not valid UTF-8.
    Invalid,
    /// The whole file is valid UTF-8: its line feeds per block.
    Valid(LineFeedIndex),
    /// Asked to stop there: the first piece of a larger file is ASCII with a line feed in
    /// it, and the rest was not read.
    AsciiPrefix,
}

/// Whether the whole file is valid UTF-8, with its line feeds counted per block when it is.
/// With `lazy`, a file whose first piece is ASCII (and holds a line feed, so the header is
/// in it) is answered [`Utf8Check::AsciiPrefix`] without reading the rest. With `parallel`
/// false the pieces are checked one after another (see [`Pending::settle`] for why).
///
/// Method: the file is cut into 4 MiB pieces checked in parallel; each piece starts after
/// the continuation bytes at its nominal start (a character boundary in valid text) and
/// runs to the next piece's start. Valid pieces make valid text and valid text cuts into
/// valid pieces at character boundaries, so the answer is that of one check of the whole
/// file. The first piece is checked alone first: a Windows-1252 file with å, ä or ö near
/// its top is answered after 4 MiB, as by a check from the start.
fn utf8_index(path: &Path, lazy: bool, parallel: bool) -> Result<Utf8Check> {
    use rayon::prelude::*;
    use std::io::{Seek, SeekFrom};
    use std::sync::atomic::{AtomicBool, Ordering};
    let size = std::fs::metadata(path).map_err(io_err(path))?.len();
    let span = LF_BLOCK * CHECK_BLOCKS;
    let pieces = size.div_ceil(span).max(1);
    let failed = AtomicBool::new(false);
    // Whether every piece checked so far was ASCII with a line feed (the first piece only
    // is asked).
    let ascii = AtomicBool::new(true);
    // One piece, read in blocks of 1 MiB into `buf` (kept by its thread, so no fresh pages
    // per piece): its per-block line feeds, or `None` when it is not valid text.
    let piece = |buf: &mut Vec<u8>, k: u64| -> Result<Option<Vec<u32>>> {
        if failed.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let start = k * span;
        let end = (start + span).min(size);
        let mut f = File::open(path).map_err(io_err(path))?;
        f.seek(SeekFrom::Start(start)).map_err(io_err(path))?;
        buf.resize(LF_BLOCK as usize + 8, 0);
        let mut counts = Vec::with_capacity(CHECK_BLOCKS as usize);
        // Bytes of a character begun in the last block, moved to the front.
        let mut carry = 0usize;
        let mut pos = start;
        while pos < end {
            let want = usize::try_from((end - pos).min(LF_BLOCK)).unwrap_or(0);
            let got = read_full(&mut f, &mut buf[carry..carry + want], path)?;
            counts.push(memchr::memchr_iter(b'\n', &buf[carry..carry + got]).count() as u32);
            // The first block starts after the continuation bytes at the piece's start.
            let from = if pos == start && start > 0 {
                leading_continuations(&buf[..got])
            } else {
                0
            };
            let mut stop = carry + got;
            pos += got as u64;
            let last = pos >= end || got < want;
            if last && pos < size {
                // The piece ends where the next starts: after the continuation bytes there.
                let more = read_full(&mut f, &mut buf[stop..stop + 3], path)?;
                stop += leading_continuations(&buf[stop..stop + more]);
            }
            if lazy && k == 0 && !(buf[..stop].is_ascii() && counts.iter().any(|&n| n > 0)) {
                ascii.store(false, Ordering::Relaxed);
            }
            match simdutf8::compat::from_utf8(&buf[from.min(stop)..stop]) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() && !last => {
                    let valid = from + e.valid_up_to();
                    buf.copy_within(valid..stop, 0);
                    carry = stop - valid;
                }
                Err(_) => {
                    failed.store(true, Ordering::Relaxed);
                    return Ok(None);
                }
            }
            if last {
                break;
            }
        }
        Ok(Some(counts))
    };
    let mut buf = Vec::new();
    let Some(first) = piece(&mut buf, 0)? else {
        return Ok(Utf8Check::Invalid);
    };
    if lazy && pieces > 1 && ascii.load(Ordering::Relaxed) {
        return Ok(Utf8Check::AsciiPrefix);
    }
    let rest: Vec<Result<Option<Vec<u32>>>> = if parallel {
        (1..pieces)
            .into_par_iter()
            .map_init(Vec::new, |buf, k| piece(buf, k))
            .collect()
    } else {
        (1..pieces).map(|k| piece(&mut buf, k)).collect()
    };
    let mut per_block = first;
    for r in rest {
        match r? {
            Some(counts) => per_block.extend(counts),
            None => return Ok(Utf8Check::Invalid),
        }
    }
    Ok(Utf8Check::Valid(LineFeedIndex { size, per_block }))
}

/// The encoding of a file whose first piece (4 MiB) `Auto` found ASCII: read as UTF-8
/// unless a byte after it is not UTF-8, which makes the file Windows-1252 as a check of the
/// whole file would have (its header, in the first piece, is ASCII, so the header rule of
/// [`detect`] never applies).
///
/// Why: checking the whole file before a scan reads it twice (17–25 ms of a 0.2 s draw over
/// a 196 MB file). A scan that cuts the file in ranges reads each range into memory once,
/// counts its line feeds and checks it there: an ASCII range reads the same in either
/// encoding, so a scan that finds every range ASCII settles the file as UTF-8
/// ([`Pending::settle_utf8`]), and the first range that is not ASCII settles it by the
/// whole-file check ([`Pending::settle`]) before it is read. Anything else that asks for
/// the encoding settles it the same way.
#[derive(Debug, Default)]
pub struct Pending {
    settled: std::sync::OnceLock<TextEncoding>,
}

impl Pending {
    /// The encoding, checking the whole file first if no scan has settled it. A file that
    /// can no longer be read is left UTF-8 (the scan that reads it reports the error).
    ///
    /// The check runs on the calling thread alone: it may be called from a scan's worker,
    /// and a worker that helped with other rayon jobs while it waited could run another
    /// worker's loop, settle this file again from inside the first call and deadlock.
    pub fn settle(&self, path: &Path) -> TextEncoding {
        *self
            .settled
            .get_or_init(|| match utf8_index(path, false, false) {
                Ok(Utf8Check::Invalid) => TextEncoding::Windows1252,
                _ => TextEncoding::Utf8,
            })
    }

    /// Settle as UTF-8: a scan found every range of the file ASCII.
    pub(crate) fn settle_utf8(&self) {
        let _ = self.settled.set(TextEncoding::Utf8);
    }

    /// The encoding if settled.
    pub fn get(&self) -> Option<TextEncoding> {
        self.settled.get().copied()
    }
}

/// The bytes [`utf16_without_bom`] looks at: the start of the file.
const UTF16_SNIFF: usize = 256;

/// UTF-16 without a byte-order mark, from the first bytes of a file: in a header of Latin
/// letters, digits and delimiters every character is a letter byte and a NUL, the NUL second
/// (little-endian) or first (big-endian). At least three in four characters must have their
/// NUL on one side and at most one in eight on the other; UTF-8 and Windows-1252 text has
/// no NUL bytes at all. `None` for anything else.
///
/// Why our own rule: `encoding_rs` decodes UTF-16 by its byte-order mark only (the WHATWG
/// standard sniffs no other way), and without one the file read as UTF-8 gives column
/// names with a NUL between every letter and no hint why.
pub fn utf16_without_bom(head: &[u8]) -> Option<TextEncoding> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut first, mut second) = (0usize, 0usize);
    for p in head.chunks_exact(2) {
        first += usize::from(p[0] == 0);
        second += usize::from(p[1] == 0);
    }
    let most = |n: usize| n * 4 >= pairs * 3;
    let few = |n: usize| n * 8 <= pairs;
    if most(second) && few(first) {
        Some(TextEncoding::Utf16Le)
    } else if most(first) && few(second) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// What [`detect_indexed`] found.
#[derive(Debug)]
pub struct Detection {
    /// The encoding (UTF-8 while [`Self::pending`]).
    pub encoding: TextEncoding,
    /// The file's line feeds per block, when the whole file was read to tell.
    pub line_feeds: Option<LineFeedIndex>,
    /// The first piece of a larger file was ASCII and the rest was not read ([`Pending`]).
    pub pending: bool,
}

/// Whether the first line has non-ASCII characters and is valid UTF-8.
fn header_is_utf8_text(path: &Path) -> Result<bool> {
    use std::io::BufRead;
    let f = File::open(path).map_err(io_err(path))?;
    let mut line = Vec::new();
    BufReader::new(f)
        .take(1 << 20)
        .read_until(b'\n', &mut line)
        .map_err(io_err(path))?;
    Ok(!line.is_ascii() && simdutf8::basic::from_utf8(&line).is_ok())
}

/// The encoding to read a CSV file in, for a choice. With `Auto`: UTF-16 by its byte-order
/// mark; UTF-8 with a UTF-8 byte-order mark, when the whole file is valid UTF-8, or when the
/// header has non-ASCII text that is valid UTF-8 (the other rows' stray bytes are then
/// quarantined); else Windows-1252.
///
/// # Errors
/// The file cannot be read.
pub fn detect(path: &Path, choice: EncodingChoice) -> Result<TextEncoding> {
    detect_indexed(path, choice, false).map(|d| d.encoding)
}

/// [`detect`], with the file's line feeds per block when the whole file was read to tell
/// (`Auto` and no byte-order mark, found valid UTF-8). With `lazy`, a file whose first
/// piece is ASCII is not read further: [`Detection::pending`] ([`Pending`]).
///
/// # Errors
/// The file cannot be read.
pub fn detect_indexed(path: &Path, choice: EncodingChoice, lazy: bool) -> Result<Detection> {
    let mut head = [0u8; UTF16_SNIFF];
    let got = {
        let mut f = File::open(path).map_err(io_err(path))?;
        read_full(&mut f, &mut head, path)?
    };
    let head = &head[..got];
    let bom16 = match &head[..got.min(2)] {
        [0xFF, 0xFE] => Some(TextEncoding::Utf16Le),
        [0xFE, 0xFF] => Some(TextEncoding::Utf16Be),
        _ => None,
    };
    let mut index = None;
    let mut pending = false;
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        Some(TextEncoding::Utf8)
    } else {
        bom16
    };
    let bare16 = bom.is_none().then(|| utf16_without_bom(head)).flatten();
    let encoding = match (bom, choice) {
        // A byte-order mark decides, whatever encoding was given, as in the WHATWG decode
        // (and as the reader of the file from its start did already): the whole file,
        // every range of it, is read by the mark.
        (Some(e), _) => e,
        // UTF-16 without a mark, told by its NUL bytes: read as such when the encoding is
        // left to us or given as UTF-16; another encoding given would read garbage.
        (None, EncodingChoice::Auto | EncodingChoice::Utf16) if bare16.is_some() => {
            bare16.unwrap_or(TextEncoding::Utf16Le)
        }
        (None, given) if bare16.is_some() => {
            return Err(IngestError::CsvHeader {
                path: path.to_path_buf(),
                reason: format!(
                    "the file looks like {} without a byte-order mark (a NUL byte beside each character), but --encoding {} was given: leave out --encoding (or give --encoding utf-16), or save the file as UTF-8",
                    bare16.map_or("UTF-16", |e| if e == TextEncoding::Utf16Be {
                        "UTF-16 big-endian"
                    } else {
                        "UTF-16 little-endian"
                    }),
                    match given {
                        EncodingChoice::Utf8 => "utf-8",
                        EncodingChoice::Windows1252 => "windows-1252",
                        _ => "iso-8859-1",
                    }
                ),
            })
        }
        (None, EncodingChoice::Utf8) => TextEncoding::Utf8,
        (None, EncodingChoice::Windows1252 | EncodingChoice::Latin1) => TextEncoding::Windows1252,
        (None, EncodingChoice::Utf16) => TextEncoding::Utf16Le,
        (None, EncodingChoice::Auto) => {
            let valid = match utf8_index(path, lazy, true)? {
                Utf8Check::Valid(ix) => {
                    index = Some(ix);
                    true
                }
                Utf8Check::AsciiPrefix => {
                    pending = true;
                    true
                }
                Utf8Check::Invalid => false,
            };
            // A header written in UTF-8 (with å, ä or ö in it) tells the writer's
            // encoding: the rows with other bytes are quarantined as not UTF-8, not
            // the header mangled.
            if valid || header_is_utf8_text(path)? {
                TextEncoding::Utf8
            } else {
                TextEncoding::Windows1252
            }
        }
    };
    Ok(Detection {
        encoding,
        line_feeds: index,
        pending,
    })
}

/// The read size of a CSV scan (the file reader's buffer and the CSV parser's).
pub const READ_BUFFER: usize = 1 << 20;

/// A reader of the file's text as UTF-8 bytes, without a byte-order mark.
///
/// # Errors
/// The file cannot be opened.
pub fn open_utf8(path: &Path, encoding: TextEncoding) -> Result<Box<dyn Read + Send>> {
    use std::io::BufRead;
    let f = File::open(path).map_err(io_err(path))?;
    let mut f = BufReader::with_capacity(READ_BUFFER, f);
    Ok(match encoding {
        // UTF-8 is passed through as bytes (invalid bytes stay invalid, so the row is
        // quarantined as not UTF-8 rather than silently repaired); only a BOM is skipped,
        // here, so the bytes are not copied once more by a decoder that changes nothing.
        TextEncoding::Utf8 => {
            let head = f.fill_buf().map_err(io_err(path))?;
            if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
                // A UTF-16 byte-order mark in a file read as UTF-8: decoded by the mark, as
                // encoding_rs's BOM sniffing does.
                Box::new(
                    encoding_rs_io::DecodeReaderBytesBuilder::new()
                        .bom_sniffing(true)
                        .strip_bom(true)
                        .utf8_passthru(true)
                        .build(f),
                )
            } else {
                if head.starts_with(b"\xEF\xBB\xBF") {
                    f.consume(3);
                }
                Box::new(f)
            }
        }
        other => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(other.encoding_rs()))
                .bom_override(true)
                .strip_bom(true)
                .build(f),
        ),
    })
}

/// A reader of a CSV file from byte `start` (a line start past the header) as UTF-8: UTF-8
/// passed through as bytes, Windows-1252 decoded (any byte is a character boundary in a
/// single-byte encoding). UTF-16 is never split (see `scan`), so it is not accepted here.
///
/// # Errors
/// The file cannot be opened or sought, or a UTF-16 encoding.
pub fn open_utf8_at(
    path: &Path,
    encoding: TextEncoding,
    start: u64,
) -> Result<Box<dyn Read + Send>> {
    let f = BufReader::with_capacity(READ_BUFFER, open_at(path, start)?);
    decoded_from(path, encoding, f)
}

/// The file opened at byte `at`.
fn open_at(path: &Path, at: u64) -> Result<File> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(io_err(path))?;
    f.seek(SeekFrom::Start(at)).map_err(io_err(path))?;
    Ok(f)
}

/// `r`, a reader from a line start inside a file, as UTF-8: UTF-8 passed through,
/// Windows-1252 decoded (any byte is a character boundary in a single-byte encoding).
fn decoded_from<R: Read + Send + 'static>(
    path: &Path,
    encoding: TextEncoding,
    r: R,
) -> Result<Box<dyn Read + Send>> {
    Ok(match encoding {
        TextEncoding::Utf8 => Box::new(r),
        TextEncoding::Windows1252 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1252))
                .bom_sniffing(false)
                .build(r),
        ),
        other => {
            return Err(IngestError::CsvHeader {
                path: path.to_path_buf(),
                reason: format!("{} is read from the start only", other.name()),
            })
        }
    })
}

/// A reader of a CSV file from byte `end` (where a range read into memory ends) as UTF-8,
/// reading little at a time: only the line at the range's cut, or a quoted record across
/// it, is read from here. UTF-8 is passed through, Windows-1252 decoded.
///
/// # Errors
/// As [`open_utf8_at`].
pub fn open_utf8_after(
    path: &Path,
    encoding: TextEncoding,
    end: u64,
) -> Result<Box<dyn Read + Send>> {
    decoded_from(path, encoding, open_at(path, end)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces checked in parallel give the answer of one check of the whole file, with
    /// a character across a piece's edge, bytes that are not UTF-8 on either side of it or
    /// far into the file, and line feeds counted per block as a plain count gives them.
    #[test]
    fn utf8_checked_in_pieces_as_in_one() {
        let dir = tempfile::tempdir().unwrap();
        let edge = (LF_BLOCK * CHECK_BLOCKS) as usize;
        let line = b"K1;0180;\xc3\xa4ldre\n";
        let mut base: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(edge * 2 + 12_345)
            .collect();
        // Across a piece's edge (4 MiB) and across a block's inside a piece (1 MiB).
        let cases: Vec<(String, Vec<u8>)> = [edge, LF_BLOCK as usize]
            .into_iter()
            .flat_map(|e| (0..4).map(move |k| e - 2 + k))
            .flat_map(|at| {
                let mut split = base.clone();
                // "ä" (two bytes) and "€" (three) across the edge, one byte further each time.
                split[at..at + 2].copy_from_slice("ä".as_bytes());
                let mut euro = base.clone();
                euro[at..at + 3].copy_from_slice("€".as_bytes());
                // Four continuation bytes in a row (never valid), across the edge.
                let mut four = base.clone();
                four[at - 1..at + 3].copy_from_slice(b"\xa4\xa4\xa4\xa4");
                // A Windows-1252 "ä" alone.
                let mut lone = base.clone();
                lone[at] = 0xe4;
                [
                    (format!("split at {at}"), split),
                    (format!("euro at {at}"), euro),
                    (format!("four at {at}"), four),
                    (format!("lone at {at}"), lone),
                ]
            })
            .collect();
        base[edge * 2 + 100] = 0xe4;
        let mut cases = cases;
        cases.push(("lone in the third piece".to_string(), base));
        cases.push(("empty".to_string(), Vec::new()));
        cases.push((
            "a lone continuation byte first".to_string(),
            b"\xa4abc".to_vec(),
        ));
        for (name, bytes) in cases {
            let p = dir.path().join("x.csv");
            std::fs::write(&p, &bytes).unwrap();
            let got = match utf8_index(&p, false, true).unwrap() {
                Utf8Check::Valid(ix) => Some(ix),
                Utf8Check::Invalid => None,
                Utf8Check::AsciiPrefix => panic!("{name}: not lazy"),
            };
            assert_eq!(got.is_some(), std::str::from_utf8(&bytes).is_ok(), "{name}");
            if let Some(index) = got {
                let want: Vec<u32> = bytes
                    .chunks(LF_BLOCK as usize)
                    .map(|b| b.iter().filter(|&&x| x == b'\n').count() as u32)
                    .collect();
                assert_eq!(index.per_block, want, "{name}");
                assert_eq!(index.size, bytes.len() as u64);
            }
        }
    }

    /// Lazy detection stops after the first piece only when it is ASCII with a line feed
    /// and the file is larger; otherwise it answers as the whole-file check does.
    #[test]
    fn lazy_detection_stops_only_after_an_ascii_first_piece() {
        let dir = tempfile::tempdir().unwrap();
        let piece = (LF_BLOCK * CHECK_BLOCKS) as usize;
        let ascii: Vec<u8> = b"K1;0180;aldre\n"
            .iter()
            .copied()
            .cycle()
            .take(piece + 100)
            .collect();
        let mut early = ascii.clone();
        early[50..52].copy_from_slice("ä".as_bytes());
        let mut one_line = vec![b'a'; piece + 100];
        one_line.push(b'\n');
        let cases: Vec<(&str, Vec<u8>, bool, TextEncoding)> = vec![
            (
                "ascii, larger than a piece",
                ascii.clone(),
                true,
                TextEncoding::Utf8,
            ),
            (
                "ascii, one piece",
                ascii[..piece].to_vec(),
                false,
                TextEncoding::Utf8,
            ),
            ("ä in the first piece", early, false, TextEncoding::Utf8),
            (
                "no line feed in the first piece",
                one_line,
                false,
                TextEncoding::Utf8,
            ),
            (
                "a BOM",
                [b"\xEF\xBB\xBF".as_slice(), &ascii].concat(),
                false,
                TextEncoding::Utf8,
            ),
        ];
        for (name, bytes, pending, encoding) in cases {
            let p = dir.path().join("x.csv");
            std::fs::write(&p, &bytes).unwrap();
            let d = detect_indexed(&p, EncodingChoice::Auto, true).unwrap();
            assert_eq!(d.pending, pending, "{name}");
            assert_eq!(d.encoding, encoding, "{name}");
            assert_eq!(
                detect(&p, EncodingChoice::Auto).unwrap(),
                encoding,
                "{name}"
            );
            if pending {
                assert!(d.line_feeds.is_none(), "{name}");
                let later = Pending::default();
                assert_eq!(later.settle(&p), TextEncoding::Utf8, "{name}");
                let mut spoilt = bytes.clone();
                spoilt[piece + 10] = 0xE4;
                std::fs::write(&p, &spoilt).unwrap();
                let later = Pending::default();
                assert_eq!(later.settle(&p), TextEncoding::Windows1252, "{name}");
            }
        }
    }

    #[test]
    fn detects_and_decodes_the_encodings_municipalities_send() {
        let dir = tempfile::tempdir().unwrap();
        let text = "ärende_id;kommunkod;verksamhetsområde\r\nÄ-1;0214;äldre\r\n";
        let cases: Vec<(&str, Vec<u8>, TextEncoding)> = vec![
            ("utf8.csv", text.as_bytes().to_vec(), TextEncoding::Utf8),
            (
                "bom.csv",
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                TextEncoding::Utf8,
            ),
            (
                "cp1252.csv",
                encoding_rs::WINDOWS_1252.encode(text).0.into_owned(),
                TextEncoding::Windows1252,
            ),
            (
                "utf16.csv",
                [
                    vec![0xFF, 0xFE],
                    text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                ]
                .concat(),
                TextEncoding::Utf16Le,
            ),
        ];
        // Detected as `want` for `choice`, and read back as the text.
        let reads_as = |p: &Path, choice: EncodingChoice, want: TextEncoding, label: &str| {
            let enc = detect(p, choice).unwrap();
            assert_eq!(enc, want, "{label}");
            let mut out = String::new();
            open_utf8(p, enc).unwrap().read_to_string(&mut out).unwrap();
            assert_eq!(out, text, "{label}");
        };
        for (name, bytes, want) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            reads_as(&p, EncodingChoice::Auto, want, name);
        }
        // A character split across the 1 MiB blocks is still UTF-8; one stray byte is not.
        let mut big = vec![b'a'; (1 << 20) - 1];
        big.extend_from_slice("ä\n".as_bytes());
        let p = dir.path().join("split.csv");
        std::fs::write(&p, &big).unwrap();
        assert_eq!(
            detect(&p, EncodingChoice::Auto).unwrap(),
            TextEncoding::Utf8
        );
        big.push(0xE4);
        std::fs::write(&p, &big).unwrap();
        assert_eq!(
            detect(&p, EncodingChoice::Auto).unwrap(),
            TextEncoding::Windows1252
        );
        // A byte-order mark overrides the encoding given: the file is read by the mark.
        let text16: Vec<u8> = [
            vec![0xFE, 0xFF],
            text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ]
        .concat();
        let bom8 = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        for (bytes, want) in [
            (&bom8, TextEncoding::Utf8),
            (&text16, TextEncoding::Utf16Be),
        ] {
            std::fs::write(&p, bytes).unwrap();
            for choice in [
                EncodingChoice::Utf8,
                EncodingChoice::Windows1252,
                EncodingChoice::Latin1,
                EncodingChoice::Utf16,
            ] {
                reads_as(&p, choice, want, &format!("{choice:?}"));
            }
        }
        assert_eq!(
            EncodingChoice::parse("Windows-1252"),
            Some(EncodingChoice::Windows1252)
        );
        assert_eq!(
            EncodingChoice::parse("latin1"),
            Some(EncodingChoice::Latin1)
        );
        assert_eq!(EncodingChoice::parse("ebcdic"), None);
    }
}
