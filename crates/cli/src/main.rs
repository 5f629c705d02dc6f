//! `urval` — the command-line front of the workspace: clap flags are parsed here and turned
//! into validated specs for the library crates; one module per subcommand under `cmd/`.
//!
//! Exit codes: 0 ok, 1 a data finding (reserved for `verify`), 2 a usage or input error.
//! Results go to stdout; logs (`-v`) and errors to stderr. A closed stdout pipe exits 0.

mod cmd;
mod format;
mod util;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Size, draw and evaluate statistically justified samples of case and journal records.
///
/// urval answers "how many records does this purpose need?" with named statistics
/// (Cochran's sample size with the finite population correction, AICPA attribute
/// sampling, stratified allocation) and shows what a request costs in pages and working days.
#[derive(Debug, Parser)]
#[command(
    name = "urval",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Print personnummer as they are: by default anything on stdout, stderr or in the log
    /// that looks like a personnummer or samordningsnummer is masked as `<personal>`.
    #[arg(long, global = true)]
    show_personal_values: bool,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample size for a share to a margin of error (Cochran, with the finite population
    /// correction) or for attribute (audit) sampling against a tolerable deviation rate
    /// (binomial, hypergeometric or Poisson), with the burden in pages and working days.
    Size(cmd::size::SizeArgs),
    /// Evaluate a reviewed sample: Wilson, Clopper–Pearson or Jeffreys interval for the
    /// deviation rate, the one-sided upper bound (Clopper–Pearson or exact hypergeometric)
    /// and the conclusion against a tolerable rate.
    Evaluate(cmd::evaluate::EvaluateArgs),
    /// Allocate a stratified sample from a CSV of strata: proportional, Neyman (N_h·S_h),
    /// cost-optimal (N_h·S_h/√c_h), equal, or per-domain precision; min/max per stratum,
    /// n_h ≤ N_h, whole records by the priority method; for a margin, the smallest total
    /// whose integer allocation meets it (exit 1 when none within the bounds does).
    Allocate(cmd::allocate::AllocateArgs),
    /// Write a realistic synthetic extract (the real 290 municipality codes sized by
    /// population, four areas, dates and outcome flags) to Parquet or CSV.
    Generate(cmd::generate::GenerateArgs),
    /// Count the population of every stratum in an extract (one pass), size and allocate
    /// the request (Cochran, Neyman, domain …) and write plan.json.
    Plan(Box<cmd::plan::PlanArgs>),
    /// Draw the plan's sample with permanent random numbers: per stratum the n_h records
    /// with the smallest (u − start) mod 1, u = XXH3(seed, key) — simple random sampling
    /// without replacement, reproducible whatever the row order, files or threads.
    Draw(cmd::draw::DrawArgs),
    /// Commit to a request before its seed exists: the SHA-256 of the plan, the extract's
    /// fingerprint, the stage and the earlier stage's results, hashed into one commitment
    /// for the request letter; `draw --commitment … --randomness …` derives the seed from it.
    Commit(cmd::commit::CommitArgs),
    /// Recompute a draw and compare it with a manifest: identical (exit 0) or the
    /// differences (exit 1).
    Verify(cmd::verify::VerifyArgs),
    /// The records two requests share, per stratum and in total, against the minimum
    /// their sizes force (n_A + n_B − N_h) and the number chance gives (n_A·n_B/N_h).
    Overlap(cmd::overlap::OverlapArgs),
    /// Compute the indicators of a spec per group (and age band), over a full extract
    /// (census) or a drawn sample (stratified, design-weighted, with the finite population
    /// correction): n, successes, estimate, interval, standard error, design effect.
    Indicators(cmd::indicators::IndicatorsArgs),
    /// The proportionality report: records, pages and working days needed against
    /// requested, the margin each extra record buys, the draw and how to verify it, the
    /// achieved intervals; HTML (self-contained, inline SVG), Markdown or JSON; --lang sv|en.
    Report(cmd::report::ReportArgs),
    /// A review template for a drawn manifest: one row per record, one drop-down column
    /// (ja/nej/ej tillämpligt) per yes/no question of a spec, locked key columns and an
    /// instructions sheet (.xlsx or .csv); read back with `indicators --review`.
    ReviewTemplate(cmd::review_template::ReviewTemplateArgs),
    /// The self-review against the inspector's re-review of a subsample, per question and
    /// group: the 2×2 table, agreement, Cohen's kappa with its interval, the disagreement
    /// rate with its exact upper bound, and the share corrected by the re-review
    /// (Tenenbein 1970) next to the self-review's own.
    Agreement(cmd::agreement::AgreementArgs),
    /// The nightly batch: run the plan, draw, verify, indicators and report steps of a
    /// pipeline file into an outputs directory, atomically (a failed step leaves the
    /// previous outputs intact), under a lock, with run-manifest.json.
    Run(cmd::run::RunArgs),
    /// Check a personnummer/samordningsnummer column (format, date, Luhn check digit);
    /// invalid rows are reported by row number only, never the number.
    Validate(cmd::validate::ValidateArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish) on stdout.
    Completions(cmd::reference::CompletionsArgs),
    /// Write the generated reference (cli.md and the man pages) into a directory.
    #[command(hide = true)]
    Reference(cmd::reference::ReferenceArgs),
}

