//! The claim's read of a month's subsidised diner meals: a million lines in
//! about a second. Each line carries its sale's columns (migration 0012), so
//! the read is one range scan of `sale_lines` per day, with no join, two
//! days at a time on two connections. The rows cross the driver in the form
//! each database hands over fastest: on SQLite one JSON array per day, built
//! by SQLite itself (sqlx's SQLite driver costs microseconds per row, the
//! JSON parse a fraction of one); on PostgreSQL typed rows through a typed
//! pool (the Any driver would convert every value once more).

use std::borrow::Cow;

use canteen_core::{
    CategoryCode, DinerId, Money, Payment, Received, Sale, SaleId, SaleLine, SiteId, Slot,
    TerminalId, UserId,
};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt, stream};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sqlx::Row;
use sqlx::postgres::PgRow;

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

/// One line as read, before it joins its sale.
struct Scanned {
    sale_id: SaleId,
    index: usize,
    site_id: i64,
    terminal_id: i64,
    cashier_id: i64,
    sold_at: i64,
    business_date: NaiveDate,
    slot: Slot,
    received_at: i64,
    line: SaleLine,
}

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

impl<'a> TryFrom<&'a PgRow> for Fields<'a> {
    type Error = sqlx::Error;

    /// By position (the order of [`COLUMNS`]), text borrowed from the row.
    fn try_from(r: &'a PgRow) -> Result<Fields<'a>, sqlx::Error> {
        Ok(Fields {
            sale_id: r.try_get(0)?,
            line_no: r.try_get(1)?,
            site_id: r.try_get(2)?,
            terminal_id: r.try_get(3)?,
            cashier_id: r.try_get(4)?,
            sold_at: r.try_get(5)?,
            slot: r.try_get(6)?,
            received_at: r.try_get(7)?,
            diner_id: r.try_get(8)?,
            standard: r.try_get(9)?,
            amount: r.try_get(10)?,
            subsidy: r.try_get(11)?,
            bracket: r.try_get(12)?,
            category: r.try_get(13)?,
        })
    }
}

/// A row as the core's line, checked: a claimed line names its diner and
/// the standard price it was sold against.
fn scanned(r: Fields<'_>, day: NaiveDate) -> StoreResult<Scanned> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("sale {}: line {} {what}", r.sale_id, r.line_no));
    let index = usize::try_from(r.line_no - 1).map_err(|_| corrupt("is numbered below 1"))?;
    let diner_id = r.diner_id.ok_or_else(|| corrupt("has no diner"))?;
    let standard = r.standard.ok_or_else(|| corrupt("has no standard price"))?;
    Ok(Scanned {
        sale_id: SaleId(uuid_of(r.sale_id)?),
        index,
        site_id: r.site_id,
        terminal_id: r.terminal_id,
        cashier_id: r.cashier_id,
        sold_at: r.sold_at,
        business_date: day,
        slot: r.slot.parse().map_err(StoreError::Corrupt)?,
        received_at: r.received_at,
        line: SaleLine::DinerMeal {
            diner_id: DinerId(diner_id),
            standard: Money::from_fen(standard),
            paid: Money::from_fen(r.amount),
            subsidy: Money::from_fen(r.subsidy),
            bracket: r.bracket,
            category: r.category.map(CategoryCode),
        },
    })
}

impl Db {
    /// The subsidised diner meals of the township's sites on `days`, as
    /// sales holding those lines at their places (other lines, which no
    /// claim counts, are walk-in placeholders so line numbers stay true).
    pub(super) async fn claimed_sales(
        &self,
        township_id: i64,
        days: Vec<NaiveDate>,
    ) -> StoreResult<Vec<Received<Sale>>> {
        // A task per day, so the days' rows are decoded on every core.
        let reads = stream::iter(days)
            .map(|day| {
                let db = self.clone();
                tokio::spawn(async move { db.claimed_sales_of_day(township_id, day).await })
            })
            .buffer_unordered(DAYS_AT_ONCE)
            .map(|joined| joined.map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?);
        let per_day: Vec<Vec<Received<Sale>>> = reads.try_collect().await?;
        let mut sales = Vec::with_capacity(per_day.iter().map(Vec::len).sum());
        for day in per_day {
            sales.extend(day);
        }
        Ok(sales)
    }

    /// One day's claimed lines as their sales (a sale's lines all have
    /// its business date).
    async fn claimed_sales_of_day(
        &self,
        township_id: i64,
        day: NaiveDate,
    ) -> StoreResult<Vec<Received<Sale>>> {
        let day_text = day.to_string();
        let mut lines = Vec::new();
        if let Some(pg) = &self.pg {
            let sql = format!("SELECT {COLUMNS} FROM sale_lines WHERE {FILTER}");
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(township_id)
                .bind(&day_text)
                .fetch(pg);
            while let Some(r) = rows.try_next().await? {
                lines.push(scanned(Fields::try_from(&r)?, day)?);
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
                lines.push(scanned(Fields::from(&mut j), day)?);
            }
        }
        sales_of(lines)
    }
}

/// Joins lines into their sales.
fn sales_of(lines: Vec<Scanned>) -> StoreResult<Vec<Received<Sale>>> {
    let placeholder = SaleLine::WalkInMeal { price: Money::ZERO };
    let mut at: FxHashMap<SaleId, usize> = FxHashMap::default();
    let mut sales: Vec<Received<Sale>> = Vec::new();
    for l in lines {
        let i = match at.get(&l.sale_id) {
            Some(&i) => i,
            None => {
                sales.push(Received {
                    record: Sale {
                        id: l.sale_id,
                        site_id: SiteId(l.site_id),
                        terminal_id: TerminalId(l.terminal_id),
                        cashier_id: UserId(l.cashier_id),
                        sold_at: time_of(l.sold_at)?,
                        business_date: l.business_date,
                        slot: l.slot,
                        lines: Vec::new(),
                        payment: Payment::Qr { reference: None },
                    },
                    received_at: time_of(l.received_at)?,
                });
                at.insert(l.sale_id, sales.len() - 1);
                sales.len() - 1
            }
        };
        let lines = &mut sales[i].record.lines;
        if lines.len() <= l.index {
            lines.resize(l.index + 1, placeholder.clone());
        }
        lines[l.index] = l.line;
    }
    Ok(sales)
}
