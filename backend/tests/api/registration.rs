//! The registration date (`active_from`): from the roster import (the
//! import date when the ledger gives none), on create and update, in the
//! office view and the terminal's roster; a meal before it is priced at
//! the standard price by the backend and flagged in the month's claim.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::finance::{add_diner, lunch, noon, post_sales};
use crate::helpers::{TestApp, d, resident_id, today, world};
use crate::on_both;

async fn import_csv(app: &TestApp, token: &str, township: i64, csv: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/townships/{township}/diners/import")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// The office view of the diner with this name.
async fn by_name(app: &TestApp, token: &str, township: i64, name: &str) -> Value {
    let all = app
        .get_ok(token, &format!("/api/townships/{township}/diners"))
        .await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} not on the roster: {all}"))
        .clone()
}

async fn import_with_and_without_the_column(app: TestApp) {
    let w = world(&app).await;
    let t = w.township_a;

    // No registration column: the import date.
    let csv = format!(
        "姓名,身份证号,村\n周玉兰,{},大寨村\n",
        resident_id(d(1950, 4, 1), 201)
    );
    let (status, body) = import_csv(&app, &w.admin, t, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = by_name(&app, &w.admin, t, "周玉兰").await;
    assert_eq!(v["active_from"], json!(today().to_string()), "{v}");

    // The Chinese header, in two spellings of a date, and a blank cell.
    let csv = format!(
        "姓名,身份证号,登记日期\n钱德顺,{},2026-03-10\n孙桂芳,{},2025/12/01\n李有福,{},\n",
        resident_id(d(1948, 6, 2), 202),
        resident_id(d(1949, 7, 3), 203),
        resident_id(d(1951, 8, 4), 204),
    );
    let (status, body) = import_csv(&app, &w.admin, t, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], json!(3));
    let v = by_name(&app, &w.admin, t, "钱德顺").await;
    assert_eq!(v["active_from"], json!("2026-03-10"));
    assert!(
        v.get("birth_date").is_none(),
        "no full birth date in the office view"
    );
    let v = by_name(&app, &w.admin, t, "孙桂芳").await;
    assert_eq!(v["active_from"], json!("2025-12-01"));
    let v = by_name(&app, &w.admin, t, "李有福").await;
    assert_eq!(v["active_from"], json!(today().to_string()));

    // The other Chinese header and the English one.
    let csv = format!(
        "姓名,身份证号,入册日期\n吴正芬,{},2026-01-05\n",
        resident_id(d(1947, 1, 5), 205)
    );
    let (status, body) = import_csv(&app, &w.admin, t, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = by_name(&app, &w.admin, t, "吴正芬").await;
    assert_eq!(v["active_from"], json!("2026-01-05"));
    let csv = format!(
        "name,resident_id,active_from\nZheng Hua,{},2026-02-01\n",
        resident_id(d(1946, 2, 6), 206)
    );
    let (status, body) = import_csv(&app, &w.admin, t, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = by_name(&app, &w.admin, t, "Zheng Hua").await;
    assert_eq!(v["active_from"], json!("2026-02-01"));

    // A bad date: that row refused with its number, nothing imported.
    let before = app
        .get_ok(&w.admin, &format!("/api/townships/{t}/diners"))
        .await
        .as_array()
        .unwrap()
        .len();
    let csv = format!(
        "姓名,身份证号,登记日期\n冯一,{},2026-03-01\n冯二,{},2026-02-30\n冯三,{},1989-01-01\n",
        resident_id(d(1950, 1, 1), 207),
        resident_id(d(1950, 1, 2), 208),
        resident_id(d(1950, 1, 3), 209),
    );
    let (status, body) = import_csv(&app, &w.admin, t, &csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], json!("import_rejected"));
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{body}");
    assert_eq!(rejected[0]["row"], json!(3));
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("registration date") && reason.contains("2026-02-30"),
        "{reason}"
    );
    assert_eq!(rejected[1]["row"], json!(4));
    assert!(
        rejected[1]["reason"].as_str().unwrap().contains("1989"),
        "{body}"
    );
    let after = app
        .get_ok(&w.admin, &format!("/api/townships/{t}/diners"))
        .await
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "nothing imported");
}
on_both!(
    the_import_sets_the_registration_date,
    super::import_with_and_without_the_column
);

