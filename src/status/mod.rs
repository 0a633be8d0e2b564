//! Status changes: from LAPOR!, from agencies, from operators and from
//! reporters themselves. Each change is written on the timeline with who
//! and when, and every reporter is told on their own channel, in the
//! caller's transaction. Nothing here talks to a provider.

pub mod lapor_poll;
pub mod reporters;

use crate::complaint::Status;
use crate::notify::{self, texts, MessagePayload, NewMessage, Notifier};
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::complaint;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// A status change and why.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub to: Status,
    /// `agency:<id>`, `operator:<name>`, `destination:lapor`, `citizen`.
    pub actor: &'a str,
    /// The reason or the agency's answer, shown to the reporters.
    pub note: Option<String>,
    /// Timeline kind: `status`, or `reopened` when a reporter says the
    /// problem is not solved.
    pub kind: &'static str,
    /// A citizen not to tell (the one who made the change, answered apart).
    pub except_citizen: Option<i64>,
    /// Tell the reporters (false for internal steps they were told of already).
    pub notify: bool,
}

/// Applies `change` to `c` unless it already has that status; returns
/// whether anything changed.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier,
    sla: &crate::sla::Sla,
    c: &complaint::Model,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if c.status == change.to.as_str() {
        return Ok(false);
    }
    complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, change.to.as_str().into())
        .col_expr(complaint::Column::UpdatedAt, now.into())
        .filter(complaint::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    sla.on_status(db, c.id, change.to, change.kind, now).await?;
    let mut routes = reporters::routes(db, c, &notifier.fallback).await?;
    routes.retain(|r| change.notify && Some(r.citizen_id) != change.except_citizen);
    let told: Vec<serde_json::Value> = routes
        .iter()
        .map(|r| serde_json::json!({"channel": r.channel.as_str(), "citizen_id": r.citizen_id}))
        .collect();
    add_event(
        db,
        NewEvent {
            complaint_id: c.id,
            actor: change.actor,
            kind: change.kind,
            from_status: Some(&c.status),
            to_status: Some(change.to.as_str()),
            note: change.note.clone(),
            data: Some(serde_json::json!({ "notified": told })),
            at: now,
        },
    )
    .await?;
    let mut text = texts::status_update(
        notifier.language,
        &c.tracking_code,
        change.to,
        change.note.as_deref(),
    );
    if change.to == Status::Resolved {
        text.push_str("\n\n");
        text.push_str(&texts::resolved_question(notifier.language));
    }
    for route in routes {
        notify::enqueue(
            db,
            NewMessage {
                complaint_id: Some(c.id),
                channel: route.channel,
                channel_account: route.account,
                recipient: route.recipient,
                payload: MessagePayload {
                    purpose: "status".into(),
                    text: text.clone(),
                    subject: Some(format!("[{}] {}", c.tracking_code, change.to.label_id())),
                    reply_to: route.reply_to,
                    tracking_code: Some(c.tracking_code.clone()),
                },
            },
            now,
        )
        .await?;
    }
    Ok(true)
}
