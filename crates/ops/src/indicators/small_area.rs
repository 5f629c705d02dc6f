//! Small-area estimation over an indicator table (`urval indicators --small-area COL`):
//! per share indicator, age band and value of the other `by` columns, the areas (the
//! values of COL) are one model's data, and each area's row gets a model-based estimate
//! beside its direct one. Without covariates the model is empirical-Bayes beta-binomial
//! shrinkage towards the rate of all areas; with a covariates file, the Fay–Herriot model
//! on the arcsine scale (`urval_smallarea`), where an area of the file without records
//! gets a synthetic estimate in a row of its own (n = 0).
//!
//! The model runs after small-cell suppression and uses only the published rows: a
//! withheld cell's counts enter no published figure (its row gets no model figure either).

use super::job_error::IndicatorsJobError;
use super::row::{ModelFigure, Row};
use crate::error::Result;
use std::collections::BTreeMap;
use std::path::Path;
use urval_indicators::spec::Kind;
use urval_indicators::suppress::Status;
use urval_smallarea::arcsine::{fit_shares, ArcsineOptions, AreaShare};
use urval_smallarea::beta_binomial::fit_prior;

/// The bootstrap replicates of the Fay–Herriot RMSE, and their fixed seed (the same table
/// gives the same figures on every run).
const BOOTSTRAP: usize = 200;
const SEED: u64 = 20_261_207;

/// Area covariates read from a CSV file: per area its numeric values.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariates {
    /// The covariates' names (the file's columns after the area column).
    pub names: Vec<String>,
    /// Per area its values, in `names`' order.
    pub areas: BTreeMap<String, Vec<f64>>,
}

/// What the small-area models did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmallAreaSummary {
    /// The area column.
    pub column: String,
    /// The model's name (`eb-beta-binomial` or `fay-herriot-arcsine`).
    pub model: &'static str,
    /// The covariates' names (Fay–Herriot).
    pub covariates: Vec<String>,
    /// Models fitted (one per share indicator, band and other `by` values).
    pub fits: usize,
    /// Rows given a model-based estimate from their own records.
    pub areas: usize,
    /// Rows added with a synthetic estimate (areas of the covariates file without records).
    pub synthetic: usize,
    /// Fits left out, with why (too few areas with published records).
    pub skipped: Vec<String>,
}

/// Read the covariates file: a header whose first column is the area column, then one
/// numeric column per covariate; `,` or `;` between fields (`;` allows decimal commas).
///
/// # Errors
/// The file cannot be read, its first column is not `column`, a value is not a number,
/// or an area is listed twice.
pub fn read_covariates(path: &Path, column: &str) -> Result<Covariates> {
    let text = std::fs::read_to_string(path).map_err(|cause| {
        IndicatorsJobError::CovariatesUnreadable {
            path: path.to_path_buf(),
            cause,
        }
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|cause| IndicatorsJobError::CovariatesCsv {
            path: path.to_path_buf(),
            line: None,
            cause,
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.first().map(String::as_str) != Some(column) {
        return Err(IndicatorsJobError::CovariatesFirstColumn {
            path: path.to_path_buf(),
            column: column.to_string(),
            found: header.first().cloned().unwrap_or_default(),
        }
        .into());
    }
    if header.len() < 2 {
        return Err(IndicatorsJobError::NoCovariates {
            path: path.to_path_buf(),
            column: column.to_string(),
        }
        .into());
    }
    let mut areas = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|cause| IndicatorsJobError::CovariatesCsv {
            path: path.to_path_buf(),
            line: Some(line),
            cause,
        })?;
        let area = rec.get(0).unwrap_or_default().trim().to_string();
        let mut values = Vec::with_capacity(header.len() - 1);
        for (j, name) in header.iter().enumerate().skip(1) {
            let raw = rec.get(j).unwrap_or_default().trim();
            let num = if delimiter == b';' {
                raw.replace(',', ".")
            } else {
                raw.to_string()
            };
            match num.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    return Err(IndicatorsJobError::BadCovariate {
                        path: path.to_path_buf(),
                        line,
                        column: name.clone(),
                        raw: raw.to_string(),
                    }
                    .into())
                }
            }
        }
        if areas.insert(area.clone(), values).is_some() {
            return Err(IndicatorsJobError::AreaTwice {
                path: path.to_path_buf(),
                line,
                area,
            }
            .into());
        }
    }
    Ok(Covariates {
        names: header[1..].to_vec(),
        areas,
    })
}

