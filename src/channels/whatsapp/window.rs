//! WhatsApp's 24-hour customer service window: free-form messages only
//! within 24 hours of the citizen's last message to that number. The
//! last message is read from `inbound_messages`; nothing here sends.

use crate::store::entity::inbound_message;
use adapters::Channel;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// How long the window stays open after the citizen's last message.
pub const WINDOW_HOURS: i64 = 24;
/// Kept back from the window's end, for the time between this check and
/// Meta receiving the message (and the clocks' disagreement).
pub const SAFETY_MARGIN_MINUTES: i64 = 10;

/// When the citizen at `recipient` (E.164) last wrote to the number
/// `account`, by Meta's timestamp.
pub async fn last_inbound<C: ConnectionTrait>(
    db: &C,
    account: &str,
    recipient: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq(Channel::Whatsapp.as_str()))
        .filter(inbound_message::Column::ChannelAccount.eq(account))
        .filter(inbound_message::Column::Sender.eq(recipient))
        .order_by_desc(inbound_message::Column::ReceivedAt)
        .one(db)
        .await?
        .map(|m| m.received_at))
}

/// Whether a free-form message may go now.
pub fn is_open(last_inbound: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let usable = Duration::hours(WINDOW_HOURS) - Duration::minutes(SAFETY_MARGIN_MINUTES);
    last_inbound.is_some_and(|t| now < t + usable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_windows() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let ago = |h: i64, m: i64| Some(now - Duration::hours(h) - Duration::minutes(m));
        for (label, last, open) in [
            ("never wrote", None, false),
            ("a minute ago", ago(0, 1), true),
            ("23 hours ago", ago(23, 0), true),
            ("inside the safety margin", ago(23, 55), false),
            ("25 hours ago", ago(25, 0), false),
            (
                "a clock ahead of ours",
                Some(now + Duration::minutes(2)),
                true,
            ),
        ] {
            assert_eq!(is_open(last, now), open, "{label}");
        }
    }
}
