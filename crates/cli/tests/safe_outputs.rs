//! Outputs that stay safe where they are opened: a report's print CSS that text cannot
//! leave, CSV files a spreadsheet cannot run formulas from, Markdown code spans a file
//! name cannot close, no temporary file left by a full disk, a lock message that says
//! what it knows, and `--split-by` file names every file system keeps apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{p, run, run_ok};

use std::path::{Path, PathBuf};

/// The column of included text that holds hostile values in some rows.
const FORMULA_COLUMN: &str = "=HYPERLINK(A2)";

/// An extract of `n` rows, `;`-separated: a key, a stratum (`kommun`), a unit whose values
/// differ only in case or are Windows device names (`enhet`), a group of 400 values
/// (`grupp`), a note that holds `x;=1+1` in every seventh row, and a column named like a
/// formula.
fn extract(dir: &Path, n: usize) -> PathBuf {
    let units = [
        "0180",
        "Äldreomsorg",
        "Motala",
        "MOTALA",
        "CON",
        "nul.txt",
        "a:b",
        "slut.",
    ];
    let mut s = format!("id;kommun;enhet;grupp;anteckning;{FORMULA_COLUMN}\n");
    for i in 0..n {
        s.push_str(&format!(
            "K{i:05};{};{};g{};{};{}\n",
            ["0180", "1480", "2584"][i % 3],
            units[i % units.len()],
            i % 400,
            if i % 7 == 0 { "\"x;=1+1\"" } else { "ok" },
            if i % 5 == 0 { "-3" } else { "=1+1" },
        ));
    }
    let path = dir.join("e.csv");
    std::fs::write(&path, s).unwrap();
    path
}

/// A plan over `extract` (about 800 records of 4,000).
fn plan(dir: &Path, extract: &Path) -> PathBuf {
    let plan = dir.join("plan.json");
    run_ok(&[
        "plan",
        "--extract",
        p(extract),
        "--key",
        "id",
        "--strata",
        "kommun",
        "--margin",
        "0.03",
        "--allocation",
        "proportional",
        "-o",
        p(&plan),
    ]);
    plan
}

/// The files in `dir` whose names hold `.tmp-`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

/// Run urval with a file-size limit of 8 KiB (SIGXFSZ ignored, so a write past it fails
/// with EFBIG as on a full disk): (exit code, stdout, stderr).
fn with_full_disk(args: &[&str]) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("urval");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"")
        .arg(&bin)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads the CSS string that starts `s` (CSS Syntax 3, "consume a string token"): its
/// value, and the rest of `s`; `None` when a raw line break makes it a bad string or it
/// does not end.
fn css_string(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &body[i + 1..])),
            '\n' | '\r' | '\u{c}' => return None,
            '\\' => {
                let mut hex = String::new();
                while let Some(&(_, h)) = chars.peek() {
                    if h.is_ascii_hexdigit() && hex.len() < 6 {
                        hex.push(h);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if hex.is_empty() {
                    value.push(chars.next()?.1);
                    continue;
                }
                if chars.peek().is_some_and(|&(_, w)| w == ' ') {
                    chars.next();
                }
                value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            c => value.push(c),
        }
    }
    None
}

