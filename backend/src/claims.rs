//! The claims service: gathers what `canteen_core::reconcile` needs from the
//! store, applies finance staff's decisions with `canteen_core::review`, and
//! freezes a month's claim when it closes. No claim rule lives here: the
//! store loads records, the core decides, this module only wires them.
//!
//! A closed month is answered from the claim frozen at its close (with the
//! names, masked ID numbers and evidence of that moment), so its figures
//! never change, whatever arrives or is edited later.

use std::collections::{BTreeMap, HashMap};

use canteen_core::claim::{Flag, MonthClose};
use canteen_core::review::flag_kind;
use canteen_core::{
    ClaimInput, ClaimTotals, Decision, Diner, DinerId, FreeMealDay, Money, PolicyBook, Received,
    ResidentId, ReviewedClaim, Sale, SaleId, SaleLine, SiteId, Slot, TownshipId, UserId, Verdict,
    Void, YearMonth, reconcile, review,
};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::domain::{diner_from_row, local_date, policy_book};
use crate::store::finance::{CloseRecord, DecisionToStore, month_range};
use crate::store::{Actor, AuditEntry, Db, Site, StoreError, Township};

/// What can go wrong with a claim.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The month has not ended yet at the site.
    #[error("{0} has not ended yet at this site; a month can be closed from its last day on")]
    MonthNotOver(YearMonth),
    /// The month is already closed.
    #[error("{0} is already closed at this site")]
    AlreadyClosed(YearMonth),
    /// The month is not closed.
    #[error("{0} is not closed at this site")]
    NotClosed(YearMonth),
    /// The month is closed: no more decisions.
    #[error("{0} is closed; an administrator must reopen it before anything is decided")]
    Closed(YearMonth),
    /// Flags wait for a decision.
    #[error("{0} flagged lines wait for a decision (accept or reject) before the month can close")]
    Undecided(usize),
    /// The line named is not flagged in this claim.
    #[error("line {line} of sale {sale} is not flagged in this month's claim")]
    NotFlagged {
        /// Sale.
        sale: SaleId,
        /// 0-based line.
        line: usize,
    },
    /// A comment or reason is missing or too long.
    #[error("{0}")]
    BadText(String),
    /// The month has no days in the calendar we keep.
    #[error("{0} is beyond the calendar")]
    BeyondCalendar(YearMonth),
    /// The computation stopped before it gave a claim (a worker thread
    /// failed or the service is stopping).
    #[error("the claim's computation was interrupted; try again")]
    Interrupted,
    /// Decisions, closes and reopenings are a person's, never the system's.
    #[error("only a signed-in person may {0}")]
    NeedsPerson(&'static str),
}

/// The signed-in person behind an action that must name one.
fn person_of(actor: &Actor, what: &'static str) -> Result<UserId, ClaimsError> {
    actor.user_id.ok_or(ClaimsError::NeedsPerson(what))
}

/// The first and last days of a month.
fn days_of(month: YearMonth) -> Result<(NaiveDate, NaiveDate), ClaimsError> {
    month_range(month).ok_or(ClaimsError::BeyondCalendar(month))
}

/// A diner as the claim shows them: never the whole ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerLabel {
    /// Name.
    pub name: String,
    /// ID number, first 6 and last 2 characters.
    pub resident_id_masked: Option<String>,
    /// Village.
    pub village: Option<String>,
}

/// What shows why a line was flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The diner's age on the meal's date, if the birth date is known.
    pub age_on_date: Option<u32>,
    /// The sale claimed instead (a second subsidised meal).
    pub other_sale: Option<SaleId>,
    /// The free-meal day the diner ate at.
    pub free_meal: Option<FreeMealRef>,
    /// What the policy says the diner should pay.
    pub expected_paid: Option<Money>,
    /// The subsidy the policy gives.
    pub expected_subsidy: Option<Money>,
}

