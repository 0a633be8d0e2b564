use super::{check, fixture, request, Want};
use crate::sms::fields::Fields;
use crate::sms::twilio::{signature, TwilioClient, TwilioInbound, TwilioSettings};
use crate::sms::{DeliveryReport, Inbound};
use crate::OutboundReply;
use axum::http::Method;
use std::time::Duration;

fn signatures() -> serde_json::Value {
    serde_json::from_str(&fixture("twilio-signatures.json")).unwrap()
}

#[test]
fn twilios_published_test_vector() {
    let v = &signatures()["published_vector"];
    let params: Vec<(String, String)> = v["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let got = signature(
        v["auth_token"].as_str().unwrap(),
        v["url"].as_str().unwrap(),
        &params,
    );
    assert_eq!(got, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assert_eq!(got, v["X-Twilio-Signature"].as_str().unwrap());
}

#[test]
fn recorded_requests_carry_valid_signatures() {
    let s = signatures();
    let token = s["auth_token"].as_str().unwrap();
    for (name, entry) in s["requests"].as_object().unwrap() {
        let body = fixture(&format!("{name}.form"));
        let params = Fields::parse(body.as_bytes()).text_pairs();
        let got = signature(token, entry["url"].as_str().unwrap(), &params);
        assert_eq!(got, entry["X-Twilio-Signature"].as_str().unwrap(), "{name}");
    }
}

fn inbound() -> TwilioInbound {
    TwilioInbound::new(
        "twilio",
        signatures()["auth_token"].as_str().unwrap().into(),
    )
}

const URL: &str = "https://lapor.padang.go.id/webhooks/sms/twilio";

fn signed(name: &str) -> crate::sms::InboundRequest {
    let sig = signatures()["requests"][name]["X-Twilio-Signature"]
        .as_str()
        .unwrap()
        .to_string();
    request(
        Method::POST,
        URL,
        &fixture(&format!("{name}.form")),
        &[("x-twilio-signature", &sig)],
    )
}

#[test]
fn table_of_inbound_messages() {
    let tampered = {
        let mut r = signed("twilio-text");
        r.body = bytes::Bytes::from(fixture("twilio-text.form").replace("tersumbat", "bersih"));
        r
    };
    let other_url = {
        let mut r = signed("twilio-text");
        r.url = "http://10.0.0.5:8080/webhooks/sms/twilio".into();
        r
    };
    let unsigned = request(Method::POST, URL, &fixture("twilio-text.form"), &[]);
    let get = {
        let mut r = signed("twilio-text");
        r.method = Method::GET;
        r
    };
    let cases: Vec<(&str, crate::sms::InboundRequest, Want)> = vec![
        (
            "fixture: text",
            signed("twilio-text"),
            Want {
                sender: Some("+6281374561234"),
                text: Some(
                    "Lapor: got di Jl. Rasuna Said tersumbat, air meluap ke jalan tiap hujan",
                ),
                external_id: Some("twilio:SM5a1b2c3d4e5f60718293a4b5c6d7e8f9"),
                attachments: Some(0),
                ..Want::default()
            },
        ),
        (
            "fixture: mms",
            signed("twilio-mms"),
            Want {
                sender: Some("+6285265551234"),
                text: Some("foto sampah"),
                attachments: Some(1),
                ..Want::default()
            },
        ),
        (
            "fixture: cek goes to intake as text",
            signed("twilio-cek"),
            Want {
                text: Some("cek k7q2m9xd"),
                ..Want::default()
            },
        ),
        (
            "fixture: empty body",
            signed("twilio-empty"),
            Want {
                text: Some(""),
                ..Want::default()
            },
        ),
        (
            "tampered body",
            tampered,
            Want {
                error_field: Some("X-Twilio-Signature"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
        (
            "signed for another URL",
            other_url,
            Want {
                error_field: Some("X-Twilio-Signature"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
        (
            "no signature",
            unsigned,
            Want {
                error_field: Some("X-Twilio-Signature"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
        (
            "GET",
            get,
            Want {
                error_code: Some("method_not_allowed"),
                ..Want::default()
            },
        ),
    ];
    for (label, req, want) in cases {
        check(label, inbound().parse(&req, false), &want);
    }
}

#[test]
fn mms_media_is_a_remote_reference() {
    let Inbound::Message(m) = inbound().parse(&signed("twilio-mms"), false).unwrap() else {
        panic!()
    };
    let a = &m.message.attachments[0];
    assert_eq!(a.mime, "image/jpeg");
    assert!(
        matches!(&a.media, crate::MediaRef::Remote(u) if u.ends_with("/Media/ME11223344556677889900aabbccddeeff"))
    );
}

#[test]
fn status_callbacks_are_signed_reports() {
    let token = signatures()["auth_token"].as_str().unwrap().to_string();
    let url = format!("{URL}/status");
    let cases = [
        ("MessageSid=SM1&MessageStatus=delivered", "delivered", None),
        ("MessageSid=SM1&MessageStatus=sent", "sent", None),
        (
            "MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003",
            "failed",
            Some("Twilio error 30003"),
        ),
    ];
    for (body, status, error) in cases {
        let sig = signature(&token, &url, &Fields::parse(body.as_bytes()).text_pairs());
        let req = request(Method::POST, &url, body, &[("x-twilio-signature", &sig)]);
        assert_eq!(
            inbound().parse(&req, true).unwrap(),
            Inbound::Reports(vec![DeliveryReport {
                provider_message_id: "SM1".into(),
                status,
                error: error.map(str::to_string),
            }]),
            "{body}"
        );
    }
}

#[test]
fn replies_post_to_the_messages_resource() {
    let c = TwilioClient::new(
        TwilioSettings {
            base_url: "http://127.0.0.1:9/".into(),
            account_sid: "AC0123".into(),
            from: Some("+6281100012345".into()),
            messaging_service_sid: None,
            status_callback: Some(format!("{URL}/status")),
            timeout: Duration::from_secs(5),
        },
        "secret".into(),
    )
    .unwrap();
    assert_eq!(
        c.messages_url(),
        "http://127.0.0.1:9/2010-04-01/Accounts/AC0123/Messages.json"
    );
    let reply = OutboundReply {
        channel_account: "twilio".into(),
        recipient: "+6281374561234".into(),
        text: "Kode ABC".into(),
        reply_to: None,
        idempotency_key: "k".into(),
        template: None,
        subject: None,
    };
    assert_eq!(
        c.form(&reply),
        vec![
            ("To", "+6281374561234".to_string()),
            ("Body", "Kode ABC".to_string()),
            ("From", "+6281100012345".to_string()),
            ("StatusCallback", format!("{URL}/status")),
        ]
    );
}
