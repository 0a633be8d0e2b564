//! One update, handled once, the same way in polling and webhook mode:
//! a complaint message goes to intake (files fetched first), a
//! Telegram-only command is answered, an edit goes on the timeline, a
//! group is told once. Intake alone decides what becomes a complaint.

use super::answer::{answer, FlowChange};
use super::flow::{self, Current, Flow};
use super::tables::{self, MessageKey};
use super::texts::Texts;
use crate::channels::ChannelContext;
use crate::intake::IntakeError;
use crate::store::cursors::CursorUpdate;
use adapters::telegram::{self, BotClient, ChatMessage, Command, Event, Limits};
use adapters::{Attachment, MediaRef};
use chrono::Utc;

/// Why an update was not handled; the provider must send it again.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Not a Bot API update at all: sending it again will not help.
    #[error("{0}")]
    NotAnUpdate(String),
    #[error("storage unavailable: {0}")]
    Storage(String),
}

impl From<IntakeError> for HandleError {
    fn from(e: IntakeError) -> Self {
        HandleError::Storage(e.to_string())
    }
}

impl From<sea_orm::DbErr> for HandleError {
    fn from(e: sea_orm::DbErr) -> Self {
        HandleError::Storage(e.to_string())
    }
}

pub struct Handler {
    pub ctx: ChannelContext,
    pub client: BotClient,
    pub account: String,
    pub limits: Limits,
    pub texts: Texts,
    /// How long a half-told `/lapor` complaint is kept.
    pub flow_timeout: chrono::Duration,
}

impl Handler {
    /// Handles the update `raw`; `cursor` (polling) is written with
    /// whatever the update causes, in the same transaction.
    pub async fn handle(&self, raw: &str, cursor: Option<CursorUpdate>) -> Result<(), HandleError> {
        let event = telegram::parse(raw, &self.account, &self.limits)
            .map_err(|e| HandleError::NotAnUpdate(e.to_string()))?;
        let cursor = cursor.as_ref();
        match event {
            Event::Skip { update_id, reason } => {
                tracing::debug!(update_id, reason, "telegram update skipped");
                self.event("skipped");
                if let Some(c) = cursor {
                    self.ctx.intake.advance_cursor(c).await?;
                }
                Ok(())
            }
            Event::Group(m) => self.group(m, cursor).await,
            Event::Edited(m) => self.edited(m, cursor).await,
            Event::Private(m) => self.private(m, cursor).await,
        }
    }

    pub(super) fn event(&self, what: &str) {
        self.ctx.metrics.channel_event("telegram", what, "");
    }

