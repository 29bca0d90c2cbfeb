//! The sales of a group commit stored with a few statements instead of a
//! few per sale: one look-up of the ids already stored, one of the meals
//! already contesting each diner's slot and day, then multi-row INSERTs.
//! The verdicts are the same as storing the sales one by one in the same
//! order (the core's first-sold rule over what is stored plus what this
//! group stored before), so the writer may fall back to that at any time.

use std::collections::{BTreeSet, HashMap};

use canteen_core::first_meal::{MealOrder, is_first_sold};
use canteen_core::{DinerId, Money, SaleId, Slot, TownshipId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, Transaction};

use super::decode;
use super::sales::{meal_order, sale_order, verdict_word};
use super::{Dialect, Outcome, SaleToStore, StoreError, StoreResult, Verdict};

/// Rows per INSERT statement: far below either database's limit on bound
/// parameters (26 columns a line: 5,200 of SQLite's 32,766 and
/// PostgreSQL's 65,535).
const ROWS_PER_INSERT: usize = 200;

/// Ids per look-up statement.
const IDS_PER_SELECT: usize = 500;

/// A diner's slot and day in a township: what a subsidised meal contests.
type Contest = (TownshipId, DinerId, NaiveDate, Slot);

/// One post of sales as the writer queued it.
pub(super) struct Post<'a> {
    pub sales: &'a [SaleToStore],
    pub received_at: DateTime<Utc>,
}

/// Stores the posts in order, each post's sales in the order sold, and
/// answers each post's outcomes. An `Err` leaves the transaction to be
/// rolled back to before the call (the writer then stores post by post).
pub(super) async fn store_posts(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    posts: &[Post<'_>],
) -> StoreResult<Vec<Vec<Outcome>>> {
    // The order a one-by-one writer would take.
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (p, post) in posts.iter().enumerate() {
        let mut within: Vec<usize> = (0..post.sales.len()).collect();
        within.sort_by(|&a, &b| {
            let (a, b) = (&post.sales[a], &post.sales[b]);
            (a.sold_at, a.id).cmp(&(b.sold_at, b.id))
        });
        order.extend(within.into_iter().map(|i| (p, i)));
    }
    let mut outcomes: Vec<Vec<Outcome>> = posts
        .iter()
        .map(|p| vec![Outcome::Duplicate; p.sales.len()])
        .collect();

    // Which ids are stored already, with their content hash.
    let ids: BTreeSet<SaleId> = order.iter().map(|&(p, i)| posts[p].sales[i].id).collect();
    let mut hashes = stored_hashes(tx, dialect, &ids).await?;
    let mut fresh: Vec<(usize, usize)> = Vec::new();
    for &(p, i) in &order {
        let sale = &posts[p].sales[i];
        outcomes[p][i] = match hashes.get(&sale.id) {
            Some(h) if *h == sale.content_hash => Outcome::Duplicate,
            Some(_) => Outcome::Conflict,
            None => {
                hashes.insert(sale.id, sale.content_hash.clone());
                fresh.push((p, i));
                Outcome::Stored
            }
        };
    }
    if fresh.is_empty() {
        return Ok(outcomes);
    }

    // The meals already contesting each slot and day the fresh sales claim.
    let mut contests = stored_contests(tx, dialect, posts, &fresh).await?;
    let mut sale_rows: Vec<(&SaleToStore, DateTime<Utc>)> = Vec::with_capacity(fresh.len());
    let mut line_rows: Vec<LineRow<'_>> = Vec::new();
    for &(p, i) in &fresh {
        let sale = &posts[p].sales[i];
        sale_rows.push((sale, posts[p].received_at));
        let order = sale_order(sale)?;
        for (n, line) in sale.lines.iter().enumerate() {
            let verdict = match (&line.first, line.diner_id) {
                (Some(first), Some(diner)) if first.subsidy > Money::ZERO => {
                    let key = (sale.township_id, diner, sale.business_date, sale.slot);
                    let others = contests.get(&key).cloned().unwrap_or_default();
                    let meal = MealOrder {
                        line_index: n,
                        ..order
                    };
                    if is_first_sold(meal, others) {
                        Some(first)
                    } else {
                        line.repeat.as_ref()
                    }
                }
                (first, _) => first.as_ref(),
            };
            // From now on this line contests its slot and day, as the
            // stored line would (the claim's filter: a diner meal the
            // terminal sold with a subsidy).
            if let (Some(diner), "diner_meal", true) = (
                line.diner_id,
                line.kind.as_str(),
                line.subsidy > Money::ZERO,
            ) {
                contests
                    .entry((sale.township_id, diner, sale.business_date, sale.slot))
                    .or_default()
                    .push(MealOrder {
                        line_index: n,
                        ..order
                    });
            }
            let line_no = i64::try_from(n + 1)
                .map_err(|_| StoreError::Corrupt(format!("sale {}: too many lines", sale.id)))?;
            line_rows.push(LineRow {
                sale,
                received_at: posts[p].received_at,
                line_no,
                line: n,
                verdict,
            });
        }
    }
    match dialect {
        Dialect::Postgres => insert_postgres(tx, &sale_rows, &line_rows).await?,
        Dialect::Sqlite => {
            insert_sales(tx, dialect, &sale_rows).await?;
            insert_lines(tx, dialect, &line_rows).await?;
        }
    }
    Ok(outcomes)
}

/// A line to insert with the backend's verdict.
struct LineRow<'a> {
    sale: &'a SaleToStore,
    received_at: DateTime<Utc>,
    line_no: i64,
    line: usize,
    verdict: Option<&'a Verdict>,
}

