//! Keeps a running gateway's duplicate index in step with the database.
//! Other processes change complaints too (an operator's `complaint link`,
//! `unlink` or `status` on the command line, a second gateway on the same
//! PostgreSQL), and every change moves the complaint's `updated_at`. Every
//! few seconds the gateway reads the complaints whose `updated_at` passed
//! its cursor and forgets or re-remembers each as its stored row now says,
//! so the index is what a restart would build, without the restart.

use super::Dedup;
use crate::metrics::Metrics;
use crate::store::entity::complaint;
use crate::store::Store;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How far behind its cursor each look reaches back: a change stamped
/// before a later one but committed after it (or stamped by a clock a
/// little behind) is still seen. A change seen twice is applied once.
fn overlap() -> chrono::Duration {
    chrono::Duration::seconds(60)
}

/// Complaints read per query.
const CHUNK: usize = 500;

pub struct IndexSync {
    store: Store,
    dedup: Arc<Dedup>,
    metrics: Metrics,
    interval: Duration,
    /// The latest `updated_at` seen.
    cursor: DateTime<Utc>,
    /// Changes applied within the overlap: complaint id to `updated_at`.
    applied: HashMap<i64, DateTime<Utc>>,
}

/// What one look did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Complaints whose change was applied.
    pub read: usize,
    /// Complaints in the index afterwards.
    pub indexed: usize,
}

impl IndexSync {
    /// Follows changes from `since`: a moment before the index was last
    /// built from the database.
    pub fn new(
        store: Store,
        dedup: Arc<Dedup>,
        metrics: Metrics,
        interval: Duration,
        since: DateTime<Utc>,
    ) -> IndexSync {
        IndexSync {
            store,
            dedup,
            metrics,
            interval,
            cursor: since,
            applied: HashMap::new(),
        }
    }

    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.cancelled() => break,
            }
            match self.pass().await {
                Ok(p) if p.read > 0 => tracing::debug!(?p, "duplicate index brought up to date"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "reading changed complaints failed; will try again")
                }
            }
        }
    }

    /// One look at what changed since the cursor.
    pub async fn pass(&mut self) -> Result<Pass, DbErr> {
        let since = self.cursor - overlap();
        type Changed = (i64, DateTime<Utc>, DateTime<Utc>, Option<i64>);
        let changed: Vec<Changed> = complaint::Entity::find()
            .select_only()
            .column(complaint::Column::Id)
            .column(complaint::Column::UpdatedAt)
            .column(complaint::Column::CreatedAt)
            .column(complaint::Column::DuplicateOf)
            .filter(complaint::Column::UpdatedAt.gt(since))
            .into_tuple()
            .all(self.store.db())
            .await?;
        let mut fresh = Vec::new();
        for &(id, at, created, duplicate_of) in &changed {
            if self.applied.get(&id) == Some(&at) {
                continue;
            }
            let indexed = self.dedup.contains(id);
            // Unchanged since it was written: indexed on intake (by this
            // gateway), or a report joined to another from the start,
            // which no index holds. The bulk of what a busy gateway sees
            // here, and nothing to do.
            if at == created && (indexed || duplicate_of.is_some()) {
                self.applied.insert(id, at);
                continue;
            }
            fresh.push(id);
        }
        let now = Utc::now();
        for ids in fresh.chunks(CHUNK) {
            let rows = complaint::Entity::find()
                .filter(complaint::Column::Id.is_in(ids.to_vec()))
                .all(self.store.db())
                .await?;
            for c in rows {
                self.dedup.refresh(&c, now);
                self.applied.insert(c.id, c.updated_at);
            }
        }
        if let Some(latest) = changed.iter().map(|(_, at, _, _)| *at).max() {
            self.cursor = self.cursor.max(latest);
        }
        let keep_from = self.cursor - overlap();
        self.applied.retain(|_, at| *at > keep_from);
        let indexed = self.dedup.indexed();
        self.metrics.set_dedup_indexed(indexed);
        Ok(Pass {
            read: fresh.len(),
            indexed,
        })
    }
}
