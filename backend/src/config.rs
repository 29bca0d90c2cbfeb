//! Configuration: flags, environment variables and an optional TOML file
//! whose keys mirror the flags (`listen = "0.0.0.0:8080"`). A flag wins over
//! the environment, which wins over the file, which wins over the default.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};

/// Happiness Canteen backend: the API for terminals and the office, on a
/// SQLite file (default, no setup) or PostgreSQL.
#[derive(Clone, Parser)]
#[command(
    name = "backend",
    version,
    about = "Happiness Canteen backend: the API for terminals and the office, on a SQLite file (the default, no setup) or PostgreSQL.",
    long_about = None,
    args_override_self = true
)]
pub struct Config {
    /// TOML file with any of these options as keys (e.g. `listen = "0.0.0.0:8080"`,
    /// `database_url = "postgres://..."`). Flags and environment variables win over it.
    #[arg(long, env = "CANTEEN_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Address and port to serve on.
    #[arg(long, env = "CANTEEN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database file (`canteen.db`); created if missing.
    /// Not used with PostgreSQL.
    #[arg(
        long,
        env = "CANTEEN_DATA_DIR",
        default_value = "data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Database to use instead of the SQLite file in the data directory:
    /// `postgres://user:password@host/db` or `sqlite:path/to/file.db`.
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// PostgreSQL schema to keep the tables in (created if missing); the
    /// default is the server's search path (normally `public`).
    #[arg(long, env = "CANTEEN_DATABASE_SCHEMA", value_name = "NAME")]
    pub database_schema: Option<String>,

    /// Most database connections to keep open.
    #[arg(long, env = "CANTEEN_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, env = "CANTEEN_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Seconds a request may take before it is answered with 408.
    #[arg(long, env = "CANTEEN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Hours a login session lasts.
    #[arg(long, env = "CANTEEN_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,

    /// Minutes a web page session may stay unused before it ends (its
    /// absolute limit is --session-hours).
    #[arg(long, env = "CANTEEN_WEB_IDLE_MINUTES", default_value_t = 60)]
    pub web_idle_minutes: u32,

    /// Mark the pages' cookies `Secure`: set it when the service is reached
    /// over HTTPS (behind a TLS-terminating proxy). It is a setting, not a
    /// guess from `X-Forwarded-Proto`, which any client can send.
    #[arg(long, env = "CANTEEN_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Failed logins allowed per account (from any address) within the
    /// window before further attempts get 429. An attempt counts from the
    /// moment it arrives; a good login takes it back.
    #[arg(long, env = "CANTEEN_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,

    /// Failed logins allowed per address (over all accounts) within the
    /// window; kept well above the per-account bound so one person mistyping
    /// at a shared address does not lock out everyone there.
    #[arg(
        long,
        env = "CANTEEN_LOGIN_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 50
    )]
    pub login_max_failures_per_address: u32,

    /// Password hashes computed at once (argon2 takes 19 MiB and tens of
    /// milliseconds of CPU each); the default is one fewer than the cores, at
    /// least one.
    #[arg(long, env = "CANTEEN_PASSWORD_HASH_CONCURRENCY", value_name = "N")]
    pub password_hash_concurrency: Option<usize>,

    /// Sign-ins that may wait for a hash; beyond them the answer is 503 with
    /// Retry-After.
    #[arg(long, env = "CANTEEN_PASSWORD_HASH_QUEUE", default_value_t = 32)]
    pub password_hash_queue: usize,

    /// Length of the login-failure window, in seconds.
    #[arg(long, env = "CANTEEN_LOGIN_WINDOW_SECS", default_value_t = 300)]
    pub login_window_secs: u64,

    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "CANTEEN_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Log filter, e.g. `info` or `backend=debug,tower_http=debug`.
    #[arg(long, env = "CANTEEN_LOG", default_value = "info")]
    pub log: String,

    /// Give the administrator USERNAME a new one-time password, print it,
    /// and exit: the way back in when the password is lost. The name must be
    /// an existing administrator's unless --create-admin is given too.
    #[arg(long, value_name = "USERNAME")]
    pub reset_admin: Option<String>,

    /// With --reset-admin: make a county administrator of that name when
    /// there is none (without it, a mistyped name is refused).
    #[arg(long, requires = "reset_admin")]
    pub create_admin: bool,

    /// Seed a demo site on an empty database: a township, its canteen and a
    /// village commune, a price policy, 200 diners, two terminals, users and a
    /// month of sales. Prints the logins.
    #[arg(long, env = "CANTEEN_DEMO")]
    pub demo: bool,
}

