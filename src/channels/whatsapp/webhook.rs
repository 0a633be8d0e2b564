//! `/webhooks/whatsapp`: the subscription handshake (GET) and Meta's
//! deliveries (POST). A delivery is answered 200 only once every item in
//! it is committed; a storage failure is 503 so Meta sends it again.

use super::status::{self, Recorded};
use crate::config::Secret;
use crate::http::api_error::ApiError;
use crate::intake::{Intake, IntakeError};
use crate::metrics::Metrics;
use crate::store::{outbox, Store};
use adapters::whatsapp::{self, Event, Handshake, WebhookError};
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use std::collections::BTreeSet;
use std::sync::Arc;

pub const PATH: &str = "/webhooks/whatsapp";
const CHANNEL: &str = "whatsapp";

pub struct Webhook {
    pub app_secret: Secret,
    pub verify_token: Secret,
    /// The configured `phone_number_id`s.
    pub accounts: BTreeSet<String>,
    pub max_body_bytes: usize,
    pub intake: Intake,
    pub store: Store,
    pub metrics: Metrics,
    /// Where a message WhatsApp cannot deliver goes next.
    pub fallback: Vec<crate::notify::FallbackRoute>,
}

pub fn routes(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route(PATH, get(handshake).post(receive))
        .with_state(webhook)
}

fn refused(e: WebhookError) -> Response {
    let mut response = ApiError {
        status: e.status,
        code: e.code,
        field: e.field.map(str::to_string),
        message_id: e.message_id,
        message_en: e.message_en,
    }
    .into_response();
    // The body may be left unread: the client must not reuse the connection.
    response
        .headers_mut()
        .insert(header::CONNECTION, "close".parse().expect("valid header"));
    response
}

async fn handshake(State(w): State<Arc<Webhook>>, RawQuery(query): RawQuery) -> Response {
    let query = Handshake::from_query(query.as_deref());
    match whatsapp::answer_handshake(&query, w.verify_token.expose()) {
        Ok(challenge) => {
            tracing::info!("WhatsApp webhook subscription verified");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain")],
                challenge,
            )
                .into_response()
        }
        Err(e) => {
            w.metrics.intake_rejected(CHANNEL, e.code);
            tracing::warn!(
                code = e.code,
                field = e.field.unwrap_or("-"),
                "WhatsApp webhook verification refused: {}",
                e.message_en
            );
            refused(e)
        }
    }
}

async fn receive(State(w): State<Arc<Webhook>>, req: Request) -> Response {
    let secret = w.app_secret.expose().as_bytes();
    let events = match whatsapp::receive(req, secret, w.max_body_bytes, Utc::now()).await {
        Ok(events) => events,
        Err(e) => {
            w.metrics.intake_rejected(CHANNEL, e.code);
            tracing::warn!(
                code = e.code,
                field = e.field.unwrap_or("-"),
                status = e.status.as_u16(),
                "WhatsApp webhook refused: {}",
                e.message_en
            );
            return refused(e);
        }
    };
    let count = events.len();
    for event in events {
        if let Err(e) = w.handle(event).await {
            tracing::error!(error = %e, "WhatsApp webhook not stored; Meta will send it again");
            return ApiError::unavailable().into_response();
        }
    }
    tracing::debug!(items = count, "WhatsApp webhook handled");
    (StatusCode::OK, "ok").into_response()
}

impl Webhook {
    /// Handles one item; an error means storage failed and the whole
    /// delivery must be answered 503.
    async fn handle(&self, event: Event) -> Result<(), IntakeError> {
        if let Some(account) = event.account() {
            if !self.accounts.contains(account) {
                tracing::warn!(
                    account,
                    field = "metadata.phone_number_id",
                    "WhatsApp item for a number not in channels.whatsapp.accounts; acknowledged, not stored"
                );
                self.metrics
                    .channel_event(CHANNEL, "ignored", "unknown_account");
                return Ok(());
            }
        }
        match event {
            // Meta needs to know the message is safe, nothing more: it
            // waits in the intake journal, and the pipeline takes it in.
            Event::Message(message) => match self.intake.enqueue(*message).await {
                Ok(()) => Ok(()),
                Err(IntakeError::Conflict(id)) => {
                    // Retrying cannot help: keep the first, acknowledge.
                    tracing::warn!(external_id = %id, field = "messages.id", "a wamid came again with different content; the first is kept");
                    self.metrics.channel_event(CHANNEL, "ignored", "conflict");
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Event::Record {
                message,
                reason,
                detail,
            } => {
                self.intake.record(&message).await?;
                if let Some(sender) = &message.sender {
                    // The citizen wrote (a reaction, say): the window is open
                    // again, as for any message, so held messages may go.
                    let txn = self.store.begin_write().await?;
                    let kinds = crate::notify::address_kinds(adapters::Channel::Whatsapp);
                    outbox::wake_waiting(&*txn, CHANNEL, sender, kinds, Utc::now()).await?;
                    txn.commit().await?;
                }
                tracing::info!(reason = %reason, external_id = %message.external_id, "WhatsApp message recorded without a complaint: {detail}");
                self.metrics
                    .channel_event(CHANNEL, "recorded", reason.as_str());
                Ok(())
            }
            Event::Status(report) => {
                let outcome = status::record(&self.store, &self.fallback, &report).await?;
                if outcome == Recorded::Unknown {
                    tracing::info!(provider_message_id = %report.message_id, status = report.status.as_str(), "WhatsApp status for a message we do not know; acknowledged");
                }
                let event = match outcome {
                    Recorded::Unknown => "status_unknown_message",
                    Recorded::Stale => "status_stale",
                    Recorded::Updated => "status",
                };
                self.metrics
                    .channel_event(CHANNEL, event, report.status.as_str());
                Ok(())
            }
            Event::Ignored { reason, detail, .. } => {
                tracing::info!(reason = %reason, "WhatsApp webhook item skipped: {detail}");
                self.metrics
                    .channel_event(CHANNEL, "ignored", reason.as_str());
                Ok(())
            }
        }
    }
}
