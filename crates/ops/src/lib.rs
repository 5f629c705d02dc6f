//! # urval-ops — the operations
//!
//! This room owns what urval *does* with an extract: [`plan()`] (one pass for the
//! population of every stratum, the design math, plan.json), [`package::draw_to_files`] (the
//! plan's records by permanent random numbers, the manifest and its sidecar),
//! [`verify::verify`] (recompute a draw and compare), [`indicators::indicators_to_files`]
//! (the indicators of a spec over a census or a weighted sample), [`report::report_to_file`],
//! [`validate::validate`], [`run::run`] (the nightly pipeline), and
//! the artifacts they exchange, one definition each ([`artifacts`], [`manifest`],
//! [`run::RunManifest`]). It must not print, exit, parse flags, change the working directory
//! or read the environment beyond `SOURCE_DATE_EPOCH`: the binary does that. Errors are
//! [`OpsError`]; long scans report rows through a `progress` callback.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use urval_ops::plan::{plan, PlanRequest};
//! let dir = tempfile::tempdir()?;
//! let csv = dir.path().join("cases.csv");
//! let mut text = String::from("id,area\n");
//! for i in 0..200 {
//!     text.push_str(&format!("{i},{}\n", if i % 4 == 0 { "aldre" } else { "barn" }));
//! }
//! std::fs::write(&csv, text)?;
//! let extract = urval_ingest::Extract::resolve(&[csv.display().to_string()], None)?;
//! let req = PlanRequest {
//!     key: "id".into(),
//!     strata: vec!["area".into()],
//!     where_: None,
//!     checks: vec![],
//!     margin: None,
//!     total: Some(40),
//!     confidence: 0.95,
//!     allocation: urval_design::AllocationMethod::Proportional,
//!     min: None,
//!     max: None,
//!     proportion: 0.5,
//!     pages_column: None,
//!     requested: None,
//!     personal: vec![],
//!     allow_duplicate_keys: false,
//!     rates: urval_design::BurdenRates::default(),
//!     max_quarantine: 0.01,
//!     output: dir.path().join("plan.json"),
//!     created: "2026-01-01T00:00:00Z".into(),
//!     stages: None,
//!     attribute: None,
//!     duplicate_memory: urval_ops::plan::DUPLICATE_MEMORY_HASHES,
//!     purposes: None,
//! };
//! let planned = plan(&extract, &req, &|_| {})?;
//! let n: Vec<u64> = planned.plan.strata.iter().map(|s| s.n).collect();
//! assert_eq!(n, vec![10, 30]); // aldre 50 of 200, barn 150: proportional
//!
//! // Draw the plan's 40 records with permanent random numbers, seed 7.
//! use urval_ops::draw::{DrawJob, BOUND_SDS};
//! use urval_ops::package::draw_to_files;
//! let job = DrawJob {
//!     plan: dir.path().join("plan.json"),
//!     seed: 7,
//!     start: 0.0,
//!     only: None,
//!     include: vec![],
//!     output: dir.path().join("manifest.csv"),
//!     csv_dialect: urval_report::xlsx::CsvDialect::Standard,
//!     lang: urval_report::Lang::Sv,
//!     split_by: None,
//!     out_dir: None,
//!     personal: vec![],
//!     pseudonymize: None,
//!     secret_file: None,
//!     bound_sds: BOUND_SDS,
//!     max_quarantine: 0.01,
//!     stage: None,
//!     previous: None,
//!     spec: None,
//!     letter: Default::default(),
//! };
//! let drawn = draw_to_files(&extract, &planned.plan, &job, &|_| {})?;
//! assert_eq!(drawn.sidecar.selected, 40);
//!
//! // Indicators over the full extract: the share of `aldre` cases, 50 of 200.
//! use urval_ops::indicators::{indicators_to_files, IndicatorsJob};
//! let spec = dir.path().join("spec.toml");
//! std::fs::write(&spec, "[[indicator]]\nname = 'aldre'\nkind = 'share'\nexpr = \"area = 'aldre'\"\n")?;
//! let table = indicators_to_files(&extract, &IndicatorsJob {
//!     spec,
//!     by: vec![],
//!     age_bands: None,
//!     age: "age".into(),
//!     key: None,
//!     manifest: None,
//!     where_: None,
//!     checks: vec![],
//!     ci: false,
//!     confidence: 0.95,
//!     output: dir.path().join("indicators.csv"),
//!     csv_dialect: urval_report::xlsx::CsvDialect::Standard,
//!     lang: urval_report::Lang::Sv,
//!     nonresponse: urval_indicators::estimate::Nonresponse::Bounds,
//!     allow_empty: false,
//!     personal: vec![],
//!     secret_file: None,
//!     max_quarantine: 0.01,
//!     max_groups: 1_000_000,
//!     suppress_below: 5,
//!     small_area: None,
//!     small_area_covariates: None,
//! }, &|_| {})?;
//! assert_eq!(table.rows[0].est.map(|e| e.estimate), Some(0.25));
//! # Ok(())
//! # }
//! ```

pub mod agreement;
pub mod applicable;
pub mod indicators;
pub mod package;
pub mod phase2;
pub mod report;
pub mod review;
pub mod review_error;
pub mod run;
#[cfg(feature = "schema")]
pub mod schema;
pub mod validate;

pub(crate) use urval_artifacts::error;
pub use urval_artifacts::{
    artifacts, commitment, files, fingerprint, manifest, setting, table, text,
};
pub use urval_artifacts::{ArtifactError, CommitmentError, Context, OpsError, Result};
pub use urval_draw::{draw, lists, overlap, verify};
/// The plan's census counted in pieces and merged ([`urval_plan::parts`]).
pub use urval_plan::parts as plan_parts;
pub use urval_plan::{burden, plan, purposes, small_area, stage, strata_file};
