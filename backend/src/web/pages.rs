//! The foundation's pages: sign in and out, the forced password change,
//! the language switch, and each role's home page.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::error::PageError;
use super::guard::{Admin, Finance, Volunteer};
use super::i18n::{LANG_COOKIE, Lang};
use super::nav::NavLink;
use super::session::{self, SignedIn, local_path};
use super::{Page, home_of};
use crate::http::login::{check_login, check_new_password, hash_password, password_work_error};
use crate::http::{ApiError, AppState};
use crate::roles::Role;
use crate::store::{Actor, AuditEntry};

/// The login page.
pub const LOGIN_PATH: &str = "/login";
/// The logout form's target.
pub const LOGOUT_PATH: &str = "/logout";
/// The password page (forced after a one-time password).
pub const PASSWORD_PATH: &str = "/password";

/// `/`: each role's home page (cashiers have none: they sell at the
/// terminal, and are told so here).
pub async fn root(signed: SignedIn) -> Response {
    match signed.person.role {
        Role::Cashier => HomePage::new(&signed, "/", |t| t.home_cashier).into_response(),
        role => Redirect::to(home_of(role)).into_response(),
    }
}

/// A role's home page: its links.
#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    intro: &'static str,
    links: Vec<NavLink>,
}

impl HomePage {
    fn new(signed: &SignedIn, here: &str, intro: super::error::Msg) -> HomePage {
        let page = Page::new(signed, here);
        // The home page lists the role's pages, but not itself.
        let links = page
            .nav
            .iter()
            .filter(|l| l.href != here)
            .cloned()
            .collect();
        HomePage {
            intro: intro(page.t),
            links,
            page,
        }
    }
}

/// `/volunteer`: a volunteer's home.
pub async fn volunteer_home(v: Volunteer) -> HomePage {
    HomePage::new(&v.signed, "/volunteer", |t| t.home_volunteer)
}

/// `/finance`: finance staff's home (administrators may open it too).
pub async fn finance_home(f: Finance) -> HomePage {
    HomePage::new(&f.signed, "/finance", |t| t.home_finance)
}

/// `/admin`: an administrator's home.
pub async fn admin_home(a: Admin) -> HomePage {
    HomePage::new(&a.signed, "/admin", |t| t.home_admin)
}

/// The login page.
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The login form's query: where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    bye: Option<String>,
}

