//! The Telegram channel's wiring: configuration, the long-polling worker
//! or the webhook route, the reply sender, and the bot's memory (guided
//! complaints, message ids). The Bot API protocol is in `adapters`; what
//! becomes a complaint is intake's decision, never this module's.

mod answer;
mod flow;
mod handle;
mod polling;
mod reply;
mod tables;
mod texts;
mod webhook;

use super::{ChannelContext, ChannelParts};
use crate::config::SecretRef;
use adapters::telegram::{BotClient, Limits, RateLimits, TelegramSender};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub use polling::OFFSET as OFFSET_CURSOR;

/// How updates reach the gateway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// getUpdates: needs no public URL (a server behind NAT).
    #[default]
    Polling,
    /// Telegram posts to `/webhooks/telegram` (set with setWebhook and the secret token).
    Webhook,
}

/// `[channels.telegram]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// The bot's username without `@`: the channel account of every
    /// message, and the scope of its update ids.
    pub account: String,
    /// The bot token from @BotFather.
    pub token: SecretRef,
    /// `polling` (the default) or `webhook`.
    pub mode: TelegramMode,
    /// Bot API base URL (a local Bot API server may replace the public one).
    pub api_url: String,
    /// Webhook mode: the `secret_token` given to setWebhook.
    pub webhook_secret: Option<SecretRef>,
    /// Polling: seconds one getUpdates call waits for updates.
    pub poll_timeout_secs: u32,
    /// Polling: most updates fetched per call (1-100).
    pub poll_limit: u8,
    /// Seconds any other Bot API request (a file download included) may take.
    pub request_timeout_secs: u64,
    /// Minutes a half-told `/lapor` complaint is kept.
    pub guided_timeout_minutes: u32,
    /// Largest photo and file taken.
    pub limits: Limits,
    /// Sending rates (Telegram's own limits by default).
    pub rates: RateLimits,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            account: String::new(),
            token: SecretRef::default(),
            mode: TelegramMode::Polling,
            api_url: "https://api.telegram.org".into(),
            webhook_secret: None,
            poll_timeout_secs: 25,
            poll_limit: 100,
            request_timeout_secs: 60,
            guided_timeout_minutes: 60,
            limits: Limits::default(),
            rates: RateLimits::default(),
        }
    }
}

impl TelegramConfig {
    /// The bot token, and in webhook mode the webhook's secret.
    pub fn secrets(&self) -> Vec<crate::config::NamedSecret<'_>> {
        let mut secrets = vec![("channels.telegram.token".to_string(), &self.token)];
        if let (TelegramMode::Webhook, Some(s)) = (&self.mode, &self.webhook_secret) {
            secrets.push(("channels.telegram.webhook_secret".to_string(), s));
        }
        secrets
    }

    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let account_ok = !self.account.is_empty()
            && self.account.len() <= 64
            && self
                .account
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !account_ok {
            problems.push(
                "channels.telegram.account: the bot's username (letters, digits, `_`) is required"
                    .into(),
            );
        }
        // The shape of each secret is checked with every other's
        // (`Config::validate`).
        if let (TelegramMode::Webhook, None) = (&self.mode, &self.webhook_secret) {
            problems.push("channels.telegram.webhook_secret: required in webhook mode".into());
        }
        if reqwest::Url::parse(&self.api_url).is_err() {
            problems.push(format!(
                "channels.telegram.api_url: `{}` is not a URL",
                self.api_url
            ));
        }
        if !(1..=100).contains(&self.poll_limit) {
            problems.push("channels.telegram.poll_limit: must be between 1 and 100".into());
        }
        if self.poll_timeout_secs > 50 {
            problems.push("channels.telegram.poll_timeout_secs: at most 50".into());
        }
        if self.request_timeout_secs == 0 {
            problems.push("channels.telegram.request_timeout_secs: at least 1".into());
        }
        problems
    }
}

