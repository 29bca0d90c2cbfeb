//! HTTP: the JSON API (with `web`, the pages, the only modules that know
//! HTTP). One router per area, merged here with the pages and the layers
//! every request passes: panic catching, tracing, a time limit, a body
//! limit, and JSON for every API error (a page for every page error).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::PasswordWork;
use crate::config::Config;
use crate::rate_limit::LoginLimiter;
use crate::store::Db;

mod admin;
mod docs;
pub mod error;
pub mod extract;
mod finance;
mod free_meals;
pub(crate) mod login;
pub mod openapi;
mod roster;
mod sales;
mod terminal;
pub mod views;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// Failed-login counter.
    pub limiter: Arc<LoginLimiter>,
    /// Bound on concurrent password hashing.
    pub passwords: Arc<PasswordWork>,
    /// Key of the web pages' CSRF tokens.
    pub web_key: Arc<crate::web::CsrfKey>,
}

/// Every route with its description: the router and the OpenAPI document
/// come from the same handlers, so neither can miss what the other has.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(login::router())
        .merge(admin::router())
        .merge(roster::router())
        .merge(sales::router())
        .merge(terminal::router())
        .merge(finance::router())
        .merge(free_meals::router())
        .merge(docs::router())
}

/// The OpenAPI document served at `/api/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The whole API with its layers.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let (routes, doc) = api().split_for_parts();
    routes
        .merge(crate::web::router(state.clone()))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .with_state(state)
        .layer(Extension(Arc::new(docs::Published::new(&doc))))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            config.max_body_bytes,
            refuse_oversized,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            ApiError::Internal("panic".into()).into_response()
        }))
        .layer(middleware::from_fn(json_errors))
}

/// Bodies declared larger than this are not read at all before the 413.
const DRAIN_LIMIT: u64 = 32 * 1024 * 1024;

/// Answers 413 to a body declared larger than the limit, after reading and
/// dropping it (up to [`DRAIN_LIMIT`], for at most 10 s): a socket closed
/// with unread data resets the connection, and the client would never see
/// the answer.
async fn refuse_oversized(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    use http_body_util::BodyExt;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(len) = declared.filter(|&l| l > max as u64) else {
        return next.run(req).await;
    };
    if len <= DRAIN_LIMIT {
        let mut body = req.into_body();
        let drain = async { while let Some(Ok(_)) = body.frame().await {} };
        let _ = tokio::time::timeout(Duration::from_secs(10), drain).await;
    }
    ApiError::TooLarge.into_response()
}

/// Gives error answers made outside our handlers (timeouts, body limit,
/// wrong method) the same JSON shape as ours.
async fn json_errors(req: Request, next: Next) -> Response {
    // Pages answer their errors as pages.
    if !crate::web::is_api_path(req.uri().path()) {
        return crate::web::error::page_layer(req, next).await;
    }
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (code, message) = match status {
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "the request body is too large"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this endpoint does not take that method",
        ),
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint"),
        s if s.is_server_error() => (
            "internal",
            "something went wrong on the server; it has been logged",
        ),
        _ => ("bad_request", "the request could not be handled"),
    };
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    // Keep the headers (a 405's Allow, a 429's Retry-After), not the body.
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}
