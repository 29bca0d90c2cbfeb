//! The volunteers' pages in Chromium on a 360x740 phone: recording a
//! free-meal day with diners found by pinyin initials, the day in the
//! finance claim and its export, a submit with the server down and again
//! after it is back (one record), a correction, another site's entry, and
//! hostile forms.

use std::time::Duration;

use backend::store::{Actor, DinerFields, NewSite, NewUser, Role, SiteKind};
use canteen_core::{DinerId, SiteId};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::harness::{Backend, Browser, PASSWORD, Screen, Server, shot};
use crate::http::audit;

/// Two diners to find by initials (王建国 wjg, 李秀英 lxy) and one who
/// shares the first initials of one of them (王建华).
async fn seed_roster(server: &Server) -> Vec<DinerId> {
    let diner = |name: &str, card: &str| DinerFields {
        name: name.into(),
        resident_id: None,
        birth_date: NaiveDate::from_ymd_opt(1950, 5, 1),
        village: Some("勐准村".into()),
        card_no: Some(card.into()),
        active_from: NaiveDate::from_ymd_opt(2020, 1, 1),
        inactive_since: None,
        categories: Vec::new(),
    };
    server
        .store
        .insert_diners(
            server.township_id,
            vec![
                diner("王建国", "C0001"),
                diner("李秀英", "C0002"),
                diner("王建华", "C0003"),
            ],
            Actor::system(),
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect()
}

/// Polls a script until it answers `true`.
async fn wait_until(browser: &Browser, js: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if browser.eval(js).await == Value::Bool(true) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            let html = browser.page.content().await.unwrap_or_default();
            panic!("never true: {js}\n{html}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn value(browser: &Browser, selector: &str) -> String {
    browser
        .eval(&format!("document.querySelector('{selector}').value"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Finds a diner with the live search and ticks them.
async fn pick(browser: &Browser, initials: &str, id: DinerId) {
    browser.fill("#q", initials).await;
    let result = format!("#results input[value=\"{}\"]", id.0);
    browser.wait_for(&result).await;
    browser.click(&result).await;
    wait_until(
        browser,
        &format!(
            "!!document.querySelector('#picked input[value=\"{}\"]:checked')",
            id.0
        ),
    )
    .await;
}

async fn stored_days(server: &Server) -> Vec<backend::store::finance::FreeMealRow> {
    server
        .store
        .free_meals_for_site(
            server.site_id,
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
        )
        .await
        .unwrap()
}

async fn api_token(server: &Server, username: &str) -> String {
    let res: Value = reqwest::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["token"].as_str().unwrap().to_string()
}

/// Drafts kept on the phone.
async fn drafts(browser: &Browser) -> u64 {
    browser
        .eval("Object.keys(localStorage).filter(k => k.startsWith('canteen.free-meal.')).length")
        .await
        .as_u64()
        .unwrap()
}

async fn no_wider_than_the_phone(browser: &Browser) {
    let width = browser
        .eval("document.documentElement.scrollWidth")
        .await
        .as_u64()
        .unwrap_or(0);
    assert!(
        width <= 360,
        "the page is {width} px wide on a 360 px phone"
    );
}

async fn records_a_free_meal_day(kind: Backend) {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let Some(server) = Server::start(kind).await else {
        return browser.close().await;
    };
    let ids = seed_roster(&server).await;
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    // The home page offers the volunteer's pages.
    browser.wait_for("#home-links").await;
    let links = browser.text("#home-links").await;
    assert!(
        links.contains("记录免费餐") && links.contains("我的记录和合计"),
        "{links}"
    );
    browser
        .click("#home-links a[href='/volunteer/meals/new']")
        .await;
    browser.wait_for("#meal-form").await;
    assert_eq!(browser.text("#site-name").await, "勐准村幸福公社");
    // Two diners found by their pinyin initials, and three not on the roster.
    pick(&browser, "wjg", ids[0]).await;
    // "wjg" finds 王建国 only, not 王建华.
    pick(&browser, "lxy", ids[1]).await;
    browser.fill("#extra", "3").await;
    browser.fill("#volunteers", "张大妈、李四").await;
    browser.fill("#p0_item", "猪肉").await;
    browser.fill("#p0_qty", "5斤").await;
    browser.fill("#p0_cost", "85.50").await;
    browser.fill("#p0_paid", "村委会").await;
    browser.fill("#d0_item", "青菜").await;
    browser.fill("#d0_qty", "3斤").await;
    browser.fill("#d0_donor", "王奶奶").await;
    no_wider_than_the_phone(&browser).await;
    browser.screenshot(&shot("volunteer-record-phone")).await;
    browser.click("#save").await;
    browser.wait_for("#saved-notice").await;
    assert_eq!(browser.text("#saved-notice").await, "已保存。");
    // In the list and the totals: 2 + 3 people, the purchase, the donation.
    assert_eq!(browser.text("#served-so-far").await, "惠及 5 人次");
    let month = browser.text("#totals-month").await;
    assert!(month.contains('5') && month.contains("85.50"), "{month}");
    let recent = browser.text("#recent").await;
    assert!(
        recent.contains("午餐") && recent.contains("人数 5"),
        "{recent}"
    );
    let items = browser.text("#month-items").await;
    assert!(
        items.contains("猪肉") && items.contains("王奶奶"),
        "{items}"
    );
    assert_eq!(drafts(&browser).await, 0, "the saved form's draft is gone");
    no_wider_than_the_phone(&browser).await;
    browser.screenshot(&shot("volunteer-meals-phone")).await;

    let days = stored_days(&server).await;
    assert_eq!(days.len(), 1);
    let day: canteen_core::FreeMealDay = serde_json::from_str(&days[0].body).unwrap();
    assert_eq!(day.diners, vec![ids[0], ids[1]]);
    assert_eq!(day.headcount, Some(5));
    assert_eq!(day.volunteers, vec!["张大妈", "李四"]);
    assert_eq!(day.purchases[0].cost.to_string(), "85.50");

    // The same day in the finance month view (JSON API) and its export.
    let token = api_token(&server, &server.finance.username).await;
    let ym = day.date.format("%Y-%m").to_string();
    let http = reqwest::Client::new();
    let claim: Value = http
        .get(server.url(&format!("/api/sites/{}/claims/{ym}", server.site_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(claim["free_meals_served"], 5, "{claim}");
    let xlsx = http
        .get(server.url(&format!(
            "/api/sites/{}/claims/{ym}/export/xlsx",
            server.site_id
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let cells = xlsx_text(&bytes);
    let at = cells
        .iter()
        .position(|c| c == "志愿者免费餐（人次）")
        .expect("the free meals' row in the export");
    assert_eq!(cells[at + 1], "5", "{cells:?}");
    browser.close().await;
    server.finish().await;
}

/// Every cell of every sheet, as text, row by row.
fn xlsx_text(bytes: &[u8]) -> Vec<String> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                out.push(cell.to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_volunteer_records_a_free_meal_day_on_a_phone_sqlite() {
    records_a_free_meal_day(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_volunteer_records_a_free_meal_day_on_a_phone_postgres() {
    records_a_free_meal_day(Backend::Postgres).await;
}

#[tokio::test]
async fn a_form_sent_with_the_server_down_keeps_what_was_typed_and_records_once() {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let Some(mut server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    let ids = seed_roster(&server).await;
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;
    let client_id = value(&browser, "#client_id").await;
    pick(&browser, "wjg", ids[0]).await;
    browser.fill("#extra", "2").await;
    browser.fill("#volunteers", "赵阿姨").await;
    browser.fill("#p0_item", "大米").await;
    browser.fill("#p0_cost", "40").await;

    // No server: the page stays, says so, and keeps everything.
    server.stop().await;
    browser.click("#save").await;
    wait_until(&browser, "!document.querySelector('#offline-error').hidden").await;
    assert!(
        browser
            .text("#offline-error")
            .await
            .contains("没有提交成功")
    );
    browser.screenshot(&shot("volunteer-offline-phone")).await;
    assert_eq!(value(&browser, "#extra").await, "2");
    assert_eq!(value(&browser, "#p0_item").await, "大米");
    assert_eq!(drafts(&browser).await, 1);

    // The server is back; the phone reloads the form: a new form, but what
    // was typed comes back from the phone, with the same id.
    server.restart().await;
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;
    wait_until(
        &browser,
        "!document.querySelector('#draft-restored').hidden",
    )
    .await;
    assert_eq!(value(&browser, "#client_id").await, client_id);
    assert_eq!(value(&browser, "#extra").await, "2");
    assert_eq!(value(&browser, "#volunteers").await, "赵阿姨");
    assert_eq!(value(&browser, "#p0_item").await, "大米");
    assert_eq!(value(&browser, "#p0_cost").await, "40");
    let picked = format!("#picked input[value=\"{}\"]:checked", ids[0].0);
    assert!(browser.has(&picked).await, "the diner picked is back");
    // The form as it will be sent, to send it once more afterwards.
    let body = browser
        .eval("new URLSearchParams([...new FormData(document.querySelector('#meal-form')), ['op', 'save']]).toString()")
        .await;
    browser.click("#save").await;
    browser.wait_for("#saved-notice").await;
    assert_eq!(stored_days(&server).await.len(), 1);
    assert_eq!(drafts(&browser).await, 0);

    // The same form sent again (an answer that never arrived): still one.
    let again = browser
        .eval(&format!(
            "fetch('/volunteer/meals/new', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: {body}}}).then(r => r.url)",
        ))
        .await;
    assert!(
        again.as_str().unwrap().contains("status=duplicate"),
        "{again}"
    );
    let days = stored_days(&server).await;
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].id.to_string(), client_id);
    let day: canteen_core::FreeMealDay = serde_json::from_str(&days[0].body).unwrap();
    assert_eq!(day.headcount, Some(3));
    browser.close().await;
    server.finish().await;
}

/// A second commune site of the township with its own volunteer.
async fn other_site(server: &Server) -> (SiteId, String) {
    let site = server
        .store
        .insert_site(
            NewSite {
                township_id: server.township_id,
                name: "芒回村幸福公社".into(),
                kind: SiteKind::Commune,
                utc_offset_minutes: 480,
            },
            audit(),
        )
        .await
        .unwrap();
    server
        .store
        .insert_user(
            NewUser {
                username: "vol2".into(),
                display_name: "赵二".into(),
                role: Role::Volunteer,
                township_id: Some(server.township_id),
                site_id: Some(site.id),
                password_hash: backend::auth::hash_password(PASSWORD).unwrap(),
                must_change_password: false,
            },
            audit(),
        )
        .await
        .unwrap();
    (site.id, "vol2".into())
}

#[tokio::test]
async fn a_volunteer_corrects_their_entry_but_not_another_sites() {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let Some(server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    seed_roster(&server).await;
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.fill("#extra", "4").await;
    browser.click("#save").await;
    browser.wait_for("#saved-notice").await;
    assert_eq!(browser.text("#served-so-far").await, "惠及 4 人次");

    // Open it from the list: the form, filled in; a headcount corrected.
    browser.click("#recent a").await;
    browser.wait_for("#meal-form").await;
    assert_eq!(browser.text("h1").await, "更正免费餐记录");
    assert_eq!(value(&browser, "#extra").await, "4");
    browser.fill("#extra", "7").await;
    browser.fill("#d0_item", "鸡蛋").await;
    browser.fill("#d0_qty", "30个").await;
    browser.click("#save").await;
    browser.wait_for("#saved-notice").await;
    assert_eq!(
        browser.text("#saved-notice").await,
        "已更正，保存为新版本。"
    );
    assert_eq!(browser.text("#served-so-far").await, "惠及 7 人次");
    assert!(browser.text("#recent").await.contains("版本 2"));
    let days = stored_days(&server).await;
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].version, 2);
    let versions = server.store.free_meal_versions(days[0].id).await.unwrap();
    assert_eq!(versions.len(), 2, "the first version is kept");

    // Another site's day, recorded through the JSON API by its volunteer.
    let (site2, vol2) = other_site(&server).await;
    let token = api_token(&server, &vol2).await;
    let other_id = uuid::Uuid::new_v4();
    let today = days[0].date;
    let res = reqwest::Client::new()
        .post(server.url(&format!("/api/sites/{site2}/free-meals")))
        .bearer_auth(&token)
        .json(&json!({"id": other_id, "site_id": site2.0, "date": today, "slot": "dinner", "headcount": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    browser
        .goto(&server.url(&format!("/volunteer/meals/{other_id}")))
        .await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 403);
    assert!(browser.text("#error-message").await.contains("别的站点"));
    // A correction posted to it, with this volunteer's valid token: 403.
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;
    let status = browser
        .eval(&format!(
            "(() => {{ const f = new FormData(document.querySelector('#meal-form')); f.set('extra', '1'); f.set('op', 'save'); \
             return fetch('/volunteer/meals/{other_id}', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: new URLSearchParams(f).toString()}}).then(r => r.status); }})()"
        ))
        .await;
    assert_eq!(status, 403);
    let other = server
        .store
        .free_meal_versions(canteen_core::FreeMealId(other_id))
        .await
        .unwrap();
    assert_eq!(other.len(), 1, "another site's day is unchanged");
    // Another volunteer of this site: their day can be seen, not corrected.
    server
        .store
        .insert_user(
            NewUser {
                username: "vol3".into(),
                display_name: "钱三".into(),
                role: Role::Volunteer,
                township_id: Some(server.township_id),
                site_id: Some(server.site_id),
                password_hash: backend::auth::hash_password(PASSWORD).unwrap(),
                must_change_password: false,
            },
            audit(),
        )
        .await
        .unwrap();
    let token3 = api_token(&server, "vol3").await;
    let theirs = uuid::Uuid::new_v4();
    let res = reqwest::Client::new()
        .post(server.url(&format!("/api/sites/{}/free-meals", server.site_id)))
        .bearer_auth(&token3)
        .json(&json!({"id": theirs, "site_id": server.site_id.0, "date": today, "slot": "breakfast", "headcount": 2, "volunteers": ["钱三"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    browser
        .goto(&server.url(&format!("/volunteer/meals/{theirs}")))
        .await;
    browser.wait_for("#why-read-only").await;
    assert_eq!(browser.status().await, 200);
    assert!(
        browser
            .text("#why-read-only")
            .await
            .contains("只有记录这一天的志愿者")
    );
    assert!(browser.text("#meal-facts").await.contains("钱三"));
    assert!(!browser.has("#meal-form").await);
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;
    let status = browser
        .eval(&format!(
            "(() => {{ const f = new FormData(document.querySelector('#meal-form')); f.set('extra', '1'); f.set('op', 'save'); \
             return fetch('/volunteer/meals/{theirs}', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: new URLSearchParams(f).toString()}}).then(r => r.status); }})()"
        ))
        .await;
    assert_eq!(status, 403);
    let kept = server
        .store
        .free_meal_versions(canteen_core::FreeMealId(theirs))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    // Another site's day does not count in this site's totals; theirs does.
    browser.goto(&server.url("/volunteer/meals")).await;
    assert_eq!(browser.text("#served-so-far").await, "惠及 9 人次");
    // Only the volunteer's own days are in their list.
    assert_eq!(
        browser
            .eval("document.querySelectorAll('#recent li').length")
            .await,
        1
    );
    browser.close().await;
    server.finish().await;
}

/// Posts the current form with changes, from the page; answers status and
/// the answer's text.
async fn post_form(browser: &Browser, path: &str, set: &str) -> (u64, String) {
    let answer = browser
        .eval(&format!(
            "(() => {{ const f = new FormData(document.querySelector('#meal-form')); {set}; \
             return fetch('{path}', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: new URLSearchParams(f).toString()}}) \
             .then(async r => [r.status, await r.text()]); }})()"
        ))
        .await;
    (
        answer[0].as_u64().unwrap(),
        answer[1].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn hostile_free_meal_forms_are_refused_with_the_reason_by_the_field() {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let Some(server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    let ids = seed_roster(&server).await;
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;

    // Nobody ate: refused, the reason by the field, what was typed kept.
    browser.fill("#volunteers", "张大妈").await;
    browser.click("#save").await;
    browser.wait_for("#nobody-error").await;
    assert_eq!(value(&browser, "#volunteers").await, "张大妈");
    browser.screenshot(&shot("volunteer-refused-phone")).await;

    let path = "/volunteer/meals/new";
    let cases: &[(&str, &str)] = &[
        // A control character in a name.
        (
            "f.set('extra', '2'); f.set('volunteers', '张\\u0007三')",
            "volunteers-error",
        ),
        // A date in the future, and one that is no date.
        (
            "f.set('extra', '2'); f.set('date', '2999-01-01')",
            "date-error",
        ),
        (
            "f.set('extra', '2'); f.set('date', '2026-02-30')",
            "date-error",
        ),
        ("f.set('extra', '2'); f.set('slot', 'supper')", "slot-error"),
        ("f.set('extra', '-1')", "extra-error"),
        ("f.set('extra', '99999999999')", "extra-error"),
        // A purchase without a cost, with a negative one, with ¥, too long.
        ("f.set('extra', '2'); f.set('p0_item', '油')", "p0-error"),
        (
            "f.set('extra', '2'); f.set('p0_item', '油'); f.set('p0_cost', '-3')",
            "p0-error",
        ),
        (
            "f.set('extra', '2'); f.set('p0_item', '油'); f.set('p0_cost', '¥3')",
            "p0-error",
        ),
        (
            "f.set('extra', '2'); f.set('p0_item', '油'.repeat(101)); f.set('p0_cost', '3')",
            "p0-error",
        ),
        ("f.set('extra', '2'); f.set('d0_qty', '3斤')", "d0-error"),
        // More rows than a day takes.
        (
            "f.set('extra', '2'); f.set('p250_item', '油')",
            "rows-error",
        ),
    ];
    for (set, error) in cases {
        let (status, html) = post_form(&browser, path, set).await;
        assert_eq!(status, 422, "{set}");
        assert!(
            html.contains(&format!("id=\"{error}\"")),
            "{set}: no {error}"
        );
    }
    // A diner not on the roster (or not a number) is dropped, not stored.
    let (status, _) = post_form(
        &browser,
        path,
        "f.set('extra', '0'); f.append('diner', '999999'); f.append('diner', 'x')",
    )
    .await;
    assert_eq!(status, 422);
    // No CSRF token: refused, nothing stored.
    let (status, _) = post_form(&browser, path, "f.set('extra', '2'); f.delete('csrf')").await;
    assert_eq!(status, 403);
    // A body beyond the limit: a page saying so.
    let (status, html) = post_form(
        &browser,
        path,
        "f.set('extra', '2'); f.set('volunteers', 'x'.repeat(2200000))",
    )
    .await;
    assert_eq!(status, 413);
    assert!(html.contains("太大"));
    // A form id that is no UUID (or the nil one).
    let (status, _) = post_form(
        &browser,
        path,
        "f.set('extra', '2'); f.set('client_id', 'x')",
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post_form(
        &browser,
        path,
        "f.set('extra', '2'); f.set('client_id', '00000000-0000-0000-0000-000000000000')",
    )
    .await;
    assert_eq!(status, 400);
    assert!(stored_days(&server).await.is_empty());
    // The same id with other content: a conflict, not a second record.
    let (status, _) = post_form(&browser, path, "f.set('extra', '2'); f.set('op', 'save')").await;
    assert_eq!(status, 200);
    let (status, html) =
        post_form(&browser, path, "f.set('extra', '5'); f.set('op', 'save')").await;
    assert_eq!(status, 409);
    assert!(html.contains("我的记录和合计"));
    assert_eq!(stored_days(&server).await.len(), 1);
    // Without a script: the server searches and keeps what was typed.
    let (status, html) = post_form(
        &browser,
        path,
        &format!(
            "f.set('op', 'search'); f.set('q', 'wj'); f.set('extra', '6'); f.append('diner', '{}')",
            ids[1].0
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("王建国") && html.contains("王建华"), "{html}");
    assert!(html.contains(&format!("value=\"{}\" checked", ids[1].0)));
    assert!(html.contains("value=\"6\""));
    // Without a script: "add a row" comes back with one more of each.
    let (status, html) = post_form(
        &browser,
        path,
        "f.set('op', 'rows'); f.set('p0_item', '油'); f.set('p1_item', '盐')",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"p3_item\"") && !html.contains("name=\"p4_item\""));
    assert!(html.contains("value=\"盐\""));
    // The live search's answers are a volunteer's only, and never an ID.
    let found = browser
        .eval("fetch('/volunteer/roster?q=C0002').then(r => r.json())")
        .await;
    assert_eq!(found[0]["id"], ids[1].0);
    assert_eq!(found[0]["label"], "李秀英 · 勐准村 · C0002");
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn finance_staff_and_administrators_get_403_on_volunteer_pages() {
    let Some(browser) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    let Some(server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    browser
        .sign_in(&server, &server.finance.username, PASSWORD)
        .await;
    for path in [
        "/volunteer/meals/new",
        "/volunteer/meals",
        "/volunteer/roster?q=w",
    ] {
        browser.goto(&server.url(path)).await;
        browser.wait_for("#error-message").await;
        assert_eq!(browser.status().await, 403, "{path}");
    }
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn the_volunteer_pages_on_a_desktop_and_in_english() {
    let Some(browser) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    let Some(server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    let ids = seed_roster(&server).await;
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.goto(&server.url("/volunteer/meals/new")).await;
    browser.wait_for("#meal-form").await;
    pick(&browser, "wj", ids[0]).await;
    browser.fill("#q", "wj").await;
    browser.wait_for("#results .pick").await;
    browser.fill("#extra", "12").await;
    browser.fill("#volunteers", "张大妈、李四").await;
    browser.fill("#p0_item", "猪肉").await;
    browser.fill("#p0_cost", "85.50").await;
    browser.screenshot(&shot("volunteer-record-desktop")).await;
    browser.click("#save").await;
    browser.wait_for("#saved-notice").await;
    browser.screenshot(&shot("volunteer-meals-desktop")).await;
    // Every word in English too.
    browser.click("#lang-switch").await;
    browser.wait_for("#saved-marker").await;
    assert_eq!(browser.text("h1").await, "My entries and totals");
    assert_eq!(browser.text("#served-so-far").await, "Served 13 people");
    browser.click("#recent a").await;
    browser.wait_for("#meal-form").await;
    assert_eq!(browser.text("h1").await, "Correct a free-meal entry");
    assert!(browser.text("#diners").await.contains("Picked"));
    browser.close().await;
    server.finish().await;
}
