//! The thin Slint layer: fills the `export global` adapters of
//! `ui/app.slint` from a [`Terminal`] and turns taps and keystrokes into
//! calls on it. No rule lives here.

#![allow(missing_docs)] // the generated Slint code

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use canteen_core::{Money, Payment, SaleId, SaleLine};
use receipts::{Paper, PrinterOutput};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::flow::{
    Choice, Clock, Confirmed, FlowError, Lookup, MealCheck, MealQuestion, Priced, Tender, Terminal,
    parse_amount,
};
use crate::sync::{Api, SyncStatus, SyncWorker};

/// The code Slint generates from `ui/app.slint`.
#[allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

/// Makes the printer and clock for a terminal being opened.
pub struct Devices {
    /// The receipt printer.
    pub printer: Box<dyn Fn() -> Box<dyn PrinterOutput>>,
    /// The clock.
    pub clock: Box<dyn Fn() -> Box<dyn Clock>>,
    /// Paper width.
    pub paper: Paper,
}

/// What the UI holds between events.
pub struct UiState {
    /// The terminal, once set up.
    pub term: Option<Terminal>,
    db: PathBuf,
    devices: Devices,
    results: Vec<usize>,
    void_list: Vec<SaleId>,
    last: Option<Confirmed>,
    sync: Option<SyncWorker>,
    status: Option<SyncStatus>,
    /// The second-meal question put to the backend, while unanswered.
    asking: Option<MealQuestion>,
    /// The last question could not be answered in time.
    unanswered: Option<MealQuestion>,
}

type Shared = Rc<RefCell<UiState>>;

fn money(m: Money) -> SharedString {
    m.with_yuan_sign().into()
}

fn err_text(e: &FlowError) -> SharedString {
    e.to_string().into()
}

impl UiState {
    /// State for the database at `db`; opens the terminal when it was set up.
    pub fn new(db: PathBuf, devices: Devices) -> Result<UiState, FlowError> {
        let term = match Terminal::open(&db, (devices.clock)(), (devices.printer)(), devices.paper)
        {
            Ok(t) => Some(t),
            Err(FlowError::NotSetUp) => None,
            Err(e) => return Err(e),
        };
        Ok(UiState {
            term,
            db,
            devices,
            results: Vec::new(),
            void_list: Vec::new(),
            last: None,
            sync: None,
            status: None,
            asking: None,
            unanswered: None,
        })
    }
}

/// Builds the window and wires every callback. `demo` shows the demo badge.
pub fn build(
    state: UiState,
    demo: bool,
    kiosk: bool,
) -> Result<(AppWindow, Shared), slint::PlatformError> {
    let app = AppWindow::new()?;
    app.set_kiosk(kiosk);
    app.global::<App>().set_demo(demo);
    let st: Shared = Rc::new(RefCell::new(state));
    wire(&app, &st);
    let first = if st
        .borrow()
        .term
        .as_ref()
        .is_some_and(|t| t.shift().is_some())
    {
        "sell"
    } else if st.borrow().term.is_some() {
        "shift"
    } else {
        "setup"
    };
    go(&app, &st, first);
    Ok((app, st))
}

/// Starts the background sync with the backend saved at setup; results come
/// back to the UI through `slint::invoke_from_event_loop`.
pub fn start_sync(app: &AppWindow, st: &Shared) {
    let (url, token) = {
        let s = st.borrow();
        let Some(t) = s.term.as_ref() else { return };
        (
            t.store().setting("backend_url").ok().flatten(),
            t.store().setting("backend_token").ok().flatten(),
        )
    };
    let (Some(url), Some(token)) = (url, token) else {
        return;
    };
    let Ok(api) = Api::new(&url, &token) else {
        return;
    };
    let weak = app.as_weak();
    let db = st.borrow().db.clone();
    let worker = SyncWorker::start(db, api, move |status| {
        let weak = weak.clone();
        let _ = slint::invoke_from_event_loop(move || {
            if let Some(app) = weak.upgrade() {
                STATUS.with(|s| *s.borrow_mut() = Some(status));
                app.invoke_sync_status_arrived();
            }
        });
    });
    if let Ok(w) = worker {
        st.borrow_mut().sync = Some(w);
    }
}

