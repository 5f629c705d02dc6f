//! The indicator table written: CSV, Parquet and JSON rows for programs (`table.rs`'s
//! columns), and for people the spreadsheet and the Excel CSV with Swedish or English
//! headers and values.

use super::job::IndicatorsJob;
use super::row::Row;
use super::suppression::suppression_note;
use crate::error::Result;
use crate::table::{MODEL_COLUMNS, SUPPRESSED, TABLE_COLUMNS};
use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use urval_indicators::spec::{Kind, Spec};
use urval_indicators::suppress::Status;
use urval_report::Lang;

const TOTAL: &str = "total";

/// Which columns a table has: the group columns, an age band, the model-based columns
/// (`--small-area`) and the suppression column.
pub(super) struct Layout<'a> {
    pub(super) by: &'a [String],
    pub(super) bands: bool,
    pub(super) suppressed: bool,
    pub(super) model: bool,
}

fn header(l: &Layout<'_>) -> Vec<String> {
    let mut h = vec!["indicator".to_string()];
    h.extend(l.by.iter().cloned());
    if l.bands {
        h.push("age_band".to_string());
    }
    h.extend(TABLE_COLUMNS.map(String::from));
    if l.model {
        h.extend(MODEL_COLUMNS.map(String::from));
    }
    if l.suppressed {
        h.push(SUPPRESSED.to_string());
    }
    h
}

/// The standard CSV table (`,`, decimal points, full precision): for programs. People get
/// [`people_table`] as `.xlsx` or the `excel-sv` CSV.
pub(super) fn write_csv(w: &mut dyn std::io::Write, rows: &[Row], l: &Layout<'_>) -> Result<()> {
    let (by, bands, suppressed) = (l.by, l.bands, l.suppressed);
    // Text (the group columns' names and values come from the extract) is neutralised
    // against formula injection and quoted when it holds `,` or `;`; numbers stay numbers.
    let text = |s: &str| urval_report::xlsx::csv_text(s).into_owned();
    let mut cw = crate::files::people_csv(w);
    cw.write_record(header(l).iter().map(|h| text(h)))?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in rows {
        let mut rec = vec![text(&r.indicator)];
        match &r.group {
            Some(g) => rec.extend(g.iter().map(|v| text(v))),
            None => rec.extend(by.iter().map(|_| String::new())),
        }
        if bands {
            rec.push(text(r.band.as_deref().unwrap_or_default()));
        }
        let v = r.shown();
        let e = v.est.as_ref();
        let count = |c: Option<u64>| c.map_or(String::new(), |s| s.to_string());
        rec.push(count(v.n));
        rec.push(count(v.successes));
        rec.push(opt(e.map(|e| e.estimate)));
        rec.push(opt(e.and_then(|e| e.lower)));
        rec.push(opt(e.and_then(|e| e.upper)));
        rec.push(opt(e.map(|e| e.se)));
        rec.push(e.map_or(String::new(), |e| text(e.method)));
        rec.push(opt(e.and_then(|e| e.deff)));
        rec.push(count(v.skipped));
        rec.push(count(v.invalid));
        rec.push(text(r.kind.name()));
        rec.push(text(if r.group.is_some() { "group" } else { TOTAL }));
        rec.push(text(e.and_then(|e| e.caution).unwrap_or_default()));
        rec.push(text(v.missing.map_or("", |m| m.0)));
        rec.push(opt(v.missing.map(|m| m.1)));
        if l.model {
            let m = v.model.as_ref();
            rec.push(opt(m.map(|m| m.estimate)));
            rec.push(opt(m.map(|m| m.lower)));
            rec.push(opt(m.map(|m| m.upper)));
            rec.push(opt(m.map(|m| m.rmse)));
            rec.push(opt(m.and_then(|m| m.shrinkage)));
            rec.push(m.map_or(String::new(), |m| text(m.model)));
        }
        if suppressed {
            rec.push(r.suppressed.name().to_string());
        }
        cw.write_record(&rec)?;
    }
    cw.flush()?;
    Ok(())
}

