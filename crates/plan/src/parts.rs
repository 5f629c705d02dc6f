//! A plan over an extract held in pieces on several machines (`urval.spark.plan`): each
//! piece is counted on its own into a [`CensusPart`] (per stratum its records, the sum of
//! its keys' hashes and its pages; per purpose its domain counts; its duplicate keys; its
//! rows as read, used, excluded and quarantined), and the driver merges the parts into the
//! census of the whole extract ([`merge_census_parts`]) and plans on it as `urval plan` does
//! ([`plan_from_parts`]).
//!
//! Counts and key fingerprints are sums, so they merge exactly whatever the pieces. The
//! duplicate-key check is exact only when every piece holds all the rows of its keys (a data
//! frame partitioned by the key): each piece then finds its own duplicate keys exactly (two
//! parts that both name a key among their duplicates are refused:
//! [`PlanError::PartsShareAKey`]). A piece's
//! part names at most the ten duplicate keys `urval plan` could show of it, with their
//! counts; no other key leaves the piece. Pages are summed in floating point: whole numbers
//! of pages merge exactly, a mean of pages with decimals may differ from the command's in
//! its last digit. Quarantined rows are numbered within their piece.
//!
//! It may use the census and the plan; it must not know about Spark.

use crate::census::{census_within, CensusResult, CensusStratum};
use crate::error::Result;
use crate::files::hex128;
use crate::plan::{plan_of_census, prepared, refuse_overwriting, PlanRequest, Planned};
use crate::plan_error::PlanError;
use crate::purposes::DomainCounts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use urval_ingest::{Extract, FileCounts, ScanOutput};

/// How many duplicate keys `urval plan` shows, and a part names at most.
pub const DUPLICATES_SHOWN: usize = 10;

/// One stratum of a piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartStratum {
    /// The stratum's values (the strata columns' order).
    pub values: Vec<String>,
    /// Records of the piece in the stratum.
    pub population: u64,
    /// The wrapping sum of the XXH3-128 of their keys, hex.
    pub fingerprint: String,
    /// The sum and the count of their pages (of the records with pages).
    pub pages: (f64, u64),
}

/// One piece's census, to merge on the driver: plain data (serde), to travel between
/// processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CensusPart {
    /// The strata with records in the piece, sorted by their values.
    pub strata: Vec<PartStratum>,
    /// Keys of the piece that occur more than once in it, and the first of them (at most
    /// [`DUPLICATES_SHOWN`], the ones `urval plan` would show of the piece) with their
    /// counts.
    pub duplicates: (u64, Vec<(String, u64)>),
    /// Per purpose: (stratum values, group value, records of its domain).
    pub domains: Vec<Vec<(Vec<String>, String, u64)>>,
    /// Rows read, used, excluded and quarantined.
    pub rows: [u64; 4],
    /// The quarantined rows: (row within the piece, reason, the row as read, personal
    /// columns masked).
    pub quarantine: Vec<(u64, String, String)>,
}

/// Count one piece of an extract into its part, as `urval plan` counts the whole (the same
/// columns, filter, data rules and duplicate check).
///
/// # Errors
/// As [`crate::plan()`], for what one piece can tell: the request, the columns, a row a
/// purpose's population cannot be decided for (the duplicates, the quarantine threshold and
/// the design are checked on the merged parts).
pub fn census_part(extract: &Extract, req: &PlanRequest) -> Result<CensusPart> {
    let (spec, domain_specs) = prepared(req)?;
    let c = census_within(
        extract,
        &spec,
        req.pages_column.as_deref(),
        &domain_specs,
        req.duplicate_memory,
        &|_| {},
    )?;
    let t = c.scan.totals();
    Ok(CensusPart {
        strata: c
            .strata
            .into_iter()
            .map(|(values, s)| PartStratum {
                values,
                population: s.population,
                fingerprint: hex128(s.fingerprint),
                pages: s.pages,
            })
            .collect(),
        duplicates: c.duplicates,
        domains: c
            .domains
            .into_iter()
            .map(|d| d.into_iter().map(|((v, g), n)| (v, g, n)).collect())
            .collect(),
        rows: [
            t.rows_read,
            t.rows_used,
            t.rows_excluded,
            t.rows_quarantined,
        ],
        quarantine: c
            .scan
            .quarantine
            .into_iter()
            .map(|q| (q.row, q.reason, q.raw))
            .collect(),
    })
}

