//! Storage: the only module that knows SQL.
//!
//! [`Db`] names what the service needs by intent. Each method is an ordinary
//! async function, written once: it runs on sqlx's `Any` driver, so the same
//! SQL serves SQLite and PostgreSQL (both take `$1` placeholders). What
//! differs between them (connecting, migrations, how a write transaction
//! begins, locking diners) lives in [`dialect`]. The methods are grouped by
//! what they store: `org` (townships, sites, users, sessions, terminals), `web` (the
//! pages' browser sessions and key),
//! `roster` (diners, policies), `sales` (sales, voids, shifts), `audit`.
//! Money is stored as integer fen, times as Unix milliseconds, dates as ISO
//! text; rows come back as domain types, read once in `decode`.

use canteen_core::{
    CategoryGrant, DinerId, Money, SaleId, ShiftId, SiteId, Slot, TerminalId, TownshipId, UserId,
    VoidId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use sqlx::any::AnyRow;

pub use crate::domain::SiteKind;
pub use crate::roles::Role;

mod audit;
mod batch;
mod claim_scan;
mod decode;
mod dialect;
pub mod finance;
mod org;
pub use audit::AuditFilter;
pub use org::TerminalCashier;
mod roster;
mod sales;
mod web;
mod writer;

pub use dialect::Dialect;
pub use sales::meal_order;
pub use web::WebSession;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Township {
    /// Id.
    pub id: TownshipId,
    /// Name, e.g. 大寨镇.
    pub name: String,
}

impl FromRow<'_, AnyRow> for Township {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Township {
            id: TownshipId(decode::int(row, "id")?),
            name: decode::text(row, "name")?,
        })
    }
}

/// A site: the township canteen or a village Happiness Commune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Id.
    pub id: SiteId,
    /// Its township.
    pub township_id: TownshipId,
    /// Name.
    pub name: String,
    /// Canteen or commune.
    pub kind: SiteKind,
    /// Offset of local time from UTC in minutes (480 for Asia/Shanghai).
    pub utc_offset_minutes: i64,
}

impl FromRow<'_, AnyRow> for Site {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Site {
            id: SiteId(decode::int(row, "id")?),
            township_id: TownshipId(decode::int(row, "township_id")?),
            name: decode::text(row, "name")?,
            kind: decode::parsed(row, "kind")?,
            utc_offset_minutes: decode::int(row, "utc_offset_minutes")?,
        })
    }
}

/// A new site.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// Its township.
    pub township_id: TownshipId,
    /// Name.
    pub name: String,
    /// Canteen or commune.
    pub kind: SiteKind,
    /// Offset of local time from UTC in minutes.
    pub utc_offset_minutes: i64,
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Township, none for a county administrator.
    pub township_id: Option<TownshipId>,
    /// Site, for cashiers and volunteers.
    pub site_id: Option<SiteId>,
    /// False once deactivated.
    pub active: bool,
}

impl FromRow<'_, AnyRow> for User {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(User {
            id: UserId(decode::int(row, "id")?),
            username: decode::text(row, "username")?,
            display_name: decode::text(row, "display_name")?,
            role: decode::parsed(row, "role")?,
            township_id: decode::opt_int(row, "township_id")?.map(TownshipId),
            site_id: decode::opt_int(row, "site_id")?.map(SiteId),
            active: decode::flag(row, "active")?,
        })
    }
}

/// A user with the password hash, for login only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// Id.
    pub id: UserId,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// False once deactivated.
    pub active: bool,
    /// True while the password is a one-time password the user must replace.
    pub must_change_password: bool,
}

impl FromRow<'_, AnyRow> for UserCredentials {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(UserCredentials {
            id: UserId(decode::int(row, "id")?),
            password_hash: decode::text(row, "password_hash")?,
            active: decode::flag(row, "active")?,
            must_change_password: decode::flag(row, "must_change_password")?,
        })
    }
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
    pub township_id: Option<TownshipId>,
    /// Site.
    pub site_id: Option<SiteId>,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// True when the password is a one-time password made for the user:
    /// the pages ask for a new one at the first sign-in.
    pub must_change_password: bool,
}

/// A terminal at a counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terminal {
    /// Id.
    pub id: TerminalId,
    /// Its site.
    pub site_id: SiteId,
    /// Name, e.g. "counter 1".
    pub name: String,
    /// False once retired.
    pub active: bool,
}