pub(super) fn row_json(r: &Row, l: &Layout<'_>) -> Value {
    let (by, bands, suppressed) = (l.by, l.bands, l.suppressed);
    let mut m = serde_json::Map::new();
    m.insert("indicator".into(), json!(r.indicator));
    for (j, c) in by.iter().enumerate() {
        m.insert(c.clone(), json!(r.group.as_ref().map(|g| g[j].clone())));
    }
    if bands {
        m.insert("age_band".into(), json!(r.band));
    }
    let v = r.shown();
    let e = v.est.as_ref();
    m.insert("n".into(), json!(v.n));
    m.insert("successes".into(), json!(v.successes));
    m.insert("estimate".into(), json!(e.map(|e| e.estimate)));
    m.insert("lower".into(), json!(e.and_then(|e| e.lower)));
    m.insert("upper".into(), json!(e.and_then(|e| e.upper)));
    m.insert("se".into(), json!(e.map(|e| e.se)));
    m.insert("method".into(), json!(e.map(|e| e.method)));
    m.insert("deff".into(), json!(e.and_then(|e| e.deff)));
    m.insert("skipped".into(), json!(v.skipped));
    m.insert("invalid".into(), json!(v.invalid));
    m.insert("kind".into(), json!(r.kind.name()));
    m.insert(
        "level".into(),
        json!(if r.group.is_some() { "group" } else { TOTAL }),
    );
    m.insert("caution".into(), json!(e.and_then(|e| e.caution)));
    m.insert("nonresponse".into(), json!(v.missing.map(|m| m.0)));
    m.insert("missing_share".into(), json!(v.missing.map(|m| m.1)));
    if l.model {
        let f = v.model.as_ref();
        m.insert("model_estimate".into(), json!(f.map(|f| f.estimate)));
        m.insert("model_lower".into(), json!(f.map(|f| f.lower)));
        m.insert("model_upper".into(), json!(f.map(|f| f.upper)));
        m.insert("model_rmse".into(), json!(f.map(|f| f.rmse)));
        m.insert("shrinkage".into(), json!(f.and_then(|f| f.shrinkage)));
        m.insert("model".into(), json!(f.map(|f| f.model)));
    }
    if suppressed {
        m.insert(SUPPRESSED.into(), json!(r.suppressed.name()));
    }
    Value::Object(m)
}

pub(super) fn write_parquet(
    w: &mut std::io::BufWriter<crate::files::OutFile>,
    rows: &[Row],
    l: &Layout<'_>,
) -> Result<()> {
    let (by, bands, suppressed) = (l.by, l.bands, l.suppressed);
    let names = header(l);
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let text = |get: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    let num = |get: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
        let mut b = Float64Builder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    let int = |get: &dyn Fn(&Row) -> Option<u64>| -> ArrayRef {
        let mut b = UInt64Builder::new();
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    cols.push(text(&|r| Some(r.indicator.clone())));
    for j in 0..by.len() {
        cols.push(text(&|r| r.group.as_ref().map(|g| g[j].clone())));
    }
    if bands {
        cols.push(text(&|r| r.band.clone()));
    }
    cols.push(int(&|r| r.shown().n));
    cols.push(int(&|r| r.shown().successes));
    cols.push(num(&|r| r.shown().est.map(|e| e.estimate)));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.lower)));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.upper)));
    cols.push(num(&|r| r.shown().est.map(|e| e.se)));
    cols.push(text(&|r| r.shown().est.map(|e| e.method.to_string())));
    cols.push(num(&|r| r.shown().est.and_then(|e| e.deff)));
    cols.push(int(&|r| r.shown().skipped));
    cols.push(int(&|r| r.shown().invalid));
    cols.push(text(&|r| Some(r.kind.name().to_string())));
    cols.push(text(&|r| {
        Some(if r.group.is_some() { "group" } else { TOTAL }.to_string())
    }));
    cols.push(text(&|r| {
        r.shown().est.and_then(|e| e.caution).map(String::from)
    }));
    cols.push(text(&|r| r.shown().missing.map(|m| m.0.to_string())));
    cols.push(num(&|r| r.shown().missing.map(|m| m.1)));
    if l.model {
        cols.push(num(&|r| r.shown().model.map(|m| m.estimate)));
        cols.push(num(&|r| r.shown().model.map(|m| m.lower)));
        cols.push(num(&|r| r.shown().model.map(|m| m.upper)));
        cols.push(num(&|r| r.shown().model.map(|m| m.rmse)));
        cols.push(num(&|r| r.shown().model.and_then(|m| m.shrinkage)));
        cols.push(text(&|r| r.shown().model.map(|m| m.model.to_string())));
    }
    if suppressed {
        cols.push(text(&|r| Some(r.suppressed.name().to_string())));
    }
    for (name, c) in names.iter().zip(&cols) {
        fields.push(Field::new(name, c.data_type().clone(), true));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut pw = ArrowWriter::try_new(w, schema, Some(props))?;
    pw.write(&batch)?;
    pw.close()?;
    Ok(())
}

