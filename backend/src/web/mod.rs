//! The web pages for volunteers, finance staff and administrators:
//! server-rendered HTML (askama templates in `backend/templates/`), one
//! stylesheet, Simplified Chinese by default with an English switch.
//!
//! Pages never touch SQL: handlers are thin and call the same services and
//! store methods the JSON API calls. Every page path (all but `/api…`)
//! passes [`error::page_layer`] (errors as pages, `no-store`, security
//! headers) and every POST passes [`session::csrf_guard`].
//!
//! How to add a page (see also "Web pages" in backend/README.md):
//! 1. A template `templates/<role>/<page>.html` that starts with
//!    `{% extends "base.html" %}` and fills `{% block title %}` and
//!    `{% block content %}`; its struct derives `Template, WebTemplate`
//!    and has a field `page: Page` (made by [`Page::new`]).
//! 2. A handler that takes the role's guard ([`guard::Volunteer`],
//!    [`guard::Finance`], [`guard::Admin`]; or [`session::SignedIn`] for
//!    any role) and returns `Result<YourPage, PageError>`; checks of scope
//!    (a site, a township) use `person.sees_site` / `sees_township` and
//!    answer `PageError::not_found()` outside it, as the API does.
//! 3. Every word in [`i18n::Messages`], in both languages.
//! 4. Every form: `method="post"` and `{{ page.csrf_field()|safe }}`.
//! 5. The route in [`router`], and its link in [`nav::links`].

use axum::Router;
use axum::middleware;
use axum::routing::get;

use crate::http::AppState;
use crate::roles::Role;

pub mod assets;
pub mod error;
pub mod guard;
pub mod i18n;
pub mod nav;
pub mod pages;
pub mod session;

pub use error::PageError;
pub use i18n::{Lang, Messages};
pub use session::{CsrfKey, SignedIn};

/// Every page route, with the CSRF check on POSTs. (Error pages and
/// headers are added around the whole service: see `http::router`.)
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::root))
        .route(pages::LOGIN_PATH, get(pages::login_form).post(pages::login))
        .route(pages::LOGOUT_PATH, axum::routing::post(pages::logout))
        .route(
            pages::PASSWORD_PATH,
            get(pages::password_form).post(pages::change_password),
        )
        .route("/lang", get(pages::switch_language))
        .route("/volunteer", get(pages::volunteer_home))
        .route("/finance", get(pages::finance_home))
        .route("/admin", get(pages::admin_home))
        .route("/static/{name}", get(assets::serve))
        .layer(middleware::from_fn_with_state(state, session::csrf_guard))
}

/// True for the JSON API's paths; everything else is a page.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// What every page's layout needs: language, words, who is signed in, the
/// CSRF token of their forms, the nav links of their role.
#[derive(Debug, Clone)]
pub struct Page {
    /// The language.
    pub lang: Lang,
    /// Its words.
    pub t: &'static Messages,
    /// The signed-in user's name and role, if any.
    pub user: Option<PageUser>,
    /// The CSRF token (empty when nobody is signed in).
    pub csrf: String,
    /// The role's links.
    pub nav: Vec<nav::NavLink>,
    /// This page's path and query: the language switch comes back to it.
    pub here: String,
}

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone)]
pub struct PageUser {
    /// Display name.
    pub name: String,
    /// Role, in the page's language.
    pub role: &'static str,
}

impl Page {
    /// The frame of a page for a signed-in person; `here` is the page's
    /// own path (and query), where the language switch returns.
    pub fn new(signed: &SignedIn, here: &str) -> Page {
        let t = signed.lang.t();
        Page {
            lang: signed.lang,
            t,
            user: Some(PageUser {
                name: signed.person.user.display_name.clone(),
                role: t.role(signed.person.role),
            }),
            csrf: signed.csrf.clone(),
            nav: nav::links(signed.person.role, t),
            here: here.to_string(),
        }
    }

    /// The frame of a page for nobody signed in (login, errors).
    pub fn anonymous(lang: Lang, here: &str) -> Page {
        Page {
            lang,
            t: lang.t(),
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
            here: here.to_string(),
        }
    }

    /// The hidden CSRF field every form carries (the token is hex: no
    /// escaping needed).
    pub fn csrf_field(&self) -> String {
        format!(
            r#"<input type="hidden" name="{}" value="{}">"#,
            session::CSRF_FIELD,
            self.csrf
        )
    }

    /// The language switch's link: the other language, back to this page.
    pub fn switch_href(&self) -> String {
        let back = if session::local_path(&self.here) {
            self.here.as_str()
        } else {
            "/"
        };
        format!(
            "/lang?to={}&back={}",
            self.lang.other().code(),
            session::encode_component(back)
        )
    }

    /// The common script's address (versioned, so it can be cached).
    pub fn script(&self) -> &'static str {
        assets::script_href()
    }

    /// The stylesheet's address (versioned, so it can be cached).
    pub fn stylesheet(&self) -> &'static str {
        assets::stylesheet_href()
    }
}

/// The home page of each role, where `/` sends them.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Volunteer => "/volunteer",
        Role::Finance => "/finance",
        Role::Admin => "/admin",
        Role::Cashier => "/",
    }
}
