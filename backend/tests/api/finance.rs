//! The monthly claim through the API: worked scenarios, each with its
//! expected claim worked out by hand; decisions, close, freeze and reopen;
//! exports read back; role and scope.
//!
//! The policy of every scenario (helpers::policy): lunch standard 12.00;
//! 65-69 pays 8.00 (subsidy 4.00), 70-79 pays 6.00 (6.00), 80-89 pays 4.00
//! (8.00), 90+ pays 0.00 (12.00); 特困 (tekun) pays 2.00 (10.00).

use canteen_core::{
    DinerId, Money, Payment, Sale, SaleId, SaleLine, SiteId, Slot, TerminalId, UserId,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, World, batch, d, policy, resident_id, world};
use crate::on_both;

/// A sale of one lunch to a diner, as a terminal records it.
pub fn lunch(
    w: &World,
    terminal: i64,
    diner: i64,
    date: NaiveDate,
    paid_fen: i64,
    bracket: Option<&str>,
    sold_at: DateTime<Utc>,
) -> Sale {
    Sale {
        id: SaleId::new_random(),
        site_id: SiteId(w.site_a),
        terminal_id: TerminalId(terminal),
        cashier_id: UserId(w.cashier_id),
        sold_at,
        business_date: date,
        slot: Slot::Lunch,
        lines: vec![SaleLine::DinerMeal {
            diner_id: DinerId(diner),
            standard: Money::from_fen(1200),
            paid: Money::from_fen(paid_fen),
            subsidy: Money::from_fen(1200 - paid_fen),
            bracket: bracket.map(String::from),
            category: None,
        }],
        payment: Payment::Cash {
            tendered: Money::from_fen(paid_fen),
            change: Money::ZERO,
        },
    }
}

/// A diner born 10 January 1950 (bracket 70-79 in 2026), registered long ago.
async fn aged_76(app: &TestApp, w: &World, name: &str) -> i64 {
    add_diner(app, w, name, d(1950, 1, 10), json!({})).await
}

/// A lunch sold at noon at the main terminal.
fn noon_lunch(w: &World, diner: i64, date: NaiveDate, paid_fen: i64, bracket: &str) -> Sale {
    lunch(
        w,
        w.terminal_id,
        diner,
        date,
        paid_fen,
        Some(bracket),
        noon(date),
    )
}

/// Posts sales from the main terminal.
async fn sell(app: &TestApp, w: &World, sales: &[Sale]) {
    post_sales(app, &w.terminal_token, sales).await;
}

/// Noon (Beijing time) of a date.
pub fn noon(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(4, 0, 0).unwrap())
}

