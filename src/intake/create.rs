//! A new complaint from a message: the complaint row with a fresh tracking
//! code, its attachments, its first timeline entries, the acknowledgment
//! to the citizen and the deliveries routing decides, in the caller's
//! transaction. A report linked to a first one ("ikut melapor") gets its
//! own code and acknowledgment but no deliveries: the first's stand.

use super::attachments::Stored;
use crate::complaint::Status;
use crate::notify::Notifier;
use crate::routing::Decision;
use crate::store::complaints::{add_event, add_events, NewEvent};
use crate::store::entity::{attachment, complaint, outbox as outbox_row};
use crate::store::outbox;
use adapters::{InboundMessage, MediaRef, TrackingCode};
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};

#[allow(clippy::too_many_arguments)]
pub async fn complaint<C: ConnectionTrait>(
    db: &C,
    tracking_code: TrackingCode,
    media_channels: &[adapters::Channel],
    decision: &Decision,
    duplicate_of: Option<&complaint::Model>,
    sla_due_at: Option<DateTime<Utc>>,
    notifier: &Notifier,
    msg: &InboundMessage,
    inbound_id: i64,
    citizen_id: Option<i64>,
    stored: Vec<Option<Stored>>,
    now: DateTime<Utc>,
) -> Result<(complaint::Model, TrackingCode), DbErr> {
    let status = initial_status(duplicate_of.is_some());
    let complaint = complaint_row(
        decision,
        duplicate_of.map(|f| f.id),
        sla_due_at,
        msg,
        citizen_id,
        &tracking_code,
        now,
    )
    .insert(db)
    .await?;
    store_attachments(
        db,
        media_channels,
        complaint.id,
        inbound_id,
        msg,
        stored,
        now,
    )
    .await?;

    let actor = actor(msg);
    let received = received_event(complaint.id, &actor, status, msg, now);
    if let Some(ack) = notifier.acknowledgment(msg, complaint.id, tracking_code.as_str()) {
        crate::notify::enqueue(db, ack, now).await?;
    }

    if let Some(first) = duplicate_of {
        add_event(db, received).await?;
        super::duplicates::link_events(db, first, &complaint, &actor, now).await?;
        return Ok((complaint, tracking_code));
    }
    let deliveries = decision
        .destinations
        .iter()
        .map(|d| outbox::new_row(Some(complaint.id), d, now));
    outbox_row::Entity::insert_many(deliveries)
        .exec_without_returning(db)
        .await?;
    let routed = routed_event(complaint.id, decision, now);
    add_events(db, [received, routed]).await?;
    Ok((complaint, tracking_code))
}

/// The row of a new complaint; a report linked to a first one is stored
/// as a duplicate of it.
pub fn complaint_row(
    decision: &Decision,
    duplicate_of: Option<i64>,
    sla_due_at: Option<DateTime<Utc>>,
    msg: &InboundMessage,
    citizen_id: Option<i64>,
    tracking_code: &TrackingCode,
    now: DateTime<Utc>,
) -> complaint::ActiveModel {
    let location = msg.location.as_ref();
    complaint::ActiveModel {
        tracking_code: Set(tracking_code.to_string()),
        citizen_id: Set(citizen_id),
        channel: Set(msg.channel.as_str().into()),
        channel_account: Set(msg.channel_account.clone()),
        title: Set(msg.title.clone()),
        body: Set(msg.text.clone()),
        category: Set(decision.category.clone().or_else(|| msg.category.clone())),
        lat: Set(location.and_then(|l| l.lat)),
        lon: Set(location.and_then(|l| l.lon)),
        address_text: Set(location.and_then(|l| l.address.clone())),
        kecamatan_code: Set(decision.kecamatan_code.clone()),
        kelurahan_code: Set(decision.kelurahan_code.clone()),
        anonim: Set(msg.flags.anonim),
        rahasia: Set(msg.flags.rahasia),
        status: Set(initial_status(duplicate_of.is_some()).as_str().into()),
        lapor_tracking_id: Set(None),
        lapor_transaction_id: Set(None),
        duplicate_of: Set(duplicate_of),
        sla_due_at: Set(sla_due_at),
        priority: Set(decision.priority.map(|p| p.as_str().to_string())),
        sla_class: Set(decision.sla_class.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A new complaint's status: received, or a duplicate when linked.
pub fn initial_status(linked: bool) -> Status {
    match linked {
        true => Status::Duplicate,
        false => Status::Received,
    }
}

/// Who the timeline names for what a channel brought in.
pub fn actor(msg: &InboundMessage) -> String {
    format!("channel:{}", msg.channel)
}

/// The first timeline entry of a new complaint.
pub fn received_event<'a>(
    complaint_id: i64,
    actor: &'a str,
    status: Status,
    msg: &InboundMessage,
    now: DateTime<Utc>,
) -> NewEvent<'a> {
    NewEvent {
        complaint_id,
        actor,
        kind: "received",
        from_status: None,
        to_status: Some(status.as_str()),
        note: None,
        data: Some(serde_json::json!({
            "channel": msg.channel.as_str(),
            "account": msg.channel_account,
            "attachments": msg.attachments.len(),
        })),
        at: now,
    }
}

/// The timeline entry of the routing decision for a first report.
pub fn routed_event(
    complaint_id: i64,
    decision: &Decision,
    now: DateTime<Utc>,
) -> NewEvent<'static> {
    NewEvent {
        complaint_id,
        actor: "system",
        kind: "routed",
        from_status: None,
        to_status: None,
        note: Some(decision.summary()),
        data: Some(serde_json::to_value(decision).unwrap_or_default()),
        at: now,
    }
}

/// Attachment rows for the message's attachments, on `complaint_id`.
pub async fn store_attachments<C: ConnectionTrait>(
    db: &C,
    media_channels: &[adapters::Channel],
    complaint_id: i64,
    inbound_id: i64,
    msg: &InboundMessage,
    stored: Vec<Option<Stored>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (a, file) in msg.attachments.iter().zip(stored) {
        let (sha256, path) = match file {
            Some(f) => (f.sha256, f.relative_path),
            None => (a.sha256.clone().unwrap_or_default(), String::new()),
        };
        let row = attachment::ActiveModel {
            complaint_id: Set(Some(complaint_id)),
            inbound_message_id: Set(inbound_id),
            filename: Set(a.filename.clone()),
            mime: Set(a.mime.clone()),
            size: Set(a.size as i64),
            sha256: Set(sha256),
            storage_path: Set(path),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if let MediaRef::Remote(media_ref) = &a.media {
            super::remote_media::queue_fetch(db, media_channels, msg, &row, media_ref, now).await?;
        }
    }
    Ok(())
}

/// A fresh code. With 31^9 codes a clash is about one in 26 million even
/// with a million complaints stored; the unique index catches it, the
/// transaction fails as a whole and the sender's retry draws a new code.
/// Not worth a lookup in every intake transaction.
pub fn random_tracking_code() -> TrackingCode {
    let mut rng = rand::rng();
    let mut data = [0u32; adapters::tracking_code::DATA_LEN];
    for v in data.iter_mut() {
        *v = rng.random_range(0..adapters::tracking_code::ALPHABET.len() as u32);
    }
    TrackingCode::from_random(data)
}
