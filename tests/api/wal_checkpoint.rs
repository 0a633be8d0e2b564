//! SQLite WAL checkpoints run beside the writers: no connection of the
//! pool checkpoints inside a commit, and the WAL still reaches the
//! database file without anyone asking.

use satupintu::store::checkpoint;
use satupintu::store::Store;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use std::path::Path;
use std::time::{Duration, Instant};

async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}/wal.db", dir.display());
    let store = Store::connect(&url, 3).await.unwrap();
    store
        .db()
        .execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
        .await
        .unwrap();
    store
}

/// Writes about `kb` KiB in transactions of 64 KiB.
async fn write(store: &Store, kb: usize) {
    for _ in 0..kb / 64 {
        let txn = store.begin_write().await.unwrap();
        for _ in 0..8 {
            txn.execute_raw(Statement::from_sql_and_values(
                store.backend(),
                "INSERT INTO t (v) VALUES (?)",
                [vec![7u8; 8192].into()],
            ))
            .await
            .unwrap();
        }
        txn.commit().await.unwrap();
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn every_connection_leaves_checkpoints_to_the_checkpointer() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    // Three transactions hold the pool's three connections at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        let txn = store.db().begin().await.unwrap();
        let pragma = |name: &str| {
            let sql = format!("PRAGMA {name}");
            let txn = &txn;
            async move {
                txn.query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let autocheckpoint = pragma("wal_autocheckpoint").await;
        assert_eq!(autocheckpoint.try_get_by_index::<i64>(0).unwrap(), 0);
        let mode = pragma("journal_mode").await;
        assert_eq!(mode.try_get_by_index::<String>(0).unwrap(), "wal");
        held.push(txn);
    }
}

#[tokio::test]
async fn the_wal_reaches_the_database_file_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let db_file = dir.path().join("wal.db");
    let before = size(&db_file);
    // 8 MB: twice what SQLite would have checkpointed inside a commit.
    write(&store, 8 * 1024).await;
    let deadline = Instant::now() + checkpoint::INTERVAL * 20;
    while size(&db_file) < before + (7 << 20) {
        assert!(
            Instant::now() < deadline,
            "the checkpointer copied the WAL within {:?}: database file {} bytes",
            checkpoint::INTERVAL * 20,
            size(&db_file)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once copied, a checkpoint finds nothing left to do.
    let done = checkpoint::checkpoint(store.db()).await.unwrap();
    assert_eq!(done.wal_frames, done.checkpointed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_while_writers_never_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let wal_file = dir.path().join("wal.db-wal");
    // Two writers, so that a shared write transaction is open nearly all
    // the time (the WAL cannot start over at the end of a passive
    // checkpoint), writing 64 MiB: four times the restart threshold.
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { write(&store, 32 * 1024).await })
        })
        .collect();
    let mut largest = 0;
    for w in writers {
        while !w.is_finished() {
            largest = largest.max(size(&wal_file));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        w.await.unwrap();
    }
    // A WAL that never starts over holds all 64 MiB (and more: the pages
    // around the values). The checkpointer looks every 250 ms, so how far
    // past the threshold it grows depends on the disk; that it started
    // over does not.
    assert!(
        largest < 56 << 20,
        "the WAL grew to {largest} bytes; it should start over past {} frames",
        checkpoint::RESTART_FRAMES
    );
}