/// Registered from 10 March: the lunch of the 9th is priced at standard by
/// the backend and flagged as not eligible; the lunch of the 10th is claimed.
async fn meal_before_registration(app: TestApp) {
    let w = world(&app).await;
    let p = add_diner(
        &app,
        &w,
        "蒋福寿",
        d(1950, 1, 10),
        json!({"active_from": "2026-03-10"}),
    )
    .await;
    let view = app.get_ok(&w.admin, &format!("/api/diners/{p}")).await;
    assert_eq!(view["active_from"], json!("2026-03-10"));

    // The terminal's roster carries the date, so it prices the same way.
    let roster = app.get_ok(&w.terminal_token, "/api/terminal/roster").await;
    let on_terminal = roster["diners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(p))
        .cloned()
        .unwrap();
    assert_eq!(on_terminal["active_from"], json!("2026-03-10"));

    let (d9, d10) = (d(2026, 3, 9), d(2026, 3, 10));
    let before = lunch(&w, w.terminal_id, p, d9, 600, Some("70-79"), noon(d9));
    let on_the_day = lunch(&w, w.terminal_id, p, d10, 600, Some("70-79"), noon(d10));
    post_sales(
        &app,
        &w.terminal_token,
        &[before.clone(), on_the_day.clone()],
    )
    .await;

    let detail = app
        .get_ok(&w.finance, &format!("/api/sales/{}", before.id))
        .await;
    let line = &detail["lines"][0];
    assert_eq!(line["verdict"], json!("differs"), "{detail}");
    assert_eq!(line["expected_paid"], json!("12.00"));
    assert_eq!(line["expected_reason"]["kind"], json!("not_yet_registered"));
    assert_eq!(line["expected_reason"]["active_from"], json!("2026-03-10"));
    let detail = app
        .get_ok(&w.finance, &format!("/api/sales/{}", on_the_day.id))
        .await;
    assert_eq!(detail["lines"][0]["verdict"], json!("agrees"), "{detail}");

    let c = app
        .get_ok(
            &w.finance,
            &format!("/api/sites/{}/claims/2026-03", w.site_a),
        )
        .await;
    let t = &c["totals"]["total"];
    assert_eq!(
        (t["meals"].as_i64(), t["subsidy"].as_str()),
        (Some(1), Some("6.00")),
        "{c}"
    );
    let flags = c["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{c}");
    assert_eq!(flags[0]["kind"], json!("not_eligible"));
    assert_eq!(flags[0]["sale_id"], json!(before.id));
    assert_eq!(flags[0]["business_date"], json!("2026-03-09"));
    assert!(
        flags[0]["reason"].as_str().unwrap().contains("2026-03-10"),
        "{}",
        flags[0]
    );
}
on_both!(
    a_meal_before_registration_is_not_eligible,
    super::meal_before_registration
);

/// Create without a date: today; an update without it keeps the stored
/// date, with it changes it; a bad date is a 4xx with a code.
async fn create_and_update(app: TestApp) {
    let w = world(&app).await;
    let id_number = resident_id(d(1945, 5, 5), 301);
    let view = app
        .post_ok(
            &w.admin,
            &format!("/api/townships/{}/diners", w.township_a),
            &json!({"name": "段美仙", "resident_id": id_number}),
        )
        .await;
    assert_eq!(view["active_from"], json!(today().to_string()));
    let p = view["id"].as_i64().unwrap();

    let body = |extra: Value| {
        let mut b = json!({"name": "段美仙", "resident_id": id_number, "village": "新村"});
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        b
    };
    let path = format!("/api/diners/{p}");
    let res = app
        .put(&w.admin, &path, &body(json!({"active_from": "2026-02-01"})))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["active_from"], json!("2026-02-01"));
    let res = app.put(&w.admin, &path, &body(json!({}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["active_from"], json!("2026-02-01"), "kept when left out");
    assert_eq!(v["village"], json!("新村"));

    for bad in [json!("2026-13-01"), json!("10 March"), json!(20260301)] {
        let res = app
            .put(&w.admin, &path, &body(json!({"active_from": bad})))
            .await;
        let status = res.status();
        let e: Value = res.json().await.unwrap();
        assert!(status.is_client_error(), "{bad}: {status} {e}");
        assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
    }
    let res = app
        .post(
            &w.admin,
            &format!("/api/townships/{}/diners", w.township_a),
            &json!({"name": "杞开明", "active_from": "1990-01-01"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = res.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("1990"), "{e}");
    let v = app.get_ok(&w.admin, &path).await;
    assert_eq!(
        v["active_from"],
        json!("2026-02-01"),
        "bad updates change nothing"
    );
}

/// The API document describes the field on the input, the office view and
/// the terminal's diner.
async fn documented(app: TestApp) {
    let doc = app.get_ok("", "/api/openapi.json").await;
    for schema in ["DinerInput", "DinerView", "TerminalDiner"] {
        let field = &doc["components"]["schemas"][schema]["properties"]["active_from"];
        assert!(
            field.to_string().contains("\"date\""),
            "{schema}.active_from: {field}"
        );
    }
}
on_both!(the_registration_date_is_documented, super::documented);

on_both!(
    the_registration_date_on_create_and_update,
    super::create_and_update
);
