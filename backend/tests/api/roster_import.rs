//! Importing the village ledger: all rows or none, every bad row reported
//! with its row number; `?import_good=true` imports the good ones.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, d, resident_id, world};

crate::on_both!(csv_and_xlsx_import, super::csv_and_xlsx_import);

async fn post_file(
    app: &TestApp,
    token: &str,
    path: &str,
    ct: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn count(app: &TestApp, token: &str, township: i64) -> usize {
    app.get_ok(token, &format!("/api/townships/{township}/diners"))
        .await
        .as_array()
        .unwrap()
        .len()
}

async fn csv_and_xlsx_import(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/api/townships/{}/diners/import", w.township_a);
    let before = count(&app, &w.admin, w.township_a).await;
    let good1 = resident_id(d(1948, 2, 29), 11);
    let good2 = resident_id(d(1955, 7, 1), 12);
    let mut bad_check = resident_id(d(1950, 1, 1), 13);
    bad_check.pop();
    bad_check.push(if bad_check.ends_with('1') { '2' } else { '1' });
    let csv = format!(
        "姓名,身份证号,村,类别\n张秀兰,{good1},大寨村,tekun\n李明,{bad_check},大寨村,\n,{good2},小寨村,\n王芳,{good2},小寨村,\n王芳二,{good2},小寨村,\n"
    );
    let (status, body) =
        post_file(&app, &w.admin, &path, "text/csv", csv.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], json!("import_rejected"));
    assert_eq!(body["imported"], json!(0));
    let rows: Vec<i64> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, vec![3, 4, 6]);
    assert!(
        body["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("ID number")
    );
    assert!(
        body["rejected"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("row 5")
    );
    assert_eq!(
        count(&app, &w.admin, w.township_a).await,
        before,
        "nothing imported"
    );

    let (status, body) = post_file(
        &app,
        &w.admin,
        &format!("{path}?import_good=true"),
        "text/csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], json!(2));
    assert_eq!(body["rejected"].as_array().unwrap().len(), 3);
    assert_eq!(count(&app, &w.admin, w.township_a).await, before + 2);

    // The same people again: already on the roster.
    let again = format!("name,id_number\n张秀兰,{good1}\n");
    let (status, body) = post_file(&app, &w.admin, &path, "text/csv", again.into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("already on the roster")
    );

    // An XLSX workbook with the ID numbers as text.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "村"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let id3 = resident_id(d(1944, 12, 31), 21);
    sheet.write_string(1, 0, "杨光").unwrap();
    sheet.write_string(1, 1, &id3).unwrap();
    sheet.write_string(1, 2, "大寨村").unwrap();
    sheet.write_string(2, 0, "周平").unwrap();
    sheet.write_string(2, 1, "12345").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (status, body) = post_file(&app, &w.admin, &path, ct, bytes.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rejected"][0]["row"], json!(3));
    assert!(
        body["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("18 characters")
    );
    let (status, body) = post_file(
        &app,
        &w.admin,
        &format!("{path}?import_good=true"),
        ct,
        bytes,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], json!(1));
    assert_eq!(count(&app, &w.admin, w.township_a).await, before + 3);

    // Garbage and headerless files are refused with a reason.
    let (status, body) = post_file(
        &app,
        &w.admin,
        &path,
        "text/csv",
        b"just,some,words\n1,2,3\n".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], json!("unreadable_file"));
    let (status, _) = post_file(&app, &w.admin, &path, ct, b"PK\x03\x04garbage".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
