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
    let tracking_code = random_tracking_code();
    let status = match duplicate_of {
        Some(_) => Status::Duplicate,
        None => Status::Received,
    };
    let location = msg.location.as_ref();
    let complaint = complaint::ActiveModel {
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
        status: Set(status.as_str().into()),
        lapor_tracking_id: Set(None),
        lapor_transaction_id: Set(None),
        duplicate_of: Set(duplicate_of.map(|f| f.id)),
        sla_due_at: Set(sla_due_at),
        priority: Set(decision.priority.map(|p| p.as_str().to_string())),
        sla_class: Set(decision.sla_class.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
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

    let actor = format!("channel:{}", msg.channel);
    let received = NewEvent {
        complaint_id: complaint.id,
        actor: &actor,
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
    };
    if let Some(ack) = notifier.acknowledgment(msg, complaint.id, tracking_code.as_str()) {
        crate::notify::enqueue(db, ack, now).await?;
    }

    if let Some(first) = duplicate_of {
        add_event(db, received).await?;
        super::duplicates::link_events(db, first, &complaint, &actor, now).await?;
        return Ok((complaint, tracking_code));
    }
    for destination in &decision.destinations {
        outbox_row::Entity::insert(outbox::new_row(Some(complaint.id), destination, now))
            .exec_without_returning(db)
            .await?;
    }
    let routed = NewEvent {
        complaint_id: complaint.id,
        actor: "system",
        kind: "routed",
        from_status: None,
        to_status: None,
        note: Some(decision.summary()),
        data: Some(serde_json::to_value(decision).unwrap_or_default()),
        at: now,
    };
    add_events(db, [received, routed]).await?;
    Ok((complaint, tracking_code))
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
fn random_tracking_code() -> TrackingCode {
    let mut rng = rand::rng();
    let mut data = [0u32; adapters::tracking_code::DATA_LEN];
    for v in data.iter_mut() {
        *v = rng.random_range(0..adapters::tracking_code::ALPHABET.len() as u32);
    }
    TrackingCode::from_random(data)
}
