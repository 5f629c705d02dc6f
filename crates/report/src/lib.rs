//! # urval-report — the proportionality report
//!
//! This room owns how a request's proportionality is shown to a person: the data model of
//! the report ([`Report`], filled by the command line from plan.json, a manifest's sidecar
//! and an indicators output), its text in Swedish (the default) and English ([`Lang`]),
//! numbers formatted for the language (sv: `153 000`, `13,8`; en: `153,000`, `13.8`),
//! inline SVG plots, and the three renderings: one self-contained HTML page (no script, no
//! font or image from the network, printable on A4), Markdown with the same numbers, and
//! JSON (the model itself). The HTML and the Markdown print one document (headings,
//! paragraphs, tables, figures, notes) built once from the model.
//!
//! No I/O: [`render_html`] and [`render_markdown`] return strings.
//!
//! ```
//! use urval_report::{fmt_int, fmt_pct, Lang};
//! // Numbers as each language writes them (a no-break space groups Swedish thousands).
//! assert_eq!(fmt_int(Lang::Sv, 153_000), "153\u{a0}000");
//! assert_eq!(fmt_int(Lang::En, 153_000), "153,000");
//! assert_eq!(fmt_pct(Lang::Sv, 0.138), "13,8\u{a0}%");
//! ```
#![forbid(unsafe_code)]

mod document;
mod html;
mod markdown;
pub mod number;
pub mod sentences;
mod svg;
pub mod tables;
mod text;

pub mod xlsx;
pub use html::render_html;
pub use markdown::render_markdown;
pub use text::{
    allocation_name, fmt_dec, fmt_int, fmt_pct, long_date, long_datetime, method_name, Lang,
};

use serde::Serialize;

/// What the request is for.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Purpose {
    /// The margin of error asked for (a share to ±E), if the plan was sized by a margin.
    pub margin: Option<f64>,
    /// The total asked for, if the plan was sized by a total.
    pub total: Option<u64>,
    /// Confidence level.
    pub confidence: f64,
    /// The anticipated proportion P.
    pub proportion: f64,
    /// The allocation over strata.
    pub allocation: String,
    /// The margin of the overall share that the plan achieves.
    pub margin_achieved: Option<f64>,
    /// Which records are in the population (the plan's `--where`).
    pub population_filter: Option<String>,
    /// The strata columns.
    pub strata_columns: Vec<String>,
    /// The tolerable deviation rate T of an attribute plan (instead of a margin or total).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerable_rate: Option<f64>,
}

/// Burden rates.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Rates {
    /// Pages per record (when a stratum has no measured mean).
    pub pages_per_record: f64,
    /// Minutes of work per record.
    pub minutes_per_record: f64,
    /// Working hours per day.
    pub hours_per_day: f64,
}

/// Records, pages and working days.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Burden {
    /// Records.
    pub records: u64,
    /// Pages.
    pub pages: f64,
    /// Working days.
    pub working_days: f64,
}

/// One stratum (or the total): needed against requested.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StratumRow {
    /// `value, value` of the strata columns (or "total").
    pub label: String,
    /// N_h.
    pub population: u64,
    /// What the purpose needs.
    pub needed: Burden,
    /// What was (to be) requested.
    pub requested: Option<Burden>,
}

impl StratumRow {
    /// Requested − needed records (0 when fewer were requested).
    pub fn surplus(&self) -> Option<Burden> {
        self.requested.map(|r| Burden {
            records: r.records.saturating_sub(self.needed.records),
            pages: (r.pages - self.needed.pages).max(0.0),
            working_days: (r.working_days - self.needed.working_days).max(0.0),
        })
    }

    /// Needed − requested, when fewer records were requested than needed (else `None`).
    pub fn shortfall(&self) -> Option<Burden> {
        self.requested
            .filter(|r| r.records < self.needed.records)
            .map(|r| Burden {
                records: self.needed.records - r.records,
                pages: (self.needed.pages - r.pages).max(0.0),
                working_days: (self.needed.working_days - r.working_days).max(0.0),
            })
    }
}

