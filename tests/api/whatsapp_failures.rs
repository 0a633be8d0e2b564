//! Messages Meta took and later reported failed, on both backends: a
//! message outside the 24-hour window (131047) waits until the citizen
//! writes again and then goes; one the citizen's WhatsApp cannot take
//! (131026) goes by SMS instead, and so does every later message until
//! the citizen writes on WhatsApp again. The number stays reachable for
//! SMS throughout.

use crate::helpers::*;
use crate::on_both_backends;
use crate::sms_standin::Standin;
use crate::sms_support::twilio;
use crate::whatsapp_support::*;
use adapters::Channel;
use satupintu::channels::sms::{RateLimits, SmsConfig};
use satupintu::notify::FallbackRoute;
use satupintu::store::entity::{citizen_address, complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn events(app: &TestApp, kind: &str) -> Vec<complaint_event::Model> {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq(kind))
        .all(app.store.db())
        .await
        .unwrap()
}

async fn row(app: &TestApp, id: i64) -> outbox::Model {
    outbox::Entity::find_by_id(id)
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
}

/// The acknowledgment's outbox row and the wamid it went out with.
async fn sent_acknowledgment(
    app: &TestApp,
    graph: &crate::graph_standin::GraphStandin,
) -> (outbox::Model, String) {
    let wamid = sends(graph, 1).await[0].wamid.clone();
    let row = eventually("the acknowledgment recorded as sent", 20, || async {
        outbox::Entity::find()
            .filter(outbox::Column::ExternalRef.eq(wamid.as_str()))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    (row, wamid)
}

/// Siti's first message `body` as `wamid`: its tracking code, and the
/// acknowledgment's outbox row and wamid once it went out.
async fn acknowledged(
    app: &TestApp,
    graph: &crate::graph_standin::GraphStandin,
    wamid: &str,
    body: &str,
) -> (String, outbox::Model, String) {
    let first = webhook(MAYOR, vec![text(SITI, wamid, body)], vec![]);
    assert_eq!(post(app, &first).await.status(), 200);
    let code = app.complaints().await[0].tracking_code.clone();
    let (ack, wamid) = sent_acknowledgment(app, graph).await;
    (code, ack, wamid)
}

/// Meta's report that the message `wamid` failed with `code`.
fn failure(wamid: &str, code: i64, title: &str) -> serde_json::Value {
    webhook(
        MAYOR,
        vec![],
        vec![status(
            wamid,
            "failed",
            json!([{"code": code, "title": title}]),
        )],
    )
}

async fn window_closed_failure_waits_until_the_citizen_writes(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let (code, ack, wamid) =
        acknowledged(&app, &graph, "wamid.W1", "Got mampet di Jl. Sudirman").await;

    let failed = failure(&wamid, 131047, "Re-engagement message");
    assert_eq!(post(&app, &failed).await.status(), 200);
    let held = row(&app, ack.id).await;
    assert_eq!(held.state, "waiting");
    assert!(held.last_error.unwrap().contains("24 hours"));
    assert_eq!(events(&app, "message_failed").await.len(), 1);
    let waiting = events(&app, "message_waiting").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].data.as_ref().unwrap()["outbox_id"], ack.id);

    // The same report again (Meta retries) holds nothing twice.
    assert_eq!(post(&app, &failed).await.status(), 200);
    assert_eq!(events(&app, "message_waiting").await.len(), 1);

    // The citizen writes again: the window is open and the message goes.
    let again = webhook(
        MAYOR,
        vec![text(SITI, "wamid.W2", "Bagaimana laporan saya?")],
        vec![],
    );
    assert_eq!(post(&app, &again).await.status(), 200);
    let resent = eventually("the held acknowledgment sent again", 20, || async {
        Some(row(&app, ack.id).await).filter(|r| r.state == "delivered")
    })
    .await;
    let new_wamid = resent.external_ref.clone().unwrap();
    assert_ne!(new_wamid, wamid);
    let sent = graph.sent();
    let again = sent.iter().find(|s| s.wamid == new_wamid).unwrap();
    assert_eq!((again.phone_number_id.as_str(), again.to()), (MAYOR, SITI));
    assert!(again.text().contains(&code), "{}", again.text());

    // Reports on the new send are recorded.
    let delivered = webhook(
        MAYOR,
        vec![],
        vec![status(&new_wamid, "delivered", json!([]))],
    );
    assert_eq!(post(&app, &delivered).await.status(), 200);
    assert_eq!(
        row(&app, ack.id).await.provider_status.as_deref(),
        Some("delivered")
    );
    app.stop().await;
}

