//! The hostile-input corpus of the personal-data issue: one or more cases for each numbered
//! finding (1–11), every one run on an extract whose keys are Luhn-valid personnummer (one
//! in ten a samordningsnummer). Each case ends in its exact expectation (exit code and the
//! text of its message, or files that check out), and then every output file, stdout and
//! stderr — and the log of the same command at `-vv` with `RUST_LOG=trace` — is searched
//! for every personnummer of the input, with and without the century and the hyphen. Only
//! the files a case names (a manifest for the data owner) may hold a key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

mod common;
use common::{forms, pnr};

const HEADER: &str = "pnr;kommunkod;område;sidor;inkommet;anteckning";

fn row(i: usize) -> String {
    format!(
        "{};{};{};{};2024-{:02}-{:02};ok",
        pnr(i),
        ["0180", "1480", "2584"][i % 3],
        ["aldre", "barn_unga"][i % 2],
        10 + i,
        1 + i % 12,
        1 + i % 28
    )
}

/// An extract of `n` rows (keys 0..n) plus extra lines, `;`-separated with a Swedish header.
fn extract(n: usize, extra: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for i in 0..n {
        s.push('\n');
        s.push_str(&row(i));
    }
    for l in extra {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s.into_bytes()
}

/// A change to a case's files: (input directory, output directory).
type Action = Box<dyn Fn(&Path, &Path)>;

/// A step of a case: a command line (IN and OUT replaced by the case's directories), or a
/// change to the files between commands.
enum Step {
    Run(Vec<String>),
    Do(Action),
}

fn run(args: &[&str]) -> Step {
    Step::Run(args.iter().map(|a| a.to_string()).collect())
}

/// How the last step must end.
enum Expect {
    /// Exit 0; stdout contains this.
    Ok(&'static str),
    /// This exit code; the one-line message (stderr, or stdout for exit 1) contains this.
    Fails(i32, &'static str),
}

type Check = Box<dyn Fn(&Path, &str, &str) -> Result<(), String>>;

struct Case {
    item: u8,
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    steps: Vec<Step>,
    expect: Expect,
    /// Extra checks on the output directory, stdout and stderr of the last step.
    check: Option<Check>,
    /// Output files meant for the data owner that may hold keys.
    keys_allowed_in: &'static [&'static str],
    /// The error may span lines (a breakdown under its first line).
    multiline: bool,
}

fn case(
    item: u8,
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    steps: Vec<Step>,
    expect: Expect,
) -> Case {
    Case {
        item,
        name,
        files,
        steps,
        expect,
        check: None,
        keys_allowed_in: &[],
        multiline: false,
    }
}

impl Case {
    fn check(mut self, f: impl Fn(&Path, &str, &str) -> Result<(), String> + 'static) -> Case {
        self.check = Some(Box::new(f));
        self
    }
    fn multiline(mut self) -> Case {
        self.multiline = true;
        self
    }
    fn keys_in(mut self, files: &'static [&'static str]) -> Case {
        self.keys_allowed_in = files;
        self
    }
}

const PLAN: &[&str] = &[
    "plan",
    "--extract",
    "IN/x.csv",
    "--key",
    "pnr",
    "--strata",
    "kommunkod",
    "--total",
    "30",
    "-o",
    "OUT/plan.json",
];

/// `base` with `extra` flags: a flag already in `base` gets the new value.
fn with(base: &[&str], extra: &[&str]) -> Step {
    let mut v: Vec<&str> = base.to_vec();
    let mut i = 0;
    while i < extra.len() {
        let flag = extra[i];
        let value = extra.get(i + 1).filter(|x| !x.starts_with("--"));
        match (v.iter().position(|a| *a == flag), value) {
            (Some(at), Some(val)) => {
                v[at + 1] = val;
                i += 2;
            }
            (None, Some(val)) => {
                v.push(flag);
                v.push(val);
                i += 2;
            }
            (_, None) => {
                v.push(flag);
                i += 1;
            }
        }
    }
    run(&v)
}

fn draw(extra: &[&str]) -> Step {
    with(
        &[
            "draw",
            "--extract",
            "IN/x.csv",
            "--plan",
            "OUT/plan.json",
            "--seed",
            "7",
            "-o",
            "OUT/m.csv",
        ],
        extra,
    )
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap_or(serde_json::Value::Null)
}

/// The values of a CSV column (`,` or `;`), header excluded.
fn column(text: &str, name: &str) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}');
    let sep = if text.lines().next().unwrap_or("").contains(';') {
        ';'
    } else {
        ','
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(sep).collect();
    let j = header.iter().position(|h| h.trim_matches('"') == name);
    lines
        .map(|l| {
            j.and_then(|j| l.split(sep).nth(j))
                .unwrap_or("")
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

fn ensure(ok: bool, what: impl Into<String>) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.into())
    }
}

