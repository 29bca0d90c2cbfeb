//! Finance's checks beyond the claim: each shift's cash counted against
//! what the drawer should hold, and the welfare list of regular diners not
//! seen lately. The JSON API and the pages both call these, so the figures
//! are the same on both; the rules themselves are `canteen-core`'s
//! (`ShiftCheck::of`, `absent_regulars`).

use canteen_core::{Money, ShiftTally, WelfareRule, absent_regulars};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{diner_from_row, local_date};
use crate::store::{Db, Site, StoreError, Township};

/// What can be wrong with a check's request.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The dates of a shift check.
    #[error("give from ≤ to, at most 62 days apart")]
    BadRange,
    /// The welfare rule.
    #[error("days must be 1 to 30, min_meals 1 to 90")]
    BadRule,
}

/// The longest span of a shift check, in days.
pub const MAX_SHIFT_DAYS: i64 = 62;

/// A shift's figures at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct ShiftFigures {
    /// Sales counted.
    pub sales_count: u32,
    /// Voids counted.
    pub voids_count: u32,
    /// Cash taken.
    pub cash_sales: Money,
    /// QR payments taken.
    pub qr_sales: Money,
    /// Float plus cash sales minus cash voids.
    pub expected_cash: Money,
    /// Counted minus expected, once counted.
    pub difference: Option<Money>,
}

/// A sale or void of a shift that reached the backend after its close.
#[derive(Debug, Clone, Serialize)]
pub struct LateRecord {
    /// `sale` or `void`.
    pub kind: &'static str,
    /// The record's id.
    pub id: String,
    /// The sale (itself, or the one voided).
    pub sale_id: String,
    /// When the backend received it.
    pub received_at: DateTime<Utc>,
    /// Its cash (negative for a void).
    pub cash: Money,
}

/// One shift's cash check.
#[derive(Debug, Clone, Serialize)]
pub struct ShiftCheck {
    /// Shift id.
    pub id: String,
    /// Terminal.
    pub terminal_id: i64,
    /// Cashier.
    pub cashier_id: i64,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Closed, if it is, by the terminal's clock.
    pub closed_at: Option<DateTime<Utc>>,
    /// When the backend received the close: sales and voids received from
    /// then on are late.
    pub close_received_at: Option<DateTime<Utc>>,
    /// Float at the opening.
    pub opening_float: Money,
    /// Cash counted at the close.
    pub counted_cash: Option<Money>,
    /// Figures from what had arrived when the close was received.
    pub at_close: ShiftFigures,
    /// Figures from everything that has arrived since.
    pub now: ShiftFigures,
    /// Sales and voids of the shift that arrived after it was closed.
    pub late: Vec<LateRecord>,
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

/// Each shift of a site opened between two local dates (inclusive).
pub async fn shift_checks(
    store: &Db,
    site: &Site,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ShiftCheck>, CheckError> {
    if to < from || (to - from).num_days() > MAX_SHIFT_DAYS {
        return Err(CheckError::BadRange);
    }
    let offset = chrono::Duration::minutes(site.utc_offset_minutes);
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - offset)
            .ok_or(CheckError::BadRange)
    };
    let from = start(from)?;
    let to = start(to.succ_opt().ok_or(CheckError::BadRange)?)?;
    let mut out = Vec::new();
    for shift in store.shifts_for_site(site.id, from, to).await? {
        let until = shift.closed_at.unwrap_or(DateTime::<Utc>::MAX_UTC);
        let (sales, voids) = store.shift_records(&shift, until).await?;
        let closed_at = shift.closed_at;
        // Late is counted from when the close reached the backend, the
        // clock sales are received by (the terminal's may be off).
        let close_received_at = match (shift.closed_at, shift.close_received_at) {
            (_, Some(t)) => Some(t),
            (None, None) => None,
            (Some(_), None) => {
                return Err(CheckError::Store(StoreError::Corrupt(format!(
                    "shift {} is closed with no time its close was received",
                    shift.id
                ))));
            }
        };
        let float = shift.opening_float;
        let counted = shift.counted_cash;
        // One rule for what counts and what is late: the core's.
        let check = canteen_core::ShiftCheck::of(float, &sales, &voids, close_received_at);
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
        out.push(ShiftCheck {
            id: shift.id.to_string(),
            terminal_id: shift.terminal_id.0,
            cashier_id: shift.cashier_id.0,
            opened_at: shift.opened_at,
            closed_at,
            close_received_at,
            opening_float: float,
            counted_cash: counted,
            at_close: figures(&check.at_close, counted),
            now: figures(&check.now, counted),
            late,
        });
    }
    Ok(out)
}

/// A regular diner not seen lately (masked ID number only).
#[derive(Debug, Clone, Serialize)]
pub struct WelfareEntry {
    /// Diner.
    pub diner_id: i64,
    /// Name.
    pub name: String,
    /// ID number, first 6 and last 2 characters.
    pub resident_id_masked: Option<String>,
    /// Village.
    pub village: Option<String>,
    /// Meals in the window.
    pub meals_last_30_days: u32,
    /// The last meal's date.
    pub last_meal: NaiveDate,
    /// Days since it.
    pub days_absent: i64,
}

/// The welfare list of a township.
#[derive(Debug, Clone, Serialize)]
pub struct WelfareView {
    /// Township.
    pub township_id: i64,
    /// Today, in the township's time zone.
    pub today: NaiveDate,
    /// Days absent asked for.
    pub absent_days: u32,
    /// Meals in 30 days that make a regular.
    pub min_meals: u32,
    /// Who.
    pub diners: Vec<WelfareEntry>,
}

/// Regular diners of a township (`min_meals` in 30 days) not seen at any
/// site for `absent_days` days, as of `now`.
pub async fn welfare(
    store: &Db,
    township: &Township,
    absent_days: u32,
    min_meals: u32,
    now: DateTime<Utc>,
) -> Result<WelfareView, CheckError> {
    let rule = WelfareRule {
        absent_days,
        min_meals,
        ..WelfareRule::default()
    };
    if !(1..=30).contains(&rule.absent_days) || !(1..=90).contains(&rule.min_meals) {
        return Err(CheckError::BadRule);
    }
    let offset = store
        .sites(Some(township.id))
        .await?
        .first()
        .map_or(480, |s| s.utc_offset_minutes);
    let today = local_date(now, offset);
    let from = today - chrono::Duration::days(i64::from(rule.window_days) - 1);
    let meals = store.meals_since(township.id, from).await?;
    let rows = store.diners_since(township.id, 0).await?;
    let roster = rows
        .iter()
        .map(diner_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)?;
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
    Ok(WelfareView {
        township_id: township.id.0,
        today,
        absent_days: rule.absent_days,
        min_meals: rule.min_meals,
        diners,
    })
}
