//! The cashier's work in plain Rust: open a shift, identify the diner,
//! price the meal with `canteen_core::quote`, take payment, store the sale,
//! print; void; close the shift. The Slint UI only calls these.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use canteen_core::{
    Customer, DinerId, Money, Payment, PolicyBook, PricePolicy, Quote, Sale, SaleId, SaleLine,
    ShiftTally, SiteId, Slot, TerminalId, UserId, Void, VoidId, quote,
};
use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use receipts::{PrinterOutput, SaleContext, ShiftClose, ShiftReport};

use crate::printing::Printing;
use crate::roster::{IdLookup, Roster, RosterDiner};
use crate::store::{Cashier, LocalStore, ShiftRecord, SiteSetup, StoreError};

/// The time, from the system or from a test.
pub trait Clock: Send {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set by hand; clones share the time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    /// Moves it to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why the cashier's action did not happen; every message is for the
/// cashier, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The local database failed.
    #[error("本机数据库出错：{0}")]
    Store(#[from] StoreError),
    /// Not set up yet.
    #[error("本机尚未设置：请先连接后台下载名册")]
    NotSetUp,
    /// No shift open.
    #[error("请先开班")]
    NoShift,
    /// A shift is already open.
    #[error("已有未结班的班次：请先结班")]
    ShiftOpen,
    /// Unknown cashier.
    #[error("没有这位收银员")]
    UnknownCashier,
    /// Wrong PIN.
    #[error("密码不对")]
    WrongPin,
    /// A PIN must be 4 to 6 digits.
    #[error("密码应为4到6位数字")]
    BadPin,
    /// The cashier has no PIN yet: an administrator sets it on the backend.
    #[error("这位收银员还没有密码：请管理员在后台设置，本机联网同步后即可开班")]
    NoPin,
    /// A PIN could not be hashed.
    #[error("无法保存密码：{0}")]
    PinHash(String),
    /// Nobody chosen to sell to.
    #[error("请先选择就餐人员或散客")]
    NoCustomer,
    /// The price could not be worked out.
    #[error("无法计价：{0}")]
    Pricing(String),
    /// Not enough cash.
    #[error("收款不足：应收{due}，实收{tendered}")]
    NotEnough {
        /// Amount due.
        due: Money,
        /// Cash given.
        tendered: Money,
    },
    /// An amount that is not money.
    #[error("金额不对：{0}")]
    BadAmount(String),
    /// The sale does not check out.
    #[error("销售记录不合规：{0}")]
    BadSale(String),
    /// No such sale to void or reprint.
    #[error("找不到这笔销售")]
    NoSuchSale,
    /// Voided already.
    #[error("这笔销售已经作废")]
    AlreadyVoided,
    /// Only today's sales can be voided here.
    #[error("只能作废今天的销售")]
    NotToday,
    /// The void needs a reason.
    #[error("请写明作废原因（最多200字）")]
    NoReason,
}

/// Result of the flow.
pub type FlowResult<T> = Result<T, FlowError>;

/// An item of the short menu of extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// e.g. 鸡蛋.
    pub name: String,
    /// Price of one.
    pub price: Money,
}

/// The default extras: an egg and a soup.
pub fn default_extras() -> Vec<Extra> {
    vec![
        Extra {
            name: "鸡蛋".into(),
            price: Money::from_fen(100),
        },
        Extra {
            name: "汤".into(),
            price: Money::from_fen(200),
        },
    ]
}

/// Who the meal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The roster diner at this index.
    Diner(usize),
    /// Someone not on the roster, at the standard price.
    WalkIn,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A card or ID number found one diner, now chosen.
    Chosen(usize),
    /// Name or pinyin matches (indexes into the roster).
    Matches(Vec<usize>),
    /// An ID number still being typed.
    IdIncomplete(usize),
    /// Why the ID number is not valid, in Chinese.
    IdInvalid(String),
    /// Nobody has this card or ID number.
    NotFound,
}

