//! The SMS channel's wiring: each configured gateway instance gets its
//! webhook (`/webhooks/sms/{name}` and `/webhooks/sms/{name}/status`), its
//! reply sender behind rate limits, and a worker joins the parts of long
//! messages. Provider protocols are in `adapters::sms`; this module never
//! speaks them itself, and never builds complaints (intake does).

mod config;
mod limits;
mod media;
mod outbound;
mod parts;
mod phone;
mod webhook;

pub use config::{
    InstanceConfig, KannelConfig, MappedConfig, SmsConfig, SmsSyncConfig, TwilioConfig,
};
pub use limits::RateLimits;
pub use media::MediaConfig;

use super::{ChannelContext, ChannelParts, Worker};
use crate::config::Secrets;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::store::Store;
use adapters::sms::auth::IpAllowList;
use adapters::sms::kannel::{KannelClient, KannelInbound, KannelSettings};
use adapters::sms::mapped::client::MappedClient;
use adapters::sms::mapped::MappedInbound;
use adapters::sms::smssync::{PhoneOutbox, SmsSyncInbound};
use adapters::sms::twilio::{TwilioClient, TwilioInbound, TwilioSettings};
use adapters::ReplySender;
use limits::Limiter;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How one instance reads its webhooks.
#[allow(clippy::large_enum_variant)] // one per instance, built once
pub(crate) enum Provider {
    Kannel(KannelInbound),
    Twilio {
        inbound: TwilioInbound,
        public_url: Option<String>,
    },
    SmsSync {
        inbound: SmsSyncInbound,
        hand_over: phone::HandOver,
    },
    Mapped(MappedInbound),
}

pub(crate) struct Instance {
    pub name: String,
    pub provider: Provider,
    pub limiter: Arc<Limiter>,
}

/// Everything the SMS webhooks and workers share.
pub(crate) struct SmsChannel {
    pub instances: HashMap<String, Instance>,
    pub intake: Intake,
    pub store: Store,
    pub metrics: Metrics,
    pub part_timeout: Duration,
    pub part_check: Duration,
}

/// What one configured instance adds: how it reads webhooks, how it
/// sends replies, and the credentials of its media host.
struct Built {
    provider: Provider,
    sender: Option<Arc<dyn ReplySender>>,
    media: Option<media::Credentials>,
}

