//! Inline SVG plots: no script, no external font; text in the page's font.

use crate::text::{fmt_dec, fmt_int, fmt_pct, words, Lang};
use crate::{Curve, IndicatorRow, StratumRow};
use std::fmt::Write as _;

/// Escape text for XML and HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A "nice" step (1, 2, 2.5 or 5 × 10^k) giving about `ticks` ticks over `span`.
fn nice_step(span: f64, ticks: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / ticks;
    let mag = 10f64.powf(raw.log10().floor());
    let r = raw / mag;
    let m = if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 2.5 {
        2.5
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// An upper estimate of a text's width in px at `size` px in a sans-serif face, from
/// DejaVu Sans's advance widths (the widest common default; Arial and Segoe UI are
/// narrower): narrow letters 0.32 em, `f t r ( )` 0.42 em, `m w %` 1 em, capitals 0.78 em,
/// the rest 0.64 em. Labels are laid out from it; the browser test checks every label's
/// real box in Chromium.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' | '\u{a0}' => {
                0.32
            }
            'f' | 't' | 'r' | '(' | ')' | '[' | ']' => 0.42,
            'm' | 'w' | 'M' | 'W' | '%' | '@' | '…' => 1.0,
            c if c.is_uppercase() => 0.78,
            _ => 0.64,
        })
        .sum::<f64>()
        * size
}

/// A label cut to fit `max` px (with an ellipsis); the full text stays in a `<title>`.
fn fit(s: &str, size: f64, max: f64) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let mut next = out.clone();
        next.push(c);
        if text_width(&next, size) + 0.6 * size > max {
            break;
        }
        out = next;
    }
    format!("{}…", out.trim_end())
}

/// The text anchor of an axis tick label at `x`: at the ends of the axis the label ends
/// (or starts) at its tick, so it stays inside the plot.
fn tick_anchor(x: f64, left: f64, right: f64, label: &str, size: f64) -> &'static str {
    let half = text_width(label, size) / 2.0;
    if x + half > right {
        "end"
    } else if x - half < left {
        "start"
    } else {
        "middle"
    }
}

const W: f64 = 640.0;
const H: f64 = 330.0;
const L: f64 = 64.0;
const R: f64 = 20.0;
const T: f64 = 20.0;
const B: f64 = 52.0;

