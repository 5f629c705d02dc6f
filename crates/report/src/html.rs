//! The report as one self-contained HTML page: inline CSS and SVG, no script, no font or
//! image from the network; readable on screen and printed on A4.

use crate::sentences;
use crate::svg::{burden_plot, esc, indicator_plot, margin_plot, spread_plot};
use crate::tables::{by_burden, by_width, LONG, TOP};
use crate::text::{estimate_note, fmt_dec, fmt_int, method_name, words, Lang};
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
.note { font-size: .85rem; color: #555; }
table.est td:nth-child(2), table.est th:nth-child(2) { text-align: left; }
td.nw { white-space: nowrap; }
details { margin: .3rem 0 1rem; } summary { cursor: pointer; color: #1f5fa8; }
thead { display: table-header-group; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr, .kpi { break-inside: avoid; }
  body { font-size: 10.5pt; }
}
"#;

/// A CSS string for a `content:` value, from text that may come from flags or data (the
/// case number, the `--only` value). Only characters plainly safe in CSS are written as
/// they are: ASCII letters, digits, space and harmless punctuation, and letters and digits
/// beyond ASCII (`Äldreomsorg`). Everything else — every control character (a form feed
/// would end the string), quotes, backslashes, `<`, `>`, `&` (the text sits inside a
/// `<style>` element), parentheses, line and paragraph separators, bidirectional
/// controls — becomes a CSS escape `\hex ` (the space ends the escape), so the text stays
/// one string, cannot add a declaration such as `background:url(…)`, and no `url(` from
/// the data appears in the page's CSS at all.
pub(crate) fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        let plain = c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '-' | '_' | '.' | ',' | ':' | '/' | '#' | '+' | '=')
            || (!c.is_ascii() && c.is_alphanumeric());
        if plain {
            out.push(c);
        } else {
            let _ = write!(out, "\\{:x} ", c as u32);
        }
    }
    out.push('"');
    out
}

/// The printed page: A4, the running head (title, part, case number, date) at the top
/// of every page and `page n of m` at the bottom (CSS page margin boxes).
fn page_css(r: &Report) -> String {
    let w = words(r.lang);
    format!(
        "\n@page {{ size: A4; margin: 18mm 14mm 16mm;\n  @top-left {{ content: {}; font-size: 8pt; color: #555; }}\n  @bottom-right {{ content: {} counter(page) {} counter(pages); font-size: 8pt; color: #555; }} }}\n",
        css_string(&sentences::running_head(r)),
        css_string(&format!("{} ", w.page)),
        css_string(&format!(" {} ", w.of)),
    )
}

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
    crate::text::fmt_value(lang, kind, v)
}

/// The strata the burden plot shows.
const PLOT_STRATA: usize = 25;

fn indicator_head(lang: Lang) -> String {
    let w = words(lang);
    format!(
        "<table class=\"est\"><thead><tr><th>{}</th><th>{}</th><th>n</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(w.indicator),
        esc(w.group),
        esc(w.estimate),
        esc(w.interval),
        esc(w.method_col)
    )
}

fn indicator_row(report: &Report, r: &IndicatorRow) -> String {
    let lang = report.lang;
    let iv = match (r.lower, r.upper) {
        (Some(_), Some(_)) => format!(
            "{} – {}",
            value(lang, &r.kind, r.lower),
            value(lang, &r.kind, r.upper)
        ),
        _ => "–".into(),
    };
    let group = crate::text::group_name(report, r);
    if r.suppressed {
        return format!(
            "<tr><td>{}</td><td>{}</td><td>..</td><td class=\"nw\">..</td><td class=\"nw\">..</td><td></td></tr>",
            esc(&r.label),
            esc(&group)
        );
    }
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td><td>{}</td></tr>",
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
    )
}

/// A table: all rows when there are at most [`LONG`]; else the first `top` of `order`,
/// the whole table folded under them, and the attached files named.
fn long_table(
    r: &Report,
    table: &str,
    head: &str,
    rows: &[String],
    order: &[usize],
    total: Option<&str>,
    top: usize,
) -> String {
    let w = words(r.lang);
    let mut s = String::from(head);
    let total = total.unwrap_or("");
    if rows.len() <= LONG {
        for row in rows {
            s.push_str(row);
        }
        let _ = writeln!(s, "{total}</tbody></table>");
        return s;
    }
    for &i in order.iter().take(top) {
        s.push_str(&rows[i]);
    }
    let _ = writeln!(s, "{total}</tbody></table>");
    let _ = write!(
        s,
        "<details><summary>{}</summary>{head}",
        esc(&sentences::full_table(r.lang, rows.len()))
    );
    for row in rows {
        s.push_str(row);
    }
    let _ = writeln!(s, "{total}</tbody></table></details>");
    if let Some(a) = crate::tables::attachment(r, table) {
        let _ = writeln!(
            s,
            "<p class=\"note\">{} <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
            esc(w.attached),
            esc(&a.csv),
            esc(&a.csv),
            esc(&a.xlsx),
            esc(&a.xlsx)
        );
    }
    s
}

