//! Price policies: per site, versioned by the date they take effect.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::age::BusinessDate;
use crate::diner::CategoryCode;
use crate::ids::SiteId;
use crate::money::Money;

/// A meal slot of the day.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// 早餐
    Breakfast,
    /// 午餐
    Lunch,
    /// 晚餐
    Dinner,
}

impl Slot {
    /// All slots in the order of the day.
    pub const ALL: [Slot; 3] = [Slot::Breakfast, Slot::Lunch, Slot::Dinner];

    /// The wire name: `breakfast`, `lunch`, `dinner`.
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Breakfast => "breakfast",
            Slot::Lunch => "lunch",
            Slot::Dinner => "dinner",
        }
    }

    /// The Chinese name shown to cashiers and diners.
    pub fn name_zh(self) -> &'static str {
        match self {
            Slot::Breakfast => "早餐",
            Slot::Lunch => "午餐",
            Slot::Dinner => "晚餐",
        }
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Slot {
    type Err = String;
    fn from_str(s: &str) -> Result<Slot, String> {
        match s {
            "breakfast" | "早餐" => Ok(Slot::Breakfast),
            "lunch" | "午餐" => Ok(Slot::Lunch),
            "dinner" | "晚餐" => Ok(Slot::Dinner),
            other => Err(format!(
                "'{other}' is not a meal slot (breakfast, lunch, dinner)"
            )),
        }
    }
}

/// An age bracket and the price its diners pay per slot.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeBracket {
    /// Name shown on receipts and in the claim, e.g. "70-79".
    pub name: String,
    /// Lowest age in the bracket (completed years).
    pub min_age: u32,
    /// Highest age in the bracket; `None` for the open top bracket (90+).
    #[serde(default)]
    pub max_age: Option<u32>,
    /// Price paid per slot.
    #[cfg_attr(feature = "utoipa", schema(value_type = crate::openapi::SlotPrices))]
    pub prices: BTreeMap<Slot, Money>,
}

impl AgeBracket {
    /// True when `age` falls in this bracket.
    pub fn contains(&self, age: u32) -> bool {
        age >= self.min_age && self.max_age.is_none_or(|max| age <= max)
    }
}

/// A special category's price per slot.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryPrice {
    /// Category code, as held by diners.
    pub code: CategoryCode,
    /// Name shown to people, e.g. "特困".
    pub name: String,
    /// Price paid per slot.
    #[cfg_attr(feature = "utoipa", schema(value_type = crate::openapi::SlotPrices))]
    pub prices: BTreeMap<Slot, Money>,
}

/// Which funder pays what share of each subsidy yuan.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingShare {
    /// The funder, e.g. "city", "county", "township".
    pub funder: String,
    /// Share of each subsidy yuan, between 0 and 1; all shares add up to 1.
    pub share: Decimal,
}

/// A price policy as written, before it is checked; see [`PricePolicy`].
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePolicyDraft {
    /// The site it applies to.
    pub site_id: SiteId,
    /// First business date on which it is in force.
    pub effective_from: NaiveDate,
    /// Slots served and their standard prices.
    #[cfg_attr(feature = "utoipa", schema(value_type = crate::openapi::SlotPrices))]
    pub standard: BTreeMap<Slot, Money>,
    /// Age brackets, contiguous, lowest first.
    #[serde(default)]
    pub brackets: Vec<AgeBracket>,
    /// Special categories and their prices.
    #[serde(default)]
    pub categories: Vec<CategoryPrice>,
    /// Optional funding split of the subsidy; empty when not split.
    #[serde(default)]
    pub funding: Vec<FundingShare>,
}

/// A checked price policy: every price is between zero and the standard
/// price, brackets neither overlap nor leave gaps, funding shares add up to
/// the whole. Deserialising checks it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PricePolicyDraft", into = "PricePolicyDraft")]
pub struct PricePolicy(PricePolicyDraft);

