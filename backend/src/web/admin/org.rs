//! Sites and their terminals (a new terminal's setup token shown once,
//! retiring), users and roles (a one-time password the user must change at
//! first sign-in), and the audit log with filters and paging.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use canteen_core::{SiteId, TerminalId, UserId};
use serde::Deserialize;

use super::{PAGE_SIZE, Words, date_field, field, fill, frame, new_nonce, township_of};
use crate::domain::SiteKind;
use crate::http::admin::{
    NewUserRequest, add_site, add_terminal, add_user, change_terminal, change_user,
};
use crate::http::views::RoleName;
use crate::http::{ApiError, AppState};
use crate::roles::Role;
use crate::store::{AuditFilter, Site, Terminal, Township, User};
use crate::web::guard::Admin;
use crate::web::{Page, PageError};

/// A site with its terminals.
pub struct SiteRow {
    site: Site,
    /// Each form has its own nonce.
    nonce: String,
    kind: &'static str,
    terminals: Vec<Terminal>,
}

/// A secret shown once after it was made.
pub struct Shown {
    what: String,
    secret: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/sites.html")]
pub struct SitesPage {
    page: Page,
    w: &'static Words,
    township: Township,
    townships: Vec<Township>,
    sites: Vec<SiteRow>,
    shown: Option<Shown>,
    notice: Option<&'static str>,
    error: Option<String>,
    site_name: String,
    nonce: String,
}

/// The township's query.
#[derive(Debug, Deserialize)]
pub struct TownshipQuery {
    #[serde(default)]
    township: Option<i64>,
}

fn kind_name(w: &Words, kind: SiteKind) -> &'static str {
    match kind {
        SiteKind::Canteen => w.kind_canteen,
        SiteKind::Commune => w.kind_commune,
    }
}

async fn sites_page(
    state: &AppState,
    a: &Admin,
    asked: Option<i64>,
) -> Result<SitesPage, PageError> {
    let (township, townships) = township_of(state, a, asked).await?;
    let (page, w) = frame(a, "/admin/sites");
    let mut sites = Vec::new();
    for site in state.store.sites(Some(township.id)).await? {
        if !a.signed.person.sees_site(&site) {
            continue;
        }
        let terminals = state.store.terminals(site.id).await?;
        sites.push(SiteRow {
            nonce: new_nonce(),
            kind: kind_name(w, site.kind),
            site,
            terminals,
        });
    }
    Ok(SitesPage {
        page,
        w,
        township,
        townships,
        sites,
        shown: None,
        notice: None,
        error: None,
        site_name: String::new(),
        nonce: new_nonce(),
    })
}

/// `GET /admin/sites`: the township's sites and their terminals.
pub async fn sites(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
) -> Result<SitesPage, PageError> {
    sites_page(&state, &a, q.township).await
}

/// The service's refusal as a line above the form, or the error page.
fn refused_text(prefix: &str, e: ApiError) -> Result<String, PageError> {
    match &e {
        ApiError::Invalid(_, m) | ApiError::BadRequest(_, m) | ApiError::Conflict(m) => {
            Ok(format!("{prefix}{m}"))
        }
        _ => Err(e.into()),
    }
}

