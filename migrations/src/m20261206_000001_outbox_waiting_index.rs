//! An index for the messages held for one recipient. Every chat message a
//! citizen sends wakes what waits for them (`state = 'waiting'`, by
//! channel and recipient). Without this index SQLite answered that from the
//! channel index and read every message ever sent on the channel, so each
//! WhatsApp intake grew slower as the outbox grew.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_outbox_channel_recipient_state";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table("outbox")
                .col("channel")
                .col("recipient")
                .col("state")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table("outbox").to_owned())
            .await
    }
}
