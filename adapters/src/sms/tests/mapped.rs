use super::{check, fixture, request, Want};
use crate::sms::auth::{hmac_signature, HmacAlgorithm, SignatureEncoding};
use crate::sms::mapped::client::{MappedClient, ReplyTemplate};
use crate::sms::mapped::{MappedInbound, Mapping};
use crate::sms::Inbound;
use crate::OutboundReply;
use axum::http::Method;

/// Gateway A: `sender`/`message`/`inboxid`, a secret header.
fn gateway_a() -> MappedInbound {
    let mapping: Mapping = toml::from_str(
        r#"
        format = "json"
        auth = { kind = "header", header = "x-gateway-key" }
        [fields]
        sender = "sender"
        text = "message"
        external_id = "inboxid"
        display_name = "name"
        media_url = "url"
        "#,
    )
    .unwrap();
    MappedInbound::new("wa-a", mapping, Some("kunci-a".into())).unwrap()
}

/// Gateway B: pointers, a timestamp, only text messages outside groups,
/// signed with HMAC-SHA256.
fn gateway_b() -> MappedInbound {
    let mapping: Mapping = toml::from_str(
        r#"
        format = "json"
        timestamp_format = "unix"
        auth = { kind = "hmac", header = "x-signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }
        [fields]
        sender = "/phone"
        text = "/message"
        external_id = "/id"
        timestamp = "/timestamp"
        display_name = "/pushName"
        [require]
        "/isGroup" = false
        "/type" = "text"
        "#,
    )
    .unwrap();
    MappedInbound::new("wa-b", mapping, Some("kunci-b".into())).unwrap()
}

fn b_request(body: &str) -> crate::sms::InboundRequest {
    let sig = hmac_signature(
        HmacAlgorithm::Sha256,
        SignatureEncoding::Hex,
        b"kunci-b",
        body.as_bytes(),
    );
    request(
        Method::POST,
        "http://gw/webhooks/sms/wa-b",
        body,
        &[("x-signature", &format!("sha256={sig}"))],
    )
}

fn parse(
    g: &MappedInbound,
    req: &crate::sms::InboundRequest,
) -> Result<Inbound, crate::sms::SmsError> {
    g.parse(req).map(|o| o.expect("a message"))
}

#[test]
fn table_of_gateway_a() {
    let body = fixture("generic-gateway-a.json");
    let key = [("x-gateway-key", "kunci-a")];
    type Row<'a> = (&'a str, String, &'a [(&'a str, &'a str)], Want);
    let cases: Vec<Row> = vec![
        (
            "fixture",
            body.clone(),
            &key,
            Want {
                sender: Some("+6281374567890"),
                text: Some("Pak, selokan depan rumah saya di Siteba mampet, kalau hujan banjir"),
                external_id: Some("wa-a:8812730"),
                display_name: Some("Hendra"),
                attachments: Some(0),
                ..Want::default()
            },
        ),
        (
            "media url",
            body.replace(r#""url": """#, r#""url": "https://gw.example/m/1.jpg""#),
            &key,
            Want {
                attachments: Some(1),
                ..Want::default()
            },
        ),
        (
            "wrong key",
            body.clone(),
            &[("x-gateway-key", "salah")],
            Want {
                error_field: Some("x-gateway-key"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
        (
            "no key",
            body.clone(),
            &[],
            Want {
                error_field: Some("x-gateway-key"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
        (
            "no sender",
            body.replace(r#""sender": "6281374567890","#, ""),
            &key,
            Want {
                error_field: Some("sender"),
                error_code: Some("required"),
                ..Want::default()
            },
        ),
        (
            "group id as sender",
            body.replace("6281374567890", "120363025@g.us"),
            &key,
            Want {
                error_field: Some("sender"),
                error_code: Some("invalid_field"),
                ..Want::default()
            },
        ),
        (
            "not JSON",
            "sender=1".into(),
            &key,
            Want {
                error_code: Some("malformed_body"),
                ..Want::default()
            },
        ),
    ];
    for (label, body, headers, want) in cases {
        let req = request(Method::POST, "http://gw/webhooks/sms/wa-a", &body, headers);
        check(label, parse(&gateway_a(), &req), &want);
    }
}

#[test]
fn table_of_gateway_b() {
    let body = fixture("generic-gateway-b.json");
    let cases: Vec<(&str, crate::sms::InboundRequest, Want)> = vec![
        (
            "fixture",
            b_request(&body),
            Want {
                sender: Some("+6281298765432"),
                text: Some("izin lapor, ada kabel listrik putus menjuntai di Jl. Hamka"),
                external_id: Some("wa-b:3EB0C431C26A1916E0D1"),
                display_name: Some("Fitri"),
                ..Want::default()
            },
        ),
        (
            "bad signature",
            {
                let mut r = b_request(&body);
                r.body = bytes::Bytes::from(body.replace("Hamka", "Sudirman"));
                r
            },
            Want {
                error_field: Some("x-signature"),
                error_code: Some("unauthorized"),
                ..Want::default()
            },
        ),
    ];
    for (label, req, want) in cases {
        check(label, parse(&gateway_b(), &req), &want);
    }
    let Inbound::Message(m) = parse(&gateway_b(), &b_request(&body)).unwrap() else {
        panic!()
    };
    assert_eq!(m.message.received_at.timestamp(), 1763798400);
}

#[test]
fn payloads_that_are_not_messages_are_ignored() {
    let body = fixture("generic-gateway-b.json");
    for other in [
        body.replace(r#""isGroup": false"#, r#""isGroup": true"#),
        body.replace(r#""type": "text""#, r#""type": "reaction""#),
    ] {
        assert_eq!(gateway_b().parse(&b_request(&other)).unwrap(), None);
    }
}

#[test]
fn a_payload_without_id_is_identified_by_its_content() {
    let mapping: Mapping = toml::from_str(
        "auth = { kind = \"ip_allow\", addresses = [\"127.0.0.1\"] }\n[fields]\nsender = \"sender\"\ntext = \"message\"\n",
    )
    .unwrap();
    let g = MappedInbound::new("x", mapping, None).unwrap();
    let body = fixture("generic-gateway-a.json");
    let id = |b: &str| match parse(&g, &request(Method::POST, "http://gw/", b, &[])).unwrap() {
        Inbound::Message(m) => m.message.external_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(id(&body), id(&body));
    assert!(id(&body).as_str().starts_with("x:sha256:"));
    let mut far = request(Method::POST, "http://gw/", &body, &[]);
    far.peer = Some("192.0.2.1".parse().unwrap());
    assert_eq!(g.parse(&far).unwrap_err().code, "unauthorized");
}

#[test]
fn parts_marked_by_a_gateway_are_parts() {
    let mapping: Mapping = toml::from_str(
        r#"
        format = "form"
        auth = { kind = "query", param = "key" }
        [fields]
        sender = "msisdn"
        text = "sms"
        external_id = "msgid"
        part_reference = "concat_ref"
        part_total = "concat_total"
        part_seq = "concat_part"
        "#,
    )
    .unwrap();
    let g = MappedInbound::new("agg", mapping, Some("k".into())).unwrap();
    let req = request(
        Method::POST,
        "http://gw/webhooks/sms/agg?key=k",
        "msisdn=6281234567890&sms=bagian+dua&msgid=m2&concat_ref=77&concat_total=2&concat_part=2",
        &[],
    );
    check(
        "form part",
        parse(&g, &req),
        &Want {
            text: Some("bagian dua"),
            part: Some((77, 2, 2)),
            ..Want::default()
        },
    );
    let mapping_bad: Mapping = toml::from_str("auth = { kind = \"header\", header = \"h\" }\n[fields]\nsender = \"a\"\ntext = \"b\"\npart_total = \"t\"\n").unwrap();
    assert!(MappedInbound::new("bad", mapping_bad, Some("k".into())).is_err());
}

fn reply(text: &str) -> OutboundReply {
    OutboundReply {
        channel_account: "wa-a".into(),
        recipient: "+6281374567890".into(),
        text: text.into(),
        reply_to: None,
        idempotency_key: "key-9".into(),
        template: None,
        subject: None,
    }
}

#[test]
fn table_of_reply_requests() {
    let json: ReplyTemplate = toml::from_str(
        r#"
        url = "https://gw.example/api/send"
        content_type = "application/json"
        body = '{"target":"{to_digits}","message":"{text}","ref":"{id}"}'
        headers = { Authorization = "{token}" }
        "#,
    )
    .unwrap();
    let r = MappedClient::new("wa-a", json, Some("tok".into()))
        .unwrap()
        .render(&reply("Kode \"AB\"\nCEK AB"));
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://gw.example/api/send");
    assert_eq!(
        r.body.as_deref(),
        Some(r#"{"target":"6281374567890","message":"Kode \"AB\"\nCEK AB","ref":"key-9"}"#)
    );
    assert!(r.headers.contains(&("Authorization".into(), "tok".into())));
    let get: ReplyTemplate = toml::from_str(
        r#"url = "https://sms.example/send?user=pemkot&key={token}&to={to_national}&msg={text}"
method = "GET""#,
    )
    .unwrap();
    let r = MappedClient::new("agg", get, Some("t&k".into()))
        .unwrap()
        .render(&reply("a b"));
    assert_eq!(
        r.url,
        "https://sms.example/send?user=pemkot&key=t%26k&to=081374567890&msg=a%20b"
    );
    assert_eq!(r.body, None);
    let needs_token: ReplyTemplate = toml::from_str(r#"url = "https://x/?k={token}""#).unwrap();
    assert!(MappedClient::new("x", needs_token, None).is_err());
}