fn nested(depth: usize) -> String {
    format!("{}sidor > 1{}", "(".repeat(depth), ")".repeat(depth))
}

fn parquet_with_types(include_binary: bool) -> Vec<u8> {
    use arrow_array::{
        ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray, StructArray,
        TimestampMillisecondArray,
    };
    use arrow_schema::{DataType, Field};
    use std::sync::Arc;
    let n = 40;
    let keys: Vec<String> = (0..n).map(pnr).collect();
    let kommun: Vec<&str> = (0..n).map(|i| ["0180", "1480"][i % 2]).collect();
    // 2024-03-01T09:30:00Z plus i hours.
    let ts: Vec<i64> = (0..n as i64)
        .map(|i| 1_709_285_400_000 + i * 3_600_000)
        .collect();
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        ("pnr", Arc::new(StringArray::from(keys))),
        ("kommunkod", Arc::new(StringArray::from(kommun))),
        (
            "inkommet",
            Arc::new(TimestampMillisecondArray::from(ts).with_timezone("Europe/Stockholm")),
        ),
        (
            "detalj",
            Arc::new(StructArray::from(vec![(
                Arc::new(Field::new("sidor", DataType::Int64, true)),
                Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())) as ArrayRef,
            )])),
        ),
    ];
    if include_binary {
        let bytes: Vec<&[u8]> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    b"ok".as_ref()
                } else {
                    b"\xff\xfe".as_ref()
                }
            })
            .collect();
        cols.push(("blob", Arc::new(BinaryArray::from(bytes))));
    }
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    buf
}