    pub(super) fn key(&self, m: &ChatMessage) -> MessageKey<'_> {
        MessageKey {
            account: &self.account,
            chat_id: m.chat_id,
            message_id: m.message_id,
        }
    }

    async fn private(
        &self,
        m: ChatMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), HandleError> {
        // Before anything else, so edits and replies can find it later.
        {
            let txn = self.ctx.store.begin_write().await?;
            tables::remember(
                &*txn,
                self.key(&m),
                m.message.external_id.as_str(),
                Utc::now(),
            )
            .await?;
            txn.commit().await?;
        }
        if tables::answered(self.ctx.store.db(), self.key(&m)).await? {
            return self.done(cursor).await;
        }
        let is_cek = m.command.is_none() && m.message.text.starts_with('/');
        let current = match is_cek {
            true => None,
            false => match flow::current(self, &m).await? {
                Current::Active(flow) => Some(flow),
                Current::None => None,
                Current::Submitted => return self.done(cursor).await,
            },
        };
        let texts = &self.texts;
        match (&m.command, current) {
            (Some(Command::Start), _) => {
                answer(
                    self,
                    &m,
                    "welcome",
                    texts.welcome(),
                    FlowChange::Keep,
                    cursor,
                )
                .await
            }
            (Some(Command::Bantuan | Command::Unknown(_)), _) | (Some(Command::Lewati), None) => {
                answer(self, &m, "help", texts.help(), FlowChange::Keep, cursor).await
            }
            (Some(Command::Lapor), _) => {
                let start = Flow::start(m.update_id, Utc::now());
                let change = FlowChange::Set(start);
                answer(self, &m, "lapor", texts.ask_text(), change, cursor).await
            }
            (Some(Command::Batal), Some(_)) => {
                answer(
                    self,
                    &m,
                    "lapor",
                    texts.cancelled(),
                    FlowChange::Clear,
                    cursor,
                )
                .await
            }
            (Some(Command::Batal), None) => {
                let text = texts.nothing_to_cancel();
                answer(self, &m, "lapor", text, FlowChange::Keep, cursor).await
            }
            (_, Some(current)) => flow::step(self, m, current, cursor).await,
            (None, None) => self.to_intake(m, cursor).await,
        }
    }

    /// A repeated delivery of an update already handled: only the offset moves.
    async fn done(&self, cursor: Option<&CursorUpdate>) -> Result<(), HandleError> {
        self.event("repeated");
        if let Some(c) = cursor {
            self.ctx.intake.advance_cursor(c).await?;
        }
        Ok(())
    }

    /// A message for intake: a complaint, a follow-up, or `/cek`.
    async fn to_intake(
        &self,
        m: ChatMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), HandleError> {
        if !m.supported {
            self.event("unsupported");
            self.ctx
                .intake
                .record_with_cursor(&m.message, cursor)
                .await?;
            return Ok(());
        }
        let mut msg = m.message.clone();
        msg.reply_to = self.thread_reference(&m).await?;
        msg.attachments = self.fetch_files(&m).await;
        self.accept(msg, cursor).await
    }

    pub(super) async fn accept(
        &self,
        msg: adapters::InboundMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), HandleError> {
        match self
            .ctx
            .intake
            .accept_with_cursor(msg, cursor.cloned())
            .await
        {
            Ok(_) => Ok(()),
            Err(IntakeError::Conflict(id)) => {
                // Cannot happen for a real update; never block the chat on it.
                tracing::warn!(external_id = %id, "telegram update seen before with another payload; skipped");
                self.event("conflict");
                if let Some(c) = cursor {
                    self.ctx.intake.advance_cursor(c).await?;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A reply to one of the citizen's own messages names that message's
    /// external id; a reply to ours keeps `<chat>:<message>`, which is
    /// what the dispatcher stored for the messages the bot sent.
    async fn thread_reference(&self, m: &ChatMessage) -> Result<Option<String>, HandleError> {
        let Some(replied) = m.reply_to_message_id else {
            return Ok(None);
        };
        let key = MessageKey {
            account: &self.account,
            chat_id: m.chat_id,
            message_id: replied,
        };
        Ok(tables::external_id_of(self.ctx.store.db(), key)
            .await?
            .or_else(|| m.message.reply_to.clone()))
    }

    /// Downloads the message's files. A file that cannot be fetched (or is
    /// over the limit) is kept as a reference without bytes, so the text is
    /// never lost and the complaint shows what is missing.
    pub(super) async fn fetch_files(&self, m: &ChatMessage) -> Vec<Attachment> {
        let mut out = Vec::new();
        for f in &m.files {
            match self.client.fetch(f).await {
                Ok(bytes) => out.push(Attachment {
                    size: bytes.len() as u64,
                    media: MediaRef::Inline(bytes),
                    mime: f.mime.clone(),
                    filename: f.filename.clone(),
                    sha256: None,
                }),
                Err(e) => {
                    tracing::warn!(
                        update_id = m.update_id,
                        field = "file_id",
                        reason = e.reason(),
                        "telegram file not fetched: {e}"
                    );
                    self.event(&format!("file_{}", e.reason()));
                    out.push(remote(f));
                }
            }
        }
        for f in &m.refused_files {
            tracing::warn!(
                update_id = m.update_id,
                field = "file_size",
                size = f.size,
                limit = f.max_bytes,
                "telegram file over the limit; not fetched"
            );
            self.event("file_too_large");
            out.push(remote(f));
        }
        out
    }

    async fn edited(
        &self,
        m: ChatMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), HandleError> {
        let original = tables::external_id_of(self.ctx.store.db(), self.key(&m)).await?;
        self.event("edited");
        self.ctx
            .intake
            .record_edit(&m.message, original.as_deref(), cursor)
            .await?;
        Ok(())
    }

    async fn group(
        &self,
        m: ChatMessage,
        cursor: Option<&CursorUpdate>,
    ) -> Result<(), HandleError> {
        self.event("group");
        self.ctx.intake.record(&m.message).await?;
        let now = Utc::now();
        let txn = self.ctx.store.begin_write().await?;
        if tables::claim_group_notice(&*txn, &self.account, m.chat_id, now).await? {
            let notice = super::answer::message(self, &m, "group", self.texts.group_notice());
            crate::notify::enqueue(&*txn, notice, now).await?;
        }
        if let Some(c) = cursor {
            crate::store::cursors::set(&*txn, c, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn remote(f: &telegram::FileToFetch) -> Attachment {
    Attachment {
        media: MediaRef::Remote(f.file_id.clone()),
        mime: f.mime.clone(),
        size: f.size.unwrap_or(0),
        filename: f.filename.clone(),
        sha256: None,
    }
}
