use super::{check, fixture, request, Want};
use crate::sms::auth::IpAllowList;
use crate::sms::kannel::{KannelClient, KannelInbound, KannelSettings};
use crate::sms::{DeliveryReport, Inbound};
use crate::OutboundReply;
use axum::http::Method;
use std::time::Duration;

fn inbound() -> KannelInbound {
    KannelInbound::new("kannel", Some("tok-123".into()), IpAllowList::default())
}

fn get(query: &str) -> crate::sms::InboundRequest {
    request(
        Method::GET,
        &format!("http://gw/webhooks/sms/kannel?{query}"),
        "",
        &[],
    )
}

#[test]
fn table_of_mobile_originated_messages() {
    let single = fixture("kannel-get-url.query");
    let part1 = fixture("kannel-get-url-multipart-1.query");
    let part2 = fixture("kannel-get-url-multipart-2.query");
    let cases: Vec<(&str, String, Want)> = vec![
        ("fixture: single", format!("token=tok-123&{single}"), Want {
            sender: Some("+6285274441234"),
            text: Some("Jalan berlubang di depan Masjid Nurul Iman, Kel. Gunung Pangilun"),
            external_id: Some("kannel:a1b2c3d4-e5f6-4711-8899-aabbccddeeff"),
            ..Want::default()
        }),
        ("fixture: part 1 keeps its text as sent", format!("{part1}&token=tok-123"), Want {
            text: Some("Sudah 3 minggu sampah di TPS Simpang Haru tidak diangkut, warga sekitar sudah mulai sakit perut dan banyak lalat, mohon bapak walikota"),
            external_id: Some("kannel:part-1"),
            part: Some((0xA7, 2, 1)),
            ..Want::default()
        }),
        ("fixture: part 2 keeps its leading space", format!("{part2}&token=tok-123"), Want {
            text: Some(" segera menindaklanjuti laporan ini. Terima kasih."),
            part: Some((0xA7, 2, 2)),
            ..Want::default()
        }),
        ("short sender number", "token=tok-123&from=%2B6281&to=1708&text=x&id=u1&udh=%06%08%04%01%02%03%01".into(), Want {
            error_field: Some("from"), error_code: Some("invalid_field"), ..Want::default()
        }),
        ("16-bit reference", "token=tok-123&from=%2B6281234567890&text=x&id=u1&udh=%06%08%04%01%02%03%01".into(), Want {
            part: Some((0x0102, 3, 1)), ..Want::default()
        }),
        ("national sender", "token=tok-123&from=081234567890&text=Halo&id=n1".into(), Want {
            sender: Some("+6281234567890"), ..Want::default()
        }),
        ("UCS-2 text", "token=tok-123&from=%2B6281234567890&text=%00J%00a%00l%00a%00n%20%AC&id=u2&coding=2&charset=UTF-16BE".into(), Want {
            text: Some("Jalan€"), ..Want::default()
        }),
        ("empty text is a message", "token=tok-123&from=%2B6281234567890&text=+++&id=e1".into(), Want {
            text: Some(""), ..Want::default()
        }),
        ("wrong token", format!("token=nope&{single}"), Want {
            error_field: Some("token"), error_code: Some("unauthorized"), ..Want::default()
        }),
        ("no token", single.clone(), Want {
            error_field: Some("token"), error_code: Some("unauthorized"), ..Want::default()
        }),
        ("no id", "token=tok-123&from=%2B6281234567890&text=x".into(), Want {
            error_field: Some("id"), error_code: Some("required"), ..Want::default()
        }),
        ("no sender", "token=tok-123&text=x&id=1".into(), Want {
            error_field: Some("from"), error_code: Some("required"), ..Want::default()
        }),
        ("alphanumeric sender", "token=tok-123&from=TELKOMSEL&text=x&id=1".into(), Want {
            error_field: Some("from"), error_code: Some("invalid_field"), ..Want::default()
        }),
    ];
    for (label, query, want) in cases {
        check(label, inbound().parse(&get(&query), false), &want);
    }
}

