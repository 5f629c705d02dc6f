//! Municipality codes checked against the register: Sweden's 290 municipalities (the 2025
//! division: code, name, county code, population) ship with urval.
//!
//! A column is a municipality-code column when it is given (`--municipality-column`) or
//! named like one ([`is_code_column`]). Each non-empty value of such a column must be one
//! of the 290 codes; any other is quarantined with [`check_code`]'s reason (or kept as its
//! own stratum with a warning when asked).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The register: `municipality_code,name,county_code,population_2016`, one line per
/// municipality (Statistics Sweden's codes, 290 municipalities).
pub const MUNICIPALITIES: &str = include_str!("../data/municipalities.csv");

/// A municipality of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// The four-digit code (`0180`).
    pub code: String,
    /// The name (`Stockholm`).
    pub name: String,
    /// The two-digit county code (`01`).
    pub county: String,
    /// The population the register gives.
    pub population: u64,
}

/// The register's municipalities in code order.
pub fn register() -> &'static [Municipality] {
    static LIST: OnceLock<Vec<Municipality>> = OnceLock::new();
    LIST.get_or_init(|| {
        MUNICIPALITIES
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.trim_end_matches('\r').split(',');
                Some(Municipality {
                    code: f.next()?.to_string(),
                    name: f.next()?.to_string(),
                    county: f.next()?.to_string(),
                    population: f.next()?.trim().parse().ok()?,
                })
            })
            .collect()
    })
}

/// Code → name.
pub fn names() -> &'static BTreeMap<String, String> {
    static NAMES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        register()
            .iter()
            .map(|m| (m.code.clone(), m.name.clone()))
            .collect()
    })
}

/// Whether a column's name says it holds municipality codes: lower-cased, with spaces,
/// `_`, `-` and `.` removed, it begins with `kommunkod`, `kommunnr`, `kommunnummer`,
/// `municipalitycode`, `municipalityno` or `municipalitynumber` (`kommunkod`,
/// `kommun_kod`, `Kommun-kod`, `kommunkod_2025`, `municipality_code`). A column named
/// `kommun` or `municipality` usually holds names and is not one.
pub fn is_code_column(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    [
        "kommunkod",
        "kommunnr",
        "kommunnummer",
        "municipalitycode",
        "municipalityno",
        "municipalitynumber",
    ]
    .iter()
    .any(|p| n.starts_with(p))
}

/// Why `value` (not empty) is not a municipality code, or `None` when it is one. A value of
/// three digits that is a code with a `0` before it lost its leading zero on the way
/// (a spreadsheet read the code as a number): the reason names the code it was.
pub fn check_code(value: &str) -> Option<String> {
    let v = value.trim();
    let names = names();
    if names.contains_key(v) {
        return None;
    }
    let padded = format!("0{v}");
    if v.len() == 3 && v.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(name) = names.get(&padded) {
            return Some(format!(
                "{v:?} looks like {padded:?} ({name}) without its leading zero"
            ));
        }
    }
    Some(format!("{v:?} is not a municipality code"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_has_290_municipalities() {
        let r = register();
        assert_eq!(r.len(), 290);
        assert!(r.iter().all(|m| m.code.len() == 4 && m.county.len() == 2));
        assert_eq!(names().get("0180").map(String::as_str), Some("Stockholm"));
        assert_eq!(names().get("1880").map(String::as_str), Some("Örebro"));
        // Codes begin with their county's.
        assert!(r.iter().all(|m| m.code.starts_with(&m.county)));
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(check_code("0180"), None);
        assert_eq!(check_code(" 1880 "), None);
        assert_eq!(
            check_code("180").as_deref(),
            Some("\"180\" looks like \"0180\" (Stockholm) without its leading zero")
        );
        assert_eq!(
            check_code("0108").as_deref(),
            Some("\"0108\" is not a municipality code")
        );
        // 999 is no code with or without a zero.
        assert_eq!(
            check_code("999").as_deref(),
            Some("\"999\" is not a municipality code")
        );
    }

    #[test]
    fn columns_named_like_codes() {
        for n in [
            "kommunkod",
            "Kommunkod",
            "kommun_kod",
            "KOMMUN-KOD",
            "kommunkod_2025",
            "kommunnr",
            "municipality_code",
            "Municipality Code",
        ] {
            assert!(is_code_column(n), "{n}");
        }
        for n in ["kommun", "municipality", "kommunnamn", "län", "ärende_id"] {
            assert!(!is_code_column(n), "{n}");
        }
    }
}
