//! SMS storage: parts of long messages waiting to be joined, and the
//! handover of waiting messages to a phone gateway that polls. Queries
//! only; when to join or hand over is the SMS channel's decision.

use super::entity::{outbox, sms_part};
use super::outbox::{DELIVERED, KIND_MESSAGE, WAITING};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::ExprTrait, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::BTreeSet;

/// The parts of one long message: same receiving account, sender,
/// reference and part count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PartGroup {
    pub channel_account: String,
    pub sender: String,
    pub reference: i32,
    pub total: i32,
}

/// Stores a part unless the same provider id is already stored; true when
/// this call stored it.
pub async fn add_part<C: ConnectionTrait>(
    db: &C,
    part: sms_part::ActiveModel,
) -> Result<bool, DbErr> {
    let account = part.channel_account.clone().unwrap();
    let external_id = part.external_id.clone().unwrap();
    let exists = sms_part::Entity::find()
        .filter(sms_part::Column::ChannelAccount.eq(account))
        .filter(sms_part::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    part.insert(db).await?;
    Ok(true)
}

/// The group's parts not yet joined, by position.
pub async fn open_parts<C: ConnectionTrait>(
    db: &C,
    g: &PartGroup,
) -> Result<Vec<sms_part::Model>, DbErr> {
    sms_part::Entity::find()
        .filter(sms_part::Column::ChannelAccount.eq(g.channel_account.as_str()))
        .filter(sms_part::Column::Sender.eq(g.sender.as_str()))
        .filter(sms_part::Column::Reference.eq(g.reference))
        .filter(sms_part::Column::Total.eq(g.total))
        .filter(sms_part::Column::JoinedAt.is_null())
        .order_by_asc(sms_part::Column::Seq)
        .order_by_asc(sms_part::Column::Id)
        .all(db)
        .await
}

pub async fn mark_joined<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sms_part::Entity::update_many()
        .col_expr(sms_part::Column::JoinedAt, Some(now).into())
        .filter(sms_part::Column::Id.is_in(ids.iter().copied()))
        .filter(sms_part::Column::JoinedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Groups with a part older than `before` still waiting for the rest.
pub async fn stale_groups<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<Vec<PartGroup>, DbErr> {
    let rows = sms_part::Entity::find()
        .filter(sms_part::Column::JoinedAt.is_null())
        .filter(sms_part::Column::CreatedAt.lt(before))
        .limit(1000)
        .all(db)
        .await?;
    let groups: BTreeSet<PartGroup> = rows
        .into_iter()
        .map(|p| PartGroup {
            channel_account: p.channel_account,
            sender: p.sender,
            reference: p.reference,
            total: p.total,
        })
        .collect();
    Ok(groups.into_iter().collect())
}

/// Forgets joined parts older than `before` (their message is stored).
pub async fn purge_joined<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(sms_part::Entity::delete_many()
        .filter(sms_part::Column::JoinedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Messages on `channel` from `account` waiting for their gateway to
/// fetch them, oldest first.
pub async fn waiting_messages<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    account: &str,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(KIND_MESSAGE))
        .filter(outbox::Column::State.eq(WAITING))
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::ChannelAccount.eq(account))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks a waiting message as handed to its gateway under `external_ref`;
/// false when it is no longer waiting (another poll took it).
pub async fn hand_over<C: ConnectionTrait>(
    db: &C,
    id: i64,
    external_ref: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, DELIVERED.into())
        .col_expr(outbox::Column::DeliveredAt, Some(now).into())
        .col_expr(
            outbox::Column::ExternalRef,
            Some(external_ref.to_string()).into(),
        )
        .col_expr(outbox::Column::LastError, Option::<String>::None.into())
        .col_expr(
            outbox::Column::Attempts,
            sea_orm::sea_query::Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.eq(WAITING))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Messages handed to `account`'s gateway before `before` that it has not
/// confirmed (no report at all), with fewer than `last_attempt` attempts,
/// oldest first.
pub async fn unconfirmed_messages<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    account: &str,
    before: DateTime<Utc>,
    last_attempt: i32,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    unconfirmed_query(channel, account, before, last_attempt)
        .limit(limit)
        .all(db)
        .await
}

/// The query of [`unconfirmed_messages`], run on every poll of a phone;
/// public so that a test can hold SQLite's plan for it to its index.
pub fn unconfirmed_query(
    channel: &str,
    account: &str,
    before: DateTime<Utc>,
    last_attempt: i32,
) -> sea_orm::Select<outbox::Entity> {
    outbox::Entity::find()
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::ChannelAccount.eq(account))
        .filter(outbox::Column::State.eq(DELIVERED))
        .filter(outbox::Column::ProviderStatus.is_null())
        .filter(outbox::Column::DeliveredAt.lt(before))
        .filter(outbox::Column::Kind.eq(KIND_MESSAGE))
        .filter(outbox::Column::Attempts.lt(last_attempt))
        .order_by_asc(outbox::Column::Id)
}

/// Marks an unconfirmed message (see [`unconfirmed_messages`]) handed over
/// again; false when another poll took it first or a report came.
pub async fn hand_over_again<C: ConnectionTrait>(
    db: &C,
    id: i64,
    handed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::DeliveredAt, Some(now).into())
        .col_expr(
            outbox::Column::Attempts,
            sea_orm::sea_query::Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.eq(DELIVERED))
        .filter(outbox::Column::ProviderStatus.is_null())
        .filter(outbox::Column::DeliveredAt.eq(handed_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ids (`external_ref`) of messages handed to `account`'s gateway since
/// `since` with no final report yet.
pub async fn awaiting_reports<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    account: &str,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(KIND_MESSAGE))
        .filter(outbox::Column::State.eq(DELIVERED))
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::ChannelAccount.eq(account))
        .filter(outbox::Column::DeliveredAt.gt(since))
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::ProviderStatus.is_null())
                .add(outbox::Column::ProviderStatus.is_in(["queued", "sent"])),
        )
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.external_ref).collect())
}

/// Statuses a report may replace: reports come concurrently and out of
/// order (Kannel's "sent to SMSC" after "delivered"), and a later stage is
/// never overwritten by an earlier one.
fn replaceable(status: &str) -> &'static [&'static str] {
    match status {
        "queued" => &["queued"],
        "sent" => &["queued", "sent"],
        _ => &["queued", "sent", "delivered", "failed"],
    }
}

/// Records a gateway's report on one of our messages, found by the
/// provider's id or by our own (Kannel reports name our idempotency key,
/// and may do so before the send's result is even recorded). False when
/// no message matches (or it already has a later report).
pub async fn record_report<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    id: &str,
    status: &str,
    error: Option<String>,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::ProviderStatus,
            Some(status.to_string()).into(),
        )
        .col_expr(outbox::Column::ProviderStatusAt, Some(at).into())
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::Kind.eq(KIND_MESSAGE))
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::ExternalRef.eq(id))
                .add(outbox::Column::IdempotencyKey.eq(id)),
        )
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::ProviderStatus.is_null())
                .add(outbox::Column::ProviderStatus.is_in(replaceable(status).iter().copied())),
        );
    if let Some(e) = error {
        update = update.col_expr(outbox::Column::LastError, Some(e).into());
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}
