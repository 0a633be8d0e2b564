//! Intake: an adapter's message becomes a stored complaint, a follow-up to
//! one, or an answered command. The raw message and everything it causes
//! (complaint, timeline, outbox rows) are committed in one transaction
//! before anyone is told "accepted". Messages arriving together share that
//! transaction (`batch`): first-time senders' new complaints are written
//! together (`bulk`), every other message on its own (`single`).
//!
//! A webhook whose provider only needs to know the message is safe hands
//! it to [`Intake::enqueue`] instead: the message is committed to the
//! intake journal (`journal`) and the provider answered; the pipeline
//! (`pipeline`) takes it in as above moments later.

pub mod attachments;
mod batch;
mod bulk;
mod candidates;
mod commands;
mod create;
mod duplicates;
mod edits;
mod followup;
mod fresh;
mod journal;
pub mod pipeline;
pub mod relink;
pub mod remote_media;
mod single;

use crate::complaint::Status;
use crate::dedup::Dedup;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::routing::Routing;
use crate::store::cursors::{self, CursorUpdate};
use crate::store::entity::{complaint, inbound_message};
use crate::store::{self, Store};
use adapters::{Channel, InboundMessage, MediaRef, TrackingCode};
use attachments::AttachmentStore;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Notify;

/// What the sender is told. A new complaint or a follow-up carries the
/// complaint's tracking code; an answered command may concern none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub complaint_id: Option<i64>,
    pub tracking_code: Option<TrackingCode>,
    pub status: Option<Status>,
    pub outcome: Outcome,
}

/// What intake did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new complaint.
    Created,
    /// The message was delivered before; this is the first answer again.
    Replayed,
    /// A follow-up that joined the citizen's open complaint.
    Joined,
    /// A command (`CEK`, an empty message), answered without a new complaint.
    Answered,
    /// The citizen sent their open complaint again; it recorded the repeat.
    Repeated,
    /// Journaled under the tracking code given; the pipeline makes the
    /// complaint.
    Journaled,
}

