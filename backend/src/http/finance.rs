//! Finance endpoints: the month's claim of a site and of a township,
//! decisions on flagged lines, closing and reopening a month, the exports,
//! the shift check and the welfare list.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use canteen_core::claim::{LineKind, Tally};
use canteen_core::{Money, SaleId, SiteId, Slot, TownshipId, Verdict, YearMonth};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admin::{actor, require, site_in_scope, township_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Conflict, Invalid, JsonBody, NotFound, PersonAuth};
use crate::checks::{self, CheckError, ShiftCheck, WelfareView};
use crate::claims::{self, ClaimsError, DecisionRequest, Evidence, MonthClaim};
use crate::export;
use crate::roles::{Person, Role};
use crate::store::Site;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(site_claim))
        .routes(routes!(township_claim))
        .routes(routes!(decide_flag))
        .routes(routes!(close_month))
        .routes(routes!(reopen_month))
        .routes(routes!(export_claim))
        .routes(routes!(shift_check))
        .routes(routes!(welfare_list))
}

const CLAIM_READERS: &[Role] = &[Role::Admin, Role::Finance];

impl From<ClaimsError> for ApiError {
    fn from(e: ClaimsError) -> ApiError {
        match e {
            ClaimsError::Store(s) => ApiError::Store(s),
            ClaimsError::MonthNotOver(_) => ApiError::Invalid("month_not_over", e.to_string()),
            ClaimsError::AlreadyClosed(_) => ApiError::Conflict(e.to_string()),
            ClaimsError::NotClosed(_) => ApiError::Invalid("month_not_closed", e.to_string()),
            ClaimsError::Closed(_) => ApiError::Conflict(e.to_string()),
            ClaimsError::Undecided(_) => ApiError::Invalid("flags_undecided", e.to_string()),
            ClaimsError::NotFlagged { .. } => ApiError::Invalid("not_flagged", e.to_string()),
            ClaimsError::BadText(_) => ApiError::invalid(e.to_string()),
            ClaimsError::BeyondCalendar(_) => ApiError::invalid(e.to_string()),
            ClaimsError::NeedsPerson(_) => ApiError::forbidden(e.to_string()),
            ClaimsError::Interrupted => ApiError::Busy(1),
        }
    }
}

fn parse_month(text: &str) -> Result<YearMonth, ApiError> {
    text.parse::<YearMonth>()
        .map_err(|e| ApiError::BadRequest("bad_month", e))
}

/// What every handler of a site's month checks first, in this order: the
/// caller's role, the month as written, the site in the caller's scope.
async fn site_month(
    state: &AppState,
    person: &Person,
    roles: &[Role],
    id: i64,
    month: &str,
) -> Result<(Site, YearMonth), ApiError> {
    require(person, roles)?;
    let month = parse_month(month)?;
    let site = site_in_scope(state, person, SiteId(id)).await?;
    Ok((site, month))
}

/// Totals of a claim, as the API shows them.
#[derive(Serialize)]
pub struct TotalsView {
    total: Tally,
    regular: Tally,
    adjustments: Tally,
    by_slot: BTreeMap<Slot, Tally>,
    by_bracket: BTreeMap<String, Tally>,
    by_category: BTreeMap<String, Tally>,
    by_funder: BTreeMap<String, Money>,
    ties_out: bool,
}

impl TotalsView {
    fn of(t: &canteen_core::ClaimTotals) -> TotalsView {
        TotalsView {
            total: t.total,
            regular: t.regular,
            adjustments: t.adjustments,
            by_slot: t.by_slot.clone(),
            by_bracket: t.by_bracket.clone(),
            by_category: t
                .by_category
                .iter()
                .map(|(k, v)| (k.0.clone(), *v))
                .collect(),
            by_funder: t.by_funder.clone(),
            ties_out: t.total.ties_out(),
        }
    }
}

#[derive(Serialize)]
struct LineView {
    sale_id: SaleId,
    line_index: usize,
    diner_id: i64,
    diner_name: Option<String>,
    resident_id_masked: Option<String>,
    business_date: NaiveDate,
    slot: Slot,
    kind: LineKind,
    late: bool,
    accepted: bool,
    meals: i64,
    standard: Money,
    paid: Money,
    subsidy: Money,
    bracket: Option<String>,
    category: Option<String>,
}

