//! Pricing one meal: the price a diner pays, the subsidy, and why.

use serde::{Deserialize, Serialize};

use crate::age::BusinessDate;
use crate::diner::{CategoryCode, Diner};
use crate::ids::SiteId;
use crate::money::Money;
use crate::policy::{AgeBracket, CategoryPrice, PolicyBook, Slot};

/// Who the meal is for.
#[derive(Debug, Clone, Copy)]
pub enum Customer<'a> {
    /// A diner on the roster.
    Diner(&'a Diner),
    /// Someone not on the roster: standard price.
    WalkIn,
}

/// Why the price is what it is.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceReason {
    /// Not on the roster.
    WalkIn,
    /// Priced by the age bracket.
    Bracket {
        /// Bracket name.
        bracket: String,
        /// Completed years on the business date.
        age: u32,
    },
    /// Priced by a special category, which was the lowest price.
    Category {
        /// Category code.
        category: CategoryCode,
        /// Category name.
        name: String,
    },
    /// The diner already had a subsidised meal in this slot today.
    AlreadySubsidised,
    /// Younger than the lowest bracket and holding no category.
    UnderAge {
        /// Completed years, if the birth date is known.
        age: Option<u32>,
    },
    /// The diner is inactive on the business date.
    Inactive,
    /// The business date is before the diner's registration on the roster.
    NotYetRegistered {
        /// The date the diner was registered.
        #[cfg_attr(feature = "utoipa", schema(value_type = String, format = Date))]
        active_from: BusinessDate,
    },
}

impl std::fmt::Display for PriceReason {
    /// The reason in words, in English.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceReason::WalkIn => write!(f, "walk-in: standard price"),
            PriceReason::Bracket { bracket, age } => {
                write!(f, "age {age}, bracket {bracket}")
            }
            PriceReason::Category { name, .. } => write!(f, "category {name}"),
            PriceReason::AlreadySubsidised => write!(
                f,
                "already had a subsidised meal in this slot today: standard price"
            ),
            PriceReason::UnderAge { age: Some(age) } => {
                write!(f, "age {age}, below the lowest bracket: standard price")
            }
            PriceReason::UnderAge { age: None } => {
                write!(f, "no birth date on the roster: standard price")
            }
            PriceReason::Inactive => write!(f, "inactive on the roster: standard price"),
            PriceReason::NotYetRegistered { active_from } => write!(
                f,
                "registered on the roster only from {active_from}: standard price"
            ),
        }
    }
}

impl PriceReason {
    /// The reason in words, in Chinese, for the cashier's screen.
    pub fn text_zh(&self) -> String {
        match self {
            PriceReason::WalkIn => "非登记人员：标准价".into(),
            PriceReason::Bracket { bracket, age } => format!("{age}岁，{bracket}岁档"),
            PriceReason::Category { name, .. } => format!("{name}人员"),
            PriceReason::AlreadySubsidised => "本餐次今日已享受补贴：标准价".into(),
            PriceReason::UnderAge { age: Some(age) } => format!("{age}岁，未到补贴年龄：标准价"),
            PriceReason::UnderAge { age: None } => "名册无出生日期：标准价".into(),
            PriceReason::Inactive => "名册状态为停用：标准价".into(),
            PriceReason::NotYetRegistered { active_from } => {
                format!("{active_from}起才登记入册：标准价")
            }
        }
    }

    /// True when the reason gives a subsidised price.
    pub fn is_subsidised(&self) -> bool {
        matches!(
            self,
            PriceReason::Bracket { .. } | PriceReason::Category { .. }
        )
    }
}

/// The price of one meal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The slot.
    pub slot: Slot,
    /// Standard price of the slot.
    pub standard: Money,
    /// What the diner pays.
    pub paid: Money,
    /// standard − paid, claimed from the funders.
    pub subsidy: Money,
    /// The bracket that set the price, when a bracket did.
    pub bracket: Option<String>,
    /// The category that set the price, when a category did.
    pub category: Option<CategoryCode>,
    /// Why, in words.
    pub reason: PriceReason,
}

