//! Group commit for SQLite. SQLite has one writer, and every durable
//! commit waits for the disk. Writers therefore queue here and share one
//! database transaction: each writer's work runs in its own savepoint
//! (undone alone when that writer fails), and the shared transaction
//! commits when nobody else is waiting, when it holds `max_members`
//! writers, or when it has been open for `max_delay`. The commit itself
//! does not wait for the disk: the slot passes to the next batch at once,
//! and the WAL is synced beside it (see [`super::wal_sync`]). A writer's
//! `commit` returns only after that sync, so "acknowledged only after
//! commit" still holds for every writer.
//!
//! Every path that lets go of the writer slot (commit, rollback, an error,
//! a dropped future) runs the same decision, in a spawned task, so a
//! cancelled request can never leave a batch open with nobody to commit it.

use super::wal_sync::WalSync;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

/// When a shared transaction commits at the latest.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_members: usize,
    pub max_delay: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_members: 128,
            max_delay: Duration::from_millis(10),
        }
    }
}

/// The outcome of a shared transaction, as every member learns it.
type Outcome = Option<Result<(), String>>;

struct Open {
    txn: DatabaseTransaction,
    members: usize,
    started: Instant,
    done: watch::Sender<Outcome>,
}

#[derive(Default)]
struct Slot {
    open: Option<Open>,
}

#[derive(Debug)]
pub struct Group {
    db: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    waiting: Arc<AtomicUsize>,
    policy: Policy,
    commits: Arc<AtomicUsize>,
    wal: Arc<WalSync>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("members", &self.open.as_ref().map(|o| o.members))
            .finish()
    }
}

impl Group {
    /// Writers share transactions on `db`, a connection of their own whose
    /// commits do not wait for the disk (`synchronous=NORMAL`); `wal`
    /// makes them durable.
    pub fn new(db: DatabaseConnection, wal: Arc<WalSync>, policy: Policy) -> Group {
        Group {
            db,
            slot: Arc::default(),
            waiting: Arc::default(),
            policy,
            commits: Arc::default(),
            wal,
        }
    }

    /// Shared transactions committed so far (for tests and metrics).
    pub fn commits(&self) -> usize {
        self.commits.load(Ordering::Relaxed)
    }

    /// Syncs of the WAL that made commits durable (for tests).
    pub fn wal_syncs(&self) -> u64 {
        self.wal.syncs()
    }

    /// Waits for the writer slot and opens this writer's savepoint in the
    /// shared transaction, opening that first when none is open.
    pub async fn begin(&self) -> Result<Member, DbErr> {
        self.seat(true).await
    }

    /// Like [`Group::begin`], but the writer works in the shared
    /// transaction itself, without a savepoint of its own (two statements
    /// fewer). For a writer that puts each of its writes in savepoints of
    /// its own and never needs to undo the rest, as intake's batch writer
    /// does: if it fails, what it wrote stays in the shared transaction.
    pub async fn begin_bare(&self) -> Result<Member, DbErr> {
        self.seat(false).await
    }

    async fn seat(&self, own_savepoint: bool) -> Result<Member, DbErr> {
        let ticket = Ticket::new(self);
        let guard = self.slot.clone().lock_owned().await;
        ticket.seated();
        let mut holder = Holder {
            guard: Some(guard),
            group: self.handle(),
        };
        let slot = holder.guard.as_mut().expect("held");
        if slot.open.is_none() {
            let txn = self
                .db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?;
            slot.open = Some(Open {
                txn,
                members: 0,
                started: Instant::now(),
                done: watch::Sender::new(None),
            });
        }
        let open = slot.open.as_mut().expect("opened above");
        let done = open.done.subscribe();
        let savepoint = match own_savepoint {
            true => Some(open.txn.begin().await?),
            false => None,
        };
        open.members += 1;
        Ok(Member {
            savepoint,
            holder: Some(holder),
            done,
        })
    }

    /// Runs `work` while no write transaction is open: waits for the
    /// writer slot in line with the writers, commits the shared
    /// transaction if one is open, and holds the slot until `work` is done.
    /// Writers meanwhile wait in line, without polling SQLite's lock.
    pub async fn quiet<F, T>(&self, work: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        let mut guard = self.slot.clone().lock_owned().await;
        if let Some(open) = guard.open.take() {
            let committed = self.handle().commit(open).await;
            tokio::spawn(committed.settle());
        }
        let out = work.await;
        drop(guard);
        out
    }

    fn handle(&self) -> Handle {
        Handle {
            slot: self.slot.clone(),
            waiting: self.waiting.clone(),
            policy: self.policy,
            commits: self.commits.clone(),
            wal: self.wal.clone(),
        }
    }
}

/// What the finishing task needs of the group.
#[derive(Clone)]
struct Handle {
    slot: Arc<Mutex<Slot>>,
    waiting: Arc<AtomicUsize>,
    policy: Policy,
    commits: Arc<AtomicUsize>,
    wal: Arc<WalSync>,
}

