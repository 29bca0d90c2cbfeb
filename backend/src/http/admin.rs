//! Townships, sites, terminals, users and the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use canteen_core::{SiteId, TerminalId, TownshipId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::openapi::{Always, BadRequest, Conflict, Invalid, JsonBody, NotFound, PersonAuth};
use super::views::{
    AuditView, RoleName, SiteKind, SiteView, TerminalView, TownshipView, UserView, all,
};
use crate::auth::{self, TERMINAL_PREFIX};
use crate::roles::{Person, Role};
use crate::store::{Actor, AuditEntry, NewSite, NewUser, Site, Terminal, Township, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_townships, create_township))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site))
        .routes(routes!(list_terminals, create_terminal))
        .routes(routes!(update_terminal))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(set_cashier_pin))
        .routes(routes!(list_audit))
}

pub fn actor(person: &Person) -> Actor {
    Actor {
        user_id: Some(person.user.id),
        name: person.user.username.clone(),
    }
}

pub fn audit(
    person: &Person,
    township_id: Option<TownshipId>,
    action: &str,
    entity: &str,
) -> AuditEntry {
    AuditEntry {
        actor: actor(person),
        township_id,
        action: action.into(),
        entity: entity.into(),
        entity_id: String::new(),
        before: None,
        after: None,
    }
}

pub fn require(person: &Person, roles: &[Role]) -> Result<(), ApiError> {
    if person.has_role(roles) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "only {} may do this",
            names.join(", ")
        )))
    }
}

/// The site, if it exists and the person may see it; otherwise 404 (a site
/// outside one's scope is not revealed).
pub async fn site_in_scope(
    state: &AppState,
    person: &Person,
    id: SiteId,
) -> Result<Site, ApiError> {
    match state.store.site(id).await? {
        Some(site) if person.sees_site(&site) => Ok(site),
        _ => Err(ApiError::not_found("site")),
    }
}

pub async fn township_in_scope(
    state: &AppState,
    person: &Person,
    id: TownshipId,
) -> Result<Township, ApiError> {
    match state.store.township(id).await? {
        Some(t) if person.sees_township(t.id) => Ok(t),
        _ => Err(ApiError::not_found("township")),
    }
}

/// Townships in the caller's scope.
#[utoipa::path(get, path = "/api/townships", tag = "admin",
    responses(
        (status = 200, description = "Townships in scope", body = [TownshipView]),
        PersonAuth, Always,
    ),
    security(("bearer" = [])))]
async fn list_townships(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<TownshipView>>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance])?;
    let all = state.store.townships().await?;
    Ok(Json(
        all.into_iter()
            .filter(|t| person.sees_township(t.id))
            .map(TownshipView::from)
            .collect(),
    ))
}

/// A new township.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTownship {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
}

pub fn clean_name(name: &str, what: &str) -> Result<String, ApiError> {
    crate::text::check_text(&format!("the {what}'s name"), name).map_err(ApiError::invalid)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(format!(
            "a {what} needs a name of 1 to 100 characters"
        )));
    }
    Ok(name.to_string())
}

/// Adds a township (county administrators only).
#[utoipa::path(post, path = "/api/townships", tag = "admin",
    request_body = NewTownship,
    responses(
        (status = 201, description = "The township added", body = TownshipView),
        PersonAuth, JsonBody, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_township(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewTownship>,
) -> Result<(StatusCode, Json<TownshipView>), ApiError> {
    require(&person, &[Role::Admin])?;
    if !person.is_county_admin() {
        return Err(ApiError::forbidden(
            "only a county administrator may add townships",
        ));
    }
    let name = clean_name(&req.name, "township")?;
    let t = state
        .store
        .insert_township(&name, audit(&person, None, "township.create", "township"))
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SiteFilter {
    /// Only the sites of this township.
    township_id: Option<i64>,
}

/// Sites in the caller's scope.
#[utoipa::path(get, path = "/api/sites", tag = "admin",
    params(SiteFilter),
    responses(
        (status = 200, description = "Sites in scope", body = [SiteView]),
        PersonAuth, BadRequest, Always,
    ),
    security(("bearer" = [])))]
