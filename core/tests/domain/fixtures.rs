//! Builders for the canteen's records, shared by the tests.

use canteen_core::{
    CategoryCode, CategoryGrant, Diner, DinerId, Money, MonthClose, Payment, PolicyBook,
    PricePolicy, PricePolicyDraft, Received, Sale, SaleId, SaleLine, SiteId, Slot, TerminalId,
    UserId, Void, VoidId, YearMonth,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

pub const CANTEEN: SiteId = SiteId(1);
pub const COMMUNE: SiteId = SiteId(2);

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A UTC instant on a day, at hour:minute.
pub fn at(day: NaiveDate, h: u32, min: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(h, min, 0).unwrap())
}

pub fn month(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

pub use canteen_core::example::prices;

/// Standard 5/12/10; brackets 65-69, 70-79, 80-89, 90+; 特困; split 50/30/20.
pub fn policy(site: SiteId, from: NaiveDate) -> PricePolicyDraft {
    canteen_core::example::dazhai_policy(site, from)
}

pub fn book(drafts: Vec<PricePolicyDraft>) -> PolicyBook {
    PolicyBook::new(
        drafts
            .into_iter()
            .map(|p| PricePolicy::try_from(p).unwrap())
            .collect(),
    )
    .unwrap()
}

/// Both sites on the same policy from 2026-01-01.
pub fn standard_book() -> PolicyBook {
    book(vec![
        policy(CANTEEN, d(2026, 1, 1)),
        policy(COMMUNE, d(2026, 1, 1)),
    ])
}

pub fn diner(id: i64, birth: NaiveDate) -> Diner {
    Diner {
        id: DinerId(id),
        name: format!("食客{id}"),
        resident_id: None,
        birth_date: Some(birth),
        village: None,
        card_no: None,
        active_from: None,
        inactive_since: None,
        categories: vec![],
    }
}

pub fn with_category(mut diner: Diner, code: &str, from: NaiveDate) -> Diner {
    diner.categories.push(CategoryGrant {
        category: CategoryCode(code.into()),
        from,
        until: None,
    });
    diner
}

/// A one-line sale of a diner meal at the given price, paid by QR.
#[allow(clippy::too_many_arguments)] // reads like a ledger row in the tests
pub fn meal(
    n: u128,
    site: SiteId,
    diner: i64,
    day: NaiveDate,
    slot: Slot,
    standard: i64,
    paid: i64,
    sold_at: DateTime<Utc>,
) -> Sale {
    Sale {
        id: SaleId(Uuid::from_u128(n)),
        site_id: site,
        terminal_id: TerminalId(1),
        cashier_id: UserId(1),
        sold_at,
        business_date: day,
        slot,
        lines: vec![SaleLine::DinerMeal {
            diner_id: DinerId(diner),
            standard: Money::from_fen(standard),
            paid: Money::from_fen(paid),
            subsidy: Money::from_fen(standard - paid),
            bracket: None,
            category: None,
        }],
        payment: Payment::Qr { reference: None },
    }
}

pub fn received<T>(record: T, received_at: DateTime<Utc>) -> Received<T> {
    Received {
        record,
        received_at,
    }
}

pub fn void(n: u128, sale: &Sale, at: DateTime<Utc>) -> Void {
    Void {
        id: VoidId(Uuid::from_u128(n)),
        sale_id: sale.id,
        site_id: sale.site_id,
        terminal_id: sale.terminal_id,
        voided_by: UserId(1),
        voided_at: at,
        reason: "按错了".into(),
    }
}

pub fn close(site: SiteId, m: YearMonth, closed_at: DateTime<Utc>) -> MonthClose {
    MonthClose {
        site_id: site,
        month: m,
        closed_at,
    }
}
