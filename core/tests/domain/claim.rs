//! Worked examples of the monthly claim.

use canteen_core::claim::{Flag, LineKind};
use canteen_core::{
    ClaimInput, FreeMealDay, FreeMealId, Money, MonthClose, PolicyBook, Received, Sale, Slot, Void,
    reconcile,
};
use uuid::Uuid;

use crate::fixtures::*;

struct World {
    roster: Vec<canteen_core::Diner>,
    policies: PolicyBook,
    sales: Vec<Received<Sale>>,
    voids: Vec<Received<Void>>,
    free_meals: Vec<FreeMealDay>,
    closes: Vec<MonthClose>,
}

impl World {
    fn new() -> World {
        World {
            roster: vec![
                diner(1, d(1950, 5, 1)),                                        // 75: 70-79
                diner(2, d(1940, 5, 1)),                                        // 85: 80-89
                with_category(diner(3, d(1964, 5, 1)), "tekun", d(2025, 1, 1)), // 61, 特困
                diner(4, d(1970, 1, 1)),                                        // 56: not eligible
                diner(5, d(1956, 3, 16)), // 70 on 16 March 2026
            ],
            policies: standard_book(),
            sales: vec![],
            voids: vec![],
            free_meals: vec![],
            closes: vec![],
        }
    }

    fn claim(&self, site: canteen_core::SiteId, m: canteen_core::YearMonth) -> canteen_core::Claim {
        reconcile(&ClaimInput {
            site_id: site,
            month: m,
            sales: &self.sales,
            voids: &self.voids,
            free_meals: &self.free_meals,
            roster: &self.roster,
            policies: &self.policies,
            closes: &self.closes,
        })
    }

    fn sell(&mut self, sale: Sale) {
        let at = sale.sold_at;
        self.sales.push(received(sale, at));
    }
}

fn march() -> canteen_core::YearMonth {
    month(2026, 3)
}

#[test]
fn a_month_is_totalled_by_slot_bracket_category_and_funder() {
    let mut w = World::new();
    let day = d(2026, 3, 2);
    w.sell(meal(
        1,
        CANTEEN,
        1,
        day,
        Slot::Lunch,
        1200,
        600,
        at(day, 4, 0),
    ));
    w.sell(meal(
        2,
        CANTEEN,
        2,
        day,
        Slot::Lunch,
        1200,
        400,
        at(day, 4, 1),
    ));
    w.sell(meal(
        3,
        CANTEEN,
        3,
        day,
        Slot::Lunch,
        1200,
        200,
        at(day, 4, 2),
    ));
    w.sell(meal(
        4,
        CANTEEN,
        1,
        day,
        Slot::Breakfast,
        500,
        300,
        at(day, 0, 30),
    ));
    // Another site's sale is not in this site's claim.
    w.sell(meal(
        5,
        COMMUNE,
        2,
        day,
        Slot::Dinner,
        1000,
        300,
        at(day, 10, 0),
    ));
    let claim = w.claim(CANTEEN, march());
    assert_eq!(claim.flagged, vec![]);
    assert_eq!(claim.lines.len(), 4);
    assert_eq!(claim.total.meals, 4);
    assert_eq!(claim.total.standard, Money::from_fen(4100));
    assert_eq!(claim.total.paid, Money::from_fen(1500));
    assert_eq!(claim.total.subsidy, Money::from_fen(2600));
    assert!(claim.total.ties_out());
    assert_eq!(claim.by_slot[&Slot::Lunch].subsidy, Money::from_fen(2400));
    assert_eq!(
        claim.by_slot[&Slot::Breakfast].subsidy,
        Money::from_fen(200)
    );
    assert_eq!(claim.by_bracket["70-79"].meals, 2);
    assert_eq!(claim.by_bracket["80-89"].subsidy, Money::from_fen(800));
    assert_eq!(claim.by_category.values().map(|t| t.meals).sum::<i64>(), 1);
    assert_eq!(claim.by_funder["city"], Money::from_fen(1300));
    assert_eq!(claim.by_funder["county"], Money::from_fen(780));
    assert_eq!(claim.by_funder["township"], Money::from_fen(520));
    let funders: Money = claim.by_funder.values().copied().sum();
    assert_eq!(funders, claim.total.subsidy);
    for line in &claim.lines {
        assert_eq!(line.paid + line.subsidy, line.standard);
        assert_eq!(line.kind, LineKind::Regular);
    }
}