async fn list_sites(
    State(state): State<AppState>,
    person: Person,
    Query(f): Query<SiteFilter>,
) -> Result<Json<Vec<SiteView>>, ApiError> {
    let sites = state
        .store
        .sites(f.township_id.map(TownshipId).or(person.township_filter()))
        .await?;
    Ok(Json(all(sites
        .into_iter()
        .filter(|s| person.sees_site(s))
        .collect())?))
}

/// One site.
#[utoipa::path(get, path = "/api/sites/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = SiteView),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn get_site(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<SiteView>, ApiError> {
    Ok(Json(
        site_in_scope(&state, &person, SiteId(id))
            .await?
            .try_into()?,
    ))
}

/// A new site.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSiteRequest {
    /// Its township.
    township_id: i64,
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    /// Canteen or commune.
    kind: SiteKind,
    /// Offset of local time from UTC in minutes; 480 (Asia/Shanghai) when absent.
    #[serde(default)]
    #[schema(minimum = -720, maximum = 840)]
    utc_offset_minutes: Option<i64>,
}

/// Adds a site to a township.
#[utoipa::path(post, path = "/api/sites", tag = "admin",
    request_body = NewSiteRequest,
    responses(
        (status = 201, description = "The site added", body = SiteView),
        PersonAuth, JsonBody, NotFound, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_site(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewSiteRequest>,
) -> Result<(StatusCode, Json<SiteView>), ApiError> {
    let s = add_site(
        &state,
        &person,
        TownshipId(req.township_id),
        &req.name,
        req.kind.into(),
        req.utc_offset_minutes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(s.try_into()?)))
}

/// Adds a site to a township (the API's and the pages' service); the
/// offset defaults to China's (UTC+8).
pub async fn add_site(
    state: &AppState,
    person: &Person,
    township: TownshipId,
    name: &str,
    kind: crate::domain::SiteKind,
    utc_offset_minutes: Option<i64>,
) -> Result<Site, ApiError> {
    require(person, &[Role::Admin])?;
    township_in_scope(state, person, township).await?;
    let offset = utc_offset_minutes.unwrap_or(480);
    if !(-720..=840).contains(&offset) {
        return Err(ApiError::invalid(
            "utc_offset_minutes must be between -720 and 840",
        ));
    }
    let site = NewSite {
        township_id: township,
        name: clean_name(name, "site")?,
        kind,
        utc_offset_minutes: offset,
    };
    Ok(state
        .store
        .insert_site(site, audit(person, Some(township), "site.create", "site"))
        .await?)
}

/// Terminals of a site.
#[utoipa::path(get, path = "/api/sites/{id}/terminals", tag = "admin",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site's terminals", body = [TerminalView]),
        PersonAuth, BadRequest, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn list_terminals(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TerminalView>>, ApiError> {
    require(&person, &[Role::Admin])?;
    let site = site_in_scope(&state, &person, SiteId(id)).await?;
    let terminals = state.store.terminals(site.id).await?;
    Ok(Json(
        terminals.into_iter().map(TerminalView::from).collect(),
    ))
}

/// A new terminal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTerminal {
    /// Name, e.g. "counter 1"; 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
}

/// A terminal just made, with its token.
#[derive(Serialize, ToSchema)]
struct TerminalCreated {
    terminal: TerminalView,
    /// Shown once; only its hash is kept.
    token: String,
}

