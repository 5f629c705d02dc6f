//! Burden: what a number of records costs the municipality that must produce them, in
//! pages and working days, and how a proposed request compares with what is needed.

use serde::{Deserialize, Serialize};

/// Default pages per record: 230,000 A4 pages for 767 elderly-care journals ≈ 300.
pub const DEFAULT_PAGES_PER_RECORD: f64 = 300.0;
/// Default minutes per record: 21 working days of 8 hours to print 767 journals ≈ 13.
pub const DEFAULT_MINUTES_PER_RECORD: f64 = 13.0;
/// Default working hours per day.
pub const DEFAULT_HOURS_PER_DAY: f64 = 8.0;

/// The rates that turn records into pages and working days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BurdenRates {
    /// Pages per record.
    pub pages_per_record: f64,
    /// Minutes of work per record (finding, printing, redacting, sending).
    pub minutes_per_record: f64,
    /// Working hours per day.
    pub hours_per_day: f64,
}

impl Default for BurdenRates {
    fn default() -> Self {
        BurdenRates {
            pages_per_record: DEFAULT_PAGES_PER_RECORD,
            minutes_per_record: DEFAULT_MINUTES_PER_RECORD,
            hours_per_day: DEFAULT_HOURS_PER_DAY,
        }
    }
}

/// The burden of a number of records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Burden {
    /// Records.
    pub records: u64,
    /// Pages: records × pages per record.
    pub pages: f64,
    /// Working days: records × minutes per record / 60 / hours per day.
    pub working_days: f64,
}

/// Burden of `records` records: pages = records · pages/record; working days =
/// records · minutes/record / 60 / hours/day. With the defaults, 767 records are
/// 230,100 pages and 20.8 working days (the seed case: 230,000 pages, 21 days).
pub fn burden(records: u64, rates: &BurdenRates) -> Burden {
    let r = records as f64;
    Burden {
        records,
        pages: r * rates.pages_per_record,
        working_days: r * rates.minutes_per_record / 60.0 / rates.hours_per_day,
    }
}

/// Burden with a measured mean of pages per record (from the extract) instead of the rate.
pub fn burden_with_pages(records: u64, mean_pages: f64, rates: &BurdenRates) -> Burden {
    let mut b = burden(records, rates);
    b.pages = records as f64 * mean_pages;
    b
}

/// A proposed request set against what is needed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequestComparison {
    /// Records requested.
    pub requested: u64,
    /// Records needed.
    pub needed: u64,
    /// Requested − needed (negative: the request is too small for the purpose).
    pub surplus_records: i64,
    /// Surplus pages.
    pub surplus_pages: f64,
    /// Surplus working days.
    pub surplus_working_days: f64,
    /// Burden of the request.
    pub requested_burden: Burden,
    /// Burden of what is needed.
    pub needed_burden: Burden,
}

/// Compare a request of `requested` records with the `needed` ones.
pub fn compare_request(requested: u64, needed: u64, rates: &BurdenRates) -> RequestComparison {
    let requested_burden = burden(requested, rates);
    let needed_burden = burden(needed, rates);
    RequestComparison {
        requested,
        needed,
        surplus_records: requested as i64 - needed as i64,
        surplus_pages: requested_burden.pages - needed_burden.pages,
        surplus_working_days: requested_burden.working_days - needed_burden.working_days,
        requested_burden,
        needed_burden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_case_burden() {
        let rates = BurdenRates::default();
        let full = burden(767, &rates);
        assert_eq!(full.pages, 230_100.0);
        assert!((full.working_days - 20.77).abs() < 0.01);
        let cmp = compare_request(767, 257, &rates);
        assert_eq!(cmp.surplus_records, 510);
        assert_eq!(cmp.surplus_pages, 153_000.0);
        assert!((cmp.surplus_working_days - 13.81).abs() < 0.01);
        let short = compare_request(100, 257, &rates);
        assert_eq!(short.surplus_records, -157);
    }
}
