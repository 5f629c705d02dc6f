//! The draw's lists: the manifest, its sidecar and, with `--split-by`, each package's lists
//! and plan copy ([`draw_lists`]) — the records drawn as the job says (the whole plan or a
//! stage of it), written under temporary names and published together.

use crate::artifacts::{DrawSidecar, DrawnStratum, PlanFile, StageDraw, DRAW_SIDECAR_VERSION};
use crate::draw::{
    check_previous, draw, fresh_second_stage, listed_records, parse_only, sidecar_for_part,
    split_stages, DrawJob, DrawRequest, DrawResult, Drawn, Package, PackageFiles,
};
use crate::draw_error::DrawError;
use crate::error::ArtifactError;
use crate::error::{Context, Result};
use crate::files::file_hash;
use crate::manifest::{
    manifest_columns, part_names, safe_name, sidecar_path, write_manifest, ManifestColumns,
    ManifestStyle,
};
use std::borrow::Cow;
use std::path::Path;
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::Extract;
use urval_report::Lang;
use urval_sample::PRN_SPEC_VERSION;

/// The column to pseudonymize (index in the manifest's text columns) with its
/// pseudonymizer, and the personal columns.
type Pseudonymization = (Option<(usize, Pseudonymizer)>, Vec<String>);

/// Read the secret and find the column to pseudonymize (its index in the manifest's text
/// columns); the personal columns are `--personal` plus that column.
fn pseudonymization(plan: &PlanFile, args: &DrawJob) -> Result<Pseudonymization> {
    let mut personal = args.personal.clone();
    let (Some(col), Some(secret_file)) = (&args.pseudonymize, &args.secret_file) else {
        return Ok((None, personal));
    };
    let idx = if *col == plan.key {
        0
    } else if let Some(i) = args.include.iter().position(|c| c == col) {
        1 + plan.strata_columns.len() + i
    } else {
        return Err(DrawError::PseudonymizeColumn {
            column: col.clone(),
            key: plan.key.clone(),
        }
        .into());
    };
    let p = crate::files::read_secret(secret_file)?;
    if !personal.contains(col) {
        personal.push(col.clone());
    }
    Ok((Some((idx, p)), personal))
}

/// The "about" sheet of a spreadsheet manifest: how the records were drawn and how to check
/// them, in the manifest's language (file names only, never the analyst's paths). `part`:
/// a package's list, with its part (`COL=VALUE`) and the command that verifies it.
fn about_lines(
    args: &DrawJob,
    plan: &PlanFile,
    plan_hash: &str,
    records: u64,
    origin: &crate::commitment::SeedOrigin,
    part: Option<(&str, String)>,
) -> Vec<(String, String)> {
    let name = |p: &Path| crate::files::file_name(p);
    use crate::commitment::SeedOrigin;
    let seed_origin = match (origin, args.lang) {
        (SeedOrigin::Chosen, Lang::Sv) => {
            "valt av analytikern, inte härlett ur ett åtagande".to_string()
        }
        (SeedOrigin::Chosen, Lang::En) => {
            "chosen by the analyst, not derived from a commitment".to_string()
        }
        (
            SeedOrigin::Derived {
                commitment,
                randomness,
                ..
            },
            Lang::Sv,
        ) => {
            format!("härlett ur åtagandet {commitment} och slumptalen {randomness}")
        }
        (
            SeedOrigin::Derived {
                commitment,
                randomness,
                ..
            },
            Lang::En,
        ) => {
            format!("derived from the commitment {commitment} and the randomness {randomness}")
        }
    };
    let (restriction, verify) = match part {
        Some((p, command)) => (Some(p.to_string()), command),
        None => (
            args.only.clone(),
            format!(
                "urval verify --extract <extract> --plan {} --manifest {}",
                crate::text::shell_quote(&name(&args.plan)),
                crate::text::shell_quote(&name(&args.output))
            ),
        ),
    };
    let count = urval_report::fmt_int(args.lang, records);
    let stage = match (args.stage, args.lang) {
        (None, _) => String::new(),
        (Some(1), Lang::Sv) => {
            "; steg 1 av 2: steg 2 begärs bara om underlaget kräver det".to_string()
        }
        (Some(1), Lang::En) => {
            "; stage 1 of 2: stage 2 is requested only if the evidence needs it".to_string()
        }
        (Some(_), Lang::Sv) => format!(
            "; steg 2 av 2: bara de akter som tillkommer efter {}",
            args.previous.as_deref().map(name).unwrap_or_default()
        ),
        (Some(_), Lang::En) => format!(
            "; stage 2 of 2: only the records added to {}",
            args.previous.as_deref().map(name).unwrap_or_default()
        ),
    };
    let rows: [(&str, &str, String); 9] = [
        ("Vad", "What", match args.lang {
            Lang::Sv => format!("{count} akter dragna med urval {} (obundet slumpmässigt urval inom strata, permanenta slumptal){stage}", env!("CARGO_PKG_VERSION")),
            Lang::En => format!("{count} records drawn with urval {} (simple random sampling within strata, permanent random numbers){stage}", env!("CARGO_PKG_VERSION")),
        }),
        ("Fröet (seed)", "Seed", args.seed.to_string()),
        ("Fröets ursprung", "Seed origin", seed_origin),
        ("Start", "Start", args.start.to_string()),
        ("Plan", "Plan", name(&args.plan)),
        ("Planens kontrollsumma", "Plan checksum", plan_hash.to_string()),
        ("Underlagets fingeravtryck", "Extract fingerprint", plan.extract.fingerprint.clone()),
        ("Avgränsning", "Restriction", restriction.unwrap_or_else(|| "–".into())),
        ("Så kontrolleras urvalet", "How to verify", verify),
    ];
    rows.into_iter()
        .map(|(sv, en, v)| {
            (
                match args.lang {
                    Lang::Sv => sv,
                    Lang::En => en,
                }
                .to_string(),
                v,
            )
        })
        .collect()
}

