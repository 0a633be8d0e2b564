//! Handing replies to a phone gateway that polls (SMSSync `task=send`):
//! the instance's waiting messages, within its rate limits, are settled as
//! delivered to the phone and returned in the same answer, in one
//! transaction. Messages over the limits wait for the next poll.

use super::outbound::wait_secs;
use super::Instance;
use crate::notify::MessagePayload;
use crate::store::complaints::{add_event, NewEvent};
use crate::store::outbox::{record_attempt, AttemptRecord};
use crate::store::sms as store_sms;
use crate::store::Store;
use adapters::sms::segments;
use adapters::sms::smssync::Task;
use chrono::Utc;
use sea_orm::DbErr;

pub(crate) async fn hand_over(
    store: &Store,
    instance: &Instance,
    batch: u64,
) -> Result<Vec<Task>, DbErr> {
    let now = Utc::now();
    let actor = format!("phone:{}", instance.name);
    let txn = store.begin_write().await?;
    let rows = store_sms::waiting_messages(&*txn, "sms", &instance.name, batch).await?;
    let mut tasks = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(recipient), Some(payload)) = (&row.recipient, &row.payload) else {
            continue;
        };
        let Ok(payload) = serde_json::from_value::<MessagePayload>(payload.clone()) else {
            tracing::warn!(
                outbox_id = row.id,
                "waiting SMS has no readable payload; left waiting"
            );
            continue;
        };
        let sms = segments::count(&payload.text).segments as u32;
        if let Err(wait) = instance.limiter.check(recipient, sms) {
            tracing::info!(
                outbox_id = row.id,
                wait_secs = wait_secs(wait),
                "phone rate limit; the message waits for a later poll"
            );
            continue;
        }
        let uuid = row.idempotency_key.clone();
        if !store_sms::hand_over(&*txn, row.id, &uuid, now).await? {
            continue;
        }
        record_attempt(
            &*txn,
            AttemptRecord {
                outbox_id: row.id,
                attempt: row.attempts + 1,
                outcome: "delivered",
                http_status: None,
                error: None,
                instance: &actor,
                started_at: now,
                finished_at: now,
            },
        )
        .await?;
        // Help replies belong to no complaint, so have no timeline.
        if let Some(complaint_id) = row.complaint_id {
            add_event(
                &*txn,
                NewEvent {
                    complaint_id,
                    actor: &format!("destination:{}", row.destination),
                    kind: "message_sent",
                    from_status: None,
                    to_status: None,
                    note: None,
                    data: Some(serde_json::json!({
                        "outbox_id": row.id, "channel": row.channel, "provider_message_id": uuid, "via": actor,
                    })),
                    at: now,
                },
            )
            .await?;
        }
        tasks.push(Task {
            to: recipient.clone(),
            message: payload.text,
            uuid,
        });
    }
    txn.commit().await?;
    Ok(tasks)
}

/// Ids the phone should report on: handed over in the last two days and
/// without a final report.
pub(crate) async fn awaiting_reports(
    store: &Store,
    instance: &Instance,
) -> Result<Vec<String>, DbErr> {
    let since = Utc::now() - chrono::Duration::days(2);
    store_sms::awaiting_reports(store.db(), "sms", &instance.name, since, 100).await
}
