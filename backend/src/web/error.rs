//! Errors on pages: an HTML page in the reader's language, never JSON and
//! never a bare 500. A handler returns [`PageError`] (or anything that
//! converts into it, such as the API's `ApiError` or a `StoreError`);
//! [`page_layer`] renders it, and turns every other error answer on a page
//! path (no such page, wrong method, timeout, body too large, a panic)
//! into the same page.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::i18n::{Lang, Messages};
use crate::http::ApiError;
use crate::roles::Role;
use crate::store::StoreError;

/// A message of the catalogue, chosen when the language is known.
pub type Msg = fn(&'static Messages) -> &'static str;

/// An error shown as a page.
#[derive(Debug, Clone)]
pub struct PageError {
    /// The status answered.
    pub status: StatusCode,
    /// The message, from the catalogue.
    pub message: Msg,
    /// Roles that may open the page (a 403 lists them).
    pub roles: &'static [Role],
    /// A detail after the message (e.g. which field is wrong), not translated.
    pub detail: Option<String>,
}

impl PageError {
    /// An error with a status and a catalogue message.
    pub fn new(status: StatusCode, message: Msg) -> PageError {
        PageError {
            status,
            message,
            roles: &[],
            detail: None,
        }
    }

    /// 403 with a message.
    pub fn forbidden(message: Msg) -> PageError {
        PageError::new(StatusCode::FORBIDDEN, message)
    }

    /// 403: the page is for other roles.
    pub fn for_roles(roles: &'static [Role]) -> PageError {
        PageError {
            roles,
            ..PageError::forbidden(|t| t.err_forbidden_role)
        }
    }

    /// 404.
    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, |t| t.err_not_found)
    }

    /// 413.
    pub fn too_large() -> PageError {
        PageError::new(StatusCode::PAYLOAD_TOO_LARGE, |t| t.err_too_large)
    }

    /// 500 (the detail is logged, not shown).
    pub fn internal(detail: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %detail, "page failed");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, |t| t.err_server)
    }

    /// The generic message for a status.
    fn for_status(status: StatusCode) -> PageError {
        let message: Msg = match status {
            StatusCode::NOT_FOUND => |t| t.err_not_found,
            StatusCode::METHOD_NOT_ALLOWED => |t| t.err_method,
            StatusCode::FORBIDDEN => |t| t.err_forbidden,
            StatusCode::CONFLICT => |t| t.err_conflict,
            StatusCode::PAYLOAD_TOO_LARGE => |t| t.err_too_large,
            StatusCode::REQUEST_TIMEOUT => |t| t.err_timeout,
            StatusCode::UNPROCESSABLE_ENTITY => |t| t.err_invalid,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => |t| t.busy,
            s if s.is_client_error() => |t| t.err_bad_request,
            _ => |t| t.err_server,
        };
        PageError::new(status, message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Rendered by `page_layer`, which knows the reader's language.
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        let status = e.status_code();
        if status.is_server_error() && !matches!(e, ApiError::Busy(_)) {
            return PageError::internal(e);
        }
        let mut page = PageError::for_status(status);
        // The services' own words say which field and why (in English).
        if matches!(e, ApiError::Invalid(..) | ApiError::BadRequest(..)) {
            page.detail = Some(e.to_string());
        }
        page
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        PageError::from(ApiError::from(e))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: super::Page,
    status: u16,
    message: &'static str,
    roles: Vec<&'static str>,
    detail: Option<String>,
}

/// The layer of every page path: renders errors as pages in the reader's
/// language, and keeps pages out of caches (so the back button after
/// logging out asks the server again) and out of frames.
pub async fn page_layer(req: Request, next: Next) -> Response {
    let lang = Lang::from_jar(&CookieJar::from_headers(req.headers()));
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    let status = res.status();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_html {
        let error = res
            .extensions_mut()
            .remove::<PageError>()
            .unwrap_or_else(|| PageError::for_status(status));
        let mut page = render_error(lang, &path, error);
        // A 405's Allow stays.
        if let Some(allow) = res.headers().get(header::ALLOW).cloned() {
            page.headers_mut().insert(header::ALLOW, allow);
        }
        res = page;
    }
    let headers = res.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    res
}

fn render_error(lang: Lang, path: &str, error: PageError) -> Response {
    let t = lang.t();
    let page = ErrorPage {
        page: super::Page::anonymous(lang, path),
        status: error.status.as_u16(),
        message: (error.message)(t),
        roles: error.roles.iter().map(|r| t.role(*r)).collect(),
        detail: error.detail,
    };
    match page.render() {
        Ok(html) => (error.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the error page failed to render");
            (
                error.status,
                Html(format!(
                    "<!doctype html><title>{}</title><p>{}",
                    t.error_title,
                    (error.message)(t)
                )),
            )
                .into_response()
        }
    }
}
