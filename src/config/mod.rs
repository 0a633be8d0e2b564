//! Configuration: one TOML file, overridden by `SATUPINTU_SECTION__KEY`
//! environment variables, checked as a whole before anything starts.
//! Secrets are only named here (see [`secret`]); their values never are.

mod city;
mod dedup;
mod destinations;
mod routing;
mod secret;

pub use city::{CityConfig, UtcOffset};
pub use dedup::DedupConfig;
pub use destinations::{
    AgencyConfig, DestinationConfig, LaporConfig, LaporProfile, LaporStatusConfig, WebhookConfig,
};
pub use routing::RoutingConfig;
pub use secret::{NamedSecret, Secret, SecretRef, Secrets};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration file read when `--config` is not given.
pub const DEFAULT_PATH: &str = "config/satupintu.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub city: CityConfig,
    pub webform: WebformConfig,
    pub attachments: AttachmentsConfig,
    pub dispatch: DispatchConfig,
    pub notify: NotifyConfig,
    pub intake: IntakeConfig,
    /// Repeats of a citizen's complaint and other citizens' reports of the same problem.
    pub dedup: DedupConfig,
    pub sla: SlaConfig,
    /// Citizen channels besides the web form.
    pub channels: crate::channels::ChannelsConfig,
    pub routing: RoutingConfig,
    /// Agencies (OPD) by id; each may read its own queue.
    pub agencies: BTreeMap<String, AgencyConfig>,
    /// Where complaints can be delivered, by name.
    pub destinations: BTreeMap<String, DestinationConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the HTTP server listens on (`SATUPINTU_LISTEN` overrides it).
    pub listen: SocketAddr,
    /// The URL citizens reach this server at, for links in messages.
    pub public_url: String,
    /// Seconds a request may take before it is answered 408.
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests get to finish at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            public_url: "http://127.0.0.1:8080".into(),
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://data/satupintu.db` (the default) or `postgres://user@host/db`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// SQLite: writers arriving together share one commit (one wait for
    /// the disk). A shared transaction commits when nobody else waits, or
    /// after this many milliseconds, or with this many writers.
    pub group_commit_max_delay_ms: u64,
    pub group_commit_max_writers: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://data/satupintu.db".into(),
            max_connections: 8,
            group_commit_max_delay_ms: 10,
            group_commit_max_writers: 128,
        }
    }
}