/// The order in which `urval plan` picks the duplicate keys it shows: by the low 64 bits of
/// the key's XXH3-128, then its top 32 (see `census::exact_duplicates`).
fn shown_order(key: &str) -> (u64, u32) {
    let h = crate::fingerprint::key_hash(key.as_bytes());
    (h as u64, (h >> 96) as u32)
}

/// The parts merged, in the order given, into the census of the whole extract for
/// `domains` purposes: what [`census_within`] gives on it (the scan's counts are one
/// file's, the pieces' rows summed; quarantined rows keep their piece's row numbers).
///
/// # Errors
/// A part of another request (another number of purposes), a fingerprint that is not hex,
/// or a key repeated in two parts (the pieces were not split by the key).
pub fn merge_census_parts(parts: Vec<CensusPart>, domains: usize) -> Result<CensusResult> {
    let mut strata: BTreeMap<Vec<String>, CensusStratum> = BTreeMap::new();
    let mut domain_counts: Vec<DomainCounts> = vec![DomainCounts::new(); domains];
    let mut rows = FileCounts::default();
    let mut quarantine = Vec::new();
    let mut duplicates = 0u64;
    let mut shown: BTreeMap<(u64, u32), (String, u64)> = BTreeMap::new();
    for part in parts {
        if part.domains.len() != domains {
            return Err(PlanError::PartOfAnotherPlan {
                purposes: part.domains.len(),
                want: domains,
            }
            .into());
        }
        for s in part.strata {
            let f = u128::from_str_radix(&s.fingerprint, 16).map_err(|_| {
                PlanError::PartFingerprint {
                    fingerprint: s.fingerprint.clone(),
                }
            })?;
            let e = strata.entry(s.values).or_default();
            e.population += s.population;
            e.fingerprint = e.fingerprint.wrapping_add(f);
            e.pages.0 += s.pages.0;
            e.pages.1 += s.pages.1;
        }
        for (k, per) in part.domains.into_iter().enumerate() {
            for (values, group, n) in per {
                *domain_counts[k].entry((values, group)).or_default() += n;
            }
        }
        duplicates += part.duplicates.0;
        for (key, count) in part.duplicates.1 {
            let order = shown_order(&key);
            if shown.insert(order, (key, count)).is_some() {
                return Err(PlanError::PartsShareAKey.into());
            }
        }
        // Only the first ten of every part can be among the whole's first ten.
        while shown.len() > DUPLICATES_SHOWN {
            shown.pop_last();
        }
        rows.add_piece(part.rows, part.quarantine, &mut quarantine);
    }
    strata.retain(|_, s| s.population > 0);
    let mut first: Vec<(String, u64)> = shown.into_values().collect();
    first.sort();
    Ok(CensusResult {
        strata,
        scan: ScanOutput {
            results: Vec::new(),
            files: vec![rows],
            quarantine,
        },
        duplicates: if duplicates == 0 {
            (0, Vec::new())
        } else {
            (duplicates, first)
        },
        domains: domain_counts,
    })
}

