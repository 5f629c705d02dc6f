//! The report's long tables as data: which rows a page shows first, and the full tables
//! as sheets ([`crate::xlsx::Sheet`]) to attach next to the report as CSV and `.xlsx`.
//!
//! A table of more than [`LONG`] rows shows its [`TOP`] most telling rows on the page (the
//! strata with the most pages, the strata with the largest margins, the groups with the
//! widest intervals); the whole table is folded under it and attached.

use crate::text::{words, Sentence};
use crate::xlsx::{Cell, Column, ColumnKind, Sheet};
use crate::{IndicatorRow, Report, StratumRow};

pub use crate::text::{LONG, TOP};

/// The pages a stratum costs: requested if a request is given, else needed.
fn pages(r: &StratumRow) -> f64 {
    r.requested.map_or(r.needed.pages, |q| q.pages)
}

/// The strata in order of their burden, most pages first (ties by label).
pub fn by_burden(rows: &[StratumRow]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    idx.sort_by(|&a, &b| {
        pages(&rows[b])
            .total_cmp(&pages(&rows[a]))
            .then_with(|| rows[a].label.cmp(&rows[b].label))
    });
    idx
}

/// An estimate's interval width (`None` without an interval).
fn width(r: &IndicatorRow) -> Option<f64> {
    match (r.lower, r.upper) {
        (Some(l), Some(u)) => Some(u - l),
        _ => None,
    }
}

/// The group rows (not the totals) with records, widest interval first; rows with n = 0
/// have no estimate and are left out (they are listed in the full table).
pub fn by_width(rows: &[IndicatorRow]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].group != "total" && rows[i].n > 0 && !rows[i].suppressed)
        .collect();
    // Widths are compared within a kind only in spirit: shares first (widths in [0, 1]),
    // then means in their own units.
    idx.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        (ra.kind != "share")
            .cmp(&(rb.kind != "share"))
            .then_with(|| {
                width(rb)
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&width(ra).unwrap_or(f64::INFINITY))
            })
            .then(a.cmp(&b))
    });
    idx
}

fn col(header: &str, kind: ColumnKind) -> Column {
    Column {
        header: header.to_string(),
        kind,
    }
}

fn num(v: f64) -> Cell {
    if v.is_finite() {
        Cell::Number(v)
    } else {
        Cell::Empty
    }
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, num)
}