impl FromRow<'_, AnyRow> for Terminal {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Terminal {
            id: TerminalId(decode::int(row, "id")?),
            site_id: SiteId(decode::int(row, "site_id")?),
            name: decode::text(row, "name")?,
            active: decode::flag(row, "active")?,
        })
    }
}

/// A diner as stored, with the roster version of its last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DinerRow {
    /// Id.
    pub id: DinerId,
    /// Township.
    pub township_id: TownshipId,
    /// Name.
    pub name: String,
    /// Full resident ID number (never logged).
    pub resident_id: Option<String>,
    /// Birth date, for diners without an ID number.
    pub birth_date: Option<NaiveDate>,
    /// Village.
    pub village: Option<String>,
    /// Meal-card number.
    pub card_no: Option<String>,
    /// The date the diner was registered (none for diners stored before
    /// registration dates were kept: no limit).
    pub active_from: Option<NaiveDate>,
    /// The date from which the diner is inactive.
    pub inactive_since: Option<NaiveDate>,
    /// Category grants.
    pub categories: Vec<CategoryGrant>,
    /// Roster version of the last change.
    pub version: i64,
}

impl FromRow<'_, AnyRow> for DinerRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(DinerRow {
            id: DinerId(decode::int(row, "id")?),
            township_id: TownshipId(decode::int(row, "township_id")?),
            name: decode::text(row, "name")?,
            resident_id: decode::opt_text(row, "resident_id")?,
            birth_date: decode::opt_date(row, "birth_date")?,
            village: decode::opt_text(row, "village")?,
            card_no: decode::opt_text(row, "card_no")?,
            active_from: decode::opt_date(row, "active_from")?,
            inactive_since: decode::opt_date(row, "inactive_since")?,
            categories: decode::json(row, "categories")?,
            version: decode::int(row, "version")?,
        })
    }
}

/// A diner to add or to write over an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DinerFields {
    /// Name.
    pub name: String,
    /// Full resident ID number.
    pub resident_id: Option<String>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Village.
    pub village: Option<String>,
    /// Meal-card number.
    pub card_no: Option<String>,
    /// Date of registration on the roster.
    pub active_from: Option<NaiveDate>,
    /// Date from which inactive.
    pub inactive_since: Option<NaiveDate>,
    /// Category grants.
    pub categories: Vec<CategoryGrant>,
}

/// A price policy version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRow {
    /// Id.
    pub id: i64,
    /// Site.
    pub site_id: SiteId,
    /// Date it takes effect.
    pub effective_from: NaiveDate,
    /// The policy as JSON.
    pub body: String,
    /// Policy version of the last change.
    pub version: i64,
}

impl FromRow<'_, AnyRow> for PolicyRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(PolicyRow {
            id: decode::int(row, "id")?,
            site_id: SiteId(decode::int(row, "site_id")?),
            effective_from: decode::date(row, "effective_from")?,
            body: decode::text(row, "body")?,
            version: decode::int(row, "version")?,
        })
    }
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user, none for the system itself (demo seeding, first start).
    pub user_id: Option<UserId>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// Id, in order of writing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub actor_id: Option<UserId>,
    /// Who (login name).
    pub actor: String,
    /// The township it concerns.
    pub township_id: Option<TownshipId>,
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

impl FromRow<'_, AnyRow> for AuditRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AuditRow {
            id: decode::int(row, "id")?,
            at: decode::time(row, "at")?,
            actor_id: decode::opt_int(row, "actor_id")?.map(UserId),
            actor: decode::text(row, "actor")?,
            township_id: decode::opt_int(row, "township_id")?.map(TownshipId),
            action: decode::text(row, "action")?,
            entity: decode::text(row, "entity")?,
            entity_id: decode::text(row, "entity_id")?,
            before: decode::opt_text(row, "before")?,
            after: decode::opt_text(row, "after")?,
        })
    }
}