/// Adds a terminal to a site; its token is shown once.
#[utoipa::path(post, path = "/api/sites/{id}/terminals", tag = "admin",
    params(("id" = i64, Path, description = "Site id")),
    request_body = NewTerminal,
    responses(
        (status = 201, description = "The terminal and its token", body = TerminalCreated),
        PersonAuth, BadRequest, JsonBody, NotFound, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_terminal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<NewTerminal>,
) -> Result<(StatusCode, Json<TerminalCreated>), ApiError> {
    let (terminal, token) = add_terminal(&state, &person, SiteId(id), &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TerminalCreated {
            terminal: terminal.into(),
            token,
        }),
    ))
}

/// Adds a terminal to a site; answers it with its token, to show once
/// (the API's and the pages' service).
pub async fn add_terminal(
    state: &AppState,
    person: &Person,
    site: SiteId,
    name: &str,
) -> Result<(Terminal, String), ApiError> {
    require(person, &[Role::Admin])?;
    let site = site_in_scope(state, person, site).await?;
    let token = auth::new_token(TERMINAL_PREFIX);
    let terminal = state
        .store
        .insert_terminal(
            site.id,
            &clean_name(name, "terminal")?,
            &auth::token_hash(&token.0),
            audit(
                person,
                Some(site.township_id),
                "terminal.create",
                "terminal",
            ),
        )
        .await?;
    Ok((terminal, token.0))
}

/// Changes to a terminal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateTerminal {
    /// False retires the terminal: its token stops working.
    #[serde(default)]
    active: Option<bool>,
    /// True replaces the token (returned once); the old one stops working.
    #[serde(default)]
    new_token: bool,
}

/// A terminal after a change, with its new token if one was asked for.
#[derive(Serialize, ToSchema)]
struct TerminalUpdated {
    terminal: TerminalView,
    /// The new token, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// Retires or reactivates a terminal, or replaces its token.
#[utoipa::path(patch, path = "/api/terminals/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Terminal id")),
    request_body = UpdateTerminal,
    responses(
        (status = 200, description = "The terminal, and its new token if asked for", body = TerminalUpdated),
        PersonAuth, BadRequest, JsonBody, NotFound, Always,
    ),
    security(("bearer" = [])))]
async fn update_terminal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<UpdateTerminal>,
) -> Result<Json<TerminalUpdated>, ApiError> {
    let (terminal, token) =
        change_terminal(&state, &person, TerminalId(id), req.active, req.new_token).await?;
    Ok(Json(TerminalUpdated {
        terminal: terminal.into(),
        token,
    }))
}

/// Retires or reactivates a terminal, or replaces its token (answered, to
/// show once): the API's and the pages' service.
pub async fn change_terminal(
    state: &AppState,
    person: &Person,
    id: TerminalId,
    active: Option<bool>,
    new_token: bool,
) -> Result<(Terminal, Option<String>), ApiError> {
    require(person, &[Role::Admin])?;
    let terminal = state
        .store
        .terminal(id)
        .await?
        .ok_or_else(|| ApiError::not_found("terminal"))?;
    let site = site_in_scope(state, person, terminal.site_id)
        .await
        .map_err(|_| ApiError::not_found("terminal"))?;
    let token = new_token.then(|| auth::new_token(TERMINAL_PREFIX));
    let terminal = state
        .store
        .update_terminal(
            terminal.id,
            active,
            token.as_ref().map(|t| auth::token_hash(&t.0)),
            audit(
                person,
                Some(site.township_id),
                "terminal.update",
                "terminal",
            ),
        )
        .await?;
    Ok((terminal, token.map(|t| t.0)))
}