/// Records, pages and working days rounded as the page shows them (pages whole, days to a
/// tenth), so the file and the page agree.
fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// The per-stratum burden table in plan order, with the total last.
pub fn strata_sheet(r: &Report) -> Sheet {
    let w = words(r.lang);
    let h = |a: &str, b: &str| format!("{a} ({b})");
    let columns = vec![
        col(w.stratum, ColumnKind::Text),
        col(w.population, ColumnKind::Number),
        col(&h(w.needed, w.records), ColumnKind::Number),
        col(&h(w.requested, w.records), ColumnKind::Number),
        col(&h(w.surplus, w.records), ColumnKind::Number),
        col(&h(w.needed, w.pages), ColumnKind::Number),
        col(&h(w.requested, w.pages), ColumnKind::Number),
        col(&h(w.needed, w.working_days), ColumnKind::Number),
        col(&h(w.requested, w.working_days), ColumnKind::Number),
    ];
    let row = |s: &StratumRow, label: &str| {
        vec![
            Cell::Text(label.to_string()),
            num(s.population as f64),
            num(s.needed.records as f64),
            opt(s.requested.map(|q| q.records as f64)),
            opt(s.surplus().map(|q| q.records as f64)),
            num(round(s.needed.pages, 0)),
            opt(s.requested.map(|q| round(q.pages, 0))),
            num(round(s.needed.working_days, 1)),
            opt(s.requested.map(|q| round(q.working_days, 1))),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r.strata.iter().map(|s| row(s, &s.label)).collect();
    rows.push(row(&r.total, w.total));
    Sheet {
        name: w.sheet_strata.to_string(),
        columns,
        rows,
    }
}

/// Every stratum's own margin (domain designs), worst first.
pub fn margins_sheet(r: &Report) -> Sheet {
    let w = words(r.lang);
    let h = |a: &str, b: &str| format!("{a} ({b})");
    let columns = vec![
        col(w.stratum, ColumnKind::Text),
        col(w.population, ColumnKind::Number),
        col(&h(w.needed, w.records), ColumnKind::Number),
        col(&h(w.margin, w.needed), ColumnKind::Percent),
        col(&h(w.requested, w.records), ColumnKind::Number),
        col(&h(w.margin, w.requested), ColumnKind::Percent),
    ];
    let rows = r
        .precision
        .strata
        .iter()
        .map(|p| {
            vec![
                Cell::Text(p.label.clone()),
                num(p.population as f64),
                num(p.needed as f64),
                num(p.needed_margin),
                opt(p.requested.map(|q| q as f64)),
                opt(p.requested_margin),
            ]
        })
        .collect();
    Sheet {
        name: w.sheet_margins.to_string(),
        columns,
        rows,
    }
}

/// The achieved estimates, totals first, in the indicators file's order.
pub fn indicators_sheet(r: &Report) -> Sheet {
    let w = words(r.lang);
    let columns = vec![
        col(w.indicator, ColumnKind::Text),
        col(w.group, ColumnKind::Text),
        col("n", ColumnKind::Number),
        col(w.estimate, ColumnKind::Number),
        col(w.lower, ColumnKind::Number),
        col(w.upper, ColumnKind::Number),
        col(w.method_col, ColumnKind::Text),
        col(w.note, ColumnKind::Text),
    ];
    // The model-based complement (`--small-area`) after the direct estimate.
    let models = r.indicators.iter().any(|i| i.model.is_some());
    let mut columns = columns;
    if models {
        columns.extend([
            col(w.model_estimate, ColumnKind::Percent),
            col(w.model_lower, ColumnKind::Percent),
            col(w.model_upper, ColumnKind::Percent),
            col(w.model_weight, ColumnKind::Percent),
            col(w.model_method, ColumnKind::Text),
        ]);
    }
    let model_cells = |i: &IndicatorRow| -> Vec<Cell> {
        let pct = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Percent);
        match (&i.model, i.suppressed) {
            (Some(m), false) => vec![
                pct(Some(m.estimate)),
                pct(Some(m.lower)),
                pct(Some(m.upper)),
                pct(m.shrinkage),
                Cell::Text(crate::text::method_name(r.lang, &m.method)),
            ],
            _ => vec![Cell::Empty; 5],
        }
    };
    let share = |i: &IndicatorRow, v: Option<f64>| match (i.kind.as_str(), v) {
        ("share", Some(x)) if x.is_finite() => Cell::Percent(x),
        (_, v) => opt(v),
    };
    let rows = r
        .indicators
        .iter()
        .map(|i| {
            let mut row = if i.suppressed {
                let dots = || Cell::Text("..".into());
                vec![
                    Cell::Text(i.label.clone()),
                    Cell::Text(crate::text::group_name(r, i)),
                    dots(),
                    dots(),
                    dots(),
                    dots(),
                    Cell::Empty,
                    Cell::Empty,
                ]
            } else {
                vec![
                    Cell::Text(i.label.clone()),
                    Cell::Text(crate::text::group_name(r, i)),
                    num(i.n as f64),
                    share(i, i.estimate),
                    share(i, i.lower),
                    share(i, i.upper),
                    Cell::Text(crate::text::method_name(r.lang, &i.method)),
                    crate::text::estimate_note(r.lang, i).map_or(Cell::Empty, Cell::Text),
                ]
            };
            if models {
                row.extend(model_cells(i));
            }
            row
        })
        .collect();
    Sheet {
        name: w.sheet_indicators.to_string(),
        columns,
        rows,
    }
}

/// The tables too long for the page, by id (`strata`, `margins`, `indicators`), to attach.
pub fn long_tables(r: &Report) -> Vec<(&'static str, Sheet)> {
    let mut out = Vec::new();
    if r.strata.len() > LONG {
        out.push(("strata", strata_sheet(r)));
    }
    if r.precision.strata.len() > LONG {
        out.push(("margins", margins_sheet(r)));
    }
    if r.indicators.len() > LONG {
        out.push(("indicators", indicators_sheet(r)));
    }
    out
}

/// The attachment of a table, if it is attached.
pub fn attachment<'a>(r: &'a Report, table: &str) -> Option<&'a crate::Attachment> {
    r.attachments.iter().find(|a| a.table == table)
}