async fn undeliverable_on_whatsapp_goes_by_sms(backend: Backend) {
    let (dir, _db, graph, mut config) = setup(backend).await;
    let sms_api = Standin::start(201, json!({"sid": "SM1", "status": "queued"})).await;
    let limits = RateLimits {
        per_minute: 600,
        per_number_per_minute: 600,
    };
    config.channels.sms = Some(SmsConfig {
        instances: vec![twilio(dir.path(), &sms_api.base, limits)],
        part_timeout_secs: 1,
        part_check_secs: 1,
        media: Default::default(),
    });
    config.notify.fallback = vec![FallbackRoute {
        channel: Channel::Sms,
        account: "twilio".into(),
    }];
    let app = TestApp::spawn(config).await;
    let (code, ack, wamid) = acknowledged(
        &app,
        &graph,
        "wamid.U1",
        "Lampu jalan mati di Jl. Gajah Mada",
    )
    .await;

    let failed = failure(&wamid, 131026, "Message undeliverable");
    assert_eq!(post(&app, &failed).await.status(), 200);
    let by_sms = eventually("the acknowledgment by SMS", 30, || async {
        sms_api
            .received()
            .into_iter()
            .find(|r| r.method == "POST" && r.form("To").as_deref() == Some(&format!("+{SITI}")))
    })
    .await;
    assert!(
        by_sms.form("Body").unwrap().contains(&code),
        "{:?}",
        by_sms.body
    );

    let unreachable = events(&app, "message_unreachable").await;
    assert_eq!(unreachable.len(), 1);
    assert_eq!(unreachable[0].data.as_ref().unwrap()["outbox_id"], ack.id);
    let fallback = events(&app, "message_fallback").await;
    assert_eq!(fallback.len(), 1);
    assert_eq!(fallback[0].data.as_ref().unwrap()["to"], "sms");
    let number = citizen_address::Entity::find()
        .filter(citizen_address::Column::Address.eq(format!("+{SITI}")))
        .one(app.store.db())
        .await
        .unwrap()
        .expect("the citizen's number is stored");
    assert_eq!(
        number.unreachable_on.as_deref(),
        Some("whatsapp"),
        "the number still takes SMS"
    );

    // A status change goes straight by SMS: WhatsApp is not tried again.
    let by_sms = |note: &'static str| {
        let api = &sms_api;
        async move {
            api.received()
                .into_iter()
                .find(|r| r.method == "POST" && r.form("Body").is_some_and(|b| b.contains(note)))
        }
    };
    let graph_sends = graph.sent().len();
    app.agency_sets_status(&code, "in_progress", "Petugas menuju lokasi")
        .await;
    eventually("the update by SMS", 30, || by_sms("Petugas menuju lokasi")).await;
    assert_eq!(graph.sent().len(), graph_sends, "WhatsApp was not tried");

    // The citizen writes on WhatsApp again: WhatsApp reaches them again.
    let again = webhook(
        MAYOR,
        vec![text(SITI, "wamid.U2", "Kapan lampunya diganti?")],
        vec![],
    );
    assert_eq!(post(&app, &again).await.status(), 200);
    eventually("the number reachable on WhatsApp again", 20, || async {
        citizen_address::Entity::find_by_id(number.id)
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|a| a.unreachable_on.is_none())
    })
    .await;
    app.agency_sets_status(&code, "resolved", "Lampu sudah diganti")
        .await;
    let on_whatsapp = eventually("the resolution on WhatsApp", 30, || async {
        graph
            .sent()
            .into_iter()
            .find(|s| s.text().contains("Lampu sudah diganti"))
    })
    .await;
    assert_eq!(on_whatsapp.to(), SITI);
    assert!(by_sms("Lampu sudah diganti").await.is_none());
    app.stop().await;
}

on_both_backends!(
    window_closed_failure_waits_until_the_citizen_writes,
    undeliverable_on_whatsapp_goes_by_sms,
);
