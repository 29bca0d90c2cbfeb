//! Sales, voids and free-meal days: the wire format between terminal and
//! backend. JSON names are stable; changing one is a protocol change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::age::BusinessDate;
use crate::diner::CategoryCode;
use crate::ids::{DinerId, FreeMealId, SaleId, SiteId, TerminalId, UserId, VoidId};
use crate::money::Money;
use crate::policy::Slot;

/// One line of a sale.
///
/// JSON: an object with `"kind"` = `"diner_meal"`, `"walk_in_meal"` or
/// `"extra"` and the fields below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SaleLine {
    /// A meal for a diner on the roster, as priced by the terminal.
    DinerMeal {
        /// The diner.
        diner_id: DinerId,
        /// Standard price of the slot.
        standard: Money,
        /// What the diner paid.
        paid: Money,
        /// standard − paid.
        subsidy: Money,
        /// The bracket that set the price, if any.
        #[serde(default)]
        bracket: Option<String>,
        /// The category that set the price, if any.
        #[serde(default)]
        category: Option<CategoryCode>,
    },
    /// A meal for someone not on the roster, at the standard price.
    WalkInMeal {
        /// Price paid, the standard price.
        price: Money,
    },
    /// Anything else sold: an egg, a drink.
    Extra {
        /// What was sold.
        name: String,
        /// Price of one.
        unit_price: Money,
        /// How many.
        quantity: u32,
    },
}

impl SaleLine {
    /// What this line costs the customer, or `None` on overflow.
    pub fn amount(&self) -> Option<Money> {
        match self {
            SaleLine::DinerMeal { paid, .. } => Some(*paid),
            SaleLine::WalkInMeal { price } => Some(*price),
            SaleLine::Extra {
                unit_price,
                quantity,
                ..
            } => unit_price.checked_mul(*quantity),
        }
    }
}

/// How the sale was paid.
///
/// JSON: `{"method": "cash", "tendered": "20.00", "change": "8.00"}` or
/// `{"method": "qr", "reference": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Payment {
    /// Cash handed over, and the change given back.
    Cash {
        /// Cash received.
        tendered: Money,
        /// Change given.
        change: Money,
    },
    /// A QR-code payment (WeChat Pay, Alipay, bank).
    Qr {
        /// The payment's reference, when the terminal has one.
        #[serde(default)]
        reference: Option<String>,
    },
}

/// A sale made at a terminal. Append-only: a mistake is reversed by a
/// [`Void`], never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// Id made on the terminal (UUID).
    pub id: SaleId,
    /// Where.
    pub site_id: SiteId,
    /// Which terminal.
    pub terminal_id: TerminalId,
    /// Which cashier.
    pub cashier_id: UserId,
    /// When, by the terminal's clock.
    pub sold_at: DateTime<Utc>,
    /// The local date the meal belongs to.
    pub business_date: BusinessDate,
    /// The meal slot.
    pub slot: Slot,
    /// What was sold.
    pub lines: Vec<SaleLine>,
    /// How it was paid.
    pub payment: Payment,
}

/// Why a sale does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    /// No lines.
    #[error("a sale needs at least one line")]
    NoLines,
    /// A negative amount on a line.
    #[error("line {line}: amounts cannot be negative")]
    NegativeAmount {
        /// 1-based line number.
        line: usize,
    },
    /// paid + subsidy ≠ standard.
    #[error(
        "line {line}: paid {paid} + subsidy {subsidy} does not equal the standard price {standard}"
    )]
    DoesNotAddUp {
        /// 1-based line number.
        line: usize,
        /// Standard price.
        standard: Money,
        /// Paid.
        paid: Money,
        /// Subsidy.
        subsidy: Money,
    },
    /// An extra with quantity zero or no name.
    #[error("line {line}: an extra item needs a name and a quantity of at least 1")]
    BadExtra {
        /// 1-based line number.
        line: usize,
    },
    /// Cash tendered is less than the total.
    #[error("cash tendered {tendered} is less than the total {total}")]
    NotEnoughCash {
        /// Cash received.
        tendered: Money,
        /// Total to pay.
        total: Money,
    },
    /// Change ≠ tendered − total.
    #[error("change should be {expected}, not {given}")]
    WrongChange {
        /// tendered − total.
        expected: Money,
        /// Change recorded.
        given: Money,
    },
    /// Amounts beyond any real sale.
    #[error("amounts are too large")]
    Overflow,
}

