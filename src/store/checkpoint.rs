//! WAL checkpoints for SQLite, off the commit path. By default SQLite
//! checkpoints inside the commit that grows the WAL past 1000 pages: that
//! commit copies about 4 MB into the database file and waits for the disk
//! twice before it returns, and with group commit every writer of the
//! shared transaction waits with it. Automatic checkpoints are therefore
//! off on every connection (`wal_autocheckpoint=0`, set in
//! [`super::Store::connect`]), and this task runs the same passive
//! checkpoint on a connection of its own, beside the writers: a passive
//! checkpoint never takes the write lock, so commits go on meanwhile.
//!
//! A passive checkpoint copies the WAL but never lets it start over: the
//! WAL restarts only when a write transaction begins after every frame was
//! copied, and under load the next shared transaction has always begun
//! before the checkpoint ends. So once the WAL holds more than
//! [`RESTART_FRAMES`], the task follows its passive pass with a second one
//! while it holds the writer slot (see [`Group::quiet`]): that pass copies
//! only the last moments' frames, and the write that follows starts the
//! WAL over. Writers wait for it in line, once per that many frames.

use super::group::Group;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the WAL is checked; a checkpoint with nothing to copy is one
/// cheap statement.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages) past which the WAL is made to start over: 16 MiB
/// with SQLite's 4 KiB pages.
pub const RESTART_FRAMES: i64 = 4096;

/// The checkpoint task; stops when dropped.
#[derive(Debug)]
pub struct Checkpointer(JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Checkpointer {
    /// Starts checking the WAL every [`INTERVAL`], on `db`, holding the
    /// writers of `group` when it makes the WAL start over.
    pub fn start(db: DatabaseConnection, group: Arc<Group>) -> Checkpointer {
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                match pass(&db, &group).await {
                    Ok(()) => failing = false,
                    // Logged once per run of failures, not every tick.
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "SQLite WAL checkpoint failed; will retry");
                    }
                    Err(_) => {}
                }
            }
        }))
    }
}

/// Frames a catch-up pass may leave for the pass that holds the writers.
pub const HELD_FRAMES: i64 = 512;

/// One tick: a passive checkpoint and, when the WAL has grown past
/// [`RESTART_FRAMES`], more passive passes until the frames written
/// meanwhile are few, then one more with the writers held.
async fn pass(db: &DatabaseConnection, group: &Group) -> Result<(), DbErr> {
    let mut done = checkpoint(db).await?;
    if done.wal_frames <= RESTART_FRAMES {
        return Ok(());
    }
    for _ in 0..4 {
        let again = checkpoint(db).await?;
        let written_meanwhile = again.wal_frames - done.wal_frames;
        done = again;
        if written_meanwhile < HELD_FRAMES {
            break;
        }
    }
    let started = std::time::Instant::now();
    let last = group.quiet(checkpoint(db)).await?;
    let held = started.elapsed();
    if held > Duration::from_millis(100) {
        tracing::info!(
            held_ms = held.as_millis() as u64,
            wal_frames = last.wal_frames,
            "writers waited for the WAL to start over"
        );
    }
    if last.checkpointed < last.wal_frames {
        tracing::debug!(
            wal_frames = last.wal_frames,
            "WAL not copied whole (a reader held on); it starts over later"
        );
    }
    Ok(())
}

/// The outcome of one checkpoint: the frames in the WAL and the frames
/// copied into the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub wal_frames: i64,
    pub checkpointed: i64,
}

/// Runs one passive checkpoint: copies what it can of the WAL into the
/// database file, blocking neither writers nor readers.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<Progress, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint returned no row".into()))?;
    Ok(Progress {
        wal_frames: row.try_get_by_index(1)?,
        checkpointed: row.try_get_by_index(2)?,
    })
}
