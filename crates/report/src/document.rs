//! The report as one document, built once from the report's model ([`build`]): a head
//! (title, the plan, the printed page's running head) and sections of blocks — headings,
//! paragraphs, the letter's lines, key figures, tables, figures, the verify command and the
//! draw's facts — with every word and number already written in the report's language. The
//! HTML page and the Markdown text are two printers of the same blocks.
//!
//! Text in a block is plain text: a printer escapes it for its format. [`Inline::Text`]
//! may hold anything a flag, a file or the extract gave (a stratum value, a label, a file
//! name) and every printer escapes it; [`Inline::Plain`] is the report's own words, numbers
//! and formulas, which HTML escapes and Markdown writes as they are.
//!
//! The two formats say the same in a few places differently, as the model records:
//! Markdown has no plots, so a figure prints its points as a table there when it has them
//! ([`Figure::points`]) and nothing otherwise; a long table is folded under its first rows
//! in HTML, while Markdown shows the first rows only when the whole table is attached
//! beside the report ([`Fold`]); a few sentences about what the page shows belong to the
//! HTML page only ([`Block::HtmlOnly`]); and the Markdown keeps an empty line of its own in two
//! places ([`Block::Space`]).

use crate::sentences;
use crate::svg::{burden_plot, indicator_plot, margin_plot, spread_plot};
use crate::tables::{attachment, by_burden, by_width, LONG, TOP};
use crate::text::{estimate_note, fmt_dec, fmt_int, fmt_value, method_name, words, Lang, Words};
use crate::{Burden, IndicatorRow, Report, StratumPrecision, StratumRow};

/// The strata the burden plot shows.
const PLOT_STRATA: usize = 25;

/// The whole report, ready to print.
pub(crate) struct Document {
    /// The title, the plan and what every printed page carries.
    pub head: Head,
    /// The sections in order (a section may be empty).
    pub sections: Vec<Section>,
}

/// What stands above the report's first section.
pub(crate) struct Head {
    /// The language's code (`sv`, `en`).
    pub lang: &'static str,
    /// The title.
    pub title: &'static str,
    /// The subtitle.
    pub subtitle: &'static str,
    /// The word before the plan's time.
    pub created_label: &'static str,
    /// When the inputs were made.
    pub created: String,
    /// The plan's file name.
    pub plan_file: String,
    /// The urval version.
    pub version: String,
    /// The running head of every printed page.
    pub running_head: String,
    /// The words of "page n of m" at the foot of a printed page.
    pub page_of: (&'static str, &'static str),
}

/// One part of the report: its heading and what follows it.
pub(crate) struct Section {
    /// The blocks in order.
    pub blocks: Vec<Block>,
}

