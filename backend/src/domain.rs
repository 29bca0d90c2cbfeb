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

/// Why a diner as written cannot go on the roster, said so that a person
/// can put it right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DinerError {
    /// A text field holds a control character.
    #[error("{0}")]
    ControlCharacter(String),
    /// The name is blank.
    #[error("a diner needs a name")]
    NoName,
    /// The name is too long.
    #[error("the name is longer than 100 characters")]
    NameTooLong,
    /// The ID number is not a valid one.
    #[error("ID number: {0}")]
    ResidentId(#[from] canteen_core::ResidentIdError),
    /// A birth date after today.
    #[error("the birth date {0} is in the future")]
    BornInFuture(NaiveDate),
    /// A birth date before any diner's.
    #[error("the birth date {0} is before {min}: check for a typing mistake", min = canteen_core::resident_id::EARLIEST_BIRTH_YEAR)]
    BornTooEarly(NaiveDate),
    /// A registration date before the programme.
    #[error(
        "the registration date {0} is before {REGISTRATION_EARLIEST_YEAR}: check for a typing mistake"
    )]
    RegisteredTooEarly(NaiveDate),
    /// A registration date too far ahead.
    #[error("the registration date {0} is more than a year ahead: check for a typing mistake")]
    RegisteredTooFarAhead(NaiveDate),
    /// A category grant without a code.
    #[error("a category needs a code")]
    NoCategoryCode,
    /// A category grant that ends before it starts.
    #[error("category {0}: it ends before it starts")]
    CategoryEndsBeforeStart(canteen_core::CategoryCode),
}