/// The question put to the backend before selling a diner a meal: did
/// they already have a subsidised one in this slot and day, on any
/// terminal of the township?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MealQuestion {
    /// The diner.
    pub diner_id: i64,
    /// The business date.
    pub date: NaiveDate,
    /// The slot.
    pub slot: Slot,
    /// When the meal would be sold, by this terminal's clock.
    pub at: DateTime<Utc>,
}

/// What the second-meal check is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MealCheck {
    /// Not a diner on the roster: nothing to check.
    None,
    /// Only this terminal's own sales (offline, or no answer yet).
    ThisTerminal,
    /// This terminal's sales and the backend's answer for the township.
    Township,
}

/// The price of the current order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// The meal's quote from canteen-core.
    pub quote: Quote,
    /// This diner already had a subsidised meal in this slot today.
    pub second_meal: bool,
    /// What `second_meal` was decided on.
    pub check: MealCheck,
    /// The earlier subsidised meal was on another terminal (the backend said so).
    pub elsewhere: bool,
    /// Extras total.
    pub extras: Money,
    /// Meal + extras.
    pub total: Money,
}

/// How the diner pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tender {
    /// Cash handed over.
    Cash(Money),
    /// WeChat or Alipay QR, with the payment reference if any.
    Qr(Option<String>),
}

/// A sale that is stored; the receipt may or may not have printed.
#[derive(Debug, Clone)]
pub struct Confirmed {
    /// The sale as stored.
    pub sale: Sale,
    /// Change to give.
    pub change: Money,
    /// The printer's complaint, in Chinese, when it did not print.
    pub print_error: Option<String>,
}

/// A shift's figures at the close.
#[derive(Debug, Clone)]
pub struct Closed {
    /// The tally (same as the printed report and the backend).
    pub tally: ShiftTally,
    /// Counted cash.
    pub counted: Money,
    /// counted − expected.
    pub difference: Money,
    /// The printer's complaint, if the report did not print.
    pub print_error: Option<String>,
}

/// The argon2id hash of a PIN (the backend makes the same kind).
pub fn hash_pin(pin: &str) -> FlowResult<String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| FlowError::PinHash(e.to_string()))
}

/// True when `pin` matches the argon2 PHC string `hash`.
fn pin_matches(pin: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(pin.as_bytes(), hash)
        .is_ok()
}

fn check_pin_format(pin: &str) -> FlowResult<()> {
    if (4..=6).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FlowError::BadPin)
    }
}

/// Parses an amount typed on the keypad: `20`, `20.5`, `20.50`.
pub fn parse_amount(text: &str) -> FlowResult<Money> {
    let m = Money::parse(text.trim()).map_err(|e| FlowError::BadAmount(e.to_string()))?;
    if m.is_negative() {
        return Err(FlowError::BadAmount("不能为负数".into()));
    }
    Ok(m)
}

/// The slot served at a local time: breakfast before 10:00, lunch before
/// 16:00, dinner after.
pub fn slot_at(local_hour: u32) -> Slot {
    match local_hour {
        0..=9 => Slot::Breakfast,
        10..=15 => Slot::Lunch,
        _ => Slot::Dinner,
    }
}

/// The terminal: local store, roster, policies, printer and the order on
/// the counter.
pub struct Terminal {
    store: LocalStore,
    setup: SiteSetup,
    roster: Roster,
    policies: PolicyBook,
    clock: Box<dyn Clock>,
    printing: Printing,
    shift: Option<ShiftRecord>,
    choice: Option<Choice>,
    extras_menu: Vec<Extra>,
    quantities: Vec<u32>,
    slot_override: Option<Slot>,
    last_sale: Option<SaleId>,
    notices: Vec<String>,
    /// The backend's answers for the diner on the counter, township-wide.
    township: HashMap<(i64, NaiveDate, Slot), bool>,
}

