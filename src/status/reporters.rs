//! Who hears about a complaint, and where: every citizen who reported it
//! (or reported a duplicate of it), on the channel they last wrote on, or
//! on the first fallback channel where they have a reachable address.

use crate::notify::unreachable::reachable_on;
use crate::notify::{address_kinds, stored_address, FallbackRoute};
use crate::store::entity::{citizen_address, complaint, inbound_message};
use adapters::Channel;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

/// One citizen's way to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub citizen_id: i64,
    pub channel: Channel,
    pub account: String,
    pub recipient: String,
    /// The citizen's own message to thread the answer under (same channel).
    pub reply_to: Option<String>,
}

/// `address`'s stored row when `channel` may reach it.
async fn reachable_address<C: ConnectionTrait>(
    db: &C,
    channel: Channel,
    address: &str,
) -> Result<Option<citizen_address::Model>, DbErr> {
    Ok(stored_address(db, channel, address)
        .await?
        .filter(|a| reachable_on(a, channel)))
}

/// The first fallback route on which `citizen_id` has a reachable address,
/// skipping the channels in `except`.
pub async fn fallback_route<C: ConnectionTrait>(
    db: &C,
    citizen_id: i64,
    fallback: &[FallbackRoute],
    except: &[Channel],
) -> Result<Option<Route>, DbErr> {
    let addresses = citizen_address::Entity::find()
        .filter(citizen_address::Column::CitizenId.eq(citizen_id))
        .order_by_asc(citizen_address::Column::Id)
        .all(db)
        .await?;
    for f in fallback.iter().filter(|f| !except.contains(&f.channel)) {
        let reachable = |kind: &&str| {
            addresses
                .iter()
                .find(|a| a.kind == *kind && reachable_on(a, f.channel))
        };
        if let Some(a) = address_kinds(f.channel).iter().find_map(reachable) {
            return Ok(Some(Route {
                citizen_id,
                channel: f.channel,
                account: f.account.clone(),
                recipient: a.address.clone(),
                reply_to: None,
            }));
        }
    }
    Ok(None)
}

/// One route per citizen who reported `c` or a duplicate of it.
pub async fn routes<C: ConnectionTrait>(
    db: &C,
    c: &complaint::Model,
    fallback: &[FallbackRoute],
) -> Result<Vec<Route>, DbErr> {
    let duplicates = complaint::Entity::find()
        .filter(complaint::Column::DuplicateOf.eq(c.id))
        .all(db)
        .await?;
    let mut ids = vec![c.id];
    ids.extend(duplicates.iter().map(|d| d.id));
    let mut citizens: BTreeSet<i64> = c.citizen_id.into_iter().collect();
    citizens.extend(duplicates.iter().filter_map(|d| d.citizen_id));

    let messages = inbound_message::Entity::find()
        .filter(inbound_message::Column::ComplaintId.is_in(ids))
        .filter(inbound_message::Column::Sender.is_not_null())
        .order_by_desc(inbound_message::Column::ReceivedAt)
        .order_by_desc(inbound_message::Column::Id)
        .all(db)
        .await?;
    let mut routes: Vec<Route> = Vec::new();
    for m in messages {
        let Ok(channel) = m.channel.parse::<Channel>() else {
            continue;
        };
        if channel == Channel::Webform {
            continue;
        }
        let Some(sender) = m.sender else { continue };
        let Some(address) = reachable_address(db, channel, &sender).await? else {
            continue;
        };
        if routes.iter().any(|r| r.citizen_id == address.citizen_id) {
            continue;
        }
        citizens.insert(address.citizen_id);
        routes.push(Route {
            citizen_id: address.citizen_id,
            channel,
            account: m.channel_account,
            recipient: sender,
            reply_to: Some(m.external_id),
        });
    }
    for citizen_id in citizens {
        if routes.iter().any(|r| r.citizen_id == citizen_id) {
            continue;
        }
        if let Some(route) = fallback_route(db, citizen_id, fallback, &[]).await? {
            routes.push(route);
        }
    }
    Ok(routes)
}
