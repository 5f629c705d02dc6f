//! A purpose sized for the model-based estimate of every area (`model = "small-area"` in
//! a purposes file, or `urval plan --small-area COL`): each value of the level column is
//! an area whose share will be estimated next time by the Fay–Herriot model on the
//! arcsine scale (`urval indicators --small-area COL`), and the request only needs the
//! records that make that model-based estimate precise to ±E, not the direct one.
//!
//! Last year's indicator table, by the level column alone, gives the model: its direct
//! shares and effective sample sizes are fitted as `urval indicators --small-area` fits
//! them: the beta-binomial prior (maximum marginal likelihood) gives each area's
//! anticipated share (its posterior mean; an area missing from the table gets the prior
//! mean) and a between-area variance σ²_u = 1/(4(M + 1)) on the arcsine scale
//! ([`urval_smallarea::sizing::sigma2_of_prior`]); the Fay–Herriot REML fit on the
//! arcsine scale gives another. The larger of the two is used: on a simulation of the 290
//! municipalities the beta-binomial's alone, lower, gave sizes whose model-based RMSE
//! missed the target (`crates/smallarea/tests/simulation.rs`), and a table with 1 to 4
//! records in many areas makes the REML one too large (the arcsine's 1/(4n) understates
//! how much a share of 0 or 1 varies), which only asks for more records. Then
//! [`urval_smallarea::sizing::variance_bounds`] turns the target into the largest direct
//! sampling variance each area may have, and that bound becomes the area's requirement on
//! its direct estimate: V_d ≤ 4P_d(1 − P_d)·ψ*_d, i.e. a margin of z·√(4P_d(1 − P_d)ψ*_d)
//! for the design math, so the same joint allocation (Bethel–Chromy) sizes it beside any
//! other purpose. Every area keeps at least `min_per_area` records (its own direct figure
//! exists beside the model's): its bound is never above that of so many records.
//!
//! The assumption, stated wherever a plan prints it: the areas differ next time as much
//! as they did in last year's table (σ²_u), and the model-based MSE is g₁ + g₂ of the
//! intercept-only model (g₃, of order 1/areas, left out).
//!
//! It may read the table and use the small-area math; it must not draw or print.

use crate::error::Result;
use crate::plan_error::PlanError;
use std::collections::BTreeMap;
use std::path::Path;
use urval_design::DomainCell;
use urval_smallarea::arcsine::{fit_shares, ArcsineOptions, AreaShare};
use urval_smallarea::beta_binomial::fit_prior;
use urval_smallarea::sizing::{model_mse, psi, sigma2_of_prior, variance_bounds};

/// The model's name in plan.json and in messages.
pub const MODEL: &str = "small-area";

/// The method of the model-based estimate the areas are sized for, as `urval indicators
/// --small-area` names it (without covariates).
pub const METHOD: &str = "eb-beta-binomial";

/// The records every area keeps by default.
pub const DEFAULT_MIN_PER_AREA: u64 = 5;

/// The fewest areas with a direct share in last year's table that the fit accepts (with
/// fewer, σ²_u is too uncertain to size a request on).
pub const MIN_AREAS: usize = 10;

/// Last year's model: the between-area variance and each area's anticipated share.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaModel {
    /// The table's file as written.
    pub file: String,
    /// The area column (the purpose's level).
    pub column: String,
    /// The indicator of the table.
    pub indicator: String,
    /// σ̂²_u on the arcsine scale (REML).
    pub sigma2: f64,
    /// Per area of the table, its model-based share.
    pub shares: BTreeMap<String, f64>,
    /// The synthetic share of an area missing from the table.
    pub synthetic: f64,
    /// The records every area keeps.
    pub min_per_area: u64,
}

/// The effective number of records behind a direct share in an indicator table:
/// p(1 − p)/se² when the row has a standard error and 0 < p < 1, else its n (Kish 1965,
/// the effective sample size; the same rule as `urval indicators --small-area`).
pub fn effective_records(n: f64, estimate: f64, se: Option<f64>) -> f64 {
    match se {
        Some(se) if se > 0.0 && estimate > 0.0 && estimate < 1.0 => {
            estimate * (1.0 - estimate) / (se * se)
        }
        _ => n,
    }
}

