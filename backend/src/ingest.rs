//! Sales and voids from terminals: checked, re-priced with the core and
//! made ready to store. The backend keeps its own verdict beside what the
//! terminal charged; it never changes what the terminal recorded.

use std::collections::{HashMap, HashSet};

use canteen_core::{
    Customer, Diner, DinerId, Money, Payment, PolicyBook, Quote, Sale, SaleLine, SiteId,
    TerminalId, UserId, Void, quote,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::sha256_hex;
use crate::domain::{StoredDataError, diner_from_row, local_date, policy_book};
use crate::roles::Role;
use crate::store::{Db, LineToStore, SaleToStore, Site, Terminal, User, Verdict, VoidToStore};

/// Why a posted sale or void is refused: said for the cashier, the record
/// kept on the terminal. A refused record never blocks the others.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The sale is for another site than the terminal's.
    #[error("the sale is for site {sale}, but this terminal belongs to site {terminal}")]
    OtherSite {
        /// The site the sale names.
        sale: SiteId,
        /// The terminal's site.
        terminal: SiteId,
    },
    /// The sale names another terminal than the one posting it.
    #[error("the sale names terminal {named}, but was sent by terminal {sender}")]
    OtherTerminal {
        /// The terminal the sale names.
        named: TerminalId,
        /// The terminal posting it.
        sender: TerminalId,
    },
    /// The cashier is not an active cashier of the site.
    #[error("user {0} is not an active cashier of this site")]
    NotACashier(UserId),
    /// The sale breaks a rule of the sale model.
    #[error(transparent)]
    Sale(#[from] canteen_core::SaleError),
    /// The void breaks a rule of the void model.
    #[error(transparent)]
    Void(#[from] canteen_core::VoidError),
    /// An amount beyond any canteen sale.
    #[error("{what} {amount} is beyond any canteen sale (at most {max})", max = Money::from_fen(MAX_AMOUNT_FEN))]
    AmountTooLarge {
        /// Which amount.
        what: String,
        /// The amount.
        amount: Money,
    },
    /// Amounts whose sum does not fit.
    #[error("amounts are too large")]
    Overflow,
    /// Too many lines.
    #[error("a sale has at most {MAX_LINES} lines")]
    TooManyLines,
    /// An extra item's name is too long.
    #[error("line {0}: an item name has at most 100 characters")]
    LongItemName(usize),
    /// The QR payment reference is too long.
    #[error("a payment reference has at most 200 characters")]
    LongReference,
    /// A business date before the programme.
    #[error("the business date {0} is before {EARLIEST_DATE}: check the terminal's clock")]
    DateTooEarly(NaiveDate),
    /// A business date after tomorrow.
    #[error(
        "the business date {date} is more than a day after today ({today}): check the terminal's clock"
    )]
    DateTooLate {
        /// The sale's business date.
        date: NaiveDate,
        /// Today at the site.
        today: NaiveDate,
    },
    /// A diner meal for someone not on the township's roster.
    #[error("line {line}: diner {diner} is not on this township's roster")]
    UnknownDiner {
        /// 1-based line.
        line: usize,
        /// The diner named.
        diner: DinerId,
    },
    /// The void's id is the nil UUID.
    #[error("the void id is the nil UUID: the terminal must make a random id")]
    NilVoidId,
    /// The void names another site or terminal than the one sending it.
    #[error("the void names another site or terminal than the one sending it")]
    VoidElsewhere,
    /// The record cannot be written as JSON to be kept.
    #[error("the record cannot be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What fails a whole batch (not one record): storage, or stored data that
/// does not read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Stored roster or policy data does not read.
    #[error(transparent)]
    Stored(#[from] StoredDataError),
}

/// Most records in one batch.
pub const MAX_BATCH: usize = 500;

/// Largest amount of money on any sale, line or shift: ¥100,000. Far above
/// any canteen sale, far below where sums could overflow.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000;

/// Checks that an amount is within [`MAX_AMOUNT_FEN`].
pub fn check_amount(what: &str, m: Money) -> Result<(), Refusal> {
    if m.fen().abs() > MAX_AMOUNT_FEN {
        return Err(Refusal::AmountTooLarge {
            what: what.to_string(),
            amount: m,
        });
    }
    Ok(())
}

/// Most lines in one sale.
pub const MAX_LINES: usize = 50;

/// No sale is older than the programme.
const EARLIEST_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => chrono::NaiveDate::MIN,
};

