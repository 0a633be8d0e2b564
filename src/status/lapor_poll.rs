//! Asks SP4N-LAPOR! for the stage of every open complaint forwarded to it,
//! a batch at a time, least recently asked first; maps LAPOR's stages to
//! ours and applies the change with the agency's answer. When LAPOR is
//! slow or down it backs off, doubling the pause up to a limit.

use super::{apply, Change};
use crate::complaint::Status;
use crate::config::LaporStatusConfig;
use crate::dispatch::lapor::Lapor;
use crate::notify::Notifier;
use crate::store::entity::{complaint, outbox};
use crate::store::Store;
use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Order of the life cycle, so a stale stage never moves a complaint back.
fn rank(s: Status) -> u8 {
    match s {
        Status::Received => 0,
        Status::Forwarded => 1,
        Status::Verified => 2,
        Status::Assigned => 3,
        Status::InProgress => 4,
        Status::Resolved => 5,
        Status::Closed | Status::Rejected | Status::Duplicate => 6,
    }
}

pub struct LaporPoller {
    pub destination: String,
    pub client: Arc<Lapor>,
    /// Polling settings; no polling when absent (callbacks may still come).
    pub config: Option<LaporStatusConfig>,
    /// What LAPOR presents when it calls back; no callbacks when absent.
    pub callback_token: Option<crate::config::Secret>,
    pub store: Store,
    pub notifier: Arc<Notifier>,
    pub sla: Arc<crate::sla::Sla>,
}

/// What one poll saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub asked: usize,
    pub changed: usize,
    pub failed: usize,
}

impl LaporPoller {
    pub fn polls(&self) -> bool {
        self.config.is_some()
    }

    fn settings(&self) -> LaporStatusConfig {
        self.config.clone().unwrap_or_default()
    }

    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(config) = &self.config else { return };
        let interval = Duration::from_secs(config.interval_secs.max(1));
        let max = Duration::from_secs(config.max_backoff_secs.max(config.interval_secs));
        let mut pause = interval;
        tracing::info!(destination = %self.destination, "LAPOR status polling started");
        loop {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.cancelled() => break,
            }
            match self.poll_once().await {
                Ok(report) if report.asked > 0 && report.failed == report.asked => {
                    pause = (pause * 2).min(max);
                    tracing::warn!(destination = %self.destination, pause_secs = pause.as_secs(), "LAPOR does not answer; backing off");
                }
                Ok(report) => {
                    pause = interval;
                    if report.changed > 0 {
                        tracing::info!(destination = %self.destination, ?report, "LAPOR statuses applied");
                    }
                }
                Err(e) => {
                    pause = (pause * 2).min(max);
                    tracing::warn!(destination = %self.destination, error = %e, "LAPOR poll failed");
                }
            }
        }
        tracing::info!(destination = %self.destination, "LAPOR status polling stopped");
    }

    /// One batch: ask, map, apply.
    pub async fn poll_once(&self) -> Result<PollReport, DbErr> {
        let config = self.settings();
        let forwarded = Query::select()
            .column(outbox::Column::ComplaintId)
            .from(outbox::Entity)
            .and_where(outbox::Column::Destination.eq(self.destination.as_str()))
            .and_where(outbox::Column::State.eq(crate::store::outbox::DELIVERED))
            .to_owned();
        let open: Vec<&str> = [
            Status::Received,
            Status::Forwarded,
            Status::Verified,
            Status::Assigned,
            Status::InProgress,
            Status::Resolved,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        let batch = complaint::Entity::find()
            .filter(complaint::Column::Id.in_subquery(forwarded))
            .filter(complaint::Column::LaporTrackingId.is_not_null())
            .filter(complaint::Column::Status.is_in(open))
            .order_by_asc(complaint::Column::LaporCheckedAt)
            .order_by_asc(complaint::Column::Id)
            .limit(config.batch)
            .all(self.store.db())
            .await?;
        let mut report = PollReport::default();
        for c in batch {
            report.asked += 1;
            let Some(tracking) = c.lapor_tracking_id.clone() else {
                continue;
            };
            let stage = match self.client.fetch_stage(&config, &tracking).await {
                Ok(stage) => stage,
                Err(e) => {
                    report.failed += 1;
                    tracing::debug!(tracking_id = %tracking, error = %e, "LAPOR status not read");
                    continue;
                }
            };
            if self.apply_stage(&c, &stage.stage, stage.answer).await? {
                report.changed += 1;
            }
        }
        Ok(report)
    }

    /// Applies a LAPOR stage to a complaint (also used by LAPOR's callback).
    pub async fn apply_stage(
        &self,
        c: &complaint::Model,
        stage: &str,
        answer: Option<String>,
    ) -> Result<bool, DbErr> {
        let now = Utc::now();
        let txn = self.store.begin_write().await?;
        complaint::Entity::update_many()
            .col_expr(complaint::Column::LaporCheckedAt, Some(now).into())
            .filter(complaint::Column::Id.eq(c.id))
            .exec(&*txn)
            .await?;
        let current: Status = c.status.parse().unwrap_or(Status::Received);
        let mapped = self
            .settings()
            .stages
            .get(&stage.trim().to_lowercase())
            .copied();
        let changed = match mapped {
            Some(to) if rank(to) > rank(current) => {
                let actor = format!("destination:{}", self.destination);
                let change = Change {
                    to,
                    actor: &actor,
                    note: answer,
                    kind: "status",
                    except_citizen: None,
                    notify: true,
                };
                apply(&*txn, &self.notifier, &self.sla, c, change, now).await?
            }
            Some(_) => false,
            None => {
                tracing::warn!(
                    stage,
                    tracking_id = c.lapor_tracking_id.as_deref().unwrap_or("-"),
                    "unknown LAPOR stage; add it to status.stages"
                );
                false
            }
        };
        txn.commit().await?;
        Ok(changed)
    }
}