/// A free-meal day named as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeMealRef {
    /// Its id.
    pub id: String,
    /// Its site.
    pub site_id: i64,
    /// Its date.
    pub date: NaiveDate,
}

/// A site's claim for a month with everything the office shows of it:
/// what is frozen when the month closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthClaim {
    /// Township.
    pub township_id: i64,
    /// Township name.
    pub township_name: String,
    /// Site.
    pub site_id: i64,
    /// Site name.
    pub site_name: String,
    /// The month.
    pub month: YearMonth,
    /// The claim with the decisions applied.
    pub reviewed: ReviewedClaim,
    /// Evidence for each of `reviewed.flags`, in the same order.
    pub evidence: Vec<Evidence>,
    /// The diners named by claimed and flagged lines.
    pub diners: BTreeMap<i64, DinerLabel>,
    /// People served free meals at this site in the month ("人次").
    pub free_meals_served: i64,
    /// When these figures were computed (the close, for a closed month).
    pub computed_at: DateTime<Utc>,
}

impl MonthClaim {
    /// When the month was closed, `None` while open.
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.reviewed.claim.closed_at
    }
}

/// The township's claim for a month: each site's and their sum.
#[derive(Debug, Clone, Serialize)]
pub struct TownshipClaim {
    /// Township.
    pub township: Township,
    /// The month.
    pub month: YearMonth,
    /// Each site's claim.
    pub sites: Vec<MonthClaim>,
    /// Their sum.
    pub totals: ClaimTotals,
}

/// The roster, policies, closes and records of a township's month, loaded
/// once for all its sites.
struct Context {
    roster: Vec<Diner>,
    /// Each diner's place in `roster`.
    roster_at: FxHashMap<DinerId, usize>,
    policies: PolicyBook,
    closes: Vec<MonthClose>,
    /// Every free-meal day the records hold (any site's may flag a line).
    free_meals: Vec<FreeMealDay>,
    /// Each site's share of the records, see [`by_site`].
    by_site: HashMap<SiteId, Share>,
}

impl Context {
    fn diner(&self, id: DinerId) -> Option<&Diner> {
        self.roster_at.get(&id).map(|&i| &self.roster[i])
    }
}

/// The sales and voids a site's claim can depend on.
#[derive(Default)]
struct Share {
    sales: Vec<Received<Sale>>,
    voids: Vec<Received<Void>>,
}

/// One day's sales split into what each site's claim can depend on: the
/// site's own sales, and the other sites' sales that share a diner and
/// slot with one of them (the one-meal rule runs across sites). Nothing
/// else of the day can change a site's claim, so reconciling each site
/// over its share gives the same claim as over everything, in time
/// proportional to the share. Each sale moves into its own site's share;
/// only those shared across sites are copied. Runs in the day's read
/// task (see [`crate::store::Db::claim_records`]).
fn shares_of_day(sales: Vec<Received<Sale>>) -> DayShares {
    // The date is in the key too, so the split holds whatever the days.
    type Key = (DinerId, NaiveDate, Slot);
    let mut keyed: Vec<(Key, usize)> = sales
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let sale = &r.record;
            sale.lines.iter().filter_map(move |l| match l {
                SaleLine::DinerMeal { diner_id, .. } => {
                    Some(((*diner_id, sale.business_date, sale.slot), i))
                }
                _ => None,
            })
        })
        .collect();
    keyed.sort_unstable();
    let site_of = |i: usize| sales[i].record.site_id;
    let mut shared: FxHashMap<SiteId, Vec<usize>> = FxHashMap::default();
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        let first = site_of(group[0].1);
        if group.iter().all(|&(_, i)| site_of(i) == first) {
            continue;
        }
        for &(_, i) in group {
            for &(_, j) in group {
                if site_of(j) != site_of(i) {
                    shared.entry(site_of(i)).or_default().push(j);
                }
            }
        }
    }
    let mut shares: DayShares = FxHashMap::default();
    for (site, mut others) in shared {
        others.sort_unstable();
        others.dedup();
        shares
            .entry(site)
            .or_default()
            .extend(others.into_iter().map(|j| sales[j].clone()));
    }
    for sale in sales {
        shares.entry(sale.record.site_id).or_default().push(sale);
    }
    shares
}

