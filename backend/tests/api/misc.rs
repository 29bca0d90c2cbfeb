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
/// copies it into the database file every second. Sales posted reach the
/// file within seconds, far below SQLite's own 1,000-page threshold.
#[tokio::test]
async fn the_wal_is_copied_into_the_file_beside_the_writer_sqlite() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let w = crate::helpers::world(&app).await;
    let file = app
        ._dir
        .as_ref()
        .expect("a SQLite test has its directory")
        .path()
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
