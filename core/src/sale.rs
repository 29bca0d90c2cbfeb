//! Sales, voids and free-meal days: the wire format between terminal and
//! backend. JSON names are stable; changing one is a protocol change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::age::BusinessDate;
use crate::diner::CategoryCode;
use crate::ids::{DinerId, FreeMealId, SaleId, SiteId, TerminalId, UserId, VoidId};
use crate::money::Money;
use crate::policy::Slot;
use crate::text::{ControlCharacter, control_character};

/// One line of a sale.
///
/// JSON: an object with `"kind"` = `"diner_meal"`, `"walk_in_meal"` or
/// `"extra"` and the fields below.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = Date))]
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
    /// The sale id is the nil UUID.
    #[error(
        "the sale id is the nil UUID (all zeros): the terminal must make a new id for each sale"
    )]
    NilId,
    /// A text field holds a control character.
    #[error("{field} holds a control character ({found}): remove it")]
    ControlCharacter {
        /// Which field, e.g. "line 2: the item name".
        field: String,
        /// The character and where.
        found: ControlCharacter,
    },
    /// The total, the subsidy or the cash tendered is above
    /// [`Sale::MAX_TOTAL`].
    #[error("{what} {amount} is above {max}, the most one sale may hold: check the amounts")]
    TooLarge {
        /// "the total", "the subsidy" or "the cash tendered".
        what: &'static str,
        /// The amount.
        amount: Money,
        /// [`Sale::MAX_TOTAL`].
        max: Money,
    },
    /// `sold_at` is far from the business date: a wrong terminal clock.
    #[error(
        "the sale was made at {sold_at}, more than a day away from its business date {business_date}: check the terminal's clock"
    )]
    SoldAtFarFromBusinessDate {
        /// When the terminal says it sold.
        sold_at: DateTime<Utc>,
        /// The business date of the sale.
        business_date: BusinessDate,
    },
}

/// Checks one text field for control characters.
fn plain_text(field: impl FnOnce() -> String, text: &str) -> Result<(), SaleError> {
    match control_character(text) {
        Some(found) => Err(SaleError::ControlCharacter {
            field: field(),
            found,
        }),
        None => Ok(()),
    }
}

impl Sale {
    /// The most one sale may hold: ￥10,000.00 paid, subsidy or cash
    /// tendered. A canteen meal costs about ￥12; this only stops amounts
    /// that are typing mistakes or attacks.
    pub const MAX_TOTAL: Money = Money::from_fen_const(1_000_000);

    /// How far, in days, the UTC date of `sold_at` may be from the business
    /// date. One day covers every time zone (UTC−12 to UTC+14), so only a
    /// terminal clock that is wrong by a day or more is refused.
    pub const MAX_DAYS_FROM_BUSINESS_DATE: i64 = 1;

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

    /// Checks that the sale holds together: an id that is not the nil
    /// UUID, lines present, amounts not negative, paid + subsidy = standard
    /// on every meal, no control character in any text, the total, subsidy
    /// and cash tendered at most [`Sale::MAX_TOTAL`], cash and change
    /// consistent with the total, and `sold_at` within
    /// [`Sale::MAX_DAYS_FROM_BUSINESS_DATE`] of the business date.
    ///
    /// The terminal checks a sale with it before saving it, the backend
    /// before storing it.
    pub fn validate(&self) -> Result<(), SaleError> {
        if self.id.0.is_nil() {
            return Err(SaleError::NilId);
        }
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
                    bracket,
                    category,
                    ..
                } => {
                    if let Some(bracket) = bracket {
                        plain_text(|| format!("line {n}: the bracket"), bracket)?;
                    }
                    if let Some(category) = category {
                        plain_text(|| format!("line {n}: the category"), &category.0)?;
                    }
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
                    plain_text(|| format!("line {n}: the item name"), name)?;
                }
            }
        }
        if let Payment::Qr {
            reference: Some(reference),
        } = &self.payment
        {
            plain_text(|| "the payment reference".to_string(), reference)?;
        }
        let total = self.total_paid().ok_or(SaleError::Overflow)?;
        let too_large = |what, amount: Money| {
            if amount > Sale::MAX_TOTAL {
                Err(SaleError::TooLarge {
                    what,
                    amount,
                    max: Sale::MAX_TOTAL,
                })
            } else {
                Ok(())
            }
        };
        too_large("the total", total)?;
        too_large("the subsidy", self.checked_subsidy_total()?)?;
        if let Payment::Cash { tendered, change } = self.payment {
            if tendered.is_negative() || change.is_negative() {
                return Err(SaleError::NegativeAmount { line: 0 });
            }
            too_large("the cash tendered", tendered)?;
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
        let days = (self.sold_at.date_naive() - self.business_date).num_days();
        if days.abs() > Sale::MAX_DAYS_FROM_BUSINESS_DATE {
            return Err(SaleError::SoldAtFarFromBusinessDate {
                sold_at: self.sold_at,
                business_date: self.business_date,
            });
        }
        Ok(())
    }

    /// The subsidy of the diner meals, refusing an overflow.
    fn checked_subsidy_total(&self) -> Result<Money, SaleError> {
        self.lines
            .iter()
            .try_fold(Money::ZERO, |sum, l| match l {
                SaleLine::DinerMeal { subsidy, .. } => sum.checked_add(*subsidy),
                _ => Some(sum),
            })
            .ok_or(SaleError::Overflow)
    }
}

