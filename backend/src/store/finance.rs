//! Storage for finance work: the records the monthly claim is computed from
//! (loaded as `canteen-core` types, decided by nothing here), free-meal days
//! with their versions, decisions on flagged lines, month closes with the
//! frozen claim, shifts with their sales, and the meals the welfare list
//! counts. Every change a person makes is audited in the same transaction.

use canteen_core::claim::MonthClose;
use canteen_core::{
    DinerId, FreeMealDay, FreeMealId, Money, Received, Sale, SaleId, SiteId, Slot, TerminalId,
    TownshipId, UserId, Void, VoidId, YearMonth,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use sqlx::any::AnyRow;

use super::audit::now_ms;
use super::decode::{self, date_of as date, time_of, uuid_of as uuid};
use super::{AuditEntry, Db, ShiftRow, StoreError, StoreResult};

/// Binds `$pool` to the store's pool for the body (kept as a macro so the
/// queries below read the same as before the store became one `Db`).
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {{
        #[allow(unused_variables)]
        let $pool = &$db.pool;
        $body
    }};
}

macro_rules! write_audit {
    ($tx:expr, $e:expr) => {
        super::audit::write_audit(&mut $tx, $e).await?
    };
}

/// What the claim of a township's month is computed from, as received.
#[derive(Debug, Clone)]
pub struct ClaimRecords<D> {
    /// Each day's sales with their subsidised diner meal lines at their
    /// positions in the sale (other lines, which no claim counts, are left
    /// as walk-in placeholders so line numbers stay true), as the caller's
    /// `per_day` made them: the month's days, then each earlier day that
    /// has a late record.
    pub days: Vec<D>,
    /// Voids of those sales.
    pub voids: Vec<Received<Void>>,
    /// The current version of each free-meal day.
    pub free_meals: Vec<FreeMealDay>,
}

/// A close of a site's month as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRecord {
    /// The site.
    pub site_id: SiteId,
    /// The month.
    pub month: YearMonth,
    /// When it was closed.
    pub closed_at: DateTime<Utc>,
    /// Who closed it.
    pub closed_by: UserId,
    /// The frozen claim, JSON.
    pub claim: String,
}

/// A free-meal day version to store.
#[derive(Debug, Clone)]
pub struct FreeMealToStore {
    /// The record.
    pub day: FreeMealDay,
    /// Township of its site.
    pub township_id: TownshipId,
    /// People who ate.
    pub eaten: i64,
    /// Purchases.
    pub purchases_total: Money,
    /// Donations listed.
    pub donations: i64,
    /// SHA-256 of `body`.
    pub content_hash: String,
    /// Canonical JSON.
    pub body: String,
}

/// A stored version of a free-meal day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreeMealRow {
    /// Id made by the client.
    pub id: FreeMealId,
    /// 1 for the first record, then one more per correction.
    pub version: i64,
    /// Township.
    pub township_id: TownshipId,
    /// Site.
    pub site_id: SiteId,
    /// Date.
    pub date: NaiveDate,
    /// Slot.
    pub slot: Slot,
    /// SHA-256 of the body.
    pub content_hash: String,
    /// The record as JSON.
    pub body: String,
    /// Who first recorded the day.
    pub author_id: UserId,
    /// Who recorded this version.
    pub recorded_by: UserId,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl FromRow<'_, AnyRow> for FreeMealRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(FreeMealRow {
            id: FreeMealId(decode::uuid(row, "id")?),
            version: decode::int(row, "version")?,
            township_id: TownshipId(decode::int(row, "township_id")?),
            site_id: SiteId(decode::int(row, "site_id")?),
            date: decode::date(row, "date")?,
            slot: decode::slot(row, "slot")?,
            content_hash: decode::text(row, "content_hash")?,
            body: decode::text(row, "body")?,
            author_id: UserId(decode::int(row, "author_id")?),
            recorded_by: UserId(decode::int(row, "recorded_by")?),
            recorded_at: decode::time(row, "recorded_at")?,
        })
    }
}

