//! Benchmarks of the pure domain: one quote, and the claim of a month with
//! 1,000,000 subsidised meal lines (target: under 1 s on one core).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

use std::hint::black_box;
use std::time::Instant;

use canteen_core::example::dazhai_policy;
use canteen_core::{
    ClaimInput, Customer, Diner, DinerId, Payment, PolicyBook, PricePolicy, Received, Sale, SaleId,
    SaleLine, SiteId, Slot, TerminalId, UserId, YearMonth, quote, reconcile,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use uuid::Uuid;

fn book() -> PolicyBook {
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let mut draft = dazhai_policy(SiteId(1), from);
    draft.categories.clear();
    draft.funding.clear();
    PolicyBook::new(vec![PricePolicy::try_from(draft).expect("policy")]).expect("book")
}

fn roster(n: i64) -> Vec<Diner> {
    (0..n)
        .map(|i| Diner {
            id: DinerId(i),
            name: format!("食客{i}"),
            resident_id: None,
            birth_date: NaiveDate::from_ymd_opt(1930 + (i % 30) as i32, 1 + (i % 12) as u32, 1),
            village: None,
            card_no: None,
            active_from: None,
            inactive_since: None,
            categories: vec![],
        })
        .collect()
}

/// One meal per diner per slot per day of March 2026, priced by the policy.
fn month_of_sales(roster: &[Diner], book: &PolicyBook, lines: usize) -> Vec<Received<Sale>> {
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let mut sales = Vec::with_capacity(lines);
    'outer: for day in 0..31 {
        let date = start + Duration::days(day);
        for slot in Slot::ALL {
            for diner in roster {
                if sales.len() == lines {
                    break 'outer;
                }
                let q = quote(book, SiteId(1), Customer::Diner(diner), date, slot, false)
                    .expect("quote");
                let sold_at = Utc.from_utc_datetime(&date.and_hms_opt(4, 0, 0).expect("time"));
                sales.push(Received {
                    record: Sale {
                        id: SaleId(Uuid::from_u128(sales.len() as u128 + 1)),
                        site_id: SiteId(1),
                        terminal_id: TerminalId(1),
                        cashier_id: UserId(1),
                        sold_at,
                        business_date: date,
                        slot,
                        lines: vec![SaleLine::DinerMeal {
                            diner_id: diner.id,
                            standard: q.standard,
                            paid: q.paid,
                            subsidy: q.subsidy,
                            bracket: q.bracket,
                            category: q.category,
                        }],
                        payment: Payment::Qr { reference: None },
                    },
                    received_at: sold_at,
                });
            }
        }
    }
    sales
}

fn benches(c: &mut Criterion) {
    let book = book();
    let people = roster(10_800);
    let date = NaiveDate::from_ymd_opt(2026, 3, 16).expect("date");
    c.bench_function("quote one meal", |b| {
        b.iter(|| {
            quote(
                black_box(&book),
                SiteId(1),
                Customer::Diner(black_box(&people[7])),
                date,
                Slot::Lunch,
                false,
            )
        })
    });

    let sales = month_of_sales(&people, &book, 1_000_000);
    let input = ClaimInput {
        site_id: SiteId(1),
        month: YearMonth::new(2026, 3).expect("month"),
        sales: &sales,
        voids: &[],
        free_meals: &[],
        roster: &people,
        policies: &book,
        closes: &[],
    };
    let started = Instant::now();
    let claim = reconcile(&input);
    println!(
        "reconcile: {} sale lines -> {} claimed, subsidy {} in {:.3} s (target < 1 s)",
        sales.len(),
        claim.total.meals,
        claim.total.subsidy,
        started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("reconcile");
    group.sample_size(10);
    group.bench_function("one month, 1,000,000 sale lines", |b| {
        b.iter(|| reconcile(black_box(&input)))
    });
    group.finish();
}

criterion_group!(core_benches, benches);
criterion_main!(core_benches);
