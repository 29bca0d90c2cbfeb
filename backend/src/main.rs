//! Starts the canteen backend: read the configuration, connect and migrate,
//! serve.

use std::io::IsTerminal;
use std::process::ExitCode;

use backend::app::Application;
use backend::config::{Config, ConfigError};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(c) => c,
        Err(ConfigError::Clap(e)) => e.exit(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Logs go to stderr, coloured only on a terminal: a log file or the
    // journal must not fill with escape codes.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    if let Some(username) = config.reset_admin.clone() {
        return match backend::app::reset_admin(&config, &username).await {
            Ok(admin) => {
                println!(
                    "New one-time password for {}: {}",
                    admin.username, admin.password.0
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let database = config.database_url.clone().map_or_else(
        || {
            format!(
                "SQLite file {}",
                config.data_dir.join("canteen.db").display()
            )
        },
        |_| "the database in DATABASE_URL".to_string(),
    );
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(admin) = app.first_admin() {
        println!("First start: the administrator account is");
        println!("  username: {}", admin.username);
        println!(
            "  password: {}   (shown once; change it with POST /api/me/password)",
            admin.password.0
        );
        for line in &admin.notes {
            println!("{line}");
        }
    }
    println!(
        "Happiness Canteen backend serving on http://127.0.0.1:{} ({}); API list at /api",
        app.port(),
        database
    );
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
