//! Which of a diner's meals of a slot and day is the subsidised one: the
//! first sold (canteen-core's rule, the claim's), not the first received.

use canteen_core::first_meal::{MealOrder, first_sold};
use chrono::{NaiveTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, batch, today, world};

crate::on_both!(
    first_sold_not_first_received,
    super::first_sold_not_first_received
);

/// Today at `h:m` in Asia/Shanghai.
fn local(h: u32, m: u32) -> chrono::DateTime<Utc> {
    let t = today().and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap());
    Utc.from_utc_datetime(&(t - chrono::Duration::hours(8)))
}

async fn line(app: &TestApp, token: &str, id: impl std::fmt::Display) -> Value {
    let detail = app.get_ok(token, &format!("/api/sales/{id}")).await;
    detail["lines"][0].clone()
}

async fn first_sold_not_first_received(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    let post = |sale: canteen_core::Sale| {
        let app = &app;
        async move {
            let res = app.post(t, "/api/terminal/sales", &batch(&[sale])).await;
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["results"][0]["status"], json!("stored"));
        }
    };

    // Sold at 12:00 and posted at once: the first the backend has seen.
    let mut noon = w.lunch(w.diner_76);
    noon.sold_at = local(12, 0);
    post(noon.clone()).await;
    let l = line(&app, &w.finance, noon.id).await;
    assert_eq!(l["verdict"], json!("agrees"));
    assert_eq!(l["expected_subsidy"], json!("6.00"));

    // Sold at 11:00 on an offline terminal, posted hours later: it was the
    // first sold, so it is the subsidised one, as the claim has it.
    let mut offline = w.lunch(w.diner_76);
    offline.sold_at = local(11, 0);
    post(offline.clone()).await;
    let l = line(&app, &w.finance, offline.id).await;
    assert_eq!(l["verdict"], json!("agrees"), "{l}");
    assert_eq!(l["expected_paid"], json!("6.00"));
    assert_eq!(l["expected_subsidy"], json!("6.00"));
    let claimed = first_sold([&noon, &offline], |s| MealOrder::of(s, 0)).unwrap();
    assert_eq!(claimed.id, offline.id);
    // The month's claim agrees: the 11:00 sale is claimed, the 12:00 one
    // flagged as the second subsidised meal.
    let month = today().format("%Y-%m").to_string();
    let claim = app
        .get_ok(
            &w.finance,
            &format!("/api/sites/{}/claims/{month}", w.site_a),
        )
        .await;
    assert_eq!(claim["lines"][0]["sale_id"], json!(offline.id), "{claim}");
    assert_eq!(claim["lines"].as_array().unwrap().len(), 1);
    assert_eq!(claim["flags"][0]["sale_id"], json!(noon.id));
    assert_eq!(claim["flags"][0]["kind"], json!("second_subsidised_meal"));

    assert_eq!(l["first_sold"], json!(true));

    // The 12:00 line keeps the verdict made when it arrived (sale lines are
    // append-only), but it is no longer the subsidised one, as in the claim.
    let l = line(&app, &w.finance, noon.id).await;
    assert_eq!(l["verdict"], json!("agrees"));
    assert_eq!(l["first_sold"], json!(false));

    // Sold at 11:30, posted last: neither first sold nor first received.
    let mut half_past = w.lunch(w.diner_76);
    half_past.sold_at = local(11, 30);
    post(half_past.clone()).await;
    let l = line(&app, &w.finance, half_past.id).await;
    assert_eq!(l["verdict"], json!("differs"));
    assert_eq!(l["expected_paid"], json!("12.00"));
    assert_eq!(l["expected_reason"]["kind"], json!("already_subsidised"));
    assert_eq!(l["first_sold"], json!(false));

    // Once the 11:00 sale is voided it leaves the contest: a 10:30 sale
    // posted now is the first sold, and an 11:45 one is not.
    let void = canteen_core::Void {
        id: canteen_core::VoidId::new_random(),
        sale_id: offline.id,
        site_id: offline.site_id,
        terminal_id: offline.terminal_id,
        voided_by: offline.cashier_id,
        voided_at: local(13, 0),
        reason: "wrong diner".into(),
    };
    let res = app
        .post(t, "/api/terminal/voids", &json!({ "voids": [void] }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut early = w.lunch(w.diner_76);
    early.sold_at = local(10, 30);
    post(early.clone()).await;
    let l = line(&app, &w.finance, early.id).await;
    assert_eq!(l["verdict"], json!("agrees"));
    assert_eq!(l["first_sold"], json!(true));
    let l = line(&app, &w.finance, offline.id).await;
    assert_eq!(l["first_sold"], json!(false), "voided");
    let mut later = w.lunch(w.diner_76);
    later.sold_at = local(11, 45);
    post(later.clone()).await;
    assert_eq!(
        line(&app, &w.finance, later.id).await["verdict"],
        json!("differs")
    );
}
