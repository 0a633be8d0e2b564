//! Twilio and the APIs that copy it: form-encoded webhooks signed with
//! `X-Twilio-Signature` (HMAC-SHA1 over the public URL and the sorted POST
//! parameters, base64), replies through the Messages REST resource at a
//! configurable base URL, status callbacks on `/status`.

use super::auth::{hmac_signature, same_secret, HmacAlgorithm, SignatureEncoding};
use super::fields::Fields;
use super::{
    check_text, retry_after, scoped_id, sender_phone, status_error, transport_error,
    DeliveryReport, Inbound, InboundRequest, SmsError, SmsMessage,
};
use crate::{
    Attachment, Channel, Flags, InboundMessage, MediaRef, OutboundReply, RawPayload, ReplyError,
    ReplyErrorKind, ReplySender, SentReply,
};
use chrono::Utc;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Most media items Twilio attaches to one message.
const MAX_MEDIA: usize = 10;

/// Twilio's signature of a POST: the URL, then each parameter's name and
/// value sorted by name (then value), HMAC-SHA1 with the auth token, base64.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    hmac_signature(
        HmacAlgorithm::Sha1,
        SignatureEncoding::Base64,
        auth_token.as_bytes(),
        data.as_bytes(),
    )
}

/// Checks and parses what Twilio posts to one instance.
pub struct TwilioInbound {
    pub instance: String,
    auth_token: String,
}

impl TwilioInbound {
    pub fn new(instance: &str, auth_token: String) -> Self {
        TwilioInbound {
            instance: instance.to_string(),
            auth_token,
        }
    }

    /// `req.url` must be the URL exactly as configured at Twilio (with its
    /// query string): the signature covers it.
    pub fn parse(&self, req: &InboundRequest, report: bool) -> Result<Inbound, SmsError> {
        if req.method != axum::http::Method::POST {
            return Err(SmsError::method("POST"));
        }
        let fields = Fields::parse(&req.body);
        let given = req
            .header(SIGNATURE_HEADER)
            .ok_or_else(|| SmsError::unauthorized("X-Twilio-Signature"))?;
        let expected = signature(&self.auth_token, &req.url, &fields.text_pairs());
        if !same_secret(given.trim().as_bytes(), expected.as_bytes()) {
            return Err(SmsError::unauthorized("X-Twilio-Signature"));
        }
        if report {
            return parse_status(&fields).map(|r| Inbound::Reports(vec![r]));
        }
        self.parse_message(&fields, &req.body).map(Inbound::Message)
    }

    fn parse_message(&self, fields: &Fields, body: &[u8]) -> Result<SmsMessage, SmsError> {
        let sid = fields.required("MessageSid")?;
        let sender = sender_phone("From", &fields.required("From")?)?;
        let text = check_text("Body", fields.raw_text("Body")?.unwrap_or_default())?;
        let media_count = match fields.text("NumMedia")? {
            None => 0,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_MEDIA)
                .ok_or_else(|| {
                    SmsError::invalid(
                        "NumMedia",
                        format!("NumMedia harus angka 0 sampai {MAX_MEDIA}."),
                        format!("NumMedia must be a number from 0 to {MAX_MEDIA}."),
                    )
                })?,
        };
        let mut attachments = Vec::with_capacity(media_count);
        for i in 0..media_count {
            let url_field = format!("MediaUrl{i}");
            let url = fields.required(&url_field)?;
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(SmsError::invalid(
                    &url_field,
                    "Alamat media harus URL http(s).",
                    "The media address must be an http(s) URL.",
                ));
            }
            let mime = fields
                .text(&format!("MediaContentType{i}"))?
                .unwrap_or_else(|| "application/octet-stream".into());
            attachments.push(Attachment {
                media: MediaRef::Remote(url),
                mime,
                size: 0,
                filename: None,
                sha256: None,
            });
        }
        Ok(SmsMessage {
            message: InboundMessage {
                channel: Channel::Sms,
                channel_account: self.instance.clone(),
                external_id: scoped_id(&self.instance, "MessageSid", &sid)?,
                sender: Some(sender),
                other_addresses: vec![],
                display_name: None,
                title: None,
                text: text.trim().to_string(),
                category: None,
                attachments,
                location: None,
                reply_to: None,
                flags: Flags::default(),
                received_at: Utc::now(),
                raw: RawPayload {
                    content_type: "application/x-www-form-urlencoded".into(),
                    body: String::from_utf8_lossy(body).into_owned(),
                },
            },
            // Twilio joins long messages itself (`NumSegments`).
            part: None,
        })
    }
}

