//! The `media:sms` outbox destination: downloads a photo a gateway only
//! linked to (Twilio MMS, a mapped gateway's media URL) and hands it to
//! intake to store, or has it refused (too large, a type not allowed).
//! Retries and dead letters are the outbox's; the complaint is intake's.

use crate::channels::media::{settle_fetch, storage};
use crate::dispatch::destination::{DeliveryError, Destination, Job, Receipt};
use crate::intake::Intake;
use crate::metrics::Metrics;
use adapters::sms::media::{fetch, MediaAuth, MediaLimits};
use adapters::Channel;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// `[channels.sms.media]`: what the city keeps of linked media.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Largest file kept, in bytes; larger ones are refused and noted on
    /// the complaint's timeline.
    pub max_bytes: u64,
    /// MIME types kept, checked against the file's content.
    pub allowed_types: Vec<String>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            max_bytes: 5 * 1024 * 1024,
            allowed_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "video/mp4",
                "video/3gpp",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Basic-auth credentials of an instance's media host.
pub(crate) struct Credentials {
    pub username: String,
    pub password: String,
    pub api_origin: String,
}

pub(crate) struct MediaFetcher {
    pub http: reqwest::Client,
    pub credentials: HashMap<String, Credentials>,
    pub intake: Intake,
    pub limits: MediaLimits,
    pub metrics: Metrics,
}

impl MediaFetcher {
    pub fn new(
        config: &MediaConfig,
        credentials: HashMap<String, Credentials>,
        intake: Intake,
        metrics: Metrics,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("channels.sms.media: HTTP client: {e}"))?;
        Ok(MediaFetcher {
            http,
            credentials,
            intake,
            limits: MediaLimits {
                max_bytes: config.max_bytes,
                allowed_types: config.allowed_types.clone(),
            },
            metrics,
        })
    }
}

#[async_trait::async_trait]
impl Destination for MediaFetcher {
    fn kind(&self) -> &'static str {
        "media"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let Some(media) = &job.media else {
            return Err(DeliveryError::permanent("not an attachment to fetch"));
        };
        let p = &media.payload;
        let complaint_id = job
            .complaint_id
            .ok_or_else(|| DeliveryError::permanent("an attachment without a complaint"))?;
        if self
            .intake
            .media_done(p.attachment_id)
            .await
            .map_err(storage)?
        {
            return Ok(Receipt {
                external_ref: Some("already stored".into()),
                ..Default::default()
            });
        }
        let auth = self
            .credentials
            .get(&media.channel_account)
            .map(|c| MediaAuth {
                username: &c.username,
                password: &c.password,
                trusted_origin: Some(&c.api_origin),
            });
        let fetched = fetch(
            &self.http,
            &p.media_ref,
            &p.declared_mime,
            auth,
            &self.limits,
        )
        .await;
        settle_fetch(
            &self.intake,
            &self.metrics,
            Channel::Sms,
            complaint_id,
            p.attachment_id,
            fetched,
        )
        .await
    }
}
