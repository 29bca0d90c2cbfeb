//! The browser-test harness: a real backend on 127.0.0.1:0 (SQLite in a
//! temporary directory, or PostgreSQL in a fresh schema when
//! CANTEEN_TEST_POSTGRES_URL is set), a small world of users, and headless
//! Chromium driven over the DevTools protocol (chromiumoxide).
//!
//! `Browser::launch` answers `None` (and the test says it is skipped) when
//! no Chromium is installed; CI installs Debian's `chromium`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use backend::app::Application;
use backend::config::Config;
use backend::store::{Actor, AuditEntry, Db, NewSite, NewUser, Role, SiteKind};
use canteen_core::{SiteId, TownshipId};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{BrowserConfig, Element, Page};
use futures_util::StreamExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A password every seeded user has (long enough for the rules).
pub const PASSWORD: &str = "correct-horse-42";

/// A user of the seeded world.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub display_name: String,
}

/// The running backend and its world: one township with a village commune
/// site, and a volunteer (a Chinese username), finance staff and an
/// administrator of that township.
pub struct Server {
    pub base: String,
    pub store: Db,
    pub township_id: TownshipId,
    pub site_id: SiteId,
    pub volunteer: Login,
    pub finance: Login,
    pub admin: Login,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

fn audit() -> AuditEntry {
    AuditEntry {
        actor: Actor::system(),
        township_id: None,
        action: "test.seed".into(),
        entity: "test".into(),
        entity_id: String::new(),
        before: None,
        after: None,
    }
}

impl Server {
    /// Starts the backend, or `None` on PostgreSQL when it is not configured.
    pub async fn start(kind: Backend) -> Option<Server> {
        Server::start_with(kind, |_| {}).await
    }

    /// [`Server::start`] with a changed configuration.
    pub async fn start_with(kind: Backend, edit: impl FnOnce(&mut Config)) -> Option<Server> {
        let (mut config, dir, schema) = match kind {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite:{}", dir.path().join("web.db").display());
                (Config::for_tests(url, None), Some(dir), None)
            }
            Backend::Postgres => {
                let Some(url) = std::env::var("CANTEEN_TEST_POSTGRES_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
                else {
                    eprintln!("skipped on PostgreSQL: set CANTEEN_TEST_POSTGRES_URL to run it");
                    return None;
                };
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut c = Config::for_tests(url.clone(), Some(schema.clone()));
                c.db_max_connections = 4;
                (c, None, Some((url, schema)))
            }
        };
        edit(&mut config);
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.store().clone();
        tokio::spawn(app.run_until_stopped());
        let township = store
            .insert_township("大寨镇", audit())
            .await
            .expect("township");
        let site = store
            .insert_site(
                NewSite {
                    township_id: township.id,
                    name: "勐准村幸福公社".into(),
                    kind: SiteKind::Commune,
                    utc_offset_minutes: 480,
                },
                audit(),
            )
            .await
            .expect("site");
        let hash = backend::auth::hash_password(PASSWORD).expect("hash");
        let add = async |username: &str, name: &str, role: Role, site: Option<SiteId>| {
            store
                .insert_user(
                    NewUser {
                        username: username.into(),
                        display_name: name.into(),
                        role,
                        township_id: Some(township.id),
                        site_id: site,
                        password_hash: hash.clone(),
                        must_change_password: false,
                    },
                    audit(),
                )
                .await
                .expect("user");
            Login {
                username: username.into(),
                display_name: name.into(),
            }
        };
        let volunteer = add("王小花", "王小花", Role::Volunteer, Some(site.id)).await;
        let finance = add("finance1", "李会计", Role::Finance, None).await;
        let admin = add("admin1", "张管理", Role::Admin, None).await;
        Some(Server {
            base,
            store,
            township_id: township.id,
            site_id: site.id,
            volunteer,
            finance,
            admin,
            schema,
            _dir: dir,
        })
    }

    /// The address of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Drops the PostgreSQL schema (the SQLite directory goes by itself).
    pub async fn finish(self) {
        if let Some((url, schema)) = &self.schema {
            let db = Db::connect(url, None, 1).await.expect("connect");
            db.execute_raw(format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .expect("drop schema");
        }
    }
}

/// The screen a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Screen {
    /// An old phone, 360x740.
    Phone,
    /// An office PC, 1366x768.
    Desktop,
}

/// Headless Chromium with one page, its own profile directory.
pub struct Browser {
    browser: chromiumoxide::Browser,
    screen: Viewport,
    handler: tokio::task::JoinHandle<()>,
    pub page: Page,
    _profile: tempfile::TempDir,
}

/// Where Chromium is: `CHROMIUM` or Debian's `/usr/bin/chromium`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.exists().then_some(path)
}

