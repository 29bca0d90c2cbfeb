//! The sell flow without a window: shift, lookup, price, pay, print, void,
//! close, and what survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

mod common;

use canteen_core::{Money, Payment, PriceReason, SaleLine};
use common::{Demo, demo, receipt_text};
use pos_terminal::flow::{Choice, FlowError, Lookup, MealCheck, Tender};
use receipts::{PrinterOutput, ReceiptError};

fn yuan(y: i64) -> Money {
    Money::from_yuan(y)
}

#[test]
fn a_card_lunch_paid_in_cash_is_stored_printed_and_queued() {
    let d = demo(50);
    let mut t = d.open();
    assert!(matches!(
        t.pay(Tender::Cash(yuan(20))),
        Err(FlowError::NoShift)
    ));
    t.open_shift(11, "1234", yuan(100)).unwrap();
    // Card 100004 is 刘德明, 76 on 15 June 2026: bracket 70-79, lunch 6.00 of 12.00.
    assert_eq!(t.lookup("100004"), Lookup::Chosen(3));
    let p = t.price().unwrap();
    assert_eq!(
        (p.quote.paid, p.quote.subsidy, p.quote.standard),
        (yuan(6), yuan(6), yuan(12))
    );
    assert!(!p.second_meal);
    t.set_extra(0, 2); // two eggs at 1.00
    assert_eq!(t.price().unwrap().total, yuan(8));
    let c = t.pay(Tender::Cash(yuan(20))).unwrap();
    assert_eq!(c.change, yuan(12));
    assert!(c.print_error.is_none());
    assert_eq!(t.outbox_count().unwrap(), 2, "the shift and the sale");
    let stored = t.store().sale(c.sale.id.0).unwrap().unwrap();
    assert_eq!(stored, c.sale);
    assert_eq!(
        stored.payment,
        Payment::Cash {
            tendered: yuan(20),
            change: yuan(12)
        }
    );
    let text = receipt_text(&d.printer.contents());
    assert!(text.contains("刘德明"), "{text}");
    assert!(text.contains("￥8.00"), "{text}");
    assert!(text.contains("￥12.00"), "{text}");
    assert!(
        text.contains(&receipts::model::receipt_no(c.sale.id)),
        "{text}"
    );
    assert!(
        !text.contains("530922195004"),
        "whole ID number printed: {text}"
    );
}

#[test]
fn the_second_lunch_of_the_day_is_at_standard_price_with_the_warning() {
    let d = demo(50);
    let mut t = d.open();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    t.lookup("100004");
    t.pay(Tender::Qr(Some("wechat".into()))).unwrap();
    t.lookup("100004");
    let p = t.price().unwrap();
    assert!(p.second_meal);
    assert_eq!(p.quote.reason, PriceReason::AlreadySubsidised);
    assert_eq!((p.quote.paid, p.quote.subsidy), (yuan(12), Money::ZERO));
    // Dinner is another slot: subsidised again.
    t.set_slot(Some(canteen_core::Slot::Dinner));
    assert!(!t.price().unwrap().second_meal);
}

#[test]
fn a_voided_lunch_no_longer_counts_as_the_subsidised_one() {
    let d = demo(50);
    let mut t = d.open();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    t.lookup("100004");
    let c = t.pay(Tender::Cash(yuan(10))).unwrap();
    assert!(matches!(
        t.void(c.sale.id, "1234", "打错了人"),
        Err(FlowError::WrongPin)
    ));
    assert!(matches!(
        t.void(c.sale.id, "9999", "  "),
        Err(FlowError::NoReason)
    ));
    assert!(t.store().void_of(c.sale.id.0).unwrap().is_none());
    let v = t.void(c.sale.id, "9999", "打错了人").unwrap();
    assert_eq!(v.sale_id, c.sale.id);
    assert!(matches!(
        t.void(c.sale.id, "9999", "again"),
        Err(FlowError::AlreadyVoided)
    ));
    t.lookup("100004");
    assert!(!t.price().unwrap().second_meal);
    let tally = t.tally().unwrap();
    assert_eq!((tally.sales_count, tally.voids_count), (0, 1));
}

