//! Output helpers shared by the subcommands: the output format flag, burden flags, and
//! number formatting for text output.

use clap::{Args, ValueEnum};
use urval_design::{Burden, BurdenRates};

/// What a command produced: the text for stdout and the exit code.
pub struct Output {
    /// Text for stdout (ends with a newline). Text output is masked as a whole before it is
    /// printed; JSON ([`Output::json`]) is masked here already, value by value.
    pub text: String,
    /// Exit code: 0 ok, 1 a data finding.
    pub code: u8,
    /// JSON output only: the same JSON with nothing masked, printed instead of `text` with
    /// `--show-personal-values`.
    pub unmasked_json: Option<String>,
}

impl Output {
    /// A successful result.
    pub fn ok(text: String) -> Self {
        Output {
            text,
            code: 0,
            unmasked_json: None,
        }
    }

    /// A text result with an exit code.
    pub fn with_code(text: String, code: u8) -> Self {
        Output {
            text,
            code,
            unmasked_json: None,
        }
    }

    /// A JSON result (pretty, with a trailing newline): every string in it that holds a
    /// personnummer masked as a typed value ([`urval_ingest::masked::Masked`]), numbers never
    /// touched, so the text always parses; the unmasked JSON kept for
    /// `--show-personal-values`.
    ///
    /// # Errors
    /// The value cannot be serialised as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T, code: u8) -> anyhow::Result<Self> {
        Ok(Output {
            text: format!(
                "{}\n",
                serde_json::to_string_pretty(&urval_ingest::masked::Masked(v))?
            ),
            code,
            unmasked_json: Some(format!("{}\n", serde_json::to_string_pretty(v)?)),
        })
    }
}

/// How a CSV for people is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvDialect {
    /// `,` separator, decimal point, no BOM.
    Standard,
    /// `;` separator, decimal comma, a UTF-8 BOM, text fields quoted: opens straight in
    /// Swedish Excel (which may still read a quoted `0214` as a number: `.xlsx` keeps it).
    ExcelSv,
}

/// The language of text for people (reports, spreadsheet headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Swedish.
    Sv,
    /// English.
    En,
}

impl From<LangArg> for urval_report::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Sv => urval_report::Lang::Sv,
            LangArg::En => urval_report::Lang::En,
        }
    }
}

