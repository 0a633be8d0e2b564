//! The pipeline behind the intake journal: it takes journal entries in the
//! order they were committed, takes each in as intake always does
//! ([`Intake::accept`]: the stored raw message, the complaint or
//! follow-up, routing and outbox rows in one transaction, batched with
//! whatever else is being written), and deletes the entry once that has
//! committed.
//!
//! A crash between the two leaves the entry; taken again, it is
//! recognised as a repeated delivery by `(channel, external_id)` and
//! changes nothing, so every journaled message is taken in exactly once.
//! Entries of different senders are taken side by side; one sender's are
//! taken one after another, in journal order, so that a photo sent after
//! its text joins the complaint the text opened. An entry whose intake
//! fails on storage is tried again later, with a growing pause (the
//! sender's later entries do not wait for it: one stuck message must not
//! hold back everything a citizen sends after it); one whose JSON cannot
//! be read stays in the journal, with the error, for an operator to look
//! at. Nothing in the journal is ever dropped unread.

use super::{Intake, IntakeError};
use crate::store::entity::intake_journal;
use adapters::InboundMessage;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Entries read in one pass.
const PAGE: u64 = 512;
/// Entries taken in together while messages are being journaled: each
/// batch holds SQLite's one writer seat, which every append waits for,
/// only briefly, so providers keep getting fast answers while a burst
/// lasts. Once it is over, the pipeline takes up to a whole batch.
const BUSY_CHUNK: usize = 8;
/// How recent an append makes the journal busy.
const BUSY_FOR: Duration = Duration::from_millis(100);
/// The longest pause before a failed entry is tried again.
const MAX_PAUSE_SECS: i64 = 300;
/// How often the journal is looked at when nothing wakes the pipeline
/// (entries another gateway instance journaled, entries held back).
const IDLE: Duration = Duration::from_secs(1);

pub struct Pipeline {
    intake: Intake,
}

/// What one pass did.
#[derive(Default)]
struct Pass {
    /// Entries read.
    read: usize,
    /// Entries taken in (or settled for good) and deleted.
    done: usize,
}

impl Pipeline {
    pub fn new(intake: Intake) -> Self {
        Pipeline { intake }
    }

    /// How many entries to take in together now (see [`BUSY_CHUNK`]).
    fn chunk(&self) -> usize {
        match self.intake.journal.appended_within(BUSY_FOR) {
            true => BUSY_CHUNK,
            false => super::batch::MAX_BATCH,
        }
    }

