//! The draw: one streaming pass that selects, in every stratum of the plan, the n_h records
//! with the smallest (u − start) mod 1, u = prn(seed, key) — simple random sampling without
//! replacement, identical whatever the row order, file split, format or thread count — and
//! what a draw job is (its stages, its part, its packages' names); the manifest
//! ([`crate::manifest`]) and its sidecar ([`DrawSidecar`]) are written by
//! [`crate::lists`].

use crate::artifacts::{describe, DrawSidecar, PlanFile};
use crate::draw_error::DrawError;
use crate::error::Result;
use crate::files::hex128;
pub use crate::manifest::{DrawResult, Selected};
use crate::setting;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_ingest::strata::{StrataMapper, UNKNOWN};
use urval_ingest::{
    scan_ordered, Batch, Extract, Filter, IngestError, ScanOutput, ScanSpec, TextCol,
};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;
use urval_sample::{prn53, rank, rank_bound, start53, BottomK, Candidate};

/// A draw to files: the plan, the PRNs, the manifest and how it is written. A pipeline's
/// `draw` step is read into it (serde, the forms of [`urval_artifacts::setting`]): its keys
/// are the fields read; the others come from the step's extract settings and output or do
/// not apply to a pipeline.
#[derive(Debug, Clone, Deserialize)]
pub struct DrawJob {
    /// The plan file (its checksum goes into the sidecar).
    #[serde(deserialize_with = "setting::path")]
    pub plan: PathBuf,
    /// The PRN seed.
    pub seed: u64,
    /// The start in [0, 1).
    #[serde(default)]
    pub start: f64,
    /// `COL=VALUE`: draw only those strata.
    pub only: Option<String>,
    /// Columns copied into the manifest.
    #[serde(default, deserialize_with = "setting::names")]
    pub include: Vec<String>,
    /// The manifest: `.csv`, `.parquet` or `.xlsx`.
    #[serde(skip)]
    pub output: PathBuf,
    /// How a `.csv` manifest is written.
    #[serde(
        default = "setting::default::csv_dialect",
        deserialize_with = "setting::csv_dialect"
    )]
    pub csv_dialect: CsvDialect,
    /// The language of a spreadsheet manifest.
    #[serde(default = "setting::default::lang", deserialize_with = "setting::lang")]
    pub lang: Lang,
    /// Also write one manifest per value of this column into `out_dir`.
    #[serde(skip)]
    pub split_by: Option<String>,
    /// The directory of the `split_by` manifests.
    #[serde(skip)]
    pub out_dir: Option<PathBuf>,
    /// Columns whose values never appear in messages or quarantine files.
    #[serde(skip)]
    pub personal: Vec<String>,
    /// The column replaced by keyed pseudonyms.
    pub pseudonymize: Option<String>,
    /// The secret of the pseudonyms.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub secret_file: Option<PathBuf>,
    /// Rank bounds in standard deviations above n_h ([`BOUND_SDS`]).
    #[serde(skip, default = "bound_sds")]
    pub bound_sds: f64,
    /// The most rows that may be quarantined, as a share of the rows read.
    #[serde(skip)]
    pub max_quarantine: f64,
    /// A stage of a staged plan: 1, or 2 (only the records stage 2 adds).
    pub stage: Option<u32>,
    /// Stage 2: the stage-1 manifest, checked to be exactly this plan's first stage.
    #[serde(default, deserialize_with = "setting::opt_path")]
    pub previous: Option<PathBuf>,
    /// An indicators spec: every `split_by` package also gets a review template whose
    /// questions are its share indicators (as `urval review-template`).
    #[serde(skip)]
    pub spec: Option<PathBuf>,
    /// The letters of the `split_by` packages: purpose, case number, sender, date and
    /// deadline (a case number or deadline not given is a blank to fill in).
    #[serde(skip)]
    pub letter: PackageLetter,
}

fn bound_sds() -> f64 {
    BOUND_SDS
}

/// The records a second stage adds when it has a seed of its own (derived from a fresh
/// commitment and fresh randomness, [`crate::commitment`]): per stratum the
/// n_h − n_stage1 records with the smallest ranks under the new seed among those not in
/// stage 1 (`previous`: strata values and key as the stage-1 manifest lists them, the key
/// through `pseudonym`). `full` is the draw of the full plan (n_h per stratum) with the new
/// seed: at most n_stage1 of its n_h records are stage 1's, so it holds the n_h − n_stage1
/// wanted. Stage 1 is a simple random sample of n_stage1, and these, drawn with ranks
/// independent of it, a simple random sample of the rest: together a simple random sample
/// of n_h (sequential selection without replacement).
pub fn fresh_second_stage(
    plan: &PlanFile,
    full: DrawResult,
    previous: &std::collections::BTreeSet<(Vec<String>, String)>,
    pseudonym: &dyn Fn(String) -> String,
) -> DrawResult {
    let values = plan.strata_values();
    let mut selected = Vec::with_capacity(full.selected.len());
    for (s, mut rows) in full.selected.into_iter().enumerate() {
        let n2 = plan.strata[s]
            .n
            .saturating_sub(plan.strata[s].n_stage1.unwrap_or(plan.strata[s].n))
            as usize;
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.key.cmp(&b.key)));
        let mut rest: Vec<Selected> = rows
            .into_iter()
            .filter(|c| {
                let k = pseudonym(String::from_utf8_lossy(&c.key).into_owned());
                !previous.contains(&(values[s].clone(), k))
            })
            .take(n2)
            .collect();
        rest.sort_by(|a, b| a.key.cmp(&b.key));
        selected.push(rest);
    }
    DrawResult {
        selected,
        in_scope: full.in_scope,
        scan: full.scan,
        outside_only: full.outside_only,
    }
}

