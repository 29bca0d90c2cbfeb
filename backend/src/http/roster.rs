//! The diner roster (per township), its import from the village ledger, and
//! the price policies (per site).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canteen_core::{DinerId, PricePolicy, SiteId, TownshipId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::admin::{actor, audit, require, site_in_scope, township_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Conflict, Invalid, JsonBody, NotFound, PersonAuth};
use crate::domain::{DinerInput, DinerView, policy_book};
use crate::import::{Cancel, ImportError, ImportLimits, RowError, parse_roster, read_table};
use crate::roles::{Person, Role};
use crate::store::DinerRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_diners, create_diner))
        .routes(routes!(import_diners))
        .routes(routes!(get_diner, update_diner))
        .routes(routes!(list_policies, create_policy))
}

fn today() -> chrono::NaiveDate {
    crate::domain::local_date(chrono::Utc::now(), 480)
}

/// Today in the township: the time zone of its first site, else China's
/// (UTC+8). A new diner's registration date defaults to it.
async fn township_today(
    state: &AppState,
    township_id: TownshipId,
) -> Result<chrono::NaiveDate, ApiError> {
    let offset = state
        .store
        .sites(Some(township_id))
        .await?
        .iter()
        .min_by_key(|s| s.id)
        .map_or(480, |s| s.utc_offset_minutes);
    Ok(crate::domain::local_date(chrono::Utc::now(), offset))
}

fn views(rows: &[DinerRow]) -> Result<Vec<DinerView>, ApiError> {
    rows.iter()
        .map(|r| DinerView::from_row(r, today()).map_err(ApiError::Internal))
        .collect()
}

