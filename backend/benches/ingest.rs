//! Ingest and latency figures (printed, not asserted).
//!
//! - Ingest: sales per second through the HTTP batch API, through the store
//!   alone, and the same rows inserted straight into the database the best
//!   plain-SQL way (multi-row INSERTs in one transaction per batch on
//!   SQLite, INSERT … SELECT FROM UNNEST on PostgreSQL, through a typed
//!   pool); the API's share of the raw rate (target: 50% or more). API and
//!   raw take turns over five rounds, so that both meet the same machine;
//!   the figures are the medians.
//! - Latency: p50 and p99 of a single-sale post with 50 terminals each
//!   posting a sale every 200 ms (250 posts a second, 25 times what 50
//!   cashiers at their fastest make; target p99 under 5 ms; the median of
//!   three rushes); and with the 50 posting back to back, the most the
//!   service takes (throughput, p50, p99, beside the figures before the
//!   group-commit writer).
//!
//! SQLite always; PostgreSQL when CANTEEN_TEST_POSTGRES_URL is set.
//! Run: `cargo bench -p backend --bench ingest` (BENCH_SALES to change the
//! number of sales, default 20000; BENCH_DB=sqlite or postgres for one
//! database only).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::ingest::prepare_sales;
use backend::store::{Db, ReceivedAt, SaleToStore, Terminal};
use canteen_core::{Sale, SiteId, TerminalId, TownshipId};
use helpers::{Backend, TestApp, World, batch, fresh_config, spawn_app_with, world};
use serde_json::json;

const BATCH: usize = 200;
/// Ingest is measured in this many rounds, API and raw in turns.
const ROUNDS: usize = 5;
/// The rush is run this many times.
const RUSHES: usize = 3;
const POSTERS: usize = 4;
const TERMINALS: usize = 50;
const LATENCY_POSTS_PER_TERMINAL: usize = 40;
/// A terminal's pace at the rush the latency target is for: a sale every
/// 200 ms, 25 times a cashier's fastest (one every 5 s).
const RUSH_PERIOD: Duration = Duration::from_millis(200);

/// `n` sales spread over the diners, the last 30 days and the three slots,
/// one in four a walk-in.
fn sales(w: &World, diners: &[i64], n: usize) -> Vec<Sale> {
    let slots = [
        canteen_core::Slot::Breakfast,
        canteen_core::Slot::Lunch,
        canteen_core::Slot::Dinner,
    ];
    (0..n)
        .map(|i| {
            let mut s = if i % 4 == 0 {
                w.walk_in()
            } else {
                w.lunch(diners[i % diners.len()])
            };
            let back = chrono::Duration::days(((i / diners.len()) % 30) as i64);
            // Sold on its business date (the backend bounds sold_at by it).
            s.business_date -= back;
            s.sold_at -= back;
            s.slot = slots[(i / (diners.len() * 30)) % 3];
            s
        })
        .collect()
}

