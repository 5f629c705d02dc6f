//! The report's sentences, as plain text (the renderers escape or format them): one
//! function per sentence, each sentence one table of its Swedish and English text
//! ([`Sentence`]) with `{name}` where a value goes.

use crate::text::{allocation_name, fmt_dec, fmt_int, fmt_pct, fmt_points, join_list, Lang};
use crate::text::{whole_area, whole_request, Sentence, LONG, TOP};
use crate::Report;

const TARGET_DOMAIN: Sentence = Sentence {
    sv: "att skatta en andel i varje stratum ({strata}) med en felmarginal på högst {margin} och {conf} konfidens",
    en: "to estimate a share in every stratum ({strata}) to within {margin} at {conf} confidence",
};
const TARGET_MARGIN: Sentence = Sentence {
    sv: "att skatta en andel med en felmarginal på högst {margin} och {conf} konfidens",
    en: "to estimate a share to within {margin} at {conf} confidence",
};
const TARGET_TOTAL: Sentence = Sentence {
    sv: "ett urval om {n} akter",
    en: "a sample of {n} records",
};
const TARGET_SAMPLE: Sentence = Sentence {
    sv: "ett urval",
    en: "a sample",
};
const TARGET_OF_WHOLE: Sentence = Sentence {
    sv: "{target} för {whole} ({needed} akter av {population})",
    en: "{target} for {whole} ({needed} records of {population})",
};
const POPULATION_FILTER: Sentence = Sentence {
    sv: " Populationen är akterna där {filter}.",
    en: " The population is the records where {filter}.",
};
const FEWEST_PAGES: Sentence = Sentence {
    sv: "så få sidor som möjligt",
    en: "as few pages as possible",
};
const FEWEST_RECORDS: Sentence = Sentence {
    sv: "så få akter som möjligt",
    en: "as few records as possible",
};
const PURPOSE_SEVERAL: Sentence = Sentence {
    sv: "Begäran tjänar {count} syften på en gång: {list}. Varje syfte har sin egen population, förväntade andel och precision; akterna fördelas över strata ({strata}) så att alla syften uppfylls med {by}.{filter}",
    en: "The request serves {count} purposes at once: {list}. Each has its own population, anticipated share and precision; the records are spread over the strata ({strata}) so that every purpose is met with {by}.{filter}",
};
const PURPOSE_TOLERABLE: Sentence = Sentence {
    sv: "Syftet är att visa, med {conf} konfidens, att andelen akter med en avvikelse är under {t}. Akterna fördelas över strata ({strata}) i proportion till deras antal akter.{filter}",
    en: "The purpose is to show, at {conf} confidence, that the share of records with a deviation is below {t}. The records are spread over the strata ({strata}) in proportion to their numbers of records.{filter}",
};
const PURPOSE_DOMAIN: Sentence = Sentence {
    sv: "Syftet är {target}. Varje stratum får så många akter som dess egen felmarginal kräver; den förväntade andelen är {share}.{filter}",
    en: "The purpose is {target}. Every stratum gets as many records as its own margin needs; the anticipated share is {share}.{filter}",
};
const PURPOSE_ALLOCATED: Sentence = Sentence {
    sv: "Syftet är {target}. Akterna fördelas över strata ({strata}) med {alloc}; den förväntade andelen är {share}.{filter}",
    en: "The purpose is {target}. The records are spread over the strata ({strata}) by {alloc}; the anticipated share is {share}.{filter}",
};

/// What the request is for.
pub fn purpose(r: &Report) -> String {
    let lang = r.lang;
    let p = &r.purpose;
    let conf = fmt_pct(lang, p.confidence);
    let strata = p.strata_columns.join(" × ");
    let domain = p.allocation == "domain";
    let target = match (p.margin, p.total) {
        (Some(m), _) => {
            let margin = fmt_points(lang, m);
            let values = [
                ("strata", strata.as_str()),
                ("margin", &margin),
                ("conf", &conf),
            ];
            if domain {
                TARGET_DOMAIN.fill(lang, &values)
            } else {
                TARGET_MARGIN.fill(lang, &values[1..])
            }
        }
        (None, Some(n)) => TARGET_TOTAL.fill(lang, &[("n", &fmt_int(lang, n))]),
        (None, None) => TARGET_SAMPLE.text(lang).to_string(),
    };
    // In the report for one part, a margin on the overall share is the whole
    // request's: said so, with its total.
    let target = match &r.scope {
        Some(sc) if p.margin.is_some() && !domain => TARGET_OF_WHOLE.fill(
            lang,
            &[
                ("target", &target),
                ("whole", whole_area(lang, sc)),
                ("needed", &fmt_int(lang, sc.needed)),
                ("population", &fmt_int(lang, sc.population)),
            ],
        ),
        _ => target,
    };
    let filter = p
        .population_filter
        .as_deref()
        .map(|f| POPULATION_FILTER.fill(lang, &[("filter", f)]))
        .unwrap_or_default();
    if let Some(ps) = &r.purposes {
        let names: Vec<String> = ps.rows.iter().map(|x| x.label.to_lowercase()).collect();
        let by = match ps.cost.as_str() {
            "pages" => FEWEST_PAGES,
            _ => FEWEST_RECORDS,
        };
        return PURPOSE_SEVERAL.fill(
            lang,
            &[
                ("count", &fmt_int(lang, ps.rows.len() as u64)),
                ("list", &join_list(lang, &names)),
                ("strata", &strata),
                ("by", by.text(lang)),
                ("filter", &filter),
            ],
        );
    }
    if let Some(t) = p.tolerable_rate {
        return PURPOSE_TOLERABLE.fill(
            lang,
            &[
                ("conf", &conf),
                ("t", &fmt_pct(lang, t)),
                ("strata", &strata),
                ("filter", &filter),
            ],
        );
    }
    let share = fmt_dec(lang, p.proportion, 2);
    if domain {
        return PURPOSE_DOMAIN.fill(
            lang,
            &[("target", &target), ("share", &share), ("filter", &filter)],
        );
    }
    PURPOSE_ALLOCATED.fill(
        lang,
        &[
            ("target", &target),
            ("strata", &strata),
            ("alloc", &allocation_name(lang, &p.allocation)),
            ("share", &share),
            ("filter", &filter),
        ],
    )
}

const NEEDS_ONE: Sentence = Sentence {
    sv: "Syftet kräver",
    en: "The purpose needs",
};
const NEEDS_SEVERAL: Sentence = Sentence {
    sv: "Syftena kräver",
    en: "The purposes need",
};
const SUMMARY_NEEDED: Sentence = Sentence {
    sv: "{needs} {records} av {population} akter: {pages} sidor och {days} arbetsdagar.",
    en: "{needs} {records} of {population} records: {pages} pages and {days} working days.",
};
const SUMMARY_SHORT: Sentence = Sentence {
    sv: "{base} Begäran gäller {requested} akter, {short} färre än syftet kräver: precisionen nås inte.",
    en: "{base} The request is for {requested} records, {short} fewer than the purpose needs: the precision is not reached.",
};
const SUMMARY_EXACT: Sentence = Sentence {
    sv: "{base} Begäran gäller just så många akter.",
    en: "{base} The request is for exactly that many records.",
};
const SUMMARY_SURPLUS: Sentence = Sentence {
    sv: "{base} Begäran gäller {requested} akter. De {surplus} akter som begärs utöver behovet är {pages} sidor och {days} arbetsdagar som inte tillför någon precision som syftet kräver.",
    en: "{base} The request is for {requested} records. The {surplus} records requested beyond the need are {pages} pages and {days} working days that buy no precision the purpose needs.",
};