pub async fn add_diner(
    app: &TestApp,
    w: &World,
    name: &str,
    birth: NaiveDate,
    extra: Value,
) -> i64 {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(100);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Registered long ago unless `extra` says otherwise: the scenarios sell
    // meals of past months.
    let mut body = json!({"name": name, "resident_id": resident_id(birth, seq),
        "village": "大寨村", "active_from": "2020-01-01"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.post_ok(
        &w.admin,
        &format!("/api/townships/{}/diners", w.township_a),
        &body,
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

pub async fn post_sales(app: &TestApp, token: &str, sales: &[Sale]) {
    let res = app.post(token, "/api/terminal/sales", &batch(sales)).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
}

async fn void(app: &TestApp, w: &World, sale: &Sale) {
    let v = json!({"voids": [{
        "id": uuid::Uuid::new_v4(), "sale_id": sale.id, "site_id": w.site_a,
        "terminal_id": sale.terminal_id, "voided_by": w.cashier_id,
        "voided_at": sale.sold_at + chrono::Duration::minutes(1), "reason": "按错了"
    }]});
    let res = app.post(&w.terminal_token, "/api/terminal/voids", &v).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn claim(app: &TestApp, token: &str, site: i64, month: &str) -> Value {
    app.get_ok(token, &format!("/api/sites/{site}/claims/{month}"))
        .await
}

/// Checks the totals: meals, standard, paid, subsidy.
#[track_caller]
fn check_total(t: &Value, meals: i64, standard: &str, paid: &str, subsidy: &str) {
    assert_eq!(
        (
            t["meals"].as_i64().unwrap(),
            t["standard"].as_str().unwrap(),
            t["paid"].as_str().unwrap(),
            t["subsidy"].as_str().unwrap()
        ),
        (meals, standard, paid, subsidy),
        "{t}"
    );
}

fn flag_kinds(c: &Value) -> Vec<String> {
    c["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Two terminals offline both sold the same diner lunch on 2 March; the one
/// sold second reaches the backend first. The earliest sold is claimed
/// (one meal, 6.00); the other is flagged naming it.
async fn two_terminals_offline(app: TestApp) {
    let w = world(&app).await;
    let second = app
        .post_ok(
            &w.admin,
            &format!("/api/sites/{}/terminals", w.site_a),
            &json!({"name": "二号机"}),
        )
        .await;
    let t2 = second["terminal"]["id"].as_i64().unwrap();
    let t2_token = second["token"].as_str().unwrap().to_string();
    let diner = aged_76(&app, &w, "张玉珍").await;
    let day = d(2026, 3, 2);
    let first = noon_lunch(&w, diner, day, 600, "70-79");
    let later = lunch(
        &w,
        t2,
        diner,
        day,
        600,
        Some("70-79"),
        noon(day) + chrono::Duration::minutes(5),
    );
    post_sales(&app, &t2_token, std::slice::from_ref(&later)).await;
    sell(&app, &w, std::slice::from_ref(&first)).await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 1, "12.00", "6.00", "6.00");
    assert_eq!(c["lines"][0]["sale_id"], json!(first.id));
    assert_eq!(flag_kinds(&c), ["second_subsidised_meal"]);
    assert_eq!(c["flags"][0]["sale_id"], json!(later.id));
    assert_eq!(c["flags"][0]["evidence"]["other_sale"], json!(first.id));
    assert_eq!(c["flags"][0]["diner_name"], "张玉珍");
    assert_eq!(c["undecided"], 1);
    assert_eq!(
        c["meals_by_day"],
        json!([{"date": "2026-03-02", "meals": 1}])
    );
    assert_eq!(c["totals"]["ties_out"], true);
    assert_eq!(c["status"], "open");
}
on_both!(
    two_terminals_offline_claim_the_earliest,
    super::two_terminals_offline
);

/// A diner ate a volunteer free lunch at the village commune and a
/// subsidised lunch at the canteen the same day: the canteen lunch is
/// flagged with the free-meal day as evidence; nothing is claimed. The
/// commune's claim shows the 12 people it served.
async fn free_lunch_and_canteen(app: TestApp) {
    let w = world(&app).await;
    let diner = aged_76(&app, &w, "刘德华").await;
    let day = d(2026, 3, 5);
    let free = json!({
        "id": uuid::Uuid::new_v4(), "site_id": w.site_a2, "date": day, "slot": "lunch",
        "diners": [diner], "headcount": 12, "volunteers": ["张大妈"],
        "purchases": [{"item": "猪肉", "quantity": "3斤", "cost": "45.00", "paid_by": "村委会"}],
        "donations": [{"item": "青菜", "quantity": "5斤", "donor": "李家"}]
    });
    let res = app
        .post(
            &w.volunteer,
            &format!("/api/sites/{}/free-meals", w.site_a2),
            &free,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    sell(&app, &w, &[noon_lunch(&w, diner, day, 600, "70-79")]).await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 0, "0.00", "0.00", "0.00");
    assert_eq!(flag_kinds(&c), ["ate_free_meal"]);
    assert_eq!(c["flags"][0]["evidence"]["free_meal"]["id"], free["id"]);
    assert_eq!(c["flags"][0]["evidence"]["free_meal"]["site_id"], w.site_a2);
    let commune = claim(&app, &w.finance, w.site_a2, "2026-03").await;
    assert_eq!(commune["free_meals_served"], 12);
    let town = app
        .get_ok(
            &w.finance,
            &format!("/api/townships/{}/claims/2026-03", w.township_a),
        )
        .await;
    assert_eq!(town["free_meals_served"], 12);
    check_total(&town["totals"]["total"], 0, "0.00", "0.00", "0.00");
}
on_both!(
    free_lunch_and_canteen_same_day,
    super::free_lunch_and_canteen
);

/// Two diners' lunches, one voided: only the other is claimed (6.00).
async fn a_void(app: TestApp) {
    let w = world(&app).await;
    let p = aged_76(&app, &w, "陈小红").await;
    let q = add_diner(&app, &w, "周大山", d(1940, 1, 10), json!({})).await;
    let day = d(2026, 3, 6);
    let kept = noon_lunch(&w, p, day, 600, "70-79");
    let voided = noon_lunch(&w, q, day, 400, "80-89");
    sell(&app, &w, &[kept.clone(), voided.clone()]).await;
    let before = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&before["totals"]["total"], 2, "24.00", "10.00", "14.00");
    void(&app, &w, &voided).await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 1, "12.00", "6.00", "6.00");
    assert_eq!(c["flags"], json!([]));
    assert_eq!(c["totals"]["by_bracket"]["70-79"]["meals"], 1);
    assert!(c["totals"]["by_bracket"].get("80-89").is_none());
}
on_both!(a_void_leaves_the_claim, super::a_void);

async fn close(app: &TestApp, token: &str, site: i64, month: &str) -> reqwest::Response {
    app.post(
        token,
        &format!("/api/sites/{site}/claims/{month}/close"),
        &json!({}),
    )
    .await
}

async fn export(app: &TestApp, token: &str, site: i64, month: &str, format: &str) -> Vec<u8> {
    let res = app
        .get(
            token,
            &format!("/api/sites/{site}/claims/{month}/export/{format}"),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// March is closed with one lunch (6.00). A sale for 3 March arrives after
/// the close: March stays as frozen, April claims it as a late sale; a
/// roster edit and a policy edit after the close change nothing in March;
/// March's exports are the same bytes every time.
async fn late_sale_after_close(app: TestApp) {
    let w = world(&app).await;
    let p = aged_76(&app, &w, "黄秀兰").await;
    let d2 = d(2026, 3, 2);
    sell(&app, &w, &[noon_lunch(&w, p, d2, 600, "70-79")]).await;
    let res = close(&app, &w.finance, w.site_a, "2026-03").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let xlsx_1 = export(&app, &w.finance, w.site_a, "2026-03", "xlsx").await;
    let csv_1 = export(&app, &w.finance, w.site_a, "2026-03", "csv").await;
    let html_1 = export(&app, &w.finance, w.site_a, "2026-03", "html").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let d3 = d(2026, 3, 3);
    sell(&app, &w, &[noon_lunch(&w, p, d3, 600, "70-79")]).await;
    let april = claim(&app, &w.finance, w.site_a, "2026-04").await;
    check_total(&april["totals"]["adjustments"], 1, "12.00", "6.00", "6.00");
    check_total(&april["totals"]["regular"], 0, "0.00", "0.00", "0.00");
    assert_eq!(april["lines"][0]["kind"], "late_sale");
    assert_eq!(april["lines"][0]["business_date"], "2026-03-03");
    assert_eq!(april["lines"][0]["late"], true);
    // Later edits (after which the late line itself is not eligible) of the roster and the policy.
    let mut changed = policy(w.site_a);
    changed["brackets"][1]["prices"]["lunch"] = json!("1.00");
    app.post_ok(
        &w.admin,
        &format!("/api/sites/{}/policies", w.site_a),
        &changed,
    )
    .await;
    let res = app
        .put(
            &w.admin,
            &format!("/api/diners/{p}"),
            &json!({"name": "黄秀兰（改）", "inactive_since": "2026-03-01"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let april = claim(&app, &w.finance, w.site_a, "2026-04").await;
    assert_eq!(flag_kinds(&april), ["not_eligible"]);
    assert_eq!(april["flags"][0]["late"], true);
    let march = claim(&app, &w.finance, w.site_a, "2026-03").await;
    assert_eq!(march["status"], "closed");
    check_total(&march["totals"]["total"], 1, "12.00", "6.00", "6.00");
    assert_eq!(march["lines"][0]["diner_name"], "黄秀兰");
    assert_eq!(
        export(&app, &w.finance, w.site_a, "2026-03", "xlsx").await,
        xlsx_1
    );
    assert_eq!(
        export(&app, &w.finance, w.site_a, "2026-03", "csv").await,
        csv_1
    );
    assert_eq!(
        export(&app, &w.finance, w.site_a, "2026-03", "html").await,
        html_1
    );
    // Closing again is refused; decisions on a closed month too.
    assert_eq!(
        close(&app, &w.finance, w.site_a, "2026-03").await.status(),
        409
    );
}
on_both!(
    a_late_sale_lands_in_the_next_open_month,
    super::late_sale_after_close
);

/// A month closed while sales of it are in flight: the sales table is held
/// (another transaction has it locked), so posts are received and stuck
/// before their commit when the close is asked; more are posted once the
/// close is under way. When the hold ends, each sale lands either in the
/// frozen claim or as a late adjustment of this month: never in neither,
/// never in both, whichever commits first.
async fn close_racing_sales(app: TestApp) {
    use chrono::Datelike;
    let w = world(&app).await;
    let this_month = crate::helpers::today().with_day(1).unwrap();
    let last_month = (this_month - chrono::Duration::days(1))
        .with_day(1)
        .unwrap();
    let name = |d: NaiveDate| d.format("%Y-%m").to_string();
    let mut diners = Vec::new();
    for n in ["一号", "二号", "三号"] {
        diners.push(add_diner(&app, &w, n, d(1950, 1, 10), json!({})).await);
    }
    let sales: Vec<Sale> = (0..20)
        .flat_map(|day| {
            let date = last_month + chrono::Duration::days(day);
            diners
                .iter()
                .map(|&p| noon_lunch(&w, p, date, 600, "70-79"))
                .collect::<Vec<_>>()
        })
        .collect();
    let post = |sale: &Sale| {
        let (client, url) = (app.client.clone(), app.url("/api/terminal/sales"));
        let (token, body) = (w.terminal_token.clone(), batch(std::slice::from_ref(sale)));
        async move {
            let res = client.post(url).bearer_auth(token).json(&body).send().await;
            res.unwrap().status()
        }
    };
    let mut hold = app.store.pool().acquire().await.unwrap();
    if app.store.kind() == "sqlite" {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *hold)
            .await
            .unwrap();
    } else {
        sqlx::query("BEGIN").execute(&mut *hold).await.unwrap();
        sqlx::query("LOCK TABLE sales IN EXCLUSIVE MODE")
            .execute(&mut *hold)
            .await
            .unwrap();
    }
    let mut posts = tokio::task::JoinSet::new();
    for sale in &sales[..30] {
        posts.spawn(post(sale));
    }
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(300));
    pause().await;
    let closing = {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!(
                "/api/sites/{}/claims/{}/close",
                w.site_a,
                name(last_month)
            )),
        );
        let token = w.finance.clone();
        tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await;
            let res = res.unwrap();
            (res.status(), res.text().await.unwrap())
        })
    };
    pause().await;
    for sale in &sales[30..] {
        posts.spawn(post(sale));
    }
    pause().await;
    sqlx::query("ROLLBACK").execute(&mut *hold).await.unwrap();
    drop(hold);
    let (status, text) = closing.await.unwrap();
    assert_eq!(status, 200, "{text}");
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let frozen = claim(&app, &w.finance, w.site_a, &name(last_month)).await;
    let now = claim(&app, &w.finance, w.site_a, &name(this_month)).await;
    assert_eq!(frozen["status"], "closed");
    assert_eq!(flag_kinds(&frozen), Vec::<String>::new());
    assert_eq!(flag_kinds(&now), Vec::<String>::new());
    let ids = |c: &Value, kind: &str| -> Vec<String> {
        c["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["kind"] == kind)
            .map(|l| l["sale_id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut claimed = ids(&frozen, "regular");
    let late = ids(&now, "late_sale");
    claimed.extend(late.iter().cloned());
    claimed.sort();
    let mut posted: Vec<String> = sales.iter().map(|s| s.id.to_string()).collect();
    posted.sort();
    let lost = posted.iter().filter(|id| !claimed.contains(id)).count();
    assert_eq!(
        (lost, claimed.len()),
        (0, 60),
        "sales in neither claim, and claimed in all ({} late)",
        late.len()
    );
    assert_eq!(claimed, posted);
    let meals = |t: &Value| t["meals"].as_i64().unwrap();
    assert_eq!(
        meals(&frozen["totals"]["total"]) + meals(&now["totals"]["adjustments"]),
        60
    );
}
on_both!(a_close_racing_sales_loses_none, super::close_racing_sales);

/// A policy version from 16 March: 70-79 pays 5.00 (subsidy 7.00). Lunch on
/// the 15th at 6.00 and on the 16th at 5.00: 2 meals, 24.00 standard,
/// 11.00 paid, 13.00 subsidy, both under 70-79.
async fn policy_change_on_the_16th(app: TestApp) {
    let w = world(&app).await;
    let mut p16 = policy(w.site_a);
    p16["effective_from"] = json!("2026-03-16");
    p16["brackets"][1]["prices"]["lunch"] = json!("5.00");
    app.post_ok(&w.admin, &format!("/api/sites/{}/policies", w.site_a), &p16)
        .await;
    let p = aged_76(&app, &w, "吴春花").await;
    let (d15, d16) = (d(2026, 3, 15), d(2026, 3, 16));
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, p, d15, 600, "70-79"),
            noon_lunch(&w, p, d16, 500, "70-79"),
        ],
    )
    .await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 2, "24.00", "11.00", "13.00");
    check_total(
        &c["totals"]["by_bracket"]["70-79"],
        2,
        "24.00",
        "11.00",
        "13.00",
    );
    assert_eq!(c["flags"], json!([]));
}
on_both!(
    a_policy_change_on_the_16th,
    super::policy_change_on_the_16th
);

/// Born 10 March 1956: 69 on the 9th (65-69, subsidy 4.00), 70 on the 10th
/// (70-79, subsidy 6.00).
async fn turning_70(app: TestApp) {
    let w = world(&app).await;
    let p = add_diner(&app, &w, "孙桂英", d(1956, 3, 10), json!({})).await;
    let (d9, d10) = (d(2026, 3, 9), d(2026, 3, 10));
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, p, d9, 800, "65-69"),
            noon_lunch(&w, p, d10, 600, "70-79"),
        ],
    )
    .await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 2, "24.00", "14.00", "10.00");
    check_total(
        &c["totals"]["by_bracket"]["65-69"],
        1,
        "12.00",
        "8.00",
        "4.00",
    );
    check_total(
        &c["totals"]["by_bracket"]["70-79"],
        1,
        "12.00",
        "6.00",
        "6.00",
    );
}
on_both!(a_diner_turning_70_mid_month, super::turning_70);

