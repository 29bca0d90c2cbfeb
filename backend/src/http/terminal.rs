//! The terminal API: setup, roster and policy downloads (whole or since a
//! version), sales and voids in batches (idempotent by id, each with its
//! own status), and shifts with the counted cash.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use canteen_core::{Diner, Money, PricePolicy, Sale, Void};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::{Json, Path, Query, TerminalCaller};
use crate::domain::{diner_from_row, policy_book};
use crate::ingest::{MAX_BATCH, canonical, prepare_sales, prepare_voids};
use crate::roles::Role;
use crate::store::{CloseOutcome, Outcome, ShiftRow, Site, Terminal};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/terminal/setup", get(setup))
        .route("/api/terminal/roster", get(roster))
        .route("/api/terminal/policies", get(policies))
        .route("/api/terminal/sales", post(post_sales))
        .route("/api/terminal/voids", post(post_voids))
        .route("/api/terminal/shifts", post(open_shift))
        .route("/api/terminal/shifts/{id}/close", post(close_shift))
}

#[derive(Serialize)]
struct Cashier {
    id: i64,
    display_name: String,
}

#[derive(Serialize)]
struct Setup {
    terminal: Terminal,
    site: Site,
    cashiers: Vec<Cashier>,
    roster_version: i64,
    policy_version: i64,
}

async fn setup(
    State(state): State<AppState>,
    caller: TerminalCaller,
) -> Result<Json<Setup>, ApiError> {
    let cashiers = state
        .store
        .users(Some(caller.site.township_id))
        .await?
        .into_iter()
        .filter(|u| {
            u.active && u.role == Role::Cashier.as_str() && u.site_id == Some(caller.site.id)
        })
        .map(|u| Cashier {
            id: u.id,
            display_name: u.display_name,
        })
        .collect();
    let (roster_version, policy_version) = state.store.versions().await?;
    Ok(Json(Setup {
        terminal: caller.terminal,
        site: caller.site,
        cashiers,
        roster_version,
        policy_version,
    }))
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: i64,
}

#[derive(Serialize)]
struct RosterDownload {
    /// Ask with `since=version` next time.
    version: i64,
    /// True when this is the whole roster, not just the changes.
    full: bool,
    diners: Vec<Diner>,
}

async fn roster(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Query(q): Query<Since>,
) -> Result<Json<RosterDownload>, ApiError> {
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
        .map_err(ApiError::Internal)?;
    Ok(Json(RosterDownload {
        version,
        full: q.since <= 0,
        diners,
    }))
}

#[derive(Serialize)]
struct PolicyDownload {
    version: i64,
    full: bool,
    policies: Vec<PricePolicy>,
}

async fn policies(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Query(q): Query<Since>,
) -> Result<Json<PolicyDownload>, ApiError> {
    let (_, version) = state.store.versions().await?;
    let rows = state
        .store
        .policies_since(caller.site.id, q.since.max(0))
        .await?;
    Ok(Json(PolicyDownload {
        version,
        full: q.since <= 0,
        policies: policy_book(&rows).versions().to_vec(),
    }))
}

/// What became of one posted sale or void.
#[derive(Debug, Serialize)]
struct ItemStatus {
    id: String,
    /// `stored`, `duplicate` (already stored, same content), `conflict`
    /// (already stored with other content) or `rejected`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Serialize)]
struct BatchResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    results: Vec<ItemStatus>,
}

fn item(id: String, outcome: Outcome) -> ItemStatus {
    match outcome {
        Outcome::Stored => ItemStatus {
            id,
            status: "stored",
            message: None,
        },
        Outcome::Duplicate => ItemStatus {
            id,
            status: "duplicate",
            message: None,
        },
        Outcome::Conflict => ItemStatus {
            id,
            status: "conflict",
            message: Some(
                "a record with this id is already stored with other content; it was not changed"
                    .into(),
            ),
        },
        Outcome::Rejected(m) => ItemStatus {
            id,
            status: "rejected",
            message: Some(m),
        },
    }
}

