//! Integration tests of canteen-core through its public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod claim;
mod fixtures;
mod properties;
mod review;
