//! What differs between SQLite and PostgreSQL: connecting, migrations, how a
//! write transaction begins and how a group of sales takes its locks. Everything
//! else is the same SQL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Any, Executor, Transaction};

use super::{Db, StoreError, StoreResult};

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// A SQLite file: WAL journal, synchronous=FULL, one writer at a time.
    Sqlite,
    /// A PostgreSQL server, optionally in its own schema.
    Postgres,
}

/// The advisory lock ordering ingest against month closes, in the
/// two-integer key space (the diner locks use the one-bigint space, which
/// never overlaps it).
const INGEST_LOCK: (i32, i32) = (0x4843, 1);

impl Dialect {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

impl Db {
    /// Connects to `url` (`sqlite:` path or `postgres://`), creating and
    /// migrating the database. `schema` picks a PostgreSQL schema (created
    /// if missing).
    pub async fn connect(url: &str, schema: Option<&str>, max_connections: u32) -> StoreResult<Db> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            connect_postgres(url, schema, max_connections).await
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            connect_sqlite(url, max_connections).await
        } else {
            // `mysql://…` was once taken for the name of a SQLite file.
            let scheme = url.split("://").next().unwrap_or_default();
            Err(StoreError::BadUrl(format!(
                "'{scheme}://' is not a database we serve: use postgres://user@host/db, or sqlite:path/to/file.db"
            )))
        }
    }

    /// Begins a transaction that will write (see [`Dialect::begin_write`]).
    pub(super) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.dialect.begin_write(&self.pool).await
    }
}

impl Dialect {
    /// Begins a transaction that will write. On SQLite `BEGIN IMMEDIATE`
    /// takes the write lock at once, so a transaction never fails upgrading
    /// a read lock.
    pub(super) async fn begin_write(
        self,
        pool: &AnyPool,
    ) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self {
            Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => pool.begin().await,
        }
    }

    /// Takes the ingest lock exclusively (PostgreSQL; on SQLite the write
    /// transaction is enough): every group of sales and voids stamped
    /// before is committed, every later one waits for the commit.
    pub(super) async fn exclude_ingest(
        self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<(), sqlx::Error> {
        if self == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(INGEST_LOCK.0)
                .bind(INGEST_LOCK.1)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Begins a group of sales and voids: a write transaction that holds,
    /// on PostgreSQL, the shared side of the ingest lock (a month close
    /// takes it exclusively for its cut; SQLite's one writer at a time
    /// already orders them) and then the locks of the diners whose first
    /// subsidised meal the group decides, in ascending order, so two
    /// transactions (of two backend processes) never wait on each other in
    /// a circle. All held to the commit, and all taken in BEGIN's round
    /// trip: one simple query of the statements, each post waits for it.
    /// `savepoint` opens a savepoint named `run` in the same trip.
    pub(super) async fn begin_ingest(
        self,
        pool: &AnyPool,
        diners: &[i64],
        savepoint: bool,
    ) -> Result<Transaction<'static, Any>, sqlx::Error> {
        if self == Dialect::Sqlite {
            let mut tx = self.begin_write(pool).await?;
            if savepoint {
                sqlx::query("SAVEPOINT run").execute(&mut *tx).await?;
            }
            return Ok(tx);
        }
        let mut sql = format!(
            "BEGIN; SELECT pg_advisory_xact_lock_shared({}, {});",
            INGEST_LOCK.0, INGEST_LOCK.1
        );
        let mut sorted = diners.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if !sorted.is_empty() {
            // Integers only, so writing them into the text is safe (a
            // simple query takes no parameters).
            let list = sorted
                .iter()
                .map(|d| format!("({d})"))
                .collect::<Vec<_>>()
                .join(",");
            sql.push_str(&format!(
                " SELECT pg_advisory_xact_lock(d) FROM (SELECT d FROM (VALUES {list}) AS v(d) ORDER BY d) AS ordered;"
            ));
        }
        if savepoint {
            sql.push_str(" SAVEPOINT run;");
        }
        pool.begin_with(sqlx::AssertSqlSafe(sql)).await
    }
}

/// Creates the database file readable by its owner only (0600) when it is
/// missing: it holds names and ID numbers. SQLite gives its -wal and -shm
/// files the same mode as the database file.
fn create_private(path: &std::path::Path) -> StoreResult<()> {
    let name = path.to_string_lossy();
    if name.is_empty() || name.starts_with(':') || path.exists() {
        return Ok(());
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(sqlx::Error::Io(e).into()),
    }
}

/// How long to wait for PostgreSQL before saying it cannot be reached.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Names the server in a connection failure instead of "pool timed out".
fn unreachable(host: &str, err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unreachable {
                host: host.to_string(),
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

async fn connect_sqlite(url: &str, max_connections: u32) -> StoreResult<Db> {
    let url = if url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite:{url}")
    };
    // Create, switch to WAL (a property of the file) and migrate with the
    // typed driver, whose options cover all of it.
    let options = SqliteConnectOptions::from_str(&url)?;
    create_private(options.get_filename())?;
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let setup = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&setup).await?;
    setup.close().await;
    // Every pooled connection gets the per-connection settings.
    // No ping before each use: a connection to a local file does not break,
    // and the ping is one more round trip to the connection's thread for
    // every query a sale post makes.
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    // The writer's task checkpoints the WAL (see `writer::checkpoint`).
                    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;
                     PRAGMA wal_autocheckpoint = 0",
                )
                .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    Ok(Db::new(pool, None, Dialect::Sqlite))
}

async fn connect_postgres(
    url: &str,
    schema: Option<&str>,
    max_connections: u32,
) -> StoreResult<Db> {
    let mut options = PgConnectOptions::from_str(url)?;
    let host = format!("{}:{}", options.get_host(), options.get_port());
    let schema = schema.map(str::to_string);
    if let Some(schema) = &schema {
        if !plain_identifier(schema) {
            return Err(StoreError::Corrupt(format!(
                "schema name '{schema}': use lower-case letters, digits and _"
            )));
        }
        options = options.options([("search_path", schema.as_str())]);
    }
    let setup = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|e| unreachable(&host, e))?;
    if let Some(schema) = &schema {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&setup)
        .await?;
    }
    sqlx::migrate!("migrations/postgres").run(&setup).await?;
    setup.close().await;
    // No ping before each use (one more round trip for every query a sale
    // post makes); a connection the server dropped fails one query and is
    // then replaced, and terminals resend what was not acknowledged.
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(schema) = schema {
                    // Checked by `plain_identifier` above.
                    conn.execute(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| unreachable(&host, e))?;
    // Connected when the claim first reads, with the same search path.
    let typed = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_lazy_with(options);
    Ok(Db::new(pool, Some(typed), Dialect::Postgres))
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
