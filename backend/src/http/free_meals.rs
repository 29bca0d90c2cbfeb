//! Free-meal days at Happiness Commune sites: volunteers record and correct
//! them; the office reads them and the site's totals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canteen_core::{FreeMealDay, FreeMealId, Money, SiteId, YearMonth};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admin::{require, site_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Invalid, JsonBody, NotFound, PersonAuth};
use crate::domain::local_date;
use crate::free_meals::{self, FreeMealError, Recorded};
use crate::roles::{Person, Role};
use crate::store::finance::{FreeMealRow, FreeMealTotals, month_range};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_free_meals, record_free_meal))
        .routes(routes!(free_meal_summary))
        .routes(routes!(get_free_meal, correct_free_meal))
}

const WRITERS: &[Role] = &[Role::Volunteer, Role::Admin];

impl From<FreeMealError> for ApiError {
    fn from(e: FreeMealError) -> ApiError {
        match e {
            FreeMealError::Store(s) => ApiError::Store(s),
            FreeMealError::Invalid(m) => ApiError::invalid(m),
            FreeMealError::Conflict(m) => ApiError::Conflict(m),
            FreeMealError::Forbidden(m) => ApiError::Forbidden(m),
            FreeMealError::NotFound => ApiError::not_found("free-meal day"),
        }
    }
}

#[derive(Serialize)]
struct VersionView {
    version: i64,
    recorded_by: i64,
    recorded_at: DateTime<Utc>,
    day: FreeMealDay,
}

#[derive(Serialize)]
struct FreeMealView {
    id: String,
    site_id: i64,
    author_id: i64,
    /// The current version.
    version: i64,
    day: FreeMealDay,
    /// Every version, oldest first (only when one is asked for by id).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<VersionView>,
}

fn version_of(r: &FreeMealRow) -> Result<VersionView, ApiError> {
    Ok(VersionView {
        version: r.version,
        recorded_by: r.recorded_by.0,
        recorded_at: r.recorded_at,
        day: serde_json::from_str(&r.body)
            .map_err(|e| ApiError::Internal(format!("stored free-meal day: {e}")))?,
    })
}

#[derive(Serialize)]
struct RecordAnswer {
    id: String,
    status: &'static str,
    version: i64,
}

#[utoipa::path(post, path = "/api/sites/{id}/free-meals", tag = "finance",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, description = "Already recorded (201 when stored)"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Always),
    security(("bearer" = [])))]
async fn record_free_meal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(day): Json<FreeMealDay>,
) -> Result<Response, ApiError> {
    require(&person, WRITERS)?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let outcome = free_meals::record(&state.store, &person, &site, &day).await?;
    let (status, code) = match outcome {
        Recorded::Stored => ("stored", StatusCode::CREATED),
        Recorded::Unchanged => ("duplicate", StatusCode::OK),
    };
    Ok((
        code,
        Json(RecordAnswer {
            id: day.id.to_string(),
            status,
            version: 1,
        }),
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/free-meals/{id}", tag = "finance",
    params(("id" = String, Path, description = "Free-meal day id")),
    responses((status = 200, description = "The correction"), PersonAuth, BadRequest, NotFound, Invalid, JsonBody, Always),
    security(("bearer" = [])))]
async fn correct_free_meal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Json(day): Json<FreeMealDay>,
) -> Result<Json<RecordAnswer>, ApiError> {
    require(&person, WRITERS)?;
    let (outcome, version) = free_meals::correct(&state.store, &person, day_id(&id)?, &day).await?;
    Ok(Json(RecordAnswer {
        id,
        status: match outcome {
            Recorded::Stored => "corrected",
            Recorded::Unchanged => "unchanged",
        },
        version,
    }))
}

