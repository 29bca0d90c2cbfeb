//! The API as described: the OpenAPI document walked against the router
//! (every documented operation is routed, no other method is), errors from
//! axum's own extractors in the JSON shape, and the one wire format (money
//! as "12.50", times RFC 3339 with an offset, dates YYYY-MM-DD) on the
//! sales list and sale detail.

use std::collections::BTreeSet;

use chrono::DateTime;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, batch, spawn_app, world};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Areas merged before their handlers were described (the finance work):
/// their routes are served but missing from the document until each
/// handler gets its `#[utoipa::path]` and `.routes(routes!(..))`.
const NOT_YET_DESCRIBED: &[&str] = &[];

/// A concrete path for a documented one: each `{param}` given a value of
/// its declared type.
fn concrete(path: &str, op: &Value) -> String {
    let mut out = path.to_string();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != json!("path") {
            continue;
        }
        let name = p["name"].as_str().unwrap();
        let value = if p["schema"]["format"] == json!("uuid") {
            "0190f3a8-7b1c-7d2e-8f3a-4b5c6d7e8f90"
        } else {
            "1"
        };
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(!out.contains('{'), "undeclared path parameter in {path}");
    out
}

fn is_fallback(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::NOT_FOUND && body["message"] == json!("no such endpoint")
}

#[tokio::test]
async fn document_and_router_have_the_same_operations() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get_ok("", "/api/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    // The defect that started this: the terminal update was not documented.
    assert!(paths["/api/terminals/{id}"]["patch"].is_object());

    for (path, item) in paths {
        let documented: BTreeSet<&str> = METHODS
            .into_iter()
            .filter(|m| item.get(*m).is_some())
            .collect();
        assert!(!documented.is_empty(), "{path} has no operation");
        let sample = item[*documented.first().unwrap()].clone();
        let url = app.url(&concrete(path, &sample));
        for method in METHODS {
            let res = app
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                )
                .send()
                .await
                .unwrap();
            let status = res.status();
            let allow = res
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_lowercase());
            let body: Value = if path == "/api" && status == StatusCode::OK {
                Value::Null
            } else {
                res.json().await.unwrap_or(Value::Null)
            };
            if documented.contains(method) {
                assert!(
                    status != StatusCode::METHOD_NOT_ALLOWED && !is_fallback(status, &body),
                    "{method} {path} is documented but not routed: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is routed but not documented"
                );
                assert_eq!(body["code"], json!("method_not_allowed"));
                let allow = allow.expect("a 405 names the allowed methods");
                for m in &documented {
                    assert!(allow.contains(m), "{path}: Allow {allow} lacks {m}");
                }
            }
        }
    }

    // Every "/api..." path the HTTP code names is a documented path, so no
    // route can be added beside the document.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().path();
        let name = file.file_name().unwrap().to_str().unwrap();
        if NOT_YET_DESCRIBED.contains(&name) {
            // Listed files must still need it, so the list cannot go stale.
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.contains(".route("),
                "{name}: take it off NOT_YET_DESCRIBED"
            );
            continue;
        }
        let text: String = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in text.match_indices("path = \"/api") {
            let rest = &text[i + "path = \"".len()..];
            let named = &rest[..rest.find('"').unwrap()];
            assert!(paths.contains_key(named), "{named} in {file:?}");
        }
        assert!(
            !text.contains(".route(\""),
            "{file:?} adds a route outside the document: use .routes(routes!(..))"
        );
    }
}

#[tokio::test]
async fn every_operation_documents_its_errors() {
    let doc = serde_json::to_value(backend::http::openapi_document()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ErrorBody"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
            for status in ["408", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            if op.get("security").is_some() {
                for status in ["401", "403"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("413"), "{method} {path} lacks 413");
            }
            let has_params = op["parameters"].as_array().is_some_and(|p| !p.is_empty());
            if has_params || op.get("requestBody").is_some() {
                assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            }
        }
    }
    // Every schema named is defined.
    let text = doc.to_string();
    for (i, _) in text.match_indices("#/components/schemas/") {
        let rest = &text[i + "#/components/schemas/".len()..];
        let name = &rest[..rest.find('"').unwrap()];
        assert!(
            schemas.contains_key(name),
            "{name} is named but not defined"
        );
    }
}