/// One thing a printer lays out.
pub(crate) enum Block {
    /// A heading: level 2 opens a section, level 3 names what follows within one.
    Heading {
        /// 2 or 3.
        level: u8,
        /// The heading's words.
        text: String,
    },
    /// A paragraph.
    Paragraph(Paragraph),
    /// The letter's lines: (label, value).
    Letter(Vec<(&'static str, String)>),
    /// The summary's key figures (HTML; the summary table beside them holds the same
    /// numbers).
    KeyFigures(Vec<KeyFigure>),
    /// A table.
    Table(Table),
    /// A plot.
    Figure(Figure),
    /// A command to run, as it is typed.
    Command(String),
    /// The draw's facts: (label, value), each value as it is typed or printed.
    Facts(Vec<(&'static str, String)>),
    /// A block the HTML page prints and the Markdown leaves out.
    HtmlOnly(Box<Block>),
    /// An empty line of the Markdown (nothing in HTML).
    Space,
}

/// A paragraph: its pieces, and a class naming its role on the HTML page.
pub(crate) struct Paragraph {
    /// `note`, `purpose`, `scope`, `overlap` or none.
    pub class: Option<&'static str>,
    /// The text.
    pub content: Vec<Inline>,
}

/// A piece of text in a paragraph or a table cell.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Inline {
    /// Text that may hold anything: escaped by every printer.
    Text(String),
    /// The report's own words, numbers and formulas, which hold no Markdown: escaped for
    /// HTML, written as they are in Markdown.
    Plain(String),
    /// Text in bold.
    Strong(String),
    /// A note that goes with the cell's text (set apart below it on the page, after a dash
    /// in Markdown).
    Aside(String),
}

/// One of the summary's key figures: a label, the records and a line of pages and days.
pub(crate) struct KeyFigure {
    /// `needed`, `requested` or `surplus` (the class colours it).
    pub class: &'static str,
    /// The label.
    pub label: &'static str,
    /// The records and the line under them, when there is a figure (else `–`).
    pub value: Option<(String, String)>,
}

/// A table: a header, rows of cells, an optional total row, and how a long one is shortened.
pub(crate) struct Table {
    /// The class of the HTML table (`est`, `phases`, …), if any.
    pub class: Option<&'static str>,
    /// A line naming the table above it.
    pub title: Option<String>,
    /// The header's cells.
    pub columns: Vec<Column>,
    /// Every row, in the table's order.
    pub rows: Vec<Row>,
    /// The total row, after the rows.
    pub total: Option<Row>,
    /// A table too long for the page: the rows shown first and where the rest is.
    pub fold: Option<Fold>,
}

/// A header cell.
pub(crate) struct Column {
    /// Its words.
    pub text: String,
    /// How the column's cells are aligned.
    pub align: Align,
}

/// A column's alignment (HTML aligns by its style sheet, Markdown in the header).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table row.
pub(crate) type Row = Vec<Cell>;

/// A table cell: its text (none at all for a cell left blank) and its HTML class.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cell {
    /// `nw` (no wrap) or none.
    pub class: Option<&'static str>,
    /// The text.
    pub content: Vec<Inline>,
}

/// How a table longer than [`LONG`] rows is shortened.
pub(crate) struct Fold {
    /// The rows shown first (indices into the rows).
    pub top: Vec<usize>,
    /// The summary of the folded full table.
    pub summary: String,
    /// The full table's files beside the report, if it is attached.
    pub attached: Option<Attached>,
}

/// A table's files beside the report.
pub(crate) struct Attached {
    /// What the HTML page says under its folded full table.
    pub folded: String,
    /// What the Markdown says under the rows it shows.
    pub shortened: String,
    /// The CSV.
    pub csv: String,
    /// The workbook.
    pub xlsx: String,
}

/// A plot.
pub(crate) struct Figure {
    /// The SVG.
    pub svg: String,
    /// The caption, if any.
    pub caption: Option<String>,
    /// The plotted points as a table, for a format without plots.
    pub points: Option<Table>,
}

impl Cell {
    /// A cell of the report's own words or numbers.
    fn plain(s: impl Into<String>) -> Cell {
        Cell {
            class: None,
            content: vec![Inline::Plain(s.into())],
        }
    }

    /// A cell of text from anywhere.
    fn text(s: impl Into<String>) -> Cell {
        Cell {
            class: None,
            content: vec![Inline::Text(s.into())],
        }
    }

    /// The cell with an HTML class.
    fn with_class(self, class: &'static str) -> Cell {
        Cell {
            class: Some(class),
            ..self
        }
    }
}

impl Column {
    /// A column of text.
    fn left(text: impl Into<String>) -> Column {
        Column {
            text: text.into(),
            align: Align::Left,
        }
    }

    /// A column of numbers.
    fn right(text: impl Into<String>) -> Column {
        Column {
            text: text.into(),
            align: Align::Right,
        }
    }
}

impl Table {
    /// A short table of text cells under `head`: its first `left` columns text, the rest
    /// numbers.
    fn of_text<const N: usize>(
        class: &'static str,
        head: &[&str; N],
        left: usize,
        rows: Vec<[String; N]>,
    ) -> Table {
        Table {
            class: Some(class),
            title: None,
            columns: head
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    if i < left {
                        Column::left(*h)
                    } else {
                        Column::right(*h)
                    }
                })
                .collect(),
            rows: rows
                .into_iter()
                .map(|row| row.into_iter().map(Cell::text).collect())
                .collect(),
            total: None,
            fold: None,
        }
    }
}

/// A paragraph of one piece of text.
fn paragraph(class: Option<&'static str>, text: impl Into<String>) -> Block {
    Block::Paragraph(Paragraph {
        class,
        content: vec![Inline::Text(text.into())],
    })
}

/// A heading of `level`.
fn heading(level: u8, text: impl Into<String>) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

