//! Kannel: mobile-originated SMS through smsbox's `get-url`/`post-url`,
//! replies through the `sendsms` HTTP interface (long texts cut here into
//! concatenated parts with their own header), delivery reports through
//! `dlr-url`. Recommended smsbox service:
//! `get-url = "https://GATEWAY/webhooks/sms/NAME?token=T&from=%p&to=%P&text=%b&coding=%c&charset=%C&udh=%u&id=%I&ts=%T"`
//! with `max-messages = 0` (the acknowledgment goes out through sendsms).

use super::auth::{same_secret, IpAllowList};
use super::concat::{part_from_udh, udh_bytes, udh_for};
use super::fields::Fields;
use super::segments::{self, Encoding};
use super::{
    check_text, decode_text, scoped_id, sender_phone, status_error, transport_error,
    DeliveryReport, Inbound, InboundRequest, SmsError, SmsMessage,
};
use crate::{
    Channel, Flags, InboundMessage, OutboundReply, RawPayload, ReplyError, ReplySender, SentReply,
};
use chrono::{DateTime, TimeZone, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The query parameter that carries the instance's shared token.
pub const TOKEN_PARAM: &str = "token";

/// Checks and parses what smsbox and bearerbox send to one instance.
pub struct KannelInbound {
    pub instance: String,
    token: Option<String>,
    allow: IpAllowList,
}

impl KannelInbound {
    /// `token`: the value smsbox puts in `token=`; `allow`: addresses smsbox
    /// may call from. At least one should be set.
    pub fn new(instance: &str, token: Option<String>, allow: IpAllowList) -> Self {
        KannelInbound {
            instance: instance.to_string(),
            token,
            allow,
        }
    }

    fn authenticate(&self, req: &InboundRequest, fields: &Fields) -> Result<(), SmsError> {
        if !self.allow.is_empty() && !req.peer.is_some_and(|ip| self.allow.allows(ip)) {
            return Err(SmsError::unauthorized("remote address"));
        }
        if let Some(token) = &self.token {
            let given = fields.bytes(TOKEN_PARAM).unwrap_or_default();
            if !same_secret(given, token.as_bytes()) {
                return Err(SmsError::unauthorized(TOKEN_PARAM));
            }
        }
        Ok(())
    }

    /// A mobile-originated message (`report == false`) or a delivery
    /// report from `dlr-url` (`report == true`). With `post-url` the body
    /// is the message (its charset in `Content-Type`), the URL carries the
    /// escapes as with `get-url`, and `X-Kannel-From`/`-UDH`/`-Coding`
    /// headers stand in for missing ones.
    pub fn parse(&self, req: &InboundRequest, report: bool) -> Result<Inbound, SmsError> {
        let mut raw = req.query.as_bytes().to_vec();
        let post = req.method == axum::http::Method::POST && !req.body.is_empty();
        if post && req.content_type() == "application/x-www-form-urlencoded" {
            if !raw.is_empty() {
                raw.push(b'&');
            }
            raw.extend_from_slice(&req.body);
        } else if post {
            let mut extra = vec![("text".to_string(), req.body.to_vec())];
            let charset = req.header("content-type").and_then(|ct| {
                ct.split(';').find_map(|p| {
                    p.trim()
                        .strip_prefix("charset=")
                        .map(|c| c.trim_matches('"').to_string())
                })
            });
            let headers = [
                ("charset", charset),
                ("from", req.header("x-kannel-from").map(str::to_string)),
                ("to", req.header("x-kannel-to").map(str::to_string)),
                ("udh", req.header("x-kannel-udh").map(str::to_string)),
                ("coding", req.header("x-kannel-coding").map(str::to_string)),
            ];
            extra.extend(
                headers
                    .into_iter()
                    .filter_map(|(n, v)| Some((n.to_string(), v?.into_bytes()))),
            );
            for (name, value) in extra {
                if Fields::parse(&raw).bytes(&name).is_none() {
                    if !raw.is_empty() {
                        raw.push(b'&');
                    }
                    raw.extend_from_slice(name.as_bytes());
                    raw.push(b'=');
                    raw.extend_from_slice(
                        percent_encoding::percent_encode(&value, NON_ALPHANUMERIC)
                            .to_string()
                            .as_bytes(),
                    );
                }
            }
        }
        let fields = Fields::parse(&raw);
        self.authenticate(req, &fields)?;
        if report {
            return parse_dlr(&fields).map(|r| Inbound::Reports(vec![r]));
        }
        self.parse_mo(&fields, &raw).map(Inbound::Message)
    }

    fn parse_mo(&self, fields: &Fields, raw: &[u8]) -> Result<SmsMessage, SmsError> {
        let sender = sender_phone("from", &fields.required("from")?)?;
        let id = fields.required("id")?;
        let charset = fields.text("charset")?;
        let ucs2 = fields.text("coding")?.as_deref() == Some("2");
        let text = decode_text(
            fields.bytes("text").unwrap_or_default(),
            charset.as_deref(),
            ucs2,
        );
        let text = check_text("text", text)?;
        let part = fields
            .bytes("udh")
            .map(udh_bytes)
            .and_then(|udh| part_from_udh(&udh));
        let received_at = fields
            .text("ts")?
            .and_then(|ts| unix_time(&ts))
            .unwrap_or_else(Utc::now);
        Ok(SmsMessage {
            message: InboundMessage {
                channel: Channel::Sms,
                channel_account: self.instance.clone(),
                external_id: scoped_id(&self.instance, "id", &id)?,
                sender: Some(sender),
                other_addresses: vec![],
                display_name: None,
                title: None,
                text: if part.is_some() {
                    text
                } else {
                    text.trim().to_string()
                },
                category: None,
                attachments: vec![],
                location: None,
                reply_to: None,
                flags: Flags::default(),
                received_at,
                raw: RawPayload {
                    content_type: "application/x-www-form-urlencoded".into(),
                    body: without_param(raw, TOKEN_PARAM),
                },
            },
            part,
        })
    }
}

/// `%T` is a Unix time; `%t` (`2026-11-22 09:15:00`) has no zone, so it is
/// left in the raw payload and the arrival time is used instead.
fn unix_time(ts: &str) -> Option<DateTime<Utc>> {
    let secs: i64 = ts.parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// The query string without one parameter (a secret must not be stored).
pub(crate) fn without_param(raw: &[u8], name: &str) -> String {
    String::from_utf8_lossy(raw)
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(name))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `dlr-url` call: `ref` is our message id, `type` Kannel's DLR type.
fn parse_dlr(fields: &Fields) -> Result<DeliveryReport, SmsError> {
    let id = fields.required("ref")?;
    let kind = fields.required("type")?;
    let status = match kind.as_str() {
        "1" => "delivered",
        "2" | "16" => "failed",
        "4" => "queued",
        "8" => "sent",
        other => {
            return Err(SmsError::invalid(
                "type",
                format!("Jenis laporan pengiriman `{other}` tidak dikenal."),
                format!("Delivery report type `{other}` is not known."),
            ))
        }
    };
    let error = (status == "failed").then(|| {
        fields
            .raw_text("answer")
            .ok()
            .flatten()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| format!("Kannel DLR type {kind}"))
    });
    Ok(DeliveryReport {
        provider_message_id: id,
        status,
        error,
    })
}

/// Where and how replies go out through Kannel.
#[derive(Debug, Clone)]
pub struct KannelSettings {
    /// `http://kannel:13013/cgi-bin/sendsms`.
    pub sendsms_url: String,
    /// Sender number or short code (`from=`).
    pub from: Option<String>,
    /// Force an SMSC (`smsc=`).
    pub smsc: Option<String>,
    /// The URL bearerbox calls with delivery reports (this instance's
    /// `/status` endpoint, reachable from Kannel); none asks for no reports.
    pub dlr_url: Option<String>,
    pub timeout: Duration,
}

/// Sends replies through `sendsms`; the credentials never leave it.
pub struct KannelClient {
    settings: KannelSettings,
    username: String,
    password: String,
    /// Appended to the DLR URL so reports authenticate like messages.
    token: Option<String>,
    http: reqwest::Client,
}

/// RFC 3986 unreserved characters stay; everything else is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

impl KannelClient {
    pub fn new(
        settings: KannelSettings,
        username: String,
        password: String,
        token: Option<String>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(KannelClient {
            settings,
            username,
            password,
            token,
            http,
        })
    }

    /// The sendsms URLs for one reply, one per SMS part.
    pub fn requests(&self, reply: &OutboundReply) -> Vec<String> {
        let (encoding, parts) = segments::split(&reply.text);
        // One reference per message, stable across retries, so a phone
        // that sees a part twice knows it is the same message.
        let reference = Sha256::digest(reply.idempotency_key.as_bytes())[0];
        let total = parts.len().min(255) as u8;
        let coding = match encoding {
            Encoding::Gsm7 => "0",
            Encoding::Ucs2 => "2",
        };
        parts
            .iter()
            .take(255)
            .enumerate()
            .map(|(i, text)| {
                let mut url = format!(
                    "{}?username={}&password={}&to={}&text={}&coding={coding}&charset=UTF-8",
                    self.settings.sendsms_url,
                    enc(&self.username),
                    enc(&self.password),
                    enc(&reply.recipient),
                    enc(text),
                );
                if total > 1 {
                    let udh = udh_for(reference, total, i as u8 + 1);
                    let udh: String = udh.iter().map(|b| format!("%{b:02X}")).collect();
                    url.push_str(&format!("&udh={udh}"));
                }
                if let Some(from) = &self.settings.from {
                    url.push_str(&format!("&from={}", enc(from)));
                }
                if let Some(smsc) = &self.settings.smsc {
                    url.push_str(&format!("&smsc={}", enc(smsc)));
                }
                if let Some(dlr) = &self.settings.dlr_url {
                    let sep = if dlr.contains('?') { '&' } else { '?' };
                    let mut target = format!("{dlr}{sep}ref={}", enc(&reply.idempotency_key));
                    if let Some(token) = &self.token {
                        target.push_str(&format!("&{TOKEN_PARAM}={}", enc(token)));
                    }
                    // Kannel fills in %d (type) and %A (SMSC answer).
                    target.push_str("&type=%d&answer=%A");
                    url.push_str(&format!("&dlr-mask=31&dlr-url={}", enc(&target)));
                }
                url
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl ReplySender for KannelClient {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let mut last_status = None;
        for url in self.requests(reply) {
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| transport_error("Kannel", &e))?;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            // 202 "0: Accepted for delivery" or "3: Queued for later delivery".
            if !(200..300).contains(&status) {
                return Err(status_error("Kannel", status, &body, None));
            }
            last_status = Some(status);
        }
        Ok(SentReply {
            provider_message_id: Some(reply.idempotency_key.clone()),
            http_status: last_status,
        })
    }
}
