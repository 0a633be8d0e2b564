//! The intake journal, where a provider's message is made durable before
//! anything is worked out from it. A webhook answers its provider once
//! the message is committed here; the pipeline ([`super::pipeline`])
//! then turns journal entries into complaints at its own pace, through
//! the same batched writes as every other message.
//!
//! A provider wants its answer within seconds and sends again when it is
//! late. When many citizens write at once (a flood, a blackout) the
//! journal keeps the answer fast, because one entry is a single row; the
//! work behind it (routing, duplicate detection, the complaint, its
//! timeline, outbox and SLA rows) waits in the journal instead of in the
//! provider's retry queue.
//!
//! Appends are batched like intake's writes: every message waiting when a
//! writer gets its turn goes in one multi-row insert, on SQLite into the
//! shared group-commit transaction. A message already in the journal
//! (a retry while the first delivery still waits) adds nothing.

use super::IntakeError;
use crate::metrics::Metrics;
use crate::store::entity::intake_journal;
use crate::store::{Store, WriteTxn};
use adapters::InboundMessage;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Set};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};

/// Most entries in one insert (five bound values each).
const MAX_BATCH: usize = 256;

struct Entry {
    channel: String,
    external_id: String,
    /// The message as JSON.
    message: String,
    received: DateTime<Utc>,
    reply: oneshot::Sender<Result<(), IntakeError>>,
}

impl Entry {
    fn row(&self) -> intake_journal::ActiveModel {
        intake_journal::ActiveModel {
            channel: Set(self.channel.clone()),
            external_id: Set(self.external_id.clone()),
            message: Set(self.message.clone()),
            attempts: Set(0),
            created_at: Set(self.received),
            ..Default::default()
        }
    }
}

/// What the journal's writers work with.
#[derive(Clone)]
struct Sink {
    store: Store,
    metrics: Metrics,
    /// Woken when entries were committed.
    wake: Arc<Notify>,
}

/// The queue in front of the journal's writers, started with the first
/// entry, and the pipeline's wake-up.
#[derive(Default)]
pub struct Journal {
    queue: OnceLock<mpsc::Sender<Entry>>,
    wake: Arc<Notify>,
    /// When the last append came.
    last_append: Mutex<Option<Instant>>,
}

impl Journal {
    /// Whether `msg` can wait in the journal: bytes that came with the
    /// request are stored as files by a synchronous intake instead.
    pub fn takes(msg: &InboundMessage) -> bool {
        msg.attachments
            .iter()
            .all(|a| !matches!(a.media, adapters::MediaRef::Inline(_)))
    }

    /// Whether a message came to be journaled within `span`.
    pub fn appended_within(&self, span: Duration) -> bool {
        self.last_append
            .lock()
            .is_ok_and(|at| at.is_some_and(|at| at.elapsed() < span))
    }

