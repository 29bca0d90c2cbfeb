//! Hostile input and load at the edge (issue 7): spreadsheet bombs, login
//! races and floods, control characters, rewriting append-only rows, the
//! bearer parser, and what the office sees of a diner.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

use canteen_core::{Money, SaleLine, UserId, Void, VoidId};
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, batch, spawn_app_with, world};

// ---- the roster import --------------------------------------------------

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// A minimal workbook whose only sheet is written by `sheet`.
fn xlsx(sheet: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    sheet(&mut zip);
    zip.finish().unwrap().into_inner()
}

fn sheet_with(dimension: &str, padding_mb: usize) -> impl FnOnce(&mut dyn Write) {
    move |w: &mut dyn Write| {
        write!(
            w,
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>王秀英</t></is></c></row>"#
        )
        .unwrap();
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..padding_mb {
            w.write_all(&spaces).unwrap();
        }
        w.write_all(b"</sheetData></worksheet>").unwrap();
    }
}

/// 70 MB of XML (over the 64 MB bound) in well under the 2 MB body limit.
fn deflate_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| xlsx(sheet_with("A1:A2", 70)))
}

async fn import(app: &TestApp, token: &str, township: i64, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/townships/{township}/diners/import")))
        .bearer_auth(token)
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn roster_len(app: &TestApp, token: &str, township: i64) -> usize {
    app.get_ok(token, &format!("/api/townships/{township}/diners"))
        .await
        .as_array()
        .unwrap()
        .len()
}

crate::on_both!(xlsx_bombs_are_refused, super::xlsx_bombs_are_refused);

async fn xlsx_bombs_are_refused(app: TestApp) {
    let w = world(&app).await;
    let before = roster_len(&app, &w.admin, w.township_a).await;

    // A tiny file declaring the largest sheet Excel allows: once an attempt
    // to allocate half a terabyte that aborted the process.
    let declared = xlsx(sheet_with("A1:XFD1048576", 0));
    assert!(declared.len() < 4096, "{} bytes", declared.len());
    let (status, body) = import(&app, &w.admin, w.township_a, declared).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], json!("file_too_large"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("rows"), "{body}");

    // A deflate bomb: 70 MB of XML in a small file.
    let bomb = deflate_bomb().to_vec();
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let (status, body) = import(&app, &w.admin, w.township_a, bomb.clone()).await;
    println!("deflate bomb refused in {:?}", started.elapsed());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], json!("file_too_large"), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("unzips"),
        "{body}"
    );

    // The same bomb declaring a small size: the bytes that come out count.
    let lied = lie_about_sizes(bomb);
    let (status, body) = import(&app, &w.admin, w.township_a, lied).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The same workbook at an honest size is read: the refusals above are
    // about size, not a broken file.
    let fine = xlsx(sheet_with("A1:A2", 0));
    let (status, body) = import(&app, &w.admin, w.township_a, fine).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], json!(1), "{body}");
    assert_eq!(roster_len(&app, &w.admin, w.township_a).await, before + 1);
}

