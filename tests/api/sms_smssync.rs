//! An SMSSync-style phone through the running gateway: posted messages
//! become complaints, replies wait until the phone polls for them, the
//! phone confirms and reports; a message the phone never confirms is
//! handed over again.

use crate::helpers::{eventually, secret_file, tempdir, Backend, TestApp, TestDb};
use crate::sms_support::*;
use satupintu::channels::sms::{InstanceConfig, RateLimits, SmsSyncConfig};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tempfile::TempDir;

async fn phone_app(backend: Backend, confirm_timeout_secs: u64) -> (TempDir, TestDb, TestApp) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let phone = InstanceConfig::Smssync(SmsSyncConfig {
        name: "android".into(),
        secret: secret_file(dir.path(), "smssync.secret", SMSSYNC_SECRET),
        batch: 20,
        confirm_timeout_secs,
        limits: RateLimits::default(),
    });
    let app = TestApp::spawn(config_with(&db, dir.path(), vec![phone])).await;
    (dir, db, app)
}

/// The phone's poll: the messages handed to it.
async fn fetch(app: &TestApp) -> Vec<serde_json::Value> {
    let v: serde_json::Value = app
        .client
        .get(app.url(&format!(
            "/webhooks/sms/android?task=send&secret={SMSSYNC_SECRET}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["payload"]["task"], "send");
    assert_eq!(v["payload"]["secret"], SMSSYNC_SECRET);
    v["payload"]["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The phone sends `text` from +6281266778899; the complaint it made.
async fn complaint_by_phone(
    app: &TestApp,
    text: &str,
) -> satupintu::store::entity::complaint::Model {
    let body = format!(
        "from=%2B6281266778899&message={}&message_id=m-{}&sent_to=1708&secret={SMSSYNC_SECRET}&device_id=1",
        text.replace(' ', "+"),
        text.len()
    );
    let r = app
        .client
        .post(app.url("/webhooks/sms/android"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    complaint_with_body(app, text).await
}

async fn smssync_flow(backend: Backend) {
    let (dir, _db, app) = phone_app(backend, 300).await;
    let _ = &dir;
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

    // The phone polls until the acknowledgment waits for it (a status
    // update may come with it or later).
    let ack = format!("CEK {}", c.tracking_code);
    let task = eventually("the acknowledgment for the phone", 20, || async {
        fetch(&app)
            .await
            .into_iter()
            .find(|t| t["message"].as_str().unwrap_or("").contains(&ack))
    })
    .await;
    assert_eq!(task["to"], "+6281266778899");
    let uuid = task["uuid"].as_str().unwrap().to_string();
    let row = messages_of(&app, c.id)
        .await
        .into_iter()
        .find(|m| m.external_ref.as_deref() == Some(uuid.as_str()))
        .unwrap();
    assert_eq!(row.state, "delivered");
    // Handed over once: no later poll has it again.
    for _ in 0..3 {
        assert!(fetch(&app).await.iter().all(|t| t["uuid"] != uuid.as_str()));
    }
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
    assert!(wanted["message_uuids"]
        .as_array()
        .unwrap()
        .contains(&json!(uuid)));
    let r = app
        .client
        .post(url(&format!("?task=result&secret={SMSSYNC_SECRET}")))
        .json(&json!({"message_result": [{"uuid": uuid, "sent_result_code": 0, "delivered_result_code": 0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let row = messages_of(&app, c.id)
        .await
        .into_iter()
        .find(|m| m.external_ref.as_deref() == Some(uuid.as_str()))
        .unwrap();
    assert_eq!(row.provider_status.as_deref(), Some("delivered"));
    app.stop().await;
}

async fn unconfirmed_message_is_handed_over_again(backend: Backend) {
    let (_dir, _db, app) = phone_app(backend, 1).await;
    let c = complaint_by_phone(&app, "Lampu jalan mati di Jl Gajah Mada").await;
    let ack = format!("CEK {}", c.tracking_code);
    let find = |tasks: Vec<serde_json::Value>| {
        tasks
            .into_iter()
            .find(|t| t["message"].as_str().unwrap_or("").contains(&ack))
    };
    let first = eventually("the acknowledgment for the phone", 20, || async {
        find(fetch(&app).await)
    })
    .await;
    let uuid = first["uuid"].as_str().unwrap().to_string();
    // The answer never reached the phone: no confirmation comes. Within
    // the timeout nothing is handed again; after it, the same message is.
    assert!(find(fetch(&app).await).is_none());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let again = find(fetch(&app).await).expect("handed over again");
    assert_eq!(
        again["uuid"],
        uuid.as_str(),
        "the same uuid: the app can tell"
    );
    assert_eq!(again["to"], "+6281266778899");
    let row = messages_of(&app, c.id)
        .await
        .into_iter()
        .find(|m| m.external_ref.as_deref() == Some(uuid.as_str()))
        .unwrap();
    let sent_events = satupintu::store::entity::complaint_event::Entity::find()
        .filter(satupintu::store::entity::complaint_event::Column::Kind.eq("message_sent"))
        .filter(satupintu::store::entity::complaint_event::Column::ComplaintId.eq(c.id))
        .all(app.store.db())
        .await
        .unwrap();
    assert!(
        sent_events
            .iter()
            .filter(|e| e.data.as_ref().is_some_and(|d| d["outbox_id"] == row.id))
            .count()
            == 1,
        "the timeline shows one message"
    );

    // Confirmed this time: no later poll hands it over.
    let r = app
        .client
        .post(app.url(&format!(
            "/webhooks/sms/android?task=sent&secret={SMSSYNC_SECRET}"
        )))
        .json(&json!({"queued_messages": [uuid]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(
        find(fetch(&app).await).is_none(),
        "confirmed: not handed again"
    );

    // A message never confirmed is handed over a bounded number of times.
    let c = complaint_by_phone(&app, "Sampah menumpuk di Pasar Raya Padang").await;
    let ack = format!("CEK {}", c.tracking_code);
    let mut handed = 0;
    for _ in 0..8 {
        let tasks = fetch(&app).await;
        handed += tasks
            .iter()
            .filter(|t| t["message"].as_str().unwrap_or("").contains(&ack))
            .count();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(handed, 3, "handed over at most three times");
    app.stop().await;
}

crate::on_both_backends!(smssync_flow, unconfirmed_message_is_handed_over_again);
