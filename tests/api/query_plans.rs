//! SQLite's plans for statements every intake runs. SQLite keeps no
//! statistics unless told to, so it may answer from a worse index than the
//! one meant for a statement and read a whole table's worth of rows; these
//! hold the hot statements to their indexes.

use adapters::{Address, PhoneE164};
use satupintu::channels::whatsapp::window;
use satupintu::store::{outbox, Store};
use sea_orm::{ConnectionTrait, DbBackend, QuerySelect, QueryTrait, Statement};

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
    let sender = Address::Phone(PhoneE164::parse("081234567890").unwrap());
    let kinds = ["phone", "whatsapp_user"];
    let stmt = outbox::wake_waiting_query("whatsapp", &sender, &kinds, chrono::Utc::now())
        .build(DbBackend::Sqlite);
    let plan = plan(&store, stmt).await;
    assert!(
        plan.contains("ix_outbox_channel_recipient_state")
            && plan.contains("recipient=?")
            && plan.contains("ux_citizen_addresses_kind_address")
            && plan.contains("ix_citizen_addresses_citizen")
            && !plan.contains("SCAN"),
        "waking held messages must search by channel and recipient, and the \
         citizen's addresses by their indexes, got: {plan}"
    );
}

#[tokio::test]
async fn the_window_check_reads_only_the_citizens_messages() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plans.db", dir.path().display());
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    for recipient in ["+6281234567890", "ID.1502576394655843"] {
        let stmt = window::last_inbound_query("111111111111111", recipient)
            .limit(1)
            .build(DbBackend::Sqlite);
        let plan = plan(&store, stmt).await;
        assert!(
            plan.contains("ix_inbound_messages_account_sender")
                && plan.contains("sender=?")
                && plan.contains("ux_citizen_addresses_kind_address")
                && plan.contains("ix_citizen_addresses_citizen")
                && !plan.replace("SCAN CONSTANT ROW", "").contains("SCAN"),
            "the window check must search by account and sender, got: {plan}"
        );
    }
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
