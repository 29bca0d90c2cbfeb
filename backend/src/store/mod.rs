//! Storage: the only module that knows SQL.
//!
//! [`Db`] names what the service needs by intent. Each method is an ordinary
//! async function, written once: it runs on sqlx's `Any` driver, so the same
//! SQL serves SQLite and PostgreSQL (both take `$1` placeholders). What
//! differs between them (connecting, migrations, how a write transaction
//! begins, locking diners) lives in [`dialect`]. The methods are grouped by
//! what they store: `org` (townships, sites, users, sessions, terminals),
//! `roster` (diners, policies), `sales` (sales, voids, shifts), `audit`.
//! Money is integer fen, times are Unix milliseconds, dates are ISO text.

use serde::Serialize;

pub use crate::domain::SiteKind;
pub use crate::roles::Role;

mod audit;
mod dialect;
pub mod finance;
mod org;
pub use org::TerminalCashier;
mod roster;
mod sales;
mod writer;

pub use dialect::Dialect;
pub use sales::meal_order;

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// A unique rule was broken (a name or number already taken).
    #[error("{0}")]
    Duplicate(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The writer task is gone or failed the whole group commit.
    #[error("the sales writer failed: {0}")]
    Writer(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database URL names no database we serve.
    #[error("{0}")]
    BadUrl(String),
    /// The database server did not answer in time.
    #[error("cannot reach the database at {host} within {secs} s: {detail}")]
    Unreachable {
        /// Host and port tried.
        host: String,
        /// Seconds waited.
        secs: u64,
        /// What went wrong.
        detail: String,
    },
}

impl From<sqlx::Error> for StoreError {
    /// A stored value that cannot be decoded is corrupt data, not a failing
    /// database.
    fn from(err: sqlx::Error) -> StoreError {
        match err {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(err.to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A township: one roster, several sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Township {
    /// Id.
    pub id: i64,
    /// Name, e.g. 大寨镇.
    pub name: String,
}

/// A site: the township canteen or a village Happiness Commune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Site {
    /// Id.
    pub id: i64,
    /// Its township.
    pub township_id: i64,
    /// Name.
    pub name: String,
    /// Canteen or commune.
    #[sqlx(try_from = "String")]
    pub kind: SiteKind,
    /// Offset of local time from UTC in minutes (480 for Asia/Shanghai).
    pub utc_offset_minutes: i64,
}

/// A new site.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// Its township.
    pub township_id: i64,
    /// Name.
    pub name: String,
    /// Canteen or commune.
    pub kind: SiteKind,
    /// Offset of local time from UTC in minutes.
    pub utc_offset_minutes: i64,
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// What the user may do.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// Township, none for a county administrator.
    pub township_id: Option<i64>,
    /// Site, for cashiers and volunteers.
    pub site_id: Option<i64>,
    /// False once deactivated.
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// A user with the password hash, for login only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserCredentials {
    /// Id.
    pub id: i64,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// False once deactivated.
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Township.
    pub township_id: Option<i64>,
    /// Site.
    pub site_id: Option<i64>,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
}

/// A terminal at a counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Terminal {
    /// Id.
    pub id: i64,
    /// Its site.
    pub site_id: i64,
    /// Name, e.g. "counter 1".
    pub name: String,
    /// False once retired.
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// A diner as stored: the core fields as text, and the roster version of
/// its last change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DinerRow {
    /// Id.
    pub id: i64,
    /// Township.
    pub township_id: i64,
    /// Name.
    pub name: String,
    /// Full resident ID number (never logged).
    pub resident_id: Option<String>,
    /// ISO birth date, for diners without an ID number.
    pub birth_date: Option<String>,
    /// Village.
    pub village: Option<String>,
    /// Meal-card number.
    pub card_no: Option<String>,
    /// ISO date the diner was registered (NULL for diners stored before
    /// registration dates were kept: no limit).
    pub active_from: Option<String>,
    /// ISO date from which the diner is inactive.
    pub inactive_since: Option<String>,
    /// JSON array of category grants.
    pub categories: String,
    /// Roster version of the last change.
    pub version: i64,
}

/// A diner to add or to write over an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DinerFields {
    /// Name.
    pub name: String,
    /// Full resident ID number.
    pub resident_id: Option<String>,
    /// ISO birth date.
    pub birth_date: Option<String>,
    /// Village.
    pub village: Option<String>,
    /// Meal-card number.
    pub card_no: Option<String>,
    /// ISO date of registration on the roster.
    pub active_from: Option<String>,
    /// ISO date from which inactive.
    pub inactive_since: Option<String>,
    /// JSON array of category grants.
    pub categories: String,
}

/// A price policy version as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyRow {
    /// Id.
    pub id: i64,
    /// Site.
    pub site_id: i64,
    /// ISO date it takes effect.
    pub effective_from: String,
    /// The policy as JSON.
    pub body: String,
    /// Policy version of the last change.
    pub version: i64,
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user, none for the system itself (demo seeding, first start).
    pub user_id: Option<i64>,
    /// Login name or "system".
    pub name: String,
}