impl Terminal {
    /// Opens the terminal's database at `db`; it must have been set up.
    pub fn open(
        db: &Path,
        clock: Box<dyn Clock>,
        printer: Box<dyn PrinterOutput>,
        paper: receipts::Paper,
    ) -> FlowResult<Terminal> {
        let store = LocalStore::open(db)?;
        let setup = store.setup()?.ok_or(FlowError::NotSetUp)?;
        let key = hex_key(&setup.id_hash_key);
        let roster = Roster::new(store.roster()?, key);
        let policies =
            PolicyBook::new(store.policies()?).map_err(|e| FlowError::Pricing(e.to_string()))?;
        let shift = store.open_shift_now()?;
        let extras_menu = default_extras();
        Ok(Terminal {
            store,
            setup,
            roster,
            policies,
            clock,
            printing: Printing::new(printer, paper),
            shift,
            choice: None,
            quantities: vec![0; extras_menu.len()],
            extras_menu,
            slot_override: None,
            last_sale: None,
            notices: Vec::new(),
            township: HashMap::new(),
        })
    }

    /// Saves a setup, roster and policies into the database at `db` (what
    /// the first sync or the demo does before [`Terminal::open`]).
    pub fn install(
        db: &Path,
        setup: &SiteSetup,
        roster: &[RosterDiner],
        policies: &[PricePolicy],
    ) -> FlowResult<()> {
        let mut store = LocalStore::open(db)?;
        let key = hex_key(&setup.id_hash_key);
        let scrubbed: Vec<RosterDiner> = roster.iter().cloned().map(|d| d.scrubbed(&key)).collect();
        store.save_setup(setup)?;
        store.save_roster(&scrubbed, true)?;
        store.save_policies(policies)?;
        Ok(())
    }

    /// Re-reads roster and policies after the sync worker refreshed them.
    pub fn reload(&mut self) -> FlowResult<()> {
        if let Some(setup) = self.store.setup()? {
            self.setup = setup;
        }
        self.roster = Roster::new(self.store.roster()?, hex_key(&self.setup.id_hash_key));
        self.policies = PolicyBook::new(self.store.policies()?)
            .map_err(|e| FlowError::Pricing(e.to_string()))?;
        self.choice = None;
        Ok(())
    }

    /// The setup.
    pub fn setup(&self) -> &SiteSetup {
        &self.setup
    }

    /// The roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The local store.
    pub fn store(&self) -> &LocalStore {
        &self.store
    }

    /// The extras menu.
    pub fn extras_menu(&self) -> &[Extra] {
        &self.extras_menu
    }

    /// Quantities of each extra in the order.
    pub fn quantities(&self) -> &[u32] {
        &self.quantities
    }

