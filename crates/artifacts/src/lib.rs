//! # urval-artifacts — the files urval exchanges
//!
//! One definition of every file that passes between the analyst, the municipality and the
//! nightly batch, and of how urval writes files:
//!
//! - [`artifacts`]: plan.json ([`artifacts::PlanFile`]) and the draw sidecar
//!   ([`artifacts::DrawSidecar`]), read with their kind and version checked first;
//! - [`manifest`]: the manifest's layout, writer and reader, and the drawn records
//!   ([`manifest::DrawResult`]);
//! - [`commitment`]: commitments and the seed derived from randomness produced afterwards;
//! - [`fingerprint`]: the extract fingerprint per stratum;
//! - [`table`]: the indicator table's columns and marks;
//! - [`setting`]: how a pipeline step writes its command's settings (names, rates, named
//!   values), the forms the requests are read in;
//! - [`files`]: atomic writes, locks, the quarantine file, table readers, the time outputs
//!   record; [`text`]: the numbers and words the operations print.
//!
//! It may use the design math, the extract reader, the indicator spec and the report's
//! spreadsheet writer; it must not plan, draw, review or print. Errors are [`OpsError`], the
//! one error type of the operations (every operations crate returns it), holding a typed
//! error per room: this crate's [`ArtifactError`] and [`CommitmentError`], and each room's
//! own enum above it (see [`error`]).

pub mod artifacts;
pub mod commitment;
pub mod error;
pub mod files;
pub mod fingerprint;
pub mod manifest;
pub mod setting;
pub mod table;
pub mod text;

pub use error::{ArtifactError, CommitmentError, Context, OpsError, Result};
