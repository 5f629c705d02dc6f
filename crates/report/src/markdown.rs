//! The report as Markdown: the same sections and numbers as the HTML page, with the plots'
//! points as tables. A printer of the report's document ([`crate::document`]): it lays out
//! blocks and escapes their text.

use crate::document::{self, Align, Block, Cell, Document, Inline, Table};
use crate::Report;
use std::fmt::Write as _;

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

/// Render the report as Markdown.
pub fn render_markdown(r: &Report) -> String {
    text(&document::build(r))
}

/// The document as Markdown: the head, then the blocks a blank line apart.
fn text(d: &Document) -> String {
    let h = &d.head;
    let mut parts = vec![format!(
        "# {}\n\n*{}* — {}: {}, plan {}, urval {}\n",
        h.title,
        h.subtitle,
        h.created_label,
        prose(&h.created),
        code(&h.plan_file),
        prose(&h.version)
    )];
    parts.extend(d.sections.iter().flat_map(|s| &s.blocks).filter_map(block));
    parts.join("\n")
}

/// Text pieces in a paragraph (`in_cell`: in a table cell, where more is escaped).
fn inlines(content: &[Inline], in_cell: bool) -> String {
    let text = |t: &str| if in_cell { cell(t) } else { prose(t) };
    let mut s = String::new();
    for piece in content {
        match piece {
            Inline::Text(t) => s.push_str(&text(t)),
            Inline::Plain(t) => s.push_str(t),
            Inline::Strong(t) => {
                let _ = write!(s, "**{}**", text(t));
            }
            Inline::Aside(t) => {
                let _ = write!(s, " — {}", text(t));
            }
        }
    }
    s
}

/// One block's lines (each ending its line), or `None` for a block Markdown leaves out:
/// the key figures (the summary table holds them), a plot without points, the page's own.
fn block(b: &Block) -> Option<String> {
    Some(match b {
        Block::Heading { level, text } => {
            format!("{} {text}\n", "#".repeat(usize::from(*level)))
        }
        Block::Paragraph(p) => format!("{}\n", inlines(&p.content, false)),
        Block::Letter(lines) => {
            let lines: Vec<String> = lines
                .iter()
                .map(|(label, v)| format!("{label}: {}", prose(v)))
                .collect();
            format!("{}\n", lines.join(" · "))
        }
        Block::KeyFigures(_) => return None,
        Block::Table(t) => table(t),
        Block::Figure(f) => table(f.points.as_ref()?),
        Block::Command(c) => format!("{}\n", code(c)),
        Block::Facts(facts) => facts
            .iter()
            .map(|(k, v)| format!("- {k}: {}\n", code(v)))
            .collect(),
        Block::HtmlOnly(_) => return None,
        Block::Space => String::new(),
    })
}

/// A table row: every cell between bars, a blank cell (`None`) a bare bar.
fn row(cells: &[Option<String>]) -> String {
    let mut s = String::from("|");
    for c in cells {
        match c {
            Some(c) => {
                let _ = write!(s, " {c} |");
            }
            None => s.push_str(" |"),
        }
    }
    s.push('\n');
    s
}