/// A short table of text cells under a header row.
fn small_table<const N: usize>(class: &str, head: &[&str; N], rows: &[[String; N]]) -> String {
    let cells = |tag: &str, row: &mut dyn Iterator<Item = &str>| -> String {
        row.map(|c| format!("<{tag}>{}</{tag}>", esc(c))).collect()
    };
    let mut t = format!(
        "<table class=\"{class}\"><thead><tr>{}</tr></thead><tbody>",
        cells("th", &mut head.iter().copied())
    );
    for row in rows {
        t.push_str(&format!(
            "<tr>{}</tr>",
            cells("td", &mut row.iter().map(String::as_str))
        ));
    }
    t.push_str("</tbody></table>\n");
    t
}

/// Render the report as one HTML page.
pub fn render_html(r: &Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let mut s = String::new();
    let _ = writeln!(s, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"urval {}\">\n<title>{} — {}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<main>",
        lang.code(),
        esc(&r.urval_version),
        esc(w.title),
        esc(w.subtitle),
        page_css(r)
    );
    let _ = writeln!(s, "<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<p class=\"meta\">{}: {} · plan {} · urval {}</p>",
        esc(w.title),
        esc(w.subtitle),
        esc(w.created),
        esc(&r.created),
        esc(&r.plan_file),
        esc(&r.urval_version)
    );
    if let Some(m) = sentences::not_for_publication(r) {
        let (head, rest) = m.split_once(':').unwrap_or((m, ""));
        let _ = writeln!(
            s,
            "<p class=\"note\"><strong>{}</strong>:{}</p>",
            esc(head),
            esc(rest)
        );
    }
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
    if let Some(p) = sentences::overlap(r) {
        let _ = writeln!(s, "<p class=\"overlap\">{}</p>", esc(&p));
    }

    // A two-phase review: the self-review and the re-review.
    let burden_head = ["", w.records, w.pages, w.working_days];
    let (phase_rows, agreement_rows) = crate::tables::two_phase_rows(r);
    if !phase_rows.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2>", esc(w.two_phase));
        for p in sentences::two_phase(r) {
            let _ = writeln!(s, "<p>{}</p>", esc(&p));
        }
        s.push_str(&small_table("phases", &burden_head, &phase_rows));
        if !agreement_rows.is_empty() {
            let head = [
                w.question,
                "n",
                w.agreement_col,
                "kappa",
                w.disagreement_upper_col,
                w.self_col,
                w.corrected_col,
            ];
            if let Some(p) = sentences::whole_request_table(r) {
                let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&p));
            }
            s.push_str(&small_table("agreement", &head, &agreement_rows));
        }
    }

    // Several purposes: what each asks, achieves and alone would need.
    let purpose_rows = crate::tables::purpose_rows(r);
    if !purpose_rows.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2>", esc(w.purposes));
        let head = crate::tables::purpose_head(w);
        if let Some(p) = sentences::whole_request_table(r) {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&p));
        }
        s.push_str(&small_table("purposes", &head, &purpose_rows));
        for p in sentences::purposes(r) {
            let _ = writeln!(s, "<p>{}</p>", esc(&p));
        }
    }

    // A staged request: stage 1 now, stage 2 only if needed.
    let stage_rows = crate::tables::stage_rows(r);
    if !stage_rows.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2>", esc(w.stages));
        for p in sentences::staged(r) {
            let _ = writeln!(s, "<p>{}</p>", esc(&p));
        }
        s.push_str(&small_table("stages", &burden_head, &stage_rows));
    }

    // Precision (an attribute plan states its risk above; a share's margin curve does not
    // apply).
    if r.purpose.tolerable_rate.is_none() && r.purposes.is_none() {
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
    }

    // A domain design: every stratum's own margin, worst first.
    if !r.precision.strata.is_empty() {
        let _ = writeln!(
            s,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            spread_plot(r),
            esc(&sentences::spread_caption(r))
        );
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
        let rows: Vec<String> = r.precision.strata.iter().map(row).collect();
        let order: Vec<usize> = (0..rows.len()).collect();
        let _ = writeln!(
            s,
            "<h3>{} ({})</h3>",
            esc(w.stratum_margins),
            esc(w.worst_first)
        );
        s.push_str(&long_table(r, "margins", &head, &rows, &order, None, TOP));
    }

    // Per stratum.
    let _ = writeln!(s, "<h2>{}</h2>", esc(w.per_stratum));
    let _ = writeln!(
        s,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        burden_plot(lang, &r.strata, PLOT_STRATA),
        esc(&sentences::burden_caption(r, PLOT_STRATA))
    );
    let head = format!(
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
    let rows: Vec<String> = r
        .strata
        .iter()
        .map(|row| stratum_row(lang, row, "", &row.label))
        .collect();
    let total = stratum_row(lang, t, " class=\"total\"", w.total);
    if r.strata.len() > LONG {
        let _ = writeln!(s, "<h3>{}</h3>", esc(&sentences::top_strata(r)));
    }
    s.push_str(&long_table(
        r,
        "strata",
        &head,
        &rows,
        &by_burden(&r.strata),
        Some(&total),
        TOP,
    ));

    // Achieved estimates.
    if !r.indicators.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2>", esc(w.achieved));
        // Shares over all groups, with records: a dot and an interval each; those with
        // n = 0 are named under the plot, not drawn.
        let totals: Vec<&IndicatorRow> = r
            .indicators
            .iter()
            .filter(|i| i.kind == "share" && i.group == "total")
            .collect();
        let (plotted, empty): (Vec<&IndicatorRow>, Vec<&IndicatorRow>) = totals
            .into_iter()
            .partition(|i| i.n > 0 && i.estimate.is_some());
        if !plotted.is_empty() {
            let _ = writeln!(s, "<figure>{}</figure>", indicator_plot(lang, &plotted));
        }
        if let Some(p) = sentences::not_plotted(lang, &empty) {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&p));
        }
        let head = indicator_head(lang);
        let rows: Vec<String> = r.indicators.iter().map(|i| indicator_row(r, i)).collect();
        let order: Vec<usize> = if r.indicators.len() > LONG {
            // The totals, then the least precise groups.
            let totals = (0..rows.len()).filter(|&i| r.indicators[i].group == "total");
            let _ = writeln!(s, "<h3>{}</h3>", esc(&sentences::top_groups(r)));
            totals.chain(by_width(&r.indicators)).collect()
        } else {
            (0..rows.len()).collect()
        };
        let top = order
            .iter()
            .filter(|&&i| r.indicators[i].group == "total")
            .count()
            + TOP;
        s.push_str(&long_table(
            r,
            "indicators",
            &head,
            &rows,
            &order,
            None,
            top,
        ));
        if let Some(p) = sentences::groups_without_records(r) {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&p));
        }
        if let Some(p) = sentences::suppressed(r) {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&p));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;

    /// Reads one CSS string token at the start of `s` (CSS Syntax Level 3, "consume a
    /// string token") and returns its value and the rest of `s`; `None` when the token is
    /// a bad string (a raw line break) or does not end.
    fn css_token(s: &str) -> Option<(String, &str)> {
        let mut it = s.char_indices();
        let (_, q) = it.next()?;
        assert_eq!(q, '"');
        let mut value = String::new();
        while let Some((i, c)) = it.next() {
            match c {
                '"' => return Some((value, &s[i + 1..])),
                '\n' | '\r' | '\u{c}' => return None,
                '\\' => {
                    let rest = &s[i + 1..];
                    let hex: String = rest
                        .chars()
                        .take_while(char::is_ascii_hexdigit)
                        .take(6)
                        .collect();
                    assert!(!hex.is_empty(), "a non-hex escape in {s:?}");
                    let code = u32::from_str_radix(&hex, 16).ok()?;
                    value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    for _ in 0..hex.len() {
                        it.next();
                    }
                    if rest[hex.len()..].starts_with(' ') {
                        it.next();
                    }
                }
                c => value.push(c),
            }
        }
        None
    }

    #[test]
    fn every_character_stays_inside_one_css_string() {
        let mut all: Vec<String> = (0u32..=0x9f)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        all.extend(
            [
                "1\u{c}\"}body{background:url(http://example.invalid/x)}",
                "x\";} * { background: url('http://example.invalid/') } .y{content:\"",
                "</style><script>alert(1)</script>",
                "\\\"\\'\\\\",
                "a\u{2028}b\u{2029}c\u{202e}d\u{feff}",
                "Äldreomsorg 0180 · Dnr 2026/123",
                "",
            ]
            .map(String::from),
        );
        for v in &all {
            let css = css_string(v);
            let (value, rest) = css_token(&css).unwrap_or_else(|| panic!("{v:?}: {css:?}"));
            assert_eq!(&value, v, "{css:?}");
            assert_eq!(rest, "", "{v:?}: {css:?}");
            assert!(
                !css.chars().any(|c| c.is_control() || "'<>&".contains(c)),
                "{v:?}: {css:?}"
            );
        }
        assert_eq!(css_string("Äldreomsorg 0180"), "\"Äldreomsorg 0180\"");
    }

    /// The case number and the `--only` part in the printed page's running head: each
    /// rule keeps one string, no `url(` reaches the page.
    #[test]
    fn the_running_head_keeps_hostile_text_in_its_string() {
        let mut r = crate::tests::seed_case(Lang::Sv);
        r.letter.case_number =
            Some("1\u{c}\"}body{background:url(http://example.invalid/x)}".into());
        r.scope = Some(Scope {
            label: "x'\n;background:url(//example.invalid)".into(),
            population: 10,
            needed: 5,
            requested: None,
            national: false,
        });
        let css = page_css(&r);
        assert!(!css.contains("url("), "{css}");
        let at = css.find("content: ").unwrap() + "content: ".len();
        let (value, rest) = css_token(&css[at..]).unwrap();
        assert_eq!(value, sentences::running_head(&r));
        assert!(rest.starts_with("; font-size: 8pt;"), "{rest}");
        // The page's only CSS is its <style> element (no style attributes).
        let page = render_html(&r);
        let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
        assert!(!style.contains("url("), "{style}");
        assert!(!page.contains("style="));
    }
}
