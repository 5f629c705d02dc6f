//! `urval draw`: one streaming pass that selects, in every stratum of the plan, the n_h
//! records with the smallest (u − start) mod 1, u = prn(seed, key) — simple random sampling
//! without replacement, identical whatever the row order, file split, format or thread
//! count — and writes the manifest with a JSON sidecar.

use super::common::ExtractArgs;
use crate::format::{thousands, Output};
use crate::format::{CsvDialect, LangArg};
use crate::util::{file_hash, hex128, progress_bar, write_quarantine, AtomicFile};
use anyhow::{bail, Context, Result};
use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use clap::Args;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::strata::{StrataMapper, UNKNOWN};
use urval_ingest::{scan, Extract, Filter, IngestError, ScanOutput, ScanSpec, TextCol};
use urval_ops::artifacts::{describe, DrawSidecar, DrawnStratum, PlanFile, DRAW_SIDECAR_VERSION};
use urval_sample::{
    prn53, rank, rank_bound, start53, BottomK, Candidate, PRN_SPEC_VERSION, TWO_POW_53,
};

/// Arguments of `urval draw`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval draw --extract sample-data/cases.parquet --plan out/plan.json --seed 20261123 -o out/manifest.csv")]
pub struct DrawArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub quarantine: crate::cmd::common::QuarantineArgs,
    /// The plan from `urval plan`.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The seed of the permanent random numbers (publish it: it makes the draw verifiable).
    #[arg(long)]
    pub seed: u64,
    /// Start point s in [0, 1): records with the smallest (u − s) mod 1 are taken. A later
    /// request with another start overlaps this one only where n_h/N_h forces it.
    #[arg(long, default_value_t = 0.0, value_parser = parse_start)]
    pub start: f64,
    /// Draw only the strata with COL=VALUE (a municipality drawing its part of a national
    /// plan on its own extract).
    #[arg(long, value_name = "COL=VALUE")]
    pub only: Option<String>,
    /// Further columns to copy into the manifest.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    pub include: Vec<String>,
    /// The manifest: .csv or .parquet.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// A `.csv` manifest for people: `excel-sv` writes `;`, decimal commas, a BOM and quoted
    /// text (see also `-o FILE.xlsx`).
    #[arg(long, value_enum, default_value_t = CsvDialect::Standard)]
    pub csv_dialect: CsvDialect,
    /// The language of an `.xlsx` manifest's headers and its "about" sheet.
    #[arg(long, value_enum, default_value_t = LangArg::Sv)]
    pub lang: LangArg,
    /// Also write one manifest per value of this column into --out-dir.
    #[arg(long, value_name = "COL", requires = "out_dir")]
    pub split_by: Option<String>,
    /// Directory for --split-by manifests.
    #[arg(long, value_name = "DIR", requires = "split_by")]
    pub out_dir: Option<PathBuf>,
    /// Columns holding personal data: their values never appear in messages or quarantine files.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "COL")]
    pub personal: Vec<String>,
    /// Replace this column's values in the manifest (the key or an --include column) by a
    /// keyed pseudonym: HMAC-SHA-256 with the secret in --secret-file, as hex.
    #[arg(long, value_name = "COL", requires = "secret_file")]
    pub pseudonymize: Option<String>,
    /// The secret for --pseudonymize (a file of at least 16 bytes; keep it out of the extract).
    #[arg(long, value_name = "FILE", requires = "pseudonymize")]
    pub secret_file: Option<PathBuf>,
    /// Rank bounds in standard deviations above n_h (testing the exact fallback).
    #[arg(long, hide = true, default_value_t = BOUND_SDS, allow_negative_numbers = true)]
    pub bound_sds: f64,
}

fn parse_start(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("not a number: {s:?}"))?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("start must be in [0, 1), got {v}"))
    }
}

/// Parse `COL=VALUE`.
pub fn parse_only(s: &str, plan: &PlanFile) -> Result<(String, String)> {
    let Some((c, v)) = s.split_once('=') else {
        bail!("--only takes COL=VALUE, got {s:?}");
    };
    let (c, v) = (c.trim().to_string(), v.trim().to_string());
    if !plan.strata_columns.contains(&c) {
        bail!(
            "--only: {c:?} is not a strata column of the plan ({})",
            plan.strata_columns.join(", ")
        );
    }
    if !plan.strata.iter().any(|s| s.values.get(&c) == Some(&v)) {
        bail!("--only: no stratum of the plan has {c}={v}");
    }
    Ok((c, v))
}

