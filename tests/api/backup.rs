//! `satupintu backup`: a running SQLite deployment's database and intake
//! journal copied into a directory; PostgreSQL is pointed to pg_dump.

use crate::helpers::*;
use satupintu::store::entity::{complaint, intake_journal};
use sea_orm::{ActiveModelTrait, Database, EntityTrait, PaginatorTrait, Set};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_the_database_and_the_waiting_journal() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let settings = test_config(&db, dir.path(), None);
    let config = write_config(&settings, &dir.path().join("satupintu.toml"));
    let app = TestApp::spawn(settings).await;
    app.intake
        .enqueue(sms(
            "bk-1",
            "+6281377770031",
            "Lampu jalan mati di Jl. Proklamasi",
        ))
        .await
        .unwrap();
    assert!(app.intake.journal_settled(Duration::from_secs(20)).await);
    // An entry held back after a failed try: still waiting in the journal.
    let waiting = sms("bk-2", "+6281377770032", "Sampah menumpuk di Pasar Alai");
    let journal = journal_db(&app).await;
    intake_journal::ActiveModel {
        channel: Set("sms".into()),
        external_id: Set("bk-2".into()),
        message: Set(serde_json::to_string(&waiting).unwrap()),
        attempts: Set(1),
        last_error: Set(Some("database is locked".into())),
        not_before: Set(Some(chrono::Utc::now() + chrono::Duration::minutes(5))),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&journal)
    .await
    .unwrap();

    // The gateway keeps running while the copy is made.
    let to = dir.path().join("backup");
    let (ok, out, err) = run_cli(&config, &["backup", "--to", to.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("intake journal copied to"), "{out}");
    let copy = |name: &str| format!("sqlite://{}?mode=ro", to.join(name).display());
    let database = Database::connect(copy("satupintu.db")).await.unwrap();
    assert_eq!(complaint::Entity::find().count(&database).await.unwrap(), 1);
    let journal_copy = Database::connect(copy("satupintu.db-intake"))
        .await
        .unwrap();
    let entries = intake_journal::Entity::find()
        .all(&journal_copy)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].external_id, "bk-2");
    assert_eq!(entries[0].attempts, 1);

    // A copy already there is not overwritten.
    let (ok, _, err) = run_cli(&config, &["backup", "--to", to.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("exists; back up into an empty directory"),
        "{err}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgres_points_to_pg_dump() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Postgres, dir.path()).await;
    let config = write_config(
        &test_config(&db, dir.path(), None),
        &dir.path().join("satupintu.toml"),
    );
    let to = dir.path().join("backup");
    let (ok, _, err) = run_cli(&config, &["backup", "--to", to.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
}
