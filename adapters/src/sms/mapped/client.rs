//! Sending a reply through a mapped gateway: a URL, a method, a body and
//! headers from templates, and how to read success and the message id
//! from the answer. The token is only ever put where the template says.

use super::template::{render, Escape, Values};
use crate::sms::{retry_after, status_error, transport_error};
use crate::{Channel, OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

fn default_method() -> String {
    "POST".into()
}

fn default_timeout() -> u64 {
    15
}

/// How a reply is sent (placeholders: see [`super::template`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplate {
    /// `https://gw.example/api/send?key={token}`.
    pub url: String,
    /// `POST` (the default), `GET` or `PUT`.
    #[serde(default = "default_method")]
    pub method: String,
    /// `application/json` or `application/x-www-form-urlencoded`; decides
    /// how values are escaped in `body`.
    pub content_type: Option<String>,
    /// `{"phone":"{to_digits}","message":"{text}"}`.
    pub body: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON pointer to the gateway's message id in its answer.
    pub id_pointer: Option<String>,
    /// A JSON pointer and the value it must hold for the answer to be a
    /// success (some gateways answer 200 with `"status": false`).
    pub success_pointer: Option<String>,
    pub success_value: Option<serde_json::Value>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

pub struct MappedClient {
    account: String,
    template: ReplyTemplate,
    method: reqwest::Method,
    token: Option<String>,
    http: reqwest::Client,
}

/// One request as it will be sent (for tests and checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl MappedClient {
    pub fn new(
        account: &str,
        template: ReplyTemplate,
        token: Option<String>,
    ) -> Result<Self, String> {
        let method = match template.method.to_ascii_uppercase().as_str() {
            "POST" => reqwest::Method::POST,
            "GET" => reqwest::Method::GET,
            "PUT" => reqwest::Method::PUT,
            other => return Err(format!("reply.method: `{other}` is not POST, GET or PUT")),
        };
        if !template.url.starts_with("http://") && !template.url.starts_with("https://") {
            return Err("reply.url: must be an http(s) URL".into());
        }
        let all = std::iter::once(&template.url)
            .chain(template.body.iter())
            .chain(template.headers.values());
        if token.is_none() && all.clone().any(|t| super::template::uses_token(t)) {
            return Err(
                "reply_token: the reply template uses {token} but no reply_token is set".into(),
            );
        }
        if template.success_pointer.is_some() != template.success_value.is_some() {
            return Err(
                "reply.success_pointer and reply.success_value: set both or neither".into(),
            );
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(template.timeout_secs))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(MappedClient {
            account: account.to_string(),
            template,
            method,
            token,
            http,
        })
    }

    fn body_escape(&self) -> Escape {
        match self
            .template
            .content_type
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some(ct) if ct.contains("json") => Escape::Json,
            Some(ct) if ct.contains("x-www-form-urlencoded") => Escape::Form,
            _ => Escape::None,
        }
    }

    pub fn render(&self, reply: &OutboundReply) -> RenderedRequest {
        let values = Values {
            to: &reply.recipient,
            text: &reply.text,
            id: &reply.idempotency_key,
            account: &self.account,
            token: self.token.as_deref(),
        };
        let mut headers: Vec<(String, String)> = self
            .template
            .headers
            .iter()
            .map(|(k, v)| {
                let value = render(v, &values, Escape::None);
                // A header value never spans lines, whatever a value holds.
                (k.clone(), value.replace(['\r', '\n'], " "))
            })
            .collect();
        if let Some(ct) = &self.template.content_type {
            headers.push(("content-type".into(), ct.clone()));
        }
        RenderedRequest {
            method: self.method.to_string(),
            url: render(&self.template.url, &values, Escape::Url),
            headers,
            body: self
                .template
                .body
                .as_ref()
                .map(|b| render(b, &values, self.body_escape())),
        }
    }
}

#[async_trait::async_trait]
impl ReplySender for MappedClient {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let r = self.render(reply);
        let mut request = self.http.request(self.method.clone(), &r.url);
        for (k, v) in &r.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        if let Some(body) = r.body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&format!("gateway `{}`", self.account), &e))?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let text = response.text().await.unwrap_or_default();
        let provider = format!("gateway `{}`", self.account);
        if !(200..300).contains(&status) {
            return Err(status_error(&provider, status, &text, wait));
        }
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if let (Some(pointer), Some(want)) =
            (&self.template.success_pointer, &self.template.success_value)
        {
            if json.pointer(pointer) != Some(want) {
                let mut e = ReplyError::new(
                    ReplyErrorKind::Retryable,
                    format!(
                        "{provider} did not confirm the message: {}",
                        text.chars().take(300).collect::<String>()
                    ),
                );
                e.http_status = Some(status);
                return Err(e);
            }
        }
        let id = self
            .template
            .id_pointer
            .as_ref()
            .and_then(|p| json.pointer(p))
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        Ok(SentReply {
            provider_message_id: id.or_else(|| Some(reply.idempotency_key.clone())),
            http_status: Some(status),
        })
    }
}
