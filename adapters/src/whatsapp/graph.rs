//! The Graph API client: free-form text and template messages from one of
//! the city's numbers, and Meta's errors sorted into retry / give up /
//! unreachable / window closed. It sends once per call and never retries;
//! the access token never appears in its errors or its `Debug`.

use crate::reply::{OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply, Template};
use crate::{Channel, WhatsappUserId};
use serde_json::{json, Value};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where the Graph API is and how long a call may take.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    /// `https://graph.facebook.com`, or a stand-in in tests.
    pub base_url: String,
    /// `v23.0`: the API version every path starts with.
    pub version: String,
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct GraphClient {
    pub(super) http: reqwest::Client,
    pub(super) base: reqwest::Url,
    version: String,
    token: Arc<str>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .field("version", &self.version)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Longest text body the Cloud API takes.
pub const MAX_TEXT_CHARS: usize = 4096;

impl GraphClient {
    pub fn new(settings: &GraphSettings, access_token: &str) -> Result<Self, String> {
        let base = reqwest::Url::parse(&settings.base_url)
            .map_err(|e| format!("Graph API base URL `{}`: {e}", settings.base_url))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "Graph API base URL `{}` is not an http(s) URL",
                settings.base_url
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("satupintu/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("Graph API client: {e}"))?;
        Ok(GraphClient {
            http,
            base,
            version: settings.version.clone(),
            token: access_token.into(),
        })
    }

    /// `{base}/{version}/{segments...}`, each segment escaped.
    pub(super) fn endpoint(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("checked in new: the base URL can be a base");
            path.pop_if_empty().push(&self.version);
            for s in segments {
                path.push(s);
            }
        }
        url
    }

    pub(super) fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// Sends `reply` from the number `reply.channel_account`: the template
    /// when one is given, free-form text otherwise.
    pub async fn send_message(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let body = message_body(reply)?;
        let url = self.endpoint(&[&reply.channel_account, "messages"]);
        let response = self
            .http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, self.bearer())
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = response.text().await.map_err(transport_error)?;
        if !(200..300).contains(&status) {
            let mut e = api_error(status, &text);
            e.retry_after = retry_after;
            return Err(e);
        }
        let id = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
            v.pointer("/messages/0/id")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        Ok(SentReply {
            provider_message_id: id,
            http_status: Some(status),
        })
    }
}

#[async_trait::async_trait]
impl ReplySender for GraphClient {
    fn channel(&self) -> Channel {
        Channel::Whatsapp
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        self.send_message(reply).await
    }
}

/// The recipient as the Graph API wants it: a number as digits with the
/// country code and no `+`, in `to`; a business-scoped user id as it
/// came, in `recipient`.
fn recipient_field(recipient: &str) -> Result<(&'static str, String), ReplyError> {
    let digits = recipient.trim().trim_start_matches('+');
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(("to", digits.to_string()))
    } else if let Ok(id) = WhatsappUserId::parse(recipient) {
        Ok(("recipient", id.to_string()))
    } else {
        Err(ReplyError::new(
            ReplyErrorKind::Permanent,
            format!("recipient `{recipient}` is neither a phone number nor a WhatsApp user id"),
        ))
    }
}

/// Template parameters may not hold new lines, tabs or more than four
/// spaces in a row (Meta refuses the message otherwise).
fn template_parameter(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    flat.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn template_json(t: &Template) -> Value {
    let parameters: Vec<Value> = t
        .parameters
        .iter()
        .map(|p| json!({"type": "text", "text": template_parameter(p)}))
        .collect();
    let mut template = json!({"name": t.name, "language": {"code": t.language}});
    if !parameters.is_empty() {
        template["components"] = json!([{"type": "body", "parameters": parameters}]);
    }
    template
}

/// The JSON the Graph API receives for `reply`.
pub fn message_body(reply: &OutboundReply) -> Result<Value, ReplyError> {
    let (field, to) = recipient_field(&reply.recipient)?;
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
    });
    body[field] = json!(to);
    match &reply.template {
        Some(t) => {
            body["type"] = json!("template");
            body["template"] = template_json(t);
        }
        None => {
            if reply.text.trim().is_empty() {
                return Err(ReplyError::new(
                    ReplyErrorKind::Permanent,
                    "empty message text",
                ));
            }
            let text: String = reply.text.chars().take(MAX_TEXT_CHARS).collect();
            body["type"] = json!("text");
            body["text"] = json!({"preview_url": false, "body": text});
            if let Some(id) = reply.reply_to.as_deref().filter(|id| !id.is_empty()) {
                body["context"] = json!({"message_id": id});
            }
        }
    }
    Ok(body)
}

