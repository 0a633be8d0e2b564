//! Dispatch: leases outbox rows, delivers each to its destination with its
//! idempotency key, records every attempt, retries with backoff, and
//! dead-letters what keeps failing. It never creates complaints.

pub mod agency_queue;
pub mod backoff;
pub mod destination;
pub mod email;
pub mod jobs;
pub mod lapor;
pub mod reply;
mod settle;
pub mod webhook;

use crate::config::{Config, DestinationConfig, DispatchConfig, Secrets};
use crate::metrics::Metrics;
use crate::store::entity::outbox as outbox_row;
use crate::store::outbox;
use crate::store::Store;
use chrono::{DateTime, Utc};
use destination::{DeliveryError, Destination};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The configured destinations, by name.
pub struct Destinations(BTreeMap<String, Arc<dyn Destination>>);

impl Destinations {
    pub fn from_config(config: &Config, store: &Store, secrets: &Secrets) -> Result<Self, String> {
        let mut map: BTreeMap<String, Arc<dyn Destination>> = BTreeMap::new();
        for (name, dest) in &config.destinations {
            let built: Arc<dyn Destination> = match dest {
                DestinationConfig::AgencyQueue { agency } => Arc::new(
                    agency_queue::AgencyQueue::new(agency.clone(), store.clone()),
                ),
                DestinationConfig::Lapor(l) => {
                    let token = secrets.get(&format!("destinations.{name}.token"))?;
                    Arc::new(lapor::Lapor::new(l, token)?)
                }
                DestinationConfig::Webhook(w) => {
                    let secret = secrets.get(&format!("destinations.{name}.secret"))?;
                    Arc::new(webhook::Webhook::new(w, secret)?)
                }
                DestinationConfig::Email(e) => {
                    let channel = config.channels.email.as_ref().ok_or_else(|| {
                        format!("destinations.{name}: kind = \"email\" sends through [channels.email.smtp], which is not configured")
                    })?;
                    Arc::new(email::EmailDestination::new(
                        crate::channels::email::smtp_sender(channel, None, secrets)?,
                        e.clone(),
                        store.clone(),
                        crate::intake::attachments::AttachmentStore::new(&config.attachments.dir),
                        config.server.public_url.clone(),
                    ))
                }
            };
            map.insert(name.clone(), built);
        }
        Ok(Destinations(map))
    }

    /// Adds a channel's reply sender as the destination `reply:<channel>`.
    pub fn add_reply_sender(&mut self, sender: Arc<dyn adapters::ReplySender>) {
        let name = crate::notify::reply_destination(sender.channel());
        self.0
            .insert(name, Arc::new(reply::ReplyDestination::new(sender)));
    }

    /// Adds a destination a channel serves (such as `media:<channel>`).
    pub fn add(&mut self, name: String, destination: Arc<dyn Destination>) {
        self.0.insert(name, destination);
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
    notifier: Arc<crate::notify::Notifier>,
    sla: Arc<crate::sla::Sla>,
    instance: String,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        destinations: Arc<Destinations>,
        config: DispatchConfig,
        metrics: Metrics,
        wakeup: Arc<Notify>,
        notifier: Arc<crate::notify::Notifier>,
        sla: Arc<crate::sla::Sla>,
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
            notifier,
            sla,
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
                if let Err(e) = self.release(&row).await {
                    tracing::warn!(outbox_id = row.id, error = %e, "cannot release row; its lease will expire");
                }
                return;
            }
        };
        let outcome = if result.is_ok() {
            "delivered"
        } else {
            "failed"
        };
        self.finish(&row, started, result).await;
        // Counted once the result is recorded, so the count never runs
        // ahead of what the outbox shows.
        self.metrics.delivery(&row.destination, outcome);
    }
}
