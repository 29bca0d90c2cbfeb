//! The storage conformance suite: the same story against the store
//! on SQLite and PostgreSQL, and the database's own refusal to change or
//! remove sales, voids and audit entries.

use backend::store::{
    Actor, AuditEntry, AuditFilter, CloseOutcome, Db, DinerFields, LineToStore, NewSite, NewUser,
    Outcome, ReceivedAt, SaleToStore, ShiftRow, Site, StoreError, Verdict, VoidToStore,
};
use canteen_core::{DinerId, Money, SaleId, ShiftId, Slot, TerminalId, TownshipId, UserId, VoidId};
use chrono::{DateTime, NaiveDate, Utc};

use std::str::FromStr;

use crate::helpers::{Backend, Scratch, fresh_config};

async fn store(kind: Backend) -> Option<(Db, Scratch)> {
    let (config, dir) = fresh_config(kind)?;
    let db = Db::connect(&config.database_url(), config.database_schema.as_deref(), 4)
        .await
        .expect("connect");
    Some((db, dir))
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry {
        actor: Actor::system(),
        township_id: None,
        action: action.into(),
        entity: "test".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    }
}

fn fen(n: i64) -> Money {
    Money::from_fen(n)
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn sale_id(text: &str) -> SaleId {
    SaleId(text.parse().unwrap())
}

fn sale(
    id: &str,
    site: &Site,
    terminal: TerminalId,
    cashier: UserId,
    diner: DinerId,
    paid: i64,
) -> SaleToStore {
    let first = Verdict {
        standard: fen(1200),
        paid: fen(600),
        subsidy: fen(600),
        bracket: Some("70-79".into()),
        category: None,
        reason: "{}".into(),
    };
    let repeat = Verdict {
        standard: fen(1200),
        paid: fen(1200),
        subsidy: Money::ZERO,
        bracket: None,
        category: None,
        reason: "{\"kind\":\"already_subsidised\"}".into(),
    };
    let body = format!("{{\"id\":\"{id}\",\"paid\":{paid}}}");
    SaleToStore {
        id: sale_id(id),
        township_id: site.township_id,
        site_id: site.id,
        terminal_id: terminal,
        cashier_id: cashier,
        sold_at: at(1_700_000_000_000),
        business_date: day("2026-03-02"),
        slot: Slot::Lunch,
        total_paid: fen(paid),
        subsidy_total: fen(1200 - paid),
        cash_taken: fen(paid),
        payment_method: "cash".into(),
        content_hash: backend::auth::sha256_hex(&body),
        body,
        lines: vec![LineToStore {
            kind: "diner_meal".into(),
            diner_id: Some(diner),
            name: None,
            quantity: 1,
            standard: Some(fen(1200)),
            amount: fen(paid),
            subsidy: fen(1200 - paid),
            bracket: Some("70-79".into()),
            category: None,
            first: Some(first),
            repeat: Some(repeat),
        }],
    }
}

/// A canteen of township `t` with a cashier and a terminal.
async fn canteen(db: &Db, t: TownshipId) -> (Site, UserId, TerminalId) {
    let site = db
        .insert_site(
            NewSite {
                township_id: t,
                name: "食堂".into(),
                kind: backend::store::SiteKind::Canteen,
                utc_offset_minutes: 480,
            },
            audit("site.create"),
        )
        .await
        .unwrap();
    let cashier = db
        .insert_user(
            NewUser {
                username: "c".into(),
                display_name: "C".into(),
                role: backend::store::Role::Cashier,
                township_id: Some(t),
                site_id: Some(site.id),
                password_hash: "h".into(),
                must_change_password: false,
            },
            audit("user.create"),
        )
        .await
        .unwrap();
    let terminal = db
        .insert_terminal(site.id, "一号", "hash1", audit("terminal.create"))
        .await
        .unwrap();
    (site, cashier.id, terminal.id)
}

async fn story(db: Db) {
    assert!(!db.has_users().await.unwrap());
    let t = db
        .insert_township("大寨镇", audit("township.create"))
        .await
        .unwrap();
    assert!(matches!(
        db.insert_township("大寨镇", audit("x")).await,
        Err(StoreError::Duplicate(_))
    ));
    let (site, cashier, terminal) = canteen(&db, t.id).await;
    assert!(db.has_users().await.unwrap());
    assert_eq!(
        db.terminal_by_token("hash1").await.unwrap().map(|t| t.id),
        Some(terminal)
    );
    assert_eq!(db.terminal_by_token("other").await.unwrap(), None);

    // Sessions expire.
    db.insert_session("s1", cashier, at(0), at(1000))
        .await
        .unwrap();
    assert_eq!(
        db.session_user("s1", at(999)).await.unwrap().map(|u| u.id),
        Some(cashier)
    );
    assert_eq!(db.session_user("s1", at(1000)).await.unwrap(), None);

    // The roster version moves with every change.
    let (v0, _) = db.versions().await.unwrap();
    let fields = |name: &str, id: &str| DinerFields {
        name: name.into(),
        resident_id: Some(id.into()),
        birth_date: None,
        village: None,
        card_no: None,
        active_from: Some(day("2026-03-01")),
        inactive_since: None,
        categories: Vec::new(),
    };
    let rows = db
        .insert_diners(
            t.id,
            vec![fields("甲", "A1"), fields("乙", "A2")],
            Actor::system(),
        )
        .await
        .unwrap();
    let (v1, _) = db.versions().await.unwrap();
    assert!(v1 > v0);
    assert_eq!(rows[0].active_from, Some(day("2026-03-01")));
    assert!(matches!(
        db.insert_diners(
            t.id,
            vec![fields("丙", "A3"), fields("丁", "A1")],
            Actor::system()
        )
        .await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        db.diners_since(t.id, 0).await.unwrap().len(),
        2,
        "all or nothing"
    );
    assert_eq!(db.diners_since(t.id, v1).await.unwrap().len(), 0);
    db.update_diner(rows[1].id, fields("乙二", "A2"), Actor::system())
        .await
        .unwrap();
    let changed = db.diners_since(t.id, v1).await.unwrap();
    assert_eq!(
        changed.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        vec!["乙二"]
    );
    assert_eq!(
        db.diners_by_ids(t.id, vec![rows[0].id, DinerId(999)])
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        db.diners_by_ids(TownshipId(t.id.0 + 1), vec![rows[0].id])
            .await
            .unwrap()
            .len(),
        0
    );

    // Policies: one per site and date, replaced in place.
    db.upsert_policy(site.id, day("2026-01-01"), "{\"v\":1}", audit("policy"))
        .await
        .unwrap();
    let (_, p1) = db.versions().await.unwrap();
    db.upsert_policy(site.id, day("2026-01-01"), "{\"v\":2}", audit("policy"))
        .await
        .unwrap();
    let policies = db.policies_since(site.id, 0).await.unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].body, "{\"v\":2}");
    assert_eq!(db.policies_since(site.id, p1).await.unwrap().len(), 1);

    // Sales: stored once; same id and content is a duplicate, other content
    // a conflict; the second subsidised meal gets the repeat verdict.
    let d0 = rows[0].id;
    let a = sale(
        "00000000-0000-0000-0000-00000000000a",
        &site,
        terminal,
        cashier,
        d0,
        600,
    );
    let b = sale(
        "00000000-0000-0000-0000-00000000000b",
        &site,
        terminal,
        cashier,
        d0,
        600,
    );
    let out = db
        .insert_sales(vec![b.clone(), a.clone(), a.clone()], ReceivedAt::At(at(5)))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![Outcome::Stored, Outcome::Stored, Outcome::Duplicate]
    );
    let mut a2 = a.clone();
    a2.total_paid = fen(700);
    a2.body = "{\"other\":1}".into();
    a2.content_hash = backend::auth::sha256_hex(&a2.body);
    assert_eq!(
        db.insert_sales(vec![a2], ReceivedAt::At(at(6)))
            .await
            .unwrap(),
        vec![Outcome::Conflict]
    );
    assert_eq!(db.sales_totals().await.unwrap(), (2, fen(1200)));
    let lines_a = db.sale_lines(a.id).await.unwrap();
    let lines_b = db.sale_lines(b.id).await.unwrap();
    // a sorts first, so it was stored first and is the subsidised one.
    assert_eq!(
        (lines_a[0].expected_paid, lines_a[0].verdict.as_str()),
        (Some(fen(600)), "agrees")
    );
    assert_eq!(
        (lines_b[0].expected_paid, lines_b[0].verdict.as_str()),
        (Some(fen(1200)), "differs")
    );
    assert_eq!(
        db.sale(a.id).await.unwrap().map(|s| s.received_at),
        Some(at(5))
    );
    assert_eq!(
        db.sales_for_site(&site, day("2026-03-01"), day("2026-03-31"))
            .await
            .unwrap()
            .len(),
        2
    );

    // Within a batch, the meal sold first is the subsidised one, whatever
    // the order of the batch.
    let mut later = sale(
        "00000000-0000-0000-0000-00000000000c",
        &site,
        terminal,
        cashier,
        rows[1].id,
        600,
    );
    let mut earlier = sale(
        "00000000-0000-0000-0000-00000000000d",
        &site,
        terminal,
        cashier,
        rows[1].id,
        600,
    );
    later.sold_at += chrono::Duration::minutes(1);
    earlier.sold_at -= chrono::Duration::minutes(1);
    let out = db
        .insert_sales(vec![later.clone(), earlier.clone()], ReceivedAt::At(at(8)))
        .await
        .unwrap();
    assert_eq!(out, vec![Outcome::Stored, Outcome::Stored]);
    assert_eq!(
        db.sale_lines(earlier.id).await.unwrap()[0].verdict,
        "agrees"
    );
    assert_eq!(db.sale_lines(later.id).await.unwrap()[0].verdict, "differs");

    // Voids: of known sales only, once per sale.
    let void = |n: u128, sale_id: SaleId| VoidToStore {
        id: VoidId(uuid::Uuid::from_u128(n)),
        sale_id,
        site_id: site.id,
        terminal_id: terminal,
        voided_by: cashier,
        voided_at: at(1_700_000_100_000),
        reason: "错".into(),
        content_hash: format!("h-{n}"),
        body: "{}".into(),
        actor_name: "c".into(),
        township_id: t.id,
    };
    let out = db
        .insert_voids(
            vec![
                void(1, b.id),
                void(1, b.id),
                void(2, b.id),
                void(3, sale_id("00000000-0000-0000-0000-0000000000ff")),
            ],
            ReceivedAt::At(at(7)),
        )
        .await
        .unwrap();
    assert_eq!(out[0], Outcome::Stored);
    assert_eq!(out[1], Outcome::Duplicate);
    assert!(matches!(out[2], Outcome::Rejected(_)));
    assert!(matches!(out[3], Outcome::Rejected(_)));
    assert_eq!(
        db.sale(b.id).await.unwrap().and_then(|s| s.void_id),
        Some(VoidId(uuid::Uuid::from_u128(1)))
    );

    // Shifts: expected cash is the float plus the cash of unvoided sales.
    let shift_id = ShiftId(uuid::Uuid::from_u128(0x5));
    let shift = ShiftRow {
        id: shift_id,
        township_id: t.id,
        site_id: site.id,
        terminal_id: terminal,
        cashier_id: cashier,
        opened_at: at(1_699_999_000_000),
        opening_float: fen(5000),
        closed_at: None,
        close_received_at: None,
        counted_cash: None,
        expected_cash: None,
    };
    assert_eq!(db.open_shift(shift.clone()).await.unwrap(), Outcome::Stored);
    assert_eq!(
        db.open_shift(shift.clone()).await.unwrap(),
        Outcome::Duplicate
    );
    let mut other = shift.clone();
    other.opening_float = fen(1);
    assert_eq!(db.open_shift(other).await.unwrap(), Outcome::Conflict);
    match db
        .close_shift(shift_id, t.id, terminal, at(1_700_000_500_000), fen(5600))
        .await
        .unwrap()
    {
        // 50.00 float + three unvoided 6.00 cash sales (the fourth is voided).
        CloseOutcome::Closed(s) => assert_eq!(s.expected_cash, Some(fen(6800))),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        db.close_shift(shift_id, t.id, terminal, at(1_700_000_500_000), fen(5000))
            .await
            .unwrap(),
        CloseOutcome::Conflict(_)
    ));
    assert!(matches!(
        db.close_shift(shift_id, t.id, TerminalId(terminal.0 + 1), at(1), fen(1))
            .await,
        Err(StoreError::NotFound)
    ));

    // The audit log has every change.
    let log = db.audit_log(None, 1000).await.unwrap();
    assert!(log.iter().any(|e| e.action == "sale.void"));
    assert!(log.iter().any(
        |e| e.action == "diner.update" && e.before.as_deref().is_some_and(|b| b.contains("乙"))
    ));

    // Append-only, enforced by the database itself.
    for sql in [
        "UPDATE sales SET total_paid = 0",
        "DELETE FROM sales",
        "UPDATE sale_lines SET amount = 0",
        "DELETE FROM sale_lines",
        "UPDATE voids SET reason = 'x'",
        "DELETE FROM voids",
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
    ] {
        let err = db.execute_raw(sql.into()).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(db.sales_totals().await.unwrap(), (4, fen(2400)));

    // Ready for a province: every row that grows with sales carries its
    // township, and queries by site filter on it.
    for (table, rows) in [("sales", 4), ("sale_lines", 4), ("voids", 1), ("shifts", 1)] {
        let with: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE township_id = $1"
        )))
        .bind(t.id.0)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let all: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!((with, all), (rows, rows), "{table}");
    }
    let elsewhere = Site {
        township_id: TownshipId(t.id.0 + 1),
        ..site.clone()
    };
    assert!(
        db.sales_for_site(&elsewhere, day("2026-03-01"), day("2026-03-31"))
            .await
            .unwrap()
            .is_empty()
    );
    let err = db
        .execute_raw(format!(
            "INSERT INTO shifts (id, site_id, terminal_id, cashier_id, opened_at, opening_float, received_at)
             VALUES ('no-township', {}, {}, {}, 1, 0, 1)",
            site.id, terminal, cashier
        ))
        .await
        .expect_err("a shift without its township");
    assert!(err.to_string().contains("township_id"), "{err}");
}

