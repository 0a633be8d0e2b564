//! The web form channel: `POST /api/v1/complaints` as JSON, URL-encoded
//! form or multipart with photos. This module turns such a request into an
//! [`InboundMessage`] or a bilingual error naming the field; it stores nothing.

mod entry;
mod error;
mod fields;
mod read;

pub use entry::{entry, entry_fields, message_from_entry, ENTRY_START};
pub use error::WebFormError;
pub use fields::FIELDS;
pub use read::PHOTO_FIELD;

use crate::{Channel, ExternalId, InboundMessage};
use axum::extract::Request;
use serde::{Deserialize, Serialize};

/// Limits applied to every web form submission.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted request body in bytes, photos included.
    pub max_body_bytes: usize,
    /// Longest complaint text, in characters.
    pub max_text_chars: usize,
    /// Most photos in one submission.
    pub max_attachments: usize,
    /// Largest single photo in bytes.
    pub max_attachment_bytes: usize,
    /// MIME types accepted for photos, checked against the file's content.
    pub allowed_types: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 12 * 1024 * 1024,
            max_text_chars: 5000,
            max_attachments: 4,
            max_attachment_bytes: 5 * 1024 * 1024,
            allowed_types: vec![
                "image/jpeg".into(),
                "image/png".into(),
                "image/webp".into(),
                "image/heic".into(),
            ],
        }
    }
}

/// The header a client sets so a retried submission is answered once.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Longest accepted idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Parses a web form request. `channel_account` names the form (a city may
/// embed the form on several sites); `new_id` gives an external id when the
/// client sent no `Idempotency-Key`.
pub async fn parse_request(
    req: Request,
    limits: &Limits,
    channel_account: &str,
    new_id: impl FnOnce() -> String,
) -> Result<InboundMessage, WebFormError> {
    let external_id = match req.headers().get(IDEMPOTENCY_HEADER) {
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| WebFormError::idempotency_key())?;
            ExternalId::parse(&format!("key:{value}"))
                .map_err(|_| WebFormError::idempotency_key())?
        }
        None => ExternalId::parse(&new_id()).map_err(|_| WebFormError::idempotency_key())?,
    };
    let received = read::read_request(req, limits).await?;
    let submission = fields::Submission::from_pairs(received.fields, limits)?;
    Ok(submission.into_inbound(
        Channel::Webform,
        channel_account,
        external_id,
        received.attachments,
    ))
}