/// Born 29 February 1956: in 2026 the 70th birthday is 1 March. A lunch on
/// 28 February charged at the 70-79 price is flagged (the policy gives
/// 8.00, subsidy 4.00; age 69); 1 March at 6.00 is claimed.
async fn born_29_february(app: TestApp) {
    let w = world(&app).await;
    let p = add_diner(&app, &w, "郑闰生", d(1956, 2, 29), json!({})).await;
    let (feb28, mar1) = (d(2026, 2, 28), d(2026, 3, 1));
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, p, feb28, 600, "70-79"),
            noon_lunch(&w, p, mar1, 600, "70-79"),
        ],
    )
    .await;
    let feb = claim(&app, &w.finance, w.site_a, "2026-02").await;
    check_total(&feb["totals"]["total"], 0, "0.00", "0.00", "0.00");
    assert_eq!(flag_kinds(&feb), ["price_differs"]);
    let e = &feb["flags"][0]["evidence"];
    assert_eq!(
        (
            e["age_on_date"].as_i64(),
            e["expected_paid"].as_str(),
            e["expected_subsidy"].as_str()
        ),
        (Some(69), Some("8.00"), Some("4.00"))
    );
    let mar = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(
        &mar["totals"]["by_bracket"]["70-79"],
        1,
        "12.00",
        "6.00",
        "6.00",
    );
}
on_both!(a_diner_born_on_29_february, super::born_29_february);

