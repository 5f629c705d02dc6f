//! The manifest: one column layout (key, strata, `prn`, `inclusion_probability`,
//! `weight`, the `--include` columns), one writer for CSV, the Excel CSV, `.xlsx` and
//! Parquet, and one reader ([`manifest_rows`]) for all of them.

use crate::artifacts::{DrawSidecar, PlanFile};

pub use crate::artifacts::hides_prn;
use crate::error::{ArtifactError, Result};
use crate::files::AtomicFile;
use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::{scan, Extract, ScanOutput, ScanSpec};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;
use urval_sample::Candidate;
use urval_sample::{prn53, TWO_POW_53};

/// The manifest's rows as columns of text and numbers.
pub struct ManifestColumns {
    /// The column names, text columns first.
    pub names: Vec<String>,
    /// The text columns (key, strata, included columns), one vector per column.
    pub text: Vec<Vec<String>>,
    /// Each record's permanent random number.
    pub prn: Vec<f64>,
    /// The key is personal: the `prn` column is written empty (see [`hides_prn`]).
    pub prn_hidden: bool,
    /// Each record's inclusion probability.
    pub pi: Vec<f64>,
    /// Each record's design weight, 1/π.
    pub weight: Vec<f64>,
    /// How many text columns come before the numbers.
    pub n_text_before_numbers: usize,
}

/// Manifest columns being built (one stratum's, or all).
struct ManifestPart {
    text: Vec<Vec<String>>,
    prn: Vec<f64>,
    pi: Vec<f64>,
    weight: Vec<f64>,
}

impl ManifestPart {
    fn new(width: usize, rows: usize) -> Self {
        ManifestPart {
            text: (0..width).map(|_| Vec::with_capacity(rows)).collect(),
            prn: Vec::with_capacity(rows),
            pi: Vec::with_capacity(rows),
            weight: Vec::with_capacity(rows),
        }
    }
}

/// The manifest of a draw as columns: key, strata, the included columns (a personal key
/// pseudonymized or masked), prn, π and weight, in stratum and key order.
pub fn manifest_columns(
    plan: &PlanFile,
    result: &DrawResult,
    include: &[String],
    seed: u64,
    filter: Option<(usize, &str)>,
    pseudo: Option<(usize, &Pseudonymizer)>,
) -> ManifestColumns {
    let values = plan.strata_values();
    let width = 1 + plan.strata_columns.len() + include.len();
    // Per stratum on all cores: the rows sorted by (pseudonymized) key, as columns (each
    // row's cells moved out on the thread that made them); the strata in order then make
    // the manifest's order (stratum, key).
    let parts: Vec<ManifestPart> = result
        .selected
        .par_iter()
        .enumerate()
        .map(|(s, rows)| {
            let mut part = ManifestPart::new(width, rows.len());
            if !result.in_scope[s] {
                return part;
            }
            let ps = &plan.strata[s];
            let pi = ps.n as f64 / ps.population as f64;
            let w = ps.population as f64 / ps.n as f64;
            let mut out: Vec<(Vec<String>, f64)> = Vec::with_capacity(rows.len());
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
                out.push((row, u));
            }
            out.sort_by(|a, b| a.0[0].cmp(&b.0[0]));
            for (row, u) in out {
                for (t, val) in part.text.iter_mut().zip(row) {
                    t.push(val);
                }
                part.prn.push(u);
                part.pi.push(pi);
                part.weight.push(w);
            }
            part
        })
        .collect();
    let rows = parts.iter().map(|p| p.prn.len()).sum();
    let mut all = ManifestPart::new(width, rows);
    for p in parts {
        for (t, col) in all.text.iter_mut().zip(p.text) {
            t.extend(col);
        }
        all.prn.extend(p.prn);
        all.pi.extend(p.pi);
        all.weight.extend(p.weight);
    }
    let ManifestPart {
        text,
        prn,
        pi,
        weight,
    } = all;
    let mut names = vec![plan.key.clone()];
    names.extend(plan.strata_columns.iter().cloned());
    let n_text_before_numbers = names.len();
    names.extend(include.iter().cloned());
    ManifestColumns {
        names,
        text,
        prn,
        prn_hidden: false,
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
    pub lang: Lang,
    /// The "about" sheet: (what, value).
    pub about: Vec<(String, String)>,
    /// What an `.xlsx` manifest carries in its hidden sheet [`CARRIED_SHEET`] (name, text):
    /// the draw's sidecar and plan, or nothing.
    pub carried: Vec<(String, String)>,
}

