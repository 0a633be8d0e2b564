//! Table tests of every SMS provider over the recorded payloads in
//! `adapters/testdata/sms/` plus rows of our own.

mod kannel;
mod mapped;
mod smssync;
mod twilio;

use super::InboundRequest;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};

pub fn fixture(name: &str) -> String {
    let path = format!("{}/testdata/sms/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
        .trim_end()
        .to_string()
}

pub fn request(method: Method, url: &str, body: &str, headers: &[(&str, &str)]) -> InboundRequest {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    InboundRequest {
        method,
        query: url
            .split_once('?')
            .map(|(_, q)| q.to_string())
            .unwrap_or_default(),
        url: url.to_string(),
        headers: map,
        body: bytes::Bytes::from(body.to_string()),
        peer: Some("127.0.0.1".parse().unwrap()),
    }
}

/// What a parsed message must look like; `None` fields are not checked.
#[derive(Default)]
pub struct Want {
    pub sender: Option<&'static str>,
    pub text: Option<&'static str>,
    pub external_id: Option<&'static str>,
    pub part: Option<(u16, u8, u8)>,
    pub attachments: Option<usize>,
    pub display_name: Option<&'static str>,
    /// A field the error names (the request is refused).
    pub error_field: Option<&'static str>,
    pub error_code: Option<&'static str>,
}

pub fn check(label: &str, got: Result<super::Inbound, super::SmsError>, want: &Want) {
    match (got, want.error_code) {
        (Err(e), Some(code)) => {
            assert_eq!(e.code, code, "{label}: {e}");
            assert_eq!(e.field.as_deref(), want.error_field, "{label}: {e}");
            assert!(!e.message_id.is_empty() && !e.message_en.is_empty());
        }
        (Ok(super::Inbound::Message(m)), None) => {
            let msg = &m.message;
            assert_eq!(msg.channel, crate::Channel::Sms, "{label}");
            if let Some(s) = want.sender {
                assert_eq!(
                    msg.sender.as_ref().map(|a| a.value()).as_deref(),
                    Some(s),
                    "{label}"
                );
            }
            if let Some(t) = want.text {
                assert_eq!(msg.text, t, "{label}");
            }
            if let Some(id) = want.external_id {
                assert_eq!(msg.external_id.as_str(), id, "{label}");
            }
            assert_eq!(
                m.part.map(|p| (p.reference, p.total, p.seq)),
                want.part,
                "{label}"
            );
            if let Some(n) = want.attachments {
                assert_eq!(msg.attachments.len(), n, "{label}");
            }
            if let Some(n) = want.display_name {
                assert_eq!(msg.display_name.as_deref(), Some(n), "{label}");
            }
        }
        (got, _) => panic!("{label}: unexpected {got:?}"),
    }
}
