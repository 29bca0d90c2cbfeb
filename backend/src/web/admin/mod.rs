//! The administrators' pages (office PC): the roster, its import, price
//! policies, sites and terminals, users and the audit log. Handlers are
//! thin: they call the services of the JSON API (`http::roster`,
//! `http::admin`) and the store's read methods, never SQL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use canteen_core::{TownshipId, UserId};

use super::guard::Admin;
use super::{Page, PageError};
use crate::http::AppState;
use crate::store::Township;

mod diners;
mod import;
mod org;
mod policy;
pub mod words;

pub use words::{Words, fill, words};

/// Diners per page of the roster, entries per page of the audit log.
pub const PAGE_SIZE: usize = 50;

/// The administrators' routes (added to `web::router`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/diners", get(diners::list))
        .route(
            "/admin/diners/new",
            get(diners::new_form).post(diners::create),
        )
        .route("/admin/diners/check-id", get(diners::check_id))
        .route(
            "/admin/diners/{id}",
            get(diners::edit_form).post(diners::update),
        )
        .route("/admin/diners/{id}/active", post(diners::set_active))
        .route("/admin/import", get(import::form).post(import::preview))
        .route("/admin/import/confirm", post(import::confirm))
        .route("/admin/policy", get(policy::show).post(policy::create))
        .route("/admin/sites", get(org::sites).post(org::create_site))
        .route("/admin/sites/{id}/terminals", post(org::create_terminal))
        .route("/admin/terminals/{id}/retire", post(org::retire_terminal))
        .route("/admin/users", get(org::users).post(org::create_user))
        .route("/admin/users/{id}/reset", post(org::reset_password))
        .route("/admin/audit", get(org::audit))
}

/// The frame of an administrator's page and its words.
fn frame(a: &Admin, here: &str) -> (Page, &'static Words) {
    (Page::new(&a.signed, here), words(a.signed.lang))
}

/// The township a page works on: a township administrator's own; for a
/// county administrator the one asked for, else the first. Outside the
/// scope: 404, as the API answers.
async fn township_of(
    state: &AppState,
    a: &Admin,
    asked: Option<i64>,
) -> Result<(Township, Vec<Township>), PageError> {
    let all: Vec<Township> = state
        .store
        .townships()
        .await?
        .into_iter()
        .filter(|t| a.signed.person.sees_township(t.id))
        .collect();
    let chosen = match (asked, a.township) {
        (Some(id), _) => all.iter().find(|t| t.id == TownshipId(id)),
        (None, Some(own)) => all.iter().find(|t| t.id == own),
        (None, None) => all.first(),
    }
    .cloned()
    .ok_or_else(PageError::not_found)?;
    Ok((chosen, all))
}

/// The diner form's script, versioned by its content (see
/// `static/admin.js`; served by `web::assets`).
pub fn admin_script_href() -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        format!(
            "/static/admin.js?v={}",
            &crate::auth::sha256_hex(include_str!("../../../static/admin.js"))[..12]
        )
    })
}

/// A random token for a form or an upload.
fn new_nonce() -> String {
    crate::auth::random_hex(16)
}

/// Forms that create something carry a nonce; the first submission's
/// outcome is kept for an hour, so a second submission (a double click, a
/// resend after a lost answer) records nothing and shows that outcome. A
/// second one arriving while the first is still working waits for it.
type Key = (UserId, String);

/// When a nonce was claimed, and its outcome (`None` while the first
/// submission works).
type Outcomes = HashMap<Key, (Instant, Option<String>)>;

static SUBMISSIONS: Mutex<Option<Outcomes>> = Mutex::new(None);

const SUBMISSION_TTL: Duration = Duration::from_secs(3600);
const MAX_SUBMISSIONS: usize = 10_000;

/// What a submission is.
enum Submission {
    /// The first: do the work, then [`First::done`].
    First(First),
    /// Submitted before: what it led to.
    Done(String),
}

/// The first submission of a nonce. Dropped without `done` (the work
/// failed or was refused), the nonce is free again for a corrected form.
struct First {
    key: Option<Key>,
}

impl First {
    fn done(mut self, outcome: String) {
        if let Some(key) = self.key.take()
            && let Ok(mut guard) = SUBMISSIONS.lock()
            && let Some(map) = guard.as_mut()
        {
            map.insert(key, (Instant::now(), Some(outcome)));
        }
    }
}

impl Drop for First {
    fn drop(&mut self) {
        if let Some(key) = self.key.take()
            && let Ok(mut guard) = SUBMISSIONS.lock()
            && let Some(map) = guard.as_mut()
        {
            map.remove(&key);
        }
    }
}

enum Seen {
    New,
    Working,
    Done(String),
}

fn look(key: &Key) -> Seen {
    let Ok(mut guard) = SUBMISSIONS.lock() else {
        return Seen::New;
    };
    let map = guard.get_or_insert_with(HashMap::new);
    match map.get(key) {
        Some((at, Some(outcome))) if at.elapsed() < SUBMISSION_TTL => Seen::Done(outcome.clone()),
        Some((_, None)) => Seen::Working,
        _ => {
            if map.len() >= MAX_SUBMISSIONS {
                map.retain(|_, (at, _)| at.elapsed() < SUBMISSION_TTL);
            }
            if map.len() < MAX_SUBMISSIONS {
                map.insert(key.clone(), (Instant::now(), None));
            }
            Seen::New
        }
    }
}

/// Claims a form's nonce: the first submission, or what the first led to.
async fn submission(user: UserId, nonce: &str) -> Result<Submission, PageError> {
    if nonce.is_empty() || nonce.len() > 64 {
        return Ok(Submission::First(First { key: None }));
    }
    let key = (user, nonce.to_string());
    // The first is storing: wait for it (a few seconds at most).
    for _ in 0..50 {
        match look(&key) {
            Seen::New => return Ok(Submission::First(First { key: Some(key) })),
            Seen::Done(outcome) => return Ok(Submission::Done(outcome)),
            Seen::Working => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Err(PageError::new(axum::http::StatusCode::CONFLICT, |t| {
        t.err_conflict
    }))
}

/// Reads a `YYYY-MM-DD` field: `Ok(None)` when empty.
fn date_field(text: &str) -> Result<Option<chrono::NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

/// The value of a form field (the last one of that name), or "".
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