/// The margin of error as a function of the number of records.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Curve {
    /// The population the curve is for.
    pub population: u64,
    /// (records, margin) points, increasing in records.
    pub points: Vec<(u64, f64)>,
    /// The needed point.
    pub needed: (u64, f64),
    /// The requested point.
    pub requested: Option<(u64, f64)>,
    /// How the curve is computed (shown under the plot).
    pub formula: String,
}

/// One stratum's own margin (domain designs, where every stratum is sized for its own).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StratumPrecision {
    /// The stratum's label.
    pub label: String,
    /// N_h.
    pub population: u64,
    /// The records the purpose needs, n_h.
    pub needed: u64,
    /// The stratum's margin at n_h.
    pub needed_margin: f64,
    /// The records requested, if a request is given.
    pub requested: Option<u64>,
    /// The stratum's margin at the requested records (`None` when none are requested).
    pub requested_margin: Option<f64>,
}

/// What the margins of the report are: the overall share's (stratified, under the plan's
/// allocation) or, for a domain design, every stratum's own.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Precision {
    /// `overall` or `per_stratum`.
    pub kind: String,
    /// Per stratum, worst first by the requested (else needed) margin (domain designs).
    pub strata: Vec<StratumPrecision>,
}

/// A report for part of a request (`--only COL=VALUE`): which part, and the whole request
/// it belongs to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scope {
    /// The part, as shown: `Motala (1398)` or `area = aldre`.
    pub label: String,
    /// The whole request's population.
    pub population: u64,
    /// The whole request's needed records.
    pub needed: u64,
    /// The whole request's requested records.
    pub requested: Option<u64>,
    /// The whole request covers the country (municipalities of every county): its figures
    /// are called national (`hela riket`), else the whole request's.
    pub national: bool,
}

/// The letter around the report: who sends it to whom, about what, and when.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Letter {
    /// The purpose in words (the population filter stays in the method section).
    pub purpose: Option<String>,
    /// The recipient.
    pub recipient: Option<String>,
    /// The case number (diarienummer).
    pub case_number: Option<String>,
    /// The sender.
    pub sender: Option<String>,
    /// The date, as written in the report's language (`24 november 2026`).
    pub date: String,
    /// The date by which the records are asked for, as written in the report's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

/// How the draw was made and can be verified.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Draw {
    /// The PRN seed.
    pub seed: u64,
    /// The start.
    pub start: f64,
    /// The PRN specification.
    pub prn: String,
    /// Its version.
    pub prn_spec_version: u64,
    /// The manifest file.
    pub manifest: String,
    /// Records selected.
    pub selected: u64,
    /// XXH3-128 of plan.json when the draw was made.
    pub plan_hash: String,
    /// The command that verifies the draw.
    pub verify_command: String,
    /// Where the seed came from: derived from a commitment and randomness, or (`None`)
    /// chosen by the analyst.
    pub seed_chain: Option<SeedChain>,
    /// The command is run by the receiver of a package (`urval draw --split-by`) in the
    /// package's folder, on its own extract saved there as `extract`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_extract: Option<String>,
}

/// A seed derived from a commitment made before it and randomness produced after it
/// (`urval commit`, `urval draw --commitment … --randomness …`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeedChain {
    /// The commitment, hex.
    pub commitment: String,
    /// When it was made.
    pub committed: String,
    /// The randomness as it entered the seed.
    pub randomness: String,
    /// The stage.
    pub stage: u32,
}

/// One achieved estimate after the review.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndicatorRow {
    /// The indicator's name.
    pub name: String,
    /// Its label in the report's language.
    pub label: String,
    /// share, mean, median or count.
    pub kind: String,
    /// The group (`value, value`) or "total".
    pub group: String,
    /// Records in the indicator's population.
    pub n: u64,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// The method.
    pub method: String,
    /// Why to read the estimate with caution (the indicators table's `caution`), if at all.
    pub caution: Option<String>,
    /// `incomplete` or `dropped` when strata without response belong to the row, with the
    /// (worst-case) share of its population in them.
    pub nonresponse: Option<(String, f64)>,
    /// Withheld by small-cell suppression (the indicators table's `suppressed`): shown `..`.
    #[serde(default)]
    pub suppressed: bool,
    /// The model-based complement of a share (a table written with `--small-area`),
    /// shown after the direct estimate.
    #[serde(default)]
    pub model: Option<ModelEstimate>,
}

