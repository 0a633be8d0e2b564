//! Why a webhook request is refused: an HTTP status, a stable code, the
//! offending field, and a message in Bahasa Indonesia and in English.
//! Refusals store nothing; the gateway answers them as they are.

use axum::http::StatusCode;
use std::fmt;

/// The header Meta signs every webhook POST with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<&'static str>,
    pub message_id: String,
    pub message_en: String,
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{} (field `{field}`): {}", self.code, self.message_en),
            None => write!(f, "{}: {}", self.code, self.message_en),
        }
    }
}

impl std::error::Error for WebhookError {}

impl WebhookError {
    fn new(
        status: StatusCode,
        code: &'static str,
        field: Option<&'static str>,
        message_id: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        WebhookError {
            status,
            code,
            field,
            message_id: message_id.into(),
            message_en: message_en.into(),
        }
    }

    pub fn missing_signature() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing_signature",
            Some("X-Hub-Signature-256"),
            "Header X-Hub-Signature-256 tidak ada.",
            "The X-Hub-Signature-256 header is missing.",
        )
    }

    pub fn bad_signature() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            Some("X-Hub-Signature-256"),
            "Tanda tangan X-Hub-Signature-256 tidak cocok dengan isi permintaan.",
            "The X-Hub-Signature-256 signature does not match the request body.",
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            None,
            format!("Isi permintaan melebihi batas {} KB.", limit / 1024),
            format!(
                "The request body is larger than the {} KB limit.",
                limit / 1024
            ),
        )
    }

    pub fn unreadable(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            None,
            format!("Isi permintaan tidak dapat dibaca: {detail}"),
            format!("The request body could not be read: {detail}"),
        )
    }

    pub fn malformed(field: Option<&'static str>, detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            field,
            format!("Isi permintaan bukan webhook WhatsApp yang sah: {detail}"),
            format!("The request body is not a valid WhatsApp webhook: {detail}"),
        )
    }

    /// The subscription handshake failed (wrong mode or token).
    pub fn forbidden(field: &'static str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "verification_failed",
            Some(field),
            format!("Verifikasi langganan webhook gagal (`{field}`)."),
            format!("Webhook subscription verification failed (`{field}`)."),
        )
    }
}