impl DatabaseConfig {
    pub fn group_commit(&self) -> crate::store::group::Policy {
        crate::store::group::Policy {
            max_members: self.group_commit_max_writers,
            max_delay: std::time::Duration::from_millis(self.group_commit_max_delay_ms),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `satupintu=debug,info`; `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaConfig {
    /// Watch the clocks: warn the coordinator, close unanswered resolutions.
    pub enabled: bool,
    /// Holiday files (national holidays and cuti bersama, regional ones).
    pub holiday_files: Vec<PathBuf>,
    /// Further holidays: `{ date = "2026-08-07", name = "Hari jadi kota" }`.
    pub extra_holidays: Vec<crate::sla::calendar::Holiday>,
    /// Working days for verification and forwarding.
    pub verify_days: u32,
    /// Working days for the agency's follow-up.
    pub follow_up_days: u32,
    /// Working days after a resolution before it closes unanswered.
    pub closure_days: u32,
    /// Hours before a due time the coordinator is warned.
    pub warn_hours: u32,
    /// Seconds between checks.
    pub check_interval_secs: u64,
    /// Who is warned, on which channel; nobody when absent.
    pub coordinator: Option<crate::sla::watch::Coordinator>,
}

impl Default for SlaConfig {
    fn default() -> Self {
        let policy = crate::sla::Policy::default();
        SlaConfig {
            enabled: true,
            holiday_files: vec!["config/holidays/2026.toml".into()],
            extra_holidays: vec![],
            verify_days: policy.verify_days,
            follow_up_days: policy.follow_up_days,
            closure_days: policy.closure_days,
            warn_hours: 24,
            check_interval_secs: 60,
            coordinator: None,
        }
    }
}

impl SlaConfig {
    pub fn build(&self, city: &CityConfig) -> Result<crate::sla::Sla, String> {
        let calendar = crate::sla::calendar::Calendar::load(
            city.offset()?,
            &self.holiday_files,
            &self.extra_holidays,
        )?;
        Ok(crate::sla::Sla {
            calendar,
            policy: crate::sla::Policy {
                verify_days: self.verify_days,
                follow_up_days: self.follow_up_days,
                closure_days: self.closure_days,
            },
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebformConfig {
    /// Channel account recorded for complaints from the web form.
    pub account: String,
    #[serde(flatten)]
    pub limits: adapters::webform::Limits,
}

impl Default for WebformConfig {
    fn default() -> Self {
        WebformConfig {
            account: "web".into(),
            limits: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// Directory attachments are stored in, by their sha256.
    pub dir: PathBuf,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            dir: "data/attachments".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// Run the delivery worker in this process.
    pub enabled: bool,
    /// Destination when no routing rule names one (and the rules file has
    /// no `[default]`), and for every complaint when there is no rules file.
    pub default_destination: String,
    /// Where a complaint goes when an agency hands it back as not theirs
    /// (the coordinator's queue); the default destination when unset.
    pub return_destination: Option<String>,
    /// Milliseconds between looks at the outbox when idle.
    pub poll_interval_ms: u64,
    /// Rows leased at once.
    pub batch_size: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Seconds a lease lasts; a crashed instance's rows are taken over after it.
    pub lease_secs: u64,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay in milliseconds; doubled per attempt, with jitter.
    pub backoff_base_ms: u64,
    /// Longest retry delay in milliseconds.
    pub backoff_max_ms: u64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            enabled: true,
            default_destination: "koordinator".into(),
            return_destination: None,
            poll_interval_ms: 1000,
            batch_size: 32,
            concurrency: 8,
            lease_secs: 60,
            max_attempts: 10,
            backoff_base_ms: 2000,
            backoff_max_ms: 3_600_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeConfig {
    /// Minutes after a citizen's message in which a photo or location they
    /// send joins the same complaint instead of opening a new one.
    pub followup_window_minutes: u32,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            followup_window_minutes: 30,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Language of messages to citizens: `id`, `en` or `both`.
    pub language: crate::notify::MessageLanguage,
    /// Where to reach a citizen whose own channel cannot deliver (a web
    /// form reporter, a blocked bot, a bouncing mailbox), in order: the
    /// first channel for which the citizen has a reachable address is used.
    pub fallback: Vec<crate::notify::FallbackRoute>,
}

/// A configuration problem, naming where it is.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration ({source_name}): {message}")]
pub struct ConfigError {
    pub source_name: String,
    pub message: String,
}

impl Config {
    /// Every secret start-up reads, with its key: the channels', the
    /// destinations' and the agencies' queue tokens.
    pub fn secrets(&self) -> Vec<NamedSecret<'_>> {
        let mut secrets = self.channels.secrets();
        for (name, destination) in &self.destinations {
            secrets.extend(destination.secrets(name));
        }
        for (id, agency) in &self.agencies {
            if let Some(token) = &agency.token {
                secrets.push((format!("agencies.{id}.token"), token));
            }
        }
        secrets
    }

    /// Loads `path` (or the default file if present, else built-in
    /// defaults), applies environment overrides, and checks the result.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let source_name = match path {
            Some(p) => {
                if !p.exists() {
                    return Err(ConfigError {
                        source_name: p.display().to_string(),
                        message: "file not found".into(),
                    });
                }
                figment = figment.merge(Toml::file_exact(p));
                p.display().to_string()
            }
            None if Path::new(DEFAULT_PATH).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_PATH));
                DEFAULT_PATH.to_string()
            }
            None => "built-in defaults".to_string(),
        };
        figment = figment
            .merge(
                Env::prefixed("SATUPINTU_")
                    .filter(|key| key.as_str().contains("__"))
                    .split("__"),
            )
            .merge(
                Env::raw()
                    .only(&["SATUPINTU_LISTEN"])
                    .map(|_| "server.listen".into()),
            );
        let config: Config = figment.extract().map_err(|e| ConfigError {
            source_name: source_name.clone(),
            message: e
                .into_iter()
                .map(|e| describe(&e))
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        config.validate().map_err(|problems| ConfigError {
            source_name,
            message: problems.join("; "),
        })?;
        Ok(config)
    }

    /// Cross-field checks serde cannot do; every problem names its key.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !self.database.url.starts_with("sqlite:") && !self.database.url.starts_with("postgres") {
            problems.push("database.url: must start with `sqlite:` or `postgres://`".to_string());
        }
        if self.database.group_commit_max_writers == 0 {
            problems.push("database.group_commit_max_writers: must be at least 1".into());
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections: must be at least 1".into());
        }
        for (key, secret) in self.secrets() {
            problems.extend(secret.shape_problem(&key));
        }
        if !self
            .destinations
            .contains_key(&self.dispatch.default_destination)
        {
            problems.push(format!(
                "dispatch.default_destination: `{}` is not a configured destination (known: {})",
                self.dispatch.default_destination,
                self.destinations
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(r) = &self.dispatch.return_destination {
            if !self.destinations.contains_key(r) {
                problems.push(format!(
                    "dispatch.return_destination: `{r}` is not a configured destination"
                ));
            }
        }
        if self.dispatch.max_attempts < 1 {
            problems.push("dispatch.max_attempts: must be at least 1".into());
        }
        if self.dispatch.concurrency == 0 || self.dispatch.batch_size == 0 {
            problems
                .push("dispatch.concurrency and dispatch.batch_size: must be at least 1".into());
        }
        for (name, dest) in &self.destinations {
            if let Err(e) = dest.validate(name, &self.agencies) {
                problems.push(e);
            }
        }
        for (id, agency) in &self.agencies {
            if let Err(e) = agency.validate(id) {
                problems.push(e);
            }
        }
        problems.extend(self.channels.validate());
        problems.extend(self.dedup.validate());
        if let Err(e) = self.city.offset() {
            problems.push(e);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn describe(e: &figment::Error) -> String {
    let key = e.path.join(".");
    let origin = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(src) => format!(" (from {src})"),
            None => format!(" (from {})", m.name),
        })
        .unwrap_or_default();
    if key.is_empty() {
        format!("{}{origin}", e.kind)
    } else {
        format!("{key}: {}{origin}", e.kind)
    }
}

#[cfg(test)]
mod tests;
