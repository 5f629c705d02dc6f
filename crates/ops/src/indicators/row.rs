//! One row of an indicator table: the indicator, its group, counts, estimate and whether it
//! is withheld.

use urval_indicators::spec::Kind;
use urval_indicators::suppress::Status;
use urval_indicators::Estimate;

/// One output row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The indicator's name.
    pub indicator: String,
    /// Its kind.
    pub kind: Kind,
    /// The group's values (`None`: the total).
    pub group: Option<Vec<String>>,
    /// The age band.
    pub band: Option<String>,
    /// Records in the estimate.
    pub n: u64,
    /// Records where a share's condition holds.
    pub successes: Option<u64>,
    /// Records skipped (a NULL outcome under `null = "skip"`).
    pub skipped: u64,
    /// Records whose value could not be read.
    pub invalid: u64,
    /// The estimate.
    pub est: Option<Estimate>,
    /// `incomplete` or `dropped` when design strata without a responding record belong to
    /// the row's population, with the (worst-case) share of it they hold.
    pub missing: Option<(&'static str, f64)>,
    /// Published, or withheld (primary or secondary suppression): a withheld row's counts
    /// and figures are never written.
    pub suppressed: Status,
    /// The model-based complement of a share (`--small-area`), beside the direct estimate.
    pub model: Option<ModelFigure>,
}

/// A share's model-based estimate (small-area estimation, `urval_smallarea`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelFigure {
    /// The model-based share.
    pub estimate: f64,
    /// Its interval.
    pub lower: f64,
    /// Its interval.
    pub upper: f64,
    /// Its root mean squared error.
    pub rmse: f64,
    /// The weight of the direct estimate (None: a synthetic estimate, no records).
    pub shrinkage: Option<f64>,
    /// The model: `eb-beta-binomial`, `fay-herriot-arcsine`, with `-synthetic` for an area
    /// without records.
    pub model: &'static str,
}

impl Row {
    /// The figures as written: none of them when the row is withheld.
    pub(super) fn shown(&self) -> Shown {
        if self.suppressed.withheld() {
            return Shown::default();
        }
        Shown {
            n: Some(self.n),
            successes: self.successes,
            est: self.est,
            skipped: Some(self.skipped),
            invalid: Some(self.invalid),
            missing: self.missing,
            model: self.model,
        }
    }
}

/// A row's figures as written ([`Row::shown`]).
#[derive(Default)]
pub(super) struct Shown {
    pub(super) n: Option<u64>,
    pub(super) successes: Option<u64>,
    pub(super) est: Option<Estimate>,
    pub(super) skipped: Option<u64>,
    pub(super) invalid: Option<u64>,
    pub(super) missing: Option<(&'static str, f64)>,
    pub(super) model: Option<ModelFigure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_row_shows_no_figure_and_a_published_one_all() {
        let mut r = Row {
            indicator: "hörd".into(),
            kind: Kind::Share,
            group: Some(vec!["0180".into()]),
            band: None,
            n: 12,
            successes: Some(11),
            skipped: 2,
            invalid: 1,
            est: None,
            missing: Some(("incomplete", 0.25)),
            suppressed: Status::Published,
            model: Some(ModelFigure {
                estimate: 0.8,
                lower: 0.6,
                upper: 0.9,
                rmse: 0.07,
                shrinkage: Some(0.4),
                model: "eb-beta-binomial",
            }),
        };
        let v = r.shown();
        assert!(v.model.is_some());
        assert_eq!(
            (v.n, v.successes, v.skipped, v.invalid, v.missing),
            (
                Some(12),
                Some(11),
                Some(2),
                Some(1),
                Some(("incomplete", 0.25))
            )
        );
        for s in [Status::Primary, Status::Secondary] {
            r.suppressed = s;
            let v = r.shown();
            assert_eq!(
                (v.n, v.successes, v.skipped, v.invalid, v.missing),
                (None, None, None, None, None)
            );
            assert!(v.est.is_none());
            assert!(v.model.is_none());
        }
    }
}
