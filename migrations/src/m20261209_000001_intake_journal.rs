//! The intake journal: messages a provider handed over, committed before
//! the provider is answered and before anything else is worked out from
//! them. The pipeline takes them in id order, turns each into a stored
//! complaint (or follow-up, or answer) and deletes the entry once that is
//! committed. `(channel, external_id)` is unique, so a webhook retry while
//! the first delivery still waits adds nothing. `not_before` holds back an
//! entry whose last try failed on storage.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "intake_journal";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TABLE)
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("channel", 16))
                .col(string("external_id"))
                .col(text("message"))
                .col(integer("attempts").default(0))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("not_before"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_intake_journal_message")
                .table(TABLE)
                .col("channel")
                .col("external_id")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TABLE).to_owned()).await
    }
}