    /// Now by the terminal's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn offset(&self) -> FixedOffset {
        let secs = i32::try_from(self.setup.utc_offset_minutes * 60).unwrap_or(8 * 3600);
        FixedOffset::east_opt(secs).unwrap_or(chrono::Offset::fix(&Utc))
    }

    /// Local date and time now.
    pub fn local_now(&self) -> DateTime<FixedOffset> {
        self.clock.now().with_timezone(&self.offset())
    }

    /// The business date (local date).
    pub fn today(&self) -> NaiveDate {
        self.local_now().date_naive()
    }

    /// The slot now (or the one the cashier chose).
    pub fn slot(&self) -> Slot {
        self.slot_override
            .unwrap_or_else(|| slot_at(self.local_now().hour()))
    }

    /// Chooses the slot by hand (`None`: by the clock).
    pub fn set_slot(&mut self, slot: Option<Slot>) {
        self.slot_override = slot;
    }

    /// Cashiers of the site.
    pub fn cashiers(&self) -> &[Cashier] {
        &self.setup.cashiers
    }

    /// The open shift.
    pub fn shift(&self) -> Option<&ShiftRecord> {
        self.shift.as_ref()
    }

    /// The name of the cashier of the open shift.
    pub fn cashier_name(&self) -> Option<String> {
        let s = self.shift.as_ref()?;
        self.cashier(s.cashier_id).map(|c| c.display_name.clone())
    }

    fn cashier(&self, id: i64) -> Option<&Cashier> {
        self.setup.cashiers.iter().find(|c| c.id == id)
    }

    /// Sets the terminal's own supervisor PIN (at setup): it approves
    /// voids only while the backend names no supervisor for this site.
    pub fn set_supervisor_pin(&mut self, pin: &str) -> FlowResult<()> {
        check_pin_format(pin)?;
        self.store.set_setting("supervisor_pin", &hash_pin(pin)?)?;
        Ok(())
    }

    /// Sets a cashier's PIN here (the demo, tests); the backend's download
    /// replaces it at the next refresh.
    pub fn set_cashier_pin(&mut self, cashier: i64, pin: &str) -> FlowResult<()> {
        check_pin_format(pin)?;
        let hash = hash_pin(pin)?;
        let c = self
            .setup
            .cashiers
            .iter_mut()
            .find(|c| c.id == cashier)
            .ok_or(FlowError::UnknownCashier)?;
        c.pin_hash = Some(hash);
        self.store.save_setup(&self.setup)?;
        Ok(())
    }

    /// True when `pin` is a supervisor's: one the backend names for this
    /// site, or, when it names none, the terminal's own.
    fn supervisor_pin_ok(&self, pin: &str) -> FlowResult<bool> {
        if check_pin_format(pin).is_err() {
            return Ok(false);
        }
        let supervisors: Vec<&str> = self
            .setup
            .cashiers
            .iter()
            .filter(|c| c.supervisor)
            .filter_map(|c| c.pin_hash.as_deref())
            .collect();
        if !supervisors.is_empty() {
            return Ok(supervisors.iter().any(|h| pin_matches(pin, h)));
        }
        Ok(self
            .store
            .setting("supervisor_pin")?
            .is_some_and(|h| pin_matches(pin, &h)))
    }

    /// Opens a shift for `cashier`, whose PIN is checked against the hash
    /// from the backend (offline).
    pub fn open_shift(&mut self, cashier: i64, pin: &str, opening: Money) -> FlowResult<()> {
        if self.shift.is_some() {
            return Err(FlowError::ShiftOpen);
        }
        let c = self.cashier(cashier).ok_or(FlowError::UnknownCashier)?;
        check_pin_format(pin)?;
        if opening.is_negative() {
            return Err(FlowError::BadAmount("不能为负数".into()));
        }
        let hash = c.pin_hash.as_deref().ok_or(FlowError::NoPin)?;
        if !pin_matches(pin, hash) {
            return Err(FlowError::WrongPin);
        }
        let shift = ShiftRecord {
            id: uuid::Uuid::now_v7(),
            cashier_id: cashier,
            opened_at: self.clock.now(),
            opening_float: opening.fen(),
            closed_at: None,
            counted_cash: None,
        };
        self.store.open_shift(&shift)?;
        self.shift = Some(shift);
        Ok(())
    }

    /// Looks up what the cashier typed or a scanner sent: a card number, an
    /// 18-character ID number, a name or pinyin initials.
    pub fn lookup(&mut self, input: &str) -> Lookup {
        let t = input.trim();
        if t.is_empty() {
            return Lookup::Matches(Vec::new());
        }
        if let Some(i) = self.roster.by_card(t) {
            self.choose(Choice::Diner(i));
            return Lookup::Chosen(i);
        }
        let id_like = t.len() >= 15
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X');
        if id_like {
            return self.lookup_id(t);
        }
        if t.chars().all(|c| c.is_ascii_digit()) {
            return Lookup::NotFound;
        }
        Lookup::Matches(self.roster.search(t, 30))
    }

    /// Looks up an ID number typed on the keypad or read from the card.
    pub fn lookup_id(&mut self, text: &str) -> Lookup {
        match self.roster.by_id_number(text, self.today()) {
            IdLookup::Found(i) => {
                self.choose(Choice::Diner(i));
                Lookup::Chosen(i)
            }
            IdLookup::Incomplete(n) => Lookup::IdIncomplete(n),
            IdLookup::Invalid(why) => Lookup::IdInvalid(why),
            IdLookup::NotOnRoster => Lookup::NotFound,
        }
    }

    /// Chooses who the meal is for; the extras start at zero. An earlier
    /// answer from the backend is forgotten: the diner may have eaten
    /// elsewhere since, so the question is asked again.
    pub fn choose(&mut self, choice: Choice) {
        self.choice = Some(choice);
        self.quantities = vec![0; self.extras_menu.len()];
        self.township.clear();
    }

    /// The question to ask the backend for the diner on the counter, while
    /// it has not answered it.
    pub fn meal_question(&self) -> Option<MealQuestion> {
        let Some(Choice::Diner(i)) = self.choice else {
            return None;
        };
        let d = self.roster.get(i)?;
        let q = MealQuestion {
            diner_id: d.diner.id.0,
            date: self.today(),
            slot: self.slot(),
            at: self.clock.now(),
        };
        (!self.township.contains_key(&(q.diner_id, q.date, q.slot))).then_some(q)
    }

    /// Records the backend's answer: `already` when the diner had a
    /// subsidised meal of that slot and day on any terminal of the township.
    pub fn answer_meal_question(&mut self, q: &MealQuestion, already: bool) {
        self.township.insert((q.diner_id, q.date, q.slot), already);
    }

    /// The current choice.
    pub fn choice(&self) -> Option<Choice> {
        self.choice
    }

    /// Clears the order.
    pub fn clear(&mut self) {
        self.choice = None;
        self.quantities = vec![0; self.extras_menu.len()];
    }

    /// Sets how many of extra `i`.
    pub fn set_extra(&mut self, i: usize, quantity: u32) {
        if let Some(q) = self.quantities.get_mut(i) {
            *q = quantity.min(99);
        }
    }

    /// Prices the current order.
    pub fn price(&self) -> FlowResult<Priced> {
        let choice = self.choice.ok_or(FlowError::NoCustomer)?;
        let date = self.today();
        let slot = self.slot();
        let (customer, second, check, elsewhere) = match choice {
            Choice::WalkIn => (Customer::WalkIn, false, MealCheck::None, false),
            Choice::Diner(i) => {
                let d = self.roster.get(i).ok_or(FlowError::NoCustomer)?;
                let here = self.store.had_subsidised_meal(d.diner.id.0, date, slot)?;
                match self.township.get(&(d.diner.id.0, date, slot)) {
                    Some(&township) => (
                        Customer::Diner(&d.diner),
                        here || township,
                        MealCheck::Township,
                        township && !here,
                    ),
                    None => (
                        Customer::Diner(&d.diner),
                        here,
                        MealCheck::ThisTerminal,
                        false,
                    ),
                }
            }
        };
        let q = quote(
            &self.policies,
            SiteId(self.setup.site_id),
            customer,
            date,
            slot,
            second,
        )
        .map_err(|e| FlowError::Pricing(e.to_string()))?;
        let mut extras = Money::ZERO;
        for (e, &n) in self.extras_menu.iter().zip(&self.quantities) {
            extras += e.price.checked_mul(n).unwrap_or(Money::ZERO);
        }
        let total = q.paid + extras;
        let second_meal =
            second && matches!(q.reason, canteen_core::PriceReason::AlreadySubsidised);
        Ok(Priced {
            second_meal,
            check,
            elsewhere: elsewhere && second_meal,
            quote: q,
            extras,
            total,
        })
    }

    fn context(&self, cashier: i64) -> SaleContext {
        let name = self
            .cashier(cashier)
            .map(|c| c.display_name.clone())
            .unwrap_or_else(|| format!("收银员{cashier}"));
        let mut ctx = SaleContext::new(
            self.setup.site_name.clone(),
            self.setup.site_name.clone(),
            self.setup.terminal_name.clone(),
            name,
        );
        ctx.utc_offset = self.offset();
        for p in self.policies.versions() {
            for c in p.categories() {
                ctx.categories.insert(c.code.clone(), c.name.clone());
            }
        }
        ctx
    }

    fn context_for(&self, sale: &Sale, cashier: i64) -> SaleContext {
        let mut ctx = self.context(cashier);
        for line in &sale.lines {
            if let SaleLine::DinerMeal { diner_id, .. } = line
                && let Some(i) = self.roster.index_of(diner_id.0)
                && let Some(d) = self.roster.get(i)
            {
                ctx.diners.insert(
                    *diner_id,
                    receipts::DinerLabel {
                        name: d.diner.name.clone(),
                        masked_id: d.id_masked.clone(),
                    },
                );
            }
        }
        ctx
    }

    /// Takes payment: the sale is stored (durable) and then printed. A
    /// printer problem is reported in `print_error`; the sale stands.
    pub fn pay(&mut self, tender: Tender) -> FlowResult<Confirmed> {
        let shift = self.shift.clone().ok_or(FlowError::NoShift)?;
        let priced = self.price()?;
        let choice = self.choice.ok_or(FlowError::NoCustomer)?;
        let (payment, change) = match tender {
            Tender::Cash(tendered) => {
                let change = tendered
                    .checked_sub(priced.total)
                    .filter(|c| !c.is_negative())
                    .ok_or(FlowError::NotEnough {
                        due: priced.total,
                        tendered,
                    })?;
                (Payment::Cash { tendered, change }, change)
            }
            Tender::Qr(reference) => (Payment::Qr { reference }, Money::ZERO),
        };
        let mut lines = Vec::new();
        match choice {
            Choice::WalkIn => lines.push(SaleLine::WalkInMeal {
                price: priced.quote.paid,
            }),
            Choice::Diner(i) => {
                let d = self.roster.get(i).ok_or(FlowError::NoCustomer)?;
                lines.push(SaleLine::DinerMeal {
                    diner_id: DinerId(d.diner.id.0),
                    standard: priced.quote.standard,
                    paid: priced.quote.paid,
                    subsidy: priced.quote.subsidy,
                    bracket: priced.quote.bracket.clone(),
                    category: priced.quote.category.clone(),
                });
            }
        }
        for (e, &n) in self.extras_menu.iter().zip(&self.quantities) {
            if n > 0 {
                lines.push(SaleLine::Extra {
                    name: e.name.clone(),
                    unit_price: e.price,
                    quantity: n,
                });
            }
        }
        let sale = Sale {
            id: SaleId(uuid::Uuid::now_v7()),
            site_id: SiteId(self.setup.site_id),
            terminal_id: TerminalId(self.setup.terminal_id),
            cashier_id: UserId(shift.cashier_id),
            sold_at: self.clock.now(),
            business_date: self.today(),
            slot: self.slot(),
            lines,
            payment,
        };
        sale.validate()
            .map_err(|e| FlowError::BadSale(e.to_string()))?;
        self.store.record_sale(shift.id, &sale)?;
        self.last_sale = Some(sale.id);
        self.clear();
        let ctx = self.context_for(&sale, shift.cashier_id);
        let print_error = self.printing.sale(&sale, &ctx, false).err();
        Ok(Confirmed {
            sale,
            change,
            print_error,
        })
    }

    /// The last sale confirmed here.
    pub fn last_sale(&self) -> Option<SaleId> {
        self.last_sale
    }

    /// Prints a stored sale again (marked as a copy).
    pub fn reprint(&mut self, sale: SaleId) -> FlowResult<Result<(), String>> {
        let s = self.store.sale(sale.0)?.ok_or(FlowError::NoSuchSale)?;
        let ctx = self.context_for(&s, s.cashier_id.0);
        Ok(self.printing.sale(&s, &ctx, true))
    }

    /// The text of the last document printed (the on-screen preview).
    pub fn preview(&self) -> &str {
        self.printing.last_text()
    }

    /// Today's sales here, newest first.
    pub fn today_sales(&self) -> FlowResult<Vec<Sale>> {
        Ok(self.store.day_sales(self.today())?)
    }

    /// The name for a sale's diner (or 散客).
    pub fn sale_label(&self, sale: &Sale) -> String {
        for line in &sale.lines {
            match line {
                SaleLine::DinerMeal { diner_id, .. } => {
                    return self
                        .roster
                        .index_of(diner_id.0)
                        .and_then(|i| self.roster.get(i))
                        .map(|d| d.diner.name.clone())
                        .unwrap_or_else(|| format!("编号{}", diner_id.0));
                }
                SaleLine::WalkInMeal { .. } => return "散客".into(),
                SaleLine::Extra { .. } => {}
            }
        }
        "散客".into()
    }

    /// Voids one of today's sales: needs the supervisor PIN and a reason.
    pub fn void(&mut self, sale: SaleId, supervisor_pin: &str, reason: &str) -> FlowResult<Void> {
        let shift = self.shift.clone().ok_or(FlowError::NoShift)?;
        if !self.supervisor_pin_ok(supervisor_pin)? {
            return Err(FlowError::WrongPin);
        }
        let s = self.store.sale(sale.0)?.ok_or(FlowError::NoSuchSale)?;
        if s.business_date != self.today() {
            return Err(FlowError::NotToday);
        }
        if self.store.void_of(sale.0)?.is_some() {
            return Err(FlowError::AlreadyVoided);
        }
        let void = Void {
            id: VoidId(uuid::Uuid::now_v7()),
            sale_id: sale,
            site_id: SiteId(self.setup.site_id),
            terminal_id: TerminalId(self.setup.terminal_id),
            voided_by: UserId(shift.cashier_id),
            voided_at: self.clock.now(),
            reason: reason.trim().to_string(),
        };
        void.validate().map_err(|_| FlowError::NoReason)?;
        self.store.record_void(&void)?;
        let ctx = self.context_for(&s, shift.cashier_id);
        // The void is stored; a printer problem only loses the slip.
        let _ = self.printing.void(&void, &s, &ctx);
        Ok(void)
    }

    /// The open shift's figures so far.
    pub fn tally(&self) -> FlowResult<ShiftTally> {
        let shift = self.shift.as_ref().ok_or(FlowError::NoShift)?;
        let sales = self.store.shift_sales(shift.id)?;
        let voids = self.store.voids()?;
        Ok(ShiftTally::of(
            Money::from_fen(shift.opening_float),
            &sales,
            &voids,
        ))
    }

    /// Closes the shift with the counted cash and prints the report.
    pub fn close_shift(&mut self, counted: Money) -> FlowResult<Closed> {
        let shift = self.shift.clone().ok_or(FlowError::NoShift)?;
        if counted.is_negative() {
            return Err(FlowError::BadAmount("不能为负数".into()));
        }
        let tally = self.tally()?;
        let now = self.clock.now();
        self.store.close_shift(shift.id, now, counted.fen())?;
        let sales = self.store.shift_sales(shift.id)?;
        let voids = self.store.voids()?;
        let ctx = self.context(shift.cashier_id);
        let report = ShiftReport::from_sales(
            &ctx,
            &ShiftClose {
                opened_at: shift.opened_at,
                closed_at: now,
                opening_float: Money::from_fen(shift.opening_float),
                cash_counted: counted,
            },
            &sales,
            &voids,
        );
        let print_error = self.printing.shift(&report).err();
        self.shift = None;
        self.clear();
        Ok(Closed {
            difference: tally.difference(counted),
            tally,
            counted,
            print_error,
        })
    }

    /// How many records wait to be synced.
    pub fn outbox_count(&self) -> FlowResult<i64> {
        Ok(self.store.outbox_count()?)
    }

    /// Backend notes not yet shown, marked shown (at the next sale).
    pub fn take_notices(&mut self) -> FlowResult<Vec<String>> {
        let notes = self.store.unseen_notices()?;
        if let Some(last) = notes.last() {
            self.store.mark_notices_shown(last.id)?;
        }
        self.notices = notes.into_iter().map(|n| n.text).collect();
        Ok(self.notices.clone())
    }

    /// Diner names for display, by id.
    pub fn diner_names(&self) -> HashMap<i64, String> {
        (0..self.roster.len())
            .filter_map(|i| self.roster.get(i))
            .map(|d| (d.diner.id.0, d.diner.name.clone()))
            .collect()
    }
}

/// The ID-hash key from its hex form (raw bytes when it is not hex).
pub fn hex_key(text: &str) -> Vec<u8> {
    let t = text.trim();
    if t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..t.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
            .collect()
    } else {
        t.as_bytes().to_vec()
    }
}
