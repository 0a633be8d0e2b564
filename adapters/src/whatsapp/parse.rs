//! One verified webhook body into events, item by item. Only a body that
//! is not a webhook at all is refused; a bad item is skipped with its
//! reason so the good items beside it are not lost.

use super::event::{DeliveryStatus, Event, Skip, StatusReport};
use super::payload::{self, Envelope, Message, MessagesValue};
use super::WebhookError;
use crate::{
    Address, Attachment, Channel, ExternalId, Flags, InboundMessage, Location, MediaRef, PhoneE164,
    RawPayload,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Parses a body whose signature has been checked. `now` stands in for
/// timestamps Meta sent in a form that cannot be read.
pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Event>, WebhookError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::malformed(None, &e.to_string()))?;
    if !root.is_object() {
        return Err(WebhookError::malformed(None, "expected a JSON object"));
    }
    let envelope: Envelope = serde_json::from_value(root).map_err(|e| {
        let field = if e.to_string().contains("object") {
            Some("object")
        } else {
            Some("entry")
        };
        WebhookError::malformed(field, &e.to_string())
    })?;
    if envelope.object != "whatsapp_business_account" {
        return Ok(vec![Event::Ignored {
            account: None,
            reason: Skip::OtherObject,
            detail: format!("object `{}`", envelope.object),
        }]);
    }
    let mut events = Vec::new();
    for entry in envelope.entry {
        for change in entry.changes {
            if change.field != "messages" {
                events.push(Event::Ignored {
                    account: None,
                    reason: Skip::OtherField,
                    detail: format!("field `{}`", change.field),
                });
                continue;
            }
            let raw_metadata = change.value.get("metadata").cloned().unwrap_or(Value::Null);
            let value: MessagesValue = match serde_json::from_value(change.value) {
                Ok(v) => v,
                Err(e) => {
                    events.push(Event::Ignored {
                        account: None,
                        reason: Skip::MalformedItem,
                        detail: format!("change value: {e}"),
                    });
                    continue;
                }
            };
            let ctx = ChangeContext {
                entry_id: &entry.id,
                metadata: &value.metadata,
                raw_metadata: &raw_metadata,
                contacts: &value.contacts,
                now,
            };
            for error in &value.errors {
                events.push(Event::Ignored {
                    account: Some(value.metadata.phone_number_id.clone()),
                    reason: Skip::ProviderError,
                    detail: error.describe(),
                });
            }
            for item in &value.messages {
                events.push(ctx.message(item));
            }
            for item in &value.statuses {
                events.push(ctx.status(item));
            }
        }
    }
    Ok(events)
}

struct ChangeContext<'a> {
    entry_id: &'a str,
    metadata: &'a payload::Metadata,
    raw_metadata: &'a Value,
    contacts: &'a [Value],
    now: DateTime<Utc>,
}