#[test]
fn post_url_bodies_are_the_message() {
    let req = request(
        Method::POST,
        "http://gw/webhooks/sms/kannel?token=tok-123&id=p1",
        "Lampu jalan mati, Pak",
        &[
            ("content-type", "text/plain; charset=UTF-8"),
            ("x-kannel-from", "+6281234567890"),
        ],
    );
    check(
        "post-url",
        inbound().parse(&req, false),
        &Want {
            sender: Some("+6281234567890"),
            text: Some("Lampu jalan mati, Pak"),
            external_id: Some("kannel:p1"),
            ..Want::default()
        },
    );
    let form = request(
        Method::POST,
        "http://gw/webhooks/sms/kannel?token=tok-123",
        "from=%2B6281234567890&text=Halo&id=f1",
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    check(
        "form body",
        inbound().parse(&form, false),
        &Want {
            text: Some("Halo"),
            ..Want::default()
        },
    );
}

#[test]
fn the_token_is_not_kept_in_the_raw_payload() {
    let q = format!("token=tok-123&{}", fixture("kannel-get-url.query"));
    let Inbound::Message(m) = inbound().parse(&get(&q), false).unwrap() else {
        panic!()
    };
    assert!(!m.message.raw.body.contains("tok-123"));
    assert!(m.message.raw.body.contains("id=a1b2c3d4"));
}

#[test]
fn ip_allow_list_refuses_other_addresses() {
    let k = KannelInbound::new(
        "k",
        None,
        IpAllowList::parse(&["10.0.0.0/8".into()]).unwrap(),
    );
    let e = k
        .parse(&get(&fixture("kannel-get-url.query")), false)
        .unwrap_err();
    assert_eq!(e.code, "unauthorized");
    let mut req = get(&fixture("kannel-get-url.query"));
    req.peer = Some("10.1.2.3".parse().unwrap());
    assert!(k.parse(&req, false).is_ok());
}

#[test]
fn table_of_delivery_reports() {
    let cases = [
        (
            "token=tok-123&ref=k1&type=1&answer=",
            Some(("k1", "delivered", None)),
        ),
        (
            "token=tok-123&ref=k1&type=8&answer=ACK%2F",
            Some(("k1", "sent", None)),
        ),
        (
            "token=tok-123&ref=k1&type=16&answer=NACK%2F0x0000000b",
            Some(("k1", "failed", Some("NACK/0x0000000b"))),
        ),
        (
            "token=tok-123&ref=k1&type=2",
            Some(("k1", "failed", Some("Kannel DLR type 2"))),
        ),
        ("token=tok-123&ref=k1&type=99", None),
        ("token=tok-123&type=1", None),
        ("ref=k1&type=1", None),
    ];
    for (query, want) in cases {
        let got = inbound().parse(&get(query), true);
        match want {
            Some((id, status, error)) => assert_eq!(
                got.unwrap(),
                Inbound::Reports(vec![DeliveryReport {
                    provider_message_id: id.into(),
                    status,
                    error: error.map(str::to_string),
                }]),
                "{query}"
            ),
            None => assert!(got.is_err(), "{query}"),
        }
    }
}

fn client(dlr: Option<&str>) -> KannelClient {
    KannelClient::new(
        KannelSettings {
            sendsms_url: "http://kannel:13013/cgi-bin/sendsms".into(),
            from: Some("1708".into()),
            smsc: None,
            dlr_url: dlr.map(str::to_string),
            timeout: Duration::from_secs(5),
        },
        "satupintu".into(),
        "p&ss".into(),
        Some("tok-123".into()),
    )
    .unwrap()
}

fn reply(text: &str) -> OutboundReply {
    OutboundReply {
        channel_account: "kannel".into(),
        recipient: "+6285274441234".into(),
        text: text.into(),
        reply_to: None,
        idempotency_key: "key-1".into(),
        template: None,
        subject: None,
    }
}

#[test]
fn table_of_sendsms_requests() {
    let base = "http://kannel:13013/cgi-bin/sendsms?username=satupintu&password=p%26ss&to=%2B6285274441234";
    let cases: Vec<(&str, String, Option<&str>, Vec<String>)> = vec![
        ("short GSM-7", "Kode ABC".into(), None, vec![
            format!("{base}&text=Kode%20ABC&coding=0&charset=UTF-8&from=1708"),
        ]),
        ("UCS-2", "Terima kasih 🙏".into(), None, vec![
            format!("{base}&text=Terima%20kasih%20%F0%9F%99%8F&coding=2&charset=UTF-8&from=1708"),
        ]),
        ("with delivery reports", "x".into(), Some("http://sp:8080/webhooks/sms/kannel/status"), vec![
            format!("{base}&text=x&coding=0&charset=UTF-8&from=1708&dlr-mask=31&dlr-url=http%3A%2F%2Fsp%3A8080%2Fwebhooks%2Fsms%2Fkannel%2Fstatus%3Fref%3Dkey-1%26token%3Dtok-123%26type%3D%25d%26answer%3D%25A"),
        ]),
    ];
    for (label, text, dlr, want) in cases {
        assert_eq!(client(dlr).requests(&reply(&text)), want, "{label}");
    }
}

#[test]
fn long_replies_go_as_concatenated_parts() {
    let text = "a".repeat(200);
    let urls = client(None).requests(&reply(&text));
    assert_eq!(urls.len(), 2);
    // Same reference in both parts, sequence 1 and 2 of 2.
    let udh: Vec<&str> = urls
        .iter()
        .map(|u| u.split("&udh=").nth(1).unwrap().split('&').next().unwrap())
        .collect();
    assert_eq!(&udh[0][..9], "%05%00%03");
    assert_eq!(&udh[0][..12], &udh[1][..12]);
    assert!(udh[0].ends_with("%02%01") && udh[1].ends_with("%02%02"));
}
