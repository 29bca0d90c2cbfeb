//! Townships, sites, users, login sessions and terminals.

use super::audit::{audit_value, now_ms, write_audit};
use super::*;

/// The columns a [`User`] is read from.
const USER_COLUMNS: &str = "id, username, display_name, role, township_id, site_id, CASE WHEN active THEN 1 ELSE 0 END AS active";
/// The columns a [`Terminal`] is read from.
const TERMINAL_COLUMNS: &str = "id, site_id, name, CASE WHEN active THEN 1 ELSE 0 END AS active";
/// The columns a [`Site`] is read from.
const SITE_COLUMNS: &str = "id, township_id, name, kind, utc_offset_minutes";

impl Db {
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn has_users(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    #[tracing::instrument(level = "debug", skip(self, audit))]
    pub async fn insert_township(&self, name: &str, audit: AuditEntry) -> StoreResult<Township> {
        let mut tx = self.begin_write().await?;
        let t: Township = sqlx::query_as(
            "INSERT INTO townships (name, created_at) VALUES ($1, $2) RETURNING id, name",
        )
        .bind(name)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "a township with this name exists"))?;
        let mut audit = audit;
        audit.township_id = Some(t.id);
        audit.entity_id = t.id.to_string();
        audit.after = Some(audit_value(&t)?.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(t)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn townships(&self) -> StoreResult<Vec<Township>> {
        Ok(sqlx::query_as("SELECT id, name FROM townships ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn township(&self, id: TownshipId) -> StoreResult<Option<Township>> {
        Ok(
            sqlx::query_as("SELECT id, name FROM townships WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(level = "debug", skip(self, audit))]
    pub async fn insert_site(&self, site: NewSite, audit: AuditEntry) -> StoreResult<Site> {
        let mut tx = self.begin_write().await?;
        let s: Site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sites (township_id, name, kind, utc_offset_minutes, created_at)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING {SITE_COLUMNS}"
        )))
        .bind(site.township_id.0)
        .bind(&site.name)
        .bind(site.kind.as_str())
        .bind(site.utc_offset_minutes)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "the township has a site with this name"))?;
        let mut audit = audit;
        audit.entity_id = s.id.to_string();
        audit.after = Some(audit_value(&s)?.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(s)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sites(&self, township: Option<TownshipId>) -> StoreResult<Vec<Site>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites
             WHERE ($1 IS NULL OR township_id = $1) ORDER BY id"
        )))
        .bind(township.map(|t| t.0))
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn site(&self, id: SiteId) -> StoreResult<Option<Site>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, user, audit), fields(username = %user.username))]
    pub async fn insert_user(&self, user: NewUser, audit: AuditEntry) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let u: User = sqlx::query_as(
            sqlx::AssertSqlSafe(format!("INSERT INTO users (username, display_name, role, township_id, site_id, password_hash, active, created_at, must_change_password)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             RETURNING {USER_COLUMNS}")),
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(user.township_id.map(|t| t.0))
        .bind(user.site_id.map(|s| s.0))
        .bind(&user.password_hash)
        .bind(true)
        .bind(now_ms())
        .bind(user.must_change_password)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "this username is taken"))?;
        let mut audit = audit;
        audit.entity_id = u.id.to_string();
        audit.after = Some(audit_value(&u)?.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(u)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn users(&self, township: Option<TownshipId>) -> StoreResult<Vec<User>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users
             WHERE ($1 IS NULL OR township_id = $1) ORDER BY id"
        )))
        .bind(township.map(|t| t.0))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The township's users among `ids` (the cashiers a batch of sales names).
    #[tracing::instrument(level = "debug", skip(self, ids), fields(count = ids.len()))]
    pub async fn users_by_ids(
        &self,
        township: TownshipId,
        ids: &[UserId],
    ) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Integers only, so writing them into the text is safe.
        let list = ids
            .iter()
            .map(|u| u.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE township_id = $1 AND id IN ({list})"
        )))
        .bind(township.0)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn credentials(&self, username: &str) -> StoreResult<Option<UserCredentials>> {
        Ok(sqlx::query_as(
            "SELECT id, password_hash, CASE WHEN active THEN 1 ELSE 0 END AS active,
                    CASE WHEN must_change_password THEN 1 ELSE 0 END AS must_change_password
             FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets a new password (`one_time`: made for the user, who must replace
    /// it at their next sign-in on the pages) and/or (de)activates. A new
    /// password or a deactivation ends every session, API and pages.
    #[tracing::instrument(level = "debug", skip(self, password_hash, audit))]
    pub async fn update_user_login(
        &self,
        id: UserId,
        password_hash: Option<String>,
        one_time: bool,
        active: Option<bool>,
        audit: AuditEntry,
    ) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let before: Option<User> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        let after: User = sqlx::query_as(
            sqlx::AssertSqlSafe(format!("UPDATE users SET password_hash = COALESCE($2, password_hash), active = COALESCE($3, active),
                 must_change_password = CASE WHEN $2 IS NULL THEN must_change_password ELSE $4 END
             WHERE id = $1
             RETURNING {USER_COLUMNS}")),
        )
        .bind(id.0)
        .bind(&password_hash)
        .bind(active)
        .bind(one_time)
        .fetch_one(&mut *tx)
        .await?;
        if password_hash.is_some() || active == Some(false) {
            for sql in [
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM web_sessions WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
            }
        }
        let mut audit = audit;
        audit.before = Some(audit_value(&before)?.to_string());
        let mut after_json = audit_value(&after)?;
        if password_hash.is_some() {
            after_json["password"] = serde_json::Value::from("changed");
        }
        audit.after = Some(after_json.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(after)
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        // Forget this user's expired sessions while here.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(user_id.0)
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id.0)
            .bind(now.timestamp_millis())
            .bind(expires_at.timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.township_id, u.site_id, CASE WHEN u.active THEN 1 ELSE 0 END AS active
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
        )
        .bind(token_hash)
        .bind(now.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash, audit))]
    pub async fn insert_terminal(
        &self,
        site_id: SiteId,
        name: &str,
        token_hash: &str,
        audit: AuditEntry,
    ) -> StoreResult<Terminal> {
        let mut tx = self.begin_write().await?;
        let t: Terminal = sqlx::query_as(
            sqlx::AssertSqlSafe(format!("INSERT INTO terminals (site_id, name, token_hash, active, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING {TERMINAL_COLUMNS}")),
        )
        .bind(site_id.0)
        .bind(name)
        .bind(token_hash)
        .bind(true)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let mut audit = audit;
        audit.entity_id = t.id.to_string();
        audit.after = Some(audit_value(&t)?.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(t)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn terminal(&self, id: TerminalId) -> StoreResult<Option<Terminal>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TERMINAL_COLUMNS} FROM terminals WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash, audit))]
    pub async fn update_terminal(
        &self,
        id: TerminalId,
        active: Option<bool>,
        token_hash: Option<String>,
        audit: AuditEntry,
    ) -> StoreResult<Terminal> {
        let mut tx = self.begin_write().await?;
        let before: Option<Terminal> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TERMINAL_COLUMNS} FROM terminals WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        let after: Terminal = sqlx::query_as(
            sqlx::AssertSqlSafe(format!("UPDATE terminals SET active = COALESCE($2, active), token_hash = COALESCE($3, token_hash)
             WHERE id = $1 RETURNING {TERMINAL_COLUMNS}")),
        )
        .bind(id.0)
        .bind(active)
        .bind(&token_hash)
        .fetch_one(&mut *tx)
        .await?;
        let mut audit = audit;
        audit.entity_id = id.to_string();
        audit.before = Some(audit_value(&before)?.to_string());
        let mut after_json = audit_value(&after)?;
        if token_hash.is_some() {
            after_json["token"] = serde_json::Value::from("replaced");
        }
        audit.after = Some(after_json.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(after)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn terminals(&self, site_id: SiteId) -> StoreResult<Vec<Terminal>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TERMINAL_COLUMNS} FROM terminals WHERE site_id = $1 ORDER BY id"
        )))
        .bind(site_id.0)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    /// An active terminal by the hash of its token, with its site, in one
    /// round trip (every terminal post asks).
    pub async fn terminal_and_site_by_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Terminal, Site)>> {
        let row: Option<AnyRow> = sqlx::query(
            "SELECT t.id, t.site_id, t.name, CASE WHEN t.active THEN 1 ELSE 0 END AS active,
                s.township_id, s.name AS site_name, s.kind, s.utc_offset_minutes
             FROM terminals t JOIN sites s ON s.id = t.site_id
             WHERE t.token_hash = $1 AND t.active",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let terminal = Terminal::from_row(&row)?;
        let site = Site {
            id: terminal.site_id,
            township_id: TownshipId(decode::int(&row, "township_id")?),
            name: decode::text(&row, "site_name")?,
            kind: decode::parsed(&row, "kind")?,
            utc_offset_minutes: decode::int(&row, "utc_offset_minutes")?,
        };
        Ok(Some((terminal, site)))
    }

    pub async fn terminal_by_token(&self, token_hash: &str) -> StoreResult<Option<Terminal>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TERMINAL_COLUMNS} FROM terminals WHERE token_hash = $1 AND active"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// A cashier as the terminals get them: with the PIN hash they check
/// offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalCashier {
    /// Id.
    pub id: UserId,
    /// Name shown.
    pub display_name: String,
    /// argon2id PHC string of the PIN; `None` until an administrator sets one.
    pub pin_hash: Option<String>,
    /// A supervisor's PIN approves voids.
    pub supervisor: bool,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for TerminalCashier {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(TerminalCashier {
            id: UserId(super::decode::int(row, "id")?),
            display_name: super::decode::text(row, "display_name")?,
            pin_hash: super::decode::opt_text(row, "pin_hash")?,
            supervisor: super::decode::flag(row, "supervisor")?,
        })
    }
}

impl Db {
    /// The township's key for hashing resident ID numbers on terminals;
    /// `fresh` (random) becomes the key when the township has none yet.
    #[tracing::instrument(level = "debug", skip(self, fresh))]
    pub async fn township_id_hash_key(
        &self,
        township_id: TownshipId,
        fresh: &str,
    ) -> StoreResult<String> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id_hash_key FROM township_keys WHERE township_id = $1")
                .bind(township_id.0)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(k) = found {
            return Ok(k);
        }
        let mut tx = self.begin_write().await?;
        // Two terminals asking at once: the first insert wins, both read it.
        sqlx::query(
            "INSERT INTO township_keys (township_id, id_hash_key, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (township_id) DO NOTHING",
        )
        .bind(township_id.0)
        .bind(fresh)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let key: String =
            sqlx::query_scalar("SELECT id_hash_key FROM township_keys WHERE township_id = $1")
                .bind(township_id.0)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// The site's active cashiers with their PIN hashes.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn terminal_cashiers(
        &self,
        township_id: TownshipId,
        site_id: SiteId,
    ) -> StoreResult<Vec<TerminalCashier>> {
        Ok(sqlx::query_as(
            "SELECT id, display_name, pin_hash, CASE WHEN supervisor THEN 1 ELSE 0 END AS supervisor
             FROM users
             WHERE township_id = $1 AND site_id = $2 AND role = 'cashier' AND active
             ORDER BY id",
        )
        .bind(township_id.0)
        .bind(site_id.0)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets a cashier's terminal PIN (its hash) and whether they are a
    /// supervisor; audited without the hash.
    #[tracing::instrument(level = "debug", skip(self, pin_hash, audit))]
    pub async fn set_cashier_pin(
        &self,
        id: UserId,
        pin_hash: &str,
        supervisor: bool,
        audit: AuditEntry,
    ) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let before: Option<(i64,)> = sqlx::query_as(
            "SELECT CASE WHEN supervisor THEN 1 ELSE 0 END FROM users WHERE id = $1 AND role = 'cashier'",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((was_supervisor,)) = before else {
            return Err(StoreError::NotFound);
        };
        let after: User = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET pin_hash = $2, supervisor = $3 WHERE id = $1
             RETURNING {USER_COLUMNS}"
        )))
        .bind(id.0)
        .bind(pin_hash)
        .bind(supervisor)
        .fetch_one(&mut *tx)
        .await?;
        let mut audit = audit;
        audit.before = Some(serde_json::json!({ "supervisor": was_supervisor != 0 }).to_string());
        let mut after_json = audit_value(&after)?;
        after_json["pin"] = serde_json::Value::from("changed");
        after_json["supervisor"] = serde_json::Value::from(supervisor);
        audit.after = Some(after_json.to_string());
        write_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(after)
    }
}
