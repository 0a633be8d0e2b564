//! The SMS webhooks: `/webhooks/sms/{name}` (messages, phone polls) and
//! `/webhooks/sms/{name}/status` (delivery reports). A provider gets 2xx
//! only after what it sent is committed; bad input gets a 4xx naming the
//! field, a storage failure a 503 so the provider retries.

use super::{parts, phone, Instance, Provider, SmsChannel};
use crate::intake::IntakeError;
use crate::store::sms::record_report;
use adapters::sms::smssync;
use adapters::sms::{Inbound, InboundRequest, SmsError};
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// SMS webhooks are small; anything bigger is not from a gateway.
const MAX_BODY: usize = 256 * 1024;

pub(crate) fn routes(channel: Arc<SmsChannel>) -> Router {
    Router::new()
        .route("/webhooks/sms/{name}", any(messages))
        .route("/webhooks/sms/{name}/status", any(reports))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(channel)
}

async fn messages(
    State(ch): State<Arc<SmsChannel>>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    handle(&ch, &name, req, false).await
}

async fn reports(
    State(ch): State<Arc<SmsChannel>>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    handle(&ch, &name, req, true).await
}

fn error_response(e: &SmsError) -> Response {
    let body = json!({"error": {
        "code": e.code, "field": e.field,
        "message": {"id": e.message_id, "en": e.message_en},
    }});
    (e.status, Json(body)).into_response()
}

fn unavailable() -> Response {
    let e = SmsError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        None,
        "Layanan sedang sibuk; pesan belum tersimpan. Kirim ulang nanti.",
        "The service is busy; the message was not stored. Send it again later.",
    );
    let mut response = error_response(&e);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    response
}

/// The request as the provider sent it: the URL it called (the configured
/// public URL when there is one), the caller's address, the body.
async fn read(
    req: Request,
    public_url: Option<&str>,
    report: bool,
) -> Result<InboundRequest, SmsError> {
    let (parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let query = parts.uri.query().unwrap_or("").to_string();
    let url = match public_url {
        Some(base) => {
            let base = if report {
                format!("{base}/status")
            } else {
                base.to_string()
            };
            if query.is_empty() {
                base
            } else {
                format!("{base}?{query}")
            }
        }
        None => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let scheme = parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("http");
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            format!("{scheme}://{host}{path}")
        }
    };
    let body = axum::body::to_bytes(Body::new(body), MAX_BODY)
        .await
        .map_err(|_| {
            SmsError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                None,
                format!("Isi permintaan melebihi {} KB.", MAX_BODY / 1024),
                format!("The request body is larger than {} KB.", MAX_BODY / 1024),
            )
        })?;
    Ok(InboundRequest {
        method: parts.method,
        url,
        query,
        headers: parts.headers,
        body,
        peer,
    })
}

fn parse(
    instance: &Instance,
    req: &InboundRequest,
    report: bool,
) -> Result<Option<Inbound>, SmsError> {
    match &instance.provider {
        Provider::Kannel(k) => k.parse(req, report).map(Some),
        Provider::Twilio { inbound, .. } => inbound.parse(req, report).map(Some),
        Provider::SmsSync { inbound, .. } if !report => inbound.parse(req).map(Some),
        Provider::Mapped(m) if !report => m.parse(req),
        _ => Err(SmsError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
            "Gateway ini tidak mengirim laporan ke alamat ini.",
            "This gateway does not send reports to this address.",
        )),
    }
}

/// The provider's idea of "received, thank you".
fn accepted(instance: &Instance) -> Response {
    match &instance.provider {
        // smsbox would send a non-empty body back as an SMS.
        Provider::Kannel(_) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "").into_response()
        }
        Provider::Twilio { .. } => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
        )
            .into_response(),
        Provider::SmsSync { .. } => Json(smssync::success_body()).into_response(),
        Provider::Mapped(_) => Json(json!({"ok": true})).into_response(),
    }
}