/// Why a price policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No slot has a standard price.
    #[error("the policy serves no meal slot: give at least one standard price")]
    NoSlots,
    /// A price below zero.
    #[error("{what}: the {slot} price {price} is negative")]
    NegativePrice {
        /// Bracket, category or "standard".
        what: String,
        /// Slot of the price.
        slot: Slot,
        /// The price.
        price: Money,
    },
    /// A paid price above the standard price.
    #[error("{what}: the {slot} price {price} is above the standard price {standard}")]
    AboveStandard {
        /// Bracket or category.
        what: String,
        /// Slot of the price.
        slot: Slot,
        /// The price.
        price: Money,
        /// The standard price of the slot.
        standard: Money,
    },
    /// A bracket or category has no price for a served slot.
    #[error("{what} has no {slot} price")]
    MissingPrice {
        /// Bracket or category.
        what: String,
        /// The slot without a price.
        slot: Slot,
    },
    /// A bracket or category prices a slot the policy does not serve.
    #[error("{what} prices {slot}, which has no standard price")]
    UnservedSlot {
        /// Bracket or category.
        what: String,
        /// The slot.
        slot: Slot,
    },
    /// A bracket whose top is below its bottom.
    #[error("bracket {0}: the highest age is below the lowest")]
    EmptyBracket(String),
    /// Two brackets share ages.
    #[error("brackets {0} and {1} overlap")]
    BracketsOverlap(String, String),
    /// Ages between two brackets belong to none.
    #[error("no bracket covers ages between {0} and {1}")]
    BracketGap(String, String),
    /// An open-ended bracket that is not the highest.
    #[error("bracket {0} has no upper age but is not the highest bracket")]
    OpenBracketNotLast(String),
    /// A category listed twice.
    #[error("category {0} is listed twice")]
    DuplicateCategory(String),
    /// A funder listed twice.
    #[error("funder {0} is listed twice")]
    DuplicateFunder(String),
    /// A share outside 0..=1.
    #[error("funder {0}: a share must be between 0 and 1")]
    ShareOutOfRange(String),
    /// The shares do not add up to the whole.
    #[error("funding shares add up to {0}, they must add up to 1")]
    SharesDoNotAddUp(Decimal),
    /// Two versions for the same site and date.
    #[error("site {0} has two policies taking effect on {1}")]
    DuplicateVersion(SiteId, NaiveDate),
}

impl TryFrom<PricePolicyDraft> for PricePolicy {
    type Error = PolicyError;

    fn try_from(draft: PricePolicyDraft) -> Result<PricePolicy, PolicyError> {
        if draft.standard.is_empty() {
            return Err(PolicyError::NoSlots);
        }
        for (&slot, &price) in &draft.standard {
            if price.is_negative() {
                return Err(PolicyError::NegativePrice {
                    what: "standard".into(),
                    slot,
                    price,
                });
            }
        }
        let priced = draft
            .brackets
            .iter()
            .map(|b| (format!("bracket {}", b.name), &b.prices))
            .chain(
                draft
                    .categories
                    .iter()
                    .map(|c| (format!("category {}", c.name), &c.prices)),
            );
        for (what, prices) in priced {
            check_prices(&what, prices, &draft.standard)?;
        }
        check_brackets(&draft.brackets)?;
        let mut codes = std::collections::BTreeSet::new();
        for c in &draft.categories {
            if !codes.insert(&c.code) {
                return Err(PolicyError::DuplicateCategory(c.code.0.clone()));
            }
        }
        check_funding(&draft.funding)?;
        Ok(PricePolicy(draft))
    }
}

fn check_prices(
    what: &str,
    prices: &BTreeMap<Slot, Money>,
    standard: &BTreeMap<Slot, Money>,
) -> Result<(), PolicyError> {
    for (&slot, &price) in prices {
        let Some(&std_price) = standard.get(&slot) else {
            return Err(PolicyError::UnservedSlot {
                what: what.into(),
                slot,
            });
        };
        if price.is_negative() {
            return Err(PolicyError::NegativePrice {
                what: what.into(),
                slot,
                price,
            });
        }
        if price > std_price {
            return Err(PolicyError::AboveStandard {
                what: what.into(),
                slot,
                price,
                standard: std_price,
            });
        }
    }
    if let Some(&slot) = standard.keys().find(|s| !prices.contains_key(s)) {
        return Err(PolicyError::MissingPrice {
            what: what.into(),
            slot,
        });
    }
    Ok(())
}

fn check_brackets(brackets: &[AgeBracket]) -> Result<(), PolicyError> {
    let mut sorted: Vec<&AgeBracket> = brackets.iter().collect();
    sorted.sort_by_key(|b| b.min_age);
    for b in &sorted {
        if b.max_age.is_some_and(|max| max < b.min_age) {
            return Err(PolicyError::EmptyBracket(b.name.clone()));
        }
    }
    for pair in sorted.windows(2) {
        let (lo, hi) = (pair[0], pair[1]);
        let Some(lo_max) = lo.max_age else {
            return Err(PolicyError::OpenBracketNotLast(lo.name.clone()));
        };
        if hi.min_age <= lo_max {
            return Err(PolicyError::BracketsOverlap(
                lo.name.clone(),
                hi.name.clone(),
            ));
        }
        if hi.min_age > lo_max + 1 {
            return Err(PolicyError::BracketGap(lo.name.clone(), hi.name.clone()));
        }
    }
    Ok(())
}

