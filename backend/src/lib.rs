//! The canteen's backend: receives sales and voids from terminals (exactly
//! once, append-only), keeps the roster, price policies, sites and users, and
//! serves the API for terminals and the office.
//!
//! Only `store` knows SQL; only `http` and `web` (the pages) know HTTP. It must never lose or
//! double count a sale, never show a whole resident ID number in a log, and
//! never answer bad input with a panic or a 500.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod claims;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod free_meals;
pub mod http;
pub mod import;
pub mod ingest;
pub mod rate_limit;
pub mod roles;
pub mod store;
pub mod text;
pub mod web;
