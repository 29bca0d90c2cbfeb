//! Posting is idempotent by sale id, under concurrency too.

use std::sync::Arc;

use canteen_core::{Money, SaleLine};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, batch, world};

crate::on_both!(thousand_posts_store_one, super::thousand_posts_store_one);
crate::on_both!(
    same_id_other_content_is_refused,
    super::same_id_other_content_is_refused
);

async fn thousand_posts_store_one(app: TestApp) {
    let w = world(&app).await;
    let sale = w.lunch(w.diner_76);
    let body = Arc::new(batch(&[sale]));
    let app = Arc::new(app);
    let token = Arc::new(w.terminal_token.clone());
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (app, body, token, sem) = (app.clone(), body.clone(), token.clone(), sem.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire().await.expect("semaphore");
            let res = app.post(&token, "/api/terminal/sales", &body).await;
            assert_eq!(res.status(), StatusCode::OK);
            let v: Value = res.json().await.expect("json");
            v["results"][0]["status"]
                .as_str()
                .expect("status")
                .to_string()
        });
    }
    let mut stored = 0;
    let mut duplicate = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task").as_str() {
            "stored" => stored += 1,
            "duplicate" => duplicate += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((stored, duplicate), (1, 999));
    assert_eq!(app.sales_count().await, (1, 600));
}

async fn same_id_other_content_is_refused(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    let sale = w.lunch(w.diner_76);
    app.post_ok(
        t,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&sale)),
    )
    .await;

    let mut other = sale.clone();
    other.lines = vec![SaleLine::WalkInMeal {
        price: Money::from_fen(1000),
    }];
    let res = app.post(t, "/api/terminal/sales", &batch(&[other])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], json!("batch_has_refusals"));
    assert_eq!(body["results"][0]["status"], json!("conflict"));
    assert_eq!(
        app.sales_count().await,
        (1, 600),
        "the first version stays, nothing else is stored"
    );

    // In a mixed batch, the good sale is stored and the conflict refused.
    let mut changed = sale.clone();
    changed.payment = canteen_core::Payment::Qr { reference: None };
    let fresh = w.walk_in();
    let res = app
        .post(t, "/api/terminal/sales", &batch(&[changed, fresh]))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], json!("conflict"));
    assert_eq!(body["results"][1]["status"], json!("stored"));
    assert_eq!(app.sales_count().await, (2, 1800));

    // Money written differently ("6.0" for "6.00") is the same sale.
    let mut text = serde_json::to_value(&sale).unwrap();
    text["lines"][0]["paid"] = json!("6.0");
    let body = app
        .post_ok(t, "/api/terminal/sales", &json!({"sales": [text]}))
        .await;
    assert_eq!(body["results"][0]["status"], json!("duplicate"));
}

crate::on_both!(
    one_first_meal_under_concurrency,
    super::one_first_meal_under_concurrency
);

/// 16 terminals sell the same diner's lunch at once: exactly one of them is
/// the subsidised one now (the first sold), and its verdict, made on
/// receipt, subsidised it too, whatever order they arrived in.
async fn one_first_meal_under_concurrency(app: TestApp) {
    let w = world(&app).await;
    let app = Arc::new(app);
    let sales: Vec<_> = (0..16)
        .map(|i| {
            let mut s = w.lunch(w.diner_76);
            s.sold_at -= chrono::Duration::seconds(100 - i);
            s
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for s in &sales {
        let (app, token, body) = (
            app.clone(),
            w.terminal_token.clone(),
            batch(std::slice::from_ref(s)),
        );
        tasks.spawn(async move { app.post_ok(&token, "/api/terminal/sales", &body).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let mut first = Vec::new();
    for s in &sales {
        let detail = app
            .get_ok(&w.finance, &format!("/api/sales/{}", s.id))
            .await;
        if detail["lines"][0]["first_sold"] == json!(true) {
            first.push(detail["lines"][0]["expected_subsidy"].clone());
        }
    }
    assert_eq!(first, vec![json!("6.00")]);
    // Sold a second apart: the first is the subsidised one.
    let detail = app
        .get_ok(&w.finance, &format!("/api/sales/{}", sales[0].id))
        .await;
    assert_eq!(detail["lines"][0]["first_sold"], json!(true));
}