/// Free meals and what they cost over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreeMealTotals {
    /// Free-meal days (slots) recorded.
    pub days: i64,
    /// People served, counted once per meal ("人次").
    pub served: i64,
    /// Purchases.
    pub purchases: Money,
    /// Donations listed.
    pub donations: i64,
}

impl FromRow<'_, AnyRow> for FreeMealTotals {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(FreeMealTotals {
            days: decode::int(row, "days")?,
            served: decode::int(row, "served")?,
            purchases: decode::money(row, "purchases")?,
            donations: decode::int(row, "donations")?,
        })
    }
}

/// A decision on a flagged line, to store.
#[derive(Debug, Clone)]
pub struct DecisionToStore {
    /// Township.
    pub township_id: TownshipId,
    /// Site.
    pub site_id: SiteId,
    /// The claim month it was made in.
    pub month: YearMonth,
    /// The decision.
    pub decision: canteen_core::Decision,
    /// The user.
    pub decided_by: UserId,
}

#[derive(sqlx::FromRow)]
struct VoidRecord {
    id: String,
    sale_id: String,
    site_id: i64,
    terminal_id: i64,
    voided_by: i64,
    voided_at: i64,
    reason: String,
    received_at: i64,
}

#[derive(sqlx::FromRow)]
struct DecisionRecord {
    sale_id: String,
    line_index: i64,
    flag_kind: String,
    verdict: String,
    comment: String,
    decider: String,
    decided_at: i64,
}

#[derive(sqlx::FromRow)]
struct CloseRow {
    site_id: i64,
    month: String,
    closed_at: i64,
    closed_by: i64,
    claim: String,
}

fn time(ms: i64) -> StoreResult<DateTime<Utc>> {
    time_of(ms)
}

fn month(text: &str) -> StoreResult<YearMonth> {
    text.parse().map_err(StoreError::Corrupt)
}

/// The first and last days of a month; `None` for a month beyond the
/// calendar.
pub fn month_range(m: YearMonth) -> Option<(NaiveDate, NaiveDate)> {
    let first = m.first_day()?;
    let last = m.next().first_day()?.pred_opt()?;
    Some((first, last))
}

/// The first and last days of a month the store is asked about.
fn range_of(m: YearMonth) -> StoreResult<(NaiveDate, NaiveDate)> {
    month_range(m).ok_or_else(|| StoreError::Corrupt(format!("month {m} is beyond the calendar")))
}

fn void_of(r: VoidRecord) -> StoreResult<Received<Void>> {
    Ok(Received {
        record: Void {
            id: VoidId(uuid(&r.id)?),
            sale_id: SaleId(uuid(&r.sale_id)?),
            site_id: SiteId(r.site_id),
            terminal_id: TerminalId(r.terminal_id),
            voided_by: UserId(r.voided_by),
            voided_at: time(r.voided_at)?,
            reason: r.reason,
        },
        received_at: time(r.received_at)?,
    })
}

// Driven from the township's voids (few) to their sales, never from the
// month's sales (a million).
const CLAIM_VOIDS: &str = "SELECT v.id, v.sale_id, v.site_id, v.terminal_id, v.voided_by, v.voided_at, v.reason, v.received_at
     FROM voids v CROSS JOIN sales s
     WHERE s.id = v.sale_id AND v.township_id = $1 AND s.business_date >= $2 AND s.business_date <= $3";

const CURRENT_FREE_MEALS: &str =
    "SELECT f.id, f.version, f.township_id, f.site_id, f.date, f.slot, f.content_hash, f.body,
        f.author_id, f.recorded_by, f.recorded_at
     FROM free_meal_days f
     WHERE f.version = (SELECT MAX(g.version) FROM free_meal_days g WHERE g.id = f.id)";

/// Business dates before `$2` with a sale or void received after the
/// sale's month closed at its site: the dates late adjustments come from.
const LATE_DATES: &str = "SELECT DISTINCT s.business_date FROM sales s
     JOIN month_closes c ON c.site_id = s.site_id AND c.reopened_at IS NULL
       AND c.month = substr(s.business_date, 1, 7)
     LEFT JOIN voids v ON v.sale_id = s.id
     WHERE c.township_id = $1 AND s.business_date < $2
       AND (s.received_at >= c.closed_at OR v.received_at >= c.closed_at)";