#[derive(Serialize)]
struct DecisionView {
    verdict: Verdict,
    comment: String,
    decided_by: String,
    decided_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct FlagView {
    sale_id: SaleId,
    line_index: usize,
    diner_id: i64,
    diner_name: Option<String>,
    resident_id_masked: Option<String>,
    business_date: NaiveDate,
    slot: Slot,
    late: bool,
    standard: Money,
    paid: Money,
    subsidy: Money,
    kind: &'static str,
    reason: String,
    evidence: Evidence,
    decision: Option<DecisionView>,
}

#[derive(Serialize)]
struct DayView {
    date: NaiveDate,
    meals: i64,
}

#[derive(Serialize)]
struct ClaimView {
    township_id: i64,
    township_name: String,
    site_id: i64,
    site_name: String,
    month: YearMonth,
    status: &'static str,
    closed_at: Option<DateTime<Utc>>,
    computed_at: DateTime<Utc>,
    totals: TotalsView,
    accepted: Tally,
    undecided: usize,
    meals_by_day: Vec<DayView>,
    free_meals_served: i64,
    lines: Vec<LineView>,
    flags: Vec<FlagView>,
}

fn claim_view(c: &MonthClaim) -> ClaimView {
    let claim = &c.reviewed.claim;
    let accepted: BTreeSet<(SaleId, usize)> = c
        .reviewed
        .flags
        .iter()
        .filter(|f| {
            f.decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Accept)
        })
        .map(|f| (f.line.sale_id, f.line.line_index))
        .collect();
    let who = |id: i64| c.diners.get(&id);
    let lines = claim
        .lines
        .iter()
        .map(|l| LineView {
            sale_id: l.sale_id,
            line_index: l.line_index,
            diner_id: l.diner_id.0,
            diner_name: who(l.diner_id.0).map(|d| d.name.clone()),
            resident_id_masked: who(l.diner_id.0).and_then(|d| d.resident_id_masked.clone()),
            business_date: l.business_date,
            slot: l.slot,
            kind: l.kind,
            late: l.kind != LineKind::Regular,
            accepted: l.kind != LineKind::LateVoid && accepted.contains(&(l.sale_id, l.line_index)),
            meals: l.meals,
            standard: l.standard,
            paid: l.paid,
            subsidy: l.subsidy,
            bracket: l.bracket.clone(),
            category: l.category.as_ref().map(|c| c.0.clone()),
        })
        .collect();
    let flags = c
        .reviewed
        .flags
        .iter()
        .zip(&c.evidence)
        .map(|(f, e)| {
            let l = &f.line;
            FlagView {
                sale_id: l.sale_id,
                line_index: l.line_index,
                diner_id: l.diner_id.0,
                diner_name: who(l.diner_id.0).map(|d| d.name.clone()),
                resident_id_masked: who(l.diner_id.0).and_then(|d| d.resident_id_masked.clone()),
                business_date: l.business_date,
                slot: l.slot,
                late: l.late,
                standard: l.standard,
                paid: l.paid,
                subsidy: l.subsidy,
                kind: canteen_core::review::flag_kind(&l.flag),
                reason: l.flag.to_string(),
                evidence: e.clone(),
                decision: f.decision.as_ref().map(|d| DecisionView {
                    verdict: d.verdict,
                    comment: d.comment.clone(),
                    decided_by: d.decided_by.clone(),
                    decided_at: d.decided_at,
                }),
            }
        })
        .collect();
    ClaimView {
        township_id: c.township_id,
        township_name: c.township_name.clone(),
        site_id: c.site_id,
        site_name: c.site_name.clone(),
        month: c.month,
        status: if c.closed_at().is_some() {
            "closed"
        } else {
            "open"
        },
        closed_at: c.closed_at(),
        computed_at: c.computed_at,
        totals: TotalsView::of(&canteen_core::ClaimTotals::of([claim])),
        accepted: c.reviewed.accepted,
        undecided: c.reviewed.undecided(),
        meals_by_day: c
            .reviewed
            .meals_by_day()
            .into_iter()
            .map(|(date, meals)| DayView { date, meals })
            .collect(),
        free_meals_served: c.free_meals_served,
        lines,
        flags,
    }
}

#[utoipa::path(get, path = "/api/sites/{id}/claims/{month}", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Site id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The site's claim for the month"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn site_claim(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Json<ClaimView>, ApiError> {
    let (site, month) = site_month(&state, &person, CLAIM_READERS, id, &month).await?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now()).await?;
    Ok(Json(claim_view(&c)))
}

#[derive(Serialize)]
struct SiteTotals {
    site_id: i64,
    site_name: String,
    status: &'static str,
    closed_at: Option<DateTime<Utc>>,
    undecided: usize,
    free_meals_served: i64,
    totals: TotalsView,
}

#[derive(Serialize)]
struct TownshipView {
    township_id: i64,
    township_name: String,
    month: YearMonth,
    totals: TotalsView,
    free_meals_served: i64,
    sites: Vec<SiteTotals>,
}

