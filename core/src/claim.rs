//! Reconciliation: the monthly subsidy claim of a site.
//!
//! The rules (SPEC.md, "Reconciliation and the monthly claim"):
//! - each subsidised meal line of a sale that is not voided is claimed once,
//!   and totalled by slot, bracket, category and funder;
//! - lines that cannot be claimed as they stand are flagged, kept out of the
//!   totals and listed with a reason;
//! - a sale or void received after its month was closed is claimed as a late
//!   adjustment in the next month that was still open when it arrived.
//!
//! How a second subsidised meal in one slot and day is decided: each line is
//! decided when the month it is claimed in closes (or now, for an open
//! month). At that moment it is claimed if no line for the same diner, slot
//! and day holds the slot from an earlier closed month, and it is the first
//! sold ([`crate::first_meal`]) among the lines received by then. So a closed
//! claim never changes, and across all lines at most one is claimed at a
//! time. A late void of the line that holds the slot frees it: lines received
//! from the void on compete for it again (and the first sold among them is
//! claimed as a late adjustment), lines received before it stay duplicates.
//!
//! The roster check runs last, on the meals claimed after every other check.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::diner::{CategoryCode, Diner};
use crate::first_meal::{MealOrder, first_sold};
use crate::ids::{DinerId, FreeMealId, SaleId, SiteId};
use crate::money::Money;
use crate::month::YearMonth;
use crate::policy::{PolicyBook, Slot};
use crate::pricing::{Customer, Priced, price};
pub use crate::sale::Received;
use crate::sale::{FreeMealDay, Sale, SaleLine, Void};

/// A month closed at a site, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthClose {
    /// The site.
    pub site_id: SiteId,
    /// The month closed.
    pub month: YearMonth,
    /// When it was closed; anything received from then on is late.
    pub closed_at: DateTime<Utc>,
}

/// Everything the claim of one site and month is computed from.
///
/// `sales`, `voids` and `free_meals` are those of every site of the township:
/// the one-subsidised-meal rule and the free-meal check run across sites.
#[derive(Debug, Clone, Copy)]
pub struct ClaimInput<'a> {
    /// The site claiming.
    pub site_id: SiteId,
    /// The month claimed.
    pub month: YearMonth,
    /// Sales of all sites of the township, as received.
    pub sales: &'a [Received<Sale>],
    /// Voids of all sites of the township, as received.
    pub voids: &'a [Received<Void>],
    /// Free meals served at all sites of the township.
    pub free_meals: &'a [FreeMealDay],
    /// The township's diner roster.
    pub roster: &'a [Diner],
    /// Price policies of every site.
    pub policies: &'a PolicyBook,
    /// Months closed so far, at every site.
    pub closes: &'a [MonthClose],
}

/// How a claimed line came into this month's claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A meal of this month, received before the month closed.
    Regular,
    /// A meal of a closed month, received after it closed.
    LateSale,
    /// The reversal of a meal claimed in a closed month, whose void arrived
    /// after that month closed: meals −1, subsidy −x.
    LateVoid,
}

/// A meal line counted in the claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLine {
    /// The sale.
    pub sale_id: SaleId,
    /// 0-based index of the line in the sale.
    pub line_index: usize,
    /// The diner.
    pub diner_id: DinerId,
    /// The business date of the meal.
    pub business_date: NaiveDate,
    /// The slot.
    pub slot: Slot,
    /// When it was sold, by the terminal's clock.
    pub sold_at: DateTime<Utc>,
    /// How it came into this claim.
    pub kind: LineKind,
    /// +1, or −1 for a late void.
    pub meals: i64,
    /// Standard price (negated for a late void).
    pub standard: Money,
    /// Paid by the diner (negated for a late void).
    pub paid: Money,
    /// Subsidy claimed (negated for a late void).
    pub subsidy: Money,
    /// Bracket that set the price, by the policy.
    pub bracket: Option<String>,
    /// Category that set the price, by the policy.
    pub category: Option<CategoryCode>,
}