/// A selected record: the key and the included values as text.
pub type Selected = Candidate<Vec<String>>;

/// The outcome of a draw pass.
pub struct DrawResult {
    /// Per plan stratum: the selected records sorted by key.
    pub selected: Vec<Vec<Selected>>,
    /// Which plan strata are drawn (all, or those matching --only).
    pub in_scope: Vec<bool>,
    /// The scan's counts and quarantine.
    pub scan: ScanOutput<()>,
    /// Rows outside --only.
    pub outside_only: u64,
}

struct DrawState {
    mapper: StrataMapper,
    bk: BottomK<Vec<String>>,
    counts: Vec<u64>,
    fingerprints: Vec<u128>,
    not_in_plan: u64,
    not_in_plan_example: Option<String>,
    outside_only: u64,
    ids: Vec<u32>,
}

/// How many standard deviations above n_h the per-stratum rank bounds sit (see
/// [`urval_sample::rank_bound`]); a stratum left short is drawn again without a bound.
pub const BOUND_SDS: f64 = 6.0;

/// Draw from an extract with a plan. Checks that the extract is the one planned for: the
/// same N_h and the same keys per stratum (order-independent fingerprints).
///
/// Ranks above a per-stratum bound set from the plan's N_h are rejected at once, so each
/// chunk keeps only a handful of candidates; in the rare case (about 10⁻⁹ per stratum) that
/// fewer than n_h records fall under the bound, the draw is repeated without bounds. The
/// result is the exact bottom-n_h either way.
pub fn draw(
    extract: &Extract,
    plan: &PlanFile,
    req: &DrawRequest,
    bound_sds: f64,
) -> Result<DrawResult> {
    let result = draw_bounded(extract, plan, req, Some(bound_sds))?;
    let short = plan
        .strata
        .iter()
        .zip(&result.selected)
        .zip(&result.in_scope)
        .any(|((s, sel), &scope)| scope && (sel.len() as u64) < s.n);
    if short {
        tracing::info!("a stratum fell short of its rank bound; drawing again without bounds");
        return draw_bounded(extract, plan, req, None);
    }
    Ok(result)
}

/// What to draw: the seed and start of the PRNs, the strata (`--only`), the columns to copy
/// and the personal columns.
pub struct DrawRequest<'a> {
    /// The PRN seed.
    pub seed: u64,
    /// The start in [0, 1).
    pub start: f64,
    /// Only the strata with COL=VALUE.
    pub only: Option<&'a (String, String)>,
    /// Columns copied into the manifest.
    pub include: &'a [String],
    /// Columns whose values never appear in messages or quarantine rows.
    pub personal: &'a [String],
}

