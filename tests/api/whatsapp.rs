//! The WhatsApp webhook end to end, on both backends: the handshake,
//! acknowledgments from the receiving number, and forged, truncated,
//! unknown and replayed deliveries getting the right answer and leaving no
//! partial record. Media is in `whatsapp_media.rs`.

use crate::helpers::*;
use crate::on_both_backends;
use crate::whatsapp_support::*;
use satupintu::store::entity::{inbound_message, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn handshake_echoes_the_challenge_for_our_token_only(backend: Backend) {
    let (_dir, _db, _graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let url = |token: &str, mode: &str| {
        app.url(&format!(
            "/webhooks/whatsapp?hub.mode={mode}&hub.challenge=1158201444&hub.verify_token={token}"
        ))
    };
    let ok = app
        .client
        .get(url(VERIFY_TOKEN, "subscribe"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    for (label, url) in [
        ("wrong token", url("guess", "subscribe")),
        ("wrong mode", url(VERIFY_TOKEN, "unsubscribe")),
        ("no query", app.url("/webhooks/whatsapp")),
    ] {
        let r = app.client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 403, "{label}");
    }
    app.stop().await;
}

async fn each_acknowledgment_leaves_from_the_receiving_number(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    // One delivery with two entries for two numbers, one of them two messages.
    let mut body = webhook(
        MAYOR,
        vec![
            text(SITI, "wamid.M1", "Lampu jalan mati di Jl. Sudirman"),
            text(JOHN, "wamid.M2", "Streetlight out near the harbour"),
        ],
        vec![],
    );
    let other = webhook(
        CENTER,
        vec![text(SITI, "wamid.C1", "Sampah menumpuk di pasar")],
        vec![],
    );
    body["entry"]
        .as_array_mut()
        .unwrap()
        .push(other["entry"][0].clone());
    assert_eq!(post(&app, &body).await.status(), 200);
    assert_eq!(app.complaints().await.len(), 3);

    let mut sent = sends(&graph, 3).await;
    sent.sort_by(|a, b| (&a.phone_number_id, a.to()).cmp(&(&b.phone_number_id, b.to())));
    let routes: Vec<(&str, &str, &str)> = sent
        .iter()
        .map(|s| {
            (
                s.phone_number_id.as_str(),
                s.to(),
                s.body["context"]["message_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            (MAYOR, JOHN, "wamid.M2"),
            (MAYOR, SITI, "wamid.M1"),
            (CENTER, SITI, "wamid.C1")
        ]
    );
    app.stop().await;
}

async fn location_joins_the_complaint_it_follows(backend: Backend) {
    let (_dir, _db, _graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let first = webhook(
        MAYOR,
        vec![text(SITI, "wamid.T1", "Pohon tumbang menutup jalan")],
        vec![],
    );
    assert_eq!(post(&app, &first).await.status(), 200);
    let then = webhook(
        MAYOR,
        vec![location(SITI, "wamid.L1", -0.9471, 100.4172)],
        vec![],
    );
    assert_eq!(post(&app, &then).await.status(), 200);
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1, "the location joins the open complaint");
    let rows = inbound_message::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert!(rows
        .iter()
        .all(|m| m.complaint_id == Some(complaints[0].id)));
    app.stop().await;
}

async fn forged_and_truncated_deliveries_store_nothing(backend: Backend) {
    let (_dir, _db, _graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let body = webhook(MAYOR, vec![text(SITI, "wamid.F1", "Laporan palsu")], vec![]).to_string();
    let good = adapters::whatsapp::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let forged = adapters::whatsapp::sign(b"someone-else", body.as_bytes());
    let cut = body.as_bytes()[..body.len() / 2].to_vec();
    let cases = [
        (
            "forged signature",
            body.clone().into_bytes(),
            Some(forged),
            401,
        ),
        ("no signature", body.clone().into_bytes(), None, 401),
        ("truncated in transit", cut.clone(), Some(good), 401),
        (
            "truncated, signed as sent",
            cut.clone(),
            Some(adapters::whatsapp::sign(APP_SECRET.as_bytes(), &cut)),
            400,
        ),
    ];
    for (label, bytes, signature, want) in cases {
        let r = post_raw(&app, bytes, signature).await;
        assert_eq!(r.status(), want, "{label}");
        let error: serde_json::Value = r.json().await.unwrap();
        assert!(
            error["error"]["message"]["id"].as_str().is_some(),
            "{label}: {error}"
        );
        assert_eq!(app.count_stored().await, (0, 0, 0), "{label}");
    }
    app.stop().await;
}

async fn unknown_type_is_recorded_without_a_complaint(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let order = serde_json::json!({"from": SITI, "id": "wamid.ORDER", "timestamp": now_ts().to_string(),
        "type": "order", "order": {"catalog_id": "1", "product_items": []}});
    let reaction = serde_json::json!({"from": SITI, "id": "wamid.REACT", "timestamp": now_ts().to_string(),
        "type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "\u{1F44D}"}});
    assert_eq!(
        post(&app, &webhook(MAYOR, vec![order, reaction], vec![]))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.count_stored().await,
        (2, 0, 0),
        "recorded, no complaint, nothing to send"
    );
    assert!(graph.sent().is_empty());
    app.stop().await;
}

async fn replayed_delivery_creates_nothing_new(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let body = webhook(
        MAYOR,
        vec![text(SITI, "wamid.ONCE", "Air PDAM mati sejak pagi")],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    sends(&graph, 1).await;
    let before = app.count_stored().await;
    for _ in 0..2 {
        assert_eq!(post(&app, &body).await.status(), 200);
    }
    assert_eq!(app.count_stored().await, before);
    assert_eq!(app.complaints().await.len(), 1);
    // Whatever else has happened by now, one acknowledgment was queued.
    let acks = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.payload.as_ref().is_some_and(|p| p["purpose"] == "ack"))
        .count();
    assert_eq!(acks, 1);
    app.stop().await;
}

/// A text may carry control characters (JSON allows `\u0000`); they are
/// dropped, on both backends (PostgreSQL stores no NUL in text), and the
/// message is taken, not refused and retried by Meta for ever.
async fn control_characters_in_a_text_are_dropped(backend: Backend) {
    let (_dir, _db, _graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let message = text(
        SITI,
        "wamid.NUL",
        "Air PDAM\u{0} mati\u{7} sejak pagi\nRT 02",
    );
    let body = webhook(MAYOR, vec![message], vec![]);
    assert_eq!(post(&app, &body).await.status(), 200);
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1);
    assert_eq!(complaints[0].body, "Air PDAM mati sejak pagi\nRT 02");
    app.stop().await;
}

async fn unknown_number_is_acknowledged_and_not_stored(backend: Backend) {
    let (_dir, _db, _graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let body = webhook(
        "999999999999999",
        vec![text(SITI, "wamid.ELSEWHERE", "Halo")],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    assert_eq!(app.count_stored().await, (0, 0, 0));
    app.stop().await;
}

/// On PostgreSQL the journal is a table of the database: with the
/// database gone nothing can be made durable, and Meta is told to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_database_outage_answers_503_so_meta_retries() {
    let (_dir, _db, _graph, config) = setup(Backend::Postgres).await;
    let app = TestApp::spawn(config).await;
    app.store.clone().close().await.unwrap();
    let body = webhook(MAYOR, vec![text(SITI, "wamid.DOWN", "Jalan rusak")], vec![]);
    let r = post(&app, &body).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
}

/// On SQLite the journal is a file of its own: with the database gone, a
/// message is still made durable there and Meta answered; it waits,
/// counted as failing, until the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_database_outage_keeps_messages_in_the_journal() {
    let (_dir, _db, _graph, config) = setup(Backend::Sqlite).await;
    let app = TestApp::spawn(config).await;
    app.store.clone().close().await.unwrap();
    let body = webhook(MAYOR, vec![text(SITI, "wamid.DOWN", "Jalan rusak")], vec![]);
    let r = post_unsettled(&app, &body).await;
    assert_eq!(r.status(), 200);
    let failing = eventually("the entry is tried and fails", 10, || async {
        app.intake
            .journal_counts()
            .await
            .ok()
            .filter(|(_, failing)| *failing == 1)
    })
    .await;
    assert_eq!(failing, (0, 1), "(waiting, failing)");
}

on_both_backends!(
    control_characters_in_a_text_are_dropped,
    handshake_echoes_the_challenge_for_our_token_only,
    each_acknowledgment_leaves_from_the_receiving_number,
    forged_and_truncated_deliveries_store_nothing,
    unknown_type_is_recorded_without_a_complaint,
    replayed_delivery_creates_nothing_new,
    unknown_number_is_acknowledged_and_not_stored,
);

on_both_backends!(location_joins_the_complaint_it_follows);