/// A row of records, pages and working days under a label, as the burden tables write it.
fn burden_row(lang: crate::Lang, label: &str, b: &crate::Burden) -> [String; 4] {
    [
        label.to_string(),
        crate::text::fmt_int(lang, b.records),
        crate::text::fmt_dec(lang, b.pages, 0),
        crate::text::fmt_dec(lang, b.working_days, 1),
    ]
}

/// The purposes table's header, in the report's language.
pub fn purpose_head(w: &crate::text::Words) -> [&'static str; 6] {
    [
        w.purpose_col,
        w.target_col,
        w.achieved_col,
        w.alone_records_col,
        w.alone_pages_col,
        w.binds_col,
    ]
}

const IN_EVERY_STRATUM: Sentence = Sentence {
    sv: " i varje stratum",
    en: " in every stratum",
};
const BELOW: Sentence = Sentence {
    sv: "under {t}{level}",
    en: "below {t}{level}",
};
const NOT_MET: Sentence = Sentence {
    sv: "{a} (nås inte)",
    en: "{a} (not met)",
};
const MODEL_BASED: Sentence = Sentence {
    sv: "{t}, modellbaserad skattning",
    en: "{t}, model-based estimate",
};
const DIRECT_INSTEAD: Sentence = Sentence {
    sv: "Med direkt precision{level} för {label} i stället",
    en: "With direct precision{level} for {label} instead",
};
const YES: Sentence = Sentence {
    sv: "ja",
    en: "yes",
};
const NO: Sentence = Sentence {
    sv: "nej",
    en: "no",
};

/// The purposes table's rows: purpose, target, achieved, records and pages it alone would
/// need, strata it sets; then the separate requests' sum and the joint request.
pub fn purpose_rows(r: &Report) -> Vec<[String; 6]> {
    let Some(ps) = &r.purposes else {
        return Vec::new();
    };
    let lang = r.lang;
    let w = crate::text::words(lang);
    let points = |v: f64| crate::text::fmt_points(lang, v);
    let mut rows: Vec<[String; 6]> = ps
        .rows
        .iter()
        .map(|x| {
            let level = match x.level.as_str() {
                "overall" => String::new(),
                "stratum" => IN_EVERY_STRATUM.text(lang).to_string(),
                c => format!(" per {c}"),
            };
            let target = match x.tolerable_rate {
                Some(t) => BELOW.fill(
                    lang,
                    &[("t", &crate::text::fmt_pct(lang, t)), ("level", &level)],
                ),
                None if x.model_direct.is_some() => {
                    MODEL_BASED.fill(lang, &[("t", &format!("{}{level}", points(x.target)))])
                }
                None => format!("{}{level}", points(x.target)),
            };
            let achieved = match (x.achieved, x.met) {
                (Some(a), true) => points(a),
                (Some(a), false) => NOT_MET.fill(lang, &[("a", &points(a))]),
                (None, _) => "–".to_string(),
            };
            [
                x.label.clone(),
                target,
                match (x.tolerable_rate, x.met) {
                    (Some(_), true) => YES.text(lang).to_string(),
                    (Some(_), false) => NO.text(lang).to_string(),
                    (None, _) => achieved,
                },
                crate::text::fmt_int(lang, x.alone.records),
                crate::text::fmt_dec(lang, x.alone.pages, 0),
                crate::text::fmt_int(lang, x.binds_strata),
            ]
        })
        .collect();
    let sep_r: u64 = ps.rows.iter().map(|x| x.alone.records).sum();
    let sep_p: f64 = ps.rows.iter().map(|x| x.alone.pages).sum();
    rows.push([
        w.separate_row.to_string(),
        String::new(),
        String::new(),
        crate::text::fmt_int(lang, sep_r),
        crate::text::fmt_dec(lang, sep_p, 0),
        String::new(),
    ]);
    rows.push([
        w.joint_row.to_string(),
        String::new(),
        String::new(),
        crate::text::fmt_int(lang, ps.joint.records),
        crate::text::fmt_dec(lang, ps.joint.pages, 0),
        String::new(),
    ]);
    for x in &ps.rows {
        if let Some(d) = &x.model_direct {
            let level = match x.level.as_str() {
                "overall" | "stratum" => String::new(),
                c => format!(" per {c}"),
            };
            rows.push([
                DIRECT_INSTEAD.fill(lang, &[("level", &level), ("label", &x.label)]),
                String::new(),
                String::new(),
                crate::text::fmt_int(lang, d.records),
                crate::text::fmt_dec(lang, d.pages, 0),
                String::new(),
            ]);
        }
    }
    rows
}

