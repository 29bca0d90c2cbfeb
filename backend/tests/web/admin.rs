//! The administrators' pages in Chromium on an office PC (1366x768): the
//! roster import with its preview, a diner added with a bad and then a good
//! ID number, a terminal's token shown once, a user who must change the
//! one-time password, the roles kept out; and the hostile cases (no CSRF
//! token, another township, control characters, huge input, a huge file).

use backend::domain::DinerInput;
use backend::store::Actor;
use canteen_core::resident_id::check_character;
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chrono::NaiveDate;

use crate::harness::{Backend, Browser, PASSWORD, Screen, Server, shot};

/// A valid resident ID number for a birth date (region 530922).
fn resident_id(birth: NaiveDate, seq: u32) -> String {
    let first17 = format!("530922{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let bytes: [u8; 17] = first17.as_bytes().try_into().expect("17 digits");
    format!("{first17}{}", check_character(&bytes))
}

/// The same number with a wrong last character.
fn bad_check(id: &str) -> String {
    let last = if id.ends_with('1') { '2' } else { '1' };
    format!("{}{last}", &id[..17])
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

async fn start(kind: Backend) -> Option<(Server, Browser)> {
    let browser = Browser::launch(Screen::Desktop).await?;
    let Some(server) = Server::start(kind).await else {
        browser.close().await;
        return None;
    };
    browser
        .sign_in(&server, &server.admin.username, PASSWORD)
        .await;
    Some((server, browser))
}

async fn diner_count(server: &Server) -> usize {
    server
        .store
        .diners_since(server.township_id, 0)
        .await
        .expect("diners")
        .len()
}

/// Puts a file into a file input, as choosing it would.
async fn choose_file(browser: &Browser, selector: &str, path: &std::path::Path) {
    let input = browser.wait_for(selector).await;
    let params = SetFileInputFilesParams::builder()
        .files(vec![path.display().to_string()])
        .backend_node_id(input.backend_node_id)
        .build()
        .expect("params");
    browser.page.execute(params).await.expect("set the file");
}

/// Clicks a submit button and waits until the next page has loaded (the
/// old page's marker is gone), for pages that look alike before and after.
async fn submit(browser: &Browser, selector: &str) {
    browser.eval("window.oldPage = true").await;
    browser.click(selector).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        // While the page changes, the evaluation may fail: try again.
        let old = browser
            .page
            .evaluate("window.oldPage === true")
            .await
            .ok()
            .and_then(|r| r.value().cloned());
        if old == Some(serde_json::Value::Bool(false)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new page after {selector}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.wait_for("main").await;
}

async fn an_administrator_imports_a_roster_with_a_bad_row_then_fixed(kind: Backend) {
    let Some((server, browser)) = start(kind).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let good1 = resident_id(date(1950, 3, 1), 11);
    let good2 = resident_id(date(1944, 7, 9), 12);
    let good3 = resident_id(date(1938, 12, 24), 13);
    let file = |name: &str, third: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "姓名,身份证号,村,卡号\n李大爷,{good1},勐准村,A001\n王奶奶,{good2},勐准村,A002\n赵爷爷,{third},芒东村,A003\n"
            ),
        )
        .expect("write");
        path
    };
    // Row 4 (the header is row 1) has a typing mistake in its ID number.
    let bad = file("bad.csv", &bad_check(&good3));
    browser.goto(&server.url("/admin/import")).await;
    choose_file(&browser, "#file", &bad).await;
    browser.click("#upload").await;
    let bad_rows = browser.text("#bad-rows").await;
    // Row 4 and its reason, in the page's language.
    assert!(bad_rows.contains("4\t身份证号：最后一位应为"), "{bad_rows}");
    assert_eq!(browser.status().await, 422);
    assert!(browser.text("#rows-bad").await.contains("尚未保存"));
    // No plain confirm while a row is bad; nothing is stored.
    assert!(!browser.has("#confirm").await);
    assert_eq!(diner_count(&server).await, 0);
    browser.screenshot(&shot("admin-import-refused")).await;

    // Fixed: the preview, then the confirmation stores the three.
    let fixed = file("fixed.csv", &good3);
    choose_file(&browser, "#file", &fixed).await;
    browser.click("#upload").await;
    browser.wait_for("#confirm").await;
    assert!(browser.text("#rows-total").await.contains('3'));
    assert!(browser.text("#good-rows").await.contains("赵爷爷"));
    assert_eq!(diner_count(&server).await, 0, "the preview stores nothing");
    // The same confirmation, as a resend would post it.
    let resend = browser
        .eval("(() => { const f = document.querySelector('#confirm-form'); return JSON.stringify({ action: f.action, body: new URLSearchParams(new FormData(f)).toString() }); })()")
        .await;
    let resend = resend.as_str().expect("the form").to_string();
    browser.click("#confirm").await;
    let notice = browser.text("#notice").await;
    assert!(notice.contains("已导入 3 人"), "{notice}");
    assert_eq!(diner_count(&server).await, 3);
    // Sent again: stored once, and told so.
    let again = browser
        .eval(&format!("(async () => {{ const a = {resend}; const r = await fetch(a.action, {{ method: 'POST', headers: {{ 'Content-Type': 'application/x-www-form-urlencoded' }}, body: a.body }}); return r.status + ' ' + await r.text(); }})()"))
        .await;
    let again = again.as_str().unwrap_or_default().to_string();
    assert!(
        again.starts_with("200") && again.contains("已导入 3 人"),
        "{again}"
    );
    assert_eq!(diner_count(&server).await, 3);
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn an_administrator_imports_a_roster_with_a_bad_row_then_fixed_sqlite() {
    an_administrator_imports_a_roster_with_a_bad_row_then_fixed(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_administrator_imports_a_roster_with_a_bad_row_then_fixed_postgres() {
    an_administrator_imports_a_roster_with_a_bad_row_then_fixed(Backend::Postgres).await;
}

async fn an_administrator_adds_a_diner_with_a_bad_id_then_a_good_one(kind: Backend) {
    let Some((server, browser)) = start(kind).await else {
        return;
    };
    let birth = date(1948, 5, 17);
    let good = resident_id(birth, 21);
    browser.goto(&server.url("/admin/diners/new")).await;
    browser.fill("#name", "王小明").await;
    browser.fill("#village", "勐准村").await;
    browser.fill("#card_no", "C-7").await;
    browser.fill("[name=cat_code_0]", "dibao").await;
    browser
        .eval("document.querySelector('[name=cat_from_0]').value = '2026-01-01'")
        .await;
    // Checked as it is typed: the reason shows, in Chinese.
    browser.fill("#resident_id", &bad_check(&good)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut live = String::new();
    while std::time::Instant::now() < deadline {
        live = browser.text("#resident_id-check").await;
        if !live.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(live.contains("最后一位应为"), "{live}");
    // Submitted anyway: refused with the reason by the field, what was
    // typed kept, nothing stored.
    browser.click("#diner-submit").await;
    browser.wait_for("#form-error").await;
    assert_eq!(browser.status().await, 422);
    assert!(
        browser
            .text("#resident_id-check")
            .await
            .contains("最后一位应为")
    );
    let kept = browser.eval("document.querySelector('#name').value").await;
    assert_eq!(kept, "王小明");
    let kept = browser
        .eval("document.querySelector('[name=cat_code_0]').value")
        .await;
    assert_eq!(kept, "dibao");
    assert_eq!(diner_count(&server).await, 0);
    browser.screenshot(&shot("admin-diner-refused")).await;

    // The good number: stored; the office sees the masked number and the
    // age, never the birth date nor the whole number.
    browser.fill("#resident_id", &good).await;
    browser.click("#diner-submit").await;
    browser.wait_for("#stored-id").await;
    assert!(browser.url().await.contains("done=saved"));
    let masked = browser.text("#stored-id").await;
    assert!(
        masked.starts_with("530922") && masked.contains('*'),
        "{masked}"
    );
    let age: u32 = browser.text("#stored-age").await.parse().expect("an age");
    assert!((77..=79).contains(&age), "{age}");
    let html = browser.page.content().await.expect("html");
    assert!(!html.contains(&good));
    assert!(!html.contains("1948-05-17") && !html.contains("19480517"));
    assert_eq!(diner_count(&server).await, 1);
    let stored = &server
        .store
        .diners_since(server.township_id, 0)
        .await
        .unwrap()[0];
    assert_eq!(stored.resident_id.as_deref(), Some(good.as_str()));
    assert_eq!(stored.categories.len(), 1);

    // An edit that leaves the ID number empty keeps it.
    browser.fill("#village", "芒东村").await;
    submit(&browser, "#diner-submit").await;
    browser.wait_for("#notice").await;
    let stored = &server
        .store
        .diners_since(server.township_id, 0)
        .await
        .unwrap()[0];
    assert_eq!(stored.resident_id.as_deref(), Some(good.as_str()));
    assert_eq!(stored.village.as_deref(), Some("芒东村"));

    // Found by pinyin initials, by card number and by village.
    for q in ["wxm", "C-7", "芒东"] {
        browser
            .goto(&server.url(&format!("/admin/diners?q={}", urlencode(q))))
            .await;
        assert!(browser.text("#roster").await.contains("王小明"), "{q}");
    }
    browser.goto(&server.url("/admin/diners?q=zzz")).await;
    browser.wait_for("#no-diners").await;

    // Deactivated, never deleted: gone from the plain list, kept with the
    // inactive ones.
    browser.goto(&server.url("/admin/diners")).await;
    browser.click("#roster a").await;
    browser.click("#deactivate").await;
    browser.wait_for("#notice").await;
    assert!(browser.text("#roster").await.contains("王小明"));
    assert!(browser.text("#roster").await.contains("已停用"));
    browser.goto(&server.url("/admin/diners")).await;
    browser.wait_for("#no-diners").await;
    assert_eq!(diner_count(&server).await, 1);
    browser.close().await;
    server.finish().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn an_administrator_adds_a_diner_with_a_bad_id_then_a_good_one_sqlite() {
    an_administrator_adds_a_diner_with_a_bad_id_then_a_good_one(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_administrator_adds_a_diner_with_a_bad_id_then_a_good_one_postgres() {
    an_administrator_adds_a_diner_with_a_bad_id_then_a_good_one(Backend::Postgres).await;
}

#[tokio::test]
async fn a_new_terminal_shows_its_token_once_and_can_be_retired() {
    let Some((server, browser)) = start(Backend::Sqlite).await else {
        return;
    };
    browser.goto(&server.url("/admin/sites")).await;
    let field = format!("#terminal-{}", server.site_id);
    browser.fill(&field, "柜台 1").await;
    browser
        .click(&format!("#site-{} .add-terminal button", server.site_id))
        .await;
    let token = browser.text("#secret").await;
    assert!(token.len() > 40, "{token}");
    browser.screenshot(&shot("admin-terminal-token")).await;
    let terminals = server.store.terminals(server.site_id).await.unwrap();
    assert_eq!(terminals.len(), 1);
    let found = server
        .store
        .terminal_by_token(&backend::auth::token_hash(&token))
        .await
        .unwrap();
    assert_eq!(
        found.map(|t| t.id),
        Some(terminals[0].id),
        "the token shown is the terminal's"
    );
    // Sent again (reload of the POST's answer): no second terminal, no token.
    browser.page.reload().await.expect("reload");
    browser.wait_for("#notice").await;
    assert!(!browser.has("#secret").await);
    assert_eq!(
        server.store.terminals(server.site_id).await.unwrap().len(),
        1
    );
    // Shown once: the list never shows it again.
    browser.goto(&server.url("/admin/sites")).await;
    browser.wait_for(&field).await;
    assert!(!browser.has("#secret").await);
    assert!(!browser.page.content().await.unwrap().contains(&token));
    // Retired: its token stops working.
    submit(&browser, ".retire").await;
    browser.wait_for(&field).await;
    assert!(!browser.has(".retire").await);
    assert!(!server.store.terminals(server.site_id).await.unwrap()[0].active);
    assert!(
        server
            .store
            .terminal_by_token(&backend::auth::token_hash(&token))
            .await
            .unwrap()
            .is_none_or(|t| !t.active)
    );
    // A new site (its form is not taken for the terminal's), in English.
    browser.click("#lang-switch").await;
    browser.wait_for("#site-form").await;
    assert_eq!(browser.text("main h1").await, "Sites and terminals 大寨镇");
    browser.fill("#site-name", "芒东村幸福公社").await;
    submit(&browser, "#site-submit").await;
    browser.wait_for("#site-form").await;
    let sites = server.store.sites(Some(server.township_id)).await.unwrap();
    assert_eq!(sites.len(), 2);
    assert!(
        browser
            .page
            .content()
            .await
            .unwrap()
            .contains("芒东村幸福公社")
    );
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn a_new_user_must_change_the_one_time_password_at_first_sign_in() {
    let Some((server, browser)) = start(Backend::Sqlite).await else {
        return;
    };
    browser.goto(&server.url("/admin/users")).await;
    // A bad username: refused beside the field, what was typed kept.
    browser.fill("#username", "bad name!").await;
    browser.fill("#display_name", "刘志愿").await;
    browser.click("#user-submit").await;
    browser.wait_for("#username-error").await;
    assert_eq!(browser.status().await, 422);
    let kept = browser
        .eval("document.querySelector('#display_name').value")
        .await;
    assert_eq!(kept, "刘志愿");

    // A volunteer without a site: refused beside the site.
    browser.fill("#username", "liu.v").await;
    browser.click("#user-submit").await;
    browser.wait_for("#site-error").await;
    assert_eq!(browser.status().await, 422);
    browser
        .eval(&format!(
            "document.querySelector('#site_id').value = '{}'",
            server.site_id
        ))
        .await;
    browser.click("#user-submit").await;
    let password = browser.text("#secret").await;
    assert_eq!(browser.text("#shown-user").await, "liu.v");
    assert!(browser.text("#users").await.contains("刘志愿"));
    browser.screenshot(&shot("admin-user-created")).await;

    let Some(other) = Browser::launch(Screen::Phone).await else {
        return;
    };
    other.sign_in(&server, "liu.v", &password).await;
    other.wait_for("#must-change").await;
    assert!(other.url().await.ends_with("/password"));
    other.goto(&server.url("/volunteer")).await;
    other.wait_for("#must-change").await;
    other.close().await;
    browser.close().await;
    server.finish().await;
}

const ADMIN_PAGES: &[&str] = &[
    "/admin/diners",
    "/admin/diners/new",
    "/admin/diners/check-id?id=1",
    "/admin/import",
    "/admin/policy",
    "/admin/sites",
    "/admin/users",
    "/admin/audit",
];

#[tokio::test]
async fn finance_staff_and_volunteers_get_403_on_admin_pages() {
    let Some(browser) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    let Some(server) = Server::start(Backend::Sqlite).await else {
        return browser.close().await;
    };
    for who in [&server.finance, &server.volunteer] {
        browser.sign_in(&server, &who.username, PASSWORD).await;
        let token = browser
            .eval("document.querySelector('input[name=csrf]').value")
            .await;
        let token = token.as_str().expect("a token").to_string();
        for path in ADMIN_PAGES {
            browser.goto(&server.url(path)).await;
            let message = browser.text("#error-message").await;
            assert_eq!(browser.status().await, 403, "{} {path}", who.username);
            assert!(message.contains("管理员"), "{path}: {message}");
        }
        // Nor can they post to them (the token of their own session).
        let status = browser
            .eval(&format!(
                "(async () => {{ const r = await fetch('/admin/diners/new', {{method: 'POST', headers: {{ 'Content-Type': 'application/x-www-form-urlencoded' }}, body: 'csrf={token}&name=x' }}); return r.status; }})()"
            ))
            .await;
        assert_eq!(status, 403, "{}", who.username);
        browser.goto(&server.url("/")).await;
        browser.click("#logout").await;
        browser.wait_for("#login-form").await;
    }
    // The home and nav of an administrator link the admin pages.
    browser
        .sign_in(&server, &server.admin.username, PASSWORD)
        .await;
    let links = browser.text("#home-links").await;
    for label in ["花名册", "导入", "价格", "站点终端", "用户", "日志"] {
        assert!(links.contains(label), "{label}: {links}");
    }
    browser.close().await;
    assert_eq!(diner_count(&server).await, 0);
    server.finish().await;
}

#[tokio::test]
async fn hostile_forms_are_refused_and_store_nothing() {
    let Some((server, browser)) = start(Backend::Sqlite).await else {
        return;
    };
    // Without its CSRF token: 403, nothing stored.
    browser.goto(&server.url("/admin/diners/new")).await;
    browser.fill("#name", "无令牌").await;
    browser
        .eval("document.querySelector('#diner-form input[name=csrf]').remove()")
        .await;
    browser.click("#diner-submit").await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 403);
    // Control characters and a huge name: refused with a reason, kept.
    for name in ["坏\u{7}名字".to_string(), "长".repeat(5000)] {
        browser.goto(&server.url("/admin/diners/new")).await;
        browser
            .eval(&format!(
                "document.querySelector('#name').value = {}",
                serde_json::to_string(&name).unwrap()
            ))
            .await;
        browser.click("#diner-submit").await;
        browser.wait_for("#form-error").await;
        assert_eq!(browser.status().await, 422);
    }
    assert_eq!(diner_count(&server).await, 0);

    // Another township's diner and roster: 404, as the API answers.
    let other = server
        .store
        .insert_township("别的镇", crate::http::audit())
        .await
        .unwrap();
    let fields = DinerInput {
        name: "外镇人".into(),
        resident_id: None,
        birth_date: Some(date(1950, 1, 1)),
        village: None,
        card_no: None,
        active_from: None,
        inactive_since: None,
        categories: Vec::new(),
    }
    .into_fields(date(2026, 1, 1))
    .unwrap();
    let theirs = server
        .store
        .insert_diners(other.id, vec![fields], Actor::system())
        .await
        .unwrap();
    let their_site = server
        .store
        .insert_site(
            backend::store::NewSite {
                township_id: other.id,
                name: "别的村".into(),
                kind: backend::store::SiteKind::Commune,
                utc_offset_minutes: 480,
            },
            crate::http::audit(),
        )
        .await
        .unwrap();
    for path in [
        format!("/admin/diners/{}", theirs[0].id),
        format!("/admin/diners?township={}", other.id),
        format!("/admin/import?township={}", other.id),
        format!("/admin/users?township={}", other.id),
        format!("/admin/sites?township={}", other.id),
        format!("/admin/policy?site={}", their_site.id),
    ] {
        browser.goto(&server.url(&path)).await;
        browser.wait_for("#error-message").await;
        assert_eq!(browser.status().await, 404, "{path}");
    }
    // A form posted to it: 404, and it is unchanged.
    browser.goto(&server.url("/admin/diners/new")).await;
    browser
        .eval(&format!(
            "document.querySelector('#diner-form').action = '/admin/diners/{}/active'",
            theirs[0].id
        ))
        .await;
    browser
        .eval("document.querySelector('#diner-form').insertAdjacentHTML('beforeend', '<input type=hidden name=active value=0>')")
        .await;
    browser.click("#diner-submit").await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 404);
    let theirs = server.store.diner(theirs[0].id).await.unwrap().unwrap();
    assert!(theirs.inactive_since.is_none());
    // Nor a terminal for their site.
    browser.goto(&server.url("/admin/sites")).await;
    browser
        .eval(&format!(
            "document.querySelector('.add-terminal').action = '/admin/sites/{}/terminals'",
            their_site.id
        ))
        .await;
    browser
        .fill(&format!("#terminal-{}", server.site_id), "偷偷的终端")
        .await;
    browser.click(".add-terminal button").await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 404);
    assert!(
        server
            .store
            .terminals(their_site.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A file larger than the body limit: 413 page, nothing stored.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    // 3 MB, over the default limit of 2 MB.
    std::fs::write(&big, "姓名\n".to_string() + &"某某\n".repeat(450_000)).unwrap();
    browser.goto(&server.url("/admin/import")).await;
    choose_file(&browser, "#file", &big).await;
    browser.click("#upload").await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 413);
    assert_eq!(diner_count(&server).await, 0);
    // A file that is no table: the reason, nothing stored.
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not really a zip").unwrap();
    browser.goto(&server.url("/admin/import")).await;
    choose_file(&browser, "#file", &junk).await;
    browser.click("#upload").await;
    browser.wait_for("#import-error").await;
    assert_eq!(browser.status().await, 422);
    assert_eq!(diner_count(&server).await, 0);

    // The same form sent twice at once (a double click): one diner.
    browser.goto(&server.url("/admin/diners/new")).await;
    browser.fill("#name", "双击").await;
    let statuses = browser
        .eval("(async () => { const f = document.querySelector('#diner-form'); const body = new URLSearchParams(new FormData(f)).toString(); const send = () => fetch(f.action, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }).then(r => r.status); return (await Promise.all([send(), send(), send()])).join(','); })()")
        .await;
    assert_eq!(statuses, "200,200,200");
    assert_eq!(diner_count(&server).await, 1);
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn audit_log_filters_and_price_policy_versions() {
    let Some((server, browser)) = start(Backend::Sqlite).await else {
        return;
    };
    // A first policy version for the site, with its prices per bracket.
    browser
        .goto(&server.url(&format!("/admin/policy?site={}", server.site_id)))
        .await;
    browser.wait_for("#policy-form").await;
    browser
        .eval("document.querySelector('#effective_from').value = '2026-01-01'")
        .await;
    for (name, value) in [
        ("std_lunch", "12"),
        ("b0_lunch", "8"),
        ("b1_lunch", "6"),
        ("b2_lunch", "4"),
        ("b3_lunch", "abc"),
    ] {
        browser.fill(&format!("[name={name}]"), value).await;
    }
    // A bad amount: refused, what was typed kept.
    browser.click("#policy-submit").await;
    browser.wait_for("#policy-error").await;
    assert_eq!(browser.status().await, 422);
    let kept = browser
        .eval("document.querySelector('[name=b0_lunch]').value")
        .await;
    assert_eq!(kept, "8");
    browser.fill("[name=b3_lunch]", "0").await;
    browser
        .eval("document.querySelector('#effective_from').value = '2026-01-01'")
        .await;
    browser.click("#policy-submit").await;
    browser.wait_for("#notice").await;
    let table = browser.text("#prices").await;
    assert!(table.contains("12.00") && table.contains("8.00"), "{table}");
    assert!(browser.text("#history").await.contains("2026-01-01"));
    browser.screenshot(&shot("admin-policy")).await;

    // The audit log shows it, filtered by what and who.
    browser
        .goto(&server.url("/admin/audit?what=policy&who=admin1"))
        .await;
    assert!(browser.text("#audit").await.contains("policy.create"));
    browser
        .goto(&server.url("/admin/audit?what=terminal"))
        .await;
    browser.wait_for("#no-entries").await;
    browser
        .goto(&server.url("/admin/audit?from=2099-01-01"))
        .await;
    browser.wait_for("#no-entries").await;
    browser
        .goto(&server.url("/admin/audit?from=yesterday"))
        .await;
    browser.wait_for("#date-error").await;
    browser.close().await;
    server.finish().await;
}

/// The main pages at phone and desktop size (copied into docs/ by hand,
/// for people to look at); on the phone nothing is wider than the screen.
#[tokio::test]
async fn screenshots_of_the_admin_pages() {
    for (screen, size) in [(Screen::Phone, "phone"), (Screen::Desktop, "desktop")] {
        let Some(browser) = Browser::launch(screen).await else {
            return;
        };
        let Some(server) = Server::start(Backend::Sqlite).await else {
            return browser.close().await;
        };
        browser
            .sign_in(&server, &server.admin.username, PASSWORD)
            .await;
        let mut fields = Vec::new();
        for (i, (name, village)) in [
            ("李大爷", "勐准村"),
            ("王奶奶", "勐准村"),
            ("赵爷爷", "芒东村"),
        ]
        .into_iter()
        .enumerate()
        {
            let birth = date(1940 + i as i32 * 5, 3, 1);
            fields.push(
                DinerInput {
                    name: name.into(),
                    resident_id: Some(resident_id(birth, i as u32)),
                    birth_date: None,
                    village: Some(village.into()),
                    card_no: Some(format!("A00{i}")),
                    active_from: None,
                    inactive_since: None,
                    categories: Vec::new(),
                }
                .into_fields(date(2026, 1, 1))
                .unwrap(),
            );
        }
        server
            .store
            .insert_diners(server.township_id, fields, Actor::system())
            .await
            .unwrap();
        for (path, name) in [
            ("/admin".to_string(), "home"),
            ("/admin/diners".to_string(), "roster"),
            ("/admin/diners/new".to_string(), "diner"),
            ("/admin/import".to_string(), "import"),
            (format!("/admin/policy?site={}", server.site_id), "policy"),
            ("/admin/sites".to_string(), "sites"),
            ("/admin/users".to_string(), "users"),
            ("/admin/audit".to_string(), "audit"),
        ] {
            browser.goto(&server.url(&path)).await;
            browser.wait_for("main h1").await;
            if matches!(screen, Screen::Phone) {
                let width = browser
                    .eval("document.documentElement.scrollWidth")
                    .await
                    .as_u64()
                    .unwrap_or(0);
                assert!(width <= 360, "{path} is {width} px wide on a 360 px phone");
            }
            browser
                .screenshot(&shot(&format!("web-admin-{name}-{size}")))
                .await;
        }
        browser.close().await;
        server.finish().await;
    }
}