/// The effective number of records behind a direct share: p(1 − p)/se² when the design
/// gives a standard error, else (a census, or a share of 0 or 1) the records themselves
/// (Kish 1965: the effective sample size).
fn effective_n(r: &Row) -> Option<(f64, f64)> {
    let e = r.est.as_ref()?;
    if r.n == 0 {
        return None;
    }
    let p = e.estimate;
    let n_eff = if e.se > 0.0 && p > 0.0 && p < 1.0 {
        p * (1.0 - p) / (e.se * e.se)
    } else {
        r.n as f64
    };
    Some((p, n_eff))
}

/// One model's areas: the rows (by index) with a published direct share, and the areas
/// any row of the group names (withheld ones too: they get no synthetic row).
#[derive(Default)]
struct FitGroup {
    rows: Vec<usize>,
    named: std::collections::BTreeSet<String>,
}

type FitKey = (String, Option<String>, Vec<String>);

fn fit_groups(rows: &[Row], j: usize) -> BTreeMap<FitKey, FitGroup> {
    let mut groups: BTreeMap<FitKey, FitGroup> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(g) = &r.group else { continue };
        if r.kind != Kind::Share {
            continue;
        }
        let mut others = g.clone();
        let area = others.remove(j);
        let fg = groups
            .entry((r.indicator.clone(), r.band.clone(), others))
            .or_default();
        fg.named.insert(area);
        if !r.suppressed.withheld() && effective_n(r).is_some() {
            fg.rows.push(i);
        }
    }
    groups
}

/// The areas a fit group's rows could have: the values of the area column (`by[j]`) of the
/// design's strata (`frame`, each stratum's values) that agree with the group's other `by`
/// values (`others`) on the columns they share. Empty when the area column is no strata
/// column (or in a census, which has no design).
fn frame_areas(
    frame: &[&BTreeMap<String, String>],
    by: &[String],
    j: usize,
    others: &[String],
) -> std::collections::BTreeSet<String> {
    let other_columns: Vec<&String> = by
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != j)
        .map(|(_, c)| c)
        .collect();
    frame
        .iter()
        .filter(|s| {
            other_columns
                .iter()
                .zip(others)
                .all(|(c, v)| s.get(*c).is_none_or(|sv| sv == v))
        })
        .filter_map(|s| s.get(&by[j]).cloned())
        .collect()
}

/// Give every published share row of the area column its model-based estimate, and add a
/// row per area without records: of the covariates file (Fay–Herriot), or of the frame
/// (`frame`: the design's strata, when the area column is a strata column; empirical
/// Bayes).
///
/// # Errors
/// The area column is not a `by` column, or a sampled area has no covariates.
pub(super) fn apply_small_area(
    rows: &mut Vec<Row>,
    (by, column): (&[String], &str),
    covariates: Option<&Covariates>,
    frame: &[&BTreeMap<String, String>],
    confidence: f64,
) -> Result<SmallAreaSummary> {
    let Some(j) = by.iter().position(|b| b == column) else {
        return Err(IndicatorsJobError::SmallAreaNotBy {
            column: column.to_string(),
            by: by.to_vec(),
        }
        .into());
    };
    let mut summary = SmallAreaSummary {
        column: column.to_string(),
        model: if covariates.is_some() {
            "fay-herriot-arcsine"
        } else {
            "eb-beta-binomial"
        },
        covariates: covariates.map(|c| c.names.clone()).unwrap_or_default(),
        ..SmallAreaSummary::default()
    };
    let mut added: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for ((indicator, band, others), fg) in fit_groups(rows, j) {
        let describe = || {
            let mut d = indicator.clone();
            for v in others.iter().chain(band.iter()) {
                d.push_str(", ");
                d.push_str(v);
            }
            d
        };
        let result = match covariates {
            None => {
                let unsampled: Vec<String> = frame_areas(frame, by, j, &others)
                    .into_iter()
                    .filter(|a| !fg.named.contains(a))
                    .collect();
                beta_binomial(rows, &fg, &unsampled, confidence)
            }
            Some(c) => fay_herriot(rows, &fg, j, c, confidence)?,
        };
        let Some((figures, synthetic)) = result else {
            summary.skipped.push(format!(
                "{}: {} areas with published records",
                describe(),
                fg.rows.len()
            ));
            continue;
        };
        summary.fits += 1;
        for (&i, f) in fg.rows.iter().zip(figures) {
            rows[i].model = Some(f);
            summary.areas += 1;
        }
        for (area, f) in synthetic {
            let mut group = others.clone();
            group.insert(j, area);
            summary.synthetic += 1;
            added.entry(indicator.clone()).or_default().push(Row {
                indicator: indicator.clone(),
                kind: Kind::Share,
                group: Some(group),
                band: band.clone(),
                n: 0,
                successes: Some(0),
                skipped: 0,
                invalid: 0,
                est: None,
                missing: None,
                suppressed: Status::Published,
                model: Some(f),
            });
        }
    }
    if !added.is_empty() {
        // Each indicator's synthetic rows go after its groups, before its total row.
        let old = std::mem::take(rows);
        for r in old {
            if r.group.is_none() {
                if let Some(extra) = added.remove(&r.indicator) {
                    rows.extend(extra);
                }
            }
            rows.push(r);
        }
    }
    Ok(summary)
}