#[test]
fn search_by_pinyin_initials_name_and_id_number() {
    let d = demo(200);
    let mut t = d.open();
    let Lookup::Matches(m) = t.lookup("ldm") else {
        panic!("expected matches")
    };
    assert!(m.contains(&3));
    for &i in &m {
        // 李, 刘, 林, 罗, 梁… 德明: every surname read with an l.
        let name = &t.roster().get(i).unwrap().diner.name;
        assert!(name.ends_with("德明"), "{name}");
    }
    let Lookup::Matches(m) = t.lookup("德明") else {
        panic!()
    };
    assert!(m.contains(&3));
    let id = pos_terminal::demo::resident_id(pos_terminal::demo::birth_date(3), 3);
    assert_eq!(t.lookup(&id), Lookup::Chosen(3));
    assert_eq!(t.lookup_id(&id[..10]), Lookup::IdIncomplete(8));
    let mut bad = id.clone();
    let last = if bad.ends_with('0') { '1' } else { '0' };
    bad.pop();
    bad.push(last);
    let Lookup::IdInvalid(why) = t.lookup(&bad) else {
        panic!("bad check character accepted")
    };
    assert!(why.contains("校验位"), "{why}");
    assert_eq!(t.lookup("999999"), Lookup::NotFound);
}

#[test]
fn walk_ins_pay_standard_and_not_enough_cash_is_refused() {
    let d = demo(10);
    let mut t = d.open();
    t.open_shift(12, "1234", Money::ZERO).unwrap();
    t.choose(Choice::WalkIn);
    let p = t.price().unwrap();
    assert_eq!(p.total, yuan(12));
    assert!(matches!(
        t.pay(Tender::Cash(yuan(10))),
        Err(FlowError::NotEnough { .. })
    ));
    let c = t.pay(Tender::Cash(yuan(12))).unwrap();
    assert!(matches!(c.sale.lines[0], SaleLine::WalkInMeal { .. }));
    assert_eq!(c.change, Money::ZERO);
}

#[test]
fn wrong_pin_and_unknown_cashier_do_not_open_a_shift() {
    let d = demo(10);
    let mut t = d.open();
    assert!(matches!(
        t.open_shift(11, "0000", Money::ZERO),
        Err(FlowError::WrongPin)
    ));
    assert!(matches!(
        t.open_shift(99, "1234", Money::ZERO),
        Err(FlowError::UnknownCashier)
    ));
    assert!(matches!(
        t.open_shift(11, "12a4", Money::ZERO),
        Err(FlowError::BadPin)
    ));
    assert!(t.shift().is_none());
    assert_eq!(t.outbox_count().unwrap(), 0);
}

struct BrokenPrinter;

impl PrinterOutput for BrokenPrinter {
    fn send(&mut self, _: &[u8]) -> Result<(), ReceiptError> {
        Err(ReceiptError::OutOfPaper {
            printer: "test".into(),
        })
    }
    fn describe(&self) -> String {
        "broken".into()
    }
}

#[test]
fn a_printer_out_of_paper_keeps_the_sale_and_says_so_in_chinese() {
    let d = demo(10);
    let mut t = pos_terminal::flow::Terminal::open(
        &d.db,
        Box::new(d.clock.clone()),
        Box::new(BrokenPrinter),
        receipts::Paper::Mm58,
    )
    .unwrap();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    t.lookup("100004");
    let c = t.pay(Tender::Cash(yuan(10))).unwrap();
    let msg = c.print_error.unwrap();
    assert!(msg.contains("缺纸"), "{msg}");
    assert!(t.store().sale(c.sale.id.0).unwrap().is_some());
    // Reprint after the roll is changed, on a working printer.
    drop(t);
    let mut t = d.open();
    assert_eq!(t.reprint(c.sale.id).unwrap(), Ok(()));
    let text = receipt_text(&d.printer.contents());
    assert!(text.contains("刘德明"), "{text}");
}

#[test]
fn shift_close_uses_the_shared_tally_and_a_restart_keeps_everything() {
    let d: Demo = demo(50);
    let first_sale;
    {
        let mut t = d.open();
        t.open_shift(11, "1234", yuan(50)).unwrap();
        t.lookup("100004");
        first_sale = t.pay(Tender::Cash(yuan(20))).unwrap().sale;
        t.choose(Choice::WalkIn);
        t.pay(Tender::Qr(None)).unwrap();
    }
    let mut t = d.open();
    assert!(t.shift().is_some(), "the open shift survives a restart");
    assert_eq!(
        t.store().sale(first_sale.id.0).unwrap().unwrap(),
        first_sale
    );
    let closed = t.close_shift(yuan(55)).unwrap();
    assert_eq!(closed.tally.cash_sales, yuan(6));
    assert_eq!(closed.tally.qr_sales, yuan(12));
    assert_eq!(closed.tally.expected_cash, yuan(56));
    assert_eq!(closed.difference, yuan(-1));
    assert!(t.shift().is_none());
    let text = receipt_text(&d.printer.contents());
    assert!(text.contains("￥56.00"), "{text}");
    assert_eq!(t.outbox_count().unwrap(), 4);
}