/// 300 more diners, imported as a village ledger; returns every diner id.
async fn more_diners(app: &TestApp, w: &World) -> Vec<i64> {
    // Registered long ago: the bench sells meals of the last 30 days.
    let mut csv = String::from("姓名,身份证号,村,登记日期\n");
    for i in 0..300u32 {
        let birth = helpers::d(1930 + (i % 35) as i32, 1 + i % 12, 1 + i % 28);
        csv.push_str(&format!(
            "居民{i},{},大寨村,2020-01-01\n",
            helpers::resident_id(birth, 100 + i)
        ));
    }
    let res = app
        .client
        .post(app.url(&format!("/api/townships/{}/diners/import", w.township_a)))
        .bearer_auth(&w.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert!(res.status().is_success(), "import: {}", res.status());
    let list = app
        .get_ok(&w.admin, &format!("/api/townships/{}/diners", w.township_a))
        .await;
    list.as_array()
        .expect("list")
        .iter()
        .map(|d| d["id"].as_i64().expect("id"))
        .collect()
}

async fn api_rate(app: &Arc<TestApp>, w: &World, sales: Vec<Sale>) -> f64 {
    let chunks: Vec<Vec<Sale>> = sales.chunks(BATCH).map(<[Sale]>::to_vec).collect();
    let queue = Arc::new(tokio::sync::Mutex::new(chunks));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..POSTERS {
        let (app, queue, token) = (app.clone(), queue.clone(), w.terminal_token.clone());
        tasks.spawn(async move {
            loop {
                let Some(chunk) = queue.lock().await.pop() else {
                    break;
                };
                let res = app
                    .post(&token, "/api/terminal/sales", &batch(&chunk))
                    .await;
                assert!(res.status().is_success(), "{}", res.status());
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    sales.len() as f64 / start.elapsed().as_secs_f64()
}

async fn prepared(store: &Db, w: &World, sales: &[Sale]) -> Vec<SaleToStore> {
    let site = store
        .site(SiteId(w.site_a))
        .await
        .expect("site")
        .expect("site exists");
    let terminal = Terminal {
        id: TerminalId(w.terminal_id),
        site_id: SiteId(w.site_a),
        name: String::new(),
        active: true,
    };
    let mut out = Vec::new();
    for chunk in sales.chunks(BATCH) {
        for p in prepare_sales(store, &terminal, &site, chunk, chrono::Utc::now())
            .await
            .expect("prepare")
        {
            out.push(p.expect("valid sale"));
        }
    }
    out
}

async fn store_rate(store: &Db, rows: Vec<SaleToStore>) -> f64 {
    let n = rows.len();
    let start = Instant::now();
    for chunk in rows.chunks(BATCH) {
        store
            .insert_sales(chunk.to_vec(), ReceivedAt::Now)
            .await
            .expect("insert");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The raw baseline on SQLite: per batch one transaction with one
/// multi-row INSERT for the sales and one for their lines.
async fn raw_sqlite(pool: &sqlx::SqlitePool, rows: &[SaleToStore]) -> f64 {
    let start = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let mut tx = pool.begin().await.expect("begin");
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot, total_paid,
                subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id) ",
        );
        q.push_values(chunk, |mut b, s| {
            b.push_bind(s.id.to_string())
                .push_bind(s.site_id.0)
                .push_bind(s.terminal_id.0)
                .push_bind(s.cashier_id.0)
                .push_bind(s.sold_at.timestamp_millis())
                .push_bind(s.business_date.to_string())
                .push_bind(s.slot.as_str())
                .push_bind(s.total_paid.fen())
                .push_bind(s.subsidy_total.fen())
                .push_bind(s.cash_taken.fen())
                .push_bind(&s.payment_method)
                .push_bind(&s.content_hash)
                .push_bind(&s.body)
                .push_bind(0_i64)
                .push_bind(s.township_id.0);
        });
        q.build().execute(&mut *tx).await.expect("insert sales");
        let lines: Vec<(&SaleToStore, usize)> = chunk
            .iter()
            .flat_map(|s| (0..s.lines.len()).map(move |i| (s, i)))
            .collect();
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, quantity, standard, amount, subsidy,
                verdict, business_date, slot, township_id, site_id, terminal_id, cashier_id, sold_at,
                received_at) ",
        );
        q.push_values(lines, |mut b, (s, i)| {
            let l = &s.lines[i];
            b.push_bind(s.id.to_string())
                .push_bind(i as i64 + 1)
                .push_bind(&l.kind)
                .push_bind(l.diner_id.map(|d| d.0))
                .push_bind(l.quantity)
                .push_bind(l.standard.map(|m| m.fen()))
                .push_bind(l.amount.fen())
                .push_bind(l.subsidy.fen())
                .push_bind("raw")
                .push_bind(s.business_date.to_string())
                .push_bind(s.slot.as_str())
                .push_bind(s.township_id.0)
                .push_bind(s.site_id.0)
                .push_bind(s.terminal_id.0)
                .push_bind(s.cashier_id.0)
                .push_bind(s.sold_at.timestamp_millis())
                .push_bind(0_i64);
        });
        q.build().execute(&mut *tx).await.expect("insert lines");
        tx.commit().await.expect("commit");
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

/// The raw baseline on PostgreSQL: per batch one transaction with one
/// `INSERT … SELECT FROM UNNEST(arrays)` for the sales and one for the lines.
async fn raw_postgres(pool: &sqlx::PgPool, rows: &[SaleToStore]) -> f64 {
    let start = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let mut tx = pool.begin().await.expect("begin");
        let col = |f: &dyn Fn(&SaleToStore) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
        let text =
            |f: &dyn Fn(&SaleToStore) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        sqlx::query(
            "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot, total_paid,
                subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
                $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[],
                $14::bigint[], $15::bigint[])",
        )
        .bind(text(&|s| s.id.to_string()))
        .bind(col(&|s| s.site_id.0))
        .bind(col(&|s| s.terminal_id.0))
        .bind(col(&|s| s.cashier_id.0))
        .bind(col(&|s| s.sold_at.timestamp_millis()))
        .bind(text(&|s| s.business_date.to_string()))
        .bind(text(&|s| s.slot.as_str().into()))
        .bind(col(&|s| s.total_paid.fen()))
        .bind(col(&|s| s.subsidy_total.fen()))
        .bind(col(&|s| s.cash_taken.fen()))
        .bind(text(&|s| s.payment_method.clone()))
        .bind(text(&|s| s.content_hash.clone()))
        .bind(text(&|s| s.body.clone()))
        .bind(col(&|_| 0))
        .bind(col(&|s| s.township_id.0))
        .execute(&mut *tx)
        .await
        .expect("insert sales");
        let lines: Vec<(&SaleToStore, usize)> = chunk
            .iter()
            .flat_map(|s| (0..s.lines.len()).map(move |i| (s, i)))
            .collect();
        let lcol = |f: &dyn Fn(&SaleToStore, usize) -> Option<i64>| {
            lines
                .iter()
                .map(|&(s, i)| f(s, i))
                .collect::<Vec<Option<i64>>>()
        };
        let ltext = |f: &dyn Fn(&SaleToStore, usize) -> String| {
            lines.iter().map(|&(s, i)| f(s, i)).collect::<Vec<String>>()
        };
        sqlx::query(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, quantity, standard, amount, subsidy,
                verdict, business_date, slot, township_id, site_id, terminal_id, cashier_id, sold_at,
                received_at)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[],
                $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[])",
        )
        .bind(ltext(&|s, _| s.id.to_string()))
        .bind(lcol(&|_, i| Some(i as i64 + 1)))
        .bind(ltext(&|s, i| s.lines[i].kind.clone()))
        .bind(lcol(&|s, i| s.lines[i].diner_id.map(|d| d.0)))
        .bind(lcol(&|s, i| Some(s.lines[i].quantity)))
        .bind(lcol(&|s, i| s.lines[i].standard.map(|m| m.fen())))
        .bind(lcol(&|s, i| Some(s.lines[i].amount.fen())))
        .bind(lcol(&|s, i| Some(s.lines[i].subsidy.fen())))
        .bind(ltext(&|_, _| "raw".into()))
        .bind(ltext(&|s, _| s.business_date.to_string()))
        .bind(ltext(&|s, _| s.slot.as_str().into()))
        .bind(lcol(&|s, _| Some(s.township_id.0)))
        .bind(lcol(&|s, _| Some(s.site_id.0)))
        .bind(lcol(&|s, _| Some(s.terminal_id.0)))
        .bind(lcol(&|s, _| Some(s.cashier_id.0)))
        .bind(lcol(&|s, _| Some(s.sold_at.timestamp_millis())))
        .bind(lcol(&|_, _| Some(0)))
        .execute(&mut *tx)
        .await
        .expect("insert lines");
        tx.commit().await.expect("commit");
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

/// A fresh database with the same schema and the same parent rows, with
/// a typed pool for the best plain SQL each database offers.
struct RawTarget {
    pool: RawPool,
    /// Removed after the pool is closed.
    scratch: helpers::Scratch,
}

enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl RawTarget {
    async fn new(kind: Backend, w: &World, source: &Db) -> RawTarget {
        let (config, scratch) = fresh_config(kind).expect("config");
        let url = config.database_url();
        let target = Db::connect(&url, config.database_schema.as_deref(), 4)
            .await
            .expect("connect");
        copy_parents(source, &target, w).await;
        target.pool().close().await;
        let pool = match kind {
            Backend::Sqlite => {
                RawPool::Sqlite(sqlx::SqlitePool::connect(&url).await.expect("sqlite"))
            }
            Backend::Postgres => {
                use std::str::FromStr;
                let schema = config.database_schema.clone().expect("schema");
                let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                    .expect("url")
                    .options([("search_path", schema.as_str())]);
                RawPool::Postgres(sqlx::PgPool::connect_with(options).await.expect("postgres"))
            }
        };
        RawTarget { pool, scratch }
    }

    async fn rate(&self, rows: &[SaleToStore]) -> f64 {
        match &self.pool {
            RawPool::Sqlite(pool) => raw_sqlite(pool, rows).await,
            RawPool::Postgres(pool) => raw_postgres(pool, rows).await,
        }
    }

    async fn close(self) {
        match self.pool {
            RawPool::Sqlite(pool) => pool.close().await,
            RawPool::Postgres(pool) => pool.close().await,
        }
        drop(self.scratch);
    }
}

/// The rows sales refer to (site, terminal, cashier, diners), so the raw
/// inserts meet the same foreign keys.
async fn copy_parents(source: &Db, target: &Db, w: &World) {
    use backend::store::{Actor, AuditEntry, NewSite, NewUser};
    let audit = || AuditEntry {
        actor: Actor::system(),
        township_id: None,
        action: "x".into(),
        entity: "x".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    };
    let mut townships = 0;
    while townships < w.township_a.max(w.township_b) {
        townships = target
            .insert_township(&format!("t{townships}"), audit())
            .await
            .expect("township")
            .id
            .0;
    }
    let mut site = 0;
    while site < w.site_a {
        site = target
            .insert_site(
                NewSite {
                    township_id: TownshipId(w.township_a),
                    name: format!("s{site}"),
                    kind: backend::store::SiteKind::Canteen,
                    utc_offset_minutes: 480,
                },
                audit(),
            )
            .await
            .expect("site")
            .id
            .0;
    }
    let mut terminal = 0;
    while terminal < w.terminal_id {
        terminal = target
            .insert_terminal(SiteId(w.site_a), "t", &format!("h{terminal}"), audit())
            .await
            .expect("terminal")
            .id
            .0;
    }
    let mut user = 0;
    while user < w.cashier_id {
        user = target
            .insert_user(
                NewUser {
                    username: format!("u{user}"),
                    display_name: "u".into(),
                    role: backend::store::Role::Cashier,
                    township_id: Some(TownshipId(w.township_a)),
                    site_id: Some(SiteId(w.site_a)),
                    password_hash: "x".into(),
                    must_change_password: false,
                },
                audit(),
            )
            .await
            .expect("user")
            .id
            .0;
    }
    let diners = source
        .diners_since(TownshipId(w.township_a), 0)
        .await
        .expect("diners");
    let max = diners.iter().map(|d| d.id.0).max().unwrap_or(0);
    let mut id = 0;
    while id < max {
        let fields = backend::store::DinerFields {
            name: "d".into(),
            resident_id: None,
            birth_date: None,
            village: None,
            card_no: None,
            active_from: None,
            inactive_since: None,
            categories: Vec::new(),
        };
        id = target
            .insert_diners(TownshipId(w.township_a), vec![fields], Actor::system())
            .await
            .expect("diner")[0]
            .id
            .0;
    }
}

/// The middle value (of an odd count; the upper middle otherwise).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// How the 50 terminals post.
#[derive(Clone, Copy)]
enum Pace {
    /// Each terminal posts a sale every `Duration` (an open load: a post
    /// does not wait for the others), starting at a random moment of the
    /// first period, as cashiers confirm sales at a rush.
    Every(Duration),
    /// Each terminal posts its next sale as soon as the last is answered:
    /// the most the service can take, far beyond any canteen.
    BackToBack,
}

async fn latency(
    app: &Arc<TestApp>,
    terminals: &[(i64, String)],
    w: &World,
    diners: &[i64],
    pace: Pace,
) -> (Duration, Duration, usize, Duration) {
    let start_gate = Arc::new(tokio::sync::Barrier::new(terminals.len()));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for (n, (id, token)) in terminals.iter().enumerate() {
        let (app, gate, token) = (app.clone(), start_gate.clone(), token.clone());
        let mut sales = sales(w, diners, LATENCY_POSTS_PER_TERMINAL);
        for s in &mut sales {
            s.id = canteen_core::SaleId(uuid::Uuid::new_v4());
            s.terminal_id = TerminalId(*id);
        }
        tasks.spawn(async move {
            gate.wait().await;
            let mut ticks = match pace {
                Pace::Every(period) => {
                    // Spread the terminals over the first period.
                    let offset = period.mul_f64((n as f64 * 0.618_034).fract());
                    let mut t =
                        tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
                    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    Some(t)
                }
                Pace::BackToBack => None,
            };
            let mut times = Vec::new();
            for s in sales {
                if let Some(t) = &mut ticks {
                    t.tick().await;
                }
                let t0 = Instant::now();
                let res = app.post(&token, "/api/terminal/sales", &batch(&[s])).await;
                assert!(res.status().is_success());
                times.push(t0.elapsed());
            }
            times
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.expect("task"));
    }
    let elapsed = started.elapsed();
    all.sort();
    (
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.len(),
        elapsed,
    )
}

async fn bench_terminals(app: &Arc<TestApp>, w: &World) -> Vec<(i64, String)> {
    let mut terminals = Vec::new();
    for i in 0..TERMINALS {
        let t = app
            .post_ok(
                &w.admin,
                &format!("/api/sites/{}/terminals", w.site_a),
                &json!({"name": format!("bench {i}")}),
            )
            .await;
        terminals.push((
            t["terminal"]["id"].as_i64().expect("id"),
            t["token"].as_str().expect("token").to_string(),
        ));
    }
    terminals
}

async fn run(kind: Backend, n: usize) {
    let Some(app) = spawn_app_with(kind, |c| c.log = "warn".into()).await else {
        println!("{kind:?}: skipped (set CANTEEN_TEST_POSTGRES_URL)");
        return;
    };
    let app = Arc::new(app);
    let w = world(&app).await;
    let diners = more_diners(&app, &w).await;
    // API and raw in turns, a round each at a time, both databases
    // growing alike: a stall of the machine lands in one round, and the
    // medians stand.
    let raw_target = RawTarget::new(kind, &w, &app.store).await;
    let per_round = n.div_ceil(ROUNDS);
    let (mut api, mut raw, mut shares) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = api_rate(&app, &w, sales(&w, &diners, per_round)).await;
        let rows = prepared(&app.store, &w, &sales(&w, &diners, per_round)).await;
        let r = raw_target.rate(&rows).await;
        api.push(a);
        raw.push(r);
        shares.push(100.0 * a / r);
    }
    raw_target.close().await;
    let rows = prepared(&app.store, &w, &sales(&w, &diners, n)).await;
    let store = store_rate(&app.store, rows).await;
    let each: Vec<String> = shares.iter().map(|s| format!("{s:.0}")).collect();
    let (api, raw, share) = (median(&mut api), median(&mut raw), median(&mut shares));
    println!(
        "{kind:?} ingest, {ROUNDS} rounds of {per_round} sales in batches of {BATCH}, {POSTERS} clients (medians):"
    );
    println!("  HTTP batch API     {api:>9.0} sales/s");
    let how = match kind {
        Backend::Sqlite => "multi-row INSERTs",
        Backend::Postgres => "INSERT FROM UNNEST",
    };
    println!("  raw {how:<18} {raw:>9.0} sales/s   (baseline)");
    println!(
        "  API / raw          {share:>9.0} %   (target 50% or more; in turn {} %)",
        each.join(", ")
    );
    println!("  store alone        {store:>9.0} sales/s   ({n} sales after the rounds)");
    let terminals = bench_terminals(&app, &w).await;
    let before = match kind {
        Backend::Sqlite => "p50 28 ms, p99 155 ms",
        Backend::Postgres => "p50 41 ms, p99 62 ms",
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    // The rush three times: a stall of the machine lands in one of them.
    let (mut p50s, mut p99s, mut count) = (Vec::new(), Vec::new(), 0);
    for _ in 0..RUSHES {
        let (p50, p99, n, _) =
            latency(&app, &terminals, &w, &diners, Pace::Every(RUSH_PERIOD)).await;
        p50s.push(ms(p50));
        p99s.push(ms(p99));
        count = n;
    }
    let each: Vec<String> = p99s.iter().map(|t| format!("{t:.1}")).collect();
    println!(
        "{kind:?} latency, single-sale posts, {TERMINALS} terminals each posting every {} ms ({} posts/s, {count} posts), median of {RUSHES} rushes:",
        RUSH_PERIOD.as_millis(),
        TERMINALS as u128 * 1000 / RUSH_PERIOD.as_millis()
    );
    println!(
        "  p50 {:.1} ms   p99 {:.1} ms   (target p99 under 5 ms; p99 in turn {} ms)",
        median(&mut p50s),
        median(&mut p99s),
        each.join(", ")
    );
    let (p50, p99, count, took) = latency(&app, &terminals, &w, &diners, Pace::BackToBack).await;
    println!(
        "{kind:?} saturation, {TERMINALS} terminals posting back to back ({count} posts, {:.0} posts/s):",
        count as f64 / took.as_secs_f64()
    );
    println!(
        "  p50 {:.1} ms   p99 {:.1} ms   (before the writer: {before})",
        ms(p50),
        ms(p99)
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too:
    // keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("BENCH_SALES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 400 } else { 20_000 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // BENCH_DB=sqlite or postgres runs one database only (to profile it).
    let only = std::env::var("BENCH_DB").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    rt.block_on(async {
        if wanted("sqlite") {
            run(Backend::Sqlite, n).await;
        }
        if wanted("postgres") {
            run(Backend::Postgres, n).await;
        }
    });
}
