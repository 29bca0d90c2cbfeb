//! Sales, voids and shifts the tests print.

use canteen_core::resident_id::check_character;
use canteen_core::{
    CategoryCode, Diner, DinerId, Money, Payment, ResidentId, Sale, SaleId, SaleLine, SiteId, Slot,
    TerminalId, UserId, Void, VoidId,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use receipts::{Paper, Receipt, SaleContext, ShiftClose, ShiftReport, VoidSlip};
use uuid::Uuid;

/// A valid ID number from its first 17 digits.
pub fn resident_id(first17: &str) -> ResidentId {
    let digits: [u8; 17] = first17.as_bytes().try_into().unwrap();
    ResidentId::parse(&format!("{first17}{}", check_character(&digits))).unwrap()
}

pub fn diner(id: i64, name: &str, first17: &str) -> Diner {
    Diner {
        id: DinerId(id),
        name: name.into(),
        resident_id: Some(resident_id(first17)),
        birth_date: None,
        village: Some("大寨村".into()),
        card_no: None,
        active_from: None,
        inactive_since: None,
        categories: vec![],
    }
}

pub fn wang() -> Diner {
    diner(1, "王秀英", "53092219520315004")
}

pub fn li() -> Diner {
    diner(2, "李桂芬", "53092219580601002")
}

pub fn long_name() -> Diner {
    diner(3, "欧阳娜仁其其格·额尔敦巴雅尔", "53092219500101003")
}

pub fn elder() -> Diner {
    diner(4, "杨老太", "53092219340501002")
}

/// A UTC instant for a local (UTC+8) time on 2 March 2026.
pub fn local(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap() - chrono::Duration::hours(8)
}

pub fn context() -> SaleContext {
    let mut ctx = SaleContext::new("大寨乡幸福食堂", "大寨村幸福公社", "1号收银台", "张丽")
        .with_diner(&wang())
        .with_diner(&li())
        .with_diner(&long_name())
        .with_diner(&elder());
    ctx.categories
        .insert(CategoryCode("dibao".into()), "低保".into());
    ctx.footer = vec![
        "谢谢惠顾，祝您健康长寿！".into(),
        "监督电话 0883-1234567".into(),
    ];
    ctx
}

fn sale(n: u128, at: DateTime<Utc>, lines: Vec<SaleLine>, payment: Payment) -> Sale {
    let sale = Sale {
        id: SaleId(Uuid::from_u128(
            0x0192_d0a4_7c1e_7abc_8def_0000_0000_0000 + n,
        )),
        site_id: SiteId(1),
        terminal_id: TerminalId(1),
        cashier_id: UserId(7),
        sold_at: at,
        business_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        slot: Slot::Lunch,
        lines,
        payment,
    };
    sale.validate().unwrap();
    sale
}

fn meal(
    diner: &Diner,
    standard: i64,
    paid: i64,
    bracket: Option<&str>,
    category: Option<&str>,
) -> SaleLine {
    SaleLine::DinerMeal {
        diner_id: diner.id,
        standard: Money::from_fen(standard),
        paid: Money::from_fen(paid),
        subsidy: Money::from_fen(standard - paid),
        bracket: bracket.map(String::from),
        category: category.map(|c| CategoryCode(c.into())),
    }
}

fn cash(tendered: i64, change: i64) -> Payment {
    Payment::Cash {
        tendered: Money::from_fen(tendered),
        change: Money::from_fen(change),
    }
}

/// Two subsidised diners and two eggs, paid in cash.
pub fn typical_sale() -> Sale {
    sale(
        0x11,
        local(11, 42),
        vec![
            meal(&wang(), 1200, 600, Some("70-79"), None),
            meal(&li(), 1200, 300, Some("65-69"), Some("dibao")),
            SaleLine::Extra {
                name: "鸡蛋".into(),
                unit_price: Money::from_fen(150),
                quantity: 2,
            },
        ],
        cash(2000, 800),
    )
}

pub fn long_name_sale() -> Sale {
    sale(
        0x12,
        local(11, 50),
        vec![meal(&long_name(), 1200, 600, Some("70-79"), None)],
        cash(1000, 400),
    )
}

/// A 91-year-old eats free.
pub fn free_meal_sale() -> Sale {
    sale(
        0x13,
        local(11, 55),
        vec![meal(&elder(), 1200, 0, Some("90+"), None)],
        cash(0, 0),
    )
}

/// Someone not on the roster, paying by QR code, with a drink.
pub fn walk_in_sale() -> Sale {
    sale(
        0x14,
        local(12, 5),
        vec![
            SaleLine::WalkInMeal {
                price: Money::from_fen(1200),
            },
            SaleLine::Extra {
                name: "豆浆".into(),
                unit_price: Money::from_fen(200),
                quantity: 1,
            },
        ],
        Payment::Qr {
            reference: Some("4200001234202603021205".into()),
        },
    )
}

pub fn void_of_typical() -> Void {
    Void {
        id: VoidId(Uuid::from_u128(0x99)),
        sale_id: typical_sale().id,
        site_id: SiteId(1),
        terminal_id: TerminalId(1),
        voided_by: UserId(7),
        voided_at: local(11, 47),
        reason: "餐次选错，王秀英改为晚餐".into(),
    }
}

pub fn receipt(sale: &Sale) -> Receipt {
    Receipt::from_sale(sale, &context()).unwrap()
}

pub fn void_slip() -> VoidSlip {
    VoidSlip::from_void(&void_of_typical(), &typical_sale(), &context()).unwrap()
}

pub fn shift_report() -> ShiftReport {
    let shift = ShiftClose {
        opened_at: local(6, 30),
        closed_at: local(19, 10),
        opening_float: Money::from_fen(20000),
        cash_counted: Money::from_fen(20500),
    };
    let sales = [
        typical_sale(),
        long_name_sale(),
        free_meal_sale(),
        walk_in_sale(),
    ];
    ShiftReport::from_sales(&context(), &shift, &sales, &[void_of_typical()])
}

/// Every document the tests print, by name.
pub fn documents(paper: Paper) -> Vec<(&'static str, receipts::Layout)> {
    vec![
        ("typical", receipt(&typical_sale()).layout(paper)),
        ("long_name", receipt(&long_name_sale()).layout(paper)),
        ("free_meal_90", receipt(&free_meal_sale()).layout(paper)),
        ("walk_in", receipt(&walk_in_sale()).layout(paper)),
        ("void", void_slip().layout(paper)),
        ("shift_report", shift_report().layout(paper)),
    ]
}