/// Needed against requested, in records, pages and working days.
pub fn summary(r: &Report) -> String {
    let lang = r.lang;
    let t = &r.total;
    let n = &t.needed;
    let needs = match r.purposes {
        Some(_) => NEEDS_SEVERAL,
        None => NEEDS_ONE,
    };
    let base = SUMMARY_NEEDED.fill(
        lang,
        &[
            ("needs", needs.text(lang)),
            ("records", &fmt_int(lang, n.records)),
            ("population", &fmt_int(lang, t.population)),
            ("pages", &fmt_dec(lang, n.pages, 0)),
            ("days", &fmt_dec(lang, n.working_days, 1)),
        ],
    );
    let Some(q) = t.requested else {
        return base;
    };
    let surplus = t.surplus().unwrap_or_default();
    let requested = fmt_int(lang, q.records);
    if let Some(short) = t.shortfall().map(|b| b.records) {
        return SUMMARY_SHORT.fill(
            lang,
            &[
                ("base", &base),
                ("requested", &requested),
                ("short", &fmt_int(lang, short)),
            ],
        );
    }
    if surplus.records == 0 {
        return SUMMARY_EXACT.fill(lang, &[("base", &base)]);
    }
    SUMMARY_SURPLUS.fill(
        lang,
        &[
            ("base", &base),
            ("requested", &requested),
            ("surplus", &fmt_int(lang, surplus.records)),
            ("pages", &fmt_dec(lang, surplus.pages, 0)),
            ("days", &fmt_dec(lang, surplus.working_days, 1)),
        ],
    )
}

const PRECISION_EMPTY_STRATA: Sentence = Sentence {
    sv: "Med de {n1} akter som behövs är felmarginalen högst {m1} i varje stratum. Begäran ger {empty} strata inga akter alls och därmed ingen skattning där.",
    en: "With the {n1} records needed the margin of error is at most {m1} in every stratum. The request gives {empty} strata no records at all, and so no estimate there.",
};
const PRECISION_SHORT_STRATA: Sentence = Sentence {
    sv: "Med de {n1} akter som behövs är felmarginalen högst {m1} i varje stratum. Begäran på {n2} akter ger vissa strata färre akter än de behöver: den största felmarginalen blir {m2}.",
    en: "With the {n1} records needed the margin of error is at most {m1} in every stratum. The request for {n2} records gives some strata fewer records than they need: the largest margin becomes {m2}.",
};
const PRECISION_OVERALL: Sentence = Sentence {
    sv: "{n1} akter ger en felmarginal på {m1} för den totala andelen; de {n2} begärda ger {m2}. De {extra} extra akterna minskar felmarginalen med {gain} procentenheter, {per100} procentenheter per 100 akter.",
    en: "{n1} records give a margin of error of {m1} on the overall share; the {n2} requested give {m2}. The {extra} extra records narrow the margin by {gain} points, {per100} points per 100 records.",
};
const PRECISION_PER_STRATUM: Sentence = Sentence {
    sv: "Med de {n1} akter som behövs är felmarginalen högst {m1} i varje stratum; med de {n2} begärda högst {m2}. De {extra} extra akterna minskar den största felmarginalen med {gain} procentenheter.",
    en: "With the {n1} records needed the margin of error is at most {m1} in every stratum; with the {n2} requested at most {m2}. The {extra} extra records narrow the largest margin by {gain} points.",
};

/// What going from the needed to the requested number of records buys, in the
/// design's own margin (the overall share's, or the worst stratum's for a domain
/// design).
pub fn precision(r: &Report) -> Option<String> {
    let lang = r.lang;
    let (n1, m1) = r.curve.needed;
    let per_stratum = r.precision.kind == "per_stratum";
    let (needed, needed_margin) = (fmt_int(lang, n1), fmt_points(lang, m1));
    let Some((n2, m2)) = r.curve.requested else {
        // A domain request that leaves a stratum without records.
        let empty = r
            .precision
            .strata
            .iter()
            .filter(|s| s.requested == Some(0))
            .count();
        return (per_stratum && empty > 0).then(|| {
            PRECISION_EMPTY_STRATA.fill(
                lang,
                &[
                    ("n1", &needed),
                    ("m1", &needed_margin),
                    ("empty", &fmt_int(lang, empty as u64)),
                ],
            )
        });
    };
    let (requested, requested_margin) = (fmt_int(lang, n2), fmt_points(lang, m2));
    if per_stratum && m2 > m1 * (1.0 + 1e-9) {
        return Some(PRECISION_SHORT_STRATA.fill(
            lang,
            &[
                ("n1", &needed),
                ("m1", &needed_margin),
                ("n2", &requested),
                ("m2", &requested_margin),
            ],
        ));
    }
    if n2 <= n1 {
        return None;
    }
    let extra = n2 - n1;
    let gain = (m1 - m2).max(0.0);
    let per100 = gain * 100.0 / extra as f64 * 100.0;
    let (extra, gain, per100) = (
        fmt_int(lang, extra),
        fmt_dec(lang, gain * 100.0, 1),
        fmt_dec(lang, per100, 2),
    );
    let values = [
        ("n1", needed.as_str()),
        ("m1", &needed_margin),
        ("n2", &requested),
        ("m2", &requested_margin),
        ("extra", &extra),
        ("gain", &gain),
        ("per100", &per100),
    ];
    Some(if per_stratum {
        PRECISION_PER_STRATUM.fill(lang, &values[..6])
    } else {
        PRECISION_OVERALL.fill(lang, &values)
    })
}

const WHOLE_REQUEST_TABLE: Sentence = Sentence {
    sv: "Tabellen gäller {whole} ({whole_needed} akter av {whole_population}), inte bara {part} ({needed} akter av {population}).",
    en: "The table is for {whole} ({whole_needed} records of {whole_population}), not {part} alone ({needed} records of {population}).",
};

/// Under a table of the whole request (the purposes, the agreement of a re-review) in
/// the report for one part (`--only`): whose figures they are, with the whole
/// request's totals beside the part's. None for a report of the whole request.
pub fn whole_request_table(r: &Report) -> Option<String> {
    let lang = r.lang;
    let sc = r.scope.as_ref()?;
    Some(WHOLE_REQUEST_TABLE.fill(
        lang,
        &[
            ("whole", whole_area(lang, sc)),
            ("whole_needed", &fmt_int(lang, sc.needed)),
            ("whole_population", &fmt_int(lang, sc.population)),
            ("part", &sc.label),
            ("needed", &fmt_int(lang, r.total.needed.records)),
            ("population", &fmt_int(lang, r.total.population)),
        ],
    ))
}

