//! SQLite group commit: concurrent writers share commits, a failing writer
//! undoes only its own work, and a writer whose future is dropped (a client
//! that hung up) never leaves the others waiting.

use satupintu::store::group::Policy;
use satupintu::store::Store;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use std::time::Duration;

async fn store(policy: Policy) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/group.db", dir.path().display());
    let store = Store::connect(&url, 4)
        .await
        .unwrap()
        .with_group_commit(policy);
    store
        .db()
        .execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
        .await
        .unwrap();
    (store, dir)
}

async fn insert(store: &Store, v: &str) -> Result<(), sea_orm::DbErr> {
    let txn = store.begin_write().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        store.backend(),
        "INSERT INTO t (v) VALUES (?)",
        [v.into()],
    ))
    .await?;
    // Some work between statements, as intake does.
    tokio::task::yield_now().await;
    txn.execute_raw(Statement::from_sql_and_values(
        store.backend(),
        "INSERT INTO t (v) VALUES (?)",
        [format!("{v}-second").into()],
    ))
    .await?;
    txn.commit().await
}

async fn values(store: &Store) -> Vec<String> {
    let rows = store
        .db()
        .query_all_raw(Statement::from_string(
            store.backend(),
            "SELECT v FROM t ORDER BY v",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "v").unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_share_commits_and_a_failure_stays_their_own() {
    let (store, _dir) = store(Policy::default()).await;
    // "w7-second" already taken: writer 7 fails on its second statement.
    insert(&store, "seed").await.unwrap();
    store
        .db()
        .execute_unprepared("INSERT INTO t (v) VALUES ('w7-second')")
        .await
        .unwrap();
    let before = store.group_commits().unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            insert(&store, &format!("w{i}")).await
        }));
    }
    let mut failed = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if t.await.unwrap().is_err() {
            failed.push(i);
        }
    }
    assert_eq!(
        failed,
        vec![7],
        "only the writer hitting the unique index fails"
    );
    let stored = values(&store).await;
    assert!(
        !stored.contains(&"w7".to_string()),
        "its first row is undone too"
    );
    assert_eq!(stored.len(), 2 + 63 * 2 + 1);
    let commits = store.group_commits().unwrap() - before;
    assert!(
        commits < 64,
        "64 concurrent writers should share commits, took {commits}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_writer_never_strands_the_others() {
    let policy = Policy {
        max_members: 1000,
        max_delay: Duration::from_secs(60),
    };
    let (store, _dir) = store(policy).await;
    let holder = store.begin_write().await.unwrap();
    // Writers queue behind the open one; some give up while queued, one
    // gives up while holding the slot.
    let mut waiting = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        waiting.push(tokio::spawn(async move {
            insert(&store, &format!("q{i}")).await
        }));
    }
    let quitter = {
        let store = store.clone();
        tokio::spawn(async move { insert(&store, "quitter").await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    quitter.abort();
    let half_done = {
        let store = store.clone();
        tokio::spawn(async move {
            let txn = store.begin_write().await.unwrap();
            txn.execute_unprepared("INSERT INTO t (v) VALUES ('abandoned')")
                .await
                .unwrap();
            std::future::pending::<()>().await;
            drop(txn);
        })
    };
    holder
        .execute_unprepared("INSERT INTO t (v) VALUES ('holder')")
        .await
        .unwrap();
    let committed = tokio::spawn(holder.commit());
    tokio::time::sleep(Duration::from_millis(200)).await;
    half_done.abort();
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        committed.await.unwrap().unwrap();
        for w in waiting {
            w.await.unwrap().unwrap();
        }
    })
    .await;
    assert!(outcome.is_ok(), "writers were left waiting for a commit");
    let stored = values(&store).await;
    assert!(stored.contains(&"holder".to_string()));
    assert!(stored.contains(&"q5-second".to_string()));
    assert!(!stored.contains(&"abandoned".to_string()), "{stored:?}");
    assert!(!stored.contains(&"quitter".to_string()), "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_writer_shares_the_commit_and_undoes_only_its_failed_savepoint() {
    let policy = Policy {
        max_members: 1000,
        max_delay: Duration::from_secs(60),
    };
    let (store, _dir) = store(policy).await;
    insert(&store, "taken").await.unwrap();
    let before = store.group_commits().unwrap();
    // A plain writer holds the slot while the bare one queues behind it,
    // so the shared transaction grows to take both.
    let plain = store.begin_write().await.unwrap();
    plain
        .execute_unprepared("INSERT INTO t (v) VALUES ('plain')")
        .await
        .unwrap();
    let bare = {
        let store = store.clone();
        tokio::spawn(async move {
            let bare = store.begin_write_bare().await.unwrap();
            let kept = bare.begin().await.unwrap();
            kept.execute_unprepared("INSERT INTO t (v) VALUES ('kept')")
                .await
                .unwrap();
            kept.commit().await.unwrap();
            let failing = bare.begin().await.unwrap();
            failing
                .execute_unprepared("INSERT INTO t (v) VALUES ('undone')")
                .await
                .unwrap();
            assert!(failing
                .execute_unprepared("INSERT INTO t (v) VALUES ('taken')")
                .await
                .is_err());
            failing.rollback().await.unwrap();
            bare.release().await.unwrap().wait().await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let plain = plain.release().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        plain.wait().await.unwrap();
        bare.await.unwrap().unwrap();
    })
    .await
    .expect("both are durable");
    assert_eq!(
        values(&store).await,
        ["kept", "plain", "taken", "taken-second"]
    );
    assert_eq!(
        store.group_commits().unwrap() - before,
        1,
        "one shared commit"
    );
}
