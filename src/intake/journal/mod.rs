//! The intake journal, where a provider's message is made durable before
//! anything is worked out from it. A webhook answers its provider once
//! the message is committed here; the pipeline ([`super::pipeline`])
//! then turns journal entries into complaints at its own pace, through
//! the same batched writes as every other message.
//!
//! A provider wants its answer within seconds and sends again when it is
//! late. When many citizens write at once (a flood, a blackout) the
//! journal keeps the answer fast, because one entry is a single row; the
//! work behind it (routing, duplicate detection, the complaint, its
//! timeline, outbox and SLA rows) waits in the journal instead of in the
//! provider's retry queue.
//!
//! Where the journal lives depends on the database:
//! - on SQLite, in a file of its own beside the database's
//!   (`<database>-intake`), written by one thread ([`file`]), so that
//!   appends never wait for intake's batches, which hold the database's
//!   one writer;
//! - on PostgreSQL, in the `intake_journal` table ([`table`]), so that
//!   every gateway sharing the database sees it.
//!
//! Either way appends are batched: every message waiting when the writer
//! gets its turn goes in one transaction. A message already in the
//! journal (a retry while the first delivery still waits) adds nothing;
//! an id that comes again with a different message is logged and
//! counted, and the first is kept.

mod checkpoint;
mod file;
mod table;

pub use table::PG_TURN_LOCK;

use super::IntakeError;
use crate::metrics::Metrics;
use crate::store::entity::intake_journal;
use crate::store::Store;
use adapters::{InboundMessage, TrackingCode};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, DbErr, EntityTrait, QuerySelect};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// An entry as the pipeline reads it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub channel: String,
    pub external_id: String,
    /// The message as [`entry_text`] wrote it.
    pub message: String,
    pub attempts: i32,
    /// When it was journaled.
    pub received: DateTime<Utc>,
    /// The tracking code its sender was answered with (the web form).
    pub tracking_code: Option<String>,
}

impl Row {
    /// The journaled message.
    pub fn message(&self) -> Result<InboundMessage, String> {
        if is_whole_message(&self.message) {
            return serde_json::from_str(&self.message).map_err(|e| e.to_string());
        }
        match self.channel.as_str() {
            "whatsapp" => adapters::whatsapp::message_from_raw(&self.message, self.received),
            "webform" => adapters::webform::message_from_entry(
                &self.message,
                &self.external_id,
                self.received,
            ),
            other => Err(format!("a {other} entry holds no whole message")),
        }
    }
}

impl From<intake_journal::Model> for Row {
    fn from(m: intake_journal::Model) -> Row {
        Row {
            id: m.id,
            channel: m.channel,
            external_id: m.external_id,
            message: m.message,
            attempts: m.attempts,
            received: m.created_at,
            tracking_code: m.tracking_code,
        }
    }
}

/// One message on its way into the journal, as both journals write it.
struct Entry {
    channel: String,
    external_id: String,
    message: String,
    tracking_code: Option<String>,
    received: DateTime<Utc>,
}

/// A failed entry: its error, and when to try it again.
#[derive(Debug, Clone)]
pub struct Mark {
    pub id: i64,
    pub attempts: i32,
    pub error: String,
    pub not_before: DateTime<Utc>,
}

/// What an append found.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    New,
    /// The id was in the journal already; `same` when with this message.
    /// `tracking_code`: the one the first delivery's sender was given.
    Waiting {
        same: bool,
        tracking_code: Option<String>,
    },
}

/// What an entry keeps of `msg`: as little as rebuilds it, less to write
/// before the sender is answered and, on PostgreSQL, small enough to stay
/// in the row uncompressed. A WhatsApp message is kept as its own raw
/// payload, a web form submission as its form and fields as received
/// ([`adapters::webform::entry`]); from either the adapter rebuilds the
/// message. That is half the bytes of the whole message, which repeats
/// the text and quotes the payload. (Both are JSON as serde wrote it, so a
/// NUL in them is escaped, never a character PostgreSQL refuses.) Other
/// channels keep the whole message as JSON, without the control
/// characters intake drops anyway.
fn entry_text(msg: InboundMessage) -> Result<String, String> {
    match msg.channel {
        adapters::Channel::Whatsapp => Ok(msg.raw.body),
        adapters::Channel::Webform => adapters::webform::entry(&msg),
        _ => serde_json::to_string(&msg.without_control_characters()).map_err(|e| e.to_string()),
    }
}