/// Inactive from 10 March: the lunch of the 9th is claimed, the lunch of
/// the 10th is flagged as not eligible.
async fn inactive_diner(app: TestApp) {
    let w = world(&app).await;
    let p = add_diner(
        &app,
        &w,
        "冯老汉",
        d(1950, 1, 10),
        json!({"inactive_since": "2026-03-10"}),
    )
    .await;
    let (d9, d10) = (d(2026, 3, 9), d(2026, 3, 10));
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, p, d9, 600, "70-79"),
            noon_lunch(&w, p, d10, 600, "70-79"),
        ],
    )
    .await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 1, "12.00", "6.00", "6.00");
    assert_eq!(flag_kinds(&c), ["not_eligible"]);
    assert_eq!(c["flags"][0]["business_date"], "2026-03-10");
}
on_both!(an_inactive_diner, super::inactive_diner);

/// Funding split city 50 %, county 30 %, township 20 % of three subsidies
/// 6.00 + 8.00 + 12.00 = 26.00: city 13.00, county 7.80, township 5.20.
async fn funding_split(app: TestApp) {
    let w = world(&app).await;
    let mut split = policy(w.site_a);
    split["effective_from"] = json!("2026-03-01");
    split["funding"] = json!([
        {"funder": "city", "share": "0.5"},
        {"funder": "county", "share": "0.3"},
        {"funder": "township", "share": "0.2"}
    ]);
    app.post_ok(
        &w.admin,
        &format!("/api/sites/{}/policies", w.site_a),
        &split,
    )
    .await;
    let a = aged_76(&app, &w, "甲").await;
    let b = add_diner(&app, &w, "乙", d(1940, 1, 10), json!({})).await;
    let c90 = add_diner(&app, &w, "丙", d(1930, 1, 10), json!({})).await;
    let day = d(2026, 3, 11);
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, a, day, 600, "70-79"),
            noon_lunch(&w, b, day, 400, "80-89"),
            noon_lunch(&w, c90, day, 0, "90+"),
        ],
    )
    .await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 3, "36.00", "10.00", "26.00");
    assert_eq!(
        c["totals"]["by_funder"],
        json!({"city": "13.00", "county": "7.80", "township": "5.20"})
    );
}
on_both!(the_funding_split, super::funding_split);

async fn decide(
    app: &TestApp,
    token: &str,
    site: i64,
    flag: &Value,
    verdict: &str,
    comment: &str,
) -> reqwest::Response {
    app.post(
        token,
        &format!("/api/sites/{site}/claims/2026-03/decisions"),
        &json!({"sale_id": flag["sale_id"], "line_index": flag["line_index"], "verdict": verdict, "comment": comment}),
    )
    .await
}