/// What the terminal's site knows for a batch: its cashiers, diners and
/// price policies.
struct Context {
    cashiers: HashMap<UserId, User>,
    diners: HashMap<DinerId, Diner>,
    policies: PolicyBook,
}

async fn context(
    store: &Db,
    site: &Site,
    cashier_ids: Vec<UserId>,
    diner_ids: Vec<DinerId>,
) -> Result<Context, IngestError> {
    // Three reads at once, on three connections: every post waits for them.
    // Only the users the batch names: a township may have many.
    let (users, diner_rows, policy_rows) = tokio::try_join!(
        store.users_by_ids(site.township_id, &cashier_ids),
        store.diners_by_ids(site.township_id, diner_ids),
        store.policies_since(site.id, 0),
    )?;
    let cashiers = users
        .into_iter()
        .filter(|u| u.active && u.role == Role::Cashier && u.site_id == Some(site.id))
        .map(|u| (u.id, u))
        .collect();
    let mut diners = HashMap::new();
    for row in diner_rows {
        diners.insert(row.id, diner_from_row(&row)?);
    }
    let policies = policy_book(&policy_rows)?;
    Ok(Context {
        cashiers,
        diners,
        policies,
    })
}

fn verdict(q: &Quote) -> Result<Verdict, serde_json::Error> {
    Ok(Verdict {
        standard: q.standard,
        paid: q.paid,
        subsidy: q.subsidy,
        bracket: q.bracket.clone(),
        category: q.category.as_ref().map(|c| c.0.clone()),
        reason: serde_json::to_string(&q.reason)?,
    })
}

/// The canonical text of a sale: what "the same sale" means.
pub fn canonical<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(value)
}

fn check_sale(
    sale: &Sale,
    terminal: &Terminal,
    site: &Site,
    ctx: &Context,
    now: DateTime<Utc>,
) -> Result<SaleToStore, Refusal> {
    if sale.site_id != site.id {
        return Err(Refusal::OtherSite {
            sale: sale.site_id,
            terminal: site.id,
        });
    }
    if sale.terminal_id != terminal.id {
        return Err(Refusal::OtherTerminal {
            named: sale.terminal_id,
            sender: terminal.id,
        });
    }
    if !ctx.cashiers.contains_key(&sale.cashier_id) {
        return Err(Refusal::NotACashier(sale.cashier_id));
    }
    sale.validate()?;
    for (i, line) in sale.lines.iter().enumerate() {
        let amounts: Vec<Money> = match line {
            SaleLine::DinerMeal {
                standard,
                paid,
                subsidy,
                ..
            } => vec![*standard, *paid, *subsidy],
            SaleLine::WalkInMeal { price } => vec![*price],
            SaleLine::Extra { unit_price, .. } => vec![
                *unit_price,
                line.amount().unwrap_or(Money::from_fen(i64::MAX)),
            ],
        };
        for m in amounts {
            check_amount(&format!("line {}: the amount", i + 1), m)?;
        }
    }
    if let Payment::Cash { tendered, change } = sale.payment {
        check_amount("the cash tendered", tendered)?;
        check_amount("the change", change)?;
    }
    if sale.lines.len() > MAX_LINES {
        return Err(Refusal::TooManyLines);
    }
    for (i, line) in sale.lines.iter().enumerate() {
        if let SaleLine::Extra { name, .. } = line
            && name.chars().count() > 100
        {
            return Err(Refusal::LongItemName(i + 1));
        }
    }
    if let Payment::Qr { reference: Some(r) } = &sale.payment
        && r.chars().count() > 200
    {
        return Err(Refusal::LongReference);
    }
    let today = local_date(now, site.utc_offset_minutes);
    if sale.business_date < EARLIEST_DATE {
        return Err(Refusal::DateTooEarly(sale.business_date));
    }
    if sale.business_date > today + chrono::Duration::days(1) {
        return Err(Refusal::DateTooLate {
            date: sale.business_date,
            today,
        });
    }
    let mut lines = Vec::with_capacity(sale.lines.len());
    for (i, line) in sale.lines.iter().enumerate() {
        let n = i + 1;
        lines.push(match line {
            SaleLine::DinerMeal {
                diner_id,
                standard,
                paid,
                subsidy,
                bracket,
                category,
            } => {
                let diner = ctx.diners.get(diner_id).ok_or(Refusal::UnknownDiner {
                    line: n,
                    diner: *diner_id,
                })?;
                let price = |already| {
                    quote(
                        &ctx.policies,
                        site.id,
                        Customer::Diner(diner),
                        sale.business_date,
                        sale.slot,
                        already,
                    )
                    .ok()
                    .map(|q| verdict(&q))
                    .transpose()
                };
                LineToStore {
                    kind: "diner_meal".into(),
                    diner_id: Some(*diner_id),
                    name: None,
                    quantity: 1,
                    standard: Some(*standard),
                    amount: *paid,
                    subsidy: *subsidy,
                    bracket: bracket.clone(),
                    category: category.as_ref().map(|c| c.0.clone()),
                    first: price(false)?,
                    repeat: price(true)?,
                }
            }
            SaleLine::WalkInMeal { price } => LineToStore {
                kind: "walk_in_meal".into(),
                diner_id: None,
                name: None,
                quantity: 1,
                standard: Some(*price),
                amount: *price,
                subsidy: Money::ZERO,
                bracket: None,
                category: None,
                first: None,
                repeat: None,
            },
            SaleLine::Extra {
                name,
                unit_price,
                quantity,
            } => LineToStore {
                kind: "extra".into(),
                diner_id: None,
                name: Some(name.clone()),
                quantity: i64::from(*quantity),
                standard: Some(*unit_price),
                amount: line.amount().ok_or(Refusal::Overflow)?,
                subsidy: Money::ZERO,
                bracket: None,
                category: None,
                first: None,
                repeat: None,
            },
        });
    }
    let body = canonical(sale)?;
    Ok(SaleToStore {
        id: sale.id,
        township_id: site.township_id,
        site_id: site.id,
        terminal_id: terminal.id,
        cashier_id: sale.cashier_id,
        sold_at: sale.sold_at,
        business_date: sale.business_date,
        slot: sale.slot,
        total_paid: sale.total_paid().ok_or(Refusal::Overflow)?,
        subsidy_total: sale.subsidy_total(),
        cash_taken: sale.cash_taken(),
        payment_method: match sale.payment {
            Payment::Cash { .. } => "cash".into(),
            Payment::Qr { .. } => "qr".into(),
        },
        content_hash: sha256_hex(&body),
        body,
        lines,
    })
}