/// Users in the caller's scope.
#[utoipa::path(get, path = "/api/users", tag = "admin",
    responses(
        (status = 200, description = "Users in scope", body = [UserView]),
        PersonAuth, Always,
    ),
    security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<UserView>>, ApiError> {
    require(&person, &[Role::Admin])?;
    Ok(Json(all(state
        .store
        .users(person.township_filter())
        .await?)?))
}

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name: 1 to 50 letters, digits, '.', '_' or '-'.
    #[schema(min_length = 1, max_length = 50, pattern = r"^[A-Za-z0-9._-]+$")]
    pub username: String,
    /// Name shown, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub display_name: String,
    /// Role.
    pub role: RoleName,
    /// Township, for a township's administrator or finance staff.
    #[serde(default)]
    pub township_id: Option<i64>,
    /// Site, for a cashier or volunteer.
    #[serde(default)]
    pub site_id: Option<i64>,
    /// 10 to 200 characters; when absent, a one-time password is made and returned.
    #[serde(default)]
    #[schema(min_length = 10, max_length = 200)]
    pub password: Option<String>,
}

/// A user, with a password made for them if one was made.
#[derive(Serialize, ToSchema)]
struct UserCreated {
    user: UserView,
    /// The password made for the user, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

/// Adds a user. A cashier or volunteer belongs to a site; a township's
/// administrator or finance staff to a township.
#[utoipa::path(post, path = "/api/users", tag = "admin",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The user, with the password made for them if none was given", body = UserCreated),
        PersonAuth, JsonBody, NotFound, Conflict, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn create_user(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewUserRequest>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    let (user, shown) = add_user(&state, &person, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserCreated {
            user: user.try_into()?,
            password: shown,
        }),
    ))
}

/// Adds a user; answers the one-time password made for them when none was
/// given (they must change it at first sign-in). The API's and the pages'
/// service.
pub async fn add_user(
    state: &AppState,
    person: &Person,
    req: NewUserRequest,
) -> Result<(User, Option<String>), ApiError> {
    require(person, &[Role::Admin])?;
    let role: Role = req.role.into();
    let username = req.username.trim().to_string();
    if username.is_empty()
        || username.len() > 50
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::invalid(
            "a username has 1 to 50 letters, digits, '.', '_' or '-'",
        ));
    }
    let (township_id, site_id) = if role.is_site_bound() {
        let site_id = req.site_id.ok_or_else(|| {
            ApiError::invalid(format!(
                "{} belongs to a site: give site_id",
                role.with_article()
            ))
        })?;
        let site = site_in_scope(state, person, SiteId(site_id)).await?;
        (Some(site.township_id), Some(site.id))
    } else if let Some(t) = req.township_id {
        let township = township_in_scope(state, person, TownshipId(t)).await?;
        (Some(township.id), None)
    } else if role == Role::Admin && person.is_county_admin() {
        (None, None)
    } else {
        return Err(ApiError::invalid(format!(
            "{} belongs to a township: give township_id",
            role.with_article()
        )));
    };
    let (password, shown) = match req.password {
        Some(p) => (p, None),
        None => {
            let p = auth::new_password().0;
            (p.clone(), Some(p))
        }
    };
    super::login::check_new_password(&password)?;
    let hash = super::login::hash_password(state, password).await?;
    let user = state
        .store
        .insert_user(
            NewUser {
                username,
                display_name: clean_name(&req.display_name, "user")?,
                role,
                township_id,
                site_id,
                password_hash: hash,
                must_change_password: shown.is_some(),
            },
            audit(person, township_id, "user.create", "user"),
        )
        .await?;
    Ok((user, shown))
}

/// Changes to a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    /// False deactivates the user: they can no longer sign in.
    #[serde(default)]
    active: Option<bool>,
    /// True to make a new one-time password (returned once).
    #[serde(default)]
    reset_password: bool,
}

/// Deactivates or reactivates a user, or makes them a new one-time password.
#[utoipa::path(patch, path = "/api/users/{id}", tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The user, with the new password if one was made", body = UserCreated),
        PersonAuth, BadRequest, JsonBody, NotFound, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn update_user(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<UpdateUser>,
) -> Result<Json<UserCreated>, ApiError> {
    let (user, shown) =
        change_user(&state, &person, UserId(id), req.active, req.reset_password).await?;
    Ok(Json(UserCreated {
        user: user.try_into()?,
        password: shown,
    }))
}

