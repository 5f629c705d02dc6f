//! The operations without the binary: plan, draw, verify and indicators on a small extract
//! with Swedish column names, checked against values computed by hand.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure

use std::path::{Path, PathBuf};
use urval_design::{AllocationMethod, BurdenRates};
use urval_ingest::Extract;
use urval_ops::draw::{DrawJob, BOUND_SDS};
use urval_ops::indicators::{indicators_to_files, IndicatorsJob};
use urval_ops::package::draw_to_files;
use urval_ops::plan::{plan, PlanRequest};
use urval_ops::verify::{verify, VerifyRequest};
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

/// 300 cases: kommunkod 0180 (200) and 1398 (100); every third child heard.
fn extract_csv(dir: &Path, name: &str, reverse: bool) -> PathBuf {
    let mut rows: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "{i:05};{};barn;{}",
                if i < 200 { "0180" } else { "1398" },
                if i % 3 == 0 { "ja" } else { "nej" }
            )
        })
        .collect();
    if reverse {
        rows.reverse();
    }
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "ärende_id;kommunkod;verksamhetsområde;barnet_hört\n{}\n",
            rows.join("\n")
        ),
    )
    .unwrap();
    path
}

fn resolve(p: &Path) -> Extract {
    Extract::resolve(&[p.display().to_string()], None).unwrap()
}

fn plan_request(out: &Path) -> PlanRequest {
    PlanRequest {
        key: "ärende_id".into(),
        strata: vec!["kommunkod".into()],
        where_: Some("verksamhetsområde = 'barn'".into()),
        checks: vec![],
        margin: None,
        total: Some(60),
        confidence: 0.95,
        allocation: AllocationMethod::Proportional,
        min: None,
        max: None,
        proportion: 0.5,
        pages_column: None,
        requested: None,
        personal: vec![],
        allow_duplicate_keys: false,
        rates: BurdenRates::default(),
        max_quarantine: 0.01,
        output: out.join("plan.json"),
        created: "2026-01-01T00:00:00Z".into(),
        stages: None,
        attribute: None,
        duplicate_memory: urval_ops::plan::DUPLICATE_MEMORY_HASHES,
        purposes: None,
    }
}

fn draw_job(dir: &Path, output: &str) -> DrawJob {
    DrawJob {
        plan: dir.join("plan.json"),
        seed: 20_261_124,
        start: 0.0,
        only: None,
        include: vec!["barnet_hört".into()],
        output: dir.join(output),
        csv_dialect: CsvDialect::Standard,
        lang: Lang::Sv,
        split_by: None,
        out_dir: None,
        personal: vec![],
        pseudonymize: None,
        secret_file: None,
        bound_sds: BOUND_SDS,
        max_quarantine: 0.01,
        stage: None,
        previous: None,
        spec: None,
        letter: Default::default(),
    }
}

