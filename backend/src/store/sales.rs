//! Sales, voids and shifts: stored exactly once each.

use canteen_core::SaleId;
use canteen_core::first_meal::{MealOrder, is_first_sold};
use chrono::DateTime;
use sqlx::Any;

use super::audit::{now_ms, write_audit};
use super::*;

const SALE_COLUMNS: &str = "s.id, s.site_id, s.terminal_id, s.cashier_id, s.sold_at, s.business_date, s.slot, s.total_paid, s.subsidy_total, s.cash_taken, s.payment_method, s.body, s.received_at, v.id AS void_id";

impl Db {
    /// Stores sales, each once by id, through the writer (group commit):
    /// answers after the commit that holds them, one outcome per sale.
    #[tracing::instrument(level = "debug", skip(self, sales), fields(count = sales.len()))]
    pub async fn insert_sales(
        &self,
        sales: Vec<SaleToStore>,
        received_at: i64,
    ) -> StoreResult<Vec<Outcome>> {
        self.writer.sales(sales, received_at).await
    }

    /// Stores voids, each once by id, through the writer (group commit).
    #[tracing::instrument(level = "debug", skip(self, voids), fields(count = voids.len()))]
    pub async fn insert_voids(
        &self,
        voids: Vec<VoidToStore>,
        received_at: i64,
    ) -> StoreResult<Vec<Outcome>> {
        self.writer.voids(voids, received_at).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sale(&self, id: &str) -> StoreResult<Option<SaleRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id WHERE s.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The diner's meals of a slot and day that contest its subsidy now,
    /// for reading where a stored line stands (see [`meals_in_contest`]).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn meal_contest(
        &self,
        township_id: i64,
        diner_id: i64,
        business_date: &str,
        slot: &str,
    ) -> StoreResult<Vec<MealOrder>> {
        let mut conn = self.pool.acquire().await?;
        contest(&mut conn, township_id, diner_id, business_date, slot).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sale_lines(&self, id: &str) -> StoreResult<Vec<SaleLineRow>> {
        Ok(sqlx::query_as(
            "SELECT sale_id, line_no, kind, diner_id, name, quantity, standard, amount, subsidy, bracket,
                category, expected_standard, expected_paid, expected_subsidy, expected_bracket,
                expected_category, expected_reason, verdict
             FROM sale_lines WHERE sale_id = $1 ORDER BY line_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The stored lines of these sales with the backend's verdicts (the
    /// answer to a terminal's post), in sale and line order.
    #[tracing::instrument(level = "debug", skip(self, ids), fields(count = ids.len()))]
    pub async fn sale_lines_of(&self, ids: &[String]) -> StoreResult<Vec<SaleLineRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        // Batches are at most 500 sales; keep each statement's parameters few.
        for chunk in ids.chunks(100) {
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
                q = q.bind(id);
            }
            let found: Vec<SaleLineRow> = q.fetch_all(&self.pool).await?;
            rows.extend(found);
        }
        Ok(rows)
    }

    #[tracing::instrument(level = "debug", skip(self, site), fields(site = site.id))]
    pub async fn sales_for_site(
        &self,
        site: &Site,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<SaleRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id
             WHERE s.township_id = $4 AND s.site_id = $1
               AND s.business_date >= $2 AND s.business_date <= $3
             ORDER BY s.sold_at, s.id"
        )))
        .bind(site.id)
        .bind(from)
        .bind(to)
        .bind(site.township_id)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sales_totals(&self) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(total_paid), 0) AS BIGINT) FROM sales",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, shift), fields(id = %shift.id))]
    pub async fn open_shift(&self, shift: ShiftRow) -> StoreResult<Outcome> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "INSERT INTO shifts (id, site_id, terminal_id, cashier_id, opened_at, opening_float, received_at, township_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&shift.id)
        .bind(shift.site_id)
        .bind(shift.terminal_id)
        .bind(shift.cashier_id)
        .bind(shift.opened_at)
        .bind(shift.opening_float)
        .bind(now_ms())
        .bind(shift.township_id)
        .execute(&mut *tx)
        .await?;
        let outcome = if res.rows_affected() == 1 {
            Outcome::Stored
        } else {
            let stored: Option<ShiftRow> = sqlx::query_as(
                "SELECT id, township_id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash
                 FROM shifts WHERE id = $1",
            )
            .bind(&shift.id)
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(s)
                    if (
                        s.township_id,
                        s.terminal_id,
                        s.cashier_id,
                        s.opened_at,
                        s.opening_float,
                    ) == (
                        shift.township_id,
                        shift.terminal_id,
                        shift.cashier_id,
                        shift.opened_at,
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
        id: &str,
        township_id: i64,
        terminal_id: i64,
        closed_at: i64,
        counted_cash: i64,
    ) -> StoreResult<CloseOutcome> {
        let mut tx = self.begin_write().await?;
        let stored: Option<ShiftRow> = sqlx::query_as(
            "SELECT id, township_id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash
             FROM shifts WHERE township_id = $3 AND id = $1 AND terminal_id = $2",
        )
        .bind(id)
        .bind(terminal_id)
        .bind(township_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(shift) = stored else {
            return Err(StoreError::NotFound);
        };
        if closed_at < shift.opened_at {
            return Ok(CloseOutcome::BeforeOpening(shift));
        }
        if shift.closed_at.is_some() {
            let same =
                shift.closed_at == Some(closed_at) && shift.counted_cash == Some(counted_cash);
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
        .bind(shift.terminal_id)
        .bind(shift.cashier_id)
        .bind(shift.opened_at)
        .bind(closed_at)
        .bind(shift.township_id)
        .fetch_one(&mut *tx)
        .await?;
        let expected = shift.opening_float.saturating_add(cash);
        let row: ShiftRow = sqlx::query_as(
            "UPDATE shifts SET closed_at = $2, counted_cash = $3, expected_cash = $4
             WHERE township_id = $5 AND id = $1
             RETURNING id, township_id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash",
        )
        .bind(id)
        .bind(closed_at)
        .bind(counted_cash)
        .bind(expected)
        .bind(shift.township_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CloseOutcome::Closed(row))
    }
}

pub(super) async fn insert_one_sale<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    sale: &SaleToStore,
    received_at: i64,
) -> StoreResult<Outcome> {
    let res = sqlx::query(
        "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot,
            total_paid, subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&sale.id)
    .bind(sale.site_id)
    .bind(sale.terminal_id)
    .bind(sale.cashier_id)
    .bind(sale.sold_at)
    .bind(&sale.business_date)
    .bind(&sale.slot)
    .bind(sale.total_paid)
    .bind(sale.subsidy_total)
    .bind(sale.cash_taken)
    .bind(&sale.payment_method)
    .bind(&sale.content_hash)
    .bind(&sale.body)
    .bind(received_at)
    .bind(sale.township_id)
    .execute(&mut **tx)
    .await;
    if super::inserted(res)? == 0 {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM sales WHERE id = $1")
                .bind(&sale.id)
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
            (Some(first), Some(diner)) if first.subsidy > 0 => {
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
        let word = match (line.kind.as_str(), verdict) {
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
        };
        let line_no = i64::try_from(i + 1).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, name, quantity, standard, amount,
                subsidy, bracket, category, expected_standard, expected_paid, expected_subsidy,
                expected_bracket, expected_category, expected_reason, verdict, business_date, slot,
                township_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21)",
        )
        .bind(&sale.id)
        .bind(line_no)
        .bind(&line.kind)
        .bind(line.diner_id)
        .bind(&line.name)
        .bind(line.quantity)
        .bind(line.standard)
        .bind(line.amount)
        .bind(line.subsidy)
        .bind(&line.bracket)
        .bind(&line.category)
        .bind(verdict.map(|v| v.standard))
        .bind(verdict.map(|v| v.paid))
        .bind(verdict.map(|v| v.subsidy))
        .bind(verdict.and_then(|v| v.bracket.clone()))
        .bind(verdict.and_then(|v| v.category.clone()))
        .bind(verdict.map(|v| v.reason.clone()))
        .bind(word)
        .bind(&sale.business_date)
        .bind(&sale.slot)
        .bind(sale.township_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Outcome::Stored)
}

/// Where the lines of `sale` stand in the first-meal contest (line 0).
fn sale_order(sale: &SaleToStore) -> StoreResult<MealOrder> {
    meal_order(sale.sold_at, &sale.id, 1)
}

/// Where line `line_no` (1-based) of a stored sale stands in the
/// first-meal contest; times at the millisecond the store keeps.
pub fn meal_order(sold_at: i64, sale_id: &str, line_no: i64) -> StoreResult<MealOrder> {
    let sold_at = DateTime::from_timestamp_millis(sold_at)
        .ok_or_else(|| StoreError::Corrupt(format!("sale {sale_id}: sold_at {sold_at}")))?;
    let sale_id = sale_id
        .parse()
        .map(SaleId)
        .map_err(|e| StoreError::Corrupt(format!("sale id {sale_id}: {e}")))?;
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
    diner: i64,
) -> StoreResult<Vec<MealOrder>> {
    contest(tx, sale.township_id, diner, &sale.business_date, &sale.slot).await
}

async fn contest(
    conn: &mut sqlx::AnyConnection,
    township_id: i64,
    diner: i64,
    business_date: &str,
    slot: &str,
) -> StoreResult<Vec<MealOrder>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT s.sold_at, l.sale_id, l.line_no FROM sale_lines l
         JOIN sales s ON s.id = l.sale_id
         WHERE l.township_id = $4 AND l.diner_id = $1 AND l.business_date = $2 AND l.slot = $3
           AND l.kind = 'diner_meal' AND l.subsidy > 0
           AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)",
    )
    .bind(diner)
    .bind(business_date)
    .bind(slot)
    .bind(township_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|(sold_at, sale_id, line_no)| meal_order(*sold_at, sale_id, *line_no))
        .collect()
}

