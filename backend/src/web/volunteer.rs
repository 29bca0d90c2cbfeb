//! Volunteers' pages, for a phone with a weak signal: record a free-meal
//! day at their site, see and correct their own entries of the last 7
//! days, and the site's totals. Recording goes through
//! [`crate::free_meals`], the JSON API's service: idempotent by the id the
//! form carries from when it was rendered, so a form sent twice (a retry
//! after no signal) records once. Picking diners works without a script
//! (the form posts its search and comes back with everything kept);
//! `static/free-meal.js` adds a live search and keeps what was typed on
//! the phone until the server confirms it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use canteen_core::sale::{Donation, Purchase};
use canteen_core::{DinerId, FreeMealDay, FreeMealId, Money, Slot, YearMonth};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::error::PageError;
use super::guard::Volunteer;
use super::i18n::Messages;
use super::{Page, assets};
use crate::domain::local_date;
use crate::free_meals::{self, CORRECTION_DAYS, FreeMealError, Recorded};
use crate::http::AppState;
use crate::http::extract::Path;
use crate::roster_search;
use crate::store::finance::{FreeMealRow, FreeMealTotals, month_range};
use crate::store::{DinerRow, Site};

/// The form that records a new free-meal day.
pub const RECORD_PATH: &str = "/volunteer/meals/new";
/// The volunteer's entries and the site's totals.
pub const MEALS_PATH: &str = "/volunteer/meals";
/// The live search's answers (JSON, for the script).
pub const ROSTER_PATH: &str = "/volunteer/roster";

/// How many diners a search shows.
const SEARCH_LIMIT: usize = 20;
/// Purchase and donation rows a form takes (the service's bound).
const MAX_ROWS: usize = 200;
/// Diners a form takes (the service's bound).
const MAX_DINERS: usize = 1000;
/// The longest text the service takes in a field.
const MAX_TEXT: usize = 100;
/// The largest headcount a form takes.
const MAX_EXTRA: u32 = 10_000;

/// The volunteer pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(RECORD_PATH, get(new_form).post(post_new))
        .route(MEALS_PATH, get(my_meals))
        .route(
            "/volunteer/meals/{id}",
            get(open_meal).post(post_correction),
        )
        .route(ROSTER_PATH, get(roster_search))
}

fn today_at(site: &Site) -> NaiveDate {
    local_date(Utc::now(), site.utc_offset_minutes)
}

/// A purchase row as typed.
#[derive(Debug, Clone, Default)]
pub struct PurchaseInput {
    item: String,
    quantity: String,
    cost: String,
    paid_by: String,
    error: Option<&'static str>,
}

