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
        Role::Volunteer => {
            links.push(NavLink {
                href: super::volunteer::RECORD_PATH,
                label: t.nav_record_meal,
            });
            links.push(NavLink {
                href: super::volunteer::MEALS_PATH,
                label: t.nav_my_meals,
            });
        }
        Role::Finance => links.extend(finance_links(t)),
        // Administrators may do what finance staff do (as in the API).
        Role::Admin => {
            links.push(NavLink {
                href: "/finance",
                label: t.nav_finance,
            });
            links.extend(finance_links(t));
        }
        Role::Cashier => {}
    }
    links.push(NavLink {
        href: super::pages::PASSWORD_PATH,
        label: t.nav_password,
    });
    links
}

/// The finance pages (finance staff and administrators).
fn finance_links(t: &'static Messages) -> [NavLink; 3] {
    [
        NavLink {
            href: super::finance::CLAIMS_PATH,
            label: t.fin.nav_claims,
        },
        NavLink {
            href: super::finance::SHIFTS_PATH,
            label: t.fin.nav_shifts,
        },
        NavLink {
            href: super::finance::WELFARE_PATH,
            label: t.fin.nav_welfare,
        },
    ]
}
