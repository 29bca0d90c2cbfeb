//! Finance staff's pages (administrators may open them too): the month's
//! claim of a township and of a site, flagged lines with their evidence and
//! a decision form, closing the month, the exports, each shift's cash and
//! the welfare list.
//!
//! Every figure comes from the services the JSON API calls (`claims`,
//! `export`, `checks`); these handlers only choose what to show. Scope: a
//! site or township outside the person's is a 403 page, the same answer as
//! for one that does not exist, so ids cannot be probed.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use canteen_core::claim::{Flag, LineKind, Tally, UNSPLIT};
use canteen_core::{ClaimTotals, Money, SaleId, SiteId, Slot, TownshipId, Verdict, YearMonth};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;

use super::Page;
use super::error::{Msg, PageError};
use super::guard::Finance;
use super::i18n::{Lang, finance::FinanceMessages};
use crate::checks::{self, CheckError, ShiftCheck};
use crate::claims::{self, ClaimsError, DecisionRequest, MonthClaim};
use crate::domain::local_date;
use crate::export;
use crate::http::AppState;
use crate::store::{Actor, Site, Township};

/// The finance pages' paths.
pub const CLAIMS_PATH: &str = "/finance/claims";
/// The shift check.
pub const SHIFTS_PATH: &str = "/finance/shifts";
/// The welfare list.
pub const WELFARE_PATH: &str = "/finance/welfare";

/// The path of a site's month view.
fn site_path(site: SiteId, month: YearMonth) -> String {
    format!("/finance/sites/{}?month={month}", site.0)
}

fn out_of_scope() -> PageError {
    PageError::forbidden(|t| t.fin.err_out_of_scope)
}

fn bad_month() -> PageError {
    PageError::new(StatusCode::BAD_REQUEST, |t| t.fin.err_bad_month)
}

/// The site, if the person may see it; a 403 page otherwise (also for a
/// site that does not exist: the same answer, so ids cannot be probed).
async fn site_in_scope(state: &AppState, f: &Finance, id: i64) -> Result<Site, PageError> {
    match state.store.site(SiteId(id)).await? {
        Some(site) if f.signed.person.sees_site(&site) => Ok(site),
        _ => Err(out_of_scope()),
    }
}

/// The township asked for (or the person's own, or a county
/// administrator's first), if the person may see it; 403 otherwise.
async fn township_in_scope(
    state: &AppState,
    f: &Finance,
    asked: Option<&str>,
) -> Result<(Township, Vec<Township>), PageError> {
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(TownshipId(text.parse::<i64>().map_err(|_| out_of_scope())?)),
        None => None,
    };
    let choices: Vec<Township> = match f.township {
        Some(own) => state.store.township(own).await?.into_iter().collect(),
        None => state.store.townships().await?,
    };
    let chosen = match asked {
        Some(id) => choices.iter().find(|t| t.id == id).cloned(),
        None => choices.first().cloned(),
    };
    match chosen {
        Some(t) if f.signed.person.sees_township(t.id) => Ok((t, choices)),
        _ => Err(out_of_scope()),
    }
}

/// The month asked for, or the last month (the one usually claimed).
fn month_or_last(asked: Option<&str>, offset_minutes: i64) -> Result<YearMonth, PageError> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => text.parse::<YearMonth>().map_err(|_| bad_month()),
        None => {
            let today = local_date(Utc::now(), offset_minutes);
            let first = today.with_day(1).unwrap_or(today);
            Ok(YearMonth::of(first.pred_opt().unwrap_or(first)))
        }
    }
}

fn previous(month: YearMonth) -> YearMonth {
    month
        .first_day()
        .and_then(|d| d.pred_opt())
        .map_or(month, YearMonth::of)
}

fn local_time(t: DateTime<Utc>, offset_minutes: i64) -> String {
    (t + chrono::Duration::minutes(offset_minutes))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn slot_name(t: &FinanceMessages, slot: Slot) -> &'static str {
    match slot {
        Slot::Breakfast => t.breakfast,
        Slot::Lunch => t.lunch,
        Slot::Dinner => t.dinner,
    }
}

fn funder_name(t: &FinanceMessages, key: &str) -> String {
    match key {
        "city" => t.funder_city.into(),
        "county" => t.funder_county.into(),
        "township" => t.funder_township.into(),
        UNSPLIT => t.funder_unsplit.into(),
        other => other.into(),
    }
}

