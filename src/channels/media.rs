//! What the channels' media fetchers share: what happens to a fetched (or
//! refused) file, how a refusal is told to the operator, and how a storage
//! failure becomes a retry.

use crate::dispatch::destination::{DeliveryError, FailureKind, Receipt};
use crate::intake::Intake;
use crate::metrics::Metrics;
use adapters::whatsapp::{FetchedMedia, MediaError};
use adapters::Channel;

/// Stores a fetched file on its attachment, or records why it was refused;
/// a failed fetch is retried (or given up) like any delivery.
pub(crate) async fn settle_fetch(
    intake: &Intake,
    metrics: &Metrics,
    channel: Channel,
    complaint_id: i64,
    attachment_id: i64,
    fetched: Result<FetchedMedia, MediaError>,
) -> Result<Receipt, DeliveryError> {
    match fetched {
        Ok(fetched) => {
            let stored = intake
                .store_media(
                    channel,
                    complaint_id,
                    attachment_id,
                    &fetched.bytes,
                    &fetched.mime,
                )
                .await
                .map_err(storage)?;
            metrics.channel_event(channel.as_str(), "media", "stored");
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
            intake
                .refuse_media(channel, complaint_id, attachment_id, reason, note)
                .await
                .map_err(storage)?;
            tracing::warn!(
                %channel,
                complaint_id,
                attachment_id,
                field = "media",
                reason,
                "attachment refused: {e}"
            );
            metrics.channel_event(channel.as_str(), "media_refused", reason);
            Ok(Receipt {
                external_ref: Some(format!("refused:{reason}")),
                ..Default::default()
            })
        }
    }
}

pub(crate) fn storage(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::retryable(format!("storing the attachment: {e}"))
}

/// Why a file is refused, for the operator in Indonesian and English.
fn refusal(e: &MediaError) -> (&'static str, String) {
    match e {
        MediaError::TooLarge { size, limit } => (
            "too_large",
            format!(
                "Lampiran ditolak: berkas {size} byte melebihi batas {limit} byte. / \
                 Attachment refused: the file of {size} bytes is over the {limit} byte limit."
            ),
        ),
        MediaError::TypeNotAllowed { mime } => (
            "type_not_allowed",
            format!(
                "Lampiran ditolak: jenis berkas `{mime}` tidak diizinkan. / \
                 Attachment refused: file type `{mime}` is not allowed."
            ),
        ),
        MediaError::Failed { message, .. } => ("failed", message.clone()),
    }
}
