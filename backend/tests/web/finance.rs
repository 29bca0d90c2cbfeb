//! Finance staff's pages in Chromium and over plain HTTP: a seeded month
//! (sales from two terminals, a free-meal day, a shift with a late sale,
//! regulars for the welfare list) made through the JSON API, then the
//! month view checked against the API's figures, a flag decided with a
//! comment, the month closed, the XLSX fetched with the page session and
//! read back; scope and roles; hostile forms.

use std::io::Cursor;

use calamine::{DataType, Reader, Xlsx};
use canteen_core::resident_id::check_character;
use canteen_core::{DinerId, Money, Payment, Sale, SaleId, SaleLine, SiteId, Slot, TerminalId};
use canteen_core::{UserId, YearMonth};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Backend, Browser, PASSWORD, Screen, Server, shot};

/// The seeded month: October 2026, over and not closed.
const MONTH: &str = "2026-10";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Noon in Beijing of a date.
fn noon(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(4, 0, 0).unwrap())
}

fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

fn resident_id(birth: NaiveDate, seq: u32) -> String {
    let first17 = format!("530922{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", check_character(&bytes))
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The JSON API, with a bearer token.
struct Api {
    base: String,
    token: String,
}

impl Api {
    async fn login(server: &Server, username: &str) -> Api {
        let res = client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login {username}");
        let body: Value = res.json().await.unwrap();
        Api {
            base: server.base.clone(),
            token: body["token"].as_str().unwrap().to_string(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Value {
        let res = req.bearer_auth(&self.token).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(client().post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.send(client().get(format!("{}{path}", self.base)))
            .await
    }
}

/// What the seed made.
struct Seeded {
    canteen: i64,
    /// Claimed first: the lunch of 王秀英 on 3 October.
    first_sale: SaleId,
    /// Flagged: the same lunch sold again on a second terminal.
    second_sale: SaleId,
    /// Flagged: 李桂兰's breakfast on 2 October, after a free breakfast.
    free_meal_sale: SaleId,
    /// A lunch of 王秀英 on 6 October, not yet posted (a terminal offline).
    late_lunch: Sale,
    /// The first terminal's token.
    terminal_token: String,
}

/// Where a sale is made: site, terminal, cashier.
#[derive(Clone, Copy)]
struct Till {
    site: i64,
    terminal: i64,
    cashier: i64,
}

fn meal(
    till: Till,
    diner: i64,
    date: NaiveDate,
    slot: Slot,
    (standard, paid): (i64, i64),
    bracket: &str,
    sold_at: DateTime<Utc>,
) -> Sale {
    Sale {
        id: SaleId::new_random(),
        site_id: SiteId(till.site),
        terminal_id: TerminalId(till.terminal),
        cashier_id: UserId(till.cashier),
        sold_at,
        business_date: date,
        slot,
        lines: vec![SaleLine::DinerMeal {
            diner_id: DinerId(diner),
            standard: Money::from_fen(standard),
            paid: Money::from_fen(paid),
            subsidy: Money::from_fen(standard - paid),
            bracket: Some(bracket.into()),
            category: None,
        }],
        payment: Payment::Cash {
            tendered: Money::from_fen(paid),
            change: Money::ZERO,
        },
    }
}

/// A canteen with the policy of the API tests (lunch 12.00: 70-79 pays
/// 6.00; breakfast 5.00: 90+ pays 0.00), three diners, two terminals, a
/// cashier; October's sales with a duplicate and a free-meal clash; a
/// shift today closed 1.00 short with a sale arriving after its close;
/// 张玉珍 a regular not seen for 8 days.
async fn seed(server: &Server) -> Seeded {
    let admin = Api::login(server, &server.admin.username).await;
    let tw = server.township_id.0;
    let canteen = admin
        .post(
            "/api/sites",
            json!({"township_id": tw, "name": "大寨幸福食堂", "kind": "canteen"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let p = |b: &str, l: &str, dn: &str| json!({"breakfast": b, "lunch": l, "dinner": dn});
    admin
        .post(
            &format!("/api/sites/{canteen}/policies"),
            json!({
                "site_id": canteen, "effective_from": "2020-01-01",
                "standard": p("5.00", "12.00", "10.00"),
                "brackets": [
                    {"name": "65-69", "min_age": 65, "max_age": 69, "prices": p("4.00", "8.00", "7.00")},
                    {"name": "70-79", "min_age": 70, "max_age": 79, "prices": p("3.00", "6.00", "5.00")},
                    {"name": "80-89", "min_age": 80, "max_age": 89, "prices": p("2.00", "4.00", "3.00")},
                    {"name": "90+", "min_age": 90, "prices": p("0.00", "0.00", "0.00")}
                ],
                "categories": [], "funding": []
            }),
        )
        .await;
    let diner = async |name: &str, birth: NaiveDate, seq: u32| {
        admin
            .post(
                &format!("/api/townships/{tw}/diners"),
                json!({"name": name, "resident_id": resident_id(birth, seq),
                       "village": "大寨村", "active_from": "2020-01-01"}),
            )
            .await["id"]
            .as_i64()
            .unwrap()
    };
    let wang = diner("王秀英", d(1950, 1, 10), 1).await;
    let li = diner("李桂兰", d(1930, 3, 1), 2).await;
    let zhang = diner("张玉珍", d(1952, 6, 6), 3).await;
    let terminal = async |name: &str| {
        let t = admin
            .post(
                &format!("/api/sites/{canteen}/terminals"),
                json!({"name": name}),
            )
            .await;
        (
            t["terminal"]["id"].as_i64().unwrap(),
            t["token"].as_str().unwrap().to_string(),
        )
    };
    let (t1, t1_token) = terminal("一号机").await;
    let (t2, t2_token) = terminal("二号机").await;
    let cashier = admin
        .post(
            "/api/users",
            json!({"username": "cashier1", "display_name": "赵收银", "role": "cashier",
                   "township_id": tw, "site_id": canteen, "password": PASSWORD}),
        )
        .await["user"]["id"]
        .as_i64()
        .unwrap();
    let post_sales = async |token: &str, sales: &[Sale]| {
        let res = client()
            .post(server.url("/api/terminal/sales"))
            .bearer_auth(token)
            .json(&json!({ "sales": sales }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    };
    let lunch = |terminal: i64, diner: i64, date: NaiveDate, sold_at: DateTime<Utc>| {
        meal(
            Till {
                site: canteen,
                terminal,
                cashier,
            },
            diner,
            date,
            Slot::Lunch,
            (1200, 600),
            "70-79",
            sold_at,
        )
    };
    // October: 王秀英 lunches on the 1st to the 5th; the 3rd again on the
    // second terminal, five minutes later; 李桂兰's breakfast on the 2nd.
    let mut october: Vec<Sale> = (1..=5)
        .map(|day| lunch(t1, wang, d(2026, 10, day), noon(d(2026, 10, day))))
        .collect();
    let first_sale = october[2].id;
    let again = lunch(
        t2,
        wang,
        d(2026, 10, 3),
        noon(d(2026, 10, 3)) + Duration::minutes(5),
    );
    let second_sale = again.id;
    let breakfast = meal(
        Till {
            site: canteen,
            terminal: t1,
            cashier,
        },
        li,
        d(2026, 10, 2),
        Slot::Breakfast,
        (500, 0),
        "90+",
        noon(d(2026, 10, 2)) - Duration::hours(4),
    );
    let free_meal_sale = breakfast.id;
    october.push(breakfast);
    post_sales(&t1_token, &october).await;
    post_sales(&t2_token, &[again]).await;
    // The same morning 李桂兰 ate a free breakfast at the village commune.
    admin
        .post(
            &format!("/api/sites/{}/free-meals", server.site_id.0),
            json!({"id": uuid::Uuid::new_v4(), "site_id": server.site_id.0,
                   "date": "2026-10-02", "slot": "breakfast", "diners": [li],
                   "headcount": 11, "volunteers": ["张大妈"],
                   "purchases": [{"item": "米", "quantity": "10斤", "cost": "30.00", "paid_by": "村委会"}],
                   "donations": [{"item": "青菜", "quantity": "5斤", "donor": "李家"}]}),
        )
        .await;
    // 张玉珍 ate lunch on 8 days, the last 8 days ago: a regular not seen.
    let regular: Vec<Sale> = (8..16)
        .map(|back| {
            let day = today() - Duration::days(back);
            lunch(t1, zhang, day, noon(day))
        })
        .collect();
    post_sales(&t1_token, &regular).await;
    // A shift today: float 100.00, one lunch (6.00) in cash, 105.00
    // counted at the close (1.00 short); then a lunch sold during the
    // shift arrives after the close (a terminal that was offline).
    let now = Utc::now();
    let shift = uuid::Uuid::new_v4();
    let terminal_api = Api {
        base: server.base.clone(),
        token: t1_token.clone(),
    };
    terminal_api
        .post(
            "/api/terminal/shifts",
            json!({"id": shift, "cashier_id": cashier,
                   "opened_at": now - Duration::hours(1), "opening_float": "100.00"}),
        )
        .await;
    post_sales(
        &t1_token,
        &[lunch(t1, wang, today(), now - Duration::minutes(30))],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    terminal_api
        .post(
            &format!("/api/terminal/shifts/{shift}/close"),
            json!({"closed_at": Utc::now(), "counted_cash": "105.00"}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    post_sales(
        &t1_token,
        &[lunch(t1, li, today(), now - Duration::minutes(20))],
    )
    .await;
    Seeded {
        canteen,
        first_sale,
        second_sale,
        free_meal_sale,
        late_lunch: lunch(t1, wang, d(2026, 10, 6), noon(d(2026, 10, 6))),
        terminal_token: t1_token,
    }
}

/// The figures of a totals row on the page: meals, standard, paid, subsidy.
async fn row(browser: &Browser, selector: &str) -> Vec<String> {
    let js = format!(
        "[...document.querySelectorAll({})].slice(0, 4).map(e => e.innerText.trim())",
        serde_json::to_string(&format!("{selector} td")).unwrap()
    );
    browser
        .eval(&js)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn api_row(t: &Value) -> Vec<String> {
    vec![
        t["meals"].as_i64().unwrap().to_string(),
        t["standard"].as_str().unwrap().to_string(),
        t["paid"].as_str().unwrap().to_string(),
        t["subsidy"].as_str().unwrap().to_string(),
    ]
}

/// The session cookie of the browser (HttpOnly: read over the DevTools
/// protocol, as a download would send it).
async fn session_cookie(browser: &Browser) -> String {
    let cookies = browser.page.get_cookies().await.unwrap();
    let c = cookies
        .iter()
        .find(|c| c.name == "canteen_session")
        .expect("a session cookie");
    format!("canteen_session={}", c.value)
}

async fn finance_month_decide_close_and_download(kind: Backend) {
    let Some(browser) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    let Some(server) = Server::start(kind).await else {
        return browser.close().await;
    };
    let seeded = seed(&server).await;
    let api = Api::login(&server, &server.finance.username).await;
    browser
        .sign_in(&server, &server.finance.username, PASSWORD)
        .await;
    // The home and the nav list the finance pages.
    browser.wait_for("#home-links").await;
    for href in ["/finance/claims", "/finance/shifts", "/finance/welfare"] {
        assert!(
            browser.has(&format!("nav a[href='{href}']")).await,
            "{href} in the nav"
        );
        assert!(browser.has(&format!("#home-links a[href='{href}']")).await);
    }
    // The township's month, by the month picker.
    browser.click("#home-links a[href='/finance/claims']").await;
    browser.wait_for("#month-picker").await;
    browser
        .eval(&format!(
            "document.querySelector('#month').value = '{MONTH}'; document.querySelector('#month-picker').submit()"
        ))
        .await;
    browser.wait_for("#sites").await;
    assert_eq!(browser.text("#month-shown").await, MONTH);
    let township = api
        .get(&format!(
            "/api/townships/{}/claims/{MONTH}",
            server.township_id.0
        ))
        .await;
    assert_eq!(
        row(&browser, "#total-row").await,
        api_row(&township["totals"]["total"])
    );
    browser.screenshot(&shot("finance-township-desktop")).await;
    // The canteen's month: its totals are the API's, by slot too.
    browser
        .click(&format!(
            "a.site-link[href^='/finance/sites/{}?']",
            seeded.canteen
        ))
        .await;
    browser.wait_for("#flags-title").await;
    let claim = api
        .get(&format!("/api/sites/{}/claims/{MONTH}", seeded.canteen))
        .await;
    let total = row(&browser, "#total-row").await;
    assert_eq!(total, api_row(&claim["totals"]["total"]));
    assert_eq!(total, ["5", "60.00", "30.00", "30.00"]);
    assert!(browser.text("#total-row").await.contains("相符"));
    for (slot, label) in [("lunch", "午餐"), ("breakfast", "早餐")] {
        if let Some(t) = claim["totals"]["by_slot"].get(slot) {
            let page = row(&browser, &format!("#by-slot tr[data-key='{label}']")).await;
            assert_eq!(page, api_row(t), "{slot}");
        }
    }
    // The chart: one bar per day of October, the meals of each day.
    let bars = browser
        .eval("[...document.querySelectorAll('#chart rect.bar')].map(r => +r.dataset.meals)")
        .await;
    let bars: Vec<i64> = bars
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(bars.len(), 31);
    assert_eq!(&bars[..6], [1, 1, 1, 1, 1, 0]);
    // Free meals of the month: none at the canteen.
    assert_eq!(browser.text("#free-meals").await, "0");
    // Flags with their evidence: the sale claimed instead, the free-meal day.
    let second = format!("#flag-{}-0", seeded.second_sale);
    let evidence = browser.text(&second).await;
    assert!(
        evidence.contains(&seeded.first_sale.to_string()[..8])
            && evidence.contains("2026-10-03 12:00")
            && evidence.contains("76"),
        "{evidence}"
    );
    let free = format!("#flag-{}-0", seeded.free_meal_sale);
    let evidence = browser.text(&free).await;
    assert!(
        evidence.contains("勐准村幸福公社 2026-10-02") && evidence.contains("96"),
        "{evidence}"
    );
    browser.screenshot(&shot("finance-month-desktop")).await;

    // Closing with flags undecided: refused with the reason.
    browser.click("#close-month").await;
    let refusal = browser.text("#close-error").await;
    assert_eq!(browser.status().await, 422);
    assert!(
        refusal.contains("还有标记未审核") && refusal.ends_with('2'),
        "{refusal}"
    );
    // A decision without a comment: refused beside its form.
    browser
        .click(&format!("{second} button[value=reject]"))
        .await;
    let error = browser.text(&format!("{second} .field-error")).await;
    assert_eq!(error, "请填写审核意见。");
    assert_eq!(browser.status().await, 422);
    // Rejected with a comment, then the other accepted.
    browser
        .fill(
            &format!("{second} input[name=comment]"),
            "两台机器离线重复收费",
        )
        .await;
    browser
        .click(&format!("{second} button[value=reject]"))
        .await;
    browser.wait_for(&format!("{second} .decision")).await;
    assert!(browser.text(&second).await.contains("已驳回"));
    browser
        .fill(
            &format!("{free} input[name=comment]"),
            "免费餐登记有误，核准",
        )
        .await;
    browser.click(&format!("{free} button[value=accept]")).await;
    browser.wait_for(&format!("{free} .decision")).await;
    assert!(browser.text(&free).await.contains("已核准"));
    let claim = api
        .get(&format!("/api/sites/{}/claims/{MONTH}", seeded.canteen))
        .await;
    assert_eq!(claim["undecided"], 0);
    let comments: Vec<&str> = claim["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["decision"]["comment"].as_str().unwrap())
        .collect();
    assert!(comments.contains(&"两台机器离线重复收费"), "{comments:?}");
    assert_eq!(
        row(&browser, "#total-row").await,
        api_row(&claim["totals"]["total"])
    );
    // Audited by the service.
    let admin = Api::login(&server, &server.admin.username).await;
    let audit = admin.get("/api/audit?limit=50").await;
    let decided = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "claim.decide")
        .count();
    assert_eq!(decided, 2, "{audit}");

    // Closed: the status says so and the forms are gone.
    browser.click("#close-month").await;
    browser.wait_for("#status-closed").await;
    assert!(!browser.has("#close-form").await);
    assert!(!browser.has("form.decide").await);
    let claim = api
        .get(&format!("/api/sites/{}/claims/{MONTH}", seeded.canteen))
        .await;
    assert_eq!(claim["status"], "closed");

    // The XLSX, fetched with the page session, read back.
    let href = browser
        .eval("document.querySelector('#export-xlsx').getAttribute('href')")
        .await;
    let href = href.as_str().unwrap().to_string();
    let cookie = session_cookie(&browser).await;
    let res = client()
        .get(server.url(&href))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = res.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names()[0], "汇总");
    let details = book.worksheet_range("明细").unwrap();
    let subsidies: f64 = details
        .rows()
        .skip(1)
        // Lines only (each starts with its date), not the sum at the end.
        .filter(|r| {
            r.first()
                .and_then(|c| c.get_string())
                .is_some_and(|t| t.starts_with("2026-"))
        })
        .filter_map(|r| r.get(7).and_then(|c| c.get_float()))
        .sum();
    let claimed: f64 = claim["totals"]["total"]["subsidy"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (subsidies - claimed).abs() < 0.001,
        "{subsidies} vs {claimed}"
    );
    // The same bytes as the API's export.
    let from_api = client()
        .get(server.url(&format!(
            "/api/sites/{}/claims/{MONTH}/export/xlsx",
            seeded.canteen
        )))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(from_api, bytes);
    // CSV and the printable form too; without the cookie: the login page.
    for format in ["csv", "html"] {
        let path = href.replace("/xlsx?", &format!("/{format}?"));
        let res = client()
            .get(server.url(&path))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{format}");
        let res = client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{format}");
        assert!(
            res.headers()[LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    browser
        .screenshot(&shot("finance-month-closed-desktop"))
        .await;

    // A lunch of 6 October arrives after the close: a late adjustment of
    // November, shown as such; October's figures do not move.
    let res = client()
        .post(server.url("/api/terminal/sales"))
        .bearer_auth(&seeded.terminal_token)
        .json(&json!({ "sales": [&seeded.late_lunch] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    browser.click("#next-month").await;
    browser.wait_for("#late").await;
    let late = browser.text("#late").await;
    assert!(
        late.contains("迟到补报") && late.contains("2026-10-06"),
        "{late}"
    );
    let november = api
        .get(&format!("/api/sites/{}/claims/2026-11", seeded.canteen))
        .await;
    let adjustments = row(&browser, "#totals tbody tr:nth-child(2)").await;
    assert_eq!(adjustments, api_row(&november["totals"]["adjustments"]));
    assert_eq!(adjustments, ["1", "12.00", "6.00", "6.00"]);
    browser.click("#prev-month").await;
    browser.wait_for("#status-closed").await;
    assert_eq!(
        row(&browser, "#total-row").await,
        api_row(&claim["totals"]["total"])
    );
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn finance_sees_the_month_decides_closes_and_downloads_sqlite() {
    finance_month_decide_close_and_download(Backend::Sqlite).await;
}

#[tokio::test]
async fn finance_sees_the_month_decides_closes_and_downloads_postgres() {
    finance_month_decide_close_and_download(Backend::Postgres).await;
}

/// Nothing on the page is wider than the phone.
async fn fits_the_phone(browser: &Browser) {
    let width = browser
        .eval("document.documentElement.scrollWidth")
        .await
        .as_u64()
        .unwrap();
    assert!(width <= 360, "the page is {width} px wide");
}

#[tokio::test]
async fn the_finance_pages_fit_a_phone_shifts_and_welfare() {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let seeded = seed(&server).await;
    browser
        .sign_in(&server, &server.finance.username, PASSWORD)
        .await;
    browser
        .goto(&server.url(&format!("/finance/sites/{}?month={MONTH}", seeded.canteen)))
        .await;
    browser.wait_for("#flags-title").await;
    fits_the_phone(&browser).await;
    browser.screenshot(&shot("finance-month-phone")).await;

    // Shifts: 1.00 short at the close, highlighted; the late sale listed,
    // and the difference now counts it.
    browser
        .goto(&server.url(&format!("/finance/shifts?site={}", seeded.canteen)))
        .await;
    browser.wait_for("#shifts").await;
    let diffs = browser
        .eval("[...document.querySelectorAll('#shifts td.diff')].map(e => e.innerText.trim())")
        .await;
    assert_eq!(diffs, json!(["-1.00", "-7.00"]));
    let late = browser.text("#shifts tr.late-records").await;
    assert!(late.contains("迟到补报") && late.contains("6.00"), "{late}");
    assert!(browser.text("#shifts").await.contains("赵收银"));
    fits_the_phone(&browser).await;
    browser.screenshot(&shot("finance-shifts-phone")).await;
    // A range the service refuses: the dates typed stay, the reason shows.
    browser
        .goto(&server.url(&format!(
            "/finance/shifts?site={}&from=2026-01-01&to=2026-12-31",
            seeded.canteen
        )))
        .await;
    browser.wait_for("#range-error").await;
    assert_eq!(browser.status().await, 422);
    let from = browser.eval("document.querySelector('#from').value").await;
    assert_eq!(from, "2026-01-01");

    // Welfare: 张玉珍 not seen for 8 days, with the masked ID only.
    browser.goto(&server.url("/finance/welfare")).await;
    browser.wait_for("#welfare").await;
    assert_eq!(
        browser.eval("document.querySelector('#days').value").await,
        "3"
    );
    let list = browser.text("#welfare").await;
    let whole = resident_id(d(1952, 6, 6), 3);
    assert!(
        list.contains("张玉珍") && list.contains("530922**********"),
        "{list}"
    );
    assert!(!list.contains(&whole) && !browser.page.content().await.unwrap().contains(&whole));
    assert!(!list.contains("1952-06-06"));
    fits_the_phone(&browser).await;
    browser.screenshot(&shot("finance-welfare-phone")).await;
    // N in the form: 10 days leaves nobody; a bad N keeps what was typed.
    browser.fill("#days", "10").await;
    browser.click("#welfare-form button").await;
    browser.wait_for("#welfare-none").await;
    browser.goto(&server.url("/finance/welfare?days=abc")).await;
    browser.wait_for("#days-error").await;
    assert_eq!(browser.status().await, 422);
    browser.close().await;
    server.finish().await;
}

/// Signs in over HTTP: the session cookie's `name=value`.
async fn cookie_of(server: &Server, username: &str) -> String {
    let res = client()
        .post(server.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([("username", username), ("password", PASSWORD)]).unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("canteen_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn page(server: &Server, path: &str, cookie: &str) -> (StatusCode, String) {
    let res = client()
        .get(server.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Posts a form with the session and this origin.
async fn post_form(
    server: &Server,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let res = client()
        .post(server.url(path))
        .header(COOKIE, cookie)
        .header("origin", &server.base)
        .header("sec-fetch-site", "same-origin")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn csrf_in(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

#[tokio::test]
async fn another_townships_finance_and_a_volunteer_get_403() {
    let Some(browser) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let seeded = seed(&server).await;
    // Finance staff of another township.
    let other = server
        .store
        .insert_township("茂兰镇", crate::http::audit())
        .await
        .unwrap();
    server
        .store
        .insert_user(
            backend::store::NewUser {
                username: "finance_b".into(),
                display_name: "钱会计".into(),
                role: backend::store::Role::Finance,
                township_id: Some(other.id),
                site_id: None,
                password_hash: backend::auth::hash_password(PASSWORD).unwrap(),
                must_change_password: false,
            },
            crate::http::audit(),
        )
        .await
        .unwrap();
    let pages = [
        format!("/finance/sites/{}?month={MONTH}", seeded.canteen),
        format!(
            "/finance/claims?month={MONTH}&township={}",
            server.township_id.0
        ),
        format!(
            "/finance/sites/{}/export/xlsx?month={MONTH}",
            seeded.canteen
        ),
        format!("/finance/shifts?site={}", seeded.canteen),
        format!("/finance/welfare?township={}", server.township_id.0),
    ];
    browser.sign_in(&server, "finance_b", PASSWORD).await;
    for path in &pages {
        browser.goto(&server.url(path)).await;
        let message = browser.text("#error-message").await;
        assert_eq!(browser.status().await, 403, "{path}");
        assert!(message.contains("不在您的管辖范围"), "{path}: {message}");
    }
    // A site that does not exist: the same answer.
    browser
        .goto(&server.url("/finance/sites/999999?month=2026-10"))
        .await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 403);
    // Their own township has no site yet: empty pages, not errors.
    for path in ["/finance/shifts", "/finance/welfare"] {
        browser.goto(&server.url(path)).await;
        browser.wait_for("#shifts-none, #welfare-none").await;
        assert_eq!(browser.status().await, 200, "{path}");
    }
    // Their own township's month opens, and shows none of this one's.
    browser.goto(&server.url("/finance/claims")).await;
    browser.wait_for("#month-picker").await;
    assert!(!browser.text("main").await.contains("大寨"));
    // Nor may they decide or close this township's flags.
    let cookie = cookie_of(&server, "finance_b").await;
    let (_, html) = page(&server, "/finance/claims", &cookie).await;
    let csrf = csrf_in(&html);
    let decide = format!("/finance/sites/{}/decide", seeded.canteen);
    let (status, _) = post_form(
        &server,
        &decide,
        &cookie,
        &[
            ("csrf", &csrf),
            ("month", MONTH),
            ("sale_id", &seeded.second_sale.to_string()),
            ("line_index", "0"),
            ("verdict", "accept"),
            ("comment", "越权"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let close = format!("/finance/sites/{}/close", seeded.canteen);
    let (status, _) = post_form(
        &server,
        &close,
        &cookie,
        &[("csrf", &csrf), ("month", MONTH)],
    )
    .await;
    assert_eq!(status, 403);
    let month: YearMonth = MONTH.parse().unwrap();
    let decisions = server
        .store
        .flag_decisions(SiteId(seeded.canteen), month)
        .await
        .unwrap();
    assert!(decisions.is_empty());

    // A county administrator picks the township.
    server
        .store
        .insert_user(
            backend::store::NewUser {
                username: "county".into(),
                display_name: "县管理员".into(),
                role: backend::store::Role::Admin,
                township_id: None,
                site_id: None,
                password_hash: backend::auth::hash_password(PASSWORD).unwrap(),
                must_change_password: false,
            },
            crate::http::audit(),
        )
        .await
        .unwrap();
    let county = cookie_of(&server, "county").await;
    let (status, html) = page(&server, "/finance/claims", &county).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<select id="township""#) && html.contains("茂兰镇"));
    let (status, html) = page(
        &server,
        &format!(
            "/finance/claims?month={MONTH}&township={}",
            server.township_id.0
        ),
        &county,
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("大寨幸福食堂"));

    // A volunteer: 403 on every finance page, naming the roles.
    let Some(phone) = Browser::launch(Screen::Phone).await else {
        return;
    };
    phone
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    let mut all = pages.to_vec();
    all.push("/finance/claims".to_string());
    for path in &all {
        phone.goto(&server.url(path)).await;
        let message = phone.text("#error-message").await;
        assert_eq!(phone.status().await, 403, "{path}");
        assert!(message.contains("财务"), "{path}: {message}");
    }
    assert!(!phone.has("nav a[href='/finance/claims']").await);
    phone.close().await;
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn decision_forms_refuse_hostile_input_and_record_a_resend_once() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let seeded = seed(&server).await;
    let cookie = cookie_of(&server, &server.finance.username).await;
    let month_page = format!("/finance/sites/{}?month={MONTH}", seeded.canteen);
    let (status, html) = page(&server, &month_page, &cookie).await;
    assert_eq!(status, 200);
    let csrf = csrf_in(&html);
    // In English too.
    let (_, english) = page(&server, &month_page, &format!("{cookie}; lang=en")).await;
    assert!(english.contains("Flagged lines") && english.contains("Close this month"));
    assert!(english.contains("Second subsidised meal in the slot"));
    let decide = format!("/finance/sites/{}/decide", seeded.canteen);
    let sale = seeded.second_sale.to_string();
    let month: YearMonth = MONTH.parse().unwrap();
    let stored = async || {
        server
            .store
            .flag_decisions(SiteId(seeded.canteen), month)
            .await
            .unwrap()
            .len()
    };
    let form = |comment: &'static str| {
        vec![
            ("month", MONTH.to_string()),
            ("sale_id", sale.clone()),
            ("line_index", "0".to_string()),
            ("verdict", "reject".to_string()),
            ("comment", comment.to_string()),
        ]
    };
    let send = async |fields: Vec<(&str, String)>, csrf: Option<&str>| {
        let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(c) = csrf {
            all.push(("csrf", c));
        }
        post_form(&server, &decide, &cookie, &all).await
    };
    // Without the CSRF token: refused, nothing stored.
    let (status, _) = send(form("没有令牌"), None).await;
    assert_eq!(status, 403);
    // A control character: refused beside the field, what was typed kept.
    let (status, html) = send(form("重复\u{1b}[31m收费"), Some(&csrf)).await;
    assert_eq!(status, 422);
    assert!(html.contains("控制字符"), "{html}");
    assert!(html.contains("[31m收费"));
    // A huge comment: refused as too long.
    let huge: &'static str = Box::leak("长".repeat(100_000).into_boxed_str());
    let (status, html) = send(form(huge), Some(&csrf)).await;
    assert_eq!(status, 422);
    assert!(html.contains("最多 500 字"));
    // A sale id that is not a flagged line, a line that does not read, a
    // month that does not read: 4xx pages, nothing stored.
    let mut wrong = form("理由");
    wrong[1].1 = seeded.first_sale.to_string();
    let (status, html) = send(wrong, Some(&csrf)).await;
    assert_eq!(status, 422);
    assert!(html.contains("已不在本月的标记中"));
    let mut wrong = form("理由");
    wrong[2].1 = "-1".into();
    assert_eq!(send(wrong, Some(&csrf)).await.0, 422);
    let mut wrong = form("理由");
    wrong[0].1 = "2026-13".into();
    assert_eq!(send(wrong, Some(&csrf)).await.0, 400);
    let mut wrong = form("理由");
    wrong[3].1 = "maybe".into();
    assert_eq!(send(wrong, Some(&csrf)).await.0, 422);
    assert_eq!(stored().await, 0);
    // The same decision sent twice (a double click): stored once.
    for _ in 0..2 {
        let (status, _) = send(form("重复收费"), Some(&csrf)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    assert_eq!(stored().await, 1);
    // Closing twice: the second finds it closed. (One flag still waits,
    // so first the refusal.)
    let close = format!("/finance/sites/{}/close", seeded.canteen);
    let (status, html) = post_form(
        &server,
        &close,
        &cookie,
        &[("csrf", &csrf), ("month", MONTH)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("待审核条数：1"));
    let mut other = form("核准");
    other[1].1 = seeded.free_meal_sale.to_string();
    other[3].1 = "accept".into();
    assert_eq!(send(other, Some(&csrf)).await.0, StatusCode::SEE_OTHER);
    for _ in 0..2 {
        let (status, _) = post_form(
            &server,
            &close,
            &cookie,
            &[("csrf", &csrf), ("month", MONTH)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    // A decision on the closed month: refused, the reason shown.
    let (status, html) = send(form("关账之后"), Some(&csrf)).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="flags-error""#) && html.contains("本月已关账"));
    // A month not over yet cannot close.
    let this_month = YearMonth::of(today()).next().to_string();
    let (status, html) = post_form(
        &server,
        &close,
        &cookie,
        &[("csrf", &csrf), ("month", &this_month)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("本月还没有结束"));
    // Pages that do not read: 4xx pages, never a 500.
    for (path, want) in [
        (
            format!("/finance/sites/{}?month=2026-13", seeded.canteen),
            400,
        ),
        (format!("/finance/sites/{}?month=%00", seeded.canteen), 400),
        (
            format!("/finance/sites/{}/export/pdf?month={MONTH}", seeded.canteen),
            404,
        ),
        ("/finance/sites/abc?month=2026-10".to_string(), 400),
        ("/finance/claims?township=abc".to_string(), 403),
        ("/finance/welfare?days=0".to_string(), 422),
        ("/finance/welfare?days=99999999999999".to_string(), 422),
        (
            format!("/finance/shifts?site={}&from=x&to=y", seeded.canteen),
            422,
        ),
    ] {
        let (status, html) = page(&server, &path, &cookie).await;
        assert_eq!(status.as_u16(), want, "{path}: {html}");
        assert!(html.contains("<html"), "{path} answers a page");
    }
    server.finish().await;
}