/// The content hash of each of `ids` already stored.
async fn stored_hashes(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    ids: &BTreeSet<SaleId>,
) -> StoreResult<HashMap<SaleId, String>> {
    if dialect == Dialect::Postgres {
        return stored_hashes_postgres(tx, ids).await;
    }
    let ids: Vec<&SaleId> = ids.iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(IDS_PER_SELECT) {
        let list = placeholders(1, chunk.len());
        let sql = format!("SELECT id, content_hash FROM sales WHERE id IN ({list})");
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for (id, hash) in q.fetch_all(&mut **tx).await? {
            out.insert(SaleId(decode::uuid_of(&id)?), hash);
        }
    }
    Ok(out)
}

/// PostgreSQL: the ids as one JSON array, one parameter (hundreds of bound
/// values would each cross the Any driver and the server's parameter
/// handling).
async fn stored_hashes_postgres(
    tx: &mut Transaction<'static, Any>,
    ids: &BTreeSet<SaleId>,
) -> StoreResult<HashMap<SaleId, String>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let json = serde_json::to_string(&ids)
        .map_err(|e| StoreError::Corrupt(format!("sale ids as JSON: {e}")))?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.id, s.content_hash FROM sales s
         WHERE s.id IN (SELECT json_array_elements_text($1::json))",
    )
    .bind(json)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for (id, hash) in rows {
        out.insert(SaleId(decode::uuid_of(&id)?), hash);
    }
    Ok(out)
}