impl Sale {
    /// Total the customer pays.
    pub fn total_paid(&self) -> Option<Money> {
        self.lines
            .iter()
            .try_fold(Money::ZERO, |sum, l| sum.checked_add(l.amount()?))
    }

    /// Total subsidy of the diner meals as the terminal priced them.
    pub fn subsidy_total(&self) -> Money {
        self.lines
            .iter()
            .map(|l| match l {
                SaleLine::DinerMeal { subsidy, .. } => *subsidy,
                _ => Money::ZERO,
            })
            .sum()
    }

    /// Cash this sale put in the drawer (tendered − change; zero for QR).
    pub fn cash_taken(&self) -> Money {
        match self.payment {
            Payment::Cash { tendered, change } => tendered - change,
            Payment::Qr { .. } => Money::ZERO,
        }
    }

    /// Checks that the sale holds together: lines present, amounts not
    /// negative, paid + subsidy = standard on every meal, cash and change
    /// consistent with the total.
    pub fn validate(&self) -> Result<(), SaleError> {
        if self.lines.is_empty() {
            return Err(SaleError::NoLines);
        }
        for (i, line) in self.lines.iter().enumerate() {
            let n = i + 1;
            match line {
                SaleLine::DinerMeal {
                    standard,
                    paid,
                    subsidy,
                    ..
                } => {
                    if standard.is_negative() || paid.is_negative() || subsidy.is_negative() {
                        return Err(SaleError::NegativeAmount { line: n });
                    }
                    if paid.checked_add(*subsidy) != Some(*standard) {
                        return Err(SaleError::DoesNotAddUp {
                            line: n,
                            standard: *standard,
                            paid: *paid,
                            subsidy: *subsidy,
                        });
                    }
                }
                SaleLine::WalkInMeal { price } => {
                    if price.is_negative() {
                        return Err(SaleError::NegativeAmount { line: n });
                    }
                }
                SaleLine::Extra {
                    name,
                    unit_price,
                    quantity,
                } => {
                    if unit_price.is_negative() {
                        return Err(SaleError::NegativeAmount { line: n });
                    }
                    if *quantity == 0 || name.trim().is_empty() {
                        return Err(SaleError::BadExtra { line: n });
                    }
                }
            }
        }
        let total = self.total_paid().ok_or(SaleError::Overflow)?;
        if let Payment::Cash { tendered, change } = self.payment {
            if tendered.is_negative() || change.is_negative() {
                return Err(SaleError::NegativeAmount { line: 0 });
            }
            if tendered < total {
                return Err(SaleError::NotEnoughCash { tendered, total });
            }
            let expected = tendered.checked_sub(total).ok_or(SaleError::Overflow)?;
            if change != expected {
                return Err(SaleError::WrongChange {
                    expected,
                    given: change,
                });
            }
        }
        Ok(())
    }
}

/// Reverses one sale. A new record: the sale itself is never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    /// Id made on the terminal (UUID).
    pub id: VoidId,
    /// The sale it reverses.
    pub sale_id: SaleId,
    /// Where.
    pub site_id: SiteId,
    /// Which terminal.
    pub terminal_id: TerminalId,
    /// Who voided it.
    pub voided_by: UserId,
    /// When, by the terminal's clock.
    pub voided_at: DateTime<Utc>,
    /// Why, in the cashier's words.
    pub reason: String,
}

