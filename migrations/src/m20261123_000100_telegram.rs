//! What the Telegram bot remembers per chat (a half-told `/lapor`
//! complaint, a group already told the bot takes no group messages) and
//! which update carried each Telegram message (for edits, replies and
//! answering a command exactly once).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("telegram_chats")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("account"))
                .col(big_integer("chat_id"))
                .col(text_null("flow"))
                .col(timestamp_with_time_zone_null("group_notified_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_telegram_chats")
                .table("telegram_chats")
                .col("account")
                .col("chat_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("telegram_messages")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("account"))
                .col(big_integer("chat_id"))
                .col(big_integer("message_id"))
                .col(string("external_id"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_telegram_messages")
                .table("telegram_messages")
                .col("account")
                .col("chat_id")
                .col("message_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_telegram_messages_external_id")
                .table("telegram_messages")
                .col("external_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["telegram_messages", "telegram_chats"] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
