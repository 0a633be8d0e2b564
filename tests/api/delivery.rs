//! Retries and dead letters: a destination that fails recovers without a
//! second report; one that keeps failing is dead-lettered, visible, and
//! delivered after `satupintu outbox retry`.

use crate::helpers::*;
use crate::lapor_standin::{LaporStandin, Mode};
use crate::on_both_backends;
use satupintu::store::entity::{complaint_event, delivery_attempt, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

async fn attempts(app: &TestApp) -> Vec<delivery_attempt::Model> {
    delivery_attempt::Entity::find()
        .order_by_asc(delivery_attempt::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
}

async fn two_failures_then_success_is_one_delivery(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::FailTimes(2)).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), Some(&lapor))).await;
    let r = app
        .post_json(serde_json::json!({"text": "Banjir di Jl. Khatib Sulaiman"}))
        .await;
    assert_eq!(r.status(), 201);

    let row = eventually("the delivery to succeed", 15, || async {
        outbox::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    assert_eq!(row.attempts, 3);
    let tries = attempts(&app).await;
    assert_eq!(
        tries.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["failed", "failed", "delivered"]
    );
    assert_eq!(
        tries.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(tries[0].http_status, Some(503));
    assert_eq!(lapor.received().len(), 3);
    assert_eq!(
        lapor.reports_created(),
        1,
        "one report however many attempts"
    );
    let keys: Vec<_> = lapor
        .received()
        .into_iter()
        .map(|r| r.idempotency_key.unwrap())
        .collect();
    assert!(
        keys.iter().all(|k| k == &row.idempotency_key),
        "every attempt carries the same key"
    );
    app.stop().await;
}

async fn dead_letter_then_operator_retry(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::FailAlways).await;
    let config = test_config(&db, dir.path(), Some(&lapor));
    let max_attempts = config.dispatch.max_attempts;
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let app = TestApp::spawn(config).await;
    let r = app
        .post_json(serde_json::json!({"text": "Pohon tumbang menutup jalan"}))
        .await;
    let code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();

    let dead = eventually("the row to be dead-lettered", 15, || async {
        outbox::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "dead")
    })
    .await;
    assert_eq!(dead.attempts, max_attempts);
    assert!(dead.last_error.as_deref().unwrap().contains("503"));
    assert_eq!(attempts(&app).await.len() as i32, max_attempts);
    let events = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("delivery_dead"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);

    // Visible to the operator.
    let (ok, out, err) = run_cli(&config_path, &["outbox", "list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&dead.id.to_string()) && out.contains("dead"),
        "{out}"
    );

    // A retry of something not dead is refused with a reason.
    let (ok, _, err) = run_cli(&config_path, &["outbox", "retry", "999999"]);
    assert!(!ok);
    assert!(err.contains("999999"), "{err}");

    lapor.set_mode(Mode::Accept);
    let (ok, out, err) = run_cli(&config_path, &["outbox", "retry", &dead.id.to_string()]);
    assert!(ok, "{out}{err}");
    let row = eventually("the retried row to be delivered", 15, || async {
        outbox::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    assert_eq!(row.id, dead.id);
    assert_eq!(lapor.reports_created(), 1);
    let c = app
        .complaints()
        .await
        .into_iter()
        .find(|c| c.tracking_code == code)
        .unwrap();
    assert!(c.lapor_tracking_id.is_some());
    let retry_events = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("delivery_retry"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(retry_events.len(), 1);
    assert!(retry_events[0].actor.starts_with("operator:"));
    app.stop().await;
}

async fn rejected_payload_is_dead_at_once(backend: Backend) {
    // A 4xx from the destination will not change on retry.
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let mut config = test_config(&db, dir.path(), Some(&lapor));
    if let Some(satupintu::config::DestinationConfig::Lapor(l)) =
        config.destinations.get_mut("lapor")
    {
        l.token = secret_file(dir.path(), "wrong.token", "wrong-token");
    }
    let app = TestApp::spawn(config).await;
    app.post_json(serde_json::json!({"text": "Parkir liar di trotoar"}))
        .await;
    let dead = eventually("the row to be dead-lettered", 15, || async {
        outbox::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "dead")
    })
    .await;
    assert_eq!(dead.attempts, 1);
    assert!(dead.last_error.unwrap().contains("401"));
    let tries = attempts(&app).await;
    assert_eq!(tries.len(), 1);
    assert_eq!(tries[0].outcome, "rejected");
    app.stop().await;
}

async fn webhook_is_signed(backend: Backend) {
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let seen: Arc<Mutex<Vec<(axum::http::HeaderMap, axum::body::Bytes)>>> = Arc::default();
    let sink = seen.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push((headers, body));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let mut config = test_config(&db, dir.path(), None);
    config.destinations.insert(
        "hook".into(),
        satupintu::config::DestinationConfig::Webhook(satupintu::config::WebhookConfig {
            url: format!("http://{addr}/hook"),
            secret: secret_file(dir.path(), "hook.secret", "kunci-rahasia"),
            timeout_secs: 5,
        }),
    );
    config.dispatch.default_destination = "hook".into();
    let app = TestApp::spawn(config).await;
    app.post_json(serde_json::json!({"text": "Bau sampah", "name": "Rina", "phone": "0812 7777 6666", "anonim": true})).await;
    let (headers, body) = eventually("the webhook to be called", 15, || async {
        seen.lock().unwrap().first().cloned()
    })
    .await;
    let ts: i64 = headers["x-satupintu-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let want = satupintu::dispatch::webhook::signature(b"kunci-rahasia", ts, &body);
    assert_eq!(headers["x-satupintu-signature"].to_str().unwrap(), want);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["complaint"]["body"], "Bau sampah");
    assert!(
        json["complaint"]["reporter"].is_null(),
        "anonymous reporter is not sent on"
    );
    assert_eq!(
        headers["idempotency-key"].to_str().unwrap(),
        json["idempotency_key"].as_str().unwrap()
    );

    // A named reporter with a photo: who they are, how many reported it
    // and the attachment's facts go on.
    let photo = reqwest::multipart::Part::bytes(b"\xff\xd8\xff\xe0 foto".to_vec())
        .file_name("sampah.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("text", "Sampah di pasar raya belum diangkut")
        .text("name", "Dedi")
        .text("phone", "0812 3333 4444")
        .text("email", "dedi@example.id")
        .part("photo", photo);
    let r = app
        .client
        .post(app.url("/api/v1/complaints"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, body) = eventually("the named complaint at the webhook", 15, || async {
        seen.lock().unwrap().get(1).cloned()
    })
    .await;
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let complaint = &json["complaint"];
    assert_eq!(complaint["reporter"]["name"], "Dedi", "{json}");
    assert_eq!(complaint["reporter"]["phone"], "+6281233334444", "{json}");
    assert_eq!(complaint["reporter"]["email"], "dedi@example.id", "{json}");
    assert_eq!(complaint["reporter_count"], 1, "{json}");
    let files = complaint["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{json}");
    assert_eq!(files[0]["filename"], "sampah.jpg");
    assert_eq!(files[0]["mime"], "image/jpeg");
    assert_eq!(files[0]["size"], 9);
    app.stop().await;
}

on_both_backends!(
    two_failures_then_success_is_one_delivery,
    dead_letter_then_operator_retry,
    rejected_payload_is_dead_at_once,
    webhook_is_signed,
);