impl Actor {
    /// The system itself.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Id, in order of writing.
    pub id: i64,
    /// When, Unix ms.
    pub at: i64,
    /// Who (user id).
    pub actor_id: Option<i64>,
    /// Who (login name).
    pub actor: String,
    /// The township it concerns.
    pub township_id: Option<i64>,
    /// What was done, e.g. `diner.update`.
    pub action: String,
    /// Kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// JSON before the change.
    pub before: Option<String>,
    /// JSON after the change.
    pub after: Option<String>,
}

/// An audit entry to write with a change.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who.
    pub actor: Actor,
    /// Township it concerns.
    pub township_id: Option<i64>,
    /// What was done.
    pub action: String,
    /// Kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// JSON before.
    pub before: Option<String>,
    /// JSON after.
    pub after: Option<String>,
}

/// The backend's own price for a diner meal, made with core pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Standard price, fen.
    pub standard: i64,
    /// Expected price paid, fen.
    pub paid: i64,
    /// Expected subsidy, fen.
    pub subsidy: i64,
    /// Bracket that set the price.
    pub bracket: Option<String>,
    /// Category that set the price.
    pub category: Option<String>,
    /// Why, as the core reason kind.
    pub reason: String,
}

/// One line of a sale to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineToStore {
    /// `diner_meal`, `walk_in_meal`, `extra`.
    pub kind: String,
    /// The diner of a diner meal.
    pub diner_id: Option<i64>,
    /// Name of an extra item.
    pub name: Option<String>,
    /// Quantity (1 for meals).
    pub quantity: i64,
    /// Standard price the terminal used, fen.
    pub standard: Option<i64>,
    /// Amount charged, fen.
    pub amount: i64,
    /// Subsidy the terminal claimed, fen.
    pub subsidy: i64,
    /// Bracket the terminal used.
    pub bracket: Option<String>,
    /// Category the terminal used.
    pub category: Option<String>,
    /// The backend's price when this is the diner's first subsidised meal in
    /// the slot that day; `None` when the meal could not be priced.
    pub first: Option<Verdict>,
    /// The backend's price when the diner already had one.
    pub repeat: Option<Verdict>,
}

/// A sale checked and priced, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleToStore {
    /// Sale id (UUID text).
    pub id: String,
    /// Township of the site, on every row the sale writes.
    pub township_id: i64,
    /// Site.
    pub site_id: i64,
    /// Terminal.
    pub terminal_id: i64,
    /// Cashier.
    pub cashier_id: i64,
    /// Unix ms by the terminal's clock.
    pub sold_at: i64,
    /// ISO business date.
    pub business_date: String,
    /// Slot wire name.
    pub slot: String,
    /// Total paid, fen.
    pub total_paid: i64,
    /// Subsidy claimed by the terminal, fen.
    pub subsidy_total: i64,
    /// Cash put in the drawer, fen.
    pub cash_taken: i64,
    /// `cash` or `qr`.
    pub payment_method: String,
    /// SHA-256 of `body`.
    pub content_hash: String,
    /// Canonical JSON of the sale.
    pub body: String,
    /// Lines.
    pub lines: Vec<LineToStore>,
}

/// A void checked, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidToStore {
    /// Void id.
    pub id: String,
    /// The sale it reverses.
    pub sale_id: String,
    /// Site.
    pub site_id: i64,
    /// Terminal.
    pub terminal_id: i64,
    /// Who voided.
    pub voided_by: i64,
    /// Unix ms.
    pub voided_at: i64,
    /// Why.
    pub reason: String,
    /// SHA-256 of `body`.
    pub content_hash: String,
    /// Canonical JSON of the void.
    pub body: String,
    /// The voider's name, for the audit log.
    pub actor_name: String,
    /// Township of the site: on the void row and its audit entry.
    pub township_id: i64,
}

/// What became of one posted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// Already stored with the same content: acknowledged, not stored again.
    Duplicate,
    /// Already stored with other content: refused.
    Conflict,
    /// Refused for the reason given (e.g. the sale it voids is unknown).
    Rejected(String),
}

/// A stored sale, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SaleRow {
    /// Id.
    pub id: String,
    /// Site.
    pub site_id: i64,
    /// Terminal.
    pub terminal_id: i64,
    /// Cashier.
    pub cashier_id: i64,
    /// Unix ms.
    pub sold_at: i64,
    /// ISO date.
    pub business_date: String,
    /// Slot.
    pub slot: String,
    /// Fen.
    pub total_paid: i64,
    /// Fen.
    pub subsidy_total: i64,
    /// Fen.
    pub cash_taken: i64,
    /// `cash` or `qr`.
    pub payment_method: String,
    /// Canonical JSON of the sale as posted.
    pub body: String,
    /// Unix ms when the backend received it.
    pub received_at: i64,
    /// The void's id, if voided.
    pub void_id: Option<String>,
}

