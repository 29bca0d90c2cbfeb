//! The audit log and the helpers every change shares.

use sqlx::Any;

use super::*;

/// Hides all of a resident ID number but the first 6 and last 2 characters,
/// for the audit log.
pub(crate) fn mask_resident_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A diner as the audit log shows it: the ID number masked.
pub(crate) fn diner_audit_json(d: &super::DinerRow) -> StoreResult<String> {
    Ok(serde_json::json!({
        "id": d.id,
        "township_id": d.township_id,
        "name": d.name,
        "resident_id": d.resident_id.as_deref().map(mask_resident_id),
        // The year only: beside the masked ID a full date gives the number away.
        "birth_year": d.birth_date.map(|b| chrono::Datelike::year(&b)),
        "village": d.village,
        "card_no": d.card_no,
        "active_from": d.active_from,
        "inactive_since": d.inactive_since,
        "categories": d.categories,
        "version": d.version,
    })
    .to_string())
}

/// A record as JSON for the audit log.
pub(crate) fn audit_value<T: serde::Serialize>(value: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot write the audit entry: {e}")))
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Writes an audit entry inside the change's own transaction.
pub(super) async fn write_audit<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    e: &AuditEntry,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, township_id, action, entity, entity_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(now_ms())
    .bind(e.actor.user_id.map(|u| u.0))
    .bind(&e.actor.name)
    .bind(e.township_id.map(|t| t.0))
    .bind(&e.action)
    .bind(&e.entity)
    .bind(&e.entity_id)
    .bind(&e.before)
    .bind(&e.after)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a change counter (roster or policy version) on by one.
pub(super) async fn bump<'c>(
    tx: &mut sqlx::Transaction<'c, Any>,
    counter: &'static str,
) -> StoreResult<i64> {
    let v: i64 =
        sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
            .bind(counter)
            .fetch_one(&mut **tx)
            .await?;
    Ok(v)
}

impl Db {
    #[tracing::instrument(level = "debug", skip(self, entry), fields(action = %entry.action))]
    pub async fn insert_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        write_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn audit_log(
        &self,
        township: Option<TownshipId>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, at, actor_id, actor, township_id, action, entity, entity_id, before, after
             FROM audit_log WHERE ($1 IS NULL OR township_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(township.map(|t| t.0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_six_and_two() {
        assert_eq!(mask_resident_id("11010519491231002X"), "110105**********2X");
        assert_eq!(mask_resident_id("123"), "***");
    }
}
