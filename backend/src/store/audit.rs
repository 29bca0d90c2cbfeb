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

/// What the audit log is searched for: parts of the actor's name and of the
/// action or entity (case-insensitive for Latin letters), and a time range.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor's login name; empty for any.
    pub who: String,
    /// Part of the action or kind of record; empty for any.
    pub what: String,
    /// From this time on.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub before: Option<DateTime<Utc>>,
}

/// A LIKE pattern that finds `part` anywhere, its own `%`, `_` and `\`
/// taken literally.
fn contains_pattern(part: &str) -> String {
    let mut p = String::with_capacity(part.len() + 2);
    p.push('%');
    for c in part.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

const AUDIT_WHERE: &str = "WHERE ($1 IS NULL OR township_id = $1)
       AND ($2 = '' OR lower(actor) LIKE $3 ESCAPE '\\')
       AND ($4 = '' OR lower(action) LIKE $5 ESCAPE '\\' OR lower(entity) LIKE $5 ESCAPE '\\')
       AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7)";

impl Db {
    /// The audit entries that match `filter`, newest first: `limit` of them
    /// after skipping `offset`, and how many match in all.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn search_audit_log(
        &self,
        township: Option<TownshipId>,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<AuditRow>, i64)> {
        let who = filter.who.trim().to_string();
        let what = filter.what.trim().to_string();
        let (who_like, what_like) = (contains_pattern(&who), contains_pattern(&what));
        let from = filter.from.map(|t| t.timestamp_millis());
        let before = filter.before.map(|t| t.timestamp_millis());
        let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, at, actor_id, actor, township_id, action, entity, entity_id, before, after
             FROM audit_log {AUDIT_WHERE} ORDER BY id DESC LIMIT $8 OFFSET $9"
        )))
        .bind(township.map(|t| t.0))
        .bind(&who)
        .bind(&who_like)
        .bind(&what)
        .bind(&what_like)
        .bind(from)
        .bind(before)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM audit_log {AUDIT_WHERE}"
        )))
        .bind(township.map(|t| t.0))
        .bind(&who)
        .bind(&who_like)
        .bind(&what)
        .bind(&what_like)
        .bind(from)
        .bind(before)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Diner"), "%diner%");
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn masks_all_but_six_and_two() {
        assert_eq!(mask_resident_id("11010519491231002X"), "110105**********2X");
        assert_eq!(mask_resident_id("123"), "***");
    }
}
