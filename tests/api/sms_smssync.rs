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

    // The phone polls until the acknowledgment waits for it (a status
    // update may come with it or later).
    let poll = format!("?task=send&secret={SMSSYNC_SECRET}");
    let fetch = || async {
        let v: serde_json::Value = app
            .client
            .get(url(&poll))
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
    };
    let ack = format!("CEK {}", c.tracking_code);
    let task = eventually("the acknowledgment for the phone", 20, || async {
        fetch()
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
        assert!(fetch().await.iter().all(|t| t["uuid"] != uuid.as_str()));
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

crate::on_both_backends!(smssync_flow);
