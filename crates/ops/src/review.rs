//! The review loop's files: the template a reviewer fills in (`urval review-template`) and
//! the filled template read back (`urval indicators --review`, `urval evaluate --review`).
//!
//! The template has one row per drawn record (the manifest's key, strata and copied
//! columns, locked), one column per yes/no question of the spec (its share indicators,
//! headed by the indicator's `name`) with a drop-down of `ja`/`nej`/`ej tillämpligt`
//! (`yes`/`no`/`n/a` in English), and the reviewer, date and comment columns. Reading it back
//! is our own code, not a generic table read, because the answers have quarantine semantics
//! of their own: an answer outside the allowed ones quarantines its row with the reason; a
//! row with no answer is the record's non-response in its stratum; a record that is not in
//! the manifest, a record listed twice or one moved to another stratum is an error naming it.

use crate::artifacts::{DrawSidecar, DrawnStratum};
use crate::error::ArtifactError;
use crate::error::{Context, Result};
use crate::review_error::ReviewError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use urval_indicators::spec::{Indicator, Kind, Spec};
use urval_ingest::{scan, Extract, QuarantineRecord, ScanSpec, TextCol};
use urval_report::xlsx::{Cell, Column, ColumnKind, Sheet};
use urval_report::Lang;

/// An answer to a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// ja / yes.
    Yes,
    /// nej / no.
    No,
    /// ej tillämpligt / n/a: the record is outside the question's population.
    NotApplicable,
    /// Not answered.
    Blank,
}

/// The answers a template offers, in the language.
pub fn allowed(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::Sv => ["ja", "nej", "ej tillämpligt"],
        Lang::En => ["yes", "no", "n/a"],
    }
}

/// Read one answer as people write it, in a template cell or on the command line: the
/// words of either language, case, surrounding spaces and a final full stop ignored, runs of
/// spaces (also non-breaking) read as one; `None` for anything else. Yes: `ja`, `yes`. No:
/// `nej`, `no`. Not applicable: `ej tillämpligt` (`ej tillämplig`, `e.t.`, `et`, `ej
/// aktuellt`), `n/a` (`na`, `not applicable`). Single letters (`j`, `n`) are not answers:
/// `n` could be no or n/a.
pub fn parse_answer(v: &str) -> Option<Answer> {
    let words: Vec<String> = v
        .split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let joined = words.join(" ");
    let text = joined.strip_suffix('.').unwrap_or(&joined);
    match text {
        "" => Some(Answer::Blank),
        "ja" | "yes" => Some(Answer::Yes),
        "nej" | "no" => Some(Answer::No),
        "ej tillämpligt" | "ej tillämplig" | "e.t" | "et" | "ej aktuellt" | "n/a" | "na"
        | "not applicable" => Some(Answer::NotApplicable),
        _ => None,
    }
}

/// The answer `--deviation-answer` names (`nej`/`no` or `ja`/`yes`, read by
/// [`parse_answer`]).
///
/// # Errors
/// Any other word ([`NotYesNo`]), with the words accepted.
pub fn parse_deviation_answer(v: &str) -> std::result::Result<Answer, NotYesNo> {
    match parse_answer(v) {
        Some(a @ (Answer::Yes | Answer::No)) => Ok(a),
        _ => Err(NotYesNo {
            given: v.to_string(),
        }),
    }
}

/// A `--deviation-answer` that is not yes or no.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{given:?} is not a yes/no answer: give nej (no) or ja (yes)")]
pub struct NotYesNo {
    /// The word given.
    pub given: String,
}

/// The yes/no questions of a spec: its share indicators (a mean, median or count is not a
/// question a reviewer answers yes or no to).
pub fn questions(spec: &Spec) -> Vec<&Indicator> {
    spec.indicators
        .iter()
        .filter(|i| i.kind == Kind::Share)
        .collect()
}

/// A manifest's records with their text columns: key, strata, then the copied columns.
struct ManifestTable {
    key: String,
    strata: Vec<String>,
    include: Vec<String>,
    /// (key, strata values, include values).
    rows: Vec<(String, Vec<String>, Vec<String>)>,
}

fn read_manifest(path: &Path) -> Result<ManifestTable> {
    let (manifest, cols, prn) = crate::manifest::manifest_header(path)?;
    if cols.len() < prn + 3 {
        return Err(ReviewError::NotAManifest {
            path: path.to_path_buf(),
        }
        .into());
    }
    let mut spec = ScanSpec::new(&cols[0], &cols[1..prn]);
    spec.extra = cols[prn + 3..].to_vec();
    let csv = crate::files::extension(path) == "csv";
    // The columns by their names, not their neutralised header cells.
    let name = |c: &String| crate::manifest::column_name(csv, c);
    let key = name(&cols[0]);
    let strata: Vec<String> = cols[1..prn].iter().map(name).collect();
    let include: Vec<String> = cols[prn + 3..].iter().map(name).collect();
    let (rows, totals, _) = text_rows(&manifest, &spec, csv)?;
    if totals.rows_quarantined > 0 {
        return Err(ReviewError::UnreadableManifestRows {
            path: path.to_path_buf(),
        }
        .into());
    }
    let mut rows: Vec<_> = rows.into_iter().map(|(k, v, inc, _)| (k, v, inc)).collect();
    rows.sort();
    Ok(ManifestTable {
        key,
        strata,
        include,
        rows,
    })
}