    /// Takes journal entries in until `token` is cancelled; a pass under
    /// way is finished first.
    pub async fn run(self, token: CancellationToken) {
        let wake = self.intake.journal.wake();
        loop {
            let busy = match self.pass(Utc::now()).await {
                Ok(pass) => pass.done > 0 || pass.read as u64 == PAGE,
                Err(e) => {
                    tracing::error!(error = %e, "reading the intake journal failed; trying again");
                    false
                }
            };
            if busy && !token.is_cancelled() {
                continue;
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE) => {}
            }
        }
    }

    /// Takes in the entries due at `now`: per sender, the first one.
    async fn pass(&self, now: DateTime<Utc>) -> Result<Pass, DbErr> {
        let store = &self.intake.store;
        // Gateways sharing one PostgreSQL take turns: the same entries
        // taken in side by side would be repeated deliveries to all but
        // one, work done twice for nothing.
        let turn = match store.backend() {
            DbBackend::Postgres => match pg_turn(store.db()).await? {
                Some(txn) => Some(txn),
                None => return Ok(Pass::default()),
            },
            _ => None,
        };
        let rows = intake_journal::Entity::find()
            .filter(
                intake_journal::Column::NotBefore
                    .is_null()
                    .or(intake_journal::Column::NotBefore.lte(now)),
            )
            .order_by_asc(intake_journal::Column::Id)
            .limit(PAGE)
            .all(store.db())
            .await?;
        let read = rows.len();
        let mut senders = HashSet::new();
        let mut unreadable = Vec::new();
        let mut taken = Vec::new();
        for row in rows {
            match serde_json::from_str::<InboundMessage>(&row.message) {
                Ok(msg) => {
                    let sender = msg.sender.as_ref().map(|a| a.value());
                    // One sender's later entries wait for the next pass.
                    if sender.is_none_or(|s| senders.insert(s)) {
                        taken.push((row, msg));
                    }
                }
                Err(e) => unreadable.push((row, e.to_string())),
            }
        }
        let mut results = Vec::with_capacity(taken.len());
        let mut rest = &taken[..];
        while !rest.is_empty() {
            let (part, later) = rest.split_at(self.chunk().min(rest.len()));
            rest = later;
            results.extend(
                futures::future::join_all(
                    part.iter().map(|(_, msg)| self.intake.accept(msg.clone())),
                )
                .await,
            );
        }
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for ((row, msg), result) in taken.iter().zip(results) {
            match result {
                Ok(_) => done.push(row.id),
                Err(IntakeError::Conflict(id)) => {
                    // Retrying cannot help: the first is kept.
                    tracing::warn!(channel = %msg.channel, external_id = %id, "a message id came again with different content; the first is kept");
                    self.intake
                        .metrics
                        .intake_rejected(msg.channel.as_str(), "external_id_reused");
                    done.push(row.id);
                }
                Err(e) => failed.push((row, e.to_string())),
            }
        }
        for (row, error) in &unreadable {
            tracing::error!(journal_id = row.id, field = "message", error = %error, "an intake journal entry cannot be read; it stays in the journal");
        }
        for (row, error) in &failed {
            tracing::warn!(journal_id = row.id, channel = %row.channel, external_id = %row.external_id, attempts = row.attempts + 1, error = %error, "intake of a journaled message failed; it will be tried again");
        }
        let marks: Vec<(&intake_journal::Model, &String)> = failed
            .iter()
            .map(|(r, e)| (*r, e))
            .chain(unreadable.iter().map(|(r, e)| (r, e)))
            .collect();
        match turn {
            Some(txn) => {
                settle(&txn, &done, &marks, now).await?;
                txn.commit().await?;
            }
            None => {
                let txn = store.begin_write().await?;
                settle(&*txn, &done, &marks, now).await?;
                txn.commit().await?;
            }
        }
        Ok(Pass {
            read,
            done: done.len(),
        })
    }
}

/// The advisory lock a PostgreSQL pipeline holds for its pass
/// ("satupint" in ASCII).
pub const PG_TURN_LOCK: i64 = 0x7361_7475_7069_6e74;

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
/// their error and when to try again.
async fn settle<C: ConnectionTrait>(
    db: &C,
    done: &[i64],
    marks: &[(&intake_journal::Model, &String)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !done.is_empty() {
        intake_journal::Entity::delete_many()
            .filter(intake_journal::Column::Id.is_in(done.iter().copied()))
            .exec(db)
            .await?;
    }
    for (row, error) in marks {
        let attempts = row.attempts + 1;
        let pause = std::cmp::min(1i64 << attempts.clamp(0, 9), MAX_PAUSE_SECS);
        intake_journal::Entity::update_many()
            .col_expr(intake_journal::Column::Attempts, Expr::value(attempts))
            .col_expr(
                intake_journal::Column::LastError,
                Expr::value((*error).clone()),
            )
            .col_expr(
                intake_journal::Column::NotBefore,
                Expr::value(now + chrono::Duration::seconds(pause)),
            )
            .filter(intake_journal::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

impl Intake {
    /// Entries in the journal not yet taken in (held back ones included).
    pub async fn journal_pending(&self) -> Result<u64, DbErr> {
        intake_journal::Entity::find().count(self.store.db()).await
    }

    /// Journal entries never tried, and those tried and failed.
    pub async fn journal_counts(&self) -> Result<(u64, u64), DbErr> {
        let db = self.store.db();
        let failing = intake_journal::Entity::find()
            .filter(intake_journal::Column::Attempts.gt(0))
            .count(db)
            .await?;
        let all = intake_journal::Entity::find().count(db).await?;
        Ok((all.saturating_sub(failing), failing))
    }

    /// Waits until the journal holds nothing, or `limit` has passed;
    /// returns whether it is empty.
    pub async fn journal_settled(&self, limit: Duration) -> bool {
        let until = tokio::time::Instant::now() + limit;
        loop {
            if self.journal_pending().await.is_ok_and(|n| n == 0) {
                return true;
            }
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
