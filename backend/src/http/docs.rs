//! The OpenAPI document (`/api/openapi.json`), made from the handlers'
//! own descriptions (see [`super::openapi`]), and a page (`/api`) that lists
//! every operation, rendered on the server so it reads without JavaScript.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::Json;
use super::openapi::Always;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(openapi_json))
        .routes(routes!(page))
}

/// The document and its page, made once at start.
pub struct Published {
    json: String,
    page: String,
}

impl Published {
    /// Renders the document as JSON and as the page.
    pub fn new(doc: &OpenApi) -> Published {
        let json = doc.to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the OpenAPI document cannot be written as JSON");
            String::from("{}")
        });
        Published {
            json,
            page: render_page(doc),
        }
    }
}

/// The service is up.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Liveness check.
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, description = "The service is up", body = Health), Always))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// This document, OpenAPI 3.1.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object),
        Always,
    ))]
async fn openapi_json(Extension(published): Extension<Arc<Published>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        published.json.clone(),
    )
        .into_response()
}

/// A readable page listing every operation.
#[utoipa::path(get, path = "/api", tag = "meta",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        Always,
    ))]
async fn page(Extension(published): Extension<Arc<Published>>) -> Html<String> {
    Html(published.page.clone())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn ref_name(r: &RefOr<utoipa::openapi::schema::Schema>) -> Option<String> {
    match r {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_string),
        RefOr::T(utoipa::openapi::schema::Schema::Array(a)) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(item) => {
                ref_name(item).map(|n| format!("[{n}]"))
            }
            utoipa::openapi::schema::ArrayItems::False => None,
        },
        RefOr::T(_) => None,
    }
}

fn content_schema(c: &RefOr<utoipa::openapi::Content>) -> Option<String> {
    match c {
        RefOr::T(c) => c.schema.as_ref().and_then(ref_name),
        RefOr::Ref(_) => None,
    }
}

fn operation_rows(out: &mut String, method: &str, path: &str, op: &Operation) {
    let summary = op.summary.as_deref().unwrap_or("");
    let _ = write!(
        out,
        "<tr><td class=m>{}</td><td><code>{}</code></td><td>{}",
        method,
        escape(path),
        escape(summary)
    );
    if let Some(d) = op.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = write!(out, "<br><small>{}</small>", escape(d));
    }
    let params: Vec<String> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .map(|p| {
            let place = match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query | ParameterIn::QueryString => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            };
            let required = if matches!(p.required, Required::True) {
                ""
            } else {
                ", optional"
            };
            format!("<code>{}</code> ({place}{required})", escape(&p.name))
        })
        .collect();
    if !params.is_empty() {
        let _ = write!(out, "<br><small>Parameters: {}</small>", params.join(", "));
    }
    if let Some(RefOr::T(body)) = &op.request_body {
        let kinds: Vec<String> = body
            .content
            .iter()
            .map(|(kind, c)| {
                let schema = content_schema(c);
                match schema {
                    Some(s) => format!("{} <code>{}</code>", escape(kind), escape(&s)),
                    None => escape(kind),
                }
            })
            .collect();
        let _ = write!(out, "<br><small>Body: {}</small>", kinds.join(" or "));
    }
    out.push_str("</td><td>");
    let answers: Vec<String> = op
        .responses
        .responses
        .iter()
        .map(|(status, r)| match r {
            RefOr::T(r) => {
                let schema = r.content.values().next().and_then(content_schema);
                match schema {
                    Some(s) => format!(
                        "<span title=\"{}\">{status}</span> <code>{}</code>",
                        escape(&r.description),
                        escape(&s)
                    ),
                    None => format!("<span title=\"{}\">{status}</span>", escape(&r.description)),
                }
            }
            RefOr::Ref(_) => status.clone(),
        })
        .collect();
    out.push_str(&answers.join("<br>"));
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let _ = writeln!(
        out,
        "</td><td>{}</td></tr>",
        if signed_in { "bearer token" } else { "anyone" }
    );
}

fn render_page(doc: &OpenApi) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>幸福食堂 API</title>\n<style>body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}\n\
table{border-collapse:collapse;width:100%}th{text-align:left}\n\
td,th{padding:.3rem .6rem;vertical-align:top;border-bottom:1px solid #ddd}\n\
.m{text-transform:uppercase;color:#06c;font-weight:bold}small{color:#444}</style></head>\n\
<body><h1>幸福食堂 Happiness Canteen — API</h1>\n",
    );
    if let Some(d) = &doc.info.description {
        for para in d.split("\n\n") {
            let _ = writeln!(out, "<p>{}</p>", escape(para));
        }
    }
    out.push_str(
        "<p>The whole document, for tools: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p>\n",
    );
    let tags: Vec<(String, String)> = doc
        .tags
        .iter()
        .flatten()
        .map(|t| (t.name.clone(), t.description.clone().unwrap_or_default()))
        .collect();
    for (tag, description) in &tags {
        let _ = write!(
            out,
            "<h2 id=\"{0}\">{0}</h2>\n<p>{1}</p>\n<table><tr><th>Method</th><th>Path</th><th>What</th><th>Answers</th><th>Who</th></tr>\n",
            escape(tag),
            escape(description)
        );
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("get", &item.get),
                ("post", &item.post),
                ("put", &item.put),
                ("patch", &item.patch),
                ("delete", &item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                if op.tags.iter().flatten().any(|t| t == tag) {
                    operation_rows(&mut out, method, path, op);
                }
            }
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