const SCOPE_REQUESTED: Sentence = Sentence {
    sv: " Av de {all} akter som {whole} omfattar är {records} ({share}) för {part}.",
    en: " Of the {all} records in {whole}, {records} ({share}) are for {part}.",
};
const SCOPE: Sentence = Sentence {
    sv: "Den här rapporten gäller {part}: {needed} av de {whole_needed} akter som {whole} behöver ({share}), i en population på {population} av {whole_population} akter.{requested}",
    en: "This report is for {part}: {needed} of the {whole_needed} records {whole} needs ({share}), in a population of {population} of {whole_population} records.{requested}",
};

/// Where a part (`--only`) stands in the whole request.
pub fn scope(r: &Report) -> Option<String> {
    let lang = r.lang;
    let sc = r.scope.as_ref()?;
    let share = |a: u64, b: u64| fmt_pct(lang, if b == 0 { 0.0 } else { a as f64 / b as f64 });
    let whole = whole_request(lang, sc);
    let requested = match (r.total.requested, sc.requested) {
        (Some(q), Some(all)) => SCOPE_REQUESTED.fill(
            lang,
            &[
                ("all", &fmt_int(lang, all)),
                ("whole", whole),
                ("records", &fmt_int(lang, q.records)),
                ("share", &share(q.records, all)),
                ("part", &sc.label),
            ],
        ),
        _ => String::new(),
    };
    Some(SCOPE.fill(
        lang,
        &[
            ("part", &sc.label),
            ("needed", &fmt_int(lang, r.total.needed.records)),
            ("whole_needed", &fmt_int(lang, sc.needed)),
            ("whole", whole),
            ("share", &share(r.total.needed.records, sc.needed)),
            ("population", &fmt_int(lang, r.total.population)),
            ("whole_population", &fmt_int(lang, sc.population)),
            ("requested", &requested),
        ],
    ))
}

const METHOD_PURPOSES: Sentence = Sentence {
    sv: "Flera syften i en begäran (Bethel 1989; Chromy 1987): varje syfte är en andel i en domän (en delmängd av akterna), som ska skattas med sin felmarginal totalt, i varje stratum eller för varje värde av en kolumn. Variansen för domänandelen från det stratifierade urvalet är V = Σ A_h·(1/n_h − 1/N_h) med A_h = (N_h/N_d)²·S²_uh, där S²_uh är variansen i stratum h av u = 1{domän}·(y − p_d) (Taylorlinjärisering av kvotskattningen; Cochran 1977 §5A.14, Särndal m.fl. 1992 §10.3). Ett syfte om en avvikelsefrekvens kräver samma precision vid andelen T som ett obundet slumpmässigt urval av den hypergeometriska storleken n_A (Kish effektiva urvalsstorlek). Fördelningen är den som minimerar Σ c_h·n_h (c_h = 1 för akter, sidor per akt för sidor) under villkoren V_k ≤ (E_k/z_k)² för alla syften: den kontinuerliga optimala lösningen (Lagrangedualen, en multiplikator i taget som i Chromys algoritm), avrundad uppåt, sedan akt för akt nedtrimmad och genomsökt efter en billigare heltalsfördelning; alla villkor kontrolleras på de slutliga heltalen. Förväntade andelar från förra årets indikatorer krymps mot det totala värdet: p_h = (n_h·p̂_h + m·p̄)/(n_h + m).",
    en: "Several purposes in one request (Bethel 1989; Chromy 1987): each purpose is a share in a domain (a subset of the records), to be estimated to its margin overall, in every stratum or for every value of a column. The variance of the domain share from the stratified sample is V = Σ A_h·(1/n_h − 1/N_h) with A_h = (N_h/N_d)²·S²_uh, S²_uh being the variance in stratum h of u = 1{domain}·(y − p_d) (Taylor linearisation of the ratio estimator; Cochran 1977 §5A.14, Särndal et al. 1992 §10.3). A purpose about a deviation rate asks for the precision at the rate T of a simple random sample of the hypergeometric size n_A (Kish's effective sample size). The allocation minimises Σ c_h·n_h (c_h = 1 for records, the pages per record for pages) subject to V_k ≤ (E_k/z_k)² for every purpose: the continuous optimum (the Lagrangian dual, one multiplier at a time as in Chromy's algorithm), rounded up, trimmed a record at a time and searched for a cheaper integer allocation; every condition is checked on the final whole numbers. Anticipated shares from last year's indicators are shrunk toward the overall value: p_h = (n_h·p̂_h + m·p̄)/(n_h + m).",
};
const METHOD_ATTRIBUTE: Sentence = Sentence {
    sv: "Urval i två steg för en avvikelsefrekvens (dubbel stickprovsplan; Dodge & Romig 1959, Cochran 1977 §5.A): sannolikheten att godta vid varje andel avvikelser beräknas exakt över båda stegen, hypergeometriskt med populationens N, P(godta) = P(X₁ ≤ a₁) + Σ P(X₁ = x)·P(X₁ + X₂ ≤ a₂ | X₁ = x). Planen är den som i genomsnitt kräver minst akter vid den förväntade andelen, med risken vid den tolerabla andelen högst 1 − C och minst lika stor chans att godta som en plan i ett steg. Akterna i varje steg fördelas över strata i proportion till N_h, och risken kontrolleras också exakt för det stratifierade urvalet, för den fördelning av avvikelserna över strata som oftast leder till att godta; behövs det läggs akter till. Gränsen efter steg 2 räknas för den sekventiella planen (stegvis ordning, Jennison & Turnbull 2000), inte som om akterna vore ett enda urval.",
    en: "Sampling in two stages for a deviation rate (a double sampling plan; Dodge & Romig 1959, Cochran 1977 §5.A): the probability of accepting at each rate of deviations is computed exactly over both stages, hypergeometrically with the population's N, P(accept) = P(X₁ ≤ a₁) + Σ P(X₁ = x)·P(X₁ + X₂ ≤ a₂ | X₁ = x). The plan is the one needing the fewest records on average at the expected rate, with the risk at the tolerable rate at most 1 − C and at least the single-stage plan's chance of accepting. Each stage's records are spread over the strata in proportion to N_h, and the risk is checked exactly for the stratified sample too, for the spread of the deviations over the strata that accepts most often; records are added if needed. The bound after stage 2 is computed for the sequential plan (stage-wise ordering, Jennison & Turnbull 2000), not as if the records were one sample.",
};
const METHOD_SHARE_SIZE: Sentence = Sentence {
    sv: "Urvalsstorlek för en andel (Cochran): n0 = z²·P(1−P)/E², med ändlighetskorrektion n = n0/(1 + (n0 − 1)/N), avrundat uppåt.",
    en: "Sample size for a share (Cochran): n0 = z²·P(1−P)/E², with the finite population correction n = n0/(1 + (n0 − 1)/N), rounded up.",
};
const METHOD_DOMAIN: Sentence = Sentence {
    sv: "{size} Varje stratum dimensioneras för sin egen felmarginal med sitt eget N_h (domänskattning), inom gränserna för minsta och största antal; felmarginalerna i rapporten är stratumens egna, e_h = z·√(P(1−P)/n_h·(N_h − n_h)/(N_h − 1)).",
    en: "{size} Every stratum is sized for its own margin with its own N_h (domain estimation), within the minimum and maximum per stratum; the margins in this report are the strata's own, e_h = z·√(P(1−P)/n_h·(N_h − n_h)/(N_h − 1)).",
};
const METHOD_OVERALL: Sentence = Sentence {
    sv: "{size} Totalen fördelas över strata med {alloc} i hela akter enligt prioritetsmetoden (Huntington–Hill; för Neyman den exakta heltalsoptimala fördelningen, Wright 2012); varje n_h ≤ N_h, och med en felmarginal som mål är totalen den minsta vars heltalsfördelning når marginalen. Felmarginalen för den totala andelen är den stratifierade e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)) med W_h = N_h/N och S_h² = P(1−P)·N_h/(N_h − 1) (Cochran 1977, ekv. 5.6), beräknad från de faktiska heltalen n_h.",
    en: "{size} The total is allocated over the strata by {alloc} in whole records by the priority method (Huntington–Hill; for Neyman the exact integer optimum, Wright 2012); every n_h ≤ N_h, and with a margin as the target the total is the smallest whose integer allocation meets it. The margin of the overall share is the stratified e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)) with W_h = N_h/N and S_h² = P(1−P)·N_h/(N_h − 1) (Cochran 1977, eq. 5.6), computed from the actual whole n_h.",
};
const METHOD_BURDEN: Sentence = Sentence {
    sv: "Bördan räknas med {pages} sidor per akt (eller det uppmätta medelvärdet i varje stratum), {minutes} minuter arbete per akt och {hours} timmar per arbetsdag.",
    en: "Burden is counted at {pages} pages per record (or the measured mean of each stratum), {minutes} minutes of work per record and {hours} hours per working day.",
};
const METHOD_ESTIMATES: Sentence = Sentence {
    sv: "Skattningarna efter granskningen: inom ett stratum andelen med Clopper–Pearsons intervall vid den effektiva urvalsstorleken n(N − 1)/(N − n) (ändlighetskorrektion; Korn & Graubard 1998); över strata den stratifierade skattningen p̂ = Σ W_h p̂_h med V = Σ W_h²(1 − f_h)p̂_h(1 − p̂_h)/(n_h − 1) och Korn–Graubards intervall. Akter som begärts men inte kommit in räknas som bortfall och stratumets skattning bygger på de inkomna.",
    en: "Estimates after the review: within a stratum the share with the Clopper–Pearson interval at the effective sample size n(N − 1)/(N − n) (finite population correction; Korn & Graubard 1998); across strata the stratified estimate p̂ = Σ W_h p̂_h with V = Σ W_h²(1 − f_h)p̂_h(1 − p̂_h)/(n_h − 1) and the Korn–Graubard interval. Records requested but not received are non-response, and the stratum's estimate rests on those received.",
};

