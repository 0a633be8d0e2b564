//! Operations endpoints: liveness, readiness, metrics.

use crate::helpers::*;
use crate::on_both_backends;

async fn health_ready_and_metrics(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.post_json(serde_json::json!({"text": "Lampu merah mati di simpang Haru"}))
        .await;
    eventually("the delivery to be counted", 15, || async {
        let m = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (m.contains("satupintu_deliveries_total{destination=\"pupr\",outcome=\"delivered\"} 1")
            && m.contains("satupintu_outbox_depth{state=\"delivered\"} 1"))
        .then_some(())
    })
    .await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("openmetrics-text"));
    let text = metrics.text().await.unwrap();
    for want in [
        "satupintu_complaints_received_total{channel=\"webform\"} 1",
        "satupintu_outbox_depth{state=\"delivered\"} 1",
        "satupintu_outbox_depth{state=\"pending\"} 0",
        "satupintu_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/complaints\",status=\"201\"} 1",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
    // Tracking codes never appear as label values.
    let unknown = app
        .client
        .get(app.url("/api/v1/complaints/ABCDEFGHJK"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let text = app.metrics().await;
    assert!(text.contains("route=\"/api/v1/complaints/{code}\""));
    assert!(!text.contains("ABCDEFGHJK"));
    app.stop().await;
}

async fn readiness_fails_without_the_database(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    app.store.clone().close().await.unwrap();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A submission while the database is gone: on SQLite the intake
    // journal is a file of its own, which still takes it (201); on
    // PostgreSQL it is a table of the database that is gone: 503 (retry),
    // never 500.
    let r = app
        .post_json_answered(serde_json::json!({"text": "Saat database mati"}))
        .await;
    if backend == Backend::Sqlite {
        assert_eq!(r.status(), 201);
        return;
    }
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
}

on_both_backends!(
    health_ready_and_metrics,
    readiness_fails_without_the_database
);
