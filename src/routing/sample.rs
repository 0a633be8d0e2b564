//! The small JSON shape operators use to try rules without effect
//! (`satupintu rules test`): one message per JSON object, not a provider's
//! payload. Converts to a [`RoutingInput`]; never stored.

use super::view::RoutingInput;
use adapters::Channel;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

/// A message to try rules on. Only `text` is required:
///
/// ```json
/// {"text": "Jalan rusak di Kel. Lubuk Buaya", "channel": "whatsapp",
///  "account": "wali-kota", "lat": -0.85, "lon": 100.32,
///  "address": "Jl. Adinegoro", "category": "jalan", "anonim": false,
///  "rahasia": false, "has_attachment": true, "at": "2026-01-05T19:30:00+07:00"}
/// ```
///
/// Other keys (such as a label) are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct SampleMessage {
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Default `webform`.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Default `web`.
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub anonim: bool,
    #[serde(default)]
    pub rahasia: bool,
    #[serde(default)]
    pub has_attachment: bool,
    /// RFC 3339; default: now.
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
}

impl SampleMessage {
    pub fn parse(json: &str) -> Result<SampleMessage, String> {
        serde_json::from_str(json)
            .map_err(|e| format!("pesan JSON tidak sah / invalid message JSON: {e}"))
    }

    pub fn to_input(&self, now: DateTime<Utc>) -> RoutingInput {
        let text = match &self.title {
            Some(t) if !t.trim().is_empty() => format!("{t}\n{}", self.text),
            _ => self.text.clone(),
        };
        RoutingInput {
            text,
            address: self.address.clone(),
            channel: self.channel.unwrap_or(Channel::Webform),
            account: self.account.clone().unwrap_or_else(|| "web".into()),
            category: self.category.clone(),
            pin: self.lat.zip(self.lon),
            anonim: self.anonim,
            rahasia: self.rahasia,
            has_attachment: self.has_attachment,
            at: self.at.map(|t| t.with_timezone(&Utc)).unwrap_or(now),
        }
    }
}

/// A message with the agency that should receive it (and, when the text
/// names one, its kelurahan), as in a labelled sample.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledMessage {
    #[serde(flatten)]
    pub message: SampleMessage,
    pub agency: String,
    #[serde(default)]
    pub kelurahan: Option<String>,
}
