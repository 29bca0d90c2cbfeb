//! Builders for the canteen's records, shared by the tests.

use std::collections::BTreeMap;

use canteen_core::policy::{AgeBracket, CategoryPrice, FundingShare};
use canteen_core::{
    CategoryCode, CategoryGrant, Diner, DinerId, Money, MonthClose, Payment, PolicyBook,
    PricePolicy, PricePolicyDraft, Received, Sale, SaleId, SaleLine, SiteId, Slot, TerminalId,
    UserId, Void, VoidId, YearMonth,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
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

pub fn prices(b: i64, l: i64, dn: i64) -> BTreeMap<Slot, Money> {
    BTreeMap::from([
        (Slot::Breakfast, Money::from_fen(b)),
        (Slot::Lunch, Money::from_fen(l)),
        (Slot::Dinner, Money::from_fen(dn)),
    ])
}

fn bracket(name: &str, min: u32, max: Option<u32>, p: BTreeMap<Slot, Money>) -> AgeBracket {
    AgeBracket {
        name: name.into(),
        min_age: min,
        max_age: max,
        prices: p,
    }
}

/// Standard 5/12/10; brackets 65-69, 70-79, 80-89, 90+; 特困; split 50/30/20.
pub fn policy(site: SiteId, from: NaiveDate) -> PricePolicyDraft {
    PricePolicyDraft {
        site_id: site,
        effective_from: from,
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
