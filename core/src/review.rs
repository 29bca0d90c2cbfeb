//! Finance staff's review of a claim: each flagged line accepted into the
//! claim or rejected, with a comment, and the township's claim as the sum of
//! its sites'.
//!
//! [`review`] is the one place decisions change a claim: an accepted line is
//! claimed as the terminal charged it (a late line as a late sale), and the
//! totals are made again by the same code [`reconcile`](crate::reconcile)
//! uses. A decision holds for the flag it was made on: when a line comes to
//! be flagged for another reason, it waits for a new decision.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::claim::{Claim, ClaimInput, ClaimLine, Closes, Flag, FlaggedLine, LineKind, Tally};
use crate::diner::CategoryCode;
use crate::ids::SaleId;
use crate::money::Money;
use crate::policy::Slot;
use crate::sale::SaleLine;

/// Accept a flagged line into the claim, or keep it out.
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Claim it as the terminal charged it.
    Accept,
    /// Keep it out of the claim.
    Reject,
}

/// A decision on one flagged line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The sale.
    pub sale_id: SaleId,
    /// 0-based index of the line in the sale.
    pub line_index: usize,
    /// The kind of flag decided on ([`flag_kind`]).
    pub flag_kind: String,
    /// Accept or reject.
    pub verdict: Verdict,
    /// Why, in the reviewer's words.
    pub comment: String,
    /// Who decided (login name).
    pub decided_by: String,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// A flagged line and the decision on it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewedFlag {
    /// The line and why it was flagged.
    pub line: FlaggedLine,
    /// The latest decision on this flag.
    pub decision: Option<Decision>,
}

/// A claim with finance staff's decisions applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewedClaim {
    /// The claim: lines and totals include the accepted lines; `flagged`
    /// holds the lines neither claimed nor accepted.
    pub claim: Claim,
    /// Every flagged line, with its decision.
    pub flags: Vec<ReviewedFlag>,
    /// The accepted lines' share of the totals.
    pub accepted: Tally,
}

impl ReviewedClaim {
    /// Flags still waiting for a decision.
    pub fn undecided(&self) -> usize {
        self.flags.iter().filter(|f| f.decision.is_none()).count()
    }

    /// Subsidised meals per business date: this month's own meals (regular
    /// and accepted), late adjustments left out.
    pub fn meals_by_day(&self) -> BTreeMap<NaiveDate, i64> {
        let mut days = BTreeMap::new();
        for l in &self.claim.lines {
            if l.kind == LineKind::Regular {
                *days.entry(l.business_date).or_insert(0) += l.meals;
            }
        }
        days
    }
}

/// A stable name for the kind of a flag, e.g. `second_subsidised_meal`.
pub fn flag_kind(flag: &Flag) -> &'static str {
    match flag {
        Flag::SecondSubsidisedMeal { .. } => "second_subsidised_meal",
        Flag::AteFreeMeal { .. } => "ate_free_meal",
        Flag::UnknownDiner => "unknown_diner",
        Flag::NotEligible { .. } => "not_eligible",
        Flag::NoPolicy { .. } => "no_policy",
        Flag::PriceDiffers { .. } => "price_differs",
        Flag::ExceedsRoster { .. } => "exceeds_roster",
    }
}

