//! Durability of SQLite's shared write transactions, after the write lock
//! is let go. The group's writer connection runs with `synchronous=NORMAL`:
//! its commit writes the transaction's frames into the WAL file but does
//! not wait for the disk, so the next batch of writers can start at once.
//! The members of a committed batch are told of the commit only after the
//! WAL file was synced (`fdatasync`) once the commit had returned, so
//! "acknowledged only after commit" means durable, as with
//! `synchronous=FULL`. One sync covers every commit made before it began:
//! batches that commit while a sync runs share the next one.
//!
//! The database file never runs ahead of the synced WAL: checkpoints run
//! on connections with `synchronous=FULL`, which sync the WAL before they
//! copy it. Other connections may read a batch in the moment between its
//! commit and the sync; nothing goes out on it before the sync: its
//! requests are answered after it, and the dispatcher leases rows in a
//! write of its own, answered after a later sync, which covers the earlier
//! commit too.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

#[derive(Debug)]
pub struct WalSync {
    path: PathBuf,
    /// Commits made so far: their frames are in the WAL file, perhaps only
    /// in the operating system's cache.
    committed: AtomicU64,
    /// Commits known to be on disk. Held while a sync runs, so that one
    /// runs at a time and those waiting meanwhile learn what it covered.
    durable: Mutex<u64>,
    syncs: AtomicU64,
}

impl WalSync {
    /// Syncs the WAL file at `path` (the database file's path and `-wal`).
    pub fn new(path: PathBuf) -> WalSync {
        WalSync {
            path,
            committed: AtomicU64::new(0),
            durable: Mutex::new(0),
            syncs: AtomicU64::new(0),
        }
    }

    /// Counts a commit that has just returned; the number it gets is what
    /// to pass to [`WalSync::durable`].
    pub fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Syncs of the WAL file so far (for tests).
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Returns once commit number `commit` is on disk: at once when a sync
    /// that began after it has finished, else after another sync.
    pub async fn durable(&self, commit: u64) -> std::io::Result<()> {
        let mut durable = self.durable.lock().await;
        if *durable >= commit {
            return Ok(());
        }
        // Every commit counted by now has written its frames.
        let covered = self.committed.load(Ordering::SeqCst);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || sync_file(&path))
            .await
            .map_err(std::io::Error::other)??;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        *durable = covered;
        Ok(())
    }
}

fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(file) => file.sync_data(),
        // SQLite removes the WAL only when its last connection closes,
        // after copying it whole into the database file and syncing that.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_sync_covers_every_commit_made_before_it_began() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-wal");
        std::fs::write(&path, b"frames").unwrap();
        let wal = WalSync::new(path);
        let (first, second) = (wal.committed(), wal.committed());
        wal.durable(first).await.unwrap();
        assert_eq!(wal.syncs(), 1);
        // The second commit had returned before that sync began.
        wal.durable(second).await.unwrap();
        assert_eq!(wal.syncs(), 1);
        let third = wal.committed();
        wal.durable(third).await.unwrap();
        assert_eq!(wal.syncs(), 2);
        wal.durable(first).await.unwrap();
        assert_eq!(wal.syncs(), 2);
    }

    #[tokio::test]
    async fn a_wal_removed_on_close_has_nothing_left_to_sync() {
        let dir = tempfile::tempdir().unwrap();
        let wal = WalSync::new(dir.path().join("db-wal"));
        let n = wal.committed();
        wal.durable(n).await.unwrap();
    }

    #[tokio::test]
    async fn a_wal_that_cannot_be_opened_is_an_error_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-wal");
        // A link to itself: opening it fails with "too many levels of
        // symbolic links".
        std::os::unix::fs::symlink(&path, &path).unwrap();
        let wal = WalSync::new(path);
        let n = wal.committed();
        assert!(wal.durable(n).await.is_err());
        assert!(
            wal.durable(n).await.is_err(),
            "a failure is not remembered as durable"
        );
        assert_eq!(wal.syncs(), 0);
    }
}