/// [`draw`] with rank bounds `sds` standard deviations above n_h, or none.
pub fn draw_bounded(
    extract: &Extract,
    plan: &PlanFile,
    req: &DrawRequest,
    sds: Option<f64>,
) -> Result<DrawResult> {
    let DrawRequest {
        seed,
        start,
        only,
        include,
        personal,
    } = *req;
    let values = plan.strata_values();
    let quotas_all: Vec<u64> = plan.strata.iter().map(|s| s.n).collect();
    let in_scope: Vec<bool> = plan
        .strata
        .iter()
        .map(|s| only.is_none_or(|(c, v)| s.values.get(c) == Some(v)))
        .collect();
    let quotas: Vec<u64> = quotas_all
        .iter()
        .zip(&in_scope)
        .map(|(&q, &i)| if i { q } else { 0 })
        .collect();
    let template = StrataMapper::fixed(&plan.strata_columns, &values)?;
    let bounds: Vec<u64> = plan
        .strata
        .iter()
        .map(|s| sds.map_or(u64::MAX, |sds| rank_bound(s.n, s.population, sds)))
        .collect();
    let mut spec = ScanSpec::new(&plan.key, &plan.strata_columns);
    spec.extra = include.to_vec();
    spec.personal = personal.to_vec();
    // The same row checks as the plan's, so the same rows count.
    spec.nonnegative = plan.pages_column.iter().cloned().collect();
    if let Some(w) = &plan.where_ {
        spec.filter = Some(Filter::parse(w)?);
    }
    spec.checks = crate::util::parse_checks(&plan.checks)?;
    let s53 = start53(start);
    let h = plan.strata.len();
    let pb = progress_bar("drawing");
    let out = scan(
        extract,
        &spec,
        || DrawState {
            mapper: template.clone(),
            bk: BottomK::with_bounds(&quotas, &bounds),
            counts: vec![0; h],
            fingerprints: vec![0; h],
            not_in_plan: 0,
            not_in_plan_example: None,
            outside_only: 0,
            ids: Vec::new(),
        },
        |st, batch| {
            let mut ids = std::mem::take(&mut st.ids);
            st.mapper
                .map_batch(batch, &mut ids)
                .map_err(|e| IngestError::Row {
                    path: batch.path.to_path_buf(),
                    row: 0,
                    reason: e.to_string(),
                })?;
            let include_cols: Vec<Option<TextCol>> =
                batch.extra.iter().map(TextCol::from_array).collect();
            for (i, &r) in batch.rows.iter().enumerate() {
                let r = r as usize;
                let s = ids[i];
                if s == UNKNOWN {
                    st.not_in_plan += 1;
                    if st.not_in_plan_example.is_none() {
                        let vals: Vec<&str> = batch
                            .strata
                            .iter()
                            .map(|c| c.get(r).unwrap_or(""))
                            .collect();
                        st.not_in_plan_example = Some(format!(
                            "{}, row {}: {}",
                            batch.path.display(),
                            batch.row_number(r),
                            vals.join(", ")
                        ));
                    }
                    continue;
                }
                let s = s as usize;
                if !in_scope[s] {
                    st.outside_only += 1;
                    continue;
                }
                let key = batch.key_at(r);
                st.counts[s] += 1;
                st.fingerprints[s] =
                    st.fingerprints[s].wrapping_add(xxhash_rust::xxh3::xxh3_128(key.as_bytes()));
                let rk = rank(prn53(seed, key.as_bytes()), s53);
                if st.bk.may_enter(s, rk) {
                    let payload = include_cols
                        .iter()
                        .map(|c| c.as_ref().and_then(|c| c.get(r)).unwrap_or("").to_string())
                        .collect();
                    st.bk.offer(
                        s,
                        Candidate {
                            rank: rk,
                            key: key.as_bytes().into(),
                            payload,
                        },
                    );
                }
            }
            st.ids = ids;
            Ok(())
        },
        &|n| pb.inc(n),
    )?;
    pb.finish_and_clear();
    let ScanOutput {
        results,
        files,
        quarantine,
    } = out;
    let mut bk: BottomK<Vec<String>> = BottomK::new(&quotas);
    let mut counts = vec![0u64; h];
    let mut fps = vec![0u128; h];
    let mut not_in_plan = 0;
    let mut example = None;
    let mut outside_only = 0;
    for st in results {
        bk.merge(st.bk);
        for s in 0..h {
            counts[s] += st.counts[s];
            fps[s] = fps[s].wrapping_add(st.fingerprints[s]);
        }
        not_in_plan += st.not_in_plan;
        if example.is_none() {
            example = st.not_in_plan_example;
        }
        outside_only += st.outside_only;
    }
    if not_in_plan > 0 {
        bail!(
            "the extract changed since the plan: {} rows belong to strata the plan does not have (first: {})",
            thousands(not_in_plan),
            example.unwrap_or_default()
        );
    }
    for (s, ps) in plan.strata.iter().enumerate() {
        if !in_scope[s] {
            continue;
        }
        if counts[s] != ps.population {
            bail!(
                "the extract changed since the plan: stratum {} has N = {} now, the plan says {}",
                describe(&ps.values, &plan.strata_columns),
                counts[s],
                ps.population
            );
        }
        if hex128(fps[s]) != ps.fingerprint {
            bail!(
                "the extract changed since the plan: stratum {} has the same N = {} but other keys",
                describe(&ps.values, &plan.strata_columns),
                counts[s]
            );
        }
    }
    let mut selected = bk.into_sorted();
    for v in &mut selected {
        v.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(DrawResult {
        selected,
        in_scope,
        scan: ScanOutput {
            results: Vec::new(),
            files,
            quarantine,
        },
        outside_only,
    })
}

/// The manifest's rows as columns of text and numbers.
struct ManifestColumns {
    names: Vec<String>,
    text: Vec<Vec<String>>,
    prn: Vec<f64>,
    pi: Vec<f64>,
    weight: Vec<f64>,
    n_text_before_numbers: usize,
}

fn manifest_columns(
    plan: &PlanFile,
    result: &DrawResult,
    include: &[String],
    seed: u64,
    filter: Option<(usize, &str)>,
    pseudo: Option<(usize, &Pseudonymizer)>,
) -> ManifestColumns {
    let values = plan.strata_values();
    let width = 1 + plan.strata_columns.len() + include.len();
    // (stratum, row text, prn, π, weight), sorted by stratum then (pseudonymized) key.
    let mut rows_out: Vec<(usize, Vec<String>, f64, f64, f64)> = Vec::new();
    for (s, rows) in result.selected.iter().enumerate() {
        if !result.in_scope[s] {
            continue;
        }
        let ps = &plan.strata[s];
        for c in rows {
            let key = String::from_utf8_lossy(&c.key).into_owned();
            let u = prn53(seed, key.as_bytes()) as f64 / TWO_POW_53 as f64;
            let mut row: Vec<String> = Vec::with_capacity(width);
            row.push(key);
            row.extend(values[s].iter().cloned());
            row.extend(c.payload.iter().cloned());
            if let Some((col, p)) = pseudo {
                row[col] = p.pseudonym(&row[col]);
            }
            if let Some((col, v)) = filter {
                if row[col] != v {
                    continue;
                }
            }
            let pi = ps.n as f64 / ps.population as f64;
            rows_out.push((s, row, u, pi, ps.population as f64 / ps.n as f64));
        }
    }
    rows_out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1[0].cmp(&b.1[0])));
    let mut text: Vec<Vec<String>> = vec![Vec::with_capacity(rows_out.len()); width];
    let (mut prn, mut pi, mut weight) = (Vec::new(), Vec::new(), Vec::new());
    for (_, row, u, p, w) in rows_out {
        for (t, val) in text.iter_mut().zip(row) {
            t.push(val);
        }
        prn.push(u);
        pi.push(p);
        weight.push(w);
    }
    let mut names = vec![plan.key.clone()];
    names.extend(plan.strata_columns.iter().cloned());
    let n_text_before_numbers = names.len();
    names.extend(include.iter().cloned());
    ManifestColumns {
        names,
        text,
        prn,
        pi,
        weight,
        n_text_before_numbers,
    }
}

