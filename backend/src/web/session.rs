//! Browser sessions and CSRF protection.
//!
//! A session is a random id in the `canteen_session` cookie (HttpOnly,
//! SameSite=Strict, Path=/, `Secure` with `--secure-cookies`); the store
//! keeps only its SHA-256, with an absolute end (`--session-hours`) and an
//! idle end (`--web-idle-minutes`). Every POST to a page passes
//! [`csrf_guard`]: a browser's `Sec-Fetch-Site` must say `same-origin`,
//! an `Origin` must be this host, and a signed-in form must carry the
//! token `HMAC(key, session id)` in its `csrf` field.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::error::PageError;
use super::i18n::Lang;
use crate::auth::token_hash;
use crate::http::AppState;
use crate::roles::Person;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "canteen_session";
/// Name of the form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The server's key for CSRF tokens, kept in the database so that forms
/// rendered before a restart still post after it. `Debug` hides it.
#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

impl CsrfKey {
    /// A key from its stored text.
    pub fn new(key: &str) -> CsrfKey {
        CsrfKey(key.as_bytes().to_vec())
    }

    fn mac(&self, session_id: &str) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).ok()?;
        mac.update(b"csrf:");
        mac.update(session_id.as_bytes());
        Some(mac)
    }

    /// The token of a session, as hex.
    pub fn token(&self, session_id: &str) -> String {
        self.mac(session_id)
            .map(|m| hex(&m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// True when `token` is the session's (compared in constant time).
    pub fn verify(&self, session_id: &str, token: &str) -> bool {
        let Some(bytes) = unhex(token) else {
            return false;
        };
        self.mac(session_id)
            .is_some_and(|m| m.verify_slice(&bytes).is_ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A signed-in person on the pages, with what every page needs.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who, with their role and scope.
    pub person: Person,
    /// The page language.
    pub lang: Lang,
    /// The CSRF token to put in this person's forms.
    pub csrf: String,
    /// The hash of the session id (what the store knows).
    pub(crate) session_hash: String,
}

/// The session a request carries, if it is live: user, must-change flag,
/// session id hash, CSRF token.
pub(crate) async fn current(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(crate::store::WebSession, String, String)>, PageError> {
    let Some(id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let hash = token_hash(&id);
    let now = chrono::Utc::now().timestamp_millis();
    let session = state.store.web_session(&hash, now, idle_ms(state)).await?;
    Ok(session.map(|s| (s, hash, state.web_key.token(&id))))
}

fn idle_ms(state: &AppState) -> i64 {
    i64::from(state.config.web_idle_minutes) * 60_000
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = Lang::from_jar(&jar);
        let Some((session, session_hash, csrf)) = current(state, &jar)
            .await
            .map_err(IntoResponse::into_response)?
        else {
            return Err(to_login(parts));
        };
        // A one-time password must be replaced before anything else (but
        // one may still sign out).
        let path = parts.uri.path();
        if session.must_change_password
            && path != super::pages::PASSWORD_PATH
            && path != super::pages::LOGOUT_PATH
        {
            return Err(Redirect::to(super::pages::PASSWORD_PATH).into_response());
        }
        Ok(SignedIn {
            person: Person::new(session.user),
            lang,
            csrf,
            session_hash,
        })
    }
}

/// A redirect to the login page that comes back here afterwards (for a
/// GET; a POST comes back to the home page).
fn to_login(parts: &Parts) -> Response {
    let back = if parts.method == Method::GET {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| local_path(p))
            .unwrap_or("/")
    } else {
        "/"
    };
    let mut target = String::from("/login");
    if back != "/" {
        target.push_str("?next=");
        target.push_str(&encode_component(back));
    }
    Redirect::to(&target).into_response()
}

/// Percent-encodes a query value.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True for a path on this site (`/x`), never another host (`//evil`,
/// `/\evil`) or a scheme: where a redirect after login or a language
/// switch may go.
pub fn local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// A session cookie with our attributes; `max_age` none: ends with the browser.
fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(SESSION_COOKIE, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(state.config.secure_cookies);
    c
}

/// Starts a session for `user_id`: stores its hash and sets the cookie.
pub(crate) async fn start(
    state: &AppState,
    jar: CookieJar,
    user_id: canteen_core::UserId,
) -> Result<CookieJar, PageError> {
    let id = crate::auth::random_hex(32);
    let now = chrono::Utc::now();
    let expires = now + chrono::Duration::hours(i64::from(state.config.session_hours));
    state
        .store
        .insert_web_session(
            &token_hash(&id),
            user_id,
            now.timestamp_millis(),
            expires.timestamp_millis(),
            idle_ms(state),
        )
        .await?;
    Ok(jar.add(session_cookie(state, id)))
}

/// Ends the session server-side and removes the cookie.
pub(crate) async fn end(
    state: &AppState,
    jar: CookieJar,
    signed: &SignedIn,
) -> Result<CookieJar, PageError> {
    state.store.delete_web_session(&signed.session_hash).await?;
    Ok(jar.remove(session_cookie(state, String::new())))
}

/// Bound on a form body read for its CSRF field (larger bodies are still
/// limited by `--max-body-bytes`; this only bounds what is kept in memory
/// here twice).
fn csrf_body_limit(state: &AppState) -> usize {
    state.config.max_body_bytes
}

/// Checks every state-changing request to a page: where it comes from,
/// and the token of a signed-in form. Refuses with a 403 page.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(
        req.method(),
        &Method::GET | &Method::HEAD | &Method::OPTIONS
    ) {
        return next.run(req).await;
    }
    if !same_origin(req.headers()) {
        return PageError::forbidden(|t| t.err_other_origin).into_response();
    }
    let jar = CookieJar::from_headers(req.headers());
    let Some(session_id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        // No session: the handler answers (login, or a redirect to it).
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, csrf_body_limit(&state)).await {
        Ok(b) => b,
        Err(_) => return PageError::too_large().into_response(),
    };
    let token = form_field(&parts.headers, &bytes, CSRF_FIELD);
    if !token.is_some_and(|t| state.web_key.verify(&session_id, &t)) {
        tracing::info!(path = %parts.uri.path(), "form refused: missing or wrong CSRF token");
        return PageError::forbidden(|t| t.err_csrf).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// False when a browser says the request comes from another origin:
/// `Sec-Fetch-Site` other than `same-origin` (or `none`, typed by the
/// user), or an `Origin` that is not this host. Clients that send neither
/// (not a browser) pass: the CSRF token still guards them.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

/// A field of a urlencoded or multipart form body.
pub fn form_field(headers: &HeaderMap, body: &[u8], name: &str) -> Option<String> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if kind.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded_field(body, name);
    }
    if kind.starts_with("multipart/form-data") {
        let boundary = kind
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()?
            .trim_matches('"');
        return multipart_field(body, boundary, name);
    }
    None
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The value of a small text part `name` of a multipart body.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let header = format!("name=\"{name}\"");
    let text = String::from_utf8_lossy(body);
    for part in text.split(delimiter.as_str()) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let names_it = head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("content-disposition") && l.contains(&header)
        });
        if names_it {
            return Some(value.trim_end_matches("\r\n").to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_belong_to_their_session_and_key() {
        let key = CsrfKey::new("k1");
        let t = key.token("session-a");
        assert_eq!(t.len(), 64);
        assert!(key.verify("session-a", &t));
        assert!(!key.verify("session-b", &t));
        assert!(!CsrfKey::new("k2").verify("session-a", &t));
        assert!(!key.verify("session-a", ""));
        assert!(!key.verify("session-a", "zz"));
        assert!(!key.verify("session-a", &t[..62]));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert!(local_path("/"));
        assert!(local_path("/finance?month=2026-11"));
        assert!(!local_path("//evil.example/"));
        assert!(!local_path("/\\evil.example/"));
        assert!(!local_path("https://evil.example/"));
        assert!(!local_path("/a\nb"));
        assert!(!local_path(""));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn other_origins_are_refused() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:9090")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[(
            "origin",
            "http://127.0.0.1:8080"
        )])));
    }

    #[test]
    fn the_token_is_found_in_both_kinds_of_form() {
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert_eq!(
            form_field(&form, b"a=1&csrf=ab%20c+d&b=2", "csrf").as_deref(),
            Some("ab c d")
        );
        assert_eq!(form_field(&form, b"a=1", "csrf"), None);
        let multi = headers(&[("content-type", "multipart/form-data; boundary=XyZ")]);
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nname=\"csrf\"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(form_field(&multi, body, "csrf").as_deref(), Some("abc123"));
        assert_eq!(form_field(&headers(&[]), b"csrf=1", "csrf"), None);
    }
}