/// Fit last year's table (`path`, `file` as written) of `indicator`, grouped by `column`
/// alone.
///
/// # Errors
/// The table cannot be read, is not by `column` alone, has no such indicator, or has fewer
/// than [`MIN_AREAS`] areas with a direct share; the model cannot be fitted.
pub fn fit_last_year(
    path: &Path,
    file: &str,
    indicator: &str,
    column: &str,
    min_per_area: u64,
) -> Result<AreaModel> {
    let rows = crate::files::read_rows(path)?;
    let Some(first) = rows.first() else {
        return Err(PlanError::NoRows { file: file.into() }.into());
    };
    for c in ["indicator", "n", "estimate", "level", "se"] {
        if !first.contains_key(c) {
            return Err(PlanError::TableMissingColumn {
                file: file.into(),
                column: c,
            }
            .into());
        }
    }
    let by: Vec<&String> = first
        .keys()
        .filter(|k| {
            !["indicator", "age_band", crate::table::SUPPRESSED].contains(&k.as_str())
                && !crate::table::TABLE_COLUMNS.contains(&k.as_str())
                && !crate::table::MODEL_COLUMNS.contains(&k.as_str())
        })
        .collect();
    if by.len() != 1 || by[0] != column {
        return Err(PlanError::TableNotByArea {
            file: file.into(),
            by: by.into_iter().cloned().collect(),
            column: column.into(),
        }
        .into());
    }
    let mut names = Vec::new();
    let mut counts = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r["indicator"] == indicator && r["level"] != "total")
    {
        if r.get("age_band").is_some_and(|b| !b.is_empty()) {
            continue;
        }
        let num = |c: &str| r.get(c).and_then(|v| v.trim().parse::<f64>().ok());
        let (Some(n), Some(est)) = (num("n"), num("estimate")) else {
            continue;
        };
        if !(0.0..=1.0).contains(&est) || n < 0.0 {
            return Err(PlanError::NotAShare {
                file: file.into(),
                indicator: indicator.into(),
                estimate: est,
                n,
            }
            .into());
        }
        let n_eff = effective_records(n, est, num("se"));
        if n_eff > 0.0 {
            names.push(r[column].clone());
            counts.push((est * n_eff, n_eff));
        }
    }
    if counts.len() < MIN_AREAS {
        return Err(PlanError::TooFewAreas {
            file: file.into(),
            indicator: indicator.into(),
            areas: counts.len(),
            needed: MIN_AREAS,
        }
        .into());
    }
    let prior = fit_prior(&counts).map_err(|source| PlanError::SmallArea {
        file: Some(file.into()),
        source,
    })?;
    let areas: Vec<AreaShare> = counts
        .iter()
        .map(|&(k, n)| AreaShare {
            direct: Some((k / n, n)),
            covariates: Vec::new(),
        })
        .collect();
    let options = ArcsineOptions {
        bootstrap: 0,
        ..ArcsineOptions::default()
    };
    // The REML fit can fail where the beta-binomial does not (all shares 0 or 1): then the
    // beta-binomial's alone.
    let reml = fit_shares(&areas, options).map_or(0.0, |f| f.fit.sigma2);
    Ok(AreaModel {
        file: file.to_string(),
        column: column.to_string(),
        indicator: indicator.to_string(),
        sigma2: sigma2_of_prior(prior.precision).max(reml),
        shares: names
            .into_iter()
            .zip(&counts)
            .map(|(name, &(k, n))| (name, prior.posterior(k, n, 0.95).estimate))
            .collect(),
        synthetic: prior.mean,
        min_per_area,
    })
}

/// The requirements of a small-area purpose on its areas' direct estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaMargins {
    /// Per area, the margin its direct estimate must have (at the purpose's confidence).
    pub margins: BTreeMap<String, f64>,
    /// Areas whose floor of records sets the margin (the model needs fewer).
    pub at_floor: usize,
    /// Areas missing from last year's table (given the synthetic share).
    pub synthetic: usize,
    /// The V_β the margins were found at.
    pub v_beta: f64,
}

impl AreaModel {
    /// An area's anticipated share.
    pub fn share(&self, area: &str) -> f64 {
        self.shares.get(area).copied().unwrap_or(self.synthetic)
    }