/// The shortening of a table of `len` rows, when it is long: `order` gives the rows
/// shown first, `top` of them.
fn fold(
    r: &Report,
    table: &str,
    len: usize,
    order: impl Iterator<Item = usize>,
    top: usize,
) -> Option<Fold> {
    (len > LONG).then(|| Fold {
        top: order.take(top).collect(),
        summary: sentences::full_table(r.lang, len),
        attached: attachment(r, table).map(|a| Attached {
            folded: words(r.lang).attached.to_string(),
            shortened: sentences::attached_full(r.lang, len),
            csv: a.csv.clone(),
            xlsx: a.xlsx.clone(),
        }),
    })
}

/// The report as a document.
pub(crate) fn build(r: &Report) -> Document {
    Document {
        head: head(r),
        sections: vec![
            opening(r),
            purpose(r),
            summary(r),
            two_phase(r),
            purposes(r),
            stages(r),
            precision(r),
            stratum_margins(r),
            per_stratum(r),
            estimates(r),
            method(r),
            reproduce(r),
        ],
    }
}

/// The title, the plan and the running head.
fn head(r: &Report) -> Head {
    let w = words(r.lang);
    Head {
        lang: r.lang.code(),
        title: w.title,
        subtitle: w.subtitle,
        created_label: w.created,
        created: r.created.clone(),
        plan_file: r.plan_file.clone(),
        version: r.urval_version.clone(),
        running_head: sentences::running_head(r),
        page_of: (w.page, w.of),
    }
}

/// The mark of a report not for publication, and the letter's lines.
fn opening(r: &Report) -> Section {
    let mut blocks = Vec::new();
    if let Some(m) = sentences::not_for_publication(r) {
        let (head, rest) = m.split_once(':').unwrap_or((m, ""));
        blocks.push(Block::Paragraph(Paragraph {
            class: Some("note"),
            content: vec![
                Inline::Strong(head.to_string()),
                Inline::Text(format!(":{rest}")),
            ],
        }));
    }
    blocks.push(Block::Letter(crate::text::letter_lines(r)));
    Section { blocks }
}

/// What the request is for: in the letter's words, if given, and in the plan's.
fn purpose(r: &Report) -> Section {
    let mut blocks = vec![heading(2, words(r.lang).purpose)];
    if let Some(p) = &r.letter.purpose {
        blocks.push(paragraph(Some("purpose"), p.as_str()));
    }
    blocks.push(paragraph(None, sentences::purpose(r)));
    Section { blocks }
}

/// The three key figures, the burden table, and the sentences under them.
fn summary(r: &Report) -> Section {
    let lang = r.lang;
    let w = words(lang);
    let t = &r.total;
    let key = |class: &'static str, label: &'static str, b: Option<Burden>| KeyFigure {
        class,
        label,
        value: b.map(|b| {
            (
                fmt_int(lang, b.records),
                format!(
                    "{} {} · {} {}",
                    fmt_dec(lang, b.pages, 0),
                    w.pages,
                    fmt_dec(lang, b.working_days, 1),
                    w.working_days
                ),
            )
        }),
    };
    let dash = || "–".to_string();
    let (q, sp) = (t.requested, t.surplus());
    let records = |b: Option<Burden>| b.map_or_else(dash, |b| fmt_int(lang, b.records));
    let pages = |b: Option<Burden>| b.map_or_else(dash, |b| fmt_dec(lang, b.pages, 0));
    let days = |b: Option<Burden>| b.map_or_else(dash, |b| fmt_dec(lang, b.working_days, 1));
    let row = |label: &str, f: &dyn Fn(Option<Burden>) -> String| -> Row {
        [label.to_string(), f(Some(t.needed)), f(q), f(sp)]
            .into_iter()
            .map(Cell::plain)
            .collect()
    };
    let table = Table {
        class: None,
        title: None,
        columns: vec![
            Column::left(w.burden),
            Column::right(w.needed),
            Column::right(w.requested),
            Column::right(w.surplus),
        ],
        rows: vec![
            row(w.records, &records),
            row(w.pages, &pages),
            row(w.working_days, &days),
        ],
        total: None,
        fold: None,
    };
    let mut blocks = vec![
        heading(2, w.summary),
        Block::KeyFigures(vec![
            key("needed", w.needed, Some(t.needed)),
            key("requested", w.requested, q),
            key("surplus", w.surplus, sp),
        ]),
        Block::Table(table),
        paragraph(None, sentences::summary(r)),
    ];
    if q.is_none() {
        blocks.push(Block::HtmlOnly(Box::new(paragraph(None, w.no_request))));
    }
    if let Some(p) = sentences::scope(r) {
        blocks.push(paragraph(Some("scope"), p));
    }
    if let Some(p) = sentences::overlap(r) {
        blocks.push(paragraph(Some("overlap"), p));
    }
    Section { blocks }
}

