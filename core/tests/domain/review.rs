//! Finance staff's decisions applied to a claim with `canteen_core::review`.

use canteen_core::claim::LineKind;
use canteen_core::review::flag_kind;
use canteen_core::{
    ClaimInput, ClaimTotals, Decision, Money, SaleLine, Slot, Verdict, reconcile, review,
};

use crate::fixtures::*;

fn decision(
    flag: &canteen_core::ReviewedFlag,
    kind: &str,
    verdict: Verdict,
    minute: u32,
) -> Decision {
    Decision {
        sale_id: flag.line.sale_id,
        line_index: flag.line.line_index,
        flag_kind: kind.into(),
        verdict,
        comment: "核实".into(),
        decided_by: "finance".into(),
        decided_at: at(d(2026, 4, 1), 9, minute),
    }
}

/// A 76-year-old's two lunches on 2 March (6.00 paid of 12.00 each): the
/// second is flagged. Accepting it claims both (12.00 subsidy); a decision
/// on another kind of flag does not count; the latest decision wins.
#[test]
fn decisions_move_flagged_lines_into_the_claim() {
    let day = d(2026, 3, 2);
    // The terminal named the bracket on the second lunch only.
    let mut second = meal(2, CANTEEN, 7, day, Slot::Lunch, 1200, 600, at(day, 4, 5));
    if let SaleLine::DinerMeal { bracket, .. } = &mut second.lines[0] {
        *bracket = Some("70-79".into());
    }
    let sales = vec![
        received(
            meal(1, CANTEEN, 7, day, Slot::Lunch, 1200, 600, at(day, 4, 0)),
            at(day, 5, 0),
        ),
        received(second.clone(), at(day, 5, 0)),
    ];
    let roster = vec![diner(7, d(1950, 1, 10))];
    let book = standard_book();
    let input = ClaimInput {
        site_id: CANTEEN,
        month: month(2026, 3),
        sales: &sales,
        voids: &[],
        free_meals: &[],
        roster: &roster,
        policies: &book,
        closes: &[],
    };
    let claim = reconcile(&input);
    let none = review(&input, claim.clone(), &[]);
    assert_eq!(none.claim.total.meals, 1);
    assert_eq!(none.undecided(), 1);
    let flag = none.flags[0].clone();
    assert_eq!(flag_kind(&flag.line.flag), "second_subsidised_meal");

    let accept = decision(&flag, "second_subsidised_meal", Verdict::Accept, 0);
    let accepted = review(&input, claim.clone(), std::slice::from_ref(&accept));
    assert_eq!(accepted.undecided(), 0);
    assert_eq!(accepted.claim.total.meals, 2);
    assert_eq!(accepted.claim.total.subsidy, Money::from_fen(1200));
    assert_eq!(accepted.claim.total.paid, Money::from_fen(1200));
    assert!(accepted.claim.total.ties_out());
    assert_eq!(accepted.accepted.meals, 1);
    assert_eq!(accepted.claim.by_slot[&Slot::Lunch].meals, 2);
    assert_eq!(
        accepted.claim.by_funder.values().copied().sum::<Money>(),
        Money::from_fen(1200)
    );
    assert!(accepted.claim.flagged.is_empty());
    assert!(
        accepted
            .claim
            .lines
            .iter()
            .all(|l| l.kind == LineKind::Regular)
    );
    assert_eq!(accepted.meals_by_day()[&day], 2);
    // The accepted line is claimed as the terminal charged it: its sale's
    // time and the bracket the line named.
    let line = accepted
        .claim
        .lines
        .iter()
        .find(|l| l.sale_id == second.id)
        .unwrap();
    assert_eq!(line.sold_at, at(day, 4, 5));
    assert_eq!(line.bracket.as_deref(), Some("70-79"));

    let wrong_kind = decision(&flag, "price_differs", Verdict::Accept, 0);
    let unmoved = review(&input, claim.clone(), &[wrong_kind]);
    assert_eq!((unmoved.undecided(), unmoved.claim.total.meals), (1, 1));

    let reject_later = decision(&flag, "second_subsidised_meal", Verdict::Reject, 5);
    let rejected = review(
        &input,
        claim.clone(),
        &[reject_later.clone(), accept.clone()],
    );
    assert_eq!((rejected.undecided(), rejected.claim.total.meals), (0, 1));
    assert_eq!(rejected.flags[0].decision.as_ref(), Some(&reject_later));
    assert_eq!(rejected.claim.flagged.len(), 1);
    // Listed the other way round, the later decision still wins.
    let rejected_too = review(
        &input,
        claim.clone(),
        &[accept.clone(), reject_later.clone()],
    );
    assert_eq!(rejected_too.flags[0].decision.as_ref(), Some(&reject_later));

    // Two decisions at the same moment with the same comment: the one listed
    // last counts (the backend lists decisions in the order it recorded them).
    let reject_now = decision(&flag, "second_subsidised_meal", Verdict::Reject, 0);
    for (listed, last) in [
        ([accept.clone(), reject_now.clone()], &reject_now),
        ([reject_now.clone(), accept.clone()], &accept),
    ] {
        let reviewed = review(&input, claim.clone(), &listed);
        assert_eq!(reviewed.flags[0].decision.as_ref(), Some(last));
    }

    let totals = ClaimTotals::of([&accepted.claim, &none.claim]);
    assert_eq!(totals.total.meals, 3);
    assert_eq!(totals.total.subsidy, Money::from_fen(1800));
    assert_eq!(totals.by_slot[&Slot::Lunch].meals, 3);
}
