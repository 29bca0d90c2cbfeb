//! Free-meal days at Happiness Commune sites: recorded once by a client-made
//! id (a form sent twice records once), corrected by their author within 7
//! days as a new version (the old one kept), every version audited.

use canteen_core::sale::FreeMealDay;
use canteen_core::{DinerId, FreeMealId};
use chrono::{NaiveDate, Utc};

use crate::auth::sha256_hex;
use crate::domain::local_date;
use crate::ingest::canonical;
use crate::roles::{Person, Role};
use crate::store::finance::{FreeMealRow, FreeMealToStore};
use crate::store::{Actor, AuditEntry, Db, Outcome, Site, StoreError};

/// How many days back an author may correct their own entries.
pub const CORRECTION_DAYS: i64 = 7;

/// Why a free-meal day cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum FreeMealError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// The id is taken by other content.
    #[error("{0}")]
    Conflict(String),
    /// Not this person's to change.
    #[error("{0}")]
    Forbidden(String),
    /// No such record in scope.
    #[error("no such free-meal day")]
    NotFound,
}

/// What became of a recorded day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored as a new version.
    Stored,
    /// The same content was already stored: nothing changed.
    Unchanged,
}

async fn check(
    store: &Db,
    site: &Site,
    day: &FreeMealDay,
    today: NaiveDate,
) -> Result<FreeMealToStore, FreeMealError> {
    if site.kind != crate::domain::SiteKind::Commune {
        return Err(FreeMealError::Invalid(
            "free-meal days are recorded at Happiness Commune sites, not at a canteen".into(),
        ));
    }
    if day.site_id != site.id {
        return Err(FreeMealError::Invalid(format!(
            "site_id {} does not match the site {} in the address",
            day.site_id, site.id
        )));
    }
    day.validate()
        .map_err(|e| FreeMealError::Invalid(e.to_string()))?;
    if day.date > today {
        return Err(FreeMealError::Invalid(format!(
            "the date {} is in the future (today is {today})",
            day.date
        )));
    }
    for v in &day.volunteers {
        if v.trim().is_empty() || v.chars().count() > 100 {
            return Err(FreeMealError::Invalid(
                "a volunteer's name must be 1 to 100 characters".into(),
            ));
        }
    }
    for (i, d) in day.donations.iter().enumerate() {
        if d.item.trim().is_empty()
            || d.item.chars().count() > 100
            || d.quantity.chars().count() > 100
        {
            return Err(FreeMealError::Invalid(format!(
                "donation {}: needs an item (at most 100 characters)",
                i + 1
            )));
        }
    }
    for (i, p) in day.purchases.iter().enumerate() {
        if p.item.chars().count() > 100 || p.paid_by.chars().count() > 100 {
            return Err(FreeMealError::Invalid(format!(
                "purchase {}: item and payer take at most 100 characters",
                i + 1
            )));
        }
    }
    if day.diners.len() > 1000 || day.purchases.len() > 200 || day.donations.len() > 200 {
        return Err(FreeMealError::Invalid(
            "too many diners, purchases or donations for one meal".into(),
        ));
    }
    let ids: Vec<DinerId> = day.diners.clone();
    let found = store.diners_by_ids(site.township_id, ids.clone()).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|r| r.id == **id)) {
        return Err(FreeMealError::Invalid(format!(
            "diner {missing} is not on this township's roster"
        )));
    }
    let purchases_total = day
        .purchases
        .iter()
        .try_fold(canteen_core::Money::ZERO, |sum, p| sum.checked_add(p.cost))
        .ok_or_else(|| FreeMealError::Invalid("purchase costs are too large".into()))?;
    let body = canonical(day);
    Ok(FreeMealToStore {
        day: day.clone(),
        township_id: site.township_id,
        eaten: i64::from(day.eaten()),
        purchases_total,
        donations: i64::try_from(day.donations.len())
            .map_err(|_| FreeMealError::Invalid("too many donations for one meal".into()))?,
        content_hash: sha256_hex(&body),
        body,
    })
}

fn actor(person: &Person) -> Actor {
    Actor {
        user_id: Some(person.user.id),
        name: person.user.username.clone(),
    }
}

