//! Importing the roster from a CSV or XLSX file: a preview with each bad
//! row's number and reason before anything is stored, then a confirm step.
//! The uploaded file waits server-side under a random token (bounded in
//! number and age; its size is bounded by the body limit, as the API's).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use canteen_core::{TownshipId, UserId};
use serde::Deserialize;

use super::{Words, field, fill, frame, township_of};
use crate::http::roster::{check_import, store_import};
use crate::http::{ApiError, AppState};
use crate::import::{ParsedRoster, RowError, RowProblem};
use crate::store::Township;
use crate::web::guard::Admin;
use crate::web::{Page, PageError};

/// Good rows shown in the preview.
const PREVIEW_ROWS: usize = 20;
/// How long an upload waits for its confirmation.
const PENDING_TTL: Duration = Duration::from_secs(30 * 60);
/// Uploads waiting at once (the oldest goes first).
const MAX_PENDING: usize = 16;

/// An upload waiting for its confirmation.
struct Pending {
    user: UserId,
    township: TownshipId,
    at: Instant,
    /// `None` while being imported or once imported.
    file: Option<Bytes>,
    /// How many were imported, once done.
    imported: Option<usize>,
}

static PENDING: Mutex<Option<HashMap<String, Pending>>> = Mutex::new(None);

fn keep(token: &str, pending: Pending) {
    let Ok(mut guard) = PENDING.lock() else {
        return;
    };
    let map = guard.get_or_insert_with(HashMap::new);
    map.retain(|_, p| p.at.elapsed() < PENDING_TTL);
    while map.len() >= MAX_PENDING {
        let Some(oldest) = map.iter().min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone()) else {
            break;
        };
        map.remove(&oldest);
    }
    map.insert(token.to_string(), pending);
}

/// What a confirmation finds under its token.
enum Taken {
    File(Bytes),
    Done(usize),
    Running,
    Unknown,
}

fn take(token: &str, user: UserId, township: TownshipId) -> Taken {
    let Ok(mut guard) = PENDING.lock() else {
        return Taken::Unknown;
    };
    let Some(p) = guard.as_mut().and_then(|m| m.get_mut(token)) else {
        return Taken::Unknown;
    };
    if p.user != user || p.township != township || p.at.elapsed() >= PENDING_TTL {
        return Taken::Unknown;
    }
    match (p.file.take(), p.imported) {
        (Some(file), _) => Taken::File(file),
        (None, Some(n)) => Taken::Done(n),
        (None, None) => Taken::Running,
    }
}

fn finish(token: &str, outcome: Result<usize, Bytes>) {
    if let Ok(mut guard) = PENDING.lock()
        && let Some(p) = guard.as_mut().and_then(|m| m.get_mut(token))
    {
        match outcome {
            Ok(n) => p.imported = Some(n),
            Err(file) => p.file = Some(file),
        }
    }
}

/// A good row as previewed (no ID number, no birth date).
pub struct PreviewRow {
    row: usize,
    name: String,
    village: String,
    card_no: String,
}

/// A bad row.
pub struct BadRow {
    row: usize,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/import.html")]
pub struct ImportPage {
    page: Page,
    w: &'static Words,
    township: Township,
    townships: Vec<Township>,
    error: Option<String>,
    notice: Option<String>,
    /// After an upload: the counts, rows and the token to confirm.
    total: String,
    good_count: usize,
    good_text: String,
    bad_text: String,
    first_rows: String,
    good: Vec<PreviewRow>,
    bad: Vec<BadRow>,
    token: Option<String>,
    confirm_all: String,
    confirm_good: String,
}

impl ImportPage {
    fn new(a: &Admin, township: Township, townships: Vec<Township>) -> ImportPage {
        let (page, w) = frame(a, "/admin/import");
        ImportPage {
            page,
            w,
            township,
            townships,
            error: None,
            notice: None,
            total: String::new(),
            good_count: 0,
            good_text: String::new(),
            bad_text: String::new(),
            first_rows: String::new(),
            good: Vec::new(),
            bad: Vec::new(),
            token: None,
            confirm_all: String::new(),
            confirm_good: String::new(),
        }
    }

