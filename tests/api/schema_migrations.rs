//! Migrations that move data, run from the schema before them on both
//! backends: what was stored reads the same way after.

use crate::helpers::*;
use crate::on_both_backends;
use migrations::{Migrator, MigratorTrait};
use satupintu::store::entity::citizen_address;
use sea_orm::{ConnectionTrait, Database, EntityTrait, QueryOrder};

/// A database migrated up to the one before the migration `name`, and
/// how many migrations there are from `name` on.
async fn before(db: &TestDb, name: &str) -> (sea_orm::DatabaseConnection, u32) {
    let url = match db.url.starts_with("sqlite:") {
        true => format!("{}?mode=rwc", db.url),
        false => db.url.clone(),
    };
    let conn = Database::connect(&url).await.unwrap();
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::up(&conn, Some(at as u32)).await.unwrap();
    (conn, (all.len() - at) as u32)
}

async fn unreachable_marks_become_per_channel(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let (conn, from_it) = before(&db, "m20261208_000001_unreachable_channels").await;
    // A number and a mailbox marked before the migration, and a Telegram
    // chat never marked.
    let marked = "'2026-11-20 08:00:00+00:00'";
    let marked = match backend {
        Backend::Sqlite => marked.to_string(),
        Backend::Postgres => format!("{marked}::timestamptz"),
    };
    for sql in [
        "INSERT INTO citizens (id, display_name, created_at) VALUES (1, 'Siti', '2026-11-19 08:00:00+00:00')".to_string(),
        format!(
            "INSERT INTO citizen_addresses (id, citizen_id, kind, address, created_at, unreachable_at) VALUES \
             (1, 1, 'phone', '+6281355550001', {marked}, {marked}), \
             (2, 1, 'email', 'siti@example.com', {marked}, {marked}), \
             (3, 1, 'telegram', '5550001', {marked}, NULL)"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();

    let rows = citizen_address::Entity::find()
        .order_by_asc(citizen_address::Column::Id)
        .all(&conn)
        .await
        .unwrap();
    let on: Vec<Option<&str>> = rows.iter().map(|r| r.unreachable_on.as_deref()).collect();
    assert_eq!(
        on,
        [Some("sms whatsapp"), Some("email"), None],
        "a mark made before stops every channel of its address"
    );
    assert!(rows[0].unreachable_at.is_some() && rows[2].unreachable_at.is_none());

    // And back down: the column goes, the rows stay.
    Migrator::down(&conn, Some(from_it)).await.unwrap();
    let left: Vec<sea_orm::QueryResult> = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT id FROM citizen_addresses",
        ))
        .await
        .unwrap();
    assert_eq!(left.len(), 3);
    conn.close().await.unwrap();
}

on_both_backends!(unreachable_marks_become_per_channel);

/// PostgreSQL keeps a journal entry of a few kilobytes in its row as it
/// came: compressing it cost more than anything else the server did for
/// a web form submission.
#[tokio::test]
async fn journal_entries_stay_uncompressed_in_their_row() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Postgres, dir.path()).await;
    let (conn, _) = before(&db, "m20261211_000001_intake_journal_inline").await;
    let insert = |id: &str| {
        format!(
            "INSERT INTO intake_journal (channel, external_id, message, attempts, created_at) \
             VALUES ('webform', '{id}', repeat('Jalan berlubang di depan pasar. ', 100), 0, now())"
        )
    };
    let compression = |id: &str| {
        format!("SELECT pg_column_compression(message) AS c FROM intake_journal WHERE external_id = '{id}'")
    };
    let read = |sql: String| {
        let conn = &conn;
        async move {
            conn.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql,
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<Option<String>>("", "c")
            .unwrap()
        }
    };
    conn.execute_unprepared(&insert("before")).await.unwrap();
    assert_eq!(read(compression("before")).await.as_deref(), Some("pglz"));
    Migrator::up(&conn, None).await.unwrap();
    conn.execute_unprepared(&insert("after")).await.unwrap();
    assert_eq!(read(compression("after")).await, None);
    conn.close().await.unwrap();
}

/// The plan of a lookup of a waiting entry by its code, as one text.
async fn code_lookup_plan(conn: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::TransactionTrait;
    let backend = conn.get_database_backend();
    let txn = conn.begin().await.unwrap();
    let (sql, column) = match backend {
        sea_orm::DbBackend::Postgres => {
            // The table is small: the plan shows whether the index can
            // serve the lookup, not whether it is worth it yet.
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            ("EXPLAIN", "QUERY PLAN")
        }
        _ => ("EXPLAIN QUERY PLAN", "detail"),
    };
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            format!(
                "{sql} SELECT created_at FROM intake_journal WHERE tracking_code = 'ABCDEFGHJK'"
            ),
        ))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the journal's code index holds only entries with a code.
async fn code_index_is_partial(conn: &sea_orm::DatabaseConnection) -> bool {
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'ix_intake_journal_code'"
        }
        _ => "SELECT sql AS def FROM sqlite_master WHERE name = 'ix_intake_journal_code'",
    };
    let def: String = conn
        .query_one_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .unwrap()
        .expect("the code index")
        .try_get("", "def")
        .unwrap();
    def.contains("WHERE")
}

/// A WhatsApp entry (no code) is not indexed by code; a lookup by code
/// still uses the index.
async fn journal_code_index_holds_entries_with_codes(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let (conn, from_it) = before(&db, "m20261212_000001_intake_journal_code_partial").await;
    assert!(!code_index_is_partial(&conn).await);
    Migrator::up(&conn, None).await.unwrap();
    assert!(code_index_is_partial(&conn).await);
    let plan = code_lookup_plan(&conn).await;
    assert!(plan.contains("ix_intake_journal_code"), "{plan}");
    // And back down: every entry indexed again.
    Migrator::down(&conn, Some(from_it)).await.unwrap();
    assert!(!code_index_is_partial(&conn).await);
    conn.close().await.unwrap();
}

on_both_backends!(journal_code_index_holds_entries_with_codes);