/// Two flags: a price that differs (accepted: the diner holds a paper
/// certificate) and a second lunch (rejected). The month cannot close until
/// both are decided; then the accepted line is claimed as charged (6.00 of
/// 12.00) beside the clean lunch: 2 meals, 12.00. Each decision, the close
/// and the reopening are audited; a cashier cannot close, finance cannot
/// reopen.
async fn accepted_and_rejected(app: TestApp) {
    let w = world(&app).await;
    let p = aged_76(&app, &w, "何建国").await;
    let young = add_diner(&app, &w, "马六十八", d(1958, 1, 10), json!({})).await;
    let day = d(2026, 3, 12);
    let first = noon_lunch(&w, p, day, 600, "70-79");
    let again = lunch(
        &w,
        w.terminal_id,
        p,
        day,
        600,
        Some("70-79"),
        noon(day) + chrono::Duration::minutes(3),
    );
    // 68 years old, charged the 70-79 price.
    let differs = noon_lunch(&w, young, day, 600, "70-79");
    sell(&app, &w, &[first, again.clone(), differs.clone()]).await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 1, "12.00", "6.00", "6.00");
    assert_eq!(c["undecided"], 2);
    let res = close(&app, &w.finance, w.site_a, "2026-03").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "flags_undecided"
    );
    let flags = c["flags"].as_array().unwrap().clone();
    let price = flags.iter().find(|f| f["kind"] == "price_differs").unwrap();
    let second = flags
        .iter()
        .find(|f| f["kind"] == "second_subsidised_meal")
        .unwrap();
    assert_eq!(price["evidence"]["age_on_date"], 68);
    // Blank comments and lines that are not flagged are refused.
    assert_eq!(
        decide(&app, &w.finance, w.site_a, price, "accept", "  ")
            .await
            .status(),
        422
    );
    let mut bogus = price.clone();
    bogus["line_index"] = json!(5);
    assert_eq!(
        decide(&app, &w.finance, w.site_a, &bogus, "accept", "x")
            .await
            .status(),
        422
    );
    assert_eq!(
        decide(&app, &w.cashier, w.site_a, price, "accept", "x")
            .await
            .status(),
        403
    );
    let res = decide(&app, &w.finance, w.site_a, price, "accept", "持有纸质证明").await;
    assert_eq!(res.status(), 200);
    let res = decide(&app, &w.finance, w.site_a, second, "reject", "重复刷卡").await;
    assert_eq!(res.status(), 200);
    let c = res.json::<Value>().await.unwrap();
    check_total(&c["totals"]["total"], 2, "24.00", "12.00", "12.00");
    check_total(&c["accepted"], 1, "12.00", "6.00", "6.00");
    assert_eq!(c["undecided"], 0);
    let accepted_line = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sale_id"] == json!(differs.id))
        .unwrap();
    assert_eq!(accepted_line["accepted"], true);
    let rejected = c["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["sale_id"] == json!(again.id))
        .unwrap();
    assert_eq!(rejected["decision"]["verdict"], "reject");
    assert_eq!(rejected["decision"]["comment"], "重复刷卡");
    assert_eq!(rejected["decision"]["decided_by"], "finance_a");
    // Role: a cashier cannot close; finance can.
    assert_eq!(
        close(&app, &w.cashier, w.site_a, "2026-03").await.status(),
        403
    );
    assert_eq!(
        close(&app, &w.finance, w.site_a, "2026-04").await.status(),
        200
    );
    let res = close(&app, &w.finance, w.site_a, "2026-03").await;
    assert_eq!(res.status(), 200);
    let closed = res.json::<Value>().await.unwrap();
    check_total(&closed["totals"]["total"], 2, "24.00", "12.00", "12.00");
    // No decisions on a closed month.
    assert_eq!(
        decide(&app, &w.finance, w.site_a, second, "accept", "改主意")
            .await
            .status(),
        409
    );
    // Reopening: administrators only, with a reason.
    let reopen = |token: String, body: Value| {
        let app = &app;
        async move {
            app.post(
                &token,
                &format!("/api/sites/{}/claims/2026-03/reopen", w.site_a),
                &body,
            )
            .await
        }
    };
    assert_eq!(
        reopen(w.finance.clone(), json!({"reason": "改"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        reopen(w.admin.clone(), json!({"reason": " "}))
            .await
            .status(),
        422
    );
    let res = reopen(w.admin.clone(), json!({"reason": "民政局退回，需更正"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "open");
    assert_eq!(
        reopen(w.admin.clone(), json!({"reason": "再次"}))
            .await
            .status(),
        422
    );
    let audit = app.get_ok(&w.admin, "/api/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "claim.decide").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(actions.iter().filter(|a| **a == "claim.close").count(), 2);
    assert_eq!(actions.iter().filter(|a| **a == "claim.reopen").count(), 1);
    let reopened = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "claim.reopen")
        .unwrap();
    assert!(reopened["after"].as_str().unwrap().contains("民政局退回"));
}
on_both!(
    a_flag_accepted_and_one_rejected,
    super::accepted_and_rejected
);

/// Who may see and do what.
async fn role_and_scope(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/api/sites/{}/claims/2026-03", w.site_a);
    assert_eq!(app.get(&w.volunteer, &path).await.status(), 403);
    assert_eq!(app.get(&w.cashier, &path).await.status(), 403);
    assert_eq!(app.get(&w.finance, &path).await.status(), 200);
    assert_eq!(app.get(&w.admin_b, &path).await.status(), 404);
    let other = format!("/api/sites/{}/claims/2026-03", w.site_b);
    assert_eq!(app.get(&w.finance, &other).await.status(), 404);
    let town_b = format!("/api/townships/{}/claims/2026-03", w.township_b);
    assert_eq!(app.get(&w.finance, &town_b).await.status(), 404);
    assert_eq!(
        app.get(
            &w.finance,
            &format!("/api/sites/{}/claims/2026-03/export/xlsx", w.site_b)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(&w.volunteer, &format!("{path}/export/csv"))
            .await
            .status(),
        403
    );
    assert_eq!(app.get(&w.county, &town_b).await.status(), 200);
    assert_eq!(
        close(&app, &w.cashier, w.site_a, "2026-03").await.status(),
        403
    );
    assert_eq!(
        close(&app, &w.volunteer, w.site_a, "2026-03")
            .await
            .status(),
        403
    );
    // Bad input.
    let bad = app
        .get(
            &w.finance,
            &format!("/api/sites/{}/claims/2026-13", w.site_a),
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], "bad_month");
    assert_eq!(
        app.get(&w.finance, &format!("{path}/export/pdf"))
            .await
            .status(),
        404
    );
    // A month not over yet cannot close (next month's: this one may be on
    // its last day at the site, when it can).
    let next = (crate::helpers::today() + chrono::Duration::days(32))
        .format("%Y-%m")
        .to_string();
    let res = close(&app, &w.finance, w.site_a, &next).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "month_not_over");
    assert_eq!(
        app.get(
            &w.volunteer,
            &format!("/api/townships/{}/welfare", w.township_a)
        )
        .await
        .status(),
        403
    );
}
on_both!(claim_roles_and_scope, super::role_and_scope);

/// The exports read back: XLSX with calamine (sheets, Chinese headers,
/// money as numbers with a money format, formulas with their results, a
/// name beginning with = kept as text), CSV with a CSV reader (BOM, guard),
/// the printable page; no whole ID number anywhere.
async fn exports_read_back(app: TestApp) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let w = world(&app).await;
    let birth = d(1950, 1, 10);
    let evil = add_diner(
        &app,
        &w,
        "=HYPERLINK(\"http://x\",\"点\")",
        birth,
        json!({}),
    )
    .await;
    let q = add_diner(&app, &w, "@钱", d(1940, 1, 10), json!({})).await;
    let evil_row = app.get_ok(&w.admin, &format!("/api/diners/{evil}")).await;
    let masked = evil_row["resident_id_masked"].as_str().unwrap().to_string();
    let day = d(2026, 3, 20);
    sell(
        &app,
        &w,
        &[
            noon_lunch(&w, evil, day, 600, "70-79"),
            noon_lunch(&w, q, day, 400, "80-89"),
        ],
    )
    .await;
    let c = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&c["totals"]["total"], 2, "24.00", "10.00", "14.00");

    let bytes = export(&app, &w.finance, w.site_a, "2026-03", "xlsx").await;
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["汇总", "明细", "标记"]);
    let lines = wb.worksheet_range("明细").unwrap();
    let header: Vec<String> = lines
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        header,
        [
            "日期",
            "餐次",
            "姓名",
            "身份证号",
            "年龄段/类别",
            "标准价",
            "自付",
            "补贴",
            "类型"
        ]
    );
    let rows: Vec<_> = lines.rows().skip(1).collect();
    assert_eq!(rows.len(), 3, "two lines and the total");
    let evil_line = rows
        .iter()
        .find(|r| r[2] == Data::String("=HYPERLINK(\"http://x\",\"点\")".into()))
        .unwrap();
    assert_eq!(evil_line[3], Data::String(masked.clone()));
    assert_eq!(evil_line[0], Data::String("2026-03-20".into()));
    assert_eq!(evil_line[1], Data::String("午餐".into()));
    assert_eq!(
        (&evil_line[5], &evil_line[6], &evil_line[7]),
        (&Data::Float(12.0), &Data::Float(6.0), &Data::Float(6.0))
    );
    assert_eq!(rows[2][0], Data::String("合计".into()));
    // The total row's cached results are the claim's totals.
    assert_eq!(rows[2][7], Data::Float(14.0));
    let formulas = wb.worksheet_formula("明细").unwrap();
    assert!(
        formulas.rows().flatten().any(|f| f == "SUM(H2:H3)"),
        "{:?}",
        formulas.rows().collect::<Vec<_>>()
    );
    // Nothing that names a diner was written as a formula.
    assert!(!formulas.rows().flatten().any(|f| f.contains("HYPERLINK")));
    let summary = wb.worksheet_range("汇总").unwrap();
    let cells: Vec<String> = summary.rows().flatten().map(|c| c.to_string()).collect();
    for text in [
        "幸福食堂老年助餐补贴申报表",
        "大寨镇",
        "大寨幸福食堂",
        "2026-03",
        "申报合计",
        "制表人：",
        "审核人：",
        "按年龄段",
        "70-79",
        "80-89",
    ] {
        assert!(cells.iter().any(|c| c == text), "{text} in {cells:?}");
    }
    let total_row = summary
        .rows()
        .find(|r| r[0] == Data::String("申报合计".into()))
        .unwrap();
    assert_eq!(total_row[4], Data::Float(14.0));
    assert_eq!(total_row[3], Data::Float(10.0));
    let summary_formulas: Vec<String> = wb
        .worksheet_formula("汇总")
        .unwrap()
        .rows()
        .flatten()
        .filter(|f| !f.is_empty())
        .cloned()
        .collect();
    assert!(
        summary_formulas
            .iter()
            .any(|f| f.contains("明细") && f.starts_with("SUM(")),
        "{summary_formulas:?}"
    );
    let check_row = summary
        .rows()
        .find(|r| r[0] == Data::String("核对：标准价−自付−补贴".into()))
        .unwrap();
    assert_eq!(check_row[4], Data::Float(0.0));
    let detail_row = summary
        .rows()
        .find(|r| r[0] == Data::String("核对：明细补贴合计".into()))
        .unwrap();
    assert_eq!(detail_row[4], Data::Float(14.0));
    // Money cells carry a money format.
    let styles = wb.worksheet_style("明细").unwrap();
    let style = styles.get((1, 7)).unwrap();
    let fmt = style
        .number_format
        .as_ref()
        .map(|f| f.format_code.clone())
        .unwrap_or_default();
    assert_eq!(fmt, "#,##0.00");

    let csv_bytes = export(&app, &w.finance, w.site_a, "2026-03", "csv").await;
    assert!(csv_bytes.starts_with("\u{feff}".as_bytes()));
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers[5], "姓名");
    assert_eq!(headers[10], "补贴");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 3);
    let names: Vec<&str> = records.iter().map(|r| &r[5]).collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://x\",\"点\")"),
        "{names:?}"
    );
    assert!(names.contains(&"'@钱"), "{names:?}");
    let last = &records[2];
    assert_eq!(
        (&last[3], &last[8], &last[9], &last[10]),
        ("合计", "24.00", "10.00", "14.00")
    );
    let html =
        String::from_utf8(export(&app, &w.finance, w.site_a, "2026-03", "html").await).unwrap();
    assert!(html.contains("@page{size:A4"));
    assert!(html.contains("<td class=n>14.00</td>"));
    assert!(html.contains("制表人"));
    let whole = resident_id(birth, 0);
    for text in [String::from_utf8_lossy(&csv_bytes).to_string(), html] {
        assert!(
            !text.contains(&whole[..14]),
            "no whole ID or birth date run"
        );
    }
}
on_both!(exports_read_back_the_same_figures, super::exports_read_back);

