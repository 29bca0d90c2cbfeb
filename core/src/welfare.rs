//! The welfare list: regular diners who have stopped coming, for the grid
//! workers' door-knocking visits. An elder who ate most days and has not
//! been seen at any site for a few days may be ill or alone.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::diner::Diner;
use crate::ids::DinerId;

/// Who counts as a regular, and how long an absence is worth a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelfareRule {
    /// The window regulars are counted in, in days up to and including today.
    pub window_days: u32,
    /// Meals in the window that make a regular.
    pub min_meals: u32,
    /// Days since the last meal that make an absence.
    pub absent_days: u32,
}

impl Default for WelfareRule {
    fn default() -> WelfareRule {
        WelfareRule {
            window_days: 30,
            min_meals: 8,
            absent_days: 3,
        }
    }
}

/// A regular diner not seen for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsentRegular {
    /// The diner.
    pub diner_id: DinerId,
    /// Meals in the window.
    pub meals: u32,
    /// The last meal's date.
    pub last_meal: NaiveDate,
    /// Whole days since then.
    pub days_absent: i64,
}

/// Regular diners, active today, whose last meal at any site is at least
/// `rule.absent_days` days ago; longest absent first.
///
/// `meals` holds one (diner, date) per meal eaten, sold or free, from any
/// site of the township; meals outside the window or after today are left
/// out.
pub fn absent_regulars(
    meals: &[(DinerId, NaiveDate)],
    roster: &[Diner],
    today: NaiveDate,
    rule: WelfareRule,
) -> Vec<AbsentRegular> {
    let first = today - chrono::Duration::days(i64::from(rule.window_days.max(1)) - 1);
    let mut seen: HashMap<DinerId, (u32, NaiveDate)> = HashMap::new();
    for &(diner, date) in meals {
        if date < first || date > today {
            continue;
        }
        let e = seen.entry(diner).or_insert((0, date));
        e.0 += 1;
        e.1 = e.1.max(date);
    }
    let mut out: Vec<AbsentRegular> = roster
        .iter()
        .filter(|d| d.is_active_on(today))
        .filter_map(|d| {
            let &(count, last) = seen.get(&d.id)?;
            let days_absent = (today - last).num_days();
            (count >= rule.min_meals && days_absent >= i64::from(rule.absent_days)).then_some(
                AbsentRegular {
                    diner_id: d.id,
                    meals: count,
                    last_meal: last,
                    days_absent,
                },
            )
        })
        .collect();
    out.sort_by_key(|r| (std::cmp::Reverse(r.days_absent), r.diner_id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn diner(id: i64, inactive: Option<NaiveDate>) -> Diner {
        Diner {
            id: DinerId(id),
            name: format!("d{id}"),
            resident_id: None,
            birth_date: Some(d(1, 1) - chrono::Duration::days(365 * 80)),
            village: None,
            card_no: None,
            inactive_since: inactive,
            active_from: None,
            categories: vec![],
        }
    }

    #[test]
    fn lists_regulars_absent_long_enough() {
        let today = d(3, 31);
        let mut meals = Vec::new();
        // Diner 1: 8 meals, last on the 28th (3 days ago): listed.
        for day in 21..=28 {
            meals.push((DinerId(1), d(3, day)));
        }
        // Diner 2: 8 meals, last on the 29th (2 days ago): not yet.
        for day in 22..=29 {
            meals.push((DinerId(2), d(3, day)));
        }
        // Diner 3: 7 meals in the window, one before it: not a regular.
        for day in 20..=26 {
            meals.push((DinerId(3), d(3, day)));
        }
        meals.push((DinerId(3), d(3, 1)));
        // Diner 4: a regular, but inactive since the 30th.
        for day in 1..=8 {
            meals.push((DinerId(4), d(3, day)));
        }
        let roster = vec![
            diner(1, None),
            diner(2, None),
            diner(3, None),
            diner(4, Some(d(3, 30))),
        ];
        let list = absent_regulars(&meals, &roster, today, WelfareRule::default());
        assert_eq!(
            list,
            vec![AbsentRegular {
                diner_id: DinerId(1),
                meals: 8,
                last_meal: d(3, 28),
                days_absent: 3,
            }]
        );
        // The window is 30 days including today: 2 March is in, 1 March out.
        let early: Vec<_> = (2..=9).map(|day| (DinerId(2), d(3, day))).collect();
        let list = absent_regulars(&early, &roster, today, WelfareRule::default());
        assert_eq!(list.len(), 1);
        let mut shifted = early.clone();
        shifted[0].1 = d(3, 1);
        assert!(absent_regulars(&shifted, &roster, today, WelfareRule::default()).is_empty());
    }
}
