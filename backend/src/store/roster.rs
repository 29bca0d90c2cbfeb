//! The roster (diners) and price policies, with their change counters.

use super::audit::{bump, diner_audit_json, now_ms, write_audit};
use super::*;

const DINER_COLUMNS: &str = "id, township_id, name, resident_id, birth_date, village, card_no, active_from, inactive_since, categories, version";

impl Db {
    #[tracing::instrument(level = "debug", skip(self, diners, actor), fields(count = diners.len()))]
    pub async fn insert_diners(
        &self,
        township_id: TownshipId,
        diners: Vec<DinerFields>,
        actor: Actor,
    ) -> StoreResult<Vec<DinerRow>> {
        let mut tx = self.begin_write().await?;
        let version = bump(&mut tx, "roster").await?;
        let now = now_ms();
        let mut rows = Vec::with_capacity(diners.len());
        for d in diners {
            let row: DinerRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "INSERT INTO diners (township_id, name, resident_id, birth_date, village, card_no,
                    inactive_since, categories, version, updated_at, active_from)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {DINER_COLUMNS}"
            )))
            .bind(township_id.0)
            .bind(&d.name)
            .bind(&d.resident_id)
            .bind(d.birth_date.map(|b| b.to_string()))
            .bind(&d.village)
            .bind(&d.card_no)
            .bind(d.inactive_since.map(|i| i.to_string()))
            .bind(categories_json(&d.categories)?)
            .bind(version)
            .bind(now)
            .bind(d.active_from.map(|a| a.to_string()))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| unique_or(e, "a diner with this ID number is already on the roster"))?;
            write_audit(
                &mut tx,
                &AuditEntry {
                    actor: actor.clone(),
                    township_id: Some(township_id),
                    action: "diner.create".into(),
                    entity: "diner".into(),
                    entity_id: row.id.to_string(),
                    before: None,
                    after: Some(diner_audit_json(&row)?),
                },
            )
            .await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }

    #[tracing::instrument(level = "debug", skip(self, d, actor))]
    pub async fn update_diner(
        &self,
        id: DinerId,
        d: DinerFields,
        actor: Actor,
    ) -> StoreResult<DinerRow> {
        let mut tx = self.begin_write().await?;
        let before: Option<DinerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DINER_COLUMNS} FROM diners WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        let version = bump(&mut tx, "roster").await?;
        let row: DinerRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE diners SET name = $2, resident_id = $3, birth_date = $4, village = $5, card_no = $6,
                inactive_since = $7, categories = $8, version = $9, updated_at = $10,
                active_from = $11
             WHERE id = $1 RETURNING {DINER_COLUMNS}"
        )))
        .bind(id.0)
        .bind(&d.name)
        .bind(&d.resident_id)
        .bind(d.birth_date.map(|b| b.to_string()))
        .bind(&d.village)
        .bind(&d.card_no)
        .bind(d.inactive_since.map(|i| i.to_string()))
        .bind(categories_json(&d.categories)?)
        .bind(version)
        .bind(now_ms())
        .bind(d.active_from.map(|a| a.to_string()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "a diner with this ID number is already on the roster"))?;
        write_audit(
            &mut tx,
            &AuditEntry {
                actor,
                township_id: Some(row.township_id),
                action: "diner.update".into(),
                entity: "diner".into(),
                entity_id: row.id.to_string(),
                before: Some(diner_audit_json(&before)?),
                after: Some(diner_audit_json(&row)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn diner(&self, id: DinerId) -> StoreResult<Option<DinerRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DINER_COLUMNS} FROM diners WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn diners_since(
        &self,
        township_id: TownshipId,
        since: i64,
    ) -> StoreResult<Vec<DinerRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DINER_COLUMNS} FROM diners WHERE township_id = $1 AND version > $2 ORDER BY id"
        )))
        .bind(township_id.0)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, ids), fields(count = ids.len()))]
    pub async fn diners_by_ids(
        &self,
        township_id: TownshipId,
        ids: Vec<DinerId>,
    ) -> StoreResult<Vec<DinerRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Integers only, so writing them into the text is safe.
        let list = ids
            .iter()
            .map(|d| d.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DINER_COLUMNS} FROM diners WHERE township_id = $1 AND id IN ({list})"
        )))
        .bind(township_id.0)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn versions(&self) -> StoreResult<(i64, i64)> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, value FROM counters")
            .fetch_all(&self.pool)
            .await?;
        let get = |n: &str| {
            rows.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .unwrap_or(0)
        };
        Ok((get("roster"), get("policy")))
    }

    #[tracing::instrument(level = "debug", skip(self, body, audit))]
    pub async fn upsert_policy(
        &self,
        site_id: SiteId,
        effective_from: NaiveDate,
        body: &str,
        audit: AuditEntry,
    ) -> StoreResult<PolicyRow> {
        let mut tx = self.begin_write().await?;
        let before: Option<String> = sqlx::query_scalar(
            "SELECT body FROM policies WHERE site_id = $1 AND effective_from = $2",
        )
        .bind(site_id.0)
        .bind(effective_from.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let version = bump(&mut tx, "policy").await?;
        let row: PolicyRow = sqlx::query_as(
            "INSERT INTO policies (site_id, effective_from, body, version, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (site_id, effective_from) DO UPDATE SET body = excluded.body, version = excluded.version
             RETURNING id, site_id, effective_from, body, version",
        )
        .bind(site_id.0)
        .bind(effective_from.to_string())
        .bind(body)
        .bind(version)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let mut audit = audit;
        audit.entity_id = row.id.to_string();
        audit.action = if before.is_some() {
            "policy.update".into()
        } else {
            "policy.create".into()
        };
        audit.before = before;
        audit.after = Some(row.body.clone());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(row)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn policies_since(&self, site_id: SiteId, since: i64) -> StoreResult<Vec<PolicyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, site_id, effective_from, body, version FROM policies
             WHERE site_id = $1 AND version > $2 ORDER BY effective_from",
        )
        .bind(site_id.0)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Category grants as the JSON the diners table keeps.
fn categories_json(grants: &[CategoryGrant]) -> StoreResult<String> {
    serde_json::to_string(grants)
        .map_err(|e| StoreError::Corrupt(format!("cannot write the categories: {e}")))
}
