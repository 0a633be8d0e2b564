//! SMS webhook errors: an HTTP status, a stable code, the offending field
//! and a reason in Bahasa Indonesia and in English, for the gateway's
//! operators (providers only read the status).

use axum::http::StatusCode;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub message_id: String,
    pub message_en: String,
}

impl fmt::Display for SmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} (field `{field}`): {}", self.code, self.message_en),
            None => write!(f, "{}: {}", self.code, self.message_en),
        }
    }
}

impl std::error::Error for SmsError {}

impl SmsError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        field: Option<&str>,
        message_id: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        SmsError {
            status,
            code,
            field: field.map(str::to_string),
            message_id: message_id.into(),
            message_en: message_en.into(),
        }
    }

    pub fn required(field: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            Some(field),
            format!("Kolom `{field}` wajib ada."),
            format!("Field `{field}` is required."),
        )
    }

    pub fn invalid(field: &str, id: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some(field),
            id,
            en,
        )
    }

    pub fn not_utf8(field: &str) -> Self {
        Self::invalid(
            field,
            format!("Kolom `{field}` bukan teks UTF-8 yang sah."),
            format!("Field `{field}` is not valid UTF-8 text."),
        )
    }

    pub fn sender(field: &str) -> Self {
        Self::invalid(
            field,
            format!("Pengirim di kolom `{field}` bukan nomor telepon yang sah."),
            format!("The sender in field `{field}` is not a valid phone number."),
        )
    }

    pub fn malformed(format_en: &str, detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            None,
            format!("Isi permintaan bukan {format_en} yang sah: {detail}"),
            format!("The request body is not valid {format_en}: {detail}"),
        )
    }

    /// The request did not prove it comes from the provider. `field` names
    /// the header or field that failed, never the expected value.
    pub fn unauthorized(field: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "unauthorized",
            Some(field),
            format!("Autentikasi gagal (`{field}`)."),
            format!("Authentication failed (`{field}`)."),
        )
    }

    pub fn method(allowed: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
            format!("Gunakan metode {allowed}."),
            format!("Use the {allowed} method."),
        )
    }

    pub fn unknown_task(task: &str) -> Self {
        Self::invalid(
            "task",
            format!("Tugas `{task}` tidak dikenal."),
            format!("Task `{task}` is not known."),
        )
    }
}
