//! Telegram-only answers (`/start`, `/bantuan`, the guided `/lapor` steps):
//! the message is stored, then the answer, the chat's flow and the update
//! offset are written in one transaction, claimed once per message so a
//! repeated delivery never answers twice.

use super::flow::Flow;
use super::handle::{HandleError, Handler};
use super::tables;
use crate::notify::{MessagePayload, NewMessage};
use crate::store::cursors::{self, CursorUpdate};
use adapters::telegram::ChatMessage;
use adapters::Channel;
use chrono::Utc;

/// What the answer does to the chat's guided complaint.
pub enum FlowChange {
    Keep,
    Set(Flow),
    Clear,
}

/// The outbox message answering `m` in its chat.
pub fn message(h: &Handler, m: &ChatMessage, purpose: &str, text: String) -> NewMessage {
    NewMessage {
        complaint_id: None,
        channel: Channel::Telegram,
        channel_account: h.account.clone(),
        recipient: m.chat_id.to_string(),
        payload: MessagePayload {
            purpose: purpose.into(),
            text,
            subject: None,
            reply_to: Some(m.message.external_id.to_string()),
            tracking_code: None,
        },
    }
}

pub async fn answer(
    h: &Handler,
    m: &ChatMessage,
    purpose: &str,
    text: String,
    change: FlowChange,
    cursor: Option<&CursorUpdate>,
) -> Result<(), HandleError> {
    // Stored first: a crash before the answer is committed leaves the
    // offset where it was, and the update is handled again.
    h.ctx.intake.record(&m.message).await?;
    let now = Utc::now();
    let txn = h.ctx.store.begin_write().await?;
    if tables::claim_answer(&*txn, h.key(m), now).await? {
        let flow = match change {
            FlowChange::Keep => None,
            FlowChange::Set(flow) => Some(Some(flow.to_json())),
            FlowChange::Clear => Some(None),
        };
        if let Some(flow) = flow {
            tables::set_flow(&*txn, &h.account, m.chat_id, flow, now).await?;
        }
        crate::notify::enqueue(&*txn, message(h, m, purpose, text), now).await?;
        h.event(&format!("answered_{purpose}"));
    }
    if let Some(c) = cursor {
        cursors::set(&*txn, c, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