/// A table: its title line, the header and its alignment row, the rows it shows (a long
/// table attached beside the report shows its first rows and says where the rest is;
/// Markdown cannot fold), and the total row, whose label is written in bold markers and
/// escaped like every label.
fn table(t: &Table) -> String {
    let mut s = String::new();
    if let Some(title) = &t.title {
        let _ = write!(s, "{title}:\n\n");
    }
    let head: Vec<&str> = t.columns.iter().map(|c| c.text.as_str()).collect();
    let align: Vec<&str> = t
        .columns
        .iter()
        .map(|c| match c.align {
            Align::Left => "---",
            Align::Right => "---:",
        })
        .collect();
    let _ = write!(s, "| {} |\n|{}|\n", head.join(" | "), align.join("|"));
    let cells = |r: &[Cell]| -> Vec<Option<String>> {
        r.iter()
            .map(|c| (!c.content.is_empty()).then(|| inlines(&c.content, true)))
            .collect()
    };
    let attached = t
        .fold
        .as_ref()
        .and_then(|f| Some((f, f.attached.as_ref()?)));
    let shown: Vec<usize> = match attached {
        Some((fold, _)) => fold.top.clone(),
        None => (0..t.rows.len()).collect(),
    };
    for i in shown {
        s.push_str(&row(&cells(&t.rows[i])));
    }
    if let Some(total) = &t.total {
        let mut total = cells(total);
        if let Some(Some(label)) = total.first_mut() {
            *label = cell(&format!("**{label}**"));
        }
        s.push_str(&row(&total));
    }
    if let Some((_, a)) = attached {
        let _ = write!(
            s,
            "\n{} {} · {}\n",
            prose(&a.shortened),
            code(&a.csv),
            code(&a.xlsx)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Attached, Figure, Fold, Paragraph};
    use crate::text::Lang;

    fn printed(b: &Block) -> Option<String> {
        block(b)
    }

    fn cell_of(t: Inline) -> Cell {
        Cell {
            class: None,
            content: vec![t],
        }
    }

    fn column(text: &str, align: Align) -> crate::document::Column {
        crate::document::Column {
            text: text.into(),
            align,
        }
    }

    /// A table: text escaped as a cell, the report's own words and numbers as they are, a
    /// note after a dash, an empty cell and a blank one, and the total row.
    #[test]
    fn a_table_escapes_its_cells() {
        let t = Table {
            class: Some("est"),
            title: Some("Margins (worst first)".into()),
            columns: vec![
                column("", Align::Left),
                column("n", Align::Right),
                column("Method", Align::Left),
            ],
            rows: vec![vec![
                cell_of(Inline::Text("<b>|x|</b> *y* [z](w)".into())),
                cell_of(Inline::Plain("1,000".into())),
                Cell {
                    class: None,
                    content: vec![
                        Inline::Plain("Wilson".into()),
                        Inline::Aside("read with caution: a_b".into()),
                    ],
                },
            ]],
            total: Some(vec![
                cell_of(Inline::Plain("Total".into())),
                cell_of(Inline::Text(String::new())),
                Cell {
                    class: None,
                    content: Vec::new(),
                },
            ]),
            fold: None,
        };
        assert_eq!(
            printed(&Block::Table(t)).as_deref(),
            Some("Margins (worst first):\n\n|  | n | Method |\n|---|---:|---|\n| \\<b\\>\\|x\\|\\</b\\> \\*y\\* \\[z\\](w) | 1,000 | Wilson — read with caution: a\\_b |\n| \\*\\*Total\\*\\* |  | |\n")
        );
    }

    /// A long table attached beside the report shows its first rows and names its files;
    /// one that is not attached shows every row.
    #[test]
    fn a_long_table_shows_its_first_rows_when_attached() {
        let table = |attached: Option<Attached>| Table {
            class: None,
            title: None,
            columns: vec![column("x", Align::Right)],
            rows: (0..3)
                .map(|i| vec![cell_of(Inline::Plain(i.to_string()))])
                .collect(),
            total: None,
            fold: Some(Fold {
                top: vec![2],
                summary: "All 3".into(),
                attached,
            }),
        };
        assert_eq!(
            printed(&Block::Table(table(None))).as_deref(),
            Some("| x |\n|---:|\n| 0 |\n| 1 |\n| 2 |\n")
        );
        let files = Attached {
            folded: "on the page".into(),
            shortened: "The full table [3 rows]:".into(),
            csv: "t.csv".into(),
            xlsx: "t`.xlsx".into(),
        };
        assert_eq!(
            printed(&Block::Table(table(Some(files)))).as_deref(),
            Some("| x |\n|---:|\n| 2 |\n\nThe full table \\[3 rows\\]: `t.csv` · ``t`.xlsx``\n")
        );
    }

    /// Headings, paragraphs (prose escaped, bold kept), a figure as its points or not at
    /// all, and the blocks Markdown leaves out or keeps as an empty line.
    #[test]
    fn headings_paragraphs_and_figures() {
        let h = Block::Heading {
            level: 2,
            text: "What each extra record buys".into(),
        };
        assert_eq!(
            printed(&h).as_deref(),
            Some("## What each extra record buys\n")
        );
        let p = Block::Paragraph(Paragraph {
            class: Some("note"),
            content: vec![
                Inline::Strong("Not for publication".into()),
                Inline::Text(": see <x> [y]".into()),
            ],
        });
        assert_eq!(
            printed(&p).as_deref(),
            Some("**Not for publication**: see \\<x\\> \\[y\\]\n")
        );
        let points = Table {
            class: None,
            title: Some("Margin (e = z·√(P(1−P)/n))".into()),
            columns: vec![column("n", Align::Right), column("Margin", Align::Right)],
            rows: vec![vec![
                cell_of(Inline::Plain("257".into())),
                cell_of(Inline::Plain("±4.99".into())),
            ]],
            total: None,
            fold: None,
        };
        let figure = |points: Option<Table>| {
            Block::Figure(Figure {
                svg: "<svg></svg>".into(),
                caption: Some("caption".into()),
                points,
            })
        };
        assert_eq!(
            printed(&figure(Some(points))).as_deref(),
            Some("Margin (e = z·√(P(1−P)/n)):\n\n| n | Margin |\n|---:|---:|\n| 257 | ±4.99 |\n")
        );
        assert_eq!(printed(&figure(None)), None);
        assert_eq!(printed(&Block::HtmlOnly(Box::new(h))), None);
        assert_eq!(printed(&Block::Space).as_deref(), Some(""));
        assert_eq!(
            printed(&Block::Command("urval verify --plan p`.json".into())).as_deref(),
            Some("``urval verify --plan p`.json``\n")
        );
    }

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
