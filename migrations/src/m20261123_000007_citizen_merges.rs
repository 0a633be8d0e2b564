//! Citizen merges: when one message shows that two citizen records are the
//! same person, what was moved where, so an operator can undo it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("citizen_merges")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("into_citizen_id"))
                .col(big_integer("from_citizen_id"))
                .col(json("moved_addresses"))
                .col(json("moved_complaints"))
                .col(string("reason"))
                .col(timestamp_with_time_zone("at"))
                .col(timestamp_with_time_zone_null("undone_at"))
                .col(string_null("undone_by"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_citizen_merges_pair")
                .table("citizen_merges")
                .col("into_citizen_id")
                .col("from_citizen_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("citizen_merges").if_exists().to_owned())
            .await
    }
}
