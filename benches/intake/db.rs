//! The databases of gateway runs: a fresh SQLite file or PostgreSQL
//! database per case, and what the gateway really stored, read back from
//! its tables after the load.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::path::Path;

pub enum Backend {
    Sqlite,
    Postgres { admin: String },
}

impl Backend {
    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }

    /// PostgreSQL at SATUPINTU_TEST_DATABASE_URL (admin), when reachable.
    pub async fn postgres() -> Option<Backend> {
        let admin = std::env::var("SATUPINTU_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        match Database::connect(&admin).await {
            Ok(_) => Some(Backend::Postgres { admin }),
            Err(e) => {
                eprintln!("PostgreSQL not reachable at {admin} ({e}); skipping its cases");
                None
            }
        }
    }

    /// A fresh, empty database for one case.
    pub async fn fresh(&self, dir: &Path, case: &str) -> String {
        match self {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            Backend::Postgres { admin } => {
                let name = format!("satupintu_bench_{}_{case}", std::process::id());
                let conn = Database::connect(admin).await.expect("PostgreSQL");
                for sql in [
                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    format!("CREATE DATABASE \"{name}\""),
                ] {
                    conn.execute_unprepared(&sql).await.expect("bench database");
                }
                let (base, _) = admin.rsplit_once('/').expect("database URL with a name");
                format!("{base}/{name}")
            }
        }
    }

    pub async fn drop(&self, url: &str) {
        if let Backend::Postgres { admin } = self {
            let name = url.rsplit('/').next().unwrap_or_default();
            if let Ok(conn) = Database::connect(admin).await {
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
    }
}

/// What the gateway stored.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stored {
    /// Inbound messages (every accepted request is one).
    pub messages: i64,
    pub complaints: i64,
    /// Complaints linked to another citizen's earlier report.
    pub linked: i64,
}

impl std::ops::Sub for Stored {
    type Output = Stored;
    fn sub(self, o: Stored) -> Stored {
        Stored {
            messages: self.messages - o.messages,
            complaints: self.complaints - o.complaints,
            linked: self.linked - o.linked,
        }
    }
}

pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

pub async fn stored(db: &DatabaseConnection) -> Stored {
    Stored {
        messages: scalar(db, "SELECT COUNT(*) FROM inbound_messages").await,
        complaints: scalar(db, "SELECT COUNT(*) FROM complaints").await,
        linked: scalar(
            db,
            "SELECT COUNT(*) FROM complaints WHERE duplicate_of IS NOT NULL",
        )
        .await,
    }
}

/// Messages in the intake journal, not yet taken in.
pub async fn journaled(db: &DatabaseConnection) -> i64 {
    scalar(db, "SELECT COUNT(*) FROM intake_journal").await
}

/// Outbox rows still to be delivered (pending or leased).
pub async fn undelivered(db: &DatabaseConnection) -> i64 {
    scalar(
        db,
        "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'leased')",
    )
    .await
}

/// Outbox rows given up on.
pub async fn dead(db: &DatabaseConnection) -> i64 {
    scalar(db, "SELECT COUNT(*) FROM outbox WHERE state = 'dead'").await
}
