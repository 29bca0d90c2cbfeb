//! A cashier's day at the township canteen, end to end: the administrator
//! imports the village ledger and sets the policy; the terminal downloads
//! them, prices meals with canteen-core, prints receipts to a network
//! printer, posts the sales (twice, as a flaky network would), voids one,
//! and closes the shift; the backend's figures agree with the terminal's.

use std::time::Duration;

use canteen_core::resident_id::check_character;
use canteen_core::{
    Customer, Diner, DinerId, Money, Payment, PolicyBook, PricePolicy, Sale, SaleId, SaleLine,
    SiteId, Slot, TerminalId, UserId, Void, VoidId, quote,
};
use chrono::{Datelike, NaiveDate, Utc};
use receipts::escpos::{self, Mode};
use receipts::printer::{NetworkPrinter, PrinterOutput, StatusCheck};
use receipts::{Paper, Receipt, SaleContext, ShiftClose, ShiftReport, VoidSlip};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Backend, Database, FakePrinter, contains, gb18030, login, start};

/// Today in Asia/Shanghai, the site's business date.
fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Born on the first of this month, `years` ago: exactly that age today.
fn born_aged(years: i32) -> NaiveDate {
    let t = today();
    NaiveDate::from_ymd_opt(t.year() - years, t.month(), 1).expect("date")
}

fn resident_id(birth: NaiveDate, seq: u32) -> String {
    let first17 = format!("530922{}{seq:03}", birth.format("%Y%m%d"));
    let bytes: [u8; 17] = first17.as_bytes().try_into().expect("17 digits");
    format!("{first17}{}", check_character(&bytes))
}

#[tokio::test]
async fn a_cashiers_day_on_sqlite() {
    if let Some(backend) = start(Database::Sqlite).await {
        cashiers_day(backend).await;
    }
}

#[tokio::test]
async fn a_cashiers_day_on_postgres() {
    if let Some(backend) = start(Database::Postgres).await {
        cashiers_day(backend).await;
    }
}

struct Place {
    township: i64,
    site: i64,
}

async fn set_up_township(b: &Backend) -> Place {
    let t = &b.admin_token;
    let township = b
        .post_ok(t, "/api/townships", &json!({"name": "大寨乡"}))
        .await["id"]
        .as_i64()
        .expect("township id");
    let site = b
        .post_ok(
            t,
            "/api/sites",
            &json!({"township_id": township, "name": "大寨乡幸福食堂", "kind": "canteen"}),
        )
        .await["id"]
        .as_i64()
        .expect("site id");
    let from = NaiveDate::from_ymd_opt(today().year() - 1, 1, 1).expect("date");
    let policy = canteen_core::example::dazhai_policy(SiteId(site), from);
    b.post_ok(
        t,
        &format!("/api/sites/{site}/policies"),
        &serde_json::to_value(&policy).expect("policy json"),
    )
    .await;
    Place { township, site }
}

/// The village ledger as the township keeps it, with one mistake first.
async fn import_ledger(b: &Backend, township: i64) -> [String; 4] {
    let ids = [
        resident_id(born_aged(76), 11),
        resident_id(born_aged(92), 12),
        resident_id(born_aged(60), 13),
        resident_id(born_aged(60), 14),
    ];
    let mut typo = ids[1].clone();
    typo.replace_range(17.., if typo.ends_with('1') { "2" } else { "1" });
    let ledger = |second: &str| {
        format!(
            "姓名,身份证号,村,类别\n王秀英,{},大寨村,\n李桂兰,{second},大寨村,\n张小明,{},小寨村,tekun\n赵大爷,{},小寨村,\n",
            ids[0], ids[2], ids[3]
        )
    };
    let (status, refused) = b.import_roster(township, &ledger(&typo)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        refused["imported"], 0,
        "nothing imported while a row is bad"
    );
    assert_eq!(refused["rejected"][0]["row"], 3, "{refused}");
    let (status, done) = b.import_roster(township, &ledger(&ids[1])).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["imported"], 4);
    ids
}

/// The terminal's view after it downloaded its setup, roster and policies.
struct Terminal {
    token: String,
    id: i64,
    cashier_id: i64,
    roster: Vec<Diner>,
    /// Masked ID numbers by diner: the download carries no whole number.
    masked: std::collections::HashMap<DinerId, String>,
    policies: PolicyBook,
}

