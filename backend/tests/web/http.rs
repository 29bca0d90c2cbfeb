//! Sessions, cookies, CSRF and error pages over plain HTTP (no browser):
//! what a browser would hide, and what a hostile client sends.

use backend::store::{Actor, AuditEntry};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};

use crate::harness::{Backend, PASSWORD, Server};

pub fn audit() -> AuditEntry {
    AuditEntry {
        actor: Actor::system(),
        township_id: None,
        action: "test".into(),
        entity: "user".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    }
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Posts a form; `cookie` and extra headers as given.
async fn post(
    server: &Server,
    path: &str,
    body: &[(&str, &str)],
    cookie: Option<&str>,
    headers: &[(&'static str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(server.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(body));
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn get(server: &Server, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = client().get(server.url(path));
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.unwrap()
}

fn set_cookie(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
        .to_string()
}

/// Signs in; answers the `name=value` of the session cookie and its
/// whole Set-Cookie line.
async fn sign_in(server: &Server, username: &str) -> (String, String) {
    let res = post(
        server,
        "/login",
        &[("username", username), ("password", PASSWORD)],
        None,
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let line = set_cookie(res.headers(), "canteen_session");
    let pair = line.split(';').next().unwrap().to_string();
    (pair, line)
}

/// The CSRF token in a page's forms.
async fn token(server: &Server, cookie: &str, path: &str) -> String {
    let html = get(server, path, Some(cookie)).await.text().await.unwrap();
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_and_secure_when_configured() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let (_, line) = sign_in(&server, &server.volunteer.username).await;
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(line.contains(attr), "{line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    let id = line.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_eq!(id.len(), 64, "a 256-bit random id");

    let server = Server::start_with(Backend::Sqlite, |c| c.secure_cookies = true)
        .await
        .unwrap();
    let (_, line) = sign_in(&server, &server.volunteer.username).await;
    assert!(line.contains("Secure"), "{line}");
}

#[tokio::test]
async fn a_post_needs_its_token_and_this_origin() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let (cookie, _) = sign_in(&server, &server.admin.username).await;
    let token = token(&server, &cookie, "/admin").await;
    let origin = server.base.clone();

    let res = post(&server, "/logout", &[], Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("表单已过期"));

    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let res = post(
            &server,
            "/logout",
            &[("csrf", &token)],
            Some(&cookie),
            &headers,
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(res.text().await.unwrap().contains("来自其他网站"));
    }
    // Another session's token does not fit this one.
    let (other, _) = sign_in(&server, &server.finance.username).await;
    let other_token = self::token(&server, &other, "/finance").await;
    let res = post(
        &server,
        "/logout",
        &[("csrf", &other_token)],
        Some(&cookie),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Still signed in after all that.
    assert_eq!(
        get(&server, "/admin", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    let res = post(
        &server,
        "/logout",
        &[("csrf", &token)],
        Some(&cookie),
        &[("origin", &origin), ("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login?bye=1");
    let res = get(&server, "/admin", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login?next=/admin");
}

#[tokio::test]
async fn a_login_from_another_site_is_refused_and_redirects_stay_here() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let user = server.finance.username.clone();
    let res = post(
        &server,
        "/login",
        &[("username", &user), ("password", PASSWORD)],
        None,
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get(SET_COOKIE).is_none());
    for (next, to) in [
        ("/finance", "/finance"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let res = post(
            &server,
            "/login",
            &[("username", &user), ("password", PASSWORD), ("next", next)],
            None,
            &[],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], to, "next={next}");
    }
    // The language switch goes back only to this site, too.
    let res = get(&server, "/lang?to=en&back=//evil.example", None).await;
    assert_eq!(res.headers()[LOCATION], "/");
    let res = get(&server, "/lang?to=xx", None).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn page_errors_are_pages_in_the_readers_language_and_the_api_stays_json() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let res = get(&server, "/no-such-page", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("找不到这个页面"));
    let res = get(&server, "/no-such-page", Some("lang=en")).await;
    assert!(res.text().await.unwrap().contains("There is no such page"));
    let res = client().put(server.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.text().await.unwrap().contains("不接受这种请求"));
    // A form that cannot be read: a page, not a 500 or JSON.
    let res = post(&server, "/login", &[("username", "x")], None, &[]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    let res = get(&server, "/api/no-such-endpoint", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // The API keeps its bearer tokens: a page's cookie does not sign in there.
    let (cookie, _) = sign_in(&server, &server.admin.username).await;
    let res = get(&server, "/api/me", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Pages are not cached and not framed.
    let res = get(&server, "/admin", Some(&cookie)).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
    assert!(body.len() < 20_000, "a page of {} bytes", body.len());
}

async fn sessions_end_when_idle_or_past_their_end(kind: Backend) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let db = &server.store;
    let user = db
        .credentials(&server.volunteer.username)
        .await
        .unwrap()
        .unwrap()
        .id;
    let idle = 30 * 60_000;
    let t0 = 1_700_000_000_000_i64;
    db.insert_web_session("a", user, t0, t0 + 3_600_000, idle)
        .await
        .unwrap();
    // Used within the idle time: alive, and its idle clock restarts.
    let s = db.web_session("a", t0 + idle - 1, idle).await.unwrap();
    assert_eq!(s.unwrap().user.id, user);
    assert!(
        db.web_session("a", t0 + 2 * idle - 2, idle)
            .await
            .unwrap()
            .is_some()
    );
    // Past its absolute end, however recently used.
    assert!(
        db.web_session("a", t0 + 3_600_000, idle)
            .await
            .unwrap()
            .is_none()
    );
    // Idle too long.
    db.insert_web_session("b", user, t0, t0 + 3_600_000, idle)
        .await
        .unwrap();
    assert!(
        db.web_session("b", t0 + idle, idle)
            .await
            .unwrap()
            .is_none()
    );
    // Ended by logging out; unknown ids find nothing.
    db.insert_web_session("c", user, t0, t0 + 3_600_000, idle)
        .await
        .unwrap();
    db.delete_web_session("c").await.unwrap();
    assert!(db.web_session("c", t0 + 1, idle).await.unwrap().is_none());
    // A new password ends every session of the user.
    db.insert_web_session("d", user, t0, t0 + 3_600_000, idle)
        .await
        .unwrap();
    db.update_user_login(user, Some("h".into()), false, None, audit())
        .await
        .unwrap();
    assert!(db.web_session("d", t0 + 1, idle).await.unwrap().is_none());
    server.finish().await;
}

#[tokio::test]
async fn sessions_end_when_idle_or_past_their_end_sqlite() {
    sessions_end_when_idle_or_past_their_end(Backend::Sqlite).await;
}

#[tokio::test]
async fn sessions_end_when_idle_or_past_their_end_postgres() {
    sessions_end_when_idle_or_past_their_end(Backend::Postgres).await;
}

#[tokio::test]
async fn a_one_time_password_opens_only_the_password_page_and_logout() {
    let server = Server::start(Backend::Sqlite).await.unwrap();
    let id = server
        .store
        .credentials(&server.admin.username)
        .await
        .unwrap()
        .unwrap()
        .id;
    let hash = backend::auth::hash_password(PASSWORD).unwrap();
    server
        .store
        .update_user_login(id, Some(hash), true, None, audit())
        .await
        .unwrap();
    let res = post(
        &server,
        "/login",
        &[
            ("username", &server.admin.username),
            ("password", PASSWORD),
            ("next", "/admin"),
        ],
        None,
        &[],
    )
    .await;
    assert_eq!(res.headers()[LOCATION], "/password");
    let line = set_cookie(res.headers(), "canteen_session");
    let cookie = line.split(';').next().unwrap().to_string();
    for path in ["/", "/admin", "/finance"] {
        let res = get(&server, path, Some(&cookie)).await;
        assert_eq!(res.headers()[LOCATION], "/password", "{path}");
    }
    let token = token(&server, &cookie, "/password").await;
    let res = post(&server, "/logout", &[("csrf", &token)], Some(&cookie), &[]).await;
    assert_eq!(res.headers()[LOCATION], "/login?bye=1");
    let res = get(&server, "/password", Some(&cookie)).await;
    assert_eq!(res.headers()[LOCATION], "/login?next=/password");
}
