//! The pure domain of Happiness Canteen: money, ages, resident ID numbers,
//! price policies, pricing, the sale model (the terminal–backend wire
//! format), the shift close and the monthly subsidy claim.
//!
//! It must never do I/O: no clock, no files, no network, no database, no
//! async. Callers pass dates and times in. The terminal and the backend both
//! price with it, so they can never disagree about a rule.

#![warn(missing_docs)]

pub mod age;
pub mod claim;
pub mod diner;
pub mod example;
pub mod first_meal;
pub mod id_hash;
pub mod ids;
pub mod initials;
pub mod money;
pub mod month;
#[cfg(feature = "utoipa")]
pub mod openapi;
pub mod policy;
pub mod pricing;
pub mod resident_id;
pub mod review;
pub mod sale;
pub mod shift;
pub mod text;
pub mod welfare;

pub use age::{BusinessDate, age_on};
pub use claim::{Claim, ClaimInput, MonthClose, Received, reconcile};
pub use diner::{CategoryCode, CategoryGrant, Diner};
pub use first_meal::{MealOrder, first_sold, is_first_sold};
pub use id_hash::id_hash;
pub use ids::{
    DinerId, FreeMealId, SaleId, ShiftId, SiteId, TerminalId, TownshipId, UserId, VoidId,
};
pub use money::{Money, MoneyError};
pub use month::YearMonth;
pub use policy::{PolicyBook, PolicyError, PricePolicy, PricePolicyDraft, Slot};
pub use pricing::{Customer, PriceReason, PricingError, Quote, quote};
pub use resident_id::{ResidentId, ResidentIdError};
pub use review::{ClaimTotals, Decision, ReviewedClaim, ReviewedFlag, Verdict, review};
pub use sale::{FreeMealDay, FreeMealError, Payment, Sale, SaleError, SaleLine, Void, VoidError};
pub use shift::{LateSale, LateVoid, ShiftCheck, ShiftTally, SubsidisedMeals, SubsidyBasis};
pub use text::{ControlCharacter, control_character};
pub use welfare::{AbsentRegular, WelfareRule, absent_regulars};
