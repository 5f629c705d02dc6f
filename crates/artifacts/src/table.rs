//! The indicator table's layout: the columns every table has, the column that marks a
//! withheld row, and the mark of a table written with every cell. One definition for the
//! writers (`urval indicators`), the report that reads a table back and the purposes
//! that take last year's table.

/// The mark of an output written with every cell (`--suppress-below 0`).
pub const NOT_FOR_PUBLICATION: &str = "not for publication";

/// The last column of a table written with a suppression threshold: `primary`,
/// `secondary` or empty. A table written with `--suppress-below 0` has none (and its
/// metadata says it is not for publication).
pub const SUPPRESSED: &str = "suppressed";

/// The columns of the indicators table after `indicator`, the group columns and `age_band`.
pub const TABLE_COLUMNS: [&str; 15] = [
    "n",
    "successes",
    "estimate",
    "lower",
    "upper",
    "se",
    "method",
    "deff",
    "skipped",
    "invalid",
    "kind",
    "level",
    "caution",
    "nonresponse",
    "missing_share",
];

/// The columns a table written with `--small-area COL` adds after [`TABLE_COLUMNS`] (and
/// before [`SUPPRESSED`]): the model-based complement of a share beside its direct
/// estimate, its interval, RMSE, the weight of the direct estimate and the model's name.
pub const MODEL_COLUMNS: [&str; 6] = [
    "model_estimate",
    "model_lower",
    "model_upper",
    "model_rmse",
    "shrinkage",
    "model",
];
