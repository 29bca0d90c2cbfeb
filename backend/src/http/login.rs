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
    let user_id = check_login(&state, &req.username, req.password, addr.ip()).await?;
    let token = auth::new_token(SESSION_PREFIX);
    let now = chrono::Utc::now();
    let expires_at = now + chrono::Duration::hours(i64::from(state.config.session_hours));
    state
        .store
        .insert_session(&auth::token_hash(&token.0), user_id, now, expires_at)
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
    if let Some(token) = super::extract::bearer_token(&headers) {
        state.store.delete_session(&auth::token_hash(token)).await?;
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

/// 503 with Retry-After when password work is full; 500 if it failed.
pub(crate) fn password_work_error(e: auth::PasswordWorkError) -> ApiError {
    match e {
        auth::PasswordWorkError::Busy => ApiError::Busy(1),
        auth::PasswordWorkError::Failed(m) => ApiError::Internal(m),
    }
}

/// Hashes a new password within the bound on password work.
pub async fn hash_password(state: &AppState, pw: String) -> Result<String, ApiError> {
    state
        .passwords
        .run(move || auth::hash_password(&pw))
        .await
        .map_err(password_work_error)?
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
    let ok = state
        .passwords
        .run(move || auth::verify_password(&current, &creds.password_hash))
        .await
        .map_err(password_work_error)?;
    if !ok {
        return Err(ApiError::invalid("the current password is wrong"));
    }
    let hash = hash_password(&state, req.new_password).await?;
    state
        .store
        .update_user_login(
            person.user.id,
            Some(hash),
            false,
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

/// Checks a sign-in (the JSON API's and the pages'): the rate limit per
/// account and address, then the password within the bound on password
/// work. Answers the user's id.
pub(crate) async fn check_login(
    state: &AppState,
    username: &str,
    password: String,
    ip: std::net::IpAddr,
) -> Result<canteen_core::UserId, ApiError> {
    let username = username.trim().to_string();
    if username.is_empty() || username.len() > 100 || password.len() > 1000 {
        return Err(ApiError::BadLogin);
    }
    if let Some(reason) = crate::text::control_character("the username", &username) {
        return Err(ApiError::invalid(reason));
    }
    // Counted before the password is checked: attempts sent at once cannot
    // all be checked before the first failure is recorded.
    let attempt = state
        .limiter
        .begin(&username, ip, Instant::now())
        .map_err(ApiError::RateLimited)?;
    let creds = match state.store.credentials(&username).await {
        Ok(c) => c,
        Err(e) => {
            state.limiter.withdraw(attempt);
            return Err(e.into());
        }
    };
    let hash = creds
        .as_ref()
        .filter(|c| c.active)
        .map(|c| c.password_hash.clone());
    // An unknown username is checked against a dummy hash: it takes as long.
    let checked = state
        .passwords
        .run(move || {
            let hash = hash.unwrap_or_else(|| auth::dummy_hash().to_string());
            auth::verify_password(&password, &hash)
        })
        .await;
    let ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            state.limiter.withdraw(attempt);
            return Err(password_work_error(e));
        }
    };
    let user_id = creds.filter(|c| c.active).map(|c| c.id);
    let (true, Some(user_id)) = (ok, user_id) else {
        // The attempt stays counted as a failure.
        drop(attempt);
        return Err(ApiError::BadLogin);
    };
    state.limiter.succeed(attempt);
    Ok(user_id)
}
