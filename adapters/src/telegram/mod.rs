//! The Telegram channel: Bot API updates (from getUpdates or the webhook)
//! parsed into what the gateway handles, the Bot API client (updates, file
//! downloads, sending) and the rate-limited reply sender. It stores nothing.

mod client;
mod sender;
mod update;
mod webhook;

#[cfg(test)]
mod tests;

pub use client::{BotClient, FetchError, FetchedUpdate, PollError};
pub use sender::{RateLimits, TelegramSender};
pub use update::{parse, ChatMessage, Command, Event, FileKind, FileToFetch, ParseError};
pub use webhook::{check_secret_token, WebhookError, SECRET_TOKEN_HEADER};

use serde::{Deserialize, Serialize};

/// What the bot takes from citizens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest photo size in bytes; the largest size of a photo's ladder
    /// under it is fetched.
    pub max_photo_bytes: u64,
    /// Largest document, voice note or video in bytes (the Bot API serves
    /// at most 20 MB through getFile).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_photo_bytes: 5 * 1024 * 1024,
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The provider reference of a message in a chat, as stored for messages
/// the bot sends (`SentReply::provider_message_id`) and used for a
/// citizen's `reply_to`: `<chat id>:<message id>`.
pub fn message_ref(chat_id: i64, message_id: i32) -> String {
    format!("{chat_id}:{message_id}")
}

/// The inverse of [`message_ref`].
pub fn parse_message_ref(value: &str) -> Option<(i64, i32)> {
    let (chat, message) = value.split_once(':')?;
    Some((chat.parse().ok()?, message.parse().ok()?))
}

/// The external id of an update: its `update_id` scoped by the bot, the
/// idempotency key in both polling and webhook mode.
pub fn external_id(account: &str, update_id: u32) -> String {
    format!("{account}:{update_id}")
}
