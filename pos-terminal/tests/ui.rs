//! Headless UI tests with Slint's testing backend (software renderer, so
//! the same windows can be saved as screenshots): the cashier's taps and a
//! scanner's keystrokes, checked on screen and in the store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod common;

use std::rc::Rc;

use common::{Demo, demo, receipt_text};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use pos_terminal::flow::Clock;
use pos_terminal::ui::{self, AppWindow, Devices, UiState};
use receipts::{Paper, PrinterOutput};
use slint::ComponentHandle;
use slint::platform::{Key, WindowEvent};

fn init() {
    // One platform per test thread.
    let _ = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })));
}

struct Ui {
    app: AppWindow,
    st: Rc<std::cell::RefCell<UiState>>,
    demo: Demo,
}

fn open(diners: usize) -> Ui {
    open_sized(diners, 1024, 600)
}

fn open_sized(diners: usize, width: u32, height: u32) -> Ui {
    init();
    let d = demo(diners);
    let printer = d.printer.clone();
    let clock = d.clock.clone();
    let devices = Devices {
        printer: Box::new(move || -> Box<dyn PrinterOutput> { Box::new(printer.clone()) }),
        clock: Box::new(move || -> Box<dyn Clock> { Box::new(clock.clone()) }),
        paper: Paper::Mm58,
    };
    let state = UiState::new(d.db.clone(), devices).unwrap();
    let (app, st) = ui::build(state, true, false).unwrap();
    app.window()
        .set_size(slint::PhysicalSize::new(width, height));
    app.show().unwrap();
    Ui { app, st, demo: d }
}

impl Ui {
    fn by_id(&self, id: &str) -> ElementHandle {
        ElementHandle::find_by_element_id(&self.app, id)
            .next()
            .unwrap_or_else(|| panic!("no element {id} on screen {}", self.screen()))
    }
    fn text(&self, id: &str) -> String {
        self.by_id(id)
            .accessible_label()
            .unwrap_or_default()
            .to_string()
    }
    fn has(&self, id: &str) -> bool {
        ElementHandle::find_by_element_id(&self.app, id)
            .next()
            .is_some()
    }
    fn tap(&self, label: &str) {
        let all: Vec<_> = ElementHandle::find_by_accessible_label(&self.app, label).collect();
        let e = all
            .into_iter()
            .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
            .unwrap_or_else(|| panic!("no button {label} on screen {}", self.screen()));
        e.invoke_accessible_default_action();
    }
    fn tap_id(&self, id: &str) {
        self.by_id(id).invoke_accessible_default_action();
    }
    fn fill(&self, label: &str, value: &str) {
        let e = ElementHandle::find_by_accessible_label(&self.app, label)
            .find(|e| {
                e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput)
            })
            .unwrap_or_else(|| panic!("no field {label}"));
        e.set_accessible_value(value);
    }
    fn type_keys(&self, text: &str) {
        for c in text.chars() {
            let t: slint::SharedString = c.to_string().into();
            self.app
                .window()
                .dispatch_event(WindowEvent::KeyPressed { text: t.clone() });
            self.app
                .window()
                .dispatch_event(WindowEvent::KeyReleased { text: t });
        }
    }
    fn enter(&self) {
        let t: slint::SharedString = Key::Return.into();
        self.app
            .window()
            .dispatch_event(WindowEvent::KeyPressed { text: t.clone() });
        self.app
            .window()
            .dispatch_event(WindowEvent::KeyReleased { text: t });
    }
    fn screen(&self) -> String {
        self.app.global::<ui::App>().get_screen().to_string()
    }
    fn open_shift(&self) {
        assert_eq!(self.screen(), "shift");
        self.tap("刘芳");
        for k in ["1", "2", "3", "4"] {
            self.tap(k);
        }
        self.fill("备用金", "100");
        self.tap("开班");
        assert_eq!(
            self.screen(),
            "sell",
            "{}",
            self.app.global::<ui::ShiftPage>().get_message()
        );
    }
    fn scan(&self, card: &str) {
        self.type_keys(card);
        self.enter();
    }
    fn outbox(&self) -> String {
        self.text("StatusBar::outbox-text")
    }
}

