//! Logging in and out, and the signed-in person's own account.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::ApiError;
use super::extract::Json;
use super::openapi::{Always, Invalid, JsonBody, PersonAuth, RateLimited};
use super::views::UserView;
use crate::auth::{self, SESSION_PREFIX};
use crate::roles::Person;
use crate::store::{Actor, AuditEntry};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

/// A username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    #[schema(max_length = 100)]
    username: String,
    #[schema(max_length = 1000)]
    password: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
struct LoginResponse {
    /// Send as 'Authorization: Bearer <token>'.
    token: String,
    /// When the session ends.
    expires_at: chrono::DateTime<chrono::Utc>,
    /// Who signed in.
    user: UserView,
}

/// Signs in with username and password; answers a bearer token. Failed
/// attempts are limited per username and per address.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Wrong username or password", body = super::error::ErrorBody),
        JsonBody, RateLimited, Always,
    ))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let ip = addr.ip();
    let username = req.username.trim().to_string();
    if username.is_empty() || username.len() > 100 || req.password.len() > 1000 {
        return Err(ApiError::BadLogin);
    }
    state
        .limiter
        .check(&username, ip, Instant::now())
        .map_err(ApiError::RateLimited)?;
    let creds = state.store.credentials(&username).await?;
    let password = req.password;
    let (ok, user_id) = {
        let hash = creds
            .as_ref()
            .filter(|c| c.active)
            .map(|c| c.password_hash.clone());
        let pw = password.clone();
        // argon2 takes tens of milliseconds of CPU: keep it off the runtime.
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| auth::dummy_hash().to_string());
            auth::verify_password(&pw, &hash)
        })
        .await
        .unwrap_or(false);
        (
            ok && creds.as_ref().is_some_and(|c| c.active),
            creds.map(|c| c.id),
        )
    };
    let (true, Some(user_id)) = (ok, user_id) else {
        state.limiter.fail(&username, ip, Instant::now());
        return Err(ApiError::BadLogin);
    };
    state.limiter.succeed(&username, ip);
    let token = auth::new_token(SESSION_PREFIX);
    let now = chrono::Utc::now();
    let expires_at = now + chrono::Duration::hours(i64::from(state.config.session_hours));
    state
        .store
        .insert_session(
            &auth::token_hash(&token.0),
            user_id,
            now.timestamp_millis(),
            expires_at.timestamp_millis(),
        )
        .await?;
    let user = state.store.user(user_id).await?.ok_or(ApiError::BadLogin)?;
    Ok(Json(LoginResponse {
        token: token.0,
        expires_at,
        user: user.try_into()?,
    }))
}

/// Ends this session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), PersonAuth, Always),
    security(("bearer" = [])))]
async fn logout(
    State(state): State<AppState>,
    _person: Person,
    headers: HeaderMap,
) -> Result<axum::http::StatusCode, ApiError> {
    if let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        state
            .store
            .delete_session(&auth::token_hash(token.trim()))
            .await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/me", tag = "auth",
    responses((status = 200, description = "The signed-in user", body = UserView), PersonAuth, Always),
    security(("bearer" = [])))]
async fn me(person: Person) -> Result<Json<UserView>, ApiError> {
    Ok(Json(person.user.try_into()?))
}

/// One's current password and the new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    #[schema(max_length = 1000)]
    current_password: String,
    /// 10 to 200 characters.
    #[schema(min_length = 10, max_length = 200)]
    new_password: String,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn check_new_password(pw: &str) -> Result<(), ApiError> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(ApiError::invalid(format!(
            "a password needs at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if n > 200 {
        return Err(ApiError::invalid("a password has at most 200 characters"));
    }
    Ok(())
}

pub async fn hash_password(pw: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Changes one's own password.
#[utoipa::path(post, path = "/api/me/password", tag = "auth",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        PersonAuth, JsonBody, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn change_password(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<ChangePassword>,
) -> Result<axum::http::StatusCode, ApiError> {
    check_new_password(&req.new_password)?;
    let creds = state
        .store
        .credentials(&person.user.username)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let current = req.current_password;
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&current, &creds.password_hash))
            .await
            .unwrap_or(false);
    if !ok {
        return Err(ApiError::invalid("the current password is wrong"));
    }
    let hash = hash_password(req.new_password).await?;
    state
        .store
        .update_user_login(
            person.user.id,
            Some(hash),
            None,
            AuditEntry {
                actor: Actor {
                    user_id: Some(person.user.id),
                    name: person.user.username.clone(),
                },
                township_id: person.user.township_id,
                action: "user.password".into(),
                entity: "user".into(),
                entity_id: person.user.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