#[tokio::test]
async fn conformance_sqlite() {
    let (db, _dir) = store(Backend::Sqlite).await.expect("sqlite");
    story(db).await;
}

#[tokio::test]
async fn conformance_postgres() {
    match store(Backend::Postgres).await {
        Some((db, _)) => story(db).await,
        None => eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it"),
    }
}

#[tokio::test]
async fn sqlite_is_in_wal_mode_with_full_sync() {
    let (config, _dir) = fresh_config(Backend::Sqlite).expect("sqlite");
    let db = Db::connect(&config.database_url(), None, 1).await.unwrap();
    assert_eq!(db.kind(), "sqlite");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2));
}

#[tokio::test]
async fn township_migration_backfills_rows_written_before_it_sqlite() {
    let (config, _dir) = fresh_config(Backend::Sqlite).expect("sqlite");
    let url = config.database_url();
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let old = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate!("migrations/sqlite")
        .run_to(2, &old)
        .await
        .unwrap();
    for sql in ROWS_BEFORE_0007 {
        sqlx::query(sql).execute(&old).await.expect(sql);
    }
    old.close().await;
    let db = Db::connect(&url, None, 1).await.unwrap();
    check_backfill(&db).await;
}

#[tokio::test]
async fn township_migration_backfills_rows_written_before_it_postgres() {
    let Some((config, _)) = fresh_config(Backend::Postgres) else {
        eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
        return;
    };
    let url = config.database_url();
    let schema = config.database_schema.clone().expect("a schema");
    let plain = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&plain)
        .await
        .unwrap();
    let options = sqlx::postgres::PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let old = sqlx::PgPool::connect_with(options).await.unwrap();
    sqlx::migrate!("migrations/postgres")
        .run_to(2, &old)
        .await
        .unwrap();
    for sql in ROWS_BEFORE_0007 {
        sqlx::query(sql).execute(&old).await.expect(sql);
    }
    old.close().await;
    let db = Db::connect(&url, Some(&schema), 1).await.unwrap();
    check_backfill(&db).await;
    db.pool().close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&plain)
        .await
        .unwrap();
}