/// March claimed one lunch (6.00) and closed. Its void arrives late: April
/// has a late void, −1 meal, −6.00. Then the same lunch is sold again (a
/// late resale after the void): April claims it, +1 meal, +6.00, no flag.
async fn late_void_then_late_resale(app: TestApp) {
    let w = world(&app).await;
    let p = aged_76(&app, &w, "罗阿婆").await;
    let day = d(2026, 3, 2);
    let sale = noon_lunch(&w, p, day, 600, "70-79");
    sell(&app, &w, std::slice::from_ref(&sale)).await;
    assert_eq!(
        close(&app, &w.finance, w.site_a, "2026-03").await.status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    void(&app, &w, &sale).await;
    let april = claim(&app, &w.finance, w.site_a, "2026-04").await;
    check_total(
        &april["totals"]["adjustments"],
        -1,
        "-12.00",
        "-6.00",
        "-6.00",
    );
    assert_eq!(april["lines"][0]["kind"], "late_void");
    let resale = lunch(
        &w,
        w.terminal_id,
        p,
        day,
        600,
        Some("70-79"),
        noon(day) + chrono::Duration::minutes(10),
    );
    sell(&app, &w, std::slice::from_ref(&resale)).await;
    let april = claim(&app, &w.finance, w.site_a, "2026-04").await;
    check_total(&april["totals"]["adjustments"], 0, "0.00", "0.00", "0.00");
    let kinds: Vec<&str> = april["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(
        kinds.contains(&"late_void") && kinds.contains(&"late_sale"),
        "{kinds:?}"
    );
    assert_eq!(april["flags"], json!([]));
    let march = claim(&app, &w.finance, w.site_a, "2026-03").await;
    check_total(&march["totals"]["total"], 1, "12.00", "6.00", "6.00");
}
on_both!(
    a_late_void_then_a_late_resale,
    super::late_void_then_late_resale
);

fn free_day(site: i64, date: NaiveDate, diners: &[i64], headcount: u32) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(), "site_id": site, "date": date, "slot": "lunch",
        "diners": diners, "headcount": headcount, "volunteers": ["张大妈", "李叔"],
        "purchases": [{"item": "猪肉", "quantity": "3斤", "cost": "45.50", "paid_by": "村委会"}],
        "donations": [{"item": "青菜", "quantity": "5斤", "donor": "李家"}]
    })
}

