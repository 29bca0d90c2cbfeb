//! The canteen's backend: receives sales and voids from terminals (exactly
//! once, append-only), keeps the roster, price policies, sites and users, and
//! serves the pages for volunteers, finance staff and administrators.
//!
//! Only `store` knows SQL; only `http` knows HTTP. It never loses or double
//! counts a sale.