/// An audit entry to write with a change.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who.
    pub actor: Actor,
    /// Township it concerns.
    pub township_id: Option<TownshipId>,
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
    /// Standard price.
    pub standard: Money,
    /// Expected price paid.
    pub paid: Money,
    /// Expected subsidy.
    pub subsidy: Money,
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
    pub diner_id: Option<DinerId>,
    /// Name of an extra item.
    pub name: Option<String>,
    /// Quantity (1 for meals).
    pub quantity: i64,
    /// Standard price the terminal used.
    pub standard: Option<Money>,
    /// Amount charged.
    pub amount: Money,
    /// Subsidy the terminal claimed.
    pub subsidy: Money,
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
    /// Sale id.
    pub id: SaleId,
    /// Township of the site, on every row the sale writes.
    pub township_id: TownshipId,
    /// Site.
    pub site_id: SiteId,
    /// Terminal.
    pub terminal_id: TerminalId,
    /// Cashier.
    pub cashier_id: UserId,
    /// By the terminal's clock (kept to the millisecond).
    pub sold_at: DateTime<Utc>,
    /// Business date.
    pub business_date: NaiveDate,
    /// Slot.
    pub slot: Slot,
    /// Total paid.
    pub total_paid: Money,
    /// Subsidy claimed by the terminal.
    pub subsidy_total: Money,
    /// Cash put in the drawer.
    pub cash_taken: Money,
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
    pub id: VoidId,
    /// The sale it reverses.
    pub sale_id: SaleId,
    /// Site.
    pub site_id: SiteId,
    /// Terminal.
    pub terminal_id: TerminalId,
    /// Who voided.
    pub voided_by: UserId,
    /// When (kept to the millisecond).
    pub voided_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// SHA-256 of `body`.
    pub content_hash: String,
    /// Canonical JSON of the void.
    pub body: String,
    /// The voider's name, for the audit log.
    pub actor_name: String,
    /// Township of the site: on the void row and its audit entry.
    pub township_id: TownshipId,
}

/// When the backend received posted sales or voids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceivedAt {
    /// Stamped by the writer inside the transaction that stores them, so a
    /// month close orders against it (see [`Db::month_close_cut`]). Every
    /// post from a terminal.
    Now,
    /// A given time: the demo's seeded history and tests.
    At(DateTime<Utc>),
}

impl ReceivedAt {
    /// The time, `now` for [`ReceivedAt::Now`].
    pub(crate) fn or(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            ReceivedAt::Now => now,
            ReceivedAt::At(t) => t,
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleRow {
    /// Id.
    pub id: SaleId,
    /// Site.
    pub site_id: SiteId,
    /// Terminal.
    pub terminal_id: TerminalId,
    /// Cashier.
    pub cashier_id: UserId,
    /// By the terminal's clock.
    pub sold_at: DateTime<Utc>,
    /// Business date.
    pub business_date: NaiveDate,
    /// Slot.
    pub slot: Slot,
    /// Total paid.
    pub total_paid: Money,
    /// Subsidy claimed by the terminal.
    pub subsidy_total: Money,
    /// Cash put in the drawer.
    pub cash_taken: Money,
    /// `cash` or `qr`.
    pub payment_method: String,
    /// Canonical JSON of the sale as posted.
    pub body: String,
    /// When the backend received it.
    pub received_at: DateTime<Utc>,
    /// The void's id, if voided.
    pub void_id: Option<VoidId>,
}

impl FromRow<'_, AnyRow> for SaleRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SaleRow {
            id: SaleId(decode::uuid(row, "id")?),
            site_id: SiteId(decode::int(row, "site_id")?),
            terminal_id: TerminalId(decode::int(row, "terminal_id")?),
            cashier_id: UserId(decode::int(row, "cashier_id")?),
            sold_at: decode::time(row, "sold_at")?,
            business_date: decode::date(row, "business_date")?,
            slot: decode::slot(row, "slot")?,
            total_paid: decode::money(row, "total_paid")?,
            subsidy_total: decode::money(row, "subsidy_total")?,
            cash_taken: decode::money(row, "cash_taken")?,
            payment_method: decode::text(row, "payment_method")?,
            body: decode::text(row, "body")?,
            received_at: decode::time(row, "received_at")?,
            void_id: decode::opt_uuid(row, "void_id")?.map(VoidId),
        })
    }
}