/// The records a manifest lists, as (strata values, key).
///
/// # Errors
/// The manifest cannot be read, or lists a record twice.
pub fn listed_records(
    manifest: &Path,
    plan: &PlanFile,
) -> Result<std::collections::BTreeSet<(Vec<String>, String)>> {
    let rows = crate::manifest::manifest_rows(manifest, &plan.key, &plan.strata_columns)?;
    let n = rows.len();
    let set: std::collections::BTreeSet<_> = rows.into_iter().map(|r| (r.values, r.key)).collect();
    if set.len() != n {
        return Err(DrawError::ListedTwice {
            manifest: manifest.to_path_buf(),
        }
        .into());
    }
    Ok(set)
}

/// The fields of a package's letter.
#[derive(Debug, Clone, Default)]
pub struct PackageLetter {
    /// The purpose in words.
    pub purpose: Option<String>,
    /// The case number.
    pub case_number: Option<String>,
    /// The sender.
    pub sender: Option<String>,
    /// The date, `YYYY-MM-DD` (default: today in Sweden).
    pub date: Option<String>,
    /// The deadline, `YYYY-MM-DD`.
    pub deadline: Option<String>,
}

/// A field of a package's letter not given: a line to fill in.
pub const BLANK: &str = "____________________";

/// Split a draw of the full plan into its stages: per stratum the n_stage1 records with the
/// smallest ranks (ties by key, the draw's own order) are stage 1, the rest stage 2 — the
/// nesting permanent random numbers give: stage 1 is exactly what a draw of n_stage1 selects.
pub fn split_stages(plan: &PlanFile, result: DrawResult) -> (DrawResult, DrawResult) {
    let mut first = Vec::with_capacity(result.selected.len());
    let mut second = Vec::with_capacity(result.selected.len());
    for (s, mut rows) in result.selected.into_iter().enumerate() {
        let n1 = plan.strata[s].n_stage1.unwrap_or(plan.strata[s].n) as usize;
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.key.cmp(&b.key)));
        let mut rest = rows.split_off(n1.min(rows.len()));
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        rest.sort_by(|a, b| a.key.cmp(&b.key));
        first.push(rows);
        second.push(rest);
    }
    let scan = ScanOutput {
        results: Vec::new(),
        files: result.scan.files.clone(),
        quarantine: result.scan.quarantine.clone(),
    };
    (
        DrawResult {
            selected: first,
            in_scope: result.in_scope.clone(),
            scan,
            outside_only: result.outside_only,
        },
        DrawResult {
            selected: second,
            in_scope: result.in_scope,
            scan: result.scan,
            outside_only: result.outside_only,
        },
    )
}

/// Check that `previous` is exactly the first stage of this draw (stratum and key of every
/// record; `pseudonym` maps a key as the manifest writes it).
///
/// # Errors
/// The manifest cannot be read, or differs: the first differing record is named (its key
/// masked when personal).
pub fn check_previous(
    previous: &Path,
    plan: &PlanFile,
    first: &DrawResult,
    pseudonym: &dyn Fn(String) -> String,
    key_is_personal: bool,
) -> Result<()> {
    let expected: std::collections::BTreeSet<(Vec<String>, String)> = selection_set(plan, first)
        .into_keys()
        .map(|(v, k)| (v, pseudonym(k)))
        .collect();
    let rows = crate::manifest::manifest_rows(previous, &plan.key, &plan.strata_columns)?;
    let found: std::collections::BTreeSet<(Vec<String>, String)> = rows
        .iter()
        .map(|r| (r.values.clone(), r.key.clone()))
        .collect();
    if found.len() != rows.len() {
        return Err(DrawError::PreviousListedTwice {
            previous: previous.to_path_buf(),
        }
        .into());
    }
    let shown = |k: &str| {
        if key_is_personal {
            urval_ingest::PERSONAL_MASK.to_string()
        } else {
            k.to_string()
        }
    };
    let missing = expected.difference(&found).next();
    let extra = found.difference(&expected).next();
    let first_diff = match (missing, extra) {
        (Some(m), Some(e)) => Some(if m <= e { (m, true) } else { (e, false) }),
        (Some(m), None) => Some((m, true)),
        (None, Some(e)) => Some((e, false)),
        (None, None) => None,
    };
    if let Some(((values, key), is_missing)) = first_diff {
        let row = rows
            .iter()
            .find(|r| &r.key == key && &r.values == values)
            .map(|r| r.row);
        return Err(DrawError::NotTheFirstStage {
            previous: previous.to_path_buf(),
            key: shown(key),
            values: values.clone(),
            row,
            in_first_stage: is_missing,
        }
        .into());
    }
    Ok(())
}

