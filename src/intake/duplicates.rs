//! Repeats and duplicates at intake: the same citizen's near-identical text
//! answers with their existing complaint; another citizen's report of the
//! same problem is linked to the first ("ikut melapor"). Judging is left to
//! `dedup`; this step only reads candidates and writes the timeline.

use super::candidates::{self, by_id, Candidate};
use crate::complaint::Status;
use crate::dedup::{place::Place, Dedup, Report, Signature};
use crate::notify::{texts, Notifier};
use crate::routing::Decision;
use crate::store::complaints::{add_event, add_events, NewEvent};
use crate::store::entity::complaint;
use adapters::InboundMessage;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Statuses a complaint can still be repeated or joined in.
fn is_live(c: &complaint::Model) -> bool {
    is_live_status(&c.status)
}

pub(super) fn is_live_status(status: &str) -> bool {
    status
        .parse::<Status>()
        .map(|s| s.is_open() || s == Status::Duplicate)
        .unwrap_or(false)
}

/// The citizen's live complaint within the repeat window whose text `sig`
/// repeats, the most recent first.
pub async fn find_repeat<C: ConnectionTrait>(
    db: &C,
    dedup: &Dedup,
    citizen_id: Option<i64>,
    sig: &Signature,
    now: DateTime<Utc>,
) -> Result<Option<complaint::Model>, DbErr> {
    let Some(citizen_id) = citizen_id else {
        return Ok(None);
    };
    let mine = complaint::Entity::find()
        .filter(complaint::Column::CitizenId.eq(citizen_id))
        .filter(complaint::Column::CreatedAt.gte(now - dedup.repeat_window()))
        .order_by_desc(complaint::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(mine.into_iter().find(|c| {
        is_live(c)
            && dedup
                .signature(&c.body)
                .is_some_and(|old| dedup.is_repeat(sig, &old))
    }))
}

/// Records a repeat on the complaint and tells the citizen its code.
pub async fn record_repeat<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier,
    c: &complaint::Model,
    msg: &InboundMessage,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let actor = format!("channel:{}", msg.channel);
    add_event(
        db,
        NewEvent {
            complaint_id: c.id,
            actor: &actor,
            kind: "repeat",
            from_status: None,
            to_status: None,
            note: Some(msg.text.trim().to_string()),
            data: Some(serde_json::json!({
                "channel": msg.channel.as_str(),
                "external_id": msg.external_id.as_str(),
            })),
            at: now,
        },
    )
    .await?;
    let text = texts::repeat(notifier.language, &c.tracking_code);
    if let Some(reply) = notifier.reply(msg, Some(c.id), "repeat", text, Some(&c.tracking_code)) {
        crate::notify::enqueue(db, reply, now).await?;
    }
    Ok(())
}

/// The first report of the same problem by another citizen, if any: of
/// `near` (first reports near enough in text, most similar first; see
/// [`super::fresh::Ahead`]), the first whose stored row has the same
/// place, time and category.
pub async fn find_first<C: ConnectionTrait>(
    db: &C,
    dedup: &Dedup,
    citizen_id: Option<i64>,
    msg: &InboundMessage,
    decision: &Decision,
    near: &[i64],
    now: DateTime<Utc>,
) -> Result<Option<complaint::Model>, DbErr> {
    if near.is_empty() {
        return Ok(None);
    }
    let rows = by_id(candidates::candidates(db, near.iter().copied()).await?);
    match first_among(dedup, citizen_id, msg, decision, near, &rows, now) {
        Some(first) => complaint::Entity::find_by_id(first.id).one(db).await,
        None => Ok(None),
    }
}

/// The first of `candidates` (ids, most similar first) whose stored row
/// (in `rows`, by id) is a live first report of the same problem: place,
/// time and category.
pub fn first_among<'r>(
    dedup: &Dedup,
    citizen_id: Option<i64>,
    msg: &InboundMessage,
    decision: &Decision,
    candidates: &[i64],
    rows: &'r HashMap<i64, Candidate>,
    now: DateTime<Utc>,
) -> Option<&'r Candidate> {
    let new = report_of(citizen_id, msg, decision, now);
    candidates.iter().filter_map(|id| rows.get(id)).find(|c| {
        c.duplicate_of.is_none()
            && is_live_status(&c.status)
            && dedup.same_problem(&new, &c.report())
    })
}

/// What judging a new message as a report of the same problem needs:
/// who sent it, where (its pin, or the kelurahan routing found), what and
/// when.
pub fn report_of(
    citizen_id: Option<i64>,
    msg: &InboundMessage,
    decision: &Decision,
    now: DateTime<Utc>,
) -> Report {
    let location = msg.location.as_ref();
    Report {
        citizen_id,
        place: Place {
            lat: location.and_then(|l| l.lat),
            lon: location.and_then(|l| l.lon),
            kelurahan_code: decision.kelurahan_code.clone(),
        },
        category: decision.category.clone().or_else(|| msg.category.clone()),
        at: now,
    }
}

/// The `ikut_melapor` entries: on the first, who joined; on the new one,
/// which it joined.
pub async fn link_events<C: ConnectionTrait>(
    db: &C,
    first: &complaint::Model,
    joined: &complaint::Model,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let first = (first.id, first.tracking_code.as_str());
    let joined = (joined.id, joined.tracking_code.as_str());
    add_events(db, link_event_rows(first, joined, actor, now)).await
}

/// The two `ikut_melapor` entries of [`link_events`], for the first and
/// the joined complaint, each given as (id, tracking code).
pub fn link_event_rows<'a>(
    (first_id, first_code): (i64, &str),
    (joined_id, joined_code): (i64, &str),
    actor: &'a str,
    now: DateTime<Utc>,
) -> [NewEvent<'a>; 2] {
    [
        NewEvent {
            complaint_id: first_id,
            actor,
            kind: "ikut_melapor",
            from_status: None,
            to_status: None,
            note: Some(format!("Warga lain ikut melapor: {joined_code}")),
            data: Some(serde_json::json!({ "joined": joined_code })),
            at: now,
        },
        NewEvent {
            complaint_id: joined_id,
            actor,
            kind: "ikut_melapor",
            from_status: None,
            to_status: None,
            note: Some(format!("Ikut melapor pada pengaduan {first_code}")),
            data: Some(serde_json::json!({ "duplicate_of": first_code })),
            at: now,
        },
    ]
}