/// The lists of a draw written and published ([`draw_lists`]): what
/// `urval_ops::package::draw_to_files_from` completes with the packages' letters and review
/// templates and the quarantine file.
pub struct Lists {
    /// The draw as written so far (its `quarantine_file` is not written yet).
    pub drawn: Drawn,
    /// The drawn records.
    pub result: DrawResult,
}

/// The `--only` part of a job, and its manifest's file type; refused: an `--include` of the
/// key or a strata column, a manifest of another type.
fn checked_job(plan: &PlanFile, job: &DrawJob) -> Result<(Option<(String, String)>, String)> {
    let only = job
        .only
        .as_deref()
        .map(|s| parse_only(s, plan))
        .transpose()?;
    for c in &job.include {
        if *c == plan.key || plan.strata_columns.contains(c) {
            return Err(DrawError::IncludeInManifest { column: c.clone() }.into());
        }
    }
    let ext = crate::files::extension(&job.output);
    if !matches!(ext.as_str(), "csv" | "parquet" | "xlsx") {
        return Err(ArtifactError::ManifestFileType {
            path: job.output.clone(),
        }
        .into());
    }
    Ok((only, ext))
}

/// The plan drawn and its records: the whole plan; its first stage (`--stage 1`); or the
/// records stage 2 adds ([`second_stage`]) — with the stage as the sidecar records it.
fn stage_draw<'p>(
    extract: &Extract,
    plan: &'p PlanFile,
    job: &DrawJob,
    req: &DrawRequest,
    pseudo: Option<(usize, &Pseudonymizer)>,
    origin: &crate::commitment::SeedOrigin,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Cow<'p, PlanFile>, DrawResult, Option<StageDraw>)> {
    let stage = |stage, previous: Option<(String, String)>, total| StageDraw {
        stage,
        of: 2,
        previous_hash: previous.as_ref().map(|p| p.1.clone()),
        previous: previous.map(|p| p.0),
        selected_through_stage: total,
    };
    Ok(match job.stage {
        None => (
            Cow::Borrowed(plan),
            draw(extract, plan, req, job.bound_sds, progress)?,
            None,
        ),
        Some(1) => {
            let first = plan.first_stage()?;
            let result = draw(extract, &first, req, job.bound_sds, progress)?;
            let total = result.selected.iter().map(|v| v.len() as u64).sum();
            (Cow::Owned(first), result, Some(stage(1, None, total)))
        }
        Some(2) => {
            let (second, previous, total) =
                second_stage(extract, plan, job, req, pseudo, origin, progress)?;
            (
                Cow::Borrowed(plan),
                second,
                Some(stage(2, Some(previous), total)),
            )
        }
        Some(k) => return Err(DrawError::BadStage { stage: k }.into()),
    })
}

