//! The report's sentences, as plain text (the renderers escape or format them): one
//! function per sentence, Swedish and English side by side.

use crate::text::{allocation_name, fmt_dec, fmt_int, fmt_pct, fmt_points, join_list, Lang};
use crate::text::{whole_area, whole_request, LONG, TOP};
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
            Lang::Sv => format!(
                " {} strata får inga begärda akter och når aldrig upp på kurvan för det begärda.",
                fmt_int(lang, empty)
            ),
            Lang::En => format!(
                " {} strata get no requested records and never reach the curve of the requested.",
                fmt_int(lang, empty)
            ),
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
        return crate::text::words(lang).plot_burden_title.to_string();
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
