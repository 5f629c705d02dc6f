//! The report as one self-contained HTML page: inline CSS and SVG, no script, no font or
//! image from the network; readable on screen and printed on A4. A printer of the
//! report's document ([`crate::document`]): it lays out blocks and escapes their text.

use crate::document::{self, Block, Cell, Document, Fold, Head, Inline, Table};
use crate::svg::esc;
use crate::Report;
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
fn print_css(head: &Head) -> String {
    let (page, of) = head.page_of;
    format!(
        "\n@page {{ size: A4; margin: 18mm 14mm 16mm;\n  @top-left {{ content: {}; font-size: 8pt; color: #555; }}\n  @bottom-right {{ content: {} counter(page) {} counter(pages); font-size: 8pt; color: #555; }} }}\n",
        css_string(&head.running_head),
        css_string(&format!("{page} ")),
        css_string(&format!(" {of} ")),
    )
}

/// Render the report as one HTML page.
pub fn render_html(r: &Report) -> String {
    page(&document::build(r))
}

/// The document as one HTML page.
fn page(d: &Document) -> String {
    let h = &d.head;
    let mut s = String::new();
    let _ = writeln!(s, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"urval {}\">\n<title>{} — {}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<main>",
        h.lang,
        esc(&h.version),
        esc(h.title),
        esc(h.subtitle),
        print_css(h)
    );
    let _ = writeln!(s, "<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<p class=\"meta\">{}: {} · plan {} · urval {}</p>",
        esc(h.title),
        esc(h.subtitle),
        esc(h.created_label),
        esc(&h.created),
        esc(&h.plan_file),
        esc(&h.version)
    );
    for b in d.sections.iter().flat_map(|s| &s.blocks) {
        block(&mut s, b);
    }
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// ` class="…"` of an element, or nothing.
fn class_attr(class: Option<&str>) -> String {
    class.map(|c| format!(" class=\"{c}\"")).unwrap_or_default()
}

/// Text pieces, escaped.
fn inlines(s: &mut String, content: &[Inline]) {
    for piece in content {
        match piece {
            Inline::Text(t) | Inline::Plain(t) => s.push_str(&esc(t)),
            Inline::Strong(t) => {
                let _ = write!(s, "<strong>{}</strong>", esc(t));
            }
            Inline::Aside(t) => {
                let _ = write!(s, "<br><small>{}</small>", esc(t));
            }
        }
    }
}

/// One block, each ending its line.
fn block(s: &mut String, b: &Block) {
    match b {
        Block::Heading { level, text } => {
            let _ = writeln!(s, "<h{level}>{}</h{level}>", esc(text));
        }
        Block::Paragraph(p) => {
            let _ = write!(s, "<p{}>", class_attr(p.class));
            inlines(s, &p.content);
            s.push_str("</p>\n");
        }
        Block::Letter(lines) => {
            s.push_str("<dl class=\"letter\">");
            for (label, v) in lines {
                let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(v));
            }
            s.push_str("</dl>\n");
        }
        Block::KeyFigures(figures) => {
            s.push_str("<div class=\"kpi\">");
            for k in figures {
                let class = k.class;
                let _ = write!(
                    s,
                    "<div class=\"{class}\"><div class=\"label\">{}</div>",
                    esc(k.label)
                );
                match &k.value {
                    Some((value, sub)) => {
                        let _ = write!(s, "<div class=\"value\" data-key=\"{class}-records\">{}</div><div class=\"sub\">{}</div></div>", esc(value), esc(sub));
                    }
                    None => s.push_str("<div class=\"value\">–</div></div>"),
                }
            }
            s.push_str("</div>\n");
        }
        Block::Table(t) => table(s, t),
        Block::Figure(f) => {
            let _ = write!(s, "<figure>{}", f.svg);
            if let Some(c) = &f.caption {
                let _ = write!(s, "<figcaption>{}</figcaption>", esc(c));
            }
            s.push_str("</figure>\n");
        }
        Block::Command(c) => {
            let _ = writeln!(s, "<pre>{}</pre>", esc(c));
        }
        Block::Facts(facts) => {
            s.push_str("<dl>");
            for (k, v) in facts {
                let _ = write!(s, "<dt>{}</dt><dd><code>{}</code></dd>", esc(k), esc(v));
            }
            s.push_str("</dl>\n");
        }
        Block::HtmlOnly(b) => block(s, b),
        Block::Space => {}
    }
}

/// A row of cells.
fn row(s: &mut String, class: Option<&str>, cells: &[Cell]) {
    let _ = write!(s, "<tr{}>", class_attr(class));
    for c in cells {
        let _ = write!(s, "<td{}>", class_attr(c.class));
        inlines(s, &c.content);
        s.push_str("</td>");
    }
    s.push_str("</tr>");
}

/// The table's opening and header, its `rows` (indices) and total, and its close.
fn rows_of(s: &mut String, t: &Table, rows: impl Iterator<Item = usize>) {
    let _ = write!(s, "<table{}><thead><tr>", class_attr(t.class));
    for c in &t.columns {
        let _ = write!(s, "<th>{}</th>", esc(&c.text));
    }
    s.push_str("</tr></thead><tbody>");
    for i in rows {
        row(s, None, &t.rows[i]);
    }
    if let Some(total) = &t.total {
        row(s, Some("total"), total);
    }
    s.push_str("</tbody></table>");
}