/// Checks and prices a batch: each sale ready to store, or why not.
pub async fn prepare_sales(
    store: &Db,
    terminal: &Terminal,
    site: &Site,
    sales: &[Sale],
    now: DateTime<Utc>,
) -> Result<Vec<Result<SaleToStore, Refusal>>, IngestError> {
    let ids: HashSet<DinerId> = sales
        .iter()
        .flat_map(|s| s.lines.iter())
        .filter_map(|l| match l {
            SaleLine::DinerMeal { diner_id, .. } => Some(*diner_id),
            _ => None,
        })
        .collect();
    let cashiers: HashSet<UserId> = sales.iter().map(|s| s.cashier_id).collect();
    let ctx = context(
        store,
        site,
        cashiers.into_iter().collect(),
        ids.into_iter().collect(),
    )
    .await?;
    Ok(sales
        .iter()
        .map(|s| check_sale(s, terminal, site, &ctx, now))
        .collect())
}

/// Checks a batch of voids.
pub async fn prepare_voids(
    store: &Db,
    terminal: &Terminal,
    site: &Site,
    voids: &[Void],
) -> Result<Vec<Result<VoidToStore, Refusal>>, IngestError> {
    let cashiers: HashSet<UserId> = voids.iter().map(|v| v.voided_by).collect();
    let ctx = context(store, site, cashiers.into_iter().collect(), Vec::new()).await?;
    Ok(voids
        .iter()
        .map(|v| {
            if v.id.0.is_nil() {
                return Err(Refusal::NilVoidId);
            }
            if v.site_id != site.id || v.terminal_id != terminal.id {
                return Err(Refusal::VoidElsewhere);
            }
            let Some(user) = ctx.cashiers.get(&v.voided_by) else {
                return Err(Refusal::NotACashier(v.voided_by));
            };
            // Not blank, at most `Void::MAX_REASON_CHARS`: the core's rule,
            // so the terminal can check it before it posts.
            v.validate()?;
            let reason = v.reason.trim();
            let body = canonical(v)?;
            Ok(VoidToStore {
                id: v.id,
                sale_id: v.sale_id,
                site_id: site.id,
                terminal_id: terminal.id,
                voided_by: v.voided_by,
                voided_at: v.voided_at,
                reason: reason.to_string(),
                content_hash: sha256_hex(&body),
                body,
                actor_name: user.username.clone(),
                township_id: site.township_id,
            })
        })
        .collect())
}
