//! Sales, voids and shifts: stored exactly once each.

use canteen_core::first_meal::{MealOrder, is_first_sold};
use sqlx::Any;

use super::audit::{now_ms, write_audit};
use super::*;

pub(super) const SHIFT_COLUMNS: &str = "id, township_id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, close_received_at, counted_cash, expected_cash";

const SALE_COLUMNS: &str = "s.id, s.site_id, s.terminal_id, s.cashier_id, s.sold_at, s.business_date, s.slot, s.total_paid, s.subsidy_total, s.cash_taken, s.payment_method, s.body, s.received_at, v.id AS void_id";

impl Db {
    /// Stores sales, each once by id, through the writer (group commit):
    /// answers after the commit that holds them, one outcome per sale.
    #[tracing::instrument(level = "debug", skip(self, sales), fields(count = sales.len()))]
    pub async fn insert_sales(
        &self,
        sales: Vec<SaleToStore>,
        received_at: ReceivedAt,
    ) -> StoreResult<Vec<Outcome>> {
        self.writer.sales(sales, received_at).await
    }

    /// Stores voids, each once by id, through the writer (group commit).
    #[tracing::instrument(level = "debug", skip(self, voids), fields(count = voids.len()))]
    pub async fn insert_voids(
        &self,
        voids: Vec<VoidToStore>,
        received_at: ReceivedAt,
    ) -> StoreResult<Vec<Outcome>> {
        self.writer.voids(voids, received_at).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sale(&self, id: SaleId) -> StoreResult<Option<SaleRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id WHERE s.id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The diner's meals of a slot and day that contest its subsidy now,
    /// for reading where a stored line stands (see [`meals_in_contest`]).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn meal_contest(
        &self,
        township_id: TownshipId,
        diner_id: DinerId,
        business_date: NaiveDate,
        slot: Slot,
    ) -> StoreResult<Vec<MealOrder>> {
        let mut conn = self.pool.acquire().await?;
        contest(&mut conn, township_id, diner_id, business_date, slot).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sale_lines(&self, id: SaleId) -> StoreResult<Vec<SaleLineRow>> {
        Ok(sqlx::query_as(
            "SELECT sale_id, line_no, kind, diner_id, name, quantity, standard, amount, subsidy, bracket,
                category, expected_standard, expected_paid, expected_subsidy, expected_bracket,
                expected_category, expected_reason, verdict
             FROM sale_lines WHERE sale_id = $1 ORDER BY line_no",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The stored lines of these sales with the backend's verdicts (the
    /// answer to a terminal's post), in sale and line order.
    #[tracing::instrument(level = "debug", skip(self, ids), fields(count = ids.len()))]
    pub async fn sale_lines_of(&self, ids: &[SaleId]) -> StoreResult<Vec<SaleLineRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        // Batches are at most 500 sales: one statement each, far below
        // either database's limit on bound parameters.
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT sale_id, line_no, kind, diner_id, name, quantity, standard, amount, subsidy, bracket,
                    category, expected_standard, expected_paid, expected_subsidy, expected_bracket,
                    expected_category, expected_reason, verdict
                 FROM sale_lines WHERE sale_id IN ({}) ORDER BY sale_id, line_no",
                marks.join(", ")
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            let found: Vec<SaleLineRow> = q.fetch_all(&self.pool).await?;
            rows.extend(found);
        }
        Ok(rows)
    }

    #[tracing::instrument(level = "debug", skip(self, site), fields(site = site.id.0))]
    pub async fn sales_for_site(
        &self,
        site: &Site,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<SaleRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id
             WHERE s.township_id = $4 AND s.site_id = $1
               AND s.business_date >= $2 AND s.business_date <= $3
             ORDER BY s.sold_at, s.id"
        )))
        .bind(site.id.0)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(site.township_id.0)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sales_totals(&self) -> StoreResult<(i64, Money)> {
        let (count, fen): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(total_paid), 0) AS BIGINT) FROM sales",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((count, Money::from_fen(fen)))
    }

    #[tracing::instrument(level = "debug", skip(self, shift), fields(id = %shift.id))]
    pub async fn open_shift(&self, shift: ShiftRow) -> StoreResult<Outcome> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "INSERT INTO shifts (id, site_id, terminal_id, cashier_id, opened_at, opening_float, received_at, township_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(shift.id.to_string())
        .bind(shift.site_id.0)
        .bind(shift.terminal_id.0)
        .bind(shift.cashier_id.0)
        .bind(shift.opened_at.timestamp_millis())
        .bind(shift.opening_float.fen())
        .bind(now_ms())
        .bind(shift.township_id.0)
        .execute(&mut *tx)
        .await?;
        let outcome = if res.rows_affected() == 1 {
            Outcome::Stored
        } else {
            let stored: Option<ShiftRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SHIFT_COLUMNS} FROM shifts WHERE id = $1"
            )))
            .bind(shift.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(s)
                    if (
                        s.township_id,
                        s.terminal_id,
                        s.cashier_id,
                        s.opened_at.timestamp_millis(),
                        s.opening_float,
                    ) == (
                        shift.township_id,
                        shift.terminal_id,
                        shift.cashier_id,
                        shift.opened_at.timestamp_millis(),
                        shift.opening_float,
                    ) =>
                {
                    Outcome::Duplicate
                }
                _ => Outcome::Conflict,
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn close_shift(
        &self,
        id: ShiftId,
        township_id: TownshipId,
        terminal_id: TerminalId,
        closed_at: DateTime<Utc>,
        counted_cash: Money,
    ) -> StoreResult<CloseOutcome> {
        let mut tx = self.begin_write().await?;
        let stored: Option<ShiftRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHIFT_COLUMNS} FROM shifts WHERE township_id = $3 AND id = $1 AND terminal_id = $2"
        )))
        .bind(id.to_string())
        .bind(terminal_id.0)
        .bind(township_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(shift) = stored else {
            return Err(StoreError::NotFound);
        };
        if closed_at.timestamp_millis() < shift.opened_at.timestamp_millis() {
            return Ok(CloseOutcome::BeforeOpening(shift));
        }
        if shift.closed_at.is_some() {
            let same = shift.closed_at.map(|c| c.timestamp_millis())
                == Some(closed_at.timestamp_millis())
                && shift.counted_cash == Some(counted_cash);
            return Ok(if same {
                CloseOutcome::Closed(shift)
            } else {
                CloseOutcome::Conflict(shift)
            });
        }
        let cash: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(s.cash_taken), 0) AS BIGINT) FROM sales s
             WHERE s.township_id = $5 AND s.terminal_id = $1 AND s.cashier_id = $2
               AND s.sold_at >= $3 AND s.sold_at <= $4
               AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.township_id = $5 AND v.sale_id = s.id)",
        )
        .bind(shift.terminal_id.0)
        .bind(shift.cashier_id.0)
        .bind(shift.opened_at.timestamp_millis())
        .bind(closed_at.timestamp_millis())
        .bind(shift.township_id.0)
        .fetch_one(&mut *tx)
        .await?;
        let expected = shift
            .opening_float
            .checked_add(Money::from_fen(cash))
            .ok_or_else(|| StoreError::Corrupt(format!("shift {id}: cash beyond range")))?;
        // Stamped inside the write transaction, as sales are.
        let row: ShiftRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE shifts SET closed_at = $2, counted_cash = $3, expected_cash = $4, close_received_at = $6
             WHERE township_id = $5 AND id = $1
             RETURNING {SHIFT_COLUMNS}"
        )))
        .bind(id.to_string())
        .bind(closed_at.timestamp_millis())
        .bind(counted_cash.fen())
        .bind(expected.fen())
        .bind(shift.township_id.0)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CloseOutcome::Closed(row))
    }
}

