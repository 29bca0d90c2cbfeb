//! Integration tests of canteen-core through its public API.

mod claim;
mod fixtures;
mod properties;
