//! The web pages, end to end: a real backend and headless Chromium
//! (`foundation`), and the sessions, cookies and CSRF rules over plain
//! HTTP (`http`). Browser tests are skipped, and say so, where Chromium is
//! not installed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod foundation;
// Helpers for every page's tests: not each is used by each test yet.
#[allow(dead_code)]
mod harness;
mod http;
