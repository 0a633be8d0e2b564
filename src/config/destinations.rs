//! Configuration of agencies and of the destinations complaints go to.

use super::SecretRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyConfig {
    /// Name shown to operators and citizens, e.g. `Dinas PUPR Kota Padang`.
    pub name: String,
    /// Bearer token this agency reads its queue with. Without one the
    /// agency's queue can only be read by the console.
    pub token: Option<SecretRef>,
    /// Alternative to `token`: the hex sha256 of the token, safe to keep in
    /// the configuration file.
    pub token_sha256: Option<String>,
}

impl AgencyConfig {
    pub fn validate(&self, id: &str) -> Result<(), String> {
        if self.token.is_some() && self.token_sha256.is_some() {
            return Err(format!(
                "agencies.{id}: set `token` or `token_sha256`, not both"
            ));
        }
        if let Some(h) = &self.token_sha256 {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "agencies.{id}.token_sha256: must be 64 hex characters"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DestinationConfig {
    /// The complaint lands in an agency's queue in this database.
    AgencyQueue {
        /// Agency id from `[agencies]`.
        agency: String,
    },
    /// SP4N-LAPOR!, the national complaint system.
    Lapor(LaporConfig),
    /// Any HTTP endpoint that takes the complaint as signed JSON.
    Webhook(WebhookConfig),
    /// An agency's e-mail address, through `[channels.email.smtp]`.
    Email(crate::dispatch::email::EmailDestinationConfig),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LaporProfile {
    /// A JSON API with configurable field names.
    #[default]
    Json,
    /// The historical `/api/stream/addstream` XML API.
    Xml,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaporConfig {
    /// Base URL of the LAPOR! instance, e.g. `https://www.lapor.go.id`.
    pub base_url: String,
    /// `json` or `xml`.
    #[serde(default)]
    pub profile: LaporProfile,
    /// API token (sent as the `token` attribute in the XML profile, as a
    /// bearer token in the JSON profile).
    pub token: SecretRef,
    /// Path the complaint is posted to; defaults by profile.
    pub submit_path: Option<String>,
    /// JSON profile: our field name -> LAPOR's field name. Our fields:
    /// title, body, category, name, phone, email, anonim, rahasia,
    /// tracking_code, lat, lon, address, channel, created_at.
    #[serde(default)]
    pub field_map: BTreeMap<String, String>,
    /// JSON pointer to the tracking id in LAPOR's answer.
    #[serde(default = "default_tracking_pointer")]
    pub tracking_id_pointer: String,
    /// JSON pointer to the transaction id in LAPOR's answer.
    #[serde(default = "default_transaction_pointer")]
    pub transaction_id_pointer: String,
    /// Seconds before a request is given up and retried later.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Polling LAPOR for the stage of forwarded complaints; off when absent.
    #[serde(default)]
    pub status: Option<LaporStatusConfig>,
    /// Token LAPOR presents (`Authorization: Bearer`) when it calls back
    /// at `POST /webhooks/lapor/{destination}`; callbacks are off when absent.
    #[serde(default)]
    pub callback_token: Option<SecretRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LaporStatusConfig {
    /// Path of a report's status; `{trackingid}` is replaced.
    pub path: String,
    /// JSON pointer to the stage name in the answer.
    pub stage_pointer: String,
    /// JSON pointer to the agency's answer (tindak lanjut) text.
    pub answer_pointer: String,
    /// LAPOR stage name (lower case) -> our status.
    pub stages: BTreeMap<String, crate::complaint::Status>,
    /// Seconds between polls while LAPOR answers.
    pub interval_secs: u64,
    /// Longest pause when LAPOR is slow or down (the interval doubles up to it).
    pub max_backoff_secs: u64,
    /// Complaints asked about per poll.
    pub batch: u64,
}

impl Default for LaporStatusConfig {
    fn default() -> Self {
        use crate::complaint::Status;
        let stages = [
            ("belum terverifikasi", Status::Forwarded),
            ("terverifikasi", Status::Verified),
            ("verifikasi", Status::Verified),
            ("disposisi", Status::Assigned),
            ("didisposisikan", Status::Assigned),
            ("tindak lanjut", Status::InProgress),
            ("ditindaklanjuti", Status::InProgress),
            ("proses", Status::InProgress),
            ("selesai", Status::Resolved),
            ("arsip", Status::Closed),
            ("diarsipkan", Status::Closed),
            ("ditolak", Status::Rejected),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        LaporStatusConfig {
            path: "/api/v1/laporan/{trackingid}".into(),
            stage_pointer: "/status".into(),
            answer_pointer: "/tanggapan".into(),
            stages,
            interval_secs: 300,
            max_backoff_secs: 3600,
            batch: 50,
        }
    }
}

fn default_tracking_pointer() -> String {
    "/trackingid".into()
}
fn default_transaction_pointer() -> String {
    "/transaksiid".into()
}
fn default_timeout() -> u64 {
    20
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// URL the complaint JSON is POSTed to.
    pub url: String,
    /// Key for the `X-Satupintu-Signature: sha256=<hex>` HMAC header.
    pub secret: SecretRef,
    /// Seconds before a request is given up and retried later.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn check_url(key: &str, url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(()),
        Ok(u) => Err(format!(
            "{key}: scheme `{}` is not http or https",
            u.scheme()
        )),
        Err(e) => Err(format!("{key}: `{url}` is not a URL ({e})")),
    }
}

impl DestinationConfig {
    /// The secrets start-up reads for destination `name`.
    pub fn secrets(&self, name: &str) -> Vec<super::NamedSecret<'_>> {
        let key = |field: &str| format!("destinations.{name}.{field}");
        match self {
            DestinationConfig::Lapor(l) => {
                let mut secrets = vec![(key("token"), &l.token)];
                if let Some(t) = &l.callback_token {
                    secrets.push((key("callback_token"), t));
                }
                secrets
            }
            DestinationConfig::Webhook(w) => vec![(key("secret"), &w.secret)],
            // Sent with the e-mail channel's SMTP login.
            DestinationConfig::AgencyQueue { .. } | DestinationConfig::Email(_) => vec![],
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            DestinationConfig::AgencyQueue { .. } => "agency_queue",
            DestinationConfig::Lapor(_) => "lapor",
            DestinationConfig::Webhook(_) => "webhook",
            DestinationConfig::Email(_) => "email",
        }
    }

    pub fn validate(
        &self,
        name: &str,
        agencies: &BTreeMap<String, AgencyConfig>,
    ) -> Result<(), String> {
        match self {
            DestinationConfig::AgencyQueue { agency } if !agencies.contains_key(agency) => Err(
                format!("destinations.{name}.agency: `{agency}` is not in [agencies]"),
            ),
            DestinationConfig::AgencyQueue { .. } => Ok(()),
            DestinationConfig::Lapor(l) => {
                check_url(&format!("destinations.{name}.base_url"), &l.base_url)?;
                for (ours, _) in &l.field_map {
                    if !crate::dispatch::lapor::FIELDS.contains(&ours.as_str()) {
                        return Err(format!(
                            "destinations.{name}.field_map: `{ours}` is not a complaint field (known: {})",
                            crate::dispatch::lapor::FIELDS.join(", ")
                        ));
                    }
                }
                for (key, pointer) in [
                    ("tracking_id_pointer", &l.tracking_id_pointer),
                    ("transaction_id_pointer", &l.transaction_id_pointer),
                ] {
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        return Err(format!(
                            "destinations.{name}.{key}: a JSON pointer starts with `/`"
                        ));
                    }
                }
                Ok(())
            }
            DestinationConfig::Webhook(w) => check_url(&format!("destinations.{name}.url"), &w.url),
            DestinationConfig::Email(e) => e.validate(name),
        }
    }
}