/// A stored sale line with the backend's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SaleLineRow {
    /// Sale.
    pub sale_id: String,
    /// 1-based.
    pub line_no: i64,
    /// Kind.
    pub kind: String,
    /// Diner.
    pub diner_id: Option<i64>,
    /// Extra's name.
    pub name: Option<String>,
    /// Quantity.
    pub quantity: i64,
    /// Terminal's standard price.
    pub standard: Option<i64>,
    /// Charged.
    pub amount: i64,
    /// Terminal's subsidy.
    pub subsidy: i64,
    /// Terminal's bracket.
    pub bracket: Option<String>,
    /// Terminal's category.
    pub category: Option<String>,
    /// Backend's standard price.
    pub expected_standard: Option<i64>,
    /// Backend's price.
    pub expected_paid: Option<i64>,
    /// Backend's subsidy.
    pub expected_subsidy: Option<i64>,
    /// Backend's bracket.
    pub expected_bracket: Option<String>,
    /// Backend's category.
    pub expected_category: Option<String>,
    /// Backend's reason.
    pub expected_reason: Option<String>,
    /// `agrees`, `differs`, `unpriced` or `not_subsidised`.
    pub verdict: String,
}

/// A shift as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ShiftRow {
    /// Id (UUID text made on the terminal).
    pub id: String,
    /// Township of the site.
    pub township_id: i64,
    /// Site.
    pub site_id: i64,
    /// Terminal.
    pub terminal_id: i64,
    /// Cashier.
    pub cashier_id: i64,
    /// Unix ms.
    pub opened_at: i64,
    /// Cash in the drawer at opening, fen.
    pub opening_float: i64,
    /// Unix ms.
    pub closed_at: Option<i64>,
    /// Cash counted at closing, fen.
    pub counted_cash: Option<i64>,
    /// Opening float + cash sales − voided cash sales, fen.
    pub expected_cash: Option<i64>,
}

/// Result of closing a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOutcome {
    /// The closing time is before the opening time.
    BeforeOpening(ShiftRow),
    /// Closed now, or closed before with the same count.
    Closed(ShiftRow),
    /// Closed before with a different count.
    Conflict(ShiftRow),
}

/// The store on either database, chosen at start. Every method that changes
/// what a person owns (roster, policy, users) writes its audit entry in the
/// same transaction.
#[derive(Debug, Clone)]
pub struct Db {
    pool: sqlx::AnyPool,
    dialect: Dialect,
    /// The one task that stores sales and voids, with group commit.
    writer: writer::Writer,
}

impl Db {
    /// The store over a connected, migrated pool; starts its writer task.
    fn new(pool: sqlx::AnyPool, dialect: Dialect) -> Db {
        let writer = writer::Writer::spawn(pool.clone(), dialect);
        Db {
            pool,
            dialect,
            writer,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        self.dialect.name()
    }

    /// The pool, for the benchmark's raw inserts and tests that look inside.
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    /// Runs a raw statement (tests use it to try to break the append-only rule).
    pub async fn execute_raw(&self, sql: String) -> StoreResult<u64> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// A boolean column read as an integer: the `Any` driver cannot read a
/// SQLite column declared BOOLEAN, so queries select
/// `CASE WHEN active THEN 1 ELSE 0 END`.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
struct Flag(i64);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0 != 0
    }
}

/// Rows inserted by an `INSERT … ON CONFLICT DO NOTHING`. On SQLite a
/// trigger refuses an id already stored (so `INSERT OR REPLACE` cannot
/// rewrite a sale); for our inserts that is the same as nothing inserted.
pub(crate) fn inserted(
    res: Result<sqlx::any::AnyQueryResult, sqlx::Error>,
) -> Result<u64, sqlx::Error> {
    match res {
        Ok(r) => Ok(r.rows_affected()),
        Err(sqlx::Error::Database(db)) if db.message().contains(ALREADY_STORED) => Ok(0),
        Err(e) => Err(e),
    }
}

/// What the SQLite triggers of migration 0003 say when refusing an id
/// already stored.
const ALREADY_STORED: &str = "is already stored";

/// Maps a unique-rule violation to [`StoreError::Duplicate`].
pub(crate) fn unique_or(err: sqlx::Error, what: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what.into()),
        _ => StoreError::Database(err),
    }
}

/// True for failures that succeed when tried again: a deadlock or
/// serialization failure on PostgreSQL, a busy database on SQLite.
pub(crate) fn retryable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("40P01") | Some("40001") | Some("5") | Some("517") | Some("261")
        ),
        _ => false,
    }
}
