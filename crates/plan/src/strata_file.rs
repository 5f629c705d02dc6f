//! The strata file of `urval allocate`: one row per stratum with `stratum`, `population`
//! and optionally `proportion` (P_h) and `cost` (c_h); `,` or `;`, a BOM tolerated.

use crate::bail;
use crate::error::{Context, Result};
use std::path::Path;
use urval_design::StratumSpec;

/// Read the strata file. Errors name the file, the line and the column.
pub fn read_strata(path: &Path, default_proportion: f64) -> Result<Vec<StratumSpec>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .ok()
        .with_context(|| format!("{}: not UTF-8 text", path.display()))?;
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
        bail!(
            "{}: needs columns `stratum` and `population`; present: {}",
            path.display(),
            headers.join(", ")
        );
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
            bail!("{}: line {line}: column `stratum` is empty", path.display());
        }
        let population: u64 = field(i_population)
            .replace([' ', '\u{a0}'], "")
            .parse()
            .map_err(|_| {
                crate::input_error!(
                    "{}: line {line}: column `population`: not a whole number: {:?}",
                    path.display(),
                    field(i_population)
                )
            })?;
        let number = |idx: Option<usize>, col: &str, default: f64| -> Result<f64> {
            match idx.map(field) {
                None | Some("") => Ok(default),
                Some(s) => crate::text::parse_f64(s).map_err(|e| {
                    crate::input_error!("{}: line {line}: column `{col}`: {e}", path.display())
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
        bail!("{}: no strata (only a header)", path.display());
    }
    Ok(out)
}
