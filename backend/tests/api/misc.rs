//! The API document, errors for unknown routes, login rate limiting,
//! password changes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};

crate::on_both!(documents_and_errors, super::documents_and_errors);

async fn documents_and_errors(app: TestApp) {
    let doc = app.get_ok("", "/api/openapi.json").await;
    assert_eq!(doc["openapi"], json!("3.1.0"));
    assert!(doc["paths"]["/api/terminal/sales"]["post"].is_object());
    let page = app.client.get(app.url("/api")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("openapi.json"));
    let res = app
        .client
        .get(app.url("/api/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], json!("not_found"));
    assert_eq!(v["message_zh"], json!("找不到该记录。"));
    let res = app.client.delete(app.url("/api/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], json!("method_not_allowed"));
    assert_eq!(v["message_zh"], json!("此网址不支持该请求方式。"));
}

#[tokio::test]
async fn login_is_rate_limited_per_username() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.login_max_failures = 3)
        .await
        .expect("sqlite");
    let attempt = |pw: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/auth/login"))
                .json(&json!({"username": "admin", "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong-password").await, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": "admin", "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = res.headers()["retry-after"].to_str().unwrap().to_string();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], json!("rate_limited"));
    assert_eq!(
        v["message_zh"],
        json!(format!("登录失败次数过多，请 {wait} 秒后再试。"))
    );
    // Another username from the same address is not locked out.
    assert_eq!(
        app.client
            .post(app.url("/api/auth/login"))
            .json(&json!({"username": "nobody", "password": "x"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn password_change_and_logout() {
    let app = spawn_app_with(Backend::Sqlite, |_| {})
        .await
        .expect("sqlite");
    let t = app.admin_token.clone();
    let res = app
        .post(
            &t,
            "/api/me/password",
            &json!({"current_password": "wrong", "new_password": "a-new-long-password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &t,
            "/api/me/password",
            &json!({"current_password": "x", "new_password": "short"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&t, "/api/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn demo_seed_is_consistent() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.demo = true)
        .await
        .expect("sqlite");
    let t = &app.admin_token;
    let townships = app.get_ok(t, "/api/townships").await;
    let township = townships[0]["id"].as_i64().unwrap();
    let diners = app
        .get_ok(t, &format!("/api/townships/{township}/diners"))
        .await;
    assert_eq!(diners.as_array().unwrap().len(), 200);
    let sites = app.get_ok(t, "/api/sites").await;
    let canteen = sites
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == json!("canteen"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let terminals = app
        .get_ok(t, &format!("/api/sites/{canteen}/terminals"))
        .await;
    assert_eq!(terminals.as_array().unwrap().len(), 2);
    let (count, _) = app.sales_count().await;
    assert!(count > 3000, "a month of sales: {count}");
    // The demo's terminal prices agree with the backend's verdict.
    let today = crate::helpers::today();
    let from = today - chrono::Duration::days(3);
    let sales = app
        .get_ok(
            t,
            &format!("/api/sites/{canteen}/sales?from={from}&to={today}"),
        )
        .await;
    for s in sales.as_array().unwrap().iter().take(20) {
        let detail = app
            .get_ok(t, &format!("/api/sales/{}", s["id"].as_str().unwrap()))
            .await;
        for line in detail["lines"].as_array().unwrap() {
            assert!(
                line["verdict"] == json!("agrees") || line["verdict"] == json!("not_subsidised"),
                "{line}"
            );
        }
    }
}

/// SQLite: no connection checkpoints the WAL on its own (the commit that
/// crossed 1,000 pages would wait for the copy); a task beside the writer
/// copies it into the database file ten times a second. Sales posted reach the
/// file within seconds, far below SQLite's own 1,000-page threshold.
#[tokio::test]
async fn the_wal_is_copied_into_the_file_beside_the_writer_sqlite() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let w = crate::helpers::world(&app).await;
    let file = app
        ._scratch
        .as_ref()
        .and_then(|s| s.dir())
        .expect("a SQLite test has its directory")
        .join("test.db");
    let size = || std::fs::metadata(&file).expect("the database file").len();
    // Whatever the setup wrote is copied by now.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let before = size();
    let sales: Vec<_> = (0..200).map(|_| w.walk_in()).collect();
    let res = app
        .post(
            &w.terminal_token,
            "/api/terminal/sales",
            &crate::helpers::batch(&sales),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    // Within ten seconds, however busy the machine.
    let mut grown = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if size() > before {
            grown = true;
            break;
        }
    }
    assert!(
        grown,
        "the file stayed at {before} bytes: the WAL was never copied"
    );
}

/// PostgreSQL with autovacuum off (as on the machines we test on): the
/// backend keeps the planner's statistics of the sales tables itself. With
/// none, the planner read the one-meal contest through the claim's index
/// (township, day) and filtered every line of the township, so each sale
/// post got slower as the month's sales grew.
#[tokio::test]
async fn the_contest_reads_its_own_index_as_sales_grow_postgres() {
    let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await else {
        return;
    };
    let autovacuum: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    if autovacuum == "on" {
        eprintln!("skipped: this server keeps its statistics itself (autovacuum is on)");
        return;
    }
    let w = crate::helpers::world(&app).await;
    // A month of 300 diners' lunches, written straight into the tables (as
    // another backend process on the same database would).
    let (t, s, term, c) = (w.township_a, w.site_a, w.terminal_id, w.cashier_id);
    app.store
        .execute_raw(format!(
            "INSERT INTO diners (id, township_id, name, version, updated_at)
             SELECT 100000 + g, {t}, 'seed', 1, 0 FROM generate_series(0, 299) AS g"
        ))
        .await
        .unwrap();
    app.store
        .execute_raw(format!(
            "INSERT INTO sales (id, site_id, terminal_id, cashier_id, sold_at, business_date, slot,
                total_paid, subsidy_total, cash_taken, payment_method, content_hash, body,
                received_at, township_id)
             SELECT 'seed-' || g, {s}, {term}, {c}, 0, to_char(DATE '2026-10-01' + g % 30, 'YYYY-MM-DD'),
                'lunch', 600, 600, 600, 'cash', 'h', '{{}}', 0, {t}
             FROM generate_series(1, 30000) AS g"
        ))
        .await
        .unwrap();
    app.store
        .execute_raw(
            "INSERT INTO sale_lines (sale_id, line_no, kind, diner_id, quantity, standard, amount,
                subsidy, verdict, business_date, slot, township_id, site_id, terminal_id,
                cashier_id, sold_at, received_at)
             SELECT id, 1, 'diner_meal', 100000 + substr(id, 6)::BIGINT % 300, 1, 1200, 600, 600,
                'agrees', business_date, slot, township_id, site_id, terminal_id, cashier_id,
                sold_at, received_at
             FROM sales WHERE id LIKE 'seed-%'"
                .into(),
        )
        .await
        .unwrap();
    // As on a database upgraded to migration 0013: the contest's index
    // built over the rows already there, the claim's index last measured
    // empty. Without statistics the planner then takes the claim's.
    app.store
        .execute_raw("REINDEX INDEX sale_lines_contest".into())
        .await
        .unwrap();
    // The contest's read for two diners on two days, as the writer makes it.
    let contest = format!(
        "EXPLAIN SELECT l.sold_at, l.sale_id, l.line_no, l.diner_id, l.business_date, l.slot
         FROM sale_lines l
         WHERE l.township_id = {t} AND l.diner_id IN (100005, 100006)
           AND l.business_date IN ('2026-10-20', '2026-10-21')
           AND l.kind = 'diner_meal' AND l.subsidy > 0
           AND NOT EXISTS (SELECT v.id FROM voids v WHERE v.sale_id = l.sale_id)"
    );
    // Within 30 seconds, however busy the machine (the server publishes a
    // connection's row counts within a second of its commits, or ten
    // seconds once it is idle).
    let mut plan = Vec::new();
    for _ in 0..300 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        plan = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(contest.as_str()))
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        if plan.iter().any(|l| l.contains("sale_lines_contest")) {
            return;
        }
    }
    panic!(
        "the contest does not read its own index:\n{}",
        plan.join("\n")
    );
}