type Figures = (Vec<ModelFigure>, Vec<(String, ModelFigure)>);

/// Empirical-Bayes beta-binomial shrinkage over the group's areas (`None`: fewer than 3),
/// and for each area of `unsampled` (of the frame, without records) the synthetic
/// estimate: the prior itself, its mean and interval (`eb-beta-binomial-synthetic`).
fn beta_binomial(
    rows: &[Row],
    fg: &FitGroup,
    unsampled: &[String],
    confidence: f64,
) -> Option<Figures> {
    if fg.rows.len() < 3 {
        return None;
    }
    let counts: Vec<(f64, f64)> = fg
        .rows
        .iter()
        .filter_map(|&i| effective_n(&rows[i]))
        .map(|(p, n)| (p * n, n))
        .collect();
    let prior = fit_prior(&counts).ok()?;
    let figures = counts
        .iter()
        .map(|&(k, n)| {
            let post = prior.posterior(k, n, confidence);
            ModelFigure {
                estimate: post.estimate,
                lower: post.lower,
                upper: post.upper,
                rmse: post.rmse,
                shrinkage: post.shrinkage,
                model: "eb-beta-binomial",
            }
        })
        .collect();
    let prior_only = prior.posterior(0.0, 0.0, confidence);
    let synthetic = unsampled
        .iter()
        .map(|a| {
            (
                a.clone(),
                ModelFigure {
                    estimate: prior_only.estimate,
                    lower: prior_only.lower,
                    upper: prior_only.upper,
                    rmse: prior_only.rmse,
                    shrinkage: None,
                    model: "eb-beta-binomial-synthetic",
                },
            )
        })
        .collect();
    Some((figures, synthetic))
}