/// Volunteers record free-meal days at their own commune site, once per
/// client-made id; the author corrects within 7 days as a new version.
async fn free_meal_days(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/api/sites/{}/free-meals", w.site_a2);
    let today = crate::helpers::today();
    let yesterday = today - chrono::Duration::days(1);
    let day = free_day(w.site_a2, yesterday, &[w.diner_76], 20);
    let res = app.post(&w.volunteer, &path, &day).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "stored");
    let res = app.post(&w.volunteer, &path, &day).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "duplicate");
    let mut other = day.clone();
    other["headcount"] = json!(21);
    assert_eq!(app.post(&w.volunteer, &path, &other).await.status(), 409);
    // Bad input and scope.
    let mut bad = free_day(w.site_a2, yesterday, &[w.diner_76], 0);
    bad["headcount"] = json!(0);
    bad["diners"] = json!([]);
    assert_eq!(app.post(&w.volunteer, &path, &bad).await.status(), 422);
    let low = free_day(w.site_a2, yesterday, &[w.diner_76, w.diner_old], 1);
    assert_eq!(app.post(&w.volunteer, &path, &low).await.status(), 422);
    let stranger = free_day(w.site_a2, yesterday, &[w.diner_b], 3);
    assert_eq!(app.post(&w.volunteer, &path, &stranger).await.status(), 422);
    let future = free_day(w.site_a2, today + chrono::Duration::days(2), &[], 3);
    assert_eq!(app.post(&w.volunteer, &path, &future).await.status(), 422);
    let canteen = free_day(w.site_a, yesterday, &[], 3);
    let canteen_path = format!("/api/sites/{}/free-meals", w.site_a);
    assert_eq!(
        app.post(&w.volunteer, &canteen_path, &canteen)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post(&w.admin, &canteen_path, &canteen).await.status(),
        422
    );
    assert_eq!(
        app.post(&w.cashier, &path, &free_day(w.site_a2, yesterday, &[], 3))
            .await
            .status(),
        403
    );
    // A correction by the author: a new version, the old one kept.
    let id = day["id"].as_str().unwrap().to_string();
    let mut fixed = day.clone();
    fixed["headcount"] = json!(22);
    let res = app
        .put(&w.volunteer, &format!("/api/free-meals/{id}"), &fixed)
        .await;
    assert_eq!(res.status(), 200);
    let body = res.json::<Value>().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["version"].as_i64()),
        (Some("corrected"), Some(2))
    );
    let again = app
        .put(&w.volunteer, &format!("/api/free-meals/{id}"), &fixed)
        .await;
    assert_eq!(again.json::<Value>().await.unwrap()["status"], "unchanged");
    let got = app
        .get_ok(&w.volunteer, &format!("/api/free-meals/{id}"))
        .await;
    assert_eq!(got["version"], 2);
    assert_eq!(got["day"]["headcount"], 22);
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    assert_eq!(got["versions"][0]["day"]["headcount"], 20);
    // Another volunteer of the same site may not correct it.
    let other_vol = app
        .post_ok(&app.admin_token, "/api/users", &json!({"username": "volunteer_b2", "display_name": "王", "role": "volunteer", "site_id": w.site_a2, "password": "a-long-test-password"}))
        .await;
    assert!(other_vol["user"]["id"].is_i64());
    let other_token = crate::helpers::login(
        &app.client,
        &app.base,
        "volunteer_b2",
        "a-long-test-password",
    )
    .await;
    assert_eq!(
        app.put(&other_token, &format!("/api/free-meals/{id}"), &fixed)
            .await
            .status(),
        403
    );
    // Days older than 7 days are the administrator's to correct.
    let old = free_day(w.site_a2, today - chrono::Duration::days(10), &[], 5);
    assert_eq!(app.post(&w.volunteer, &path, &old).await.status(), 201);
    let mut old_fixed = old.clone();
    old_fixed["headcount"] = json!(6);
    let old_id = old["id"].as_str().unwrap();
    assert_eq!(
        app.put(
            &w.volunteer,
            &format!("/api/free-meals/{old_id}"),
            &old_fixed
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        app.put(&w.admin, &format!("/api/free-meals/{old_id}"), &old_fixed)
            .await
            .status(),
        200
    );
    // Totals: yesterday's month holds the corrected day (22 people, 45.50).
    let month = yesterday.format("%Y-%m").to_string();
    let s = app
        .get_ok(&w.volunteer, &format!("{path}/summary?month={month}"))
        .await;
    let mut expected_served = 22;
    let mut expected_days = 1;
    if (today - chrono::Duration::days(10))
        .format("%Y-%m")
        .to_string()
        == month
    {
        expected_served += 6;
        expected_days += 1;
    }
    assert_eq!(s["this_month"]["served"], expected_served);
    assert_eq!(s["this_month"]["days"], expected_days);
    assert_eq!(
        s["this_month"]["label"],
        format!("惠及 {expected_served} 人次")
    );
    assert_eq!(s["so_far"]["served"], 28);
    assert_eq!(s["so_far"]["purchases"], "91.00");
    assert_eq!(s["so_far"]["donations"], 2);
    let list = app
        .get_ok(&w.finance, &format!("{path}?month={month}"))
        .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == json!(id) && d["version"] == 2)
    );
    assert_eq!(app.get(&w.cashier, &path).await.status(), 403);
    assert_eq!(app.get(&w.admin_b, &path).await.status(), 404);
    let audit = app.get_ok(&w.admin, "/api/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "free_meal.record").count(),
        2
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "free_meal.correct")
            .count(),
        2
    );
}
on_both!(free_meal_days_recorded_and_corrected, super::free_meal_days);

/// A shift's check as finance reads it (shifts opened yesterday or today).
async fn shift_checked(app: &TestApp, w: &World, shift_id: uuid::Uuid) -> Value {
    let today = crate::helpers::today();
    let from = today - chrono::Duration::days(1);
    let checks = app
        .get_ok(
            &w.finance,
            &format!("/api/sites/{}/shift-check?from={from}&to={today}", w.site_a),
        )
        .await;
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(shift_id.to_string()))
        .unwrap()
        .clone()
}

