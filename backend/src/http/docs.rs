//! The OpenAPI document (`/api/openapi.json`) and a readable page (`/api`)
//! that lists the endpoints from it.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::extract::Json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(|| async { Json(openapi()) }))
        .route("/api", get(|| async { Html(PAGE) }))
        .route(
            "/api/health",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
}

/// (method, path, tag, who may call it, summary, request schema, response schema)
type Endpoint = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const ENDPOINTS: &[Endpoint] = &[
    (
        "get",
        "/api/health",
        "meta",
        "anyone",
        "Liveness check",
        None,
        "Object",
    ),
    (
        "get",
        "/api/openapi.json",
        "meta",
        "anyone",
        "This document",
        None,
        "Object",
    ),
    (
        "post",
        "/api/auth/login",
        "auth",
        "anyone (rate limited per username and address)",
        "Log in with username and password; returns a bearer token",
        Some("Login"),
        "Session",
    ),
    (
        "post",
        "/api/auth/logout",
        "auth",
        "any person",
        "End this session",
        None,
        "Empty",
    ),
    (
        "get",
        "/api/me",
        "auth",
        "any person",
        "The signed-in user",
        None,
        "User",
    ),
    (
        "post",
        "/api/me/password",
        "auth",
        "any person",
        "Change one's own password",
        Some("ChangePassword"),
        "Empty",
    ),
    (
        "get",
        "/api/townships",
        "admin",
        "admin, finance",
        "Townships in scope",
        None,
        "Object",
    ),
    (
        "post",
        "/api/townships",
        "admin",
        "county admin",
        "Add a township",
        Some("Object"),
        "Object",
    ),
    (
        "get",
        "/api/sites",
        "admin",
        "any person (own scope)",
        "Sites in scope",
        None,
        "Object",
    ),
    (
        "post",
        "/api/sites",
        "admin",
        "admin",
        "Add a site (kind canteen or commune)",
        Some("Object"),
        "Object",
    ),
    (
        "get",
        "/api/sites/{id}",
        "admin",
        "any person (own scope)",
        "One site",
        None,
        "Object",
    ),
    (
        "get",
        "/api/sites/{id}/terminals",
        "admin",
        "admin",
        "Terminals of a site",
        None,
        "Object",
    ),
    (
        "post",
        "/api/sites/{id}/terminals",
        "admin",
        "admin",
        "Add a terminal; its token is shown once",
        Some("Object"),
        "Object",
    ),
    (
        "get",
        "/api/users",
        "admin",
        "admin",
        "Users in scope",
        None,
        "Object",
    ),
    (
        "post",
        "/api/users",
        "admin",
        "admin",
        "Add a user (role admin, finance, volunteer or cashier)",
        Some("Object"),
        "Object",
    ),
    (
        "patch",
        "/api/users/{id}",
        "admin",
        "admin",
        "Deactivate a user or reset their password",
        Some("Object"),
        "Object",
    ),
    (
        "get",
        "/api/audit",
        "admin",
        "admin",
        "Latest audit-log entries in scope",
        None,
        "Object",
    ),
    (
        "get",
        "/api/townships/{id}/diners",
        "roster",
        "any person of the township",
        "The roster (ID numbers masked)",
        None,
        "Object",
    ),
    (
        "post",
        "/api/townships/{id}/diners",
        "roster",
        "admin",
        "Add a diner",
        Some("DinerInput"),
        "Object",
    ),
    (
        "post",
        "/api/townships/{id}/diners/import",
        "roster",
        "admin",
        "Import the village ledger (CSV or XLSX body); all rows or none, unless ?import_good=true",
        Some("File"),
        "Object",
    ),
    (
        "get",
        "/api/diners/{id}",
        "roster",
        "any person of the township",
        "One diner",
        None,
        "Object",
    ),
    (
        "put",
        "/api/diners/{id}",
        "roster",
        "admin",
        "Change a diner",
        Some("DinerInput"),
        "Object",
    ),
    (
        "get",
        "/api/sites/{id}/policies",
        "roster",
        "any person of the site",
        "Price policy versions",
        None,
        "Object",
    ),
    (
        "post",
        "/api/sites/{id}/policies",
        "roster",
        "admin",
        "Add (or replace) the policy version of a date",
        Some("PricePolicy"),
        "Object",
    ),
    (
        "get",
        "/api/sites/{id}/sales",
        "sales",
        "admin, finance, cashier (own site)",
        "Sales between ?from= and ?to= (business dates)",
        None,
        "Object",
    ),
    (
        "get",
        "/api/sales/{id}",
        "sales",
        "admin, finance, cashier (own site)",
        "A sale with the backend's verdict on each line",
        None,
        "Object",
    ),
    (
        "get",
        "/api/terminal/setup",
        "terminal",
        "terminal token",
        "The terminal, its site and cashiers, current versions",
        None,
        "Object",
    ),
    (
        "get",
        "/api/terminal/roster",
        "terminal",
        "terminal token",
        "The township roster, or what changed ?since=version",
        None,
        "Object",
    ),
    (
        "get",
        "/api/terminal/policies",
        "terminal",
        "terminal token",
        "The site's price policies, or what changed ?since=version",
        None,
        "Object",
    ),
    (
        "post",
        "/api/terminal/sales",
        "terminal",
        "terminal token",
        "Post sales; idempotent by id; each gets a status (stored, duplicate, conflict, rejected); 422 when any is refused",
        Some("SalesBatch"),
        "BatchResult",
    ),
    (
        "post",
        "/api/terminal/voids",
        "terminal",
        "terminal token",
        "Post voids; idempotent by id",
        Some("VoidsBatch"),
        "BatchResult",
    ),
    (
        "post",
        "/api/terminal/shifts",
        "terminal",
        "terminal token",
        "Open a shift with its float; idempotent by id",
        Some("Object"),
        "Object",
    ),
    (
        "post",
        "/api/terminal/shifts/{id}/close",
        "terminal",
        "terminal token",
        "Close a shift with the counted cash; returns expected cash and difference",
        Some("Object"),
        "Object",
    ),
];

