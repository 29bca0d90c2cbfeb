//! The terminal API: setup, roster and policy downloads (whole or since a
//! version), sales and voids in batches (idempotent by id, each with its
//! own status), and shifts with the counted cash.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canteen_core::first_meal::{MealOrder, is_first_sold};
use canteen_core::{
    CategoryGrant, DinerId, Money, PricePolicy, Sale, SaleId, ShiftId, Slot, UserId, Void, id_hash,
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query, TerminalCaller};
use super::openapi::{Always, BadRequest, JsonBody, NotFound, TerminalAuth};
use super::sales::SaleLineView;
use super::views::{SiteView, TerminalView, local};
use crate::domain::{StoredDataError, diner_from_row, policy_book};
use crate::ingest::{MAX_BATCH, canonical, prepare_sales, prepare_voids};
use crate::roles::Role;
use crate::store::{CloseOutcome, Outcome, ReceivedAt, ShiftRow, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(roster))
        .routes(routes!(policies))
        .routes(routes!(first_meal))
        .routes(routes!(post_sales))
        .routes(routes!(post_voids))
        .routes(routes!(open_shift))
        .routes(routes!(close_shift))
}

/// A cashier who may sign in at the terminal.
#[derive(Serialize, ToSchema)]
struct Cashier {
    id: i64,
    display_name: String,
    /// argon2id PHC string of the cashier's PIN, checked on the terminal
    /// offline; absent until an administrator sets one
    /// (`PUT /api/users/{id}/pin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pin_hash: Option<String>,
    /// A supervisor's PIN approves voids.
    supervisor: bool,
}

/// What a terminal needs to start.
#[derive(Serialize, ToSchema)]
struct Setup {
    /// This terminal.
    terminal: TerminalView,
    /// Its site.
    site: SiteView,
    /// The site's active cashiers.
    cashiers: Vec<Cashier>,
    /// Current roster version.
    roster_version: i64,
    /// Current policy version.
    policy_version: i64,
    /// The township's key (64 hex digits) for the keyed hash of resident ID
    /// numbers (HMAC-SHA-256, `canteen_core::id_hash`): the roster carries
    /// only hashes, and the terminal hashes a typed number to match.
    id_hash_key: String,
}

/// The terminal itself, its site, its cashiers and the current versions.
#[utoipa::path(get, path = "/api/terminal/setup", tag = "terminal",
    responses(
        (status = 200, description = "What the terminal needs to start", body = Setup),
        TerminalAuth, Always,
    ),
    security(("bearer" = [])))]
async fn setup(
    State(state): State<AppState>,
    caller: TerminalCaller,
) -> Result<Json<Setup>, ApiError> {
    let cashiers = state
        .store
        .terminal_cashiers(caller.site.township_id, caller.site.id)
        .await?
        .into_iter()
        .map(|c| Cashier {
            id: c.id.0,
            display_name: c.display_name,
            pin_hash: c.pin_hash,
            supervisor: c.supervisor,
        })
        .collect();
    let (roster_version, policy_version) = state.store.versions().await?;
    let id_hash_key = township_key(&state, caller.site.township_id).await?;
    Ok(Json(Setup {
        terminal: caller.terminal.into(),
        site: caller.site.try_into()?,
        cashiers,
        roster_version,
        policy_version,
        id_hash_key,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Since {
    /// The version last downloaded; 0 or absent for everything.
    #[serde(default)]
    #[param(minimum = 0)]
    since: i64,
}

impl Since {
    fn check(&self) -> Result<(), ApiError> {
        if self.since < 0 {
            return Err(ApiError::BadRequest(
                "bad_query",
                "since is a version number, 0 or more".into(),
            ));
        }
        Ok(())
    }
}

async fn township_key(
    state: &AppState,
    township_id: canteen_core::TownshipId,
) -> Result<String, ApiError> {
    Ok(state
        .store
        .township_id_hash_key(township_id, &crate::auth::random_hex(32))
        .await?)
}

/// The key's bytes from its hex form.
fn key_bytes(hex: &str) -> Result<Vec<u8>, ApiError> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| ApiError::Internal("the township's ID-hash key is not hex".into()))
        })
        .collect()
}

