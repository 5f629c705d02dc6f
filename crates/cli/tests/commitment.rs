//! A draw neither side can steer: `urval commit` before the seed exists, `urval draw
//! --commitment … --randomness …` deriving the seed, and `urval verify` checking the chain.
//! The seed is recomputed here from the documented formula with `sha2` alone, and by the
//! guide's Python script (standard library only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use sha2::{Digest, Sha256};
use std::path::Path;
use support::{p, read_json, root, run};

/// The documented derivation, written out again: the first 8 bytes, big-endian, of
/// SHA-256("urval-seed-v1:" + commitment + ":" + randomness without spaces + ":" + stage).
fn seed_by_hand(commitment: &str, randomness: &str, stage: u32) -> u64 {
    let r: String = randomness.split_whitespace().collect();
    let d = Sha256::digest(format!("urval-seed-v1:{commitment}:{r}:{stage}").as_bytes());
    u64::from_be_bytes(d[..8].try_into().unwrap())
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "urval {args:?}: {err}");
    out
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Setup { dir }
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }
}

fn cases() -> String {
    root()
        .join("sample-data/cases.parquet")
        .to_str()
        .unwrap()
        .to_string()
}

fn cases_csv() -> String {
    root()
        .join("sample-data/cases.csv")
        .to_str()
        .unwrap()
        .to_string()
}

