//! What a citizen's message says, by its type: text, a caption and its
//! media reference, a location, a button or list choice, a flow's answers,
//! a shared contact card. Types that make no complaint say why.

use super::event::Skip;
use super::payload::{self, Message};
use crate::{Attachment, Location, MediaRef};
use serde_json::Value;

/// A MIME type without its parameters, lower-cased.
fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub(super) fn clean(s: &str) -> String {
    s.trim().to_string()
}

/// What a message says, once its type is read.
#[derive(Default)]
pub(super) struct Content {
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub location: Option<Location>,
}

/// Reads a message by its type; Err says why it is kept only for the record.
pub(super) fn content(m: &Message) -> Result<Content, (Skip, String)> {
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