/// The rows of a staged request's table: (label, records, pages, working days) as text —
/// stage 1, stage 2, and for an attribute plan the expected burden and the single-stage
/// request. Shared by the HTML and Markdown reports.
pub fn stage_rows(r: &Report) -> Vec<[String; 4]> {
    let Some(st) = &r.staged else {
        return Vec::new();
    };
    let lang = r.lang;
    let w = crate::text::words(lang);
    let row = |label: &str, b: &crate::Burden| burden_row(lang, label, b);
    let mut rows = vec![row(w.stage1_row, &st.stage1), row(w.stage2_row, &st.stage2)];
    if let Some(rule) = &st.rule {
        rows.push([
            w.expected_row.to_string(),
            crate::text::fmt_dec(lang, rule.expected_records, 1),
            crate::text::fmt_dec(lang, rule.expected_pages, 0),
            crate::text::fmt_dec(lang, rule.expected_working_days, 1),
        ]);
        rows.push(row(w.single_row, &rule.single));
    }
    rows
}

/// The two-phase table's rows (label, records, pages, working days) and the agreement
/// table's rows (question, n, agreement, kappa with interval, disagreement bound,
/// self-review share, corrected share with interval) as text.
pub fn two_phase_rows(r: &Report) -> (Vec<[String; 4]>, Vec<[String; 7]>) {
    let Some(tp) = &r.two_phase else {
        return (Vec::new(), Vec::new());
    };
    let lang = r.lang;
    let w = crate::text::words(lang);
    let row = |label: &str, b: &crate::Burden| burden_row(lang, label, b);
    let pct = |v: Option<f64>| v.map_or("–".to_string(), |x| crate::text::fmt_pct(lang, x));
    let dec = |v: Option<f64>| v.map_or("–".to_string(), |x| crate::text::fmt_dec(lang, x, 2));
    let lines = tp
        .agreement
        .iter()
        .map(|a| {
            [
                a.indicator.clone(),
                crate::text::fmt_int(lang, a.n),
                pct(a.agreement),
                match (a.kappa, a.kappa_lower, a.kappa_upper) {
                    (Some(_), Some(l), Some(u)) => {
                        format!("{} ({}–{})", dec(a.kappa), dec(Some(l)), dec(Some(u)))
                    }
                    _ => dec(a.kappa),
                },
                pct(a.disagreement_upper),
                pct(a.self_estimate),
                match (a.corrected, a.corrected_lower, a.corrected_upper) {
                    (Some(c), Some(l), Some(u)) => {
                        format!("{} ({}–{})", pct(Some(c)), pct(Some(l)), pct(Some(u)))
                    }
                    _ => pct(a.corrected),
                },
            ]
        })
        .collect();
    (
        vec![row(w.phase1_row, &tp.phase1), row(w.phase2_row, &tp.phase2)],
        lines,
    )
}
