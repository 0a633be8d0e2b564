//! Batched intake writes. Requests hand their parsed message to one queue;
//! a writer drains every message waiting at that moment and writes them in
//! one transaction: first-time senders' new complaints together, with one
//! multi-row statement per table (see [`super::bulk`]), every other message
//! on its own in a savepoint of the same transaction, in arrival order.
//! Every request is answered only after that transaction commits, so
//! "acknowledged only after commit" holds for each message. A message whose
//! writes fail is undone alone; the rest of its batch stays.
//!
//! The per-statement cost (a round trip to the database, on SQLite a
//! thread hand-off each way) is paid per batch instead of per message.

use super::{attachments::Stored, bulk, Accepted, Intake, IntakeError, Plan, Processed};
use crate::store::cursors::CursorUpdate;
use crate::store::WriteTxn;
use adapters::InboundMessage;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Most messages written in one transaction. Bounds the statement size
/// (the complaint row has about 25 columns; SQLite allows 32,766 bound
/// values) and the latency one slow message adds to the others.
pub const MAX_BATCH: usize = 64;

/// One message on its way to the database, with what intake worked out
/// before the transaction.
pub struct Job {
    pub intake: Intake,
    pub msg: Arc<InboundMessage>,
    pub fingerprint: String,
    pub stored: Vec<Option<Stored>>,
    pub cursor: Option<CursorUpdate>,
    /// Taken when the message is written on its own.
    pub plan: Option<Plan>,
}

struct Queued {
    job: Job,
    reply: oneshot::Sender<Result<Written, IntakeError>>,
}

/// A committed message: its answer, and when its batch was written.
struct Written {
    processed: Processed,
    at: DateTime<Utc>,
}

/// The queue in front of the writer, started with the first message.
#[derive(Default)]
pub struct Batcher {
    queue: OnceLock<mpsc::Sender<Queued>>,
    /// Batches taken and not yet released.
    writing: Arc<AtomicUsize>,
}

impl Batcher {
    /// Queues `job` and waits until it is committed (or failed). The job is
    /// written to its end even when the caller stops waiting (a client that
    /// hung up), so what it commits is committed whole and answered on a
    /// retry.
    ///
    /// A first report is put in the duplicate index here, by the caller,
    /// before it answers: the writer thread, which every batch's writes
    /// wait for, does not spend its time on the index. A caller that stops
    /// waiting leaves that to the index's sync with the database, which
    /// indexes every first report it has not seen within seconds.
    pub async fn submit(&self, job: Job) -> Result<Accepted, IntakeError> {
        let dedup = job.intake.dedup.clone();
        let queue = self.queue.get_or_init(|| {
            let store = &job.intake.store;
            // SQLite has one writer: a second batch waits for the seat
            // while the first writes, and joins its transaction (see
            // `store::group`). PostgreSQL writes batches side by side.
            let writers = match store.backend() {
                DbBackend::Sqlite => 2,
                _ => 4,
            };
            let (tx, rx) = mpsc::channel(MAX_BATCH * 16);
            store.spawn_write(run(rx, writers, self.writing.clone()));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Queued { job, reply })
            .await
            .map_err(|_| stopped())?;
        let written = answer.await.unwrap_or_else(|_| Err(stopped()))?;
        if let Some((id, sig)) = written.processed.remember {
            dedup.remember(id, sig, written.at);
        }
        Ok(written.processed.accepted)
    }
}

impl Batcher {
    /// Messages queued for the next batch.
    pub fn queued(&self) -> usize {
        self.queue
            .get()
            .map_or(0, |q| q.max_capacity() - q.capacity())
    }

