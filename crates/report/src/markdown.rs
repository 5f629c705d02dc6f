//! The report as Markdown: the same sections and numbers as the HTML page, with the plots'
//! points as tables.

use crate::sentences;
use crate::tables::{attachment, by_burden, by_width, LONG, TOP};
use crate::text::{estimate_note, fmt_dec, fmt_int, method_name, words, Lang};
use crate::{Report, StratumRow};
use std::fmt::Write as _;

/// A short table: the header, its alignment row, the rows (every cell escaped as text: a
/// target column can name a column of the extract; formatted numbers hold no markup, so
/// they are written as they are), and a blank line.
fn small_table<const N: usize>(
    head: &[&str; N],
    align: &[&str; N],
    rows: &[[String; N]],
) -> String {
    let mut t = format!("| {} |\n|{}|\n", head.join(" | "), align.join("|"));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        t.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    t.push('\n');
    t
}

/// A value in Markdown text or a table cell: every character Markdown or HTML would read
/// as markup (`\\ ` * _ [ ] < > | # !`) escaped with a backslash, line breaks as spaces, so
/// a stratum value, a column name or a label can neither format, link nor inject HTML.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Prose of the report (sentences that quote the filter, column names and values):
/// links, HTML and code spans neutralised.
fn prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that no backtick in the value can close early (CommonMark 0.31, 6.1): the
/// fence is one backtick longer than the longest run of backticks inside; a space pads
/// both ends when the value begins or ends with a backtick (else the fence would grow) or
/// begins and ends with a space (else a reader strips one). Line breaks become spaces, as
/// a reader would render them, so a value cannot end the paragraph either. An empty value
/// is written as `""` in a span.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.is_empty() {
        return "`\"\"`".to_string();
    }
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' ') && !s.chars().all(|c| c == ' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn opt_int(lang: Lang, v: Option<u64>) -> String {
    v.map_or("–".into(), |x| fmt_int(lang, x))
}

fn row(lang: Lang, r: &StratumRow, label: &str) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        cell(label),
        fmt_int(lang, r.population),
        fmt_int(lang, r.needed.records),
        opt_int(lang, r.requested.map(|q| q.records)),
        opt_int(lang, r.surplus().map(|s| s.records)),
        fmt_dec(lang, r.needed.pages, 0),
        r.requested
            .map_or("–".into(), |q| fmt_dec(lang, q.pages, 0)),
    )
}

/// The rows a table shows: all of them, or — for a long table attached next to the report —
/// the first [`TOP`] of `order` (Markdown cannot fold the rest away).
fn shown(r: &Report, table: &str, len: usize, order: Vec<usize>, top: usize) -> Vec<usize> {
    if len <= LONG || attachment(r, table).is_none() {
        (0..len).collect()
    } else {
        order.into_iter().take(top).collect()
    }
}

/// Where the rest of a shortened table is.
fn rest(s: &mut String, r: &Report, table: &str, len: usize) {
    if len <= LONG {
        return;
    }
    if let Some(a) = attachment(r, table) {
        let _ = writeln!(
            s,
            "\n{} {} · {}",
            prose(&sentences::attached_full(r.lang, len)),
            code(&a.csv),
            code(&a.xlsx)
        );
    }
}

