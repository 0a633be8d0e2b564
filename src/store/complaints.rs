//! Complaint queries: lookup by tracking code, the timeline, and the
//! events every state change writes.

use super::entity::{complaint, complaint_event};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// Who did something, as written on the timeline: `system`,
/// `channel:webform`, `destination:lapor`, `operator:<name>`, `agency:<id>`.
pub type Actor<'a> = &'a str;

pub struct NewEvent<'a> {
    pub complaint_id: i64,
    pub actor: Actor<'a>,
    pub kind: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub note: Option<String>,
    pub data: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

pub async fn add_event<C: ConnectionTrait>(db: &C, e: NewEvent<'_>) -> Result<(), DbErr> {
    add_events(db, [e]).await
}

/// A timeline entry about a message on the complaint it answers, signed
/// by `actor`; none when the message answers no complaint (a help text).
pub async fn add_message_event<C: ConnectionTrait>(
    db: &C,
    message: &super::entity::outbox::Model,
    actor: &str,
    kind: &'static str,
    note: Option<String>,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(complaint_id) = message.complaint_id else {
        return Ok(());
    };
    let event = NewEvent {
        complaint_id,
        actor,
        kind,
        from_status: None,
        to_status: None,
        note,
        data: Some(data),
        at,
    };
    add_event(db, event).await
}

/// Several timeline entries in one statement, in the given order.
pub async fn add_events<'a, C: ConnectionTrait>(
    db: &C,
    events: impl IntoIterator<Item = NewEvent<'a>>,
) -> Result<(), DbErr> {
    complaint_event::Entity::insert_many(event_rows(events))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The timeline rows of `events`, to insert.
pub fn event_rows<'a, I: IntoIterator<Item = NewEvent<'a>>>(
    events: I,
) -> impl Iterator<Item = complaint_event::ActiveModel> + use<'a, I> {
    events.into_iter().map(|e| complaint_event::ActiveModel {
        complaint_id: Set(e.complaint_id),
        at: Set(e.at),
        actor: Set(e.actor.to_string()),
        kind: Set(e.kind.to_string()),
        from_status: Set(e.from_status.map(str::to_string)),
        to_status: Set(e.to_status.map(str::to_string)),
        note: Set(e.note),
        data: Set(e.data),
        ..Default::default()
    })
}

pub async fn by_tracking_code<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<complaint::Model>, DbErr> {
    complaint::Entity::find()
        .filter(complaint::Column::TrackingCode.eq(code))
        .one(db)
        .await
}

pub async fn timeline<C: ConnectionTrait>(
    db: &C,
    complaint_id: i64,
) -> Result<Vec<complaint_event::Model>, DbErr> {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(complaint_id))
        .order_by_asc(complaint_event::Column::At)
        .order_by_asc(complaint_event::Column::Id)
        .all(db)
        .await
}

/// Sets a new status and writes the event in the caller's transaction.
pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    complaint: &complaint::Model,
    to: crate::complaint::Status,
    actor: Actor<'_>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if complaint.status == to.as_str() {
        return Ok(());
    }
    complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, to.as_str().into())
        .col_expr(complaint::Column::UpdatedAt, now.into())
        .filter(complaint::Column::Id.eq(complaint.id))
        .exec(db)
        .await?;
    add_event(
        db,
        NewEvent {
            complaint_id: complaint.id,
            actor,
            kind: "status",
            from_status: Some(&complaint.status),
            to_status: Some(to.as_str()),
            note,
            data: None,
            at: now,
        },
    )
    .await
}

/// How many citizens reported the problem: the complaint's own reporter and
/// every complaint linked to it as "ikut melapor".
pub async fn reporter_count<C: ConnectionTrait>(db: &C, id: i64) -> Result<u64, DbErr> {
    let linked: Option<i64> = linked_count_query(id).into_tuple().one(db).await?;
    Ok(1 + linked.unwrap_or(0) as u64)
}

/// The query for how many complaints are linked to complaint `id`: one
/// row, its count in the column `linked`.
pub fn linked_count_query(id: i64) -> sea_orm::Select<complaint::Entity> {
    use sea_orm::sea_query::{Expr, Func};
    use sea_orm::QuerySelect;
    complaint::Entity::find()
        .select_only()
        .expr_as(Func::count(Expr::col(complaint::Column::Id)), "linked")
        .filter(complaint::Column::DuplicateOf.eq(id))
}