    /// Batches being written (waiting for the database, or writing).
    pub fn writing(&self) -> usize {
        self.writing.load(Ordering::SeqCst)
    }
}

fn stopped() -> IntakeError {
    IntakeError::Storage(DbErr::Custom("the intake writer stopped".into()))
}

/// Forms batches while a writer slot is free; ends when every sender is
/// gone (the gateway's intake was dropped).
///
/// On SQLite a batch takes the writer's seat (its share of the shared
/// transaction) before it takes the queue: the seat is free only once the
/// batch before has put its statements in, and every message that came
/// meanwhile joins this batch instead of waiting for the next. The
/// statements a batch sends cost about the same for one message as for
/// several, so under steady load batches grow with the time each one
/// waits, and the writer keeps up with fewer of them.
async fn run(mut queue: mpsc::Receiver<Queued>, writers: usize, writing: Arc<AtomicUsize>) {
    let slots = Arc::new(Semaphore::new(writers));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        writing.fetch_add(1, Ordering::SeqCst);
        let slot = Slot {
            _permit: slot,
            writing: writing.clone(),
        };
        // PostgreSQL has no one seat: its writers open their transactions
        // side by side, once their batches are formed (opening it first
        // there doubled the closed loop's p99).
        let intake = first.job.intake.clone();
        let txn = match intake.store.backend() {
            DbBackend::Sqlite => Some(intake.store.begin_write_bare().await),
            _ => None,
        };
        let batch = with_waiting(first, &mut queue, MAX_BATCH);
        tokio::spawn(write(batch, txn, slot));
    }
}

/// `first` and whatever waits in `queue` now, up to `max` in all.
pub(super) fn with_waiting<T>(first: T, queue: &mut mpsc::Receiver<T>, max: usize) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    batch
}

/// A batch writer's turn; let go once its statements are in.
struct Slot {
    _permit: OwnedSemaphorePermit,
    writing: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.writing.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Writes one batch in `txn` (opened here when `None`) and answers every
/// request in it.
async fn write(mut batch: Vec<Queued>, txn: Option<Result<WriteTxn, DbErr>>, slot: Slot) {
    let intake = batch[0].job.intake.clone();
    let txn = match txn {
        Some(txn) => txn,
        None => intake.store.begin_write_bare().await,
    };
    let now = Utc::now();
    // Every write of the batch is in a savepoint (or script) of its own.
    let results = match txn {
        Ok(txn) => {
            let results = write_in(&intake, &txn, &mut batch, now).await;
            // Once its statements are in, the next batch may write (on
            // SQLite into the same shared transaction) while this one
            // waits for the disk.
            let released = txn.release().await;
            drop(slot);
            let durable = match released {
                Ok(durable) => durable.wait().await,
                Err(e) => Err(e),
            };
            match durable {
                Ok(()) => results,
                Err(e) => {
                    tracing::error!(error = %e, messages = batch.len(), "intake batch failed to commit");
                    results
                        .into_iter()
                        .map(|r| r.and(Err(failed(&e))))
                        .collect()
                }
            }
        }
        Err(e) => {
            drop(slot);
            batch.iter().map(|_| Err(failed(&e))).collect()
        }
    };
    for (queued, result) in batch.into_iter().zip(results) {
        let answer = result.map(|processed| Written { processed, at: now });
        // The caller may have stopped waiting; what committed stays.
        let _ = queued.reply.send(answer);
    }
}

fn failed(e: &DbErr) -> IntakeError {
    IntakeError::Storage(DbErr::Custom(e.to_string()))
}

/// The batch's writes in `txn`, one result per message in batch order.
async fn write_in(
    intake: &Intake,
    txn: &DatabaseTransaction,
    batch: &mut [Queued],
    now: DateTime<Utc>,
) -> Vec<Result<Processed, IntakeError>> {
    let mut results: Vec<Option<Result<Processed, IntakeError>>> =
        batch.iter().map(|_| None).collect();
    let jobs: Vec<&Job> = batch.iter().map(|q| &q.job).collect();
    // A failed statement aborts a whole PostgreSQL transaction: every later
    // one is refused until it rolls back. There the bulk part runs in a
    // savepoint of its own, so that a failure in it undoes only it and the
    // messages go one by one in a transaction that still works. SQLite
    // goes on after a failed statement.
    let guard = match txn.get_database_backend() {
        DbBackend::Sqlite => None,
        _ => match txn.begin().await {
            Ok(savepoint) => Some(savepoint),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "cannot open the bulk intake savepoint; writing messages one by one"
                );
                return write_each(intake, txn, batch, results, now).await;
            }
        },
    };
    let written = match bulk_part(intake, guard.as_ref().unwrap_or(txn), &jobs, now).await {
        Ok(written) => match guard {
            Some(savepoint) => match savepoint.commit().await {
                Ok(()) => written,
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "cannot release the bulk intake savepoint; writing messages one by one"
                    );
                    Vec::new()
                }
            },
            None => written,
        },
        Err(()) => {
            if let Some(savepoint) = guard {
                if let Err(e) = savepoint.rollback().await {
                    tracing::warn!(error = %e, "cannot undo the bulk intake savepoint");
                }
            }
            Vec::new()
        }
    };
    for (index, processed) in written {
        results[index] = Some(Ok(processed));
    }
    write_each(intake, txn, batch, results, now).await
}