async fn install_terminal(b: &Backend, place: &Place) -> Terminal {
    let t = &b.admin_token;
    let password = "counter-password-2026";
    b.post_ok(
        t,
        "/api/users",
        &json!({"username": "zhangli", "display_name": "张丽", "role": "cashier",
                "township_id": null, "site_id": place.site, "password": password}),
    )
    .await;
    // The cashier can sign in, and sees only her own site.
    let cashier_session = login(&b.client, &b.base, "zhangli", password).await;
    let (status, _) = b
        .call(Method::GET, &cashier_session, "/api/audit", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let made = b
        .post_ok(
            t,
            &format!("/api/sites/{}/terminals", place.site),
            &json!({"name": "1号收银台"}),
        )
        .await;
    let token = made["token"].as_str().expect("terminal token").to_string();
    let setup = b.get_ok(&token, "/api/terminal/setup").await;
    assert_eq!(setup["site"]["id"], place.site);
    let cashier_id = setup["cashiers"][0]["id"].as_i64().expect("cashier");
    let download = b.get_ok(&token, "/api/terminal/roster").await;
    let roster: Vec<Diner> =
        serde_json::from_value(download["diners"].clone()).expect("roster is core diners");
    let masked = download["diners"]
        .as_array()
        .expect("diners")
        .iter()
        .filter_map(|d| {
            Some((
                DinerId(d["id"].as_i64()?),
                d["id_masked"].as_str()?.to_string(),
            ))
        })
        .collect();
    let policies: Vec<PricePolicy> = serde_json::from_value(
        b.get_ok(&token, "/api/terminal/policies").await["policies"].clone(),
    )
    .expect("policies are core policies");
    Terminal {
        id: made["terminal"]["id"].as_i64().expect("terminal id"),
        token,
        cashier_id,
        roster,
        masked,
        policies: PolicyBook::new(policies).expect("policy book"),
    }
}

impl Terminal {
    fn diner(&self, name: &str) -> &Diner {
        self.roster
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} on the roster"))
    }

    fn sale(&self, site: i64, lines: Vec<SaleLine>, payment: Payment) -> Sale {
        Sale {
            id: SaleId::new_random(),
            site_id: SiteId(site),
            terminal_id: TerminalId(self.id),
            cashier_id: UserId(self.cashier_id),
            sold_at: Utc::now(),
            business_date: today(),
            slot: Slot::Lunch,
            lines,
            payment,
        }
    }

    /// A lunch for a diner, priced by canteen-core as the terminal does.
    fn lunch_line(&self, site: i64, diner: DinerId, already_subsidised: bool) -> SaleLine {
        let who = self.roster.iter().find(|d| d.id == diner).expect("diner");
        let q = quote(
            &self.policies,
            SiteId(site),
            Customer::Diner(who),
            today(),
            Slot::Lunch,
            already_subsidised,
        )
        .expect("the terminal can price lunch");
        SaleLine::DinerMeal {
            diner_id: diner,
            standard: q.standard,
            paid: q.paid,
            subsidy: q.subsidy,
            bracket: q.bracket,
            category: q.category,
        }
    }
}

fn cash(sale_total: Money, tendered: Money) -> Payment {
    Payment::Cash {
        tendered,
        change: tendered - sale_total,
    }
}

fn paid(line: &SaleLine) -> Money {
    line.amount().expect("amount")
}