/// Why a line is not claimed as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// The diner already has a subsidised meal in this slot and day.
    SecondSubsidisedMeal {
        /// The sale whose line is claimed (or wins) instead.
        claimed_sale: SaleId,
    },
    /// The diner ate a volunteer free meal in the same slot and day.
    AteFreeMeal {
        /// The free-meal record.
        free_meal: FreeMealId,
    },
    /// The diner is not on the roster.
    UnknownDiner,
    /// The diner was not eligible on that date (under age, inactive).
    NotEligible {
        /// Why, in words.
        reason: String,
    },
    /// No policy prices this meal.
    NoPolicy {
        /// Why, in words.
        reason: String,
    },
    /// The terminal charged another price than the policy gives.
    PriceDiffers {
        /// What the diner should have paid.
        expected_paid: Money,
        /// The subsidy the policy gives.
        expected_subsidy: Money,
    },
    /// More subsidised meals in the slot and day than eligible diners.
    ExceedsRoster {
        /// Meals claimed that day and slot.
        meals: usize,
        /// Active eligible diners that day.
        eligible: usize,
    },
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flag::SecondSubsidisedMeal { claimed_sale } => write!(
                f,
                "second subsidised meal in this slot and day (sale {claimed_sale} is claimed)"
            ),
            Flag::AteFreeMeal { .. } => {
                write!(
                    f,
                    "the diner ate a volunteer free meal in this slot and day"
                )
            }
            Flag::UnknownDiner => write!(f, "the diner is not on the roster"),
            Flag::NotEligible { reason } => write!(f, "not eligible: {reason}"),
            Flag::NoPolicy { reason } => write!(f, "cannot be priced: {reason}"),
            Flag::PriceDiffers {
                expected_paid,
                expected_subsidy,
            } => write!(
                f,
                "price differs from the policy (should pay {expected_paid}, subsidy {expected_subsidy})"
            ),
            Flag::ExceedsRoster { meals, eligible } => write!(
                f,
                "{meals} subsidised meals in this slot and day, but only {eligible} eligible diners"
            ),
        }
    }
}

/// A line kept out of the totals, for finance staff to accept or reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlaggedLine {
    /// The sale.
    pub sale_id: SaleId,
    /// 0-based index of the line in the sale.
    pub line_index: usize,
    /// The diner.
    pub diner_id: DinerId,
    /// The business date.
    pub business_date: NaiveDate,
    /// The slot.
    pub slot: Slot,
    /// True when the sale arrived after its month closed.
    pub late: bool,
    /// Standard price charged.
    pub standard: Money,
    /// Paid.
    pub paid: Money,
    /// Subsidy the terminal gave.
    pub subsidy: Money,
    /// Why it is flagged.
    pub flag: Flag,
}

/// Meals and money of a group of claimed lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Meals (late voids count −1).
    pub meals: i64,
    /// Standard prices.
    pub standard: Money,
    /// Paid by diners.
    pub paid: Money,
    /// Subsidy claimed.
    pub subsidy: Money,
}

impl Tally {
    fn add(&mut self, line: &ClaimLine) {
        self.meals += line.meals;
        self.standard += line.standard;
        self.paid += line.paid;
        self.subsidy += line.subsidy;
    }

    /// True when paid + subsidy = standard.
    pub fn ties_out(&self) -> bool {
        self.paid.checked_add(self.subsidy) == Some(self.standard)
    }
}

/// The monthly subsidy claim of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The site.
    pub site_id: SiteId,
    /// The month.
    pub month: YearMonth,
    /// When the month was closed; `None` while open (figures may change).
    pub closed_at: Option<DateTime<Utc>>,
    /// Claimed lines, regular and late, ordered by date, slot, sale, line.
    pub lines: Vec<ClaimLine>,
    /// Flagged lines, in the same order.
    pub flagged: Vec<FlaggedLine>,
    /// Everything claimed.
    pub total: Tally,
    /// Meals of this month received before it closed.
    pub regular: Tally,
    /// Late sales and late voids of earlier months.
    pub adjustments: Tally,
    /// By slot.
    pub by_slot: BTreeMap<Slot, Tally>,
    /// Lines priced by an age bracket, by bracket.
    pub by_bracket: BTreeMap<String, Tally>,
    /// Lines priced by a category, by category.
    pub by_category: BTreeMap<CategoryCode, Tally>,
    /// Subsidy by funder; the key `unsplit` holds subsidy of policies with
    /// no funding split.
    pub by_funder: BTreeMap<String, Money>,
}

/// The funder key for subsidy under a policy with no funding split.
pub const UNSPLIT: &str = "unsplit";

/// Outcome of one subsidised line.
#[derive(Debug, Clone)]
enum Outcome {
    Claimed,
    Flagged(Flag),
    /// Voided before its month was decided: in no claim.
    Cancelled,
}