/// Deactivates or reactivates a user, or makes them a new one-time password
/// (answered, to show once): the API's and the pages' service.
pub async fn change_user(
    state: &AppState,
    person: &Person,
    id: UserId,
    active: Option<bool>,
    reset_password: bool,
) -> Result<(User, Option<String>), ApiError> {
    require(person, &[Role::Admin])?;
    let target = match state.store.user(id).await? {
        Some(u)
            if person.is_county_admin()
                || (u.township_id.is_some() && u.township_id == person.user.township_id) =>
        {
            u
        }
        _ => return Err(ApiError::not_found("user")),
    };
    // Either would end the caller's own session halfway through its work.
    if target.id == person.user.id && active == Some(false) {
        return Err(ApiError::invalid(
            "you cannot deactivate your own account: ask another administrator",
        ));
    }
    if target.id == person.user.id && reset_password {
        return Err(ApiError::invalid(
            "change your own password with POST /api/me/password",
        ));
    }
    let (hash, shown) = if reset_password {
        let p = auth::new_password().0;
        (
            Some(super::login::hash_password(state, p.clone()).await?),
            Some(p),
        )
    } else {
        (None, None)
    };
    let user = state
        .store
        .update_user_login(target.id, hash, true, active, {
            let mut a = audit(person, target.township_id, "user.update", "user");
            a.entity_id = target.id.to_string();
            a
        })
        .await?;
    Ok((user, shown))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// How many entries, newest first: 1 to 5000, 200 when absent.
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<i64>,
}

/// The audit log in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "admin",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries, newest first", body = [AuditView]),
        PersonAuth, BadRequest, Always,
    ),
    security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    person: Person,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    require(&person, &[Role::Admin])?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::BadRequest(
            "bad_query",
            "limit is between 1 and 5000".into(),
        ));
    }
    Ok(Json(all(state
        .store
        .audit_log(person.township_filter(), limit)
        .await?)?))
}

/// A cashier's terminal PIN.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CashierPin {
    /// 4 to 6 digits.
    #[schema(pattern = r"^[0-9]{4,6}$", example = "4821")]
    pin: String,
    /// True when this cashier's PIN also approves voids on the terminals.
    #[serde(default)]
    supervisor: bool,
}

/// Sets a cashier's PIN for the site's terminals (they get its argon2 hash
/// with their next download and check it offline); audited, the PIN never
/// stored or logged.
#[utoipa::path(put, path = "/api/users/{id}/pin", tag = "admin",
    params(("id" = i64, Path, description = "User id of a cashier")),
    request_body = CashierPin,
    responses(
        (status = 200, description = "The cashier", body = UserView),
        PersonAuth, BadRequest, JsonBody, NotFound, Invalid, Always,
    ),
    security(("bearer" = [])))]
async fn set_cashier_pin(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<CashierPin>,
) -> Result<Json<UserView>, ApiError> {
    require(&person, &[Role::Admin])?;
    let target = match state.store.user(UserId(id)).await? {
        Some(u)
            if person.is_county_admin()
                || (u.township_id.is_some() && u.township_id == person.user.township_id) =>
        {
            u
        }
        _ => return Err(ApiError::not_found("user")),
    };
    if target.role != Role::Cashier {
        return Err(ApiError::invalid(
            "only cashiers have a terminal PIN: this user is not a cashier",
        ));
    }
    let pin = req.pin.trim();
    if !(4..=6).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("a PIN is 4 to 6 digits"));
    }
    let hash = super::login::hash_password(&state, pin.to_string()).await?;
    let user = state
        .store
        .set_cashier_pin(target.id, &hash, req.supervisor, {
            let mut a = audit(&person, target.township_id, "user.set_pin", "user");
            a.entity_id = target.id.to_string();
            a
        })
        .await?;
    Ok(Json(user.try_into()?))
}