#[test]
fn scan_a_card_pay_20_cash_see_the_change_and_the_receipt() {
    let ui = open(50);
    ui.open_shift();
    assert_eq!(ui.outbox(), "待上传 1");
    // Card 100004: 刘德明, 76: lunch 6.00 (standard 12.00, subsidy 6.00).
    ui.scan("100004");
    assert_eq!(ui.text("SellScreen::name-text"), "刘德明");
    assert_eq!(ui.text("SellScreen::price-text"), "￥6.00");
    assert_eq!(ui.text("SellScreen::subsidy-text"), "补贴 ￥6.00");
    assert!(ui.text("SellScreen::basis-text").contains("70-79"));
    assert!(!ui.has("SellScreen::warning-text"));
    ui.tap_id("SellScreen::pay-button");
    assert_eq!(ui.screen(), "pay");
    assert_eq!(ui.text("PayScreen::due-text"), "￥6.00");
    ui.tap("￥20");
    assert_eq!(ui.text("PayScreen::change-text"), "￥14.00");
    ui.tap_id("PayScreen::cash-button");
    assert_eq!(ui.screen(), "done");
    assert_eq!(ui.text("DoneScreen::done-change"), "￥14.00");
    assert_eq!(ui.outbox(), "待上传 2");
    let sales = ui.st.borrow().term.as_ref().unwrap().today_sales().unwrap();
    assert_eq!(sales.len(), 1);
    let text = receipt_text(&ui.demo.printer.contents());
    assert!(text.contains("刘德明"), "{text}");
    assert!(text.contains("￥6.00"), "{text}");
    assert!(text.contains("￥14.00"), "{text}");
    assert!(
        text.contains(&receipts::model::receipt_no(sales[0].id)),
        "{text}"
    );
    ui.tap_id("DoneScreen::next-button");
    assert_eq!(ui.screen(), "sell");
}

#[test]
fn the_second_lunch_shows_the_warning_at_standard_price() {
    let ui = open(50);
    ui.open_shift();
    ui.scan("100004");
    ui.tap_id("SellScreen::pay-button");
    ui.tap("刚好");
    ui.tap_id("PayScreen::cash-button");
    ui.tap_id("DoneScreen::next-button");
    ui.scan("100004");
    assert!(ui.has("SellScreen::warning-text"));
    assert_eq!(ui.text("SellScreen::price-text"), "￥12.00");
    assert_eq!(ui.text("SellScreen::subsidy-text"), "补贴 ￥0.00");
}

#[test]
fn search_by_initials_then_tap_the_row() {
    let ui = open(50);
    ui.open_shift();
    ui.type_keys("ldm");
    ui.tap("刘德明");
    assert_eq!(ui.text("SellScreen::name-text"), "刘德明");
}

#[test]
fn a_bad_id_number_shows_its_reason() {
    let ui = open(50);
    ui.open_shift();
    ui.tap("身份证");
    let good = pos_terminal::demo::resident_id(pos_terminal::demo::birth_date(3), 3);
    let mut bad: String = good[..17].to_string();
    bad.push(if good.ends_with('0') { '1' } else { '0' });
    for c in bad.chars() {
        ui.tap(&c.to_string());
    }
    let msg = ui.text("SellScreen::id-message");
    assert!(msg.contains("校验位"), "{msg}");
    ui.tap("清空");
    for c in good.chars() {
        ui.tap(&c.to_string());
    }
    assert_eq!(ui.text("SellScreen::name-text"), "刘德明");
}

#[test]
fn a_void_needs_the_supervisor_pin() {
    let ui = open(50);
    ui.open_shift();
    ui.scan("100004");
    ui.tap_id("SellScreen::pay-button");
    ui.tap("￥10");
    ui.tap_id("PayScreen::cash-button");
    ui.tap_id("DoneScreen::next-button");
    ui.tap("作废 / 重打");
    assert_eq!(ui.screen(), "void");
    let rows: Vec<_> = ElementHandle::find_by_accessible_label(&ui.app, "").collect();
    let _ = rows;
    let sale = ui.st.borrow().term.as_ref().unwrap().today_sales().unwrap()[0].clone();
    let row_label = format!(
        "{} 刘德明",
        sale.sold_at
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%H:%M")
    );
    ui.tap(&row_label);
    ui.tap("打错了人");
    ui.fill("主管密码", "1234");
    ui.tap_id("VoidScreen::void-button");
    assert_eq!(ui.text("VoidScreen::void-message"), "密码不对");
    assert!(
        ui.st
            .borrow()
            .term
            .as_ref()
            .unwrap()
            .store()
            .void_of(sale.id.0)
            .unwrap()
            .is_none()
    );
    ui.tap(&row_label);
    ui.fill("主管密码", "9999");
    ui.tap_id("VoidScreen::void-button");
    let void = ui
        .st
        .borrow()
        .term
        .as_ref()
        .unwrap()
        .store()
        .void_of(sale.id.0)
        .unwrap();
    assert_eq!(void.unwrap().reason, "打错了人");
    assert_eq!(ui.outbox(), "待上传 3");
}