fn schemas() -> Value {
    let money = json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$", "example": "12.50", "description": "Yuan with at most two decimals, as a string"});
    json!({
        "Money": money,
        "Error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "Stable machine-readable code"},
            "message": {"type": "string"}}},
        "Login": {"type": "object", "required": ["username", "password"], "properties": {
            "username": {"type": "string"}, "password": {"type": "string"}}},
        "Session": {"type": "object", "properties": {
            "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
            "user": {"$ref": "#/components/schemas/User"}}},
        "User": {"type": "object", "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "finance", "volunteer", "cashier"]},
            "township_id": {"type": ["integer", "null"]}, "site_id": {"type": ["integer", "null"]},
            "active": {"type": "boolean"}}},
        "ChangePassword": {"type": "object", "required": ["current_password", "new_password"], "properties": {
            "current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 10}}},
        "DinerInput": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "resident_id": {"type": "string", "description": "18-character GB 11643 number"},
            "birth_date": {"type": "string", "format": "date"}, "village": {"type": "string"},
            "card_no": {"type": "string"}, "inactive_since": {"type": "string", "format": "date"},
            "categories": {"type": "array", "items": {"type": "object", "properties": {
                "category": {"type": "string"}, "from": {"type": "string", "format": "date"},
                "until": {"type": ["string", "null"], "format": "date"}}}}}},
        "PricePolicy": {"type": "object", "required": ["site_id", "effective_from", "standard"], "properties": {
            "site_id": {"type": "integer"}, "effective_from": {"type": "string", "format": "date"},
            "standard": {"type": "object", "description": "slot (breakfast, lunch, dinner) → Money"},
            "brackets": {"type": "array", "items": {"type": "object"}},
            "categories": {"type": "array", "items": {"type": "object"}},
            "funding": {"type": "array", "items": {"type": "object"}}}},
        "Sale": {"type": "object", "required": ["id", "site_id", "terminal_id", "cashier_id", "sold_at", "business_date", "slot", "lines", "payment"], "properties": {
            "id": {"type": "string", "format": "uuid"}, "site_id": {"type": "integer"},
            "terminal_id": {"type": "integer"}, "cashier_id": {"type": "integer"},
            "sold_at": {"type": "string", "format": "date-time"}, "business_date": {"type": "string", "format": "date"},
            "slot": {"type": "string", "enum": ["breakfast", "lunch", "dinner"]},
            "lines": {"type": "array", "items": {"type": "object", "description": "kind diner_meal {diner_id, standard, paid, subsidy, bracket, category}, walk_in_meal {price} or extra {name, unit_price, quantity}"}},
            "payment": {"type": "object", "description": "method cash {tendered, change} or qr {reference}"}}},
        "SalesBatch": {"type": "object", "required": ["sales"], "properties": {
            "sales": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/Sale"}}}},
        "VoidsBatch": {"type": "object", "required": ["voids"], "properties": {
            "voids": {"type": "array", "maxItems": 500, "items": {"type": "object", "properties": {
                "id": {"type": "string", "format": "uuid"}, "sale_id": {"type": "string", "format": "uuid"},
                "site_id": {"type": "integer"}, "terminal_id": {"type": "integer"}, "voided_by": {"type": "integer"},
                "voided_at": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}}}}}},
        "BatchResult": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["stored", "duplicate", "conflict", "rejected"]},
                "message": {"type": "string"}}}}}},
        "Object": {"type": "object"},
        "Empty": {"type": "object"},
        "File": {"type": "string", "format": "binary"}
    })
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, tag, who, summary, request, response) in ENDPOINTS {
        let mut op = json!({
            "tags": [tag],
            "summary": summary,
            "description": format!("Who may call it: {who}."),
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{response}")}}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if !matches!(
            *who,
            "anyone" | "anyone (rate limited per username and address)"
        ) {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(req) = request {
            let media = if *req == "File" {
                "application/octet-stream"
            } else {
                "application/json"
            };
            op["requestBody"] = json!({"required": true, "content": {media: {"schema": {"$ref": format!("#/components/schemas/{req}")}}}});
        }
        if path.contains("{id}") {
            op["parameters"] = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Happiness Canteen backend",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Money is a string of yuan with two decimals. Errors are {\"code\", \"message\"}. People send 'Authorization: Bearer hcs_…' from /api/auth/login; terminals send their own 'Bearer hct_…' token."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas()
        },
        "paths": paths
    })
}

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>幸福食堂 API</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
td{padding:.3rem .6rem;vertical-align:top;border-bottom:1px solid #ddd}
code{font-weight:bold}.m{text-transform:uppercase;color:#06c}</style></head>
<body><h1>幸福食堂 Happiness Canteen — API</h1>
<p>The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<table id="t"><tr><th>Method</th><th>Path</th><th>What</th><th>Who</th></tr></table>
<script>
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  const t = document.getElementById('t');
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tr = document.createElement('tr');
      for (const [text, cls] of [[method, 'm'], [path, ''], [op.summary, ''], [op.description, '']]) {
        const td = document.createElement('td');
        if (cls) td.className = cls;
        td.textContent = text;
        tr.appendChild(td);
      }
      t.appendChild(tr);
    }
  }
});
</script></body></html>"#;

#[cfg(test)]
mod tests {
    #[test]
    fn every_endpoint_is_documented_once() {
        let doc = super::openapi();
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_object().unwrap().len())
            .sum();
        assert_eq!(n, super::ENDPOINTS.len());
    }
}