thread_local! {
    static STATUS: RefCell<Option<SyncStatus>> = const { RefCell::new(None) };
    static ANSWER: RefCell<Option<(MealQuestion, Option<bool>)>> = const { RefCell::new(None) };
}

/// Puts the second-meal question for the diner on the counter to the
/// backend, when online; the answer comes back through
/// `meal-answer-arrived` and the price is redone. The cashier is never
/// made to wait for it.
fn ask_township(app: &AppWindow, st: &Shared) {
    let mut s = st.borrow_mut();
    let online = s.status.as_ref().is_some_and(|x| x.online);
    let Some(q) = s.term.as_ref().and_then(|t| t.meal_question()) else {
        return;
    };
    let same = |a: &Option<MealQuestion>| {
        a.is_some_and(|a| (a.diner_id, a.date, a.slot) == (q.diner_id, q.date, q.slot))
    };
    if !online || same(&s.asking) || same(&s.unanswered) {
        return;
    }
    let Some(worker) = s.sync.as_ref() else {
        return;
    };
    let weak = app.as_weak();
    worker.ask(q, move |answer| {
        let _ = slint::invoke_from_event_loop(move || {
            if let Some(app) = weak.upgrade() {
                ANSWER.with(|a| *a.borrow_mut() = Some((q, answer)));
                app.invoke_meal_answer_arrived();
            }
        });
    });
    s.asking = Some(q);
}

/// Takes the backend's answer (or its absence) to the second-meal question.
pub fn meal_answer(app: &AppWindow, st: &Shared, q: MealQuestion, answer: Option<bool>) {
    {
        let mut s = st.borrow_mut();
        s.asking = None;
        match answer {
            Some(already) => {
                s.unanswered = None;
                if let Some(t) = s.term.as_mut() {
                    t.answer_meal_question(&q, already);
                }
            }
            None => s.unanswered = Some(q),
        }
    }
    refresh_sell(app, st);
}

/// The line under the price saying what the second-meal check went by.
fn meal_check_text(p: &Priced, s: &UiState) -> String {
    let online = s.status.as_ref().is_some_and(|x| x.online);
    match p.check {
        MealCheck::None => String::new(),
        MealCheck::Township if p.elsewhere => "已查全乡镇：今天本餐次已在别的窗口吃过补贴餐".into(),
        MealCheck::Township => "已查全乡镇各窗口的记录".into(),
        MealCheck::ThisTerminal if s.asking.is_some() => "正在查询全乡镇记录…（可先收款）".into(),
        MealCheck::ThisTerminal if online && s.unanswered.is_none() => {
            "正在查询全乡镇记录…（可先收款）".into()
        }
        MealCheck::ThisTerminal if s.sync.is_none() => "只查了本机的记录".into(),
        MealCheck::ThisTerminal => "离线：只查了本机的记录，别的窗口的用餐查不到".into(),
    }
}

/// Refreshes the status bar (clock, slot, outbox); call once a second.
pub fn tick(app: &AppWindow, st: &Shared) {
    let s = st.borrow();
    let g = app.global::<App>();
    if let Some(t) = s.term.as_ref() {
        g.set_site(t.setup().site_name.clone().into());
        g.set_clock(t.local_now().format("%H:%M").to_string().into());
        g.set_slot(t.slot().name_zh().into());
        g.set_cashier(t.cashier_name().unwrap_or_default().into());
        g.set_outbox(t.outbox_count().unwrap_or(-1) as i32);
    }
    if let Some(status) = s.status.as_ref() {
        g.set_online(status.online);
    }
}

