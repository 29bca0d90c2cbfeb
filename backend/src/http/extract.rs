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
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(value))
    }
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
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(v))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
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
        let now = chrono::Utc::now().timestamp_millis();
        let user = state
            .store
            .session_user(&token_hash(token), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Person::new(user).map_err(|e| ApiError::Internal(e.to_string()))
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
        let terminal = state
            .store
            .terminal_by_token(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let site =
            state.store.site(terminal.site_id).await?.ok_or_else(|| {
                ApiError::Internal(format!("terminal {} has no site", terminal.id))
            })?;
        Ok(TerminalCaller { terminal, site })
    }
}
