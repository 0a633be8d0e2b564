//! Web form errors: an HTTP status, a stable code, the offending field and
//! a message in Bahasa Indonesia and in English.

use axum::http::StatusCode;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebFormError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub message_id: String,
    pub message_en: String,
}

impl fmt::Display for WebFormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} (field `{field}`): {}", self.code, self.message_en),
            None => write!(f, "{}: {}", self.code, self.message_en),
        }
    }
}

impl std::error::Error for WebFormError {}

impl WebFormError {
    fn new(
        status: StatusCode,
        code: &'static str,
        field: Option<&str>,
        message_id: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        WebFormError {
            status,
            code,
            field: field.map(str::to_string),
            message_id: message_id.into(),
            message_en: message_en.into(),
        }
    }

    pub fn invalid(
        field: &str,
        message_id: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some(field),
            message_id,
            message_en,
        )
    }

    pub fn required(field: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            Some(field),
            format!("Kolom `{field}` wajib diisi."),
            format!("Field `{field}` is required."),
        )
    }

    pub fn unknown_field(field: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            Some(field),
            format!("Kolom `{field}` tidak dikenal."),
            format!("Field `{field}` is not known."),
        )
    }

    pub fn wrong_type(field: &str, expected_id: &str, expected_en: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_type",
            Some(field),
            format!("Kolom `{field}` harus berupa {expected_id}."),
            format!("Field `{field}` must be {expected_en}."),
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

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            None,
            format!("Ukuran kiriman melebihi batas {} KB.", limit / 1024),
            format!(
                "The submission is larger than the {} KB limit.",
                limit / 1024
            ),
        )
    }

    pub fn unsupported_media_type(got: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            None,
            format!("Jenis isi `{got}` tidak didukung; gunakan JSON, form, atau multipart."),
            format!("Content type `{got}` is not supported; use JSON, a form or multipart."),
        )
    }

    pub fn attachment_type(field: &str, got: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "attachment_type",
            Some(field),
            format!("Jenis berkas `{got}` tidak diizinkan; kirim foto JPEG, PNG, WebP atau HEIC."),
            format!("File type `{got}` is not allowed; send a JPEG, PNG, WebP or HEIC photo."),
        )
    }

    pub fn attachment_too_large(field: &str, limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            Some(field),
            format!("Foto melebihi batas {} KB.", limit / 1024),
            format!("The photo is larger than the {} KB limit.", limit / 1024),
        )
    }

    pub fn too_many_attachments(limit: usize) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_attachments",
            Some("photo"),
            format!("Paling banyak {limit} foto per pengaduan."),
            format!("At most {limit} photos per complaint."),
        )
    }

    pub fn idempotency_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            Some("Idempotency-Key"),
            "Header Idempotency-Key tidak sah (1-200 karakter tercetak).",
            "The Idempotency-Key header is invalid (1-200 printable characters).",
        )
    }
}
