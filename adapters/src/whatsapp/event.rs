//! What one webhook body says, item by item: citizens' messages, messages
//! kept only for the record, delivery reports on our own messages, and
//! items that are skipped, each with its reason.

use crate::InboundMessage;
use chrono::{DateTime, Utc};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A citizen's message: it becomes (or joins) a complaint.
    Message(Box<InboundMessage>),
    /// Kept for audit and acknowledged, never a complaint (a reaction, a
    /// type we cannot read, a group message).
    Record {
        message: Box<InboundMessage>,
        reason: Skip,
        detail: String,
    },
    /// Sent, delivered, read or failed: about a message we sent.
    Status(StatusReport),
    /// Nothing to keep; acknowledged so Meta does not send it again.
    Ignored {
        /// The receiving number, when the item named one.
        account: Option<String>,
        reason: Skip,
        detail: String,
    },
}

impl Event {
    /// The receiving number the item belongs to.
    pub fn account(&self) -> Option<&str> {
        match self {
            Event::Message(m) => Some(&m.channel_account),
            Event::Record { message, .. } => Some(&message.channel_account),
            Event::Status(s) => Some(&s.account),
            Event::Ignored { account, .. } => account.as_deref(),
        }
    }
}

/// Why an item is recorded only, or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Reaction,
    /// A message type satupintu cannot turn into a complaint.
    Unsupported,
    /// A message in a group chat, not a conversation with one citizen.
    Group,
    /// The sender is neither an international phone number nor a
    /// business-scoped user id.
    InvalidSender,
    /// The message id is empty or unusable.
    InvalidId,
    /// A status other than sent, delivered, read or failed.
    UnknownStatus,
    /// A webhook field other than `messages`.
    OtherField,
    /// A body for another Meta product.
    OtherObject,
    /// An item that does not have the documented shape.
    MalformedItem,
    /// Meta reported an error instead of a message.
    ProviderError,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Reaction => "reaction",
            Skip::Unsupported => "unsupported_type",
            Skip::Group => "group_message",
            Skip::InvalidSender => "invalid_sender",
            Skip::InvalidId => "invalid_id",
            Skip::UnknownStatus => "unknown_status",
            Skip::OtherField => "other_field",
            Skip::OtherObject => "other_object",
            Skip::MalformedItem => "malformed_item",
            Skip::ProviderError => "provider_error",
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one of our messages got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sent" => Some(DeliveryStatus::Sent),
            "delivered" => Some(DeliveryStatus::Delivered),
            "read" => Some(DeliveryStatus::Read),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Order of progress: reports can arrive out of order, and a late
    /// `delivered` must not undo a `read`. `failed` is final.
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    /// The number that sent the message (`phone_number_id`).
    pub account: String,
    /// The wamid of our message.
    pub message_id: String,
    pub status: DeliveryStatus,
    /// The citizen's `wa_id`, as Meta wrote it.
    pub recipient: Option<String>,
    pub at: DateTime<Utc>,
    /// `code: title (details)` for each error of a failed message.
    pub errors: Vec<String>,
    /// Meta's error codes, in the order of `errors`.
    pub error_codes: Vec<i64>,
}
