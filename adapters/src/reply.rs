//! Sending a message back to a citizen on the channel they used. Each
//! channel's client implements [`ReplySender`]; the gateway calls it from
//! its outbox, so a sender only sends once per call and never retries.

use crate::Channel;
use std::fmt;

/// One message to one citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundReply {
    /// Which of the city's numbers, bots or mailboxes sends it: the one
    /// that received the citizen's message.
    pub channel_account: String,
    /// The channel's address of the citizen (E.164 phone, chat id, e-mail).
    pub recipient: String,
    pub text: String,
    /// Provider id of the citizen's message this answers, for threading.
    pub reply_to: Option<String>,
    /// Stable across retries of this message.
    pub idempotency_key: String,
    /// An approved template, for channels that need one outside a
    /// conversation window (WhatsApp).
    pub template: Option<Template>,
    /// Subject line for channels that have one (e-mail).
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub parameters: Vec<String>,
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentReply {
    /// The provider's id for the sent message (status callbacks name it).
    pub provider_message_id: Option<String>,
    pub http_status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyErrorKind {
    /// Try again later (timeouts, 5xx, rate limits).
    Retryable,
    /// This message will never be accepted as it is.
    Permanent,
    /// The citizen cannot be reached on this address at all (blocked the
    /// bot, number not on WhatsApp, mailbox gone): try another channel.
    Unreachable,
    /// The channel only accepts this message later (WhatsApp's 24-hour
    /// window closed and no template configured).
    WindowClosed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub kind: ReplyErrorKind,
    pub message: String,
    pub http_status: Option<u16>,
    /// Seconds the provider asked us to wait (HTTP 429 `retry_after`).
    pub retry_after: Option<u64>,
}

impl ReplyError {
    pub fn new(kind: ReplyErrorKind, message: impl Into<String>) -> Self {
        ReplyError {
            kind,
            message: message.into(),
            http_status: None,
            retry_after: None,
        }
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReplyError {}

#[async_trait::async_trait]
pub trait ReplySender: Send + Sync {
    fn channel(&self) -> Channel;

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError>;
}