fn go(app: &AppWindow, st: &Shared, screen: &str) {
    app.global::<App>().set_screen(screen.into());
    match screen {
        "shift" => {
            let s = st.borrow();
            if let Some(t) = s.term.as_ref() {
                let names: Vec<SharedString> = t
                    .cashiers()
                    .iter()
                    .map(|c| c.display_name.clone().into())
                    .collect();
                let p = app.global::<ShiftPage>();
                p.set_cashiers(ModelRc::new(VecModel::from(names)));
                p.set_pin("".into());
                p.set_opening("".into());
            }
        }
        "sell" => {
            let notices = st
                .borrow_mut()
                .term
                .as_mut()
                .and_then(|t| t.take_notices().ok())
                .unwrap_or_default();
            if !notices.is_empty() {
                app.global::<Sell>().set_notice(notices.join("\n").into());
            }
            refresh_sell(app, st);
        }
        "void" => refresh_voids(app, st),
        "close" => refresh_close(app, st),
        _ => {}
    }
    tick(app, st);
}

fn age_text(t: &Terminal, i: usize) -> String {
    t.roster()
        .get(i)
        .and_then(|d| d.diner.age_on(t.today()))
        .map(|a| format!("{a}岁"))
        .unwrap_or_else(|| "年龄不详".into())
}

fn refresh_results(app: &AppWindow, st: &Shared) {
    let s = st.borrow();
    let Some(t) = s.term.as_ref() else { return };
    let rows: Vec<ResultRow> = s
        .results
        .iter()
        .filter_map(|&i| {
            let d = t.roster().get(i)?;
            Some(ResultRow {
                name: d.diner.name.clone().into(),
                village: d.diner.village.clone().unwrap_or_default().into(),
                age: age_text(t, i).into(),
                card: d.diner.card_no.clone().unwrap_or_default().into(),
            })
        })
        .collect();
    app.global::<Sell>()
        .set_results(ModelRc::new(VecModel::from(rows)));
}

fn basis_text(p: &Priced) -> String {
    p.quote.reason.text_zh()
}

fn refresh_sell(app: &AppWindow, st: &Shared) {
    ask_township(app, st);
    let s = st.borrow();
    let g = app.global::<Sell>();
    let Some(t) = s.term.as_ref() else { return };
    let extras: Vec<ExtraRow> = t
        .extras_menu()
        .iter()
        .zip(t.quantities())
        .map(|(e, &q)| ExtraRow {
            name: e.name.clone().into(),
            price: money(e.price),
            qty: q as i32,
        })
        .collect();
    g.set_extras(ModelRc::new(VecModel::from(extras)));
    let Some(choice) = t.choice() else {
        g.set_has_customer(false);
        g.set_second_meal(false);
        g.set_meal_check("".into());
        return;
    };
    match t.price() {
        Ok(p) => {
            let (name, detail) = match choice {
                Choice::WalkIn => ("散客".to_string(), "不在名册".to_string()),
                Choice::Diner(i) => {
                    let d = t.roster().get(i);
                    (
                        d.map(|d| d.diner.name.clone()).unwrap_or_default(),
                        format!(
                            "{}  {}  {}",
                            age_text(t, i),
                            d.and_then(|d| d.diner.village.clone()).unwrap_or_default(),
                            d.and_then(|d| d.id_masked.clone()).unwrap_or_default()
                        ),
                    )
                }
            };
            g.set_name(name.into());
            g.set_detail(detail.into());
            g.set_basis(basis_text(&p).into());
            g.set_price(money(p.quote.paid));
            g.set_standard(money(p.quote.standard));
            g.set_subsidy(money(p.quote.subsidy));
            g.set_second_meal(p.second_meal);
            g.set_meal_check(meal_check_text(&p, &s).into());
            g.set_total(money(p.total));
            g.set_has_customer(true);
            g.set_lookup_message("".into());
        }
        Err(e) => {
            g.set_has_customer(false);
            g.set_lookup_message(err_text(&e));
        }
    }
}

