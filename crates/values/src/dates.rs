//! Dates as municipal case systems export them: `2024-06-25` (ISO 8601), `20240625`,
//! `25/06/2024`, `25.6.2024`, Excel serial numbers (`45468`), each optionally with a time
//! (`2024-06-25 14:30`, `25/06/2024 14:30:00`, `2024-06-25T14:30:00`).
//!
//! A date is read to the day (the expressions count days; a time part is checked and
//! dropped) as the number of days since 1970-01-01, Arrow's `Date32`. The calendar is
//! chrono's proleptic Gregorian one.
//!
//! A text column of a CSV or spreadsheet extract is read as dates when the command reads it
//! (a `--where`, a `--check`, an indicator, a copied column) and every non-empty value is a
//! date in one of the shapes above: [`DateEvidence`] gathers what the values look like over
//! the whole column (so the decision never depends on row order or file split) and
//! [`DateEvidence::decide`] decides. `DD/MM/YYYY` and `MM/DD/YYYY` cannot be told apart
//! when no value has a day above 12 (`01/02/2024`): such a column stops the command, which
//! asks for `--date-format COL=DD/MM/YYYY` (day first, as Swedish systems write) rather than
//! guess, since a wrong guess moves dates by months. A column given a format
//! ([`DateReading::Given`]) reads that format and ISO dates; a value in neither is
//! quarantined with the column, the value and the format expected.

use chrono::{NaiveDate, NaiveTime};

/// A date format a column can be given (`--date-format COL=FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateFormat {
    /// `YYYY-MM-DD` (ISO 8601).
    Iso,
    /// `YYYYMMDD`.
    Compact,
    /// `DD/MM/YYYY`, day first (one-digit day and month accepted: `5/6/2024`).
    DayMonthSlash,
    /// `MM/DD/YYYY`, month first.
    MonthDaySlash,
    /// `D.M.YYYY` (two-digit day and month accepted: `05.06.2024`).
    DayMonthDot,
    /// An Excel serial number in the 1900 date system: 45468 is 2024-06-25; a fraction is
    /// the time of day. Serials below 61 (before 1900-03-01, where Excel counts a 29
    /// February 1900 that never was) are refused.
    ExcelSerial,
}

/// Every format, in the order they are listed to the user.
pub const DATE_FORMATS: [DateFormat; 6] = [
    DateFormat::Iso,
    DateFormat::Compact,
    DateFormat::DayMonthSlash,
    DateFormat::MonthDaySlash,
    DateFormat::DayMonthDot,
    DateFormat::ExcelSerial,
];

/// 1970-01-01, day 0.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// The day number of a calendar date.
fn days(d: NaiveDate) -> Option<i32> {
    i32::try_from(d.signed_duration_since(epoch()).num_days()).ok()
}

/// Excel's serial number of 1970-01-01 in the 1900 date system.
const EXCEL_EPOCH: i64 = 25_569;