#[tokio::test]
async fn the_page_lists_operations_without_javascript() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let res = app.client.get(app.url("/api")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script"));
    assert!(page.contains("/api/terminals/{id}"));
    assert!(page.contains("/api/terminal/sales"));
    assert!(page.contains("/api/openapi.json"));
}

async fn expect_error(app: &TestApp, res: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(res.status(), status);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], json!(code), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        body["message_zh"]
            .as_str()
            .is_some_and(|m| m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "{body}"
    );
    let _ = app;
}

#[tokio::test]
async fn extractor_rejections_answer_json() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let t = &app.admin_token;
    let res = app.get(t, "/api/sites/abc").await;
    expect_error(&app, res, StatusCode::BAD_REQUEST, "bad_path").await;
    let res = app.get(t, "/api/sales/not-a-uuid").await;
    expect_error(&app, res, StatusCode::BAD_REQUEST, "bad_path").await;
    let res = app
        .get(t, "/api/sites/1/sales?from=yesterday&to=2026-01-01")
        .await;
    expect_error(&app, res, StatusCode::BAD_REQUEST, "bad_query").await;
    let res = app.get(t, "/api/audit?limit=0").await;
    expect_error(&app, res, StatusCode::BAD_REQUEST, "bad_query").await;
    let res = app
        .client
        .post(app.url("/api/townships"))
        .bearer_auth(t)
        .header("content-type", "text/plain")
        .body("{\"name\": \"x\"}")
        .send()
        .await
        .unwrap();
    expect_error(
        &app,
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let res = app
        .client
        .post(app.url("/api/townships"))
        .bearer_auth(t)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_error(&app, res, StatusCode::BAD_REQUEST, "malformed_json").await;
}

#[tokio::test]
async fn a_whole_float_is_an_integer_as_json_schema_says() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let t = &app.admin_token;
    let township = app
        .post_ok(t, "/api/townships", &json!({"name": "大寨镇"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let site = app
        .post_ok(
            t,
            "/api/sites",
            &json!({"township_id": township as f64, "name": "食堂", "kind": "canteen", "utc_offset_minutes": 480.0}),
        )
        .await;
    assert_eq!(site["utc_offset_minutes"], json!(480));
    assert_eq!(site["township_id"], json!(township));
    // A fraction is still refused.
    let res = app
        .post(
            t,
            "/api/sites",
            &json!({"township_id": township, "name": "食堂二", "kind": "canteen", "utc_offset_minutes": 480.5}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_administrator_cannot_lock_themselves_out() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let t = &app.admin_token;
    let me = app.get_ok(t, "/api/me").await;
    let id = me["id"].as_i64().unwrap();
    for body in [json!({"active": false}), json!({"reset_password": true})] {
        let res = app
            .client
            .patch(app.url(&format!("/api/users/{id}")))
            .bearer_auth(t)
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(&app, res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    }
    // The session still works.
    app.get_ok(t, "/api/me").await;
}

fn is_money(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let (whole, fen) = s
            .trim_start_matches('-')
            .split_once('.')
            .unwrap_or(("", ""));
        !whole.is_empty()
            && whole.chars().all(|c| c.is_ascii_digit())
            && fen.len() == 2
            && fen.chars().all(|c| c.is_ascii_digit())
    })
}

/// RFC 3339 with an explicit offset (not a bare local time, not epoch ms).
fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| DateTime::parse_from_rfc3339(s).is_ok())
}

fn is_date(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
}

/// No key anywhere names fen or milliseconds, and no number is money.
fn no_legacy_fields(v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !k.ends_with("_fen") && !k.ends_with("_ms"),
                    "legacy field {k}"
                );
                no_legacy_fields(v);
            }
        }
        Value::Array(items) => items.iter().for_each(no_legacy_fields),
        _ => {}
    }
}

crate::on_both!(sales_speak_the_wire_format, super::sales_wire_format);

