//! `urval validate`: check a personal identity number column (format, date, Luhn check
//! digit) and report the invalid rows by file and row number only — never the number.

use super::common::ExtractArgs;
use crate::format::{thousands, to_json_text, Format, Output};
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use urval_ingest::personal::{check_personnummer, PnrProblem};
use urval_ingest::{scan, ScanSpec};

/// Arguments of `urval validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit 0 when every value is valid, 1 when some are not (a data finding), 2 on an
input error. The values are never printed: rows are reported by file and row number.

Example:
  urval validate --extract extract.csv --personnummer personnummer"
)]
pub struct ValidateArgs {
    #[command(flatten)]
    extract: ExtractArgs,
    /// The column with personnummer or samordningsnummer (10 or 12 digits, `-`/`+`).
    #[arg(long, value_name = "COL")]
    personnummer: String,
    /// How many invalid rows to list.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write every invalid row (file, row, problem; never the value) to a spreadsheet
    /// (`.xlsx`, with a summary sheet) or a `.csv`, for whoever corrects the register.
    #[arg(short, long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// The language of an `.xlsx` list.
    #[arg(long, value_enum, default_value_t = crate::format::LangArg::Sv)]
    lang: crate::format::LangArg,
}

#[derive(Default)]
struct Found {
    valid: u64,
    problems: BTreeMap<PnrProblem, u64>,
    first: Vec<(usize, u64, PnrProblem)>,
}

/// Write the invalid rows (file name, row, problem) as `.xlsx` or `.csv`, atomically.
fn write_list(
    path: &std::path::Path,
    extract: &urval_ingest::Extract,
    rows: &[(usize, u64, PnrProblem)],
    lang: crate::format::LangArg,
) -> Result<()> {
    use urval_report::xlsx::{Cell, Column, ColumnKind, Sheet};
    let sv = lang == crate::format::LangArg::Sv;
    let name = |i: usize| crate::util::extract_file_name(extract, i);
    let headers = if sv {
        ["fil", "rad", "fel"]
    } else {
        ["file", "row", "problem"]
    };
    let columns: Vec<Column> = headers
        .iter()
        .zip([ColumnKind::Text, ColumnKind::Number, ColumnKind::Text])
        .map(|(h, kind)| Column {
            header: (*h).to_string(),
            kind,
        })
        .collect();
    let data: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(f, r, p)| {
            vec![
                Cell::Text(name(*f)),
                Cell::Number(*r as f64),
                Cell::Text(p.describe().to_string()),
            ]
        })
        .collect();
    let mut out = crate::util::AtomicFile::create(path)?;
    if crate::util::extension(path) == "xlsx" {
        let sheet = Sheet {
            name: if sv { "Ogiltiga" } else { "Invalid" }.to_string(),
            columns,
            rows: data,
        };
        let about = vec![(
            if sv { "Obs" } else { "Note" }.to_string(),
            if sv {
                "Numren visas inte: raderna anges med fil och radnummer."
            } else {
                "The numbers are not shown: rows are given by file and row number."
            }
            .to_string(),
        )];
        let about_name = if sv { "Om listan" } else { "About" };
        let bytes = urval_report::xlsx::workbook(&sheet, Some((about_name, &about)))?;
        std::io::Write::write_all(out.writer(), &bytes)?;
    } else {
        let mut w = csv::Writer::from_writer(out.writer());
        w.write_record(headers)?;
        for (f, r, p) in rows {
            w.write_record([name(*f), r.to_string(), p.describe().to_string()])?;
        }
        w.flush()?;
    }
    Ok(out.commit()?)
}

/// Run `urval validate`.
pub fn run(args: &ValidateArgs) -> Result<Output> {
    let extract = args.extract.resolve()?;
    // The column is read as the "key": empty values are counted (quarantined), never printed.
    let mut spec = ScanSpec::new(&args.personnummer, &[]);
    spec.personal = vec![args.personnummer.clone()];
    if let Some(o) = &args.output {
        let ext = crate::util::extension(o);
        if ext != "xlsx" && ext != "csv" {
            anyhow::bail!(
                "{}: the list of invalid rows must end in .xlsx or .csv",
                o.display()
            );
        }
    }
    // With a list to write every invalid row is kept, else only the ones shown.
    let show = if args.output.is_some() {
        usize::MAX
    } else {
        args.show
    };
    let out = scan(
        &extract,
        &spec,
        Found::default,
        |f, batch| {
            for &r in batch.rows {
                let r = r as usize;
                match check_personnummer(batch.key_at(r)) {
                    Ok(()) => f.valid += 1,
                    Err(p) => {
                        *f.problems.entry(p).or_default() += 1;
                        if f.first.len() < show {
                            f.first.push((batch.file, batch.row_number(r), p));
                        }
                    }
                }
            }
            Ok(())
        },
        &|_| {},
    )?;
    let totals = out.totals();
    let mut valid = 0u64;
    let mut problems: BTreeMap<PnrProblem, u64> = BTreeMap::new();
    let mut first: Vec<(usize, u64, PnrProblem)> = Vec::new();
    for f in out.results {
        valid += f.valid;
        for (p, c) in f.problems {
            *problems.entry(p).or_default() += c;
        }
        first.extend(f.first);
    }
    // Empty values were quarantined by the scan; other quarantined rows (a CSV line with
    // the wrong field count, bytes that are not UTF-8) could not be checked at all.
    for q in &out.quarantine {
        if q.reason.starts_with("empty key") {
            *problems.entry(PnrProblem::Empty).or_default() += 1;
            first.push((q.file, q.row, PnrProblem::Empty));
        }
    }
    let empty_quarantined = out
        .quarantine
        .iter()
        .filter(|q| q.reason.starts_with("empty key"))
        .count() as u64;
    let unreadable = totals.rows_quarantined - empty_quarantined;
    first.sort();
    if let Some(o) = &args.output {
        write_list(o, &extract, &first, args.lang)?;
    }
    first.truncate(args.show);
    let invalid: u64 = problems.values().sum();
    let code = if invalid > 0 || unreadable > 0 { 1 } else { 0 };
    let file_name = |i: usize| {
        extract
            .files
            .get(i)
            .map(|f| f.path.display().to_string())
            .unwrap_or_default()
    };
    if args.format == Format::Json {
        let v = json!({
            "column": args.personnummer,
            "rows_read": totals.rows_read,
            "valid": valid,
            "invalid": invalid,
            "unreadable_rows": unreadable,
            "problems": problems.iter().map(|(p, c)| json!({"problem": p.describe(), "rows": c})).collect::<Vec<_>>(),
            "first_invalid": first.iter().map(|(f, r, p)| json!({"file": file_name(*f), "row": r, "problem": p.describe()})).collect::<Vec<_>>(),
        });
        return Ok(Output {
            text: to_json_text(&v)?,
            code,
        });
    }
    let mut t = String::new();
    writeln!(
        t,
        "{}: {} rows read, {} valid, {} invalid, {} unreadable",
        args.personnummer,
        thousands(totals.rows_read),
        thousands(valid),
        thousands(invalid),
        thousands(unreadable)
    )?;
    for (p, c) in &problems {
        writeln!(t, "  {:>8}  {}", thousands(*c), p.describe())?;
    }
    if !first.is_empty() {
        writeln!(t, "first invalid rows (the values are not shown):")?;
        for (f, r, p) in &first {
            writeln!(t, "  {}, row {r}: {}", file_name(*f), p.describe())?;
        }
    }
    Ok(Output { text: t, code })
}
