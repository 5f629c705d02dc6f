//! `urval draw`: flags → [`urval_ops::draw::DrawJob`], the draw printed as text.

use super::common::ExtractArgs;
use crate::format::{thousands, CsvDialect, LangArg, Output};
use crate::util::progress_bar;
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use urval_ingest::Extract;
use urval_ops::artifacts::{DrawSidecar, PlanFile};
use urval_ops::commitment::SeedOrigin;
use urval_ops::draw::{DrawJob, Drawn, BOUND_SDS};
use urval_ops::package::draw_to_files_from;

/// Arguments of `urval draw`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  urval draw --extract sample-data/cases.parquet --plan out/plan.json --seed 20261123 -o out/manifest.csv
  urval draw --extract sample-data/cases.parquet --plan out/staged.json --seed 20261123 --stage 1 -o out/stage1.csv
  urval draw --extract sample-data/cases.parquet --plan out/staged.json --seed 20261123 --stage 2 \\
             --previous out/stage1.csv -o out/stage2.csv")]
pub struct DrawArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub quarantine: crate::cmd::common::QuarantineArgs,
    /// The plan from `urval plan`.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The seed of the permanent random numbers (publish it: it makes the draw verifiable).
    /// Chosen by the analyst: nothing shows it was not picked after trying others; see
    /// --commitment for a seed neither side can steer.
    #[arg(
        long,
        required_unless_present = "commitment",
        conflicts_with = "commitment"
    )]
    pub seed: Option<u64>,
    /// Derive the seed instead of choosing it: the commitment made before any randomness
    /// existed (`urval commit`), checked against the plan (and, for a later stage, the
    /// earlier stage's results).
    #[arg(long, value_name = "FILE", requires = "randomness")]
    pub commitment: Option<PathBuf>,
    /// The randomness produced after the commitment (dice rolled in the open; several
    /// contributions joined by ','): digits, ',' and spaces. The seed is the first 8 bytes
    /// of SHA-256("urval-seed-v1:" + commitment + ":" + randomness + ":" + stage).
    #[arg(long, value_name = "DIGITS", requires = "commitment")]
    pub randomness: Option<String>,
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
    /// Also write a request package per value of this column (e.g. per municipality) into
    /// --out-dir: a folder with its list (.xlsx carrying the sidecar and the plan, .csv with
    /// its sidecar), the plan and its letter (the report for that part alone, with the
    /// command that verifies the list on the receiver's own extract).
    #[arg(long, value_name = "COL", requires = "out_dir")]
    pub split_by: Option<String>,
    /// Directory for the --split-by packages (created if missing; must be empty).
    #[arg(long, value_name = "DIR", requires = "split_by")]
    pub out_dir: Option<PathBuf>,
    /// An indicators spec: every --split-by package also gets a review template whose
    /// questions are its share indicators (as `urval review-template`).
    #[arg(long, value_name = "FILE", requires = "split_by")]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub letter: super::common::LetterArgs,
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
    /// A stage of a staged plan (`urval plan --stages 2`): 1 draws the first stage's records;
    /// 2 writes only the records the second stage adds (same seed and start: the next
    /// records of the same draw), after checking --previous is exactly the first stage.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u32).range(1..=2))]
    pub stage: Option<u32>,
    /// The stage-1 manifest a second stage extends.
    #[arg(long, value_name = "FILE", requires = "stage")]
    pub previous: Option<PathBuf>,
    /// Draw the inspector's re-review (phase 2) from the phase-1 manifest (--manifest) with
    /// the phase-2 plan (`urval plan --phase2`); no --extract. Use a seed of your own,
    /// published once the self-review is back.
    #[arg(long, requires = "manifest", conflicts_with_all = ["stage", "only", "include", "split_by", "pseudonymize"])]
    pub phase2: bool,
    /// Phase 2: the phase-1 manifest.
    #[arg(long, value_name = "FILE", requires = "phase2")]
    pub manifest: Option<PathBuf>,
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

