//! Sync against the real backend, started in the test on 127.0.0.1 in its
//! own tokio runtime (shutting that runtime down kills it, connections and
//! all): offline for 500 sales, killed mid-batch, three days offline across
//! a month end. Every sale arrives exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod common;

use std::net::SocketAddr;
use std::path::Path;

use backend::app::Application;
use backend::config::Config;
use canteen_core::Money;
use chrono::{DateTime, Duration, TimeZone, Utc};
use pos_terminal::flow::{Choice, ManualClock, Tender, Terminal};
use pos_terminal::store::LocalStore;
use pos_terminal::sync::{Api, SyncError, first_setup, push};
use receipts::{MemoryPrinter, Paper};
use serde_json::{Value, json};

struct Server {
    rt: Option<tokio::runtime::Runtime>,
    port: u16,
}

impl Server {
    fn start(db_url: &str, port: u16) -> (Server, Option<(String, String)>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config::for_tests(db_url.to_string(), None);
        config.listen = SocketAddr::from(([127, 0, 0, 1], port));
        let app = rt.block_on(Application::build(config)).unwrap();
        let port = app.port();
        let admin = app
            .first_admin()
            .map(|a| (a.username.clone(), a.password.0.clone()));
        rt.spawn(app.run_until_stopped());
        (Server { rt: Some(rt), port }, admin)
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill(mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn http(
    rt: &tokio::runtime::Runtime,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    rt.block_on(async {
        let client = reqwest::Client::new();
        let req = match method {
            "GET" => client.get(url),
            "PUT" => client.put(url),
            _ => client.post(url),
        };
        let req = if token.is_empty() {
            req
        } else {
            req.bearer_auth(token)
        };
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{method} {url}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
}

struct World {
    admin: String,
    site: i64,
    terminal_token: String,
    cashier: i64,
}

fn world(rt: &tokio::runtime::Runtime, base: &str, admin: &(String, String)) -> World {
    let login = http(
        rt,
        "POST",
        &format!("{base}/api/auth/login"),
        "",
        Some(json!({"username": admin.0, "password": admin.1})),
    );
    let t = login["token"].as_str().unwrap().to_string();
    let tw = http(
        rt,
        "POST",
        &format!("{base}/api/townships"),
        &t,
        Some(json!({"name": "大寨镇"})),
    )["id"]
        .as_i64()
        .unwrap();
    let site = http(
        rt,
        "POST",
        &format!("{base}/api/sites"),
        &t,
        Some(json!({"township_id": tw, "name": "大寨幸福食堂", "kind": "canteen"})),
    )["id"]
        .as_i64()
        .unwrap();
    let p = |b: &str, l: &str, d: &str| json!({"breakfast": b, "lunch": l, "dinner": d});
    http(
        rt,
        "POST",
        &format!("{base}/api/sites/{site}/policies"),
        &t,
        Some(json!({
            "site_id": site, "effective_from": "2020-01-01",
            "standard": p("5.00", "12.00", "10.00"),
            "brackets": [{"name": "70-79", "min_age": 70, "max_age": 79, "prices": p("3.00", "6.00", "5.00")}],
            "categories": [], "funding": []
        })),
    );
    for n in 0..5usize {
        let birth = chrono::NaiveDate::from_ymd_opt(1950, 1 + n as u32, 10).unwrap();
        http(
            rt,
            "POST",
            &format!("{base}/api/townships/{tw}/diners"),
            &t,
            Some(json!({
                "name": format!("王秀英{n}"),
                "resident_id": pos_terminal::demo::resident_id(birth, n),
                "village": "大寨村",
                "card_no": format!("{}", 200_001 + n),
                "active_from": "2020-01-01",
            })),
        );
    }
    let cashier = http(
        rt,
        "POST",
        &format!("{base}/api/users"),
        &t,
        Some(json!({"username": "cashier_a", "display_name": "刘芳", "role": "cashier", "site_id": site, "password": "a-long-test-password"})),
    )["user"]["id"]
        .as_i64()
        .unwrap();
    // The cashier's PIN, set by the administrator: the terminal gets its
    // hash with the setup and checks it offline. She is a supervisor too.
    http(
        rt,
        "PUT",
        &format!("{base}/api/users/{cashier}/pin"),
        &t,
        Some(json!({"pin": "1234", "supervisor": true})),
    );
    let term = http(
        rt,
        "POST",
        &format!("{base}/api/sites/{site}/terminals"),
        &t,
        Some(json!({"name": "一号机"})),
    );
    World {
        admin: t,
        site,
        terminal_token: term["token"].as_str().unwrap().to_string(),
        cashier,
    }
}

/// The roster's ID numbers (see `world`).
fn whole_ids() -> Vec<String> {
    (0..5usize)
        .map(|n| {
            let birth = chrono::NaiveDate::from_ymd_opt(1950, 1 + n as u32, 10).unwrap();
            pos_terminal::demo::resident_id(birth, n)
        })
        .collect()
}

/// No whole ID number anywhere in the terminal's files (database, WAL).
fn assert_no_whole_ids(term_db: &Path) {
    let dir = term_db.parent().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("terminal") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        for id in whole_ids() {
            assert!(
                !raw.windows(id.len()).any(|w| w == id.as_bytes()),
                "a whole ID number reached {name}"
            );
        }
    }
}

fn sales_on_backend(rt: &tokio::runtime::Runtime, base: &str, w: &World) -> Vec<Value> {
    http(
        rt,
        "GET",
        &format!(
            "{base}/api/sites/{}/sales?from=2026-01-01&to=2026-12-31",
            w.site
        ),
        &w.admin,
        None,
    )
    .as_array()
    .unwrap()
    .clone()
}

struct Rig {
    _dir: tempfile::TempDir,
    db_url: String,
    term_db: std::path::PathBuf,
    server: Option<Server>,
    port: u16,
    world: World,
    client_rt: tokio::runtime::Runtime,
    clock: ManualClock,
}

fn rig(start: DateTime<Utc>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite:{}", dir.path().join("backend.db").display());
    let (server, admin) = Server::start(&db_url, 0);
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = server.base();
    let world = world(&client_rt, &base, &admin.unwrap());
    let term_db = dir.path().join("terminal.db");
    let api = Api::new(&base, &world.terminal_token).unwrap();
    let setup = client_rt.block_on(first_setup(&term_db, &api)).unwrap();
    assert_eq!(setup.site_id, world.site);
    assert_no_whole_ids(&term_db);
    let port = server.port;
    Rig {
        _dir: dir,
        db_url,
        term_db,
        server: Some(server),
        port,
        world,
        client_rt,
        clock: ManualClock::new(start),
    }
}

impl Rig {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn terminal(&self) -> Terminal {
        let mut t = Terminal::open(
            &self.term_db,
            Box::new(self.clock.clone()),
            Box::new(MemoryPrinter::new()),
            Paper::Mm58,
        )
        .unwrap();
        if t.shift().is_none() {
            t.open_shift(self.world.cashier, "1234", Money::ZERO)
                .unwrap();
        }
        t
    }
    /// A second terminal of the same site, set up from the backend.
    fn second_terminal(&self) -> std::path::PathBuf {
        let term = http(
            &self.client_rt,
            "POST",
            &format!("{}/api/sites/{}/terminals", self.base(), self.world.site),
            &self.world.admin,
            Some(json!({"name": "二号机"})),
        );
        let db = self._dir.path().join("terminal2.db");
        let api = Api::new(&self.base(), term["token"].as_str().unwrap()).unwrap();
        self.client_rt.block_on(first_setup(&db, &api)).unwrap();
        db
    }
    fn open(&self, db: &Path, clock: &ManualClock) -> Terminal {
        let mut t = Terminal::open(
            db,
            Box::new(clock.clone()),
            Box::new(MemoryPrinter::new()),
            Paper::Mm58,
        )
        .unwrap();
        if t.shift().is_none() {
            t.open_shift(self.world.cashier, "1234", Money::ZERO)
                .unwrap();
        }
        t
    }
    fn push_from(&self, db: &Path) -> pos_terminal::sync::Round {
        let mut store = LocalStore::open(db).unwrap();
        let token = store.setting("backend_token").unwrap().unwrap();
        let api = Api::new(&self.base(), &token).unwrap();
        self.client_rt.block_on(push(&mut store, &api)).unwrap()
    }
    fn kill(&mut self) {
        if let Some(s) = self.server.take() {
            s.kill();
        }
    }
    fn restart(&mut self) {
        let (server, _) = Server::start(&self.db_url, self.port);
        self.server = Some(server);
    }
    fn push(&self) -> Result<pos_terminal::sync::Round, SyncError> {
        let api = Api::new(&self.base(), &self.world.terminal_token).unwrap();
        let mut store = LocalStore::open(&self.term_db).unwrap();
        self.client_rt.block_on(push(&mut store, &api))
    }
    fn sales(&self) -> Vec<Value> {
        sales_on_backend(&self.client_rt, &self.base(), &self.world)
    }
}

fn sell(t: &mut Terminal, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i % 3 == 0 {
                t.choose(Choice::WalkIn);
            } else {
                assert!(matches!(
                    t.lookup(&format!("{}", 200_001 + i % 5)),
                    pos_terminal::flow::Lookup::Chosen(_)
                ));
            }
            t.pay(Tender::Cash(Money::from_yuan(20)))
                .unwrap()
                .sale
                .id
                .to_string()
        })
        .collect()
}

fn assert_once(sales: &[Value], ids: &[String]) {
    let mut got: Vec<String> = sales
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = ids.to_vec();
    want.sort();
    assert_eq!(got.len(), want.len(), "sales on the backend");
    assert_eq!(got, want);
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    // h is China time.
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap() - Duration::hours(8)
}

#[test]
fn backend_down_for_500_sales_then_up_gets_each_once() {
    let mut rig = rig(at(2026, 10, 12, 12));
    rig.kill();
    let mut t = rig.terminal();
    let ids = sell(&mut t, 500);
    assert_eq!(t.outbox_count().unwrap(), 501);
    assert!(matches!(rig.push(), Err(SyncError::Network(_))));
    assert_eq!(t.outbox_count().unwrap(), 501, "nothing lost while down");
    rig.restart();
    let round = rig.push().unwrap();
    assert_eq!((round.acknowledged, round.refused), (501, 0));
    assert_eq!(t.outbox_count().unwrap(), 0);
    assert_eq!(rig.push().unwrap().acknowledged, 0);
    assert_once(&rig.sales(), &ids);
}

#[test]
fn backend_killed_mid_batch_loses_and_doubles_nothing() {
    let mut rig = rig(at(2026, 10, 12, 12));
    let mut t = rig.terminal();
    let ids = sell(&mut t, 400);
    // A batch the backend stored but whose answer never came back: posted
    // behind the terminal's back, still in its outbox.
    {
        let store = LocalStore::open(&rig.term_db).unwrap();
        let pending = store.pending(80).unwrap();
        let sales: Vec<_> = pending
            .iter()
            .filter_map(|p| match &p.item {
                pos_terminal::store::OutboxItem::Sale(s) => Some(s.as_ref().clone()),
                _ => None,
            })
            .collect();
        http(
            &rig.client_rt,
            "POST",
            &format!("{}/api/terminal/sales", rig.base()),
            &rig.world.terminal_token,
            Some(json!({ "sales": sales })),
        );
    }
    // Kill the backend while the terminal is posting.
    let api = Api::new(&rig.base(), &rig.world.terminal_token).unwrap();
    let db = rig.term_db.clone();
    let pusher = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut store = LocalStore::open(&db).unwrap();
        rt.block_on(push(&mut store, &api))
    });
    std::thread::sleep(std::time::Duration::from_millis(40));
    rig.kill();
    let first = pusher.join().unwrap();
    let left = t.outbox_count().unwrap();
    eprintln!("killed mid-batch: {first:?}, {left} records still queued");
    rig.restart();
    rig.push().unwrap();
    assert_eq!(t.outbox_count().unwrap(), 0);
    assert_once(&rig.sales(), &ids);
}