impl Handle {
    /// Commits the shared transaction unless another writer is waiting and
    /// the batch may still grow; then lets go of the slot.
    async fn finish(self, mut guard: OwnedMutexGuard<Slot>) {
        let Some(open) = guard.open.as_ref() else {
            return;
        };
        let grow = self.waiting.load(Ordering::SeqCst) > 0
            && open.members < self.policy.max_members
            && open.started.elapsed() < self.policy.max_delay;
        if grow {
            return;
        }
        let open = guard.open.take().expect("checked above");
        let committed = self.commit(open).await;
        drop(guard);
        committed.settle().await;
    }

    /// Commits a shared transaction; the slot may pass on once this
    /// returns. Its members learn the outcome from [`Committed::settle`].
    async fn commit(&self, open: Open) -> Committed {
        let result = open.txn.commit().await;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Committed {
            number: result.as_ref().ok().map(|_| self.wal.committed()),
            result: result.map_err(|e| e.to_string()),
            members: open.members,
            done: open.done,
            wal: self.wal.clone(),
        }
    }

    fn spawn_finish(self, guard: OwnedMutexGuard<Slot>) {
        tokio::spawn(self.finish(guard));
    }
}

/// A shared transaction committed but perhaps not yet on disk.
struct Committed {
    result: Result<(), String>,
    /// Its number for [`WalSync::durable`], when it committed.
    number: Option<u64>,
    members: usize,
    done: watch::Sender<Outcome>,
    wal: Arc<WalSync>,
}

impl Committed {
    /// Waits until the transaction is durable, then tells its members.
    async fn settle(self) {
        let mut result = self.result;
        if let Some(number) = self.number {
            if let Err(e) = self.wal.durable(number).await {
                result = Err(format!("cannot sync the WAL to disk: {e}"));
            }
        }
        if let Err(e) = &result {
            tracing::error!(error = %e, members = self.members, "shared write transaction failed to commit");
        }
        let _ = self.done.send(Some(result));
    }
}

/// Counts a writer waiting for the slot. A writer that gives up waiting
/// (its future dropped) makes sure the batch it was expected to join does
/// not stay open.
struct Ticket {
    group: Option<Handle>,
}

impl Ticket {
    fn new(group: &Group) -> Ticket {
        group.waiting.fetch_add(1, Ordering::SeqCst);
        Ticket {
            group: Some(group.handle()),
        }
    }

    fn seated(mut self) {
        if let Some(g) = self.group.take() {
            g.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(g) = self.group.take() {
            g.waiting.fetch_sub(1, Ordering::SeqCst);
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let guard = g.slot.clone().lock_owned().await;
                    g.finish(guard).await;
                });
            }
        }
    }
}

/// The writer slot, held; letting go of it always runs the finish decision.
struct Holder {
    guard: Option<OwnedMutexGuard<Slot>>,
    group: Handle,
}

impl Holder {
    fn release(mut self) {
        if let Some(guard) = self.guard.take() {
            self.group.clone().spawn_finish(guard);
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                self.group.clone().spawn_finish(guard);
            }
        }
    }
}

/// One writer's part of a shared transaction.
pub struct Member {
    savepoint: Option<DatabaseTransaction>,
    holder: Option<Holder>,
    done: watch::Receiver<Outcome>,
}

impl Member {
    pub fn txn(&self) -> &DatabaseTransaction {
        match &self.savepoint {
            Some(savepoint) => savepoint,
            // A bare member writes in the shared transaction.
            None => {
                let holder = self.holder.as_ref().expect("seated until released");
                let slot = holder.guard.as_ref().expect("held until released");
                &slot.open.as_ref().expect("open while seated").txn
            }
        }
    }

    /// Keeps this writer's work and waits until the shared transaction
    /// holding it is durable.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.release().await?.wait().await
    }

    /// Keeps this writer's work and lets go of the writer slot; the
    /// returned [`Durability`] says when the work is durable. A writer with
    /// more to write may start on it in between.
    pub async fn release(mut self) -> Result<Durability, DbErr> {
        let released = match self.savepoint.take() {
            Some(s) => s.commit().await,
            None => Ok(()),
        };
        if let Some(holder) = self.holder.take() {
            holder.release();
        }
        released?;
        Ok(Durability {
            done: self.done.clone(),
        })
    }

    /// Undoes this writer's work; the others' stays. A bare writer (see
    /// [`Group::begin_bare`]) has no savepoint to go back to: it only
    /// lets go of the slot.
    pub async fn rollback(mut self) -> Result<(), DbErr> {
        let result = match self.savepoint.take() {
            Some(s) => s.rollback().await,
            None => Ok(()),
        };
        if let Some(holder) = self.holder.take() {
            holder.release();
        }
        result
    }
}

/// A released writer's wait for the shared transaction's commit.
pub struct Durability {
    done: watch::Receiver<Outcome>,
}

impl Durability {
    /// Returns once the shared transaction is durable, or its failure.
    pub async fn wait(mut self) -> Result<(), DbErr> {
        let outcome = self
            .done
            .wait_for(|o| o.is_some())
            .await
            .map(|o| o.clone())
            .map_err(|_| DbErr::Custom("shared write transaction was abandoned".into()))?;
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(DbErr::Custom(format!("commit failed: {e}"))),
            None => Err(DbErr::Custom(
                "shared write transaction was abandoned".into(),
            )),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        // The savepoint rolls back as it drops, before the slot is let go.
        drop(self.savepoint.take());
        drop(self.holder.take());
    }
}
