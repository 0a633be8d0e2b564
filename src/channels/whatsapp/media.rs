//! The `media:whatsapp` outbox destination: downloads a citizen's photo or
//! document through the Graph API and hands it to intake to store, or has
//! it refused (too large, a type not allowed). Retries and dead letters are
//! the outbox's; this never touches the complaint itself.

use crate::channels::media::{refusal, storage};
use crate::dispatch::destination::{DeliveryError, Destination, FailureKind, Job, Receipt};
use crate::intake::Intake;
use crate::metrics::Metrics;
use adapters::whatsapp::{GraphClient, MediaError, MediaLimits};
use adapters::Channel;

pub struct MediaFetcher {
    pub client: GraphClient,
    pub intake: Intake,
    pub limits: MediaLimits,
    pub metrics: Metrics,
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
        let (complaint_id, _) = job.complaint()?;
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
        match self.client.fetch_media(&p.media_ref, &self.limits).await {
            Ok(fetched) => {
                let stored = self
                    .intake
                    .store_media(
                        Channel::Whatsapp,
                        complaint_id,
                        p.attachment_id,
                        &fetched.bytes,
                        &fetched.mime,
                    )
                    .await
                    .map_err(storage)?;
                self.metrics.channel_event("whatsapp", "media", "stored");
                Ok(Receipt {
                    external_ref: Some(format!("sha256:{}", stored.sha256)),
                    ..Default::default()
                })
            }
            Err(MediaError::Failed { retryable, message }) => {
                let kind = if retryable {
                    FailureKind::Retryable
                } else {
                    FailureKind::Permanent
                };
                Err(DeliveryError::new(kind, message))
            }
            Err(e) => {
                let (reason, note) = refusal(&e);
                self.intake
                    .refuse_media(
                        Channel::Whatsapp,
                        complaint_id,
                        p.attachment_id,
                        reason,
                        note,
                    )
                    .await
                    .map_err(storage)?;
                tracing::warn!(
                    complaint_id = job.complaint_id,
                    attachment_id = p.attachment_id,
                    field = "media",
                    reason,
                    "WhatsApp attachment refused: {e}"
                );
                self.metrics
                    .channel_event("whatsapp", "media_refused", reason);
                Ok(Receipt {
                    external_ref: Some(format!("refused:{reason}")),
                    ..Default::default()
                })
            }
        }
    }
}
