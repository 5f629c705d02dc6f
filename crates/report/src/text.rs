//! The report's words in Swedish and English, and numbers formatted for the language.

use serde::Serialize;

/// A table longer than this is shortened on the page (the sentences that say so and the
/// tables that do it read this one value).
pub const LONG: usize = 25;
/// The rows a shortened table shows.
pub const TOP: usize = 10;

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Swedish (the default): `153 000`, `13,8`.
    Sv,
    /// English: `153,000`, `13.8`.
    En,
}

impl Lang {
    /// The HTML `lang` code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

fn group(digits: &str, sep: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

fn thousands_sep(lang: Lang) -> &'static str {
    match lang {
        // A no-break space, so that 153 000 never breaks over two lines.
        Lang::Sv => "\u{a0}",
        Lang::En => ",",
    }
}

/// An integer with thousands separators: sv `153 000` (no-break space), en `153,000`.
pub fn fmt_int(lang: Lang, v: u64) -> String {
    group(&v.to_string(), thousands_sep(lang))
}

/// An indicator's estimate or interval limit as the report prints it: a share as a
/// percentage; a count — a census count, or a sample's estimate of one (Σ w over the
/// records that count) — in whole records, rounded to the nearest (halves away from zero,
/// `f64::round`), since the interval printed beside it carries its uncertainty and a
/// fraction of a record means nothing to a reader; a mean or median with one decimal.
pub fn fmt_value(lang: Lang, kind: &str, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if kind == "share" => fmt_pct(lang, x),
        Some(x) if kind == "count" => fmt_dec(lang, x.round(), 0),
        Some(x) => fmt_dec(lang, x, 1),
    }
}

/// A number with `decimals` decimals and thousands separators: sv `1 234,5`, en `1,234.5`.
pub fn fmt_dec(lang: Lang, v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('−');
    }
    out.push_str(&group(int, thousands_sep(lang)));
    if !frac.is_empty() {
        out.push(match lang {
            Lang::Sv => ',',
            Lang::En => '.',
        });
        out.push_str(frac);
    }
    out
}

/// A share as a percentage with one decimal: sv `75,0 %`, en `75.0%`.
pub fn fmt_pct(lang: Lang, v: f64) -> String {
    match lang {
        Lang::Sv => format!("{}\u{a0}%", fmt_dec(lang, v * 100.0, 1)),
        Lang::En => format!("{}%", fmt_dec(lang, v * 100.0, 1)),
    }
}

/// "a, b och c" / "a, b and c".
pub fn join_list(lang: Lang, items: &[String]) -> String {
    let and = match lang {
        Lang::Sv => "och",
        Lang::En => "and",
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {and} {last}", rest.join(", ")),
    }
}

/// A margin of error in percentage points: sv `±5,0 procentenheter`, en `±5.0 percentage points`.
pub fn fmt_points(lang: Lang, v: f64) -> String {
    let n = fmt_dec(lang, v * 100.0, 1);
    match lang {
        Lang::Sv => format!("±{n}\u{a0}procentenheter"),
        Lang::En => format!("±{n} percentage points"),
    }
}

/// A calendar date (year, month 1–12, day) as a long date in the language:
/// `24 november 2026`, `24 November 2026`. The caller checks the date (urval-ops parses it
/// with the one date parser of urval-ingest).
pub fn long_date(lang: Lang, year: i64, month: u32, day: u32) -> String {
    let names = match lang {
        Lang::Sv => [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ],
        Lang::En => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    };
    let m = names[(month.clamp(1, 12) - 1) as usize];
    format!("{day} {m} {year}")
}

/// A local date and time as the language writes it: `24 november 2026 kl. 22.28`,
/// `24 November 2026, 22:28`.
pub fn long_datetime(lang: Lang, y: i64, m: u32, d: u32, hour: i64, minute: i64) -> String {
    let date = long_date(lang, y, m, d);
    match lang {
        Lang::Sv => format!("{date} kl. {hour:02}.{minute:02}"),
        Lang::En => format!("{date}, {hour:02}:{minute:02}"),
    }
}

/// An estimate's group as shown: its values, or for the totals `Totalt` — `Hela
/// begäran` in the report for one part (`--only`), where the totals are the whole
/// request's.
pub fn group_name(r: &crate::Report, row: &crate::IndicatorRow) -> String {
    let w = words(r.lang);
    match (row.group.as_str(), &r.scope) {
        ("total", None) => w.total.to_string(),
        ("total", Some(sc)) if sc.national => match r.lang {
            Lang::Sv => "Hela riket".to_string(),
            Lang::En => "National".to_string(),
        },
        ("total", Some(_)) => w.whole_request.to_string(),
        (g, _) => g.to_string(),
    }
}

/// What the whole of a request is called in a part's report: the country (`hela riket`)
/// when it covers every county, else the whole request.
fn whole_area(lang: Lang, sc: &crate::Scope) -> &'static str {
    match (lang, sc.national) {
        (Lang::Sv, true) => "hela riket",
        (Lang::Sv, false) => "hela begäran",
        (Lang::En, true) => "the whole country",
        (Lang::En, false) => "the whole request",
    }
}

/// The whole request as the subject of "needs" or "holds": `begäran för hela riket` when
/// national, else `hela begäran`.
fn whole_request(lang: Lang, sc: &crate::Scope) -> &'static str {
    match (lang, sc.national) {
        (Lang::Sv, true) => "begäran för hela riket",
        (Lang::Sv, false) => "hela begäran",
        (Lang::En, true) => "the national request",
        (Lang::En, false) => "the whole request",
    }
}

/// The letter's lines (label, value): recipient, sender, case number when given, and the
/// date — for the HTML and the Markdown alike.
pub fn letter_lines(r: &crate::Report) -> Vec<(&'static str, String)> {
    let w = words(r.lang);
    let mut out = Vec::new();
    for (label, v) in [
        (w.to, &r.letter.recipient),
        (w.from, &r.letter.sender),
        (w.case_number, &r.letter.case_number),
        (w.deadline, &r.letter.deadline),
    ] {
        if let Some(v) = v {
            out.push((label, v.clone()));
        }
    }
    out.push((w.date, r.letter.date.clone()));
    out
}

/// The PRN formula as the sidecar records it, with its words in the report's language.
pub fn prn_formula(lang: Lang, prn: &str) -> String {
    match lang {
        Lang::Sv => prn.replace("key UTF-8 bytes", "nyckelns byte i UTF-8"),
        Lang::En => prn.to_string(),
    }
}

/// The fixed words of the report.
pub struct Words {
    pub title: &'static str,
    pub subtitle: &'static str,
    pub purpose: &'static str,
    pub summary: &'static str,
    pub records: &'static str,
    pub pages: &'static str,
    pub working_days: &'static str,
    pub needed: &'static str,
    pub requested: &'static str,
    pub surplus: &'static str,
    pub population: &'static str,
    pub stratum: &'static str,
    pub total: &'static str,
    pub per_stratum: &'static str,
    pub burden: &'static str,
    pub precision: &'static str,
    pub plot_margin_title: &'static str,
    pub plot_margin_x: &'static str,
    pub plot_margin_y: &'static str,
    pub plot_burden_title: &'static str,
    pub achieved: &'static str,
    pub indicator: &'static str,
    pub group: &'static str,
    pub estimate: &'static str,
    pub interval: &'static str,
    pub method_col: &'static str,
    pub method: &'static str,
    pub reproduce: &'static str,
    pub no_request: &'static str,
    pub created: &'static str,
    pub seed: &'static str,
    pub start: &'static str,
    pub prn: &'static str,
    pub plan_hash: &'static str,
    pub extract_fingerprint: &'static str,
    pub manifest: &'static str,
    pub files: &'static str,
    pub margin_table: &'static str,
    pub margin: &'static str,
    pub stratum_margins: &'static str,
    pub to: &'static str,
    pub from: &'static str,
    pub case_number: &'static str,
    pub date: &'static str,
    pub deadline: &'static str,
    pub worst_first: &'static str,
    pub sheet_strata: &'static str,
    pub sheet_margins: &'static str,
    pub sheet_indicators: &'static str,
    pub lower: &'static str,
    pub upper: &'static str,
    pub note: &'static str,
    pub attached: &'static str,
    pub plot_spread_title: &'static str,
    pub plot_spread_x: &'static str,
    pub plot_spread_y: &'static str,
    pub page: &'static str,
    pub whole_request: &'static str,
    pub of: &'static str,
    pub stages: &'static str,
    pub purposes: &'static str,
    pub purpose_col: &'static str,
    pub target_col: &'static str,
    pub achieved_col: &'static str,
    pub alone_records_col: &'static str,
    pub alone_pages_col: &'static str,
    pub binds_col: &'static str,
    pub separate_row: &'static str,
    pub joint_row: &'static str,
    pub stage1_row: &'static str,
    pub stage2_row: &'static str,
    pub expected_row: &'static str,
    pub single_row: &'static str,
    pub two_phase: &'static str,
    pub phase1_row: &'static str,
    pub phase2_row: &'static str,
    pub question: &'static str,
    pub agreement_col: &'static str,
    pub disagreement_upper_col: &'static str,
    pub self_col: &'static str,
    pub corrected_col: &'static str,
}