pub(super) fn transport_error(e: reqwest::Error) -> ReplyError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    ReplyError::new(
        ReplyErrorKind::Retryable,
        format!("Graph API {what}: {}", e.without_url()),
    )
}

pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Sorts a Graph API error answer by what the outbox should do next.
pub(super) fn api_error(status: u16, body: &str) -> ReplyError {
    let error = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").cloned());
    let code = error
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(Value::as_i64);
    let kind = classify(status, code);
    let message = match &error {
        Some(e) => {
            let text = e.get("message").and_then(Value::as_str).unwrap_or("");
            let details = e
                .pointer("/error_data/details")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let code = code.map(|c| format!(" #{c}")).unwrap_or_default();
            format!("Graph API HTTP {status}{code}: {text}{details}")
        }
        None => format!(
            "Graph API HTTP {status}: {}",
            body.chars().take(300).collect::<String>()
        ),
    };
    ReplyError {
        kind,
        message,
        http_status: Some(status),
        retry_after: None,
    }
}

fn classify(status: u16, code: Option<i64>) -> ReplyErrorKind {
    match code {
        // More than 24 hours since the citizen last wrote.
        Some(131047) => ReplyErrorKind::WindowClosed,
        // Not a WhatsApp user, or one who cannot receive this.
        Some(131026) => ReplyErrorKind::Unreachable,
        // Throughput, pair and spam rate limits; temporary outages; an
        // expired token (a rotated token lets the retry through).
        Some(4 | 80007 | 130429 | 131048 | 131056 | 133016 | 1 | 2 | 131000 | 131016 | 190) => {
            ReplyErrorKind::Retryable
        }
        _ if status == 408 || status == 429 || status >= 500 => ReplyErrorKind::Retryable,
        _ if status == 401 => ReplyErrorKind::Retryable,
        _ => ReplyErrorKind::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    #[test]
    fn graph_errors_are_sorted_by_what_to_do_next() {
        let cases = [
            ("window", 400, r#"{"error":{"code":131047,"message":"Re-engagement message"}}"#, ReplyErrorKind::WindowClosed),
            ("not on whatsapp", 400, r#"{"error":{"code":131026,"message":"Message Undeliverable."}}"#, ReplyErrorKind::Unreachable),
            ("throughput", 400, r#"{"error":{"code":130429,"message":"Rate limit hit"}}"#, ReplyErrorKind::Retryable),
            ("pair rate", 400, r#"{"error":{"code":131056,"message":"pair rate limit"}}"#, ReplyErrorKind::Retryable),
            ("bad template", 400, r#"{"error":{"code":132001,"message":"Template name does not exist"}}"#, ReplyErrorKind::Permanent),
            ("bad parameter", 400, r#"{"error":{"code":100,"message":"Invalid parameter"}}"#, ReplyErrorKind::Permanent),
            ("token expired", 401, r#"{"error":{"code":190,"message":"expired"}}"#, ReplyErrorKind::Retryable),
            ("server", 503, "down", ReplyErrorKind::Retryable),
            ("too many", 429, "", ReplyErrorKind::Retryable),
            ("not json 4xx", 400, "nope", ReplyErrorKind::Permanent),
        ];
        for (label, status, body, want) in cases {
            let e = api_error(status, body);
            assert_eq!(e.kind, want, "{label}");
            assert_eq!(e.http_status, Some(status), "{label}");
        }
        let e = api_error(400, r#"{"error":{"code":100,"message":"Invalid","error_data":{"details":"to is bad"}}}"#);
        assert_eq!(e.message, "Graph API HTTP 400 #100: Invalid (to is bad)");
    }

    #[test]
    fn template_parameters_are_flattened() {
        assert_eq!(
            template_parameter("Status:\tDiterima.\nKeterangan:     cek"),
            "Status: Diterima. Keterangan: cek"
        );
    }
}