impl From<CsvDialect> for urval_report::xlsx::CsvDialect {
    fn from(d: CsvDialect) -> Self {
        match d {
            CsvDialect::Standard => urval_report::xlsx::CsvDialect::Standard,
            CsvDialect::ExcelSv => urval_report::xlsx::CsvDialect::ExcelSv,
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object.
    Json,
}

/// How records turn into burden.
#[derive(Debug, Clone, Args)]
pub struct BurdenArgs {
    /// Pages per record (default 300: 230,000 pages / 767 journals).
    #[arg(long, default_value_t = urval_design::DEFAULT_PAGES_PER_RECORD, value_name = "PAGES")]
    pub pages_per_record: f64,
    /// Minutes of work per record (default 13: 21 working days of 8 h / 767 journals).
    #[arg(long, default_value_t = urval_design::DEFAULT_MINUTES_PER_RECORD, value_name = "MIN")]
    pub minutes_per_record: f64,
    /// Working hours per day.
    #[arg(long, default_value_t = urval_design::DEFAULT_HOURS_PER_DAY, value_name = "HOURS")]
    pub hours_per_day: f64,
}

impl BurdenArgs {
    /// Validated rates.
    pub fn rates(&self) -> anyhow::Result<BurdenRates> {
        Ok(urval_ops::plan::burden_rates(
            self.pages_per_record,
            self.minutes_per_record,
            self.hours_per_day,
        )?)
    }
}

pub use urval_ops::text::{parse_f64, parse_rate, reconciliation, thousands};

/// A rate as percentage points with one decimal: 0.05 → "5.0 %".
pub fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// A rate as percentage points with two decimals: 0.0981 → "9.81 %".
pub fn pct2(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

/// Pages rounded to whole pages with separators.
pub fn pages(v: f64) -> String {
    if v < 0.0 {
        format!("-{}", thousands((-v).round() as u64))
    } else {
        thousands(v.round() as u64)
    }
}

/// One line describing a burden.
pub fn burden_line(b: &Burden) -> String {
    format!(
        "{} records, {} pages, {:.1} working days",
        thousands(b.records),
        pages(b.pages),
        b.working_days
    )
}

/// The "requested" and "surplus" lines of a burden block; a request below the need is a
/// "shortfall" of the records it lacks, never a negative surplus.
pub fn request_lines(cmp: &urval_design::RequestComparison) -> String {
    let (word, sign) = if cmp.surplus_records < 0 {
        ("shortfall", -1.0)
    } else {
        ("surplus  ", 1.0)
    };
    format!(
        "  requested           {}\n  {word}           {} records, {} pages, {:.1} working days\n",
        burden_line(&cmp.requested_burden),
        thousands(cmp.surplus_records.unsigned_abs()),
        pages(sign * cmp.surplus_pages),
        sign * cmp.surplus_working_days
    )
}

/// The rates as a phrase.
pub fn rates_line(r: &BurdenRates) -> String {
    format!(
        "{} pages/record, {} min/record, {} h/day",
        r.pages_per_record, r.minutes_per_record, r.hours_per_day
    )
}

/// A JSON value for a float that may be infinite (JSON has no infinity): null then.
pub fn json_f64(v: f64) -> serde_json::Value {
    if v.is_finite() {
        serde_json::json!(v)
    } else {
        serde_json::Value::Null
    }
}

/// The margin in points with as many decimals (2 to 9) as it takes to tell it from the
/// target, so that a margin just above the target never prints as the target: `±3.00014`
/// (undefined: `undefined`).
fn points_against(m: Option<f64>, target: Option<f64>) -> String {
    let Some(m) = m else {
        return "undefined".to_string();
    };
    let (m, t) = (m * 100.0, target.unwrap_or(f64::NAN) * 100.0);
    let mut d = 2;
    while d < 9 && format!("{m:.d$}") == format!("{t:.d$}") {
        d += 1;
    }
    format!("±{m:.d$}")
}

/// What the search for a margin did to the total, in one sentence (None when nothing
/// changed); shared by `urval allocate` and `urval plan`. Where the total is the smallest
/// that meets the margin, the margin at one record fewer is quoted as the evidence.
pub fn margin_adjustment_line(a: &urval_design::Allocation, target: Option<f64>) -> Option<String> {
    use urval_design::TotalAdjustment as T;
    let one_less = a
        .margin_one_less
        .map(|m| {
            format!(
                " ({} records give {})",
                thousands(a.total - 1),
                points_against(m, target)
            )
        })
        .unwrap_or_default();
    Some(match a.total_adjustment? {
        T::RaisedForMargin { from, to } => format!(
            "the formula gives {}, which misses the margin with the bounds and whole records; {} is the smallest total that meets it{one_less}",
            thousands(from),
            thousands(to)
        ),
        T::LoweredForMargin { from, to } => format!(
            "the formula gives {}, but the bounds lower the variance: {} is the smallest total that meets the margin{one_less}",
            thousands(from),
            thousands(to)
        ),
        T::MarginUnreachable { to, .. } => format!(
            "no total within the bounds meets the margin: all {} records the strata hold under the maximum and N_h give {} (exit 1)",
            thousands(to),
            points_against(a.margin, target)
        ),
        T::RaisedToMinimum { from, to } if a.margin_met.is_some() => format!(
            "the formula gives {}; the minimum per stratum needs {}, which meets the margin",
            thousands(from),
            thousands(to)
        ),
        T::RaisedToMinimum { from, to } => format!(
            "the total {} is below what the minimum per stratum needs; raised to {}",
            thousands(from),
            thousands(to)
        ),
        T::ReducedToCapacity { from, to } => format!(
            "the total {} is more than the strata hold under the maximum and N_h; reduced to {}",
            thousands(from),
            thousands(to)
        ),
    })
}

/// The stage lines of a staged plan (`urval plan --stages 2`): what each stage asks for and
/// costs, and for an attribute plan its rules, exact risk and expected records.
pub fn stages_lines(st: &urval_ops::artifacts::Stages, total: u64) -> String {
    let mut t = String::new();
    let how = match (st.first_fraction, st.first_margin) {
        (Some(f), _) => format!("⌈{f}·n_h⌉ of each stratum"),
        (_, Some(e)) => format!("the allocation for ±{}", pct(e)),
        _ => "in proportion to N_h".to_string(),
    };
    t.push_str("  stages: stage 1 is the request; stage 2 (the next records of the same draw) only when the evidence needs it\n");
    t.push_str(&format!(
        "  stage 1             {} ({how})\n",
        burden_line(&st.burden_stage1)
    ));
    t.push_str(&format!(
        "  stage 2, if needed  {} ({} in all)\n",
        burden_line(&st.burden_stage2),
        thousands(total)
    ));
    if let Some(m) = st.stratum_margin_stage1 {
        t.push_str(&format!(
            "  largest stratum margin after stage 1 ±{} points\n",
            pct2(m).trim_end_matches(" %")
        ));
    }
    if let (Some(m), None) = (st.margin_stage1, &st.attribute) {
        t.push_str(&format!(
            "  margin of the overall share after stage 1 ±{} points\n",
            pct2(m).trim_end_matches(" %")
        ));
    }
    if let Some(a) = &st.attribute {
        let s = a.two_stage();
        let dev = |k: u64| {
            if k == 1 {
                "1 deviation".to_string()
            } else {
                format!("{k} deviations")
            }
        };
        if s.n2 == 0 {
            t.push_str(&format!(
                "  rule: at most {} in the {} records → below {}; else it cannot be shown (no second stage pays at R = {})\n",
                dev(s.accept1),
                thousands(s.n1),
                pct(a.tolerable_rate),
                pct2(a.expected_rate)
            ));
        } else {
            t.push_str(&format!(
                "  rule: stage 1 at most {} → below {} (stop); {} or more → cannot be shown (stop); else stage 2, and at most {} in all → below {}\n",
                dev(s.accept1),
                pct(a.tolerable_rate),
                s.reject1,
                dev(s.accept2),
                pct(a.tolerable_rate)
            ));
        }
        let how = match a.risk_stratified_method.as_deref() {
            Some("branch_and_bound") => ": every spread, by branch and bound",
            Some("none_found") => {
                ": every spread, the worst filled in exactly (the rule allows no deviation)"
            }
            Some("upper_bound") => ": a proven upper bound over every spread",
            Some("spread_above_risk") => ": one spread found above 1 − C",
            Some("local_search") => {
                ": the largest a search found, not proven within the work limit"
            }
            _ => "",
        };
        t.push_str(&format!(
            "  risk P(accept | T) {:.5} exact over both stages for the population as one (hypergeometric), {:.5} as drawn stratified (the worst spread of deviations over the strata{how})\n",
            a.risk, a.risk_stratified
        ));
        t.push_str(&format!(
            "  expected records {:.1} at R = {} (stage 2 taken with probability {:.3}); single stage {}\n",
            a.expected_records.expected,
            pct2(a.expected_rate),
            a.continue_at_expected,
            thousands(a.single_stage_n)
        ));
        t.push_str(&format!(
            "  expected burden   {} pages, {:.1} working days (single stage {} pages, {:.1} days)\n",
            pages(a.expected_burden.pages),
            a.expected_burden.working_days,
            pages(a.single_stage_burden.pages),
            a.single_stage_burden.working_days
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(153_000), "153,000");
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(pct(0.05), "5.0 %");
        assert_eq!(parse_rate("5%"), Ok(0.05));
        assert_eq!(parse_rate("5 %"), Ok(0.05));
        assert_eq!(parse_rate("5,0 %"), Ok(0.05));
        assert_eq!(parse_rate("5\u{a0}%"), Ok(0.05));
        assert_eq!(parse_rate("0,05"), Ok(0.05));
        assert_eq!(parse_rate("0.95"), Ok(0.95));
        assert_eq!(parse_rate("5"), Ok(5.0));
        assert!(parse_rate("fem").is_err());
        assert!(parse_rate("NaN").is_err());
        assert_eq!(parse_f64("5%"), Ok(0.05));
        assert_eq!(parse_f64("0,95"), Ok(0.95));
        assert!(parse_f64("x").is_err());
    }
}
