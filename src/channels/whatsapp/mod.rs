//! The WhatsApp channel's wiring: configuration, the webhook routes, the
//! window-aware reply sender, the media fetcher and the rate limit's
//! shutdown. The protocol is in `adapters::whatsapp`; this never parses.

mod config;
mod media;
mod rate;
mod sender;
mod status;
mod webhook;
pub mod window;

pub use config::{AccountConfig, MediaConfig, TemplateConfig, WhatsappConfig};
pub use webhook::PATH;

use super::{ChannelContext, ChannelParts, Worker};
use crate::intake::remote_media;
use adapters::whatsapp::{GraphClient, GraphSettings, MediaLimits};
use adapters::Channel;
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Builds the channel; an error names the key at fault.
pub fn build(config: &WhatsappConfig, ctx: &ChannelContext) -> Result<ChannelParts, String> {
    let k = "channels.whatsapp";
    let app_secret = ctx.secrets.get(&format!("{k}.app_secret"))?;
    let verify_token = ctx.secrets.get(&format!("{k}.verify_token"))?;
    let access_token = ctx.secrets.get(&format!("{k}.access_token"))?;
    let client = GraphClient::new(
        &GraphSettings {
            base_url: config.graph_base_url.clone(),
            version: config.graph_version.clone(),
            timeout: Duration::from_secs(config.timeout_secs),
        },
        access_token.expose(),
    )
    .map_err(|e| format!("{k}.graph_base_url: {e}"))?;
    let per_second = NonZeroU32::new(config.rate_per_second)
        .ok_or_else(|| format!("{k}.rate_per_second: must be at least 1"))?;
    let accounts: BTreeMap<String, AccountConfig> = config
        .accounts
        .iter()
        .map(|a| (a.phone_number_id.clone(), a.clone()))
        .collect();

    // Senders waiting for their number's turn stop when the gateway does.
    let stopping = CancellationToken::new();
    let rate = Arc::new(rate::SendRate::new(per_second, stopping.clone()));
    let stop_waiting: Worker = Box::new(move |shutdown| {
        Box::pin(async move {
            shutdown.cancelled().await;
            stopping.cancel();
        })
    });

    let webhook = Arc::new(webhook::Webhook {
        app_secret,
        verify_token,
        accounts: accounts.keys().cloned().collect(),
        max_body_bytes: config.max_body_bytes,
        intake: ctx.intake.clone(),
        store: ctx.store.clone(),
        metrics: ctx.metrics.clone(),
        fallback: ctx.notifier.fallback.clone(),
    });
    let sender = Arc::new(sender::WhatsappSender {
        client: client.clone(),
        store: ctx.store.clone(),
        accounts: Arc::new(accounts),
        rate,
    });
    let fetcher = Arc::new(media::MediaFetcher {
        client,
        intake: ctx.intake.clone(),
        limits: MediaLimits {
            max_bytes: config.media.max_bytes,
            allowed_types: config.media.allowed_types.clone(),
        },
        metrics: ctx.metrics.clone(),
    });
    tracing::info!(
        numbers = config.accounts.len(),
        graph = %config.graph_base_url,
        "WhatsApp channel configured"
    );
    Ok(ChannelParts {
        routes: webhook::routes(webhook),
        senders: vec![sender],
        destinations: vec![(remote_media::destination(Channel::Whatsapp), fetcher)],
        workers: vec![stop_waiting],
    })
}
