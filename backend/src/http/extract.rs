//! Extractors whose rejections answer in our error format, and the two
//! kinds of caller: a person with a session, a terminal with its token.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::auth::{SESSION_PREFIX, TERMINAL_PREFIX, token_hash};
use crate::roles::Person;
use crate::store::{Site, Terminal};

/// JSON in and out; bad JSON answers like every other error (400 or 422).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send JSON with 'Content-Type: application/json'".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(first) => integral_floats(&bytes).map(Json).ok_or(first.into()),
        }
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(kind, suffix)| kind.starts_with("application/") && suffix == "json")
}

/// JSON has one kind of number: `666.0` is the integer 666 to a JSON
/// Schema validator, but not to serde. The body again, with whole floats
/// as integers, if that makes it readable. Money is never a JSON number,
/// so nothing is rounded.
fn integral_floats<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    fn fix(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) else {
                    return false;
                };
                // Exact: |f| < 2^53, and whole.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *value = serde_json::Value::from(whole);
                true
            }
            serde_json::Value::Array(items) => {
                let mut changed = false;
                for item in items {
                    changed |= fix(item);
                }
                changed
            }
            serde_json::Value::Object(map) => {
                let mut changed = false;
                for item in map.values_mut() {
                    changed |= fix(item);
                }
                changed
            }
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !fix(&mut value) {
        return None;
    }
    T::deserialize(value).ok()
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string parsed with our error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)?;
        for (name, value) in &pairs {
            refuse_control("the query parameter", name, value)?;
        }
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(v))
    }
}

/// Path parameters parsed with our error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest("bad_path", e.body_text()))?;
        for (name, value) in &raw {
            refuse_control("the path parameter", name, value)?;
        }
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(v))
    }
}

/// A 400 naming a path or query parameter that holds a control character.
fn refuse_control(what: &str, name: &str, value: &str) -> Result<(), ApiError> {
    match crate::text::control_character(&format!("{what} '{name}'"), value) {
        Some(reason) => Err(ApiError::BadRequest("control_character", reason)),
        None => Ok(()),
    }
}

/// The token of an `Authorization: Bearer <token>` header: the one parser
/// for every endpoint. The scheme is case-insensitive (RFC 9110).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim_start();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        if token.starts_with(TERMINAL_PREFIX) {
            return Err(ApiError::forbidden(
                "this endpoint is for people; a terminal token cannot use it",
            ));
        }
        if !token.starts_with(SESSION_PREFIX) {
            return Err(ApiError::Unauthenticated);
        }
        let now = chrono::Utc::now();
        let user = state
            .store
            .session_user(&token_hash(token), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Person::new(user))
    }
}

/// A terminal authenticated by its own token, with its site.
#[derive(Debug, Clone)]
pub struct TerminalCaller {
    /// The terminal.
    pub terminal: Terminal,
    /// Its site.
    pub site: Site,
}

impl FromRequestParts<AppState> for TerminalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        if token.starts_with(SESSION_PREFIX) {
            return Err(ApiError::forbidden(
                "terminal endpoints take a terminal token, not a person's session",
            ));
        }
        if !token.starts_with(TERMINAL_PREFIX) {
            return Err(ApiError::Unauthenticated);
        }
        let (terminal, site) = state
            .store
            .terminal_and_site_by_token(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(TerminalCaller { terminal, site })
    }
}
