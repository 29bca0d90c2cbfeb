//! Kill test: the real server process is killed with SIGKILL while clients
//! post batches; after a restart, retrying the batches that were not
//! acknowledged leaves exactly the sales that were posted, to the fen.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::store::Db;
use canteen_core::{Money, Sale, SaleLine};
use helpers::{Backend, TestApp, World, batch, fresh_config, login, world};
use reqwest::Client;
use tokio::sync::Mutex;

struct Server {
    child: Child,
    base: String,
    admin_password: Option<String>,
}

/// Every batch ever sent, and whether the server acknowledged it.
type Sent = Arc<Mutex<Vec<(Vec<Sale>, bool)>>>;

// The caller kills and waits for the child; a failed start ends the test.
#[allow(clippy::zombie_processes)]
fn start(args: &[String]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(args)
        .env("CANTEEN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the backend starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut admin_password = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "the backend did not start in time"
        );
        let line = lines
            .next()
            .expect("the backend printed its address")
            .expect("utf-8");
        if let Some(rest) = line.trim().strip_prefix("password: ") {
            admin_password = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.split("serving on http://").nth(1) {
            let addr = rest.split_whitespace().next().expect("address");
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return Server {
                child,
                base: format!("http://{addr}"),
                admin_password,
            };
        }
    }
}

/// A sale with an amount that varies with `n`, so the total checks every fen.
fn varied(w: &World, n: usize) -> Sale {
    let mut s = if n.is_multiple_of(3) {
        w.walk_in()
    } else {
        w.lunch(w.diner_76)
    };
    s.lines.push(SaleLine::Extra {
        name: "鸡蛋".into(),
        unit_price: Money::from_fen(150 + (n % 7) as i64),
        quantity: 1 + (n % 3) as u32,
    });
    if let canteen_core::Payment::Cash { .. } = s.payment {
        let total = s.total_paid().expect("total");
        s.payment = canteen_core::Payment::Cash {
            tendered: total,
            change: Money::ZERO,
        };
    }
    s
}

