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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_split_over_strata_is_proportional_and_sums_to_the_total() {
        assert_eq!(split_request(100, &[700, 200, 100]), vec![70, 20, 10]);
        for total in [0u64, 1, 7, 99, 333, 1000] {
            let pops = [1234u64, 17, 0, 560, 3];
            let s = split_request(total, &pops);
            assert_eq!(
                s.iter().sum::<u64>(),
                total.min(pops.iter().sum()),
                "{total}"
            );
            assert!(s.iter().zip(&pops).all(|(n, p)| n <= p), "{s:?}");
        }
    }

    #[test]
    fn a_request_above_the_population_takes_every_stratum_whole() {
        assert_eq!(split_request(500, &[10, 20, 0]), vec![10, 20, 0]);
    }

    #[test]
    fn a_stratum_uses_its_measured_pages_and_sums_add_up_in_order() {
        let rates = BurdenRates {
            pages_per_record: 300.0,
            minutes_per_record: 12.0,
            hours_per_day: 8.0,
        };
        // 10 records at 12 minutes = 120 minutes = 0.25 days of 8 hours.
        let at_rate = stratum_burden(10, None, &rates);
        assert_eq!(
            (at_rate.records, at_rate.pages, at_rate.working_days),
            (10, 3000.0, 0.25)
        );
        let measured = stratum_burden(10, Some(42.5), &rates);
        assert_eq!((measured.pages, measured.working_days), (425.0, 0.25));
        let sum = sum_burden([(10, 425.0, 0.25), (4, 1200.0, 0.1)].into_iter(), &rates);
        assert_eq!(
            (sum.records, sum.pages, sum.working_days),
            (14, 1625.0, 0.35)
        );
        let none = sum_burden(std::iter::empty(), &rates);
        assert_eq!((none.records, none.pages, none.working_days), (0, 0.0, 0.0));
    }
}
