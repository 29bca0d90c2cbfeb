//! Diners on the township roster and the special categories they hold.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::age::{BusinessDate, age_on};
use crate::ids::DinerId;
use crate::resident_id::ResidentId;

/// A special category such as 特困 (extreme hardship), 低保 (minimum-living
/// allowance) or disability; its prices come from the price policy.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryCode(pub String);

impl std::fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A category held by a diner from one date to another (both inclusive).
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryGrant {
    /// Which category.
    pub category: CategoryCode,
    /// First day it holds.
    pub from: NaiveDate,
    /// Last day it holds; `None` while it has no end.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl CategoryGrant {
    /// True when the grant holds on `date`.
    pub fn holds_on(&self, date: BusinessDate) -> bool {
        self.from <= date && self.until.is_none_or(|u| date <= u)
    }
}

/// A person on the roster.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diner {
    /// Roster id.
    pub id: DinerId,
    /// Name as written in the village ledger.
    pub name: String,
    /// Resident ID number, when known; the birth date then comes from it.
    #[serde(default)]
    pub resident_id: Option<ResidentId>,
    /// Birth date for diners registered without an ID number; ignored when
    /// `resident_id` is given.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Village or neighbourhood, from the ledger.
    #[serde(default)]
    pub village: Option<String>,
    /// Meal-card number printed on the diner's card, if one was issued.
    #[serde(default)]
    pub card_no: Option<String>,
    /// The date the diner was registered on the roster (from the roster
    /// import; the backend sets the import date when the ledger gives
    /// none): meals before it are not subsidised. `None` for a record kept
    /// from before registration dates were recorded: then no limit.
    #[serde(default)]
    pub active_from: Option<NaiveDate>,
    /// From this date on the diner is inactive (moved, passed away, left the
    /// programme); `None` while active.
    #[serde(default)]
    pub inactive_since: Option<NaiveDate>,
    /// Special categories with their periods.
    #[serde(default)]
    pub categories: Vec<CategoryGrant>,
}

impl Diner {
    /// The birth date: from the ID number when one is given.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.resident_id
            .as_ref()
            .map(ResidentId::birth_date)
            .or(self.birth_date)
    }

    /// Completed years on `date`, if the birth date is known.
    pub fn age_on(&self, date: BusinessDate) -> Option<u32> {
        age_on(self.birth_date()?, date)
    }

    /// True when the diner was registered by `date`
    /// ([`Diner::active_from`] on or before it).
    pub fn is_registered_on(&self, date: BusinessDate) -> bool {
        self.active_from.is_none_or(|from| from <= date)
    }

    /// True when the diner is active on `date`: registered by then and not
    /// yet inactive.
    pub fn is_active_on(&self, date: BusinessDate) -> bool {
        self.is_registered_on(date) && self.inactive_since.is_none_or(|since| date < since)
    }

    /// The categories the diner holds on `date`.
    pub fn categories_on(&self, date: BusinessDate) -> impl Iterator<Item = &CategoryCode> {
        self.categories
            .iter()
            .filter(move |g| g.holds_on(date))
            .map(|g| &g.category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn birth_date_comes_from_the_id_number() {
        let diner = Diner {
            id: DinerId(1),
            name: "王秀英".into(),
            resident_id: Some(ResidentId::parse("11010519491231002X").unwrap()),
            birth_date: Some(d(1990, 1, 1)),
            village: None,
            card_no: None,
            active_from: Some(d(2025, 12, 1)),
            inactive_since: Some(d(2026, 3, 1)),
            categories: vec![CategoryGrant {
                category: CategoryCode("dibao".into()),
                from: d(2026, 1, 1),
                until: Some(d(2026, 1, 31)),
            }],
        };
        assert_eq!(diner.birth_date(), Some(d(1949, 12, 31)));
        assert_eq!(diner.age_on(d(2026, 1, 15)), Some(76));
        assert!(!diner.is_active_on(d(2025, 11, 30)), "not yet registered");
        assert!(!diner.is_registered_on(d(2025, 11, 30)));
        assert!(diner.is_active_on(d(2025, 12, 1)), "registered that day");
        assert!(diner.is_registered_on(d(2025, 12, 1)));
        assert!(diner.is_active_on(d(2026, 2, 28)));
        assert!(diner.is_registered_on(d(2026, 3, 1)));
        assert!(!diner.is_active_on(d(2026, 3, 1)));
        assert_eq!(diner.categories_on(d(2026, 1, 31)).count(), 1);
        assert_eq!(diner.categories_on(d(2026, 2, 1)).count(), 0);
        assert_eq!(diner.categories_on(d(2025, 12, 31)).count(), 0);
    }

    #[test]
    fn a_diner_with_no_registration_date_is_registered_on_any_date() {
        let diner: Diner = serde_json::from_str(r#"{"id": 1, "name": "李桂兰"}"#).unwrap();
        assert_eq!(diner.active_from, None);
        assert!(diner.is_registered_on(d(1900, 1, 1)));
        assert!(diner.is_active_on(d(2026, 3, 1)));
    }
}
