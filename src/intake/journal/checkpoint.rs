//! WAL checkpoints of the journal's file, off the append path. SQLite
//! would otherwise checkpoint inside the commit that grows the WAL past
//! 1000 pages: that commit copies about 4 MB into the file and waits for
//! the disk twice, and every provider whose message was in that batch
//! waits with it. So the journal's connection never checkpoints
//! (`wal_autocheckpoint=0`), and a thread of its own runs passive
//! checkpoints on a second connection, beside the appends: a passive
//! checkpoint takes no lock that an append waits for.
//!
//! A passive checkpoint never lets the WAL start over while appends keep
//! coming, so once the WAL holds more than [`RESTART_FRAMES`] the thread
//! asks the journal's own thread for a last pass between two append
//! batches ([`super::file`]'s `Command::Checkpoint`): that pass copies
//! only the last moments' frames, and the append that follows starts the
//! WAL over.
//!
//! How often, and past how many frames, are the database's own
//! ([`crate::store::checkpoint`]): one policy for both WALs.

use crate::store::checkpoint::{Progress, HELD_FRAMES, INTERVAL, RESTART_FRAMES};
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};

/// Runs one passive checkpoint on `conn`.
pub fn passive(conn: &Connection) -> rusqlite::Result<Progress> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok(Progress {
            wal_frames: r.get(1)?,
            checkpointed: r.get(2)?,
        })
    })
}

/// Checkpoints the journal at `path` every [`INTERVAL`] until `stop`'s
/// sender is dropped; `restart` asks the journal's thread for the pass
/// that lets the WAL start over, and returns false once that thread is
/// gone.
pub fn run(path: &Path, stop: Receiver<()>, restart: impl Fn() -> bool) {
    let conn = match Connection::open(path) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "cannot open the intake journal for checkpoints; SQLite checkpoints it when its WAL grows");
            return;
        }
    };
    let mut failing = false;
    loop {
        match stop.recv_timeout(INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        match pass(&conn) {
            Ok(false) => failing = false,
            Ok(true) => {
                failing = false;
                if !restart() {
                    return;
                }
            }
            // Logged once per run of failures, not every tick.
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "intake journal WAL checkpoint failed; will retry");
            }
            Err(_) => {}
        }
    }
}

/// One tick: a passive checkpoint and, when the WAL has grown past
/// [`RESTART_FRAMES`], more passes until the frames written meanwhile are
/// few; returns whether the WAL should now start over.
fn pass(conn: &Connection) -> rusqlite::Result<bool> {
    let mut done = passive(conn)?;
    if done.wal_frames <= RESTART_FRAMES {
        return Ok(false);
    }
    for _ in 0..4 {
        let again = passive(conn)?;
        let written_meanwhile = again.wal_frames - done.wal_frames;
        done = again;
        if written_meanwhile < HELD_FRAMES {
            break;
        }
    }
    Ok(true)
}
