//! Sales as the office sees them, with the backend's verdict on each line.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admin::{require, site_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use crate::roles::{Person, Role};
use crate::store::{SaleLineRow, SaleRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sites/{id}/sales", get(list_sales))
        .route("/api/sales/{id}", get(get_sale))
}

#[derive(Deserialize)]
struct Range {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Serialize)]
struct SaleSummary {
    id: String,
    terminal_id: i64,
    cashier_id: i64,
    sold_at: i64,
    business_date: String,
    slot: String,
    total_paid_fen: i64,
    subsidy_fen: i64,
    payment_method: String,
    received_at: i64,
    voided: bool,
}

impl From<SaleRow> for SaleSummary {
    fn from(s: SaleRow) -> SaleSummary {
        SaleSummary {
            id: s.id,
            terminal_id: s.terminal_id,
            cashier_id: s.cashier_id,
            sold_at: s.sold_at,
            business_date: s.business_date,
            slot: s.slot,
            total_paid_fen: s.total_paid,
            subsidy_fen: s.subsidy_total,
            payment_method: s.payment_method,
            received_at: s.received_at,
            voided: s.void_id.is_some(),
        }
    }
}

async fn list_sales(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(r): Query<Range>,
) -> Result<Json<Vec<SaleSummary>>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance, Role::Cashier])?;
    let site = site_in_scope(&state, &person, id).await?;
    if (r.to - r.from).num_days() > 366 {
        return Err(ApiError::invalid(
            "ask for at most a year of sales at a time",
        ));
    }
    let rows = state
        .store
        .sales_for_site(site.id, &r.from.to_string(), &r.to.to_string())
        .await?;
    Ok(Json(rows.into_iter().map(SaleSummary::from).collect()))
}

#[derive(Serialize)]
struct SaleDetail {
    sale: serde_json::Value,
    received_at: i64,
    void_id: Option<String>,
    lines: Vec<SaleLineRow>,
}

async fn get_sale(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Json<SaleDetail>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance, Role::Cashier])?;
    let sale = state
        .store
        .sale(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("sale"))?;
    site_in_scope(&state, &person, sale.site_id)
        .await
        .map_err(|_| ApiError::not_found("sale"))?;
    let lines = state.store.sale_lines(&sale.id).await?;
    Ok(Json(SaleDetail {
        sale: serde_json::from_str(&sale.body).unwrap_or_default(),
        received_at: sale.received_at,
        void_id: sale.void_id,
        lines,
    }))
}
