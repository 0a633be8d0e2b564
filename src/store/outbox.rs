//! The outbox: deliveries written with the complaint, leased by
//! dispatchers (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several gateway
//! instances share one database), retried, and dead-lettered.

use super::entity::{delivery_attempt, outbox};
use adapters::Address;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    Set, Statement, Value,
};

pub const PENDING: &str = "pending";
pub const LEASED: &str = "leased";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";
/// Held until the citizen writes again (a channel window is closed).
pub const WAITING: &str = "waiting";

/// A complaint to a destination.
pub const KIND_DELIVERY: &str = "delivery";
/// A message to a citizen.
pub const KIND_MESSAGE: &str = "message";
/// A citizen's attachment to fetch from the channel's provider.
pub const KIND_MEDIA: &str = "media";

/// A new delivery of `complaint_id` to `destination`; its idempotency key
/// is fixed here and sent with every attempt.
pub fn new_row(
    complaint_id: Option<i64>,
    destination: &str,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        complaint_id: Set(complaint_id),
        destination: Set(destination.to_string()),
        idempotency_key: Set(uuid::Uuid::now_v7().simple().to_string()),
        state: Set(PENDING.into()),
        kind: Set(KIND_DELIVERY.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        external_ref: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Leases up to `limit` rows that are due (or whose lease expired) to
/// `owner` until `lease_until`, counting the attempt.
pub async fn lease<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    limit: u64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<outbox::Model>, DbErr> {
    let backend = db.get_database_backend();
    let (p, lock) = match backend {
        DbBackend::Postgres => (["$1", "$2", "$3", "$4"], "FOR UPDATE SKIP LOCKED"),
        _ => (["?", "?", "?", "?"], ""),
    };
    // SQLite numbers `?` by position, so `now` is bound once per use.
    let sql = match backend {
        DbBackend::Postgres => format!(
            "UPDATE outbox SET state = '{LEASED}', lease_owner = {o}, lease_until = {u}, \
             attempts = attempts + 1, updated_at = {n} \
             WHERE id IN (SELECT id FROM outbox \
               WHERE (state = '{PENDING}' AND next_attempt_at <= {n}) \
                  OR (state = '{LEASED}' AND lease_until < {n}) \
               ORDER BY next_attempt_at, id LIMIT {l} {lock}) \
             RETURNING *",
            o = p[0],
            u = p[1],
            n = p[2],
            l = p[3]
        ),
        _ => format!(
            "UPDATE outbox SET state = '{LEASED}', lease_owner = ?, lease_until = ?, \
             attempts = attempts + 1, updated_at = ? \
             WHERE id IN (SELECT id FROM outbox \
               WHERE (state = '{PENDING}' AND next_attempt_at <= ?) \
                  OR (state = '{LEASED}' AND lease_until < ?) \
               ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING *"
        ),
    };
    let values: Vec<Value> = match backend {
        DbBackend::Postgres => vec![
            owner.into(),
            lease_until.into(),
            now.into(),
            (limit as i64).into(),
        ],
        _ => vec![
            owner.into(),
            lease_until.into(),
            now.into(),
            now.into(),
            now.into(),
            (limit as i64).into(),
        ],
    };
    outbox::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await
}

/// How one attempt ended, as recorded in `delivery_attempts`.
pub struct AttemptRecord<'a> {
    pub outbox_id: i64,
    pub attempt: i32,
    pub outcome: &'a str,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub instance: &'a str,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

pub async fn record_attempt<C: ConnectionTrait>(db: &C, a: AttemptRecord<'_>) -> Result<(), DbErr> {
    delivery_attempt::ActiveModel {
        outbox_id: Set(a.outbox_id),
        attempt: Set(a.attempt),
        outcome: Set(a.outcome.to_string()),
        http_status: Set(a.http_status.map(i32::from)),
        error: Set(a.error),
        instance: Set(a.instance.to_string()),
        started_at: Set(a.started_at),
        finished_at: Set(a.finished_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Moves a row this owner holds to a new state; false when the lease was
/// lost (taken over after expiry), in which case nothing is changed.
pub async fn settle<C: ConnectionTrait>(
    db: &C,
    id: i64,
    owner: &str,
    change: Settle,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseOwner, Option::<String>::None.into())
        .col_expr(
            outbox::Column::LeaseUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::LeaseOwner.eq(owner))
        .filter(outbox::Column::State.eq(LEASED));
    update = match change {
        Settle::Delivered { external_ref } => update
            .col_expr(outbox::Column::State, DELIVERED.into())
            .col_expr(outbox::Column::DeliveredAt, Some(now).into())
            .col_expr(outbox::Column::ExternalRef, external_ref.into())
            .col_expr(outbox::Column::LastError, Option::<String>::None.into()),
        Settle::Retry { at, error } => update
            .col_expr(outbox::Column::State, PENDING.into())
            .col_expr(outbox::Column::NextAttemptAt, at.into())
            .col_expr(outbox::Column::LastError, Some(error).into()),
        Settle::Dead { error } => update
            .col_expr(outbox::Column::State, DEAD.into())
            .col_expr(outbox::Column::LastError, Some(error).into()),
        Settle::Wait { error } => update
            .col_expr(outbox::Column::State, WAITING.into())
            .col_expr(outbox::Column::LastError, Some(error).into()),
        Settle::Release => update.col_expr(outbox::Column::State, PENDING.into()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

pub enum Settle {
    Delivered {
        external_ref: Option<String>,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Dead {
        error: String,
    },
    /// Hold until the citizen writes again.
    Wait {
        error: String,
    },
    /// Give the row back untried (shutdown).
    Release,
}

/// Puts a dead-lettered row back in line with a fresh attempt budget;
/// returns the row, or `None` when no dead row has that id.
pub async fn retry_dead<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<outbox::Model>, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, PENDING.into())
        .col_expr(outbox::Column::Attempts, 0.into())
        .col_expr(outbox::Column::NextAttemptAt, now.into())
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.eq(DEAD))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    outbox::Entity::find_by_id(id).one(db).await
}

/// Rows per state, for metrics and the operator.
pub async fn depth<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state",
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "state")?,
                r.try_get::<i64>("", "n")?,
            ))
        })
        .collect()
}

