//! API errors: a status, a stable code, the offending field, and a reason
//! in Bahasa Indonesia and in English. Never a 500 for bad input.

use adapters::webform::WebFormError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub message_id: String,
    pub message_en: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        id: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            field: None,
            message_id: id.into(),
            message_en: en.into(),
        }
    }

    pub fn not_found_complaint() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Kode pelacakan tidak ditemukan. Periksa kembali kode Anda.",
            "Tracking code not found. Please check the code.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Layanan sedang sibuk; pengaduan Anda belum tersimpan. Silakan coba lagi sebentar lagi.",
            "The service is busy; your complaint was not saved. Please try again shortly.",
        )
    }
}

impl From<WebFormError> for ApiError {
    fn from(e: WebFormError) -> Self {
        ApiError {
            status: e.status,
            code: e.code,
            field: e.field,
            message_id: e.message_id,
            message_en: e.message_en,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": {
                "code": self.code,
                "field": self.field,
                "message": { "id": self.message_id, "en": self.message_en },
            }
        });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("5"));
        }
        response
    }
}