/// A share's model-based estimate (small-area estimation), beside its direct one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelEstimate {
    /// The model-based share.
    pub estimate: f64,
    /// Its interval.
    pub lower: f64,
    /// Its interval.
    pub upper: f64,
    /// The weight of the direct estimate (None: synthetic, no records).
    pub shrinkage: Option<f64>,
    /// The model (`eb-beta-binomial`, `fay-herriot-arcsine`, …).
    pub method: String,
}

/// A long table attached next to the report (its full rows; the page shows the first).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attachment {
    /// `strata`, `margins` or `indicators`.
    pub table: String,
    /// The CSV's file name.
    pub csv: String,
    /// The workbook's file name (one workbook holds every attached table).
    pub xlsx: String,
}

/// How many records this request shares with a previous one (`report --previous`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overlap {
    /// The previous manifest's file name.
    pub previous: String,
    /// Records in both.
    pub shared: u64,
    /// The least number any two such requests must share: Σ_h max(0, n_A,h + n_B,h − N_h).
    pub forced: u64,
    /// The number expected if the two were drawn independently: Σ_h n_A,h·n_B,h/N_h.
    pub expected: f64,
}

/// A request in two stages: stage 1 is the request, stage 2 the next records of the same
/// draw, requested only when stage 1 does not settle the question.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Staged {
    /// Stage 1 (the report's strata).
    pub stage1: Burden,
    /// Stage 2 (the report's strata).
    pub stage2: Burden,
    /// How stage 1 is sized: `fraction`, `margin` or `attribute`.
    pub first_stage: String,
    /// F of a `fraction` first stage.
    pub first_fraction: Option<f64>,
    /// E₁ of a `margin` first stage.
    pub first_margin: Option<f64>,
    /// The overall share's margin after stage 1 (whole request only).
    pub margin_stage1: Option<f64>,
    /// A domain design: the largest stratum margin after stage 1 and after both stages.
    pub stratum_margins: Option<(f64, f64)>,
    /// The rule of an attribute plan.
    pub rule: Option<StagedRule>,
}

/// The rule of a two-stage attribute plan and what it costs on average.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StagedRule {
    /// T.
    pub tolerable_rate: f64,
    /// R.
    pub expected_rate: f64,
    /// n₁ (whole request).
    pub n1: u64,
    /// a₁.
    pub accept1: u64,
    /// r₁.
    pub reject1: u64,
    /// n₂ (whole request).
    pub n2: u64,
    /// a₂ (cumulative).
    pub accept2: u64,
    /// P(accept | T) as drawn, exact over both stages.
    pub risk: f64,
    /// P(stage 2 is taken | R).
    pub continue_probability: f64,
    /// Expected records at R (the report's strata).
    pub expected_records: f64,
    /// Expected pages at R.
    pub expected_pages: f64,
    /// Expected working days at R.
    pub expected_working_days: f64,
    /// The single-stage request with the same confidence (the report's strata).
    pub single: Burden,
}

/// A two-phase review: the municipality reviews its records itself (phase 1), the
/// inspectorate re-reviews a subsample (phase 2).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TwoPhase {
    /// The records reviewed where they are (phase 1).
    pub phase1: Burden,
    /// The records requested for re-review (phase 2).
    pub phase2: Burden,
    /// Phase 2 sized to estimate the disagreement rate to ±E.
    pub margin: Option<f64>,
    /// Phase 2 sized to show the disagreement rate below T.
    pub tolerable: Option<f64>,
    /// C.
    pub confidence: f64,
    /// Sized per value of this column.
    pub per: Option<String>,
    /// After the re-review: one line per question.
    pub agreement: Vec<AgreementLine>,
}

