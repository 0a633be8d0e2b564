//! Messages to citizens as a destination: the channel adapter's
//! [`ReplySender`] behind the same interface as LAPOR or a webhook, so
//! they share the outbox's retries, idempotency and dead letters.

use super::destination::{DeliveryError, Destination, FailureKind, Job, Receipt};
use adapters::{OutboundReply, ReplyErrorKind, ReplySender};
use std::sync::Arc;
use std::time::Duration;

pub struct ReplyDestination {
    sender: Arc<dyn ReplySender>,
}

impl ReplyDestination {
    pub fn new(sender: Arc<dyn ReplySender>) -> Self {
        ReplyDestination { sender }
    }
}

#[async_trait::async_trait]
impl Destination for ReplyDestination {
    fn kind(&self) -> &'static str {
        "reply"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let Some(m) = &job.message else {
            return Err(DeliveryError::permanent("not a message to a citizen"));
        };
        let reply = OutboundReply {
            channel_account: m.channel_account.clone(),
            recipient: m.recipient.clone(),
            text: m.payload.text.clone(),
            reply_to: m.payload.reply_to.clone(),
            idempotency_key: job.idempotency_key.clone(),
            template: None,
            subject: m.payload.subject.clone(),
        };
        match self.sender.send(&reply).await {
            Ok(sent) => Ok(Receipt {
                external_ref: sent.provider_message_id,
                http_status: sent.http_status,
                ..Default::default()
            }),
            Err(e) => {
                let kind = match e.kind {
                    ReplyErrorKind::Retryable => FailureKind::Retryable,
                    ReplyErrorKind::Permanent => FailureKind::Permanent,
                    ReplyErrorKind::Unreachable => FailureKind::Unreachable,
                    ReplyErrorKind::WindowClosed => FailureKind::Wait,
                };
                let mut error = DeliveryError::new(kind, e.message);
                error.http_status = e.http_status;
                error.retry_after = e.retry_after.map(Duration::from_secs);
                Err(error)
            }
        }
    }
}