/// A finished draw.
#[derive(Debug)]
pub struct Drawn {
    /// The sidecar as written.
    pub sidecar: DrawSidecar,
    /// Where it was written.
    pub sidecar_path: PathBuf,
    /// The quarantine file, when rows were quarantined.
    pub quarantine_file: Option<PathBuf>,
    /// Used rows outside `only`.
    pub outside_only: u64,
    /// The `--split-by` values whose file is not named after the value alone, with their
    /// file names: a Windows device name (`CON` → `_CON.csv`) or a value that differs from
    /// another only in case (`motala` → `motala_2` beside `Motala`).
    pub renamed_parts: Vec<(String, String)>,
    /// The packages of `--split-by`, one per value.
    pub packages: Vec<Package>,
}

/// The files of one package of `--split-by` in its folder `DIR/NAME/`: the list as
/// `.xlsx` (carrying its sidecar and the plan in a hidden sheet) and as `.csv` (with its
/// sidecar `….csv.draw.json` beside it), the plan, and the letter; named in the draw's
/// language (`urval-0180.xlsx`, `brev-0180.html`; `sample-0180.xlsx`, `letter-0180.html`).
#[derive(Debug, Clone)]
pub struct PackageFiles {
    /// The list as a workbook.
    pub xlsx: String,
    /// The list as CSV.
    pub csv: String,
    /// The letter (the report for this part alone).
    pub letter: String,
    /// The review template (when the draw is given a spec).
    pub review: String,
    /// The name the letter gives the receiver's own extract in the verify command.
    pub own_extract: String,
}

impl PackageFiles {
    /// The files of the package `name` in `lang`.
    pub fn new(name: &str, lang: Lang) -> Self {
        let (list, letter, review, own) = match lang {
            Lang::Sv => ("urval", "brev", "granskning", "uttag.csv"),
            Lang::En => ("sample", "letter", "review", "extract.csv"),
        };
        PackageFiles {
            xlsx: format!("{list}-{name}.xlsx"),
            csv: format!("{list}-{name}.csv"),
            letter: format!("{letter}-{name}.html"),
            review: format!("{review}-{name}.xlsx"),
            own_extract: own.to_string(),
        }
    }

    /// The command that verifies the package's list, run in its folder with the receiver's
    /// own extract saved there under [`PackageFiles::own_extract`]: the seed, the plan and
    /// the part come from the list itself.
    pub fn verify_command(&self) -> String {
        format!(
            "urval verify --manifest {} --extract {}",
            crate::text::shell_quote(&self.xlsx),
            self.own_extract
        )
    }
}

/// A package written by `--split-by`.
#[derive(Debug, Clone)]
pub struct Package {
    /// The value of the split column.
    pub value: String,
    /// `COL=VALUE`.
    pub part: String,
    /// Its folder.
    pub folder: PathBuf,
    /// Its files.
    pub files: PackageFiles,
}

/// Whether the packages of `--split-by COL` are whole strata (COL is a strata column).
pub fn sidecar_for_part(plan: &PlanFile, col: Option<&str>) -> bool {
    col.is_some_and(|c| plan.strata_columns.iter().any(|s| s == c))
}

/// Parse `COL=VALUE`.
pub fn parse_only(s: &str, plan: &PlanFile) -> Result<(String, String)> {
    let Some((c, v)) = s.split_once('=') else {
        return Err(DrawError::OnlyShape {
            given: s.to_string(),
        }
        .into());
    };
    let (c, v) = (c.trim().to_string(), v.trim().to_string());
    if !plan.strata_columns.contains(&c) {
        return Err(DrawError::OnlyNotAStrataColumn {
            column: c,
            strata_columns: plan.strata_columns.clone(),
        }
        .into());
    }
    if !plan.strata.iter().any(|s| s.values.get(&c) == Some(&v)) {
        return Err(DrawError::OnlyNoStratum {
            column: c,
            value: v,
        }
        .into());
    }
    Ok((c, v))
}

/// How many standard deviations above n_h the per-stratum rank bounds sit (see
/// [`urval_sample::rank_bound`]); a stratum left short is drawn again without a bound.
pub const BOUND_SDS: f64 = 6.0;

