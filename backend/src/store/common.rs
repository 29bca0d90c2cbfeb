//! The SQL both databases share. `impl_store!` expands the same queries once
//! for SQLite and once for PostgreSQL; each side keeps its own connection
//! setup, migrations and way of starting a write transaction.

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

pub(crate) fn diner_audit_json(d: &super::DinerRow) -> String {
    serde_json::json!({
        "id": d.id,
        "township_id": d.township_id,
        "name": d.name,
        "resident_id": d.resident_id.as_deref().map(mask_resident_id),
        // The year only: beside the masked ID a full date gives the number away.
        "birth_year": d.birth_date.as_deref().and_then(|b| b.get(..4)),
        "village": d.village,
        "card_no": d.card_no,
        "inactive_since": d.inactive_since,
        "categories": serde_json::from_str::<serde_json::Value>(&d.categories).unwrap_or_default(),
        "version": d.version,
    })
    .to_string()
}

pub(crate) fn user_audit_json(u: &super::User) -> String {
    serde_json::to_string(u).unwrap_or_default()
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

macro_rules! impl_store {
    ($store:ty, $db:ty, $begin_write:path, $lock_diners:path) => {
        use $crate::store::common::{diner_audit_json, now_ms, user_audit_json};
        use $crate::store::*;

        const DINER_COLUMNS: &str = "id, township_id, name, resident_id, birth_date, village, card_no, inactive_since, categories, version";
        const SALE_COLUMNS: &str = "s.id, s.site_id, s.terminal_id, s.cashier_id, s.sold_at, s.business_date, s.slot, s.total_paid, s.subsidy_total, s.cash_taken, s.payment_method, s.body, s.received_at, v.id AS void_id";

        async fn write_audit<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            e: &AuditEntry,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO audit_log (at, actor_id, actor, township_id, action, entity, entity_id, before, after)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(now_ms())
            .bind(e.actor.user_id)
            .bind(&e.actor.name)
            .bind(e.township_id)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(&e.entity_id)
            .bind(&e.before)
            .bind(&e.after)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn bump<'c>(tx: &mut sqlx::Transaction<'c, $db>, counter: &'static str) -> StoreResult<i64> {
            let v: i64 = sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
                .bind(counter)
                .fetch_one(&mut **tx)
                .await?;
            Ok(v)
        }

        async fn insert_one_sale<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            sale: &SaleToStore,
            received_at: i64,
        ) -> StoreResult<Outcome> {
            let res = sqlx::query(
                "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot,
                    total_paid, subsidy_total, cash_taken, payment_method, content_hash, body, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
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
            .execute(&mut **tx)
            .await;
            if $crate::store::inserted(res)? == 0 {
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
            let mut subsidised_here: Vec<i64> = Vec::new();
            for (i, line) in sale.lines.iter().enumerate() {
                let verdict = match (&line.first, line.diner_id) {
                    (Some(first), Some(diner)) if first.subsidy > 0 => {
                        let earlier = subsidised_here.contains(&diner) || {
                            let found: Option<String> = sqlx::query_scalar(
                                "SELECT sale_id FROM sale_lines
                                 WHERE diner_id = $1 AND business_date = $2 AND slot = $3
                                   AND expected_subsidy > 0
                                 LIMIT 1",
                            )
                            .bind(diner)
                            .bind(&sale.business_date)
                            .bind(&sale.slot)
                            .fetch_optional(&mut **tx)
                            .await?;
                            found.is_some()
                        };
                        if earlier { line.repeat.as_ref() } else { Some(first) }
                    }
                    (first, _) => first.as_ref(),
                };
                if let (Some(v), Some(diner)) = (verdict, line.diner_id) {
                    if v.subsidy > 0 {
                        subsidised_here.push(diner);
                    }
                }
                let word = match (line.kind.as_str(), verdict) {
                    ("diner_meal", None) => "unpriced",
                    ("diner_meal", Some(v)) => {
                        if Some(v.standard) == line.standard && v.paid == line.amount && v.subsidy == line.subsidy {
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
                        expected_bracket, expected_category, expected_reason, verdict, business_date, slot)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
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
                .execute(&mut **tx)
                .await?;
            }
            Ok(Outcome::Stored)
        }

        async fn insert_one_void<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            void: &VoidToStore,
            received_at: i64,
        ) -> StoreResult<Outcome> {
            let sale_site: Option<i64> = sqlx::query_scalar("SELECT site_id FROM sales WHERE id = $1")
                .bind(&void.sale_id)
                .fetch_optional(&mut **tx)
                .await?;
            match sale_site {
                None => {
                    return Ok(Outcome::Rejected(format!(
                        "sale {} is not known here: post the sale before its void",
                        void.sale_id
                    )))
                }
                Some(site) if site != void.site_id => {
                    return Ok(Outcome::Rejected(format!(
                        "sale {} was not made at this site",
                        void.sale_id
                    )))
                }
                Some(_) => {}
            }
            let res = sqlx::query(
                "INSERT INTO voids (id, sale_id, site_id, terminal_id, voided_by, voided_at, reason, content_hash, body, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
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
            .execute(&mut **tx)
            .await;
            if $crate::store::inserted(res)? == 0 {
                let stored: Option<String> = sqlx::query_scalar("SELECT content_hash FROM voids WHERE id = $1")
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
                    actor: Actor { user_id: Some(void.voided_by), name: void.actor_name.clone() },
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

        impl Store for $store {
            async fn has_users(&self) -> StoreResult<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
                Ok(n > 0)
            }

            async fn insert_township(&self, name: &str, audit: AuditEntry) -> StoreResult<Township> {
                let mut tx = $begin_write(&self.pool).await?;
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
                audit.after = serde_json::to_string(&t).ok();
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn townships(&self) -> StoreResult<Vec<Township>> {
                Ok(sqlx::query_as("SELECT id, name FROM townships ORDER BY id").fetch_all(&self.pool).await?)
            }

            async fn township(&self, id: i64) -> StoreResult<Option<Township>> {
                Ok(sqlx::query_as("SELECT id, name FROM townships WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn insert_site(&self, site: NewSite, audit: AuditEntry) -> StoreResult<Site> {
                let mut tx = $begin_write(&self.pool).await?;
                let s: Site = sqlx::query_as(
                    "INSERT INTO sites (township_id, name, kind, utc_offset_minutes, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     RETURNING id, township_id, name, kind, utc_offset_minutes",
                )
                .bind(site.township_id)
                .bind(&site.name)
                .bind(&site.kind)
                .bind(site.utc_offset_minutes)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "the township has a site with this name"))?;
                let mut audit = audit;
                audit.entity_id = s.id.to_string();
                audit.after = serde_json::to_string(&s).ok();
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(s)
            }

            async fn sites(&self, township: Option<i64>) -> StoreResult<Vec<Site>> {
                Ok(sqlx::query_as(
                    "SELECT id, township_id, name, kind, utc_offset_minutes FROM sites
                     WHERE ($1 IS NULL OR township_id = $1) ORDER BY id",
                )
                .bind(township)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn site(&self, id: i64) -> StoreResult<Option<Site>> {
                Ok(sqlx::query_as(
                    "SELECT id, township_id, name, kind, utc_offset_minutes FROM sites WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn insert_user(&self, user: NewUser, audit: AuditEntry) -> StoreResult<User> {
                let mut tx = $begin_write(&self.pool).await?;
                let u: User = sqlx::query_as(
                    "INSERT INTO users (username, display_name, role, township_id, site_id, password_hash, active, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     RETURNING id, username, display_name, role, township_id, site_id, active",
                )
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.role)
                .bind(user.township_id)
                .bind(user.site_id)
                .bind(&user.password_hash)
                .bind(true)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "this username is taken"))?;
                let mut audit = audit;
                audit.entity_id = u.id.to_string();
                audit.after = Some(user_audit_json(&u));
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(u)
            }

            async fn user(&self, id: i64) -> StoreResult<Option<User>> {
                Ok(sqlx::query_as(
                    "SELECT id, username, display_name, role, township_id, site_id, active FROM users WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn users(&self, township: Option<i64>) -> StoreResult<Vec<User>> {
                Ok(sqlx::query_as(
                    "SELECT id, username, display_name, role, township_id, site_id, active FROM users
                     WHERE ($1 IS NULL OR township_id = $1) ORDER BY id",
                )
                .bind(township)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn credentials(&self, username: &str) -> StoreResult<Option<UserCredentials>> {
                Ok(sqlx::query_as("SELECT id, password_hash, active FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn update_user_login(
                &self,
                id: i64,
                password_hash: Option<String>,
                active: Option<bool>,
                audit: AuditEntry,
            ) -> StoreResult<User> {
                let mut tx = $begin_write(&self.pool).await?;
                let before: Option<User> = sqlx::query_as(
                    "SELECT id, username, display_name, role, township_id, site_id, active FROM users WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(before) = before else { return Err(StoreError::NotFound) };
                let after: User = sqlx::query_as(
                    "UPDATE users SET password_hash = COALESCE($2, password_hash), active = COALESCE($3, active)
                     WHERE id = $1
                     RETURNING id, username, display_name, role, township_id, site_id, active",
                )
                .bind(id)
                .bind(&password_hash)
                .bind(active)
                .fetch_one(&mut *tx)
                .await?;
                if password_hash.is_some() || active == Some(false) {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
                }
                let mut audit = audit;
                audit.before = Some(user_audit_json(&before));
                let mut after_json: serde_json::Value =
                    serde_json::to_value(&after).unwrap_or_default();
                if password_hash.is_some() {
                    after_json["password"] = serde_json::Value::from("changed");
                }
                audit.after = Some(after_json.to_string());
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn insert_session(&self, token_hash: &str, user_id: i64, now: i64, expires_at: i64) -> StoreResult<()> {
                // Forget this user's expired sessions while here.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                    .bind(user_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_user(&self, token_hash: &str, now: i64) -> StoreResult<Option<User>> {
                Ok(sqlx::query_as(
                    "SELECT u.id, u.username, u.display_name, u.role, u.township_id, u.site_id, u.active
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_terminal(&self, site_id: i64, name: &str, token_hash: &str, audit: AuditEntry) -> StoreResult<Terminal> {
                let mut tx = $begin_write(&self.pool).await?;
                let t: Terminal = sqlx::query_as(
                    "INSERT INTO terminals (site_id, name, token_hash, active, created_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING id, site_id, name, active",
                )
                .bind(site_id)
                .bind(name)
                .bind(token_hash)
                .bind(true)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
                let mut audit = audit;
                audit.entity_id = t.id.to_string();
                audit.after = serde_json::to_string(&t).ok();
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn terminal(&self, id: i64) -> StoreResult<Option<Terminal>> {
                Ok(sqlx::query_as("SELECT id, site_id, name, active FROM terminals WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn update_terminal(
                &self,
                id: i64,
                active: Option<bool>,
                token_hash: Option<String>,
                audit: AuditEntry,
            ) -> StoreResult<Terminal> {
                let mut tx = $begin_write(&self.pool).await?;
                let before: Option<Terminal> =
                    sqlx::query_as("SELECT id, site_id, name, active FROM terminals WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(before) = before else { return Err(StoreError::NotFound) };
                let after: Terminal = sqlx::query_as(
                    "UPDATE terminals SET active = COALESCE($2, active), token_hash = COALESCE($3, token_hash)
                     WHERE id = $1 RETURNING id, site_id, name, active",
                )
                .bind(id)
                .bind(active)
                .bind(&token_hash)
                .fetch_one(&mut *tx)
                .await?;
                let mut audit = audit;
                audit.entity_id = id.to_string();
                audit.before = serde_json::to_string(&before).ok();
                let mut after_json = serde_json::to_value(&after).unwrap_or_default();
                if token_hash.is_some() {
                    after_json["token"] = serde_json::Value::from("replaced");
                }
                audit.after = Some(after_json.to_string());
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn terminals(&self, site_id: i64) -> StoreResult<Vec<Terminal>> {
                Ok(sqlx::query_as("SELECT id, site_id, name, active FROM terminals WHERE site_id = $1 ORDER BY id")
                    .bind(site_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn terminal_by_token(&self, token_hash: &str) -> StoreResult<Option<Terminal>> {
                Ok(sqlx::query_as(
                    "SELECT id, site_id, name, active FROM terminals WHERE token_hash = $1 AND active",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn insert_diners(&self, township_id: i64, diners: Vec<DinerFields>, actor: Actor) -> StoreResult<Vec<DinerRow>> {
                let mut tx = $begin_write(&self.pool).await?;
                let version = bump(&mut tx, "roster").await?;
                let now = now_ms();
                let mut rows = Vec::with_capacity(diners.len());
                for d in diners {
                    let row: DinerRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO diners (township_id, name, resident_id, birth_date, village, card_no,
                            inactive_since, categories, version, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {DINER_COLUMNS}"
                    )))
                    .bind(township_id)
                    .bind(&d.name)
                    .bind(&d.resident_id)
                    .bind(&d.birth_date)
                    .bind(&d.village)
                    .bind(&d.card_no)
                    .bind(&d.inactive_since)
                    .bind(&d.categories)
                    .bind(version)
                    .bind(now)
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
                            after: Some(diner_audit_json(&row)),
                        },
                    )
                    .await?;
                    rows.push(row);
                }
                tx.commit().await?;
                Ok(rows)
            }

            async fn update_diner(&self, id: i64, d: DinerFields, actor: Actor) -> StoreResult<DinerRow> {
                let mut tx = $begin_write(&self.pool).await?;
                let before: Option<DinerRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DINER_COLUMNS} FROM diners WHERE id = $1")))
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(before) = before else { return Err(StoreError::NotFound) };
                let version = bump(&mut tx, "roster").await?;
                let row: DinerRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE diners SET name = $2, resident_id = $3, birth_date = $4, village = $5, card_no = $6,
                        inactive_since = $7, categories = $8, version = $9, updated_at = $10
                     WHERE id = $1 RETURNING {DINER_COLUMNS}"
                )))
                .bind(id)
                .bind(&d.name)
                .bind(&d.resident_id)
                .bind(&d.birth_date)
                .bind(&d.village)
                .bind(&d.card_no)
                .bind(&d.inactive_since)
                .bind(&d.categories)
                .bind(version)
                .bind(now_ms())
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
                        before: Some(diner_audit_json(&before)),
                        after: Some(diner_audit_json(&row)),
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn diner(&self, id: i64) -> StoreResult<Option<DinerRow>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DINER_COLUMNS} FROM diners WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn diners_since(&self, township_id: i64, since: i64) -> StoreResult<Vec<DinerRow>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DINER_COLUMNS} FROM diners WHERE township_id = $1 AND version > $2 ORDER BY id"
                )))
                .bind(township_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn diners_by_ids(&self, township_id: i64, ids: Vec<i64>) -> StoreResult<Vec<DinerRow>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                // Integers only, so writing them into the text is safe.
                let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DINER_COLUMNS} FROM diners WHERE township_id = $1 AND id IN ({list})"
                )))
                .bind(township_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn versions(&self) -> StoreResult<(i64, i64)> {
                let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, value FROM counters")
                    .fetch_all(&self.pool)
                    .await?;
                let get = |n: &str| rows.iter().find(|(k, _)| k == n).map(|(_, v)| *v).unwrap_or(0);
                Ok((get("roster"), get("policy")))
            }

            async fn upsert_policy(&self, site_id: i64, effective_from: &str, body: &str, audit: AuditEntry) -> StoreResult<PolicyRow> {
                let mut tx = $begin_write(&self.pool).await?;
                let before: Option<String> =
                    sqlx::query_scalar("SELECT body FROM policies WHERE site_id = $1 AND effective_from = $2")
                        .bind(site_id)
                        .bind(effective_from)
                        .fetch_optional(&mut *tx)
                        .await?;
                let version = bump(&mut tx, "policy").await?;
                let row: PolicyRow = sqlx::query_as(
                    "INSERT INTO policies (site_id, effective_from, body, version, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (site_id, effective_from) DO UPDATE SET body = excluded.body, version = excluded.version
                     RETURNING id, site_id, effective_from, body, version",
                )
                .bind(site_id)
                .bind(effective_from)
                .bind(body)
                .bind(version)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
                let mut audit = audit;
                audit.entity_id = row.id.to_string();
                audit.action = if before.is_some() { "policy.update".into() } else { "policy.create".into() };
                audit.before = before;
                audit.after = Some(row.body.clone());
                write_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn policies_since(&self, site_id: i64, since: i64) -> StoreResult<Vec<PolicyRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, site_id, effective_from, body, version FROM policies
                     WHERE site_id = $1 AND version > $2 ORDER BY effective_from",
                )
                .bind(site_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn insert_sales(&self, sales: Vec<SaleToStore>, received_at: i64) -> StoreResult<Vec<Outcome>> {
                // Store in the order the meals were sold (then by id), so the
                // backend's verdict on a diner's first subsidised meal of a
                // slot does not depend on how the terminal ordered its batch.
                // The diners are locked first, in order, so batches cannot
                // deadlock on them.
                let mut order: Vec<usize> = (0..sales.len()).collect();
                order.sort_by(|&a, &b| (sales[a].sold_at, &sales[a].id).cmp(&(sales[b].sold_at, &sales[b].id)));
                // The diners whose subsidised meals are decided here, locked
                // first and in order, so concurrent batches agree on which
                // meal of a slot and day is the first.
                let mut diners: Vec<i64> = sales
                    .iter()
                    .flat_map(|s| s.lines.iter())
                    .filter(|l| l.first.as_ref().is_some_and(|v| v.subsidy > 0))
                    .filter_map(|l| l.diner_id)
                    .collect();
                diners.sort_unstable();
                diners.dedup();
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let result: StoreResult<Vec<Outcome>> = async {
                        let mut outcomes = vec![Outcome::Duplicate; sales.len()];
                        let mut tx = $begin_write(&self.pool).await?;
                        $lock_diners(&mut tx, &diners).await?;
                        for &i in &order {
                            outcomes[i] = insert_one_sale(&mut tx, &sales[i], received_at).await?;
                        }
                        tx.commit().await?;
                        Ok(outcomes)
                    }
                    .await;
                    match result {
                        Err(StoreError::Database(e)) if attempt < 4 && $crate::store::retryable(&e) => {
                            tracing::warn!(error = %e, attempt, "retrying a batch of sales");
                            tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                        }
                        other => return other,
                    }
                }
            }

            async fn insert_voids(&self, voids: Vec<VoidToStore>, received_at: i64) -> StoreResult<Vec<Outcome>> {
                let mut order: Vec<usize> = (0..voids.len()).collect();
                order.sort_by(|&a, &b| voids[a].id.cmp(&voids[b].id));
                let mut outcomes = vec![Outcome::Duplicate; voids.len()];
                let mut tx = $begin_write(&self.pool).await?;
                for i in order {
                    outcomes[i] = insert_one_void(&mut tx, &voids[i], received_at).await?;
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn sale(&self, id: &str) -> StoreResult<Option<SaleRow>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id WHERE s.id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn sale_lines(&self, id: &str) -> StoreResult<Vec<SaleLineRow>> {
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

            async fn sales_for_site(&self, site_id: i64, from: &str, to: &str) -> StoreResult<Vec<SaleRow>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SALE_COLUMNS} FROM sales s LEFT JOIN voids v ON v.sale_id = s.id
                     WHERE s.site_id = $1 AND s.business_date >= $2 AND s.business_date <= $3
                     ORDER BY s.sold_at, s.id"
                )))
                .bind(site_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn sales_totals(&self) -> StoreResult<(i64, i64)> {
                Ok(sqlx::query_as(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(total_paid), 0) AS BIGINT) FROM sales",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            async fn open_shift(&self, shift: ShiftRow) -> StoreResult<Outcome> {
                let mut tx = $begin_write(&self.pool).await?;
                let res = sqlx::query(
                    "INSERT INTO shifts (id, site_id, terminal_id, cashier_id, opened_at, opening_float, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&shift.id)
                .bind(shift.site_id)
                .bind(shift.terminal_id)
                .bind(shift.cashier_id)
                .bind(shift.opened_at)
                .bind(shift.opening_float)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                let outcome = if res.rows_affected() == 1 {
                    Outcome::Stored
                } else {
                    let stored: Option<ShiftRow> = sqlx::query_as(
                        "SELECT id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash
                         FROM shifts WHERE id = $1",
                    )
                    .bind(&shift.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match stored {
                        Some(s) if (s.terminal_id, s.cashier_id, s.opened_at, s.opening_float)
                            == (shift.terminal_id, shift.cashier_id, shift.opened_at, shift.opening_float) =>
                        {
                            Outcome::Duplicate
                        }
                        _ => Outcome::Conflict,
                    }
                };
                tx.commit().await?;
                Ok(outcome)
            }

            async fn close_shift(&self, id: &str, terminal_id: i64, closed_at: i64, counted_cash: i64) -> StoreResult<CloseOutcome> {
                let mut tx = $begin_write(&self.pool).await?;
                let stored: Option<ShiftRow> = sqlx::query_as(
                    "SELECT id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash
                     FROM shifts WHERE id = $1 AND terminal_id = $2",
                )
                .bind(id)
                .bind(terminal_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(shift) = stored else { return Err(StoreError::NotFound) };
                if closed_at < shift.opened_at {
                    return Ok(CloseOutcome::BeforeOpening(shift));
                }
                if shift.closed_at.is_some() {
                    let same = shift.closed_at == Some(closed_at) && shift.counted_cash == Some(counted_cash);
                    return Ok(if same { CloseOutcome::Closed(shift) } else { CloseOutcome::Conflict(shift) });
                }
                let cash: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(s.cash_taken), 0) AS BIGINT) FROM sales s
                     WHERE s.terminal_id = $1 AND s.cashier_id = $2 AND s.sold_at >= $3 AND s.sold_at <= $4
                       AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = s.id)",
                )
                .bind(shift.terminal_id)
                .bind(shift.cashier_id)
                .bind(shift.opened_at)
                .bind(closed_at)
                .fetch_one(&mut *tx)
                .await?;
                let expected = shift.opening_float.saturating_add(cash);
                let row: ShiftRow = sqlx::query_as(
                    "UPDATE shifts SET closed_at = $2, counted_cash = $3, expected_cash = $4 WHERE id = $1
                     RETURNING id, site_id, terminal_id, cashier_id, opened_at, opening_float, closed_at, counted_cash, expected_cash",
                )
                .bind(id)
                .bind(closed_at)
                .bind(counted_cash)
                .bind(expected)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(CloseOutcome::Closed(row))
            }

            async fn insert_audit(&self, entry: AuditEntry) -> StoreResult<()> {
                let mut tx = $begin_write(&self.pool).await?;
                write_audit(&mut tx, &entry).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_log(&self, township: Option<i64>, limit: i64) -> StoreResult<Vec<AuditRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, at, actor_id, actor, township_id, action, entity, entity_id, before, after
                     FROM audit_log WHERE ($1 IS NULL OR township_id = $1) ORDER BY id DESC LIMIT $2",
                )
                .bind(township)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_six_and_two() {
        assert_eq!(mask_resident_id("11010519491231002X"), "110105**********2X");
        assert_eq!(mask_resident_id("123"), "***");
    }
}
