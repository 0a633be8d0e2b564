//! WhatsApp Business Cloud API: the webhook (subscription handshake,
//! `X-Hub-Signature-256`, parsing a body into events) and the Graph API
//! client (replies, templates, media download). Everything Meta dictates
//! lives here; nothing here touches the database or decides routing.

mod content;
mod error;
mod event;
mod graph;
mod media;
mod parse;
mod payload;
mod signature;

pub use error::{WebhookError, SIGNATURE_HEADER};
pub use event::{DeliveryStatus, Event, Skip, StatusReport};
pub use graph::{GraphClient, GraphSettings};
pub use media::{FetchedMedia, MediaError, MediaLimits};
pub use parse::{message_from_raw, parse};
pub use signature::{answer_handshake, sign, verify, Handshake};

use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use chrono::{DateTime, Utc};
use http_body_util::LengthLimitError;

/// Reads a webhook POST: the body within `max_body_bytes`, then the
/// signature over the raw bytes, and only then the JSON. A refusal
/// (oversized, unsigned, forged, not a webhook) carries its HTTP status.
pub async fn receive(
    req: Request,
    app_secret: &[u8],
    max_body_bytes: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, WebhookError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max_body_bytes) {
        return Err(WebhookError::too_large(max_body_bytes));
    }
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("").to_string());
    let body = match axum::body::to_bytes(req.into_body(), max_body_bytes).await {
        Ok(body) => body,
        Err(e) if is_length_limit(&e) => return Err(WebhookError::too_large(max_body_bytes)),
        Err(e) => return Err(WebhookError::unreadable(&e.to_string())),
    };
    verify(app_secret, signature.as_deref(), &body)?;
    parse(&body, now)
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests;