/// Why a void cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoidError {
    /// The reason is empty or only spaces.
    #[error("a void needs a reason: write why the sale is being voided")]
    NoReason,
    /// The reason is longer than [`Void::MAX_REASON_CHARS`].
    #[error("the reason is {length} characters long; keep it to at most {max} characters")]
    ReasonTooLong {
        /// Characters in the reason, leading and trailing spaces left out.
        length: usize,
        /// The most allowed, [`Void::MAX_REASON_CHARS`].
        max: usize,
    },
}

impl Void {
    /// The longest reason allowed, in characters (a Chinese character
    /// counts as one).
    pub const MAX_REASON_CHARS: usize = 200;

    /// Checks that the void can be recorded: its reason, leading and
    /// trailing spaces left out, is not blank and has at most
    /// [`Void::MAX_REASON_CHARS`] characters.
    pub fn validate(&self) -> Result<(), VoidError> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(VoidError::NoReason);
        }
        let length = reason.chars().count();
        if length > Void::MAX_REASON_CHARS {
            return Err(VoidError::ReasonTooLong {
                length,
                max: Void::MAX_REASON_CHARS,
            });
        }
        Ok(())
    }
}

/// A purchase for a free-meal day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// What was bought.
    pub item: String,
    /// How much, in the buyer's words ("5 斤").
    #[serde(default)]
    pub quantity: Option<String>,
    /// What it cost.
    pub cost: Money,
    /// Who paid for it.
    pub paid_by: String,
}

/// Something donated for a free-meal day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Donation {
    /// What was given.
    pub item: String,
    /// How much, in the giver's words ("3 斤").
    pub quantity: String,
    /// Who gave it, if they wish to be named.
    #[serde(default)]
    pub donor: Option<String>,
}

/// A free meal served by volunteers at a Happiness Commune. Not a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeMealDay {
    /// Id made where it was recorded.
    pub id: FreeMealId,
    /// Which site.
    pub site_id: SiteId,
    /// The date served.
    pub date: BusinessDate,
    /// The meal slot.
    pub slot: Slot,
    /// Diners from the roster who ate.
    #[serde(default)]
    pub diners: Vec<DinerId>,
    /// How many ate in all, when counted by head (at least `diners.len()`).
    #[serde(default)]
    pub headcount: Option<u32>,
    /// Volunteers on duty (cooks, helpers).
    #[serde(default)]
    pub volunteers: Vec<String>,
    /// What was bought.
    #[serde(default)]
    pub purchases: Vec<Purchase>,
    /// What was donated.
    #[serde(default)]
    pub donations: Vec<Donation>,
}

/// Why a free-meal day does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreeMealError {
    /// Neither diners nor a headcount.
    #[error("say who ate, or how many")]
    NobodyAte,
    /// Headcount below the diners named.
    #[error("the headcount {headcount} is less than the {named} diners named")]
    HeadcountTooLow {
        /// Headcount given.
        headcount: u32,
        /// Diners named.
        named: usize,
    },
    /// A diner named twice.
    #[error("diner {0} is listed twice")]
    DinerTwice(DinerId),
    /// A purchase with a negative cost or no item.
    #[error("purchase {0}: needs an item and a cost of zero or more")]
    BadPurchase(usize),
}

impl FreeMealDay {
    /// How many ate: the headcount when given, else the diners named.
    pub fn eaten(&self) -> u32 {
        self.headcount
            .unwrap_or(u32::try_from(self.diners.len()).unwrap_or(u32::MAX))
    }

    /// Total spent on purchases.
    pub fn purchases_total(&self) -> Money {
        self.purchases.iter().map(|p| p.cost).sum()
    }