/// A diner as terminals get them: never the whole resident ID number, only
/// its keyed hash and masked form.
#[derive(Serialize, ToSchema)]
struct TerminalDiner {
    /// Roster id.
    id: DinerId,
    /// Name.
    name: String,
    /// HMAC-SHA-256 of the ID number under the township's key (`id_hash_key`
    /// of the setup), 64 hex digits; absent for a diner without a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_hash: Option<String>,
    /// The ID number masked (first 6 and last 2 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    id_masked: Option<String>,
    /// Birth date (from the ID number when there is one): the terminal
    /// prices by age on the meal's date. Not shown beside the masked number.
    birth_date: Option<NaiveDate>,
    /// Village, from the ledger.
    village: Option<String>,
    /// Meal-card number, if a card was issued.
    card_no: Option<String>,
    /// Registered on the roster from this date.
    active_from: Option<NaiveDate>,
    /// Inactive from this date.
    inactive_since: Option<NaiveDate>,
    /// Special categories with their periods.
    categories: Vec<CategoryGrant>,
}

/// The township's roster, whole or the changes since a version.
#[derive(Serialize, ToSchema)]
struct RosterDownload {
    /// Ask with `since=version` next time.
    version: i64,
    /// True when this is the whole roster, not just the changes.
    full: bool,
    /// Diners added or changed.
    diners: Vec<TerminalDiner>,
}

/// The roster of the terminal's township, whole or changed since a version.
#[utoipa::path(get, path = "/api/terminal/roster", tag = "terminal",
    params(Since),
    responses(
        (status = 200, description = "Diners, whole or the changes", body = RosterDownload),
        TerminalAuth, BadRequest, Always,
    ),
    security(("bearer" = [])))]
async fn roster(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Query(q): Query<Since>,
) -> Result<Json<RosterDownload>, ApiError> {
    q.check()?;
    // The version is read first: a change made meanwhile comes again next time.
    let (version, _) = state.store.versions().await?;
    let rows = state
        .store
        .diners_since(caller.site.township_id, q.since.max(0))
        .await?;
    let key = key_bytes(&township_key(&state, caller.site.township_id).await?)?;
    let diners = rows
        .iter()
        .map(|row| {
            let d = diner_from_row(row)?;
            Ok(TerminalDiner {
                id: d.id,
                birth_date: d.birth_date(),
                id_hash: d.resident_id.as_ref().map(|r| id_hash(&key, r)),
                id_masked: d.resident_id.as_ref().map(|r| r.masked()),
                name: d.name,
                village: d.village,
                card_no: d.card_no,
                active_from: d.active_from,
                inactive_since: d.inactive_since,
                categories: d.categories,
            })
        })
        .collect::<Result<Vec<_>, StoredDataError>>()
        .map_err(StoreError::from)?;
    Ok(Json(RosterDownload {
        version,
        full: q.since <= 0,
        diners,
    }))
}

/// The site's price policies, whole or the changes since a version.
#[derive(Serialize, ToSchema)]
struct PolicyDownload {
    /// Ask with `since=version` next time.
    version: i64,
    /// True when these are all the policies, not just the changes.
    full: bool,
    /// Policy versions added or changed.
    policies: Vec<PricePolicy>,
}

/// The price policies of the terminal's site, whole or changed since a version.
#[utoipa::path(get, path = "/api/terminal/policies", tag = "terminal",
    params(Since),
    responses(
        (status = 200, description = "Policies, whole or the changes", body = PolicyDownload),
        TerminalAuth, BadRequest, Always,
    ),
    security(("bearer" = [])))]
