//! Stored values read back as domain types, in one place: ids as their
//! newtypes, fen as `Money`, Unix milliseconds as UTC times, ISO text as
//! dates, slot names as `Slot`. A value that does not read is a
//! `sqlx::Error::ColumnDecode`, which the store reports as
//! [`StoreError::Corrupt`](super::StoreError::Corrupt), never a default.

use canteen_core::{Money, Slot};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{StoreError, StoreResult};

type Decoded<T> = Result<T, sqlx::Error>;

/// A column whose value does not read as what it holds.
fn unreadable(column: &str, why: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: why.into(),
    }
}

/// An integer column (ids are made from it with their newtype).
pub(super) fn int(row: &AnyRow, column: &str) -> Decoded<i64> {
    row.try_get(column)
}

/// A nullable integer column.
pub(super) fn opt_int(row: &AnyRow, column: &str) -> Decoded<Option<i64>> {
    row.try_get(column)
}

/// A text column.
pub(super) fn text(row: &AnyRow, column: &str) -> Decoded<String> {
    row.try_get(column)
}

/// A nullable text column.
pub(super) fn opt_text(row: &AnyRow, column: &str) -> Decoded<Option<String>> {
    row.try_get(column)
}

/// A boolean selected as `CASE WHEN … THEN 1 ELSE 0 END` (the `Any` driver
/// cannot read a SQLite column declared BOOLEAN).
pub(super) fn flag(row: &AnyRow, column: &str) -> Decoded<bool> {
    Ok(int(row, column)? != 0)
}

/// Money stored as integer fen.
pub(super) fn money(row: &AnyRow, column: &str) -> Decoded<Money> {
    Ok(Money::from_fen(int(row, column)?))
}

/// Nullable money stored as integer fen.
pub(super) fn opt_money(row: &AnyRow, column: &str) -> Decoded<Option<Money>> {
    Ok(opt_int(row, column)?.map(Money::from_fen))
}

/// A moment stored as Unix milliseconds.
pub(super) fn time(row: &AnyRow, column: &str) -> Decoded<DateTime<Utc>> {
    let ms = int(row, column)?;
    time_of(ms).map_err(|_| unreadable(column, format!("time {ms} ms is out of range")))
}

/// A nullable moment stored as Unix milliseconds.
pub(super) fn opt_time(row: &AnyRow, column: &str) -> Decoded<Option<DateTime<Utc>>> {
    opt_int(row, column)?
        .map(|ms| {
            time_of(ms).map_err(|_| unreadable(column, format!("time {ms} ms is out of range")))
        })
        .transpose()
}

/// A date stored as ISO text.
pub(super) fn date(row: &AnyRow, column: &str) -> Decoded<NaiveDate> {
    let t = text(row, column)?;
    t.parse()
        .map_err(|e| unreadable(column, format!("date '{t}': {e}")))
}

/// A nullable date stored as ISO text.
pub(super) fn opt_date(row: &AnyRow, column: &str) -> Decoded<Option<NaiveDate>> {
    opt_text(row, column)?
        .map(|t| {
            t.parse()
                .map_err(|e| unreadable(column, format!("date '{t}': {e}")))
        })
        .transpose()
}

/// A meal slot stored by its wire name.
pub(super) fn slot(row: &AnyRow, column: &str) -> Decoded<Slot> {
    text(row, column)?
        .parse()
        .map_err(|e: String| unreadable(column, e))
}

/// A UUID stored as text.
pub(super) fn uuid(row: &AnyRow, column: &str) -> Decoded<Uuid> {
    let t = text(row, column)?;
    t.parse()
        .map_err(|e| unreadable(column, format!("id '{t}': {e}")))
}

/// A nullable UUID stored as text.
pub(super) fn opt_uuid(row: &AnyRow, column: &str) -> Decoded<Option<Uuid>> {
    opt_text(row, column)?
        .map(|t| {
            t.parse()
                .map_err(|e| unreadable(column, format!("id '{t}': {e}")))
        })
        .transpose()
}

/// A value of a kind that parses from its stored text (roles, site kinds).
pub(super) fn parsed<T>(row: &AnyRow, column: &str) -> Decoded<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let t = text(row, column)?;
    t.parse()
        .map_err(|e: T::Err| unreadable(column, e.to_string()))
}

/// A JSON column.
pub(super) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Decoded<T> {
    let t = text(row, column)?;
    serde_json::from_str(&t).map_err(|e| unreadable(column, e.to_string()))
}

/// A moment from Unix milliseconds read outside a row.
pub(crate) fn time_of(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("time {ms} is out of range")))
}

/// A date from ISO text read outside a row.
pub(super) fn date_of(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("date '{text}': {e}")))
}

/// A UUID from text read outside a row.
pub(super) fn uuid_of(text: &str) -> StoreResult<Uuid> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("id '{text}': {e}")))
}
