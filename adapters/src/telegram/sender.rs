//! Replies through the bot, within Telegram's limits: about one message a
//! second per chat and thirty a second in all. Waiting for a slot holds no
//! lock; a 429 is handed back with its `retry_after` for the outbox.

use super::{message_ref, parse_message_ref, BotClient};
use crate::{Channel, OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sending rates; Telegram's published limits are the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Messages per second to one chat.
    pub per_chat_per_second: u32,
    /// Messages per second over all chats.
    pub global_per_second: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_chat_per_second: 1,
            global_per_second: 30,
        }
    }
}

pub struct TelegramSender {
    client: BotClient,
    per_chat: DefaultKeyedRateLimiter<i64>,
    global: DefaultDirectRateLimiter,
    sent: AtomicU64,
}

impl TelegramSender {
    pub fn new(client: BotClient, limits: &RateLimits) -> Self {
        let rate = |n: u32| Quota::per_second(NonZeroU32::new(n.max(1)).expect("at least 1"));
        TelegramSender {
            client,
            per_chat: RateLimiter::keyed(rate(limits.per_chat_per_second)),
            global: RateLimiter::direct(rate(limits.global_per_second)),
            sent: AtomicU64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl ReplySender for TelegramSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let chat_id: i64 = reply.recipient.parse().map_err(|_| {
            ReplyError::new(
                ReplyErrorKind::Permanent,
                format!("recipient `{}` is not a Telegram chat id", reply.recipient),
            )
        })?;
        // Threading only when the reference is a message of this chat.
        let reply_to = reply
            .reply_to
            .as_deref()
            .and_then(parse_message_ref)
            .filter(|(chat, _)| *chat == chat_id)
            .map(|(_, id)| id);
        self.per_chat.until_key_ready(&chat_id).await;
        self.global.until_ready().await;
        if self.sent.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            // Forget chats that have been quiet, so the map stays small.
            self.per_chat.retain_recent();
        }
        let id = self
            .client
            .send_text(chat_id, &reply.text, reply_to)
            .await?;
        Ok(SentReply {
            provider_message_id: Some(message_ref(chat_id, id)),
            http_status: Some(200),
        })
    }
}
