//! Between the stored rows and the core's domain types: diners, policies,
//! and the API's input and output shapes for them.

use canteen_core::{CategoryGrant, Diner, PolicyBook, PricePolicy, ResidentId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::store::{DinerFields, DinerRow, PolicyRow};
use crate::text::check_text;

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    /// The township canteen.
    Canteen,
    /// A village Happiness Commune.
    Commune,
}

/// A word that names no kind of site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a kind of site: a site's kind is 'canteen' or 'commune'")]
pub struct UnknownSiteKind(pub String);

impl SiteKind {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Canteen => "canteen",
            SiteKind::Commune => "commune",
        }
    }
}

impl std::str::FromStr for SiteKind {
    type Err = UnknownSiteKind;
    fn from_str(s: &str) -> Result<SiteKind, UnknownSiteKind> {
        match s {
            "canteen" => Ok(SiteKind::Canteen),
            "commune" => Ok(SiteKind::Commune),
            other => Err(UnknownSiteKind(other.into())),
        }
    }
}

impl TryFrom<String> for SiteKind {
    type Error = UnknownSiteKind;
    fn try_from(s: String) -> Result<SiteKind, UnknownSiteKind> {
        s.parse()
    }
}

/// No canteen subsidised meals before this year: an earlier registration
/// date is a typing mistake.
const REGISTRATION_EARLIEST_YEAR: i32 = 2000;
/// How far ahead a registration may be entered.
const REGISTRATION_DAYS_AHEAD: u64 = 366;

/// A diner as written by an administrator or read from the ledger.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DinerInput {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Resident ID number (18 characters), when known; empty for none.
    #[serde(default)]
    #[schema(pattern = r"^\s*([0-9]{17}[0-9Xx])?\s*$")]
    pub resident_id: Option<String>,
    /// Birth date, for diners without an ID number.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Village.
    #[serde(default)]
    pub village: Option<String>,
    /// Meal-card number.
    #[serde(default)]
    pub card_no: Option<String>,
    /// Registered on the roster from this date (YYYY-MM-DD): meals before
    /// it are not subsidised. When left out: on creation, today in the
    /// township's time zone; on an update, the stored date is kept.
    #[serde(default)]
    pub active_from: Option<NaiveDate>,
    /// Inactive from this date.
    #[serde(default)]
    pub inactive_since: Option<NaiveDate>,
    /// Categories held, with their periods.
    #[serde(default)]
    pub categories: Vec<CategoryGrant>,
}

impl DinerInput {
    /// Checks the input; `today` bounds birth and registration dates and is
    /// the registration date when none is given.
    pub fn into_fields(self, today: NaiveDate) -> Result<DinerFields, String> {
        check_text("the name", &self.name)?;
        for (what, text) in [
            ("the ID number", &self.resident_id),
            ("the village", &self.village),
            ("the card number", &self.card_no),
        ] {
            if let Some(text) = text {
                check_text(what, text)?;
            }
        }
        for g in &self.categories {
            check_text("a category code", &g.category.0)?;
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err("a diner needs a name".into());
        }
        if name.chars().count() > 100 {
            return Err("the name is longer than 100 characters".into());
        }
        let resident_id = match self.resident_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                ResidentId::parse_as_of(text, today)
                    .map_err(|e| format!("ID number: {e}"))?
                    .as_str()
                    .to_string(),
            ),
        };
        if let Some(b) = self.birth_date
            && b > today
        {
            return Err(format!("the birth date {b} is in the future"));
        }
        if let Some(b) = self.birth_date
            && chrono::Datelike::year(&b) < canteen_core::resident_id::EARLIEST_BIRTH_YEAR
        {
            return Err(format!(
                "the birth date {b} is before {}: check for a typing mistake",
                canteen_core::resident_id::EARLIEST_BIRTH_YEAR
            ));
        }
        let active_from = self.active_from.unwrap_or(today);
        if chrono::Datelike::year(&active_from) < REGISTRATION_EARLIEST_YEAR {
            return Err(format!(
                "the registration date {active_from} is before {REGISTRATION_EARLIEST_YEAR}: check for a typing mistake"
            ));
        }
        if active_from > today + chrono::Days::new(REGISTRATION_DAYS_AHEAD) {
            return Err(format!(
                "the registration date {active_from} is more than a year ahead: check for a typing mistake"
            ));
        }
        for g in &self.categories {
            if g.category.0.trim().is_empty() {
                return Err("a category needs a code".into());
            }
            if g.until.is_some_and(|u| u < g.from) {
                return Err(format!("category {}: it ends before it starts", g.category));
            }
        }
        let clean = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Ok(DinerFields {
            name,
            resident_id,
            birth_date: self.birth_date,
            village: clean(self.village),
            card_no: clean(self.card_no),
            active_from: Some(active_from),
            inactive_since: self.inactive_since,
            categories: self.categories,
        })
    }
}

