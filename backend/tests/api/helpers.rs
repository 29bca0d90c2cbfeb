//! Starts the real service on 127.0.0.1:0 (SQLite in a temporary
//! directory, or PostgreSQL in a fresh schema when
//! CANTEEN_TEST_POSTGRES_URL is set) and builds a small world through the
//! API: two townships, sites, a policy, diners, users of every role and a
//! terminal.

use std::sync::OnceLock;

use backend::app::Application;
use backend::config::Config;
use backend::store::Db;
use canteen_core::resident_id::check_character;
use canteen_core::{
    DinerId, Money, Payment, Sale, SaleId, SaleLine, SiteId, Slot, TerminalId, UserId,
};
use chrono::{NaiveDate, Utc};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> Option<String> {
    std::env::var("CANTEEN_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

static TRACING: OnceLock<()> = OnceLock::new();

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Db,
    pub admin_token: String,
    /// Dropped last: the SQLite directory or the PostgreSQL schema.
    pub _scratch: Option<Scratch>,
}

/// What a test's database leaves on the machine, removed when dropped: the
/// SQLite file's directory, or the PostgreSQL schema.
pub enum Scratch {
    Dir(tempfile::TempDir),
    Schema { url: String, schema: String },
}

impl Scratch {
    /// The SQLite file's directory.
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            Scratch::Dir(dir) => Some(dir.path()),
            Scratch::Schema { .. } => None,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Scratch::Schema { url, schema: name } = self else {
            return;
        };
        let (url, schema) = (url.clone(), name.clone());
        // On a thread of its own: a test's runtime may be single-threaded,
        // or already shutting down.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let db = Db::connect(&url, None, 1)
                    .await
                    .map_err(|e| e.to_string())?;
                // One connection: the timeout holds for the DROP.
                db.execute_raw("SET lock_timeout = '10s'".into())
                    .await
                    .map_err(|e| e.to_string())?;
                db.execute_raw(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {name}: {dropped:?}");
        }
    }
}

/// A config for a fresh database of the given kind, or `None` when
/// PostgreSQL is not configured.
pub fn fresh_config(kind: Backend) -> Option<(Config, Scratch)> {
    TRACING.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
        }
    });
    match kind {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite:{}", dir.path().join("test.db").display());
            Some((Config::for_tests(url, None), Scratch::Dir(dir)))
        }
        Backend::Postgres => {
            let url = postgres_url()?;
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut c = Config::for_tests(url.clone(), Some(schema.clone()));
            c.db_max_connections = 5;
            Some((c, Scratch::Schema { url, schema }))
        }
    }
}

pub async fn spawn_app_with(kind: Backend, edit: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let Some((mut config, scratch)) = fresh_config(kind) else {
        eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
        return None;
    };
    edit(&mut config);
    let app = Application::build(config).await.expect("the app builds");
    let port = app.port();
    let store = app.store().clone();
    let admin = app
        .first_admin()
        .cloned()
        .expect("a first admin on an empty database");
    tokio::spawn(app.run_until_stopped());
    let client = Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let admin_token = login(&client, &base, &admin.username, &admin.password.0).await;
    Some(TestApp {
        base,
        client,
        store,
        admin_token,
        _scratch: Some(scratch),
    })
}

pub async fn spawn_app(kind: Backend) -> Option<TestApp> {
    spawn_app_with(kind, |_| {}).await
}

