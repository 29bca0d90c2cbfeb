//! Roster import time (printed, not asserted): 20,000 and 100,000 CSV rows
//! with ID numbers, read and checked as the import endpoint does. The
//! target is 100,000 rows in under 2 s; five times the rows should take
//! about five times as long.
//! Run: `cargo bench -p backend --bench import`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benches may panic on a broken fixture

use std::collections::HashMap;
use std::time::Instant;

use backend::import::{Cancel, ImportLimits, parse_roster, read_table};
use chrono::NaiveDate;

fn ledger(n: usize) -> String {
    let mut csv = String::from("姓名,身份证号,村,类别\n");
    for i in 0..n {
        let first17 = format!("530922{}{:03}", 19_400_101 + (i % 28), i % 1000);
        let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap();
        let id = format!(
            "{first17}{}",
            canteen_core::resident_id::check_character(&bytes)
        );
        csv.push_str(&format!("王{i},{id},大寨村,tekun\n"));
    }
    csv
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    for n in [20_000, 100_000] {
        let csv = ledger(n);
        let started = Instant::now();
        let cancel = Cancel::default();
        let table = read_table(csv.as_bytes(), &ImportLimits::default(), &cancel).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today, &cancel).unwrap();
        let took = started.elapsed();
        assert_eq!(parsed.good.len() + parsed.bad.len(), n);
        println!(
            "roster import: {n} CSV rows ({} KB) in {took:?} (target for 100,000: under 2 s)",
            csv.len() / 1024
        );
    }
}