/// The plan of the whole extract from the census parts of its pieces ([`census_part`], in
/// the order given), checked, sized, allocated and written as [`crate::plan()`] writes it.
/// `extract` names the whole in plan.json (its files are not read: an empty extract named
/// after the data frame, whose one file holds the pieces' rows summed).
///
/// # Errors
/// As [`crate::plan()`]; a part of another request, or parts that share a key.
pub fn plan_from_parts(
    extract: &Extract,
    req: &PlanRequest,
    parts: Vec<CensusPart>,
) -> Result<Planned> {
    let (spec, domain_specs) = prepared(req)?;
    refuse_overwriting(req, extract)?;
    let result = merge_census_parts(parts, domain_specs.len())?;
    plan_of_census(extract, req, &spec, result)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;

    /// Rows of (key, area, pages).
    type Rows = Vec<(String, &'static str, Option<f64>)>;

    /// 600 records in four areas, pages missing on some; `k7` twice, `k12` three times, 14
    /// further keys twice (more than the ten shown), and a row without a key (quarantined).
    fn rows() -> Rows {
        let areas = ["aldre", "barn", "lss", "missbruk"];
        let mut rows: Rows = (0..600)
            .map(|i| {
                let pages = (i % 7 != 0).then_some(f64::from(i % 9));
                (format!("k{i}"), areas[i as usize % 4], pages)
            })
            .collect();
        rows.push(("k7".into(), "barn", Some(2.0)));
        rows.push(("k12".into(), "aldre", None));
        rows.push(("k12".into(), "lss", Some(1.0)));
        for i in (100..240).step_by(10) {
            rows.push((format!("k{i}"), "aldre", Some(3.0)));
        }
        rows.push((String::new(), "barn", Some(1.0)));
        rows
    }

    fn extract(name: &str, rows: &[(String, &str, Option<f64>)]) -> Extract {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("id", arrow_schema::DataType::Utf8, true),
            arrow_schema::Field::new("area", arrow_schema::DataType::Utf8, true),
            arrow_schema::Field::new("pages", arrow_schema::DataType::Float64, true),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.2))),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
        Extract::from_batches(name, schema, vec![batch])
    }

    fn request(dir: &std::path::Path, allow: bool) -> PlanRequest {
        let mut req: PlanRequest = serde_json::from_value(serde_json::json!({
            "strata": ["area"],
            "where": "area <> 'missbruk'",
            "total": 60,
            "pages_column": "pages",
            "allow_duplicate_keys": allow,
        }))
        .unwrap();
        req.key = "id".into();
        req.max_quarantine = 0.01;
        req.output = dir.join("plan.json");
        req.created = "2026-01-01T00:00:00Z".into();
        req
    }

    /// The census's figures, to compare.
    type Figures = (
        Vec<(Vec<String>, u64, u128, (f64, u64))>,
        (u64, Vec<(String, u64)>),
        FileCounts,
        usize,
    );

    fn figures(c: &CensusResult) -> Figures {
        (
            c.strata
                .iter()
                .map(|(v, s)| (v.clone(), s.population, s.fingerprint, s.pages))
                .collect(),
            c.duplicates.clone(),
            c.scan.totals(),
            c.scan.quarantine.len(),
        )
    }

    #[test]
    fn census_parts_of_three_pieces_merge_into_the_whole_extracts_census() {
        let dir = tempfile::tempdir().unwrap();
        let all = rows();
        let req = request(dir.path(), true);
        let (spec, domains) = prepared(&req).unwrap();
        let whole = census_within(
            &extract("<whole>", &all),
            &spec,
            Some("pages"),
            &domains,
            req.duplicate_memory,
            &|_| {},
        )
        .unwrap();
        // 15 keys repeat, ten of them shown; the row without a key is quarantined.
        assert_eq!(whole.duplicates.0, 15);
        assert_eq!(whole.duplicates.1.len(), 10);
        assert!(whole
            .duplicates
            .1
            .iter()
            .all(|(k, c)| *c == if k == "k12" { 3 } else { 2 }));
        assert_eq!(whole.scan.totals().rows_quarantined, 1);
        // Three pieces split by the key, every key's rows in one piece.
        let piece_of = |key: &str| key.bytes().map(usize::from).sum::<usize>() % 3;
        let pieces: Vec<Rows> = (0..3)
            .map(|j| {
                all.iter()
                    .filter(|r| piece_of(&r.0) == j)
                    .cloned()
                    .collect()
            })
            .collect();
        assert!(pieces.iter().all(|p| !p.is_empty()));
        let parts: Vec<CensusPart> = pieces
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let part = census_part(&extract(&format!("<piece {j}>"), p), &req).unwrap();
                // Through JSON, as a part travels to the driver.
                serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap()
            })
            .collect();
        // No part names more than the ten keys the command would show of it.
        assert!(parts
            .iter()
            .all(|p| p.duplicates.1.len() <= DUPLICATES_SHOWN));
        for order in [[0usize, 1, 2], [2, 0, 1]] {
            let merged = merge_census_parts(
                order.iter().map(|&i| parts[i].clone()).collect(),
                domains.len(),
            )
            .unwrap();
            assert_eq!(figures(&merged), figures(&whole), "order {order:?}");
        }
        // Two purposes, one per area: their domain counts merge into the whole's.
        let purposes = dir.path().join("purposes.toml");
        std::fs::write(
            &purposes,
            "[[purpose]]\nname = 'thick'\nlabel_sv = 't'\nlabel_en = 't'\n\
             population = 'pages >= 4'\nproportion = 0.5\nmargin = 0.2\nlevel = 'area'\n\
             [[purpose]]\nname = 'all'\nlabel_sv = 'a'\nlabel_en = 'a'\n\
             proportion = 0.5\nmargin = 0.2\n",
        )
        .unwrap();
        let mut with_purposes = request(dir.path(), true);
        with_purposes.total = None;
        with_purposes.purposes = Some(crate::purposes::PurposesRequest {
            purposes: crate::purposes::load(&purposes).unwrap(),
            cost: crate::purposes::CostBasis::parse("records", "records".into()),
        });
        let (spec, domains) = prepared(&with_purposes).unwrap();
        assert_eq!(domains.len(), 2);
        let whole = census_within(
            &extract("<whole>", &all),
            &spec,
            Some("pages"),
            &domains,
            req.duplicate_memory,
            &|_| {},
        )
        .unwrap();
        assert!(whole.domains[0].len() >= 3 && whole.domains[0].values().all(|&n| n > 0));
        for order in [[1usize, 2, 0], [0, 2, 1]] {
            let parts: Vec<CensusPart> = order
                .iter()
                .map(|&j| census_part(&extract("<piece>", &pieces[j]), &with_purposes).unwrap())
                .collect();
            let merged = merge_census_parts(parts, 2).unwrap();
            assert_eq!(merged.domains, whole.domains);
            assert_eq!(figures(&merged), figures(&whole));
        }
        // A part of another request (no purposes) is refused.
        let other = census_part(&extract("<piece>", &pieces[0]), &req).unwrap();
        let Err(e) = merge_census_parts(vec![other], 2) else {
            panic!("a part without the purposes merged");
        };
        assert!(
            matches!(
                e.typed::<PlanError>(),
                Some(PlanError::PartOfAnotherPlan {
                    purposes: 0,
                    want: 2
                })
            ),
            "{e:?}"
        );
        // The plan from the parts is the whole's, but for the extract named.
        let named = Extract::from_batches(
            "<parts>",
            Arc::new(arrow_schema::Schema::empty()),
            Vec::new(),
        );
        let mut req = req;
        req.max_quarantine = 0.05;
        let a = crate::plan(&extract("<parts>", &all), &req, &|_| {}).unwrap();
        let b = plan_from_parts(&named, &req, parts.clone()).unwrap();
        let mut ja = serde_json::to_value(&a.plan).unwrap();
        let jb = serde_json::to_value(&b.plan).unwrap();
        ja["extract"]["files"][0]["bytes"] = 0.into();
        ja["extract"]["total_bytes"] = 0.into();
        assert_eq!(ja, jb);
        assert_eq!(b.plan.duplicate_keys, 15);
        // Duplicates not allowed: the command's message, from the parts too.
        let strict = request(dir.path(), false);
        let ea = crate::plan(&extract("<parts>", &all), &strict, &|_| {}).unwrap_err();
        let eb = plan_from_parts(&named, &strict, parts.clone()).unwrap_err();
        assert_eq!(ea.to_string(), eb.to_string());
        assert!(
            eb.to_string()
                .starts_with("15 keys occur more than once (first: "),
            "{eb}"
        );
        // Two parts naming one repeated key: the pieces were not split by the key.
        let e =
            plan_from_parts(&named, &strict, vec![parts[1].clone(), parts[1].clone()]).unwrap_err();
        assert!(
            matches!(e.typed::<PlanError>(), Some(PlanError::PartsShareAKey)),
            "{e:?}"
        );
    }
}
