//! Webhook requests in: one row per case, each with its request (body and
//! signature), the expected HTTP status or refusal, and every event. The
//! rows themselves are in `rows.rs`.

use super::fixture;
use super::rows::cases;
use crate::whatsapp::{
    message_from_raw, receive, sign, DeliveryStatus, Event, Skip, SIGNATURE_HEADER,
};
use crate::{Address, MediaRef};
use axum::body::Body as AxumBody;
use axum::extract::Request;
use chrono::{DateTime, Utc};

const SECRET: &[u8] = b"app-secret-for-tests";
const LIMIT: usize = 64 * 1024;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

pub enum Body {
    /// A fixture exactly as it is.
    Fixture(&'static str),
    /// A fixture with strings replaced (placeholder ids by real numbers).
    Edited(&'static str, &'static [(&'static str, &'static str)]),
    Json(serde_json::Value),
    Raw(&'static str),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Fixture(name) => fixture(name).into_bytes(),
            Body::Edited(name, edits) => {
                let mut s = fixture(name);
                for (from, to) in *edits {
                    assert!(s.contains(from), "{name} does not contain {from}");
                    s = s.replace(from, to);
                }
                s.into_bytes()
            }
            Body::Json(v) => v.to_string().into_bytes(),
            Body::Raw(s) => s.as_bytes().to_vec(),
        }
    }
}

/// The fixture's placeholder sender `5678` as a real international number.
pub const AS_REAL: &[(&str, &str)] = &[("\"5678\"", "\"16315555555\"")];

