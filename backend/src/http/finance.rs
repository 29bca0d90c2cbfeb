//! Finance endpoints: the month's claim of a site and of a township,
//! decisions on flagged lines, closing and reopening a month, the exports,
//! the shift check and the welfare list.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use canteen_core::claim::{LineKind, Tally};
use canteen_core::{
    Money, SaleId, ShiftTally, SiteId, Slot, TownshipId, Verdict, WelfareRule, YearMonth,
    absent_regulars,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admin::{actor, require, site_in_scope, township_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Invalid, JsonBody, NotFound, PersonAuth};
use crate::claims::{self, ClaimsError, DecisionRequest, Evidence, MonthClaim};
use crate::domain::{diner_from_row, local_date};
use crate::export;
use crate::roles::{Person, Role};
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
        }
    }
}

fn parse_month(text: &str) -> Result<YearMonth, ApiError> {
    text.parse::<YearMonth>()
        .map_err(|e| ApiError::BadRequest("bad_month", e))
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
    params(("id" = i64, Path, description = "Site id"), ("month" = String, Path, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The site's claim for the month"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn site_claim(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Json<ClaimView>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let month = parse_month(&month)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
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
    params(("id" = i64, Path, description = "Township id"), ("month" = String, Path, description = "Month, e.g. 2026-03")),
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
    params(("id" = i64, Path, description = "Site id"), ("month" = String, Path, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The claim with the decision applied"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Always),
    security(("bearer" = [])))]
async fn decide_flag(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
    Json(body): Json<DecisionRequest>,
) -> Result<Json<ClaimView>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let month = parse_month(&month)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let c = claims::decide(&state.store, &site, month, &body, &actor(&person)).await?;
    Ok(Json(claim_view(&c)))
}

#[utoipa::path(post, path = "/api/sites/{id}/claims/{month}/close", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("month" = String, Path, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The frozen claim"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn close_month(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Json<ClaimView>, ApiError> {
    require(&person, CLAIM_READERS)?;
    let month = parse_month(&month)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let c = claims::close_month(&state.store, &site, month, &actor(&person)).await?;
    Ok(Json(claim_view(&c)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReopenBody {
    reason: String,
}

#[utoipa::path(post, path = "/api/sites/{id}/claims/{month}/reopen", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("month" = String, Path, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "The reopened claim"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Always),
    security(("bearer" = [])))]
async fn reopen_month(
    State(state): State<AppState>,
    person: Person,
    Path((id, month)): Path<(i64, String)>,
    Json(body): Json<ReopenBody>,
) -> Result<Json<ClaimView>, ApiError> {
    require(&person, &[Role::Admin])?;
    let month = parse_month(&month)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    claims::reopen_month(&state.store, &site, month, &body.reason, &actor(&person)).await?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now()).await?;
    Ok(Json(claim_view(&c)))
}

#[utoipa::path(get, path = "/api/sites/{id}/claims/{month}/export/{format}", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("month" = String, Path, description = "Month, e.g. 2026-03"), ("format" = String, Path, description = "xlsx, csv or html")),
    responses((status = 200, description = "The export"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn export_claim(
    State(state): State<AppState>,
    person: Person,
    Path((id, month, format)): Path<(i64, String, String)>,
) -> Result<Response, ApiError> {
    require(&person, CLAIM_READERS)?;
    let month = parse_month(&month)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now()).await?;
    let name = format!("claim-{}-{}", site.id, month);
    let (bytes, content_type, ext) = match format.as_str() {
        "xlsx" => (
            export::xlsx(&c).map_err(|e| ApiError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "csv" => (export::csv(&c), "text/csv; charset=utf-8", "csv"),
        "html" => (
            export::html(&c).into_bytes(),
            "text/html; charset=utf-8",
            "html",
        ),
        other => {
            return Err(ApiError::NotFound(format!(
                "no export '{other}': use xlsx, csv or html"
            )));
        }
    };
    let disposition = if ext == "html" {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{name}.{ext}\"")
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Serialize)]
struct ShiftFigures {
    sales_count: u32,
    voids_count: u32,
    cash_sales: Money,
    qr_sales: Money,
    expected_cash: Money,
    difference: Option<Money>,
}

#[derive(Serialize)]
struct LateRecord {
    kind: &'static str,
    id: String,
    sale_id: String,
    received_at: DateTime<Utc>,
    cash: Money,
}

#[derive(Serialize)]
struct ShiftCheck {
    id: String,
    terminal_id: i64,
    cashier_id: i64,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    opening_float: Money,
    counted_cash: Option<Money>,
    /// Figures from what had arrived when the shift was closed.
    at_close: ShiftFigures,
    /// Figures from everything that has arrived since.
    now: ShiftFigures,
    /// Sales and voids of the shift that arrived after it was closed.
    late: Vec<LateRecord>,
}

fn figures(t: &ShiftTally, counted: Option<Money>) -> ShiftFigures {
    ShiftFigures {
        sales_count: t.sales_count,
        voids_count: t.voids_count,
        cash_sales: t.cash_sales,
        qr_sales: t.qr_sales,
        expected_cash: t.expected_cash,
        difference: counted.map(|c| t.difference(c)),
    }
}

#[utoipa::path(get, path = "/api/sites/{id}/shift-check", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("from" = String, Query, description = "First date"), ("to" = String, Query, description = "Last date")),
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
    if r.to < r.from || (r.to - r.from).num_days() > 62 {
        return Err(ApiError::invalid("give from ≤ to, at most 62 days apart"));
    }
    let offset = chrono::Duration::minutes(site.utc_offset_minutes);
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - offset)
            .ok_or_else(|| ApiError::invalid(format!("{d} has no start of day")))
    };
    let from = start(r.from)?;
    let to = start(r.to + chrono::Duration::days(1))?;
    let mut out = Vec::new();
    for shift in state.store.shifts_for_site(site.id, from, to).await? {
        let until = shift.closed_at.unwrap_or(DateTime::<Utc>::MAX_UTC);
        let (sales, voids) = state.store.shift_records(&shift, until).await?;
        let closed_at = shift.closed_at;
        let float = shift.opening_float;
        let counted = shift.counted_cash;
        // One rule for what counts and what is late: the core's.
        let check = canteen_core::ShiftCheck::of(float, &sales, &voids, closed_at);
        let mut late: Vec<LateRecord> = check
            .late_sales
            .iter()
            .map(|l| LateRecord {
                kind: "sale",
                id: l.sale_id.to_string(),
                sale_id: l.sale_id.to_string(),
                received_at: l.received_at,
                cash: l.cash,
            })
            .collect();
        late.extend(check.late_voids.iter().map(|l| LateRecord {
            kind: "void",
            id: l.void_id.to_string(),
            sale_id: l.sale_id.to_string(),
            received_at: l.received_at,
            cash: l.cash.negated(),
        }));
        late.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        let (at_close, now) = (&check.at_close, &check.now);
        out.push(ShiftCheck {
            id: shift.id.to_string(),
            terminal_id: shift.terminal_id.0,
            cashier_id: shift.cashier_id.0,
            opened_at: shift.opened_at,
            closed_at,
            opening_float: float,
            counted_cash: counted,
            at_close: figures(at_close, counted),
            now: figures(now, counted),
            late,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
struct WelfareQuery {
    days: Option<u32>,
    min_meals: Option<u32>,
}

#[derive(Serialize)]
struct WelfareEntry {
    diner_id: i64,
    name: String,
    resident_id_masked: Option<String>,
    village: Option<String>,
    meals_last_30_days: u32,
    last_meal: NaiveDate,
    days_absent: i64,
}

#[derive(Serialize)]
struct WelfareView {
    township_id: i64,
    today: NaiveDate,
    absent_days: u32,
    min_meals: u32,
    diners: Vec<WelfareEntry>,
}

#[utoipa::path(get, path = "/api/townships/{id}/welfare", tag = "finance",
    params(("id" = i64, Path, description = "Township id"), ("days" = Option<u32>, Query, description = "Days absent (default 3)"), ("min_meals" = Option<u32>, Query, description = "Meals in 30 days (default 8)")),
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
    let rule = WelfareRule {
        absent_days: q.days.unwrap_or(3),
        min_meals: q.min_meals.unwrap_or(8),
        ..WelfareRule::default()
    };
    if !(1..=30).contains(&rule.absent_days) || !(1..=90).contains(&rule.min_meals) {
        return Err(ApiError::invalid("days must be 1 to 30, min_meals 1 to 90"));
    }
    let offset = state
        .store
        .sites(Some(township.id))
        .await?
        .first()
        .map_or(480, |s| s.utc_offset_minutes);
    let today = local_date(Utc::now(), offset);
    let from = today - chrono::Duration::days(i64::from(rule.window_days) - 1);
    let meals = state.store.meals_since(township.id, from).await?;
    let rows = state.store.diners_since(township.id, 0).await?;
    let roster = rows
        .iter()
        .map(diner_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::Internal)?;
    let diners = absent_regulars(&meals, &roster, today, rule)
        .into_iter()
        .filter_map(|r| {
            let d = roster.iter().find(|d| d.id == r.diner_id)?;
            Some(WelfareEntry {
                diner_id: d.id.0,
                name: d.name.clone(),
                resident_id_masked: d.resident_id.as_ref().map(|i| i.masked()),
                village: d.village.clone(),
                meals_last_30_days: r.meals,
                last_meal: r.last_meal,
                days_absent: r.days_absent,
            })
        })
        .collect();
    Ok(Json(WelfareView {
        township_id: township.id.0,
        today,
        absent_days: rule.absent_days,
        min_meals: rule.min_meals,
        diners,
    }))
}
