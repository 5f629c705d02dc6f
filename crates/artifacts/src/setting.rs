//! How a pipeline step writes its command's settings (the pipeline file itself is
//! `urval_ops::run`): the serde forms the requests' fields are read in. A list of names is
//! one comma-separated text or a list; expressions are one text or a list (never split at
//! commas); a rate is a number or text as on the command line (`"5 %"`); a language, a CSV
//! dialect, a nonresponse rule and an allocation are named. A value that names nothing is
//! an error that names the key and the values it takes, as the step's command says it.

use crate::error::{ArtifactError, Result};
use crate::text::parse_rate;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use urval_design::AllocationMethod;
use urval_indicators::estimate::Nonresponse;
use urval_report::xlsx::CsvDialect;
use urval_report::Lang;

/// A list of names: `"a,b"` or `["a", "b"]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Names {
    /// Comma-separated.
    One(String),
    /// A list.
    Many(Vec<String>),
}

impl Names {
    /// The names: a text split at commas (trimmed, empty ones left out), or the list.
    pub fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => s
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
            Names::Many(v) => v.clone(),
        }
    }
}

/// A list of expressions: one, or several (never split at commas: expressions hold them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Exprs {
    /// One expression.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Exprs {
    /// The expressions.
    pub fn list(&self) -> Vec<String> {
        match self {
            Exprs::One(s) => vec![s.clone()],
            Exprs::Many(v) => v.clone(),
        }
    }
}

/// A rate: `0.05`, or text as on the command line (`"5 %"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl Rate {
    /// The rate's value; `key` names it in the error.
    ///
    /// # Errors
    /// Text that is no rate.
    pub fn value(&self, key: &str) -> Result<f64> {
        match self {
            Rate::Number(v) => Ok(*v),
            Rate::Text(t) => parse_rate(t).map_err(|reason| {
                ArtifactError::BadRate {
                    key: key.to_string(),
                    reason,
                }
                .into()
            }),
        }
    }
}

/// The value of an optional rate, or `default`.
///
/// # Errors
/// As [`Rate::value`].
pub fn rate_or(r: &Option<Rate>, key: &str, default: f64) -> Result<f64> {
    r.as_ref().map_or(Ok(default), |r| r.value(key))
}

/// [`Names`] as a list (`deserialize_with`).
///
/// # Errors
/// Neither a text nor a list of texts.
pub fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Names::deserialize(d).map(|n| n.list())
}

/// [`Exprs`] as a list (`deserialize_with`).
///
/// # Errors
/// Neither a text nor a list of texts.
pub fn exprs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Exprs::deserialize(d).map(|e| e.list())
}

/// A path, written as text (`deserialize_with`; a relative path is resolved by the
/// pipeline).
///
/// # Errors
/// Not a text.
pub fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    String::deserialize(d).map(PathBuf::from)
}

/// An optional [`path`] (`deserialize_with`, with `default`).
///
/// # Errors
/// Not a text.
pub fn opt_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    path(d).map(Some)
}

fn named<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: impl Fn(&str) -> Option<T>,
    refused: impl Fn(&str) -> String,
) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| D::Error::custom(refused(&s)))
}

fn a_rate<'de, D: Deserializer<'de>>(d: D, key: &str) -> Result<f64, D::Error> {
    Rate::deserialize(d)?.value(key).map_err(D::Error::custom)
}

/// `lang`: `sv` or `en`.
///
/// # Errors
/// Another name, or not a text.
pub fn lang<'de, D: Deserializer<'de>>(d: D) -> Result<Lang, D::Error> {
    named(
        d,
        |s| match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        },
        |s| format!("lang {s:?}: use \"sv\" or \"en\""),
    )
}

/// `csv_dialect`: `standard` or `excel-sv`.
///
/// # Errors
/// Another name, or not a text.
pub fn csv_dialect<'de, D: Deserializer<'de>>(d: D) -> Result<CsvDialect, D::Error> {
    named(
        d,
        |s| match s {
            "standard" => Some(CsvDialect::Standard),
            "excel-sv" => Some(CsvDialect::ExcelSv),
            _ => None,
        },
        |s| format!("csv_dialect {s:?}: use \"standard\" or \"excel-sv\""),
    )
}

/// `nonresponse`: `bounds` or `drop`.
///
/// # Errors
/// Another name, or not a text.
pub fn nonresponse<'de, D: Deserializer<'de>>(d: D) -> Result<Nonresponse, D::Error> {
    named(
        d,
        |s| match s {
            "bounds" => Some(Nonresponse::Bounds),
            "drop" => Some(Nonresponse::Drop),
            _ => None,
        },
        |s| format!("nonresponse {s:?}: use \"bounds\" or \"drop\""),
    )
}

/// `allocation`: `proportional`, `neyman`, `optimal`, `equal` or `domain`.
///
/// # Errors
/// Another name, or not a text.
pub fn allocation<'de, D: Deserializer<'de>>(d: D) -> Result<AllocationMethod, D::Error> {
    named(d, AllocationMethod::from_name, |s| {
        format!("allocation {s:?}: use proportional, neyman, optimal, equal or domain")
    })
}

