//! The `media:whatsapp` outbox destination: downloads a citizen's photo or
//! document through the Graph API and hands it to intake to store, or has
//! it refused (too large, a type not allowed). Retries and dead letters are
//! the outbox's; this never touches the complaint itself.

use crate::channels::media::{settle_fetch, storage};
use crate::dispatch::destination::{DeliveryError, Destination, Job, Receipt};
use crate::intake::Intake;
use crate::metrics::Metrics;
use adapters::whatsapp::{GraphClient, MediaLimits};
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
        let fetched = self.client.fetch_media(&p.media_ref, &self.limits).await;
        settle_fetch(
            &self.intake,
            &self.metrics,
            Channel::Whatsapp,
            complaint_id,
            p.attachment_id,
            fetched,
        )
        .await
    }
}
