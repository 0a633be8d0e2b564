//! Test support: a fresh database per test (a SQLite file, or a new
//! PostgreSQL database), the real application on a random port, and the
//! real binary as a child process.

use crate::lapor_standin::{self, LaporStandin};
use satupintu::config::{
    AgencyConfig, Config, DestinationConfig, LaporConfig, LaporProfile, SecretRef,
};
use satupintu::startup::Application;
use satupintu::store::entity::{complaint, inbound_message, outbox};
use satupintu::store::Store;
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub const PUPR_TOKEN: &str = "token-pupr-123";
pub const DLH_TOKEN: &str = "token-dlh-456";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test function on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("SATUPINTU_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend, dir: &Path) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.join("satupintu.db").display()),
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for this test and is not reachable at {admin}: {e}. \
                         Start PostgreSQL or point SATUPINTU_TEST_DATABASE_URL at one."
                    )
                });
                let name = format!("satupintu_t_{}", uuid::Uuid::new_v4().simple());
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop may run inside a runtime; use a thread with its own.
        let admin = postgres_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(conn) = Database::connect(&admin).await {
                    let _ = conn
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    conn.close().await.ok();
                }
            })
        })
        .join();
    }
}

/// Writes a secret to a file in `dir` and names it.
pub fn secret_file(dir: &Path, name: &str, value: &str) -> SecretRef {
    let path = dir.join(name);
    std::fs::write(&path, value).unwrap();
    SecretRef {
        env: None,
        file: Some(path),
    }
}

/// A configuration for tests: fast polling and backoff, LAPOR (XML
/// profile) at `lapor` when given, two agencies with tokens.
pub fn test_config(db: &TestDb, dir: &Path, lapor: Option<&LaporStandin>) -> Config {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.shutdown_grace_secs = 2;
    config.database.url = db.url.clone();
    config.database.max_connections = 4;
    config.attachments.dir = dir.join("attachments");
    config.dispatch.poll_interval_ms = 50;
    config.dispatch.backoff_base_ms = 20;
    config.dispatch.backoff_max_ms = 100;
    config.dispatch.max_attempts = 4;
    config.dispatch.lease_secs = 2;
    // Other flows send look-alike texts from one number; the duplicate
    // tests turn detection on.
    config.dedup.enabled = false;
    // No rules file unless a test writes one: everything to the default.
    config.routing.rules_file = dir.join("rules.toml");
    config.routing.areas_dir = repo_path("config/areas");
    config.routing.reload_debounce_ms = 50;
    config.agencies.insert(
        "pupr".into(),
        AgencyConfig {
            name: "Dinas PUPR".into(),
            token: Some(secret_file(dir, "pupr.token", PUPR_TOKEN)),
            token_sha256: None,
        },
    );
    config.agencies.insert(
        "dlh".into(),
        AgencyConfig {
            name: "Dinas Lingkungan Hidup".into(),
            token: None,
            token_sha256: Some(hex::encode(satupintu::http::queues::token_hash(DLH_TOKEN))),
        },
    );
    config.destinations.insert(
        "pupr".into(),
        DestinationConfig::AgencyQueue {
            agency: "pupr".into(),
        },
    );
    config.destinations.insert(
        "dlh".into(),
        DestinationConfig::AgencyQueue {
            agency: "dlh".into(),
        },
    );
    config.dispatch.default_destination = "pupr".into();
    if let Some(lapor) = lapor {
        config.destinations.insert(
            "lapor".into(),
            lapor_destination(dir, lapor, LaporProfile::Xml),
        );
        config.dispatch.default_destination = "lapor".into();
    }
    config
}

/// A path inside the repository (tests do not rely on the working directory).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn lapor_destination(
    dir: &Path,
    lapor: &LaporStandin,
    profile: LaporProfile,
) -> DestinationConfig {
    DestinationConfig::Lapor(LaporConfig {
        base_url: lapor.base_url(),
        profile,
        token: secret_file(dir, "lapor.token", lapor_standin::TOKEN),
        submit_path: None,
        field_map: Default::default(),
        tracking_id_pointer: "/trackingid".into(),
        transaction_id_pointer: "/transaksiid".into(),
        timeout_secs: 5,
        status: None,
        callback_token: None,
    })
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub intake: satupintu::intake::Intake,
    pub routing: std::sync::Arc<satupintu::routing::Routing>,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Sends the gateway's log to the test's captured output, which the
/// harness prints only when the test fails. `RUST_LOG` overrides the level.
pub fn capture_log() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("satupintu=info,adapters=info,warn")
        });
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_test_writer()
            .try_init();
    });
}