/// A day's sales by the site whose claim can depend on them.
type DayShares = FxHashMap<SiteId, Vec<Received<Sale>>>;

/// Joins the days' shares into each site's, with the voids of its sales.
fn by_site(days: Vec<DayShares>, voids: Vec<Received<Void>>) -> HashMap<SiteId, Share> {
    let mut sizes: FxHashMap<SiteId, usize> = FxHashMap::default();
    for (site, sales) in days.iter().flatten() {
        *sizes.entry(*site).or_default() += sales.len();
    }
    let mut shares: HashMap<SiteId, Share> = sizes
        .into_iter()
        .map(|(site, n)| {
            let share = Share {
                sales: Vec::with_capacity(n),
                voids: Vec::new(),
            };
            (site, share)
        })
        .collect();
    for (site, sales) in days.into_iter().flatten() {
        shares.entry(site).or_default().sales.extend(sales);
    }
    let mut voids_of: FxHashMap<SaleId, Vec<Received<Void>>> = FxHashMap::default();
    for v in voids {
        voids_of.entry(v.record.sale_id).or_default().push(v);
    }
    for share in shares.values_mut() {
        share.voids = share
            .sales
            .iter()
            .filter_map(|s| voids_of.get(&s.record.id))
            .flatten()
            .cloned()
            .collect();
    }
    shares
}

/// Per-site reads of a township's claim in flight at once (each a round
/// trip; a city has 150 sites).
const SITE_READS_AT_ONCE: usize = 8;

/// `read` of each site, [`SITE_READS_AT_ONCE`] at a time, in the sites'
/// order.
async fn per_site<T, E, F>(sites: Vec<SiteId>, read: impl FnMut(SiteId) -> F) -> Result<Vec<T>, E>
where
    F: std::future::Future<Output = Result<T, E>>,
{
    stream::iter(sites)
        .map(read)
        .buffered(SITE_READS_AT_ONCE)
        .try_collect()
        .await
}

async fn context(
    store: &Db,
    township_id: TownshipId,
    month: YearMonth,
) -> Result<Context, ClaimsError> {
    // The small reads go while the month's records are read.
    let policies = async {
        let sites = store.sites(Some(township_id)).await?;
        let ids: Vec<SiteId> = sites.iter().map(|site| site.id).collect();
        let per_site: Vec<_> = per_site(ids, |site| {
            let store = store.clone();
            async move { store.policies_since(site, 0).await }
        })
        .await?;
        Ok::<_, StoreError>(per_site.into_iter().flatten().collect::<Vec<_>>())
    };
    let (rows, policy_rows, closes, records) = tokio::try_join!(
        store.diners_since(township_id, 0),
        policies,
        store.month_closes(township_id),
        store.claim_records(township_id, month, shares_of_day),
    )?;
    let roster = rows
        .iter()
        .map(diner_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)?;
    let roster_at = roster.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    let by_site = by_site(records.days, records.voids);
    Ok(Context {
        roster,
        roster_at,
        policies: policy_book(&policy_rows).map_err(StoreError::from)?,
        closes,
        free_meals: records.free_meals,
        by_site,
    })
}

fn label(d: &Diner) -> DinerLabel {
    DinerLabel {
        name: d.name.clone(),
        resident_id_masked: d.resident_id.as_ref().map(ResidentId::masked),
        village: d.village.clone(),
    }
}

/// What a site's claim needs from the store beyond the township's context.
struct SiteInputs {
    decisions: Vec<Decision>,
    free_meals_served: i64,
}