/// A row of totals: meals, standard, paid, subsidy, and whether
/// paid + subsidy = standard.
pub struct TallyRow {
    label: String,
    meals: i64,
    standard: String,
    paid: String,
    subsidy: String,
    ties: bool,
    /// The total of the table (drawn in bold).
    sum: bool,
}

impl TallyRow {
    fn of(label: impl Into<String>, t: &Tally) -> TallyRow {
        TallyRow {
            sum: false,
            label: label.into(),
            meals: t.meals,
            standard: t.standard.to_string(),
            paid: t.paid.to_string(),
            subsidy: t.subsidy.to_string(),
            ties: t.ties_out(),
        }
    }
}

/// The totals of a claim (a site's, or a township's sum), as shown.
pub struct Totals {
    main: Vec<TallyRow>,
    /// By slot, bracket and category: (heading, table id, rows).
    groups: Vec<(&'static str, &'static str, Vec<TallyRow>)>,
    by_funder: Vec<(String, String)>,
}

impl Totals {
    fn of(t: &FinanceMessages, c: &ClaimTotals, accepted: Option<&Tally>) -> Totals {
        let mut main = vec![
            TallyRow::of(t.regular, &c.regular),
            TallyRow::of(t.adjustments, &c.adjustments),
        ];
        main.push(TallyRow {
            sum: true,
            ..TallyRow::of(t.total, &c.total)
        });
        // Accepted lines are part of the figures above, shown apart.
        if let Some(a) = accepted.filter(|a| a.meals != 0) {
            main.push(TallyRow::of(format!("({})", t.accepted), a));
        }
        let by_slot = c
            .by_slot
            .iter()
            .map(|(s, x)| TallyRow::of(slot_name(t, *s), x))
            .collect();
        let by_bracket = c
            .by_bracket
            .iter()
            .map(|(b, x)| TallyRow::of(b.clone(), x))
            .collect();
        let by_category = c
            .by_category
            .iter()
            .map(|(k, x)| TallyRow::of(k.0.clone(), x))
            .collect();
        Totals {
            main,
            groups: vec![
                (t.by_slot, "by-slot", by_slot),
                (t.by_bracket, "by-bracket", by_bracket),
                (t.by_category, "by-category", by_category),
            ],
            by_funder: c
                .by_funder
                .iter()
                .map(|(k, m)| (funder_name(t, k), m.to_string()))
                .collect(),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The subsidised meals per day of a month as a small inline SVG bar
/// chart, made here so the page needs no script.
pub fn chart_svg(month: YearMonth, days: &BTreeMap<NaiveDate, i64>, label: &str) -> String {
    let Some(first) = month.first_day() else {
        return String::new();
    };
    let count = (1..=31)
        .filter_map(|d| first.with_day(d))
        .filter(|d| month.contains(*d))
        .count();
    let max = days.values().copied().max().unwrap_or(0).max(1);
    let (left, bar, base, tall) = (30_i64, 12_i64, 126_i64, 106_i64);
    let width = left + bar * i64::try_from(count).unwrap_or(31) + 6;
    let mut svg = format!(
        r##"<svg id="chart" class="chart" viewBox="0 0 {width} 160" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"##,
        escape(label)
    );
    svg.push_str(&format!(
        r##"<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#8c8c8c"/><text x="{}" y="{}" font-size="13" text-anchor="end" fill="#555">{max}</text><text x="{}" y="{base}" font-size="13" text-anchor="end" fill="#555">0</text>"##,
        left - 4,
        base - tall + 4,
        left - 4
    ));
    for d in 1..=count {
        let Some(date) = u32::try_from(d).ok().and_then(|d| first.with_day(d)) else {
            continue;
        };
        let meals = days.get(&date).copied().unwrap_or(0);
        let h = meals.max(0) * tall / max;
        let x = left + bar * (i64::try_from(d).unwrap_or(1) - 1) + 2;
        svg.push_str(&format!(
            r##"<rect class="bar" data-date="{date}" data-meals="{meals}" x="{x}" y="{}" width="{}" height="{h}" fill="#b3401a"><title>{date}: {meals}</title></rect>"##,
            base - h,
            bar - 3
        ));
        if d == 1 || (d % 5 == 0 && count - d >= 2) || d == count {
            svg.push_str(&format!(
                r##"<text x="{}" y="{}" font-size="13" text-anchor="middle" fill="#555">{d}</text>"##,
                x + (bar - 3) / 2,
                base + 18
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A site's line of the township's month.
pub struct SiteRow {
    href: String,
    name: String,
    closed: bool,
    undecided: usize,
    meals: i64,
    subsidy: String,
    free_meals: i64,
}

/// `GET /finance/claims?month=&township=`: the township's month.
#[derive(Template, WebTemplate)]
#[template(path = "finance/township.html")]
pub struct TownshipPage {
    page: Page,
    month: String,
    previous: String,
    next: String,
    township_id: i64,
    township_name: String,
    townships: Vec<(i64, String)>,
    sites: Vec<SiteRow>,
    totals: Totals,
    chart: String,
    free_meals: i64,
}

/// The month picker's query.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    township: Option<String>,
}

/// `GET /finance/claims`.
pub async fn township_month(
    State(state): State<AppState>,
    f: Finance,
    Query(q): Query<MonthQuery>,
) -> Result<TownshipPage, PageError> {
    let (township, choices) = township_in_scope(&state, &f, q.township.as_deref()).await?;
    let month = month_or_last(q.month.as_deref(), 480)?;
    let claim = claims::township_claim(&state.store, &township, month, Utc::now())
        .await
        .map_err(claims_error)?;
    let t = f.signed.lang.t().fin;
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for s in &claim.sites {
        for (d, n) in s.reviewed.meals_by_day() {
            *days.entry(d).or_insert(0) += n;
        }
    }
    let sites = claim
        .sites
        .iter()
        .map(|s| SiteRow {
            href: site_path(SiteId(s.site_id), month),
            name: s.site_name.clone(),
            closed: s.closed_at().is_some(),
            undecided: s.reviewed.undecided(),
            meals: s.reviewed.claim.total.meals,
            subsidy: s.reviewed.claim.total.subsidy.to_string(),
            free_meals: s.free_meals_served,
        })
        .collect();
    let here = format!("{CLAIMS_PATH}?month={month}&township={}", township.id.0);
    Ok(TownshipPage {
        page: Page::new(&f.signed, &here),
        previous: previous(month).to_string(),
        next: month.next().to_string(),
        month: month.to_string(),
        township_id: township.id.0,
        township_name: township.name.clone(),
        townships: choices.iter().map(|t| (t.id.0, t.name.clone())).collect(),
        sites,
        totals: Totals::of(t, &claim.totals, None),
        chart: chart_svg(month, &days, t.chart_label),
        free_meals: claim.sites.iter().map(|s| s.free_meals_served).sum(),
    })
}

/// A claimed line that came in late (a late sale or a late void).
pub struct LateRow {
    date: String,
    slot: &'static str,
    diner: String,
    masked: String,
    kind: &'static str,
    meals: i64,
    standard: String,
    paid: String,
    subsidy: String,
}

/// A flagged line with its evidence, its decision and its form.
pub struct FlagRow {
    anchor: String,
    sale_id: String,
    line_index: usize,
    date: String,
    slot: &'static str,
    diner: String,
    masked: String,
    late: bool,
    standard: String,
    paid: String,
    subsidy: String,
    kind: &'static str,
    detail: Option<String>,
    evidence: Vec<(&'static str, String)>,
    decision: Option<DecisionShown>,
    /// What was typed, when the form was refused.
    comment: String,
    error: Option<&'static str>,
}

/// A decision as shown.
pub struct DecisionShown {
    accepted: bool,
    comment: String,
    by: String,
    at: String,
}

fn flag_name(t: &FinanceMessages, flag: &Flag) -> (&'static str, Option<String>) {
    match flag {
        Flag::SecondSubsidisedMeal { .. } => (t.flag_second_meal, None),
        Flag::AteFreeMeal { .. } => (t.flag_free_meal, None),
        Flag::UnknownDiner => (t.flag_unknown_diner, None),
        Flag::NotEligible { reason } => (t.flag_not_eligible, Some(reason.clone())),
        Flag::NoPolicy { reason } => (t.flag_no_policy, Some(reason.clone())),
        Flag::PriceDiffers { .. } => (t.flag_price_differs, None),
        Flag::ExceedsRoster { meals, eligible } => {
            (t.flag_exceeds_roster, Some(format!("{meals} > {eligible}")))
        }
    }
}

/// A refused form, shown again on the month page.
enum Refused {
    /// A decision on one flag: the flag, what was typed, why.
    Decision {
        sale_id: String,
        line_index: usize,
        comment: String,
        error: &'static str,
    },
    /// The close: why.
    Close(String),
}

/// `GET /finance/sites/{id}?month=`: a site's month.
#[derive(Template, WebTemplate)]
#[template(path = "finance/site.html")]
pub struct SitePage {
    page: Page,
    site_id: i64,
    site_name: String,
    township_id: i64,
    township_name: String,
    month: String,
    previous: String,
    next: String,
    closed_at: Option<String>,
    computed_at: String,
    undecided: usize,
    totals: Totals,
    chart: String,
    free_meals: i64,
    late: Vec<LateRow>,
    flags: Vec<FlagRow>,
    flags_error: Option<&'static str>,
    notice: Option<&'static str>,
    close_error: Option<String>,
    exports: Vec<(&'static str, String, &'static str)>,
}

async fn site_page(
    state: &AppState,
    f: &Finance,
    site: &Site,
    c: &MonthClaim,
    notice: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<SitePage, PageError> {
    let lang: Lang = f.signed.lang;
    let t = lang.t().fin;
    let offset = site.utc_offset_minutes;
    let month = c.month;
    let who = |id: i64| c.diners.get(&id);
    let name_of = |id: i64| who(id).map_or_else(|| format!("#{id}"), |d| d.name.clone());
    let masked_of = |id: i64| {
        who(id)
            .and_then(|d| d.resident_id_masked.clone())
            .unwrap_or_default()
    };
    let late = c
        .reviewed
        .claim
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Regular)
        .map(|l| LateRow {
            date: l.business_date.to_string(),
            slot: slot_name(t, l.slot),
            diner: name_of(l.diner_id.0),
            masked: masked_of(l.diner_id.0),
            kind: if l.kind == LineKind::LateVoid {
                t.late_void
            } else {
                t.late_sale
            },
            meals: l.meals,
            standard: l.standard.to_string(),
            paid: l.paid.to_string(),
            subsidy: l.subsidy.to_string(),
        })
        .collect();
    // Names of the township's sites, for free-meal evidence.
    let site_names: HashMap<i64, String> = state
        .store
        .sites(Some(site.township_id))
        .await?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect();
    let (mut close_error, mut refused_flag) = (None, None);
    match refused {
        Some(Refused::Close(message)) => close_error = Some(message),
        Some(Refused::Decision {
            sale_id,
            line_index,
            comment,
            error,
        }) => refused_flag = Some((sale_id, line_index, comment, error)),
        None => {}
    }
    // A refused decision on a line that is not (or no longer) flagged, or
    // of a closed month (its forms are gone): the reason shows above the
    // flags.
    let flags_error = refused_flag
        .as_ref()
        .filter(|r| {
            c.closed_at().is_some()
                || !c
                    .reviewed
                    .flags
                    .iter()
                    .any(|f| f.line.sale_id.to_string() == r.0 && f.line.line_index == r.1)
        })
        .map(|r| r.3);
    let flags = c
        .reviewed
        .flags
        .iter()
        .zip(&c.evidence)
        .map(|(f, e)| {
            let l = &f.line;
            let (kind, detail) = flag_name(t, &l.flag);
            let mut evidence = vec![(
                t.ev_age,
                e.age_on_date
                    .map_or_else(|| t.ev_age_unknown.to_string(), |a| a.to_string()),
            )];
            if let Some(other) = e.other_sale {
                // The sale claimed instead: its short id and when it was sold.
                let id = other.to_string();
                let short = id.get(..8).unwrap_or(&id).to_string();
                let sold = c
                    .reviewed
                    .claim
                    .lines
                    .iter()
                    .find(|l| l.sale_id == other)
                    .map(|l| local_time(l.sold_at, offset));
                evidence.push((
                    t.ev_other_sale,
                    match sold {
                        Some(at) => format!("{short}… {} {at}", t.sold_at),
                        None => format!("{short}…"),
                    },
                ));
            }
            if let Some(free) = &e.free_meal {
                let at = site_names
                    .get(&free.site_id)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", free.site_id));
                evidence.push((t.ev_free_meal, format!("{at} {}", free.date)));
            }
            if let Some(p) = e.expected_paid {
                evidence.push((t.ev_policy_price, p.to_string()));
            }
            if let Some(s) = e.expected_subsidy {
                evidence.push((t.ev_policy_subsidy, s.to_string()));
            }
            let sale_id = l.sale_id.to_string();
            let mine = refused_flag
                .as_ref()
                .filter(|r| r.0 == sale_id && r.1 == l.line_index);
            FlagRow {
                anchor: format!("flag-{}-{}", l.sale_id, l.line_index),
                line_index: l.line_index,
                date: l.business_date.to_string(),
                slot: slot_name(t, l.slot),
                diner: name_of(l.diner_id.0),
                masked: masked_of(l.diner_id.0),
                late: l.late,
                standard: l.standard.to_string(),
                paid: l.paid.to_string(),
                subsidy: l.subsidy.to_string(),
                kind,
                detail,
                evidence,
                decision: f.decision.as_ref().map(|d| DecisionShown {
                    accepted: d.verdict == Verdict::Accept,
                    comment: d.comment.clone(),
                    by: d.decided_by.clone(),
                    at: local_time(d.decided_at, offset),
                }),
                comment: mine.map(|r| r.2.clone()).unwrap_or_default(),
                error: mine.map(|r| r.3),
                sale_id,
            }
        })
        .collect();
    let township = state.store.township(site.township_id).await?;
    let export_href =
        |fmt: &str| format!("/finance/sites/{}/export/{fmt}?month={month}", site.id.0);
    Ok(SitePage {
        page: Page::new(&f.signed, &site_path(site.id, month)),
        site_id: site.id.0,
        site_name: site.name.clone(),
        township_id: site.township_id.0,
        township_name: township.map(|t| t.name).unwrap_or_default(),
        month: month.to_string(),
        previous: previous(month).to_string(),
        next: month.next().to_string(),
        closed_at: c.closed_at().map(|t| local_time(t, offset)),
        computed_at: local_time(c.computed_at, offset),
        undecided: c.reviewed.undecided(),
        totals: Totals::of(
            t,
            &ClaimTotals::of([&c.reviewed.claim]),
            Some(&c.reviewed.accepted),
        ),
        chart: chart_svg(month, &c.reviewed.meals_by_day(), t.chart_label),
        free_meals: c.free_meals_served,
        late,
        flags,
        flags_error,
        notice,
        close_error,
        exports: vec![
            ("export-xlsx", export_href("xlsx"), t.export_xlsx),
            ("export-csv", export_href("csv"), t.export_csv),
            ("export-html", export_href("html"), t.export_html),
        ],
    })
}

/// The site month's query.
#[derive(Debug, Deserialize)]
pub struct SiteQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// `GET /finance/sites/{id}?month=`.
pub async fn site_month(
    State(state): State<AppState>,
    f: Finance,
    Path(id): Path<i64>,
    Query(q): Query<SiteQuery>,
) -> Result<SitePage, PageError> {
    let site = site_in_scope(&state, &f, id).await?;
    let month = month_or_last(q.month.as_deref(), site.utc_offset_minutes)?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now())
        .await
        .map_err(claims_error)?;
    let notice: Option<&'static str> = match q.done.as_deref() {
        Some("decided") => Some(f.signed.lang.t().fin.decided),
        Some("closed") => Some(f.signed.lang.t().fin.closed_done),
        _ => None,
    };
    site_page(&state, &f, &site, &c, notice, None).await
}

fn claims_error(e: ClaimsError) -> PageError {
    let msg: Msg = match e {
        ClaimsError::Store(s) => return s.into(),
        ClaimsError::MonthNotOver(_) => |t| t.fin.err_month_not_over,
        ClaimsError::AlreadyClosed(_) => |t| t.fin.already_closed,
        ClaimsError::Closed(_) => |t| t.fin.err_month_closed,
        ClaimsError::NotFlagged { .. } => |t| t.fin.err_not_flagged,
        ClaimsError::BeyondCalendar(_) | ClaimsError::NotClosed(_) => |t| t.fin.err_bad_month,
        ClaimsError::Undecided(_) => |t| t.fin.err_undecided,
        ClaimsError::BadText(_) => |t| t.fin.err_comment_missing,
        ClaimsError::NeedsPerson(_) => return PageError::forbidden(|t| t.err_forbidden),
        ClaimsError::Interrupted => {
            return PageError::new(StatusCode::SERVICE_UNAVAILABLE, |t| t.busy);
        }
    };
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// Who acts, as the audit log names them (as the API does).
fn actor(f: &Finance) -> Actor {
    let user = &f.signed.person.user;
    Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
    }
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    month: String,
    sale_id: String,
    line_index: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    comment: String,
}

/// `POST /finance/sites/{id}/decide`: accept or reject a flagged line with
/// a comment (the claims service checks and audits it). Sent twice, the
/// same decision is stored once.
pub async fn decide(
    State(state): State<AppState>,
    f: Finance,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let site = site_in_scope(&state, &f, id).await?;
    let month: YearMonth = form.month.trim().parse().map_err(|_| bad_month())?;
    let sale_id = form
        .sale_id
        .trim()
        .parse::<uuid::Uuid>()
        .map(SaleId)
        .map_err(|_| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, |t| t.fin.err_not_flagged))?;
    let line_index: usize =
        form.line_index.trim().parse().map_err(|_| {
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, |t| t.fin.err_not_flagged)
        })?;
    let t = f.signed.lang.t().fin;
    let refuse = async |c: &MonthClaim, error: &'static str| -> Result<Response, PageError> {
        let refused = Refused::Decision {
            sale_id: sale_id.to_string(),
            line_index,
            comment: form.comment.clone(),
            error,
        };
        let page = site_page(&state, &f, &site, c, None, Some(refused)).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let c = claims::site_claim(&state.store, &site, month, Utc::now())
        .await
        .map_err(claims_error)?;
    let verdict = match form.verdict.as_str() {
        "accept" => Verdict::Accept,
        "reject" => Verdict::Reject,
        _ => return refuse(&c, t.err_verdict).await,
    };
    let comment = form.comment.trim();
    let done = Redirect::to(&format!(
        "{}&done=decided#flag-{sale_id}-{line_index}",
        site_path(site.id, month)
    ));
    // The same decision again (a second click, a resent form): done already.
    let same = c.reviewed.flags.iter().any(|fl| {
        fl.line.sale_id == sale_id
            && fl.line.line_index == line_index
            && fl
                .decision
                .as_ref()
                .is_some_and(|d| d.verdict == verdict && d.comment == comment)
    });
    if same {
        return Ok(done.into_response());
    }
    let request = DecisionRequest {
        sale_id,
        line_index,
        verdict,
        comment: form.comment.clone(),
    };
    match claims::decide(&state.store, &site, month, &request, &actor(&f)).await {
        Ok(_) => Ok(done.into_response()),
        Err(ClaimsError::BadText(_)) => {
            let error = if comment.is_empty() {
                t.err_comment_missing
            } else if comment.chars().count() > 500 {
                t.err_comment_long
            } else {
                t.err_comment_control
            };
            refuse(&c, error).await
        }
        Err(ClaimsError::NotFlagged { .. }) => refuse(&c, t.err_not_flagged).await,
        Err(ClaimsError::Closed(_)) => refuse(&c, t.err_month_closed).await,
        Err(e) => Err(claims_error(e)),
    }
}

/// The close form.
#[derive(Debug, Deserialize)]
pub struct CloseForm {
    month: String,
}

/// `POST /finance/sites/{id}/close`: closes the month; refused, with the
/// reason on the month page, while flags wait or before its last day.
/// Sent twice, the second finds it closed and shows it.
pub async fn close(
    State(state): State<AppState>,
    f: Finance,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Result<Response, PageError> {
    let site = site_in_scope(&state, &f, id).await?;
    let month: YearMonth = form.month.trim().parse().map_err(|_| bad_month())?;
    let t = f.signed.lang.t().fin;
    let done = Redirect::to(&format!("{}&done=closed", site_path(site.id, month)));
    let message = match claims::close_month(&state.store, &site, month, &actor(&f)).await {
        Ok(_) | Err(ClaimsError::AlreadyClosed(_)) => return Ok(done.into_response()),
        Err(ClaimsError::Undecided(n)) => format!("{}{n}", t.err_undecided),
        Err(ClaimsError::MonthNotOver(_)) => t.err_month_not_over.to_string(),
        Err(e) => return Err(claims_error(e)),
    };
    let c = claims::site_claim(&state.store, &site, month, Utc::now())
        .await
        .map_err(claims_error)?;
    let page = site_page(&state, &f, &site, &c, None, Some(Refused::Close(message))).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `GET /finance/sites/{id}/export/{format}?month=`: the claim's XLSX, CSV
/// or printable form with the page session (the API's export takes a
/// bearer token); the same bytes as the API's.
pub async fn export_claim(
    State(state): State<AppState>,
    f: Finance,
    Path((id, format)): Path<(i64, String)>,
    Query(q): Query<SiteQuery>,
) -> Result<Response, PageError> {
    let site = site_in_scope(&state, &f, id).await?;
    let month = month_or_last(q.month.as_deref(), site.utc_offset_minutes)?;
    let c = claims::site_claim(&state.store, &site, month, Utc::now())
        .await
        .map_err(claims_error)?;
    let file = export::file(&c, &format)
        .map_err(PageError::internal)?
        .ok_or_else(PageError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_string()),
            (header::CONTENT_DISPOSITION, file.disposition),
        ],
        file.bytes,
    )
        .into_response())
}

/// A shift's figures as shown.
pub struct ShiftRow {
    terminal: String,
    cashier: String,
    opened: String,
    closed: Option<String>,
    float: String,
    counted: Option<String>,
    expected_at_close: String,
    difference_at_close: Option<(String, bool)>,
    expected_now: String,
    difference_now: Option<(String, bool)>,
    late: Vec<(&'static str, String, String)>,
}

/// `GET /finance/shifts?site=&from=&to=`.
#[derive(Template, WebTemplate)]
#[template(path = "finance/shifts.html")]
pub struct ShiftsPage {
    page: Page,
    sites: Vec<(i64, String)>,
    site_id: i64,
    from: String,
    to: String,
    error: Option<&'static str>,
    shifts: Vec<ShiftRow>,
}

/// The shift check's query.
#[derive(Debug, Deserialize)]
pub struct ShiftQuery {
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn difference(m: Option<Money>) -> Option<(String, bool)> {
    m.map(|m| (m.to_string(), m != Money::ZERO))
}

/// `GET /finance/shifts`.
pub async fn shifts(
    State(state): State<AppState>,
    f: Finance,
    Query(q): Query<ShiftQuery>,
) -> Result<Response, PageError> {
    let in_scope = state.store.sites(f.township).await?;
    let site = match q.site.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => {
            let id = text.parse::<i64>().map_err(|_| out_of_scope())?;
            site_in_scope(&state, &f, id).await?
        }
        None => match in_scope
            .iter()
            .find(|s| s.kind == crate::domain::SiteKind::Canteen)
            .or(in_scope.first())
        {
            Some(s) => s.clone(),
            // No site yet: the page, with nothing to show.
            None => {
                let today = local_date(Utc::now(), 480).to_string();
                let page = ShiftsPage {
                    page: Page::new(&f.signed, SHIFTS_PATH),
                    sites: Vec::new(),
                    site_id: 0,
                    from: today.clone(),
                    to: today,
                    error: None,
                    shifts: Vec::new(),
                };
                return Ok(page.into_response());
            }
        },
    };
    let offset = site.utc_offset_minutes;
    let today = local_date(Utc::now(), offset);
    let pick = |text: Option<&str>, default: NaiveDate| match text
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => s.parse::<NaiveDate>().map_err(|_| s.to_string()),
        None => Ok(default),
    };
    let from = pick(q.from.as_deref(), today.with_day(1).unwrap_or(today));
    let to = pick(q.to.as_deref(), today);
    let here = format!(
        "{SHIFTS_PATH}?site={}&from={}&to={}",
        site.id.0,
        super::session::encode_component(q.from.as_deref().unwrap_or("")),
        super::session::encode_component(q.to.as_deref().unwrap_or(""))
    );
    let mut page = ShiftsPage {
        page: Page::new(&f.signed, &here),
        sites: in_scope.iter().map(|s| (s.id.0, s.name.clone())).collect(),
        site_id: site.id.0,
        from: from.clone().map(|d| d.to_string()).unwrap_or_else(|s| s),
        to: to.clone().map(|d| d.to_string()).unwrap_or_else(|s| s),
        error: None,
        shifts: Vec::new(),
    };
    let (Ok(from), Ok(to)) = (from, to) else {
        page.error = Some(f.signed.lang.t().fin.err_range);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let checks = match checks::shift_checks(&state.store, &site, from, to).await {
        Ok(c) => c,
        Err(CheckError::BadRange) => {
            page.error = Some(f.signed.lang.t().fin.err_range);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(check_error(e)),
    };
    let terminals: HashMap<i64, String> = state
        .store
        .terminals(site.id)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t.name))
        .collect();
    let users: HashMap<i64, String> = state
        .store
        .users(Some(site.township_id))
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.display_name))
        .collect();
    let t = f.signed.lang.t().fin;
    page.shifts = checks
        .iter()
        .map(|s: &ShiftCheck| ShiftRow {
            terminal: terminals
                .get(&s.terminal_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", s.terminal_id)),
            cashier: users
                .get(&s.cashier_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", s.cashier_id)),
            opened: local_time(s.opened_at, offset),
            closed: s.closed_at.map(|c| local_time(c, offset)),
            float: s.opening_float.to_string(),
            counted: s.counted_cash.map(|m| m.to_string()),
            expected_at_close: s.at_close.expected_cash.to_string(),
            difference_at_close: difference(s.at_close.difference),
            expected_now: s.now.expected_cash.to_string(),
            difference_now: difference(s.now.difference),
            late: s
                .late
                .iter()
                .map(|l| {
                    let kind = if l.kind == "void" {
                        t.late_void
                    } else {
                        t.late_sale
                    };
                    (kind, local_time(l.received_at, offset), l.cash.to_string())
                })
                .collect(),
        })
        .collect();
    Ok(page.into_response())
}

fn check_error(e: CheckError) -> PageError {
    match e {
        CheckError::Store(s) => s.into(),
        CheckError::BadRange => {
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, |t| t.fin.err_range)
        }
        CheckError::BadRule => PageError::new(StatusCode::UNPROCESSABLE_ENTITY, |t| t.fin.err_days),
    }
}

/// A diner of the welfare list (masked ID number only).
pub struct WelfareRow {
    name: String,
    masked: String,
    village: String,
    meals: u32,
    last_meal: String,
    days_absent: i64,
}

/// `GET /finance/welfare?days=&township=`.
#[derive(Template, WebTemplate)]
#[template(path = "finance/welfare.html")]
pub struct WelfarePage {
    page: Page,
    township_id: i64,
    township_name: String,
    townships: Vec<(i64, String)>,
    days: String,
    error: Option<&'static str>,
    diners: Vec<WelfareRow>,
}

/// The welfare list's query.
#[derive(Debug, Deserialize)]
pub struct WelfareQuery {
    #[serde(default)]
    days: Option<String>,
    #[serde(default)]
    township: Option<String>,
}

/// `GET /finance/welfare`.
pub async fn welfare(
    State(state): State<AppState>,
    f: Finance,
    Query(q): Query<WelfareQuery>,
) -> Result<Response, PageError> {
    let (township, choices) = township_in_scope(&state, &f, q.township.as_deref()).await?;
    let typed = q.days.clone().unwrap_or_else(|| "3".into());
    let here = format!(
        "{WELFARE_PATH}?days={}&township={}",
        super::session::encode_component(&typed),
        township.id.0
    );
    let mut page = WelfarePage {
        page: Page::new(&f.signed, &here),
        township_id: township.id.0,
        township_name: township.name.clone(),
        townships: choices.iter().map(|t| (t.id.0, t.name.clone())).collect(),
        days: typed.clone(),
        error: None,
        diners: Vec::new(),
    };
    let days = typed
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=30).contains(d));
    let Some(days) = days else {
        page.error = Some(f.signed.lang.t().fin.err_days);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let view = checks::welfare(&state.store, &township, days, 8, Utc::now())
        .await
        .map_err(check_error)?;
    page.diners = view
        .diners
        .into_iter()
        .map(|d| WelfareRow {
            name: d.name,
            masked: d.resident_id_masked.unwrap_or_default(),
            village: d.village.unwrap_or_default(),
            meals: d.meals_last_30_days,
            last_meal: d.last_meal.to_string(),
            days_absent: d.days_absent,
        })
        .collect();
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_a_bar_per_day_scaled_to_the_busiest() {
        let month: YearMonth = "2026-02".parse().unwrap();
        let mut days = BTreeMap::new();
        days.insert(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(), 4);
        days.insert(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(), 2);
        let svg = chart_svg(month, &days, "a <chart>");
        assert_eq!(svg.matches("<rect").count(), 28);
        assert!(
            svg.contains(
                r#"data-date="2026-02-03" data-meals="4" x="56" y="20" width="9" height="106""#
            ),
            "{svg}"
        );
        assert!(
            svg.contains(r#"data-date="2026-02-28" data-meals="2""#)
                && svg.contains(r#"height="53""#)
        );
        assert!(svg.contains(r#"aria-label="a &lt;chart&gt;""#));
        // An empty month draws empty bars, no division by zero.
        let empty = chart_svg(month, &BTreeMap::new(), "x");
        assert_eq!(empty.matches(r#"height="0""#).count(), 28);
    }
}
