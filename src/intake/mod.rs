//! Intake: an adapter's message becomes a stored complaint. The raw
//! message, the complaint, its first timeline entries and its outbox rows
//! are committed in one transaction before anyone is told "accepted".

pub mod attachments;

use crate::complaint::Status;
use crate::metrics::Metrics;
use crate::routing::Routing;
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::{attachment, complaint, inbound_message};
use crate::store::{self, outbox, Store};
use adapters::{InboundMessage, MediaRef, TrackingCode};
use attachments::AttachmentStore;
use chrono::Utc;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Notify;

/// What the sender is told: the tracking code of the complaint the message
/// created or joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub complaint_id: i64,
    pub tracking_code: TrackingCode,
    pub status: Status,
    /// True when this message was delivered before and this is its first answer again.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The same external id (idempotency key) came with a different payload.
    #[error("external id `{0}` was already used for a different message")]
    Conflict(String),
    /// Storage failed; the message is not accepted and the sender should retry.
    #[error("storage unavailable: {0}")]
    Storage(#[from] DbErr),
    #[error("attachment storage failed: {0}")]
    Attachment(#[from] std::io::Error),
}

#[derive(Clone)]
pub struct Intake {
    store: Store,
    attachments: AttachmentStore,
    routing: Arc<Routing>,
    metrics: Metrics,
    dispatch_wakeup: Arc<Notify>,
}

impl Intake {
    pub fn new(
        store: Store,
        attachments: AttachmentStore,
        routing: Arc<Routing>,
        metrics: Metrics,
        dispatch_wakeup: Arc<Notify>,
    ) -> Self {
        Intake {
            store,
            attachments,
            routing,
            metrics,
            dispatch_wakeup,
        }
    }

    pub async fn accept(&self, msg: InboundMessage) -> Result<Accepted, IntakeError> {
        let fingerprint = hex::encode(Sha256::digest(msg.raw.body.as_bytes()));
        if let Some(previous) = self
            .previous_answer(self.store.db(), &msg, &fingerprint)
            .await?
        {
            return Ok(previous);
        }
        // Files first: a row never points at a file that is not complete.
        let mut stored = Vec::with_capacity(msg.attachments.len());
        for a in &msg.attachments {
            if let MediaRef::Inline(bytes) = &a.media {
                stored.push(Some(self.attachments.save(bytes).await?));
            } else {
                stored.push(None);
            }
        }
        let result = self.commit(&msg, &fingerprint, stored).await;
        match result {
            Err(IntakeError::Storage(e)) if store::is_unique_violation(&e) => {
                // A concurrent delivery of the same message won the race.
                match self
                    .previous_answer(self.store.db(), &msg, &fingerprint)
                    .await?
                {
                    Some(previous) => Ok(previous),
                    None => Err(IntakeError::Storage(e)),
                }
            }
            Ok(accepted) => {
                self.metrics.complaint_received(msg.channel.as_str());
                self.dispatch_wakeup.notify_waiters();
                tracing::info!(
                    channel = %msg.channel,
                    account = %msg.channel_account,
                    tracking_code = %accepted.tracking_code,
                    "complaint accepted"
                );
                Ok(accepted)
            }
            Err(e) => Err(e),
        }
    }

    async fn previous_answer<C: ConnectionTrait>(
        &self,
        db: &C,
        msg: &InboundMessage,
        fingerprint: &str,
    ) -> Result<Option<Accepted>, IntakeError> {
        let Some(previous) = inbound_message::Entity::find()
            .filter(inbound_message::Column::Channel.eq(msg.channel.as_str()))
            .filter(inbound_message::Column::ExternalId.eq(msg.external_id.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if previous.fingerprint != fingerprint {
            return Err(IntakeError::Conflict(msg.external_id.to_string()));
        }
        let Some(complaint_id) = previous.complaint_id else {
            return Ok(None);
        };
        let Some(c) = complaint::Entity::find_by_id(complaint_id).one(db).await? else {
            return Ok(None);
        };
        tracing::info!(channel = %msg.channel, external_id = %msg.external_id, "repeated delivery answered from the first");
        Ok(Some(Accepted {
            complaint_id,
            tracking_code: TrackingCode::parse(&c.tracking_code)
                .map_err(|e| DbErr::Custom(format!("stored tracking code invalid: {e}")))?,
            status: c.status.parse().unwrap_or(Status::Received),
            replayed: true,
        }))
    }

    async fn commit(
        &self,
        msg: &InboundMessage,
        fingerprint: &str,
        stored: Vec<Option<attachments::Stored>>,
    ) -> Result<Accepted, IntakeError> {
        let now = Utc::now();
        let txn = self.store.begin_write().await?;
        let inbound = inbound_message::ActiveModel {
            channel: Set(msg.channel.as_str().into()),
            channel_account: Set(msg.channel_account.clone()),
            external_id: Set(msg.external_id.to_string()),
            sender: Set(msg.sender.as_ref().map(|a| a.value())),
            fingerprint: Set(fingerprint.to_string()),
            raw_content_type: Set(msg.raw.content_type.clone()),
            raw_payload: Set(msg.raw.body.clone()),
            complaint_id: Set(None),
            received_at: Set(msg.received_at),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;

        let addresses: Vec<_> = msg
            .sender
            .iter()
            .chain(&msg.other_addresses)
            .cloned()
            .collect();
        let citizen_id =
            crate::identity::identify(&txn, &addresses, msg.display_name.as_deref(), now).await?;

        let tracking_code = unused_tracking_code(&txn).await?;
        // Routing is pure: decided before the complaint row so the row
        // carries its category, area and priority from the start.
        let decision = self.routing.decide(msg);
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
            status: Set(Status::Received.as_str().into()),
            lapor_tracking_id: Set(None),
            lapor_transaction_id: Set(None),
            duplicate_of: Set(None),
            sla_due_at: Set(None),
            priority: Set(decision.priority.map(|p| p.as_str().to_string())),
            sla_class: Set(decision.sla_class.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;

        let mut inbound: inbound_message::ActiveModel = inbound.into();
        inbound.complaint_id = Set(Some(complaint.id));
        let inbound = inbound.update(&txn).await?;

        for (a, file) in msg.attachments.iter().zip(stored) {
            let (sha256, path) = match file {
                Some(f) => (f.sha256, f.relative_path),
                None => (a.sha256.clone().unwrap_or_default(), String::new()),
            };
            attachment::ActiveModel {
                complaint_id: Set(Some(complaint.id)),
                inbound_message_id: Set(inbound.id),
                filename: Set(a.filename.clone()),
                mime: Set(a.mime.clone()),
                size: Set(a.size as i64),
                sha256: Set(sha256),
                storage_path: Set(path),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }

        let actor = format!("channel:{}", msg.channel);
        add_event(
            &txn,
            NewEvent {
                complaint_id: complaint.id,
                actor: &actor,
                kind: "received",
                from_status: None,
                to_status: Some(Status::Received.as_str()),
                note: None,
                data: Some(serde_json::json!({
                    "channel": msg.channel.as_str(),
                    "account": msg.channel_account,
                    "attachments": msg.attachments.len(),
                })),
                at: now,
            },
        )
        .await?;

        for destination in &decision.destinations {
            outbox::new_row(complaint.id, destination, now)
                .insert(&txn)
                .await?;
        }
        add_event(
            &txn,
            NewEvent {
                complaint_id: complaint.id,
                actor: "system",
                kind: "routed",
                from_status: None,
                to_status: None,
                note: Some(decision.summary()),
                data: Some(serde_json::to_value(&decision).unwrap_or_default()),
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(Accepted {
            complaint_id: complaint.id,
            tracking_code,
            status: Status::Received,
            replayed: false,
        })
    }
}

fn random_tracking_code() -> TrackingCode {
    let mut rng = rand::rng();
    let mut data = [0u32; adapters::tracking_code::DATA_LEN];
    for v in data.iter_mut() {
        *v = rng.random_range(0..adapters::tracking_code::ALPHABET.len() as u32);
    }
    TrackingCode::from_random(data)
}

/// A fresh code not used by any complaint (31^9 codes make a clash rare;
/// it is still checked rather than left to the unique index).
async fn unused_tracking_code<C: ConnectionTrait>(db: &C) -> Result<TrackingCode, DbErr> {
    loop {
        let code = random_tracking_code();
        let taken = complaint::Entity::find()
            .filter(complaint::Column::TrackingCode.eq(code.as_str()))
            .one(db)
            .await?
            .is_some();
        if !taken {
            return Ok(code);
        }
    }
}
