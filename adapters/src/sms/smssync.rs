//! SMSSync-style Android gateways: the phone posts each SMS it receives
//! (`from`, `message`, `message_id`, `sent_to`, `secret`, `device_id`,
//! `sent_timestamp`) and polls `?task=send` for the messages it should
//! send, confirms them with `?task=sent`, and reports with `?task=result`.
//! Every request carries the shared secret (`secret`, in the form or the
//! query). Replies cannot be pushed to a phone: see [`PhoneOutbox`].

use super::auth::same_secret;
use super::fields::Fields;
use super::kannel::without_param;
use super::{
    check_text, scoped_id, sender_phone, DeliveryReport, Inbound, InboundRequest, SmsError,
    SmsMessage,
};
use crate::{
    Channel, Flags, InboundMessage, OutboundReply, RawPayload, ReplyError, ReplyErrorKind,
    ReplySender, SentReply,
};
use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const SECRET_FIELD: &str = "secret";

/// What the reply sender says while a message waits for the phone.
pub const WAITING_FOR_PHONE: &str = "waiting for the phone to fetch it (SMSSync task=send)";

pub struct SmsSyncInbound {
    pub instance: String,
    secret: String,
}

/// One message handed to the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub to: String,
    pub message: String,
    pub uuid: String,
}

#[derive(Deserialize)]
struct Queued {
    #[serde(default)]
    queued_messages: Vec<String>,
}

#[derive(Deserialize)]
struct Results {
    #[serde(default)]
    message_result: Vec<ResultItem>,
}

#[derive(Deserialize)]
struct ResultItem {
    uuid: String,
    sent_result_code: Option<i64>,
    sent_result_message: Option<String>,
    delivered_result_code: Option<i64>,
    delivered_result_message: Option<String>,
}

impl SmsSyncInbound {
    pub fn new(instance: &str, secret: String) -> Self {
        SmsSyncInbound {
            instance: instance.to_string(),
            secret,
        }
    }

    pub fn parse(&self, req: &InboundRequest) -> Result<Inbound, SmsError> {
        let query = Fields::parse(req.query.as_bytes());
        let task = query.text("task")?;
        let is_form = req.content_type() == "application/x-www-form-urlencoded";
        let form = if is_form {
            Fields::parse(&req.body)
        } else {
            Fields::default()
        };
        let given = query
            .bytes(SECRET_FIELD)
            .or_else(|| form.bytes(SECRET_FIELD))
            .unwrap_or_default();
        if !same_secret(given, self.secret.as_bytes()) {
            return Err(SmsError::unauthorized(SECRET_FIELD));
        }
        let post = req.method == axum::http::Method::POST;
        match (task.as_deref(), post) {
            (Some("send"), _) => Ok(Inbound::FetchTasks),
            (Some("sent"), true) => {
                let q: Queued = serde_json::from_slice(&req.body)
                    .map_err(|e| SmsError::malformed("JSON", &e.to_string()))?;
                Ok(Inbound::TasksQueued(q.queued_messages))
            }
            (Some("result"), false) => Ok(Inbound::ResultsWanted),
            (Some("result"), true) => {
                let r: Results = serde_json::from_slice(&req.body)
                    .map_err(|e| SmsError::malformed("JSON", &e.to_string()))?;
                Ok(Inbound::Reports(
                    r.message_result.into_iter().filter_map(report).collect(),
                ))
            }
            (Some(other), _) => Err(SmsError::unknown_task(other)),
            (None, true) => self.parse_message(&form, &req.body).map(Inbound::Message),
            (None, false) => Err(SmsError::method("POST")),
        }
    }

    fn parse_message(&self, form: &Fields, body: &[u8]) -> Result<SmsMessage, SmsError> {
        let from = form.required("from")?;
        let sender = sender_phone("from", &from)?;
        let text = check_text("message", form.raw_text("message")?.unwrap_or_default())?;
        let sent_ms = form.text("sent_timestamp")?;
        // Old SMSSync versions send no message_id: the message's own
        // content identifies a repeated post then.
        let id = match form.text("message_id")? {
            Some(id) => id,
            None => {
                let basis = format!("{from}\n{}\n{text}", sent_ms.clone().unwrap_or_default());
                format!("sha256:{}", hex::encode(Sha256::digest(basis.as_bytes())))
            }
        };
        let received_at = sent_ms
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .unwrap_or_else(Utc::now);
        Ok(SmsMessage {
            message: InboundMessage {
                channel: Channel::Sms,
                channel_account: self.instance.clone(),
                external_id: scoped_id(&self.instance, "message_id", &id)?,
                sender: Some(sender),
                other_addresses: vec![],
                display_name: None,
                title: None,
                text: text.trim().to_string(),
                category: None,
                attachments: vec![],
                location: None,
                reply_to: None,
                flags: Flags::default(),
                received_at,
                raw: RawPayload {
                    content_type: "application/x-www-form-urlencoded".into(),
                    body: without_param(body, SECRET_FIELD),
                },
            },
            part: None,
        })
    }
}

/// SMSSync result codes: 0 is success, -1 "not known yet", others failure.
fn report(item: ResultItem) -> Option<DeliveryReport> {
    let failed = |code: Option<i64>| code.is_some_and(|c| c != 0 && c != -1);
    let (status, error) = if item.delivered_result_code == Some(0) {
        ("delivered", None)
    } else if failed(item.delivered_result_code) {
        (
            "failed",
            item.delivered_result_message
                .or(Some("not delivered".into())),
        )
    } else if failed(item.sent_result_code) {
        (
            "failed",
            item.sent_result_message.or(Some("not sent".into())),
        )
    } else if item.sent_result_code == Some(0) {
        ("sent", None)
    } else {
        return None;
    };
    Some(DeliveryReport {
        provider_message_id: item.uuid,
        status,
        error,
    })
}

/// The answer to a posted message.
pub fn success_body() -> serde_json::Value {
    json!({"payload": {"success": true, "error": null}})
}

/// The answer to `task=send`: the secret proves to the phone that the
/// tasks come from its server.
pub fn tasks_body(secret: &str, tasks: &[Task]) -> serde_json::Value {
    json!({"payload": {"task": "send", "secret": secret, "messages": tasks}})
}

/// The answer to `task=sent` (the ids we take note of) and to a `task=result`
/// poll (the ids we want reports on).
pub fn uuids_body(uuids: &[String]) -> serde_json::Value {
    json!({"message_uuids": uuids})
}

impl SmsSyncInbound {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// The reply sender of a phone gateway: a phone cannot be called, it
/// polls. So every message is left to wait (the outbox's `waiting` state,
/// durable and without retries); the phone's `task=send` poll takes the
/// waiting messages and settles them.
pub struct PhoneOutbox;

#[async_trait::async_trait]
impl ReplySender for PhoneOutbox {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, _reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        Err(ReplyError::new(
            ReplyErrorKind::WindowClosed,
            WAITING_FOR_PHONE,
        ))
    }
}
