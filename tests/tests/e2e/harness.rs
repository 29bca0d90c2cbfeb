//! Starts the real backend and plays the people around it.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

use backend::app::Application;
use backend::config::Config;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// Which database the backend runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

/// A running backend and an HTTP client.
pub struct Backend {
    pub base: String,
    pub client: Client,
    pub admin_token: String,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<Schema>,
}

/// A PostgreSQL schema a test made, dropped with it.
struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // On a thread of its own: the test's runtime may be shutting down.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let db = backend::store::Db::connect(&url, None, 1)
                    .await
                    .map_err(|e| e.to_string())?;
                db.execute_raw(format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {}: {dropped:?}", self.name);
        }
    }
}

/// Starts the backend on 127.0.0.1:0 with a fresh database, or `None` when
/// PostgreSQL is asked for and not configured.
pub async fn start(db: Database) -> Option<Backend> {
    let (config, dir, schema) = match db {
        Database::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite:{}", dir.path().join("canteen.db").display());
            (Config::for_tests(url, None), Some(dir), None)
        }
        Database::Postgres => {
            let Some(url) = std::env::var("CANTEEN_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
            else {
                eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
                return None;
            };
            let name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
            (
                Config::for_tests(url.clone(), Some(name.clone())),
                None,
                Some(Schema { url, name }),
            )
        }
    };
    let app = Application::build(config)
        .await
        .expect("the backend starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let admin = app.first_admin().cloned().expect("first admin");
    tokio::spawn(app.run_until_stopped());
    let client = Client::new();
    let admin_token = login(&client, &base, &admin.username, &admin.password.0).await;
    Some(Backend {
        base,
        client,
        admin_token,
        _dir: dir,
        _schema: schema,
    })
}

pub async fn login(client: &Client, base: &str, username: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK, "login of {username}");
    let body: Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_string()
}

impl Backend {
    /// A request with a bearer token; returns status and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post_ok(&self, token: &str, path: &str, body: &Value) -> Value {
        let (status, json) = self
            .call(reqwest::Method::POST, token, path, Some(body))
            .await;
        assert!(status.is_success(), "POST {path}: {status} {json}");
        json
    }

    pub async fn get_ok(&self, token: &str, path: &str) -> Value {
        let (status, json) = self.call(reqwest::Method::GET, token, path, None).await;
        assert!(status.is_success(), "GET {path}: {status} {json}");
        json
    }

    /// Uploads a spreadsheet body to the roster import.
    pub async fn import_roster(&self, township: i64, csv: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!(
                "{}/api/townships/{township}/diners/import",
                self.base
            ))
            .bearer_auth(&self.admin_token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .expect("import");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// A receipt printer on 127.0.0.1 that keeps every byte of each print job.
pub struct FakePrinter {
    pub addr: SocketAddr,
    thread: JoinHandle<Vec<Vec<u8>>>,
}

impl FakePrinter {
    /// Accepts `jobs` connections, one receipt each.
    pub fn accept(jobs: usize) -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind printer");
        let addr = listener.local_addr().expect("addr");
        let thread = std::thread::spawn(move || {
            (0..jobs)
                .map(|_| {
                    let (mut conn, _) = listener.accept().expect("accept");
                    let mut job = Vec::new();
                    conn.read_to_end(&mut job).expect("read job");
                    job
                })
                .collect()
        });
        FakePrinter { addr, thread }
    }

    /// The print jobs received, in order.
    pub fn jobs(self) -> Vec<Vec<u8>> {
        self.thread.join().expect("printer thread")
    }
}

/// GB18030 bytes of a text, as the printer receives it in text mode.
pub fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
