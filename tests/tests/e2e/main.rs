//! End-to-end: the real backend on a random port, a terminal (core pricing
//! plus receipts to a printer on 127.0.0.1) talking to it over HTTP, on
//! SQLite and, when CANTEEN_TEST_POSTGRES_URL is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod cashier_day;
mod harness;
