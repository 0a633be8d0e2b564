//! Meta's delivery reports (sent, delivered, read, failed) on the messages
//! we sent, recorded on their outbox row. Reports arrive out of order; a
//! late one never undoes a later state.
//!
//! Two failures are acted on:
//! - 131047, more than 24 hours since the citizen last wrote: the message
//!   waits until they write again, as one held back before sending does;
//! - 131026, undeliverable (an old app, terms not accepted): the message
//!   goes again on the citizen's next channel (`notify.fallback`).

use crate::notify::FallbackRoute;
use crate::store::complaints::add_message_event;
use crate::store::entity::outbox as outbox_row;
use crate::store::{outbox, Store};
use adapters::whatsapp::{DeliveryStatus, StatusReport};
use adapters::Channel;
use chrono::Utc;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

/// Who the timeline says acted.
const ACTOR: &str = "channel:whatsapp";
/// Meta's code for a free-form message outside the 24-hour window.
const REENGAGEMENT: i64 = 131047;
/// Meta's code for a message the recipient's WhatsApp cannot take.
const UNDELIVERABLE: i64 = 131026;

/// What became of a report.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    Updated,
    /// The row already holds this state or a later one.
    Stale,
    /// No message of ours has that id.
    Unknown,
}

pub async fn record(
    store: &Store,
    fallback: &[FallbackRoute],
    report: &StatusReport,
) -> Result<Recorded, DbErr> {
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
    if let Some(error) = error {
        let data = serde_json::json!({
            "outbox_id": row.id, "provider_message_id": report.message_id,
            "error_codes": report.error_codes,
        });
        let note = Some(error.clone());
        add_message_event(&*txn, &row, ACTOR, "message_failed", note, data, report.at).await?;
        let now = Utc::now();
        if report.error_codes.contains(&REENGAGEMENT) {
            let note = "WhatsApp: more than 24 hours since the citizen last wrote; \
                        the message waits until they write again";
            if outbox::hold_again(&*txn, row.id, note, now).await? {
                let data = serde_json::json!({"outbox_id": row.id, "channel": row.channel});
                add_message_event(
                    &*txn,
                    &row,
                    ACTOR,
                    "message_waiting",
                    Some(note.into()),
                    data,
                    now,
                )
                .await?;
            }
        } else if report.error_codes.contains(&UNDELIVERABLE) {
            crate::notify::unreachable::unreachable(&*txn, fallback, &row, ACTOR, &error, now)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(Recorded::Updated)
}
