//! Joining long SMS that arrive part by part: each part is stored (once
//! per provider id), and when the last one is in, the joined text goes to
//! intake as one message; a worker takes in what came of a message whose
//! parts stopped arriving. Never hands a group to intake before its parts
//! are committed, so a crash in between only repeats the (idempotent) join.

use super::SmsChannel;
use crate::intake::{Accepted, IntakeError};
use crate::store::entity::sms_part;
use crate::store::sms::{self as store_sms, PartGroup};
use adapters::sms::{Part, SmsMessage};
use adapters::{Address, Channel, ExternalId, Flags, InboundMessage, PhoneE164, RawPayload};
use chrono::Utc;
use sea_orm::Set;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How long joined parts are kept, so a late repeat of a part is still
/// recognised as one.
const KEEP_JOINED: chrono::Duration = chrono::Duration::days(7);

/// Stores a part; when it completes its message, takes the message in.
/// `None`: the message waits for more parts.
pub(crate) async fn accept_part(
    ch: &SmsChannel,
    sms: SmsMessage,
    part: Part,
) -> Result<Option<Accepted>, IntakeError> {
    let msg = sms.message;
    let sender = msg.sender.as_ref().map(|a| a.value()).unwrap_or_default();
    let group = PartGroup {
        channel_account: msg.channel_account.clone(),
        sender: sender.clone(),
        reference: part.reference as i32,
        total: part.total as i32,
    };
    let now = Utc::now();
    let txn = ch.store.begin_write().await?;
    let stored = store_sms::add_part(
        &*txn,
        sms_part::ActiveModel {
            channel_account: Set(msg.channel_account.clone()),
            sender: Set(sender),
            reference: Set(part.reference as i32),
            total: Set(part.total as i32),
            seq: Set(part.seq as i32),
            external_id: Set(msg.external_id.to_string()),
            text: Set(msg.text.clone()),
            raw_content_type: Set(msg.raw.content_type.clone()),
            raw_payload: Set(msg.raw.body.clone()),
            display_name: Set(msg.display_name.clone()),
            received_at: Set(msg.received_at),
            created_at: Set(now),
            joined_at: Set(None),
            ..Default::default()
        },
    )
    .await?;
    let parts = store_sms::open_parts(&*txn, &group).await?;
    txn.commit().await?;
    ch.metrics.channel_event(
        "sms",
        if stored {
            "part_stored"
        } else {
            "part_repeated"
        },
        &msg.channel_account,
    );
    tracing::info!(
        instance = %msg.channel_account, external_id = %msg.external_id,
        seq = part.seq, total = part.total, have = parts.len(), "SMS part stored"
    );
    let Some(complete) = complete(&parts, part.total) else {
        return Ok(None);
    };
    take_in(ch, &complete, true).await.map(Some)
}

/// The first part of each position 1..=total, when all are there.
fn complete(parts: &[sms_part::Model], total: u8) -> Option<Vec<sms_part::Model>> {
    let mut chosen = Vec::with_capacity(total as usize);
    for seq in 1..=total as i32 {
        chosen.push(parts.iter().find(|p| p.seq == seq)?.clone());
    }
    Some(chosen)
}

/// Joins `parts` (by position; a missing one is marked) into one message,
/// takes it in, and marks the parts joined.
async fn take_in(
    ch: &SmsChannel,
    parts: &[sms_part::Model],
    complete: bool,
) -> Result<Accepted, IntakeError> {
    let msg = joined(parts)?;
    let account = msg.channel_account.clone();
    let accepted = ch.intake.accept(msg).await?;
    let ids: Vec<i64> = parts.iter().map(|p| p.id).collect();
    let txn = ch.store.begin_write().await?;
    store_sms::mark_joined(&*txn, &ids, Utc::now()).await?;
    txn.commit().await?;
    ch.metrics.channel_event(
        "sms",
        if complete {
            "joined"
        } else {
            "joined_incomplete"
        },
        &account,
    );
    Ok(accepted)
}