/// A stored sale line with the backend's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleLineRow {
    /// Sale.
    pub sale_id: SaleId,
    /// 1-based.
    pub line_no: i64,
    /// Kind.
    pub kind: String,
    /// Diner.
    pub diner_id: Option<DinerId>,
    /// Extra's name.
    pub name: Option<String>,
    /// Quantity.
    pub quantity: i64,
    /// Terminal's standard price.
    pub standard: Option<Money>,
    /// Charged.
    pub amount: Money,
    /// Terminal's subsidy.
    pub subsidy: Money,
    /// Terminal's bracket.
    pub bracket: Option<String>,
    /// Terminal's category.
    pub category: Option<String>,
    /// Backend's standard price.
    pub expected_standard: Option<Money>,
    /// Backend's price.
    pub expected_paid: Option<Money>,
    /// Backend's subsidy.
    pub expected_subsidy: Option<Money>,
    /// Backend's bracket.
    pub expected_bracket: Option<String>,
    /// Backend's category.
    pub expected_category: Option<String>,
    /// Backend's reason.
    pub expected_reason: Option<String>,
    /// `agrees`, `differs`, `unpriced` or `not_subsidised`.
    pub verdict: String,
}

impl FromRow<'_, AnyRow> for SaleLineRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SaleLineRow {
            sale_id: SaleId(decode::uuid(row, "sale_id")?),
            line_no: decode::int(row, "line_no")?,
            kind: decode::text(row, "kind")?,
            diner_id: decode::opt_int(row, "diner_id")?.map(DinerId),
            name: decode::opt_text(row, "name")?,
            quantity: decode::int(row, "quantity")?,
            standard: decode::opt_money(row, "standard")?,
            amount: decode::money(row, "amount")?,
            subsidy: decode::money(row, "subsidy")?,
            bracket: decode::opt_text(row, "bracket")?,
            category: decode::opt_text(row, "category")?,
            expected_standard: decode::opt_money(row, "expected_standard")?,
            expected_paid: decode::opt_money(row, "expected_paid")?,
            expected_subsidy: decode::opt_money(row, "expected_subsidy")?,
            expected_bracket: decode::opt_text(row, "expected_bracket")?,
            expected_category: decode::opt_text(row, "expected_category")?,
            expected_reason: decode::opt_text(row, "expected_reason")?,
            verdict: decode::text(row, "verdict")?,
        })
    }
}

/// A shift as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShiftRow {
    /// Id made on the terminal.
    pub id: ShiftId,
    /// Township of the site.
    pub township_id: TownshipId,
    /// Site.
    pub site_id: SiteId,
    /// Terminal.
    pub terminal_id: TerminalId,
    /// Cashier.
    pub cashier_id: UserId,
    /// Opened (kept to the millisecond).
    pub opened_at: DateTime<Utc>,
    /// Cash in the drawer at opening.
    pub opening_float: Money,
    /// Closed, by the terminal's clock.
    pub closed_at: Option<DateTime<Utc>>,
    /// When the backend received the close (the shift check's "late" is
    /// counted from it, not from the terminal's clock).
    pub close_received_at: Option<DateTime<Utc>>,
    /// Cash counted at closing.
    pub counted_cash: Option<Money>,
    /// Opening float + cash sales − voided cash sales, at the close.
    pub expected_cash: Option<Money>,
}

impl FromRow<'_, AnyRow> for ShiftRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ShiftRow {
            id: ShiftId(decode::uuid(row, "id")?),
            township_id: TownshipId(decode::int(row, "township_id")?),
            site_id: SiteId(decode::int(row, "site_id")?),
            terminal_id: TerminalId(decode::int(row, "terminal_id")?),
            cashier_id: UserId(decode::int(row, "cashier_id")?),
            opened_at: decode::time(row, "opened_at")?,
            opening_float: decode::money(row, "opening_float")?,
            closed_at: decode::opt_time(row, "closed_at")?,
            close_received_at: decode::opt_time(row, "close_received_at")?,
            counted_cash: decode::opt_money(row, "counted_cash")?,
            expected_cash: decode::opt_money(row, "expected_cash")?,
        })
    }
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
    /// PostgreSQL only: a typed pool for the claim's million-row read,
    /// where the Any driver's conversion of every value would cost more
    /// than the read (see `claim_scan`).
    pg: Option<sqlx::PgPool>,
    dialect: Dialect,
    /// The one task that stores sales and voids, with group commit.
    writer: writer::Writer,
}

impl Db {
    /// The store over a connected, migrated pool; starts its writer task.
    fn new(pool: sqlx::AnyPool, pg: Option<sqlx::PgPool>, dialect: Dialect) -> Db {
        let writer = writer::Writer::spawn(pool.clone(), dialect);
        Db {
            pool,
            pg,
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
