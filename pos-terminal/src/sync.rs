//! Talking to the backend: first setup, roster and policy refresh, and the
//! outbox posted in the order recorded, exactly once by id (the backend
//! acknowledges a record it already has as `duplicate`), with backoff while
//! it cannot be reached. Runs on a tokio runtime on its own thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use canteen_core::{Money, PricePolicy, Sale, Void};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::flow::Terminal;
use crate::roster::RosterDiner;
use crate::store::{Cashier, LocalStore, OutboxItem, Pending, SiteSetup, StoreError};

/// Most records posted in one request (the backend takes up to 500).
pub const BATCH: usize = 200;

/// Why a sync round stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The backend could not be reached or did not answer.
    #[error("连接不上后台：{0}")]
    Network(String),
    /// The backend answered with an error.
    #[error("后台出错（{status}）：{message}")]
    Backend {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// The token was refused.
    #[error("后台不接受本机的令牌：请重新设置")]
    Unauthorized,
    /// The local database failed.
    #[error("本机数据库出错：{0}")]
    Store(#[from] StoreError),
}

impl From<reqwest::Error> for SyncError {
    fn from(e: reqwest::Error) -> SyncError {
        SyncError::Network(e.to_string())
    }
}

/// Result of syncing.
pub type SyncResult<T> = Result<T, SyncError>;

/// The backend's terminal API.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

#[derive(Deserialize)]
struct SetupTerminal {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct SetupSite {
    id: i64,
    township_id: i64,
    name: String,
    utc_offset_minutes: i64,
}

#[derive(Deserialize)]
struct SetupBody {
    terminal: SetupTerminal,
    site: SetupSite,
    cashiers: Vec<Cashier>,
    #[serde(default)]
    id_hash_key: Option<String>,
}

#[derive(Deserialize)]
struct RosterBody {
    version: i64,
    full: bool,
    diners: Vec<RosterDiner>,
}

#[derive(Deserialize)]
struct PolicyBody {
    version: i64,
    policies: Vec<PricePolicy>,
}

#[derive(Debug, Deserialize)]
struct ItemStatus {
    id: String,
    status: String,
    #[serde(default)]
    message: Option<String>,
    /// The backend's verdict on each line of a sale it holds.
    #[serde(default)]
    lines: Vec<LineVerdict>,
}

/// The backend's own pricing of one line, beside what the terminal charged.
#[derive(Debug, Deserialize)]
struct LineVerdict {
    line_no: i64,
    verdict: String,
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default)]
    expected_paid: Option<Money>,
    #[serde(default)]
    expected_reason: Option<canteen_core::PriceReason>,
}

#[derive(Deserialize)]
struct FirstMealBody {
    already_subsidised: bool,
}

/// How long the terminal waits for the township-wide second-meal answer:
/// the cashier can sell meanwhile, so the queue never waits on it.
pub const FIRST_MEAL_TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Deserialize)]
struct BatchBody {
    results: Vec<ItemStatus>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
}

impl Api {
    /// The API at `base` (e.g. `http://10.0.0.2:8080`) with the terminal's token.
    pub fn new(base: &str, token: &str) -> SyncResult<Api> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Api {
            client,
            base: base.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
        })
    }

    async fn check(res: reqwest::Response) -> SyncResult<reqwest::Response> {
        let status = res.status();
        if status.is_success() || status.as_u16() == 422 {
            return Ok(res);
        }
        if status.as_u16() == 401 {
            return Err(SyncError::Unauthorized);
        }
        let message = res
            .json::<ErrorBody>()
            .await
            .map(|b| b.message)
            .unwrap_or_default();
        Err(SyncError::Backend {
            status: status.as_u16(),
            message,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> SyncResult<T> {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(Self::check(res).await?.json().await?)
    }

    async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> SyncResult<(u16, serde_json::Value)> {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let res = Self::check(res).await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await?))
    }
}