/// One row read as text: the key, the strata values, the `extra` values, its row number.
type TextRow = (String, Vec<String>, Vec<String>, u64);

/// Every row's key, strata and `spec.extra` columns as text (a CSV's cells restored from
/// their formula-neutralised form, [`urval_report::xlsx::restore`]), in row order, with the
/// scan's counts and quarantine: the one reader of manifests and review files here.
fn text_rows(
    file: &Extract,
    spec: &ScanSpec,
    csv: bool,
) -> Result<(
    Vec<TextRow>,
    urval_ingest::FileCounts,
    Vec<QuarantineRecord>,
)> {
    let text = |v: &str| -> String {
        if csv {
            urval_report::xlsx::restore(v).to_string()
        } else {
            v.to_string()
        }
    };
    let out = scan(
        file,
        spec,
        Vec::new,
        |v: &mut Vec<TextRow>, batch| {
            let extra: Vec<Option<TextCol>> = batch.extra.iter().map(TextCol::from_array).collect();
            for (i, &r) in batch.rows.iter().enumerate() {
                let r = r as usize;
                v.push((
                    text(batch.key_at(r)),
                    batch
                        .strata
                        .iter()
                        .map(|c| text(c.get(r).unwrap_or("")))
                        .collect(),
                    extra
                        .iter()
                        .map(|c| {
                            c.as_ref()
                                .and_then(|c| c.get(r))
                                .map(text)
                                .unwrap_or_default()
                        })
                        .collect(),
                    batch.row_number(i),
                ));
            }
            Ok(())
        },
        &|_| {},
    )?;
    let totals = out.totals();
    let quarantine = out.quarantine.clone();
    let mut rows: Vec<TextRow> = out.results.into_iter().flatten().collect();
    rows.sort_by_key(|r| r.3);
    Ok((rows, totals, quarantine))
}

/// What to write a template for.
#[derive(Debug, Clone)]
pub struct TemplateJob {
    /// The manifest (with its sidecar).
    pub manifest: PathBuf,
    /// The spec whose share indicators are the questions.
    pub spec: PathBuf,
    /// The template's language (headers, answers, instructions).
    pub lang: Lang,
    /// `.xlsx` (drop-downs, locked key columns, an instructions sheet) or `.csv` (the same
    /// columns; the instructions beside it as `NAME.instructions.txt`).
    pub output: PathBuf,
    /// The extract the manifest was drawn from: each question's `where` is evaluated on the
    /// drawn records' rows, and a record outside a question's population is marked not
    /// applicable. Without it, the manifest's own columns are used where they suffice.
    pub extract: Option<Extract>,
    /// Each question's population among the drawn keys, worked out already (one scan of the
    /// extract for every package of a split draw); takes the place of `extract`.
    pub populations: Option<crate::applicable::Populations>,
}

/// A written template.
#[derive(Debug)]
pub struct Template {
    /// Records (rows).
    pub records: u64,
    /// The questions (indicator names), in the spec's order.
    pub questions: Vec<String>,
    /// Indicators left out: (name, kind) — not yes/no questions.
    pub left_out: Vec<(String, String)>,
    /// Per question with a `where` that could be evaluated: (name, records outside its
    /// population, marked not applicable).
    pub not_applicable: Vec<(String, u64)>,
    /// Questions with a `where` naming columns the manifest lacks, asked of every record
    /// because no extract was given.
    pub unscoped: Vec<String>,
    /// The instructions file of a CSV template.
    pub instructions_file: Option<PathBuf>,
}

/// The reviewer, date and comment headers.
fn free_headers(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::Sv => ["granskare", "datum", "kommentar"],
        Lang::En => ["reviewer", "date", "comment"],
    }
}

