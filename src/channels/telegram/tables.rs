//! The bot's own tables: what it remembers per chat (a half-told `/lapor`
//! complaint, a group already told) and the update behind each Telegram
//! message. Only the Telegram channel reads or writes them.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

pub mod chat {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "telegram_chats")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account: String,
        pub chat_id: i64,
        /// The guided complaint in progress, as JSON.
        pub flow: Option<String>,
        pub group_notified_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "telegram_messages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account: String,
        pub chat_id: i64,
        pub message_id: i64,
        /// The external id of the update that carried it.
        pub external_id: String,
        /// Set once a Telegram-only answer to it is in the outbox.
        pub answered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A Telegram message in a chat of one bot.
#[derive(Debug, Clone, Copy)]
pub struct MessageKey<'a> {
    pub account: &'a str,
    pub chat_id: i64,
    pub message_id: i32,
}

/// Records which update carried a message (a repeat changes nothing).
pub async fn remember<C: ConnectionTrait>(
    db: &C,
    key: MessageKey<'_>,
    external_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    message::Entity::insert(message::ActiveModel {
        account: Set(key.account.to_string()),
        chat_id: Set(key.chat_id),
        message_id: Set(key.message_id.into()),
        external_id: Set(external_id.to_string()),
        answered_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        message::Column::Account,
        message::Column::ChatId,
        message::Column::MessageId,
    ])
    .exec(db)
    .await?;
    Ok(())
}

/// The external id of the update that carried a message, if we saw it.
pub async fn external_id_of<C: ConnectionTrait>(
    db: &C,
    key: MessageKey<'_>,
) -> Result<Option<String>, DbErr> {
    Ok(message::Entity::find()
        .filter(message::Column::Account.eq(key.account))
        .filter(message::Column::ChatId.eq(key.chat_id))
        .filter(message::Column::MessageId.eq(i64::from(key.message_id)))
        .one(db)
        .await?
        .map(|m| m.external_id))
}

/// The chat and message id of the message an update carried.
pub async fn message_of<C: ConnectionTrait>(
    db: &C,
    account: &str,
    external_id: &str,
) -> Result<Option<(i64, i32)>, DbErr> {
    Ok(message::Entity::find()
        .filter(message::Column::Account.eq(account))
        .filter(message::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .and_then(|m| Some((m.chat_id, i32::try_from(m.message_id).ok()?))))
}

/// True once a Telegram-only answer to the message (or the guided
/// complaint it completed) is committed: a repeated delivery is done.
pub async fn answered<C: ConnectionTrait>(db: &C, key: MessageKey<'_>) -> Result<bool, DbErr> {
    Ok(message::Entity::find()
        .filter(message::Column::Account.eq(key.account))
        .filter(message::Column::ChatId.eq(key.chat_id))
        .filter(message::Column::MessageId.eq(i64::from(key.message_id)))
        .filter(message::Column::AnsweredAt.is_not_null())
        .one(db)
        .await?
        .is_some())
}

/// Claims the one answer to a remembered message: true for the first
/// caller only, however many deliveries of the update race.
pub async fn claim_answer<C: ConnectionTrait>(
    db: &C,
    key: MessageKey<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = message::Entity::update_many()
        .col_expr(message::Column::AnsweredAt, Some(now).into())
        .filter(message::Column::Account.eq(key.account))
        .filter(message::Column::ChatId.eq(key.chat_id))
        .filter(message::Column::MessageId.eq(i64::from(key.message_id)))
        .filter(message::Column::AnsweredAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn ensure_chat<C: ConnectionTrait>(
    db: &C,
    account: &str,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    chat::Entity::insert(chat::ActiveModel {
        account: Set(account.to_string()),
        chat_id: Set(chat_id),
        flow: Set(None),
        group_notified_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([chat::Column::Account, chat::Column::ChatId])
    .exec(db)
    .await?;
    Ok(())
}

pub async fn flow_of<C: ConnectionTrait>(
    db: &C,
    account: &str,
    chat_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(chat::Entity::find()
        .filter(chat::Column::Account.eq(account))
        .filter(chat::Column::ChatId.eq(chat_id))
        .one(db)
        .await?
        .and_then(|c| c.flow))
}

pub async fn set_flow<C: ConnectionTrait>(
    db: &C,
    account: &str,
    chat_id: i64,
    flow: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ensure_chat(db, account, chat_id, now).await?;
    chat::Entity::update_many()
        .col_expr(chat::Column::Flow, flow.into())
        .col_expr(chat::Column::UpdatedAt, now.into())
        .filter(chat::Column::Account.eq(account))
        .filter(chat::Column::ChatId.eq(chat_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims the one notice to a group: true the first time only.
pub async fn claim_group_notice<C: ConnectionTrait>(
    db: &C,
    account: &str,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    ensure_chat(db, account, chat_id, now).await?;
    let result = chat::Entity::update_many()
        .col_expr(chat::Column::GroupNotifiedAt, Some(now).into())
        .col_expr(chat::Column::UpdatedAt, now.into())
        .filter(chat::Column::Account.eq(account))
        .filter(chat::Column::ChatId.eq(chat_id))
        .filter(chat::Column::GroupNotifiedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
