//! The web pages' browser sessions and their CSRF key.

use sqlx::FromRow;
use sqlx::any::AnyRow;

use super::*;

/// A live browser session and its user.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The signed-in user.
    pub user: User,
    /// True while the user still has a one-time password.
    pub must_change_password: bool,
}

/// `last_seen_at` is written at most this often, so that reading pages
/// does not make a write per request.
const TOUCH_EVERY_MS: i64 = 60_000;

impl Db {
    /// Stores a new session by the hash of its id; forgets the user's
    /// sessions that have ended.
    #[tracing::instrument(level = "debug", skip(self, id_hash))]
    pub async fn insert_web_session(
        &self,
        id_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
        idle_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM web_sessions WHERE user_id = $1 AND (expires_at <= $2 OR last_seen_at <= $3)",
        )
        .bind(user_id.0)
        .bind(now)
        .bind(now.saturating_sub(idle_ms))
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(id_hash)
        .bind(user_id.0)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session of that id hash if it has neither expired nor been idle
    /// for `idle_ms`, and its user is active; marks it as used.
    #[tracing::instrument(level = "debug", skip(self, id_hash))]
    pub async fn web_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_ms: i64,
    ) -> StoreResult<Option<WebSession>> {
        let row: Option<AnyRow> = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.township_id, u.site_id,
                    CASE WHEN u.active THEN 1 ELSE 0 END AS active,
                    CASE WHEN u.must_change_password THEN 1 ELSE 0 END AS must_change_password,
                    s.last_seen_at
             FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active",
        )
        .bind(id_hash)
        .bind(now)
        .bind(now.saturating_sub(idle_ms))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = User::from_row(&row)?;
        let must_change_password = decode::flag(&row, "must_change_password")?;
        let last_seen_at = decode::int(&row, "last_seen_at")?;
        if now - last_seen_at >= TOUCH_EVERY_MS {
            sqlx::query("UPDATE web_sessions SET last_seen_at = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(WebSession {
            user,
            must_change_password,
        }))
    }

    /// Ends a session (logging out).
    #[tracing::instrument(level = "debug", skip(self, id_hash))]
    pub async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The key stored under `name`, made from `fresh` and stored the first
    /// time it is asked for (the first writer wins when two start at once).
    #[tracing::instrument(level = "debug", skip(self, fresh))]
    pub async fn web_key(&self, name: &str, fresh: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO web_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT key FROM web_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