#[test]
fn plan_draw_verify_and_indicators_without_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = extract_csv(d, "ärenden.csv", false);
    let extract = resolve(&csv);

    // Plan: 60 records proportional to 200/100 → 40 and 20.
    let planned = plan(&extract, &plan_request(d), &|_| {}).unwrap();
    let n: Vec<u64> = planned.plan.strata.iter().map(|s| s.n).collect();
    assert_eq!(n, [40, 20]);
    assert_eq!(planned.plan.rows_read, 300);
    let plan_file = urval_ops::artifacts::PlanFile::read(&d.join("plan.json")).unwrap();
    assert_eq!(plan_file, planned.plan, "plan.json reads back as written");

    // Draw, and the same draw from the rows in reverse order: byte-identical manifests.
    let drawn = draw_to_files(&extract, &plan_file, &draw_job(d, "urval.csv"), &|_| {}).unwrap();
    assert_eq!(drawn.sidecar.selected, 60);
    assert_eq!(
        drawn.sidecar.manifest, "urval.csv",
        "a file name, not a path"
    );
    let reversed = resolve(&extract_csv(d, "omvänd.csv", true));
    draw_to_files(&reversed, &plan_file, &draw_job(d, "urval2.csv"), &|_| {}).unwrap();
    assert_eq!(
        std::fs::read(d.join("urval.csv")).unwrap(),
        std::fs::read(d.join("urval2.csv")).unwrap()
    );

    // Verify reproduces it; a manifest with one record swapped does not.
    let req = VerifyRequest {
        manifest: d.join("urval.csv"),
        seed: None,
        start: None,
        only: None,
        personal: vec![],
        secret_file: None,
    };
    let v = verify(&extract, &plan_file, &req, &|_| {}).unwrap();
    assert!(v.identical() && v.expected == 60, "{v:?}");
    let text = std::fs::read_to_string(d.join("urval.csv")).unwrap();
    let first_key = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let other = (0..300)
        .map(|i| format!("{i:05}"))
        .find(|k| !text.contains(k.as_str()) && k.as_str() < "00200")
        .unwrap();
    std::fs::write(d.join("ändrad.csv"), text.replacen(&first_key, &other, 1)).unwrap();
    let v = verify(
        &extract,
        &plan_file,
        &VerifyRequest {
            manifest: d.join("ändrad.csv"),
            seed: Some(20_261_124),
            ..req.clone()
        },
        &|_| {},
    )
    .unwrap();
    assert_eq!((v.missing.len(), v.extra.len()), (1, 1), "{v:?}");
    assert_eq!(v.extra[0].1, other);

    // Indicators over the full extract: 100 of 300 children heard, by municipality
    // 67/200 and 33/100.
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = 'barnet_hört'\nkind = 'share'\nexpr = \"barnet_hört = 'ja'\"\n",
    )
    .unwrap();
    let job = IndicatorsJob {
        spec: spec.clone(),
        by: vec!["kommunkod".into()],
        age_bands: None,
        age: "age".into(),
        key: Some("ärende_id".into()),
        manifest: None,
        where_: None,
        checks: vec![],
        ci: false,
        confidence: 0.95,
        output: d.join("indikatorer.csv"),
        csv_dialect: CsvDialect::Standard,
        lang: Lang::Sv,
        nonresponse: urval_indicators::estimate::Nonresponse::Bounds,
        allow_empty: false,
        personal: vec![],
        secret_file: None,
        max_quarantine: 0.01,
        max_groups: 1_000_000,
        suppress_below: 0,
        small_area: None,
        small_area_covariates: None,
    };
    let census = indicators_to_files(&extract, &job, &|_| {}).unwrap();
    let share = |group: Option<&str>| {
        census
            .rows
            .iter()
            .find(|r| r.group.as_ref().map(|g| g[0].as_str()) == group)
            .and_then(|r| r.est)
            .map(|e| e.estimate)
            .unwrap()
    };
    assert!((share(None) - 100.0 / 300.0).abs() < 1e-12);
    assert!((share(Some("0180")) - 67.0 / 200.0).abs() < 1e-12);
    assert!((share(Some("1398")) - 33.0 / 100.0).abs() < 1e-12);

    // A key-like group column: a clear error past --max-groups, not memory exhaustion.
    let e = indicators_to_files(
        &extract,
        &IndicatorsJob {
            by: vec!["ärende_id".into()],
            max_groups: 100,
            suppress_below: 0,
            small_area: None,
            small_area_covariates: None,
            output: d.join("per_ärende.csv"),
            ..job.clone()
        },
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--by ärende_id makes more than 100 groups"),
        "{e}"
    );

    // Indicators over the sample: the review rows are the drawn records; the estimate is
    // the design-weighted share Σ N_h p̂_h / N.
    let sample = indicators_to_files(
        &extract,
        &IndicatorsJob {
            manifest: Some(d.join("urval.csv")),
            by: vec![],
            output: d.join("stickprov.csv"),
            ..job
        },
        &|_| {},
    )
    .unwrap();
    let heard = |lo: u32, hi: u32| {
        text.lines()
            .skip(1)
            .filter(|l| {
                let k: u32 = l.split(',').next().unwrap().parse().unwrap();
                (lo..hi).contains(&k) && k.is_multiple_of(3)
            })
            .count() as f64
    };
    let want = (200.0 * heard(0, 200) / 40.0 + 100.0 * heard(200, 300) / 20.0) / 300.0;
    let got = sample.rows[0].est.unwrap().estimate;
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