fn cases() -> Vec<Case> {
    let x = extract(200, &[]);
    let secret = b"a pseudonymisation secret of 32+ bytes\n".to_vec();
    let xs = |extra: &[String]| extract(200, extra);
    let one_stratum = xs(&[format!("{};2583;aldre;5;2024-01-01;ok", pnr(900))]);
    let two_stratum = xs(&[
        format!("{};2582;aldre;5;2024-01-01;ok", pnr(901)),
        format!("{};2582;aldre;5;2024-01-01;ok", pnr(902)),
    ]);
    let headerless = {
        let t = String::from_utf8(x.clone()).unwrap();
        t.lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes()
    };
    let quote_at_300 = {
        let mut s = String::from(HEADER);
        for i in 0..1000 {
            s.push('\n');
            let r = row(i);
            if i == 299 {
                s.push_str(&r.replacen(";aldre", ";\"aldre", 1).replacen(
                    ";barn_unga",
                    ";\"barn_unga",
                    1,
                ));
            } else {
                s.push_str(&r);
            }
        }
        s.push('\n');
        s.into_bytes()
    };
    let pipeline = |step: &str| -> Vec<u8> {
        format!("outputs = \"../out/gen\"\nextract = [\"x.csv\"]\nkey = \"pnr\"\n[[step]]\ncommand = \"plan\"\nstrata = \"kommunkod\"\ntotal = 20\noutput = \"plan.json\"\n{step}").into_bytes()
    };
    let plan_strata = |strata: &str| -> Step {
        run(&[
            "plan",
            "--extract",
            "IN/x.csv",
            "--key",
            "pnr",
            "--strata",
            strata,
            "--total",
            "30",
            "-o",
            "OUT/plan.json",
        ])
    };
    let req_file = |body: &str| -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("x.csv", x.clone()),
            (
                "req.csv",
                format!("kommunkod,requested\n{body}").into_bytes(),
            ),
        ]
    };
    let report_req = run(&[
        "report",
        "--plan",
        "OUT/plan.json",
        "--requested-file",
        "IN/req.csv",
        "-o",
        "OUT/r.html",
    ]);
    let edit_split = |sep: &str| -> Vec<u8> {
        let values = ["a/b", "a\\b", "a_b", "", "~", "_", "m.csv", "m"];
        let mut s = String::from("pnr;grupp;kommunkod\n");
        for i in 0..80 {
            s.push_str(&format!("{};{};0180\n", pnr(i), values[i % values.len()]));
        }
        let _ = sep;
        s.into_bytes()
    };
    let mut fifo_setup = Vec::new();
    fifo_setup.push(Step::Do(Box::new(|input: &Path, _| {
        let f = input.join("fifo.csv");
        let ok = std::process::Command::new("mkfifo")
            .arg(&f)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "mkfifo");
    })));
    fifo_setup.push(run(&[
        "plan",
        "--extract",
        "IN/fifo.csv",
        "--key",
        "pnr",
        "--strata",
        "kommunkod",
        "--total",
        "3",
        "-o",
        "OUT/plan.json",
    ]));

    vec![
        // 1. No prn that a dictionary attack could invert.
        case(1, "pseudonymized manifest: no prn", vec![("x.csv", x.clone()), ("secret", secret.clone())], vec![run(PLAN), draw(&["--pseudonymize", "pnr", "--secret-file", "IN/secret"])], Expect::Ok("sidecar"))
            .check(|out, _, _| {
                let m = read(&out.join("m.csv"));
                ensure(column(&m, "prn").iter().all(String::is_empty), format!("prn in {m}"))?;
                ensure(json(&out.join("m.csv.draw.json"))["prn_in_manifest"] == false, "prn_in_manifest")
            }),
        case(1, "personnummer key found without --personal: no prn", vec![("x.csv", x.clone())], vec![run(PLAN), draw(&[])], Expect::Ok("sidecar"))
            .keys_in(&["m.csv"])
            .check(|out, _, _| ensure(column(&read(&out.join("m.csv")), "prn").iter().all(String::is_empty), "prn written")),
        case(1, "--personal key: no prn", vec![("x.csv", x.clone())], vec![run(PLAN), draw(&["--personal", "pnr"])], Expect::Ok("sidecar"))
            .keys_in(&["m.csv"])
            .check(|out, _, _| ensure(column(&read(&out.join("m.csv")), "prn").iter().all(String::is_empty), "prn written")),
        case(1, "verify recomputes the prn of a pseudonymized manifest", vec![("x.csv", x.clone()), ("secret", secret.clone())],
            vec![run(PLAN), draw(&["--pseudonymize", "pnr", "--secret-file", "IN/secret"]), run(&["verify", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--manifest", "OUT/m.csv", "--secret-file", "IN/secret"])],
            Expect::Ok("identical")),
        // 2. No fingerprint of a small stratum.
        case(2, "a one-record stratum has no fingerprint", vec![("x.csv", one_stratum)], vec![run(PLAN)], Expect::Ok("Plan written"))
            .check(|out, _, _| {
                let p = json(&out.join("plan.json"));
                let s = p["strata"].as_array().unwrap().iter().find(|s| s["values"]["kommunkod"] == "2583").cloned().unwrap_or_default();
                ensure(s["population"] == 1 && s["fingerprint"] == "", format!("{s}"))
            }),
        case(2, "--personal: a two-record stratum has no fingerprint", vec![("x.csv", two_stratum)], vec![with(PLAN, &["--personal", "pnr"])], Expect::Ok("Plan written"))
            .check(|out, _, _| {
                let p = json(&out.join("plan.json"));
                let s = p["strata"].as_array().unwrap().iter().find(|s| s["values"]["kommunkod"] == "2582").cloned().unwrap_or_default();
                ensure(s["population"] == 2 && s["fingerprint"] == "", format!("{s}"))?;
                let big = p["strata"].as_array().unwrap().iter().find(|s| s["values"]["kommunkod"] == "0180").cloned().unwrap_or_default();
                ensure(big["fingerprint"] != "", "a large stratum lost its fingerprint")
            }),
        // 3. No hash or length of a secret in the run manifest.
        case(3, "run manifest: a secret named, never hashed", vec![("x.csv", x.clone()), ("secret", secret.clone()), ("p.toml", pipeline("[[step]]\ncommand = \"draw\"\nplan = \"plan.json\"\nseed = 3\npseudonymize = \"pnr\"\nsecret_file = \"secret\"\noutput = \"m.csv\"\n"))],
            vec![run(&["run", "IN/p.toml", "--outputs", "OUT/gen"])], Expect::Ok("run-manifest.json"))
            .check(|out, _, _| {
                let text = read(&out.join("gen/run-manifest.json"));
                let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                let inputs = v["inputs"].as_array().cloned().unwrap_or_default();
                let s = inputs.iter().find(|i| i["path"].as_str().is_some_and(|p| p.ends_with("secret"))).cloned().unwrap_or_default();
                ensure(s != serde_json::Value::Null, format!("the secret is not listed: {text}"))?;
                ensure(s.get("bytes").is_none_or(|v| v.is_null()) && s.get("xxh3_128").is_none_or(|v| v.is_null()), format!("the secret's size or hash: {s}"))
            }),
        // 4. Values echoed in messages.
        case(4, "headerless CSV: the first row is not echoed", vec![("x.csv", headerless.clone())], vec![run(PLAN)], Expect::Fails(2, "column \"pnr\" not found")),
        case(4, "validate on a headerless CSV", vec![("x.csv", headerless.clone())], vec![run(&["validate", "--extract", "IN/x.csv", "--personnummer", "pnr"])], Expect::Fails(2, "column \"pnr\" not found")),
        case(4, "headerless .txt in a directory", vec![("d/a.txt", headerless.clone())], vec![run(&["plan", "--extract", "IN/d", "--key", "pnr", "--strata", "kommunkod", "--total", "3", "-o", "OUT/plan.json"])], Expect::Fails(2, "not found")),
        case(4, "a row with an extra field: masked whole", vec![("x.csv", xs(&[format!("{};0180;aldre;1;2024-01-01;ok;extra", pnr(950))]))], vec![with(PLAN, &["--personal", "pnr", "--max-quarantine", "100%"])], Expect::Ok("quarantined 1"))
            .check(|out, _, _| ensure(read(&out.join("plan.quarantine.csv")).contains("<personal>"), "not masked")),
        case(4, "a shifted row: masked whole", vec![("x.csv", xs(&[format!("0180;{};aldre;1;2024-01-01", pnr(951))]))], vec![with(PLAN, &["--personal", "pnr", "--max-quarantine", "100%"])], Expect::Ok("quarantined 1")),
        case(4, "a shifted row without --personal: redacted by pattern", vec![("x.csv", xs(&[format!("0180;{};aldre;1;2024-01-01", pnr(952))]))], vec![with(PLAN, &["--max-quarantine", "100%"])], Expect::Ok("quarantined 1")),
        case(4, "a personnummer in the pages column: reason redacted", vec![("x.csv", xs(&[format!("{};0180;aldre;{};2024-01-01;ok", pnr(953), pnr(954))]))], vec![with(PLAN, &["--pages-column", "sidor", "--max-quarantine", "100%"])], Expect::Ok("quarantined 1"))
            .check(|out, _, _| ensure(read(&out.join("plan.quarantine.csv")).contains("is not a non-negative number"), "reason")),
        case(4, "verify differences: keys not printed", vec![("x.csv", x.clone())],
            vec![run(PLAN), draw(&[]), Step::Do(Box::new(|_, out: &Path| {
                let m = out.join("m.csv");
                let t = read(&m);
                let first = column(&t, "pnr")[0].clone();
                std::fs::write(&m, t.replace(&first, &pnr(960))).unwrap();
            })), run(&["verify", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--manifest", "OUT/m.csv"])],
            Expect::Fails(1, "in the manifest but not drawn")).keys_in(&["m.csv"]),
        case(4, "duplicate personnummer keys: counts, not keys", vec![("x.csv", xs(&[row(5), row(6)]))], vec![run(PLAN)], Expect::Fails(2, "2 keys occur more than once")),
        // 5. Expressions without a bound.
        case(5, "--where nested 5,000 deep", vec![("x.csv", x.clone())], vec![with(PLAN, &["--where", &nested(5000)])], Expect::Fails(2, "at most 10000")),
        case(5, "--where nested 300 deep", vec![("x.csv", x.clone())], vec![with(PLAN, &["--where", &nested(300)])], Expect::Fails(2, "nests more than 256 levels deep")),
        case(5, "a flat sum of 20,000 terms", vec![("x.csv", x.clone())], vec![with(PLAN, &["--where", &format!("sidor > {}", vec!["1"; 20_000].join("+"))])], Expect::Fails(2, "at most 10000")),
        case(5, "NOT × 20,000", vec![("x.csv", x.clone())], vec![with(PLAN, &["--check", &format!("{}sidor > 0", "NOT ".repeat(20_000))])], Expect::Fails(2, "at most 10000")),
        case(5, "a plan.json whose where is nested 20,000 deep", vec![("x.csv", x.clone())],
            vec![run(PLAN), Step::Do(Box::new(|_, out: &Path| {
                let p = out.join("plan.json");
                let mut v = json(&p);
                v["where"] = nested(20_000).into();
                std::fs::write(&p, v.to_string()).unwrap();
            })), draw(&[])], Expect::Fails(2, "at most 10000")),
        case(5, "an indicator nested 1,000 deep", vec![("x.csv", x.clone()), ("spec.toml", format!("[[indicator]]\nname = 'deep'\nkind = 'share'\nexpr = '{}'\n", nested(1000)).into_bytes())],
            vec![run(&["indicators", "--extract", "IN/x.csv", "--key", "pnr", "--spec", "IN/spec.toml", "-o", "OUT/i.csv"])], Expect::Fails(2, "indicator \"deep\"")),
        // 6. Nothing lost.
        case(6, "an unterminated quote at row 300 of 1,000", vec![("x.csv", quote_at_300)], vec![with(PLAN, &["--max-quarantine", "100%"])], Expect::Ok("rows read 1,000 = used 999 + excluded by --where 0 + quarantined 1")),
        case(6, "a directory with .csv.gz, .bak and .dat parts", vec![("d/a.csv", x.clone()), ("d/b.csv.gz", b"x".to_vec()), ("d/c.bak", b"x".to_vec()), ("d/e.dat", b"x".to_vec())],
            vec![run(&["plan", "--extract", "IN/d", "--key", "pnr", "--strata", "kommunkod", "--total", "3", "-o", "OUT/plan.json"])], Expect::Fails(2, "b.csv.gz: unknown file type")),
        case(6, "the same with --skip-unknown: every skipped file listed", vec![("d/a.csv", x.clone()), ("d/b.csv.gz", b"x".to_vec()), ("d/c.bak", b"x".to_vec()), ("d/.hidden.csv", x.clone())],
            vec![run(&["plan", "--extract", "IN/d", "--key", "pnr", "--strata", "kommunkod", "--total", "3", "--skip-unknown", "-o", "OUT/plan.json"])], Expect::Ok("rows read 200"))
            .check(|_, stdout, stderr| {
                let all = format!("{stdout}{stderr}");
                ensure(["b.csv.gz", "c.bak", ".hidden.csv"].iter().all(|f| all.contains(f)), format!("skipped files not listed: {all}"))
            }),
        case(6, "--include a time-zone timestamp and a struct", vec![("x.parquet", parquet_with_types(false))],
            vec![run(&["plan", "--extract", "IN/x.parquet", "--key", "pnr", "--strata", "kommunkod", "--total", "40", "-o", "OUT/plan.json"]),
                 run(&["draw", "--extract", "IN/x.parquet", "--plan", "OUT/plan.json", "--seed", "1", "--include", "inkommet", "detalj", "--pseudonymize", "pnr", "--secret-file", "IN/secret", "-o", "OUT/m.csv"])],
            Expect::Ok("sidecar"))
            .check(|out, _, _| {
                let m = read(&out.join("m.csv"));
                let ts = column(&m, "inkommet");
                ensure(ts.contains(&"2024-03-01T10:30:00+01:00".to_string()), format!("timestamps: {ts:?}"))?;
                ensure(m.contains("{sidor: 0}"), format!("struct: {m}"))
            }),
        case(6, "--include non-UTF-8 bytes: refused by name", vec![("x.parquet", parquet_with_types(true))],
            vec![run(&["plan", "--extract", "IN/x.parquet", "--key", "pnr", "--strata", "kommunkod", "--total", "40", "-o", "OUT/plan.json"]),
                 run(&["draw", "--extract", "IN/x.parquet", "--plan", "OUT/plan.json", "--seed", "1", "--include", "blob", "--personal", "pnr", "-o", "OUT/m.csv"])],
            Expect::Fails(2, "column \"blob\" has type Binary")),
        case(6, "--split-by values that would collide", vec![("x.csv", edit_split(";"))],
            vec![Step::Do(Box::new(|_, out: &Path| std::fs::create_dir(out.join("parts")).unwrap())),
                 run(&["plan", "--extract", "IN/x.csv", "--key", "pnr", "--strata", "kommunkod", "--total", "80", "-o", "OUT/plan.json"]),
                 run(&["draw", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--seed", "1", "--include", "grupp", "--split-by", "grupp", "--out-dir", "OUT/parts", "-o", "OUT/m.csv"])],
            Expect::Ok("sidecar"))
            .keys_in(&["m.csv", "parts"])
            .check(|out, _, _| {
                let parts: Vec<PathBuf> = std::fs::read_dir(out.join("parts")).map_err(|e| e.to_string())?.map(|e| e.unwrap().path()).collect();
                ensure(parts.len() == 8, format!("{} files: {parts:?}", parts.len()))?;
                // One package folder per value, its list inside named after it.
                let list = |p: &PathBuf| p.join(format!("urval-{}.csv", p.file_name().unwrap().to_string_lossy()));
                let rows: usize = parts.iter().map(|p| read(&list(p)).lines().count().saturating_sub(1)).sum();
                ensure(rows == 80, format!("{rows} of 80 records in the parts"))
            }),
        case(6, "--out-dir not empty", vec![("x.csv", x.clone()), ("parts/old.csv", b"x".to_vec())],
            vec![run(PLAN), draw(&["--split-by", "kommunkod", "--out-dir", "IN/parts"])], Expect::Fails(2, "is not empty")),
        case(6, "-o is the extract", vec![("x.csv", x.clone())], vec![with(PLAN, &["-o", "IN/x.csv"])], Expect::Fails(2, "that is an input")),
        case(6, "-o is a hard link to the extract", vec![("x.csv", x.clone())],
            vec![Step::Do(Box::new(|input: &Path, _| std::fs::hard_link(input.join("x.csv"), input.join("link.json")).unwrap())), with(PLAN, &["-o", "IN/link.json"])],
            Expect::Fails(2, "that is an input")),
        case(6, "a pipeline step writing over its extract", vec![("x.csv", x.clone()), ("p.toml", b"outputs = \".\"\nextract = [\"x.csv\"]\nkey = \"pnr\"\n[[step]]\ncommand = \"plan\"\nstrata = \"kommunkod\"\ntotal = 20\noutput = \"x.csv\"\n".to_vec())],
            vec![run(&["run", "IN/p.toml"])], Expect::Fails(2, "a directory that urval run did not make")),
        // 7. One atomic commit.
        case(7, "verify refuses a manifest changed after the draw", vec![("x.csv", x.clone()), ("secret", secret.clone())],
            vec![run(PLAN), draw(&["--pseudonymize", "pnr", "--secret-file", "IN/secret"]), Step::Do(Box::new(|_, out: &Path| {
                let m = out.join("m.csv");
                let t = read(&m);
                std::fs::write(&m, t.replacen("0180", "0181", 1)).unwrap();
            })), run(&["verify", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--manifest", "OUT/m.csv", "--secret-file", "IN/secret"])],
            Expect::Fails(1, "checksums differ")),
        case(7, "a failed draw leaves the earlier manifest and sidecar together", vec![("x.csv", x.clone()), ("secret", secret.clone()), ("parts/old.csv", b"x".to_vec())],
            vec![run(PLAN), draw(&["--pseudonymize", "pnr", "--secret-file", "IN/secret"]),
                 with(&["draw", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--seed", "8", "-o", "OUT/m.csv", "--pseudonymize", "pnr", "--secret-file", "IN/secret", "--split-by", "kommunkod", "--out-dir", "IN/parts"], &[]),
            ],
            Expect::Fails(2, "is not empty"))
            .check(|out, _, _| ensure(json(&out.join("m.csv.draw.json"))["seed"] == 7, "the sidecar changed")),
        // 8. Injection.
        case(8, "formula cells in an --include column are neutralised", vec![("x.csv", xs(&[format!("{};0180;aldre;5;2024-01-01;=HYPERLINK(\"http://x\")", pnr(970))]))],
            vec![with(PLAN, &["--total", "201"]), draw(&["--include", "anteckning", "--pseudonymize", "pnr", "--secret-file", "IN/secret"])], Expect::Ok("sidecar"))
            .check(|out, _, _| {
                let m = read(&out.join("m.csv"));
                ensure(m.contains("'=HYPERLINK") && !m.contains(",=HYPERLINK") && !m.contains("\"=HYPERLINK"), "a formula cell in the manifest")
            }),
        case(8, "Markdown report: a stratum value with HTML and a link", vec![("x.csv", xs(&[format!("{};<script>x</script>;[a](javascript:b);5;2024-01-01;ok", pnr(971))]))],
            vec![plan_strata("kommunkod,område"), run(&["report", "--plan", "OUT/plan.json", "-o", "OUT/r.md"])], Expect::Ok("r.md"))
            .check(|out, _, _| {
                let md = read(&out.join("r.md"));
                ensure(!md.contains("<script>") && !md.contains("[a](javascript:"), format!("raw HTML or link in the Markdown: {md}"))
            }),
        case(8, "the printed verify command is shell-quoted", vec![("a b$(x).csv", x.clone()), ("secret", secret.clone())],
            vec![Step::Do(Box::new(|_, out: &Path| std::fs::create_dir(out.join("a b$(x)")).unwrap())),
                 run(&["plan", "--extract", "IN/a b$(x).csv", "--key", "pnr", "--strata", "kommunkod", "--total", "30", "-o", "OUT/a b$(x)/plan.json"]),
                 run(&["draw", "--extract", "IN/a b$(x).csv", "--plan", "OUT/a b$(x)/plan.json", "--seed", "7", "--pseudonymize", "pnr", "--secret-file", "IN/secret", "-o", "OUT/a b$(x)/m.csv"])],
            Expect::Ok("a b$(x)/m.csv'")),
        // 9. Bounded resources.
        case(9, "--by the key exceeds --max-groups", vec![("x.csv", x.clone()), ("spec.toml", b"[[indicator]]\nname = 'n'\nkind = 'count'\n".to_vec())],
            vec![run(&["indicators", "--extract", "IN/x.csv", "--key", "pnr", "--spec", "IN/spec.toml", "--by", "pnr", "--max-groups", "50", "-o", "OUT/i.csv"])], Expect::Fails(2, "--max-groups")),
        case(9, "evaluate on a billion records, at once", vec![], vec![run(&["evaluate", "--sample", "500000000", "--deviations", "250000000", "--population", "1000000000"])], Expect::Ok("50.00 %")),
        case(9, "size against a tolerable rate of 1e-9", vec![], vec![run(&["size", "--tolerable-rate", "1e-9", "--population", "18446744073709551615"])], Expect::Fails(2, "tolerable rate must be in")),
        // 10. Wrong numbers.
        case(10, "a margin of 1e-160", vec![], vec![run(&["size", "--margin", "1e-160", "--population", "767"])], Expect::Fails(2, "margin must be in")),
        case(10, "a margin of 1e-300", vec![], vec![run(&["size", "--margin", "1e-300", "--population", "767"])], Expect::Fails(2, "margin must be in")),
        case(10, "a design effect of 1e308", vec![], vec![run(&["size", "--margin", "0.05", "--deff", "1e308", "--population", "767"])], Expect::Fails(2, "design effect must be")),
        case(10, "the exact hypergeometric bound at N = 10^17", vec![], vec![run(&["evaluate", "--sample", "1000", "--deviations", "500", "--population", "100000000000000000"])], Expect::Ok("52.65 %")),
        case(10, "--requested above the population", vec![("x.csv", x.clone())], vec![with(PLAN, &["--requested", "100000"])], Expect::Fails(2, "100000")),
        case(10, "--requested-file above N_h", req_file("0180,1000\n"), vec![run(PLAN), report_req], Expect::Fails(2, "has only N = 67")),
        case(10, "--requested-file with 2^63", req_file("0180,9223372036854775808\n"), vec![run(PLAN), run(&["report", "--plan", "OUT/plan.json", "--requested-file", "IN/req.csv", "-o", "OUT/r.html"])], Expect::Fails(2, "has only N = 67")),
        case(10, "--requested-file above 2^64", req_file("0180,36893488147419103232\n"), vec![run(PLAN), run(&["report", "--plan", "OUT/plan.json", "--requested-file", "IN/req.csv", "-o", "OUT/r.html"])], Expect::Fails(2, "is not a whole number")),
        case(10, "--requested-file with a stratum twice", req_file("0180,5\n0180,6\n"), vec![run(PLAN), run(&["report", "--plan", "OUT/plan.json", "--requested-file", "IN/req.csv", "-o", "OUT/r.html"])], Expect::Fails(2, "is listed twice")),
        case(10, "--requested-file with a word", req_file("0180,many\n"), vec![run(PLAN), run(&["report", "--plan", "OUT/plan.json", "--requested-file", "IN/req.csv", "-o", "OUT/r.html"])], Expect::Fails(2, "is not a whole number")),
        // 11. Clear errors.
        case(11, "every row excluded: the breakdown", vec![("x.csv", x.clone())], vec![with(PLAN, &["--where", "sidor < 0"])], Expect::Fails(2, "keeps no rows"))
            .multiline()
            .check(|_, _, stderr| ensure(stderr.contains("rows read 200 = used 0 + excluded by --where 200 + quarantined 0"), "no breakdown")),
        case(11, "every row quarantined: the breakdown and the quarantine file", vec![("x.csv", x.clone())], vec![with(PLAN, &["--check", "sidor < 0"])], Expect::Fails(2, "200 of 200 rows read (100.0 %) were quarantined"))
            .multiline()
            .check(|out, _, stderr| {
                ensure(stderr.contains("200 rows: check failed: sidor < 0"), "no breakdown by reason")?;
                ensure(out.join("plan.quarantine.csv").exists(), "no quarantine file")
            }),
        case(11, "a key that is not UTF-8", vec![("x.csv", { let mut b = x.clone(); b.extend_from_slice(b"\xff\xfe19;0180;aldre;1;2024-01-01;ok\n"); b })],
            vec![with(PLAN, &["--encoding", "utf-8", "--max-quarantine", "100%"])], Expect::Ok("quarantined 1"))
            .check(|out, _, _| ensure(read(&out.join("plan.quarantine.csv")).contains("not valid UTF-8"), "reason")),
        case(11, "a FIFO", vec![], fifo_setup, Expect::Fails(2, "is a FIFO (named pipe), not a regular file")),
        case(11, "a header naming a column twice", vec![("x.csv", String::from_utf8(x.clone()).unwrap().replacen("område", "kommunkod", 1).into_bytes())], vec![run(PLAN)], Expect::Fails(2, "appears more than once in the header (columns 2 and 3)")),
        case(11, "verify after --start 0.9999999999999999", vec![("x.csv", x.clone()), ("secret", secret.clone())],
            vec![run(PLAN), draw(&["--start", "0.9999999999999999", "--pseudonymize", "pnr", "--secret-file", "IN/secret"]), run(&["verify", "--extract", "IN/x.csv", "--plan", "OUT/plan.json", "--manifest", "OUT/m.csv", "--secret-file", "IN/secret"])],
            Expect::Ok("start 0.9999999999999999")),
        case(11, "--where starting with a minus sign", vec![("x.csv", x.clone())], vec![with(PLAN, &["--where", "-sidor < -100"])], Expect::Ok("excluded by --where 91")),
        case(11, "a TOML error on a 200 KB line", vec![("x.csv", x.clone()), ("p.toml", format!("outputs = \"o\"\nextract = [\"x.csv\"]\nkey = \"pnr\"\nx = [{}\n", "1,".repeat(100_000)).into_bytes())],
            vec![run(&["run", "IN/p.toml"])], Expect::Fails(2, "not a valid pipeline"))
            .check(|_, _, stderr| ensure(stderr.len() < 400, format!("{} bytes of error", stderr.len()))),
    ]
}

fn resolve(args: &[String], input: &Path, out: &Path) -> Vec<String> {
    args.iter()
        .map(|a| {
            let a = a.replace("IN/", &format!("{}/", input.display()));
            a.replace("OUT/", &format!("{}/", out.display()))
        })
        .collect()
}

/// Every file below `dir`, with its path relative to `dir`.
fn files_below(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                    p,
                ));
            }
        }
    }
    out
}

#[test]
fn the_hostile_corpus() {
    let root = tempfile::tempdir().unwrap();
    let secret = b"a pseudonymisation secret of 32+ bytes\n";
    let all: Vec<Case> = cases();
    let mut items = std::collections::BTreeSet::new();
    let numbers: Vec<String> = (0..1000).map(pnr).collect();
    let needles = forms(&numbers);
    let mut failures = Vec::new();
    for (i, case) in all.iter().enumerate() {
        items.insert(case.item);
        let input = root.path().join(format!("case{i:02}"));
        let out = input.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(input.join("secret"), secret).unwrap();
        for (name, bytes) in &case.files {
            let p = input.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let mut texts: Vec<String> = Vec::new();
        let mut last: Option<(std::process::Output, Vec<String>)> = None;
        for (k, step) in case.steps.iter().enumerate() {
            match step {
                Step::Do(f) => f(&input, &out),
                Step::Run(args) => {
                    let args = resolve(args, &input, &out);
                    let o = urval().args(&args).output().unwrap();
                    texts.push(String::from_utf8_lossy(&o.stdout).into_owned());
                    texts.push(String::from_utf8_lossy(&o.stderr).into_owned());
                    if k + 1 < case.steps.len() {
                        assert!(
                            o.status.success(),
                            "{}: step {k} failed: {}",
                            case.name,
                            texts.last().unwrap()
                        );
                    }
                    last = Some((o, args));
                }
            }
        }
        let (o, args) = last.unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let mut problem =
            |what: String| failures.push(format!("item {} — {}: {what}", case.item, case.name));
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        match case.expect {
            Expect::Ok(text) => {
                if o.status.code() != Some(0) {
                    problem(format!("exit {:?}: {stderr}", o.status.code()));
                } else if !stdout.contains(text) {
                    problem(format!("expected {text:?} in {stdout}"));
                }
            }
            Expect::Fails(code, text) => {
                let msg = if code == 1 {
                    format!("{stdout}{stderr}")
                } else {
                    stderr.clone()
                };
                if o.status.code() != Some(code) {
                    problem(format!(
                        "exit {:?} (expected {code}): {stdout}{stderr}",
                        o.status.code()
                    ));
                } else if !msg.contains(text) {
                    problem(format!("expected {text:?} in {msg}"));
                } else if code == 2 && !case.multiline && stderr.trim_end().lines().count() != 1 {
                    problem(format!("not one line: {stderr}"));
                }
            }
        }
        if let Some(check) = &case.check {
            if let Err(e) = check(&out, &stdout, &stderr) {
                problem(e);
            }
        }
        // The same last command with every log line on: what it logs is searched too.
        let mut loud = args.clone();
        loud.insert(1, "-vv".into());
        if !matches!(case.steps.last(), Some(Step::Run(a)) if a[0] == "run") {
            let o2 = urval()
                .args(&loud)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            texts.push(String::from_utf8_lossy(&o2.stderr).into_owned());
        }
        let mut places: Vec<(String, String)> = texts
            .into_iter()
            .map(|t| ("stdout/stderr".to_string(), t))
            .collect();
        for (rel, p) in files_below(&out) {
            if case
                .keys_allowed_in
                .iter()
                .any(|a| rel == *a || rel.starts_with(&format!("{a}/")))
            {
                continue;
            }
            places.push((
                rel,
                String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned(),
            ));
        }
        for (place, text) in &places {
            if let Some(n) = needles.iter().find(|n| text.contains(n.as_str())) {
                problem(format!("personnummer {n} in {place}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert_eq!(
        items.len(),
        11,
        "every numbered finding has a case: {items:?}"
    );
    assert!(all.len() >= 40, "{} cases", all.len());
}