pub enum Signature {
    /// Signed correctly over the body sent.
    Good,
    Missing,
    Header(&'static str),
    /// Signed over these bytes instead of the body sent.
    Over(Body),
    WrongSecret,
}

#[derive(Debug, Default)]
pub struct WantMessage {
    pub id: &'static str,
    pub account: &'static str,
    pub sender: &'static str,
    /// The other addresses' values (a user id beside the number).
    pub others: Vec<&'static str>,
    pub name: Option<&'static str>,
    pub text: &'static str,
    /// (media id, mime, filename)
    pub media: Vec<(&'static str, &'static str, Option<&'static str>)>,
    pub location: Option<(f64, f64, Option<&'static str>)>,
    pub reply_to: Option<&'static str>,
    /// Unix seconds; `None` means "the time of receipt".
    pub at: Option<i64>,
}

#[derive(Debug)]
pub enum Want {
    Message(WantMessage),
    Record(&'static str, Skip),
    /// (account, message id, status, errors)
    Status(
        &'static str,
        &'static str,
        DeliveryStatus,
        &'static [&'static str],
    ),
    Ignored(Skip),
}

pub struct Case {
    pub label: &'static str,
    pub body: Body,
    pub signature: Signature,
    /// Send a Content-Length header (the real size) or stream the body.
    pub declare_length: bool,
    pub limit: usize,
    /// 200 with `events`, or the refusal's status and code.
    pub status: u16,
    pub code: Option<&'static str>,
    pub events: Vec<Want>,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            label: "",
            body: Body::Raw(""),
            signature: Signature::Good,
            declare_length: true,
            limit: LIMIT,
            status: 200,
            code: None,
            events: vec![],
        }
    }
}

pub fn msg(id: &'static str, text: &'static str) -> WantMessage {
    WantMessage {
        id,
        account: "1234567890",
        sender: "+16315555555",
        name: Some("Kerry Fisher"),
        text,
        at: Some(1454119029),
        ..Default::default()
    }
}

fn request(case: &Case) -> Request {
    let body = case.body.bytes();
    let signature = match &case.signature {
        Signature::Good => Some(sign(SECRET, &body)),
        Signature::Missing => None,
        Signature::Header(h) => Some(h.to_string()),
        Signature::Over(other) => Some(sign(SECRET, &other.bytes())),
        Signature::WrongSecret => Some(sign(b"not-the-secret", &body)),
    };
    let mut builder = Request::builder()
        .method("POST")
        .uri("/webhooks/whatsapp")
        .header("content-type", "application/json");
    if let Some(s) = signature {
        builder = builder.header(SIGNATURE_HEADER, s);
    }
    if case.declare_length {
        builder = builder.header("content-length", body.len().to_string());
        builder.body(AxumBody::from(body)).unwrap()
    } else {
        let stream = futures_util::stream::iter(
            body.chunks(1024)
                .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        builder.body(AxumBody::from_stream(stream)).unwrap()
    }
}

fn check_message(label: &str, got: &crate::InboundMessage, want: &WantMessage) {
    assert_eq!(got.external_id.as_str(), want.id, "{label}: id");
    assert_eq!(got.channel, crate::Channel::Whatsapp, "{label}");
    assert_eq!(got.channel_account, want.account, "{label}: account");
    assert_eq!(
        got.sender.as_ref().map(Address::value).as_deref(),
        Some(want.sender),
        "{label}: sender"
    );
    let others: Vec<String> = got.other_addresses.iter().map(Address::value).collect();
    assert_eq!(others, want.others, "{label}: other addresses");
    assert_eq!(got.display_name.as_deref(), want.name, "{label}: name");
    assert_eq!(got.text, want.text, "{label}: text");
    let media: Vec<_> = got
        .attachments
        .iter()
        .map(|a| match &a.media {
            MediaRef::Remote(id) => (id.as_str(), a.mime.as_str(), a.filename.as_deref()),
            MediaRef::Inline(_) => panic!("{label}: inline media from WhatsApp"),
        })
        .collect();
    assert_eq!(media, want.media, "{label}: attachments");
    let location = got
        .location
        .as_ref()
        .map(|l| (l.lat.unwrap(), l.lon.unwrap(), l.address.as_deref()));
    assert_eq!(location, want.location, "{label}: location");
    assert_eq!(got.reply_to.as_deref(), want.reply_to, "{label}: reply_to");
    let at = want
        .at
        .map(|s| DateTime::from_timestamp(s, 0).unwrap())
        .unwrap_or(now());
    assert_eq!(got.received_at, at, "{label}: received_at");
    let raw: serde_json::Value = serde_json::from_str(&got.raw.body).expect("raw is JSON");
    assert_eq!(
        raw["message"]["id"], want.id,
        "{label}: raw holds the message"
    );
}

fn check(case: &Case, got: Result<Vec<Event>, crate::whatsapp::WebhookError>) {
    let label = case.label;
    let events = match (got, case.status) {
        (Ok(events), 200) => events,
        (Err(e), status) if status != 200 => {
            assert_eq!(e.status.as_u16(), status, "{label}: {e}");
            assert_eq!(Some(e.code), case.code, "{label}: {e}");
            assert!(
                !e.message_id.is_empty() && !e.message_en.is_empty(),
                "{label}"
            );
            return;
        }
        (got, _) => panic!("{label}: expected {}, got {got:?}", case.status),
    };
    assert_eq!(events.len(), case.events.len(), "{label}: {events:#?}");
    for (got, want) in events.iter().zip(&case.events) {
        match (got, want) {
            (Event::Message(m), Want::Message(w)) => check_message(label, m, w),
            (
                Event::Record {
                    message, reason, ..
                },
                Want::Record(id, want_reason),
            ) => {
                assert_eq!(message.external_id.as_str(), *id, "{label}");
                assert_eq!(reason, want_reason, "{label}");
            }
            (Event::Status(s), Want::Status(account, id, status, errors)) => {
                assert_eq!(s.account, *account, "{label}");
                assert_eq!(s.message_id, *id, "{label}");
                assert_eq!(s.status, *status, "{label}");
                assert_eq!(s.errors, *errors, "{label}");
            }
            (Event::Ignored { reason, .. }, Want::Ignored(want_reason)) => {
                assert_eq!(reason, want_reason, "{label}")
            }
            (got, want) => panic!("{label}: got {got:?}, want {want:?}"),
        }
    }
}

/// The fixtures the table uses, so a new fixture without a row is noticed.
pub fn fixtures_used() -> Vec<String> {
    cases()
        .iter()
        .filter_map(|c| match &c.body {
            Body::Fixture(name) | Body::Edited(name, _) => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn table_of_webhook_requests() {
    for case in &cases() {
        let got = receive(request(case), SECRET, case.limit, now()).await;
        check(case, got);
    }
}

/// The intake journal keeps a WhatsApp message as its raw payload alone:
/// every message of every row comes back whole from it, and what was
/// recorded without a complaint does not come back as one.
#[tokio::test]
async fn every_message_comes_back_from_its_raw_payload() {
    let mut messages = 0;
    for case in &cases() {
        let Ok(events) = receive(request(case), SECRET, case.limit, now()).await else {
            continue;
        };
        for event in events {
            match event {
                Event::Message(m) => {
                    messages += 1;
                    let back = message_from_raw(&m.raw.body, now())
                        .unwrap_or_else(|e| panic!("{}: {e}", case.label));
                    assert_eq!(back, *m, "{}", case.label);
                }
                Event::Record { message, .. } => {
                    let back = message_from_raw(&message.raw.body, now());
                    assert!(back.is_err(), "{}: {back:?}", case.label);
                }
                _ => {}
            }
        }
    }
    assert!(messages > 10, "only {messages} messages in the table");
}

#[test]
fn a_raw_payload_that_is_no_message_is_an_error() {
    for raw in [
        "",
        "not json",
        "[]",
        r#"{"entry_id":"1","metadata":{},"contact":null,"message":{}}"#,
        r#"{"entry_id":"1","metadata":{"phone_number_id":"1"},"contact":null,"message":{"id":"wamid.X","type":"text"}}"#,
    ] {
        let back = message_from_raw(raw, now());
        assert!(back.is_err(), "{raw}: {back:?}");
    }
}