    /// Give every cell of each area its anticipated share, then find each area's margin
    /// for z·RMSE ≤ `margin` of its model-based estimate (module doc).
    ///
    /// # Errors
    /// A margin or confidence out of range.
    pub fn margins(
        &self,
        groups: &mut BTreeMap<String, Vec<DomainCell>>,
        margin: f64,
        confidence: f64,
    ) -> Result<AreaMargins> {
        let mut shares = Vec::with_capacity(groups.len());
        let mut floors = Vec::with_capacity(groups.len());
        let mut synthetic = 0;
        for (area, cells) in groups.iter_mut() {
            let p = self.share(area);
            synthetic += usize::from(!self.shares.contains_key(area));
            for c in cells.iter_mut() {
                c.proportion = p;
            }
            let nd: u64 = cells.iter().map(|c| c.domain).sum();
            shares.push(p);
            floors.push(psi(self.min_per_area.min(nd), nd));
        }
        let b = variance_bounds(&shares, &floors, self.sigma2, margin, confidence)
            .map_err(|source| PlanError::SmallArea { file: None, source })?;
        let z = urval_design::z_two_sided(confidence);
        let margins = groups
            .keys()
            .zip(shares.iter().zip(&b.psi))
            .map(|(area, (&p, &bound))| {
                let var = 4.0 * p * (1.0 - p) * bound;
                (area.clone(), z * var.max(0.0).sqrt())
            })
            .collect();
        Ok(AreaMargins {
            margins,
            at_floor: b.at_floor.iter().filter(|&&f| f).count(),
            synthetic,
            v_beta: b.v_beta,
        })
    }
}

impl AreaModel {
    /// The worst model-based margin z·RMSE over the areas, from each area's direct margin
    /// with the plan's records (`direct`: area → margin at `confidence`; `None` if an
    /// area's is unknown): ψ_d = (e_d/z)²/(4P_d(1 − P_d)), V_β of those ψ_d, and the
    /// area's MSE g₁ + g₂ (module doc) on the share scale.
    pub fn achieved(&self, direct: &[(String, Option<f64>)], confidence: f64) -> Option<f64> {
        let z = urval_design::z_two_sided(confidence);
        let mut psis = Vec::with_capacity(direct.len());
        for (area, e) in direct {
            let p = self.share(area);
            let spread = 4.0 * p * (1.0 - p);
            let psi = if spread > 0.0 {
                (e.as_ref()? / z).powi(2) / spread
            } else {
                0.0
            };
            psis.push((spread, psi));
        }
        let info: f64 = psis.iter().map(|&(_, p)| 1.0 / (self.sigma2 + p)).sum();
        let v_beta = if info > 0.0 {
            1.0 / info
        } else {
            f64::INFINITY
        };
        psis.iter()
            .map(|&(spread, psi)| z * (spread * model_mse(psi, self.sigma2, v_beta)).sqrt())
            .try_fold(0.0f64, |m, e| e.is_finite().then_some(m.max(e)))
    }

