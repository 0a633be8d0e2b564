//! A submission as the intake journal keeps it: the form's account and the
//! fields as received (the message's raw payload), from which the message
//! is rebuilt as parsing its request made it. That is half the bytes of
//! the whole message, which repeats the text and quotes the payload: less
//! to write before the citizen is answered and, on PostgreSQL, small
//! enough to stay in the row uncompressed.

use super::fields::Submission;
use super::read::json_fields;
use super::Limits;
use crate::{Channel, ExternalId, InboundMessage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// How an entry starts; the whole message as JSON never starts so.
pub const ENTRY_START: &str = "{\"account\":";

#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    account: &'a str,
    #[serde(borrow)]
    fields: &'a RawValue,
}

/// The entry kept for `msg`, a web form message with no photos.
pub fn entry(msg: &InboundMessage) -> Result<String, String> {
    if !msg.attachments.is_empty() {
        return Err("a web form submission with photos is not kept as an entry".into());
    }
    let fields: &RawValue =
        serde_json::from_str(&msg.raw.body).map_err(|e| format!("web form raw payload: {e}"))?;
    serde_json::to_string(&Entry {
        account: &msg.channel_account,
        fields,
    })
    .map_err(|e| format!("web form entry: {e}"))
}

/// The fields as received in an entry [`entry`] wrote.
pub fn entry_fields(entry: &str) -> Result<&str, String> {
    let kept: Entry<'_> =
        serde_json::from_str(entry).map_err(|e| format!("web form entry: {e}"))?;
    Ok(kept.fields.get())
}

/// The message back from an entry [`entry`] wrote, with its external id and
/// `received`, the time the submission came. The submission was checked
/// against the limits of its day: they are not applied again.
pub fn message_from_entry(
    entry: &str,
    external_id: &str,
    received: DateTime<Utc>,
) -> Result<InboundMessage, String> {
    let kept: Entry<'_> =
        serde_json::from_str(entry).map_err(|e| format!("web form entry: {e}"))?;
    let raw = kept.fields.get();
    let mut pairs = json_fields(raw.as_bytes()).map_err(|e| format!("web form entry: {e}"))?;
    // Written by `into_inbound`, not by the citizen.
    pairs.retain(|(name, _)| name != "attachments");
    let unbounded = Limits {
        max_text_chars: usize::MAX,
        ..Limits::default()
    };
    let submission =
        Submission::from_pairs(pairs, &unbounded).map_err(|e| format!("web form entry: {e}"))?;
    let external_id = ExternalId::parse(external_id)?;
    let mut msg = submission.into_inbound(Channel::Webform, kept.account, external_id, vec![]);
    msg.received_at = received;
    msg.raw.body = raw.to_string();
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webform::read::Value;

    fn submission(pairs: &[(&str, Value)]) -> InboundMessage {
        let pairs = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Submission::from_pairs(pairs, &Limits::default())
            .unwrap()
            .into_inbound(
                Channel::Webform,
                "kiniko",
                ExternalId::parse("key:abc-1").unwrap(),
                vec![],
            )
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn an_entry_reads_back_as_the_message_it_was() {
        let cases = [
            (
                "JSON with a pin",
                submission(&[
                    (
                        "text",
                        text("Jalan berlubang \"dalam\" di depan\nSD 12\\Padang"),
                    ),
                    ("title", text("Jalan rusak")),
                    ("name", text("Siti")),
                    ("phone", text("0812-3456-7890")),
                    ("email", text("siti@example.id")),
                    ("lat", Value::Number(-0.947_136_812_345_678_9)),
                    ("lon", Value::Number(100.417_181_234_567_89)),
                    ("address", text("Jl. Sudirman No. 1")),
                    ("anonim", Value::Bool(true)),
                    ("rahasia", Value::Number(1.0)),
                ]),
            ),
            (
                "form fields, all text",
                submission(&[
                    ("text", text("  Sampah menumpuk  ")),
                    ("lat", text("-0,95")),
                    ("lon", text("100.35")),
                    ("category", text("")),
                    ("rahasia", text("ya")),
                ]),
            ),
            (
                "text and nulls",
                submission(&[("text", text("Banjir")), ("name", Value::Null)]),
            ),
        ];
        for (label, msg) in cases {
            let kept = entry(&msg).unwrap();
            assert!(kept.starts_with(ENTRY_START), "{label}: {kept}");
            let whole = serde_json::to_string(&msg).unwrap();
            assert!(
                kept.len() < whole.len(),
                "{label}: {} vs {}",
                kept.len(),
                whole.len()
            );
            assert_eq!(entry_fields(&kept).unwrap(), msg.raw.body, "{label}");
            let back = message_from_entry(&kept, msg.external_id.as_str(), msg.received_at);
            assert_eq!(back.as_ref(), Ok(&msg), "{label}");
        }
    }

    #[test]
    fn a_long_text_accepted_then_reads_back_under_a_lower_limit() {
        let msg = submission(&[("text", text(&"a".repeat(5000)))]);
        let kept = entry(&msg).unwrap();
        let back = message_from_entry(&kept, "key:abc-1", msg.received_at).unwrap();
        assert_eq!(back.text.len(), 5000);
    }

    #[test]
    fn what_is_no_entry_is_an_error() {
        let received = Utc::now();
        for (label, kept, id) in [
            ("not JSON", "{\"account\":", "key:1"),
            ("no fields", "{\"account\":\"web\"}", "key:1"),
            (
                "fields not an object",
                "{\"account\":\"web\",\"fields\":[1]}",
                "key:1",
            ),
            (
                "no text",
                "{\"account\":\"web\",\"fields\":{\"name\":\"Siti\"}}",
                "key:1",
            ),
            (
                "bad id",
                "{\"account\":\"web\",\"fields\":{\"text\":\"x\"}}",
                " ",
            ),
        ] {
            let back = message_from_entry(kept, id, received);
            assert!(back.is_err(), "{label}: {back:?}");
        }
        let mut photo = submission(&[("text", text("Banjir"))]);
        photo.attachments.push(crate::Attachment {
            size: 1,
            media: crate::MediaRef::Inline(vec![0].into()),
            mime: "image/png".into(),
            filename: None,
            sha256: None,
        });
        assert!(entry(&photo).is_err());
    }
}
