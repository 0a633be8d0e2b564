//! `[channels.sms]`: the SMS gateways this city runs, each an instance
//! with a name (its channel account and webhook path) and a provider.
//! Secrets are named here (`SecretRef`), read at start, never printed.

use super::limits::RateLimits;
use crate::config::SecretRef;
use adapters::sms::mapped::client::ReplyTemplate;
use adapters::sms::mapped::Mapping;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// The gateways, each served at `/webhooks/sms/{name}`.
    pub instances: Vec<InstanceConfig>,
    /// Seconds the parts of a long SMS wait for the rest; after that the
    /// parts that came are joined and taken in as they are.
    pub part_timeout_secs: u64,
    /// Seconds between looks for parts past their timeout.
    pub part_check_secs: u64,
    /// Photos gateways link to (MMS, mapped media URLs).
    pub media: super::media::MediaConfig,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            instances: vec![],
            part_timeout_secs: 600,
            part_check_secs: 30,
            media: Default::default(),
        }
    }
}

fn default_timeout() -> u64 {
    15
}

fn default_twilio_url() -> String {
    "https://api.twilio.com".into()
}

fn default_batch() -> u64 {
    20
}

fn default_confirm_timeout() -> u64 {
    300
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
#[allow(clippy::large_enum_variant)] // built once at start
pub enum InstanceConfig {
    Kannel(KannelConfig),
    Twilio(TwilioConfig),
    Smssync(SmsSyncConfig),
    Mapped(MappedConfig),
}

/// A GSM modem or SMSC behind Kannel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KannelConfig {
    pub name: String,
    /// smsbox's sendsms URL, `http://kannel:13013/cgi-bin/sendsms`.
    pub sendsms_url: String,
    /// A `sendsms-user` of smsbox.
    pub username: String,
    pub password: SecretRef,
    /// Sender number or short code of replies.
    pub from: Option<String>,
    /// Route replies through this SMSC id.
    pub smsc: Option<String>,
    /// Token smsbox adds to `get-url` (`token=...`); checked on every call.
    pub token: Option<SecretRef>,
    /// Addresses smsbox and bearerbox call from (with or instead of `token`).
    #[serde(default)]
    pub allow_ips: Vec<String>,
    /// This instance's `/status` URL as Kannel reaches it; set it to get
    /// delivery reports.
    pub dlr_url: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub limits: RateLimits,
}

/// Twilio or an API that copies it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    pub name: String,
    pub account_sid: String,
    pub auth_token: SecretRef,
    /// The number replies come from, or use `messaging_service_sid`.
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    #[serde(default = "default_twilio_url")]
    pub base_url: String,
    /// The webhook URL exactly as configured at Twilio (signatures cover
    /// it). Without it the URL is rebuilt from the request's Host header,
    /// which is wrong behind a proxy. With it, status callbacks are asked
    /// for at `{public_url}/status`.
    pub public_url: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub limits: RateLimits,
}

/// An Android phone running an SMSSync-style gateway app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSyncConfig {
    pub name: String,
    /// The secret set in the app.
    pub secret: SecretRef,
    /// Most messages handed to the phone per poll.
    #[serde(default = "default_batch")]
    pub batch: u64,
    /// Seconds a message handed to the phone may wait for the phone's
    /// confirmation (`task=sent`) before a later poll hands it again: the
    /// answer that carried it may never have reached the phone. 0 hands
    /// each message once only (for an app that never confirms).
    #[serde(default = "default_confirm_timeout")]
    pub confirm_timeout_secs: u64,
    #[serde(default)]
    pub limits: RateLimits,
}

/// Any other gateway, described by a mapping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappedConfig {
    pub name: String,
    /// How requests are read and authenticated.
    pub inbound: Mapping,
    /// The shared secret or HMAC key of `inbound.auth`.
    pub secret: Option<SecretRef>,
    /// How replies are sent; without it the gateway only receives.
    pub reply: Option<ReplyTemplate>,
    /// The value of `{token}` in the reply template.
    pub reply_token: Option<SecretRef>,
    #[serde(default)]
    pub limits: RateLimits,
}

impl InstanceConfig {
    pub fn name(&self) -> &str {
        match self {
            InstanceConfig::Kannel(c) => &c.name,
            InstanceConfig::Twilio(c) => &c.name,
            InstanceConfig::Smssync(c) => &c.name,
            InstanceConfig::Mapped(c) => &c.name,
        }
    }

    pub fn limits(&self) -> RateLimits {
        match self {
            InstanceConfig::Kannel(c) => c.limits,
            InstanceConfig::Twilio(c) => c.limits,
            InstanceConfig::Smssync(c) => c.limits,
            InstanceConfig::Mapped(c) => c.limits,
        }
    }
}

fn http_url(key: &str, url: &str) -> Option<String> {
    (!url.starts_with("http://") && !url.starts_with("https://"))
        .then(|| format!("{key}: must be an http(s) URL"))
}

