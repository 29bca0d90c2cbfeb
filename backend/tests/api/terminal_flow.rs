//! The whole terminal flow: setup, roster and policies, sales, re-posts,
//! the backend's verdict, a void, a shift with its cash.

use canteen_core::{Money, SiteId, TerminalId, UserId, Void, VoidId};
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, batch, world};

crate::on_both!(whole_flow, super::whole_flow);

async fn whole_flow(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;

    let setup = app.get_ok(t, "/api/terminal/setup").await;
    assert_eq!(setup["site"]["id"], json!(w.site_a));
    assert_eq!(setup["cashiers"].as_array().unwrap().len(), 1);
    assert_eq!(setup["cashiers"][0]["id"], json!(w.cashier_id));

    let roster = app.get_ok(t, "/api/terminal/roster").await;
    assert_eq!(roster["full"], json!(true));
    let ids: Vec<i64> = roster["diners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![w.diner_76, w.diner_old],
        "only township A's diners"
    );
    let version = roster["version"].as_i64().unwrap();
    let again = app
        .get_ok(t, &format!("/api/terminal/roster?since={version}"))
        .await;
    assert_eq!(again["diners"], json!([]));

    let policies = app.get_ok(t, "/api/terminal/policies").await;
    assert_eq!(policies["policies"].as_array().unwrap().len(), 1);
    assert_eq!(policies["policies"][0]["standard"]["lunch"], json!("12.00"));
    let policy_version = policies["version"].as_i64().unwrap();
    let none = app
        .get_ok(t, &format!("/api/terminal/policies?since={policy_version}"))
        .await;
    assert_eq!(none["policies"], json!([]));
    let mut next = crate::helpers::policy(w.site_a);
    next["effective_from"] =
        json!((crate::helpers::today() + chrono::Duration::days(30)).to_string());
    next["standard"]["lunch"] = json!("13.00");
    next["categories"][0]["prices"]["lunch"] = json!("2.00");
    app.post_ok(
        &w.admin,
        &format!("/api/sites/{}/policies", w.site_a),
        &next,
    )
    .await;
    let changed = app
        .get_ok(t, &format!("/api/terminal/policies?since={policy_version}"))
        .await;
    assert_eq!(changed["policies"].as_array().unwrap().len(), 1);
    assert_eq!(changed["policies"][0]["standard"]["lunch"], json!("13.00"));

    // Two sales: a subsidised lunch paid in cash, a walk-in paid by QR.
    let lunch = w.lunch(w.diner_76);
    let walk_in = w.walk_in();
    let res = app
        .post(
            t,
            "/api/terminal/sales",
            &batch(&[lunch.clone(), walk_in.clone()]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], json!("stored"));
    assert_eq!(body["results"][1]["status"], json!("stored"));
    assert_eq!(app.sales_count().await, (2, 600 + 1200));

    // The same batch again: acknowledged, stored once.
    let body = app
        .post_ok(
            t,
            "/api/terminal/sales",
            &batch(&[lunch.clone(), walk_in.clone()]),
        )
        .await;
    assert_eq!(body["results"][0]["status"], json!("duplicate"));
    assert_eq!(body["results"][1]["status"], json!("duplicate"));
    assert_eq!(app.sales_count().await, (2, 1800));

    // The backend's verdict agrees with the terminal's price.
    let detail = app
        .get_ok(&w.finance, &format!("/api/sales/{}", lunch.id))
        .await;
    assert_eq!(detail["lines"][0]["verdict"], json!("agrees"));
    assert_eq!(detail["lines"][0]["expected_paid"], json!("6.00"));
    assert_eq!(detail["lines"][0]["expected_bracket"], json!("70-79"));
    assert_eq!(detail["sale"]["lines"][0]["paid"], json!("6.00"));

    // A second subsidised lunch the same day (another offline terminal):
    // stored as sold, the backend's verdict is the standard price.
    let second = w.lunch(w.diner_76);
    app.post_ok(
        t,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&second)),
    )
    .await;
    let detail = app
        .get_ok(&w.admin, &format!("/api/sales/{}", second.id))
        .await;
    assert_eq!(detail["lines"][0]["verdict"], json!("differs"));
    assert_eq!(detail["lines"][0]["amount"], json!("6.00"));
    assert_eq!(detail["lines"][0]["expected_paid"], json!("12.00"));
    assert_eq!(
        detail["lines"][0]["expected_reason"]["kind"],
        json!("already_subsidised")
    );

    // A roster change shows up in the next download since the version.
    let mut diner = app
        .get_ok(&w.admin, &format!("/api/diners/{}", w.diner_old))
        .await;
    assert!(
        diner["resident_id_masked"]
            .as_str()
            .unwrap()
            .contains("**********")
    );
    diner["village"] = json!("小寨村");
    let update = json!({"name": diner["name"], "birth_date": "1930-03-01", "village": "小寨村"});
    let res = app
        .put(&w.admin, &format!("/api/diners/{}", w.diner_old), &update)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let changed = app
        .get_ok(t, &format!("/api/terminal/roster?since={version}"))
        .await;
    assert_eq!(changed["full"], json!(false));
    assert_eq!(changed["diners"].as_array().unwrap().len(), 1);
    assert_eq!(changed["diners"][0]["village"], json!("小寨村"));

    // A shift: open with 50.00, sell, void one cash sale, close.
    let shift_id = uuid::Uuid::new_v4();
    let opened_at = Utc::now() - chrono::Duration::minutes(5);
    let open = json!({"id": shift_id, "cashier_id": w.cashier_id, "opened_at": opened_at, "opening_float": "50.00"});
    let res = app.post(t, "/api/terminal/shifts", &open).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.post(t, "/api/terminal/shifts", &open).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "opening twice is acknowledged"
    );
    let void = Void {
        id: VoidId::new_random(),
        sale_id: second.id,
        site_id: SiteId(w.site_a),
        terminal_id: TerminalId(w.terminal_id),
        voided_by: UserId(w.cashier_id),
        voided_at: Utc::now(),
        reason: "卖重了".into(),
    };
    // The reason must say something, in at most 200 characters (the core's rule).
    for (reason, says) in [
        ("  ", "a void needs a reason"),
        (&*"错".repeat(201), "at most 200 characters"),
    ] {
        let mut bad = void.clone();
        bad.id = VoidId::new_random();
        bad.reason = reason.into();
        let res = app
            .post(t, "/api/terminal/voids", &json!({"voids": [bad]}))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["results"][0]["status"], json!("rejected"));
        let message = body["results"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "'{message}' should say '{says}'");
    }
    let body = app
        .post_ok(t, "/api/terminal/voids", &json!({"voids": [void.clone()]}))
        .await;
    assert_eq!(body["results"][0]["status"], json!("stored"));
    let body = app
        .post_ok(t, "/api/terminal/voids", &json!({"voids": [void.clone()]}))
        .await;
    assert_eq!(body["results"][0]["status"], json!("duplicate"));
    let mut other_void = void.clone();
    other_void.id = VoidId::new_random();
    let res = app
        .post(t, "/api/terminal/voids", &json!({"voids": [other_void]}))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a sale is voided once"
    );

    let close =
        json!({"closed_at": Utc::now() + chrono::Duration::seconds(1), "counted_cash": "55.00"});
    let closed = app
        .post_ok(t, &format!("/api/terminal/shifts/{shift_id}/close"), &close)
        .await;
    // 50.00 float + 6.00 cash lunch (the voided one does not count; the walk-in was QR).
    assert_eq!(closed["expected_cash"], json!("56.00"));
    assert_eq!(closed["difference"], json!(Money::from_fen(-100)));
    let res = app
        .post(t, &format!("/api/terminal/shifts/{shift_id}/close"), &close)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "closing twice with the same count is acknowledged"
    );

    let early =
        json!({"closed_at": opened_at - chrono::Duration::minutes(1), "counted_cash": "1.00"});
    let other_shift = uuid::Uuid::new_v4();
    app.post_ok(t, "/api/terminal/shifts", &json!({"id": other_shift, "cashier_id": w.cashier_id, "opened_at": opened_at, "opening_float": "0.00"})).await;
    let res = app
        .post(
            t,
            &format!("/api/terminal/shifts/{other_shift}/close"),
            &early,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "closing before opening"
    );

    // The office sees the sales, the void, and the audit log.
    let today = crate::helpers::today();
    let sales = app
        .get_ok(
            &w.finance,
            &format!("/api/sites/{}/sales?from={today}&to={today}", w.site_a),
        )
        .await;
    let sales = sales.as_array().unwrap();
    assert_eq!(sales.len(), 3);
    assert_eq!(
        sales.iter().filter(|s| s["voided"] == json!(true)).count(),
        1
    );
    let audit = app.get_ok(&w.admin, "/api/audit").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for expected in [
        "sale.void",
        "diner.update",
        "diner.create",
        "policy.create",
        "user.create",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let update = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == json!("diner.update"))
        .unwrap();
    assert!(update["before"].as_str().unwrap().contains("大寨村"));
    assert!(update["after"].as_str().unwrap().contains("小寨村"));
    assert!(
        !update["before"].as_str().unwrap().contains("19300301"),
        "ID numbers are masked in the log"
    );

    // A new token replaces the old one; a retired terminal is shut out.
    let rotated = app
        .client
        .patch(app.url(&format!("/api/terminals/{}", w.terminal_id)))
        .bearer_auth(&w.admin)
        .json(&json!({"new_token": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    let new_token = rotated["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(t, "/api/terminal/setup").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.get_ok(&new_token, "/api/terminal/setup").await;
    let res = app
        .client
        .patch(app.url(&format!("/api/terminals/{}", w.terminal_id)))
        .bearer_auth(&w.admin_b)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another township's admin cannot retire it"
    );
    let res = app
        .client
        .patch(app.url(&format!("/api/terminals/{}", w.terminal_id)))
        .bearer_auth(&w.admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get(&new_token, "/api/terminal/setup").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