fn lookup(app: &AppWindow, st: &Shared, text: &str, submitted: bool) {
    let found = {
        let mut s = st.borrow_mut();
        s.unanswered = None;
        let Some(t) = s.term.as_mut() else { return };
        let found = t.lookup(text);
        if let Lookup::Matches(m) = &found {
            s.results = m.clone();
        }
        found
    };
    let g = app.global::<Sell>();
    match found {
        Lookup::Chosen(_) => {
            g.set_query("".into());
            st.borrow_mut().results.clear();
            g.set_lookup_message("".into());
            refresh_results(app, st);
            refresh_sell(app, st);
        }
        Lookup::Matches(m) => {
            g.set_lookup_message(if submitted && m.is_empty() {
                "没有找到这个人".into()
            } else {
                "".into()
            });
            refresh_results(app, st);
            if submitted && m.len() == 1 {
                pick(app, st, 0);
            }
        }
        Lookup::IdIncomplete(n) => g.set_lookup_message(if submitted {
            format!("身份证号还差{n}位").into()
        } else {
            "".into()
        }),
        Lookup::IdInvalid(why) => g.set_lookup_message(why.into()),
        Lookup::NotFound => {
            if submitted {
                g.set_lookup_message("名册中没有这张卡或这个号码".into());
                g.set_query("".into());
            }
        }
    }
}

fn pick(app: &AppWindow, st: &Shared, row: usize) {
    {
        let mut s = st.borrow_mut();
        s.unanswered = None;
        let Some(&i) = s.results.get(row) else { return };
        if let Some(t) = s.term.as_mut() {
            t.choose(Choice::Diner(i));
        }
        s.results.clear();
    }
    app.global::<Sell>().set_query("".into());
    refresh_results(app, st);
    refresh_sell(app, st);
}

fn id_key(app: &AppWindow, st: &Shared, key: &str) {
    let g = app.global::<Sell>();
    let mut text = g.get_id_text().to_string();
    match key {
        "⌫" => {
            text.pop();
        }
        "清空" => text.clear(),
        "确定" => {}
        k if text.chars().count() < 18 => text.push_str(k),
        _ => {}
    }
    g.set_id_text(text.clone().into());
    let found = {
        let mut s = st.borrow_mut();
        let Some(t) = s.term.as_mut() else { return };
        t.lookup_id(&text)
    };
    let (msg, bad) = match found {
        Lookup::Chosen(_) => {
            g.set_id_text("".into());
            g.set_id_mode(false);
            ("".to_string(), false)
        }
        Lookup::IdIncomplete(n) => (format!("还差{n}位"), key == "确定"),
        Lookup::IdInvalid(why) => (why, true),
        Lookup::NotFound => ("号码有效，但名册中没有此人".to_string(), true),
        Lookup::Matches(_) => (String::new(), false),
    };
    g.set_id_message(msg.into());
    g.set_id_bad(bad);
    refresh_sell(app, st);
}

fn refresh_pay(app: &AppWindow, st: &Shared) {
    let s = st.borrow();
    let g = app.global::<Pay>();
    let Some(t) = s.term.as_ref() else { return };
    let Ok(p) = t.price() else { return };
    g.set_due(money(p.total));
    let tendered = g.get_tendered();
    match parse_amount(if tendered.is_empty() { "0" } else { &tendered }) {
        Ok(m) if m >= p.total => {
            g.set_change(money(m - p.total));
            g.set_enough(true);
        }
        _ => {
            g.set_change("—".into());
            g.set_enough(false);
        }
    }
}

fn confirmed(app: &AppWindow, st: &Shared, c: Confirmed) {
    let g = app.global::<Pay>();
    g.set_done_change(money(c.change));
    g.set_done_total(money(c.sale.total_paid().unwrap_or(Money::ZERO)));
    g.set_done_method(
        match &c.sale.payment {
            Payment::Cash { .. } => "现金".to_string(),
            Payment::Qr { reference } => match reference.as_deref() {
                Some("alipay") => "支付宝".into(),
                _ => "微信".into(),
            },
        }
        .into(),
    );
    g.set_print_error(c.print_error.clone().unwrap_or_default().into());
    {
        let mut s = st.borrow_mut();
        if let Some(t) = s.term.as_ref() {
            g.set_preview(t.preview().to_string().into());
        }
        if let Some(w) = s.sync.as_ref() {
            w.poke();
        }
        s.last = Some(c);
    }
    go(app, st, "done");
}