/// 200 when every item was stored or acknowledged; 422 when any was
/// refused (the others are stored all the same: each has its own status).
fn batch_response(results: Vec<ItemStatus>) -> Response {
    let refused = results
        .iter()
        .filter(|r| r.status == "conflict" || r.status == "rejected")
        .count();
    if refused == 0 {
        return (
            StatusCode::OK,
            axum::Json(BatchResult {
                code: None,
                message: None,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SalesBatch {
    sales: Vec<Sale>,
}

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
                let stored = state.store.sale(&sale.id.to_string()).await?;
                let outcome = match stored {
                    Some(s) if s.body == canonical(sale) => Outcome::Duplicate,
                    Some(_) => Outcome::Conflict,
                    None => Outcome::Rejected(reason),
                };
                results.push(Some(item(sale.id.to_string(), outcome)));
            }
        }
    }
    if !to_store.is_empty() {
        let ids: Vec<String> = to_store.iter().map(|s| s.id.clone()).collect();
        let outcomes = state
            .store
            .insert_sales(to_store, now.timestamp_millis())
            .await?;
        for ((slot, id), outcome) in slots.into_iter().zip(ids).zip(outcomes) {
            results[slot] = Some(item(id, outcome));
        }
    }
    Ok(batch_response(results.into_iter().flatten().collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidsBatch {
    voids: Vec<Void>,
}

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
            Err(reason) => results.push(Some(item(v.id.to_string(), Outcome::Rejected(reason)))),
        }
    }
    if !to_store.is_empty() {
        let ids: Vec<String> = to_store.iter().map(|s| s.id.clone()).collect();
        let outcomes = state
            .store
            .insert_voids(to_store, Utc::now().timestamp_millis())
            .await?;
        for ((slot, id), outcome) in slots.into_iter().zip(ids).zip(outcomes) {
            results[slot] = Some(item(id, outcome));
        }
    }
    Ok(batch_response(results.into_iter().flatten().collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenShift {
    id: uuid::Uuid,
    cashier_id: i64,
    opened_at: DateTime<Utc>,
    opening_float: Money,
}

#[derive(Serialize)]
struct ShiftStatus {
    id: String,
    status: &'static str,
}

async fn open_shift(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Json(req): Json<OpenShift>,
) -> Result<(StatusCode, Json<ShiftStatus>), ApiError> {
    if req.opening_float.is_negative() {
        return Err(ApiError::invalid("the opening float cannot be negative"));
    }
    crate::ingest::check_amount("the opening float", req.opening_float)
        .map_err(ApiError::invalid)?;
    let cashier = state.store.user(req.cashier_id).await?;
    if !cashier.is_some_and(|u| {
        u.active && u.role == Role::Cashier.as_str() && u.site_id == Some(caller.site.id)
    }) {
        return Err(ApiError::invalid(format!(
            "user {} is not an active cashier of this site",
            req.cashier_id
        )));
    }
    let outcome = state
        .store
        .open_shift(ShiftRow {
            id: req.id.to_string(),
            site_id: caller.site.id,
            terminal_id: caller.terminal.id,
            cashier_id: req.cashier_id,
            opened_at: req.opened_at.timestamp_millis(),
            opening_float: req.opening_float.fen(),
            closed_at: None,
            counted_cash: None,
            expected_cash: None,
        })
        .await?;
    match outcome {
        Outcome::Stored => Ok((
            StatusCode::CREATED,
            Json(ShiftStatus {
                id: req.id.to_string(),
                status: "stored",
            }),
        )),
        Outcome::Duplicate => Ok((
            StatusCode::OK,
            Json(ShiftStatus {
                id: req.id.to_string(),
                status: "duplicate",
            }),
        )),
        Outcome::Conflict | Outcome::Rejected(_) => Err(ApiError::Invalid(
            "conflict",
            "a shift with this id is already open with other details".into(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseShift {
    closed_at: DateTime<Utc>,
    counted_cash: Money,
}

#[derive(Serialize)]
struct ShiftClosed {
    id: String,
    opened_at: i64,
    closed_at: Option<i64>,
    opening_float: Money,
    /// Opening float plus the cash of the shift's sales that are not voided.
    expected_cash: Option<Money>,
    counted_cash: Option<Money>,
    /// counted − expected: positive is a surplus, negative a shortfall.
    difference: Option<Money>,
}

async fn close_shift(
    State(state): State<AppState>,
    caller: TerminalCaller,
    Path(id): Path<uuid::Uuid>,
    Json(req): Json<CloseShift>,
) -> Result<Json<ShiftClosed>, ApiError> {
    if req.counted_cash.is_negative() {
        return Err(ApiError::invalid("the counted cash cannot be negative"));
    }
    crate::ingest::check_amount("the counted cash", req.counted_cash).map_err(ApiError::invalid)?;
    let outcome = state
        .store
        .close_shift(
            &id.to_string(),
            caller.terminal.id,
            req.closed_at.timestamp_millis(),
            req.counted_cash.fen(),
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
    Ok(Json(ShiftClosed {
        id: shift.id,
        opened_at: shift.opened_at,
        closed_at: shift.closed_at,
        opening_float: Money::from_fen(shift.opening_float),
        expected_cash: shift.expected_cash.map(Money::from_fen),
        counted_cash: shift.counted_cash.map(Money::from_fen),
        difference: match (shift.counted_cash, shift.expected_cash) {
            (Some(c), Some(e)) => Some(Money::from_fen(c.saturating_sub(e))),
            _ => None,
        },
    }))
}