/// Write a review template for a manifest and a spec.
///
/// # Errors
/// An unreadable manifest, sidecar or spec; a spec without a share indicator; a question
/// named like a manifest column; an output that is not `.xlsx` or `.csv`; a file that cannot
/// be written.
pub fn review_template(job: &TemplateJob) -> Result<Template> {
    let ext = crate::files::extension(&job.output);
    if !matches!(ext.as_str(), "xlsx" | "csv") {
        return Err(ArtifactError::OutputType {
            path: job.output.clone(),
            what: "template",
            extensions: ".xlsx or .csv",
        }
        .into());
    }
    let found = crate::manifest::require_sidecar(&job.manifest)?;
    found.check_manifest(&job.manifest)?;
    let side = found.sidecar;
    let spec = Spec::read(&job.spec)?;
    let qs = questions(&spec);
    if qs.is_empty() {
        return Err(ReviewError::NoQuestion {
            spec: job.spec.clone(),
            action: "review",
        }
        .into());
    }
    let left_out: Vec<(String, String)> = spec
        .indicators
        .iter()
        .filter(|i| i.kind != Kind::Share)
        .map(|i| (i.name.clone(), i.kind.name().to_string()))
        .collect();
    let m = read_manifest(&job.manifest)?;
    let (scope, unscoped) = question_scope(job, &side, &qs, &m)?;
    let lang = job.lang;
    let free = free_headers(lang);
    let mut headers: Vec<String> = vec![m.key.clone()];
    headers.extend(m.strata.iter().cloned());
    headers.extend(m.include.iter().cloned());
    let fixed = headers.len();
    for q in &qs {
        if headers.contains(&q.name) {
            return Err(ReviewError::QuestionIsAColumn {
                question: q.name.clone(),
            }
            .into());
        }
        headers.push(q.name.clone());
    }
    headers.extend(free.iter().map(|s| s.to_string()));
    let answers: Vec<usize> = (fixed..fixed + qs.len()).collect();
    let free_cols: Vec<usize> = (fixed + qs.len()..headers.len()).collect();
    let rows: Vec<Vec<Cell>> = m
        .rows
        .iter()
        .map(|(k, v, inc)| {
            let mut row = vec![Cell::Text(k.clone())];
            row.extend(v.iter().map(|s| Cell::Text(s.clone())));
            row.extend(inc.iter().map(|s| {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.clone())
                }
            }));
            for q in &qs {
                let outside = scope.get(&q.name).is_some_and(|inside| !inside.contains(k));
                row.push(if outside {
                    Cell::Text(allowed(lang)[2].to_string())
                } else {
                    Cell::Empty
                });
            }
            row.extend(std::iter::repeat_n(Cell::Empty, free.len()));
            row
        })
        .collect();
    let not_applicable: Vec<(String, u64)> = qs
        .iter()
        .filter_map(|q| {
            scope.get(&q.name).map(|inside| {
                let outside = m.rows.iter().filter(|r| !inside.contains(&r.0)).count();
                (q.name.clone(), outside as u64)
            })
        })
        .collect();
    let columns: Vec<Column> = headers
        .iter()
        .map(|h| Column {
            header: h.clone(),
            kind: ColumnKind::Text,
        })
        .collect();
    let lines = instructions(job, &side, &spec, &qs, &m, &left_out);
    let mut instructions_file = None;
    let mut f = crate::files::AtomicFile::create(&job.output)?;
    if ext == "xlsx" {
        let sheet = Sheet {
            name: match lang {
                Lang::Sv => "Granskning",
                Lang::En => "Review",
            }
            .to_string(),
            columns,
            rows,
        };
        let allowed = allowed(lang);
        let error = match lang {
            Lang::Sv => (
                "Ogiltigt svar",
                "Svara ja, nej eller ej tillämpligt (listan i cellen), eller lämna tomt.",
            ),
            Lang::En => (
                "Not an answer",
                "Answer yes, no or n/a (the list in the cell), or leave it empty.",
            ),
        };
        let bytes = urval_report::xlsx::review_workbook(
            &sheet,
            &answers,
            &allowed,
            &free_cols,
            error,
            (
                match lang {
                    Lang::Sv => "Instruktioner",
                    Lang::En => "Instructions",
                },
                &lines,
            ),
        )?;
        std::io::Write::write_all(f.writer(), &bytes)?;
    } else {
        match lang {
            Lang::Sv => urval_report::xlsx::write_excel_sv(f.writer(), &columns, &rows)?,
            Lang::En => urval_report::xlsx::write_csv_standard(f.writer(), &columns, &rows)?,
        }
        let path = crate::files::beside(&job.output, "instructions.txt", "review");
        let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        crate::files::write_atomic(&path, text.as_bytes())?;
        instructions_file = Some(path);
    }
    f.finish()?.publish()?;
    Ok(Template {
        records: m.rows.len() as u64,
        questions: qs.iter().map(|q| q.name.clone()).collect(),
        left_out,
        instructions_file,
        not_applicable,
        unscoped,
    })
}

/// Each question's population among the drawn records ([`crate::applicable`]): from the
/// extract when given, else from the manifest's own columns, question by question; the
/// questions whose `where` needs columns the manifest lacks are returned apart (asked of
/// every record).
fn question_scope(
    job: &TemplateJob,
    side: &DrawSidecar,
    qs: &[&Indicator],
    m: &ManifestTable,
) -> Result<(crate::applicable::Populations, Vec<String>)> {
    let keys: std::collections::BTreeSet<String> = m.rows.iter().map(|r| r.0.clone()).collect();
    // A re-review drawn per question: each record is asked the questions it was drawn for.
    if let (Some(_), Some(col)) = (&side.phase, m.include.iter().position(|c| c == QUESTIONS)) {
        let mut scope = crate::applicable::Populations::new();
        for q in qs {
            scope.insert(
                q.name.clone(),
                m.rows
                    .iter()
                    .filter(|r| r.2[col].split_whitespace().any(|n| n == q.name))
                    .map(|r| r.0.clone())
                    .collect(),
            );
        }
        return Ok((scope, Vec::new()));
    }
    if let Some(known) = &job.populations {
        return Ok((known.clone(), Vec::new()));
    }
    let columns: Vec<String> = m.strata.iter().chain(&m.include).cloned().collect();
    crate::applicable::drawn_populations(
        job.extract.as_ref(),
        &job.manifest,
        &m.key,
        &columns,
        side.pseudonymized.as_deref() == Some(m.key.as_str()),
        qs,
        &keys,
    )
}

