//! Which of a diner's meals in one slot and day is the subsidised one.
//!
//! SPEC.md: at most one subsidised meal per diner per slot per day, across
//! every terminal and site; when two terminals were offline, "the earliest
//! is claimed". Earliest means first **sold**, by the terminal's clock, not
//! first received: an offline sale sold at 11:00 and posted at 15:00 still
//! wins over a sale sold at 12:00 and posted at 12:00.
//!
//! Both the claim ([`crate::reconcile`]) and the backend's verdict on a
//! posted sale decide it here, so they can never disagree. Ties (the same
//! `sold_at`) go to the smaller sale id, then to the earlier line of the
//! sale: arbitrary but the same everywhere, whatever order records arrive in.

use chrono::{DateTime, Utc};

use crate::ids::SaleId;
use crate::sale::Sale;

/// Where a meal line stands in the contest for a diner's subsidised meal of
/// a slot and day: ordered by `sold_at`, then `sale_id`, then `line_index`,
/// so the smallest is the first sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MealOrder {
    /// When the sale was made, by the terminal's clock.
    pub sold_at: DateTime<Utc>,
    /// The sale (the first tie-break).
    pub sale_id: SaleId,
    /// 0-based index of the line in the sale (the second tie-break).
    pub line_index: usize,
}

impl MealOrder {
    /// The order of line `line_index` of `sale`.
    pub fn of(sale: &Sale, line_index: usize) -> MealOrder {
        MealOrder {
            sold_at: sale.sold_at,
            sale_id: sale.id,
            line_index,
        }
    }
}

/// The subsidised one among a diner's meal lines of one slot and day: the
/// first sold (see the module docs for ties). `None` when there are none.
///
/// `meals` are the lines still in the contest: diner meal lines of the same
/// diner, slot and business date, at any site of the township, priced with a
/// subsidy, and not voided. `order` says where each stands; the one with the
/// smallest [`MealOrder`] is returned.
pub fn first_sold<T>(
    meals: impl IntoIterator<Item = T>,
    order: impl Fn(&T) -> MealOrder,
) -> Option<T> {
    meals.into_iter().min_by_key(|m| order(m))
}

/// True when `meal` is the subsidised one among itself and `others` (the
/// other lines of the same diner, slot and day still in the contest, as for
/// [`first_sold`]); `meal` itself may appear among `others`.
///
/// This is the backend's question when a sale is posted: price the line
/// with `already_subsidised = !is_first_sold(..)`. Since the answer depends
/// on `sold_at`, a sale posted late that was sold earlier takes the subsidy
/// from one already stored, as it does in the claim.
pub fn is_first_sold(meal: MealOrder, others: impl IntoIterator<Item = MealOrder>) -> bool {
    others.into_iter().all(|other| meal <= other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn order(hour: u32, min: u32, sale: u128, line: usize) -> MealOrder {
        MealOrder {
            sold_at: Utc.with_ymd_and_hms(2026, 3, 2, hour, min, 0).unwrap(),
            sale_id: SaleId(Uuid::from_u128(sale)),
            line_index: line,
        }
    }

    #[test]
    fn the_first_sold_wins_whatever_the_order_of_arrival() {
        // Sold 12:00, posted at once; sold 11:00 on an offline terminal,
        // posted 15:00. The 11:00 sale is the subsidised one.
        let at_noon = order(12, 0, 1, 0);
        let offline = order(11, 0, 2, 0);
        assert_eq!(first_sold([at_noon, offline], |m| *m), Some(offline));
        assert_eq!(first_sold([offline, at_noon], |m| *m), Some(offline));
        assert!(is_first_sold(offline, [at_noon]));
        assert!(!is_first_sold(at_noon, [offline]));
    }

    #[test]
    fn ties_go_to_the_smaller_sale_id_then_the_earlier_line() {
        let a = order(11, 0, 5, 0);
        let b = order(11, 0, 3, 0);
        assert_eq!(first_sold([a, b], |m| *m), Some(b));
        assert!(is_first_sold(b, [a]));
        assert!(!is_first_sold(a, [b]));
        let second_line = order(11, 0, 3, 1);
        assert_eq!(first_sold([second_line, b], |m| *m), Some(b));
        assert!(!is_first_sold(second_line, [b]));
    }

    #[test]
    fn a_meal_alone_or_listed_among_the_others_is_first() {
        let m = order(11, 0, 1, 0);
        assert!(is_first_sold(m, []));
        assert!(is_first_sold(m, [m, order(11, 1, 1, 0)]));
        assert_eq!(first_sold(Vec::<MealOrder>::new(), |m| *m), None);
    }

    #[test]
    fn the_order_of_a_sale_line_comes_from_the_sale() {
        let sale = crate::sale::tests::sample_sale();
        assert_eq!(
            MealOrder::of(&sale, 2),
            MealOrder {
                sold_at: sale.sold_at,
                sale_id: sale.id,
                line_index: 2
            }
        );
    }
}