/// The records stage 2 adds, after checking `--previous` is exactly this plan's stage 1
/// (the next records of the same draw), or, for a seed of its own, the records after stage
/// 1's among the rest ([`fresh_second_stage`]); with the stage-1 manifest's name and
/// checksum and the records selected through stage 2.
fn second_stage(
    extract: &Extract,
    plan: &PlanFile,
    job: &DrawJob,
    req: &DrawRequest,
    pseudo: Option<(usize, &Pseudonymizer)>,
    origin: &crate::commitment::SeedOrigin,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(DrawResult, (String, String), u64)> {
    plan.first_stage()?;
    let Some(previous) = &job.previous else {
        return Err(DrawError::StageTwoWithoutPrevious.into());
    };
    let full = draw(extract, plan, req, job.bound_sds, progress)?;
    let total = full.selected.iter().map(|v| v.len() as u64).sum();
    let pseudonym = |k: String| match pseudo {
        Some((0, p)) => p.pseudonym(&k),
        _ => k,
    };
    let second = if matches!(origin, crate::commitment::SeedOrigin::Derived { .. }) {
        // A seed of its own: stage 1 is checked by its sidecar (this plan's stage 1, the
        // manifest as written) and `urval verify`; stage 2 draws among the rest.
        let side1 = DrawSidecar::read(&sidecar_path(previous))?;
        side1.check_manifest(&sidecar_path(previous), previous)?;
        if side1.stage.as_ref().map(|s| s.stage) != Some(1)
            || side1.plan_hash != file_hash(&job.plan)?
        {
            return Err(DrawError::NotAStageOneManifest {
                previous: previous.clone(),
            }
            .into());
        }
        fresh_second_stage(plan, full, &listed_records(previous, plan)?, &pseudonym)
    } else {
        let (first, second) = split_stages(plan, full);
        check_previous(
            previous,
            plan,
            &first,
            &pseudonym,
            req.personal.contains(&plan.key),
        )?;
        second
    };
    let hash = file_hash(previous)?;
    Ok((second, (crate::files::file_name(previous), hash), total))
}

/// Refuse an `--out-dir` that holds files (parts of an earlier draw would mix with this
/// one's) or that holds the manifest.
fn check_out_dir(job: &DrawJob, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    if std::fs::read_dir(dir).map_or(true, |mut e| e.next().is_some()) {
        return Err(DrawError::OutDirNotEmpty {
            dir: dir.to_path_buf(),
        }
        .into());
    }
    let parent = job.output.parent().filter(|p| !p.as_os_str().is_empty());
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if same(parent.unwrap_or(Path::new(".")), dir) {
        return Err(DrawError::ManifestInOutDir.into());
    }
    Ok(())
}

/// The packages of `--split-by COL`: each value of the column among the drawn records, with
/// the name of its folder and files ([`part_names`]).
fn split_parts(columns: &ManifestColumns, col: &str) -> Result<Vec<(String, String)>> {
    let idx =
        columns
            .names
            .iter()
            .position(|n| n == col)
            .ok_or_else(|| DrawError::SplitByColumn {
                column: col.to_string(),
                columns: columns.names.clone(),
            })?;
    if idx == 0 {
        return Err(DrawError::SplitByKey.into());
    }
    let distinct: Vec<String> = columns.text[idx]
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    let names = part_names(&distinct);
    Ok(distinct.into_iter().zip(names).collect())
}

/// A drawn sample being written: what its manifest, its sidecar and every package's lists
/// share.
struct Lister<'a> {
    job: &'a DrawJob,
    /// The plan drawn (its first stage for `--stage 1`).
    plan: &'a PlanFile,
    result: &'a DrawResult,
    origin: &'a crate::commitment::SeedOrigin,
    pseudo: Option<(usize, &'a Pseudonymizer)>,
    /// The key is personal: the manifests leave the prn out.
    prn_hidden: bool,
    /// A stage of a staged plan is drawn (the strata record their stage-1 sizes).
    staged: bool,
    plan_hash: String,
    plan_text: String,
}

/// The files of the `--split-by` packages, staged, with the values whose files are renamed.
#[derive(Default)]
struct Packages {
    staged: Vec<crate::files::Staged>,
    renamed_parts: Vec<(String, String)>,
    packages: Vec<Package>,
}

impl Lister<'_> {
    /// The manifest's columns: every record, or those whose text column `filter.0` is
    /// `filter.1`.
    fn columns(&self, filter: Option<(usize, &str)>) -> ManifestColumns {
        let mut columns = manifest_columns(
            self.plan,
            self.result,
            &self.job.include,
            self.job.seed,
            filter,
            self.pseudo,
        );
        columns.prn_hidden = self.prn_hidden;
        columns
    }

    /// How a list of `records` is written; `part`: a package's, with its verify command.
    fn style(&self, records: u64, part: Option<(&str, String)>) -> ManifestStyle {
        ManifestStyle {
            dialect: self.job.csv_dialect,
            lang: self.job.lang,
            about: about_lines(
                self.job,
                self.plan,
                &self.plan_hash,
                records,
                self.origin,
                part,
            ),
            carried: Vec::new(),
        }
    }

    /// What an `.xlsx` list carries: its sidecar (without its own checksum) and the plan.
    fn carried(&self, side: &DrawSidecar) -> Result<Vec<(String, String)>> {
        Ok(vec![
            (
                crate::manifest::CARRIED_SIDECAR.to_string(),
                crate::files::to_json_text(side)?,
            ),
            (
                crate::manifest::CARRIED_PLAN.to_string(),
                self.plan_text.clone(),
            ),
        ])
    }

    /// The drawn strata in scope, or those with `value` (`COL`, `VALUE`).
    fn drawn_strata(&self, value: Option<(&str, &str)>) -> Vec<DrawnStratum> {
        self.plan
            .strata
            .iter()
            .zip(&self.result.selected)
            .zip(&self.result.in_scope)
            .filter(|(_, &i)| i)
            .filter(|((s, _), _)| {
                value.is_none_or(|(c, v)| s.values.get(c).map(String::as_str) == Some(v))
            })
            .map(|((s, sel), _)| DrawnStratum {
                values: s.values.clone(),
                population: s.population,
                n: s.n,
                drawn: sel.len() as u64,
                n_stage1: if self.staged { s.n_stage1 } else { None },
            })
            .collect()
    }

    /// The draw's sidecar (its manifest's checksum comes once the manifest is written).
    fn sidecar(
        &self,
        extract: &Extract,
        only: Option<&(String, String)>,
        stage: Option<StageDraw>,
        split_files: Vec<String>,
        selected: u64,
    ) -> DrawSidecar {
        let (job, result) = (self.job, self.result);
        let totals = result.scan.totals();
        DrawSidecar {
            kind: "urval-draw".to_string(),
            version: DRAW_SIDECAR_VERSION,
            urval_version: env!("CARGO_PKG_VERSION").to_string(),
            prn_spec_version: PRN_SPEC_VERSION,
            prn: "u = (XXH3_64bits_withSeed(key UTF-8 bytes, seed) >> 11) / 2^53; per stratum the n_h smallest (u - start) mod 1, ties by key".to_string(),
            seed: job.seed,
            start: job.start,
            only: only.map(|(c, v)| format!("{c}={v}")),
            include: job.include.clone(),
            pseudonymized: job.pseudonymize.clone(),
            plan: crate::files::file_name(&job.plan),
            plan_hash: self.plan_hash.clone(),
            extract_fingerprint: self.plan.extract.fingerprint.clone(),
            manifest: crate::files::file_name(&job.output),
            manifest_hash: String::new(),
            rows_read: totals.rows_read,
            rows_used: totals.rows_used,
            rows_excluded: totals.rows_excluded,
            rows_quarantined: totals.rows_quarantined,
            rows_outside_only: result.outside_only,
            files: crate::files::files_json(extract, &result.scan.files),
            selected,
            split_files,
            prn_in_manifest: !self.prn_hidden,
            strata: self.drawn_strata(None),
            stage,
            phase: None,
            seed_origin: self.origin.clone(),
            part: None,
        }
    }

    /// Each `--split-by` package's lists (`.xlsx` carrying its sidecar and the plan, `.csv`
    /// with its sidecar) and plan copy in its folder under `dir`, staged.
    fn packages(
        &self,
        sidecar: &DrawSidecar,
        columns: &ManifestColumns,
        (col, dir): (&str, &Path),
        parts: &[(String, String)],
    ) -> Result<Packages> {
        let idx = columns.names.iter().position(|n| n == col).unwrap_or(0);
        if !dir.is_dir() {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("{}: cannot create the --out-dir directory", dir.display())
            })?;
        }
        let mut out = Packages::default();
        for (v, name) in parts {
            let package = self.package(sidecar, (col, idx), dir, (v, name), &mut out.staged)?;
            if *name != safe_name(v) || (name.starts_with('_') && !v.is_empty()) {
                out.renamed_parts.push((v.clone(), name.clone()));
            }
            out.packages.push(package);
        }
        Ok(out)
    }

    /// One package: the records with `value` in the column at `idx`, in its folder `name`.
    fn package(
        &self,
        sidecar: &DrawSidecar,
        (col, idx): (&str, usize),
        dir: &Path,
        (value, name): (&str, &str),
        staged: &mut Vec<crate::files::Staged>,
    ) -> Result<Package> {
        let part = self.columns(Some((idx, value)));
        let files = PackageFiles::new(name, self.job.lang);
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("{}: cannot create the folder", folder.display()))?;
        let part_value = format!("{col}={value}");
        let mut side = sidecar.clone();
        side.split_files = Vec::new();
        side.selected = part.prn.len() as u64;
        side.rows_outside_only = 0;
        if sidecar_for_part(self.plan, Some(col)) {
            // The part is whole strata: verified as a draw limited to them, on the
            // municipality's own rows.
            side.only = Some(part_value.clone());
            side.strata = self.drawn_strata(Some((col, value)));
        } else {
            side.part = Some(part_value.clone());
        }
        // One style per part: its "about" sheet counts its own records and names its own
        // command.
        let mut part_style = self.style(
            part.prn.len() as u64,
            Some((&part_value, files.verify_command())),
        );
        side.manifest = files.xlsx.clone();
        part_style.carried = self.carried(&side)?;
        let xlsx = folder.join(&files.xlsx);
        staged.push(write_manifest(&xlsx, &part, &part_style)?);
        let csv = folder.join(&files.csv);
        let staged_csv = write_manifest(&csv, &part, &part_style)?;
        side.manifest = files.csv.clone();
        side.manifest_hash = file_hash(staged_csv.path())?;
        staged.push(staged_csv);
        staged.push(stage_text(
            &sidecar_path(&csv),
            &crate::files::to_json_text(&side)?,
        )?);
        staged.push(stage_text(
            &folder.join(crate::files::file_name(&self.job.plan)),
            &self.plan_text,
        )?);
        Ok(Package {
            value: value.to_string(),
            part: part_value,
            folder,
            files,
        })
    }
}