pub(super) async fn insert_one_void<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    void: &VoidToStore,
    received_at: i64,
) -> StoreResult<Outcome> {
    let sale_site: Option<i64> =
        sqlx::query_scalar("SELECT site_id FROM sales WHERE township_id = $2 AND id = $1")
            .bind(&void.sale_id)
            .bind(void.township_id)
            .fetch_optional(&mut **tx)
            .await?;
    match sale_site {
        None => {
            return Ok(Outcome::Rejected(format!(
                "sale {} is not known here: post the sale before its void",
                void.sale_id
            )));
        }
        Some(site) if site != void.site_id => {
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
    .bind(&void.id)
    .bind(&void.sale_id)
    .bind(void.site_id)
    .bind(void.terminal_id)
    .bind(void.voided_by)
    .bind(void.voided_at)
    .bind(&void.reason)
    .bind(&void.content_hash)
    .bind(&void.body)
    .bind(received_at)
    .bind(void.township_id)
    .execute(&mut **tx)
    .await;
    if super::inserted(res)? == 0 {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM voids WHERE id = $1")
                .bind(&void.id)
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
            entity_id: void.sale_id.clone(),
            before: None,
            after: Some(void.body.clone()),
        },
    )
    .await?;
    Ok(Outcome::Stored)
}