pub async fn login(client: &Client, base: &str, username: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login request");
    assert_eq!(res.status(), StatusCode::OK, "login of {username}");
    let body: Value = res.json().await.expect("login json");
    body["token"].as_str().expect("token").to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// POST expecting 2xx, returning the JSON.
    pub async fn post_ok(&self, token: &str, path: &str, body: &Value) -> Value {
        let res = self.post(token, path, body).await;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn get_ok(&self, token: &str, path: &str) -> Value {
        let res = self.get(token, path).await;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn sales_count(&self) -> (i64, i64) {
        let (count, paid) = self.store.sales_totals().await.expect("totals");
        (count, paid.fen())
    }
}

/// A valid resident ID number for a birth date (region 530922, Yun county).
pub fn resident_id(birth: NaiveDate, seq: u32) -> String {
    let first17 = format!("530922{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let bytes: [u8; 17] = first17.as_bytes().try_into().expect("17 digits");
    format!("{first17}{}", check_character(&bytes))
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// Today in Asia/Shanghai, as the backend sees it.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

pub fn policy(site_id: i64) -> Value {
    let p = |b: &str, l: &str, dn: &str| json!({"breakfast": b, "lunch": l, "dinner": dn});
    json!({
        "site_id": site_id,
        "effective_from": "2020-01-01",
        "standard": p("5.00", "12.00", "10.00"),
        "brackets": [
            {"name": "65-69", "min_age": 65, "max_age": 69, "prices": p("4.00", "8.00", "7.00")},
            {"name": "70-79", "min_age": 70, "max_age": 79, "prices": p("3.00", "6.00", "5.00")},
            {"name": "80-89", "min_age": 80, "max_age": 89, "prices": p("2.00", "4.00", "3.00")},
            {"name": "90+", "min_age": 90, "prices": p("0.00", "0.00", "0.00")}
        ],
        "categories": [{"code": "tekun", "name": "特困", "prices": p("0.00", "2.00", "1.00")}],
        "funding": []
    })
}

/// Everything a test needs, made through the API.
pub struct World {
    pub township_a: i64,
    pub township_b: i64,
    pub site_a: i64,
    pub site_a2: i64,
    pub site_b: i64,
    /// Diners of township A: aged about 76 (bracket 70-79), 90+, and one in B.
    pub diner_76: i64,
    pub diner_old: i64,
    pub diner_b: i64,
    pub cashier_id: i64,
    pub cashier_b_id: i64,
    pub terminal_id: i64,
    pub terminal_token: String,
    pub terminal_b_token: String,
    pub terminal_b_id: i64,
    /// Session tokens by role: county admin, township admin, finance,
    /// volunteer (site a2), cashier (site a), admin of township B.
    pub county: String,
    pub admin: String,
    pub finance: String,
    pub volunteer: String,
    pub cashier: String,
    pub admin_b: String,
}

async fn make_user(app: &TestApp, body: Value) -> (i64, String) {
    let created = app.post_ok(&app.admin_token, "/api/users", &body).await;
    let id = created["user"]["id"].as_i64().expect("user id");
    let username = body["username"].as_str().expect("username");
    let password = body["password"].as_str().expect("password");
    (id, login(&app.client, &app.base, username, password).await)
}

pub async fn world(app: &TestApp) -> World {
    let t = &app.admin_token;
    let township_a = app
        .post_ok(t, "/api/townships", &json!({"name": "大寨镇"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let township_b = app
        .post_ok(t, "/api/townships", &json!({"name": "茂兰镇"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let site =
        |tw: i64, name: &str, kind: &str| json!({"township_id": tw, "name": name, "kind": kind});
    let site_a = app
        .post_ok(
            t,
            "/api/sites",
            &site(township_a, "大寨幸福食堂", "canteen"),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let site_a2 = app
        .post_ok(
            t,
            "/api/sites",
            &site(township_a, "大寨村幸福公社", "commune"),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let site_b = app
        .post_ok(
            t,
            "/api/sites",
            &site(township_b, "茂兰幸福食堂", "canteen"),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(t, &format!("/api/sites/{site_a}/policies"), &policy(site_a))
        .await;
    app.post_ok(t, &format!("/api/sites/{site_b}/policies"), &policy(site_b))
        .await;
    let born_76 = today() - chrono::Duration::days(76 * 365 + 100);
    // Registered long ago: the scenarios sell meals of past months.
    let diner = |name: &str, birth: NaiveDate, seq: u32| json!({"name": name, "resident_id": resident_id(birth, seq), "village": "大寨村", "active_from": "2020-01-01"});
    let diner_76 = app
        .post_ok(
            t,
            &format!("/api/townships/{township_a}/diners"),
            &diner("王秀英", born_76, 1),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let diner_old = app
        .post_ok(
            t,
            &format!("/api/townships/{township_a}/diners"),
            &diner("李桂兰", d(1930, 3, 1), 2),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let diner_b = app
        .post_ok(
            t,
            &format!("/api/townships/{township_b}/diners"),
            &diner("赵德明", d(1940, 5, 5), 3),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let pw = "a-long-test-password";
    let user = |name: &str, role: &str, tw: Option<i64>, s: Option<i64>| json!({"username": name, "display_name": name, "role": role, "township_id": tw, "site_id": s, "password": pw});
    let (_, county) = make_user(app, user("county2", "admin", None, None)).await;
    let (_, admin) = make_user(app, user("admin_a", "admin", Some(township_a), None)).await;
    let (_, finance) = make_user(app, user("finance_a", "finance", Some(township_a), None)).await;
    let (_, volunteer) =
        make_user(app, user("volunteer_a2", "volunteer", None, Some(site_a2))).await;
    let (cashier_id, cashier) =
        make_user(app, user("cashier_a", "cashier", None, Some(site_a))).await;
    let (cashier_b_id, _) = make_user(app, user("cashier_b", "cashier", None, Some(site_b))).await;
    let (_, admin_b) = make_user(app, user("admin_b", "admin", Some(township_b), None)).await;
    let term = app
        .post_ok(
            t,
            &format!("/api/sites/{site_a}/terminals"),
            &json!({"name": "一号机"}),
        )
        .await;
    let term_b = app
        .post_ok(
            t,
            &format!("/api/sites/{site_b}/terminals"),
            &json!({"name": "茂兰一号"}),
        )
        .await;
    World {
        township_a,
        township_b,
        site_a,
        site_a2,
        site_b,
        diner_76,
        diner_old,
        diner_b,
        cashier_id,
        cashier_b_id,
        terminal_id: term["terminal"]["id"].as_i64().unwrap(),
        terminal_token: term["token"].as_str().unwrap().to_string(),
        terminal_b_id: term_b["terminal"]["id"].as_i64().unwrap(),
        terminal_b_token: term_b["token"].as_str().unwrap().to_string(),
        county,
        admin,
        finance,
        volunteer,
        cashier,
        admin_b,
    }
}

impl World {
    /// A lunch for the 76-year-old at the bracket price (6.00 paid of 12.00),
    /// paid with 10.00 cash.
    pub fn lunch(&self, diner: i64) -> Sale {
        Sale {
            id: SaleId::new_random(),
            site_id: SiteId(self.site_a),
            terminal_id: TerminalId(self.terminal_id),
            cashier_id: UserId(self.cashier_id),
            sold_at: Utc::now(),
            business_date: today(),
            slot: Slot::Lunch,
            lines: vec![SaleLine::DinerMeal {
                diner_id: DinerId(diner),
                standard: Money::from_fen(1200),
                paid: Money::from_fen(600),
                subsidy: Money::from_fen(600),
                bracket: Some("70-79".into()),
                category: None,
            }],
            payment: Payment::Cash {
                tendered: Money::from_fen(1000),
                change: Money::from_fen(400),
            },
        }
    }

    /// A walk-in lunch at the standard price, paid by QR.
    pub fn walk_in(&self) -> Sale {
        let mut s = self.lunch(self.diner_76);
        s.lines = vec![SaleLine::WalkInMeal {
            price: Money::from_fen(1200),
        }];
        s.payment = Payment::Qr {
            reference: Some("wx-1".into()),
        };
        s
    }
}

pub fn batch(sales: &[Sale]) -> Value {
    json!({ "sales": sales })
}

/// Runs a test body on SQLite, and on PostgreSQL when configured.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) =
                    $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await
                {
                    $body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                {
                    $body(app).await;
                }
            }
        }
    };
}
