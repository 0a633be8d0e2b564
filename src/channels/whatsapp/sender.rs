//! The reply sender the dispatcher uses for WhatsApp: free-form inside the
//! 24-hour window, the number's approved template outside it, and
//! `WindowClosed` (the message waits) when there is no template. It never
//! makes a send Meta is bound to reject, and waits its number's turn.

use super::config::AccountConfig;
use super::rate::SendRate;
use super::window;
use crate::complaint::Status;
use crate::notify::MessagePayload;
use crate::store::entity::{complaint, outbox};
use crate::store::Store;
use adapters::whatsapp::GraphClient;
use adapters::{
    Channel, OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply, Template,
};
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct WhatsappSender {
    pub client: GraphClient,
    pub store: Store,
    pub accounts: Arc<BTreeMap<String, AccountConfig>>,
    pub rate: Arc<SendRate>,
}

fn retry(what: &str, e: impl std::fmt::Display) -> ReplyError {
    ReplyError::new(ReplyErrorKind::Retryable, format!("{what}: {e}"))
}

/// The template's parameters: the tracking code and the status in the
/// template's language (an acknowledgment says "received" however far
/// the complaint has moved since; an update says where it is now).
async fn template_parameters<C: ConnectionTrait>(
    db: &C,
    reply: &OutboundReply,
    language: &str,
) -> Result<Vec<String>, ReplyError> {
    let row = outbox::Entity::find()
        .filter(outbox::Column::IdempotencyKey.eq(reply.idempotency_key.as_str()))
        .one(db)
        .await
        .map_err(|e| retry("database", e))?;
    let purpose = row
        .as_ref()
        .and_then(|r| r.payload.clone())
        .and_then(|p| serde_json::from_value::<MessagePayload>(p).ok())
        .map(|p| p.purpose);
    let complaint = match row.and_then(|r| r.complaint_id) {
        Some(id) => complaint::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(|e| retry("database", e))?,
        None => None,
    };
    let Some(c) = complaint else {
        return Err(ReplyError::new(
            ReplyErrorKind::Permanent,
            "no complaint for this message; cannot fill the template",
        ));
    };
    let status: Status = match purpose.as_deref() {
        Some("ack") => Status::Received,
        _ => c.status.parse().unwrap_or(Status::Received),
    };
    let label = if language.to_ascii_lowercase().starts_with("en") {
        status.label_en()
    } else {
        status.label_id()
    };
    Ok(vec![c.tracking_code, label.to_string()])
}

#[async_trait::async_trait]
impl ReplySender for WhatsappSender {
    fn channel(&self) -> Channel {
        Channel::Whatsapp
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let Some(account) = self.accounts.get(&reply.channel_account) else {
            return Err(ReplyError::new(
                ReplyErrorKind::Permanent,
                format!(
                    "number `{}` is not in channels.whatsapp.accounts",
                    reply.channel_account
                ),
            ));
        };
        let db = self.store.db();
        let last = window::last_inbound(db, &reply.channel_account, &reply.recipient)
            .await
            .map_err(|e| retry("database", e))?;
        let outgoing = if window::is_open(last, Utc::now()) {
            reply.clone()
        } else {
            let Some(template) = &account.template else {
                return Err(ReplyError::new(
                    ReplyErrorKind::WindowClosed,
                    "more than 24 hours since the citizen last wrote and no template is \
                     configured for this number: the message waits until they write again",
                ));
            };
            OutboundReply {
                template: Some(Template {
                    name: template.name.clone(),
                    language: template.language.clone(),
                    parameters: template_parameters(db, reply, &template.language).await?,
                }),
                reply_to: None,
                ..reply.clone()
            }
        };
        self.rate
            .until_ready(&reply.channel_account)
            .await
            .map_err(|_| {
                ReplyError::new(
                    ReplyErrorKind::Retryable,
                    "the gateway is shutting down; sent after it starts again",
                )
            })?;
        self.client.send_message(&outgoing).await
    }
}