/// The method section's paragraphs.
pub fn method(r: &Report) -> Vec<String> {
    let lang = r.lang;
    let rates = &r.rates;
    let mut out = Vec::new();
    if r.purposes.is_some() {
        out.push(METHOD_PURPOSES.text(lang).to_string());
    } else if r.purpose.tolerable_rate.is_some() {
        out.push(METHOD_ATTRIBUTE.text(lang).to_string());
    } else if r.precision.kind == "per_stratum" {
        out.push(METHOD_DOMAIN.fill(lang, &[("size", METHOD_SHARE_SIZE.text(lang))]));
    } else {
        out.push(METHOD_OVERALL.fill(
            lang,
            &[
                ("size", METHOD_SHARE_SIZE.text(lang)),
                ("alloc", &allocation_name(lang, &r.purpose.allocation)),
            ],
        ));
    }
    out.push(METHOD_BURDEN.fill(
        lang,
        &[
            ("pages", &fmt_dec(lang, rates.pages_per_record, 0)),
            ("minutes", &fmt_dec(lang, rates.minutes_per_record, 0)),
            ("hours", &fmt_dec(lang, rates.hours_per_day, 0)),
        ],
    ));
    if let Some(split) = &r.requested_split {
        out.push(split.clone());
    }
    if !r.indicators.is_empty() {
        out.push(METHOD_ESTIMATES.text(lang).to_string());
    }
    out
}

const NO_DRAW: Sentence = Sentence {
    sv: "Ingen dragning har gjorts ännu: urval draw med planen och ett publicerat frö drar akterna, och urval verify kontrollerar dragningen.",
    en: "No draw has been made yet: urval draw with the plan and a published seed draws the records, and urval verify checks the draw.",
};
const DRAWN: Sentence = Sentence {
    sv: "Akterna drogs med permanenta slumptal: {prn} (specifikation {spec}), frö {seed}, startpunkt {start}. I varje stratum väljs de n_h akter som har minst (u − start) mod 1 — ett obundet slumpmässigt urval utan återläggning som blir detsamma oavsett radordning, filuppdelning eller antal trådar. Urvalslistan {manifest} har {selected} akter.",
    en: "The records were drawn with permanent random numbers: {prn} (specification {spec}), seed {seed}, start {start}. In every stratum the n_h records with the smallest (u − start) mod 1 are taken: simple random sampling without replacement, the same whatever the row order, file split or thread count. The manifest {manifest} has {selected} records.",
};
const SEED_CHOSEN: Sentence = Sentence {
    sv: "Fröet valdes av analytikern och härleddes inte ur ett åtagande (urval commit): inget i filerna visar att det inte valdes efter att andra frön prövats.",
    en: "The seed was chosen by the analyst, not derived from a commitment (urval commit): nothing in the files shows that it was not picked after trying others.",
};
const SEED_DERIVED: Sentence = Sentence {
    sv: "Fröet valdes inte av någon: det härleddes ur åtagandet {commitment} (gjort {committed}, innan slumptalen fanns) och slumptalen {randomness} som togs fram därefter, som de första 8 byten av SHA-256(\"urval-seed-v1:\" + åtagande + \":\" + slumptal + \":\" + steg {stage}) = {seed}. Den som har åtagandet och slumptalen kan räkna om fröet utan urval.",
    en: "Nobody chose the seed: it was derived from the commitment {commitment} (made {committed}, before the randomness existed) and the randomness {randomness} produced after it, as the first 8 bytes of SHA-256(\"urval-seed-v1:\" + commitment + \":\" + randomness + \":\" + stage {stage}) = {seed}. Anyone with the commitment and the randomness can recompute the seed without urval.",
};
const CHECK_SAME_EXTRACT: Sentence = Sentence {
    sv: "Vem som helst med samma uttag kan kontrollera dragningen (slutkod 0: identisk; 1: skillnaderna listas):",
    en: "Anyone with the same extract can check the draw (exit 0: identical; 1: the differences are listed):",
};
const CHECK_OWN_EXTRACT: Sentence = Sentence {
    sv: "Ni kan själva kontrollera er del med ert eget uttag av ärendena: bara era egna rader, med samma kolumner som uttaget planen gjordes på, som CSV (komma eller semikolon, UTF-8 eller Windows-1252), Excel eller Parquet. Spara uttaget som {own} i mappen med listan och kör där kommandot nedan; fröet, planen och er del läses ur listan själv, och andra kommuners strata ingår inte (slutkod 0: identisk; 1: skillnaderna listas):",
    en: "You can check your part yourselves with your own extract of the cases: your own rows only, with the columns of the extract the plan was made on, as CSV (comma or semicolon, UTF-8 or Windows-1252), Excel or Parquet. Save the extract as {own} in the folder holding the list and run the command below there; the seed, the plan and your part are read from the list itself, and other municipalities' strata are not included (exit 0: identical; 1: the differences are listed):",
};