/// A value of the indicators table's kind, level, caution and non-response columns in
/// Swedish, for the Swedish table for people (the machine tables keep the English names
/// they are read back by).
fn swedish_value(v: &str) -> &str {
    match v {
        "share" => "andel",
        "mean" => "medelvärde",
        "median" => "median",
        "count" => "antal",
        "group" => "grupp",
        TOTAL => "totalt",
        "incomplete" => "ofullständigt",
        "dropped" => "utelämnat",
        urval_indicators::estimate::CAUTION_FEW_PER_STRATUM => "färre än 2 akter i ett stratum",
        urval_indicators::estimate::CAUTION_SMALL_SKEWED => {
            "färre än 30 akter och sned fördelning (|skevhet| > 1)"
        }
        other => other,
    }
}

/// An indicators table for people (`.xlsx` and the `excel-sv` CSV): the indicator's label in
/// the language next to its name, headers in the language, groups as text, counts as whole
/// numbers, shares marked as percentages.
pub(super) fn people_table(
    rows: &[Row],
    spec: &Spec,
    l: &Layout<'_>,
    lang: Lang,
) -> (
    Vec<urval_report::xlsx::Column>,
    Vec<Vec<urval_report::xlsx::Cell>>,
) {
    use urval_report::xlsx::{Cell, Column, ColumnKind};
    let (by, bands, suppressed) = (l.by, l.bands, l.suppressed);
    let sv = lang == Lang::Sv;
    let h = |sv_text: &str, en: &str| {
        if sv {
            sv_text.to_string()
        } else {
            en.to_string()
        }
    };
    let col = |header: String, kind| Column { header, kind };
    let mut columns = vec![
        col(h("indikator", "indicator"), ColumnKind::Text),
        col(h("namn", "name"), ColumnKind::Text),
    ];
    columns.extend(by.iter().map(|b| col(b.clone(), ColumnKind::Text)));
    if bands {
        columns.push(col(h("åldersgrupp", "age band"), ColumnKind::Text));
    }
    for (s, e, k) in [
        ("antal", "n", ColumnKind::Number),
        ("antal uppfyllda", "successes", ColumnKind::Number),
        ("skattning", "estimate", ColumnKind::Number),
        ("nedre gräns", "lower", ColumnKind::Number),
        ("övre gräns", "upper", ColumnKind::Number),
        ("medelfel", "standard error", ColumnKind::Number),
        ("metod", "method", ColumnKind::Text),
        ("designeffekt", "design effect", ColumnKind::Number),
        ("tomma, hoppade över", "skipped (null)", ColumnKind::Number),
        ("ogiltiga", "invalid", ColumnKind::Number),
        ("slag", "kind", ColumnKind::Text),
        ("nivå", "level", ColumnKind::Text),
        ("försiktighet", "caution", ColumnKind::Text),
        ("bortfall", "non-response", ColumnKind::Text),
        ("andel utan svar", "missing share", ColumnKind::Percent),
    ] {
        columns.push(col(h(s, e), k));
    }
    if l.model {
        for (s, e, k) in [
            (
                "modellbaserad skattning",
                "model-based estimate",
                ColumnKind::Percent,
            ),
            ("modell, nedre gräns", "model, lower", ColumnKind::Percent),
            ("modell, övre gräns", "model, upper", ColumnKind::Percent),
            (
                "modell, medelkvadratfel (rot)",
                "model, root mean squared error",
                ColumnKind::Percent,
            ),
            (
                "vikt på den direkta skattningen",
                "weight of the direct estimate",
                ColumnKind::Percent,
            ),
            ("modell", "model", ColumnKind::Text),
        ] {
            columns.push(col(h(s, e), k));
        }
    }
    if suppressed {
        columns.push(col(h("skyddad", "suppressed"), ColumnKind::Text));
    }
    let label = |name: &str| {
        spec.indicators
            .iter()
            .find(|i| i.name == name)
            .map(|i| {
                if sv {
                    i.label_sv.clone()
                } else {
                    i.label_en.clone()
                }
            })
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| name.to_string())
    };
    let text = |s: &str| {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    };
    let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let data: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let share = r.kind == Kind::Share;
            let est = |v: Option<f64>| match v {
                Some(x) if share => Cell::Percent(x),
                other => num(other),
            };
            let v = r.shown();
            let e = v.est.as_ref();
            let mut row = vec![text(&label(&r.indicator)), text(&r.indicator)];
            match &r.group {
                Some(g) => row.extend(g.iter().map(|v| text(v))),
                None => row.extend(by.iter().map(|_| Cell::Empty)),
            }
            if bands {
                row.push(text(r.band.as_deref().unwrap_or("")));
            }
            // A withheld figure is `..`, as Swedish official statistics mark it.
            let withheld = r.suppressed.withheld();
            let dots = |c: Cell| if withheld { Cell::Text("..".into()) } else { c };
            row.push(dots(num(v.n.map(|v| v as f64))));
            row.push(if withheld && share {
                dots(Cell::Empty)
            } else {
                num(v.successes.map(|v| v as f64))
            });
            row.push(dots(est(e.map(|e| e.estimate))));
            row.push(dots(est(e.and_then(|e| e.lower))));
            row.push(dots(est(e.and_then(|e| e.upper))));
            row.push(dots(est(e.map(|e| e.se))));
            row.push(text(&e.map_or(String::new(), |e| {
                urval_report::method_name(lang, e.method)
            })));
            row.push(num(e.and_then(|e| e.deff)));
            row.push(dots(num(v.skipped.map(|v| v as f64))));
            row.push(dots(num(v.invalid.map(|v| v as f64))));
            let level = if r.group.is_some() { "group" } else { TOTAL };
            let caution = e.and_then(|e| e.caution).unwrap_or("");
            let missing = v.missing.map_or("", |m| m.0);
            if sv {
                row.push(text(swedish_value(r.kind.name())));
                row.push(text(swedish_value(level)));
                row.push(text(swedish_value(caution)));
                row.push(text(swedish_value(missing)));
            } else {
                row.push(text(r.kind.name()));
                row.push(text(level));
                row.push(text(caution));
                row.push(text(missing));
            }
            row.push(num(v.missing.map(|m| m.1)));
            if l.model {
                let m = v.model.as_ref();
                let pct = |x: Option<f64>| x.map_or(Cell::Empty, Cell::Percent);
                row.push(pct(m.map(|m| m.estimate)));
                row.push(pct(m.map(|m| m.lower)));
                row.push(pct(m.map(|m| m.upper)));
                row.push(pct(m.map(|m| m.rmse)));
                row.push(pct(m.and_then(|m| m.shrinkage)));
                row.push(text(&m.map_or(String::new(), |m| {
                    urval_report::method_name(lang, m.model)
                })));
            }
            if suppressed {
                row.push(text(match (r.suppressed, sv) {
                    (Status::Published, _) => "",
                    (Status::Primary, true) => "primär",
                    (Status::Secondary, true) => "sekundär",
                    (s, false) => s.name(),
                }));
            }
            row
        })
        .collect();
    (columns, data)
}

