//! Channel wiring: for each configured channel, the webhook routes the
//! gateway mounts, the reply sender the dispatcher uses, and any background
//! worker (polling a mailbox, a bot's long polling). The protocol itself
//! lives in `adapters/`; routing and storage know nothing of channels.

pub mod email;
mod media;
pub mod sms;
pub mod telegram;
pub mod whatsapp;

use crate::dispatch::destination::Destination;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::store::Store;
use adapters::ReplySender;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// `[channels.*]`: each channel is off until configured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelsConfig {
    pub whatsapp: Option<whatsapp::WhatsappConfig>,
    pub telegram: Option<telegram::TelegramConfig>,
    pub email: Option<email::EmailConfig>,
    pub sms: Option<sms::SmsConfig>,
}

/// What a channel needs from the gateway.
#[derive(Clone)]
pub struct ChannelContext {
    pub intake: Intake,
    pub store: Store,
    pub metrics: Metrics,
    /// The city's name and the language citizens are answered in.
    pub notifier: Arc<Notifier>,
    /// Every secret start-up reads, read once.
    pub secrets: crate::config::Secrets,
}

/// A long-running task; it must return soon after the token is cancelled.
pub type Worker = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// What the configured channels add to the running gateway.
#[derive(Default)]
pub struct ChannelParts {
    /// Webhook routes, with their own state, merged into the HTTP server.
    pub routes: axum::Router,
    pub senders: Vec<Arc<dyn ReplySender>>,
    /// Further outbox destinations the channel serves, by name (the
    /// fetcher of its media, `media:<channel>`).
    pub destinations: Vec<(String, Arc<dyn Destination>)>,
    pub workers: Vec<Worker>,
}

impl ChannelParts {
    fn add(&mut self, other: ChannelParts) {
        self.routes = std::mem::take(&mut self.routes).merge(other.routes);
        self.senders.extend(other.senders);
        self.destinations.extend(other.destinations);
        self.workers.extend(other.workers);
    }
}

impl ChannelsConfig {
    /// The secrets the configured channels read at start.
    pub fn secrets(&self) -> Vec<crate::config::NamedSecret<'_>> {
        let mut secrets = Vec::new();
        if let Some(c) = &self.whatsapp {
            secrets.extend(c.secrets());
        }
        if let Some(c) = &self.telegram {
            secrets.extend(c.secrets());
        }
        if let Some(c) = &self.email {
            secrets.extend(c.secrets());
        }
        if let Some(c) = &self.sms {
            secrets.extend(c.secrets());
        }
        secrets
    }

    /// Channels whose attachments are fetched through the outbox.
    pub fn media_channels(&self) -> Vec<adapters::Channel> {
        let mut channels = Vec::new();
        if self.whatsapp.is_some() {
            channels.push(adapters::Channel::Whatsapp);
        }
        if self.sms.is_some() {
            channels.push(adapters::Channel::Sms);
        }
        channels
    }

    /// Cross-field checks; each problem names its key.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(c) = &self.whatsapp {
            problems.extend(c.validate());
        }
        if let Some(c) = &self.telegram {
            problems.extend(c.validate());
        }
        if let Some(c) = &self.email {
            problems.extend(c.validate());
        }
        if let Some(c) = &self.sms {
            problems.extend(c.validate());
        }
        problems
    }
}

/// Builds every configured channel; an error names the key at fault.
pub fn build(config: &ChannelsConfig, ctx: &ChannelContext) -> Result<ChannelParts, String> {
    let mut parts = ChannelParts::default();
    if let Some(c) = &config.whatsapp {
        parts.add(whatsapp::build(c, ctx)?);
    }
    if let Some(c) = &config.telegram {
        parts.add(telegram::build(c, ctx)?);
    }
    if let Some(c) = &config.email {
        parts.add(email::build(c, ctx)?);
    }
    if let Some(c) = &config.sms {
        parts.add(sms::build(c, ctx)?);
    }
    Ok(parts)
}
