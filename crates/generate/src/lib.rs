//! A realistic synthetic extract of social-services cases — the real 290
//! municipality codes sized by their population, four areas, sexes, birth years, dates and
//! outcome flags whose shares differ by municipality and area — for demos, tests and
//! benchmarks. Deterministic for a seed (ChaCha8 per chunk, independent of thread count).
//!
//! It may use the artifacts (atomic files, the error type), the extract reader's values
//! and the spreadsheet writer; it must not plan, draw or review.

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Int32Builder, StringBuilder, StringDictionaryBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use urval_artifacts::error::{ArtifactError, OpsError, Result};
use urval_artifacts::files::AtomicFile;
use urval_ingest::civil_from_days;

/// The 290 municipalities (code, name, county, population): the register ingest checks
/// municipality codes against.
pub use urval_ingest::municipal::MUNICIPALITIES;

/// The areas of social services, with their share of cases.
pub const AREAS: [(&str, f64); 4] = [
    ("barn_unga", 0.30),
    ("funktionshinder", 0.20),
    ("missbruk", 0.15),
    ("aldre", 0.35),
];

/// Rows per generated chunk (and the default Parquet row group).
pub const CHUNK: usize = 1 << 20;

/// The extract date of generated data: 2025-08-29, sixty days after the last opened case.
const EXTRACT_DAY: i32 = 20_269 + 60;

/// One municipality of the generator.
#[derive(Debug, Clone)]
pub struct Municipality {
    /// Four-digit code.
    pub code: String,
    /// Population 2016.
    pub population: u64,
}

/// The embedded municipality list.
pub fn municipalities() -> Result<Vec<Municipality>> {
    let mut r = csv::Reader::from_reader(MUNICIPALITIES.as_bytes());
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let code = rec
            .get(0)
            .ok_or(GenerateError::NoMunicipalityCode)?
            .to_string();
        let population: u64 = rec
            .get(3)
            .and_then(|p| p.parse().ok())
            .ok_or(GenerateError::NoMunicipalityPopulation)?;
        out.push(Municipality { code, population });
    }
    Ok(out)
}

fn schema() -> Arc<Schema> {
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    Arc::new(Schema::new(vec![
        Field::new("case_id", DataType::Utf8, false),
        Field::new("municipality_code", dict.clone(), false),
        Field::new("area", dict.clone(), false),
        Field::new("sex", dict, false),
        Field::new("birth_year", DataType::Int32, false),
        Field::new("opened_date", DataType::Date32, false),
        Field::new("decided_date", DataType::Date32, true),
        Field::new("child_heard", DataType::Boolean, true),
        Field::new("decision_communicated", DataType::Boolean, true),
        Field::new("individual_plan", DataType::Boolean, true),
        Field::new("pages", DataType::Int32, false),
        Field::new("received_date", DataType::Date32, true),
        Field::new("granted", DataType::Boolean, true),
        Field::new("executed_date", DataType::Date32, true),
        Field::new("extract_date", DataType::Date32, false),
    ]))
}