/// Stored roster or policy data that does not read as the domain's types:
/// a data error, reported, never skipped or defaulted.
#[derive(Debug, thiserror::Error)]
pub enum StoredDataError {
    /// A diner's stored ID number is not a valid one.
    #[error("diner {diner}: {error}")]
    ResidentId {
        /// The diner.
        diner: canteen_core::DinerId,
        /// Why.
        error: canteen_core::ResidentIdError,
    },
    /// A stored policy is not a policy.
    #[error("policy {policy}: {error}")]
    Policy {
        /// The policy row.
        policy: i64,
        /// Why.
        error: serde_json::Error,
    },
    /// A stored policy names another site than the one it is stored for.
    #[error("policy {policy} is stored for site {stored} but names site {named}")]
    PolicySite {
        /// The policy row.
        policy: i64,
        /// The site it is stored for.
        stored: canteen_core::SiteId,
        /// The site it names.
        named: canteen_core::SiteId,
    },
    /// The stored versions do not make a book (two for one site and date).
    #[error("stored policies: {0}")]
    Book(#[from] canteen_core::PolicyError),
}

impl From<StoredDataError> for crate::store::StoreError {
    fn from(e: StoredDataError) -> Self {
        crate::store::StoreError::Corrupt(e.to_string())
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
    pub fn into_fields(self, today: NaiveDate) -> Result<DinerFields, DinerError> {
        check_text("the name", &self.name).map_err(DinerError::ControlCharacter)?;
        for (what, text) in [
            ("the ID number", &self.resident_id),
            ("the village", &self.village),
            ("the card number", &self.card_no),
        ] {
            if let Some(text) = text {
                check_text(what, text).map_err(DinerError::ControlCharacter)?;
            }
        }
        for g in &self.categories {
            check_text("a category code", &g.category.0).map_err(DinerError::ControlCharacter)?;
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err(DinerError::NoName);
        }
        if name.chars().count() > 100 {
            return Err(DinerError::NameTooLong);
        }
        let resident_id = match self.resident_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(ResidentId::parse_as_of(text, today)?.as_str().to_string()),
        };
        if let Some(b) = self.birth_date
            && b > today
        {
            return Err(DinerError::BornInFuture(b));
        }
        if let Some(b) = self.birth_date
            && chrono::Datelike::year(&b) < canteen_core::resident_id::EARLIEST_BIRTH_YEAR
        {
            return Err(DinerError::BornTooEarly(b));
        }
        let active_from = self.active_from.unwrap_or(today);
        if chrono::Datelike::year(&active_from) < REGISTRATION_EARLIEST_YEAR {
            return Err(DinerError::RegisteredTooEarly(active_from));
        }
        if active_from > today + chrono::Days::new(REGISTRATION_DAYS_AHEAD) {
            return Err(DinerError::RegisteredTooFarAhead(active_from));
        }
        for g in &self.categories {
            if g.category.0.trim().is_empty() {
                return Err(DinerError::NoCategoryCode);
            }
            if g.until.is_some_and(|u| u < g.from) {
                return Err(DinerError::CategoryEndsBeforeStart(g.category.clone()));
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
pub fn diner_from_row(row: &DinerRow) -> Result<Diner, StoredDataError> {
    let resident_id = row
        .resident_id
        .as_deref()
        .map(ResidentId::parse)
        .transpose()
        .map_err(|error| StoredDataError::ResidentId {
            diner: row.id,
            error,
        })?;
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
    pub fn from_row(row: &DinerRow, today: NaiveDate) -> Result<DinerView, StoredDataError> {
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

/// The policy book of stored versions. A version that does not read, or
/// names another site, is a data error: pricing without it would be wrong.
pub fn policy_book(rows: &[PolicyRow]) -> Result<PolicyBook, StoredDataError> {
    let versions = rows
        .iter()
        .map(|r| {
            let p: PricePolicy =
                serde_json::from_str(&r.body).map_err(|error| StoredDataError::Policy {
                    policy: r.id,
                    error,
                })?;
            if p.site_id() != r.site_id {
                return Err(StoredDataError::PolicySite {
                    policy: r.id,
                    stored: r.site_id,
                    named: p.site_id(),
                });
            }
            Ok(p)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PolicyBook::new(versions)?)
}

/// Local date at a site for a moment.
pub fn local_date(now: chrono::DateTime<chrono::Utc>, utc_offset_minutes: i64) -> NaiveDate {
    (now + chrono::Duration::minutes(utc_offset_minutes)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use canteen_core::SiteId;

    fn row(id: i64, site: i64, body: String) -> PolicyRow {
        PolicyRow {
            id,
            site_id: SiteId(site),
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            body,
            version: 1,
        }
    }

    fn policy_json(site: i64) -> String {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let p = PricePolicy::try_from(canteen_core::example::dazhai_policy(SiteId(site), from))
            .unwrap();
        serde_json::to_string(&p).unwrap()
    }

    #[test]
    fn stored_policies_that_do_not_read_are_errors_not_skipped() {
        assert_eq!(
            policy_book(&[row(1, 7, policy_json(7))])
                .unwrap()
                .versions()
                .len(),
            1
        );
        let unreadable = policy_book(&[row(1, 7, policy_json(7)), row(2, 7, "{}".into())]);
        assert!(
            matches!(unreadable, Err(StoredDataError::Policy { policy: 2, .. })),
            "{unreadable:?}"
        );
        let elsewhere = policy_book(&[row(3, 7, policy_json(8))]);
        assert!(
            matches!(
                elsewhere,
                Err(StoredDataError::PolicySite { policy: 3, .. })
            ),
            "{elsewhere:?}"
        );
        let twice = policy_book(&[row(4, 7, policy_json(7)), row(5, 7, policy_json(7))]);
        assert!(matches!(twice, Err(StoredDataError::Book(_))), "{twice:?}");
    }

    #[test]
    fn diner_input_errors_say_what_to_fix() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let input = |name: &str| DinerInput {
            name: name.into(),
            resident_id: None,
            birth_date: None,
            village: None,
            card_no: None,
            active_from: None,
            inactive_since: None,
            categories: Vec::new(),
        };
        assert_eq!(input("  ").into_fields(today), Err(DinerError::NoName));
        let mut late = input("王秀英");
        late.active_from = NaiveDate::from_ymd_opt(2028, 1, 1);
        assert_eq!(
            late.into_fields(today).unwrap_err().to_string(),
            "the registration date 2028-01-01 is more than a year ahead: check for a typing mistake"
        );
        let mut early = input("王秀英");
        early.birth_date = NaiveDate::from_ymd_opt(1800, 1, 1);
        assert!(
            early
                .into_fields(today)
                .unwrap_err()
                .to_string()
                .starts_with("the birth date 1800-01-01 is before 1")
        );
    }
}
