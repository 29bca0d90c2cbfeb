//! Townships, sites, terminals, users and the audit log.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use crate::auth::{self, TERMINAL_PREFIX};
use crate::roles::{Person, Role};
use crate::store::{Actor, AuditEntry, AuditRow, NewSite, NewUser, Site, Terminal, Township, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/townships", get(list_townships).post(create_township))
        .route("/api/sites", get(list_sites).post(create_site))
        .route("/api/sites/{id}", get(get_site))
        .route(
            "/api/sites/{id}/terminals",
            get(list_terminals).post(create_terminal),
        )
        .route("/api/terminals/{id}", patch(update_terminal))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}", patch(update_user))
        .route("/api/audit", get(list_audit))
}

pub fn actor(person: &Person) -> Actor {
    Actor {
        user_id: Some(person.user.id),
        name: person.user.username.clone(),
    }
}

pub fn audit(person: &Person, township_id: Option<i64>, action: &str, entity: &str) -> AuditEntry {
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
pub async fn site_in_scope(state: &AppState, person: &Person, id: i64) -> Result<Site, ApiError> {
    match state.store.site(id).await? {
        Some(site) if person.sees_site(&site) => Ok(site),
        _ => Err(ApiError::not_found("site")),
    }
}

pub async fn township_in_scope(
    state: &AppState,
    person: &Person,
    id: i64,
) -> Result<Township, ApiError> {
    match state.store.township(id).await? {
        Some(t) if person.sees_township(t.id) => Ok(t),
        _ => Err(ApiError::not_found("township")),
    }
}

async fn list_townships(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<Township>>, ApiError> {
    require(&person, &[Role::Admin, Role::Finance])?;
    let all = state.store.townships().await?;
    Ok(Json(
        all.into_iter()
            .filter(|t| person.sees_township(t.id))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTownship {
    name: String,
}

fn clean_name(name: &str, what: &str) -> Result<String, ApiError> {
    crate::text::check_text(&format!("the {what}'s name"), name).map_err(ApiError::invalid)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(format!(
            "a {what} needs a name of 1 to 100 characters"
        )));
    }
    Ok(name.to_string())
}

async fn create_township(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewTownship>,
) -> Result<(StatusCode, Json<Township>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Deserialize)]
struct SiteFilter {
    township_id: Option<i64>,
}

async fn list_sites(
    State(state): State<AppState>,
    person: Person,
    Query(f): Query<SiteFilter>,
) -> Result<Json<Vec<Site>>, ApiError> {
    let all = state
        .store
        .sites(f.township_id.or(person.township_filter()))
        .await?;
    Ok(Json(
        all.into_iter().filter(|s| person.sees_site(s)).collect(),
    ))
}

async fn get_site(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(site_in_scope(&state, &person, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSiteRequest {
    township_id: i64,
    name: String,
    kind: String,
    #[serde(default)]
    utc_offset_minutes: Option<i64>,
}

async fn create_site(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewSiteRequest>,
) -> Result<(StatusCode, Json<Site>), ApiError> {
    require(&person, &[Role::Admin])?;
    township_in_scope(&state, &person, req.township_id).await?;
    if req.kind != "canteen" && req.kind != "commune" {
        return Err(ApiError::invalid("a site's kind is 'canteen' or 'commune'"));
    }
    let offset = req.utc_offset_minutes.unwrap_or(480);
    if !(-720..=840).contains(&offset) {
        return Err(ApiError::invalid(
            "utc_offset_minutes must be between -720 and 840",
        ));
    }
    let site = NewSite {
        township_id: req.township_id,
        name: clean_name(&req.name, "site")?,
        kind: req.kind,
        utc_offset_minutes: offset,
    };
    let s = state
        .store
        .insert_site(
            site,
            audit(&person, Some(req.township_id), "site.create", "site"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

async fn list_terminals(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Terminal>>, ApiError> {
    require(&person, &[Role::Admin])?;
    let site = site_in_scope(&state, &person, id).await?;
    Ok(Json(state.store.terminals(site.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTerminal {
    name: String,
}

#[derive(Serialize)]
struct TerminalCreated {
    terminal: Terminal,
    /// Shown once; only its hash is kept.
    token: String,
}

async fn create_terminal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<NewTerminal>,
) -> Result<(StatusCode, Json<TerminalCreated>), ApiError> {
    require(&person, &[Role::Admin])?;
    let site = site_in_scope(&state, &person, id).await?;
    let token = auth::new_token(TERMINAL_PREFIX);
    let terminal = state
        .store
        .insert_terminal(
            site.id,
            &clean_name(&req.name, "terminal")?,
            &auth::token_hash(&token.0),
            audit(
                &person,
                Some(site.township_id),
                "terminal.create",
                "terminal",
            ),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TerminalCreated {
            terminal,
            token: token.0,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateTerminal {
    /// False retires the terminal: its token stops working.
    #[serde(default)]
    active: Option<bool>,
    /// True replaces the token (returned once); the old one stops working.
    #[serde(default)]
    new_token: bool,
}

#[derive(Serialize)]
struct TerminalUpdated {
    terminal: Terminal,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

async fn update_terminal(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<UpdateTerminal>,
) -> Result<Json<TerminalUpdated>, ApiError> {
    require(&person, &[Role::Admin])?;
    let terminal = state
        .store
        .terminal(id)
        .await?
        .ok_or_else(|| ApiError::not_found("terminal"))?;
    let site = site_in_scope(&state, &person, terminal.site_id)
        .await
        .map_err(|_| ApiError::not_found("terminal"))?;
    let token = req.new_token.then(|| auth::new_token(TERMINAL_PREFIX));
    let terminal = state
        .store
        .update_terminal(
            terminal.id,
            req.active,
            token.as_ref().map(|t| auth::token_hash(&t.0)),
            audit(
                &person,
                Some(site.township_id),
                "terminal.update",
                "terminal",
            ),
        )
        .await?;
    Ok(Json(TerminalUpdated {
        terminal,
        token: token.map(|t| t.0),
    }))
}

async fn list_users(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<User>>, ApiError> {
    require(&person, &[Role::Admin])?;
    Ok(Json(state.store.users(person.township_filter()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserRequest {
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    township_id: Option<i64>,
    #[serde(default)]
    site_id: Option<i64>,
    /// When absent, a one-time password is made and returned.
    #[serde(default)]
    password: Option<String>,
}

#[derive(Serialize)]
struct UserCreated {
    user: User,
    /// The password made for the user, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

async fn create_user(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<NewUserRequest>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    require(&person, &[Role::Admin])?;
    let role: Role = req.role.parse().map_err(ApiError::invalid)?;
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
        let site = site_in_scope(&state, &person, site_id).await?;
        (Some(site.township_id), Some(site.id))
    } else if let Some(t) = req.township_id {
        township_in_scope(&state, &person, t).await?;
        (Some(t), None)
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
    let hash = super::login::hash_password(&state, password).await?;
    let user = state
        .store
        .insert_user(
            NewUser {
                username,
                display_name: clean_name(&req.display_name, "user")?,
                role: role.as_str().into(),
                township_id,
                site_id,
                password_hash: hash,
            },
            audit(&person, township_id, "user.create", "user"),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserCreated {
            user,
            password: shown,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    #[serde(default)]
    active: Option<bool>,
    /// True to make a new one-time password (returned once).
    #[serde(default)]
    reset_password: bool,
}

async fn update_user(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<i64>,
    Json(req): Json<UpdateUser>,
) -> Result<Json<UserCreated>, ApiError> {
    require(&person, &[Role::Admin])?;
    let target = match state.store.user(id).await? {
        Some(u)
            if person.is_county_admin()
                || (u.township_id.is_some() && u.township_id == person.user.township_id) =>
        {
            u
        }
        _ => return Err(ApiError::not_found("user")),
    };
    let (hash, shown) = if req.reset_password {
        let p = auth::new_password().0;
        (
            Some(super::login::hash_password(&state, p.clone()).await?),
            Some(p),
        )
    } else {
        (None, None)
    };
    let user = state
        .store
        .update_user_login(target.id, hash, req.active, {
            let mut a = audit(&person, target.township_id, "user.update", "user");
            a.entity_id = target.id.to_string();
            a
        })
        .await?;
    Ok(Json(UserCreated {
        user,
        password: shown,
    }))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<i64>,
}

async fn list_audit(
    State(state): State<AppState>,
    person: Person,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    require(&person, &[Role::Admin])?;
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    Ok(Json(
        state
            .store
            .audit_log(person.township_filter(), limit)
            .await?,
    ))
}