/// Why a meal cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// No policy is in force at the site on the date.
    #[error("no price policy is in force at site {site} on {date}")]
    NoPolicy {
        /// The site.
        site: SiteId,
        /// The business date.
        date: BusinessDate,
    },
    /// The policy in force does not serve the slot.
    #[error("{slot} is not served on {date} (the price policy has no price for it)")]
    SlotNotServed {
        /// The slot.
        slot: Slot,
        /// The business date.
        date: BusinessDate,
    },
}

/// What set a price, borrowed from the policy (no copies: the claim prices
/// a million lines with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis<'p> {
    Bracket(&'p AgeBracket, u32),
    Category(&'p CategoryPrice),
    Standard(Standard),
}

/// Why a meal is at the standard price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standard {
    WalkIn,
    Inactive,
    NotYetRegistered(BusinessDate),
    UnderAge(Option<u32>),
    AlreadySubsidised,
}

/// A price with its basis; see [`quote`] for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Priced<'p> {
    pub(crate) standard: Money,
    pub(crate) paid: Money,
    pub(crate) basis: Basis<'p>,
}

impl Priced<'_> {
    pub(crate) fn subsidy(&self) -> Money {
        self.standard - self.paid
    }

    pub(crate) fn bracket(&self) -> Option<&str> {
        match self.basis {
            Basis::Bracket(b, _) => Some(&b.name),
            _ => None,
        }
    }

    pub(crate) fn category(&self) -> Option<&CategoryCode> {
        match self.basis {
            Basis::Category(c) => Some(&c.code),
            _ => None,
        }
    }

    pub(crate) fn reason(&self) -> PriceReason {
        match self.basis {
            Basis::Bracket(b, age) => PriceReason::Bracket {
                bracket: b.name.clone(),
                age,
            },
            Basis::Category(c) => PriceReason::Category {
                category: c.code.clone(),
                name: c.name.clone(),
            },
            Basis::Standard(Standard::WalkIn) => PriceReason::WalkIn,
            Basis::Standard(Standard::Inactive) => PriceReason::Inactive,
            Basis::Standard(Standard::NotYetRegistered(active_from)) => {
                PriceReason::NotYetRegistered { active_from }
            }
            Basis::Standard(Standard::UnderAge(age)) => PriceReason::UnderAge { age },
            Basis::Standard(Standard::AlreadySubsidised) => PriceReason::AlreadySubsidised,
        }
    }
}

/// Prices one meal at `site` on `date` in `slot` with the policy in force
/// that day. The lowest price the diner qualifies for wins (a bracket wins a
/// tie with a category); a diner who already had a subsidised meal in this
/// slot today pays the standard price.
pub fn quote(
    policies: &PolicyBook,
    site: SiteId,
    customer: Customer<'_>,
    date: BusinessDate,
    slot: Slot,
    already_subsidised: bool,
) -> Result<Quote, PricingError> {
    let p = price(policies, site, customer, date, slot, already_subsidised)?;
    Ok(Quote {
        slot,
        standard: p.standard,
        paid: p.paid,
        subsidy: p.subsidy(),
        bracket: p.bracket().map(str::to_string),
        category: p.category().cloned(),
        reason: p.reason(),
    })
}

