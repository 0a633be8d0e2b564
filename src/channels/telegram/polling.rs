//! Long polling: getUpdates from the stored offset, each update handled
//! with the next offset written in the same transaction, so a restart
//! neither loses nor repeats one. Stops between updates at shutdown.

use super::handle::{HandleError, Handler};
use crate::store::cursors::CursorUpdate;
use adapters::telegram::{BotClient, PollError};
use adapters::Channel;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Name of the cursor holding the next update offset.
pub const OFFSET: &str = "offset";

pub struct Poller {
    pub handler: Arc<Handler>,
    /// A client whose timeout exceeds the long-polling timeout.
    pub client: BotClient,
    pub timeout_secs: u32,
    pub limit: u8,
}

const MAX_PAUSE: Duration = Duration::from_secs(60);

impl Poller {
    fn cursor(&self, next_offset: u64) -> CursorUpdate {
        CursorUpdate {
            channel: Channel::Telegram.as_str().into(),
            account: self.handler.account.clone(),
            name: OFFSET.into(),
            value: next_offset.to_string(),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let account = self.handler.account.clone();
        tracing::info!(%account, "telegram long polling started");
        let mut pause = Duration::from_secs(1);
        while !shutdown.is_cancelled() {
            match self.poll_once(&shutdown).await {
                Ok(()) => pause = Duration::from_secs(1),
                Err(wait) => {
                    let wait = wait.unwrap_or(pause);
                    pause = (pause * 2).min(MAX_PAUSE);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => break,
                    }
                }
            }
        }
        tracing::info!(%account, "telegram long polling stopped");
    }

    /// One getUpdates and its updates; `Err` asks for a pause (of the
    /// given length, or the growing default).
    async fn poll_once(&self, shutdown: &CancellationToken) -> Result<(), Option<Duration>> {
        let intake = &self.handler.ctx.intake;
        let offset = match intake
            .cursor(Channel::Telegram.as_str(), &self.handler.account, OFFSET)
            .await
        {
            Ok(v) => v.and_then(|v| v.parse::<i32>().ok()),
            Err(e) => {
                tracing::warn!(error = %e, "telegram: cannot read the update offset");
                return Err(None);
            }
        };
        let fetched = tokio::select! {
            r = self.client.updates(offset, self.timeout_secs, self.limit) => r,
            _ = shutdown.cancelled() => return Ok(()),
        };
        let updates = match fetched {
            Ok(updates) => updates,
            Err(PollError::RetryAfter(secs)) => {
                tracing::warn!(secs, "telegram: getUpdates flood control");
                self.handler.event("poll_retry_after");
                return Err(Some(Duration::from_secs(secs)));
            }
            Err(e @ PollError::Conflict(_)) => {
                tracing::error!(error = %e, "telegram: another process polls this bot or a webhook is set (deleteWebhook, or use mode = \"webhook\")");
                self.handler.event("poll_conflict");
                return Err(None);
            }
            Err(e) => {
                tracing::warn!(error = %e, "telegram: getUpdates failed");
                self.handler.event("poll_failed");
                return Err(None);
            }
        };
        for update in updates {
            if shutdown.is_cancelled() {
                break;
            }
            let cursor = self.cursor(u64::from(update.update_id) + 1);
            let handled = tokio::select! {
                r = self.handler.handle(&update.raw, Some(cursor.clone())) => r,
                // An unfinished update is fetched again; what it had written is idempotent.
                _ = shutdown.cancelled() => break,
            };
            match handled {
                Ok(()) => {}
                Err(HandleError::NotAnUpdate(e)) => {
                    tracing::warn!(
                        update_id = update.update_id,
                        field = "update",
                        "telegram: unreadable update skipped: {e}"
                    );
                    if intake.advance_cursor(&cursor).await.is_err() {
                        return Err(None);
                    }
                }
                Err(HandleError::Storage(e)) => {
                    tracing::warn!(update_id = update.update_id, error = %e, "telegram: update not stored; will fetch it again");
                    return Err(None);
                }
            }
        }
        Ok(())
    }
}
