//! End-to-end tests of the parts together: a real backend on a random port,
//! terminals posting to it, receipts decoded back to text.
//!
//! Test code only: nothing here ships.