impl Api {
    /// Asks whether the diner already had a subsidised meal in this slot and
    /// day on any terminal of the township (the backend decides it with
    /// `canteen_core::first_meal`); gives up after [`FIRST_MEAL_TIMEOUT`].
    pub async fn first_meal(&self, q: &crate::flow::MealQuestion) -> SyncResult<bool> {
        let res = self
            .client
            // Every value is URL-safe: digits, a date, a slot's name, and a
            // UTC time ending in Z (no '+').
            .get(format!(
                "{}/api/terminal/first-meal?diner_id={}&business_date={}&slot={}&at={}",
                self.base,
                q.diner_id,
                q.date,
                q.slot.as_str(),
                q.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ))
            .bearer_auth(&self.token)
            .timeout(FIRST_MEAL_TIMEOUT)
            .send()
            .await?;
        let body: FirstMealBody = Self::check(res).await?.json().await?;
        Ok(body.already_subsidised)
    }
}

/// Downloads setup, roster and policies and saves them to the database at
/// `db`: the terminal can sell offline from then on.
pub async fn first_setup(db: &Path, api: &Api) -> SyncResult<SiteSetup> {
    let body: SetupBody = api.get("/api/terminal/setup").await?;
    let roster: RosterBody = api.get("/api/terminal/roster").await?;
    let policies: PolicyBody = api.get("/api/terminal/policies").await?;
    let key = body
        .id_hash_key
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let setup = SiteSetup {
        terminal_id: body.terminal.id,
        terminal_name: body.terminal.name,
        site_id: body.site.id,
        site_name: body.site.name,
        township_id: body.site.township_id,
        utc_offset_minutes: body.site.utc_offset_minutes,
        cashiers: body.cashiers,
        id_hash_key: key,
        roster_version: roster.version,
        policy_version: policies.version,
    };
    Terminal::install(db, &setup, &roster.diners, &policies.policies)
        .map_err(|e| SyncError::Network(e.to_string()))?;
    let store = LocalStore::open(db)?;
    store.set_setting("backend_url", &api.base)?;
    store.set_setting("backend_token", &api.token)?;
    Ok(setup)
}

/// Fetches roster and policy changes since the versions held. True when
/// anything changed.
pub async fn refresh(store: &mut LocalStore, api: &Api) -> SyncResult<bool> {
    let Some(mut setup) = store.setup()? else {
        return Ok(false);
    };
    // Cashiers and their PINs, as an administrator set them.
    let fresh: SetupBody = api.get("/api/terminal/setup").await?;
    let cashiers_changed = fresh.cashiers != setup.cashiers;
    setup.cashiers = fresh.cashiers;
    let roster: RosterBody = api
        .get(&format!(
            "/api/terminal/roster?since={}",
            setup.roster_version
        ))
        .await?;
    let policies: PolicyBody = api.get("/api/terminal/policies").await?;
    let key = crate::flow::hex_key(&setup.id_hash_key);
    let changed = roster.full
        || cashiers_changed
        || !roster.diners.is_empty()
        || policies.version != setup.policy_version
        || roster.version != setup.roster_version;
    let diners: Vec<RosterDiner> = roster
        .diners
        .into_iter()
        .map(|d| d.scrubbed(&key))
        .collect();
    store.save_roster(&diners, roster.full)?;
    if !policies.policies.is_empty() {
        store.save_policies(&policies.policies)?;
    }
    setup.roster_version = roster.version;
    setup.policy_version = policies.version;
    store.save_setup(&setup)?;
    Ok(changed)
}

/// What one round achieved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    /// Records the backend now holds (stored or already there).
    pub acknowledged: usize,
    /// Records it refused (each leaves a notice for the cashier).
    pub refused: usize,
    /// Sale lines the backend priced otherwise than the terminal charged
    /// (each leaves a notice for the cashier).
    pub differing: usize,
}

/// The cashier's notice for a line the backend priced otherwise.
fn differs_notice(sale: &Sale, v: &LineVerdict) -> String {
    let no = receipts::model::receipt_no(sale.id);
    let charged = v
        .amount
        .map(|m| m.with_yuan_sign())
        .unwrap_or_else(|| "?".into());
    let expected = v
        .expected_paid
        .map(|m| m.with_yuan_sign())
        .unwrap_or_else(|| "?".into());
    let why = v
        .expected_reason
        .as_ref()
        .map(|r| format!("（{}）", r.text_zh()))
        .unwrap_or_default();
    format!(
        "后台核价不同：销售 {no} 第{}行，本机收 {charged}，后台应收 {expected}{why}",
        v.line_no
    )
}

