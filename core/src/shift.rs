//! The close of a cashier's shift: what the shift sold, the cash that should
//! be in the drawer, and the subsidised meals it served.
//!
//! SPEC.md: "Totals must tie out ... each shift's cash counted against cash
//! sales." The terminal shows these figures on screen and the receipts crate
//! prints them on the shift report, so both come from [`ShiftTally::of`].
//!
//! The backend also receives sales after a shift was closed (an offline
//! terminal). SPEC.md: "A shift's expected cash counts every cash sale and
//! void of that shift, including those that reach the backend after the
//! shift was closed; the report shows them as arriving late and the
//! difference both as counted at the close and as it stands now." That is
//! [`ShiftCheck::of`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::diner::CategoryCode;
use crate::ids::{SaleId, VoidId};
use crate::money::Money;
use crate::sale::{Payment, Received, Sale, SaleLine, Void};

/// What set the price of a subsidised meal, as the terminal charged it (the
/// `bracket` and `category` of its [`SaleLine::DinerMeal`]). A category wins
/// over a bracket when a line names both, as on the receipt.
///
/// Ordered brackets first (by the lowest age they name, so `65-69` < `70-79`
/// < `90+` < `100+`, then by name), then categories (by code), then
/// [`SubsidyBasis::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubsidyBasis {
    /// An age bracket, by its name in the policy, e.g. `70-79` or `90+`.
    Bracket(String),
    /// A special category, by its code, e.g. `dibao`.
    Category(CategoryCode),
    /// The line names neither a bracket nor a category.
    Other,
}

impl SubsidyBasis {
    /// The basis of a diner meal line from its `bracket` and `category`.
    pub fn of_line(bracket: Option<&str>, category: Option<&CategoryCode>) -> SubsidyBasis {
        match (category, bracket) {
            (Some(code), _) => SubsidyBasis::Category(code.clone()),
            (None, Some(name)) => SubsidyBasis::Bracket(name.to_string()),
            (None, None) => SubsidyBasis::Other,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SubsidyBasis::Bracket(_) => 0,
            SubsidyBasis::Category(_) => 1,
            SubsidyBasis::Other => 2,
        }
    }
}

