//! Messages out: for each reply, the exact request the Graph API gets, and
//! how each of its answers is sorted.

use super::graph_server::{GraphServer, TOKEN, VERSION};
use crate::reply::{OutboundReply, ReplyErrorKind, ReplySender, Template};
use crate::whatsapp::{GraphClient, GraphSettings};
use serde_json::json;
use std::time::Duration;

fn reply(text: &str) -> OutboundReply {
    OutboundReply {
        channel_account: "106540352242922".into(),
        recipient: "+6281234567890".into(),
        text: text.into(),
        reply_to: None,
        idempotency_key: "k1".into(),
        template: None,
        subject: Some("ignored on WhatsApp".into()),
    }
}

fn client(server: &GraphServer) -> GraphClient {
    GraphClient::new(
        &GraphSettings {
            base_url: server.base.clone(),
            version: VERSION.into(),
            timeout: Duration::from_secs(5),
        },
        TOKEN,
    )
    .unwrap()
}

#[rustfmt::skip]
#[tokio::test]
async fn table_of_outgoing_requests() {
    struct Case {
        label: &'static str,
        reply: OutboundReply,
        body: Option<serde_json::Value>,
    }
    let cases = vec![
        Case {
            label: "free-form text",
            reply: reply("Pengaduan Anda sudah diterima."),
            body: Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                "type": "text", "text": {"preview_url": false, "body": "Pengaduan Anda sudah diterima."},
            })),
        },
        Case {
            label: "a reply quotes the citizen's message",
            reply: OutboundReply { reply_to: Some("wamid.IN1".into()), ..reply("Kode: ABC") },
            body: Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                "type": "text", "text": {"preview_url": false, "body": "Kode: ABC"},
                "context": {"message_id": "wamid.IN1"},
            })),
        },
        Case {
            label: "a foreign number keeps its country code",
            reply: OutboundReply { recipient: "+447700900123".into(), ..reply("Hi") },
            body: Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "447700900123",
                "type": "text", "text": {"preview_url": false, "body": "Hi"},
            })),
        },
        Case {
            label: "template with flattened parameters, no context",
            reply: OutboundReply {
                reply_to: Some("wamid.IN1".into()),
                template: Some(Template {
                    name: "status_pengaduan".into(),
                    language: "id".into(),
                    parameters: vec!["ABCDE23456".into(), "Sedang\nditindaklanjuti".into()],
                }),
                ..reply("ignored")
            },
            body: Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                "type": "template",
                "template": {"name": "status_pengaduan", "language": {"code": "id"}, "components": [
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "ABCDE23456"},
                        {"type": "text", "text": "Sedang ditindaklanjuti"},
                    ]},
                ]},
            })),
        },
        Case {
            label: "a citizen known by user id only: `recipient`, not `to`",
            reply: OutboundReply { recipient: "ID.1502576394655843".into(), ..reply("Hi") },
            body: Some(json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "recipient": "ID.1502576394655843",
                "type": "text", "text": {"preview_url": false, "body": "Hi"},
            })),
        },
        Case { label: "recipient that is no number", reply: OutboundReply { recipient: "budi@x.id".into(), ..reply("x") }, body: None },
        Case { label: "empty text", reply: reply("  "), body: None },
    ];
    let server = GraphServer::start().await;
    let client = client(&server);
    for case in cases {
        let before = server.sent().len();
        let result = client.send(&case.reply).await;
        match case.body {
            Some(body) => {
                let sent = result.unwrap_or_else(|e| panic!("{}: {e}", case.label));
                assert_eq!(sent.provider_message_id, Some(format!("wamid.SENT{}", before + 1)), "{}", case.label);
                let got = server.sent().last().cloned().unwrap();
                assert_eq!(got.path, format!("/{VERSION}/106540352242922/messages"), "{}", case.label);
                assert_eq!(got.authorization, Some(format!("Bearer {TOKEN}")), "{}", case.label);
                assert_eq!(got.body, body, "{}", case.label);
            }
            None => {
                let e = result.unwrap_err();
                assert_eq!(e.kind, ReplyErrorKind::Permanent, "{}", case.label);
                assert_eq!(server.sent().len(), before, "{}: nothing sent", case.label);
            }
        }
    }
}

#[rustfmt::skip]
#[tokio::test]
async fn table_of_graph_answers() {
    let cases = [
        ("window closed", 400, r#"{"error":{"message":"Re-engagement message","code":131047}}"#, None, ReplyErrorKind::WindowClosed),
        ("not on WhatsApp", 400, r#"{"error":{"message":"Message Undeliverable","code":131026}}"#, None, ReplyErrorKind::Unreachable),
        ("rate limited", 429, r#"{"error":{"message":"Rate limit hit","code":130429}}"#, Some(7), ReplyErrorKind::Retryable),
        ("template missing", 404, r#"{"error":{"message":"Template name does not exist","code":132001}}"#, None, ReplyErrorKind::Permanent),
        ("server error", 500, "oops", None, ReplyErrorKind::Retryable),
    ];
    let server = GraphServer::start().await;
    let client = client(&server);
    for (label, status, body, retry_after, kind) in cases {
        server.answer_sends(status, body, retry_after);
        let e = client.send(&reply("x")).await.unwrap_err();
        assert_eq!(e.kind, kind, "{label}");
        assert_eq!(e.http_status, Some(status), "{label}");
        assert_eq!(e.retry_after, retry_after, "{label}");
        assert!(!e.message.contains(TOKEN), "{label}: token in {}", e.message);
    }
    // Nothing listens: retry later.
    let gone = GraphClient::new(
        &GraphSettings { base_url: "http://127.0.0.1:9".into(), version: VERSION.into(), timeout: Duration::from_secs(2) },
        TOKEN,
    )
    .unwrap();
    assert_eq!(gone.send(&reply("x")).await.unwrap_err().kind, ReplyErrorKind::Retryable);
}

#[test]
fn the_token_never_prints() {
    let c = GraphClient::new(
        &GraphSettings {
            base_url: "https://graph.facebook.com".into(),
            version: VERSION.into(),
            timeout: Duration::from_secs(1),
        },
        TOKEN,
    )
    .unwrap();
    assert!(!format!("{c:?}").contains(TOKEN));
    assert!(GraphClient::new(
        &GraphSettings {
            base_url: "not a url".into(),
            version: VERSION.into(),
            timeout: Duration::from_secs(1)
        },
        TOKEN
    )
    .is_err());
}
