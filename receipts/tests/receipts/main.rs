//! Integration tests of the receipts crate: one binary, a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod bitmap;
use receipts::test_support as decoder;
mod errors;
mod fixtures;
mod layout_rules;
mod model;
mod printers;
mod snapshots;
mod text_mode;
