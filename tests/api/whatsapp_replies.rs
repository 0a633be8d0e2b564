//! Messages out on WhatsApp, on both backends: the 24-hour window (a
//! template outside it, or the message waits, visibly, until the citizen
//! writes again), delivery reports, and secrets kept out of the logs.

use crate::graph_standin::ACCESS_TOKEN;
use crate::helpers::*;
use crate::on_both_backends;
use crate::whatsapp_support::*;
use satupintu::store::entity::{complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// A text message Meta timestamped `hours` ago.
fn old_text(from: &str, wamid: &str, body: &str, hours: i64) -> serde_json::Value {
    let mut m = text(from, wamid, body);
    m["timestamp"] = json!((now_ts() - hours * 3600).to_string());
    m
}

/// The acknowledgments in the outbox (status updates left out).
async fn message_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.payload.as_ref().is_some_and(|p| p["purpose"] == "ack"))
        .collect()
}

async fn closed_window_without_template_waits_until_the_citizen_writes(backend: Backend) {
    let (dir, _db, graph, config) = setup(backend).await;
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let app = TestApp::spawn(config).await;
    // Meta delivered it late: the citizen wrote 30 hours ago.
    let late = webhook(
        MAYOR,
        vec![old_text(SITI, "wamid.OLD", "Got mampet", 30)],
        vec![],
    );
    assert_eq!(post(&app, &late).await.status(), 200);
    let code = app.complaints().await[0].tracking_code.clone();
    let waiting = eventually("the acknowledgment to wait", 20, || async {
        message_rows(&app)
            .await
            .pop()
            .filter(|r| r.state == "waiting")
    })
    .await;
    assert!(graph.sent().is_empty(), "nothing Meta would reject is sent");
    let noted: Vec<_> = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("message_waiting"))
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.data
                .as_ref()
                .is_some_and(|d| d["outbox_id"] == waiting.id)
        })
        .collect();
    assert_eq!(noted.len(), 1);
    let (ok, out, err) = run_cli(&config_path, &["outbox", "list", "--state", "waiting"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&waiting.id.to_string()),
        "the operator sees it wait: {out}"
    );

    // The citizen writes again: the window opens and the message goes.
    let again = webhook(
        MAYOR,
        vec![text(SITI, "wamid.NEW", "Bagaimana laporan saya?")],
        vec![],
    );
    assert_eq!(post(&app, &again).await.status(), 200);
    let held = delivered_send(&app, &graph, waiting.id).await;
    assert_eq!((held.phone_number_id.as_str(), held.to()), (MAYOR, SITI));
    assert_eq!(held.body["type"], "text");
    assert!(held.text().contains(&code));
    app.stop().await;
}

async fn closed_window_with_template_sends_the_template(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let late = webhook(
        CENTER,
        vec![old_text(JOHN, "wamid.OLD2", "Broken bench in the park", 26)],
        vec![],
    );
    assert_eq!(post(&app, &late).await.status(), 200);
    let code = app.complaints().await[0].tracking_code.clone();
    let sent = sends(&graph, 1).await;
    assert_eq!(
        (sent[0].phone_number_id.as_str(), sent[0].to()),
        (CENTER, JOHN)
    );
    assert_eq!(
        sent[0].body["template"],
        json!({"name": TEMPLATE, "language": {"code": "id"}, "components": [{"type": "body", "parameters": [
            {"type": "text", "text": code}, {"type": "text", "text": "Diterima"},
        ]}]})
    );
    assert!(sent[0].body.get("context").is_none() && sent[0].body.get("text").is_none());
    app.stop().await;
}

async fn status_reports_update_the_sent_message(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let body = webhook(
        MAYOR,
        vec![
            text(SITI, "wamid.S1", "Trotoar rusak"),
            text(JOHN, "wamid.S2", "Pothole"),
        ],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    let sent = sends(&graph, 2).await;
    eventually("both acknowledgments recorded as sent", 20, || async {
        let rows = message_rows(&app).await;
        (rows.iter().filter(|r| r.state == "delivered").count() == 2).then_some(())
    })
    .await;
    let to_siti = sent.iter().find(|s| s.to() == SITI).unwrap().wamid.clone();
    let to_john = sent.iter().find(|s| s.to() == JOHN).unwrap().wamid.clone();

    // Out of order within one delivery: `sent` after `read` changes nothing.
    let reports = webhook(
        MAYOR,
        vec![],
        vec![
            status(&to_siti, "delivered", json!([])),
            status(&to_siti, "read", json!([])),
            status(&to_siti, "sent", json!([])),
            status(
                &to_john,
                "failed",
                json!([{"code": 131026, "title": "Message undeliverable"}]),
            ),
            status("wamid.NOT-OURS", "delivered", json!([])),
        ],
    );
    assert_eq!(post(&app, &reports).await.status(), 200);
    let rows = message_rows(&app).await;
    let row = |wamid: &str| {
        rows.iter()
            .find(|r| r.external_ref.as_deref() == Some(wamid))
            .unwrap()
            .clone()
    };
    assert_eq!(row(&to_siti).provider_status.as_deref(), Some("read"));
    let failed = row(&to_john);
    assert_eq!(failed.provider_status.as_deref(), Some("failed"));
    let error = failed.last_error.unwrap();
    assert!(
        error.contains("131026") && error.contains("Message undeliverable"),
        "{error}"
    );
    let noted = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("message_failed"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(noted.len(), 1);
    assert_eq!(Some(noted[0].complaint_id), failed.complaint_id);
    app.stop().await;
}

async fn secrets_never_reach_the_logs(backend: Backend) {
    let (dir, _db, graph, mut config) = setup(backend).await;
    // The most talkative level, where request lines are logged too.
    config.log.level = "debug".into();
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let gateway = Gateway::start(&config_path, free_port(), &log).await;
    let client = reqwest::Client::new();
    let hook = format!("{}/webhooks/whatsapp", gateway.base);
    let verify = client
        .get(format!(
            "{hook}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 200);
    let body = webhook(
        MAYOR,
        vec![text(SITI, "wamid.LOG", "Drainase tersumbat")],
        vec![],
    )
    .to_string();
    let signature = adapters::whatsapp::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let forged = adapters::whatsapp::sign(b"wrong", body.as_bytes());
    for (sig, want) in [(signature, 200), (forged, 401)] {
        let r = client
            .post(&hook)
            .header(adapters::whatsapp::SIGNATURE_HEADER, sig)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want);
    }
    sends(&graph, 1).await; // the access token has been used
    assert!(gateway.terminate().success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("WhatsApp webhook refused") && logged.contains("X-Hub-Signature-256"),
        "the refusal is logged with its field: {logged}"
    );
    for (name, secret) in [
        ("app secret", APP_SECRET),
        ("verify token", VERIFY_TOKEN),
        ("access token", ACCESS_TOKEN),
    ] {
        assert!(!logged.contains(secret), "the {name} is in the log");
    }
}

on_both_backends!(
    closed_window_without_template_waits_until_the_citizen_writes,
    closed_window_with_template_sends_the_template,
    status_reports_update_the_sent_message,
    secrets_never_reach_the_logs,
);