/// Whether an entry holds the whole message as JSON (every channel's
/// entries did before WhatsApp's and the web form's were kept smaller).
/// The message serializes its channel first; no smaller entry starts so.
fn is_whole_message(text: &str) -> bool {
    text.starts_with("{\"channel\":")
}

/// Whether two journaled messages are the same delivery: the provider's
/// raw body decides, as for repeated deliveries at intake.
fn same_content(first: &str, again: &str) -> bool {
    let raw = |text: &str| {
        if is_whole_message(text) {
            serde_json::from_str::<InboundMessage>(text)
                .map(|m| m.raw.body)
                .ok()
        } else if text.starts_with(adapters::webform::ENTRY_START) {
            adapters::webform::entry_fields(text)
                .map(str::to_string)
                .ok()
        } else {
            Some(text.to_string())
        }
    };
    raw(first) == raw(again)
}

/// The entries one pipeline pass read, and where it settles them.
pub struct Taking<'a> {
    pub rows: Vec<Row>,
    from: Source<'a>,
}

enum Source<'a> {
    File(&'a file::FileJournal),
    /// PostgreSQL: the transaction holding the pipeline's turn.
    Table(DatabaseTransaction),
}

/// The journal's writer, started with the first entry, and the pipeline's
/// wake-up.
#[derive(Default)]
pub struct Journal {
    table: table::Table,
    file: OnceLock<Result<file::FileJournal, String>>,
    wake: Arc<Notify>,
    /// When the last append came.
    last_append: Mutex<Option<Instant>>,
}

impl Journal {
    /// Whether `msg` can wait in the journal: bytes that came with the
    /// request are stored as files by a synchronous intake instead.
    pub fn takes(msg: &InboundMessage) -> bool {
        msg.attachments
            .iter()
            .all(|a| !matches!(a.media, adapters::MediaRef::Inline(_)))
    }

    /// Whether a message came to be journaled within `span`.
    pub fn appended_within(&self, span: Duration) -> bool {
        self.last_append
            .lock()
            .is_ok_and(|at| at.is_some_and(|at| at.elapsed() < span))
    }

    /// Whether the journal is a file of its own (SQLite), which appends
    /// write without waiting for the database's writer.
    pub fn is_file(store: &Store) -> bool {
        store.intake_journal_path().is_some()
    }

    /// The journal's file, opened with its first use; `None` where the
    /// journal is a table.
    fn file(&self, store: &Store) -> Option<Result<&file::FileJournal, DbErr>> {
        let path = store.intake_journal_path()?;
        let file = self.file.get_or_init(|| {
            let opened = file::FileJournal::open(path);
            if let Err(e) = &opened {
                tracing::error!(error = %e, "cannot open the intake journal");
            }
            opened
        });
        Some(
            file.as_ref()
                .map_err(|e| DbErr::Custom(format!("intake journal: {e}"))),
        )
    }

    /// Opens the journal's file, where it is one.
    pub fn open(&self, store: &Store) -> Result<(), DbErr> {
        match self.file(store) {
            Some(file) => file.map(|_| ()),
            None => Ok(()),
        }
    }

