//! Helpers shared by the ingest tests.
#![allow(dead_code, clippy::unwrap_used)]

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;

/// Write one batch to a Parquet file with the given writer properties.
pub fn write_parquet(path: &Path, batch: &RecordBatch, props: WriterProperties) {
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}
