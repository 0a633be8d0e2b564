//! Storage: the connection to SQLite or PostgreSQL, migrations, and the
//! queries the rest of the gateway uses. Nothing else writes SQL.

pub mod addresses;
pub mod backup;
pub mod checkpoint;
pub mod complaints;
pub mod cursors;
pub mod entity;
pub mod group;
pub mod keys;
pub mod lists;
pub mod nodelay;
pub mod outbox;
pub mod reads;
pub mod script;
pub mod sms;
pub mod wal_sync;
pub mod writer;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    TransactionTrait,
};
use std::ops::Deref;
use std::path::{Path, PathBuf};
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
    /// SQLite: the connection group commits write on, and its WAL.
    writer: Option<Writer>,
}

/// SQLite's connection for group commit: one connection whose commits do
/// not wait for the disk (`synchronous=NORMAL`), and the sync of its WAL
/// that makes them durable (see [`wal_sync`]). Every other connection
/// keeps `synchronous=FULL`, so a write made outside the group is durable
/// when its commit returns.
#[derive(Clone, Debug)]
struct Writer {
    db: DatabaseConnection,
    wal: Arc<wal_sync::WalSync>,
    /// The database file.
    path: PathBuf,
    /// The intake journal's file beside it (see `intake::journal`).
    intake_journal: PathBuf,
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
    /// the journal is switched to WAL, group commit writes on a connection
    /// of its own (see [`Writer`]), and WAL checkpoints run beside the
    /// writers instead of inside their commits.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, DbErr> {
        let Some((url, path)) = sqlite_file(url)? else {
            let mut options = options(url.to_string(), max_connections);
            if let Ok(pg) = url.parse::<PgConnectOptions>() {
                // After each new connection (the pool's own hook; nothing
                // else of the gateway sets one).
                let peers = nodelay::server_addresses(pg.get_host(), pg.get_port()).await;
                options.map_sqlx_postgres_pool_opts(move |pool| {
                    let peers = peers.clone();
                    pool.after_connect(move |_, _| {
                        nodelay::set_on_sockets_to(&peers);
                        Box::pin(async { Ok(()) })
                    })
                });
            }
            let db = Database::connect(options).await?;
            return Ok(Store {
                db,
                group: None,
                checkpointer: None,
                writer: None,
            });
        };
        let db = Database::connect(sqlite_options(
            options(url.clone(), max_connections),
            SqliteSynchronous::Full,
        ))
        .await?;
        let writer =
            Database::connect(sqlite_options(options(url, 1), SqliteSynchronous::Normal)).await?;
        let store = Store {
            db,
            writer: Some(Writer {
                db: writer,
                wal: Arc::new(wal_sync::WalSync::new(PathBuf::from(format!("{path}-wal")))),
                path: PathBuf::from(&path),
                intake_journal: PathBuf::from(format!("{path}-intake")),
            }),
            group: None,
            checkpointer: None,
        };
        Ok(store.with_group_commit(Default::default()))
    }

    /// Sets when SQLite's shared write transactions commit at the latest.
    pub fn with_group_commit(mut self, policy: group::Policy) -> Store {
        if let Some(writer) = &self.writer {
            let group = Arc::new(group::Group::new(
                writer.db.clone(),
                writer.wal.clone(),
                policy,
            ));
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

    /// Syncs of the WAL that made shared write transactions durable
    /// (SQLite only).
    pub fn wal_syncs(&self) -> Option<u64> {
        self.group.as_ref().map(|g| g.wal_syncs())
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.db, None).await
    }

    /// On SQLite, the file of the intake journal, beside the database's
    /// (see `intake::journal`); PostgreSQL keeps it in a table.
    pub fn intake_journal_path(&self) -> Option<&Path> {
        self.writer.as_ref().map(|w| w.intake_journal.as_path())
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
        drop(self.group);
        if let Some(writer) = self.writer {
            writer.db.close().await?;
        }
        self.db.close().await
    }
}

/// For a SQLite `url`: the URL to open it with (creating the file unless
/// the URL says otherwise) and the database file's path, once its
/// directory exists. `None` for another database.
fn sqlite_file(url: &str) -> Result<Option<(String, String)>, DbErr> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(None);
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") || query.contains("mode=memory") {
        // Group commit writes on a connection of its own, which would see
        // another, empty database.
        return Err(DbErr::Custom(
            "database.url: an in-memory SQLite database is not supported; name a file".into(),
        ));
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbErr::Custom(format!("cannot create directory {}: {e}", parent.display()))
        })?;
    }
    let url = match query {
        "" => format!("sqlite://{path}?mode=rwc"),
        q if q.contains("mode=") => format!("sqlite://{path}?{q}"),
        q => format!("sqlite://{path}?{q}&mode=rwc"),
    };
    Ok(Some((url, path.to_string())))
}

fn options(url: String, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    options
}

/// Every SQLite connection (each connection of a pool, not only the
/// first): WAL, a generous busy timeout, a bounded statement cache, and no
/// automatic checkpoints (see [`checkpoint`]).
fn sqlite_options(mut options: ConnectOptions, synchronous: SqliteSynchronous) -> ConnectOptions {
    options.map_sqlx_sqlite_opts(move |o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            // Intake's batch scripts differ with every batch's shape and
            // hold large prepared statements; at sqlx's default of 100 per
            // connection they held some 25 MB more under load, at no gain
            // in speed.
            .statement_cache_capacity(32)
            .pragma("wal_autocheckpoint", "0")
            // Savepoints (every intake script runs in one) keep the pages
            // they change in a statement journal; in memory, not in a
            // temporary file written for every batch.
            .pragma("temp_store", "memory")
    });
    options
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A migrated SQLite store in a temporary directory, for unit tests; the
/// directory lives as long as the returned guard.
#[cfg(test)]
pub(crate) async fn scratch_sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/scratch.db", dir.path().display());
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}