/// Records a new free-meal day. The same day sent again is `Unchanged`; its
/// id with other content is a conflict (corrections go through [`correct`]).
pub async fn record(
    store: &Db,
    person: &Person,
    site: &Site,
    day: &FreeMealDay,
) -> Result<Recorded, FreeMealError> {
    let today = local_date(Utc::now(), site.utc_offset_minutes);
    let f = check(store, site, day, today).await?;
    let audit = AuditEntry {
        actor: actor(person),
        township_id: Some(site.township_id),
        action: "free_meal.record".into(),
        entity: "free_meal_day".into(),
        entity_id: day.id.to_string(),
        before: None,
        after: Some(f.body.clone()),
    };
    match store
        .insert_free_meal(f, 1, person.user.id, person.user.id, audit)
        .await?
    {
        Outcome::Stored => Ok(Recorded::Stored),
        Outcome::Duplicate => Ok(Recorded::Unchanged),
        _ => {
            let latest = store.free_meal_versions(day.id).await?;
            let same = latest
                .last()
                .is_some_and(|r| r.content_hash == sha256_hex(&canonical(day)));
            if same {
                Ok(Recorded::Unchanged)
            } else {
                Err(FreeMealError::Conflict(
                    "a free-meal day with this id is already recorded with other content; to correct it, send PUT /api/free-meals/{id}".into(),
                ))
            }
        }
    }
}

/// The versions of a day the person may see, oldest first.
pub async fn versions(
    store: &Db,
    person: &Person,
    id: FreeMealId,
) -> Result<(Site, Vec<FreeMealRow>), FreeMealError> {
    let rows = store.free_meal_versions(id).await?;
    let first = rows.first().ok_or(FreeMealError::NotFound)?;
    let site = store
        .site(first.site_id)
        .await?
        .filter(|s| person.sees_site(s))
        .ok_or(FreeMealError::NotFound)?;
    Ok((site, rows))
}

/// Corrects a day: a new version, by its author (or an administrator),
/// for days of the last [`CORRECTION_DAYS`] days.
pub async fn correct(
    store: &Db,
    person: &Person,
    id: FreeMealId,
    day: &FreeMealDay,
) -> Result<(Recorded, i64), FreeMealError> {
    let (site, rows) = versions(store, person, id).await?;
    let (Some(first), Some(latest)) = (rows.first(), rows.last()) else {
        return Err(FreeMealError::NotFound);
    };
    if day.id != id {
        return Err(FreeMealError::Invalid(
            "the id in the body differs from the one in the address".into(),
        ));
    }
    let is_author = first.author_id == person.user.id;
    if !(is_author || person.role == Role::Admin) {
        return Err(FreeMealError::Forbidden(
            "only the volunteer who recorded this day (or an administrator) may correct it".into(),
        ));
    }
    let today = local_date(Utc::now(), site.utc_offset_minutes);
    let oldest = today - chrono::Duration::days(CORRECTION_DAYS);
    let stored_date = latest.date;
    if person.role != Role::Admin && (stored_date < oldest || day.date < oldest) {
        return Err(FreeMealError::Invalid(format!(
            "only days of the last {CORRECTION_DAYS} days (from {oldest}) can be corrected; ask an administrator"
        )));
    }
    let f = check(store, &site, day, today).await?;
    if f.content_hash == latest.content_hash {
        return Ok((Recorded::Unchanged, latest.version));
    }
    let version = latest.version + 1;
    let audit = AuditEntry {
        actor: actor(person),
        township_id: Some(site.township_id),
        action: "free_meal.correct".into(),
        entity: "free_meal_day".into(),
        entity_id: id.to_string(),
        before: Some(latest.body.clone()),
        after: Some(f.body.clone()),
    };
    match store
        .insert_free_meal(f, version, first.author_id, person.user.id, audit)
        .await?
    {
        Outcome::Stored => Ok((Recorded::Stored, version)),
        Outcome::Duplicate => Ok((Recorded::Unchanged, version)),
        _ => Err(FreeMealError::Conflict(
            "someone else corrected this day at the same moment; reload it and try again".into(),
        )),
    }
}