/// A sale, its line, its void and a shift in the second township, as they
/// were stored before migration 0007.
const ROWS_BEFORE_0007: [&str; 8] = [
        "INSERT INTO townships (id, name, created_at) VALUES (1, 'a', 0), (2, 'b', 0)",
        "INSERT INTO sites (id, township_id, name, kind, created_at) VALUES (5, 2, 's', 'canteen', 0)",
        "INSERT INTO users (id, username, display_name, role, township_id, site_id, password_hash, created_at)
         VALUES (7, 'c', 'c', 'cashier', 2, 5, 'x', 0)",
        "INSERT INTO terminals (id, site_id, name, token_hash, created_at) VALUES (9, 5, 't', 'h', 0)",
        "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot, total_paid,
            subsidy_total, cash_taken, payment_method, content_hash, body, received_at)
         VALUES ('s1', 5, 9, 7, 1, '2026-03-02', 'lunch', 600, 0, 600, 'cash', 'h', '{}', 1)",
        "INSERT INTO sale_lines (sale_id, line_no, kind, quantity, amount, subsidy, verdict, business_date, slot)
         VALUES ('s1', 1, 'walk_in_meal', 1, 600, 0, 'not_subsidised', '2026-03-02', 'lunch')",
        "INSERT INTO voids (id, sale_id, site_id, terminal_id, voided_by, voided_at, reason, content_hash, body, received_at)
         VALUES ('v1', 's1', 5, 9, 7, 2, 'r', 'h', '{}', 2)",
        "INSERT INTO shifts (id, site_id, terminal_id, cashier_id, opened_at, opening_float, received_at)
         VALUES ('sh1', 5, 9, 7, 0, 0, 0)",
];

