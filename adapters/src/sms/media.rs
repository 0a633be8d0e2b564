//! Downloading a photo an SMS gateway only links to (a Twilio MMS
//! `MediaUrlN`, a mapped gateway's media URL): streamed with a size cap,
//! checked against the allowed types by content. Storing it is the
//! gateway's job. The limit and result types are the ones the WhatsApp
//! adapter defined for the same job.

pub use crate::whatsapp::{FetchedMedia, MediaError, MediaLimits};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

/// Credentials for a media host (Twilio's media URLs take the account's
/// basic auth). They are sent only over https, or to `trusted_origin`.
pub struct MediaAuth<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The provider's own API origin (`http://127.0.0.1:...` in tests).
    pub trusted_origin: Option<&'a str>,
}

fn retry(message: String) -> MediaError {
    MediaError::Failed {
        retryable: true,
        message,
    }
}

fn give_up(message: String) -> MediaError {
    MediaError::Failed {
        retryable: false,
        message,
    }
}

fn allows(limits: &MediaLimits, mime: &str) -> bool {
    limits
        .allowed_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(mime))
}

/// Fetches `url` within `limits`; `declared` is the type the gateway named.
pub async fn fetch(
    http: &reqwest::Client,
    url: &str,
    declared: &str,
    auth: Option<MediaAuth<'_>>,
    limits: &MediaLimits,
) -> Result<FetchedMedia, MediaError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| give_up(format!("media url is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(give_up("media url is not http(s)".into()));
    }
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let declared_known = !declared.is_empty() && declared != "application/octet-stream";
    if declared_known && !allows(limits, &declared) {
        return Err(MediaError::TypeNotAllowed { mime: declared });
    }
    let mut request = http.get(parsed.clone());
    if let Some(a) = auth {
        let trusted = a
            .trusted_origin
            .is_some_and(|o| reqwest::Url::parse(o).is_ok_and(|o| o.origin() == parsed.origin()));
        if parsed.scheme() == "https" || trusted {
            request = request.basic_auth(a.username, Some(a.password));
        }
    }
    let response = request
        .send()
        .await
        .map_err(|e| retry(format!("media download: {}", e.without_url())))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let message = format!("media download: HTTP {status}");
        return Err(
            if status == 401 || status == 408 || status == 429 || status >= 500 {
                retry(message)
            } else {
                give_up(message)
            },
        );
    }
    if let Some(len) = response.content_length().filter(|l| *l > limits.max_bytes) {
        return Err(MediaError::TooLarge {
            size: len,
            limit: limits.max_bytes,
        });
    }
    let mut data = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| retry(format!("media download: {}", e.without_url())))?;
        let size = (data.len() + chunk.len()) as u64;
        if size > limits.max_bytes {
            return Err(MediaError::TooLarge {
                size,
                limit: limits.max_bytes,
            });
        }
        data.extend_from_slice(&chunk);
    }
    if data.is_empty() {
        return Err(retry("media download: empty body".into()));
    }
    let mime = match infer::get(&data).map(|t| t.mime_type().to_string()) {
        Some(s) if !allows(limits, &s) => return Err(MediaError::TypeNotAllowed { mime: s }),
        Some(s) => s,
        None if declared_known => declared,
        None => {
            return Err(MediaError::TypeNotAllowed {
                mime: "unknown".into(),
            })
        }
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    Ok(FetchedMedia {
        bytes: bytes::Bytes::from(data),
        mime,
        sha256,
    })
}