/// The draw's seed and its origin: derived from --commitment and --randomness (checked
/// against the plan, the stage and an earlier stage's manifest), or --seed as chosen.
fn seed_of(args: &DrawArgs) -> Result<(u64, SeedOrigin)> {
    let (Some(commitment), Some(randomness)) = (&args.commitment, &args.randomness) else {
        let seed = args
            .seed
            .ok_or_else(|| anyhow::anyhow!("give --seed, or --commitment and --randomness"))?;
        return Ok((seed, SeedOrigin::Chosen));
    };
    let stage = if args.phase2 {
        2
    } else {
        args.stage.unwrap_or(1)
    };
    let earlier = if args.phase2 {
        args.manifest.as_ref()
    } else {
        args.previous.as_ref()
    };
    let earlier_origin = earlier.map(|m| {
        DrawSidecar::read(&urval_ops::manifest::sidecar_path(m))
            .map(|s| s.seed_origin)
            .unwrap_or_default()
    });
    let previous = earlier.zip(earlier_origin.as_ref());
    let previous = previous.map(|(p, o)| (p.as_path(), o));
    let derived = urval_ops::commitment::derive_for_draw(
        commitment, randomness, &args.plan, stage, previous,
    )?;
    Ok((derived.seed, derived.origin))
}

/// The line naming how the seed came about, for a derived seed.
fn origin_line(seed: u64, origin: &SeedOrigin) -> Option<String> {
    match origin {
        SeedOrigin::Chosen => None,
        SeedOrigin::Derived {
            commitment,
            randomness,
            stage,
            ..
        } => Some(format!(
            "  seed {seed} derived from commitment {} (stage {stage}) and randomness {randomness}",
            &commitment[..16.min(commitment.len())]
        )),
    }
}

/// Run `urval draw`.
pub fn run(args: &DrawArgs) -> Result<Output> {
    let (seed, origin) = seed_of(args)?;
    if let (true, Some(manifest)) = (args.phase2, &args.manifest) {
        return phase2(args, manifest, seed, &origin);
    }
    let plan = PlanFile::read(&args.plan)?;
    let extract = args.extract.resolve()?;
    let job = job(args, seed);
    let pb = progress_bar("drawing");
    let drawn = draw_to_files_from(&extract, &plan, &job, &origin, &|n| pb.inc(n))?;
    pb.finish_and_clear();
    let mut t = String::new();
    write_accounts(&mut t, args, &drawn, &extract)?;
    write_packages(&mut t, args, &drawn)?;
    if let Some(line) = origin_line(seed, &origin) {
        writeln!(t, "{line}")?;
    }
    writeln!(
        t,
        "  seed {}, start {}; verify with: urval verify --extract … --plan {} --manifest {}",
        seed,
        args.start,
        urval_ops::text::shell_quote(&args.plan.display().to_string()),
        urval_ops::text::shell_quote(&args.output.display().to_string())
    )?;
    Ok(Output::ok(t))
}

/// `--phase2 --manifest M`: the records of a first review drawn for re-review.
fn phase2(
    args: &DrawArgs,
    manifest: &std::path::Path,
    seed: u64,
    origin: &SeedOrigin,
) -> Result<Output> {
    let side = urval_ops::phase2::draw_phase2(&urval_ops::phase2::Phase2Job {
        plan: args.plan.clone(),
        manifest: manifest.to_path_buf(),
        seed,
        start: args.start,
        output: args.output.clone(),
        csv_dialect: args.csv_dialect.into(),
        lang: args.lang.into(),
        seed_origin: origin.clone(),
    })?;
    let origin = origin_line(seed, origin)
        .map(|l| l + "\n")
        .unwrap_or_default();
    Ok(Output::ok(format!(
        "Phase-2 manifest written to {} ({} records for re-review, drawn from {})\n{origin}  seed {}, start {}; verify with: urval verify --plan {} --manifest {}\n",
        args.output.display(),
        thousands(side.selected),
        manifest.display(),
        seed,
        args.start,
        urval_ops::text::shell_quote(&args.plan.display().to_string()),
        urval_ops::text::shell_quote(&args.output.display().to_string())
    )))
}

