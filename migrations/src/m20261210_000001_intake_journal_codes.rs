//! The tracking code a journal entry was promised. A web form submission
//! is answered with its tracking code once it is journaled; the complaint
//! the pipeline makes of it takes that code, and a lookup of the code
//! finds the entry (indexed) while it waits.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "intake_journal";
const INDEX: &str = "ix_intake_journal_code";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(TABLE)
                .add_column(string_null("tracking_code"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(TABLE)
                .col("tracking_code")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(TABLE).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(TABLE)
                .drop_column("tracking_code")
                .to_owned(),
        )
        .await
    }
}
