//! Integration tests of the receipts crate: one binary, a module per area.

mod bitmap;
mod decoder;
mod fixtures;
mod model;
mod printers;
mod snapshots;
mod text_mode;