/// An artifact of another version, or with a field missing or added, is a one-line error
/// naming the file and the field; never a silent default.
#[test]
fn artifacts_are_read_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = resolve(&extract_csv(d, "ärenden.csv", false));
    plan(&extract, &plan_request(d), &|_| {}).unwrap();
    let text = std::fs::read_to_string(d.join("plan.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let read = |v: &serde_json::Value| {
        std::fs::write(d.join("edited.json"), v.to_string()).unwrap();
        urval_ops::artifacts::PlanFile::read(&d.join("edited.json"))
            .map(|_| ())
            .map_err(|e| {
                // The whole chain, as the binary prints it.
                let mut s = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(x) = src {
                    s.push_str(&format!(": {x}"));
                    src = x.source();
                }
                s
            })
    };
    assert_eq!(read(&v), Ok(()));
    v["design"].as_object_mut().unwrap().remove("max");
    let e = read(&v).unwrap_err();
    assert!(
        e.contains("edited.json") && e.contains("missing field `max`"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    v["design"]["max"] = serde_json::Value::Null;
    v["colour"] = "red".into();
    let e = read(&v).unwrap_err();
    assert!(e.contains("unknown field `colour`"), "{e}");
    v.as_object_mut().unwrap().remove("colour");
    v["version"] = 99.into();
    v.as_object_mut().unwrap().remove("checks");
    let e = read(&v).unwrap_err();
    assert!(e.contains("version 99 is not one this urval reads"), "{e}");
}

/// A request cannot exceed what exists: `--requested` above N, and a requested-file with a
/// value above N_h, a repeated stratum or a value that is not a whole number, are one-line
/// errors naming the line.
#[test]
fn requests_are_checked_against_the_population() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = resolve(&extract_csv(d, "ärenden.csv", false));
    let mut req = plan_request(d);
    req.requested = Some(301);
    let e = plan(&extract, &req, &|_| {}).unwrap_err().to_string();
    assert!(
        e.contains("--requested 301 is more than the 300 records"),
        "{e}"
    );
    req.requested = Some(300);
    plan(&extract, &req, &|_| {}).unwrap();
    let report = |file: Option<&str>, requested: Option<u64>| {
        let path = d.join("begärt.csv");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        urval_ops::report::report_to_file(&urval_ops::report::ReportJob {
            plan: d.join("plan.json"),
            requested,
            requested_file: file.map(|_| path.clone()),
            manifest: None,
            indicators: None,
            lang: Lang::Sv,
            output: d.join("rapport.html"),
            only: None,
            purpose: None,
            recipient: None,
            case_number: None,
            sender: None,
            date: None,
            deadline: None,
            own_extract: None,
            labels: None,
            previous: None,
            phase2_plan: None,
            agreement: None,
            suppress_below: None,
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        report(Some("kommunkod;requested\n0180;200\n1398;100\n"), None),
        Ok(())
    );
    for (file, want) in [
        (
            "kommunkod;requested\n0180;201\n",
            "line 2: stratum (0180) requests 201 records but has only N = 200",
        ),
        (
            "kommunkod;requested\n0180;5\n0180;6\n",
            "line 3: stratum (0180) is listed twice",
        ),
        (
            "kommunkod;requested\n0180;9223372036854775808000\n",
            "is not a whole number",
        ),
        ("kommunkod;requested\n9999;1\n", "is not in the plan"),
    ] {
        let e = report(Some(file), None).unwrap_err();
        assert!(e.contains(want), "{file}: {want:?} not in {e}");
    }
    let e = report(None, Some(301)).unwrap_err();
    assert!(e.contains("--requested 301 is more than the 300"), "{e}");
}
