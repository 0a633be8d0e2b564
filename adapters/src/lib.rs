//! Channel adapters: everything a channel provider dictates and nothing else.
//! Each channel module owns its payload types, signature checks and parsing
//! into [`InboundMessage`]. Adapters never touch the database and never route.

pub mod address;
pub mod channel;
pub mod email;
pub mod message;
pub mod reply;
pub mod sms;
pub mod telegram;
pub mod tracking_code;
pub mod webform;
pub mod whatsapp;

pub use address::{Address, AddressError, EmailAddress, PhoneE164, WhatsappUserId};
pub use channel::Channel;
pub use message::{Attachment, ExternalId, Flags, InboundMessage, Location, MediaRef, RawPayload};
pub use reply::{OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply, Template};
pub use tracking_code::{TrackingCode, TrackingCodeError};