struct Candidate<'a> {
    sale: &'a Sale,
    index: usize,
    diner_id: DinerId,
    received_at: DateTime<Utc>,
    voided_at: Option<DateTime<Utc>>,
    claim_month: YearMonth,
    /// When the claim month closed; `None` while it is open.
    decided_at: Option<DateTime<Utc>>,
    verdict: Option<Priced<'a>>,
    outcome: Outcome,
}

impl Candidate<'_> {
    /// (standard, paid, subsidy) as the terminal charged them.
    fn amounts(&self) -> (Money, Money, Money) {
        match self.sale.lines.get(self.index) {
            Some(SaleLine::DinerMeal {
                standard,
                paid,
                subsidy,
                ..
            }) => (*standard, *paid, *subsidy),
            _ => (Money::ZERO, Money::ZERO, Money::ZERO),
        }
    }

    fn order(&self) -> MealOrder {
        MealOrder::of(self.sale, self.index)
    }

    fn present_at(&self, t: Option<DateTime<Utc>>) -> bool {
        let before = |at: DateTime<Utc>| t.is_none_or(|t| at < t);
        before(self.received_at) && !self.voided_at.is_some_and(before)
    }
}

pub(crate) struct Closes(HashMap<(SiteId, YearMonth), DateTime<Utc>>);

impl Closes {
    pub(crate) fn new(closes: &[MonthClose]) -> Closes {
        let mut map = HashMap::default();
        for c in closes {
            map.entry((c.site_id, c.month))
                .and_modify(|t: &mut DateTime<Utc>| *t = (*t).min(c.closed_at))
                .or_insert(c.closed_at);
        }
        Closes(map)
    }

    fn closed_at(&self, site: SiteId, month: YearMonth) -> Option<DateTime<Utc>> {
        self.0.get(&(site, month)).copied()
    }

    /// The first month from `month` on still open at `at`.
    fn open_month(&self, site: SiteId, mut month: YearMonth, at: DateTime<Utc>) -> YearMonth {
        while self.closed_at(site, month).is_some_and(|c| c <= at) {
            month = month.next();
        }
        month
    }
}

/// Computes the claim of `input.site_id` for `input.month`.
///
/// Pure and deterministic: the same records in any order, or with a sale or
/// void given twice, give the identical claim.
pub fn reconcile(input: &ClaimInput<'_>) -> Claim {
    let closes = Closes::new(input.closes);
    let sales = unique_sales(input.sales);
    let voided_at = first_voids(input.voids);
    let roster: HashMap<DinerId, &Diner> = input.roster.iter().map(|d| (d.id, d)).collect();
    let mut free_meals: HashMap<(DinerId, NaiveDate, Slot), FreeMealId> = HashMap::default();
    for day in input.free_meals {
        for &diner in &day.diners {
            let entry = free_meals
                .entry((diner, day.date, day.slot))
                .or_insert(day.id);
            *entry = (*entry).min(day.id);
        }
    }

    let mut candidates = Vec::with_capacity(sales.len());
    for received in &sales {
        let sale = &received.record;
        for (index, line) in sale.lines.iter().enumerate() {
            let SaleLine::DinerMeal {
                diner_id, subsidy, ..
            } = line
            else {
                continue;
            };
            if *subsidy <= Money::ZERO {
                continue;
            }
            let home = YearMonth::of(sale.business_date);
            let claim_month = closes.open_month(sale.site_id, home, received.received_at);
            let decided_at = closes.closed_at(sale.site_id, claim_month);
            let voided_at = voided_at.get(&sale.id).copied();
            let cancelled = voided_at.is_some_and(|v| decided_at.is_none_or(|d| v < d));
            let (verdict, flag) = judge(input, &roster, &free_meals, sale, *diner_id);
            let outcome = match (cancelled, flag) {
                (true, _) => Outcome::Cancelled,
                (false, Some(flag)) => Outcome::Flagged(flag),
                // Decided below, among the lines of the same diner, slot and day.
                (false, None) => Outcome::Claimed,
            };
            candidates.push(Candidate {
                sale,
                index,
                diner_id: *diner_id,
                received_at: received.received_at,
                voided_at,
                claim_month,
                decided_at,
                verdict,
                outcome,
            });
        }
    }

    decide_one_per_slot(&mut candidates);
    build_claim(input, &closes, &roster, candidates)
}

