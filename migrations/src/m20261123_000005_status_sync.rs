//! Status sync: when a complaint's LAPOR! status was last asked, and when
//! an agency handed a complaint back as not theirs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("complaints")
                .add_column(timestamp_with_time_zone_null("lapor_checked_at"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("agency_queue_items")
                .add_column(timestamp_with_time_zone_null("returned_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("complaints")
                .drop_column("lapor_checked_at")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("agency_queue_items")
                .drop_column("returned_at")
                .to_owned(),
        )
        .await
    }
}