async fn policies(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Query(q): Query<Since>,
) -> Result<Json<PolicyDownload>, ApiError> {
    q.check()?;
    let (_, version) = state.store.versions().await?;
    let rows = state
        .store
        .policies_since(caller.site.id, q.since.max(0))
        .await?;
    Ok(Json(PolicyDownload {
        version,
        full: q.since <= 0,
        policies: policy_book(&rows)
            .map_err(StoreError::from)?
            .versions()
            .to_vec(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FirstMealQuery {
    /// The diner about to be served.
    diner_id: i64,
    /// The meal's business date (`YYYY-MM-DD`).
    business_date: NaiveDate,
    /// The meal's slot.
    slot: Slot,
    /// When the terminal would sell it, by its clock (RFC 3339); now when
    /// absent.
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

/// Whether a meal sold now would be the diner's subsidised one.
#[derive(Serialize, ToSchema)]
struct FirstMealAnswer {
    /// True when the diner already had a subsidised meal in this slot and
    /// day at a site of the township (a sale not voided, sold earlier): the
    /// meal is at the standard price.
    already_subsidised: bool,
    /// How many subsidised meals of the diner's slot and day the backend
    /// holds.
    meals: usize,
}

/// Asks, before selling, whether the diner already had a subsidised meal in
/// this slot and day on any terminal of the township (decided by
/// `canteen_core::first_meal`, as the backend's verdict and the claim are).
#[utoipa::path(get, path = "/api/terminal/first-meal", tag = "terminal",
    params(FirstMealQuery),
    responses(
        (status = 200, description = "Whether the meal would be the diner's subsidised one", body = FirstMealAnswer),
        TerminalAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn first_meal(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Query(q): Query<FirstMealQuery>,
) -> Result<Json<FirstMealAnswer>, ApiError> {
    let township = caller.site.township_id;
    if state
        .store
        .diners_by_ids(township, vec![DinerId(q.diner_id)])
        .await?
        .is_empty()
    {
        return Err(ApiError::not_found("diner"));
    }
    let others = state
        .store
        .meal_contest(township, DinerId(q.diner_id), q.business_date, q.slot)
        .await?;
    // The meal about to be sold, last of any sold at the same instant.
    let meal = MealOrder {
        sold_at: q.at.unwrap_or_else(Utc::now),
        sale_id: SaleId(uuid::Uuid::max()),
        line_index: usize::MAX,
    };
    Ok(Json(FirstMealAnswer {
        already_subsidised: !is_first_sold(meal, others.iter().copied()),
        meals: others.len(),
    }))
}

/// What became of one posted record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ItemOutcome {
    /// Stored now.
    Stored,
    /// Already stored with the same content: acknowledged, not stored again.
    Duplicate,
    /// Already stored with other content: refused, the stored one unchanged.
    Conflict,
    /// Refused for the reason given.
    Rejected,
}

/// What became of one posted sale or void.
#[derive(Debug, Serialize, ToSchema)]
struct ItemStatus {
    /// The record's id.
    id: String,
    /// What became of it.
    status: ItemOutcome,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// For a sale stored (now or before): each line with the backend's own
    /// price and verdict beside what the terminal charged, so the terminal
    /// can tell the cashier when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<SaleLineView>>,
}

/// Each record's own status; `code` and `message` only when some were refused.
#[derive(Serialize, ToSchema)]
struct BatchResult {
    /// `batch_has_refusals` when some were refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    /// How many were refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// How many were refused, in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    message_zh: Option<String>,
    /// One status per record, in the order posted.
    results: Vec<ItemStatus>,
}

/// The answer 422 of a batch: some records refused (each with its status),
/// or the batch itself refused (empty, too large, or a record that cannot
/// be read).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum BatchRefusal {
    /// Some records refused; the others were stored all the same.
    Items(BatchResult),
    /// The batch itself refused.
    Whole(ErrorBody),
}

fn item(id: String, outcome: Outcome) -> ItemStatus {
    match outcome {
        Outcome::Stored => ItemStatus {
            id,
            status: ItemOutcome::Stored,
            message: None,
            lines: None,
        },
        Outcome::Duplicate => ItemStatus {
            id,
            status: ItemOutcome::Duplicate,
            message: None,
            lines: None,
        },
        Outcome::Conflict => ItemStatus {
            id,
            status: ItemOutcome::Conflict,
            message: Some(
                "a record with this id is already stored with other content; it was not changed"
                    .into(),
            ),
            lines: None,
        },
        Outcome::Rejected(m) => ItemStatus {
            id,
            status: ItemOutcome::Rejected,
            message: Some(m),
            lines: None,
        },
    }
}

/// 200 when every item was stored or acknowledged; 422 when any was
/// refused (the others are stored all the same: each has its own status).
fn batch_response(results: Vec<ItemStatus>) -> Response {
    let refused = results
        .iter()
        .filter(|r| matches!(r.status, ItemOutcome::Conflict | ItemOutcome::Rejected))
        .count();
    if refused == 0 {
        return (
            StatusCode::OK,
            axum::Json(BatchResult {
                code: None,
                message: None,
                message_zh: None,
                results,
            }),
        )
            .into_response();
    }
    let body = BatchResult {
        code: Some("batch_has_refusals"),
        message: Some(format!(
            "{refused} of {} records were refused; see each result",
            results.len()
        )),
        message_zh: Some(format!(
            "共 {} 条记录，其中 {refused} 条被拒收，其余已保存，详见各条结果。",
            results.len()
        )),
        results,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

fn check_batch_size(n: usize) -> Result<(), ApiError> {
    if n == 0 {
        return Err(ApiError::invalid("the batch is empty"));
    }
    if n > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "at most {MAX_BATCH} records per batch; this one has {n}"
        )));
    }
    Ok(())
}

/// Sales to store.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SalesBatch {
    /// 1 to 500 sales.
    #[schema(min_items = 1, max_items = 500)]
    sales: Vec<Sale>,
}

/// Posts sales, idempotent by id: each gets its own status, and a refused
/// one never keeps the others from being stored.
#[utoipa::path(post, path = "/api/terminal/sales", tag = "terminal",
    request_body = SalesBatch,
    responses(
        (status = 200, description = "Every sale stored or already stored", body = BatchResult),
        TerminalAuth, JsonBody, Always,
        (status = 422, description = "Some sales refused (each has its status; the others were stored), or the batch itself refused", body = BatchRefusal),
    ),
    security(("bearer" = [])))]