async fn site_inputs(
    store: &Db,
    site: SiteId,
    month: YearMonth,
) -> Result<SiteInputs, ClaimsError> {
    let (first, last) = days_of(month)?;
    Ok(SiteInputs {
        decisions: store.flag_decisions(site, month).await?,
        free_meals_served: store.free_meal_totals(site, first, last).await?.served,
    })
}

/// Computes a site's claim from the context: reconcile, then review.
fn compute(
    ctx: &Context,
    township: &Township,
    site: &Site,
    month: YearMonth,
    now: DateTime<Utc>,
    inputs: &SiteInputs,
) -> MonthClaim {
    let none = Share::default();
    let records = ctx.by_site.get(&site.id).unwrap_or(&none);
    let input = ClaimInput {
        site_id: site.id,
        month,
        sales: &records.sales,
        voids: &records.voids,
        free_meals: &ctx.free_meals,
        roster: &ctx.roster,
        policies: &ctx.policies,
        closes: &ctx.closes,
    };
    let claim = reconcile(&input);
    let reviewed = review(&input, claim, &inputs.decisions);
    let mut diners = BTreeMap::new();
    let named = reviewed
        .claim
        .lines
        .iter()
        .map(|l| l.diner_id)
        .chain(reviewed.flags.iter().map(|f| f.line.diner_id));
    for id in named {
        if let Some(d) = ctx.diner(id) {
            diners.entry(id.0).or_insert_with(|| label(d));
        }
    }
    let evidence = reviewed
        .flags
        .iter()
        .map(|f| {
            let l = &f.line;
            let mut e = Evidence {
                age_on_date: ctx
                    .diner(l.diner_id)
                    .and_then(|d| d.age_on(l.business_date)),
                other_sale: None,
                free_meal: None,
                expected_paid: None,
                expected_subsidy: None,
            };
            match &l.flag {
                Flag::SecondSubsidisedMeal { claimed_sale } => e.other_sale = Some(*claimed_sale),
                Flag::AteFreeMeal { free_meal } => {
                    e.free_meal =
                        ctx.free_meals
                            .iter()
                            .find(|d| d.id == *free_meal)
                            .map(|d| FreeMealRef {
                                id: d.id.to_string(),
                                site_id: d.site_id.0,
                                date: d.date,
                            });
                }
                Flag::PriceDiffers {
                    expected_paid,
                    expected_subsidy,
                } => {
                    e.expected_paid = Some(*expected_paid);
                    e.expected_subsidy = Some(*expected_subsidy);
                }
                _ => {}
            }
            e
        })
        .collect();
    MonthClaim {
        township_id: township.id.0,
        township_name: township.name.clone(),
        site_id: site.id.0,
        site_name: site.name.clone(),
        month,
        reviewed,
        evidence,
        diners,
        free_meals_served: inputs.free_meals_served,
        computed_at: now,
    }
}

/// Computes the claims of `sites` on every core, off the async threads:
/// each site's reconcile is independent of the others'.
async fn compute_all(
    ctx: Context,
    township: &Township,
    sites: Vec<(Site, SiteInputs)>,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<Vec<MonthClaim>, ClaimsError> {
    let township = township.clone();
    let work = move || {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, sites.len().max(1));
        let per_thread = sites.len().div_ceil(threads).max(1);
        let claims = std::thread::scope(|scope| {
            let handles: Vec<_> = sites
                .chunks(per_thread)
                .map(|chunk| {
                    let (ctx, township) = (&ctx, &township);
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|(site, inputs)| compute(ctx, township, site, month, now, inputs))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| ClaimsError::Interrupted))
                .collect::<Result<Vec<_>, _>>()
                .map(|chunks| chunks.into_iter().flatten().collect())
        });
        // A city's month is a million records: freeing them is no part of
        // the answer.
        std::thread::spawn(move || drop(ctx));
        claims
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ClaimsError::Interrupted)?
}

fn frozen(close: &CloseRecord) -> Result<MonthClaim, ClaimsError> {
    serde_json::from_str(&close.claim)
        .map_err(|e| ClaimsError::Store(StoreError::Corrupt(format!("frozen claim: {e}"))))
}