async fn kill_and_retry(kind: Backend) {
    let Some((config, _dir)) = fresh_config(kind) else {
        eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
        return;
    };
    let mut args = vec![
        "--listen".to_string(),
        "127.0.0.1:0".into(),
        "--database-url".into(),
        config.database_url(),
    ];
    if let Some(schema) = &config.database_schema {
        args.extend(["--database-schema".into(), schema.clone()]);
    }
    let mut server = start(&args);
    let client = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let password = server
        .admin_password
        .clone()
        .expect("first start prints the admin password");
    let store = Db::connect(&config.database_url(), config.database_schema.as_deref(), 2)
        .await
        .expect("store");
    let admin_token = login(&client, &server.base, "admin", &password).await;
    let app = TestApp {
        base: server.base.clone(),
        client: client.clone(),
        store: store.clone(),
        admin_token,
        _scratch: None,
    };
    let w = Arc::new(world(&app).await);

    // Every batch ever sent, and whether the server acknowledged it.
    let sent: Sent = Arc::new(Mutex::new(Vec::new()));
    let mut counter = 0usize;
    for round in 0..3 {
        let base = Arc::new(server.base.clone());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut posters = tokio::task::JoinSet::new();
        for p in 0..4 {
            let (w, sent, base, client, stop) = (
                w.clone(),
                sent.clone(),
                base.clone(),
                client.clone(),
                stop.clone(),
            );
            let start_n = counter + p * 100_000;
            posters.spawn(async move {
                let mut n = start_n;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let sales: Vec<Sale> = (0..10).map(|i| varied(&w, n + i)).collect();
                    n += 10;
                    let index = {
                        let mut s = sent.lock().await;
                        s.push((sales.clone(), false));
                        s.len() - 1
                    };
                    let res = client
                        .post(format!("{base}/api/terminal/sales"))
                        .bearer_auth(&w.terminal_token)
                        .json(&batch(&sales))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status().is_success() => sent.lock().await[index].1 = true,
                        Ok(r) => panic!("a good batch was refused: {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            });
        }
        counter += 1_000_000;
        tokio::time::sleep(Duration::from_millis(400 + 300 * round)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        while let Some(r) = posters.join_next().await {
            r.expect("poster");
        }
        server = start(&args);
        assert!(server.admin_password.is_none(), "a restart keeps the data");
    }

    // Nothing acknowledged was lost.
    let all = sent.lock().await.clone();
    for (sales, ok) in &all {
        if *ok {
            for sale in sales {
                assert!(
                    store.sale(sale.id).await.expect("read").is_some(),
                    "acknowledged sale {} lost",
                    sale.id
                );
            }
        }
    }
    // Retry what was not acknowledged; re-post everything else too.
    let unacknowledged = all.iter().filter(|(_, ok)| !ok).count();
    assert!(
        all.iter().filter(|(_, ok)| *ok).count() > 0,
        "some batches went through before the kills"
    );
    for (sales, _) in &all {
        let res = client
            .post(format!("{}/api/terminal/sales", server.base))
            .bearer_auth(&w.terminal_token)
            .json(&batch(sales))
            .send()
            .await
            .expect("retry");
        assert!(res.status().is_success(), "retry: {}", res.status());
    }
    let expected_count = all.iter().map(|(s, _)| s.len()).sum::<usize>() as i64;
    let expected_fen: i64 = all
        .iter()
        .flat_map(|(s, _)| s.iter())
        .map(|s| s.total_paid().expect("total").fen())
        .sum();
    assert_eq!(
        store.sales_totals().await.expect("totals"),
        (expected_count, canteen_core::Money::from_fen(expected_fen))
    );
    eprintln!(
        "{kind:?}: {} batches, {unacknowledged} unacknowledged at a kill, {expected_count} sales, {expected_fen} fen",
        all.len()
    );
    server.child.kill().ok();
    server.child.wait().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_server_loses_and_doubles_nothing_sqlite() {
    kill_and_retry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_server_loses_and_doubles_nothing_postgres() {
    kill_and_retry(Backend::Postgres).await;
}

/// SIGTERM: the server stops taking connections, finishes the requests in
/// flight, and exits cleanly; every acknowledged sale is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_in_flight() {
    let (config, _dir) = fresh_config(Backend::Sqlite).expect("sqlite");
    let args = vec![
        "--listen".to_string(),
        "127.0.0.1:0".into(),
        "--database-url".into(),
        config.database_url(),
    ];
    let mut server = start(&args);
    let client = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let password = server.admin_password.clone().expect("password");
    let store = Db::connect(&config.database_url(), None, 2)
        .await
        .expect("store");
    let admin_token = login(&client, &server.base, "admin", &password).await;
    let app = TestApp {
        base: server.base.clone(),
        client: client.clone(),
        store: store.clone(),
        admin_token,
        _scratch: None,
    };
    let w = Arc::new(world(&app).await);
    let mut posters = tokio::task::JoinSet::new();
    for p in 0..6 {
        let (w, base) = (w.clone(), server.base.clone());
        posters.spawn(async move {
            // A fresh connection per request: no idle keep-alive to race with.
            let client = Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("client");
            let mut acknowledged = 0i64;
            for round in 0..50 {
                let sales: Vec<Sale> = (0..100)
                    .map(|i| varied(&w, p * 10_000 + round * 100 + i))
                    .collect();
                let res = client
                    .post(format!("{base}/api/terminal/sales"))
                    .bearer_auth(&w.terminal_token)
                    .json(&batch(&sales))
                    .send()
                    .await;
                match res {
                    Ok(r) => {
                        assert!(r.status().is_success(), "{}", r.status());
                        acknowledged += 100;
                    }
                    // Refused or reset before the server took the request:
                    // then it must not be stored (checked below).
                    Err(_) => break,
                }
            }
            acknowledged
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let mut acknowledged = 0;
    while let Some(r) = posters.join_next().await {
        acknowledged += r.expect("poster");
    }
    let exit = server.child.wait().expect("exit");
    assert!(exit.success(), "clean exit: {exit:?}");
    let (stored, _) = store.sales_totals().await.expect("totals");
    assert!(acknowledged > 0);
    assert_eq!(
        stored, acknowledged,
        "every acknowledged batch is stored, nothing more"
    );
}

/// `--reset-admin` gives a lost administrator a new password and exits.
#[tokio::test]
async fn reset_admin_prints_a_working_password() {
    let (config, _dir) = fresh_config(Backend::Sqlite).expect("sqlite");
    let url = config.database_url();
    let out = Command::new(env!("CARGO_BIN_EXE_backend"))
        .args([
            "--database-url",
            &url,
            "--reset-admin",
            "admin",
            "--create-admin",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let password = text
        .trim()
        .rsplit(' ')
        .next()
        .expect("password")
        .to_string();
    let mut server = start(&[
        "--listen".to_string(),
        "127.0.0.1:0".into(),
        "--database-url".into(),
        url,
    ]);
    assert!(server.admin_password.is_none(), "the admin exists already");
    let client = Client::new();
    login(&client, &server.base, "admin", &password).await;
    server.child.kill().ok();
    server.child.wait().ok();
}
