//! The names a report gives places: municipality and county names from their codes, the
//! analyst's own labels, whether a plan covers the whole country.

use super::report_error::ReportError;
use crate::artifacts::PlanFile;
use crate::error::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Sweden's 21 county codes with their names (Statistics Sweden's län codes).
pub const COUNTIES: &str = include_str!("../../data/counties.csv");

/// A code list (`code,name,…` CSV with a header) as code → name.
pub(super) fn code_names(list: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut r = csv::Reader::from_reader(list.as_bytes());
    for rec in r.records().flatten() {
        if let (Some(code), Some(name)) = (rec.get(0), rec.get(1)) {
            out.insert(code.to_string(), name.to_string());
        }
    }
    out
}

/// Whether a plan's strata cover the country: a strata column of municipality codes holds
/// municipalities of every county of the register (Sweden's 21), or one of county codes
/// holds every county. A request of one region, or with no such column, is not national.
pub(super) fn covers_the_country(plan: &PlanFile) -> bool {
    let register = urval_ingest::municipal::register();
    let all: std::collections::BTreeSet<&str> =
        register.iter().map(|m| m.county.as_str()).collect();
    let county_of: BTreeMap<&str, &str> = register
        .iter()
        .map(|m| (m.code.as_str(), m.county.as_str()))
        .collect();
    plan.strata_columns.iter().any(|c| {
        let values: std::collections::BTreeSet<&str> = plan
            .strata
            .iter()
            .filter_map(|s| s.values.get(c).map(String::as_str))
            .collect();
        let by_municipality: std::collections::BTreeSet<&str> = values
            .iter()
            .filter_map(|v| county_of.get(v).copied())
            .collect();
        by_municipality == all || values.iter().filter(|v| all.contains(*v)).count() == all.len()
    })
}

/// How values are named in the report: a column named like a municipality code
/// ([`urval_ingest::municipal::is_code_column`]) or whose every value is one of Sweden's
/// 290 municipality codes shows `Motala (1398)` for each value that is a code (a bad code
/// kept as its own stratum shows as it is, and the others keep their names); one whose
/// every value is a county code shows `Östergötlands län (05)` (from the bundled lists);
/// `--labels` names values of any other column. A column with any other value (a birth
/// year that happens to be a code, 1980 = Västerås) keeps its values as they are.
pub(super) struct Namer {
    /// Per named column, its code list.
    lists: BTreeMap<String, BTreeMap<String, String>>,
    labels: BTreeMap<String, String>,
}

impl Namer {
    /// `columns`: each column with the values it holds.
    pub(super) fn new<'a>(
        columns: impl IntoIterator<Item = (String, Vec<&'a str>)>,
        labels: BTreeMap<String, String>,
    ) -> Self {
        let municipalities = urval_ingest::municipal::names().clone();
        let counties = code_names(COUNTIES);
        let mut lists = BTreeMap::new();
        for (col, values) in columns {
            if urval_ingest::municipal::is_code_column(&col) {
                lists.insert(col.clone(), municipalities.clone());
                continue;
            }
            let values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                continue;
            }
            for list in [&municipalities, &counties] {
                if values.iter().all(|v| list.contains_key(*v)) {
                    lists.insert(col.clone(), list.clone());
                    break;
                }
            }
        }
        Namer { lists, labels }
    }

    /// The value of `col` as shown: `Name (code)`, or the value itself.
    pub(super) fn name(&self, col: &str, v: &str) -> String {
        match (
            self.lists.get(col).and_then(|l| l.get(v)),
            self.labels.get(v),
        ) {
            (Some(name), _) => format!("{name} ({v})"),
            (_, Some(label)) => format!("{label} ({v})"),
            _ => v.to_string(),
        }
    }

    /// Whether `col`'s values have names (from a code list or the labels).
    pub(super) fn names(&self, col: &str, v: &str) -> bool {
        self.lists.contains_key(col) || self.labels.contains_key(v)
    }
}

/// Labels for stratum values from `--labels FILE.csv` (columns `value` and `label`, any
/// delimiter and encoding a CSV extract may have); a value listed twice is an error naming
/// the line.
pub(super) fn read_labels(path: &Path) -> Result<BTreeMap<String, String>> {
    let (header, _, mut rdr) = crate::files::csv_table(path)?;
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::LabelsColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                present: header.clone(),
            })
    };
    let (vi, li) = (at("value")?, at("label")?);
    let mut out = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}: line {line}", path.display()))?;
        let (v, l) = (rec.get(vi).unwrap_or(""), rec.get(li).unwrap_or(""));
        if out.insert(v.to_string(), l.to_string()).is_some() {
            return Err(ReportError::LabelTwice {
                path: path.to_path_buf(),
                line,
                value: v.to_string(),
            }
            .into());
        }
    }
    Ok(out)
}

pub(super) fn stratum_label(
    values: &BTreeMap<String, String>,
    columns: &[String],
    namer: &Namer,
) -> String {
    columns
        .iter()
        .map(|c| namer.name(c, values.get(c).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn label_errors_are_typed_with_their_fields() {
        let dir = std::env::temp_dir().join(format!("urval-labels-typed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("labels.csv");
        std::fs::write(&path, "value,label\n0180,Stockholm\n0180,Sthlm\n").unwrap();
        let twice = read_labels(&path).unwrap_err();
        std::fs::write(&path, "kod,namn\n0180,Stockholm\n").unwrap();
        let columns = read_labels(&path).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(
                twice.typed::<ReportError>(),
                Some(ReportError::LabelTwice { line: 3, value, .. }) if value == "0180"
            ),
            "{twice:?}"
        );
        assert!(
            matches!(
                columns.typed::<ReportError>(),
                Some(ReportError::LabelsColumn { column, present, .. })
                    if column == "value" && present == &["kod".to_string(), "namn".to_string()]
            ),
            "{columns:?}"
        );
        assert_eq!(
            twice.to_string(),
            format!("{}: line 3: value \"0180\" is listed twice", path.display())
        );
    }
}