/// The header of a table of records, pages and working days under a label.
fn burden_head(w: &Words) -> [&'static str; 4] {
    ["", w.records, w.pages, w.working_days]
}

/// A two-phase review: the self-review and the re-review, and after it the agreement.
fn two_phase(r: &Report) -> Section {
    let w = words(r.lang);
    let (phase_rows, agreement_rows) = crate::tables::two_phase_rows(r);
    if phase_rows.is_empty() {
        return Section { blocks: Vec::new() };
    }
    let mut blocks = vec![heading(2, w.two_phase)];
    blocks.extend(
        sentences::two_phase(r)
            .into_iter()
            .map(|p| paragraph(None, p)),
    );
    blocks.push(Block::Table(Table::of_text(
        "phases",
        &burden_head(w),
        1,
        phase_rows,
    )));
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
            blocks.push(paragraph(Some("note"), p));
        }
        blocks.push(Block::Table(Table::of_text(
            "agreement",
            &head,
            1,
            agreement_rows,
        )));
    }
    Section { blocks }
}

/// Several purposes: what each asks, achieves and alone would need.
fn purposes(r: &Report) -> Section {
    let w = words(r.lang);
    let rows = crate::tables::purpose_rows(r);
    if rows.is_empty() {
        return Section { blocks: Vec::new() };
    }
    let mut blocks = vec![heading(2, w.purposes)];
    if let Some(p) = sentences::whole_request_table(r) {
        blocks.push(paragraph(Some("note"), p));
    }
    let head = crate::tables::purpose_head(w);
    blocks.push(Block::Table(Table::of_text("purposes", &head, 3, rows)));
    blocks.push(Block::Space);
    blocks.extend(
        sentences::purposes(r)
            .into_iter()
            .map(|p| paragraph(None, p)),
    );
    Section { blocks }
}

/// A staged request: stage 1 now, stage 2 only if needed.
fn stages(r: &Report) -> Section {
    let w = words(r.lang);
    let rows = crate::tables::stage_rows(r);
    if rows.is_empty() {
        return Section { blocks: Vec::new() };
    }
    let mut blocks = vec![heading(2, w.stages)];
    blocks.extend(sentences::staged(r).into_iter().map(|p| paragraph(None, p)));
    blocks.push(Block::Table(Table::of_text(
        "stages",
        &burden_head(w),
        1,
        rows,
    )));
    Section { blocks }
}

/// What each extra record buys: the margin against the records, plotted, with its points
/// at a few numbers of records for a format without plots. An attribute plan states its
/// risk above and a plan for several purposes the precision of each: no one share's
/// margin curve applies.
fn precision(r: &Report) -> Section {
    if r.purpose.tolerable_rate.is_some() || r.purposes.is_some() {
        return Section {
            blocks: vec![Block::Space],
        };
    }
    let lang = r.lang;
    let w = words(lang);
    let mut blocks = vec![heading(2, w.precision)];
    if let Some(p) = sentences::precision(r) {
        blocks.push(paragraph(None, p));
    }
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
    let points = Table {
        class: None,
        title: Some(format!("{} ({})", w.margin_table, r.curve.formula)),
        columns: vec![Column::right("n"), Column::right(w.margin)],
        rows: marks
            .into_iter()
            .map(|(n, m)| {
                vec![
                    Cell::plain(fmt_int(lang, n)),
                    Cell::plain(format!("±{}", fmt_dec(lang, m * 100.0, 2))),
                ]
            })
            .collect(),
        total: None,
        fold: None,
    };
    blocks.push(Block::Figure(Figure {
        svg: margin_plot(lang, &r.curve),
        caption: Some(format!("{} — {}", w.plot_margin_title, r.curve.formula)),
        points: Some(points),
    }));
    Section { blocks }
}

