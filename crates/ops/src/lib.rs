//! # urval-ops — the operations
//!
//! This room owns what urval *does* with an extract: [`plan()`] (one pass for the
//! population of every stratum, the design math, plan.json), draw (the plan's records by
//! permanent random numbers, the manifest and its sidecar), verify (recompute a draw and
//! compare), and the artifacts they exchange, one definition each ([`artifacts`]). It must
//! not print, exit, parse flags or read the environment beyond `SOURCE_DATE_EPOCH`: the
//! binary does that. Errors are [`OpsError`].
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
//! };
//! let planned = plan(&extract, &req, &|_| {})?;
//! let n: Vec<u64> = planned.plan.strata.iter().map(|s| s.n).collect();
//! assert_eq!(n, vec![10, 30]); // aldre 50 of 200, barn 150: proportional
//! # Ok(())
//! # }
//! ```

pub mod artifacts;
pub mod draw;
mod error;
pub mod files;
pub mod generate;
pub mod indicators;
pub mod manifest;
pub mod plan;
pub mod report;
pub mod run;
pub mod strata_file;
pub mod text;
pub mod validate;
pub mod verify;

pub use error::{Context, OpsError, Result};
pub use plan::plan;
