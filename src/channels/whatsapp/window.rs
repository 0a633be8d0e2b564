//! WhatsApp's 24-hour customer service window: free-form messages only
//! within 24 hours of the citizen's last message to that number. The
//! last message is read from `inbound_messages`; nothing here sends.

use crate::notify::{address_kind, address_kinds};
use crate::store::addresses::same_citizen;
use crate::store::entity::inbound_message;
use adapters::Channel;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select};

/// How long the window stays open after the citizen's last message.
pub const WINDOW_HOURS: i64 = 24;
/// Kept back from the window's end, for the time between this check and
/// Meta receiving the message (and the clocks' disagreement).
pub const SAFETY_MARGIN_MINUTES: i64 = 10;

/// When the citizen at `recipient` last wrote to the number `account`,
/// by Meta's timestamp. The window is the citizen's, whichever of their
/// WhatsApp addresses they wrote from: their number, or their user id
/// once they hide the number behind a username.
pub async fn last_inbound<C: ConnectionTrait>(
    db: &C,
    account: &str,
    recipient: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(last_inbound_query(account, recipient)
        .one(db)
        .await?
        .map(|m| m.received_at))
}

/// The query of [`last_inbound`], asked before every WhatsApp message;
/// public so that a test can hold SQLite's plan for it to its indexes.
pub fn last_inbound_query(account: &str, recipient: &str) -> Select<inbound_message::Entity> {
    let channel = Channel::Whatsapp;
    let kind = address_kind(channel, recipient);
    // The recipient itself too, should it be no citizen's address.
    let itself = Query::select().expr(Expr::val(recipient)).to_owned();
    let senders = same_citizen(kind, recipient, address_kinds(channel))
        .union(UnionType::Distinct, itself)
        .to_owned();
    inbound_message::Entity::find()
        .filter(inbound_message::Column::Channel.eq(channel.as_str()))
        .filter(inbound_message::Column::ChannelAccount.eq(account))
        .filter(inbound_message::Column::Sender.in_subquery(senders))
        .order_by_desc(inbound_message::Column::ReceivedAt)
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