#[test]
fn two_offline_terminals_selling_the_same_slot_claim_the_earliest() {
    let mut w = World::new();
    let day = d(2026, 3, 3);
    let later = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 30));
    let earlier = meal(2, COMMUNE, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 10));
    // The later sale reaches the backend first.
    w.sales.push(received(later.clone(), at(day, 5, 0)));
    w.sales.push(received(earlier.clone(), at(day, 9, 0)));
    let canteen = w.claim(CANTEEN, march());
    let commune = w.claim(COMMUNE, march());
    assert_eq!(canteen.lines, vec![]);
    assert_eq!(canteen.flagged.len(), 1);
    assert_eq!(
        canteen.flagged[0].flag,
        Flag::SecondSubsidisedMeal {
            claimed_sale: earlier.id
        }
    );
    assert_eq!(commune.lines.len(), 1);
    assert_eq!(commune.lines[0].sale_id, earlier.id);
}

#[test]
fn ineligible_unknown_free_meal_and_wrong_price_are_flagged() {
    let mut w = World::new();
    let day = d(2026, 3, 4);
    w.sell(meal(
        1,
        CANTEEN,
        4,
        day,
        Slot::Lunch,
        1200,
        600,
        at(day, 4, 0),
    )); // 56 years old
    w.sell(meal(
        2,
        CANTEEN,
        99,
        day,
        Slot::Lunch,
        1200,
        600,
        at(day, 4, 0),
    )); // not on roster
    w.sell(meal(
        3,
        CANTEEN,
        2,
        day,
        Slot::Lunch,
        1200,
        400,
        at(day, 4, 0),
    )); // ate at the commune too
    w.sell(meal(
        4,
        CANTEEN,
        1,
        day,
        Slot::Lunch,
        1200,
        500,
        at(day, 4, 0),
    )); // should pay 6.00
    let mut gone = diner(6, d(1940, 1, 1));
    gone.inactive_since = Some(d(2026, 3, 1));
    w.roster.push(gone);
    w.sell(meal(
        5,
        CANTEEN,
        6,
        day,
        Slot::Lunch,
        1200,
        400,
        at(day, 4, 0),
    ));
    w.free_meals.push(FreeMealDay {
        id: FreeMealId(Uuid::from_u128(77)),
        site_id: COMMUNE,
        date: day,
        slot: Slot::Lunch,
        diners: vec![canteen_core::DinerId(2)],
        headcount: Some(20),
        volunteers: vec![],
        purchases: vec![],
        donations: vec![],
    });
    let claim = w.claim(CANTEEN, march());
    assert_eq!(claim.lines, vec![]);
    assert_eq!(claim.total.meals, 0);
    let flags: Vec<String> = claim.flagged.iter().map(|f| f.flag.to_string()).collect();
    assert_eq!(
        flags,
        vec![
            "not eligible: age 56, below the lowest bracket: standard price",
            "the diner is not on the roster",
            "the diner ate a volunteer free meal in this slot and day",
            "price differs from the policy (should pay 6.00, subsidy 6.00)",
            "not eligible: inactive on the roster: standard price",
        ]
    );
}

