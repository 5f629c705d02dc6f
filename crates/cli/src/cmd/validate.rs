//! `urval validate`: check a personal identity number column (format, date, Luhn check
//! digit) and report the invalid rows by file and row number only — never the number.

use super::common::ExtractArgs;
use crate::format::{thousands, to_json_text, Format, Output};
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::fmt::Write as _;
use urval_ops::validate::{validate, write_list, Validated};

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

/// Run `urval validate`.
pub fn run(args: &ValidateArgs) -> Result<Output> {
    let extract = args.extract.resolve()?;
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
    let Validated {
        rows_read,
        valid,
        problems,
        mut first,
        unreadable,
    } = validate(&extract, &args.personnummer, show, &|_| {})?;
    if let Some(o) = &args.output {
        write_list(o, &extract, &first, args.lang.into())?;
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
            "rows_read": rows_read,
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
        thousands(rows_read),
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
