//! After an attempt: record it, move the row on (delivered, retry later,
//! wait, dead), and write what happened on the complaint's timeline, all
//! in one transaction.

use super::destination::{DeliveryError, FailureKind, Receipt};
use super::{backoff, Dispatcher};
use crate::complaint::Status;
use crate::store::complaints::{add_event, add_message_event, NewEvent};
use crate::store::entity::{complaint, outbox as outbox_row};
use crate::store::outbox::{self, AttemptRecord, Settle, KIND_MEDIA, KIND_MESSAGE};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::time::Duration;

impl Dispatcher {
    pub(super) async fn release(&self, row: &outbox_row::Model) -> Result<(), DbErr> {
        let txn = self.store.begin_write().await?;
        outbox::settle(&*txn, row.id, &self.instance, Settle::Release, Utc::now()).await?;
        txn.commit().await
    }

    fn next_state(
        &self,
        row: &outbox_row::Model,
        result: &Result<Receipt, DeliveryError>,
        now: DateTime<Utc>,
    ) -> (&'static str, Settle) {
        match result {
            Ok(r) => (
                "delivered",
                Settle::Delivered {
                    external_ref: r.external_ref.clone(),
                },
            ),
            Err(e) => match e.kind {
                FailureKind::Permanent => (
                    "rejected",
                    Settle::Dead {
                        error: e.message.clone(),
                    },
                ),
                FailureKind::Unreachable => (
                    "unreachable",
                    Settle::Dead {
                        error: e.message.clone(),
                    },
                ),
                FailureKind::Wait => (
                    "waiting",
                    Settle::Wait {
                        error: e.message.clone(),
                    },
                ),
                FailureKind::Retryable if row.attempts >= self.config.max_attempts => (
                    "failed",
                    Settle::Dead {
                        error: e.message.clone(),
                    },
                ),
                FailureKind::Retryable => {
                    let delay = e.retry_after.unwrap_or_else(|| {
                        backoff::delay(
                            row.attempts,
                            Duration::from_millis(self.config.backoff_base_ms),
                            Duration::from_millis(self.config.backoff_max_ms),
                        )
                    });
                    (
                        "failed",
                        Settle::Retry {
                            at: now + delay,
                            error: e.message.clone(),
                        },
                    )
                }
            },
        }
    }

    /// Records the attempt and settles the row, in one transaction.
    pub(super) async fn finish(
        &self,
        row: &outbox_row::Model,
        started: DateTime<Utc>,
        result: Result<Receipt, DeliveryError>,
    ) {
        let now = Utc::now();
        let (outcome, settle) = self.next_state(row, &result, now);
        let dead = matches!(settle, Settle::Dead { .. });
        let write = async {
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
                return Ok::<bool, DbErr>(false);
            }
            self.write_timeline(&*txn, row, &result, outcome, dead, now)
                .await?;
            txn.commit().await?;
            Ok(true)
        };
        let (id, dest, attempt) = (row.id, &row.destination, row.attempts);
        match write.await {
            Ok(true) => match &result {
                Ok(_) => tracing::info!(outbox_id = id, destination = %dest, attempt, "delivered"),
                Err(e) if dead => {
                    tracing::error!(outbox_id = id, destination = %dest, attempt, outcome, error = %e, "delivery dead-lettered")
                }
                Err(e) if outcome == "waiting" => {
                    tracing::info!(outbox_id = id, destination = %dest, error = %e, "message waits until the citizen writes again")
                }
                Err(e) => {
                    tracing::warn!(outbox_id = id, destination = %dest, attempt, error = %e, "delivery failed; will retry")
                }
            },
            Ok(false) => {
                tracing::warn!(outbox_id = id, "lease lost before the result was recorded")
            }
            Err(e) => {
                tracing::error!(outbox_id = id, error = %e, "cannot record delivery result; the lease will expire and the row be retried")
            }
        }
    }

    async fn write_timeline<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &outbox_row::Model,
        result: &Result<Receipt, DeliveryError>,
        outcome: &str,
        dead: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let actor = format!("destination:{}", row.destination);
        let message = row.kind == KIND_MESSAGE;
        // Messages that answer no complaint have no timeline to write on.
        let event = |kind: &'static str, note: Option<String>, data: serde_json::Value| {
            add_message_event(db, row, &actor, kind, note, data, now)
        };
        match result {
            Ok(receipt) if message => {
                let data = serde_json::json!({
                    "outbox_id": row.id, "channel": row.channel, "provider_message_id": receipt.external_ref,
                });
                event("message_sent", None, data).await
            }
            // The fetcher wrote the attachment and its timeline entry itself.
            Ok(_) if row.kind == KIND_MEDIA => Ok(()),
            Ok(receipt) => self.mark_delivered(db, row, receipt, &actor, now).await,
            Err(e) if outcome == "unreachable" => {
                crate::notify::unreachable::unreachable(
                    db,
                    &self.notifier.fallback,
                    row,
                    &actor,
                    &e.message,
                    now,
                )
                .await
            }
            Err(e) if outcome == "waiting" => {
                let data = serde_json::json!({"outbox_id": row.id, "channel": row.channel});
                event("message_waiting", Some(e.message.clone()), data).await
            }
            Err(e) if dead => {
                let data = serde_json::json!({"outbox_id": row.id, "attempts": row.attempts});
                event("delivery_dead", Some(e.message.clone()), data).await
            }
            Err(_) => Ok(()),
        }
    }

    async fn mark_delivered<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &outbox_row::Model,
        receipt: &Receipt,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(complaint_id) = row.complaint_id else {
            return Ok(());
        };
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
                .filter(complaint::Column::Id.eq(complaint_id))
                .exec(db)
                .await?;
        }
        add_event(
            db,
            NewEvent {
                complaint_id,
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
        if let Some(c) = complaint::Entity::find_by_id(complaint_id).one(db).await? {
            if c.status == Status::Received.as_str() {
                // Reporters hear of the forwarding when it gives them
                // something new: a LAPOR! number to follow. An agency queue
                // is the acknowledgment's promise kept; the agency's own
                // "received" comes next.
                let lapor_id = receipt.lapor_tracking_id.clone();
                let change = crate::status::Change {
                    to: Status::Forwarded,
                    actor,
                    note: lapor_id
                        .as_ref()
                        .map(|id| format!("Nomor laporan SP4N-LAPOR!: {id}")),
                    kind: "status",
                    except_citizen: None,
                    notify: lapor_id.is_some(),
                };
                crate::status::apply(db, &self.notifier, &self.sla, &c, change, now).await?;
            }
        }
        Ok(())
    }
}