async fn township_of(store: &Db, site: &Site) -> Result<Township, ClaimsError> {
    store
        .township(site.township_id)
        .await?
        .ok_or_else(|| ClaimsError::Store(StoreError::NotFound))
}

/// A site's claim for a month: frozen if closed, else computed now.
pub async fn site_claim(
    store: &Db,
    site: &Site,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<MonthClaim, ClaimsError> {
    if let Some(close) = store.month_close(site.id, month).await? {
        return frozen(&close);
    }
    let township = township_of(store, site).await?;
    let inputs = site_inputs(store, site.id, month).await?;
    let ctx = context(store, township.id, month).await?;
    let mut claims = compute_all(ctx, &township, vec![(site.clone(), inputs)], month, now).await?;
    claims.pop().ok_or(ClaimsError::Interrupted)
}

/// The township's claim for a month: every site's, and the sum.
pub async fn township_claim(
    store: &Db,
    township: &Township,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<TownshipClaim, ClaimsError> {
    let all = store.sites(Some(township.id)).await?;
    let ids: Vec<SiteId> = all.iter().map(|site| site.id).collect();
    let closes: Vec<Option<CloseRecord>> = per_site(ids, |site| {
        let store = store.clone();
        async move { store.month_close(site, month).await }
    })
    .await?;
    let mut frozen_claims = Vec::new();
    let mut open_sites = Vec::new();
    for (site, close) in all.iter().zip(closes) {
        match close {
            Some(close) => frozen_claims.push(frozen(&close)?),
            None => open_sites.push(site.clone()),
        }
    }
    let mut computed = Vec::new();
    if !open_sites.is_empty() {
        let ids: Vec<SiteId> = open_sites.iter().map(|site| site.id).collect();
        let inputs = per_site(ids, |site| {
            let store = store.clone();
            async move { site_inputs(&store, site, month).await }
        });
        let (ctx, inputs) = tokio::try_join!(context(store, township.id, month), inputs)?;
        let open = open_sites.into_iter().zip(inputs).collect();
        computed = compute_all(ctx, township, open, month, now).await?;
    }
    // In the order of the sites.
    let mut sites: Vec<MonthClaim> = frozen_claims.into_iter().chain(computed).collect();
    let place: HashMap<i64, usize> = all.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();
    sites.sort_by_key(|c| place.get(&c.site_id).copied());
    let totals = ClaimTotals::of(sites.iter().map(|s| &s.reviewed.claim));
    Ok(TownshipClaim {
        township: township.clone(),
        month,
        sites,
        totals,
    })
}

fn check_text(what: &str, text: &str, max: usize) -> Result<String, ClaimsError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ClaimsError::BadText(format!("write a {what}")));
    }
    if t.chars().count() > max {
        return Err(ClaimsError::BadText(format!(
            "the {what} is longer than {max} characters"
        )));
    }
    crate::text::check_text(&format!("the {what}"), t).map_err(ClaimsError::BadText)?;
    Ok(t.to_string())
}

fn totals_json(c: &MonthClaim) -> String {
    serde_json::json!({
        "site_id": c.site_id,
        "month": c.month,
        "meals": c.reviewed.claim.total.meals,
        "subsidy": c.reviewed.claim.total.subsidy,
        "closed_at": c.closed_at(),
    })
    .to_string()
}

/// A decision on a flagged line, as finance staff send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The sale.
    pub sale_id: SaleId,
    /// 0-based index of the line in the sale.
    pub line_index: usize,
    /// `accept` or `reject`.
    pub verdict: Verdict,
    /// Why.
    pub comment: String,
}

