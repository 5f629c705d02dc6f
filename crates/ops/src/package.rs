//! The draw as sent: the lists ([`crate::lists::draw_lists`]), then, with `--split-by`, each
//! municipality's letter (the report for its part) and review template, then the quarantine
//! file. This room joins the draw to the report and the review loop; the draw itself knows
//! neither.

use crate::artifacts::PlanFile;
use crate::draw::{sidecar_for_part, DrawJob, Drawn, BLANK};
use crate::error::{Context, Result};
use crate::lists::Lists;
use urval_ingest::Extract;

/// Draw the plan's records and write the manifest (and `--split-by` parts), its sidecar
/// and the quarantine file.
///
/// # Errors
/// A bad request (columns, `--only`, the output's type), an extract that is not the one
/// planned for, a quarantine above the threshold, or a file that cannot be written.
pub fn draw_to_files(
    extract: &Extract,
    plan: &PlanFile,
    job: &DrawJob,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Drawn> {
    draw_to_files_from(
        extract,
        plan,
        job,
        &crate::commitment::SeedOrigin::Chosen,
        progress,
    )
}

/// [`draw_to_files`] with the seed's origin recorded in the sidecar: `job.seed` derived
/// from a commitment ([`crate::commitment::derive_for_draw`]) or chosen.
///
/// # Errors
/// As [`draw_to_files`].
pub fn draw_to_files_from(
    extract: &Extract,
    plan: &PlanFile,
    job: &DrawJob,
    origin: &crate::commitment::SeedOrigin,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Drawn> {
    let Lists { mut drawn, result } =
        crate::lists::draw_lists(extract, plan, job, origin, progress)?;
    let args = job;
    let packages = &drawn.packages;
    // Where each question of the spec applies, for every package at once: one scan of the
    // extract over the drawn keys (a pseudonymized list cannot be matched with the extract's
    // keys: its templates use the list's own columns).
    let populations = match &args.spec {
        Some(spec) if !packages.is_empty() && args.pseudonymize.as_deref() != Some(&plan.key) => {
            let spec = urval_indicators::spec::Spec::read(spec)?;
            let qs = crate::review::questions(&spec);
            // The drawn keys, as drawn (a superset of a staged list's stage-1 records).
            let keys: std::collections::BTreeSet<String> = result
                .selected
                .iter()
                .flatten()
                .map(|c| String::from_utf8_lossy(&c.key).into_owned())
                .collect();
            // A question whose `where` names a column some file of the extract lacks cannot
            // be placed there: it is asked of every record (as the template says).
            let mut present: Option<std::collections::BTreeSet<String>> = None;
            for f in &extract.files {
                let cols: std::collections::BTreeSet<String> =
                    urval_ingest::file_columns(f, extract.delimiter)?
                        .into_iter()
                        .collect();
                present = Some(match present {
                    None => cols,
                    Some(p) => p.intersection(&cols).cloned().collect(),
                });
            }
            let present = present.unwrap_or_default();
            let readable: Vec<&urval_indicators::spec::Indicator> = qs
                .iter()
                .copied()
                .filter(|q| {
                    q.where_
                        .iter()
                        .flat_map(|w| w.columns())
                        .all(|c| present.contains(c))
                })
                .collect();
            Some(crate::applicable::populations(
                extract, &plan.key, &readable, &keys,
            )?)
        }
        _ => None,
    };
    // Each package's letter: the report for its part alone, written once its list is in
    // place (the report reads the list's sidecar).
    for pk in packages {
        let strata_part = sidecar_for_part(plan, args.split_by.as_deref());
        crate::report::report_to_file(&crate::report::ReportJob {
            plan: pk.folder.join(crate::files::file_name(&args.plan)),
            requested: None,
            requested_file: None,
            manifest: Some(pk.folder.join(&pk.files.xlsx)),
            indicators: None,
            lang: args.lang,
            output: pk.folder.join(&pk.files.letter),
            only: strata_part.then(|| pk.part.clone()),
            purpose: args.letter.purpose.clone(),
            recipient: None,
            case_number: Some(
                args.letter
                    .case_number
                    .clone()
                    .unwrap_or_else(|| BLANK.to_string()),
            ),
            sender: args.letter.sender.clone(),
            date: args.letter.date.clone(),
            deadline: Some(
                args.letter
                    .deadline
                    .clone()
                    .unwrap_or_else(|| BLANK.to_string()),
            ),
            own_extract: Some(pk.files.own_extract.clone()),
            labels: None,
            previous: None,
            phase2_plan: None,
            agreement: None,
            suppress_below: None,
        })
        .with_context(|| format!("writing the letter of {}", pk.folder.display()))?;
        if let Some(spec) = &args.spec {
            crate::review::review_template(&crate::review::TemplateJob {
                manifest: pk.folder.join(&pk.files.xlsx),
                spec: spec.clone(),
                lang: args.lang,
                output: pk.folder.join(&pk.files.review),
                extract: None,
                populations: populations.clone(),
            })
            .with_context(|| format!("writing the review template of {}", pk.folder.display()))?;
        }
    }
    let quarantine_file =
        crate::files::write_quarantine(&args.output, extract, &result.scan.quarantine)?;
    drawn.quarantine_file = quarantine_file;
    Ok(drawn)
}
