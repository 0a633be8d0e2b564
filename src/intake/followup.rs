//! Follow-ups: a message that belongs to a complaint the citizen already
//! has open joins it instead of opening a new one: a reply to one of our
//! messages, a message quoting the tracking code, or a photo or location
//! sent within the conversation window after the text.

use super::attachments::Stored;
use super::create::store_attachments;
use crate::complaint::Status;
use crate::notify::{texts, Notifier};
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::{complaint, inbound_message, outbox};
use adapters::{InboundMessage, TrackingCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

/// Why a message joined a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    RepliesToUs,
    QuotesCode,
    WithinWindow,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::RepliesToUs => "reply",
            Why::QuotesCode => "tracking_code",
            Why::WithinWindow => "conversation_window",
        }
    }
}

/// Longest caption ("ini fotonya", "lokasinya di sini") a photo or
/// location may carry and still count as an addition, not a new topic.
const MAX_ADDITION_WORDS: usize = 12;

fn is_open(c: &complaint::Model) -> bool {
    c.status
        .parse::<Status>()
        .map(Status::is_open)
        .unwrap_or(false)
}

fn is_addition(msg: &InboundMessage) -> bool {
    (!msg.attachments.is_empty() || msg.location.is_some())
        && msg.text.split_whitespace().count() <= MAX_ADDITION_WORDS
}

/// The open complaint `msg` continues, if any.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    msg: &InboundMessage,
    citizen_id: Option<i64>,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<(complaint::Model, Why)>, DbErr> {
    let Some(citizen_id) = citizen_id else {
        return Ok(None);
    };
    let mine = |c: &complaint::Model| c.citizen_id == Some(citizen_id) && is_open(c);

    if let Some(reply_to) = &msg.reply_to {
        // A reply to our acknowledgment or update, or to the citizen's own message.
        let ours = outbox::Entity::find()
            .filter(outbox::Column::Channel.eq(msg.channel.as_str()))
            .filter(outbox::Column::ExternalRef.eq(reply_to.as_str()))
            .one(db)
            .await?
            .and_then(|row| row.complaint_id);
        let theirs = match ours {
            Some(_) => None,
            None => inbound_message::Entity::find()
                .filter(inbound_message::Column::Channel.eq(msg.channel.as_str()))
                .filter(inbound_message::Column::ExternalId.eq(reply_to.as_str()))
                .one(db)
                .await?
                .and_then(|m| m.complaint_id),
        };
        if let Some(id) = ours.or(theirs) {
            if let Some(c) = complaint::Entity::find_by_id(id)
                .one(db)
                .await?
                .filter(mine)
            {
                return Ok(Some((c, Why::RepliesToUs)));
            }
        }
    }

    for word in msg.text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() != adapters::tracking_code::LEN {
            continue;
        }
        let Ok(code) = TrackingCode::parse(word) else {
            continue;
        };
        let found = complaint::Entity::find()
            .filter(complaint::Column::TrackingCode.eq(code.as_str()))
            .one(db)
            .await?
            .filter(mine);
        if let Some(c) = found {
            return Ok(Some((c, Why::QuotesCode)));
        }
    }

    if !is_addition(msg) {
        return Ok(None);
    }
    // The latest message this citizen sent on this channel and account.
    let Some(sender) = &msg.sender else {
        return Ok(None);
    };
    let last = inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq(msg.channel.as_str()))
        .filter(inbound_message::Column::ChannelAccount.eq(msg.channel_account.as_str()))
        .filter(inbound_message::Column::Sender.eq(sender.value()))
        .filter(inbound_message::Column::ComplaintId.is_not_null())
        .filter(inbound_message::Column::ExternalId.ne(msg.external_id.as_str()))
        .order_by_desc(inbound_message::Column::ReceivedAt)
        .one(db)
        .await?;
    let Some(last) = last.filter(|m| now - m.received_at <= window) else {
        return Ok(None);
    };
    let Some(id) = last.complaint_id else {
        return Ok(None);
    };
    Ok(complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(mine)
        .map(|c| (c, Why::WithinWindow)))
}

/// Adds the message to the complaint: its attachments, its location when
/// the complaint has none, its text appended, and a timeline entry; then
/// thanks the citizen.
#[allow(clippy::too_many_arguments)]
pub async fn join<C: ConnectionTrait>(
    db: &C,
    media_channels: &[adapters::Channel],
    notifier: &Notifier,
    c: &complaint::Model,
    why: Why,
    msg: &InboundMessage,
    inbound_id: i64,
    stored: Vec<Option<Stored>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    store_attachments(db, media_channels, c.id, inbound_id, msg, stored, now).await?;
    let mut update: complaint::ActiveModel = c.clone().into();
    if let Some(loc) = &msg.location {
        if c.lat.is_none() && loc.lat.is_some() {
            update.lat = Set(loc.lat);
            update.lon = Set(loc.lon);
        }
        if c.address_text.is_none() && loc.address.is_some() {
            update.address_text = Set(loc.address.clone());
        }
    }
    let addition = msg.text.trim();
    if !addition.is_empty() && why != Why::WithinWindow {
        update.body = Set(format!(
            "{}\n\n[{}] {addition}",
            c.body,
            now.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    update.updated_at = Set(now);
    update.update(db).await?;
    let actor = format!("channel:{}", msg.channel);
    add_event(
        db,
        NewEvent {
            complaint_id: c.id,
            actor: &actor,
            kind: "followup",
            from_status: None,
            to_status: None,
            note: (!addition.is_empty()).then(|| addition.to_string()),
            data: Some(serde_json::json!({
                "why": why.as_str(),
                "channel": msg.channel.as_str(),
                "external_id": msg.external_id.as_str(),
                "attachments": msg.attachments.len(),
                "location": msg.location.is_some(),
            })),
            at: now,
        },
    )
    .await?;
    let text = texts::joined(notifier.language, &c.tracking_code);
    if let Some(reply) = notifier.reply(msg, Some(c.id), "followup", text, Some(&c.tracking_code)) {
        crate::notify::enqueue(db, reply, now).await?;
    }
    Ok(())
}