/// A domain design: every stratum's own margin, worst first.
fn stratum_margins(r: &Report) -> Section {
    if r.precision.strata.is_empty() {
        return Section { blocks: Vec::new() };
    }
    let lang = r.lang;
    let w = words(lang);
    let margin = |v: Option<f64>| {
        v.map_or("–".to_string(), |x| {
            format!("±{}", fmt_dec(lang, x * 100.0, 1))
        })
    };
    let row = |p: &StratumPrecision| -> Row {
        vec![
            Cell::text(p.label.as_str()),
            Cell::plain(fmt_int(lang, p.population)),
            Cell::plain(fmt_int(lang, p.needed)),
            Cell::plain(margin(Some(p.needed_margin).filter(|x| x.is_finite()))),
            Cell::plain(p.requested.map_or("–".to_string(), |q| fmt_int(lang, q))),
            Cell::plain(margin(p.requested_margin)),
        ]
    };
    let n = r.precision.strata.len();
    let table = Table {
        class: None,
        title: Some(format!("{} ({})", w.stratum_margins, w.worst_first)),
        columns: vec![
            Column::left(w.stratum),
            Column::right("N"),
            Column::right(w.needed),
            Column::right(format!("{} ({})", w.margin, w.needed)),
            Column::right(w.requested),
            Column::right(format!("{} ({})", w.margin, w.requested)),
        ],
        rows: r.precision.strata.iter().map(row).collect(),
        total: None,
        fold: fold(r, "margins", n, 0..n, TOP),
    };
    let figure = Figure {
        svg: spread_plot(r),
        caption: Some(sentences::spread_caption(r)),
        points: None,
    };
    Section {
        blocks: vec![Block::Figure(figure), Block::Table(table)],
    }
}

/// A stratum's row of the per-stratum table.
fn stratum_row(lang: Lang, s: &StratumRow, label: Cell) -> Row {
    let opt = |v: Option<u64>| v.map_or("–".to_string(), |x| fmt_int(lang, x));
    vec![
        label,
        Cell::plain(fmt_int(lang, s.population)),
        Cell::plain(fmt_int(lang, s.needed.records)),
        Cell::plain(opt(s.requested.map(|q| q.records))),
        Cell::plain(opt(s.surplus().map(|x| x.records))),
        Cell::plain(fmt_dec(lang, s.needed.pages, 0)),
        Cell::plain(
            s.requested
                .map_or("–".into(), |q| fmt_dec(lang, q.pages, 0)),
        ),
    ]
}

/// Per stratum: the burden plot and the table, most pages first when it is long.
fn per_stratum(r: &Report) -> Section {
    let lang = r.lang;
    let w = words(lang);
    let mut blocks = vec![
        heading(2, w.per_stratum),
        Block::Figure(Figure {
            svg: burden_plot(lang, &r.strata, PLOT_STRATA),
            caption: Some(sentences::burden_caption(r, PLOT_STRATA)),
            points: None,
        }),
    ];
    if r.strata.len() > LONG {
        blocks.push(Block::HtmlOnly(Box::new(heading(
            3,
            sentences::top_strata(r),
        ))));
    }
    let both = |a: &str, b: &str| format!("{a} ({b})");
    blocks.push(Block::Table(Table {
        class: None,
        title: None,
        columns: vec![
            Column::left(w.stratum),
            Column::right(w.population),
            Column::right(w.needed),
            Column::right(w.requested),
            Column::right(w.surplus),
            Column::right(both(w.needed, w.pages)),
            Column::right(both(w.requested, w.pages)),
        ],
        rows: r
            .strata
            .iter()
            .map(|s| stratum_row(lang, s, Cell::text(s.label.as_str())))
            .collect(),
        total: Some(stratum_row(lang, &r.total, Cell::plain(w.total))),
        fold: fold(
            r,
            "strata",
            r.strata.len(),
            by_burden(&r.strata).into_iter(),
            TOP,
        ),
    }));
    Section { blocks }
}

