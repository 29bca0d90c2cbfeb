//! Demo seeding (`--demo`): stub until written.

use crate::app::FirstAdmin;
use crate::store::Db;

/// Seeds the demo site.
pub async fn seed(_store: &Db) -> Result<FirstAdmin, String> {
    Err("demo not ready".into())
}