async fn check_backfill(db: &Db) {
    for table in ["sales", "sale_lines", "voids", "shifts"] {
        let townships: Vec<Option<i64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT township_id FROM {table}"
        )))
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(townships, vec![Some(2)], "{table}");
    }
    // Lines carry their sale's site, terminal, cashier and times (0012).
    let copied: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT site_id, terminal_id, cashier_id, sold_at, received_at FROM sale_lines",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(copied, vec![(5, 9, 7, 1, 1)]);
    // The append-only guards are back after the backfill.
    let err = db
        .execute_raw("UPDATE sales SET township_id = 1".into())
        .await
        .expect_err("sales stay append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
}

/// A stored value that does not read as what it holds is reported as
/// corrupt data, never read as a default.
async fn unreadable_values(db: Db) {
    let t = db
        .insert_township("大寨镇", audit("township.create"))
        .await
        .unwrap();
    let fields = DinerFields {
        name: "甲".into(),
        resident_id: None,
        birth_date: Some(day("1950-03-01")),
        village: None,
        card_no: None,
        active_from: Some(day("2026-03-01")),
        inactive_since: None,
        categories: Vec::new(),
    };
    let id = db
        .insert_diners(t.id, vec![fields], Actor::system())
        .await
        .unwrap()[0]
        .id;
    for (column, bad, good) in [
        ("birth_date", "'1950-02-30'", "'1950-03-01'"),
        ("active_from", "'yesterday'", "'2026-03-01'"),
        ("categories", "'not json'", "'[]'"),
    ] {
        db.execute_raw(format!(
            "UPDATE diners SET {column} = {bad} WHERE id = {}",
            id.0
        ))
        .await
        .unwrap();
        match db.diner(id).await {
            Err(StoreError::Corrupt(m)) => assert!(m.contains(column), "{column}: {m}"),
            other => panic!("{column}: {other:?}"),
        }
        db.execute_raw(format!(
            "UPDATE diners SET {column} = {good} WHERE id = {}",
            id.0
        ))
        .await
        .unwrap();
        assert!(db.diner(id).await.unwrap().is_some(), "{column}");
    }
    // A subsidised diner meal stored without its diner is not claimed for
    // diner 0: the claim's records refuse to load.
    let (site, cashier, terminal) = canteen(&db, t.id).await;
    let mut sale = sale(
        "00000000-0000-0000-0000-00000000000a",
        &site,
        terminal,
        cashier,
        id,
        600,
    );
    sale.lines.clear();
    let sold_at = sale.sold_at.timestamp_millis();
    db.insert_sales(vec![sale], ReceivedAt::At(at(5)))
        .await
        .unwrap();
    db.execute_raw(format!(
        "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, quantity, standard, amount, subsidy,
            verdict, business_date, slot, township_id, site_id, terminal_id, cashier_id, sold_at,
            received_at)
         VALUES ('00000000-0000-0000-0000-00000000000a', 1, 'diner_meal', NULL, 1, 1200, 600, 600,
            'agrees', '2026-03-02', 'lunch', {}, {}, {}, {}, {}, {})",
        t.id.0,
        site.id.0,
        terminal.0,
        cashier.0,
        sold_at,
        at(5).timestamp_millis()
    ))
    .await
    .unwrap();
    let month = canteen_core::YearMonth::new(2026, 3).unwrap();
    match db.claim_records(t.id, month, |sales| sales).await {
        Err(StoreError::Corrupt(m)) => assert!(m.contains("no diner"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unreadable_values_are_corrupt_sqlite() {
    let (db, _dir) = store(Backend::Sqlite).await.expect("sqlite");
    unreadable_values(db).await;
}

#[tokio::test]
async fn unreadable_values_are_corrupt_postgres() {
    match store(Backend::Postgres).await {
        Some((db, _)) => unreadable_values(db).await,
        None => eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it"),
    }
}

/// Posts stored together in one group commit: a post that fails (its
/// terminal is unknown, refused by the database) fails alone, the others
/// are stored with the verdicts storing them one by one gives.
async fn a_failing_post_fails_alone(db: Db) {
    let t = db
        .insert_township("大寨镇", audit("township.create"))
        .await
        .unwrap();
    let site = db
        .insert_site(
            NewSite {
                township_id: t.id,
                name: "食堂".into(),
                kind: backend::store::SiteKind::Canteen,
                utc_offset_minutes: 480,
            },
            audit("site.create"),
        )
        .await
        .unwrap();
    let cashier = db
        .insert_user(
            NewUser {
                username: "c".into(),
                display_name: "C".into(),
                role: backend::store::Role::Cashier,
                township_id: Some(t.id),
                site_id: Some(site.id),
                password_hash: "h".into(),
                must_change_password: false,
            },
            audit("user.create"),
        )
        .await
        .unwrap();
    let terminal = db
        .insert_terminal(site.id, "一号", "hash1", audit("terminal.create"))
        .await
        .unwrap();
    let fields = DinerFields {
        name: "甲".into(),
        resident_id: None,
        birth_date: Some(day("1950-03-01")),
        village: None,
        card_no: None,
        active_from: Some(day("2026-03-01")),
        inactive_since: None,
        categories: Vec::new(),
    };
    let diner = db
        .insert_diners(t.id, vec![fields], Actor::system())
        .await
        .unwrap()[0]
        .id;
    // Twenty posts at once, each one sale of the same diner's lunch, sold a
    // minute apart in reverse order of posting; post 7 names no terminal.
    let mut tasks = Vec::new();
    for n in 0..20u32 {
        let mut s = sale(
            &format!("00000000-0000-0000-0000-{:012x}", 0x100 + n),
            &site,
            terminal.id,
            cashier.id,
            diner,
            600,
        );
        s.sold_at -= chrono::Duration::minutes(i64::from(n));
        if n == 7 {
            s.terminal_id = TerminalId(999_999);
        }
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            (s.id, db.insert_sales(vec![s], ReceivedAt::At(at(9))).await)
        }));
    }
    let mut stored = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        let (id, result) = task.await.unwrap();
        if n == 7 {
            assert!(result.is_err(), "the post naming no terminal fails");
        } else {
            assert_eq!(result.unwrap(), vec![Outcome::Stored], "post {n}");
            stored.push(id);
        }
    }
    // Judged on receipt by the first-sold rule: the lunch sold first of
    // those stored was first whenever it arrived, whatever grouping the
    // writer chose; nothing of the failed post is stored.
    for id in &stored {
        assert_eq!(db.sale_lines(*id).await.unwrap().len(), 1);
    }
    let first = sale_id("00000000-0000-0000-0000-000000000113");
    assert_eq!(db.sale_lines(first).await.unwrap()[0].verdict, "agrees");
    let failed = sale_id("00000000-0000-0000-0000-000000000107");
    assert!(db.sale(failed).await.unwrap().is_none());
    assert!(db.sale_lines(failed).await.unwrap().is_empty());
    assert_eq!(db.sales_totals().await.unwrap().0, 19);
}