fn timestamp(value: Option<&Value>, now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = match value {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(now)
}

/// A MIME type without its parameters, lower-cased.
fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn clean(s: &str) -> String {
    s.trim().to_string()
}

/// What a message says, once its type is read.
#[derive(Default)]
struct Content {
    text: String,
    attachments: Vec<Attachment>,
    location: Option<Location>,
}

impl ChangeContext<'_> {
    fn account(&self) -> String {
        self.metadata.phone_number_id.clone()
    }

    fn ignored(&self, reason: Skip, detail: String) -> Event {
        Event::Ignored {
            account: Some(self.account()),
            reason,
            detail,
        }
    }

    /// The contact entry of `wa_id`, or the only one when there is one.
    fn contact_of(&self, wa_id: Option<&str>) -> Option<&Value> {
        let by_id = self
            .contacts
            .iter()
            .find(|c| wa_id.is_some() && c.get("wa_id").and_then(Value::as_str) == wa_id);
        by_id.or(if self.contacts.len() == 1 {
            self.contacts.first()
        } else {
            None
        })
    }

    fn message(&self, item: &Value) -> Event {
        let m: Message = match serde_json::from_value(item.clone()) {
            Ok(m) => m,
            Err(e) => return self.ignored(Skip::MalformedItem, format!("message: {e}")),
        };
        let Ok(external_id) = ExternalId::parse(&m.id) else {
            return self.ignored(Skip::InvalidId, format!("message id `{}`", m.id));
        };
        let contact_raw = self.contact_of(m.from.as_deref());
        let contact: Option<payload::Contact> =
            contact_raw.and_then(|c| serde_json::from_value(c.clone()).ok());
        let display_name = contact
            .and_then(|c| c.profile)
            .and_then(|p| p.name)
            .map(|n| clean(&n))
            .filter(|n| !n.is_empty());
        let sender = m
            .from
            .as_deref()
            .and_then(|f| PhoneE164::from_international_digits(f).ok());
        let raw = json!({
            "object": "whatsapp_business_account",
            "entry_id": self.entry_id,
            "metadata": self.raw_metadata,
            "contact": contact_raw,
            "message": item,
        });
        let mut message = InboundMessage {
            channel: Channel::Whatsapp,
            channel_account: self.account(),
            external_id,
            sender: sender.map(Address::Phone),
            other_addresses: vec![],
            display_name,
            title: None,
            text: String::new(),
            category: None,
            attachments: vec![],
            location: None,
            reply_to: m.context.as_ref().and_then(|c| c.id.clone()),
            flags: Flags::default(),
            received_at: timestamp(m.timestamp.as_ref(), self.now),
            raw: RawPayload {
                content_type: "application/json".into(),
                body: raw.to_string(),
            },
        };
        let record = |mut message: InboundMessage, reason: Skip, detail: String| {
            if reason == Skip::Group {
                // A group is no conversation with this citizen: it must not
                // open their reply window or name them.
                message.sender = None;
            }
            Event::Record {
                message: Box::new(message),
                reason,
                detail,
            }
        };
        if m.group_id.is_some() {
            return record(message, Skip::Group, "message in a group chat".into());
        }
        if message.sender.is_none() {
            let detail = match &m.from {
                Some(f) => format!("sender `{f}` is not an international phone number"),
                None => "the message names no sender".into(),
            };
            return record(message, Skip::InvalidSender, detail);
        }
        match content(&m) {
            Ok(c) => {
                message.text = c.text;
                message.attachments = c.attachments;
                message.location = c.location;
                Event::Message(Box::new(message))
            }
            Err((reason, detail)) => record(message, reason, detail),
        }
    }

    fn status(&self, item: &Value) -> Event {
        let s: payload::Status = match serde_json::from_value(item.clone()) {
            Ok(s) => s,
            Err(e) => return self.ignored(Skip::MalformedItem, format!("status: {e}")),
        };
        if s.id.trim().is_empty() {
            return self.ignored(Skip::InvalidId, "status without a message id".into());
        }
        let Some(status) = DeliveryStatus::parse(&s.status) else {
            return self.ignored(
                Skip::UnknownStatus,
                format!("status `{}` of {}", s.status, s.id),
            );
        };
        Event::Status(StatusReport {
            account: self.account(),
            message_id: s.id.trim().to_string(),
            status,
            recipient: s.recipient_id,
            at: timestamp(s.timestamp.as_ref(), self.now),
            errors: s
                .errors
                .iter()
                .map(payload::ProviderError::describe)
                .collect(),
            error_codes: s.errors.iter().filter_map(|e| e.code).collect(),
        })
    }
}