/// Render the report as Markdown.
pub fn render_markdown(r: &Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {}\n\n*{}* — {}: {}, plan {}, urval {}\n",
        w.title,
        w.subtitle,
        w.created,
        prose(&r.created),
        code(&r.plan_file),
        prose(&r.urval_version)
    );
    if let Some(m) = sentences::not_for_publication(r) {
        let (head, rest) = m.split_once(':').unwrap_or((m, ""));
        let _ = writeln!(s, "**{}**:{}\n", prose(head), prose(rest));
    }
    let letter: Vec<String> = crate::text::letter_lines(r)
        .into_iter()
        .map(|(label, v)| format!("{label}: {}", prose(&v)))
        .collect();
    let _ = writeln!(s, "{}\n", letter.join(" · "));
    let _ = writeln!(s, "## {}\n", w.purpose);
    if let Some(p) = &r.letter.purpose {
        let _ = writeln!(s, "{}\n", prose(p));
    }
    let _ = writeln!(s, "{}\n", prose(&sentences::purpose(r)));
    let t = &r.total;
    let _ = writeln!(s, "## {}\n", w.summary);
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} |\n|---|---:|---:|---:|",
        w.burden, w.needed, w.requested, w.surplus
    );
    let q = t.requested;
    let sp = t.surplus();
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} |",
        w.records,
        fmt_int(lang, t.needed.records),
        opt_int(lang, q.map(|b| b.records)),
        opt_int(lang, sp.map(|b| b.records))
    );
    let dec = |v: Option<f64>, d: usize| v.map_or("–".into(), |x| fmt_dec(lang, x, d));
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} |",
        w.pages,
        fmt_dec(lang, t.needed.pages, 0),
        dec(q.map(|b| b.pages), 0),
        dec(sp.map(|b| b.pages), 0)
    );
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} |\n",
        w.working_days,
        fmt_dec(lang, t.needed.working_days, 1),
        dec(q.map(|b| b.working_days), 1),
        dec(sp.map(|b| b.working_days), 1)
    );
    let _ = writeln!(s, "{}\n", prose(&sentences::summary(r)));
    if let Some(p) = sentences::scope(r) {
        let _ = writeln!(s, "{}\n", prose(&p));
    }
    if let Some(p) = sentences::overlap(r) {
        let _ = writeln!(s, "{}\n", prose(&p));
    }
    let burden_head = ["", w.records, w.pages, w.working_days];
    let burden_align = ["---", "---:", "---:", "---:"];
    let (phase_rows, agreement_rows) = crate::tables::two_phase_rows(r);
    if !phase_rows.is_empty() {
        let _ = writeln!(s, "## {}\n", w.two_phase);
        for p in sentences::two_phase(r) {
            let _ = writeln!(s, "{}\n", prose(&p));
        }
        s.push_str(&small_table(&burden_head, &burden_align, &phase_rows));
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
            let align = ["---", "---:", "---:", "---:", "---:", "---:", "---:"];
            if let Some(p) = sentences::whole_request_table(r) {
                let _ = writeln!(s, "{}\n", prose(&p));
            }
            s.push_str(&small_table(&head, &align, &agreement_rows));
        }
    }
    let purpose_rows = crate::tables::purpose_rows(r);
    if !purpose_rows.is_empty() {
        let _ = writeln!(s, "## {}\n", w.purposes);
        let head = crate::tables::purpose_head(w);
        let align = ["---", "---", "---", "---:", "---:", "---:"];
        if let Some(p) = sentences::whole_request_table(r) {
            let _ = writeln!(s, "{}\n", prose(&p));
        }
        s.push_str(&small_table(&head, &align, &purpose_rows));
        s.push('\n');
        for p in sentences::purposes(r) {
            let _ = writeln!(s, "{}\n", prose(&p));
        }
    }
    let stage_rows = crate::tables::stage_rows(r);
    if !stage_rows.is_empty() {
        let _ = writeln!(s, "## {}\n", w.stages);
        for p in sentences::staged(r) {
            let _ = writeln!(s, "{}\n", prose(&p));
        }
        s.push_str(&small_table(&burden_head, &burden_align, &stage_rows));
    }
    // An attribute plan states its risk (above); a share's margin curve does not apply.
    if r.purpose.tolerable_rate.is_none() && r.purposes.is_none() {
        let _ = writeln!(s, "## {}\n", w.precision);
        if let Some(p) = sentences::precision(r) {
            let _ = writeln!(s, "{}\n", prose(&p));
        }
        let _ = writeln!(
            s,
            "{} ({}):\n\n| n | {} |\n|---:|---:|",
            w.margin_table, r.curve.formula, w.margin
        );
        let mut marks: Vec<(u64, f64)> = vec![r.curve.needed];
        marks.extend(r.curve.requested);
        for frac in [0.1, 0.25, 0.5, 0.75] {
            let n = (r.curve.population as f64 * frac).round() as u64;
            if let Some(p) = r.curve.points.iter().min_by_key(|p| p.0.abs_diff(n)) {
                marks.push(*p);
            }
        }
        marks.sort_by_key(|p| p.0);
        marks.dedup_by_key(|p| p.0);
        for (n, m) in marks {
            let _ = writeln!(
                s,
                "| {} | ±{} |",
                fmt_int(lang, n),
                fmt_dec(lang, m * 100.0, 2)
            );
        }
    }
    if !r.precision.strata.is_empty() {
        let _ = writeln!(
            s,
            "\n{} ({}):\n\n| {} | N | {} | {} ({}) | {} | {} ({}) |\n|---|---:|---:|---:|---:|---:|",
            w.stratum_margins,
            w.worst_first,
            w.stratum,
            w.needed,
            w.margin,
            w.needed,
            w.requested,
            w.margin,
            w.requested
        );
        let m = |v: Option<f64>| {
            v.map_or("–".to_string(), |x| {
                format!("±{}", fmt_dec(lang, x * 100.0, 1))
            })
        };
        let n = r.precision.strata.len();
        for &i in &shown(r, "margins", n, (0..n).collect(), TOP) {
            let p = &r.precision.strata[i];
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&p.label),
                fmt_int(lang, p.population),
                fmt_int(lang, p.needed),
                m(Some(p.needed_margin).filter(|x| x.is_finite())),
                p.requested.map_or("–".to_string(), |q| fmt_int(lang, q)),
                m(p.requested_margin)
            );
        }
        rest(&mut s, r, "margins", n);
    }
    let _ = writeln!(s, "\n## {}\n", w.per_stratum);
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} | {} ({}) | {} ({}) |\n|---|---:|---:|---:|---:|---:|---:|",
        w.stratum,
        w.population,
        w.needed,
        w.requested,
        w.surplus,
        w.needed,
        w.pages,
        w.requested,
        w.pages
    );
    for &i in &shown(r, "strata", r.strata.len(), by_burden(&r.strata), TOP) {
        let r2 = &r.strata[i];
        let _ = writeln!(s, "{}", row(lang, r2, &r2.label));
    }
    let _ = writeln!(s, "{}", row(lang, t, &format!("**{}**", w.total)));
    rest(&mut s, r, "strata", r.strata.len());
    s.push('\n');
    if !r.indicators.is_empty() {
        let _ = writeln!(s, "## {}\n", w.achieved);
        let _ = writeln!(
            s,
            "| {} | {} | n | {} | {} | {} |\n|---|---|---:|---:|---|---|",
            w.indicator, w.group, w.estimate, w.interval, w.method_col
        );
        let v = |kind: &str, x: Option<f64>| crate::text::fmt_value(lang, kind, x);
        let n = r.indicators.len();
        let totals: Vec<usize> = (0..n)
            .filter(|&i| r.indicators[i].group == "total")
            .collect();
        let top = totals.len() + TOP;
        let order: Vec<usize> = totals.into_iter().chain(by_width(&r.indicators)).collect();
        for &k in &shown(r, "indicators", n, order, top) {
            let i = &r.indicators[k];
            let iv = match (i.lower, i.upper) {
                (Some(_), Some(_)) => format!("{} – {}", v(&i.kind, i.lower), v(&i.kind, i.upper)),
                _ => "–".into(),
            };
            let group = crate::text::group_name(r, i);
            if i.suppressed {
                let _ = writeln!(
                    s,
                    "| {} | {} | .. | .. | .. | |",
                    cell(&i.label),
                    cell(&group)
                );
                continue;
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&i.label),
                cell(&group),
                fmt_int(lang, i.n),
                v(&i.kind, i.estimate),
                iv,
                match estimate_note(lang, i) {
                    Some(note) => format!("{} — {}", method_name(lang, &i.method), cell(&note)),
                    None => method_name(lang, &i.method),
                }
            );
        }
        rest(&mut s, r, "indicators", n);
        if let Some(p) = sentences::suppressed(r) {
            let _ = writeln!(s, "\n{}", prose(&p));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## {}\n", w.method);
    for p in sentences::method(r) {
        let _ = writeln!(s, "{}\n", prose(&p));
    }
    let _ = writeln!(s, "## {}\n", w.reproduce);
    for p in sentences::reproduce(r) {
        let _ = writeln!(s, "{}\n", prose(&p));
    }
    if let Some(d) = &r.draw {
        let _ = writeln!(s, "{}\n", code(&d.verify_command));
        let _ = writeln!(
            s,
            "- {}: {}\n- {}: {}\n- {}: {}\n- {}: {}",
            w.seed,
            code(&d.seed.to_string()),
            w.start,
            code(&d.start.to_string()),
            w.prn,
            code(&crate::text::prn_formula(lang, &d.prn)),
            w.manifest,
            code(&d.manifest)
        );
    }
    let _ = writeln!(
        s,
        "- plan: {}\n- {}: {}\n- {}: {}\n- {}: {}",
        code(&r.plan_file),
        w.plan_hash,
        code(&r.plan_hash),
        w.extract_fingerprint,
        code(&r.extract_fingerprint),
        w.files,
        code(&r.extract_files.join(", "))
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from the extract and the spec cannot format, link, inject HTML or break out
    /// of a code span.
    #[test]
    fn hostile_values_stay_text() {
        let mut r = crate::tests::seed_case(Lang::En);
        r.strata[0].label = "<script>alert(1)</script> [x](javascript:alert(1)) *b* |".into();
        r.indicators[0].label = "![img](http://x) `code`".into();
        if let Some(d) = r.draw.as_mut() {
            d.manifest = "m`` ```.csv".into();
        }
        let md = render_markdown(&r);
        assert!(!md.contains("<script>"), "{md}");
        assert!(!md.contains("[x](javascript"), "{md}");
        assert!(!md.contains("![img]"), "{md}");
        assert!(md.contains("\\<script\\>"), "{md}");
        assert!(md.contains("````m`` ```.csv````"), "{md}");
        // A table row keeps its columns.
        let row = md.lines().find(|l| l.contains("script")).unwrap();
        assert_eq!(row.matches(" | ").count(), 6, "{row}");
    }

    /// The content of the code span that starts `md` (CommonMark 0.31, 6.1), when `md` is
    /// exactly one code span: an opening backtick run, the content, and the first run of
    /// the same length closing it at the very end.
    fn one_code_span(md: &str) -> Option<String> {
        let n = md.len() - md.trim_start_matches('`').len();
        if n == 0 {
            return None;
        }
        let body = &md[n..];
        // The closing run: the first backtick run of exactly n after the opening.
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                if run == n {
                    if i + run != bytes.len() {
                        return None;
                    }
                    let content = &body[..i];
                    let strip = content.len() >= 2
                        && content.starts_with(' ')
                        && content.ends_with(' ')
                        && !content.chars().all(|c| c == ' ');
                    return Some(if strip {
                        content[1..content.len() - 1].to_string()
                    } else {
                        content.to_string()
                    });
                }
                i += run;
            } else {
                i += 1;
            }
        }
        None
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("plan.json"), "`plan.json`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code(" x "), "`  x  `");
        assert_eq!(
            code("p`.json) [klicka](mailto:a@b) `"),
            "`` p`.json) [klicka](mailto:a@b) ` ``"
        );
        assert_eq!(one_code_span(&code("a``b`")), Some("a``b`".to_string()));
    }

    /// The plan's file name on the report's third line: a backtick in it cannot close the
    /// code span and turn the rest into a link.
    #[test]
    fn a_backtick_in_the_plan_name_stays_in_its_code_span() {
        let mut r = crate::tests::seed_case(Lang::Sv);
        r.plan_file = "p`.json [klicka](mailto:a@example.invalid) `".into();
        let md = render_markdown(&r);
        let line = md.lines().nth(2).unwrap();
        let at = line.find(", plan ").unwrap() + ", plan ".len();
        let end = line.rfind(", urval ").unwrap();
        assert_eq!(
            one_code_span(&line[at..end]).as_deref(),
            Some(r.plan_file.as_str())
        );
    }

    proptest::proptest! {
        /// Any value is exactly one code span holding the value (line breaks as spaces):
        /// no link, no HTML, nothing after it.
        #[test]
        fn any_value_is_one_code_span(v in "[`a \\n<>\\[\\]()|!*_\\\\é]{1,24}") {
            let md = code(&v);
            proptest::prop_assert_eq!(one_code_span(&md), Some(v.replace(['\n', '\r'], " ")), "{}", md);
        }

        #[test]
        fn any_string_is_one_code_span(v in "\\PC{1,40}") {
            let md = code(&v);
            proptest::prop_assert_eq!(one_code_span(&md), Some(v.replace(['\n', '\r'], " ")), "{}", md);
        }
    }
}
