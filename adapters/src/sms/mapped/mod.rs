//! Any other gateway, described by configuration: which JSON pointer or
//! form field holds the sender, the text, the id, the time and a media
//! URL; how a request proves where it comes from; and (in [`client`]) how
//! a reply is sent. A new provider is a configuration block, not code.

pub mod client;
mod payload;
pub mod template;

use super::auth::{hmac_signature, same_secret, HmacAlgorithm, IpAllowList, SignatureEncoding};
use super::fields::Fields;
use super::{
    check_text, scoped_id, sender_phone, Inbound, InboundRequest, Part, SmsError, SmsMessage,
};
use crate::{Attachment, Channel, Flags, InboundMessage, MediaRef, RawPayload};
use chrono::{DateTime, TimeZone, Utc};
use payload::Payload;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// A JSON object; fields are JSON pointers (`/data/sender`) or top-level keys.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded` (or the query string); fields are names.
    Form,
}

/// Where each part of a message is in the gateway's payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// The sender's phone number (required).
    pub sender: String,
    /// The message text (required; may be empty in a request).
    pub text: String,
    /// The gateway's message id; without one, the payload's hash is the id.
    pub external_id: Option<String>,
    /// When the message was sent (see `timestamp_format`).
    pub timestamp: Option<String>,
    /// A media URL sent with the message.
    pub media_url: Option<String>,
    /// The sender's name as the gateway knows it.
    pub display_name: Option<String>,
    /// For gateways that post the parts of a long SMS separately: the
    /// message's reference, the number of parts and this part's position.
    pub part_reference: Option<String>,
    pub part_total: Option<String>,
    pub part_seq: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    /// Seconds since 1970.
    #[default]
    Unix,
    /// Milliseconds since 1970.
    UnixMs,
    /// `2026-11-22T09:15:00+07:00`.
    Rfc3339,
}

/// How a request proves it comes from the gateway. `header`, `query` and
/// `hmac` use the instance's `secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthMethod {
    /// A header carries the shared secret (`X-Webhook-Secret: ...`).
    Header { header: String },
    /// A query parameter carries the shared secret (`?key=...`).
    Query { param: String },
    /// A header carries an HMAC of the raw body with the secret.
    Hmac {
        header: String,
        algorithm: HmacAlgorithm,
        #[serde(default)]
        encoding: SignatureEncoding,
        /// Text before the signature in the header, e.g. `sha256=`.
        #[serde(default)]
        prefix: String,
    },
    /// Only these addresses or networks may call.
    IpAllow { addresses: Vec<String> },
}

impl AuthMethod {
    pub fn needs_secret(&self) -> bool {
        !matches!(self, AuthMethod::IpAllow { .. })
    }
}

/// The inbound half of a mapped gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub format: BodyFormat,
    pub fields: FieldMap,
    #[serde(default)]
    pub timestamp_format: TimestampFormat,
    /// Only payloads whose fields hold these values are messages (say
    /// `{ "/isGroup" = false, "/type" = "text" }`); others are acknowledged
    /// and ignored.
    #[serde(default)]
    pub require: BTreeMap<String, Value>,
    pub auth: AuthMethod,
}

pub struct MappedInbound {
    pub instance: String,
    mapping: Mapping,
    secret: Option<String>,
    allow: IpAllowList,
}

