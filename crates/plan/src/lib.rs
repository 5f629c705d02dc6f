//! # urval-plan — planning a request
//!
//! What the analyst does before anything is drawn: [`plan()`] (one pass over the extract
//! for the population of every stratum, then the design math for one purpose or several,
//! with stages, a strata file or an attribute target) and the plan.json it writes;
//! [`purposes`] (several purposes sized together, the binding one named); [`stage`] (the
//! stage-wise decisions of a staged plan); [`strata_file`] (strata given as a file);
//! [`burden`] (records, pages and working days); [`parts`] (the census counted in pieces
//! elsewhere, a Spark partition each, and merged into the plan of the whole).
//!
//! It may use the artifacts ([`urval_artifacts`]), the design math and the extract reader;
//! it must not draw, review, write reports or print.

pub mod burden;
pub mod census;
pub mod parts;
pub mod plan;
pub mod plan_error;
pub mod proportion;
pub mod purposes;
pub mod small_area;
pub mod stage;
pub mod strata_file;

pub use plan::plan;
pub use plan_error::PlanError;
pub use urval_artifacts::{Context, OpsError, Result};
// The artifacts under the paths every room of the operations uses (`crate::files`, …).
pub(crate) use urval_artifacts::{artifacts, error, files, fingerprint, setting, table, text};
