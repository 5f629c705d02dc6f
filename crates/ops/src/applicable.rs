//! Which drawn records a review question is asked of: a question's population is its
//! indicator's `where` (a child-only question: `area = 'barn_unga'`), and a record outside
//! it is not asked, so that its blank answer is never read as non-response.
//!
//! The `where` is evaluated on each drawn record's row, read from the extract (which holds
//! every column a `where` may name) or, without one, from the manifest itself (its key,
//! strata and `--include` columns: enough when the `where` names only those). The same
//! expression evaluator as the indicators' (`urval_ingest::Filter`), so a question is asked
//! exactly of the records the indicator would count. A row whose value the `where` cannot
//! read is asked (it is the reviewer who can tell).

use crate::error::Result;
use crate::review_error::ReviewError;
use std::collections::{BTreeMap, BTreeSet};
use urval_indicators::spec::Indicator;
use urval_ingest::{scan_ordered, Extract, ScanSpec, T_TRUE};

/// Per question with a `where` (by name): the drawn keys inside its population. A question
/// without a `where` is asked of every record and has no entry.
pub type Populations = BTreeMap<String, BTreeSet<String>>;

/// The drawn `keys` inside each question's population, from `source` (the extract, or the
/// manifest) read with `key` as its key column.
///
/// # Errors
/// The source cannot be read, or lacks a column a `where` names (the message names it).
pub fn populations(
    source: &Extract,
    key: &str,
    questions: &[&Indicator],
    keys: &BTreeSet<String>,
) -> Result<Populations> {
    let with_where: Vec<&Indicator> = questions
        .iter()
        .copied()
        .filter(|q| q.where_.is_some())
        .collect();
    if with_where.is_empty() {
        return Ok(Populations::new());
    }
    let mut columns: Vec<String> = Vec::new();
    for q in &with_where {
        for c in q.where_.iter().flat_map(|f| f.columns()) {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let mut spec = ScanSpec::new(key, &[]);
    spec.extra = columns.clone();
    let (found, _) = scan_ordered(
        source,
        &spec,
        || vec![BTreeSet::<String>::new(); with_where.len()],
        |st, batch| {
            for (k, q) in with_where.iter().enumerate() {
                let Some(f) = &q.where_ else { continue };
                let inside = inside_rows(f, &columns, batch)?;
                for (i, &r) in batch.rows.iter().enumerate() {
                    if inside[i] {
                        let key = batch.key_at(r as usize);
                        if keys.contains(key) {
                            st[k].insert(key.to_string());
                        }
                    }
                }
            }
            Ok(())
        },
        || vec![BTreeSet::<String>::new(); with_where.len()],
        |found, st| {
            for (k, s) in st.into_iter().enumerate() {
                found[k].extend(s);
            }
            Ok(())
        },
        &|_| {},
    )?;
    Ok(with_where
        .iter()
        .zip(found)
        .map(|(q, s)| (q.name.clone(), s))
        .collect())
}

/// Each question's population among a manifest's drawn `keys`: from the extract when given
/// (refused when the manifest's keys are pseudonyms, which the extract's keys cannot be
/// matched with), else from the manifest itself in one pass, for the questions whose `where`
/// names only its `columns`. The others are returned apart, by name.
///
/// # Errors
/// A pseudonymized manifest with an extract; a source that cannot be read.
pub fn drawn_populations(
    extract: Option<&Extract>,
    manifest: &std::path::Path,
    key: &str,
    columns: &[String],
    pseudonymized: bool,
    questions: &[&Indicator],
    keys: &BTreeSet<String>,
) -> Result<(Populations, Vec<String>)> {
    if let Some(extract) = extract {
        if pseudonymized {
            return Err(ReviewError::PseudonymsWithExtract {
                manifest: manifest.to_path_buf(),
            }
            .into());
        }
        return Ok((populations(extract, key, questions, keys)?, Vec::new()));
    }
    let (known, unknown): (Vec<&Indicator>, Vec<&Indicator>) =
        questions.iter().copied().partition(|q| {
            q.where_
                .iter()
                .flat_map(|f| f.columns())
                .all(|c| c == key || columns.contains(c))
        });
    let source = Extract::resolve(&[manifest.display().to_string()], Some(b','))?;
    Ok((
        populations(&source, key, &known, keys)?,
        unknown.iter().map(|q| q.name.clone()).collect(),
    ))
}

/// The population of a question exactly: the rows of the extract the plan counts (its
/// `where` and data rules) inside the question's `where`; every row when it has none. A row
/// whose value the question's `where` cannot read is counted (a larger population only
/// loosens a bound on deviating records).
///
/// # Errors
/// The extract cannot be read, or lacks a column.
pub fn population_count(
    extract: &Extract,
    plan: &crate::artifacts::PlanFile,
    question: &Indicator,
) -> Result<u64> {
    let mut spec = ScanSpec::new(&plan.key, &plan.strata_columns);
    if let Some(w) = &plan.where_ {
        spec.filter = Some(urval_ingest::Filter::parse(w)?);
    }
    spec.checks = crate::files::parse_checks(&plan.checks)?;
    let columns: Vec<String> = question
        .where_
        .iter()
        .flat_map(|f| f.columns().iter().cloned())
        .collect();
    spec.extra = columns.clone();
    let (total, _) = scan_ordered(
        extract,
        &spec,
        || 0u64,
        |count, batch| {
            let Some(f) = &question.where_ else {
                *count += batch.rows.len() as u64;
                return Ok(());
            };
            *count += inside_rows(f, &columns, batch)?
                .iter()
                .filter(|&&x| x)
                .count() as u64;
            Ok(())
        },
        || 0u64,
        |total, count| {
            *total += count;
            Ok(())
        },
        &|_| {},
    )?;
    Ok(total)
}

/// Which of a batch's rows are inside `f` (TRUE, or a value `f` cannot read: such a record
/// is asked, and counted, rather than left out), `columns` being the scan's `extra` columns.
fn inside_rows(
    f: &urval_ingest::Filter,
    columns: &[String],
    batch: &urval_ingest::Batch,
) -> urval_ingest::Result<Vec<bool>> {
    let arrays: Vec<arrow_array::ArrayRef> = f
        .columns()
        .iter()
        .map(|c| batch.extra[columns.iter().position(|n| n == c).unwrap_or(0)].clone())
        .collect();
    let bound = f
        .bind(&arrays)
        .map_err(|e| urval_ingest::IngestError::Filter {
            expr: f.text().to_string(),
            reason: e.0,
        })?;
    let (mut truth, mut errors) = (Vec::new(), Vec::new());
    bound.truth_rows(batch.rows, &mut truth, &mut errors);
    let mut inside: Vec<bool> = truth.iter().map(|&t| t == T_TRUE).collect();
    for (i, _) in errors {
        inside[i] = true;
    }
    Ok(inside)
}
