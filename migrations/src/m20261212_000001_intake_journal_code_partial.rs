//! The journal's tracking code index holds only the entries that have a
//! code. A web form entry has one (its sender was answered with it); a
//! WhatsApp entry never does, and indexed its NULL all the same: one more
//! index insert for every webhook before Meta was answered, and one more
//! delete when the pipeline took the entry in. A lookup by code
//! (`tracking_code = ?`) implies a code, so both databases still use the
//! index for it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// Each change is one script, run on one connection. Run statement by
// statement, the gateway's SQLite pool refused to create the index again
// ("already exists"), presumably on another connection whose schema
// predated the drop.
const PARTIAL: &str = "DROP INDEX ix_intake_journal_code; \
    CREATE INDEX ix_intake_journal_code ON intake_journal (tracking_code) \
    WHERE tracking_code IS NOT NULL";
const FULL: &str = "DROP INDEX ix_intake_journal_code; \
    CREATE INDEX ix_intake_journal_code ON intake_journal (tracking_code)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(PARTIAL)
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(FULL)
            .await
            .map(|_| ())
    }
}
