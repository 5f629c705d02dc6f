//! `urval validate`: check a personal identity number column (format, date, Luhn check
//! digit) and report the invalid rows by file and row number only — never the number.

use super::common::ExtractArgs;
use crate::format::{Format, Output};
use anyhow::Result;
use clap::Args;
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
    let mut v: Validated = validate(&extract, &args.personnummer, show, &|_| {})?;
    if let Some(o) = &args.output {
        write_list(o, &extract, &v.first, args.lang.into())?;
    }
    v.first.truncate(args.show);
    let code = u8::from(!v.is_clean());
    if args.format == Format::Json {
        return Output::json(&v.json(&args.personnummer, &extract), code);
    }
    Ok(Output::with_code(
        v.text(&args.personnummer, &extract),
        code,
    ))
}