impl MappedInbound {
    /// Checks the mapping; `secret` is required by every auth kind but `ip_allow`.
    pub fn new(instance: &str, mapping: Mapping, secret: Option<String>) -> Result<Self, String> {
        let allow = match &mapping.auth {
            AuthMethod::IpAllow { addresses } => {
                let list = IpAllowList::parse(addresses)?;
                if list.is_empty() {
                    return Err("auth.addresses: list at least one address".into());
                }
                list
            }
            _ => IpAllowList::default(),
        };
        if mapping.auth.needs_secret() && secret.is_none() {
            return Err("secret: this auth kind needs a secret".into());
        }
        if mapping.fields.sender.trim().is_empty() || mapping.fields.text.trim().is_empty() {
            return Err("fields.sender and fields.text: both are required".into());
        }
        let f = &mapping.fields;
        let parts = [&f.part_reference, &f.part_total, &f.part_seq];
        if parts.iter().any(|p| p.is_some()) && !parts.iter().all(|p| p.is_some()) {
            return Err(
                "fields.part_reference, part_total, part_seq: set all three or none".into(),
            );
        }
        Ok(MappedInbound {
            instance: instance.to_string(),
            mapping,
            secret,
            allow,
        })
    }

    fn authenticate(&self, req: &InboundRequest) -> Result<(), SmsError> {
        let secret = self.secret.as_deref().unwrap_or_default().as_bytes();
        match &self.mapping.auth {
            AuthMethod::Header { header } => {
                let given = req.header(header).unwrap_or_default();
                if !same_secret(given.trim().as_bytes(), secret) {
                    return Err(SmsError::unauthorized(header));
                }
            }
            AuthMethod::Query { param } => {
                let query = Fields::parse(req.query.as_bytes());
                if !same_secret(query.bytes(param).unwrap_or_default(), secret) {
                    return Err(SmsError::unauthorized(param));
                }
            }
            AuthMethod::Hmac {
                header,
                algorithm,
                encoding,
                prefix,
            } => {
                let given = req.header(header).unwrap_or_default().trim();
                let given = given.strip_prefix(prefix.as_str()).unwrap_or(given);
                let expected = hmac_signature(*algorithm, *encoding, secret, &req.body);
                let same = match encoding {
                    // Hex case is not significant.
                    SignatureEncoding::Hex => {
                        same_secret(given.to_ascii_lowercase().as_bytes(), expected.as_bytes())
                    }
                    SignatureEncoding::Base64 => same_secret(given.as_bytes(), expected.as_bytes()),
                };
                if !same {
                    return Err(SmsError::unauthorized(header));
                }
            }
            AuthMethod::IpAllow { .. } => {
                if !req.peer.is_some_and(|ip| self.allow.allows(ip)) {
                    return Err(SmsError::unauthorized("remote address"));
                }
            }
        }
        Ok(())
    }

