//! The few static files of the pages, built into the binary: the
//! stylesheet (and any small script a page needs: add it to [`ASSETS`];
//! the pages' Content-Security-Policy allows scripts only from here, no
//! inline `<script>`).

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::PageError;
use crate::http::extract::Path;

/// Name, content type and content of each file under `/static/`.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "canteen.css",
        "text/css; charset=utf-8",
        include_str!("../../static/canteen.css"),
    ),
    (
        "canteen.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/canteen.js"),
    ),
];

/// The stylesheet's address with a hash of its content, so browsers may
/// keep it for a day and still see a new version at once.
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        format!(
            "/static/canteen.css?v={}",
            &crate::auth::sha256_hex(ASSETS[0].2)[..12]
        )
    })
}

/// The script every signed-in page loads (see `static/canteen.js`).
pub fn script_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        format!(
            "/static/canteen.js?v={}",
            &crate::auth::sha256_hex(ASSETS[1].2)[..12]
        )
    })
}

/// `GET /static/{name}`.
pub async fn serve(Path(name): Path<String>) -> Result<Response, PageError> {
    let (_, kind, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(PageError::not_found)?;
    let mut res = (*body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(res)
}
