//! Properties that hold for every input.

use std::collections::HashMap;

use canteen_core::claim::LineKind;
use canteen_core::{
    CategoryCode, ClaimInput, Customer, Diner, DinerId, Money, Payment, Received, Sale, SaleLine,
    ShiftTally, SiteId, Slot, Void, quote, reconcile,
};
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use crate::fixtures::*;

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![Just(Slot::Breakfast), Just(Slot::Lunch), Just(Slot::Dinner)]
}

fn birth() -> impl Strategy<Value = NaiveDate> {
    (0i64..40_000).prop_map(|days| d(1915, 1, 1) + Duration::days(days))
}

fn roster() -> impl Strategy<Value = Vec<Diner>> {
    proptest::collection::vec((birth(), any::<bool>(), any::<bool>()), 6).prop_map(|people| {
        people
            .into_iter()
            .enumerate()
            .map(|(i, (born, tekun, gone))| {
                let mut diner = diner(i as i64 + 1, born);
                if tekun {
                    diner = with_category(diner, "tekun", d(2026, 3, 10));
                }
                if gone {
                    diner.inactive_since = Some(d(2026, 3, 20));
                }
                diner
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn money_round_trips_through_fen_and_text(fen in -1_000_000_000_000i64..1_000_000_000_000) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(m.fen(), fen);
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        prop_assert_eq!(Money::parse(&format!(" {m} ")), Ok(m));
    }

    #[test]
    fn a_quote_ties_out_and_never_charges_above_standard(
        people in roster(),
        day in 0i64..120,
        slot in slot(),
        already in any::<bool>(),
        who in 0usize..7,
    ) {
        let book = standard_book();
        let date = d(2026, 1, 1) + Duration::days(day);
        let customer = people.get(who).map_or(Customer::WalkIn, Customer::Diner);
        let q = quote(&book, CANTEEN, customer, date, slot, already).unwrap();
        prop_assert_eq!(q.paid + q.subsidy, q.standard);
        prop_assert!(Money::ZERO <= q.paid && q.paid <= q.standard);
        prop_assert!(!q.subsidy.is_negative());
        if already {
            prop_assert_eq!(q.subsidy, Money::ZERO);
        }
    }
}

/// A random township: sales at two sites, some voided, March closed at some
/// point, records arriving late.
#[derive(Debug, Clone)]
struct Township {
    roster: Vec<Diner>,
    sales: Vec<Received<Sale>>,
    voids: Vec<Received<Void>>,
    march_closed_after_hours: Option<i64>,
}

fn township() -> impl Strategy<Value = Township> {
    let sale = (
        1i64..=6, // diner
        0i64..40, // day from 1 March
        slot(),
        any::<bool>(),                       // canteen or commune
        0u32..600,                           // minute of sale
        0i64..24 * 20,                       // hours until received
        any::<bool>(),                       // priced right or with a wrong price
        proptest::option::of(0i64..24 * 20), // hours until voided
    );
    (
        roster(),
        proptest::collection::vec(sale, 0..40),
        proptest::option::of(24 * 30i64..24 * 45),
    )
        .prop_map(|(roster, raw, close)| {
            let book = standard_book();
            let mut sales = Vec::new();
            let mut voids = Vec::new();
            for (n, (diner, day, slot, canteen, minute, delay, right, void_delay)) in
                raw.into_iter().enumerate()
            {
                let date = d(2026, 3, 1) + Duration::days(day);
                let site = if canteen { CANTEEN } else { COMMUNE };
                let who = &roster[(diner - 1) as usize];
                let q = quote(&book, site, Customer::Diner(who), date, slot, false).unwrap();
                let paid = if right || q.subsidy == Money::ZERO {
                    q.paid
                } else {
                    q.paid + Money::from_fen(1)
                };
                let sold_at = at(date, 0, 0) + Duration::minutes(i64::from(minute));
                let sale = meal(
                    n as u128 + 1,
                    site,
                    diner,
                    date,
                    slot,
                    q.standard.fen(),
                    paid.fen(),
                    sold_at,
                );
                let received_at = sold_at + Duration::hours(delay);
                if let Some(v) = void_delay {
                    let when = sold_at + Duration::hours(v);
                    voids.push(received(
                        void(n as u128 + 1, &sale, when),
                        when.max(received_at),
                    ));
                }
                sales.push(received(sale, received_at));
            }
            Township {
                roster,
                sales,
                voids,
                march_closed_after_hours: close,
            }
        })
}

fn claims(
    t: &Township,
    sales: &[Received<Sale>],
    voids: &[Received<Void>],
) -> Vec<canteen_core::Claim> {
    let book = standard_book();
    let closes: Vec<_> = t
        .march_closed_after_hours
        .map(|h| {
            close(
                CANTEEN,
                month(2026, 3),
                at(d(2026, 3, 1), 0, 0) + Duration::hours(h),
            )
        })
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for site in [CANTEEN, COMMUNE] {
        for m in [month(2026, 3), month(2026, 4), month(2026, 5)] {
            out.push(reconcile(&ClaimInput {
                site_id: site,
                month: m,
                sales,
                voids,
                free_meals: &[],
                roster: &t.roster,
                policies: &book,
                closes: &closes,
            }));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn at_most_one_subsidised_meal_per_diner_slot_and_day_is_claimed(t in township()) {
        let mut claimed: HashMap<(canteen_core::DinerId, NaiveDate, Slot, SiteId), i64> = HashMap::new();
        let mut per_key: HashMap<_, i64> = HashMap::new();
        for claim in claims(&t, &t.sales, &t.voids) {
            prop_assert!(claim.total.ties_out());
            prop_assert_eq!(
                claim.by_funder.values().copied().sum::<Money>(),
                claim.total.subsidy
            );
            for line in &claim.lines {
                prop_assert_eq!(line.paid + line.subsidy, line.standard);
                if line.kind != LineKind::LateVoid {
                    *per_key.entry((line.diner_id, line.business_date, line.slot)).or_default() += 1;
                }
                *claimed.entry((line.diner_id, line.business_date, line.slot, claim.site_id)).or_default() += line.meals;
            }
        }
        for (key, n) in per_key {
            prop_assert!(n <= 1, "{key:?} claimed {n} times");
        }
        for (key, n) in claimed {
            prop_assert!((0..=1).contains(&n), "{key:?} nets {n} meals");
        }
    }

    #[test]
    fn the_claim_does_not_depend_on_input_order_or_duplicates(
        t in township(),
        seed in any::<u64>(),
    ) {
        let expected = claims(&t, &t.sales, &t.voids);
        let mut sales = t.sales.clone();
        let mut voids = t.voids.clone();
        // A deterministic shuffle from the seed, then every third record twice.
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        for i in (1..sales.len()).rev() { sales.swap(i, (next() % (i as u64 + 1)) as usize); }
        for i in (1..voids.len()).rev() { voids.swap(i, (next() % (i as u64 + 1)) as usize); }
        let extra: Vec<_> = sales.iter().step_by(3).cloned().collect();
        sales.extend(extra);
        let extra: Vec<_> = voids.iter().step_by(3).cloned().collect();
        voids.extend(extra);
        prop_assert_eq!(claims(&t, &sales, &voids), expected);
    }
}

/// One line of a shift's sale: a diner meal (standard, paid, bracket,
/// category), a walk-in meal or an extra.
fn shift_line() -> impl Strategy<Value = SaleLine> {
    let bracket = proptest::option::of(prop_oneof![
        Just("65-69"),
        Just("70-79"),
        Just("80-89"),
        Just("90+")
    ]);
    let category = proptest::option::of(prop_oneof![Just("tekun"), Just("dibao")]);
    prop_oneof![
        (1i64..2000, 0u32..=100, bracket, category).prop_map(|(standard, share, b, c)| {
            // paid is a share of the standard: 0 % is a free meal, 100 % no subsidy.
            let paid = standard * i64::from(share) / 100;
            SaleLine::DinerMeal {
                diner_id: DinerId(1),
                standard: Money::from_fen(standard),
                paid: Money::from_fen(paid),
                subsidy: Money::from_fen(standard - paid),
                bracket: b.map(String::from),
                category: c.map(|c| CategoryCode(c.into())),
            }
        }),
        (0i64..2000).prop_map(|p| SaleLine::WalkInMeal {
            price: Money::from_fen(p)
        }),
        (0i64..500, 1u32..4).prop_map(|(p, q)| SaleLine::Extra {
            name: "鸡蛋".into(),
            unit_price: Money::from_fen(p),
            quantity: q,
        }),
    ]
}

/// A shift: sales paid in cash (with change) or by QR, some voided, some
/// listed twice, and voids of sales from elsewhere.
fn shift() -> impl Strategy<Value = (Money, Vec<Sale>, Vec<Void>)> {
    let sale = (
        proptest::collection::vec(shift_line(), 1..5),
        proptest::option::of(0i64..5000), // cash: the change given; None: QR
        any::<bool>(),                    // voided
        any::<bool>(),                    // listed twice
    );
    (
        0i64..50_000,
        proptest::collection::vec(sale, 0..30),
        0u128..3, // voids of sales not in the shift
    )
        .prop_map(|(float, raw, strays)| {
            let day = d(2026, 3, 2);
            let mut sales = Vec::new();
            let mut voids = Vec::new();
            for (n, (lines, change, voided, twice)) in raw.into_iter().enumerate() {
                let mut sale = meal(
                    n as u128 + 1,
                    CANTEEN,
                    1,
                    day,
                    Slot::Lunch,
                    0,
                    0,
                    at(day, 4, 0),
                );
                sale.lines = lines;
                if let Some(change) = change {
                    let total = sale.total_paid().unwrap();
                    sale.payment = Payment::Cash {
                        tendered: total + Money::from_fen(change),
                        change: Money::from_fen(change),
                    };
                }
                if voided {
                    voids.push(void(n as u128 + 1, &sale, at(day, 5, 0)));
                }
                if twice {
                    sales.push(sale.clone());
                }
                sales.push(sale);
            }
            for k in 0..strays {
                let elsewhere = meal(1_000 + k, CANTEEN, 1, day, Slot::Lunch, 0, 0, at(day, 4, 0));
                voids.push(void(1_000 + k, &elsewhere, at(day, 5, 0)));
            }
            (Money::from_fen(float), sales, voids)
        })
}

proptest! {
    #[test]
    fn the_shift_ties_out(
        (float, sales, voids) in shift(),
        counted in 0i64..100_000,
    ) {
        for s in &sales {
            prop_assert_eq!(s.validate(), Ok(()));
        }
        let t = ShiftTally::of(float, &sales, &voids);

        // Worked out independently: each distinct sale once, voided ones out.
        let voided: std::collections::HashSet<_> = voids.iter().map(|v| v.sale_id).collect();
        let mut distinct = std::collections::HashSet::new();
        let kept: Vec<&Sale> = sales
            .iter()
            .filter(|s| distinct.insert(s.id))
            .filter(|s| !voided.contains(&s.id))
            .collect();
        let cash: Money = kept.iter().map(|s| s.cash_taken()).sum();
        prop_assert_eq!(t.expected_cash, float + cash);
        prop_assert_eq!(t.cash_sales, cash);
        prop_assert_eq!(t.sales_count as usize, kept.len());
        prop_assert_eq!((t.sales_count + t.voids_count) as usize, distinct.len());
        prop_assert_eq!(t.difference(Money::from_fen(counted)) + t.expected_cash, Money::from_fen(counted));

        // Cash and QR together are everything the kept sales took.
        let paid: Money = kept.iter().map(|s| s.total_paid().unwrap()).sum();
        prop_assert_eq!(t.cash_sales + t.qr_sales, paid);

        // The subsidised meals by bracket or category add up to the totals,
        // and the totals are the kept diner meals with a subsidy.
        let subsidised: Vec<Money> = kept
            .iter()
            .flat_map(|s| s.lines.iter())
            .filter_map(|l| match l {
                SaleLine::DinerMeal { subsidy, .. } if *subsidy > Money::ZERO => Some(*subsidy),
                _ => None,
            })
            .collect();
        prop_assert_eq!(t.subsidised_meals as usize, subsidised.len());
        prop_assert_eq!(t.subsidy_total, subsidised.iter().copied().sum::<Money>());
        prop_assert_eq!(t.subsidised.iter().map(|g| g.meals).sum::<u32>(), t.subsidised_meals);
        prop_assert_eq!(t.subsidised.iter().map(|g| g.subsidy).sum::<Money>(), t.subsidy_total);
        prop_assert!(t.subsidised.iter().all(|g| g.meals > 0));
        prop_assert!(t.subsidised.windows(2).all(|w| w[0].basis < w[1].basis), "one group per basis, in order");
    }
}
