//! The outbox also carries messages to citizens (acknowledgments and
//! status updates on their own channel), with the provider's delivery
//! status once the provider reports it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        let columns = [
            string_len("kind", 16).default("delivery").to_owned(),
            string_len_null("channel", 16),
            string_null("channel_account"),
            string_null("recipient"),
            json_null("payload"),
            string_len_null("provider_status", 16),
            timestamp_with_time_zone_null("provider_status_at"),
        ];
        for column in columns {
            m.alter_table(Table::alter().table("outbox").add_column(column).to_owned())
                .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_outbox_channel_external_ref")
                .table("outbox")
                .col("channel")
                .col("external_ref")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("citizen_addresses")
                .add_column(timestamp_with_time_zone_null("unreachable_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_outbox_channel_external_ref")
                .table("outbox")
                .to_owned(),
        )
        .await?;
        for column in [
            "kind",
            "channel",
            "channel_account",
            "recipient",
            "payload",
            "provider_status",
            "provider_status_at",
        ] {
            m.alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("citizen_addresses")
                .drop_column("unreachable_at")
                .to_owned(),
        )
        .await
    }
}
