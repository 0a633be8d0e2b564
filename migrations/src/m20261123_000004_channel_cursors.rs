//! Where each polling channel stopped reading (a bot's update offset, a
//! mailbox's UIDVALIDITY and last UID), written in the same transaction as
//! the message it follows, so a restart neither misses nor repeats.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("channel_cursors")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("channel", 16))
                .col(string("account"))
                .col(string_len("name", 64))
                .col(text("value"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_channel_cursors")
                .table("channel_cursors")
                .col("channel")
                .col("account")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("channel_cursors")
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