async fn sales_wire_format(app: TestApp) {
    let w = world(&app).await;
    let lunch = w.lunch(w.diner_76);
    let walk_in = w.walk_in();
    app.post_ok(
        &w.terminal_token,
        "/api/terminal/sales",
        &batch(&[lunch.clone(), walk_in.clone()]),
    )
    .await;
    let today = lunch.business_date;
    let list = app
        .get_ok(
            &w.finance,
            &format!("/api/sites/{}/sales?from={today}&to={today}", w.site_a),
        )
        .await;
    no_legacy_fields(&list);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let summary = list
        .iter()
        .find(|s| s["id"] == json!(lunch.id.to_string()))
        .unwrap();
    assert_eq!(summary["total_paid"], json!("6.00"));
    assert_eq!(summary["subsidy"], json!("6.00"));
    assert_eq!(summary["business_date"], json!(today.to_string()));
    assert_eq!(summary["slot"], json!("lunch"));
    assert_eq!(summary["payment_method"], json!("cash"));
    assert_eq!(summary["voided"], json!(false));
    for s in list {
        assert!(is_money(&s["total_paid"]) && is_money(&s["subsidy"]), "{s}");
        assert!(
            is_rfc3339(&s["sold_at"]) && is_rfc3339(&s["received_at"]),
            "{s}"
        );
        assert!(is_date(&s["business_date"]), "{s}");
    }
    // Times are in the site's own offset (UTC+8 here) and mean the same moment.
    let sold_at = summary["sold_at"].as_str().unwrap();
    assert!(sold_at.ends_with("+08:00"), "{sold_at}");
    assert_eq!(
        DateTime::parse_from_rfc3339(sold_at)
            .unwrap()
            .timestamp_millis(),
        lunch.sold_at.timestamp_millis()
    );

    let detail = app
        .get_ok(&w.finance, &format!("/api/sales/{}", lunch.id))
        .await;
    no_legacy_fields(&detail);
    assert!(is_rfc3339(&detail["received_at"]));
    assert!(detail["received_at"].as_str().unwrap().ends_with("+08:00"));
    assert!(detail["void_id"].is_null());
    assert_eq!(detail["sale"]["id"], json!(lunch.id.to_string()));
    assert!(is_rfc3339(&detail["sale"]["sold_at"]));
    assert!(is_date(&detail["sale"]["business_date"]));
    let line = &detail["lines"][0];
    assert_eq!(line["kind"], json!("diner_meal"));
    assert_eq!(line["amount"], json!("6.00"));
    assert_eq!(line["subsidy"], json!("6.00"));
    assert_eq!(line["standard"], json!("12.00"));
    assert_eq!(line["expected_paid"], json!("6.00"));
    assert_eq!(line["expected_subsidy"], json!("6.00"));
    assert_eq!(line["expected_standard"], json!("12.00"));
    assert_eq!(line["expected_reason"]["kind"], json!("bracket"));
    assert_eq!(line["verdict"], json!("agrees"));
    let walk = app
        .get_ok(&w.finance, &format!("/api/sales/{}", walk_in.id))
        .await;
    let line = &walk["lines"][0];
    assert_eq!(line["kind"], json!("walk_in_meal"));
    assert_eq!(line["amount"], json!("12.00"));
    assert_eq!(line["subsidy"], json!("0.00"));
    assert!(line["expected_paid"].is_null() || is_money(&line["expected_paid"]));

    // A range the wrong way round is refused with a reason.
    let res = app
        .get(
            &w.finance,
            &format!(
                "/api/sites/{}/sales?from={today}&to={}",
                w.site_a,
                today - chrono::Duration::days(1)
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_taken_id_number_is_a_documented_conflict() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let t = &app.admin_token;
    let township = app
        .post_ok(t, "/api/townships", &json!({"name": "大寨镇"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let id = crate::helpers::resident_id(crate::helpers::d(1946, 12, 14), 2);
    let diner = json!({"name": "王秀英", "resident_id": id});
    app.post_ok(t, &format!("/api/townships/{township}/diners"), &diner)
        .await;
    let res = app
        .post(t, &format!("/api/townships/{township}/diners"), &diner)
        .await;
    expect_error(&app, res, StatusCode::CONFLICT, "duplicate").await;
    let doc = app.get_ok("", "/api/openapi.json").await;
    for (path, method) in [
        ("/api/townships/{id}/diners", "post"),
        ("/api/diners/{id}", "put"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"]["409"].is_object(),
            "{method} {path} does not document 409"
        );
    }
}