    /// Commits `msg` to the journal; returns once it is durable.
    pub async fn append(
        &self,
        store: &Store,
        metrics: &Metrics,
        msg: &InboundMessage,
    ) -> Result<(), IntakeError> {
        if let Ok(mut at) = self.last_append.lock() {
            *at = Some(Instant::now());
        }
        let message = serde_json::to_string(msg)
            .map_err(|e| IntakeError::Storage(DbErr::Custom(format!("journal entry: {e}"))))?;
        let queue = self.queue.get_or_init(|| {
            let writers = match store.backend() {
                DbBackend::Sqlite => 2,
                _ => 4,
            };
            let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
            let sink = Sink {
                store: store.clone(),
                metrics: metrics.clone(),
                wake: self.wake.clone(),
            };
            store.spawn_write(run(sink, rx, writers));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Entry {
                channel: msg.channel.as_str().into(),
                external_id: msg.external_id.to_string(),
                message,
                received: Utc::now(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Wakes when entries were committed.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

fn stopped() -> IntakeError {
    IntakeError::Storage(DbErr::Custom("the intake journal writer stopped".into()))
}

/// Forms batches while a writer slot is free. On SQLite a batch takes the
/// writer's seat first, so that entries arriving while it waits join it
/// (see `batch::run`).
async fn run(sink: Sink, mut queue: mpsc::Receiver<Entry>, writers: usize) {
    let store = &sink.store;
    let slots = Arc::new(Semaphore::new(writers));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        let txn = match store.backend() {
            DbBackend::Sqlite => Some(store.begin_write_bare().await),
            _ => None,
        };
        let batch = super::batch::with_waiting(first, &mut queue, MAX_BATCH);
        tokio::spawn(write(sink.clone(), batch, txn, slot));
    }
}

/// Inserts one batch and answers every entry in it once it is durable.
async fn write(
    sink: Sink,
    batch: Vec<Entry>,
    txn: Option<Result<WriteTxn, DbErr>>,
    slot: OwnedSemaphorePermit,
) {
    let txn = match txn {
        Some(txn) => txn,
        None => sink.store.begin_write_bare().await,
    };
    let result = match txn {
        Ok(txn) => commit(&sink, txn, &batch, slot).await,
        Err(e) => Err(e),
    };
    match &result {
        Ok(()) => sink.wake.notify_one(),
        Err(e) => {
            tracing::error!(error = %e, messages = batch.len(), "intake journal batch not stored")
        }
    }
    for entry in batch {
        let answer = match &result {
            Ok(()) => Ok(()),
            Err(e) => Err(IntakeError::Storage(DbErr::Custom(e.to_string()))),
        };
        // The caller may have stopped waiting; what committed stays.
        let _ = entry.reply.send(answer);
    }
}

/// Inserts `batch` in `txn` and commits; returns once it is durable.
/// The writer slot is let go as soon as the statements are in.
async fn commit(
    sink: &Sink,
    mut txn: WriteTxn,
    batch: &[Entry],
    slot: OwnedSemaphorePermit,
) -> Result<(), DbErr> {
    let inserted = match insert(&txn, batch.iter().map(Entry::row).collect()).await {
        Ok(n) => n,
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(e);
        }
    };
    if inserted < batch.len() as u64 {
        report_reused(sink, &txn, batch).await?;
    }
    // Providers wait on this batch; the pipeline's batches, which nobody
    // waits on, must not keep it open.
    txn.hurry();
    let durable = txn.release().await?;
    drop(slot);
    durable.wait().await
}

/// Some entries of `batch` were journaled already (a retry while the first
/// delivery waits, or twice in one batch). A retry is nothing to report;
/// an id that came back with a different message is: the first is kept.
async fn report_reused(sink: &Sink, txn: &WriteTxn, batch: &[Entry]) -> Result<(), DbErr> {
    let ids = batch.iter().map(|e| e.external_id.as_str());
    let kept = intake_journal::Entity::find()
        .filter(intake_journal::Column::ExternalId.is_in(ids))
        .all(&**txn)
        .await?;
    let raw = |json: &str| {
        serde_json::from_str::<InboundMessage>(json)
            .map(|m| m.raw.body)
            .ok()
    };
    for entry in batch {
        let first = kept
            .iter()
            .find(|k| k.channel == entry.channel && k.external_id == entry.external_id);
        if first.is_some_and(|first| raw(&first.message) != raw(&entry.message)) {
            tracing::warn!(
                channel = %entry.channel,
                external_id = %entry.external_id,
                field = "external_id",
                "a message id came again with different content while the first waits in the intake journal; the first is kept"
            );
            sink.metrics
                .intake_rejected(&entry.channel, "external_id_reused");
        }
    }
    Ok(())
}

/// One multi-row insert; entries already journaled are left as they are.
/// Returns how many were inserted.
async fn insert(txn: &WriteTxn, rows: Vec<intake_journal::ActiveModel>) -> Result<u64, DbErr> {
    let result = intake_journal::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                intake_journal::Column::Channel,
                intake_journal::Column::ExternalId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&**txn)
        .await;
    match result {
        Ok(n) => Ok(n),
        Err(DbErr::RecordNotInserted) => Ok(0),
        Err(e) => Err(e),
    }
}