/// The cells of a CSV line split on `sep` outside quotes, quotes removed (`""` is `"`).
fn cells(line: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// Finding 1: every control character and CSS in `--case-number` stays inside the running
/// head's CSS string; nothing in the page can fetch from the network.
#[test]
fn the_case_number_cannot_leave_the_print_css_string() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = plan(d, &extract(d, 600));
    let controls: String = (1u8..0x20).chain([0x7f]).map(char::from).collect();
    let case = format!("Dnr 1{controls}\"}}body{{background:url(http://example.invalid/x)}}'\\<>&");
    let html = d.join("r.html");
    run_ok(&[
        "report",
        "--plan",
        p(&plan),
        "--case-number",
        &case,
        "--date",
        "2026-11-24",
        "-o",
        p(&html),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    // The page's CSS (its <style> element; it has no style attributes) fetches nothing.
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(!style.contains("url("), "{style}");
    assert!(!page.contains("style="));
    let at = page.find("@top-left { content: ").unwrap() + "@top-left { content: ".len();
    let (head, rest) = css_string(&page[at..]).expect("the running head is one CSS string");
    assert!(
        head.contains(&format!("1{controls}\"}}body{{background:")),
        "{head:?}"
    );
    assert!(rest.starts_with("; font-size: 8pt;"), "{rest}");
    assert!(
        !style.chars().any(|c| c.is_control() && c != '\n'),
        "{style}"
    );
}

/// Finding 2: in the default CSV manifest, a column named like a formula and a value that
/// Swedish Excel would split on `;` are neutralised and quoted; numbers stay numbers, and
/// `verify` reads the manifest back as drawn.
#[test]
fn the_csv_manifest_runs_no_formula_in_any_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = extract(d, 4000);
    let plan = plan(d, &e);
    let m = d.join("m.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&e),
        "--plan",
        p(&plan),
        "--seed",
        "1",
        "--include",
        &format!("anteckning,{FORMULA_COLUMN}"),
        "-o",
        p(&m),
    ]);
    let text = std::fs::read_to_string(&m).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "id,kommun,prn,inclusion_probability,weight,anteckning,'=HYPERLINK(A2)"
    );
    assert!(text.contains(",\"x;=1+1\","), "{text}");
    assert!(text.contains(",'=1+1\n"), "{text}");
    // No cell of the file, read as Excel reads it with `,` or with `;` as the separator,
    // starts a formula.
    for sep in [',', ';'] {
        for line in text.lines() {
            for cell in cells(line, sep) {
                assert!(!cell.starts_with(['=', '+', '@']), "{cell:?} in {line:?}");
            }
        }
    }
    run_ok(&[
        "verify",
        "--extract",
        p(&e),
        "--plan",
        p(&plan),
        "--manifest",
        p(&m),
    ]);
}

/// Finding 3: a backtick in the plan's file name stays inside the code span on the
/// Markdown report's third line; no link comes of it.
#[test]
fn a_backtick_in_the_plan_name_makes_no_markdown_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = plan(d, &extract(d, 600));
    let odd = d.join("p`[klicka](mailto:a@example.invalid)`.json");
    std::fs::copy(&plan, &odd).unwrap();
    let md = d.join("r.md");
    run_ok(&["report", "--plan", p(&odd), "-o", p(&md)]);
    let text = std::fs::read_to_string(&md).unwrap();
    let line = text.lines().nth(2).unwrap();
    assert!(
        line.contains(", plan ``p`[klicka](mailto:a@example.invalid)`.json``, urval "),
        "{line}"
    );
}

/// Finding 4: a write that fails (the disk full) exits 2 with one line naming the file,
/// leaves no temporary file and the previous output as it was — for `draw` and for
/// `indicators`.
#[test]
fn a_full_disk_leaves_no_temporary_file_and_names_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = extract(d, 4000);
    let plan = plan(d, &e);
    for name in ["m.csv", "m.parquet", "m.xlsx"] {
        let m = d.join(name);
        std::fs::write(&m, "the previous manifest\n").unwrap();
        let (code, _, err) = with_full_disk(&[
            "draw",
            "--extract",
            p(&e),
            "--plan",
            p(&plan),
            "--seed",
            "1",
            "-o",
            p(&m),
        ]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("writing {}", m.display())), "{err}");
        assert!(err.contains("File too large"), "{err}");
        assert_eq!(temporaries(d), Vec::<String>::new());
        assert_eq!(
            std::fs::read_to_string(&m).unwrap(),
            "the previous manifest\n"
        );
    }

    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        "[[indicator]]\nname = \"noted\"\nkind = \"share\"\nexpr = \"anteckning = 'ok'\"\n",
    )
    .unwrap();
    for out in ["ind.csv", "ind.json", "ind.xlsx"] {
        let out = d.join(out);
        let (code, _, err) = with_full_disk(&[
            "indicators",
            "--extract",
            p(&e),
            "--spec",
            p(&spec),
            "--by",
            "kommun,grupp",
            "-o",
            p(&out),
        ]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&out.display().to_string()), "{err}");
        assert!(!out.exists());
        assert_eq!(temporaries(d), Vec::<String>::new());
    }
}

