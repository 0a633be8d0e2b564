//! The mailbox worker: reads every new mail in the folder, hands it to
//! intake with the folder position (UIDVALIDITY:UID) in the same commit,
//! then marks or moves it; IDLEs (renewed before the server's timeout) or
//! polls between, and reconnects with backoff after any failure. It never
//! answers mail itself: intake decides, the outbox sends.

use super::config::ImapConfig;
use crate::intake::{Intake, IntakeError};
use crate::metrics::Metrics;
use crate::store::cursors::CursorUpdate;
use adapters::email::{parse, ImapError, ImapSettings, Limits, Mailbox, ParseOptions, Parsed};
use adapters::{Channel, ExternalId, Flags, InboundMessage, RawPayload};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const CHANNEL: &str = "email";

#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("IMAP: {0}")]
    Imap(#[from] ImapError),
    #[error("intake: {0}")]
    Intake(#[from] IntakeError),
}

pub struct MailboxWorker {
    settings: ImapSettings,
    config: ImapConfig,
    account: String,
    own_addresses: Vec<String>,
    limits: Limits,
    intake: Intake,
    metrics: Metrics,
}

/// Where reading stopped: the folder's UIDVALIDITY and the last UID done.
fn parse_position(value: &str) -> Option<(u32, u32)> {
    let (validity, uid) = value.split_once(':')?;
    Some((validity.parse().ok()?, uid.parse().ok()?))
}

impl MailboxWorker {
    pub fn new(
        settings: ImapSettings,
        config: ImapConfig,
        account: String,
        own_addresses: Vec<String>,
        limits: Limits,
        intake: Intake,
        metrics: Metrics,
    ) -> Self {
        MailboxWorker {
            settings,
            config,
            account,
            own_addresses,
            limits,
            intake,
            metrics,
        }
    }

    fn cursor_name(&self) -> String {
        format!("imap:{}", self.settings.folder)
    }

    fn cursor(&self, validity: u32, uid: u32) -> CursorUpdate {
        CursorUpdate {
            channel: CHANNEL.into(),
            account: self.account.clone(),
            name: self.cursor_name(),
            value: format!("{validity}:{uid}"),
        }
    }

    /// Runs until `shutdown`, reconnecting after every failure.
    pub async fn run(self, shutdown: CancellationToken) {
        let min = Duration::from_millis(self.config.reconnect_min_ms.max(1));
        let max = Duration::from_secs(self.config.reconnect_max_secs).max(min);
        let mut backoff = min;
        tracing::info!(account = %self.account, host = %self.settings.host, folder = %self.settings.folder, "mailbox worker started");
        while !shutdown.is_cancelled() {
            match self.session(&shutdown, &mut backoff, min).await {
                Ok(()) => break,
                Err(e) => {
                    self.metrics.channel_event(CHANNEL, "reconnect", "");
                    tracing::warn!(account = %self.account, error = %e, retry_in_ms = backoff.as_millis() as u64, "mailbox connection failed; reconnecting");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(max);
                }
            }
        }
        tracing::info!(account = %self.account, "mailbox worker stopped");
    }

    /// One connection: read what is pending, then wait for more. `Ok` only
    /// when asked to stop.
    async fn session(
        &self,
        shutdown: &CancellationToken,
        backoff: &mut Duration,
        min: Duration,
    ) -> Result<(), WorkerError> {
        let mut mailbox = tokio::select! {
            m = Mailbox::open(&self.settings) => m?,
            _ = shutdown.cancelled() => return Ok(()),
        };
        *backoff = min;
        let idle = self.config.idle && mailbox.supports_idle();
        tracing::info!(account = %self.account, uid_validity = mailbox.uid_validity(), idle, "mailbox open");
        mailbox
            .ensure_folder(&self.config.quarantine_folder)
            .await?;
        if let Some(folder) = &self.config.processed_folder {
            mailbox.ensure_folder(folder).await?;
        }
        loop {
            self.drain(&mut mailbox, shutdown).await?;
            if shutdown.is_cancelled() {
                mailbox.logout().await;
                return Ok(());
            }
            if idle {
                let renew = Duration::from_secs(self.config.idle_renew_secs);
                mailbox = tokio::select! {
                    r = mailbox.wait(renew) => r?.0,
                    _ = shutdown.cancelled() => return Ok(()),
                };
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(self.config.poll_interval_secs)) => {}
                    _ = shutdown.cancelled() => {
                        mailbox.logout().await;
                        return Ok(());
                    }
                }
                mailbox.noop().await?;
            }
        }
    }

    /// Reads every pending message, oldest first.
    async fn drain(
        &self,
        mailbox: &mut Mailbox,
        shutdown: &CancellationToken,
    ) -> Result<(), WorkerError> {
        let validity = mailbox.uid_validity();
        let stored = self
            .intake
            .cursor(CHANNEL, &self.account, &self.cursor_name())
            .await?;
        let after = match stored.as_deref().and_then(parse_position) {
            Some((v, uid)) if v == validity => Some(uid),
            Some((v, _)) => {
                // The server renumbered the folder: read it again; the
                // Message-ID of each mail keeps it from becoming a repeat.
                tracing::warn!(account = %self.account, old = v, new = validity, "UIDVALIDITY changed; reading the folder again");
                self.metrics
                    .channel_event(CHANNEL, "uidvalidity_changed", "");
                None
            }
            None => None,
        };
        let uids = mailbox
            .pending_uids(after, self.config.processed_folder.is_none())
            .await?;
        for uid in uids {
            if shutdown.is_cancelled() {
                break;
            }
            self.handle(mailbox, validity, uid).await?;
        }
        Ok(())
    }

    async fn handle(
        &self,
        mailbox: &mut Mailbox,
        validity: u32,
        uid: u32,
    ) -> Result<(), WorkerError> {
        let cursor = self.cursor(validity, uid);
        let size = mailbox.size(uid).await?.unwrap_or(0) as u64;
        if size > self.limits.max_message_bytes {
            let reason = format!(
                "message is {size} bytes, over the {} byte limit",
                self.limits.max_message_bytes
            );
            return self
                .quarantine(mailbox, uid, &cursor, "too_large", &reason, None)
                .await;
        }
        let Some(mail) = mailbox.fetch(uid).await? else {
            // Gone between the search and the fetch (someone else moved it).
            self.intake.advance_cursor(&cursor).await?;
            return Ok(());
        };
        let opts = ParseOptions {
            account: &self.account,
            own_addresses: &self.own_addresses,
            limits: &self.limits,
            received_at: mail.internal_date.unwrap_or_else(Utc::now),
        };
        match parse(&mail.raw, &opts) {
            Ok(Parsed::Message(msg)) => {
                let accepted = match self
                    .intake
                    .accept_with_cursor(msg.clone(), Some(cursor.clone()))
                    .await
                {
                    Err(IntakeError::Conflict(id)) => {
                        // Another mail already used this Message-ID: keep
                        // this one too, under an id its content decides.
                        tracing::warn!(account = %self.account, message_id = %id, "Message-ID reused by a different mail; kept under its own id");
                        let mut again = msg;
                        again.external_id = content_id(&id, &mail.raw);
                        self.intake.accept_with_cursor(again, Some(cursor)).await?
                    }
                    other => other?,
                };
                tracing::info!(account = %self.account, uid, outcome = ?accepted.outcome, "mail taken in");
            }
            Ok(Parsed::Automatic(msg, why)) => {
                self.intake.record_with_cursor(&msg, Some(&cursor)).await?;
                self.metrics
                    .channel_event(CHANNEL, "never_answered", why.as_str());
                tracing::info!(account = %self.account, uid, kind = why.as_str(), "automatic mail recorded; never answered");
            }
            Err(e) => {
                return self
                    .quarantine(
                        mailbox,
                        uid,
                        &cursor,
                        e.reason(),
                        &e.to_string(),
                        Some(&mail.raw),
                    )
                    .await;
            }
        }
        self.processed(mailbox, uid).await
    }

    async fn processed(&self, mailbox: &mut Mailbox, uid: u32) -> Result<(), WorkerError> {
        match &self.config.processed_folder {
            Some(folder) => mailbox.move_to(uid, folder).await?,
            None => mailbox.mark_seen(uid).await?,
        }
        Ok(())
    }

    /// Records why a mail could not be read (the report operators see) and
    /// moves it to the quarantine folder; it is never dropped.
    async fn quarantine(
        &self,
        mailbox: &mut Mailbox,
        uid: u32,
        cursor: &CursorUpdate,
        reason: &str,
        detail: &str,
        raw: Option<&[u8]>,
    ) -> Result<(), WorkerError> {
        let validity = mailbox.uid_validity();
        let record = InboundMessage {
            channel: Channel::Email,
            channel_account: self.account.clone(),
            external_id: ExternalId::parse(&format!("quarantine:{validity}:{uid}"))
                .expect("a valid external id"),
            sender: None,
            other_addresses: vec![],
            display_name: None,
            title: None,
            text: detail.to_string(),
            category: None,
            attachments: vec![],
            location: None,
            reply_to: None,
            flags: Flags::default(),
            received_at: Utc::now(),
            raw: RawPayload {
                content_type: format!("text/plain; quarantined={reason}"),
                body: match raw {
                    Some(bytes) => format!("{detail}\n\n{}", String::from_utf8_lossy(bytes)),
                    None => detail.to_string(),
                },
            },
        };
        self.intake
            .record_with_cursor(&record, Some(cursor))
            .await?;
        self.metrics.channel_event(CHANNEL, "quarantined", reason);
        tracing::warn!(account = %self.account, uid, reason, detail, folder = %self.config.quarantine_folder, "mail quarantined");
        mailbox.move_to(uid, &self.config.quarantine_folder).await?;
        Ok(())
    }
}

/// `<message-id>#<hash>`, or the bare hash when that would be too long.
fn content_id(message_id: &str, raw: &[u8]) -> ExternalId {
    let hash = hex::encode(Sha256::digest(raw));
    ExternalId::parse(&format!("{message_id}#{}", &hash[..16]))
        .or_else(|_| ExternalId::parse(&format!("sha256:{hash}")))
        .expect("a hex digest is a valid external id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_garbage_is_no_position() {
        assert_eq!(parse_position("1700000000:42"), Some((1_700_000_000, 42)));
        assert_eq!(parse_position("42"), None);
        assert_eq!(parse_position("a:b"), None);
        let long = "x".repeat(250);
        assert!(content_id(&long, b"m").as_str().starts_with("sha256:"));
        assert!(content_id("a@b", b"m").as_str().starts_with("a@b#"));
    }
}
