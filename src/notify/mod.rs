//! Messages to citizens: what to tell whom, on which channel, written into
//! the outbox in the caller's transaction. Sending is the dispatcher's job;
//! this module never talks to a provider.

pub mod texts;
pub mod unreachable;

use crate::store::entity::{citizen_address, outbox};
use adapters::{Channel, InboundMessage, WhatsappUserId};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
pub use texts::MessageLanguage;

/// Destination name of messages sent back on `channel`.
pub fn reply_destination(channel: Channel) -> String {
    format!("reply:{channel}")
}

/// The message as stored in the outbox row's `payload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePayload {
    /// `ack`, `status`, `cek` ...: what the message is for.
    pub purpose: String,
    pub text: String,
    pub subject: Option<String>,
    /// Provider id of the citizen's message this answers.
    pub reply_to: Option<String>,
    pub tracking_code: Option<String>,
}

pub struct NewMessage {
    /// Absent when the message answers no complaint (a help text).
    pub complaint_id: Option<i64>,
    pub channel: Channel,
    pub channel_account: String,
    pub recipient: String,
    pub payload: MessagePayload,
}

/// Writes one outbound message into the outbox.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    m: NewMessage,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::insert(outbox_row(m, now))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The outbox row of one outbound message (for callers that insert many).
pub fn outbox_row(m: NewMessage, now: DateTime<Utc>) -> outbox::ActiveModel {
    let mut row = crate::store::outbox::new_row(m.complaint_id, &reply_destination(m.channel), now);
    row.kind = Set(crate::store::outbox::KIND_MESSAGE.into());
    row.channel = Set(Some(m.channel.as_str().into()));
    row.channel_account = Set(Some(m.channel_account));
    row.recipient = Set(Some(m.recipient));
    row.payload = Set(Some(serde_json::to_value(&m.payload).unwrap_or_default()));
    row
}

/// A channel and the account on it that sends to citizens who did not
/// write on that channel themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackRoute {
    pub channel: Channel,
    /// The sending account: a WhatsApp phone_number_id, an SMS gateway
    /// instance, the bot, the mailbox.
    pub account: String,
}

/// The address kind under which `recipient`, a recipient on `channel`,
/// is stored. A WhatsApp recipient is a phone number or, for a citizen
/// who hides their number behind a username, a WhatsApp user id.
pub fn address_kind(channel: Channel, recipient: &str) -> &'static str {
    match channel {
        Channel::Whatsapp if WhatsappUserId::parse(recipient).is_ok() => "whatsapp_user",
        _ => address_kinds(channel)[0],
    }
}

/// The stored row of `recipient`, a recipient on `channel`; none when no
/// citizen has that address.
pub async fn stored_address<C: ConnectionTrait>(
    db: &C,
    channel: Channel,
    recipient: &str,
) -> Result<Option<citizen_address::Model>, DbErr> {
    citizen_address::Entity::find()
        .filter(citizen_address::Column::Kind.eq(address_kind(channel, recipient)))
        .filter(citizen_address::Column::Address.eq(recipient))
        .one(db)
        .await
}

/// The address kinds `channel` sends to, the one to prefer first.
pub fn address_kinds(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Telegram => &["telegram"],
        Channel::Email => &["email"],
        // Meta asks for the number whenever it is known.
        Channel::Whatsapp => &["phone", "whatsapp_user"],
        _ => &["phone"],
    }
}

/// Settings for messages to citizens.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub city: String,
    pub public_url: String,
    pub language: MessageLanguage,
    pub fallback: Vec<FallbackRoute>,
}

impl Notifier {
    pub fn status_url(&self, code: &str) -> String {
        format!("{}/pengaduan/{code}", self.public_url.trim_end_matches('/'))
    }

    /// A reply on the channel `msg` came in on, to its sender; `None` for
    /// the web form (it answers on screen) or a message without sender.
    pub fn reply(
        &self,
        msg: &InboundMessage,
        complaint_id: Option<i64>,
        purpose: &str,
        text: String,
        tracking_code: Option<&str>,
    ) -> Option<NewMessage> {
        if msg.channel == Channel::Webform {
            return None;
        }
        Some(NewMessage {
            complaint_id,
            channel: msg.channel,
            channel_account: msg.channel_account.clone(),
            recipient: msg.sender.as_ref()?.value(),
            payload: MessagePayload {
                purpose: purpose.into(),
                subject: tracking_code.map(|c| format!("[{c}]")),
                text,
                reply_to: Some(msg.external_id.to_string()),
                tracking_code: tracking_code.map(str::to_string),
            },
        })
    }

    /// The acknowledgment for a new complaint, when the message came on a
    /// channel that can answer (the web form shows the code on screen).
    pub fn acknowledgment(
        &self,
        msg: &InboundMessage,
        complaint_id: i64,
        code: &str,
    ) -> Option<NewMessage> {
        if msg.channel == Channel::Webform {
            return None;
        }
        let recipient = msg.sender.as_ref()?.value();
        Some(NewMessage {
            complaint_id: Some(complaint_id),
            channel: msg.channel,
            channel_account: msg.channel_account.clone(),
            recipient,
            payload: MessagePayload {
                purpose: "ack".into(),
                text: texts::acknowledgment_for(
                    msg.channel,
                    self.language,
                    &self.city,
                    code,
                    &self.status_url(code),
                ),
                subject: Some(texts::acknowledgment_subject(self.language, code)),
                reply_to: Some(msg.external_id.to_string()),
                tracking_code: Some(code.to_string()),
            },
        })
    }
}