pub(super) async fn insert_one_sale<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    sale: &SaleToStore,
    received_at: DateTime<Utc>,
) -> StoreResult<Outcome> {
    let res = sqlx::query(
        "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot,
            total_paid, subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(sale.id.to_string())
    .bind(sale.site_id.0)
    .bind(sale.terminal_id.0)
    .bind(sale.cashier_id.0)
    .bind(sale.sold_at.timestamp_millis())
    .bind(sale.business_date.to_string())
    .bind(sale.slot.as_str())
    .bind(sale.total_paid.fen())
    .bind(sale.subsidy_total.fen())
    .bind(sale.cash_taken.fen())
    .bind(&sale.payment_method)
    .bind(&sale.content_hash)
    .bind(&sale.body)
    .bind(received_at.timestamp_millis())
    .bind(sale.township_id.0)
    .execute(&mut **tx)
    .await;
    if super::inserted(res)? == 0 {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM sales WHERE id = $1")
                .bind(sale.id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        return Ok(if stored.as_deref() == Some(sale.content_hash.as_str()) {
            Outcome::Duplicate
        } else {
            Outcome::Conflict
        });
    }
    let sale_order = sale_order(sale)?;
    for (i, line) in sale.lines.iter().enumerate() {
        // Which meal of the diner's slot and day is the subsidised one is
        // the core's rule (first sold, not first received), the same the
        // claim applies. Earlier lines of this sale are already written.
        let verdict = match (&line.first, line.diner_id) {
            (Some(first), Some(diner)) if first.subsidy > Money::ZERO => {
                let others = meals_in_contest(tx, sale, diner).await?;
                let meal = MealOrder {
                    line_index: i,
                    ..sale_order
                };
                if is_first_sold(meal, others) {
                    Some(first)
                } else {
                    line.repeat.as_ref()
                }
            }
            (first, _) => first.as_ref(),
        };
        let word = verdict_word(line, verdict);
        let line_no = i64::try_from(i + 1)
            .map_err(|_| StoreError::Corrupt(format!("sale {}: too many lines", sale.id)))?;
        sqlx::query(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, name, quantity, standard, amount,
                subsidy, bracket, category, expected_standard, expected_paid, expected_subsidy,
                expected_bracket, expected_category, expected_reason, verdict, business_date, slot,
                township_id, site_id, terminal_id, cashier_id, sold_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21, $22, $23, $24, $25, $26)",
        )
        .bind(sale.id.to_string())
        .bind(line_no)
        .bind(&line.kind)
        .bind(line.diner_id.map(|d| d.0))
        .bind(&line.name)
        .bind(line.quantity)
        .bind(line.standard.map(Money::fen))
        .bind(line.amount.fen())
        .bind(line.subsidy.fen())
        .bind(&line.bracket)
        .bind(&line.category)
        .bind(verdict.map(|v| v.standard.fen()))
        .bind(verdict.map(|v| v.paid.fen()))
        .bind(verdict.map(|v| v.subsidy.fen()))
        .bind(verdict.and_then(|v| v.bracket.clone()))
        .bind(verdict.and_then(|v| v.category.clone()))
        .bind(verdict.map(|v| v.reason.clone()))
        .bind(word)
        .bind(sale.business_date.to_string())
        .bind(sale.slot.as_str())
        .bind(sale.township_id.0)
        .bind(sale.site_id.0)
        .bind(sale.terminal_id.0)
        .bind(sale.cashier_id.0)
        .bind(sale.sold_at.timestamp_millis())
        .bind(received_at.timestamp_millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(Outcome::Stored)
}

/// The backend's word on a line beside the terminal's price.
pub(super) fn verdict_word(line: &LineToStore, verdict: Option<&Verdict>) -> &'static str {
    match (line.kind.as_str(), verdict) {
        ("diner_meal", None) => "unpriced",
        ("diner_meal", Some(v)) => {
            if Some(v.standard) == line.standard
                && v.paid == line.amount
                && v.subsidy == line.subsidy
            {
                "agrees"
            } else {
                "differs"
            }
        }
        _ => "not_subsidised",
    }
}

/// Where the lines of `sale` stand in the first-meal contest (line 0).
pub(super) fn sale_order(sale: &SaleToStore) -> StoreResult<MealOrder> {
    meal_order(sale.sold_at, sale.id, 1)
}

/// Where line `line_no` (1-based) of a stored sale stands in the
/// first-meal contest; times at the millisecond the store keeps.
pub fn meal_order(sold_at: DateTime<Utc>, sale_id: SaleId, line_no: i64) -> StoreResult<MealOrder> {
    let sold_at = decode::time_of(sold_at.timestamp_millis())?;
    let line_index = usize::try_from(line_no - 1)
        .map_err(|_| StoreError::Corrupt(format!("sale {sale_id}: line {line_no}")))?;
    Ok(MealOrder {
        sold_at,
        sale_id,
        line_index,
    })
}

/// The stored meals the diner's slot and day is contested among, as the
/// claim counts them: diner meal lines the terminal sold with a subsidy,
/// of sales not voided, at any site of the township.
async fn meals_in_contest(
    tx: &mut sqlx::Transaction<'_, Any>,
    sale: &SaleToStore,
    diner: DinerId,
) -> StoreResult<Vec<MealOrder>> {
    contest(tx, sale.township_id, diner, sale.business_date, sale.slot).await
}

async fn contest(
    conn: &mut sqlx::AnyConnection,
    township_id: TownshipId,
    diner: DinerId,
    business_date: NaiveDate,
    slot: Slot,
) -> StoreResult<Vec<MealOrder>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT l.sold_at, l.sale_id, l.line_no FROM sale_lines l
         WHERE l.township_id = $4 AND l.diner_id = $1 AND l.business_date = $2 AND l.slot = $3
           AND l.kind = 'diner_meal' AND l.subsidy > 0
           AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)",
    )
    .bind(diner.0)
    .bind(business_date.to_string())
    .bind(slot.as_str())
    .bind(township_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|(sold_at, sale_id, line_no)| {
            meal_order(
                decode::time_of(*sold_at)?,
                SaleId(decode::uuid_of(sale_id)?),
                *line_no,
            )
        })
        .collect()
}