/// Puts messages that wait for the citizen at `sender` on `channel` back
/// in line: the citizen wrote again, so the channel accepts messages now.
/// Every address of theirs of `kinds` (those `channel` sends to) counts:
/// a WhatsApp citizen who now hides their number behind a username
/// writes from their user id, and messages waiting for the number may go
/// too.
pub async fn wake_waiting<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    sender: &Address,
    kinds: &[&str],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(wake_waiting_query(channel, sender, kinds, now)
        .exec(db)
        .await?
        .rows_affected)
}

/// The statement of [`wake_waiting`], run on every chat message; public so
/// that a test can hold SQLite's plan for it to its indexes.
pub fn wake_waiting_query(
    channel: &str,
    sender: &Address,
    kinds: &[&str],
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<outbox::Entity> {
    let theirs = super::addresses::same_citizen(sender.kind(), &sender.value(), kinds);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::State, PENDING.into())
        .col_expr(outbox::Column::NextAttemptAt, now.into())
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::State.eq(WAITING))
        .filter(outbox::Column::Channel.eq(channel))
        .filter(outbox::Column::Recipient.in_subquery(theirs))
}

/// Puts a message the provider took and later refused back to wait until
/// the citizen writes again (see [`wake_waiting`]). The refused send's id
/// and report are cleared: a late report on it finds no message, and the
/// next send's reports start afresh. (They are not cleared when a row is
/// sent: a gateway may report before the send's result is recorded.)
/// False when the row was not delivered (already waiting, or sent again).
pub async fn hold_again<C: ConnectionTrait>(
    db: &C,
    id: i64,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let held = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, WAITING.into())
        .col_expr(outbox::Column::ExternalRef, None::<String>.into())
        .col_expr(outbox::Column::ProviderStatus, None::<String>.into())
        .col_expr(
            outbox::Column::ProviderStatusAt,
            None::<DateTime<Utc>>.into(),
        )
        .col_expr(outbox::Column::LastError, Some(error.to_string()).into())
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::State.eq(DELIVERED))
        .exec(db)
        .await?;
    Ok(held.rows_affected > 0)
}

/// Records a provider's delivery report (sent, delivered, read, failed)
/// on the message it names; false when no message has that id.
pub async fn record_provider_status<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    provider_message_id: &str,
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
        .filter(outbox::Column::ExternalRef.eq(provider_message_id));
    if let Some(e) = error {
        update = update.col_expr(outbox::Column::LastError, Some(e).into());
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}
