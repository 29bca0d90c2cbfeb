//! Sales and voids from terminals: checked, re-priced with the core and
//! made ready to store. The backend keeps its own verdict beside what the
//! terminal charged; it never changes what the terminal recorded.

use std::collections::{HashMap, HashSet};

use canteen_core::{
    Customer, Diner, DinerId, Money, Payment, PolicyBook, Quote, Sale, SaleLine, UserId, Void,
    quote,
};
use chrono::{DateTime, Utc};

use crate::auth::sha256_hex;
use crate::domain::{diner_from_row, local_date, policy_book};
use crate::roles::Role;
use crate::store::{
    Db, LineToStore, SaleToStore, Site, StoreResult, Terminal, User, Verdict, VoidToStore,
};

/// Most records in one batch.
pub const MAX_BATCH: usize = 500;

/// Largest amount of money on any sale, line or shift: ¥100,000. Far above
/// any canteen sale, far below where sums could overflow.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000;

/// Checks that an amount is within [`MAX_AMOUNT_FEN`].
pub fn check_amount(what: &str, m: Money) -> Result<(), String> {
    if m.fen().abs() > MAX_AMOUNT_FEN {
        return Err(format!(
            "{what} {m} is beyond any canteen sale (at most {})",
            Money::from_fen(MAX_AMOUNT_FEN)
        ));
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

async fn context(store: &Db, site: &Site, diner_ids: Vec<DinerId>) -> StoreResult<Context> {
    let cashiers = store
        .users(Some(site.township_id))
        .await?
        .into_iter()
        .filter(|u| u.active && u.role == Role::Cashier && u.site_id == Some(site.id))
        .map(|u| (u.id, u))
        .collect();
    let mut diners = HashMap::new();
    for row in store.diners_by_ids(site.township_id, diner_ids).await? {
        match diner_from_row(&row) {
            Ok(d) => {
                diners.insert(row.id, d);
            }
            Err(e) => tracing::error!(error = %e, "unreadable diner"),
        }
    }
    let policies = policy_book(&store.policies_since(site.id, 0).await?);
    Ok(Context {
        cashiers,
        diners,
        policies,
    })
}

fn verdict(q: &Quote) -> Verdict {
    Verdict {
        standard: q.standard,
        paid: q.paid,
        subsidy: q.subsidy,
        bracket: q.bracket.clone(),
        category: q.category.as_ref().map(|c| c.0.clone()),
        reason: serde_json::to_string(&q.reason).unwrap_or_default(),
    }
}

/// The canonical text of a sale: what "the same sale" means.
pub fn canonical<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn check_sale(
    sale: &Sale,
    terminal: &Terminal,
    site: &Site,
    ctx: &Context,
    now: DateTime<Utc>,
) -> Result<SaleToStore, String> {
    if sale.site_id != site.id {
        return Err(format!(
            "the sale is for site {}, but this terminal belongs to site {}",
            sale.site_id, site.id
        ));
    }
    if sale.terminal_id != terminal.id {
        return Err(format!(
            "the sale names terminal {}, but was sent by terminal {}",
            sale.terminal_id, terminal.id
        ));
    }
    if !ctx.cashiers.contains_key(&sale.cashier_id) {
        return Err(format!(
            "user {} is not an active cashier of this site",
            sale.cashier_id
        ));
    }
    sale.validate().map_err(|e| e.to_string())?;
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
        return Err(format!("a sale has at most {MAX_LINES} lines"));
    }
    for (i, line) in sale.lines.iter().enumerate() {
        if let SaleLine::Extra { name, .. } = line
            && name.chars().count() > 100
        {
            return Err(format!(
                "line {}: an item name has at most 100 characters",
                i + 1
            ));
        }
    }
    if let Payment::Qr { reference: Some(r) } = &sale.payment
        && r.chars().count() > 200
    {
        return Err("a payment reference has at most 200 characters".into());
    }
    let today = local_date(now, site.utc_offset_minutes);
    if sale.business_date < EARLIEST_DATE {
        return Err(format!(
            "the business date {} is before {EARLIEST_DATE}: check the terminal's clock",
            sale.business_date
        ));
    }
    if sale.business_date > today + chrono::Duration::days(1) {
        return Err(format!(
            "the business date {} is more than a day after today ({today}): check the terminal's clock",
            sale.business_date
        ));
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
                let diner = ctx.diners.get(diner_id).ok_or_else(|| {
                    format!("line {n}: diner {diner_id} is not on this township's roster")
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
                    first: price(false),
                    repeat: price(true),
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
                amount: line.amount().ok_or("amounts are too large")?,
                subsidy: Money::ZERO,
                bracket: None,
                category: None,
                first: None,
                repeat: None,
            },
        });
    }
    let body = canonical(sale);
    Ok(SaleToStore {
        id: sale.id,
        township_id: site.township_id,
        site_id: site.id,
        terminal_id: terminal.id,
        cashier_id: sale.cashier_id,
        sold_at: sale.sold_at,
        business_date: sale.business_date,
        slot: sale.slot,
        total_paid: sale.total_paid().ok_or("amounts are too large")?,
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
) -> StoreResult<Vec<Result<SaleToStore, String>>> {
    let ids: HashSet<DinerId> = sales
        .iter()
        .flat_map(|s| s.lines.iter())
        .filter_map(|l| match l {
            SaleLine::DinerMeal { diner_id, .. } => Some(*diner_id),
            _ => None,
        })
        .collect();
    let ctx = context(store, site, ids.into_iter().collect()).await?;
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
) -> StoreResult<Vec<Result<VoidToStore, String>>> {
    let ctx = context(store, site, Vec::new()).await?;
    Ok(voids
        .iter()
        .map(|v| {
            if v.id.0.is_nil() {
                return Err(
                    "the void id is the nil UUID: the terminal must make a random id".into(),
                );
            }
            if v.site_id != site.id || v.terminal_id != terminal.id {
                return Err(
                    "the void names another site or terminal than the one sending it".into(),
                );
            }
            let Some(user) = ctx.cashiers.get(&v.voided_by) else {
                return Err(format!(
                    "user {} is not an active cashier of this site",
                    v.voided_by
                ));
            };
            // Not blank, at most `Void::MAX_REASON_CHARS`: the core's rule,
            // so the terminal can check it before it posts.
            v.validate().map_err(|e| e.to_string())?;
            let reason = v.reason.trim();
            let body = canonical(v);
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
