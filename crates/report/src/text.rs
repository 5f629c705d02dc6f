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

/// One sentence or phrase of the report in both languages, side by side. `{name}` marks
/// where a value goes ([`Sentence::fill`]); a brace that names no value is text.
pub(crate) struct Sentence {
    /// Swedish.
    pub sv: &'static str,
    /// English.
    pub en: &'static str,
}

impl Sentence {
    /// The text in `lang`, as written.
    pub fn text(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Sv => self.sv,
            Lang::En => self.en,
        }
    }

    /// The text in `lang` with each `{name}` of `values` replaced by its value. A value is
    /// inserted as it is and never read for further names, so a label from the data that
    /// holds braces stays as it is.
    pub fn fill(&self, lang: Lang, values: &[(&str, &str)]) -> String {
        fill(self.text(lang), values)
    }
}

/// `template` with each `{name}` of `values` replaced by its value (see [`Sentence::fill`]).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    debug_assert!(
        values
            .iter()
            .all(|(name, _)| template.contains(&format!("{{{name}}}"))),
        "a value the text does not use: {template:?}"
    );
    let (open, close) = ('{', '}');
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find(open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let value = after.find(close).and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (end, *v))
        });
        match value {
            Some((end, v)) => {
                out.push_str(v);
                rest = &after[end + 1..];
            }
            None => {
                out.push(open);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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

const PERCENT: Sentence = Sentence {
    sv: "{n}\u{a0}%",
    en: "{n}%",
};

/// A share as a percentage with one decimal: sv `75,0 %`, en `75.0%`.
pub fn fmt_pct(lang: Lang, v: f64) -> String {
    PERCENT.fill(lang, &[("n", &fmt_dec(lang, v * 100.0, 1))])
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

const POINTS: Sentence = Sentence {
    sv: "±{n}\u{a0}procentenheter",
    en: "±{n} percentage points",
};

/// A margin of error in percentage points: sv `±5,0 procentenheter`, en `±5.0 percentage points`.
pub fn fmt_points(lang: Lang, v: f64) -> String {
    POINTS.fill(lang, &[("n", &fmt_dec(lang, v * 100.0, 1))])
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

const DATETIME: Sentence = Sentence {
    sv: "{date} kl. {hour}.{minute}",
    en: "{date}, {hour}:{minute}",
};

/// A local date and time as the language writes it: `24 november 2026 kl. 22.28`,
/// `24 November 2026, 22:28`.
pub fn long_datetime(lang: Lang, y: i64, m: u32, d: u32, hour: i64, minute: i64) -> String {
    DATETIME.fill(
        lang,
        &[
            ("date", &long_date(lang, y, m, d)),
            ("hour", &format!("{hour:02}")),
            ("minute", &format!("{minute:02}")),
        ],
    )
}

const NATIONAL: Sentence = Sentence {
    sv: "Hela riket",
    en: "National",
};

/// An estimate's group as shown: its values, or for the totals `Totalt` — `Hela
/// begäran` in the report for one part (`--only`), where the totals are the whole
/// request's.
pub fn group_name(r: &crate::Report, row: &crate::IndicatorRow) -> String {
    let w = words(r.lang);
    match (row.group.as_str(), &r.scope) {
        ("total", None) => w.total.to_string(),
        ("total", Some(sc)) if sc.national => NATIONAL.text(r.lang).to_string(),
        ("total", Some(_)) => w.whole_request.to_string(),
        (g, _) => g.to_string(),
    }
}

/// What the whole of a request is called in a part's report: the country (`hela riket`)
/// when it covers every county, else the whole request.
pub(crate) fn whole_area(lang: Lang, sc: &crate::Scope) -> &'static str {
    const COUNTRY: Sentence = Sentence {
        sv: "hela riket",
        en: "the whole country",
    };
    const REQUEST: Sentence = Sentence {
        sv: "hela begäran",
        en: "the whole request",
    };
    if sc.national { COUNTRY } else { REQUEST }.text(lang)
}

/// The whole request as the subject of "needs" or "holds": `begäran för hela riket` when
/// national, else `hela begäran`.
pub(crate) fn whole_request(lang: Lang, sc: &crate::Scope) -> &'static str {
    const NATIONAL_REQUEST: Sentence = Sentence {
        sv: "begäran för hela riket",
        en: "the national request",
    };
    const WHOLE_REQUEST: Sentence = Sentence {
        sv: "hela begäran",
        en: "the whole request",
    };
    if sc.national {
        NATIONAL_REQUEST
    } else {
        WHOLE_REQUEST
    }
    .text(lang)
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
    pub model_estimate: &'static str,
    pub model_interval: &'static str,
    pub model_lower: &'static str,
    pub model_upper: &'static str,
    pub model_weight: &'static str,
    pub model_method: &'static str,
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
    model_estimate: "Modellbaserad skattning (komplement)",
    model_interval: "Modellbaserat intervall",
    model_lower: "Modellbaserad, nedre gräns",
    model_upper: "Modellbaserad, övre gräns",
    model_weight: "Vikt på den direkta skattningen",
    model_method: "Modell",
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
    model_estimate: "Model-based estimate (complement)",
    model_interval: "Model-based interval",
    model_lower: "Model-based, lower bound",
    model_upper: "Model-based, upper bound",
    model_weight: "Weight of the direct estimate",
    model_method: "Model",
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
    let name = match a {
        "proportional" => Sentence {
            sv: "proportionell fördelning (n_h ∝ N_h)",
            en: "proportional allocation (n_h ∝ N_h)",
        },
        "neyman" => Sentence {
            sv: "Neymanfördelning (n_h ∝ N_h·S_h)",
            en: "Neyman allocation (n_h ∝ N_h·S_h)",
        },
        "optimal" => Sentence {
            sv: "kostnadsoptimal fördelning (n_h ∝ N_h·S_h/√c_h)",
            en: "cost-optimal allocation (n_h ∝ N_h·S_h/√c_h)",
        },
        "equal" => Sentence {
            sv: "lika många per stratum",
            en: "equal allocation",
        },
        "domain" => Sentence {
            sv: "egen felmarginal i varje stratum",
            en: "its own margin in every stratum",
        },
        other => return other.to_string(),
    };
    name.text(lang).to_string()
}

const CAUTION: Sentence = Sentence {
    sv: "tolka med försiktighet: {caution}",
    en: "read with caution: {caution}",
};
const NONRESPONSE_DROPPED: Sentence = Sentence {
    sv: "strata utan svar är utelämnade ({p} av populationen)",
    en: "strata with no response left out ({p} of the population)",
};
const NONRESPONSE_INCOMPLETE: Sentence = Sentence {
    sv: "ofullständig: upp till {p} av populationen finns i strata utan svar; intervallet är det sämsta fallet",
    en: "incomplete: up to {p} of the population is in strata with no response; the interval is the worst case",
};

/// The note under an estimate: a small-sample caution and the non-response status, in the
/// language (None when there is nothing to say).
pub fn estimate_note(lang: Lang, row: &crate::IndicatorRow) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(c) = &row.caution {
        let caution = match c.as_str() {
            "fewer than 2 records in a stratum" => Sentence {
                sv: "färre än 2 akter i något stratum",
                en: "fewer than 2 records in a stratum",
            }
            .text(lang),
            "fewer than 30 records and skewed (|skewness| > 1)" => Sentence {
                sv: "färre än 30 akter och sned fördelning (|skevhet| > 1)",
                en: "fewer than 30 records and a skewed distribution (|skewness| > 1)",
            }
            .text(lang),
            other => other,
        };
        parts.push(CAUTION.fill(lang, &[("caution", caution)]));
    }
    if let Some((status, share)) = &row.nonresponse {
        let status = match status.as_str() {
            "dropped" => NONRESPONSE_DROPPED,
            _ => NONRESPONSE_INCOMPLETE,
        };
        parts.push(status.fill(lang, &[("p", &fmt_pct(lang, *share))]));
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
        "eb-beta-binomial" => (
            "empirisk Bayes (beta-binomial), mot alla områdens gemensamma andel",
            "empirical Bayes (beta-binomial), towards the common rate of all areas",
        ),
        "eb-beta-binomial-synthetic" => (
            "empirisk Bayes (beta-binomial), syntetisk: inga akter i urvalet",
            "empirical Bayes (beta-binomial), synthetic: no records in the sample",
        ),
        "fay-herriot-arcsine" => (
            "Fay–Herriot på arcsinusskala, med hjälpvariabler",
            "Fay–Herriot on the arcsine scale, with covariates",
        ),
        "fay-herriot-arcsine-synthetic" => (
            "Fay–Herriot på arcsinusskala, syntetisk: inga akter i urvalet",
            "Fay–Herriot on the arcsine scale, synthetic: no records in the sample",
        ),
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

    /// A sentence in either language, its values in place; a brace that names no value
    /// stays, and a value is never read for names.
    #[test]
    fn sentences_take_their_values() {
        const S: Sentence = Sentence {
            sv: "{n} akter av {of} ({n}), 1{domän}",
            en: "{n} records of {of} ({n}), 1{domain}",
        };
        assert_eq!(
            S.fill(Lang::Sv, &[("n", "3"), ("of", "{n}")]),
            "3 akter av {n} (3), 1{domän}"
        );
        assert_eq!(
            S.fill(Lang::En, &[("n", "3"), ("of", "7")]),
            "3 records of 7 (3), 1{domain}"
        );
        assert_eq!(S.text(Lang::En), S.en);
        assert_eq!(fill("a {b", &[]), "a {b");
        assert_eq!(fill("}{x}{", &[("x", "y")]), "}y{");
    }

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