#[utoipa::path(get, path = "/api/free-meals/{id}", tag = "finance",
    params(("id" = String, Path, description = "Free-meal day id")),
    responses((status = 200, description = "The day with its versions"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn get_free_meal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Json<FreeMealView>, ApiError> {
    require(&person, &[Role::Volunteer, Role::Admin, Role::Finance])?;
    let (site, rows) = free_meals::versions(&state.store, &person, day_id(&id)?).await?;
    let versions = rows.iter().map(version_of).collect::<Result<Vec<_>, _>>()?;
    let (Some(first), Some(current)) = (rows.first(), versions.last()) else {
        return Err(ApiError::not_found("free-meal day"));
    };
    Ok(Json(FreeMealView {
        id,
        site_id: site.id.0,
        author_id: first.author_id.0,
        version: current.version,
        day: current.day.clone(),
        versions,
    }))
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The first and last days of a month asked for.
fn days_of(month: YearMonth) -> Result<(NaiveDate, NaiveDate), ApiError> {
    month_range(month).ok_or_else(|| ApiError::invalid(format!("{month} is beyond the calendar")))
}

/// A free-meal day's id from the address; one that is no UUID names no day.
fn day_id(text: &str) -> Result<FreeMealId, ApiError> {
    text.parse()
        .map(FreeMealId)
        .map_err(|_| ApiError::not_found("free-meal day"))
}

fn month_or_now(q: &MonthQuery, today: NaiveDate) -> Result<YearMonth, ApiError> {
    match &q.month {
        Some(m) => m.parse().map_err(|e| ApiError::BadRequest("bad_month", e)),
        None => Ok(YearMonth::of(today)),
    }
}

#[utoipa::path(get, path = "/api/sites/{id}/free-meals", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("month" = Option<String>, Query, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "Free-meal days of the month"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn list_free_meals(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<FreeMealView>>, ApiError> {
    require(&person, &[Role::Volunteer, Role::Admin, Role::Finance])?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let month = month_or_now(&q, local_date(Utc::now(), site.utc_offset_minutes))?;
    let (first, last) = days_of(month)?;
    let rows = state
        .store
        .free_meals_for_site(site.id, first, last)
        .await?;
    rows.iter()
        .map(|r| {
            let v = version_of(r)?;
            Ok(FreeMealView {
                id: r.id.to_string(),
                site_id: r.site_id.0,
                author_id: r.author_id.0,
                version: r.version,
                day: v.day,
                versions: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map(Json)
}

#[derive(Serialize)]
struct TotalsView {
    days: i64,
    served: i64,
    purchases: Money,
    donations: i64,
    /// "惠及 N 人次".
    label: String,
}

impl From<FreeMealTotals> for TotalsView {
    fn from(t: FreeMealTotals) -> TotalsView {
        TotalsView {
            days: t.days,
            served: t.served,
            purchases: t.purchases,
            donations: t.donations,
            label: format!("惠及 {} 人次", t.served),
        }
    }
}

#[derive(Serialize)]
struct SummaryView {
    site_id: i64,
    month: YearMonth,
    this_month: TotalsView,
    so_far: TotalsView,
}

#[utoipa::path(get, path = "/api/sites/{id}/free-meals/summary", tag = "finance",
    params(("id" = i64, Path, description = "Site id"), ("month" = Option<String>, Query, description = "Month, e.g. 2026-03")),
    responses((status = 200, description = "Free meals this month and so far"), PersonAuth, BadRequest, NotFound, Invalid, Always),
    security(("bearer" = [])))]
async fn free_meal_summary(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<SummaryView>, ApiError> {
    require(&person, &[Role::Volunteer, Role::Admin, Role::Finance])?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let today = local_date(Utc::now(), site.utc_offset_minutes);
    let month = month_or_now(&q, today)?;
    let (first, last) = days_of(month)?;
    let this_month = state.store.free_meal_totals(site.id, first, last).await?;
    let so_far = state
        .store
        .free_meal_totals(site.id, NaiveDate::MIN, last)
        .await?;
    Ok(Json(SummaryView {
        site_id: site.id.0,
        month,
        this_month: this_month.into(),
        so_far: so_far.into(),
    }))
}
