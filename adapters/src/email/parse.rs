//! One RFC 5322 message (raw bytes as the mailbox holds them) into an
//! [`InboundMessage`], or into automatic mail never to be answered, or a
//! reason it cannot be read. Decoding is mail-parser's; nothing is stored.

use super::classify::{classify, Automatic};
use super::text::{html_to_text, trim_quoted, trim_signature};
use super::Limits;
use crate::{
    Address, Attachment, Channel, EmailAddress, ExternalId, Flags, InboundMessage, MediaRef,
    RawPayload,
};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// `RawPayload::content_type` of a message stored as it came (UTF-8).
pub const RAW_TEXT: &str = "message/rfc822";
/// `RawPayload::content_type` of a message whose bytes are not UTF-8,
/// stored base64-encoded so not one byte is lost.
pub const RAW_BASE64: &str = "message/rfc822; transfer-encoding=base64";

/// What the caller knows besides the bytes.
pub struct ParseOptions<'a> {
    /// The mailbox that received the message (the channel account).
    pub account: &'a str,
    /// Our own addresses: mail from them is never answered.
    pub own_addresses: &'a [String],
    pub limits: &'a Limits,
    /// When the mail server received it (IMAP INTERNALDATE), else now.
    pub received_at: DateTime<Utc>,
}

#[derive(Debug)]
pub enum Parsed {
    /// A message from a person: hand it to intake.
    Message(InboundMessage),
    /// Written by a machine: keep it for audit, never answer it.
    Automatic(InboundMessage, Automatic),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message is {size} bytes, over the {limit} byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("not an RFC 5322 message: {0}")]
    NotAMessage(&'static str),
}

impl ParseError {
    /// A short stable name, for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            ParseError::TooLarge { .. } => "too_large",
            ParseError::NotAMessage(_) => "not_a_message",
        }
    }
}

pub fn parse(raw: &[u8], opts: &ParseOptions<'_>) -> Result<Parsed, ParseError> {
    let size = raw.len() as u64;
    if size > opts.limits.max_message_bytes {
        return Err(ParseError::TooLarge {
            size,
            limit: opts.limits.max_message_bytes,
        });
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotAMessage("no headers"))?;
    let has_envelope = msg.from().is_some() || msg.message_id().is_some() || msg.date().is_some();
    if !has_envelope {
        return Err(ParseError::NotAMessage(
            "no From, Message-ID or Date header",
        ));
    }

    let from = msg.from().and_then(|a| a.first());
    let from_address = from.and_then(|a| a.address()).map(str::trim);
    let sender = from_address.and_then(|a| match EmailAddress::parse(a) {
        Ok(e) => Some(Address::Email(e)),
        Err(_) => {
            tracing::warn!(
                field = "From",
                "sender address is not valid; no reply possible"
            );
            None
        }
    });
    let display_name = from
        .and_then(|a| a.name())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let title = msg
        .subject()
        .map(|s| s.trim().chars().take(300).collect::<String>())
        .filter(|s| !s.is_empty());

    let (attachments, skipped) = attachments(&msg, opts.limits);
    let mut text = body_text(&msg);
    if text.is_empty() && attachments.is_empty() {
        // "CEK <code>" written in the subject line of an empty mail.
        text = title.clone().unwrap_or_default();
    }
    text = truncate(&text, opts.limits.max_text_chars);
    for note in skipped {
        text.push_str(&format!("\n\n[{note}]"));
    }

    let inbound = InboundMessage {
        channel: Channel::Email,
        channel_account: opts.account.to_string(),
        external_id: external_id(msg.message_id(), raw),
        sender,
        other_addresses: vec![],
        display_name,
        title,
        text: text.trim().to_string(),
        category: None,
        attachments,
        location: None,
        reply_to: reply_to(&msg),
        flags: Flags::default(),
        received_at: opts.received_at,
        raw: raw_payload(raw),
    };
    match classify(&msg, from_address, opts.own_addresses) {
        Some(kind) => Ok(Parsed::Automatic(inbound, kind)),
        None => Ok(Parsed::Message(inbound)),
    }
}