fn describe(item: &OutboxItem) -> String {
    match item {
        OutboxItem::Sale(s) => format!("销售 {}", receipts::model::receipt_no(s.id)),
        OutboxItem::Void(v) => format!("作废 {}", receipts::model::receipt_no(v.sale_id)),
        OutboxItem::ShiftOpen(_) => "开班记录".into(),
        OutboxItem::ShiftClose(_) => "结班记录".into(),
    }
}

/// Posts the outbox until it is empty or the backend cannot be reached.
pub async fn push(store: &mut LocalStore, api: &Api) -> SyncResult<Round> {
    let mut round = Round::default();
    loop {
        let pending = store.pending(BATCH)?;
        let Some(first) = pending.first() else {
            return Ok(round);
        };
        match &first.item {
            OutboxItem::Sale(_) => {
                let run: Vec<&Pending> = pending
                    .iter()
                    .take_while(|p| matches!(p.item, OutboxItem::Sale(_)))
                    .collect();
                let sales: Vec<&Sale> = run
                    .iter()
                    .filter_map(|p| match &p.item {
                        OutboxItem::Sale(s) => Some(s.as_ref()),
                        _ => None,
                    })
                    .collect();
                let (_, body) = api
                    .post("/api/terminal/sales", &json!({ "sales": sales }))
                    .await?;
                settle(store, &run, body, &mut round)?;
            }
            OutboxItem::Void(_) => {
                let run: Vec<&Pending> = pending
                    .iter()
                    .take_while(|p| matches!(p.item, OutboxItem::Void(_)))
                    .collect();
                let voids: Vec<&Void> = run
                    .iter()
                    .filter_map(|p| match &p.item {
                        OutboxItem::Void(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                let (_, body) = api
                    .post("/api/terminal/voids", &json!({ "voids": voids }))
                    .await?;
                settle(store, &run, body, &mut round)?;
            }
            OutboxItem::ShiftOpen(s) => {
                let r = api
                    .post(
                        "/api/terminal/shifts",
                        &json!({
                            "id": s.id,
                            "cashier_id": s.cashier_id,
                            "opened_at": s.opened_at,
                            "opening_float": Money::from_fen(s.opening_float),
                        }),
                    )
                    .await;
                one(store, first, r, &mut round)?;
            }
            OutboxItem::ShiftClose(s) => {
                let r = api
                    .post(
                        &format!("/api/terminal/shifts/{}/close", s.id),
                        &json!({
                            "closed_at": s.closed_at.unwrap_or(s.opened_at),
                            "counted_cash": Money::from_fen(s.counted_cash.unwrap_or(0)),
                        }),
                    )
                    .await;
                one(store, first, r, &mut round)?;
            }
        }
    }
}

fn one(
    store: &mut LocalStore,
    p: &Pending,
    r: SyncResult<(u16, serde_json::Value)>,
    round: &mut Round,
) -> SyncResult<()> {
    match r {
        Ok(_) => round.acknowledged += 1,
        // The backend understood and refused: retrying cannot help.
        Err(SyncError::Backend { status, message }) if (400..500).contains(&status) => {
            store.add_notice(&format!("后台未接受{}：{message}", describe(&p.item)))?;
            round.refused += 1;
        }
        Err(e) => return Err(e),
    }
    store.mark_sent(&[p.seq], Utc::now())?;
    Ok(())
}

fn settle(
    store: &mut LocalStore,
    run: &[&Pending],
    body: serde_json::Value,
    round: &mut Round,
) -> SyncResult<()> {
    let body: BatchBody = serde_json::from_value(body).map_err(|e| SyncError::Backend {
        status: 200,
        message: format!("unreadable answer: {e}"),
    })?;
    let mut done = Vec::new();
    for p in run {
        let id = match &p.item {
            OutboxItem::Sale(s) => s.id.0.to_string(),
            OutboxItem::Void(v) => v.id.0.to_string(),
            _ => continue,
        };
        let Some(r) = body.results.iter().find(|r| r.id == id) else {
            continue;
        };
        match r.status.as_str() {
            "stored" | "duplicate" => {
                round.acknowledged += 1;
                if let OutboxItem::Sale(sale) = &p.item {
                    for v in r.lines.iter().filter(|v| v.verdict == "differs") {
                        store.add_notice(&differs_notice(sale, v))?;
                        round.differing += 1;
                    }
                }
            }
            _ => {
                store.add_notice(&format!(
                    "后台未接受{}：{}",
                    describe(&p.item),
                    r.message.clone().unwrap_or_else(|| r.status.clone())
                ))?;
                round.refused += 1;
            }
        }
        done.push(p.seq);
    }
    if done.is_empty() {
        return Err(SyncError::Backend {
            status: 200,
            message: "the answer names none of the records sent".into(),
        });
    }
    store.mark_sent(&done, Utc::now())?;
    Ok(())
}

/// What the worker tells the UI after each round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// The backend answered this round.
    pub online: bool,
    /// Records still waiting.
    pub outbox: i64,
    /// Roster or policies changed: the terminal should reload.
    pub refreshed: bool,
    /// Why the last round failed.
    pub error: Option<String>,
    /// When the round ended.
    pub at: DateTime<Utc>,
}

/// The background sync: a tokio runtime on its own thread.
pub struct SyncWorker {
    stop: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
    api: Api,
}

impl SyncWorker {
    /// Starts syncing the database at `db` with `api`; `report` gets every
    /// round's status (call `slint::invoke_from_event_loop` in it for the UI).
    pub fn start(
        db: PathBuf,
        api: Api,
        report: impl Fn(SyncStatus) + Send + 'static,
    ) -> std::io::Result<SyncWorker> {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(tokio::sync::Notify::new());
        let (s, w) = (stop.clone(), wake.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let runtime = rt.handle().clone();
        let worker_api = api.clone();
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                // The questions asked with `ask` run on this runtime too,
                // beside the rounds.
                rt.block_on(run(db, worker_api, s, w, report));
            })?;
        Ok(SyncWorker {
            stop,
            wake,
            thread: Some(thread),
            runtime,
            api,
        })
    }

    /// Asks the backend the second-meal question in the background;
    /// `answer` gets `Some(already)`, or `None` when the backend could not
    /// be asked in time (the terminal then goes by its own sales).
    pub fn ask(
        &self,
        question: crate::flow::MealQuestion,
        answer: impl FnOnce(Option<bool>) + Send + 'static,
    ) {
        let api = self.api.clone();
        self.runtime.spawn(async move {
            answer(api.first_meal(&question).await.ok());
        });
    }

    /// Asks for a round now (after a sale).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Stops after the current request.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

const REFRESH_EVERY: Duration = Duration::from_secs(300);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

async fn run(
    db: PathBuf,
    api: Api,
    stop: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    report: impl Fn(SyncStatus),
) {
    let mut store = match LocalStore::open(&db) {
        Ok(s) => s,
        Err(e) => {
            report(SyncStatus {
                online: false,
                outbox: -1,
                refreshed: false,
                error: Some(e.to_string()),
                at: Utc::now(),
            });
            return;
        }
    };
    let mut backoff = Duration::from_millis(200);
    let mut last_refresh: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        let mut refreshed = false;
        let mut result = push(&mut store, &api).await.map(|_| ());
        if result.is_ok() && last_refresh.is_none_or(|t| t.elapsed() >= REFRESH_EVERY) {
            match refresh(&mut store, &api).await {
                Ok(changed) => {
                    refreshed = changed;
                    last_refresh = Some(std::time::Instant::now());
                }
                Err(e) => result = Err(e),
            }
        }
        let outbox = store.outbox_count().unwrap_or(-1);
        let online = result.is_ok();
        report(SyncStatus {
            online,
            outbox,
            refreshed,
            error: result.err().map(|e| e.to_string()),
            at: Utc::now(),
        });
        let wait = if online {
            backoff = Duration::from_millis(200);
            Duration::from_secs(5)
        } else {
            let w = backoff;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            w
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}
