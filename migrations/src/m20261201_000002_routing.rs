//! Routing results on the complaint: the priority and SLA class the
//! routing rules gave it (category and area codes already have columns).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table("complaints")
                .add_column(string_len_null("priority", 16))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("complaints")
                .add_column(string_len_null("sla_class", 32))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["sla_class", "priority"] {
            m.alter_table(
                Table::alter()
                    .table("complaints")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