/// How the draw is repeated and verified.
pub fn reproduce(r: &Report) -> Vec<String> {
    let lang = r.lang;
    let Some(d) = &r.draw else {
        return vec![NO_DRAW.text(lang).to_string()];
    };
    let seed = d.seed.to_string();
    vec![
        DRAWN.fill(
            lang,
            &[
                ("prn", &crate::text::prn_formula(lang, &d.prn)),
                ("spec", &d.prn_spec_version.to_string()),
                ("seed", &seed),
                ("start", &d.start.to_string()),
                ("manifest", &d.manifest),
                ("selected", &fmt_int(lang, d.selected)),
            ],
        ),
        match &d.seed_chain {
            None => SEED_CHOSEN.text(lang).to_string(),
            Some(c) => SEED_DERIVED.fill(
                lang,
                &[
                    ("commitment", &c.commitment),
                    ("committed", &c.committed),
                    ("randomness", &c.randomness),
                    ("stage", &c.stage.to_string()),
                    ("seed", &seed),
                ],
            ),
        },
        match &d.own_extract {
            None => CHECK_SAME_EXTRACT.text(lang).to_string(),
            Some(own) => CHECK_OWN_EXTRACT.fill(lang, &[("own", own)]),
        },
    ]
}

const SPREAD_EMPTY: Sentence = Sentence {
    sv: " {empty} strata får inga begärda akter och når aldrig upp på kurvan för det begärda.",
    en: " {empty} strata get no requested records and never reach the curve of the requested.",
};
const SPREAD_CAPTION: Sentence = Sentence {
    sv: "Andelen av de {strata} strata vars felmarginal är högst x, vid det behövda och vid det begärda antalet akter; den streckade linjen är målet.{empty}",
    en: "The share of the {strata} strata whose margin of error is at most x, at the records needed and at the records requested; the dashed line is the target.{empty}",
};

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
        SPREAD_EMPTY.fill(lang, &[("empty", &fmt_int(lang, empty))])
    } else {
        String::new()
    };
    SPREAD_CAPTION.fill(lang, &[("strata", &fmt_int(lang, h)), ("empty", &tail)])
}

const BURDEN_TOP: Sentence = Sentence {
    sv: "Sidor som behövs och som begärs i de {shown} strata som har flest sidor (av {strata}).",
    en: "Pages needed and requested in the {shown} strata with the most pages (of {strata}).",
};

/// Under the burden plot.
pub fn burden_caption(r: &Report, shown: usize) -> String {
    let lang = r.lang;
    let h = r.strata.len();
    if h <= shown {
        return crate::text::words(lang).plot_burden_title.to_string();
    }
    BURDEN_TOP.fill(
        lang,
        &[
            ("shown", &shown.to_string()),
            ("strata", &fmt_int(lang, h as u64)),
        ],
    )
}

const TOP_STRATA: Sentence = Sentence {
    sv: "De {n} strata med flest sidor",
    en: "The {n} strata with the most pages",
};

/// The heading of a shortened per-stratum table.
pub fn top_strata(r: &Report) -> String {
    TOP_STRATA.fill(r.lang, &[("n", &TOP.to_string())])
}

const TOP_GROUPS: Sentence = Sentence {
    sv: "Totalerna och de {n} grupper som har de bredaste intervallen",
    en: "The totals and the {n} groups with the widest intervals",
};

/// The heading of a shortened table of estimates.
pub fn top_groups(r: &Report) -> String {
    TOP_GROUPS.fill(r.lang, &[("n", &TOP.to_string())])
}

const FULL_TABLE: Sentence = Sentence {
    sv: "Hela tabellen ({rows} rader)",
    en: "The full table ({rows} rows)",
};

/// The summary of a folded full table.
pub fn full_table(lang: Lang, rows: usize) -> String {
    FULL_TABLE.fill(lang, &[("rows", &fmt_int(lang, rows as u64))])
}

const ATTACHED_FULL: Sentence = Sentence {
    sv: "Hela tabellen ({rows} rader) finns som bilaga:",
    en: "The full table ({rows} rows) is attached:",
};

/// Where a shortened table is in full (the Markdown report, which cannot fold).
pub fn attached_full(lang: Lang, rows: usize) -> String {
    ATTACHED_FULL.fill(lang, &[("rows", &fmt_int(lang, rows as u64))])
}

const NOT_PLOTTED: Sentence = Sentence {
    sv: "Utan akter i urvalet (n = 0) och därför inte i diagrammet: {names}.",
    en: "No records in the sample (n = 0), so not plotted: {names}.",
};

/// The shares left out of the plot because no record was in their population.
pub fn not_plotted(lang: Lang, rows: &[&crate::IndicatorRow]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let names: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    Some(NOT_PLOTTED.fill(lang, &[("names", &names.join("; "))]))
}

const GROUPS_WITHOUT_RECORDS: Sentence = Sentence {
    sv: "{k} grupper har inga akter i urvalet (n = 0) och finns bara i hela tabellen.",
    en: "{k} groups have no records in the sample (n = 0) and are in the full table only.",
};

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
    (k > 0).then(|| GROUPS_WITHOUT_RECORDS.fill(r.lang, &[("k", &fmt_int(r.lang, k as u64))]))
}

const SUPPRESSED: Sentence = Sentence {
    sv: "Två punkter (..) betyder att uppgiften inte visas: den bygger på så få personer (1–{k}) att någon skulle kunna pekas ut, eller skulle kunna räknas fram ur andra uppgifter i tabellen.",
    en: "Two dots (..) mean a figure is not shown: it rests on so few people (1 to {k}) that someone could be identified, or it could be worked out from other figures in the table.",
};

/// One sentence on withheld rows (`..`), when the table has any.
pub fn suppressed(r: &Report) -> Option<String> {
    let k = r.suppress_below.saturating_sub(1).to_string();
    r.indicators
        .iter()
        .any(|i| i.suppressed)
        .then(|| SUPPRESSED.fill(r.lang, &[("k", &k)]))
}

const MODEL_BASED: Sentence = Sentence {
    sv: "Den modellbaserade skattningen ({method}) är ett komplement till den direkta skattningen. Den väger ihop kommunens egna akter med vad alla kommuner tillsammans visar, och lutar sig mer mot de andra ju färre akter kommunen själv har (kolumnen shrinkage är vikten på kommunens egen skattning). Den direkta skattningen bygger bara på kommunens egna akter och står alltid först; ingen kommun bedöms enbart efter den modellbaserade siffran.",
    en: "The model-based estimate ({method}) is a complement to the direct estimate. It combines the municipality's own records with what all municipalities show together, and leans on the others the more, the fewer records the municipality has (the column shrinkage is the weight of its own estimate). The direct estimate rests on the municipality's own records alone and always comes first; no municipality is judged on the model-based figure alone.",
};