impl PurchaseInput {
    fn is_blank(&self) -> bool {
        [&self.item, &self.quantity, &self.cost, &self.paid_by]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// A donation row as typed.
#[derive(Debug, Clone, Default)]
pub struct DonationInput {
    item: String,
    quantity: String,
    donor: String,
    error: Option<&'static str>,
}

impl DonationInput {
    fn is_blank(&self) -> bool {
        [&self.item, &self.quantity, &self.donor]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// What is wrong with the form, by field, in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    date: Option<&'static str>,
    slot: Option<&'static str>,
    extra: Option<&'static str>,
    nobody: Option<&'static str>,
    volunteers: Option<&'static str>,
    rows: Option<&'static str>,
}

/// The free-meal form as typed: kept whole when it is refused or when it
/// comes back with search results.
#[derive(Debug, Clone, Default)]
pub struct MealInput {
    client_id: String,
    date: String,
    slot: String,
    diners: Vec<i64>,
    extra: String,
    volunteers: String,
    purchases: Vec<PurchaseInput>,
    donations: Vec<DonationInput>,
    query: String,
    action: String,
    errors: FieldErrors,
    too_many: bool,
}

/// `p3_item` → ('p', 3, "item").
fn row_key(key: &str) -> Option<(char, usize, &str)> {
    let mut chars = key.chars();
    let kind = chars.next().filter(|c| *c == 'p' || *c == 'd')?;
    let (index, field) = chars.as_str().split_once('_')?;
    Some((kind, index.parse().ok()?, field))
}

impl MealInput {
    /// Reads the posted fields (repeated `diner`, numbered rows). Rows or
    /// diners beyond the bounds are not kept but noted, and refused.
    fn from_pairs(pairs: Vec<(String, String)>) -> MealInput {
        let mut f = MealInput::default();
        for (key, value) in pairs {
            match key.as_str() {
                "client_id" => f.client_id = value,
                "date" => f.date = value,
                "slot" => f.slot = value,
                "extra" => f.extra = value,
                "volunteers" => f.volunteers = value,
                "q" => f.query = value,
                "op" => f.action = value,
                "diner" => match value.trim().parse::<i64>() {
                    Ok(id) if f.diners.contains(&id) => {}
                    Ok(_) if f.diners.len() >= MAX_DINERS => f.too_many = true,
                    Ok(id) => f.diners.push(id),
                    // Not a number: names nobody on the roster.
                    Err(_) => {}
                },
                _ => {
                    let Some((kind, index, field)) = row_key(&key) else {
                        continue;
                    };
                    if index >= MAX_ROWS {
                        f.too_many = true;
                        continue;
                    }
                    if kind == 'p' {
                        if f.purchases.len() <= index {
                            f.purchases.resize_with(index + 1, Default::default);
                        }
                        let row = &mut f.purchases[index];
                        match field {
                            "item" => row.item = value,
                            "qty" => row.quantity = value,
                            "cost" => row.cost = value,
                            "paid" => row.paid_by = value,
                            _ => {}
                        }
                    } else {
                        if f.donations.len() <= index {
                            f.donations.resize_with(index + 1, Default::default);
                        }
                        let row = &mut f.donations[index];
                        match field {
                            "item" => row.item = value,
                            "qty" => row.quantity = value,
                            "donor" => row.donor = value,
                            _ => {}
                        }
                    }
                }
            }
        }
        f
    }

    /// A day as the form shows it, for a correction.
    fn of_day(day: &FreeMealDay) -> MealInput {
        let named = day.diners.len();
        let extra = day
            .headcount
            .map(|h| (h as usize).saturating_sub(named))
            .filter(|e| *e > 0)
            .map(|e| e.to_string())
            .unwrap_or_default();
        MealInput {
            client_id: day.id.to_string(),
            date: day.date.to_string(),
            slot: day.slot.as_str().to_string(),
            diners: day.diners.iter().map(|d| d.0).collect(),
            extra,
            volunteers: day.volunteers.join("、"),
            purchases: day
                .purchases
                .iter()
                .map(|p| PurchaseInput {
                    item: p.item.clone(),
                    quantity: p.quantity.clone().unwrap_or_default(),
                    cost: p.cost.to_string(),
                    paid_by: p.paid_by.clone(),
                    error: None,
                })
                .collect(),
            donations: day
                .donations
                .iter()
                .map(|d| DonationInput {
                    item: d.item.clone(),
                    quantity: d.quantity.clone(),
                    donor: d.donor.clone().unwrap_or_default(),
                    error: None,
                })
                .collect(),
            ..MealInput::default()
        }
    }

    /// Drops blank rows and leaves one blank row of each kind to type in
    /// (two when there are none), as the page shows them.
    fn with_blank_rows(&mut self) {
        self.purchases
            .retain(|p| !p.is_blank() || p.error.is_some());
        self.donations
            .retain(|d| !d.is_blank() || d.error.is_some());
        let p = if self.purchases.is_empty() { 2 } else { 1 };
        let d = if self.donations.is_empty() { 2 } else { 1 };
        self.purchases
            .extend(std::iter::repeat_with(PurchaseInput::default).take(p));
        self.donations
            .extend(std::iter::repeat_with(DonationInput::default).take(d));
    }

    fn has_errors(&self) -> bool {
        let e = &self.errors;
        self.too_many
            || [e.date, e.slot, e.extra, e.nobody, e.volunteers, e.rows]
                .iter()
                .any(Option::is_some)
            || self.purchases.iter().any(|p| p.error.is_some())
            || self.donations.iter().any(|d| d.error.is_some())
    }

    /// The day the form describes, or `None` with the reasons set by the
    /// fields. `oldest` is the earliest date allowed (corrections).
    fn check_day(
        &mut self,
        t: &'static Messages,
        id: FreeMealId,
        site: &Site,
        today: NaiveDate,
        oldest: Option<NaiveDate>,
    ) -> Option<FreeMealDay> {
        let text_ok = |s: &str| {
            s.trim().chars().count() <= MAX_TEXT && crate::text::check_text("", s).is_ok()
        };
        let date = match NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => None,
            Ok(d) if oldest.is_some_and(|o| d < o) => {
                self.errors.date = Some(t.fm_err_too_old);
                None
            }
            Ok(d) => Some(d),
            Err(_) => None,
        };
        if date.is_none() && self.errors.date.is_none() {
            self.errors.date = Some(t.fm_err_date);
        }
        let slot = Slot::ALL
            .into_iter()
            .find(|s| s.as_str() == self.slot.trim());
        if slot.is_none() {
            self.errors.slot = Some(t.fm_err_slot);
        }
        let extra = match self.extra.trim() {
            "" => Some(0),
            s => s.parse::<u32>().ok().filter(|n| *n <= MAX_EXTRA),
        };
        if extra.is_none() {
            self.errors.extra = Some(t.fm_err_extra);
        }
        if self.diners.is_empty() && extra == Some(0) {
            self.errors.nobody = Some(t.fm_err_nobody);
        }
        let volunteers: Vec<String> = self
            .volunteers
            .split([',', '，', '、', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if !volunteers.iter().all(|v| text_ok(v)) {
            self.errors.volunteers = Some(t.fm_err_text);
        }
        let mut purchases = Vec::new();
        for p in &mut self.purchases {
            if p.is_blank() {
                continue;
            }
            let cost = Money::parse(p.cost.trim())
                .ok()
                .filter(|c| !c.is_negative());
            let texts = [&p.item, &p.quantity, &p.paid_by];
            if !texts.iter().all(|s| text_ok(s)) {
                p.error = Some(t.fm_err_text);
            } else if let (Some(cost), false) = (cost, p.item.trim().is_empty()) {
                let quantity = p.quantity.trim();
                purchases.push(Purchase {
                    item: p.item.trim().to_string(),
                    quantity: (!quantity.is_empty()).then(|| quantity.to_string()),
                    cost,
                    paid_by: p.paid_by.trim().to_string(),
                });
            } else {
                p.error = Some(t.fm_err_purchase);
            }
        }
        let mut donations = Vec::new();
        for d in &mut self.donations {
            if d.is_blank() {
                continue;
            }
            let texts = [&d.item, &d.quantity, &d.donor];
            if !texts.iter().all(|s| text_ok(s)) {
                d.error = Some(t.fm_err_text);
            } else if d.item.trim().is_empty() {
                d.error = Some(t.fm_err_donation);
            } else {
                let donor = d.donor.trim();
                donations.push(Donation {
                    item: d.item.trim().to_string(),
                    quantity: d.quantity.trim().to_string(),
                    donor: (!donor.is_empty()).then(|| donor.to_string()),
                });
            }
        }
        if self.too_many {
            self.errors.rows = Some(t.fm_err_too_many);
        }
        if self.has_errors() {
            return None;
        }
        let (date, slot, extra) = (date?, slot?, extra?);
        let named = u32::try_from(self.diners.len()).ok()?;
        Some(FreeMealDay {
            id,
            site_id: site.id,
            date,
            slot,
            diners: self.diners.iter().map(|d| DinerId(*d)).collect(),
            headcount: (extra > 0).then(|| named + extra),
            volunteers,
            purchases,
            donations,
        })
    }
}

/// A diner to pick: id and how a volunteer recognises them (name,
/// village, card number; never an ID number or birth date).
#[derive(Debug, Clone, Serialize)]
pub struct DinerChoice {
    id: i64,
    label: String,
}

impl DinerChoice {
    fn of(row: &DinerRow) -> DinerChoice {
        let mut label = row.name.clone();
        for extra in [&row.village, &row.card_no].into_iter().flatten() {
            if !extra.trim().is_empty() {
                label.push_str(" · ");
                label.push_str(extra.trim());
            }
        }
        DinerChoice {
            id: row.id.0,
            label,
        }
    }
}

/// The form to record or correct a free-meal day.
#[derive(Template, WebTemplate)]
#[template(path = "volunteer/meal_form.html")]
pub struct MealFormPage {
    page: Page,
    site_name: String,
    /// Where the form posts.
    target: String,
    /// Under which key the script keeps what was typed on the phone.
    draft_key: String,
    editing: bool,
    input: MealInput,
    picked: Vec<DinerChoice>,
    results: Vec<DinerChoice>,
    searched: bool,
    /// Why the service refused it, in its own words.
    refusal: Option<String>,
    /// The refusal's reason, in the reader's language.
    problem: Option<&'static str>,
    today: String,
    slots: Vec<SlotOption>,
    script: &'static str,
    roster: &'static str,
    /// Rendered for a GET (not a post coming back): the script may put
    /// back a draft kept on the phone.
    fresh: bool,
}

/// A slot in the form's list.
pub struct SlotOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

impl MealFormPage {
    async fn build(
        state: &AppState,
        v: &Volunteer,
        here: &str,
        editing: bool,
        mut input: MealInput,
        search: bool,
    ) -> Result<MealFormPage, PageError> {
        let page = Page::new(&v.signed, here);
        let t = page.t;
        let today = today_at(&v.site);
        let ids: Vec<DinerId> = input.diners.iter().map(|d| DinerId(*d)).collect();
        let found = state.store.diners_by_ids(v.site.township_id, ids).await?;
        // In the order picked; ids not on the roster are dropped.
        let picked: Vec<DinerChoice> = input
            .diners
            .iter()
            .filter_map(|id| found.iter().find(|r| r.id.0 == *id))
            .map(DinerChoice::of)
            .collect();
        input.diners = picked.iter().map(|c| c.id).collect();
        let results = if search && !input.query.trim().is_empty() {
            let date = NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d").unwrap_or(today);
            let roster = state.store.diners_since(v.site.township_id, 0).await?;
            roster_search::search(&roster, &input.query, date, SEARCH_LIMIT + picked.len())
                .into_iter()
                .filter(|r| !input.diners.contains(&r.id.0))
                .take(SEARCH_LIMIT)
                .map(DinerChoice::of)
                .collect()
        } else {
            Vec::new()
        };
        input.with_blank_rows();
        if input.action == "rows" {
            input.purchases.push(PurchaseInput::default());
            input.donations.push(DonationInput::default());
        }
        let input_slot = input.slot.trim().to_string();
        let draft_key = if editing {
            format!("canteen.free-meal.{}", input.client_id)
        } else {
            format!(
                "canteen.free-meal.new.{}.{}",
                v.site.id, v.signed.person.user.id
            )
        };
        Ok(MealFormPage {
            site_name: v.site.name.clone(),
            target: here.to_string(),
            draft_key,
            editing,
            searched: search && !input.query.trim().is_empty(),
            input,
            picked,
            results,
            refusal: None,
            problem: None,
            today: today.to_string(),
            slots: Slot::ALL
                .iter()
                .map(|s| SlotOption {
                    value: s.as_str(),
                    label: t.slot(*s),
                    selected: s.as_str() == input_slot,
                })
                .collect(),
            script: assets::free_meal_script_href(),
            roster: ROSTER_PATH,
            fresh: false,
            page,
        })
    }

    fn refused(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

/// `GET /volunteer/meals/new`: a blank form with a fresh id, so sending it
/// twice records once.
pub async fn new_form(
    State(state): State<AppState>,
    v: Volunteer,
) -> Result<MealFormPage, PageError> {
    let today = today_at(&v.site);
    let input = MealInput {
        client_id: uuid::Uuid::new_v4().to_string(),
        date: today.to_string(),
        slot: Slot::Lunch.as_str().to_string(),
        ..MealInput::default()
    };
    let mut page = MealFormPage::build(&state, &v, RECORD_PATH, false, input, false).await?;
    page.fresh = true;
    Ok(page)
}

fn form_id(input: &MealInput) -> Result<FreeMealId, PageError> {
    input
        .client_id
        .trim()
        .parse::<uuid::Uuid>()
        .ok()
        .filter(|u| !u.is_nil())
        .map(FreeMealId)
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, |t| t.err_csrf))
}

/// `POST /volunteer/meals/new`: "find" comes back with the results and
/// everything typed; "save" records through the service.
pub async fn post_new(
    State(state): State<AppState>,
    v: Volunteer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut input = MealInput::from_pairs(pairs);
    let id = form_id(&input)?;
    if input.action == "search" || input.action == "rows" {
        let search = input.action == "search";
        let page = MealFormPage::build(&state, &v, RECORD_PATH, false, input, search).await?;
        return Ok(page.into_response());
    }
    let t = v.signed.lang.t();
    let today = today_at(&v.site);
    let Some(day) = input.check_day(t, id, &v.site, today, None) else {
        let page = MealFormPage::build(&state, &v, RECORD_PATH, false, input, false).await?;
        return Ok(page.refused(StatusCode::UNPROCESSABLE_ENTITY));
    };
    let person = &v.signed.person;
    match free_meals::record(&state.store, person, &v.site, &day).await {
        Ok(outcome) => {
            let status = match outcome {
                Recorded::Stored => "stored",
                Recorded::Unchanged => "duplicate",
            };
            Ok(Redirect::to(&format!("{MEALS_PATH}?saved={id}&status={status}")).into_response())
        }
        Err(e) => refusal(&state, &v, RECORD_PATH, false, input, e).await,
    }
}

/// The form again with the service's reason, or an error page.
async fn refusal(
    state: &AppState,
    v: &Volunteer,
    here: &str,
    editing: bool,
    input: MealInput,
    e: FreeMealError,
) -> Result<Response, PageError> {
    let (status, problem, detail): (StatusCode, super::error::Msg, Option<String>) = match e {
        FreeMealError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, |t| t.err_invalid, Some(m)),
        FreeMealError::Conflict(_) => (StatusCode::CONFLICT, |t| t.fm_err_conflict, None),
        FreeMealError::Forbidden(_) => {
            return Err(PageError::forbidden(|t| t.fm_err_not_author));
        }
        FreeMealError::NotFound => return Err(PageError::not_found()),
        FreeMealError::Store(s) => return Err(s.into()),
        FreeMealError::Encode(e) => return Err(PageError::internal(e)),
    };
    let mut page = MealFormPage::build(state, v, here, editing, input, false).await?;
    page.problem = Some(problem(page.page.t));
    page.refusal = detail;
    Ok(page.refused(status))
}

/// A free-meal day's versions, if it is at this volunteer's site: another
/// site's day is refused (403), an unknown one is 404.
async fn day_at_site(
    state: &AppState,
    v: &Volunteer,
    id: &str,
) -> Result<(FreeMealId, Vec<FreeMealRow>), PageError> {
    let id = id
        .parse::<uuid::Uuid>()
        .map(FreeMealId)
        .map_err(|_| PageError::not_found())?;
    let rows = state.store.free_meal_versions(id).await?;
    let first = rows.first().ok_or_else(PageError::not_found)?;
    if first.site_id != v.site.id {
        return Err(PageError::forbidden(|t| t.fm_err_other_site));
    }
    Ok((id, rows))
}

fn day_of(row: &FreeMealRow) -> Result<FreeMealDay, PageError> {
    serde_json::from_str(&row.body)
        .map_err(|e| PageError::internal(format!("stored free-meal day: {e}")))
}

/// Why this volunteer may not correct the day, if they may not.
fn correction_refused(
    v: &Volunteer,
    first: &FreeMealRow,
    latest: &FreeMealRow,
) -> Option<super::error::Msg> {
    let oldest = today_at(&v.site) - chrono::Duration::days(CORRECTION_DAYS);
    if first.author_id != v.signed.person.user.id {
        Some(|t| t.fm_err_not_author)
    } else if latest.date < oldest {
        Some(|t| t.fm_err_too_old)
    } else {
        None
    }
}

/// One version of a day, as the read-only view lists it.
pub struct VersionLine {
    version: i64,
    recorded_at: String,
}

/// A day the volunteer may see but not correct.
#[derive(Template, WebTemplate)]
#[template(path = "volunteer/meal_view.html")]
pub struct MealViewPage {
    page: Page,
    why: &'static str,
    line: MealLine,
    diners: Vec<DinerChoice>,
    volunteers: String,
    purchases: Vec<Purchase>,
    donations: Vec<Donation>,
    versions: Vec<VersionLine>,
}

/// `GET /volunteer/meals/{id}`: the correction form for the author's own
/// days of the last 7 days; otherwise the day, read only.
pub async fn open_meal(
    State(state): State<AppState>,
    v: Volunteer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (id, rows) = day_at_site(&state, &v, &id).await?;
    let (Some(first), Some(latest)) = (rows.first(), rows.last()) else {
        return Err(PageError::not_found());
    };
    let day = day_of(latest)?;
    let here = format!("{MEALS_PATH}/{id}");
    if let Some(why) = correction_refused(&v, first, latest) {
        let page = Page::new(&v.signed, &here);
        let t = page.t;
        let found = state
            .store
            .diners_by_ids(v.site.township_id, day.diners.clone())
            .await?;
        return Ok(MealViewPage {
            why: why(t),
            line: MealLine::of(latest, &day, t),
            diners: found.iter().map(DinerChoice::of).collect(),
            volunteers: day.volunteers.join("、"),
            purchases: day.purchases.clone(),
            donations: day.donations.clone(),
            versions: rows
                .iter()
                .map(|r| VersionLine {
                    version: r.version,
                    recorded_at: (r.recorded_at
                        + chrono::Duration::minutes(v.site.utc_offset_minutes))
                    .naive_utc()
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                })
                .collect(),
            page,
        }
        .into_response());
    }
    let input = MealInput::of_day(&day);
    let mut page = MealFormPage::build(&state, &v, &here, true, input, false).await?;
    page.fresh = true;
    Ok(page.into_response())
}

/// `POST /volunteer/meals/{id}`: a correction, a new version through the
/// service (or "find", as on the new form).
pub async fn post_correction(
    State(state): State<AppState>,
    v: Volunteer,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (id, rows) = day_at_site(&state, &v, &id).await?;
    let (Some(first), Some(latest)) = (rows.first(), rows.last()) else {
        return Err(PageError::not_found());
    };
    if let Some(why) = correction_refused(&v, first, latest) {
        return Err(PageError::forbidden(why));
    }
    let here = format!("{MEALS_PATH}/{id}");
    let mut input = MealInput::from_pairs(pairs);
    // The day's own id, whatever the form says.
    input.client_id = id.to_string();
    if input.action == "search" || input.action == "rows" {
        let search = input.action == "search";
        let page = MealFormPage::build(&state, &v, &here, true, input, search).await?;
        return Ok(page.into_response());
    }
    let t = v.signed.lang.t();
    let today = today_at(&v.site);
    let oldest = today - chrono::Duration::days(CORRECTION_DAYS);
    let Some(day) = input.check_day(t, id, &v.site, today, Some(oldest)) else {
        let page = MealFormPage::build(&state, &v, &here, true, input, false).await?;
        return Ok(page.refused(StatusCode::UNPROCESSABLE_ENTITY));
    };
    match free_meals::correct(&state.store, &v.signed.person, id, &day).await {
        Ok((outcome, _)) => {
            let status = match outcome {
                Recorded::Stored => "corrected",
                Recorded::Unchanged => "duplicate",
            };
            Ok(Redirect::to(&format!("{MEALS_PATH}?saved={id}&status={status}")).into_response())
        }
        Err(e) => refusal(&state, &v, &here, true, input, e).await,
    }
}

/// A day as the list shows it.
pub struct MealLine {
    id: String,
    date: String,
    slot: &'static str,
    people: u32,
    version: i64,
    purchases: String,
}

impl MealLine {
    fn of(row: &FreeMealRow, day: &FreeMealDay, t: &'static Messages) -> MealLine {
        MealLine {
            id: row.id.to_string(),
            date: row.date.to_string(),
            slot: t.slot(row.slot),
            people: day.eaten(),
            version: row.version,
            purchases: day.purchases_total().to_string(),
        }
    }
}

/// A purchase or donation of the month, as the list shows it.
pub struct MonthItem {
    date: String,
    kind: &'static str,
    item: String,
    quantity: String,
    cost: String,
    who: String,
}

/// Totals as the page shows them.
pub struct TotalsLine {
    id: &'static str,
    title: String,
    days: i64,
    served: i64,
    purchases: String,
    donations: i64,
}

impl TotalsLine {
    fn of(id: &'static str, title: String, t: FreeMealTotals) -> TotalsLine {
        TotalsLine {
            id,
            title,
            days: t.days,
            served: t.served,
            purchases: t.purchases.to_string(),
            donations: t.donations,
        }
    }
}

/// The volunteer's entries and the site's totals.
#[derive(Template, WebTemplate)]
#[template(path = "volunteer/meals.html")]
pub struct MealsPage {
    page: Page,
    site_name: String,
    served_so_far: i64,
    totals: Vec<TotalsLine>,
    recent: Vec<MealLine>,
    items: Vec<MonthItem>,
    notice: Option<&'static str>,
    saved: String,
    script: &'static str,
}

/// The list page's query: which entry was just saved, and how.
#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// `GET /volunteer/meals`: the site's totals this month and so far, the
/// volunteer's own entries of the last 7 days, and the month's purchases
/// and donations.
pub async fn my_meals(
    State(state): State<AppState>,
    v: Volunteer,
    Query(q): Query<SavedQuery>,
) -> Result<MealsPage, PageError> {
    let page = Page::new(&v.signed, MEALS_PATH);
    let t = page.t;
    let today = today_at(&v.site);
    let month = YearMonth::of(today);
    let (first, last) = month_range(month).ok_or_else(PageError::not_found)?;
    let this_month = state.store.free_meal_totals(v.site.id, first, last).await?;
    let so_far = state
        .store
        .free_meal_totals(v.site.id, NaiveDate::MIN, last)
        .await?;
    let oldest = today - chrono::Duration::days(CORRECTION_DAYS);
    let me = v.signed.person.user.id;
    let mut recent = Vec::new();
    for row in state
        .store
        .free_meals_for_site(v.site.id, oldest, today)
        .await?
        .iter()
        .rev()
        .filter(|r| r.author_id == me)
    {
        recent.push(MealLine::of(row, &day_of(row)?, t));
    }
    let mut items = Vec::new();
    for row in state
        .store
        .free_meals_for_site(v.site.id, first, last)
        .await?
    {
        let day = day_of(&row)?;
        for p in &day.purchases {
            items.push(MonthItem {
                date: row.date.to_string(),
                kind: t.fm_purchases,
                item: p.item.clone(),
                quantity: p.quantity.clone().unwrap_or_default(),
                cost: p.cost.to_string(),
                who: p.paid_by.clone(),
            });
        }
        for d in &day.donations {
            items.push(MonthItem {
                date: row.date.to_string(),
                kind: t.fm_donations,
                item: d.item.clone(),
                quantity: d.quantity.clone(),
                cost: String::new(),
                who: d.donor.clone().unwrap_or_default(),
            });
        }
    }
    let notice = match q.status.as_deref() {
        Some("stored") => Some(t.fm_saved),
        Some("corrected") => Some(t.fm_corrected),
        Some("duplicate") => Some(t.fm_already),
        _ => None,
    };
    // Only an id goes back into the page (the script clears its draft).
    let saved = q
        .saved
        .filter(|s| s.parse::<uuid::Uuid>().is_ok())
        .unwrap_or_default();
    Ok(MealsPage {
        site_name: v.site.name.clone(),
        served_so_far: so_far.served,
        totals: vec![
            TotalsLine::of(
                "totals-month",
                format!("{} ({month})", t.mm_this_month),
                this_month,
            ),
            TotalsLine::of("totals-so-far", t.mm_so_far.to_string(), so_far),
        ],
        recent,
        items,
        notice,
        saved,
        script: assets::free_meal_script_href(),
        page,
    })
}

/// The live search's query.
#[derive(Debug, Deserialize)]
pub struct RosterQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    date: Option<String>,
}

/// `GET /volunteer/roster?q=wjg`: diners matching a name, pinyin initials
/// or card number, as JSON for the form's script.
pub async fn roster_search(
    State(state): State<AppState>,
    v: Volunteer,
    Query(q): Query<RosterQuery>,
) -> Result<Json<Vec<DinerChoice>>, PageError> {
    if q.q.chars().count() > MAX_TEXT {
        return Ok(Json(Vec::new()));
    }
    let today = today_at(&v.site);
    let date = q
        .date
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let roster = state.store.diners_since(v.site.township_id, 0).await?;
    Ok(Json(
        roster_search::search(&roster, &q.q, date, SEARCH_LIMIT)
            .into_iter()
            .map(DinerChoice::of)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SiteKind;
    use canteen_core::{SiteId, TownshipId};

    fn site() -> Site {
        Site {
            id: SiteId(2),
            township_id: TownshipId(1),
            name: "勐准村".into(),
            kind: SiteKind::Commune,
            utc_offset_minutes: 480,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn id() -> FreeMealId {
        FreeMealId(uuid::Uuid::from_u128(7))
    }

    #[test]
    fn row_keys() {
        assert_eq!(row_key("p3_item"), Some(('p', 3, "item")));
        assert_eq!(row_key("d0_donor"), Some(('d', 0, "donor")));
        assert_eq!(row_key("x0_item"), None);
        assert_eq!(row_key("p_item"), None);
        assert_eq!(row_key("p-1_item"), None);
        assert_eq!(row_key("p99999999999999999999999_item"), None);
    }

    #[test]
    fn diners_once_and_bounds_noted() {
        let f = MealInput::from_pairs(pairs(&[
            ("diner", "5"),
            ("diner", "5"),
            ("diner", "x"),
            ("diner", "6"),
            ("p1_cost", "3"),
        ]));
        assert_eq!(f.diners, vec![5, 6]);
        assert_eq!(f.purchases.len(), 2);
        assert!(!f.too_many);
        let many: Vec<(String, String)> = (0..=MAX_DINERS)
            .map(|i| ("diner".to_string(), i.to_string()))
            .collect();
        let f = MealInput::from_pairs(many);
        assert!(f.too_many);
        assert_eq!(f.diners.len(), MAX_DINERS);
        let f = MealInput::from_pairs(pairs(&[("d200_item", "菜")]));
        assert!(f.too_many && f.donations.is_empty());
    }

    #[test]
    fn headcount_adds_people_not_on_the_roster() {
        let t = super::super::Lang::Zh.t();
        let today = date("2026-03-10");
        let mut f = MealInput::from_pairs(pairs(&[
            ("date", "2026-03-09"),
            ("slot", "lunch"),
            ("diner", "1"),
            ("diner", "2"),
            ("extra", "3"),
            ("volunteers", "张大妈、 李四,,王五"),
            ("p0_item", "猪肉"),
            ("p0_cost", "85.5"),
            ("p1_item", ""),
            ("d0_item", "青菜"),
        ]));
        let day = f.check_day(t, id(), &site(), today, None).unwrap();
        assert_eq!(day.headcount, Some(5));
        assert_eq!(day.eaten(), 5);
        assert_eq!(day.volunteers, vec!["张大妈", "李四", "王五"]);
        assert_eq!(day.purchases.len(), 1);
        assert_eq!(day.purchases[0].cost.to_string(), "85.50");
        assert_eq!(day.donations[0].donor, None);
        // Shown again for a correction, it reads back the same.
        let mut again = MealInput::of_day(&day);
        assert_eq!(again.extra, "3");
        assert_eq!(again.check_day(t, id(), &site(), today, None), Some(day));
        // Only diners: no headcount.
        let mut f = MealInput::from_pairs(pairs(&[
            ("date", "2026-03-09"),
            ("slot", "dinner"),
            ("diner", "1"),
        ]));
        let day = f.check_day(t, id(), &site(), today, None).unwrap();
        assert_eq!(day.headcount, None);
    }

    #[test]
    fn refusals_name_their_field() {
        let t = super::super::Lang::En.t();
        let today = date("2026-03-10");
        let mut f = MealInput::from_pairs(pairs(&[
            ("date", "2026-03-11"),
            ("slot", "brunch"),
            ("extra", "0"),
            ("volunteers", "a\u{7}b"),
            ("p0_item", "oil"),
            ("d0_qty", "3"),
        ]));
        assert_eq!(f.check_day(t, id(), &site(), today, None), None);
        assert_eq!(f.errors.date, Some(t.fm_err_date));
        assert_eq!(f.errors.slot, Some(t.fm_err_slot));
        assert_eq!(f.errors.nobody, Some(t.fm_err_nobody));
        assert_eq!(f.errors.volunteers, Some(t.fm_err_text));
        assert_eq!(f.purchases[0].error, Some(t.fm_err_purchase));
        assert_eq!(f.donations[0].error, Some(t.fm_err_donation));
        // A correction may not move a day out of the window.
        let mut f = MealInput::from_pairs(pairs(&[
            ("date", "2026-03-01"),
            ("slot", "lunch"),
            ("extra", "2"),
        ]));
        let oldest = Some(date("2026-03-03"));
        assert_eq!(f.check_day(t, id(), &site(), today, oldest), None);
        assert_eq!(f.errors.date, Some(t.fm_err_too_old));
    }
}
