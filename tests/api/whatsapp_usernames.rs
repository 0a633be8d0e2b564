//! Citizens behind a WhatsApp username, on both backends. WhatsApp names
//! such a citizen by a business-scoped user id instead of their number:
//! their complaint is taken, answered and kept up to date through that
//! id, and a citizen first seen with their number is the same citizen
//! when they later write without it.

use crate::helpers::*;
use crate::on_both_backends;
use crate::whatsapp_support::*;
use satupintu::store::entity::{citizen_address, complaint, inbound_message, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

const USER: &str = "ID.1502576394655843";

/// A text message from `user_id` that names no number.
fn from_user(user_id: &str, wamid: &str, body: &str) -> Value {
    json!({"from_user_id": user_id, "id": wamid, "timestamp": now_ts().to_string(),
        "type": "text", "text": {"body": body}})
}

/// The messages the stand-in Graph API took for `user_id`.
async fn sent_to_user(
    graph: &crate::graph_standin::GraphStandin,
    user_id: &str,
    n: usize,
) -> Vec<crate::graph_standin::Sent> {
    eventually(&format!("{n} message(s) to {user_id}"), 30, || async {
        let sent: Vec<_> = graph
            .sent()
            .into_iter()
            .filter(|s| s.recipient() == user_id)
            .collect();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

async fn citizen_behind_a_username_is_answered_and_kept_informed(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let body = webhook(
        MAYOR,
        vec![from_user(
            USER,
            "wamid.U1",
            "Lampu jalan mati di Jl. Gajah Mada",
        )],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1, "the message is a complaint");
    let code = complaints[0].tracking_code.clone();

    let ack = sent_to_user(&graph, USER, 1).await;
    assert!(ack[0].text().contains(&code), "{}", ack[0].text());
    assert_eq!(ack[0].to(), "", "no number is invented");
    let address = citizen_address::Entity::find()
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (address.kind.as_str(), address.address.as_str()),
        ("whatsapp_user", USER)
    );

    app.agency_sets_status(&code, "in_progress", "Petugas menuju lokasi")
        .await;
    let sent = eventually("the update by user id", 30, || async {
        graph
            .sent()
            .into_iter()
            .find(|s| s.recipient() == USER && s.text().contains("Petugas menuju lokasi"))
    })
    .await;
    assert_eq!(sent.phone_number_id, MAYOR);
    app.stop().await;
}

async fn citizen_who_hides_their_number_later_stays_the_same_citizen(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    let mut first = text(SITI, "wamid.N1", "Got mampet di Jl. Sudirman");
    first["from_user_id"] = json!(USER);
    assert_eq!(
        post(&app, &webhook(MAYOR, vec![first], vec![]))
            .await
            .status(),
        200
    );
    let acks = sends(&graph, 1).await;
    assert_eq!(acks[0].to(), SITI, "a known number is preferred");

    // The citizen takes a username: WhatsApp no longer shares the number.
    let later = webhook(
        MAYOR,
        vec![from_user(
            USER,
            "wamid.N2",
            "Jalan berlubang di Jl. Hamka dekat masjid",
        )],
        vec![],
    );
    assert_eq!(post(&app, &later).await.status(), 200);
    let complaints = complaint::Entity::find()
        .order_by_asc(complaint::Column::Id)
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(complaints.len(), 2);
    assert!(complaints[0].citizen_id.is_some());
    assert_eq!(
        complaints[0].citizen_id, complaints[1].citizen_id,
        "one citizen, known by number and by user id"
    );
    let answer = sent_to_user(&graph, USER, 1).await;
    assert!(
        answer[0].text().contains(&complaints[1].tracking_code),
        "{}",
        answer[0].text()
    );
    let senders: Vec<Option<String>> = inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq("whatsapp"))
        .order_by_asc(inbound_message::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.sender)
        .collect();
    assert_eq!(senders, [Some(format!("+{SITI}")), Some(USER.to_string())]);
    app.stop().await;
}

/// The 24-hour window is the citizen's, whichever of their addresses they
/// write from: a message held for their number goes when they write from
/// their user id.
async fn message_held_for_the_number_goes_when_the_user_id_writes(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    let app = TestApp::spawn(config).await;
    // Meta delivered it late: the citizen wrote 30 hours ago, with both.
    let mut late = text(SITI, "wamid.H1", "Got mampet di Jl. Sudirman");
    late["from_user_id"] = json!(USER);
    late["timestamp"] = json!((chrono::Utc::now().timestamp() - 30 * 3600).to_string());
    assert_eq!(
        post(&app, &webhook(MAYOR, vec![late], vec![]))
            .await
            .status(),
        200
    );
    let held = eventually("the acknowledgment to wait", 20, || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("message"))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "waiting")
    })
    .await;
    assert_eq!(held.recipient.as_deref(), Some(format!("+{SITI}").as_str()));
    assert!(graph.sent().is_empty());

    // The citizen writes again, now without their number.
    let again = webhook(
        MAYOR,
        vec![from_user(USER, "wamid.H2", "Bagaimana laporan saya?")],
        vec![],
    );
    assert_eq!(post(&app, &again).await.status(), 200);
    let went = delivered_send(&app, &graph, held.id).await;
    assert_eq!(
        went.to(),
        SITI,
        "to the number, free-form: the window is open"
    );
    assert!(went.body.get("template").is_none());
    app.stop().await;
}

on_both_backends!(
    citizen_behind_a_username_is_answered_and_kept_informed,
    citizen_who_hides_their_number_later_stays_the_same_citizen,
    message_held_for_the_number_goes_when_the_user_id_writes,
);