/// The header of the manifest's three number columns in a spreadsheet: `prn`,
/// `inclusion_probability`, `weight` in English; `slumptal`, `urvalssannolikhet`, `vikt` in
/// Swedish. A manifest is read back by either name.
pub fn number_headers(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::Sv => ["slumptal", "urvalssannolikhet", "vikt"],
        Lang::En => ["prn", "inclusion_probability", "weight"],
    }
}

/// Whether a manifest column is the PRN column (`prn`, or `slumptal` in a Swedish `.xlsx`).
pub fn is_prn_column(name: &str) -> bool {
    name == "prn" || name == number_headers(Lang::Sv)[0]
}

/// The manifest for people (`.xlsx`, the `excel-sv` CSV): headers of the number columns in
/// the language ([`number_headers`]), key and strata as text, include columns as dates or
/// numbers when every value is one, else text.
fn people_manifest(
    m: &ManifestColumns,
    lang: Lang,
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
            row.push(if m.prn_hidden {
                Cell::Empty
            } else {
                Cell::Number(m.prn[r])
            });
            row.extend([m.pi[r], m.weight[r]].map(Cell::Number));
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

/// Rows a task of [`write_manifest`] formats.
const MANIFEST_BLOCK: usize = 4096;

/// The CSV records of a manifest's rows `range`, as one writer writes them: every text
/// cell neutralised against formula injection and quoted when it holds `,` or `;`
/// ([`urval_report::xlsx::csv_text`]; undone when the manifest is read back, see
/// `manifest_rows`), numbers in shortest round-trip form.
fn csv_rows(m: &ManifestColumns, range: std::ops::Range<usize>) -> Result<Vec<u8>> {
    let k = m.n_text_before_numbers;
    let mut w = crate::files::people_csv(Vec::with_capacity(range.len() * 96));
    let mut num = urval_report::number::Shortest::new();
    let text = urval_report::xlsx::csv_text;
    for r in range {
        for c in &m.text[..k] {
            w.write_field(text(&c[r]).as_bytes())?;
        }
        if m.prn_hidden {
            w.write_field(b"")?;
        } else {
            w.write_field(num.format(m.prn[r]))?;
        }
        w.write_field(num.format(m.pi[r]))?;
        w.write_field(num.format(m.weight[r]))?;
        for c in &m.text[k..] {
            w.write_field(text(&c[r]).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Write a manifest (CSV, Parquet or `.xlsx` by the path's extension) to a staged file
/// that is published with the rest of the draw.
///
/// # Errors
/// A file that cannot be written or a spreadsheet the writer refuses.
pub fn write_manifest(
    path: &Path,
    m: &ManifestColumns,
    style: &ManifestStyle,
) -> Result<crate::files::Staged> {
    let ext = crate::files::extension(path);
    let k = m.n_text_before_numbers;
    let mut header: Vec<String> = m.names[..k].to_vec();
    header.extend(["prn", "inclusion_probability", "weight"].map(String::from));
    header.extend(m.names[k..].iter().cloned());
    let rows = m.prn.len();
    let mut f = AtomicFile::create(path)?;
    match ext.as_str() {
        "csv" if style.dialect == CsvDialect::ExcelSv => {
            let (columns, data) = people_manifest(m, style.lang);
            urval_report::xlsx::write_excel_sv(f.writer(), &columns, &data)?;
        }
        "csv" => {
            use std::io::Write as _;
            // Column names come from the extract: neutralised like the cells.
            let mut w = crate::files::people_csv(Vec::new());
            w.write_record(
                header
                    .iter()
                    .map(|h| urval_report::xlsx::csv_text(h).into_owned()),
            )?;
            f.writer()
                .write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
            // Rows formatted in blocks on all cores, written in order: each record's bytes
            // depend on that record alone, so the file is that of one writer.
            let blocks: Vec<Vec<u8>> = (0..rows)
                .step_by(MANIFEST_BLOCK)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|from| csv_rows(m, from..(from + MANIFEST_BLOCK).min(rows)))
                .collect::<Result<_>>()?;
            for b in blocks {
                f.writer().write_all(&b)?;
            }
        }
        "xlsx" => {
            use std::io::Write as _;
            use urval_report::xlsx::Sheet;
            let (columns, data) = people_manifest(m, style.lang);
            let sheet = Sheet {
                name: match style.lang {
                    Lang::Sv => "Urval",
                    Lang::En => "Sample",
                }
                .to_string(),
                columns,
                rows: data,
            };
            let about_name = match style.lang {
                Lang::Sv => "Om urvalet",
                Lang::En => "About",
            };
            let carried =
                (!style.carried.is_empty()).then_some((CARRIED_SHEET, &style.carried[..]));
            let bytes = urval_report::xlsx::workbook_carrying(
                &sheet,
                Some((about_name, &style.about)),
                carried,
            )?;
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
            // A hidden prn is a column of nulls, so the layout stays the same.
            fields.push(Field::new("prn", DataType::Float64, m.prn_hidden));
            cols.push(if m.prn_hidden {
                Arc::new(arrow_array::Float64Array::new_null(m.prn.len()))
            } else {
                num_col(&m.prn)
            });
            for (name, c) in [("inclusion_probability", &m.pi), ("weight", &m.weight)] {
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
        _ => {
            return Err(ArtifactError::ManifestFileType {
                path: path.to_path_buf(),
            }
            .into())
        }
    }
    f.finish()
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

/// A manifest's key column and strata columns, from its header: the key first, then the
/// strata columns up to `prn` (or `slumptal` in a Swedish spreadsheet).
///
/// # Errors
/// The file cannot be read or is not a urval manifest.
pub fn manifest_layout(path: &Path) -> Result<(String, Vec<String>)> {
    let (_, cols, prn_at) = manifest_header(path)?;
    let csv = crate::files::extension(path) == "csv";
    let name = |c: &String| column_name(csv, c);
    Ok((name(&cols[0]), cols[1..prn_at].iter().map(name).collect()))
}

/// A column's name from the header of a manifest as written: a CSV's header cells were
/// neutralised against formula injection like its values (`=x` written as `'=x`).
pub fn column_name(csv: bool, written: &str) -> String {
    if csv {
        urval_report::xlsx::restore(written).to_string()
    } else {
        written.to_string()
    }
}

/// The header cell of a column named `name` in a manifest whose header is `written`: the
/// neutralised name in a CSV written so, else the name itself (a manifest written before
/// header cells were neutralised, Parquet, `.xlsx`).
fn written_name(csv: bool, written: &[String], name: &str) -> String {
    let n = urval_report::xlsx::neutralise(name);
    if csv && written.iter().any(|w| *w == n) {
        n.into_owned()
    } else {
        name.to_string()
    }
}

/// A manifest opened as an extract, its columns, and where its `prn` (or `slumptal`)
/// column stands (after at least the key column).
///
/// # Errors
/// The file cannot be read or is not a urval manifest.
pub fn manifest_header(path: &Path) -> Result<(Extract, Vec<String>, usize)> {
    let manifest = Extract::resolve(&[path.display().to_string()], Some(b','))?;
    let Some(first) = manifest.files.first() else {
        return Err(ArtifactError::NoManifest {
            path: path.to_path_buf(),
        }
        .into());
    };
    let cols = urval_ingest::file_columns(first, Some(b','))?;
    let Some(prn_at) = cols.iter().position(|c| is_prn_column(c)) else {
        return Err(ArtifactError::NoPrnColumn {
            path: path.to_path_buf(),
            columns: cols,
        }
        .into());
    };
    if prn_at == 0 {
        return Err(ArtifactError::NoKeyColumn {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok((manifest, cols, prn_at))
}

/// Read a manifest's key and strata columns with the same ingest as extracts (values as
/// text, so `0180` stays `0180`). A row with an empty key or stratum is an error.
pub fn manifest_rows(path: &Path, key: &str, strata: &[String]) -> Result<Vec<ManifestRow>> {
    let manifest = Extract::resolve(&[path.display().to_string()], Some(b','))?;
    // A CSV manifest's cells were neutralised against formula injection when written, its
    // header cells too.
    let csv = crate::files::extension(path) == "csv";
    let written = match manifest.files.first() {
        Some(f) if csv => urval_ingest::file_columns(f, Some(b','))?,
        _ => Vec::new(),
    };
    let key = written_name(csv, &written, key);
    let strata: Vec<String> = strata
        .iter()
        .map(|s| written_name(csv, &written, s))
        .collect();
    let text = |v: &str| -> String {
        if csv {
            urval_report::xlsx::restore(v).to_string()
        } else {
            v.to_string()
        }
    };
    let out = scan(
        &manifest,
        &ScanSpec::new(&key, &strata),
        Vec::<ManifestRow>::new,
        |v, batch| {
            for (i, &r) in batch.rows.iter().enumerate() {
                let r = r as usize;
                v.push(ManifestRow {
                    key: text(batch.key_at(r)),
                    values: batch
                        .strata
                        .iter()
                        .map(|c| text(c.get(r).unwrap_or("")))
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
        return Err(ArtifactError::UnreadableManifestRows {
            path: path.to_path_buf(),
            bad,
        }
        .into());
    }
    Ok(out.results.into_iter().flatten().collect())
}

/// The sidecar a draw writes next to a manifest, named after the manifest's whole file
/// name: `urval.csv` → `urval.csv.draw.json`, `urval.xlsx` → `urval.xlsx.draw.json`, so
/// two manifests of one draw in two formats never share one.
pub fn sidecar_path(manifest: &Path) -> PathBuf {
    let mut name = manifest
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_else(|| "manifest".into());
    name.push(".draw.json");
    manifest.with_file_name(name)
}

/// The sidecar's name before it was named after the whole file name: `urval.csv` →
/// `urval.draw.json` (still read, see [`find_sidecar`]).
pub fn old_sidecar_path(manifest: &Path) -> PathBuf {
    crate::files::beside(manifest, "draw.json", "manifest")
}

/// The hidden sheet of an `.xlsx` manifest that carries its draw's sidecar and plan
/// (rows [`CARRIED_SIDECAR`] and [`CARRIED_PLAN`]), so the list alone is enough to verify
/// it.
pub const CARRIED_SHEET: &str = "urval-data";
/// The row of [`CARRIED_SHEET`] holding the sidecar's JSON.
pub const CARRIED_SIDECAR: &str = "draw.json";
/// The row of [`CARRIED_SHEET`] holding the plan file's text, byte for byte.
pub const CARRIED_PLAN: &str = "plan.json";

/// A manifest's draw metadata as found by [`find_sidecar`].
#[derive(Debug, Clone)]
pub struct FoundSidecar {
    /// The sidecar.
    pub sidecar: DrawSidecar,
    /// Where it was read: the sidecar file, or the manifest that carries it.
    pub origin: PathBuf,
    /// Read from inside the manifest ([`CARRIED_SHEET`]): its `manifest_hash` is empty,
    /// since a file cannot hold its own checksum.
    pub carried: bool,
    /// The plan's text, when the manifest carries it.
    pub plan_text: Option<String>,
}

impl FoundSidecar {
    /// Check that `manifest` is the file a sidecar beside it was written with; a sidecar
    /// the manifest carries inside itself is its own (the records are compared one by one
    /// by `verify` all the same).
    ///
    /// # Errors
    /// As [`DrawSidecar::check_manifest`].
    pub fn check_manifest(&self, manifest: &Path) -> Result<()> {
        if self.carried {
            Ok(())
        } else {
            self.sidecar.check_manifest(&self.origin, manifest)
        }
    }
}

/// The texts an `.xlsx` manifest carries in [`CARRIED_SHEET`] (name → text), or none
/// when it has no such sheet.
///
/// # Errors
/// The workbook cannot be read.
fn carried_texts(manifest: &Path) -> Result<Option<BTreeMap<String, String>>> {
    if !urval_ingest::excel::sheet_names(manifest)?
        .iter()
        .any(|n| n == CARRIED_SHEET)
    {
        return Ok(None);
    }
    let (_, cells) = urval_ingest::excel::open_sheet(manifest, Some(CARRIED_SHEET))?;
    let mut out = BTreeMap::new();
    for (_, row) in cells.rows() {
        let mut name = None;
        let mut text = String::new();
        for c in row {
            let v = urval_ingest::excel::cell_text(&c.value)
                .ok()
                .flatten()
                .unwrap_or_default();
            if c.col == 0 {
                name = Some(v);
            } else {
                text.push_str(&v);
            }
        }
        if let Some(n) = name {
            out.insert(n, text);
        }
    }
    Ok(Some(out))
}

/// A manifest's sidecar. Precedence: the file named after the manifest's whole name
/// (`urval.xlsx.draw.json`), then the copy an `.xlsx` manifest carries in its hidden sheet
/// [`CARRIED_SHEET`], then the file named after its stem (`urval.draw.json`, as earlier
/// versions wrote it). None when there is none of them.
///
/// # Errors
/// A sidecar that is there but cannot be read or is not a valid one.
pub fn find_sidecar(manifest: &Path) -> Result<Option<FoundSidecar>> {
    let beside = sidecar_path(manifest);
    let carried = if crate::files::extension(manifest) == "xlsx" && manifest.is_file() {
        carried_texts(manifest)?
    } else {
        None
    };
    let plan_text = carried.as_ref().and_then(|c| c.get(CARRIED_PLAN).cloned());
    if beside.is_file() {
        return Ok(Some(FoundSidecar {
            sidecar: DrawSidecar::read(&beside)?,
            origin: beside,
            carried: false,
            plan_text,
        }));
    }
    if let Some(text) = carried.as_ref().and_then(|c| c.get(CARRIED_SIDECAR)) {
        let origin = format!("{} (sheet {CARRIED_SHEET})", manifest.display());
        return Ok(Some(FoundSidecar {
            sidecar: DrawSidecar::parse(text, &origin)?,
            origin: manifest.to_path_buf(),
            carried: true,
            plan_text,
        }));
    }
    let old = old_sidecar_path(manifest);
    if old.is_file() {
        return Ok(Some(FoundSidecar {
            sidecar: DrawSidecar::read(&old)?,
            origin: old,
            carried: false,
            plan_text,
        }));
    }
    Ok(None)
}

/// A manifest's sidecar, required: [`find_sidecar`], or an error naming where it was
/// looked for.
///
/// # Errors
/// None found, or one that cannot be read.
pub fn require_sidecar(manifest: &Path) -> Result<FoundSidecar> {
    match find_sidecar(manifest)? {
        Some(f) => Ok(f),
        None => Err(ArtifactError::NoSidecar {
            manifest: manifest.to_path_buf(),
            sidecar: sidecar_path(manifest),
            old_sidecar: old_sidecar_path(manifest),
        }
        .into()),
    }
}

/// The plan of a manifest's draw found with it: the file the sidecar names beside the
/// manifest, else the copy an `.xlsx` manifest carries; either must have the checksum the
/// sidecar records. Returns the plan and where it was read.
///
/// # Errors
/// Neither is there, or the one found is not the plan of the draw.
pub fn plan_beside(manifest: &Path, found: &FoundSidecar) -> Result<(PlanFile, String)> {
    let side = &found.sidecar;
    let dir = manifest.parent().unwrap_or(Path::new(""));
    let file = dir.join(&side.plan);
    if !side.plan.is_empty() && file.is_file() {
        let hash = crate::files::file_hash(&file)?;
        if hash != side.plan_hash {
            return Err(ArtifactError::NotTheDrawnPlan {
                plan: file,
                manifest: manifest.to_path_buf(),
            }
            .into());
        }
        return Ok((PlanFile::read(&file)?, file.display().to_string()));
    }
    if let Some(text) = &found.plan_text {
        let origin = format!("{} (sheet {CARRIED_SHEET})", manifest.display());
        if crate::files::hex128(xxhash_rust::xxh3::xxh3_128(text.as_bytes())) != side.plan_hash {
            return Err(ArtifactError::CarriedPlanAltered { origin }.into());
        }
        return Ok((PlanFile::parse(text, &origin)?, origin));
    }
    Err(ArtifactError::NoPlan {
        plan: side.plan.clone(),
        manifest: manifest.to_path_buf(),
    }
    .into())
}

/// A file name stem for a `--split-by` value that every common file system takes as it is
/// and keeps apart from every other value's: letters, digits and `-` stay (`0180`,
/// `Äldreomsorg`), a `.` stays inside the name; every other character — `< > : " / \\ | ? *`,
/// control characters, spaces, `_`, `%`, a leading or trailing `.` — is written as `%XX`
/// per UTF-8 byte, so the mapping is one-to-one. A Windows device name (`CON`, `PRN`, `AUX`,
/// `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case, with or without an extension) gets a
/// leading `_`, which no value's own characters produce. Names that differ only in case
/// are told apart by [`part_names`].
pub fn safe_name(v: &str) -> String {
    if v.is_empty() {
        // '_' is always encoded below, so no value maps to this.
        return "_empty_".to_string();
    }
    let n = v.chars().count();
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        if c.is_alphanumeric() || c == '-' || (c == '.' && i > 0 && i + 1 < n) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    if is_device_name(&out) {
        out.insert(0, '_');
    }
    out
}

/// A name Windows takes for a device whatever its extension: `CON`, `prn.csv`, `Com1.x`.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        s => matches!(
            s.strip_prefix("COM").or_else(|| s.strip_prefix("LPT")),
            Some("1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³")
        ),
    }
}

/// The file name stems of `--split-by` parts, one per value in the order given (which must
/// be deterministic): [`safe_name`], and for a value whose name differs from an earlier
/// one's only in case (`Motala`, `MOTALA`: one file on Windows and macOS) the name with
/// `_2`, `_3`, … appended (a `_` no value's own characters produce, so no suffixed name
/// meets another).
pub fn part_names<S: AsRef<str>>(values: &[S]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    values
        .iter()
        .map(|v| {
            let name = safe_name(v.as_ref());
            let k = seen.entry(name.to_lowercase()).or_insert(0);
            *k += 1;
            if *k == 1 {
                name
            } else {
                format!("{name}_{k}")
            }
        })
        .collect()
}

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

/// A selected record: the key and the included values as text.
pub type Selected = Candidate<Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_safe_on_every_file_system() {
        assert_eq!(safe_name("0180"), "0180");
        assert_eq!(safe_name("Äldreomsorg"), "Äldreomsorg");
        assert_eq!(safe_name("a.b"), "a.b");
        assert_eq!(
            safe_name("a<b>:c\"d/e\\f|g?h*i\u{1}"),
            "a%3Cb%3E%3Ac%22d%2Fe%5Cf%7Cg%3Fh%2Ai%01"
        );
        assert_eq!(safe_name("slut."), "slut%2E");
        assert_eq!(safe_name("slut "), "slut%20");
        assert_eq!(safe_name(".dold"), "%2Edold");
        for v in [
            "CON", "con", "Prn", "aux", "NUL", "COM1", "com9", "LPT1", "lpt9", "nul.txt", "Com1.x",
        ] {
            assert!(safe_name(v).starts_with('_'), "{v}");
        }
        for v in ["CONSOLE", "COM10", "COM0", "LPT", "ÄÄ", "nulla"] {
            assert!(!safe_name(v).starts_with('_'), "{v}");
        }
    }

    #[test]
    fn values_that_differ_only_in_case_get_files_of_their_own() {
        let names = part_names(&["ABC", "Abc", "abc", "CON", "con", "x"]);
        assert_eq!(names, ["ABC", "Abc_2", "abc_3", "_CON", "_con_2", "x"]);
        let folded: std::collections::HashSet<String> =
            names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(folded.len(), names.len());
    }
}
