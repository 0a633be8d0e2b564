//! The intake journal as a table of the gateway's database (PostgreSQL):
//! every gateway sharing the database appends to it, and their pipelines
//! take it in by turns.
//!
//! Appends are batched like intake's writes: every message waiting when a
//! writer gets its turn goes in one insert. The table is PostgreSQL's (on
//! SQLite the journal is a file, see `file`), and so is its SQL.

use super::{Appended, Entry, Mark, Row};
use crate::intake::IntakeError;
use crate::store::entity::intake_journal;
use crate::store::Store;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::Postgres;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex, MutexGuard, Notify};

/// Most entries in one insert.
const MAX_BATCH: usize = 256;
/// Batches written side by side: two, so that one fills while the other
/// commits. More writers make smaller batches, each a transaction of its
/// own, which costs the database server more per entry: with four, web
/// form and WhatsApp intake answered a fifth fewer requests; with one, a
/// slow commit held every answer back (a p99 of 35-101 ms in some runs at
/// half rate).
const WRITERS: usize = 2;
/// How long a writer keeps its connection without entries to write.
const HOLD: Duration = Duration::from_secs(1);

/// The advisory lock a PostgreSQL pipeline holds for its pass
/// ("satupint" in ASCII).
pub const PG_TURN_LOCK: i64 = 0x7361_7475_7069_6e74;

/// One message to journal, and who waits for it to be durable.
struct Queued {
    entry: Entry,
    reply: oneshot::Sender<Result<Appended, IntakeError>>,
}

/// The queue in front of the table's writers, started with the first
/// entry.
#[derive(Default)]
pub struct Table {
    queue: OnceLock<mpsc::Sender<Queued>>,
}