/// The stored meals contesting the slots and days the fresh sales' lines
/// are judged in: diner meal lines sold with a subsidy, of sales not
/// voided, at any site of the township (as `sales::contest` reads them).
async fn stored_contests(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    posts: &[Post<'_>],
    fresh: &[(usize, usize)],
) -> StoreResult<HashMap<Contest, Vec<MealOrder>>> {
    let mut wanted: BTreeSet<Contest> = BTreeSet::new();
    for &(p, i) in fresh {
        let sale = &posts[p].sales[i];
        for line in &sale.lines {
            if let (Some(first), Some(diner)) = (&line.first, line.diner_id)
                && first.subsidy > Money::ZERO
            {
                wanted.insert((sale.township_id, diner, sale.business_date, sale.slot));
            }
        }
    }
    let mut out: HashMap<Contest, Vec<MealOrder>> = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    if dialect == Dialect::Postgres {
        return contests_by_key(tx, &wanted).await;
    }
    let townships: BTreeSet<TownshipId> = wanted.iter().map(|k| k.0).collect();
    for township in townships {
        let keys: Vec<&Contest> = wanted.iter().filter(|k| k.0 == township).collect();
        let diners: BTreeSet<i64> = keys.iter().map(|k| k.1.0).collect();
        let dates: BTreeSet<String> = keys.iter().map(|k| k.2.to_string()).collect();
        let diners: Vec<i64> = diners.into_iter().collect();
        let dates: Vec<String> = dates.into_iter().collect();
        for diner_chunk in diners.chunks(IDS_PER_SELECT) {
            let diner_list = placeholders(2, diner_chunk.len());
            let date_list = placeholders(2 + diner_chunk.len(), dates.len());
            let sql = format!(
                "SELECT l.sold_at, l.sale_id, l.line_no, l.diner_id, l.business_date, l.slot
                 FROM sale_lines l
                 WHERE l.township_id = $1 AND l.diner_id IN ({diner_list})
                   AND l.business_date IN ({date_list})
                   AND l.kind = 'diner_meal' AND l.subsidy > 0
                   AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)"
            );
            let mut q = sqlx::query_as::<_, (i64, String, i64, i64, String, String)>(
                sqlx::AssertSqlSafe(sql),
            )
            .bind(township.0);
            for d in diner_chunk {
                q = q.bind(*d);
            }
            for d in &dates {
                q = q.bind(d.clone());
            }
            for (sold_at, sale_id, line_no, diner, date, slot) in q.fetch_all(&mut **tx).await? {
                let (key, meal) =
                    contest_row(sold_at, &sale_id, line_no, township.0, diner, &date, &slot)?;
                if wanted.contains(&key) {
                    out.entry(key).or_default().push(meal);
                }
            }
        }
    }
    Ok(out)
}

/// A slot and day a fresh line contests, as `json_to_recordset` reads it.
#[derive(serde::Serialize)]
struct ContestKey {
    township_id: i64,
    diner_id: i64,
    business_date: String,
    slot: &'static str,
}

/// PostgreSQL: the stored meals of exactly the wanted slots and days, one
/// index look-up per key. (`diner_id IN (…) AND business_date IN (…)`
/// makes PostgreSQL look up every pair of the two lists: 200 diners over
/// 30 days is 6,000 look-ups for a batch.)
async fn contests_by_key(
    tx: &mut Transaction<'static, Any>,
    wanted: &BTreeSet<Contest>,
) -> StoreResult<HashMap<Contest, Vec<MealOrder>>> {
    let keys: Vec<ContestKey> = wanted
        .iter()
        .map(|(township, diner, date, slot)| ContestKey {
            township_id: township.0,
            diner_id: diner.0,
            business_date: date.to_string(),
            slot: slot.as_str(),
        })
        .collect();
    let json = serde_json::to_string(&keys)
        .map_err(|e| StoreError::Corrupt(format!("contest keys as JSON: {e}")))?;
    let rows: Vec<(i64, String, i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT l.sold_at, l.sale_id, l.line_no, l.township_id, l.diner_id, l.business_date, l.slot
         FROM json_to_recordset($1::json)
             AS k(township_id bigint, diner_id bigint, business_date text, slot text)
         JOIN sale_lines l ON l.township_id = k.township_id AND l.diner_id = k.diner_id
             AND l.business_date = k.business_date AND l.slot = k.slot
         WHERE l.kind = 'diner_meal' AND l.subsidy > 0
           AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)",
    )
    .bind(json)
    .fetch_all(&mut **tx)
    .await?;
    let mut out: HashMap<Contest, Vec<MealOrder>> = HashMap::new();
    for (sold_at, sale_id, line_no, township, diner, date, slot) in rows {
        let (key, meal) = contest_row(sold_at, &sale_id, line_no, township, diner, &date, &slot)?;
        out.entry(key).or_default().push(meal);
    }
    Ok(out)
}

