//! A message the citizen's channel cannot deliver (a blocked bot, a
//! bouncing mailbox, a number WhatsApp or SMS cannot deliver to): the
//! timeline says so, the address is marked unreachable on that channel,
//! and the message goes again on the citizen's next channel
//! (`notify.fallback`). The dispatcher calls this when a send is refused;
//! a channel calls it when the provider reports the failure later.
//!
//! The mark is per channel: a phone number is one address for WhatsApp
//! and SMS, and one of them refusing it says nothing of the other. A
//! mark ends when the citizen writes on that channel again (they
//! unblocked the bot, fixed their mailbox).

use super::{enqueue, stored_address, FallbackRoute, MessagePayload, NewMessage};
use crate::store::complaints::add_message_event;
use crate::store::entity::{citizen_address, outbox as outbox_row};
use adapters::{Address, Channel};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Whether `channel` may try `address`: no report says it cannot.
pub fn reachable_on(address: &citizen_address::Model, channel: Channel) -> bool {
    !marks(address).any(|c| c == channel.as_str())
}

/// The channels marked on `address`.
fn marks(address: &citizen_address::Model) -> impl Iterator<Item = &str> {
    address
        .unreachable_on
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
}

/// Writes `marks` (channel names) on the address with id `id`.
async fn set_marks<C: ConnectionTrait>(
    db: &C,
    id: i64,
    marks: Vec<&str>,
    at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let on = (!marks.is_empty()).then(|| marks.join(" "));
    let mut update = citizen_address::Entity::update_many()
        .col_expr(citizen_address::Column::UnreachableOn, on.into())
        .filter(citizen_address::Column::Id.eq(id));
    if let Some(at) = at {
        update = update.col_expr(citizen_address::Column::UnreachableAt, Some(at).into());
    } else if marks.is_empty() {
        let none: Option<DateTime<Utc>> = None;
        update = update.col_expr(citizen_address::Column::UnreachableAt, none.into());
    }
    update.exec(db).await.map(|_| ())
}

/// Marks `address` unreachable on `channel`.
async fn mark<C: ConnectionTrait>(
    db: &C,
    address: &citizen_address::Model,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut on: Vec<&str> = marks(address).collect();
    if !on.contains(&channel.as_str()) {
        on.push(channel.as_str());
    }
    set_marks(db, address.id, on, Some(now)).await
}

/// The citizen wrote from `sender` on `channel`: the channel reaches them
/// again. `known` holds the message's addresses as they were stored
/// before it; nothing is written unless the sender's was marked.
pub async fn wrote_again<C: ConnectionTrait>(
    db: &C,
    known: &[citizen_address::Model],
    channel: Channel,
    sender: &Address,
) -> Result<(), DbErr> {
    let (kind, value) = (sender.kind(), sender.value());
    let Some(address) = known
        .iter()
        .find(|a| a.kind == kind && a.address == value && !reachable_on(a, channel))
    else {
        return Ok(());
    };
    let on: Vec<&str> = marks(address).filter(|c| *c != channel.as_str()).collect();
    set_marks(db, address.id, on, None).await
}

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
        .and_then(|c| c.parse::<Channel>().ok())
    else {
        return Ok(());
    };
    let address = match &row.recipient {
        Some(recipient) => stored_address(db, channel, recipient).await?,
        None => None,
    };
    if let Some(address) = &address {
        mark(db, address, channel, now).await?;
    }
    let data = serde_json::json!({"outbox_id": row.id, "channel": row.channel});
    let note = Some(reason.to_string());
    add_message_event(db, row, actor, "message_unreachable", note, data, now).await?;
    match address {
        Some(address) => fall_back(db, fallback, row, &address, channel, actor, now).await,
        None => Ok(()),
    }
}

/// Sends `row`'s message again on the next channel of the citizen at
/// `address`, so the timeline shows what reached whom.
async fn fall_back<C: ConnectionTrait>(
    db: &C,
    fallback: &[FallbackRoute],
    row: &outbox_row::Model,
    address: &citizen_address::Model,
    channel: Channel,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(payload) = &row.payload else {
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