/// One sentence on what a model-based estimate is, beside a table that has one
/// (`urval indicators --small-area`); `method` is the model's name in the table.
pub fn model_based(lang: Lang, method: &str) -> String {
    MODEL_BASED.fill(lang, &[("method", &crate::text::method_name(lang, method))])
}

const NOT_FOR_PUBLICATION: Sentence = Sentence {
    sv: "Ej för publicering: tabellen visar alla celler, även de som gäller enstaka personer (--suppress-below 0). Endast för internt bruk.",
    en: "Not for publication: the table shows every cell, even those about a few people (--suppress-below 0). For internal use only.",
};

/// The header's mark of a report whose indicators hold every cell.
pub fn not_for_publication(r: &Report) -> Option<&'static str> {
    r.not_for_publication
        .then_some(NOT_FOR_PUBLICATION.text(r.lang))
}

/// The running head of every printed page.
pub fn running_head(r: &Report) -> String {
    let w = crate::text::words(r.lang);
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

const PURPOSES_DRIVER: Sentence = Sentence {
    sv: "Var för sig skulle syftena kräva {separate} akter ({separate_pages} sidor) tillsammans; en gemensam begäran klarar dem alla med {joint} akter ({joint_pages} sidor), eftersom samma akt kan besvara flera frågor. Det syfte som ensamt kräver mest är \"{driver}\" med {driver_records} akter: en begäran kan inte bli mindre än så utan att det syftet ges upp eller dess precision sänks.",
    en: "Separately the purposes would need {separate} records ({separate_pages} pages) together; one joint request meets them all with {joint} records ({joint_pages} pages), since one record answers several questions. The purpose that alone needs the most is \"{driver}\" with {driver_records} records: no request can be smaller without giving that purpose up or lowering its precision.",
};
const PURPOSES_UNMET: Sentence = Sentence {
    sv: "Följande syften kan inte uppfyllas ens om alla akter begärs: {list}.",
    en: "These purposes cannot be met even by requesting every record: {list}.",
};
const PURPOSES_OPTIMAL: Sentence = Sentence {
    sv: "Ingen annan fördelning av akterna som uppfyller alla syften kostar mindre (visat genom uttömmande sökning eller, för ett enda syfte, prioritetsmetodens optimalitet).",
    en: "No other allocation of the records that meets every purpose costs less (shown by exhaustive search or, for one purpose, by the optimality of the priority method).",
};
const PURPOSES_NEAR_OPTIMAL: Sentence = Sentence {
    sv: "Fördelningen ligger högst {gap} {unit} över den lägsta möjliga (den kontinuerliga optimala lösningen är en undre gräns).",
    en: "The allocation is at most {gap} {unit} above the least possible (the continuous optimum is a lower bound).",
};

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
        out.push(PURPOSES_DRIVER.fill(
            lang,
            &[
                ("separate", &fmt_int(lang, separate)),
                ("separate_pages", &fmt_dec(lang, separate_pages, 0)),
                ("joint", &fmt_int(lang, ps.joint.records)),
                ("joint_pages", &fmt_dec(lang, ps.joint.pages, 0)),
                ("driver", &d.label),
                ("driver_records", &fmt_int(lang, d.alone.records)),
            ],
        ));
    }
    let unmet: Vec<String> = ps
        .rows
        .iter()
        .filter(|x| !x.met)
        .map(|x| x.label.clone())
        .collect();
    if !unmet.is_empty() {
        out.push(PURPOSES_UNMET.fill(lang, &[("list", &join_list(lang, &unmet))]));
        // No optimality claim beside a purpose that is not met.
        return out;
    }
    if ps.proved_optimal {
        out.push(PURPOSES_OPTIMAL.text(lang).to_string());
    } else {
        // The cost's unit: Swedish names it, English writes the plan's own word.
        let unit = match (lang, ps.cost.as_str()) {
            (Lang::Sv, "pages") => "sidor",
            (Lang::Sv, _) => "akter",
            (Lang::En, cost) => cost,
        };
        out.push(PURPOSES_NEAR_OPTIMAL.fill(
            lang,
            &[
                (
                    "gap",
                    &fmt_dec(lang, ps.cost_total - ps.cost_lower_bound, 1),
                ),
                ("unit", unit),
            ],
        ));
    }
    out
}

const STAGE_BURDEN: Sentence = Sentence {
    sv: "{records} akter ({pages} sidor, {days} arbetsdagar)",
    en: "{records} records ({pages} pages, {days} working days)",
};
const STAGES: Sentence = Sentence {
    sv: "Begäran görs i två steg. Steg 1, {stage1}, är det som begärs nu. Steg 2, ytterligare {stage2}, begärs bara om steg 1 inte avgör frågan. Steg 2 är nästa akter i samma dragning (samma frö och permanenta slumptal): inget dras om, och de båda stegen tillsammans är exakt det urval en begäran i ett steg skulle ha gett.",
    en: "The request is made in two stages. Stage 1, {stage1}, is what is requested now. Stage 2, a further {stage2}, is requested only if stage 1 does not settle the question. Stage 2 is the next records of the same draw (the same seed and permanent random numbers): nothing is drawn again, and the two stages together are exactly the sample a single-stage request would have given.",
};

/// A request in two stages: what stage 1 asks for now, when stage 2 is asked for, and
/// (an attribute plan) the rule, its risk and the expected burden against one stage, or
/// (a share plan) how stage 1 is sized and the margins after each stage.
pub fn staged(r: &Report) -> Vec<String> {
    let lang = r.lang;
    let Some(st) = &r.staged else {
        return Vec::new();
    };
    let burden = |b: &crate::Burden| stage_burden(lang, b);
    let mut out = vec![STAGES.fill(
        lang,
        &[
            ("stage1", &burden(&st.stage1)),
            ("stage2", &burden(&st.stage2)),
        ],
    )];
    match &st.rule {
        Some(rule) => out.extend(staged_rule(lang, rule)),
        None => out.push(staged_share(r, st)),
    }
    out
}

/// Records, pages and working days in words.
fn stage_burden(lang: Lang, b: &crate::Burden) -> String {
    STAGE_BURDEN.fill(
        lang,
        &[
            ("records", &fmt_int(lang, b.records)),
            ("pages", &fmt_dec(lang, b.pages, 0)),
            ("days", &fmt_dec(lang, b.working_days, 1)),
        ],
    )
}

