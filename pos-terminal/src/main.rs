//! `pos-terminal`: the cashier's app. `--demo` runs with a demo roster and
//! an on-screen receipt preview, no backend and no printer.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use pos_terminal::flow::{Clock, SystemClock, Terminal};
use pos_terminal::ui::{self, Devices, UiState};
use receipts::{MemoryPrinter, Paper, PrinterOutput};

#[derive(Parser)]
#[command(version, about = "Happiness Canteen cashier terminal")]
struct Args {
    /// Demo site, roster and policy; receipts shown on screen.
    #[arg(long)]
    demo: bool,
    /// Full screen (kiosk).
    #[arg(long)]
    fullscreen: bool,
    /// Directory of the terminal's database.
    #[arg(long, env = "CANTEEN_TERMINAL_DATA", default_value = "terminal-data")]
    data_dir: PathBuf,
    /// Printer: `192.168.1.50:9100`, `/dev/usb/lp0`, `file:PATH` or `memory`.
    #[arg(long, env = "CANTEEN_PRINTER", default_value = "memory")]
    printer: String,
    /// Paper width in mm: 58 or 80.
    #[arg(long, default_value_t = 58)]
    paper: u32,
    /// Backend address for a setup without the screen (with --token).
    #[arg(long, env = "CANTEEN_BACKEND")]
    backend: Option<String>,
    /// The terminal's token for that setup.
    #[arg(long, env = "CANTEEN_TERMINAL_TOKEN")]
    token: Option<String>,
    /// Supervisor PIN for that setup.
    #[arg(long, env = "CANTEEN_SUPERVISOR_PIN")]
    supervisor_pin: Option<String>,
    /// English instead of Chinese.
    #[arg(long)]
    english: bool,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("pos-terminal: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let paper = if args.paper == 80 {
        Paper::Mm80
    } else {
        Paper::Mm58
    };
    let db = if args.demo {
        let dir = std::env::temp_dir().join(format!("pos-terminal-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let db = dir.join("terminal.db");
        Terminal::install(
            &db,
            &pos_terminal::demo::setup(),
            &pos_terminal::demo::roster(300),
            &pos_terminal::demo::policies(),
        )?;
        let mut t = Terminal::open(
            &db,
            Box::new(SystemClock),
            Box::new(MemoryPrinter::new()),
            paper,
        )?;
        t.set_supervisor_pin(pos_terminal::demo::SUPERVISOR_PIN)?;
        for c in pos_terminal::demo::setup().cashiers {
            t.set_cashier_pin(c.id, "1234")?;
        }
        println!(
            "Demo: cashiers 刘芳 / 陈静 with PIN 1234, supervisor PIN {}; cards 100001–100300.",
            pos_terminal::demo::SUPERVISOR_PIN
        );
        db
    } else {
        std::fs::create_dir_all(&args.data_dir)?;
        args.data_dir.join("terminal.db")
    };
    if let (Some(url), Some(token)) = (&args.backend, &args.token)
        && !args.demo
    {
        let api = pos_terminal::sync::Api::new(url, token)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(pos_terminal::sync::first_setup(&db, &api))?;
        if let Some(pin) = &args.supervisor_pin {
            let mut t = Terminal::open(
                &db,
                Box::new(SystemClock),
                Box::new(MemoryPrinter::new()),
                paper,
            )?;
            t.set_supervisor_pin(pin)?;
        }
    }
    let printer_cfg = args.printer.clone();
    let devices = Devices {
        printer: Box::new(move || -> Box<dyn PrinterOutput> {
            receipts::printer::from_config(&printer_cfg, Duration::from_secs(3))
                .unwrap_or_else(|_| Box::new(MemoryPrinter::new()))
        }),
        clock: Box::new(|| -> Box<dyn Clock> { Box::new(SystemClock) }),
        paper,
    };
    let state = UiState::new(db, devices)?;
    let (app, st) = ui::build(state, args.demo, args.fullscreen)?;
    if args.english {
        use slint::ComponentHandle;
        app.global::<ui::App>().invoke_toggle_language();
    }
    if !args.demo {
        ui::start_sync(&app, &st);
    }
    let timer = slint::Timer::default();
    let weak = slint::ComponentHandle::as_weak(&app);
    let st2 = st.clone();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(1),
        move || {
            if let Some(app) = weak.upgrade() {
                ui::tick(&app, &st2);
            }
        },
    );
    slint::ComponentHandle::run(&app)?;
    Ok(())
}