fn joined(parts: &[sms_part::Model]) -> Result<InboundMessage, IntakeError> {
    let first = parts.first().ok_or_else(|| storage("no parts to join"))?;
    let total = first.total;
    let mut text = String::new();
    let mut expected = 1;
    for p in parts {
        if p.seq > expected {
            text.push_str(" […] ");
        }
        if p.seq >= expected {
            text.push_str(&p.text);
            expected = p.seq + 1;
        }
    }
    if expected <= total {
        text.push_str(" […]");
    }
    let ids: Vec<&str> = parts.iter().map(|p| p.external_id.as_str()).collect();
    let digest = hex::encode(Sha256::digest(ids.join("\n").as_bytes()));
    let external_id = ExternalId::parse(&format!(
        "{}:parts:{}",
        first.channel_account,
        &digest[..32]
    ))
    .map_err(|e| storage(&e))?;
    let sender = PhoneE164::from_international_digits(&first.sender)
        .map_err(|e| storage(&format!("stored sender: {e}")))?;
    let raw = serde_json::json!({
        "parts": parts.iter().map(|p| serde_json::json!({
            "seq": p.seq, "total": p.total, "external_id": p.external_id,
            "content_type": p.raw_content_type, "body": p.raw_payload,
        })).collect::<Vec<_>>(),
    });
    Ok(InboundMessage {
        channel: Channel::Sms,
        channel_account: first.channel_account.clone(),
        external_id,
        sender: Some(Address::Phone(sender)),
        other_addresses: vec![],
        display_name: first.display_name.clone(),
        title: None,
        text: text.trim().to_string(),
        category: None,
        attachments: vec![],
        location: None,
        reply_to: None,
        flags: Flags::default(),
        received_at: parts
            .iter()
            .map(|p| p.received_at)
            .min()
            .unwrap_or_else(Utc::now),
        raw: RawPayload {
            content_type: "application/json".into(),
            body: raw.to_string(),
        },
    })
}

fn storage(what: &str) -> IntakeError {
    IntakeError::Storage(sea_orm::DbErr::Custom(format!("SMS parts: {what}")))
}

/// The worker: takes in messages whose parts stopped coming, forgets old
/// joined parts, and lets the limiters forget idle numbers.
pub(crate) async fn sweep(ch: Arc<SmsChannel>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(ch.part_check) => {}
        }
        if let Err(e) = sweep_once(&ch).await {
            tracing::warn!(error = %e, "SMS parts: cannot take in timed-out parts; will try again");
        }
        for instance in ch.instances.values() {
            instance.limiter.forget_idle();
        }
    }
}

async fn sweep_once(ch: &SmsChannel) -> Result<(), IntakeError> {
    let now = Utc::now();
    let timeout =
        chrono::Duration::from_std(ch.part_timeout).unwrap_or(chrono::Duration::minutes(10));
    let groups = store_sms::stale_groups(ch.store.db(), now - timeout).await?;
    for group in groups {
        let parts = store_sms::open_parts(ch.store.db(), &group).await?;
        if parts.is_empty() {
            continue;
        }
        let accepted = take_in(ch, &parts, false).await?;
        tracing::warn!(
            instance = %group.channel_account, have = parts.len(), total = group.total,
            tracking_code = ?accepted.tracking_code.as_ref().map(|c| c.as_str()),
            "SMS parts timed out; took in the parts that came"
        );
    }
    let txn = ch.store.begin_write().await?;
    store_sms::purge_joined(&*txn, now - KEEP_JOINED).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(seq: i32, text: &str) -> sms_part::Model {
        sms_part::Model {
            id: seq as i64,
            channel_account: "kannel".into(),
            sender: "+6285274441234".into(),
            reference: 7,
            total: 3,
            seq,
            external_id: format!("kannel:p{seq}"),
            text: text.into(),
            raw_content_type: "x".into(),
            raw_payload: format!("p{seq}"),
            display_name: None,
            received_at: Utc::now(),
            created_at: Utc::now(),
            joined_at: None,
        }
    }

    #[test]
    fn parts_join_in_order_and_gaps_are_marked() {
        let all = vec![part(1, "Sampah "), part(2, "belum "), part(3, "diangkut")];
        let picked = complete(&all, 3).unwrap();
        let m = joined(&picked).unwrap();
        assert_eq!(m.text, "Sampah belum diangkut");
        assert_eq!(m.sender.unwrap().value(), "+6285274441234");
        assert!(complete(&all[..2], 3).is_none());
        assert_eq!(
            joined(&[part(1, "Sampah"), part(3, "diangkut")])
                .unwrap()
                .text,
            "Sampah […] diangkut"
        );
        assert_eq!(joined(&[part(1, "Sampah")]).unwrap().text, "Sampah […]");
        // The same parts give the same id: a repeated join is a replay.
        assert_eq!(joined(&picked).unwrap().external_id, m.external_id);
        assert_ne!(joined(&all[..2]).unwrap().external_id, m.external_id);
    }
}
