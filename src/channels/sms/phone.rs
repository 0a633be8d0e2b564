//! Handing replies to a phone gateway that polls (SMSSync `task=send`):
//! the instance's waiting messages, within its rate limits, are settled as
//! delivered to the phone and returned in the same answer, in one
//! transaction. Messages over the limits wait for the next poll.
//!
//! The answer can be lost on its way to the phone after that commit. The
//! phone confirms what it took (`task=sent`, recorded as `queued`); a
//! message still unconfirmed after the instance's `confirm_timeout_secs` is
//! handed over again, under the same uuid, by a later poll, until the row
//! has had [`LAST_ATTEMPT`] attempts. A second copy of an SMS is better
//! than none.

use super::outbound::wait_secs;
use super::Instance;
use crate::notify::MessagePayload;
use crate::store::complaints::add_message_event;
use crate::store::entity::outbox;
use crate::store::outbox::{record_attempt, AttemptRecord};
use crate::store::sms as store_sms;
use crate::store::Store;
use adapters::sms::segments;
use adapters::sms::smssync::Task;
use chrono::Utc;
use sea_orm::DbErr;

/// How an instance hands messages to its phone.
#[derive(Debug, Clone, Copy)]
pub struct HandOver {
    /// Most messages per poll.
    pub batch: u64,
    /// Zero: never hand a message over again.
    pub confirm_timeout: std::time::Duration,
}

/// The attempts after which an unconfirmed message is no longer handed
/// over again (the dispatcher's first attempt, then up to three hand-overs).
pub const LAST_ATTEMPT: i32 = 4;

pub(crate) async fn hand_over(
    store: &Store,
    instance: &Instance,
    how: &HandOver,
) -> Result<Vec<Task>, DbErr> {
    let now = Utc::now();
    let actor = format!("phone:{}", instance.name);
    let txn = store.begin_write().await?;
    let name = &instance.name;
    let mut rows: Vec<(outbox::Model, bool)> =
        store_sms::waiting_messages(&*txn, "sms", name, how.batch)
            .await?
            .into_iter()
            .map(|row| (row, false))
            .collect();
    let room = how.batch.saturating_sub(rows.len() as u64);
    if !how.confirm_timeout.is_zero() && room > 0 {
        let before = now - chrono::Duration::from_std(how.confirm_timeout).unwrap_or_default();
        let again = store_sms::unconfirmed_messages(&*txn, "sms", name, before, LAST_ATTEMPT, room);
        rows.extend(again.await?.into_iter().map(|row| (row, true)));
    }
    let mut tasks = Vec::with_capacity(rows.len());
    for (row, again) in rows {
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
        let handed = match (again, row.delivered_at) {
            (false, _) => store_sms::hand_over(&*txn, row.id, &uuid, now).await?,
            (true, Some(handed_at)) => {
                store_sms::hand_over_again(&*txn, row.id, handed_at, now).await?
            }
            (true, None) => false,
        };
        if !handed {
            continue;
        }
        if again {
            tracing::warn!(
                outbox_id = row.id, instance = %name, uuid = %uuid,
                "the phone never confirmed this message; handed over again"
            );
        }
        record_attempt(
            &*txn,
            AttemptRecord {
                outbox_id: row.id,
                attempt: row.attempts + 1,
                outcome: "delivered",
                http_status: None,
                error: again.then(|| "not confirmed by the phone; handed over again".to_string()),
                instance: &actor,
                started_at: now,
                finished_at: now,
            },
        )
        .await?;
        // A message handed over again is on the timeline once.
        if !again {
            let data = serde_json::json!({
                "outbox_id": row.id, "channel": row.channel, "provider_message_id": uuid, "via": actor,
            });
            let by = format!("destination:{}", row.destination);
            add_message_event(&*txn, &row, &by, "message_sent", None, data, now).await?;
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