/// An estimate's row: label, group, n, estimate, interval and method (with its note);
/// a withheld one shows `..` and no method.
fn estimate_row(r: &Report, i: &IndicatorRow) -> Row {
    let lang = r.lang;
    let label = Cell::text(i.label.as_str());
    let group = Cell::text(crate::text::group_name(r, i));
    let dots = || Cell::plain("..");
    let models = r.indicators.iter().any(|i| i.model.is_some());
    if i.suppressed {
        let blank = || Cell {
            class: None,
            content: Vec::new(),
        };
        let mut row = vec![
            label,
            group,
            dots(),
            dots().with_class("nw"),
            dots().with_class("nw"),
            blank(),
        ];
        if models {
            row.extend([blank(), blank()]);
        }
        return row;
    }
    let interval = match (i.lower, i.upper) {
        (Some(_), Some(_)) => format!(
            "{} – {}",
            fmt_value(lang, &i.kind, i.lower),
            fmt_value(lang, &i.kind, i.upper)
        ),
        _ => "–".into(),
    };
    let mut method = vec![Inline::Plain(method_name(lang, &i.method))];
    method.extend(estimate_note(lang, i).map(Inline::Aside));
    let mut row = vec![
        label,
        group,
        Cell::plain(fmt_int(lang, i.n)),
        Cell::plain(fmt_value(lang, &i.kind, i.estimate)).with_class("nw"),
        Cell::plain(interval).with_class("nw"),
        Cell {
            class: None,
            content: method,
        },
    ];
    // The model-based complement after the direct estimate and its method, never before.
    if models {
        let (estimate, interval) = match &i.model {
            Some(m) => (
                fmt_value(lang, &i.kind, Some(m.estimate)),
                format!(
                    "{} – {}",
                    fmt_value(lang, &i.kind, Some(m.lower)),
                    fmt_value(lang, &i.kind, Some(m.upper))
                ),
            ),
            None => (String::new(), String::new()),
        };
        row.push(Cell::plain(estimate).with_class("nw"));
        row.push(Cell::plain(interval).with_class("nw"));
    }
    row
}

/// Achieved estimates: the shares over all groups plotted (those with no records named
/// under the plot), then the table, the totals and the least precise groups first when it
/// is long.
fn estimates(r: &Report) -> Section {
    if r.indicators.is_empty() {
        return Section { blocks: Vec::new() };
    }
    let lang = r.lang;
    let w = words(lang);
    let mut blocks = vec![heading(2, w.achieved)];
    let (plotted, empty): (Vec<&IndicatorRow>, Vec<&IndicatorRow>) = r
        .indicators
        .iter()
        .filter(|i| i.kind == "share" && i.group == "total")
        .partition(|i| i.n > 0 && i.estimate.is_some());
    if !plotted.is_empty() {
        blocks.push(Block::Figure(Figure {
            svg: indicator_plot(lang, &plotted),
            caption: None,
            points: None,
        }));
    }
    let html = |b: Block| Block::HtmlOnly(Box::new(b));
    if let Some(p) = sentences::not_plotted(lang, &empty) {
        blocks.push(html(paragraph(Some("note"), p)));
    }
    let n = r.indicators.len();
    if n > LONG {
        blocks.push(html(heading(3, sentences::top_groups(r))));
    }
    let totals: Vec<usize> = (0..n)
        .filter(|&i| r.indicators[i].group == "total")
        .collect();
    let top = totals.len() + TOP;
    let order = totals.into_iter().chain(by_width(&r.indicators));
    let mut columns = vec![
        Column::left(w.indicator),
        Column::left(w.group),
        Column::right("n"),
        Column::right(w.estimate),
        Column::left(w.interval),
        Column::left(w.method_col),
    ];
    let model = r.indicators.iter().find_map(|i| i.model.as_ref());
    if model.is_some() {
        columns.push(Column::right(w.model_estimate));
        columns.push(Column::left(w.model_interval));
    }
    blocks.push(Block::Table(Table {
        class: Some("est"),
        title: None,
        columns,
        rows: r.indicators.iter().map(|i| estimate_row(r, i)).collect(),
        total: None,
        fold: fold(r, "indicators", n, order, top),
    }));
    if let Some(m) = model {
        let method = m.method.trim_end_matches("-synthetic");
        blocks.push(paragraph(
            Some("note"),
            sentences::model_based(lang, method),
        ));
    }
    if let Some(p) = sentences::groups_without_records(r) {
        blocks.push(html(paragraph(Some("note"), p)));
    }
    if let Some(p) = sentences::suppressed(r) {
        blocks.push(paragraph(Some("note"), p));
    }
    Section { blocks }
}

/// The method: how the sizes, the burden and the estimates are computed.
fn method(r: &Report) -> Section {
    let mut blocks = vec![heading(2, words(r.lang).method)];
    blocks.extend(sentences::method(r).into_iter().map(|p| paragraph(None, p)));
    Section { blocks }
}

