//! The monthly claim at city scale: 1,000,000 subsidised meal lines in a
//! month (150 canteens of one township, 10,753 diners eating three meals a
//! day), from the database to the totals, on SQLite and (when
//! CANTEEN_TEST_POSTGRES_URL is set) PostgreSQL; and the XLSX export of a
//! claim of 100,000 lines. Prints the figures; asserts nothing about time.
//!
//! Each claim runs five times, a second apart; the median is the figure
//! (the first runs after the seed are the slowest: the machine is still
//! settling).
//!
//! `BENCH_CLAIM_DINERS` changes the number of diners (lines = diners × 93).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may panic on a broken fixture

use std::time::Instant;

use backend::claims;
use backend::store::Db;
use canteen_core::YearMonth;
use chrono::{NaiveDate, TimeZone, Utc};

const SITES: i64 = 150;
const MONTH_DAYS: u32 = 31;

fn policy(site: i64) -> String {
    let p =
        |b: &str, l: &str, dn: &str| serde_json::json!({"breakfast": b, "lunch": l, "dinner": dn});
    serde_json::json!({
        "site_id": site,
        "effective_from": "2020-01-01",
        "standard": p("5.00", "12.00", "10.00"),
        "brackets": [
            {"name": "65-69", "min_age": 65, "max_age": 69, "prices": p("4.00", "8.00", "7.00")},
            {"name": "70-79", "min_age": 70, "max_age": 79, "prices": p("3.00", "6.00", "5.00")},
            {"name": "80-89", "min_age": 80, "max_age": 89, "prices": p("2.00", "4.00", "3.00")},
            {"name": "90+", "min_age": 90, "prices": p("0.00", "0.00", "0.00")}
        ],
        "categories": [],
        "funding": [{"funder": "city", "share": "0.5"}, {"funder": "county", "share": "0.3"}, {"funder": "township", "share": "0.2"}]
    })
    .to_string()
}

async fn exec(db: &Db, sql: String) {
    db.execute_raw(sql).await.expect("seed statement");
}

/// Writes the township, its sites, terminals, cashiers, policies, diners
/// and a month of sales straight into the tables.
async fn seed(db: &Db, diners: i64) -> usize {
    let now = Utc::now().timestamp_millis();
    exec(
        db,
        format!("INSERT INTO townships (id, name, created_at) VALUES (1, '基准镇', {now})"),
    )
    .await;
    for s in 1..=SITES {
        exec(db, format!("INSERT INTO sites (id, township_id, name, kind, utc_offset_minutes, created_at) VALUES ({s}, 1, '食堂{s}', 'canteen', 480, {now})")).await;
        exec(db, format!("INSERT INTO users (id, username, display_name, role, township_id, site_id, password_hash, active, created_at) VALUES ({s}, 'c{s}', 'c{s}', 'cashier', 1, {s}, 'x', TRUE, {now})")).await;
        exec(db, format!("INSERT INTO terminals (id, site_id, name, token_hash, active, created_at) VALUES ({s}, {s}, 't{s}', 'h{s}', TRUE, {now})")).await;
        exec(db, format!("INSERT INTO policies (id, site_id, effective_from, body, version, created_at) VALUES ({s}, {s}, '2020-01-01', '{}', 1, {now})", policy(s))).await;
    }
    for chunk in (1..=diners).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|d| {
                format!(
                    "({d}, 1, '食客{d}', NULL, '1950-01-10', '村{}', NULL, NULL, '[]', 1, {now})",
                    d % 40
                )
            })
            .collect();
        exec(db, format!("INSERT INTO diners (id, township_id, name, resident_id, birth_date, village, card_no, inactive_since, categories, version, updated_at) VALUES {}", values.join(","))).await;
    }
    let slots = [
        ("breakfast", 500, 300, 1),
        ("lunch", 1200, 600, 4),
        ("dinner", 1000, 500, 10),
    ];
    let mut sales = Vec::with_capacity(2000);
    let mut lines = Vec::with_capacity(2000);
    let mut n: u128 = 0;
    let mut count = 0;
    let flush = |sales: &mut Vec<String>, lines: &mut Vec<String>| {
        let s = format!(
            "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot, total_paid, subsidy_total, cash_taken, payment_method, content_hash, body, received_at, township_id) VALUES {}",
            sales.join(",")
        );
        let l = format!(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, name, quantity, standard, amount, subsidy, bracket, category, expected_standard, expected_paid, expected_subsidy, expected_bracket, expected_category, expected_reason, verdict, business_date, slot, township_id, site_id, terminal_id, cashier_id, sold_at, received_at) VALUES {}",
            lines.join(",")
        );
        sales.clear();
        lines.clear();
        (s, l)
    };
    let started = Instant::now();
    for day in 1..=MONTH_DAYS {
        let date = NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        for (slot, standard, paid, hour) in slots {
            let sold = Utc
                .from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
                .timestamp_millis();
            for d in 1..=diners {
                n += 1;
                let id = uuid::Uuid::from_u128(n);
                let site = d % SITES + 1;
                let subsidy = standard - paid;
                sales.push(format!("('{id}', {site}, {site}, {site}, {sold}, '{date}', '{slot}', {paid}, {subsidy}, {paid}, 'cash', 'h', '{{}}', {sold}, 1)"));
                lines.push(format!("('{id}', 1, 'diner_meal', {d}, NULL, 1, {standard}, {paid}, {subsidy}, '70-79', NULL, {standard}, {paid}, {subsidy}, '70-79', NULL, 'bracket', 'agrees', '{date}', '{slot}', 1, {site}, {site}, {site}, {sold}, {sold})"));
                count += 1;
                if sales.len() == 2000 {
                    let (s, l) = flush(&mut sales, &mut lines);
                    exec(db, s).await;
                    exec(db, l).await;
                }
            }
        }
    }
    if !sales.is_empty() {
        let (s, l) = flush(&mut sales, &mut lines);
        exec(db, s).await;
        exec(db, l).await;
    }
    // A month's sales are at rest by the time its claim is made: the WAL
    // copied into the file (SQLite); vacuumed, with the planner's
    // statistics taken, and checkpointed (PostgreSQL: what autovacuum and
    // the checkpointer do to inserted rows within minutes).
    if db.kind() == "sqlite" {
        exec(db, "PRAGMA wal_checkpoint(TRUNCATE)".to_string()).await;
    } else {
        exec(db, "VACUUM ANALYZE sales, sale_lines, voids".to_string()).await;
        exec(db, "CHECKPOINT".to_string()).await;
    }
    // And on the disk, not in the kernel's dirty pages: a seed of a
    // gigabyte in a minute leaves the kernel writing it back for a while
    // after, on the same two cores the claim runs on.
    let synced = std::process::Command::new("sync").status();
    assert!(synced.is_ok_and(|s| s.success()), "sync the seed to disk");
    println!(
        "  seeded {count} sale lines in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    count
}

