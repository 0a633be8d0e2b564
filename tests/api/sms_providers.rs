//! The SMS channel's Twilio-compatible, SMSSync and mapped gateways
//! through the running gateway: recorded payloads in, complaints stored,
//! acknowledgments out to a stand-in API or handed to a polling phone,
//! repeats and forgeries refused, parts joined after a timeout.

use crate::helpers::{eventually, secret_file, tempdir, test_config, Backend, TestApp, TestDb};
use crate::sms_standin::Standin;
use adapters::sms::auth::{hmac_signature, HmacAlgorithm, SignatureEncoding};
use adapters::sms::twilio::signature;
use satupintu::channels::sms::{
    InstanceConfig, MappedConfig, RateLimits, SmsConfig, SmsSyncConfig, TwilioConfig,
};
use satupintu::store::entity::{complaint, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const TWILIO_TOKEN: &str = "12345678901234567890123456789012";
const PUBLIC_URL: &str = "https://lapor.padang.go.id/webhooks/sms/twilio";
const SMSSYNC_SECRET: &str = "rahasia-smssync-123";

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/adapters/testdata/sms/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim_end()
        .to_string()
}

fn fixture_signature(name: &str) -> String {
    let s: serde_json::Value = serde_json::from_str(&fixture("twilio-signatures.json")).unwrap();
    s["requests"][name]["X-Twilio-Signature"]
        .as_str()
        .unwrap()
        .to_string()
}

fn config_with(
    db: &TestDb,
    dir: &std::path::Path,
    instances: Vec<InstanceConfig>,
) -> satupintu::config::Config {
    let mut config = test_config(db, dir, None);
    config.channels.sms = Some(SmsConfig {
        instances,
        part_timeout_secs: 1,
        part_check_secs: 1,
    });
    config
}

async fn messages_of(app: &TestApp, complaint_id: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::ComplaintId.eq(complaint_id))
        .filter(outbox::Column::Kind.eq("message"))
        .all(app.store.db())
        .await
        .unwrap()
}

async fn complaint_with_body(app: &TestApp, body: &str) -> complaint::Model {
    eventually(&format!("a complaint `{body}`"), 20, || async {
        app.complaints().await.into_iter().find(|c| c.body == body)
    })
    .await
}

fn twilio(dir: &std::path::Path, base_url: &str, limits: RateLimits) -> InstanceConfig {
    InstanceConfig::Twilio(TwilioConfig {
        name: "twilio".into(),
        account_sid: "AC0123456789abcdef0123456789abcdef".into(),
        auth_token: secret_file(dir, "twilio.token", TWILIO_TOKEN),
        from: Some("+6281100012345".into()),
        messaging_service_sid: None,
        base_url: base_url.into(),
        public_url: Some(PUBLIC_URL.into()),
        timeout_secs: 5,
        limits,
    })
}

