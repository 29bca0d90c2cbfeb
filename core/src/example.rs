//! An example price policy, as a township might write it: for demos, the
//! backend's `--demo` seed, documentation and tests.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::diner::CategoryCode;
use crate::ids::SiteId;
use crate::money::Money;
use crate::policy::{AgeBracket, CategoryPrice, FundingShare, PricePolicyDraft, Slot};

/// Prices per slot from fen: breakfast, lunch, dinner.
pub fn prices(breakfast: i64, lunch: i64, dinner: i64) -> BTreeMap<Slot, Money> {
    BTreeMap::from([
        (Slot::Breakfast, Money::from_fen(breakfast)),
        (Slot::Lunch, Money::from_fen(lunch)),
        (Slot::Dinner, Money::from_fen(dinner)),
    ])
}

/// An age bracket named `name` covering `min..=max` (open when `max` is
/// `None`).
pub fn bracket(
    name: &str,
    min: u32,
    max: Option<u32>,
    prices: BTreeMap<Slot, Money>,
) -> AgeBracket {
    AgeBracket {
        name: name.into(),
        min_age: min,
        max_age: max,
        prices,
    }
}

/// Dazhai township's policy: standard 5 / 12 / 10 yuan for breakfast, lunch
/// and dinner; brackets 65-69, 70-79, 80-89 and 90+ (free); 特困 (code
/// `tekun`) pays 0 / 2 / 1 yuan; the subsidy is split city 50%, county 30%,
/// township 20%.
pub fn dazhai_policy(site_id: SiteId, effective_from: NaiveDate) -> PricePolicyDraft {
    PricePolicyDraft {
        site_id,
        effective_from,
        standard: prices(500, 1200, 1000),
        brackets: vec![
            bracket("65-69", 65, Some(69), prices(400, 800, 700)),
            bracket("70-79", 70, Some(79), prices(300, 600, 500)),
            bracket("80-89", 80, Some(89), prices(200, 400, 300)),
            bracket("90+", 90, None, prices(0, 0, 0)),
        ],
        categories: vec![CategoryPrice {
            code: CategoryCode("tekun".into()),
            name: "特困".into(),
            prices: prices(0, 200, 100),
        }],
        funding: vec![
            FundingShare {
                funder: "city".into(),
                share: Decimal::new(5, 1),
            },
            FundingShare {
                funder: "county".into(),
                share: Decimal::new(3, 1),
            },
            FundingShare {
                funder: "township".into(),
                share: Decimal::new(2, 1),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PricePolicy;

    #[test]
    fn the_example_policy_is_sound() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(PricePolicy::try_from(dazhai_policy(SiteId(1), from)).is_ok());
    }
}