    /// A message, or `None` when the payload is not one (`require` failed).
    pub fn parse(&self, req: &InboundRequest) -> Result<Option<Inbound>, SmsError> {
        self.authenticate(req)?;
        let (payload, raw, content_type) = match self.mapping.format {
            BodyFormat::Json => {
                let value: Value = serde_json::from_slice(&req.body)
                    .map_err(|e| SmsError::malformed("JSON", &e.to_string()))?;
                if !value.is_object() {
                    return Err(SmsError::malformed("JSON", "expected an object"));
                }
                let raw = String::from_utf8_lossy(&req.body).into_owned();
                (Payload::Json(value), raw, "application/json")
            }
            BodyFormat::Form => {
                let source: &[u8] = if req.body.is_empty() {
                    req.query.as_bytes()
                } else {
                    &req.body
                };
                let raw = String::from_utf8_lossy(source).into_owned();
                let raw = match &self.mapping.auth {
                    AuthMethod::Query { param } => {
                        super::kannel::without_param(raw.as_bytes(), param)
                    }
                    _ => raw,
                };
                (
                    Payload::Form(Fields::parse(source)),
                    raw,
                    "application/x-www-form-urlencoded",
                )
            }
        };
        for (key, want) in &self.mapping.require {
            let got = payload.get(key).unwrap_or(Value::Null);
            let same = match (&got, want) {
                (Value::String(s), other) if !other.is_string() => s == &other.to_string(),
                _ => &got == want,
            };
            if !same {
                return Ok(None);
            }
        }
        let f = &self.mapping.fields;
        let sender_text = payload
            .text(&f.sender)
            .ok_or_else(|| SmsError::required(&f.sender))?;
        let sender = sender_phone(&f.sender, &sender_text)?;
        let text = payload
            .text(&f.text)
            .ok_or_else(|| SmsError::required(&f.text))?;
        let text = check_text(&f.text, text)?;
        let id = match f
            .external_id
            .as_ref()
            .and_then(|k| payload.text(k))
            .filter(|s| !s.trim().is_empty())
        {
            Some(id) => id,
            None => format!("sha256:{}", hex::encode(Sha256::digest(raw.as_bytes()))),
        };
        let id_field = f.external_id.as_deref().unwrap_or("body");
        let received_at = f
            .timestamp
            .as_ref()
            .and_then(|k| payload.text(k))
            .and_then(|t| self.time(&t))
            .unwrap_or_else(Utc::now);
        let mut attachments = vec![];
        if let Some(url) = f.media_url.as_ref().and_then(|k| payload.text(k)) {
            let url = url.trim();
            if url.starts_with("https://") || url.starts_with("http://") {
                attachments.push(Attachment {
                    media: MediaRef::Remote(url.to_string()),
                    mime: "application/octet-stream".into(),
                    size: 0,
                    filename: None,
                    sha256: None,
                });
            }
        }
        let part = self.part(&payload)?;
        let display_name = f
            .display_name
            .as_ref()
            .and_then(|k| payload.text(k))
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty() && n.chars().count() <= 200);
        Ok(Some(Inbound::Message(SmsMessage {
            message: InboundMessage {
                channel: Channel::Sms,
                channel_account: self.instance.clone(),
                external_id: scoped_id(&self.instance, id_field, &id)?,
                sender: Some(sender),
                other_addresses: vec![],
                display_name,
                title: None,
                text: if part.is_some() {
                    text
                } else {
                    text.trim().to_string()
                },
                category: None,
                attachments,
                location: None,
                reply_to: None,
                flags: Flags::default(),
                received_at,
                raw: RawPayload {
                    content_type: content_type.into(),
                    body: raw,
                },
            },
            part,
        })))
    }

    fn time(&self, t: &str) -> Option<DateTime<Utc>> {
        match self.mapping.timestamp_format {
            TimestampFormat::Unix => t
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|s| Utc.timestamp_opt(s, 0).single()),
            TimestampFormat::UnixMs => t
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            TimestampFormat::Rfc3339 => DateTime::parse_from_rfc3339(t.trim())
                .ok()
                .map(|d| d.with_timezone(&Utc)),
        }
    }

    fn part(&self, payload: &Payload) -> Result<Option<Part>, SmsError> {
        let f = &self.mapping.fields;
        let (Some(r), Some(t), Some(s)) = (&f.part_reference, &f.part_total, &f.part_seq) else {
            return Ok(None);
        };
        let (Some(reference), Some(total), Some(seq)) =
            (payload.text(r), payload.text(t), payload.text(s))
        else {
            return Ok(None);
        };
        let number = |field: &str, v: &str| -> Result<u32, SmsError> {
            v.trim().parse::<u32>().map_err(|_| {
                SmsError::invalid(
                    field,
                    format!("Kolom `{field}` harus angka."),
                    format!("Field `{field}` must be a number."),
                )
            })
        };
        let total = number(t, &total)?;
        let seq = number(s, &seq)?;
        let reference = match reference.trim().parse::<u16>() {
            Ok(n) => n,
            // A text reference: any stable 16 bits of it.
            Err(_) => {
                let h = Sha256::digest(reference.as_bytes());
                u16::from_be_bytes([h[0], h[1]])
            }
        };
        if total <= 1 {
            return Ok(None);
        }
        if total > 255 || seq == 0 || seq > total {
            return Err(SmsError::invalid(
                s,
                "Urutan bagian pesan tidak sah.",
                "The part number is not valid.",
            ));
        }
        Ok(Some(Part {
            reference,
            total: total as u8,
            seq: seq as u8,
        }))
    }
}
