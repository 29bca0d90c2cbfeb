//! Role guards: extractors that let a handler run only for its roles.
//! Not signed in: a redirect to the login page (and back afterwards).
//! Signed in with another role: a 403 page naming the roles it is for.
//! Scope is the API's: a volunteer's own site, a township for finance
//! staff and administrators (none for a county administrator).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::PageError;
use super::session::SignedIn;
use crate::http::AppState;
use crate::roles::Role;
use crate::store::Site;

async fn signed_in_as(
    parts: &mut Parts,
    state: &AppState,
    roles: &'static [Role],
) -> Result<SignedIn, Response> {
    let signed = SignedIn::from_request_parts(parts, state).await?;
    if !signed.person.has_role(roles) {
        return Err(PageError::for_roles(roles).into_response());
    }
    Ok(signed)
}

/// A volunteer, with the site they record free meals at.
#[derive(Debug, Clone)]
pub struct Volunteer {
    /// Who.
    pub signed: SignedIn,
    /// Their site.
    pub site: Site,
}

impl FromRequestParts<AppState> for Volunteer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed = signed_in_as(parts, state, &[Role::Volunteer]).await?;
        let no_site = || PageError::forbidden(|t| t.err_no_site).into_response();
        let site_id = signed.person.user.site_id.ok_or_else(no_site)?;
        let site = state
            .store
            .site(site_id)
            .await
            .map_err(|e| PageError::from(e).into_response())?
            .ok_or_else(no_site)?;
        Ok(Volunteer { signed, site })
    }
}

/// Finance staff, or an administrator (who may do what finance does, as
/// in the API). Scope: `township`, or every township when `None`.
#[derive(Debug, Clone)]
pub struct Finance {
    /// Who.
    pub signed: SignedIn,
    /// Their township; `None` for a county administrator.
    pub township: Option<canteen_core::TownshipId>,
}

impl FromRequestParts<AppState> for Finance {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed = signed_in_as(parts, state, &[Role::Finance, Role::Admin]).await?;
        let township = signed.person.township_filter();
        Ok(Finance { signed, township })
    }
}

/// An administrator. Scope: `township`, or every township when `None`
/// (a county administrator).
#[derive(Debug, Clone)]
pub struct Admin {
    /// Who.
    pub signed: SignedIn,
    /// Their township; `None` for a county administrator.
    pub township: Option<canteen_core::TownshipId>,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed = signed_in_as(parts, state, &[Role::Admin]).await?;
        let township = signed.person.township_filter();
        Ok(Admin { signed, township })
    }
}