/// Keeps one copy of each sale: the first received. The backend stores one
/// content per sale id, so copies received at the same moment are the same
/// sale and either one gives the same claim.
fn unique_sales(sales: &[Received<Sale>]) -> Vec<&Received<Sale>> {
    let mut at: HashMap<SaleId, usize> =
        HashMap::with_capacity_and_hasher(sales.len(), Default::default());
    let mut out: Vec<&Received<Sale>> = Vec::with_capacity(sales.len());
    for s in sales {
        match at.entry(s.record.id) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(s);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let kept = &mut out[*e.get()];
                if s.received_at < kept.received_at {
                    *kept = s;
                }
            }
        }
    }
    // Later steps order everything by content, so input order does not matter.
    out
}

/// When each sale was first voided, as received.
fn first_voids(voids: &[Received<Void>]) -> HashMap<SaleId, DateTime<Utc>> {
    let mut map: HashMap<SaleId, DateTime<Utc>> = HashMap::default();
    for v in voids {
        map.entry(v.record.sale_id)
            .and_modify(|t| *t = (*t).min(v.received_at))
            .or_insert(v.received_at);
    }
    map
}

/// The policy's verdict on a line, and the flag that keeps it out of the
/// one-per-slot contest, if any. A price that differs from the policy does
/// not keep the line out: the diner did eat that meal.
fn judge<'a>(
    input: &ClaimInput<'a>,
    roster: &HashMap<DinerId, &Diner>,
    free_meals: &HashMap<(DinerId, NaiveDate, Slot), FreeMealId>,
    sale: &Sale,
    diner_id: DinerId,
) -> (Option<Priced<'a>>, Option<Flag>) {
    let Some(diner) = roster.get(&diner_id) else {
        return (None, Some(Flag::UnknownDiner));
    };
    let verdict = match price(
        input.policies,
        sale.site_id,
        Customer::Diner(diner),
        sale.business_date,
        sale.slot,
        false,
    ) {
        Ok(q) => q,
        Err(e) => {
            return (
                None,
                Some(Flag::NoPolicy {
                    reason: e.to_string(),
                }),
            );
        }
    };
    let reason = verdict.reason();
    if !reason.is_subsidised() {
        let reason = reason.to_string();
        return (Some(verdict), Some(Flag::NotEligible { reason }));
    }
    if let Some(&free_meal) = free_meals.get(&(diner_id, sale.business_date, sale.slot)) {
        return (Some(verdict), Some(Flag::AteFreeMeal { free_meal }));
    }
    (Some(verdict), None)
}

/// At most one subsidised meal per diner, slot and day: see the module docs.
fn decide_one_per_slot(candidates: &mut [Candidate<'_>]) {
    // Sorting compact (key, index) pairs keeps this fast for a million lines.
    let mut keyed: Vec<((DinerId, NaiveDate, Slot), usize)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.outcome, Outcome::Flagged(_)))
        .map(|(i, c)| ((c.diner_id, c.sale.business_date, c.sale.slot), i))
        .collect();
    keyed.sort_unstable();
    for same in keyed.chunk_by(|a, b| a.0 == b.0) {
        // Alone: claimed unless cancelled, as it stands (deciding it as a
        // group gives the same; skipping saves the work on most lines).
        if same.len() > 1 {
            let group: Vec<usize> = same.iter().map(|&(_, i)| i).collect();
            decide_group(candidates, &group);
        }
    }
}

/// The lines of one diner, slot and day, decided at each close in turn.
fn decide_group(candidates: &mut [Candidate<'_>], group: &[usize]) {
    // Decision times, earliest first; an open month decides last (now).
    let mut times: Vec<Option<DateTime<Utc>>> =
        group.iter().map(|&i| candidates[i].decided_at).collect();
    times.sort_by_key(|t| (t.is_none(), *t));
    times.dedup();
    // The line claimed in a closed month, and when its void arrived if one
    // did: it holds the slot, except for lines received from its void on,
    // which compete for the slot again.
    let mut frozen: Option<(SaleId, Option<DateTime<Utc>>)> = None;
    let holds_against = |frozen: Option<(SaleId, Option<DateTime<Utc>>)>, c: &Candidate<'_>| {
        frozen
            .filter(|(_, voided)| voided.is_none_or(|v| c.received_at < v))
            .map(|(sale, _)| sale)
    };
    for t in times {
        let winner = first_sold(
            group.iter().map(|&i| &candidates[i]).filter(|c| {
                c.present_at(t)
                    && c.decided_at.is_none_or(|d| t.is_some_and(|t| d >= t))
                    && holds_against(frozen, c).is_none()
            }),
            |c| c.order(),
        )
        .map(|c| (c.order(), c.decided_at == t, c.voided_at));
        for &i in group {
            let c = &mut candidates[i];
            if c.decided_at != t || matches!(c.outcome, Outcome::Cancelled) {
                continue;
            }
            // The sale that keeps this line from the slot, if any.
            let taken_by = holds_against(frozen, c).or(winner
                .filter(|(order, ..)| *order != c.order())
                .map(|(order, ..)| order.sale_id));
            c.outcome = match taken_by {
                Some(claimed_sale) => Outcome::Flagged(Flag::SecondSubsidisedMeal { claimed_sale }),
                None => Outcome::Claimed,
            };
        }
        if let Some((order, true, voided_at)) = winner {
            frozen = Some((order.sale_id, voided_at));
        }
    }
}