async fn post_sales(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Json(batch): Json<SalesBatch>,
) -> Result<Response, ApiError> {
    check_batch_size(batch.sales.len())?;
    let now = Utc::now();
    let prepared = prepare_sales(
        &state.store,
        &caller.terminal,
        &caller.site,
        &batch.sales,
        now,
    )
    .await?;
    let mut results: Vec<Option<ItemStatus>> = Vec::with_capacity(prepared.len());
    let mut to_store = Vec::new();
    let mut slots = Vec::new();
    for (i, (sale, p)) in batch.sales.iter().zip(prepared).enumerate() {
        match p {
            Ok(s) => {
                to_store.push(s);
                slots.push(i);
                results.push(None);
            }
            Err(reason) => {
                // A sale stored earlier is acknowledged even when it would no
                // longer pass (a cashier since deactivated): retries must settle.
                let stored = state.store.sale(sale.id).await?;
                let outcome = match stored {
                    Some(s) if canonical(sale).is_ok_and(|body| body == s.body) => {
                        Outcome::Duplicate
                    }
                    Some(_) => Outcome::Conflict,
                    None => Outcome::Rejected(reason.to_string()),
                };
                results.push(Some(item(sale.id.to_string(), outcome)));
            }
        }
    }
    if !to_store.is_empty() {
        let ids: Vec<String> = to_store.iter().map(|s| s.id.to_string()).collect();
        let outcomes = state.store.insert_sales(to_store, ReceivedAt::Now).await?;
        for ((slot, id), outcome) in slots.into_iter().zip(ids).zip(outcomes) {
            results[slot] = Some(item(id, outcome));
        }
    }
    let mut results: Vec<ItemStatus> = results.into_iter().flatten().collect();
    with_verdicts(&state, &mut results).await?;
    Ok(batch_response(results))
}

