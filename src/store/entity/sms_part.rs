//! The `sms_parts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_parts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_account: String,
    pub sender: String,
    pub reference: i32,
    pub total: i32,
    pub seq: i32,
    pub external_id: String,
    pub text: String,
    pub raw_content_type: String,
    pub raw_payload: String,
    pub display_name: Option<String>,
    pub received_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Set once the part went to intake as part of a joined message.
    pub joined_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