const ONE_DEVIATION: Sentence = Sentence {
    sv: "1 avvikelse",
    en: "1 deviation",
};
const DEVIATIONS: Sentence = Sentence {
    sv: "{k} avvikelser",
    en: "{k} deviations",
};
// "högst 0 avvikelser" reads as "ingen avvikelse"; English agrees the verb.
const AT_MOST_NONE: Sentence = Sentence {
    sv: "ingen avvikelse",
    en: "no deviation is",
};
const AT_MOST_ONE: Sentence = Sentence {
    sv: "högst 1 avvikelse",
    en: "at most 1 deviation is",
};
const AT_MOST: Sentence = Sentence {
    sv: "högst {k} avvikelser",
    en: "at most {k} deviations are",
};
const RULE_ONE_STAGE: Sentence = Sentence {
    sv: "Regeln: hittas {accept1} bland de {n1} akterna är andelen under {t}; annars kan det inte visas. Ett andra steg lönar sig inte vid den förväntade andelen avvikelser.",
    en: "The rule: if {accept1} found among the {n1} records, the share is below {t}; otherwise it cannot be shown. A second stage does not pay at the expected share of deviations.",
};
const RULE_TWO_STAGES: Sentence = Sentence {
    sv: "Regeln: hittas {accept1} bland de {n1} akterna i steg 1 är andelen under {t} och granskningen slutar där; hittas {reject1} eller fler kan det inte visas, och granskningen slutar också. Annars begärs steg 2 ({n2} akter till), och andelen är under {t} om {accept2} hittas bland alla {n} akter. Risken att dra slutsatsen att andelen är under {t} när den i själva verket är {t} är {risk} procent, beräknad exakt över båda stegen.",
    en: "The rule: if {accept1} found among the {n1} records of stage 1, the share is below {t} and the review ends there; if {reject1} or more are found, it cannot be shown, and the review ends too. Otherwise stage 2 is requested ({n2} more records), and the share is below {t} if {accept2} found among all {n} records. The risk of concluding that the share is below {t} when it is in fact {t} is {risk} per cent, computed exactly over both stages.",
};
const RULE_EXPECTED: Sentence = Sentence {
    sv: "Om andelen avvikelser är {rate} som väntat behövs steg 2 med sannolikheten {p} procent. Då begärs i genomsnitt {records} akter, {pages} sidor och {days} arbetsdagar, mot {single} för en begäran i ett steg med samma säkerhet: {saved} sidor färre i genomsnitt.",
    en: "If the share of deviations is {rate} as expected, stage 2 is needed with probability {p} per cent. On average {records} records, {pages} pages and {days} working days are then requested, against {single} for a single-stage request with the same confidence: {saved} pages fewer on average.",
};

/// An attribute plan's two stages: the rule with its risk, and the expected burden
/// against a single-stage request.
fn staged_rule(lang: Lang, rule: &crate::StagedRule) -> [String; 2] {
    let t = fmt_pct(lang, rule.tolerable_rate);
    let dev = |k: u64| match k {
        1 => ONE_DEVIATION.text(lang).to_string(),
        k => DEVIATIONS.fill(lang, &[("k", &fmt_int(lang, k))]),
    };
    let at_most = |k: u64| match k {
        0 => AT_MOST_NONE.text(lang).to_string(),
        1 => AT_MOST_ONE.text(lang).to_string(),
        k => AT_MOST.fill(lang, &[("k", &fmt_int(lang, k))]),
    };
    let (accept1, n1) = (at_most(rule.accept1), fmt_int(lang, rule.n1));
    let decide = if rule.n2 == 0 {
        RULE_ONE_STAGE.fill(lang, &[("accept1", &accept1), ("n1", &n1), ("t", &t)])
    } else {
        RULE_TWO_STAGES.fill(
            lang,
            &[
                ("accept1", &accept1),
                ("n1", &n1),
                ("t", &t),
                ("reject1", &dev(rule.reject1)),
                ("n2", &fmt_int(lang, rule.n2)),
                ("accept2", &at_most(rule.accept2)),
                ("n", &fmt_int(lang, rule.n1 + rule.n2)),
                ("risk", &fmt_dec(lang, rule.risk * 100.0, 3)),
            ],
        )
    };
    let saved = rule.single.pages - rule.expected_pages;
    let expected = RULE_EXPECTED.fill(
        lang,
        &[
            ("rate", &fmt_pct(lang, rule.expected_rate)),
            ("p", &fmt_dec(lang, rule.continue_probability * 100.0, 0)),
            ("records", &fmt_dec(lang, rule.expected_records, 1)),
            ("pages", &fmt_dec(lang, rule.expected_pages, 0)),
            ("days", &fmt_dec(lang, rule.expected_working_days, 1)),
            ("single", &stage_burden(lang, &rule.single)),
            ("saved", &fmt_dec(lang, saved, 0)),
        ],
    );
    [decide, expected]
}

const FIRST_FRACTION: Sentence = Sentence {
    sv: "Steg 1 är {f} av varje stratums akter, avrundat uppåt",
    en: "Stage 1 is {f} of every stratum's records, rounded up",
};
const FIRST_MARGIN: Sentence = Sentence {
    sv: "Steg 1 är det urval som ger felmarginalen {e}",
    en: "Stage 1 is the sample that gives a margin of {e}",
};
const FIRST_PART: Sentence = Sentence {
    sv: "Steg 1 är en del av varje stratums akter",
    en: "Stage 1 is a part of every stratum's records",
};
const AFTER_STAGES_STRATA: Sentence = Sentence {
    sv: "; efter steg 1 är varje stratums felmarginal högst {m1}, efter båda stegen högst {m}.",
    en: "; after stage 1 every stratum's margin is at most {m1}, after both stages at most {m}.",
};
const AFTER_STAGES_OVERALL: Sentence = Sentence {
    sv: "; efter steg 1 är felmarginalen för hela andelen {m1}, efter båda stegen {m}.",
    en: "; after stage 1 the margin of the overall share is {m1}, after both stages {m}.",
};

/// A share plan's stages: how stage 1 is sized and, when known, the margins after it and
/// after both stages.
fn staged_share(r: &Report, st: &crate::Staged) -> String {
    let lang = r.lang;
    let how = match (st.first_fraction, st.first_margin) {
        (Some(f), _) => FIRST_FRACTION.fill(lang, &[("f", &fmt_pct(lang, f))]),
        (None, Some(e)) => FIRST_MARGIN.fill(lang, &[("e", &fmt_points(lang, e))]),
        (None, None) => FIRST_PART.text(lang).to_string(),
    };
    let margins = |sentence: &Sentence, m1: f64, m: f64| {
        sentence.fill(
            lang,
            &[("m1", &fmt_points(lang, m1)), ("m", &fmt_points(lang, m))],
        )
    };
    let after = match (
        st.stratum_margins,
        st.margin_stage1,
        r.purpose.margin_achieved,
    ) {
        (Some((m1, m)), _, _) => margins(&AFTER_STAGES_STRATA, m1, m),
        (None, Some(m1), Some(m)) => margins(&AFTER_STAGES_OVERALL, m1, m),
        _ => ".".into(),
    };
    format!("{how}{after}")
}