#[tokio::test]
async fn a_failing_post_fails_alone_sqlite() {
    let (db, _dir) = store(Backend::Sqlite).await.expect("sqlite");
    a_failing_post_fails_alone(db).await;
}

#[tokio::test]
async fn a_failing_post_fails_alone_postgres() {
    match store(Backend::Postgres).await {
        Some((db, _)) => a_failing_post_fails_alone(db).await,
        None => eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it"),
    }
}

/// The audit log searched in the database: by part of the actor's name
/// (any case), of the action or entity (a `%` or `_` typed is taken
/// literally), by time, by township, and paged.
async fn audit_search(db: Db) {
    let t = db
        .insert_township("大寨镇", audit("township.create"))
        .await
        .expect("township");
    let other = db
        .insert_township("小寨镇", audit("township.create"))
        .await
        .expect("township");
    let entry = |action: &str, actor: &str, township: TownshipId| AuditEntry {
        actor: Actor {
            user_id: None,
            name: actor.into(),
        },
        township_id: Some(township),
        action: action.into(),
        entity: "diner".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    };
    for (action, actor, township) in [
        ("diner.update", "Admin1", t.id),
        ("diner.create", "admin1", t.id),
        ("user.create", "李会计", t.id),
        ("policy.50%_off", "admin2", t.id),
        ("diner.update", "admin1", other.id),
    ] {
        db.insert_audit(entry(action, actor, township))
            .await
            .expect("audit");
    }
    let search = |who: &str, what: &str| AuditFilter {
        who: who.into(),
        what: what.into(),
        ..AuditFilter::default()
    };
    let found = |f: AuditFilter, limit: i64, offset: i64| {
        let db = db.clone();
        async move {
            let (rows, total) = db
                .search_audit_log(Some(t.id), &f, limit, offset)
                .await
                .expect("search");
            (
                rows.into_iter().map(|r| r.action).collect::<Vec<_>>(),
                total,
            )
        }
    };
    // The oracle: every entry of the township, filtered here.
    let (every, n) = found(search("", ""), 100, 0).await;
    assert_eq!(usize::try_from(n).unwrap(), every.len());
    let of = |part: &str| -> Vec<String> {
        every
            .iter()
            .filter(|a| a.contains(part) || part == "diner")
            .cloned()
            .collect()
    };
    assert_eq!(found(search("ADMIN1", ""), 10, 0).await.1, 2);
    assert_eq!(
        found(search("会计", ""), 10, 0).await.0,
        vec!["user.create"]
    );
    // "diner" is the entity of every entry made here.
    assert!(found(search("", "diner"), 10, 0).await.1 >= 4);
    assert_eq!(found(search("", "create"), 10, 0).await.0, of("create"));
    assert_eq!(
        found(search("", "%_"), 10, 0).await.0,
        vec!["policy.50%_off"]
    );
    assert_eq!(found(search("", "r.c_eate"), 10, 0).await.1, 0);
    let (page, total) = found(search("", ""), 2, 2).await;
    assert_eq!(total, n);
    assert_eq!(page, every[2..4].to_vec(), "newest first, paged");
    assert_eq!(every[..2], ["policy.50%_off", "user.create"]);
    let later = AuditFilter {
        from: Some(Utc::now() + chrono::Duration::hours(1)),
        ..AuditFilter::default()
    };
    assert_eq!(found(later, 10, 0).await.1, 0);
    let earlier = AuditFilter {
        before: Some(Utc::now() - chrono::Duration::hours(1)),
        ..AuditFilter::default()
    };
    assert_eq!(found(earlier, 10, 0).await.1, 0);
    let (all, _) = db
        .search_audit_log(None, &AuditFilter::default(), 100, 0)
        .await
        .expect("county-wide");
    assert!(all.len() >= 5);
}