fn refresh_voids(app: &AppWindow, st: &Shared) {
    let mut s = st.borrow_mut();
    let Some(t) = s.term.as_ref() else { return };
    let sales = t.today_sales().unwrap_or_default();
    let offset = t.local_now().offset().to_owned();
    let rows: Vec<SaleRow> = sales
        .iter()
        .map(|sale| SaleRow {
            time: sale
                .sold_at
                .with_timezone(&offset)
                .format("%H:%M")
                .to_string()
                .into(),
            name: t.sale_label(sale).into(),
            amount: money(sale.total_paid().unwrap_or(Money::ZERO)),
            method: match sale.payment {
                Payment::Cash { .. } => "现金".into(),
                Payment::Qr { .. } => "扫码".into(),
            },
            voided: t.store().void_of(sale.id.0).ok().flatten().is_some(),
        })
        .collect();
    let ids = sales.iter().map(|s| s.id).collect();
    s.void_list = ids;
    let g = app.global::<Voids>();
    g.set_sales(ModelRc::new(VecModel::from(rows)));
    g.set_selected(-1);
    g.set_pin("".into());
    g.set_reason("".into());
    g.set_message("".into());
}

fn refresh_close(app: &AppWindow, st: &Shared) {
    let s = st.borrow();
    let g = app.global::<Close>();
    let Some(t) = s.term.as_ref() else { return };
    let Ok(tally) = t.tally() else { return };
    g.set_rows(ModelRc::new(VecModel::from(tally_rows(&tally))));
    g.set_expected(money(tally.expected_cash));
    update_difference(app, &tally);
}

fn tally_rows(tally: &canteen_core::ShiftTally) -> Vec<TallyRow> {
    let row = |l: &str, v: String| TallyRow {
        label: l.into(),
        value: v.into(),
    };
    let mut rows = vec![
        row("销售笔数", tally.sales_count.to_string()),
        row("作废笔数", tally.voids_count.to_string()),
        row("就餐人次", tally.meals_count.to_string()),
        row("现金收入", tally.cash_sales.with_yuan_sign()),
        row("扫码收入", tally.qr_sales.with_yuan_sign()),
        row("备用金", tally.opening_float.with_yuan_sign()),
        row("补贴餐次", tally.subsidised_meals.to_string()),
        row("补贴金额", tally.subsidy_total.with_yuan_sign()),
    ];
    for g in &tally.subsidised {
        let label = match &g.basis {
            canteen_core::SubsidyBasis::Bracket(b) => format!("  {b}岁"),
            canteen_core::SubsidyBasis::Category(c) => format!("  {c}"),
            canteen_core::SubsidyBasis::Other => "  其他".into(),
        };
        rows.push(TallyRow {
            label: label.into(),
            value: format!("{}次 {}", g.meals, g.subsidy.with_yuan_sign()).into(),
        });
    }
    rows
}

fn update_difference(app: &AppWindow, tally: &canteen_core::ShiftTally) {
    let g = app.global::<Close>();
    let counted = g.get_counted();
    match parse_amount(&counted) {
        Ok(m) if !counted.is_empty() => {
            let d = tally.difference(m);
            g.set_difference(money(d));
            g.set_short(d.is_negative());
        }
        _ => {
            g.set_difference("—".into());
            g.set_short(false);
        }
    }
}

fn keypad(text: &str, key: &str) -> String {
    let mut t = text.to_string();
    match key {
        "⌫" => {
            t.pop();
        }
        "." if t.contains('.') => {}
        k if t.split('.').nth(1).is_some_and(|f| f.len() >= 2) => {
            let _ = k;
        }
        k if t.len() < 8 => t.push_str(k),
        _ => {}
    }
    t
}