pub(super) async fn insert_one_void<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    void: &VoidToStore,
    received_at: DateTime<Utc>,
) -> StoreResult<Outcome> {
    let sale_site: Option<i64> =
        sqlx::query_scalar("SELECT site_id FROM sales WHERE township_id = $2 AND id = $1")
            .bind(void.sale_id.to_string())
            .bind(void.township_id.0)
            .fetch_optional(&mut **tx)
            .await?;
    match sale_site {
        None => {
            return Ok(Outcome::Rejected(format!(
                "sale {} is not known here: post the sale before its void",
                void.sale_id
            )));
        }
        Some(site) if site != void.site_id.0 => {
            return Ok(Outcome::Rejected(format!(
                "sale {} was not made at this site",
                void.sale_id
            )));
        }
        Some(_) => {}
    }
    let res = sqlx::query(
        "INSERT INTO voids (id, sale_id, site_id, terminal_id, voided_by, voided_at, reason, content_hash, body, received_at, township_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(void.id.to_string())
    .bind(void.sale_id.to_string())
    .bind(void.site_id.0)
    .bind(void.terminal_id.0)
    .bind(void.voided_by.0)
    .bind(void.voided_at.timestamp_millis())
    .bind(&void.reason)
    .bind(&void.content_hash)
    .bind(&void.body)
    .bind(received_at.timestamp_millis())
    .bind(void.township_id.0)
    .execute(&mut **tx)
    .await;
    if super::inserted(res)? == 0 {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM voids WHERE id = $1")
                .bind(void.id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        return Ok(match stored {
            Some(h) if h == void.content_hash => Outcome::Duplicate,
            Some(_) => Outcome::Conflict,
            None => Outcome::Rejected(format!("sale {} is already voided", void.sale_id)),
        });
    }
    write_audit(
        tx,
        &AuditEntry {
            actor: Actor {
                user_id: Some(void.voided_by),
                name: void.actor_name.clone(),
            },
            township_id: Some(void.township_id),
            action: "sale.void".into(),
            entity: "sale".into(),
            entity_id: void.sale_id.to_string(),
            before: None,
            after: Some(void.body.clone()),
        },
    )
    .await?;
    Ok(Outcome::Stored)
}