fn check_funding(funding: &[FundingShare]) -> Result<(), PolicyError> {
    if funding.is_empty() {
        return Ok(());
    }
    let mut names = std::collections::BTreeSet::new();
    for f in funding {
        if !names.insert(&f.funder) {
            return Err(PolicyError::DuplicateFunder(f.funder.clone()));
        }
        if f.share < Decimal::ZERO || f.share > Decimal::ONE {
            return Err(PolicyError::ShareOutOfRange(f.funder.clone()));
        }
    }
    let sum: Decimal = funding.iter().map(|f| f.share).sum();
    if sum != Decimal::ONE {
        return Err(PolicyError::SharesDoNotAddUp(sum.normalize()));
    }
    Ok(())
}

impl From<PricePolicy> for PricePolicyDraft {
    fn from(p: PricePolicy) -> PricePolicyDraft {
        p.0
    }
}

impl PricePolicy {
    /// The site it applies to.
    pub fn site_id(&self) -> SiteId {
        self.0.site_id
    }
    /// First business date on which it is in force.
    pub fn effective_from(&self) -> NaiveDate {
        self.0.effective_from
    }
    /// Standard price of a slot, or `None` when the slot is not served.
    pub fn standard_price(&self, slot: Slot) -> Option<Money> {
        self.0.standard.get(&slot).copied()
    }
    /// Slots served, with standard prices.
    pub fn standard(&self) -> &BTreeMap<Slot, Money> {
        &self.0.standard
    }
    /// The age brackets, as given.
    pub fn brackets(&self) -> &[AgeBracket] {
        &self.0.brackets
    }
    /// The bracket an age falls in, if any.
    pub fn bracket_for(&self, age: u32) -> Option<&AgeBracket> {
        self.0.brackets.iter().find(|b| b.contains(age))
    }
    /// The youngest age that any bracket covers.
    pub fn lowest_bracket_age(&self) -> Option<u32> {
        self.0.brackets.iter().map(|b| b.min_age).min()
    }
    /// The categories and their prices.
    pub fn categories(&self) -> &[CategoryPrice] {
        &self.0.categories
    }
    /// A category's prices, by code.
    pub fn category(&self, code: &CategoryCode) -> Option<&CategoryPrice> {
        self.0.categories.iter().find(|c| &c.code == code)
    }
    /// The funding split; empty when not split.
    pub fn funding(&self) -> &[FundingShare] {
        &self.0.funding
    }
    /// The policy as written.
    pub fn as_draft(&self) -> &PricePolicyDraft {
        &self.0
    }
}

/// Every version of every site's price policy, to find the one in force on
/// a business date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyBook {
    // Sorted by (site, effective_from).
    versions: Vec<PricePolicy>,
}

impl PolicyBook {
    /// A book of versions; two versions for the same site and date are refused.
    pub fn new(mut versions: Vec<PricePolicy>) -> Result<PolicyBook, PolicyError> {
        versions.sort_by_key(|p| (p.site_id(), p.effective_from()));
        for pair in versions.windows(2) {
            if (pair[0].site_id(), pair[0].effective_from())
                == (pair[1].site_id(), pair[1].effective_from())
            {
                return Err(PolicyError::DuplicateVersion(
                    pair[0].site_id(),
                    pair[0].effective_from(),
                ));
            }
        }
        Ok(PolicyBook { versions })
    }

    /// The policy in force at `site` on `date`: the latest version that took
    /// effect on or before that date.
    pub fn in_force(&self, site: SiteId, date: BusinessDate) -> Option<&PricePolicy> {
        let end = self
            .versions
            .partition_point(|p| (p.site_id(), p.effective_from()) <= (site, date));
        let candidate = self.versions[..end].last()?;
        (candidate.site_id() == site).then_some(candidate)
    }

    /// All versions, ordered by site and date.
    pub fn versions(&self) -> &[PricePolicy] {
        &self.versions
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) use crate::example::prices;