/// A shift closed with the drawer counted right; a sale of the shift from
/// a terminal that was offline arrives after the close: shown as late, the
/// expected cash and the difference both at the close and now.
async fn shift_check(app: TestApp) {
    let w = world(&app).await;
    let now = Utc::now();
    let shift_id = uuid::Uuid::new_v4();
    app.post_ok(&w.terminal_token, "/api/terminal/shifts", &json!({"id": shift_id, "cashier_id": w.cashier_id, "opened_at": now - chrono::Duration::hours(1), "opening_float": "100.00"}))
        .await;
    let today = crate::helpers::today();
    let early = lunch(
        &w,
        w.terminal_id,
        w.diner_76,
        today,
        600,
        Some("70-79"),
        now - chrono::Duration::minutes(30),
    );
    sell(&app, &w, std::slice::from_ref(&early)).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let closed_at = Utc::now();
    app.post_ok(
        &w.terminal_token,
        &format!("/api/terminal/shifts/{shift_id}/close"),
        &json!({"closed_at": closed_at, "counted_cash": "106.00"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let late = lunch(
        &w,
        w.terminal_id,
        w.diner_old,
        today,
        400,
        Some("80-89"),
        now - chrono::Duration::minutes(20),
    );
    sell(&app, &w, std::slice::from_ref(&late)).await;
    let c = &shift_checked(&app, &w, shift_id).await;
    let from = (today - chrono::Duration::days(1)).to_string();
    assert_eq!(c["at_close"]["expected_cash"], "106.00");
    assert_eq!(c["at_close"]["difference"], "0.00");
    assert_eq!(c["now"]["expected_cash"], "110.00");
    assert_eq!(c["now"]["difference"], "-4.00");
    assert_eq!(c["now"]["sales_count"], 2);
    assert_eq!(c["late"].as_array().unwrap().len(), 1);
    assert_eq!(c["late"][0]["sale_id"], json!(late.id));
    assert_eq!(c["late"][0]["cash"], "4.00");
    assert_eq!(
        app.get(
            &w.cashier,
            &format!("/api/sites/{}/shift-check?from={from}&to={today}", w.site_a)
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.get(
            &w.finance,
            &format!("/api/sites/{}/shift-check?from={today}&to={from}", w.site_a)
        )
        .await
        .status(),
        422
    );
}
on_both!(shift_check_shows_late_arrivals, super::shift_check);

/// A terminal whose clock is an hour slow closes its shift: a sale that
/// reached the backend before the close is counted at the close, though
/// its arrival is after the terminal's closing time; one that reaches the
/// backend after the close is late. Late is by the backend's clock: when
/// it received the close.
async fn shift_late_by_the_backend_clock(app: TestApp) {
    let w = world(&app).await;
    let slow = Utc::now() - chrono::Duration::hours(1);
    let shift_id = uuid::Uuid::new_v4();
    app.post_ok(&w.terminal_token, "/api/terminal/shifts", &json!({"id": shift_id, "cashier_id": w.cashier_id, "opened_at": slow - chrono::Duration::hours(1), "opening_float": "100.00"}))
        .await;
    let today = crate::helpers::today();
    let sold = |diner, paid, bracket, minutes| {
        lunch(
            &w,
            w.terminal_id,
            diner,
            today,
            paid,
            Some(bracket),
            slow - chrono::Duration::minutes(minutes),
        )
    };
    let before = sold(w.diner_76, 600, "70-79", 30);
    sell(&app, &w, std::slice::from_ref(&before)).await;
    let asked = Utc::now();
    app.post_ok(
        &w.terminal_token,
        &format!("/api/terminal/shifts/{shift_id}/close"),
        &json!({"closed_at": slow, "counted_cash": "106.00"}),
    )
    .await;
    let answered = Utc::now();
    let after = sold(w.diner_old, 400, "80-89", 20);
    sell(&app, &w, std::slice::from_ref(&after)).await;
    let c = &shift_checked(&app, &w, shift_id).await;
    let received: DateTime<Utc> = c["close_received_at"].as_str().unwrap().parse().unwrap();
    let closed: DateTime<Utc> = c["closed_at"].as_str().unwrap().parse().unwrap();
    assert!(
        asked - chrono::Duration::milliseconds(1) <= received
            && received <= answered + chrono::Duration::milliseconds(1),
        "{c}"
    );
    assert!(closed < received - chrono::Duration::minutes(59), "{c}");
    assert_eq!(c["at_close"]["sales_count"], 1, "{c}");
    assert_eq!(c["at_close"]["expected_cash"], "106.00");
    assert_eq!(c["at_close"]["difference"], "0.00");
    assert_eq!(c["now"]["expected_cash"], "110.00");
    assert_eq!(c["late"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["late"][0]["sale_id"], json!(after.id));
}
on_both!(
    shift_late_counts_from_when_the_close_arrived,
    super::shift_late_by_the_backend_clock
);

/// Regulars not seen for 3 days are listed with village and last meal;
/// one seen yesterday is not (until the absence asked for is 1 day).
async fn welfare_list(app: TestApp) {
    let w = world(&app).await;
    let today = crate::helpers::today();
    let gone = add_diner(&app, &w, "独居老人", d(1945, 5, 5), json!({})).await;
    let here = add_diner(&app, &w, "常来老人", d(1946, 6, 6), json!({})).await;
    let mut sales = Vec::new();
    for back in 5..=12 {
        let day = today - chrono::Duration::days(back);
        sales.push(lunch(
            &w,
            w.terminal_id,
            gone,
            day,
            600,
            Some("70-79"),
            noon(day),
        ));
    }
    for back in 1..=8 {
        let day = today - chrono::Duration::days(back);
        sales.push(lunch(
            &w,
            w.terminal_id,
            here,
            day,
            600,
            Some("70-79"),
            noon(day),
        ));
    }
    // Only 7 meals: not a regular.
    for back in 5..=11 {
        let day = today - chrono::Duration::days(back);
        sales.push(lunch(
            &w,
            w.terminal_id,
            w.diner_76,
            day,
            600,
            Some("70-79"),
            noon(day),
        ));
    }
    sell(&app, &w, &sales).await;
    let list = app
        .get_ok(
            &w.finance,
            &format!("/api/townships/{}/welfare", w.township_a),
        )
        .await;
    let diners = list["diners"].as_array().unwrap();
    assert_eq!(diners.len(), 1, "{list}");
    assert_eq!(diners[0]["diner_id"], gone);
    assert_eq!(diners[0]["village"], "大寨村");
    assert_eq!(diners[0]["days_absent"], 5);
    assert_eq!(diners[0]["meals_last_30_days"], 8);
    assert_eq!(
        diners[0]["last_meal"],
        json!(today - chrono::Duration::days(5))
    );
    let masked = diners[0]["resident_id_masked"].as_str().unwrap();
    assert!(masked.contains("**********"));
    assert!(!list.to_string().contains("19450505"));
    let list = app
        .get_ok(
            &w.finance,
            &format!("/api/townships/{}/welfare?days=1", w.township_a),
        )
        .await;
    assert_eq!(list["diners"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(
            &w.finance,
            &format!("/api/townships/{}/welfare", w.township_b)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(
            &w.finance,
            &format!("/api/townships/{}/welfare?days=0", w.township_a)
        )
        .await
        .status(),
        422
    );
}
on_both!(welfare_list_of_absent_regulars, super::welfare_list);