/// How a manifest for people is written: the CSV dialect, and for `.xlsx` the language of
/// the headers and the lines of the "about" sheet.
pub struct ManifestStyle {
    /// The CSV dialect.
    pub dialect: CsvDialect,
    /// The language of spreadsheet headers.
    pub lang: LangArg,
    /// The "about" sheet: (what, value).
    pub about: Vec<(String, String)>,
}

/// The header of the manifest's three number columns in a spreadsheet: `prn`,
/// `inclusion_probability`, `weight` in English; `slumptal`, `urvalssannolikhet`, `vikt` in
/// Swedish. A manifest is read back by either name.
pub fn number_headers(lang: LangArg) -> [&'static str; 3] {
    match lang {
        LangArg::Sv => ["slumptal", "urvalssannolikhet", "vikt"],
        LangArg::En => ["prn", "inclusion_probability", "weight"],
    }
}

/// Whether a manifest column is the PRN column (`prn`, or `slumptal` in a Swedish `.xlsx`).
pub fn is_prn_column(name: &str) -> bool {
    name == "prn" || name == number_headers(LangArg::Sv)[0]
}

/// The manifest for people (`.xlsx`, the `excel-sv` CSV): headers of the number columns in
/// the language ([`number_headers`]), key and strata as text, include columns as dates or
/// numbers when every value is one, else text.
fn people_manifest(
    m: &ManifestColumns,
    lang: LangArg,
) -> (
    Vec<urval_report::xlsx::Column>,
    Vec<Vec<urval_report::xlsx::Cell>>,
) {
    use urval_report::xlsx::{Cell, Column, ColumnKind};
    let k = m.n_text_before_numbers;
    let rows = m.prn.len();
    let numbers = number_headers(lang);
    let is_date = |c: &Vec<String>| {
        c.iter().any(|v| !v.is_empty())
            && c.iter()
                .all(|v| v.is_empty() || urval_ingest::parse_date(v).is_some())
    };
    let mut columns: Vec<Column> = Vec::new();
    for name in &m.names[..k] {
        columns.push(Column {
            header: name.clone(),
            kind: ColumnKind::Text,
        });
    }
    for h in numbers {
        columns.push(Column {
            header: h.to_string(),
            kind: ColumnKind::Number,
        });
    }
    // A number as written by a system, not a code: no leading zero, no sign but `-`.
    let plain_number = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        let int = digits.split('.').next().unwrap_or("");
        !int.is_empty()
            && (int == "0" || !int.starts_with('0'))
            && digits.parse::<f64>().is_ok_and(f64::is_finite)
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    let is_number = |c: &Vec<String>| {
        c.iter().any(|v| !v.is_empty()) && c.iter().all(|v| v.is_empty() || plain_number(v))
    };
    let mut include_kinds = Vec::new();
    for (i, name) in m.names[k..].iter().enumerate() {
        let kind = if is_date(&m.text[k + i]) {
            ColumnKind::Date
        } else if is_number(&m.text[k + i]) {
            ColumnKind::Number
        } else {
            ColumnKind::Text
        };
        include_kinds.push(kind);
        columns.push(Column {
            header: name.clone(),
            kind,
        });
    }
    let text = |v: &String| {
        if v.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(v.clone())
        }
    };
    let data: Vec<Vec<Cell>> = (0..rows)
        .map(|r| {
            let mut row: Vec<Cell> = m.text[..k].iter().map(|c| text(&c[r])).collect();
            row.extend([m.prn[r], m.pi[r], m.weight[r]].map(Cell::Number));
            row.extend(m.text[k..].iter().zip(&include_kinds).map(|(c, kind)| {
                match (kind, c[r].parse::<f64>()) {
                    (ColumnKind::Number, Ok(v)) => Cell::Number(v),
                    _ => text(&c[r]),
                }
            }));
            row
        })
        .collect();
    (columns, data)
}