impl std::fmt::Debug for Config {
    // By hand, so the password in a DATABASE_URL never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("config", &self.config)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("database_schema", &self.database_schema)
            .field("db_max_connections", &self.db_max_connections)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("session_hours", &self.session_hours)
            .field("web_idle_minutes", &self.web_idle_minutes)
            .field("secure_cookies", &self.secure_cookies)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_max_failures_per_address",
                &self.login_max_failures_per_address,
            )
            .field("login_window_secs", &self.login_window_secs)
            .field("password_hash_concurrency", &self.password_hash_concurrency)
            .field("password_hash_queue", &self.password_hash_queue)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("log", &self.log)
            .field("reset_admin", &self.reset_admin)
            .field("create_admin", &self.create_admin)
            .field("demo", &self.demo)
            .finish()
    }
}

/// A database URL with its password (in the user part or a `password=`
/// parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@')
            && let Some(colon) = out[rest..rest + at].find(':')
        {
            out.replace_range(rest + colon + 1..rest + at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("config file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The flags are wrong (clap prints help and usage).
    #[error(transparent)]
    Clap(#[from] clap::Error),
}

impl Config {
    /// Reads flags and environment, then fills what neither gave from the
    /// config file.
    pub fn load() -> Result<Config, ConfigError> {
        Config::load_from(std::env::args_os())
    }

    /// [`Config::load`] with explicit arguments (the first is the program).
    pub fn load_from<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let matches = Config::command().try_get_matches_from(&args)?;
        let first = Config::from_arg_matches(&matches)?;
        let Some(path) = first.config.clone() else {
            return Ok(first);
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        let known: Vec<String> = Config::command()
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        let mut from_file: Vec<OsString> = Vec::new();
        for (key, value) in &table {
            let id = key.replace('-', "_");
            if !known.contains(&id) || id == "config" {
                return Err(ConfigError::Invalid {
                    path,
                    message: format!("unknown key '{key}' (see --help for the options)"),
                });
            }
            let given = matches!(
                matches.value_source(&id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
            if given {
                continue;
            }
            let flag = format!("--{}", id.replace('_', "-"));
            match value {
                toml::Value::Boolean(true) => from_file.push(flag.into()),
                toml::Value::Boolean(false) => {}
                toml::Value::String(s) => from_file.push(format!("{flag}={s}").into()),
                toml::Value::Integer(i) => from_file.push(format!("{flag}={i}").into()),
                other => {
                    return Err(ConfigError::Invalid {
                        path,
                        message: format!("key '{key}': {other} is not a string, number or boolean"),
                    });
                }
            }
        }
        // File values go first, so the flags after them win.
        let mut merged: Vec<OsString> = args.iter().take(1).cloned().collect();
        merged.extend(from_file);
        merged.extend(args.iter().skip(1).cloned());
        let matches = Config::command().try_get_matches_from(merged)?;
        Ok(Config::from_arg_matches(&matches)?)
    }

    /// The database URL: `database_url`, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite:{}", self.data_dir.join("canteen.db").display()),
        }
    }

    /// A configuration for tests: port 0 on 127.0.0.1, the given database.
    pub fn for_tests(database_url: String, schema: Option<String>) -> Config {
        let mut c = Config::parse_from(["backend"]);
        c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        c.database_url = Some(database_url);
        c.database_schema = schema;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_locally_on_a_sqlite_file() {
        let c = Config::load_from(["backend"]).unwrap();
        if std::env::var_os("CANTEEN_LISTEN").is_none() {
            assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        }
        if std::env::var_os("DATABASE_URL").is_none()
            && std::env::var_os("CANTEEN_DATA_DIR").is_none()
        {
            assert!(c.database_url().starts_with("sqlite:data"));
        }
    }

    #[test]
    fn the_file_fills_in_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nsession_hours = 3\ndemo = true\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let c = Config::load_from(["backend", "--config", p]).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.session_hours, 3);
        assert!(c.demo);
        let c = Config::load_from(["backend", "--config", p, "--session-hours", "5"]).unwrap();
        assert_eq!(c.session_hours, 5);
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        std::fs::write(&path, "colour = \"red\"\n").unwrap();
        assert!(Config::load_from(["backend", "--config", p]).is_err());
    }

    #[test]
    fn debug_hides_the_database_password() {
        let c = Config::load_from([
            "backend",
            "--database-url",
            "postgres://canteen:s3cret-pw@db.example:5432/canteen?sslmode=require",
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(
            shown.contains("postgres://canteen:***@db.example:5432/canteen?sslmode=require"),
            "{shown}"
        );
        assert!(shown.contains("listen"), "{shown}");
        assert_eq!(
            redact_url("postgres://u@h/db?password=x&user=u"),
            "postgres://u@h/db?password=***&user=u"
        );
        assert_eq!(
            redact_url("sqlite:data/canteen.db"),
            "sqlite:data/canteen.db"
        );
        assert_eq!(redact_url("postgres://u:p@q@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn create_admin_needs_reset_admin() {
        assert!(Config::load_from(["backend", "--create-admin"]).is_err());
        let c = Config::load_from(["backend", "--reset-admin", "root", "--create-admin"]).unwrap();
        assert!(c.create_admin);
    }
}
