use super::{check, fixture, request, Want};
use crate::sms::smssync::{tasks_body, uuids_body, PhoneOutbox, SmsSyncInbound, Task};
use crate::sms::{DeliveryReport, Inbound};
use crate::{OutboundReply, ReplyErrorKind, ReplySender};
use axum::http::Method;

const URL: &str = "http://gw/webhooks/sms/android";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn inbound() -> SmsSyncInbound {
    SmsSyncInbound::new("android", "rahasia-smssync-123".into())
}

#[test]
fn table_of_posted_messages() {
    let body = fixture("smssync.form");
    let cases: Vec<(&str, String, Want)> = vec![
        ("fixture", body.clone(), Want {
            sender: Some("+6281266778899"),
            text: Some("Pungli di jembatan timbang, sopir truk dimintai 50rb"),
            external_id: Some("android:9f4c2a10-1b2e-4c3d-8e9f-0a1b2c3d4e5f"),
            ..Want::default()
        }),
        ("wrong secret", body.replace("rahasia-smssync-123", "tebakan"), Want {
            error_field: Some("secret"), error_code: Some("unauthorized"), ..Want::default()
        }),
        ("no secret", body.replace("&secret=rahasia-smssync-123", ""), Want {
            error_field: Some("secret"), error_code: Some("unauthorized"), ..Want::default()
        }),
        ("old app without message_id", "from=081266778899&message=Halo&secret=rahasia-smssync-123&sent_timestamp=1763798400000".into(), Want {
            sender: Some("+6281266778899"), text: Some("Halo"), ..Want::default()
        }),
        ("no sender", "message=Halo&secret=rahasia-smssync-123".into(), Want {
            error_field: Some("from"), error_code: Some("required"), ..Want::default()
        }),
    ];
    for (label, body, want) in cases {
        check(
            label,
            inbound().parse(&request(Method::POST, URL, &body, &[FORM])),
            &want,
        );
    }
}

#[test]
fn a_message_without_id_is_identified_by_its_content() {
    let body =
        "from=081266778899&message=Halo&secret=rahasia-smssync-123&sent_timestamp=1763798400000";
    let id = |b: &str| match inbound()
        .parse(&request(Method::POST, URL, b, &[FORM]))
        .unwrap()
    {
        Inbound::Message(m) => m.message.external_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(id(body), id(body));
    assert_ne!(id(body), id(&body.replace("Halo", "Halo lagi")));
}

#[test]
fn the_secret_is_not_kept_in_the_raw_payload() {
    let Inbound::Message(m) = inbound()
        .parse(&request(
            Method::POST,
            URL,
            &fixture("smssync.form"),
            &[FORM],
        ))
        .unwrap()
    else {
        panic!()
    };
    assert!(!m.message.raw.body.contains("rahasia-smssync-123"));
    assert!(m.message.raw.body.contains("device_id=android-pdg-01"));
}

#[test]
fn table_of_tasks() {
    let s = "secret=rahasia-smssync-123";
    let json = ("content-type", "application/json");
    type Row = (
        &'static str,
        Method,
        String,
        String,
        Result<Inbound, &'static str>,
    );
    let cases: Vec<Row> = vec![
        ("poll", Method::GET, format!("{URL}?task=send&{s}"), String::new(), Ok(Inbound::FetchTasks)),
        ("poll without secret", Method::GET, format!("{URL}?task=send"), String::new(), Err("unauthorized")),
        ("queued", Method::POST, format!("{URL}?task=sent&{s}"), r#"{"queued_messages":["u1","u2"]}"#.into(),
            Ok(Inbound::TasksQueued(vec!["u1".into(), "u2".into()]))),
        ("results wanted", Method::GET, format!("{URL}?task=result&{s}"), String::new(), Ok(Inbound::ResultsWanted)),
        ("results", Method::POST, format!("{URL}?task=result&{s}"),
            r#"{"message_result":[{"uuid":"u1","sent_result_code":0,"sent_result_message":"SMSSync Message Sent","delivered_result_code":-1,"delivered_result_message":""},{"uuid":"u2","sent_result_code":0,"delivered_result_code":0},{"uuid":"u3","sent_result_code":1,"sent_result_message":"Generic failure"},{"uuid":"u4","sent_result_code":-1,"delivered_result_code":-1}]}"#.into(),
            Ok(Inbound::Reports(vec![
                DeliveryReport { provider_message_id: "u1".into(), status: "sent", error: None },
                DeliveryReport { provider_message_id: "u2".into(), status: "delivered", error: None },
                DeliveryReport { provider_message_id: "u3".into(), status: "failed", error: Some("Generic failure".into()) },
            ]))),
        ("bad JSON", Method::POST, format!("{URL}?task=sent&{s}"), "{".into(), Err("malformed_body")),
        ("unknown task", Method::GET, format!("{URL}?task=reboot&{s}"), String::new(), Err("invalid_field")),
        ("GET without task", Method::GET, format!("{URL}?{s}"), String::new(), Err("method_not_allowed")),
    ];
    for (label, method, url, body, want) in cases {
        let got = inbound().parse(&request(method, &url, &body, &[json]));
        match want {
            Ok(w) => assert_eq!(got.unwrap(), w, "{label}"),
            Err(code) => assert_eq!(got.unwrap_err().code, code, "{label}"),
        }
    }
}

#[test]
fn answers_have_the_apps_shape() {
    let t = tasks_body(
        "s",
        &[Task {
            to: "+62812".into(),
            message: "Kode".into(),
            uuid: "u1".into(),
        }],
    );
    assert_eq!(t["payload"]["task"], "send");
    assert_eq!(t["payload"]["secret"], "s");
    assert_eq!(t["payload"]["messages"][0]["uuid"], "u1");
    assert_eq!(uuids_body(&["u1".into()])["message_uuids"][0], "u1");
}

#[tokio::test]
async fn a_phone_reply_waits_for_the_phone() {
    let reply = OutboundReply {
        channel_account: "android".into(),
        recipient: "+6281266778899".into(),
        text: "x".into(),
        reply_to: None,
        idempotency_key: "k".into(),
        template: None,
        subject: None,
    };
    assert_eq!(
        PhoneOutbox.send(&reply).await.unwrap_err().kind,
        ReplyErrorKind::WindowClosed
    );
}