/// The instructions sheet: the purpose, how to answer, every question in words, how the
/// records were drawn and how the filled template is read back (file names only).
fn instructions(
    job: &TemplateJob,
    side: &DrawSidecar,
    spec: &Spec,
    qs: &[&Indicator],
    m: &ManifestTable,
    left_out: &[(String, String)],
) -> Vec<(String, String)> {
    let name = |p: &Path| crate::files::file_name(p);
    let lang = job.lang;
    let [a_yes, a_no, a_na] = allowed(lang);
    let mut out: Vec<(String, String)> = Vec::new();
    let (purpose, how, blank, locked) = match lang {
        Lang::Sv => (
            "Syfte",
            format!("Granska varje akt och svara på frågorna nedan: {a_yes}, {a_no} eller {a_na} (listan i cellen). {a_na} betyder att frågan inte gäller akten."),
            "Lämna alla svar på en rad tomma om akten inte kunnat granskas: den räknas då som bortfall i sitt stratum.".to_string(),
            format!("Kolumnerna {} är låsta: ändra dem inte och lägg inte till rader.", std::iter::once(&m.key).chain(&m.strata).map(String::as_str).collect::<Vec<_>>().join(", ")),
        ),
        Lang::En => (
            "Purpose",
            format!("Review every record and answer the questions below: {a_yes}, {a_no} or {a_na} (the list in the cell). {a_na} means the question does not apply to the record."),
            "Leave every answer on a row empty if the record could not be reviewed: it then counts as non-response in its stratum.".to_string(),
            format!("The columns {} are locked: do not change them and do not add rows.", std::iter::once(&m.key).chain(&m.strata).map(String::as_str).collect::<Vec<_>>().join(", ")),
        ),
    };
    out.push((
        purpose.to_string(),
        match lang {
            Lang::Sv => format!(
                "Granskning av {} dragna akter mot frågorna i {}.",
                m.rows.len(),
                name(&spec.path)
            ),
            Lang::En => format!(
                "Review of {} drawn records against the questions in {}.",
                m.rows.len(),
                name(&spec.path)
            ),
        },
    ));
    let (h_how, h_blank, h_locked) = match lang {
        Lang::Sv => ("Så svarar du", "Akt som inte granskats", "Låsta kolumner"),
        Lang::En => ("How to answer", "Record not reviewed", "Locked columns"),
    };
    out.push((h_how.to_string(), how));
    out.push((h_blank.to_string(), blank));
    out.push((h_locked.to_string(), locked));
    if qs.iter().any(|q| q.where_.is_some()) {
        out.push(match lang {
            Lang::Sv => (
                "Frågor som inte gäller akten".to_string(),
                format!("En fråga ställs bara om akter i dess population (villkoret i specifikationen, t.ex. bara barnärenden). För övriga akter står {a_na} redan i grå, låsta celler: de räknas varken som svar eller som bortfall."),
            ),
            Lang::En => (
                "Questions that do not apply".to_string(),
                format!("A question is asked only of the records in its population (its condition in the spec, e.g. children's cases only). For the other records {a_na} is already set, in grey locked cells: they count neither as answers nor as non-response."),
            ),
        });
    }
    for q in qs {
        let label = match lang {
            Lang::Sv => &q.label_sv,
            Lang::En => &q.label_en,
        };
        let basis = q
            .legal_basis
            .as_deref()
            .map(|b| match lang {
                Lang::Sv => format!(" (lagrum: {b})"),
                Lang::En => format!(" (legal basis: {b})"),
            })
            .unwrap_or_default();
        out.push((q.name.clone(), format!("{label}{basis}")));
    }
    if !left_out.is_empty() {
        let names: Vec<String> = left_out.iter().map(|(n, k)| format!("{n} ({k})")).collect();
        out.push((
            match lang {
                Lang::Sv => "Inte med",
                Lang::En => "Left out",
            }
            .to_string(),
            match lang {
                Lang::Sv => format!(
                    "{}: inte ja/nej-frågor, de skattas ur uttaget.",
                    names.join(", ")
                ),
                Lang::En => format!(
                    "{}: not yes/no questions; they are estimated from the extract.",
                    names.join(", ")
                ),
            },
        ));
    }
    out.push((
        match lang {
            Lang::Sv => "Urvalet",
            Lang::En => "The sample",
        }
        .to_string(),
        match lang {
            Lang::Sv => format!(
                "{} akter dragna med permanenta slumptal, frö {}, start {}, plan {}, urvalslista {}; kontrollera med urval verify.",
                side.selected, side.seed, side.start, side.plan, side.manifest
            ),
            Lang::En => format!(
                "{} records drawn with permanent random numbers, seed {}, start {}, plan {}, manifest {}; check with urval verify.",
                side.selected, side.seed, side.start, side.plan, side.manifest
            ),
        },
    ));
    let q = crate::text::shell_quote;
    out.push((
        match lang {
            Lang::Sv => "Tillbaka",
            Lang::En => "Returning it",
        }
        .to_string(),
        format!(
            "urval indicators --manifest {} --review {} --spec {} -o {}",
            q(&name(&job.manifest)),
            q(&name(&job.output)),
            q(&name(&job.spec)),
            match lang {
                Lang::Sv => "resultat.csv",
                Lang::En => "results.csv",
            }
        ),
    ));
    out
}