fn write_manifest(path: &Path, m: &ManifestColumns, style: &ManifestStyle) -> Result<()> {
    let ext = crate::util::extension(path);
    let k = m.n_text_before_numbers;
    let mut header: Vec<String> = m.names[..k].to_vec();
    header.extend(["prn", "inclusion_probability", "weight"].map(String::from));
    header.extend(m.names[k..].iter().cloned());
    let rows = m.prn.len();
    let mut f = AtomicFile::create(path)?;
    match ext.as_str() {
        "csv" if style.dialect == CsvDialect::ExcelSv => {
            let (columns, data) = people_manifest(m, style.lang);
            crate::format::write_excel_sv(f.writer(), &columns, &data)?;
        }
        "csv" => {
            let mut w = csv::Writer::from_writer(f.writer());
            w.write_record(&header)?;
            for r in 0..rows {
                let mut rec: Vec<String> = m.text[..k].iter().map(|c| c[r].clone()).collect();
                rec.push(format!("{}", m.prn[r]));
                rec.push(format!("{}", m.pi[r]));
                rec.push(format!("{}", m.weight[r]));
                rec.extend(m.text[k..].iter().map(|c| c[r].clone()));
                w.write_record(&rec)?;
            }
            w.flush()?;
        }
        "xlsx" => {
            use std::io::Write as _;
            use urval_report::xlsx::Sheet;
            let (columns, data) = people_manifest(m, style.lang);
            let sheet = Sheet {
                name: match style.lang {
                    LangArg::Sv => "Urval",
                    LangArg::En => "Sample",
                }
                .to_string(),
                columns,
                rows: data,
            };
            let about_name = match style.lang {
                LangArg::Sv => "Om urvalet",
                LangArg::En => "About",
            };
            let bytes = urval_report::xlsx::workbook(&sheet, Some((about_name, &style.about)))?;
            f.writer().write_all(&bytes)?;
        }
        "parquet" => {
            let mut fields: Vec<Field> = Vec::new();
            let mut cols: Vec<ArrayRef> = Vec::new();
            let text_col = |c: &Vec<String>| -> ArrayRef {
                let mut b = StringBuilder::with_capacity(c.len(), c.iter().map(String::len).sum());
                for v in c {
                    b.append_value(v);
                }
                Arc::new(b.finish())
            };
            let num_col = |c: &Vec<f64>| -> ArrayRef {
                let mut b = Float64Builder::with_capacity(c.len());
                b.append_slice(c);
                Arc::new(b.finish())
            };
            for (i, name) in m.names[..k].iter().enumerate() {
                fields.push(Field::new(name, DataType::Utf8, false));
                cols.push(text_col(&m.text[i]));
            }
            for (name, c) in [
                ("prn", &m.prn),
                ("inclusion_probability", &m.pi),
                ("weight", &m.weight),
            ] {
                fields.push(Field::new(name, DataType::Float64, false));
                cols.push(num_col(c));
            }
            for (i, name) in m.names[k..].iter().enumerate() {
                fields.push(Field::new(name, DataType::Utf8, false));
                cols.push(text_col(&m.text[k + i]));
            }
            let schema = Arc::new(Schema::new(fields));
            let batch = RecordBatch::try_new(schema.clone(), cols)?;
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let mut w = ArrowWriter::try_new(f.writer(), schema, Some(props))?;
            w.write(&batch)?;
            w.close()?;
        }
        _ => bail!(
            "{}: the manifest must end in .csv, .parquet or .xlsx",
            path.display()
        ),
    }
    Ok(f.commit()?)
}