/// [`quote`] without copying names out of the policy.
pub(crate) fn price<'p>(
    policies: &'p PolicyBook,
    site: SiteId,
    customer: Customer<'_>,
    date: BusinessDate,
    slot: Slot,
    already_subsidised: bool,
) -> Result<Priced<'p>, PricingError> {
    let policy = policies
        .in_force(site, date)
        .ok_or(PricingError::NoPolicy { site, date })?;
    let standard = policy
        .standard_price(slot)
        .ok_or(PricingError::SlotNotServed { slot, date })?;
    let at_standard = |why| Priced {
        standard,
        paid: standard,
        basis: Basis::Standard(why),
    };
    let diner = match customer {
        Customer::WalkIn => return Ok(at_standard(Standard::WalkIn)),
        Customer::Diner(diner) => diner,
    };
    if let Some(from) = diner.active_from.filter(|&from| date < from) {
        return Ok(at_standard(Standard::NotYetRegistered(from)));
    }
    if !diner.is_active_on(date) {
        return Ok(at_standard(Standard::Inactive));
    }
    let age = diner.age_on(date);
    // The first lowest price wins.
    let mut best: Option<Priced<'p>> = None;
    if let Some(age) = age
        && let Some(bracket) = policy.bracket_for(age)
        && let Some(&paid) = bracket.prices.get(&slot)
    {
        best = Some(Priced {
            standard,
            paid,
            basis: Basis::Bracket(bracket, age),
        });
    }
    for code in diner.categories_on(date) {
        let Some(cat) = policy.category(code) else {
            continue;
        };
        let Some(&paid) = cat.prices.get(&slot) else {
            continue;
        };
        if best.is_none_or(|b| paid < b.paid) {
            best = Some(Priced {
                standard,
                paid,
                basis: Basis::Category(cat),
            });
        }
    }
    match best {
        None => Ok(at_standard(Standard::UnderAge(age))),
        Some(_) if already_subsidised => Ok(at_standard(Standard::AlreadySubsidised)),
        Some(priced) => Ok(priced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diner::CategoryGrant;
    use crate::ids::DinerId;
    use crate::policy::PricePolicy;
    use crate::policy::tests::{dazhai_draft, prices};
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn diner(birth: NaiveDate) -> Diner {
        Diner {
            id: DinerId(7),
            name: "李桂兰".into(),
            resident_id: None,
            birth_date: Some(birth),
            village: Some("大寨村".into()),
            card_no: None,
            active_from: None,
            inactive_since: None,
            categories: vec![],
        }
    }

    fn book() -> PolicyBook {
        PolicyBook::new(vec![
            PricePolicy::try_from(dazhai_draft(d(2026, 1, 1))).unwrap(),
        ])
        .unwrap()
    }

    #[track_caller]
    fn check(diner: &Diner, date: NaiveDate, slot: Slot, already: bool, paid: i64, reason: &str) {
        let q = quote(
            &book(),
            SiteId(1),
            Customer::Diner(diner),
            date,
            slot,
            already,
        )
        .unwrap();
        assert_eq!(
            (q.paid.fen(), q.reason.to_string().as_str()),
            (paid, reason)
        );
        assert_eq!(q.paid + q.subsidy, q.standard);
    }

    #[test]
    fn prices_by_bracket() {
        let on = d(2026, 6, 14);
        check(
            &diner(d(1960, 1, 1)),
            on,
            Slot::Lunch,
            false,
            800,
            "age 66, bracket 65-69",
        );
        check(
            &diner(d(1950, 6, 15)),
            on,
            Slot::Lunch,
            false,
            600,
            "age 75, bracket 70-79",
        );
        check(
            &diner(d(1940, 1, 1)),
            on,
            Slot::Dinner,
            false,
            300,
            "age 86, bracket 80-89",
        );
        check(
            &diner(d(1930, 1, 1)),
            on,
            Slot::Breakfast,
            false,
            0,
            "age 96, bracket 90+",
        );
    }

    #[test]
    fn birthday_mid_month_moves_the_diner_into_a_new_bracket() {
        let born = d(1956, 3, 16); // 70 on 16 March 2026
        check(
            &diner(born),
            d(2026, 3, 15),
            Slot::Lunch,
            false,
            800,
            "age 69, bracket 65-69",
        );
        check(
            &diner(born),
            d(2026, 3, 16),
            Slot::Lunch,
            false,
            600,
            "age 70, bracket 70-79",
        );
    }

    #[test]
    fn under_age_inactive_walk_in_and_second_meal_pay_standard() {
        check(
            &diner(d(1962, 1, 1)),
            d(2026, 3, 1),
            Slot::Lunch,
            false,
            1200,
            "age 64, below the lowest bracket: standard price",
        );
        let mut gone = diner(d(1930, 1, 1));
        gone.inactive_since = Some(d(2026, 3, 1));
        check(
            &gone,
            d(2026, 2, 28),
            Slot::Lunch,
            false,
            0,
            "age 96, bracket 90+",
        );
        check(
            &gone,
            d(2026, 3, 1),
            Slot::Lunch,
            false,
            1200,
            "inactive on the roster: standard price",
        );
        check(
            &diner(d(1950, 1, 1)),
            d(2026, 3, 1),
            Slot::Breakfast,
            true,
            500,
            "already had a subsidised meal in this slot today: standard price",
        );
        let q = quote(
            &book(),
            SiteId(1),
            Customer::WalkIn,
            d(2026, 3, 1),
            Slot::Dinner,
            false,
        )
        .unwrap();
        assert_eq!((q.paid, q.subsidy), (Money::from_fen(1000), Money::ZERO));
        assert_eq!(q.reason, PriceReason::WalkIn);
    }

    #[test]
    fn a_meal_before_the_diners_registration_pays_standard() {
        let mut newcomer = diner(d(1930, 1, 1));
        newcomer.active_from = Some(d(2026, 3, 10));
        check(
            &newcomer,
            d(2026, 3, 9),
            Slot::Lunch,
            false,
            1200,
            "registered on the roster only from 2026-03-10: standard price",
        );
        check(
            &newcomer,
            d(2026, 3, 10),
            Slot::Lunch,
            false,
            0,
            "age 96, bracket 90+",
        );
        // Registered, then gone: inactive wins from its date.
        newcomer.inactive_since = Some(d(2026, 3, 20));
        check(
            &newcomer,
            d(2026, 3, 20),
            Slot::Lunch,
            false,
            1200,
            "inactive on the roster: standard price",
        );
        let q = quote(
            &book(),
            SiteId(1),
            Customer::Diner(&newcomer),
            d(2026, 3, 9),
            Slot::Lunch,
            false,
        )
        .unwrap();
        assert_eq!(q.reason.text_zh(), "2026-03-10起才登记入册：标准价");
        assert!(!q.reason.is_subsidised());
    }

    #[test]
    fn every_reason_reads_in_chinese_and_english() {
        let cases = [
            (
                PriceReason::WalkIn,
                "非登记人员：标准价",
                "walk-in: standard price",
                false,
            ),
            (
                PriceReason::Bracket {
                    bracket: "70-79".into(),
                    age: 75,
                },
                "75岁，70-79岁档",
                "age 75, bracket 70-79",
                true,
            ),
            (
                PriceReason::Category {
                    category: CategoryCode("tekun".into()),
                    name: "特困".into(),
                },
                "特困人员",
                "category 特困",
                true,
            ),
            (
                PriceReason::AlreadySubsidised,
                "本餐次今日已享受补贴：标准价",
                "already had a subsidised meal in this slot today: standard price",
                false,
            ),
            (
                PriceReason::UnderAge { age: Some(64) },
                "64岁，未到补贴年龄：标准价",
                "age 64, below the lowest bracket: standard price",
                false,
            ),
            (
                PriceReason::UnderAge { age: None },
                "名册无出生日期：标准价",
                "no birth date on the roster: standard price",
                false,
            ),
            (
                PriceReason::Inactive,
                "名册状态为停用：标准价",
                "inactive on the roster: standard price",
                false,
            ),
            (
                PriceReason::NotYetRegistered {
                    active_from: d(2026, 3, 10),
                },
                "2026-03-10起才登记入册：标准价",
                "registered on the roster only from 2026-03-10: standard price",
                false,
            ),
        ];
        for (reason, zh, en, subsidised) in cases {
            assert_eq!(reason.text_zh(), zh);
            assert_eq!(reason.to_string(), en);
            assert_eq!(reason.is_subsidised(), subsidised, "{en}");
        }
    }

    #[test]
    fn a_diner_with_no_birth_date_and_no_category_pays_standard() {
        let mut unknown = diner(d(1930, 1, 1));
        unknown.birth_date = None;
        check(
            &unknown,
            d(2026, 3, 1),
            Slot::Lunch,
            false,
            1200,
            "no birth date on the roster: standard price",
        );
    }

    #[test]
    fn the_lowest_price_wins() {
        let mut d1 = diner(d(1955, 1, 1)); // 71: bracket lunch 6.00
        d1.categories.push(CategoryGrant {
            category: CategoryCode("tekun".into()),
            from: d(2026, 1, 1),
            until: Some(d(2026, 6, 30)),
        });
        check(&d1, d(2026, 3, 1), Slot::Lunch, false, 200, "category 特困");
        check(
            &d1,
            d(2026, 7, 1),
            Slot::Lunch,
            false,
            600,
            "age 71, bracket 70-79",
        );
        // A 60-year-old with a category gets the category price.
        let mut young = diner(d(1966, 1, 1));
        young.categories = d1.categories.clone();
        check(
            &young,
            d(2026, 3, 1),
            Slot::Dinner,
            false,
            100,
            "category 特困",
        );
        let q = quote(
            &book(),
            SiteId(1),
            Customer::Diner(&young),
            d(2026, 3, 1),
            Slot::Dinner,
            false,
        )
        .unwrap();
        assert_eq!(
            (q.bracket.as_deref(), q.category),
            (None, Some(CategoryCode("tekun".into())))
        );
    }

    #[test]
    fn a_bracket_wins_a_tie_with_a_category() {
        // 90+ and 特困 both pay 0.00 for breakfast: the bracket is named.
        let mut elder = diner(d(1930, 1, 1));
        elder.categories.push(CategoryGrant {
            category: CategoryCode("tekun".into()),
            from: d(2026, 1, 1),
            until: None,
        });
        check(
            &elder,
            d(2026, 3, 1),
            Slot::Breakfast,
            false,
            0,
            "age 96, bracket 90+",
        );
        let q = quote(
            &book(),
            SiteId(1),
            Customer::Diner(&elder),
            d(2026, 3, 1),
            Slot::Breakfast,
            false,
        )
        .unwrap();
        assert_eq!(
            (q.bracket.as_deref(), q.category.as_ref()),
            (Some("90+"), None)
        );
    }

    #[test]
    fn a_policy_change_mid_month_applies_from_its_date() {
        let mut v2 = dazhai_draft(d(2026, 3, 15));
        v2.standard = prices(600, 1300, 1100);
        v2.brackets[1].prices = prices(300, 500, 500);
        let book = PolicyBook::new(vec![
            PricePolicy::try_from(dazhai_draft(d(2026, 1, 1))).unwrap(),
            PricePolicy::try_from(v2).unwrap(),
        ])
        .unwrap();
        let din = diner(d(1950, 1, 1));
        let before = quote(
            &book,
            SiteId(1),
            Customer::Diner(&din),
            d(2026, 3, 14),
            Slot::Lunch,
            false,
        )
        .unwrap();
        let after = quote(
            &book,
            SiteId(1),
            Customer::Diner(&din),
            d(2026, 3, 15),
            Slot::Lunch,
            false,
        )
        .unwrap();
        assert_eq!(
            (
                before.standard.fen(),
                before.paid.fen(),
                before.subsidy.fen()
            ),
            (1200, 600, 600)
        );
        assert_eq!(
            (after.standard.fen(), after.paid.fen(), after.subsidy.fen()),
            (1300, 500, 800)
        );
    }

    #[test]
    fn no_policy_or_unserved_slot_is_an_error() {
        let din = diner(d(1950, 1, 1));
        assert_eq!(
            quote(
                &book(),
                SiteId(1),
                Customer::Diner(&din),
                d(2025, 12, 31),
                Slot::Lunch,
                false
            ),
            Err(PricingError::NoPolicy {
                site: SiteId(1),
                date: d(2025, 12, 31)
            })
        );
        let mut lunch_only = dazhai_draft(d(2026, 1, 1));
        lunch_only.standard.retain(|s, _| *s == Slot::Lunch);
        for b in &mut lunch_only.brackets {
            b.prices.retain(|s, _| *s == Slot::Lunch);
        }
        for c in &mut lunch_only.categories {
            c.prices.retain(|s, _| *s == Slot::Lunch);
        }
        let book = PolicyBook::new(vec![PricePolicy::try_from(lunch_only).unwrap()]).unwrap();
        assert_eq!(
            quote(
                &book,
                SiteId(1),
                Customer::WalkIn,
                d(2026, 2, 1),
                Slot::Dinner,
                false
            ),
            Err(PricingError::SlotNotServed {
                slot: Slot::Dinner,
                date: d(2026, 2, 1)
            })
        );
    }
}