/// Sets every declared uncompressed size in the zip's headers to 100.
fn lie_about_sizes(mut zip: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i + 30 < zip.len() {
        match zip[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => zip[i + 22..i + 26].copy_from_slice(&100u32.to_le_bytes()),
            [0x50, 0x4b, 0x01, 0x02] => zip[i + 24..i + 28].copy_from_slice(&100u32.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
    zip
}

// ---- logins --------------------------------------------------------------

async fn login_status(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn make_user(app: &TestApp, w: &crate::helpers::World, name: &str) {
    app.post_ok(
        &app.admin_token,
        "/api/users",
        &json!({"username": name, "display_name": name, "role": "finance",
                "township_id": w.township_a, "password": "a-long-test-password"}),
    )
    .await;
}

crate::on_both!(
    login_attempts_count_before_checking,
    super::login_attempts_count_before_checking
);

/// 50 wrong passwords at once are checked at most `limit` times, and the
/// right one after them does not get in.
async fn login_attempts_count_before_checking(app: TestApp) {
    let w = world(&app).await;
    make_user(&app, &w, "racer").await;
    let limit = 5; // the default per account
    let attempts = (0..50).map(|i| {
        let app = &app;
        async move {
            login_status(app, "racer", &format!("wrong-{i}"))
                .await
                .status()
        }
    });
    let statuses = futures_join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!("50 concurrent wrong passwords: {checked} checked, {limited} refused unchecked");
    assert!(
        checked <= limit,
        "{checked} verifications for a limit of {limit}"
    );
    assert_eq!(checked + limited, 50, "{statuses:?}");
    let res = login_status(&app, "racer", "a-long-test-password").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // The lock is per account, from any address: another account at the
    // same (shared) address still signs in.
    make_user(&app, &w, "neighbour").await;
    let res = login_status(&app, "neighbour", "a-long-test-password").await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Without futures-util: spawn each on the runtime and wait in order.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    // The futures borrow the app, so they cannot be spawned; poll them
    // together with a JoinSet-free select loop over pinned boxes.
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<T>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pending.iter_mut().enumerate() {
            if out[i].is_some() {
                continue;
            }
            match f.as_mut().poll(cx) {
                std::task::Poll::Ready(v) => out[i] = Some(v),
                std::task::Poll::Pending => all = false,
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().map(|v| v.unwrap()).collect()
}

crate::on_both!(
    an_address_is_limited_across_accounts,
    super::an_address_is_limited_across_accounts
);

async fn an_address_is_limited_across_accounts(app: TestApp) {
    let w = world(&app).await;
    make_user(&app, &w, "office1").await;
    // One person mistyping locks only their account (5 per account, 50 per
    // address by default).
    for _ in 0..5 {
        let res = login_status(&app, "office1", "mistyped-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_status(&app, "office1", "a-long-test-password")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Spraying many accounts from one address hits the address's bound.
    let mut refused = false;
    for i in 0..60 {
        let status = login_status(&app, &format!("sprayed{i}"), "guess-password")
            .await
            .status();
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        refused |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(
        refused,
        "60 failures from one address over many accounts are limited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_beyond_the_queue_get_503_and_sales_do_not_wait_sqlite() {
    logins_beyond_the_queue_get_503_and_sales_do_not_wait(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_beyond_the_queue_get_503_and_sales_do_not_wait_postgres() {
    logins_beyond_the_queue_get_503_and_sales_do_not_wait(Backend::Postgres).await;
}

async fn logins_beyond_the_queue_get_503_and_sales_do_not_wait(kind: Backend) {
    let Some(app) = spawn_app_with(kind, |c| {
        c.password_hash_concurrency = Some(1);
        c.password_hash_queue = 2;
        c.login_max_failures = 10_000;
        c.login_max_failures_per_address = 10_000;
    })
    .await
    else {
        return;
    };
    let w = world(&app).await;
    let flood = (0..40).map(|i| {
        let app = &app;
        async move {
            let res = login_status(app, &format!("flood{i}"), "wrong-password").await;
            let retry = res.headers().get("retry-after").cloned();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, retry, body)
        }
    });
    let sale = async {
        // Let the flood start first.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let started = Instant::now();
        let res = app
            .post(
                &w.terminal_token,
                "/api/terminal/sales",
                &batch(&[w.lunch(w.diner_76)]),
            )
            .await;
        (res.status(), started.elapsed())
    };
    let (results, (sale_status, sale_took)) = tokio::join!(futures_join_all(flood), sale);
    println!("a sale posted during 40 concurrent logins took {sale_took:?}");
    assert_eq!(sale_status, StatusCode::OK);
    let busy: Vec<_> = results
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !busy.is_empty(),
        "at most 1 + 2 waiting; the rest are told to come back"
    );
    for (status, retry, body) in &results {
        assert!(
            *status == StatusCode::UNAUTHORIZED || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status} {body}"
        );
        if *status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(retry.is_some(), "503 carries Retry-After");
            assert_eq!(body["code"], json!("busy"));
        }
    }
    println!(
        "{} of 40 logins were checked, {} told to retry",
        results.len() - busy.len(),
        busy.len()
    );
}

// ---- control characters ---------------------------------------------------

crate::on_both!(
    control_characters_are_refused_per_item,
    super::control_characters_are_refused_per_item
);

async fn control_characters_are_refused_per_item(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    // A batch with a NUL in one sale: the others are stored all the same.
    let good1 = w.walk_in();
    let mut bad = w.walk_in();
    bad.lines.push(SaleLine::Extra {
        name: "豆\0浆".into(),
        unit_price: Money::from_fen(150),
        quantity: 1,
    });
    let mut bad_ref = w.walk_in();
    bad_ref.payment = canteen_core::Payment::Qr {
        reference: Some("wx\u{1b}[31m".into()),
    };
    let good2 = w.walk_in();
    let (before, _) = app.sales_count().await;
    let res = app
        .post(
            t,
            "/api/terminal/sales",
            &batch(&[good1, bad.clone(), bad_ref, good2]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["stored", "rejected", "rejected", "stored"],
        "{body}"
    );
    let why = body["results"][1]["message"].as_str().unwrap();
    assert!(
        why.contains("control character") && why.contains("item name"),
        "{why}"
    );
    assert_eq!(app.sales_count().await.0, before + 2);
    // Sent again, the refused one is refused again and the rest settle.
    let res = app.post(t, "/api/terminal/sales", &batch(&[bad])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A void reason with a NUL.
    let sale = w.walk_in();
    app.post_ok(
        t,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&sale)),
    )
    .await;
    let void = Void {
        id: VoidId::new_random(),
        sale_id: sale.id,
        site_id: sale.site_id,
        terminal_id: sale.terminal_id,
        voided_by: UserId(w.cashier_id),
        voided_at: Utc::now(),
        reason: "卖\0重了".into(),
    };
    let res = app
        .post(t, "/api/terminal/voids", &json!({"voids": [void]}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], json!("rejected"));
    assert!(
        body["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the reason")
    );

    // Office texts: a diner's name, a username at login, a site's name.
    let diners = format!("/api/townships/{}/diners", w.township_a);
    for (path, body, token) in [
        (diners.clone(), json!({"name": "王\0秀英"}), &w.admin),
        (
            diners.clone(),
            json!({"name": "王秀英", "village": "大寨\u{7}村"}),
            &w.admin,
        ),
        (
            "/api/sites".to_string(),
            json!({"township_id": w.township_a, "name": "食\0堂", "kind": "canteen"}),
            &app.admin_token,
        ),
        (
            "/api/auth/login".to_string(),
            json!({"username": "ad\0min", "password": "x"}),
            &app.admin_token,
        ),
    ] {
        let res = app.post(token, &path, &body).await;
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains("control character"),
            "{v}"
        );
    }
    // Paths and query strings.
    for path in [
        "/api/sales/ab%00cd",
        "/api/sites/1%00/sales?from=2026-01-01&to=2026-01-02",
    ] {
        let res = app.get(&w.finance, path).await;
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["code"], json!("control_character"), "{v}");
    }
    let res = app
        .get(
            &w.finance,
            &format!(
                "/api/sites/{}/sales?from=2026-01-01%00&to=2026-01-02",
                w.site_a
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Still serving.
    app.get_ok(&w.admin, "/api/me").await;
}

// ---- append-only tables ----------------------------------------------------

crate::on_both!(
    stored_rows_cannot_be_rewritten,
    super::stored_rows_cannot_be_rewritten
);

async fn stored_rows_cannot_be_rewritten(app: TestApp) {
    let w = world(&app).await;
    let sale = w.lunch(w.diner_76);
    let id = sale.id.to_string();
    let t = &w.terminal_token;
    app.post_ok(
        t,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&sale)),
    )
    .await;
    let void = Void {
        id: VoidId::new_random(),
        sale_id: sale.id,
        site_id: sale.site_id,
        terminal_id: sale.terminal_id,
        voided_by: UserId(w.cashier_id),
        voided_at: Utc::now(),
        reason: "卖重了".into(),
    };
    let void_id = void.id.to_string();
    app.post_ok(t, "/api/terminal/voids", &json!({"voids": [void]}))
        .await;
    // A retry of the stored sale is still answered as a duplicate.
    let again = app.post_ok(t, "/api/terminal/sales", &batch(&[sale])).await;
    assert_eq!(again["results"][0]["status"], json!("duplicate"));

    let totals = app.sales_count().await;
    let db = &app.store;
    let count = |sql: String| async move { db.execute_raw(sql).await };
    match db.kind() {
        "sqlite" => {
            // REPLACE deletes the old row without firing BEFORE DELETE triggers.
            let tries = [
                ("sales", format!(
                    "INSERT OR REPLACE INTO sales SELECT * FROM sales WHERE id = '{id}'"
                )),
                ("sale_lines", format!(
                    "INSERT OR REPLACE INTO sale_lines SELECT * FROM sale_lines WHERE sale_id = '{id}'"
                )),
                ("voids", format!(
                    "INSERT OR REPLACE INTO voids SELECT * FROM voids WHERE id = '{void_id}'"
                )),
                ("audit_log", "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)".to_string()),
            ];
            for (table, sql) in tries {
                let err = count(sql).await.expect_err(table);
                assert!(err.to_string().contains("append-only"), "{table}: {err}");
            }
            // The same for `REPLACE INTO` and an upsert that updates.
            let err = count(format!(
                "REPLACE INTO voids SELECT * FROM voids WHERE id = '{void_id}'"
            ))
            .await
            .expect_err("replace");
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        _ => {
            for table in ["sales", "sale_lines", "voids", "audit_log"] {
                let err = count(format!("TRUNCATE {table} CASCADE"))
                    .await
                    .expect_err(table);
                assert!(err.to_string().contains("append-only"), "{table}: {err}");
            }
        }
    }
    assert_eq!(
        app.sales_count().await,
        totals,
        "nothing rewritten or removed"
    );
    assert!(
        !app.get_ok(&app.admin_token, "/api/audit")
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "the audit log is still there"
    );
}

// ---- bearer, privacy --------------------------------------------------------

crate::on_both!(
    logout_takes_a_lower_case_bearer,
    super::logout_takes_a_lower_case_bearer
);

async fn logout_takes_a_lower_case_bearer(app: TestApp) {
    let t = app.admin_token.clone();
    // Every endpoint takes the scheme in any case.
    let res = app
        .client
        .get(app.url("/api/me"))
        .header("authorization", format!("BEARER {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("authorization", format!("bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&t, "/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

crate::on_both!(
    office_sees_age_not_birth_date,
    super::office_sees_age_not_birth_date
);

async fn office_sees_age_not_birth_date(app: TestApp) {
    let w = world(&app).await;
    let one = app
        .get_ok(&w.admin, &format!("/api/diners/{}", w.diner_old))
        .await;
    let list = app
        .get_ok(
            &w.finance,
            &format!("/api/townships/{}/diners", w.township_a),
        )
        .await;
    for v in std::iter::once(&one).chain(list.as_array().unwrap()) {
        assert!(v.get("birth_date").is_none(), "{v}");
        assert!(v["resident_id_masked"].is_string(), "{v}");
    }
    assert_eq!(one["birth_year"], json!(1930), "{one}");
    assert!(one["age"].as_u64().unwrap() >= 96, "{one}");
    let text = app.get_ok(&app.admin_token, "/api/audit").await.to_string();
    assert!(
        !text.contains("1930-03-01"),
        "the audit log shows no birth date"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app_with(Backend::Sqlite, |_| {})
        .await
        .expect("sqlite");
    // Writes make the -wal and -shm files.
    let w = world(&app).await;
    app.post_ok(
        &w.terminal_token,
        "/api/terminal/sales",
        &batch(&[w.walk_in()]),
    )
    .await;
    let dir = app._scratch.as_ref().and_then(|s| s.dir()).unwrap();
    let mut seen = 0;
    for name in ["test.db", "test.db-wal", "test.db-shm"] {
        let path = dir.join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            seen += 1;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        }
    }
    assert!(seen >= 2, "the database and its WAL exist");
}

// ---- the binary: admin reset, database URLs, logs ----------------------------

fn backend(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String, std::time::Duration) {
    let started = Instant::now();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backend"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CANTEEN_DATA_DIR")
        .env_remove("CANTEEN_CONFIG")
        .env_remove("CANTEEN_LOG")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn reset_admin_refuses_a_name_that_is_not_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // The database gets its first administrator, `admin`.
    let (ok, _, err, _) = backend(
        &[
            "--data-dir",
            data,
            "--reset-admin",
            "admin",
            "--create-admin",
        ],
        &[],
    );
    assert!(ok, "{err}");
    let (ok, out, err, _) = backend(&["--data-dir", data, "--reset-admin", "admni"], &[]);
    assert!(!ok, "a mistyped name is refused: {out}");
    assert!(
        err.contains("no user named 'admni'") && err.contains("--create-admin"),
        "{err}"
    );
    let (ok, out, err, _) = backend(&["--data-dir", data, "--reset-admin", "admin"], &[]);
    assert!(ok, "{err}");
    assert!(out.contains("New one-time password for admin"), "{out}");
}

#[test]
fn unknown_database_schemes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err, _) = backend(
        &[
            "--database-url",
            "mysql://root@localhost/canteen",
            "--reset-admin",
            "admin",
        ],
        &[("CANTEEN_DATA_DIR", dir.path().to_str().unwrap())],
    );
    assert!(!ok);
    assert!(
        err.contains("mysql://") && err.contains("postgres://"),
        "{err}"
    );
}

#[test]
fn an_unreachable_postgres_fails_fast_naming_the_host() {
    // Nothing listens on port 1.
    let (ok, _, err, took) = backend(
        &[
            "--database-url",
            "postgres://canteen:secret@127.0.0.1:1/canteen",
            "--reset-admin",
            "admin",
        ],
        &[],
    );
    println!("an unreachable PostgreSQL was reported after {took:?}");
    assert!(!ok);
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn logs_have_no_colour_codes_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, err, _) = backend(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--reset-admin",
            "nobody",
        ],
        &[("CANTEEN_LOG", "debug")],
    );
    assert!(
        err.contains("DEBUG") || err.contains("INFO"),
        "some log lines: {err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
