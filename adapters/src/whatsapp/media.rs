//! Downloading a citizen's photo, voice note or document: the media id's
//! metadata from the Graph API, then the bytes, streamed with a size cap
//! and checked against the allowed types. Storing them is the gateway's job.

use super::graph::{retry_after, GraphClient};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// What the city accepts from citizens.
#[derive(Debug, Clone)]
pub struct MediaLimits {
    pub max_bytes: u64,
    /// MIME types (without parameters), checked against what Meta declares
    /// and against the file's content.
    pub allowed_types: Vec<String>,
}

impl MediaLimits {
    fn allows(&self, mime: &str) -> bool {
        self.allowed_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(mime))
    }
}

#[derive(Clone, PartialEq)]
pub struct FetchedMedia {
    pub bytes: Bytes,
    /// The type the content has (sniffed when recognisable, else declared).
    pub mime: String,
    /// Hex sha256 of `bytes`.
    pub sha256: String,
}

impl fmt::Debug for FetchedMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FetchedMedia({} bytes, {}, {})",
            self.bytes.len(),
            self.mime,
            self.sha256
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaError {
    /// Larger than the limit: refused, never stored.
    TooLarge { size: u64, limit: u64 },
    /// A type the city does not accept: refused, never stored.
    TypeNotAllowed { mime: String },
    /// The download failed; `retryable` says whether another try may work.
    Failed { retryable: bool, message: String },
}

impl MediaError {
    fn retry(message: impl Into<String>) -> Self {
        MediaError::Failed {
            retryable: true,
            message: message.into(),
        }
    }

    fn give_up(message: impl Into<String>) -> Self {
        MediaError::Failed {
            retryable: false,
            message: message.into(),
        }
    }

    fn from_status(what: &str, status: u16, body: &str) -> Self {
        let excerpt: String = body.chars().take(200).collect();
        let message = format!("{what}: HTTP {status}: {excerpt}");
        // 401: a rotated token lets the retry through.
        if status == 401 || status == 408 || status == 429 || status >= 500 {
            Self::retry(message)
        } else {
            Self::give_up(message)
        }
    }
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaError::TooLarge { size, limit } => {
                write!(
                    f,
                    "media of {size} bytes is larger than the {limit} byte limit"
                )
            }
            MediaError::TypeNotAllowed { mime } => write!(f, "media type `{mime}` is not allowed"),
            MediaError::Failed { message, .. } => f.write_str(message),
        }
    }
}

fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn transport(what: &str, e: reqwest::Error) -> MediaError {
    MediaError::retry(format!("{what}: {}", e.without_url()))
}

impl GraphClient {
    /// Fetches media `media_id` within `limits`. A file declared or found
    /// too large is refused before (or while) it is read, never kept whole.
    pub async fn fetch_media(
        &self,
        media_id: &str,
        limits: &MediaLimits,
    ) -> Result<FetchedMedia, MediaError> {
        let response = self
            .http
            .get(self.endpoint(&[media_id]))
            .header(reqwest::header::AUTHORIZATION, self.bearer())
            .send()
            .await
            .map_err(|e| transport("media metadata", e))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| transport("media metadata", e))?;
        if !(200..300).contains(&status) {
            return Err(MediaError::from_status("media metadata", status, &text));
        }
        let meta: Value = serde_json::from_str(&text)
            .map_err(|e| MediaError::retry(format!("media metadata is not JSON: {e}")))?;
        let url = meta
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| MediaError::give_up("media metadata without a url"))?;
        let declared = meta
            .get("mime_type")
            .and_then(Value::as_str)
            .map(essence)
            .unwrap_or_default();
        if !declared.is_empty() && !limits.allows(&declared) {
            return Err(MediaError::TypeNotAllowed { mime: declared });
        }
        let declared_size = match meta.get("file_size") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        if let Some(size) = declared_size.filter(|s| *s > limits.max_bytes) {
            return Err(MediaError::TooLarge {
                size,
                limit: limits.max_bytes,
            });
        }
        let url = self.media_url(url)?;
        let bytes = self.download(url, limits).await?;
        let sniffed = infer::get(&bytes).map(|t| t.mime_type().to_string());
        let mime = match sniffed {
            Some(s) if !limits.allows(&s) => return Err(MediaError::TypeNotAllowed { mime: s }),
            Some(s) => s,
            None if !declared.is_empty() => declared,
            None => {
                return Err(MediaError::TypeNotAllowed {
                    mime: "unknown".into(),
                })
            }
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(FetchedMedia {
            bytes,
            mime,
            sha256,
        })
    }

    /// The access token goes only to the Graph API's own host or over https.
    fn media_url(&self, url: &str) -> Result<reqwest::Url, MediaError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| MediaError::give_up(format!("media url is not a URL: {e}")))?;
        let same_origin = parsed.origin() == self.base.origin();
        if parsed.scheme() == "https" || same_origin {
            Ok(parsed)
        } else {
            Err(MediaError::give_up(
                "media url is neither https nor on the Graph API host; the token is not sent there",
            ))
        }
    }

    async fn download(&self, url: reqwest::Url, limits: &MediaLimits) -> Result<Bytes, MediaError> {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, self.bearer())
            .send()
            .await
            .map_err(|e| transport("media download", e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let after = retry_after(response.headers());
            let body = response.text().await.unwrap_or_default();
            let mut e = MediaError::from_status("media download", status, &body);
            if let (MediaError::Failed { message, .. }, Some(secs)) = (&mut e, after) {
                message.push_str(&format!(" (retry after {secs}s)"));
            }
            return Err(e);
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
            let chunk = chunk.map_err(|e| transport("media download", e))?;
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
            return Err(MediaError::retry("media download: empty body"));
        }
        Ok(Bytes::from(data))
    }
}
