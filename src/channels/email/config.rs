//! `[channels.email]`: the mailbox complaints arrive in (IMAP), the server
//! replies leave through (SMTP), and the limits on what is kept. Secrets
//! are only named here; [`EmailConfig::validate`] names the key at fault.

use crate::config::SecretRef;
use adapters::email::{check_security, Limits, Security};
use adapters::EmailAddress;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[channels.email]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The channel account recorded with every message; defaults to
    /// `smtp.from_address`.
    #[serde(default)]
    pub account: Option<String>,
    /// Further addresses of ours (aliases): mail from them is never answered.
    #[serde(default)]
    pub own_addresses: Vec<String>,
    /// The mailbox to read. Without it the channel only sends (replies and
    /// complaints to agencies' addresses).
    #[serde(default)]
    pub imap: Option<ImapConfig>,
    pub smtp: SmtpConfig,
    #[serde(default)]
    pub limits: Limits,
}

/// `[channels.email.imap]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    /// Defaults to 993 for `tls`, 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    /// `tls` (implicit), `starttls`, or `plain` (loopback hosts only).
    #[serde(default = "default_tls")]
    pub security: Security,
    pub user: String,
    pub password: SecretRef,
    /// PEM file of a CA to trust instead of the platform's roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The folder complaints arrive in.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Where a committed message is moved; without it, it is flagged `\Seen`
    /// and stays where it is.
    #[serde(default)]
    pub processed_folder: Option<String>,
    /// Where a message that cannot be read is moved (created if missing).
    #[serde(default = "default_quarantine")]
    pub quarantine_folder: String,
    /// Use IDLE when the server offers it (else poll).
    #[serde(default = "default_true")]
    pub idle: bool,
    /// Seconds an IDLE lasts before it is renewed; below the 29 minutes
    /// after which servers may drop an idle client.
    #[serde(default = "default_idle_secs")]
    pub idle_renew_secs: u64,
    /// Seconds between looks at the folder when IDLE is not used.
    #[serde(default = "default_poll_secs")]
    pub poll_interval_secs: u64,
    /// Seconds to wait for any one server answer.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// First wait before reconnecting after a failure, in milliseconds;
    /// doubled per failure up to `reconnect_max_secs`.
    #[serde(default = "default_reconnect_min_ms")]
    pub reconnect_min_ms: u64,
    #[serde(default = "default_reconnect_max_secs")]
    pub reconnect_max_secs: u64,
}

/// `[channels.email.smtp]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 465 for `tls`, 587 for `starttls`, 25 for `plain`.
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (submission), `tls` (implicit), or `plain` (loopback only).
    #[serde(default = "default_starttls")]
    pub security: Security,
    /// Login; without it mail is sent unauthenticated.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<SecretRef>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The address replies come from, e.g. `pengaduan@padang.go.id`.
    pub from_address: String,
    /// The name shown with it, e.g. `Pengaduan Kota Padang`.
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_tls() -> Security {
    Security::Tls
}
fn default_starttls() -> Security {
    Security::Starttls
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_quarantine() -> String {
    "Karantina".into()
}
fn default_true() -> bool {
    true
}
fn default_idle_secs() -> u64 {
    25 * 60
}
fn default_poll_secs() -> u64 {
    60
}
fn default_timeout() -> u64 {
    60
}
fn default_reconnect_min_ms() -> u64 {
    1000
}
fn default_reconnect_max_secs() -> u64 {
    300
}

impl ImapConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 993,
            _ => 143,
        })
    }
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::Plain => 25,
        })
    }
}

