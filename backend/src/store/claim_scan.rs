//! The claim's read of a month's subsidised diner meals: a million lines in
//! about a second. Each line carries its sale's columns (migration 0012), so
//! the read is one range scan of `sale_lines` per day, with no join, two
//! days at a time on two connections. The rows cross the driver in the form
//! each database hands over fastest: on SQLite one JSON array per day, built
//! by SQLite itself (sqlx's SQLite driver costs microseconds per row, the
//! JSON parse a fraction of one); on PostgreSQL binary rows through a typed
//! pool (the Any driver would convert every value once more), each value
//! read from its bytes. Each day's lines become its sales as they arrive,
//! and the caller's work on a day runs in that day's task.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use canteen_core::{
    CategoryCode, DinerId, Money, Payment, Received, Sale, SaleId, SaleLine, SiteId, TerminalId,
    UserId,
};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt, stream};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sqlx::postgres::{PgRow, PgValueFormat};
use sqlx::{Row, ValueRef};

use super::decode::{time_of, uuid_of};
use super::{Db, StoreError, StoreResult};

/// The columns read, in this order, on both databases.
/// (The business date is the day asked for.)
const COLUMNS: &str = "sale_id, line_no, site_id, terminal_id, cashier_id, sold_at, slot, received_at, \
     diner_id, standard, amount, subsidy, bracket, category";

/// The filter `sale_lines_for_claim` indexes: a diner meal the terminal
/// sold with a subsidy, of one township and day.
const FILTER: &str =
    "township_id = $1 AND business_date = $2 AND subsidy > 0 AND kind = 'diner_meal'";

/// Days read at once (one connection each).
const DAYS_AT_ONCE: usize = 2;

/// The columns of [`COLUMNS`] as SQLite's `json_array` writes them.
#[derive(Deserialize)]
struct JsonLine<'a>(
    #[serde(borrow)] Cow<'a, str>,
    i64,
    i64,
    i64,
    i64,
    i64,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

/// One row's fields, borrowed from either form.
struct Fields<'a> {
    sale_id: &'a str,
    line_no: i64,
    site_id: i64,
    terminal_id: i64,
    cashier_id: i64,
    sold_at: i64,
    slot: &'a str,
    received_at: i64,
    diner_id: Option<i64>,
    standard: Option<i64>,
    amount: i64,
    subsidy: i64,
    bracket: Option<String>,
    category: Option<String>,
}

impl<'a> From<&'a mut JsonLine<'_>> for Fields<'a> {
    fn from(j: &'a mut JsonLine<'_>) -> Fields<'a> {
        Fields {
            sale_id: &j.0,
            line_no: j.1,
            site_id: j.2,
            terminal_id: j.3,
            cashier_id: j.4,
            sold_at: j.5,
            slot: &j.6,
            received_at: j.7,
            diner_id: j.8,
            standard: j.9,
            amount: j.10,
            subsidy: j.11,
            bracket: j.12.take(),
            category: j.13.take(),
        }
    }
}

/// A PostgreSQL value as sqlx hands it over (binary format, asked for by
/// every prepared query), read without sqlx's per-value type checks: over
/// a month's million lines those checks cost a tenth of the claim. A value
/// of another shape is [`StoreError::Corrupt`], never a default.
fn raw(r: &PgRow, column: usize) -> StoreResult<Option<&[u8]>> {
    let value = r.try_get_raw(column)?;
    if value.is_null() {
        return Ok(None);
    }
    if value.format() != PgValueFormat::Binary {
        return Err(StoreError::Corrupt(format!(
            "claim column {column} came as text"
        )));
    }
    let bytes = value
        .as_bytes()
        .map_err(|e| StoreError::Corrupt(format!("claim column {column}: {e}")))?;
    Ok(Some(bytes))
}

/// A `bigint` column (eight bytes, big-endian).
fn pg_int(r: &PgRow, column: usize) -> StoreResult<Option<i64>> {
    raw(r, column)?
        .map(|b| {
            <[u8; 8]>::try_from(b)
                .map(i64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt(format!("claim column {column} is not a bigint")))
        })
        .transpose()
}

/// A `bigint` column that cannot be NULL.
fn pg_int_set(r: &PgRow, column: usize) -> StoreResult<i64> {
    pg_int(r, column)?.ok_or_else(|| StoreError::Corrupt(format!("claim column {column} is NULL")))
}

/// A `text` column.
fn pg_text(r: &PgRow, column: usize) -> StoreResult<Option<&str>> {
    raw(r, column)?
        .map(|b| {
            std::str::from_utf8(b)
                .map_err(|e| StoreError::Corrupt(format!("claim column {column}: {e}")))
        })
        .transpose()
}

/// A `text` column that cannot be NULL.
fn pg_text_set(r: &PgRow, column: usize) -> StoreResult<&str> {
    pg_text(r, column)?.ok_or_else(|| StoreError::Corrupt(format!("claim column {column} is NULL")))
}

impl<'a> TryFrom<&'a PgRow> for Fields<'a> {
    type Error = StoreError;

    /// By position (the order of [`COLUMNS`]), text borrowed from the row.
    fn try_from(r: &'a PgRow) -> StoreResult<Fields<'a>> {
        Ok(Fields {
            sale_id: pg_text_set(r, 0)?,
            line_no: pg_int_set(r, 1)?,
            site_id: pg_int_set(r, 2)?,
            terminal_id: pg_int_set(r, 3)?,
            cashier_id: pg_int_set(r, 4)?,
            sold_at: pg_int_set(r, 5)?,
            slot: pg_text_set(r, 6)?,
            received_at: pg_int_set(r, 7)?,
            diner_id: pg_int(r, 8)?,
            standard: pg_int(r, 9)?,
            amount: pg_int_set(r, 10)?,
            subsidy: pg_int_set(r, 11)?,
            bracket: pg_text(r, 12)?.map(str::to_string),
            category: pg_text(r, 13)?.map(str::to_string),
        })
    }
}

