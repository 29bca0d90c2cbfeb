//! The cashier's touchscreen terminal: identifies the diner, prices the meal
//! with `canteen-core`, stores every sale durably on the terminal before its
//! receipt prints, and syncs sales to the backend exactly once when the
//! network allows.
//!
//! It never needs the network to sell a meal. The flow ([`flow::Terminal`]),
//! the local store, printing and sync are plain Rust, testable without a
//! window; [`ui`] is the thin Slint layer on top.

#![warn(missing_docs)]

pub mod demo;
pub mod flow;
pub mod printing;
pub mod roster;
pub mod store;
pub mod sync;
pub mod ui;