/// Each claim is timed this many times; the median is the figure.
const RUNS: usize = 5;

/// "median 1.23 s (runs 1.30, 1.23, 1.21, 1.25, 1.22 s)".
fn median(mut times: Vec<f64>) -> String {
    let runs: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
    times.sort_by(f64::total_cmp);
    format!(
        "median {:.2} s (runs {} s)",
        times[times.len() / 2],
        runs.join(", ")
    )
}

/// A claim frees its million records after it answers, on a thread of its
/// own; each run is timed after the last one's are freed, as a clerk's
/// next request would be.
async fn pause() {
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// Makes a claim [`RUNS`] times, a second apart: the last claim, and the
/// seconds each took.
async fn timed<T, F>(mut claim: impl FnMut() -> F) -> (T, Vec<f64>)
where
    F: std::future::Future<Output = Result<T, claims::ClaimsError>>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        pause().await;
        let started = Instant::now();
        last = Some(claim().await.unwrap());
        times.push(started.elapsed().as_secs_f64());
    }
    (last.unwrap(), times)
}

async fn run(label: &str, db: &Db, diners: i64) {
    println!("{label}:");
    let lines = seed(db, diners).await;
    let month: YearMonth = "2026-03".parse().unwrap();
    let site = db.site(canteen_core::SiteId(1)).await.unwrap().unwrap();
    let township = db
        .township(canteen_core::TownshipId(1))
        .await
        .unwrap()
        .unwrap();
    let (c, times) = timed(|| claims::site_claim(db, &site, month, Utc::now())).await;
    println!(
        "  claim of one canteen ({} of {lines} lines in the township), database to totals: {}",
        c.reviewed.claim.total.meals,
        median(times)
    );
    let (t, times) = timed(|| claims::township_claim(db, &township, month, Utc::now())).await;
    println!(
        "  claim of the township, {} sites, {} meals, subsidy {}: {}",
        t.sites.len(),
        t.totals.total.meals,
        t.totals.total.subsidy,
        median(times)
    );
    assert_eq!(
        usize::try_from(t.totals.total.meals).unwrap(),
        lines,
        "every line claimed"
    );
    if label == "SQLite" {
        export_bench(&t);
    }
}

/// The XLSX export of one claim of 100,000 lines (the township's lines
/// gathered into one claim).
fn export_bench(t: &claims::TownshipClaim) {
    let mut big = t.sites[0].clone();
    for s in &t.sites[1..] {
        if big.reviewed.claim.lines.len() >= 100_000 {
            break;
        }
        big.reviewed
            .claim
            .lines
            .extend(s.reviewed.claim.lines.iter().cloned());
        big.diners.extend(s.diners.clone());
    }
    big.reviewed.claim.lines.truncate(100_000);
    let started = Instant::now();
    let bytes = backend::export::xlsx(&big).unwrap();
    println!(
        "  XLSX export of {} lines: {:.2} s ({} KB)",
        big.reviewed.claim.lines.len(),
        started.elapsed().as_secs_f64(),
        bytes.len() / 1024
    );
}

fn main() {
    let diners: i64 = std::env::var("BENCH_CLAIM_DINERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_753);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("claim.db").display());
        let db = Db::connect(&url, None, 4).await.unwrap();
        run("SQLite", &db, diners).await;
        if let Ok(url) = std::env::var("CANTEEN_TEST_POSTGRES_URL") {
            let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let db = Db::connect(&url, Some(&schema), 4).await.unwrap();
            run("PostgreSQL", &db, diners).await;
            db.execute_raw(format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        } else {
            println!("PostgreSQL: skipped (set CANTEEN_TEST_POSTGRES_URL)");
        }
    });
}
