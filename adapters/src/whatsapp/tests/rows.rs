//! The rows of the inbound table: every real payload as it is (and with
//! its placeholder sender as a real number), then the cases written here.

use super::inbound::{msg, Body, Case, Signature, Want, WantMessage, AS_REAL};
use crate::whatsapp::{DeliveryStatus, Skip};
use serde_json::json;

fn change(phone_number_id: &str, value: serde_json::Value) -> serde_json::Value {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] =
        json!({"display_phone_number": "62751000000", "phone_number_id": phone_number_id});
    json!({"field": "messages", "value": value})
}

fn envelope(entries: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"object": "whatsapp_business_account", "entry": entries})
}

fn one_message(message: serde_json::Value) -> Body {
    Body::Json(envelope(vec![
        json!({"id": "waba", "changes": [change("1234567890", json!({
            "contacts": [{"profile": {"name": "Siti Aminah"}, "wa_id": "6281234567890"}],
            "messages": [message],
        }))]}),
    ]))
}

fn siti(id: &'static str, text: &'static str) -> WantMessage {
    WantMessage {
        sender: "+6281234567890",
        name: Some("Siti Aminah"),
        at: Some(1_790_000_100),
        ..msg(id, text)
    }
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    use DeliveryStatus::*;
    vec![
        // ---- the real payloads, as they are ----
        Case { label: "hello: a 4-digit placeholder is no phone number", body: Body::Fixture("hello.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "hello from a real number", body: Body::Edited("hello.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Hello World"))], ..Default::default() },
        Case { label: "business-scoped user id instead of a number: the user id is the sender",
            body: Body::Fixture("hello_bsuid_in_from.json"),
            events: vec![Want::Message(WantMessage { sender: "US.1234", ..msg("external_id", "Hello World") })],
            ..Default::default() },
        Case { label: "user id beside the number: the number is the sender, the user id another address",
            body: Body::Edited("hello_user_id.json", AS_REAL),
            events: vec![Want::Message(WantMessage { others: vec!["US.1234"], ..msg("external_id", "Hello World") })],
            ..Default::default() },
        Case { label: "user id beside the placeholder: the user id is the sender",
            body: Body::Fixture("hello_user_id.json"),
            events: vec![Want::Message(WantMessage { sender: "US.1234", ..msg("external_id", "Hello World") })],
            ..Default::default() },
        Case { label: "user id only in the contact, no number",
            body: Body::Edited("hello_user_id.json", &[("\"from_user_id\": \"US.1234\",", ""), ("\"from\": \"5678\"", "\"from\": \"bla\"")]),
            events: vec![Want::Message(WantMessage { sender: "US.1234", ..msg("external_id", "Hello World") })],
            ..Default::default() },
        Case { label: "no number and an invalid user id", body: Body::Fixture("hello_invalid_user_id.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "invalid user id is ignored, the number counts", body: Body::Edited("hello_invalid_user_id.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Hello World"))], ..Default::default() },
        Case { label: "sender `bla`", body: Body::Fixture("invalid_from.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "no sender", body: Body::Fixture("no_from.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "bad timestamp and bad sender", body: Body::Fixture("invalid_timestamp.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "bad timestamp: the time of receipt stands in",
            body: Body::Edited("invalid_timestamp.json", &[("\"bla\"", "\"16315555555\"")]),
            events: vec![Want::Message(WantMessage { at: None, ..msg("external_id", "Hello World") })], ..Default::default() },
        Case { label: "the same message twice in one body: both reach intake, which keeps one",
            body: Body::Edited("duplicate.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Hello World")), Want::Message(msg("external_id", "Hello World"))],
            ..Default::default() },
        Case { label: "group message", body: Body::Fixture("group_message.json"),
            events: vec![Want::Record("external_id", Skip::Group)], ..Default::default() },
        Case { label: "image with caption", body: Body::Edited("image.json", AS_REAL),
            events: vec![Want::Message(WantMessage { media: vec![("id_image", "image/jpeg", None)], ..msg("external_id", "Check out my new phone!") })],
            ..Default::default() },
        Case { label: "image from the placeholder", body: Body::Fixture("image.json"),
            events: vec![Want::Record("external_id", Skip::InvalidSender)], ..Default::default() },
        Case { label: "audio (declared mime kept as declared)", body: Body::Edited("audio.json", AS_REAL),
            events: vec![Want::Message(WantMessage { media: vec![("id_audio", "image/jpeg", None)], ..msg("external_id", "Check out my new phone!") })],
            ..Default::default() },
        Case { label: "video", body: Body::Edited("video.json", AS_REAL),
            events: vec![Want::Message(WantMessage { media: vec![("id_video", "image/jpeg", None)], ..msg("external_id", "Check out my new phone!") })],
            ..Default::default() },
        Case { label: "voice note: mime parameters dropped", body: Body::Edited("voice.json", AS_REAL),
            events: vec![Want::Message(WantMessage { media: vec![("id_voice", "audio/ogg", None)], ..msg("external_id", "") })],
            ..Default::default() },
        Case { label: "document", body: Body::Edited("document.json", AS_REAL),
            events: vec![Want::Message(WantMessage { media: vec![("id_document", "application/pdf", None)], ..msg("external_id", "80skaraokesonglistartist") })],
            ..Default::default() },
        Case { label: "location with name and address", body: Body::Edited("location.json", AS_REAL),
            events: vec![Want::Message(WantMessage { location: Some((0.0, 1.0, Some("Main Street Beach, Main Street Beach, Santa Cruz, CA"))), ..msg("external_id", "") })],
            ..Default::default() },
        Case { label: "button reply", body: Body::Edited("button_reply.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Yes"))], ..Default::default() },
        Case { label: "list reply", body: Body::Edited("list_reply.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Yes"))], ..Default::default() },
        Case { label: "flow reply that is not an object: its body", body: Body::Edited("nfm_reply_non_object.json", AS_REAL),
            events: vec![Want::Message(msg("external_id", "Sent"))], ..Default::default() },
        Case { label: "unsupported type with Meta's error", body: Body::Edited("error_msg.json", AS_REAL),
            events: vec![Want::Record("external_id", Skip::Unsupported)], ..Default::default() },
        Case { label: "status sent", body: Body::Fixture("valid_status.json"),
            events: vec![Want::Status("1234567890", "external_id", Sent, &[])], ..Default::default() },
        Case { label: "status failed with code and title", body: Body::Fixture("error_status.json"),
            events: vec![Want::Status("1234567890", "external_id", Failed, &["131014: Request for url https://URL.jpg failed with error: 404 (Not Found)"])],
            ..Default::default() },
        Case { label: "status deleted", body: Body::Fixture("ignore_status.json"),
            events: vec![Want::Ignored(Skip::UnknownStatus)], ..Default::default() },
        Case { label: "status in_orbit", body: Body::Fixture("invalid_status.json"),
            events: vec![Want::Ignored(Skip::UnknownStatus)], ..Default::default() },
        // ---- cases written here ----
        Case { label: "several entries, changes, messages and statuses in one body",
            body: Body::Json(envelope(vec![
                json!({"id": "waba-1", "changes": [
                    change("111111111111111", json!({
                        "contacts": [{"profile": {"name": "Siti Aminah"}, "wa_id": "6281234567890"},
                                     {"profile": {"name": "John Smith"}, "wa_id": "447700900123"}],
                        "messages": [
                            {"from": "6281234567890", "id": "wamid.A1", "timestamp": "1790000100", "type": "text", "text": {"body": "Jalan berlubang di Jl. Sudirman"}},
                            {"from": "447700900123", "id": "wamid.A2", "timestamp": 1790000101, "type": "text", "text": {"body": "Streetlight out near the harbour"}},
                        ],
                    })),
                    change("111111111111111", json!({"statuses": [{"id": "wamid.OUT1", "status": "read", "timestamp": "1790000102", "recipient_id": "6281234567890"}]})),
                ]}),
                json!({"id": "waba-2", "changes": [change("222222222222222", json!({
                    "contacts": [{"profile": {"name": "Budi"}, "wa_id": "6285212345678"}],
                    "messages": [{"from": "6285212345678", "id": "wamid.B1", "timestamp": "1790000103", "type": "text", "text": {"body": "Sampah menumpuk"}}],
                }))]}),
            ])),
            events: vec![
                Want::Message(WantMessage { account: "111111111111111", ..siti("wamid.A1", "Jalan berlubang di Jl. Sudirman") }),
                Want::Message(WantMessage { account: "111111111111111", sender: "+447700900123", name: Some("John Smith"), at: Some(1_790_000_101), ..msg("wamid.A2", "Streetlight out near the harbour") }),
                Want::Status("111111111111111", "wamid.OUT1", Read, &[]),
                Want::Message(WantMessage { account: "222222222222222", sender: "+6285212345678", name: Some("Budi"), at: Some(1_790_000_103), ..msg("wamid.B1", "Sampah menumpuk") }),
            ],
            ..Default::default() },
        Case { label: "a reply keeps its thread reference",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.R1", "timestamp": "1790000100", "type": "text",
                "text": {"body": "Sudah 3 hari belum ada tindakan"}, "context": {"from": "62751000000", "id": "wamid.ACK1"}})),
            events: vec![Want::Message(WantMessage { reply_to: Some("wamid.ACK1"), ..siti("wamid.R1", "Sudah 3 hari belum ada tindakan") })],
            ..Default::default() },
        Case { label: "reaction is recorded, not a complaint",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.X1", "timestamp": "1790000100", "type": "reaction",
                "reaction": {"message_id": "wamid.ACK1", "emoji": "\u{1F44D}"}})),
            events: vec![Want::Record("wamid.X1", Skip::Reaction)], ..Default::default() },
        Case { label: "unknown type is recorded",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.X2", "timestamp": "1790000100", "type": "order", "order": {"catalog_id": "1"}})),
            events: vec![Want::Record("wamid.X2", Skip::Unsupported)], ..Default::default() },
        Case { label: "a shared contact is text, not the sender",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.C1", "timestamp": "1790000100", "type": "contacts",
                "contacts": [{"name": {"formatted_name": "Pak RT Budi", "first_name": "Budi"}, "phones": [{"phone": "+62 812-9999-0000", "wa_id": "6281299990000", "type": "CELL"}]}]})),
            events: vec![Want::Message(siti("wamid.C1", "Kontak: Pak RT Budi, +62 812-9999-0000"))], ..Default::default() },
        Case { label: "sticker without a mime type",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.S1", "timestamp": "1790000100", "type": "sticker", "sticker": {"id": "media-st", "animated": false}})),
            events: vec![Want::Message(WantMessage { media: vec![("media-st", "image/webp", None)], ..siti("wamid.S1", "") })], ..Default::default() },
        Case { label: "document keeps its file name",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.D1", "timestamp": "1790000100", "type": "document",
                "document": {"id": "media-doc", "mime_type": "application/pdf", "filename": "surat-keluhan.pdf", "caption": "Surat resmi"}})),
            events: vec![Want::Message(WantMessage { media: vec![("media-doc", "application/pdf", Some("surat-keluhan.pdf"))], ..siti("wamid.D1", "Surat resmi") })],
            ..Default::default() },
        Case { label: "quick-reply button of a template",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.Q1", "timestamp": "1790000100", "type": "button", "button": {"payload": "CEK", "text": "Cek status"}})),
            events: vec![Want::Message(siti("wamid.Q1", "Cek status"))], ..Default::default() },
        Case { label: "list reply with description",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.L1", "timestamp": "1790000100", "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": {"id": "jalan", "title": "Jalan rusak", "description": "Lubang, retak, amblas"}}})),
            events: vec![Want::Message(siti("wamid.L1", "Jalan rusak\nLubang, retak, amblas"))], ..Default::default() },
        Case { label: "flow reply with answers",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.F1", "timestamp": "1790000100", "type": "interactive",
                "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent",
                    "response_json": "{\"flow_token\": \"t\", \"keluhan\": \"Air PDAM mati\", \"alamat\": \"Jl. Veteran 12\"}"}}})),
            events: vec![Want::Message(siti("wamid.F1", "alamat: Jl. Veteran 12\nkeluhan: Air PDAM mati"))], ..Default::default() },
        Case { label: "location out of range",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.G1", "timestamp": "1790000100", "type": "location", "location": {"latitude": 95.0, "longitude": 100.0}})),
            events: vec![Want::Record("wamid.G1", Skip::MalformedItem)], ..Default::default() },
        Case { label: "image without its object",
            body: one_message(json!({"from": "6281234567890", "id": "wamid.G2", "timestamp": "1790000100", "type": "image"})),
            events: vec![Want::Record("wamid.G2", Skip::MalformedItem)], ..Default::default() },
        Case { label: "message without id is skipped, the next one kept",
            body: Body::Json(envelope(vec![json!({"id": "waba", "changes": [change("1234567890", json!({
                "messages": [{"from": "6281234567890", "timestamp": "1790000100", "type": "text", "text": {"body": "tanpa id"}},
                             {"from": "6281234567890", "id": "wamid.OK", "timestamp": "1790000100", "type": "text", "text": {"body": "dengan id"}}],
            }))]})])),
            events: vec![Want::Ignored(Skip::MalformedItem), Want::Message(WantMessage { name: None, ..siti("wamid.OK", "dengan id") })],
            ..Default::default() },
        Case { label: "other webhook field",
            body: Body::Json(envelope(vec![json!({"id": "waba", "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED"}}]})])),
            events: vec![Want::Ignored(Skip::OtherField)], ..Default::default() },
        Case { label: "other Meta product",
            body: Body::Json(json!({"object": "page", "entry": []})),
            events: vec![Want::Ignored(Skip::OtherObject)], ..Default::default() },
        Case { label: "change without metadata",
            body: Body::Json(envelope(vec![json!({"id": "waba", "changes": [{"field": "messages", "value": {"messages": []}}]})])),
            events: vec![Want::Ignored(Skip::MalformedItem)], ..Default::default() },
        Case { label: "Meta reports an error instead of messages",
            body: Body::Json(envelope(vec![json!({"id": "waba", "changes": [change("1234567890", json!({"errors": [{"code": 131000, "title": "Something went wrong"}]}))]})])),
            events: vec![Want::Ignored(Skip::ProviderError)], ..Default::default() },
        Case { label: "failed status with details",
            body: Body::Json(envelope(vec![json!({"id": "waba", "changes": [change("1234567890", json!({"statuses": [{"id": "wamid.OUT9", "status": "failed",
                "timestamp": "1790000100", "recipient_id": "6281234567890",
                "errors": [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed"}}]}]}))]})])),
            events: vec![Want::Status("1234567890", "wamid.OUT9", Failed, &["131047: Re-engagement message (More than 24 hours have passed)"])],
            ..Default::default() },
        // ---- refusals: nothing is parsed, nothing stored ----
        Case { label: "missing signature", body: Body::Fixture("hello.json"), signature: Signature::Missing,
            status: 401, code: Some("missing_signature"), ..Default::default() },
        Case { label: "forged signature", body: Body::Fixture("hello.json"), signature: Signature::WrongSecret,
            status: 401, code: Some("bad_signature"), ..Default::default() },
        Case { label: "signature not hex", body: Body::Fixture("hello.json"), signature: Signature::Header("sha256=xyz"),
            status: 401, code: Some("bad_signature"), ..Default::default() },
        Case { label: "truncated in transit: the signature is of the whole body",
            body: Body::Raw("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"),
            signature: Signature::Over(Body::Fixture("hello.json")), status: 401, code: Some("bad_signature"), ..Default::default() },
        Case { label: "truncated JSON, signed as it is",
            body: Body::Raw("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"),
            status: 400, code: Some("malformed_body"), ..Default::default() },
        Case { label: "empty body", body: Body::Raw(""), status: 400, code: Some("malformed_body"), ..Default::default() },
        Case { label: "JSON array", body: Body::Raw("[]"), status: 400, code: Some("malformed_body"), ..Default::default() },
        Case { label: "no object field", body: Body::Json(json!({"entry": []})), status: 400, code: Some("malformed_body"), ..Default::default() },
        Case { label: "declared length over the limit", body: Body::Fixture("hello.json"), limit: 100,
            status: 413, code: Some("body_too_large"), ..Default::default() },
        Case { label: "streamed body over the limit", body: Body::Fixture("hello.json"), limit: 100, declare_length: false,
            status: 413, code: Some("body_too_large"), ..Default::default() },
    ]
}