/// One question's agreement (the total row of `urval agreement`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgreementLine {
    /// The question.
    pub indicator: String,
    /// Records both answered.
    pub n: u64,
    /// Raw agreement.
    pub agreement: Option<f64>,
    /// Cohen's kappa.
    pub kappa: Option<f64>,
    /// Its lower limit.
    pub kappa_lower: Option<f64>,
    /// Its upper limit.
    pub kappa_upper: Option<f64>,
    /// The disagreement rate's upper bound.
    pub disagreement_upper: Option<f64>,
    /// The self-review's share.
    pub self_estimate: Option<f64>,
    /// The corrected share.
    pub corrected: Option<f64>,
    /// Its lower limit.
    pub corrected_lower: Option<f64>,
    /// Its upper limit.
    pub corrected_upper: Option<f64>,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Language of the text.
    pub lang: Lang,
    /// When the inputs were made (the plan's time).
    pub created: String,
    /// The urval version.
    pub urval_version: String,
    /// The plan file.
    pub plan_file: String,
    /// XXH3-128 of the plan file.
    pub plan_hash: String,
    /// The extract's order-independent fingerprint.
    pub extract_fingerprint: String,
    /// The extract's files.
    pub extract_files: Vec<String>,
    /// The key column.
    pub key: String,
    /// What the request is for.
    pub purpose: Purpose,
    /// Burden rates.
    pub rates: Rates,
    /// Per stratum.
    pub strata: Vec<StratumRow>,
    /// All strata.
    pub total: StratumRow,
    /// How the requested records were split over strata (when only a total was given).
    pub requested_split: Option<String>,
    /// Margin against records.
    pub curve: Curve,
    /// Which margin the report states, and per stratum for a domain design.
    pub precision: Precision,
    /// The part of the request the report is for (`--only`), if not all of it.
    pub scope: Option<Scope>,
    /// Recipient, sender, case number, purpose in words and date.
    pub letter: Letter,
    /// The draw, with a manifest.
    pub draw: Option<Draw>,
    /// Achieved estimates, with indicators.
    pub indicators: Vec<IndicatorRow>,
    /// The confidence of the indicators' intervals.
    pub indicators_confidence: Option<f64>,
    /// The records shared with a previous request, when one is given.
    pub overlap: Option<Overlap>,
    /// The long tables attached next to the report.
    pub attachments: Vec<Attachment>,
    /// A staged plan's two stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged: Option<Staged>,
    /// A two-phase review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_phase: Option<TwoPhase>,
    /// A request for several purposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<Purposes>,
    /// The indicators table holds every cell (`--suppress-below 0`): the report is marked
    /// not for publication in its header.
    pub not_for_publication: bool,
    /// The small-cell threshold the indicators were withheld by: a count of 1 to this minus
    /// one people is not shown (0: every cell shown).
    pub suppress_below: u64,
}

/// A request sized for several purposes at once (Bethel–Chromy): each purpose's target,
/// what the request achieves, and what the purpose alone would have cost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Purposes {
    /// `records` or `pages`: what the allocation minimises.
    pub cost: String,
    /// No allocation that meets every purpose costs less (proved).
    pub proved_optimal: bool,
    /// The allocation's cost Σ c_h n_h.
    pub cost_total: f64,
    /// A lower bound on it (the continuous optimum).
    pub cost_lower_bound: f64,
    /// The purposes.
    pub rows: Vec<PurposeLine>,
    /// The whole request (the report's strata).
    pub joint: Burden,
}

