//! Parts of long SMS that arrive one by one: kept until every part is
//! there (or a timeout passes), then joined into one message. A part is
//! stored once per (channel account, provider id), so repeated deliveries
//! of a part are no-ops.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sms_parts")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("channel_account"))
                .col(string("sender"))
                .col(integer("reference"))
                .col(integer("total"))
                .col(integer("seq"))
                .col(string("external_id"))
                .col(text("text"))
                .col(string("raw_content_type"))
                .col(text("raw_payload"))
                .col(string_null("display_name"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("joined_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sms_parts_account_external_id")
                .table("sms_parts")
                .col("channel_account")
                .col("external_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sms_parts_group")
                .table("sms_parts")
                .col("channel_account")
                .col("sender")
                .col("reference")
                .col("total")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("sms_parts").to_owned())
            .await
    }
}