/// The flags as the operations' job.
fn job(args: &DrawArgs, seed: u64) -> DrawJob {
    DrawJob {
        plan: args.plan.clone(),
        seed,
        start: args.start,
        only: args.only.clone(),
        include: args.include.clone(),
        output: args.output.clone(),
        csv_dialect: args.csv_dialect.into(),
        lang: args.lang.into(),
        split_by: args.split_by.clone(),
        out_dir: args.out_dir.clone(),
        personal: args.personal.clone(),
        pseudonymize: args.pseudonymize.clone(),
        secret_file: args.secret_file.clone(),
        bound_sds: args.bound_sds,
        max_quarantine: args.quarantine.max_quarantine,
        stage: args.stage,
        previous: args.previous.clone(),
        spec: args.spec.clone(),
        letter: urval_ops::draw::PackageLetter {
            purpose: args.letter.purpose.clone(),
            case_number: args.letter.case_number.clone(),
            sender: args.letter.sender.clone(),
            date: args.letter.date.clone(),
            deadline: args.letter.deadline.clone(),
        },
    }
}

/// Where the manifest went, its stage, and how the extract's rows were accounted for.
fn write_accounts(t: &mut String, args: &DrawArgs, drawn: &Drawn, extract: &Extract) -> Result<()> {
    let sidecar = &drawn.sidecar;
    let totals = &sidecar;
    writeln!(
        t,
        "Manifest written to {} ({} records)",
        args.output.display(),
        thousands(sidecar.selected)
    )?;
    writeln!(t, "  sidecar {}", drawn.sidecar_path.display())?;
    if let Some(st) = &sidecar.stage {
        match &st.previous {
            None => writeln!(
                t,
                "  stage 1 of 2: request these; stage 2 only if the evidence needs it (urval draw --stage 2 --previous {})",
                urval_ops::text::shell_quote(&args.output.display().to_string())
            )?,
            Some(prev) => writeln!(
                t,
                "  stage 2 of 2: the {} records added to {prev} (checked: it is this plan's first stage), {} in all",
                thousands(sidecar.selected),
                thousands(st.selected_through_stage)
            )?,
        }
    }
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
    if let Some(line) = crate::util::encoding_line(extract) {
        writeln!(t, "{line}")?;
    }
    if let Some(line) = crate::util::skipped_line(extract) {
        writeln!(t, "{line}")?;
    }
    if drawn.outside_only > 0 {
        writeln!(
            t,
            "  {} used rows are outside --only and were not drawn from",
            thousands(drawn.outside_only)
        )?;
    }
    if let Some(q) = &drawn.quarantine_file {
        writeln!(t, "  quarantined rows: {}", q.display())?;
    }
    Ok(())
}

/// With `--split-by`: the packages, one folder per value, and the values whose folder is
/// named otherwise.
fn write_packages(t: &mut String, args: &DrawArgs, drawn: &Drawn) -> Result<()> {
    if let Some(first) = drawn.packages.first() {
        let f = &first.files;
        let mut names = vec![
            f.xlsx.clone(),
            f.csv.clone(),
            urval_ops::manifest::sidecar_path(std::path::Path::new(&f.csv))
                .display()
                .to_string(),
            urval_ops::files::file_name(&args.plan),
            f.letter.clone(),
        ];
        if args.spec.is_some() {
            names.push(f.review.clone());
        }
        let last = names.pop().unwrap_or_default();
        writeln!(
            t,
            "  {} package{} in {}, one folder per value of {}: {} and {last}",
            thousands(drawn.packages.len() as u64),
            if drawn.packages.len() == 1 { "" } else { "s" },
            args.out_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            args.split_by.as_deref().unwrap_or_default(),
            names.join(", "),
        )?;
        for (value, folder) in &drawn.renamed_parts {
            let why = if folder.starts_with('_') {
                "its name is a device on Windows"
            } else {
                "another value differs from it only in case"
            };
            writeln!(t, "  {value:?} is in {folder}/ ({why})")?;
        }
    }
    Ok(())
}