/// Accepts or rejects a flagged line of an open month, audited.
pub async fn decide(
    store: &Db,
    site: &Site,
    month: YearMonth,
    request: &DecisionRequest,
    actor: &Actor,
) -> Result<MonthClaim, ClaimsError> {
    let (sale, line, verdict) = (request.sale_id, request.line_index, request.verdict);
    let comment = check_text("comment", &request.comment, 500)?;
    let decided_by = person_of(actor, "decide on a flagged line")?;
    let now = Utc::now();
    if store.month_close(site.id, month).await?.is_some() {
        return Err(ClaimsError::Closed(month));
    }
    let claim = site_claim(store, site, month, now).await?;
    let flag = claim
        .reviewed
        .flags
        .iter()
        .find(|f| f.line.sale_id == sale && f.line.line_index == line)
        .ok_or(ClaimsError::NotFlagged { sale, line })?;
    let decision = Decision {
        sale_id: sale,
        line_index: line,
        flag_kind: flag_kind(&flag.line.flag).to_string(),
        verdict,
        comment,
        decided_by: actor.name.clone(),
        decided_at: now,
    };
    let audit = AuditEntry {
        actor: actor.clone(),
        township_id: Some(site.township_id),
        action: "claim.decide".into(),
        entity: "claim_line".into(),
        entity_id: format!("{}/{}/{sale}/{line}", site.id, month),
        before: flag
            .decision
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok()),
        after: serde_json::to_string(&decision).ok(),
    };
    let to_store = DecisionToStore {
        township_id: site.township_id,
        site_id: site.id,
        month,
        decision,
        decided_by,
    };
    store
        .insert_decision(to_store, audit)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ClaimsError::Closed(month),
            other => ClaimsError::Store(other),
        })?;
    site_claim(store, site, month, Utc::now()).await
}

/// Closes a site's month: refused while a flag waits for a decision;
/// otherwise the claim as of now is frozen and audited.
pub async fn close_month(
    store: &Db,
    site: &Site,
    month: YearMonth,
    actor: &Actor,
) -> Result<MonthClaim, ClaimsError> {
    let closed_by = person_of(actor, "close a month")?;
    let (_, last) = days_of(month)?;
    if local_date(Utc::now(), site.utc_offset_minutes) < last {
        return Err(ClaimsError::MonthNotOver(month));
    }
    if store.month_close(site.id, month).await?.is_some() {
        return Err(ClaimsError::AlreadyClosed(month));
    }
    // The close's time is a cut the ingest of sales and voids orders
    // against (no sale stamped before it is still in flight).
    let now = store.month_close_cut().await?;
    let township = township_of(store, site).await?;
    let mut ctx = context(store, township.id, month).await?;
    ctx.closes.push(MonthClose {
        site_id: site.id,
        month,
        closed_at: now,
    });
    let inputs = site_inputs(store, site.id, month).await?;
    let claim = compute_all(ctx, &township, vec![(site.clone(), inputs)], month, now)
        .await?
        .pop()
        .ok_or(ClaimsError::Interrupted)?;
    let undecided = claim.reviewed.undecided();
    if undecided > 0 {
        return Err(ClaimsError::Undecided(undecided));
    }
    let body = serde_json::to_string(&claim)
        .map_err(|e| ClaimsError::Store(StoreError::Corrupt(e.to_string())))?;
    let audit = AuditEntry {
        actor: actor.clone(),
        township_id: Some(site.township_id),
        action: "claim.close".into(),
        entity: "month".into(),
        entity_id: format!("{}/{month}", site.id),
        before: None,
        after: Some(totals_json(&claim)),
    };
    let close = CloseRecord {
        site_id: site.id,
        month,
        closed_at: now,
        closed_by,
        claim: body,
    };
    store
        .insert_month_close(township.id, close, audit)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ClaimsError::AlreadyClosed(month),
            other => ClaimsError::Store(other),
        })?;
    Ok(claim)
}

