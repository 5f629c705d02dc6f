//! Verify: recompute a draw from the extract, the plan and the seed (from the manifest's
//! sidecar unless given) and compare it with the manifest record by record.

use crate::artifacts::{DrawSidecar, PlanFile};
use crate::draw::{draw, parse_only, selection_set, DrawRequest, DrawResult, BOUND_SDS};
use crate::draw_error::DrawError;
use crate::error::Result;
use crate::manifest::{find_sidecar, manifest_rows, sidecar_path};
use crate::setting;
use crate::text::thousands;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use urval_ingest::personal::Pseudonymizer;
use urval_ingest::Extract;

/// What to verify. A pipeline's `verify` step is read into it (serde): its keys are the
/// fields read; the personal columns come from the step's extract settings.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifyRequest {
    /// The manifest (`.csv`, `.parquet` or `.xlsx`); its sidecar is read from beside it.
    #[serde(deserialize_with = "setting::path")]
    pub manifest: PathBuf,
    /// The seed (default: the sidecar's).
    pub seed: Option<u64>,
    /// The start (default: the sidecar's, else 0).
    pub start: Option<f64>,
    /// `COL=VALUE` (default: the sidecar's).
    pub only: Option<String>,
    /// Columns whose values are never shown (a personal key is masked in the differences).
    #[serde(skip)]
    pub personal: Vec<String>,
    /// The secret of a pseudonymized key.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub secret_file: Option<PathBuf>,
}

/// The comparison.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The seed used.
    pub seed: u64,
    /// The start used.
    pub start: f64,
    /// Records the draw selects.
    pub expected: u64,
    /// (stratum values, key) drawn but not in the manifest; a personal key masked.
    pub missing: Vec<(Vec<String>, String)>,
    /// (stratum values, key) in the manifest but not drawn; a personal key masked.
    pub extra: Vec<(Vec<String>, String)>,
    /// Manifest rows that repeat another.
    pub repeated: u64,
    /// Why the manifest is not byte for byte the file its sidecar was written with.
    pub not_as_written: Option<String>,
    /// The stage of a staged plan the manifest holds (from its sidecar).
    pub stage: Option<u32>,
    /// `COL=VALUE` when the manifest is one part of the draw (`--only`, or a package of
    /// `--split-by`): the strata outside it are not compared.
    pub part: Option<String>,
}

impl Verified {
    /// Whether the manifest is exactly the draw.
    pub fn identical(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.repeated == 0
    }

    /// The comparison as text: `identical: …`, or the differences (the first 20 each way).
    pub fn text(&self, manifest: &str) -> String {
        let mut t = String::new();
        if let Some(note) = &self.not_as_written {
            t.push_str(&format!("note: {note}\n"));
        }
        if self.identical() {
            let stage = match self.stage {
                Some(1) => " (stage 1 of 2)",
                Some(_) => " (stage 2 of 2: the records added to stage 1)",
                None => "",
            };
            let part = match &self.part {
                Some(p) => format!(" (the part {p}; other strata are not in this list)"),
                None => String::new(),
            };
            t.push_str(&format!(
                "identical: {} records, the draw with seed {} and start {} reproduces {manifest}{stage}{part}\n",
                thousands(self.expected),
                self.seed,
                self.start,
            ));
            return t;
        }
        t.push_str(&format!(
            "differences: {} records drawn but not in the manifest, {} in the manifest but not drawn, {} repeated\n",
            self.missing.len(),
            self.extra.len(),
            self.repeated
        ));
        for (values, key) in self.missing.iter().take(20) {
            t.push_str(&format!("  missing  {key}  ({})\n", values.join(", ")));
        }
        for (values, key) in self.extra.iter().take(20) {
            t.push_str(&format!("  extra    {key}  ({})\n", values.join(", ")));
        }
        t
    }
}