/// A stored contesting line as its slot and day and its place in the
/// first-sold order.
fn contest_row(
    sold_at: i64,
    sale_id: &str,
    line_no: i64,
    township: i64,
    diner: i64,
    date: &str,
    slot: &str,
) -> StoreResult<(Contest, MealOrder)> {
    let slot: Slot = slot.parse().map_err(StoreError::Corrupt)?;
    let key = (
        TownshipId(township),
        DinerId(diner),
        decode::date_of(date)?,
        slot,
    );
    let meal = meal_order(
        decode::time_of(sold_at)?,
        SaleId(decode::uuid_of(sale_id)?),
        line_no,
    )?;
    Ok((key, meal))
}

/// `$first, $first+1, …`, `n` of them.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …), ($n, …)`: `rows` tuples of `columns` placeholders. On SQLite
/// plain `?`s, bound in order: sqlx looks up the name of each numbered
/// parameter, which SQLite finds by a scan of them all, so a statement of
/// thousands of `$n`s costs millions of steps before it runs.
fn tuples(dialect: Dialect, rows: usize, columns: usize) -> String {
    let tuple = |r: usize| match dialect {
        Dialect::Sqlite => format!("({})", vec!["?"; columns].join(", ")),
        Dialect::Postgres => format!("({})", placeholders(1 + r * columns, columns)),
    };
    (0..rows).map(tuple).collect::<Vec<_>>().join(", ")
}

/// The columns of a sale row, in the order both forms of insert write them.
const SALE_COLUMNS: &str = "id, site_id, terminal_id, cashier_id, sold_at, business_date, slot, \
     total_paid, subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id";

/// The columns of a line row, in the order both forms of insert write them.
const LINE_COLUMNS: &str = "sale_id, line_no, kind, diner_id, name, quantity, standard, amount, \
     subsidy, bracket, category, expected_standard, expected_paid, expected_subsidy, \
     expected_bracket, expected_category, expected_reason, verdict, business_date, slot, \
     township_id, site_id, terminal_id, cashier_id, sold_at, received_at";

/// A sale row as PostgreSQL's `json_to_recordset` reads it (field names
/// are the columns').
#[derive(serde::Serialize)]
struct SaleRow<'a> {
    id: String,
    site_id: i64,
    terminal_id: i64,
    cashier_id: i64,
    sold_at: i64,
    business_date: String,
    slot: &'static str,
    total_paid: i64,
    subsidy_total: i64,
    cash_taken: i64,
    payment_method: &'a str,
    content_hash: &'a str,
    body: &'a str,
    received_at: i64,
    township_id: i64,
}

impl<'a> SaleRow<'a> {
    fn of(sale: &'a SaleToStore, received_at: DateTime<Utc>) -> SaleRow<'a> {
        SaleRow {
            id: sale.id.to_string(),
            site_id: sale.site_id.0,
            terminal_id: sale.terminal_id.0,
            cashier_id: sale.cashier_id.0,
            sold_at: sale.sold_at.timestamp_millis(),
            business_date: sale.business_date.to_string(),
            slot: sale.slot.as_str(),
            total_paid: sale.total_paid.fen(),
            subsidy_total: sale.subsidy_total.fen(),
            cash_taken: sale.cash_taken.fen(),
            payment_method: &sale.payment_method,
            content_hash: &sale.content_hash,
            body: &sale.body,
            received_at: received_at.timestamp_millis(),
            township_id: sale.township_id.0,
        }
    }
}

/// A line row with its verdict, as `json_to_recordset` reads it.
#[derive(serde::Serialize)]
struct LineColumns<'a> {
    sale_id: String,
    line_no: i64,
    kind: &'a str,
    diner_id: Option<i64>,
    name: Option<&'a str>,
    quantity: i64,
    standard: Option<i64>,
    amount: i64,
    subsidy: i64,
    bracket: Option<&'a str>,
    category: Option<&'a str>,
    expected_standard: Option<i64>,
    expected_paid: Option<i64>,
    expected_subsidy: Option<i64>,
    expected_bracket: Option<&'a str>,
    expected_category: Option<&'a str>,
    expected_reason: Option<&'a str>,
    verdict: &'static str,
    business_date: String,
    slot: &'static str,
    township_id: i64,
    site_id: i64,
    terminal_id: i64,
    cashier_id: i64,
    sold_at: i64,
    received_at: i64,
}

