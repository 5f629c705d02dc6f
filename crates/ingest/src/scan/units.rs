//! The units an extract is read in ([`Unit`]: a Parquet row group, an IPC file, a CSV file
//! or one range of it, a spreadsheet), planned from the files ([`plan_units`]) and run one
//! at a time ([`run_unit`]) into a [`UnitOut`]. The driver runs them in parallel and merges
//! them; this module knows nothing of threads or order.

use super::batches::{Ctx, Kept, Reads};
use super::columns::{
    check_columns, field_names, file_columns, ipc_err, open, parquet_err, project, text_encoding,
};
use super::csv_ranges::{csv_cuts, csv_range_bytes, line_feeds_before, CsvChunk, Prefetched};
use super::quarantine::QuarantineRecord;
use super::spec::{Batch, FileCounts, ScanSpec};
use crate::encoding::TextEncoding;
use crate::error::{IngestError, Result};
use crate::source::{csv_header, Extract, Format};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use std::io::BufReader;
use std::sync::Arc;

pub(crate) enum Unit {
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
    /// Rows `rows` (counted over the batches in order) of a [`Format::Memory`] source.
    Memory {
        file: usize,
        rows: std::ops::Range<u64>,
    },
}

/// Rows of an in-memory source read as one unit: the units of a large data frame run on
/// every core, as a Parquet file's row groups do.
const MEMORY_UNIT_ROWS: u64 = 1 << 20;

impl Unit {
    /// A copy of a split CSV file's range (to parse the rest of the file again from its
    /// start, which the range before it proved good); `None` for any other unit.
    pub(crate) fn csv_range_copy(&self) -> Option<Unit> {
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

/// Read the needed text columns that are dictionary-encoded in every row group of the file
/// as dictionary arrays (`Dictionary(Int32, Utf8)`), as the file stores them, instead of
/// expanding every value into a string: the strata mapping and text predicates then work
/// once per dictionary entry and on integer keys per row ([`crate::strata::StrataMapper`],
/// [`crate::expr::BoundFilter::truth_rows`]). A file written with an Arrow schema that
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

pub(crate) fn plan_units(
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
            Format::Memory => {
                let names = file_columns(f, None)?;
                check_columns(&f.path, &names, needed)?;
                let total: u64 = f.batches.iter().map(|b| b.num_rows() as u64).sum();
                let mut start = 0;
                while start < total {
                    let end = (start + MEMORY_UNIT_ROWS).min(total);
                    units.push(Unit::Memory {
                        file: i,
                        rows: start..end,
                    });
                    start = end;
                }
            }
        }
    }
    Ok(units)
}

/// For every range of a split CSV file with a usable line-feed index ([`usable_indexes`](super::csv_ranges::usable_indexes)),
/// its line offset (line feeds before its start) and stop (the bytes its reader outputs:
/// its raw bytes), from the index. The other split files' ranges are counted by the
/// workers that read them ([`prefetch_range`](super::csv_ranges::prefetch_range)).
pub(crate) fn prepare_chunks(
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

pub(crate) struct UnitOut<T> {
    pub(crate) file: usize,
    /// A range of a split CSV file: its index and whether it ended exactly on its cut.
    pub(crate) chunk: Option<(usize, bool)>,
    pub(crate) state: T,
    pub(crate) counts: FileCounts,
    pub(crate) quarantine: Vec<QuarantineRecord>,
    pub(crate) kept: Kept,
    /// Per column read: its date evidence (see [`Reads`]).
    pub(crate) evidence: Vec<crate::dates::DateEvidence>,
}

pub(crate) fn run_unit<T, I, F>(
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
        | Unit::Excel { file }
        | Unit::Memory { file, .. } => *file,
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
        evidence: vec![crate::dates::DateEvidence::default(); needed.len()],
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
        Unit::Memory { rows, .. } => {
            let step = spec.batch_size.max(1) as u64;
            let mut first = 0u64;
            for batch in extract.files[file].batches.iter() {
                let n = batch.num_rows() as u64;
                let (from, to) = (rows.start.max(first), rows.end.min(first + n));
                let mut at = from;
                while at < to {
                    let len = step.min(to - at);
                    let part = batch.slice((at - first) as usize, len as usize);
                    let arrays = project(&part, needed, path)?;
                    ctx.process(&arrays, at, None)?;
                    at += len;
                }
                first += n;
                if first >= rows.end {
                    break;
                }
            }
        }
    }
    Ok(UnitOut {
        file,
        chunk: chunk_out,
        state: ctx.state,
        counts: ctx.counts,
        quarantine: ctx.quarantine,
        kept: ctx.kept,
        evidence: ctx.evidence,
    })
}
