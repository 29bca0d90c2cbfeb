//! What the API answers, as its own structs: the wire format is decided
//! here, not by the store's rows. Money is a "12.50" string, times are
//! RFC 3339 with an offset, dates YYYY-MM-DD.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use crate::roles::Role;
use crate::store::{AuditRow, Site, Terminal, Township, User};

/// A stored moment in a site's local offset.
pub fn local(
    at: DateTime<Utc>,
    utc_offset_minutes: i64,
) -> Result<DateTime<FixedOffset>, ApiError> {
    let offset = i32::try_from(utc_offset_minutes.saturating_mul(60))
        .ok()
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| {
            ApiError::Internal(format!("stored UTC offset {utc_offset_minutes} is invalid"))
        })?;
    Ok(at.with_timezone(&offset))
}

/// What a user may do, on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Keeps roster, policy, sites, terminals and users.
    Admin,
    /// Reviews and claims the subsidy.
    Finance,
    /// Records free-meal days at a village site.
    Volunteer,
    /// Sells meals at a terminal.
    Cashier,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> RoleName {
        match role {
            Role::Admin => RoleName::Admin,
            Role::Finance => RoleName::Finance,
            Role::Volunteer => RoleName::Volunteer,
            Role::Cashier => RoleName::Cashier,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::Admin => Role::Admin,
            RoleName::Finance => Role::Finance,
            RoleName::Volunteer => Role::Volunteer,
            RoleName::Cashier => Role::Cashier,
        }
    }
}

/// The kind of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// The township canteen, selling meals at terminals.
    Canteen,
    /// A village Happiness Commune, serving free meals with volunteers.
    Commune,
}

impl SiteKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Canteen => "canteen",
            SiteKind::Commune => "commune",
        }
    }
}

impl From<crate::domain::SiteKind> for SiteKind {
    fn from(kind: crate::domain::SiteKind) -> SiteKind {
        match kind {
            crate::domain::SiteKind::Canteen => SiteKind::Canteen,
            crate::domain::SiteKind::Commune => SiteKind::Commune,
        }
    }
}

impl From<SiteKind> for crate::domain::SiteKind {
    fn from(kind: SiteKind) -> crate::domain::SiteKind {
        match kind {
            SiteKind::Canteen => crate::domain::SiteKind::Canteen,
            SiteKind::Commune => crate::domain::SiteKind::Commune,
        }
    }
}

/// A township.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TownshipView {
    /// Id.
    pub id: i64,
    /// Name, e.g. 大寨镇.
    pub name: String,
}

impl From<Township> for TownshipView {
    fn from(t: Township) -> TownshipView {
        TownshipView {
            id: t.id.0,
            name: t.name,
        }
    }
}

/// A site: the township canteen or a village Happiness Commune.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteView {
    /// Id.
    pub id: i64,
    /// Its township.
    pub township_id: i64,
    /// Name.
    pub name: String,
    /// Canteen or commune.
    pub kind: SiteKind,
    /// Offset of local time from UTC in minutes (480 for Asia/Shanghai).
    pub utc_offset_minutes: i64,
}

impl TryFrom<Site> for SiteView {
    type Error = ApiError;
    fn try_from(s: Site) -> Result<SiteView, ApiError> {
        Ok(SiteView {
            id: s.id.0,
            township_id: s.township_id.0,
            name: s.name,
            kind: s.kind.into(),
            utc_offset_minutes: s.utc_offset_minutes,
        })
    }
}

/// A terminal at a counter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerminalView {
    /// Id.
    pub id: i64,
    /// Its site.
    pub site_id: i64,
    /// Name, e.g. "counter 1".
    pub name: String,
    /// False once retired: its token no longer works.
    pub active: bool,
}

impl From<Terminal> for TerminalView {
    fn from(t: Terminal) -> TerminalView {
        TerminalView {
            id: t.id.0,
            site_id: t.site_id.0,
            name: t.name,
            active: t.active,
        }
    }
}

/// A person who signs in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: RoleName,
    /// Township; none for a county administrator.
    pub township_id: Option<i64>,
    /// Site, for cashiers and volunteers.
    pub site_id: Option<i64>,
    /// False once deactivated.
    pub active: bool,
}

impl TryFrom<User> for UserView {
    type Error = ApiError;
    fn try_from(u: User) -> Result<UserView, ApiError> {
        let role: Role = u.role;
        Ok(UserView {
            id: u.id.0,
            username: u.username,
            display_name: u.display_name,
            role: role.into(),
            township_id: u.township_id.map(|t| t.0),
            site_id: u.site_id.map(|s| s.0),
            active: u.active,
        })
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    /// Id, in order of writing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id); none for the system itself.
    pub actor_id: Option<i64>,
    /// Who (login name, or "system").
    pub actor: String,
    /// The township it concerns.
    pub township_id: Option<i64>,
    /// What was done, e.g. `diner.update`.
    pub action: String,
    /// Kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// The record before the change, as JSON text.
    pub before: Option<String>,
    /// The record after the change, as JSON text.
    pub after: Option<String>,
}

impl TryFrom<AuditRow> for AuditView {
    type Error = ApiError;
    fn try_from(a: AuditRow) -> Result<AuditView, ApiError> {
        Ok(AuditView {
            id: a.id,
            at: a.at,
            actor_id: a.actor_id.map(|u| u.0),
            actor: a.actor,
            township_id: a.township_id.map(|t| t.0),
            action: a.action,
            entity: a.entity,
            entity_id: a.entity_id,
            before: a.before,
            after: a.after,
        })
    }
}

/// Converts every row, failing on the first that cannot be shown.
pub fn all<R, V>(rows: Vec<R>) -> Result<Vec<V>, ApiError>
where
    V: TryFrom<R, Error = ApiError>,
{
    rows.into_iter().map(V::try_from).collect()
}