/// Applies `decisions` to `claim`, the result of `reconcile(input)`.
///
/// For each flagged line the latest decision made on its kind of flag
/// counts: by `decided_at`, then `comment`; of decisions equal in both, the
/// one listed last (the backend lists them in the order it recorded them).
/// Accepted lines join the claim with the amounts the terminal charged; the
/// totals are made again from all claimed lines.
pub fn review(input: &ClaimInput<'_>, claim: Claim, decisions: &[Decision]) -> ReviewedClaim {
    let mut latest: BTreeMap<(SaleId, usize, &str), &Decision> = BTreeMap::new();
    for d in decisions {
        let key = (d.sale_id, d.line_index, d.flag_kind.as_str());
        match latest.get(&key) {
            Some(prev) if (prev.decided_at, &prev.comment) > (d.decided_at, &d.comment) => {}
            _ => {
                latest.insert(key, d);
            }
        }
    }
    let Claim { lines, flagged, .. } = claim;
    let mut lines = lines;
    let mut kept = Vec::new();
    let mut flags = Vec::with_capacity(flagged.len());
    let mut accepted = Tally::default();
    for f in flagged {
        let decision = latest
            .get(&(f.sale_id, f.line_index, flag_kind(&f.flag)))
            .map(|d| (*d).clone());
        if decision
            .as_ref()
            .is_some_and(|d| d.verdict == Verdict::Accept)
        {
            let line = accepted_line(input, &f);
            accepted.meals += line.meals;
            accepted.standard += line.standard;
            accepted.paid += line.paid;
            accepted.subsidy += line.subsidy;
            lines.push(line);
        } else {
            kept.push(f.clone());
        }
        flags.push(ReviewedFlag { line: f, decision });
    }
    lines.sort_by_key(|l| (l.business_date, l.slot, l.sale_id, l.line_index, l.kind));
    let closes = Closes::new(input.closes);
    let claim = crate::claim::totals(input, &closes, lines, kept);
    ReviewedClaim {
        claim,
        flags,
        accepted,
    }
}

/// The claim line of an accepted flagged line: what the terminal charged,
/// with the bracket or category it named.
fn accepted_line(input: &ClaimInput<'_>, f: &FlaggedLine) -> ClaimLine {
    let sale = input
        .sales
        .iter()
        .map(|r| &r.record)
        .find(|s| s.id == f.sale_id);
    let (bracket, category) = match sale.and_then(|s| s.lines.get(f.line_index)) {
        Some(SaleLine::DinerMeal {
            bracket, category, ..
        }) => (bracket.clone(), category.clone()),
        _ => (None, None),
    };
    ClaimLine {
        sale_id: f.sale_id,
        line_index: f.line_index,
        diner_id: f.diner_id,
        business_date: f.business_date,
        slot: f.slot,
        sold_at: sale.map_or(DateTime::<Utc>::MIN_UTC, |s| s.sold_at),
        kind: if f.late {
            LineKind::LateSale
        } else {
            LineKind::Regular
        },
        meals: 1,
        standard: f.standard,
        paid: f.paid,
        subsidy: f.subsidy,
        bracket,
        category,
    }
}

/// The totals of several sites' claims: a township's claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimTotals {
    /// Everything claimed.
    pub total: Tally,
    /// Meals of the month received before it closed.
    pub regular: Tally,
    /// Late sales and late voids of earlier months.
    pub adjustments: Tally,
    /// By slot.
    pub by_slot: BTreeMap<Slot, Tally>,
    /// By bracket.
    pub by_bracket: BTreeMap<String, Tally>,
    /// By category.
    pub by_category: BTreeMap<CategoryCode, Tally>,
    /// Subsidy by funder.
    pub by_funder: BTreeMap<String, Money>,
}

fn add(into: &mut Tally, t: &Tally) {
    into.meals += t.meals;
    into.standard += t.standard;
    into.paid += t.paid;
    into.subsidy += t.subsidy;
}

impl ClaimTotals {
    /// The sum of `claims`.
    pub fn of<'a>(claims: impl IntoIterator<Item = &'a Claim>) -> ClaimTotals {
        let mut out = ClaimTotals::default();
        for c in claims {
            add(&mut out.total, &c.total);
            add(&mut out.regular, &c.regular);
            add(&mut out.adjustments, &c.adjustments);
            for (k, t) in &c.by_slot {
                add(out.by_slot.entry(*k).or_default(), t);
            }
            for (k, t) in &c.by_bracket {
                add(out.by_bracket.entry(k.clone()).or_default(), t);
            }
            for (k, t) in &c.by_category {
                add(out.by_category.entry(k.clone()).or_default(), t);
            }
            for (k, m) in &c.by_funder {
                *out.by_funder.entry(k.clone()).or_default() += *m;
            }
        }
        out
    }
}