/// The manifest's sidecar, if there is one (a sidecar that is there must be a valid one),
/// and why the manifest is not the file it was written with, if it is not: edited, or a
/// sidecar of another draw beside it. Such a manifest is still compared record by record.
fn found_sidecar(manifest: &Path) -> Result<(Option<DrawSidecar>, Option<String>)> {
    Ok(match find_sidecar(manifest)? {
        Some(found) => {
            let not_as_written = found.check_manifest(manifest).err().map(|e| e.to_string());
            (Some(found.sidecar), not_as_written)
        }
        None => (None, None),
    })
}

/// The columns never shown (the key too when the draw left the prn out because the key is
/// personal, or pseudonymized it), and the pseudonymizer of a pseudonymized key.
fn privacy(
    plan: &PlanFile,
    req: &VerifyRequest,
    sidecar: Option<&DrawSidecar>,
) -> Result<(Vec<String>, Option<Pseudonymizer>)> {
    let pseudonymized_key = sidecar
        .and_then(|s| s.pseudonymized.as_deref())
        .is_some_and(|c| c == plan.key);
    let mut personal = req.personal.clone();
    // A draw that left the prn out because the key is personal (most keys personnummer):
    // the keys are never printed either.
    if sidecar.is_some_and(|s| !s.prn_in_manifest && s.pseudonymized.is_none())
        && !personal.contains(&plan.key)
    {
        personal.push(plan.key.clone());
    }
    if !pseudonymized_key {
        return Ok((personal, None));
    }
    personal.push(plan.key.clone());
    let Some(f) = &req.secret_file else {
        return Err(DrawError::PseudonymsWithoutSecret.into());
    };
    Ok((personal, Some(crate::files::read_secret(f)?)))
}

/// A package of a column that is not a strata column holds the drawn records with its
/// value (`COL`, `VALUE`): the draw copies that column, and only those records are
/// expected.
fn sidecar_part(sidecar: Option<&DrawSidecar>) -> Result<Option<(String, String)>> {
    Ok(match sidecar.and_then(|s| s.part.as_deref()) {
        Some(p) => match p.split_once('=') {
            Some((c, v)) => Some((c.to_string(), v.to_string())),
            None => {
                return Err(DrawError::SidecarPart {
                    part: p.to_string(),
                }
                .into())
            }
        },
        None => None,
    })
}

/// The draw again, as the sidecar says it was made: a stage of a staged plan as that stage
/// (stage 1 as the draw of n_stage1, stage 2 as the records of the full draw beyond stage
/// 1, or with a seed of its own those after stage 1's among the rest); with the plan drawn.
fn redraw<'p>(
    extract: &Extract,
    plan: &'p PlanFile,
    req: &DrawRequest,
    sidecar: Option<&DrawSidecar>,
    manifest: &Path,
    pseudo: Option<&Pseudonymizer>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Cow<'p, PlanFile>, DrawResult)> {
    let stage = sidecar.and_then(|s| s.stage.as_ref());
    Ok(match stage.map(|s| s.stage) {
        Some(1) => {
            let first = plan.first_stage()?;
            let r = draw(extract, &first, req, BOUND_SDS, progress)?;
            (Cow::Owned(first), r)
        }
        Some(_) => {
            plan.first_stage()?;
            let full = draw(extract, plan, req, BOUND_SDS, progress)?;
            let derived = sidecar.is_some_and(|s| {
                matches!(s.seed_origin, crate::commitment::SeedOrigin::Derived { .. })
            });
            if derived {
                // Stage 2 with a seed of its own: the records after stage 1's, among the rest.
                let previous = stage.and_then(|s| s.previous.clone()).unwrap_or_default();
                let previous = manifest.with_file_name(previous);
                let listed = crate::draw::listed_records(&previous, plan)?;
                let pseudonym = |k: String| match pseudo {
                    Some(p) => p.pseudonym(&k),
                    None => k,
                };
                (
                    Cow::Borrowed(plan),
                    crate::draw::fresh_second_stage(plan, full, &listed, &pseudonym),
                )
            } else {
                (Cow::Borrowed(plan), crate::draw::split_stages(plan, full).1)
            }
        }
        None => (
            Cow::Borrowed(plan),
            draw(extract, plan, req, BOUND_SDS, progress)?,
        ),
    })
}

