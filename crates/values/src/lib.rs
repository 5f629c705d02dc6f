//! # urval-values — single values as municipal systems write them
//!
//! Owns reading one value of an extract the way Swedish municipal case systems and Excel
//! write it: dates in their common shapes and Excel serials ([`dates`]), calendar arithmetic
//! on day numbers ([`calendar`]), text trimmed and read as decimal numbers with a decimal
//! comma, and Arrow columns viewed as text ([`text`]), personal identity numbers checked,
//! found in free text and replaced by pseudonyms ([`personal`]), typed masking of
//! machine-readable outputs ([`masked`]), and municipality codes checked against the
//! register that ships with urval ([`municipal`]).
//!
//! It reads no file and knows nothing of extracts, scans or expressions: `urval-ingest`
//! uses it and re-exports its modules, so `urval_ingest::dates`, `urval_ingest::personal`,
//! … name the same items.
//!
//! ```
//! use urval_values::{dates::DateFormat, municipal, personal, text};
//! assert_eq!(DateFormat::DayMonthSlash.read("25/06/2024"), DateFormat::Iso.read("2024-06-25"));
//! assert_eq!(text::parse_decimal(" 12,5 "), Some(12.5));
//! assert!(personal::check_personnummer("811218-9876").is_ok());
//! assert_eq!(personal::redact("pnr 811218-9876"), format!("pnr {}", personal::PERSONAL_MASK));
//! assert!(municipal::check_code("0180").is_none());
//! ```

pub mod calendar;
pub mod dates;
pub mod masked;
pub mod municipal;
pub mod personal;
pub mod text;
