//! Calendar arithmetic on day numbers (days since 1970-01-01, Arrow's `Date32`): days from
//! and to a civil date, calendar months added with the day clamped to the month's end, and
//! `YYYY-MM-DD` text read as a day. Pure functions; of the crate it uses only
//! [`crate::text`]'s trimming.

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Hinnant's
/// civil_from_days; the inverse of [`parse_date`]'s day count).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `d` plus `n` calendar months, the day clamped to the last day of the target month
/// (PostgreSQL's and DuckDB's `date + INTERVAL n MONTH`). `None` when out of range.
pub fn add_months(d: i32, n: i64) -> Option<i32> {
    let (y, m, day) = civil_from_days(i64::from(d));
    let total = y
        .checked_mul(12)?
        .checked_add(i64::from(m) - 1)?
        .checked_add(n)?;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if ny.abs() > 1_000_000 {
        return None;
    }
    let nd = i64::from(day).min(days_in_month(ny, nm));
    i32::try_from(days_from_civil(ny, nm, nd)).ok()
}

/// Parse `YYYY-MM-DD` into days since 1970-01-01; `None` if it is not a valid date.
pub fn parse_date(s: &str) -> Option<i32> {
    let s = crate::text::trim(s);
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    // Eight ASCII digits (nearly every date): read directly, in unsigned arithmetic (the
    // year is 0..=9999); anything else (a sign, which `str::parse` accepts) by `str::parse`,
    // so both give the same answers.
    if [0, 1, 2, 3, 5, 6, 8, 9]
        .iter()
        .all(|&i| b[i].is_ascii_digit())
    {
        let digit = |i: usize| u32::from(b[i] - b'0');
        let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
        let m = digit(5) * 10 + digit(6);
        let d = digit(8) * 10 + digit(9);
        if !(1..=12).contains(&m)
            || d < 1
            || i64::from(d) > days_in_month(i64::from(y), i64::from(m))
        {
            return None;
        }
        return Some(days_from_civil_4digit(y, m, d));
    }
    let y = s[0..4].parse::<i64>().ok()?;
    let m = s[5..7].parse::<i64>().ok()?;
    let d = s[8..10].parse::<i64>().ok()?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// [`days_from_civil`] for a year of four digits (0..=9999), month 1..=12 and day 1..=31,
/// in unsigned arithmetic (the era is never negative, so no sign corrections): the same
/// day count (a test compares every date of the four-digit years).
fn days_from_civil_4digit(y: u32, m: u32, d: u32) -> i32 {
    // Shifted so the year starts in March: year 0 March 1 is day 0 before the offset.
    let y = if m <= 2 { y + 399 } else { y + 400 };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // era counts from year −400 here (the +400 above): one era less in the total.
    (era as i32 - 1) * 146_097 + doe as i32 - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    /// The digit fast path of `parse_date` answers as `str::parse` of the three parts does.
    #[test]
    fn parse_date_equals_parsing_its_parts() {
        let reference = |s: &str| -> Option<i32> {
            let s = s.trim();
            let b = s.as_bytes();
            if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
                return None;
            }
            let y: i64 = s[0..4].parse().ok()?;
            let m: i64 = s[5..7].parse().ok()?;
            let d: i64 = s[8..10].parse().ok()?;
            if !(1..=12).contains(&m) || d < 1 {
                return None;
            }
            let probe = days_from_civil(y, m, 1);
            let next = if m == 12 {
                days_from_civil(y + 1, 1, 1)
            } else {
                days_from_civil(y, m + 1, 1)
            };
            (d <= next - probe).then(|| i32::try_from(probe + d - 1).ok())?
        };
        let mut n = 0;
        for y in [
            "2024", "2023", "1900", "2000", "0000", "+024", "-024", "20x4", " 202",
        ] {
            for m in ["01", "02", "12", "13", "00", "+1", "-1", "1 ", "x1"] {
                for d in ["01", "28", "29", "30", "31", "32", "00", "+9", "-1", "9x"] {
                    for pad in ["", " ", "\t"] {
                        let s = format!("{pad}{y}-{m}-{d}{pad}");
                        assert_eq!(parse_date(&s), reference(&s), "{s:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 2000);
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("2023-02-29"), None);
    }

    /// The unsigned day count of four-digit years equals Hinnant's signed one on every
    /// day of 0000-01-01..=9999-12-31, and consecutive days are one apart.
    #[test]
    fn four_digit_day_count_equals_the_signed_one() {
        let mut last = None;
        for y in 0..=9999u32 {
            for m in 1..=12u32 {
                for d in 1..=days_in_month(i64::from(y), i64::from(m)) as u32 {
                    let got = days_from_civil_4digit(y, m, d);
                    let want = days_from_civil(i64::from(y), i64::from(m), i64::from(d));
                    assert_eq!(i64::from(got), want, "{y:04}-{m:02}-{d:02}");
                    if let Some(prev) = last {
                        assert_eq!(got, prev + 1, "{y:04}-{m:02}-{d:02}");
                    }
                    last = Some(got);
                }
            }
        }
        assert_eq!(last, Some(2_932_896));
    }

    #[test]
    fn add_months_clamps_to_the_end_of_the_month_like_postgres() {
        // PostgreSQL: SELECT DATE '2024-01-31' + INTERVAL '1 month' = 2024-02-29, etc.
        assert_eq!(add_months(date("2024-01-31"), 1), Some(date("2024-02-29")));
        assert_eq!(add_months(date("2023-01-31"), 1), Some(date("2023-02-28")));
        assert_eq!(add_months(date("2024-10-31"), 4), Some(date("2025-02-28")));
        assert_eq!(add_months(date("2024-03-15"), -3), Some(date("2023-12-15")));
        assert_eq!(add_months(date("2024-05-31"), -3), Some(date("2024-02-29")));
        assert_eq!(add_months(date("2024-05-20"), 0), Some(date("2024-05-20")));
        assert_eq!(add_months(0, i64::MAX), None);
        for d in [-800_000, -1, 0, 59, 19_723, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(
                parse_date(&format!("{y:04}-{m:02}-{dd:02}")).unwrap_or(d as i32),
                d as i32
            );
        }
    }
}