/// One row of a manifest as read back: its key, its stratum's values (in the given
/// columns' order) and its row number.
pub struct ManifestRow {
    /// The key (or its pseudonym).
    pub key: String,
    /// The stratum's values.
    pub values: Vec<String>,
    /// The 1-based row (CSV: the line).
    pub row: u64,
}

/// Read a manifest's key and strata columns with the same ingest as extracts (values as
/// text, so `0180` stays `0180`). A row with an empty key or stratum is an error.
pub fn manifest_rows(path: &Path, key: &str, strata: &[String]) -> Result<Vec<ManifestRow>> {
    let manifest = Extract::resolve(&[path.display().to_string()], Some(b','))?;
    let out = scan(
        &manifest,
        &ScanSpec::new(key, strata),
        Vec::<ManifestRow>::new,
        |v, batch| {
            for (i, &r) in batch.rows.iter().enumerate() {
                let r = r as usize;
                v.push(ManifestRow {
                    key: batch.key_at(r).to_string(),
                    values: batch
                        .strata
                        .iter()
                        .map(|c| c.get(r).unwrap_or("").to_string())
                        .collect(),
                    row: batch.row_number(i),
                });
            }
            Ok(())
        },
        &|_| {},
    )?;
    let bad = out.totals().rows_quarantined;
    if bad > 0 {
        bail!(
            "{}: {bad} rows of the manifest cannot be read (empty key or stratum)",
            path.display()
        );
    }
    Ok(out.results.into_iter().flatten().collect())
}

/// The sidecar next to a manifest: `manifest.csv` → `manifest.draw.json`.
pub fn sidecar_path(manifest: &Path) -> PathBuf {
    let stem = manifest
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("manifest");
    manifest.with_file_name(format!("{stem}.draw.json"))
}

