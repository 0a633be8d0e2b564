//! One verified webhook body into events, item by item. Only a body that
//! is not a webhook at all is refused; a bad item is skipped with its
//! reason so the good items beside it are not lost.

use super::content::{clean, content};
use super::event::{DeliveryStatus, Event, Skip, StatusReport};
use super::payload::{self, Envelope, Message, MessagesValue};
use super::WebhookError;
use crate::{
    Address, Channel, ExternalId, Flags, InboundMessage, PhoneE164, RawPayload, WhatsappUserId,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
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

/// A message back from its own raw payload (the `raw.body` [`parse`]
/// gave it), as parsing its webhook made it: the intake journal keeps only
/// this, half the bytes of the whole message, which repeats the text. `now`
/// stands in for a timestamp that cannot be read, as in [`parse`]; give
/// the time the webhook came. An item that is no complaint message (a
/// reaction, a group message) is an error here: those are never journaled.
pub fn message_from_raw(raw: &str, now: DateTime<Utc>) -> Result<InboundMessage, String> {
    #[derive(Deserialize)]
    struct Item {
        entry_id: String,
        metadata: Value,
        contact: Option<Value>,
        message: Value,
    }
    let item: Item = serde_json::from_str(raw).map_err(|e| format!("raw WhatsApp message: {e}"))?;
    let metadata = payload::Metadata::deserialize(&item.metadata)
        .map_err(|e| format!("raw WhatsApp message, metadata: {e}"))?;
    let contacts: Vec<Value> = item.contact.into_iter().collect();
    let ctx = ChangeContext {
        entry_id: &item.entry_id,
        metadata: &metadata,
        raw_metadata: &item.metadata,
        contacts: &contacts,
        now,
    };
    match ctx.message(&item.message) {
        Event::Message(mut message) => {
            message.raw.body = raw.to_string();
            Ok(*message)
        }
        Event::Record { reason, detail, .. } | Event::Ignored { reason, detail, .. } => Err(
            format!("raw WhatsApp item is no complaint message ({reason}): {detail}"),
        ),
        Event::Status(_) => Err("raw WhatsApp item is a status, not a message".into()),
    }
}

/// Who wrote: their number when WhatsApp shares it, with their
/// business-scoped user id beside it (so the citizen stays known when
/// they later hide the number); the user id alone otherwise.
fn sender(m: &Message, contact: Option<&payload::Contact>) -> (Option<Address>, Vec<Address>) {
    let phone = m
        .from
        .as_deref()
        .and_then(|f| PhoneE164::from_international_digits(f).ok());
    let user_id = [
        m.from_user_id.as_deref(),
        contact.and_then(|c| c.user_id.as_deref()),
        m.from.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|id| WhatsappUserId::parse(id).ok())
    .map(Address::WhatsappUser);
    match phone {
        Some(phone) => (Some(Address::Phone(phone)), user_id.into_iter().collect()),
        None => (user_id, vec![]),
    }
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

    /// The contact entry of the sender (by number, else by user id), or
    /// the only one when there is one.
    fn contact_of(&self, wa_id: Option<&str>, user_id: Option<&str>) -> Option<&Value> {
        let field = |c: &Value, name: &str, want: Option<&str>| {
            want.is_some() && c.get(name).and_then(Value::as_str) == want
        };
        let by_id = self
            .contacts
            .iter()
            .find(|c| field(c, "wa_id", wa_id))
            .or_else(|| self.contacts.iter().find(|c| field(c, "user_id", user_id)));
        by_id.or(if self.contacts.len() == 1 {
            self.contacts.first()
        } else {
            None
        })
    }

    fn message(&self, item: &Value) -> Event {
        let m = match Message::deserialize(item) {
            Ok(m) => m,
            Err(e) => return self.ignored(Skip::MalformedItem, format!("message: {e}")),
        };
        let Ok(external_id) = ExternalId::parse(&m.id) else {
            return self.ignored(Skip::InvalidId, format!("message id `{}`", m.id));
        };
        let contact_raw = self.contact_of(m.from.as_deref(), m.from_user_id.as_deref());
        let contact: Option<payload::Contact> =
            contact_raw.and_then(|c| payload::Contact::deserialize(c).ok());
        let (sender, other_addresses) = sender(&m, contact.as_ref());
        let display_name = contact
            .and_then(|c| c.profile)
            .and_then(|p| p.name)
            .map(|n| clean(&n))
            .filter(|n| !n.is_empty());
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
            sender,
            other_addresses,
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
                message.other_addresses.clear();
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
            let detail = match (&m.from, &m.from_user_id) {
                (Some(f), _) => format!("sender `{f}` is neither a phone number nor a user id"),
                (None, Some(u)) => format!("sender's user id `{u}` is not valid"),
                (None, None) => "the message names no sender".into(),
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
        let s = match payload::Status::deserialize(item) {
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
