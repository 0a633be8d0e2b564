//! Dispatch: leases outbox rows, delivers each to its destination with its
//! idempotency key, records every attempt, retries with backoff, and
//! dead-letters what keeps failing. It never creates complaints.

pub mod agency_queue;
pub mod backoff;
pub mod destination;
pub mod jobs;
pub mod lapor;
pub mod webhook;

use crate::complaint::Status;
use crate::config::{Config, DestinationConfig, DispatchConfig};
use crate::metrics::Metrics;
use crate::store::complaints::{add_event, set_status, NewEvent};
use crate::store::entity::{complaint, outbox as outbox_row};
use crate::store::outbox::{self, AttemptRecord, Settle};
use crate::store::Store;
use chrono::{DateTime, Utc};
use destination::{DeliveryError, Destination, FailureKind, Receipt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The configured destinations, by name.
pub struct Destinations(BTreeMap<String, Arc<dyn Destination>>);

impl Destinations {
    pub fn from_config(config: &Config, store: &Store) -> Result<Self, String> {
        let mut map: BTreeMap<String, Arc<dyn Destination>> = BTreeMap::new();
        for (name, dest) in &config.destinations {
            let built: Arc<dyn Destination> = match dest {
                DestinationConfig::AgencyQueue { agency } => Arc::new(
                    agency_queue::AgencyQueue::new(agency.clone(), store.clone()),
                ),
                DestinationConfig::Lapor(l) => {
                    let token = l.token.resolve(&format!("destinations.{name}.token"))?;
                    Arc::new(lapor::Lapor::new(l, token)?)
                }
                DestinationConfig::Webhook(w) => {
                    let secret = w.secret.resolve(&format!("destinations.{name}.secret"))?;
                    Arc::new(webhook::Webhook::new(w, secret)?)
                }
            };
            map.insert(name.clone(), built);
        }
        Ok(Destinations(map))
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Destination>> {
        self.0.get(name)
    }
}

pub struct Dispatcher {
    store: Store,
    destinations: Arc<Destinations>,
    config: DispatchConfig,
    metrics: Metrics,
    wakeup: Arc<Notify>,
    instance: String,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        destinations: Arc<Destinations>,
        config: DispatchConfig,
        metrics: Metrics,
        wakeup: Arc<Notify>,
    ) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "satupintu".into());
        let instance = format!(
            "{host}-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Dispatcher {
            store,
            destinations,
            config,
            metrics,
            wakeup,
            instance,
        }
    }

    /// Runs until `shutdown`; then lets deliveries in flight finish within
    /// `grace`, and hands back the rows of those that did not.
    pub async fn run(self, shutdown: CancellationToken, grace: Duration) {
        let this = Arc::new(self);
        let permits = Arc::new(Semaphore::new(this.config.concurrency));
        let tasks = TaskTracker::new();
        let abort = CancellationToken::new();
        let poll = Duration::from_millis(this.config.poll_interval_ms);
        tracing::info!(instance = %this.instance, "dispatcher started");
        while !shutdown.is_cancelled() {
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = permits.acquire() => {}
                    _ = shutdown.cancelled() => break,
                }
                continue;
            }
            let limit = (free as u64).min(this.config.batch_size);
            let now = Utc::now();
            let lease_until = now + chrono::Duration::seconds(this.config.lease_secs as i64);
            let rows = match this.lease(limit, now, lease_until).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot lease outbox rows; will try again");
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.cancelled() => break,
                    }
                    continue;
                }
            };
            let leased = rows.len() as u64;
            for row in rows {
                let permit = permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore never closes");
                let this = this.clone();
                let abort = abort.clone();
                tasks.spawn(async move {
                    this.deliver(row, abort).await;
                    drop(permit);
                });
            }
            if leased < limit {
                tokio::select! {
                    _ = this.wakeup.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }
        tasks.close();
        if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
            tracing::warn!("deliveries still running after the grace period; releasing their rows");
            abort.cancel();
            tasks.wait().await;
        }
        tracing::info!(instance = %this.instance, "dispatcher stopped");
    }

    async fn lease(
        &self,
        limit: u64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<outbox_row::Model>, sea_orm::DbErr> {
        let txn = self.store.begin_write().await?;
        let rows = outbox::lease(&*txn, &self.instance, limit, now, lease_until).await?;
        txn.commit().await?;
        Ok(rows)
    }

    async fn deliver(&self, row: outbox_row::Model, abort: CancellationToken) {
        let started = Utc::now();
        let job = match jobs::load(self.store.db(), &row).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                let e = DeliveryError::permanent("complaint no longer exists");
                self.finish(&row, started, Err(e)).await;
                return;
            }
            Err(e) => {
                self.finish(
                    &row,
                    started,
                    Err(DeliveryError::retryable(format!("database: {e}"))),
                )
                .await;
                return;
            }
        };
        let Some(destination) = self.destinations.get(&row.destination).cloned() else {
            let e = DeliveryError::retryable(format!(
                "destination `{}` is not configured in this instance",
                row.destination
            ));
            self.finish(&row, started, Err(e)).await;
            return;
        };
        let result = tokio::select! {
            r = destination.deliver(&job) => r,
            _ = abort.cancelled() => {
                let now = Utc::now();
                if let Err(e) = outbox::settle(self.store.db(), row.id, &self.instance, Settle::Release, now).await {
                    tracing::warn!(outbox_id = row.id, error = %e, "cannot release row; its lease will expire");
                }
                return;
            }
        };
        self.metrics.delivery(
            &row.destination,
            if result.is_ok() {
                "delivered"
            } else {
                "failed"
            },
        );
        self.finish(&row, started, result).await;
    }

    /// Records the attempt and settles the row, in one transaction.
    async fn finish(
        &self,
        row: &outbox_row::Model,
        started: DateTime<Utc>,
        result: Result<Receipt, DeliveryError>,
    ) {
        let now = Utc::now();
        let outcome = match &result {
            Ok(_) => "delivered",
            Err(e) if e.kind == FailureKind::Permanent => "rejected",
            Err(_) if row.attempts >= self.config.max_attempts => "failed",
            Err(_) => "failed",
        };
        let settle = match &result {
            Ok(r) => Settle::Delivered {
                external_ref: r.external_ref.clone(),
            },
            Err(e)
                if e.kind == FailureKind::Permanent || row.attempts >= self.config.max_attempts =>
            {
                Settle::Dead {
                    error: e.message.clone(),
                }
            }
            Err(e) => Settle::Retry {
                at: now
                    + backoff::delay(
                        row.attempts,
                        Duration::from_millis(self.config.backoff_base_ms),
                        Duration::from_millis(self.config.backoff_max_ms),
                    ),
                error: e.message.clone(),
            },
        };
        let dead = matches!(settle, Settle::Dead { .. });
        let write =
            async {
                let txn = self.store.begin_write().await?;
                outbox::record_attempt(
                    &*txn,
                    AttemptRecord {
                        outbox_id: row.id,
                        attempt: row.attempts,
                        outcome,
                        http_status: match &result {
                            Ok(r) => r.http_status,
                            Err(e) => e.http_status,
                        },
                        error: result.as_ref().err().map(|e| e.message.clone()),
                        instance: &self.instance,
                        started_at: started,
                        finished_at: now,
                    },
                )
                .await?;
                if !outbox::settle(&*txn, row.id, &self.instance, settle, now).await? {
                    // The lease expired and another instance holds the row now.
                    txn.rollback().await?;
                    return Ok::<bool, sea_orm::DbErr>(false);
                }
                let actor = format!("destination:{}", row.destination);
                match &result {
                    Ok(receipt) => {
                        self.mark_delivered(&*txn, row, receipt, &actor, now)
                            .await?
                    }
                    Err(e) if dead => add_event(
                        &*txn,
                        NewEvent {
                            complaint_id: row.complaint_id,
                            actor: &actor,
                            kind: "delivery_dead",
                            from_status: None,
                            to_status: None,
                            note: Some(e.message.clone()),
                            data: Some(
                                serde_json::json!({"outbox_id": row.id, "attempts": row.attempts}),
                            ),
                            at: now,
                        },
                    )
                    .await?,
                    Err(_) => {}
                }
                txn.commit().await?;
                Ok(true)
            };
        match write.await {
            Ok(true) => match &result {
                Ok(_) => {
                    tracing::info!(outbox_id = row.id, destination = %row.destination, attempt = row.attempts, "delivered")
                }
                Err(e) if dead => {
                    tracing::error!(outbox_id = row.id, destination = %row.destination, attempt = row.attempts, error = %e, "delivery dead-lettered")
                }
                Err(e) => {
                    tracing::warn!(outbox_id = row.id, destination = %row.destination, attempt = row.attempts, error = %e, "delivery failed; will retry")
                }
            },
            Ok(false) => tracing::warn!(
                outbox_id = row.id,
                "lease lost before the result was recorded"
            ),
            Err(e) => {
                tracing::error!(outbox_id = row.id, error = %e, "cannot record delivery result; the lease will expire and the row be retried")
            }
        }
    }

    async fn mark_delivered<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        row: &outbox_row::Model,
        receipt: &Receipt,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        if receipt.lapor_tracking_id.is_some() {
            complaint::Entity::update_many()
                .col_expr(
                    complaint::Column::LaporTrackingId,
                    receipt.lapor_tracking_id.clone().into(),
                )
                .col_expr(
                    complaint::Column::LaporTransactionId,
                    receipt.lapor_transaction_id.clone().into(),
                )
                .col_expr(complaint::Column::UpdatedAt, now.into())
                .filter(complaint::Column::Id.eq(row.complaint_id))
                .exec(db)
                .await?;
        }
        add_event(
            db,
            NewEvent {
                complaint_id: row.complaint_id,
                actor,
                kind: "delivered",
                from_status: None,
                to_status: None,
                note: receipt.external_ref.clone(),
                data: Some(serde_json::json!({
                    "outbox_id": row.id,
                    "destination": row.destination,
                    "external_ref": receipt.external_ref,
                    "lapor_tracking_id": receipt.lapor_tracking_id,
                    "lapor_transaction_id": receipt.lapor_transaction_id,
                })),
                at: now,
            },
        )
        .await?;
        if let Some(c) = complaint::Entity::find_by_id(row.complaint_id)
            .one(db)
            .await?
        {
            if c.status == Status::Received.as_str() {
                set_status(db, &c, Status::Forwarded, actor, None, now).await?;
            }
        }
        Ok(())
    }
}
