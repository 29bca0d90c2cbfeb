//! What a receipt says: display-ready copies of a sale, a void and a shift,
//! built from canteen-core records plus the names a terminal knows.
//!
//! Every field is plain data, so a receipt can also be built by hand (for a
//! preview, a test or a reprint of an old sale).

use std::collections::HashMap;

use canteen_core::{
    CategoryCode, Diner, DinerId, Money, Payment, Sale, SaleId, SaleLine, ShiftTally, Slot,
    SubsidyBasis, Void,
};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use crate::error::ReceiptError;

/// China Standard Time (UTC+8, no daylight saving), the default site offset.
pub const CHINA_STANDARD_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// A diner as the receipt shows them: name and masked ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DinerLabel {
    /// Name as on the roster.
    pub name: String,
    /// The ID number with all but the first 6 and last 2 characters hidden.
    pub masked_id: Option<String>,
}

impl DinerLabel {
    /// The label of a roster diner. Only the masked ID number is kept.
    pub fn of(diner: &Diner) -> DinerLabel {
        DinerLabel {
            name: diner.name.clone(),
            masked_id: diner.resident_id.as_ref().map(|id| id.masked()),
        }
    }
}

/// What the terminal knows that a [`Sale`] does not carry: names to print.
#[derive(Debug, Clone)]
pub struct SaleContext {
    /// The canteen, e.g. 大寨乡幸福食堂.
    pub canteen: String,
    /// The site, e.g. 大寨村幸福公社 (may equal the canteen).
    pub site: String,
    /// The terminal's name, e.g. 1号收银台.
    pub terminal: String,
    /// The signed-in cashier.
    pub cashier: String,
    /// The site's offset from UTC; China Standard Time by default.
    pub utc_offset: FixedOffset,
    /// Names and masked IDs of the diners on the sales printed.
    pub diners: HashMap<DinerId, DinerLabel>,
    /// Display names of special categories, by code (e.g. `dibao` → 低保).
    pub categories: HashMap<CategoryCode, String>,
    /// Lines the site prints at the foot of each receipt.
    pub footer: Vec<String>,
}

impl SaleContext {
    /// A context with the names of the place and people, China Standard
    /// Time, and no diners, categories or footer yet.
    pub fn new(
        canteen: impl Into<String>,
        site: impl Into<String>,
        terminal: impl Into<String>,
        cashier: impl Into<String>,
    ) -> SaleContext {
        SaleContext {
            canteen: canteen.into(),
            site: site.into(),
            terminal: terminal.into(),
            cashier: cashier.into(),
            utc_offset: CHINA_STANDARD_TIME,
            diners: HashMap::new(),
            categories: HashMap::new(),
            footer: Vec::new(),
        }
    }

    /// Adds the label of a roster diner.
    pub fn with_diner(mut self, diner: &Diner) -> SaleContext {
        self.diners.insert(diner.id, DinerLabel::of(diner));
        self
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.utc_offset).naive_local()
    }

    fn diner(&self, id: DinerId) -> DinerLabel {
        self.diners.get(&id).cloned().unwrap_or_else(|| DinerLabel {
            name: format!("编号{id}"),
            masked_id: None,
        })
    }

    fn category(&self, code: &CategoryCode) -> String {
        self.categories
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

/// Why a meal cost what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceBasis {
    /// Priced by an age bracket, e.g. `70-79` or `90+`.
    Bracket(String),
    /// Priced by a special category; the display name, e.g. 低保.
    Category(String),
    /// A roster diner at the standard price (second meal, under age…).
    Standard,
    /// Someone not on the roster.
    WalkIn,
}

/// One meal on a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MealLine {
    /// Diner name, or 散客 for a walk-in.
    pub diner: String,
    /// Masked ID number; never the whole number.
    pub masked_id: Option<String>,
    /// Bracket or category.
    pub basis: PriceBasis,
    /// Standard price of the slot.
    pub standard: Money,
    /// Subsidy (standard − paid).
    pub subsidy: Money,
    /// What was paid.
    pub paid: Money,
}

/// An extra item: an egg, a drink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraLine {
    /// What was sold.
    pub name: String,
    /// Price of one.
    pub unit_price: Money,
    /// How many.
    pub quantity: u32,
    /// unit price × quantity.
    pub amount: Money,
}

/// A sale receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The canteen.
    pub canteen: String,
    /// The site.
    pub site: String,
    /// The terminal.
    pub terminal: String,
    /// The cashier.
    pub cashier: String,
    /// Local date and time of the sale.
    pub sold_at: NaiveDateTime,
    /// The meal slot.
    pub slot: Slot,
    /// Receipt number shown to people (short); the QR code holds the sale id.
    pub receipt_no: String,
    /// The sale id, printed as a QR code.
    pub sale_id: SaleId,
    /// One line per meal.
    pub meals: Vec<MealLine>,
    /// Extra items.
    pub extras: Vec<ExtraLine>,
    /// Total paid by the customer.
    pub total_paid: Money,
    /// Total subsidy of the meals.
    pub subsidy_total: Money,
    /// Cash (tendered and change) or QR.
    pub payment: Payment,
    /// Footer lines set by the site.
    pub footer: Vec<String>,
    /// True for a copy printed again: marked 重打 and no drawer kick.
    pub reprint: bool,
}