impl Accepted {
    pub fn replayed(&self) -> bool {
        self.outcome == Outcome::Replayed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The same external id (idempotency key) came with a different payload.
    #[error("external id `{0}` was already used for a different message")]
    Conflict(String),
    /// Storage failed; the message is not accepted and the sender should retry.
    #[error("storage unavailable: {0}")]
    Storage(#[from] DbErr),
    #[error("attachment storage failed: {0}")]
    Attachment(#[from] std::io::Error),
}

/// Intake, shared: a clone is one reference count (every request and
/// every journaled message takes one).
#[derive(Clone)]
pub struct Intake(Arc<Parts>);

/// What intake works with.
#[doc(hidden)]
#[derive(Clone)]
pub struct Parts {
    store: Store,
    attachments: AttachmentStore,
    routing: Arc<Routing>,
    metrics: Metrics,
    dispatch_wakeup: Arc<Notify>,
    notifier: Arc<Notifier>,
    sla: Arc<crate::sla::Sla>,
    followup_window: chrono::Duration,
    /// Channels whose remote attachments are fetched through the outbox.
    media_channels: Arc<Vec<adapters::Channel>>,
    dedup: Arc<Dedup>,
    batcher: Arc<batch::Batcher>,
    journal: Arc<journal::Journal>,
}

impl std::ops::Deref for Intake {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl Intake {
    pub fn new(
        store: Store,
        attachments: AttachmentStore,
        routing: Arc<Routing>,
        metrics: Metrics,
        dispatch_wakeup: Arc<Notify>,
        notifier: Arc<Notifier>,
        sla: Arc<crate::sla::Sla>,
        followup_window: chrono::Duration,
    ) -> Self {
        Intake(Arc::new(Parts {
            store,
            attachments,
            routing,
            metrics,
            dispatch_wakeup,
            notifier,
            sla,
            followup_window,
            media_channels: Arc::default(),
            dedup: Arc::new(Dedup::new(crate::config::DedupConfig {
                enabled: false,
                ..Default::default()
            })),
            batcher: Arc::default(),
            journal: Arc::default(),
        }))
    }

    /// Recognises repeats and duplicates with `dedup` (off until given).
    pub fn with_dedup(mut self, dedup: Arc<Dedup>) -> Self {
        Arc::make_mut(&mut self.0).dedup = dedup;
        self
    }

    pub fn dedup(&self) -> &Arc<Dedup> {
        &self.dedup
    }

    /// Messages waiting for a batch writer.
    pub fn queued_writes(&self) -> usize {
        self.batcher.queued()
    }

    /// Batches being written.
    pub fn batches_writing(&self) -> usize {
        self.batcher.writing()
    }

    pub fn attachments(&self) -> &AttachmentStore {
        &self.attachments
    }

    pub async fn accept(&self, msg: InboundMessage) -> Result<Accepted, IntakeError> {
        self.accept_with_cursor(msg, None).await
    }

    /// Makes `msg` durable in the intake journal and returns; the pipeline
    /// takes it in later (see [`pipeline`]). A message with bytes of its
    /// own (an upload) is taken in at once instead, as by [`Self::accept`],
    /// and its errors are that method's.
    pub async fn enqueue(&self, msg: InboundMessage) -> Result<(), IntakeError> {
        if !journal::Journal::takes(&msg) {
            return self.accept(msg).await.map(|_| ());
        }
        self.journal
            .append(&self.store, &self.metrics, msg, None)
            .await
            .map(|_| ())
    }

    /// The worker that takes journaled messages in.
    pub fn pipeline(&self) -> pipeline::Pipeline {
        pipeline::Pipeline::new(self.clone())
    }

    /// Like [`Self::accept`], and records how far a polling channel has read
    /// in the same transaction (also when the message was seen before).
    pub async fn accept_with_cursor(
        &self,
        msg: InboundMessage,
        cursor: Option<CursorUpdate>,
    ) -> Result<Accepted, IntakeError> {
        self.take_in(msg, cursor, None).await
    }

    /// Journals a web form submission under a tracking code drawn now, and
    /// answers with that code once the entry is durable; the pipeline makes
    /// the complaint, which takes the code. Until then a lookup of the code
    /// finds the entry ([`Self::waiting`]). A submission with files is
    /// taken in at once instead, as by [`Self::accept`].
    ///
    /// `keyed`: the external id is the client's (an `Idempotency-Key`), so
    /// the submission may come again. A retry gets the first answer: the
    /// code of the first delivery's entry while it waits, else that of the
    /// complaint made of it (looked up after the append: an entry is
    /// deleted only once its complaint is committed, so one of the two is
    /// found); the same key with another submission is a conflict.
    pub async fn accept_later(
        &self,
        msg: InboundMessage,
        keyed: bool,
    ) -> Result<Accepted, IntakeError> {
        if !journal::Journal::takes(&msg) {
            return self.accept(msg).await;
        }
        // Cleaned as intake will clean it, for the fingerprint; the entry
        // is cleaned as it is written.
        let again = keyed.then(|| msg.clone().without_control_characters());
        let code = create::random_tracking_code();
        let appended = self
            .journal
            .append(&self.store, &self.metrics, msg, Some(&code))
            .await?;
        let Some(msg) = again else {
            return Ok(journaled(code, Outcome::Journaled));
        };
        let conflict = || IntakeError::Conflict(msg.external_id.to_string());
        match appended {
            journal::Appended::Waiting { same: false, .. } => return Err(conflict()),
            journal::Appended::Waiting {
                same: true,
                tracking_code: Some(first),
            } => {
                let first = TrackingCode::parse(&first).map_err(|_| conflict())?;
                return Ok(journaled(first, Outcome::Replayed));
            }
            _ => {}
        }
        let fingerprint = fingerprint(&msg);
        if let Some(previous) = self.answer_again(&msg, &fingerprint, &None).await? {
            return Ok(previous);
        }
        match appended {
            journal::Appended::New => Ok(journaled(code, Outcome::Journaled)),
            // The first delivery was being taken in: its complaint is
            // committed by the time the client tries again.
            _ => Err(IntakeError::Storage(DbErr::Custom(
                "the first delivery of this Idempotency-Key is being taken in".into(),
            ))),
        }
    }

    /// When the journal entry whose sender was answered with `code` was
    /// journaled; `None` when none waits (taken in, or never given).
    pub async fn waiting(
        &self,
        code: &TrackingCode,
    ) -> Result<Option<chrono::DateTime<Utc>>, DbErr> {
        self.journal.waiting(&self.store, code).await
    }

    /// Takes `msg` in; `promised` is the tracking code its sender was
    /// answered with when it was journaled.
    async fn take_in(
        &self,
        msg: InboundMessage,
        cursor: Option<CursorUpdate>,
        mut promised: Option<TrackingCode>,
    ) -> Result<Accepted, IntakeError> {
        let msg = msg.without_control_characters();
        let fingerprint = fingerprint(&msg);
        // A repeated delivery is recognised by the batch (one lookup for all
        // its messages) and answered below, from its unique-key failure.
        // Only where answering it costs more (files to store again, a
        // polling channel that re-reads after a restart) is it looked up
        // here first.
        let look_first = cursor.is_some() || !msg.attachments.is_empty();
        if look_first {
            if let Some(previous) = self.answer_again(&msg, &fingerprint, &cursor).await? {
                return Ok(previous);
            }
        }
        // Files first: a row never points at a file that is not complete.
        let mut stored = Vec::with_capacity(msg.attachments.len());
        for a in &msg.attachments {
            if let MediaRef::Inline(bytes) = &a.media {
                stored.push(Some(self.attachments.save(bytes).await?));
            } else {
                stored.push(None);
            }
        }
        let msg = Arc::new(msg);
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let job = batch::Job {
                intake: self.clone(),
                msg: msg.clone(),
                fingerprint: fingerprint.clone(),
                stored: stored.clone(),
                cursor: cursor.clone(),
                plan: Some(self.plan(&msg, promised.clone()).await?),
            };
            match self.batcher.submit(job).await {
                Err(IntakeError::Storage(e)) if store::is_unique_violation(&e) => {
                    // The message was delivered before, or a concurrent
                    // delivery of it won the race.
                    if let Some(previous) = self.answer_again(&msg, &fingerprint, &cursor).await? {
                        return Ok(previous);
                    }
                    // Another transaction took what this one would have
                    // (the same new sender's address, written side by side
                    // on PostgreSQL; a tracking code): it is committed now,
                    // so once more sees it.
                    if tries == 1 {
                        tracing::info!(channel = %msg.channel, external_id = %msg.external_id, error = %e, "intake raced another writer; trying once more");
                        continue;
                    }
                    // A promised code another complaint drew meanwhile
                    // (about one in 26 million with a million stored):
                    // the complaint is kept, under a code of its own.
                    if let Some(code) = promised.take() {
                        tracing::error!(channel = %msg.channel, external_id = %msg.external_id, tracking_code = %code, field = "tracking_code", error = %e, "the tracking code the sender was given is taken; the complaint gets another");
                        continue;
                    }
                    break Err(IntakeError::Storage(e));
                }
                other => break other,
            }
        };
        match result {
            Ok(accepted) => {
                if accepted.outcome == Outcome::Created {
                    self.metrics.complaint_received(msg.channel.as_str());
                }
                self.dispatch_wakeup.notify_one();
                tracing::info!(
                    channel = %msg.channel,
                    account = %msg.channel_account,
                    outcome = ?accepted.outcome,
                    tracking_code = accepted.tracking_code.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                    "message accepted"
                );
                Ok(accepted)
            }
            Err(e) => Err(e),
        }
    }

    /// What a message asks for, worked out before the transaction: only
    /// the statements go to the writer. A status lookup (`CEK`) learns here
    /// whether its code is a submission still waiting in the journal.
    async fn plan(
        &self,
        msg: &InboundMessage,
        promised: Option<TrackingCode>,
    ) -> Result<Plan, DbErr> {
        let chat = msg.channel != Channel::Webform;
        Ok(match chat.then(|| commands::parse(msg)).flatten() {
            Some(command) => {
                let waiting = match command.code() {
                    Some(code) => self.journal.waiting(&self.store, &code).await?.is_some(),
                    None => false,
                };
                Plan::Command(command, waiting)
            }
            None => Plan::Message(fresh::Ahead::of(self, msg, promised)),
        })
    }

    /// Stores a message that never becomes a complaint (a reaction, an
    /// unsupported type) for audit; a repeated delivery is a no-op.
    pub async fn record(&self, msg: &InboundMessage) -> Result<(), IntakeError> {
        self.record_with_cursor(msg, None).await
    }

    /// Like [`Self::record`], moving a polling channel's cursor with it.
    pub async fn record_with_cursor(
        &self,
        msg: &InboundMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), IntakeError> {
        let fingerprint = fingerprint(msg);
        let now = Utc::now();
        let txn = self.store.begin_write().await?;
        if find_inbound(&*txn, msg).await?.is_none() {
            inbound_row(msg, &fingerprint, now).insert(&*txn).await?;
        }
        if let Some(cursor) = cursor {
            cursors::set(&*txn, cursor, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Records an edited message on the timeline of the complaint whose
    /// message `original_external_id` is; returns that complaint. Never
    /// creates one; a repeated delivery is a no-op.
    pub async fn record_edit(
        &self,
        msg: &InboundMessage,
        original_external_id: Option<&str>,
        cursor: Option<&CursorUpdate>,
    ) -> Result<Option<i64>, IntakeError> {
        edits::record(self, msg, original_external_id, cursor).await
    }

    /// Moves a polling channel's cursor past something that carried no
    /// message to store (an update of a kind nobody handles).
    pub async fn advance_cursor(&self, cursor: &CursorUpdate) -> Result<(), IntakeError> {
        let txn = self.store.begin_write().await?;
        cursors::set(&*txn, cursor, Utc::now()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Where a polling channel stopped reading.
    pub async fn cursor(
        &self,
        channel: &str,
        account: &str,
        name: &str,
    ) -> Result<Option<String>, IntakeError> {
        Ok(cursors::get(self.store.db(), channel, account, name).await?)
    }

    /// The first answer to a message delivered before, moving a polling
    /// channel's cursor past it; `None` when it is new.
    async fn answer_again(
        &self,
        msg: &InboundMessage,
        fingerprint: &str,
        cursor: &Option<CursorUpdate>,
    ) -> Result<Option<Accepted>, IntakeError> {
        let previous = self
            .previous_answer(self.store.db(), msg, fingerprint)
            .await?;
        if let (Some(_), Some(cursor)) = (&previous, cursor) {
            self.advance_cursor(cursor).await?;
        }
        Ok(previous)
    }

    async fn previous_answer<C: ConnectionTrait>(
        &self,
        db: &C,
        msg: &InboundMessage,
        fingerprint: &str,
    ) -> Result<Option<Accepted>, IntakeError> {
        let Some(previous) = find_inbound(db, msg).await? else {
            return Ok(None);
        };
        if previous.fingerprint != fingerprint {
            return Err(IntakeError::Conflict(msg.external_id.to_string()));
        }
        tracing::info!(channel = %msg.channel, external_id = %msg.external_id, "repeated delivery answered from the first");
        let complaint = match previous.complaint_id {
            Some(id) => complaint::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        Ok(Some(Accepted {
            complaint_id: complaint.as_ref().map(|c| c.id),
            tracking_code: complaint
                .as_ref()
                .and_then(|c| TrackingCode::parse(&c.tracking_code).ok()),
            status: complaint.as_ref().and_then(|c| c.status.parse().ok()),
            outcome: Outcome::Replayed,
        }))
    }
}

/// What tells two deliveries of one message apart: the hash of its raw
/// payload, stored with it.
fn fingerprint(msg: &InboundMessage) -> String {
    hex::encode(Sha256::digest(msg.raw.body.as_bytes()))
}

/// The answer to a submission journaled under `code`.
fn journaled(code: TrackingCode, outcome: Outcome) -> Accepted {
    Accepted {
        complaint_id: None,
        tracking_code: Some(code),
        status: Some(Status::Received),
        outcome,
    }
}

/// What one message's writes came to: the answer, and the first report's
/// signature to index once the transaction holding it commits (the index
/// never points at a rolled-back row).
struct Processed {
    accepted: Accepted,
    remember: Option<(i64, crate::dedup::Signature)>,
}

/// What a message asks for, worked out before its transaction: a command
/// to answer, or a message to take in (a follow-up or a new complaint),
/// with the routing and signature a new complaint would need.
enum Plan {
    /// A command, and whether the code it names waits in the journal.
    Command(commands::Command, bool),
    Message(fresh::Ahead),
}

async fn find_inbound<C: ConnectionTrait>(
    db: &C,
    msg: &InboundMessage,
) -> Result<Option<inbound_message::Model>, DbErr> {
    inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq(msg.channel.as_str()))
        .filter(inbound_message::Column::ExternalId.eq(msg.external_id.as_str()))
        .one(db)
        .await
}

fn inbound_row(
    msg: &InboundMessage,
    fingerprint: &str,
    now: chrono::DateTime<Utc>,
) -> inbound_message::ActiveModel {
    inbound_message::ActiveModel {
        channel: Set(msg.channel.as_str().into()),
        channel_account: Set(msg.channel_account.clone()),
        external_id: Set(msg.external_id.to_string()),
        sender: Set(msg.sender.as_ref().map(|a| a.value())),
        fingerprint: Set(fingerprint.to_string()),
        raw_content_type: Set(msg.raw.content_type.clone()),
        raw_payload: Set(msg.raw.body.clone()),
        complaint_id: Set(None),
        received_at: Set(msg.received_at),
        created_at: Set(now),
        ..Default::default()
    }
}