/// `GET /login`.
pub async fn login_form(
    lang: Lang,
    jar: CookieJar,
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Result<Response, PageError> {
    // Signed in already: straight on.
    if session::current(&state, &jar).await?.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let t = lang.t();
    Ok(LoginPage {
        page: Page::anonymous(lang, LOGIN_PATH),
        username: String::new(),
        next: q.next.filter(|n| local_path(n)).unwrap_or_default(),
        error: None,
        notice: q.bye.map(|_| t.signed_out),
    }
    .into_response())
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: the API's password check (rate limit, bounded argon2),
/// then a new session; a one-time password goes to the password page.
pub async fn login(
    lang: Lang,
    jar: CookieJar,
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let t = lang.t();
    let next = if local_path(&form.next) {
        form.next.clone()
    } else {
        "/".to_string()
    };
    let refused = |status: StatusCode, error: String| {
        let page = LoginPage {
            page: Page::anonymous(lang, LOGIN_PATH),
            username: form.username.clone(),
            next: next.clone(),
            error: Some(error),
            notice: None,
        };
        Ok((status, page).into_response())
    };
    let user_id = match check_login(&state, &form.username, form.password.clone(), addr.ip()).await
    {
        Ok(id) => id,
        Err(ApiError::BadLogin | ApiError::Invalid(..)) => {
            return refused(StatusCode::UNAUTHORIZED, t.bad_login.to_string());
        }
        Err(ApiError::RateLimited(s)) => {
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{} {}", t.too_many_logins, lang.retry_in(s)),
            );
        }
        Err(ApiError::Busy(_)) => {
            return refused(StatusCode::SERVICE_UNAVAILABLE, t.busy.to_string());
        }
        Err(e) => return Err(e.into()),
    };
    let must_change = state
        .store
        .credentials(form.username.trim())
        .await?
        .is_some_and(|c| c.must_change_password);
    let jar = session::start(&state, jar, user_id).await?;
    let target = if must_change {
        PASSWORD_PATH
    } else {
        next.as_str()
    };
    Ok((jar, Redirect::to(target)).into_response())
}

/// `POST /logout`: ends the session in the store, not only the cookie.
pub async fn logout(
    jar: CookieJar,
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, PageError> {
    let jar = session::end(&state, jar, &signed).await?;
    Ok((jar, Redirect::to("/login?bye=1")).into_response())
}

/// The password page.
#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    page: Page,
    must_change: bool,
    error: Option<&'static str>,
    done: bool,
}

async fn must_change(state: &AppState, signed: &SignedIn) -> Result<bool, PageError> {
    Ok(state
        .store
        .credentials(&signed.person.user.username)
        .await?
        .is_some_and(|c| c.must_change_password))
}

/// `GET /password`.
pub async fn password_form(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
) -> Result<PasswordPage, PageError> {
    Ok(PasswordPage {
        must_change: must_change(&state, &signed).await?,
        page: Page::new(&signed, PASSWORD_PATH),
        error: None,
        done: uri.query().is_some_and(|q| q.contains("done")),
    })
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    again: String,
}

/// `POST /password`: checks the current password (within the bound on
/// password work), stores the new one, ends every other session and
/// starts a new one here.
pub async fn change_password(
    jar: CookieJar,
    State(state): State<AppState>,
    signed: SignedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let forced = must_change(&state, &signed).await?;
    let refuse = |error: super::error::Msg| {
        let page = PasswordPage {
            page: Page::new(&signed, PASSWORD_PATH),
            must_change: forced,
            error: Some(error(signed.lang.t())),
            done: false,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let creds = state
        .store
        .credentials(&signed.person.user.username)
        .await?
        .ok_or_else(PageError::not_found)?;
    let current = form.current.clone();
    let hash = creds.password_hash.clone();
    let ok = state
        .passwords
        .run(move || crate::auth::verify_password(&current, &hash))
        .await
        .map_err(password_work_error)?;
    if !ok {
        return refuse(|t| t.password_wrong_current);
    }
    if form.new != form.again {
        return refuse(|t| t.password_mismatch);
    }
    if forced && form.new == form.current {
        return refuse(|t| t.password_same);
    }
    if check_new_password(&form.new).is_err() {
        return refuse(if form.new.chars().count() > 200 {
            |t| t.password_too_long
        } else {
            |t| t.password_too_short
        });
    }
    let new_hash = hash_password(&state, form.new).await?;
    let user = &signed.person.user;
    state
        .store
        .update_user_login(
            user.id,
            Some(new_hash),
            false,
            None,
            AuditEntry {
                actor: Actor {
                    user_id: Some(user.id),
                    name: user.username.clone(),
                },
                township_id: user.township_id,
                action: "user.password".into(),
                entity: "user".into(),
                entity_id: user.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
    // The change ended every session of this user; this browser goes on
    // with a new one.
    let jar = session::start(&state, jar, user.id).await?;
    Ok((jar, Redirect::to("/password?done=1")).into_response())
}

/// The language switch's query.
#[derive(Deserialize)]
pub struct SwitchQuery {
    to: String,
    #[serde(default)]
    back: Option<String>,
}

/// `GET /lang?to=en&back=/page`: sets the language cookie and goes back.
/// A preference only, so a plain link (no form, no token) is enough.
pub async fn switch_language(
    jar: CookieJar,
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<SwitchQuery>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&q.to)
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, |t| t.err_bad_request))?;
    let mut cookie = Cookie::new(LANG_COOKIE, lang.code());
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(state.config.secure_cookies);
    cookie.set_max_age(cookie::time::Duration::days(365));
    let back = q
        .back
        .filter(|b| local_path(b))
        .unwrap_or_else(|| "/".into());
    Ok((jar.add(cookie), Redirect::to(&back)).into_response())
}