/// The messages of `batch` that [`bulk::choose`] picks, written together
/// by [`bulk::write`]: each with its index in the batch. `Err` when a
/// statement failed (logged here); nothing of it may stay then.
async fn bulk_part(
    intake: &Intake,
    txn: &DatabaseTransaction,
    jobs: &[&Job],
    now: DateTime<Utc>,
) -> Result<Vec<(usize, Processed)>, ()> {
    let chosen = match bulk::choose(intake, txn, jobs, now).await {
        Ok(chosen) => chosen,
        Err(e) => {
            tracing::warn!(error = %e, "bulk intake lookup failed; writing messages one by one");
            return Err(());
        }
    };
    let picks = &chosen.picks;
    if picks.is_empty() {
        return Ok(Vec::new());
    }
    match bulk::write(intake, txn, jobs, &chosen, now).await {
        Ok(done) => Ok(picks.iter().map(|p| p.index).zip(done).collect()),
        Err(e) => {
            tracing::warn!(
                error = %e,
                messages = picks.len(),
                "bulk intake write failed; writing those messages one by one"
            );
            Err(())
        }
    }
}

/// Writes every message of `batch` without a result yet on its own, and
/// returns one result per message in batch order.
async fn write_each(
    intake: &Intake,
    txn: &DatabaseTransaction,
    batch: &mut [Queued],
    mut results: Vec<Option<Result<Processed, IntakeError>>>,
    now: DateTime<Utc>,
) -> Vec<Result<Processed, IntakeError>> {
    let bulk = results.iter().filter(|r| r.is_some()).count();
    intake.metrics.intake_batch(bulk, batch.len() - bulk);
    for (queued, slot) in batch.iter_mut().zip(results.iter_mut()) {
        if slot.is_none() {
            *slot = Some(write_one(intake, txn, &mut queued.job, now).await);
        }
    }
    results
        .into_iter()
        .map(|r| r.expect("every message has a result"))
        .collect()
}

/// One message in a savepoint of its own, undone alone when it fails.
async fn write_one(
    intake: &Intake,
    txn: &DatabaseTransaction,
    job: &mut Job,
    now: DateTime<Utc>,
) -> Result<Processed, IntakeError> {
    let plan = job.plan.take().expect("a message is written once");
    let savepoint = txn.begin().await?;
    let stored = std::mem::take(&mut job.stored);
    let result = intake
        .process_in(
            &savepoint,
            &job.msg,
            &job.fingerprint,
            stored,
            job.cursor.as_ref(),
            plan,
            now,
        )
        .await;
    match result {
        Ok(p) => {
            savepoint.commit().await?;
            Ok(p)
        }
        Err(e) => {
            let _ = savepoint.rollback().await;
            Err(e)
        }
    }
}