/// One day's sales, built line by line as the rows arrive.
struct DaySales {
    day: NaiveDate,
    /// Each sale's place in `sales`.
    at: FxHashMap<SaleId, usize>,
    sales: Vec<Received<Sale>>,
}

impl DaySales {
    fn new(day: NaiveDate, expected: usize) -> DaySales {
        DaySales {
            day,
            at: FxHashMap::with_capacity_and_hasher(expected, Default::default()),
            sales: Vec::with_capacity(expected),
        }
    }

    /// Adds a row's line to its sale, checked: a claimed line names its
    /// diner and the standard price it was sold against.
    fn add(&mut self, r: Fields<'_>) -> StoreResult<()> {
        let corrupt = |what: &str| {
            StoreError::Corrupt(format!("sale {}: line {} {what}", r.sale_id, r.line_no))
        };
        let index = usize::try_from(r.line_no - 1).map_err(|_| corrupt("is numbered below 1"))?;
        let diner_id = r.diner_id.ok_or_else(|| corrupt("has no diner"))?;
        let standard = r.standard.ok_or_else(|| corrupt("has no standard price"))?;
        let line = SaleLine::DinerMeal {
            diner_id: DinerId(diner_id),
            standard: Money::from_fen(standard),
            paid: Money::from_fen(r.amount),
            subsidy: Money::from_fen(r.subsidy),
            bracket: r.bracket,
            category: r.category.map(CategoryCode),
        };
        let sale_id = SaleId(uuid_of(r.sale_id)?);
        let i = match self.at.entry(sale_id) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.sales.push(Received {
                    record: Sale {
                        id: sale_id,
                        site_id: SiteId(r.site_id),
                        terminal_id: TerminalId(r.terminal_id),
                        cashier_id: UserId(r.cashier_id),
                        sold_at: time_of(r.sold_at)?,
                        business_date: self.day,
                        slot: r.slot.parse().map_err(StoreError::Corrupt)?,
                        lines: Vec::with_capacity(index + 1),
                        payment: Payment::Qr { reference: None },
                    },
                    received_at: time_of(r.received_at)?,
                });
                *e.insert(self.sales.len() - 1)
            }
        };
        let lines = &mut self.sales[i].record.lines;
        if lines.len() <= index {
            // Lines no claim counts stay walk-in placeholders, so line
            // numbers stay true.
            lines.resize(index + 1, SaleLine::WalkInMeal { price: Money::ZERO });
        }
        lines[index] = line;
        Ok(())
    }
}

impl Db {
    /// The subsidised diner meals of the township's sites on `days`, each
    /// day as sales holding those lines at their places (other lines, which
    /// no claim counts, are walk-in placeholders so line numbers stay
    /// true), handed to `per_day` in the day's own task so that what the
    /// caller makes of a day overlaps the reading of the next.
    pub(super) async fn claimed_days<D, F>(
        &self,
        township_id: i64,
        days: Vec<NaiveDate>,
        per_day: F,
    ) -> StoreResult<Vec<D>>
    where
        F: Fn(Vec<Received<Sale>>) -> D + Clone + Send + 'static,
        D: Send + 'static,
    {
        // The last day's size, to size the next (days are alike).
        let size = Arc::new(AtomicUsize::new(0));
        let reads = stream::iter(days)
            .map(|day| {
                let (db, per_day, size) = (self.clone(), per_day.clone(), size.clone());
                tokio::spawn(async move {
                    let sales = db
                        .claimed_sales_of_day(township_id, day, size.load(Ordering::Relaxed))
                        .await?;
                    size.store(sales.len(), Ordering::Relaxed);
                    // Milliseconds of CPU a day: off the async threads, so
                    // sale posts are not held up by a claim.
                    tokio::task::spawn_blocking(move || per_day(sales))
                        .await
                        .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))
                })
            })
            .buffer_unordered(DAYS_AT_ONCE)
            .map(|joined| joined.map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?);
        reads.try_collect().await
    }

    /// One day's claimed lines as their sales (a sale's lines all have
    /// its business date).
    async fn claimed_sales_of_day(
        &self,
        township_id: i64,
        day: NaiveDate,
        expected: usize,
    ) -> StoreResult<Vec<Received<Sale>>> {
        let day_text = day.to_string();
        let mut sales = DaySales::new(day, expected);
        if let Some(pg) = &self.pg {
            let sql = format!("SELECT {COLUMNS} FROM sale_lines WHERE {FILTER}");
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(township_id)
                .bind(&day_text)
                .fetch(pg);
            while let Some(r) = rows.try_next().await? {
                sales.add(Fields::try_from(&r)?)?;
            }
        } else {
            let sql = format!(
                "SELECT json_group_array(json_array({COLUMNS})) FROM sale_lines WHERE {FILTER}"
            );
            let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(township_id)
                .bind(&day_text)
                .fetch_one(&self.pool)
                .await?;
            let rows: Vec<JsonLine<'_>> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("claim lines of {day}: {e}")))?;
            for mut j in rows {
                sales.add(Fields::from(&mut j))?;
            }
        }
        Ok(sales.sales)
    }
}
