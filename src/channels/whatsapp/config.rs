//! `[channels.whatsapp]`: the Meta app's secrets, the Graph API, limits,
//! and the city's numbers. Values are checked here; secrets are only
//! named (`{ env = "..." }` or `{ file = "..." }`), never written.

use crate::config::SecretRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `[channels.whatsapp]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhatsappConfig {
    /// The Meta app's secret; every webhook POST must be signed with it
    /// (`X-Hub-Signature-256`).
    pub app_secret: SecretRef,
    /// The token typed into Meta's webhook settings; the subscription
    /// handshake (`GET /webhooks/whatsapp`) must present it.
    pub verify_token: SecretRef,
    /// A system user's access token: sends replies and downloads media.
    pub access_token: SecretRef,
    /// Base URL of the Graph API.
    pub graph_base_url: String,
    /// Graph API version every path starts with.
    pub graph_version: String,
    /// Seconds a Graph API call may take.
    pub timeout_secs: u64,
    /// Largest webhook body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Messages per second each number sends at most.
    pub rate_per_second: u32,
    /// What citizens may send as photos, voice notes and documents.
    pub media: MediaConfig,
    /// The city's numbers on this app (`[[channels.whatsapp.accounts]]`).
    pub accounts: Vec<AccountConfig>,
}

impl Default for WhatsappConfig {
    fn default() -> Self {
        WhatsappConfig {
            app_secret: SecretRef::default(),
            verify_token: SecretRef::default(),
            access_token: SecretRef::default(),
            graph_base_url: "https://graph.facebook.com".into(),
            graph_version: "v23.0".into(),
            timeout_secs: 20,
            max_body_bytes: 3 * 1024 * 1024,
            rate_per_second: 20,
            media: MediaConfig::default(),
            accounts: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Largest file kept, in bytes; larger ones are refused and noted on
    /// the complaint's timeline.
    pub max_bytes: u64,
    /// MIME types kept, checked against Meta's declaration and the content.
    pub allowed_types: Vec<String>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            max_bytes: 16 * 1024 * 1024,
            allowed_types: [
                "image/jpeg",
                "image/png",
                "image/webp",
                "video/mp4",
                "video/3gpp",
                "audio/ogg",
                "audio/mpeg",
                "audio/mp4",
                "audio/aac",
                "audio/amr",
                "application/pdf",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// One of the city's WhatsApp numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Meta's id of the number (not the number itself).
    pub phone_number_id: String,
    /// What operators call it, e.g. `Pengaduan Wali Kota`.
    pub name: String,
    /// An approved template for messages outside the 24-hour window, with
    /// two body parameters: the tracking code and the status. Without one,
    /// such messages wait until the citizen writes again.
    pub template: Option<TemplateConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    pub name: String,
    /// The template's language code, e.g. `id` or `en_US`.
    pub language: String,
}

impl WhatsappConfig {
    pub fn secrets(&self) -> Vec<crate::config::NamedSecret<'_>> {
        [
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
            ("access_token", &self.access_token),
        ]
        .into_iter()
        .map(|(name, s)| (format!("channels.whatsapp.{name}"), s))
        .collect()
    }

    /// Cross-field checks; each problem names its key.
    pub fn validate(&self) -> Vec<String> {
        let k = "channels.whatsapp";
        // The shape of each secret is checked with every other's
        // (`Config::validate`).
        let mut problems = Vec::new();
        match reqwest::Url::parse(&self.graph_base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => problems.push(format!("{k}.graph_base_url: must be an http(s) URL")),
        }
        let version_ok = self
            .graph_version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && (a.to_owned() + b).bytes().all(|c| c.is_ascii_digit())
            });
        if !version_ok {
            problems.push(format!("{k}.graph_version: must look like `v23.0`"));
        }
        if self.timeout_secs == 0 {
            problems.push(format!("{k}.timeout_secs: must be at least 1"));
        }
        if self.max_body_bytes < 1024 {
            problems.push(format!("{k}.max_body_bytes: must be at least 1024"));
        }
        if self.rate_per_second == 0 {
            problems.push(format!("{k}.rate_per_second: must be at least 1"));
        }
        if self.media.max_bytes == 0 {
            problems.push(format!("{k}.media.max_bytes: must be at least 1"));
        }
        if self.media.allowed_types.is_empty()
            || self.media.allowed_types.iter().any(|t| !t.contains('/'))
        {
            problems.push(format!(
                "{k}.media.allowed_types: list MIME types such as \"image/jpeg\""
            ));
        }
        if self.accounts.is_empty() {
            problems.push(format!(
                "{k}.accounts: configure at least one number ([[channels.whatsapp.accounts]] with phone_number_id and name)"
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let key = format!("{k}.accounts[{i}]");
            if a.phone_number_id.is_empty()
                || !a.phone_number_id.bytes().all(|b| b.is_ascii_digit())
            {
                problems.push(format!("{key}.phone_number_id: must be Meta's numeric id"));
            } else if !seen.insert(a.phone_number_id.as_str()) {
                problems.push(format!(
                    "{key}.phone_number_id: `{}` is configured twice",
                    a.phone_number_id
                ));
            }
            if a.name.trim().is_empty() {
                problems.push(format!("{key}.name: must not be empty"));
            }
            if let Some(t) = &a.template {
                let name_ok = !t.name.is_empty()
                    && t.name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !name_ok {
                    problems.push(format!(
                        "{key}.template.name: Meta template names are lower case letters, digits and `_`"
                    ));
                }
                if t.language.trim().is_empty() {
                    problems.push(format!("{key}.template.language: must not be empty"));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> WhatsappConfig {
        let secret = |n: &str| SecretRef {
            env: Some(n.into()),
            file: None,
        };
        WhatsappConfig {
            app_secret: secret("A"),
            verify_token: secret("B"),
            access_token: secret("C"),
            accounts: vec![AccountConfig {
                phone_number_id: "106540352242922".into(),
                name: "Pengaduan Wali Kota".into(),
                template: Some(TemplateConfig {
                    name: "status_pengaduan".into(),
                    language: "id".into(),
                }),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn each_problem_names_its_key() {
        assert!(valid().validate().is_empty(), "{:?}", valid().validate());
        type Change = Box<dyn Fn(&mut WhatsappConfig)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "channels.whatsapp.graph_base_url",
                Box::new(|c| c.graph_base_url = "graph".into()),
            ),
            (
                "channels.whatsapp.graph_version",
                Box::new(|c| c.graph_version = "23".into()),
            ),
            (
                "channels.whatsapp.rate_per_second",
                Box::new(|c| c.rate_per_second = 0),
            ),
            (
                "channels.whatsapp.accounts:",
                Box::new(|c| c.accounts.clear()),
            ),
            (
                "channels.whatsapp.accounts[1].phone_number_id",
                Box::new(|c| {
                    let again = c.accounts[0].clone();
                    c.accounts.push(again)
                }),
            ),
            (
                "channels.whatsapp.accounts[0].phone_number_id",
                Box::new(|c| c.accounts[0].phone_number_id = "+62751".into()),
            ),
            (
                "channels.whatsapp.accounts[0].template.name",
                Box::new(|c| {
                    c.accounts[0].template.as_mut().unwrap().name = "Status Pengaduan".into()
                }),
            ),
            (
                "channels.whatsapp.media.allowed_types",
                Box::new(|c| c.media.allowed_types = vec!["jpeg".into()]),
            ),
        ];
        for (key, change) in cases {
            let mut c = valid();
            change(&mut c);
            let problems = c.validate();
            assert!(
                problems.iter().any(|p| p.starts_with(key)),
                "{key}: {problems:?}"
            );
        }
    }
}