/// Standard error with personnummer masked ([`urval_ingest::personal::redact`]), for the
/// log: each formatted event is written in one call.
struct RedactingStderr {
    show: bool,
}

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let out = if self.show {
            text
        } else {
            urval_ingest::personal::redact(&text).into_owned().into()
        };
        std::io::stderr().write_all(out.as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Text for stdout and stderr: personnummer masked unless `--show-personal-values`.
fn shown(text: &str, show: bool) -> std::borrow::Cow<'_, str> {
    if show {
        std::borrow::Cow::Borrowed(text)
    } else {
        urval_ingest::personal::redact(text)
    }
}

fn init_logging(verbose: u8, show: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("URVAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || RedactingStderr { show })
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// Run one parsed command (also used by `urval run` for its steps).
pub fn dispatch(command: &Command) -> anyhow::Result<format::Output> {
    match command {
        Command::Size(args) => cmd::size::run(args),
        Command::Evaluate(args) => cmd::evaluate::run(args),
        Command::Allocate(args) => cmd::allocate::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Draw(args) => cmd::draw::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Overlap(args) => cmd::overlap::run(args),
        Command::Commit(args) => cmd::commit::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Indicators(args) => cmd::indicators::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::ReviewTemplate(args) => cmd::review_template::run(args),
        Command::Agreement(args) => cmd::agreement::run(args),
        Command::Completions(args) => cmd::reference::completions(args),
        Command::Reference(args) => cmd::reference::reference(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.show_personal_values);
    let show = cli.show_personal_values;
    let result = dispatch(&cli.command);
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // JSON is masked value by value already (a text pass would rewrite numbers).
            let text = match &output.unmasked_json {
                Some(raw) if show => std::borrow::Cow::Borrowed(raw.as_str()),
                Some(_) => std::borrow::Cow::Borrowed(output.text.as_str()),
                None => shown(&output.text, show),
            };
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                Ok(()) => ExitCode::from(output.code),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("urval: error: writing output: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Err(e) => {
            eprintln!("urval: error: {}", shown(&format!("{e:#}"), show));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::{dispatch, Cli};
    use clap::{CommandFactory, Parser};
    use rand::{Rng, SeedableRng};

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every number in a JSON tree, in document order.
    fn numbers(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(n) => out.push(n.to_string()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
            _ => {}
        }
    }

    /// Every string in a JSON tree, object keys included.
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push(k.clone());
                strings(x, out)
            }),
            _ => {}
        }
    }

    /// 10,000 random `allocate` and `size` runs with `--format json`, over strata files whose
    /// names hold personnummer in the forms people write them: the JSON printed always
    /// parses, holds no personnummer, and has exactly the numbers of the unmasked JSON.
    #[test]
    fn json_outputs_parse_hold_no_personnummer_and_keep_every_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_206);
        let names = [
            "0180 Stockholm",
            "19811218-9876",
            "grp 811218 9876",
            "K198112189876",
            "19811218\u{2013}9876-1",
            "8112189876",
            "1480",
        ];
        let files: Vec<String> = (0..20)
            .map(|f| {
                let path = dir.path().join(format!("s{f}.csv"));
                let mut t = String::from("stratum,population,proportion,cost\n");
                for (i, name) in names.iter().enumerate().take(2 + f % 6) {
                    let population = rng.gen_range(1..20_000u64);
                    let p = rng.gen_range(0.01..0.99f64);
                    let c = rng.gen_range(0.5..3.0f64);
                    t.push_str(&format!("\"{name} {i}\",{population},{p},{c}\n"));
                }
                std::fs::write(&path, t).unwrap();
                path.display().to_string()
            })
            .collect();
        let methods = ["proportional", "neyman", "optimal", "equal", "domain"];
        let mut checked = 0;
        for run in 0..10_000 {
            let args: Vec<String> = if run % 2 == 0 {
                let mut a = vec![
                    "urval".to_string(),
                    "allocate".into(),
                    "--strata".into(),
                    files[rng.gen_range(0..files.len())].clone(),
                    "--method".into(),
                    methods[rng.gen_range(0..methods.len())].into(),
                    "--format".into(),
                    "json".into(),
                ];
                if rng.gen_bool(0.5) {
                    a.extend(["--total".into(), rng.gen_range(1..3_000u64).to_string()]);
                } else {
                    a.extend([
                        "--margin".into(),
                        format!("{:.4}", rng.gen_range(0.01..0.2)),
                    ]);
                }
                if rng.gen_bool(0.5) {
                    a.extend(["--min".into(), rng.gen_range(0..30u64).to_string()]);
                }
                if rng.gen_bool(0.3) {
                    a.extend(["--max".into(), rng.gen_range(30..500u64).to_string()]);
                }
                a
            } else {
                let mut a = vec![
                    "urval".to_string(),
                    "size".into(),
                    "--format".into(),
                    "json".into(),
                ];
                if rng.gen_bool(0.5) {
                    a.extend([
                        "--margin".into(),
                        format!("{:.5}", rng.gen_range(0.005..0.3)),
                    ]);
                    a.extend([
                        "--proportion".into(),
                        format!("{:.4}", rng.gen_range(0.01..0.99)),
                    ]);
                } else {
                    a.extend([
                        "--tolerable-rate".into(),
                        format!("{:.4}", rng.gen_range(0.02..0.3)),
                    ]);
                }
                if rng.gen_bool(0.7) {
                    a.extend([
                        "--population".into(),
                        rng.gen_range(1..10_000_000_000u64).to_string(),
                    ]);
                }
                a
            };
            let cli = Cli::try_parse_from(&args).unwrap();
            // A design that cannot be met is an error, not output: nothing to parse.
            let Ok(out) = dispatch(&cli.command) else {
                continue;
            };
            let raw = out.unmasked_json.as_deref().expect("JSON output");
            let masked: serde_json::Value = serde_json::from_str(&out.text)
                .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", out.text));
            let plain: serde_json::Value = serde_json::from_str(raw).unwrap();
            // A number may happen to read as one (a population of 9412817794); a string
            // never holds one.
            let mut texts = Vec::new();
            strings(&masked, &mut texts);
            for t in &texts {
                assert!(
                    !urval_ingest::personal::contains_personnummer(t),
                    "{args:?}: {t}"
                );
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            numbers(&masked, &mut a);
            numbers(&plain, &mut b);
            assert_eq!(a, b, "{args:?}");
            checked += 1;
        }
        assert!(checked > 9_000, "only {checked} runs gave output");
    }
}