fn safe_name(v: &str) -> String {
    let s: String = v
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// The column to pseudonymize (index in the manifest's text columns) with its
/// pseudonymizer, and the personal columns.
type Pseudonymization = (Option<(usize, Pseudonymizer)>, Vec<String>);

/// Read the secret and find the column to pseudonymize (its index in the manifest's text
/// columns); the personal columns are `--personal` plus that column.
fn pseudonymization(plan: &PlanFile, args: &DrawArgs) -> Result<Pseudonymization> {
    let mut personal = args.personal.clone();
    let (Some(col), Some(secret_file)) = (&args.pseudonymize, &args.secret_file) else {
        return Ok((None, personal));
    };
    let idx = if *col == plan.key {
        0
    } else if let Some(i) = args.include.iter().position(|c| c == col) {
        1 + plan.strata_columns.len() + i
    } else {
        bail!(
            "--pseudonymize {col:?}: name the key ({}) or an --include column",
            plan.key
        );
    };
    let p = crate::util::read_secret(secret_file)?;
    if !personal.contains(col) {
        personal.push(col.clone());
    }
    Ok((Some((idx, p)), personal))
}

/// The "about" sheet of a spreadsheet manifest: how the records were drawn and how to check
/// them, in the manifest's language (file names only, never the analyst's paths).
fn about_lines(args: &DrawArgs, plan: &PlanFile, plan_hash: &str) -> Vec<(String, String)> {
    let name = |p: &Path| crate::util::file_name(p);
    let verify = format!(
        "urval verify --extract <extract> --plan {} --manifest {}",
        name(&args.plan),
        name(&args.output)
    );
    let rows: [(&str, &str, String); 8] = [
        ("Vad", "What", match args.lang {
            LangArg::Sv => format!("{} akter dragna med urval {} (obundet slumpmässigt urval inom strata, permanenta slumptal)", plan.total_n, env!("CARGO_PKG_VERSION")),
            LangArg::En => format!("{} records drawn with urval {} (simple random sampling within strata, permanent random numbers)", plan.total_n, env!("CARGO_PKG_VERSION")),
        }),
        ("Fröet (seed)", "Seed", args.seed.to_string()),
        ("Start", "Start", args.start.to_string()),
        ("Plan", "Plan", name(&args.plan)),
        ("Planens kontrollsumma", "Plan checksum", plan_hash.to_string()),
        ("Underlagets fingeravtryck", "Extract fingerprint", plan.extract.fingerprint.clone()),
        ("Avgränsning (--only)", "Restriction (--only)", args.only.clone().unwrap_or_else(|| "–".into())),
        ("Så kontrolleras urvalet", "How to verify", verify),
    ];
    rows.into_iter()
        .map(|(sv, en, v)| {
            (
                match args.lang {
                    LangArg::Sv => sv,
                    LangArg::En => en,
                }
                .to_string(),
                v,
            )
        })
        .collect()
}

/// Run `urval draw`.
pub fn run(args: &DrawArgs) -> Result<Output> {
    let plan = PlanFile::read(&args.plan)?;
    let extract = args.extract.resolve()?;
    let only = args
        .only
        .as_deref()
        .map(|s| parse_only(s, &plan))
        .transpose()?;
    for c in &args.include {
        if *c == plan.key || plan.strata_columns.contains(c) {
            bail!("--include {c:?}: the key and strata columns are in the manifest already");
        }
    }
    let ext = crate::util::extension(&args.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "xlsx") {
        bail!(
            "{}: the manifest must end in .csv, .parquet or .xlsx",
            args.output.display()
        );
    }
    let (pseudo, personal) = pseudonymization(&plan, args)?;
    let pseudo_ref = pseudo.as_ref().map(|(i, p)| (*i, p));
    let req = DrawRequest {
        seed: args.seed,
        start: args.start,
        only: only.as_ref(),
        include: &args.include,
        personal: &personal,
    };
    crate::util::refuse_overwriting_inputs(
        &[
            args.output.clone(),
            sidecar_path(&args.output),
            crate::util::quarantine_path(&args.output),
        ],
        &extract,
        &[&args.plan],
    )?;
    let result = draw(&extract, &plan, &req, args.bound_sds)?;
    args.quarantine
        .check_scan(&args.output, &extract, &result.scan)?;
    let columns = manifest_columns(&plan, &result, &args.include, args.seed, None, pseudo_ref);
    let plan_hash = file_hash(&args.plan)?;
    let style = ManifestStyle {
        dialect: args.csv_dialect,
        lang: args.lang,
        about: about_lines(args, &plan, &plan_hash),
    };
    write_manifest(&args.output, &columns, &style)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let mut split_files = Vec::new();
    if let (Some(col), Some(dir)) = (&args.split_by, &args.out_dir) {
        let idx = columns
            .names
            .iter()
            .position(|n| n == col)
            .with_context(|| {
                format!(
                    "--split-by {col:?} is not a column of the manifest ({})",
                    columns.names.join(", ")
                )
            })?;
        if idx == 0 {
            bail!("--split-by the key would write one file per record");
        }
        if !dir.is_dir() {
            bail!("{}: the --out-dir directory does not exist", dir.display());
        }
        let distinct: std::collections::BTreeSet<&String> = columns.text[idx].iter().collect();
        for v in distinct {
            let part = manifest_columns(
                &plan,
                &result,
                &args.include,
                args.seed,
                Some((idx, v)),
                pseudo_ref,
            );
            let path = dir.join(format!("{}.{ext}", safe_name(v)));
            write_manifest(&path, &part, &style)?;
            split_files.push(path.display().to_string());
        }
    }
    let totals = result.scan.totals();
    let selected: u64 = columns.prn.len() as u64;
    let strata: Vec<DrawnStratum> = plan
        .strata
        .iter()
        .zip(&result.selected)
        .zip(&result.in_scope)
        .filter(|(_, &i)| i)
        .map(|((s, sel), _)| DrawnStratum {
            values: s.values.clone(),
            population: s.population,
            n: s.n,
            drawn: sel.len() as u64,
        })
        .collect();
    let sidecar = DrawSidecar {
        kind: "urval-draw".to_string(),
        version: DRAW_SIDECAR_VERSION,
        urval_version: env!("CARGO_PKG_VERSION").to_string(),
        prn_spec_version: PRN_SPEC_VERSION,
        prn: "u = (XXH3_64bits_withSeed(key UTF-8 bytes, seed) >> 11) / 2^53; per stratum the n_h smallest (u - start) mod 1, ties by key".to_string(),
        seed: args.seed,
        start: args.start,
        only: only.as_ref().map(|(c, v)| format!("{c}={v}")),
        include: args.include.clone(),
        pseudonymized: args.pseudonymize.clone(),
        plan: args.plan.display().to_string(),
        plan_hash,
        extract_fingerprint: plan.extract.fingerprint.clone(),
        manifest: args.output.display().to_string(),
        manifest_hash: file_hash(&args.output)?,
        rows_read: totals.rows_read,
        rows_used: totals.rows_used,
        rows_excluded: totals.rows_excluded,
        rows_quarantined: totals.rows_quarantined,
        rows_outside_only: result.outside_only,
        files: crate::util::files_json(&extract, &result.scan.files),
        selected,
        split_files,
        strata,
    };
    let side = sidecar_path(&args.output);
    crate::util::write_json(&side, &sidecar)?;
    let qpath = write_quarantine(&args.output, &extract, &result.scan.quarantine)?;
    let mut t = String::new();
    writeln!(
        t,
        "Manifest written to {} ({} records)",
        args.output.display(),
        thousands(selected)
    )?;
    writeln!(t, "  sidecar {}", side.display())?;
    writeln!(
        t,
        "{}",
        crate::format::reconciliation(
            totals.rows_read,
            totals.rows_used,
            totals.rows_excluded,
            totals.rows_quarantined
        )
    )?;
    if let Some(line) = crate::util::encoding_line(&extract) {
        writeln!(t, "{line}")?;
    }
    if result.outside_only > 0 {
        writeln!(
            t,
            "  {} used rows are outside --only and were not drawn from",
            thousands(result.outside_only)
        )?;
    }
    if let Some(q) = qpath {
        writeln!(t, "  quarantined rows: {}", q.display())?;
    }
    if !sidecar.split_files.is_empty() {
        writeln!(
            t,
            "  {} files in {}",
            sidecar.split_files.len(),
            args.out_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )?;
    }
    writeln!(
        t,
        "  seed {}, start {}; verify with: urval verify --extract … --plan {} --manifest {}",
        args.seed,
        args.start,
        args.plan.display(),
        args.output.display()
    )?;
    Ok(Output::ok(t))
}

/// The selection of a draw as (stratum values, key) pairs, for comparisons.
pub fn selection_set(plan: &PlanFile, result: &DrawResult) -> BTreeMap<(Vec<String>, String), ()> {
    let values = plan.strata_values();
    let mut out = BTreeMap::new();
    for (s, rows) in result.selected.iter().enumerate() {
        if !result.in_scope[s] {
            continue;
        }
        for c in rows {
            out.insert(
                (
                    values[s].clone(),
                    String::from_utf8_lossy(&c.key).into_owned(),
                ),
                (),
            );
        }
    }
    out
}
