//! The e-mail channel: an RFC 5322 message becomes an [`InboundMessage`]
//! (or is classified as automatic mail that is never answered), IMAP reads
//! the mailbox and SMTP sends replies and complaints to agencies. This
//! module speaks the protocols only; it never stores or routes anything.

mod classify;
mod compose;
mod imap;
mod parse;
#[cfg(test)]
mod parse_tests;
mod smtp;
mod text;
mod tls;

pub use classify::Automatic;
pub use compose::{
    complaint_message_id, reply_message_id, reply_subject, MailFile, OutgoingMail,
    IDEMPOTENCY_HEADER,
};
pub use imap::{FetchedMail, ImapError, ImapSettings, Mailbox};
pub use parse::{
    parse, stored_bytes, thread_of, ParseError, ParseOptions, Parsed, Thread, RAW_BASE64, RAW_TEXT,
};
pub use smtp::{SmtpError, SmtpSender, SmtpSettings, ThreadLookup};
pub use text::{html_to_text, trim_quoted};
pub use tls::{check_security, is_loopback, Security};

use serde::{Deserialize, Serialize};

/// Limits applied to every inbound message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest message fetched and parsed, in bytes; larger ones are
    /// quarantined unread.
    pub max_message_bytes: u64,
    /// Longest complaint text kept, in characters (the rest is cut; the
    /// raw message keeps everything).
    pub max_text_chars: usize,
    /// Most attachments kept from one message.
    pub max_attachments: usize,
    /// Largest single attachment kept, in bytes.
    pub max_attachment_bytes: usize,
    /// MIME types kept, checked against the file's content where known.
    pub allowed_types: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 25 * 1024 * 1024,
            max_text_chars: 20_000,
            max_attachments: 8,
            max_attachment_bytes: 10 * 1024 * 1024,
            allowed_types: vec![
                "image/jpeg".into(),
                "image/png".into(),
                "image/webp".into(),
                "image/heic".into(),
                "image/gif".into(),
                "application/pdf".into(),
            ],
        }
    }
}
