//! The intake journal on SQLite: a database file of its own beside the
//! gateway's, written by one thread on one connection.
//!
//! The gateway's database has one writer at a time, and intake holds it
//! for whole batches of complaints. Appends to a journal in that file
//! would wait for those batches, and pass through the group-commit
//! machinery (the writer's seat, its connection's worker thread, the WAL
//! sync) for a single insert. Here an append is handed to this thread,
//! which inserts every append waiting when it looks and commits them in
//! one transaction with `synchronous=FULL`: the commit returns once the
//! journal's WAL is on disk, and only then are the callers answered.
//! Reads and settling (the pipeline's work) run on the same thread,
//! between append batches.
//!
//! The table has the same columns as the `intake_journal` table of the
//! gateway's database (which PostgreSQL deployments use), so both read
//! the same way.

use super::checkpoint;
use super::{Appended, Entry, Mark, Row};
use crate::store::entity::intake_journal;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most appends in one transaction.
const MAX_BATCH: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS intake_journal (
    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    channel varchar(16) NOT NULL,
    external_id varchar NOT NULL,
    message text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text NULL,
    not_before timestamp_with_timezone_text NULL,
    created_at timestamp_with_timezone_text NOT NULL,
    tracking_code varchar NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_intake_journal_message
    ON intake_journal (channel, external_id);
";

/// What a journal file made before entries had a tracking code lacks.
const TRACKING_CODE: &str = "
ALTER TABLE intake_journal ADD COLUMN tracking_code varchar NULL;
";

/// The lookup of a waiting entry by the tracking code its sender was
/// given.
const WAITING_QUERY: &str =
    "SELECT created_at FROM intake_journal WHERE tracking_code = ?1 LIMIT 1";
/// The index serving [`WAITING_QUERY`]. Only entries with a code are in
/// it: a WhatsApp entry has none, and indexing its NULL was one more write
/// before Meta was answered. (A journal made before this has a full index,
/// which goes.)
const INDEXES: &str = "
DROP INDEX IF EXISTS ix_intake_journal_code;
CREATE INDEX IF NOT EXISTS ix_intake_journal_code_given ON intake_journal (tracking_code)
    WHERE tracking_code IS NOT NULL;
";

/// One message to journal, and who waits for it to be durable.
struct Append {
    entry: Entry,
    reply: oneshot::Sender<Result<Appended, String>>,
}

enum Command {
    Append(Append),
    /// Entries due at the time given, in id order, at most `limit`.
    Due(
        DateTime<Utc>,
        u64,
        oneshot::Sender<Result<Vec<Row>, String>>,
    ),
    /// Deletes the entries taken in and marks the failed ones.
    Settle(Vec<i64>, Vec<Mark>, oneshot::Sender<Result<(), String>>),
    /// Entries as they are, moved here from the database's table.
    Adopt(
        Vec<intake_journal::Model>,
        oneshot::Sender<Result<(), String>>,
    ),
    /// Entries never tried, and those tried and failed.
    Counts(oneshot::Sender<Result<(u64, u64), String>>),
    /// When the entry with this tracking code was journaled.
    Waiting(
        String,
        oneshot::Sender<Result<Option<DateTime<Utc>>, String>>,
    ),
    /// The checkpoint that lets the WAL start over (see [`checkpoint`]).
    Checkpoint,
}

/// The handle to the journal's thread; the thread stops when the last
/// handle is dropped.
pub struct FileJournal {
    path: PathBuf,
    commands: mpsc::UnboundedSender<Command>,
    /// Dropped with the handle, which stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

fn stopped() -> String {
    "the intake journal's thread stopped".into()
}

/// Text SQLite's date functions and the gateway's database layer read.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn read_timestamp(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

impl FileJournal {
    /// Opens (creating it if needed) the journal at `path` and starts its
    /// thread.
    pub fn open(path: &Path) -> Result<FileJournal, String> {
        let conn = connect(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (commands, queue) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("intake-journal".into())
            .spawn(move || run(conn, queue))
            .map_err(|e| format!("cannot start the intake journal's thread: {e}"))?;
        let (checkpoints, stop) = std::sync::mpsc::channel();
        let journal = commands.downgrade();
        let restart = move || {
            journal
                .upgrade()
                .is_some_and(|c| c.send(Command::Checkpoint).is_ok())
        };
        let at = path.to_path_buf();
        std::thread::Builder::new()
            .name("journal-checkpoint".into())
            .spawn(move || checkpoint::run(&at, stop, restart))
            .map_err(|e| format!("cannot start the intake journal's checkpoints: {e}"))?;
        Ok(FileJournal {
            path: path.to_path_buf(),
            commands,
            _checkpoints: checkpoints,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Journals one message; returns once it is durable.
    pub async fn append(&self, entry: Entry) -> Result<Appended, String> {
        self.ask(|reply| Command::Append(Append { entry, reply }))
            .await
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Command,
    ) -> Result<T, String> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    pub async fn due(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Row>, String> {
        self.ask(|reply| Command::Due(now, limit, reply)).await
    }

    pub async fn settle(&self, done: Vec<i64>, marks: Vec<Mark>) -> Result<(), String> {
        self.ask(|reply| Command::Settle(done, marks, reply)).await
    }

    pub async fn adopt(&self, rows: Vec<intake_journal::Model>) -> Result<(), String> {
        self.ask(|reply| Command::Adopt(rows, reply)).await
    }

    pub async fn counts(&self) -> Result<(u64, u64), String> {
        self.ask(Command::Counts).await
    }

    pub async fn waiting(&self, tracking_code: String) -> Result<Option<DateTime<Utc>>, String> {
        self.ask(|reply| Command::Waiting(tracking_code, reply))
            .await
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))?;
    // Every commit waits for the disk: callers are answered after it.
    // Checkpoints are another thread's ([`checkpoint`]). The cache holds
    // a burst's entries until the pipeline has read them.
    conn.execute_batch(
        "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-16384;",
    )?;
    conn.execute_batch(SCHEMA)?;
    let has_code: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('intake_journal') WHERE name = 'tracking_code'",
        [],
        |r| r.get(0),
    )?;
    if !has_code {
        conn.execute_batch(TRACKING_CODE)?;
    }
    conn.execute_batch(INDEXES)?;
    Ok(conn)
}

fn run(mut conn: Connection, mut queue: mpsc::UnboundedReceiver<Command>) {
    while let Some(first) = queue.blocking_recv() {
        let mut appends = Vec::new();
        let mut others = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Append(a) => appends.push(a),
                other => others.push(other),
            }
            if appends.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            append(&mut conn, appends);
        }
        for command in others {
            serve(&mut conn, command);
        }
    }
}

/// Inserts `batch` in one transaction and answers each entry once it is
/// durable (or with the error that stopped it).
fn append(conn: &mut Connection, batch: Vec<Append>) {
    let result = (|| {
        let txn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        {
            let mut insert = txn.prepare_cached(
                "INSERT INTO intake_journal \
                 (channel, external_id, message, attempts, created_at, tracking_code) \
                 VALUES (?1, ?2, ?3, 0, ?4, ?5) ON CONFLICT (channel, external_id) DO NOTHING",
            )?;
            let mut first = txn.prepare_cached(
                "SELECT message, tracking_code FROM intake_journal \
                 WHERE channel = ?1 AND external_id = ?2",
            )?;
            for Append { entry: a, .. } in &batch {
                let inserted = insert.execute(params![
                    a.channel,
                    a.external_id,
                    a.message,
                    timestamp(a.received),
                    a.tracking_code,
                ])?;
                outcomes.push(match inserted {
                    0 => {
                        let kept: Option<(String, Option<String>)> = first
                            .query_row(params![a.channel, a.external_id], |r| {
                                Ok((r.get(0)?, r.get(1)?))
                            })
                            .optional()?;
                        match kept {
                            Some((message, tracking_code)) => Appended::Waiting {
                                same: super::same_content(&message, &a.message),
                                tracking_code,
                            },
                            // Never: the insert found it.
                            None => Appended::Waiting {
                                same: false,
                                tracking_code: None,
                            },
                        }
                    }
                    _ => Appended::New,
                });
            }
        }
        txn.commit()?;
        Ok::<_, rusqlite::Error>(outcomes)
    })();
    match result {
        Ok(outcomes) => {
            for (a, outcome) in batch.into_iter().zip(outcomes) {
                // The caller may have stopped waiting; what committed stays.
                let _ = a.reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            let e = e.to_string();
            for a in batch {
                let _ = a.reply.send(Err(e.clone()));
            }
        }
    }
}

fn serve(conn: &mut Connection, command: Command) {
    match command {
        Command::Append(a) => append(conn, vec![a]),
        Command::Due(now, limit, reply) => {
            let _ = reply.send(due(conn, now, limit).map_err(|e| e.to_string()));
        }
        Command::Settle(done, marks, reply) => {
            let _ = reply.send(settle(conn, &done, &marks).map_err(|e| e.to_string()));
        }
        Command::Adopt(rows, reply) => {
            let _ = reply.send(adopt(conn, &rows).map_err(|e| e.to_string()));
        }
        Command::Waiting(code, reply) => {
            let _ = reply.send(waiting(conn, &code).map_err(|e| e.to_string()));
        }
        Command::Checkpoint => match checkpoint::passive(conn) {
            Ok(p) if p.checkpointed < p.wal_frames => {
                tracing::debug!(
                    wal_frames = p.wal_frames,
                    "intake journal WAL not copied whole; it starts over later"
                )
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "intake journal WAL checkpoint failed; will retry")
            }
        },
        Command::Counts(reply) => {
            let counts = conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(attempts > 0), 0) FROM intake_journal",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            );
            let _ = reply.send(
                counts
                    .map(|(all, failing)| ((all - failing) as u64, failing as u64))
                    .map_err(|e| e.to_string()),
            );
        }
    }
}

fn due(conn: &Connection, now: DateTime<Utc>, limit: u64) -> rusqlite::Result<Vec<Row>> {
    let mut select = conn.prepare_cached(
        "SELECT id, channel, external_id, message, attempts, created_at, tracking_code \
         FROM intake_journal \
         WHERE not_before IS NULL OR julianday(not_before) <= julianday(?1) \
         ORDER BY id LIMIT ?2",
    )?;
    let rows = select.query_map(params![timestamp(now), limit as i64], |r| {
        Ok(Row {
            id: r.get(0)?,
            channel: r.get(1)?,
            external_id: r.get(2)?,
            message: r.get(3)?,
            attempts: r.get(4)?,
            received: read_timestamp_at(r, 5)?,
            tracking_code: r.get(6)?,
        })
    })?;
    rows.collect()
}

fn read_timestamp_at(r: &rusqlite::Row, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    read_timestamp(&r.get::<_, String>(column)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })
}

fn waiting(conn: &Connection, code: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    conn.prepare_cached(WAITING_QUERY)?
        .query_row([code], |r| read_timestamp_at(r, 0))
        .optional()
}

fn settle(conn: &mut Connection, done: &[i64], marks: &[Mark]) -> rusqlite::Result<()> {
    let txn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut delete = txn.prepare_cached("DELETE FROM intake_journal WHERE id = ?1")?;
        for id in done {
            delete.execute([id])?;
        }
        let mut mark = txn.prepare_cached(
            "UPDATE intake_journal SET attempts = ?2, last_error = ?3, not_before = ?4 WHERE id = ?1",
        )?;
        for m in marks {
            mark.execute(params![m.id, m.attempts, m.error, timestamp(m.not_before)])?;
        }
    }
    txn.commit()
}