/// A record with the time the backend received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received<T> {
    /// The record.
    pub record: T,
    /// When the backend received it: what decides whether it is late.
    pub received_at: DateTime<Utc>,
}

/// Reverses one sale. A new record: the sale itself is never changed.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// The void's id or the id of the sale it reverses is the nil UUID.
    #[error("the {which} id is the nil UUID (all zeros): the terminal must send a real id")]
    NilId {
        /// "void" or "sale".
        which: &'static str,
    },
    /// The reason holds a control character.
    #[error("the reason holds a control character ({0}): remove it")]
    ControlCharacter(ControlCharacter),
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

    /// Checks that the void can be recorded: its id and its sale's id are
    /// not the nil UUID, and its reason, leading and trailing spaces left
    /// out, is not blank, holds no control character and has at most
    /// [`Void::MAX_REASON_CHARS`] characters.
    pub fn validate(&self) -> Result<(), VoidError> {
        if self.id.0.is_nil() {
            return Err(VoidError::NilId { which: "void" });
        }
        if self.sale_id.0.is_nil() {
            return Err(VoidError::NilId { which: "sale" });
        }
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(VoidError::NoReason);
        }
        if let Some(found) = control_character(&self.reason) {
            return Err(VoidError::ControlCharacter(found));
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeMealDay {
    /// Id made where it was recorded.
    pub id: FreeMealId,
    /// Which site.
    pub site_id: SiteId,
    /// The date served.
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = Date))]
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
    /// The record's id is the nil UUID.
    #[error("the free-meal id is the nil UUID (all zeros): send a real id")]
    NilId,
    /// A text field holds a control character.
    #[error("{field} holds a control character ({found}): remove it")]
    ControlCharacter {
        /// Which field, e.g. "volunteer 2".
        field: String,
        /// The character and where.
        found: ControlCharacter,
    },
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

    /// Checks that the record holds together: an id that is not the nil
    /// UUID, someone ate, the headcount covers the diners named, each diner
    /// named once, purchases with an item and a cost, and no control
    /// character in any text.
    pub fn validate(&self) -> Result<(), FreeMealError> {
        if self.id.0.is_nil() {
            return Err(FreeMealError::NilId);
        }
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
        let mut texts: Vec<(String, &str)> = Vec::new();
        for (i, v) in self.volunteers.iter().enumerate() {
            texts.push((format!("volunteer {}", i + 1), v));
        }
        for (i, p) in self.purchases.iter().enumerate() {
            texts.push((format!("purchase {}: the item", i + 1), &p.item));
            texts.push((format!("purchase {}: who paid", i + 1), &p.paid_by));
        }
        for (i, d) in self.donations.iter().enumerate() {
            let n = i + 1;
            texts.push((format!("donation {n}: the item"), &d.item));
            texts.push((format!("donation {n}: the quantity"), &d.quantity));
            if let Some(donor) = &d.donor {
                texts.push((format!("donation {n}: the donor"), donor));
            }
        }
        for (field, text) in texts {
            if let Some(found) = control_character(text) {
                return Err(FreeMealError::ControlCharacter { field, found });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    fn found(position: usize, c: char) -> ControlCharacter {
        ControlCharacter { position, found: c }
    }

    #[test]
    fn the_nil_uuid_is_not_a_sale_id() {
        check(|s| s.id = SaleId(Uuid::nil()), SaleError::NilId);
        assert_eq!(
            SaleError::NilId.to_string(),
            "the sale id is the nil UUID (all zeros): the terminal must make a new id for each sale"
        );
    }

    #[test]
    fn control_characters_are_refused_in_every_text_of_a_sale() {
        check(
            |s| {
                if let SaleLine::Extra { name, .. } = &mut s.lines[2] {
                    *name = "鸡\0蛋".into();
                }
            },
            SaleError::ControlCharacter {
                field: "line 3: the item name".into(),
                found: found(2, '\0'),
            },
        );
        check(
            |s| {
                if let SaleLine::DinerMeal { bracket, .. } = &mut s.lines[0] {
                    *bracket = Some("70-79\n".into());
                }
            },
            SaleError::ControlCharacter {
                field: "line 1: the bracket".into(),
                found: found(6, '\n'),
            },
        );
        check(
            |s| {
                if let SaleLine::DinerMeal { category, .. } = &mut s.lines[0] {
                    *category = Some(CategoryCode("\u{1b}dibao".into()));
                }
            },
            SaleError::ControlCharacter {
                field: "line 1: the category".into(),
                found: found(1, '\u{1b}'),
            },
        );
        check(
            |s| {
                s.payment = Payment::Qr {
                    reference: Some("wx\u{7f}1".into()),
                }
            },
            SaleError::ControlCharacter {
                field: "the payment reference".into(),
                found: found(3, '\u{7f}'),
            },
        );
        let mut fine = sample_sale();
        fine.payment = Payment::Qr {
            reference: Some("wx 4200001".into()),
        };
        assert_eq!(fine.validate(), Ok(()));
        assert_eq!(
            SaleError::ControlCharacter {
                field: "line 3: the item name".into(),
                found: found(2, '\0'),
            }
            .to_string(),
            "line 3: the item name holds a control character (U+0000 at character 2): remove it"
        );
    }

    /// A one-line QR sale of a walk-in meal at `fen`.
    fn walk_in(fen: i64) -> Sale {
        let mut sale = sample_sale();
        sale.lines = vec![SaleLine::WalkInMeal {
            price: Money::from_fen(fen),
        }];
        sale.payment = Payment::Qr { reference: None };
        sale
    }

    #[test]
    fn a_sale_holds_at_most_ten_thousand_yuan() {
        assert_eq!(Sale::MAX_TOTAL, Money::from_yuan(10_000));
        assert_eq!(walk_in(1_000_000).validate(), Ok(()));
        let too_large = |what, fen| SaleError::TooLarge {
            what,
            amount: Money::from_fen(fen),
            max: Sale::MAX_TOTAL,
        };
        assert_eq!(
            walk_in(1_000_001).validate(),
            Err(too_large("the total", 1_000_001))
        );
        // Fifty lines of ￥100,000 (issue 7).
        let mut fifty = walk_in(0);
        fifty.lines = vec![
            SaleLine::WalkInMeal {
                price: Money::from_yuan(100_000)
            };
            50
        ];
        assert_eq!(fifty.validate(), Err(too_large("the total", 500_000_000)));
        // A meal "worth" ￥10,000.01, paid nothing: the subsidy is too large.
        let mut subsidy = walk_in(0);
        subsidy.lines = vec![SaleLine::DinerMeal {
            diner_id: DinerId(7),
            standard: Money::from_fen(1_000_001),
            paid: Money::ZERO,
            subsidy: Money::from_fen(1_000_001),
            bracket: None,
            category: None,
        }];
        assert_eq!(subsidy.validate(), Err(too_large("the subsidy", 1_000_001)));
        let mut tendered = walk_in(1200);
        tendered.payment = Payment::Cash {
            tendered: Money::from_fen(1_000_000),
            change: Money::from_fen(998_800),
        };
        assert_eq!(tendered.validate(), Ok(()));
        tendered.payment = Payment::Cash {
            tendered: Money::from_fen(1_000_001),
            change: Money::from_fen(998_801),
        };
        assert_eq!(
            tendered.validate(),
            Err(too_large("the cash tendered", 1_000_001))
        );
        assert_eq!(
            too_large("the total", 1_000_001).to_string(),
            "the total 10000.01 is above 10000.00, the most one sale may hold: check the amounts"
        );
    }

    #[test]
    fn sold_at_must_be_within_a_day_of_the_business_date() {
        // Business date 2 March 2026.
        let sold = |y, mo, d, h, mi, sec| {
            let mut sale = sample_sale();
            sale.sold_at = Utc.with_ymd_and_hms(y, mo, d, h, mi, sec).unwrap();
            sale
        };
        for ok in [
            sold(2026, 3, 1, 0, 0, 0),    // the UTC date a day early
            sold(2026, 3, 1, 16, 30, 0),  // 00:30 in Yunnan
            sold(2026, 3, 2, 23, 59, 59), // UTC−12 on the evening of the 2nd
            sold(2026, 3, 3, 23, 59, 59), // the UTC date a day late
        ] {
            assert_eq!(ok.validate(), Ok(()), "{}", ok.sold_at);
        }
        for far in [
            sold(2026, 2, 28, 23, 59, 59),
            sold(2026, 3, 4, 0, 0, 0),
            sold(1, 1, 1, 0, 0, 0),
            sold(9999, 12, 31, 0, 0, 0),
        ] {
            assert_eq!(
                far.validate(),
                Err(SaleError::SoldAtFarFromBusinessDate {
                    sold_at: far.sold_at,
                    business_date: far.business_date,
                }),
                "{}",
                far.sold_at
            );
        }
        assert_eq!(
            SaleError::SoldAtFarFromBusinessDate {
                sold_at: Utc.with_ymd_and_hms(2026, 3, 4, 0, 0, 0).unwrap(),
                business_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            }
            .to_string(),
            "the sale was made at 2026-03-04 00:00:00 UTC, more than a day away from its business date 2026-03-02: check the terminal's clock"
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
    fn a_void_refuses_nil_ids_and_control_characters() {
        let mut v = void_because("按错了");
        v.id = VoidId(Uuid::nil());
        assert_eq!(v.validate(), Err(VoidError::NilId { which: "void" }));
        let mut v = void_because("按错了");
        v.sale_id = SaleId(Uuid::nil());
        assert_eq!(v.validate(), Err(VoidError::NilId { which: "sale" }));
        assert_eq!(
            void_because("按错\0了").validate(),
            Err(VoidError::ControlCharacter(found(3, '\0')))
        );
        assert_eq!(
            void_because("按错了\n").validate(),
            Err(VoidError::ControlCharacter(found(4, '\n'))),
            "a control character is refused even at the end"
        );
        assert_eq!(
            VoidError::NilId { which: "sale" }.to_string(),
            "the sale id is the nil UUID (all zeros): the terminal must send a real id"
        );
        assert_eq!(
            VoidError::ControlCharacter(found(3, '\0')).to_string(),
            "the reason holds a control character (U+0000 at character 3): remove it"
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

    #[test]
    fn a_free_meal_day_refuses_a_nil_id_and_control_characters() {
        let day = || FreeMealDay {
            id: FreeMealId(Uuid::from_u128(9)),
            site_id: SiteId(2),
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            slot: Slot::Lunch,
            diners: vec![DinerId(1)],
            headcount: None,
            volunteers: vec!["张大妈".into(), "李叔".into()],
            purchases: vec![Purchase {
                item: "猪肉".into(),
                quantity: None,
                cost: Money::from_fen(8500),
                paid_by: "村委会".into(),
            }],
            donations: vec![Donation {
                item: "青菜".into(),
                quantity: "5斤".into(),
                donor: Some("王家".into()),
            }],
        };
        assert_eq!(day().validate(), Ok(()));
        let mut nil = day();
        nil.id = FreeMealId(Uuid::nil());
        assert_eq!(nil.validate(), Err(FreeMealError::NilId));
        let refused = |edit: fn(&mut FreeMealDay), field: &str, at: ControlCharacter| {
            let mut d = day();
            edit(&mut d);
            assert_eq!(
                d.validate(),
                Err(FreeMealError::ControlCharacter {
                    field: field.into(),
                    found: at
                })
            );
        };
        refused(
            |d| d.volunteers[1] = "李\0叔".into(),
            "volunteer 2",
            found(2, '\0'),
        );
        refused(
            |d| d.purchases[0].item = "猪肉\u{1b}".into(),
            "purchase 1: the item",
            found(3, '\u{1b}'),
        );
        refused(
            |d| d.purchases[0].paid_by = "\r".into(),
            "purchase 1: who paid",
            found(1, '\r'),
        );
        refused(
            |d| d.donations[0].item = "青\t菜".into(),
            "donation 1: the item",
            found(2, '\t'),
        );
        refused(
            |d| d.donations[0].quantity = "5\0".into(),
            "donation 1: the quantity",
            found(2, '\0'),
        );
        refused(
            |d| d.donations[0].donor = Some("王\0".into()),
            "donation 1: the donor",
            found(2, '\0'),
        );
        assert_eq!(
            FreeMealError::ControlCharacter {
                field: "volunteer 2".into(),
                found: found(2, '\0')
            }
            .to_string(),
            "volunteer 2 holds a control character (U+0000 at character 2): remove it"
        );
    }
}
