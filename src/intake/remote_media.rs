//! Attachments a channel only references (a WhatsApp media id): intake
//! queues their download as an outbox row of kind `media` in the message's
//! own transaction, and the channel's fetcher hands the bytes back here to
//! be stored, or says why they were refused. Never talks to a provider.

use super::attachments::Stored;
use super::{Intake, IntakeError};
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::attachment;
use crate::store::outbox::{self, KIND_MEDIA};
use adapters::{Channel, InboundMessage};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The outbox destination that fetches `channel`'s media.
pub fn destination(channel: Channel) -> String {
    format!("media:{channel}")
}

/// What a `media` outbox row carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaPayload {
    pub attachment_id: i64,
    /// The provider's reference (a WhatsApp media id).
    pub media_ref: String,
    /// The MIME type the provider declared in the message.
    pub declared_mime: String,
}

/// Queues the download of one remote attachment, in the caller's
/// transaction; a no-op for channels without a fetcher.
pub(super) async fn queue_fetch<C: ConnectionTrait>(
    db: &C,
    media_channels: &[Channel],
    msg: &InboundMessage,
    row: &attachment::Model,
    media_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(complaint_id) = row.complaint_id else {
        return Ok(());
    };
    if !media_channels.contains(&msg.channel) {
        return Ok(());
    }
    let payload = MediaPayload {
        attachment_id: row.id,
        media_ref: media_ref.to_string(),
        declared_mime: row.mime.clone(),
    };
    let mut outbox_row = outbox::new_row(Some(complaint_id), &destination(msg.channel), now);
    outbox_row.kind = Set(KIND_MEDIA.into());
    outbox_row.channel = Set(Some(msg.channel.as_str().into()));
    outbox_row.channel_account = Set(Some(msg.channel_account.clone()));
    outbox_row.payload = Set(Some(serde_json::to_value(&payload).unwrap_or_default()));
    outbox_row.insert(db).await?;
    Ok(())
}

impl Intake {
    /// Remote attachments of `channels` are fetched through the outbox;
    /// those of other channels keep only their reference.
    pub fn fetch_media_for(mut self, channels: impl IntoIterator<Item = Channel>) -> Self {
        Arc::make_mut(&mut self.0).media_channels = Arc::new(channels.into_iter().collect());
        self
    }

    /// True when the attachment's file is already stored (a retried fetch
    /// after a crash), or the attachment is gone.
    pub async fn media_done(&self, attachment_id: i64) -> Result<bool, DbErr> {
        Ok(attachment::Entity::find_by_id(attachment_id)
            .one(self.store.db())
            .await?
            .is_none_or(|a| !a.storage_path.is_empty()))
    }

    /// Stores fetched bytes by their sha256 and completes the attachment
    /// row, with a timeline entry, in one transaction.
    pub async fn store_media(
        &self,
        channel: Channel,
        complaint_id: i64,
        attachment_id: i64,
        bytes: &[u8],
        mime: &str,
    ) -> Result<Stored, IntakeError> {
        let stored = self.attachments.save(bytes).await?;
        let now = Utc::now();
        let txn = self.store.begin_write().await?;
        attachment::Entity::update_many()
            .col_expr(
                attachment::Column::StoragePath,
                stored.relative_path.clone().into(),
            )
            .col_expr(attachment::Column::Sha256, stored.sha256.clone().into())
            .col_expr(attachment::Column::Size, (bytes.len() as i64).into())
            .col_expr(attachment::Column::Mime, mime.into())
            .filter(attachment::Column::Id.eq(attachment_id))
            .exec(&*txn)
            .await?;
        let actor = format!("channel:{channel}");
        add_event(
            &*txn,
            NewEvent {
                complaint_id,
                actor: &actor,
                kind: "attachment_stored",
                from_status: None,
                to_status: None,
                note: None,
                data: Some(serde_json::json!({
                    "attachment_id": attachment_id, "sha256": stored.sha256,
                    "size": bytes.len(), "mime": mime,
                })),
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(Stored {
            sha256: stored.sha256,
            relative_path: stored.relative_path,
        })
    }

    /// Drops an attachment the city does not accept (too large, a type not
    /// allowed): its row goes, the timeline says what was refused and why.
    pub async fn refuse_media(
        &self,
        channel: Channel,
        complaint_id: i64,
        attachment_id: i64,
        reason: &str,
        note: String,
    ) -> Result<(), DbErr> {
        let now = Utc::now();
        let txn = self.store.begin_write().await?;
        let removed = attachment::Entity::find_by_id(attachment_id)
            .one(&*txn)
            .await?;
        attachment::Entity::delete_by_id(attachment_id)
            .exec(&*txn)
            .await?;
        let actor = format!("channel:{channel}");
        add_event(
            &*txn,
            NewEvent {
                complaint_id,
                actor: &actor,
                kind: "attachment_refused",
                from_status: None,
                to_status: None,
                note: Some(note),
                data: Some(serde_json::json!({
                    "attachment_id": attachment_id, "reason": reason,
                    "mime": removed.as_ref().map(|a| a.mime.clone()),
                    "filename": removed.and_then(|a| a.filename),
                })),
                at: now,
            },
        )
        .await?;
        txn.commit().await
    }
}