impl DateFormat {
    /// The format as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DateFormat::Iso => "YYYY-MM-DD",
            DateFormat::Compact => "YYYYMMDD",
            DateFormat::DayMonthSlash => "DD/MM/YYYY",
            DateFormat::MonthDaySlash => "MM/DD/YYYY",
            DateFormat::DayMonthDot => "D.M.YYYY",
            DateFormat::ExcelSerial => "excel",
        }
    }

    /// A format by its name, case-insensitive (`DD.MM.YYYY` and `D/M/YYYY` too); `None`
    /// for any other.
    pub fn from_name(s: &str) -> Option<DateFormat> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "YYYY-MM-DD" | "ISO" => DateFormat::Iso,
            "YYYYMMDD" => DateFormat::Compact,
            "DD/MM/YYYY" | "D/M/YYYY" => DateFormat::DayMonthSlash,
            "MM/DD/YYYY" | "M/D/YYYY" => DateFormat::MonthDaySlash,
            "D.M.YYYY" | "DD.MM.YYYY" => DateFormat::DayMonthDot,
            "EXCEL" => DateFormat::ExcelSerial,
            _ => return None,
        })
    }

    /// Read one value in this format (surrounding spaces ignored) as a day number; a time
    /// after the date (`T` or a space, then `HH:MM`, `HH:MM:SS` or with fractions of a
    /// second) is checked and dropped. `None` when it is not a date in this format.
    pub fn read(self, v: &str) -> Option<i32> {
        let v = v.trim();
        if self == DateFormat::Iso {
            // The common case, a plain YYYY-MM-DD, read by position (the general path below
            // gives the same day, or None for a day that does not exist).
            if let Some(day) = plain_iso(v.as_bytes()) {
                return Some(day);
            }
        }
        if self == DateFormat::ExcelSerial {
            let serial: f64 = v.parse().ok().filter(|x: &f64| x.is_finite())?;
            let day = serial.floor();
            if !(61.0..=2_958_465.0).contains(&day) {
                return None;
            }
            // Whole days only: 45468.75 is 2024-06-25 at 18:00.
            return i32::try_from(day as i64 - EXCEL_EPOCH).ok();
        }
        let (date, time) = match v.find(['T', ' ']) {
            Some(i) => (&v[..i], Some(v[i + 1..].trim_start())),
            None => (v, None),
        };
        // The date first: it refuses most text at once, where a time is parsed by chrono
        // three ways (text with a space, such as a unit's name, would otherwise pay that).
        let (y, m, d) = match self {
            DateFormat::Iso => {
                let [y, m, d] = parts(date, '-', [4, 2, 2], [4, 2, 2])?;
                (y, m, d)
            }
            DateFormat::Compact => {
                if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (
                    date[..4].parse().ok()?,
                    date[4..6].parse().ok()?,
                    date[6..].parse().ok()?,
                )
            }
            DateFormat::DayMonthSlash => {
                let [d, m, y] = parts(date, '/', [1, 1, 4], [2, 2, 4])?;
                (y, m, d)
            }
            DateFormat::MonthDaySlash => {
                let [m, d, y] = parts(date, '/', [1, 1, 4], [2, 2, 4])?;
                (y, m, d)
            }
            DateFormat::DayMonthDot => {
                let [d, m, y] = parts(date, '.', [1, 1, 4], [2, 2, 4])?;
                (y, m, d)
            }
            DateFormat::ExcelSerial => return None,
        };
        let day = days(NaiveDate::from_ymd_opt(y as i32, m, d)?)?;
        match time {
            Some(t) if !is_time(t) => None,
            _ => Some(day),
        }
    }

    /// Write day number `day` in this format (ISO for days outside years 0–9999): what
    /// [`DateFormat::read`] reads back.
    pub fn write(self, day: i32) -> String {
        let Some(date) = epoch().checked_add_signed(chrono::Duration::days(i64::from(day))) else {
            return String::new();
        };
        let f = match self {
            DateFormat::Iso => "%Y-%m-%d",
            DateFormat::Compact => "%Y%m%d",
            DateFormat::DayMonthSlash => "%d/%m/%Y",
            DateFormat::MonthDaySlash => "%m/%d/%Y",
            DateFormat::DayMonthDot => "%-d.%-m.%Y",
            DateFormat::ExcelSerial => return (i64::from(day) + EXCEL_EPOCH).to_string(),
        };
        date.format(f).to_string()
    }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, optionally with `Z` or an offset after it.
/// A plain `YYYY-MM-DD` (exactly ten bytes) as a day number; `None` for anything else,
/// a day that does not exist included.
#[inline]
fn plain_iso(b: &[u8]) -> Option<i32> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut n = [0u32; 8];
    for (k, &i) in [0usize, 1, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n[k] = u32::from(d);
    }
    let y = n[0] * 1000 + n[1] * 100 + n[2] * 10 + n[3];
    let m = n[4] * 10 + n[5];
    let d = n[6] * 10 + n[7];
    days(NaiveDate::from_ymd_opt(y as i32, m, d)?)
}

fn is_time(t: &str) -> bool {
    let t = t.trim_end_matches('Z');
    let t = match t.rfind(['+', '-']) {
        Some(i) if i >= 5 => &t[..i],
        _ => t,
    };
    ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"]
        .iter()
        .any(|f| NaiveTime::parse_from_str(t, f).is_ok())
}

/// Three numbers separated by `sep`, each all ASCII digits with between `min` and `max`
/// of them.
fn parts(s: &str, sep: char, min: [usize; 3], max: [usize; 3]) -> Option<[u32; 3]> {
    let mut it = s.split(sep);
    let mut out = [0u32; 3];
    for k in 0..3 {
        let p = it.next()?;
        if p.len() < min[k] || p.len() > max[k] || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out[k] = p.parse().ok()?;
    }
    it.next().is_none().then_some(out)
}

/// How a column's dates are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateReading {
    /// Detected from the values: ISO dates (also with a time), `YYYYMMDD`, `D.M.YYYY`, and
    /// slashes in the one order the column's values allow (`None`: the column has none).
    Detected {
        /// `DD/MM/YYYY` or `MM/DD/YYYY`.
        slash: Option<DateFormat>,
    },
    /// Given with `--date-format`: that format, and ISO dates.
    Given(DateFormat),
}