impl Table {
    /// Commits one entry; returns once it is durable.
    pub async fn append(
        &self,
        store: &Store,
        wake: Arc<Notify>,
        entry: Entry,
    ) -> Result<Appended, IntakeError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
            store.spawn_write(run(store.clone(), wake, rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Queued { entry, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> IntakeError {
    IntakeError::Storage(DbErr::Custom("the intake journal writer stopped".into()))
}

/// Starts the writers; each takes the next batch once its last one is
/// answered.
async fn run(store: Store, wake: Arc<Notify>, queue: mpsc::Receiver<Queued>) {
    let queue = Arc::new(Mutex::new(queue));
    for _ in 0..WRITERS {
        tokio::spawn(writer(store.clone(), wake.clone(), queue.clone()));
    }
}

/// One writer: takes every entry waiting (the first one awaited while the
/// queue is its own, so that the other writer's batch forms meanwhile),
/// inserts them on its connection and answers them. The connection is
/// kept while batches come: the pool checks a connection with a round
/// trip to the server each time it hands one out and each time one comes
/// back, two of the three round trips of a batch taken from the pool.
/// After [`HOLD`] without entries it goes back to the pool (and after
/// every batch where the pool is small, see [`may_hold`]).
async fn writer(store: Store, wake: Arc<Notify>, queue: Arc<Mutex<mpsc::Receiver<Queued>>>) {
    let may_hold = may_hold(&store);
    let mut held: Option<PoolConnection<Postgres>> = None;
    loop {
        // The wait for the queue counts too: a writer waiting while the
        // other one has the queue gives its connection back as well.
        let (mut queue, first) = if held.is_some() {
            match tokio::time::timeout(HOLD, next(&queue)).await {
                Ok(next) => next,
                Err(_) => {
                    held = None;
                    next(&queue).await
                }
            }
        } else {
            next(&queue).await
        };
        let Some(first) = first else {
            return;
        };
        let batch = crate::intake::batch::with_waiting(first, &mut queue, MAX_BATCH);
        drop(queue);
        write(&store, &wake, &mut held, batch).await;
        if !may_hold {
            held = None;
        }
    }
}

/// The queue, once it is this writer's, and the first entry in it.
async fn next(
    queue: &Mutex<mpsc::Receiver<Queued>>,
) -> (MutexGuard<'_, mpsc::Receiver<Queued>>, Option<Queued>) {
    let mut queue = queue.lock().await;
    let first = queue.recv().await;
    (queue, first)
}

/// Whether the writers may keep connections: only with two more in the
/// pool, for the pipeline and the requests that read (a pool of
/// `database.max_connections` = 3 or less is shared batch by batch).
fn may_hold(store: &Store) -> bool {
    let db = store.db();
    db.get_database_backend() == DbBackend::Postgres
        && db
            .get_postgres_connection_pool()
            .options()
            .get_max_connections() as usize
            >= WRITERS + 2
}

/// Inserts one batch and answers every entry in it once it is durable.
async fn write(
    store: &Store,
    wake: &Notify,
    held: &mut Option<PoolConnection<Postgres>>,
    batch: Vec<Queued>,
) {
    let entries: Vec<&Entry> = batch.iter().map(|q| &q.entry).collect();
    let result = insert(store, held, &entries).await;
    match &result {
        Ok(_) => wake.notify_one(),
        Err(e) => {
            // The connection may be what failed: the next batch takes
            // another (the pool checks this one as it goes back).
            *held = None;
            tracing::error!(error = %e, messages = batch.len(), "intake journal batch not stored")
        }
    }
    let outcomes = match result {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) => vec![Err(e.to_string()); batch.len()],
    };
    for (queued, outcome) in batch.into_iter().zip(outcomes) {
        // The caller may have stopped waiting; what committed stays.
        let _ = queued
            .reply
            .send(outcome.map_err(|e| IntakeError::Storage(DbErr::Custom(e))));
    }
}

/// The batch insert: one statement, whatever the batch's size (its columns
/// travel as arrays, bound as PostgreSQL sends them, with nothing for the
/// server to parse), so the server prepares it once and a batch is one
/// round trip, committed on its own. Entries already journaled are left as
/// they are; the statement returns those it inserted.
const INSERT: &str = "INSERT INTO intake_journal \
    (channel, external_id, message, attempts, created_at, tracking_code) \
    SELECT e.channel, e.external_id, e.message, 0, e.created_at, e.tracking_code \
    FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) \
    AS e(channel, external_id, message, created_at, tracking_code) \
    ON CONFLICT (channel, external_id) DO NOTHING \
    RETURNING channel, external_id";

/// Inserts `batch`; returns once it is durable, with what each entry
/// found.
async fn insert(
    store: &Store,
    held: &mut Option<PoolConnection<Postgres>>,
    batch: &[&Entry],
) -> Result<Vec<Appended>, DbErr> {
    let db = store.db();
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(DbErr::Custom(
            "the intake journal's table is written on PostgreSQL only".into(),
        ));
    }
    let pool = db.get_postgres_connection_pool();
    let reused = held.is_some();
    let conn = match held {
        Some(conn) => conn,
        None => held.insert(pool.acquire().await.map_err(sqlx_error)?),
    };
    let inserted = match insert_on(conn, batch).await {
        // A kept connection the server closed since its last batch (a
        // restart, an administrator): once more on one the pool checks.
        // Entries committed before the connection went are found as such.
        Err(e) if reused && connection_lost(&e) => {
            tracing::warn!(error = %e, "intake journal connection lost; writing the batch on another");
            let conn = held.insert(pool.acquire().await.map_err(sqlx_error)?);
            insert_on(conn, batch).await
        }
        other => other,
    }
    .map_err(sqlx_error)?;
    let new: HashSet<(String, String)> = inserted.into_iter().collect();
    if new.len() == batch.len() {
        return Ok(vec![Appended::New; batch.len()]);
    }
    already_waiting(db, batch, &new).await
}

/// The batch insert on `conn`: the entries inserted.
async fn insert_on(
    conn: &mut PoolConnection<Postgres>,
    batch: &[&Entry],
) -> Result<Vec<(String, String)>, sea_orm::sqlx::Error> {
    // Bound through sea-orm's driver, sqlx: sea-orm's own array values
    // are a feature this build leaves off.
    sea_orm::sqlx::query_as(INSERT)
        .bind(batch.iter().map(|e| e.channel.as_str()).collect::<Vec<_>>())
        .bind(
            batch
                .iter()
                .map(|e| e.external_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(batch.iter().map(|e| e.message.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.received).collect::<Vec<_>>())
        .bind(
            batch
                .iter()
                .map(|e| e.tracking_code.as_deref())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut **conn)
        .await
}

/// Whether `e` says the connection is gone rather than the statement
/// failed: a broken socket, or the server ending the session (SQLSTATE
/// class 08, connection exception, and 57P01-57P03, an administrator's
/// or the server's shutdown; not 57014, a cancelled statement).
fn connection_lost(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_) | Error::Protocol(_) => true,
        Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// A sqlx error as sea-orm reports it.
fn sqlx_error(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(sea_orm::RuntimeErr::SqlxError(e.into()))
}

/// Some entries of `batch` were journaled already (a retry while the first
/// delivery waits, or twice in one batch): finds those whose first entry
/// holds a different message. The others count as new: a retry is nothing
/// to report.
async fn already_waiting(
    db: &DatabaseConnection,
    batch: &[&Entry],
    new: &HashSet<(String, String)>,
) -> Result<Vec<Appended>, DbErr> {
    let ids = batch.iter().map(|e| e.external_id.as_str());
    let kept = intake_journal::Entity::find()
        .filter(intake_journal::Column::ExternalId.is_in(ids))
        .all(db)
        .await?;
    let mut seen = HashSet::new();
    Ok(batch
        .iter()
        .map(|entry| {
            let key = (entry.channel.clone(), entry.external_id.clone());
            // The first of a batch's copies is the one inserted.
            if new.contains(&key) && seen.insert(key) {
                return Appended::New;
            }
            let first = kept
                .iter()
                .find(|k| k.channel == entry.channel && k.external_id == entry.external_id);
            match first {
                Some(first) => Appended::Waiting {
                    same: super::same_content(&first.message, &entry.message),
                    tracking_code: first.tracking_code.clone(),
                },
                // Taken in and deleted since the insert found it.
                None => Appended::Waiting {
                    same: true,
                    tracking_code: None,
                },
            }
        })
        .collect())
}

/// Reads the entries due at `now`, holding the pipeline's turn; `None`
/// when another gateway's pipeline has it now. Gateways sharing one
/// PostgreSQL take turns: the same entries taken in side by side would be
/// repeated deliveries to all but one, work done twice for nothing.
pub async fn take(
    store: &Store,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Option<(DatabaseTransaction, Vec<Row>)>, DbErr> {
    let Some(turn) = pg_turn(store.db()).await? else {
        return Ok(None);
    };
    let rows = intake_journal::Entity::find()
        .filter(
            intake_journal::Column::NotBefore
                .is_null()
                .or(intake_journal::Column::NotBefore.lte(now)),
        )
        .order_by_asc(intake_journal::Column::Id)
        .limit(limit)
        .all(store.db())
        .await?;
    Ok(Some((turn, rows.into_iter().map(Row::from).collect())))
}

/// A transaction holding the pipeline's turn on PostgreSQL, or `None`
/// when another gateway's pipeline has it now.
async fn pg_turn(db: &DatabaseConnection) -> Result<Option<DatabaseTransaction>, DbErr> {
    let txn = db.begin().await?;
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_try_advisory_xact_lock({PG_TURN_LOCK}) AS turn"),
        ))
        .await?;
    let turn = match row {
        Some(row) => row.try_get::<bool>("", "turn")?,
        None => false,
    };
    if turn {
        Ok(Some(txn))
    } else {
        txn.rollback().await?;
        Ok(None)
    }
}

/// Deletes the entries taken in (`done`) and marks the failed ones with
/// their error and when to try again, in the turn's transaction.
pub async fn settle(turn: DatabaseTransaction, done: &[i64], marks: &[Mark]) -> Result<(), DbErr> {
    write_settled(&turn, done, marks).await?;
    turn.commit().await
}

async fn write_settled<C: ConnectionTrait>(
    db: &C,
    done: &[i64],
    marks: &[Mark],
) -> Result<(), DbErr> {
    if !done.is_empty() {
        intake_journal::Entity::delete_many()
            .filter(intake_journal::Column::Id.is_in(done.iter().copied()))
            .exec(db)
            .await?;
    }
    for mark in marks {
        intake_journal::Entity::update_many()
            .col_expr(intake_journal::Column::Attempts, Expr::value(mark.attempts))
            .col_expr(
                intake_journal::Column::LastError,
                Expr::value(mark.error.clone()),
            )
            .col_expr(
                intake_journal::Column::NotBefore,
                Expr::value(mark.not_before),
            )
            .filter(intake_journal::Column::Id.eq(mark.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes entries by id (on SQLite, those moved into the journal's file).
pub async fn delete(store: &Store, ids: &[i64]) -> Result<(), DbErr> {
    let txn = store.begin_write().await?;
    write_settled(&*txn, ids, &[]).await?;
    txn.commit().await
}

/// When the entry with `tracking_code` was journaled, if it waits.
pub async fn waiting(store: &Store, tracking_code: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    intake_journal::Entity::find()
        .select_only()
        .column(intake_journal::Column::CreatedAt)
        .filter(intake_journal::Column::TrackingCode.eq(tracking_code))
        .into_tuple()
        .one(store.db())
        .await
}

/// Entries never tried, and those tried and failed.
pub async fn counts(store: &Store) -> Result<(u64, u64), DbErr> {
    let db = store.db();
    let failing = intake_journal::Entity::find()
        .filter(intake_journal::Column::Attempts.gt(0))
        .count(db)
        .await?;
    let all = intake_journal::Entity::find().count(db).await?;
    Ok((all.saturating_sub(failing), failing))
}