async fn handle(ch: &SmsChannel, name: &str, req: Request, report: bool) -> Response {
    let Some(instance) = ch.instances.get(name) else {
        tracing::warn!(instance = %name, "SMS webhook for an instance that is not configured");
        return error_response(&SmsError::new(
            StatusCode::NOT_FOUND,
            "unknown_instance",
            None,
            format!("Gateway SMS `{name}` tidak dikenal."),
            format!("SMS gateway `{name}` is not known."),
        ));
    };
    let public_url = match &instance.provider {
        Provider::Twilio { public_url, .. } => public_url.as_deref(),
        _ => None,
    };
    let parsed = match read(req, public_url, report).await {
        Ok(r) => parse(instance, &r, report),
        Err(e) => Err(e),
    };
    let inbound = match parsed {
        Ok(Some(inbound)) => inbound,
        Ok(None) => {
            ch.metrics.channel_event("sms", "ignored", name);
            tracing::info!(instance = %name, "gateway payload is not a message; acknowledged and ignored");
            return accepted(instance);
        }
        Err(e) => {
            ch.metrics.intake_rejected("sms", e.code);
            tracing::warn!(
                instance = %name, code = e.code, field = e.field.as_deref().unwrap_or("-"),
                status = e.status.as_u16(), "SMS webhook refused: {}", e.message_en
            );
            return error_response(&e);
        }
    };
    match inbound {
        Inbound::Message(sms) => take_message(ch, instance, sms).await,
        Inbound::Reports(reports) => record_reports(ch, instance, reports).await,
        Inbound::TasksQueued(uuids) => {
            let reports = uuids
                .iter()
                .map(|u| adapters::sms::DeliveryReport {
                    provider_message_id: u.clone(),
                    status: "queued",
                    error: None,
                })
                .collect();
            match store_reports(ch, reports).await {
                Ok(()) => Json(smssync::uuids_body(&uuids)).into_response(),
                Err(e) => storage_failed(name, &e),
            }
        }
        Inbound::FetchTasks => {
            let Provider::SmsSync { inbound, hand_over } = &instance.provider else {
                return accepted(instance);
            };
            match phone::hand_over(&ch.store, instance, hand_over).await {
                Ok(tasks) => {
                    if !tasks.is_empty() {
                        ch.metrics.channel_event("sms", "handed_to_phone", name);
                        tracing::info!(instance = %name, messages = tasks.len(), "messages handed to the phone");
                    }
                    Json(smssync::tasks_body(inbound.secret(), &tasks)).into_response()
                }
                Err(e) => storage_failed(name, &e),
            }
        }
        Inbound::ResultsWanted => match phone::awaiting_reports(&ch.store, instance).await {
            Ok(uuids) => Json(smssync::uuids_body(&uuids)).into_response(),
            Err(e) => storage_failed(name, &e),
        },
    }
}

fn storage_failed(name: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(instance = %name, error = %e, "SMS webhook could not be stored; the gateway will retry");
    unavailable()
}

async fn take_message(
    ch: &SmsChannel,
    instance: &Instance,
    sms: adapters::sms::SmsMessage,
) -> Response {
    let name = &instance.name;
    let external_id = sms.message.external_id.clone();
    let result = match sms.part {
        Some(part) => parts::accept_part(ch, sms, part).await,
        None => ch.intake.accept(sms.message).await.map(Some),
    };
    match result {
        Ok(Some(a)) => {
            tracing::info!(instance = %name, external_id = %external_id, tracking_code = ?a.tracking_code.as_ref().map(|c| c.as_str()), outcome = ?a.outcome, "SMS taken in");
            accepted(instance)
        }
        Ok(None) => accepted(instance),
        Err(IntakeError::Conflict(id)) => {
            ch.metrics.intake_rejected("sms", "external_id_reused");
            tracing::warn!(instance = %name, external_id = %id, "message id reused for a different message");
            error_response(&SmsError::new(
                StatusCode::CONFLICT,
                "external_id_reused",
                None,
                "Id pesan ini sudah dipakai untuk pesan lain.",
                "This message id was already used for a different message.",
            ))
        }
        Err(e) => storage_failed(name, &e),
    }
}

async fn store_reports(
    ch: &SmsChannel,
    reports: Vec<adapters::sms::DeliveryReport>,
) -> Result<(), sea_orm::DbErr> {
    let txn = ch.store.begin_write().await?;
    for r in &reports {
        let known = record_report(
            &*txn,
            "sms",
            &r.provider_message_id,
            r.status,
            r.error.clone(),
            Utc::now(),
        )
        .await?;
        if !known {
            tracing::debug!(provider_message_id = %r.provider_message_id, "delivery report for a message we do not know");
        }
    }
    txn.commit().await
}

async fn record_reports(
    ch: &SmsChannel,
    instance: &Instance,
    reports: Vec<adapters::sms::DeliveryReport>,
) -> Response {
    let n = reports.len();
    match store_reports(ch, reports).await {
        Ok(()) => {
            ch.metrics.channel_event("sms", "report", &instance.name);
            tracing::debug!(instance = %instance.name, reports = n, "delivery reports recorded");
            match &instance.provider {
                Provider::SmsSync { .. } => Json(smssync::success_body()).into_response(),
                _ => accepted(instance),
            }
        }
        Err(e) => storage_failed(&instance.name, &e),
    }
}