fn save_png(app: &AppWindow, path: &str) {
    let shot = app.window().take_snapshot().unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), shot.width(), shot.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(shot.as_bytes())
        .unwrap();
}

/// Renders the screenshots in docs/ (sell screen with a diner, payment,
/// shift close) at `width`x`height` and checks they are not blank.
fn screenshots(width: u32, height: u32, suffix: &str) {
    let ui = open_sized(50, width, height);
    ui.open_shift();
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs");
    std::fs::create_dir_all(docs).unwrap();
    ui.scan("100004");
    ui.tap("鸡蛋 +");
    save_png(&ui.app, &format!("{docs}/terminal-sell{suffix}.png"));
    ui.tap_id("SellScreen::pay-button");
    ui.tap("￥20");
    save_png(&ui.app, &format!("{docs}/terminal-pay{suffix}.png"));
    ui.tap_id("PayScreen::cash-button");
    ui.tap_id("DoneScreen::next-button");
    ui.scan("100002");
    ui.tap_id("SellScreen::pay-button");
    ui.tap("刚好");
    ui.tap_id("PayScreen::cash-button");
    ui.tap_id("DoneScreen::next-button");
    ui.tap("结班");
    for k in ["1", "0", "7"] {
        ui.tap(k);
    }
    save_png(&ui.app, &format!("{docs}/terminal-close{suffix}.png"));
    let shot = ui.app.window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (width, height));
    let distinct: std::collections::HashSet<_> =
        shot.as_slice().iter().map(|p| (p.r, p.g, p.b)).collect();
    assert!(distinct.len() > 20, "the screenshot is blank");
}

#[test]
fn screenshots_at_1024x600_in_chinese() {
    screenshots(1024, 600, "");
}

#[test]
fn screenshots_at_1280x800_in_chinese() {
    screenshots(1280, 800, "-1280x800");
}

#[test]
fn the_township_answer_shows_the_warning_and_what_the_check_went_by() {
    let ui = open(50);
    ui.open_shift();
    ui.scan("100004");
    assert!(!ui.has("SellScreen::warning-text"));
    // No backend here: only this terminal's sales were checked, and it says so.
    assert_eq!(ui.text("SellScreen::meal-check-text"), "只查了本机的记录");
    let q = ui
        .st
        .borrow()
        .term
        .as_ref()
        .unwrap()
        .meal_question()
        .unwrap();
    // The backend says 刘德明 had a subsidised lunch at another terminal.
    ui::meal_answer(&ui.app, &ui.st, q, Some(true));
    assert!(ui.has("SellScreen::warning-text"));
    assert_eq!(
        ui.text("SellScreen::meal-check-text"),
        "已查全乡镇：今天本餐次已在别的窗口吃过补贴餐"
    );
    assert_eq!(ui.text("SellScreen::price-text"), "￥12.00");
    // The busiest sell screen (warning, check line, extras), to look at.
    ui.tap("鸡蛋 +");
    save_png(
        &ui.app,
        concat!(env!("CARGO_TARGET_TMPDIR"), "/terminal-sell-warning.png"),
    );
    // Another diner, and the backend could not be asked in time.
    ui.scan("100005");
    assert!(!ui.has("SellScreen::warning-text"));
    let price = ui.text("SellScreen::price-text");
    let q = ui
        .st
        .borrow()
        .term
        .as_ref()
        .unwrap()
        .meal_question()
        .unwrap();
    ui::meal_answer(&ui.app, &ui.st, q, None);
    assert_eq!(ui.text("SellScreen::meal-check-text"), "只查了本机的记录");
    assert_eq!(ui.text("SellScreen::price-text"), price);
    // A "no" from the backend: the subsidised price, township-wide.
    ui::meal_answer(&ui.app, &ui.st, q, Some(false));
    assert_eq!(
        ui.text("SellScreen::meal-check-text"),
        "已查全乡镇各窗口的记录"
    );
    assert_eq!(ui.text("SellScreen::price-text"), price);
    assert!(!ui.has("SellScreen::warning-text"));
}