/// The Fay–Herriot model on the arcsine scale with the file's covariates, over the group's
/// areas and the file's areas without a row (synthetic). `None`: too few areas.
///
/// # Errors
/// An area with records has no row in the covariates file.
fn fay_herriot(
    rows: &[Row],
    fg: &FitGroup,
    j: usize,
    cov: &Covariates,
    confidence: f64,
) -> Result<Option<Figures>> {
    let mut areas = Vec::new();
    for &i in &fg.rows {
        let area = rows[i].group.as_ref().map_or("", |g| g[j].as_str());
        let Some(x) = cov.areas.get(area) else {
            return Err(IndicatorsJobError::AreaWithoutCovariates {
                area: area.to_string(),
            }
            .into());
        };
        areas.push(AreaShare {
            direct: effective_n(&rows[i]),
            covariates: x.clone(),
        });
    }
    if areas.len() < cov.names.len() + 3 {
        return Ok(None);
    }
    let unsampled: Vec<&String> = cov
        .areas
        .keys()
        .filter(|a| !fg.named.contains(*a))
        .collect();
    for a in &unsampled {
        areas.push(AreaShare {
            direct: None,
            covariates: cov.areas[*a].clone(),
        });
    }
    let fit = match fit_shares(
        &areas,
        ArcsineOptions {
            confidence,
            bootstrap: BOOTSTRAP,
            seed: SEED,
        },
    ) {
        Ok(f) => f,
        Err(urval_smallarea::SmallAreaError::SingularCovariates) => {
            return Err(IndicatorsJobError::ModelCovariates {
                cause: urval_smallarea::SmallAreaError::SingularCovariates,
            }
            .into())
        }
        Err(_) => return Ok(None),
    };
    let figure = |a: &urval_smallarea::arcsine::AreaEstimate, model| ModelFigure {
        estimate: a.estimate,
        lower: a.lower,
        upper: a.upper,
        rmse: a.rmse,
        shrinkage: a.shrinkage,
        model,
    };
    let sampled = fg.rows.len();
    let figures = fit.areas[..sampled]
        .iter()
        .map(|a| figure(a, "fay-herriot-arcsine"))
        .collect();
    let synthetic = unsampled
        .iter()
        .zip(&fit.areas[sampled..])
        .map(|(name, a)| ((*name).clone(), figure(a, "fay-herriot-arcsine-synthetic")))
        .collect();
    Ok(Some((figures, synthetic)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use urval_indicators::Estimate;

    #[test]
    fn covariate_errors_are_typed_with_their_fields() {
        let dir =
            std::env::temp_dir().join(format!("urval-covariates-typed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cov.csv");
        std::fs::write(&path, "kommun,x\n0180,1.5\n0181,många\n").unwrap();
        let e = read_covariates(&path, "kommun").err().unwrap();
        std::fs::write(&path, "kommun,x\n0180,1.5\n0180,2\n").unwrap();
        let twice = read_covariates(&path, "kommun").err().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(
                e.typed::<IndicatorsJobError>(),
                Some(IndicatorsJobError::BadCovariate { line: 3, column, raw, .. })
                    if column == "x" && raw == "många"
            ),
            "{e:?}"
        );
        assert!(
            matches!(
                twice.typed::<IndicatorsJobError>(),
                Some(IndicatorsJobError::AreaTwice { line: 3, area, .. }) if area == "0180"
            ),
            "{twice:?}"
        );
        assert_eq!(
            twice.to_string(),
            format!("{}: line 3: area \"0180\" is listed twice", path.display())
        );
    }

    fn row(area: &str, n: u64, k: u64) -> Row {
        let p = k as f64 / n as f64;
        Row {
            indicator: "hörd".into(),
            kind: Kind::Share,
            group: Some(vec![area.into(), "barn".into()]),
            band: None,
            n,
            successes: Some(k),
            skipped: 0,
            invalid: 0,
            est: Some(Estimate {
                estimate: p,
                lower: None,
                upper: None,
                se: 0.0,
                method: "census",
                deff: None,
                caution: None,
            }),
            missing: None,
            suppressed: Status::Published,
            model: None,
        }
    }

    fn total() -> Row {
        Row {
            group: None,
            ..row("", 100, 70)
        }
    }

    #[test]
    fn an_area_of_the_frame_without_records_gets_the_synthetic_estimate_of_the_prior() {
        let mut rows = vec![
            row("0180", 200, 150),
            row("0114", 10, 10),
            row("0115", 12, 6),
            row("0120", 3, 3),
            total(),
        ];
        rows[3].suppressed = Status::Primary;
        let by = vec!["kommun".to_string(), "område".to_string()];
        let stratum = |k: &str, o: &str| -> BTreeMap<String, String> {
            [
                ("kommun".to_string(), k.to_string()),
                ("område".to_string(), o.to_string()),
            ]
            .into()
        };
        // 0117 is in the frame for barn (no records: synthetic), 0120 is named by a withheld
        // row (no synthetic row), 0127 is in the frame for another area only.
        let strata = [
            stratum("0180", "barn"),
            stratum("0117", "barn"),
            stratum("0120", "barn"),
            stratum("0127", "äldre"),
        ];
        let frame: Vec<&BTreeMap<String, String>> = strata.iter().collect();
        let s = apply_small_area(&mut rows, (&by, "kommun"), None, &frame, 0.95).unwrap();
        assert_eq!((s.fits, s.areas, s.synthetic), (1, 3, 1));
        let added = &rows[4];
        assert_eq!(
            added.group,
            Some(vec!["0117".to_string(), "barn".to_string()])
        );
        assert_eq!(added.n, 0);
        let f = added.model.unwrap();
        assert_eq!(f.model, "eb-beta-binomial-synthetic");
        assert_eq!(f.shrinkage, None);
        // The prior's mean: every sampled area is shrunk towards it, and it lies among them.
        assert!(f.lower < f.estimate && f.estimate < f.upper);
        assert!(f.estimate > 0.5 && f.estimate < 1.0);
        assert!(rows[5].group.is_none(), "the total row stays last");
    }

    #[test]
    fn shrinkage_pulls_small_areas_more_and_never_touches_a_withheld_row() {
        let mut rows = vec![
            row("0180", 200, 150),
            row("0114", 10, 10),
            row("0115", 12, 6),
            row("0117", 40, 30),
            row("0120", 3, 3),
            total(),
        ];
        rows[4].suppressed = Status::Primary;
        let by = vec!["kommun".to_string(), "område".to_string()];
        let s = apply_small_area(&mut rows, (&by, "kommun"), None, &[], 0.95).unwrap();
        assert_eq!((s.fits, s.areas, s.synthetic), (1, 4, 0));
        assert!(rows[4].model.is_none() && rows[5].model.is_none());
        let w = |i: usize| rows[i].model.unwrap().shrinkage.unwrap();
        assert!(w(0) > w(3) && w(3) > w(2) && w(2) > w(1));
        // 10 of 10 is pulled below 1, and every interval holds its estimate.
        let m = rows[1].model.unwrap();
        assert!(m.estimate < 1.0 && m.lower < m.estimate && m.estimate <= m.upper);
        let err = apply_small_area(&mut rows, (&by, "län"), None, &[], 0.95).unwrap_err();
        assert!(err.to_string().contains("one of the --by columns"), "{err}");
    }

    #[test]
    fn covariates_give_synthetic_rows_for_areas_without_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cov.csv");
        let mut text = String::from("kommun;förra_året\n");
        let mut rows = Vec::new();
        for i in 0..12u64 {
            let code = format!("{:04}", 100 + i);
            text.push_str(&format!("{code};0,{}\n", 60 + i));
            if i < 10 {
                rows.push(row(&code, 10 + 5 * i, (6 + 3 * i).min(10 + 5 * i)));
            }
        }
        rows.push(total());
        std::fs::write(&path, text).unwrap();
        let cov = read_covariates(&path, "kommun").unwrap();
        assert_eq!(cov.names, ["förra_året"]);
        assert_eq!(cov.areas["0101"], [0.61]);
        let by = vec!["kommun".to_string(), "område".to_string()];
        let s = apply_small_area(&mut rows, (&by, "kommun"), Some(&cov), &[], 0.95).unwrap();
        assert_eq!((s.fits, s.areas, s.synthetic), (1, 10, 2));
        assert_eq!(rows.len(), 13);
        assert!(rows[12].group.is_none());
        let synth = &rows[10];
        assert_eq!(synth.group.as_ref().unwrap()[0], "0110");
        assert_eq!(synth.n, 0);
        let m = synth.model.unwrap();
        assert_eq!(
            (m.model, m.shrinkage),
            ("fay-herriot-arcsine-synthetic", None)
        );
        // An area with records missing from the file is an error naming it.
        let mut more = rows.clone();
        more.insert(0, row("2999", 30, 20));
        let err = apply_small_area(&mut more, (&by, "kommun"), Some(&cov), &[], 0.95).unwrap_err();
        assert!(err.to_string().contains("\"2999\""), "{err}");
        std::fs::write(&path, "kod,x\n0101,1\n").unwrap();
        let err = read_covariates(&path, "kommun").unwrap_err();
        assert!(err.to_string().contains("first column"), "{err}");
        std::fs::write(&path, "kommun,x\n0101,\n").unwrap();
        let err = read_covariates(&path, "kommun").unwrap_err();
        assert!(err.to_string().contains("not a number"), "{err}");
    }
}
