//! The webhook's gate: Telegram sends the secret token set with
//! setWebhook in `X-Telegram-Bot-Api-Secret-Token`; it is compared in
//! constant time before the body is even read.

use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SECRET_TOKEN_HEADER: &str = "x-telegram-bot-api-secret-token";

/// A refused webhook request: status, stable code, the offending field and
/// a message in Bahasa Indonesia and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: &'static str,
    pub message_id: String,
    pub message_en: String,
}

impl WebhookError {
    pub fn secret_token() -> Self {
        WebhookError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_secret_token",
            field: "X-Telegram-Bot-Api-Secret-Token",
            message_id: "Token rahasia webhook tidak ada atau salah.".into(),
            message_en: "The webhook secret token is missing or wrong.".into(),
        }
    }

    pub fn not_an_update(detail: &str) -> Self {
        WebhookError {
            status: StatusCode::BAD_REQUEST,
            code: "not_an_update",
            field: "body",
            message_id: format!("Isi permintaan bukan update Bot API: {detail}"),
            message_en: format!("The body is not a Bot API update: {detail}"),
        }
    }
}

/// Checks the secret token header against `expected`. Both sides are
/// hashed first, so the comparison takes the same time whatever their
/// lengths and wherever they differ.
pub fn check_secret_token(headers: &HeaderMap, expected: &str) -> Result<(), WebhookError> {
    let got = headers
        .get(SECRET_TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let got = Sha256::digest(got);
    let want = Sha256::digest(expected.as_bytes());
    if bool::from(got.ct_eq(&want)) && !expected.is_empty() {
        Ok(())
    } else {
        Err(WebhookError::secret_token())
    }
}