/// The core diner of a stored row.
pub fn diner_from_row(row: &DinerRow) -> Result<Diner, String> {
    let resident_id = row
        .resident_id
        .as_deref()
        .map(ResidentId::parse)
        .transpose()
        .map_err(|e| format!("diner {}: {e}", row.id))?;
    Ok(Diner {
        id: row.id,
        name: row.name.clone(),
        resident_id,
        birth_date: row.birth_date,
        village: row.village.clone(),
        card_no: row.card_no.clone(),
        active_from: row.active_from,
        inactive_since: row.inactive_since,
        categories: row.categories.clone(),
    })
}

/// A diner as the office sees it: the ID number masked, and the birth year
/// and age instead of the birth date (a masked number beside the full
/// birth date narrows it to a handful of candidates).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DinerView {
    /// Id.
    pub id: i64,
    /// Township.
    pub township_id: i64,
    /// Name.
    pub name: String,
    /// ID number with all but the first 6 and last 2 characters hidden.
    pub resident_id_masked: Option<String>,
    /// Birth year (from the ID number when given).
    pub birth_year: Option<i32>,
    /// Completed years today.
    pub age: Option<u32>,
    /// Village.
    pub village: Option<String>,
    /// Meal-card number.
    pub card_no: Option<String>,
    /// Registered on the roster from (meals before it are not subsidised);
    /// null for a diner stored before registration dates were kept: no limit.
    pub active_from: Option<NaiveDate>,
    /// Inactive from.
    pub inactive_since: Option<NaiveDate>,
    /// Categories.
    pub categories: Vec<CategoryGrant>,
    /// Roster version of the last change.
    pub version: i64,
}

impl DinerView {
    /// From a stored row; `today` gives the age.
    pub fn from_row(row: &DinerRow, today: NaiveDate) -> Result<DinerView, String> {
        let d = diner_from_row(row)?;
        Ok(DinerView {
            id: row.id.0,
            township_id: row.township_id.0,
            name: d.name.clone(),
            resident_id_masked: d.resident_id.as_ref().map(ResidentId::masked),
            birth_year: d.birth_date().map(|b| chrono::Datelike::year(&b)),
            age: d.age_on(today),
            village: d.village,
            card_no: d.card_no,
            active_from: d.active_from,
            inactive_since: d.inactive_since,
            categories: d.categories,
            version: row.version,
        })
    }
}

/// The policy book of stored versions; unreadable versions are skipped
/// and logged (they were checked when written).
pub fn policy_book(rows: &[PolicyRow]) -> PolicyBook {
    let versions: Vec<PricePolicy> = rows
        .iter()
        .filter_map(|r| match serde_json::from_str::<PricePolicy>(&r.body) {
            Ok(p) if p.site_id() == r.site_id => Some(p),
            Ok(_) => {
                tracing::error!(policy = r.id, "stored policy names another site");
                None
            }
            Err(e) => {
                tracing::error!(policy = r.id, error = %e, "stored policy is unreadable");
                None
            }
        })
        .collect();
    PolicyBook::new(versions).unwrap_or_default()
}

/// Local date at a site for a moment.
pub fn local_date(now: chrono::DateTime<chrono::Utc>, utc_offset_minutes: i64) -> NaiveDate {
    (now + chrono::Duration::minutes(utc_offset_minutes)).date_naive()
}
