//! `POST /webhooks/telegram`: the secret token is checked before anything
//! else, then the update is handled; 200 only once it is committed, 5xx
//! when storage fails so Telegram delivers it again.

use super::handle::{HandleError, Handler};
use crate::config::Secret;
use crate::http::api_error::ApiError;
use adapters::telegram::{check_secret_token, WebhookError};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use std::sync::Arc;

/// Largest update body accepted (updates are small; files come by getFile).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
struct WebhookState {
    handler: Arc<Handler>,
    secret: Arc<Secret>,
}

pub fn routes(handler: Arc<Handler>, secret: Secret) -> Router {
    Router::new()
        .route("/webhooks/telegram", post(receive))
        .with_state(WebhookState {
            handler,
            secret: Arc::new(secret),
        })
}

fn refuse(state: &WebhookState, e: WebhookError) -> Response {
    state
        .handler
        .ctx
        .metrics
        .intake_rejected("telegram", e.code);
    tracing::warn!(
        code = e.code,
        field = e.field,
        status = e.status.as_u16(),
        "telegram webhook refused: {}",
        e.message_en
    );
    ApiError {
        status: e.status,
        code: e.code,
        field: Some(e.field.to_string()),
        message_id: e.message_id,
        message_en: e.message_en,
    }
    .into_response()
}

async fn receive(State(state): State<WebhookState>, req: Request) -> Response {
    if let Err(e) = check_secret_token(req.headers(), state.secret.expose()) {
        return refuse(&state, e);
    }
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return refuse(&state, WebhookError::not_an_update(&e.to_string())),
    };
    let Ok(raw) = std::str::from_utf8(&body) else {
        return refuse(&state, WebhookError::not_an_update("not UTF-8"));
    };
    match state.handler.handle(raw, None).await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"ok": true}))).into_response(),
        Err(HandleError::NotAnUpdate(detail)) => {
            refuse(&state, WebhookError::not_an_update(&detail))
        }
        Err(HandleError::Storage(e)) => {
            tracing::error!(error = %e, "telegram update not stored; Telegram will deliver it again");
            ApiError::unavailable().into_response()
        }
    }
}
