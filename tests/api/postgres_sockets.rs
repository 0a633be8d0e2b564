//! The gateway's PostgreSQL connections over TCP have `TCP_NODELAY` on:
//! without it a multi-row insert longer than one TCP segment waits up to
//! 40 ms for the server's delayed acknowledgment (see `store::nodelay`).

use crate::helpers::*;
use satupintu::store::{nodelay, Store};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[tokio::test]
async fn every_connection_to_postgres_has_tcp_nodelay() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Postgres, dir.path()).await;
    let pg: PgConnectOptions = db.url.parse().unwrap();
    let peers = nodelay::server_addresses(pg.get_host(), pg.get_port()).await;
    assert!(!peers.is_empty(), "{} resolves", pg.get_host());
    let store = Store::connect(&db.url, 4).await.unwrap();
    store.migrate().await.unwrap();
    // Several connections at once, so that the pool opens more than one.
    let reads = (0..4).map(|_| store.ping());
    for r in futures::future::join_all(reads).await {
        r.unwrap();
    }
    // Only this store's connections: other tests connect to the same
    // server meanwhile. The server knows their ports.
    let ports: Vec<i32> = store
        .db()
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<i32>(0).unwrap())
        .collect();
    let mine: Vec<_> = nodelay::sockets_to(&peers)
        .into_iter()
        .filter(|s| ports.contains(&i32::from(s.local.port())))
        .collect();
    assert!(
        mine.len() >= 2,
        "the store's connections are found: {mine:?} (ports {ports:?})"
    );
    assert!(
        mine.iter().all(|s| s.nodelay),
        "connections to {peers:?} without TCP_NODELAY: {mine:?}"
    );
    store.close().await.unwrap();
}
