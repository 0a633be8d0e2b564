//! The pipeline behind the intake journal: it takes journal entries in the
//! order they were committed, takes each in as intake always does
//! ([`Intake::accept`]: the stored raw message, the complaint or
//! follow-up, routing and outbox rows in one transaction, batched with
//! whatever else is being written), and deletes the entry once that has
//! committed.
//!
//! A crash between the two leaves the entry; taken again, it is
//! recognised as a repeated delivery by `(channel, external_id)` and
//! changes nothing, so every journaled message is taken in exactly once.
//! Entries of different senders are taken side by side; one sender's are
//! taken one after another, in journal order, so that a photo sent after
//! its text joins the complaint the text opened. An entry whose intake
//! fails on storage is tried again later, with a growing pause (the
//! sender's later entries do not wait for it: one stuck message must not
//! hold back everything a citizen sends after it); one whose JSON cannot
//! be read stays in the journal, with the error, for an operator to look
//! at. Nothing in the journal is ever dropped unread.

use super::journal::{Journal, Mark, Row};
use super::{Intake, IntakeError};
use adapters::TrackingCode;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use super::journal::PG_TURN_LOCK;

/// Entries read in one pass.
const PAGE: u64 = 512;
/// Entries taken in together while messages are being journaled into the
/// journal's table (PostgreSQL), whose appends share the pool and the
/// database server with the pipeline's batches: small batches keep the
/// providers' answers fast while a burst lasts. Once it is over, the
/// pipeline takes up to a whole batch. A journal in its own file (SQLite)
/// is written beside the pipeline's batches, which are always whole.
const BUSY_CHUNK: usize = 8;
/// While messages are being journaled, the pipeline pauses after each
/// pass for this many times as long as the pass took: the CPU (and on
/// PostgreSQL the database server's) goes to answering providers first,
/// and the journal is still taken in while a flood lasts, at a steady
/// pace.
const BUSY_PAUSE: u32 = 2;
/// How recent an append makes the journal busy.
const BUSY_FOR: Duration = Duration::from_millis(100);
/// The longest pause before a failed entry is tried again.
const MAX_PAUSE_SECS: i64 = 300;
/// How often the journal is looked at when nothing wakes the pipeline
/// (entries another gateway instance journaled, entries held back).
const IDLE: Duration = Duration::from_secs(1);

pub struct Pipeline {
    intake: Intake,
}

/// What one pass did.
#[derive(Default)]
struct Pass {
    /// Entries read.
    read: usize,
    /// Entries taken in (or settled for good) and deleted.
    done: usize,
}

impl Pipeline {
    pub fn new(intake: Intake) -> Self {
        Pipeline { intake }
    }

    /// How many entries to take in together now (see [`BUSY_CHUNK`]).
    fn chunk(&self) -> usize {
        let busy =
            !Journal::is_file(&self.intake.store) && self.intake.journal.appended_within(BUSY_FOR);
        match busy {
            true => BUSY_CHUNK,
            false => super::batch::MAX_BATCH,
        }
    }

    /// How long to pause after a pass that took `took` (see [`BUSY_PAUSE`]).
    fn pause_after(&self, took: Duration) -> Option<Duration> {
        let busy = self.intake.journal.appended_within(BUSY_FOR);
        busy.then(|| (took * BUSY_PAUSE).min(IDLE))
    }

