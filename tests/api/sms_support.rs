//! Shared pieces of the SMS provider tests: recorded payloads, instance
//! configurations, and looks into the outbox.

use crate::helpers::{eventually, secret_file, test_config, TestApp, TestDb};
use satupintu::channels::sms::{InstanceConfig, MappedConfig, RateLimits, SmsConfig, TwilioConfig};
use satupintu::store::entity::{complaint, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

pub const TWILIO_TOKEN: &str = "12345678901234567890123456789012";
pub const PUBLIC_URL: &str = "https://lapor.padang.go.id/webhooks/sms/twilio";
pub const SMSSYNC_SECRET: &str = "rahasia-smssync-123";

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

pub fn fixture_signature(name: &str) -> String {
    let s: serde_json::Value = serde_json::from_str(&fixture("twilio-signatures.json")).unwrap();
    s["requests"][name]["X-Twilio-Signature"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn config_with(
    db: &TestDb,
    dir: &std::path::Path,
    instances: Vec<InstanceConfig>,
) -> satupintu::config::Config {
    let mut config = test_config(db, dir, None);
    config.channels.sms = Some(SmsConfig {
        instances,
        part_timeout_secs: 1,
        part_check_secs: 1,
        media: Default::default(),
    });
    config
}

pub async fn messages_of(app: &TestApp, complaint_id: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::ComplaintId.eq(complaint_id))
        .filter(outbox::Column::Kind.eq("message"))
        .order_by_asc(outbox::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
}

/// Every message to `recipient`, oldest first.
pub async fn messages_to(app: &TestApp, recipient: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(recipient))
        .filter(outbox::Column::Kind.eq("message"))
        .order_by_asc(outbox::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
}

pub async fn complaint_with_body(app: &TestApp, body: &str) -> complaint::Model {
    eventually(&format!("a complaint `{body}`"), 20, || async {
        app.complaints().await.into_iter().find(|c| c.body == body)
    })
    .await
}

pub fn twilio(dir: &std::path::Path, base_url: &str, limits: RateLimits) -> InstanceConfig {
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

pub async fn post_twilio(app: &TestApp, path: &str, body: &str, sig: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

pub fn gateway_a(dir: &std::path::Path, reply_url: &str) -> InstanceConfig {
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

pub fn gateway_b(dir: &std::path::Path) -> InstanceConfig {
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
