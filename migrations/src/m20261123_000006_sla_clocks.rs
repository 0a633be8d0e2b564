//! SLA clocks: one row per clock a complaint runs (verification and
//! forwarding, agency follow-up, closure), with its due time and outcome.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sla_clocks")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("complaint_id"))
                .col(string_len("clock", 32))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone_null("stopped_at"))
                .col(string_len_null("outcome", 16))
                .col(timestamp_with_time_zone_null("warned_at"))
                .col(timestamp_with_time_zone_null("overdue_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("sla_clocks", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sla_clocks_complaint")
                .table("sla_clocks")
                .col("complaint_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sla_clocks_running")
                .table("sla_clocks")
                .col("stopped_at")
                .col("due_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("sla_clocks").if_exists().to_owned())
            .await
    }
}
