//! The terminal API: setup, roster and policy downloads (whole or since a
//! version), sales and voids in batches (idempotent by id, each with its
//! own status), and shifts with the counted cash.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canteen_core::{Diner, Money, PricePolicy, Sale, ShiftId, UserId, Void};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query, TerminalCaller};
use super::openapi::{Always, BadRequest, JsonBody, NotFound, TerminalAuth};
use super::views::{SiteView, TerminalView, local};
use crate::domain::{diner_from_row, policy_book};
use crate::ingest::{MAX_BATCH, canonical, prepare_sales, prepare_voids};
use crate::roles::Role;
use crate::store::{CloseOutcome, Outcome, ReceivedAt, ShiftRow, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(roster))
        .routes(routes!(policies))
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
        .users(Some(caller.site.township_id))
        .await?
        .into_iter()
        .filter(|u| u.active && u.role == Role::Cashier && u.site_id == Some(caller.site.id))
        .map(|u| Cashier {
            id: u.id.0,
            display_name: u.display_name,
        })
        .collect();
    let (roster_version, policy_version) = state.store.versions().await?;
    Ok(Json(Setup {
        terminal: caller.terminal.into(),
        site: caller.site.try_into()?,
        cashiers,
        roster_version,
        policy_version,
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

/// The township's roster, whole or the changes since a version.
#[derive(Serialize, ToSchema)]
struct RosterDownload {
    /// Ask with `since=version` next time.
    version: i64,
    /// True when this is the whole roster, not just the changes.
    full: bool,
    /// Diners added or changed.
    diners: Vec<Diner>,
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
    let diners = rows
        .iter()
        .map(diner_from_row)
        .collect::<Result<Vec<_>, _>>()
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
        },
        Outcome::Duplicate => ItemStatus {
            id,
            status: ItemOutcome::Duplicate,
            message: None,
        },
        Outcome::Conflict => ItemStatus {
            id,
            status: ItemOutcome::Conflict,
            message: Some(
                "a record with this id is already stored with other content; it was not changed"
                    .into(),
            ),
        },
        Outcome::Rejected(m) => ItemStatus {
            id,
            status: ItemOutcome::Rejected,
            message: Some(m),
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
    Ok(batch_response(results.into_iter().flatten().collect()))
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
