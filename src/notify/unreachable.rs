//! A message the citizen's channel cannot deliver (a blocked bot, a
//! bouncing mailbox, a number WhatsApp cannot deliver to): the timeline
//! says so, the address is marked unreachable, and the message goes again
//! on the citizen's next channel (`notify.fallback`). The dispatcher calls
//! this when a send is refused; a channel calls it when the provider
//! reports the failure later.
//!
//! WhatsApp's refusal says nothing of the number itself (an old app, terms
//! not accepted): the number is stored once for WhatsApp and SMS, so it
//! stays reachable, and SMS is where such a message falls back to.

use super::{address_kind, enqueue, FallbackRoute, MessagePayload, NewMessage};
use crate::store::complaints::add_message_event;
use crate::store::entity::{citizen_address, outbox as outbox_row};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Records that `row`'s recipient cannot be reached on its channel
/// (`reason` says why) and sends the message on the next channel.
/// `actor` signs the timeline entries.
pub async fn unreachable<C: ConnectionTrait>(
    db: &C,
    fallback: &[FallbackRoute],
    row: &outbox_row::Model,
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(channel) = row
        .channel
        .as_deref()
        .and_then(|c| c.parse::<adapters::Channel>().ok())
    else {
        return Ok(());
    };
    if let (Some(recipient), true) = (&row.recipient, channel != adapters::Channel::Whatsapp) {
        citizen_address::Entity::update_many()
            .col_expr(citizen_address::Column::UnreachableAt, Some(now).into())
            .filter(citizen_address::Column::Kind.eq(address_kind(channel)))
            .filter(citizen_address::Column::Address.eq(recipient.as_str()))
            .exec(db)
            .await?;
    }
    let data = serde_json::json!({"outbox_id": row.id, "channel": row.channel});
    let note = Some(reason.to_string());
    add_message_event(db, row, actor, "message_unreachable", note, data, now).await?;
    fall_back(db, fallback, row, channel, actor, now).await
}

/// Sends `row`'s message again on the citizen's next channel, so the
/// timeline shows what reached whom.
async fn fall_back<C: ConnectionTrait>(
    db: &C,
    fallback: &[FallbackRoute],
    row: &outbox_row::Model,
    channel: adapters::Channel,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (Some(recipient), Some(payload)) = (&row.recipient, &row.payload) else {
        return Ok(());
    };
    let Some(address) = citizen_address::Entity::find()
        .filter(citizen_address::Column::Kind.eq(address_kind(channel)))
        .filter(citizen_address::Column::Address.eq(recipient.as_str()))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let route =
        crate::status::reporters::fallback_route(db, address.citizen_id, fallback, &[channel])
            .await?;
    let Some(route) = route else {
        tracing::warn!(
            outbox_id = row.id,
            "citizen unreachable on every configured channel"
        );
        return Ok(());
    };
    let Ok(mut payload) = serde_json::from_value::<MessagePayload>(payload.clone()) else {
        return Ok(());
    };
    payload.reply_to = None;
    let to = route.channel;
    enqueue(
        db,
        NewMessage {
            complaint_id: row.complaint_id,
            channel: route.channel,
            channel_account: route.account,
            recipient: route.recipient,
            payload,
        },
        now,
    )
    .await?;
    let data =
        serde_json::json!({"from": channel.as_str(), "to": to.as_str(), "outbox_id": row.id});
    add_message_event(db, row, actor, "message_fallback", None, data, now).await
}
