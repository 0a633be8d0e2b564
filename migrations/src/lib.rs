//! Database migrations for satupintu, one set for SQLite and PostgreSQL.
//! Migrations only create and alter schema; they never hold business rules.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_init;
mod m20261123_000003_outbox_messages;
mod m20261123_000004_channel_cursors;
mod m20261123_000005_status_sync;
mod m20261123_000006_sla_clocks;
mod m20261123_000007_citizen_merges;
mod m20261123_000008_inbound_sender_index;
mod m20261123_000100_telegram;
mod m20261124_000007_sms_parts;
mod m20261125_000009_lookup_indexes;
mod m20261201_000002_routing;
mod m20261205_000001_complaints_updated_index;
mod m20261206_000001_outbox_waiting_index;
mod m20261207_000001_outbox_unconfirmed_index;
mod m20261208_000001_unreachable_channels;
mod m20261209_000001_intake_journal;
mod m20261210_000001_intake_journal_codes;
mod m20261211_000001_intake_journal_inline;
mod m20261212_000001_intake_journal_code_partial;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_init::Migration),
            Box::new(m20261123_000003_outbox_messages::Migration),
            Box::new(m20261123_000004_channel_cursors::Migration),
            Box::new(m20261123_000005_status_sync::Migration),
            Box::new(m20261123_000006_sla_clocks::Migration),
            Box::new(m20261123_000007_citizen_merges::Migration),
            Box::new(m20261123_000008_inbound_sender_index::Migration),
            Box::new(m20261123_000100_telegram::Migration),
            Box::new(m20261201_000002_routing::Migration),
            Box::new(m20261124_000007_sms_parts::Migration),
            Box::new(m20261125_000009_lookup_indexes::Migration),
            Box::new(m20261205_000001_complaints_updated_index::Migration),
            Box::new(m20261206_000001_outbox_waiting_index::Migration),
            Box::new(m20261207_000001_outbox_unconfirmed_index::Migration),
            Box::new(m20261208_000001_unreachable_channels::Migration),
            Box::new(m20261209_000001_intake_journal::Migration),
            Box::new(m20261210_000001_intake_journal_codes::Migration),
            Box::new(m20261211_000001_intake_journal_inline::Migration),
            Box::new(m20261212_000001_intake_journal_code_partial::Migration),
        ]
    }
}
