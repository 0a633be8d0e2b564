//! An index on when complaints last changed: a running gateway reads the
//! complaints changed since its last look (by any process) every few
//! seconds, to keep its duplicate index in step with the database.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_complaints_updated_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table("complaints")
                .col("updated_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table("complaints").to_owned())
            .await
    }
}