/// `text` written to a staged file published with the rest of the draw.
fn stage_text(path: &Path, text: &str) -> Result<crate::files::Staged> {
    let mut f = crate::files::AtomicFile::create(path)?;
    std::io::Write::write_all(f.writer(), text.as_bytes())?;
    f.finish()
}

/// The draw's lists: the manifest, its sidecar and, with `--split-by`, each package's
/// lists and plan copy, written and published. The letters, templates and quarantine file
/// come after (`urval_ops::package::draw_to_files_from`).
///
/// # Errors
/// As `urval_ops::package::draw_to_files`.
pub fn draw_lists(
    extract: &Extract,
    plan: &PlanFile,
    job: &DrawJob,
    origin: &crate::commitment::SeedOrigin,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Lists> {
    lists_of(extract, plan, job, origin, &mut |req, pseudo| {
        stage_draw(extract, plan, job, req, pseudo, origin, progress)
    })
}

/// [`draw_lists`] of a draw made in parts elsewhere (the partitions of a distributed data
/// frame, [`crate::draw::draw_part`]), merged here ([`crate::draw::merge_parts`]): the same
/// manifest and packages as a draw of the whole extract. `extract` names the source in the
/// sidecar (its rows are the parts' rows). A staged draw is drawn from the whole extract.
///
/// # Errors
/// As [`draw_lists`], and parts that do not belong to the plan.
pub fn draw_lists_from_parts(
    extract: &Extract,
    plan: &PlanFile,
    job: &DrawJob,
    origin: &crate::commitment::SeedOrigin,
    parts: Vec<crate::draw::DrawPart>,
) -> Result<Lists> {
    if job.stage.is_some() {
        return Err(DrawError::StagedParts.into());
    }
    let mut parts = Some(parts);
    lists_of(extract, plan, job, origin, &mut |req, _| {
        let parts = parts.take().unwrap_or_default();
        Ok((
            Cow::Borrowed(plan),
            crate::draw::merge_parts(plan, req, parts)?,
            None,
        ))
    })
}

/// How a draw's records are found: the request and the pseudonymizer in, the plan drawn,
/// its records and its stage out.
type DrawnBy<'a, 'p> = dyn FnMut(
        &DrawRequest,
        Option<(usize, &Pseudonymizer)>,
    ) -> Result<(Cow<'p, PlanFile>, DrawResult, Option<StageDraw>)>
    + 'a;

/// The lists of the records `drawn_by` finds, written and published.
fn lists_of<'p>(
    extract: &Extract,
    plan: &'p PlanFile,
    job: &DrawJob,
    origin: &crate::commitment::SeedOrigin,
    drawn_by: &mut DrawnBy<'_, 'p>,
) -> Result<Lists> {
    let (only, ext) = checked_job(plan, job)?;
    let (pseudo, personal) = pseudonymization(plan, job)?;
    let pseudo_ref = pseudo.as_ref().map(|(i, p)| (*i, p));
    let req = DrawRequest {
        seed: job.seed,
        start: job.start,
        only: only.as_ref(),
        include: &job.include,
        personal: &personal,
    };
    crate::files::refuse_overwriting_inputs(
        &[
            job.output.clone(),
            sidecar_path(&job.output),
            crate::files::quarantine_path(&job.output),
        ],
        extract,
        &[&job.plan],
    )?;
    if job.previous.is_some() && job.stage != Some(2) {
        return Err(DrawError::PreviousWithoutStageTwo.into());
    }
    let (plan, result, stage) = drawn_by(&req, pseudo_ref)?;
    let totals = result.scan.totals();
    crate::files::check_quarantine(
        job.max_quarantine,
        &job.output,
        extract,
        totals.rows_read,
        totals.rows_quarantined,
        &result.scan.quarantine,
    )?;
    let prn_hidden = crate::manifest::hides_prn(
        personal.contains(&plan.key),
        result.selected.iter().flatten().map(|c| &*c.key),
    );
    let mut lister = Lister {
        job,
        plan: &plan,
        result: &result,
        origin,
        pseudo: pseudo_ref,
        prn_hidden,
        staged: stage.is_some(),
        plan_hash: String::new(),
        plan_text: String::new(),
    };
    let columns = lister.columns(None);
    lister.plan_hash = file_hash(&job.plan)?;
    lister.plan_text = std::fs::read_to_string(&job.plan)
        .with_context(|| format!("cannot read {}", job.plan.display()))?;
    let mut style = lister.style(columns.prn.len() as u64, None);
    // Every file is staged first and published together at the end (split parts, the
    // manifest, then its sidecar): a failure part-way leaves the previous draw's files as
    // they were, and the sidecar, renamed last, names the manifest's checksum.
    let split = match (&job.split_by, &job.out_dir) {
        (Some(col), Some(dir)) => Some((col.as_str(), dir.as_path())),
        _ => None,
    };
    if let Some((_, dir)) = split {
        check_out_dir(job, dir)?;
    }
    // The packages' layout: per value a folder with its lists, their sidecars, the plan
    // and the letter (see `package_files`).
    let parts = match split {
        None => Vec::new(),
        Some((col, _)) => split_parts(&columns, col)?,
    };
    let split_files: Vec<String> = parts
        .iter()
        .flat_map(|(_, name)| {
            let f = PackageFiles::new(name, job.lang);
            [format!("{name}/{}", f.xlsx), format!("{name}/{}", f.csv)]
        })
        .collect();
    let mut sidecar = lister.sidecar(
        extract,
        only.as_ref(),
        stage,
        split_files,
        columns.prn.len() as u64,
    );
    if ext == "xlsx" {
        style.carried = lister.carried(&sidecar)?;
    }
    let staged_manifest = write_manifest(&job.output, &columns, &style)
        .with_context(|| format!("writing {}", job.output.display()))?;
    sidecar.manifest_hash = file_hash(staged_manifest.path())?;
    let packages = match split {
        Some(split) => lister.packages(&sidecar, &columns, split, &parts)?,
        None => Packages::default(),
    };
    let side = sidecar_path(&job.output);
    let staged_side = stage_text(&side, &crate::files::to_json_text(&sidecar)?)?;
    for part in packages.staged {
        part.publish()?;
    }
    staged_manifest.publish()?;
    staged_side.publish()?;
    Ok(Lists {
        drawn: Drawn {
            sidecar,
            sidecar_path: side,
            quarantine_file: None,
            outside_only: result.outside_only,
            renamed_parts: packages.renamed_parts,
            packages: packages.packages,
        },
        result,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::draw::tests::plan;
    use crate::draw::{PackageLetter, BOUND_SDS};
    use std::path::PathBuf;
    use urval_report::xlsx::CsvDialect;

    fn job(output: &str) -> DrawJob {
        DrawJob {
            plan: PathBuf::from("plan.json"),
            seed: 1,
            start: 0.0,
            only: None,
            include: Vec::new(),
            output: PathBuf::from(output),
            csv_dialect: CsvDialect::Standard,
            lang: Lang::Sv,
            split_by: None,
            out_dir: None,
            personal: Vec::new(),
            pseudonymize: None,
            secret_file: None,
            bound_sds: BOUND_SDS,
            max_quarantine: 0.01,
            stage: None,
            previous: None,
            spec: None,
            letter: PackageLetter::default(),
        }
    }

    /// The golden area draw (seed 7 over sample-data/cases.csv) made in five parts, each
    /// piece of the extract drawn on its own and the parts merged in another order, writes
    /// the manifest of the whole extract's draw byte for byte, the golden one.
    #[test]
    fn a_draw_in_parts_writes_the_manifest_of_the_whole_draw() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("sample-data/cases.csv")).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let lines: Vec<&str> = body.lines().collect();
        let plan_file = dir.path().join("plan.json");
        std::fs::write(&plan_file, crate::files::to_json_text(&plan()).unwrap()).unwrap();
        let mut j = job(&dir.path().join("whole.csv").display().to_string());
        j.plan = plan_file;
        j.seed = 7;
        let origin = crate::commitment::SeedOrigin::Chosen;
        let whole = Extract::resolve(
            &[root.join("sample-data/cases.csv").display().to_string()],
            None,
        )
        .unwrap();
        draw_lists(&whole, &plan(), &j, &origin, &|_| {}).unwrap();
        let req = DrawRequest {
            seed: 7,
            start: 0.0,
            only: None,
            include: &[],
            personal: &[],
        };
        let mut parts = Vec::new();
        for (i, piece) in lines.chunks(4_099).enumerate() {
            let f = dir.path().join(format!("piece{i}.csv"));
            std::fs::write(&f, format!("{header}\n{}\n", piece.join("\n"))).unwrap();
            let e = Extract::resolve(&[f.display().to_string()], None).unwrap();
            parts.push(crate::draw::draw_part(&e, &plan(), &req).unwrap());
        }
        assert_eq!(parts.len(), 5);
        parts.reverse();
        let named = Extract::from_batches(
            "<parts>",
            std::sync::Arc::new(arrow_schema::Schema::empty()),
            Vec::new(),
        );
        let mut jp = j.clone();
        jp.output = dir.path().join("parts.csv");
        let lists = draw_lists_from_parts(&named, &plan(), &jp, &origin, parts.clone()).unwrap();
        let whole_bytes = std::fs::read(dir.path().join("whole.csv")).unwrap();
        assert_eq!(std::fs::read(&jp.output).unwrap(), whole_bytes);
        assert_eq!(
            whole_bytes,
            std::fs::read(root.join("sample-data/golden/manifest-area.csv")).unwrap()
        );
        assert_eq!(lists.drawn.sidecar.rows_read, 20_000);
        // A part of another plan is refused.
        let mut short = parts[0].clone();
        short.counts.pop();
        let e = crate::draw::merge_parts(&plan(), &req, vec![short])
            .err()
            .unwrap();
        assert!(e.to_string().contains("the same plan"), "{e}");
        // Parts that miss a piece are not the extract planned for.
        let e = crate::draw::merge_parts(&plan(), &req, parts[1..].to_vec())
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("the extract changed since the plan"),
            "{e}"
        );
    }

    #[test]
    fn a_job_including_the_key_or_writing_another_type_is_refused() {
        let p = plan();
        let mut j = job("m.csv");
        j.include = vec!["area".into()];
        let e = checked_job(&p, &j).unwrap_err().to_string();
        assert_eq!(
            e,
            "--include \"area\": the key and strata columns are in the manifest already"
        );
        let e = checked_job(&p, &job("m.txt")).unwrap_err().to_string();
        assert_eq!(e, "m.txt: the manifest must end in .csv, .parquet or .xlsx");
        let mut j = job("m.XLSX");
        j.only = Some("area=aldre".into());
        let (only, ext) = checked_job(&p, &j).unwrap();
        assert_eq!(only, Some(("area".into(), "aldre".into())));
        assert_eq!(ext, "xlsx");
    }

    #[test]
    fn an_out_dir_with_files_or_with_the_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("parts");
        assert!(
            check_out_dir(&job("m.csv"), &parts).is_ok(),
            "not there yet"
        );
        std::fs::create_dir(&parts).unwrap();
        let manifest = dir.path().join("m.csv");
        assert!(check_out_dir(&job(&manifest.display().to_string()), &parts).is_ok());
        let inside = parts.join("m.csv");
        let e = check_out_dir(&job(&inside.display().to_string()), &parts)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("write the manifest outside"), "{e}");
        std::fs::write(parts.join("old.csv"), "x").unwrap();
        let e = check_out_dir(&job(&manifest.display().to_string()), &parts)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("the --out-dir directory is not empty: give an empty one (parts of an earlier draw would mix with this one's)"), "{e}");
    }

    #[test]
    fn packages_are_the_split_columns_distinct_values() {
        let columns = ManifestColumns {
            names: vec!["id".into(), "kommun".into()],
            text: vec![
                vec!["1".into(), "2".into(), "3".into()],
                vec!["0180".into(), "CON".into(), "0180".into()],
            ],
            prn: vec![0.1, 0.2, 0.3],
            prn_hidden: false,
            pi: vec![0.5; 3],
            weight: vec![2.0; 3],
            n_text_before_numbers: 2,
        };
        let parts = split_parts(&columns, "kommun").unwrap();
        assert_eq!(
            parts,
            [
                ("0180".to_string(), "0180".to_string()),
                ("CON".to_string(), "_CON".to_string())
            ]
        );
        let e = split_parts(&columns, "id").unwrap_err().to_string();
        assert_eq!(e, "--split-by the key would write one file per record");
        let e = split_parts(&columns, "lan").unwrap_err().to_string();
        assert_eq!(
            e,
            "--split-by \"lan\" is not a column of the manifest (id, kommun)"
        );
    }
}