impl TestApp {
    pub async fn spawn(config: Config) -> TestApp {
        capture_log();
        config.validate().expect("test configuration is valid");
        let app = Application::build(config)
            .await
            .expect("application starts");
        let base = format!("http://{}", app.local_addr());
        let store = app.store();
        let intake = app.intake();
        let routing = app.routing();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(app.run(shutdown.clone()));
        TestApp {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            store,
            intake,
            routing,
            shutdown,
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Submits `body` on the web form. The form answers once a submission
    /// is journaled; this returns once the pipeline has taken it in too,
    /// as most tests look at the complaint.
    pub async fn post_json(&self, body: serde_json::Value) -> reqwest::Response {
        let r = self.post_json_answered(body).await;
        if r.status() == 201 {
            self.taken_in().await;
        }
        r
    }

    /// Submits `body` on the web form; returns with the answer.
    pub async fn post_json_answered(&self, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/complaints"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Waits until the intake journal is empty: everything answered is a
    /// complaint (or follow-up, or answer) now.
    pub async fn taken_in(&self) {
        assert!(
            self.intake
                .journal_settled(std::time::Duration::from_secs(20))
                .await,
            "the intake journal still holds entries after 20 s"
        );
    }

    /// The PUPR agency sets complaint `code` to `status` with `note`, once
    /// the complaint has reached its queue.
    pub async fn agency_sets_status(&self, code: &str, status: &str, note: &str) {
        eventually("the complaint in the PUPR queue", 20, || async {
            let r = self
                .client
                .get(self.url("/api/v1/queues/pupr"))
                .bearer_auth(PUPR_TOKEN)
                .send()
                .await
                .ok()?;
            let body: serde_json::Value = r.json().await.ok()?;
            body["items"]
                .as_array()?
                .iter()
                .any(|i| i["tracking_code"] == code)
                .then_some(())
        })
        .await;
        self.agency_posts_status(code, status, Some(note)).await;
    }

    /// The PUPR agency posts `status` for complaint `code`; it must be
    /// taken.
    pub async fn agency_posts_status(&self, code: &str, status: &str, note: Option<&str>) {
        let r = self
            .client
            .post(self.url(&format!("/api/v1/queues/pupr/{code}/status")))
            .bearer_auth(PUPR_TOKEN)
            .json(&serde_json::json!({"status": status, "note": note}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{status}");
    }

    /// Stops the server and dispatcher gracefully.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }

    pub async fn complaints(&self) -> Vec<complaint::Model> {
        complaint::Entity::find()
            .all(self.store.db())
            .await
            .unwrap()
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn count_stored(&self) -> (u64, u64, u64) {
        let db = self.store.db();
        (
            inbound_message::Entity::find().count(db).await.unwrap(),
            complaint::Entity::find().count(db).await.unwrap(),
            outbox::Entity::find().count(db).await.unwrap(),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A gateway with duplicate detection on, on a fresh database.
pub async fn spawn_with_dedup(backend: Backend) -> (TestApp, TestDb, TempDir) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.dedup.enabled = true;
    let app = TestApp::spawn(config).await;
    (app, db, dir)
}

/// Polls `check` until it returns Some, or fails the test after `secs`.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub fn tempdir() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// The real `satupintu` binary, run as a child process on a config file.
pub struct Gateway {
    child: std::process::Child,
    pub base: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn write_config(config: &Config, path: &Path) -> PathBuf {
    std::fs::write(path, toml::to_string(config).expect("config serialises")).unwrap();
    path.to_path_buf()
}

impl Gateway {
    /// Submits a web-form complaint; its tracking code.
    pub async fn submit(&self, phone: &str, text: &str) -> String {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/complaints", self.base))
            .json(&serde_json::json!({"text": text, "phone": phone}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
            .as_str()
            .unwrap()
            .to_string();
        // Answered once journaled: wait until the complaint is made.
        let url = format!("{}/api/v1/complaints/{code}", self.base);
        eventually("the submission to become a complaint", 30, || async {
            let view: serde_json::Value = reqwest::get(&url).await.ok()?.json().await.ok()?;
            (view["tracking_code"] == code.as_str() && view.get("processing").is_none())
                .then_some(())
        })
        .await;
        code
    }

    pub async fn start(config_path: &Path, port: u16, log: &Path) -> Gateway {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_satupintu"))
            .args([
                "--config",
                config_path.to_str().unwrap(),
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env_remove("SATUPINTU_LISTEN")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the satupintu binary");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let health = format!("{base}/healthz");
        eventually("the gateway to answer /healthz", 90, || {
            let client = client.clone();
            let health = health.clone();
            async move {
                client
                    .get(&health)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            }
        })
        .await;
        Gateway { child, base }
    }

    /// SIGKILL: no chance to finish or release anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with arguments to completion; returns (success, stdout, stderr).
/// Where the intake journal is kept: its own file on SQLite, a table of
/// the gateway's database on PostgreSQL.
pub async fn journal_db(app: &TestApp) -> sea_orm::DatabaseConnection {
    match app.intake.journal_path() {
        Some(path) => sea_orm::Database::connect(format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
        None => app.store.db().clone(),
    }
}

pub fn run_cli(config_path: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_satupintu"))
        .arg("--config")
        .arg(config_path)
        .args(args)
        .output()
        .expect("run the satupintu binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A chat message as an SMS adapter would hand it over.
pub fn sms(id: &str, from: &str, text: &str) -> adapters::InboundMessage {
    use adapters::{Address, Channel, ExternalId, Flags, InboundMessage, PhoneE164, RawPayload};
    InboundMessage {
        channel: Channel::Sms,
        channel_account: "modem-1".into(),
        external_id: ExternalId::parse(id).unwrap(),
        sender: Some(Address::Phone(PhoneE164::parse(from).unwrap())),
        other_addresses: vec![],
        display_name: None,
        title: None,
        text: text.into(),
        category: None,
        attachments: vec![],
        location: None,
        reply_to: None,
        flags: Flags::default(),
        received_at: chrono::Utc::now(),
        raw: RawPayload {
            content_type: "text/plain".into(),
            body: format!("{id}|{from}|{text}"),
        },
    }
}
