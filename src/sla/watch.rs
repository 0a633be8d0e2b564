//! The SLA watcher: once a minute it warns the coordinator of clocks about
//! to run out and of clocks overdue (each once), and closes resolved
//! complaints whose reporter did not answer within the closure clock.

use super::{Sla, CLOSURE};
use crate::complaint::Status;
use crate::notify::{self, MessagePayload, NewMessage, Notifier};
use crate::status::{apply, Change};
use crate::store::entity::{complaint, sla_clock};
use crate::store::Store;
use adapters::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Who hears about approaching and overdue clocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordinator {
    pub channel: Channel,
    /// The sending account on that channel.
    pub account: String,
    /// The coordinator's address (e-mail address, Telegram chat id, phone).
    pub recipient: String,
}

pub struct Watcher {
    pub store: Store,
    pub sla: Arc<Sla>,
    pub notifier: Arc<Notifier>,
    pub coordinator: Option<Coordinator>,
    pub warn_before: chrono::Duration,
    pub interval: Duration,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub warned: usize,
    pub overdue: usize,
    pub closed: usize,
}

impl Watcher {
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.cancelled() => break,
            }
            match self.pass(Utc::now()).await {
                Ok(p) if p != Pass::default() => tracing::info!(?p, "SLA clocks checked"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SLA check failed; will try again"),
            }
        }
    }

    fn coordinator_message(&self, c: &complaint::Model, text: String) -> Option<NewMessage> {
        let to = self.coordinator.as_ref()?;
        Some(NewMessage {
            complaint_id: Some(c.id),
            channel: to.channel,
            channel_account: to.account.clone(),
            recipient: to.recipient.clone(),
            payload: MessagePayload {
                purpose: "sla".into(),
                subject: Some(format!("[{}] SLA", c.tracking_code)),
                text,
                reply_to: None,
                tracking_code: Some(c.tracking_code.clone()),
            },
        })
    }

    pub async fn pass(&self, now: DateTime<Utc>) -> Result<Pass, DbErr> {
        let mut pass = Pass::default();
        let running = sla_clock::Entity::find()
            .filter(sla_clock::Column::StoppedAt.is_null())
            .filter(sla_clock::Column::DueAt.lte(now + self.warn_before))
            .all(self.store.db())
            .await?;
        for clock in running {
            let overdue = clock.due_at <= now;
            if !overdue && clock.warned_at.is_some() || overdue && clock.overdue_at.is_some() {
                continue;
            }
            let txn = self.store.begin_write().await?;
            let Some(c) = complaint::Entity::find_by_id(clock.complaint_id)
                .one(&*txn)
                .await?
            else {
                txn.rollback().await?;
                continue;
            };
            if clock.clock == CLOSURE && overdue {
                // No answer from the reporter: the complaint closes itself.
                self.sla
                    .stop(&*txn, c.id, CLOSURE, Some("expired"), now)
                    .await?;
                let change = Change {
                    to: Status::Closed,
                    actor: "system",
                    note: Some(format!(
                        "Ditutup otomatis: tidak ada tanggapan pelapor dalam {} hari kerja.",
                        self.sla.policy.closure_days
                    )),
                    kind: "status",
                    except_citizen: None,
                    notify: true,
                };
                apply(&*txn, &self.notifier, &self.sla, &c, change, now).await?;
                pass.closed += 1;
            } else if clock.clock != CLOSURE {
                let due = clock.due_at.format("%Y-%m-%d %H:%M UTC");
                let text = if overdue {
                    format!(
                        "Pengaduan {} melewati batas waktu {} ({due}). Status: {}.",
                        c.tracking_code, clock.clock, c.status
                    )
                } else {
                    format!(
                        "Pengaduan {} mendekati batas waktu {} ({due}). Status: {}.",
                        c.tracking_code, clock.clock, c.status
                    )
                };
                if let Some(m) = self.coordinator_message(&c, text) {
                    notify::enqueue(&*txn, m, now).await?;
                }
                let mut row: sla_clock::ActiveModel = clock.clone().into();
                if overdue {
                    row.overdue_at = Set(Some(now));
                    pass.overdue += 1;
                } else {
                    row.warned_at = Set(Some(now));
                    pass.warned += 1;
                }
                row.update(&*txn).await?;
            }
            txn.commit().await?;
        }
        Ok(pass)
    }
}