impl DateReading {
    /// Read one value (not empty) as a day number.
    pub fn read(self, v: &str) -> Option<i32> {
        match self {
            DateReading::Detected { slash } => [
                Some(DateFormat::Iso),
                Some(DateFormat::Compact),
                Some(DateFormat::DayMonthDot),
                slash,
            ]
            .into_iter()
            .flatten()
            .find_map(|f| f.read(v)),
            DateReading::Given(f) => f.read(v).or_else(|| DateFormat::Iso.read(v)),
        }
    }

    /// What a value must look like, for a quarantine reason.
    pub fn expected(self) -> String {
        match self {
            DateReading::Given(DateFormat::Iso) => "YYYY-MM-DD".to_string(),
            DateReading::Given(f) => format!("{} or YYYY-MM-DD", f.name()),
            DateReading::Detected { slash } => match slash {
                Some(s) => format!("YYYY-MM-DD, YYYYMMDD, D.M.YYYY or {}", s.name()),
                None => "YYYY-MM-DD, YYYYMMDD or D.M.YYYY".to_string(),
            },
        }
    }
}

/// What a column's values look like, gathered over the whole column (merge the parts of a
/// scan with [`DateEvidence::merge`]: the counts do not depend on order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateEvidence {
    /// Non-empty values.
    pub values: u64,
    /// Values that are a plain ISO date (`YYYY-MM-DD`, nothing after it).
    pub plain_iso: u64,
    /// Slash values that are a date day first only (`25/06/2024`).
    pub day_first_only: u64,
    /// Slash values that are a date month first only (`06/25/2024`).
    pub month_first_only: u64,
    /// Slash values that are a date either way (`01/02/2024`), and the smallest of them.
    pub either_order: u64,
    /// The smallest slash value that reads either way (an example for the message).
    pub either_example: Option<String>,
    /// Values that are a date in no shape: the column is not a date column.
    pub not_dates: u64,
}

/// Whether `YYYYMMDD` text is a date for detection: 8 digits forming a valid date in
/// 1900–2099 (a number column of 8 digits seldom is one by chance; give the format to read
/// other years).
fn compact_for_detection(v: &str) -> bool {
    DateFormat::Compact.read(v).is_some() && matches!(v.trim().get(..2), Some("19" | "20"))
}

impl DateEvidence {
    /// Take one non-empty value into account.
    pub fn observe(&mut self, v: &str) {
        self.observe_n(v, 1);
    }

    /// Take a non-empty value that occurs `n` times into account (a dictionary entry and
    /// the rows that hold it): the same evidence as `n` calls of [`DateEvidence::observe`].
    pub fn observe_n(&mut self, v: &str, n: u64) {
        if n == 0 {
            return;
        }
        self.values += n;
        let v = v.trim();
        if v.len() == 10 && DateFormat::Iso.read(v).is_some() {
            self.plain_iso += n;
            return;
        }
        if DateFormat::Iso.read(v).is_some()
            || compact_for_detection(v)
            || DateFormat::DayMonthDot.read(v).is_some()
        {
            return;
        }
        match (
            DateFormat::DayMonthSlash.read(v).is_some(),
            DateFormat::MonthDaySlash.read(v).is_some(),
        ) {
            (true, true) => {
                self.either_order += n;
                if self.either_example.as_deref().is_none_or(|e| v < e) {
                    self.either_example = Some(v.to_string());
                }
            }
            (true, false) => self.day_first_only += n,
            (false, true) => self.month_first_only += n,
            (false, false) => self.not_dates += n,
        }
    }

    /// Add another part's evidence.
    pub fn merge(&mut self, o: &DateEvidence) {
        self.values += o.values;
        self.plain_iso += o.plain_iso;
        self.day_first_only += o.day_first_only;
        self.month_first_only += o.month_first_only;
        self.either_order += o.either_order;
        self.not_dates += o.not_dates;
        if let Some(e) = &o.either_example {
            if self.either_example.as_ref().is_none_or(|x| e < x) {
                self.either_example = Some(e.clone());
            }
        }
    }

    /// Whether no value can change the decision any more (a value that is no date).
    pub fn settled(&self) -> bool {
        self.not_dates > 0
    }

