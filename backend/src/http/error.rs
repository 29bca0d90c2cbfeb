//! Every error the API answers, in one place: a stable `code`, a status and
//! a message. 5xx details go to the log, never to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// An error answered as `{"code": "...", "message": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, bad query).
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// 422: the request was read but its content breaks a rule.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// 401: no valid credentials.
    #[error("sign in first: send 'Authorization: Bearer <token>'")]
    Unauthenticated,
    /// 401: wrong username or password.
    #[error("wrong username or password")]
    BadLogin,
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing, or not in the caller's scope.
    #[error("{0}")]
    NotFound(String),
    /// 409: conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// 413: body over the limit.
    #[error("the request body is too large")]
    TooLarge,
    /// 415: wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: too many failed logins.
    #[error("too many failed logins: try again in {}", seconds(*.0))]
    RateLimited(u64),
    /// 503: too busy for this now (password hashing is full); retry after
    /// the given seconds.
    #[error("the server is busy with other sign-ins: try again in {}", seconds(*.0))]
    Busy(u64),
    /// 500 from storage (detail logged only).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 500 for anything else (detail logged only).
    #[error("{0}")]
    Internal(String),
}

/// "1 second", "30 seconds".
fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(..) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated | ApiError::BadLogin => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            ApiError::Store(StoreError::Duplicate(_)) => StatusCode::CONFLICT,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(code, _) | ApiError::Invalid(code, _) => code,
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::BadLogin => "bad_login",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge => "body_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Busy(_) => "busy",
            ApiError::Store(StoreError::NotFound) => "not_found",
            ApiError::Store(StoreError::Duplicate(_)) => "duplicate",
            ApiError::Store(_) | ApiError::Internal(_) => "internal",
        }
    }

    /// A 422 with code `invalid`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::Invalid("invalid", message.into())
    }

    /// A 404 that says what was not found.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::NotFound(format!("no such {what}"))
    }

    /// A 403 naming the roles that may do this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden(message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let message = if status.is_server_error() && !matches!(self, ApiError::Busy(_)) {
            tracing::error!(error = %self, "request failed");
            "something went wrong on the server; it has been logged".to_string()
        } else {
            self.to_string()
        };
        let mut res = (
            status,
            Json(ErrorBody {
                code: self.code(),
                message,
            }),
        )
            .into_response();
        if let ApiError::RateLimited(secs) | ApiError::Busy(secs) = self
            && let Ok(v) = secs.to_string().parse()
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rej: JsonRejection) -> ApiError {
        match rej.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(
                "send JSON with 'Content-Type: application/json'".into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid(
                "invalid_field",
                format!("a field is wrong: {}", serde_detail(&rej.body_text())),
            ),
            _ => ApiError::BadRequest(
                "malformed_json",
                format!(
                    "the body is not valid JSON: {}",
                    serde_detail(&rej.body_text())
                ),
            ),
        }
    }
}

/// What serde said, without axum's "Failed to deserialize the JSON body
/// into the target type: " in front: a person needs only the field and why.
fn serde_detail(text: &str) -> &str {
    [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
        "Failed to deserialize path parameters: ",
    ]
    .iter()
    .find_map(|p| text.strip_prefix(p))
    .unwrap_or(text)
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rej: axum::extract::rejection::BytesRejection) -> ApiError {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest("bad_body", rej.body_text())
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rej: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::BadRequest(
            "bad_query",
            format!(
                "the query string is wrong: {}",
                serde_detail(&rej.body_text())
            ),
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rej: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::BadRequest(
            "bad_path",
            format!("the path is wrong: {}", serde_detail(&rej.body_text())),
        )
    }
}

impl From<crate::ingest::IngestError> for ApiError {
    fn from(e: crate::ingest::IngestError) -> ApiError {
        match e {
            crate::ingest::IngestError::Store(s) => ApiError::Store(s),
            crate::ingest::IngestError::Stored(d) => ApiError::Store(d.into()),
        }
    }
}

impl From<crate::domain::StoredDataError> for ApiError {
    fn from(e: crate::domain::StoredDataError) -> ApiError {
        ApiError::Store(e.into())
    }
}

impl From<crate::domain::DinerError> for ApiError {
    fn from(e: crate::domain::DinerError) -> ApiError {
        ApiError::invalid(e.to_string())
    }
}