impl SmsConfig {
    /// Every instance's secrets, keyed `channels.sms.instances[i].<field>`.
    pub fn secrets(&self) -> Vec<crate::config::NamedSecret<'_>> {
        let mut secrets = Vec::new();
        for (i, instance) in self.instances.iter().enumerate() {
            let key = |field: &str| format!("channels.sms.instances[{i}].{field}");
            match instance {
                InstanceConfig::Kannel(c) => {
                    secrets.push((key("password"), &c.password));
                    if let Some(t) = &c.token {
                        secrets.push((key("token"), t));
                    }
                }
                InstanceConfig::Twilio(c) => secrets.push((key("auth_token"), &c.auth_token)),
                InstanceConfig::Smssync(c) => secrets.push((key("secret"), &c.secret)),
                InstanceConfig::Mapped(c) => {
                    if let Some(s) = &c.secret {
                        secrets.push((key("secret"), s));
                    }
                    // Read only when replies are sent.
                    if let (Some(_), Some(t)) = (&c.reply, &c.reply_token) {
                        secrets.push((key("reply_token"), t));
                    }
                }
            }
        }
        secrets
    }

    /// Checks that need no secret; each problem names its key.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, instance) in self.instances.iter().enumerate() {
            let name = instance.name();
            let key = format!("channels.sms.instances[{i}]");
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !name_ok {
                problems.push(format!(
                    "{key}.name: `{name}` must be 1-64 letters, digits, `-` or `_` (it is a URL path segment)"
                ));
            }
            if !seen.insert(name.to_string()) {
                problems.push(format!("{key}.name: `{name}` is used by another instance"));
            }
            let limits = instance.limits();
            if limits.per_minute == 0 || limits.per_number_per_minute == 0 {
                problems.push(format!("{key}.limits: rates must be at least 1"));
            }
            match instance {
                InstanceConfig::Kannel(c) => {
                    problems.extend(http_url(&format!("{key}.sendsms_url"), &c.sendsms_url));
                    if let Some(u) = &c.dlr_url {
                        problems.extend(http_url(&format!("{key}.dlr_url"), u));
                    }
                    if c.token.is_none() && c.allow_ips.is_empty() {
                        problems.push(format!(
                            "{key}: set `token` or `allow_ips` so only smsbox can post messages"
                        ));
                    }
                    if let Err(e) = adapters::sms::auth::IpAllowList::parse(&c.allow_ips) {
                        problems.push(format!("{key}.allow_ips: {e}"));
                    }
                }
                InstanceConfig::Twilio(c) => {
                    problems.extend(http_url(&format!("{key}.base_url"), &c.base_url));
                    if let Some(u) = &c.public_url {
                        problems.extend(http_url(&format!("{key}.public_url"), u));
                    }
                    if c.from.is_none() && c.messaging_service_sid.is_none() {
                        problems.push(format!("{key}: set `from` or `messaging_service_sid`"));
                    }
                }
                InstanceConfig::Smssync(c) => {
                    if c.batch == 0 {
                        problems.push(format!("{key}.batch: must be at least 1"));
                    }
                }
                InstanceConfig::Mapped(c) => {
                    if c.inbound.auth.needs_secret() && c.secret.is_none() {
                        problems.push(format!("{key}.secret: `inbound.auth` needs a secret"));
                    }
                    if let Some(r) = &c.reply {
                        problems.extend(http_url(&format!("{key}.reply.url"), &r.url));
                    }
                }
            }
        }
        if self.media.max_bytes == 0 {
            problems.push("channels.sms.media.max_bytes: must be at least 1".into());
        }
        if self.media.allowed_types.iter().any(|t| !t.contains('/')) {
            problems.push(
                "channels.sms.media.allowed_types: list MIME types such as \"image/jpeg\"".into(),
            );
        }
        if self.part_timeout_secs == 0 || self.part_check_secs == 0 {
            problems.push(
                "channels.sms.part_timeout_secs and part_check_secs: must be at least 1".into(),
            );
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The commented example in the default configuration, uncommented.
    fn example() -> String {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/satupintu.toml"
        ))
        .expect("the default configuration");
        let start = text.find("# [channels.sms]").expect("an SMS example");
        text[start..]
            .lines()
            .take_while(|l| l.starts_with('#'))
            .filter(|l| !l.starts_with("# #") && *l != "#")
            .map(|l| l.trim_start_matches("# "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_example_is_a_valid_configuration() {
        let parsed: toml::Value = toml::from_str(&example()).expect("the example is TOML");
        let sms: SmsConfig = parsed["channels"]["sms"]
            .clone()
            .try_into()
            .expect("the example deserialises");
        assert_eq!(sms.instances.len(), 4);
        let names: Vec<&str> = sms.instances.iter().map(|i| i.name()).collect();
        assert_eq!(names, ["modem", "twilio", "android", "wa-gateway"]);
        assert_eq!(sms.validate(), Vec::<String>::new());
    }

    #[test]
    fn problems_name_their_key() {
        let sms: SmsConfig = toml::from_str(
            r#"
            [[instances]]
            name = "modem"
            provider = "kannel"
            sendsms_url = "kannel:13013"
            username = "u"
            password = { env = "X" }
            [[instances]]
            name = "modem"
            provider = "twilio"
            account_sid = "AC1"
            auth_token = { env = "Y" }
            [[instances]]
            name = "bad name/"
            provider = "smssync"
            secret = { env = "Z" }
            batch = 0
            "#,
        )
        .unwrap();
        let problems = sms.validate().join("\n");
        for want in [
            "channels.sms.instances[0].sendsms_url: must be an http(s) URL",
            "channels.sms.instances[0]: set `token` or `allow_ips`",
            "channels.sms.instances[1].name: `modem` is used by another instance",
            "channels.sms.instances[1]: set `from` or `messaging_service_sid`",
            "channels.sms.instances[2].name: `bad name/` must be",
            "channels.sms.instances[2].batch: must be at least 1",
        ] {
            assert!(problems.contains(want), "missing `{want}` in:\n{problems}");
        }
        let unknown = toml::from_str::<SmsConfig>(
            "[[instances]]\nname = \"a\"\nprovider = \"smssync\"\nsecret = { env = \"Z\" }\nsecrit = 1\n",
        );
        assert!(unknown.unwrap_err().to_string().contains("secrit"));
    }
}