fn free_meal_of(row: &FreeMealRow) -> StoreResult<FreeMealDay> {
    serde_json::from_str(&row.body)
        .map_err(|e| StoreError::Corrupt(format!("free-meal day {}: {e}", row.id)))
}

impl Db {
    /// The records the claim of `month` at the township's sites is computed
    /// from: every subsidised diner meal of the month at any of its sites,
    /// and of each earlier date that has a sale or void received after its
    /// month closed (with the other meals of those dates, which they may
    /// repeat); their voids; and the free-meal days of those dates.
    pub async fn claim_records<D, F>(
        &self,
        township_id: TownshipId,
        m: YearMonth,
        per_day: F,
    ) -> StoreResult<ClaimRecords<D>>
    where
        F: Fn(Vec<Received<Sale>>) -> D + Clone + Send + 'static,
        D: Send + 'static,
    {
        let (first_day, last_day) = range_of(m)?;
        let (first, last) = (first_day.to_string(), last_day.to_string());
        let township_id = township_id.0;
        on_db!(self, |pool| {
            let late_dates: Vec<String> = sqlx::query_scalar(LATE_DATES)
                .bind(township_id)
                .bind(&first)
                .fetch_all(pool)
                .await?;
            let late_dates = late_dates
                .iter()
                .map(|d| date(d))
                .collect::<StoreResult<Vec<NaiveDate>>>()?;
            let mut days: Vec<NaiveDate> = first_day
                .iter_days()
                .take_while(|d| *d <= last_day)
                .collect();
            days.extend(&late_dates);
            let mut out = ClaimRecords {
                days: self
                    .claimed_days(township_id, days, per_day.clone())
                    .await?,
                voids: Vec::new(),
                free_meals: Vec::new(),
            };
            let mut ranges = vec![(first.clone(), last.clone())];
            ranges.extend(late_dates.iter().map(|d| (d.to_string(), d.to_string())));
            for (from, to) in &ranges {
                let voids: Vec<VoidRecord> = sqlx::query_as(CLAIM_VOIDS)
                    .bind(township_id)
                    .bind(from)
                    .bind(to)
                    .fetch_all(pool)
                    .await?;
                for v in voids {
                    out.voids.push(void_of(v)?);
                }
                let days: Vec<FreeMealRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{CURRENT_FREE_MEALS} AND f.township_id = $1 AND f.date >= $2 AND f.date <= $3"
                )))
                .bind(township_id)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
                for d in &days {
                    out.free_meals.push(free_meal_of(d)?);
                }
            }
            Ok(out)
        })
    }

    /// The months closed (and not reopened) at the township's sites.
    pub async fn month_closes(&self, township_id: TownshipId) -> StoreResult<Vec<MonthClose>> {
        on_db!(self, |pool| {
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT site_id, month, closed_at FROM month_closes
                 WHERE township_id = $1 AND reopened_at IS NULL",
            )
            .bind(township_id.0)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(site, m, at)| {
                    Ok(MonthClose {
                        site_id: SiteId(site),
                        month: month(&m)?,
                        closed_at: time(at)?,
                    })
                })
                .collect()
        })
    }

    /// The close of a site's month, with its frozen claim, if closed.
    pub async fn month_close(
        &self,
        site_id: SiteId,
        m: YearMonth,
    ) -> StoreResult<Option<CloseRecord>> {
        on_db!(self, |pool| {
            let row: Option<CloseRow> = sqlx::query_as(
                "SELECT site_id, month, closed_at, closed_by, claim FROM month_closes
                 WHERE site_id = $1 AND month = $2 AND reopened_at IS NULL",
            )
            .bind(site_id.0)
            .bind(m.to_string())
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(CloseRecord {
                    site_id: SiteId(r.site_id),
                    month: month(&r.month)?,
                    closed_at: time(r.closed_at)?,
                    closed_by: UserId(r.closed_by),
                    claim: r.claim,
                })
            })
            .transpose()
        })
    }

    /// The time a month close cuts at. Taken with ingest held off (the write
    /// lock on SQLite, the ingest lock on PostgreSQL), so every sale and void
    /// stamped received before it is committed, and readable, when this
    /// returns, and every later one is stamped at or after it: none can be
    /// missed by the frozen claim and counted as received before the close.
    pub async fn month_close_cut(&self) -> StoreResult<DateTime<Utc>> {
        let mut tx = self.begin_write().await?;
        self.dialect.exclude_ingest(&mut tx).await?;
        let cut = time(now_ms())?;
        tx.commit().await?;
        Ok(cut)
    }

    /// Closes a site's month with its frozen claim; a month already closed
    /// is [`StoreError::Duplicate`].
    pub async fn insert_month_close(
        &self,
        township_id: TownshipId,
        close: CloseRecord,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        on_db!(self, |pool| {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO month_closes (township_id, site_id, month, closed_at, closed_by, claim)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(township_id.0)
            .bind(close.site_id.0)
            .bind(close.month.to_string())
            .bind(close.closed_at.timestamp_millis())
            .bind(close.closed_by.0)
            .bind(&close.claim)
            .execute(&mut *tx)
            .await
            .map_err(|e| super::unique_or(e, "this month is already closed at this site"))?;
            write_audit!(tx, &audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Reopens a closed month; [`StoreError::NotFound`] when it is not closed.
    pub async fn reopen_month(
        &self,
        site_id: SiteId,
        m: YearMonth,
        reopened_by: UserId,
        reason: &str,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        on_db!(self, |pool| {
            let mut tx = self.begin_write().await?;
            let res = sqlx::query(
                "UPDATE month_closes SET reopened_at = $3, reopened_by = $4, reopen_reason = $5
                 WHERE site_id = $1 AND month = $2 AND reopened_at IS NULL",
            )
            .bind(site_id.0)
            .bind(m.to_string())
            .bind(now_ms())
            .bind(reopened_by.0)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            write_audit!(tx, &audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Decisions made on flagged lines of a site's claim month.
    pub async fn flag_decisions(
        &self,
        site_id: SiteId,
        m: YearMonth,
    ) -> StoreResult<Vec<canteen_core::Decision>> {
        on_db!(self, |pool| {
            let rows: Vec<DecisionRecord> = sqlx::query_as(
                "SELECT sale_id, line_index, flag_kind, verdict, comment, decider, decided_at
                 FROM flag_decisions WHERE site_id = $1 AND month = $2 ORDER BY id",
            )
            .bind(site_id.0)
            .bind(m.to_string())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(canteen_core::Decision {
                        sale_id: SaleId(uuid(&r.sale_id)?),
                        line_index: usize::try_from(r.line_index)
                            .map_err(|_| StoreError::Corrupt("line index".into()))?,
                        flag_kind: r.flag_kind,
                        verdict: match r.verdict.as_str() {
                            "accept" => canteen_core::Verdict::Accept,
                            "reject" => canteen_core::Verdict::Reject,
                            other => {
                                return Err(StoreError::Corrupt(format!(
                                    "decision on sale {}: verdict '{other}'",
                                    r.sale_id
                                )));
                            }
                        },
                        comment: r.comment,
                        decided_by: r.decider,
                        decided_at: time(r.decided_at)?,
                    })
                })
                .collect()
        })
    }

    /// Records a decision with its audit entry; refused (`Duplicate`) when
    /// the month has been closed meanwhile.
    pub async fn insert_decision(&self, d: DecisionToStore, audit: AuditEntry) -> StoreResult<()> {
        on_db!(self, |pool| {
            let mut tx = self.begin_write().await?;
            let closed: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM month_closes WHERE site_id = $1 AND month = $2 AND reopened_at IS NULL",
            )
            .bind(d.site_id.0)
            .bind(d.month.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if closed.is_some() {
                return Err(StoreError::Duplicate(
                    "this month is closed; an administrator must reopen it first".into(),
                ));
            }
            let line_index = i64::try_from(d.decision.line_index)
                .map_err(|_| StoreError::Corrupt("line index".into()))?;
            let verdict = match d.decision.verdict {
                canteen_core::Verdict::Accept => "accept",
                canteen_core::Verdict::Reject => "reject",
            };
            sqlx::query(
                "INSERT INTO flag_decisions (township_id, site_id, month, sale_id, line_index, flag_kind,
                    verdict, comment, decided_by, decider, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(d.township_id.0)
            .bind(d.site_id.0)
            .bind(d.month.to_string())
            .bind(d.decision.sale_id.to_string())
            .bind(line_index)
            .bind(&d.decision.flag_kind)
            .bind(verdict)
            .bind(&d.decision.comment)
            .bind(d.decided_by.0)
            .bind(&d.decision.decided_by)
            .bind(d.decision.decided_at.timestamp_millis())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, &audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every version of a free-meal day, oldest first.
    pub async fn free_meal_versions(&self, id: FreeMealId) -> StoreResult<Vec<FreeMealRow>> {
        on_db!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, version, township_id, site_id, date, slot, content_hash, body, author_id,
                    recorded_by, recorded_at
                 FROM free_meal_days WHERE id = $1 ORDER BY version",
            )
            .bind(id.to_string())
            .fetch_all(pool)
            .await?)
        })
    }

    /// Stores a free-meal day as version `version` (1 for a new day, the
    /// current version + 1 for a correction), with its audit entry. When
    /// another request stored that version first, the outcome is
    /// `Duplicate` if it holds the same content and `Conflict` if not.
    pub async fn insert_free_meal(
        &self,
        f: FreeMealToStore,
        version: i64,
        author_id: UserId,
        recorded_by: UserId,
        audit: AuditEntry,
    ) -> StoreResult<super::Outcome> {
        on_db!(self, |pool| {
            let mut tx = self.begin_write().await?;
            let res = sqlx::query(
                "INSERT INTO free_meal_days (id, version, township_id, site_id, date, slot, eaten,
                    purchases_total, donations, content_hash, body, author_id, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (id, version) DO NOTHING",
            )
            .bind(f.day.id.to_string())
            .bind(version)
            .bind(f.township_id.0)
            .bind(f.day.site_id.0)
            .bind(f.day.date.to_string())
            .bind(f.day.slot.as_str())
            .bind(f.eaten)
            .bind(f.purchases_total.fen())
            .bind(f.donations)
            .bind(&f.content_hash)
            .bind(&f.body)
            .bind(author_id.0)
            .bind(recorded_by.0)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() == 0 {
                let stored: Option<String> = sqlx::query_scalar(
                    "SELECT content_hash FROM free_meal_days WHERE id = $1 AND version = $2",
                )
                .bind(f.day.id.to_string())
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
                return Ok(if stored.as_deref() == Some(f.content_hash.as_str()) {
                    super::Outcome::Duplicate
                } else {
                    super::Outcome::Conflict
                });
            }
            write_audit!(tx, &audit);
            tx.commit().await?;
            Ok(super::Outcome::Stored)
        })
    }

    /// The current version of each free-meal day at a site between two ISO
    /// dates (inclusive), by date and slot.
    pub async fn free_meals_for_site(
        &self,
        site_id: SiteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<FreeMealRow>> {
        on_db!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CURRENT_FREE_MEALS} AND f.site_id = $1 AND f.date >= $2 AND f.date <= $3
                 ORDER BY f.date, f.slot, f.id"
            )))
            .bind(site_id.0)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?)
        })
    }

    /// Free meals served at a site between two ISO dates (inclusive),
    /// counting the current version of each day.
    pub async fn free_meal_totals(
        &self,
        site_id: SiteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<FreeMealTotals> {
        on_db!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT CAST(COUNT(*) AS BIGINT) AS days,
                        CAST(COALESCE(SUM(f.eaten), 0) AS BIGINT) AS served,
                        CAST(COALESCE(SUM(f.purchases_total), 0) AS BIGINT) AS purchases,
                        CAST(COALESCE(SUM(f.donations), 0) AS BIGINT) AS donations
                 FROM free_meal_days f
                 WHERE f.site_id = $1 AND f.date >= $2 AND f.date <= $3
                   AND f.version = (SELECT MAX(g.version) FROM free_meal_days g WHERE g.id = f.id)",
            )
            .bind(site_id.0)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_one(pool)
            .await?)
        })
    }

    /// Shifts of a site opened between two Unix ms times, oldest first.
    pub async fn shifts_for_site(
        &self,
        site_id: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ShiftRow>> {
        on_db!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM shifts WHERE site_id = $1 AND opened_at >= $2 AND opened_at < $3
                 ORDER BY opened_at, id",
                super::sales::SHIFT_COLUMNS
            )))
            .bind(site_id.0)
            .bind(from.timestamp_millis())
            .bind(to.timestamp_millis())
            .fetch_all(pool)
            .await?)
        })
    }

    /// The sales of a shift (its terminal and cashier, sold from its
    /// opening to its close) and their voids, as received.
    pub async fn shift_records(
        &self,
        shift: &ShiftRow,
        until: DateTime<Utc>,
    ) -> StoreResult<(Vec<Received<Sale>>, Vec<Received<Void>>)> {
        on_db!(self, |pool| {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT body, received_at FROM sales
                 WHERE township_id = $5 AND terminal_id = $1 AND cashier_id = $2
                   AND sold_at >= $3 AND sold_at <= $4
                 ORDER BY sold_at, id",
            )
            .bind(shift.terminal_id.0)
            .bind(shift.cashier_id.0)
            .bind(shift.opened_at.timestamp_millis())
            .bind(until.timestamp_millis())
            .bind(shift.township_id.0)
            .fetch_all(pool)
            .await?;
            let mut sales = Vec::with_capacity(rows.len());
            for (body, received_at) in rows {
                let record: Sale = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("sale body: {e}")))?;
                sales.push(Received {
                    record,
                    received_at: time(received_at)?,
                });
            }
            let voids: Vec<VoidRecord> = sqlx::query_as(
                "SELECT v.id, v.sale_id, v.site_id, v.terminal_id, v.voided_by, v.voided_at, v.reason,
                    v.received_at
                 FROM voids v JOIN sales s ON s.id = v.sale_id
                 WHERE s.township_id = $5 AND s.terminal_id = $1 AND s.cashier_id = $2
                   AND s.sold_at >= $3 AND s.sold_at <= $4",
            )
            .bind(shift.terminal_id.0)
            .bind(shift.cashier_id.0)
            .bind(shift.opened_at.timestamp_millis())
            .bind(until.timestamp_millis())
            .bind(shift.township_id.0)
            .fetch_all(pool)
            .await?;
            let voids = voids.into_iter().map(void_of).collect::<StoreResult<_>>()?;
            Ok((sales, voids))
        })
    }

    /// One (diner, date) per meal eaten at the township's sites from an ISO
    /// date on: diner meals of sales not voided, and diners named on the
    /// current version of free-meal days.
    pub async fn meals_since(
        &self,
        township_id: TownshipId,
        from: NaiveDate,
    ) -> StoreResult<Vec<(DinerId, NaiveDate)>> {
        let (township_id, from) = (township_id.0, from.to_string());
        on_db!(self, |pool| {
            let sold: Vec<(i64, String)> = sqlx::query_as(
                "SELECT l.diner_id, l.business_date FROM sale_lines l
                 WHERE l.township_id = $1 AND l.kind = 'diner_meal' AND l.diner_id IS NOT NULL
                   AND l.business_date >= $2
                   AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)",
            )
            .bind(township_id)
            .bind(&from)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(sold.len());
            for (diner, d) in sold {
                out.push((DinerId(diner), date(&d)?));
            }
            let days: Vec<FreeMealRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CURRENT_FREE_MEALS} AND f.township_id = $1 AND f.date >= $2"
            )))
            .bind(township_id)
            .bind(from)
            .fetch_all(pool)
            .await?;
            for row in &days {
                let day = free_meal_of(row)?;
                out.extend(day.diners.iter().map(|&d| (d, day.date)));
            }
            Ok(out)
        })
    }
}
