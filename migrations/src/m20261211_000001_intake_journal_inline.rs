//! PostgreSQL keeps a journal entry in its row, uncompressed. By default a
//! row past 2 KB has its long values compressed (and, if still too long,
//! moved to a side table) as it is inserted; a web form entry is a little
//! over that, so every submission was compressed before its citizen was
//! answered, and uncompressed again when the pipeline read it: the
//! largest single cost on the database server in a profile of web form
//! intake. An entry is written once and read once, within seconds, so
//! rows up to the page's size stay as they are. SQLite has no such
//! setting (and keeps its journal in a file of its own).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(
            m,
            "ALTER TABLE intake_journal SET (toast_tuple_target = 8160)",
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(m, "ALTER TABLE intake_journal RESET (toast_tuple_target)").await
    }
}

/// Runs `sql` where the database is PostgreSQL; elsewhere nothing.
async fn on_postgres(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    m.get_connection().execute_unprepared(sql).await.map(|_| ())
}