fn adopt(conn: &mut Connection, rows: &[intake_journal::Model]) -> rusqlite::Result<()> {
    let txn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert = txn.prepare_cached(
            "INSERT INTO intake_journal \
             (channel, external_id, message, attempts, last_error, not_before, created_at, \
              tracking_code) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (channel, external_id) DO NOTHING",
        )?;
        for r in rows {
            insert.execute(params![
                r.channel,
                r.external_id,
                r.message,
                r.attempts,
                r.last_error,
                r.not_before.map(timestamp),
                timestamp(r.created_at),
                r.tracking_code,
            ])?;
        }
    }
    txn.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(external_id: &str, code: Option<&str>) -> Entry {
        Entry {
            channel: "webform".into(),
            external_id: external_id.into(),
            message: "{}".into(),
            tracking_code: code.map(str::to_string),
            received: Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_journal_made_before_tracking_codes_gains_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.db-intake");
        {
            // The schema as the first journals wrote it, with an entry.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&SCHEMA.replace(",\n    tracking_code varchar NULL", ""))
                .unwrap();
            conn.execute(
                "INSERT INTO intake_journal (channel, external_id, message, created_at) \
                 VALUES ('sms', 'old-1', '{}', ?1)",
                [timestamp(Utc::now())],
            )
            .unwrap();
        }
        let journal = FileJournal::open(&path).unwrap();
        let old = journal.due(Utc::now(), 10).await.unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].tracking_code, None);
        let appended = journal
            .append(entry("auto:1", Some("ABCDEFGHJK")))
            .await
            .unwrap();
        assert_eq!(appended, Appended::New);
        assert!(journal
            .waiting("ABCDEFGHJK".into())
            .await
            .unwrap()
            .is_some());
        assert_eq!(journal.waiting("KJHGFEDCBA".into()).await.unwrap(), None);
        let rows = journal.due(Utc::now(), 10).await.unwrap();
        assert_eq!(rows[1].tracking_code.as_deref(), Some("ABCDEFGHJK"));
        // Opened again, nothing changes.
        drop(journal);
        let journal = FileJournal::open(&path).unwrap();
        assert_eq!(journal.due(Utc::now(), 10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn only_entries_with_a_code_are_indexed_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.db-intake");
        {
            // A journal as made before: every entry in the code's index.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute_batch(
                "CREATE INDEX ix_intake_journal_code ON intake_journal (tracking_code);",
            )
            .unwrap();
        }
        let journal = FileJournal::open(&path).unwrap();
        journal
            .append(entry("auto:1", Some("ABCDEFGHJK")))
            .await
            .unwrap();
        journal.append(entry("auto:2", None)).await.unwrap();
        assert!(journal
            .waiting("ABCDEFGHJK".into())
            .await
            .unwrap()
            .is_some());
        drop(journal);

        let conn = Connection::open(&path).unwrap();
        let indexes: Vec<(String, String)> = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%tracking_code%'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(indexes.len(), 1, "{indexes:?}");
        assert_eq!(indexes[0].0, "ix_intake_journal_code_given");
        assert!(indexes[0].1.contains("WHERE tracking_code IS NOT NULL"));
        let plan: String = conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN {WAITING_QUERY}"),
                ["ABCDEFGHJK"],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("ix_intake_journal_code_given"), "{plan}");
    }

    #[tokio::test]
    async fn the_wal_starts_over_while_appends_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.db-intake");
        let wal = dir.path().join("gateway.db-intake-wal");
        let journal = FileJournal::open(&path).unwrap();
        // Entries of 8 KiB, 64 to a batch, batches 20 ms apart: three times
        // as many pages as the WAL may hold before it starts over, over
        // about two seconds (eight checks).
        let page = 4096;
        let body = "x".repeat(2 * page);
        let entries = 3 * crate::store::checkpoint::RESTART_FRAMES as usize / 2;
        let mut n = 0;
        while n < entries {
            let batch = (0..64).map(|_| {
                n += 1;
                let mut e = entry(&format!("auto:{n}"), None);
                e.message = body.clone();
                journal.append(e)
            });
            for appended in futures::future::join_all(batch).await {
                assert_eq!(appended.unwrap(), Appended::New);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The journal's connection never checkpoints: without the thread
        // that does, the WAL would hold every page written.
        let written = (n * body.len()) as u64;
        let size = std::fs::metadata(&wal).unwrap().len();
        assert!(
            size < written / 2,
            "the WAL never started over: {size} bytes after {written} written"
        );
        // Nothing was lost on the way.
        assert_eq!(journal.counts().await.unwrap(), (n as u64, 0));
    }
}
