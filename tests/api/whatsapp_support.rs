//! Support for the WhatsApp tests: a gateway configured with two numbers
//! (the mayor's line without a template, the comment center with one)
//! against the Graph API stand-in, and signed webhook bodies.

use crate::graph_standin::{GraphStandin, ACCESS_TOKEN, VERSION};
use crate::helpers::*;
use adapters::whatsapp::{sign, SIGNATURE_HEADER};
use satupintu::channels::whatsapp::{AccountConfig, TemplateConfig, WhatsappConfig};
use satupintu::config::Config;
use satupintu::store::entity::outbox;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

pub const APP_SECRET: &str = "meta-app-secret-for-tests-0a1b2c";
pub const VERIFY_TOKEN: &str = "verify-token-for-tests-3d4e5f";
/// The mayor's line: no template, so late updates wait.
pub const MAYOR: &str = "111111111111111";
/// The comment center: an approved template for late updates.
pub const CENTER: &str = "222222222222222";
pub const TEMPLATE: &str = "status_pengaduan";
/// A citizen's `wa_id`.
pub const SITI: &str = "6281234567890";
/// A citizen abroad: never assume `62`.
pub const JOHN: &str = "447700900123";

pub fn whatsapp_config(dir: &Path, graph: &GraphStandin) -> WhatsappConfig {
    WhatsappConfig {
        app_secret: secret_file(dir, "wa-app.secret", APP_SECRET),
        verify_token: secret_file(dir, "wa-verify.token", VERIFY_TOKEN),
        access_token: secret_file(dir, "wa-access.token", ACCESS_TOKEN),
        graph_base_url: graph.base_url(),
        graph_version: VERSION.into(),
        timeout_secs: 5,
        accounts: vec![
            AccountConfig {
                phone_number_id: MAYOR.into(),
                name: "Pengaduan Wali Kota".into(),
                template: None,
            },
            AccountConfig {
                phone_number_id: CENTER.into(),
                name: "Padang Comment Center".into(),
                template: Some(TemplateConfig {
                    name: TEMPLATE.into(),
                    language: "id".into(),
                }),
            },
        ],
        ..Default::default()
    }
}

/// A fresh database, a Graph API stand-in, and a configuration with the
/// WhatsApp channel on.
pub async fn setup(backend: Backend) -> (TempDir, TestDb, GraphStandin, Config) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let graph = GraphStandin::start().await;
    let mut config = test_config(&db, dir.path(), None);
    config.channels.whatsapp = Some(whatsapp_config(dir.path(), &graph));
    (dir, db, graph, config)
}

pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A webhook body: one entry, one change for `account`, with contacts for
/// every sender named.
pub fn webhook(account: &str, messages: Vec<Value>, statuses: Vec<Value>) -> Value {
    let contacts: Vec<Value> = messages
        .iter()
        .filter_map(|m| m["from"].as_str())
        .map(|from| json!({"profile": {"name": format!("Warga {}", &from[from.len() - 4..])}, "wa_id": from}))
        .collect();
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "waba-padang", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "62751000000", "phone_number_id": account},
            "contacts": contacts, "messages": messages, "statuses": statuses,
        }}]}],
    })
}

pub fn text(from: &str, wamid: &str, body: &str) -> Value {
    json!({"from": from, "id": wamid, "timestamp": now_ts().to_string(), "type": "text", "text": {"body": body}})
}

pub fn image(from: &str, wamid: &str, media_id: &str, caption: &str) -> Value {
    json!({"from": from, "id": wamid, "timestamp": now_ts().to_string(), "type": "image",
        "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "x", "caption": caption}})
}

pub fn location(from: &str, wamid: &str, lat: f64, lon: f64) -> Value {
    json!({"from": from, "id": wamid, "timestamp": now_ts().to_string(), "type": "location",
        "location": {"latitude": lat, "longitude": lon, "name": "Simpang Haru", "address": "Jl. Sutomo, Padang"}})
}

pub fn status(wamid: &str, status: &str, errors: Value) -> Value {
    json!({"id": wamid, "status": status, "timestamp": now_ts().to_string(), "recipient_id": SITI, "errors": errors})
}

/// Bytes that sniff as a JPEG photo.
pub fn jpeg(len: usize) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.resize(len, 0x5A);
    b
}

/// Posts `body` signed with the app secret.
pub async fn post(app: &TestApp, body: &Value) -> reqwest::Response {
    let bytes = body.to_string().into_bytes();
    let signature = sign(APP_SECRET.as_bytes(), &bytes);
    post_raw(app, bytes, Some(signature)).await
}

pub async fn post_raw(
    app: &TestApp,
    body: Vec<u8>,
    signature: Option<String>,
) -> reqwest::Response {
    let response = send(app, body, signature).await;
    // Accepted messages wait in the intake journal; the tests look at
    // what the pipeline made of them.
    assert!(
        !response.status().is_success()
            || app
                .intake
                .journal_settled(std::time::Duration::from_secs(20))
                .await,
        "the intake journal still holds messages after 20 s"
    );
    response
}

/// Posts `body` signed, and returns once it is answered, without waiting
/// for the pipeline to take it in.
pub async fn post_unsettled(app: &TestApp, body: &Value) -> reqwest::Response {
    let bytes = body.to_string().into_bytes();
    let signature = sign(APP_SECRET.as_bytes(), &bytes);
    send(app, bytes, Some(signature)).await
}

async fn send(app: &TestApp, body: Vec<u8>, signature: Option<String>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header(SIGNATURE_HEADER, s);
    }
    req.send().await.unwrap()
}

/// Waits for `n` acknowledgments sent to WhatsApp (status updates, such as
/// "forwarded" once the complaint is delivered, are left out).
pub async fn sends(graph: &GraphStandin, n: usize) -> Vec<crate::graph_standin::Sent> {
    eventually(
        &format!("{n} acknowledgment(s) sent to WhatsApp"),
        20,
        || async {
            let sent: Vec<_> = graph.sent().into_iter().filter(is_acknowledgment).collect();
            (sent.len() >= n).then_some(sent)
        },
    )
    .await
}

/// Waits until outbox row `id` is delivered and returns what the stand-in
/// received for it (matched by the message id the Graph API gave).
pub async fn delivered_send(
    app: &TestApp,
    graph: &GraphStandin,
    id: i64,
) -> crate::graph_standin::Sent {
    let row = eventually(&format!("outbox row {id} to be delivered"), 20, || async {
        outbox::Entity::find_by_id(id)
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    graph
        .sent()
        .into_iter()
        .find(|s| Some(&s.wamid) == row.external_ref.as_ref())
        .expect("the delivered message reached the stand-in")
}

/// An acknowledgment: the free-form text with the tracking code, or the template.
pub fn is_acknowledgment(s: &crate::graph_standin::Sent) -> bool {
    s.body["template"]["components"][0]["parameters"][1]["text"] == "Diterima"
        || s.body["text"]["body"]
            .as_str()
            .is_some_and(|t| t.contains("Kode pelacakan"))
}
