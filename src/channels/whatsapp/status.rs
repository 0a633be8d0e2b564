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
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::outbox as outbox_row;
use crate::store::{outbox, Store};
use adapters::whatsapp::{DeliveryStatus, StatusReport};
use adapters::Channel;
use chrono::Utc;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

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
        failed_event(&*txn, &row, "message_failed", &error, data, report.at).await?;
        let now = Utc::now();
        if report.error_codes.contains(&REENGAGEMENT) {
            let note = "WhatsApp: more than 24 hours since the citizen last wrote; \
                        the message waits until they write again";
            if outbox::hold_again(&*txn, row.id, note, now).await? {
                let data = serde_json::json!({"outbox_id": row.id, "channel": row.channel});
                failed_event(&*txn, &row, "message_waiting", note, data, now).await?;
            }
        } else if report.error_codes.contains(&UNDELIVERABLE) {
            crate::notify::unreachable::unreachable(&*txn, fallback, &row, ACTOR, &error, now)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(Recorded::Updated)
}

const ACTOR: &str = "channel:whatsapp";

/// An entry on the timeline of `row`'s complaint, if it answers one.
async fn failed_event<C: sea_orm::ConnectionTrait>(
    db: &C,
    row: &outbox_row::Model,
    kind: &'static str,
    note: &str,
    data: serde_json::Value,
    at: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(complaint_id) = row.complaint_id else {
        return Ok(());
    };
    add_event(
        db,
        NewEvent {
            complaint_id,
            actor: ACTOR,
            kind,
            from_status: None,
            to_status: None,
            note: Some(note.to_string()),
            data: Some(data),
            at,
        },
    )
    .await
}
