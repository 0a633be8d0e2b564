//! Edited chat messages: the new version of a message the citizen sent
//! is stored and written on the timeline of the complaint its original
//! belongs to. An edit never opens a complaint and never changes its text.

use super::{find_inbound, inbound_row, Intake, IntakeError};
use crate::store::complaints::{add_event, NewEvent};
use crate::store::cursors::{self, CursorUpdate};
use crate::store::entity::inbound_message;
use adapters::InboundMessage;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

pub(super) async fn record(
    intake: &Intake,
    msg: &InboundMessage,
    original_external_id: Option<&str>,
    cursor: Option<&CursorUpdate>,
) -> Result<Option<i64>, IntakeError> {
    let now = Utc::now();
    let txn = intake.store.begin_write().await?;
    if let Some(cursor) = cursor {
        cursors::set(&*txn, cursor, now).await?;
    }
    if let Some(seen) = find_inbound(&*txn, msg).await? {
        txn.commit().await?;
        return Ok(seen.complaint_id);
    }
    let original = match original_external_id {
        Some(id) => {
            inbound_message::Entity::find()
                .filter(inbound_message::Column::Channel.eq(msg.channel.as_str()))
                .filter(inbound_message::Column::ExternalId.eq(id))
                .one(&*txn)
                .await?
        }
        None => None,
    };
    let complaint_id = original.as_ref().and_then(|o| o.complaint_id);
    let fingerprint = super::fingerprint(msg);
    let mut row = inbound_row(msg, &fingerprint, now);
    row.complaint_id = Set(complaint_id);
    row.insert(&*txn).await?;
    if let Some(id) = complaint_id {
        let actor = format!("channel:{}", msg.channel);
        add_event(
            &*txn,
            NewEvent {
                complaint_id: id,
                actor: &actor,
                kind: "edited",
                from_status: None,
                to_status: None,
                note: Some(msg.text.clone()),
                data: Some(serde_json::json!({
                    "channel": msg.channel.as_str(),
                    "external_id": msg.external_id.as_str(),
                    "original_external_id": original_external_id,
                })),
                at: now,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(complaint_id)
}
