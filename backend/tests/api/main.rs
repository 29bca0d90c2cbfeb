//! The backend over HTTP: a real server on a random port, on SQLite and on
//! PostgreSQL (when CANTEEN_TEST_POSTGRES_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod helpers;

mod bad_input;
mod document;
mod edge;
mod finance;
mod first_meal;
mod idempotency;
mod misc;
mod registration;
mod roles;
mod roster_import;
mod storage;
mod terminal_flow;
mod terminal_privacy;