/// One reviewed record.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    /// The key.
    pub key: String,
    /// Its stratum's values (the manifest's strata columns).
    pub values: Vec<String>,
    /// One answer per question, in [`Review::questions`] order.
    pub answers: Vec<Answer>,
    /// The review file's row (CSV: the line).
    pub row: u64,
}

/// A filled template read back.
#[derive(Debug)]
pub struct Review {
    /// The review file as an extract (for the quarantine file's source).
    pub file: Extract,
    /// The questions answered in it: the spec's share indicators that have a column.
    pub questions: Vec<String>,
    /// The manifest's key and strata columns.
    pub key: String,
    /// The strata columns.
    pub strata: Vec<String>,
    /// Rows with at least one answer.
    pub rows: Vec<ReviewRow>,
    /// Rows read.
    pub rows_read: u64,
    /// Rows with no answer: the record's non-response.
    pub unanswered: u64,
    /// Rows quarantined (an answer outside the allowed ones).
    pub quarantine: Vec<QuarantineRecord>,
    /// Drawn records with no row in the review at all.
    pub missing: u64,
}

/// Read a filled template against its manifest and the spec.
///
/// # Errors
/// Unreadable files; a question of the spec or a manifest column missing from the review;
/// a record not in the manifest, listed twice, or in another stratum than the manifest's
/// (named, with its row; a personal key masked).
pub fn read_review(
    review: &Path,
    manifest: &Path,
    spec: &Spec,
    personal: &[String],
) -> Result<Review> {
    let names: Vec<String> = questions(spec)
        .into_iter()
        .map(|q| q.name.clone())
        .collect();
    read_review_of(review, manifest, &names, personal)
}