#[test]
fn a_birthday_and_a_policy_change_mid_month_price_each_day_by_its_own_rules() {
    let mut w = World::new();
    let mut v2 = policy(CANTEEN, d(2026, 3, 20));
    v2.standard = prices(600, 1300, 1100);
    v2.brackets[0].prices = prices(500, 900, 800);
    v2.brackets[1].prices = prices(300, 500, 500);
    w.policies = book(vec![policy(CANTEEN, d(2026, 1, 1)), v2]);
    // Diner 5 turns 70 on 16 March.
    for (n, (day, standard, paid)) in [
        (d(2026, 3, 15), 1200, 800), // 69, old policy
        (d(2026, 3, 16), 1200, 600), // 70, old policy
        (d(2026, 3, 20), 1300, 500), // 70, new policy
    ]
    .into_iter()
    .enumerate()
    {
        w.sell(meal(
            n as u128 + 1,
            CANTEEN,
            5,
            day,
            Slot::Lunch,
            standard,
            paid,
            at(day, 4, 0),
        ));
    }
    let claim = w.claim(CANTEEN, march());
    assert_eq!(claim.flagged, vec![]);
    assert_eq!(claim.by_bracket["65-69"].meals, 1);
    assert_eq!(claim.by_bracket["65-69"].subsidy, Money::from_fen(400));
    assert_eq!(claim.by_bracket["70-79"].meals, 2);
    assert_eq!(
        claim.by_bracket["70-79"].subsidy,
        Money::from_fen(600 + 800)
    );
    assert_eq!(claim.total.standard, Money::from_fen(3700));
}

#[test]
fn a_void_before_the_close_removes_the_meal() {
    let mut w = World::new();
    let day = d(2026, 3, 5);
    let sale = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    w.voids
        .push(received(void(1, &sale, at(day, 4, 5)), at(day, 4, 6)));
    w.sell(sale);
    // After the void the diner may have the subsidised lunch again.
    w.sell(meal(
        2,
        CANTEEN,
        1,
        day,
        Slot::Lunch,
        1200,
        600,
        at(day, 4, 7),
    ));
    let claim = w.claim(CANTEEN, march());
    assert_eq!(claim.lines.len(), 1);
    assert_eq!(
        claim.lines[0].sale_id,
        canteen_core::SaleId(Uuid::from_u128(2))
    );
    assert_eq!(claim.flagged, vec![]);
}

#[test]
fn late_sales_and_voids_are_adjustments_in_the_next_open_month_and_the_closed_claim_holds() {
    let mut w = World::new();
    let day = d(2026, 3, 30);
    let claimed = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    w.sell(claimed.clone());
    w.sell(meal(
        2,
        CANTEEN,
        2,
        day,
        Slot::Lunch,
        1200,
        400,
        at(day, 4, 0),
    ));
    let closed_at = at(d(2026, 4, 2), 2, 0);
    w.closes.push(close(CANTEEN, march(), closed_at));
    let frozen = w.claim(CANTEEN, march());
    assert_eq!(frozen.total.meals, 2);
    assert_eq!(frozen.closed_at, Some(closed_at));

    // An offline terminal syncs after the close: a new March meal, a repeat
    // of diner 1's claimed lunch, and a void of diner 2's claimed lunch.
    let after = at(d(2026, 4, 3), 1, 0);
    let late = meal(3, CANTEEN, 3, day, Slot::Dinner, 1000, 100, at(day, 10, 0));
    let repeat = meal(4, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 3, 0));
    w.sales.push(received(late.clone(), after));
    w.sales.push(received(repeat.clone(), after));
    let voided = w.sales[1].record.clone();
    w.voids
        .push(received(void(9, &voided, at(day, 5, 0)), after));

    assert_eq!(
        w.claim(CANTEEN, march()),
        frozen,
        "a closed claim never changes"
    );
    let april = w.claim(CANTEEN, month(2026, 4));
    let kinds: Vec<(LineKind, i64, Money)> = april
        .lines
        .iter()
        .map(|l| (l.kind, l.meals, l.subsidy))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (LineKind::LateVoid, -1, Money::from_fen(-800)),
            (LineKind::LateSale, 1, Money::from_fen(900)),
        ]
    );
    assert_eq!(april.adjustments.meals, 0);
    assert_eq!(april.adjustments.subsidy, Money::from_fen(100));
    assert_eq!(april.regular.meals, 0);
    assert!(april.total.ties_out());
    assert_eq!(april.flagged.len(), 1);
    assert!(april.flagged[0].late);
    assert_eq!(
        april.flagged[0].flag,
        Flag::SecondSubsidisedMeal {
            claimed_sale: claimed.id
        }
    );
}

