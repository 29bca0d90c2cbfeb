//! The store on PostgreSQL, optionally in its own schema (created if
//! missing and put first on the search path of every connection).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreResult;

/// The store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin().await
}

/// Transaction-scoped advisory locks on the diners, taken in ascending
/// order so two transactions never wait on each other in a circle.
async fn lock_diners(
    tx: &mut Transaction<'static, Postgres>,
    diners: &[i64],
) -> Result<(), sqlx::Error> {
    if diners.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT pg_advisory_xact_lock(d) FROM (SELECT unnest($1::bigint[]) AS d ORDER BY d) AS ordered",
    )
    .bind(diners)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// True for a schema name that needs no quoting.
fn plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// How long to wait for the server before saying it cannot be reached.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Names the server in a connection failure instead of "pool timed out".
fn unreachable(options: &PgConnectOptions, err: sqlx::Error) -> super::StoreError {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            super::StoreError::Unreachable {
                host: format!("{}:{}", options.get_host(), options.get_port()),
                secs: CONNECT_TIMEOUT.as_secs(),
                detail: match err {
                    sqlx::Error::PoolTimedOut => "no answer".into(),
                    other => other.to_string(),
                },
            }
        }
        other => other.into(),
    }
}

impl PgStore {
    /// Connects to `url`, creates `schema` if given, and migrates.
    pub async fn connect(
        url: &str,
        schema: Option<&str>,
        max_connections: u32,
    ) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            if !plain_identifier(schema) {
                return Err(super::StoreError::Corrupt(format!(
                    "schema name '{schema}': use lower-case letters, digits and _"
                )));
            }
            let setup = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_with(options.clone())
                .await
                .map_err(|e| unreachable(&options, e))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(&setup)
            .await?;
            setup.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(|e| unreachable(&options, e))?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Runs a raw statement.
    pub async fn execute_raw(&self, sql: String) -> StoreResult<u64> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The pool, for the benchmark's raw inserts.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

super::common::impl_store!(PgStore, Postgres, begin_write, lock_diners);