/// The short receipt number of a sale: the last 8 hex digits of its id.
///
/// The last digits are random in both UUID v4 and v7 (the first ones of a
/// v7 are a timestamp, the same for sales made close together).
pub fn receipt_no(id: SaleId) -> String {
    let hex = id.0.simple().to_string().to_ascii_uppercase();
    hex[hex.len().saturating_sub(8)..].to_string()
}

fn meal_lines(sale: &Sale, ctx: &SaleContext) -> (Vec<MealLine>, Vec<ExtraLine>) {
    let mut meals = Vec::new();
    let mut extras = Vec::new();
    for line in &sale.lines {
        match line {
            SaleLine::DinerMeal {
                diner_id,
                standard,
                paid,
                subsidy,
                bracket,
                category,
            } => {
                let label = ctx.diner(*diner_id);
                let basis = match (category, bracket) {
                    (Some(code), _) => PriceBasis::Category(ctx.category(code)),
                    (None, Some(b)) => PriceBasis::Bracket(b.clone()),
                    (None, None) => PriceBasis::Standard,
                };
                meals.push(MealLine {
                    diner: label.name,
                    masked_id: label.masked_id,
                    basis,
                    standard: *standard,
                    subsidy: *subsidy,
                    paid: *paid,
                });
            }
            SaleLine::WalkInMeal { price } => meals.push(MealLine {
                diner: "散客".to_string(),
                masked_id: None,
                basis: PriceBasis::WalkIn,
                standard: *price,
                subsidy: Money::ZERO,
                paid: *price,
            }),
            SaleLine::Extra {
                name,
                unit_price,
                quantity,
            } => extras.push(ExtraLine {
                name: name.clone(),
                unit_price: *unit_price,
                quantity: *quantity,
                amount: unit_price.checked_mul(*quantity).unwrap_or(Money::ZERO),
            }),
        }
    }
    (meals, extras)
}

impl Receipt {
    /// The receipt of a recorded sale.
    ///
    /// Diners missing from `ctx.diners` print as 编号 + roster id, never
    /// with an ID number. Fails only when the amounts overflow.
    pub fn from_sale(sale: &Sale, ctx: &SaleContext) -> Result<Receipt, ReceiptError> {
        let total_paid = sale.total_paid().ok_or(ReceiptError::Overflow)?;
        let (meals, extras) = meal_lines(sale, ctx);
        Ok(Receipt {
            canteen: ctx.canteen.clone(),
            site: ctx.site.clone(),
            terminal: ctx.terminal.clone(),
            cashier: ctx.cashier.clone(),
            sold_at: ctx.local(sale.sold_at),
            slot: sale.slot,
            receipt_no: receipt_no(sale.id),
            sale_id: sale.id,
            meals,
            extras,
            total_paid,
            subsidy_total: sale.subsidy_total(),
            payment: sale.payment.clone(),
            footer: ctx.footer.clone(),
            reprint: false,
        })
    }

    /// True when printing it should open the cash drawer: a cash sale
    /// where cash changed hands, printed the first time.
    pub fn opens_drawer(&self) -> bool {
        !self.reprint
            && matches!(self.payment, Payment::Cash { tendered, .. } if tendered > Money::ZERO)
    }
}

/// How a voided sale is paid back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refund {
    /// Cash from the drawer.
    Cash(Money),
    /// Back through the QR payment (done outside the terminal).
    Qr(Money),
}

impl Refund {
    /// The amount paid back.
    pub fn amount(&self) -> Money {
        match self {
            Refund::Cash(m) | Refund::Qr(m) => *m,
        }
    }
}

/// The slip printed when a sale is voided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidSlip {
    /// The canteen.
    pub canteen: String,
    /// The site.
    pub site: String,
    /// The terminal.
    pub terminal: String,
    /// Who voided the sale.
    pub voided_by: String,
    /// Local date and time of the void.
    pub voided_at: NaiveDateTime,
    /// The voided sale's receipt number.
    pub receipt_no: String,
    /// The voided sale's id (QR code).
    pub sale_id: SaleId,
    /// Local date and time of the voided sale.
    pub sold_at: NaiveDateTime,
    /// The voided sale's meal slot.
    pub slot: Slot,
    /// The meals reversed.
    pub meals: Vec<MealLine>,
    /// The extras reversed.
    pub extras: Vec<ExtraLine>,
    /// What is paid back, and how.
    pub refund: Refund,
    /// Why, in the cashier's words.
    pub reason: String,
    /// True for a copy printed again.
    pub reprint: bool,
}