    /// Commits `msg` to the journal, with the tracking code its sender is
    /// answered with, if any; returns once it is durable.
    pub async fn append(
        &self,
        store: &Store,
        metrics: &Metrics,
        msg: InboundMessage,
        tracking_code: Option<&TrackingCode>,
    ) -> Result<Appended, IntakeError> {
        if let Ok(mut at) = self.last_append.lock() {
            *at = Some(Instant::now());
        }
        let channel: String = msg.channel.as_str().into();
        let external_id = msg.external_id.to_string();
        let entry = Entry {
            channel: channel.clone(),
            external_id: external_id.clone(),
            message: entry_text(msg).map_err(|e| storage(format!("journal entry: {e}")))?,
            tracking_code: tracking_code.map(|c| c.to_string()),
            received: Utc::now(),
        };
        let appended = match self.file(store) {
            Some(file) => file
                .map_err(IntakeError::Storage)?
                .append(entry)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "intake journal entry not stored");
                    storage(e)
                })?,
            None => self.table.append(store, self.wake.clone(), entry).await?,
        };
        if matches!(appended, Appended::Waiting { same: false, .. }) {
            tracing::warn!(
                channel = %channel,
                external_id = %external_id,
                field = "external_id",
                "a message id came again with different content while the first waits in the intake journal; the first is kept"
            );
            metrics.intake_rejected(&channel, "external_id_reused");
        }
        self.wake.notify_one();
        tracing::debug!(channel = %channel, external_id = %external_id, "message journaled");
        Ok(appended)
    }

    /// When the entry whose sender was answered with `tracking_code` was
    /// journaled; `None` when no entry waiting has it.
    pub async fn waiting(
        &self,
        store: &Store,
        tracking_code: &TrackingCode,
    ) -> Result<Option<DateTime<Utc>>, DbErr> {
        let code = tracking_code.to_string();
        match self.file(store) {
            Some(file) => file?.waiting(code).await.map_err(DbErr::Custom),
            None => table::waiting(store, &code).await,
        }
    }

    /// Wakes when entries were committed.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Reads up to `limit` entries due at `now`, in id order; `None` when
    /// another gateway sharing the database has the pipeline's turn.
    pub async fn take(
        &self,
        store: &Store,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Option<Taking<'_>>, DbErr> {
        match self.file(store) {
            Some(file) => {
                let file = file?;
                let rows = file.due(now, limit).await.map_err(DbErr::Custom)?;
                Ok(Some(Taking {
                    rows,
                    from: Source::File(file),
                }))
            }
            None => Ok(table::take(store, now, limit)
                .await?
                .map(|(turn, rows)| Taking {
                    rows,
                    from: Source::Table(turn),
                })),
        }
    }

    /// Deletes the entries of a pass that were taken in (`done`) and marks
    /// the failed ones.
    pub async fn settle(
        &self,
        taking: Taking<'_>,
        done: Vec<i64>,
        marks: Vec<Mark>,
    ) -> Result<(), DbErr> {
        match taking.from {
            Source::File(file) => file.settle(done, marks).await.map_err(DbErr::Custom),
            Source::Table(turn) => table::settle(turn, &done, &marks).await,
        }
    }

    /// Entries never tried, and those tried and failed.
    pub async fn counts(&self, store: &Store) -> Result<(u64, u64), DbErr> {
        match self.file(store) {
            Some(file) => file?.counts().await.map_err(DbErr::Custom),
            None => table::counts(store).await,
        }
    }

    /// On SQLite, moves entries found in the database's `intake_journal`
    /// table (written there before the journal had a file of its own) into
    /// the file; returns how many.
    pub async fn adopt_table_entries(&self, store: &Store) -> Result<usize, DbErr> {
        let Some(file) = self.file(store) else {
            return Ok(0);
        };
        let file = file?;
        let rows = intake_journal::Entity::find()
            .limit(512)
            .all(store.db())
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        file.adopt(rows).await.map_err(DbErr::Custom)?;
        // Moved twice after a crash here: the file keeps the first copy.
        table::delete(store, &ids).await?;
        tracing::info!(entries = ids.len(), path = %file.path().display(), "intake journal entries moved into the journal's file");
        Ok(ids.len())
    }
}

