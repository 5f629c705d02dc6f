//! The run manifest: what a run read, did and wrote (`run-manifest.json`), and what a run
//! returns.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The run manifest's file name.
pub const RUN_MANIFEST: &str = "run-manifest.json";

/// One input of a run: its path, size and checksum (none for a secret: a checksum of a
/// secret would let it be guessed offline).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// The path (inputs) or file name (outputs).
    pub path: String,
    /// Size in bytes (none for a secret).
    pub bytes: Option<u64>,
    /// XXH3-128 of the bytes (none for a secret).
    pub xxh3_128: Option<String>,
}

/// One step as run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunStep {
    /// `step 2 (draw → manifest.csv)`.
    pub step: String,
    /// The command.
    pub command: String,
    /// Seconds it took.
    pub seconds: f64,
    /// The extract's files with their row counts, when the step read one.
    pub files: Option<serde_json::Value>,
    /// The files it wrote.
    pub outputs: Vec<String>,
    /// What it found, in a line or two.
    pub summary: Vec<String>,
}

/// The run manifest (`run-manifest.json`), written last.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunManifest {
    /// Always `urval-run`.
    pub kind: String,
    /// [`RUN_MANIFEST_VERSION`].
    pub version: u32,
    /// The urval that ran.
    pub urval_version: String,
    /// The pipeline file.
    pub pipeline: String,
    /// Wall-clock start (UTC).
    pub started: String,
    /// Wall-clock end (UTC).
    pub finished: String,
    /// Seconds.
    pub seconds: f64,
    /// The time recorded in the outputs: the newest input's modification time.
    pub output_time: String,
    /// The inputs.
    pub inputs: Vec<RunFile>,
    /// The steps.
    pub steps: Vec<RunStep>,
    /// The outputs, by file name.
    pub outputs: Vec<RunFile>,
}

/// The run manifest version this build writes.
pub const RUN_MANIFEST_VERSION: u32 = 2;

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The outputs directory.
    pub outputs_dir: PathBuf,
    /// The run manifest as written.
    pub manifest: RunManifest,
}
