//! The burden of a request in records, pages and working days, and a total request split
//! over strata: the sums plan.json, the report and `urval run` show, one definition each.

use urval_design::{burden, burden_with_pages, BurdenRates};

/// A total request split over strata in proportion to N_h by the priority method (the
/// split the plan and the report both use when no request per stratum is given).
pub fn split_request(total: u64, populations: &[u64]) -> Vec<u64> {
    let weights: Vec<f64> = populations.iter().map(|&p| p as f64).collect();
    let lo = vec![0u64; populations.len()];
    let all: u64 = populations.iter().sum();
    urval_design::apportion(total.min(all), &weights, populations, &lo, populations)
}

/// One stratum's burden: its records at its own mean pages per record when measured, else
/// at the rate.
pub fn stratum_burden(
    records: u64,
    mean_pages: Option<f64>,
    rates: &BurdenRates,
) -> urval_design::Burden {
    match mean_pages {
        Some(m) => burden_with_pages(records, m, rates),
        None => burden(records, rates),
    }
}

/// The burden of several strata: records, pages and days summed in stratum order (the one
/// sum plan.json, the report and `urval run` show).
pub fn sum_burden(
    parts: impl Iterator<Item = (u64, f64, f64)>,
    rates: &BurdenRates,
) -> urval_design::Burden {
    let mut b = burden(0, rates);
    for (n, pages, days) in parts {
        b.records += n;
        b.pages += pages;
        b.working_days += days;
    }
    b
}
