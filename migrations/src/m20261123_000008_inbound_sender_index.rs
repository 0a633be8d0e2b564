//! An index for "when did this citizen last write to this number", asked
//! before every WhatsApp message (its 24-hour window).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_inbound_messages_account_sender";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table("inbound_messages")
                .col("channel")
                .col("channel_account")
                .col("sender")
                .col("received_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(NAME)
                .table("inbound_messages")
                .to_owned(),
        )
        .await
    }
}