#[tokio::test]
async fn audit_log_is_searched_in_the_database_sqlite() {
    let (db, _dir) = store(Backend::Sqlite).await.expect("sqlite");
    audit_search(db).await;
}

#[tokio::test]
async fn audit_log_is_searched_in_the_database_postgres() {
    match store(Backend::Postgres).await {
        Some((db, _)) => audit_search(db).await,
        None => eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it"),
    }
}

/// Two backend processes on one PostgreSQL (two stores, two writers): the
/// same sales posted to both at once are each stored once, every post is
/// answered stored or duplicate, and each diner keeps one subsidised meal
/// per slot and day. A group that meets sales the other process stored
/// meanwhile falls back to storing post by post.
#[tokio::test]
async fn two_processes_store_each_sale_once_postgres() {
    let Some((config, _scratch)) = fresh_config(Backend::Postgres) else {
        eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
        return;
    };
    let url = config.database_url();
    let schema = config.database_schema.clone();
    let first = Db::connect(&url, schema.as_deref(), 4).await.unwrap();
    let second = Db::connect(&url, schema.as_deref(), 4).await.unwrap();
    let t = first.insert_township("大寨镇", audit("t")).await.unwrap();
    let (site, cashier, terminal) = canteen(&first, t.id).await;
    let diners: Vec<DinerId> = first
        .insert_diners(
            t.id,
            (0..10)
                .map(|i| DinerFields {
                    name: format!("食客{i}"),
                    resident_id: None,
                    birth_date: None,
                    village: None,
                    card_no: None,
                    active_from: None,
                    inactive_since: None,
                    categories: Vec::new(),
                })
                .collect(),
            Actor::system(),
        )
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    // 200 sales in batches of 20, posted to both processes at once, each
    // batch twice: first the diners' lunches of 2026-03-02 (ten each), then
    // walk-ins, which take no diner's lock, so the two processes' groups race
    // for the same sale ids.
    let sales: Vec<SaleToStore> = (0..200)
        .map(|i| {
            let mut s = sale(
                &format!("00000000-0000-0000-0000-{i:012}"),
                &site,
                terminal,
                cashier,
                diners[i % 10],
                600,
            );
            s.sold_at = at(1_700_000_000_000 + i as i64);
            if i >= 100 {
                let line = &mut s.lines[0];
                line.kind = "walk_in_meal".into();
                (line.diner_id, line.standard, line.bracket) = (None, None, None);
                (line.first, line.repeat) = (None, None);
                line.subsidy = Money::ZERO;
                s.subsidy_total = Money::ZERO;
            }
            s
        })
        .collect();
    let mut stored = 0;
    for phase in sales.chunks(100) {
        let mut posts = tokio::task::JoinSet::new();
        for (n, batch) in phase.chunks(20).enumerate() {
            for db in [&first, &second, &first, &second] {
                let (db, mut batch) = (db.clone(), batch.to_vec());
                if n % 2 == 1 {
                    batch.reverse();
                }
                posts.spawn(async move { db.insert_sales(batch, ReceivedAt::Now).await });
            }
        }
        while let Some(answer) = posts.join_next().await {
            for outcome in answer.unwrap().expect("every post is answered") {
                match outcome {
                    Outcome::Stored => stored += 1,
                    Outcome::Duplicate => {}
                    other => panic!("a copy was answered {other:?}"),
                }
            }
        }
    }
    assert_eq!(stored, 200, "each sale stored once");
    assert_eq!(first.sales_totals().await.unwrap().0, 200);
    // Each diner's lunch: one line with the subsidised verdict, the rest
    // with the repeat's.
    let mut subsidised = std::collections::HashMap::new();
    for s in &sales {
        let lines = second.sale_lines(s.id).await.unwrap();
        assert_eq!(lines.len(), 1, "one line per sale");
        if lines[0].kind == "diner_meal" && lines[0].expected_paid == Some(fen(600)) {
            *subsidised.entry(s.lines[0].diner_id).or_insert(0) += 1;
        }
    }
    assert_eq!(subsidised.len(), 10);
    assert!(subsidised.values().all(|&n| n == 1), "{subsidised:?}");
    first.pool().close().await;
    second.pool().close().await;
}