impl EmailConfig {
    pub fn secrets(&self) -> Vec<crate::config::NamedSecret<'_>> {
        let mut secrets = Vec::new();
        if let Some(p) = &self.smtp.password {
            secrets.push(("channels.email.smtp.password".to_string(), p));
        }
        if let Some(imap) = &self.imap {
            secrets.push(("channels.email.imap.password".to_string(), &imap.password));
        }
        secrets
    }

    /// The channel account: `account`, else the from address.
    pub fn account(&self) -> String {
        self.account
            .clone()
            .unwrap_or_else(|| self.smtp.from_address.trim().to_string())
    }

    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let key = "channels.email";
        if let Err(e) = check_security(
            &format!("{key}.smtp.security"),
            &self.smtp.host,
            self.smtp.security,
        ) {
            problems.push(e);
        }
        if EmailAddress::parse(&self.smtp.from_address).is_err() {
            problems.push(format!(
                "{key}.smtp.from_address: `{}` is not an e-mail address",
                self.smtp.from_address
            ));
        }
        if self.smtp.password.is_some() != self.smtp.user.is_some() {
            problems.push(format!(
                "{key}.smtp: set both `user` and `password`, or neither"
            ));
        }
        for (i, a) in self.own_addresses.iter().enumerate() {
            if EmailAddress::parse(a).is_err() {
                problems.push(format!(
                    "{key}.own_addresses[{i}]: `{a}` is not an e-mail address"
                ));
            }
        }
        if let Some(imap) = &self.imap {
            if let Err(e) =
                check_security(&format!("{key}.imap.security"), &imap.host, imap.security)
            {
                problems.push(e);
            }
            if imap.folder.trim().is_empty() {
                problems.push(format!("{key}.imap.folder: must not be empty"));
            }
            if imap.quarantine_folder == imap.folder {
                problems.push(format!(
                    "{key}.imap.quarantine_folder: must differ from `folder`"
                ));
            }
            if imap.processed_folder.as_deref() == Some(imap.folder.as_str()) {
                problems.push(format!(
                    "{key}.imap.processed_folder: must differ from `folder`"
                ));
            }
            if imap.idle_renew_secs == 0 || imap.idle_renew_secs > 29 * 60 {
                problems.push(format!(
                    "{key}.imap.idle_renew_secs: must be between 1 and 1740 (29 minutes)"
                ));
            }
            if imap.poll_interval_secs == 0 || imap.timeout_secs == 0 {
                problems.push(format!(
                    "{key}.imap.poll_interval_secs and timeout_secs: must be at least 1"
                ));
            }
        }
        if self.limits.max_message_bytes == 0 {
            problems.push(format!(
                "{key}.limits.max_message_bytes: must be at least 1"
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> EmailConfig {
        toml::from_str(toml_text).expect("valid TOML for EmailConfig")
    }

    const BASE: &str = r#"
        [imap]
        host = "imap.padang.go.id"
        user = "pengaduan"
        password = { env = "SATUPINTU_IMAP_PASSWORD" }
        [smtp]
        host = "smtp.padang.go.id"
        user = "pengaduan"
        password = { env = "SATUPINTU_SMTP_PASSWORD" }
        from_address = "pengaduan@padang.go.id"
    "#;

    #[test]
    fn defaults_are_secure_and_ports_follow_security() {
        let c = config(BASE);
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        let imap = c.imap.as_ref().unwrap();
        assert_eq!((imap.security, imap.port()), (Security::Tls, 993));
        assert_eq!((c.smtp.security, c.smtp.port()), (Security::Starttls, 587));
        assert_eq!(c.account(), "pengaduan@padang.go.id");
    }

    #[test]
    fn problems_name_their_key() {
        let plain = BASE.replace(
            "host = \"imap.padang.go.id\"",
            "host = \"imap.padang.go.id\"\nsecurity = \"plain\"",
        );
        let problems = config(&plain).validate();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("channels.email.imap.security")),
            "{problems:?}"
        );
        let bad_from = BASE.replace("pengaduan@padang.go.id", "pengaduan");
        assert!(config(&bad_from)
            .validate()
            .iter()
            .any(|p| p.starts_with("channels.email.smtp.from_address")));
        let loopback = BASE
            .replace(
                "\"imap.padang.go.id\"",
                "\"127.0.0.1\"\nsecurity = \"plain\"",
            )
            .replace(
                "\"smtp.padang.go.id\"",
                "\"localhost\"\nsecurity = \"plain\"",
            );
        assert!(config(&loopback).validate().is_empty());
        assert!(toml::from_str::<EmailConfig>(&format!("{BASE}\nunknown = 1")).is_err());
    }

    /// The commented example in `config/satupintu.toml`, uncommented, is a
    /// valid channel and destination.
    #[test]
    fn the_example_in_the_default_configuration_is_valid() {
        let file = include_str!("../../../config/satupintu.toml");
        let start = file
            .find("# E-mail: read complaints")
            .expect("the e-mail example");
        let example: String = file[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let value: toml::Value = toml::from_str(&example).expect("the example is TOML");
        let email: EmailConfig = value["channels"]["email"].clone().try_into().unwrap();
        assert!(email.validate().is_empty(), "{:?}", email.validate());
        assert_eq!(
            email.imap.unwrap().processed_folder.as_deref(),
            Some("Diproses")
        );
        let dest: crate::config::DestinationConfig = value["destinations"]["dinas_kesehatan"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(dest.kind(), "email");
        dest.validate("dinas_kesehatan", &Default::default())
            .unwrap();
    }
}