impl<'a> LineColumns<'a> {
    fn of(r: &LineRow<'a>) -> LineColumns<'a> {
        let (sale, line, verdict) = (r.sale, &r.sale.lines[r.line], r.verdict);
        LineColumns {
            sale_id: sale.id.to_string(),
            line_no: r.line_no,
            kind: &line.kind,
            diner_id: line.diner_id.map(|d| d.0),
            name: line.name.as_deref(),
            quantity: line.quantity,
            standard: line.standard.map(Money::fen),
            amount: line.amount.fen(),
            subsidy: line.subsidy.fen(),
            bracket: line.bracket.as_deref(),
            category: line.category.as_deref(),
            expected_standard: verdict.map(|v| v.standard.fen()),
            expected_paid: verdict.map(|v| v.paid.fen()),
            expected_subsidy: verdict.map(|v| v.subsidy.fen()),
            expected_bracket: verdict.and_then(|v| v.bracket.as_deref()),
            expected_category: verdict.and_then(|v| v.category.as_deref()),
            expected_reason: verdict.map(|v| v.reason.as_str()),
            verdict: verdict_word(line, verdict),
            business_date: sale.business_date.to_string(),
            slot: sale.slot.as_str(),
            township_id: sale.township_id.0,
            site_id: sale.site_id.0,
            terminal_id: sale.terminal_id.0,
            cashier_id: sale.cashier_id.0,
            sold_at: sale.sold_at.timestamp_millis(),
            received_at: r.received_at.timestamp_millis(),
        }
    }
}

/// The types `json_to_recordset` reads a sale row with.
const SALE_TYPES: &str = "id text, site_id bigint, terminal_id bigint, cashier_id bigint, \
     sold_at bigint, business_date text, slot text, total_paid bigint, subsidy_total bigint, \
     cash_taken bigint, payment_method text, content_hash text, body text, received_at bigint, \
     township_id bigint";

/// The types `json_to_recordset` reads a line row with.
const LINE_TYPES: &str = "sale_id text, line_no bigint, kind text, diner_id bigint, name text, \
     quantity bigint, standard bigint, amount bigint, subsidy bigint, bracket text, category text, \
     expected_standard bigint, expected_paid bigint, expected_subsidy bigint, \
     expected_bracket text, expected_category text, expected_reason text, verdict text, \
     business_date text, slot text, township_id bigint, site_id bigint, terminal_id bigint, \
     cashier_id bigint, sold_at bigint, received_at bigint";

/// PostgreSQL: the fresh sales and their lines in one statement with two
/// parameters, each table's rows as one JSON array the server unpacks
/// itself (`json_to_recordset`). Thousands of bound values would each
/// cross the Any driver and the server's parameter handling, and two
/// statements are two round trips every post waits for. The lines' foreign
/// key to their sale is checked at the end of the statement, when both are
/// in. None of the sales was stored when looked up; if another backend
/// process stores one meanwhile, its lines collide or fewer sales go in,
/// and the whole call fails, so the writer stores post by post.
async fn insert_postgres(
    tx: &mut Transaction<'static, Any>,
    sales: &[(&SaleToStore, DateTime<Utc>)],
    lines: &[LineRow<'_>],
) -> StoreResult<()> {
    let json = |what: &str, rows: Result<String, serde_json::Error>| {
        rows.map_err(|e| StoreError::Corrupt(format!("{what} as JSON: {e}")))
    };
    let sale_json = json(
        "sales",
        serde_json::to_string(
            &sales
                .iter()
                .map(|(s, at)| SaleRow::of(s, *at))
                .collect::<Vec<_>>(),
        ),
    )?;
    let line_json = json(
        "lines",
        serde_json::to_string(&lines.iter().map(LineColumns::of).collect::<Vec<_>>()),
    )?;
    let sql = format!(
        "WITH s AS (INSERT INTO sales ({SALE_COLUMNS})
                SELECT {SALE_COLUMNS} FROM json_to_recordset($1::json) AS r({SALE_TYPES})
                ON CONFLICT (id) DO NOTHING RETURNING 1),
            l AS (INSERT INTO sale_lines ({LINE_COLUMNS})
                SELECT {LINE_COLUMNS} FROM json_to_recordset($2::json) AS r({LINE_TYPES})
                RETURNING 1)
         SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM l)"
    );
    let (stored, _lines): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(sale_json)
        .bind(line_json)
        .fetch_one(&mut **tx)
        .await?;
    if stored != sales.len() as i64 {
        return Err(StoreError::Writer(format!(
            "{} of {} sales were stored meanwhile by another process",
            sales.len() as i64 - stored,
            sales.len()
        )));
    }
    Ok(())
}

