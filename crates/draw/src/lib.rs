//! # urval-draw — the draw and its checks
//!
//! [`lists::draw_lists`] draws the plan's records by permanent random numbers (one pass,
//! bottom-k per stratum, staged and `--only` draws) and writes the manifest, its parts and
//! sidecars; [`verify::verify`] recomputes a draw from the other side's copy of the extract
//! and compares; [`overlap`] compares two draws' records.
//!
//! It may use the artifacts ([`urval_artifacts`]), the sampling kernel and the extract
//! reader; it must not plan, write letters or review templates (the package room of
//! `urval-ops` does, after the lists are written) or print.

pub mod draw;
pub mod draw_error;
pub mod lists;
pub mod overlap;
pub mod verify;

pub use draw_error::DrawError;
pub use urval_artifacts::{Context, OpsError, Result};
// The artifacts under the paths every room of the operations uses (`crate::files`, …).
pub(crate) use urval_artifacts::{
    artifacts, commitment, error, files, fingerprint, manifest, setting, text,
};