    /// Checks that the record holds together.
    pub fn validate(&self) -> Result<(), FreeMealError> {
        if self.diners.is_empty() && self.headcount.is_none_or(|h| h == 0) {
            return Err(FreeMealError::NobodyAte);
        }
        if let Some(h) = self.headcount
            && (h as usize) < self.diners.len()
        {
            return Err(FreeMealError::HeadcountTooLow {
                headcount: h,
                named: self.diners.len(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.diners {
            if !seen.insert(d) {
                return Err(FreeMealError::DinerTwice(*d));
            }
        }
        for (i, p) in self.purchases.iter().enumerate() {
            if p.cost.is_negative() || p.item.trim().is_empty() {
                return Err(FreeMealError::BadPurchase(i + 1));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use uuid::Uuid;

    pub(crate) fn sample_sale() -> Sale {
        Sale {
            id: SaleId(Uuid::from_u128(1)),
            site_id: SiteId(1),
            terminal_id: TerminalId(2),
            cashier_id: UserId(3),
            sold_at: Utc.with_ymd_and_hms(2026, 3, 2, 4, 5, 6).unwrap(),
            business_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            slot: Slot::Lunch,
            lines: vec![
                SaleLine::DinerMeal {
                    diner_id: DinerId(7),
                    standard: Money::from_fen(1200),
                    paid: Money::from_fen(600),
                    subsidy: Money::from_fen(600),
                    bracket: Some("70-79".into()),
                    category: None,
                },
                SaleLine::WalkInMeal {
                    price: Money::from_fen(1200),
                },
                SaleLine::Extra {
                    name: "鸡蛋".into(),
                    unit_price: Money::from_fen(150),
                    quantity: 2,
                },
            ],
            payment: Payment::Cash {
                tendered: Money::from_fen(2500),
                change: Money::from_fen(400),
            },
        }
    }

    #[test]
    fn the_wire_format_is_stable() {
        let json = serde_json::to_value(sample_sale()).unwrap();
        let expected = serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001",
            "site_id": 1, "terminal_id": 2, "cashier_id": 3,
            "sold_at": "2026-03-02T04:05:06Z",
            "business_date": "2026-03-02",
            "slot": "lunch",
            "lines": [
                {"kind": "diner_meal", "diner_id": 7, "standard": "12.00", "paid": "6.00",
                 "subsidy": "6.00", "bracket": "70-79", "category": null},
                {"kind": "walk_in_meal", "price": "12.00"},
                {"kind": "extra", "name": "鸡蛋", "unit_price": "1.50", "quantity": 2}
            ],
            "payment": {"method": "cash", "tendered": "25.00", "change": "4.00"}
        });
        assert_eq!(json, expected);
        let back: Sale = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample_sale());
    }

    #[test]
    fn a_sound_sale_validates() {
        let sale = sample_sale();
        assert_eq!(sale.validate(), Ok(()));
        assert_eq!(sale.total_paid(), Some(Money::from_fen(2100)));
        assert_eq!(sale.cash_taken(), Money::from_fen(2100));
        assert_eq!(sale.subsidy_total(), Money::from_fen(600));
    }

    #[track_caller]
    fn check(edit: impl FnOnce(&mut Sale), expected: SaleError) {
        let mut sale = sample_sale();
        edit(&mut sale);
        assert_eq!(sale.validate(), Err(expected));
    }

    #[test]
    fn broken_sales_are_refused() {
        check(|s| s.lines.clear(), SaleError::NoLines);
        check(
            |s| {
                if let SaleLine::DinerMeal { paid, .. } = &mut s.lines[0] {
                    *paid = Money::from_fen(500);
                }
            },
            SaleError::DoesNotAddUp {
                line: 1,
                standard: Money::from_fen(1200),
                paid: Money::from_fen(500),
                subsidy: Money::from_fen(600),
            },
        );
        check(
            |s| {
                s.lines[1] = SaleLine::WalkInMeal {
                    price: Money::from_fen(-1),
                }
            },
            SaleError::NegativeAmount { line: 2 },
        );
        check(
            |s| {
                s.lines[2] = SaleLine::Extra {
                    name: "鸡蛋".into(),
                    unit_price: Money::from_fen(150),
                    quantity: 0,
                }
            },
            SaleError::BadExtra { line: 3 },
        );
        check(
            |s| {
                s.payment = Payment::Cash {
                    tendered: Money::from_fen(2000),
                    change: Money::ZERO,
                }
            },
            SaleError::NotEnoughCash {
                tendered: Money::from_fen(2000),
                total: Money::from_fen(2100),
            },
        );
        check(
            |s| {
                s.payment = Payment::Cash {
                    tendered: Money::from_fen(2500),
                    change: Money::from_fen(500),
                }
            },
            SaleError::WrongChange {
                expected: Money::from_fen(400),
                given: Money::from_fen(500),
            },
        );
    }

    fn void_because(reason: &str) -> Void {
        Void {
            id: VoidId(Uuid::from_u128(8)),
            sale_id: sample_sale().id,
            site_id: SiteId(1),
            terminal_id: TerminalId(2),
            voided_by: UserId(3),
            voided_at: Utc.with_ymd_and_hms(2026, 3, 2, 4, 7, 0).unwrap(),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_void_needs_a_reason_of_at_most_200_characters() {
        assert_eq!(void_because("顾客不要了").validate(), Ok(()));
        assert_eq!(void_because("  按错了  ").validate(), Ok(()));
        assert_eq!(void_because("").validate(), Err(VoidError::NoReason));
        assert_eq!(
            void_because(" \t\n\u{3000}").validate(),
            Err(VoidError::NoReason),
            "spaces, tabs and the full-width space are blank"
        );
        // 200 Chinese characters are fine: characters, not bytes, count.
        assert_eq!(void_because(&"错".repeat(200)).validate(), Ok(()));
        // Spaces around the reason do not count towards the limit.
        assert_eq!(
            void_because(&format!("  {}  ", "x".repeat(200))).validate(),
            Ok(())
        );
        assert_eq!(
            void_because(&"错".repeat(201)).validate(),
            Err(VoidError::ReasonTooLong {
                length: 201,
                max: 200
            })
        );
    }

    #[test]
    fn void_errors_tell_the_cashier_what_to_do() {
        assert_eq!(
            VoidError::NoReason.to_string(),
            "a void needs a reason: write why the sale is being voided"
        );
        assert_eq!(
            VoidError::ReasonTooLong {
                length: 201,
                max: 200
            }
            .to_string(),
            "the reason is 201 characters long; keep it to at most 200 characters"
        );
    }

    #[test]
    fn free_meal_days_hold_together() {
        let day = FreeMealDay {
            id: FreeMealId(Uuid::from_u128(9)),
            site_id: SiteId(2),
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            slot: Slot::Lunch,
            diners: vec![DinerId(1), DinerId(2)],
            headcount: Some(30),
            volunteers: vec!["张大妈".into()],
            purchases: vec![Purchase {
                item: "猪肉".into(),
                quantity: Some("5斤".into()),
                cost: Money::from_fen(8500),
                paid_by: "村委会".into(),
            }],
            donations: vec![Donation {
                item: "青菜".into(),
                quantity: "5斤".into(),
                donor: None,
            }],
        };
        assert_eq!(day.validate(), Ok(()));
        assert_eq!(day.eaten(), 30);
        assert_eq!(day.purchases_total(), Money::from_fen(8500));
        let mut low = day.clone();
        low.headcount = Some(1);
        assert_eq!(
            low.validate(),
            Err(FreeMealError::HeadcountTooLow {
                headcount: 1,
                named: 2
            })
        );
        let mut twice = day.clone();
        twice.diners.push(DinerId(1));
        assert_eq!(twice.validate(), Err(FreeMealError::DinerTwice(DinerId(1))));
        let mut nobody = day;
        nobody.diners.clear();
        nobody.headcount = None;
        assert_eq!(nobody.validate(), Err(FreeMealError::NobodyAte));
    }
}