/// Finding 4, `urval run`: a step that fails on a full disk leaves no generation behind
/// (nothing of it fills the disk) and the message names the file.
#[test]
fn a_run_that_fills_the_disk_leaves_no_generation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = extract(d, 4000);
    let pipeline = d.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "outputs = \"{}\"\nextract = [\"{}\"]\nkey = \"id\"\n\n[[step]]\ncommand = \"plan\"\nstrata = \"kommun\"\nmargin = 0.03\noutput = \"plan.json\"\n\n[[step]]\ncommand = \"draw\"\nplan = \"plan.json\"\nseed = 1\noutput = \"manifest.csv\"\n",
            p(&d.join("out")),
            p(&e)
        ),
    )
    .unwrap();
    let (code, _, err) = with_full_disk(&["run", p(&pipeline)]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("manifest.csv: File too large"), "{err}");
    let left: Vec<String> = std::fs::read_dir(d.join(".out.generations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["lock"]);
    assert!(!d.join("out").exists());
}

/// Finding 5a: a lock held by a run that has not yet written its PID says so.
#[test]
fn a_lock_without_a_pid_says_the_pid_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = extract(d, 600);
    let pipeline = d.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "outputs = \"{}\"\nextract = [\"{}\"]\nkey = \"id\"\n\n[[step]]\ncommand = \"plan\"\nstrata = \"kommun\"\nmargin = 0.1\noutput = \"plan.json\"\n",
            p(&d.join("out")),
            p(&e)
        ),
    )
    .unwrap();
    std::fs::create_dir(d.join(".out.generations")).unwrap();
    let lock = d.join(".out.generations/lock");
    let held = std::fs::File::create(&lock).unwrap();
    held.try_lock().unwrap();
    let (code, _, err) = run(&["run", p(&pipeline)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("another urval run (pid unknown) is writing these outputs"),
        "{err}"
    );
    assert!(!err.contains("pid )"), "{err}");
}

/// Finding 5b: `--split-by` names every part so that Windows and macOS keep them apart:
/// values that differ only in case get a suffix, device names a prefix, reserved
/// characters and a trailing dot are encoded; ordinary values keep their names.
#[test]
fn split_parts_are_named_safely_on_every_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = extract(d, 4000);
    let plan = plan(d, &e);
    let parts = d.join("parts");
    std::fs::create_dir(&parts).unwrap();
    let stdout = run_ok(&[
        "draw",
        "--extract",
        p(&e),
        "--plan",
        p(&plan),
        "--seed",
        "1",
        "--include",
        "enhet",
        "--split-by",
        "enhet",
        "--out-dir",
        p(&parts),
        "-o",
        p(&d.join("m.csv")),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // One package folder per value.
    assert_eq!(
        names,
        [
            "0180",
            "MOTALA",
            "Motala_2",
            "_CON",
            "_nul.txt",
            "a%3Ab",
            "slut%2E",
            "Äldreomsorg",
        ]
    );
    assert!(
        stdout.contains("\"Motala\" is in Motala_2/ (another value differs from it only in case)")
            && stdout.contains("\"CON\" is in _CON/ (its name is a device on Windows)")
            && stdout.contains("\"nul.txt\" is in _nul.txt/"),
        "{stdout}"
    );
    assert!(!stdout.contains("Äldreomsorg/"), "{stdout}");
    // Each part holds its own value's rows.
    let motala = std::fs::read_to_string(parts.join("Motala_2/urval-Motala_2.csv")).unwrap();
    assert!(
        motala.lines().skip(1).all(|l| l.ends_with(",Motala")),
        "{motala}"
    );
}
