//! `urval generate`: flags → [`urval_generate::GenerateJob`].

use crate::format::Output;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use urval_generate::{generate, GenerateJob, CHUNK};

/// Arguments of `urval generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Columns: case_id, municipality_code, area, sex, birth_year, opened_date, decided_date
(null while open), child_heard (barn_unga only), decision_communicated, individual_plan
(missbruk only), pages, received_date (barn_unga: the report came in), granted and
executed_date (funktionshinder and aldre decisions), extract_date (2025-08-29).

Example:
  urval generate --rows 20000 --seed 1 -o sample-data/cases.parquet"
)]
pub struct GenerateArgs {
    /// Number of rows.
    #[arg(long)]
    rows: u64,
    /// Seed (the same seed gives the same file).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file: .parquet, .csv or .arrow (Arrow IPC).
    #[arg(short, long)]
    output: PathBuf,
    /// CSV delimiter (default `;`, as Swedish Excel expects).
    #[arg(long, default_value = ";")]
    delimiter: char,
    /// Parquet row group size in rows.
    #[arg(long, default_value_t = CHUNK)]
    row_group_size: usize,
}

/// Run `urval generate`.
pub fn run(args: &GenerateArgs) -> Result<Output> {
    let pb = crate::util::progress_bar("generating");
    generate(
        &GenerateJob {
            rows: args.rows,
            seed: args.seed,
            output: args.output.clone(),
            delimiter: args.delimiter,
            row_group_size: args.row_group_size,
        },
        &|n| pb.inc(n),
    )?;
    pb.finish_and_clear();
    Ok(Output::ok(format!(
        "wrote {} rows to {} (seed {})\n",
        crate::format::thousands(args.rows),
        args.output.display(),
        args.seed
    )))
}
