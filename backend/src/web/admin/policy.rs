//! A site's price policy: the version in force and its history, a table of
//! what each bracket (and category) pays per slot, and a new version with
//! its effective date. canteen-core checks the policy (prices between zero
//! and the standard, brackets contiguous, shares adding up).

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use canteen_core::policy::AgeBracket;
use canteen_core::{Money, PricePolicy, PricePolicyDraft, SiteId, Slot};
use serde::Deserialize;

use super::{Words, date_field, field, fill, frame};
use crate::domain::policy_book;
use crate::http::admin::site_in_scope;
use crate::http::roster::{add_policy, today};
use crate::http::{ApiError, AppState};
use crate::store::Site;
use crate::web::guard::Admin;
use crate::web::{Page, PageError};

/// A line of the price table: who, and what they pay per slot.
pub struct PriceLine {
    label: String,
    ages: String,
    prices: Vec<String>,
}

/// A line of the new-version form: its key prefix, label, and the prices
/// as typed per slot.
pub struct FormLine {
    label: String,
    prices: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/policy.html")]
pub struct PolicyPage {
    page: Page,
    w: &'static Words,
    sites: Vec<Site>,
    site: Option<Site>,
    slots: Vec<&'static str>,
    in_force_title: Option<String>,
    shown_title: Option<String>,
    table: Vec<PriceLine>,
    history: Vec<String>,
    form: Vec<FormLine>,
    effective_from: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The policy page's query.
#[derive(Debug, Deserialize)]
pub struct PolicyQuery {
    #[serde(default)]
    site: Option<i64>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

fn slot_name(w: &Words, slot: Slot) -> &'static str {
    match slot {
        Slot::Breakfast => w.slot_breakfast,
        Slot::Lunch => w.slot_lunch,
        Slot::Dinner => w.slot_dinner,
    }
}

fn yuan(prices: &BTreeMap<Slot, Money>, slot: Slot) -> String {
    prices.get(&slot).map(|m| m.to_string()).unwrap_or_default()
}

fn ages(b: &AgeBracket) -> String {
    match b.max_age {
        Some(max) => format!("{}–{max}", b.min_age),
        None => format!("{}+", b.min_age),
    }
}

/// The table of a policy: the standard price, each bracket, each category.
fn table(w: &Words, p: &PricePolicyDraft) -> Vec<PriceLine> {
    let line = |label: String, ages: String, prices: &BTreeMap<Slot, Money>| PriceLine {
        label,
        ages,
        prices: Slot::ALL.iter().map(|s| yuan(prices, *s)).collect(),
    };
    let mut lines = vec![line(
        w.standard_price.to_string(),
        String::new(),
        &p.standard,
    )];
    lines.extend(
        p.brackets
            .iter()
            .map(|b| line(b.name.clone(), ages(b), &b.prices)),
    );
    lines.extend(
        p.categories
            .iter()
            .map(|c| line(format!("{} ({})", c.name, c.code), String::new(), &c.prices)),
    );
    lines
}

/// The form lines of a draft (the base of a new version).
fn form_lines(w: &Words, p: &PricePolicyDraft) -> Vec<FormLine> {
    let line = |key: String, label: String, prices: &BTreeMap<Slot, Money>| FormLine {
        label,
        prices: Slot::ALL
            .iter()
            .map(|s| (format!("{key}_{}", s.as_str()), yuan(prices, *s)))
            .collect(),
    };
    let mut lines = vec![line(
        "std".into(),
        w.standard_price.to_string(),
        &p.standard,
    )];
    lines.extend(p.brackets.iter().enumerate().map(|(i, b)| {
        // "60-69" needs no "(60–69)" after it.
        let label = if b.name.replace('-', "–") == ages(b) {
            b.name.clone()
        } else {
            format!("{} ({})", b.name, ages(b))
        };
        line(format!("b{i}"), label, &b.prices)
    }));
    lines.extend(p.categories.iter().enumerate().map(|(i, c)| {
        line(
            format!("c{i}"),
            format!("{} ({})", c.name, c.code),
            &c.prices,
        )
    }));
    lines
}

/// The base of a site's first version: the usual brackets, no prices.
fn blank_draft(site: SiteId) -> PricePolicyDraft {
    let bracket = |name: &str, min_age, max_age| AgeBracket {
        name: name.into(),
        min_age,
        max_age,
        prices: BTreeMap::new(),
    };
    PricePolicyDraft {
        site_id: site,
        effective_from: today(),
        standard: BTreeMap::new(),
        brackets: vec![
            bracket("60-69", 60, Some(69)),
            bracket("70-79", 70, Some(79)),
            bracket("80-89", 80, Some(89)),
            bracket("90+", 90, None),
        ],
        categories: Vec::new(),
        funding: Vec::new(),
    }
}

async fn policy_page(
    state: &AppState,
    a: &Admin,
    q: &PolicyQuery,
) -> Result<(PolicyPage, Option<PricePolicyDraft>), PageError> {
    let sites: Vec<Site> = state
        .store
        .sites(a.township)
        .await?
        .into_iter()
        .filter(|s| a.signed.person.sees_site(s))
        .collect();
    let here = q.site.map_or_else(
        || "/admin/policy".to_string(),
        |s| format!("/admin/policy?site={s}"),
    );
    let (page, w) = frame(a, &here);
    let mut out = PolicyPage {
        page,
        w,
        slots: Slot::ALL.iter().map(|s| slot_name(w, *s)).collect(),
        sites,
        site: None,
        in_force_title: None,
        shown_title: None,
        table: Vec::new(),
        history: Vec::new(),
        form: Vec::new(),
        effective_from: String::new(),
        error: None,
        notice: (q.done.is_some()).then_some(w.policy_saved),
    };
    let site = match q.site {
        Some(id) => site_in_scope(state, &a.signed.person, SiteId(id)).await?,
        None => match out.sites.first() {
            Some(s) => s.clone(),
            None => return Ok((out, None)),
        },
    };
    let book =
        policy_book(&state.store.policies_since(site.id, 0).await?).map_err(ApiError::from)?;
    let versions: Vec<&PricePolicy> = book
        .versions()
        .iter()
        .filter(|p| p.site_id() == site.id)
        .collect();
    let today = today();
    let in_force = versions
        .iter()
        .rev()
        .find(|p| p.effective_from() <= today)
        .copied();
    let shown = match q.version.as_deref().map(date_field) {
        Some(Ok(Some(d))) => versions
            .iter()
            .find(|p| p.effective_from() == d)
            .copied()
            .ok_or_else(PageError::not_found)?,
        Some(_) => {
            return Err(PageError::new(StatusCode::BAD_REQUEST, |t| {
                t.err_bad_request
            }));
        }
        None => match in_force.or_else(|| versions.last().copied()) {
            Some(p) => p,
            None => {
                out.form = form_lines(w, &blank_draft(site.id));
                out.site = Some(site);
                return Ok((out, None));
            }
        },
    };
    out.in_force_title =
        in_force.map(|p| fill(w.policy_in_force, &[("d", &p.effective_from().to_string())]));
    out.shown_title = Some(format!("{} {}", w.effective_from, shown.effective_from()));
    out.table = table(w, shown.as_draft());
    out.history = versions
        .iter()
        .map(|p| p.effective_from().to_string())
        .collect();
    let base = versions.last().map(|p| p.as_draft().clone());
    out.form = form_lines(w, base.as_ref().unwrap_or(shown.as_draft()));
    out.site = Some(site);
    Ok((out, base))
}

/// `GET /admin/policy?site=…&version=…`.
pub async fn show(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<PolicyQuery>,
) -> Result<PolicyPage, PageError> {
    Ok(policy_page(&state, &a, &q).await?.0)
}

/// Reads the prices of one line of the form.
fn prices_of(form: &[(String, String)], key: &str, bad: &mut Vec<String>) -> BTreeMap<Slot, Money> {
    let mut prices = BTreeMap::new();
    for slot in Slot::ALL {
        let text = field(form, &format!("{key}_{}", slot.as_str())).trim();
        if text.is_empty() {
            continue;
        }
        match Money::parse(text) {
            Ok(m) => {
                prices.insert(slot, m);
            }
            Err(_) => bad.push(text.chars().take(20).collect()),
        }
    }
    prices
}

/// `POST /admin/policy?site=…`: a new version from the latest (its
/// brackets, categories and funding), with the prices and date typed.
pub async fn create(
    State(state): State<AppState>,
    a: Admin,
    Query(q): Query<PolicyQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let site_id = q
        .site
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, |t| t.err_bad_request))?;
    let (mut page, base) = policy_page(&state, &a, &q).await?;
    let w = page.w;
    let mut draft = base.unwrap_or_else(|| blank_draft(SiteId(site_id)));
    let mut bad = Vec::new();
    draft.standard = prices_of(&form, "std", &mut bad);
    for (i, b) in draft.brackets.iter_mut().enumerate() {
        b.prices = prices_of(&form, &format!("b{i}"), &mut bad);
    }
    for (i, c) in draft.categories.iter_mut().enumerate() {
        c.prices = prices_of(&form, &format!("c{i}"), &mut bad);
    }
    let effective = field(&form, "effective_from");
    page.effective_from = effective.to_string();
    // What was typed goes back into the form if it is refused.
    page.form = form_lines(w, &draft);
    for line in &mut page.form {
        for (key, value) in &mut line.prices {
            *value = field(&form, key).to_string();
        }
    }
    let refuse = |mut page: PolicyPage, error: String| {
        page.error = Some(error);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if !bad.is_empty() {
        return refuse(page, format!("{}{}", w.err_money, bad.join(", ")));
    }
    match date_field(effective) {
        Ok(Some(d)) => draft.effective_from = d,
        _ => return refuse(page, w.err_date.to_string()),
    }
    draft.site_id = SiteId(site_id);
    let policy = match PricePolicy::try_from(draft) {
        Ok(p) => p,
        Err(e) => return refuse(page, format!("{}{e}", w.err_policy)),
    };
    match add_policy(&state, &a.signed.person, SiteId(site_id), &policy).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/policy?site={site_id}&done=1")).into_response()),
        Err(ApiError::Invalid(_, m)) => refuse(page, format!("{}{m}", w.err_policy)),
        Err(e) => Err(e.into()),
    }
}
