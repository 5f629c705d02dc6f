//! The report as one self-contained HTML page: inline CSS and SVG, no script, no font or
//! image from the network; readable on screen and printed on A4.

use crate::svg::{burden_plot, esc, indicator_plot, margin_plot};
use crate::text::{estimate_note, fmt_dec, fmt_int, fmt_pct, method_name, sentences, words, Lang};
use crate::{Burden, IndicatorRow, Report, StratumRow};
use std::fmt::Write as _;

const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; line-height: 1.45; margin: 0; background: #fff; }
main { max-width: 56rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ccd; padding-bottom: .2rem; }
.subtitle { font-size: 1.1rem; color: #444; margin: 0 0 .3rem; }
.meta { color: #666; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e2e2e8; padding: .3rem .5rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f4f8; }
tr.total td { font-weight: 700; border-top: 2px solid #999; }
.kpi { display: grid; grid-template-columns: repeat(3, 1fr); gap: .75rem; margin: 1rem 0; }
.kpi > div { border: 1px solid #dde; border-radius: 6px; padding: .6rem .8rem; }
.kpi .label { font-size: .8rem; color: #555; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 1.6rem; font-weight: 700; }
.kpi .sub { font-size: .85rem; color: #444; }
.needed .value { color: #1b7f3b; } .requested .value { color: #b3261e; } .surplus .value { color: #7a4b00; }
figure { margin: 1rem 0; } figcaption { font-size: .85rem; color: #555; }
svg.plot { width: 100%; height: auto; font-family: inherit; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #f5f5f7; padding: .6rem .8rem; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .9rem; }
dt { color: #555; } dd { margin: 0; word-break: break-all; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr, .kpi { break-inside: avoid; }
  body { font-size: 10.5pt; }
}
"#;

fn burden_cells(lang: Lang, b: Option<Burden>) -> [String; 3] {
    match b {
        Some(b) => [
            fmt_int(lang, b.records),
            fmt_dec(lang, b.pages, 0),
            fmt_dec(lang, b.working_days, 1),
        ],
        None => ["–".into(), "–".into(), "–".into()],
    }
}

fn stratum_row(lang: Lang, r: &StratumRow, class: &str, label: &str) -> String {
    let opt = |v: Option<u64>| v.map_or("–".to_string(), |x| fmt_int(lang, x));
    format!(
        "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(label),
        fmt_int(lang, r.population),
        fmt_int(lang, r.needed.records),
        opt(r.requested.map(|q| q.records)),
        opt(r.surplus().map(|s| s.records)),
        fmt_dec(lang, r.needed.pages, 0),
        r.requested.map_or("–".into(), |q| fmt_dec(lang, q.pages, 0)),
    )
}

fn value(lang: Lang, kind: &str, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if kind == "share" => fmt_pct(lang, x),
        Some(x) => fmt_dec(lang, x, 1),
    }
}

/// The most group rows the achieved-estimates table shows (the rest are in the file).
pub const MAX_INDICATOR_ROWS: usize = 300;

fn indicator_table(lang: Lang, rows: &[IndicatorRow]) -> String {
    let w = words(lang);
    let mut s = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>n</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        w.indicator, w.group, w.estimate, w.interval, w.method_col
    );
    for r in rows.iter().take(MAX_INDICATOR_ROWS) {
        let iv = match (r.lower, r.upper) {
            (Some(_), Some(_)) => format!(
                "{} – {}",
                value(lang, &r.kind, r.lower),
                value(lang, &r.kind, r.upper)
            ),
            _ => "–".into(),
        };
        let group = if r.group == "total" {
            w.total.to_string()
        } else {
            r.group.clone()
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.label),
            esc(&group),
            fmt_int(lang, r.n),
            value(lang, &r.kind, r.estimate),
            iv,
            match estimate_note(lang, r) {
                Some(note) => format!(
                    "{}<br><small>{}</small>",
                    esc(&method_name(lang, &r.method)),
                    esc(&note)
                ),
                None => esc(&method_name(lang, &r.method)),
            }
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// Render the report as one HTML page.
pub fn render_html(r: &Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let mut s = String::new();
    let _ = writeln!(s, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"urval {}\">\n<title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>",
        lang.code(),
        esc(&r.urval_version),
        esc(w.title),
        esc(w.subtitle)
    );
    let _ = writeln!(s, "<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<p class=\"meta\">{}: {} · plan {} · urval {}</p>",
        esc(w.title),
        esc(w.subtitle),
        esc(w.created),
        esc(&r.created),
        esc(&r.plan_file),
        esc(&r.urval_version)
    );
    let letter: Vec<String> = crate::text::letter_lines(r)
        .into_iter()
        .map(|(label, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(label), esc(&v)))
        .collect();
    let _ = writeln!(s, "<dl class=\"letter\">{}</dl>", letter.join(""));
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.purpose));
    if let Some(p) = &r.letter.purpose {
        let _ = writeln!(s, "<p class=\"purpose\">{}</p>", esc(p));
    }
    let _ = writeln!(s, "<p>{}</p>", esc(&sentences::purpose(r)));

    // Summary: the three key figures, then the table.
    let t = &r.total;
    let _ = write!(s, "<h2>{}</h2>\n<div class=\"kpi\">", esc(w.summary));
    let kpi = |class: &str, label: &str, b: Option<Burden>| -> String {
        match b {
            Some(b) => format!(
                "<div class=\"{class}\"><div class=\"label\">{}</div><div class=\"value\" data-key=\"{class}-records\">{}</div><div class=\"sub\">{} {} · {} {}</div></div>",
                esc(label),
                fmt_int(lang, b.records),
                fmt_dec(lang, b.pages, 0),
                esc(w.pages),
                fmt_dec(lang, b.working_days, 1),
                esc(w.working_days)
            ),
            None => format!(
                "<div class=\"{class}\"><div class=\"label\">{}</div><div class=\"value\">–</div></div>",
                esc(label)
            ),
        }
    };
    s.push_str(&kpi("needed", w.needed, Some(t.needed)));
    s.push_str(&kpi("requested", w.requested, t.requested));
    s.push_str(&kpi("surplus", w.surplus, t.surplus()));
    s.push_str("</div>\n");
    let [nr, np, nd] = burden_cells(lang, Some(t.needed));
    let [qr, qp, qd] = burden_cells(lang, t.requested);
    let [sr, sp, sd] = burden_cells(lang, t.surplus());
    let _ = writeln!(s, "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody><tr><td>{}</td><td>{nr}</td><td>{qr}</td><td>{sr}</td></tr><tr><td>{}</td><td>{np}</td><td>{qp}</td><td>{sp}</td></tr><tr><td>{}</td><td>{nd}</td><td>{qd}</td><td>{sd}</td></tr></tbody></table>\n<p>{}</p>",
        esc(w.burden),
        esc(w.needed),
        esc(w.requested),
        esc(w.surplus),
        esc(w.records),
        esc(w.pages),
        esc(w.working_days),
        esc(&sentences::summary(r))
    );
    if t.requested.is_none() {
        let _ = writeln!(s, "<p>{}</p>", esc(w.no_request));
    }
    if let Some(p) = sentences::scope(r) {
        let _ = writeln!(s, "<p class=\"scope\">{}</p>", esc(&p));
    }

    // Precision.
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.precision));
    if let Some(p) = sentences::precision(r) {
        let _ = writeln!(s, "<p>{}</p>", esc(&p));
    }
    let _ = writeln!(
        s,
        "<figure>{}<figcaption>{} — {}</figcaption></figure>",
        margin_plot(lang, &r.curve),
        esc(w.plot_margin_title),
        esc(&r.curve.formula)
    );

    // A domain design: every stratum's own margin, worst first.
    if !r.precision.strata.is_empty() {
        let row = |p: &crate::StratumPrecision| -> String {
            let m = |v: Option<f64>| {
                v.map_or("–".to_string(), |x| {
                    format!("±{}", fmt_dec(lang, x * 100.0, 1))
                })
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.label),
                fmt_int(lang, p.population),
                fmt_int(lang, p.needed),
                m(Some(p.needed_margin).filter(|x| x.is_finite())),
                p.requested.map_or("–".to_string(), |q| fmt_int(lang, q)),
                m(p.requested_margin)
            )
        };
        let head = format!(
            "<table><thead><tr><th>{}</th><th>N</th><th>{}</th><th>{} ({})</th><th>{}</th><th>{} ({})</th></tr></thead><tbody>",
            esc(w.stratum),
            esc(w.needed),
            esc(w.margin),
            esc(w.needed),
            esc(w.requested),
            esc(w.margin),
            esc(w.requested)
        );
        let _ = writeln!(
            s,
            "<h3>{} ({})</h3>{head}",
            esc(w.stratum_margins),
            esc(w.worst_first)
        );
        for p in r.precision.strata.iter().take(10) {
            let _ = writeln!(s, "{}", row(p));
        }
        let _ = writeln!(s, "</tbody></table>");
        if r.precision.strata.len() > 10 {
            let _ = writeln!(
                s,
                "<details><summary>{} ({})</summary>{head}",
                esc(w.all_strata),
                fmt_int(lang, r.precision.strata.len() as u64)
            );
            for p in &r.precision.strata {
                let _ = writeln!(s, "{}", row(p));
            }
            let _ = writeln!(s, "</tbody></table></details>");
        }
    }

    // Per stratum.
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.per_stratum));
    let top = 25usize;
    let caption = if r.strata.len() > top {
        format!(
            "{} ({} {top} {} {})",
            w.plot_burden_title,
            w.largest,
            "/",
            fmt_int(lang, r.strata.len() as u64)
        )
    } else {
        w.plot_burden_title.to_string()
    };
    let _ = writeln!(
        s,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        burden_plot(lang, &r.strata, top),
        esc(&caption)
    );
    let _ = write!(
        s,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} ({})</th><th>{} ({})</th></tr></thead><tbody>",
        esc(w.stratum),
        esc(w.population),
        esc(w.needed),
        esc(w.requested),
        esc(w.surplus),
        esc(w.needed),
        esc(w.pages),
        esc(w.requested),
        esc(w.pages)
    );
    for row in &r.strata {
        s.push_str(&stratum_row(lang, row, "", &row.label));
    }
    s.push_str(&stratum_row(lang, t, " class=\"total\"", w.total));
    s.push_str("</tbody></table>\n");

    // Achieved estimates.
    if !r.indicators.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2>", esc(w.achieved));
        let shares: Vec<&IndicatorRow> = r
            .indicators
            .iter()
            .filter(|i| i.kind == "share" && i.group == "total")
            .collect();
        if !shares.is_empty() {
            let _ = writeln!(s, "<figure>{}</figure>", indicator_plot(lang, &shares));
        }
        s.push_str(&indicator_table(lang, &r.indicators));
        if r.indicators.len() > MAX_INDICATOR_ROWS {
            let _ = writeln!(
                s,
                "<p class=\"meta\">{} / {}</p>",
                fmt_int(lang, MAX_INDICATOR_ROWS as u64),
                fmt_int(lang, r.indicators.len() as u64)
            );
        }
    }

    // Method and reproduction.
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.method));
    for p in sentences::method(r) {
        let _ = writeln!(s, "<p>{}</p>", esc(&p));
    }
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.reproduce));
    for p in sentences::reproduce(r) {
        let _ = writeln!(s, "<p>{}</p>", esc(&p));
    }
    if let Some(d) = &r.draw {
        let _ = writeln!(s, "<pre>{}</pre>", esc(&d.verify_command));
    }
    let _ = write!(s, "<dl>");
    let mut item = |k: &str, v: &str| {
        let _ = write!(s, "<dt>{}</dt><dd><code>{}</code></dd>", esc(k), esc(v));
    };
    if let Some(d) = &r.draw {
        item(w.seed, &d.seed.to_string());
        item(w.start, &d.start.to_string());
        item(w.prn, &crate::text::prn_formula(lang, &d.prn));
        item(w.manifest, &d.manifest);
    }
    item("plan", &r.plan_file);
    item(w.plan_hash, &r.plan_hash);
    item(w.extract_fingerprint, &r.extract_fingerprint);
    item(w.files, &r.extract_files.join(", "));
    s.push_str("</dl>\n</main>\n</body>\n</html>\n");
    s
}
