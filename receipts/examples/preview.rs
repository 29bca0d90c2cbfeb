//! Prints a sample receipt as plain text and writes bitmap-mode PNG
//! previews for both paper widths.
//!
//! ```sh
//! cargo run -p receipts --example preview -- docs   # docs/receipt-58mm.png, docs/receipt-80mm.png
//! RECEIPTS_FONT=/path/to/font.ttf cargo run -p receipts --example preview -- /tmp
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

use std::path::PathBuf;

use canteen_core::{
    CategoryCode, Diner, DinerId, Money, Payment, ResidentId, Sale, SaleId, SaleLine, SiteId, Slot,
    TerminalId, UserId,
};
use chrono::{NaiveDate, TimeZone, Utc};
use receipts::{BitmapRenderer, FontSpec, Paper, Receipt, SaleContext, escpos, text};
use uuid::Uuid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let started = std::time::Instant::now();
    // The default font and whichever fallback fonts are installed.
    let renderer = match std::env::var_os("RECEIPTS_FONT") {
        Some(path) => BitmapRenderer::load(&FontSpec::new(path))?,
        None => BitmapRenderer::load_default()?,
    };
    let loaded = started.elapsed();

    let wang = Diner {
        id: DinerId(1),
        name: "王秀英".into(),
        resident_id: Some(ResidentId::parse("530922195203150046")?),
        birth_date: None,
        village: None,
        card_no: None,
        active_from: None,
        inactive_since: None,
        categories: vec![],
    };
    let li = Diner {
        id: DinerId(2),
        name: "李桂芬".into(),
        resident_id: Some(ResidentId::parse("530922195806010026")?),
        ..wang.clone()
    };
    let mut ctx = SaleContext::new("大寨乡幸福食堂", "大寨村幸福公社", "1号收银台", "张丽")
        .with_diner(&wang)
        .with_diner(&li);
    ctx.categories
        .insert(CategoryCode("dibao".into()), "低保".into());
    ctx.footer = vec!["谢谢惠顾，祝您健康长寿！".into()];

    let sale = Sale {
        id: SaleId(Uuid::from_u128(0x0192_d0a4_7c1e_7abc_8def_0000_3f2a_9c1b)),
        site_id: SiteId(1),
        terminal_id: TerminalId(1),
        cashier_id: UserId(7),
        sold_at: Utc
            .with_ymd_and_hms(2026, 3, 2, 3, 42, 0)
            .single()
            .ok_or("time")?,
        business_date: NaiveDate::from_ymd_opt(2026, 3, 2).ok_or("date")?,
        slot: Slot::Lunch,
        lines: vec![
            SaleLine::DinerMeal {
                diner_id: wang.id,
                standard: Money::from_fen(1200),
                paid: Money::from_fen(600),
                subsidy: Money::from_fen(600),
                bracket: Some("70-79".into()),
                category: None,
            },
            SaleLine::DinerMeal {
                diner_id: li.id,
                standard: Money::from_fen(1200),
                paid: Money::from_fen(300),
                subsidy: Money::from_fen(900),
                bracket: Some("65-69".into()),
                category: Some(CategoryCode("dibao".into())),
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
            tendered: Money::from_fen(5000),
            change: Money::from_fen(2600),
        },
    };
    sale.validate()?;
    let receipt = Receipt::from_sale(&sale, &ctx)?;

    for (paper, name) in [
        (Paper::Mm58, "receipt-58mm.png"),
        (Paper::Mm80, "receipt-80mm.png"),
    ] {
        let layout = receipt.layout(paper);
        print!("{}", text::render(&layout));
        println!();
        let started = std::time::Instant::now();
        let bitmap = escpos::bitmap_mode(&layout, &renderer)?;
        println!(
            "{paper:?}: text mode {} bytes, bitmap mode {} bytes (drawn in {:?}; font loaded in {loaded:?})",
            escpos::text_mode(&layout)?.len(),
            bitmap.len(),
            started.elapsed(),
        );
        let path = out.join(name);
        std::fs::write(&path, renderer.preview_png(&layout)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