pub const SV: Words = Words {
    title: "Hur många akter behövs?",
    subtitle: "Proportionalitetsbedömning av en begäran om akter",
    purpose: "Syfte",
    summary: "Sammanfattning",
    records: "akter",
    pages: "sidor",
    working_days: "arbetsdagar",
    needed: "Behövs",
    requested: "Begärt",
    surplus: "Överskott",
    population: "Population",
    stratum: "Stratum",
    total: "Totalt",
    per_stratum: "Per stratum",
    burden: "Börda",
    precision: "Vad varje extra akt tillför",
    plot_margin_title: "Felmarginal mot antal akter",
    plot_margin_x: "antal akter",
    plot_margin_y: "felmarginal (procentenheter)",
    plot_burden_title: "Sidor som behövs och som begärs, per stratum",
    achieved: "Uppnådda skattningar efter granskningen",
    indicator: "Indikator",
    group: "Grupp",
    estimate: "Skattning",
    interval: "Intervall",
    method_col: "Metod",
    method: "Metod och hur urvalet kontrolleras",
    reproduce: "Så upprepas och kontrolleras dragningen",
    no_request: "Ingen begäran att jämföra med angavs.",
    created: "Underlaget skapat",
    seed: "frö (seed)",
    start: "startpunkt",
    prn: "permanenta slumptal",
    plan_hash: "planens kontrollsumma (XXH3-128)",
    extract_fingerprint: "uttagets fingeravtryck",
    manifest: "urvalslista",
    files: "uttag",
    margin_table: "Felmarginal vid olika antal akter",
    margin: "Felmarginal",
    stratum_margins: "Felmarginal per stratum",
    to: "Till",
    from: "Från",
    case_number: "Diarienummer",
    date: "Datum",
    deadline: "Svar senast",
    worst_first: "de största felmarginalerna först",
    sheet_strata: "Per stratum",
    sheet_margins: "Felmarginal per stratum",
    sheet_indicators: "Skattningar",
    lower: "Nedre gräns",
    upper: "Övre gräns",
    note: "Anmärkning",
    attached: "Hela tabellen finns också som bilaga:",
    plot_spread_title: "Felmarginalen i strata: behövt och begärt antal akter",
    plot_spread_x: "felmarginal i stratumet (procentenheter)",
    plot_spread_y: "andel av strata",
    page: "sida",
    whole_request: "Hela begäran",
    of: "av",
    stages: "Begäran i två steg",
    purposes: "Syftena och vad de kräver",
    purpose_col: "Syfte",
    target_col: "Mål",
    achieved_col: "Uppnås",
    alone_records_col: "Ensamt: akter",
    alone_pages_col: "Ensamt: sidor",
    binds_col: "Styr strata",
    separate_row: "Separata begäranden, summa",
    joint_row: "En gemensam begäran",
    stage1_row: "Steg 1: begärs nu",
    stage2_row: "Steg 2: bara om det behövs",
    expected_row: "Väntat i genomsnitt",
    single_row: "En begäran i ett steg",
    two_phase: "Egengranskning och omgranskning",
    phase1_row: "Fas 1: kommunen granskar själv",
    phase2_row: "Fas 2: begärs för omgranskning",
    question: "fråga",
    agreement_col: "samstämmighet",
    disagreement_upper_col: "oenighet högst",
    self_col: "kommunens andel",
    corrected_col: "korrigerad andel",
};

pub const EN: Words = Words {
    title: "How many records are needed?",
    subtitle: "The proportionality of a request for records",
    purpose: "Purpose",
    summary: "Summary",
    records: "records",
    pages: "pages",
    working_days: "working days",
    needed: "Needed",
    requested: "Requested",
    surplus: "Surplus",
    population: "Population",
    stratum: "Stratum",
    total: "Total",
    per_stratum: "Per stratum",
    burden: "Burden",
    precision: "What each extra record buys",
    plot_margin_title: "Margin of error against the number of records",
    plot_margin_x: "records",
    plot_margin_y: "margin of error (percentage points)",
    plot_burden_title: "Pages needed and requested, per stratum",
    achieved: "Achieved estimates after the review",
    indicator: "Indicator",
    group: "Group",
    estimate: "Estimate",
    interval: "Interval",
    method_col: "Method",
    method: "Method, and how the sample is checked",
    reproduce: "How to repeat and verify the draw",
    no_request: "No request to compare with was given.",
    created: "Inputs made",
    seed: "seed",
    start: "start",
    prn: "permanent random numbers",
    plan_hash: "plan checksum (XXH3-128)",
    extract_fingerprint: "extract fingerprint",
    manifest: "manifest",
    files: "extract",
    margin_table: "Margin of error at other numbers of records",
    margin: "Margin of error",
    stratum_margins: "Margin of error per stratum",
    to: "To",
    from: "From",
    case_number: "Case number",
    date: "Date",
    deadline: "Reply by",
    worst_first: "the largest margins first",
    sheet_strata: "Per stratum",
    sheet_margins: "Margin per stratum",
    sheet_indicators: "Estimates",
    lower: "Lower bound",
    upper: "Upper bound",
    note: "Note",
    attached: "The full table is also attached:",
    plot_spread_title: "Margins of error in the strata: records needed and requested",
    plot_spread_x: "margin of error in the stratum (percentage points)",
    plot_spread_y: "share of strata",
    page: "page",
    whole_request: "Whole request",
    of: "of",
    stages: "A request in two stages",
    purposes: "The purposes and what they need",
    purpose_col: "Purpose",
    target_col: "Target",
    achieved_col: "Achieved",
    alone_records_col: "Alone: records",
    alone_pages_col: "Alone: pages",
    binds_col: "Sets strata",
    separate_row: "Separate requests, summed",
    joint_row: "One joint request",
    stage1_row: "Stage 1: requested now",
    stage2_row: "Stage 2: only if needed",
    expected_row: "Expected on average",
    single_row: "A single-stage request",
    two_phase: "Self-review and re-review",
    phase1_row: "Phase 1: reviewed by the municipality",
    phase2_row: "Phase 2: requested for re-review",
    question: "question",
    agreement_col: "agreement",
    disagreement_upper_col: "disagreement at most",
    self_col: "municipality's share",
    corrected_col: "corrected share",
};

/// The words of a language.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// An allocation method's name in the language.
pub fn allocation_name(lang: Lang, a: &str) -> String {
    let sv = match a {
        "proportional" => "proportionell fördelning (n_h ∝ N_h)",
        "neyman" => "Neymanfördelning (n_h ∝ N_h·S_h)",
        "optimal" => "kostnadsoptimal fördelning (n_h ∝ N_h·S_h/√c_h)",
        "equal" => "lika många per stratum",
        "domain" => "egen felmarginal i varje stratum",
        other => other,
    };
    let en = match a {
        "proportional" => "proportional allocation (n_h ∝ N_h)",
        "neyman" => "Neyman allocation (n_h ∝ N_h·S_h)",
        "optimal" => "cost-optimal allocation (n_h ∝ N_h·S_h/√c_h)",
        "equal" => "equal allocation",
        "domain" => "its own margin in every stratum",
        other => other,
    };
    match lang {
        Lang::Sv => sv.to_string(),
        Lang::En => en.to_string(),
    }
}