/// `POST /admin/sites`: adds a site.
pub async fn create_site(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (township, _) = township_of(&state, &a, q.township).await?;
    let me = a.signed.person.user.id;
    let nonce = field(&form, "nonce");
    let back = format!("/admin/sites?township={}", township.id);
    let first = match super::submission(me, nonce).await? {
        super::Submission::First(first) => first,
        super::Submission::Done(_) => return Ok(Redirect::to(&back).into_response()),
    };
    let kind = match field(&form, "kind") {
        "canteen" => SiteKind::Canteen,
        _ => SiteKind::Commune,
    };
    let name = field(&form, "name");
    match add_site(&state, &a.signed.person, township.id, name, kind, None).await {
        Ok(_) => {
            first.done(back.clone());
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => {
            let mut page = sites_page(&state, &a, Some(township.id.0)).await?;
            page.error = Some(refused_text(page.w.err_saved_refused, e)?);
            page.site_name = name.to_string();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /admin/sites/{id}/terminals`: adds a terminal and shows its
/// setup token, this once.
pub async fn create_terminal(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let me = a.signed.person.user.id;
    let nonce = field(&form, "nonce");
    let site = crate::http::admin::site_in_scope(&state, &a.signed.person, SiteId(id)).await?;
    let first = match super::submission(me, nonce).await? {
        super::Submission::First(first) => first,
        super::Submission::Done(_) => {
            let mut page = sites_page(&state, &a, Some(site.township_id.0)).await?;
            page.notice = Some(page.w.terminal_done);
            return Ok(page.into_response());
        }
    };
    let name = field(&form, "name");
    match add_terminal(&state, &a.signed.person, site.id, name).await {
        Ok((terminal, token)) => {
            first.done(String::new());
            let mut page = sites_page(&state, &a, Some(site.township_id.0)).await?;
            page.shown = Some(Shown {
                what: format!("{} · {}", site.name, terminal.name),
                secret: token,
            });
            Ok(page.into_response())
        }
        Err(e) => {
            let mut page = sites_page(&state, &a, Some(site.township_id.0)).await?;
            page.error = Some(refused_text(page.w.err_saved_refused, e)?);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /admin/terminals/{id}/retire`: its token stops working.
pub async fn retire_terminal(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
) -> Result<Response, PageError> {
    let (terminal, _) =
        change_terminal(&state, &a.signed.person, TerminalId(id), Some(false), false).await?;
    let site =
        crate::http::admin::site_in_scope(&state, &a.signed.person, terminal.site_id).await?;
    Ok(Redirect::to(&format!("/admin/sites?township={}", site.township_id)).into_response())
}

/// A user as listed.
pub struct UserRow {
    user: User,
    role: &'static str,
    place: String,
}

/// What the new-user form holds.
#[derive(Debug, Default)]
pub struct UserValues {
    username: String,
    display_name: String,
    role: String,
    site_id: String,
    nonce: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    page: Page,
    w: &'static Words,
    township: Township,
    townships: Vec<Township>,
    users: Vec<UserRow>,
    sites: Vec<Site>,
    roles: Vec<(&'static str, &'static str)>,
    v: UserValues,
    username_error: Option<String>,
    site_error: Option<String>,
    error: Option<String>,
    shown: Option<Shown>,
    notice: Option<&'static str>,
    me: UserId,
}

impl UsersPage {
    /// Nobody resets their own password here (they change it themselves).
    fn page_user_id(&self) -> UserId {
        self.me
    }
}

async fn users_page(
    state: &AppState,
    a: &Admin,
    asked: Option<i64>,
) -> Result<UsersPage, PageError> {
    let (township, townships) = township_of(state, a, asked).await?;
    let (page, w) = frame(a, "/admin/users");
    let t = page.t;
    let sites: Vec<Site> = state
        .store
        .sites(Some(township.id))
        .await?
        .into_iter()
        .filter(|s| a.signed.person.sees_site(s))
        .collect();
    let users = state
        .store
        .users(Some(township.id))
        .await?
        .into_iter()
        .map(|u| UserRow {
            role: t.role(u.role),
            place: u
                .site_id
                .and_then(|id| sites.iter().find(|s| s.id == id))
                .map(|s| s.name.clone())
                .unwrap_or_else(|| township.name.clone()),
            user: u,
        })
        .collect();
    let roles = [Role::Volunteer, Role::Cashier, Role::Finance, Role::Admin]
        .into_iter()
        .map(|r| (r.as_str(), t.role(r)))
        .collect();
    Ok(UsersPage {
        page,
        w,
        township,
        townships,
        users,
        sites,
        roles,
        v: UserValues {
            role: "volunteer".into(),
            nonce: new_nonce(),
            ..UserValues::default()
        },
        username_error: None,
        site_error: None,
        error: None,
        shown: None,
        notice: None,
        me: a.signed.person.user.id,
    })
}

/// `GET /admin/users`: the township's users and the form for a new one.
pub async fn users(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
) -> Result<UsersPage, PageError> {
    users_page(&state, &a, q.township).await
}

fn role_of(text: &str) -> Option<RoleName> {
    match text {
        "admin" => Some(RoleName::Admin),
        "finance" => Some(RoleName::Finance),
        "volunteer" => Some(RoleName::Volunteer),
        "cashier" => Some(RoleName::Cashier),
        _ => None,
    }
}

/// `POST /admin/users`: adds a user with a one-time password, shown this
/// once; they must choose their own at first sign-in.
pub async fn create_user(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut page = users_page(&state, &a, q.township).await?;
    let w = page.w;
    let me = a.signed.person.user.id;
    page.v = UserValues {
        username: field(&form, "username").to_string(),
        display_name: field(&form, "display_name").to_string(),
        role: field(&form, "role").to_string(),
        site_id: field(&form, "site_id").to_string(),
        nonce: field(&form, "nonce").to_string(),
    };
    let first = match super::submission(me, &page.v.nonce).await? {
        super::Submission::First(first) => first,
        super::Submission::Done(_) => {
            page.notice = Some(w.user_done);
            page.v = UserValues {
                role: "volunteer".into(),
                nonce: new_nonce(),
                ..UserValues::default()
            };
            return Ok(page.into_response());
        }
    };
    let username = page.v.username.trim();
    if username.is_empty()
        || username.len() > 50
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        page.username_error = Some(w.err_username.to_string());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let Some(role) = role_of(&page.v.role) else {
        return Err(PageError::new(StatusCode::BAD_REQUEST, |t| {
            t.err_bad_request
        }));
    };
    let site_id = page.v.site_id.parse::<i64>().ok();
    let site_bound = Role::from(role).is_site_bound();
    if site_bound && site_id.is_none() {
        page.site_error = Some(w.err_site_required.to_string());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let request = NewUserRequest {
        username: username.to_string(),
        display_name: page.v.display_name.clone(),
        role,
        township_id: (!site_bound).then_some(page.township.id.0),
        site_id: if site_bound { site_id } else { None },
        password: None,
    };
    match add_user(&state, &a.signed.person, request).await {
        Ok((user, password)) => {
            first.done(String::new());
            let mut page = users_page(&state, &a, Some(page.township.id.0)).await?;
            page.shown = password.map(|secret| Shown {
                what: user.username,
                secret,
            });
            Ok(page.into_response())
        }
        Err(e) => {
            page.error = Some(refused_text(w.err_user_refused, e)?);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /admin/users/{id}/reset`: a new one-time password, shown once.
pub async fn reset_password(
    State(state): State<AppState>,
    a: Admin,
    crate::http::extract::Path(id): crate::http::extract::Path<i64>,
) -> Result<Response, PageError> {
    let (user, password) = match change_user(&state, &a.signed.person, UserId(id), None, true).await
    {
        Ok(done) => done,
        Err(e @ ApiError::Invalid(..)) => {
            let mut page = users_page(&state, &a, None).await?;
            page.error = Some(refused_text(page.w.err_saved_refused, e)?);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let mut page = users_page(&state, &a, user.township_id.map(|t| t.0)).await?;
    page.shown = password.map(|secret| Shown {
        what: user.username,
        secret,
    });
    Ok(page.into_response())
}

/// The audit log's filters.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<usize>,
}

/// An audit entry as listed.
pub struct AuditLine {
    at: String,
    actor: String,
    action: String,
    entity: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    page: Page,
    w: &'static Words,
    q: AuditQuery,
    lines: Vec<AuditLine>,
    date_error: Option<&'static str>,
    page_of: String,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn audit_href(q: &AuditQuery, page: usize) -> String {
    let e = crate::web::session::encode_component;
    format!(
        "/admin/audit?who={}&what={}&from={}&to={}&page={page}",
        e(&q.who),
        e(&q.what),
        e(&q.from),
        e(&q.to)
    )
}

/// `GET /admin/audit`: who did what, newest first, filtered by who, what
/// and dates (China's time), paged.
pub async fn audit(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    let (page, w) = frame(&a, &audit_href(&q, q.page.unwrap_or(1)));
    let (from, to, date_error) = match (date_field(&q.from), date_field(&q.to)) {
        (Ok(f), Ok(t)) => (f, t, None),
        _ => (None, None, Some(w.err_date)),
    };
    let offset =
        chrono::FixedOffset::east_opt(8 * 3600).ok_or_else(|| PageError::internal("offset"))?;
    // A day of the form is a day in China's time: from its first moment to
    // the first moment of the next.
    let start_of = |day: chrono::NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let filter = AuditFilter {
        who: q.who.clone(),
        what: q.what.clone(),
        from: from.and_then(start_of),
        before: to.and_then(|t| t.succ_opt()).and_then(start_of),
    };
    let size = i64::try_from(PAGE_SIZE).map_err(PageError::internal)?;
    let (_, total) = state
        .store
        .search_audit_log(a.township, &filter, 0, 0)
        .await?;
    let pages = usize::try_from(total)
        .map_err(PageError::internal)?
        .div_ceil(PAGE_SIZE)
        .max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    let skip = i64::try_from(page_no - 1)
        .map_err(PageError::internal)?
        .saturating_mul(size);
    let (found, _) = state
        .store
        .search_audit_log(a.township, &filter, size, skip)
        .await?;
    let lines = found
        .iter()
        .map(|r| AuditLine {
            at: r
                .at
                .with_timezone(&offset)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor.clone(),
            action: r.action.clone(),
            entity: if r.entity_id.is_empty() {
                r.entity.clone()
            } else {
                format!("{} {}", r.entity, r.entity_id)
            },
        })
        .collect();
    Ok(AuditPage {
        page_of: fill(
            w.page_of,
            &[("p", &page_no.to_string()), ("n", &pages.to_string())],
        ),
        prev_href: (page_no > 1).then(|| audit_href(&q, page_no - 1)),
        next_href: (page_no < pages).then(|| audit_href(&q, page_no + 1)),
        page,
        w,
        q,
        lines,
        date_error,
    })
}