fn build_instance(i: usize, config: &InstanceConfig, secrets: &Secrets) -> Result<Built, String> {
    let key = format!("channels.sms.instances[{i}]");
    let mut media = None;
    let (provider, sender): (Provider, Option<Arc<dyn ReplySender>>) = match config {
        InstanceConfig::Kannel(c) => {
            let token = match &c.token {
                Some(_) => Some(secrets.value(&format!("{key}.token"))?),
                None => None,
            };
            let allow =
                IpAllowList::parse(&c.allow_ips).map_err(|e| format!("{key}.allow_ips: {e}"))?;
            let client = KannelClient::new(
                KannelSettings {
                    sendsms_url: c.sendsms_url.clone(),
                    from: c.from.clone(),
                    smsc: c.smsc.clone(),
                    dlr_url: c.dlr_url.clone(),
                    timeout: Duration::from_secs(c.timeout_secs),
                },
                c.username.clone(),
                secrets.value(&format!("{key}.password"))?,
                token.clone(),
            )
            .map_err(|e| format!("{key}: {e}"))?;
            (
                Provider::Kannel(KannelInbound::new(&c.name, token, allow)),
                Some(Arc::new(client)),
            )
        }
        InstanceConfig::Twilio(c) => {
            let token = secrets.value(&format!("{key}.auth_token"))?;
            let public_url = c
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string());
            let client = TwilioClient::new(
                TwilioSettings {
                    base_url: c.base_url.clone(),
                    account_sid: c.account_sid.clone(),
                    from: c.from.clone(),
                    messaging_service_sid: c.messaging_service_sid.clone(),
                    status_callback: public_url.as_ref().map(|u| format!("{u}/status")),
                    timeout: Duration::from_secs(c.timeout_secs),
                },
                token.clone(),
            )
            .map_err(|e| format!("{key}: {e}"))?;
            media = Some(media::Credentials {
                username: c.account_sid.clone(),
                password: token.clone(),
                api_origin: c.base_url.clone(),
            });
            (
                Provider::Twilio {
                    inbound: TwilioInbound::new(&c.name, token),
                    public_url,
                },
                Some(Arc::new(client)),
            )
        }
        InstanceConfig::Smssync(c) => (
            Provider::SmsSync {
                inbound: SmsSyncInbound::new(&c.name, secrets.value(&format!("{key}.secret"))?),
                hand_over: phone::HandOver {
                    batch: c.batch,
                    confirm_timeout: std::time::Duration::from_secs(c.confirm_timeout_secs),
                },
            },
            Some(Arc::new(PhoneOutbox)),
        ),
        InstanceConfig::Mapped(c) => {
            let secret = match &c.secret {
                Some(_) => Some(secrets.value(&format!("{key}.secret"))?),
                None => None,
            };
            let inbound = MappedInbound::new(&c.name, c.inbound.clone(), secret)
                .map_err(|e| format!("{key}.inbound: {e}"))?;
            let sender: Option<Arc<dyn ReplySender>> = match &c.reply {
                Some(template) => {
                    let token = match &c.reply_token {
                        Some(_) => Some(secrets.value(&format!("{key}.reply_token"))?),
                        None => None,
                    };
                    Some(Arc::new(
                        MappedClient::new(&c.name, template.clone(), token)
                            .map_err(|e| format!("{key}.{e}"))?,
                    ))
                }
                None => None,
            };
            (Provider::Mapped(inbound), sender)
        }
    };
    Ok(Built {
        provider,
        sender,
        media,
    })
}

pub fn build(config: &SmsConfig, ctx: &ChannelContext) -> Result<ChannelParts, String> {
    let mut instances = HashMap::new();
    let mut senders = HashMap::new();
    let mut media_credentials = HashMap::new();
    for (i, c) in config.instances.iter().enumerate() {
        let Built {
            provider,
            sender,
            media,
        } = build_instance(i, c, &ctx.secrets)?;
        if let Some(m) = media {
            media_credentials.insert(c.name().to_string(), m);
        }
        let limiter = Arc::new(Limiter::new(c.limits()));
        if let Some(sender) = sender {
            let phone = matches!(provider, Provider::SmsSync { .. });
            senders.insert(
                c.name().to_string(),
                outbound::Route {
                    sender,
                    limiter: limiter.clone(),
                    phone,
                },
            );
        }
        instances.insert(
            c.name().to_string(),
            Instance {
                name: c.name().to_string(),
                provider,
                limiter,
            },
        );
    }
    let channel = Arc::new(SmsChannel {
        instances,
        intake: ctx.intake.clone(),
        store: ctx.store.clone(),
        metrics: ctx.metrics.clone(),
        part_timeout: Duration::from_secs(config.part_timeout_secs),
        part_check: Duration::from_secs(config.part_check_secs),
    });
    let sweeper = channel.clone();
    let worker: Worker = Box::new(move |shutdown| Box::pin(parts::sweep(sweeper, shutdown)));
    Ok(ChannelParts {
        routes: webhook::routes(channel.clone()),
        senders: vec![Arc::new(outbound::SmsSender::new(
            senders,
            ctx.metrics.clone(),
        ))],
        destinations: vec![(
            crate::intake::remote_media::destination(adapters::Channel::Sms),
            Arc::new(media::MediaFetcher::new(
                &config.media,
                media_credentials,
                ctx.intake.clone(),
                ctx.metrics.clone(),
            )?),
        )],
        workers: vec![worker],
    })
}