fn build_claim(
    input: &ClaimInput<'_>,
    closes: &Closes,
    roster: &HashMap<DinerId, &Diner>,
    candidates: Vec<Candidate<'_>>,
) -> Claim {
    // Visit lines in claim order, so the claim needs no sort of its own.
    let mut order: Vec<((NaiveDate, Slot, SaleId, usize), usize)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.sale.site_id == input.site_id)
        .map(|(i, c)| ((c.sale.business_date, c.sale.slot, c.sale.id, c.index), i))
        .collect();
    order.sort_unstable();
    let mut lines = Vec::with_capacity(order.len());
    let mut flagged = Vec::new();
    for c in order.iter().map(|&(_, i)| &candidates[i]) {
        let (standard, paid, subsidy) = c.amounts();
        let home = YearMonth::of(c.sale.business_date);
        let late = c.claim_month != home;
        let flag_line = |flag: Flag| FlaggedLine {
            sale_id: c.sale.id,
            line_index: c.index,
            diner_id: c.diner_id,
            business_date: c.sale.business_date,
            slot: c.sale.slot,
            late,
            standard,
            paid,
            subsidy,
            flag,
        };
        match &c.outcome {
            Outcome::Cancelled => {}
            Outcome::Flagged(flag) if c.claim_month == input.month => {
                flagged.push(flag_line(flag.clone()));
            }
            Outcome::Flagged(_) => {}
            Outcome::Claimed => {
                let verdict = c.verdict.as_ref();
                let differs = verdict.filter(|q| q.paid != paid || q.standard != standard);
                if let Some(q) = differs {
                    if c.claim_month == input.month {
                        flagged.push(flag_line(Flag::PriceDiffers {
                            expected_paid: q.paid,
                            expected_subsidy: q.subsidy(),
                        }));
                    }
                    continue;
                }
                let line = |kind, sign: i64| ClaimLine {
                    sale_id: c.sale.id,
                    line_index: c.index,
                    diner_id: c.diner_id,
                    business_date: c.sale.business_date,
                    slot: c.sale.slot,
                    sold_at: c.sale.sold_at,
                    kind,
                    meals: sign,
                    standard: if sign < 0 {
                        standard.negated()
                    } else {
                        standard
                    },
                    paid: if sign < 0 { paid.negated() } else { paid },
                    subsidy: if sign < 0 { subsidy.negated() } else { subsidy },
                    bracket: verdict.and_then(|q| q.bracket()).map(str::to_string),
                    category: verdict.and_then(|q| q.category()).cloned(),
                };
                if c.claim_month == input.month {
                    let kind = if late {
                        LineKind::LateSale
                    } else {
                        LineKind::Regular
                    };
                    lines.push(line(kind, 1));
                }
                // A void that arrived after the line's month closed.
                if let (Some(voided_at), Some(_)) = (c.voided_at, c.decided_at) {
                    let void_month =
                        closes.open_month(c.sale.site_id, c.claim_month.next(), voided_at);
                    if void_month == input.month {
                        lines.push(line(LineKind::LateVoid, -1));
                    }
                }
            }
        }
    }
    flag_beyond_roster(input, roster, &mut lines, &mut flagged);
    flagged.sort_by_key(|l| (l.business_date, l.slot, l.sale_id, l.line_index));
    totals(input, closes, lines, flagged)
}

