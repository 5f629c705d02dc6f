//! `urval report` end to end in a real browser: the seed's case (767 journals, ±5 points at
//! 95 % → 257 needed) rendered by headless Chromium in Swedish and English. The page must
//! load with no console message (the check is calibrated on a page that logs one), show the
//! key figures, and a screenshot of each is kept under target/tmp/ as an artifact.
//!
//! A national report (1,160 municipality × area strata, a domain design, indicators by
//! municipality) must stay readable: its height, folded tables, no SVG label outside its
//! plot (every text's box measured in Chromium; calibrated on a label that is outside),
//! attached tables, and printed on A4 (`--print-to-pdf`, pages read back with poppler):
//! every page carries the running head and its number, and no table row is cut between
//! pages (calibrated on a table that is cut). One municipality's report from the same plan
//! names it, places it in the national request and counts the records it shares with a
//! previous request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn urval() -> Command {
    Command::cargo_bin("urval").unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn chromium() -> PathBuf {
    if let Some(c) = std::env::var_os("URVAL_CHROMIUM") {
        return PathBuf::from(c);
    }
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = std::process::Command::new("which").arg(c).output() {
            if out.status.success() {
                return PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
            }
        }
    }
    panic!("no Chromium: `make test` installs Debian's chromium; or set URVAL_CHROMIUM");
}

/// Load a page in headless Chromium: its DOM after load, and the console messages.
fn load(page: &Path, screenshot: Option<&Path>) -> (String, Vec<String>) {
    load_sized(page, screenshot, 2400)
}

fn load_sized(page: &Path, screenshot: Option<&Path>, height: u32) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    cmd.arg(format!("--window-size=1000,{height}"));
    cmd.arg(format!("--user-data-dir={}", p(profile.path())));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", p(png))),
        None => cmd.arg("--dump-dom"),
    };
    cmd.arg(format!("file://{}", p(page)));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    // The serializer writes the no-break space of Swedish thousands as an entity.
    let dom = String::from_utf8(out.stdout)
        .unwrap()
        .replace("&nbsp;", "\u{a0}");
    (dom, console)
}

#[test]
fn the_report_renders_in_chromium_with_its_key_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The check can fail: a page that logs to the console is caught.
    let bad = d.join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><script>console.error('calibration')</script></body></html>",
    )
    .unwrap();
    let (_, console) = load(&bad, None);
    assert!(
        console.iter().any(|l| l.contains("calibration")),
        "console messages are not seen: {console:?}"
    );

    let extract = d.join("journals.csv");
    let mut text = String::from("case_id,municipality_code,area,pages\n");
    for i in 1..=767 {
        text.push_str(&format!("J-{i:04},0180,aldre,300\n"));
    }
    std::fs::write(&extract, text).unwrap();
    let plan = d.join("plan.json");
    let manifest = d.join("manifest.csv");
    urval()
        .args([
            "plan",
            "--extract",
            p(&extract),
            "--key",
            "case_id",
            "--strata",
            "municipality_code",
            "--margin",
            "0.05",
            "--pages-column",
            "pages",
            "--requested",
            "767",
            "-o",
            p(&plan),
        ])
        .assert()
        .success();
    urval()
        .args([
            "draw",
            "--extract",
            p(&extract),
            "--plan",
            p(&plan),
            "--seed",
            "20261123",
            "-o",
            p(&manifest),
        ])
        .assert()
        .success();
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (lang, figures) in [
        (
            "sv",
            [
                "257",
                "767",
                "510",
                "153\u{a0}000",
                "13,8",
                "Hur många akter behövs?",
            ],
        ),
        (
            "en",
            [
                "257",
                "767",
                "510",
                "153,000",
                "13.8",
                "How many records are needed?",
            ],
        ),
    ] {
        let html = d.join(format!("report-{lang}.html"));
        urval()
            .args([
                "report",
                "--plan",
                p(&plan),
                "--manifest",
                p(&manifest),
                "--lang",
                lang,
                "-o",
                p(&html),
            ])
            .assert()
            .success();
        let source = std::fs::read_to_string(&html).unwrap();
        assert!(source.contains(&format!("<html lang=\"{lang}\">")));
        assert!(
            !source.contains("<script") && !source.contains("src=") && !source.contains("url("),
            "the page loads nothing"
        );
        let (dom, console) = load(&html, None);
        assert!(console.is_empty(), "{lang}: console messages: {console:?}");
        for f in figures {
            assert!(dom.contains(f), "{lang}: {f:?} is not in the rendered page");
        }
        assert!(dom.contains("<svg"), "{lang}: no plot");
        assert!(
            dom.contains("urval verify --extract"),
            "{lang}: no verify command"
        );
        let png = artifacts.join(format!("report-{lang}.png"));
        let _ = std::fs::remove_file(&png);
        load(&html, Some(&png));
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
            "{lang}: screenshot"
        );
        eprintln!("screenshot: {}", png.display());
    }
}

