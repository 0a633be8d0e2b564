//! Unreachable per channel. A phone number is one address for WhatsApp
//! and SMS: SMS refusing a number says nothing of WhatsApp, and WhatsApp
//! refusing a message says nothing of SMS. `unreachable_on` lists the
//! channels that reported the address cannot be reached (space
//! separated); `unreachable_at` stays the time of the latest report.
//!
//! A mark made before this migration stands for every channel of its
//! address: what stopped messages before still stops them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "citizen_addresses";
const COLUMN: &str = "unreachable_on";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(TABLE)
                .add_column(ColumnDef::new(COLUMN).string().null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::update()
                .table(TABLE)
                .value(
                    COLUMN,
                    Expr::cust("CASE kind WHEN 'phone' THEN 'sms whatsapp' ELSE kind END"),
                )
                .and_where(Expr::col("unreachable_at").is_not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(TABLE).drop_column(COLUMN).to_owned())
            .await
    }
}