#[test]
fn pins_come_as_argon2_hashes_and_a_cashier_without_one_cannot_open() {
    let d = demo(10);
    let t = d.open();
    // The demo set the PINs here; the store holds only argon2 hashes.
    let setup = t.store().setup().unwrap().unwrap();
    for c in &setup.cashiers {
        let h = c.pin_hash.as_deref().unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("1234"), "{h}");
    }
    // A cashier the backend sent without a PIN cannot open a shift, whatever
    // they type: the first PIN typed is not taken as theirs.
    let mut s = setup.clone();
    s.cashiers[0].pin_hash = None;
    t.store().save_setup(&s).unwrap();
    drop(t);
    let mut t = d.open();
    assert!(matches!(
        t.open_shift(11, "1234", Money::ZERO),
        Err(FlowError::NoPin)
    ));
    assert!(matches!(
        t.open_shift(11, "5555", Money::ZERO),
        Err(FlowError::NoPin)
    ));
    assert!(t.shift().is_none());
    t.open_shift(12, "1234", Money::ZERO).unwrap();
}

#[test]
fn a_supervisor_from_the_backend_approves_voids_in_place_of_the_local_pin() {
    let d = demo(10);
    let mut t = d.open();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    t.lookup("100004");
    let first = t.pay(Tender::Cash(yuan(10))).unwrap().sale;
    t.lookup("100005");
    let second = t.pay(Tender::Cash(yuan(10))).unwrap().sale;
    // No supervisor named: the terminal's own supervisor PIN (9999) works.
    assert!(matches!(
        t.void(first.id, "1234", "按错了"),
        Err(FlowError::WrongPin)
    ));
    t.void(first.id, "9999", "按错了").unwrap();
    // The backend names 陈静 a supervisor with PIN 2468: only hers works now.
    let mut s = t.store().setup().unwrap().unwrap();
    s.cashiers[1].pin_hash = Some(pos_terminal::flow::hash_pin("2468").unwrap());
    s.cashiers[1].supervisor = true;
    t.store().save_setup(&s).unwrap();
    t.reload().unwrap();
    for wrong in ["9999", "1234", "", "24680", "abcd"] {
        assert!(
            matches!(t.void(second.id, wrong, "按错了"), Err(FlowError::WrongPin)),
            "{wrong}"
        );
    }
    t.void(second.id, "2468", "按错了").unwrap();
}

#[test]
fn the_township_answer_warns_of_a_meal_on_another_terminal() {
    let d = demo(10);
    let mut t = d.open();
    t.open_shift(11, "1234", Money::ZERO).unwrap();
    assert_eq!(t.meal_question(), None, "nobody on the counter");
    t.choose(Choice::WalkIn);
    assert_eq!(t.meal_question(), None, "a walk-in has nothing to check");
    assert_eq!(t.lookup("100004"), Lookup::Chosen(3));
    let p = t.price().unwrap();
    assert_eq!(p.check, MealCheck::ThisTerminal);
    assert!(!p.second_meal);
    let q = t.meal_question().unwrap();
    assert_eq!(q.diner_id, 4);
    assert_eq!(q.slot, canteen_core::Slot::Lunch);
    // The backend says 刘德明 had a subsidised lunch elsewhere today.
    t.answer_meal_question(&q, true);
    assert_eq!(t.meal_question(), None, "answered");
    let p = t.price().unwrap();
    assert_eq!(p.check, MealCheck::Township);
    assert!(p.second_meal && p.elsewhere);
    assert_eq!(p.quote.reason, PriceReason::AlreadySubsidised);
    assert_eq!((p.quote.paid, p.quote.subsidy), (yuan(12), Money::ZERO));
    let c = t.pay(Tender::Cash(yuan(12))).unwrap();
    assert!(matches!(
        c.sale.lines[0],
        SaleLine::DinerMeal { subsidy, .. } if subsidy == Money::ZERO
    ));
    // Chosen again, the question is asked again (the answer may be stale);
    // a "no" from the backend with no meal here is a subsidised meal.
    t.lookup("100005");
    let q = t.meal_question().unwrap();
    t.answer_meal_question(&q, false);
    let p = t.price().unwrap();
    assert_eq!(p.check, MealCheck::Township);
    assert!(!p.second_meal && !p.elsewhere);
    assert!(p.quote.subsidy > Money::ZERO, "{p:?}");
    // Its own sale still counts when the backend has not heard of it yet.
    t.pay(Tender::Cash(yuan(20))).unwrap();
    t.lookup("100005");
    let q = t.meal_question().unwrap();
    t.answer_meal_question(&q, false);
    let p = t.price().unwrap();
    assert!(p.second_meal && !p.elsewhere, "{p:?}");
}
