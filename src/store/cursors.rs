//! Channel cursors: how far a polling channel has read. Set in the same
//! transaction as the message that moved it.

use super::entity::channel_cursor;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// A cursor position to record, e.g. `("telegram", "@PadangBot", "offset", "8123")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    pub channel: String,
    pub account: String,
    pub name: String,
    pub value: String,
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    channel: &str,
    account: &str,
    name: &str,
) -> Result<Option<String>, DbErr> {
    Ok(channel_cursor::Entity::find()
        .filter(channel_cursor::Column::Channel.eq(channel))
        .filter(channel_cursor::Column::Account.eq(account))
        .filter(channel_cursor::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|c| c.value))
}

pub async fn set<C: ConnectionTrait>(
    db: &C,
    cursor: &CursorUpdate,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    channel_cursor::Entity::insert(channel_cursor::ActiveModel {
        channel: Set(cursor.channel.clone()),
        account: Set(cursor.account.clone()),
        name: Set(cursor.name.clone()),
        value: Set(cursor.value.clone()),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            channel_cursor::Column::Channel,
            channel_cursor::Column::Account,
            channel_cursor::Column::Name,
        ])
        .update_columns([
            channel_cursor::Column::Value,
            channel_cursor::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