fn plan(s: &Setup, extra: &[&str], out: &str) {
    let c = cases();
    let o = s.path(out);
    let mut args = vec![
        "plan",
        "--extract",
        &c,
        "--key",
        "case_id",
        "--strata",
        "area",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", &o]);
    ok(&args);
}

#[test]
fn a_derived_seed_is_the_documented_formula_and_verify_checks_every_link() {
    let s = Setup::new();
    plan(&s, &["--margin", "0.05"], "plan.json");
    let out = ok(&[
        "commit",
        "--plan",
        &s.path("plan.json"),
        "--created",
        "2026-12-01T09:00:00Z",
        "-o",
        &s.path("commitment.json"),
    ]);
    let c = read_json(Path::new(&s.path("commitment.json")));
    let hex = c["commitment"].as_str().unwrap().to_string();
    assert!(out.contains(&hex) && out.contains(&hex[..16]), "{out}");
    // The commitment is SHA-256 of the documented canonical text.
    let text = format!(
        "urval-commitment-v1\nplan_sha256={}\nextract_fingerprint={}\nprn_spec_version=1\nstage=1\nprevious=\ncreated=2026-12-01T09:00:00Z\n",
        c["plan_sha256"].as_str().unwrap(),
        c["extract_fingerprint"].as_str().unwrap()
    );
    let by_hand: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(by_hand, hex);
    let plan_sha: String = Sha256::digest(std::fs::read(s.path("plan.json")).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(c["plan_sha256"], plan_sha.as_str());

    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--commitment",
        &s.path("commitment.json"),
        "--randomness",
        "31415 92653",
        "-o",
        &s.path("m.csv"),
    ]);
    let side = read_json(Path::new(&s.path("m.csv.draw.json")));
    assert_eq!(
        side["seed"].as_u64().unwrap(),
        seed_by_hand(&hex, "31415 92653", 1)
    );
    assert_eq!(side["seed_origin"]["kind"], "derived");
    assert_eq!(side["seed_origin"]["randomness"], "3141592653");

    // The whole chain holds, on the CSV copy of the extract too.
    let verify = |extra: &[&str]| {
        let mut a = vec![
            "verify".to_string(),
            "--extract".into(),
            cases_csv(),
            "--plan".into(),
            s.path("plan.json"),
            "--manifest".into(),
            s.path("m.csv"),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&a)
    };
    let (code, out, err) = verify(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("chain: the randomness 3141592653 gives the seed"),
        "{out}"
    );
    let (code, _, _) = verify(&["--randomness", "3141592653"]);
    assert_eq!(code, 0);

    // Another randomness: exit 1 naming the link.
    let (code, out, _) = verify(&["--randomness", "27182 81828"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("the randomness 2718281828 does not give the seed of this manifest"),
        "{out}"
    );

    // A changed plan: exit 1, not the plan committed to.
    let plan_text = std::fs::read_to_string(s.path("plan.json")).unwrap();
    std::fs::write(
        s.path("plan.json"),
        plan_text.replacen("\"urval_version\"", " \"urval_version\"", 1),
    )
    .unwrap();
    let (code, out, err) = verify(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("is not the one committed to"), "{out}");
    std::fs::write(s.path("plan.json"), &plan_text).unwrap();

    // One manifest row changed: exit 1 with the difference.
    let m = std::fs::read_to_string(s.path("m.csv")).unwrap();
    let second = m.lines().nth(1).unwrap().to_string();
    let key = second.split(',').next().unwrap();
    std::fs::write(s.path("m.csv"), m.replacen(key, "9999-0000000000", 1)).unwrap();
    let (code, out, _) = verify(&[]);
    assert_eq!(code, 1, "{out}");
    std::fs::write(s.path("m.csv"), &m).unwrap();

    // An altered commitment file: exit 1.
    let ctext = std::fs::read_to_string(s.path("commitment.json")).unwrap();
    std::fs::write(
        s.path("commitment.json"),
        ctext.replace("2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z"),
    )
    .unwrap();
    let (code, out, _) = verify(&[]);
    assert_eq!(code, 1);
    assert!(out.contains("does not match its fields"), "{out}");
    std::fs::write(s.path("commitment.json"), &ctext).unwrap();
    assert_eq!(verify(&[]).0, 0);

    // A draw with a plan other than the one committed to is refused before it starts.
    plan(&s, &["--margin", "0.06"], "other.json");
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("other.json"),
        "--commitment",
        &s.path("commitment.json"),
        "--randomness",
        "1",
        "-o",
        &s.path("x.csv"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is not the one committed to"), "{err}");
    // Randomness that is not digits is refused.
    let (code, _, err) = run(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--commitment",
        &s.path("commitment.json"),
        "--randomness",
        "heads",
        "-o",
        &s.path("x.csv"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("digits"), "{err}");
}

#[test]
fn the_guides_python_script_recomputes_the_seed_without_urval() {
    let s = Setup::new();
    plan(&s, &["--margin", "0.05"], "plan.json");
    ok(&[
        "commit",
        "--plan",
        &s.path("plan.json"),
        "-o",
        &s.path("commitment.json"),
    ]);
    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--commitment",
        &s.path("commitment.json"),
        "--randomness",
        "4 8 15 16 23 42",
        "-o",
        &s.path("m.csv"),
    ]);
    let side = read_json(Path::new(&s.path("m.csv.draw.json")));
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/check-seed.py"))
        .args([
            s.path("commitment.json"),
            s.path("plan.json"),
            "4 8 15 16 23 42".into(),
        ])
        .output()
        .expect("python3 (the guide's script needs only its standard library)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("seed {}", side["seed"].as_u64().unwrap())),
        "{text}"
    );
}

#[test]
fn a_later_stage_needs_its_own_commitment_and_fresh_randomness() {
    let s = Setup::new();
    plan(
        &s,
        &[
            "--tolerable-rate",
            "0.10",
            "--expected-rate",
            "0.02",
            "--stages",
            "2",
        ],
        "staged.json",
    );
    ok(&[
        "commit",
        "--plan",
        &s.path("staged.json"),
        "-o",
        &s.path("c1.json"),
    ]);
    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("staged.json"),
        "--stage",
        "1",
        "--commitment",
        &s.path("c1.json"),
        "--randomness",
        "1111",
        "-o",
        &s.path("stage1.csv"),
    ]);
    // Stage 2 with stage 1's commitment: refused.
    let stage2 = |c: &str, r: &str| {
        run(&[
            "draw",
            "--extract",
            &cases(),
            "--plan",
            &s.path("staged.json"),
            "--stage",
            "2",
            "--previous",
            &s.path("stage1.csv"),
            "--commitment",
            &s.path(c),
            "--randomness",
            r,
            "-o",
            &s.path("stage2.csv"),
        ])
    };
    let (code, _, err) = stage2("c1.json", "2222");
    assert_eq!(code, 2);
    assert!(err.contains("commits to stage 1, not stage 2"), "{err}");
    // A stage-2 commitment without stage 1's results: refused by commit itself.
    let (code, _, err) = run(&[
        "commit",
        "--plan",
        &s.path("staged.json"),
        "--stage",
        "2",
        "-o",
        &s.path("c2.json"),
    ]);
    assert_eq!(code, 2, "{err}");
    // A stage-2 commitment naming another file than stage 1's manifest: refused by draw.
    std::fs::write(s.path("findings.csv"), "case_id;svar\n").unwrap();
    ok(&[
        "commit",
        "--plan",
        &s.path("staged.json"),
        "--stage",
        "2",
        "--previous",
        &s.path("findings.csv"),
        "-o",
        &s.path("c2-wrong.json"),
    ]);
    let (code, _, err) = stage2("c2-wrong.json", "2222");
    assert_eq!(code, 2);
    assert!(err.contains("does not name stage1.csv"), "{err}");
    // The right commitment, stage 1's randomness: refused.
    ok(&[
        "commit",
        "--plan",
        &s.path("staged.json"),
        "--stage",
        "2",
        "--previous",
        &s.path("stage1.csv"),
        "--previous",
        &s.path("findings.csv"),
        "-o",
        &s.path("c2.json"),
    ]);
    let (code, _, err) = stage2("c2.json", "11 11");
    assert_eq!(code, 2);
    assert!(
        err.contains("a later stage needs fresh randomness"),
        "{err}"
    );
    // Fresh randomness: drawn, and verified with its chain.
    let (code, out, err) = stage2("c2.json", "2222");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("derived from commitment"), "{out}");
    // Stage 2 adds n_h − n_stage1 records per stratum, none of them stage 1's.
    let keys = |f: &str| -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(s.path(f))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let (k1, k2) = (keys("stage1.csv"), keys("stage2.csv"));
    let plan_json = read_json(Path::new(&s.path("staged.json")));
    let n2: u64 = plan_json["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["n"].as_u64().unwrap() - st["n_stage1"].as_u64().unwrap())
        .sum();
    assert_eq!(k2.len() as u64, n2);
    assert!(k1.is_disjoint(&k2), "stage 2 repeats a stage-1 record");
    let c2 = read_json(Path::new(&s.path("c2.json")));
    let side = read_json(Path::new(&s.path("stage2.csv.draw.json")));
    assert_eq!(
        side["seed"].as_u64().unwrap(),
        seed_by_hand(c2["commitment"].as_str().unwrap(), "2222", 2)
    );
    let (code, out, err) = run(&[
        "verify",
        "--extract",
        &cases(),
        "--plan",
        &s.path("staged.json"),
        "--manifest",
        &s.path("stage2.csv"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("chain: c2.json is the commitment the draw names"),
        "{out}"
    );
}

#[test]
fn the_re_review_draws_from_a_commitment_to_the_self_review() {
    let s = Setup::new();
    plan(&s, &["--total", "120"], "plan.json");
    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--seed",
        "20261124",
        "-o",
        &s.path("m.csv"),
    ]);
    ok(&[
        "plan",
        "--phase2",
        "--manifest",
        &s.path("m.csv"),
        "--tolerable-disagreement",
        "0.10",
        "-o",
        &s.path("p2.json"),
    ]);
    let self_review = root().join("sample-data/granskning-kommunen.csv");
    let (code, _, err) = run(&[
        "commit",
        "--plan",
        &s.path("p2.json"),
        "-o",
        &s.path("c.json"),
    ]);
    assert_eq!(code, 2, "a re-review is a later stage: {err}");
    ok(&[
        "commit",
        "--plan",
        &s.path("p2.json"),
        "--stage",
        "2",
        "--previous",
        &s.path("m.csv"),
        "--previous",
        p(&self_review),
        "-o",
        &s.path("c.json"),
    ]);
    ok(&[
        "draw",
        "--phase2",
        "--plan",
        &s.path("p2.json"),
        "--manifest",
        &s.path("m.csv"),
        "--commitment",
        &s.path("c.json"),
        "--randomness",
        "5 5 5",
        "-o",
        &s.path("p2.csv"),
    ]);
    let c = read_json(Path::new(&s.path("c.json")));
    let side = read_json(Path::new(&s.path("p2.csv.draw.json")));
    assert_eq!(
        side["seed"].as_u64().unwrap(),
        seed_by_hand(c["commitment"].as_str().unwrap(), "555", 2)
    );
    let (code, out, err) = run(&[
        "verify",
        "--plan",
        &s.path("p2.json"),
        "--manifest",
        &s.path("p2.csv"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("chain: the randomness 555 gives the seed"),
        "{out}"
    );
    let (code, out, _) = run(&[
        "verify",
        "--plan",
        &s.path("p2.json"),
        "--manifest",
        &s.path("p2.csv"),
        "--randomness",
        "556",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_derived_seed_gives_no_way_back_to_a_pseudonymised_personnummer() {
    let s = Setup::new();
    let personer = root().join("sample-data/personer.csv");
    let secret = root().join("sample-data/hemlighet.txt");
    ok(&[
        "plan",
        "--extract",
        p(&personer),
        "--key",
        "personnummer",
        "--strata",
        "kommunkod",
        "--total",
        "30",
        "-o",
        &s.path("plan.json"),
    ]);
    ok(&[
        "commit",
        "--plan",
        &s.path("plan.json"),
        "-o",
        &s.path("c.json"),
    ]);
    ok(&[
        "draw",
        "--extract",
        p(&personer),
        "--plan",
        &s.path("plan.json"),
        "--commitment",
        &s.path("c.json"),
        "--randomness",
        "123456",
        "--pseudonymize",
        "personnummer",
        "--secret-file",
        p(&secret),
        "-o",
        &s.path("m.csv"),
    ]);
    let side = read_json(Path::new(&s.path("m.csv.draw.json")));
    assert_eq!(side["prn_in_manifest"], false);
    let m = std::fs::read_to_string(s.path("m.csv")).unwrap();
    for line in m.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0].len(), 64, "a pseudonym, not a key: {line}");
        assert_eq!(f[2], "", "no PRN beside a pseudonym: {line}");
    }
    let plain = std::fs::read_to_string(&personer).unwrap();
    for line in plain.lines().skip(1) {
        let pnr = line.split(';').next().unwrap();
        if !pnr.is_empty() {
            assert!(!m.contains(pnr));
        }
    }
}

#[test]
fn a_chosen_seed_says_so_in_the_report_and_the_spreadsheet() {
    let s = Setup::new();
    plan(&s, &["--total", "40"], "plan.json");
    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--seed",
        "7",
        "-o",
        &s.path("m.xlsx"),
    ]);
    ok(&[
        "report",
        "--plan",
        &s.path("plan.json"),
        "--manifest",
        &s.path("m.xlsx"),
        "--lang",
        "en",
        "-o",
        &s.path("r.md"),
    ]);
    let r = std::fs::read_to_string(s.path("r.md")).unwrap();
    assert!(
        r.contains("The seed was chosen by the analyst, not derived from a commitment"),
        "{r}"
    );
    let side = read_json(Path::new(&s.path("m.xlsx.draw.json")));
    assert_eq!(side["seed_origin"]["kind"], "chosen");
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(s.path("m.xlsx")).unwrap();
    let about = wb.worksheet_range("Om urvalet").unwrap();
    let cells: Vec<String> = about
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells
            .iter()
            .any(|c| c == "valt av analytikern, inte härlett ur ett åtagande"),
        "{cells:?}"
    );

    ok(&[
        "commit",
        "--plan",
        &s.path("plan.json"),
        "-o",
        &s.path("c.json"),
    ]);
    ok(&[
        "draw",
        "--extract",
        &cases(),
        "--plan",
        &s.path("plan.json"),
        "--commitment",
        &s.path("c.json"),
        "--randomness",
        "99",
        "-o",
        &s.path("d.csv"),
    ]);
    ok(&[
        "report",
        "--plan",
        &s.path("plan.json"),
        "--manifest",
        &s.path("d.csv"),
        "-o",
        &s.path("d.md"),
    ]);
    let c = read_json(Path::new(&s.path("c.json")));
    let r = std::fs::read_to_string(s.path("d.md")).unwrap();
    assert!(r.contains("Fröet valdes inte av någon"), "{r}");
    assert!(
        r.contains(c["commitment"].as_str().unwrap()) && r.contains("slumptalen 99"),
        "{r}"
    );
}