    fn with_preview(mut self, parsed: &ParsedRoster, token: String) -> ImportPage {
        let w = self.w;
        let total = parsed.good.len() + parsed.bad.len();
        let n = |k: usize| k.to_string();
        self.total = fill(w.rows_total, &[("n", &n(total))]);
        self.good_count = parsed.good.len();
        self.good_text = fill(w.rows_good, &[("n", &n(parsed.good.len()))]);
        self.bad_text = fill(w.rows_bad, &[("n", &n(parsed.bad.len()))]);
        self.first_rows = fill(
            w.first_rows,
            &[("n", &n(parsed.good.len().min(PREVIEW_ROWS)))],
        );
        self.good = parsed
            .good
            .iter()
            .take(PREVIEW_ROWS)
            .map(|(row, f)| PreviewRow {
                row: *row,
                name: f.name.clone(),
                village: f.village.clone().unwrap_or_default(),
                card_no: f.card_no.clone().unwrap_or_default(),
            })
            .collect();
        self.bad = parsed
            .bad
            .iter()
            .map(|b| BadRow {
                row: b.row,
                reason: row_reason(w, b),
            })
            .collect();
        self.confirm_all = fill(w.confirm_import, &[("n", &n(parsed.good.len()))]);
        self.confirm_good = fill(w.import_good_only, &[("n", &n(parsed.good.len()))]);
        self.token = (!parsed.good.is_empty()).then_some(token);
        self
    }
}

/// A bad row's reason in the reader's language (the importer's own words,
/// in English, for what it does not tell apart).
fn row_reason(w: &Words, e: &RowError) -> String {
    use crate::domain::DinerError;
    match &e.problem {
        RowProblem::ControlCharacter { column, .. } => fill(w.import_control, &[("c", column)]),
        RowProblem::NoName | RowProblem::Diner(DinerError::NoName) => w.import_no_name.to_string(),
        RowProblem::Diner(DinerError::ResidentId(id)) => {
            format!("{}{}", w.import_bad_id, super::diners::id_reason(w, id))
        }
        RowProblem::SameIdAsRow(first) => fill(w.import_same_id, &[("n", &first.to_string())]),
        RowProblem::AlreadyOnRoster(_) => w.import_on_roster.to_string(),
        _ => e.reason.clone(),
    }
}

/// The township's query.
#[derive(Debug, Deserialize)]
pub struct TownshipQuery {
    #[serde(default)]
    township: Option<i64>,
}

/// `GET /admin/import`: the upload form.
pub async fn form(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
) -> Result<ImportPage, PageError> {
    let (township, townships) = township_of(&state, &a, q.township).await?;
    Ok(ImportPage::new(&a, township, townships))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// The bytes of the file part `name` of a multipart body.
fn file_part(headers: &HeaderMap, body: &Bytes, name: &str) -> Option<Bytes> {
    let kind = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !kind.starts_with("multipart/form-data") {
        return None;
    }
    let boundary = kind
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()?
        .trim_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    let opening = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut at = find(body, opening.as_bytes(), 0)? + opening.len();
    loop {
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = String::from_utf8_lossy(&body[at..head_end]);
        let content = head_end + 4;
        let end = find(body, delimiter.as_bytes(), content)?;
        let names_it = head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("content-disposition") && l.contains(&wanted)
        });
        if names_it {
            return Some(body.slice(content..end));
        }
        at = end + delimiter.len();
    }
}

/// `POST /admin/import` (multipart: the file): reads it and shows the
/// preview; nothing is stored.
pub async fn preview(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let (township, townships) = township_of(&state, &a, q.township).await?;
    let mut page = ImportPage::new(&a, township.clone(), townships);
    let w = page.w;
    let Some(file) = file_part(&headers, &body, "file").filter(|f| !f.is_empty()) else {
        page.error = Some(w.err_no_file.to_string());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    drop(body);
    let parsed = match check_import(&state, &a.signed.person, township.id, file.clone()).await {
        Ok(parsed) => parsed,
        Err(ApiError::Invalid(_, m)) => {
            page.error = Some(format!("{}{m}", w.err_unreadable));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let token = crate::auth::random_hex(16);
    if !parsed.good.is_empty() {
        keep(
            &token,
            Pending {
                user: a.signed.person.user.id,
                township: township.id,
                at: Instant::now(),
                file: Some(file),
                imported: None,
            },
        );
    }
    let status = if parsed.bad.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page.with_preview(&parsed, token)).into_response())
}

/// `POST /admin/import/confirm`: reads the kept file again (the roster may
/// have changed since the preview) and stores it. With bad rows it stores
/// only when asked to import the good rows alone.
pub async fn confirm(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<TownshipQuery>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (township, townships) = township_of(&state, &a, q.township).await?;
    let mut page = ImportPage::new(&a, township.clone(), townships);
    let w = page.w;
    let token = field(&form, "token").to_string();
    let good_only = field(&form, "good_only") == "1";
    let file = match take(&token, a.signed.person.user.id, township.id) {
        Taken::File(file) => file,
        Taken::Done(n) => {
            page.notice = Some(fill(w.imported, &[("n", &n.to_string())]));
            return Ok(page.into_response());
        }
        Taken::Running => {
            page.error = Some(w.import_running.to_string());
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Taken::Unknown => {
            page.error = Some(w.import_expired.to_string());
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    };
    let person = &a.signed.person;
    let parsed = match check_import(&state, person, township.id, file.clone()).await {
        Ok(parsed) => parsed,
        Err(e) => {
            finish(&token, Err(file));
            return Err(e.into());
        }
    };
    if !parsed.bad.is_empty() && !good_only {
        finish(&token, Err(file));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page.with_preview(&parsed, token),
        )
            .into_response());
    }
    match store_import(&state, person, township.id, parsed.good).await {
        Ok(n) => {
            finish(&token, Ok(n));
            page.notice = Some(fill(w.imported, &[("n", &n.to_string())]));
            Ok(page.into_response())
        }
        Err(e) => {
            finish(&token, Err(file));
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_part_is_found_byte_for_byte() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nname\r\n\xff\x00x\r\n--XyZ--\r\n",
        );
        assert_eq!(
            file_part(&h, &body, "file").unwrap().as_ref(),
            b"name\r\n\xff\x00x"
        );
        assert!(file_part(&h, &body, "other").is_none());
        let cut = body.slice(..60);
        assert!(file_part(&h, &cut, "file").is_none());
    }
}