/// Draw from an extract with a plan. Checks that the extract is the one planned for: the
/// same N_h and the same keys per stratum (order-independent fingerprints).
///
/// Ranks above a per-stratum bound set from the plan's N_h are rejected at once, so each
/// chunk keeps only a handful of candidates; in the rare case (about 10⁻⁹ per stratum) that
/// fewer than n_h records fall under the bound, the draw is repeated without bounds. The
/// result is the exact bottom-n_h either way.
pub fn draw(
    extract: &Extract,
    plan: &PlanFile,
    req: &DrawRequest,
    bound_sds: f64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DrawResult> {
    let result = draw_bounded(extract, plan, req, Some(bound_sds), progress)?;
    let short = plan
        .strata
        .iter()
        .zip(&result.selected)
        .zip(&result.in_scope)
        .any(|((s, sel), &scope)| scope && (sel.len() as u64) < s.n);
    if short {
        tracing::info!("a stratum fell short of its rank bound; drawing again without bounds");
        return draw_bounded(extract, plan, req, None, progress);
    }
    Ok(result)
}

/// What to draw: the seed and start of the PRNs, the strata (`--only`), the columns to copy
/// and the personal columns.
pub struct DrawRequest<'a> {
    /// The PRN seed.
    pub seed: u64,
    /// The start in [0, 1).
    pub start: f64,
    /// Only the strata with COL=VALUE.
    pub only: Option<&'a (String, String)>,
    /// Columns copied into the manifest.
    pub include: &'a [String],
    /// Columns whose values never appear in messages or quarantine rows.
    pub personal: &'a [String],
}

/// The strata a draw takes (`--only`), and per stratum its quota (0 outside them) and its
/// rank bound (`sds` standard deviations above n_h, or none).
struct Quotas {
    in_scope: Vec<bool>,
    quotas: Vec<u64>,
    bounds: Vec<u64>,
}

impl Quotas {
    fn of(plan: &PlanFile, only: Option<&(String, String)>, sds: Option<f64>) -> Quotas {
        let in_scope: Vec<bool> = plan
            .strata
            .iter()
            .map(|s| only.is_none_or(|(c, v)| s.values.get(c) == Some(v)))
            .collect();
        let quotas = plan
            .strata
            .iter()
            .zip(&in_scope)
            .map(|(s, &i)| if i { s.n } else { 0 })
            .collect();
        let bounds = plan
            .strata
            .iter()
            .map(|s| sds.map_or(u64::MAX, |sds| rank_bound(s.n, s.population, sds)))
            .collect();
        Quotas {
            in_scope,
            quotas,
            bounds,
        }
    }
}

/// The columns a draw reads (the key, the strata, the `--include` columns) and the same row
/// checks as the plan's, so the same rows count.
fn draw_spec(plan: &PlanFile, include: &[String], personal: &[String]) -> Result<ScanSpec> {
    let mut spec = ScanSpec::new(&plan.key, &plan.strata_columns);
    spec.extra = include.to_vec();
    spec.personal = personal.to_vec();
    spec.nonnegative = plan.pages_column.iter().cloned().collect();
    if let Some(w) = &plan.where_ {
        spec.filter = Some(Filter::parse(w)?);
    }
    spec.checks = crate::files::parse_checks(&plan.checks)?;
    Ok(spec)
}

/// What every scan unit of a draw folds its rows with.
struct DrawFold<'a> {
    /// The strata in `--only`.
    in_scope: &'a [bool],
    /// The `--include` columns.
    include: &'a [String],
    /// The PRN seed.
    seed: u64,
    /// The start, as [`start53`].
    s53: u64,
}

/// One scan unit's candidates, counts and keys' fingerprints per stratum.
struct DrawState {
    mapper: StrataMapper,
    bk: BottomK<Vec<String>>,
    counts: Vec<u64>,
    fingerprints: Vec<u128>,
    not_in_plan: u64,
    not_in_plan_example: Option<String>,
    outside_only: u64,
    ids: Vec<u32>,
}

impl DrawState {
    fn new(mapper: StrataMapper, q: &Quotas) -> DrawState {
        let h = q.quotas.len();
        DrawState {
            mapper,
            bk: BottomK::with_bounds(&q.quotas, &q.bounds),
            counts: vec![0; h],
            fingerprints: vec![0; h],
            not_in_plan: 0,
            not_in_plan_example: None,
            outside_only: 0,
            ids: Vec::new(),
        }
    }

