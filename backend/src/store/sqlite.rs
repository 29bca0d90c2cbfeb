//! The store on a SQLite file: WAL journal, synchronous=FULL, one writer at
//! a time (`BEGIN IMMEDIATE`, so a transaction never fails upgrading a read
//! lock).

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::StoreResult;

/// The store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// SQLite has one writer at a time: nothing more to lock.
async fn lock_diners(
    _tx: &mut Transaction<'static, Sqlite>,
    _diners: &[i64],
) -> Result<(), sqlx::Error> {
    Ok(())
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

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url`
    /// (`sqlite:path` or a plain path).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<SqliteStore> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite:{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?;
        create_private(options.get_filename())?;
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// Runs a raw statement.
    pub async fn execute_raw(&self, sql: String) -> StoreResult<u64> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The pool, for the benchmark's raw inserts.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

super::common::impl_store!(SqliteStore, Sqlite, begin_write, lock_diners);
