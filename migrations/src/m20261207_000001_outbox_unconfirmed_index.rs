//! An index for the replies a phone gateway has not confirmed. Every poll
//! of an SMSSync-style phone looks for messages handed to it and never
//! confirmed (by channel, account, `state = 'delivered'`, no provider
//! status, handed before a time). Without this index SQLite answered that
//! from the state index and read every message ever delivered.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_outbox_account_report";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table("outbox")
                .col("channel")
                .col("channel_account")
                .col("state")
                .col("provider_status")
                .col("delivered_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table("outbox").to_owned())
            .await
    }
}