    /// Count a batch's rows per stratum and offer each its rank: a row of a stratum the plan
    /// lacks is counted (the first named), one outside `--only` only counted.
    fn fold(&mut self, batch: &Batch, f: &DrawFold) -> std::result::Result<(), IngestError> {
        let mut ids = std::mem::take(&mut self.ids);
        self.mapper
            .map_batch(batch, &mut ids)
            .map_err(|e| IngestError::Row {
                path: batch.path.to_path_buf(),
                row: 0,
                reason: e.to_string(),
            })?;
        // An --include column that cannot be printed is refused by name, never written as
        // empty cells.
        let include_cols: Vec<TextCol> = batch
            .extra
            .iter()
            .zip(f.include)
            .map(|(a, name)| {
                TextCol::from_array(a).ok_or_else(|| IngestError::UnreadableColumn {
                    path: batch.path.to_path_buf(),
                    name: name.clone(),
                    data_type: a.data_type().to_string(),
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        for (i, &r) in batch.rows.iter().enumerate() {
            let r = r as usize;
            let s = ids[i];
            if s == UNKNOWN {
                self.not_in_plan += 1;
                if self.not_in_plan_example.is_none() {
                    let vals: Vec<&str> = batch
                        .strata
                        .iter()
                        .map(|c| c.get(r).unwrap_or(""))
                        .collect();
                    self.not_in_plan_example = Some(format!(
                        "{}, row {}: {}",
                        batch.path.display(),
                        batch.row_number(r),
                        vals.join(", ")
                    ));
                }
                continue;
            }
            let s = s as usize;
            if !f.in_scope[s] {
                self.outside_only += 1;
                continue;
            }
            let key = batch.key_at(r);
            self.counts[s] += 1;
            self.fingerprints[s] =
                self.fingerprints[s].wrapping_add(crate::fingerprint::key_hash(key.as_bytes()));
            let rk = rank(prn53(f.seed, key.as_bytes()), f.s53);
            if self.bk.may_enter(s, rk) {
                let payload = include_cols
                    .iter()
                    .map(|c| c.get(r).unwrap_or("").to_string())
                    .collect();
                self.bk.offer(
                    s,
                    Candidate {
                        rank: rk,
                        key: key.as_bytes().into(),
                        payload,
                    },
                );
            }
        }
        self.ids = ids;
        Ok(())
    }
}

/// The units' states merged in unit order (the same offers in the same order whatever the
/// thread count).
struct DrawMerged {
    bk: BottomK<Vec<String>>,
    counts: Vec<u64>,
    fingerprints: Vec<u128>,
    not_in_plan: u64,
    example: Option<String>,
    outside_only: u64,
}

impl DrawMerged {
    fn new(quotas: &[u64]) -> DrawMerged {
        DrawMerged {
            bk: BottomK::new(quotas),
            counts: vec![0; quotas.len()],
            fingerprints: vec![0; quotas.len()],
            not_in_plan: 0,
            example: None,
            outside_only: 0,
        }
    }

    fn absorb(&mut self, st: DrawState) {
        self.bk.merge(st.bk);
        for s in 0..self.counts.len() {
            self.counts[s] += st.counts[s];
            self.fingerprints[s] = self.fingerprints[s].wrapping_add(st.fingerprints[s]);
        }
        self.not_in_plan += st.not_in_plan;
        if self.example.is_none() {
            self.example = st.not_in_plan_example;
        }
        self.outside_only += st.outside_only;
    }

    /// Refuse an extract that is not the one planned for: rows of strata the plan lacks, or
    /// a stratum in scope whose N or keys (its fingerprint) differ from the plan's.
    fn check_unchanged(&self, plan: &PlanFile, in_scope: &[bool]) -> Result<()> {
        if self.not_in_plan > 0 {
            return Err(DrawError::StrataNotInPlan {
                rows: self.not_in_plan,
                first: self.example.clone().unwrap_or_default(),
            }
            .into());
        }
        for (s, ps) in plan.strata.iter().enumerate() {
            if !in_scope[s] {
                continue;
            }
            if self.counts[s] != ps.population {
                return Err(DrawError::PopulationChanged {
                    stratum: describe(&ps.values, &plan.strata_columns),
                    now: self.counts[s],
                    planned: ps.population,
                }
                .into());
            }
            // An empty fingerprint: a stratum that hides too few keys to record one
            // (plan::MIN_FINGERPRINT_N).
            if !ps.fingerprint.is_empty()
                && hex128(crate::fingerprint::commit(
                    plan.version,
                    self.fingerprints[s],
                )) != ps.fingerprint
            {
                return Err(DrawError::KeysChanged {
                    stratum: describe(&ps.values, &plan.strata_columns),
                    population: self.counts[s],
                }
                .into());
            }
        }
        Ok(())
    }

    /// Each stratum's sample in key order, the strata on all cores.
    fn into_selected(mut self) -> Vec<Vec<Candidate<Vec<String>>>> {
        (0..self.counts.len())
            .map(|s| self.bk.take_stratum(s))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|mut v| {
                // Equal keys have equal ranks (a rank is a hash of its key), so the one stable
                // sort by key orders them as `into_sorted` and a sort by key did before.
                v.sort_by(|a, b| a.key.cmp(&b.key));
                v
            })
            .collect()
    }
}

/// [`draw`] with rank bounds `sds` standard deviations above n_h, or none.
pub fn draw_bounded(
    extract: &Extract,
    plan: &PlanFile,
    req: &DrawRequest,
    sds: Option<f64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DrawResult> {
    let (q, merged, scan) = scan_draw(extract, plan, req, sds, progress)?;
    merged.check_unchanged(plan, &q.in_scope)?;
    let outside_only = merged.outside_only;
    Ok(DrawResult {
        selected: merged.into_selected(),
        in_scope: q.in_scope,
        scan,
        outside_only,
    })
}

/// The draw's pass over the extract: every unit's candidates, counts and fingerprints merged.
fn scan_draw(
    extract: &Extract,
    plan: &PlanFile,
    req: &DrawRequest,
    sds: Option<f64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Quotas, DrawMerged, ScanOutput<()>)> {
    let q = Quotas::of(plan, req.only, sds);
    let template = StrataMapper::fixed(&plan.strata_columns, &plan.strata_values())?;
    let spec = draw_spec(plan, req.include, req.personal)?;
    let fold = DrawFold {
        in_scope: &q.in_scope,
        include: req.include,
        seed: req.seed,
        s53: start53(req.start),
    };
    // Each unit's candidates merged as soon as it and every unit before it are done (in
    // unit order, so the same offers in the same order whatever the thread count), while
    // later units are still being read: no merge is left for after the scan.
    let (
        merged,
        ScanOutput {
            files, quarantine, ..
        },
    ) = scan_ordered(
        extract,
        &spec,
        || DrawState::new(template.clone(), &q),
        |st, batch| st.fold(batch, &fold),
        || DrawMerged::new(&q.quotas),
        |merged, st: DrawState| {
            merged.absorb(st);
            Ok(())
        },
        progress,
    )?;
    let scan = ScanOutput {
        results: Vec::new(),
        files,
        quarantine,
    };
    Ok((q, merged, scan))
}

/// One part of a draw: the draw of one piece of an extract that is read in pieces
/// elsewhere (a partition of a distributed data frame), to be merged with the others by
/// [`merge_parts`]. Per stratum it holds the piece's n_h candidates of smallest rank (the
/// records of the whole draw that lie in the piece are among them: order sampling merges
/// exactly), its records counted and the sum of their keys' hashes (for the plan's checks),
/// and the piece's rows as read, used, excluded and quarantined. It is plain data (serde),
/// to travel between processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawPart {
    /// Per plan stratum: (rank, key, included values) of the piece's candidates.
    pub candidates: Vec<Vec<(u64, String, Vec<String>)>>,
    /// Per plan stratum: the piece's records.
    pub counts: Vec<u64>,
    /// Per plan stratum: the wrapping sum of the piece's key hashes, hex.
    pub fingerprints: Vec<String>,
    /// Rows of strata the plan does not have, and the first of them.
    pub not_in_plan: (u64, Option<String>),
    /// Rows outside the draw's `only`.
    pub outside_only: u64,
    /// Rows read, used, excluded and quarantined.
    pub rows: [u64; 4],
    /// The quarantined rows: (row within the piece, reason, the row as read).
    pub quarantine: Vec<(u64, String, String)>,
}

/// The draw of one piece of an extract, as a [`DrawPart`] (no rank bounds: every stratum
/// keeps its n_h smallest ranks, so the merge is exact whatever the pieces).
///
/// # Errors
/// As [`draw`], but for the plan's checks of the whole extract (done by [`merge_parts`]).
pub fn draw_part(extract: &Extract, plan: &PlanFile, req: &DrawRequest) -> Result<DrawPart> {
    let (_, mut merged, scan) = scan_draw(extract, plan, req, None, &|_| {})?;
    let t = scan.totals();
    let candidates = (0..merged.counts.len())
        .map(|s| {
            merged
                .bk
                .take_stratum(s)
                .into_iter()
                .map(|c| {
                    let key = String::from_utf8_lossy(&c.key).into_owned();
                    (c.rank, key, c.payload)
                })
                .collect()
        })
        .collect();
    Ok(DrawPart {
        candidates,
        counts: merged.counts,
        fingerprints: merged.fingerprints.iter().map(|f| hex128(*f)).collect(),
        not_in_plan: (merged.not_in_plan, merged.example),
        outside_only: merged.outside_only,
        rows: [
            t.rows_read,
            t.rows_used,
            t.rows_excluded,
            t.rows_quarantined,
        ],
        quarantine: scan
            .quarantine
            .into_iter()
            .map(|q| (q.row, q.reason, q.raw))
            .collect(),
    })
}

/// The draw of a whole extract from the [`DrawPart`]s of its pieces, in the order given:
/// per stratum the n_h smallest ranks among every part's candidates (ties by key), exactly
/// [`draw`]'s records on the whole extract; the plan's checks (every row in a planned
/// stratum, each stratum's N and keys as planned) on the merged counts. The scan's counts
/// are one file's, the pieces' rows summed; quarantined rows keep their piece's row numbers.
///
/// # Errors
/// Parts of another plan (a different number of strata), a fingerprint that is not hex, or
/// an extract that is not the one planned for.
pub fn merge_parts(plan: &PlanFile, req: &DrawRequest, parts: Vec<DrawPart>) -> Result<DrawResult> {
    let q = Quotas::of(plan, req.only, None);
    let mut merged = DrawMerged::new(&q.quotas);
    let mut rows = urval_ingest::FileCounts::default();
    let mut quarantine = Vec::new();
    for part in parts {
        let h = q.quotas.len();
        if part.candidates.len() != h || part.counts.len() != h || part.fingerprints.len() != h {
            return Err(DrawError::PartStrata {
                part: part.counts.len(),
                plan: h,
            }
            .into());
        }
        for (s, cands) in part.candidates.into_iter().enumerate() {
            for (rank, key, payload) in cands {
                merged.bk.offer(
                    s,
                    Candidate {
                        rank,
                        key: key.into_bytes().into(),
                        payload,
                    },
                );
            }
            merged.counts[s] += part.counts[s];
            let f = u128::from_str_radix(&part.fingerprints[s], 16).map_err(|_| {
                DrawError::PartFingerprint {
                    fingerprint: part.fingerprints[s].clone(),
                }
            })?;
            merged.fingerprints[s] = merged.fingerprints[s].wrapping_add(f);
        }
        merged.not_in_plan += part.not_in_plan.0;
        if merged.example.is_none() {
            merged.example = part.not_in_plan.1;
        }
        merged.outside_only += part.outside_only;
        rows.add_piece(part.rows, part.quarantine, &mut quarantine);
    }
    merged.check_unchanged(plan, &q.in_scope)?;
    let outside_only = merged.outside_only;
    Ok(DrawResult {
        selected: merged.into_selected(),
        in_scope: q.in_scope,
        scan: ScanOutput {
            results: Vec::new(),
            files: vec![rows],
            quarantine,
        },
        outside_only,
    })
}

/// The selection of a draw as (stratum values, key) pairs, for comparisons.
pub fn selection_set(plan: &PlanFile, result: &DrawResult) -> BTreeMap<(Vec<String>, String), ()> {
    let values = plan.strata_values();
    let mut out = BTreeMap::new();
    for (s, rows) in result.selected.iter().enumerate() {
        if !result.in_scope[s] {
            continue;
        }
        for c in rows {
            out.insert(
                (
                    values[s].clone(),
                    String::from_utf8_lossy(&c.key).into_owned(),
                ),
                (),
            );
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::BTreeSet;

    /// The golden four-area plan (aldre, barn_unga, funktionshinder, missbruk).
    pub(crate) fn plan() -> PlanFile {
        PlanFile::parse(
            &include_str!("../../../sample-data/golden/plan-area.json")
                // The golden file leaves out what differs from run to run.
                .replace(
                    "\"checks\": [],",
                    "\"checks\": [], \"created\": \"2026-12-07T00:00:00Z\", \"urval_version\": \"0\",",
                )
                .replace("\"format\": \"csv\",", "\"format\": \"csv\", \"path\": \"arenden.csv\","),
            "plan-area.json",
        )
        .unwrap()
    }

    fn cand(rank: u64, key: &str) -> Selected {
        Selected {
            rank,
            key: key.as_bytes().into(),
            payload: Vec::new(),
        }
    }

    fn result(selected: Vec<Vec<Selected>>) -> DrawResult {
        DrawResult {
            in_scope: vec![true; selected.len()],
            selected,
            scan: ScanOutput {
                results: Vec::new(),
                files: Vec::new(),
                quarantine: Vec::new(),
            },
            outside_only: 0,
        }
    }

    fn keys(rows: &[Selected]) -> Vec<String> {
        rows.iter()
            .map(|c| String::from_utf8_lossy(&c.key).into_owned())
            .collect()
    }

    #[test]
    fn only_without_an_equals_sign_says_the_form_it_takes() {
        let e = parse_only("area", &plan()).unwrap_err().to_string();
        assert_eq!(e, "--only takes COL=VALUE, got \"area\"");
    }

    #[test]
    fn only_names_the_strata_columns_when_the_column_is_not_one() {
        let e = parse_only("kommun=0180", &plan()).unwrap_err().to_string();
        assert_eq!(
            e,
            "--only: \"kommun\" is not a strata column of the plan (area)"
        );
        let e = parse_only("area=ärende", &plan()).unwrap_err().to_string();
        assert_eq!(e, "--only: no stratum of the plan has area=ärende");
    }

    #[test]
    fn draw_errors_are_typed_with_their_fields() {
        let e = parse_only("kommun=0180", &plan()).unwrap_err();
        assert!(
            matches!(
                e.typed::<DrawError>(),
                Some(DrawError::OnlyNotAStrataColumn { column, strata_columns })
                    if column == "kommun" && strata_columns == &["area".to_string()]
            ),
            "{e:?}"
        );
        let e = parse_only("area=ärende", &plan()).unwrap_err();
        assert!(
            matches!(
                e.typed::<DrawError>(),
                Some(DrawError::OnlyNoStratum { column, value }) if column == "area" && value == "ärende"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn only_trims_spaces_around_column_and_value() {
        assert_eq!(
            parse_only(" area = missbruk ", &plan()).unwrap(),
            ("area".to_string(), "missbruk".to_string())
        );
    }

    #[test]
    fn split_stages_gives_stage_one_the_smallest_ranks_and_stage_two_the_rest() {
        let mut p = plan();
        p.strata.truncate(2);
        p.strata[0].n = 4;
        p.strata[0].n_stage1 = Some(2);
        // Stratum 1 is not staged: all of it is stage 1.
        p.strata[1].n = 2;
        p.strata[1].n_stage1 = None;
        let r = result(vec![
            // Ties on rank 5 are broken by key: "b" before "d".
            vec![cand(9, "a"), cand(5, "d"), cand(5, "b"), cand(7, "c")],
            vec![cand(3, "y"), cand(1, "x")],
        ]);
        let (first, second) = split_stages(&p, r);
        assert_eq!(keys(&first.selected[0]), ["b", "d"]);
        assert_eq!(keys(&second.selected[0]), ["a", "c"]);
        assert_eq!(keys(&first.selected[1]), ["x", "y"]);
        assert!(second.selected[1].is_empty());
    }

    #[test]
    fn split_stages_over_many_draws_keeps_every_record_exactly_once() {
        let mut p = plan();
        p.strata.truncate(1);
        for n1 in 0..12u64 {
            p.strata[0].n_stage1 = Some(n1);
            // A pseudo-random permutation of ranks over 10 records.
            let rows: Vec<Selected> = (0..10u64)
                .map(|i| cand((i * 7 + n1) % 10, &format!("k{i}")))
                .collect();
            let all: BTreeSet<String> = keys(&rows).into_iter().collect();
            let (first, second) = split_stages(&p, result(vec![rows]));
            let (a, b) = (keys(&first.selected[0]), keys(&second.selected[0]));
            assert_eq!(a.len() as u64, n1.min(10));
            assert_eq!(a.len() + b.len(), 10);
            let mut sorted = a.clone();
            sorted.sort();
            assert_eq!(a, sorted, "stage 1 is sorted by key");
            let union: BTreeSet<String> = a.into_iter().chain(b).collect();
            assert_eq!(union, all);
        }
    }

    #[test]
    fn a_fresh_second_stage_skips_stage_one_records_and_takes_n_minus_n_stage1() {
        let mut p = plan();
        p.strata.truncate(1);
        p.strata[0].n = 3;
        p.strata[0].n_stage1 = Some(1);
        let full = result(vec![vec![
            cand(4, "d"),
            cand(1, "a"),
            cand(2, "b"),
            cand(3, "c"),
        ]]);
        // Stage 1 listed "b" (as its pseudonym "B").
        let previous: BTreeSet<(Vec<String>, String)> =
            [(vec!["aldre".to_string()], "B".to_string())].into();
        let upper = |k: String| k.to_uppercase();
        let second = fresh_second_stage(&p, full, &previous, &upper);
        // n − n_stage1 = 2 records: the smallest ranks that are not "b".
        assert_eq!(keys(&second.selected[0]), ["a", "c"]);
    }

    #[test]
    fn package_files_are_named_in_the_draws_language() {
        let sv = PackageFiles::new("0180", Lang::Sv);
        assert_eq!(sv.xlsx, "urval-0180.xlsx");
        assert_eq!(sv.csv, "urval-0180.csv");
        assert_eq!(sv.letter, "brev-0180.html");
        assert_eq!(sv.review, "granskning-0180.xlsx");
        assert_eq!(
            sv.verify_command(),
            "urval verify --manifest urval-0180.xlsx --extract uttag.csv"
        );
        let en = PackageFiles::new("0180", Lang::En);
        assert_eq!(en.letter, "letter-0180.html");
        assert_eq!(
            en.verify_command(),
            "urval verify --manifest sample-0180.xlsx --extract extract.csv"
        );
    }

    #[test]
    fn only_a_strata_column_makes_whole_strata_packages() {
        let p = plan();
        assert!(sidecar_for_part(&p, Some("area")));
        assert!(!sidecar_for_part(&p, Some("handläggare")));
        assert!(!sidecar_for_part(&p, None));
    }

    #[test]
    fn quotas_leave_the_strata_outside_only_empty_and_bound_every_stratum() {
        let p = plan();
        let only = ("area".to_string(), "barn_unga".to_string());
        let q = Quotas::of(&p, Some(&only), Some(BOUND_SDS));
        assert_eq!(q.in_scope, [false, true, false, false]);
        assert_eq!(q.quotas, [0, 361, 0, 0]);
        for (b, s) in q.bounds.iter().zip(&p.strata) {
            assert_eq!(*b, rank_bound(s.n, s.population, BOUND_SDS));
        }
        let q = Quotas::of(&p, None, None);
        assert_eq!(q.quotas, [365, 361, 351, 341]);
        assert_eq!(q.bounds, [u64::MAX; 4]);
    }

    #[test]
    fn an_extract_that_changed_since_the_plan_is_refused_with_what_changed() {
        let p = plan();
        let in_scope = [true; 4];
        let mut m = DrawMerged::new(&[365, 361, 351, 341]);
        m.not_in_plan = 2;
        m.example = Some("x.csv, row 3: okänd".into());
        let e = m.check_unchanged(&p, &in_scope).unwrap_err().to_string();
        assert_eq!(e, "the extract changed since the plan: 2 rows belong to strata the plan does not have (first: x.csv, row 3: okänd)");
        let mut m = DrawMerged::new(&[365, 361, 351, 341]);
        m.counts = vec![7029, 5946, 4048, 2976];
        // Outside --only a stratum is not counted, so not checked.
        let e = m
            .check_unchanged(&p, &[false, false, false, true])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "the extract changed since the plan: stratum area=missbruk has N = 2976 now, the plan says 2977");
        // The same N with other keys: the fingerprint differs.
        let e = m.check_unchanged(&p, &in_scope).unwrap_err().to_string();
        assert_eq!(e, "the extract changed since the plan: stratum area=aldre has the same N = 7029 but other keys");
    }
}
