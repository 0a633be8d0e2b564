//! Storage: the connection to SQLite or PostgreSQL, migrations, and the
//! queries the rest of the gateway uses. Nothing else writes SQL.

pub mod checkpoint;
pub mod complaints;
pub mod cursors;
pub mod entity;
pub mod group;
pub mod outbox;
pub mod script;
pub mod sms;
pub mod writer;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    TransactionTrait,
};
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite has one writer at a time; writers queue here, in order,
    /// instead of polling SQLite's busy handler (which ruins tail latency),
    /// and share commits (see [`group`]).
    group: Option<Arc<group::Group>>,
    /// SQLite's WAL checkpoints, beside the writers (see [`checkpoint`]).
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

/// A write transaction. On SQLite it is one writer's savepoint in a shared
/// transaction; `commit` still returns only once the work is durable.
pub struct WriteTxn(Inner);

enum Inner {
    Own(DatabaseTransaction),
    Shared(group::Member),
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        match &self.0 {
            Inner::Own(txn) => txn,
            Inner::Shared(member) => member.txn(),
        }
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        match self.0 {
            Inner::Own(txn) => txn.commit().await,
            Inner::Shared(member) => member.commit().await,
        }
    }

    /// Commits as far as this writer can: its own transaction, or on
    /// SQLite its part of the shared one, letting go of the writer slot.
    /// [`Durable::wait`] returns once the work is durable.
    pub async fn release(self) -> Result<Durable, DbErr> {
        match self.0 {
            Inner::Own(txn) => txn.commit().await.map(|_| Durable(None)),
            Inner::Shared(member) => member.release().await.map(|d| Durable(Some(d))),
        }
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        match self.0 {
            Inner::Own(txn) => txn.rollback().await,
            Inner::Shared(member) => member.rollback().await,
        }
    }
}

/// A released write transaction, on its way to the disk.
pub struct Durable(Option<group::Durability>);

impl Durable {
    pub async fn wait(self) -> Result<(), DbErr> {
        match self.0 {
            None => Ok(()),
            Some(d) => d.wait().await,
        }
    }
}

impl Store {
    /// Connects to `url`; for SQLite the file and its directory are created,
    /// the journal is switched to WAL, and WAL checkpoints run beside the
    /// writers instead of inside their commits.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, DbErr> {
        let url = if let Some(rest) = url.strip_prefix("sqlite://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if let Some(parent) = Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbErr::Custom(format!("cannot create directory {}: {e}", parent.display()))
                })?;
            }
            if query.contains("mode=") {
                url.to_string()
            } else if query.is_empty() {
                format!("sqlite://{path}?mode=rwc")
            } else {
                format!("sqlite://{path}?{query}&mode=rwc")
            }
        } else {
            url.to_string()
        };
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // Every connection of the pool, not only the first.
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    // Intake's batch scripts differ with every batch's
                    // shape and hold large prepared statements; at sqlx's
                    // default of 100 per connection they held some 25 MB
                    // more under load, at no gain in speed.
                    .statement_cache_capacity(32)
                    .pragma("wal_autocheckpoint", "0")
            });
        let db = Database::connect(options).await?;
        let store = Store {
            db,
            group: None,
            checkpointer: None,
        };
        Ok(store.with_group_commit(Default::default()))
    }

    /// Sets when SQLite's shared write transactions commit at the latest.
    pub fn with_group_commit(mut self, policy: group::Policy) -> Store {
        if self.backend() == DbBackend::Sqlite {
            let group = Arc::new(group::Group::new(self.db.clone(), policy));
            // The checkpointer holds the writers of this group.
            self.checkpointer = Some(Arc::new(checkpoint::Checkpointer::start(
                self.db.clone(),
                group.clone(),
            )));
            self.group = Some(group);
        }
        self
    }

    /// Shared write transactions committed so far (SQLite only).
    pub fn group_commits(&self) -> Option<usize> {
        self.group.as_ref().map(|g| g.commits())
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.db, None).await
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a transaction that will write. On SQLite it first waits its
    /// turn for the one writer slot; the shared transaction behind it took
    /// the write lock at once (BEGIN IMMEDIATE), so writers never fail on a
    /// read-to-write upgrade.
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        match &self.group {
            Some(group) => Ok(WriteTxn(Inner::Shared(group.begin().await?))),
            None => Ok(WriteTxn(Inner::Own(self.db.begin().await?))),
        }
    }

    /// Starts a write transaction for a writer that keeps each of its
    /// writes in a savepoint of its own (intake's batch writer): on SQLite
    /// it writes in the shared transaction without a savepoint around all
    /// of its work (see [`group::Group::begin_bare`]).
    pub async fn begin_write_bare(&self) -> Result<WriteTxn, DbErr> {
        match &self.group {
            Some(group) => Ok(WriteTxn(Inner::Shared(group.begin_bare().await?))),
            None => Ok(WriteTxn(Inner::Own(self.db.begin().await?))),
        }
    }

    /// Starts a long-running writer (intake's batch writer): on SQLite on
    /// the writer thread, elsewhere on the caller's runtime.
    pub fn spawn_write<F>(&self, work: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match self.group {
            Some(_) => writer::spawn(work),
            None => {
                tokio::spawn(work);
            }
        }
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        drop(self.checkpointer);
        self.db.close().await
    }
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