/// Measures a page in Chromium: a copy of it with a script that records the document's
/// height, every SVG text whose box is not inside its SVG's box, and the folded tables.
fn measure(page: &Path) -> serde_json::Value {
    const SCRIPT: &str = r#"<script>
window.addEventListener('load', () => {
  const out = {height: document.documentElement.scrollHeight, clipped: [], details: 0, open: 0, rows: []};
  for (const svg of document.querySelectorAll('svg')) {
    const s = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      if (b.width === 0) continue;
      if (b.left < s.left - 0.5 || b.top < s.top - 0.5 || b.right > s.right + 0.5 || b.bottom > s.bottom + 0.5)
        out.clipped.push(t.textContent);
    }
  }
  for (const d of document.querySelectorAll('details')) { out.details++; if (d.open) out.open++; }
  for (const t of document.querySelectorAll('main > table, main > details + p + table, main table')) {
    if (!t.closest('details')) out.rows.push(t.querySelectorAll('tbody tr').length);
  }
  const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"#;
    let copy = page.with_extension("measure.html");
    let html = std::fs::read_to_string(page).unwrap();
    std::fs::write(&copy, html.replace("</body>", &format!("{SCRIPT}</body>"))).unwrap();
    let (dom, console) = load(&copy, None);
    assert!(console.is_empty(), "console messages: {console:?}");
    let start = dom
        .find("<pre id=\"measure\">")
        .expect("the measuring script ran")
        + 18;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// Print a page to PDF in Chromium (no browser header or footer: the page's own) and read
/// each page's text back with pdftotext.
fn print_pages(page: &Path, pdf: &Path) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", p(profile.path())))
        .arg(format!("--print-to-pdf={}", p(pdf)))
        .arg(format!("file://{}", p(page)))
        .output()
        .unwrap();
    assert!(out.status.success() && pdf.is_file(), "print to PDF failed");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", p(pdf), "-"])
        .output()
        .expect("pdftotext (poppler-utils): `make test` installs it");
    assert!(text.status.success());
    let mut pages: Vec<String> = String::from_utf8(text.stdout)
        .unwrap()
        .split('\u{c}')
        .map(String::from)
        .collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Pages on which a row that starts (`first`) does not end (`last`): a row cut in two. A
/// plot's label cut short with `…` is not a row.
fn cut_rows(pages: &[String], first: &str, last: &str) -> Vec<usize> {
    let count = |t: &str, w: &str| {
        t.lines()
            .filter(|l| !l.contains('…'))
            .map(|l| l.matches(w).count())
            .sum::<usize>()
    };
    pages
        .iter()
        .enumerate()
        .filter(|(_, t)| count(t, first) != count(t, last))
        .map(|(i, _)| i + 1)
        .collect()
}

fn run_ok(args: &[&str]) -> String {
    let out = urval().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "urval {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_national_report_stays_readable_on_screen_and_on_paper() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"));

    // The checks can fail: a label outside its plot, and a table cut between pages.
    let bad = d.join("clipped.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><main><svg viewBox=\"0 0 100 50\" width=\"200\"><text x=\"-30\" y=\"20\">utanför</text><text x=\"10\" y=\"20\">inne</text></svg></main></body></html>",
    )
    .unwrap();
    assert_eq!(measure(&bad)["clipped"], serde_json::json!(["utanför"]));
    let cut = d.join("cut.html");
    let lines = "<br>mitt".repeat(12);
    let rows = format!("<tr><td>Alfabet{lines}<br>slutord</td></tr>").repeat(30);
    std::fs::write(
        &cut,
        format!("<!DOCTYPE html><html><body><table>{rows}</table></body></html>"),
    )
    .unwrap();
    let pages = print_pages(&cut, &d.join("cut.pdf"));
    assert!(
        !cut_rows(&pages, "Alfabet", "slutord").is_empty(),
        "a row cut between pages is not seen"
    );

    // 1,160 strata: every municipality × area of a generated national extract.
    let ext = d.join("national.parquet");
    run_ok(&["generate", "--rows", "200000", "--seed", "3", "-o", p(&ext)]);
    let plan = d.join("plan.json");
    run_ok(&[
        "plan",
        "--extract",
        p(&ext),
        "--key",
        "case_id",
        "--strata",
        "municipality_code,area",
        "--margin",
        "0.10",
        "--allocation",
        "domain",
        "--pages-column",
        "pages",
        "--requested",
        "20000",
        "-o",
        p(&plan),
    ]);
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(plan_json["strata"].as_array().unwrap().len(), 1160);
    let man = d.join("manifest.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&ext),
        "--plan",
        p(&plan),
        "--seed",
        "11",
        "-o",
        p(&man),
    ]);
    // A label long enough to wrap in its cell: a row cut between pages would show.
    let spec = d.join("spec.toml");
    std::fs::write(
        &spec,
        r#"[[indicator]]
name = "decision_communicated"
label_sv = "Alfabet beslutet har meddelats den enskilde skriftligen med besvärshänvisning och motivering slutord"
label_en = "Alfabet the decision was communicated in writing with reasons and how to appeal slutord"
kind = "share"
expr = "decision_communicated"

[[indicator]]
name = "child_heard"
label_sv = "Barnet har kommit till tals"
label_en = "The child was heard"
kind = "share"
expr = "child_heard"
where = "area = 'barn_unga'"
"#,
    )
    .unwrap();
    let ind = d.join("indicators.parquet");
    run_ok(&[
        "indicators",
        "--extract",
        p(&ext),
        "--manifest",
        p(&man),
        "--spec",
        p(&spec),
        "--by",
        "municipality_code",
        "-o",
        p(&ind),
    ]);
    let html = d.join("national.html");
    run_ok(&[
        "report",
        "--plan",
        p(&plan),
        "--manifest",
        p(&man),
        "--indicators",
        p(&ind),
        "--case-number",
        "IVO 3.1.2-999/2026",
        "--date",
        "2026-11-24",
        "-o",
        p(&html),
    ]);

    // On screen: short, folded, nothing clipped.
    let m = measure(&html);
    assert_eq!(
        m["clipped"],
        serde_json::json!([]),
        "labels outside their plot"
    );
    let height = m["height"].as_u64().unwrap();
    assert!(height < 8_000, "the national report is {height} px tall");
    assert!(m["details"].as_u64().unwrap() >= 3 && m["open"] == 0, "{m}");
    for rows in m["rows"].as_array().unwrap() {
        // The longest unfolded table: the totals of two indicators and the ten widest.
        assert!(
            rows.as_u64().unwrap() <= 13,
            "a long table is not folded: {m}"
        );
    }
    let png = artifacts.join("report-national.png");
    let _ = std::fs::remove_file(&png);
    load_sized(&html, Some(&png), height.min(8_000) as u32);
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

    // The full tables, attached: CSV for Swedish Excel and one workbook.
    let csv = std::fs::read_to_string(d.join("national.strata.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 1160 + 1, "header, strata, total");
    assert!(
        csv.contains("\"Stockholm (0180), aldre\""),
        "names in the attachment"
    );
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(d.join("national.tables.xlsx")).unwrap();
    use calamine::Reader as _;
    assert_eq!(
        wb.sheet_names(),
        ["Per stratum", "Felmarginal per stratum", "Skattningar"]
    );
    let strata = wb.worksheet_range("Per stratum").unwrap();
    assert_eq!(strata.height(), 1 + 1160 + 1);
    let total_population: f64 = plan_json["total_population"].as_f64().unwrap();
    assert_eq!(
        strata.get_value((1161, 1)),
        Some(&calamine::Data::Float(total_population))
    );
    let source = std::fs::read_to_string(&html).unwrap();
    assert!(source.contains("href=\"national.strata.csv\""));
    // A JSON report of the same name leaves the HTML report's attachments.
    run_ok(&[
        "report",
        "--plan",
        p(&plan),
        "-o",
        p(&d.join("national.json")),
    ]);
    assert!(d.join("national.strata.csv").is_file() && d.join("national.tables.xlsx").is_file());

    // On paper: the running head and page number on every page, no row cut.
    let pdf = d.join("national.pdf");
    let pages = print_pages(&html, &pdf);
    let n = pages.len();
    assert!(n >= 3, "{n} pages");
    for (i, t) in pages.iter().enumerate() {
        assert!(
            t.contains("Diarienummer IVO 3.1.2-999/2026"),
            "page {} has no running head",
            i + 1
        );
        assert!(
            t.contains(&format!("sida {} av {n}", i + 1)),
            "page {}",
            i + 1
        );
    }
    assert!(
        pages.iter().any(|t| t.contains("Alfabet")),
        "the wrapped label is printed"
    );
    for (i, t) in pages.iter().enumerate() {
        if !cut_rows(std::slice::from_ref(t), "Alfabet", "slutord").is_empty() {
            panic!("page {}: a row is cut:\n{t}", i + 1);
        }
    }
    let prefix = artifacts.join("report-national-page");
    let ppm = std::process::Command::new("pdftoppm")
        .args(["-r", "40", "-png", p(&pdf), p(&prefix)])
        .status()
        .unwrap();
    assert!(ppm.success());
    eprintln!("pages: {}-*.png ({n})", prefix.display());

    // One municipality's report from the national plan, with a previous request drawn
    // with another seed (so the two share records by chance).
    let previous = d.join("previous.csv");
    run_ok(&[
        "draw",
        "--extract",
        p(&ext),
        "--plan",
        p(&plan),
        "--seed",
        "12",
        "-o",
        p(&previous),
    ]);
    let labels = d.join("areas.csv");
    std::fs::write(
        &labels,
        "value,label\naldre,Äldreomsorg\nbarn_unga,Barn och unga\nfunktionshinder,Funktionshinder\nmissbruk,Missbruk\n",
    )
    .unwrap();
    let one = d.join("stockholm.html");
    let json = d.join("stockholm.json");
    for out in [&one, &json] {
        run_ok(&[
            "report",
            "--plan",
            p(&plan),
            "--manifest",
            p(&man),
            "--only",
            "municipality_code=0180",
            "--previous",
            p(&previous),
            "--indicators",
            p(&ind),
            "--labels",
            p(&labels),
            "--recipient",
            "Stockholms stad, socialförvaltningen",
            "--date",
            "2026-11-24",
            "-o",
            p(out),
        ]);
    }
    // The shared records, counted here from the two manifests.
    let keys = |f: &Path| -> std::collections::BTreeSet<String> {
        let mut r = csv_reader(f);
        let h = r.headers().unwrap().clone();
        let (k, m) = (
            h.iter().position(|c| c == "case_id").unwrap(),
            h.iter().position(|c| c == "municipality_code").unwrap(),
        );
        r.records()
            .map(|x| x.unwrap())
            .filter(|x| &x[m] == "0180")
            .map(|x| x[k].to_string())
            .collect()
    };
    let shared = keys(&man).intersection(&keys(&previous)).count() as u64;
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(model["overlap"]["shared"].as_u64(), Some(shared));
    assert!(shared > 0, "independent draws of 0180 share records");
    assert_eq!(model["strata"].as_array().unwrap().len(), 4);
    // Its estimates: Stockholm's groups and the whole request's totals, no other place.
    let groups: std::collections::BTreeSet<&str> = model["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        ["Stockholm (0180)", "total"].into_iter().collect(),
        "{groups:?}"
    );
    let m = measure(&one);
    assert_eq!(m["clipped"], serde_json::json!([]));
    let (dom, _) = load(&one, None);
    for want in [
        "Stockholm (0180)",
        "Äldreomsorg (aldre)",
        "Stockholms stad, socialförvaltningen",
        "24 november 2026",
        &format!("har {shared} akter gemensamma med den tidigare (previous.csv)"),
    ] {
        assert!(
            dom.contains(want),
            "{want:?} is not in the municipality's report"
        );
    }
    let png = artifacts.join("report-stockholm.png");
    let _ = std::fs::remove_file(&png);
    load(&one, Some(&png));
}

fn csv_reader(f: &Path) -> csv::Reader<std::fs::File> {
    csv::ReaderBuilder::new().from_path(f).unwrap()
}