/// A municipality × area effect in [−1, 1), fixed by the seed.
fn effect(seed: u64, m: usize, a: usize, what: u64) -> f64 {
    let h =
        xxhash_rust::xxh3::xxh3_64_with_seed(&[m as u8, (m >> 8) as u8, a as u8, what as u8], seed);
    (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

fn chunk(
    seed: u64,
    index: u64,
    rows: usize,
    first_row: u64,
    munis: &[Municipality],
    cum: &[f64],
) -> Result<RecordBatch> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    // The columns added for the indicators come from a second stream, so the first eleven
    // columns are the same as before they were added.
    let mut rng2 = ChaCha8Rng::seed_from_u64(seed ^ 0x1D1C_A70A);
    rng2.set_stream(index);
    let mut received = Date32Builder::with_capacity(rows);
    let mut granted = BooleanBuilder::with_capacity(rows);
    let mut executed = Date32Builder::with_capacity(rows);
    let mut extracted = Date32Builder::with_capacity(rows);
    let mut case_id = StringBuilder::with_capacity(rows, rows * 16);
    let mut muni = StringDictionaryBuilder::<Int32Type>::new();
    let mut area = StringDictionaryBuilder::<Int32Type>::new();
    let mut sex = StringDictionaryBuilder::<Int32Type>::new();
    let mut birth = Int32Builder::with_capacity(rows);
    let mut opened = Date32Builder::with_capacity(rows);
    let mut decided = Date32Builder::with_capacity(rows);
    let mut heard = BooleanBuilder::with_capacity(rows);
    let mut communicated = BooleanBuilder::with_capacity(rows);
    let mut plan = BooleanBuilder::with_capacity(rows);
    let mut pages = Int32Builder::with_capacity(rows);
    let total = *cum.last().ok_or(GenerateError::NoMunicipalities)?;
    // 2022-01-01 .. 2025-06-30 as days since 1970-01-01.
    let (d0, d1) = (18_993i32, 20_269i32);
    for r in 0..rows {
        let u: f64 = rng.gen::<f64>() * total;
        let m = cum.partition_point(|&c| c <= u).min(munis.len() - 1);
        let ua: f64 = rng.gen();
        let mut a = 0;
        let mut acc = 0.0;
        for (i, (_, share)) in AREAS.iter().enumerate() {
            acc += share;
            if ua < acc {
                a = i;
                break;
            }
            a = i;
        }
        let code = &munis[m].code;
        case_id.append_value(format!("{code}-{:010}", first_row + r as u64));
        muni.append_value(code);
        area.append_value(AREAS[a].0);
        let female_share = if a == 3 { 0.62 } else { 0.48 };
        sex.append_value(if rng.gen::<f64>() < female_share {
            "kvinna"
        } else {
            "man"
        });
        let (y0, y1) = match a {
            0 => (2007, 2024),
            1 => (1950, 2015),
            2 => (1955, 2006),
            _ => (1925, 1958),
        };
        birth.append_value(rng.gen_range(y0..=y1));
        let o = rng.gen_range(d0..=d1);
        opened.append_value(o);
        // Processing time: exponential with a mean of 60–150 days by municipality × area.
        let mean = 105.0 + 45.0 * effect(seed, m, a, 1);
        let days = (-mean * (1.0 - rng.gen::<f64>()).ln()).round() as i32;
        let still_open = o + days > d1 + 60 || rng.gen::<f64>() < 0.04;
        if still_open {
            decided.append_null();
        } else {
            decided.append_value(o + days.max(1));
        }
        let p = |base: f64, spread: f64, what: u64| {
            (base + spread * effect(seed, m, a, what)).clamp(0.01, 0.99)
        };
        if a == 0 {
            heard.append_value(rng.gen::<f64>() < p(0.75, 0.15, 2));
        } else {
            heard.append_null();
        }
        if still_open {
            communicated.append_null();
        } else {
            communicated.append_value(rng.gen::<f64>() < p(0.91, 0.07, 3));
        }
        if a == 2 {
            plan.append_value(rng.gen::<f64>() < p(0.65, 0.15, 4));
        } else {
            plan.append_null();
        }
        let mean_pages = [120.0, 200.0, 150.0, 300.0][a];
        let pg = (mean_pages * (0.25 + 1.5 * rng.gen::<f64>())).round() as i32;
        pages.append_value(pg.max(1));
        // Child cases: the report came in a few days to weeks before the investigation
        // opened (the initial assessment, mean 6–16 days by municipality).
        if a == 0 {
            let mean = 11.0 + 5.0 * effect(seed, m, a, 5);
            let lag = (-mean * (1.0 - rng2.gen::<f64>()).ln()).round() as i32;
            received.append_value(o - lag);
        } else {
            received.append_null();
        }
        // Disability and elderly care decisions are mostly grants, carried out after an
        // exponential wait (mean 20–80 days); some never are by the extract date.
        if (a == 1 || a == 3) && !still_open {
            let dec = o + days.max(1);
            let g = rng2.gen::<f64>() < 0.85;
            granted.append_value(g);
            let wait = 50.0 + 30.0 * effect(seed, m, a, 6);
            let w = (-wait * (1.0 - rng2.gen::<f64>()).ln()).round() as i32;
            if g && dec + w <= EXTRACT_DAY && rng2.gen::<f64>() > 0.03 {
                executed.append_value(dec + w);
            } else {
                executed.append_null();
            }
        } else {
            granted.append_null();
            executed.append_null();
        }
        extracted.append_value(EXTRACT_DAY);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(case_id.finish()),
        Arc::new(muni.finish()),
        Arc::new(area.finish()),
        Arc::new(sex.finish()),
        Arc::new(birth.finish()),
        Arc::new(opened.finish()),
        Arc::new(decided.finish()),
        Arc::new(heard.finish()),
        Arc::new(communicated.finish()),
        Arc::new(plan.finish()),
        Arc::new(pages.finish()),
        Arc::new(received.finish()),
        Arc::new(granted.finish()),
        Arc::new(executed.finish()),
        Arc::new(extracted.finish()),
    ];
    Ok(RecordBatch::try_new(schema(), cols)?)
}

fn date_text(days: i32) -> String {
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What generating a synthetic extract refuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// `--row-group-size 0`.
    #[error("--row-group-size must be at least 1")]
    NoRowGroupSize,
    /// More rows than a spreadsheet holds.
    #[error("a spreadsheet holds at most 1,048,575 rows: write .parquet or .csv")]
    TooManyRowsForSpreadsheet {
        /// The rows asked.
        rows: u64,
    },
    /// The embedded municipality list without a code (a fault of urval).
    #[error("municipality code")]
    NoMunicipalityCode,
    /// The embedded municipality list without a population (a fault of urval).
    #[error("municipality population")]
    NoMunicipalityPopulation,
    /// The embedded municipality list is empty (a fault of urval).
    #[error("no municipalities")]
    NoMunicipalities,
    /// A generated column that cannot be shown as text (a fault of urval).
    #[error("internal: a generated column cannot be shown as text")]
    ColumnNotShown,
    /// Generated columns that are not text (a fault of urval).
    #[error("internal: generated columns are not text")]
    ColumnsNotText,
}

impl From<GenerateError> for OpsError {
    fn from(e: GenerateError) -> Self {
        OpsError::Room(Box::new(e))
    }
}

fn write_csv(
    w: &mut csv::Writer<&mut std::io::BufWriter<urval_artifacts::files::OutFile>>,
    batch: &RecordBatch,
) -> Result<()> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Int32Type as I32};
    use arrow_array::Array;
    let text = |i: usize| urval_ingest::TextCol::from_array(batch.column(i));
    let (id, muni, area, sex) = (text(0), text(1), text(2), text(3));
    let (Some(id), Some(muni), Some(area), Some(sex)) = (id, muni, area, sex) else {
        return Err(GenerateError::ColumnsNotText.into());
    };
    let birth = batch.column(4).as_primitive::<I32>();
    let opened = batch.column(5).as_primitive::<Date32Type>();
    let decided = batch.column(6).as_primitive::<Date32Type>();
    let bools = [
        batch.column(7).as_boolean(),
        batch.column(8).as_boolean(),
        batch.column(9).as_boolean(),
    ];
    let pages = batch.column(10).as_primitive::<I32>();
    let received = batch.column(11).as_primitive::<Date32Type>();
    let granted = batch.column(12).as_boolean();
    let executed = batch.column(13).as_primitive::<Date32Type>();
    let extracted = batch.column(14).as_primitive::<Date32Type>();
    for r in 0..batch.num_rows() {
        let b = |a: &arrow_array::BooleanArray| -> &'static str {
            if a.is_null(r) {
                ""
            } else if a.value(r) {
                "true"
            } else {
                "false"
            }
        };
        let date = |a: &arrow_array::Date32Array| {
            if a.is_null(r) {
                String::new()
            } else {
                date_text(a.value(r))
            }
        };
        w.write_record([
            id.get(r).unwrap_or(""),
            muni.get(r).unwrap_or(""),
            area.get(r).unwrap_or(""),
            sex.get(r).unwrap_or(""),
            &birth.value(r).to_string(),
            &date_text(opened.value(r)),
            &date(decided),
            b(bools[0]),
            b(bools[1]),
            b(bools[2]),
            &pages.value(r).to_string(),
            &date(received),
            b(granted),
            &date(executed),
            &date(extracted),
        ])?;
    }
    Ok(())
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateJob {
    /// Rows.
    pub rows: u64,
    /// The seed.
    pub seed: u64,
    /// The file: `.parquet`, `.csv`, `.arrow`/`.ipc`/`.feather` or `.xlsx`.
    pub output: PathBuf,
    /// The CSV delimiter.
    pub delimiter: char,
    /// Parquet row group size in rows.
    pub row_group_size: usize,
}