/// Adds the backend's verdict on each line to the sales it holds.
async fn with_verdicts(state: &AppState, results: &mut [ItemStatus]) -> Result<(), ApiError> {
    let held: Vec<SaleId> = results
        .iter()
        .filter(|r| matches!(r.status, ItemOutcome::Stored | ItemOutcome::Duplicate))
        .filter_map(|r| r.id.parse().ok().map(SaleId))
        .collect();
    if held.is_empty() {
        return Ok(());
    }
    let mut by_sale: std::collections::HashMap<String, Vec<SaleLineView>> =
        std::collections::HashMap::new();
    for row in state.store.sale_lines_of(&held).await? {
        let sale = row.sale_id.to_string();
        by_sale.entry(sale).or_default().push(row.try_into()?);
    }
    for r in results.iter_mut() {
        if let Some(lines) = by_sale.remove(&r.id) {
            r.lines = Some(lines);
        }
    }
    Ok(())
}

/// Voids to store.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VoidsBatch {
    /// 1 to 500 voids.
    #[schema(min_items = 1, max_items = 500)]
    voids: Vec<Void>,
}

/// Posts voids, idempotent by id, each with its own status.
#[utoipa::path(post, path = "/api/terminal/voids", tag = "terminal",
    request_body = VoidsBatch,
    responses(
        (status = 200, description = "Every void stored or already stored", body = BatchResult),
        TerminalAuth, JsonBody, Always,
        (status = 422, description = "Some voids refused (each has its status; the others were stored), or the batch itself refused", body = BatchRefusal),
    ),
    security(("bearer" = [])))]
async fn post_voids(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Json(batch): Json<VoidsBatch>,
) -> Result<Response, ApiError> {
    check_batch_size(batch.voids.len())?;
    let prepared =
        prepare_voids(&state.store, &caller.terminal, &caller.site, &batch.voids).await?;
    let mut results: Vec<Option<ItemStatus>> = Vec::new();
    let mut to_store = Vec::new();
    let mut slots = Vec::new();
    for (i, (v, p)) in batch.voids.iter().zip(prepared).enumerate() {
        match p {
            Ok(s) => {
                to_store.push(s);
                slots.push(i);
                results.push(None);
            }
            Err(reason) => results.push(Some(item(
                v.id.to_string(),
                Outcome::Rejected(reason.to_string()),
            ))),
        }
    }
    if !to_store.is_empty() {
        let ids: Vec<String> = to_store.iter().map(|s| s.id.to_string()).collect();
        let outcomes = state.store.insert_voids(to_store, ReceivedAt::Now).await?;
        for ((slot, id), outcome) in slots.into_iter().zip(ids).zip(outcomes) {
            results[slot] = Some(item(id, outcome));
        }
    }
    Ok(batch_response(results.into_iter().flatten().collect()))
}

/// A shift opened at the terminal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OpenShift {
    /// Id made on the terminal.
    id: uuid::Uuid,
    /// The cashier.
    cashier_id: i64,
    /// When, by the terminal's clock.
    opened_at: DateTime<Utc>,
    /// Cash in the drawer at opening.
    opening_float: Money,
}

/// Whether the shift was stored now or already.
#[derive(Serialize, ToSchema)]
struct ShiftStatus {
    /// The shift's id.
    id: String,
    /// Stored now or already stored.
    status: ItemOutcome,
}