/// The lowest age a bracket name starts with (`"70-79"` → 70), if any.
fn lowest_age(name: &str) -> Option<u64> {
    let digits: String = name
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl Ord for SubsidyBasis {
    fn cmp(&self, other: &SubsidyBasis) -> Ordering {
        match (self, other) {
            (SubsidyBasis::Bracket(a), SubsidyBasis::Bracket(b)) => {
                // Named brackets with an age first, lowest age first.
                let key = |n: &str| lowest_age(n).map_or((1, 0), |age| (0, age));
                key(a).cmp(&key(b)).then_with(|| a.cmp(b))
            }
            (SubsidyBasis::Category(a), SubsidyBasis::Category(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for SubsidyBasis {
    fn partial_cmp(&self, other: &SubsidyBasis) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The subsidised meals of one bracket or category in a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubsidisedMeals {
    /// The bracket or category that set their price.
    pub basis: SubsidyBasis,
    /// How many meals.
    pub meals: u32,
    /// Their subsidy, added up.
    pub subsidy: Money,
}

/// The figures of a shift at its close, from its sales and voids.
///
/// Built with [`ShiftTally::of`]; the cash counted at the close is compared
/// with [`ShiftTally::difference`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftTally {
    /// Sales not voided.
    pub sales_count: u32,
    /// Sales voided (each counted once, however many voids name it).
    pub voids_count: u32,
    /// Meals sold in sales not voided: diner meals and walk-in meals, not
    /// extras.
    pub meals_count: u32,
    /// Cash taken (tendered − change) by cash sales not voided.
    pub cash_sales: Money,
    /// Total paid by QR sales not voided.
    pub qr_sales: Money,
    /// Cash in the drawer when the shift began.
    pub opening_float: Money,
    /// Cash that should be in the drawer: opening float + cash sales.
    pub expected_cash: Money,
    /// Subsidised meals (diner meals with a subsidy above zero) of sales not
    /// voided, one entry per [`SubsidyBasis`], in its order.
    pub subsidised: Vec<SubsidisedMeals>,
    /// All subsidised meals: the sum of `subsidised`'s meals.
    pub subsidised_meals: u32,
    /// All their subsidy: the sum of `subsidised`'s subsidy.
    pub subsidy_total: Money,
}

impl ShiftTally {
    /// Adds up a shift's sales.
    ///
    /// A sale reversed by one of `voids` is left out of every figure and
    /// counted in `voids_count`; a void of a sale not in `sales` is ignored.
    /// A sale listed twice (same id) counts once, as its first copy. A
    /// subsidised meal is a diner meal line with a subsidy above zero, so a
    /// free meal (paid 0) counts, and a diner meal at the standard price does
    /// not. The amounts are the terminal's, as charged. A sale whose total
    /// overflows (one [`Sale::validate`] refuses) adds nothing to `qr_sales`.
    pub fn of(opening_float: Money, sales: &[Sale], voids: &[Void]) -> ShiftTally {
        let voided: HashSet<SaleId> = voids.iter().map(|v| v.sale_id).collect();
        let mut seen: HashSet<SaleId> = HashSet::new();
        let mut tally = ShiftTally {
            sales_count: 0,
            voids_count: 0,
            meals_count: 0,
            cash_sales: Money::ZERO,
            qr_sales: Money::ZERO,
            opening_float,
            expected_cash: opening_float,
            subsidised: Vec::new(),
            subsidised_meals: 0,
            subsidy_total: Money::ZERO,
        };
        let mut by_basis: BTreeMap<SubsidyBasis, (u32, Money)> = BTreeMap::new();
        for sale in sales {
            if !seen.insert(sale.id) {
                continue;
            }
            if voided.contains(&sale.id) {
                tally.voids_count = tally.voids_count.saturating_add(1);
                continue;
            }
            tally.sales_count = tally.sales_count.saturating_add(1);
            match sale.payment {
                Payment::Cash { .. } => tally.cash_sales += sale.cash_taken(),
                Payment::Qr { .. } => tally.qr_sales += sale.total_paid().unwrap_or(Money::ZERO),
            }
            for line in &sale.lines {
                match line {
                    SaleLine::DinerMeal {
                        subsidy,
                        bracket,
                        category,
                        ..
                    } => {
                        tally.meals_count = tally.meals_count.saturating_add(1);
                        if *subsidy > Money::ZERO {
                            tally.subsidised_meals = tally.subsidised_meals.saturating_add(1);
                            tally.subsidy_total += *subsidy;
                            let basis =
                                SubsidyBasis::of_line(bracket.as_deref(), category.as_ref());
                            let entry = by_basis.entry(basis).or_insert((0, Money::ZERO));
                            entry.0 = entry.0.saturating_add(1);
                            entry.1 += *subsidy;
                        }
                    }
                    SaleLine::WalkInMeal { .. } => {
                        tally.meals_count = tally.meals_count.saturating_add(1);
                    }
                    SaleLine::Extra { .. } => {}
                }
            }
        }
        tally.expected_cash = opening_float + tally.cash_sales;
        tally.subsidised = by_basis
            .into_iter()
            .map(|(basis, (meals, subsidy))| SubsidisedMeals {
                basis,
                meals,
                subsidy,
            })
            .collect();
        tally
    }

    /// Counted cash against the expected cash: `counted − expected_cash`,
    /// positive for a surplus, negative when cash is missing.
    pub fn difference(&self, counted: Money) -> Money {
        counted - self.expected_cash
    }
}

/// A sale of the shift that reached the backend after the shift was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateSale {
    /// The sale.
    pub sale_id: SaleId,
    /// When the backend first received it.
    pub received_at: DateTime<Utc>,
    /// Cash it put in the drawer (zero for QR): what it adds to the expected
    /// cash, unless it is voided.
    pub cash: Money,
}

/// A void of a sale of the shift that reached the backend after the shift
/// was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateVoid {
    /// The void (the first received, when several name the sale).
    pub void_id: VoidId,
    /// The sale it reverses.
    pub sale_id: SaleId,
    /// When the backend first received a void of the sale.
    pub received_at: DateTime<Utc>,
    /// Cash the voided sale had put in the drawer (zero for QR): what the
    /// void takes off the expected cash, if the sale was counted.
    pub cash: Money,
}

/// A shift's figures as the backend holds them: as they stood when the
/// shift was closed, and as they stand now with the sales and voids that
/// arrived late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftCheck {
    /// When the shift was closed; `None` while it is open (then nothing is
    /// late and `at_close` equals `now`).
    pub closed_at: Option<DateTime<Utc>>,
    /// The sales and voids received before the close.
    pub at_close: ShiftTally,
    /// Every sale and void received so far.
    pub now: ShiftTally,
    /// Sales received at or after the close, by arrival (then id).
    pub late_sales: Vec<LateSale>,
    /// Voids received at or after the close, by arrival (then id).
    pub late_voids: Vec<LateVoid>,
}

impl ShiftCheck {
    /// The figures of a shift from its sales and voids as the backend
    /// received them, and when the shift was closed.
    ///
    /// A record received at `closed_at` or later is late. A sale received
    /// twice counts from its first receipt; of several voids of one sale the
    /// first received counts. Voids of sales not in `sales` are ignored, as
    /// in [`ShiftTally::of`].
    pub fn of(
        opening_float: Money,
        sales: &[Received<Sale>],
        voids: &[Received<Void>],
        closed_at: Option<DateTime<Utc>>,
    ) -> ShiftCheck {
        let late = |at: DateTime<Utc>| closed_at.is_some_and(|c| at >= c);
        let sales = first_received(sales, |s| s.id);
        let voids = first_received(voids, |v| v.sale_id);
        let in_shift: HashMap<SaleId, &Sale> =
            sales.iter().map(|s| (s.record.id, &s.record)).collect();
        let voids: Vec<&Received<Void>> = voids
            .into_iter()
            .filter(|v| in_shift.contains_key(&v.record.sale_id))
            .collect();
        let tally = |all: bool| {
            let sales: Vec<Sale> = sales
                .iter()
                .filter(|s| all || !late(s.received_at))
                .map(|s| s.record.clone())
                .collect();
            let voids: Vec<Void> = voids
                .iter()
                .filter(|v| all || !late(v.received_at))
                .map(|v| v.record.clone())
                .collect();
            ShiftTally::of(opening_float, &sales, &voids)
        };
        let mut late_sales: Vec<LateSale> = sales
            .iter()
            .filter(|s| late(s.received_at))
            .map(|s| LateSale {
                sale_id: s.record.id,
                received_at: s.received_at,
                cash: s.record.cash_taken(),
            })
            .collect();
        late_sales.sort_by_key(|l| (l.received_at, l.sale_id));
        let mut late_voids: Vec<LateVoid> = voids
            .iter()
            .filter(|v| late(v.received_at))
            .map(|v| LateVoid {
                void_id: v.record.id,
                sale_id: v.record.sale_id,
                received_at: v.received_at,
                cash: in_shift
                    .get(&v.record.sale_id)
                    .map_or(Money::ZERO, |s| s.cash_taken()),
            })
            .collect();
        late_voids.sort_by_key(|l| (l.received_at, l.void_id));
        ShiftCheck {
            closed_at,
            at_close: tally(false),
            now: tally(true),
            late_sales,
            late_voids,
        }
    }

    /// Counted cash against the expected cash at the close.
    pub fn difference_at_close(&self, counted: Money) -> Money {
        self.at_close.difference(counted)
    }

    /// Counted cash against the expected cash as it stands now, late sales
    /// and voids included.
    pub fn difference_now(&self, counted: Money) -> Money {
        self.now.difference(counted)
    }

    /// True when some sale or void arrived after the close.
    pub fn has_late_arrivals(&self) -> bool {
        !self.late_sales.is_empty() || !self.late_voids.is_empty()
    }
}

/// The first received copy per key; ties keep the one listed first.
fn first_received<T>(records: &[Received<T>], key: impl Fn(&T) -> SaleId) -> Vec<&Received<T>> {
    let mut at: HashMap<SaleId, usize> = HashMap::new();
    let mut out: Vec<&Received<T>> = Vec::with_capacity(records.len());
    for r in records {
        match at.get(&key(&r.record)) {
            Some(&i) => {
                if r.received_at < out[i].received_at {
                    out[i] = r;
                }
            }
            None => {
                at.insert(key(&r.record), out.len());
                out.push(r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DinerId, SiteId, TerminalId, UserId, VoidId};
    use crate::policy::Slot;
    use chrono::{NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    fn sale(n: u128, lines: Vec<SaleLine>, payment: Payment) -> Sale {
        Sale {
            id: SaleId(Uuid::from_u128(n)),
            site_id: SiteId(1),
            terminal_id: TerminalId(1),
            cashier_id: UserId(1),
            sold_at: Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap(),
            business_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            slot: Slot::Lunch,
            lines,
            payment,
        }
    }

    fn meal(standard: i64, paid: i64, bracket: Option<&str>, category: Option<&str>) -> SaleLine {
        SaleLine::DinerMeal {
            diner_id: DinerId(1),
            standard: Money::from_fen(standard),
            paid: Money::from_fen(paid),
            subsidy: Money::from_fen(standard - paid),
            bracket: bracket.map(String::from),
            category: category.map(|c| CategoryCode(c.into())),
        }
    }

    fn cash(tendered: i64, change: i64) -> Payment {
        Payment::Cash {
            tendered: Money::from_fen(tendered),
            change: Money::from_fen(change),
        }
    }

    fn qr() -> Payment {
        Payment::Qr { reference: None }
    }

    fn void_of(n: u128, sale_id: SaleId) -> Void {
        Void {
            id: VoidId(Uuid::from_u128(n)),
            sale_id,
            site_id: SiteId(1),
            terminal_id: TerminalId(1),
            voided_by: UserId(1),
            voided_at: Utc.with_ymd_and_hms(2026, 3, 2, 4, 5, 0).unwrap(),
            reason: "按错了".into(),
        }
    }

    fn fen(m: Money) -> i64 {
        m.fen()
    }

    fn groups(t: &ShiftTally) -> Vec<(SubsidyBasis, u32, i64)> {
        t.subsidised
            .iter()
            .map(|g| (g.basis.clone(), g.meals, g.subsidy.fen()))
            .collect()
    }

    fn bracket(name: &str) -> SubsidyBasis {
        SubsidyBasis::Bracket(name.into())
    }

    #[test]
    fn an_empty_shift_expects_the_opening_float() {
        let t = ShiftTally::of(Money::from_fen(20000), &[], &[]);
        assert_eq!((t.sales_count, t.voids_count, t.meals_count), (0, 0, 0));
        assert_eq!(fen(t.expected_cash), 20000);
        assert_eq!(fen(t.difference(Money::from_fen(20000))), 0);
        assert!(t.subsidised.is_empty());
    }

    #[test]
    fn cash_and_qr_are_kept_apart_and_only_cash_is_expected_in_the_drawer() {
        // Cash: a 70-79 meal at 6.00 and an egg at 1.50, paid with 10.00,
        // change 2.50 → 7.50 in the drawer. QR: a walk-in at 12.00.
        let sales = [
            sale(
                1,
                vec![
                    meal(1200, 600, Some("70-79"), None),
                    SaleLine::Extra {
                        name: "鸡蛋".into(),
                        unit_price: Money::from_fen(150),
                        quantity: 1,
                    },
                ],
                cash(1000, 250),
            ),
            sale(
                2,
                vec![SaleLine::WalkInMeal {
                    price: Money::from_fen(1200),
                }],
                qr(),
            ),
        ];
        let t = ShiftTally::of(Money::from_fen(20000), &sales, &[]);
        assert_eq!((t.sales_count, t.voids_count), (2, 0));
        assert_eq!(t.meals_count, 2, "the egg is not a meal");
        assert_eq!(fen(t.cash_sales), 750);
        assert_eq!(fen(t.qr_sales), 1200);
        assert_eq!(fen(t.expected_cash), 20750);
        // 207.00 counted: 0.50 missing. 208.00 counted: 0.50 over.
        assert_eq!(fen(t.difference(Money::from_fen(20700))), -50);
        assert_eq!(fen(t.difference(Money::from_fen(20800))), 50);
        assert_eq!(groups(&t), [(bracket("70-79"), 1, 600)]);
    }

    #[test]
    fn a_voided_sale_is_left_out_and_counted_as_voided() {
        let kept = sale(1, vec![meal(1200, 600, Some("70-79"), None)], cash(600, 0));
        let gone = sale(
            2,
            vec![meal(1200, 300, Some("80-89"), None)],
            cash(500, 200),
        );
        let voids = [void_of(10, gone.id)];
        let t = ShiftTally::of(Money::from_fen(10000), &[kept, gone], &voids);
        assert_eq!((t.sales_count, t.voids_count), (1, 1));
        assert_eq!(t.meals_count, 1);
        assert_eq!(fen(t.cash_sales), 600);
        assert_eq!(fen(t.expected_cash), 10600);
        assert_eq!(groups(&t), [(bracket("70-79"), 1, 600)]);
        assert_eq!((t.subsidised_meals, fen(t.subsidy_total)), (1, 600));
    }

    #[test]
    fn a_void_of_a_sale_not_in_the_shift_is_ignored() {
        let s = sale(1, vec![meal(1200, 600, Some("70-79"), None)], cash(600, 0));
        let voids = [void_of(10, SaleId(Uuid::from_u128(404)))];
        let with = ShiftTally::of(Money::from_fen(10000), std::slice::from_ref(&s), &voids);
        assert_eq!(with, ShiftTally::of(Money::from_fen(10000), &[s], &[]));
        assert_eq!((with.sales_count, with.voids_count), (1, 0));
    }

    #[test]
    fn a_sale_voided_twice_or_listed_twice_counts_once() {
        let s = sale(1, vec![meal(1200, 600, Some("70-79"), None)], qr());
        let t = ShiftTally::of(
            Money::ZERO,
            &[s.clone(), s.clone()],
            &[void_of(10, s.id), void_of(11, s.id)],
        );
        assert_eq!((t.sales_count, t.voids_count), (0, 1));
        let t = ShiftTally::of(Money::ZERO, &[s.clone(), s], &[]);
        assert_eq!((t.sales_count, t.meals_count, fen(t.qr_sales)), (1, 1, 600));
    }

    #[test]
    fn a_free_meal_for_a_diner_over_90_is_subsidised_with_nothing_paid() {
        // Lunch 12.00; a 90+ diner pays 0.00, the subsidy is the whole 12.00.
        // No money changes hands: cash tendered 0, change 0.
        let s = sale(1, vec![meal(1200, 0, Some("90+"), None)], cash(0, 0));
        let t = ShiftTally::of(Money::from_fen(20000), &[s], &[]);
        assert_eq!((t.sales_count, t.meals_count), (1, 1));
        assert_eq!(fen(t.cash_sales), 0);
        assert_eq!(fen(t.expected_cash), 20000);
        assert_eq!(groups(&t), [(bracket("90+"), 1, 1200)]);
        assert_eq!((t.subsidised_meals, fen(t.subsidy_total)), (1, 1200));
    }

    #[test]
    fn a_meal_at_the_standard_price_is_a_meal_but_not_subsidised() {
        let s = sale(1, vec![meal(1200, 1200, None, None)], cash(1200, 0));
        let t = ShiftTally::of(Money::ZERO, &[s], &[]);
        assert_eq!(t.meals_count, 1);
        assert_eq!(t.subsidised_meals, 0);
        assert!(t.subsidised.is_empty());
    }

    #[test]
    fn subsidised_meals_are_grouped_brackets_by_age_then_categories_then_other() {
        let sales = [
            sale(
                1,
                vec![
                    meal(1200, 0, Some("100+"), None),
                    meal(1200, 0, Some("90+"), None),
                    meal(1200, 600, Some("70-79"), None),
                    meal(1200, 600, Some("70-79"), None),
                ],
                qr(),
            ),
            sale(
                2,
                vec![
                    // The category priced it: it counts under the category.
                    meal(1200, 200, Some("65-69"), Some("tekun")),
                    meal(1200, 400, None, Some("dibao")),
                    meal(1200, 1000, None, None),
                ],
                qr(),
            ),
        ];
        let t = ShiftTally::of(Money::ZERO, &sales, &[]);
        let dibao = SubsidyBasis::Category(CategoryCode("dibao".into()));
        let tekun = SubsidyBasis::Category(CategoryCode("tekun".into()));
        assert_eq!(
            groups(&t),
            [
                (bracket("70-79"), 2, 1200),
                (bracket("90+"), 1, 1200),
                (bracket("100+"), 1, 1200),
                (dibao, 1, 800),
                (tekun, 1, 1000),
                (SubsidyBasis::Other, 1, 200),
            ]
        );
        assert_eq!((t.subsidised_meals, fen(t.subsidy_total)), (7, 5600));
        assert_eq!(t.meals_count, 7);
    }

    #[test]
    fn brackets_without_an_age_come_after_those_with_one() {
        let mut names = [bracket("长寿"), bracket("90+"), bracket("65-69")];
        names.sort();
        assert_eq!(names, [bracket("65-69"), bracket("90+"), bracket("长寿")]);
    }

    #[test]
    fn the_comparison_operators_follow_the_same_order() {
        let dibao = SubsidyBasis::Category(CategoryCode("dibao".into()));
        assert!(bracket("65-69") < bracket("90+"));
        assert!(bracket("长寿") > bracket("100+"));
        assert!(bracket("长寿") < dibao);
        assert!(dibao < SubsidyBasis::Other);
        assert_eq!(
            bracket("90+").partial_cmp(&bracket("70-79")),
            Some(Ordering::Greater)
        );
        assert_eq!(dibao.partial_cmp(&dibao.clone()), Some(Ordering::Equal));
    }

    fn minute(m: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 6, m, 0).unwrap()
    }

    /// The shift closed at 06:30.
    fn closed() -> Option<chrono::DateTime<Utc>> {
        Some(minute(30))
    }

    fn got<T>(record: T, m: u32) -> Received<T> {
        Received {
            record,
            received_at: minute(m),
        }
    }

    fn cash_meal(n: u128, paid: i64) -> Sale {
        sale(
            n,
            vec![meal(1200, paid, Some("70-79"), None)],
            cash(paid, 0),
        )
    }

    #[test]
    fn a_cash_sale_that_arrives_after_the_close_counts_now_and_is_shown_late() {
        // Float 200.00. A 6.00 cash sale arrives before the close, a 4.00
        // cash sale and a QR sale after it (an offline terminal). The
        // cashier counted 206.00: right at the close, 4.00 short now.
        let on_time = cash_meal(1, 600);
        let late = cash_meal(2, 400);
        let late_qr = sale(3, vec![meal(1200, 300, None, None)], qr());
        let check = ShiftCheck::of(
            Money::from_fen(20000),
            &[
                got(on_time, 10),
                got(late.clone(), 45),
                got(late_qr.clone(), 40),
            ],
            &[],
            closed(),
        );
        assert_eq!(fen(check.at_close.expected_cash), 20600);
        assert_eq!(fen(check.now.expected_cash), 21000);
        assert_eq!((check.at_close.sales_count, check.now.sales_count), (1, 3));
        assert_eq!(fen(check.now.qr_sales), 300);
        assert_eq!(fen(check.difference_at_close(Money::from_fen(20600))), 0);
        assert_eq!(fen(check.difference_now(Money::from_fen(20600))), -400);
        // Counted 210.00: 4.00 over at the close, right now.
        assert_eq!(fen(check.difference_at_close(Money::from_fen(21000))), 400);
        assert_eq!(fen(check.difference_now(Money::from_fen(21000))), 0);
        assert_eq!(
            check.late_sales,
            vec![
                LateSale {
                    sale_id: late_qr.id,
                    received_at: minute(40),
                    cash: Money::ZERO
                },
                LateSale {
                    sale_id: late.id,
                    received_at: minute(45),
                    cash: Money::from_fen(400)
                },
            ]
        );
        assert!(check.late_voids.is_empty());
        assert!(check.has_late_arrivals());
    }

    #[test]
    fn a_void_that_arrives_after_the_close_takes_its_cash_off_now() {
        let voided = cash_meal(1, 600);
        let kept = cash_meal(2, 400);
        let void = void_of(10, voided.id);
        let check = ShiftCheck::of(
            Money::from_fen(20000),
            &[got(voided.clone(), 5), got(kept, 6)],
            &[got(void.clone(), 50)],
            closed(),
        );
        assert_eq!(fen(check.at_close.expected_cash), 21000);
        assert_eq!(fen(check.now.expected_cash), 20400);
        assert_eq!((check.at_close.voids_count, check.now.voids_count), (0, 1));
        assert!(check.late_sales.is_empty());
        assert_eq!(
            check.late_voids,
            vec![LateVoid {
                void_id: void.id,
                sale_id: voided.id,
                received_at: minute(50),
                cash: Money::from_fen(600)
            }]
        );
        assert!(check.has_late_arrivals());
    }

    #[test]
    fn a_sale_or_void_received_exactly_at_the_close_is_late() {
        let at_close = cash_meal(1, 600);
        let just_before = cash_meal(2, 400);
        let voided = cash_meal(3, 300);
        let check = ShiftCheck::of(
            Money::ZERO,
            &[
                got(at_close.clone(), 30),
                got(just_before, 29),
                got(voided.clone(), 1),
            ],
            &[got(void_of(10, voided.id), 30)],
            closed(),
        );
        assert_eq!(fen(check.at_close.expected_cash), 400 + 300);
        assert_eq!(fen(check.now.expected_cash), 600 + 400);
        assert_eq!(
            check
                .late_sales
                .iter()
                .map(|l| l.sale_id)
                .collect::<Vec<_>>(),
            vec![at_close.id]
        );
        assert_eq!(
            check
                .late_voids
                .iter()
                .map(|l| l.sale_id)
                .collect::<Vec<_>>(),
            vec![voided.id]
        );
    }

    #[test]
    fn an_open_shift_has_nothing_late() {
        let s = cash_meal(1, 600);
        let check = ShiftCheck::of(Money::from_fen(100), &[got(s.clone(), 59)], &[], None);
        assert_eq!(check.at_close, check.now);
        assert_eq!(check.now, ShiftTally::of(Money::from_fen(100), &[s], &[]));
        assert!(!check.has_late_arrivals());
        assert_eq!(check.closed_at, None);
    }

    #[test]
    fn a_sale_or_void_received_twice_counts_from_its_first_receipt() {
        // The post was retried: a copy after the close, listed first, and the
        // original before it. Not late. The same for a void sent twice.
        let s = cash_meal(1, 600);
        let voided = cash_meal(2, 400);
        let retried_void = void_of(11, voided.id);
        let first_void = void_of(10, voided.id);
        let check = ShiftCheck::of(
            Money::ZERO,
            &[got(s.clone(), 40), got(s, 10), got(voided, 11)],
            &[got(retried_void, 45), got(first_void, 20)],
            closed(),
        );
        assert!(!check.has_late_arrivals(), "{check:?}");
        assert_eq!(check.at_close, check.now);
        assert_eq!(fen(check.at_close.expected_cash), 600);
        assert_eq!(check.now.voids_count, 1);
    }

    #[test]
    fn of_two_voids_of_a_sale_received_at_the_same_moment_the_one_listed_first_counts() {
        // Two terminals voided the same sale; both voids reached the backend
        // in the same second, after the close.
        let voided = cash_meal(1, 600);
        let listed_first = void_of(11, voided.id);
        let listed_second = void_of(10, voided.id);
        let check = ShiftCheck::of(
            Money::ZERO,
            &[got(voided.clone(), 10)],
            &[got(listed_first.clone(), 40), got(listed_second, 40)],
            closed(),
        );
        assert_eq!(
            check
                .late_voids
                .iter()
                .map(|l| (l.void_id, l.sale_id))
                .collect::<Vec<_>>(),
            vec![(listed_first.id, voided.id)]
        );
    }

    #[test]
    fn a_late_void_of_a_sale_not_in_the_shift_is_not_shown() {
        let s = cash_meal(1, 600);
        let check = ShiftCheck::of(
            Money::ZERO,
            &[got(s, 10)],
            &[got(void_of(10, SaleId(Uuid::from_u128(404))), 40)],
            closed(),
        );
        assert!(!check.has_late_arrivals());
        assert_eq!(check.now.voids_count, 0);
    }
}
