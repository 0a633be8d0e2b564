//! Indexes for the lookups every message and every delivery make by a
//! foreign key: a citizen's recent complaints, a complaint's reporters,
//! attachments and messages, a citizen's addresses. Without them each
//! lookup reads the whole table, and intake slows down as the store grows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_complaints_citizen_created",
        "complaints",
        &["citizen_id", "created_at"],
    ),
    (
        "ix_complaints_duplicate_of",
        "complaints",
        &["duplicate_of"],
    ),
    ("ix_complaints_created", "complaints", &["created_at"]),
    (
        "ix_inbound_messages_complaint",
        "inbound_messages",
        &["complaint_id"],
    ),
    ("ix_attachments_complaint", "attachments", &["complaint_id"]),
    (
        "ix_citizen_addresses_citizen",
        "citizen_addresses",
        &["citizen_id"],
    ),
    ("ix_outbox_complaint", "outbox", &["complaint_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(*table);
            for col in *cols {
                index.col(*col);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(*name).table(*table).to_owned())
                .await?;
        }
        Ok(())
    }
}