/// Recompute the draw and compare it with the manifest.
///
/// # Errors
/// No seed (neither given nor in a sidecar), a bad start or `only`, an invalid sidecar, a
/// pseudonymized manifest without the secret, an extract that is not the one planned for,
/// or an unreadable manifest.
pub fn verify(
    extract: &Extract,
    plan: &PlanFile,
    req: &VerifyRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Verified> {
    let args = req;
    // Without a sidecar, --seed (and --start, --only) must be given.
    let (sidecar, not_as_written) = found_sidecar(&args.manifest)?;
    let sidecar = sidecar.as_ref();
    let seed = match (args.seed, sidecar.map(|s| s.seed)) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => {
            return Err(DrawError::NoSeed {
                sidecar: sidecar_path(&args.manifest),
            }
            .into())
        }
    };
    let start = args
        .start
        .or_else(|| sidecar.map(|s| s.start))
        .unwrap_or(0.0);
    if !(0.0..1.0).contains(&start) {
        return Err(DrawError::BadStart { got: start }.into());
    }
    let only_text = args
        .only
        .clone()
        .or_else(|| sidecar.and_then(|s| s.only.clone()));
    let only = only_text
        .as_deref()
        .map(|s| parse_only(s, plan))
        .transpose()?;
    let (personal, pseudo) = privacy(plan, args, sidecar)?;
    let key_is_personal = personal.contains(&plan.key);
    let part = sidecar_part(sidecar)?;
    let part_include: Vec<String> = part.iter().map(|(c, _)| c.clone()).collect();
    let draw_req = DrawRequest {
        seed,
        start,
        only: only.as_ref(),
        include: &part_include,
        personal: &personal,
    };
    let (plan, mut result) = redraw(
        extract,
        plan,
        &draw_req,
        sidecar,
        &args.manifest,
        pseudo.as_ref(),
        progress,
    )?;
    if let Some((_, v)) = &part {
        for rows in &mut result.selected {
            rows.retain(|c| c.payload.first() == Some(v));
        }
    }
    let expected: BTreeSet<(Vec<String>, String)> = selection_set(&plan, &result)
        .into_keys()
        .map(|(v, k)| match &pseudo {
            Some(p) => (v, p.pseudonym(&k)),
            None => (v, k),
        })
        .collect();

    // Read the manifest with the same ingest: key and strata columns as text.
    let rows: Vec<(Vec<String>, String)> =
        manifest_rows(&args.manifest, &plan.key, &plan.strata_columns)?
            .into_iter()
            .map(|r| (r.values, r.key))
            .collect();
    let found: BTreeSet<(Vec<String>, String)> = rows.iter().cloned().collect();
    let repeated = rows.len() - found.len();
    let shown = |(v, key): &(Vec<String>, String)| -> (Vec<String>, String) {
        if key_is_personal && pseudo.is_none() {
            (v.clone(), urval_ingest::PERSONAL_MASK.to_string())
        } else {
            (v.clone(), key.clone())
        }
    };
    Ok(Verified {
        seed,
        start,
        expected: expected.len() as u64,
        missing: expected.difference(&found).map(shown).collect(),
        extra: found.difference(&expected).map(shown).collect(),
        repeated: repeated as u64,
        not_as_written,
        stage: sidecar.and_then(|s| s.stage.as_ref()).map(|s| s.stage),
        part: only
            .map(|(c, v)| format!("{c}={v}"))
            .or_else(|| part.map(|(c, v)| format!("{c}={v}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified() -> Verified {
        Verified {
            seed: 42,
            start: 0.25,
            expected: 1418,
            missing: Vec::new(),
            extra: Vec::new(),
            repeated: 0,
            not_as_written: None,
            stage: None,
            part: None,
        }
    }

    #[test]
    fn an_identical_stage_two_part_says_seed_start_stage_and_part() {
        let mut v = verified();
        v.stage = Some(2);
        v.part = Some("kommun=0180".into());
        v.not_as_written = Some("the sidecar is of another file".into());
        assert_eq!(
            v.text("urval.csv"),
            "note: the sidecar is of another file\n\
             identical: 1,418 records, the draw with seed 42 and start 0.25 reproduces urval.csv \
             (stage 2 of 2: the records added to stage 1) \
             (the part kommun=0180; other strata are not in this list)\n"
        );
    }

    #[test]
    fn a_repeated_row_alone_makes_the_manifest_differ_and_differences_list_at_most_twenty() {
        let mut v = verified();
        v.repeated = 1;
        assert!(!v.identical());
        assert_eq!(
            v.text("m.csv"),
            "differences: 0 records drawn but not in the manifest, 0 in the manifest but not drawn, 1 repeated\n"
        );
        v.repeated = 0;
        v.missing = (0..25)
            .map(|i| (vec!["äldre".to_string()], format!("ärende-{i}")))
            .collect();
        v.extra = vec![(vec!["barn".to_string(), "0180".to_string()], "x".into())];
        let t = v.text("m.csv");
        assert!(t.starts_with("differences: 25 records drawn but not in the manifest, 1 in"));
        assert_eq!(t.matches("  missing  ").count(), 20);
        assert!(t.contains("  missing  ärende-0  (äldre)\n"));
        assert!(!t.contains("ärende-20 "));
        assert!(t.ends_with("  extra    x  (barn, 0180)\n"));
    }

    fn request(manifest: &str) -> VerifyRequest {
        VerifyRequest {
            manifest: PathBuf::from(manifest),
            seed: None,
            start: None,
            only: None,
            personal: vec!["pnr".into()],
            secret_file: None,
        }
    }

    fn sidecar() -> DrawSidecar {
        DrawSidecar {
            kind: "urval-draw".into(),
            version: crate::artifacts::DRAW_SIDECAR_VERSION,
            urval_version: "0".into(),
            prn_spec_version: 1,
            prn: String::new(),
            seed: 42,
            start: 0.0,
            only: None,
            include: Vec::new(),
            pseudonymized: None,
            plan: "plan.json".into(),
            plan_hash: String::new(),
            extract_fingerprint: String::new(),
            manifest: "m.csv".into(),
            manifest_hash: String::new(),
            rows_read: 0,
            rows_used: 0,
            rows_excluded: 0,
            rows_quarantined: 0,
            rows_outside_only: 0,
            files: Default::default(),
            selected: 0,
            split_files: Vec::new(),
            prn_in_manifest: true,
            strata: Vec::new(),
            stage: None,
            phase: None,
            seed_origin: Default::default(),
            part: None,
        }
    }

    #[test]
    fn a_part_of_another_column_is_col_equals_value() {
        let mut side = sidecar();
        assert_eq!(sidecar_part(Some(&side)).unwrap(), None);
        side.part = Some("kommun=0180".into());
        assert_eq!(
            sidecar_part(Some(&side)).unwrap(),
            Some(("kommun".into(), "0180".into()))
        );
        side.part = Some("kommun".into());
        let e = sidecar_part(Some(&side)).unwrap_err().to_string();
        assert_eq!(
            e,
            "the sidecar's part \"kommun\" is not COL=VALUE: draw again"
        );
        assert_eq!(sidecar_part(None).unwrap(), None);
    }

    #[test]
    fn a_hidden_or_pseudonymized_key_is_never_shown() {
        let plan_key = "case_id";
        let mut side = sidecar();
        let plan = crate::draw::tests::plan();
        let (personal, pseudo) = privacy(&plan, &request("m.csv"), Some(&side)).unwrap();
        assert_eq!(personal, ["pnr"]);
        assert!(pseudo.is_none());
        side.prn_in_manifest = false;
        let (personal, _) = privacy(&plan, &request("m.csv"), Some(&side)).unwrap();
        assert_eq!(personal, ["pnr", plan_key]);
        side.pseudonymized = Some(plan_key.into());
        let e = privacy(&plan, &request("m.csv"), Some(&side))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "the manifest's keys are pseudonyms: give the --secret-file the draw used"
        );
    }
}