/// The indicators table as a spreadsheet ([`people_table`]) with an "about" sheet (spec,
/// groups, mode, confidence, filter).
pub(super) fn xlsx_table(
    rows: &[Row],
    spec: &Spec,
    l: &Layout<'_>,
    args: &IndicatorsJob,
) -> Result<Vec<u8>> {
    let by = l.by;
    use urval_report::xlsx::Sheet;
    let sv = args.lang == Lang::Sv;
    let h = |sv_text: &str, en: &str| {
        if sv {
            sv_text.to_string()
        } else {
            en.to_string()
        }
    };
    let (columns, data) = people_table(rows, spec, l, args.lang);
    let sheet = Sheet {
        name: h("Indikatorer", "Indicators"),
        columns,
        rows: data,
    };
    let file = |p: &Path| crate::files::file_name(p);
    let about = vec![
        (h("Specifikation", "Spec"), file(&args.spec)),
        (h("Grupper", "Groups"), by.join(", ")),
        (
            h("Underlag", "Mode"),
            match &args.manifest {
                Some(m) => format!(
                    "{} {}",
                    h("urval, designvägt:", "sample, design-weighted:"),
                    file(m)
                ),
                None => h("totalundersökning", "census"),
            },
        ),
        (
            h("Konfidensnivå", "Confidence"),
            format!("{} %", args.confidence * 100.0),
        ),
        (
            h("Villkor (--where)", "Filter (--where)"),
            args.where_.clone().unwrap_or_else(|| "–".into()),
        ),
        (
            h("Skydd mot röjande", "Disclosure control"),
            suppression_note(args.suppress_below, args.lang),
        ),
    ];
    let mut about = about;
    if let Some(model) = rows.iter().find_map(|r| r.model.map(|m| m.model)) {
        about.push((
            h("Modellbaserad skattning", "Model-based estimate"),
            urval_report::sentences::model_based(args.lang, model.trim_end_matches("-synthetic")),
        ));
    }
    let about_name = h("Om tabellen", "About");
    Ok(urval_report::xlsx::workbook(
        &sheet,
        Some((&about_name, &about)),
    )?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn row(group: Option<&str>, n: u64, suppressed: Status) -> Row {
        Row {
            indicator: "hörd".into(),
            kind: Kind::Share,
            group: group.map(|g| vec![g.to_string()]),
            band: None,
            n,
            successes: Some(n / 2),
            skipped: 1,
            invalid: 0,
            est: None,
            missing: None,
            suppressed,
            model: None,
        }
    }

    #[test]
    fn the_header_puts_groups_and_the_age_band_before_the_figures() {
        let by = ["kommun".to_string(), "kön".to_string()];
        let h = header(&Layout {
            by: &by,
            bands: true,
            suppressed: true,
            model: false,
        });
        assert_eq!(h[..4], ["indicator", "kommun", "kön", "age_band"]);
        assert_eq!(h[4..19], TABLE_COLUMNS);
        assert_eq!(h.last().map(String::as_str), Some("suppressed"));
        assert_eq!(h.len(), 20);
        let none = Layout {
            by: &[],
            bands: false,
            suppressed: false,
            model: false,
        };
        assert_eq!(header(&none).len(), 16);
        let model = Layout {
            model: true,
            ..none
        };
        assert_eq!(header(&model)[16..], MODEL_COLUMNS);
    }

    #[test]
    fn the_csv_leaves_a_withheld_rows_figures_empty_and_names_the_suppression() {
        let rows = [
            row(None, 103, Status::Published),
            row(Some("0180"), 3, Status::Primary),
        ];
        let mut out = Vec::new();
        let by = ["kommun".to_string()];
        let l = Layout {
            by: &by,
            bands: false,
            suppressed: true,
            model: false,
        };
        write_csv(&mut out, &rows, &l).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("indicator,kommun,n,successes,estimate,"));
        assert_eq!(lines[1], "hörd,,103,51,,,,,,,1,0,share,total,,,,");
        assert_eq!(lines[2], "hörd,0180,,,,,,,,,,,share,group,,,,primary");
    }

    #[test]
    fn swedish_values_translate_kinds_and_levels_and_keep_the_rest() {
        for (en, sv) in [
            ("share", "andel"),
            ("mean", "medelvärde"),
            ("count", "antal"),
            ("group", "grupp"),
            ("total", "totalt"),
            ("incomplete", "ofullständigt"),
            ("dropped", "utelämnat"),
            ("0180", "0180"),
            ("ärende", "ärende"),
        ] {
            assert_eq!(swedish_value(en), sv);
        }
    }
}
