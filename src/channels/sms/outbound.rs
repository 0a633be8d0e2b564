//! The SMS reply sender the outbox calls: picks the instance that received
//! the citizen's message (the row's channel account), applies its rate
//! limits, and hands the message to that provider's client. It never
//! retries itself; a refusal carries how long to wait.

use super::limits::Limiter;
use crate::metrics::Metrics;
use adapters::sms::segments;
use adapters::{Channel, OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) struct Route {
    pub sender: Arc<dyn ReplySender>,
    pub limiter: Arc<Limiter>,
    /// A phone that polls: the limits apply when it takes messages.
    pub phone: bool,
}

pub(crate) struct SmsSender {
    routes: HashMap<String, Route>,
    metrics: Metrics,
}

impl SmsSender {
    pub fn new(routes: HashMap<String, Route>, metrics: Metrics) -> Self {
        SmsSender { routes, metrics }
    }
}

/// Whole seconds to wait, at least one.
pub(crate) fn wait_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[async_trait::async_trait]
impl ReplySender for SmsSender {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let Some(route) = self.routes.get(&reply.channel_account) else {
            // The instance may come back with the next configuration.
            return Err(ReplyError::new(
                ReplyErrorKind::Retryable,
                format!(
                    "SMS instance `{}` is not configured to send in this gateway",
                    reply.channel_account
                ),
            ));
        };
        if !route.phone {
            let sms = segments::count(&reply.text).segments as u32;
            if let Err(wait) = route.limiter.check(&reply.recipient, sms) {
                self.metrics
                    .channel_event("sms", "rate_limited", &reply.channel_account);
                let mut e = ReplyError::new(
                    ReplyErrorKind::Retryable,
                    format!("rate limit of SMS instance `{}`", reply.channel_account),
                );
                e.retry_after = Some(wait_secs(wait));
                return Err(e);
            }
        }
        route.sender.send(reply).await
    }
}