/// How long a wait for the page may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

impl Browser {
    /// Launches Chromium headless at the screen's size, or `None` (the
    /// test is skipped, and says so) when Chromium is not installed.
    pub async fn launch(screen: Screen) -> Option<Browser> {
        let Some(exe) = chromium() else {
            eprintln!(
                "skipped: Chromium is not installed (apt-get install chromium, or set CHROMIUM)"
            );
            return None;
        };
        let (width, height, mobile) = match screen {
            Screen::Phone => (360, 740, true),
            Screen::Desktop => (1366, 768, false),
        };
        let viewport = Viewport {
            width,
            height,
            device_scale_factor: Some(1.0),
            emulating_mobile: mobile,
            is_landscape: false,
            has_touch: mobile,
        };
        let profile = tempfile::tempdir().expect("profile dir");
        let config = BrowserConfig::builder()
            .chrome_executable(exe)
            .new_headless_mode()
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(width, height)
            .viewport(viewport.clone())
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .build()
            .expect("browser config");
        let (browser, mut events) = chromiumoxide::Browser::launch(config)
            .await
            .expect("Chromium starts");
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        let page = browser.new_page("about:blank").await.expect("a page");
        Some(Browser {
            browser,
            screen: viewport,
            handler,
            page,
            _profile: profile,
        })
    }

    /// Opens an address and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.page.goto(url).await.expect("navigation");
    }

    /// Waits until an element matching `selector` is on the page (polls:
    /// after a click the page may still be loading the next one).
    pub async fn wait_for(&self, selector: &str) -> Element {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(e) = self.page.find_element(selector).await {
                return e;
            }
            if tokio::time::Instant::now() > deadline {
                let url = self.url().await;
                let body = self.page.content().await.unwrap_or_default();
                panic!("no '{selector}' on {url} after {WAIT:?}:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the field (replacing what it held). Text goes in
    /// with CDP `Input.insertText`, which takes Chinese as well.
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.wait_for(selector).await;
        field
            .call_js_fn("function() { this.value = ''; }", false)
            .await
            .expect("clear the field");
        field.focus().await.expect("focus");
        self.page
            .execute(InsertTextParams::new(text))
            .await
            .expect("insert text");
    }

    /// Clicks an element.
    pub async fn click(&self, selector: &str) {
        self.wait_for(selector).await.click().await.expect("click");
    }

    /// The text of an element.
    pub async fn text(&self, selector: &str) -> String {
        self.wait_for(selector)
            .await
            .inner_text()
            .await
            .expect("text")
            .unwrap_or_default()
    }

    /// True when an element matching `selector` is on the page now.
    pub async fn has(&self, selector: &str) -> bool {
        self.page.find_element(selector).await.is_ok()
    }

    /// Runs JavaScript in the page; its value as JSON.
    pub async fn eval(&self, js: &str) -> serde_json::Value {
        self.page
            .evaluate(js)
            .await
            .expect("evaluate")
            .value()
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }

    /// The HTTP status of the page shown.
    pub async fn status(&self) -> u64 {
        self.eval("performance.getEntriesByType('navigation')[0].responseStatus")
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// The page's address.
    pub async fn url(&self) -> String {
        self.page.url().await.ok().flatten().unwrap_or_default()
    }

    /// Saves a PNG of the whole page.
    pub async fn screenshot(&self, path: &Path) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        self.page
            .save_screenshot(ScreenshotParams::builder().full_page(true).build(), path)
            .await
            .expect("screenshot");
        // A whole-page shot clears the screen's size: set it again.
        let params = SetDeviceMetricsOverrideParams::builder()
            .width(self.screen.width)
            .height(self.screen.height)
            .device_scale_factor(1.0)
            .mobile(self.screen.emulating_mobile)
            .build()
            .expect("metrics");
        self.page.execute(params).await.expect("screen size");
    }

    /// Signs in through the login form and waits for the next page.
    pub async fn sign_in(&self, server: &Server, username: &str, password: &str) {
        self.goto(&server.url("/login")).await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("#login-submit").await;
        self.wait_for("#logout, #login-error").await;
    }

    /// Closes Chromium.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// Where a test's screenshots go: `target/tmp/web/<name>.png`.
pub fn shot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("web")
        .join(format!("{name}.png"))
}