async fn cashiers_day(b: Backend) {
    let place = set_up_township(&b).await;
    let ids = import_ledger(&b, place.township).await;
    let term = install_terminal(&b, &place).await;
    assert_eq!(term.roster.len(), 4);
    let site = place.site;

    // Open the shift with 100 yuan in the drawer.
    let shift_id = uuid::Uuid::new_v4();
    let opened_at = Utc::now() - chrono::Duration::minutes(10);
    b.post_ok(
        &term.token,
        "/api/terminal/shifts",
        &json!({"id": shift_id, "cashier_id": term.cashier_id, "opened_at": opened_at,
                "opening_float": "100.00"}),
    )
    .await;

    // Lunch for 王秀英 (76: bracket 70-79), 李桂兰 (92: free), 张小明 (60, 特困),
    // 赵大爷 (60: standard price), a walk-in with an egg, and 王秀英's second
    // lunch of the day at the standard price.
    let wang = term.diner("王秀英").id;
    let li = term.diner("李桂兰").id;
    let zhang = term.diner("张小明").id;
    let zhao = term.diner("赵大爷").id;
    let l_wang = term.lunch_line(site, wang, false);
    let l_li = term.lunch_line(site, li, false);
    let l_zhang = term.lunch_line(site, zhang, false);
    let l_zhao = term.lunch_line(site, zhao, false);
    let l_wang_again = term.lunch_line(site, wang, true);
    assert_eq!(paid(&l_wang), Money::from_fen(600));
    assert_eq!(paid(&l_li), Money::ZERO);
    assert_eq!(paid(&l_zhang), Money::from_fen(200));
    assert_eq!(paid(&l_zhao), Money::from_fen(1200));
    assert_eq!(paid(&l_wang_again), Money::from_fen(1200));

    let sales = vec![
        term.sale(
            site,
            vec![l_wang.clone()],
            cash(paid(&l_wang), Money::from_fen(2000)),
        ),
        term.sale(site, vec![l_li], cash(Money::ZERO, Money::ZERO)),
        term.sale(
            site,
            vec![l_zhang],
            Payment::Qr {
                reference: Some("wx-0001".into()),
            },
        ),
        term.sale(
            site,
            vec![l_zhao.clone()],
            cash(paid(&l_zhao), Money::from_fen(1200)),
        ),
        term.sale(
            site,
            vec![
                SaleLine::WalkInMeal {
                    price: Money::from_fen(1200),
                },
                SaleLine::Extra {
                    name: "鸡蛋".into(),
                    unit_price: Money::from_fen(150),
                    quantity: 1,
                },
            ],
            cash(Money::from_fen(1350), Money::from_fen(5000)),
        ),
        term.sale(
            site,
            vec![l_wang_again.clone()],
            cash(paid(&l_wang_again), Money::from_fen(1200)),
        ),
    ];
    // A minute apart, as at a real counter.
    let mut sales = sales;
    for (n, sale) in sales.iter_mut().enumerate() {
        sale.sold_at = opened_at + chrono::Duration::minutes(n as i64 + 1);
        sale.validate().expect("the terminal makes sound sales");
    }

    // Each sale is printed as it is made (the sale is already durable on the
    // terminal; here the printer is a listener on 127.0.0.1).
    let mut ctx = SaleContext::new("大寨乡幸福食堂", "大寨乡幸福食堂", "1号收银台", "张丽");
    for d in &term.roster {
        assert!(
            d.resident_id.is_none(),
            "the terminal got a whole ID number"
        );
        ctx.diners.insert(
            d.id,
            receipts::DinerLabel {
                name: d.name.clone(),
                masked_id: term.masked.get(&d.id).cloned(),
            },
        );
    }
    for policy in term.policies.versions() {
        for c in policy.categories() {
            ctx.categories.insert(c.code.clone(), c.name.clone());
        }
    }
    let printer = FakePrinter::accept(sales.len() + 2);
    // This fake printer does not answer status requests: ask it nothing,
    // so that it receives exactly the receipts.
    let mut output = NetworkPrinter::new(printer.addr)
        .with_timeout(Duration::from_secs(2))
        .with_status(StatusCheck::Off);
    let mut sent = Vec::new();
    for sale in &sales {
        let layout = Receipt::from_sale(sale, &ctx)
            .expect("receipt")
            .layout(Paper::Mm58);
        let bytes = escpos::render(&layout, &Mode::Text).expect("escpos");
        output.send(&bytes).expect("printed");
        sent.push(bytes);
    }

    // Post the day's sales, newest first (the order must not matter); the
    // network drops the answer, so post them again.
    let newest_first: Vec<&Sale> = sales.iter().rev().collect();
    let batch = json!({ "sales": newest_first });
    for expected in ["stored", "duplicate"] {
        let answer = b.post_ok(&term.token, "/api/terminal/sales", &batch).await;
        let statuses: Vec<&str> = answer["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["status"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(statuses, vec![expected; sales.len()], "{answer}");
    }

    // The backend priced each line itself and agrees with the terminal.
    let stored = b
        .get_ok(&b.admin_token, &format!("/api/sales/{}", sales[0].id))
        .await;
    let sale_back: Sale = serde_json::from_value(stored["sale"].clone()).expect("sale");
    assert_eq!(sale_back, sales[0], "stored exactly as posted");
    assert_eq!(stored["lines"][0]["verdict"], "agrees", "{stored}");
    assert_eq!(stored["lines"][0]["expected_paid"], "6.00");
    let again = b
        .get_ok(&b.admin_token, &format!("/api/sales/{}", sales[5].id))
        .await;
    assert_eq!(
        again["lines"][0]["verdict"], "agrees",
        "second lunch: {again}"
    );
    assert_eq!(again["lines"][0]["expected_paid"], "12.00");

    // The walk-in was a mistake: void it, post the void, print the slip.
    let void = Void {
        id: VoidId::new_random(),
        sale_id: sales[4].id,
        site_id: SiteId(site),
        terminal_id: TerminalId(term.id),
        voided_by: UserId(term.cashier_id),
        voided_at: Utc::now(),
        reason: "顾客不要了".into(),
    };
    let answer = b
        .post_ok(
            &term.token,
            "/api/terminal/voids",
            &json!({ "voids": [void] }),
        )
        .await;
    assert_eq!(answer["results"][0]["status"], "stored", "{answer}");
    let slip = VoidSlip::from_void(&void, &sales[4], &ctx).expect("void slip");
    let slip_bytes = escpos::render(&slip.layout(Paper::Mm58), &Mode::Text).expect("escpos");
    output.send(&slip_bytes).expect("printed");
    sent.push(slip_bytes);

    // Close the shift: the drawer is one yuan short.
    let closed_at = Utc::now();
    let shift = ShiftClose {
        opened_at,
        closed_at,
        opening_float: Money::from_fen(10_000),
        cash_counted: Money::ZERO,
    };
    let expected =
        ShiftReport::from_sales(&ctx, &shift, &sales, std::slice::from_ref(&void)).cash_expected;
    let counted = expected - Money::from_fen(100);
    let report = ShiftReport::from_sales(
        &ctx,
        &ShiftClose {
            cash_counted: counted,
            ..shift
        },
        &sales,
        std::slice::from_ref(&void),
    );
    let closed: Value = b
        .post_ok(
            &term.token,
            &format!("/api/terminal/shifts/{shift_id}/close"),
            &json!({"closed_at": closed_at, "counted_cash": counted}),
        )
        .await;
    // 100 float + 6 + 0 + 12 + 12 (the voided 13.50 left out).
    assert_eq!(report.cash_expected, Money::from_fen(13_000));
    assert_eq!(closed["expected_cash"], report.cash_expected.to_string());
    assert_eq!(closed["difference"], "-1.00");
    assert_eq!(report.difference, Money::from_fen(-100));
    assert_eq!(report.subsidised_meals, 3);
    let report_bytes = escpos::render(&report.layout(Paper::Mm58), &Mode::Text).expect("escpos");
    output.send(&report_bytes).expect("printed");
    sent.push(report_bytes);

    // The printer received exactly what was sent, in Chinese (GB18030), with
    // masked ID numbers and never a whole one.
    let jobs = printer.jobs();
    assert_eq!(jobs, sent);
    assert!(contains(&jobs[0], &gb18030("王秀英")));
    assert!(contains(
        &jobs[0],
        &gb18030(&format!("{}**********{}", &ids[0][..6], &ids[0][16..]))
    ));
    assert!(contains(&jobs[0], &gb18030("70-79")));
    assert!(contains(&jobs[2], &gb18030("特困")));
    for (job, id) in jobs.iter().flat_map(|j| ids.iter().map(move |id| (j, id))) {
        assert!(
            !contains(job, id.as_bytes()),
            "a whole ID number was printed"
        );
    }
    assert!(
        contains(&jobs[6], &gb18030("顾客不要了")),
        "the void slip names the reason"
    );
}
