//! Sales as the office sees them, with the backend's verdict on each line.
//! Money as "12.50" strings, times RFC 3339 in the site's own offset.

use axum::extract::State;
use canteen_core::first_meal::is_first_sold;
use canteen_core::{DinerId, Money, PriceReason, Sale, SaleId, SiteId, Slot};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::admin::{require, site_in_scope};
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Invalid, NotFound, PersonAuth};
use super::views::local;
use crate::roles::{Person, Role};
use crate::store::{SaleLineRow, SaleRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sales))
        .routes(routes!(get_sale))
}

/// The longest range of business dates asked for at once.
const MAX_RANGE_DAYS: i64 = 366;

/// Business dates, both inclusive.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Range {
    /// First business date.
    from: NaiveDate,
    /// Last business date, not before `from` and at most 366 days after it.
    to: NaiveDate,
}

/// How a sale was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at the counter.
    Cash,
    /// A QR-code payment.
    Qr,
}

impl PaymentMethod {
    fn parse(text: &str) -> Result<PaymentMethod, ApiError> {
        match text {
            "cash" => Ok(PaymentMethod::Cash),
            "qr" => Ok(PaymentMethod::Qr),
            other => Err(ApiError::Internal(format!(
                "stored payment method '{other}'"
            ))),
        }
    }
}

/// A sale in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleSummary {
    /// Sale id, made on the terminal.
    #[schema(format = Uuid)]
    pub id: String,
    /// Terminal.
    pub terminal_id: i64,
    /// Cashier.
    pub cashier_id: i64,
    /// When, by the terminal's clock, in the site's offset.
    pub sold_at: DateTime<FixedOffset>,
    /// The local date the meal belongs to.
    pub business_date: NaiveDate,
    /// The meal slot.
    pub slot: Slot,
    /// What the customer paid.
    pub total_paid: Money,
    /// The subsidy of the sale's meals, as the terminal priced them.
    pub subsidy: Money,
    /// Cash or QR.
    pub payment_method: PaymentMethod,
    /// When the backend received it, in the site's offset.
    pub received_at: DateTime<FixedOffset>,
    /// True once a void reverses it.
    pub voided: bool,
}

impl SaleSummary {
    fn from_row(s: SaleRow, utc_offset_minutes: i64) -> Result<SaleSummary, ApiError> {
        Ok(SaleSummary {
            sold_at: local(s.sold_at, utc_offset_minutes)?,
            business_date: s.business_date,
            slot: s.slot,
            total_paid: s.total_paid,
            subsidy: s.subsidy_total,
            payment_method: PaymentMethod::parse(&s.payment_method)?,
            received_at: local(s.received_at, utc_offset_minutes)?,
            voided: s.void_id.is_some(),
            id: s.id.to_string(),
            terminal_id: s.terminal_id.0,
            cashier_id: s.cashier_id.0,
        })
    }
}

/// A site's sales over a range of business dates.
#[utoipa::path(get, path = "/api/sites/{id}/sales", tag = "sales",
    params(("id" = i64, Path, description = "Site id"), Range),
    responses(
        (status = 200, description = "The sales, in the order sold", body = [SaleSummary]),
        PersonAuth, BadRequest, NotFound, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn list_sales(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Query(r): Query<Range>,
) -> Result<Json<Vec<SaleSummary>>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance, Role::Cashier])?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    if r.to < r.from {
        return Err(ApiError::invalid("'to' is before 'from'"));
    }
    if (r.to - r.from).num_days() > MAX_RANGE_DAYS {
        return Err(ApiError::invalid(
            "ask for at most a year of sales at a time",
        ));
    }
    let rows = state.store.sales_for_site(&site, r.from, r.to).await?;
    let sales = rows
        .into_iter()
        .map(|row| SaleSummary::from_row(row, site.utc_offset_minutes))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(sales))
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A meal for a diner on the roster.
    DinerMeal,
    /// A meal for someone not on the roster.
    WalkInMeal,
    /// Anything else sold.
    Extra,
}

/// Whether the backend's pricing agrees with the terminal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Same price and subsidy.
    Agrees,
    /// Another price or subsidy than the backend's.
    Differs,
    /// The backend could not price it (no policy, unknown diner).
    Unpriced,
    /// Not a subsidised meal (a walk-in or an extra).
    NotSubsidised,
}