fn storage(e: impl std::fmt::Display) -> IntakeError {
    IntakeError::Storage(DbErr::Custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whatsapp(text: &str) -> InboundMessage {
        let body = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "62751000000", "phone_number_id": "1065"},
                "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}],
                "messages": [{"from": "6281234567890", "id": "wamid.A1", "timestamp": "1790000000",
                    "type": "text", "text": {"body": text}}],
            }}]}],
        });
        let body = serde_json::to_vec(&body).unwrap();
        match adapters::whatsapp::parse(&body, Utc::now())
            .unwrap()
            .remove(0)
        {
            adapters::whatsapp::Event::Message(m) => *m,
            other => panic!("not a message: {other:?}"),
        }
    }

    fn row(msg: &InboundMessage, text: String) -> Row {
        Row {
            id: 1,
            channel: msg.channel.as_str().into(),
            external_id: msg.external_id.to_string(),
            message: text,
            attempts: 0,
            received: Utc::now(),
            tracking_code: None,
        }
    }

    #[test]
    fn a_whatsapp_entry_is_its_raw_payload_and_reads_back_whole() {
        let msg = whatsapp("Lampu jalan \"mati\" di Jl. Sudirman sejak kemarin");
        let kept = entry_text(msg.clone()).unwrap();
        let whole = serde_json::to_string(&msg).unwrap();
        assert_eq!(kept, msg.raw.body);
        assert!(
            kept.len() < whole.len(),
            "{} vs {}",
            kept.len(),
            whole.len()
        );
        assert_eq!(row(&msg, kept.clone()).message().unwrap(), msg);
        // An entry journaled before, as the whole message, reads the same.
        assert_eq!(row(&msg, whole.clone()).message().unwrap(), msg);
        assert!(same_content(&whole, &kept) && same_content(&kept, &whole));
        let other = whatsapp("Isi lain");
        assert!(!same_content(&kept, &entry_text(other.clone()).unwrap()));
        assert!(!same_content(
            &whole,
            &serde_json::to_string(&other).unwrap()
        ));
    }

    async fn webform(body: serde_json::Value) -> InboundMessage {
        let req = axum::http::Request::post("/api/v1/complaints")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let limits = adapters::webform::Limits::default();
        adapters::webform::parse_request(req, &limits, "kiniko", || "auto:1".into())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_web_form_entry_is_its_fields_and_reads_back_whole() {
        let msg = webform(serde_json::json!({
            "text": "Lampu jalan \"mati\" di Jl. Sudirman sejak kemarin",
            "phone": "0812-3456-7890", "lat": -0.9471368, "lon": 100.4171812,
        }))
        .await;
        let kept = entry_text(msg.clone()).unwrap();
        let whole = serde_json::to_string(&msg).unwrap();
        assert!(!is_whole_message(&kept), "{kept}");
        assert!(
            kept.len() * 3 < whole.len() * 2,
            "{} vs {}",
            kept.len(),
            whole.len()
        );
        let mut taken = row(&msg, kept.clone());
        taken.received = msg.received_at;
        assert_eq!(taken.message().unwrap(), msg);
        // An entry journaled before, as the whole message, reads the same.
        assert_eq!(row(&msg, whole.clone()).message().unwrap(), msg);
        assert!(same_content(&whole, &kept) && same_content(&kept, &whole));
        let other = webform(serde_json::json!({"text": "Isi lain"})).await;
        assert!(!same_content(&kept, &entry_text(other.clone()).unwrap()));
        // The same fields sent to another of the city's forms: one delivery.
        let mut elsewhere = msg.clone();
        elsewhere.channel_account = "wali-kota".into();
        assert!(same_content(&kept, &entry_text(elsewhere).unwrap()));
    }

    #[test]
    fn other_channels_keep_the_whole_message() {
        let mut msg = whatsapp("Banjir");
        msg.channel = adapters::Channel::Sms;
        msg.text = "Banjir\u{0}".into();
        let kept = entry_text(msg.clone()).unwrap();
        assert!(is_whole_message(&kept), "{kept}");
        // PostgreSQL's text holds no NUL: intake drops it anyway.
        assert!(!kept.contains("\\u0000"), "{kept}");
        let clean = msg.clone().without_control_characters();
        assert_eq!(row(&msg, kept).message().unwrap(), clean);
        let unreadable = row(&msg, msg.raw.body.clone()).message();
        assert!(unreadable.is_err(), "{unreadable:?}");
    }
}
