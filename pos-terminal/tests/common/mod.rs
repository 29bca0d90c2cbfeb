//! Shared by the terminal's tests: a demo terminal in a temporary
//! directory with a clock at lunch time and a memory printer.

#![allow(dead_code)]

pub use receipts::test_support as decoder;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use pos_terminal::flow::{ManualClock, Terminal};
use receipts::{MemoryPrinter, Paper};

/// 12:30 in China on 15 June 2026.
pub fn lunch_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 4, 30, 0).unwrap()
}

pub struct Demo {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub clock: ManualClock,
    pub printer: MemoryPrinter,
}

/// Installs the demo site with `diners` diners and PINs (cashiers 1234,
/// supervisor 9999).
pub fn demo(diners: usize) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("terminal.db");
    install(&db, diners);
    Demo {
        dir,
        db,
        clock: ManualClock::new(lunch_time()),
        printer: MemoryPrinter::new(),
    }
}

pub fn install(db: &Path, diners: usize) {
    Terminal::install(
        db,
        &pos_terminal::demo::setup(),
        &pos_terminal::demo::roster(diners),
        &pos_terminal::demo::policies(),
    )
    .unwrap();
    let mut t = Terminal::open(
        db,
        Box::new(ManualClock::new(lunch_time())),
        Box::new(MemoryPrinter::new()),
        Paper::Mm58,
    )
    .unwrap();
    t.set_supervisor_pin("9999").unwrap();
    t.set_cashier_pin(11, "1234").unwrap();
    t.set_cashier_pin(12, "1234").unwrap();
}

impl Demo {
    pub fn open(&self) -> Terminal {
        Terminal::open(
            &self.db,
            Box::new(self.clock.clone()),
            Box::new(self.printer.clone()),
            Paper::Mm58,
        )
        .unwrap()
    }
}

/// The printed lines of ESC/POS bytes, joined.
pub fn receipt_text(bytes: &[u8]) -> String {
    decoder::decode(bytes).texts().join("\n")
}