const TWO_PHASES: Sentence = Sentence {
    sv: "Granskningen görs i två faser. I fas 1 granskar kommunen själv sina {records1} akter ({pages1} sidor): de lämnar inte kommunen. I fas 2 begär inspektionen {records2} av dem för omgranskning ({pages2} sidor, {days2} arbetsdagar), {share} av akterna i fas 1.",
    en: "The review is made in two phases. In phase 1 the municipality reviews its {records1} records itself ({pages1} pages): they do not leave the municipality. In phase 2 the inspectorate requests {records2} of them for re-review ({pages2} pages, {days2} working days), {share} of the phase-1 records.",
};
const IN_EVERY: Sentence = Sentence {
    sv: " i varje {column}",
    en: " in every {column}",
};
const PHASE2_MARGIN: Sentence = Sentence {
    sv: "Fas 2 är dimensionerad för att skatta andelen akter där inspektionen bedömer annorlunda än kommunen med en felmarginal på högst {margin}{per}, med {conf} konfidens. Vilka akter som omgranskas bestäms med ett frö som inspektionen väljer när egengranskningen är inlämnad.",
    en: "Phase 2 is sized to estimate the share of records the inspectorate judges differently from the municipality to within {margin}{per}, at {conf} confidence. Which records are re-reviewed is decided with a seed the inspectorate chooses once the self-review is returned.",
};
const PHASE2_TOLERABLE: Sentence = Sentence {
    sv: "Fas 2 är dimensionerad för att visa, med {conf} konfidens, att inspektionen bedömer annorlunda än kommunen i färre än {t} av akterna{per}. Vilka akter som omgranskas bestäms med ett frö som inspektionen väljer när egengranskningen är inlämnad.",
    en: "Phase 2 is sized to show, at {conf} confidence, that the inspectorate judges fewer than {t} of the records differently from the municipality{per}. Which records are re-reviewed is decided with a seed the inspectorate chooses once the self-review is returned.",
};
const AGREEMENT_READING: Sentence = Sentence {
    sv: "Efter omgranskningen: per fråga antalet akter båda bedömt, hur ofta bedömningarna stämmer, Cohens kappa (1 = full samstämmighet, 0 = som slumpen), den övre gränsen för andelen akter där bedömningarna skiljer sig, kommunens egen andel och andelen korrigerad med omgranskningen (Tenenbein 1970).",
    en: "After the re-review: per question the records both judged, how often the judgements agree, Cohen's kappa (1 = full agreement, 0 = as chance), the upper bound for the share of records judged differently, the municipality's own share and the share corrected by the re-review (Tenenbein 1970).",
};

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
    let mut out = vec![TWO_PHASES.fill(
        lang,
        &[
            ("records1", &fmt_int(lang, tp.phase1.records)),
            ("pages1", &fmt_dec(lang, tp.phase1.pages, 0)),
            ("records2", &fmt_int(lang, tp.phase2.records)),
            ("pages2", &fmt_dec(lang, tp.phase2.pages, 0)),
            ("days2", &fmt_dec(lang, tp.phase2.working_days, 1)),
            ("share", &share),
        ],
    )];
    let per = tp
        .per
        .as_ref()
        .map(|c| IN_EVERY.fill(lang, &[("column", c)]))
        .unwrap_or_default();
    let conf = fmt_pct(lang, tp.confidence);
    match (tp.margin, tp.tolerable) {
        (Some(e), _) => out.push(PHASE2_MARGIN.fill(
            lang,
            &[
                ("margin", &fmt_points(lang, e)),
                ("per", &per),
                ("conf", &conf),
            ],
        )),
        (None, Some(t)) => out.push(PHASE2_TOLERABLE.fill(
            lang,
            &[("conf", &conf), ("t", &fmt_pct(lang, t)), ("per", &per)],
        )),
        (None, None) => {}
    }
    if !tp.agreement.is_empty() {
        out.push(AGREEMENT_READING.text(lang).to_string());
    }
    out
}

const NONE_SHARED: Sentence = Sentence {
    sv: "Den här begäran har ingen akt gemensam med den tidigare ({previous}).",
    en: "This request has no record in common with the previous one ({previous}).",
};
const SHARED: Sentence = Sentence {
    sv: "Den här begäran har {k} akter gemensamma med den tidigare ({previous}).",
    en: "This request has {k} records in common with the previous one ({previous}).",
};
const NONE_FORCED: Sentence = Sentence {
    sv: "Två begäranden av dessa storlekar behöver inte ha någon akt gemensam; två oberoende dragningar skulle ha omkring {chance} gemensamma.",
    en: "Two requests of these sizes need have no record in common; two independent draws would have about {chance}.",
};
const FORCED: Sentence = Sentence {
    sv: "Två begäranden av dessa storlekar måste ha minst {k} akter gemensamma; två oberoende dragningar skulle ha omkring {chance}.",
    en: "Two requests of these sizes must have at least {k} records in common; two independent draws would have about {chance}.",
};

/// The records this request shares with a previous one.
pub fn overlap(r: &Report) -> Option<String> {
    let lang = r.lang;
    let o = r.overlap.as_ref()?;
    let chance = fmt_dec(lang, o.expected, 0);
    let shared = match o.shared {
        0 => NONE_SHARED.fill(lang, &[("previous", &o.previous)]),
        k => SHARED.fill(lang, &[("k", &fmt_int(lang, k)), ("previous", &o.previous)]),
    };
    let forced = match o.forced {
        0 => NONE_FORCED.fill(lang, &[("chance", &chance)]),
        f => FORCED.fill(lang, &[("k", &fmt_int(lang, f)), ("chance", &chance)]),
    };
    Some(format!("{shared} {forced}"))
}

const SPLIT_NOTE: Sentence = Sentence {
    sv: "Den begärda totalen fördelas över strata i proportion till N_h (prioritetsmetoden), eftersom ingen begäran per stratum angavs.",
    en: "The requested total is split over the strata in proportion to N_h (the priority method), as no request per stratum was given.",
};

/// How a requested total was split over the strata (none was given per stratum).
pub fn split_note(lang: Lang) -> String {
    SPLIT_NOTE.text(lang).to_string()
}

const DOMAIN_FORMULA: Sentence = Sentence {
    sv: "varje stratum dimensioneras för sin egen felmarginal E: n_h = n0/(1 + (n0 − 1)/N_h), n0 = z²·P(1−P)/E², z = {z}, P = {p}; punkterna är det sämsta stratumets felmarginal",
    en: "every stratum sized for its own margin E: n_h = n0/(1 + (n0 − 1)/N_h), n0 = z²·P(1−P)/E², z = {z}, P = {p}; the points are the worst stratum's margin",
};

/// Under the margin plot of a domain design.
pub fn domain_formula(lang: Lang, z: f64, p: f64) -> String {
    DOMAIN_FORMULA.fill(
        lang,
        &[("z", &fmt_dec(lang, z, 4)), ("p", &fmt_dec(lang, p, 2))],
    )
}

const OVERALL_FORMULA: Sentence = Sentence {
    sv: "e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)), n_h enligt {alloc}, z = {z}, P = {p}, N = {n}",
    en: "e = z·√(Σ W_h²·S_h²·(1/n_h − 1/N_h)), n_h by {alloc}, z = {z}, P = {p}, N = {n}",
};

/// Under the margin plot of an overall target.
pub fn overall_formula(lang: Lang, allocation: &str, z: f64, p: f64, big: u64) -> String {
    OVERALL_FORMULA.fill(
        lang,
        &[
            ("alloc", &allocation_name(lang, allocation)),
            ("z", &fmt_dec(lang, z, 4)),
            ("p", &fmt_dec(lang, p, 2)),
            ("n", &fmt_int(lang, big)),
        ],
    )
}