/// A status callback: `MessageSid` and `MessageStatus`.
fn parse_status(fields: &Fields) -> Result<DeliveryReport, SmsError> {
    let sid = fields.required("MessageSid")?;
    let status = fields.required("MessageStatus")?;
    let status = match status.as_str() {
        "accepted" | "scheduled" | "queued" | "sending" => "queued",
        "sent" => "sent",
        "delivered" | "read" => "delivered",
        "failed" | "undelivered" | "canceled" => "failed",
        other => {
            return Err(SmsError::invalid(
                "MessageStatus",
                format!("Status `{other}` tidak dikenal."),
                format!("Status `{other}` is not known."),
            ))
        }
    };
    let error = (status == "failed").then(|| match fields.text("ErrorCode").ok().flatten() {
        Some(code) => format!("Twilio error {code}"),
        None => "Twilio reports the message failed".to_string(),
    });
    Ok(DeliveryReport {
        provider_message_id: sid,
        status,
        error,
    })
}

/// Where and how replies go out through the Messages resource.
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    /// `https://api.twilio.com`, or a compatible API's base URL.
    pub base_url: String,
    pub account_sid: String,
    /// The number replies come from (or use a messaging service).
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// Where Twilio posts status callbacks (this instance's `/status`).
    pub status_callback: Option<String>,
    pub timeout: Duration,
}

pub struct TwilioClient {
    settings: TwilioSettings,
    auth_token: String,
    http: reqwest::Client,
}

/// Twilio errors that mean the number cannot get SMS from us at all.
const UNREACHABLE_CODES: [i64; 6] = [21211, 21408, 21610, 21612, 21614, 30006];

impl TwilioClient {
    pub fn new(settings: TwilioSettings, auth_token: String) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(TwilioClient {
            settings,
            auth_token,
            http,
        })
    }

    pub fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.settings.base_url.trim_end_matches('/'),
            self.settings.account_sid
        )
    }

    /// The form fields posted for one reply.
    pub fn form(&self, reply: &OutboundReply) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("To", reply.recipient.clone()),
            ("Body", reply.text.clone()),
        ];
        if let Some(sid) = &self.settings.messaging_service_sid {
            form.push(("MessagingServiceSid", sid.clone()));
        } else if let Some(from) = &self.settings.from {
            form.push(("From", from.clone()));
        }
        if let Some(cb) = &self.settings.status_callback {
            form.push(("StatusCallback", cb.clone()));
        }
        form
    }
}

#[async_trait::async_trait]
impl ReplySender for TwilioClient {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let response = self
            .http
            .post(self.messages_url())
            .basic_auth(&self.settings.account_sid, Some(&self.auth_token))
            .form(&self.form(reply))
            .send()
            .await
            .map_err(|e| transport_error("Twilio", &e))?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(SentReply {
                provider_message_id: body["sid"].as_str().map(str::to_string),
                http_status: Some(status),
            });
        }
        let message = body["message"].as_str().unwrap_or("").to_string();
        let mut e = status_error("Twilio", status, &message, wait);
        if let Some(code) = body["code"].as_i64() {
            e.message = format!("{} (code {code})", e.message);
            if UNREACHABLE_CODES.contains(&code) {
                e.kind = ReplyErrorKind::Unreachable;
            }
        }
        Err(e)
    }
}
