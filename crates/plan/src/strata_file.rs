//! The strata file of `urval allocate`: one row per stratum with `stratum`, `population`
//! and optionally `proportion` (P_h) and `cost` (c_h); `,` or `;`, a BOM tolerated.

use crate::error::{Context, Result};
use crate::plan_error::PlanError;
use std::path::Path;
use urval_design::StratumSpec;

/// Read the strata file. Errors name the file, the line and the column.
pub fn read_strata(path: &Path, default_proportion: f64) -> Result<Vec<StratumSpec>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PlanError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let (Some(i_stratum), Some(i_population)) = (find("stratum"), find("population")) else {
        return Err(PlanError::StrataFileColumns {
            path: path.to_path_buf(),
            present: headers,
        }
        .into());
    };
    let i_proportion = find("proportion");
    let i_cost = find("cost");
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}: line {line}", path.display()))?;
        let field = |idx: usize| record.get(idx).unwrap_or("");
        let name = field(i_stratum).to_string();
        if name.is_empty() {
            return Err(PlanError::EmptyStratum {
                path: path.to_path_buf(),
                line,
            }
            .into());
        }
        let population: u64 = field(i_population)
            .replace([' ', '\u{a0}', '\u{202f}'], "")
            .parse()
            .map_err(|_| PlanError::BadPopulation {
                path: path.to_path_buf(),
                line,
                given: field(i_population).to_string(),
            })?;
        let number = |idx: Option<usize>, col: &str, default: f64| -> Result<f64> {
            match idx.map(field) {
                None | Some("") => Ok(default),
                Some(s) => crate::text::parse_f64(s).map_err(|reason| {
                    PlanError::BadNumber {
                        path: path.to_path_buf(),
                        line,
                        column: col.to_string(),
                        reason,
                    }
                    .into()
                }),
            }
        };
        out.push(StratumSpec {
            name,
            population,
            proportion: number(i_proportion, "proportion", default_proportion)?,
            cost: number(i_cost, "cost", 1.0)?,
        });
    }
    if out.is_empty() {
        return Err(PlanError::NoStrataInFile {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Write `text` to a file in a folder of its own under the system's temp dir; the
    /// folder is removed after `f`.
    fn with_file<T>(name: &str, text: &str, f: impl FnOnce(&Path) -> T) -> T {
        let dir =
            std::env::temp_dir().join(format!("urval-plan-strata-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("strata.csv");
        std::fs::write(&path, text).unwrap();
        let out = f(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    fn a_semicolon_file_with_a_bom_and_spaced_thousands_is_read() {
        let text = "\u{feff}Stratum;Population;Proportion;Cost\näldreomsorg;1 200;0,2;\nbarn\u{a0}unga; 35 ;;2.5\n";
        let s = with_file("semicolon", text, |p| read_strata(p, 0.5)).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (
                s[0].name.as_str(),
                s[0].population,
                s[0].proportion,
                s[0].cost
            ),
            ("äldreomsorg", 1200, 0.2, 1.0)
        );
        assert_eq!(
            (
                s[1].name.as_str(),
                s[1].population,
                s[1].proportion,
                s[1].cost
            ),
            ("barn\u{a0}unga", 35, 0.5, 2.5)
        );
        // A narrow no-break space, as some Swedish number formats write thousands.
        let text = "stratum;population\nIFO;12\u{202f}345\n";
        let s = with_file("narrow", text, |p| read_strata(p, 0.5)).unwrap();
        assert_eq!(s[0].population, 12_345);
    }

    #[test]
    fn a_strata_file_names_what_is_wrong_and_where() {
        let e = with_file("columns", "namn,antal\na,1\n", |p| {
            (
                read_strata(p, 0.5).unwrap_err().to_string(),
                p.display().to_string(),
            )
        });
        assert_eq!(
            e.0,
            format!(
                "{}: needs columns `stratum` and `population`; present: namn, antal",
                e.1
            )
        );
        let e = with_file("population", "stratum,population\na,10\nb,tio\n", |p| {
            (
                read_strata(p, 0.5).unwrap_err().to_string(),
                p.display().to_string(),
            )
        });
        assert_eq!(
            e.0,
            format!(
                "{}: line 3: column `population`: not a whole number: \"tio\"",
                e.1
            )
        );
        let e = with_file("empty", "stratum,population\n", |p| {
            (
                read_strata(p, 0.5).unwrap_err().to_string(),
                p.display().to_string(),
            )
        });
        assert_eq!(e.0, format!("{}: no strata (only a header)", e.1));
        let e = with_file("blank", "stratum,population\n,10\n", |p| {
            (
                read_strata(p, 0.5).unwrap_err().to_string(),
                p.display().to_string(),
            )
        });
        assert_eq!(e.0, format!("{}: line 2: column `stratum` is empty", e.1));
    }
}