    /// The assumption the sizing rests on, in a sentence (plan.json, the plan's output).
    pub fn assumption(&self) -> String {
        format!(
            "the areas differ as much as in {} (σ²_u = {:.5} on the arcsine scale, the larger of its beta-binomial and REML fits); the model-based MSE is g₁ + g₂ of the Fay–Herriot model without covariates (g₃ left out), no less than that of the empirical-Bayes estimate",
            self.file, self.sigma2
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn model(sigma2: f64) -> AreaModel {
        AreaModel {
            file: "förra_året.csv".into(),
            column: "kommunkod".into(),
            indicator: "barnet_hort".into(),
            sigma2,
            shares: [("0180".to_string(), 0.8), ("1480".to_string(), 0.7)].into(),
            synthetic: 0.75,
            min_per_area: 5,
        }
    }

    fn groups(k: usize, domain: u64) -> BTreeMap<String, Vec<DomainCell>> {
        (0..k)
            .map(|i| {
                let name = match i {
                    0 => "0180".to_string(),
                    1 => "1480".to_string(),
                    _ => format!("{:04}", 2000 + i),
                };
                (
                    name,
                    vec![DomainCell {
                        stratum: i,
                        population: domain,
                        domain,
                        proportion: 0.5,
                    }],
                )
            })
            .collect()
    }

    #[test]
    fn the_effective_records_come_from_the_standard_error_or_else_the_count() {
        // p = 0.8, se = 0.04: 0.16/0.0016 = 100.
        assert!((effective_records(120.0, 0.8, Some(0.04)) - 100.0).abs() < 1e-9);
        assert_eq!(effective_records(120.0, 1.0, Some(0.04)), 120.0);
        assert_eq!(effective_records(120.0, 0.8, Some(0.0)), 120.0);
        assert_eq!(effective_records(7.0, 0.3, None), 7.0);
    }

    #[test]
    fn each_area_gets_its_share_and_a_margin_wider_than_the_direct_one() {
        let m = model(0.011);
        let mut g = groups(40, 2_000);
        let a = m.margins(&mut g, 0.10, 0.95).expect("margins");
        assert_eq!(a.synthetic, 38);
        assert_eq!(g["0180"][0].proportion, 0.8);
        assert_eq!(g["1480"][0].proportion, 0.7);
        assert_eq!(g["2005"][0].proportion, 0.75);
        // Borrowing strength: the direct estimate may be wider than ±10 points, but never
        // wider than that of the floor's 5 records.
        for (area, &e) in &a.margins {
            assert!(e > 0.10, "{area}: {e}");
            let p = m.share(area);
            let floor = 1.96 * (p * (1.0 - p) / 5.0 * (2_000.0 - 5.0) / 1_999.0).sqrt();
            assert!(e <= floor + 1e-9, "{area}: {e} > {floor}");
        }
    }

    #[test]
    fn the_areas_sized_at_their_margins_achieve_the_target() {
        let m = model(0.011);
        for (k, domain) in [(40, 2_000u64), (290, 60), (12, 25)] {
            let mut g = groups(k, domain);
            let a = m.margins(&mut g, 0.10, 0.95).expect("margins");
            let direct: Vec<(String, Option<f64>)> = a
                .margins
                .iter()
                .map(|(k, &e)| (k.clone(), Some(e)))
                .collect();
            let achieved = m.achieved(&direct, 0.95).expect("achieved");
            assert!(achieved <= 0.10 + 1e-9, "{k} areas: {achieved}");
            // Direct margins 10 % wider miss the model-based target somewhere, unless the
            // floor set them all.
            let wider: Vec<(String, Option<f64>)> = a
                .margins
                .iter()
                .map(|(k, &e)| (k.clone(), Some(e * 1.1)))
                .collect();
            if a.at_floor < k {
                assert!(m.achieved(&wider, 0.95).expect("achieved") > 0.10);
            }
        }
        assert_eq!(m.achieved(&[("0180".into(), None)], 0.95), None);
    }

    #[test]
    fn a_table_that_cannot_size_areas_is_a_typed_error() {
        let dir = std::env::temp_dir().join(format!("urval-small-area-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let two = dir.join("two.csv");
        std::fs::write(
            &two,
            "indicator,kommunkod,område,n,successes,estimate,lower,upper,se,method,deff,skipped,invalid,kind,level,caution,nonresponse,missing_share\n\
             hörd,0180,barn,10,7,0.7,,,0.1,census,,0,0,share,group,,,\n",
        )
        .expect("write");
        let e = fit_last_year(&two, "two.csv", "hörd", "kommunkod", 5).unwrap_err();
        assert!(
            matches!(e.typed::<PlanError>(), Some(PlanError::TableNotByArea { by, column, .. })
                if by == &["kommunkod".to_string(), "område".to_string()] && column == "kommunkod"),
            "{e:?}"
        );
        let few = dir.join("few.csv");
        std::fs::write(
            &few,
            "indicator,kommunkod,n,successes,estimate,lower,upper,se,method,deff,skipped,invalid,kind,level,caution,nonresponse,missing_share\n\
             hörd,0180,10,7,0.7,,,0.1,census,,0,0,share,group,,,\n",
        )
        .expect("write");
        let e = fit_last_year(&few, "few.csv", "hörd", "kommunkod", 5).unwrap_err();
        assert!(
            matches!(
                e.typed::<PlanError>(),
                Some(PlanError::TooFewAreas {
                    areas: 1,
                    needed: MIN_AREAS,
                    ..
                })
            ),
            "{e:?}"
        );
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    #[test]
    fn with_areas_that_barely_differ_the_floor_sets_every_margin() {
        let m = model(1e-6);
        let mut g = groups(50, 500);
        let a = m.margins(&mut g, 0.10, 0.95).expect("margins");
        assert_eq!(a.at_floor, 50);
    }
}