/// When a day's claimed meals in a slot outnumber the roster's active
/// eligible diners, something is wrong at the counter: the latest claimed
/// lines, as many as the excess, are flagged.
///
/// Only the meals claimed after every other check count (SPEC), so a valid
/// meal is never pulled out because another line was a duplicate or
/// ineligible. Each claimed meal is an eligible diner's only one of the slot
/// and day, so today this fires only if the roster count and the pricing
/// disagree: it guards the totals against such a bug.
fn flag_beyond_roster(
    input: &ClaimInput<'_>,
    roster: &HashMap<DinerId, &Diner>,
    lines: &mut Vec<ClaimLine>,
    flagged: &mut Vec<FlaggedLine>,
) {
    let mut claimed: BTreeMap<(NaiveDate, Slot), usize> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.kind == LineKind::Regular) {
        *claimed.entry((l.business_date, l.slot)).or_default() += 1;
    }
    // The most meals any slot of a date claims: counting the eligible
    // diners can stop there (see `eligible_diners`).
    let mut most: HashMap<NaiveDate, usize> = HashMap::default();
    for (&(date, _), &meals) in &claimed {
        let m = most.entry(date).or_default();
        *m = (*m).max(meals);
    }
    let mut eligible_on: HashMap<NaiveDate, usize> = HashMap::default();
    let over = beyond_roster(&claimed, |date| {
        *eligible_on.entry(date).or_insert_with(|| {
            eligible_diners(
                input,
                roster,
                date,
                most.get(&date).copied().unwrap_or(usize::MAX),
            )
        })
    });
    if over.is_empty() {
        return;
    }
    let drop = latest_beyond(lines, &over);
    for (l, _) in lines.iter().zip(&drop).filter(|(_, d)| **d) {
        let (meals, eligible) = over[&(l.business_date, l.slot)];
        flagged.push(FlaggedLine {
            sale_id: l.sale_id,
            line_index: l.line_index,
            diner_id: l.diner_id,
            business_date: l.business_date,
            slot: l.slot,
            late: false,
            standard: l.standard,
            paid: l.paid,
            subsidy: l.subsidy,
            flag: Flag::ExceedsRoster { meals, eligible },
        });
    }
    let mut i = 0;
    lines.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// The (date, slot)s whose claimed meals exceed the eligible diners of the
/// date, with (meals, eligible).
fn beyond_roster(
    claimed: &BTreeMap<(NaiveDate, Slot), usize>,
    mut eligible_on: impl FnMut(NaiveDate) -> usize,
) -> HashMap<(NaiveDate, Slot), (usize, usize)> {
    let mut over = HashMap::default();
    for (&(date, slot), &meals) in claimed {
        let eligible = eligible_on(date);
        if meals > eligible {
            over.insert((date, slot), (meals, eligible));
        }
    }
    over
}

/// Which regular lines to flag: in each (date, slot) of `over`, the latest
/// sold, as many as the excess.
fn latest_beyond(
    lines: &[ClaimLine],
    over: &HashMap<(NaiveDate, Slot), (usize, usize)>,
) -> Vec<bool> {
    let mut order: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].kind == LineKind::Regular)
        .filter(|&i| over.contains_key(&(lines[i].business_date, lines[i].slot)))
        .collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse((lines[i].sold_at, lines[i].sale_id, lines[i].line_index))
    });
    let mut taken: HashMap<(NaiveDate, Slot), usize> = HashMap::default();
    let mut drop = vec![false; lines.len()];
    for i in order {
        let key = (lines[i].business_date, lines[i].slot);
        let (meals, eligible) = over[&key];
        let n = taken.entry(key).or_default();
        if *n < meals - eligible {
            *n += 1;
            drop[i] = true;
        }
    }
    drop
}

/// Active diners eligible for a subsidised price at the site on `date`,
/// counted up to `enough`: a slot is beyond the roster only when its meals
/// (at most `enough`) outnumber the eligible diners, so a count that
/// reaches `enough` says "not beyond" as well as the whole count would, and
/// a count that stops short of it is the whole count. A city's roster is
/// tens of thousands; a site's meals of a slot, tens.
fn eligible_diners(
    input: &ClaimInput<'_>,
    roster: &HashMap<DinerId, &Diner>,
    date: NaiveDate,
    enough: usize,
) -> usize {
    let Some(policy) = input.policies.in_force(input.site_id, date) else {
        return 0;
    };
    let lowest = policy.lowest_bracket_age();
    roster
        .values()
        .filter(|d| d.is_active_on(date))
        .filter(|d| {
            let by_age = lowest.is_some_and(|min| d.age_on(date).is_some_and(|a| a >= min));
            by_age || d.categories_on(date).any(|c| policy.category(c).is_some())
        })
        .take(enough)
        .count()
}

