//! The guided `/lapor` complaint: the text, then optionally a location
//! (or a typed address), then optionally a photo, each step with `/lewati`
//! to skip and `/batal` to cancel. The state lives in the database, so a
//! restart loses nothing; the result is one message to intake.

use super::answer::{answer, FlowChange};
use super::handle::{HandleError, Handler};
use super::tables;
use crate::store::cursors::CursorUpdate;
use crate::store::entity::inbound_message;
use adapters::telegram::{external_id, ChatMessage, Command};
use adapters::{Channel, ExternalId, InboundMessage, Location, RawPayload};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Text,
    Location,
    Photo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// The `/lapor` update; the complaint's external id derives from it.
    pub started_update: u32,
    pub started_at: DateTime<Utc>,
    pub step: Step,
    pub text: Option<String>,
    pub location: Option<Location>,
    /// The updates told so far, kept as the complaint's raw payload.
    pub parts: Vec<serde_json::Value>,
}

impl Flow {
    pub fn start(update_id: u32, now: DateTime<Utc>) -> Flow {
        Flow {
            started_update: update_id,
            started_at: now,
            step: Step::Text,
            text: None,
            location: None,
            parts: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a flow serialises")
    }

    fn complaint_id(&self, account: &str) -> String {
        format!("{}:lapor", external_id(account, self.started_update))
    }

    fn then(&self, step: Step, m: &ChatMessage) -> Flow {
        let mut next = self.clone();
        next.step = step;
        next.parts.push(raw_json(m));
        next
    }
}

fn raw_json(m: &ChatMessage) -> serde_json::Value {
    serde_json::from_str(&m.message.raw.body).unwrap_or(serde_json::Value::Null)
}

/// What the chat's guided complaint means for a message.
pub enum Current {
    None,
    Active(Flow),
    /// The message completed a guided complaint that is already submitted
    /// (delivered again after a crash between submitting and clearing).
    Submitted,
}

/// The chat's guided complaint in progress, if any: none when it expired
/// or was already submitted.
pub async fn current(h: &Handler, m: &ChatMessage) -> Result<Current, HandleError> {
    let db = h.ctx.store.db();
    let Some(json) = tables::flow_of(db, &h.account, m.chat_id).await? else {
        return Ok(Current::None);
    };
    let flow = match serde_json::from_str::<Flow>(&json) {
        Ok(flow) => flow,
        Err(e) => {
            tracing::warn!(
                chat_id = m.chat_id,
                "unreadable guided complaint dropped: {e}"
            );
            clear(h, m.chat_id, None).await?;
            return Ok(Current::None);
        }
    };
    let submitted = inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq(Channel::Telegram.as_str()))
        .filter(inbound_message::Column::ExternalId.eq(flow.complaint_id(&h.account)))
        .one(db)
        .await?;
    if let Some(row) = submitted {
        clear(h, m.chat_id, None).await?;
        let parts: serde_json::Value = serde_json::from_str(&row.raw_payload).unwrap_or_default();
        let told = parts["lapor"]
            .as_array()
            .is_some_and(|p| p.iter().any(|u| u["update_id"] == m.update_id));
        return Ok(if told {
            Current::Submitted
        } else {
            Current::None
        });
    }
    if Utc::now() - flow.started_at > h.flow_timeout {
        clear(h, m.chat_id, None).await?;
        return Ok(Current::None);
    }
    Ok(Current::Active(flow))
}

/// Forgets the chat's guided complaint; with `completed_by`, marks that
/// message handled in the same transaction.
async fn clear(
    h: &Handler,
    chat_id: i64,
    completed_by: Option<&ChatMessage>,
) -> Result<(), HandleError> {
    let now = Utc::now();
    let txn = h.ctx.store.begin_write().await?;
    tables::set_flow(&*txn, &h.account, chat_id, None, now).await?;
    if let Some(m) = completed_by {
        tables::claim_answer(&*txn, h.key(m), now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The next step of `flow` with the citizen's message `m`.
pub async fn step(
    h: &Handler,
    m: ChatMessage,
    flow: Flow,
    cursor: Option<&CursorUpdate>,
) -> Result<(), HandleError> {
    let texts = &h.texts;
    let skip = m.command == Some(Command::Lewati);
    let text = m.message.text.trim().to_string();
    match flow.step {
        Step::Text if !skip && !text.is_empty() => {
            let mut next = flow.then(Step::Location, &m);
            next.text = Some(text);
            let change = FlowChange::Set(next);
            answer(h, &m, "lapor", texts.ask_location(), change, cursor).await
        }
        Step::Text => answer(h, &m, "lapor", texts.ask_text(), FlowChange::Keep, cursor).await,
        Step::Location if skip || m.message.location.is_some() || !text.is_empty() => {
            let mut next = flow.then(Step::Photo, &m);
            next.location = match (&m.message.location, skip) {
                (_, true) => None,
                (Some(l), _) => Some(l.clone()),
                (None, _) => Some(Location {
                    lat: None,
                    lon: None,
                    address: Some(text),
                }),
            };
            let change = FlowChange::Set(next);
            answer(h, &m, "lapor", texts.ask_photo(), change, cursor).await
        }
        Step::Location => {
            let text = texts.ask_location();
            answer(h, &m, "lapor", text, FlowChange::Keep, cursor).await
        }
        Step::Photo if skip || !m.files.is_empty() || !m.refused_files.is_empty() => {
            submit(h, m, flow, cursor).await
        }
        Step::Photo => answer(h, &m, "lapor", texts.ask_photo(), FlowChange::Keep, cursor).await,
    }
}

/// The told complaint as one message to intake, then the flow cleared.
async fn submit(
    h: &Handler,
    m: ChatMessage,
    flow: Flow,
    cursor: Option<&CursorUpdate>,
) -> Result<(), HandleError> {
    let attachments = h.fetch_files(&m).await;
    let mut parts = flow.parts.clone();
    parts.push(raw_json(&m));
    let id = flow.complaint_id(&h.account);
    let msg = InboundMessage {
        external_id: ExternalId::parse(&id).map_err(HandleError::NotAnUpdate)?,
        text: flow.text.clone().unwrap_or_default(),
        location: flow.location.clone(),
        attachments,
        reply_to: None,
        raw: RawPayload {
            content_type: "application/json".into(),
            body: serde_json::json!({ "lapor": parts }).to_string(),
        },
        ..m.message.clone()
    };
    h.accept(msg, cursor).await?;
    h.event("lapor_submitted");
    // A crash here leaves the flow behind; `current` notices it was submitted.
    clear(h, m.chat_id, Some(&m)).await
}