    /// Takes journal entries in until `token` is cancelled; a pass under
    /// way is finished first.
    pub async fn run(self, token: CancellationToken) {
        let wake = self.intake.journal.wake();
        loop {
            let started = std::time::Instant::now();
            let busy = match self.pass(Utc::now()).await {
                Ok(pass) => pass.done > 0 || pass.read as u64 == PAGE,
                Err(e) => {
                    tracing::error!(error = %e, "reading the intake journal failed; trying again");
                    false
                }
            };
            if busy && !token.is_cancelled() {
                if let Some(pause) = self.pause_after(started.elapsed()) {
                    tokio::select! {
                        _ = token.cancelled() => return,
                        _ = tokio::time::sleep(pause) => {}
                    }
                }
                continue;
            }
            if let Err(e) = self
                .intake
                .journal
                .adopt_table_entries(&self.intake.store)
                .await
            {
                tracing::error!(error = %e, "moving intake journal entries into the journal's file failed; trying again");
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE) => {}
            }
        }
    }

    /// Takes in the entries due at `now`: per sender, the first one.
    async fn pass(&self, now: DateTime<Utc>) -> Result<Pass, DbErr> {
        let store = &self.intake.store;
        let journal = &self.intake.journal;
        let Some(mut taking) = journal.take(store, now, PAGE).await? else {
            return Ok(Pass::default());
        };
        let rows = std::mem::take(&mut taking.rows);
        let read = rows.len();
        let mut senders = HashSet::new();
        let mut unreadable = Vec::new();
        let mut taken = Vec::new();
        for row in rows {
            match row.message().and_then(|msg| Ok((promised(&row)?, msg))) {
                Ok((code, msg)) => {
                    let sender = msg.sender.as_ref().map(|a| a.value());
                    // One sender's later entries wait for the next pass.
                    if sender.is_none_or(|s| senders.insert(s)) {
                        taken.push((row, msg, code));
                    }
                }
                Err(e) => unreadable.push((row, e)),
            }
        }
        let mut results = Vec::with_capacity(taken.len());
        let mut rest = &taken[..];
        while !rest.is_empty() {
            let (part, later) = rest.split_at(self.chunk().min(rest.len()));
            rest = later;
            results.extend(
                futures::future::join_all(
                    part.iter()
                        .map(|(_, msg, code)| self.intake.take_in(msg.clone(), None, code.clone())),
                )
                .await,
            );
        }
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for ((row, msg, _), result) in taken.iter().zip(results) {
            match result {
                Ok(_) => done.push(row.id),
                Err(IntakeError::Conflict(id)) => {
                    // Retrying cannot help: the first is kept.
                    tracing::warn!(channel = %msg.channel, external_id = %id, "a message id came again with different content; the first is kept");
                    self.intake
                        .metrics
                        .intake_rejected(msg.channel.as_str(), "external_id_reused");
                    done.push(row.id);
                }
                Err(e) => failed.push((row, e.to_string())),
            }
        }
        for (row, error) in &unreadable {
            tracing::error!(journal_id = row.id, field = "message", error = %error, "an intake journal entry cannot be read; it stays in the journal");
        }
        for (row, error) in &failed {
            tracing::warn!(journal_id = row.id, channel = %row.channel, external_id = %row.external_id, attempts = row.attempts + 1, error = %error, "intake of a journaled message failed; it will be tried again");
        }
        let marks = failed
            .iter()
            .map(|(row, error)| mark(row, error, now))
            .chain(unreadable.iter().map(|(row, error)| mark(row, error, now)))
            .collect();
        let settled = done.len();
        journal.settle(taking, done, marks).await?;
        Ok(Pass {
            read,
            done: settled,
        })
    }
}

/// The tracking code an entry's sender was answered with.
fn promised(row: &Row) -> Result<Option<TrackingCode>, String> {
    row.tracking_code
        .as_deref()
        .map(|code| TrackingCode::parse(code).map_err(|e| format!("tracking code {code:?}: {e}")))
        .transpose()
}

/// A failed entry's mark: one more attempt, and a pause that doubles with
/// each (2 s, 4 s, ... up to [`MAX_PAUSE_SECS`]).
fn mark(row: &Row, error: &str, now: DateTime<Utc>) -> Mark {
    let attempts = row.attempts + 1;
    let pause = std::cmp::min(1i64 << attempts.clamp(0, 9), MAX_PAUSE_SECS);
    Mark {
        id: row.id,
        attempts,
        error: error.to_string(),
        not_before: now + chrono::Duration::seconds(pause),
    }
}

impl Intake {
    /// Entries in the journal not yet taken in (held back ones included).
    pub async fn journal_pending(&self) -> Result<u64, DbErr> {
        let (waiting, failing) = self.journal_counts().await?;
        Ok(waiting + failing)
    }

    /// Journal entries never tried, and those tried and failed.
    pub async fn journal_counts(&self) -> Result<(u64, u64), DbErr> {
        self.journal.counts(&self.store).await
    }

    /// Opens the intake journal's file (SQLite; elsewhere nothing to do),
    /// creating it if needed.
    pub fn open_journal(&self) -> Result<(), DbErr> {
        self.journal.open(&self.store)
    }

    /// On SQLite, the file the intake journal is kept in.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.store.intake_journal_path()
    }

    /// Waits until the journal holds nothing, or `limit` has passed;
    /// returns whether it is empty.
    pub async fn journal_settled(&self, limit: Duration) -> bool {
        let until = tokio::time::Instant::now() + limit;
        loop {
            if self.journal_pending().await.is_ok_and(|n| n == 0) {
                return true;
            }
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