fn open_terminal(app: &AppWindow, st: &Shared, pin: &str) -> Result<(), FlowError> {
    {
        let mut s = st.borrow_mut();
        let s = &mut *s;
        let mut t = Terminal::open(
            &s.db,
            (s.devices.clock)(),
            (s.devices.printer)(),
            s.devices.paper,
        )?;
        t.set_supervisor_pin(pin)?;
        s.term = Some(t);
    }
    start_sync(app, st);
    go(app, st, "shift");
    Ok(())
}

fn wire(app: &AppWindow, st: &Shared) {
    let w = app.as_weak();
    let s = st.clone();
    let w2 = app.as_weak();
    let s2 = st.clone();
    app.on_meal_answer_arrived(move || {
        let Some(app) = w2.upgrade() else { return };
        if let Some((q, answer)) = ANSWER.with(|a| a.borrow_mut().take()) {
            meal_answer(&app, &s2, q, answer);
        }
    });
    app.on_sync_status_arrived(move || {
        let Some(app) = w.upgrade() else { return };
        let Some(status) = STATUS.with(|x| x.borrow_mut().take()) else {
            return;
        };
        if status.refreshed
            && let Some(t) = s.borrow_mut().term.as_mut()
            && t.choice().is_none()
        {
            let _ = t.reload();
        }
        s.borrow_mut().status = Some(status);
        tick(&app, &s);
    });

    let w = app.as_weak();
    app.global::<App>().on_toggle_language(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<App>();
        let english = !g.get_english();
        let _ = slint::select_bundled_translation(if english { "en" } else { "" });
        g.set_english(english);
    });

    // Setup: download in a thread, then open on the UI thread.
    let w = app.as_weak();
    let s = st.clone();
    app.global::<SetupPage>().on_connect(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<SetupPage>();
        let (url, token, pin) = (g.get_url(), g.get_token(), g.get_supervisor_pin());
        if !(4..=6).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            g.set_message("主管密码应为4到6位数字".into());
            return;
        }
        let api = match Api::new(&url, &token) {
            Ok(a) => a,
            Err(e) => {
                g.set_message(e.to_string().into());
                return;
            }
        };
        g.set_message("正在连接后台…".into());
        let db = s.borrow().db.clone();
        let weak = app.as_weak();
        let pin = pin.to_string();
        std::thread::spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(crate::sync::first_setup(&db, &api))
                        .map_err(|e| e.to_string())
                });
            let _ = slint::invoke_from_event_loop(move || {
                let Some(app) = weak.upgrade() else { return };
                match result {
                    Ok(_) => {
                        app.global::<SetupPage>().set_message("".into());
                        SETUP_PIN.with(|p| *p.borrow_mut() = Some(pin));
                        app.invoke_setup_done();
                    }
                    Err(e) => app.global::<SetupPage>().set_message(e.into()),
                }
            });
        });
    });
    let w = app.as_weak();
    let s = st.clone();
    app.on_setup_done(move || {
        let Some(app) = w.upgrade() else { return };
        let pin = SETUP_PIN
            .with(|p| p.borrow_mut().take())
            .unwrap_or_default();
        if let Err(e) = open_terminal(&app, &s, &pin) {
            app.global::<SetupPage>().set_message(err_text(&e));
        }
    });

    // Shift open.
    let w = app.as_weak();
    let s = st.clone();
    app.global::<ShiftPage>().on_open(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<ShiftPage>();
        let result = (|| {
            let mut st = s.borrow_mut();
            let t = st.term.as_mut().ok_or(FlowError::NotSetUp)?;
            let idx = usize::try_from(g.get_selected()).map_err(|_| FlowError::UnknownCashier)?;
            let cashier = t.cashiers().get(idx).ok_or(FlowError::UnknownCashier)?.id;
            let opening = g.get_opening();
            let opening = parse_amount(if opening.is_empty() { "0" } else { &opening })?;
            t.open_shift(cashier, &g.get_pin(), opening)
        })();
        match result {
            Ok(()) => {
                g.set_message("".into());
                go(&app, &s, "sell");
            }
            Err(e) => g.set_message(err_text(&e)),
        }
    });

    // Sell.
    let sell = app.global::<Sell>();
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_query_edited(move |text| {
        if let Some(app) = w.upgrade() {
            lookup(&app, &s, &text, false);
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_query_accepted(move |text| {
        if let Some(app) = w.upgrade() {
            lookup(&app, &s, &text, true);
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_letter(move |k| {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Sell>();
        let mut q = g.get_query().to_string();
        match k.as_str() {
            "⌫" => {
                q.pop();
            }
            "清空" => q.clear(),
            k => q.push_str(&k.to_lowercase()),
        }
        g.set_query(q.clone().into());
        lookup(&app, &s, &q, false);
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_pick(move |row| {
        if let Some(app) = w.upgrade() {
            pick(&app, &s, usize::try_from(row).unwrap_or(usize::MAX));
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_walk_in(move || {
        let Some(app) = w.upgrade() else { return };
        if let Some(t) = s.borrow_mut().term.as_mut() {
            t.choose(Choice::WalkIn);
        }
        refresh_sell(&app, &s);
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_id_key(move |k| {
        if let Some(app) = w.upgrade() {
            id_key(&app, &s, &k);
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_set_extra(move |i, q| {
        let Some(app) = w.upgrade() else { return };
        if let Some(t) = s.borrow_mut().term.as_mut() {
            t.set_extra(usize::try_from(i).unwrap_or(usize::MAX), q.max(0) as u32);
        }
        refresh_sell(&app, &s);
    });
    let w = app.as_weak();
    sell.on_dismiss_notice(move || {
        if let Some(app) = w.upgrade() {
            app.global::<Sell>().set_notice("".into());
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_clear(move || {
        let Some(app) = w.upgrade() else { return };
        if let Some(t) = s.borrow_mut().term.as_mut() {
            t.clear();
        }
        app.global::<Sell>().set_query("".into());
        s.borrow_mut().results.clear();
        refresh_results(&app, &s);
        refresh_sell(&app, &s);
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_pay(move || {
        let Some(app) = w.upgrade() else { return };
        let p = app.global::<Pay>();
        p.set_tendered("".into());
        p.set_message("".into());
        refresh_pay(&app, &s);
        go(&app, &s, "pay");
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_open_void(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "void");
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    sell.on_open_close(move || {
        if let Some(app) = w.upgrade() {
            app.global::<Close>().set_counted("".into());
            app.global::<Close>().set_done(false);
            app.global::<Close>().set_message("".into());
            go(&app, &s, "close");
        }
    });

    // Pay.
    let pay = app.global::<Pay>();
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Pay>();
        g.set_tendered(keypad(&g.get_tendered(), &k).into());
        refresh_pay(&app, &s);
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_quick(move |k| {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Pay>();
        let amount = if k == "exact" {
            s.borrow()
                .term
                .as_ref()
                .and_then(|t| t.price().ok())
                .map(|p| p.total.to_string())
                .unwrap_or_default()
        } else {
            k.to_string()
        };
        g.set_tendered(amount.into());
        refresh_pay(&app, &s);
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_cash(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Pay>();
        let result = (|| {
            let tendered = parse_amount(&g.get_tendered())?;
            let mut st = s.borrow_mut();
            let t = st.term.as_mut().ok_or(FlowError::NotSetUp)?;
            t.pay(Tender::Cash(tendered))
        })();
        match result {
            Ok(c) => confirmed(&app, &s, c),
            Err(e) => g.set_message(err_text(&e)),
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_qr(move |method| {
        let Some(app) = w.upgrade() else { return };
        let result = {
            let mut st = s.borrow_mut();
            match st.term.as_mut() {
                Some(t) => t.pay(Tender::Qr(Some(method.to_string()))),
                None => Err(FlowError::NotSetUp),
            }
        };
        match result {
            Ok(c) => confirmed(&app, &s, c),
            Err(e) => app.global::<Pay>().set_message(err_text(&e)),
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_back(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "sell");
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_reprint(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Pay>();
        let mut st = s.borrow_mut();
        let Some(id) = st.last.as_ref().map(|c| c.sale.id) else {
            return;
        };
        let Some(t) = st.term.as_mut() else { return };
        match t.reprint(id) {
            Ok(Ok(())) => {
                g.set_print_error("".into());
                g.set_preview(t.preview().to_string().into());
            }
            Ok(Err(msg)) => g.set_print_error(msg.into()),
            Err(e) => g.set_print_error(err_text(&e)),
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    pay.on_next(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "sell");
        }
    });

    // Void.
    let voids = app.global::<Voids>();
    let (w, s) = (app.as_weak(), st.clone());
    voids.on_void(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Voids>();
        let result = {
            let mut st = s.borrow_mut();
            let id = usize::try_from(g.get_selected())
                .ok()
                .and_then(|i| st.void_list.get(i).copied());
            match (id, st.term.as_mut()) {
                (Some(id), Some(t)) => t.void(id, &g.get_pin(), &g.get_reason()).map(|_| ()),
                _ => Err(FlowError::NoSuchSale),
            }
        };
        match result {
            Ok(()) => {
                refresh_voids(&app, &s);
                g.set_message("已作废，作废单已打印".into());
                if let Some(w) = s.borrow().sync.as_ref() {
                    w.poke();
                }
                tick(&app, &s);
            }
            Err(e) => {
                g.set_message(err_text(&e));
                g.set_pin("".into());
            }
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    voids.on_reprint(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Voids>();
        let mut st = s.borrow_mut();
        let id = usize::try_from(g.get_selected())
            .ok()
            .and_then(|i| st.void_list.get(i).copied());
        let Some(id) = id else { return };
        let Some(t) = st.term.as_mut() else { return };
        g.set_message(
            match t.reprint(id) {
                Ok(Ok(())) => "已重打".to_string(),
                Ok(Err(m)) => m,
                Err(e) => e.to_string(),
            }
            .into(),
        );
    });
    let (w, s) = (app.as_weak(), st.clone());
    voids.on_back(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "sell");
        }
    });

    // Close.
    let close = app.global::<Close>();
    let (w, s) = (app.as_weak(), st.clone());
    close.on_key(move |k| {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Close>();
        g.set_counted(keypad(&g.get_counted(), &k).into());
        if let Some(Ok(tally)) = s.borrow().term.as_ref().map(|t| t.tally()) {
            update_difference(&app, &tally);
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    close.on_close(move || {
        let Some(app) = w.upgrade() else { return };
        let g = app.global::<Close>();
        let result = (|| {
            let counted = parse_amount(&g.get_counted())?;
            let mut st = s.borrow_mut();
            let t = st.term.as_mut().ok_or(FlowError::NotSetUp)?;
            t.close_shift(counted)
        })();
        match result {
            Ok(c) => {
                g.set_rows(ModelRc::new(VecModel::from(tally_rows(&c.tally))));
                g.set_difference(money(c.difference));
                g.set_short(c.difference.is_negative());
                g.set_message(c.print_error.unwrap_or_default().into());
                g.set_done(true);
                if let Some(w) = s.borrow().sync.as_ref() {
                    w.poke();
                }
                tick(&app, &s);
            }
            Err(e) => g.set_message(err_text(&e)),
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    close.on_back(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "sell");
        }
    });
    let (w, s) = (app.as_weak(), st.clone());
    close.on_finish(move || {
        if let Some(app) = w.upgrade() {
            go(&app, &s, "shift");
        }
    });
}

thread_local! {
    static SETUP_PIN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The receipt lines of a sale, for tests and logs: the diner meal's amount.
pub fn meal_amount(sale: &canteen_core::Sale) -> Option<Money> {
    sale.lines.iter().find_map(|l| match l {
        SaleLine::DinerMeal { paid, .. } => Some(*paid),
        SaleLine::WalkInMeal { price } => Some(*price),
        SaleLine::Extra { .. } => None,
    })
}