pub(crate) fn totals(
    input: &ClaimInput<'_>,
    closes: &Closes,
    lines: Vec<ClaimLine>,
    flagged: Vec<FlaggedLine>,
) -> Claim {
    let mut claim = Claim {
        site_id: input.site_id,
        month: input.month,
        closed_at: closes.closed_at(input.site_id, input.month),
        lines: Vec::new(),
        flagged,
        total: Tally::default(),
        regular: Tally::default(),
        adjustments: Tally::default(),
        by_slot: BTreeMap::new(),
        by_bracket: BTreeMap::new(),
        by_category: BTreeMap::new(),
        by_funder: BTreeMap::new(),
    };
    let mut subsidy_by_policy: BTreeMap<Option<NaiveDate>, Money> = BTreeMap::new();
    for l in &lines {
        claim.total.add(l);
        if l.kind == LineKind::Regular {
            claim.regular.add(l);
        } else {
            claim.adjustments.add(l);
        }
        claim.by_slot.entry(l.slot).or_default().add(l);
        if let Some(b) = &l.bracket {
            match claim.by_bracket.get_mut(b) {
                Some(t) => t.add(l),
                None => claim.by_bracket.entry(b.clone()).or_default().add(l),
            }
        }
        if let Some(c) = &l.category {
            match claim.by_category.get_mut(c) {
                Some(t) => t.add(l),
                None => claim.by_category.entry(c.clone()).or_default().add(l),
            }
        }
        let policy = input.policies.in_force(input.site_id, l.business_date);
        let version = policy.map(|p| p.effective_from());
        *subsidy_by_policy.entry(version).or_default() += l.subsidy;
    }
    // Split each policy version's subsidy once, so the parts add up exactly.
    for (version, subsidy) in subsidy_by_policy {
        let funding = version
            .and_then(|v| input.policies.in_force(input.site_id, v))
            .map(|p| p.funding())
            .unwrap_or_default();
        if funding.is_empty() {
            *claim.by_funder.entry(UNSPLIT.to_string()).or_default() += subsidy;
        } else {
            let shares: Vec<_> = funding.iter().map(|f| f.share).collect();
            for (f, part) in funding.iter().zip(subsidy.split(&shares)) {
                *claim.by_funder.entry(f.funder.clone()).or_default() += part;
            }
        }
    }
    claim.lines = lines;
    claim
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    /// Site 1's claim of March 2026 with a roster and policies, no records.
    fn no_records<'a>(roster: &'a [Diner], policies: &'a PolicyBook) -> ClaimInput<'a> {
        ClaimInput {
            site_id: SiteId(1),
            month: YearMonth::of(d(2)),
            sales: &[],
            voids: &[],
            free_meals: &[],
            roster,
            policies,
            closes: &[],
        }
    }

    fn line(sale: u128, day: u32, slot: Slot, minute: u32, kind: LineKind) -> ClaimLine {
        ClaimLine {
            sale_id: SaleId(Uuid::from_u128(sale)),
            line_index: 0,
            diner_id: DinerId(i64::try_from(sale).unwrap()),
            business_date: d(day),
            slot,
            sold_at: Utc.with_ymd_and_hms(2026, 3, day, 4, minute, 0).unwrap(),
            kind,
            meals: 1,
            standard: Money::from_fen(1200),
            paid: Money::from_fen(600),
            subsidy: Money::from_fen(600),
            bracket: None,
            category: None,
        }
    }

    #[test]
    fn a_slot_is_beyond_the_roster_only_when_its_meals_exceed_the_eligible_diners() {
        let claimed = BTreeMap::from([
            ((d(2), Slot::Lunch), 3),
            ((d(2), Slot::Dinner), 4),
            ((d(3), Slot::Lunch), 5),
        ]);
        let eligible = |date: NaiveDate| if date == d(2) { 3 } else { 6 };
        let over = beyond_roster(&claimed, eligible);
        // 3 of 3 is fine; 4 of 3 is over; 5 of 6 is fine.
        assert_eq!(over, HashMap::from_iter([((d(2), Slot::Dinner), (4, 3))]));
    }

    #[test]
    fn the_latest_sold_regular_lines_are_flagged_as_many_as_the_excess() {
        let lines = vec![
            line(1, 2, Slot::Lunch, 0, LineKind::Regular),
            line(2, 2, Slot::Lunch, 3, LineKind::Regular),
            line(3, 2, Slot::Lunch, 1, LineKind::Regular),
            line(4, 2, Slot::Lunch, 9, LineKind::LateSale),
            line(5, 2, Slot::Lunch, 2, LineKind::Regular),
            line(6, 2, Slot::Dinner, 9, LineKind::Regular),
            line(7, 3, Slot::Lunch, 9, LineKind::Regular),
            line(8, 2, Slot::Lunch, 1, LineKind::Regular),
        ];
        // 5 regular lunches on the 2nd, 3 eligible: the 2 latest go (the
        // late sale is no regular meal of the day).
        let over = HashMap::from_iter([((d(2), Slot::Lunch), (5, 3))]);
        assert_eq!(
            latest_beyond(&lines, &over),
            [false, true, false, false, true, false, false, false]
        );
    }

    #[test]
    fn lines_beyond_the_roster_move_from_the_claim_to_the_flagged() {
        // The roster check guards against a roster count that disagrees
        // with pricing; an empty roster makes one here.
        let policies = PolicyBook::new(vec![]).unwrap();
        let input = no_records(&[], &policies);
        let late = |n| line(n, 2, Slot::Lunch, 1, LineKind::LateSale);
        let mut lines = vec![
            line(1, 2, Slot::Lunch, 0, LineKind::Regular),
            late(2),
            late(3),
        ];
        let mut flagged = vec![];
        flag_beyond_roster(&input, &HashMap::default(), &mut lines, &mut flagged);
        // Late sales are not meals of the day: one meal, none eligible.
        assert_eq!(lines, vec![late(2), late(3)]);
        let l = line(1, 2, Slot::Lunch, 0, LineKind::Regular);
        assert_eq!(
            flagged,
            vec![FlaggedLine {
                sale_id: l.sale_id,
                line_index: 0,
                diner_id: l.diner_id,
                business_date: l.business_date,
                slot: Slot::Lunch,
                late: false,
                standard: l.standard,
                paid: l.paid,
                subsidy: l.subsidy,
                flag: Flag::ExceedsRoster {
                    meals: 1,
                    eligible: 0
                },
            }]
        );
        assert_eq!(
            flagged[0].flag.to_string(),
            "1 subsidised meals in this slot and day, but only 0 eligible diners"
        );
    }

    #[test]
    fn eligible_diners_are_counted_up_to_enough_and_whole_below_it() {
        let policy =
            crate::policy::PricePolicy::try_from(crate::example::dazhai_policy(SiteId(1), d(1)))
                .unwrap();
        let policies = PolicyBook::new(vec![policy]).unwrap();
        let diner = |id, born: i32, inactive_since| Diner {
            id: DinerId(id),
            name: format!("食客{id}"),
            resident_id: None,
            birth_date: NaiveDate::from_ymd_opt(born, 1, 1),
            village: None,
            card_no: None,
            active_from: None,
            inactive_since,
            categories: vec![],
        };
        // Four eligible; one too young, one gone before the date.
        let roster = vec![
            diner(1, 1940, None),
            diner(2, 1945, None),
            diner(3, 1950, None),
            diner(4, 1955, None),
            diner(5, 1990, None),
            diner(6, 1940, Some(d(1))),
        ];
        let input = no_records(&roster, &policies);
        let by_id: HashMap<DinerId, &Diner> = roster.iter().map(|d| (d.id, d)).collect();
        assert_eq!(eligible_diners(&input, &by_id, d(2), 2), 2);
        assert_eq!(eligible_diners(&input, &by_id, d(2), 4), 4);
        assert_eq!(eligible_diners(&input, &by_id, d(2), 5), 4);
        assert_eq!(eligible_diners(&input, &by_id, d(2), usize::MAX), 4);
    }

    #[test]
    fn a_tally_ties_out_only_when_paid_and_subsidy_make_the_standard() {
        let tally = |standard, paid, subsidy| Tally {
            meals: 1,
            standard: Money::from_fen(standard),
            paid: Money::from_fen(paid),
            subsidy: Money::from_fen(subsidy),
        };
        assert!(tally(1200, 600, 600).ties_out());
        assert!(!tally(1200, 600, 500).ties_out());
        assert!(!tally(1200, 600, 700).ties_out());
    }
}
