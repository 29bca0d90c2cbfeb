//! The terminal's own SQLite file: what it downloaded at setup (site,
//! cashiers, roster, policies) and everything it recorded (shifts, sales,
//! voids) with the outbox that the sync worker empties in the order sold.
//!
//! WAL with `synchronous=FULL`: a sale is on disk when [`LocalStore::record_sale`]
//! returns, before its receipt prints.

use std::path::Path;

use canteen_core::{PricePolicy, Sale, Slot, Void};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::roster::RosterDiner;

/// Why the local store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("the terminal's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored record no longer reads back.
    #[error("a record in the terminal's database is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// Result of the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// A cashier of this site, as the backend lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cashier {
    /// User id on the backend.
    pub id: i64,
    /// Name shown and printed.
    pub display_name: String,
    /// argon2id PHC string of the PIN, from the backend (an administrator
    /// sets it); checked here, offline.
    #[serde(default)]
    pub pin_hash: Option<String>,
    /// A supervisor's PIN approves voids.
    #[serde(default)]
    pub supervisor: bool,
}

/// What the terminal learnt at setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSetup {
    /// This terminal's id.
    pub terminal_id: i64,
    /// Its name, e.g. 一号机.
    pub terminal_name: String,
    /// Its site.
    pub site_id: i64,
    /// The site's name.
    pub site_name: String,
    /// The township the site belongs to.
    pub township_id: i64,
    /// Local time offset from UTC in minutes (480 in China).
    pub utc_offset_minutes: i64,
    /// Who may sell here.
    pub cashiers: Vec<Cashier>,
    /// Key of the resident-ID hash (hex), from the backend at setup.
    pub id_hash_key: String,
    /// Roster version last downloaded.
    pub roster_version: i64,
    /// Policy version last downloaded.
    pub policy_version: i64,
}

/// A shift as the terminal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRecord {
    /// UUID made here.
    pub id: uuid::Uuid,
    /// Who sells.
    pub cashier_id: i64,
    /// When it began.
    pub opened_at: DateTime<Utc>,
    /// Cash counted into the drawer at the start, in fen.
    pub opening_float: i64,
    /// When it was closed, if it was.
    pub closed_at: Option<DateTime<Utc>>,
    /// Cash counted at the close, in fen.
    pub counted_cash: Option<i64>,
}

/// One item of the outbox, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxItem {
    /// A sale to post.
    Sale(Box<Sale>),
    /// A void to post (after its sale).
    Void(Void),
    /// A shift to open on the backend.
    ShiftOpen(ShiftRecord),
    /// A shift to close on the backend.
    ShiftClose(ShiftRecord),
}

/// An outbox row: its place in the queue and what it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Position in the outbox (strictly increasing in the order recorded).
    pub seq: i64,
    /// The record.
    pub item: OutboxItem,
}

/// A note from the backend about a record it refused or priced otherwise,
/// shown to the cashier at the next sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Row id.
    pub id: i64,
    /// What the backend said, for the cashier.
    pub text: String,
}