pub fn build(config: &TelegramConfig, ctx: &ChannelContext) -> Result<ChannelParts, String> {
    let token = ctx.secrets.get("channels.telegram.token")?;
    let request_timeout = Duration::from_secs(config.request_timeout_secs);
    let client = BotClient::new(token.expose(), &config.api_url, request_timeout)
        .map_err(|e| format!("channels.telegram.api_url: {e}"))?;
    let handler = Arc::new(handle::Handler {
        ctx: ctx.clone(),
        client: client.clone(),
        account: config.account.clone(),
        limits: config.limits.clone(),
        texts: texts::Texts {
            lang: ctx.notifier.language,
            city: ctx.notifier.city.clone(),
        },
        flow_timeout: chrono::Duration::minutes(config.guided_timeout_minutes.into()),
    });
    let sender = reply::ThreadedSender {
        inner: TelegramSender::new(client, &config.rates),
        store: ctx.store.clone(),
        account: config.account.clone(),
    };
    let mut parts = ChannelParts {
        senders: vec![Arc::new(sender)],
        ..Default::default()
    };
    match config.mode {
        TelegramMode::Webhook => {
            config
                .webhook_secret
                .as_ref()
                .ok_or("channels.telegram.webhook_secret: required in webhook mode")?;
            let secret = ctx.secrets.get("channels.telegram.webhook_secret")?;
            parts.routes = webhook::routes(handler, secret);
        }
        TelegramMode::Polling => {
            let poll_timeout = Duration::from_secs(config.poll_timeout_secs.into());
            let poller = polling::Poller {
                handler,
                client: BotClient::new(
                    token.expose(),
                    &config.api_url,
                    request_timeout + poll_timeout,
                )
                .map_err(|e| format!("channels.telegram.api_url: {e}"))?,
                timeout_secs: config.poll_timeout_secs,
                limit: config.poll_limit,
            };
            parts
                .workers
                .push(Box::new(move |shutdown| Box::pin(poller.run(shutdown))));
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> TelegramConfig {
        TelegramConfig {
            account: "LaporPadangBot".into(),
            token: SecretRef {
                env: Some("SATUPINTU_TELEGRAM_TOKEN".into()),
                file: None,
            },
            ..Default::default()
        }
    }

    #[test]
    fn every_problem_names_its_key() {
        assert!(valid().validate().is_empty());
        type Breaks = Box<dyn Fn(&mut TelegramConfig)>;
        let cases: Vec<(&str, Breaks)> = vec![
            (
                "channels.telegram.account",
                Box::new(|c| c.account = "a:b".into()),
            ),
            ("channels.telegram.account", Box::new(|c| c.account.clear())),
            (
                "channels.telegram.webhook_secret",
                Box::new(|c| c.mode = TelegramMode::Webhook),
            ),
            (
                "channels.telegram.api_url",
                Box::new(|c| c.api_url = "not a url".into()),
            ),
            (
                "channels.telegram.poll_limit",
                Box::new(|c| c.poll_limit = 0),
            ),
            (
                "channels.telegram.poll_timeout_secs",
                Box::new(|c| c.poll_timeout_secs = 90),
            ),
        ];
        for (key, break_it) in cases {
            let mut c = valid();
            break_it(&mut c);
            let problems = c.validate();
            assert!(
                problems.iter().any(|p| p.starts_with(key)),
                "{key}: {problems:?}"
            );
        }
    }

    /// The commented example in the shipped configuration stays valid.
    #[test]
    fn the_shipped_example_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/satupintu.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let example: String = text
            .lines()
            .skip_while(|l| !l.starts_with("# [channels.telegram]"))
            .take_while(|l| l.starts_with("# "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        assert!(example.contains("account"), "example block found");
        #[derive(Deserialize)]
        struct Example {
            channels: super::super::ChannelsConfig,
        }
        let parsed: Example = toml::from_str(&example).unwrap();
        let telegram = parsed.channels.telegram.expect("telegram section");
        assert_eq!(telegram.validate(), Vec::<String>::new());
        assert_eq!(telegram.rates.per_chat_per_second, 1);
    }
}