    pub(crate) fn dazhai_draft(from: NaiveDate) -> PricePolicyDraft {
        crate::example::dazhai_policy(SiteId(1), from)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[track_caller]
    fn check(edit: impl FnOnce(&mut PricePolicyDraft), expected: Result<(), PolicyError>) {
        let mut draft = dazhai_draft(d(2026, 1, 1));
        edit(&mut draft);
        assert_eq!(PricePolicy::try_from(draft).map(|_| ()), expected);
    }

    #[test]
    fn a_sound_policy_loads() {
        check(|_| {}, Ok(()));
        check(|p| p.funding.clear(), Ok(()));
        check(|p| p.brackets.reverse(), Ok(()));
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        check(|p| p.standard.clear(), Err(PolicyError::NoSlots));
        check(
            |p| p.brackets[1].max_age = Some(80),
            Err(PolicyError::BracketsOverlap("70-79".into(), "80-89".into())),
        );
        check(
            |p| p.brackets[1].max_age = Some(78),
            Err(PolicyError::BracketGap("70-79".into(), "80-89".into())),
        );
        check(
            |p| p.brackets[1].max_age = None,
            Err(PolicyError::OpenBracketNotLast("70-79".into())),
        );
        check(
            |p| p.brackets[0].max_age = Some(60),
            Err(PolicyError::EmptyBracket("65-69".into())),
        );
        check(
            |p| {
                p.brackets[0]
                    .prices
                    .insert(Slot::Lunch, Money::from_fen(-1));
            },
            Err(PolicyError::NegativePrice {
                what: "bracket 65-69".into(),
                slot: Slot::Lunch,
                price: Money::from_fen(-1),
            }),
        );
        check(
            |p| {
                p.categories[0]
                    .prices
                    .insert(Slot::Lunch, Money::from_fen(1300));
            },
            Err(PolicyError::AboveStandard {
                what: "category 特困".into(),
                slot: Slot::Lunch,
                price: Money::from_fen(1300),
                standard: Money::from_fen(1200),
            }),
        );
        check(
            |p| {
                p.brackets[2].prices.remove(&Slot::Dinner);
            },
            Err(PolicyError::MissingPrice {
                what: "bracket 80-89".into(),
                slot: Slot::Dinner,
            }),
        );
        check(
            |p| {
                p.standard.remove(&Slot::Dinner);
            },
            Err(PolicyError::UnservedSlot {
                what: "bracket 65-69".into(),
                slot: Slot::Dinner,
            }),
        );
        check(
            |p| p.funding[2].share = Decimal::new(1, 1),
            Err(PolicyError::SharesDoNotAddUp(Decimal::new(9, 1))),
        );
        check(
            |p| p.funding[2].funder = "city".into(),
            Err(PolicyError::DuplicateFunder("city".into())),
        );
        check(
            |p| {
                let c = p.categories[0].clone();
                p.categories.push(c);
            },
            Err(PolicyError::DuplicateCategory("tekun".into())),
        );
    }

    #[test]
    fn deserialising_checks_the_policy() {
        let mut draft = dazhai_draft(d(2026, 1, 1));
        let good = serde_json::to_string(&draft).unwrap();
        assert!(serde_json::from_str::<PricePolicy>(&good).is_ok());
        draft.brackets[1].max_age = Some(80);
        let bad = serde_json::to_string(&draft).unwrap();
        let err = serde_json::from_str::<PricePolicy>(&bad).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    #[test]
    fn the_version_in_force_is_the_latest_that_took_effect() {
        let v1 = PricePolicy::try_from(dazhai_draft(d(2026, 1, 1))).unwrap();
        let v2 = PricePolicy::try_from(dazhai_draft(d(2026, 3, 15))).unwrap();
        let mut other = dazhai_draft(d(2025, 1, 1));
        other.site_id = SiteId(2);
        let other = PricePolicy::try_from(other).unwrap();
        let book = PolicyBook::new(vec![v2.clone(), other.clone(), v1.clone()]).unwrap();
        assert_eq!(book.in_force(SiteId(1), d(2025, 12, 31)), None);
        assert_eq!(book.in_force(SiteId(1), d(2026, 1, 1)), Some(&v1));
        assert_eq!(book.in_force(SiteId(1), d(2026, 3, 14)), Some(&v1));
        assert_eq!(book.in_force(SiteId(1), d(2026, 3, 15)), Some(&v2));
        assert_eq!(book.in_force(SiteId(2), d(2030, 1, 1)), Some(&other));
        assert_eq!(book.in_force(SiteId(3), d(2030, 1, 1)), None);
        assert_eq!(
            PolicyBook::new(vec![v1.clone(), v1]),
            Err(PolicyError::DuplicateVersion(SiteId(1), d(2026, 1, 1)))
        );
    }
}
