//! Every error the API answers, in one place: a stable `code`, a status and
//! a message in English and in Chinese (`message_zh`, the language of the
//! canteen's pages). 5xx details go to the log, never to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// An error answered as `{"code": "...", "message": "...", "message_zh": "..."}`.
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
    /// What went wrong, for a person, in English (with the detail: which
    /// field, which line, which limit).
    pub message: String,
    /// What went wrong, for a person, in Chinese.
    pub message_zh: String,
}

/// The Chinese message of a code. Every code the API answers has one; the
/// English `message` carries the detail of the case.
pub fn message_zh(code: &str) -> &'static str {
    match code {
        "bad_request" => "请求无法处理。",
        "malformed_json" => "提交的内容不是有效的 JSON。",
        "invalid_field" => "有字段填写有误，请检查后再提交。",
        "bad_query" => "查询参数有误。",
        "bad_path" => "网址中的参数有误。",
        "bad_body" => "无法读取提交的内容。",
        "bad_month" => "月份格式有误，请写成 2026-03 这样。",
        "control_character" => "文字中含有控制字符，请删除后再提交。",
        "invalid" => "提交的内容不符合规则，请按提示修改。",
        "file_too_large" => "文件过大，请拆分后再导入。",
        "unreadable_file" => "无法读取该文件，请使用 CSV 或 XLSX 格式。",
        "import_rejected" => "文件中有行存在问题，未导入任何数据。请修改后重试，或只导入正确的行。",
        "batch_has_refusals" => "部分记录被拒收，其余已保存，详见各条结果。",
        "month_not_over" => "该月尚未结束，月末最后一天起才能结账。",
        "month_not_closed" => "该月尚未结账。",
        "flags_undecided" => "还有待审核的标记项，全部接受或驳回后才能结账。",
        "not_flagged" => "该行不在本月待审核的标记项中。",
        "unauthenticated" => "请先登录。",
        "bad_login" => "用户名或密码错误。",
        "forbidden" => "您没有权限进行此操作。",
        "not_found" => "找不到该记录。",
        "conflict" => "与已保存的记录冲突，未作任何更改。",
        "duplicate" => "该记录已存在。",
        "body_too_large" => "提交的内容过大。",
        "unsupported_media_type" => "请以 JSON 格式提交（Content-Type: application/json）。",
        "rate_limited" => "登录失败次数过多，请稍后再试。",
        "busy" => "服务器正忙，请稍后再试。",
        "timeout" => "请求超时，请稍后再试。",
        "method_not_allowed" => "此网址不支持该请求方式。",
        "internal" => "服务器出错，已记录日志。",
        _ => "请求未能完成。",
    }
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

    /// The Chinese message: the code's, with the wait when there is one.
    pub fn message_zh(&self) -> String {
        match self {
            ApiError::RateLimited(secs) => format!("登录失败次数过多，请 {secs} 秒后再试。"),
            ApiError::Busy(secs) => format!("服务器正忙于处理其他登录，请 {secs} 秒后再试。"),
            other => message_zh(other.code()).to_string(),
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
                message_zh: self.message_zh(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the API answers, here and in the middleware and bodies
    /// that carry a code of their own.
    const CODES: &[&str] = &[
        "bad_request",
        "malformed_json",
        "invalid_field",
        "bad_query",
        "bad_path",
        "bad_body",
        "bad_month",
        "control_character",
        "invalid",
        "file_too_large",
        "unreadable_file",
        "import_rejected",
        "batch_has_refusals",
        "month_not_over",
        "month_not_closed",
        "flags_undecided",
        "not_flagged",
        "unauthenticated",
        "bad_login",
        "forbidden",
        "not_found",
        "conflict",
        "duplicate",
        "body_too_large",
        "unsupported_media_type",
        "rate_limited",
        "busy",
        "timeout",
        "method_not_allowed",
        "internal",
    ];

    #[test]
    fn every_code_has_its_own_chinese_message() {
        let fallback = message_zh("no such code");
        let mut seen = std::collections::HashSet::new();
        for code in CODES {
            let zh = message_zh(code);
            assert_ne!(zh, fallback, "{code}");
            assert!(seen.insert(zh), "{code} shares its message");
        }
    }

    #[test]
    fn each_variant_answers_a_known_code_in_both_languages() {
        let errors = [
            ApiError::BadRequest("bad_query", "x".into()),
            ApiError::invalid("x"),
            ApiError::Unauthenticated,
            ApiError::BadLogin,
            ApiError::forbidden("x"),
            ApiError::not_found("site"),
            ApiError::Conflict("x".into()),
            ApiError::TooLarge,
            ApiError::UnsupportedMediaType("x".into()),
            ApiError::RateLimited(30),
            ApiError::Busy(2),
            ApiError::Store(StoreError::Duplicate("x".into())),
            ApiError::Internal("x".into()),
        ];
        for e in errors {
            assert!(CODES.contains(&e.code()), "{}", e.code());
            assert!(!e.message_zh().is_empty());
        }
        assert_eq!(
            ApiError::RateLimited(30).message_zh(),
            "登录失败次数过多，请 30 秒后再试。"
        );
    }
}
