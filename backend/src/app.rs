//! Building and running the service: connect and migrate, make the first
//! administrator, bind the listener (before serving, so tests can use port
//! 0 and ask which port they got), serve until SIGTERM or Ctrl-C, letting
//! in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::auth::{self, PasswordWork, Secret};
use crate::config::Config;
use crate::http::{AppState, router};
use crate::rate_limit::LoginLimiter;
use crate::store::{Actor, AuditEntry, Db, NewUser, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The data directory could not be made.
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// Anything else at start.
    #[error("{0}")]
    Other(String),
}

/// The first administrator, made on an empty database.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// Login name.
    pub username: String,
    /// One-time password, shown once.
    pub password: Secret,
    /// More to show once (the demo's other logins and terminal tokens).
    pub notes: Vec<String>,
}

/// A service ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Db,
    first_admin: Option<FirstAdmin>,
    grace: Duration,
}

impl Application {
    /// Connects, migrates, makes the first administrator on an empty
    /// database (or seeds the demo), and binds the listener.
    pub async fn build(config: Config) -> Result<Application, AppError> {
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|e| AppError::DataDir(config.data_dir.display().to_string(), e))?;
        }
        let store = Db::connect(
            &config.database_url(),
            config.database_schema.as_deref(),
            config.db_max_connections,
        )
        .await?;
        let mut first_admin = None;
        if !store.has_users().await? {
            if config.demo {
                first_admin = Some(crate::demo::seed(&store).await.map_err(AppError::Other)?);
            } else {
                first_admin = Some(make_first_admin(&store).await?);
            }
        } else if config.demo {
            tracing::warn!("--demo ignored: the database already has users");
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| AppError::Bind(config.listen, e))?;
        let grace = Duration::from_secs(config.shutdown_grace_secs);
        let web_key = store.web_key("csrf", &auth::random_hex(32)).await?;
        let state = AppState {
            store: store.clone(),
            limiter: Arc::new(LoginLimiter::new(
                config.login_max_failures,
                config.login_max_failures_per_address,
                Duration::from_secs(config.login_window_secs),
            )),
            passwords: Arc::new(PasswordWork::new(
                config
                    .password_hash_concurrency
                    .unwrap_or_else(PasswordWork::default_concurrency),
                config.password_hash_queue,
            )),
            web_key: Arc::new(crate::web::CsrfKey::new(&web_key)),
            config: Arc::new(config),
        };
        Ok(Application {
            listener,
            router: router(state),
            store,
            first_admin,
            grace,
        })
    }

    /// The port bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The database.
    pub fn store(&self) -> &Db {
        &self.store
    }

    /// The administrator made on first start, if this was the first start.
    pub fn first_admin(&self) -> Option<&FirstAdmin> {
        self.first_admin.as_ref()
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish
    /// (for at most the grace period).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = tx.send(true);
        };
        let grace = self.grace;
        let serve = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let deadline = async move {
            let _ = rx.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            res = serve => res,
            () = deadline => {
                tracing::warn!("grace period over: stopping with requests still in flight");
                Ok(())
            }
        }
    }
}

/// Gives administrator `username` a new one-time password (active again).
/// A name that is not a user's is refused unless `config.create_admin`
/// asks for a county administrator of that name: a mistyped name must not
/// quietly make a new administrator.
pub async fn reset_admin(config: &Config, username: &str) -> Result<FirstAdmin, AppError> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| AppError::DataDir(config.data_dir.display().to_string(), e))?;
    }
    let store = Db::connect(&config.database_url(), config.database_schema.as_deref(), 1).await?;
    let password = auth::new_password();
    let pw = password.0.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| AppError::Other(e.to_string()))?
        .map_err(|e| AppError::Other(e.to_string()))?;
    let audit = |action: &str| AuditEntry {
        actor: Actor::system(),
        township_id: None,
        action: action.into(),
        entity: "user".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    };
    match store.credentials(username).await? {
        Some(creds) => {
            let user = store.user(creds.id).await?.ok_or(StoreError::NotFound)?;
            if user.role != crate::roles::Role::Admin {
                let role = user.role.with_article();
                return Err(AppError::Other(format!(
                    "{username} is {role}, not an administrator"
                )));
            }
            store
                .update_user_login(
                    creds.id,
                    Some(hash),
                    true,
                    Some(true),
                    audit("user.reset_admin"),
                )
                .await?;
        }
        None if !config.create_admin => {
            return Err(AppError::Other(format!(
                "there is no user named '{username}': check the name, or add --create-admin to make a county administrator of that name"
            )));
        }
        None => {
            store
                .insert_user(
                    NewUser {
                        username: username.into(),
                        display_name: "County administrator".into(),
                        role: crate::roles::Role::Admin,
                        township_id: None,
                        site_id: None,
                        password_hash: hash,
                        must_change_password: true,
                    },
                    audit("user.create"),
                )
                .await?;
        }
    }
    Ok(FirstAdmin {
        username: username.into(),
        password,
        notes: Vec::new(),
    })
}

async fn make_first_admin(store: &Db) -> Result<FirstAdmin, AppError> {
    let password = auth::new_password();
    let pw = password.0.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| AppError::Other(e.to_string()))?
        .map_err(|e| AppError::Other(e.to_string()))?;
    store
        .insert_user(
            NewUser {
                username: "admin".into(),
                display_name: "County administrator".into(),
                role: crate::roles::Role::Admin,
                township_id: None,
                site_id: None,
                password_hash: hash,
                must_change_password: true,
            },
            AuditEntry {
                actor: Actor::system(),
                township_id: None,
                action: "user.create".into(),
                entity: "user".into(),
                entity_id: String::new(),
                before: None,
                after: None,
            },
        )
        .await?;
    Ok(FirstAdmin {
        username: "admin".into(),
        password,
        notes: Vec::new(),
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
