//! An SMSSync-style phone through the running gateway: posted messages
//! become complaints, replies wait until the phone polls for them, the
//! phone confirms and reports.

use crate::helpers::{eventually, secret_file, tempdir, Backend, TestApp, TestDb};
use crate::sms_support::*;
use satupintu::channels::sms::{InstanceConfig, RateLimits, SmsSyncConfig};
use serde_json::json;

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

crate::on_both_backends!(smssync_flow);
