//! Who may do what: a role × endpoint matrix (every forbidden pair is 403
//! and carries no data), and scope (another township's or site's id in a
//! URL is 404, as if it did not exist).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, World, batch, policy, world};

crate::on_both!(role_endpoint_matrix, super::role_endpoint_matrix);
crate::on_both!(scope_is_enforced, super::scope_is_enforced);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    County,
    Admin,
    Finance,
    Volunteer,
    Cashier,
    Terminal,
}

use Caller::*;

const ALL: [Caller; 6] = [County, Admin, Finance, Volunteer, Cashier, Terminal];
const PEOPLE: &[Caller] = &[County, Admin, Finance, Volunteer, Cashier];
const ADMINS: &[Caller] = &[County, Admin];

fn token(w: &World, c: Caller) -> &str {
    match c {
        County => &w.county,
        Admin => &w.admin,
        Finance => &w.finance,
        Volunteer => &w.volunteer,
        Cashier => &w.cashier,
        Terminal => &w.terminal_token,
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

async fn role_endpoint_matrix(app: TestApp) {
    let w = world(&app).await;
    let (a, s, s2) = (w.township_a, w.site_a, w.site_a2);
    let sale = w.lunch(w.diner_76);
    app.post_ok(
        &w.terminal_token,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&sale)),
    )
    .await;
    let today = crate::helpers::today();
    // (method, path, body, callers allowed)
    let cases: Vec<(Method, String, Option<Value>, &[Caller])> = vec![
        (Method::GET, "/api/me".into(), None, PEOPLE),
        (
            Method::GET,
            "/api/townships".into(),
            None,
            &[County, Admin, Finance],
        ),
        (
            Method::POST,
            "/api/townships".into(),
            Some(json!({"name": "镇UNIQUE"})),
            &[County],
        ),
        (Method::GET, "/api/sites".into(), None, PEOPLE),
        (
            Method::GET,
            format!("/api/sites/{s}"),
            None,
            &[County, Admin, Finance, Cashier],
        ),
        (
            Method::POST,
            "/api/sites".into(),
            Some(json!({"township_id": a, "name": "UNIQUE", "kind": "commune"})),
            ADMINS,
        ),
        (
            Method::GET,
            format!("/api/sites/{s}/terminals"),
            None,
            ADMINS,
        ),
        (
            Method::POST,
            format!("/api/sites/{s}/terminals"),
            Some(json!({"name": "二号机"})),
            ADMINS,
        ),
        (
            Method::PATCH,
            format!("/api/terminals/{}", w.terminal_b_id),
            Some(json!({"active": true})),
            &[County],
        ),
        (Method::GET, "/api/users".into(), None, ADMINS),
        (
            Method::POST,
            "/api/users".into(),
            Some(
                json!({"username": "UNIQUE", "display_name": "x", "role": "finance", "township_id": a, "password": "long-enough-pw"}),
            ),
            ADMINS,
        ),
        (
            Method::PATCH,
            format!("/api/users/{}", w.cashier_id),
            Some(json!({"active": true})),
            ADMINS,
        ),
        (Method::GET, "/api/audit".into(), None, ADMINS),
        (
            Method::GET,
            format!("/api/townships/{a}/diners"),
            None,
            PEOPLE,
        ),
        (
            Method::POST,
            format!("/api/townships/{a}/diners"),
            Some(json!({"name": "测试"})),
            ADMINS,
        ),
        (
            Method::GET,
            format!("/api/diners/{}", w.diner_76),
            None,
            PEOPLE,
        ),
        (
            Method::PUT,
            format!("/api/diners/{}", w.diner_old),
            Some(json!({"name": "李桂兰", "birth_date": "1930-03-01"})),
            ADMINS,
        ),
        (
            Method::GET,
            format!("/api/sites/{s2}/policies"),
            None,
            &[County, Admin, Finance, Volunteer],
        ),
        (
            Method::POST,
            format!("/api/sites/{s}/policies"),
            Some(policy(s)),
            ADMINS,
        ),
        (
            Method::GET,
            format!("/api/sites/{s}/sales?from={today}&to={today}"),
            None,
            &[County, Admin, Finance, Cashier],
        ),
        (
            Method::GET,
            format!("/api/sales/{}", sale.id),
            None,
            &[County, Admin, Finance, Cashier],
        ),
        (Method::GET, "/api/terminal/setup".into(), None, &[Terminal]),
        (
            Method::GET,
            "/api/terminal/roster".into(),
            None,
            &[Terminal],
        ),
        (
            Method::GET,
            "/api/terminal/policies".into(),
            None,
            &[Terminal],
        ),
        (
            Method::GET,
            format!(
                "/api/terminal/first-meal?diner_id={}&business_date={today}&slot=lunch",
                w.diner_76
            ),
            None,
            &[Terminal],
        ),
        (
            Method::PUT,
            format!("/api/users/{}/pin", w.cashier_id),
            Some(json!({"pin": "2468"})),
            ADMINS,
        ),
        (
            Method::POST,
            "/api/terminal/sales".into(),
            Some(batch(&[w.walk_in()])),
            &[Terminal],
        ),
    ];
    // Pairs refused by scope rather than role (404): the volunteer is at the
    // commune, the cashier at the canteen.
    let hidden = |c: Caller, path: &str| {
        (c == Admin && path.starts_with("/api/terminals/"))
            || (c == Volunteer
                && (path == format!("/api/sites/{s}")
                    || path.starts_with(&format!("/api/sites/{s}/"))))
            || (c == Cashier && path.starts_with(&format!("/api/sites/{s2}/")))
    };
    let mut checked = 0;
    for (method, path, body, allowed) in &cases {
        for caller in ALL {
            let mut req = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(token(&w, caller));
            if let Some(b) = body {
                // Names must be new for every caller.
                let text = b.to_string().replace("UNIQUE", &unique());
                req = req.header("content-type", "application/json").body(text);
            }
            let res = req.send().await.expect("request");
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let what = format!("{caller:?} {method} {path}: {status} {text}");
            assert!(!status.is_server_error(), "{what}");
            if allowed.contains(&caller) {
                assert!(status.is_success(), "{what}");
            } else if hidden(caller, path) {
                assert!(
                    status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                    "{what}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                let v: Value = serde_json::from_str(&text).expect("JSON error");
                assert_eq!(v["code"], json!("forbidden"), "{what}");
                let mut keys: Vec<&str> = v
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                keys.sort_unstable();
                assert_eq!(
                    keys,
                    vec!["code", "message", "message_zh"],
                    "a 403 carries no data: {what}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * ALL.len());
    // Without a token: 401.
    let res = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .get(app.url("/api/me"))
        .bearer_auth("hcs_nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .get(app.url("/api/terminal/setup"))
        .bearer_auth("hct_nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn scope_is_enforced(app: TestApp) {
    let w = world(&app).await;
    let sale = w.lunch(w.diner_76);
    app.post_ok(
        &w.terminal_token,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&sale)),
    )
    .await;
    let b = &w.admin_b;
    let today = crate::helpers::today();
    for path in [
        format!("/api/sites/{}", w.site_a),
        format!("/api/sites/{}/terminals", w.site_a),
        format!("/api/sites/{}/policies", w.site_a),
        format!("/api/sites/{}/sales?from={today}&to={today}", w.site_a),
        format!("/api/townships/{}/diners", w.township_a),
        format!("/api/diners/{}", w.diner_76),
        format!("/api/sales/{}", sale.id),
    ] {
        let res = app.get(b, &path).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "admin of B reads {path}"
        );
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], json!("not_found"));
    }
    let res = app
        .put(
            b,
            &format!("/api/diners/{}", w.diner_76),
            &json!({"name": "改名"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(
            b,
            &format!("/api/sites/{}/terminals", w.site_a),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(b, "/api/users", &json!({"username": "sneaky", "display_name": "x", "role": "cashier", "site_id": w.site_a, "password": "long-enough-pw"}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let sites = app.get_ok(b, "/api/sites").await;
    assert_eq!(sites.as_array().unwrap().len(), 1);
    assert_eq!(sites[0]["id"], json!(w.site_b));
    let users = app.get_ok(b, "/api/users").await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["township_id"] == json!(w.township_b))
    );
    let audit = app.get_ok(b, "/api/audit").await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["township_id"] == json!(w.township_b))
    );

    // The cashier sees their own site only.
    let res = app
        .get(
            &w.cashier,
            &format!("/api/sites/{}/sales?from={today}&to={today}", w.site_a2),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Terminals act for their own site, cashiers and township only.
    let (n, _) = app.sales_count().await;
    let mut other_site = w.lunch(w.diner_76);
    other_site.site_id = canteen_core::SiteId(w.site_b);
    let mut other_cashier = w.lunch(w.diner_76);
    other_cashier.cashier_id = canteen_core::UserId(w.cashier_b_id);
    let other_diner = w.lunch(w.diner_b);
    let mut other_terminal = w.lunch(w.diner_76);
    other_terminal.terminal_id = canteen_core::TerminalId(w.terminal_b_id);
    let res = app
        .post(
            &w.terminal_token,
            "/api/terminal/sales",
            &batch(&[other_site, other_cashier, other_diner, other_terminal]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.unwrap();
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["status"], json!("rejected"), "{r}");
    }
    assert!(
        v["results"][2]["message"]
            .as_str()
            .unwrap()
            .contains("not on this township's roster")
    );
    assert_eq!(app.sales_count().await.0, n);
    // Terminal B cannot read A's sale by posting a void for it.
    let void = canteen_core::Void {
        id: canteen_core::VoidId::new_random(),
        sale_id: sale.id,
        site_id: canteen_core::SiteId(w.site_b),
        terminal_id: canteen_core::TerminalId(w.terminal_b_id),
        voided_by: canteen_core::UserId(w.cashier_b_id),
        voided_at: chrono::Utc::now(),
        reason: "x".into(),
    };
    let res = app
        .post(
            &w.terminal_b_token,
            "/api/terminal/voids",
            &json!({"voids": [void]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
