//! [`PlanError`]: what planning refuses, one variant per kind of failure, with what the
//! message names as fields. It converts into the operations' [`OpsError`] (as its `Room`
//! variant; [`OpsError::typed`] gives it back).

use std::path::PathBuf;
use std::sync::Arc;
use urval_artifacts::text::thousands;
use urval_artifacts::OpsError;

/// What planning a request refuses: the options, a purposes file, a strata or cost file,
/// an indicators table a purpose reads its shares from, the extract's strata and keys, and
/// a stage decision. Each message is one line (a few name what was found on further lines)
/// and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// `--stages` other than 1 or 2.
    #[error("stages {stages}: a plan has 1 or 2 stages")]
    BadStages {
        /// The number given.
        stages: u32,
    },
    /// `--first-fraction` or `--first-margin` without `--stages 2`.
    #[error("--first-fraction and --first-margin size the first of two stages: add --stages 2")]
    FirstStageWithoutStages,
    /// `--tolerable-rate` (or its companions) without `--stages 2`.
    #[error("--tolerable-rate plans two stages here: add --stages 2 (for one stage, `urval size --tolerable-rate` then `urval plan --total n`)")]
    TolerableRateWithoutStages,
    /// `--expected-rate` or `--max-first` without `--tolerable-rate`.
    #[error("--expected-rate and --max-first belong to an attribute plan: add --tolerable-rate")]
    AttributeOptionsWithoutTolerableRate,
    /// Both `--first-fraction` and `--first-margin`.
    #[error("give --first-fraction or --first-margin, not both")]
    FirstFractionAndMargin,
    /// A first stage given to an attribute plan, which sizes both stages itself;
    /// `named_flag` says whether the message names `--tolerable-rate` (the staging options
    /// checked) or not (a request built without them).
    #[error(
        "--first-fraction and --first-margin size the first stage of a share: an attribute plan{} sizes both stages itself",
        if *.named_flag { " (--tolerable-rate)" } else { "" }
    )]
    FirstStageOfAttribute {
        /// Whether the message names `--tolerable-rate`.
        named_flag: bool,
    },
    /// An allocation option given to an attribute plan.
    #[error("--tolerable-rate spreads the plan's records over the strata in proportion to N_h: leave out --allocation, --min and --max")]
    AttributeAllocation,
    /// Not exactly one of `--margin`, `--total` and `--tolerable-rate`.
    #[error("give one of --margin, --total or --tolerable-rate")]
    OneTarget,
    /// A sizing option given with `--purposes`.
    #[error("--purposes sizes the plan itself: leave out --margin, --total, --tolerable-rate and --stages")]
    PurposesSizeThemselves,
    /// `--strata` without a column.
    #[error("--strata needs at least one column")]
    NoStrata,
    /// A burden rate that is negative or not a number.
    #[error("{flag} must be a non-negative number, got {got}")]
    NegativeRate {
        /// The option.
        flag: &'static str,
        /// The value given.
        got: f64,
    },
    /// `--hours-per-day` outside (0, 24].
    #[error("--hours-per-day must be in (0, 24], got {got}")]
    BadHoursPerDay {
        /// The value given.
        got: f64,
    },
    /// `--first-fraction` outside (0, 1).
    #[error("--first-fraction must be between 0 and 1 (exclusive), got {got}")]
    BadFirstFraction {
        /// The value given.
        got: f64,
    },
    /// `--first-margin` not looser than `--margin`.
    #[error("--first-margin {first} must be looser (larger) than --margin {margin}: the first stage is the smaller one")]
    FirstMarginNotLooser {
        /// The first stage's margin.
        first: f64,
        /// The plan's margin.
        margin: f64,
    },
    /// A strata column whose values are mostly personal identity numbers.
    #[error(
        "--strata {column:?}: {} of its {} values are personal identity numbers; a stratum per person is no design and plan.json would list them: stratify by a grouping column (municipality, area)",
        thousands(*.personal),
        thousands(*.values)
    )]
    PersonalStrata {
        /// The column.
        column: String,
        /// Its values that are personal identity numbers.
        personal: u64,
        /// Its values.
        values: u64,
    },
    /// A strata column with some personal identity numbers among its values.
    #[error(
        "--strata {column:?}: {} of its {} values are personal identity numbers (typed into the wrong column?); plan.json and the reports would list them as stratum values: correct those rows, or quarantine them with --check 'NOT IS_PERSONNUMMER(\"{}\")'",
        thousands(*.personal),
        thousands(*.values),
        .column.replace('"', "\"\"")
    )]
    SomePersonalStrata {
        /// The column.
        column: String,
        /// Its values that are personal identity numbers.
        personal: u64,
        /// Its values.
        values: u64,
    },
    /// A `--where` or `--check` naming a personal identity number.
    #[error("{flag} names a personal identity number, and plan.json, which is shared, keeps the expression as written: select by another column (a case number, a group)")]
    PersonalExpression {
        /// The option.
        flag: &'static str,
    },
    /// An extract without a usable row.
    #[error("no usable rows in the extract: nothing to plan (rows read {rows_read})")]
    NoUsableRows {
        /// Rows read.
        rows_read: u64,
    },
    /// `--requested` above the population.
    #[error("--requested {requested} is more than the {population} records in the population: a request cannot exceed what exists")]
    RequestedOverPopulation {
        /// Records requested.
        requested: u64,
        /// Records in the population.
        population: u64,
    },
    /// A column a purpose needs that the census did not read.
    #[error("column {column:?} of a purpose is not among the columns read")]
    PurposeColumnNotRead {
        /// The column.
        column: String,
    },
    /// Keys of the extract that occur more than once.
    #[error("{count} keys occur more than once (first: {}); duplicate keys break simple random sampling — fix the extract or pass --allow-duplicate-keys", .first.join(", "))]
    DuplicateKeys {
        /// Keys that occur more than once.
        count: u64,
        /// The first few, each with its count (`K (2×)`).
        first: Vec<String>,
    },
    /// A census part of another request: another number of purposes.
    #[error("a census part counts {purposes} purposes where the plan has {want}: every part must be counted with the same request")]
    PartOfAnotherPlan {
        /// The part's purposes.
        purposes: usize,
        /// The request's.
        want: usize,
    },
    /// A census part's fingerprint that is not hex.
    #[error("a census part's fingerprint {fingerprint:?} is not hex: the part is damaged; count its piece again")]
    PartFingerprint {
        /// As found.
        fingerprint: String,
    },
    /// Two census parts that both hold repeats of one key: the pieces were not split by the
    /// key, so the duplicate check cannot be exact.
    #[error("two census parts hold repeats of the same key: split the extract by the key column (Spark: repartition by the key) so that every key's rows are in one part")]
    PartsShareAKey,
    /// More colliding hashes than the duplicate check can count.
    #[error("more than 4,294,967,295 keys share a hash with another key: the extract is mostly duplicates; fix it before planning")]
    TooManyCollisions,
    /// The duplicate check's spill directory cannot be created.
    #[error("cannot create {} for the duplicate check: {cause}", .dir.display())]
    SpillDirectory {
        /// The directory.
        dir: PathBuf,
        /// Why (stated in the message, so not a source; shared by every thread that
        /// spills).
        cause: Arc<std::io::Error>,
    },
    /// A file of the duplicate check cannot be written.
    #[error("cannot write {}: {cause}", .path.display())]
    SpillWrite {
        /// The file.
        path: PathBuf,
        /// Why (stated in the message, so not a source).
        cause: std::io::Error,
    },
    /// A file of the duplicate check cannot be read back.
    #[error("cannot read {}: {cause}", .path.display())]
    SpillRead {
        /// The file.
        path: PathBuf,
        /// Why (stated in the message, so not a source).
        cause: std::io::Error,
    },
    /// The duplicate check's hashes cannot be written.
    #[error("cannot write the duplicate check's hashes: {cause}")]
    SpillHashes {
        /// Why (stated in the message, so not a source).
        cause: std::io::Error,
    },
    /// A thread of the duplicate check panicked while holding a file.
    #[error("a thread of the duplicate check failed")]
    SpillThread,
    /// A purposes file that is not TOML of purposes.
    #[error(
        "{}{}: not a purposes file: {message}{}",
        .path.display(),
        .line.map(|l| format!(", line {l}")).unwrap_or_default(),
        if *.hint { " (numbers take a decimal point, text is quoted)" } else { "" }
    )]
    NotAPurposesFile {
        /// The file.
        path: PathBuf,
        /// The line of the error, when known.
        line: Option<usize>,
        /// The TOML reader's message.
        message: String,
        /// Whether the message adds how numbers and text are written.
        hint: bool,
    },
    /// A purposes file without purposes.
    #[error("{}: no [[purpose]] in it", .path.display())]
    NoPurposes {
        /// The file.
        path: PathBuf,
    },
    /// A purpose's name that is empty or not letters, digits, `_` and `-`.
    #[error("{who}: a name is letters, digits, _ and - (it names the purpose in plan.json)")]
    BadPurposeName {
        /// The file and the purpose.
        who: String,
    },
    /// Two purposes of one name.
    #[error("{who}: the name is used twice; give each purpose its own")]
    DuplicateName {
        /// The file and the purpose.
        who: String,
    },
    /// A purpose's number out of its range.
    #[error("{who}: {field} must be {range}, got {got}")]
    OutOfRange {
        /// The file and the purpose.
        who: String,
        /// The field (`response_rate`, `margin`, …).
        field: &'static str,
        /// Its range in words (`between 0 and 1`).
        range: &'static str,
        /// The value given.
        got: f64,
    },
    /// A purpose's `level` that is empty.
    #[error("{who}: level is overall, stratum or a column name")]
    EmptyLevel {
        /// The file and the purpose.
        who: String,
    },
    /// A share purpose with an attribute's fields.
    #[error("{who}: tolerable_rate and expected_deviations belong to kind = \"attribute\"")]
    AttributeFieldsInShare {
        /// The file and the purpose.
        who: String,
    },
    /// A share purpose without `margin`.
    #[error("{who}: a share needs margin = E (e.g. 0.05 for ±5 points)")]
    ShareWithoutMargin {
        /// The file and the purpose.
        who: String,
    },
    /// A purpose with both `proportion` and `from`.
    #[error("{who}: give proportion or from + indicator, not both")]
    ProportionAndFrom {
        /// The file and the purpose.
        who: String,
    },
    /// A relative margin with a proportion of 0.
    #[error("{who}: a relative margin needs a proportion above 0")]
    RelativeWithoutProportion {
        /// The file and the purpose.
        who: String,
    },
    /// `from` without `indicator`, or the other way round.
    #[error("{who}: from and indicator go together")]
    FromWithoutIndicator {
        /// The file and the purpose.
        who: String,
    },
    /// An attribute purpose with a share's fields.
    #[error("{who}: an attribute purpose takes tolerable_rate (and expected_deviations), not margin or proportion")]
    ShareFieldsInAttribute {
        /// The file and the purpose.
        who: String,
    },
    /// An attribute purpose without `tolerable_rate`.
    #[error("{who}: an attribute purpose needs tolerable_rate = T")]
    AttributeWithoutTolerableRate {
        /// The file and the purpose.
        who: String,
    },
    /// A purpose's population without records.
    #[error(
        "purpose {purpose:?}: no records in its population{}: {hint}",
        .population.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()
    )]
    EmptyPurposePopulation {
        /// The purpose.
        purpose: String,
        /// Its population expression, as shown.
        population: Option<String>,
        /// What to check (the nearest value present to a constant the filter names, when
        /// one is found).
        hint: String,
    },
    /// An indicators table without rows.
    #[error("{file}: no rows")]
    NoRows {
        /// The table.
        file: String,
    },
    /// An indicators table without one of its columns.
    #[error("{file}: no column {column:?}: give the .csv, .parquet or .json table `urval indicators` writes")]
    TableMissingColumn {
        /// The table.
        file: String,
        /// The column.
        column: &'static str,
    },
    /// An indicators table whose estimate is no share.
    #[error("{file}: indicator {indicator:?} has estimate {estimate} on n {n}: not a share")]
    NotAShare {
        /// The table.
        file: String,
        /// The indicator.
        indicator: String,
        /// Its estimate.
        estimate: f64,
        /// Its n.
        n: f64,
    },
    /// An indicators table without the indicator.
    #[error("{file}: no estimate of indicator {indicator:?} (names are as in the spec)")]
    NoEstimate {
        /// The table.
        file: String,
        /// The indicator.
        indicator: String,
    },
    /// An indicators table grouped by a column that is not a strata column.
    #[error("{file} is by {column:?}, which is not a strata column: a purpose's shares come per stratum; run urval indicators --by with strata columns")]
    TableNotByStrata {
        /// The table.
        file: String,
        /// The column.
        column: String,
    },
    /// `min_per_area` on a purpose without `model = "small-area"`.
    #[error("{who}: min_per_area belongs to model = \"small-area\"")]
    MinPerAreaWithoutModel {
        /// The purpose.
        who: String,
    },
    /// A `model` other than `small-area`.
    #[error("{who}: model is \"small-area\" (or left out for the direct estimate), got {model:?}")]
    UnknownModel {
        /// The purpose.
        who: String,
        /// The model given.
        model: String,
    },
    /// A small-area purpose without a level column.
    #[error("{who}: a small-area purpose needs level = the area column (e.g. \"kommunkod\"): the model estimates each of its values")]
    SmallAreaWithoutLevel {
        /// The purpose.
        who: String,
    },
    /// A small-area purpose that is not a share with an absolute margin from a table.
    #[error("{who}: a small-area purpose is a share with an absolute margin and its shares from last year's table (from + indicator), not proportion or relative")]
    SmallAreaNotATableShare {
        /// The purpose.
        who: String,
    },
    /// A small-area purpose without last year's table.
    #[error("{who}: a small-area purpose needs from + indicator: last year's `urval indicators --by {column}` table, which tells how much the areas differ")]
    SmallAreaWithoutTable {
        /// The purpose.
        who: String,
        /// The area column.
        column: String,
    },
    /// `min_per_area = 0`.
    #[error("{who}: min_per_area must be at least 1: every area keeps a direct figure beside the model's")]
    NoRecordsPerArea {
        /// The purpose.
        who: String,
    },
    /// Last year's table of a small-area purpose is not by the area column alone.
    #[error("{file} is by {}: a small-area purpose takes last year's table by its area column {column:?} alone (urval indicators --by {column})", .by.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", "))]
    TableNotByArea {
        /// The table.
        file: String,
        /// Its group columns.
        by: Vec<String>,
        /// The area column.
        column: String,
    },
    /// Last year's table has too few areas with a share to fit the model on.
    #[error("{file}: {areas} areas with a published share of {indicator:?}; the model needs at least {needed} to estimate how much the areas differ")]
    TooFewAreas {
        /// The table.
        file: String,
        /// The indicator.
        indicator: String,
        /// Areas with a share.
        areas: usize,
        /// Areas needed.
        needed: usize,
    },
    /// The small-area model refused last year's table or the target.
    #[error("{}{source}", .file.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    SmallArea {
        /// The table, when the fit refused it.
        file: Option<String>,
        /// The cause.
        #[source]
        source: urval_smallarea::SmallAreaError,
    },
    /// A cost file without a column it needs.
    #[error("{given}: no column {column:?}; it needs the strata columns ({}) and cost", .strata_columns.join(", "))]
    CostFileMissingColumn {
        /// The file as given.
        given: String,
        /// The column.
        column: String,
        /// The plan's strata columns.
        strata_columns: Vec<String>,
    },
    /// A cost that is not a positive number.
    #[error("{given}: line {line}: cost {raw:?} is not a positive number")]
    BadCost {
        /// The file as given.
        given: String,
        /// The line.
        line: usize,
        /// The cost as written.
        raw: String,
    },
    /// Strata of the plan without a cost.
    #[error("{given}: no cost for {count} strata (e.g. {}): give every stratum of the plan a row", .examples.join(", "))]
    MissingCosts {
        /// The file as given.
        given: String,
        /// Strata without a cost.
        count: usize,
        /// The first three.
        examples: Vec<String>,
    },
    /// `--cost pages` without pages.
    #[error("--cost pages needs --pages-column: the pages of each record")]
    PagesCostWithoutPages,
    /// A strata file that is not UTF-8 text.
    #[error("{}: not UTF-8 text", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// A strata file without its columns.
    #[error("{}: needs columns `stratum` and `population`; present: {}", .path.display(), .present.join(", "))]
    StrataFileColumns {
        /// The file.
        path: PathBuf,
        /// Its columns.
        present: Vec<String>,
    },
    /// A strata file's row without a stratum.
    #[error("{}: line {line}: column `stratum` is empty", .path.display())]
    EmptyStratum {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
    },
    /// A strata file's population that is not a whole number.
    #[error("{}: line {line}: column `population`: not a whole number: {given:?}", .path.display())]
    BadPopulation {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The value as written.
        given: String,
    },
    /// A strata file's number that cannot be read.
    #[error("{}: line {line}: column `{column}`: {reason}", .path.display())]
    BadNumber {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The column.
        column: String,
        /// Why (stated in the message, so not a source).
        reason: urval_artifacts::text::NumberError,
    },
    /// A strata file with a header only.
    #[error("{}: no strata (only a header)", .path.display())]
    NoStrataInFile {
        /// The file.
        path: PathBuf,
    },
    /// A stage decision asked of a plan with one stage.
    #[error("this plan has one stage: evaluate it with --sample and --deviations")]
    OneStage,
    /// A stage decision asked of a staged plan that sizes a share.
    #[error("this staged plan sizes a share (--first-fraction or --first-margin): a stage decision needs an attribute plan (urval plan --tolerable-rate T --stages 2); estimate the share with urval indicators")]
    StagedShare,
    /// `--first-deviations` at stage 1.
    #[error("--first-deviations is for stage 2; at stage 1 give --deviations")]
    FirstDeviationsAtStageOne,
    /// Stage 2 without `--first-deviations`.
    #[error("stage 2: give --first-deviations (found in stage 1) and --deviations (found in the records stage 2 added)")]
    StageTwoWithoutFirstDeviations,
    /// More deviations than stage 1's records.
    #[error("{deviations} deviations in the {records} records of stage 1: there cannot be more deviations than records")]
    TooManyDeviations {
        /// Deviations given.
        deviations: u64,
        /// Stage 1's records.
        records: u64,
    },
    /// More deviations than records in either stage.
    #[error("more deviations than records: stage 1 has {first} records, stage 2 {second}")]
    TooManyDeviationsInStages {
        /// Stage 1's records.
        first: u64,
        /// Stage 2's records.
        second: u64,
    },
    /// Stage 2 of a plan without a second stage.
    #[error("this plan has no second stage: stage 1 decides")]
    NoSecondStage,
    /// Stage 2 after a stage 1 that decided.
    #[error(
        "with {first_deviations} deviations in stage 1 the plan stops there ({}): there is no stage 2 to evaluate",
        if *.accepted { "accept" } else { "reject" }
    )]
    StoppedAtStageOne {
        /// Deviations found in stage 1.
        first_deviations: u64,
        /// Whether stage 1 accepted (else it rejected).
        accepted: bool,
    },
    /// A stage other than 1 and 2.
    #[error("--stage {stage}: a staged plan has stages 1 and 2")]
    BadStage {
        /// The stage given.
        stage: u32,
    },
}

impl From<PlanError> for OpsError {
    fn from(e: PlanError) -> Self {
        OpsError::Room(Box::new(e))
    }
}
