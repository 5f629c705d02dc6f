//! JSON Schemas of the artifacts urval writes and reads (feature `schema`): the files in
//! `docs/reference/schema/` are these, checked by a test.

use crate::artifacts::{DrawSidecar, IndicatorsMeta, PlanFile};
use crate::commitment::Commitment;
use crate::run::RunManifest;

/// Every artifact's schema as `(file name, pretty JSON with a final newline)`, in a fixed
/// order.
#[must_use]
pub fn all() -> Vec<(&'static str, String)> {
    fn one<T: schemars::JsonSchema>() -> String {
        let schema = schemars::schema_for!(T);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    }
    vec![
        ("plan.schema.json", one::<PlanFile>()),
        ("draw-sidecar.schema.json", one::<DrawSidecar>()),
        ("indicators-meta.schema.json", one::<IndicatorsMeta>()),
        ("run-manifest.schema.json", one::<RunManifest>()),
        ("commitment.schema.json", one::<Commitment>()),
    ]
}