/// The note under an estimate: a small-sample caution and the non-response status, in the
/// language (None when there is nothing to say).
pub fn estimate_note(lang: Lang, row: &crate::IndicatorRow) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(c) = &row.caution {
        let (sv, en) = match c.as_str() {
            "fewer than 2 records in a stratum" => (
                "färre än 2 akter i något stratum",
                "fewer than 2 records in a stratum",
            ),
            "fewer than 30 records and skewed (|skewness| > 1)" => (
                "färre än 30 akter och sned fördelning (|skevhet| > 1)",
                "fewer than 30 records and a skewed distribution (|skewness| > 1)",
            ),
            other => (other, other),
        };
        parts.push(match lang {
            Lang::Sv => format!("tolka med försiktighet: {sv}"),
            Lang::En => format!("read with caution: {en}"),
        });
    }
    if let Some((status, share)) = &row.nonresponse {
        let p = fmt_pct(lang, *share);
        parts.push(match (lang, status.as_str()) {
            (Lang::Sv, "dropped") => format!("strata utan svar är utelämnade ({p} av populationen)"),
            (Lang::En, "dropped") => format!("strata with no response left out ({p} of the population)"),
            (Lang::Sv, _) => format!(
                "ofullständig: upp till {p} av populationen finns i strata utan svar; intervallet är det sämsta fallet"
            ),
            (Lang::En, _) => format!(
                "incomplete: up to {p} of the population is in strata with no response; the interval is the worst case"
            ),
        });
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// An interval method's name in the language.
pub fn method_name(lang: Lang, m: &str) -> String {
    let (sv, en) = match m {
        "census" => ("totalundersökning", "census"),
        "wilson" => ("Wilson", "Wilson"),
        "wilson-fpc" => (
            "Wilson med ändlighetskorrektion",
            "Wilson with finite population correction",
        ),
        "clopper-pearson-fpc" => (
            "Clopper–Pearson med ändlighetskorrektion",
            "Clopper–Pearson with finite population correction",
        ),
        "korn-graubard" => ("stratifierad, Korn–Graubard", "stratified, Korn–Graubard"),
        "stratified-t" => ("stratifierat medelvärde, t", "stratified mean, t"),
        "stratified-total" => ("stratifierad total", "stratified total"),
        "woodruff" => ("viktad median, Woodruff", "weighted median, Woodruff"),
        "t" => ("t", "t"),
        "order-statistic" => ("ordningsstatistika", "order statistics"),
        other => (other, other),
    };
    match lang {
        Lang::Sv => sv.to_string(),
        Lang::En => en.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_records() {
        assert_eq!(fmt_value(Lang::Sv, "count", Some(8896.6)), "8\u{a0}897");
        assert_eq!(fmt_value(Lang::En, "count", Some(8896.4)), "8,896");
        assert_eq!(fmt_value(Lang::En, "count", Some(0.5)), "1");
        assert_eq!(fmt_value(Lang::Sv, "mean", Some(8896.6)), "8\u{a0}896,6");
        assert_eq!(
            fmt_value(Lang::En, "share", Some(0.25)),
            fmt_pct(Lang::En, 0.25)
        );
        assert_eq!(fmt_value(Lang::En, "count", None), "–");
    }

    #[test]
    fn numbers_in_both_languages() {
        assert_eq!(fmt_int(Lang::Sv, 153_000), "153\u{a0}000");
        assert_eq!(fmt_int(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(fmt_int(Lang::En, 999), "999");
        assert_eq!(fmt_dec(Lang::Sv, 13.8125, 1), "13,8");
        assert_eq!(fmt_dec(Lang::En, 230_100.0, 0), "230,100");
        assert_eq!(fmt_dec(Lang::Sv, -0.04, 1), "0,0");
        assert_eq!(fmt_dec(Lang::En, -2.5, 1), "−2.5");
        assert_eq!(fmt_pct(Lang::Sv, 0.05), "5,0\u{a0}%");
        assert_eq!(fmt_pct(Lang::En, 0.755), "75.5%");
        assert_eq!(fmt_points(Lang::En, 0.05), "±5.0 percentage points");
    }
}

/// The report's sentences, as plain text (the renderers escape or format them).
pub mod sentences {
    use super::{allocation_name, fmt_dec, fmt_int, fmt_pct, fmt_points, join_list, Lang};
    use super::{whole_area, whole_request, LONG, TOP};
    use crate::Report;

    /// What the request is for.
    pub fn purpose(r: &Report) -> String {
        let lang = r.lang;
        let p = &r.purpose;
        let conf = fmt_pct(lang, p.confidence);
        let strata = p.strata_columns.join(" × ");
        let alloc = allocation_name(lang, &p.allocation);
        let target = match (p.margin, p.total, lang) {
            (Some(m), _, Lang::Sv) if p.allocation == "domain" => format!(
                "att skatta en andel i varje stratum ({strata}) med en felmarginal på högst {} och {conf} konfidens",
                fmt_points(lang, m)
            ),
            (Some(m), _, Lang::En) if p.allocation == "domain" => format!(
                "to estimate a share in every stratum ({strata}) to within {} at {conf} confidence",
                fmt_points(lang, m)
            ),
            (Some(m), _, Lang::Sv) => format!(
                "att skatta en andel med en felmarginal på högst {} och {conf} konfidens",
                fmt_points(lang, m)
            ),
            (Some(m), _, Lang::En) => format!(
                "to estimate a share to within {} at {conf} confidence",
                fmt_points(lang, m)
            ),
            (None, Some(n), Lang::Sv) => format!("ett urval om {} akter", fmt_int(lang, n)),
            (None, Some(n), Lang::En) => format!("a sample of {} records", fmt_int(lang, n)),
            (None, None, Lang::Sv) => "ett urval".to_string(),
            (None, None, Lang::En) => "a sample".to_string(),
        };
        // In the report for one part, a margin on the overall share is the whole
        // request's: said so, with its total.
        let target = match (
            &r.scope,
            p.margin.is_some() && p.allocation != "domain",
            lang,
        ) {
            (Some(sc), true, Lang::Sv) => format!(
                "{target} för {} ({} akter av {})",
                whole_area(lang, sc),
                fmt_int(lang, sc.needed),
                fmt_int(lang, sc.population)
            ),
            (Some(sc), true, Lang::En) => format!(
                "{target} for {} ({} records of {})",
                whole_area(lang, sc),
                fmt_int(lang, sc.needed),
                fmt_int(lang, sc.population)
            ),
            _ => target,
        };
        let filter = p
            .population_filter
            .as_deref()
            .map(|f| match lang {
                Lang::Sv => format!(" Populationen är akterna där {f}."),
                Lang::En => format!(" The population is the records where {f}."),
            })
            .unwrap_or_default();
        let share = fmt_dec(lang, p.proportion, 2);
        if let Some(ps) = &r.purposes {
            let names: Vec<String> = ps.rows.iter().map(|x| x.label.to_lowercase()).collect();
            let list = join_list(lang, &names);
            let by = match (lang, ps.cost.as_str()) {
                (Lang::Sv, "pages") => "så få sidor som möjligt",
                (Lang::Sv, _) => "så få akter som möjligt",
                (Lang::En, "pages") => "as few pages as possible",
                (Lang::En, _) => "as few records as possible",
            };
            return match lang {
                Lang::Sv => format!(
                    "Begäran tjänar {} syften på en gång: {list}. Varje syfte har sin egen population, förväntade andel och precision; akterna fördelas över strata ({strata}) så att alla syften uppfylls med {by}.{filter}",
                    fmt_int(lang, ps.rows.len() as u64)
                ),
                Lang::En => format!(
                    "The request serves {} purposes at once: {list}. Each has its own population, anticipated share and precision; the records are spread over the strata ({strata}) so that every purpose is met with {by}.{filter}",
                    fmt_int(lang, ps.rows.len() as u64)
                ),
            };
        }
        if let Some(t) = p.tolerable_rate {
            let t = fmt_pct(lang, t);
            return match lang {
                Lang::Sv => format!(
                    "Syftet är att visa, med {conf} konfidens, att andelen akter med en avvikelse är under {t}. Akterna fördelas över strata ({strata}) i proportion till deras antal akter.{filter}"
                ),
                Lang::En => format!(
                    "The purpose is to show, at {conf} confidence, that the share of records with a deviation is below {t}. The records are spread over the strata ({strata}) in proportion to their numbers of records.{filter}"
                ),
            };
        }
        match (lang, p.allocation == "domain") {
            (Lang::Sv, true) => format!(
                "Syftet är {target}. Varje stratum får så många akter som dess egen felmarginal kräver; den förväntade andelen är {share}.{filter}"
            ),
            (Lang::En, true) => format!(
                "The purpose is {target}. Every stratum gets as many records as its own margin needs; the anticipated share is {share}.{filter}"
            ),
            (Lang::Sv, false) => format!(
                "Syftet är {target}. Akterna fördelas över strata ({strata}) med {alloc}; den förväntade andelen är {share}.{filter}"
            ),
            (Lang::En, false) => format!(
                "The purpose is {target}. The records are spread over the strata ({strata}) by {alloc}; the anticipated share is {share}.{filter}"
            ),
        }
    }

    /// Needed against requested, in records, pages and working days.
    pub fn summary(r: &Report) -> String {
        let lang = r.lang;
        let t = &r.total;
        let n = &t.needed;
        let several = r.purposes.is_some();
        let base = match lang {
            Lang::Sv => format!(
                "{} {} av {} akter: {} sidor och {} arbetsdagar.",
                if several {
                    "Syftena kräver"
                } else {
                    "Syftet kräver"
                },
                fmt_int(lang, n.records),
                fmt_int(lang, t.population),
                fmt_dec(lang, n.pages, 0),
                fmt_dec(lang, n.working_days, 1)
            ),
            Lang::En => format!(
                "{} {} of {} records: {} pages and {} working days.",
                if several {
                    "The purposes need"
                } else {
                    "The purpose needs"
                },
                fmt_int(lang, n.records),
                fmt_int(lang, t.population),
                fmt_dec(lang, n.pages, 0),
                fmt_dec(lang, n.working_days, 1)
            ),
        };
        let Some(q) = t.requested else {
            return base;
        };
        let surplus = t.surplus().unwrap_or_default();
        if let Some(short) = t.shortfall().map(|b| b.records) {
            return match lang {
                Lang::Sv => format!(
                    "{base} Begäran gäller {} akter, {} färre än syftet kräver: precisionen nås inte.",
                    fmt_int(lang, q.records),
                    fmt_int(lang, short)
                ),
                Lang::En => format!(
                    "{base} The request is for {} records, {} fewer than the purpose needs: the precision is not reached.",
                    fmt_int(lang, q.records),
                    fmt_int(lang, short)
                ),
            };
        }
        if surplus.records == 0 {
            return match lang {
                Lang::Sv => format!("{base} Begäran gäller just så många akter."),
                Lang::En => format!("{base} The request is for exactly that many records."),
            };
        }
        match lang {
            Lang::Sv => format!(
                "{base} Begäran gäller {} akter. De {} akter som begärs utöver behovet är {} sidor och {} arbetsdagar som inte tillför någon precision som syftet kräver.",
                fmt_int(lang, q.records),
                fmt_int(lang, surplus.records),
                fmt_dec(lang, surplus.pages, 0),
                fmt_dec(lang, surplus.working_days, 1)
            ),
            Lang::En => format!(
                "{base} The request is for {} records. The {} records requested beyond the need are {} pages and {} working days that buy no precision the purpose needs.",
                fmt_int(lang, q.records),
                fmt_int(lang, surplus.records),
                fmt_dec(lang, surplus.pages, 0),
                fmt_dec(lang, surplus.working_days, 1)
            ),
        }
    }

    /// What going from the needed to the requested number of records buys, in the
    /// design's own margin (the overall share's, or the worst stratum's for a domain
    /// design).
    pub fn precision(r: &Report) -> Option<String> {
        let lang = r.lang;
        let (n1, m1) = r.curve.needed;
        let per_stratum = r.precision.kind == "per_stratum";
        let Some((n2, m2)) = r.curve.requested else {
            // A domain request that leaves a stratum without records.
            let empty = r
                .precision
                .strata
                .iter()
                .filter(|s| s.requested == Some(0))
                .count();
            return (per_stratum && empty > 0).then(|| match lang {
                Lang::Sv => format!(
                    "Med de {} akter som behövs är felmarginalen högst {} i varje stratum. Begäran ger {} strata inga akter alls och därmed ingen skattning där.",
                    fmt_int(lang, n1),
                    fmt_points(lang, m1),
                    fmt_int(lang, empty as u64)
                ),
                Lang::En => format!(
                    "With the {} records needed the margin of error is at most {} in every stratum. The request gives {} strata no records at all, and so no estimate there.",
                    fmt_int(lang, n1),
                    fmt_points(lang, m1),
                    fmt_int(lang, empty as u64)
                ),
            });
        };
        if per_stratum && m2 > m1 * (1.0 + 1e-9) {
            return Some(match lang {
                Lang::Sv => format!(
                    "Med de {} akter som behövs är felmarginalen högst {} i varje stratum. Begäran på {} akter ger vissa strata färre akter än de behöver: den största felmarginalen blir {}.",
                    fmt_int(lang, n1),
                    fmt_points(lang, m1),
                    fmt_int(lang, n2),
                    fmt_points(lang, m2)
                ),
                Lang::En => format!(
                    "With the {} records needed the margin of error is at most {} in every stratum. The request for {} records gives some strata fewer records than they need: the largest margin becomes {}.",
                    fmt_int(lang, n1),
                    fmt_points(lang, m1),
                    fmt_int(lang, n2),
                    fmt_points(lang, m2)
                ),
            });
        }
        if n2 <= n1 {
            return None;
        }
        let extra = n2 - n1;
        let gain = (m1 - m2).max(0.0);
        let per100 = gain * 100.0 / extra as f64 * 100.0;
        Some(match (lang, per_stratum) {
            (Lang::Sv, false) => format!(
                "{} akter ger en felmarginal på {} för den totala andelen; de {} begärda ger {}. De {} extra akterna minskar felmarginalen med {} procentenheter, {} procentenheter per 100 akter.",
                fmt_int(lang, n1),
                fmt_points(lang, m1),
                fmt_int(lang, n2),
                fmt_points(lang, m2),
                fmt_int(lang, extra),
                fmt_dec(lang, gain * 100.0, 1),
                fmt_dec(lang, per100, 2)
            ),
            (Lang::En, false) => format!(
                "{} records give a margin of error of {} on the overall share; the {} requested give {}. The {} extra records narrow the margin by {} points, {} points per 100 records.",
                fmt_int(lang, n1),
                fmt_points(lang, m1),
                fmt_int(lang, n2),
                fmt_points(lang, m2),
                fmt_int(lang, extra),
                fmt_dec(lang, gain * 100.0, 1),
                fmt_dec(lang, per100, 2)
            ),
            (Lang::Sv, true) => format!(
                "Med de {} akter som behövs är felmarginalen högst {} i varje stratum; med de {} begärda högst {}. De {} extra akterna minskar den största felmarginalen med {} procentenheter.",
                fmt_int(lang, n1),
                fmt_points(lang, m1),
                fmt_int(lang, n2),
                fmt_points(lang, m2),
                fmt_int(lang, extra),
                fmt_dec(lang, gain * 100.0, 1)
            ),
            (Lang::En, true) => format!(
                "With the {} records needed the margin of error is at most {} in every stratum; with the {} requested at most {}. The {} extra records narrow the largest margin by {} points.",
                fmt_int(lang, n1),
                fmt_points(lang, m1),
                fmt_int(lang, n2),
                fmt_points(lang, m2),
                fmt_int(lang, extra),
                fmt_dec(lang, gain * 100.0, 1)
            ),
        })
    }

    /// Under a table of the whole request (the purposes, the agreement of a re-review) in
    /// the report for one part (`--only`): whose figures they are, with the whole
    /// request's totals beside the part's. None for a report of the whole request.
    pub fn whole_request_table(r: &Report) -> Option<String> {
        let lang = r.lang;
        let sc = r.scope.as_ref()?;
        Some(match lang {
            Lang::Sv => format!(
                "Tabellen gäller {} ({} akter av {}), inte bara {} ({} akter av {}).",
                whole_area(lang, sc),
                fmt_int(lang, sc.needed),
                fmt_int(lang, sc.population),
                sc.label,
                fmt_int(lang, r.total.needed.records),
                fmt_int(lang, r.total.population)
            ),
            Lang::En => format!(
                "The table is for {} ({} records of {}), not {} alone ({} records of {}).",
                whole_area(lang, sc),
                fmt_int(lang, sc.needed),
                fmt_int(lang, sc.population),
                sc.label,
                fmt_int(lang, r.total.needed.records),
                fmt_int(lang, r.total.population)
            ),
        })
    }

    /// Where a part (`--only`) stands in the whole request.
    pub fn scope(r: &Report) -> Option<String> {
        let lang = r.lang;
        let sc = r.scope.as_ref()?;
        let share = |a: u64, b: u64| fmt_pct(lang, if b == 0 { 0.0 } else { a as f64 / b as f64 });
        let req = match (r.total.requested, sc.requested) {
            (Some(q), Some(all)) => match lang {
                Lang::Sv => format!(
                    " Av de {} akter som {} omfattar är {} ({}) för {}.",
                    fmt_int(lang, all),
                    whole_request(lang, sc),
                    fmt_int(lang, q.records),
                    share(q.records, all),
                    sc.label
                ),
                Lang::En => format!(
                    " Of the {} records in {}, {} ({}) are for {}.",
                    fmt_int(lang, all),
                    whole_request(lang, sc),
                    fmt_int(lang, q.records),
                    share(q.records, all),
                    sc.label
                ),
            },
            _ => String::new(),
        };
        Some(match lang {
            Lang::Sv => format!(
                "Den här rapporten gäller {}: {} av de {} akter som {} behöver ({}), i en population på {} av {} akter.{req}",
                sc.label,
                fmt_int(lang, r.total.needed.records),
                fmt_int(lang, sc.needed),
                whole_request(lang, sc),
                share(r.total.needed.records, sc.needed),
                fmt_int(lang, r.total.population),
                fmt_int(lang, sc.population)
            ),
            Lang::En => format!(
                "This report is for {}: {} of the {} records {} needs ({}), in a population of {} of {} records.{req}",
                sc.label,
                fmt_int(lang, r.total.needed.records),
                fmt_int(lang, sc.needed),
                whole_request(lang, sc),
                share(r.total.needed.records, sc.needed),
                fmt_int(lang, r.total.population),
                fmt_int(lang, sc.population)
            ),
        })
    }

    /// The method section's paragraphs.
    pub fn method(r: &Report) -> Vec<String> {
        let lang = r.lang;
        let rates = &r.rates;
        let mut out = Vec::new();
        if r.purposes.is_some() {
            out.push(match lang {
                Lang::Sv => "Flera syften i en begäran (Bethel 1989; Chromy 1987): varje syfte är en andel i en domän (en delmängd av akterna), som ska skattas med sin felmarginal totalt, i varje stratum eller för varje värde av en kolumn. Variansen för domänandelen från det stratifierade urvalet är V = Σ A_h·(1/n_h − 1/N_h) med A_h = (N_h/N_d)²·S²_uh, där S²_uh är variansen i stratum h av u = 1{domän}·(y − p_d) (Taylorlinjärisering av kvotskattningen; Cochran 1977 §5A.14, Särndal m.fl. 1992 §10.3). Ett syfte om en avvikelsefrekvens kräver samma precision vid andelen T som ett obundet slumpmässigt urval av den hypergeometriska storleken n_A (Kish effektiva urvalsstorlek). Fördelningen är den som minimerar Σ c_h·n_h (c_h = 1 för akter, sidor per akt för sidor) under villkoren V_k ≤ (E_k/z_k)² för alla syften: den kontinuerliga optimala lösningen (Lagrangedualen, en multiplikator i taget som i Chromys algoritm), avrundad uppåt, sedan akt för akt nedtrimmad och genomsökt efter en billigare heltalsfördelning; alla villkor kontrolleras på de slutliga heltalen. Förväntade andelar från förra årets indikatorer krymps mot det totala värdet: p_h = (n_h·p̂_h + m·p̄)/(n_h + m).".to_string(),
                Lang::En => "Several purposes in one request (Bethel 1989; Chromy 1987): each purpose is a share in a domain (a subset of the records), to be estimated to its margin overall, in every stratum or for every value of a column. The variance of the domain share from the stratified sample is V = Σ A_h·(1/n_h − 1/N_h) with A_h = (N_h/N_d)²·S²_uh, S²_uh being the variance in stratum h of u = 1{domain}·(y − p_d) (Taylor linearisation of the ratio estimator; Cochran 1977 §5A.14, Särndal et al. 1992 §10.3). A purpose about a deviation rate asks for the precision at the rate T of a simple random sample of the hypergeometric size n_A (Kish's effective sample size). The allocation minimises Σ c_h·n_h (c_h = 1 for records, the pages per record for pages) subject to V_k ≤ (E_k/z_k)² for every purpose: the continuous optimum (the Lagrangian dual, one multiplier at a time as in Chromy's algorithm), rounded up, trimmed a record at a time and searched for a cheaper integer allocation; every condition is checked on the final whole numbers. Anticipated shares from last year's indicators are shrunk toward the overall value: p_h = (n_h·p̂_h + m·p̄)/(n_h + m).".to_string(),
            });
        } else if r.purpose.tolerable_rate.is_some() {
            out.push(match lang {
                Lang::Sv => "Urval i två steg för en avvikelsefrekvens (dubbel stickprovsplan; Dodge & Romig 1959, Cochran 1977 §5.A): sannolikheten att godta vid varje andel avvikelser beräknas exakt över båda stegen, hypergeometriskt med populationens N, P(godta) = P(X₁ ≤ a₁) + Σ P(X₁ = x)·P(X₁ + X₂ ≤ a₂ | X₁ = x). Planen är den som i genomsnitt kräver minst akter vid den förväntade andelen, med risken vid den tolerabla andelen högst 1 − C och minst lika stor chans att godta som en plan i ett steg. Akterna i varje steg fördelas över strata i proportion till N_h, och risken kontrolleras också exakt för det stratifierade urvalet, för den fördelning av avvikelserna över strata som oftast leder till att godta; behövs det läggs akter till. Gränsen efter steg 2 räknas för den sekventiella planen (stegvis ordning, Jennison & Turnbull 2000), inte som om akterna vore ett enda urval.".to_string(),
                Lang::En => "Sampling in two stages for a deviation rate (a double sampling plan; Dodge & Romig 1959, Cochran 1977 §5.A): the probability of accepting at each rate of deviations is computed exactly over both stages, hypergeometrically with the population's N, P(accept) = P(X₁ ≤ a₁) + Σ P(X₁ = x)·P(X₁ + X₂ ≤ a₂ | X₁ = x). The plan is the one needing the fewest records on average at the expected rate, with the risk at the tolerable rate at most 1 − C and at least the single-stage plan's chance of accepting. Each stage's records are spread over the strata in proportion to N_h, and the risk is checked exactly for the stratified sample too, for the spread of the deviations over the strata that accepts most often; records are added if needed. The bound after stage 2 is computed for the sequential plan (stage-wise ordering, Jennison & Turnbull 2000), not as if the records were one sample.".to_string(),
            });
        } else {
            out.push(match lang {
            Lang::Sv => {
                let head = "Urvalsstorlek för en andel (Cochran): n0 = z²·P(1−P)/E², med ändlighetskorrektion n = n0/(1 + (n0 − 1)/N), avrundat uppåt.";
                if r.precision.kind == "per_stratum" {
                    format!("{head} Varje stratum dimensioneras för sin egen felmarginal med sitt eget N_h (domänskattning), inom gränserna för minsta och största antal; felmarginalerna i rapporten är stratumens egna, e_h = z·√(P(1−P)/n_h·(N_h − n_h)/(N_h − 1)).")
                } else {
                    format!("{head} Totalen fördelas över strata med {} i hela akter enligt prioritetsmetoden (Huntington–Hill; för Neyman den exakta heltalsoptimala fördelningen, Wright 2012); varje n_h ≤ N_h, och med en felmarginal som mål är totalen den minsta vars heltalsfördelning når marginalen. Felmarginalen för den totala andelen är den stratifierade e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)) med W_h = N_h/N och S_h² = P(1−P)·N_h/(N_h − 1) (Cochran 1977, ekv. 5.6), beräknad från de faktiska heltalen n_h.", allocation_name(lang, &r.purpose.allocation))
                }
            }
            Lang::En => {
                let head = "Sample size for a share (Cochran): n0 = z²·P(1−P)/E², with the finite population correction n = n0/(1 + (n0 − 1)/N), rounded up.";
                if r.precision.kind == "per_stratum" {
                    format!("{head} Every stratum is sized for its own margin with its own N_h (domain estimation), within the minimum and maximum per stratum; the margins in this report are the strata's own, e_h = z·√(P(1−P)/n_h·(N_h − n_h)/(N_h − 1)).")
                } else {
                    format!("{head} The total is allocated over the strata by {} in whole records by the priority method (Huntington–Hill; for Neyman the exact integer optimum, Wright 2012); every n_h ≤ N_h, and with a margin as the target the total is the smallest whose integer allocation meets it. The margin of the overall share is the stratified e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)) with W_h = N_h/N and S_h² = P(1−P)·N_h/(N_h − 1) (Cochran 1977, eq. 5.6), computed from the actual whole n_h.", allocation_name(lang, &r.purpose.allocation))
                }
            }
        });
        }
        out.push(match lang {
            Lang::Sv => format!(
                "Bördan räknas med {} sidor per akt (eller det uppmätta medelvärdet i varje stratum), {} minuter arbete per akt och {} timmar per arbetsdag.",
                fmt_dec(lang, rates.pages_per_record, 0),
                fmt_dec(lang, rates.minutes_per_record, 0),
                fmt_dec(lang, rates.hours_per_day, 0)
            ),
            Lang::En => format!(
                "Burden is counted at {} pages per record (or the measured mean of each stratum), {} minutes of work per record and {} hours per working day.",
                fmt_dec(lang, rates.pages_per_record, 0),
                fmt_dec(lang, rates.minutes_per_record, 0),
                fmt_dec(lang, rates.hours_per_day, 0)
            ),
        });
        if let Some(split) = &r.requested_split {
            out.push(split.clone());
        }
        if !r.indicators.is_empty() {
            out.push(match lang {
                Lang::Sv => "Skattningarna efter granskningen: inom ett stratum andelen med Clopper–Pearsons intervall vid den effektiva urvalsstorleken n(N − 1)/(N − n) (ändlighetskorrektion; Korn & Graubard 1998); över strata den stratifierade skattningen p̂ = Σ W_h p̂_h med V = Σ W_h²(1 − f_h)p̂_h(1 − p̂_h)/(n_h − 1) och Korn–Graubards intervall. Akter som begärts men inte kommit in räknas som bortfall och stratumets skattning bygger på de inkomna.".to_string(),
                Lang::En => "Estimates after the review: within a stratum the share with the Clopper–Pearson interval at the effective sample size n(N − 1)/(N − n) (finite population correction; Korn & Graubard 1998); across strata the stratified estimate p̂ = Σ W_h p̂_h with V = Σ W_h²(1 − f_h)p̂_h(1 − p̂_h)/(n_h − 1) and the Korn–Graubard interval. Records requested but not received are non-response, and the stratum's estimate rests on those received.".to_string(),
            });
        }
        out
    }

    /// How the draw is repeated and verified.
    pub fn reproduce(r: &Report) -> Vec<String> {
        let lang = r.lang;
        let Some(d) = &r.draw else {
            return vec![match lang {
                Lang::Sv => "Ingen dragning har gjorts ännu: urval draw med planen och ett publicerat frö drar akterna, och urval verify kontrollerar dragningen.".to_string(),
                Lang::En => "No draw has been made yet: urval draw with the plan and a published seed draws the records, and urval verify checks the draw.".to_string(),
            }];
        };
        vec![
            match lang {
                Lang::Sv => format!(
                    "Akterna drogs med permanenta slumptal: {} (specifikation {}), frö {}, startpunkt {}. I varje stratum väljs de n_h akter som har minst (u − start) mod 1 — ett obundet slumpmässigt urval utan återläggning som blir detsamma oavsett radordning, filuppdelning eller antal trådar. Urvalslistan {} har {} akter.",
                    crate::text::prn_formula(lang, &d.prn), d.prn_spec_version, d.seed, d.start, d.manifest, fmt_int(lang, d.selected)
                ),
                Lang::En => format!(
                    "The records were drawn with permanent random numbers: {} (specification {}), seed {}, start {}. In every stratum the n_h records with the smallest (u − start) mod 1 are taken: simple random sampling without replacement, the same whatever the row order, file split or thread count. The manifest {} has {} records.",
                    d.prn, d.prn_spec_version, d.seed, d.start, d.manifest, fmt_int(lang, d.selected)
                ),
            },
            match (&d.seed_chain, lang) {
                (None, Lang::Sv) => "Fröet valdes av analytikern och härleddes inte ur ett åtagande (urval commit): inget i filerna visar att det inte valdes efter att andra frön prövats.".to_string(),
                (None, Lang::En) => "The seed was chosen by the analyst, not derived from a commitment (urval commit): nothing in the files shows that it was not picked after trying others.".to_string(),
                (Some(c), Lang::Sv) => format!(
                    "Fröet valdes inte av någon: det härleddes ur åtagandet {} (gjort {}, innan slumptalen fanns) och slumptalen {} som togs fram därefter, som de första 8 byten av SHA-256(\"urval-seed-v1:\" + åtagande + \":\" + slumptal + \":\" + steg {}) = {}. Den som har åtagandet och slumptalen kan räkna om fröet utan urval.",
                    c.commitment, c.committed, c.randomness, c.stage, d.seed
                ),
                (Some(c), Lang::En) => format!(
                    "Nobody chose the seed: it was derived from the commitment {} (made {}, before the randomness existed) and the randomness {} produced after it, as the first 8 bytes of SHA-256(\"urval-seed-v1:\" + commitment + \":\" + randomness + \":\" + stage {}) = {}. Anyone with the commitment and the randomness can recompute the seed without urval.",
                    c.commitment, c.committed, c.randomness, c.stage, d.seed
                ),
            },
            match (lang, &d.own_extract) {
                (Lang::Sv, None) => "Vem som helst med samma uttag kan kontrollera dragningen (slutkod 0: identisk; 1: skillnaderna listas):".to_string(),
                (Lang::En, None) => "Anyone with the same extract can check the draw (exit 0: identical; 1: the differences are listed):".to_string(),
                (Lang::Sv, Some(own)) => format!("Ni kan själva kontrollera er del med ert eget uttag av ärendena: bara era egna rader, med samma kolumner som uttaget planen gjordes på, som CSV (komma eller semikolon, UTF-8 eller Windows-1252), Excel eller Parquet. Spara uttaget som {own} i mappen med listan och kör där kommandot nedan; fröet, planen och er del läses ur listan själv, och andra kommuners strata ingår inte (slutkod 0: identisk; 1: skillnaderna listas):"),
                (Lang::En, Some(own)) => format!("You can check your part yourselves with your own extract of the cases: your own rows only, with the columns of the extract the plan was made on, as CSV (comma or semicolon, UTF-8 or Windows-1252), Excel or Parquet. Save the extract as {own} in the folder holding the list and run the command below there; the seed, the plan and your part are read from the list itself, and other municipalities' strata are not included (exit 0: identical; 1: the differences are listed):"),
            },
        ]
    }

    /// Under the plot of per-stratum margins: what the two curves are.
    pub fn spread_caption(r: &Report) -> String {
        let lang = r.lang;
        let h = r.precision.strata.len() as u64;
        let empty = r
            .precision
            .strata
            .iter()
            .filter(|p| p.requested == Some(0))
            .count() as u64;
        let tail = if empty > 0 {
            match lang {
                Lang::Sv => format!(" {} strata får inga begärda akter och når aldrig upp på kurvan för det begärda.", fmt_int(lang, empty)),
                Lang::En => format!(" {} strata get no requested records and never reach the curve of the requested.", fmt_int(lang, empty)),
            }
        } else {
            String::new()
        };
        match lang {
            Lang::Sv => format!(
                "Andelen av de {} strata vars felmarginal är högst x, vid det behövda och vid det begärda antalet akter; den streckade linjen är målet.{tail}",
                fmt_int(lang, h)
            ),
            Lang::En => format!(
                "The share of the {} strata whose margin of error is at most x, at the records needed and at the records requested; the dashed line is the target.{tail}",
                fmt_int(lang, h)
            ),
        }
    }

    /// Under the burden plot.
    pub fn burden_caption(r: &Report, shown: usize) -> String {
        let lang = r.lang;
        let h = r.strata.len();
        if h <= shown {
            return super::words(lang).plot_burden_title.to_string();
        }
        match lang {
            Lang::Sv => format!(
                "Sidor som behövs och som begärs i de {shown} strata som har flest sidor (av {}).",
                fmt_int(lang, h as u64)
            ),
            Lang::En => format!(
                "Pages needed and requested in the {shown} strata with the most pages (of {}).",
                fmt_int(lang, h as u64)
            ),
        }
    }

    /// The heading of a shortened per-stratum table.
    pub fn top_strata(r: &Report) -> String {
        let n = TOP;
        match r.lang {
            Lang::Sv => format!("De {n} strata med flest sidor"),
            Lang::En => format!("The {n} strata with the most pages"),
        }
    }

    /// The heading of a shortened table of estimates.
    pub fn top_groups(r: &Report) -> String {
        let n = TOP;
        match r.lang {
            Lang::Sv => format!("Totalerna och de {n} grupper som har de bredaste intervallen"),
            Lang::En => format!("The totals and the {n} groups with the widest intervals"),
        }
    }

    /// The summary of a folded full table.
    pub fn full_table(lang: Lang, rows: usize) -> String {
        match lang {
            Lang::Sv => format!("Hela tabellen ({} rader)", fmt_int(lang, rows as u64)),
            Lang::En => format!("The full table ({} rows)", fmt_int(lang, rows as u64)),
        }
    }

    /// Where a shortened table is in full (the Markdown report, which cannot fold).
    pub fn attached_full(lang: Lang, rows: usize) -> String {
        match lang {
            Lang::Sv => format!(
                "Hela tabellen ({} rader) finns som bilaga:",
                fmt_int(lang, rows as u64)
            ),
            Lang::En => format!(
                "The full table ({} rows) is attached:",
                fmt_int(lang, rows as u64)
            ),
        }
    }

    /// The shares left out of the plot because no record was in their population.
    pub fn not_plotted(lang: Lang, rows: &[&crate::IndicatorRow]) -> Option<String> {
        if rows.is_empty() {
            return None;
        }
        let names: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        Some(match lang {
            Lang::Sv => format!(
                "Utan akter i urvalet (n = 0) och därför inte i diagrammet: {}.",
                names.join("; ")
            ),
            Lang::En => format!(
                "No records in the sample (n = 0), so not plotted: {}.",
                names.join("; ")
            ),
        })
    }

    /// How many groups have no records (they are in the full table only).
    pub fn groups_without_records(r: &Report) -> Option<String> {
        if r.indicators.len() <= LONG {
            return None;
        }
        let k = r
            .indicators
            .iter()
            .filter(|i| i.group != "total" && i.n == 0)
            .count();
        (k > 0).then(|| match r.lang {
            Lang::Sv => format!(
                "{} grupper har inga akter i urvalet (n = 0) och finns bara i hela tabellen.",
                fmt_int(r.lang, k as u64)
            ),
            Lang::En => format!(
                "{} groups have no records in the sample (n = 0) and are in the full table only.",
                fmt_int(r.lang, k as u64)
            ),
        })
    }

    /// One sentence on withheld rows (`..`), when the table has any.
    pub fn suppressed(r: &Report) -> Option<String> {
        let k = r.suppress_below;
        r.indicators.iter().any(|i| i.suppressed).then(|| match r.lang {
            Lang::Sv => format!("Två punkter (..) betyder att uppgiften inte visas: den bygger på så få personer (1–{}) att någon skulle kunna pekas ut, eller skulle kunna räknas fram ur andra uppgifter i tabellen.", k.saturating_sub(1)),
            Lang::En => format!("Two dots (..) mean a figure is not shown: it rests on so few people (1 to {}) that someone could be identified, or it could be worked out from other figures in the table.", k.saturating_sub(1)),
        })
    }

    /// The header's mark of a report whose indicators hold every cell.
    pub fn not_for_publication(r: &Report) -> Option<&'static str> {
        r.not_for_publication.then_some(match r.lang {
            Lang::Sv => "Ej för publicering: tabellen visar alla celler, även de som gäller enstaka personer (--suppress-below 0). Endast för internt bruk.",
            Lang::En => "Not for publication: the table shows every cell, even those about a few people (--suppress-below 0). For internal use only.",
        })
    }

    /// The running head of every printed page.
    pub fn running_head(r: &Report) -> String {
        let w = super::words(r.lang);
        let mut parts = vec![w.title.to_string()];
        if let Some(sc) = &r.scope {
            parts.push(sc.label.clone());
        }
        if let Some(c) = &r.letter.case_number {
            parts.push(format!("{} {c}", w.case_number));
        }
        parts.push(r.letter.date.clone());
        parts.join(" · ")
    }

    /// A request for several purposes: which purpose drives the request, what separate
    /// requests would have cost, and how the allocation was found.
    pub fn purposes(r: &Report) -> Vec<String> {
        let lang = r.lang;
        let Some(ps) = &r.purposes else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let separate: u64 = ps.rows.iter().map(|x| x.alone.records).sum();
        let separate_pages: f64 = ps.rows.iter().map(|x| x.alone.pages).sum();
        let driver = ps.rows.iter().max_by(|a, b| {
            a.alone
                .records
                .cmp(&b.alone.records)
                .then(b.label.cmp(&a.label))
        });
        if let Some(d) = driver {
            out.push(match lang {
                Lang::Sv => format!(
                    "Var för sig skulle syftena kräva {} akter ({} sidor) tillsammans; en gemensam begäran klarar dem alla med {} akter ({} sidor), eftersom samma akt kan besvara flera frågor. Det syfte som ensamt kräver mest är \"{}\" med {} akter: en begäran kan inte bli mindre än så utan att det syftet ges upp eller dess precision sänks.",
                    fmt_int(lang, separate),
                    fmt_dec(lang, separate_pages, 0),
                    fmt_int(lang, ps.joint.records),
                    fmt_dec(lang, ps.joint.pages, 0),
                    d.label,
                    fmt_int(lang, d.alone.records)
                ),
                Lang::En => format!(
                    "Separately the purposes would need {} records ({} pages) together; one joint request meets them all with {} records ({} pages), since one record answers several questions. The purpose that alone needs the most is \"{}\" with {} records: no request can be smaller without giving that purpose up or lowering its precision.",
                    fmt_int(lang, separate),
                    fmt_dec(lang, separate_pages, 0),
                    fmt_int(lang, ps.joint.records),
                    fmt_dec(lang, ps.joint.pages, 0),
                    d.label,
                    fmt_int(lang, d.alone.records)
                ),
            });
        }
        let unmet: Vec<String> = ps
            .rows
            .iter()
            .filter(|x| !x.met)
            .map(|x| x.label.clone())
            .collect();
        if !unmet.is_empty() {
            out.push(match lang {
                Lang::Sv => format!(
                    "Följande syften kan inte uppfyllas ens om alla akter begärs: {}.",
                    join_list(lang, &unmet)
                ),
                Lang::En => format!(
                    "These purposes cannot be met even by requesting every record: {}.",
                    join_list(lang, &unmet)
                ),
            });
        }
        if !unmet.is_empty() {
            // No optimality claim beside a purpose that is not met.
            return out;
        }
        out.push(match (lang, ps.proved_optimal) {
            (Lang::Sv, true) => "Ingen annan fördelning av akterna som uppfyller alla syften kostar mindre (visat genom uttömmande sökning eller, för ett enda syfte, prioritetsmetodens optimalitet).".to_string(),
            (Lang::En, true) => "No other allocation of the records that meets every purpose costs less (shown by exhaustive search or, for one purpose, by the optimality of the priority method).".to_string(),
            (Lang::Sv, false) => format!(
                "Fördelningen ligger högst {} {} över den lägsta möjliga (den kontinuerliga optimala lösningen är en undre gräns).",
                fmt_dec(lang, ps.cost_total - ps.cost_lower_bound, 1),
                if ps.cost == "pages" { "sidor" } else { "akter" }
            ),
            (Lang::En, false) => format!(
                "The allocation is at most {} {} above the least possible (the continuous optimum is a lower bound).",
                fmt_dec(lang, ps.cost_total - ps.cost_lower_bound, 1),
                ps.cost
            ),
        });
        out
    }

    /// A request in two stages: what stage 1 asks for now, when stage 2 is asked for, and
    /// (an attribute plan) the rule, its risk and the expected burden against one stage.
    pub fn staged(r: &Report) -> Vec<String> {
        let lang = r.lang;
        let Some(st) = &r.staged else {
            return Vec::new();
        };
        let burden = |b: &crate::Burden| match lang {
            Lang::Sv => format!(
                "{} akter ({} sidor, {} arbetsdagar)",
                fmt_int(lang, b.records),
                fmt_dec(lang, b.pages, 0),
                fmt_dec(lang, b.working_days, 1)
            ),
            Lang::En => format!(
                "{} records ({} pages, {} working days)",
                fmt_int(lang, b.records),
                fmt_dec(lang, b.pages, 0),
                fmt_dec(lang, b.working_days, 1)
            ),
        };
        let mut out = Vec::new();
        out.push(match lang {
            Lang::Sv => format!(
                "Begäran görs i två steg. Steg 1, {}, är det som begärs nu. Steg 2, ytterligare {}, begärs bara om steg 1 inte avgör frågan. Steg 2 är nästa akter i samma dragning (samma frö och permanenta slumptal): inget dras om, och de båda stegen tillsammans är exakt det urval en begäran i ett steg skulle ha gett.",
                burden(&st.stage1),
                burden(&st.stage2)
            ),
            Lang::En => format!(
                "The request is made in two stages. Stage 1, {}, is what is requested now. Stage 2, a further {}, is requested only if stage 1 does not settle the question. Stage 2 is the next records of the same draw (the same seed and permanent random numbers): nothing is drawn again, and the two stages together are exactly the sample a single-stage request would have given.",
                burden(&st.stage1),
                burden(&st.stage2)
            ),
        });
        match (&st.rule, st.first_fraction, st.first_margin) {
            (Some(rule), _, _) => {
                let t = fmt_pct(lang, rule.tolerable_rate);
                let dev = |k: u64| match (lang, k) {
                    (Lang::Sv, 1) => "1 avvikelse".to_string(),
                    (Lang::Sv, k) => format!("{} avvikelser", fmt_int(lang, k)),
                    (Lang::En, 1) => "1 deviation".to_string(),
                    (Lang::En, k) => format!("{} deviations", fmt_int(lang, k)),
                };
                // "högst 0 avvikelser" reads as "ingen avvikelse"; English agrees the verb.
                let at_most = |k: u64| match (lang, k) {
                    (Lang::Sv, 0) => "ingen avvikelse".to_string(),
                    (Lang::Sv, k) => format!("högst {}", dev(k)),
                    (Lang::En, 0) => "no deviation is".to_string(),
                    (Lang::En, 1) => "at most 1 deviation is".to_string(),
                    (Lang::En, k) => format!("at most {} are", dev(k)),
                };
                let risk = fmt_dec(lang, rule.risk * 100.0, 3);
                out.push(match (lang, rule.n2) {
                    (Lang::Sv, 0) => format!(
                        "Regeln: hittas {} bland de {} akterna är andelen under {t}; annars kan det inte visas. Ett andra steg lönar sig inte vid den förväntade andelen avvikelser.",
                        at_most(rule.accept1),
                        fmt_int(lang, rule.n1)
                    ),
                    (Lang::En, 0) => format!(
                        "The rule: if {} found among the {} records, the share is below {t}; otherwise it cannot be shown. A second stage does not pay at the expected share of deviations.",
                        at_most(rule.accept1),
                        fmt_int(lang, rule.n1)
                    ),
                    (Lang::Sv, _) => format!(
                        "Regeln: hittas {} bland de {} akterna i steg 1 är andelen under {t} och granskningen slutar där; hittas {} eller fler kan det inte visas, och granskningen slutar också. Annars begärs steg 2 ({} akter till), och andelen är under {t} om {} hittas bland alla {} akter. Risken att dra slutsatsen att andelen är under {t} när den i själva verket är {t} är {risk} procent, beräknad exakt över båda stegen.",
                        at_most(rule.accept1),
                        fmt_int(lang, rule.n1),
                        dev(rule.reject1),
                        fmt_int(lang, rule.n2),
                        at_most(rule.accept2),
                        fmt_int(lang, rule.n1 + rule.n2)
                    ),
                    (Lang::En, _) => format!(
                        "The rule: if {} found among the {} records of stage 1, the share is below {t} and the review ends there; if {} or more are found, it cannot be shown, and the review ends too. Otherwise stage 2 is requested ({} more records), and the share is below {t} if {} found among all {} records. The risk of concluding that the share is below {t} when it is in fact {t} is {risk} per cent, computed exactly over both stages.",
                        at_most(rule.accept1),
                        fmt_int(lang, rule.n1),
                        dev(rule.reject1),
                        fmt_int(lang, rule.n2),
                        at_most(rule.accept2),
                        fmt_int(lang, rule.n1 + rule.n2)
                    ),
                });
                let saved = rule.single.pages - rule.expected_pages;
                out.push(match lang {
                    Lang::Sv => format!(
                        "Om andelen avvikelser är {} som väntat behövs steg 2 med sannolikheten {} procent. Då begärs i genomsnitt {} akter, {} sidor och {} arbetsdagar, mot {} för en begäran i ett steg med samma säkerhet: {} sidor färre i genomsnitt.",
                        fmt_pct(lang, rule.expected_rate),
                        fmt_dec(lang, rule.continue_probability * 100.0, 0),
                        fmt_dec(lang, rule.expected_records, 1),
                        fmt_dec(lang, rule.expected_pages, 0),
                        fmt_dec(lang, rule.expected_working_days, 1),
                        burden(&rule.single),
                        fmt_dec(lang, saved, 0)
                    ),
                    Lang::En => format!(
                        "If the share of deviations is {} as expected, stage 2 is needed with probability {} per cent. On average {} records, {} pages and {} working days are then requested, against {} for a single-stage request with the same confidence: {} pages fewer on average.",
                        fmt_pct(lang, rule.expected_rate),
                        fmt_dec(lang, rule.continue_probability * 100.0, 0),
                        fmt_dec(lang, rule.expected_records, 1),
                        fmt_dec(lang, rule.expected_pages, 0),
                        fmt_dec(lang, rule.expected_working_days, 1),
                        burden(&rule.single),
                        fmt_dec(lang, saved, 0)
                    ),
                });
            }
            (None, f, e1) => {
                let how = match (lang, f, e1) {
                    (Lang::Sv, Some(f), _) => format!(
                        "Steg 1 är {} av varje stratums akter, avrundat uppåt",
                        fmt_pct(lang, f)
                    ),
                    (Lang::En, Some(f), _) => format!(
                        "Stage 1 is {} of every stratum's records, rounded up",
                        fmt_pct(lang, f)
                    ),
                    (Lang::Sv, None, Some(e)) => format!(
                        "Steg 1 är det urval som ger felmarginalen {}",
                        fmt_points(lang, e)
                    ),
                    (Lang::En, None, Some(e)) => format!(
                        "Stage 1 is the sample that gives a margin of {}",
                        fmt_points(lang, e)
                    ),
                    (Lang::Sv, None, None) => "Steg 1 är en del av varje stratums akter".into(),
                    (Lang::En, None, None) => "Stage 1 is a part of every stratum's records".into(),
                };
                let margins = match (lang, st.stratum_margins, st.margin_stage1, r.purpose.margin_achieved) {
                    (Lang::Sv, Some((m1, m)), _, _) => format!(
                        "; efter steg 1 är varje stratums felmarginal högst {}, efter båda stegen högst {}.",
                        fmt_points(lang, m1),
                        fmt_points(lang, m)
                    ),
                    (Lang::En, Some((m1, m)), _, _) => format!(
                        "; after stage 1 every stratum's margin is at most {}, after both stages at most {}.",
                        fmt_points(lang, m1),
                        fmt_points(lang, m)
                    ),
                    (lang, None, m1, m) => match (lang, m1, m) {
                    (Lang::Sv, Some(m1), Some(m)) => format!(
                        "; efter steg 1 är felmarginalen för hela andelen {}, efter båda stegen {}.",
                        fmt_points(lang, m1),
                        fmt_points(lang, m)
                    ),
                    (Lang::En, Some(m1), Some(m)) => format!(
                        "; after stage 1 the margin of the overall share is {}, after both stages {}.",
                        fmt_points(lang, m1),
                        fmt_points(lang, m)
                    ),
                    _ => ".".into(),
                    },
                };
                out.push(format!("{how}{margins}"));
            }
        }
        out
    }

    /// A two-phase review: what stays with the municipality, what is requested, how phase 2
    /// was sized, and after the re-review how the agreement table is read.
    pub fn two_phase(r: &Report) -> Vec<String> {
        let lang = r.lang;
        let Some(tp) = &r.two_phase else {
            return Vec::new();
        };
        let share = if tp.phase1.records > 0 {
            fmt_pct(lang, tp.phase2.records as f64 / tp.phase1.records as f64)
        } else {
            "–".into()
        };
        let mut out = vec![match lang {
            Lang::Sv => format!(
                "Granskningen görs i två faser. I fas 1 granskar kommunen själv sina {} akter ({} sidor): de lämnar inte kommunen. I fas 2 begär inspektionen {} av dem för omgranskning ({} sidor, {} arbetsdagar), {} av akterna i fas 1.",
                fmt_int(lang, tp.phase1.records),
                fmt_dec(lang, tp.phase1.pages, 0),
                fmt_int(lang, tp.phase2.records),
                fmt_dec(lang, tp.phase2.pages, 0),
                fmt_dec(lang, tp.phase2.working_days, 1),
                share
            ),
            Lang::En => format!(
                "The review is made in two phases. In phase 1 the municipality reviews its {} records itself ({} pages): they do not leave the municipality. In phase 2 the inspectorate requests {} of them for re-review ({} pages, {} working days), {} of the phase-1 records.",
                fmt_int(lang, tp.phase1.records),
                fmt_dec(lang, tp.phase1.pages, 0),
                fmt_int(lang, tp.phase2.records),
                fmt_dec(lang, tp.phase2.pages, 0),
                fmt_dec(lang, tp.phase2.working_days, 1),
                share
            ),
        }];
        let per = tp.per.as_ref().map(|c| match lang {
            Lang::Sv => format!(" i varje {c}"),
            Lang::En => format!(" in every {c}"),
        });
        let per = per.unwrap_or_default();
        let conf = fmt_pct(lang, tp.confidence);
        out.push(match (lang, tp.margin, tp.tolerable) {
            (Lang::Sv, Some(e), _) => format!(
                "Fas 2 är dimensionerad för att skatta andelen akter där inspektionen bedömer annorlunda än kommunen med en felmarginal på högst {}{per}, med {conf} konfidens. Vilka akter som omgranskas bestäms med ett frö som inspektionen väljer när egengranskningen är inlämnad.",
                fmt_points(lang, e)
            ),
            (Lang::En, Some(e), _) => format!(
                "Phase 2 is sized to estimate the share of records the inspectorate judges differently from the municipality to within {}{per}, at {conf} confidence. Which records are re-reviewed is decided with a seed the inspectorate chooses once the self-review is returned.",
                fmt_points(lang, e)
            ),
            (Lang::Sv, None, Some(t)) => format!(
                "Fas 2 är dimensionerad för att visa, med {conf} konfidens, att inspektionen bedömer annorlunda än kommunen i färre än {} av akterna{per}. Vilka akter som omgranskas bestäms med ett frö som inspektionen väljer när egengranskningen är inlämnad.",
                fmt_pct(lang, t)
            ),
            (Lang::En, None, Some(t)) => format!(
                "Phase 2 is sized to show, at {conf} confidence, that the inspectorate judges fewer than {} of the records differently from the municipality{per}. Which records are re-reviewed is decided with a seed the inspectorate chooses once the self-review is returned.",
                fmt_pct(lang, t)
            ),
            (_, None, None) => String::new(),
        });
        if !tp.agreement.is_empty() {
            out.push(match lang {
                Lang::Sv => "Efter omgranskningen: per fråga antalet akter båda bedömt, hur ofta bedömningarna stämmer, Cohens kappa (1 = full samstämmighet, 0 = som slumpen), den övre gränsen för andelen akter där bedömningarna skiljer sig, kommunens egen andel och andelen korrigerad med omgranskningen (Tenenbein 1970).".to_string(),
                Lang::En => "After the re-review: per question the records both judged, how often the judgements agree, Cohen's kappa (1 = full agreement, 0 = as chance), the upper bound for the share of records judged differently, the municipality's own share and the share corrected by the re-review (Tenenbein 1970).".to_string(),
            });
        }
        out.retain(|p| !p.is_empty());
        out
    }

    /// The records this request shares with a previous one.
    pub fn overlap(r: &Report) -> Option<String> {
        let lang = r.lang;
        let o = r.overlap.as_ref()?;
        let chance = fmt_dec(lang, o.expected, 0);
        let shared = match (lang, o.shared) {
            (Lang::Sv, 0) => format!(
                "Den här begäran har ingen akt gemensam med den tidigare ({}).",
                o.previous
            ),
            (Lang::En, 0) => format!(
                "This request has no record in common with the previous one ({}).",
                o.previous
            ),
            (Lang::Sv, k) => format!(
                "Den här begäran har {} akter gemensamma med den tidigare ({}).",
                fmt_int(lang, k),
                o.previous
            ),
            (Lang::En, k) => format!(
                "This request has {} records in common with the previous one ({}).",
                fmt_int(lang, k),
                o.previous
            ),
        };
        let forced = match (lang, o.forced) {
            (Lang::Sv, 0) => format!(
                "Två begäranden av dessa storlekar behöver inte ha någon akt gemensam; två oberoende dragningar skulle ha omkring {chance} gemensamma."
            ),
            (Lang::En, 0) => format!(
                "Two requests of these sizes need have no record in common; two independent draws would have about {chance}."
            ),
            (Lang::Sv, f) => format!(
                "Två begäranden av dessa storlekar måste ha minst {} akter gemensamma; två oberoende dragningar skulle ha omkring {chance}.",
                fmt_int(lang, f)
            ),
            (Lang::En, f) => format!(
                "Two requests of these sizes must have at least {} records in common; two independent draws would have about {chance}.",
                fmt_int(lang, f)
            ),
        };
        Some(format!("{shared} {forced}"))
    }

    /// How a requested total was split over the strata (none was given per stratum).
    pub fn split_note(lang: Lang) -> String {
        match lang {
            Lang::Sv => "Den begärda totalen fördelas över strata i proportion till N_h (prioritetsmetoden), eftersom ingen begäran per stratum angavs.".to_string(),
            Lang::En => "The requested total is split over the strata in proportion to N_h (the priority method), as no request per stratum was given.".to_string(),
        }
    }

    /// Under the margin plot of a domain design.
    pub fn domain_formula(lang: Lang, z: f64, p: f64) -> String {
        match lang {
            Lang::Sv => format!("varje stratum dimensioneras för sin egen felmarginal E: n_h = n0/(1 + (n0 − 1)/N_h), n0 = z²·P(1−P)/E², z = {}, P = {}; punkterna är det sämsta stratumets felmarginal", fmt_dec(lang, z, 4), fmt_dec(lang, p, 2)),
            Lang::En => format!("every stratum sized for its own margin E: n_h = n0/(1 + (n0 − 1)/N_h), n0 = z²·P(1−P)/E², z = {}, P = {}; the points are the worst stratum's margin", fmt_dec(lang, z, 4), fmt_dec(lang, p, 2)),
        }
    }

    /// Under the margin plot of an overall target.
    pub fn overall_formula(lang: Lang, allocation: &str, z: f64, p: f64, big: u64) -> String {
        let a = allocation_name(lang, allocation);
        match lang {
            Lang::Sv => format!(
                "e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)), n_h enligt {a}, z = {}, P = {}, N = {}",
                fmt_dec(lang, z, 4),
                fmt_dec(lang, p, 2),
                fmt_int(lang, big)
            ),
            Lang::En => format!(
                "e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)), n_h by {a}, z = {}, P = {}, N = {}",
                fmt_dec(lang, z, 4),
                fmt_dec(lang, p, 2),
                fmt_int(lang, big)
            ),
        }
    }
}