/// One stored line with the backend's verdict beside the terminal's pricing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleLineView {
    /// 1-based.
    pub line_no: i64,
    /// What the line is.
    pub kind: LineKind,
    /// The diner of a diner meal.
    pub diner_id: Option<i64>,
    /// Name of an extra.
    pub name: Option<String>,
    /// How many (1 for meals).
    pub quantity: i64,
    /// Standard price the terminal used.
    pub standard: Option<Money>,
    /// What the line charged.
    pub amount: Money,
    /// The terminal's subsidy.
    pub subsidy: Money,
    /// The terminal's bracket.
    pub bracket: Option<String>,
    /// The terminal's category.
    pub category: Option<String>,
    /// The backend's standard price.
    pub expected_standard: Option<Money>,
    /// The backend's price.
    pub expected_paid: Option<Money>,
    /// The backend's subsidy.
    pub expected_subsidy: Option<Money>,
    /// The backend's bracket.
    pub expected_bracket: Option<String>,
    /// The backend's category.
    pub expected_category: Option<String>,
    /// Why the backend priced it so.
    pub expected_reason: Option<PriceReason>,
    /// Whether the two agree.
    pub verdict: Verdict,
    /// For a meal the terminal sold with a subsidy: whether it is, now, the
    /// diner's subsidised meal of the slot and day (the first sold, by
    /// canteen-core's rule, as the claim decides). The verdict above is the
    /// backend's as of receipt; a meal sold earlier that arrives later
    /// (an offline terminal) takes the subsidy from it here.
    pub first_sold: Option<bool>,
}

impl TryFrom<SaleLineRow> for SaleLineView {
    type Error = ApiError;
    fn try_from(l: SaleLineRow) -> Result<SaleLineView, ApiError> {
        let kind = match l.kind.as_str() {
            "diner_meal" => LineKind::DinerMeal,
            "walk_in_meal" => LineKind::WalkInMeal,
            "extra" => LineKind::Extra,
            other => return Err(ApiError::Internal(format!("stored line kind '{other}'"))),
        };
        let verdict = match l.verdict.as_str() {
            "agrees" => Verdict::Agrees,
            "differs" => Verdict::Differs,
            "unpriced" => Verdict::Unpriced,
            "not_subsidised" => Verdict::NotSubsidised,
            other => return Err(ApiError::Internal(format!("stored verdict '{other}'"))),
        };
        let expected_reason = l
            .expected_reason
            .as_deref()
            .map(serde_json::from_str::<PriceReason>)
            .transpose()
            .map_err(|e| ApiError::Internal(format!("stored price reason: {e}")))?;
        Ok(SaleLineView {
            line_no: l.line_no,
            kind,
            diner_id: l.diner_id.map(|d| d.0),
            name: l.name,
            quantity: l.quantity,
            standard: l.standard,
            amount: l.amount,
            subsidy: l.subsidy,
            bracket: l.bracket,
            category: l.category,
            expected_standard: l.expected_standard,
            expected_paid: l.expected_paid,
            expected_subsidy: l.expected_subsidy,
            expected_bracket: l.expected_bracket,
            expected_category: l.expected_category,
            expected_reason,
            verdict,
            first_sold: None,
        })
    }
}

/// One sale: as the terminal posted it, and as the backend judged it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleDetail {
    /// The sale exactly as the terminal posted it.
    pub sale: Sale,
    /// When the backend received it, in the site's offset.
    pub received_at: DateTime<FixedOffset>,
    /// The void that reverses it, if any.
    #[schema(format = Uuid)]
    pub void_id: Option<String>,
    /// Its lines with the backend's verdict.
    pub lines: Vec<SaleLineView>,
}

/// One sale with its lines and the backend's verdict on each.
#[utoipa::path(get, path = "/api/sales/{id}", tag = "sales",
    params(("id" = uuid::Uuid, Path, description = "Sale id")),
    responses(
        (status = 200, description = "The sale", body = SaleDetail),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn get_sale(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<SaleDetail>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance, Role::Cashier])?;
    let sale = state
        .store
        .sale(SaleId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("sale"))?;
    let site = site_in_scope(&state, &person, sale.site_id)
        .await
        .map_err(|_| ApiError::not_found("sale"))?;
    let lines = state.store.sale_lines(sale.id).await?;
    let posted: Sale = serde_json::from_str(&sale.body)
        .map_err(|e| ApiError::Internal(format!("stored sale {}: {e}", sale.id)))?;
    let mut lines = lines
        .into_iter()
        .map(SaleLineView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    for line in &mut lines {
        if let (LineKind::DinerMeal, Some(diner)) = (&line.kind, line.diner_id)
            && line.subsidy > Money::ZERO
        {
            let others = state
                .store
                .meal_contest(
                    site.township_id,
                    DinerId(diner),
                    sale.business_date,
                    sale.slot,
                )
                .await?;
            // A voided sale has left the contest.
            let meal = crate::store::meal_order(sale.sold_at, sale.id, line.line_no)?;
            line.first_sold = Some(sale.void_id.is_none() && is_first_sold(meal, others));
        }
    }
    Ok(Json(SaleDetail {
        sale: posted,
        received_at: local(sale.received_at, site.utc_offset_minutes)?,
        void_id: sale.void_id.map(|v| v.to_string()),
        lines,
    }))
}