/// The margin of error against the number of records, with the needed and the requested
/// points marked.
pub fn margin_plot(lang: Lang, c: &Curve) -> String {
    let w = words(lang);
    let x_max = c.population.max(1) as f64;
    // The y range: up to three times the needed margin (at least the requested one).
    let needed_m = c.needed.1;
    let mut y_max = (needed_m * 3.0).max(c.requested.map_or(0.0, |r| r.1) * 1.2);
    if y_max <= 0.0 {
        y_max = c.points.first().map_or(0.1, |p| p.1).max(0.01);
    }
    let step_y = nice_step(y_max * 100.0, 5.0) / 100.0;
    y_max = (y_max / step_y).ceil() * step_y;
    let px = |n: f64| L + (W - L - R) * n / x_max;
    let py = |m: f64| T + (H - T - B) * (1.0 - (m / y_max).min(1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="plot" viewBox="0 0 {W} {H}" role="img" aria-labelledby="margin-title"><title id="margin-title">{}</title>"#,
        esc(w.plot_margin_title)
    );
    // Grid and axes.
    let step_x = nice_step(x_max, 6.0);
    let mut x = 0.0;
    while x <= x_max + 1e-9 {
        let label = fmt_int(lang, x as u64);
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#ddd"/><text x="{0:.1}" y="{3:.1}" text-anchor="{5}" font-size="11">{4}</text>"##,
            px(x),
            T,
            H - B,
            H - B + 16.0,
            label,
            tick_anchor(px(x), 0.0, W, &label, 11.0)
        );
        x += step_x;
    }
    let mut y = 0.0;
    while y <= y_max + 1e-12 {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{1:.1}" x2="{2:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{3:.1}" y="{4:.1}" text-anchor="end" font-size="11">{5}</text>"##,
            L,
            py(y),
            W - R,
            L - 6.0,
            py(y) + 4.0,
            fmt_dec(lang, y * 100.0, if step_y * 100.0 < 1.0 { 1 } else { 0 })
        );
        y += step_y;
    }
    let _ = write!(
        s,
        r##"<line x1="{L}" y1="{0}" x2="{1}" y2="{0}" stroke="#333"/><line x1="{L}" y1="{T}" x2="{L}" y2="{0}" stroke="#333"/>"##,
        H - B,
        W - R
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" font-size="12">{}</text>"#,
        (L + W - R) / 2.0,
        H - 10.0,
        esc(w.plot_margin_x),
        (T + H - B) / 2.0,
        esc(w.plot_margin_y)
    );
    // The curve, clipped at the top.
    let pts: Vec<String> = c
        .points
        .iter()
        .filter(|p| p.1 <= y_max * 1.0001)
        .map(|&(n, m)| format!("{:.1},{:.1}", px(n as f64), py(m)))
        .collect();
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{}"/>"##,
        pts.join(" ")
    );
    // Labels above and to the right of their point (clear of a falling curve); near the
    // right edge they end at the point; a second label close to the first moves up.
    let mut placed: Vec<(f64, f64)> = Vec::new();
    let mut mark = |n: u64, m: f64, color: &str, label: &str| {
        let (x, y) = (px(n as f64), py(m));
        let anchor = if x + 10.0 + text_width(label, 12.0) > W - 4.0 {
            "end"
        } else {
            "start"
        };
        let dx = if anchor == "end" { -10.0 } else { 10.0 };
        let mut ty = y - 12.0;
        if anchor == "end" {
            // The label runs left of the point, where the curve is higher: keep it above
            // the curve at the label's left end (about 7 px a character at 12 px).
            let left = x + dx - text_width(label, 12.0);
            let n_left = ((left - L) / (W - L - R) * x_max).max(0.0);
            if let Some(&(_, m)) = c.points.iter().min_by(|a, b| {
                (a.0 as f64 - n_left)
                    .abs()
                    .total_cmp(&(b.0 as f64 - n_left).abs())
            }) {
                ty = ty.min(py(m) - 8.0);
            }
        }
        while placed.iter().any(|&(_, py2)| (py2 - ty).abs() < 16.0) {
            ty -= 16.0;
        }
        ty = ty.max(T + 12.0);
        placed.push((x, ty));
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{color}" stroke="white" stroke-width="1.5"/><text x="{:.1}" y="{ty:.1}" text-anchor="{anchor}" font-size="12" font-weight="600" fill="{color}">{}</text>"#,
            x + dx,
            esc(label)
        );
    };
    mark(
        c.needed.0,
        c.needed.1,
        "#1b7f3b",
        &format!(
            "{}: {} {} (±{})",
            w.needed,
            fmt_int(lang, c.needed.0),
            w.records,
            fmt_dec(lang, c.needed.1 * 100.0, 1)
        ),
    );
    if let Some((n, m)) = c.requested {
        mark(
            n,
            m,
            "#b3261e",
            &format!(
                "{}: {} {} (±{})",
                w.requested,
                fmt_int(lang, n),
                w.records,
                fmt_dec(lang, m * 100.0, 1)
            ),
        );
    }
    s.push_str("</svg>");
    s
}