async fn post_twilio(app: &TestApp, path: &str, body: &str, sig: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn twilio_flow(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let api = Standin::start(201, json!({"sid": "", "status": "queued"})).await;
    let limits = RateLimits {
        per_minute: 30,
        per_number_per_minute: 1,
    };
    let app = TestApp::spawn(config_with(
        &db,
        dir.path(),
        vec![twilio(dir.path(), &api.base, limits)],
    ))
    .await;

    let body = fixture("twilio-text.form");
    let r = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body,
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<Response>"));
    let c = complaint_with_body(
        &app,
        "Lapor: got di Jl. Rasuna Said tersumbat, air meluap ke jalan tiap hujan",
    )
    .await;

    // The acknowledgment goes to the Messages resource, signed in with the account.
    let sent = eventually("the acknowledgment at the API", 20, || async {
        api.received()
            .into_iter()
            .find(|r| r.form("Body").is_some_and(|b| b.contains(&c.tracking_code)))
    })
    .await;
    assert_eq!(
        sent.uri,
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    );
    assert_eq!(sent.form("To").as_deref(), Some("+6281374561234"));
    assert_eq!(sent.form("From").as_deref(), Some("+6281100012345"));
    assert_eq!(
        sent.form("StatusCallback").as_deref(),
        Some(&*format!("{PUBLIC_URL}/status"))
    );
    assert!(sent
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Basic "));
    assert!(adapters::sms::segments::fits_one(
        &sent.form("Body").unwrap()
    ));

    // Twilio retrying the webhook: the same answer, no second complaint.
    let again = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body,
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(again.status(), 200);
    // A forged request is refused.
    let forged = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body.replace("tersumbat", "bersih"),
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(app.complaints().await.len(), 1);

    // The status callback reaches the message by Twilio's id.
    let sid = eventually("the message's provider id", 20, || async {
        messages_of(&app, c.id)
            .await
            .into_iter()
            .find_map(|m| m.external_ref)
    })
    .await;
    let status_body = format!(
        "MessageSid={sid}&MessageStatus=delivered&AccountSid=AC0123456789abcdef0123456789abcdef"
    );
    let params = adapters::sms::fields::Fields::parse(status_body.as_bytes()).text_pairs();
    let sig = signature(TWILIO_TOKEN, &format!("{PUBLIC_URL}/status"), &params);
    assert_eq!(
        post_twilio(&app, "/webhooks/sms/twilio/status", &status_body, &sig)
            .await
            .status(),
        200
    );
    let row = &messages_of(&app, c.id).await[0];
    assert_eq!(row.provider_status.as_deref(), Some("delivered"));

    // A second message from the same number: its acknowledgment waits for
    // the number's rate limit instead of going at once.
    let mms = fixture("twilio-mms.form").replace("%2B6285265551234", "%2B6281374561234");
    let params = adapters::sms::fields::Fields::parse(mms.as_bytes()).text_pairs();
    let sig = signature(TWILIO_TOKEN, PUBLIC_URL, &params);
    assert_eq!(
        post_twilio(&app, "/webhooks/sms/twilio", &mms, &sig)
            .await
            .status(),
        200
    );
    let second = complaint_with_body(&app, "foto sampah").await;
    let held = eventually("the rate-limited acknowledgment", 20, || async {
        messages_of(&app, second.id).await.into_iter().find(|m| {
            m.state == "pending"
                && m.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("rate limit"))
        })
    })
    .await;
    assert!(held.next_attempt_at > chrono::Utc::now() + chrono::Duration::seconds(5));
    app.stop().await;
}

async fn smssync_flow(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let phone = InstanceConfig::Smssync(SmsSyncConfig {
        name: "android".into(),
        secret: secret_file(dir.path(), "smssync.secret", SMSSYNC_SECRET),
        batch: 20,
        limits: RateLimits::default(),
    });
    let app = TestApp::spawn(config_with(&db, dir.path(), vec![phone])).await;
    let url = |q: &str| app.url(&format!("/webhooks/sms/android{q}"));
    let form = |body: String| {
        app.client
            .post(url(""))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let r = form(fixture("smssync.form")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["payload"]["success"], true);
    let c = complaint_with_body(&app, "Pungli di jembatan timbang, sopir truk dimintai 50rb").await;
    let wrong = form(fixture("smssync.form").replace(SMSSYNC_SECRET, "tebakan"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);

    // The phone polls until the acknowledgment waits for it.
    let poll = format!("?task=send&secret={SMSSYNC_SECRET}");
    let tasks = eventually("a task for the phone", 20, || async {
        let v: serde_json::Value = app
            .client
            .get(url(&poll))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let messages = v["payload"]["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (!messages.is_empty()).then_some(v)
    })
    .await;
    assert_eq!(tasks["payload"]["task"], "send");
    assert_eq!(tasks["payload"]["secret"], SMSSYNC_SECRET);
    let task = &tasks["payload"]["messages"][0];
    assert_eq!(task["to"], "+6281266778899");
    assert!(task["message"].as_str().unwrap().contains(&c.tracking_code));
    let uuid = task["uuid"].as_str().unwrap().to_string();
    let row = &messages_of(&app, c.id).await[0];
    assert_eq!(
        (row.state.as_str(), row.external_ref.as_deref()),
        ("delivered", Some(uuid.as_str()))
    );
    // Handed over once: the next poll has nothing.
    let v: serde_json::Value = app
        .client
        .get(url(&poll))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["payload"]["messages"], json!([]));
    // A poll without the secret gets nothing at all.
    assert_eq!(
        app.client
            .get(url("?task=send"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // The phone confirms, is asked for reports, and reports delivery.
    let queued: serde_json::Value = app
        .client
        .post(url(&format!("?task=sent&secret={SMSSYNC_SECRET}")))
        .json(&json!({"queued_messages": [uuid]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued["message_uuids"], json!([uuid]));
    let wanted: serde_json::Value = app
        .client
        .get(url(&format!("?task=result&secret={SMSSYNC_SECRET}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wanted["message_uuids"], json!([uuid]));
    let r = app
        .client
        .post(url(&format!("?task=result&secret={SMSSYNC_SECRET}")))
        .json(&json!({"message_result": [{"uuid": uuid, "sent_result_code": 0, "delivered_result_code": 0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        messages_of(&app, c.id).await[0].provider_status.as_deref(),
        Some("delivered")
    );
    app.stop().await;
}

fn gateway_a(dir: &std::path::Path, reply_url: &str) -> InstanceConfig {
    InstanceConfig::Mapped(MappedConfig {
        name: "wa-a".into(),
        inbound: toml::from_str(
            r#"
            auth = { kind = "header", header = "x-gateway-key" }
            [fields]
            sender = "sender"
            text = "message"
            external_id = "inboxid"
            display_name = "name"
            "#,
        )
        .unwrap(),
        secret: Some(secret_file(dir, "wa-a.secret", "kunci-a")),
        reply: Some(
            toml::from_str(&format!(
                r#"
                url = "{reply_url}/send"
                content_type = "application/json"
                body = '{{"target":"{{to_digits}}","message":"{{text}}"}}'
                headers = {{ Authorization = "{{token}}" }}
                id_pointer = "/sid"
                "#
            ))
            .unwrap(),
        ),
        reply_token: Some(secret_file(dir, "wa-a.token", "token-balasan")),
        limits: RateLimits::default(),
    })
}

fn gateway_b(dir: &std::path::Path) -> InstanceConfig {
    InstanceConfig::Mapped(MappedConfig {
        name: "wa-b".into(),
        inbound: toml::from_str(
            r#"
            auth = { kind = "hmac", header = "x-signature", algorithm = "sha256", prefix = "sha256=" }
            [fields]
            sender = "/phone"
            text = "/message"
            external_id = "/id"
            part_reference = "/ref"
            part_total = "/parts"
            part_seq = "/part"
            [require]
            "/isGroup" = false
            "#,
        )
        .unwrap(),
        secret: Some(secret_file(dir, "wa-b.secret", "kunci-b")),
        reply: None,
        reply_token: None,
        limits: RateLimits::default(),
    })
}

async fn mapped_flow(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let api = Standin::start(200, json!({"sid": "", "status": true})).await;
    let app = TestApp::spawn(config_with(
        &db,
        dir.path(),
        vec![gateway_a(dir.path(), &api.base), gateway_b(dir.path())],
    ))
    .await;

    let r = app
        .client
        .post(app.url("/webhooks/sms/wa-a"))
        .header("x-gateway-key", "kunci-a")
        .body(fixture("generic-gateway-a.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c = complaint_with_body(
        &app,
        "Pak, selokan depan rumah saya di Siteba mampet, kalau hujan banjir",
    )
    .await;
    let sent = eventually("the reply at the gateway", 20, || async {
        api.received()
            .into_iter()
            .find(|r| r.body.contains(&c.tracking_code))
    })
    .await;
    assert_eq!((sent.method.as_str(), sent.uri.as_str()), ("POST", "/send"));
    assert_eq!(sent.headers.get("authorization").unwrap(), "token-balasan");
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["target"], "6281374567890");
    // The same number on another gateway is the same citizen.
    assert!(c.citizen_id.is_some());

    let sign = |body: &str| {
        format!(
            "sha256={}",
            hmac_signature(
                HmacAlgorithm::Sha256,
                SignatureEncoding::Hex,
                b"kunci-b",
                body.as_bytes()
            )
        )
    };
    let post_b = |body: String| {
        let sig = sign(&body);
        app.client
            .post(app.url("/webhooks/sms/wa-b"))
            .header("x-signature", sig)
            .body(body)
            .send()
    };
    // A group message is acknowledged and ignored.
    let group =
        fixture("generic-gateway-b.json").replace(r#""isGroup": false"#, r#""isGroup": true"#);
    assert_eq!(post_b(group).await.unwrap().status(), 200);
    assert_eq!(
        post_b(fixture("generic-gateway-b.json"))
            .await
            .unwrap()
            .status(),
        200
    );
    complaint_with_body(
        &app,
        "izin lapor, ada kabel listrik putus menjuntai di Jl. Hamka",
    )
    .await;
    assert_eq!(app.complaints().await.len(), 2);
    // A bad signature is refused.
    let r = app
        .client
        .post(app.url("/webhooks/sms/wa-b"))
        .header("x-signature", "sha256=00")
        .body(fixture("generic-gateway-b.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Two parts of three arrive; after the timeout what came is taken in.
    for (seq, text) in [(1, "Lampu jalan mati "), (3, " sudah seminggu")] {
        let part = json!({"id": format!("p{seq}"), "phone": "6281298765432", "message": text,
                          "isGroup": false, "ref": "77", "parts": 3, "part": seq});
        assert_eq!(post_b(part.to_string()).await.unwrap().status(), 200);
    }
    complaint_with_body(&app, "Lampu jalan mati  […]  sudah seminggu").await;
    app.stop().await;
}

async fn database_outage_is_a_retry(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let phone = InstanceConfig::Smssync(SmsSyncConfig {
        name: "android".into(),
        secret: secret_file(dir.path(), "smssync.secret", SMSSYNC_SECRET),
        batch: 20,
        limits: RateLimits::default(),
    });
    let api = Standin::start(200, json!({})).await;
    let config = config_with(
        &db,
        dir.path(),
        vec![
            phone,
            gateway_a(dir.path(), &api.base),
            gateway_b(dir.path()),
        ],
    );
    let app = TestApp::spawn(config).await;
    app.store.clone().close().await.unwrap();
    let message = app
        .client
        .post(app.url("/webhooks/sms/wa-a"))
        .header("x-gateway-key", "kunci-a")
        .body(fixture("generic-gateway-a.json"))
        .send()
        .await
        .unwrap();
    let part = json!({"id": "p1", "phone": "6281298765432", "message": "x", "isGroup": false, "ref": "1", "parts": 2, "part": 1})
        .to_string();
    let sig = format!(
        "sha256={}",
        hmac_signature(
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
            b"kunci-b",
            part.as_bytes()
        )
    );
    let part = app
        .client
        .post(app.url("/webhooks/sms/wa-b"))
        .header("x-signature", sig)
        .body(part)
        .send()
        .await
        .unwrap();
    let poll = app
        .client
        .get(app.url(&format!(
            "/webhooks/sms/android?task=send&secret={SMSSYNC_SECRET}"
        )))
        .send()
        .await
        .unwrap();
    for r in [message, part, poll] {
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
    }
}

crate::on_both_backends!(
    twilio_flow,
    smssync_flow,
    mapped_flow,
    database_outage_is_a_retry
);