#[test]
fn a_late_sale_skips_every_month_closed_when_it_arrived() {
    let mut w = World::new();
    let day = d(2026, 2, 10);
    w.closes
        .push(close(CANTEEN, month(2026, 2), at(d(2026, 3, 1), 0, 0)));
    w.closes
        .push(close(CANTEEN, month(2026, 3), at(d(2026, 4, 1), 0, 0)));
    w.sales.push(received(
        meal(1, CANTEEN, 2, day, Slot::Lunch, 1200, 400, at(day, 4, 0)),
        at(d(2026, 4, 5), 0, 0),
    ));
    assert_eq!(w.claim(CANTEEN, month(2026, 3)).lines, vec![]);
    let april = w.claim(CANTEEN, month(2026, 4));
    assert_eq!(april.lines.len(), 1);
    assert_eq!(april.lines[0].kind, LineKind::LateSale);
    assert_eq!(april.lines[0].business_date, day);
}

#[test]
fn the_same_records_in_any_order_or_twice_give_the_same_claim() {
    let mut w = World::new();
    for n in 0..20u32 {
        let day = d(2026, 3, 1 + n % 5);
        let sold = at(day, 4, n);
        w.sell(meal(
            u128::from(n),
            CANTEEN,
            i64::from(n % 4) + 1,
            day,
            Slot::Lunch,
            1200,
            600,
            sold,
        ));
    }
    let first = w.claim(CANTEEN, march());
    w.sales.reverse();
    let dup = w.sales[3].clone();
    w.sales.push(dup);
    assert_eq!(w.claim(CANTEEN, march()), first);
}

#[test]
fn every_slot_total_ties_out() {
    let mut w = World::new();
    let day = d(2026, 3, 9);
    w.sell(meal(
        1,
        CANTEEN,
        1,
        day,
        Slot::Dinner,
        1000,
        500,
        at(day, 10, 0),
    ));
    w.sell(meal(
        2,
        CANTEEN,
        3,
        day,
        Slot::Dinner,
        1000,
        100,
        at(day, 10, 0),
    ));
    let claim = w.claim(CANTEEN, march());
    for slot_total in claim.by_slot.values() {
        assert!(slot_total.ties_out());
    }
    assert_eq!(claim.total.subsidy, Money::from_fen(1400));
}

#[test]
fn the_roster_check_counts_claimed_meals_so_a_duplicate_never_pulls_out_a_valid_meal() {
    // Two eligible diners (1 and 2) and one too young (4). Two offline
    // terminals both sell diner 1 lunch; diner 2, diner 4 and an unknown
    // diner 99 eat too: five subsidised lines sold, two eligible diners.
    // Only diner 1's earliest and diner 2's meal are claimed: two meals, the
    // roster's size exactly, so nothing is flagged for the roster and diner
    // 2's valid meal stays in the claim.
    let mut w = World::new();
    w.roster = vec![
        diner(1, d(1950, 5, 1)),
        diner(2, d(1940, 5, 1)),
        diner(4, d(1970, 1, 1)),
    ];
    let day = d(2026, 3, 10);
    let lunch = |n, diner, paid, min| {
        meal(
            n,
            CANTEEN,
            diner,
            day,
            Slot::Lunch,
            1200,
            paid,
            at(day, 4, min),
        )
    };
    w.sell(lunch(1, 1, 600, 0));
    w.sell(lunch(2, 1, 600, 1)); // the other terminal, a minute later
    w.sell(lunch(3, 4, 600, 2));
    w.sell(lunch(4, 99, 600, 3));
    w.sell(lunch(5, 2, 400, 4)); // the latest sold
    let claim = w.claim(CANTEEN, march());
    assert_eq!(
        claim.lines.iter().map(|l| l.diner_id.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let flags: Vec<(i64, String)> = claim
        .flagged
        .iter()
        .map(|f| (f.diner_id.0, f.flag.to_string()))
        .collect();
    assert_eq!(
        flags,
        vec![
            (
                1,
                format!(
                    "second subsidised meal in this slot and day (sale {} is claimed)",
                    sale_id(1)
                )
            ),
            (
                4,
                "not eligible: age 56, below the lowest bracket: standard price".to_string()
            ),
            (99, "the diner is not on the roster".to_string()),
        ]
    );
    assert_eq!(claim.total.meals, 2);
    assert_eq!(claim.total.subsidy, Money::from_fen(600 + 800));
}

fn sale_id(n: u128) -> canteen_core::SaleId {
    canteen_core::SaleId(Uuid::from_u128(n))
}

#[test]
fn an_offline_sale_sold_first_and_posted_last_is_the_subsidised_one() {
    // Issue 7: sold at 11:00 on an offline terminal, posted at 15:00; the
    // other terminal sold the same diner's lunch at 12:00 and posted it at
    // once. The 11:00 sale is claimed, as `first_meal` decides it.
    let mut w = World::new();
    let day = d(2026, 3, 11);
    let online = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    let offline = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 3, 0));
    w.sales.push(received(online.clone(), at(day, 4, 0)));
    w.sales.push(received(offline.clone(), at(day, 7, 0)));
    let claim = w.claim(CANTEEN, march());
    assert_eq!(
        claim.lines.iter().map(|l| l.sale_id).collect::<Vec<_>>(),
        vec![offline.id]
    );
    assert_eq!(claim.flagged.len(), 1);
    assert_eq!(claim.flagged[0].sale_id, online.id);
    assert_eq!(
        claim.flagged[0].flag,
        Flag::SecondSubsidisedMeal {
            claimed_sale: offline.id
        }
    );
}

