//! What the terminals get beyond sales: the roster with keyed hashes in
//! place of ID numbers, the township-wide first-meal answer, the backend's
//! verdict on each posted line, and cashiers' PINs set by an administrator.

use canteen_core::{Money, ResidentId, SaleLine, Void, VoidId, id_hash};
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, batch, d, resident_id, today, world};

crate::on_both!(roster_carries_hashes_not_numbers, super::roster_hashes);
crate::on_both!(first_meal_answers_township_wide, super::first_meal_answer);
crate::on_both!(sale_answer_carries_verdicts, super::verdicts);
crate::on_both!(admin_sets_cashier_pins, super::cashier_pins);

fn key_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

async fn roster_hashes(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    let born_76 = today() - chrono::Duration::days(76 * 365 + 100);
    let whole = [
        resident_id(born_76, 1),
        resident_id(d(1930, 3, 1), 2),
        resident_id(d(1940, 5, 5), 3),
    ];

    let setup = app.get_ok(t, "/api/terminal/setup").await;
    let key = setup["id_hash_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 64, "{setup}");
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    // The same key for every terminal of the township, every time; another
    // township has its own.
    let again = app.get_ok(t, "/api/terminal/setup").await;
    assert_eq!(again["id_hash_key"], json!(key));
    let term2 = app
        .post_ok(
            &w.admin,
            &format!("/api/sites/{}/terminals", w.site_a),
            &json!({"name": "二号机"}),
        )
        .await;
    let t2 = term2["token"].as_str().unwrap();
    assert_eq!(
        app.get_ok(t2, "/api/terminal/setup").await["id_hash_key"],
        json!(key)
    );
    let key_b = app.get_ok(&w.terminal_b_token, "/api/terminal/setup").await["id_hash_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(key_b, key);

    let res = app.get(t, "/api/terminal/roster").await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    for id in &whole {
        assert!(!text.contains(id.as_str()), "whole ID {id} in {text}");
        // Nor its birth digits beside the region (a number cut in two).
        assert!(!text.contains(&id[..14]), "ID prefix of {id} in {text}");
    }
    assert!(!text.contains("resident_id"), "{text}");
    let roster: Value = serde_json::from_str(&text).unwrap();
    let diners = roster["diners"].as_array().unwrap();
    assert_eq!(diners.len(), 2);
    let k = key_bytes(&key);
    for (diner, number) in diners.iter().zip(&whole) {
        let id = ResidentId::parse(number).unwrap();
        assert_eq!(diner["id_hash"], json!(id_hash(&k, &id)), "{diner}");
        assert_eq!(diner["id_masked"], json!(id.masked()), "{diner}");
        assert_eq!(diner["birth_date"], json!(id.birth_date().to_string()));
    }
    // Township B's terminal hashes under its own key.
    let roster_b = app
        .get_ok(&w.terminal_b_token, "/api/terminal/roster")
        .await;
    let id_b = ResidentId::parse(&whole[2]).unwrap();
    assert_eq!(
        roster_b["diners"][0]["id_hash"],
        json!(id_hash(&key_bytes(&key_b), &id_b))
    );
}

async fn first_meal_answer(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    let ask = |diner: i64, slot: &str| {
        format!(
            "/api/terminal/first-meal?diner_id={diner}&business_date={}&slot={slot}",
            today()
        )
    };
    let answer = app.get_ok(t, &ask(w.diner_76, "lunch")).await;
    assert_eq!(answer["already_subsidised"], json!(false), "{answer}");
    assert_eq!(answer["meals"], json!(0));

    // A subsidised lunch sold by another terminal of the township.
    let term2 = app
        .post_ok(
            &w.admin,
            &format!("/api/sites/{}/terminals", w.site_a),
            &json!({"name": "二号机"}),
        )
        .await;
    let t2 = term2["token"].as_str().unwrap();
    let mut lunch = w.lunch(w.diner_76);
    lunch.terminal_id = canteen_core::TerminalId(term2["terminal"]["id"].as_i64().unwrap());
    lunch.sold_at = Utc::now() - chrono::Duration::minutes(5);
    app.post_ok(
        t2,
        "/api/terminal/sales",
        &batch(std::slice::from_ref(&lunch)),
    )
    .await;

    let answer = app.get_ok(t, &ask(w.diner_76, "lunch")).await;
    assert_eq!(answer["already_subsidised"], json!(true), "{answer}");
    assert_eq!(answer["meals"], json!(1));
    // Other slots and diners are untouched.
    assert_eq!(
        app.get_ok(t, &ask(w.diner_76, "dinner")).await["already_subsidised"],
        json!(false)
    );
    assert_eq!(
        app.get_ok(t, &ask(w.diner_old, "lunch")).await["already_subsidised"],
        json!(false)
    );
    // A meal the asking terminal sold earlier by its clock than the stored
    // one (it was offline) would be the first sold: first_meal's rule.
    let earlier = (lunch.sold_at - chrono::Duration::minutes(1)).to_rfc3339();
    let answer = app
        .get_ok(
            t,
            &format!(
                "{}&at={}",
                ask(w.diner_76, "lunch"),
                earlier.replace('+', "%2B")
            ),
        )
        .await;
    assert_eq!(answer["already_subsidised"], json!(false), "{answer}");

    // Voided, the meal no longer counts.
    let void = Void {
        id: VoidId::new_random(),
        sale_id: lunch.id,
        site_id: lunch.site_id,
        terminal_id: lunch.terminal_id,
        voided_by: lunch.cashier_id,
        voided_at: Utc::now(),
        reason: "按错了".into(),
    };
    app.post_ok(t2, "/api/terminal/voids", &json!({ "voids": [void] }))
        .await;
    assert_eq!(
        app.get_ok(t, &ask(w.diner_76, "lunch")).await["already_subsidised"],
        json!(false)
    );

    // Another township's diner is not found; bad queries are 400.
    let res = app.get(t, &ask(w.diner_b, "lunch")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for bad in [
        ask(w.diner_76, "brunch"),
        format!(
            "/api/terminal/first-meal?diner_id={}&slot=lunch",
            w.diner_76
        ),
        format!(
            "/api/terminal/first-meal?diner_id=x&business_date={}&slot=lunch",
            today()
        ),
        format!(
            "/api/terminal/first-meal?diner_id={}&business_date=2026-02-30&slot=lunch",
            w.diner_76
        ),
    ] {
        let res = app.get(t, &bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // People cannot ask it: it is the terminals' API.
    assert_eq!(
        app.get(&w.cashier, &ask(w.diner_76, "lunch"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

async fn verdicts(app: TestApp) {
    let w = world(&app).await;
    let t = &w.terminal_token;
    let first = w.lunch(w.diner_76);
    // A second subsidised lunch the terminal priced as if it were the first
    // (it did not know of the other): the backend says standard.
    let mut second = w.lunch(w.diner_76);
    second.sold_at = first.sold_at + chrono::Duration::minutes(2);
    let walk_in = w.walk_in();
    let res = app
        .post(
            t,
            "/api/terminal/sales",
            &batch(&[first.clone(), second.clone(), walk_in.clone()]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let line = |i: usize| body["results"][i]["lines"][0].clone();
    assert_eq!(line(0)["verdict"], json!("agrees"), "{body}");
    assert_eq!(line(0)["expected_paid"], json!("6.00"));
    assert_eq!(line(1)["verdict"], json!("differs"), "{body}");
    assert_eq!(line(1)["amount"], json!("6.00"));
    assert_eq!(line(1)["expected_paid"], json!("12.00"));
    assert_eq!(line(1)["expected_subsidy"], json!("0.00"));
    assert_eq!(
        line(1)["expected_reason"]["kind"],
        json!("already_subsidised"),
        "{body}"
    );
    assert_eq!(line(2)["verdict"], json!("not_subsidised"));
    // Posted again, the duplicates carry the same verdicts.
    let res = app
        .post(t, "/api/terminal/sales", &batch(&[second.clone()]))
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], json!("duplicate"));
    assert_eq!(body["results"][0]["lines"][0]["verdict"], json!("differs"));
    // A refused sale carries none.
    let mut wrong = w.lunch(w.diner_76);
    if let SaleLine::DinerMeal { paid, .. } = &mut wrong.lines[0] {
        *paid = Money::from_fen(700);
    }
    let res = app.post(t, "/api/terminal/sales", &batch(&[wrong])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], json!("rejected"));
    assert!(body["results"][0].get("lines").is_none(), "{body}");
}

async fn cashier_pins(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/api/users/{}/pin", w.cashier_id);
    let setup = app.get_ok(&w.terminal_token, "/api/terminal/setup").await;
    assert!(setup["cashiers"][0].get("pin_hash").is_none(), "{setup}");
    assert_eq!(setup["cashiers"][0]["supervisor"], json!(false));

    let res = app
        .put(&w.admin, &path, &json!({"pin": "4821", "supervisor": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let setup = app.get_ok(&w.terminal_token, "/api/terminal/setup").await;
    let hash = setup["cashiers"][0]["pin_hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!setup.to_string().contains("4821"));
    assert!(backend::auth::verify_password("4821", &hash));
    assert!(!backend::auth::verify_password("4822", &hash));
    assert_eq!(setup["cashiers"][0]["supervisor"], json!(true));

    // Audited, without the PIN or its hash.
    let audit = app.get_ok(&w.admin, "/api/audit?limit=5").await;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == json!("user.set_pin"))
        .unwrap_or_else(|| panic!("no user.set_pin entry in {audit}"))
        .clone();
    let text = entry.to_string();
    assert!(!text.contains("4821") && !text.contains(&hash), "{text}");
    assert!(text.contains("supervisor"), "{text}");

    // Changing it replaces the hash; dropping supervisor shows at once.
    app.put(&w.admin, &path, &json!({"pin": "135790"}))
        .await
        .error_for_status()
        .unwrap();
    let setup = app.get_ok(&w.terminal_token, "/api/terminal/setup").await;
    let hash2 = setup["cashiers"][0]["pin_hash"].as_str().unwrap();
    assert!(backend::auth::verify_password("135790", hash2));
    assert_eq!(setup["cashiers"][0]["supervisor"], json!(false));

    // Hostile and mistaken requests.
    for (token, path, body, status) in [
        (&w.admin, path.clone(), json!({"pin": "12"}), 422),
        (&w.admin, path.clone(), json!({"pin": "1234567"}), 422),
        (&w.admin, path.clone(), json!({"pin": "12a4"}), 422),
        (&w.admin, path.clone(), json!({"pin": 1234}), 422),
        (&w.admin, path.clone(), json!({"pin": "1234", "x": 1}), 422),
        (&w.cashier, path.clone(), json!({"pin": "1234"}), 403),
        (&w.finance, path.clone(), json!({"pin": "1234"}), 403),
        (&w.admin_b, path.clone(), json!({"pin": "1234"}), 404),
        (
            &w.admin,
            format!("/api/users/{}/pin", w.cashier_b_id),
            json!({"pin": "1234"}),
            404,
        ),
        (
            &w.admin,
            "/api/users/999999/pin".to_string(),
            json!({"pin": "1234"}),
            404,
        ),
    ] {
        let res = app.put(token, &path, &body).await;
        assert_eq!(res.status().as_u16(), status, "{path} {body}");
        let b: Value = res.json().await.unwrap();
        assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()), "{b}");
    }
    // Not a cashier.
    let users = app.get_ok(&w.admin, "/api/users").await;
    let finance_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == json!("finance"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .put(
            &w.admin,
            &format!("/api/users/{finance_id}/pin"),
            &json!({"pin": "1234"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The terminal still has the PIN set before the refusals.
    let setup = app.get_ok(&w.terminal_token, "/api/terminal/setup").await;
    assert!(backend::auth::verify_password(
        "135790",
        setup["cashiers"][0]["pin_hash"].as_str().unwrap()
    ));
}