    /// How the column is read: `Ok(None)` when it is not a date column (a value that is no
    /// date, a mix of day-first and month-first values) or needs no reading (plain ISO
    /// dates only, which every expression reads as they are).
    ///
    /// # Errors
    /// The example of a slash date that reads either way, when no value tells the order.
    pub fn decide(&self) -> std::result::Result<Option<DateReading>, String> {
        if self.not_dates > 0 || self.values == self.plain_iso {
            return Ok(None);
        }
        let slash = match (
            self.day_first_only > 0,
            self.month_first_only > 0,
            self.either_order > 0,
        ) {
            (false, false, false) => None,
            (true, false, _) => Some(DateFormat::DayMonthSlash),
            (false, true, _) => Some(DateFormat::MonthDaySlash),
            (true, true, _) => return Ok(None),
            (false, false, true) => {
                return Err(self.either_example.clone().unwrap_or_default());
            }
        };
        Ok(Some(DateReading::Detected { slash }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        days(NaiveDate::from_ymd_opt(y, m, d).unwrap()).unwrap()
    }

    proptest! {
        #[test]
        fn a_plain_iso_date_reads_as_chrono_reads_it(y in 0i32..=9999, m in 0u32..=13, d in 0u32..=32) {
            let v = format!("{y:04}-{m:02}-{d:02}");
            let want = NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok().and_then(days);
            prop_assert_eq!(DateFormat::Iso.read(&v), want);
            prop_assert_eq!(plain_iso(v.as_bytes()), want);
            // With a time after it, the same day, or none for a time that is no time.
            prop_assert_eq!(DateFormat::Iso.read(&format!("{v}T12:30")), want);
            prop_assert_eq!(DateFormat::Iso.read(&format!("{v} 25:99")), None);
        }
    }

    #[test]
    fn text_with_a_space_is_no_date_and_a_date_with_a_bad_time_neither() {
        assert_eq!(DateFormat::Iso.read("Hemtjänst 0017"), None);
        assert_eq!(DateFormat::DayMonthDot.read("Särskilt boende 12:30"), None);
        assert_eq!(
            DateFormat::Iso.read("2024-06-25 12:30:01.5"),
            Some(day(2024, 6, 25))
        );
        assert_eq!(DateFormat::Iso.read("2024-06-25 noon"), None);
        assert_eq!(plain_iso(b"2024-6-25x"), None);
        assert_eq!(plain_iso(b"2024-02-30"), None);
    }

    #[test]
    fn the_formats_municipal_systems_write() {
        let want = day(2024, 6, 25);
        for (f, v) in [
            (DateFormat::Iso, "2024-06-25"),
            (DateFormat::Iso, "2024-06-25 14:30"),
            (DateFormat::Iso, "2024-06-25T14:30:59"),
            (DateFormat::Iso, "2024-06-25T14:30:59.123Z"),
            (DateFormat::Iso, "2024-06-25T14:30:00+02:00"),
            (DateFormat::Compact, "20240625"),
            (DateFormat::DayMonthSlash, "25/06/2024"),
            (DateFormat::DayMonthSlash, " 25/6/2024 08:00 "),
            (DateFormat::MonthDaySlash, "06/25/2024"),
            (DateFormat::DayMonthDot, "25.6.2024"),
            (DateFormat::DayMonthDot, "25.06.2024 14:30"),
            // 2024-06-25 is Excel's serial 45468 (1900 date system); 0.75 is 18:00.
            (DateFormat::ExcelSerial, "45468"),
            (DateFormat::ExcelSerial, "45468.75"),
        ] {
            assert_eq!(f.read(v), Some(want), "{f:?} {v:?}");
        }
        for (f, v) in [
            (DateFormat::Iso, "2024-02-30"),
            (DateFormat::Iso, "2024-6-25"),
            (DateFormat::Iso, "2024-06-25 25:00"),
            (DateFormat::Compact, "2024062"),
            (DateFormat::Compact, "20241325"),
            (DateFormat::DayMonthSlash, "06/25/2024"),
            (DateFormat::DayMonthSlash, "25/06/24"),
            (DateFormat::DayMonthSlash, "25/06/2024/1"),
            (DateFormat::DayMonthDot, "29.2.2023"),
            (DateFormat::ExcelSerial, "60"),
            (DateFormat::ExcelSerial, "NaN"),
            (DateFormat::ExcelSerial, "25/06/2024"),
        ] {
            assert_eq!(f.read(v), None, "{f:?} {v:?}");
        }
        // Excel's serial 61 is 1900-03-01; 2024-02-29 exists, 2023-02-29 does not.
        assert_eq!(DateFormat::ExcelSerial.read("61"), Some(day(1900, 3, 1)));
        assert_eq!(DateFormat::Compact.read("20240229"), Some(day(2024, 2, 29)));
    }

    #[test]
    fn format_names_read_back() {
        for f in DATE_FORMATS {
            assert_eq!(DateFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(
            DateFormat::from_name("dd.mm.yyyy"),
            Some(DateFormat::DayMonthDot)
        );
        assert_eq!(
            DateFormat::from_name("Excel"),
            Some(DateFormat::ExcelSerial)
        );
        assert_eq!(DateFormat::from_name("DD-MM-YYYY"), None);
    }

    fn evidence(values: &[&str]) -> DateEvidence {
        let mut e = DateEvidence::default();
        for v in values {
            e.observe(v);
        }
        e
    }

    #[test]
    fn a_column_is_read_as_dates_when_every_value_is_one() {
        // Day first, told by a day above 12; mixed with ISO and YYYYMMDD.
        let e = evidence(&["25/06/2024", "01/02/2024", "2024-06-25", "20240625"]);
        let r = e.decide().unwrap().unwrap();
        assert_eq!(
            r,
            DateReading::Detected {
                slash: Some(DateFormat::DayMonthSlash)
            }
        );
        assert_eq!(r.read("01/02/2024"), Some(day(2024, 2, 1)));
        // Month first only when a month cannot be read otherwise.
        let e = evidence(&["06/25/2024", "01/02/2024"]);
        assert_eq!(
            e.decide(),
            Ok(Some(DateReading::Detected {
                slash: Some(DateFormat::MonthDaySlash)
            }))
        );
        // No value tells the order: the example is the smallest such value.
        let e = evidence(&["03/04/2024", "01/02/2024", "2024-01-01"]);
        assert_eq!(e.decide(), Err("01/02/2024".to_string()));
        // Plain ISO dates need no reading; a value that is no date makes the column text.
        assert_eq!(evidence(&["2024-06-25", ""]).decide().ok(), Some(None));
        let e = evidence(&["25/06/2024", "okänt"]);
        assert!(e.settled());
        assert_eq!(e.decide(), Ok(None));
        // Day first and month first in one column: no reading is right for both.
        assert_eq!(evidence(&["25/06/2024", "06/25/2024"]).decide(), Ok(None));
        // Eight digits outside 1900–2099 are numbers, not dates.
        assert_eq!(evidence(&["12345678"]).decide(), Ok(None));
        assert!(evidence(&["21240101"]).settled());
        // A given format reads it and ISO, and says what it expects.
        let g = DateReading::Given(DateFormat::Compact);
        assert_eq!(g.read("2024-06-25"), g.read("20240625"));
        assert_eq!(g.read("25/06/2024"), None);
        assert_eq!(g.expected(), "YYYYMMDD or YYYY-MM-DD");
    }

    proptest! {
        /// Format then read gives the same day, in every format, for the years 1900–2199.
        #[test]
        fn written_dates_read_back(d in -25_567i32..84_000, f in 0usize..6) {
            let f = DATE_FORMATS[f];
            let text = f.write(d);
            prop_assert_eq!(f.read(&text), Some(d), "{}", text);
            // Every written form is detected as a date (the slash ones with an order only
            // when the day tells it).
            let mut e = DateEvidence::default();
            e.observe(&text);
            if f != DateFormat::ExcelSerial && !(f == DateFormat::Compact && !(text.starts_with("19") || text.starts_with("20"))) {
                prop_assert!(!e.settled(), "{}", text);
            }
        }

        /// The evidence of a column does not depend on how it is split or ordered.
        #[test]
        fn evidence_merges_in_any_order(days in proptest::collection::vec(0i32..30_000, 1..40), cut in 0usize..40, f in 0usize..5) {
            let f = DATE_FORMATS[f];
            let values: Vec<String> = days.iter().map(|&d| f.write(d)).collect();
            let cut = cut.min(values.len());
            let mut a = DateEvidence::default();
            values[..cut].iter().for_each(|v| a.observe(v));
            let mut b = DateEvidence::default();
            values[cut..].iter().for_each(|v| b.observe(v));
            let mut whole = DateEvidence::default();
            values.iter().rev().for_each(|v| whole.observe(v));
            b.merge(&a);
            prop_assert_eq!(b, whole);
        }

        /// A value counted `n` times at once is the same evidence as `n` values one by one
        /// (a dictionary entry and its rows), in every shape, dates or not.
        #[test]
        fn a_value_counted_n_times_is_n_values(d in 0i32..30_000, f in 0usize..6, n in 0u64..5, other in "[0-9a-z/.: -]{0,12}") {
            for v in [DATE_FORMATS[f].write(d), other] {
                let mut once = DateEvidence::default();
                once.observe_n(&v, n);
                let mut each = DateEvidence::default();
                (0..n).for_each(|_| each.observe(&v));
                prop_assert_eq!(once, each);
            }
        }
    }
}