/// [`read_review`] for questions given by name (the columns of those names the review has).
///
/// # Errors
/// As [`read_review`].
pub fn read_review_of(
    review: &Path,
    manifest: &Path,
    names: &[String],
    personal: &[String],
) -> Result<Review> {
    let m = read_manifest(manifest)?;
    let file = Extract::resolve(&[review.display().to_string()], None)?;
    let Some(first) = file.files.first() else {
        return Err(ReviewError::NoReviewFile {
            path: review.to_path_buf(),
        }
        .into());
    };
    let cols = urval_ingest::file_columns(first, None)?;
    let questions: Vec<String> = names.iter().filter(|n| cols.contains(n)).cloned().collect();
    if questions.is_empty() {
        return Err(ReviewError::NoQuestionColumns {
            review: review.to_path_buf(),
            questions: names.to_vec(),
        }
        .into());
    }
    let mut sspec = ScanSpec::new(&m.key, &m.strata);
    sspec.extra = questions.clone();
    sspec.personal = personal.to_vec();
    let csv = crate::files::extension(review) == "csv";
    let (raw, totals, mut quarantine) = text_rows(&file, &sspec, csv)?;
    let drawn: BTreeMap<&str, &Vec<String>> =
        m.rows.iter().map(|(k, v, _)| (k.as_str(), v)).collect();
    let key_personal = personal.contains(&m.key);
    let shown = |k: &str| {
        if key_personal {
            urval_ingest::PERSONAL_MASK.to_string()
        } else {
            k.to_string()
        }
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let (mut rows, mut unanswered) = (Vec::new(), 0u64);
    for (key, values, cells, row) in raw {
        let Some(&want) = drawn.get(key.as_str()) else {
            return Err(ReviewError::NotDrawn {
                review: review.to_path_buf(),
                row,
                key: shown(&key),
                manifest: crate::files::file_name(manifest).to_string(),
            }
            .into());
        };
        if let Some(prev) = seen.insert(key.clone(), row) {
            return Err(ReviewError::ReviewedTwice {
                review: review.to_path_buf(),
                first: prev,
                second: row,
                key: shown(&key),
            }
            .into());
        }
        if *want != values {
            return Err(ReviewError::StratumChanged {
                review: review.to_path_buf(),
                row,
                key: shown(&key),
                manifest_values: want.to_vec(),
                review_values: values,
            }
            .into());
        }
        let mut answers = Vec::with_capacity(cells.len());
        let mut bad = None;
        for (q, c) in questions.iter().zip(&cells) {
            match parse_answer(c) {
                Some(a) => answers.push(a),
                None => {
                    bad = Some(format!(
                        "column {q:?}: {c:?} is not an answer (ja, nej, ej tillämpligt; yes, no, n/a; or empty)"
                    ));
                    break;
                }
            }
        }
        if let Some(reason) = bad {
            quarantine.push(QuarantineRecord {
                file: 0,
                row,
                reason,
                raw: format!("{};{}", shown(&key), cells.join(";")),
            });
            continue;
        }
        // No yes or no anywhere and a question left open: the record was not reviewed (a
        // `not applicable` the template set in advance is no answer of the reviewer's).
        let assessed = answers
            .iter()
            .any(|a| matches!(a, Answer::Yes | Answer::No));
        if !assessed && answers.contains(&Answer::Blank) {
            unanswered += 1;
            continue;
        }
        rows.push(ReviewRow {
            key,
            values,
            answers,
            row,
        });
    }
    let missing = m.rows.len() as u64 - seen.len() as u64;
    Ok(Review {
        file,
        questions,
        key: m.key,
        strata: m.strata,
        rows_read: totals.rows_read,
        unanswered,
        quarantine,
        rows,
        missing,
    })
}

/// The answers as a table the indicators read: key, strata, then per question `true`
/// (yes), `false` (no) or empty (n/a, or not answered on a row with other answers), and
/// the spec that estimates each question as the share of `true` among the records answered
/// yes or no. Records with no answer are left out: non-response in their stratum.
///
/// # Errors
/// The files cannot be written.
pub fn answers_table(
    review: &Review,
    spec: &Spec,
    dir: &Path,
    stem: &str,
) -> Result<(PathBuf, PathBuf)> {
    let table = dir.join(format!("{stem}.answers.csv"));
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![review.key.clone()];
    header.extend(review.strata.iter().cloned());
    header.extend(review.questions.iter().cloned());
    w.write_record(&header)?;
    for r in &review.rows {
        let mut rec = vec![r.key.clone()];
        rec.extend(r.values.iter().cloned());
        rec.extend(r.answers.iter().map(|a| match a {
            Answer::Yes => "true".to_string(),
            Answer::No => "false".to_string(),
            Answer::NotApplicable | Answer::Blank => String::new(),
        }));
        w.write_record(&rec)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    crate::files::write_atomic(&table, &bytes)?;
    let spec_path = dir.join(format!("{stem}.spec.toml"));
    let mut text = String::new();
    for q in &review.questions {
        let Some(i) = spec.indicators.iter().find(|i| &i.name == q) else {
            continue;
        };
        let lit = |s: &str| serde_json::to_string(s).unwrap_or_default();
        text.push_str(&format!(
            "[[indicator]]\nname = {}\nlabel_sv = {}\nlabel_en = {}\nkind = \"share\"\nexpr = {}\nnull = \"skip\"\n",
            lit(&i.name),
            lit(&i.label_sv),
            lit(&i.label_en),
            lit(&format!("\"{}\"", i.name.replace('"', "\"\"")))
        ));
        if let Some(b) = &i.legal_basis {
            text.push_str(&format!("legal_basis = {}\n", lit(b)));
        }
        text.push('\n');
    }
    crate::files::write_atomic(&spec_path, text.as_bytes())?;
    Ok((table, spec_path))
}

/// The review's rows accounted for.
#[derive(Debug, Clone)]
pub struct ReviewCounts {
    /// Rows read from the review.
    pub rows_read: u64,
    /// Rows with answers (the records estimated from).
    pub answered: u64,
    /// Rows with no answer (non-response).
    pub unanswered: u64,
    /// Rows quarantined.
    pub quarantined: u64,
    /// Drawn records with no row.
    pub missing: u64,
    /// The questions read.
    pub questions: Vec<String>,
    /// The review's quarantine file, if rows were quarantined.
    pub quarantine_file: Option<PathBuf>,
}

/// `urval indicators --manifest M --review R`: the indicators of the spec's questions from a
/// filled template, weighted by the manifest's design (the same estimators as from an
/// extract: each question is the share answered yes among the records answered yes or no;
/// records with no answer are non-response in their stratum).
///
/// # Errors
/// As [`read_review`]; a quarantine above `job.max_quarantine`; as
/// [`crate::indicators::indicators_to_files`].
pub fn indicators_from_review(
    review: &Path,
    job: &crate::indicators::IndicatorsJob,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(crate::indicators::Indicators, ReviewCounts)> {
    let Some(manifest) = &job.manifest else {
        return Err(ReviewError::ReviewWithoutManifest.into());
    };
    let spec = Spec::read(&job.spec)?;
    let r = read_review(review, manifest, &spec, &job.personal)?;
    crate::files::check_quarantine(
        job.max_quarantine,
        &job.output,
        &r.file,
        r.rows_read,
        r.quarantine.len() as u64,
        &r.quarantine,
    )?;
    // A private directory for the answers table and its spec, removed when done.
    let dir = std::env::temp_dir().join(format!(
        "urval-review-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = review
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("review")
        .to_string();
    let result = (|| {
        let (table, spec_path) = answers_table(&r, &spec, &dir, &stem)?;
        let extract = Extract::resolve(&[table.display().to_string()], Some(b','))?;
        let mut j = job.clone();
        j.spec = spec_path;
        j.key = Some(r.key.clone());
        crate::indicators::indicators_keyed(&extract, &j, true, progress)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let out = result?;
    // Written after the indicators (which clear a stale quarantine file of that name).
    let quarantine_file = crate::files::write_quarantine(&job.output, &r.file, &r.quarantine)?;
    Ok((
        out,
        ReviewCounts {
            rows_read: r.rows_read,
            answered: r.rows.len() as u64,
            unanswered: r.unanswered,
            quarantined: r.quarantine.len() as u64,
            missing: r.missing,
            questions: r.questions.clone(),
            quarantine_file,
        },
    ))
}

/// A question's population estimated from a filled template: N̂_d = Σ_h N_h·d_h/r_h, with
/// r_h the stratum's records whose membership is known (answered yes, no or not
/// applicable) and d_h those inside (yes or no): the stratified estimate of a domain's
/// size (Cochran 1977, §5A.14). A stratum with no such record counts whole (N_h), so the
/// estimate errs towards a larger population, which only loosens a bound on deviating
/// records.
///
/// # Errors
/// As [`read_review`]; a question the review does not hold.
pub fn estimated_population(review: &Path, manifest: &Path, question: &str) -> Result<f64> {
    let r = read_review_of(review, manifest, &[question.to_string()], &[])?;
    let Some(j) = r.questions.iter().position(|q| q == question) else {
        return Err(ReviewError::NoSuchQuestion {
            review: review.to_path_buf(),
            question: question.to_string(),
        }
        .into());
    };
    let Some(found) = crate::manifest::find_sidecar(manifest)? else {
        return Err(ReviewError::NoSidecar {
            manifest: manifest.to_path_buf(),
        }
        .into());
    };
    let side = found.sidecar;
    let mut per: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
    for row in &r.rows {
        let e = per.entry(row.values.clone()).or_default();
        match row.answers[j] {
            Answer::Yes | Answer::No => {
                e.0 += 1;
                e.1 += 1;
            }
            Answer::NotApplicable => e.0 += 1,
            Answer::Blank => {}
        }
    }
    let mut total = 0.0;
    for s in &side.strata {
        let values: Vec<String> = r
            .strata
            .iter()
            .map(|c| s.values.get(c).cloned().unwrap_or_default())
            .collect();
        total += match per.get(&values) {
            Some(&(known, inside)) if known > 0 => {
                s.population as f64 * inside as f64 / known as f64
            }
            _ => s.population as f64,
        };
    }
    Ok(total)
}

/// The deviations of one question (a column of the filled template, named as in the spec)
/// in a filled template: (records answered yes or no, those answered `deviation`), for
/// `urval evaluate --review`.
///
/// # Errors
/// As [`read_review`]; a question the review does not hold.
pub fn count_answers(
    review: &Path,
    manifest: &Path,
    question: &str,
    deviation: Answer,
) -> Result<(u64, u64, ReviewCounts)> {
    let r = read_review_of(review, manifest, &[question.to_string()], &[])?;
    let Some(j) = r.questions.iter().position(|q| q == question) else {
        return Err(ReviewError::NoSuchQuestionOf {
            review: review.to_path_buf(),
            question: question.to_string(),
            questions: r.questions.clone(),
        }
        .into());
    };
    let (mut n, mut k) = (0u64, 0u64);
    for row in &r.rows {
        let a = row.answers[j];
        if matches!(a, Answer::Yes | Answer::No) {
            n += 1;
            k += u64::from(a == deviation);
        }
    }
    Ok((
        n,
        k,
        ReviewCounts {
            rows_read: r.rows_read,
            answered: r.rows.len() as u64,
            unanswered: r.unanswered,
            quarantined: r.quarantine.len() as u64,
            missing: r.missing,
            questions: r.questions.clone(),
            quarantine_file: None,
        },
    ))
}

/// The smallest and the largest design weight N_h/n_h of the strata a sample drew from,
/// when the largest is more than 5 % above the smallest: a count of deviations in the
/// review (`urval evaluate --review`) treats the records as one simple random sample, which
/// is right for a self-weighting design (proportional allocation), not for these weights.
/// `None` when the weights are equal up to that (or no stratum drew a record).
pub fn unequal_weights(strata: &[DrawnStratum]) -> Option<(f64, f64)> {
    let w: Vec<f64> = strata
        .iter()
        .filter(|s| s.n > 0)
        .map(|s| s.population as f64 / s.n as f64)
        .collect();
    let (lo, hi) = w
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    (hi > lo * 1.05).then_some((lo, hi))
}

/// The phase-2 manifest's column naming the questions each record is re-reviewed for
/// (separated by spaces), when the re-review is sized per question.
pub const QUESTIONS: &str = "questions";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_errors_are_typed_with_their_fields() {
        let dir = std::env::temp_dir().join(format!("urval-review-typed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("short.csv");
        std::fs::write(&path, "case_id,area,prn\nA,x,0.1\n").expect("write");
        let e = read_manifest(&path).err().expect("refused");
        std::fs::remove_dir_all(&dir).expect("remove");
        assert!(
            matches!(e.typed::<ReviewError>(), Some(ReviewError::NotAManifest { path: p }) if *p == path),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("{}: not a urval manifest", path.display())
        );
    }

    #[test]
    fn unequal_weights_are_those_more_than_five_percent_apart() {
        let stratum = |population: u64, n: u64| DrawnStratum {
            values: BTreeMap::new(),
            population,
            n,
            drawn: n,
            n_stage1: None,
        };
        // Proportional: 10 and 10 (a stratum with no record is left out).
        assert_eq!(
            unequal_weights(&[stratum(100, 10), stratum(50, 5), stratum(7, 0)]),
            None
        );
        // 10 and 10.4: within 5 %.
        assert_eq!(unequal_weights(&[stratum(100, 10), stratum(52, 5)]), None);
        // 10 and 12.5.
        assert_eq!(
            unequal_weights(&[stratum(100, 10), stratum(50, 4)]),
            Some((10.0, 12.5))
        );
        assert_eq!(unequal_weights(&[]), None);
        assert_eq!(unequal_weights(&[stratum(9, 0)]), None);
    }

    #[test]
    fn answers_are_read_as_people_write_them() {
        for (text, want) in [
            ("Ja", Answer::Yes),
            ("JA", Answer::Yes),
            (" yes ", Answer::Yes),
            ("ja.", Answer::Yes),
            ("Nej", Answer::No),
            ("NO", Answer::No),
            ("Ej tillämpligt", Answer::NotApplicable),
            ("ej  tillämpligt", Answer::NotApplicable),
            ("ej\u{a0}tillämpligt", Answer::NotApplicable),
            ("EJ TILLÄMPLIG", Answer::NotApplicable),
            ("e.t.", Answer::NotApplicable),
            ("E.T", Answer::NotApplicable),
            ("et", Answer::NotApplicable),
            ("ej aktuellt", Answer::NotApplicable),
            ("N/A", Answer::NotApplicable),
            ("na", Answer::NotApplicable),
            ("Not applicable", Answer::NotApplicable),
            ("", Answer::Blank),
            ("   ", Answer::Blank),
        ] {
            assert_eq!(parse_answer(text), Some(want), "{text:?}");
        }
        for text in ["j", "n", "kanske", "ja nej", "1", "true", "nejj"] {
            assert_eq!(parse_answer(text), None, "{text:?}");
        }
        // Every word a template offers reads back as the answer it stands for.
        for lang in [Lang::Sv, Lang::En] {
            let [yes, no, na] = allowed(lang);
            assert_eq!(parse_answer(yes), Some(Answer::Yes));
            assert_eq!(parse_answer(no), Some(Answer::No));
            assert_eq!(parse_answer(na), Some(Answer::NotApplicable));
        }
    }

    #[test]
    fn a_deviation_is_a_yes_or_a_no() {
        assert_eq!(parse_deviation_answer("nej"), Ok(Answer::No));
        assert_eq!(parse_deviation_answer("No"), Ok(Answer::No));
        assert_eq!(parse_deviation_answer("JA"), Ok(Answer::Yes));
        let e = parse_deviation_answer("ej tillämpligt").unwrap_err();
        assert!(e.to_string().contains("give nej (no) or ja (yes)"), "{e}");
        assert!(parse_deviation_answer("").is_err());
    }

    #[test]
    fn a_templates_free_columns_and_answers_are_in_its_language() {
        assert_eq!(free_headers(Lang::Sv), ["granskare", "datum", "kommentar"]);
        assert_eq!(free_headers(Lang::En), ["reviewer", "date", "comment"]);
        assert_eq!(allowed(Lang::Sv), ["ja", "nej", "ej tillämpligt"]);
        assert_eq!(allowed(Lang::En), ["yes", "no", "n/a"]);
    }

    #[test]
    fn only_share_indicators_are_questions_in_spec_order() {
        let text = r#"
[[indicator]]
name = "barnet_hört"
kind = "share"
expr = "child_heard"

[[indicator]]
name = "sidor"
kind = "mean"
expr = "pages"

[[indicator]]
name = "ärenden"
kind = "count"

[[indicator]]
name = "beslut_meddelat"
kind = "share"
expr = "decision_communicated"
"#;
        let spec = Spec::parse(text, Path::new("spec.toml"))
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = questions(&spec).iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["barnet_hört", "beslut_meddelat"]);
    }
}