/// SQLite: multi-row INSERTs of fresh sales. None of them was stored when
/// looked up, and the write lock is held since: all go in, or the call
/// fails and the writer stores post by post.
async fn insert_sales(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    rows: &[(&SaleToStore, DateTime<Utc>)],
) -> StoreResult<()> {
    let meanwhile = |inserted: u64, of: usize| {
        StoreError::Writer(format!(
            "{} of {of} sales were stored meanwhile by another process",
            of as u64 - inserted,
        ))
    };
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO sales ({SALE_COLUMNS}) VALUES {} ON CONFLICT (id) DO NOTHING",
            tuples(dialect, chunk.len(), 15)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (sale, received_at) in chunk {
            q = q
                .bind(sale.id.to_string())
                .bind(sale.site_id.0)
                .bind(sale.terminal_id.0)
                .bind(sale.cashier_id.0)
                .bind(sale.sold_at.timestamp_millis())
                .bind(sale.business_date.to_string())
                .bind(sale.slot.as_str())
                .bind(sale.total_paid.fen())
                .bind(sale.subsidy_total.fen())
                .bind(sale.cash_taken.fen())
                .bind(sale.payment_method.clone())
                .bind(sale.content_hash.clone())
                .bind(sale.body.clone())
                .bind(received_at.timestamp_millis())
                .bind(sale.township_id.0);
        }
        let inserted = q.execute(&mut **tx).await?.rows_affected();
        if inserted != chunk.len() as u64 {
            return Err(meanwhile(inserted, chunk.len()));
        }
    }
    Ok(())
}

/// SQLite: multi-row INSERTs of the fresh sales' lines with their verdicts.
async fn insert_lines(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    rows: &[LineRow<'_>],
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO sale_lines ({LINE_COLUMNS}) VALUES {}",
            tuples(dialect, chunk.len(), 26)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            let (sale, line, verdict) = (r.sale, &r.sale.lines[r.line], r.verdict);
            q = q
                .bind(sale.id.to_string())
                .bind(r.line_no)
                .bind(line.kind.clone())
                .bind(line.diner_id.map(|d| d.0))
                .bind(line.name.clone())
                .bind(line.quantity)
                .bind(line.standard.map(Money::fen))
                .bind(line.amount.fen())
                .bind(line.subsidy.fen())
                .bind(line.bracket.clone())
                .bind(line.category.clone())
                .bind(verdict.map(|v| v.standard.fen()))
                .bind(verdict.map(|v| v.paid.fen()))
                .bind(verdict.map(|v| v.subsidy.fen()))
                .bind(verdict.and_then(|v| v.bracket.clone()))
                .bind(verdict.and_then(|v| v.category.clone()))
                .bind(verdict.map(|v| v.reason.clone()))
                .bind(verdict_word(line, verdict))
                .bind(sale.business_date.to_string())
                .bind(sale.slot.as_str())
                .bind(sale.township_id.0)
                .bind(sale.site_id.0)
                .bind(sale.terminal_id.0)
                .bind(sale.cashier_id.0)
                .bind(sale.sold_at.timestamp_millis())
                .bind(r.received_at.timestamp_millis());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
