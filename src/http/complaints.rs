//! The public complaint API: submit (the web form channel) and look up a
//! tracking code. Lookups never show personal data.

use super::api_error::ApiError;
use super::{pages, public_view, AppState};
use crate::complaint::Status;
use crate::intake::IntakeError;
use adapters::webform;
use adapters::TrackingCode;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

/// True when a browser posted the HTML form (no JavaScript).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html") && !a.contains("application/json"))
}

fn accepted_body(state: &AppState, code: &TrackingCode, status: Status) -> serde_json::Value {
    serde_json::json!({
        "tracking_code": code,
        "status": status,
        "status_label": { "id": status.label_id(), "en": status.label_en() },
        "status_url": format!("{}/pengaduan/{code}", state.config.server.public_url.trim_end_matches('/')),
        "message": {
            "id": format!("Pengaduan Anda diterima. Simpan kode pelacakan {code} untuk memantau statusnya."),
            "en": format!("Your complaint was received. Keep tracking code {code} to follow its status."),
        },
    })
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let html = wants_html(req.headers());
    // A submission is answered once it is journaled, with the code its
    // complaint takes; one with an Idempotency-Key may come again, and a
    // retry gets the first answer.
    let keyed = req.headers().contains_key(webform::IDEMPOTENCY_HEADER);
    let lang = pages::Lang::from_query(req.uri().query());
    let limits = &state.config.webform.limits;
    let parsed = webform::parse_request(req, limits, &state.config.webform.account, || {
        format!("auto:{}", uuid::Uuid::now_v7().simple())
    })
    .await;
    let message = match parsed {
        Ok(m) => m,
        Err(e) => {
            state.metrics.intake_rejected("webform", e.code);
            tracing::warn!(
                code = e.code,
                field = e.field.as_deref().unwrap_or("-"),
                status = e.status.as_u16(),
                "web form submission refused: {}",
                e.message_en
            );
            let error = ApiError::from(e);
            let mut response = if html {
                pages::form_with_error(&state, lang, &error)
            } else {
                error.into_response()
            };
            // The body may be left unread: tell the client not to reuse the
            // connection rather than let it race our closing it.
            response
                .headers_mut()
                .insert(header::CONNECTION, "close".parse().expect("valid header"));
            return response;
        }
    };
    let accepted = state.intake.accept_later(message, keyed).await.map(|a| {
        let replayed = a.replayed();
        (a.tracking_code, a.status, replayed)
    });
    match accepted {
        Ok((Some(code), _, _)) if html => {
            Redirect::to(&format!("/pengaduan/{code}?baru=1{}", lang.query_suffix()))
                .into_response()
        }
        Ok((Some(code), status, replayed)) => {
            let status = status.unwrap_or(Status::Received);
            let mut response = (
                StatusCode::CREATED,
                Json(accepted_body(&state, &code, status)),
            )
                .into_response();
            if replayed {
                response
                    .headers_mut()
                    .insert("idempotent-replayed", "true".parse().expect("valid header"));
            }
            response
        }
        Ok((None, _, _)) => {
            // The web form always creates a complaint; this would be a bug.
            tracing::error!("web form submission accepted without a complaint");
            ApiError::unavailable().into_response()
        }
        Err(IntakeError::Conflict(key)) => {
            tracing::warn!(idempotency_key = %key, "idempotency key reused with a different submission");
            let mut e = ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Idempotency-Key ini sudah dipakai untuk pengaduan lain.",
                "This Idempotency-Key was already used for a different complaint.",
            );
            e.field = Some("Idempotency-Key".into());
            e.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "web form submission could not be stored");
            let error = ApiError::unavailable();
            if html {
                pages::form_with_error(&state, lang, &error)
            } else {
                error.into_response()
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    match public_view::load(&state, &code).await {
        Ok(Some(view)) => Json(view).into_response(),
        Ok(None) => ApiError::not_found_complaint().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "complaint lookup failed");
            ApiError::unavailable().into_response()
        }
    }
}
