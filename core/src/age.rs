//! Ages in completed years on a business date.

use chrono::{Datelike, NaiveDate};

/// A local calendar date in the site's time zone: the day a meal belongs to.
pub type BusinessDate = NaiveDate;

/// Completed years of a person born on `birth` on the date `on`, or `None`
/// when `on` is before the birth.
///
/// A person born on 29 February has their birthday on 1 March in years that
/// are not leap years: comparing (month, day) pairs gives exactly that,
/// since (2, 28) < (2, 29) ≤ (3, 1).
pub fn age_on(birth: NaiveDate, on: BusinessDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[track_caller]
    fn check(birth: NaiveDate, on: NaiveDate, expected: Option<u32>) {
        assert_eq!(age_on(birth, on), expected, "born {birth}, on {on}");
    }

    #[test]
    fn completed_years() {
        check(d(1950, 6, 15), d(2025, 6, 14), Some(74));
        check(d(1950, 6, 15), d(2025, 6, 15), Some(75));
        check(d(1950, 6, 15), d(2025, 12, 31), Some(75));
        check(d(1950, 6, 15), d(1950, 6, 15), Some(0));
        check(d(1950, 6, 15), d(1950, 6, 14), None);
    }

    #[test]
    fn born_on_29_february() {
        let birth = d(1960, 2, 29);
        // Non-leap year: still 64 on 28 February, 65 on 1 March.
        check(birth, d(2025, 2, 28), Some(64));
        check(birth, d(2025, 3, 1), Some(65));
        // Leap year: 64 on 29 February 2024.
        check(birth, d(2024, 2, 28), Some(63));
        check(birth, d(2024, 2, 29), Some(64));
    }
}
