//! Signing in and out, roles, CSRF and the language switch, in Chromium.

use crate::harness::{Backend, Browser, PASSWORD, Screen, Server, shot};

async fn start(screen: Screen) -> Option<(Server, Browser)> {
    let browser = Browser::launch(screen).await?;
    let server = Server::start(Backend::Sqlite).await?;
    Some((server, browser))
}

async fn a_volunteer_signs_in_on_a_phone_and_sees_their_home(kind: Backend) {
    let Some(browser) = Browser::launch(Screen::Phone).await else {
        return;
    };
    let Some(server) = Server::start(kind).await else {
        return browser.close().await;
    };
    // Not signed in: the home page sends to the login page.
    browser.goto(&server.url("/")).await;
    browser.wait_for("#login-form").await;
    assert!(
        browser.url().await.ends_with("/login"),
        "{}",
        browser.url().await
    );
    assert_eq!(browser.text("h1").await, "登录");
    browser.screenshot(&shot("login-phone")).await;
    // A Chinese username, typed as a phone's keyboard would.
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.wait_for("#home-intro").await;
    assert!(browser.url().await.ends_with("/volunteer"));
    assert_eq!(browser.text("#who-name").await, "王小花");
    assert_eq!(browser.text("#who-role").await, "志愿者");
    assert!(browser.text("#home-intro").await.contains("免费餐"));
    browser.screenshot(&shot("volunteer-home-phone")).await;
    // Laid out for 360 px: nothing wider than the screen.
    let width = browser
        .eval("document.documentElement.scrollWidth")
        .await
        .as_u64()
        .unwrap_or(0);
    let wide = browser
        .eval("[...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 360).map(e => e.tagName + '.' + e.className + '#' + e.id).join(' ')")
        .await;
    assert!(
        width <= 360,
        "the page is {width} px wide on a 360 px phone: {wide}"
    );
    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn a_volunteer_signs_in_on_a_phone_and_sees_their_home_sqlite() {
    a_volunteer_signs_in_on_a_phone_and_sees_their_home(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_volunteer_signs_in_on_a_phone_and_sees_their_home_postgres() {
    a_volunteer_signs_in_on_a_phone_and_sees_their_home(Backend::Postgres).await;
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_keeps_the_username() {
    let Some((server, browser)) = start(Screen::Phone).await else {
        return;
    };
    browser
        .sign_in(&server, &server.volunteer.username, "not-the-password")
        .await;
    assert_eq!(browser.text("#login-error").await, "用户名或密码错误。");
    assert_eq!(browser.status().await, 401);
    let kept = browser
        .eval("document.querySelector('#username').value")
        .await;
    assert_eq!(kept, "王小花");
    // Nobody is signed in: the home page still asks to sign in.
    browser.goto(&server.url("/volunteer")).await;
    browser.wait_for("#login-form").await;
    browser.close().await;
}

#[tokio::test]
async fn a_volunteer_gets_403_on_admin_and_finance_pages() {
    let Some((server, browser)) = start(Screen::Phone).await else {
        return;
    };
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    for (path, role) in [("/admin", "管理员"), ("/finance", "财务")] {
        browser.goto(&server.url(path)).await;
        let message = browser.text("#error-message").await;
        assert_eq!(browser.status().await, 403, "{path}");
        assert!(
            message.contains("只对以下角色开放") && message.contains(role),
            "{path}: {message}"
        );
    }
    // Finance staff may open finance's home, not the administrators'.
    let Some(other) = Browser::launch(Screen::Desktop).await else {
        return;
    };
    other
        .sign_in(&server, &server.finance.username, PASSWORD)
        .await;
    assert!(other.url().await.ends_with("/finance"));
    other.goto(&server.url("/admin")).await;
    other.wait_for("#error-message").await;
    assert_eq!(other.status().await, 403);
    other.screenshot(&shot("forbidden-desktop")).await;
    other.close().await;
    browser.close().await;
}

#[tokio::test]
async fn forms_without_their_token_or_from_another_origin_are_refused() {
    let Some((server, browser)) = start(Screen::Desktop).await else {
        return;
    };
    browser
        .sign_in(&server, &server.admin.username, PASSWORD)
        .await;
    let token = browser
        .eval("document.querySelector('input[name=csrf]').value")
        .await;
    let token = token.as_str().expect("the form has a token").to_string();
    assert_eq!(token.len(), 64);

    // The logout form without its token: refused, and still signed in.
    browser
        .eval("document.querySelector('#logout').form.querySelector('input[name=csrf]').remove()")
        .await;
    browser.click("#logout").await;
    let message = browser.text("#error-message").await;
    assert_eq!(browser.status().await, 403);
    assert!(message.contains("表单已过期"), "{message}");
    // With a wrong token: refused too.
    browser.goto(&server.url("/admin")).await;
    browser
        .eval("document.querySelector('#logout').form.querySelector('input[name=csrf]').value = '00'.repeat(32)")
        .await;
    browser.click("#logout").await;
    browser.wait_for("#error-message").await;
    assert_eq!(browser.status().await, 403);
    browser.goto(&server.url("/admin")).await;
    browser.wait_for("#logout").await;

    // Another origin (a page on another port, carrying even the right
    // token): refused by the origin check.
    let evil = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_base = format!("http://127.0.0.1:{}", evil.local_addr().unwrap().port());
    let form = format!(
        r#"<!doctype html><form method="post" action="{}/logout"><input type="hidden" name="csrf" value="{token}"><button id="go">go</button></form>"#,
        server.base
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(form) }),
    );
    tokio::spawn(async move { axum::serve(evil, app).await });
    browser.goto(&evil_base).await;
    browser.click("#go").await;
    let message = browser.text("#error-message").await;
    assert!(message.contains("来自其他网站"), "{message}");
    assert_eq!(browser.status().await, 403);
    browser.goto(&server.url("/admin")).await;
    browser.wait_for("#logout").await;
    browser.close().await;
}

#[tokio::test]
async fn after_logout_the_back_button_does_not_show_the_page() {
    let Some((server, browser)) = start(Screen::Phone).await else {
        return;
    };
    browser
        .sign_in(&server, &server.volunteer.username, PASSWORD)
        .await;
    browser.wait_for("#home-intro").await;
    let cookie = browser
        .page
        .get_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "canteen_session")
        .expect("a session cookie");
    assert!(cookie.http_only, "the session cookie is HttpOnly");
    browser.click("#logout").await;
    assert_eq!(browser.text("#notice").await, "您已退出登录。");
    browser.eval("history.back()").await;
    // The page is asked for again (no-store) and sends to the login page.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    browser.wait_for("#login-form").await;
    assert!(!browser.has("#home-intro").await);
    assert!(browser.url().await.contains("/login"));

    // The session ended on the server: its old cookie opens nothing.
    browser
        .page
        .set_cookie(
            chromiumoxide::cdp::browser_protocol::network::CookieParam::builder()
                .name("canteen_session")
                .value(cookie.value.clone())
                .url(server.url("/"))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    browser.goto(&server.url("/volunteer")).await;
    browser.wait_for("#login-form").await;
    browser.close().await;
}

#[tokio::test]
async fn the_language_switch_works() {
    let Some((server, browser)) = start(Screen::Phone).await else {
        return;
    };
    browser.goto(&server.url("/login")).await;
    assert_eq!(browser.text("h1").await, "登录");
    assert_eq!(browser.eval("document.documentElement.lang").await, "zh-CN");
    browser.click("#lang-switch").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    browser.wait_for("#login-form").await;
    assert_eq!(browser.text("h1").await, "Sign in");
    assert_eq!(browser.eval("document.documentElement.lang").await, "en");
    browser
        .sign_in(&server, &server.finance.username, PASSWORD)
        .await;
    assert_eq!(browser.text("#who-role").await, "finance");
    assert!(browser.text("#home-intro").await.contains("subsidy"));
    // Back to Chinese, on the same page.
    browser.click("#lang-switch").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    browser.wait_for("#home-intro").await;
    assert!(browser.url().await.ends_with("/finance"));
    assert_eq!(browser.text("#who-role").await, "财务");
    browser.screenshot(&shot("finance-home-desktop-zh")).await;
    browser.close().await;
}

#[tokio::test]
async fn a_one_time_password_must_be_replaced_first() {
    let Some((server, browser)) = start(Screen::Phone).await else {
        return;
    };
    // The administrator resets the volunteer's password through the API.
    let hash = backend::auth::hash_password("one-time-pass-1").unwrap();
    let user = server
        .store
        .credentials(&server.volunteer.username)
        .await
        .unwrap()
        .unwrap();
    server
        .store
        .update_user_login(user.id, Some(hash), true, None, crate::http::audit())
        .await
        .unwrap();
    browser
        .sign_in(&server, &server.volunteer.username, "one-time-pass-1")
        .await;
    browser.wait_for("#must-change").await;
    assert!(browser.url().await.ends_with("/password"));
    // Nothing else opens before the change.
    browser.goto(&server.url("/volunteer")).await;
    browser.wait_for("#must-change").await;
    // Two different new passwords: refused, with the reason.
    browser.fill("#current", "one-time-pass-1").await;
    browser.fill("#new", "my-own-password-1").await;
    browser.fill("#again", "my-own-password-2").await;
    browser.click("#password-submit").await;
    assert_eq!(
        browser.text("#password-error").await,
        "两次输入的新密码不一致。"
    );
    browser.fill("#current", "one-time-pass-1").await;
    browser.fill("#new", "my-own-password-1").await;
    browser.fill("#again", "my-own-password-1").await;
    browser.click("#password-submit").await;
    browser.wait_for("#password-done").await;
    assert!(!browser.has("#must-change").await);
    // The session goes on with the new password; signing out works.
    browser.click("#logout").await;
    browser.wait_for("#notice").await;
    browser
        .sign_in(&server, &server.volunteer.username, "my-own-password-1")
        .await;
    browser.goto(&server.url("/volunteer")).await;
    browser.wait_for("#home-intro").await;
    // The one-time password is gone; the new one works.
    let Some(other) = Browser::launch(Screen::Phone).await else {
        return;
    };
    other
        .sign_in(&server, &server.volunteer.username, "one-time-pass-1")
        .await;
    other.wait_for("#login-error").await;
    other
        .sign_in(&server, &server.volunteer.username, "my-own-password-1")
        .await;
    other.wait_for("#home-intro").await;
    other.close().await;
    browser.close().await;
}
