//! What the channels' media fetchers share: how a refused file is told to
//! the operator, and how a storage failure becomes a retry.

use crate::dispatch::destination::DeliveryError;
use adapters::whatsapp::MediaError;

pub(crate) fn storage(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::retryable(format!("storing the attachment: {e}"))
}

/// Why a file is refused, for the operator in Indonesian and English.
pub(crate) fn refusal(e: &MediaError) -> (&'static str, String) {
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
