//! `cargo bench -p pos-terminal`: prints the terminal's figures.
//! - confirm payment → sale durable on disk (WAL, synchronous=FULL), p50/p99 over 1,000 sales;
//! - cold start to the sell screen (database open, 5,000-diner roster indexed, window built and drawn);
//! - memory (RSS) after 1,000 sales;
//! - name / pinyin search per keystroke over 5,000 diners.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

use std::time::{Duration, Instant};

use canteen_core::Money;
use chrono::{TimeZone, Utc};
use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use pos_terminal::flow::{Choice, Clock, ManualClock, Tender, Terminal};
use pos_terminal::ui::{self, Devices, UiState};
use receipts::{MemoryPrinter, Paper, PrinterOutput};
use slint::ComponentHandle;

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let lunch = Utc.with_ymd_and_hms(2026, 6, 15, 4, 30, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("terminal.db");
    Terminal::install(
        &db,
        &pos_terminal::demo::setup(),
        &pos_terminal::demo::roster(5000),
        &pos_terminal::demo::policies(),
    )
    .unwrap();
    // The PIN as the backend would have sent it (an argon2 hash): made
    // before the clock starts, since hashing is no part of a start.
    Terminal::open(
        &db,
        Box::new(ManualClock::new(lunch)),
        Box::new(MemoryPrinter::new()),
        Paper::Mm58,
    )
    .unwrap()
    .set_cashier_pin(11, "1234")
    .unwrap();

    // Cold start: open the database, index the roster, build and draw the window.
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let start = Instant::now();
    let clock = ManualClock::new(lunch);
    let c2 = clock.clone();
    let devices = Devices {
        printer: Box::new(|| -> Box<dyn PrinterOutput> { Box::new(MemoryPrinter::new()) }),
        clock: Box::new(move || -> Box<dyn Clock> { Box::new(c2.clone()) }),
        paper: Paper::Mm58,
    };
    let state = UiState::new(db.clone(), devices).unwrap();
    let (app, st) = ui::build(state, true, false).unwrap();
    app.window().set_size(slint::PhysicalSize::new(1024, 600));
    app.show().unwrap();
    let _ = app.window().take_snapshot().unwrap();
    let cold = start.elapsed();
    println!(
        "cold start to first screen drawn (5,000 diners): {:.1} ms",
        cold.as_secs_f64() * 1e3
    );
    drop(app);
    drop(st);

    // Confirm → durable.
    let mut t = Terminal::open(
        &db,
        Box::new(clock.clone()),
        Box::new(MemoryPrinter::new()),
        Paper::Mm58,
    )
    .unwrap();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    let mut times = Vec::with_capacity(1000);
    for i in 0..1000usize {
        if i % 4 == 0 {
            t.choose(Choice::WalkIn);
        } else {
            t.lookup(&pos_terminal::demo::card_no(i % 5000));
        }
        let s = Instant::now();
        t.pay(Tender::Cash(Money::from_yuan(20))).unwrap();
        times.push(s.elapsed());
    }
    println!(
        "confirm payment → sale on disk and receipt rendered, 1,000 sales: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&mut times, 0.5).as_secs_f64() * 1e3,
        pct(&mut times, 0.99).as_secs_f64() * 1e3,
        pct(&mut times, 1.0).as_secs_f64() * 1e3
    );
    println!(
        "RSS after 1,000 sales (5,000-diner roster loaded): {:.1} MB",
        rss_kb() as f64 / 1024.0
    );

    // Search per keystroke.
    let roster = t.roster();
    let queries = [
        "w", "wj", "wjg", "l", "ld", "ldm", "z", "zg", "zgl", "王", "王建", "秀英",
    ];
    let mut per_key = Vec::new();
    for _ in 0..50 {
        for q in queries {
            let s = Instant::now();
            let hits = roster.search(q, 30);
            per_key.push(s.elapsed());
            std::hint::black_box(hits);
        }
    }
    println!(
        "name/pinyin search per keystroke over {} diners: p50 {:.3} ms, p99 {:.3} ms",
        roster.len(),
        pct(&mut per_key, 0.5).as_secs_f64() * 1e3,
        pct(&mut per_key, 0.99).as_secs_f64() * 1e3
    );
}