#[test]
fn meals_before_the_diners_registration_are_not_eligible() {
    let mut w = World::new();
    w.roster[0].active_from = Some(d(2026, 3, 10));
    for (n, day) in [(1, d(2026, 3, 9)), (2, d(2026, 3, 10))] {
        w.sell(meal(
            n,
            CANTEEN,
            1,
            day,
            Slot::Lunch,
            1200,
            600,
            at(day, 4, 0),
        ));
    }
    let claim = w.claim(CANTEEN, march());
    assert_eq!(
        claim.lines.iter().map(|l| l.sale_id).collect::<Vec<_>>(),
        vec![sale_id(2)]
    );
    assert_eq!(claim.flagged.len(), 1);
    assert_eq!(claim.flagged[0].sale_id, sale_id(1));
    assert_eq!(
        claim.flagged[0].flag.to_string(),
        "not eligible: registered on the roster only from 2026-03-10: standard price"
    );
}

/// March closed on 2 April with diner 1's lunch of 30 March claimed.
fn march_closed_with_a_claimed_lunch() -> (World, Sale) {
    let mut w = World::new();
    let day = d(2026, 3, 30);
    let claimed = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    w.sell(claimed.clone());
    w.closes
        .push(close(CANTEEN, march(), at(d(2026, 4, 2), 2, 0)));
    (w, claimed)
}

#[test]
fn a_late_void_frees_the_slot_for_a_late_sale_received_after_it() {
    let (mut w, claimed) = march_closed_with_a_claimed_lunch();
    let day = d(2026, 3, 30);
    let void_arrives = at(d(2026, 4, 3), 1, 0);
    w.voids
        .push(received(void(9, &claimed, at(day, 4, 5)), void_arrives));
    // Sold before the claimed sale, but received before its void: still a
    // duplicate of the claimed meal.
    let too_soon = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 3, 0));
    w.sales
        .push(received(too_soon.clone(), at(d(2026, 4, 3), 0, 59)));
    // The resale, received exactly as the void arrived: claimable.
    let resale = meal(3, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 10));
    w.sales.push(received(resale.clone(), void_arrives));
    let april = w.claim(CANTEEN, month(2026, 4));
    let lines: Vec<_> = april
        .lines
        .iter()
        .map(|l| (l.sale_id, l.kind, l.meals, l.subsidy))
        .collect();
    assert_eq!(
        lines,
        vec![
            (claimed.id, LineKind::LateVoid, -1, Money::from_fen(-600)),
            (resale.id, LineKind::LateSale, 1, Money::from_fen(600)),
        ]
    );
    assert_eq!(april.adjustments.meals, 0);
    assert_eq!(april.flagged.len(), 1);
    assert_eq!(april.flagged[0].sale_id, too_soon.id);
    assert!(april.flagged[0].late);
    assert_eq!(
        april.flagged[0].flag,
        Flag::SecondSubsidisedMeal {
            claimed_sale: claimed.id
        }
    );
    // March's frozen claim is untouched.
    assert_eq!(w.claim(CANTEEN, march()).lines.len(), 1);
}