/// Pages needed against requested for the strata with the most pages requested (or needed).
pub fn burden_plot(lang: Lang, strata: &[StratumRow], top: usize) -> String {
    let w = words(lang);
    let mut rows: Vec<&StratumRow> = strata.iter().collect();
    rows.sort_by(|a, b| {
        let key = |r: &StratumRow| r.requested.map_or(r.needed.pages, |q| q.pages);
        key(b)
            .total_cmp(&key(a))
            .then_with(|| a.label.cmp(&b.label))
    });
    rows.truncate(top);
    let row_h = 22.0;
    let label_max = 260.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label, 11.0))
        .fold(60.0f64, f64::max)
        .min(label_max)
        + 12.0;
    let h = T + rows.len() as f64 * row_h + 44.0;
    let max = rows
        .iter()
        .map(|r| {
            r.requested
                .map_or(r.needed.pages, |q| q.pages.max(r.needed.pages))
        })
        .fold(0.0f64, f64::max)
        .max(1.0);
    let step = nice_step(max, 4.0);
    let x_max = (max / step).ceil() * step;
    let px = |v: f64| label_w + (W - label_w - R - 10.0) * v / x_max;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="plot" viewBox="0 0 {W} {h:.0}" role="img" aria-labelledby="burden-title"><title id="burden-title">{}</title>"#,
        esc(w.plot_burden_title)
    );
    let axis_y = T + rows.len() as f64 * row_h;
    let mut x = 0.0;
    while x <= x_max + 1e-9 {
        let label = fmt_int(lang, x as u64);
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{T}" x2="{0:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{0:.1}" y="{2:.1}" text-anchor="{4}" font-size="11">{3}</text>"##,
            px(x),
            axis_y,
            axis_y + 15.0,
            label,
            tick_anchor(px(x), 0.0, W, &label, 11.0)
        );
        x += step;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = T + i as f64 * row_h;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11"><title>{}</title>{}</text>"#,
            label_w - 6.0,
            y + 14.0,
            esc(&r.label),
            esc(&fit(&r.label, 11.0, label_max))
        );
        if let Some(q) = r.requested {
            let _ = write!(
                s,
                r##"<rect x="{label_w}" y="{:.1}" width="{:.1}" height="8" fill="#e8a09a"/>"##,
                y + 3.0,
                px(q.pages) - label_w
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{label_w}" y="{:.1}" width="{:.1}" height="8" fill="#1b7f3b"/>"##,
            y + 11.0,
            px(r.needed.pages) - label_w
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{label_w}" y="{:.1}" width="10" height="10" fill="#1b7f3b"/><text x="{:.1}" y="{:.1}" font-size="11">{} ({})</text><rect x="{:.1}" y="{:.1}" width="10" height="10" fill="#e8a09a"/><text x="{:.1}" y="{:.1}" font-size="11">{} ({})</text>"##,
        axis_y + 24.0,
        label_w + 14.0,
        axis_y + 33.0,
        esc(w.needed),
        esc(w.pages),
        label_w + 34.0 + text_width(&format!("{} ({})", w.needed, w.pages), 11.0),
        axis_y + 24.0,
        label_w + 48.0 + text_width(&format!("{} ({})", w.needed, w.pages), 11.0),
        axis_y + 33.0,
        esc(w.requested),
        esc(w.pages)
    );
    s.push_str("</svg>");
    s
}