/// Write a synthetic extract.
///
/// # Errors
/// A bad request (file type, row group size, too many rows for a spreadsheet) or a file
/// that cannot be written.
pub fn generate(args: &GenerateJob, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    let munis = municipalities()?;
    let mut cum = Vec::with_capacity(munis.len());
    let mut acc = 0.0;
    for m in &munis {
        acc += m.population as f64;
        cum.push(acc);
    }
    let ext = urval_artifacts::files::extension(&args.output);
    if !matches!(
        ext.as_str(),
        "parquet" | "csv" | "arrow" | "ipc" | "feather" | "xlsx"
    ) {
        return Err(ArtifactError::OutputType {
            path: args.output.clone(),
            what: "output",
            extensions: ".parquet, .csv, .arrow or .xlsx",
        }
        .into());
    }
    if args.row_group_size == 0 {
        return Err(GenerateError::NoRowGroupSize.into());
    }
    if ext == "xlsx" && args.rows > 1_048_575 {
        return Err(GenerateError::TooManyRowsForSpreadsheet { rows: args.rows }.into());
    }
    let mut out = AtomicFile::create(&args.output)?;
    // Chunks are made in parallel a window at a time and written in order.
    let for_each_batch = |write: &mut dyn FnMut(&RecordBatch) -> Result<()>| -> Result<()> {
        let chunk_rows = CHUNK as u64;
        let chunks = args.rows.div_ceil(chunk_rows);
        let window = (rayon::current_num_threads() * 2).max(2) as u64;
        for start in (0..chunks).step_by(window as usize) {
            let batches: Vec<RecordBatch> = (start..(start + window).min(chunks))
                .into_par_iter()
                .map(|c| {
                    let rows = (args.rows - c * chunk_rows).min(chunk_rows) as usize;
                    chunk(args.seed, c, rows, c * chunk_rows, &munis, &cum)
                })
                .collect::<Result<_>>()?;
            for b in &batches {
                write(b)?;
                progress(b.num_rows() as u64);
            }
        }
        Ok(())
    };
    match ext.as_str() {
        "parquet" => {
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(args.row_group_size))
                .build();
            let mut writer = ArrowWriter::try_new(out.writer(), schema(), Some(props))?;
            for_each_batch(&mut |b| Ok(writer.write(b)?))?;
            writer.close()?;
        }
        "csv" => {
            let delim = u8::try_from(args.delimiter).map_err(|_| ArtifactError::BadDelimiter {
                flag: "--delimiter".to_string(),
            })?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(delim)
                .from_writer(out.writer());
            w.write_record(schema().fields().iter().map(|f| f.name().as_str()))?;
            for_each_batch(&mut |b| write_csv(&mut w, b))?;
            w.flush()?;
        }
        "xlsx" => {
            // Every column as the CSV writes it; whole numbers as numbers, dates as dates.
            use urval_report::xlsx::{Cell, Column, ColumnKind, Sheet};
            let schema = schema();
            let kinds: Vec<ColumnKind> = schema
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    arrow_schema::DataType::Int32 => ColumnKind::Number,
                    arrow_schema::DataType::Date32 => ColumnKind::Date,
                    _ => ColumnKind::Text,
                })
                .collect();
            let mut rows: Vec<Vec<Cell>> = Vec::new();
            for_each_batch(&mut |b| {
                let cols: Vec<urval_ingest::TextCol> = b
                    .columns()
                    .iter()
                    .map(urval_ingest::TextCol::from_array)
                    .collect::<Option<_>>()
                    .ok_or(GenerateError::ColumnNotShown)?;
                for r in 0..b.num_rows() {
                    rows.push(
                        cols.iter()
                            .zip(&kinds)
                            .map(|(c, k)| match (c.get(r), k) {
                                (None, _) => Cell::Empty,
                                (Some(v), ColumnKind::Number) => {
                                    v.parse().map_or(Cell::Text(v.to_string()), Cell::Number)
                                }
                                (Some(v), _) => Cell::Text(v.to_string()),
                            })
                            .collect(),
                    );
                }
                Ok(())
            })?;
            let sheet = Sheet {
                name: "cases".to_string(),
                columns: schema
                    .fields()
                    .iter()
                    .zip(&kinds)
                    .map(|(f, k)| Column {
                        header: f.name().clone(),
                        kind: *k,
                    })
                    .collect(),
                rows,
            };
            let bytes = urval_report::xlsx::workbook(&sheet, None)?;
            std::io::Write::write_all(out.writer(), &bytes)?;
        }
        _ => {
            let mut writer = arrow_ipc::writer::FileWriter::try_new(out.writer(), &schema())?;
            for_each_batch(&mut |b| Ok(writer.write(b)?))?;
            writer.finish()?;
        }
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generate_errors_are_typed_with_their_fields() {
        let dir = std::env::temp_dir().join(format!("urval-generate-typed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let job = |rows, output: &str, row_group_size| GenerateJob {
            rows,
            seed: 1,
            output: dir.join(output),
            delimiter: ',',
            row_group_size,
        };
        let big = generate(&job(2_000_000, "x.xlsx", 10), &|_| {}).unwrap_err();
        let zero = generate(&job(10, "x.csv", 0), &|_| {}).unwrap_err();
        let kind = generate(&job(10, "x.txt", 10), &|_| {}).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(
                big.typed::<GenerateError>(),
                Some(GenerateError::TooManyRowsForSpreadsheet { rows: 2_000_000 })
            ),
            "{big:?}"
        );
        assert!(
            matches!(
                zero.typed::<GenerateError>(),
                Some(GenerateError::NoRowGroupSize)
            ),
            "{zero:?}"
        );
        assert!(
            matches!(
                kind.typed::<ArtifactError>(),
                Some(ArtifactError::OutputType { what: "output", .. })
            ),
            "{kind:?}"
        );
    }

    #[test]
    fn the_generator_knows_the_290_municipalities_with_their_2016_populations() {
        let m = municipalities().unwrap();
        assert_eq!(m.len(), 290);
        let codes: std::collections::BTreeSet<&str> = m.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes.len(), 290, "a code listed twice");
        assert!(m
            .iter()
            .all(|x| x.code.len() == 4 && x.code.chars().all(|c| c.is_ascii_digit())));
        let pop = |c: &str| m.iter().find(|x| x.code == c).map(|x| x.population);
        assert_eq!(pop("0180"), Some(935_619));
        assert_eq!(pop("2584"), Some(23_167));
    }

    #[test]
    fn dates_are_written_as_iso_days_from_1970() {
        assert_eq!(date_text(0), "1970-01-01");
        assert_eq!(date_text(-1), "1969-12-31");
        assert_eq!(date_text(11_016), "2000-02-29");
        // The extract date the module documents.
        assert_eq!(date_text(EXTRACT_DAY), "2025-08-29");
    }

    #[test]
    fn an_effect_is_fixed_by_its_seed_and_lies_in_minus_one_to_one() {
        let mut distinct = std::collections::BTreeSet::new();
        for m in 0..50 {
            for a in 0..4 {
                let e = effect(7, m, a, 1);
                assert!((-1.0..1.0).contains(&e), "{e}");
                assert_eq!(e, effect(7, m, a, 1));
                distinct.insert(e.to_bits());
            }
        }
        assert_eq!(distinct.len(), 200);
        assert_ne!(effect(7, 3, 1, 1), effect(8, 3, 1, 1));
        assert_ne!(effect(7, 3, 1, 1), effect(7, 3, 1, 2));
    }
}