/// The text parts, HTML ones made readable, without quoted earlier mail.
fn body_text(msg: &Message<'_>) -> String {
    let mut parts = Vec::new();
    for part in msg.text_bodies() {
        let text = match &part.body {
            PartType::Text(t) => t.replace("\r\n", "\n"),
            PartType::Html(h) => html_to_text(h),
            _ => continue,
        };
        if !text.trim().is_empty() {
            parts.push(text);
        }
    }
    trim_signature(&trim_quoted(&parts.join("\n\n")))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{} [...]", &text[..at]),
        None => text.to_string(),
    }
}

/// Attachments within the limits, and a note for each one left out.
fn attachments(msg: &Message<'_>, limits: &Limits) -> (Vec<Attachment>, Vec<String>) {
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    for part in msg.attachments() {
        let bytes = part.contents();
        let filename = part.attachment_name().map(str::to_string);
        let declared = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        // The content says what a file is; the header only what it claims.
        let mime = infer::get(bytes)
            .map(|t| t.mime_type().to_string())
            .unwrap_or(declared);
        let shown = filename.clone().unwrap_or_else(|| mime.clone());
        let why_not = if !limits.allowed_types.iter().any(|t| t == &mime) {
            Some(format!("jenis {mime} tidak diizinkan / type not allowed"))
        } else if bytes.len() > limits.max_attachment_bytes {
            Some(format!(
                "lebih dari {} KB / larger than {} KB",
                limits.max_attachment_bytes / 1024,
                limits.max_attachment_bytes / 1024
            ))
        } else if kept.len() >= limits.max_attachments {
            Some(format!(
                "lebih dari {} lampiran / more than {} attachments",
                limits.max_attachments, limits.max_attachments
            ))
        } else {
            None
        };
        if let Some(reason) = why_not {
            tracing::info!(field = "attachment", file = %shown, %reason, "attachment left out");
            skipped.push(format!("Lampiran tidak disimpan: {shown} ({reason})"));
            continue;
        }
        kept.push(Attachment {
            sha256: Some(hex::encode(Sha256::digest(bytes))),
            size: bytes.len() as u64,
            media: MediaRef::Inline(bytes::Bytes::copy_from_slice(bytes)),
            mime,
            filename,
        });
    }
    (kept, skipped)
}

/// `Message-ID` without brackets; a message without a usable one gets the
/// sha256 of its bytes, so a re-fetch is still recognised.
fn external_id(message_id: Option<&str>, raw: &[u8]) -> ExternalId {
    message_id
        .and_then(|id| ExternalId::parse(id).ok())
        .unwrap_or_else(|| {
            ExternalId::parse(&format!("sha256:{}", hex::encode(Sha256::digest(raw))))
                .expect("a hex digest is a valid external id")
        })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => vec![],
    }
}

/// The message this one answers: `In-Reply-To`, else the last `References`.
fn reply_to(msg: &Message<'_>) -> Option<String> {
    ids(msg.in_reply_to())
        .into_iter()
        .next()
        .or_else(|| ids(msg.references()).pop())
        .filter(|id| !id.trim().is_empty())
}

fn raw_payload(raw: &[u8]) -> RawPayload {
    match std::str::from_utf8(raw) {
        Ok(text) => RawPayload {
            content_type: RAW_TEXT.into(),
            body: text.to_string(),
        },
        Err(_) => RawPayload {
            content_type: RAW_BASE64.into(),
            body: base64::engine::general_purpose::STANDARD.encode(raw),
        },
    }
}

/// The bytes of a message stored by [`parse`], from its raw payload.
pub fn stored_bytes(content_type: &str, body: &str) -> Option<Vec<u8>> {
    match content_type {
        RAW_TEXT => Some(body.as_bytes().to_vec()),
        RAW_BASE64 => base64::engine::general_purpose::STANDARD.decode(body).ok(),
        _ => None,
    }
}

/// What a reply needs to thread under a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thread {
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// The message's own `References`, oldest first.
    pub references: Vec<String>,
}

/// The threading headers of a stored message.
pub fn thread_of(raw: &[u8]) -> Option<Thread> {
    let msg = MessageParser::default().parse_headers(raw)?;
    let mut references = ids(msg.references());
    if references.is_empty() {
        references = ids(msg.in_reply_to());
    }
    Some(Thread {
        message_id: msg.message_id().map(str::to_string),
        subject: msg.subject().map(|s| s.trim().to_string()),
        references,
    })
}