#[test]
fn three_days_offline_across_a_month_end_each_sale_in_its_month() {
    let mut rig = rig(at(2026, 10, 30, 12));
    rig.kill();
    let mut ids = Vec::new();
    let mut t = rig.terminal();
    for (m, d) in [(10, 30), (10, 31), (11, 1)] {
        rig.clock.set(at(2026, m, d, 12));
        ids.extend(sell(&mut t, 20));
        // An evening sale near midnight stays on its own day.
        rig.clock.set(at(2026, m, d, 23) + Duration::minutes(50));
        ids.extend(sell(&mut t, 1));
    }
    rig.restart();
    rig.push().unwrap();
    let sales = rig.sales();
    assert_once(&sales, &ids);
    let in_month = |prefix: &str| {
        sales
            .iter()
            .filter(|s| s["business_date"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(in_month("2026-10"), 42);
    assert_eq!(in_month("2026-11"), 21);
    let nov_first = sales
        .iter()
        .filter(|s| s["business_date"] == "2026-11-01")
        .count();
    assert_eq!(nov_first, 21);
    let _ = Path::new(&rig.term_db);
}

/// The child side of the crash test: sells one lunch in the terminal
/// database named by `CRASH_PROBE_DB`, says so, and waits to be killed.
/// Without that variable (a normal test run) it has nothing to do.
#[test]
fn crash_probe_child() {
    let Ok(db) = std::env::var("CRASH_PROBE_DB") else {
        return;
    };
    let clock = ManualClock::new(at(2026, 10, 12, 12));
    let mut t = Terminal::open(
        Path::new(&db),
        Box::new(clock),
        Box::new(MemoryPrinter::new()),
        Paper::Mm58,
    )
    .unwrap();
    t.lookup("200001");
    let c = t.pay(Tender::Cash(Money::from_yuan(10))).unwrap();
    // Said through a file: the test harness captures the child's output.
    let note = format!("{db}.confirmed");
    std::fs::write(format!("{note}.tmp"), c.sale.id.to_string()).unwrap();
    std::fs::rename(format!("{note}.tmp"), note).unwrap();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

#[test]
fn killed_right_after_a_sale_the_terminal_has_it_reprints_and_syncs_it_once() {
    let rig = rig(at(2026, 10, 12, 12));
    drop(rig.terminal()); // opens the shift
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_probe_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRASH_PROBE_DB", &rig.term_db)
        .spawn()
        .unwrap();
    let note = format!("{}.confirmed", rig.term_db.display());
    let mut id = None;
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(&note) {
            id = Some(text.trim().to_string());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SIGKILL: no destructor, no flush, no goodbye.
    child.kill().unwrap();
    child.wait().unwrap();
    let id = id.expect("the child confirmed a sale");
    let sale_id = canteen_core::SaleId(uuid::Uuid::parse_str(&id).unwrap());
    let printer = MemoryPrinter::new();
    let mut t = Terminal::open(
        &rig.term_db,
        Box::new(rig.clock.clone()),
        Box::new(printer.clone()),
        Paper::Mm58,
    )
    .unwrap();
    let sale = t
        .store()
        .sale(sale_id.0)
        .unwrap()
        .expect("the sale survived");
    assert_eq!(sale.id, sale_id);
    assert_eq!(t.reprint(sale_id).unwrap(), Ok(()));
    let text = common::receipt_text(&printer.contents());
    assert!(
        text.contains(&receipts::model::receipt_no(sale_id)),
        "{text}"
    );
    rig.push().unwrap();
    rig.push().unwrap();
    assert_once(&rig.sales(), &[id]);
}

#[test]
fn the_backend_verdict_that_differs_reaches_the_cashier_at_the_next_sale() {
    let rig = rig(at(2026, 10, 12, 12));
    let t2_db = rig.second_terminal();
    assert_no_whole_ids(&t2_db);
    // Terminal 2 sells 王秀英0 a subsidised lunch at 12:00 and syncs it.
    let clock2 = ManualClock::new(at(2026, 10, 12, 12));
    let mut t2 = rig.open(&t2_db, &clock2);
    t2.lookup("200001");
    assert_eq!(t2.price().unwrap().quote.subsidy, Money::from_yuan(6));
    t2.pay(Tender::Cash(Money::from_yuan(6))).unwrap();
    rig.push_from(&t2_db);
    // Terminal 1, not knowing (it did not ask), sells her another at 12:10.
    rig.clock.set(at(2026, 10, 12, 12) + Duration::minutes(10));
    let mut t = rig.terminal();
    t.lookup("200001");
    let sale = t.pay(Tender::Cash(Money::from_yuan(6))).unwrap().sale;
    assert!(t.take_notices().unwrap().is_empty());
    let round = rig.push().unwrap();
    assert_eq!(round.differing, 1, "{round:?}");
    // At the next sale the cashier sees the backend's price.
    let notes = t.take_notices().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    assert!(
        note.contains(&receipts::model::receipt_no(sale.id)),
        "{note}"
    );
    assert!(
        note.contains("￥6.00") && note.contains("￥12.00"),
        "{note}"
    );
    assert!(note.contains("后台核价不同"), "{note}");
    assert!(t.take_notices().unwrap().is_empty(), "shown once");
    // A sale the backend agrees with leaves no notice.
    t.choose(Choice::WalkIn);
    t.pay(Tender::Cash(Money::from_yuan(12))).unwrap();
    assert_eq!(rig.push().unwrap().differing, 0);
    assert!(t.take_notices().unwrap().is_empty());
}

#[test]
fn the_township_answer_comes_from_the_backend_and_offline_falls_back_to_this_terminal() {
    let mut rig = rig(at(2026, 10, 12, 12));
    let t2_db = rig.second_terminal();
    let clock2 = ManualClock::new(at(2026, 10, 12, 12));
    let mut t2 = rig.open(&t2_db, &clock2);
    t2.lookup("200002");
    t2.pay(Tender::Cash(Money::from_yuan(6))).unwrap();
    rig.push_from(&t2_db);

    rig.clock.set(at(2026, 10, 12, 12) + Duration::minutes(10));
    let mut t = rig.terminal();
    let api = Api::new(&rig.base(), &rig.world.terminal_token).unwrap();
    // Someone who ate nowhere: a subsidised meal.
    t.lookup("200003");
    let q = t.meal_question().unwrap();
    assert!(!rig.client_rt.block_on(api.first_meal(&q)).unwrap());
    // The one who ate at terminal 2: the backend says so, standard price.
    t.lookup("200002");
    let q = t.meal_question().unwrap();
    let already = rig.client_rt.block_on(api.first_meal(&q)).unwrap();
    assert!(already);
    t.answer_meal_question(&q, already);
    let p = t.price().unwrap();
    assert!(p.second_meal && p.elsewhere, "{p:?}");
    assert_eq!(p.quote.paid, Money::from_yuan(12));
    let sale = t.pay(Tender::Cash(Money::from_yuan(12))).unwrap().sale;
    // The backend agrees with that price: no notice follows.
    rig.push().unwrap();
    let line = http(
        &rig.client_rt,
        "GET",
        &format!("{}/api/sales/{}", rig.base(), sale.id),
        &rig.world.admin,
        None,
    )["lines"][0]
        .clone();
    assert_eq!(line["verdict"], json!("agrees"), "{line}");
    assert!(t.take_notices().unwrap().is_empty());

    // Offline: the question fails fast and the terminal goes by its own sales.
    rig.kill();
    t.lookup("200002");
    let q = t.meal_question().unwrap();
    let started = std::time::Instant::now();
    assert!(rig.client_rt.block_on(api.first_meal(&q)).is_err());
    let waited = started.elapsed();
    eprintln!("first-meal question with the backend down: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(3), "{waited:?}");
    // Without the answer only this terminal's subsidised meals count: the
    // lunch at terminal 2 is out of sight (the screen says so).
    let p = t.price().unwrap();
    assert_eq!(p.check, pos_terminal::flow::MealCheck::ThisTerminal);
    assert!(!p.second_meal, "{p:?}");
    t.lookup("200004");
    t.pay(Tender::Cash(Money::from_yuan(6))).unwrap();
    t.lookup("200004");
    let p = t.price().unwrap();
    assert_eq!(p.check, pos_terminal::flow::MealCheck::ThisTerminal);
    assert!(p.second_meal && !p.elsewhere, "{p:?}");
}

#[test]
fn a_pin_changed_by_the_administrator_reaches_the_terminal_at_refresh() {
    let rig = rig(at(2026, 10, 12, 12));
    let mut t = rig.terminal();
    t.close_shift(Money::ZERO).unwrap();
    http(
        &rig.client_rt,
        "PUT",
        &format!("{}/api/users/{}/pin", rig.base(), rig.world.cashier),
        &rig.world.admin,
        Some(json!({"pin": "8642"})),
    );
    let api = Api::new(&rig.base(), &rig.world.terminal_token).unwrap();
    let mut store = LocalStore::open(&rig.term_db).unwrap();
    assert!(
        rig.client_rt
            .block_on(pos_terminal::sync::refresh(&mut store, &api))
            .unwrap()
    );
    t.reload().unwrap();
    assert!(matches!(
        t.open_shift(rig.world.cashier, "1234", Money::ZERO),
        Err(pos_terminal::flow::FlowError::WrongPin)
    ));
    t.open_shift(rig.world.cashier, "8642", Money::ZERO)
        .unwrap();
    // No longer a supervisor, and none is named: the terminal's own
    // supervisor PIN (none was set here) is the only way, so voids wait.
    t.lookup("200001");
    let sale = t.pay(Tender::Cash(Money::from_yuan(6))).unwrap().sale;
    assert!(matches!(
        t.void(sale.id, "8642", "按错了"),
        Err(pos_terminal::flow::FlowError::WrongPin)
    ));
}
