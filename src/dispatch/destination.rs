//! The shape every destination has: it takes one job (a complaint to
//! deliver, with its idempotency key) and says delivered, retry, or give up.

use serde::Serialize;
use std::fmt;

/// The canonical complaint as destinations receive it.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintPayload {
    pub tracking_code: String,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub status: String,
    pub channel: String,
    pub channel_account: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub location: Option<LocationPayload>,
    pub anonim: bool,
    pub rahasia: bool,
    /// Absent when the reporter asked to be anonymous towards agencies.
    pub reporter: Option<Reporter>,
    pub attachments: Vec<AttachmentPayload>,
    /// Citizens who reported this problem when it was forwarded.
    pub reporter_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationPayload {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub kecamatan_code: Option<String>,
    pub kelurahan_code: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentPayload {
    pub filename: Option<String>,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
}

/// A message to a citizen (outbox rows of kind `message`).
#[derive(Debug, Clone)]
pub struct MessageJob {
    pub channel: String,
    pub channel_account: String,
    pub recipient: String,
    pub payload: crate::notify::MessagePayload,
}

/// An attachment to fetch from a channel's provider (outbox rows of kind
/// `media`).
#[derive(Debug, Clone)]
pub struct MediaJob {
    pub channel: String,
    pub channel_account: String,
    pub payload: crate::intake::remote_media::MediaPayload,
}

/// One delivery to make.
#[derive(Debug, Clone)]
pub struct Job {
    pub outbox_id: i64,
    /// Absent for messages that answer a citizen without a complaint.
    pub complaint_id: Option<i64>,
    pub destination: String,
    pub idempotency_key: String,
    pub attempt: i32,
    pub complaint: Option<ComplaintPayload>,
    /// The reporter even when `anonim` (LAPOR itself receives the identity
    /// and hides it from the agency); destinations that forward to
    /// agencies use `complaint.reporter`, which respects the flag.
    pub reporter_for_lapor: Reporter,
    /// Set for messages to citizens.
    pub message: Option<MessageJob>,
    /// Set for attachments to fetch.
    pub media: Option<MediaJob>,
}

impl Job {
    /// The complaint this job delivers; destinations of complaints need one.
    pub fn complaint(&self) -> Result<(i64, &ComplaintPayload), DeliveryError> {
        match (self.complaint_id, &self.complaint) {
            (Some(id), Some(c)) => Ok((id, c)),
            _ => Err(DeliveryError::permanent(
                "this outbox row carries no complaint",
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// The destination's id for what it received.
    pub external_ref: Option<String>,
    pub lapor_tracking_id: Option<String>,
    pub lapor_transaction_id: Option<String>,
    pub http_status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Worth trying again later (timeouts, 5xx, 429, connection refused).
    Retryable,
    /// Will fail the same way every time (4xx, a refused payload).
    Permanent,
    /// The citizen cannot be reached at this address at all.
    Unreachable,
    /// The channel takes the message only after the citizen writes again.
    Wait,
}

#[derive(Debug, Clone)]
pub struct DeliveryError {
    pub kind: FailureKind,
    pub message: String,
    pub http_status: Option<u16>,
    /// The destination asked for this much quiet before the next try.
    pub retry_after: Option<std::time::Duration>,
}

impl DeliveryError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        DeliveryError {
            kind,
            message: message.into(),
            http_status: None,
            retry_after: None,
        }
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Retryable, message)
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Permanent, message)
    }

    /// Classifies an HTTP answer that was not a success.
    pub fn from_status(status: u16, body: &str) -> Self {
        let excerpt: String = body.chars().take(300).collect();
        let kind = if status == 408 || status == 425 || status == 429 || status >= 500 {
            FailureKind::Retryable
        } else {
            FailureKind::Permanent
        };
        DeliveryError {
            kind,
            message: format!("HTTP {status}: {excerpt}"),
            http_status: Some(status),
            retry_after: None,
        }
    }

    /// Classifies a transport error; the URL is left out (it may hold a token).
    pub fn from_reqwest(e: reqwest::Error) -> Self {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        DeliveryError::retryable(format!("{what}: {}", e.without_url()))
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[async_trait::async_trait]
pub trait Destination: Send + Sync {
    /// The configured kind (`lapor`, `agency_queue`, `webhook`), for metrics.
    fn kind(&self) -> &'static str;

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError>;
}