#[utoipa::path(get, path = "/api/townships/{id}/claims/{month}", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Township id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The township's claim for the month"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn township_claim(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Json<TownshipView>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let month = parse_month(&month)?;
    let township = township_in_scope(&state, &person, TownshipId(id)).await?;
    let t = claims::township_claim(&state.store, &township, month, Utc::now()).await?;
    Ok(Json(TownshipView {
        township_id: township.id.0,
        township_name: township.name.clone(),
        month,
        totals: TotalsView::of(&t.totals),
        free_meals_served: t.sites.iter().map(|s| s.free_meals_served).sum(),
        sites: t
            .sites
            .iter()
            .map(|s| SiteTotals {
                site_id: s.site_id,
                site_name: s.site_name.clone(),
                status: if s.closed_at().is_some() {
                    "closed"
                } else {
                    "open"
                },
                closed_at: s.closed_at(),
                undecided: s.reviewed.undecided(),
                free_meals_served: s.free_meals_served,
                totals: TotalsView::of(&canteen_core::ClaimTotals::of([&s.reviewed.claim])),
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/sites/{id}/claims/{month}/decisions", tag = "finance",
    request_body = DecisionRequest,
    params(("id" = i64, Path, minimum = 1, description = "Site id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The claim with the decision applied"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Conflict, Always),
    security(("bearer" = [])))]
async fn decide_flag(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
    Json(body): Json<DecisionRequest>,
) -> Result<Json<ClaimView>, ApiError> {
    let (site, month) = site_month(&state, &person, CLAIM_READERS, id, &month).await?;
    let c = claims::decide(&state.store, &site, month, &body, &actor(&person)).await?;
    Ok(Json(claim_view(&c)))
}

#[utoipa::path(post, path = "/api/sites/{id}/claims/{month}/close", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Site id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The frozen claim"), PersonAuth, BadRequest, NotFound, Invalid, Conflict, Always),
    security(("bearer" = [])))]
async fn close_month(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Json<ClaimView>, ApiError> {
    let (site, month) = site_month(&state, &person, CLAIM_READERS, id, &month).await?;
    let c = claims::close_month(&state.store, &site, month, &actor(&person)).await?;
    Ok(Json(claim_view(&c)))
}

/// Why a closed month is reopened.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReopenBody {
    /// The reason, kept in the audit log (1 to 500 characters, not blank).
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    reason: String,
}

#[utoipa::path(post, path = "/api/sites/{id}/claims/{month}/reopen", tag = "finance",
    request_body = ReopenBody,
    params(("id" = i64, Path, minimum = 1, description = "Site id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The reopened claim"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Always),
    security(("bearer" = [])))]
async fn reopen_month(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
    Json(body): Json<ReopenBody>,
) -> Result<Json<ClaimView>, ApiError> {
    let (site, month) = site_month(&state, &person, &[Role::Admin], id, &month).await?;
    claims::reopen_month(&state.store, &site, month, &body.reason, &actor(&person)).await?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now()).await?;
    Ok(Json(claim_view(&c)))
}

#[utoipa::path(get, path = "/api/sites/{id}/claims/{month}/export/{format}", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Site id"), ("month" = String, Path, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", description = "Month, e.g. 2026-03"), ("format" = String, Path, pattern = "^(xlsx|csv|html)$", description = "xlsx, csv or html")),
    responses((status = 200, description = "The export"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn export_claim(
    State(state): State<AppState>,
    person: Person,
    Path((id, month, format)): Path<(i64, String, String)>,
) -> Result<Response, ApiError> {
    let (site, month) = site_month(&state, &person, CLAIM_READERS, id, &month).await?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now()).await?;
    let file = export::file(&c, &format)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(|| {
            ApiError::NotFound(format!("no export '{format}': use xlsx, csv or html"))
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_string()),
            (header::CONTENT_DISPOSITION, file.disposition),
        ],
        file.bytes,
    )
        .into_response())
}

/// Dates the shifts opened on, both inclusive.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DateRange {
    /// First date.
    from: NaiveDate,
    /// Last date, not before `from` and at most 62 days after it.
    to: NaiveDate,
}

impl From<CheckError> for ApiError {
    fn from(e: CheckError) -> ApiError {
        match e {
            CheckError::Store(s) => ApiError::Store(s),
            CheckError::BadRange | CheckError::BadRule => ApiError::invalid(e.to_string()),
        }
    }
}

#[utoipa::path(get, path = "/api/sites/{id}/shift-check", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Site id"), DateRange),
    responses((status = 200, description = "Each shift's check"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn shift_check(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(r): Query<DateRange>,
) -> Result<Json<Vec<ShiftCheck>>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    Ok(Json(
        checks::shift_checks(&state.store, &site, r.from, r.to).await?,
    ))
}

/// Who counts as a regular not seen lately.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct WelfareQuery {
    /// Days not seen at any site, 1 to 30 (default 3).
    #[param(minimum = 1, maximum = 30)]
    days: Option<u32>,
    /// Meals in the last 30 days that make a regular, 1 to 90 (default 8).
    #[param(minimum = 1, maximum = 90)]
    min_meals: Option<u32>,
}

#[utoipa::path(get, path = "/api/townships/{id}/welfare", tag = "finance",
    params(("id" = i64, Path, minimum = 1, description = "Township id"), WelfareQuery),
    responses((status = 200, description = "Regular diners not seen lately"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn welfare_list(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(q): Query<WelfareQuery>,
) -> Result<Json<WelfareView>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let township = township_in_scope(&state, &person, TownshipId(id)).await?;
    let (days, min_meals) = (q.days.unwrap_or(3), q.min_meals.unwrap_or(8));
    let view = checks::welfare(&state.store, &township, days, min_meals, Utc::now()).await?;
    Ok(Json(view))
}
