//! The roster: list and search with paging, add and edit a diner (with the
//! ID number checked as it is typed), categories with their periods,
//! deactivate (never delete). Office views show the masked ID number and
//! the age, never the birth date (the two together give the number away).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use canteen_core::{CategoryCode, CategoryGrant, DinerId, ResidentId, ResidentIdError};
use serde::{Deserialize, Serialize};

use super::{PAGE_SIZE, Words, date_field, field, fill, frame, new_nonce, township_of};
use crate::domain::{DinerInput, DinerView};
use crate::http::roster::{add_diner, diner_in_scope, edit_diner, today, township_today};
use crate::http::{ApiError, AppState};
use crate::store::{DinerRow, Township};
use crate::web::guard::Admin;
use crate::web::{Page, PageError};

/// The roster's query.
#[derive(Debug, Deserialize)]
pub struct RosterQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    township: Option<i64>,
    #[serde(default)]
    inactive: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// A row of the roster.
pub struct RosterRow {
    view: DinerView,
    categories: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/roster.html")]
pub struct RosterPage {
    page: Page,
    w: &'static Words,
    township: Township,
    townships: Vec<Township>,
    q: String,
    inactive: bool,
    rows: Vec<RosterRow>,
    found: String,
    page_of: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    notice: Option<&'static str>,
}

/// True when a diner matches the search: name, pinyin initials, card
/// number or village.
fn matches(d: &DinerRow, query: &str) -> bool {
    let query = query.trim();
    if query.is_empty() {
        return true;
    }
    let lower = query.to_lowercase();
    d.name.contains(query)
        || d.card_no.as_deref().is_some_and(|c| c.contains(query))
        || d.village.as_deref().is_some_and(|v| v.contains(query))
        || (lower.chars().all(|c| c.is_ascii_lowercase())
            && crate::roster_search::initials_match(&d.name, &lower))
}

fn categories_text(grants: &[CategoryGrant]) -> String {
    grants
        .iter()
        .map(|g| match g.until {
            Some(until) => format!("{} ({} – {})", g.category, g.from, until),
            None => format!("{} ({} –)", g.category, g.from),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn query_href(township: &Township, q: &str, inactive: bool, page: usize) -> String {
    let mut href = format!(
        "/admin/diners?township={}&q={}",
        township.id,
        crate::web::session::encode_component(q)
    );
    if inactive {
        href.push_str("&inactive=1");
    }
    href.push_str(&format!("&page={page}"));
    href
}

/// `GET /admin/diners`: the roster of a township, searched and paged.
pub async fn list(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<RosterQuery>,
) -> Result<RosterPage, PageError> {
    let (township, townships) = township_of(&state, &a, q.township).await?;
    let inactive = q.inactive.is_some();
    let today = today();
    let all = state.store.diners_since(township.id, 0).await?;
    let mut found: Vec<&DinerRow> = all
        .iter()
        .filter(|d| inactive || d.inactive_since.is_none_or(|since| since > today))
        .filter(|d| matches(d, &q.q))
        .collect();
    found.sort_by(|x, y| x.name.cmp(&y.name).then(x.id.cmp(&y.id)));
    let pages = found.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    let rows = found
        .iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|d| {
            Ok(RosterRow {
                view: DinerView::from_row(d, today)?,
                categories: categories_text(&d.categories),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let here = query_href(&township, &q.q, inactive, page_no);
    let (page, w) = frame(&a, &here);
    Ok(RosterPage {
        found: fill(w.found, &[("n", &found.len().to_string())]),
        page_of: fill(
            w.page_of,
            &[("p", &page_no.to_string()), ("n", &pages.to_string())],
        ),
        prev_href: (page_no > 1).then(|| query_href(&township, &q.q, inactive, page_no - 1)),
        next_href: (page_no < pages).then(|| query_href(&township, &q.q, inactive, page_no + 1)),
        notice: match q.done.as_deref() {
            Some("saved") => Some(w.saved),
            Some("deactivated") => Some(w.deactivated),
            Some("reactivated") => Some(w.reactivated),
            _ => None,
        },
        page,
        w,
        township,
        townships,
        q: q.q,
        inactive,
        rows,
    })
}

/// The reason an ID number is refused, in the reader's language.
pub fn id_reason(w: &Words, e: &ResidentIdError) -> String {
    match e {
        ResidentIdError::WrongLength(n) => fill(w.id_wrong_length, &[("n", &n.to_string())]),
        ResidentIdError::BadCharacter { position, found } => fill(
            w.id_bad_character,
            &[("p", &position.to_string()), ("c", &found.to_string())],
        ),
        ResidentIdError::BadCheckCharacter { expected, found } => fill(
            w.id_bad_check,
            &[("e", &expected.to_string()), ("f", &found.to_string())],
        ),
        ResidentIdError::UnknownRegion(r) => fill(w.id_unknown_region, &[("r", r)]),
        ResidentIdError::BirthDateTooEarly(d) => fill(w.id_too_early, &[("d", &d.to_string())]),
        ResidentIdError::ImpossibleBirthDate(d) => fill(w.id_impossible_date, &[("d", d)]),
        ResidentIdError::BirthDateInFuture(d) => fill(w.id_future, &[("d", &d.to_string())]),
    }
}

/// The check-as-you-type query.
#[derive(Debug, Deserialize)]
pub struct CheckQuery {
    #[serde(default)]
    id: String,
}

/// The answer of the check.
#[derive(Debug, Serialize)]
pub struct CheckAnswer {
    ok: bool,
    message: String,
}

/// `GET /admin/diners/check-id?id=…`: canteen-core's rules on an ID
/// number as it is typed, the reason in the reader's language (JSON for
/// the page's small script).
pub async fn check_id(a: Admin, Query(q): Query<CheckQuery>) -> Response {
    let w = super::words(a.signed.lang);
    let answer = match ResidentId::parse_as_of(q.id.trim(), today()) {
        Ok(_) => CheckAnswer {
            ok: true,
            message: w.id_ok.to_string(),
        },
        Err(e) => CheckAnswer {
            ok: false,
            message: id_reason(w, &e),
        },
    };
    axum::Json(answer).into_response()
}

/// A category row of the form.
#[derive(Debug, Clone, Default)]
pub struct CategoryRow {
    code: String,
    from: String,
    until: String,
}

/// What the diner form holds (as typed).
#[derive(Debug, Clone, Default)]
pub struct DinerValues {
    name: String,
    resident_id: String,
    birth_date: String,
    village: String,
    card_no: String,
    active_from: String,
    categories: Vec<CategoryRow>,
    nonce: String,
}

/// Errors beside the fields.
#[derive(Debug, Clone, Default)]
pub struct DinerErrors {
    name: Option<String>,
    resident_id: Option<String>,
    birth_date: Option<String>,
    active_from: Option<String>,
    categories: Option<String>,
    form: Option<String>,
}

impl DinerErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.resident_id.is_some()
            || self.birth_date.is_some()
            || self.active_from.is_some()
            || self.categories.is_some()
            || self.form.is_some()
    }
}

/// The edited diner as the office sees it.
pub struct Stored {
    id: i64,
    masked_id: Option<String>,
    age: Option<u32>,
    inactive_since: Option<String>,
    has_birth_date: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/diner.html")]
pub struct DinerPage {
    page: Page,
    w: &'static Words,
    township: Township,
    action: String,
    stored: Option<Stored>,
    v: DinerValues,
    e: DinerErrors,
    notice: Option<&'static str>,
}

impl DinerPage {
    fn admin_script(&self) -> &'static str {
        super::admin_script_href()
    }
}

/// Category rows to show: those typed (or stored), and two blank ones.
fn with_blank_rows(mut rows: Vec<CategoryRow>) -> Vec<CategoryRow> {
    rows.retain(|r| !(r.code.trim().is_empty() && r.from.is_empty() && r.until.is_empty()));
    rows.extend([CategoryRow::default(), CategoryRow::default()]);
    rows
}

fn values_from_form(form: &[(String, String)]) -> DinerValues {
    let mut categories = Vec::new();
    // At most 50 category rows are read: a hostile form cannot make more.
    for i in 0..50 {
        let code = field(form, &format!("cat_code_{i}"));
        let from = field(form, &format!("cat_from_{i}"));
        let until = field(form, &format!("cat_until_{i}"));
        if !form.iter().any(|(k, _)| k == &format!("cat_code_{i}")) {
            break;
        }
        categories.push(CategoryRow {
            code: code.to_string(),
            from: from.to_string(),
            until: until.to_string(),
        });
    }
    DinerValues {
        name: field(form, "name").to_string(),
        resident_id: field(form, "resident_id").trim().to_string(),
        birth_date: field(form, "birth_date").trim().to_string(),
        village: field(form, "village").to_string(),
        card_no: field(form, "card_no").to_string(),
        active_from: field(form, "active_from").trim().to_string(),
        categories,
        nonce: field(form, "nonce").to_string(),
    }
}

/// Checks what was typed: the input for the service, or the errors by
/// their fields. On an edit, an empty ID number or birth date keeps the
/// stored one (the office never sees them whole).
fn input_of(
    v: &DinerValues,
    w: &Words,
    today: chrono::NaiveDate,
    stored: Option<&DinerRow>,
) -> Result<DinerInput, Box<DinerErrors>> {
    let mut e = DinerErrors::default();
    let name = v.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        e.name = Some(w.err_name_required.to_string());
    }
    let resident_id = if v.resident_id.is_empty() {
        stored.and_then(|d| d.resident_id.clone())
    } else {
        match ResidentId::parse_as_of(&v.resident_id, today) {
            Ok(id) => Some(id.as_str().to_string()),
            Err(err) => {
                e.resident_id = Some(id_reason(w, &err));
                None
            }
        }
    };
    let birth_date = match date_field(&v.birth_date) {
        Ok(Some(d)) => Some(d),
        Ok(None) if resident_id.is_none() => stored.and_then(|d| d.birth_date),
        Ok(None) => None,
        Err(()) => {
            e.birth_date = Some(w.err_date.to_string());
            None
        }
    };
    let active_from = date_field(&v.active_from).unwrap_or_else(|()| {
        e.active_from = Some(w.err_date.to_string());
        None
    });
    let mut categories = Vec::new();
    for row in &v.categories {
        let code = row.code.trim();
        if code.is_empty() && row.from.trim().is_empty() && row.until.trim().is_empty() {
            continue;
        }
        match (date_field(&row.from), date_field(&row.until)) {
            (Ok(Some(from)), Ok(until))
                if !code.is_empty()
                    && code.chars().count() <= 50
                    && until.is_none_or(|u| u >= from) =>
            {
                categories.push(CategoryGrant {
                    category: CategoryCode(code.to_string()),
                    from,
                    until,
                });
            }
            _ => e.categories = Some(w.err_category.to_string()),
        }
    }
    if e.any() {
        e.form = Some(w.err_form.to_string());
        return Err(Box::new(e));
    }
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    Ok(DinerInput {
        name: name.to_string(),
        resident_id,
        birth_date,
        village: text(&v.village),
        card_no: text(&v.card_no),
        active_from,
        inactive_since: stored.and_then(|d| d.inactive_since),
        categories,
    })
}

/// The service's refusal, shown above the form.
fn refusal(w: &Words, e: ApiError) -> Result<DinerErrors, PageError> {
    let message = match &e {
        ApiError::Invalid(_, m) | ApiError::BadRequest(_, m) => {
            format!("{}{m}", w.err_saved_refused)
        }
        ApiError::Conflict(m) => format!("{}{m}", w.err_conflict),
        _ => return Err(e.into()),
    };
    Ok(DinerErrors {
        form: Some(message),
        ..DinerErrors::default()
    })
}

/// The township's query of the add form.
#[derive(Debug, Deserialize)]
pub struct TownshipQuery {
    #[serde(default)]
    township: Option<i64>,
}

/// `GET /admin/diners/new`.
pub async fn new_form(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
) -> Result<DinerPage, PageError> {
    let (township, _) = township_of(&state, &a, q.township).await?;
    let (page, w) = frame(&a, "/admin/diners/new");
    Ok(DinerPage {
        action: format!("/admin/diners/new?township={}", township.id),
        page,
        w,
        township,
        stored: None,
        notice: None,
        v: DinerValues {
            categories: with_blank_rows(Vec::new()),
            nonce: new_nonce(),
            ..DinerValues::default()
        },
        e: DinerErrors::default(),
    })
}

fn refused_page(
    a: &Admin,
    township: Township,
    action: String,
    stored: Option<Stored>,
    mut v: DinerValues,
    e: DinerErrors,
) -> Response {
    let (page, w) = frame(a, &action);
    v.categories = with_blank_rows(v.categories);
    let page = DinerPage {
        page,
        w,
        township,
        action,
        stored,
        v,
        e,
        notice: None,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// `POST /admin/diners/new`: adds the diner, or shows the form again with
/// what was typed and the reasons by the fields.
pub async fn create(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (township, _) = township_of(&state, &a, q.township).await?;
    let v = values_from_form(&form);
    let me = a.signed.person.user.id;
    let first = match super::submission(me, &v.nonce).await? {
        super::Submission::First(first) => first,
        super::Submission::Done(outcome) => return Ok(Redirect::to(&outcome).into_response()),
    };
    let w = super::words(a.signed.lang);
    let action = format!("/admin/diners/new?township={}", township.id);
    let today = township_today(&state, township.id).await?;
    let input = match input_of(&v, w, today, None) {
        Ok(input) => input,
        Err(e) => return Ok(refused_page(&a, township, action, None, v, *e)),
    };
    match add_diner(&state, &a.signed.person, township.id, input).await {
        Ok(row) => {
            let outcome = format!("/admin/diners/{}?done=saved", row.id);
            first.done(outcome.clone());
            Ok(Redirect::to(&outcome).into_response())
        }
        Err(e) => {
            let e = refusal(w, e)?;
            Ok(refused_page(&a, township, action, None, v, e))
        }
    }
}

fn stored_of(row: &DinerRow) -> Result<Stored, PageError> {
    let view = DinerView::from_row(row, today()).map_err(ApiError::from)?;
    Ok(Stored {
        id: row.id.0,
        masked_id: view.resident_id_masked,
        age: view.age,
        inactive_since: row.inactive_since.map(|d| d.to_string()),
        has_birth_date: row.birth_date.is_some() && row.resident_id.is_none(),
    })
}

async fn diner_and_township(
    state: &AppState,
    a: &Admin,
    id: i64,
) -> Result<(DinerRow, Township), PageError> {
    let row = diner_in_scope(state, &a.signed.person, DinerId(id)).await?;
    let (township, _) = township_of(state, a, Some(row.township_id.0)).await?;
    Ok((row, township))
}

/// The edit page's query: what was just done.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /admin/diners/{id}`: the diner's form, the ID number masked.
pub async fn edit_form(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<DinerPage, PageError> {
    let (row, township) = diner_and_township(&state, &a, id).await?;
    let action = format!("/admin/diners/{id}");
    let (page, w) = frame(&a, &action);
    let categories = row
        .categories
        .iter()
        .map(|g| CategoryRow {
            code: g.category.0.clone(),
            from: g.from.to_string(),
            until: g.until.map(|u| u.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(DinerPage {
        notice: (q.done.as_deref() == Some("saved")).then_some(w.saved),
        page,
        w,
        township,
        action,
        stored: Some(stored_of(&row)?),
        v: DinerValues {
            name: row.name.clone(),
            resident_id: String::new(),
            birth_date: String::new(),
            village: row.village.clone().unwrap_or_default(),
            card_no: row.card_no.clone().unwrap_or_default(),
            active_from: row.active_from.map(|d| d.to_string()).unwrap_or_default(),
            categories: with_blank_rows(categories),
            nonce: new_nonce(),
        },
        e: DinerErrors::default(),
    })
}

/// `POST /admin/diners/{id}`: saves the edit.
pub async fn update(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (row, township) = diner_and_township(&state, &a, id).await?;
    let v = values_from_form(&form);
    let w = super::words(a.signed.lang);
    let action = format!("/admin/diners/{id}");
    let today = township_today(&state, township.id).await?;
    let stored = stored_of(&row)?;
    let input = match input_of(&v, w, today, Some(&row)) {
        Ok(input) => input,
        Err(e) => return Ok(refused_page(&a, township, action, Some(stored), v, *e)),
    };
    match edit_diner(&state, &a.signed.person, row.id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/diners/{id}?done=saved")).into_response()),
        Err(e) => {
            let e = refusal(w, e)?;
            Ok(refused_page(&a, township, action, Some(stored), v, e))
        }
    }
}

/// `POST /admin/diners/{id}/active`: deactivates the diner from today
/// (`active=0`) or reactivates them (`active=1`). Nobody is deleted.
pub async fn set_active(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (row, township) = diner_and_township(&state, &a, id).await?;
    let active = match field(&form, "active") {
        "1" => true,
        "0" => false,
        _ => {
            return Err(PageError::new(StatusCode::BAD_REQUEST, |t| {
                t.err_bad_request
            }));
        }
    };
    let today = township_today(&state, township.id).await?;
    let input = DinerInput {
        name: row.name.clone(),
        birth_date: if row.resident_id.is_none() {
            row.birth_date
        } else {
            None
        },
        resident_id: row.resident_id.clone(),
        village: row.village.clone(),
        card_no: row.card_no.clone(),
        active_from: row.active_from,
        // Already inactive: the first date stays.
        inactive_since: if active {
            None
        } else {
            Some(row.inactive_since.unwrap_or(today))
        },
        categories: row.categories.clone(),
    };
    edit_diner(&state, &a.signed.person, row.id, input).await?;
    let done = if active { "reactivated" } else { "deactivated" };
    Ok(Redirect::to(&format!(
        "/admin/diners?township={}&inactive=1&done={done}",
        township.id
    ))
    .into_response())
}
