//! SQLite's plans for statements every intake runs. SQLite keeps no
//! statistics unless told to, so it may answer from a worse index than the
//! one meant for a statement and read a whole table's worth of rows; these
//! hold the hot statements to their indexes.

use satupintu::store::{outbox, Store};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};

async fn plan(store: &Store, stmt: Statement) -> String {
    let explain = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("EXPLAIN QUERY PLAN {}", stmt.sql),
        stmt.values.map(|v| v.0).unwrap_or_default(),
    );
    let rows = store.db().query_all_raw(explain).await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "detail").unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn waking_held_messages_reads_only_the_recipients_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plans.db", dir.path().display());
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let stmt = outbox::wake_waiting_query("whatsapp", "6281234567890", chrono::Utc::now())
        .build(DbBackend::Sqlite);
    let plan = plan(&store, stmt).await;
    assert!(
        plan.contains("ix_outbox_channel_recipient_state")
            && plan.contains("recipient=?")
            && !plan.contains("SCAN"),
        "waking held messages must search by channel and recipient, got: {plan}"
    );
}

#[tokio::test]
async fn a_phone_poll_reads_only_its_unconfirmed_messages() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plans.db", dir.path().display());
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let stmt = satupintu::store::sms::unconfirmed_query("sms", "android", chrono::Utc::now(), 4)
        .build(DbBackend::Sqlite);
    let plan = plan(&store, stmt).await;
    assert!(
        plan.contains("ix_outbox_account_report")
            && plan.contains("provider_status=?")
            && !plan.contains("SCAN"),
        "a phone's poll must search by account and report, got: {plan}"
    );
}