/// A table under its title: every row, or a long one's first rows with the whole table
/// folded under them and its files named.
fn table(s: &mut String, t: &Table) {
    if let Some(title) = &t.title {
        let _ = writeln!(s, "<h3>{}</h3>", esc(title));
    }
    let Some(Fold {
        top,
        summary,
        attached,
    }) = &t.fold
    else {
        rows_of(s, t, 0..t.rows.len());
        s.push('\n');
        return;
    };
    rows_of(s, t, top.iter().copied());
    let _ = write!(s, "\n<details><summary>{}</summary>", esc(summary));
    rows_of(s, t, 0..t.rows.len());
    s.push_str("</details>\n");
    if let Some(a) = attached {
        let _ = writeln!(
            s,
            "<p class=\"note\">{} <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
            esc(&a.folded),
            esc(&a.csv),
            esc(&a.csv),
            esc(&a.xlsx),
            esc(&a.xlsx)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Align, Attached, Column, Figure, Paragraph};
    use crate::sentences;
    use crate::text::Lang;
    use crate::Scope;

    /// The printed page's rules for a report.
    fn page_css(r: &Report) -> String {
        print_css(&document::build(r).head)
    }

    fn printed(b: &Block) -> String {
        let mut s = String::new();
        block(&mut s, b);
        s
    }

    fn cell(t: Inline) -> Cell {
        Cell {
            class: None,
            content: vec![t],
        }
    }

    /// A table with a class, a text cell escaped, a note in a cell, a blank cell and a
    /// total row.
    #[test]
    fn a_table_escapes_its_cells() {
        let t = Table {
            class: Some("est"),
            title: Some("Per <stratum>".into()),
            columns: vec![
                Column {
                    text: "Label & co".into(),
                    align: Align::Left,
                },
                Column {
                    text: "n".into(),
                    align: Align::Right,
                },
            ],
            rows: vec![vec![
                cell(Inline::Text("<script>\"x\" & 'y'".into())),
                Cell {
                    class: Some("nw"),
                    content: vec![
                        Inline::Plain("1\u{a0}000".into()),
                        Inline::Aside("a <note>".into()),
                    ],
                },
            ]],
            total: Some(vec![
                cell(Inline::Plain("Total".into())),
                Cell {
                    class: None,
                    content: Vec::new(),
                },
            ]),
            fold: None,
        };
        assert_eq!(
            printed(&Block::Table(t)),
            "<h3>Per &lt;stratum&gt;</h3>\n<table class=\"est\"><thead><tr><th>Label &amp; co</th><th>n</th></tr></thead><tbody><tr><td>&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;</td><td class=\"nw\">1\u{a0}000<br><small>a &lt;note&gt;</small></td></tr><tr class=\"total\"><td>Total</td><td></td></tr></tbody></table>\n"
        );
    }

    /// A long table: its first rows, the whole table folded under them, and its files.
    #[test]
    fn a_long_table_folds() {
        let t = Table {
            class: None,
            title: None,
            columns: vec![Column {
                text: "x".into(),
                align: Align::Left,
            }],
            rows: (0..3)
                .map(|i| vec![cell(Inline::Plain(i.to_string()))])
                .collect(),
            total: None,
            fold: Some(Fold {
                top: vec![2],
                summary: "All 3".into(),
                attached: Some(Attached {
                    folded: "Attached:".into(),
                    shortened: "not on the page".into(),
                    csv: "a&b.csv".into(),
                    xlsx: "t.xlsx".into(),
                }),
            }),
        };
        let head = "<table><thead><tr><th>x</th></tr></thead><tbody>";
        assert_eq!(
            printed(&Block::Table(t)),
            format!("{head}<tr><td>2</td></tr></tbody></table>\n<details><summary>All 3</summary>{head}<tr><td>0</td></tr><tr><td>1</td></tr><tr><td>2</td></tr></tbody></table></details>\n<p class=\"note\">Attached: <a href=\"a&amp;b.csv\">a&amp;b.csv</a> · <a href=\"t.xlsx\">t.xlsx</a></p>\n")
        );
    }

    /// Headings, a paragraph with a bold start, a figure with and without a caption, and
    /// what the page leaves out (the Markdown's own blocks).
    #[test]
    fn headings_paragraphs_and_figures() {
        assert_eq!(
            printed(&Block::Heading {
                level: 2,
                text: "A & B".into()
            }),
            "<h2>A &amp; B</h2>\n"
        );
        assert_eq!(
            printed(&Block::Paragraph(Paragraph {
                class: Some("note"),
                content: vec![
                    Inline::Strong("Not <for>".into()),
                    Inline::Text(": use".into())
                ],
            })),
            "<p class=\"note\"><strong>Not &lt;for&gt;</strong>: use</p>\n"
        );
        let figure = |caption: Option<&str>| {
            Block::Figure(Figure {
                svg: "<svg class=\"plot\"></svg>".into(),
                caption: caption.map(String::from),
                points: None,
            })
        };
        assert_eq!(
            printed(&figure(Some("e < 5 %"))),
            "<figure><svg class=\"plot\"></svg><figcaption>e &lt; 5 %</figcaption></figure>\n"
        );
        assert_eq!(
            printed(&figure(None)),
            "<figure><svg class=\"plot\"></svg></figure>\n"
        );
        assert_eq!(printed(&Block::Space), "");
        let html_only = Block::HtmlOnly(Box::new(figure(None)));
        assert_eq!(printed(&html_only), printed(&figure(None)));
    }

    /// The whole page opens with its head in the report's language and closes the
    /// document.
    #[test]
    fn the_page_opens_and_closes() {
        let page = render_html(&crate::tests::seed_case(Lang::En));
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"));
        assert!(page.contains("<h1>How many records are needed?</h1>\n"));
        assert!(page.ends_with("</dl>\n</main>\n</body>\n</html>\n"));
    }

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
