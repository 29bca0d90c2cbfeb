//! The links each role sees, in the header and on its home page. Only
//! pages that exist are listed: add a page's link here with its route.

use super::i18n::Messages;
use crate::roles::Role;

/// A link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
}

/// The links of a role, in order.
pub fn links(role: Role, t: &'static Messages) -> Vec<NavLink> {
    let home = NavLink {
        href: super::home_of(role),
        label: t.nav_home,
    };
    let mut links = vec![home];
    match role {
        Role::Volunteer => {}
        Role::Finance => {}
        // Administrators may do what finance staff do (as in the API).
        Role::Admin => links.push(NavLink {
            href: "/finance",
            label: t.nav_finance,
        }),
        Role::Cashier => {}
    }
    links.push(NavLink {
        href: super::pages::PASSWORD_PATH,
        label: t.nav_password,
    });
    links
}