#[test]
fn a_late_sale_received_before_the_late_void_stays_a_duplicate_once_its_month_closes() {
    let (mut w, claimed) = march_closed_with_a_claimed_lunch();
    let day = d(2026, 3, 30);
    // The late sale arrives on 3 April, the void of the claimed sale on
    // 10 April, and April closes on 2 May: still a duplicate.
    let late = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 30));
    w.sales
        .push(received(late.clone(), at(d(2026, 4, 3), 0, 0)));
    w.voids.push(received(
        void(9, &claimed, at(day, 5, 0)),
        at(d(2026, 4, 10), 0, 0),
    ));
    w.closes
        .push(close(CANTEEN, month(2026, 4), at(d(2026, 5, 2), 0, 0)));
    let april = w.claim(CANTEEN, month(2026, 4));
    assert_eq!(
        april
            .lines
            .iter()
            .map(|l| (l.sale_id, l.kind))
            .collect::<Vec<_>>(),
        vec![(claimed.id, LineKind::LateVoid)]
    );
    assert_eq!(
        april
            .flagged
            .iter()
            .map(|f| (f.sale_id, f.flag.clone()))
            .collect::<Vec<_>>(),
        vec![(
            late.id,
            Flag::SecondSubsidisedMeal {
                claimed_sale: claimed.id
            }
        )]
    );
}

#[test]
fn after_a_late_void_the_first_sold_of_the_late_sales_received_after_it_is_claimed() {
    let (mut w, claimed) = march_closed_with_a_claimed_lunch();
    let day = d(2026, 3, 30);
    w.voids.push(received(
        void(9, &claimed, at(day, 5, 0)),
        at(d(2026, 4, 3), 0, 0),
    ));
    let later_sold = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 6, 0));
    let first_sold = meal(3, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 5, 30));
    w.sales
        .push(received(later_sold.clone(), at(d(2026, 4, 4), 0, 0)));
    w.sales
        .push(received(first_sold.clone(), at(d(2026, 4, 5), 0, 0)));
    let april = w.claim(CANTEEN, month(2026, 4));
    assert_eq!(
        april
            .lines
            .iter()
            .map(|l| (l.sale_id, l.kind))
            .collect::<Vec<_>>(),
        vec![
            (claimed.id, LineKind::LateVoid),
            (first_sold.id, LineKind::LateSale)
        ]
    );
    assert_eq!(
        april
            .flagged
            .iter()
            .map(|f| (f.sale_id, f.flag.clone()))
            .collect::<Vec<_>>(),
        vec![(
            later_sold.id,
            Flag::SecondSubsidisedMeal {
                claimed_sale: first_sold.id
            }
        )]
    );
}

#[test]
fn a_sale_received_twice_counts_from_its_first_receipt() {
    // The terminal retried: one copy arrived before March closed, one after.
    // The first receipt decides: a regular March meal, in either order.
    let day = d(2026, 3, 30);
    let sale = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    let closed_at = at(d(2026, 4, 2), 2, 0);
    for early_first in [true, false] {
        let mut w = World::new();
        w.closes.push(close(CANTEEN, march(), closed_at));
        let early = received(sale.clone(), at(day, 4, 1));
        let late = received(sale.clone(), at(d(2026, 4, 5), 0, 0));
        w.sales = if early_first {
            vec![early, late]
        } else {
            vec![late, early]
        };
        let march_claim = w.claim(CANTEEN, march());
        assert_eq!(march_claim.lines.len(), 1, "early first: {early_first}");
        assert_eq!(march_claim.lines[0].kind, LineKind::Regular);
        assert_eq!(w.claim(CANTEEN, month(2026, 4)).lines, vec![]);
    }
}