/// Opens a shift, idempotent by id.
#[utoipa::path(post, path = "/api/terminal/shifts", tag = "terminal",
    request_body = OpenShift,
    responses(
        (status = 201, description = "Stored", body = ShiftStatus),
        (status = 200, description = "Already stored with the same details", body = ShiftStatus),
        TerminalAuth, JsonBody, super::openapi::Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn open_shift(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Json(req): Json<OpenShift>,
) -> Result<(StatusCode, Json<ShiftStatus>), ApiError> {
    if req.opening_float.is_negative() {
        return Err(ApiError::invalid("the opening float cannot be negative"));
    }
    crate::ingest::check_amount("the opening float", req.opening_float)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let cashier = state.store.user(UserId(req.cashier_id)).await?;
    if !cashier
        .is_some_and(|u| u.active && u.role == Role::Cashier && u.site_id == Some(caller.site.id))
    {
        return Err(ApiError::invalid(format!(
            "user {} is not an active cashier of this site",
            req.cashier_id
        )));
    }
    let outcome = state
        .store
        .open_shift(ShiftRow {
            id: ShiftId(req.id),
            township_id: caller.site.township_id,
            site_id: caller.site.id,
            terminal_id: caller.terminal.id,
            cashier_id: UserId(req.cashier_id),
            opened_at: req.opened_at,
            opening_float: req.opening_float,
            closed_at: None,
            close_received_at: None,
            counted_cash: None,
            expected_cash: None,
        })
        .await?;
    match outcome {
        Outcome::Stored => Ok((
            StatusCode::CREATED,
            Json(ShiftStatus {
                id: req.id.to_string(),
                status: ItemOutcome::Stored,
            }),
        )),
        Outcome::Duplicate => Ok((
            StatusCode::OK,
            Json(ShiftStatus {
                id: req.id.to_string(),
                status: ItemOutcome::Duplicate,
            }),
        )),
        Outcome::Conflict | Outcome::Rejected(_) => Err(ApiError::Invalid(
            "conflict",
            "a shift with this id is already open with other details".into(),
        )),
    }
}

/// The closing count.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CloseShift {
    /// When, by the terminal's clock.
    closed_at: DateTime<Utc>,
    /// Cash counted in the drawer.
    counted_cash: Money,
}

/// A closed shift and its cash.
#[derive(Serialize, ToSchema)]
struct ShiftClosed {
    /// The shift's id.
    id: String,
    /// When it opened, in the site's offset.
    opened_at: DateTime<FixedOffset>,
    /// When it closed, in the site's offset.
    closed_at: Option<DateTime<FixedOffset>>,
    /// Cash in the drawer at opening.
    opening_float: Money,
    /// Opening float plus the cash of the shift's sales that are not voided.
    expected_cash: Option<Money>,
    counted_cash: Option<Money>,
    /// counted − expected: positive is a surplus, negative a shortfall.
    difference: Option<Money>,
}

/// Closes a shift with the counted cash; answers what was expected.
#[utoipa::path(post, path = "/api/terminal/shifts/{id}/close", tag = "terminal",
    params(("id" = uuid::Uuid, Path, description = "Shift id")),
    request_body = CloseShift,
    responses(
        (status = 200, description = "The shift, closed", body = ShiftClosed),
        TerminalAuth, BadRequest, JsonBody, NotFound, super::openapi::Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn close_shift(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Path(id): Path<uuid::Uuid>,
    Json(req): Json<CloseShift>,
) -> Result<Json<ShiftClosed>, ApiError> {
    if req.counted_cash.is_negative() {
        return Err(ApiError::invalid("the counted cash cannot be negative"));
    }
    crate::ingest::check_amount("the counted cash", req.counted_cash)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let outcome = state
        .store
        .close_shift(
            ShiftId(id),
            caller.site.township_id,
            caller.terminal.id,
            req.closed_at,
            req.counted_cash,
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("shift"),
            other => other.into(),
        })?;
    let shift = match outcome {
        CloseOutcome::Closed(s) => s,
        CloseOutcome::BeforeOpening(_) => {
            return Err(ApiError::invalid(
                "the shift cannot close before it opened: check the terminal's clock",
            ));
        }
        CloseOutcome::Conflict(_) => {
            return Err(ApiError::Invalid(
                "conflict",
                "this shift was already closed with another count".into(),
            ));
        }
    };
    let offset = caller.site.utc_offset_minutes;
    Ok(Json(ShiftClosed {
        id: shift.id.to_string(),
        opened_at: local(shift.opened_at, offset)?,
        closed_at: shift.closed_at.map(|t| local(t, offset)).transpose()?,
        opening_float: shift.opening_float,
        expected_cash: shift.expected_cash,
        counted_cash: shift.counted_cash,
        difference: match (shift.counted_cash, shift.expected_cash) {
            (Some(c), Some(e)) => Some(c.checked_sub(e).ok_or_else(|| {
                ApiError::Internal(format!("shift {}: cash beyond range", shift.id))
            })?),
            _ => None,
        },
    }))
}
