//! Operators correct duplicate detection: unlink a false match (it becomes
//! its own complaint, routed and delivered like a new one) or link a missed
//! one to the first report. Both leave the operator on the timeline.

use crate::complaint::Status;
use crate::routing::{Routing, RoutingInput};
use crate::sla::Sla;
use crate::store::complaints::{add_event, NewEvent};
use crate::store::entity::{complaint, outbox as outbox_row};
use crate::store::{outbox, Store};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

#[derive(Debug, thiserror::Error)]
pub enum RelinkError {
    #[error("{0}")]
    Refused(String),
    #[error("storage unavailable: {0}")]
    Storage(#[from] DbErr),
}

fn routing_input(c: &complaint::Model) -> RoutingInput {
    let text = match &c.title {
        Some(t) if !t.trim().is_empty() => format!("{t}\n{}", c.body),
        _ => c.body.clone(),
    };
    RoutingInput {
        text,
        address: c.address_text.clone(),
        channel: c.channel.parse().unwrap_or(adapters::Channel::Webform),
        account: c.channel_account.clone(),
        category: c.category.clone(),
        pin: c.lat.zip(c.lon),
        anonim: c.anonim,
        rahasia: c.rahasia,
        has_attachment: false,
        at: c.created_at,
    }
}

/// `dup` was linked by mistake: it becomes its own complaint, routed and
/// queued for delivery now.
pub async fn unlink(
    store: &Store,
    routing: &Routing,
    sla: &Sla,
    dup: &complaint::Model,
    operator: &str,
) -> Result<(), RelinkError> {
    let Some(first_id) = dup.duplicate_of else {
        return Err(RelinkError::Refused(format!(
            "{} is not linked to another complaint",
            dup.tracking_code
        )));
    };
    let now = Utc::now();
    let actor = format!("operator:{operator}");
    let decision = routing.decide_input(&routing_input(dup));
    let txn = store.begin_write().await?;
    let mut update: complaint::ActiveModel = dup.clone().into();
    update.duplicate_of = Set(None);
    update.status = Set(Status::Received.as_str().into());
    update.updated_at = Set(now);
    update.update(&*txn).await?;
    let first = complaint::Entity::find_by_id(first_id).one(&*txn).await?;
    if let Some(first) = &first {
        add_event(
            &*txn,
            NewEvent {
                complaint_id: first.id,
                actor: &actor,
                kind: "unlinked",
                from_status: None,
                to_status: None,
                note: Some(format!("{} bukan laporan yang sama", dup.tracking_code)),
                data: Some(serde_json::json!({ "unlinked": dup.tracking_code })),
                at: now,
            },
        )
        .await?;
    }
    add_event(
        &*txn,
        NewEvent {
            complaint_id: dup.id,
            actor: &actor,
            kind: "unlinked",
            from_status: Some(Status::Duplicate.as_str()),
            to_status: Some(Status::Received.as_str()),
            note: first
                .as_ref()
                .map(|f| format!("Dilepas dari {}", f.tracking_code)),
            data: None,
            at: now,
        },
    )
    .await?;
    for destination in &decision.destinations {
        outbox::new_row(Some(dup.id), destination, now)
            .insert(&*txn)
            .await?;
    }
    add_event(
        &*txn,
        NewEvent {
            complaint_id: dup.id,
            actor: "system",
            kind: "routed",
            from_status: None,
            to_status: None,
            note: Some(decision.summary()),
            data: Some(serde_json::to_value(&decision).unwrap_or_default()),
            at: now,
        },
    )
    .await?;
    sla.on_created(&*txn, dup.id, now).await?;
    txn.commit().await?;
    Ok(())
}

/// `dup` reports the problem `first` reported: linked to it; deliveries of
/// `dup` not yet made are cancelled (the first's delivery stands).
pub async fn link(
    store: &Store,
    dup: &complaint::Model,
    first: &complaint::Model,
    operator: &str,
) -> Result<(), RelinkError> {
    if dup.id == first.id {
        return Err(RelinkError::Refused(
            "a complaint cannot join itself".into(),
        ));
    }
    if let Some(f) = first.duplicate_of {
        return Err(RelinkError::Refused(format!(
            "{} is itself linked (to complaint #{f}); link to the first report",
            first.tracking_code
        )));
    }
    let now = Utc::now();
    let actor = format!("operator:{operator}");
    let txn = store.begin_write().await?;
    let followers = complaint::Entity::find()
        .filter(complaint::Column::DuplicateOf.eq(dup.id))
        .all(&*txn)
        .await?;
    // Reports already joined to `dup` follow it to the first.
    for f in followers {
        let mut u: complaint::ActiveModel = f.into();
        u.duplicate_of = Set(Some(first.id));
        u.updated_at = Set(now);
        u.update(&*txn).await?;
    }
    let mut update: complaint::ActiveModel = dup.clone().into();
    update.duplicate_of = Set(Some(first.id));
    update.status = Set(Status::Duplicate.as_str().into());
    update.updated_at = Set(now);
    update.update(&*txn).await?;
    outbox_row::Entity::delete_many()
        .filter(outbox_row::Column::ComplaintId.eq(dup.id))
        .filter(outbox_row::Column::Kind.eq(outbox::KIND_DELIVERY))
        .filter(outbox_row::Column::State.eq(outbox::PENDING))
        .exec(&*txn)
        .await?;
    super::duplicates::link_events(&*txn, first, dup, &actor, now).await?;
    add_event(
        &*txn,
        NewEvent {
            complaint_id: dup.id,
            actor: &actor,
            kind: "status",
            from_status: Some(&dup.status),
            to_status: Some(Status::Duplicate.as_str()),
            note: None,
            data: None,
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
