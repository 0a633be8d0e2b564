//! The one canonical inbound message every adapter produces. Provider
//! payload types never leave their adapter; this is what the gateway sees.

use crate::{Address, Channel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The provider's id for a message: with the channel, the transport
/// idempotency key (webhook retries and re-fetches carry the same one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExternalId(String);

impl ExternalId {
    pub const MAX_LEN: usize = 255;

    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("external id is empty".into());
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(format!(
                "external id is longer than {} bytes",
                Self::MAX_LEN
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("external id holds control characters".into());
        }
        Ok(ExternalId(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Free-text address or place name as the citizen wrote it.
    pub address: Option<String>,
}

/// LAPOR!'s two privacy flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// Reporter identity hidden from the agency.
    pub anonim: bool,
    /// Complaint not published.
    pub rahasia: bool,
}

/// Where an attachment's bytes are. Only a remote reference serializes:
/// bytes that came with a request are stored as files, never as JSON.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaRef {
    /// Bytes that came with the request (web form upload).
    #[serde(skip)]
    Inline(bytes::Bytes),
    /// A provider's media id or URL, fetched later.
    Remote(String),
}

impl fmt::Debug for MediaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaRef::Inline(b) => write!(f, "Inline({} bytes)", b.len()),
            MediaRef::Remote(r) => write!(f, "Remote({r})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub media: MediaRef,
    pub mime: String,
    pub size: u64,
    pub filename: Option<String>,
    /// Hex sha256 of the bytes, once they are known.
    pub sha256: Option<String>,
}

/// The raw provider payload, kept for audit and replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawPayload {
    pub content_type: String,
    pub body: String,
}

/// Serializes (for the intake journal) when no attachment is inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub channel: Channel,
    /// Which of the city's numbers, bots or forms received it.
    pub channel_account: String,
    pub external_id: ExternalId,
    /// The address replies go to, when the channel has one.
    pub sender: Option<Address>,
    /// Further addresses the citizen gave (a form with phone and e-mail).
    pub other_addresses: Vec<Address>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub category: Option<String>,
    pub attachments: Vec<Attachment>,
    pub location: Option<Location>,
    /// Provider reference of the message this one replies to.
    pub reply_to: Option<String>,
    pub flags: Flags,
    pub received_at: DateTime<Utc>,
    pub raw: RawPayload,
}

/// Whether `c` may stand in a citizen's free text: anything but control
/// characters, except line breaks and tabs.
pub fn belongs_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

impl InboundMessage {
    /// Every address the message carries: the sender's, then the others
    /// the citizen gave.
    pub fn addresses(&self) -> impl Iterator<Item = &Address> {
        self.sender.iter().chain(&self.other_addresses)
    }

    /// The message without the control characters its free text may carry
    /// (JSON allows `\u0000`, a mail body may hold anything): they mean
    /// nothing to an operator, and PostgreSQL stores no NUL in text. Line
    /// breaks and tabs stay in the text. The raw payload keeps everything
    /// but NUL, which becomes U+FFFD.
    pub fn without_control_characters(mut self) -> InboundMessage {
        fn line(s: &mut String) {
            s.retain(|c| !c.is_control());
        }
        self.text.retain(belongs_in_text);
        for field in [
            &mut self.display_name,
            &mut self.title,
            &mut self.category,
            &mut self.reply_to,
        ]
        .into_iter()
        .flatten()
        {
            line(field);
        }
        if let Some(address) = self.location.as_mut().and_then(|l| l.address.as_mut()) {
            line(address);
        }
        for a in &mut self.attachments {
            line(&mut a.mime);
            if let Some(name) = &mut a.filename {
                line(name);
            }
        }
        if self.raw.body.contains('\0') {
            self.raw.body = self.raw.body.replace('\0', "\u{FFFD}");
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_leave_the_free_text() {
        let msg = InboundMessage {
            channel: Channel::Whatsapp,
            channel_account: "628".into(),
            external_id: ExternalId::parse("wamid.1").unwrap(),
            sender: None,
            other_addresses: Vec::new(),
            display_name: Some("Si\u{0}ti\n".into()),
            title: Some("Ja\u{1b}lan".into()),
            text: "Air\u{0} mati\u{7}\r\nRT 02\tRW 3".into(),
            category: None,
            attachments: vec![Attachment {
                media: MediaRef::Remote("m1".into()),
                mime: "image/jpeg\u{0}".into(),
                size: 1,
                filename: Some("a\u{0}.jpg".into()),
                sha256: None,
            }],
            location: Some(Location {
                lat: None,
                lon: None,
                address: Some("Pasar\u{0} Raya".into()),
            }),
            reply_to: Some("wamid.0\u{0}".into()),
            flags: Flags::default(),
            received_at: Utc::now(),
            raw: RawPayload {
                content_type: "message/rfc822".into(),
                body: "Subject: x\r\n\r\nAir\u{0} mati".into(),
            },
        }
        .without_control_characters();
        assert_eq!(msg.text, "Air mati\r\nRT 02\tRW 3");
        assert_eq!(msg.display_name.as_deref(), Some("Siti"));
        assert_eq!(msg.title.as_deref(), Some("Jalan"));
        assert_eq!(msg.reply_to.as_deref(), Some("wamid.0"));
        assert_eq!(msg.attachments[0].mime, "image/jpeg");
        assert_eq!(msg.attachments[0].filename.as_deref(), Some("a.jpg"));
        assert_eq!(msg.location.unwrap().address.as_deref(), Some("Pasar Raya"));
        assert_eq!(msg.raw.body, "Subject: x\r\n\r\nAir\u{FFFD} mati");
    }

    #[test]
    fn a_message_with_remote_media_round_trips_through_json() {
        let mut msg = InboundMessage {
            channel: Channel::Whatsapp,
            channel_account: "628".into(),
            external_id: ExternalId::parse("wamid.2").unwrap(),
            sender: Some(Address::Phone(
                crate::PhoneE164::parse("+6281234567890").unwrap(),
            )),
            other_addresses: Vec::new(),
            display_name: Some("Siti".into()),
            title: None,
            text: "Lampu jalan mati".into(),
            category: None,
            attachments: vec![Attachment {
                media: MediaRef::Remote("media-1".into()),
                mime: "image/jpeg".into(),
                size: 2048,
                filename: None,
                sha256: None,
            }],
            location: None,
            reply_to: Some("wamid.1".into()),
            flags: Flags::default(),
            received_at: Utc::now(),
            raw: RawPayload {
                content_type: "application/json".into(),
                body: "{}".into(),
            },
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(serde_json::from_str::<InboundMessage>(&json).unwrap(), msg);
        // Uploaded bytes never become JSON.
        msg.attachments[0].media = MediaRef::Inline(bytes::Bytes::from_static(b"jpeg"));
        assert!(serde_json::to_string(&msg).is_err());
    }

    #[test]
    fn external_ids_are_checked() {
        assert_eq!(ExternalId::parse(" wamid.1 ").unwrap().as_str(), "wamid.1");
        assert!(ExternalId::parse("").is_err());
        assert!(ExternalId::parse("a\nb").is_err());
        assert!(ExternalId::parse(&"x".repeat(256)).is_err());
    }
}
