//! SQLite's shared write transactions commit without waiting for the disk
//! and are synced after the writer slot passes on: writers learn of their
//! commit only after that sync, and a failed sync fails their commit. Every
//! connection outside the group still waits for the disk in its commit.

use satupintu::store::group::{Group, Policy};
use satupintu::store::wal_sync::WalSync;
use satupintu::store::Store;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use std::path::Path;
use std::sync::Arc;

async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}/sync.db", dir.display());
    let store = Store::connect(&url, 2).await.unwrap();
    store
        .db()
        .execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .await
        .unwrap();
    store
}

/// `PRAGMA synchronous`: 1 is NORMAL, 2 is FULL.
async fn synchronous(txn: &DatabaseTransaction) -> i64 {
    txn.query_one_raw(Statement::from_string(
        txn.get_database_backend(),
        "PRAGMA synchronous",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index(0)
    .unwrap()
}

async fn count(store: &Store) -> i64 {
    store
        .db()
        .query_one_raw(Statement::from_string(
            store.backend(),
            "SELECT COUNT(*) FROM t",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_group_commits_without_waiting_and_its_writers_wait_for_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    for _ in 0..2 {
        let txn = store.db().begin().await.unwrap();
        assert_eq!(synchronous(&txn).await, 2, "pool connections stay FULL");
        txn.commit().await.unwrap();
    }
    let member = store.begin_write().await.unwrap();
    assert_eq!(
        synchronous(&member).await,
        1,
        "the group's connection is NORMAL"
    );
    member.commit().await.unwrap();
    assert_eq!(store.wal_syncs(), Some(1), "its writer waited for a sync");

    // Writers at once: each commit is acknowledged after a sync, and
    // batches that commit while one runs share the next.
    let writers: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let txn = store.begin_write().await?;
                txn.execute_unprepared(&format!("INSERT INTO t (v) VALUES ('w{i}')"))
                    .await?;
                txn.commit().await
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap().unwrap();
    }
    assert_eq!(count(&store).await, 64);
    let syncs = store.wal_syncs().unwrap();
    assert!(syncs >= 2, "{syncs} syncs");
    assert!(
        syncs <= store.group_commits().unwrap() as u64,
        "{syncs} syncs for {} commits",
        store.group_commits().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_fails_the_writers_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    // A WAL path that cannot be opened: a link to itself.
    let unsyncable = dir.path().join("loop");
    std::os::unix::fs::symlink(&unsyncable, &unsyncable).unwrap();
    let group = Group::new(
        store.db().clone(),
        Arc::new(WalSync::new(unsyncable)),
        Policy::default(),
    );
    let member = group.begin().await.unwrap();
    member
        .txn()
        .execute_unprepared("INSERT INTO t (v) VALUES ('unsure')")
        .await
        .unwrap();
    let err = member.commit().await.unwrap_err().to_string();
    assert!(err.contains("cannot sync the WAL"), "{err}");
    // The group goes on: the next writer fails the same way, not hangs.
    let next = group.begin().await.unwrap();
    assert!(next.commit().await.is_err());
}

#[tokio::test]
async fn an_in_memory_database_is_refused_with_a_reason() {
    for url in [
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite://x.db?mode=memory",
    ] {
        let err = Store::connect(url, 2).await.unwrap_err().to_string();
        assert!(
            err.contains("in-memory SQLite database is not supported"),
            "{url}: {err}"
        );
    }
}
