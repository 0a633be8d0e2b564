//! Meta's delivery reports (sent, delivered, read, failed) on the messages
//! we sent, recorded on their outbox row. Reports arrive out of order; a
//! late one never undoes a later state. Never creates or sends anything.

use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::outbox as outbox_row;
use crate::store::{outbox, Store};
use adapters::whatsapp::{DeliveryStatus, StatusReport};
use adapters::Channel;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

/// What became of a report.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    Updated,
    /// The row already holds this state or a later one.
    Stale,
    /// No message of ours has that id.
    Unknown,
}

pub async fn record(store: &Store, report: &StatusReport) -> Result<Recorded, DbErr> {
    let channel = Channel::Whatsapp.as_str();
    let txn = store.begin_write().await?;
    let row = outbox_row::Entity::find()
        .filter(outbox_row::Column::Channel.eq(channel))
        .filter(outbox_row::Column::ExternalRef.eq(report.message_id.as_str()))
        .one(&*txn)
        .await?;
    let Some(row) = row else {
        txn.commit().await?;
        return Ok(Recorded::Unknown);
    };
    let current = row
        .provider_status
        .as_deref()
        .and_then(DeliveryStatus::parse);
    if current.is_some_and(|c| c.rank() >= report.status.rank()) {
        txn.commit().await?;
        return Ok(Recorded::Stale);
    }
    let error = (report.status == DeliveryStatus::Failed).then(|| {
        if report.errors.is_empty() {
            "WhatsApp reported the message failed, without an error code".to_string()
        } else {
            format!("WhatsApp: {}", report.errors.join("; "))
        }
    });
    outbox::record_provider_status(
        &*txn,
        channel,
        &report.message_id,
        report.status.as_str(),
        error.clone(),
        report.at,
    )
    .await?;
    if let (Some(error), Some(complaint_id)) = (error, row.complaint_id) {
        add_event(
            &*txn,
            NewEvent {
                complaint_id,
                actor: "channel:whatsapp",
                kind: "message_failed",
                from_status: None,
                to_status: None,
                note: Some(error),
                data: Some(serde_json::json!({
                    "outbox_id": row.id, "provider_message_id": report.message_id,
                    "error_codes": report.error_codes,
                })),
                at: report.at,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Recorded::Updated)
}
