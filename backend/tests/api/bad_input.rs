//! Bad input of every kind gets a 4xx with a clear JSON message, stores
//! nothing, and never panics the server.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, d, resident_id, world};

crate::on_both!(bad_input_table, super::bad_input_table);

struct Case {
    what: &'static str,
    path: String,
    body: Body,
    status: StatusCode,
    /// Text the message must contain.
    says: &'static str,
}

enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// 17 digits and their check character.
fn with_check(first17: &str) -> String {
    let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!(
        "{first17}{}",
        canteen_core::resident_id::check_character(&bytes)
    )
}

async fn bad_input_table(app: TestApp) {
    let w = world(&app).await;
    let sale = serde_json::to_value(w.lunch(w.diner_76)).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut s = sale.clone();
        f(&mut s);
        Body::Json(json!({ "sales": [s] }))
    };
    let sales = "/api/terminal/sales".to_string();
    let diners = format!("/api/townships/{}/diners", w.township_a);
    let mut bad_id = resident_id(d(1950, 1, 1), 10);
    let last = bad_id.pop().unwrap_or('0');
    bad_id.push(if last == '1' { '2' } else { '1' });
    let future = (crate::helpers::today() + chrono::Duration::days(2)).to_string();
    let cases = vec![
        Case {
            what: "malformed JSON",
            path: sales.clone(),
            body: Body::Raw("application/json", b"{\"sales\": [".to_vec()),
            status: StatusCode::BAD_REQUEST,
            says: "",
        },
        Case {
            what: "not JSON at all",
            path: sales.clone(),
            body: Body::Raw("application/json", b"hello".to_vec()),
            status: StatusCode::BAD_REQUEST,
            says: "",
        },
        Case {
            what: "no content type",
            path: sales.clone(),
            body: Body::Raw("text/plain", b"{}".to_vec()),
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            says: "Content-Type",
        },
        Case {
            what: "wrong type for an id",
            path: sales.clone(),
            body: edit(&|s| s["site_id"] = json!("one")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "site_id",
        },
        Case {
            what: "money as a JSON number",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!(6.0)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "",
        },
        Case {
            what: "fractional fen",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("5.995")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "fen",
        },
        Case {
            what: "money that is not a number",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("six")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not an amount",
        },
        Case {
            what: "negative money",
            path: sales.clone(),
            body: edit(&|s| {
                s["lines"][0]["paid"] = json!("-6.00");
                s["lines"][0]["subsidy"] = json!("18.00");
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "negative",
        },
        Case {
            what: "paid + subsidy ≠ standard",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("5.00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "does not equal",
        },
        Case {
            what: "unknown diner",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["diner_id"] = json!(999_999)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not on this township's roster",
        },
        Case {
            what: "business date beyond tomorrow",
            path: sales.clone(),
            body: edit(&|s| s["business_date"] = json!(future)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "more than a day",
        },
        Case {
            what: "impossible date",
            path: sales.clone(),
            body: edit(&|s| s["business_date"] = json!("2026-02-30")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "",
        },
        Case {
            what: "bad sale id",
            path: sales.clone(),
            body: edit(&|s| s["id"] = json!("not-a-uuid")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "",
        },
        Case {
            what: "unknown slot",
            path: sales.clone(),
            body: edit(&|s| s["slot"] = json!("supper")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "",
        },
        Case {
            what: "no lines",
            path: sales.clone(),
            body: edit(&|s| s["lines"] = json!([])),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "at least one line",
        },
        Case {
            what: "wrong change",
            path: sales.clone(),
            body: edit(&|s| s["payment"]["change"] = json!("5.00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "change",
        },
        Case {
            what: "unknown field",
            path: sales.clone(),
            body: Body::Json(json!({"sales": [], "extra": 1})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "extra",
        },
        Case {
            what: "empty batch",
            path: sales.clone(),
            body: Body::Json(json!({"sales": []})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "empty",
        },
        Case {
            what: "10 MB body",
            path: sales.clone(),
            body: Body::Raw("application/json", vec![b' '; 10 * 1024 * 1024]),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            says: "too large",
        },
        Case {
            what: "money with a currency sign",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("¥6.00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not an amount of money",
        },
        Case {
            what: "money with 元",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("6.00元")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not an amount of money",
        },
        Case {
            what: "money with a bare point",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["paid"] = json!("6.")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not an amount of money",
        },
        Case {
            what: "ID number from region 000000",
            path: diners.clone(),
            body: Body::Json(
                json!({"name": "王五", "resident_id": with_check("00000019500101001")}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "ID number",
        },
        Case {
            what: "ID number born in 1800",
            path: diners.clone(),
            body: Body::Json(
                json!({"name": "王五", "resident_id": with_check("53092218000101001")}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "1900",
        },
        Case {
            what: "birth date in 1800",
            path: diners.clone(),
            body: Body::Json(json!({"name": "王五", "birth_date": "1800-01-01"})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "1900",
        },
        Case {
            what: "nil sale id",
            path: sales.clone(),
            body: edit(&|s| s["id"] = json!("00000000-0000-0000-0000-000000000000")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "nil UUID",
        },
        Case {
            what: "50 lines of 100,000 yuan",
            path: sales.clone(),
            body: edit(&|s| {
                let line = json!({"kind": "extra", "name": "宴席", "unit_price": "100000.00", "quantity": 1});
                s["lines"] = json!(vec![line; 50]);
                s["payment"] = json!({"method": "qr"});
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "total",
        },
        Case {
            what: "sold in the year 1",
            path: sales.clone(),
            body: edit(&|s| s["sold_at"] = json!("0001-01-01T00:00:00Z")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "business date",
        },
        Case {
            what: "sold in the year 9999",
            path: sales.clone(),
            body: edit(&|s| s["sold_at"] = json!("9999-12-31T23:59:59Z")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "business date",
        },
        Case {
            what: "unknown field inside a sale",
            path: sales.clone(),
            body: edit(&|s| s["discount"] = json!("1.00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "discount",
        },
        Case {
            what: "unknown field inside a line",
            path: sales.clone(),
            body: edit(&|s| s["lines"][0]["colour"] = json!("red")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "colour",
        },
        Case {
            what: "unknown field inside the payment",
            path: sales.clone(),
            body: edit(&|s| s["payment"]["tip"] = json!("1.00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "tip",
        },
        Case {
            what: "a control character in an item name",
            path: sales.clone(),
            body: edit(&|s| {
                s["lines"] = json!([{"kind": "extra", "name": "豆\u{0}浆", "unit_price": "1.50", "quantity": 1}]);
                s["payment"] = json!({"method": "qr"});
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "control character",
        },
        Case {
            what: "a control character in a diner's name",
            path: diners.clone(),
            body: Body::Json(json!({"name": "王\u{0}五"})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "control character",
        },
        Case {
            what: "an admin without a township, made by a township admin",
            path: "/api/users".to_string(),
            body: Body::Json(
                json!({"username": "new_admin", "display_name": "x", "role": "admin", "password": "a-long-test-password"}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "an admin belongs to a township",
        },
        Case {
            what: "invalid ID number",
            path: diners.clone(),
            body: Body::Json(json!({"name": "王五", "resident_id": bad_id})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "ID number",
        },
        Case {
            what: "ID number with an impossible birth date",
            path: diners.clone(),
            body: Body::Json(json!({"name": "王五", "resident_id": "530922195002300011"})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "not a real date",
        },
        Case {
            what: "diner without a name",
            path: diners.clone(),
            body: Body::Json(json!({"name": "  "})),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "name",
        },
        Case {
            what: "policy with a price above standard",
            path: format!("/api/sites/{}/policies", w.site_a),
            body: Body::Json({
                let mut p = crate::helpers::policy(w.site_a);
                p["brackets"][0]["prices"]["lunch"] = json!("13.00");
                p
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "above the standard price",
        },
    ];
    let (sales_before, _) = app.sales_count().await;
    let roster_before = app
        .get_ok(&w.admin, &diners)
        .await
        .as_array()
        .unwrap()
        .len();
    for case in cases {
        let token = if case.path.starts_with("/api/terminal") {
            &w.terminal_token
        } else {
            &w.admin
        };
        let req = app.client.post(app.url(&case.path)).bearer_auth(token);
        let req = match case.body {
            Body::Json(v) => req.json(&v),
            Body::Raw(ct, bytes) => req.header("content-type", ct).body(bytes),
        };
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.what));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert_eq!(status, case.status, "{}: {text}", case.what);
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{}: not JSON: {text}", case.what));
        assert!(v["code"].is_string(), "{}: {text}", case.what);
        // Every refusal is said in Chinese too.
        assert!(
            v["message_zh"]
                .as_str()
                .is_some_and(|m| m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
            "{}: a Chinese message: {text}",
            case.what
        );
        let message = v["message"].as_str().unwrap_or_default().to_string()
            + &v["results"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|x| x["message"].as_str().unwrap_or_default().to_string())
                        .collect::<String>()
                })
                .unwrap_or_default();
        assert!(!message.is_empty(), "{}: a message", case.what);
        assert!(
            !message.contains("Failed to") && !message.contains(" a admin"),
            "{}: '{message}' should read well",
            case.what
        );
        assert!(
            message.contains(case.says),
            "{}: '{message}' should say '{}'",
            case.what,
            case.says
        );
    }
    assert_eq!(app.sales_count().await.0, sales_before, "nothing stored");
    assert_eq!(
        app.get_ok(&w.admin, &diners)
            .await
            .as_array()
            .unwrap()
            .len(),
        roster_before
    );
    // Still serving.
    app.get_ok(&w.admin, "/api/me").await;
}