/// The roster of a township, ID numbers masked.
#[utoipa::path(get, path = "/api/townships/{id}/diners", tag = "roster",
    params(("id" = i64, Path, description = "Township id")),
    responses(
        (status = 200, description = "The township's diners", body = [DinerView]),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn list_diners(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DinerView>>, ApiError> {
    let t = township_in_scope(&state, &person, TownshipId(id)).await?;
    Ok(Json(views(&state.store.diners_since(t.id, 0).await?)?))
}

/// Adds a diner to a township's roster.
#[utoipa::path(post, path = "/api/townships/{id}/diners", tag = "roster",
    params(("id" = i64, Path, description = "Township id")),
    request_body = DinerInput,
    responses(
        (status = 201, description = "The diner added", body = DinerView),
        PersonAuth, BadRequest, JsonBody, NotFound, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_diner(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(input): Json<DinerInput>,
) -> Result<(StatusCode, Json<DinerView>), ApiError> {
    require(&person, &[Role::Admin])?;
    let t = township_in_scope(&state, &person, TownshipId(id)).await?;
    let fields = input
        .into_fields(township_today(&state, t.id).await?)
        .map_err(ApiError::invalid)?;
    let rows = state
        .store
        .insert_diners(t.id, vec![fields], actor(&person))
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::Internal("no row returned".into()))?;
    Ok((
        StatusCode::CREATED,
        Json(DinerView::from_row(row, today()).map_err(ApiError::Internal)?),
    ))
}

async fn diner_in_scope(
    state: &AppState,
    person: &Person,
    id: DinerId,
) -> Result<DinerRow, ApiError> {
    match state.store.diner(id).await? {
        Some(d) if person.sees_township(d.township_id) => Ok(d),
        _ => Err(ApiError::not_found("diner")),
    }
}

/// One diner, ID number masked.
#[utoipa::path(get, path = "/api/diners/{id}", tag = "roster",
    params(("id" = i64, Path, description = "Diner id")),
    responses(
        (status = 200, description = "The diner", body = DinerView),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn get_diner(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<DinerView>, ApiError> {
    let row = diner_in_scope(&state, &person, DinerId(id)).await?;
    Ok(Json(
        DinerView::from_row(&row, today()).map_err(ApiError::Internal)?,
    ))
}

/// Writes over a diner's details.
#[utoipa::path(put, path = "/api/diners/{id}", tag = "roster",
    params(("id" = i64, Path, description = "Diner id")),
    request_body = DinerInput,
    responses(
        (status = 200, description = "The diner as now stored", body = DinerView),
        PersonAuth, BadRequest, JsonBody, NotFound, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn update_diner(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(input): Json<DinerInput>,
) -> Result<Json<DinerView>, ApiError> {
    require(&person, &[Role::Admin])?;
    let row = diner_in_scope(&state, &person, DinerId(id)).await?;
    let keep_active_from = input.active_from.is_none();
    let mut fields = input
        .into_fields(township_today(&state, row.township_id).await?)
        .map_err(ApiError::invalid)?;
    // Left out of an update, the registration date stays as stored.
    if keep_active_from {
        fields.active_from = row.active_from;
    }
    let row = state
        .store
        .update_diner(row.id, fields, actor(&person))
        .await?;
    Ok(Json(
        DinerView::from_row(&row, today()).map_err(ApiError::Internal)?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// True to import the good rows even when some rows have problems.
    #[serde(default)]
    import_good: bool,
}

/// A row that was not imported.
#[derive(Serialize, ToSchema)]
struct RowRefused {
    /// Row number as the spreadsheet shows it (the header is row 1).
    row: usize,
    /// Why.
    reason: String,
}

fn refused(rows: Vec<RowError>) -> Vec<RowRefused> {
    rows.into_iter()
        .map(|r| RowRefused {
            row: r.row,
            reason: r.reason,
        })
        .collect()
}

/// What an import did.
#[derive(Serialize, ToSchema)]
struct ImportReport {
    /// Data rows in the file.
    total_rows: usize,
    /// Diners imported.
    imported: usize,
    /// Rows left out, with the reason.
    rejected: Vec<RowRefused>,
}

/// An import refused because rows have problems: nothing was imported.
#[derive(Serialize, ToSchema)]
struct ImportRefused {
    /// `import_rejected`.
    code: &'static str,
    /// What to do.
    message: String,
    /// Data rows in the file.
    total_rows: usize,
    /// Always 0.
    imported: usize,
    /// Rows with problems, with the reason.
    rejected: Vec<RowRefused>,
}

/// The answer 422 of an import: rows with problems (nothing imported), or
/// a file that cannot be read at all.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ImportRefusal {
    /// Rows with problems; nothing was imported.
    Rows(ImportRefused),
    /// The file cannot be read (code `unreadable_file`).
    File(super::error::ErrorBody),
}

/// Imports diners from the village ledger: a CSV (UTF-8 or GB18030) or
/// XLSX file with a header row, sent as the whole body.
#[utoipa::path(post, path = "/api/townships/{id}/diners/import", tag = "roster",
    params(("id" = i64, Path, description = "Township id"), ImportQuery),
    request_body(description = "The ledger file", content(
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 200, description = "Imported", body = ImportReport),
        (status = 422, description = "Unreadable file (code `unreadable_file`, an ErrorBody), or rows with problems and nothing imported (code `import_rejected`, with the rows)", body = ImportRefusal),
        PersonAuth, BadRequest, NotFound, Conflict, Always,
        (status = 413, description = "The file is too large", body = super::error::ErrorBody),
    ),
    security(("bearer" = [])))]
async fn import_diners(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(q): Query<ImportQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    require(&person, &[Role::Admin])?;
    let t = township_in_scope(&state, &person, TownshipId(id)).await?;
    let body = body?;
    let known: HashMap<String, DinerId> = state
        .store
        .diners_since(t.id, 0)
        .await?
        .into_iter()
        .filter_map(|d| Some((d.resident_id?, d.id)))
        .collect();
    // When the request times out this future is dropped, the guard cancels,
    // and the blocking job stops at its next row.
    let cancel = Cancel::default();
    let _cancel_on_drop = cancel.on_drop();
    let today = township_today(&state, t.id).await?;
    let parsed = tokio::task::spawn_blocking(move || {
        let table = read_table(&body, &ImportLimits::default(), &cancel)?;
        parse_roster(table, &known, today, &cancel)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| match e {
        ImportError::TooLarge(m) => ApiError::Invalid("file_too_large", m),
        ImportError::Unreadable(m) => ApiError::Invalid("unreadable_file", m),
        ImportError::Cancelled => ApiError::Internal("the import was cancelled".into()),
    })?;
    let total_rows = parsed.good.len() + parsed.bad.len();
    if !parsed.bad.is_empty() && !q.import_good {
        let body = ImportRefused {
            code: "import_rejected",
            message: format!(
                "{} of {total_rows} rows have problems; nothing was imported. Fix them, or import the good rows with ?import_good=true",
                parsed.bad.len()
            ),
            total_rows,
            imported: 0,
            rejected: refused(parsed.bad),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
    }
    let fields: Vec<_> = parsed.good.into_iter().map(|(_, f)| f).collect();
    let imported = fields.len();
    if imported > 0 {
        state
            .store
            .insert_diners(t.id, fields, actor(&person))
            .await?;
    }
    Ok(Json(ImportReport {
        total_rows,
        imported,
        rejected: refused(parsed.bad),
    })
    .into_response())
}

/// Every price policy version of a site.
#[utoipa::path(get, path = "/api/sites/{id}/policies", tag = "policies",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site's policy versions, oldest first", body = [PricePolicy]),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn list_policies(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PricePolicy>>, ApiError> {
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let book = policy_book(&state.store.policies_since(site.id, 0).await?);
    Ok(Json(book.versions().to_vec()))
}

/// Adds a price policy version to a site (or replaces the one of the same
/// date). The policy is checked: prices between zero and the standard,
/// brackets contiguous, funding shares adding up to 1.
#[utoipa::path(post, path = "/api/sites/{id}/policies", tag = "policies",
    params(("id" = i64, Path, description = "Site id")),
    request_body = PricePolicy,
    responses(
        (status = 201, description = "The policy stored", body = PricePolicy),
        PersonAuth, BadRequest, JsonBody, NotFound, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_policy(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(policy): Json<PricePolicy>,
) -> Result<(StatusCode, Json<PricePolicy>), ApiError> {
    require(&person, &[Role::Admin])?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    if policy.site_id() != site.id {
        return Err(ApiError::invalid(format!(
            "the policy names site {}, but was posted to site {}",
            policy.site_id(),
            site.id
        )));
    }
    let body = serde_json::to_string(&policy).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .upsert_policy(
            site.id,
            policy.effective_from(),
            &body,
            audit(&person, Some(site.township_id), "policy.create", "policy"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(policy)))
}