impl VoidSlip {
    /// The slip of `void`, which reverses `sale`. `ctx.cashier` is the
    /// person who voided it.
    pub fn from_void(
        void: &Void,
        sale: &Sale,
        ctx: &SaleContext,
    ) -> Result<VoidSlip, ReceiptError> {
        let total = sale.total_paid().ok_or(ReceiptError::Overflow)?;
        let (meals, extras) = meal_lines(sale, ctx);
        let refund = match sale.payment {
            Payment::Cash { .. } => Refund::Cash(total),
            Payment::Qr { .. } => Refund::Qr(total),
        };
        Ok(VoidSlip {
            canteen: ctx.canteen.clone(),
            site: ctx.site.clone(),
            terminal: ctx.terminal.clone(),
            voided_by: ctx.cashier.clone(),
            voided_at: ctx.local(void.voided_at),
            receipt_no: receipt_no(sale.id),
            sale_id: sale.id,
            sold_at: ctx.local(sale.sold_at),
            slot: sale.slot,
            meals,
            extras,
            refund,
            reason: void.reason.clone(),
            reprint: false,
        })
    }

    /// True when printing it should open the cash drawer (cash to pay back).
    pub fn opens_drawer(&self) -> bool {
        !self.reprint && matches!(self.refund, Refund::Cash(m) if m > Money::ZERO)
    }
}

/// Subsidised meals of one bracket or category in a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasisTally {
    /// e.g. `70-79岁` or `低保`.
    pub label: String,
    /// Subsidised meals.
    pub meals: u32,
    /// Their subsidy.
    pub subsidy: Money,
}

/// The shift's own figures: when it ran and the cash in the drawer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftClose {
    /// When the shift began.
    pub opened_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: DateTime<Utc>,
    /// Cash in the drawer at the start.
    pub opening_float: Money,
    /// Cash counted at the close.
    pub cash_counted: Money,
}

/// The report printed when a cashier closes a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftReport {
    /// The canteen.
    pub canteen: String,
    /// The site.
    pub site: String,
    /// The terminal.
    pub terminal: String,
    /// The cashier closing the shift.
    pub cashier: String,
    /// Local time the shift began.
    pub opened_at: NaiveDateTime,
    /// Local time it was closed.
    pub closed_at: NaiveDateTime,
    /// Sales not voided.
    pub sales_count: u32,
    /// Sales voided.
    pub voids_count: u32,
    /// Meals sold (not voided).
    pub meals_count: u32,
    /// Cash taken by sales not voided.
    pub cash_sales: Money,
    /// QR payments of sales not voided.
    pub qr_sales: Money,
    /// Cash in the drawer at the start.
    pub opening_float: Money,
    /// opening float + cash sales.
    pub cash_expected: Money,
    /// Cash counted at the close.
    pub cash_counted: Money,
    /// counted − expected (negative when cash is missing).
    pub difference: Money,
    /// Subsidised meals by bracket (lowest age first), then by category,
    /// in the order of [`ShiftTally::subsidised`].
    pub subsidised: Vec<BasisTally>,
    /// All subsidised meals.
    pub subsidised_meals: u32,
    /// All subsidy.
    pub subsidy_total: Money,
}

impl ShiftReport {
    /// Adds up the shift's sales with [`ShiftTally::of`]: sales reversed by
    /// one of `voids` are left out and counted as voided; voids of sales not
    /// in `sales` are ignored. The terminal's screen shows the same tally.
    pub fn from_sales(
        ctx: &SaleContext,
        shift: &ShiftClose,
        sales: &[Sale],
        voids: &[Void],
    ) -> ShiftReport {
        let tally = ShiftTally::of(shift.opening_float, sales, voids);
        let subsidised = tally
            .subsidised
            .iter()
            .map(|group| BasisTally {
                label: match &group.basis {
                    SubsidyBasis::Bracket(name) => format!("{name}岁"),
                    SubsidyBasis::Category(code) => ctx.category(code),
                    SubsidyBasis::Other => "其他".to_string(),
                },
                meals: group.meals,
                subsidy: group.subsidy,
            })
            .collect();
        ShiftReport {
            canteen: ctx.canteen.clone(),
            site: ctx.site.clone(),
            terminal: ctx.terminal.clone(),
            cashier: ctx.cashier.clone(),
            opened_at: ctx.local(shift.opened_at),
            closed_at: ctx.local(shift.closed_at),
            sales_count: tally.sales_count,
            voids_count: tally.voids_count,
            meals_count: tally.meals_count,
            cash_sales: tally.cash_sales,
            qr_sales: tally.qr_sales,
            opening_float: tally.opening_float,
            cash_expected: tally.expected_cash,
            cash_counted: shift.cash_counted,
            difference: tally.difference(shift.cash_counted),
            subsidised,
            subsidised_meals: tally.subsidised_meals,
            subsidy_total: tally.subsidy_total,
        }
    }
}