/// A shift row as read: id, cashier, opened, float, closed, counted.
type ShiftCols = (String, i64, i64, i64, Option<i64>, Option<i64>);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS diners (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (n INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shifts (
    id TEXT PRIMARY KEY, cashier_id INTEGER NOT NULL, opened_at INTEGER NOT NULL,
    opening_float INTEGER NOT NULL, closed_at INTEGER, counted_cash INTEGER);
CREATE TABLE IF NOT EXISTS sales (
    id TEXT PRIMARY KEY, shift_id TEXT NOT NULL, business_date TEXT NOT NULL,
    slot TEXT NOT NULL, sold_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sales_by_day ON sales (business_date, slot);
CREATE INDEX IF NOT EXISTS sales_by_shift ON sales (shift_id);
CREATE TABLE IF NOT EXISTS sale_diners (
    sale_id TEXT NOT NULL, diner_id INTEGER NOT NULL, business_date TEXT NOT NULL,
    slot TEXT NOT NULL, subsidised INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sale_diners_by_day ON sale_diners (diner_id, business_date, slot);
CREATE TABLE IF NOT EXISTS voids (
    id TEXT PRIMARY KEY, sale_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, record_id TEXT NOT NULL,
    sent_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (sent_at, seq);
CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL,
    shown INTEGER NOT NULL DEFAULT 0);
";

/// The terminal's SQLite file. One per thread: the UI and the sync worker
/// each open their own.
pub struct LocalStore {
    conn: Connection,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::UNIX_EPOCH)
}

impl LocalStore {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: &Path) -> StoreResult<LocalStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(LocalStore { conn })
    }

    fn meta<T: serde::de::DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(match v {
            Some(s) => Some(serde_json::from_str(&s)?),
            None => None,
        })
    }

    fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, serde_json::to_string(value)?],
        )?;
        Ok(())
    }

    /// The setup, once the terminal was set up.
    pub fn setup(&self) -> StoreResult<Option<SiteSetup>> {
        self.meta("setup")
    }

    /// Saves the setup.
    pub fn save_setup(&self, setup: &SiteSetup) -> StoreResult<()> {
        self.set_meta("setup", setup)
    }

    /// A terminal-local setting (PIN hashes, language).
    pub fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.meta(&format!("setting:{key}"))
    }

    /// Saves a terminal-local setting.
    pub fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.set_meta(&format!("setting:{key}"), &value)
    }

    /// Replaces the whole roster, or adds and changes diners when `full` is
    /// false.
    pub fn save_roster(&mut self, diners: &[RosterDiner], full: bool) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        if full {
            tx.execute("DELETE FROM diners", [])?;
        }
        {
            let mut st = tx.prepare(
                "INSERT INTO diners (id, body) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for d in diners {
                st.execute(params![d.diner.id.0, serde_json::to_string(d)?])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The roster as downloaded.
    pub fn roster(&self) -> StoreResult<Vec<RosterDiner>> {
        let mut st = self.conn.prepare("SELECT body FROM diners ORDER BY id")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// Replaces the price policies.
    pub fn save_policies(&mut self, policies: &[PricePolicy]) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM policies", [])?;
        for (n, p) in policies.iter().enumerate() {
            tx.execute(
                "INSERT INTO policies (n, body) VALUES (?1, ?2)",
                params![n as i64, serde_json::to_string(p)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The price policies as downloaded.
    pub fn policies(&self) -> StoreResult<Vec<PricePolicy>> {
        let mut st = self.conn.prepare("SELECT body FROM policies ORDER BY n")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// Records a new shift and queues it for the backend.
    pub fn open_shift(&mut self, shift: &ShiftRecord) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO shifts (id, cashier_id, opened_at, opening_float) VALUES (?1, ?2, ?3, ?4)",
            params![
                shift.id.to_string(),
                shift.cashier_id,
                ms(shift.opened_at),
                shift.opening_float
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (kind, record_id) VALUES ('shift_open', ?1)",
            [shift.id.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Closes a shift with the counted cash and queues the close.
    pub fn close_shift(
        &mut self,
        id: uuid::Uuid,
        closed_at: DateTime<Utc>,
        counted: i64,
    ) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE shifts SET closed_at = ?2, counted_cash = ?3 WHERE id = ?1 AND closed_at IS NULL",
            params![id.to_string(), ms(closed_at), counted],
        )?;
        tx.execute(
            "INSERT INTO outbox (kind, record_id) VALUES ('shift_close', ?1)",
            [id.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn shift_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ShiftCols> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    }

    fn to_shift(row: ShiftCols) -> StoreResult<ShiftRecord> {
        let id = uuid::Uuid::parse_str(&row.0)
            .map_err(|e| StoreError::Corrupt(serde::de::Error::custom(e)))?;
        Ok(ShiftRecord {
            id,
            cashier_id: row.1,
            opened_at: from_ms(row.2),
            opening_float: row.3,
            closed_at: row.4.map(from_ms),
            counted_cash: row.5,
        })
    }

    /// A shift by id.
    pub fn shift(&self, id: uuid::Uuid) -> StoreResult<Option<ShiftRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, cashier_id, opened_at, opening_float, closed_at, counted_cash
                 FROM shifts WHERE id = ?1",
                [id.to_string()],
                Self::shift_row,
            )
            .optional()?;
        row.map(Self::to_shift).transpose()
    }

    /// The shift still open on this terminal, if any (after a restart the
    /// cashier carries on in it).
    pub fn open_shift_now(&self) -> StoreResult<Option<ShiftRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, cashier_id, opened_at, opening_float, closed_at, counted_cash
                 FROM shifts WHERE closed_at IS NULL ORDER BY opened_at DESC LIMIT 1",
                [],
                Self::shift_row,
            )
            .optional()?;
        row.map(Self::to_shift).transpose()
    }

    /// Records a sale and queues it, in one transaction: when this returns
    /// the sale is on disk.
    pub fn record_sale(&mut self, shift: uuid::Uuid, sale: &Sale) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        let id = sale.id.0.to_string();
        let date = sale.business_date.to_string();
        tx.execute(
            "INSERT INTO sales (id, shift_id, business_date, slot, sold_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                shift.to_string(),
                date,
                sale.slot.as_str(),
                ms(sale.sold_at),
                serde_json::to_string(sale)?
            ],
        )?;
        for line in &sale.lines {
            if let canteen_core::SaleLine::DinerMeal {
                diner_id, subsidy, ..
            } = line
            {
                tx.execute(
                    "INSERT INTO sale_diners (sale_id, diner_id, business_date, slot, subsidised)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, diner_id.0, date, sale.slot.as_str(), subsidy.fen() > 0],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO outbox (kind, record_id) VALUES ('sale', ?1)",
            [&id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a void and queues it.
    pub fn record_void(&mut self, void: &Void) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO voids (id, sale_id, body) VALUES (?1, ?2, ?3)",
            params![
                void.id.0.to_string(),
                void.sale_id.0.to_string(),
                serde_json::to_string(void)?
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (kind, record_id) VALUES ('void', ?1)",
            [void.id.0.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// True when this diner already had a subsidised meal (not voided) in
    /// this slot on this day at this terminal.
    pub fn had_subsidised_meal(
        &self,
        diner: i64,
        date: NaiveDate,
        slot: Slot,
    ) -> StoreResult<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM sale_diners sd
             WHERE sd.diner_id = ?1 AND sd.business_date = ?2 AND sd.slot = ?3
               AND sd.subsidised = 1
               AND NOT EXISTS (SELECT 1 FROM voids v WHERE v.sale_id = sd.sale_id)",
            params![diner, date.to_string(), slot.as_str()],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    fn read_sales(&self, sql: &str, arg: &str) -> StoreResult<Vec<Sale>> {
        let mut st = self.conn.prepare(sql)?;
        let rows = st.query_map([arg], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// A sale by id.
    pub fn sale(&self, id: uuid::Uuid) -> StoreResult<Option<Sale>> {
        Ok(self
            .read_sales("SELECT body FROM sales WHERE id = ?1", &id.to_string())?
            .into_iter()
            .next())
    }

    /// The sales of a shift, in the order sold.
    pub fn shift_sales(&self, shift: uuid::Uuid) -> StoreResult<Vec<Sale>> {
        self.read_sales(
            "SELECT body FROM sales WHERE shift_id = ?1 ORDER BY rowid",
            &shift.to_string(),
        )
    }

    /// The sales of a business day, newest first.
    pub fn day_sales(&self, date: NaiveDate) -> StoreResult<Vec<Sale>> {
        self.read_sales(
            "SELECT body FROM sales WHERE business_date = ?1 ORDER BY rowid DESC",
            &date.to_string(),
        )
    }

    /// Every void recorded here.
    pub fn voids(&self) -> StoreResult<Vec<Void>> {
        let mut st = self.conn.prepare("SELECT body FROM voids ORDER BY rowid")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// The void of a sale, if any.
    pub fn void_of(&self, sale: uuid::Uuid) -> StoreResult<Option<Void>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM voids WHERE sale_id = ?1",
                [sale.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
    }

    /// Outbox items not yet acknowledged, oldest first, at most `limit`.
    pub fn pending(&self, limit: usize) -> StoreResult<Vec<Pending>> {
        let mut st = self.conn.prepare(
            "SELECT o.seq, o.kind, o.record_id,
                    s.body, v.body
             FROM outbox o
             LEFT JOIN sales s ON o.kind = 'sale' AND s.id = o.record_id
             LEFT JOIN voids v ON o.kind = 'void' AND v.id = o.record_id
             WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut raw = Vec::new();
        for row in rows {
            raw.push(row?);
        }
        let mut out = Vec::new();
        for (seq, kind, record, sale, void) in raw {
            let item = match (kind.as_str(), sale, void) {
                ("sale", Some(b), _) => OutboxItem::Sale(Box::new(serde_json::from_str(&b)?)),
                ("void", _, Some(b)) => OutboxItem::Void(serde_json::from_str(&b)?),
                ("shift_open" | "shift_close", _, _) => {
                    let id = uuid::Uuid::parse_str(&record)
                        .map_err(|e| StoreError::Corrupt(serde::de::Error::custom(e)))?;
                    let Some(shift) = self.shift(id)? else {
                        continue;
                    };
                    if kind == "shift_open" {
                        OutboxItem::ShiftOpen(shift)
                    } else {
                        OutboxItem::ShiftClose(shift)
                    }
                }
                _ => continue,
            };
            out.push(Pending { seq, item });
        }
        Ok(out)
    }

    /// Marks outbox rows as acknowledged by the backend.
    pub fn mark_sent(&mut self, seqs: &[i64], at: DateTime<Utc>) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        for s in seqs {
            tx.execute(
                "UPDATE outbox SET sent_at = ?2 WHERE seq = ?1",
                params![s, ms(at)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// How many records wait to be sent.
    pub fn outbox_count(&self) -> StoreResult<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Keeps a note for the cashier.
    pub fn add_notice(&self, text: &str) -> StoreResult<()> {
        self.conn
            .execute("INSERT INTO notices (text) VALUES (?1)", [text])?;
        Ok(())
    }

    /// Notes not yet shown.
    pub fn unseen_notices(&self) -> StoreResult<Vec<Notice>> {
        let mut st = self
            .conn
            .prepare("SELECT id, text FROM notices WHERE shown = 0 ORDER BY id")?;
        let rows = st.query_map([], |r| {
            Ok(Notice {
                id: r.get(0)?,
                text: r.get(1)?,
            })
        })?;
        let mut out = Vec::new();
        for n in rows {
            out.push(n?);
        }
        Ok(out)
    }

    /// Marks notes as shown.
    pub fn mark_notices_shown(&self, upto: i64) -> StoreResult<()> {
        self.conn
            .execute("UPDATE notices SET shown = 1 WHERE id <= ?1", [upto])?;
        Ok(())
    }
}
