//! Receipts built from canteen-core records.

use canteen_core::{DinerId, Money, SaleLine};
use receipts::{PriceBasis, Receipt, Refund};

use crate::fixtures::{self, context};

#[test]
fn a_sale_becomes_a_receipt_with_masked_ids_and_local_time() {
    let receipt = fixtures::receipt(&fixtures::typical_sale());
    assert_eq!(receipt.sold_at.to_string(), "2026-03-02 11:42:00");
    assert_eq!(receipt.receipt_no, "00000011");
    assert_eq!(receipt.total_paid, Money::from_fen(1200));
    assert_eq!(receipt.subsidy_total, Money::from_fen(1500));
    assert_eq!(
        receipt.meals[0].masked_id.as_deref(),
        Some("530922**********46")
    );
    assert_eq!(receipt.meals[0].basis, PriceBasis::Bracket("70-79".into()));
    assert_eq!(receipt.meals[1].basis, PriceBasis::Category("低保".into()));
    assert_eq!(receipt.extras[0].amount, Money::from_fen(300));
    assert!(receipt.opens_drawer());
}

#[test]
fn an_unknown_diner_prints_by_roster_number_only() {
    let mut sale = fixtures::typical_sale();
    if let SaleLine::DinerMeal { diner_id, .. } = &mut sale.lines[0] {
        *diner_id = DinerId(404);
    }
    let receipt = Receipt::from_sale(&sale, &context()).unwrap();
    assert_eq!(receipt.meals[0].diner, "编号404");
    assert_eq!(receipt.meals[0].masked_id, None);
}

#[test]
fn a_void_refunds_the_sale_the_way_it_was_paid() {
    let slip = fixtures::void_slip();
    assert_eq!(slip.refund, Refund::Cash(Money::from_fen(1200)));
    assert!(slip.opens_drawer());
    assert_eq!(slip.voided_at.to_string(), "2026-03-02 11:47:00");
}

#[test]
fn the_shift_report_leaves_voided_sales_out_and_ties_out_the_cash() {
    let report = fixtures::shift_report();
    assert_eq!((report.sales_count, report.voids_count), (3, 1));
    assert_eq!(report.meals_count, 3);
    assert_eq!(report.cash_sales, Money::from_fen(600));
    assert_eq!(report.qr_sales, Money::from_fen(1400));
    assert_eq!(report.cash_expected, Money::from_fen(20600));
    assert_eq!(report.difference, Money::from_fen(-100));
    let brackets: Vec<(&str, u32, i64)> = report
        .subsidised
        .iter()
        .map(|t| (t.label.as_str(), t.meals, t.subsidy.fen()))
        .collect();
    assert_eq!(brackets, [("70-79岁", 1, 600), ("90+岁", 1, 1200)]);
    assert_eq!(report.subsidised_meals, 2);
    assert_eq!(report.subsidy_total, Money::from_fen(1800));
}
