//! Channel adapters: everything a channel provider dictates and nothing else.
//! Each channel module owns its payload types, signature checks and parsing
//! into [`InboundMessage`]. Adapters never touch the database and never route.

/// The conversions of a string newtype whose one way in is a checking
/// constructor: `TryFrom<String>` through `$check` (so serde, with
/// `try_from = "String"`, checks too), back into `String`, `as_str` and
/// `Display`.
macro_rules! checked_string {
    ($name:ident, $check:path, $error:ty) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $check(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

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