/// How to repeat and verify the draw: the sentences, the command and the facts.
fn reproduce(r: &Report) -> Section {
    let lang = r.lang;
    let w = words(lang);
    let mut blocks = vec![heading(2, w.reproduce)];
    blocks.extend(
        sentences::reproduce(r)
            .into_iter()
            .map(|p| paragraph(None, p)),
    );
    let mut facts = Vec::new();
    if let Some(d) = &r.draw {
        blocks.push(Block::Command(d.verify_command.clone()));
        facts.extend([
            (w.seed, d.seed.to_string()),
            (w.start, d.start.to_string()),
            (w.prn, crate::text::prn_formula(lang, &d.prn)),
            (w.manifest, d.manifest.clone()),
        ]);
    }
    facts.extend([
        ("plan", r.plan_file.clone()),
        (w.plan_hash, r.plan_hash.clone()),
        (w.extract_fingerprint, r.extract_fingerprint.clone()),
        (w.files, r.extract_files.join(", ")),
    ]);
    blocks.push(Block::Facts(facts));
    Section { blocks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::seed_case;

    /// The level-2 headings of a document, in order.
    fn headings(d: &Document) -> Vec<String> {
        d.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Heading { level: 2, text } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn tables(d: &Document) -> Vec<&Table> {
        d.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// The seed's case: its sections in order, the margin plot with its points, and a
    /// stratum label kept as text (the printers escape it).
    #[test]
    fn the_seed_case_as_a_document() {
        let mut r = seed_case(Lang::En);
        r.strata[0].label = "<b>0180</b> | *x*".into();
        let d = build(&r);
        assert_eq!(d.head.lang, "en");
        assert_eq!(d.head.plan_file, "plan.json");
        assert_eq!(
            headings(&d),
            [
                "Purpose",
                "Summary",
                "What each extra record buys",
                "Per stratum",
                "Achieved estimates after the review",
                "Method, and how the sample is checked",
                "How to repeat and verify the draw",
            ]
        );
        let figure = d
            .sections
            .iter()
            .flat_map(|s| &s.blocks)
            .find_map(|b| match b {
                Block::Figure(f) if f.points.is_some() => Some(f),
                _ => None,
            })
            .expect("the margin plot");
        assert!(figure.svg.starts_with("<svg"));
        let points = figure.points.as_ref().expect("points");
        assert_eq!(points.columns.len(), 2);
        assert!(points.rows.iter().any(|row| row[0] == Cell::plain("257")));
        let strata = tables(&d)[1];
        assert_eq!(strata.rows[0][0], Cell::text("<b>0180</b> | *x*"));
        assert_eq!(
            strata.total.as_ref().map(|t| t[0].clone()),
            Some(Cell::plain("Total"))
        );
        assert!(strata.fold.is_none());
    }

    /// A long table is folded under its most telling rows, and names its files when it
    /// is attached; a withheld estimate has a blank method cell.
    #[test]
    fn long_tables_fold_and_withheld_rows_are_blank() {
        let mut r = seed_case(Lang::Sv);
        r.strata = (0..30)
            .map(|i| StratumRow {
                label: format!("S{i:02}"),
                population: 100,
                needed: Burden {
                    records: 10,
                    pages: i as f64,
                    working_days: 1.0,
                },
                requested: None,
            })
            .collect();
        r.attachments.push(crate::Attachment {
            table: "strata".into(),
            csv: "r.strata.csv".into(),
            xlsx: "r.tables.xlsx".into(),
        });
        r.indicators[0].suppressed = true;
        let d = build(&r);
        let t = tables(&d);
        let fold = t[1].fold.as_ref().expect("folded");
        assert_eq!(fold.top.len(), TOP);
        assert_eq!(r.strata[fold.top[0]].label, "S29", "most pages first");
        assert_eq!(fold.summary, "Hela tabellen (30 rader)");
        let files = fold.attached.as_ref().expect("attached");
        assert_eq!(
            (files.csv.as_str(), files.xlsx.as_str()),
            ("r.strata.csv", "r.tables.xlsx")
        );
        let est = t.last().expect("estimates");
        assert_eq!(est.class, Some("est"));
        assert_eq!(est.rows[0][2], Cell::plain(".."));
        assert!(est.rows[0][5].content.is_empty());
    }

    /// An attribute plan has no margin curve: an empty line of the Markdown stands where it
    /// would be.
    #[test]
    fn no_margin_curve_for_an_attribute_plan() {
        let mut r = seed_case(Lang::Sv);
        r.purpose.tolerable_rate = Some(0.1);
        let d = build(&r);
        assert!(!headings(&d).contains(&crate::text::SV.precision.to_string()));
        assert!(matches!(d.sections[6].blocks[..], [Block::Space]));
    }
}
