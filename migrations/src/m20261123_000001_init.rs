//! The first schema: inbound messages, citizens and their addresses,
//! complaints with their timeline and attachments, and the delivery outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("citizens")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_null("display_name"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("citizen_addresses")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("citizen_id"))
                .col(string_len("kind", 16))
                .col(string("address"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("citizen_addresses", "citizen_id")
                        .to("citizens", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_citizen_addresses_kind_address")
                .table("citizen_addresses")
                .col("kind")
                .col("address")
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("complaints")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("tracking_code", 16))
                .col(big_integer_null("citizen_id"))
                .col(string_len("channel", 16))
                .col(string("channel_account"))
                .col(string_null("title"))
                .col(text("body"))
                .col(string_null("category"))
                .col(double_null("lat"))
                .col(double_null("lon"))
                .col(text_null("address_text"))
                .col(string_len_null("kecamatan_code", 16))
                .col(string_len_null("kelurahan_code", 16))
                .col(boolean("anonim"))
                .col(boolean("rahasia"))
                .col(string_len("status", 16))
                .col(string_null("lapor_tracking_id"))
                .col(string_null("lapor_transaction_id"))
                .col(big_integer_null("duplicate_of"))
                .col(timestamp_with_time_zone_null("sla_due_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("complaints", "citizen_id")
                        .to("citizens", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_complaints_status")
                .table("complaints")
                .col("status")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("inbound_messages")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("channel", 16))
                .col(string("channel_account"))
                .col(string("external_id"))
                .col(string_null("sender"))
                .col(string_len("fingerprint", 64))
                .col(string("raw_content_type"))
                .col(text("raw_payload"))
                .col(big_integer_null("complaint_id"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("inbound_messages", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_inbound_messages_channel_external_id")
                .table("inbound_messages")
                .col("channel")
                .col("external_id")
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("complaint_events")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("complaint_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor"))
                .col(string_len("kind", 32))
                .col(string_len_null("from_status", 16))
                .col(string_len_null("to_status", 16))
                .col(text_null("note"))
                .col(json_null("data"))
                .foreign_key(
                    ForeignKey::create()
                        .from("complaint_events", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_complaint_events_complaint")
                .table("complaint_events")
                .col("complaint_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("attachments")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer_null("complaint_id"))
                .col(big_integer("inbound_message_id"))
                .col(string_null("filename"))
                .col(string("mime"))
                .col(big_integer("size"))
                .col(string_len("sha256", 64))
                .col(string("storage_path"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("attachments", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .if_not_exists()
                .col(big_pk_auto("id"))
                // Null for messages that answer a citizen without a complaint
                // (a help text, a status lookup of an unknown code).
                .col(big_integer_null("complaint_id"))
                .col(string("destination"))
                .col(string_len_uniq("idempotency_key", 64))
                .col(string_len("state", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(string_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(text_null("last_error"))
                .col(string_null("external_ref"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("outbox", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_state_next")
                .table("outbox")
                .col("state")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("delivery_attempts")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("outbox_id"))
                .col(integer("attempt"))
                .col(string_len("outcome", 16))
                .col(integer_null("http_status"))
                .col(text_null("error"))
                .col(string("instance"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone("finished_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("delivery_attempts", "outbox_id")
                        .to("outbox", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_delivery_attempts_outbox")
                .table("delivery_attempts")
                .col("outbox_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("agency_queue_items")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("agency"))
                .col(big_integer("complaint_id"))
                .col(big_integer("outbox_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("agency_queue_items", "complaint_id")
                        .to("complaints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_agency_queue_items_agency_complaint")
                .table("agency_queue_items")
                .col("agency")
                .col("complaint_id")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "agency_queue_items",
            "delivery_attempts",
            "outbox",
            "attachments",
            "complaint_events",
            "inbound_messages",
            "complaints",
            "citizen_addresses",
            "citizens",
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