/// `confidence`, a rate.
///
/// # Errors
/// Not a rate.
pub fn confidence<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    a_rate(d, "confidence")
}

/// `proportion`, a rate.
///
/// # Errors
/// Not a rate.
pub fn proportion<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    a_rate(d, "proportion")
}

/// `margin`, a rate.
///
/// # Errors
/// Not a rate.
pub fn margin<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    a_rate(d, "margin").map(Some)
}

/// `first_fraction`, a rate.
///
/// # Errors
/// Not a rate.
pub fn first_fraction<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    a_rate(d, "first_fraction").map(Some)
}

/// `first_margin`, a rate.
///
/// # Errors
/// Not a rate.
pub fn first_margin<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    a_rate(d, "first_margin").map(Some)
}

/// `tolerable_rate`, a rate.
///
/// # Errors
/// Not a rate.
pub fn tolerable_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    a_rate(d, "tolerable_rate").map(Some)
}

/// `expected_rate`, a rate.
///
/// # Errors
/// Not a rate.
pub fn expected_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    a_rate(d, "expected_rate").map(Some)
}

/// The keys whose text is read as something else (a language, a dialect, a nonresponse
/// rule, an allocation, a rate): a pipeline reports a text that reads as nothing when its
/// step runs, as the step's command would, not when it reads the file.
pub const READ_WHEN_RUN: [&str; 11] = [
    "lang",
    "csv_dialect",
    "nonresponse",
    "allocation",
    "confidence",
    "proportion",
    "margin",
    "first_fraction",
    "first_margin",
    "tolerable_rate",
    "expected_rate",
];

/// The defaults of a step that leaves a key out, as its command's flags have them.
pub mod default {
    use super::{AllocationMethod, CsvDialect, Lang, Nonresponse};

    /// `confidence`: 0.95.
    pub fn confidence() -> f64 {
        0.95
    }

    /// `proportion`: 0.5.
    pub fn proportion() -> f64 {
        0.5
    }

    /// `max_quarantine`: 0.01, the command line's `--max-quarantine 1%`.
    pub fn max_quarantine() -> f64 {
        0.01
    }

    /// `lang`: Swedish.
    pub fn lang() -> Lang {
        Lang::Sv
    }

    /// `csv_dialect`: standard.
    pub fn csv_dialect() -> CsvDialect {
        CsvDialect::Standard
    }

    /// `nonresponse`: bounds.
    pub fn nonresponse() -> Nonresponse {
        Nonresponse::Bounds
    }

    /// `allocation`: proportional.
    pub fn allocation() -> AllocationMethod {
        AllocationMethod::Proportional
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Keys {
        #[serde(default, deserialize_with = "names")]
        by: Vec<String>,
        #[serde(default, deserialize_with = "exprs")]
        check: Vec<String>,
        #[serde(default, deserialize_with = "margin")]
        margin: Option<f64>,
        #[serde(default = "default::lang", deserialize_with = "lang")]
        lang: Lang,
        #[serde(default = "default::allocation", deserialize_with = "allocation")]
        allocation: AllocationMethod,
    }

    fn keys(json: &str) -> std::result::Result<Keys, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_read_as_a_pipeline_writes_them() {
        let k = keys(r#"{"by": " a, ,b ", "check": "x > 1, y", "margin": "5 %", "lang": "en", "allocation": "neyman"}"#).unwrap();
        assert_eq!(k.by, ["a", "b"]);
        assert_eq!(k.check, ["x > 1, y"]);
        assert_eq!(k.margin, Some(0.05));
        assert_eq!(k.lang, Lang::En);
        assert_eq!(k.allocation, AllocationMethod::Neyman);
        let k = keys(r#"{"by": ["a,b"], "check": ["p", "q"], "margin": 0.1}"#).unwrap();
        assert_eq!(k.by, ["a,b"]);
        assert_eq!(k.check, ["p", "q"]);
        assert_eq!(k.margin, Some(0.1));
        assert_eq!(
            (k.lang, k.allocation),
            (Lang::Sv, AllocationMethod::Proportional)
        );
    }

    #[test]
    fn a_value_that_names_nothing_names_its_key() {
        for (json, want) in [
            (r#"{"lang": "fr"}"#, r#"lang "fr": use "sv" or "en""#),
            (
                r#"{"allocation": "x"}"#,
                r#"allocation "x": use proportional, neyman, optimal, equal or domain"#,
            ),
            (
                r#"{"margin": "x"}"#,
                r#"margin: not a rate: "x" (write 0.05, 5% or "5 %")"#,
            ),
            (
                r#"{"lang": 5}"#,
                "invalid type: integer `5`, expected a string",
            ),
            (
                r#"{"by": 5}"#,
                "data did not match any variant of untagged enum Names",
            ),
        ] {
            let e = keys(json).unwrap_err();
            assert!(e.starts_with(want), "{json}: {e}");
        }
        assert_eq!(
            rate_or(&Some(Rate::Text("x".into())), "max_quarantine", 0.01)
                .unwrap_err()
                .to_string(),
            r#"max_quarantine: not a rate: "x" (write 0.05, 5% or "5 %")"#
        );
        assert_eq!(rate_or(&None, "max_quarantine", 0.01).unwrap(), 0.01);
    }
}