#[test]
fn a_sale_or_void_received_exactly_at_the_close_is_late() {
    let day = d(2026, 3, 30);
    let closed_at = at(d(2026, 4, 2), 2, 0);
    let mut w = World::new();
    w.closes.push(close(CANTEEN, march(), closed_at));
    let voided = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    let at_close = meal(2, CANTEEN, 2, day, Slot::Lunch, 1200, 400, at(day, 4, 0));
    let just_before = meal(3, CANTEEN, 3, day, Slot::Lunch, 1200, 200, at(day, 4, 0));
    w.sell(voided.clone());
    w.sales.push(received(at_close.clone(), closed_at));
    w.sales.push(received(
        just_before.clone(),
        closed_at - chrono::Duration::seconds(1),
    ));
    w.voids
        .push(received(void(9, &voided, at(day, 5, 0)), closed_at));
    let march_claim = w.claim(CANTEEN, march());
    let ids = |c: &canteen_core::Claim| {
        c.lines
            .iter()
            .map(|l| (l.sale_id, l.kind))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&march_claim),
        vec![
            (voided.id, LineKind::Regular),
            (just_before.id, LineKind::Regular)
        ]
    );
    assert_eq!(
        ids(&w.claim(CANTEEN, month(2026, 4))),
        vec![
            (voided.id, LineKind::LateVoid),
            (at_close.id, LineKind::LateSale)
        ]
    );
}

#[test]
fn a_repeat_received_exactly_at_the_close_does_not_take_the_slot_from_the_month() {
    // Diner 1's lunch sold at 12:00 reached the backend in March; a repeat
    // sold at 11:00 arrived exactly as March closed: late, so it cannot win
    // March's contest. March claims the 12:00 lunch, April flags the repeat.
    let day = d(2026, 3, 30);
    let closed_at = at(d(2026, 4, 2), 2, 0);
    let mut w = World::new();
    w.closes.push(close(CANTEEN, march(), closed_at));
    let noon = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    let eleven = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 3, 0));
    w.sell(noon.clone());
    w.sales.push(received(eleven.clone(), closed_at));
    assert_eq!(
        w.claim(CANTEEN, march())
            .lines
            .iter()
            .map(|l| l.sale_id)
            .collect::<Vec<_>>(),
        vec![noon.id]
    );
    let april = w.claim(CANTEEN, month(2026, 4));
    assert_eq!(april.lines, vec![]);
    assert_eq!(
        april
            .flagged
            .iter()
            .map(|f| (f.sale_id, f.flag.clone()))
            .collect::<Vec<_>>(),
        vec![(
            eleven.id,
            Flag::SecondSubsidisedMeal {
                claimed_sale: noon.id
            }
        )]
    );
}

#[test]
fn a_meal_voided_exactly_at_the_close_still_wins_its_month() {
    // The 11:00 lunch's void arrived exactly as March closed: late, so the
    // 11:00 lunch is March's claimed meal (the 12:00 one a duplicate), and
    // April takes it back as a late void.
    let day = d(2026, 3, 30);
    let closed_at = at(d(2026, 4, 2), 2, 0);
    let mut w = World::new();
    w.closes.push(close(CANTEEN, march(), closed_at));
    let eleven = meal(1, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 3, 0));
    let noon = meal(2, CANTEEN, 1, day, Slot::Lunch, 1200, 600, at(day, 4, 0));
    w.sell(eleven.clone());
    w.sell(noon.clone());
    w.voids
        .push(received(void(9, &eleven, at(day, 5, 0)), closed_at));
    let march_claim = w.claim(CANTEEN, march());
    assert_eq!(
        march_claim
            .lines
            .iter()
            .map(|l| l.sale_id)
            .collect::<Vec<_>>(),
        vec![eleven.id]
    );
    assert_eq!(
        march_claim
            .flagged
            .iter()
            .map(|f| (f.sale_id, f.flag.clone()))
            .collect::<Vec<_>>(),
        vec![(
            noon.id,
            Flag::SecondSubsidisedMeal {
                claimed_sale: eleven.id
            }
        )]
    );
    let april = w.claim(CANTEEN, month(2026, 4));
    assert_eq!(
        april
            .lines
            .iter()
            .map(|l| (l.sale_id, l.kind))
            .collect::<Vec<_>>(),
        vec![(eleven.id, LineKind::LateVoid)]
    );
}