/// Reads a message by its type; Err says why it is kept only for the record.
fn content(m: &Message) -> Result<Content, (Skip, String)> {
    let missing = || {
        (
            Skip::MalformedItem,
            format!("a `{}` message without its `{}` object", m.kind, m.kind),
        )
    };
    let mut c = Content::default();
    match m.kind.as_str() {
        "text" => c.text = clean(&m.text.as_ref().ok_or_else(missing)?.body),
        "image" | "audio" | "voice" | "video" | "document" | "sticker" => {
            let media = match m.kind.as_str() {
                "image" => &m.image,
                "audio" => &m.audio,
                "voice" => &m.voice,
                "video" => &m.video,
                "document" => &m.document,
                _ => &m.sticker,
            }
            .as_ref()
            .ok_or_else(missing)?;
            if media.id.trim().is_empty() {
                return Err((Skip::MalformedItem, "media without an id".into()));
            }
            c.text = media.caption.as_deref().map(clean).unwrap_or_default();
            let default_mime = if m.kind == "sticker" {
                "image/webp"
            } else {
                "application/octet-stream"
            };
            c.attachments.push(Attachment {
                media: MediaRef::Remote(media.id.trim().to_string()),
                mime: media
                    .mime_type
                    .as_deref()
                    .map(essence)
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| default_mime.into()),
                size: 0,
                filename: media
                    .filename
                    .as_deref()
                    .map(|f| f.chars().filter(|c| !c.is_control()).take(255).collect())
                    .filter(|f: &String| !f.trim().is_empty()),
                sha256: None,
            });
        }
        "location" => {
            let pin = m.location.as_ref().ok_or_else(missing)?;
            let valid = pin.latitude.is_finite()
                && pin.longitude.is_finite()
                && pin.latitude.abs() <= 90.0
                && pin.longitude.abs() <= 180.0;
            if !valid {
                return Err((Skip::MalformedItem, "location out of range".into()));
            }
            let place: Vec<String> = [&pin.name, &pin.address]
                .into_iter()
                .flatten()
                .map(|s| clean(s))
                .filter(|s| !s.is_empty())
                .collect();
            c.location = Some(Location {
                lat: Some(pin.latitude),
                lon: Some(pin.longitude),
                address: (!place.is_empty()).then(|| place.join(", ")),
            });
        }
        "interactive" => c.text = interactive_text(m.interactive.as_ref().ok_or_else(missing)?)?,
        "button" => {
            let b = m.button.as_ref().ok_or_else(missing)?;
            c.text = clean(b.text.as_deref().or(b.payload.as_deref()).unwrap_or(""));
        }
        "contacts" => {
            if m.contacts.is_empty() {
                return Err(missing());
            }
            c.text = m
                .contacts
                .iter()
                .map(contact_line)
                .collect::<Vec<_>>()
                .join("\n");
        }
        "reaction" => return Err((Skip::Reaction, "a reaction to a message".into())),
        other => {
            let detail = if m.errors.is_empty() {
                format!("message type `{other}`")
            } else {
                let errors: Vec<String> = m.errors.iter().map(|e| e.describe()).collect();
                format!("message type `{other}`: {}", errors.join("; "))
            };
            return Err((Skip::Unsupported, detail));
        }
    }
    Ok(c)
}

fn interactive_text(i: &payload::Interactive) -> Result<String, (Skip, String)> {
    let choice = match i.kind.as_str() {
        "button_reply" => i.button_reply.as_ref(),
        "list_reply" => i.list_reply.as_ref(),
        "nfm_reply" => {
            let Some(flow) = &i.nfm_reply else {
                return Err((Skip::MalformedItem, "nfm_reply without its object".into()));
            };
            let answers = flow
                .response_json
                .as_deref()
                .and_then(|r| serde_json::from_str::<serde_json::Map<String, Value>>(r).ok());
            return Ok(match answers {
                Some(map) => map
                    .iter()
                    .filter(|(k, _)| k.as_str() != "flow_token")
                    .map(|(k, v)| match v {
                        Value::String(s) => format!("{k}: {s}"),
                        other => format!("{k}: {other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => clean(flow.body.as_deref().unwrap_or("")),
            });
        }
        other => return Err((Skip::Unsupported, format!("interactive type `{other}`"))),
    };
    let choice = choice.ok_or_else(|| {
        (
            Skip::MalformedItem,
            format!("{} without its object", i.kind),
        )
    })?;
    Ok(match choice.description.as_deref().map(clean) {
        Some(d) if !d.is_empty() => format!("{}\n{d}", clean(&choice.title)),
        _ => clean(&choice.title),
    })
}

/// `Kontak: Budi Santoso, +62 812-3456-7890`: kept as text for the
/// operator, never taken as the sender's address.
fn contact_line(c: &payload::SharedContact) -> String {
    let name = c
        .name
        .as_ref()
        .and_then(|n| n.formatted_name.as_deref())
        .map(clean)
        .unwrap_or_default();
    let phones: Vec<String> = c
        .phones
        .iter()
        .filter_map(|p| p.phone.clone().or_else(|| p.wa_id.clone()))
        .map(|p| clean(&p))
        .collect();
    let mut parts = vec![];
    if !name.is_empty() {
        parts.push(name);
    }
    parts.extend(phones);
    format!("Kontak: {}", parts.join(", "))
}
