//! Properties that hold for every input.

use std::collections::HashMap;

use canteen_core::claim::LineKind;
use canteen_core::{
    ClaimInput, Customer, Diner, Money, Received, Sale, SiteId, Slot, Void, quote, reconcile,
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
        prop_assert_eq!(Money::parse(&m.with_yuan_sign().replace("-￥", "-")), Ok(m));
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
