//! Roles and scope: who may do what, and on which township or site.
//!
//! A county administrator (an admin with no township) sees everything; a
//! township's administrators and finance staff see their township; cashiers
//! and volunteers see their own site (and read their township's roster,
//! which serves every site of the township).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use canteen_core::TownshipId;

use crate::store::{Site, User};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Keeps roster, policy, sites, terminals and users.
    Admin,
    /// Reviews and claims the subsidy.
    Finance,
    /// Records free-meal days at a village site.
    Volunteer,
    /// Sells meals at a terminal.
    Cashier,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Finance, Role::Volunteer, Role::Cashier];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Volunteer => "volunteer",
            Role::Cashier => "cashier",
        }
    }

    /// The role with its article, for messages: "an admin", "a cashier".
    pub fn with_article(self) -> &'static str {
        match self {
            Role::Admin => "an admin",
            Role::Finance => "a finance officer",
            Role::Volunteer => "a volunteer",
            Role::Cashier => "a cashier",
        }
    }

    /// True for roles bound to one site.
    pub fn is_site_bound(self) -> bool {
        matches!(self, Role::Volunteer | Role::Cashier)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role (admin, finance, volunteer, cashier)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s {
            "admin" => Ok(Role::Admin),
            "finance" => Ok(Role::Finance),
            "volunteer" => Ok(Role::Volunteer),
            "cashier" => Ok(Role::Cashier),
            other => Err(UnknownRole(other.into())),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Role, UnknownRole> {
        s.parse()
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Person {
    /// The user record.
    pub user: User,
    /// Parsed role.
    pub role: Role,
}

impl Person {
    /// Wraps a stored user.
    pub fn new(user: User) -> Person {
        let role = user.role;
        Person { user, role }
    }

    /// An admin with no township: sees every township.
    pub fn is_county_admin(&self) -> bool {
        self.role == Role::Admin && self.user.township_id.is_none()
    }

    /// True when the role is one of `roles`.
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// The township filter for lists: `None` means all.
    pub fn township_filter(&self) -> Option<TownshipId> {
        if self.is_county_admin() {
            None
        } else {
            self.user.township_id.or(Some(TownshipId(-1)))
        }
    }

    /// May see this township (its roster, its sites).
    pub fn sees_township(&self, township_id: TownshipId) -> bool {
        self.is_county_admin() || self.user.township_id == Some(township_id)
    }

    /// May see this site's data.
    pub fn sees_site(&self, site: &Site) -> bool {
        if self.is_county_admin() {
            return true;
        }
        if self.role.is_site_bound() {
            return self.user.site_id == Some(site.id);
        }
        self.user.township_id == Some(site.township_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canteen_core::{SiteId, UserId};

    fn person(role: &str, township: Option<i64>, site: Option<i64>) -> Person {
        Person::new(User {
            id: UserId(1),
            username: "u".into(),
            display_name: "u".into(),
            role: role.parse().unwrap(),
            township_id: township.map(TownshipId),
            site_id: site.map(SiteId),
            active: true,
        })
    }

    fn site(id: i64, township: i64) -> Site {
        Site {
            id: SiteId(id),
            township_id: TownshipId(township),
            name: "s".into(),
            kind: crate::domain::SiteKind::Canteen,
            utc_offset_minutes: 480,
        }
    }

    #[test]
    fn scope_follows_the_role() {
        let county = person("admin", None, None);
        let admin = person("admin", Some(1), None);
        let cashier = person("cashier", Some(1), Some(10));
        assert!(county.sees_site(&site(99, 9)));
        assert!(admin.sees_site(&site(10, 1)) && admin.sees_site(&site(11, 1)));
        assert!(!admin.sees_site(&site(20, 2)));
        assert!(cashier.sees_site(&site(10, 1)));
        assert!(!cashier.sees_site(&site(11, 1)));
        assert!(cashier.sees_township(TownshipId(1)) && !cashier.sees_township(TownshipId(2)));
        assert_eq!(county.township_filter(), None);
        assert_eq!(admin.township_filter(), Some(TownshipId(1)));
        assert!("boss".parse::<Role>().is_err());
    }
}
