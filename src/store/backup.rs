//! A consistent copy of a SQLite deployment's data while the gateway runs:
//! the database file and the intake journal's file beside it
//! (`<database>-intake`, see `intake::journal`).
//!
//! Each file is copied with `VACUUM INTO`, a transaction-consistent
//! snapshot that does not stop the gateway's writers. The two snapshots
//! cannot be one transaction, so their order decides what a restore sees
//! of a message taken in between them: the journal is copied first. A
//! message taken in after the journal's copy is then in both copies (the
//! entry, and the complaint it became), and after a restore the pipeline
//! takes the entry again and recognises it as a repeated delivery. The
//! other order could lose it: missing from the database's copy, and
//! already deleted from the journal's.
//!
//! PostgreSQL keeps the journal in a table of its database; `pg_dump`
//! copies both at once.

use super::Store;
use rusqlite::{Connection, OpenFlags};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The files a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub database: PathBuf,
    /// `None` when the gateway had never opened its journal.
    pub journal: Option<PathBuf>,
}

/// Copies the database and its intake journal into `dir` (created if
/// needed), journal first; refuses to overwrite a copy already there.
pub async fn sqlite(store: &Store, dir: &Path) -> Result<Backup, String> {
    let (Some(database), Some(journal)) = (&store.writer, store.intake_journal_path()) else {
        return Err(
            "backup copies SQLite deployments; on PostgreSQL use pg_dump (the intake journal is a table of the database)"
                .into(),
        );
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let target = |source: &Path| -> Result<PathBuf, String> {
        let name = source
            .file_name()
            .ok_or_else(|| format!("{} has no file name", source.display()))?;
        let target = dir.join(name);
        match target.exists() {
            true => Err(format!(
                "{} exists; back up into an empty directory",
                target.display()
            )),
            false => Ok(target),
        }
    };
    let database_copy = target(&database.path)?;
    let journal_copy = match journal.exists() {
        true => Some(target(journal)?),
        false => None,
    };
    if let Some(copy) = &journal_copy {
        let (from, to) = (journal.to_path_buf(), copy.clone());
        tokio::task::spawn_blocking(move || copy_journal(&from, &to))
            .await
            .map_err(|e| format!("intake journal copy: {e}"))?
            .map_err(|e| format!("cannot copy the intake journal {}: {e}", journal.display()))?;
    }
    store
        .db()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [database_copy.display().to_string().into()],
        ))
        .await
        .map_err(|e| format!("cannot copy the database: {e}"))?;
    Ok(Backup {
        database: database_copy,
        journal: journal_copy,
    })
}

fn copy_journal(from: &Path, to: &Path) -> rusqlite::Result<()> {
    let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute("VACUUM INTO ?1", [to.display().to_string()])?;
    Ok(())
}
