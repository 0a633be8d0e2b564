//! Mail that a machine wrote: auto-replies, out-of-office notices, bounces
//! and bulk mail. Such mail never becomes a complaint and is never
//! answered, so two auto-responders can never talk to each other forever.

use mail_parser::{Message, MimeHeaders};

/// Why a message is automatic (RFC 3834 and the headers mail systems use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`,
    /// or an out-of-office subject.
    AutoReply,
    /// A delivery status notification (`multipart/report`, a mailer daemon).
    Bounce,
    /// `Precedence: bulk`, `junk` or `list`.
    Bulk,
    /// Sent from our own mailbox address: answering it would loop.
    OwnAddress,
}

impl Automatic {
    pub fn as_str(self) -> &'static str {
        match self {
            Automatic::AutoReply => "auto_reply",
            Automatic::Bounce => "bounce",
            Automatic::Bulk => "bulk",
            Automatic::OwnAddress => "own_address",
        }
    }
}

/// Subject prefixes mail clients put on out-of-office replies that carry
/// none of the standard headers (Indonesian and English clients).
const AUTO_SUBJECTS: [&str; 7] = [
    "auto:",
    "automatic reply",
    "autoreply",
    "out of office",
    "otomatis:",
    "balasan otomatis",
    "di luar kantor",
];

/// The first header called `name` (any case), trimmed and lower-cased.
fn header(msg: &Message<'_>, name: &str) -> Option<String> {
    msg.headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
}

/// Whether `msg` was written by a machine; `own` are our own addresses.
pub fn classify(msg: &Message<'_>, sender: Option<&str>, own: &[String]) -> Option<Automatic> {
    if let Some(from) = sender {
        if own.iter().any(|o| o.eq_ignore_ascii_case(from)) {
            return Some(Automatic::OwnAddress);
        }
        let local = from
            .split('@')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if local == "mailer-daemon" || local == "postmaster" {
            return Some(Automatic::Bounce);
        }
    }
    if msg.is_content_type("multipart", "report") {
        return Some(Automatic::Bounce);
    }
    if header(msg, "Return-Path").is_some_and(|v| v == "<>") {
        return Some(Automatic::Bounce);
    }
    if header(msg, "Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return Some(Automatic::AutoReply);
    }
    if header(msg, "X-Autoreply").is_some() || header(msg, "X-Autorespond").is_some() {
        return Some(Automatic::AutoReply);
    }
    if header(msg, "Precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
    {
        return Some(Automatic::Bulk);
    }
    let subject = msg.subject().unwrap_or_default().trim().to_lowercase();
    if AUTO_SUBJECTS.iter().any(|p| subject.starts_with(p)) {
        return Some(Automatic::AutoReply);
    }
    None
}
