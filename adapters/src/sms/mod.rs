//! The SMS channel: Kannel, Twilio-compatible APIs, SMSSync-style Android
//! gateways and any other gateway described by a field mapping. Each
//! provider module checks a webhook request's authentication, parses it
//! into an [`InboundMessage`] (or a delivery report, or a phone's poll),
//! and sends replies through its [`crate::ReplySender`]. Nothing here
//! stores, joins parts across requests, or rate-limits: that is the gateway's.

pub mod auth;
pub mod concat;
mod error;
pub mod fields;
pub mod kannel;
pub mod mapped;
pub mod media;
pub mod segments;
pub mod smssync;
pub mod twilio;

pub use concat::Part;
pub use error::SmsError;

use crate::message::belongs_in_text;
use crate::{Address, ExternalId, InboundMessage, PhoneE164, ReplyError, ReplyErrorKind};
use axum::http::{HeaderMap, Method};
use std::net::IpAddr;

/// A webhook request as the gateway received it.
#[derive(Debug, Clone)]
pub struct InboundRequest {
    pub method: Method,
    /// The URL the provider called, as the provider saw it (the configured
    /// public URL behind a proxy), with its query string.
    pub url: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    /// The address the request came from, when known.
    pub peer: Option<IpAddr>,
}

impl InboundRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
}

/// One mobile-originated SMS; `part` is set when it is one part of a long
/// message that the gateway must join before intake.
#[derive(Debug, Clone, PartialEq)]
pub struct SmsMessage {
    pub message: InboundMessage,
    pub part: Option<Part>,
}

/// A provider's report on a message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The id the provider knows our message by (what the sender returned
    /// as `provider_message_id`).
    pub provider_message_id: String,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: &'static str,
    pub error: Option<String>,
}

/// What a webhook request asks of the gateway (short-lived: its size does not matter).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Inbound {
    Message(SmsMessage),
    Reports(Vec<DeliveryReport>),
    /// An Android gateway polls for the messages it should send.
    FetchTasks,
    /// The phone says it queued these messages (by our ids).
    TasksQueued(Vec<String>),
    /// The phone asks which messages it should report on.
    ResultsWanted,
}

/// The sender's number: Indonesian national spellings, `62...` digits and
/// `+` international numbers all become one E.164 number.
pub fn sender_phone(field: &str, value: &str) -> Result<Address, SmsError> {
    PhoneE164::parse(value)
        .map(Address::Phone)
        .map_err(|_| SmsError::sender(field))
}

/// The provider's message id, scoped by the receiving instance so two
/// gateways' ids never collide.
pub fn scoped_id(instance: &str, field: &str, id: &str) -> Result<ExternalId, SmsError> {
    ExternalId::parse(&format!("{instance}:{id}")).map_err(|e| {
        SmsError::invalid(
            field,
            format!("Id pesan di kolom `{field}` tidak sah: {e}"),
            format!("The message id in field `{field}` is invalid: {e}"),
        )
    })
}

/// Message text from bytes in a provider's stated charset: UTF-16BE for
/// UCS-2, else UTF-8, else Latin-1 (a modem's 8-bit data).
pub fn decode_text(bytes: &[u8], charset: Option<&str>, ucs2: bool) -> String {
    let charset = charset.map(|c| c.to_ascii_uppercase());
    let is_utf16 = match charset.as_deref() {
        Some("UTF-16BE" | "UTF-16" | "UCS-2" | "UCS2") => true,
        Some(_) => false,
        None => ucs2,
    };
    if is_utf16 && bytes.len() % 2 == 0 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Longest SMS text accepted in one request (a joined message of 255
/// parts stays far below it).
pub const MAX_TEXT_CHARS: usize = 40_000;

pub(crate) fn check_text(field: &str, text: String) -> Result<String, SmsError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(SmsError::invalid(
            field,
            format!("Teks di kolom `{field}` terlalu panjang."),
            format!("The text in field `{field}` is too long."),
        ));
    }
    // Control characters other than line breaks and tabs never belong in a
    // complaint (a modem's stray NUL, an escape).
    Ok(text.chars().filter(|&c| belongs_in_text(c)).collect())
}

/// A reply error from an HTTP call that never got an answer.
pub(crate) fn transport_error(provider: &str, e: &reqwest::Error) -> ReplyError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    // reqwest's message may carry the URL, and the URL may carry a secret:
    // say what failed without it.
    ReplyError::new(ReplyErrorKind::Retryable, format!("{provider}: {what}"))
}

/// A reply error from an HTTP status that says "not now".
pub(crate) fn status_error(
    provider: &str,
    status: u16,
    detail: &str,
    retry_after: Option<u64>,
) -> ReplyError {
    let kind = if status == 429 || status >= 500 || status == 408 {
        ReplyErrorKind::Retryable
    } else {
        ReplyErrorKind::Permanent
    };
    let detail: String = detail.chars().take(300).collect();
    let mut e = ReplyError::new(
        kind,
        format!("{provider} answered {status}: {}", detail.trim()),
    );
    e.http_status = Some(status);
    e.retry_after = retry_after;
    e
}

pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn text_in_every_charset_providers_use() {
        assert_eq!(
            decode_text("Halo €".as_bytes(), Some("UTF-8"), false),
            "Halo €"
        );
        assert_eq!(
            decode_text(&[0x04, 0x1F, 0x04, 0x40], Some("UTF-16BE"), false),
            "Пр"
        );
        assert_eq!(decode_text(&[0x04, 0x1F, 0x04, 0x40], None, true), "Пр");
        assert_eq!(
            decode_text(&[0x63, 0x61, 0x66, 0xE9], Some("8-BIT"), false),
            "café"
        );
    }

    #[test]
    fn senders_in_every_spelling_are_one_number() {
        for s in ["+6281374567890", "6281374567890", "081374567890"] {
            assert_eq!(sender_phone("from", s).unwrap().value(), "+6281374567890");
        }
        assert_eq!(
            sender_phone("from", "TELKOMSEL")
                .unwrap_err()
                .field
                .as_deref(),
            Some("from")
        );
    }
}