/// One purpose of a request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PurposeLine {
    /// Its label in the report's language (the name when none).
    pub label: String,
    /// `share` or `attribute`.
    pub kind: String,
    /// `overall`, `stratum` or a column.
    pub level: String,
    /// Its population, as an expression.
    pub population: Option<String>,
    /// Records in it.
    pub domain_population: u64,
    /// The margin asked (share), or the equivalent margin (attribute).
    pub target: f64,
    /// T of an attribute purpose.
    pub tolerable_rate: Option<f64>,
    /// Its confidence.
    pub confidence: f64,
    /// The worst margin achieved over its groups.
    pub achieved: Option<f64>,
    /// Met in every group.
    pub met: bool,
    /// What it alone would need.
    pub alone: Burden,
    /// Strata whose size it sets.
    pub binds_strata: u64,
    /// A small-area purpose (sized for the model-based estimate of every value of its
    /// level): the whole request with direct precision per value instead.
    pub model_direct: Option<Burden>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's case: one stratum of 767 journals, ±5 points at 95 % → 257 needed.
    pub(crate) fn seed_case(lang: Lang) -> Report {
        let rates = Rates {
            pages_per_record: 300.0,
            minutes_per_record: 13.0,
            hours_per_day: 8.0,
        };
        let burden = |n: u64| Burden {
            records: n,
            pages: n as f64 * 300.0,
            working_days: n as f64 * 13.0 / 60.0 / 8.0,
        };
        let row = StratumRow {
            label: "0180".into(),
            population: 767,
            needed: burden(257),
            requested: Some(burden(767)),
        };
        let mut total = row.clone();
        total.label = "total".into();
        Report {
            lang,
            created: "2026-11-23T00:00:00Z".into(),
            urval_version: "0.1.0".into(),
            plan_file: "plan.json".into(),
            plan_hash: "00".repeat(16),
            extract_fingerprint: "11".repeat(16),
            extract_files: vec!["journals.csv".into()],
            key: "case_id".into(),
            purpose: Purpose {
                margin: Some(0.05),
                total: None,
                confidence: 0.95,
                proportion: 0.5,
                allocation: "proportional".into(),
                margin_achieved: Some(0.0499),
                population_filter: None,
                tolerable_rate: None,
                strata_columns: vec!["municipality_code".into()],
            },
            rates,
            strata: vec![row],
            total,
            requested_split: None,
            curve: Curve {
                population: 767,
                points: (1..=767)
                    .step_by(7)
                    .map(|n| (n, 1.0 / (n as f64).sqrt()))
                    .collect(),
                needed: (257, 0.0499),
                requested: Some((767, 0.0)),
                formula: "e(n) = z·√(P(1−P)/n·(N−n)/(N−1))".into(),
            },
            precision: Precision {
                kind: "overall".into(),
                strata: Vec::new(),
            },
            scope: None,
            letter: Letter {
                date: "24 november 2026".into(),
                ..Letter::default()
            },
            draw: Some(Draw {
                seed: 20_261_123,
                start: 0.0,
                prn: "u = XXH3(key, seed)".into(),
                prn_spec_version: 1,
                manifest: "manifest.csv".into(),
                selected: 257,
                plan_hash: "00".repeat(16),
                verify_command:
                    "urval verify --extract journals.csv --plan plan.json --manifest manifest.csv"
                        .into(),
                seed_chain: None,
                own_extract: None,
            }),
            indicators: vec![IndicatorRow {
                name: "child_heard".into(),
                label: "Barnet har kommit till tals".into(),
                kind: "share".into(),
                group: "total".into(),
                n: 257,
                estimate: Some(0.75),
                lower: Some(0.70),
                upper: Some(0.80),
                method: "wilson-fpc".into(),
                caution: None,
                nonresponse: None,
                suppressed: false,
                model: None,
            }],
            indicators_confidence: Some(0.95),
            overlap: None,
            attachments: Vec::new(),
            staged: None,
            two_phase: None,
            purposes: None,
            not_for_publication: false,
            suppress_below: 5,
        }
    }

    /// A staged attribute request: the stages section with its four rows (stage 1, stage 2,
    /// expected, single stage) in HTML and Markdown, the rule in words, and no share margin
    /// curve; a staged share request has two rows and its margins after each stage.
    /// A withheld row shows `..` for its n, estimate and interval in every format, and the
    /// report says in one sentence what `..` means (Swedish, or English with --lang en).
    #[test]
    fn withheld_rows_show_two_dots_and_are_explained() {
        for lang in [Lang::Sv, Lang::En] {
            let mut r = seed_case(lang);
            let mut row = r.indicators[0].clone();
            row.group = "0560".into();
            row.n = 3;
            row.estimate = Some(0.6667);
            row.lower = None;
            row.upper = None;
            row.suppressed = true;
            r.indicators.push(row);
            let sentence = match lang {
                Lang::Sv => "Två punkter (..) betyder att uppgiften inte visas",
                Lang::En => "Two dots (..) mean a figure is not shown",
            };
            let html = render_html(&r);
            assert!(
                html.contains("<td>0560</td><td>..</td><td class=\"nw\">..</td>"),
                "{html}"
            );
            assert!(html.contains(sentence));
            let md = render_markdown(&r);
            assert!(md.contains("| 0560 | .. | .. | .. | |"), "{md}");
            assert!(md.contains(sentence));
            // The withheld share appears nowhere.
            // The withheld row holds no figure: no digit besides the group's.
            for (text, end) in [(&html, "</tr>"), (&md, "\n")] {
                let start = text.find("0560").unwrap() + 4;
                let row = &text[start..start + text[start..].find(end).unwrap()];
                assert!(!row.chars().any(|c| c.is_ascii_digit()), "{row}");
            }
            let sheet = crate::tables::indicators_sheet(&r);
            let last = sheet.rows.last().unwrap();
            assert_eq!(last[2], crate::xlsx::Cell::Text("..".into()));
            // A table with every cell marks the report's header.
            let mark = match lang {
                Lang::Sv => "Ej för publicering",
                Lang::En => "Not for publication",
            };
            assert!(!html.contains(mark) && !md.contains(mark));
            r.not_for_publication = true;
            assert!(render_html(&r).contains(&format!("<p class=\"note\"><strong>{mark}")));
            assert!(render_markdown(&r).contains(&format!("**{mark}")));
            // Without withheld rows, no sentence.
            let r = seed_case(lang);
            assert!(!render_html(&r).contains(sentence));
        }
    }

    #[test]
    fn staged_requests_are_shown_as_stages() {
        let b = |n: u64| Burden {
            records: n,
            pages: n as f64 * 300.0,
            working_days: n as f64 * 13.0 / 480.0,
        };
        let mut r = seed_case(Lang::Sv);
        r.purpose.tolerable_rate = Some(0.10);
        r.staged = Some(Staged {
            stage1: b(37),
            stage2: b(10),
            first_stage: "attribute".into(),
            first_fraction: None,
            first_margin: None,
            margin_stage1: None,
            stratum_margins: None,
            rule: Some(StagedRule {
                tolerable_rate: 0.10,
                expected_rate: 0.02,
                n1: 37,
                accept1: 0,
                reject1: 2,
                n2: 10,
                accept2: 1,
                risk: 0.0492,
                continue_probability: 0.358,
                expected_records: 40.58,
                expected_pages: 12_174.0,
                expected_working_days: 1.1,
                single: b(46),
            }),
        });
        let html = render_html(&r);
        assert!(html.contains("<h2>Begäran i två steg</h2>"));
        let table = &html[html.find("<table class=\"stages\">").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr>").count(), 5, "{table}");
        assert!(table.contains("<td>Väntat i genomsnitt</td><td>40,6</td>"));
        assert!(html.contains("hittas ingen avvikelse bland de 37 akterna i steg 1"));
        assert!(html.contains("4,920 procent"));
        assert!(
            !html.contains(crate::text::SV.precision),
            "an attribute plan has no margin curve"
        );
        let md = render_markdown(&r);
        assert!(
            md.contains("| En begäran i ett steg | 46 | 13\u{a0}800 | 1,2 |"),
            "{md}"
        );
        assert!(md.contains("1\u{a0}626 sidor färre i genomsnitt"), "{md}");

        let mut r = seed_case(Lang::En);
        r.staged = Some(Staged {
            stage1: b(129),
            stage2: b(128),
            first_stage: "fraction".into(),
            first_fraction: Some(0.5),
            first_margin: None,
            margin_stage1: Some(0.0753),
            stratum_margins: None,
            rule: None,
        });
        let md = render_markdown(&r);
        assert!(md.contains("| Stage 2: only if needed | 128 |"), "{md}");
        assert!(!md.contains("Expected on average"));
        assert!(md.contains("Stage 1 is 50.0% of every stratum's records, rounded up; after stage 1 the margin of the overall share is ±7.5 percentage points, after both stages ±5.0 percentage points."), "{md}");
        assert!(md.contains(&format!("## {}", crate::text::EN.precision)));
    }

    #[test]
    fn html_is_self_contained_and_in_the_language() {
        let sv = render_html(&seed_case(Lang::Sv));
        assert!(sv.starts_with("<!DOCTYPE html>\n<html lang=\"sv\">"));
        assert!(sv.contains("153\u{a0}000"), "Swedish thousands");
        assert!(sv.contains("13,8"), "decimal comma");
        assert!(!sv.contains("<script") && !sv.contains("http://") && !sv.contains("https://"));
        assert!(sv.contains("<svg"));
        let en = render_html(&seed_case(Lang::En));
        assert!(en.contains("<html lang=\"en\">") && en.contains("153,000") && en.contains("13.8"));
        assert_ne!(sv, en);
    }

    #[test]
    fn markdown_carries_the_same_numbers() {
        let md = render_markdown(&seed_case(Lang::En));
        for want in ["767", "257", "510", "153,000", "13.8", "urval verify"] {
            assert!(md.contains(want), "{want}");
        }
        let json = serde_json::to_string(&seed_case(Lang::En)).unwrap();
        assert!(json.contains("\"records\":510") || json.contains("\"records\":767"));
    }

    #[test]
    fn surplus_is_never_negative() {
        let mut r = seed_case(Lang::En).total;
        assert_eq!(r.surplus().unwrap().records, 510);
        r.requested = Some(Burden {
            records: 100,
            pages: 30_000.0,
            working_days: 2.7,
        });
        assert_eq!(r.surplus().unwrap().records, 0);
        assert_eq!(r.surplus().unwrap().pages, 0.0);
    }

    /// A caution and a non-response status reach the reader in both languages and formats.
    #[test]
    fn estimate_notes_are_shown() {
        let mut r = seed_case(Lang::Sv);
        r.indicators[0].caution = Some("fewer than 2 records in a stratum".into());
        r.indicators[0].nonresponse = Some(("incomplete".into(), 0.125));
        let html = render_html(&r);
        assert!(
            html.contains("tolka med försiktighet: färre än 2 akter i något stratum"),
            "{html}"
        );
        assert!(html.contains("ofullständig: upp till 12,5"), "{html}");
        r.lang = Lang::En;
        let md = render_markdown(&r);
        assert!(
            md.contains("read with caution: fewer than 2 records in a stratum"),
            "{md}"
        );
        assert!(md.contains("incomplete: up to 12.5"), "{md}");
    }

    /// A national-sized report: `h` strata and an estimate per stratum.
    /// A table with model-based estimates shows them after the direct estimate and its
    /// method, with the sentence saying what they are; a withheld row shows neither.
    #[test]
    fn model_based_estimates_follow_the_direct_ones_and_are_explained() {
        for lang in [Lang::Sv, Lang::En] {
            let mut r = seed_case(lang);
            let mut group = r.indicators[0].clone();
            group.group = "0180".into();
            group.model = Some(ModelEstimate {
                estimate: 0.7612,
                lower: 0.70,
                upper: 0.81,
                shrinkage: Some(0.4),
                method: "eb-beta-binomial".into(),
            });
            r.indicators.push(group);
            let md = render_markdown(&r);
            let w = crate::text::words(lang);
            let head = md
                .lines()
                .find(|l| l.contains(w.model_estimate))
                .expect("a model column");
            let at = |s: &str| head.find(s).expect(s);
            assert!(at(w.estimate) < at(w.method_col) && at(w.method_col) < at(w.model_estimate));
            let sheet = crate::tables::indicators_sheet(&r);
            let names: Vec<&str> = sheet.columns.iter().map(|c| c.header.as_str()).collect();
            let at = |s: &str| names.iter().position(|n| *n == s).expect(s);
            assert!(at(w.estimate) < at(w.model_estimate));
            assert_eq!(
                sheet.rows[1][at(w.model_estimate)],
                xlsx::Cell::Percent(0.7612)
            );
            let sentence = crate::sentences::model_based(lang, "eb-beta-binomial");
            assert!(md.contains(&sentence), "{md}");
            let shown = if lang == Lang::Sv { "76,1" } else { "76.1" };
            assert!(md.contains(shown), "{md}");
            r.indicators[1].suppressed = true;
            assert!(
                !render_markdown(&r).contains(shown),
                "a withheld row's model figure"
            );
        }
    }

    fn long_case(h: usize) -> Report {
        let mut r = seed_case(Lang::Sv);
        r.strata = (0..h)
            .map(|i| StratumRow {
                label: format!("S{i:04}"),
                population: 1000,
                needed: Burden {
                    records: 10,
                    pages: 100.0 + i as f64,
                    working_days: 1.0,
                },
                requested: None,
            })
            .collect();
        let base = r.indicators[0].clone();
        r.indicators.extend((0..h).map(|i| IndicatorRow {
            group: format!("S{i:04}"),
            n: (i % 7) as u64,
            lower: Some(0.5 - i as f64 / 10_000.0),
            upper: Some(0.5 + i as f64 / 10_000.0),
            ..base.clone()
        }));
        r
    }

    /// Long tables show their ten most telling rows, fold the rest and name the files;
    /// short ones show everything.
    #[test]
    fn long_tables_are_shortened_and_attached() {
        let r = long_case(40);
        let order = tables::by_burden(&r.strata);
        assert_eq!(r.strata[order[0]].label, "S0039", "most pages first");
        let widest = tables::by_width(&r.indicators);
        assert!(
            widest.iter().all(|&i| r.indicators[i].n > 0),
            "n = 0 left out"
        );
        assert_eq!(r.indicators[widest[0]].group, "S0039", "widest first");
        let long: Vec<&str> = tables::long_tables(&r).iter().map(|(t, _)| *t).collect();
        assert_eq!(long, ["strata", "indicators"]);
        let sheet = tables::strata_sheet(&r);
        assert_eq!(sheet.rows.len(), 41, "every stratum and the total");

        let mut r = r;
        r.attachments = ["strata", "indicators"]
            .iter()
            .map(|t| Attachment {
                table: (*t).into(),
                csv: format!("r.{t}.csv"),
                xlsx: "r.tables.xlsx".into(),
            })
            .collect();
        let html = render_html(&r);
        assert_eq!(html.matches("<details>").count(), 2);
        assert!(html.contains("href=\"r.strata.csv\""));
        let md = render_markdown(&r);
        assert!(
            md.contains("| S0039 |") && !md.contains("| S0000 | 1"),
            "{md}"
        );
        assert!(md.contains("r.strata.csv") && md.contains("Hela tabellen (41 rader)"));

        let short = long_case(20);
        assert!(tables::long_tables(&short).is_empty());
        assert!(!render_html(&short).contains("<details>"));
    }

    /// A share with no records is named, not plotted; a label too long is cut with `…` and
    /// kept whole in its title.
    #[test]
    fn empty_shares_are_named_and_long_labels_cut() {
        let mut r = seed_case(Lang::En);
        let mut empty = r.indicators[0].clone();
        empty.label = "Nobody here".into();
        empty.n = 0;
        empty.estimate = None;
        empty.lower = None;
        empty.upper = None;
        r.indicators.push(empty);
        r.indicators[0].label = "A very long label ".repeat(6);
        let html = render_html(&r);
        assert!(html.contains("not plotted: Nobody here."), "{html}");
        let plot = &html[html.find("aria-label=\"Achieved").unwrap()..];
        let plot = &plot[..plot.find("</svg>").unwrap()];
        assert!(!plot.contains("Nobody here"));
        assert!(
            plot.contains('…')
                && plot.contains(&format!(
                    "<title>{}</title>",
                    "A very long label ".repeat(6)
                ))
        );
        assert!(svg::text_width("mmmm", 10.0) > svg::text_width("iiii", 10.0));
    }

    /// Under `--only` the totals are the whole request's.
    #[test]
    fn scoped_totals_are_the_whole_request() {
        let mut r = seed_case(Lang::Sv);
        assert_eq!(text::group_name(&r, &r.indicators[0]), "Totalt");
        r.scope = Some(Scope {
            label: "Motala (1398)".into(),
            population: 10,
            needed: 5,
            requested: None,
            national: false,
        });
        assert_eq!(text::group_name(&r, &r.indicators[0]), "Hela begäran");
        r.scope.as_mut().unwrap().national = true;
        assert_eq!(text::group_name(&r, &r.indicators[0]), "Hela riket");
        assert!(
            sentences::scope(&r)
                .unwrap()
                .contains("akter som begäran för hela riket behöver"),
            "{:?}",
            sentences::scope(&r)
        );
        assert!(sentences::running_head(&r).contains("Motala (1398)"));
    }
}