/// The achieved shares with their intervals (a dot and a line each).
pub fn indicator_plot(lang: Lang, rows: &[&IndicatorRow]) -> String {
    let row_h = 24.0;
    let label_max = 300.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label, 11.0))
        .fold(60.0f64, f64::max)
        .min(label_max)
        + 14.0;
    let h = T + rows.len() as f64 * row_h + 30.0;
    // Room at the right for half of the `100 %` tick label.
    let right = R + text_width(&fmt_pct(lang, 1.0), 11.0) / 2.0;
    let px = |v: f64| label_w + (W - label_w - right) * v.clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="plot" viewBox="0 0 {W} {h:.0}" role="img" aria-label="{}">"#,
        esc(words(lang).achieved)
    );
    let axis_y = T + rows.len() as f64 * row_h;
    for k in 0..=5 {
        let v = k as f64 / 5.0;
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{T}" x2="{0:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{0:.1}" y="{2:.1}" text-anchor="middle" font-size="11">{3}</text>"##,
            px(v),
            axis_y,
            axis_y + 15.0,
            esc(&fmt_pct(lang, v))
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = T + i as f64 * row_h + 12.0;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11"><title>{}</title>{}</text>"#,
            label_w - 8.0,
            y + 4.0,
            esc(&r.label),
            esc(&fit(&r.label, 11.0, label_max))
        );
        if let (Some(lo), Some(hi)) = (r.lower, r.upper) {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#1f5fa8" stroke-width="2"/>"##,
                px(lo),
                px(hi)
            );
        }
        if let Some(e) = r.estimate {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{y:.1}" r="4.5" fill="#1f5fa8"/>"##,
                px(e)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The distribution of the strata's own margins (domain designs): for each margin x, the
/// share of strata whose margin is at most x, at the records needed and at the records
/// requested (an empirical distribution function, drawn as steps), with the target as a
/// dashed line.
pub fn spread_plot(r: &crate::Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let strata = &r.precision.strata;
    let h_count = strata.len().max(1) as f64;
    let mut needed: Vec<f64> = strata
        .iter()
        .map(|p| p.needed_margin)
        .filter(|m| m.is_finite())
        .collect();
    let mut requested: Vec<f64> = strata
        .iter()
        .filter_map(|p| p.requested_margin)
        .filter(|m| m.is_finite())
        .collect();
    needed.sort_by(f64::total_cmp);
    requested.sort_by(f64::total_cmp);
    let top = needed
        .iter()
        .chain(&requested)
        .copied()
        .chain(r.purpose.margin)
        .fold(0.0f64, f64::max)
        .max(0.001);
    let step_x = nice_step(top * 100.0 * 1.05, 6.0) / 100.0;
    let x_max = (top * 1.05 / step_x).ceil() * step_x;
    let h = 300.0;
    let px = |m: f64| L + (W - L - R) * (m / x_max).clamp(0.0, 1.0);
    let py = |f: f64| T + (h - T - B) * (1.0 - f);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="plot" viewBox="0 0 {W} {h}" role="img" aria-labelledby="spread-title"><title id="spread-title">{}</title>"#,
        esc(w.plot_spread_title)
    );
    let mut x = 0.0;
    while x <= x_max + 1e-12 {
        let label = fmt_dec(lang, x * 100.0, if step_x * 100.0 < 1.0 { 1 } else { 0 });
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{T}" x2="{0:.1}" y2="{1:.1}" stroke="#ddd"/><text x="{0:.1}" y="{2:.1}" text-anchor="{4}" font-size="11">{3}</text>"##,
            px(x),
            h - B,
            h - B + 16.0,
            label,
            tick_anchor(px(x), 0.0, W, &label, 11.0)
        );
        x += step_x;
    }
    for k in 0..=4 {
        let f = f64::from(k) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{L}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#ddd"/><text x="{2:.1}" y="{3:.1}" text-anchor="end" font-size="11">{4}</text>"##,
            py(f),
            W - R,
            L - 6.0,
            py(f) + 4.0,
            esc(&fmt_pct(lang, f))
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{L}" y1="{0}" x2="{1}" y2="{0}" stroke="#333"/><line x1="{L}" y1="{T}" x2="{L}" y2="{0}" stroke="#333"/><text x="{2:.1}" y="{3:.1}" text-anchor="middle" font-size="12">{4}</text><text transform="translate(14 {5:.1}) rotate(-90)" text-anchor="middle" font-size="12">{6}</text>"##,
        h - B,
        W - R,
        (L + W - R) / 2.0,
        h - 10.0,
        esc(w.plot_spread_x),
        (T + h - B) / 2.0,
        esc(w.plot_spread_y)
    );
    if let Some(m) = r.purpose.margin {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{T}" x2="{0:.1}" y2="{1:.1}" stroke="#555" stroke-dasharray="4 3"/>"##,
            px(m),
            h - B
        );
    }
    let steps = |v: &[f64]| -> String {
        let mut pts = vec![format!("{:.1},{:.1}", px(0.0), py(0.0))];
        let mut below = 0.0;
        for (i, &m) in v.iter().enumerate() {
            pts.push(format!("{:.1},{:.1}", px(m), py(below)));
            below = (i + 1) as f64 / h_count;
            pts.push(format!("{:.1},{:.1}", px(m), py(below)));
        }
        pts.push(format!("{:.1},{:.1}", px(x_max), py(below)));
        pts.join(" ")
    };
    let mut legend = vec![(w.needed, "#1b7f3b")];
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#1b7f3b" stroke-width="2" points="{}"/>"##,
        steps(&needed)
    );
    if strata.iter().any(|p| p.requested.is_some()) {
        legend.push((w.requested, "#b3261e"));
        let _ = write!(
            s,
            r##"<polyline fill="none" stroke="#b3261e" stroke-width="2" points="{}"/>"##,
            steps(&requested)
        );
    }
    // The legend at the bottom right, where both curves have reached the top.
    let width: f64 = legend
        .iter()
        .map(|(label, _)| 30.0 + text_width(label, 11.0))
        .sum();
    let mut lx = W - R - width;
    let ly = h - B - 14.0;
    for (label, color) in legend {
        let _ = write!(
            s,
            r##"<rect x="{lx:.1}" y="{0:.1}" width="14" height="3" fill="{color}"/><text x="{1:.1}" y="{2:.1}" font-size="11">{3}</text>"##,
            ly - 4.0,
            lx + 18.0,
            ly,
            esc(label)
        );
        lx += 30.0 + text_width(label, 11.0);
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_escaping() {
        assert_eq!(nice_step(767.0, 6.0), 200.0);
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(0.0, 5.0), 1.0);
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