/// Reopens a closed month, with the reason, audited.
pub async fn reopen_month(
    store: &Db,
    site: &Site,
    month: YearMonth,
    reason: &str,
    actor: &Actor,
) -> Result<(), ClaimsError> {
    let reason = check_text("reason", reason, 500)?;
    let reopened_by = person_of(actor, "reopen a month")?;
    let close = store
        .month_close(site.id, month)
        .await?
        .ok_or(ClaimsError::NotClosed(month))?;
    let before = frozen(&close).map(|c| totals_json(&c)).ok();
    let audit = AuditEntry {
        actor: actor.clone(),
        township_id: Some(site.township_id),
        action: "claim.reopen".into(),
        entity: "month".into(),
        entity_id: format!("{}/{month}", site.id),
        before,
        after: Some(serde_json::json!({ "reason": reason }).to_string()),
    };
    store
        .reopen_month(site.id, month, reopened_by, &reason, audit)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ClaimsError::NotClosed(month),
            other => ClaimsError::Store(other),
        })
}

#[cfg(test)]
mod tests {
    use canteen_core::{Payment, TerminalId, VoidId};
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn sale(id: u128, site: i64, diner: i64, slot: Slot) -> Received<Sale> {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap();
        Received {
            record: Sale {
                id: SaleId(Uuid::from_u128(id)),
                site_id: SiteId(site),
                terminal_id: TerminalId(site),
                cashier_id: UserId(site),
                sold_at: at,
                business_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                slot,
                lines: vec![SaleLine::DinerMeal {
                    diner_id: DinerId(diner),
                    standard: Money::from_fen(1200),
                    paid: Money::from_fen(600),
                    subsidy: Money::from_fen(600),
                    bracket: None,
                    category: None,
                }],
                payment: Payment::Qr { reference: None },
            },
            received_at: at,
        }
    }

    fn ids(sales: &[Received<Sale>]) -> Vec<u128> {
        let mut ids: Vec<u128> = sales.iter().map(|s| s.record.id.0.as_u128()).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_site_shares_only_the_other_sites_meals_of_its_diners_slots() {
        let day = vec![
            sale(1, 1, 7, Slot::Lunch),
            sale(2, 2, 7, Slot::Lunch),
            sale(3, 1, 8, Slot::Lunch),
            sale(4, 2, 8, Slot::Breakfast),
            sale(5, 3, 9, Slot::Lunch),
        ];
        let void = Received {
            record: Void {
                id: VoidId(Uuid::from_u128(99)),
                sale_id: SaleId(Uuid::from_u128(2)),
                site_id: SiteId(2),
                terminal_id: TerminalId(2),
                voided_by: UserId(2),
                voided_at: day[1].received_at,
                reason: "wrong diner".into(),
            },
            received_at: day[1].received_at,
        };
        let shares = by_site(vec![shares_of_day(day)], vec![void]);
        assert_eq!(ids(&shares[&SiteId(1)].sales), [1, 2, 3]);
        assert_eq!(ids(&shares[&SiteId(2)].sales), [1, 2, 4]);
        assert_eq!(ids(&shares[&SiteId(3)].sales), [5]);
        for site in [1, 2] {
            let voids = &shares[&SiteId(site)].voids;
            assert_eq!(
                voids.len(),
                1,
                "site {site} sees the void of a sale it shares"
            );
        }
        assert!(shares[&SiteId(3)].voids.is_empty());
    }

    #[test]
    fn days_join_into_one_share_per_site() {
        let mut second = sale(6, 1, 7, Slot::Lunch);
        second.record.business_date = NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
        let days = vec![
            shares_of_day(vec![sale(1, 1, 7, Slot::Lunch)]),
            shares_of_day(vec![second, sale(7, 2, 7, Slot::Lunch)]),
        ];
        let shares = by_site(days, Vec::new());
        // The diner's lunch at site 2 on the 2nd is another day's: not shared.
        assert_eq!(ids(&shares[&SiteId(1)].sales), [1, 6]);
        assert_eq!(ids(&shares[&SiteId(2)].sales), [7]);
    }
}
